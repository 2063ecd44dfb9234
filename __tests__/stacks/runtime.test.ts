/**
 * The runtime side of the example platform: browser → CDN → load balancer → workload → Postgres,
 * wired per environment, and every difference between production and dev a user would expect.
 */
import { examplePlatform, resourceAt, resourcesByPath, synthAll } from "../support/platform";

const stacks = synthAll(examplePlatform());
const dev = stacks["hello-dev"];
const prod = stacks["hello-prod"];

const db = (stack: any) => resourceAt(stack, "aws_db_instance", "Database/Resource");
const alb = (stack: any) => resourceAt(stack, "aws_lb", "LoadBalancer/Resource");
const cdn = (stack: any) => resourceAt(stack, "aws_cloudfront_distribution", "Cdn/Resource");
const deployment = (stack: any) => resourceAt(stack, "kubernetes_deployment_v1", "Workload/Resource");

describe("wiring", () => {
  test("the CDN's app origin is this environment's load balancer, through its VPC origin, over HTTPS only", () => {
    const origins = cdn(prod).origin;
    const app = origins.find((o: any) => o.origin_id === "app");
    const lbAddress = Object.keys(prod.resource.aws_lb).map((k) => `aws_lb.${k}`)[0];
    expect(app.domain_name).toBe(`\${${lbAddress}.dns_name}`);
    expect(app.custom_origin_config).toBeUndefined();
    const vpcOrigin = resourceAt(prod, "aws_cloudfront_vpc_origin", "Cdn/VpcOrigin");
    expect(app.vpc_origin_config.vpc_origin_id).toMatch(/^\$\{aws_cloudfront_vpc_origin\.Cdn_VpcOrigin_[0-9A-F]{8}\.id\}$/);
    expect(vpcOrigin.vpc_origin_endpoint_config[0]).toMatchObject({ arn: `\${${lbAddress}.arn}`, origin_protocol_policy: "https-only" });
    expect(cdn(prod).aliases).toEqual(["hello.acme.example"]);
  });

  test("the load balancer targets the app's NodePort on the node group and admits only CloudFront's VPC origin", () => {
    // The target group and its attachment live with the node group, in platform-prod; the app
    // stack names no node group and forwards to the platform's target group.
    const platform = stacks["platform-prod"];
    const tg = resourceAt(platform, "aws_lb_target_group", "Targets-hello/Resource");
    const service = resourceAt(prod, "kubernetes_service_v1", "Workload/Service");
    expect(tg.port).toBe(service.spec.port[0].node_port);
    expect(tg).toMatchObject({ name: "hello-prod-np", target_type: "instance" });
    expect(tg.health_check.path).toBe("/healthz");
    expect(prod.resource.aws_lb_target_group).toBeUndefined();
    expect(prod.resource.aws_autoscaling_attachment).toBeUndefined();
    const attachment = resourceAt(platform, "aws_autoscaling_attachment", "Targets-hello/NodeGroupAttachment");
    const nodeGroup = Object.keys(platform.resource.aws_eks_node_group)[0];
    expect(attachment).toMatchObject({
      autoscaling_group_name: `\${aws_eks_node_group.${nodeGroup}.resources[0].autoscaling_groups[0].name}`,
      lb_target_group_arn: `\${aws_lb_target_group.${Object.keys(platform.resource.aws_lb_target_group).find((k) => k.startsWith("Targets-hello_"))}.arn}`,
      lifecycle: { create_before_destroy: true },
    });
    const listener = resourceAt(prod, "aws_lb_listener", "LoadBalancer/HttpsListener");
    const tgKey = Object.keys(platform.resource.aws_lb_target_group).find((k) => k.startsWith("Targets-hello_"));
    // prod releases through a canary: the stable group takes all traffic (weights: __tests__/constructs/canary.test.ts).
    expect(listener.default_action[0].forward.target_group[0]).toEqual({ arn: `\${data.terraform_remote_state.cross-stack-reference-input-platform-prod.outputs.cross-stack-output-aws_lb_target_group${tgKey}arn}`, weight: 100 });
    expect(alb(prod)).toMatchObject({ internal: true });
    const lbGroup = `\${${Object.keys(prod.resource.aws_security_group).map((k) => `aws_security_group.${k}`).find((a) => a.includes("LoadBalancer"))}.id}`;
    const ingress = Object.values<any>(prod.resource.aws_vpc_security_group_ingress_rule).filter((r) => r.security_group_id === lbGroup);
    expect(ingress.map((r) => [r.referenced_security_group_id, r.from_port, r.to_port])).toEqual([
      [expect.stringMatching(/^\$\{data\.aws_security_group\.Cdn_VpcOriginSecurityGroup_[0-9A-F]{8}\.id\}$/), 443, 443],
    ]);
  });

  test("the app's declared secrets (names only) are Secrets Manager secrets of the app and environment, mounted into the pods; Terraform never holds a value", () => {
    const secret = resourceAt(dev, "aws_secretsmanager_secret", "Secrets/Secret-SESSION_KEY");
    expect(secret.name).toBe("acme/hello/dev/SESSION_KEY");
    expect(secret.recovery_window_in_days).toBe(7);
    expect(resourceAt(prod, "aws_secretsmanager_secret", "Secrets/Secret-SESSION_KEY").recovery_window_in_days).toBe(30);
    expect(Object.keys(resourcesByPath(dev, "kubernetes_secret_v1")).filter((p) => /External/.test(p))).toEqual([]);
    const env = deployment(dev).spec.template.spec.container[0].env;
    expect(env).toEqual([
      { name: "SESSION_KEY", value_from: { secret_key_ref: { name: "hello-app-secrets", key: "SESSION_KEY", optional: false } } },
      { name: "SESSION_KEY_FILE", value: "/var/run/secrets/app/SESSION_KEY" },
    ]);
    const spc = resourceAt(dev, "kubernetes_manifest", "Workload/SecretProviderClass");
    const secretAddress = Object.keys(dev.resource.aws_secretsmanager_secret).map((k) => `aws_secretsmanager_secret.${k}`)[0];
    expect(JSON.parse(spc.manifest.spec.parameters.objects)).toEqual([{ objectName: `\${${secretAddress}.arn}`, objectType: "secretsmanager", objectAlias: "SESSION_KEY" }]);
    // The pods' service account reads them through its Pod Identity on this environment's cluster.
    const association = resourceAt(dev, "aws_eks_pod_identity_association", "ServerIdentity/Association");
    expect(association.service_account).toBe("hello");
    expect(association.cluster_name).toMatch(/cross-stack-reference-input-platform-dev/);
  });

  test("the deploy role may describe the app's secrets and never read them", () => {
    const policy = resourceAt(prod, "aws_iam_role_policy", "DeployRole/Policy-DescribeAppSecrets");
    const secretAddress = Object.keys(prod.resource.aws_secretsmanager_secret).map((k) => `aws_secretsmanager_secret.${k}`)[0];
    expect(JSON.parse(policy.policy).Statement).toEqual([{ Sid: "DescribeAppSecrets", Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: [`\${${secretAddress}.arn}`] }]);
    const deployPolicies = Object.entries(resourcesByPath(prod, "aws_iam_role_policy")).filter(([p]) => p.includes("/DeployRole/"));
    expect(JSON.stringify(deployPolicies)).not.toMatch(/GetSecretValue|kms:Decrypt/);
  });

  test("the database admits only the app's pod security group, and the workload gets where to connect as plain configuration, never a password", () => {
    const rules = Object.values<any>(prod.resource.aws_vpc_security_group_ingress_rule).filter((r) => r.from_port === 5432);
    expect(rules).toHaveLength(1);
    expect(rules[0].referenced_security_group_id).toMatch(/^\$\{aws_security_group\.PodSecurityGroup_[0-9A-F]{8}\.id\}$/);
    expect(rules[0].cidr_ipv4).toBeUndefined();
    const dbAddress = `aws_db_instance.${Object.keys(prod.resource.aws_db_instance)[0]}`;
    const config = resourceAt(prod, "kubernetes_config_map_v1", "Workload/Config").data;
    expect(config).toMatchObject({
      DATABASE_HOST: `\${${dbAddress}.address}`,
      DATABASE_PORT: "5432",
      DATABASE_NAME: "hello",
      DATABASE_SSLMODE: "verify-full",
      DATABASE_SSLROOTCERT: "/etc/ssl/rds/global-bundle.pem",
      DATABASE_USER: "hello_app",
      DATABASE_AUTH: "iam",
      DATABASE_REGION: "eu-west-1",
    });
    expect(Object.keys(config).filter((key) => /PASSWORD|CREDENTIALS|SECRET|TOKEN/.test(key))).toEqual([]);
    // No DATABASE_URL anywhere, and no Kubernetes Secret at all: nothing Terraform made up.
    expect(JSON.stringify(prod.resource)).not.toContain("DATABASE_URL");
    expect(prod.resource.kubernetes_secret_v1).toBeUndefined();
    expect(prod.data?.aws_secretsmanager_secret_version).toBeUndefined();
    // The password never appears in an output.
    expect(JSON.stringify(prod.output)).not.toMatch(/secret|password/i);
  });

  test("network policies admit the load balancer's subnets (private: it is internal) and allow egress to the database's", () => {
    const ingress = resourceAt(prod, "kubernetes_network_policy_v1", "Workload/IngressPolicy");
    expect(JSON.stringify(ingress)).toContain("10.30.0.0/19");
    expect(JSON.stringify(ingress)).not.toContain("10.30.128.0/21");
    const egress = resourceAt(prod, "kubernetes_network_policy_v1", "Workload/EgressPolicy");
    expect(JSON.stringify(egress)).toContain("10.30.0.0/19");
  });

  test("the workload pulls from the app's registry and Terraform leaves the image to the pipeline", () => {
    const d = deployment(prod);
    expect(d.spec.template.spec.container[0].image).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-hello-delivery\.outputs\..*\}:initial$/);
    expect(d.lifecycle.ignore_changes).toEqual(expect.arrayContaining(["spec[0].template[0].spec[0].container[0].image"]));
  });

  test("the URL is output per environment", () => {
    expect(dev.output.url.value).toBe("https://hello.dev.acme.example");
    expect(prod.output.url.value).toBe("https://hello.acme.example");
  });
});

describe("production differs from dev where a user expects it", () => {
  test.each<[string, (s: any) => unknown, unknown, unknown]>([
    ["database multi-AZ", (s) => db(s).multi_az, false, true],
    ["database deletion protection", (s) => db(s).deletion_protection, false, true],
    ["database backups kept 7 days (2 in dev)", (s) => db(s).backup_retention_period, 2, 7],
    ["database Performance Insights", (s) => db(s).performance_insights_enabled, false, true],
    ["database cannot be destroyed by a plan", (s) => db(s).lifecycle?.prevent_destroy ?? false, false, true],
    ["database instance class", (s) => db(s).instance_class, "db.t4g.micro", "db.m6g.large"],
    ["database storage", (s) => db(s).allocated_storage, 20, 100],
    ["load balancer deletion protection", (s) => alb(s).enable_deletion_protection, false, true],
    ["load balancer access logs", (s) => alb(s).access_logs?.enabled ?? false, false, true],
    ["CDN access logs (standard logging v2)", (s) => Object.keys(s.resource.aws_cloudwatch_log_delivery ?? {}).length, 0, 1],
    ["CDN price class", (s) => cdn(s).price_class, "PriceClass_100", "PriceClass_All"],
    ["replicas at least", (s) => deployment(s).spec.replicas, "2", "3"],
    ["autoscaler ceiling", (s) => resourceAt(s, "kubernetes_horizontal_pod_autoscaler_v2", "Workload/Autoscaler").spec.max_replicas, 4, 12],
  ])("%s", (_what, read, devValue, prodValue) => {
    expect(read(dev)).toEqual(devValue);
    expect(read(prod)).toEqual(prodValue);
  });

  test("NAT gateways: one in dev, one per zone in production", () => {
    expect(Object.keys(stacks["platform-dev"].resource.aws_nat_gateway)).toHaveLength(1);
    expect(Object.keys(stacks["platform-prod"].resource.aws_nat_gateway)).toHaveLength(3);
  });

  test("the same hardening everywhere: pod security, encryption, TLS", () => {
    for (const stack of [dev, prod]) {
      const container = deployment(stack).spec.template.spec.container[0];
      expect(container.security_context).toMatchObject({ allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } });
      expect(db(stack)).toMatchObject({ storage_encrypted: true, publicly_accessible: false, manage_master_user_password: true, iam_database_authentication_enabled: true });
      expect(cdn(stack).viewer_certificate.minimum_protocol_version).toBe("TLSv1.2_2021");
      expect(resourceAt(stack, "aws_lb_listener", "LoadBalancer/HttpsListener").ssl_policy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    }
  });
});

describe("platform-file choices reach the runtime", () => {
  test("a Route 53 zone validates certificates and points the domain at the CDN", () => {
    const zoned = synthAll(examplePlatform((d) => (d.environments[2].dns = { hostedZoneId: "Z0123456789ABCDEFGHIJ" })))["hello-prod"];
    const records = Object.values<any>(zoned.resource.aws_route53_record);
    const alias = records.filter((r) => r.alias);
    expect(alias.map((r) => r.type).sort()).toEqual(["A", "AAAA"]);
    expect(alias[0]).toMatchObject({ zone_id: "Z0123456789ABCDEFGHIJ", name: "hello.acme.example" });
    expect(zoned.output.load_balancer_certificate_validation).toBeUndefined();
    expect(prod.output.load_balancer_certificate_validation).toBeDefined();
  });

  test("a load balancer open to the internet, and a WAF on the CDN", () => {
    const open = synthAll(
      examplePlatform((d) => {
        d.environments[0].loadBalancer = { allowFrom: "internet" };
        d.environments[0].cdn = { webAclArn: "arn:aws:wafv2:us-east-1:111111111111:global/webacl/acme/0123abcd-0123-0123-0123-0123456789ab" };
      }),
    )["hello-dev"];
    const cidrs = Object.values<any>(open.resource.aws_vpc_security_group_ingress_rule).map((r) => r.cidr_ipv4 ?? r.cidr_ipv6).filter(Boolean);
    expect(cidrs).toEqual(expect.arrayContaining(["0.0.0.0/0", "::/0"]));
    // Internet-facing in the public subnets, a public CDN origin, and the policy finding accepted
    // with the platform file's reason (listed in the synth summary).
    expect(alb(open).internal).toBe(false);
    expect(open.resource.aws_cloudfront_vpc_origin).toBeUndefined();
    // Requests reach the pods from the nodes (private subnets), whatever side the load balancer is on.
    const ingress = resourceAt(open, "kubernetes_network_policy_v1", "Workload/IngressPolicy").spec.ingress[0].from.map((f: any) => f.ip_block.cidr);
    expect(ingress).toEqual(["10.10.0.0/19", "10.10.32.0/19"]);
    expect(ingress).not.toContain("10.10.128.0/21");
    expect(cdn(open).web_acl_id).toMatch(/^arn:aws:wafv2:us-east-1:/);
  });

  test("app egress from the platform file reaches the egress network policy", () => {
    const egress = synthAll(examplePlatform((d) => (d.apps[0].egress = [{ cidr: "192.0.2.0/24", port: 443 }])))["hello-dev"];
    expect(JSON.stringify(resourceAt(egress, "kubernetes_network_policy_v1", "Workload/EgressPolicy"))).toContain("192.0.2.0/24");
  });
});
