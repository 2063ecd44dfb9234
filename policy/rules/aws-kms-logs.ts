/** KMS keys, CloudWatch log groups, and ECR repositories. */
import { block, dig, isTrue, list, show, toNumber } from "../accessors";
import { hasWildcardPrincipal, parsePolicy } from "../documents";
import { Rule } from "../types";

const ECR = ["aws_ecr_repository"];

export const KMS_LOGS_RULES: Rule[] = [
  {
    id: "SLW-KMS-001",
    title: "KMS keys rotate their key material",
    severity: "high",
    resourceTypes: ["aws_kms_key"],
    references: { checkov: ["CKV_AWS_7"], trivy: ["AVD-AWS-0065"] },
    fix: "set enable_key_rotation = true",
    check(key) {
      const spec = key.config.customer_master_key_spec ?? key.config.key_spec;
      if (spec !== undefined && spec !== "SYMMETRIC_DEFAULT") return []; // asymmetric and HMAC keys cannot rotate
      return isTrue(key.config.enable_key_rotation) ? [] : [`enable_key_rotation is ${show(key.config.enable_key_rotation)}`];
    },
  },
  {
    id: "SLW-KMS-002",
    title: "KMS key policies never grant a \"*\" principal without a condition",
    severity: "high",
    resourceTypes: ["aws_kms_key"],
    references: { checkov: ["CKV_AWS_33"] },
    fix: "grant the account root (arn:aws:iam::<account>:root) and named service principals; add conditions (kms:CallerAccount, kms:ViaService) to any \"*\" principal",
    check(key) {
      const parsed = parsePolicy(key.config.policy);
      if (key.config.policy === undefined || !parsed.ok) return []; // the default key policy; SLW-POLICY-001 reports unreadable ones
      return parsed.statements
        .filter((s) => s.Effect === "Allow" && hasWildcardPrincipal(s) && Object.keys(s.Condition ?? {}).length === 0)
        .map((s, i) => `statement ${s.Sid ? JSON.stringify(s.Sid) : i} grants ${JSON.stringify(s.Action)} to every principal without a condition`);
    },
  },
  {
    id: "SLW-LOG-001",
    title: "CloudWatch log groups expire their events (retention_in_days set)",
    severity: "medium",
    resourceTypes: ["aws_cloudwatch_log_group"],
    references: { checkov: ["CKV_AWS_66", "CKV_AWS_338"] },
    fix: "set retention_in_days, e.g. 365",
    check(group) {
      const days = toNumber(group.config.retention_in_days);
      return days !== undefined && days > 0 ? [] : [`retention_in_days is ${show(group.config.retention_in_days)}: events are kept (and paid for) forever`];
    },
  },
  {
    id: "SLW-LOG-002",
    title: "CloudWatch log groups are encrypted with a KMS key",
    severity: "low",
    resourceTypes: ["aws_cloudwatch_log_group"],
    references: { checkov: ["CKV_AWS_158"], trivy: ["AVD-AWS-0017"] },
    fix: "set kms_key_id to a rotating key whose policy lets logs.<region>.amazonaws.com use it for this log group",
    check(group) {
      return group.config.kms_key_id ? [] : ["no kms_key_id: events are encrypted only with the service's own key"];
    },
  },
  {
    id: "SLW-ECR-001",
    title: "ECR repositories have immutable tags",
    severity: "high",
    resourceTypes: ECR,
    references: { checkov: ["CKV_AWS_51"], trivy: ["AVD-AWS-0031"] },
    fix: "set image_tag_mutability = \"IMMUTABLE\"",
    check(repository) {
      const mutability = repository.config.image_tag_mutability;
      return mutability === "IMMUTABLE" ? [] : [`image_tag_mutability is ${show(mutability)} (the default is MUTABLE): a pushed tag can be made to name another image`];
    },
  },
  {
    id: "SLW-ECR-002",
    title: "ECR repositories scan images on push",
    severity: "medium",
    resourceTypes: ECR,
    relatedTypes: ["aws_ecr_registry_scanning_configuration"],
    references: { checkov: ["CKV_AWS_163"], trivy: ["AVD-AWS-0030"] },
    fix: "set image_scanning_configuration { scan_on_push = true } (or registry-wide enhanced scanning)",
    check(repository, stack) {
      if (isTrue(dig(repository.config, "image_scanning_configuration", "scan_on_push"))) return [];
      const registryScans = stack
        .resources("aws_ecr_registry_scanning_configuration")
        .some((r) => list(r.config.rule).some((rule) => ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"].includes(rule?.scan_frequency)));
      return registryScans ? [] : ["image_scanning_configuration.scan_on_push is not true: vulnerable images are not reported"];
    },
  },
  {
    id: "SLW-ECR-003",
    title: "ECR repositories encrypt images with KMS",
    severity: "medium",
    resourceTypes: ECR,
    references: { checkov: ["CKV_AWS_136"], trivy: ["AVD-AWS-0033"] },
    fix: "set encryption_configuration { encryption_type = \"KMS\", kms_key = <rotating key> }",
    check(repository) {
      const type = block(repository.config.encryption_configuration)?.encryption_type;
      return type === "KMS" ? [] : [`encryption_configuration.encryption_type is ${show(type)} (the default is AES256)`];
    },
  },
  {
    id: "SLW-ECR-004",
    title: "ECR repositories have a lifecycle policy",
    severity: "low",
    resourceTypes: ECR,
    relatedTypes: ["aws_ecr_lifecycle_policy"],
    references: {},
    fix: "add an aws_ecr_lifecycle_policy that expires untagged images and keeps the last N releases",
    check(repository, stack) {
      return stack.referencing("aws_ecr_lifecycle_policy", repository).length > 0 ? [] : ["no aws_ecr_lifecycle_policy: images accumulate forever"];
    },
  },
  {
    id: "SLW-ECR-005",
    title: "ECR repository policies never grant a \"*\" principal",
    severity: "high",
    resourceTypes: ["aws_ecr_repository_policy"],
    references: { checkov: ["CKV_AWS_32"], trivy: ["AVD-AWS-0032"] },
    fix: "grant named accounts (arn:aws:iam::<account>:root) or roles, never \"*\"",
    check(policy) {
      const parsed = parsePolicy(policy.config.policy);
      if (!parsed.ok) return []; // SLW-POLICY-001 reports it
      return parsed.statements
        .filter((s) => s.Effect === "Allow" && hasWildcardPrincipal(s))
        .map((s, i) => `statement ${s.Sid ? JSON.stringify(s.Sid) : i} grants ${JSON.stringify(s.Action)} to every principal`);
    },
  },
];
