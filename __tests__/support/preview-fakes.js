/**
 * Stateful stand-ins of `kubectl`, `aws`, `docker`, `gh` and `curl` for the preview workflows'
 * journeys (`__tests__/e2e/preview-journey.test.ts`). The world is `<state dir>/world.json`:
 * namespaces with labels and annotations, applied objects, Jobs (their rendered YAML, complete or
 * failed as the world says), Secrets, the preview registry's tags, Secrets Manager values, pull
 * requests, comments and deployments. Every call that is not modelled fails loudly (exit 99), so a
 * workflow change that calls something new is seen. `world.fail` makes one call fail:
 * `{ command, match, message }` where `match` is a substring of the space-joined arguments.
 *
 * Each call reads the world from its file and writes it back, whichever way it arrives:
 * - `node preview-fakes.js <command> <state dir> <args...>`: one call, in this process;
 * - `node preview-fakes.js --serve`: calls from {@link standIn}'s bash stand-ins over a TCP socket
 *   of 127.0.0.1 (the port is printed first), until stdin closes. A journey makes about 500 calls;
 *   a Node process each cost a tenth of a second of CPU, most of that journey's time. The stand-in
 *   stays bash: it sends its arguments, working directory and (when an argument is `-`) its stdin,
 *   and replays what the call printed and its exit code.
 */
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
// Loaded only by the calls that read manifests, once per process.
let yaml;
const parseAllDocuments = (text) => (yaml ??= require("yaml")).parseAllDocuments(text);

/** How a call ends early: `fail`'s exit code. */
class Exit {
  constructor(code) {
    this.code = code;
  }
}

/**
 * One call of `command` with `args` against the world in `stateDir`: what it printed and its exit
 * code. `stdin` is what the call reads as its standard input; relative paths resolve against `cwd`.
 */
function call(command, stateDir, args, stdin, cwd) {
  const out = [];
  const err = [];
  try {
    play(command, stateDir, args, stdin, cwd, out, err);
    return { stdout: out.join(""), stderr: err.join(""), code: 0 };
  } catch (error) {
    // A bug here fails the call as an uncaught exception fails a Node process: its stack, exit 1.
    if (!(error instanceof Exit)) return { stdout: out.join(""), stderr: `${err.join("")}${error.stack}\n`, code: 1 };
    return { stdout: out.join(""), stderr: err.join(""), code: error.code };
  }
}

/** The call itself: what it prints goes to `out` and `err`; `fail` throws {@link Exit}. */
function play(command, stateDir, args, stdin, cwd, out, err) {
  const log = (text) => out.push(`${text}\n`);
  const write = (text) => out.push(text);
  const worldFile = path.join(stateDir, "world.json");
  const world = JSON.parse(fs.readFileSync(worldFile, "utf8"));
  const save = () => fs.writeFileSync(worldFile, JSON.stringify(world, null, 1));
  const fail = (message, code = 1) => {
    err.push(`${message}\n`);
    throw new Exit(code);
  };
  const unexpected = () => fail(`unexpected ${command} ${args.join(" ")}`, 99);
  const readInput = (file) => (file === "-" ? stdin : fs.readFileSync(path.resolve(cwd, file), "utf8"));
  /** `--name value` of args. */
  const flag = (name) => {
    const at = args.indexOf(name);
    return at < 0 ? undefined : args[at + 1];
  };

  for (const f of world.fail ?? []) {
    if (f.command !== command || !args.join(" ").includes(f.match)) continue;
    // `skip`: let that many matching calls through first.
    if (f.skip > 0) {
      f.skip--;
      save();
      continue;
    }
    fail(f.message ?? `${command}: injected failure`);
  }

  const run = {
    kubectl() {
      const namespace = flag("-n");
      const positional = [];
      for (let i = 0; i < args.length; i++) {
        if (args[i] === "-n" || args[i] === "-o" || args[i] === "-f" || args[i] === "-l") i++;
        else if (!args[i].startsWith("-")) positional.push(args[i]);
      }
      const [verb, what, name] = positional;
      const ns = world.namespaces;
      if (verb === "get" && what === "namespaces") {
        const [key, value] = flag("-l").split("=");
        const output = flag("-o");
        for (const [n, o] of Object.entries(ns)) {
          if (o.labels[key] !== value) continue;
          if (output === "name") log(`namespace/${n}`);
          else if (output === 'jsonpath={range .items[*]}{.metadata.creationTimestamp}{" "}{.metadata.name}{"\\n"}{end}') log(`${o.creationTimestamp} ${n}`);
          else return unexpected();
        }
        return;
      }
      if (verb === "get" && what === "namespace") {
        if (flag("-o") === "name" && args.includes("--ignore-not-found")) return ns[name] ? log(`namespace/${name}`) : undefined;
        if (!ns[name]) fail(`Error from server (NotFound): namespaces "${name}" not found`);
        const jsonpath = flag("-o");
        const annotation = /^jsonpath=\{\.metadata\.annotations\.(.+)\}$/.exec(jsonpath);
        if (annotation) return write(ns[name].annotations[annotation[1].replace(/\\\./g, ".")] ?? "");
        if (jsonpath === "jsonpath={.metadata.creationTimestamp}") return write(ns[name].creationTimestamp);
        return unexpected();
      }
      if (verb === "get" && what === "configmap") {
        const configMap = world.objects.find((o) => o.namespace === namespace && o.kind === "ConfigMap" && o.name === name);
        if (!configMap && !args.includes("--ignore-not-found")) fail(`Error from server (NotFound): configmaps "${name}" not found`);
        if (flag("-o") !== "jsonpath={.data.at}") return unexpected();
        return write(configMap?.doc.data.at ?? "");
      }
      if (verb === "annotate") {
        const [, , target, pair] = positional;
        if (what !== "namespace" || !args.includes("--overwrite")) return unexpected();
        if (!ns[target]) fail(`Error from server (NotFound): namespaces "${target}" not found`);
        const at = pair.indexOf("=");
        ns[target].annotations[pair.slice(0, at)] = pair.slice(at + 1);
        return save();
      }
      if (verb === "delete" && what === "namespace") {
        if (!ns[name] && !args.includes("--ignore-not-found")) fail(`namespaces "${name}" not found`);
        delete ns[name];
        world.objects = world.objects.filter((o) => o.namespace !== name);
        for (const key of Object.keys(world.secrets)) if (key.startsWith(`${name}/`)) delete world.secrets[key];
        world.deletedNamespaces.push(name);
        return save();
      }
      if (verb === "delete" && what === "secret") {
        delete world.secrets[`${namespace}/${name}`];
        return save();
      }
      if (verb === "apply" || verb === "create" || verb === "delete") {
        const file = flag("-f");
        if (file === undefined) return unexpected();
        const docs = parseAllDocuments(readInput(file)).map((d) => d.toJS()).filter((d) => d);
        if (docs.length === 0) fail("error: no objects passed to " + verb);
        for (const doc of docs) {
          const objectNamespace = doc.metadata.namespace ?? namespace;
          if (verb === "delete") {
            if (doc.kind !== "Job") return unexpected();
            if (!doc.metadata.name) fail("error: resource name may not be empty");
            delete world.jobs[`${objectNamespace}/${doc.metadata.name}`];
            continue;
          }
          if (doc.kind === "Namespace") {
            // The admission policy's shape: the name and the labels the preview identity must set.
            if (!/^hello-pr-[0-9]+$/.test(doc.metadata.name)) fail(`admission denied: namespace ${doc.metadata.name}`);
            // Another pull request's job creating its namespace meanwhile (`world.appearOnApply`).
            for (const [other, o] of Object.entries(world.appearOnApply ?? {})) ns[other] ??= o;
            world.appearOnApply = {};
            const existing = ns[doc.metadata.name];
            ns[doc.metadata.name] = {
              labels: { ...doc.metadata.labels },
              annotations: { ...(existing?.annotations ?? {}), ...(doc.metadata.annotations ?? {}) },
              creationTimestamp: existing?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            };
            world.applied.push(`Namespace/${doc.metadata.name}`);
            continue;
          }
          if (!ns[objectNamespace] && !(world.fixedNamespaces ?? []).includes(objectNamespace)) fail(`Error from server (NotFound): namespaces "${objectNamespace}" not found`);
          if (doc.kind === "Job" && verb === "create") {
            if (doc.metadata.generateName) doc.metadata.name = `${doc.metadata.generateName}${(world.generated = (world.generated ?? 0) + 1)}`;
            const key = `${objectNamespace}/${doc.metadata.name}`;
            if (world.jobs[key]) fail(`Error from server (AlreadyExists): jobs.batch "${doc.metadata.name}" already exists`);
            const text = JSON.stringify(doc);
            const failed = (world.failJobs ?? []).some((m) => text.includes(m));
            world.jobs[key] = { status: failed ? "Failed" : "Complete" };
            world.jobRuns.push({ namespace: objectNamespace, name: doc.metadata.name, spec: doc.spec });
            if (args.includes("name")) log(`job.batch/${doc.metadata.name}`);
            continue;
          }
          if (doc.kind === "Secret" && verb === "create") {
            const key = `${objectNamespace}/${doc.metadata.name}`;
            if (world.secrets[key]) fail(`Error from server (AlreadyExists): secrets "${doc.metadata.name}" already exists`);
            world.secrets[key] = Object.fromEntries(Object.entries(doc.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
            continue;
          }
          if (verb !== "apply") return unexpected();
          world.objects = world.objects.filter((o) => !(o.namespace === objectNamespace && o.kind === doc.kind && o.name === doc.metadata.name));
          world.objects.push({ namespace: objectNamespace, kind: doc.kind, name: doc.metadata.name, doc });
          world.applied.push(`${doc.kind}/${doc.metadata.name}`);
        }
        return save();
      }
      if (verb === "get" && what?.startsWith("job.batch/")) {
        const job = world.jobs[`${namespace}/${what.slice("job.batch/".length)}`];
        if (!job) fail("Error from server (NotFound)");
        return write(job.status);
      }
      if (verb === "logs" && what?.startsWith("job.batch/")) return log(`logs of ${what}`);
      if (verb === "rollout" && what === "status" && name === "deployment/app") {
        const deployment = world.objects.find((o) => o.namespace === namespace && o.kind === "Deployment" && o.name === "app");
        if (!deployment) fail(`Error from server (NotFound): deployments.apps "app" not found`);
        world.rollouts.push({ namespace, image: deployment.doc.spec.template.spec.containers[0].image });
        save();
        if (world.brokenImage && deployment.doc.spec.template.spec.containers[0].image.endsWith(world.brokenImage)) fail("error: deployment \"app\" exceeded its progress deadline");
        return;
      }
      return unexpected();
    },

    aws() {
      const key = `${args[0]} ${args[1]}`;
      const images = world.registry;
      if (key === "eks update-kubeconfig") return;
      if (key === "ecr batch-get-image") {
        const tag = flag("--image-ids").replace(/^imageTag=/, "");
        return log(images[tag] ?? "None");
      }
      if (key === "ecr list-images") return log(JSON.stringify(Object.keys(images)));
      if (key === "ecr batch-delete-image") {
        const at = args.indexOf("--image-ids");
        for (let i = at + 1; i < args.length && !args[i].startsWith("--"); i++) {
          const tag = args[i].replace(/^imageTag=/, "");
          delete images[tag];
          world.deletedTags.push(tag);
        }
        save();
        return log("0");
      }
      if (key === "secretsmanager get-secret-value") {
        const id = flag("--secret-id");
        if (!(id in world.secretValues)) fail(`An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: ${id}`, 254);
        return log(JSON.stringify(world.secretValues[id]));
      }
      return unexpected();
    },

    docker() {
      if (args[0] === "build") {
        fs.writeFileSync(path.resolve(cwd, flag("--iidfile")), world.imageId);
        return;
      }
      if (args[0] === "run") return;
      if (args[0] === "tag") return;
      if (args[0] === "push") {
        const tag = args[1].slice(args[1].lastIndexOf(":") + 1);
        if (world.registry[tag]) fail(`tag invalid: The image tag '${tag}' already exists in the repository and cannot be overwritten because the repository is immutable.`);
        world.registry[tag] = world.pushDigest;
        world.pushes.push(args[1]);
        save();
        return log(`${tag}: digest: ${world.pushDigest} size: 1573`);
      }
      return unexpected();
    },

    gh() {
      if (args[0] !== "api") return unexpected();
      const method = flag("--method") ?? "GET";
      const endpoint = args.slice(1).find((a, i, all) => !a.startsWith("-") && !["--method", "--jq", "--input"].includes(all[i - 1]));
      const body = args.includes("--input") ? JSON.parse(stdin) : undefined;
      const [route, query] = endpoint.split("?");
      const parts = route.split("/");
      if (`${parts[0]}/${parts[1]}/${parts[2]}` !== `repos/${world.repo}`) fail(`gh: ${route} is not this repository's`, 99);
      const rest = parts.slice(3);
      let response;
      if (method === "GET" && rest[0] === "issues" && rest[2] === "comments") response = world.comments.filter((c) => c.issue === Number(rest[1])).map(({ id, user, body: b }) => ({ id, user: { login: user }, body: b }));
      else if (method === "POST" && rest[0] === "issues" && rest[2] === "comments") {
        const comment = { id: world.nextId++, issue: Number(rest[1]), user: "github-actions[bot]", body: body.body };
        world.comments.push(comment);
        response = { id: comment.id, html_url: `https://github.com/${world.repo}/pull/${rest[1]}#issuecomment-${comment.id}` };
      } else if (method === "PATCH" && rest[0] === "issues" && rest[1] === "comments") {
        const comment = world.comments.find((c) => c.id === Number(rest[2]));
        if (!comment) fail("gh: HTTP 404");
        comment.body = body.body;
        comment.edits = (comment.edits ?? 0) + 1;
        response = { id: comment.id, html_url: `https://github.com/${world.repo}/pull/${comment.issue}#issuecomment-${comment.id}` };
      } else if (method === "POST" && rest[0] === "deployments" && rest.length === 1) {
        const deployment = { id: world.nextId++, ...body, statuses: [] };
        world.deployments.push(deployment);
        response = { id: deployment.id };
      } else if (method === "POST" && rest[0] === "deployments" && rest[2] === "statuses") {
        const deployment = world.deployments.find((d) => d.id === Number(rest[1]));
        if (!deployment) fail("gh: HTTP 404");
        deployment.statuses.push(body);
        response = body;
      } else if (method === "GET" && rest[0] === "deployments" && rest.length === 1) {
        const q = new URLSearchParams(query);
        response = world.deployments.filter((d) => (!q.get("environment") || d.environment === q.get("environment")) && (!q.get("task") || d.task === q.get("task"))).map((d) => ({ id: d.id }));
      } else if (method === "GET" && rest[0] === "pulls" && rest.length === 2) {
        const state = world.pulls[rest[1]];
        if (!state) fail("gh: Not Found (HTTP 404)");
        response = { number: Number(rest[1]), state };
      } else return unexpected();
      save();
      const jq = flag("--jq");
      if (jq === undefined) return log(JSON.stringify(response));
      const result = spawnSync("jq", ["-r", jq], { input: JSON.stringify(response), encoding: "utf8" });
      if (result.status !== 0) fail(`gh --jq: ${result.stderr}`);
      write(result.stdout);
    },

    curl() {
      const url = args[args.length - 1];
      world.healthChecks.push(url);
      save();
      if (!world.healthy) fail("curl: (22) The requested URL returned error: 503", 22);
    },
  };

  if (!run[command]) unexpected();
  run[command]();
}

/** `value` as one single-quoted shell word. */
const shellQuote = (value) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * The bash body of the stand-in for `command` (for `runJob`'s `standIns`): its calls go to the
 * server on `port` with the world in `stateDir`.
 */
function standIn(port, command, stateDir) {
  return [
    // Byte lengths, and bytes passed through as they are.
    "export LC_ALL=C",
    'input=""',
    // Standard input is read only by a call that names it (`-f -`, `--input -`), as the real tools do.
    'for a in "$@"; do if [ "$a" = - ]; then IFS= read -r -d "" input; break; fi; done',
    `exec 3<>/dev/tcp/127.0.0.1/${Number(port)}`,
    `printf '%s\\0' "$(($# + 3))" ${shellQuote(command)} ${shellQuote(stateDir)} "$PWD" "$@" "\${#input}" >&3`,
    'printf %s "$input" >&3',
    'IFS= read -r -d "" reply <&3',
    "exec 3<&-",
    'eval "$reply"',
  ].join("\n");
}

/** Serves calls until stdin closes: each request is NUL-terminated fields (their count, command, state dir, cwd, args, stdin's length) and stdin's bytes; the reply is bash that replays the call. */
function serve() {
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let answered = false;
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (answered) return;
      let at = 0;
      const field = () => {
        const end = buffer.indexOf(0, at);
        if (end < 0) return undefined;
        const text = buffer.subarray(at, end).toString("utf8");
        at = end + 1;
        return text;
      };
      const count = field();
      if (count === undefined) return;
      const fields = [];
      for (let i = 0; i < Number(count); i++) {
        const f = field();
        if (f === undefined) return;
        fields.push(f);
      }
      const length = field();
      if (length === undefined || buffer.length - at < Number(length)) return;
      answered = true;
      const [command, stateDir, cwd, ...args] = fields;
      const result = call(command, stateDir, args, buffer.subarray(at, at + Number(length)).toString("utf8"), cwd);
      socket.end(`printf %s ${shellQuote(result.stdout)}; printf %s ${shellQuote(result.stderr)} >&2; exit ${result.code}`);
    });
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

/** Starts a server (`--serve`) for the calling process: resolves to its port and a `stop()`. */
function startServer() {
  const child = spawn(process.execPath, [__filename, "--serve"], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let printed = "";
    child.once("exit", (code, signal) => reject(new Error(`preview-fakes.js --serve exited (${code ?? signal}) before it listened`)));
    child.stdout.on("data", (chunk) => {
      printed += chunk;
      if (!printed.includes("\n")) return;
      child.removeAllListeners("exit");
      resolve({ port: Number(printed.trim()), stop: () => child.kill() });
    });
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === "--serve") serve();
  else {
    const [command, stateDir, ...args] = argv;
    const needsStdin = args.includes("-");
    const result = call(command, stateDir, args, needsStdin ? fs.readFileSync(0, "utf8") : "", process.cwd());
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.code;
  }
}

module.exports = { call, standIn, startServer };
