/**
 * `npm run synth`'s success output (cli/synth.ts, cli/output.ts): the summary per stack with
 * resources per provider and per type, the app URLs, quiet CI mode, colour only on a terminal and
 * never with NO_COLOR, the progress line, and the `--json` shape. One synthesis of the example
 * platform serves the formatting tests and the progress events (and its output is the earlier synth
 * a later one runs over); `main` runs three more times for the conventions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Lazy } from "cdktf";
import { colourEnabled, columns, isCI, painter, progress, visibleLength, wrap } from "../../cli/output";
import { formatSummary, main, summaryJson, SynthProgress, SynthResult, synthesize, typeLines } from "../../cli/synth";
import { tokenStacksRequested, withoutTokenCreationStacks } from "../../cli/token-stacks";
import { captureConsole, Captured, EnvChanges } from "../support/console";
import { EXAMPLE_FILE, tempDir } from "../support/platform";
import { loadSynthesizedOutput } from "../../synthesized";

type Json = Record<string, any>;
const ANSI = /\u001b\[/;

const work = tempDir("slipway-synth-output-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let result: SynthResult;
/** What that synthesis reported as it went (`onProgress`). */
const progressEvents: SynthProgress[] = [];
beforeAll(() => {
  result = synthesize({ platformFile: EXAMPLE_FILE, outdir: path.join(work, "out"), onProgress: (e) => progressEvents.push(e) });
});

/** Runs `main` in-process with `env` and `process.stdout.isTTY` set, capturing what it prints. */
function runMain(argv: string[], env: EnvChanges, stdoutIsTTY = false): Captured<number> {
  const savedTTY = Object.getOwnPropertyDescriptor(process.stdout, "isTTY");
  Object.defineProperty(process.stdout, "isTTY", { value: stdoutIsTTY, configurable: true });
  try {
    return captureConsole(() => main(argv), env);
  } finally {
    if (savedTTY) Object.defineProperty(process.stdout, "isTTY", savedTTY);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
}

/** Resources per type, counted straight from a stack's cdk.tf.json. */
function typesInFile(stack: string): Record<string, number> {
  const json = JSON.parse(fs.readFileSync(path.join(result.outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
  return Object.fromEntries(Object.entries<Json>(json.resource ?? {}).map(([type, byName]) => [type, Object.keys(byName).length]));
}

describe("the summary's facts", () => {
  test("resources per type match each stack's cdk.tf.json, and add up to the per-provider and total counts", () => {
    expect(result.stacks.map((s) => s.name)).toEqual([
      "bootstrap-111111111111",
      "bootstrap-222222222222",
      "platform-dev",
      "platform-staging",
      "platform-prod",
      "kube-system-dev",
      "kube-system-staging",
      "kube-system-prod",
      "hello-delivery",
      "hello-dev",
      "hello-staging",
      "hello-prod",
    ]);
    for (const s of result.stacks) {
      expect(s.resourcesByType).toEqual(typesInFile(s.name));
      const byProvider: Record<string, number> = {};
      for (const [type, n] of Object.entries(s.resourcesByType)) byProvider[type.split("_")[0]] = (byProvider[type.split("_")[0]] ?? 0) + n;
      expect(s.resourcesByProvider).toEqual(byProvider);
      expect(s.resources).toBe(Object.values(s.resourcesByType).reduce((a, b) => a + b, 0));
    }
  });

  test("type counts per stack: the network and cluster of each environment, the app's resources per environment", () => {
    const stack = (name: string) => result.stacks.find((s) => s.name === name)!;
    expect(stack("platform-dev").resourcesByType).toMatchObject({ aws_vpc: 1, aws_subnet: 4, aws_nat_gateway: 1, aws_eks_cluster: 1 });
    expect(stack("platform-prod").resourcesByType).toMatchObject({ aws_subnet: 6, aws_nat_gateway: 3 });
    expect(stack("hello-delivery").resourcesByType).toMatchObject({ github_repository: 1, aws_ecr_repository: 1, github_repository_environment: 3 });
    // Two Deployments in prod: the app's and its canary's (prod releases through a canary).
    expect(stack("hello-prod").resourcesByType).toMatchObject({ aws_db_instance: 1, aws_lb: 1, aws_cloudfront_distribution: 1, kubernetes_deployment_v1: 2 });
    expect(Object.keys(stack("hello-prod").resourcesByType)).toEqual(Object.keys(stack("hello-prod").resourcesByType).sort());
  });

  test("each stack says what kind it is and what it holds", () => {
    expect(result.stacks.map((s) => s.kind)).toEqual(["bootstrap", "bootstrap", "platform", "platform", "platform", "kube-system", "kube-system", "kube-system", "delivery", "app", "app", "app"]);
    expect(result.stacks.find((s) => s.name === "bootstrap-222222222222")!.description).toMatch(/^account 222222222222: GitHub OIDC provider, read-only plan role, apply role for prod/);
    expect(result.stacks.find((s) => s.name === "hello-prod")!.description).toMatch(/^hello in prod: https:\/\/hello\.acme\.example, 3-12 replicas/);
    expect(result.stacks.find((s) => s.name === "hello-prod")!.dependsOn).toEqual(expect.arrayContaining(["platform-prod", "hello-delivery"]));
  });

  test("the app URLs per environment come from the platform file's domains", () => {
    expect(result.urls).toEqual([
      { app: "hello", environment: "dev", url: "https://hello.dev.acme.example" },
      { app: "hello", environment: "staging", url: "https://hello.staging.acme.example" },
      { app: "hello", environment: "prod", url: "https://hello.acme.example" },
    ]);
  });
});

describe("formatSummary", () => {
  const lines = () => formatSummary(result, { cwd: work }).split("\n");

  test("a row per stack with its resources per provider and what it holds", () => {
    const row = lines().find((l) => l.startsWith("hello-prod "))!;
    const prod = result.stacks.find((s) => s.name === "hello-prod")!;
    expect(row).toMatch(new RegExp(`^hello-prod\\s+aws ${prod.resourcesByProvider.aws}, github ${prod.resourcesByProvider.github}, kubernetes ${prod.resourcesByProvider.kubernetes}\\s+hello in prod: https://hello\\.acme\\.example`));
    expect(lines()[1]).toMatch(/^-+ {2}-+ {2}-+$/);
  });

  test("under each stack, its resource types per provider, counts after ×; a stack of the same kind and types points to the first", () => {
    const all = lines();
    const at = all.findIndex((l) => l.startsWith("platform-dev "));
    const types = all.slice(at + 1, all.findIndex((l, i) => i > at && !l.startsWith("    "))).join(" ");
    expect(types).toMatch(/^ {4}aws: /);
    expect(types).toContain("subnet×4");
    expect(types).toMatch(/eks_cluster,/);
    expect(types).not.toMatch(/eks_cluster×/);
    // hello-dev hosts hello's previews, so hello-staging has types of its own; the kube-system stacks stay alike.
    const staging = all.findIndex((l) => l.startsWith("kube-system-staging "));
    expect(all[staging + 1]).toBe("    same types as kube-system-dev");
    const prod = all.findIndex((l) => l.startsWith("hello-prod "));
    expect(all.slice(prod + 1).some((l) => /^ {4}kubernetes: .*deployment_v1/.test(l))).toBe(true);
  });

  test("type lines wrap to the width with a deeper indent for continuations", () => {
    const wrapped = typeLines(result.stacks.find((s) => s.name === "platform-dev")!.resourcesByType, 60);
    expect(wrapped.length).toBeGreaterThan(2);
    wrapped.forEach((l, i) => {
      expect(l.length).toBeLessThanOrEqual(60);
      expect(l).toMatch(i === 0 ? /^ {4}aws: / : /^ {6}\S/);
    });
  });

  test("a table of URLs: a row per app, a column per environment in promotion order", () => {
    const all = lines();
    const header = all.findIndex((l) => /^app\s+dev\s+staging\s+prod$/.test(l));
    expect(header).toBeGreaterThan(0);
    expect(all[header + 1]).toMatch(/^hello\s+https:\/\/hello\.dev\.acme\.example\s+https:\/\/hello\.staging\.acme\.example\s+https:\/\/hello\.acme\.example$/);
  });

  test("totals, the policy verdict and the workflows", () => {
    const text = formatSummary(result, { cwd: work });
    const total = result.stacks.reduce((n, s) => n + s.resources, 0);
    expect(text).toMatch(new RegExp(`^12 stacks, ${total} resources from .*platform\\.yaml -> out in \\d+\\.\\d s$`, "m"));
    expect(text).toMatch(/^policy: \d+ rules, \d+ checks: 0 high, \d+ medium, \d+ low open; \d+ suppressed/m);
    const files = ["pull-request.yml", "deliver.yml"].map((f) => path.join("out", "workflows", "hello", f));
    expect(text).toContain(`\nworkflows (committed to each app repository by its delivery stack): ${files.join(", ")}`);
  });

  test("quiet: a line per stack, the totals and the policy verdict; no types, URLs, timing or workflows", () => {
    const text = formatSummary(result, { cwd: work, verbosity: "quiet" });
    expect(text.split("\n").filter((l) => /^(bootstrap|platform|hello)-/.test(l))).toHaveLength(9);
    expect(text).not.toMatch(/^ {4}\S/m);
    expect(text).not.toMatch(/^app\s+dev/m);
    expect(text).not.toMatch(/^workflows/m);
    expect(text).toMatch(/^12 stacks, \d+ resources from .* -> out$/m);
    expect(text).toMatch(/^policy: /m);
  });

  test("no ANSI codes unless painted; painted, the same text underneath", () => {
    const plain = formatSummary(result, { cwd: work });
    const painted = formatSummary(result, { cwd: work, paint: painter(true) });
    expect(plain).not.toMatch(ANSI);
    expect(painted).toMatch(ANSI);
    expect(painted.replace(/\u001b\[[0-9;]*m/g, "").replace(/ in \d+\.\d s/, "")).toBe(plain.replace(/ in \d+\.\d s/, ""));
  });
});

describe("--json", () => {
  let json: Json;
  beforeAll(() => {
    const run = runMain(["--platform", EXAMPLE_FILE, "--out", path.join(work, "json-out"), "--json"], { CI: undefined });
    expect(run.code).toBe(0);
    json = JSON.parse(run.out);
  });

  test("stacks with resources by provider and by type, URLs, policy counts, workflows, totals", () => {
    expect(Object.keys(json).sort()).toEqual(["dns", "outdir", "platformFile", "policy", "stacks", "totals", "urls", "workflows"]);
    expect(json.platformFile).toBe(EXAMPLE_FILE);
    expect(json.totals).toEqual({ stacks: 12, resources: result.stacks.reduce((n, s) => n + s.resources, 0) });
    expect(json.stacks[2]).toEqual({
      name: "platform-dev",
      kind: "platform",
      description: expect.stringMatching(/^dev \(development\)/),
      production: false,
      resourcesByProvider: { aws: expect.any(Number) },
      resourcesByType: expect.objectContaining({ aws_vpc: 1, aws_subnet: 4 }),
      resources: expect.any(Number),
      dependsOn: [],
    });
    expect(json.stacks.map((s: Json) => s.resourcesByType)).toEqual(result.stacks.map((s) => s.resourcesByType));
    expect(json.urls).toEqual(result.urls);
    // hello's previews are on (dev hosts them): their two workflows too.
    expect(json.workflows).toEqual(["workflows/hello/pull-request.yml", "workflows/hello/deliver.yml", "workflows/hello/preview.yml", "workflows/hello/preview-sweep.yml"]);
  });

  test("the policy: rule and check counts, open findings by severity, each finding", () => {
    expect(json.policy).toEqual({
      rules: expect.any(Number),
      checks: expect.any(Number),
      open: { high: 0, medium: expect.any(Number), low: expect.any(Number) },
      suppressed: expect.any(Number),
      findings: expect.any(Array),
      unusedSuppressions: [],
    });
    expect(json.policy.rules).toBeGreaterThanOrEqual(80);
    const open = json.policy.findings.filter((f: Json) => !("suppressed" in f));
    expect(open).toHaveLength(json.policy.open.medium + json.policy.open.low);
    for (const f of json.policy.findings) expect(Object.keys(f).filter((k) => k !== "suppressed").sort()).toEqual(["message", "path", "rule", "severity", "stack"]);
  });

  test("no timing and no ANSI: the same input gives the same JSON", () => {
    expect(JSON.stringify(json)).not.toMatch(/durationMs|\\u001b/);
    expect(summaryJson(result, EXAMPLE_FILE)).toEqual({ ...json, outdir: result.outdir });
  });
});

test("onProgress: the construct phase, each stack as it is resolved and written, then the policy", () => {
  // The events of the one synthesis above.
  const events = progressEvents;
  expect(events[0]).toEqual({ phase: "construct", stacks: 12 });
  for (const phase of ["prepare", "write"] as const) {
    const of = events.filter((e): e is Extract<SynthProgress, { phase: "prepare" | "write" }> => e.phase === phase);
    expect(of.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(of.every((e) => e.total === 12)).toBe(true);
    expect(new Set(of.map((e) => e.stack))).toEqual(new Set(result.stacks.map((s) => s.name)));
  }
  expect(events.findIndex((e) => e.phase === "write")).toBeGreaterThan(events.map((e) => e.phase).lastIndexOf("prepare"));
  expect(events[events.length - 1]).toEqual({ phase: "policy", stacks: 12 });
});

describe("output conventions in main", () => {
  test("CI=true: quiet by default — the stack lines, the totals and the policy verdict only", () => {
    const run = runMain(["--platform", EXAMPLE_FILE, "--out", path.join(work, "ci-out")], { CI: "true", NO_COLOR: undefined });
    expect(run.code).toBe(0);
    const lines = run.out.split("\n").filter(Boolean);
    expect(lines[0]).toMatch(/^stack\s+resources\s+what it holds$/);
    expect(lines.filter((l) => /^(bootstrap|platform|hello)-\S+\s+aws \d+/.test(l))).toHaveLength(9);
    expect(run.out).toMatch(/^platform-prod\s+aws \d+\s+prod \(production\)/m);
    expect(run.out).toMatch(/^12 stacks, \d+ resources from /m);
    expect(run.out).not.toMatch(/^ {4}\S|^app\s+dev|^workflows/m);
    expect(run.out).not.toMatch(ANSI);
    expect(run.err).toBe("");
  });

  test("on a terminal: colour; with NO_COLOR or through a pipe: none", () => {
    const tty = runMain(["--platform", EXAMPLE_FILE, "--out", path.join(work, "tty-out")], { CI: undefined, NO_COLOR: undefined, TERM: "xterm-256color" }, true);
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(ANSI);
    expect(tty.out.replace(/\u001b\[[0-9;]*m/g, "")).toMatch(/^app\s+dev\s+staging\s+prod$/m); // not quiet
    const stream = { isTTY: true, write: () => true };
    expect(colourEnabled(stream, { TERM: "xterm" })).toBe(true);
    expect(colourEnabled(stream, { NO_COLOR: "1", TERM: "xterm" })).toBe(false);
    expect(colourEnabled(stream, { TERM: "dumb" })).toBe(false);
    expect(colourEnabled({ write: () => true }, {})).toBe(false);
  });

  test("the error path is unchanged: stderr names the file and path, exit 1, nothing written", () => {
    const bad = path.join(work, "bad.yaml");
    fs.writeFileSync(bad, "github: {owner: acme}\napps: []\nenvironments: []\n");
    const out = path.join(work, "bad-out");
    const run = runMain(["--platform", bad, "--out", out], { CI: "true" });
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${bad}:2:7: apps: has 0 items; expected at least 1`);
    expect(run.err).toContain(`Nothing was written; ${out} is as it was.`);
    expect(run.out).toBe("");
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe("cli/output.ts", () => {
  test("isCI: any value but empty, 0 or false", () => {
    expect(isCI({ CI: "true" })).toBe(true);
    expect(isCI({ CI: "1" })).toBe(true);
    expect(isCI({ CI: "woodpecker" })).toBe(true);
    expect(isCI({ CI: "false" })).toBe(false);
    expect(isCI({ CI: "0" })).toBe(false);
    expect(isCI({ CI: "" })).toBe(false);
    expect(isCI({})).toBe(false);
  });

  test("progress: rewritten in place and cleared on a terminal; silent in CI and through a pipe", () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 30, write: (t: string) => written.push(t) };
    const p = progress(tty, {});
    p.update("synth: resolving 1/43 platform-dev");
    p.update("synth: writing 2/43 app01-delivery-and-more");
    p.done();
    expect(written[0]).toBe("\r\u001b[2Ksynth: resolving 1/43 platfo…");
    expect(written).toHaveLength(3);
    expect(written[2]).toBe("\r\u001b[2K");
    for (const [stream, env] of [[tty, { CI: "true" }], [{ write: (t: string) => written.push(t) }, {}]] as const) {
      const before = written.length;
      const q = progress(stream, env);
      q.update("x");
      q.done();
      expect(q.enabled).toBe(false);
      expect(written).toHaveLength(before);
    }
  });

  test("columns pad by printed width, ignoring ANSI codes; wrap keeps lines within the width", () => {
    const paint = painter(true);
    const laid = columns([[paint("bold", "a"), "b"], ["ccc", "d"]]);
    expect(laid.map(visibleLength)).toEqual([6, 6]);
    expect(wrap(["one", "two", "three"], 10, "  ", "    ")).toEqual(["  one,", "    two,", "    three"]);
  });
});

describe("cdktf token creation stacks", () => {
  // The hook cli/token-stacks.ts swaps; the same module instance cdktf calls at each token's creation.
  const hook: { captureStackTrace: () => string[] } = require("cdktf/lib/tokens/private/stack-trace");
  const stackOf = () => (Lazy.anyValue({ produce: () => 1 }) as unknown as { creationStack: string[] }).creationStack;

  test("cdktf 0.21 still creates tokens through the hook", () => {
    const original = hook.captureStackTrace;
    const marker = ["marker"];
    hook.captureStackTrace = () => marker;
    try {
      expect(stackOf()).toBe(marker);
    } finally {
      hook.captureStackTrace = original;
    }
  });

  test("are off inside withoutTokenCreationStacks and back after it, even when it throws", () => {
    const original = hook.captureStackTrace;
    expect(withoutTokenCreationStacks(() => [stackOf(), hook.captureStackTrace !== original], false)).toEqual([[], true]);
    expect(hook.captureStackTrace).toBe(original);
    expect(withoutTokenCreationStacks(() => hook.captureStackTrace, true)).toBe(original);
    expect(() =>
      withoutTokenCreationStacks(() => {
        throw new Error("boom");
      }, false),
    ).toThrow("boom");
    expect(hook.captureStackTrace).toBe(original);
    expect(tokenStacksRequested({ SLIPWAY_TOKEN_STACKS: "1" })).toBe(true);
    expect(tokenStacksRequested({})).toBe(false);
  });
});

describe("Terraform's files in a stack's folder", () => {
  test("survive the next synth: the lock file is kept and an initialised .terraform folder moves along; a stack that is gone keeps nothing", () => {
    const outdir = path.join(work, "lock-out");
    // An earlier synth's output: the one above, copied.
    fs.cpSync(result.outdir, outdir, { recursive: true });
    const stack = path.join(outdir, "stacks", "platform-dev");
    const lock = '# This file is maintained automatically by "terraform init".\nprovider "registry.terraform.io/hashicorp/aws" {\n  version = "5.100.0"\n}\n';
    fs.writeFileSync(path.join(stack, ".terraform.lock.hcl"), lock);
    fs.mkdirSync(path.join(stack, ".terraform", "providers"), { recursive: true });
    fs.writeFileSync(path.join(stack, ".terraform", "providers", "marker"), "init");
    // A stack this platform no longer has.
    fs.mkdirSync(path.join(outdir, "stacks", "gone-dev"));
    fs.writeFileSync(path.join(outdir, "stacks", "gone-dev", ".terraform.lock.hcl"), lock);

    synthesize({ platformFile: EXAMPLE_FILE, outdir });
    expect(fs.readFileSync(path.join(stack, ".terraform.lock.hcl"), "utf8")).toBe(lock);
    expect(fs.readFileSync(path.join(stack, ".terraform", "providers", "marker"), "utf8")).toBe("init");
    expect(fs.existsSync(path.join(outdir, "stacks", "gone-dev"))).toBe(false);
    // Other stacks get no lock file they did not have.
    expect(fs.existsSync(path.join(outdir, "stacks", "platform-prod", ".terraform.lock.hcl"))).toBe(false);
  });
});

describe("github.appId, as docs/infrastructure-ci.md recommends", () => {
  test("synthesizes: the ruleset's one bypass actor, Terraform's own App, passes SLW-GH-003", () => {
    const file = path.join(work, "with-app.yaml");
    fs.writeFileSync(file, fs.readFileSync(EXAMPLE_FILE, "utf8").replace("  owner: acme-corp\n", "  owner: acme-corp\n  appId: 123456\n"));
    const withApp = synthesize({ platformFile: file, outdir: path.join(work, "with-app-out") });
    const ruleset = loadSynthesizedOutput(withApp.outdir).stack("hello-delivery").json.resource.github_repository_ruleset;
    expect(Object.values<any>(ruleset)[0].bypass_actors).toEqual([{ actor_id: 123456, actor_type: "Integration", bypass_mode: "always" }]);
    expect(withApp.policy.findings.filter((f) => f.rule.id === "SLW-GH-003")).toEqual([]);
  });
});
