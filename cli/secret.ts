/**
 * `npm run secret -- set <app> <environment> <NAME>`: sets an app secret's value from a
 * workstation, with no cluster access. The value is read from stdin (typed without echo on a
 * terminal, or piped), handed to the AWS CLI on its stdin (`--secret-string file:///dev/stdin`),
 * never as an argument another user could see in `ps`, and never printed. Pods read it when they
 * next mount their secrets (the next rollout at the latest).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { appSecretPrefix } from "../constructs/app-secrets";
import { loadPlatformFile, PlatformConfig, PlatformFileError } from "../platform/model";

const USAGE = `usage: npm run secret -- set <app> <environment> <NAME> [--platform FILE]
  Reads the value from stdin: typed (not echoed) on a terminal, or piped, e.g.
    npm run secret -- set shop prod API_KEY < api-key.txt
  One trailing newline is dropped. Stores it as the secret's current version with the AWS CLI
  (aws secretsmanager put-secret-value), using your AWS credentials for the environment's account
  (AWS_PROFILE and the like). Needs no access to the cluster.
  --platform FILE  the platform file (default: $SLIPWAY_PLATFORM_FILE or platform.yaml)`;

/** Where `set` stores a value: the secret's name and region, from the platform file. */
export interface SecretTarget {
  readonly secretId: string;
  readonly region: string;
}

/** The secret `name` of `app` in `environment`, or a message saying what exists instead. */
export function secretTarget(platform: PlatformConfig, app: string, environment: string, name: string): SecretTarget | { error: string } {
  const appConfig = platform.apps.find((a) => a.name === app);
  if (!appConfig) return { error: `no app ${JSON.stringify(app)} in the platform file; apps: ${platform.apps.map((a) => a.name).join(", ")}` };
  const env = platform.environments.find((e) => e.name === environment);
  if (!env) return { error: `no environment ${JSON.stringify(environment)} in the platform file; environments: ${platform.environments.map((e) => e.name).join(", ")}` };
  if (!appConfig.secrets.includes(name)) {
    const declared = appConfig.secrets.length > 0 ? `its secrets: ${appConfig.secrets.join(", ")}` : "it declares no secrets";
    return { error: `${app} declares no secret ${JSON.stringify(name)} (${declared}); add it to apps[].secrets and apply first` };
  }
  return { secretId: `${appSecretPrefix(platform.name, app, environment)}/${name}`, region: env.region };
}

/** Reads the value: hidden typing on a terminal, else all of stdin; one trailing newline dropped. */
function readValue(prompt: string): string {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    let value = "";
    const buffer = Buffer.alloc(1024);
    try {
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(0, buffer, 0, buffer.length, null);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "EAGAIN") continue;
          throw error;
        }
        if (n === 0) break;
        const text = buffer.subarray(0, n).toString("utf8");
        let done = false;
        for (const ch of text) {
          if (ch === "\r" || ch === "\n") {
            done = true;
            break;
          }
          if (ch === "\u0003") throw new Error("cancelled");
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
        if (done) break;
      }
    } finally {
      stdin.setRawMode(false);
      process.stderr.write("\n");
    }
    return value;
  }
  return fs.readFileSync(0, "utf8").replace(/\r?\n$/, "");
}

export function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { platform: { type: "string", short: "p" }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] !== "set" || positionals.length !== 4) {
    console.error(USAGE);
    return 2;
  }
  const [, app, environment, name] = positionals;
  const platformFile = values.platform ?? process.env.SLIPWAY_PLATFORM_FILE ?? "platform.yaml";
  let platform: PlatformConfig;
  try {
    platform = loadPlatformFile(platformFile);
  } catch (error) {
    if (error instanceof PlatformFileError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const target = secretTarget(platform, app, environment, name);
  if ("error" in target) {
    console.error(`${platformFile}: ${target.error}`);
    return 2;
  }

  let value: string;
  try {
    value = readValue(`Value of ${name} for ${app} in ${environment} (input hidden, Enter ends): `);
  } catch {
    console.error("Cancelled: nothing was set.");
    return 130;
  }
  if (value === "") {
    console.error(`Refused: the value of ${name} is empty. Nothing was set.`);
    return 2;
  }

  // The value goes to the AWS CLI on its stdin: never an argument (visible in `ps`), never a file.
  const result = spawnSync(
    "aws",
    ["secretsmanager", "put-secret-value", "--region", target.region, "--secret-id", target.secretId, "--secret-string", "file:///dev/stdin", "--query", "VersionId", "--output", "text"],
    { input: value, stdio: ["pipe", "pipe", "inherit"], encoding: "utf8" },
  );
  if (result.error) {
    console.error(`Could not run the AWS CLI (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}): install it and sign in to the account of ${environment}. Nothing was set.`);
    return 1;
  }
  if (result.status !== 0) {
    console.error(`aws secretsmanager put-secret-value failed for ${target.secretId} (exit ${result.status}): see its message above. Nothing was set.`);
    return 1;
  }
  const version = result.stdout.trim();
  console.log(`Set ${target.secretId}${version ? ` (version ${version})` : ""}.`);
  console.log(`${app}'s pods in ${environment} read it when they next start (the next deploy, or re-run the last one); their mounted files follow within about 2 minutes.`);
  return 0;
}
