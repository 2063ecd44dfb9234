/**
 * `npm run synth`: validates the platform file, synthesizes every stack into a temporary folder,
 * then swaps it in place of `cdktf.out` — so bad input or a failed synth leaves the previous
 * output untouched — and prints a summary of what was produced.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdktf";
import { loadPlatformFile, PlatformConfig, PlatformFileError } from "../platform/model";
import { buildPlatform, writeWorkflowFiles } from "../stacks";
import { SlipwayValidationError } from "../constructs/util";
import { EvaluationResult, PolicyConfigurationError, PolicyViolationError, enforce, evaluate } from "../policy";
import { loadSynthesized } from "./check";

export interface StackSummary {
  readonly name: string;
  readonly description: string;
  readonly production: boolean;
  /** Resources per provider, e.g. `{ aws: 42, kubernetes: 7 }`. */
  readonly resourcesByProvider: Record<string, number>;
  readonly resources: number;
  readonly dependsOn: string[];
}

export interface SynthResult {
  readonly platform: PlatformConfig;
  readonly outdir: string;
  readonly stacks: StackSummary[];
  /** Generated workflow files, relative to `outdir`. */
  readonly workflows: string[];
  /** The policy rules' verdict: no unsuppressed high finding, or synth would have failed. */
  readonly policy: EvaluationResult;
}

export const DEFAULT_PLATFORM_FILE = "platform.yaml";
export const DEFAULT_OUTDIR = "cdktf.out";

/** Synthesizes the platform file into `outdir`, atomically. */
export function synthesize(options: { platformFile: string; outdir: string }): SynthResult {
  const platform = loadPlatformFile(options.platformFile);
  const outdir = path.resolve(options.outdir);
  const staging = `${outdir}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(outdir), { recursive: true });
  try {
    const app = new App({ outdir: staging, skipValidation: false });
    const built = buildPlatform(app, platform);
    app.synth();
    const workflows = writeWorkflowFiles(staging, built);
    // What `npm run check` and CI read besides the stacks: which are production, and what the
    // platform file accepts. No file paths, so the output stays the same in any folder.
    const productionEnvironments = platform.environments.filter((e) => e.production).map((e) => e.name);
    const summary = {
      stacks: built.stacks.map((s) => ({ name: s.stackName, description: s.description, production: s.production, dependsOn: s.dependencies.map((d) => d.node.id), suppressions: s.suppressions })),
      productionEnvironments,
    };
    fs.writeFileSync(path.join(staging, "slipway.json"), `${JSON.stringify(summary, null, 2)}\n`);
    // The policy rules run on exactly what Terraform will see; a high finding stops here.
    const loaded = loadSynthesized(staging);
    const policy = evaluate(loaded.stacks, { suppressions: loaded.suppressions, productionEnvironments });
    enforce(policy);
    const stacks = built.stacks.map((stack) => summarizeStack(staging, stack.stackName, stack.description, stack.production, stack.dependencies.map((d) => d.node.id)));
    replaceDirectory(staging, outdir);
    return { platform, outdir, stacks, workflows, policy };
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Moves `from` to `to`, replacing what was there with two renames (no half-written state). */
function replaceDirectory(from: string, to: string): void {
  const old = `${to}.old-${process.pid}`;
  const hadPrevious = fs.existsSync(to);
  if (hadPrevious) fs.renameSync(to, old);
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if (hadPrevious) fs.renameSync(old, to);
    throw error;
  }
  if (hadPrevious) fs.rmSync(old, { recursive: true, force: true });
}

function summarizeStack(outdir: string, name: string, description: string, production: boolean, dependsOn: string[]): StackSummary {
  const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
  const resourcesByProvider: Record<string, number> = {};
  let resources = 0;
  for (const [type, instances] of Object.entries<Record<string, unknown>>(json.resource ?? {})) {
    const provider = type.split("_")[0];
    const count = Object.keys(instances).length;
    resourcesByProvider[provider] = (resourcesByProvider[provider] ?? 0) + count;
    resources += count;
  }
  return { name, description, production, resourcesByProvider, resources, dependsOn };
}

/** One line for the policy verdict, then the suppressed findings with their reasons. */
function policySummary(policy: EvaluationResult): string {
  const open = policy.findings.filter((f) => !f.suppressed);
  const suppressed = policy.findings.filter((f) => f.suppressed);
  const count = (severity: string) => open.filter((f) => f.severity === severity).length;
  const lines = [
    `policy: ${policy.stats.rules} rules, ${policy.stats.checks} checks: ${count("high")} high, ${count("medium")} medium, ${count("low")} low open; ${suppressed.length} suppressed (details: npm run check)`,
  ];
  for (const f of open.filter((f) => f.severity !== "high")) lines.push(`  ${f.severity} ${f.rule.id} ${f.path}: ${f.message}`);
  for (const f of suppressed) lines.push(`  suppressed ${f.rule.id} ${f.path}: ${f.suppressed!.reason}`);
  for (const s of policy.unusedSuppressions) lines.push(`  unused suppression ${s.rule} ${s.path}: nothing matched; remove it`);
  return lines.join("\n");
}

/** The summary table: stack, resources per provider, what the stack is for. */
export function formatSummary(result: SynthResult): string {
  const rows = result.stacks.map((s) => [
    s.name,
    Object.entries(s.resourcesByProvider).sort().map(([p, n]) => `${p} ${n}`).join(", ") || "-",
    s.description,
  ]);
  const header = ["stack", "resources", "what it holds"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  const total = result.stacks.reduce((n, s) => n + s.resources, 0);
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `${result.stacks.length} stacks, ${total} resources from ${result.platform.file} -> ${path.relative(process.cwd(), result.outdir) || "."}`,
    policySummary(result.policy),
    `workflows (committed to each app repository by its delivery stack): ${result.workflows.map((w) => path.join(path.relative(process.cwd(), result.outdir) || ".", w)).join(", ")}`,
  ].join("\n");
}

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      platform: { type: "string", short: "p" },
      out: { type: "string", short: "o" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`usage: npm run synth -- [--platform FILE] [--out DIR] [--json]
  --platform FILE  the platform file (default: $SLIPWAY_PLATFORM_FILE or ${DEFAULT_PLATFORM_FILE})
  --out DIR        where to write the stacks (default: ${DEFAULT_OUTDIR}); replaced only on success
  --json           print the summary as JSON`);
    return 0;
  }
  const platformFile = values.platform ?? process.env.SLIPWAY_PLATFORM_FILE ?? DEFAULT_PLATFORM_FILE;
  const outdir = values.out ?? DEFAULT_OUTDIR;
  try {
    const result = synthesize({ platformFile, outdir });
    console.log(values.json ? JSON.stringify({ platformFile, outdir: result.outdir, stacks: result.stacks, workflows: result.workflows }, null, 2) : formatSummary(result));
    return 0;
  } catch (error) {
    if (error instanceof PolicyViolationError || error instanceof PolicyConfigurationError) {
      console.error(`${error.message}\nFix the resources, or accept a finding with a reasoned suppression in ${platformFile}.\nNothing was written; ${outdir} is as it was.`);
      return 1;
    }
    if (error instanceof PlatformFileError || error instanceof SlipwayValidationError) {
      console.error(`${error.message}\nNothing was written; ${outdir} is as it was.`);
      return 1;
    }
    throw error;
  }
}
