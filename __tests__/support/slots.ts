/**
 * A run-wide limit on the test suite's memory-heavy child commands: each takes a slot first, and
 * there are SLIPWAY_SLOTS of them (default 1) across every jest worker.
 *
 * Why: the suite's memory budget is 1.5 GB for the whole process tree on a 2-core machine (issue
 * 15). The two jest workers hold about 300-600 MiB together; a command that holds the 700 MB
 * hashicorp/aws plugin (Terraform: about 450-650 MiB proportional set size with its provider
 * processes; the plugin's mapped binary is shared between concurrent ones) or compiles the whole
 * project (TypeDoc, the package build, a type-check: 250-350 MiB) is the rest. Two of them side by
 * side, one from each worker, took the tree over the budget; one at a time keeps it under, and
 * they are CPU-bound anyway on two cores.
 *
 * The slots are files under a folder jest's global setup (`global-setup.ts`) creates for the run
 * and names in SLIPWAY_SLOTS_DIR, so every worker sees the same ones; a slot is taken by creating
 * its file exclusively, and freed by removing it, or by its holder dying. Without that variable (a
 * file run outside this jest config) the limit is per process.
 *
 * With SLIPWAY_TEST_PROFILE set, each slotted command writes a line: how long it waited and ran
 * (support/profile.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { currentTestFile, profiling, recordProfile } from "./profile";

/** Where the run's slots live (set by jest's global setup), and how many there are. */
export const SLOTS_DIR_VARIABLE = "SLIPWAY_SLOTS_DIR";
export const SLOTS_VARIABLE = "SLIPWAY_SLOTS";

const SLOT_POLL_MS = 50;
let localSlotsDir: string | undefined;
/** The command holding a slot in the current async context: a slot asked for inside it would wait for itself. */
const holding = new AsyncLocalStorage<string>();

function slotsDir(): string {
  const shared = process.env[SLOTS_DIR_VARIABLE];
  if (shared && fs.existsSync(shared)) return shared;
  // Outside jest's global setup: a limit for this process only.
  if (!localSlotsDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-slots-local-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    localSlotsDir = dir;
  }
  return localSlotsDir;
}

/** How many heavy commands may run at once (SLIPWAY_SLOTS, default 1). */
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

/**
 * Runs `f`, a memory-heavy command named `command` (`terraform plan`, `typedoc`, …), once a slot
 * is free, and frees the slot when it settles. Asking for a slot inside `f` throws: with one slot it
 * would wait for itself.
 */
export async function withSlot<T>(command: string, f: () => T | Promise<T>): Promise<T> {
  const outer = holding.getStore();
  if (outer !== undefined) throw new Error(`withSlot("${command}") inside withSlot("${outer}"): with one slot it would wait for itself forever; take the slot once, around both`);
  const dir = slotsDir();
  const asked = performance.now();
  let slot = tryTake(dir);
  while (!slot) {
    await new Promise((resolve) => setTimeout(resolve, SLOT_POLL_MS));
    slot = tryTake(dir);
  }
  const started = performance.now();
  try {
    return await holding.run(command, f);
  } finally {
    fs.rmSync(slot, { force: true });
    if (profiling()) {
      const seconds = (ms: number) => Math.round(ms / 10) / 100;
      recordProfile({ kind: "slot", file: currentTestFile(), command, slots: slotCount(), waited: seconds(started - asked), wall: seconds(performance.now() - started) });
    }
  }
}
