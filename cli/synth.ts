/**
 * `npm run synth`: validates the platform file, synthesizes every stack into a temporary folder,
 * then swaps it in place of `cdktf.out` — so bad input or a failed synth leaves the previous
 * output untouched — and prints a summary of what was produced.
 *
 * Output conventions (cli/output.ts): a table per stack with its resources per provider and per
 * type, what it holds, the apps' URLs, the policy verdict and the workflows; quiet in CI (one line
 * per stack, the totals and the policy verdict); colour only on a terminal and never with
 * NO_COLOR; progress on stderr while synthesizing many stacks on a terminal; `--json` for machines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdktf";
import { loadPlatformFile, PlatformConfig, PlatformFileError } from "../platform/model";
import { AppDns, AppEnvironmentStack, BootstrapStack, buildPlatform, DeliveryStack, KubeSystemStack, Platform, PlatformStack, SlipwayStack, StackValidationError, writeWorkflowFiles } from "../stacks";
import { safeText, SlipwayValidationError } from "../constructs/util";
import { EvaluationResult, PolicyConfigurationError, PolicyViolationError, enforce, evaluate } from "../policy";
import { loadSynthesizedOutput } from "../synthesized";
import { CostReport, costReport, costScopes, CostSummary, environmentTotalsLine } from "./cost";
import { colourEnabled, columns, isCI, Painter, painter, progress as progressLine, visibleLength, wrap } from "./output";
import { withoutTokenCreationStacks } from "./token-stacks";

/** Which kind of stack: one per environment, one per app, or one per app and environment. */
export type StackKind = "bootstrap" | "platform" | "kube-system" | "delivery" | "app";

export interface StackSummary {
  readonly name: string;
  readonly kind: StackKind;
  readonly description: string;
  readonly production: boolean;
  /** Resources per provider, e.g. `{ aws: 42, kubernetes: 7 }`. */
  readonly resourcesByProvider: Record<string, number>;
  /** Resources per Terraform type, e.g. `{ aws_subnet: 6, aws_vpc: 1 }`, sorted by type. */
  readonly resourcesByType: Record<string, number>;
  readonly resources: number;
  readonly dependsOn: string[];
}

/** An app's public URL in one environment, from the platform file's `domains`. */
export interface AppUrl {
  readonly app: string;
  readonly environment: string;
  readonly url: string;
}

/**
 * The DNS of one app in one environment: the Route 53 zone its stack writes the records to, or,
 * without `dns.hostedZoneId`, the records to create yourself (values known after apply).
 */
export interface DnsRecords {
  readonly stack: string;
  readonly domain: string;
  /** Where the stack makes the alias and validation records; undefined: `records` are yours to create. */
  readonly zone?: { readonly hostedZoneId: string; readonly account: string };
  /** The records to create, each value named by the stack output that holds it; empty with a zone. */
  readonly records: { readonly name: string; readonly type: string; readonly value: string }[];
}

export interface SynthResult {
  readonly platform: PlatformConfig;
  readonly outdir: string;
  readonly stacks: StackSummary[];
  /** Every app's URL in every environment, apps in file order, environments in promotion order. */
  readonly urls: AppUrl[];
  /** Generated workflow files, relative to `outdir`. */
  readonly workflows: string[];
  /** Per app and environment, in the order of {@link urls}: where its DNS records are made, or which to create. */
  readonly dns: DnsRecords[];
  /** The policy rules' verdict: no unsuppressed high finding, or synth would have failed. */
  readonly policy: EvaluationResult;
  /** The monthly cost estimate of the stacks (cli/cost.ts); the human summary shows its totals per environment. */
  readonly cost: CostReport;
  /** Wall time of `synthesize`, for the human summary only (never in files or `--json`). */
  readonly durationMs: number;
}

/** What `synthesize` is doing, for a progress line. */
export type SynthProgress =
  | { readonly phase: "construct"; readonly stacks: number }
  | { readonly phase: "prepare" | "write"; readonly stack: string; readonly index: number; readonly total: number }
  | { readonly phase: "policy"; readonly stacks: number };

export interface SynthOptions {
  readonly platformFile: string;
  readonly outdir: string;
  /** Called as synthesis moves through its phases and stacks. @default none */
  readonly onProgress?: (event: SynthProgress) => void;
}

export const DEFAULT_PLATFORM_FILE = "platform.yaml";
export const DEFAULT_OUTDIR = "cdktf.out";

/**
 * The failures a synth reports as a message rather than a stack trace: a bad platform file, a value
 * a construct refused, a failed construct validation, a policy finding or a bad suppression.
 */
export function isSynthFailure(error: unknown): error is Error {
  return (
    error instanceof PlatformFileError ||
    error instanceof OutputDirectoryError ||
    error instanceof SlipwayValidationError ||
    error instanceof StackValidationError ||
    error instanceof PolicyViolationError ||
    error instanceof PolicyConfigurationError
  );
}

/** The output folder is something synth must not replace: it holds what synth did not write. */
export class OutputDirectoryError extends Error {
  constructor(message: string) {
    super(safeText(message));
    this.name = "OutputDirectoryError";
  }
}

/**
 * True when `dir` is what a synth wrote: cdktf's `manifest.json` (with its `stacks`) and Slipway's
 * `slipway.json` (with its `stacks` list) side by side. Only such a folder is ever replaced.
 */
export function isSynthOutput(dir: string): boolean {
  const json = (name: string): any => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
    } catch {
      return undefined;
    }
  };
  const manifest = json("manifest.json");
  const slipway = json("slipway.json");
  return (
    typeof manifest?.version === "string" &&
    manifest.stacks !== null &&
    typeof manifest.stacks === "object" &&
    Array.isArray(slipway?.stacks) &&
    slipway.stacks.every((s: unknown) => typeof (s as { name?: unknown })?.name === "string")
  );
}

/**
 * Refuses an output folder synth would have to delete something it did not write to replace: a
 * file, or a non-empty folder that is not synth output ({@link isSynthOutput}).
 */
export function checkOutputDirectory(outdir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(outdir);
  } catch {
    return; // nothing there yet
  }
  if (!stat.isDirectory()) {
    throw new OutputDirectoryError(`${outdir} is a file, not a folder: synth writes a folder there and deletes nothing it did not write; choose another --out`);
  }
  if (fs.readdirSync(outdir).length > 0 && !isSynthOutput(outdir)) {
    throw new OutputDirectoryError(
      `${outdir} is not empty and is not synth output (no manifest.json and slipway.json from an earlier synth): synth would replace it, so it refuses; choose an empty or new folder with --out`,
    );
  }
}

/** Synthesizes the platform file into `outdir`, atomically. */
export function synthesize(options: SynthOptions): SynthResult {
  const started = process.hrtime.bigint();
  const report = options.onProgress ?? (() => undefined);
  const platform = loadPlatformFile(options.platformFile);
  const outdir = path.resolve(options.outdir);
  checkOutputDirectory(outdir);
  fs.mkdirSync(path.dirname(outdir), { recursive: true });
  // A fresh folder beside the output (so the final rename stays on one file system), never one that existed.
  const staging = fs.mkdtempSync(`${outdir}.tmp-`);
  try {
    const app = new App({ outdir: staging, skipValidation: false });
    const accounts = new Set(platform.environments.map((e) => e.account)).size;
    // bootstrap-<account>; platform-<env> and kube-system-<env>; <app>-delivery and <app>-<env>.
    report({ phase: "construct", stacks: accounts + 2 * platform.environments.length + platform.apps.length * (1 + platform.environments.length) });
    // cdktf's token creation stacks are a third of a large synth and never reach the output.
    const built = withoutTokenCreationStacks(() => {
      const platformStacks = buildPlatform(app, platform);
      reportPerStack(platformStacks.stacks, report);
      app.synth();
      return platformStacks;
    });
    report({ phase: "policy", stacks: built.stacks.length });
    const { workflows, loaded, policy, cost } = completeSynthesizedOutput(staging, platform, built);
    const synthesized = new Map(loaded.stacks.map((s) => [s.name, s.json]));
    const stacks = built.stacks.map((stack) => summarizeStack(stack, synthesized.get(stack.stackName)));
    const urls = built.appStacks.map((s) => ({ app: s.deployment.app.name, environment: s.deployment.environment.name, url: s.url }));
    const dns = built.appStacks.map((s) => dnsRecords(s.stackName, s.dns));
    replaceDirectory(staging, outdir);
    return { platform, outdir, stacks, urls, workflows, dns, policy, cost: costReport(built.stacks.map((s) => ({ name: s.stackName, json: synthesized.get(s.stackName) })), cost), durationMs: Number(process.hrtime.bigint() - started) / 1e6 };
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * What every synth writes after cdktf's own output — the app workflows and `slipway.json` — then
 * the policy rules on exactly what Terraform will see: throws {@link PolicyViolationError} on an
 * unsuppressed high finding. Shared by `npm run synth` and the cdktf app (`main.ts`).
 */
export function completeSynthesizedOutput(outdir: string, platform: PlatformConfig, built: Platform) {
  const workflows = writeWorkflowFiles(outdir, built);
  // What `npm run check` and CI read besides the stacks: which are production, and what the
  // platform file accepts. No file paths, so the output stays the same in any folder.
  const productionEnvironments = platform.environments.filter((e) => e.production).map((e) => e.name);
  // The cost estimate's assumptions and each stack's scope: CI prices plans with them (scripts/plan-summary.js cost).
  const stackJson = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
  const cost: CostSummary = { assumptions: platform.cost.assumptions, stacks: costScopes(built, stackJson) };
  const summary = {
    stacks: built.stacks.map((s) => ({ name: s.stackName, description: s.description, production: s.production, dependsOn: s.dependencies.map((d) => d.node.id), suppressions: s.suppressions })),
    productionEnvironments,
    cost,
  };
  fs.writeFileSync(path.join(outdir, "slipway.json"), `${JSON.stringify(summary, null, 2)}\n`);
  const loaded = loadSynthesizedOutput(outdir);
  const policy = evaluate(loaded.stacks, { suppressions: loaded.suppressions, productionEnvironments });
  enforce(policy);
  return { workflows, loaded, policy, cost };
}

/**
 * Reports each stack as cdktf prepares (resolves) and then writes it. cdktf has no hook for this,
 * so each stack's `prepareStack` and `synthesizer.synthesize` are wrapped (public members, called
 * by `App.synth` through the instance; __tests__/cli/cdktf-patches.test.ts fails if that changes).
 * Kept because measured worth it: those two phases are about 70% of a synth's wall time (50 apps
 * x 3 environments: 29 of 40 s; 10 apps: 8.6 of 12.4 s, on a loaded machine), when the line
 * would otherwise sit on "constructing"; the wrappers cost two calls per stack.
 */
function reportPerStack(stacks: readonly SlipwayStack[], report: (event: SynthProgress) => void): void {
  // cdktf visits the stacks in construct-tree order, not ours: count as they come.
  let prepared = 0;
  let written = 0;
  for (const stack of stacks) {
    const prepare = stack.prepareStack.bind(stack);
    const synthesizer = stack.synthesizer;
    const write = synthesizer.synthesize.bind(synthesizer);
    stack.prepareStack = () => {
      report({ phase: "prepare", stack: stack.stackName, index: prepared++, total: stacks.length });
      prepare();
    };
    synthesizer.synthesize = (session) => {
      report({ phase: "write", stack: stack.stackName, index: written++, total: stacks.length });
      write(session);
    };
  }
}

/** Moves `from` to `to`, replacing what was there with two renames (no half-written state). */
function replaceDirectory(from: string, to: string): void {
  // Checked again just before: only synth output (or an empty folder) is ever moved aside and removed.
  checkOutputDirectory(to);
  const hadPrevious = fs.existsSync(to);
  // A name no file has: the previous output goes there, and only it is removed.
  const old = hadPrevious ? path.join(fs.mkdtempSync(`${to}.old-`), "previous") : "";
  if (hadPrevious) keepTerraformWorkingFiles(to, from);
  if (hadPrevious) fs.renameSync(to, old);
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if (hadPrevious) fs.renameSync(old, to);
    throw error;
  }
  if (hadPrevious) fs.rmSync(path.dirname(old), { recursive: true, force: true });
}

/**
 * What Terraform keeps in a stack's folder survives a synth: the dependency lock file
 * (`.terraform.lock.hcl`, which pins provider checksums: commit it, see docs/guardrails.md) and the
 * `.terraform` folder of an initialised stack (moved, not copied: it holds provider binaries), for
 * every stack that is still synthesized. A stack that is gone keeps nothing.
 */
function keepTerraformWorkingFiles(previous: string, next: string): void {
  const stacks = path.join(previous, "stacks");
  if (!fs.existsSync(stacks)) return;
  for (const stack of fs.readdirSync(stacks)) {
    const target = path.join(next, "stacks", stack);
    if (!fs.existsSync(target)) continue;
    const lock = path.join(stacks, stack, ".terraform.lock.hcl");
    if (fs.existsSync(lock)) fs.copyFileSync(lock, path.join(target, ".terraform.lock.hcl"));
    const working = path.join(stacks, stack, ".terraform");
    if (fs.existsSync(working) && !fs.existsSync(path.join(target, ".terraform"))) fs.renameSync(working, path.join(target, ".terraform"));
  }
}

function stackKind(stack: SlipwayStack): StackKind {
  if (stack instanceof BootstrapStack) return "bootstrap";
  if (stack instanceof PlatformStack) return "platform";
  if (stack instanceof KubeSystemStack) return "kube-system";
  if (stack instanceof DeliveryStack) return "delivery";
  if (stack instanceof AppEnvironmentStack) return "app";
  throw new Error(`${stack.stackName}: not a stack buildPlatform creates`);
}

/** Counts a synthesized stack's resources per provider and per type (its `cdk.tf.json`, already parsed). */
function summarizeStack(stack: SlipwayStack, json: { resource?: Record<string, Record<string, unknown>> } | undefined): StackSummary {
  const resourcesByProvider: Record<string, number> = {};
  const resourcesByType: Record<string, number> = {};
  let resources = 0;
  for (const [type, instances] of Object.entries(json?.resource ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const provider = type.split("_")[0];
    const count = Object.keys(instances).length;
    resourcesByProvider[provider] = (resourcesByProvider[provider] ?? 0) + count;
    resourcesByType[type] = count;
    resources += count;
  }
  return {
    name: stack.stackName,
    kind: stackKind(stack),
    description: stack.description,
    production: stack.production,
    resourcesByProvider,
    resourcesByType,
    resources,
    dependsOn: stack.dependencies.map((d) => d.node.id),
  };
}

/** How much the human summary says. */
export type Verbosity = "quiet" | "normal" | "verbose";

export interface FormatOptions {
  /**
   * `quiet`: one line per stack, the totals and the policy verdict with its open findings (the
   * default in CI); `normal`: also resource types per stack (up to {@link TYPE_LINES_UP_TO} stacks),
   * the app URLs, suppressed findings and the workflows; `verbose`: resource types for every stack.
   * @default "normal"
   */
  readonly verbosity?: Verbosity;
  /** @default no colour */
  readonly paint?: Painter;
  /** Line width for the wrapped resource-type lines. @default 120 */
  readonly width?: number;
  /** Paths are shown relative to this folder. @default process.cwd() */
  readonly cwd?: string;
}

/** Beyond this many stacks, `normal` output leaves out the per-type lines (`--verbose` or `--json` have them). */
export const TYPE_LINES_UP_TO = 20;

/**
 * A stack's resource types, a line per provider (wrapped to `width`): `aws: subnet×6, vpc` for
 * `aws_subnet: 6, aws_vpc: 1`; a single resource shows no count.
 */
export function typeLines(byType: Record<string, number>, width: number): string[] {
  const byProvider = new Map<string, string[]>();
  for (const [type, count] of Object.entries(byType)) {
    const provider = type.split("_")[0];
    const short = type.slice(provider.length + 1) || type;
    byProvider.set(provider, [...(byProvider.get(provider) ?? []), count === 1 ? short : `${short}×${count}`]);
  }
  return [...byProvider.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([provider, types]) => wrap([`${provider}: ${types[0]}`, ...types.slice(1)], width, "    ", "      "));
}

/** From this many open findings of one rule, the summary gives them one line (`--json` and `npm run check` list each). */
export const GROUP_FINDINGS_FROM = 5;

/** One line for the policy verdict, then the findings worth reading. */
function policySummary(policy: EvaluationResult, verbosity: Verbosity, paint: Painter): string[] {
  const open = policy.findings.filter((f) => !f.suppressed);
  const suppressed = policy.findings.filter((f) => f.suppressed);
  const count = (severity: string) => open.filter((f) => f.severity === severity).length;
  const severity = (s: string) => paint(s === "high" ? "red" : s === "medium" ? "yellow" : "dim", s);
  const lines = [
    `policy: ${policy.stats.rules} rules, ${policy.stats.checks} checks: ${count("high")} high, ${count("medium")} medium, ${count("low")} low open; ${suppressed.length} suppressed (details: npm run check)`,
  ];
  // Open findings one per line, except that a rule found in many places gets one line.
  const groups = new Map<string, typeof open>();
  for (const f of open.filter((f) => f.severity !== "high")) groups.set(f.rule.id, [...(groups.get(f.rule.id) ?? []), f]);
  for (const group of groups.values()) {
    const [first] = group;
    if (group.length <= GROUP_FINDINGS_FROM - 1) {
      for (const f of group) lines.push(`  ${severity(f.severity)} ${f.rule.id} ${f.path}: ${f.message}`);
    } else {
      lines.push(`  ${severity(first.severity)} ${first.rule.id} in ${group.length} places (${group.slice(0, 2).map((f) => f.path).join(", ")}, …): ${first.message}`);
    }
  }
  if (verbosity !== "quiet") for (const f of suppressed) lines.push(`  ${paint("dim", "suppressed")} ${f.rule.id} ${f.path}: ${f.suppressed!.reason}`);
  for (const s of policy.unusedSuppressions) lines.push(`  ${paint("yellow", "unused suppression")} ${s.rule} ${s.path}: nothing matched; remove it`);
  return lines;
}

/** The apps' URLs: a row per app, a column per environment in promotion order. */
function urlTable(result: SynthResult, paint: Painter): string[] {
  const environments = result.platform.environments.map((e) => e.name);
  const apps = result.platform.apps.map((a) => a.name);
  const url = (app: string, env: string) => result.urls.find((u) => u.app === app && u.environment === env)?.url ?? "-";
  return columns([["app", ...environments].map((h) => paint("bold", h)), ...apps.map((app) => [app, ...environments.map((env) => paint("cyan", url(app, env)))])]);
}

/** What `<stack>`'s DNS needs: its zone, or the records to create, each value named by an output of the stack. */
export function dnsRecords(stack: string, dns: AppDns): DnsRecords {
  if (dns.zone) return { stack, domain: dns.domain, zone: dns.zone, records: [] };
  return {
    stack,
    domain: dns.domain,
    records: [
      { name: dns.domain, type: "CNAME (ALIAS at a zone apex)", value: `output ${dns.targetOutput}` },
      // ACM's DNS validation records are CNAMEs; the output holds {name, type, value}.
      ...dns.validationOutputs.map((output) => ({ name: `output ${output}.name`, type: "CNAME", value: `output ${output}.value` })),
    ],
  };
}

/**
 * The DNS section: which records each stack makes in Route 53, and which you create where there is
 * no zone, with the stack outputs that hold their values (known after apply).
 */
function dnsSummary(result: SynthResult, out: string): string[] {
  const yours = result.dns.filter((d) => !d.zone);
  const made = result.dns.filter((d) => d.zone);
  const lines: string[] = [];
  if (yours.length > 0) {
    lines.push(`DNS records to create in your DNS (no dns.hostedZoneId); values are outputs of the stack, known after apply (terraform output -json in ${path.join(out, "stacks", "<stack>")}):`);
    lines.push(...columns(yours.flatMap((d) => d.records.map((r, i) => [i === 0 ? `  ${d.stack}` : "", r.name, r.type, `-> ${r.value}`]))));
  }
  if (made.length > 0) {
    lines.push(`DNS records made by Terraform in Route 53: ${made.map((d) => `${d.domain} (zone ${d.zone!.hostedZoneId}, account ${d.zone!.account})`).join(", ")}`);
  }
  return lines;
}

/** The workflow files: listed for a few apps, summarized for many. */
function workflowSummary(result: SynthResult, out: string): string {
  const byApp = new Map<string, string[]>();
  for (const w of result.workflows) {
    const app = path.basename(path.dirname(w));
    byApp.set(app, [...(byApp.get(app) ?? []), w]);
  }
  const intro = "workflows (committed to each app repository by its delivery stack):";
  if (byApp.size <= 3) return `${intro} ${result.workflows.map((w) => path.join(out, w)).join(", ")}`;
  const names = [...new Set(result.workflows.map((w) => path.basename(w)))];
  return `${intro} ${result.workflows.length} files in ${path.join(out, "workflows", "<app>")}/ for ${byApp.size} apps (${names.join(", ")})`;
}

/** The human summary: a table of stacks, resource types, URLs, totals, policy and workflows. */
export function formatSummary(result: SynthResult, options: FormatOptions = {}): string {
  const verbosity = options.verbosity ?? "normal";
  const paint = options.paint ?? painter(false);
  const width = options.width ?? 120;
  const cwd = options.cwd ?? process.cwd();
  const out = path.relative(cwd, result.outdir) || ".";
  const withTypes = verbosity === "verbose" || (verbosity === "normal" && result.stacks.length <= TYPE_LINES_UP_TO);

  const header = ["stack", "resources", "what it holds"].map((h) => paint("bold", h));
  const rows = result.stacks.map((s) => [
    s.production ? paint("yellow", s.name) : s.name,
    Object.entries(s.resourcesByProvider).sort().map(([p, n]) => `${p} ${n}`).join(", ") || "-",
    s.description,
  ]);
  const rule = header.map((_, i) => "-".repeat(Math.max(...[header, ...rows].map((r) => visibleLength(r[i])))));
  const table = columns([header, rule, ...rows]);
  const lines = table.slice(0, 2);
  const shown = new Map<string, string>();
  result.stacks.forEach((s, i) => {
    lines.push(table[i + 2]);
    if (!withTypes || s.resources === 0) return;
    // Stacks of one kind often hold the same types: name the first such stack instead of repeating.
    const key = `${s.kind} ${JSON.stringify(s.resourcesByType)}`;
    const same = shown.get(key);
    if (same === undefined) shown.set(key, s.name);
    const typeText = same === undefined ? typeLines(s.resourcesByType, width) : [`    same types as ${same}`];
    lines.push(...typeText.map((l) => paint("dim", l)));
  });
  lines.push("");
  if (verbosity !== "quiet") {
    if (!withTypes) lines.push(paint("dim", `(resource types per stack: --verbose or --json)`), "");
    lines.push(...urlTable(result, paint), "");
    const dns = dnsSummary(result, out);
    if (dns.length > 0) lines.push(...dns, "");
  }
  const total = result.stacks.reduce((n, s) => n + s.resources, 0);
  const seconds = verbosity === "quiet" ? "" : ` in ${(result.durationMs / 1000).toFixed(1)} s`;
  lines.push(paint("bold", `${result.stacks.length} stacks, ${total} resources from ${result.platform.file} -> ${out}${seconds}`));
  lines.push(environmentTotalsLine(result.cost));
  lines.push(...policySummary(result.policy, verbosity, paint));
  if (verbosity !== "quiet") lines.push(workflowSummary(result, out));
  return lines.join("\n");
}

/** The `--json` document: everything the human summary says, in a stable shape. */
export function summaryJson(result: SynthResult, platformFile: string): object {
  const open = result.policy.findings.filter((f) => !f.suppressed);
  const count = (severity: string) => open.filter((f) => f.severity === severity).length;
  return {
    platformFile,
    outdir: result.outdir,
    totals: { stacks: result.stacks.length, resources: result.stacks.reduce((n, s) => n + s.resources, 0) },
    stacks: result.stacks,
    urls: result.urls,
    dns: result.dns,
    policy: {
      rules: result.policy.stats.rules,
      checks: result.policy.stats.checks,
      open: { high: count("high"), medium: count("medium"), low: count("low") },
      suppressed: result.policy.findings.length - open.length,
      findings: result.policy.findings.map((f) => ({
        rule: f.rule.id,
        severity: f.severity,
        stack: f.stack,
        path: f.path,
        message: f.message,
        ...(f.suppressed ? { suppressed: f.suppressed.reason } : {}),
      })),
      unusedSuppressions: result.policy.unusedSuppressions,
    },
    workflows: result.workflows,
  };
}

/** The progress line's text for one event. */
function progressText(event: SynthProgress): string {
  switch (event.phase) {
    case "construct":
      return `synth: constructing ${event.stacks} stacks`;
    case "prepare":
      return `synth: resolving ${event.index + 1}/${event.total} ${event.stack}`;
    case "write":
      return `synth: writing ${event.index + 1}/${event.total} ${event.stack}`;
    case "policy":
      return `synth: checking policy over ${event.stacks} stacks`;
  }
}

/** Stacks from which the progress line is worth showing: below this a synth is over in a blink. */
export const PROGRESS_FROM_STACKS = 10;

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      platform: { type: "string", short: "p" },
      out: { type: "string", short: "o" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`usage: npm run synth -- [--platform FILE] [--out DIR] [--json] [--quiet | --verbose]
  --platform FILE  the platform file (default: $SLIPWAY_PLATFORM_FILE or ${DEFAULT_PLATFORM_FILE})
  --out DIR        where to write the stacks (default: ${DEFAULT_OUTDIR}); replaced only on success, and only
                   when it is empty or an earlier synth's output (never a folder of other files)
  --json           print the summary as JSON (stacks, resources by provider and type, URLs, policy, workflows)
  --quiet, -q      one line per stack, the totals and the policy verdict (the default when CI=true)
  --verbose, -v    resource types for every stack, however many
Colour only on a terminal, never with NO_COLOR; a progress line on stderr for ${PROGRESS_FROM_STACKS}+ stacks on a terminal.`);
    return 0;
  }
  const platformFile = values.platform ?? process.env.SLIPWAY_PLATFORM_FILE ?? DEFAULT_PLATFORM_FILE;
  const outdir = values.out ?? DEFAULT_OUTDIR;
  const status = progressLine(process.stderr);
  try {
    const result = synthesize({
      platformFile,
      outdir,
      onProgress: status.enabled
        ? (event) => {
            const total = "total" in event ? event.total : event.stacks;
            if (total >= PROGRESS_FROM_STACKS) status.update(progressText(event));
          }
        : undefined,
    });
    status.done();
    if (values.json) {
      console.log(JSON.stringify(summaryJson(result, platformFile), null, 2));
    } else {
      const verbosity: Verbosity = values.verbose ? "verbose" : values.quiet || isCI() ? "quiet" : "normal";
      const width = process.stdout.isTTY ? Math.max(60, (process.stdout.columns || 120) - 1) : 120;
      console.log(formatSummary(result, { verbosity, paint: painter(colourEnabled(process.stdout)), width }));
    }
    return 0;
  } catch (error) {
    status.done();
    if (error instanceof PolicyViolationError || error instanceof PolicyConfigurationError) {
      console.error(safeText(`${error.message}\nFix the resources, or accept a finding with a reasoned suppression in ${platformFile}.\nNothing was written; ${outdir} is as it was.`));
      return 1;
    }
    if (error instanceof PlatformFileError || error instanceof OutputDirectoryError) {
      console.error(safeText(`${error.message}\nNothing was written; ${outdir} is as it was.`));
      return 1;
    }
    if (error instanceof SlipwayValidationError || error instanceof StackValidationError) {
      // The platform file passed its own checks, but a construct refused a value built from it.
      console.error(safeText(`${platformFile}: a construct refused a value built from this file:\n  ${error.message}\nNothing was written; ${outdir} is as it was.`));
      return 1;
    }
    throw error;
  }
}
