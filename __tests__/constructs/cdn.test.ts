import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cdn, CdnProps } from "../../constructs/cdn";
import { LoadBalancer } from "../../constructs/load-balancer";
import { checkSynthesizedStacks, terraformForTests } from "../support/terraform";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3";
const CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef";
const WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop-prod/a1b2c3d4-5678-90ab-cdef-0123456789ab";
const LB_DNS_NAME = "shop-prod-1234567890.eu-west-1.elb.amazonaws.com";

type BaseProps = Omit<CdnProps, "certificateProvider">;
const BASE: BaseProps = {
  name: "shop-prod",
  accountId: "123456789012",
  domain: "shop.example.com",
  loadBalancerDnsName: LB_DNS_NAME,
};

/** A stack with the default AWS provider (eu-west-1) and one aliased to us-east-1, as app stacks have. */
function testStack(app = Testing.app()) {
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const usEast1 = new AwsProvider(stack, "aws_us_east_1", { alias: "us-east-1", region: "us-east-1" });
  return { stack, usEast1 };
}

function synth(overrides: Partial<CdnProps> = {}) {
  const { stack, usEast1 } = testStack();
  const cdn = new Cdn(stack, "Cdn", { ...BASE, certificateProvider: usEast1, ...overrides });
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { cdn, stack, tf };
}

const { all, one, address, ref, countByType } = constructResources("Cdn");

function expectInvalid(overrides: Partial<CdnProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/Cdn", field, accepted);
}

/**
 * A policy document rendered as `${jsonencode({...})}` (policyJson with references) back to an
 * object: `=` becomes `:`, bare references such as `aws_s3_bucket.x.arn` become `"${aws_s3_bucket.x.arn}"`.
 */
function policyOf(rendered: string): Json {
  const match = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(rendered);
  if (!match) return JSON.parse(rendered);
  const hcl = match[1];
  let json = "";
  for (let i = 0; i < hcl.length; ) {
    const c = hcl[i];
    if (c === '"') {
      let j = i + 1;
      while (hcl[j] !== '"') j += hcl[j] === "\\" ? 2 : 1;
      json += hcl.slice(i, j + 1);
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const ident = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(hcl.slice(i))![0];
      json += ["true", "false", "null"].includes(ident) ? ident : JSON.stringify(`\${${ident}}`);
      i += ident.length;
    } else {
      json += c === "=" ? ":" : c;
      i += 1;
    }
  }
  return JSON.parse(json);
}

describe("Cdn", () => {
  test("secure defaults", () => {
    const { tf, cdn } = synth();

    expect(countByType(tf)).toEqual({
      aws_acm_certificate: 1,
      aws_acm_certificate_validation: 1,
      aws_cloudfront_distribution: 1,
      aws_cloudfront_origin_access_control: 1,
      aws_cloudfront_response_headers_policy: 1,
      aws_s3_bucket: 2,
      aws_s3_bucket_versioning: 2,
      aws_s3_bucket_server_side_encryption_configuration: 2,
      aws_s3_bucket_public_access_block: 2,
      aws_s3_bucket_ownership_controls: 2,
      aws_s3_bucket_lifecycle_configuration: 1,
      aws_s3_bucket_policy: 2,
      aws_cloudwatch_log_delivery_source: 1,
      aws_cloudwatch_log_delivery_destination: 1,
      aws_cloudwatch_log_delivery: 1,
    });
    // Managed policies are constants, never looked up: nothing calls an API at plan time.
    expect(tf.data).toBeUndefined();

    const distribution = one(tf, "aws_cloudfront_distribution", "Resource");
    const headersPolicy = ref(tf, "aws_cloudfront_response_headers_policy", "ResponseHeadersPolicy");
    expect(distribution).toMatchObject({
      enabled: true,
      is_ipv6_enabled: true,
      http_version: "http2and3",
      aliases: ["shop.example.com"],
      price_class: "PriceClass_100",
      restrictions: { geo_restriction: { restriction_type: "none", locations: [] } },
    });
    expect(distribution.web_acl_id).toBeUndefined();

    // Viewers: SNI, TLS 1.2 with the 2021 cipher suites at least, the certificate once issued.
    expect(distribution.viewer_certificate).toEqual({
      acm_certificate_arn: ref(tf, "aws_acm_certificate_validation", "CertificateValidation", "certificate_arn"),
      ssl_support_method: "sni-only",
      minimum_protocol_version: "TLSv1.2_2021",
    });

    // Origins: the load balancer over HTTPS only, the bucket through origin access control.
    expect(distribution.origin).toEqual([
      {
        origin_id: "app",
        domain_name: LB_DNS_NAME,
        custom_origin_config: { http_port: 80, https_port: 443, origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"] },
      },
      {
        origin_id: "assets",
        domain_name: ref(tf, "aws_s3_bucket", "AssetsBucket", "bucket_regional_domain_name"),
        origin_access_control_id: ref(tf, "aws_cloudfront_origin_access_control", "OriginAccessControl"),
      },
    ]);
    expect(one(tf, "aws_cloudfront_origin_access_control", "OriginAccessControl")).toMatchObject({
      name: "shop-prod-assets",
      origin_access_control_origin_type: "s3",
      signing_behavior: "always",
      signing_protocol: "sigv4",
    });

    // Behaviours: the app uncached with the viewer's headers (Host) forwarded; static assets cached.
    expect(distribution.default_cache_behavior).toEqual({
      target_origin_id: "app",
      viewer_protocol_policy: "redirect-to-https",
      allowed_methods: ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
      cached_methods: ["GET", "HEAD"],
      cache_policy_id: CACHING_DISABLED,
      origin_request_policy_id: ALL_VIEWER,
      response_headers_policy_id: headersPolicy,
      compress: true,
    });
    expect(distribution.ordered_cache_behavior).toEqual([
      {
        path_pattern: "/static/*",
        target_origin_id: "assets",
        viewer_protocol_policy: "redirect-to-https",
        allowed_methods: ["GET", "HEAD", "OPTIONS"],
        cached_methods: ["GET", "HEAD"],
        cache_policy_id: CACHING_OPTIMIZED,
        response_headers_policy_id: headersPolicy,
        compress: true,
      },
    ]);
    // No behaviour lets plain HTTP through, or serves without the security headers or compression.
    [distribution.default_cache_behavior, ...distribution.ordered_cache_behavior].forEach((behaviour: Json) => {
      expect(behaviour).toMatchObject({ viewer_protocol_policy: "redirect-to-https", response_headers_policy_id: headersPolicy, compress: true });
    });

    expect(one(tf, "aws_cloudfront_response_headers_policy", "ResponseHeadersPolicy")).toMatchObject({
      name: "shop-prod-security-headers",
      security_headers_config: {
        strict_transport_security: { access_control_max_age_sec: 31536000, include_subdomains: true, preload: true, override: true },
        content_type_options: { override: true },
        frame_options: { frame_option: "DENY", override: true },
        referrer_policy: { referrer_policy: "strict-origin-when-cross-origin", override: true },
        xss_protection: { protection: true, mode_block: true, override: true },
      },
    });

    // Assets bucket: private, versioned, encrypted, ACLs disabled.
    const assets = ref(tf, "aws_s3_bucket", "AssetsBucket");
    expect(one(tf, "aws_s3_bucket", "AssetsBucket")).toMatchObject({ bucket: "shop-prod-assets-123456789012" });
    expect(one(tf, "aws_s3_bucket", "AssetsBucket").force_destroy).toBeUndefined();
    expect(one(tf, "aws_s3_bucket_versioning", "AssetsBucketVersioning")).toMatchObject({
      bucket: assets,
      versioning_configuration: { status: "Enabled" },
    });
    expect(one(tf, "aws_s3_bucket_server_side_encryption_configuration", "AssetsBucketEncryption")).toMatchObject({
      bucket: assets,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(one(tf, "aws_s3_bucket_public_access_block", "AssetsBucketPublicAccessBlock")).toMatchObject({
      bucket: assets,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(tf, "aws_s3_bucket_ownership_controls", "AssetsBucketOwnership")).toMatchObject({
      bucket: assets,
      rule: { object_ownership: "BucketOwnerEnforced" },
    });

    // The bucket policy admits this distribution only, for reads only, and refuses non-TLS requests.
    const assetsArn = ref(tf, "aws_s3_bucket", "AssetsBucket", "arn");
    const bucketPolicy = one(tf, "aws_s3_bucket_policy", "AssetsBucketPolicy");
    expect(bucketPolicy.bucket).toBe(assets);
    expect(bucketPolicy.depends_on).toEqual([address(tf, "aws_s3_bucket_public_access_block", "AssetsBucketPublicAccessBlock")]);
    expect(policyOf(bucketPolicy.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CloudFrontReadsAssets",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `${assetsArn}/*`,
          Condition: { StringEquals: { "AWS:SourceArn": ref(tf, "aws_cloudfront_distribution", "Resource", "arn") } },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [assetsArn, `${assetsArn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });

    // Access logs: standard logging v2 (no logging_config, which writes through bucket ACLs) into a
    // private bucket with ACLs disabled, kept a year, that only this distribution's delivery may write.
    const logs = ref(tf, "aws_s3_bucket", "LogsBucket");
    expect(distribution.logging_config).toBeUndefined();
    expect(distribution.depends_on).toBeUndefined();
    expect(one(tf, "aws_s3_bucket", "LogsBucket")).toMatchObject({
      bucket: "shop-prod-cdn-logs-123456789012",
      tags: { Name: "shop-prod-cdn-logs", "slipway:purpose": "access-logs" },
    });
    expect(one(tf, "aws_s3_bucket_ownership_controls", "LogsOwnership")).toMatchObject({ bucket: logs, rule: { object_ownership: "BucketOwnerEnforced" } });
    expect(tf.resource.aws_s3_bucket_acl).toBeUndefined();
    expect(one(tf, "aws_s3_bucket_public_access_block", "LogsPublicAccessBlock")).toMatchObject({
      bucket: logs,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(tf, "aws_s3_bucket_versioning", "LogsVersioning")).toMatchObject({ bucket: logs, versioning_configuration: { status: "Enabled" } });
    expect(one(tf, "aws_s3_bucket_server_side_encryption_configuration", "LogsEncryption").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
    expect(one(tf, "aws_s3_bucket_lifecycle_configuration", "LogsLifecycle")).toMatchObject({
      bucket: logs,
      rule: [{ status: "Enabled", filter: [{ prefix: "" }], expiration: [{ days: 365 }] }],
    });
    const logsArn = "arn:aws:s3:::shop-prod-cdn-logs-123456789012";
    expect(JSON.parse(one(tf, "aws_s3_bucket_policy", "LogsPolicy").policy).Statement).toEqual([
      {
        Sid: "CloudFrontLogDelivery",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${logsArn}/AWSLogs/123456789012/CloudFront/*`,
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012", "s3:x-amz-acl": "bucket-owner-full-control" },
          ArnLike: { "aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:delivery-source:shop-prod-cdn-access" },
        },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [logsArn, `${logsArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
    expect(one(tf, "aws_cloudwatch_log_delivery_source", "LogDeliverySource")).toMatchObject({
      provider: "aws.us-east-1",
      name: "shop-prod-cdn-access",
      log_type: "ACCESS_LOGS",
      resource_arn: ref(tf, "aws_cloudfront_distribution", "Resource", "arn"),
    });
    expect(one(tf, "aws_cloudwatch_log_delivery_destination", "LogDeliveryDestination")).toMatchObject({
      provider: "aws.us-east-1",
      name: "shop-prod-cdn-logs",
      output_format: "json",
      delivery_destination_configuration: [{ destination_resource_arn: ref(tf, "aws_s3_bucket", "LogsBucket", "arn") }],
      depends_on: [address(tf, "aws_s3_bucket_policy", "LogsPolicy")],
    });
    expect(one(tf, "aws_cloudwatch_log_delivery", "LogDelivery")).toMatchObject({
      provider: "aws.us-east-1",
      delivery_source_name: ref(tf, "aws_cloudwatch_log_delivery_source", "LogDeliverySource", "name"),
      delivery_destination_arn: ref(tf, "aws_cloudwatch_log_delivery_destination", "LogDeliveryDestination", "arn"),
    });

    // The certificate: created in us-east-1, DNS-validated; the distribution waits until it is issued.
    expect(one(tf, "aws_acm_certificate", "Certificate")).toMatchObject({
      provider: "aws.us-east-1",
      domain_name: "shop.example.com",
      validation_method: "DNS",
      lifecycle: { create_before_destroy: true },
    });
    const validation = one(tf, "aws_acm_certificate_validation", "CertificateValidation");
    expect(validation).toEqual(
      expect.objectContaining({ provider: "aws.us-east-1", certificate_arn: ref(tf, "aws_acm_certificate", "Certificate", "arn") }),
    );
    expect(validation.validation_record_fqdns).toBeUndefined();
    // Only the certificate, its validation and the log delivery (CloudFront's delivery sources live
    // in us-east-1) use the us-east-1 provider.
    Object.entries(tf.resource as Json).forEach(([type, byName]) =>
      Object.values(byName as Json).forEach((resource: Json) =>
        expect({ type, provider: resource.provider }).toEqual({
          type,
          provider: type.startsWith("aws_acm_") || type.startsWith("aws_cloudwatch_log_delivery") ? "aws.us-east-1" : undefined,
        }),
      ),
    );
    // No hosted zone: the record to create is exposed.
    const option = `tolist(${address(tf, "aws_acm_certificate", "Certificate")}.domain_validation_options).0`;
    expect(tf.resource.aws_route53_record).toBeUndefined();
    const stackWithOutput = synthOutputs((c) => ({ validation: c.certificateValidation }));
    expect(stackWithOutput.validation.value).toEqual({
      name: `\${${option}.resource_record_name}`,
      type: `\${${option}.resource_record_type}`,
      value: `\${${option}.resource_record_value}`,
    });
    expect(cdn.logsBucket).toBeDefined();
  });

  test("exposes typed attributes for other constructs", () => {
    const outputs = synthOutputs((cdn) => ({
      distribution_id: cdn.distributionId,
      arn: cdn.arn,
      domain_name: cdn.domainName,
      hosted_zone_id: cdn.hostedZoneId,
      assets_bucket_name: cdn.assetsBucketName,
      assets_bucket_arn: cdn.assetsBucket.arn,
      certificate_arn: cdn.certificateArn,
      logs_bucket: cdn.logsBucket!.bucket,
    }));
    const d = "aws_cloudfront_distribution.Cdn_";
    expect(outputs.distribution_id.value).toMatch(new RegExp(`^\\$\\{${d}[0-9A-F]{8}\\.id\\}$`));
    expect(outputs.arn.value).toMatch(new RegExp(`^\\$\\{${d}[0-9A-F]{8}\\.arn\\}$`));
    expect(outputs.domain_name.value).toMatch(new RegExp(`^\\$\\{${d}[0-9A-F]{8}\\.domain_name\\}$`));
    expect(outputs.hosted_zone_id.value).toMatch(new RegExp(`^\\$\\{${d}[0-9A-F]{8}\\.hosted_zone_id\\}$`));
    expect(outputs.assets_bucket_name.value).toMatch(/^\$\{aws_s3_bucket\.Cdn_AssetsBucket_[0-9A-F]{8}\.bucket\}$/);
    expect(outputs.assets_bucket_arn.value).toMatch(/^\$\{aws_s3_bucket\.Cdn_AssetsBucket_[0-9A-F]{8}\.arn\}$/);
    expect(outputs.certificate_arn.value).toMatch(/^\$\{aws_acm_certificate_validation\.Cdn_CertificateValidation_[0-9A-F]{8}\.certificate_arn\}$/);
    expect(outputs.logs_bucket.value).toMatch(/^\$\{aws_s3_bucket\.Cdn_LogsBucket_[0-9A-F]{8}\.bucket\}$/);

    const { cdn } = synth();
    expect(cdn.distribution.node.id).toBe("Resource");
    expect(cdn.assetsBucket.node.id).toBe("AssetsBucket");
    expect(cdn.logsBucket!.node.id).toBe("LogsBucket");
  });

  test("priceClass sets the distribution's price class", () => {
    expect(one(synth({ priceClass: "PriceClass_All" }).tf, "aws_cloudfront_distribution", "Resource").price_class).toBe("PriceClass_All");
    expect(one(synth({ priceClass: "PriceClass_200" }).tf, "aws_cloudfront_distribution", "Resource").price_class).toBe("PriceClass_200");
  });

  test("webAclArn attaches the WAFv2 web ACL", () => {
    const { tf } = synth({ webAclArn: WEB_ACL_ARN });
    expect(one(tf, "aws_cloudfront_distribution", "Resource").web_acl_id).toBe(WEB_ACL_ARN);
  });

  test("staticPathPattern routes that path to the assets bucket", () => {
    const { tf } = synth({ staticPathPattern: "/assets/*" });
    const behaviours: Json[] = one(tf, "aws_cloudfront_distribution", "Resource").ordered_cache_behavior;
    expect(behaviours).toHaveLength(1);
    expect(behaviours[0]).toMatchObject({ path_pattern: "/assets/*", target_origin_id: "assets", cache_policy_id: CACHING_OPTIMIZED });
  });

  test("certificateArn uses an existing certificate and creates none", () => {
    const { tf, cdn } = synth({ certificateArn: CERTIFICATE_ARN });
    expect(tf.resource.aws_acm_certificate).toBeUndefined();
    expect(tf.resource.aws_acm_certificate_validation).toBeUndefined();
    expect(tf.resource.aws_route53_record).toBeUndefined();
    expect(one(tf, "aws_cloudfront_distribution", "Resource").viewer_certificate.acm_certificate_arn).toBe(CERTIFICATE_ARN);
    expect(cdn.certificateArn).toBe(CERTIFICATE_ARN);
    expect(cdn.certificateValidation).toBeUndefined();
    // A longer domain is fine when ACM does not have to issue for it.
    const long = `${"a".repeat(60)}.example.com`;
    expect(one(synth({ certificateArn: CERTIFICATE_ARN, domain: long }).tf, "aws_cloudfront_distribution", "Resource").aliases).toEqual([long]);
  });

  test("hostedZoneId creates the validation record and waits for it", () => {
    const { tf, cdn } = synth({ hostedZoneId: "Z0123456789ABCDEFGHIJ" });
    const option = `tolist(${address(tf, "aws_acm_certificate", "Certificate")}.domain_validation_options).0`;
    const record = one(tf, "aws_route53_record", "CertificateValidationRecord");
    expect(record).toEqual(
      expect.objectContaining({
        zone_id: "Z0123456789ABCDEFGHIJ",
        name: `\${${option}.resource_record_name}`,
        type: `\${${option}.resource_record_type}`,
        records: [`\${${option}.resource_record_value}`],
        ttl: 60,
        allow_overwrite: true,
      }),
    );
    // Route 53 is global: the record uses the stack's default provider.
    expect(record.provider).toBeUndefined();
    expect(one(tf, "aws_acm_certificate_validation", "CertificateValidation")).toMatchObject({
      provider: "aws.us-east-1",
      certificate_arn: ref(tf, "aws_acm_certificate", "Certificate", "arn"),
      validation_record_fqdns: [ref(tf, "aws_route53_record", "CertificateValidationRecord", "fqdn")],
    });
    expect(one(tf, "aws_cloudfront_distribution", "Resource").viewer_certificate.acm_certificate_arn).toBe(
      ref(tf, "aws_acm_certificate_validation", "CertificateValidation", "certificate_arn"),
    );
    expect(cdn.certificateValidation).toBeUndefined();
  });

  test("accessLogs false creates no log bucket and no log delivery", () => {
    const { tf, cdn } = synth({ accessLogs: false });
    expect(all(tf, "aws_s3_bucket")).toHaveLength(1);
    expect(Object.keys(tf.resource).filter((type) => type.startsWith("aws_cloudwatch_log_delivery"))).toEqual([]);
    expect(cdn.logDelivery).toBeUndefined();
    expect(tf.resource.aws_s3_bucket_lifecycle_configuration).toBeUndefined();
    expect(all(tf, "aws_s3_bucket_policy")).toHaveLength(1);
    const distribution = one(tf, "aws_cloudfront_distribution", "Resource");
    expect(distribution.logging_config).toBeUndefined();
    expect(distribution.depends_on).toBeUndefined();
    expect(cdn.logsBucket).toBeUndefined();
  });

  test("accessLogs true is the default", () => {
    expect(synth({ accessLogs: true }).tf).toEqual(synth().tf);
  });

  test("construct ids are stable", () => {
    const ids = (overrides: Partial<CdnProps>) => synth(overrides).cdn.node.children.map((c) => c.node.id).sort();
    const core = [
      "Resource",
      "AssetsBucket",
      "AssetsBucketVersioning",
      "AssetsBucketEncryption",
      "AssetsBucketPublicAccessBlock",
      "AssetsBucketOwnership",
      "AssetsBucketPolicy",
      "OriginAccessControl",
      "ResponseHeadersPolicy",
    ];
    const logs = [
      "LogsBucket",
      "LogsVersioning",
      "LogsEncryption",
      "LogsPublicAccessBlock",
      "LogsOwnership",
      "LogsLifecycle",
      "LogsPolicy",
      "LogDeliverySource",
      "LogDeliveryDestination",
      "LogDelivery",
    ];
    expect(ids({ hostedZoneId: "Z0123456789ABCDEFGHIJ" })).toEqual(
      [...core, ...logs, "Certificate", "CertificateValidationRecord", "CertificateValidation"].sort(),
    );
    expect(ids({ certificateArn: CERTIFICATE_ARN, accessLogs: false })).toEqual([...core].sort());
  });

  describe("load balancer origin", () => {
    /** A Cdn in front of a LoadBalancer of the same stack, in a region without any built-in table entry. */
    function withLoadBalancer(allowFrom: "cdn" | "internet", region = "ap-southeast-2") {
      const { stack, usEast1 } = testStack();
      const lb = new LoadBalancer(stack, "LoadBalancer", {
        name: "shop-prod",
        network: { vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-01", "subnet-02"], privateSubnetIds: ["subnet-0a", "subnet-0b"] },
        accountId: "123456789012",
        region,
        domain: "shop.example.com",
        healthPath: "/healthz",
        targetPort: 30080,
        allowFrom,
      });
      const { loadBalancerDnsName: _, ...base } = BASE;
      const cdn = new Cdn(stack, "Cdn", { ...base, certificateProvider: usEast1, loadBalancer: lb });
      return { cdn, lb, tf: JSON.parse(Testing.synth(stack)) as Json };
    }
    const lbResources = constructResources("LoadBalancer");

    test.each(["ap-southeast-2", "eu-west-1", "us-east-1"])(
      "an internal load balancer is reached only through this distribution's VPC origin, over HTTPS (%s)",
      (region) => {
        const { tf, cdn } = withLoadBalancer("cdn", region);
        const vpcOrigin = one(tf, "aws_cloudfront_vpc_origin", "VpcOrigin");
        expect(vpcOrigin.vpc_origin_endpoint_config).toEqual([
          {
            name: "shop-prod-alb",
            arn: lbResources.ref(tf, "aws_lb", "Resource", "arn"),
            http_port: 80,
            https_port: 443,
            origin_protocol_policy: "https-only",
            origin_ssl_protocols: [{ items: ["TLSv1.2"], quantity: 1 }],
          },
        ]);
        // The distribution's app origin goes through the VPC origin, never as a public custom origin.
        const origin = one(tf, "aws_cloudfront_distribution", "Resource").origin.find((o: Json) => o.origin_id === "app");
        expect(origin).toEqual({
          origin_id: "app",
          domain_name: lbResources.ref(tf, "aws_lb", "Resource", "dns_name"),
          vpc_origin_config: { vpc_origin_id: ref(tf, "aws_cloudfront_vpc_origin", "VpcOrigin", "id") },
        });
        // CloudFront's VPC-origin group of this VPC, read after the VPC origin exists: no id per region.
        const lookup = tf.data.aws_security_group[Object.keys(tf.data.aws_security_group)[0]];
        expect(lookup).toMatchObject({
          filter: [
            { name: "vpc-id", values: ["vpc-0123456789abcdef0"] },
            { name: "group-name", values: ["CloudFront-VPCOrigins-Service-SG"] },
          ],
          depends_on: [address(tf, "aws_cloudfront_vpc_origin", "VpcOrigin")],
        });
        // The load balancer admits exactly that group, on 443, and nothing else.
        const groupId = `\${data.aws_security_group.${Object.keys(tf.data.aws_security_group)[0]}.id}`;
        expect(lbResources.all(tf, "aws_vpc_security_group_ingress_rule")).toEqual([
          expect.objectContaining({
            security_group_id: lbResources.ref(tf, "aws_security_group", "SecurityGroup"),
            referenced_security_group_id: groupId,
            ip_protocol: "tcp",
            from_port: 443,
            to_port: 443,
          }),
        ]);
        const rule = lbResources.all(tf, "aws_vpc_security_group_ingress_rule")[0];
        expect([rule.cidr_ipv4, rule.cidr_ipv6, rule.prefix_list_id]).toEqual([undefined, undefined, undefined]);
        expect(lbResources.one(tf, "aws_lb", "Resource").internal).toBe(true);
        expect(cdn.vpcOrigin).toBeDefined();
      },
    );

    test("an internet-facing load balancer (allowFrom internet) stays a public custom origin, without a VPC origin", () => {
      const { tf, cdn } = withLoadBalancer("internet");
      expect(tf.resource.aws_cloudfront_vpc_origin).toBeUndefined();
      expect(tf.data?.aws_security_group).toBeUndefined();
      const origin = one(tf, "aws_cloudfront_distribution", "Resource").origin.find((o: Json) => o.origin_id === "app");
      expect(origin.custom_origin_config).toMatchObject({ origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"] });
      expect(origin.vpc_origin_config).toBeUndefined();
      expect(cdn.vpcOrigin).toBeUndefined();
    });

    test("fails when neither or both of loadBalancer and loadBalancerDnsName are given", () => {
      const { loadBalancerDnsName: _, ...base } = BASE;
      const { stack, usEast1 } = testStack();
      expect(() => new Cdn(stack, "Cdn", { ...base, certificateProvider: usEast1 })).toThrow(/loadBalancer .*exactly one of loadBalancer/);
      const other = testStack();
      const lb = { arn: "arn", dnsName: "internal-x.elb.amazonaws.com", internal: true, vpcId: "vpc-1", allowHttpsFrom: () => undefined };
      expect(() => new Cdn(other.stack, "Cdn", { ...BASE, certificateProvider: other.usEast1, loadBalancer: lb })).toThrow(/exactly one of loadBalancer/);
    });
  });

  test("synthesizes deterministically", () => {
    expect(synth().tf).toEqual(synth().tf);
  });

  test("skips validation of unresolved tokens", () => {
    const { stack, usEast1 } = testStack();
    const variable = (id: string) => new TerraformVariable(stack, id, { type: "string" }).stringValue;
    new Cdn(stack, "Cdn", {
      ...BASE,
      certificateProvider: usEast1,
      accountId: variable("account"),
      domain: variable("domain"),
      loadBalancerDnsName: variable("lb"),
      hostedZoneId: variable("zone"),
      webAclArn: variable("waf"),
      staticPathPattern: variable("path"),
    });
    const tf: Json = JSON.parse(Testing.synth(stack));
    const distribution = one(tf, "aws_cloudfront_distribution", "Resource");
    expect(distribution.aliases).toEqual(["${var.domain}"]);
    expect(distribution.web_acl_id).toBe("${var.waf}");
    expect(distribution.ordered_cache_behavior[0].path_pattern).toBe("${var.path}");
    expect(one(tf, "aws_s3_bucket", "AssetsBucket").bucket).toBe("shop-prod-assets-${var.account}");
    expect(one(tf, "aws_route53_record", "CertificateValidationRecord").zone_id).toBe("${var.zone}");
  });

  describe("validation", () => {
    test.each(["", "Shop", "9lives", "shop_prod", "shop-", "xn--shop", "sthree-shop", "a".repeat(41)])("fails when name is %j", (name) => {
      expectInvalid({ name }, "name", "1 to 40 lower-case letters, digits and '-'");
    });

    test.each(["a".repeat(40), "s", "shop-prod-2"])("accepts name %j", (name) => {
      expect(one(synth({ name }).tf, "aws_s3_bucket", "AssetsBucket").bucket).toBe(`${name}-assets-123456789012`);
    });

    test.each(["12345678901", "abcdefghijkl", ""])("fails when accountId is %j", (accountId) => {
      expectInvalid({ accountId }, "accountId", "a 12-digit AWS account id");
    });

    test.each(["", "localhost", "Shop.example.com", "shop.example.com.", "https://shop.example.com", "*.example.com", "-shop.example.com", "shop.example.123", "shop..example.com", `${"a".repeat(64)}.example.com`])(
      "fails when domain is %j",
      (domain) => {
        expectInvalid({ domain }, "domain", "a lower-case fully qualified domain name");
      },
    );

    test("fails when domain is longer than ACM's 64 characters and the certificate is created here", () => {
      expectInvalid({ domain: `${"a".repeat(60)}.example.com` }, "domain", "at most 64 characters for a certificate ACM creates");
    });

    test.each(["", "10.0.0.1", "https://lb.example.com", "lb example.com"])("fails when loadBalancerDnsName is %j", (loadBalancerDnsName) => {
      expectInvalid({ loadBalancerDnsName }, "loadBalancerDnsName", "the load balancer's DNS name");
    });

    test("fails when certificateProvider is not for us-east-1", () => {
      const { stack } = testStack();
      const euWest1 = new AwsProvider(stack, "aws_eu_west_1", { alias: "eu", region: "eu-west-1" });
      expect(() => new Cdn(stack, "Cdn", { ...BASE, certificateProvider: euWest1 })).toThrow(
        /^test\/Cdn: certificateProvider "test\/aws_eu_west_1 \(region eu-west-1\)" is invalid: an AWS provider for us-east-1: CloudFront takes certificates only from there$/,
      );
    });

    test("fails when certificateProvider is missing", () => {
      const { stack } = testStack();
      expect(() => new Cdn(stack, "Cdn", { ...BASE } as CdnProps)).toThrow(/^test\/Cdn: certificateProvider \(missing\) is invalid: an AWS provider/);
    });

    test.each([
      "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef",
      "arn:aws:iam::123456789012:server-certificate/shop",
      "12345678-90ab-cdef-1234-567890abcdef",
    ])("fails when certificateArn is %j", (certificateArn) => {
      expectInvalid({ certificateArn }, "certificateArn", "an ACM certificate ARN in us-east-1");
    });

    test("fails when hostedZoneId comes with certificateArn", () => {
      expectInvalid({ certificateArn: CERTIFICATE_ARN, hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "hostedZoneId", "no hostedZoneId with certificateArn");
    });

    test.each(["", "z0123", "/hostedzone/Z0123456789ABCDEFGHIJ", "example.com"])("fails when hostedZoneId is %j", (hostedZoneId) => {
      expectInvalid({ hostedZoneId }, "hostedZoneId", "a Route 53 hosted zone id");
    });

    test.each(["static/*", "", "*", "/*", "/static/<x>", "/static/ *", `/${"a".repeat(255)}`])("fails when staticPathPattern is %j", (staticPathPattern) => {
      expectInvalid({ staticPathPattern }, "staticPathPattern", "a CloudFront path pattern starting with '/' other than '/*'");
    });

    test.each(["PriceClass_300", "priceclass_100", "All"])("fails when priceClass is %j", (priceClass) => {
      expectInvalid({ priceClass: priceClass as CdnProps["priceClass"] }, "priceClass", "one of PriceClass_100, PriceClass_200, PriceClass_All");
    });

    test.each([
      // Scope REGIONAL (an ALB's web ACL), not CLOUDFRONT.
      "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop-prod/a1b2c3d4-5678-90ab-cdef-0123456789ab",
      // CLOUDFRONT web ACLs live in us-east-1.
      "arn:aws:wafv2:eu-west-1:123456789012:global/webacl/shop-prod/a1b2c3d4-5678-90ab-cdef-0123456789ab",
      // WAF Classic ids are not accepted.
      "a1b2c3d4-5678-90ab-cdef-0123456789ab",
      "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop-prod",
    ])("fails when webAclArn is %j", (webAclArn) => {
      expectInvalid({ webAclArn }, "webAclArn", "a WAFv2 web ACL ARN of scope CLOUDFRONT (in us-east-1)");
    });
  });
});

/** Synthesizes a Cdn with default props and stack outputs of what `pick` returns; gives the outputs. */
function synthOutputs(pick: (cdn: Cdn) => Record<string, unknown>, overrides: Partial<CdnProps> = {}): Json {
  const { stack, usEast1 } = testStack();
  const cdn = new Cdn(stack, "Cdn", { ...BASE, certificateProvider: usEast1, ...overrides });
  Object.entries(pick(cdn)).forEach(([name, value]) => new TerraformOutput(stack, name, { value }));
  return JSON.parse(Testing.synth(stack)).output;
}

const { tools, describe: describeWithTerraform } = terraformForTests("validate/plan of Cdn");

describeWithTerraform("real Terraform, offline", () => {
  // The externally validated certificate (no hosted zone) is the example platform's case, which the
  // e2e test validates and plans in every hello-<env> stack; here the other two.
  test("validates and plans with a created (hosted zone, WAF) and an existing certificate, and behind a VPC origin", async () => {
    if (!tools) return;
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cdn-"));
    try {
      const app = new App({ outdir });
      const variants: Record<string, Partial<CdnProps>> = {
        "cdn-hosted-zone": { hostedZoneId: "Z0123456789ABCDEFGHIJ", webAclArn: WEB_ACL_ARN },
        "cdn-existing-certificate": { certificateArn: CERTIFICATE_ARN, accessLogs: false, priceClass: "PriceClass_All", staticPathPattern: "/assets/*" },
        "cdn-vpc-origin": { certificateArn: CERTIFICATE_ARN },
      };
      for (const [name, overrides] of Object.entries(variants)) {
        const stack = new TerraformStack(app, name);
        new AwsProvider(stack, "aws", { region: "eu-west-1" });
        const usEast1 = new AwsProvider(stack, "aws_us_east_1", { alias: "us-east-1", region: "us-east-1" });
        // An internal load balancer behind a VPC origin.
        const lb =
          name === "cdn-vpc-origin"
            ? new LoadBalancer(stack, "LoadBalancer", {
                name: "shop-prod",
                network: { vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-01", "subnet-02"], privateSubnetIds: ["subnet-0a", "subnet-0b"] },
                accountId: "123456789012",
                region: "eu-west-1",
                domain: "shop.example.com",
                healthPath: "/healthz",
                targetPort: 30080,
                certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
              })
            : undefined;
        const { loadBalancerDnsName, ...base } = BASE;
        const cdn = new Cdn(stack, "Cdn", { ...base, ...(lb ? { loadBalancer: lb } : { loadBalancerDnsName }), certificateProvider: usEast1, ...overrides });
        new TerraformOutput(stack, "domain_name", { value: cdn.domainName });
        if (cdn.certificateValidation) new TerraformOutput(stack, "certificate_validation", { value: cdn.certificateValidation });
      }
      app.synth();
      const checks = await checkSynthesizedStacks(outdir, tools, 2);
      const summary = checks.map((c) => ({
        stack: c.stack,
        validate: c.validate.ok ? "ok" : c.validate.output,
        plan: c.plan.ok ? "ok" : c.plan.output,
        warnings: /Warning:/.test(c.validate.output + c.plan.output) ? c.plan.output : "",
        toAdd: c.plan.toAdd,
      }));
      expect(summary.sort((a, b) => a.stack.localeCompare(b.stack))).toEqual([
        { stack: "cdn-existing-certificate", validate: "ok", plan: "ok", warnings: "", toAdd: 9 },
        { stack: "cdn-hosted-zone", validate: "ok", plan: "ok", warnings: "", toAdd: 22 },
        // The internal load balancer, its VPC origin and the ingress rule from CloudFront's group,
        // whose lookup Terraform defers until the VPC origin exists (so the offline plan passes).
        { stack: "cdn-vpc-origin", validate: "ok", plan: "ok", warnings: "", toAdd: 33 },
      ]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("Cdn preventDestroy", () => {
  test("the assets bucket cannot be destroyed by a plan by default; log buckets and throwaway environments are not protected", () => {
    expect(one(synth().tf, "aws_s3_bucket", "AssetsBucket").lifecycle).toEqual({ prevent_destroy: true });
    expect(one(synth().tf, "aws_s3_bucket", "LogsBucket").lifecycle).toBeUndefined();
    expect(one(synth({ preventDestroy: false }).tf, "aws_s3_bucket", "AssetsBucket").lifecycle).toBeUndefined();
  });
});
