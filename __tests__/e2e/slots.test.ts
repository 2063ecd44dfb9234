/**
 * The run-wide limit on memory-heavy commands (__tests__/support/slots.ts), which keeps the whole
 * `npm test` tree under its memory budget: with one slot no two commands overlap, more slots let
 * that many run, a slot held by a process that died is taken back, and a profiled run gets a line
 * per command. Each test uses a slots folder of its own, not the run's.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROFILE_VARIABLE } from "../support/profile";
import { SLOTS_DIR_VARIABLE, SLOTS_VARIABLE, withSlot } from "../support/slots";

const saved = { dir: process.env[SLOTS_DIR_VARIABLE], slots: process.env[SLOTS_VARIABLE], profile: process.env[PROFILE_VARIABLE] };
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-slots-test-"));
  process.env[SLOTS_DIR_VARIABLE] = dir;
  delete process.env[SLOTS_VARIABLE];
  delete process.env[PROFILE_VARIABLE];
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, value] of [
    [SLOTS_DIR_VARIABLE, saved.dir],
    [SLOTS_VARIABLE, saved.slots],
    [PROFILE_VARIABLE, saved.profile],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Runs `n` commands of `ms` each through the slots at once; returns how many ran together at most. */
async function mostAtOnce(n: number, ms: number): Promise<number> {
  let running = 0;
  let most = 0;
  const command = () =>
    withSlot("sleep", async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
    });
  await Promise.all(Array.from({ length: n }, command));
  return most;
}

test("with one slot (the default) commands run one at a time, and each frees its slot, also when it throws", async () => {
  expect(await mostAtOnce(4, 60)).toBe(1);
  await expect(withSlot("failing", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
  expect(fs.readdirSync(dir)).toEqual([]);
  await expect(withSlot("after", () => "ran")).resolves.toBe("ran");
});

test("SLIPWAY_SLOTS=2 lets two run at once, never three", async () => {
  process.env[SLOTS_VARIABLE] = "2";
  expect(await mostAtOnce(5, 80)).toBe(2);
});

test("a slot held by a process that has ended is taken back; one held by a live process is waited for", async () => {
  const ended = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  fs.writeFileSync(path.join(dir, "slot-0"), ended.stdout);
  await expect(withSlot("after a dead holder", () => "ran")).resolves.toBe("ran");

  fs.writeFileSync(path.join(dir, "slot-0"), String(process.pid));
  let ran = false;
  const waiting = withSlot("behind a live holder", () => {
    ran = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(ran).toBe(false);
  fs.rmSync(path.join(dir, "slot-0"));
  await waiting;
  expect(ran).toBe(true);
});

test("a profiled run gets a line per command: its name, the file, how long it waited and held the slot", async () => {
  const profile = path.join(dir, "profile.jsonl");
  process.env[PROFILE_VARIABLE] = profile;
  fs.writeFileSync(path.join(dir, "slot-0"), String(process.pid));
  setTimeout(() => fs.rmSync(path.join(dir, "slot-0")), 150);
  await withSlot("terraform plan", () => new Promise((resolve) => setTimeout(resolve, 100)));
  const lines = fs.readFileSync(profile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toEqual({ kind: "slot", file: "e2e/slots.test.ts", command: "terraform plan", slots: 1, waited: expect.any(Number), wall: expect.any(Number) });
  expect(lines[0].waited).toBeGreaterThanOrEqual(0.1);
  expect(lines[0].wall).toBeGreaterThanOrEqual(0.09);
});

test("a slot asked for while holding one throws at once, naming both, instead of waiting for itself; side by side is fine", async () => {
  await expect(withSlot("outer", () => withSlot("inner", () => "never"))).rejects.toThrow(
    'withSlot("inner") inside withSlot("outer"): with one slot it would wait for itself forever; take the slot once, around both',
  );
  expect(fs.readdirSync(dir)).toEqual([]);
  // Two callers of one process waiting side by side (as a check planning two stacks does) are not nested.
  await expect(Promise.all([withSlot("a", () => 1), withSlot("b", () => 2)])).resolves.toEqual([1, 2]);
});
