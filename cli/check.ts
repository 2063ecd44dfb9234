/**
 * `npm run check`: evaluates the policy rules over an already synthesized `cdktf.out` (run
 * `npm run synth` first) and exits 1 when an unsuppressed high-severity finding remains.
 *
 * Which stacks are production, the production deployment environments, and suppressions come
 * from `slipway.json` beside `manifest.json`:
 * `{ "stacks": [{ "name", "production", "suppressions": [{ "rule", "path", "reason" }] }], "productionEnvironments": ["prod"] }`.
 * Without it, stacks named `…-prod` / `…-production` are production. Suppression paths are
 * construct paths; a path not starting with its stack's name is taken relative to that stack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ALL_RULES, EvaluationResult, evaluate, blockingFindings, formatReport, PolicyConfigurationError, Rule, RULES_BY_AREA, StackInput, Suppression } from "../policy";

export const DEFAULT_OUTDIR = "cdktf.out";
export const RULES_DOC_FILE = path.join("docs", "policy-rules.md");
const PRODUCTION_NAME = /-(prod|production)$/;

/** What `slipway.json` may hold; every field optional. */
export interface SlipwaySummary {
  readonly stacks?: { readonly name: string; readonly production?: boolean; readonly suppressions?: Suppression[] }[];
  readonly productionEnvironments?: string[];
  readonly suppressions?: Suppression[];
}

export interface LoadedOutput {
  readonly stacks: StackInput[];
  readonly suppressions: Suppression[];
  readonly productionEnvironments: string[];
  /** True when `slipway.json` was found; otherwise production came from stack names. */
  readonly summaryFound: boolean;
}

/** Thrown for a missing or unreadable synthesized folder. */
export class CheckInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckInputError";
  }
}

/** Reads the stacks of a synthesized folder, with their production flags and suppressions. */
export function loadSynthesized(outdir: string): LoadedOutput {
  const manifestFile = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifestFile)) throw new CheckInputError(`${manifestFile} not found: run \`npm run synth\` first (or pass --out DIR)`);
  const manifest = readJson(manifestFile);
  const summaryFile = path.join(outdir, "slipway.json");
  const summaryFound = fs.existsSync(summaryFile);
  const summary: SlipwaySummary = summaryFound ? readJson(summaryFile) : {};
  const described = new Map((summary.stacks ?? []).map((s) => [s.name, s]));

  const stacks: StackInput[] = [];
  const suppressions: Suppression[] = [...(summary.suppressions ?? [])];
  for (const [name, entry] of Object.entries<any>(manifest.stacks ?? {})) {
    const file = path.join(outdir, entry.synthesizedStackPath ?? path.join("stacks", name, "cdk.tf.json"));
    if (!fs.existsSync(file)) throw new CheckInputError(`${file} (stack ${name} in ${manifestFile}) not found: synthesize again`);
    const description = described.get(name);
    const production = typeof description?.production === "boolean" ? description.production : PRODUCTION_NAME.test(name);
    stacks.push({ name, production, json: readJson(file) });
    for (const s of description?.suppressions ?? []) {
      const relative = typeof s?.path === "string" && s.path !== name && !s.path.startsWith(`${name}/`);
      suppressions.push(relative ? { ...s, path: `${name}/${s.path.replace(/^\/+/, "")}` } : s);
    }
  }
  const productionEnvironments = summary.productionEnvironments ?? deriveProductionEnvironments(stacks);
  return { stacks, suppressions, productionEnvironments, summaryFound };
}

/** The environment names of production stacks: `platform-<env>` and `<app>-<env>` give `<env>`. */
function deriveProductionEnvironments(stacks: StackInput[]): string[] {
  const names = new Set<string>();
  for (const s of stacks.filter((s) => s.production)) {
    names.add(s.name.startsWith("platform-") ? s.name.slice("platform-".length) : s.name.slice(s.name.lastIndexOf("-") + 1));
  }
  return [...names].sort();
}

function readJson(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new CheckInputError(`${file} is not readable JSON: ${(error as Error).message}`);
  }
}

/** The findings as plain JSON (rule objects replaced by their id, title, fix and references). */
export function resultToJson(result: EvaluationResult, loaded: Pick<LoadedOutput, "productionEnvironments" | "stacks">): object {
  return {
    stats: result.stats,
    productionStacks: loaded.stacks.filter((s) => s.production).map((s) => s.name),
    productionEnvironments: loaded.productionEnvironments,
    blocking: blockingFindings(result).length,
    findings: result.findings.map((f) => ({
      rule: f.rule.id,
      severity: f.severity,
      title: f.rule.title,
      stack: f.stack,
      path: f.path,
      address: f.address,
      message: f.message,
      fix: f.rule.fix,
      references: f.rule.references,
      ...(f.suppressed ? { suppressed: f.suppressed } : {}),
    })),
    unusedSuppressions: result.unusedSuppressions,
  };
}

// ------------------------------------------------------------------------------------------------
// docs/policy-rules.md
// ------------------------------------------------------------------------------------------------

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function referencesText(rule: Rule): string {
  const { checkov = [], trivy = [], other = [] } = rule.references;
  return [...checkov, ...trivy, ...other].join(", ") || "-";
}

function typesText(rule: Rule): string {
  const main = rule.resourceTypes.map((t) => `\`${t}\``).join(", ");
  const related = (rule.relatedTypes ?? []).map((t) => `\`${t}\``).join(", ");
  return related ? `${main} (reads ${related})` : main;
}

/** The rules reference, `docs/policy-rules.md`. */
export function generateRulesDoc(rulesByArea: Readonly<Record<string, readonly Rule[]>> = RULES_BY_AREA): string {
  const rules = Object.values(rulesByArea).flat();
  const count = (severity: string) => rules.filter((r) => r.severity === severity).length;
  const lines = [
    "# Policy rules",
    "",
    "<!-- Generated by generateRulesDoc() in cli/check.ts: run `npm run check -- --write-rules-doc` after changing a rule. A test fails when this file is stale. -->",
    "",
    "`npm run check` runs these rules over the synthesized stacks (`cdktf.out/stacks/<stack>/cdk.tf.json`), the exact configuration Terraform plans, offline. " +
      "It exits 1 while an unsuppressed **high** finding remains. Production-only rules run on production stacks " +
      "(`slipway.json` beside `manifest.json`, else stacks named `-prod`/`-production`). " +
      "A finding is accepted with a suppression `{ rule, path, reason }` (a construct path or prefix, and a reason of at least 10 characters), and is still reported with that reason.",
    "",
    `${rules.length} rules: ${count("high")} high, ${count("medium")} medium, ${count("low")} low.`,
    "",
    "| area | rules |",
    "| --- | --- |",
    ...Object.entries(rulesByArea).map(([area, list]) => `| ${cell(area)} | ${list.length} |`),
    "",
    "| id | severity | production only | resource types | title | Checkov / Trivy / other | fix |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rules.map((r) =>
      [r.id, r.severity, r.productionOnly ? "yes" : "no", typesText(r), r.title, referencesText(r), r.fix].map(cell).join(" | ").replace(/^/, "| ").concat(" |"),
    ),
    "",
  ];
  return lines.join("\n");
}

// ------------------------------------------------------------------------------------------------

const USAGE = `usage: slipway check [DIR] [--json] [--write-rules-doc]   (npm run check -- …)
  DIR, --out DIR      the synthesized folder to check (default: ${DEFAULT_OUTDIR}): Slipway's (run \`slipway synth\`
                      first) or any cdktf app's output (its manifest.json and stacks)
  --json              print the findings as JSON
  --no-color          plain text even on a terminal
  --write-rules-doc   regenerate ${RULES_DOC_FILE} from the rules and exit
exit code: 0 when no unsuppressed high finding remains, 1 when one does, 2 for bad input or configuration`;

export function main(argv: string[]): number {
  let values: { out?: string; json?: boolean; help?: boolean; "no-color"?: boolean; "write-rules-doc"?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: "string", short: "o" },
        json: { type: "boolean" },
        "no-color": { type: "boolean" },
        "write-rules-doc": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
    if (positionals.length > 1 || (positionals.length === 1 && values.out !== undefined)) throw new Error(`one synthesized folder, as DIR or --out DIR: received ${[...positionals, values.out].filter(Boolean).join(", ")}`);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values["write-rules-doc"]) {
    fs.mkdirSync(path.dirname(RULES_DOC_FILE), { recursive: true });
    fs.writeFileSync(RULES_DOC_FILE, generateRulesDoc());
    console.log(`wrote ${RULES_DOC_FILE} (${ALL_RULES.length} rules)`);
    return 0;
  }

  const outdir = positionals[0] ?? values.out ?? DEFAULT_OUTDIR;
  let loaded: LoadedOutput;
  let result: EvaluationResult;
  try {
    loaded = loadSynthesized(outdir);
    result = evaluate(loaded.stacks, { rules: ALL_RULES, suppressions: loaded.suppressions, productionEnvironments: loaded.productionEnvironments });
  } catch (error) {
    if (error instanceof CheckInputError || error instanceof PolicyConfigurationError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }

  if (values.json) {
    console.log(JSON.stringify(resultToJson(result, loaded), null, 2));
  } else {
    const production = loaded.stacks.filter((s) => s.production).map((s) => s.name);
    console.log(
      `Checking ${outdir}: production stacks ${production.join(", ") || "none"}` +
        ` (${loaded.summaryFound ? "from slipway.json" : "no slipway.json: by name"}); production environments ${loaded.productionEnvironments.join(", ") || "none"}\n`,
    );
    console.log(formatReport(result, { color: !values["no-color"] && process.stdout.isTTY === true && !process.env.NO_COLOR }));
  }
  return blockingFindings(result).length > 0 ? 1 : 0;
}
