/**
 * `npm run cost`: the monthly cost of every stack of the platform file, per stack, environment and
 * app, priced by the engine in `cli/cost/price.js` (shared with the infrastructure CI's plan jobs)
 * against the dated snapshot `cli/cost/prices.json`, with the usage the platform file's
 * `cost.assumptions` states. Never calls the network. docs/cost.md says how it works.
 *
 * It synthesizes the platform file into a temporary folder (so the estimate is of the file as it
 * is now, and `cdktf.out` is left alone), or prices an existing synth output with `--from DIR`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { cents, CostAssumptions, DEFAULT_ASSUMPTIONS, defaultRegionOf, PricedResource, priceResources, PRICES, resourcesOfStackJson, UnpricedItem, unpricedOf } from "./cost/price";
import { AppEnvironmentStack, BootstrapStack, DeliveryStack, KubeSystemStack, Platform, PlatformStack } from "../stacks";
import { loadSynthesizedOutput } from "../synthesized";
import { columns } from "./output";

/** Which environment and app a stack's cost belongs to; `slipway.json`'s `cost.stacks`. */
export interface StackScope {
  /** The deployment environment; none for `bootstrap-<account>` and `<app>-delivery` (shared). */
  readonly environment?: string;
  readonly app?: string;
  /** The default AWS provider's region (plans use it where a resource's provider states none). */
  readonly region: string;
}

/** What synth writes under `cost` in `slipway.json`: CI prices plans with it, without the platform file. */
export interface CostSummary {
  readonly assumptions: CostAssumptions;
  readonly stacks: Record<string, StackScope>;
}

/**
 * Each stack's environment and app, from the built platform, and region: its default AWS
 * provider's in the synthesized `cdk.tf.json` (`jsonOf`), else its environment's.
 */
export function costScopes(built: Platform, jsonOf: (stack: string) => unknown): Record<string, StackScope> {
  const scopes: Record<string, StackScope> = {};
  for (const stack of built.stacks) {
    let scope: { environment?: string; app?: string; region?: string } = {};
    if (stack instanceof PlatformStack || stack instanceof KubeSystemStack) scope = { environment: stack.environment.name, region: stack.environment.region };
    else if (stack instanceof AppEnvironmentStack) scope = { environment: stack.deployment.environment.name, app: stack.deployment.app.name, region: stack.deployment.environment.region };
    else if (stack instanceof DeliveryStack) scope = { app: stack.app.name };
    else if (stack instanceof BootstrapStack) scope = { region: stack.region };
    const region = defaultRegionOf(jsonOf(stack.stackName)) ?? scope.region ?? "us-east-1";
    scopes[stack.stackName] = { ...scope, region };
  }
  return scopes;
}

export interface StackCost {
  readonly name: string;
  readonly environment?: string;
  readonly app?: string;
  readonly monthlyUsd: number;
  /** Priced resources, most expensive first. */
  readonly resources: PricedResource[];
  /** Resources with no charge. */
  readonly free: number;
}

export interface CostReport {
  readonly snapshot: { readonly date: string; readonly currency: string; readonly hoursPerMonth: number };
  readonly assumptions: CostAssumptions;
  readonly monthlyUsd: number;
  /** Per deployment environment, in the stacks' order; `shared` holds stacks of no environment. */
  readonly environments: Array<{ readonly name: string; readonly monthlyUsd: number }>;
  readonly apps: Array<{ readonly name: string; readonly monthlyUsd: number }>;
  readonly stacks: StackCost[];
  /** Not counted in any total: unpriced resources and unpriced parts of priced ones. */
  readonly unpriced: UnpricedItem[];
}

/** The group of stacks that belong to no environment. */
export const SHARED = "shared";

/** Prices synthesized stacks (`{ name, json }` of each `cdk.tf.json`). */
export function costReport(stacks: ReadonlyArray<{ readonly name: string; readonly json: unknown }>, summary: CostSummary): CostReport {
  const resources = stacks.flatMap((s) => resourcesOfStackJson(s.name, s.json));
  const priced = priceResources(resources, { assumptions: summary.assumptions });
  const costs: StackCost[] = stacks.map((s) => {
    const mine = priced.filter((p) => p.stack === s.name);
    const scope = summary.stacks[s.name];
    return {
      name: s.name,
      ...(scope?.environment ? { environment: scope.environment } : {}),
      ...(scope?.app ? { app: scope.app } : {}),
      monthlyUsd: cents(mine.reduce((sum, p) => sum + p.monthlyUsd, 0)),
      resources: mine.filter((p) => p.status === "priced").sort((a, b) => b.monthlyUsd - a.monthlyUsd || a.address.localeCompare(b.address)),
      free: mine.filter((p) => p.status === "free").length,
    };
  });
  const sumBy = (key: (s: StackCost) => string | undefined) => {
    const totals = new Map<string, number>();
    for (const s of costs) {
      const k = key(s);
      if (k !== undefined) totals.set(k, (totals.get(k) ?? 0) + s.monthlyUsd);
    }
    return [...totals].map(([name, usd]) => ({ name, monthlyUsd: cents(usd) }));
  };
  return {
    snapshot: { date: PRICES.date, currency: PRICES.currency, hoursPerMonth: PRICES.hoursPerMonth },
    assumptions: { ...summary.assumptions },
    monthlyUsd: cents(costs.reduce((sum, s) => sum + s.monthlyUsd, 0)),
    // Environments in the stacks' (promotion) order, the shared stacks last.
    environments: sumBy((s) => s.environment ?? SHARED).sort((a, b) => Number(a.name === SHARED) - Number(b.name === SHARED)),
    apps: sumBy((s) => s.app),
    stacks: costs,
    unpriced: unpricedOf(priced),
  };
}

/** The cost of a synth output folder (`cdktf.out`), with the assumptions and scopes synth wrote. */
export function costOfOutput(outdir: string): CostReport {
  const slipwayFile = path.join(outdir, "slipway.json");
  if (!fs.existsSync(slipwayFile)) throw new CostInputError(`${slipwayFile} not found: ${outdir} is not synth output`);
  const slipway = JSON.parse(fs.readFileSync(slipwayFile, "utf8"));
  if (!slipway?.cost?.stacks) throw new CostInputError(`${slipwayFile} has no cost section: synthesize again with this version (npm run synth)`);
  // The one reader of synthesized output (cli/check.ts), in slipway.json's (dependency) order.
  const order: string[] = slipway.stacks.map((s: { name: string }) => s.name);
  const stacks = [...loadSynthesizedOutput(outdir).stacks].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return costReport(stacks, { assumptions: { ...DEFAULT_ASSUMPTIONS, ...slipway.cost.assumptions }, stacks: slipway.cost.stacks });
}

export class CostInputError extends Error {}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** The monthly totals per environment, one line (the synth summary's). */
export function environmentTotalsLine(report: CostReport): string {
  return `monthly cost estimate ${usd(report.monthlyUsd)}: ${report.environments.map((e) => `${e.name} ${usd(e.monthlyUsd)}`).join(", ")} (prices of ${report.snapshot.date}, stated assumptions: npm run cost)`;
}

/** The human report: totals, then every stack's priced lines with what each assumes, then what is unpriced. */
export function formatCostReport(report: CostReport): string {
  const lines = [
    `Monthly cost estimate: ${usd(report.monthlyUsd)} (${report.snapshot.currency}, on-demand prices of ${report.snapshot.date}, ${report.snapshot.hoursPerMonth} hours a month; usage from cost.assumptions)`,
    "",
    ...columns([["environment", "monthly"], ...report.environments.map((e) => [e.name, usd(e.monthlyUsd)])]),
    "",
    ...columns([["app", "monthly"], ...report.apps.map((a) => [a.name, usd(a.monthlyUsd)])]),
    "",
  ];
  for (const s of report.stacks) {
    const scope = [s.environment, s.app].filter(Boolean).join(", ") || SHARED;
    lines.push(`${s.name} (${scope}): ${usd(s.monthlyUsd)}${s.free > 0 ? `; ${s.free} resources with no charge` : ""}`);
    for (const r of s.resources) {
      lines.push(`  ${usd(r.monthlyUsd).padStart(10)}  ${r.address}`);
      for (const l of r.lines) lines.push(`  ${"".padStart(10)}    ${l.what}: ${usd(l.monthlyUsd)} = ${+l.quantity.toFixed(4)} ${l.unit} × $${l.unitUsd} (${l.region}); assumes ${l.assumes}`);
      for (const n of r.notPriced ?? []) lines.push(`  ${"".padStart(10)}    not counted: ${n}`);
    }
  }
  lines.push("");
  if (report.unpriced.length === 0) lines.push("Every resource is priced or has no charge.");
  else {
    lines.push(`Not counted (${report.unpriced.length}): add the price to cli/cost/prices.json, or the type to cli/cost/price.js`);
    for (const u of report.unpriced) lines.push(`  ${u.stack} ${u.address}: ${u.reason}`);
  }
  const a = report.assumptions;
  lines.push("", `Assumptions (per resource, a month): ${Object.entries(a).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      platform: { type: "string", short: "p" },
      from: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`usage: npm run cost -- [--platform FILE | --from DIR] [--json]
  --platform FILE  the platform file to synthesize and price (default: $SLIPWAY_PLATFORM_FILE or platform.yaml)
  --from DIR       price an existing synth output (cdktf.out) instead
  --json           the same report as JSON`);
    return 0;
  }
  let report: CostReport;
  if (values.from) {
    try {
      report = costOfOutput(values.from);
    } catch (error) {
      console.error(`${(error as Error).message}\nRun npm run synth first, or leave out --from.`);
      return 1;
    }
  } else {
    // Loaded lazily: --from needs no synthesis machinery.
    const { isSynthFailure, synthesize } = await import("./synth");
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cost-")), "out");
    try {
      synthesize({ platformFile: values.platform ?? process.env.SLIPWAY_PLATFORM_FILE ?? "platform.yaml", outdir });
      report = costOfOutput(outdir);
    } catch (error) {
      if (isSynthFailure(error)) {
        console.error(error.message);
        return 1;
      }
      throw error;
    } finally {
      fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
    }
  }
  console.log(values.json ? JSON.stringify(report, null, 2) : formatCostReport(report));
  return 0;
}
