/**
 * Slipway's policy engine: rules that run over the synthesized stacks (`cdktf.out/stacks/<stack>/
 * cdk.tf.json`), so they judge exactly what Terraform will see, offline and with no extra tool.
 *
 * `evaluate` runs every rule on every resource of the types it covers and returns the findings
 * (suppressed ones included, marked with their reason); `formatReport` prints them grouped by
 * severity; `enforce` throws when an unsuppressed high finding remains. The second half of this
 * file holds the helpers rules share: tolerant accessors for cdktf JSON (a nested block is an
 * object or a one-element list depending on the provider schema), booleans that may be strings,
 * Terraform references, and policy documents that may be `jsonencode(...)` expressions.
 */

export type Severity = "high" | "medium" | "low";

export const SEVERITIES: readonly Severity[] = ["high", "medium", "low"];

/** Where a rule's check comes from in other tools, so findings can be cross-referenced. */
export interface RuleReferences {
  /** Checkov check ids, e.g. `CKV_AWS_19`. */
  readonly checkov?: readonly string[];
  /** Trivy (tfsec) ids, e.g. `AVD-AWS-0088`. */
  readonly trivy?: readonly string[];
  /** Other benchmarks or guidance, e.g. `CIS EKS 5.4.2`, `Kubernetes PSS restricted`. */
  readonly other?: readonly string[];
}

export interface Rule {
  /** Stable id, `SLW-<AREA>-<NNN>`; suppressions name it, so never reuse or renumber one. */
  readonly id: string;
  /** One line: what a passing resource looks like. */
  readonly title: string;
  readonly severity: Severity;
  /** The Terraform types `check` runs on, once per resource. */
  readonly resourceTypes: readonly string[];
  /** Terraform types the check reads besides `resourceTypes` (companion resources); documentation only. */
  readonly relatedTypes?: readonly string[];
  /** Runs only on production stacks. */
  readonly productionOnly?: boolean;
  readonly references: RuleReferences;
  /** How to fix a violation. */
  readonly fix: string;
  /** The violations of `resource`, one message each; empty when it passes. */
  check(resource: ResourceView, stack: StackView): string[];
}

/** One resource of a synthesized stack. */
export interface ResourceView {
  /** Terraform type, e.g. `aws_s3_bucket`. */
  readonly type: string;
  /** Terraform name, e.g. `Cdn_AssetsBucket_8C51EC13`. */
  readonly name: string;
  /** `type.name`, what `${...}` references start with. */
  readonly address: string;
  /** Construct path from `resource["//"].metadata.path`, e.g. `hello-dev/Cdn/AssetsBucket`. */
  readonly path: string;
  /** The resource's configuration as synthesized (the `//` metadata removed). */
  readonly config: any;
  /** Findings accepted on this resource by `suppressPolicy()` on its construct (from `//.slipway.suppressions`). */
  readonly suppressions?: readonly { readonly rule: string; readonly reason: string }[];
}

/** What rules may know about the platform beyond one stack. */
export interface StackContext {
  /**
   * Names of deployment environments that are production, e.g. `["prod"]`: GitHub environments
   * live in the delivery stack, which is not itself a production stack.
   */
  readonly productionEnvironments: readonly string[];
}

export interface StackView {
  readonly name: string;
  readonly production: boolean;
  /** The whole `cdk.tf.json` object. */
  readonly json: any;
  readonly context: StackContext;
  /** Every resource of the stack. */
  all(): ResourceView[];
  /** The resources of `type`, in synthesized order. */
  resources(type: string): ResourceView[];
  /** The resources of `type` whose config references `target` (`${target.address}.…`, also inside `jsonencode`). */
  referencing(type: string, target: ResourceView): ResourceView[];
  /** The resource a reference such as `${aws_kms_key.Key_1234.arn}` points at, when it is in this stack. */
  resolve(reference: unknown): ResourceView | undefined;
}

/** A synthesized stack to evaluate. */
export interface StackInput {
  readonly name: string;
  readonly production: boolean;
  readonly json: any;
}

/** Accepts findings of one rule under one construct path, with a reason that is reported alongside. */
export interface Suppression {
  /** The rule id, e.g. `SLW-CF-006`. */
  readonly rule: string;
  /** A construct path or a prefix of one, e.g. `hello-dev/Cdn`. */
  readonly path: string;
  /** Why the finding is accepted; at least 10 characters. */
  readonly reason: string;
}

export interface Finding {
  readonly rule: Rule;
  readonly stack: string;
  readonly path: string;
  readonly address: string;
  readonly message: string;
  readonly severity: Severity;
  /** Present when a suppression accepted the finding. */
  readonly suppressed?: { readonly reason: string };
}

export interface EvaluationResult {
  /** Every finding, suppressed ones included; sorted by severity, stack, path, rule. */
  readonly findings: Finding[];
  /** Suppressions that matched no finding (stale: remove them). */
  readonly unusedSuppressions: Suppression[];
  /** Counts for the report header. */
  readonly stats: { readonly rules: number; readonly stacks: number; readonly resources: number; readonly checks: number };
}

export interface EvaluateOptions {
  /**
   * The rules to run.
   * @default none here; `evaluate` from `policy/index.ts` (the public entry point) defaults to `ALL_RULES`
   */
  readonly rules?: readonly Rule[];
  readonly suppressions?: readonly Suppression[];
  /** @default [] */
  readonly productionEnvironments?: readonly string[];
}

/** Bad rules or suppressions: the policy itself is misconfigured. */
export class PolicyConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Policy configuration is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyConfigurationError";
  }
}

/** Thrown by {@link enforce}: unsuppressed high findings, every one of them in the message. */
export class PolicyViolationError extends Error {
  constructor(readonly findings: Finding[]) {
    super(
      `${findings.length} unsuppressed high-severity policy finding${findings.length === 1 ? "" : "s"}:\n` +
        findings.map((f) => `  ${findingLine(f)}`).join("\n"),
    );
    this.name = "PolicyViolationError";
  }
}

const RULE_ID = /^SLW-[A-Z0-9]+-\d{3}$/;
const MIN_REASON_LENGTH = 10;

/** Runs `rules` over every resource of every stack. Throws {@link PolicyConfigurationError} for bad rules or suppressions. */
export function evaluate(stacks: readonly StackInput[], options: EvaluateOptions = {}): EvaluationResult {
  const rules = options.rules ?? [];
  const platformSuppressions = options.suppressions ?? [];
  const views = stacks.map((input) => createStackView(input, { productionEnvironments: [...(options.productionEnvironments ?? [])] }));
  // Suppressions made next to a construct (suppressPolicy) count like the platform file's, scoped to that resource.
  const resourceSuppressions = new Map<ResourceView, Suppression[]>();
  for (const view of views) {
    for (const resource of view.all()) {
      if (resource.suppressions?.length) resourceSuppressions.set(resource, resource.suppressions.map((s) => ({ rule: s.rule, path: resource.path, reason: s.reason })));
    }
  }
  const suppressions = [...platformSuppressions, ...[...resourceSuppressions.values()].flat()];
  validateConfiguration(rules, suppressions);

  const findings: Finding[] = [];
  const used = new Set<Suppression>();
  let resources = 0;
  let checks = 0;

  for (const stack of views) {
    resources += stack.all().length;
    for (const rule of rules) {
      if (rule.productionOnly && !stack.production) continue;
      for (const type of rule.resourceTypes) {
        for (const resource of stack.resources(type)) {
          checks++;
          let messages: string[];
          try {
            messages = rule.check(resource, stack);
          } catch (error) {
            // A rule that cannot read a resource must not pass it silently.
            messages = [`the rule could not evaluate this resource: ${error instanceof Error ? error.message : String(error)}`];
          }
          for (const message of messages) {
            const suppression =
              resourceSuppressions.get(resource)?.find((s) => s.rule === rule.id) ??
              platformSuppressions.find((s) => s.rule === rule.id && pathMatches(s.path, resource.path));
            if (suppression) used.add(suppression);
            findings.push({
              rule,
              stack: stack.name,
              path: resource.path,
              address: resource.address,
              message,
              severity: rule.severity,
              ...(suppression ? { suppressed: { reason: suppression.reason } } : {}),
            });
          }
        }
      }
    }
  }

  findings.sort(compareFindings);
  return {
    findings,
    unusedSuppressions: unusedSuppressions(platformSuppressions, [...resourceSuppressions.values()].flat(), used),
    stats: { rules: rules.length, stacks: stacks.length, resources, checks },
  };
}

function validateConfiguration(rules: readonly Rule[], suppressions: readonly Suppression[]): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const rule of rules) {
    if (!RULE_ID.test(rule.id)) problems.push(`rule id ${JSON.stringify(rule.id)} is not of the form SLW-<AREA>-<NNN>`);
    if (ids.has(rule.id)) problems.push(`rule id ${rule.id} is used by more than one rule`);
    ids.add(rule.id);
    if (rule.resourceTypes.length === 0) problems.push(`rule ${rule.id} covers no resource type`);
  }
  suppressions.forEach((s, i) => {
    const where = `suppression ${i + 1} (rule ${JSON.stringify(s?.rule)}, path ${JSON.stringify(s?.path)})`;
    if (typeof s?.rule !== "string" || !ids.has(s.rule)) {
      const suggestion = typeof s?.rule === "string" ? closest(s.rule, [...ids]) : undefined;
      problems.push(`${where}: unknown rule id${suggestion ? `; did you mean ${suggestion}?` : ""}`);
    }
    if (typeof s?.path !== "string" || s.path.trim() === "") {
      problems.push(`${where}: a construct path (or a prefix of one) is required, e.g. "hello-dev/Cdn"`);
    }
    if (typeof s?.reason !== "string" || s.reason.trim().length < MIN_REASON_LENGTH) {
      problems.push(
        `${where}: a reason of at least ${MIN_REASON_LENGTH} characters is required (received ${JSON.stringify(s?.reason ?? null)}); it is printed with every finding it accepts`,
      );
    }
  });
  if (problems.length > 0) throw new PolicyConfigurationError(problems);
}

/** A suppression path matches the path itself and everything below it, never a sibling sharing a prefix. */
function pathMatches(prefix: string, path: string): boolean {
  const p = prefix.replace(/\/+$/, "");
  return path === p || path.startsWith(`${p}/`);
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toUpperCase(), c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= 3 ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    a.stack.localeCompare(b.stack) ||
    a.path.localeCompare(b.path) ||
    a.rule.id.localeCompare(b.rule.id) ||
    a.message.localeCompare(b.message)
  );
}

/** The view rules get of one stack; indexes resources once. */
export function createStackView(input: StackInput, context: StackContext = { productionEnvironments: [] }): StackView {
  const byType = new Map<string, ResourceView[]>();
  const byAddress = new Map<string, ResourceView>();
  const all: ResourceView[] = [];
  const text = new Map<ResourceView, string>();
  for (const [type, instances] of Object.entries<Record<string, any>>(input.json?.resource ?? {})) {
    const list: ResourceView[] = [];
    for (const [name, raw] of Object.entries<any>(instances ?? {})) {
      const { "//": meta, ...config } = raw ?? {};
      const view: ResourceView = {
        type,
        name,
        address: `${type}.${name}`,
        path: typeof meta?.metadata?.path === "string" ? meta.metadata.path : `${input.name}/${type}.${name}`,
        config,
        ...(Array.isArray(meta?.slipway?.suppressions) ? { suppressions: meta.slipway.suppressions } : {}),
      };
      list.push(view);
      all.push(view);
      byAddress.set(view.address, view);
    }
    byType.set(type, list);
  }
  const textOf = (r: ResourceView) => {
    let t = text.get(r);
    if (t === undefined) {
      t = JSON.stringify(r.config);
      text.set(r, t);
    }
    return t;
  };
  return {
    name: input.name,
    production: input.production,
    json: input.json,
    context,
    all: () => all,
    resources: (type) => byType.get(type) ?? [],
    referencing: (type, target) => {
      const pattern = referencePattern(target.address);
      return (byType.get(type) ?? []).filter((r) => r !== target && pattern.test(textOf(r)));
    },
    resolve: (reference) => {
      const ref = parseReference(reference);
      return ref ? byAddress.get(`${ref.type}.${ref.name}`) : undefined;
    },
  };
}

/** Matches `address` as a reference: followed by `.`, `[` or the end of an interpolation, not by more of a name. */
function referencePattern(address: string): RegExp {
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9_\\-.])${escaped}(?=[.\\[}\\s,)\\]]|$)`);
}

// ------------------------------------------------------------------------------------------------
// Report
// ------------------------------------------------------------------------------------------------

const COLORS: Record<Severity | "dim" | "reset" | "bold", string> = {
  high: "\u001b[31m",
  medium: "\u001b[33m",
  low: "\u001b[36m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
  reset: "\u001b[0m",
};

/** One line: `SEVERITY RULE-ID stack path: message (fix: …)`. */
export function findingLine(f: Finding): string {
  return `${f.severity.toUpperCase()} ${f.rule.id} ${f.stack} ${f.path}: ${f.message} (fix: ${f.rule.fix})`;
}

/**
 * The suppressions that matched nothing. One platform-file suppression reaches every stack it is
 * meant for (an app's: its delivery stack and each environment's stack; an environment's: every
 * stack there), each copy under that stack's path: it is unused only when no copy matched, and is
 * then reported once (its first copy).
 */
function unusedSuppressions(platform: readonly Suppression[], resource: readonly Suppression[], used: ReadonlySet<Suppression>): Suppression[] {
  const declaration = (s: Suppression) => [s.rule, s.reason, s.path.split("/").slice(1).join("/")].join("\u0000");
  const usedDeclarations = new Set(platform.filter((s) => used.has(s)).map(declaration));
  const reported = new Set<string>();
  const unused: Suppression[] = [];
  for (const s of platform) {
    const key = declaration(s);
    if (usedDeclarations.has(key) || reported.has(key)) continue;
    reported.add(key);
    unused.push(s);
  }
  return [...unused, ...resource.filter((s) => !used.has(s))];
}

/** The report: a summary, then unsuppressed findings by severity, suppressed ones with their reason, and unused suppressions. */
export function formatReport(result: EvaluationResult, options: { color?: boolean } = {}): string {
  const paint = (code: keyof typeof COLORS, text: string) => (options.color ? `${COLORS[code]}${text}${COLORS.reset}` : text);
  const open = result.findings.filter((f) => !f.suppressed);
  const suppressed = result.findings.filter((f) => f.suppressed);
  const counts = SEVERITIES.map((s) => `${open.filter((f) => f.severity === s).length} ${s}`).join(", ");
  const { stats } = result;
  const lines = [
    paint("bold", `Policy: ${stats.rules} rules, ${stats.checks} checks over ${stats.resources} resources in ${stats.stacks} stacks`),
    `Findings: ${counts}; ${suppressed.length} suppressed`,
  ];
  for (const severity of SEVERITIES) {
    const group = open.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push("", paint(severity, `${severity.toUpperCase()} (${group.length})`));
    for (const f of group) lines.push(`  ${paint(severity, f.severity.toUpperCase())} ${findingLine(f).slice(f.severity.length + 1)}`);
  }
  if (suppressed.length > 0) {
    lines.push("", paint("dim", `SUPPRESSED (${suppressed.length})`));
    for (const f of suppressed) {
      lines.push(`  ${f.severity.toUpperCase()} ${f.rule.id} ${f.stack} ${f.path}: ${f.message} (suppressed: ${f.suppressed!.reason})`);
    }
  }
  if (result.unusedSuppressions.length > 0) {
    lines.push("", paint("medium", `UNUSED SUPPRESSIONS (${result.unusedSuppressions.length}) — they match no finding; remove them`));
    for (const s of result.unusedSuppressions) lines.push(`  ${s.rule} ${s.path}: ${s.reason}`);
  }
  if (open.length === 0) lines.push("", "No unsuppressed findings.");
  return lines.join("\n");
}

/** The unsuppressed high findings. */
export function blockingFindings(result: EvaluationResult): Finding[] {
  return result.findings.filter((f) => f.severity === "high" && !f.suppressed);
}

/** Throws {@link PolicyViolationError} listing every unsuppressed high finding, if there is any. */
export function enforce(result: EvaluationResult): void {
  const blocking = blockingFindings(result);
  if (blocking.length > 0) throw new PolicyViolationError(blocking);
}

// ------------------------------------------------------------------------------------------------
// Helpers for rules: tolerant accessors over cdktf JSON
// ------------------------------------------------------------------------------------------------

/** A value as a list: a list stays, `undefined`/`null` is empty, anything else is a one-element list. */
export function list(value: unknown): any[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A nested block: the object itself, or the first element of a list (cdktf writes both). */
export function block(value: unknown): any {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== null && typeof first === "object" ? first : undefined;
}

/** Walks `keys` through nested blocks, tolerant of lists at every level: `dig(c, "spec", "template", "spec")`. */
export function dig(value: unknown, ...keys: string[]): any {
  let current: any = value;
  for (const key of keys) {
    const b = block(current);
    if (b === undefined) return undefined;
    current = b[key];
  }
  return current;
}

/** True for `true` and `"true"` (cdktf writes some booleans as strings). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

/** True for `false` and `"false"`. */
export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === "string" && value.toLowerCase() === "false");
}

/** A number from a number or a numeric string; undefined otherwise (including references). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

/** True when `value` is (or holds) a Terraform interpolation `${…}`: its value is known only at plan time. */
export function isReference(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** JSON for messages, short. */
export function show(value: unknown): string {
  if (value === undefined) return "(not set)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The resource a whole-value reference names: `${aws_kms_key.Key_1234.arn}`, `${aws_iam_role.R.name}`
 * (`parsePolicy` turns `jsonencode`'s bare traversals into this form). Literals such as
 * `my.bucket.name`, data sources and other stacks' outputs give undefined.
 */
export function parseReference(value: unknown): { type: string; name: string; attribute: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\.|\[)[^}]*)?\}$/.exec(value.trim());
  if (!m || m[1] === "data" || m[1] === "var" || m[1] === "local" || m[1] === "module") return undefined;
  return { type: m[1], name: m[2], attribute: (m[3] ?? "").replace(/^\./, "") };
}

/** The addresses (`type.name`) of the resources a value references anywhere inside it. */
export function referencedAddresses(value: unknown): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  const found = new Set<string>();
  const pattern = /(?:^|[^A-Za-z0-9_\-.])((?!data\.|var\.|local\.|module\.)[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)(?=[.[])/g;
  for (const m of text.matchAll(pattern)) found.add(m[1]);
  return [...found];
}

/** The tags of a resource (`tags`, as written in the stack; provider default tags are not included). */
export function tagsOf(resource: ResourceView): Record<string, string> {
  const tags = resource.config.tags;
  return tags && typeof tags === "object" && !Array.isArray(tags) ? tags : {};
}

/** True when `lifecycle.prevent_destroy` is on. */
export function preventsDestroy(resource: ResourceView): boolean {
  return isTrue(dig(resource.config, "lifecycle", "prevent_destroy"));
}

// ------------------------------------------------------------------------------------------------
// Policy documents (IAM, KMS, S3, ECR)
// ------------------------------------------------------------------------------------------------

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export type ParsedPolicy = { readonly ok: true; readonly statements: PolicyStatement[]; readonly document: any } | { readonly ok: false; readonly reason: string };

/**
 * Reads a policy document as synthesized: a JSON string (possibly with `${…}` interpolations inside
 * string values), or `${jsonencode({...})}` whose argument is a literal object. References inside
 * `jsonencode` (`aws_s3_bucket.B.arn`) become the strings `"${aws_s3_bucket.B.arn}"`. Anything
 * else (a data source's JSON, function calls, conditionals) is not statically checkable.
 */
export function parsePolicy(value: unknown): ParsedPolicy {
  let document: any;
  if (value !== null && typeof value === "object") {
    document = value;
  } else if (typeof value !== "string") {
    return { ok: false, reason: `the document is ${show(value)}, not JSON` };
  } else {
    const text = value.trim();
    const encoded = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(text);
    if (encoded) {
      try {
        document = parseHclExpression(encoded[1]);
      } catch (error) {
        return { ok: false, reason: `jsonencode(...) is not a literal document (${(error as Error).message})` };
      }
    } else if (text.startsWith("${")) {
      return { ok: false, reason: `the document is the Terraform expression ${show(text)}` };
    } else {
      try {
        document = JSON.parse(text);
      } catch (error) {
        return { ok: false, reason: `the document is not valid JSON (${(error as Error).message})` };
      }
    }
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { ok: false, reason: "the document is not a JSON object" };
  }
  const statements = list(document.Statement).filter((s) => s !== null && typeof s === "object");
  return { ok: true, statements, document };
}

/** The values of a statement field that may be a string or a list (`Action`, `Resource`, ...). */
export function values(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === "string");
}

/** True when the statement's principal is everyone: `"*"`, `{"AWS": "*"}` (or a list holding `"*"`), or an Allow with `NotPrincipal`. */
export function hasWildcardPrincipal(statement: PolicyStatement): boolean {
  if (statement.NotPrincipal !== undefined && statement.Effect !== "Deny") return true;
  const principal = statement.Principal;
  if (principal === "*") return true;
  if (principal && typeof principal === "object") {
    return Object.values(principal as Record<string, unknown>).some((v) => values(v).includes("*"));
  }
  return false;
}

/** The statement's condition operators and keys, flattened: `[{operator, key, values}]`. */
export function conditions(statement: PolicyStatement): { operator: string; key: string; values: unknown[] }[] {
  const result: { operator: string; key: string; values: unknown[] }[] = [];
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    if (!entries || typeof entries !== "object") continue;
    for (const [key, v] of Object.entries(entries)) result.push({ operator, key, values: list(v) });
  }
  return result;
}

/**
 * Parses the subset of HCL that cdktf writes inside `jsonencode(...)`: objects (`{"k" = v, …}`),
 * tuples, strings (templates kept verbatim), numbers, `true`/`false`/`null`, and references
 * (`aws_s3_bucket.B.arn`, `data.x.y.z[0]`), which become `"${…}"` strings. Throws on anything else.
 */
export function parseHclExpression(source: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i}: ${JSON.stringify(source.slice(i, i + 30))}`);
  };
  const skip = () => {
    for (;;) {
      while (i < source.length && /\s/.test(source[i])) i++;
      if (source.startsWith("#", i) || source.startsWith("//", i)) {
        while (i < source.length && source[i] !== "\n") i++;
      } else if (source.startsWith("/*", i)) {
        const end = source.indexOf("*/", i + 2);
        i = end < 0 ? source.length : end + 2;
      } else return;
    }
  };
  const parseString = (): string => {
    // i is at the opening quote.
    i++;
    let out = "";
    while (i < source.length) {
      const c = source[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\\") {
        const n = source[i + 1];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (n in simple) {
          out += simple[n];
          i += 2;
        } else if (n === "u" && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail("unknown escape");
        continue;
      }
      if ((c === "$" || c === "%") && source[i + 1] === c && source[i + 2] === "{") {
        out += `${c}{`; // `$${` is a literal `${`
        i += 3;
        continue;
      }
      if ((c === "$" || c === "%") && source[i + 1] === "{") {
        // A template interpolation: keep it verbatim, braces and nested strings balanced.
        const start = i;
        i += 2;
        let depth = 1;
        while (i < source.length && depth > 0) {
          const d = source[i];
          if (d === '"') {
            parseString();
            continue;
          }
          if (d === "{") depth++;
          else if (d === "}") depth--;
          i++;
        }
        if (depth > 0) fail("unterminated interpolation");
        out += source.slice(start, i);
        continue;
      }
      out += c;
      i++;
    }
    return fail("unterminated string");
  };
  const parseValue = (): unknown => {
    skip();
    const c = source[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      for (;;) {
        skip();
        if (source[i] === "}") {
          i++;
          return obj;
        }
        let key: string;
        if (source[i] === '"') key = parseString();
        else {
          const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i));
          if (!m) return fail("expected an object key");
          key = m[0];
          i += key.length;
        }
        skip();
        if (source[i] !== "=" && source[i] !== ":") fail("expected '=' after an object key");
        i++;
        obj[key] = parseValue();
        const end = i;
        skip();
        if (source[i] === ",") i++;
        // Newline-separated attributes are valid HCL; anything else (an operator) is not evaluated.
        else if (source[i] !== "}" && !source.slice(end, i).includes("\n")) fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: unknown[] = [];
      for (;;) {
        skip();
        if (source[i] === "]") {
          i++;
          return items;
        }
        items.push(parseValue());
        skip();
        if (source[i] === ",") i++;
        else if (source[i] !== "]") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    const traversal = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\.\d+|\[\d+\]|\["[^"\]]*"\]|\.\*|\[\*\])*/.exec(source.slice(i));
    if (traversal) {
      const word = traversal[0];
      const after = source.slice(i + word.length).trimStart();
      if (after.startsWith("(")) fail(`function call ${word}(...) is not evaluated`);
      i += word.length;
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null") return null;
      return `\${${word}}`;
    }
    return fail("unsupported expression");
  };
  const value = parseValue();
  skip();
  if (i < source.length) fail("unexpected trailing expression");
  return value;
}
