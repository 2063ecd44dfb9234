/**
 * The library in a fresh cdktf app, as a new user writes it: only the props that have no sensible
 * default. Account and region come from the stack's AWS provider, else from data sources created
 * once per stack; constructs take each other by type; default ids do not depend on call order.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AwsProvider, AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, TerraformVariable, Testing, Token } from "cdktf";
import { AlarmTopic } from "../../constructs/alarm-topic";
import { AppSecrets } from "../../constructs/app-secrets";
import { CiRunners } from "../../constructs/ci-runners";
import { ClusterAutoscaler } from "../../constructs/cluster-autoscaler";
import { ClusterAutoscalerRole } from "../../constructs/cluster-autoscaler-role";
import { ContainerInsights } from "../../constructs/container-insights";
import { ContainerRegistry } from "../../constructs/container-registry";
import { DatabaseBackup } from "../../constructs/database-backup";
import { GithubActionsRole } from "../../constructs/github-actions-role";
import { LoadBalancer } from "../../constructs/load-balancer";
import { PodIdentityRole } from "../../constructs/pod-identity-role";
import { KubernetesCluster } from "../../constructs/kubernetes-cluster";
import { KubernetesWorkload } from "../../constructs/kubernetes-workload";
import { Network } from "../../constructs/network";
import { PostgresDatabase } from "../../constructs/postgres-database";
import { WorkloadSecurityGroup } from "../../constructs/workload-security-group";
import { checkSynthesizedStacks, terraformForTests } from "../support/terraform";

type Json = Record<string, any>;

function freshStack(provider: Partial<AwsProviderConfig> = { region: "eu-west-1" }): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "orders");
  new AwsProvider(stack, "aws", provider);
  return stack;
}

/** The stack's configuration as synthesized, with each block's construct path (`//`) kept. */
const synth = (stack: TerraformStack): Json => {
  Testing.synth(stack); // runs the stack's validations and aspects first
  return JSON.parse(JSON.stringify(stack.toTerraform()));
};

/** The resource of `type` whose construct path (under the stack) is `constructPath`. */
function at(tf: Json, type: string, constructPath: string): Json {
  const found = Object.values(tf.resource?.[type] ?? {}).find((r: any) => r["//"]?.metadata?.path === `orders/${constructPath}`);
  if (!found) throw new Error(`no ${type} at ${constructPath}`);
  return found as Json;
}

const IDENTITY = "${data.aws_caller_identity.SlipwayCallerIdentity.account_id}";
const REGION = "${data.aws_region.SlipwayRegion.name}";
const PARTITION = "${data.aws_partition.SlipwayPartition.partition}";
const DNS_SUFFIX = "${data.aws_partition.SlipwayPartition.dns_suffix}";

/**
 * Every AWS construct whose props other than account and region have sensible defaults or are
 * other constructs, built with only those props, the cluster and database passed as themselves.
 */
function everyConstruct(stack: TerraformStack) {
  const network = new Network(stack, "Network", { name: "orders", cidrBlock: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b"] });
  const cluster = new KubernetesCluster(stack, "Cluster", { name: "orders", network });
  const database = new PostgresDatabase(stack, "Database", { name: "orders", network });
  const registry = new ContainerRegistry(stack, "Registry", { name: "orders" });
  const secrets = new AppSecrets(stack, "Secrets", { name: "orders", namePrefix: "acme/orders/dev", secretNames: ["API_KEY"] });
  new AlarmTopic(stack, "Alarms", { name: "orders" });
  new LoadBalancer(stack, "LoadBalancer", { name: "orders", network, domain: "orders.example.com", healthPath: "/healthz", targetPort: 30080 });
  new DatabaseBackup(stack, "Backup", { name: "orders", database });
  new ContainerInsights(stack, "ContainerInsights", { name: "orders", cluster, logKeyArn: network.logKey.arn });
  new ClusterAutoscalerRole(stack, "ClusterAutoscalerRole", { name: "orders", cluster });
  new PodIdentityRole(stack, "ServerRole", { roleName: "orders-server", description: "The orders pods", cluster, namespace: "orders", serviceAccountName: "orders" });
  new CiRunners(stack, "CiRunners", { name: "orders", network, cluster, githubOwner: "acme" });
  database.allowConnectionsFrom(cluster);
  return { network, cluster, database, registry, secrets };
}

describe("ContainerRegistry with only a name", () => {
  test("synthesizes; the region is the provider's and the account the caller identity's, read once", () => {
    const stack = freshStack();
    new ContainerRegistry(stack, "Registry", { name: "orders" });
    new ContainerRegistry(stack, "Other", { name: "orders-worker" });
    const tf = synth(stack);
    const keyPolicy = JSON.parse(at(tf, "aws_kms_key", "Registry/Key").policy);
    expect(keyPolicy.Statement[0].Principal).toEqual({ AWS: `arn:aws:iam::${IDENTITY}:root` });
    expect(at(tf, "aws_ecr_repository", "Registry/Resource").name).toBe("orders");
    // One caller identity for the whole stack; no region or partition lookups (the provider names the region).
    expect(Object.keys(tf.data.aws_caller_identity)).toEqual(["SlipwayCallerIdentity"]);
    expect(tf.data.aws_region).toBeUndefined();
    expect(tf.data.aws_partition).toBeUndefined();
  });

  test("the provider's single allowed account is used as a literal, with no data source", () => {
    const stack = freshStack({ region: "cn-north-1", allowedAccountIds: ["123456789012"] });
    new ContainerRegistry(stack, "Registry", { name: "orders" });
    const tf = synth(stack);
    const keyPolicy = JSON.parse(at(tf, "aws_kms_key", "Registry/Key").policy);
    expect(keyPolicy.Statement[0].Principal).toEqual({ AWS: "arn:aws-cn:iam::123456789012:root" });
    expect(tf.data).toBeUndefined();
  });

  test("a provider without region or single account: account, region and partition are data-source tokens", () => {
    const stack = freshStack({ allowedAccountIds: ["123456789012", "210987654321"] });
    const secrets = new AppSecrets(stack, "Secrets", { name: "orders", namePrefix: "acme/orders/dev", secretNames: ["API_KEY"] });
    const tf = synth(stack);
    expect(Token.isUnresolved(secrets.region)).toBe(true);
    expect(tf.data.aws_region.SlipwayRegion["//"].metadata.path).toBe("orders/SlipwayRegion");
    const keyPolicy = JSON.parse(at(tf, "aws_kms_key", "Secrets/Key").policy);
    expect(keyPolicy.Statement[0].Principal).toEqual({ AWS: `arn:${PARTITION}:iam::${IDENTITY}:root` });
    expect(Object.keys(tf.data.aws_caller_identity)).toEqual(["SlipwayCallerIdentity"]);
    expect(Object.keys(tf.data.aws_region)).toEqual(["SlipwayRegion"]);
    expect(Object.keys(tf.data.aws_partition)).toEqual(["SlipwayPartition"]);
  });

  test("explicit account and region still win over the provider's", () => {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    new ContainerRegistry(stack, "Registry", { name: "orders", accountId: "210987654321", region: "us-gov-west-1" });
    const keyPolicy = JSON.parse(at(synth(stack), "aws_kms_key", "Registry/Key").policy);
    expect(keyPolicy.Statement[0].Principal).toEqual({ AWS: "arn:aws-us-gov:iam::210987654321:root" });
  });

  const terraform = terraformForTests("validate of the minimal registry stack");
  terraform.test("passes real terraform validate", async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-minimal-"));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "orders");
      new AwsProvider(stack, "aws", { region: "eu-west-1" });
      new ContainerRegistry(stack, "Registry", { name: "orders" });
      app.synth();
      const [result] = await checkSynthesizedStacks(outdir, terraform.tools!, 1, { plan: false });
      expect(result.stack).toBe("orders");
      expect(result.validate.output).not.toMatch(/Error:/);
      expect(result.validate.ok).toBe(true);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("every construct whose other props allow it synthesizes with minimal props", () => {
  test("from a provider with a region and one allowed account: literals, no data source", () => {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    everyConstruct(stack);
    const tf = synth(stack);
    // (The cluster reads the identity running Terraform for its admin entry, as it always has.)
    expect(Object.keys(tf.data).sort()).toEqual(["aws_caller_identity", "aws_iam_session_context"]);
    expect(Object.keys(tf.data.aws_caller_identity)).toEqual([expect.stringMatching(/^Cluster_TerraformCaller_/)]);
    const trust = JSON.parse(at(tf, "aws_iam_role", "ServerRole/Resource").assume_role_policy);
    expect(trust.Statement[0].Condition.StringEquals["aws:SourceAccount"]).toBe("123456789012");
    expect(at(tf, "aws_s3_bucket", "LoadBalancer/AccessLogsBucket").bucket).toBe("orders-logs-123456789012-eu-west-1");
    const backupKey = JSON.parse(at(tf, "aws_kms_key", "Backup/VaultKey").policy);
    expect(backupKey.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
  });

  test("from a provider with neither: account, region and partition fall back to one data source each", () => {
    const stack = freshStack({});
    const { secrets } = everyConstruct(stack);
    const tf = synth(stack);
    expect(Object.keys(tf.data)).toEqual(expect.arrayContaining(["aws_caller_identity", "aws_region", "aws_partition"]));
    expect(Object.keys(tf.data.aws_region)).toEqual(["SlipwayRegion"]);
    expect(Object.keys(tf.data.aws_partition)).toEqual(["SlipwayPartition"]);
    expect(Object.keys(tf.data.aws_caller_identity).filter((k) => k.startsWith("Slipway"))).toEqual(["SlipwayCallerIdentity"]);
    const flowLogKey = JSON.parse(at(tf, "aws_kms_key", "Network/LogKey").policy);
    expect(flowLogKey.Statement[0].Principal).toEqual({ AWS: `arn:${PARTITION}:iam::${IDENTITY}:root` });
    expect(flowLogKey.Statement[1].Principal).toEqual({ Service: `logs.${REGION}.${DNS_SUFFIX}` });
    const trust = JSON.parse(at(tf, "aws_iam_role", "ServerRole/Resource").assume_role_policy);
    expect(trust.Statement[0].Condition.StringEquals["aws:SourceAccount"]).toBe(IDENTITY);
    expect(at(tf, "aws_s3_bucket", "LoadBalancer/AccessLogsBucket").bucket).toBe(`orders-logs-${IDENTITY}-${REGION}`);
    // Read only through Secrets Manager of the stack's region, whatever partition it is in.
    const reader = new GithubActionsRole(stack, "Reader", { name: "orders-reader", oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }, repository: "acme/orders", allow: { branches: ["main"] } });
    secrets.grantRead(reader);
    const policies = Object.values(synth(stack).resource.aws_iam_role_policy) as Json[];
    const read = JSON.parse(policies.find((p) => p.name === "read-app-secrets")!.policy);
    expect(read.Statement[1].Condition).toEqual({ StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.${DNS_SUFFIX}` } });
  });

  test("Network, KubernetesCluster, PostgresDatabase, AlarmTopic and AppSecrets take account and region from the provider", () => {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    const network = new Network(stack, "Network", { name: "orders", cidrBlock: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b"] });
    const cluster = new KubernetesCluster(stack, "Cluster", { name: "orders", network });
    const database = new PostgresDatabase(stack, "Database", { name: "orders", network });
    new AlarmTopic(stack, "Alarms", { name: "orders" });
    const secrets = new AppSecrets(stack, "Secrets", { name: "orders", namePrefix: "acme/orders/dev", secretNames: ["API_KEY"] });
    // The cluster is a database peer as it is: no wrapper.
    database.allowConnectionsFrom(cluster);
    const tf = synth(stack);
    expect(secrets.region).toBe("eu-west-1");
    const flowLogKey = JSON.parse(at(tf, "aws_kms_key", "Network/LogKey").policy);
    expect(flowLogKey.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
    expect(flowLogKey.Statement[1].Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
    const topicPolicy = JSON.stringify(at(tf, "aws_sns_topic_policy", "Alarms/Policy"));
    expect(topicPolicy).toContain("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*");
    const rule: any = Object.entries(tf.resource.aws_vpc_security_group_ingress_rule).find(([, r]: any) => r["//"].metadata.path.startsWith("orders/Database/AllowFrom-"));
    expect(rule![1].referenced_security_group_id).toMatch(/^\$\{aws_eks_cluster\.Cluster_[0-9A-F]{8}\.vpc_config\[0\]\.cluster_security_group_id\}$/);
    expect(tf.data?.aws_caller_identity && Object.keys(tf.data.aws_caller_identity)).not.toContain("SlipwayCallerIdentity");
  });

  test("ClusterAutoscaler (Kubernetes-side) reads the region of the stack's AWS provider", () => {
    const stack = freshStack({ region: "eu-central-1" });
    new ClusterAutoscaler(stack, "ClusterAutoscaler", { clusterName: "orders", kubernetesVersion: "1.33" });
    const deployment = at(synth(stack), "kubernetes_deployment_v1", "ClusterAutoscaler/Resource");
    expect(deployment.spec.template.spec.container[0].env).toEqual([{ name: "AWS_REGION", value: "eu-central-1" }]);
  });

  test("KubernetesWorkload without a node port: a ClusterIP Service, and only the namespace's pods admitted", () => {
    const stack = new TerraformStack(Testing.app(), "orders");
    const workload = new KubernetesWorkload(stack, "Workload", { name: "orders", image: "registry.example/orders@sha256:" + "a".repeat(64), port: 8080, healthPath: "/healthz", replicas: { min: 2, max: 4 } });
    const tf = synth(stack);
    expect(workload.nodePort).toBeUndefined();
    const service = at(tf, "kubernetes_service_v1", "Workload/Service");
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.port).toEqual([{ name: "http", port: 80, target_port: "http", protocol: "TCP" }]);
    expect(service.spec.external_traffic_policy).toBeUndefined();
    const ingress = at(tf, "kubernetes_network_policy_v1", "Workload/IngressPolicy");
    expect(ingress.spec.ingress).toEqual([{ from: [{ pod_selector: {} }], ports: [{ port: "8080", protocol: "TCP" }] }]);
  });

  test("fails when KubernetesWorkload gets a node port without the CIDRs it is reached from", () => {
    const stack = new TerraformStack(Testing.app(), "orders");
    expect(
      () => new KubernetesWorkload(stack, "Workload", { name: "orders", image: "registry.example/orders:1", port: 8080, healthPath: "/healthz", replicas: { min: 2, max: 4 }, nodePort: 30080 }),
    ).toThrow(/orders\/Workload: ingressFromCidrs \(missing\) is invalid: the load balancer's subnets' IPv4 CIDRs/);
  });
});

describe("constructs take each other as they are", () => {
  test("the cluster, the workload and the database need no wrapper", () => {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    const { cluster, secrets } = everyConstruct(stack);
    const workload = new KubernetesWorkload(stack, "Workload", { name: "orders", image: "registry.example/orders:1", port: 8080, healthPath: "/healthz", replicas: { min: 2, max: 4 } });
    secrets.allowReadFrom(workload, cluster);
    const tf = synth(stack);
    const clusterKey = Object.keys(tf.resource.aws_eks_cluster)[0];
    const association = at(tf, "aws_eks_pod_identity_association", "Secrets/PodIdentity");
    expect(association.cluster_name).toBe(`\${aws_eks_cluster.${clusterKey}.name}`);
    expect(association.namespace).toMatch(/^\$\{kubernetes_namespace_v1\.Workload_Namespace_[0-9A-F]{8}\.metadata\[0\]\.name\}$/);
    expect(association.service_account).toBe("orders");
    const trust = JSON.parse(at(tf, "aws_iam_role", "ServerRole/Resource").assume_role_policy);
    expect(trust.Statement[0].Condition.ArnEquals).toEqual({ "aws:SourceArn": `\${aws_eks_cluster.${clusterKey}.arn}` });
    const databaseKey = Object.keys(tf.resource.aws_db_instance)[0];
    expect(at(tf, "aws_backup_selection", "Backup/Selection").resources).toEqual([`\${aws_db_instance.${databaseKey}.arn}`]);
    const insights = at(tf, "aws_eks_addon", "ContainerInsights/Resource");
    expect(insights.cluster_name).toBe(`\${aws_eks_cluster.${clusterKey}.name}`);
    expect(insights.depends_on.slice(0, 2)).toEqual([
      `aws_eks_node_group.${Object.keys(tf.resource.aws_eks_node_group)[0]}`,
      expect.stringMatching(/^aws_eks_addon\.Cluster_.*[Pp]od.*[Ii]dentity.*_[0-9A-F]{8}$/),
    ]);
  });
});

describe("the pods' security group takes the network, workload and cluster as they are", () => {
  test("WorkloadSecurityGroup({ network, workload, cluster }) reads the same values as the old props", () => {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    const { network, cluster, database } = everyConstruct(stack);
    const workload = new KubernetesWorkload(stack, "Workload", { name: "orders", image: "registry.example/orders:1", port: 8080, healthPath: "/healthz", replicas: { min: 2, max: 4 } });
    const pods = new WorkloadSecurityGroup(stack, "PodSecurityGroup", { name: "orders", network, workload, cluster });
    database.allowConnectionsFrom(pods, "PostgreSQL from the orders pods", "AllowFromPods");
    const tf = synth(stack);
    const vpcKey = Object.keys(tf.resource.aws_vpc)[0];
    const clusterKey = Object.keys(tf.resource.aws_eks_cluster)[0];
    expect(at(tf, "aws_security_group", "PodSecurityGroup/Resource").vpc_id).toBe(`\${aws_vpc.${vpcKey}.id}`);
    expect(at(tf, "aws_vpc_security_group_ingress_rule", "PodSecurityGroup/ClusterIngressDnsUDP").security_group_id).toBe(
      `\${aws_eks_cluster.${clusterKey}.vpc_config[0].cluster_security_group_id}`,
    );
    const policy = at(tf, "kubernetes_manifest", "PodSecurityGroup/SecurityGroupPolicy").manifest;
    expect(policy.metadata.namespace).toMatch(/^\$\{kubernetes_namespace_v1\.Workload_Namespace_[0-9A-F]{8}\.metadata\[0\]\.name\}$/);
    expect(policy.spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "orders" } });
  });

  test("fails when neither the workload nor its namespace is given", () => {
    const stack = freshStack();
    expect(() => new WorkloadSecurityGroup(stack, "Pods", { name: "orders", vpcId: "vpc-0123456789abcdef0", podLabels: { app: "orders" }, clusterSecurityGroupId: "sg-0123456789abcdef0" })).toThrow(
      /orders\/Pods: namespace \(missing\) is invalid: a value, or `workload` \(a KubernetesWorkload\)/,
    );
  });
});

describe("one form of EKS grant: cluster.grantXxx(grantee)", () => {
  function clusterStack() {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    const network = new Network(stack, "Network", { name: "orders", cidrBlock: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b"] });
    const cluster = new KubernetesCluster(stack, "Cluster", { name: "orders", network });
    const role = new GithubActionsRole(stack, "DeployRole", {
      name: "orders-deploy",
      oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
      repository: "acme/orders",
      allow: { environments: ["dev"] },
    });
    return { stack, cluster, role };
  }

  test("grantNamespaceAccess(grantee, namespace): the role's ARN, scoped to the namespace, under an id named by both", () => {
    const { stack, cluster, role } = clusterStack();
    cluster.grantNamespaceAccess(role, "orders");
    const tf = synth(stack);
    const paths = Object.values(tf.resource.aws_eks_access_policy_association).map((r: any) => r["//"].metadata.path);
    const grantPath = paths.find((p) => p.startsWith("orders/Cluster/Namespace-"));
    expect(grantPath).toMatch(/^orders\/Cluster\/Namespace-aws_iam_role-DeployRole_[0-9A-F]{8}-arn-orders\/AccessPolicy$/);
    const association = Object.values(tf.resource.aws_eks_access_policy_association).find((r: any) => r["//"].metadata.path === grantPath) as Json;
    expect(association.access_scope).toEqual({ type: "namespace", namespaces: ["orders"] });
    expect(association.policy_arn).toBe("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy");
  });

  test("grantGroupAccess(grantee, group) is the role's allowEksGroup on the cluster itself", () => {
    const { stack, cluster, role } = clusterStack();
    const entry = cluster.grantGroupAccess(role, "slipway-deploy:orders");
    expect(role.allowEksGroup(cluster, "slipway-deploy:jobs")).toBe(entry);
    const tf = synth(stack);
    const found = at(tf, "aws_eks_access_entry", "DeployRole/Eks-aws_eks_cluster-Cluster_" + Object.keys(tf.resource.aws_eks_cluster)[0].split("_").pop() + "-name/AccessEntry");
    expect(found.kubernetes_groups).toEqual(["slipway-deploy:orders", "slipway-deploy:jobs"]);
  });
});

describe("default construct ids do not depend on call order", () => {
  function peersIn(order: "ab" | "ba") {
    const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
    const network = new Network(stack, "Network", { name: "orders", cidrBlock: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b"] });
    const database = new PostgresDatabase(stack, "Database", { name: "orders", network });
    const peers = { a: { securityGroupId: "sg-0aaaaaaaaaaaaaaaa" }, b: { securityGroupId: "sg-0bbbbbbbbbbbbbbbb" } };
    for (const key of order) database.allowConnectionsFrom(peers[key as "a" | "b"]);
    const tf = synth(stack);
    return Object.fromEntries(
      Object.values(tf.resource.aws_vpc_security_group_ingress_rule).map((r: any) => [r["//"].metadata.path, r.referenced_security_group_id]),
    );
  }

  test("two database peers allowed in opposite orders get the same rule ids", () => {
    const ab = peersIn("ab");
    expect(ab).toEqual({ "orders/Database/AllowFrom-sg-0aaaaaaaaaaaaaaaa": "sg-0aaaaaaaaaaaaaaaa", "orders/Database/AllowFrom-sg-0bbbbbbbbbbbbbbbb": "sg-0bbbbbbbbbbbbbbbb" });
    expect(peersIn("ba")).toEqual(ab);
  });

  test("a role's grants on two clusters known only by reference keep their ids in either order", () => {
    const grantsIn = (order: string[]) => {
      const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
      const role = new GithubActionsRole(stack, "DeployRole", { name: "orders-deploy", oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }, repository: "acme/orders", allow: { environments: ["dev"] } });
      const clusters = Object.fromEntries(
        ["blue", "green"].map((c) => [c, { name: new TerraformVariable(stack, `${c}_name`, { type: "string" }).stringValue, arn: new TerraformVariable(stack, `${c}_arn`, { type: "string" }).stringValue }]),
      );
      for (const c of order) role.allowEksGroup(clusters[c], `slipway-deploy:${c}`);
      const tf = synth(stack);
      return Object.fromEntries(Object.values(tf.resource.aws_eks_access_entry).map((e: any) => [e["//"].metadata.path, e.cluster_name]));
    };
    const blueFirst = grantsIn(["blue", "green"]);
    expect(blueFirst).toEqual({ "orders/DeployRole/Eks-var-blue_name/AccessEntry": "${var.blue_name}", "orders/DeployRole/Eks-var-green_name/AccessEntry": "${var.green_name}" });
    expect(grantsIn(["green", "blue"])).toEqual(blueFirst);
  });

  test("a cluster's admin and read-only entries for referenced roles keep their ids when the lists are reordered", () => {
    const entriesIn = (reversed: boolean) => {
      const stack = freshStack({ region: "eu-west-1", allowedAccountIds: ["123456789012"] });
      const network = new Network(stack, "Network", { name: "orders", cidrBlock: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b"] });
      const admins = ["ops", "oncall"].map((n) => new TerraformVariable(stack, `${n}_arn`, { type: "string" }).stringValue);
      new KubernetesCluster(stack, "Cluster", { name: "orders", network, adminPrincipalArns: reversed ? [...admins].reverse() : admins, terraformPrincipalArn: "arn:aws:iam::123456789012:role/terraform" });
      const tf = synth(stack);
      return Object.fromEntries(Object.values(tf.resource.aws_eks_access_entry).map((e: any) => [e["//"].metadata.path, e.principal_arn]));
    };
    const inOrder = entriesIn(false);
    expect(inOrder).toEqual({
      "orders/Cluster/Admin-var-ops_arn/AccessEntry": "${var.ops_arn}",
      "orders/Cluster/Admin-var-oncall_arn/AccessEntry": "${var.oncall_arn}",
      "orders/Cluster/TerraformAdmin/AccessEntry": "arn:aws:iam::123456789012:role/terraform",
    });
    expect(entriesIn(true)).toEqual(inOrder);
  });
});
