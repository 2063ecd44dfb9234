/** Types of scripts/plan-summary.js (plain Node, so CI jobs run it without `npm ci`). */

/** `terraform show -json` of a plan; only the parts the summary reads are typed. */
export interface PlanJson {
  readonly resource_changes?: ReadonlyArray<{
    readonly address: string;
    readonly mode?: string;
    readonly type: string;
    readonly change?: { readonly actions?: string[]; readonly after?: unknown; readonly after_unknown?: unknown; readonly replace_paths?: unknown };
  }>;
  readonly errored?: boolean;
  readonly [key: string]: unknown;
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly actions: string[];
  readonly change: Record<string, unknown>;
}

/** Terraform's counting: a replacement is one to add and one to destroy, and also counts in `replace`. */
export interface Counts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
  readonly forget: number;
}

export interface ProtectedChange {
  readonly address: string;
  readonly type: string;
  readonly action: "destroy" | "replace";
  /** What is lost, e.g. "the database". */
  readonly loses: string;
}

export interface StackInfo {
  readonly name: string;
  readonly production: boolean;
  readonly dependsOn?: readonly string[];
}

export interface StackPlan {
  readonly stack: string;
  readonly production: boolean;
  readonly plan?: PlanJson;
  /** Why there is no usable plan. */
  readonly error?: string;
  /** A deferred plan: the upstream stacks whose first apply it waits for, or the one whose plan runner it needs. */
  readonly deferred?: { readonly waitsFor: string[]; readonly runnerOf?: string };
  /** The monthly cost before and after the plan (`plan-<stack>/cost.json`, written by `plan-summary.js cost`). */
  readonly cost?: {
    readonly beforeUsd: number;
    readonly afterUsd: number;
    readonly deltaUsd: number;
    readonly changes: Array<{ address: string; beforeUsd: number; afterUsd: number; deltaUsd: number }>;
    readonly unpriced: Array<{ address: string; reason: string }>;
  };
}

export interface DriftReport {
  readonly stack: string;
  readonly status: "drift" | "clean" | "failed" | "missing";
  readonly title: string;
  readonly body: string;
}

export const COMMENT_MARKER: string;
export const DRIFT_LABEL: string;
/** Resource type -> what destroying it loses; protected in production stacks. */
export const PROTECTED_TYPES: Readonly<Record<string, string>>;

export function effectiveChanges(plan: PlanJson | undefined): ResourceChange[];
export function countChanges(plan: PlanJson | undefined): Counts;
export function protectedChanges(plan: PlanJson | undefined, production: boolean): ProtectedChange[];
export function readPlans(dir: string, stacks: StackInfo[]): StackPlan[];
/** `slipway affected --json`: the stacks a pull request plans (each with why), the skipped and the removed. */
export interface Selection {
  readonly all: boolean;
  readonly why?: string;
  readonly plan: ReadonlyArray<{ readonly stack: string; readonly why: string }>;
  readonly skipped: readonly string[];
  readonly removed: readonly string[];
}
export function readSelection(file: string): Selection;
export function summarize(
  plans: StackPlan[],
  options?: { commit?: string; runUrl?: string; allowDestroy?: boolean; selection?: Selection },
): { markdown: string; blocked: string[]; protected: Array<ProtectedChange & { stack: string }> };
/** What a sensitive value becomes in a redacted plan. */
export const SENSITIVE: string;
/** What a sensitive value the plan changes becomes in a redacted plan (in `after`). */
export const SENSITIVE_CHANGED: string;
/** The plan with every sensitive value replaced by a marker, without configuration and variables. */
export function redactPlan(plan: PlanJson): PlanJson;
/** Differences between the redacted forms of both plans; `[]` when they make the same changes. */
export function comparePlans(reviewed: PlanJson, fresh: PlanJson): string[];
/**
 * Whether a failed `terraform plan -json` (its output) of `stack` is deferred: only upstream stacks'
 * missing state; else the errors, as text.
 */
export function deferral(
  log: string,
  stack: StackInfo,
  options?: { missingRunnerOf?: string },
): { waitsFor: string[]; runnerOf?: string; errors?: string[] } | { errors: string[] };
export function driftIssueTitle(stack: string): string;
export function driftReport(dir: string, stack: StackInfo, options?: { runUrl?: string }): DriftReport;
export function readStacks(file: string): StackInfo[];
export function main(argv: string[], io?: { log?: (line: string) => void; error?: (line: string) => void }): number;
