/**
 * Slipway's policy engine: rules that run over the synthesized stacks (`cdktf.out/stacks/<stack>/
 * cdk.tf.json`), so they judge exactly what Terraform will see, offline and with no extra tool.
 *
 * `evaluate` runs every rule on every resource of the types it covers and returns the findings
 * (suppressed ones included, marked with their reason); `enforce` throws when an unsuppressed high
 * finding remains. Stacks are read through the one model of the synthesized output
 * (synthesized/). Printing lives in report.ts, rule helpers in accessors.ts, policy documents in
 * documents.ts, the HCL subset inside `jsonencode` in hcl.ts.
 */
import { closest } from "../platform/edit-distance";
import { BlockEntry, StackModel, wholeResourceReference } from "../synthesized";
import { PolicyViolationError } from "./report";
import { EvaluateOptions, EvaluationResult, Finding, ResourceView, Rule, SEVERITIES, StackContext, StackInput, StackView, Suppression } from "./types";

/** Bad rules or suppressions: the policy itself is misconfigured. */
export class PolicyConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Policy configuration is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyConfigurationError";
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
      const suggestion = typeof s?.rule === "string" ? closest(s.rule.toUpperCase(), [...ids], { maxDistance: 3, ignoreCase: false }) : undefined;
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

function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    a.stack.localeCompare(b.stack) ||
    a.path.localeCompare(b.path) ||
    a.rule.id.localeCompare(b.rule.id) ||
    a.message.localeCompare(b.message)
  );
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

/** The view rules get of one stack, over the synthesized-output model; indexes resources once. */
export function createStackView(input: StackInput, context: StackContext = { productionEnvironments: [] }): StackView {
  const model = input instanceof StackModel ? input : new StackModel(input.name, input.json);
  const views = new Map<BlockEntry, ResourceView>();
  const entries = new Map<ResourceView, BlockEntry>();
  const byAddress = new Map<string, ResourceView>();
  const byType = new Map<string, ResourceView[]>();
  const all: ResourceView[] = [];
  for (const entry of model.resources()) {
    const suppressions = entry.body?.["//"]?.slipway?.suppressions;
    const view: ResourceView = {
      type: entry.type,
      name: entry.name,
      address: entry.address,
      path: entry.constructPath,
      config: entry.config,
      ...(Array.isArray(suppressions) ? { suppressions } : {}),
    };
    views.set(entry, view);
    entries.set(view, entry);
    byAddress.set(view.address, view);
    const list = byType.get(view.type);
    if (list) list.push(view);
    else byType.set(view.type, [view]);
    all.push(view);
  }
  return {
    name: input.name,
    production: input.production,
    json: input.json,
    context,
    all: () => all,
    resources: (type) => byType.get(type) ?? [],
    referencing: (type, target) => {
      const entry = entries.get(target) ?? model.block(target.address);
      return entry ? model.referencing(entry, type).map((e) => views.get(e)!) : [];
    },
    resolve: (reference) => {
      const ref = wholeResourceReference(reference);
      return ref ? byAddress.get(`${ref.type}.${ref.name}`) : undefined;
    },
  };
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
