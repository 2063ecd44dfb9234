/**
 * What a `kubectl` command line asks the Kubernetes API for, as RBAC requests (API group,
 * resource, verb, object name), so a test can check a Role against the commands a workflow
 * really runs. Written from kubectl's own behaviour (k8s.io/kubectl): `set image` gets then
 * patches; `create job --from` gets the CronJob and creates a Job; `rollout status` gets, then
 * lists and watches with a `metadata.name` field selector (which RBAC authorizes by name);
 * `rollout undo` gets the Deployment, lists its ReplicaSets and patches it; `logs job/x` gets the
 * Job, lists (and watches, until one exists) its pods and gets `pods/log`. A subcommand this file
 * does not know is an error, so a new command in a workflow fails the test until its needs are
 * written down here.
 */

export interface RbacRequest {
  /** `""` for the core group. */
  readonly apiGroup: string;
  /** A resource or `resource/subresource`, e.g. `pods/log`. */
  readonly resource: string;
  readonly verb: string;
  /** The object's name when the command names it literally; undefined for names made at run time (`$job`) and for create. */
  readonly name?: string;
  /** The command line it came from, for messages. */
  readonly command: string;
}

/** An RBAC rule as synthesized (`kubernetes_role_v1.rule`). */
export interface RbacRule {
  readonly api_groups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resource_names?: string[];
}

const KINDS: Record<string, { apiGroup: string; resource: string }> = {
  deployment: { apiGroup: "apps", resource: "deployments" },
  deployments: { apiGroup: "apps", resource: "deployments" },
  deploy: { apiGroup: "apps", resource: "deployments" },
  replicaset: { apiGroup: "apps", resource: "replicasets" },
  rs: { apiGroup: "apps", resource: "replicasets" },
  cronjob: { apiGroup: "batch", resource: "cronjobs" },
  cronjobs: { apiGroup: "batch", resource: "cronjobs" },
  cj: { apiGroup: "batch", resource: "cronjobs" },
  job: { apiGroup: "batch", resource: "jobs" },
  jobs: { apiGroup: "batch", resource: "jobs" },
  pod: { apiGroup: "", resource: "pods" },
  pods: { apiGroup: "", resource: "pods" },
  po: { apiGroup: "", resource: "pods" },
  secret: { apiGroup: "", resource: "secrets" },
  secrets: { apiGroup: "", resource: "secrets" },
  networkpolicy: { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
  networkpolicies: { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
  netpol: { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
};

/**
 * The `kubectl` invocations of a shell script, each as its words (quotes removed): every `kubectl`
 * word up to the end of its simple command (`;`, `|`, `&`, `)`, a newline or a comment), including
 * those inside `$( … )`. `$NAME` and `${NAME}` become their value when `env` holds a literal one
 * (as a workflow step's `env:` does for names known when the workflow is generated); others stay
 * as text and count as names made at run time.
 */
export function kubectlInvocations(script: string, env: Record<string, unknown> = {}): { line: string; words: string[] }[] {
  const expand = (word: string) =>
    word.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => {
      const value = env[name];
      return typeof value === "string" && !value.includes("${{") && !value.includes("$") ? value : whole;
    });
  const found: { line: string; words: string[] }[] = [];
  const re = /(^|[\s;|&(`])kubectl(?=\s)/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(script))) {
    let i = match.index + match[0].length;
    const words: string[] = [];
    let word = "";
    let inWord = false;
    const end = () => {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    };
    for (; i < script.length; i++) {
      const c = script[i];
      if (c === "'") {
        const close = script.indexOf("'", i + 1);
        word += script.slice(i + 1, close);
        inWord = true;
        i = close;
      } else if (c === '"') {
        let j = i + 1;
        while (j < script.length && script[j] !== '"') j += script[j] === "\\" ? 2 : 1;
        word += script.slice(i + 1, j);
        inWord = true;
        i = j;
      } else if (c === " " || c === "\t") {
        end();
      } else if ("\n;|&)".includes(c) || (c === "#" && !inWord)) {
        // The end of the simple command, or a comment.
        break;
      } else {
        word += c;
        inWord = true;
      }
    }
    end();
    const expanded = words.map(expand);
    found.push({ line: `kubectl ${expanded.join(" ")}`, words: expanded });
  }
  return found;
}

/** A `kind/name` argument: the resource and, when literal, the name. */
function target(arg: string | undefined, command: string): { apiGroup: string; resource: string; name?: string } {
  const [kind, name] = (arg ?? "").split("/");
  const known = KINDS[kind?.toLowerCase() ?? ""];
  if (!known || name === undefined) throw new Error(`${command}: expected kind/name (e.g. deployment/app), got ${JSON.stringify(arg)}`);
  return { ...known, name: name.includes("$") ? undefined : name };
}

/** The RBAC requests of one `kubectl` invocation (its words after `kubectl`). */
export function rbacRequests(words: readonly string[]): RbacRequest[] {
  const command = `kubectl ${words.join(" ")}`;
  const args: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "--") {
      args.push(...words.slice(i));
      break;
    }
    if (w === "-n" || w === "--namespace" || w === "-o" || w === "--output" || w === "-c" || w === "--container") {
      flags[w] = words[++i];
    } else if (w.startsWith("-")) {
      const [key, value] = w.split(/=(.*)/s);
      flags[key] = value ?? "true";
    } else {
      args.push(w);
    }
  }
  const req = (t: { apiGroup: string; resource: string; name?: string }, verb: string, name = t.name): RbacRequest => ({
    apiGroup: t.apiGroup,
    resource: t.resource,
    verb,
    name,
    command,
  });
  const [sub, ...rest] = args;
  switch (sub) {
    case "set": {
      if (rest[0] !== "image") throw new Error(`${command}: only 'set image' is known`);
      const t = target(rest[1], command);
      return [req(t, "get"), req(t, "patch")];
    }
    case "create": {
      if (rest[0] !== "job" || !flags["--from"]) throw new Error(`${command}: only 'create job <name> --from=cronjob/<name>' is known`);
      const from = target(flags["--from"], command);
      // Create requests carry no name RBAC can match: resourceNames never allow them.
      return [req(from, "get"), { apiGroup: "batch", resource: "jobs", verb: "create", command }];
    }
    case "get": {
      const t = rest.length === 1 ? target(rest[0], command) : target(`${rest[0]}/${rest[1]}`, command);
      return [req(t, "get")];
    }
    case "logs": {
      const t = target(rest[0], command);
      if (t.resource === "pods") return [req({ ...t, resource: "pods/log" }, "get")];
      if (t.resource !== "jobs") throw new Error(`${command}: only logs of job/<name> or pod/<name> are known`);
      const pods = { apiGroup: "", resource: "pods" };
      return [req(t, "get"), req(pods, "list", undefined), req(pods, "watch", undefined), req({ ...pods, resource: "pods/log" }, "get", undefined)];
    }
    case "rollout": {
      const t = target(rest[1], command);
      if (t.resource !== "deployments") throw new Error(`${command}: only rollouts of deployments are known`);
      if (rest[0] === "status") return [req(t, "get"), req(t, "list"), req(t, "watch")];
      if (rest[0] === "undo") return [req(t, "get"), req({ apiGroup: "apps", resource: "replicasets" }, "list", undefined), req(t, "patch")];
      if (rest[0] === "restart") return [req(t, "get"), req(t, "patch")];
      throw new Error(`${command}: only 'rollout status', 'undo' and 'restart' are known`);
    }
    case "scale": {
      // No precondition (--current-replicas, --resource-version): kubectl patches the scale subresource.
      const t = target(rest[0], command);
      return [req({ ...t, resource: `${t.resource}/scale` }, "patch")];
    }
    case "exec":
    case "attach": {
      const t = target(rest[0].includes("/") ? rest[0] : `pod/${rest[0]}`, command);
      const pods = { apiGroup: "", resource: "pods" };
      return [req(t, "get"), req({ ...pods, resource: `pods/${sub}` }, "create", undefined)];
    }
    case "port-forward": {
      const t = target(rest[0].includes("/") ? rest[0] : `pod/${rest[0]}`, command);
      return [req(t, "get"), { apiGroup: "", resource: "pods/portforward", verb: "create", command }];
    }
    default:
      throw new Error(
        `${command}: __tests__/support/kubectl-rbac.ts does not know what 'kubectl ${sub}' asks the API for; write it down there, and grant it in KubernetesWorkload's deploy rules if the pipeline needs it`,
      );
  }
}

/** True when one of `rules` allows the request, as Kubernetes RBAC decides it. */
export function allows(rules: readonly RbacRule[], request: Omit<RbacRequest, "command">): boolean {
  return rules.some((rule) => {
    const groups = rule.api_groups ?? [];
    const resources = rule.resources ?? [];
    const verbs = rule.verbs ?? [];
    const names = rule.resource_names ?? [];
    if (!groups.includes(request.apiGroup) && !groups.includes("*")) return false;
    if (!resources.includes(request.resource) && !resources.includes("*")) return false;
    if (!verbs.includes(request.verb) && !verbs.includes("*")) return false;
    return names.length === 0 || (request.name !== undefined && names.includes(request.name));
  });
}
