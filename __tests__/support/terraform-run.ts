/**
 * Running the Terraform CLI from the tests, shared by the harness (`terraform.ts`) and the
 * hand-written-state plans (`terraform-state.ts`): one `terraform init` against the provider
 * mirror, working folders that reuse its result without an init of their own, and a limit on how
 * many commands that start the aws provider run at once across the whole jest run.
 *
 * Every command that starts the aws provider takes one of the run's slots first (./slots.ts): each
 * holds the 700 MB hashicorp/aws plugin in memory and keeps a core busy for seconds, and two side
 * by side took the whole `npm test` tree over its 1.5 GB budget.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { withSlot } from "./slots";

/** The hashicorp/aws version every Terraform check runs (the one cdktf's @cdktf/provider-aws 20.1.0 generates for). */
export const AWS_PROVIDER_VERSION = "5.100.0";

export interface TerraformTools {
  readonly terraform: string;
  readonly pluginDir: string;
}

export interface CommandResult {
  readonly code: number;
  readonly output: string;
}

/** Commands that never start a provider plugin: they run without taking a slot. */
const WITHOUT_PROVIDER = new Set(["init", "output", "version", "fmt"]);

/** The environment of every Terraform command: an empty CLI configuration, no prompts, no update check. */
export function terraformEnv(work: string): NodeJS.ProcessEnv {
  const rc = path.join(work, "terraformrc");
  if (!fs.existsSync(rc)) fs.writeFileSync(rc, "");
  return { ...process.env, TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
}

/** `terraform <args>` in `cwd`, stdout and stderr together; a command that starts the provider waits for a slot first. */
export async function runTerraform(tools: TerraformTools, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  const exec = () =>
    new Promise<CommandResult>((resolve) => {
      execFile(tools.terraform, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      });
    });
  return WITHOUT_PROVIDER.has(args[0]) ? exec() : withSlot(`terraform ${args[0]}`, exec);
}

/**
 * `terraform init` of the aws provider from the mirror in `dir` (without a configuration there,
 * one requiring only it): the one install that {@link useProviders} then shares with every
 * working folder.
 */
export async function initProviders(tools: TerraformTools, dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  // A configuration already there (a root calling local modules, say) is initialised as it is.
  const config = path.join(dir, "main.tf.json");
  if (!fs.existsSync(config)) fs.writeFileSync(config, JSON.stringify({ terraform: { required_providers: { aws: { source: "hashicorp/aws", version: AWS_PROVIDER_VERSION } } } }));
  const init = await runTerraform(tools, ["init", "-input=false", "-no-color", "-backend=false", `-plugin-dir=${tools.pluginDir}`], dir, env);
  if (init.code !== 0) throw new Error(`terraform init against ${tools.pluginDir} failed:\n${init.output}`);
}

/**
 * Makes `dir` an initialised working folder without running `terraform init` there (a second
 * init costs 1.5 s of CPU, most of it hashing the 700 MB plugin): the providers folder of
 * `initDir` (a symlink into the mirror) and its lock file. The lock file is written without the
 * package's checksum: with one, every later command hashes the whole plugin again (0.5 s of CPU
 * each) to verify a file `initDir`'s init has just installed from the same mirror, and the version
 * is still pinned. The configuration in `dir` must have no backend block (a backend needs an init
 * of its own): Terraform then uses the local state file `terraform.tfstate` there.
 */
export function useProviders(initDir: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(initDir, ".terraform"), path.join(dir, ".terraform"), { recursive: true, verbatimSymlinks: true });
  const lock = fs.readFileSync(path.join(initDir, ".terraform.lock.hcl"), "utf8");
  fs.writeFileSync(path.join(dir, ".terraform.lock.hcl"), lock.replace(/^\s*hashes\s*=\s*\[[^\]]*\]\s*\n/m, ""));
}
