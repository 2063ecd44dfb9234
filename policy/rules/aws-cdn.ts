/** CloudFront distributions. */
import { block, dig, isTrue, list, parseReference, show } from "../accessors";
import { ResourceView, Rule, StackView } from "../types";

const TYPES = ["aws_cloudfront_distribution"];
const SECURE_VIEWER_POLICIES = ["redirect-to-https", "https-only"];
const MINIMUM_VIEWER_TLS = "TLSv1.2_2021";
/** Newer than TLSv1.2_2021: also accepted. */
const ACCEPTED_VIEWER_TLS = [MINIMUM_VIEWER_TLS, "TLSv1.2_2025", "TLSv1.3_2025"];

/** Every cache behaviour, labelled: the default one and each ordered one. */
function behaviours(distribution: ResourceView): { label: string; behaviour: any }[] {
  const result: { label: string; behaviour: any }[] = [];
  const defaultBehaviour = block(distribution.config.default_cache_behavior);
  if (defaultBehaviour) result.push({ label: "default_cache_behavior", behaviour: defaultBehaviour });
  list(distribution.config.ordered_cache_behavior).forEach((b, i) => result.push({ label: `ordered_cache_behavior[${i}] (${b?.path_pattern ?? "?"})`, behaviour: b }));
  return result;
}

/** An origin served by S3's REST endpoint (website endpoints are custom HTTP origins). */
function isS3Origin(origin: any): boolean {
  if (origin?.s3_origin_config !== undefined) return true;
  if (origin?.custom_origin_config !== undefined) return false;
  const domain = String(origin?.domain_name ?? "");
  return /\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com/.test(domain) || /aws_s3_bucket\.[^.]+\.bucket(_regional)?_domain_name/.test(domain);
}

export const CDN_RULES: Rule[] = [
  {
    id: "SLW-CF-001",
    title: "CloudFront behaviours send viewers over HTTPS (redirect-to-https or https-only)",
    severity: "high",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_34"], trivy: ["AVD-AWS-0012"] },
    fix: "set viewer_protocol_policy = \"redirect-to-https\" on every cache behaviour",
    check(distribution) {
      return behaviours(distribution)
        .filter(({ behaviour }) => !SECURE_VIEWER_POLICIES.includes(behaviour.viewer_protocol_policy))
        .map(({ label, behaviour }) => `${label} has viewer_protocol_policy ${show(behaviour.viewer_protocol_policy)}: viewers can use plain HTTP`);
    },
  },
  {
    id: "SLW-CF-002",
    title: "CloudFront viewer certificates require TLSv1.2_2021 or newer",
    severity: "high",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_174"], trivy: ["AVD-AWS-0013"] },
    fix: "use an ACM certificate with ssl_support_method = \"sni-only\" and minimum_protocol_version = \"TLSv1.2_2021\"",
    check(distribution) {
      const certificate = block(distribution.config.viewer_certificate);
      if (!certificate) return ["no viewer_certificate"];
      if (isTrue(certificate.cloudfront_default_certificate)) return ["uses the *.cloudfront.net default certificate, which accepts TLSv1"];
      const version = certificate.minimum_protocol_version;
      return ACCEPTED_VIEWER_TLS.includes(version) ? [] : [`minimum_protocol_version is ${show(version)}, older than ${MINIMUM_VIEWER_TLS}`];
    },
  },
  {
    id: "SLW-CF-003",
    title: "CloudFront custom and VPC origins are reached over HTTPS only, with TLSv1.2",
    severity: "high",
    resourceTypes: [...TYPES, "aws_cloudfront_vpc_origin"],
    references: { other: ["AWS FSBP CloudFront.9", "AWS FSBP CloudFront.10"] },
    fix: "set custom_origin_config (or the VPC origin's vpc_origin_endpoint_config) { origin_protocol_policy = \"https-only\", origin_ssl_protocols = [\"TLSv1.2\"] }",
    check(distribution) {
      const problems: string[] = [];
      if (distribution.type === "aws_cloudfront_vpc_origin") {
        const endpoint = block(distribution.config.vpc_origin_endpoint_config) ?? {};
        if (endpoint.origin_protocol_policy !== "https-only") problems.push(`origin_protocol_policy is ${show(endpoint.origin_protocol_policy)}: CloudFront may reach the origin over plain HTTP`);
        const protocols = list(block(endpoint.origin_ssl_protocols)?.items);
        if (protocols.length === 0 || protocols.some((p) => p !== "TLSv1.2")) problems.push(`origin_ssl_protocols ${show(protocols)}; only TLSv1.2`);
        return problems;
      }
      for (const origin of list(distribution.config.origin)) {
        const custom = block(origin?.custom_origin_config);
        if (!custom) continue;
        const id = show(origin.origin_id);
        if (custom.origin_protocol_policy !== "https-only") problems.push(`origin ${id} has origin_protocol_policy ${show(custom.origin_protocol_policy)}: CloudFront may reach it over plain HTTP`);
        const weak = list(custom.origin_ssl_protocols).filter((p) => p !== "TLSv1.2");
        if (weak.length > 0 || list(custom.origin_ssl_protocols).length === 0) problems.push(`origin ${id} allows origin_ssl_protocols ${show(custom.origin_ssl_protocols)}; only TLSv1.2`);
      }
      return problems;
    },
  },
  {
    id: "SLW-CF-004",
    title: "CloudFront S3 origins use origin access control",
    severity: "high",
    resourceTypes: TYPES,
    relatedTypes: ["aws_cloudfront_origin_access_control"],
    references: { other: ["AWS FSBP CloudFront.13"] },
    fix: "create an aws_cloudfront_origin_access_control (type s3, signing always, sigv4), set origin_access_control_id on the origin and drop s3_origin_config's origin access identity",
    check(distribution) {
      return list(distribution.config.origin)
        .filter(isS3Origin)
        .filter((origin) => !origin.origin_access_control_id)
        .map((origin) =>
          dig(origin, "s3_origin_config", "origin_access_identity")
            ? `S3 origin ${show(origin.origin_id)} uses a legacy origin access identity instead of origin access control`
            : `S3 origin ${show(origin.origin_id)} has no origin_access_control_id: the bucket must be public for CloudFront to read it`,
        );
    },
  },
  {
    id: "SLW-CF-005",
    title: "Production CloudFront distributions deliver access logs with standard logging v2",
    severity: "medium",
    productionOnly: true,
    resourceTypes: TYPES,
    relatedTypes: ["aws_cloudwatch_log_delivery_source", "aws_cloudwatch_log_delivery"],
    references: { checkov: ["CKV_AWS_86"], trivy: ["AVD-AWS-0010"] },
    fix: "add an aws_cloudwatch_log_delivery_source (us-east-1, log_type ACCESS_LOGS, resource_arn = the distribution's arn) and an aws_cloudwatch_log_delivery to a destination (the Cdn construct does, with accessLogs on)",
    check(distribution, stack) {
      return logDeliveries(distribution, stack).length > 0 ? [] : ["no log delivery (standard logging v2) has this distribution as its source: viewer requests are not logged"];
    },
  },
  {
    id: "SLW-CF-006",
    title: "CloudFront distributions are protected by a WAF web ACL",
    severity: "low",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_68"], trivy: ["AVD-AWS-0011"] },
    fix: "set web_acl_id to a WAFv2 web ACL of scope CLOUDFRONT (platform file: cdn.webAclArn)",
    check(distribution) {
      return distribution.config.web_acl_id ? [] : ["no web_acl_id: no WAF filters requests before they reach the app"];
    },
  },
  {
    id: "SLW-CF-007",
    title: "CloudFront behaviours attach a response headers policy",
    severity: "low",
    resourceTypes: TYPES,
    relatedTypes: ["aws_cloudfront_response_headers_policy"],
    references: { checkov: ["CKV2_AWS_32"] },
    fix: "attach an aws_cloudfront_response_headers_policy with HSTS and the security headers (response_headers_policy_id) to every behaviour",
    check(distribution) {
      return behaviours(distribution)
        .filter(({ behaviour }) => !behaviour.response_headers_policy_id)
        .map(({ label }) => `${label} has no response_headers_policy_id: responses lack HSTS and security headers`);
    },
  },
  {
    id: "SLW-CF-008",
    title: "CloudFront distributions do not use legacy standard logging (it writes through S3 bucket ACLs)",
    severity: "medium",
    resourceTypes: TYPES,
    references: { other: ["CloudFront standard logging (v2)"] },
    fix: "remove logging_config and deliver logs with standard logging v2 (aws_cloudwatch_log_delivery_source / _destination / aws_cloudwatch_log_delivery)",
    check(distribution) {
      return block(distribution.config.logging_config)
        ? ["logging_config (legacy standard logging) needs the log bucket's ACLs enabled, so CloudFront's log-delivery account can be granted FULL_CONTROL"]
        : [];
    },
  },
];

/** The log deliveries (standard logging v2) whose source is this distribution. */
function logDeliveries(distribution: ResourceView, stack: StackView): ResourceView[] {
  const sources = stack
    .referencing("aws_cloudwatch_log_delivery_source", distribution)
    .filter((source) => source.config.log_type === "ACCESS_LOGS" && parseReference(source.config.resource_arn)?.name === distribution.name);
  return sources.flatMap((source) => stack.referencing("aws_cloudwatch_log_delivery", source));
}
