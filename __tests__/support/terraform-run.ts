/**
 * Running the Terraform CLI from the tests, shared by the harness (`terraform.ts`) and the
 * hand-written-state plans (`terraform-state.ts`): one `terraform init` against the provider
 * mirror, working folders that reuse its result without an init of their own, and a limit on how
 * many commands that start the aws provider run at once across the whole jest run.
 *
 * Why a limit: each such command holds the 700 MB hashicorp/aws plugin in memory (about 800 MiB
 * proportional set size with Terraform itself; the plugin's 430 MiB of mapped binary is shared
 * between concurrent ones) and keeps a core busy for seconds. Two jest workers each running a
 * check with two stacks at a time put four of them side by side, over 2 GiB, on a 2-core machine
 * with a 1.5 GB budget for the whole `npm test` tree. The slots live in a folder that jest's
 * global setup (`global-setup.ts`) creates for the run and names in
 * SLIPWAY_TERRAFORM_SLOTS_DIR, so every worker sees the same ones; SLIPWAY_TERRAFORM_SLOTS sets
 * how many (default 1). Without that variable (a file run outside this jest config) the limit is
 * per process.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

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

/** Where the run's slots live (set by jest's global setup), and how many there are. */
export const SLOTS_DIR_VARIABLE = "SLIPWAY_TERRAFORM_SLOTS_DIR";
export const SLOTS_VARIABLE = "SLIPWAY_TERRAFORM_SLOTS";

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
  return WITHOUT_PROVIDER.has(args[0]) ? exec() : withSlot(exec);
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

// --- slots -------------------------------------------------------------------------------

const SLOT_POLL_MS = 50;
let localSlotsDir: string | undefined;

function slotsDir(): string {
  const shared = process.env[SLOTS_DIR_VARIABLE];
  if (shared && fs.existsSync(shared)) return shared;
  // Outside jest's global setup: a limit for this process only.
  if (!localSlotsDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-terraform-slots-local-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    localSlotsDir = dir;
  }
  return localSlotsDir;
}

/** How many commands may start the provider at once (SLIPWAY_TERRAFORM_SLOTS, default 1). */
export function slotCount(): number {
  const n = Number(process.env[SLOTS_VARIABLE] ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Whether the process that took a slot (`<pid>` in the file) is gone, so the slot is free again. */
function stale(file: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, "utf8"));
  } catch {
    return false; // released meanwhile, or being written: try again
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Takes a free slot (a file created exclusively), or undefined when all are taken. */
function tryTake(dir: string): string | undefined {
  for (let i = 0; i < slotCount(); i++) {
    const file = path.join(dir, `slot-${i}`);
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A worker that died holding it (killed by a timeout, say) frees it.
      if (stale(file)) fs.rmSync(file, { force: true });
    }
  }
  return undefined;
}

async function withSlot<T>(f: () => Promise<T>): Promise<T> {
  const dir = slotsDir();
  let slot = tryTake(dir);
  while (!slot) {
    await new Promise((resolve) => setTimeout(resolve, SLOT_POLL_MS));
    slot = tryTake(dir);
  }
  try {
    return await f();
  } finally {
    fs.rmSync(slot, { force: true });
  }
}
