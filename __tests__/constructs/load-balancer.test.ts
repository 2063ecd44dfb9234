import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { LoadBalancer, LoadBalancerProps } from "../../constructs/load-balancer";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const BASE: LoadBalancerProps = {
  name: "shop-prod",
  network: {
    vpcId: "vpc-0123456789abcdef0",
    publicSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa0", "subnet-0aaaaaaaaaaaaaaa1"],
  },
  accountId: "123456789012",
  region: "eu-west-1",
  domain: "shop.example.com",
  healthPath: "/healthz",
  targetPort: 30080,
};
const CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
const BUCKET = "shop-prod-logs-123456789012-eu-west-1";

function synth(overrides: Partial<LoadBalancerProps> = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const lb = new LoadBalancer(stack, "LoadBalancer", { ...BASE, ...overrides });
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { lb, stack, tf };
}

const { all, one, address, ref, countByType } = constructResources("LoadBalancer");

function expectInvalid(overrides: Partial<LoadBalancerProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/LoadBalancer", field, accepted);
}

describe("LoadBalancer", () => {
  test("secure defaults", () => {
    const { tf, lb } = synth();

    expect(countByType(tf)).toEqual({
      aws_security_group: 1,
      aws_s3_bucket: 1,
      aws_s3_bucket_public_access_block: 1,
      aws_s3_bucket_ownership_controls: 1,
      aws_s3_bucket_versioning: 1,
      aws_s3_bucket_server_side_encryption_configuration: 1,
      aws_s3_bucket_lifecycle_configuration: 1,
      aws_s3_bucket_policy: 1,
      aws_lb: 1,
      aws_lb_target_group: 1,
      aws_acm_certificate: 1,
      aws_acm_certificate_validation: 1,
      aws_lb_listener: 2,
    });
    expect(tf.provider).toBeUndefined();
    expect(tf.data).toBeUndefined();

    // The security group: no inline rules (they would fight the separate rule resources).
    const sg = one(tf, "aws_security_group", "SecurityGroup");
    expect(sg).toMatchObject({ name: "shop-prod-alb", description: "Application load balancer shop-prod", vpc_id: "vpc-0123456789abcdef0" });
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    // Internal and admitting nobody until its CDN's VPC origin is allowed in (allowHttpsFrom): no
    // CIDR, no prefix list (which would admit every CloudFront distribution of every account).
    expect(tf.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    expect(lb.internal).toBe(true);
    expect(lb.allowFrom).toBe("cdn");
    // No targets named, so no egress at all (Terraform removes AWS's default allow-all rule).
    expect(tf.resource.aws_vpc_security_group_egress_rule).toBeUndefined();

    expect(one(tf, "aws_lb", "Resource")).toMatchObject({
      name: "shop-prod",
      load_balancer_type: "application",
      internal: true,
      subnets: ["subnet-0aaaaaaaaaaaaaaa0", "subnet-0aaaaaaaaaaaaaaa1"],
      security_groups: [ref(tf, "aws_security_group", "SecurityGroup")],
      drop_invalid_header_fields: true,
      desync_mitigation_mode: "defensive",
      enable_deletion_protection: true,
      idle_timeout: 60,
      access_logs: { bucket: ref(tf, "aws_s3_bucket", "AccessLogsBucket"), enabled: true },
      depends_on: [address(tf, "aws_s3_bucket_policy", "AccessLogsPolicy")],
    });

    // Access logs: private, owner-enforced, versioned, SSE-S3, expiring.
    const bucketId = ref(tf, "aws_s3_bucket", "AccessLogsBucket");
    // The access-log tag (set by accessLogBucket, nowhere else) is what exempts it from prevent_destroy.
    expect(one(tf, "aws_s3_bucket", "AccessLogsBucket")).toMatchObject({ bucket: BUCKET, tags: { Name: BUCKET, "slipway:purpose": "access-logs" } });
    expect(one(tf, "aws_s3_bucket", "AccessLogsBucket").force_destroy).toBeUndefined();
    expect(one(tf, "aws_s3_bucket_public_access_block", "AccessLogsPublicAccessBlock")).toMatchObject({
      bucket: bucketId,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(tf, "aws_s3_bucket_ownership_controls", "AccessLogsOwnership")).toMatchObject({ bucket: bucketId, rule: { object_ownership: "BucketOwnerEnforced" } });
    expect(one(tf, "aws_s3_bucket_versioning", "AccessLogsVersioning")).toMatchObject({ bucket: bucketId, versioning_configuration: { status: "Enabled" } });
    expect(one(tf, "aws_s3_bucket_server_side_encryption_configuration", "AccessLogsEncryption")).toMatchObject({
      bucket: bucketId,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(one(tf, "aws_s3_bucket_lifecycle_configuration", "AccessLogsLifecycle")).toMatchObject({
      bucket: bucketId,
      rule: [
        expect.objectContaining({
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: 365 }],
          noncurrent_version_expiration: [{ noncurrent_days: 30 }],
        }),
      ],
    });
    const policy = one(tf, "aws_s3_bucket_policy", "AccessLogsPolicy");
    expect(policy.bucket).toBe(bucketId);
    expect(policy.depends_on).toEqual([address(tf, "aws_s3_bucket_public_access_block", "AccessLogsPublicAccessBlock")]);
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "ElbLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/123456789012/*`,
      },
      {
        Sid: "ElbLogDeliveryAccount",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::156460612806:root" },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/123456789012/*`,
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);

    // A DNS-validated certificate; the listener waits for it to be issued.
    expect(one(tf, "aws_acm_certificate", "Certificate")).toMatchObject({
      domain_name: "shop.example.com",
      validation_method: "DNS",
      lifecycle: { create_before_destroy: true },
    });
    const validation = one(tf, "aws_acm_certificate_validation", "CertificateValidation");
    expect(validation.certificate_arn).toBe(ref(tf, "aws_acm_certificate", "Certificate", "arn"));
    expect(validation.validation_record_fqdns).toBeUndefined();
    expect(tf.resource.aws_route53_record).toBeUndefined();

    expect(one(tf, "aws_lb_listener", "HttpsListener")).toMatchObject({
      load_balancer_arn: ref(tf, "aws_lb", "Resource", "arn"),
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificate_arn: ref(tf, "aws_acm_certificate_validation", "CertificateValidation", "certificate_arn"),
      default_action: [{ type: "forward", target_group_arn: ref(tf, "aws_lb_target_group", "TargetGroup", "arn") }],
    });
    expect(one(tf, "aws_lb_listener", "HttpListener")).toMatchObject({
      load_balancer_arn: ref(tf, "aws_lb", "Resource", "arn"),
      port: 80,
      protocol: "HTTP",
      default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
    });

    expect(one(tf, "aws_lb_target_group", "TargetGroup")).toMatchObject({
      name: "shop-prod-tg",
      target_type: "instance",
      protocol: "HTTP",
      port: 30080,
      vpc_id: "vpc-0123456789abcdef0",
      deregistration_delay: "30",
      health_check: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: "/healthz",
        matcher: "200-399",
        interval: 5,
        timeout: 3,
        healthy_threshold: 2,
        unhealthy_threshold: 2,
      },
    });
    expect(one(tf, "aws_lb_target_group", "TargetGroup").lifecycle).toBeUndefined();
    expect(tf.resource.aws_autoscaling_attachment).toBeUndefined();

    // No zone: the record to create by hand is exposed (resolved in "exposes typed attributes").
    expect(lb.certificateValidation).toBeDefined();
  });

  describe("allowFrom", () => {
    test("internet admits 443 and 80 from every IPv4 and IPv6 address, and no prefix list", () => {
      const { tf } = synth({ allowFrom: "internet" });
      const sgId = ref(tf, "aws_security_group", "SecurityGroup");
      const rules = all(tf, "aws_vpc_security_group_ingress_rule");
      expect(rules).toHaveLength(4);
      rules.forEach((rule) => {
        expect(rule.security_group_id).toBe(sgId);
        expect(rule.prefix_list_id).toBeUndefined();
      });
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "IngressHttpsIpv4")).toMatchObject({ ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "0.0.0.0/0" });
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "IngressHttpsIpv6")).toMatchObject({ ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv6: "::/0" });
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "IngressHttpIpv4")).toMatchObject({ ip_protocol: "tcp", from_port: 80, to_port: 80, cidr_ipv4: "0.0.0.0/0" });
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "IngressHttpIpv6")).toMatchObject({ ip_protocol: "tcp", from_port: 80, to_port: 80, cidr_ipv6: "::/0" });
    });

    test("internet puts an internet-facing load balancer in the public subnets", () => {
      const { tf, lb } = synth({ allowFrom: "internet" });
      expect(one(tf, "aws_lb", "Resource")).toMatchObject({ internal: false, subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] });
      expect(lb.internal).toBe(false);
      // No private subnets needed.
      expect(() => synth({ allowFrom: "internet", network: { vpcId: "vpc-1", publicSubnetIds: ["subnet-1", "subnet-2"] } })).not.toThrow();
    });

    test("cdn is the default: internal, in the private subnets, admitting nothing by CIDR or prefix list", () => {
      const explicit = synth({ allowFrom: "cdn" }).tf;
      expect(explicit).toEqual(synth().tf);
      expect(one(explicit, "aws_lb", "Resource")).toMatchObject({ internal: true, subnets: ["subnet-0aaaaaaaaaaaaaaa0", "subnet-0aaaaaaaaaaaaaaa1"] });
      expect(explicit.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    });

    test.each(["ap-southeast-2", "sa-east-1", "us-east-1"])("cdn works the same in %s: no region table, no prefix list", (region) => {
      const { tf } = synth({ region });
      expect(one(tf, "aws_lb", "Resource").internal).toBe(true);
      expect(JSON.stringify(tf)).not.toMatch(/pl-[0-9a-f]+|prefix_list/);
    });

    test("allowHttpsFrom admits one peer security group on 443 only", () => {
      const { lb, stack } = synth();
      lb.allowHttpsFrom({ securityGroupId: "sg-0fedcba9876543210" }, "HTTPS from the VPC origin", "IngressHttpsFromVpcOrigin");
      const tf: Json = JSON.parse(Testing.synth(stack));
      expect(all(tf, "aws_vpc_security_group_ingress_rule")).toEqual([
        {
          security_group_id: ref(tf, "aws_security_group", "SecurityGroup"),
          referenced_security_group_id: "sg-0fedcba9876543210",
          ip_protocol: "tcp",
          from_port: 443,
          to_port: 443,
          description: "HTTPS from the VPC origin",
          tags: { Name: "shop-prod-ingress-https-from-vpc-origin" },
        },
      ]);
    });

    test("fails when allowHttpsFrom is called on an internet-facing load balancer (it already admits everyone)", () => {
      const { lb } = synth({ allowFrom: "internet" });
      expect(() => lb.allowHttpsFrom({ securityGroupId: "sg-0fedcba9876543210" })).toThrow(/allowHttpsFrom.*allowFrom "cdn"/);
    });
  });

  describe("certificate", () => {
    test("certificateArn: the listener serves the existing certificate and nothing is created for it", () => {
      const { tf, lb } = synth({ certificateArn: CERTIFICATE_ARN, hostedZoneId: "Z0123456789ABCDEFGHIJ" });
      expect(tf.resource.aws_acm_certificate).toBeUndefined();
      expect(tf.resource.aws_acm_certificate_validation).toBeUndefined();
      expect(tf.resource.aws_route53_record).toBeUndefined();
      expect(one(tf, "aws_lb_listener", "HttpsListener").certificate_arn).toBe(CERTIFICATE_ARN);
      expect(lb.certificateArn).toBe(CERTIFICATE_ARN);
      expect(lb.certificateValidation).toBeUndefined();
    });

    test("hostedZoneId: the validation record is written to the zone and the listener waits for issuance", () => {
      const { tf, lb } = synth({ hostedZoneId: "Z0123456789ABCDEFGHIJ" });
      const certificate = address(tf, "aws_acm_certificate", "Certificate");
      const option = `tolist(${certificate}.domain_validation_options).0`;
      expect(one(tf, "aws_route53_record", "CertificateValidationRecord")).toMatchObject({
        zone_id: "Z0123456789ABCDEFGHIJ",
        name: `\${${option}.resource_record_name}`,
        type: `\${${option}.resource_record_type}`,
        records: [`\${${option}.resource_record_value}`],
        ttl: 60,
        allow_overwrite: true,
      });
      expect(one(tf, "aws_acm_certificate_validation", "CertificateValidation")).toMatchObject({
        certificate_arn: ref(tf, "aws_acm_certificate", "Certificate", "arn"),
        validation_record_fqdns: [ref(tf, "aws_route53_record", "CertificateValidationRecord", "fqdn")],
      });
      expect(one(tf, "aws_lb_listener", "HttpsListener").certificate_arn).toBe(
        ref(tf, "aws_acm_certificate_validation", "CertificateValidation", "certificate_arn"),
      );
      // The zone writes the record: nothing to hand over.
      expect(lb.certificateValidation).toBeUndefined();
    });

    test("no hostedZoneId: no record is written and the listener still waits for an issued certificate", () => {
      const { tf, lb } = synth();
      expect(tf.resource.aws_route53_record).toBeUndefined();
      expect(one(tf, "aws_lb_listener", "HttpsListener").certificate_arn).toBe(
        ref(tf, "aws_acm_certificate_validation", "CertificateValidation", "certificate_arn"),
      );
      expect(lb.certificateValidation).toBeDefined();
    });

    test("a wildcard domain gets a wildcard certificate", () => {
      const { tf } = synth({ domain: "*.shop.example.com" });
      expect(one(tf, "aws_acm_certificate", "Certificate").domain_name).toBe("*.shop.example.com");
    });
  });

  describe("targetGroupArn", () => {
    const TG_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-np/0123456789abcdef";
    test("the HTTPS listener forwards to the given target group; no target group or attachment is created here", () => {
      const { tf, lb } = synth({ targetGroupArn: TG_ARN });
      expect(tf.resource.aws_lb_target_group).toBeUndefined();
      expect(tf.resource.aws_autoscaling_attachment).toBeUndefined();
      expect(one(tf, "aws_lb_listener", "HttpsListener").default_action).toEqual([{ type: "forward", target_group_arn: TG_ARN }]);
      expect(lb.targetGroup).toBeUndefined();
      expect(lb.targetGroupArn).toBe(TG_ARN);
    });
    test("fails when targetAutoscalingGroupNames or deregistrationDelaySeconds come with it", () => {
      expectInvalid({ targetGroupArn: TG_ARN, targetAutoscalingGroupNames: ["eks-nodes"] }, "targetAutoscalingGroupNames", "no value with targetGroupArn");
      expectInvalid({ targetGroupArn: TG_ARN, deregistrationDelaySeconds: 10 }, "deregistrationDelaySeconds", "no value with targetGroupArn");
    });
    test.each(["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/0123456789abcdef", "shop-prod-np"])("fails when targetGroupArn is %j", (targetGroupArn) => {
      expectInvalid({ targetGroupArn }, "targetGroupArn", "a target group ARN");
    });
  });

  describe("targetAutoscalingGroupNames", () => {
    test("attaches the target group to each Auto Scaling group", () => {
      const { tf } = synth({ targetAutoscalingGroupNames: ["eks-nodes-a", "eks-nodes-b"] });
      const targetGroupArn = ref(tf, "aws_lb_target_group", "TargetGroup", "arn");
      expect(one(tf, "aws_autoscaling_attachment", "TargetAttachment0")).toEqual(
        expect.objectContaining({ autoscaling_group_name: "eks-nodes-a", lb_target_group_arn: targetGroupArn }),
      );
      expect(one(tf, "aws_autoscaling_attachment", "TargetAttachment1")).toEqual(
        expect.objectContaining({ autoscaling_group_name: "eks-nodes-b", lb_target_group_arn: targetGroupArn }),
      );
      expect(all(tf, "aws_autoscaling_attachment")).toHaveLength(2);
    });

    test("an unresolved list (a cross-stack reference) gets one attachment per element through count", () => {
      const app = Testing.app();
      const stack = new TerraformStack(app, "test");
      const groups = new TerraformVariable(stack, "groups", { type: "list(string)" });
      new LoadBalancer(stack, "LoadBalancer", { ...BASE, targetAutoscalingGroupNames: groups.listValue });
      const tf: Json = JSON.parse(Testing.synth(stack));
      expect(all(tf, "aws_autoscaling_attachment")).toHaveLength(1);
      expect(one(tf, "aws_autoscaling_attachment", "TargetAttachments")).toMatchObject({
        count: "${length(var.groups)}",
        autoscaling_group_name: "${element(var.groups, count.index)}",
        lb_target_group_arn: ref(tf, "aws_lb_target_group", "TargetGroup", "arn"),
      });
    });

    test("a literal list of references keeps one attachment per entry", () => {
      const app = Testing.app();
      const stack = new TerraformStack(app, "test");
      const group = new TerraformVariable(stack, "group", { type: "string" });
      new LoadBalancer(stack, "LoadBalancer", { ...BASE, targetAutoscalingGroupNames: [group.stringValue] });
      const tf: Json = JSON.parse(Testing.synth(stack));
      expect(one(tf, "aws_autoscaling_attachment", "TargetAttachment0").autoscaling_group_name).toBe("${var.group}");
    });
  });

  test("targetSecurityGroupId: the targets admit the load balancer on the NodePort, its only egress", () => {
    const { tf } = synth({ targetSecurityGroupId: "sg-0123456789abcdef0", allowFrom: "internet" });
    const albSg = ref(tf, "aws_security_group", "SecurityGroup");
    expect(all(tf, "aws_vpc_security_group_egress_rule")).toHaveLength(1);
    expect(one(tf, "aws_vpc_security_group_egress_rule", "EgressToTargets")).toMatchObject({
      security_group_id: albSg,
      ip_protocol: "tcp",
      from_port: 30080,
      to_port: 30080,
      referenced_security_group_id: "sg-0123456789abcdef0",
    });
    expect(one(tf, "aws_vpc_security_group_ingress_rule", "TargetIngressFromLoadBalancer")).toMatchObject({
      security_group_id: "sg-0123456789abcdef0",
      ip_protocol: "tcp",
      from_port: 30080,
      to_port: 30080,
      referenced_security_group_id: albSg,
    });
    // EC2 refuses descriptions with characters outside this set (an apostrophe, say) at apply.
    [...all(tf, "aws_vpc_security_group_ingress_rule"), ...all(tf, "aws_vpc_security_group_egress_rule"), ...all(tf, "aws_security_group")].forEach((r) =>
      expect(r.description).toMatch(/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]+$/),
    );
  });

  test("accessLogs false: no bucket and no access_logs block", () => {
    const { tf, lb } = synth({ accessLogs: false });
    Object.keys(tf.resource).forEach((type) => expect(type.startsWith("aws_s3_")).toBe(false));
    const alb = one(tf, "aws_lb", "Resource");
    expect(alb.access_logs).toBeUndefined();
    expect(alb.depends_on).toBeUndefined();
    expect(lb.accessLogsBucket).toBeUndefined();
  });

  test("accessLogs true is the default and logs to the construct's bucket", () => {
    const { tf, lb } = synth({ accessLogs: true });
    expect(tf).toEqual(synth().tf);
    expect(lb.accessLogsBucket?.node.id).toBe("AccessLogsBucket");
    expect(one(tf, "aws_lb", "Resource").access_logs).toEqual({ bucket: ref(tf, "aws_s3_bucket", "AccessLogsBucket"), enabled: true });
  });

  test("deletionProtection false lets the load balancer be destroyed", () => {
    const { tf } = synth({ deletionProtection: false });
    expect(one(tf, "aws_lb", "Resource").enable_deletion_protection).toBe(false);
  });

  test("deregistrationDelaySeconds, idleTimeoutSeconds, healthPath and targetPort reach the target group and load balancer", () => {
    const { tf } = synth({ deregistrationDelaySeconds: 0, idleTimeoutSeconds: 300, healthPath: "/ready?full=1", targetPort: 32767 });
    expect(one(tf, "aws_lb_target_group", "TargetGroup")).toMatchObject({
      deregistration_delay: "0",
      port: 32767,
      health_check: { path: "/ready?full=1", port: "traffic-port" },
    });
    expect(one(tf, "aws_lb", "Resource").idle_timeout).toBe(300);
  });

  test("region without an ELB log-delivery account: only the service principal may write logs", () => {
    const { tf } = synth({ region: "ap-southeast-4" });
    const statements: Json[] = JSON.parse(one(tf, "aws_s3_bucket_policy", "AccessLogsPolicy").policy).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(["ElbLogDelivery", "DenyInsecureTransport"]);
    expect(one(tf, "aws_s3_bucket", "AccessLogsBucket").bucket).toBe("shop-prod-logs-123456789012-ap-southeast-4");
  });

  test("region picks the partition of the bucket policy's ARNs", () => {
    const { tf } = synth({ region: "cn-north-1", certificateArn: "arn:aws-cn:acm:cn-north-1:123456789012:certificate/0f1e2d3c" });
    const statements: Json[] = JSON.parse(one(tf, "aws_s3_bucket_policy", "AccessLogsPolicy").policy).Statement;
    expect(statements[0].Resource).toBe("arn:aws-cn:s3:::shop-prod-logs-123456789012-cn-north-1/AWSLogs/123456789012/*");
    expect(statements[1].Principal).toEqual({ AWS: "arn:aws-cn:iam::638102146993:root" });
  });

  test("exposes typed attributes for other constructs", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const lb = new LoadBalancer(stack, "LoadBalancer", BASE);
    new TerraformOutput(stack, "arn", { value: lb.arn });
    new TerraformOutput(stack, "dns_name", { value: lb.dnsName });
    new TerraformOutput(stack, "zone_id", { value: lb.zoneId });
    new TerraformOutput(stack, "security_group_id", { value: lb.securityGroupId });
    new TerraformOutput(stack, "certificate_arn", { value: lb.certificateArn });
    new TerraformOutput(stack, "validation", { value: lb.certificateValidation });
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(tf.output.arn.value).toBe(ref(tf, "aws_lb", "Resource", "arn"));
    expect(tf.output.dns_name.value).toBe(ref(tf, "aws_lb", "Resource", "dns_name"));
    expect(tf.output.zone_id.value).toBe(ref(tf, "aws_lb", "Resource", "zone_id"));
    expect(tf.output.security_group_id.value).toBe(ref(tf, "aws_security_group", "SecurityGroup"));
    expect(tf.output.certificate_arn.value).toBe(ref(tf, "aws_acm_certificate_validation", "CertificateValidation", "certificate_arn"));
    const option = `tolist(${address(tf, "aws_acm_certificate", "Certificate")}.domain_validation_options).0`;
    expect(tf.output.validation.value).toEqual({
      name: `\${${option}.resource_record_name}`,
      type: `\${${option}.resource_record_type}`,
      value: `\${${option}.resource_record_value}`,
    });

    expect(lb.loadBalancer.node.id).toBe("Resource");
    expect(lb.securityGroup.node.id).toBe("SecurityGroup");
    expect(lb.httpsListener.node.id).toBe("HttpsListener");
    expect(lb.httpListener.node.id).toBe("HttpListener");
    expect(lb.targetGroup!.node.id).toBe("TargetGroup");
    expect(lb.accessLogsBucket?.node.id).toBe("AccessLogsBucket");
  });

  test("construct ids are stable", () => {
    const ids = (overrides: Partial<LoadBalancerProps>) =>
      synth(overrides)
        .lb.node.children.map((c) => c.node.id)
        .sort();
    expect(ids({ targetSecurityGroupId: "sg-0123456789abcdef0", targetAutoscalingGroupNames: ["eks-nodes"], hostedZoneId: "Z0123456789ABCDEFGHIJ" })).toEqual(
      [
        "SecurityGroup",
        "EgressToTargets",
        "TargetIngressFromLoadBalancer",
        "AccessLogsBucket",
        "AccessLogsPublicAccessBlock",
        "AccessLogsOwnership",
        "AccessLogsVersioning",
        "AccessLogsEncryption",
        "AccessLogsLifecycle",
        "AccessLogsPolicy",
        "Resource",
        "TargetGroup",
        "TargetAttachment0",
        "Certificate",
        "CertificateValidationRecord",
        "CertificateValidation",
        "HttpsListener",
        "HttpListener",
      ].sort(),
    );
    expect(ids({ allowFrom: "internet", accessLogs: false, certificateArn: CERTIFICATE_ARN })).toEqual(
      ["SecurityGroup", "IngressHttpsIpv4", "IngressHttpsIpv6", "IngressHttpIpv4", "IngressHttpIpv6", "Resource", "TargetGroup", "HttpsListener", "HttpListener"].sort(),
    );
  });

  test("synthesizes deterministically", () => {
    expect(synth().tf).toEqual(synth().tf);
  });

  test("skips validation of unresolved tokens where the value is not needed at synth", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const port = new TerraformVariable(stack, "port", { type: "number" });
    const path = new TerraformVariable(stack, "path", { type: "string" });
    const delay = new TerraformVariable(stack, "delay", { type: "number" });
    const zone = new TerraformVariable(stack, "zone", { type: "string" });
    const certificate = new TerraformVariable(stack, "certificate", { type: "string" });
    new LoadBalancer(stack, "LoadBalancer", {
      ...BASE,
      targetPort: port.numberValue,
      healthPath: path.stringValue,
      deregistrationDelaySeconds: delay.numberValue,
      certificateArn: certificate.stringValue,
      hostedZoneId: zone.stringValue,
    });
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(one(tf, "aws_lb_target_group", "TargetGroup")).toMatchObject({
      port: "${var.port}",
      deregistration_delay: "${var.delay}",
      health_check: { path: "${var.path}" },
    });
    expect(one(tf, "aws_lb_listener", "HttpsListener").certificate_arn).toBe("${var.certificate}");
  });

  describe("validation", () => {
    test.each(["", "Shop", "9lives", "shop_prod", "shop-", "internal-shop", "a".repeat(29)])("fails when name is %j", (name) => {
      expectInvalid({ name }, "name", "1-28 lower-case letters, digits and '-'");
    });

    test("accepts a name of 28 characters, leaving room for the -tg suffix", () => {
      const name = "a".repeat(28);
      expect(one(synth({ name }).tf, "aws_lb_target_group", "TargetGroup").name).toBe(`${name}-tg`);
    });

    test.each(["healthz", "", "http://x/healthz", "/health check"])("fails when healthPath %j is not a path", (healthPath) => {
      expectInvalid({ healthPath }, "healthPath", "a URL path starting with '/'");
    });

    test.each([80, 8080, 29999, 32768, 30080.5])("fails when targetPort %j is out of the NodePort range", (targetPort) => {
      expectInvalid({ targetPort }, "targetPort", "a Kubernetes NodePort, a whole number from 30000 to 32767");
    });

    test.each(["localhost", "Shop.Example.com", "shop..example.com", "-shop.example.com", "shop.example.com.", "https://shop.example.com", "*.*.example.com"])(
      "fails when domain is %j",
      (domain) => {
        expectInvalid({ domain }, "domain", "a lower-case fully qualified domain name (two or more labels)");
      },
    );

    test("fails when domain is longer than ACM's 64 characters for a certificate it creates", () => {
      const domain = `${"a".repeat(60)}.example.com`;
      expectInvalid({ domain }, "domain", "at most 64 characters");
      // An existing certificate may cover it.
      expect(() => synth({ domain, certificateArn: CERTIFICATE_ARN })).not.toThrow();
    });

    test.each([-1, 3601, 1.5])("fails when deregistrationDelaySeconds is %j", (deregistrationDelaySeconds) => {
      expectInvalid({ deregistrationDelaySeconds }, "deregistrationDelaySeconds", "a whole number of seconds from 0 to 3600");
    });

    test.each([0, 4001, 2.5])("fails when idleTimeoutSeconds is %j", (idleTimeoutSeconds) => {
      expectInvalid({ idleTimeoutSeconds }, "idleTimeoutSeconds", "a whole number of seconds from 1 to 4000");
    });

    test("fails when an internet-facing load balancer has fewer than two public subnets", () => {
      expectInvalid({ allowFrom: "internet", network: { vpcId: "vpc-1", publicSubnetIds: ["subnet-1"] } }, "network.publicSubnetIds", "at least two public subnets");
    });

    test("fails when an internal load balancer (allowFrom cdn) has fewer than two private subnets, or none", () => {
      expectInvalid({ network: { vpcId: "vpc-1", publicSubnetIds: ["subnet-1", "subnet-2"] } }, "network.privateSubnetIds", "at least two private subnets");
      expectInvalid({ network: { vpcId: "vpc-1", publicSubnetIds: ["subnet-1", "subnet-2"], privateSubnetIds: ["subnet-3"] } }, "network.privateSubnetIds", "internal load balancer");
    });

    test("fails when accountId is not 12 digits", () => {
      expectInvalid({ accountId: "12345" }, "accountId", "a 12-digit AWS account id");
    });

    test("fails when region is not a region name", () => {
      expectInvalid({ region: "europe" }, "region", "an AWS region name");
    });

    test("fails when allowFrom is neither cdn nor internet", () => {
      expectInvalid({ allowFrom: "vpn" as never }, "allowFrom", `"cdn" or "internet"`);
    });

    test("fails when certificateArn is not an ACM certificate ARN", () => {
      expectInvalid({ certificateArn: "arn:aws:iam::123456789012:server-certificate/x" }, "certificateArn", "an ACM certificate ARN");
    });

    test("fails when certificateArn is in another region", () => {
      expectInvalid(
        { certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" },
        "certificateArn",
        "a certificate in the load balancer's region eu-west-1",
      );
    });

    test("fails when hostedZoneId is not a Route 53 zone id", () => {
      expectInvalid({ hostedZoneId: "example.com" }, "hostedZoneId", "a Route 53 hosted zone id");
    });

    test("fails when an Auto Scaling group is listed twice", () => {
      expectInvalid({ targetAutoscalingGroupNames: ["a", "b", "a"] }, "targetAutoscalingGroupNames[2]", 'distinct groups; "a" is already targetAutoscalingGroupNames[0]');
    });

    test("fails when an Auto Scaling group name is empty", () => {
      expectInvalid({ targetAutoscalingGroupNames: [""] }, "targetAutoscalingGroupNames[0]", "an Auto Scaling group name");
    });

    test("the message names the path, the field, the value and what is accepted", () => {
      expect(() => synth({ targetPort: 8080 })).toThrow(
        "test/LoadBalancer: targetPort 8080 is invalid: a Kubernetes NodePort, a whole number from 30000 to 32767",
      );
    });
  });
});
