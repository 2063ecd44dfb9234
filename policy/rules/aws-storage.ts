/** S3 buckets and their companion resources (public access block, encryption, versioning, policy, ownership). */
import { ACCESS_LOG_BUCKET_TAG } from "../../constructs/access-log-bucket";
import { block, dig, isTrue, list, parseReference, show, tagsOf } from "../accessors";
import { hasWildcardPrincipal, parsePolicy, values } from "../documents";
import { ResourceView, Rule, StackView } from "../types";

/** The companion resources of `type` (`aws_s3_bucket_versioning`, ...) whose `bucket` is this bucket. */
export function bucketCompanions(stack: StackView, bucket: ResourceView, type: string): ResourceView[] {
  const literalName = typeof bucket.config.bucket === "string" ? bucket.config.bucket : undefined;
  return stack.resources(type).filter((r) => {
    const ref = parseReference(r.config.bucket);
    if (ref) return `${ref.type}.${ref.name}` === bucket.address;
    return literalName !== undefined && r.config.bucket === literalName;
  });
}

/**
 * A bucket that only receives access logs: it carries the tag Slipway's access-log bucket sets
 * (`slipway:purpose = access-logs`, constructs/access-log-bucket.ts). The tag alone decides; a
 * bucket's name never does (an app called `audit-logs` must not lose its data buckets' protection).
 */
export function isAccessLogBucket(bucket: ResourceView): boolean {
  return tagsOf(bucket)[ACCESS_LOG_BUCKET_TAG.key] === ACCESS_LOG_BUCKET_TAG.value;
}

const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

export const STORAGE_RULES: Rule[] = [
  {
    id: "SLW-S3-001",
    title: "S3 buckets have a public access block with all four flags on",
    severity: "high",
    resourceTypes: ["aws_s3_bucket"],
    relatedTypes: ["aws_s3_bucket_public_access_block"],
    references: {
      checkov: ["CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"],
      trivy: ["AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093", "AVD-AWS-0094"],
    },
    fix: "add an aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets = true",
    check(bucket, stack) {
      const blocks = bucketCompanions(stack, bucket, "aws_s3_bucket_public_access_block");
      if (blocks.length === 0) return ["no aws_s3_bucket_public_access_block for this bucket: a policy or ACL could make it public"];
      const off = PUBLIC_ACCESS_FLAGS.filter((flag) => !blocks.some((b) => isTrue(b.config[flag])));
      return off.length > 0 ? [`public access block leaves ${off.join(", ")} off`] : [];
    },
  },
  {
    id: "SLW-S3-002",
    title: "S3 buckets have default server-side encryption configured",
    severity: "high",
    resourceTypes: ["aws_s3_bucket"],
    relatedTypes: ["aws_s3_bucket_server_side_encryption_configuration"],
    references: { checkov: ["CKV_AWS_19", "CKV_AWS_145"], trivy: ["AVD-AWS-0088", "AVD-AWS-0132"] },
    fix: "add an aws_s3_bucket_server_side_encryption_configuration with apply_server_side_encryption_by_default (sse_algorithm AES256 or aws:kms)",
    check(bucket, stack) {
      const configs = [
        ...bucketCompanions(stack, bucket, "aws_s3_bucket_server_side_encryption_configuration").map((r) => r.config),
        ...(bucket.config.server_side_encryption_configuration ? [block(bucket.config.server_side_encryption_configuration)] : []),
      ];
      if (configs.length === 0) return ["no aws_s3_bucket_server_side_encryption_configuration for this bucket"];
      const algorithms = configs.flatMap((c) => [c.rule].flat().map((r: any) => dig(r, "apply_server_side_encryption_by_default", "sse_algorithm")));
      if (!algorithms.some((a) => SSE_ALGORITHMS.includes(a))) {
        return [`encryption configuration sets no default algorithm (sse_algorithm ${show(algorithms)}; expected one of ${SSE_ALGORITHMS.join(", ")})`];
      }
      return [];
    },
  },
  {
    id: "SLW-S3-003",
    title: "S3 buckets have versioning enabled",
    severity: "medium",
    resourceTypes: ["aws_s3_bucket"],
    relatedTypes: ["aws_s3_bucket_versioning"],
    references: { checkov: ["CKV_AWS_21"], trivy: ["AVD-AWS-0090"] },
    fix: "add an aws_s3_bucket_versioning for the bucket with versioning_configuration { status = \"Enabled\" }",
    check(bucket, stack) {
      const inline = isTrue(dig(bucket.config, "versioning", "enabled"));
      const statuses = bucketCompanions(stack, bucket, "aws_s3_bucket_versioning").map((v) => dig(v.config, "versioning_configuration", "status"));
      if (inline || statuses.includes("Enabled")) return [];
      return [statuses.length === 0 ? "no aws_s3_bucket_versioning for this bucket: overwritten or deleted objects cannot be recovered" : `versioning status is ${show(statuses[0])}, not "Enabled"`];
    },
  },
  {
    id: "SLW-S3-004",
    title: "S3 bucket policies deny requests without TLS (aws:SecureTransport = false)",
    severity: "medium",
    resourceTypes: ["aws_s3_bucket"],
    relatedTypes: ["aws_s3_bucket_policy"],
    references: { other: ["AWS FSBP S3.5"] },
    fix: "add a bucket policy statement: Effect Deny, Principal \"*\", Action \"s3:*\", Resource the bucket and bucket/*, Condition Bool aws:SecureTransport = \"false\"",
    check(bucket, stack) {
      const policies = [
        ...bucketCompanions(stack, bucket, "aws_s3_bucket_policy").map((p) => p.config.policy),
        ...(bucket.config.policy !== undefined ? [bucket.config.policy] : []),
      ];
      if (policies.length === 0) return ["no bucket policy: requests over plain HTTP are not refused"];
      const unreadable: string[] = [];
      for (const text of policies) {
        const parsed = parsePolicy(text);
        if (!parsed.ok) {
          unreadable.push(parsed.reason);
          continue;
        }
        if (parsed.statements.some(deniesInsecureTransport)) return [];
      }
      if (unreadable.length > 0) return [`cannot confirm the bucket policy denies non-TLS requests: ${unreadable[0]}`];
      return ["the bucket policy has no Deny statement for aws:SecureTransport = false"];
    },
  },
  {
    id: "SLW-S3-005",
    title: "S3 buckets disable ACLs (object ownership BucketOwnerEnforced), log buckets included",
    severity: "medium",
    resourceTypes: ["aws_s3_bucket"],
    relatedTypes: ["aws_s3_bucket_ownership_controls"],
    references: { checkov: ["CKV2_AWS_65"] },
    fix: "add an aws_s3_bucket_ownership_controls with rule { object_ownership = \"BucketOwnerEnforced\" }; deliver logs with a bucket policy (ALB log delivery, CloudFront standard logging v2), never through ACLs",
    check(bucket, stack) {
      const ownership = bucketCompanions(stack, bucket, "aws_s3_bucket_ownership_controls").map((o) => dig(o.config, "rule", "object_ownership"));
      if (ownership.includes("BucketOwnerEnforced")) return [];
      return [ownership.length === 0 ? "no aws_s3_bucket_ownership_controls: ACLs are not explicitly disabled" : `object_ownership is ${show(ownership[0])}: ACLs stay enabled`];
    },
  },
  {
    id: "SLW-S3-006",
    title: "S3 bucket ACLs are never set (no aws_s3_bucket_acl, no acl or grant on a bucket)",
    severity: "medium",
    resourceTypes: ["aws_s3_bucket_acl", "aws_s3_bucket"],
    references: { other: ["AWS FSBP S3.12"] },
    fix: "remove the ACL: with object ownership BucketOwnerEnforced the bucket policy alone grants access",
    check(resource) {
      if (resource.type === "aws_s3_bucket_acl") {
        return [`sets the bucket ACL (${show(resource.config.acl ?? "access_control_policy")}): ACLs grant access outside the bucket policy`];
      }
      const problems: string[] = [];
      if (resource.config.acl !== undefined && resource.config.acl !== null) problems.push(`acl ${show(resource.config.acl)} is set on the bucket`);
      if (list(resource.config.grant).length > 0) problems.push("grant blocks set ACL grants on the bucket");
      return problems;
    },
  },
];

function deniesInsecureTransport(statement: { Effect?: string; Principal?: unknown; Action?: unknown; Condition?: Record<string, Record<string, unknown>> }): boolean {
  if (statement.Effect !== "Deny" || !hasWildcardPrincipal(statement)) return false;
  const actions = values(statement.Action);
  if (!actions.some((a) => a === "*" || a === "s3:*")) return false;
  return Object.entries(statement.Condition ?? {}).some(
    ([operator, entries]) =>
      /^Bool(IfExists)?$/.test(operator) &&
      Object.entries(entries ?? {}).some(([key, v]) => key.toLowerCase() === "aws:securetransport" && [v].flat().some((x) => String(x) === "false")),
  );
}
