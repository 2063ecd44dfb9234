/**
 * The test run's profile: what a file and a slotted command record under SLIPWAY_TEST_PROFILE
 * (__tests__/support/profile.ts), and `node scripts/test-profile.js`, which sums it up.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cpuSeconds, currentTestFile, PROFILE_VARIABLE, ProfileLine, recordProfile } from "../support/profile";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "test-profile.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { summarize, readProfile, print } = require(SCRIPT) as {
  summarize: (entries: ProfileLine[]) => Json;
  readProfile: (file: string) => ProfileLine[];
  print: (summary: Json, top: number) => string;
};
type Json = any;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-profile-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function profileFile(name: string, entries: readonly object[]): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return file;
}

const file = (name: string, cpu: number, wall: number, pid = 1): ProfileLine => ({ kind: "file", file: name, cpu, wall, pid });
const slot = (name: string, command: string, wall: number, waited = 0, slots = 1): ProfileLine => ({ kind: "slot", file: name, command, slots, waited, wall });

const RUN: ProfileLine[] = [
  file("a.test.ts", 2.5, 3, 1),
  file("tf.test.ts", 10.25, 8, 2),
  file("b.test.ts", 0.5, 1, 1),
  slot("tf.test.ts", "terraform plan", 3.5, 0.5),
  slot("tf.test.ts", "terraform plan", 2.25),
  slot("tf.test.ts", "terraform show", 1.5, 1),
  slot("b.test.ts", "typedoc", 0.25),
];

describe("cpuSeconds", () => {
  test("adds utime, stime, cutime and cstime of /proc/self/stat, in ticks of 1/100 s, after a command name holding spaces and parentheses", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const stat = "4242 (node (worker) 1) S 1 2 3 0 -1 4194304 10 20 30 40 150 25 300 5 20 0 1 0";
    expect(cpuSeconds(stat)).toBe(4.8);
  });

  test("grows with the CPU this process spends, and with a child's once it has ended", () => {
    const before = cpuSeconds();
    const own = process.cpuUsage();
    let spin = 0;
    while (process.cpuUsage(own).user < 200_000) spin++;
    expect(spin).toBeGreaterThan(0);
    const afterOwn = cpuSeconds();
    // Clock ticks are 10 ms: allow one either side.
    expect(afterOwn - before).toBeGreaterThanOrEqual(0.19);
    // A child that spends 0.3 s of CPU on its own before it exits.
    const child = spawnSync(process.execPath, ["-e", "const s = process.cpuUsage(); while (process.cpuUsage(s).user < 300000);"]);
    expect(child.status).toBe(0);
    expect(cpuSeconds() - afterOwn).toBeGreaterThanOrEqual(0.29);
  });
});

describe("recording", () => {
  test("nothing is written when the run is not profiled; a line per record when it is, naming the test file", () => {
    const target = path.join(work, "recorded.jsonl");
    const saved = process.env[PROFILE_VARIABLE];
    try {
      delete process.env[PROFILE_VARIABLE];
      recordProfile(file(currentTestFile(), 1, 1));
      expect(fs.existsSync(target)).toBe(false);
      process.env[PROFILE_VARIABLE] = target;
      recordProfile(file(currentTestFile(), 1.5, 2, 7));
      recordProfile(slot(currentTestFile(), "terraform plan", 3));
    } finally {
      if (saved === undefined) delete process.env[PROFILE_VARIABLE];
      else process.env[PROFILE_VARIABLE] = saved;
    }
    expect(readProfile(target)).toEqual([file("cli/test-profile.test.ts", 1.5, 2, 7), slot("cli/test-profile.test.ts", "terraform plan", 3)]);
  });
});

describe("the summary", () => {
  test("totals the files' CPU, sorts them by it and gives each its time in a slot; counts the slotted commands by kind", () => {
    const summary = summarize(RUN);
    expect(summary.files).toBe(3);
    expect(summary.workers).toBe(2);
    expect(summary.cpu).toBe(13.3);
    expect(summary.byFile).toEqual([
      { file: "tf.test.ts", cpu: 10.25, wall: 8, slotted: 7.3 },
      { file: "a.test.ts", cpu: 2.5, wall: 3, slotted: 0 },
      { file: "b.test.ts", cpu: 0.5, wall: 1, slotted: 0.3 },
    ]);
    expect(summary.slotted).toEqual({
      commands: 4,
      wall: 7.5,
      waited: 1.5,
      slots: 1,
      byCommand: { "terraform plan": { count: 2, wall: 5.8 }, "terraform show": { count: 1, wall: 1.5 }, typedoc: { count: 1, wall: 0.3 } },
    });
  });

  test("the printed report: the top files and, with one slot, the floor the one-at-a-time commands put under the run", () => {
    const lines = print(summarize(RUN), 2).split("\n");
    expect(lines[0]).toBe("3 test files in 2 workers: 13.3 s of CPU (the workers and every child they waited for)");
    expect(lines[1]).toBe("the 2 that used most:");
    expect(lines.slice(3, 5)).toEqual(["      10.3      8.0        7.3  tf.test.ts", "       2.5      3.0          -  a.test.ts"]);
    expect(lines[5]).toBe(
      "memory-heavy commands: 4 held a slot, 7.5 s in all: terraform plan 2 (5.8 s), terraform show 1 (1.5 s), typedoc 1 (0.3 s); 1.5 s spent waiting for one",
    );
    expect(lines[6]).toBe("with one slot they ran one at a time: no run of these tests can take less than 7.5 s of wall time");
    expect(lines).toHaveLength(7);
  });

  test("with more than one slot no floor is claimed", () => {
    const lines = print(summarize([file("x.test.ts", 1, 1), slot("x.test.ts", "terraform plan", 2, 0, 2)]), 5).split("\n");
    expect(lines.some((l) => l.includes("one at a time"))).toBe(false);
  });
});

describe("node scripts/test-profile.js", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });

  test("prints the report, or the summary as JSON", () => {
    const profile = profileFile("run.jsonl", RUN);
    const printed = run("--top", "1", profile);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(`${print(summarize(RUN), 1)}\n`);
    const json = run("--json", profile);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(summarize(RUN));
  });

  test("bad input: exit 2 and a message naming the file and line, or what is valid", () => {
    const broken = profileFile("broken.jsonl", [RUN[0]]);
    fs.appendFileSync(broken, "{not json\n");
    expect(run(broken)).toMatchObject({ status: 2, stderr: `test-profile: ${broken}:2: not JSON: {not json\n` });
    const wrongKind = profileFile("kind.jsonl", [{ kind: "suite" }]);
    expect(run(wrongKind)).toMatchObject({ status: 2, stderr: `test-profile: ${wrongKind}:1: kind must be "file" or "slot" (got "suite")\n` });
    expect(run("--top", "0", broken)).toMatchObject({ status: 2, stderr: "test-profile: --top needs a whole number of files, 1 or more (got 0)\n" });
    expect(run("--fast", broken)).toMatchObject({ status: 2, stderr: "test-profile: unknown option --fast (valid: --top N, --json)\n" });
    expect(run().stderr).toMatch(/^test-profile: usage: node scripts\/test-profile\.js/);
  });
});
