/**
 * Where a test run's time goes, when asked for: with SLIPWAY_TEST_PROFILE=<file>, every test file
 * appends one line of JSON to that file with the CPU it used, its own and its children's (bash
 * steps, node scripts, Terraform, PostgreSQL), and every memory-heavy command that holds one of the
 * run's slots (./slots.ts) one line with how long it waited for the slot and held it. `node scripts/test-profile.js <file>` sums them up.
 *
 * Measured from inside the worker, so it costs nothing when unset: jest-setup.ts takes the file's
 * starting point before the test file is loaded (module loading counts) and writes its line after
 * the file's tests. A child counts once it has ended and been waited for, as every child of a
 * test file is by then; the file's own `afterAll` hooks that run after this one are not counted.
 */
import * as fs from "node:fs";

/** The environment variable naming the profile file (JSON lines, appended to). */
export const PROFILE_VARIABLE = "SLIPWAY_TEST_PROFILE";

/** One test file's line. */
export interface FileProfile {
  readonly kind: "file";
  /** The file, relative to `__tests__/`. */
  readonly file: string;
  /** Seconds of CPU, user + system, of the worker and its waited-for children while the file ran. */
  readonly cpu: number;
  /** Seconds of wall time from loading the file to its last test. */
  readonly wall: number;
  readonly pid: number;
}

/** One line per memory-heavy command that held a slot (./slots.ts): Terraform with the aws provider, TypeDoc, a build. */
export interface SlotProfile {
  readonly kind: "slot";
  readonly file: string;
  /** What ran: `terraform plan`, `typedoc`, … */
  readonly command: string;
  /** How many such commands the run allows at once (SLIPWAY_SLOTS). */
  readonly slots: number;
  /** Seconds spent waiting for a slot. */
  readonly waited: number;
  /** Seconds the command held it. */
  readonly wall: number;
}

export type ProfileLine = FileProfile | SlotProfile;

/** Whether this run is being profiled. */
export function profiling(): boolean {
  return !!process.env[PROFILE_VARIABLE];
}

/** Appends one line to the profile; nothing when the run is not profiled. */
export function recordProfile(line: ProfileLine): void {
  const file = process.env[PROFILE_VARIABLE];
  if (file) fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/**
 * Seconds of CPU this process and its waited-for children have used: `/proc/self/stat`'s utime,
 * stime, cutime and cstime on Linux; elsewhere only this process's own (`process.cpuUsage`).
 */
export function cpuSeconds(stat: string | undefined = readStat()): number {
  if (stat !== undefined) {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime are fields 14-17 of stat(5), 12-15 here; in clock ticks, which
    // are 100 a second on every Linux Node runs on (USER_HZ).
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  }
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function readStat(): string | undefined {
  try {
    return fs.readFileSync("/proc/self/stat", "utf8");
  } catch {
    return undefined;
  }
}

/** The running test file, relative to `__tests__/`, or "" outside a test file. */
export function currentTestFile(): string {
  const testPath = typeof expect === "undefined" ? undefined : expect.getState().testPath;
  return testPath ? testPath.replace(/^.*[\\/]__tests__[\\/]/, "") : "";
}
