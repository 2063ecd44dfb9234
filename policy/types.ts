/**
 * The policy engine's vocabulary: rules, the views of a synthesized stack they judge, findings,
 * suppressions and results. See engine.ts (evaluation) and report.ts (printing).
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
