/**
 * `npm run bench` (cli/bench.ts): the generated platform files are valid and distinct where they
 * must be, the goals are judged right, and the report has its shape. Timings are never asserted.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { BARE_CASE, BENCH_ENVIRONMENTS, BenchReport, EXAMPLE_CASE, formatReport, generatedPlatform, judgeGoals, main, Measurement, median, profileByPackage, PullRequestMeasurement } from "../../cli/bench";
import { parsePlatform } from "../../platform/model";
import { tempDir } from "../support/platform";
import { withSlot } from "../support/slots";

describe("generatedPlatform", () => {
  test.each([1, 10, 50])("%i apps: a valid platform file, every app in dev, staging and production", (apps) => {
    const platform = parsePlatform(generatedPlatform(apps), `bench-${apps}.yaml`);
    expect(platform.apps).toHaveLength(apps);
    expect(platform.environments.map((e) => e.name)).toEqual([...BENCH_ENVIRONMENTS]);
    expect(platform.environments.map((e) => e.production)).toEqual([false, false, true]);
    expect(new Set(platform.apps.map((a) => a.name)).size).toBe(apps);
    expect(new Set(platform.apps.map((a) => a.nodePort)).size).toBe(apps);
    const domains = platform.apps.flatMap((a) => BENCH_ENVIRONMENTS.map((env) => a.domains[env]));
    expect(domains.every((d) => typeof d === "string")).toBe(true);
    expect(new Set(domains).size).toBe(apps * 3);
  });

  test("apps are shaped like the example's: probes, replicas, a secret, tests, migrations, a production override", () => {
    const doc = parse(generatedPlatform(2));
    expect(doc.apps.map((a: { name: string }) => a.name)).toEqual(["app01", "app02"]);
    expect(doc.apps[1]).toMatchObject({ port: 8080, healthPath: "/healthz", secrets: ["SESSION_KEY"], migrate: "npm run migrate", nodePort: 30001, overrides: { production: { replicas: { min: 3, max: 12 } } } });
    expect(parse(generatedPlatform(100)).apps[99].name).toBe("app100");
  });

  test("fails when the size is not a positive integer", () => {
    expect(() => generatedPlatform(0)).toThrow("apps: expected an integer from 1 to 999, received 0");
    expect(() => generatedPlatform(1.5)).toThrow(/received 1.5/);
  });
});

const measurement = (m: Partial<Measurement> & Pick<Measurement, "name" | "medianMs">): Measurement => ({
  runs: 3,
  minMs: m.medianMs,
  maxMs: m.medianMs,
  peakRssMiB: 100,
  stacks: 1,
  resources: 1,
  ratioToBare: 1,
  ...m,
});

describe("judgeGoals", () => {
  test("the example within 4x, 50 apps under 12 s and 1 GiB, cost per app at 50 no higher than at 10", () => {
    const goals = judgeGoals([
      measurement({ name: BARE_CASE, medianMs: 150 }),
      measurement({ name: EXAMPLE_CASE, medianMs: 600, ratioToBare: 4 }),
      measurement({ name: "10", apps: 10, medianMs: 1200, msPerApp: 120 }),
      measurement({ name: "50", apps: 50, medianMs: 5000, msPerApp: 100, peakRssMiB: 300 }),
    ]);
    expect(goals.map((g) => [g.goal, g.measured, g.met])).toEqual([
      ["example platform within 4x the bare app", "4.00x", true],
      ["50 apps x 3 environments under 12 s", "5.00 s", true],
      ["50 apps x 3 environments under 1 GiB peak RSS", "300 MiB", true],
      ["cost per app at 50 apps no higher than at 10 (linear or better)", "100 vs 120 ms/app", true],
    ]);
  });

  test("misses are reported as misses", () => {
    const goals = judgeGoals([
      measurement({ name: EXAMPLE_CASE, medianMs: 700, ratioToBare: 4.2 }),
      measurement({ name: "10", apps: 10, medianMs: 1000, msPerApp: 100 }),
      measurement({ name: "50", apps: 50, medianMs: 12500, msPerApp: 250, peakRssMiB: 1100 }),
    ]);
    expect(goals.map((g) => g.met)).toEqual([false, false, false, false]);
  });

  test("only the goals whose cases were measured", () => {
    expect(judgeGoals([measurement({ name: BARE_CASE, medianMs: 150 })])).toEqual([]);
  });

  const pullRequest = (apps: number, planned: string[]): PullRequestMeasurement => ({ apps, changedApp: "app001", planned, stacks: 408, planJobs: planned.length, headSynthMs: 1, baseSynthMs: 1, affectedMs: 1 });
  const mine = ["app001-dev", "app001-staging", "app001-production"];

  test("a one-app pull request: at most 4 stacks, all of the changed app, judged at every size; a property, so required", () => {
    const goals = judgeGoals([], [pullRequest(10, mine), pullRequest(100, [...mine, "app001-delivery"])]);
    expect(goals).toEqual([
      { goal: "a one-app change in 10 apps x 3 environments plans at most 4 stacks, all of that app", measured: "3 of 408 stacks planned", met: true, required: true },
      { goal: "a one-app change in 100 apps x 3 environments plans at most 4 stacks, all of that app", measured: "4 of 408 stacks planned", met: true, required: true },
    ]);
  });

  test("a one-app pull request that plans a fifth stack, or another app's, fails", () => {
    const goals = judgeGoals([], [pullRequest(100, [...mine, "app001-delivery", "platform-dev"]), pullRequest(100, ["app001-dev", "app0010-dev"]), pullRequest(100, ["app001-dev", "app002-dev"])]);
    expect(goals.map((g) => [g.measured, g.met])).toEqual([
      ["5 of 408 stacks planned, 1 of another: platform-dev", false],
      ["2 of 408 stacks planned, 1 of another: app0010-dev", false],
      ["2 of 408 stacks planned, 1 of another: app002-dev", false],
    ]);
    expect(formatReport({ node: "v20", cpus: 2, measurements: [], goals })).toContain("goals:\n  FAILED  a one-app change in 100 apps x 3 environments plans at most 4 stacks, all of that app: 5 of 408 stacks planned, 1 of another: platform-dev");
  });
});

test("median of odd and even counts", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test("profileByPackage: self time per package, node internals, GC and Slipway's bundle apart", () => {
  const dir = tempDir("slipway-bench-prof-");
  try {
    const file = path.join(dir, "p.cpuprofile");
    const frame = (url: string, functionName = "f") => ({ url, functionName });
    fs.writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame("file:///p/node_modules/cdktf/lib/app.js") },
          { id: 2, callFrame: frame("file:///p/node_modules/@cdktf/provider-aws/lib/vpc/index.js") },
          { id: 3, callFrame: frame("", "(garbage collector)") },
          { id: 4, callFrame: frame("node:internal/modules/cjs/loader") },
          { id: 5, callFrame: frame("file:///p/.build/synth.js") },
        ],
        samples: [1, 1, 2, 3, 4, 5, 1],
        timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 2000],
      }),
    );
    const result = profileByPackage(file);
    expect(result.totalMs).toBe(8);
    expect(result.byPackage).toEqual([
      { name: "cdktf", ms: 4, share: 0.5 },
      { name: "@cdktf/provider-aws", ms: 1, share: 0.125 },
      { name: "(garbage collector)", ms: 1, share: 0.125 },
      { name: "node (module loading, fs)", ms: 1, share: 0.125 },
      { name: "slipway (bundled .build/*.js)", ms: 1, share: 0.125 },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("the report", () => {
  let report: BenchReport;
  beforeAll(() => {
    // The cheapest real run: the bare app only, once (plus its warm-up).
    const out: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
    try {
      expect(main(["--runs", "1", "--sizes", "", "--no-example", "--pull-request", "", "--json"])).toBe(0);
    } finally {
      log.mockRestore();
    }
    report = JSON.parse(out.join("\n"));
  });

  test("--json: node, CPUs, a measurement per case with its fields, the goals", () => {
    expect(Object.keys(report).sort()).toEqual(["cpus", "goals", "measurements", "node"]);
    expect(report.node).toBe(process.version);
    expect(report.measurements).toEqual([
      {
        name: BARE_CASE,
        runs: 1,
        medianMs: expect.any(Number),
        minMs: expect.any(Number),
        maxMs: expect.any(Number),
        peakRssMiB: expect.any(Number),
        stacks: 1,
        resources: 1,
        ratioToBare: 1,
      },
    ]);
    expect(report.measurements[0].peakRssMiB).toBeGreaterThan(10);
    expect(report.goals).toEqual([]);
  });

  test("the table: a header and a row per case; the goals with met or MISSED", () => {
    const text = formatReport({ ...report, goals: [{ goal: "g", measured: "5.00x", met: false }] });
    const lines = text.split("\n");
    expect(lines[2]).toMatch(/^case\s+median\s+vs bare\s+peak RSS\s+stacks\s+resources\s+per app\s+runs \(range\)$/);
    expect(lines[3]).toMatch(/^bare cdktf app \(1 S3 bucket, compiled JS\)\s+\d+\.\d\d s\s+1\.00x\s+\d+ MiB\s+1\s+1\s+-\s+1 \(/);
    expect(text).toContain("goals:\n  MISSED  g: 5.00x");
  });

  test("bad options: exit 2 with the option named", () => {
    const err = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(main(["--runs", "0"])).toBe(2);
      expect(main(["--sizes", "1,x"])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^--runs: /), expect.stringMatching(/^--sizes: .*"1,x"/)]);
    } finally {
      err.mockRestore();
    }
  });
});

test("a one-app pull request: head and base synthesized, the plan jobs slipway affected selects of all stacks", async () => {
  const out: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  try {
    // Two synths in their own processes: memory-heavy commands, one slot.
    expect(await withSlot("npm run bench --pull-request 2", () => main(["--runs", "1", "--sizes", "", "--no-example", "--pull-request", "2", "--json"]))).toBe(0);
  } finally {
    log.mockRestore();
  }
  const report: BenchReport = JSON.parse(out.join("\n"));
  // 2 bootstrap (two accounts), 3 platform and 3 kube-system stacks, 4 per app; the changed app's
  // environment variable reaches its three environment stacks only.
  expect(report.pullRequests).toEqual([
    { apps: 2, changedApp: "app01", planned: ["app01-dev", "app01-staging", "app01-production"], stacks: 16, planJobs: 3, headSynthMs: expect.any(Number), baseSynthMs: expect.any(Number), affectedMs: expect.any(Number) },
  ]);
  expect(report.goals).toEqual([{ goal: "a one-app change in 2 apps x 3 environments plans at most 4 stacks, all of that app", measured: "3 of 16 stacks planned", met: true, required: true }]);
  expect(formatReport(report)).toMatch(/\n {2}2 apps: 3 of 16 stacks planned; synth head \d+\.\d\d s \+ base \d+\.\d\d s = \d+\.\d\d s, slipway affected \d+\.\d\d s\n/);
  expect(formatReport(report)).toContain("goals:\n  met     a one-app change in 2 apps x 3 environments plans at most 4 stacks");
});
