/**
 * Slipway's policy-as-code, its public surface: the engine (engine.ts: evaluation; report.ts:
 * printing; types.ts), the helpers rules share (accessors.ts, documents.ts, hcl.ts) and every
 * rule. `ALL_RULES` is what `npm run check` runs.
 */
import { evaluate as evaluateRules } from "./engine";
import { EvaluateOptions, EvaluationResult, Rule, StackInput } from "./types";
import { BACKUP_RULES } from "./rules/aws-backup";
import { CDN_RULES } from "./rules/aws-cdn";
import { CANARY_RULES } from "./rules/canary";
import { CAPACITY_RULES } from "./rules/capacity";
import { CODEBUILD_RULES } from "./rules/aws-codebuild";
import { COMPUTE_RULES } from "./rules/aws-compute";
import { DATABASE_RULES } from "./rules/aws-database";
import { IAM_RULES } from "./rules/aws-iam";
import { KMS_LOGS_RULES } from "./rules/aws-kms-logs";
import { NETWORK_RULES } from "./rules/aws-network";
import { SECRETS_RULES } from "./rules/aws-secrets";
import { STORAGE_RULES } from "./rules/aws-storage";
import { GITHUB_RULES } from "./rules/github";
import { MONITORING_RULES } from "./rules/aws-monitoring";
import { KUBERNETES_RULES } from "./rules/kubernetes";
import { PRODUCTION_SAFETY_RULES } from "./rules/production-safety";
import { PREVIEW_RULES } from "./rules/previews";

export * from "./accessors";
export * from "./documents";
export * from "./engine";
export * from "./hcl";
export * from "./report";
export * from "./types";
export { BACKUP_RULES, CANARY_RULES, CAPACITY_RULES, CDN_RULES, CODEBUILD_RULES, COMPUTE_RULES, DATABASE_RULES, GITHUB_RULES, IAM_RULES, KMS_LOGS_RULES, KUBERNETES_RULES, MONITORING_RULES, NETWORK_RULES, PREVIEW_RULES, PRODUCTION_SAFETY_RULES, SECRETS_RULES, STORAGE_RULES };

/** The rules by area (one file in policy/rules/ each), in documentation order. */
export const RULES_BY_AREA: Readonly<Record<string, readonly Rule[]>> = {
  "S3 (aws-storage)": STORAGE_RULES,
  "RDS (aws-database)": DATABASE_RULES,
  "AWS Backup (aws-backup)": BACKUP_RULES,
  "Network: security groups, VPC, load balancers (aws-network)": NETWORK_RULES,
  "CloudFront (aws-cdn)": CDN_RULES,
  "EKS and nodes (aws-compute)": COMPUTE_RULES,
  "CodeBuild and CI runners (aws-codebuild)": CODEBUILD_RULES,
  "IAM and policy documents (aws-iam)": IAM_RULES,
  "KMS, CloudWatch Logs, ECR (aws-kms-logs)": KMS_LOGS_RULES,
  "CloudWatch alarms and SNS (aws-monitoring)": MONITORING_RULES,
  "Secrets Manager (aws-secrets)": SECRETS_RULES,
  "Kubernetes (kubernetes)": KUBERNETES_RULES,
  "GitHub (github)": GITHUB_RULES,
  "Production safety (production-safety)": PRODUCTION_SAFETY_RULES,
  "Capacity: zone spread, node autoscaling (capacity)": CAPACITY_RULES,
  "Canary releases (canary)": CANARY_RULES,
  "Pull-request previews (previews)": PREVIEW_RULES,
};

/** Every rule. */
export const ALL_RULES: readonly Rule[] = Object.values(RULES_BY_AREA).flat();

/**
 * Runs the rules (every rule of {@link ALL_RULES} unless `options.rules` says otherwise) over the
 * synthesized stacks; see the engine's `evaluate`.
 */
export function evaluate(stacks: readonly StackInput[], options: EvaluateOptions = {}): EvaluationResult {
  return evaluateRules(stacks, { ...options, rules: options.rules ?? ALL_RULES });
}
