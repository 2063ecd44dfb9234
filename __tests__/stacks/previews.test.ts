/**
 * Pull-request previews, as synthesized from the example platform (hello gets previews on dev by
 * default): the routing made once (wildcard certificate and alias, DNS, the pr-* listener rule, the
 * router's target group), the cluster side (router, RBAC, admission policies), the preview
 * identity, and the GitHub `preview` environment with each variable; then the templates, an app
 * without a database, and the policy rules that guard all of it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { synthesize } from "../../cli/synth";
import { DATABASE_SETUP_IMAGE } from "../../constructs/database-setup";
import { PREVIEW_ROUTER_HEALTH_PATH, PREVIEW_ROUTER_IMAGE } from "../../constructs/preview-host";
import { PREVIEW_AWS_CLI_IMAGE } from "../../constructs/preview-templates";
import { previewRouterNodePort } from "../../platform/model";
import { evaluate } from "../../policy";
import { PREVIEW_RULES } from "../../policy/rules/previews";
import { EXAMPLE_FILE, examplePlatform, synthAll, tempDir } from "../support/platform";

type Json = any;

const stacks = synthAll(examplePlatform());
const dev = stacks["hello-dev"];
const ROUTER_PORT = previewRouterNodePort("hello");
const DOMAIN = "hello.dev.acme.example";

/** The resources of `type` whose construct path (inside the stack) starts with `prefix`, by that path. */
function byPath(stack: Json, type: string, prefix = ""): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const r of Object.values<Json>(stack.resource?.[type] ?? {})) {
    const path = String(r["//"].metadata.path).split("/").slice(1).join("/");
    if (path.startsWith(prefix)) {
      const { "//": _meta, ...config } = r;
      out[path] = config;
    }
  }
  return out;
}
const one = (stack: Json, type: string, path: string): Json => {
  const found = byPath(stack, type, path)[path];
  if (!found) throw new Error(`no ${type} at ${path}`);
  return found;
};
const variable = (stack: Json, name: string): string | undefined =>
  Object.values<Json>(stack.resource.github_actions_environment_variable ?? {}).find((v) => v.variable_name === name && String(v["//"].metadata.path).includes("PreviewAccess"))?.value;
const manifests = (stack: Json, prefix: string): Json[] => Object.values(byPath(stack, "kubernetes_manifest", prefix)).map((m) => m.manifest);

describe("routing made once: wildcard certificate, alias, listener rule, target group", () => {
  test("the CDN's and the load balancer's certificates name *.<domain>, and the distribution answers for it", () => {
    for (const path of ["Cdn/Certificate", "LoadBalancer/Certificate"]) {
      const certificate = one(dev, "aws_acm_certificate", path);
      expect(certificate.domain_name).toBe(DOMAIN);
      expect(certificate.subject_alternative_names).toEqual([`*.${DOMAIN}`]);
      expect(certificate.validation_method).toBe("DNS");
    }
    expect(one(dev, "aws_cloudfront_distribution", "Cdn/Resource").aliases).toEqual([DOMAIN, `*.${DOMAIN}`]);
  });

  test("environments that host no previews get no wildcard", () => {
    for (const env of ["staging", "prod"]) {
      expect(one(stacks[`hello-${env}`], "aws_acm_certificate", "LoadBalancer/Certificate").subject_alternative_names).toBeUndefined();
      expect(one(stacks[`hello-${env}`], "aws_cloudfront_distribution", "Cdn/Resource").aliases).toEqual([examplePlatform().apps[0].domains[env]]);
      expect(byPath(stacks[`hello-${env}`], "aws_lb_listener_rule")).toEqual({});
      expect(byPath(stacks[`hello-${env}`], "github_repository_environment")).toEqual({});
      // The app's own target group (and prod's canary one), no preview router's.
      expect(Object.keys(stacks[`platform-${env}`].resource.aws_lb_target_group).filter((k) => k.startsWith("PreviewTargets"))).toEqual([]);
      expect(Object.keys(stacks[`platform-${env}`].resource.aws_lb_target_group)).toContainEqual(expect.stringMatching(/^Targets-hello_/));
    }
  });

  test("one listener rule: host pr-*.<domain> at priority 100, forwarding to the router's target group in platform-dev", () => {
    const rule = one(dev, "aws_lb_listener_rule", "LoadBalancer/PreviewRule");
    expect(rule.listener_arn).toMatch(/^\$\{aws_lb_listener\.LoadBalancer_HttpsListener_[0-9A-F]+\.arn\}$/);
    expect(rule.priority).toBe(100);
    expect(rule.condition).toEqual([{ host_header: { values: [`pr-*.${DOMAIN}`] } }]);
    expect(rule.action).toEqual([{ type: "forward", target_group_arn: expect.stringMatching(/cross-stack-output-aws_lb_target_groupPreviewTargets-hello_[0-9A-F]+arn\}$/) }]);
    // The load balancer reaches the router's NodePort on the nodes, and only that port.
    const egress = one(dev, "aws_vpc_security_group_egress_rule", "LoadBalancer/PreviewRuleEgressToTargets");
    expect([egress.from_port, egress.to_port, egress.ip_protocol]).toEqual([ROUTER_PORT, ROUTER_PORT, "tcp"]);
    const ingress = one(dev, "aws_vpc_security_group_ingress_rule", "LoadBalancer/PreviewRuleTargetIngress");
    expect([ingress.from_port, ingress.to_port, ingress.referenced_security_group_id]).toEqual([ROUTER_PORT, ROUTER_PORT, expect.stringMatching(/^\$\{aws_security_group\.LoadBalancer_SecurityGroup_/)]);
  });

  test("platform-dev's target group of the router: hello-dev-pv on the router's NodePort, attached to the node group", () => {
    const group = one(stacks["platform-dev"], "aws_lb_target_group", "PreviewTargets-hello/Resource");
    expect(group.name).toBe("hello-dev-pv");
    expect(group.port).toBe(ROUTER_PORT);
    expect(group.target_type).toBe("instance");
    expect(group.protocol).toBe("HTTP");
    expect(group.health_check).toEqual({ enabled: true, healthy_threshold: 2, interval: 5, matcher: "200-399", path: PREVIEW_ROUTER_HEALTH_PATH, port: "traffic-port", protocol: "HTTP", timeout: 3, unhealthy_threshold: 2 });
    expect(group.tags).toEqual({ Name: "hello-dev-pv", "slipway:app": "hello", "slipway:purpose": "previews" });
    const attachment = one(stacks["platform-dev"], "aws_autoscaling_attachment", "PreviewTargets-hello/NodeGroupAttachment");
    expect(attachment.lb_target_group_arn).toMatch(/^\$\{aws_lb_target_group\.PreviewTargets-hello_[0-9A-F]+\.arn\}$/);
    expect(attachment.lifecycle).toEqual({ create_before_destroy: true });
  });

  test("without a zone: an output names the wildcard to point at the distribution", () => {
    expect(dev.output.preview_domain).toEqual({ value: `*.${DOMAIN}`, description: "Point this wildcard at cdn_domain_name too (CNAME): each pull request's preview is pr-<n> under it" });
    expect(stacks["hello-staging"].output.preview_domain).toBeUndefined();
  });

  test("with a Route 53 zone: one wildcard record *.<domain> (A and AAAA) aliased to the distribution", () => {
    const zoned = synthAll(examplePlatform((d) => (d.environments[0].dns = { hostedZoneId: "Z0123456789ABCDEFGHIJ" })))["hello-dev"];
    for (const type of ["A", "AAAA"]) {
      const record = one(zoned, "aws_route53_record", `PreviewDomain${type}`);
      expect(record).toEqual({
        zone_id: "Z0123456789ABCDEFGHIJ",
        name: `*.${DOMAIN}`,
        type,
        alias: { name: expect.stringMatching(/^\$\{aws_cloudfront_distribution\.Cdn_[0-9A-F]+\.domain_name\}$/), zone_id: expect.stringMatching(/^\$\{aws_cloudfront_distribution\.Cdn_[0-9A-F]+\.hosted_zone_id\}$/), evaluate_target_health: false },
      });
    }
  });
});

describe("the synth summary", () => {
  test("hello-dev's line names the previews' URL, cap, idle time to live and database", () => {
    const out = tempDir("slipway-previews-summary-");
    try {
      const result = synthesize({ platformFile: EXAMPLE_FILE, outdir: path.join(out, "out") });
      expect(result.stacks.find((st) => st.name === "hello-dev")!.description).toContain("; previews https://pr-<n>.hello.dev.acme.example (at most 3, removed after 72 h idle, each with its own database)");
      expect(result.stacks.find((st) => st.name === "hello-staging")!.description).not.toContain("previews");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the cluster side: <app>-previews, router, RBAC, admission", () => {
  test("the namespace enforces restricted Pod Security", () => {
    expect(one(dev, "kubernetes_namespace_v1", "Previews/Namespace").metadata.labels).toEqual({
      "app.kubernetes.io/name": "hello",
      "app.kubernetes.io/part-of": "slipway-previews",
      "app.kubernetes.io/managed-by": "terraform",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  test("the router: nginx pinned by digest, non-root, read-only root filesystem, limits; a NodePort Service on the router's port", () => {
    const router = one(dev, "kubernetes_deployment_v1", "Previews/Resource");
    expect(router.metadata.name).toBe("preview-router");
    const pod = router.spec.template.spec;
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.security_context).toEqual({ run_as_non_root: true, run_as_user: "10001", run_as_group: "10001", fs_group: "10001", seccomp_profile: { type: "RuntimeDefault" } });
    const [nginx] = pod.container;
    expect(nginx.image).toBe(PREVIEW_ROUTER_IMAGE);
    expect(nginx.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(nginx.security_context).toEqual({ allow_privilege_escalation: false, privileged: false, read_only_root_filesystem: true, run_as_non_root: true, capabilities: { drop: ["ALL"] }, seccomp_profile: { type: "RuntimeDefault" } });
    expect(nginx.resources).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "64Mi" } });
    expect(nginx.volume_mount).toEqual([
      { name: "config", mount_path: "/etc/nginx/nginx.conf", sub_path: "nginx.conf", read_only: true },
      { name: "tmp", mount_path: "/tmp" },
    ]);
    const service = one(dev, "kubernetes_service_v1", "Previews/RouterService");
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.port).toEqual([{ name: "http", port: 80, target_port: "http", node_port: ROUTER_PORT, protocol: "TCP" }]);
    const config = one(dev, "kubernetes_config_map_v1", "Previews/RouterConfig").data["nginx.conf"];
    expect(config).toContain(`server_name "~^pr-(?<pr>[1-9][0-9]{0,8})\\.hello\\.dev\\.acme\\.example$";`);
    expect(config).toContain("proxy_pass http://app.hello-pr-$pr.svc.cluster.local;");
    expect(config).toContain(`location = ${PREVIEW_ROUTER_HEALTH_PATH} { return 200 "ok\\n"; }`);
    // A Host that is not a preview's gets nothing.
    expect(config).toContain("location / { return 404; }");
  });

  test("the router's network policy: from the nodes' subnets to 8080; out only to preview apps' port and DNS", () => {
    const policy = one(dev, "kubernetes_network_policy_v1", "Previews/RouterPolicy").spec;
    // dev's private subnets (10.10.0.0/16 over two zones): where the nodes forward NodePort traffic from.
    expect(policy.ingress).toEqual([{ from: [{ ip_block: { cidr: "10.10.0.0/19" } }, { ip_block: { cidr: "10.10.32.0/19" } }], ports: [{ port: "8080", protocol: "TCP" }] }]);
    expect(policy.egress[0]).toEqual({
      to: [{ namespace_selector: { match_labels: { "slipway.dev/preview": "hello" } }, pod_selector: { match_labels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "server" } } }],
      ports: [{ port: "8080", protocol: "TCP" }],
    });
  });

  test("RBAC: the manager ClusterRole (namespaces, bindings, quotas, bind on the preview ClusterRoles only), bound to the preview group", () => {
    expect(one(dev, "kubernetes_cluster_role_v1", "Previews/ManagerRole").rule).toEqual([
      { api_groups: [""], resources: ["namespaces"], verbs: ["create", "delete", "get", "list", "watch"] },
      { api_groups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create", "delete", "get", "list"] },
      { api_groups: [""], resources: ["resourcequotas", "limitranges"], verbs: ["create", "get", "list", "update", "patch"] },
      { api_groups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resource_names: ["slipway:hello-preview-deployer", "slipway:hello-preview-database-writer"] },
    ]);
    const binding = one(dev, "kubernetes_cluster_role_binding_v1", "Previews/ManagerBinding");
    expect(binding.role_ref).toEqual({ api_group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "${kubernetes_cluster_role_v1.Previews_ManagerRole_4D983C60.metadata[0].name}" });
    expect(binding.subject).toEqual([{ api_group: "rbac.authorization.k8s.io", kind: "Group", name: "slipway:hello-previews" }]);
    expect(one(dev, "kubernetes_cluster_role_v1", "Previews/DatabaseWriterRole").rule).toEqual([
      { api_groups: [""], resources: ["secrets"], verbs: ["create"] },
      { api_groups: [""], resources: ["secrets"], resource_names: ["database"], verbs: ["update"] },
    ]);
    const deployer = one(dev, "kubernetes_cluster_role_v1", "Previews/DeployerRole");
    expect(deployer.metadata.name).toBe("slipway:hello-preview-deployer");
    // No exec, attach, port-forward, RBAC or reading secrets inside a preview either.
    const granted = deployer.rule.flatMap((r: Json) => r.resources.map((res: string) => `${res}:${r.verbs.join(",")}`));
    expect(granted).toContain("secrets:create,delete");
    expect(granted.some((g: string) => /pods\/(exec|attach|portforward)|rolebindings|roles|\*/.test(g))).toBe(false);
    // In <app>-previews: Jobs, pods and logs only.
    expect(one(dev, "kubernetes_role_v1", "Previews/JobsRole").rule).toEqual([
      { api_groups: ["batch"], resources: ["jobs"], verbs: ["create", "delete", "get", "list", "watch"] },
      { api_groups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { api_groups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    expect(one(dev, "kubernetes_role_binding_v1", "Previews/JobsBinding").subject).toEqual([{ api_group: "rbac.authorization.k8s.io", kind: "Group", name: "slipway:hello-previews" }]);
  });

  test("the namespace policy's CEL: names hello-pr-<n> only, restricted Pod Security and the preview label, by the preview group", () => {
    const [policy] = manifests(dev, "Previews/NamespaceGuardPolicy");
    expect(policy.metadata.name).toBe("slipway-hello-preview-namespaces");
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConstraints).toEqual({ resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["namespaces"] }] });
    expect(policy.spec.matchConditions).toEqual([{ name: "by-the-preview-identity", expression: '"slipway:hello-previews" in request.userInfo.groups' }]);
    expect(policy.spec.validations.map((v: Json) => v.expression)).toEqual([
      `(request.operation == 'DELETE' ? oldObject : object).metadata.name.matches("^hello-pr-[1-9][0-9]{0,8}$")`,
      `request.operation == 'DELETE' || (has(object.metadata.labels) && "pod-security.kubernetes.io/enforce" in object.metadata.labels && object.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted" && "pod-security.kubernetes.io/enforce-version" in object.metadata.labels && object.metadata.labels["pod-security.kubernetes.io/enforce-version"] == "latest" && "pod-security.kubernetes.io/audit" in object.metadata.labels && object.metadata.labels["pod-security.kubernetes.io/audit"] == "restricted" && "pod-security.kubernetes.io/warn" in object.metadata.labels && object.metadata.labels["pod-security.kubernetes.io/warn"] == "restricted" && "slipway.dev/preview" in object.metadata.labels && object.metadata.labels["slipway.dev/preview"] == "hello")`,
      `request.operation == 'DELETE' || !has(object.metadata.labels) || !("pod-security.kubernetes.io/enforce-version" in object.metadata.labels) || object.metadata.labels["pod-security.kubernetes.io/enforce-version"] == "latest"`,
    ]);
    const [binding] = manifests(dev, "Previews/NamespaceGuardBinding");
    expect(binding.spec).toEqual({ policyName: "slipway-hello-preview-namespaces", validationActions: ["Deny"] });
  });

  test("the objects policy's CEL: bindings, quotas and security group policies only in hello-pr-<n>, only Slipway's", () => {
    const [policy] = manifests(dev, "Previews/ObjectGuardPolicy");
    expect(policy.metadata.name).toBe("slipway-hello-preview-objects");
    const [inNamespace, bindings, securityGroups] = policy.spec.validations.map((v: Json) => v.expression);
    expect(inNamespace).toBe('request.namespace.matches("^hello-pr-[1-9][0-9]{0,8}$")');
    expect(bindings).toBe(
      'request.resource.resource != "rolebindings" || request.operation == "DELETE" || (has(object.subjects) && (object.roleRef.kind == "ClusterRole" && object.roleRef.name == "slipway:hello-preview-deployer" && object.subjects.all(s, s.kind == "Group" && s.name == "slipway:hello-previews") || object.roleRef.kind == "ClusterRole" && object.roleRef.name == "slipway:hello-preview-database-writer" && object.subjects.all(s, s.kind == "ServiceAccount" && s.name == "hello-preview-db" && s.namespace == "hello-previews")))',
    );
    expect(securityGroups).toBe('request.resource.resource != "securitygrouppolicies" || object.spec.securityGroups.groupIds == ["${aws_security_group.Previews_PodSecurityGroup_90A45D59.id}"]');
  });

  test("the database Job's guard: pods of hello-preview-db run exactly Slipway's three steps", () => {
    const [policy] = manifests(dev, "Previews/DatabaseJobGuardPolicy");
    expect(policy.spec.matchConditions).toEqual([{ name: "runs-as-the-preview-database-account", expression: 'has(object.spec.serviceAccountName) && object.spec.serviceAccountName == "${kubernetes_service_account_v1.Previews_DatabaseServiceAccount_BDAEACDA.metadata[0].name}"' }]);
    const [init, main, settings] = policy.spec.validations.map((v: Json) => v.expression);
    // Slipway's settings, the database's address among them (its IAM token goes nowhere else); PR, action and namespace checked.
    expect(settings).toContain('"PGHOST": "${aws_db_instance.Database_B269D8BB.address}"');
    expect(settings).toContain('"MANAGER_ROLE": "hello_previews"');
    expect(settings).toContain('(e.name == "PR" && has(e.value) && e.value.matches("^[1-9][0-9]{0,8}$"))');
    expect(settings).toContain('(e.name == "ACTION" && has(e.value) && e.value in ["create", "drop"])');
    expect(settings).toContain('(e.name == "PREVIEW_NAMESPACE" && has(e.value) && e.value.matches("^hello-pr-[1-9][0-9]{0,8}$"))');
    expect(init).toContain(`object.spec.initContainers[0].image == ${JSON.stringify(PREVIEW_AWS_CLI_IMAGE)}`);
    expect(init).toContain(`object.spec.initContainers[1].image == ${JSON.stringify(DATABASE_SETUP_IMAGE)}`);
    expect(main).toContain(`object.spec.containers[0].image == ${JSON.stringify(PREVIEW_AWS_CLI_IMAGE)}`);
    expect(main).toContain("!has(object.spec.ephemeralContainers)");
  });
});

describe("the preview identity and the database Job's identity", () => {
  test("hello-preview-dev is trusted only from acme-corp/hello's preview environment", () => {
    const role = one(dev, "aws_iam_role", "PreviewAccess/Role/Resource");
    expect(role.name).toBe("hello-preview-dev");
    expect(role.max_session_duration).toBe(3600);
    const [statement] = JSON.parse(role.assume_role_policy).Statement;
    expect(statement.Principal).toEqual({ Federated: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" });
    expect(statement.Condition).toEqual({ StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme-corp/hello:environment:preview"] } });
  });

  test("its policies: push/pull/delete in hello-previews, describe the host cluster; nothing else", () => {
    const policies = byPath(dev, "aws_iam_role_policy", "PreviewAccess/Role/");
    const statements = Object.values(policies).flatMap((p) => JSON.parse(p.policy).Statement).sort((a, b) => a.Sid.localeCompare(b.Sid));
    const registry = "${aws_ecr_repository.PreviewAccess_Registry_1B4B4E6B.arn}";
    expect(statements).toEqual([
      { Sid: "DeletePreviewImages", Effect: "Allow", Action: ["ecr:BatchDeleteImage", "ecr:ListImages", "ecr:DescribeImages"], Resource: registry },
      { Sid: "DescribeCluster", Effect: "Allow", Action: "eks:DescribeCluster", Resource: expect.stringMatching(/cross-stack-output-aws_eks_clusterCluster_[0-9A-F]+arn\}$/) },
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      { Sid: "PushImages", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"], Resource: registry },
    ]);
    expect(one(dev, "aws_ecr_repository", "PreviewAccess/Registry/Resource")).toMatchObject({ name: "hello-previews", image_tag_mutability: "IMMUTABLE", image_scanning_configuration: { scan_on_push: true } });
    const entry = one(dev, "aws_eks_access_entry", "PreviewAccess/Role/Eks0/AccessEntry");
    expect(entry.kubernetes_groups).toEqual(["slipway:hello-previews"]);
    expect(byPath(dev, "aws_eks_access_policy_association", "PreviewAccess")).toEqual({});
    // No preview secrets, so no key or secret to pay for.
    expect(byPath(dev, "aws_kms_key", "PreviewAccess/Secrets")).toEqual({});
    expect(byPath(dev, "aws_secretsmanager_secret", "PreviewAccess")).toEqual({});
  });

  test("with preview secrets: read exactly <platform>/<app>/preview/<NAME>, through Secrets Manager only", () => {
    const withSecrets = synthAll(examplePlatform((d) => (d.apps[0].previews = { secrets: ["STRIPE_TEST_KEY"] })))["hello-dev"];
    expect(one(withSecrets, "aws_secretsmanager_secret", "PreviewAccess/Secrets/Secret-STRIPE_TEST_KEY").name).toBe("acme/hello/preview/STRIPE_TEST_KEY");
    const read = JSON.parse(one(withSecrets, "aws_iam_role_policy", "PreviewAccess/Role/Policy-read-app-secrets").policy).Statement;
    expect(read).toEqual([
      { Sid: "ReadAppSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: [expect.stringMatching(/^\$\{aws_secretsmanager_secret\.PreviewAccess_Secrets_Secret-STRIPE_TEST_KEY_[0-9A-F]+\.arn\}$/)] },
      { Sid: "ReadAppSecretsDecrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: [expect.stringMatching(/^\$\{aws_kms_key\.PreviewAccess_Secrets_Key_/)], Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } } },
    ]);
    expect(JSON.parse(variable(withSecrets, "PREVIEW_SECRETS")!)).toEqual({ STRIPE_TEST_KEY: "acme/hello/preview/STRIPE_TEST_KEY" });
  });

  test("the database Job's Pod Identity connects as hello_previews only, and the database admits the previews' security group", () => {
    const policy = JSON.parse(one(dev, "aws_iam_role_policy", "PreviewDatabaseIdentity/Policy-connect-as-hello_previews").policy);
    expect(policy.Statement).toEqual([{ Sid: "ConnectWithIamAuthentication", Effect: "Allow", Action: "rds-db:connect", Resource: "arn:aws:rds-db:eu-west-1:111111111111:dbuser:${aws_db_instance.Database_B269D8BB.resource_id}/hello_previews" }]);
    const association = one(dev, "aws_eks_pod_identity_association", "PreviewDatabaseIdentity/Association");
    expect(association.namespace).toBe("${kubernetes_namespace_v1.Previews_Namespace_8B6CC617.metadata[0].name}");
    expect(association.service_account).toBe("${kubernetes_service_account_v1.Previews_DatabaseServiceAccount_BDAEACDA.metadata[0].name}");
    const ingress = one(dev, "aws_vpc_security_group_ingress_rule", "Database/AllowFromPreviews");
    expect([ingress.from_port, ingress.referenced_security_group_id]).toEqual([5432, "${aws_security_group.Previews_PodSecurityGroup_90A45D59.id}"]);
    // The setup SQL of this environment makes hello_previews and the functions.
    const sql = one(dev, "kubernetes_config_map_v1", "DatabaseSetup/Sql").data["setup.sql"];
    expect(sql).toContain('CREATE ROLE "hello_previews"');
    expect(sql).toContain("CREATE OR REPLACE FUNCTION slipway_previews.slipway_preview_create(n integer, password text)");
    expect(one(stacks["hello-staging"], "kubernetes_config_map_v1", "DatabaseSetup/Sql").data["setup.sql"]).not.toContain("previews");
  });
});

describe("the GitHub preview environment and its variables", () => {
  test("preview: no reviewers, any branch, admins cannot bypass", () => {
    expect(one(dev, "github_repository_environment", "PreviewAccess/Environment")).toEqual({
      repository: expect.stringMatching(/cross-stack-output-github_repositoryRepository_[0-9A-F]+name\}$/),
      environment: "preview",
      can_admins_bypass: false,
    });
    expect(byPath(dev, "github_repository_environment_deployment_policy", "PreviewAccess")).toEqual({});
  });

  test("each variable, never a secret", () => {
    expect(variable(dev, "PREVIEW_ROLE_ARN")).toBe("${aws_iam_role.PreviewAccess_Role_0DF60CC3.arn}");
    expect(variable(dev, "PREVIEW_REGION")).toBe("eu-west-1");
    expect(variable(dev, "PREVIEW_CLUSTER")).toMatch(/cross-stack-output-aws_eks_clusterCluster_[0-9A-F]+name\}$/);
    expect(variable(dev, "PREVIEW_REGISTRY")).toBe("${aws_ecr_repository.PreviewAccess_Registry_1B4B4E6B.repository_url}");
    expect(variable(dev, "PREVIEW_DOMAIN")).toBe(DOMAIN);
    expect(variable(dev, "PREVIEW_MAX")).toBe("3");
    expect(variable(dev, "PREVIEW_TTL_HOURS")).toBe("72");
    expect(variable(dev, "PREVIEW_DATABASE")).toBe("postgres");
    expect(variable(dev, "PREVIEW_SECRETS")).toBe("{}");
    expect(variable(dev, "PREVIEW_MIGRATE")).toBe("python -m migrate");
    expect(variable(dev, "PREVIEW_INTEGRATION_TEST")).toBe("python -m pytest -q tests/integration");
    expect(variable(dev, "PREVIEW_SEED")).toBeUndefined();
    for (const name of ["PREVIEW_MANIFEST", "PREVIEW_DB_JOB", "PREVIEW_TASK_JOB"]) expect(variable(dev, name)!.length).toBeGreaterThan(500);
    expect(byPath(dev, "github_actions_environment_secret")).toEqual({});
  });

  test("a seed command is PREVIEW_SEED, as given; ttl and cap follow the platform file", () => {
    const seeded = synthAll(examplePlatform((d) => (d.apps[0].previews = { seed: "python -m seed --small", ttlHours: 12, maxConcurrent: 5 })))["hello-dev"];
    expect(variable(seeded, "PREVIEW_SEED")).toBe("python -m seed --small");
    expect(variable(seeded, "PREVIEW_TTL_HOURS")).toBe("12");
    expect(variable(seeded, "PREVIEW_MAX")).toBe("5");
  });
});

describe("the templates", () => {
  const docs = (text: string): Json[] => parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
  const manifest = docs(variable(dev, "PREVIEW_MANIFEST")!);
  const kinds = manifest.map((d) => `${d.kind}/${d.metadata.name ?? d.metadata.generateName}`);

  test("PREVIEW_MANIFEST holds the preview namespace's objects, in apply order", () => {
    expect(kinds).toEqual([
      "Namespace/hello-pr-__PR__",
      "RoleBinding/preview-deployer",
      "RoleBinding/preview-database-writer",
      "ResourceQuota/preview",
      "LimitRange/preview",
      "NetworkPolicy/default-deny",
      "NetworkPolicy/app-ingress",
      "NetworkPolicy/egress",
      "SecurityGroupPolicy/preview-pods",
      "ServiceAccount/app",
      "Deployment/app",
      "Service/app",
    ]);
    expect(manifest.slice(1).every((d) => d.metadata.namespace === "hello-pr-__PR__")).toBe(true);
  });

  test("the namespace: restricted Pod Security and the preview label (what the admission policy requires)", () => {
    expect(manifest[0].metadata.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
      "slipway.dev/preview": "hello",
      "slipway.dev/pull-request": "__PR__",
      "app.kubernetes.io/managed-by": "slipway-previews",
    });
  });

  test("the bindings are exactly those the objects policy admits", () => {
    expect(manifest[1].roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "slipway:hello-preview-deployer" });
    expect(manifest[1].subjects).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "slipway:hello-previews" }]);
    expect(manifest[2].roleRef.name).toBe("slipway:hello-preview-database-writer");
    expect(manifest[2].subjects).toEqual([{ kind: "ServiceAccount", name: "hello-preview-db", namespace: "hello-previews" }]);
  });

  test("quota and limits from the app's size (250m, 256Mi; limit 500m), three pods at most", () => {
    expect(manifest[3].spec.hard).toEqual({
      pods: "3",
      "requests.cpu": "750m",
      "limits.cpu": "1500m",
      "requests.memory": "768Mi",
      "limits.memory": "768Mi",
      "requests.storage": "0",
      persistentvolumeclaims: "0",
      services: "1",
      "services.nodeports": "0",
      "services.loadbalancers": "0",
    });
    expect(manifest[4].spec.limits).toEqual([{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "250m", memory: "256Mi" }, max: { cpu: "500m", memory: "256Mi" } }]);
  });

  test("network policies: deny by default; the app admits the router and its own tasks; egress to DNS, the app, the database", () => {
    expect(manifest[5].spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(manifest[6].spec.ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "hello-previews" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "preview-router" } } },
          { podSelector: { matchLabels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "task" } } },
        ],
        ports: [{ port: 8080, protocol: "TCP" }],
      },
    ]);
    const egress = manifest[7].spec.egress;
    expect(egress[0].ports).toEqual([{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }]);
    expect(egress[2].ports).toEqual([{ port: 5432, protocol: "TCP" }]);
    expect(egress).toHaveLength(3);
    expect(manifest[8].spec.securityGroups).toEqual({ groupIds: ["${aws_security_group.Previews_PodSecurityGroup_90A45D59.id}"] });
  });

  test("the Deployment: the workload's hardening, drain timing and size; the image placeholder; database and settings from data", () => {
    const deployment = manifest[10];
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.terminationGracePeriodSeconds).toBe(75);
    const [app] = pod.containers;
    expect(app.image).toBe("__IMAGE__");
    expect(app.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(app.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(app.lifecycle).toEqual({ preStop: { exec: { command: ["/bin/sh", "-c", "sleep 45"] } } });
    expect(app.readinessProbe).toEqual({ httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 3, successThreshold: 1 });
    expect(app.env.slice(0, 3)).toEqual([
      { name: "LOG_LEVEL", value: "info" },
      { name: "APP_URL", value: "https://pr-__PR__.hello.dev.acme.example" },
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "database", key: "DATABASE_URL" } } },
    ]);
    expect(app.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }, { name: "rds-ca", mountPath: "/etc/ssl/rds", readOnly: true }]);
    expect(pod.volumes[1]).toEqual({ name: "rds-ca", secret: { secretName: "database", items: [{ key: "rds-ca.pem", path: "rds-ca.pem" }], defaultMode: 292 } });
  });

  test("placeholders are the only dynamic parts; the task command is bare, for a JSON array", () => {
    const placeholders = (name: string) => [...new Set(variable(dev, name)!.match(/__[A-Z]+__/g))].sort();
    expect(placeholders("PREVIEW_MANIFEST")).toEqual(["__IMAGE__", "__PR__"]);
    expect(placeholders("PREVIEW_DB_JOB")).toEqual(["__ACTION__", "__PR__"]);
    expect(placeholders("PREVIEW_TASK_JOB")).toEqual(["__COMMAND__", "__IMAGE__", "__PR__"]);
    expect(variable(dev, "PREVIEW_TASK_JOB")).toMatch(/^ {10}command: __COMMAND__$/m);
    // Terraform interpolates only the security group id; no `%{` directive anywhere.
    for (const name of ["PREVIEW_MANIFEST", "PREVIEW_DB_JOB", "PREVIEW_TASK_JOB"]) {
      const text = variable(dev, name)!;
      const expected: Record<string, string[]> = {
        PREVIEW_MANIFEST: ["${aws_security_group.Previews_PodSecurityGroup_90A45D59.id}"],
        // The database's address (once per container) and the CA bundle's ConfigMap.
        PREVIEW_DB_JOB: ["${aws_db_instance.Database_B269D8BB.address}", "${kubernetes_config_map_v1.Previews_DatabaseCa_08CFD8ED.metadata[0].name}"],
        PREVIEW_TASK_JOB: [],
      };
      expect([...new Set(text.match(/\$\{[^}]*\}/g) ?? [])].sort()).toEqual(expected[name]);
      expect(text).not.toContain("%{");
    }
    // Replaced as the workflow does, each template is valid YAML with the values in place.
    const filled = variable(dev, "PREVIEW_TASK_JOB")!.replace(/__PR__/g, "7").replace(/__IMAGE__/g, "123.dkr.ecr.eu-west-1.amazonaws.com/hello-previews:pr-7-abc").replace("__COMMAND__", JSON.stringify(["/bin/sh", "-c", "python -m migrate"]));
    const [job] = docs(filled);
    expect(job.metadata).toMatchObject({ generateName: "task-", namespace: "hello-pr-7" });
    expect(job.metadata.labels["slipway.dev/pull-request"]).toBe("7");
    expect(job.spec.template.spec.containers[0].command).toEqual(["/bin/sh", "-c", "python -m migrate"]);
    expect(job.spec.template.spec.containers[0].env[1]).toEqual({ name: "APP_URL", value: "http://app.hello-pr-7.svc.cluster.local" });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(900);
  });

  test("PREVIEW_DB_JOB: in hello-previews as hello-preview-db; token, SQL, Secret; work files in memory only", () => {
    const [job] = docs(variable(dev, "PREVIEW_DB_JOB")!);
    expect(job.metadata).toMatchObject({ name: "database-__ACTION__-__PR__", namespace: "hello-previews" });
    const pod = job.spec.template.spec;
    expect(pod.serviceAccountName).toBe("hello-preview-db");
    expect(pod.initContainers.map((c: Json) => [c.name, c.image])).toEqual([["token", PREVIEW_AWS_CLI_IMAGE], ["database", DATABASE_SETUP_IMAGE]]);
    expect(pod.containers.map((c: Json) => [c.name, c.image])).toEqual([["secret", PREVIEW_AWS_CLI_IMAGE]]);
    expect(pod.volumes[0]).toEqual({ name: "work", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    const env = Object.fromEntries(pod.initContainers[1].env.map((e: Json) => [e.name, e.value]));
    expect(env).toMatchObject({ PR: "__PR__", ACTION: "__ACTION__", PREVIEW_NAMESPACE: "hello-pr-__PR__", DATABASE_PREFIX: "hello", MANAGER_ROLE: "hello_previews", APP_DATABASE: "hello", PGSSLMODE: "verify-full", PGPORT: "5432" });
    for (const c of [...pod.initContainers, ...pod.containers]) expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});

describe("an app with database: none gets previews without the database parts", () => {
  const none = synthAll(examplePlatform((d) => {
    d.apps[0].database = "none";
    delete d.apps[0].migrate;
  }))["hello-dev"];

  test("no database Job, identity, security group or writer role; PREVIEW_DATABASE none", () => {
    expect(variable(none, "PREVIEW_DATABASE")).toBe("none");
    expect(variable(none, "PREVIEW_DB_JOB")).toBeUndefined();
    expect(variable(none, "PREVIEW_MIGRATE")).toBeUndefined();
    expect(variable(none, "PREVIEW_INTEGRATION_TEST")).toBe("python -m pytest -q tests/integration");
    expect(byPath(none, "aws_iam_role", "PreviewDatabaseIdentity")).toEqual({});
    expect(byPath(none, "aws_security_group", "Previews")).toEqual({});
    expect(byPath(none, "kubernetes_cluster_role_v1", "Previews/DatabaseWriterRole")).toEqual({});
    expect(byPath(none, "kubernetes_service_account_v1", "Previews")).toEqual({});
    expect(one(none, "kubernetes_cluster_role_v1", "Previews/ManagerRole").rule[3].resource_names).toEqual(["slipway:hello-preview-deployer"]);
  });

  test("its manifest: no database binding, security group policy, database egress or variables", () => {
    const text = variable(none, "PREVIEW_MANIFEST")!;
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(["Namespace", "RoleBinding", "ResourceQuota", "LimitRange", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "ServiceAccount", "Deployment", "Service"]);
    expect(text).not.toContain("DATABASE_");
    expect(text).not.toContain("rds-ca");
    expect(docs[6].spec.egress).toHaveLength(2);
    // Still routed and guarded.
    expect(one(none, "aws_lb_listener_rule", "LoadBalancer/PreviewRule").condition).toEqual([{ host_header: { values: [`pr-*.${DOMAIN}`] } }]);
    expect(manifests(none, "Previews/NamespaceGuardPolicy")).toHaveLength(1);
  });
});

describe("policy rules SLW-PRV-*", () => {
  const run = (name: string, json: Json, production = false) =>
    evaluate([{ name, production, json }], { rules: PREVIEW_RULES }).findings.map((f) => `${f.rule.id} ${f.path}: ${f.message}`).sort();
  const copy = (): Json => JSON.parse(JSON.stringify(dev));

  test("pass on the example", () => {
    expect(run("hello-dev", dev)).toEqual([]);
  });

  test("SLW-PRV-001 fails when the preview role reaches beyond its registry, or is trusted from a branch", () => {
    const wider = copy();
    const [key] = Object.keys(wider.resource.aws_iam_role_policy).filter((k) => k.startsWith("PreviewAccess_Role_Policy-delete"));
    const policy = JSON.parse(wider.resource.aws_iam_role_policy[key].policy);
    policy.Statement.push({ Sid: "Sneaky", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::any/*" });
    policy.Statement.push({ Sid: "Released", Effect: "Allow", Action: "ecr:PutImage", Resource: "arn:aws:ecr:eu-west-1:111111111111:repository/hello" });
    wider.resource.aws_iam_role_policy[key].policy = JSON.stringify(policy);
    const roleKey = Object.keys(wider.resource.aws_iam_role).find((k) => k.startsWith("PreviewAccess_Role"))!;
    const trust = JSON.parse(wider.resource.aws_iam_role[roleKey].assume_role_policy);
    trust.Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"].push("repo:acme-corp/hello:ref:refs/heads/main");
    wider.resource.aws_iam_role[roleKey].assume_role_policy = JSON.stringify(trust);
    expect(run("hello-dev", wider)).toEqual([
      "SLW-PRV-001 hello-dev/PreviewAccess/Role/Policy-delete-preview-images: statement Released: ecr:PutImage on arn:aws:ecr:eu-west-1:111111111111:repository/hello: only the previews' registry <app>-previews",
      "SLW-PRV-001 hello-dev/PreviewAccess/Role/Policy-delete-preview-images: statement Sneaky: s3:GetObject: the preview identity pushes, pulls and deletes preview images, describes its cluster and reads preview secrets, nothing else",
      "SLW-PRV-001 hello-dev/PreviewAccess/Role/Resource: the preview role is also trusted from repo:acme-corp/hello:ref:refs/heads/main: previews' identity is for the preview environment only",
    ]);
  });

  test("SLW-PRV-002 fails when the namespace admission policy is missing or only warns", () => {
    const missing = copy();
    for (const k of Object.keys(missing.resource.kubernetes_manifest)) if (k.startsWith("Previews_NamespaceGuardPolicy")) delete missing.resource.kubernetes_manifest[k];
    expect(run("hello-dev", missing)).toEqual([
      "SLW-PRV-002 hello-dev/Previews/ManagerBinding: no ValidatingAdmissionPolicy slipway-hello-preview-namespaces: group slipway:hello-previews could manage any namespace or binding",
    ]);
    const warnOnly = copy();
    const bindingKey = Object.keys(warnOnly.resource.kubernetes_manifest).find((k) => k.startsWith("Previews_ObjectGuardBinding"))!;
    warnOnly.resource.kubernetes_manifest[bindingKey].manifest.spec.validationActions = ["Warn"];
    expect(run("hello-dev", warnOnly)).toEqual([
      "SLW-PRV-002 hello-dev/Previews/ManagerBinding: slipway-hello-preview-objects is not enforced (failurePolicy Fail and a binding with validationActions Deny)",
    ]);
  });

  test("SLW-PRV-003 fails when a production stack hosts previews", () => {
    expect(run("hello-prod", dev, true)).toEqual([
      "SLW-PRV-003 hello-dev/PreviewAccess/Environment: the preview environment is made in a production stack: unreviewed code would run beside production",
      "SLW-PRV-003 hello-dev/PreviewAccess/Role/Resource: a role trusted from the preview environment is made in a production stack",
    ]);
  });
});
