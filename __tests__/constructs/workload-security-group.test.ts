import { TerraformStack, Testing } from "cdktf";
import { KubernetesWorkload, KubernetesWorkloadProps } from "../../constructs/kubernetes-workload";
import { WorkloadSecurityGroup, WorkloadSecurityGroupProps } from "../../constructs/workload-security-group";
import { constructResources, expectValidationError } from "../support/synthesized";
import { WORKLOAD_PROPS } from "../support/workload";

type Json = Record<string, any>;

const BASE: WorkloadSecurityGroupProps = {
  name: "shop-prod",
  vpcId: "vpc-0123456789abcdef0",
  namespace: "shop",
  podLabels: { "app.kubernetes.io/name": "shop" },
  clusterSecurityGroupId: "sg-0c1c1c1c1c1c1c1c1",
};

function build(overrides: Partial<WorkloadSecurityGroupProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const group = new WorkloadSecurityGroup(stack, "PodSecurityGroup", { ...BASE, ...overrides });
  return { group, stack, synth: (): Json => JSON.parse(Testing.synth(stack)) };
}

const { all, one, ref } = constructResources("PodSecurityGroup");

describe("WorkloadSecurityGroup", () => {
  test("secure defaults: a group with DNS to the cluster only, and the policy that gives it to the app's pods", () => {
    const tf = build().synth();
    const group = one(tf, "aws_security_group", "Resource");
    expect(group).toMatchObject({ name_prefix: "shop-prod-pods-", vpc_id: "vpc-0123456789abcdef0", lifecycle: { create_before_destroy: true } });
    // No inline rules, so Terraform strips AWS's allow-all egress: the pods reach only what is allowed.
    expect(group.ingress).toBeUndefined();
    expect(group.egress).toBeUndefined();
    const self = ref(tf, "aws_security_group", "Resource");
    expect(all(tf, "aws_vpc_security_group_egress_rule").map((r) => [r.security_group_id, r.ip_protocol, r.from_port, r.to_port, r.referenced_security_group_id]).sort()).toEqual([
      [self, "tcp", 53, 53, "sg-0c1c1c1c1c1c1c1c1"],
      [self, "udp", 53, 53, "sg-0c1c1c1c1c1c1c1c1"],
    ]);
    // The cluster's group (CoreDNS) admits the pods on 53: nothing else is added to it.
    expect(all(tf, "aws_vpc_security_group_ingress_rule").map((r) => [r.security_group_id, r.ip_protocol, r.from_port, r.referenced_security_group_id]).sort()).toEqual([
      ["sg-0c1c1c1c1c1c1c1c1", "tcp", 53, self],
      ["sg-0c1c1c1c1c1c1c1c1", "udp", 53, self],
    ]);
    expect(one(tf, "kubernetes_manifest", "SecurityGroupPolicy").manifest).toEqual({
      apiVersion: "vpcresources.k8s.aws/v1beta1",
      kind: "SecurityGroupPolicy",
      metadata: { name: "shop-prod-pods", namespace: "shop" },
      spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "shop" } }, securityGroups: { groupIds: [self] } },
    });
  });

  test("intent methods add one rule each: egress to a peer group or a CIDR, ingress from a peer group", () => {
    const { group, synth } = build();
    group.allowEgressTo({ securityGroupId: "sg-0d0d0d0d0d0d0d0d0" }, 5432, "PostgreSQL to the database", "EgressDatabase");
    group.allowEgressToCidr("192.0.2.0/24", 443, "An API", "EgressApi");
    group.allowIngressFrom({ securityGroupId: "sg-0e0e0e0e0e0e0e0e0" }, 8080, "From the load balancer", "IngressLb");
    const tf = synth();
    const self = ref(tf, "aws_security_group", "Resource");
    expect(one(tf, "aws_vpc_security_group_egress_rule", "EgressDatabase")).toMatchObject({
      security_group_id: self,
      referenced_security_group_id: "sg-0d0d0d0d0d0d0d0d0",
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
    });
    expect(one(tf, "aws_vpc_security_group_egress_rule", "EgressApi")).toMatchObject({ security_group_id: self, cidr_ipv4: "192.0.2.0/24", from_port: 443, to_port: 443 });
    expect(one(tf, "aws_vpc_security_group_ingress_rule", "IngressLb")).toMatchObject({
      security_group_id: self,
      referenced_security_group_id: "sg-0e0e0e0e0e0e0e0e0",
      from_port: 8080,
      to_port: 8080,
    });
  });

  describe("validation", () => {
    test("fails when podLabels is empty (it would select every pod of the namespace)", () => {
      expectValidationError(() => build({ podLabels: {} }), "test/PodSecurityGroup", "podLabels", "at least one label");
    });

    test("fails when name is not a lower-case name", () => {
      expectValidationError(() => build({ name: "Shop_Prod" }), "test/PodSecurityGroup", "name", "lower-case letters, digits and '-'");
    });

    test("fails when a rule id repeats, a port is out of range, a CIDR is not one, or a description has characters AWS refuses", () => {
      const { group } = build();
      group.allowEgressTo({ securityGroupId: "sg-1" }, 5432, "db", "EgressDatabase");
      expect(() => group.allowEgressTo({ securityGroupId: "sg-2" }, 5432, "db", "EgressDatabase")).toThrow(/id "EgressDatabase" is invalid: a construct id not yet used/);
      expect(() => group.allowEgressTo({ securityGroupId: "sg-2" }, 70000, "db", "EgressOther")).toThrow(/EgressOther\.port 70000 is invalid/);
      expect(() => group.allowEgressToCidr("192.0.2.0", 443, "api", "EgressApi")).toThrow(/EgressApi\.cidr "192\.0\.2\.0" is invalid/);
      expect(() => group.allowIngressFrom({ securityGroupId: "sg-3" }, 8080, "it's quoted", "IngressQuoted")).toThrow(/IngressQuoted\.description .* is invalid/);
    });
  });
});

describe("KubernetesWorkload readOnlyFiles", () => {
  const WORKLOAD: KubernetesWorkloadProps = { ...WORKLOAD_PROPS, migrateCommand: "npm run migrate" };
  const workload = (overrides: Partial<KubernetesWorkloadProps>) => {
    const stack = new TerraformStack(Testing.app(), "test");
    new KubernetesWorkload(stack, "Workload", { ...WORKLOAD, ...overrides });
    return JSON.parse(Testing.synth(stack)) as Json;
  };
  const w = constructResources("Workload");

  test("a ConfigMap of the files, mounted read-only at the directory in the app and migration containers", () => {
    const tf = workload({ readOnlyFiles: { directory: "/etc/ssl/rds", files: { "bundle.pem": "-----BEGIN CERTIFICATE-----\n" } } });
    const files = w.one(tf, "kubernetes_config_map_v1", "Files");
    expect(files).toMatchObject({ metadata: { name: "shop-files" }, data: { "bundle.pem": "-----BEGIN CERTIFICATE-----\n" } });
    const name = w.ref(tf, "kubernetes_config_map_v1", "Files", "metadata[0].name");
    const pods = [
      w.one(tf, "kubernetes_deployment_v1", "Resource").spec.template.spec,
      w.one(tf, "kubernetes_cron_job_v1", "MigrationTemplate").spec.job_template.spec.template.spec,
    ];
    for (const pod of pods) {
      expect(pod.volume).toContainEqual({ name: "files", config_map: { name, default_mode: "0444" } });
      expect(pod.container[0].volume_mount).toContainEqual({ name: "files", mount_path: "/etc/ssl/rds", read_only: true });
    }
  });

  test("none by default", () => {
    const tf = workload({});
    expect(Object.values<Json>(tf.resource.kubernetes_config_map_v1).map((c) => c.metadata.name)).toEqual(["shop-config"]);
  });

  test.each(["etc/ssl", "/", "/tmp", "/tmp/", "/etc/ssl rds"])("fails when readOnlyFiles.directory is %j", (directory) => {
    expectValidationError(() => workload({ readOnlyFiles: { directory, files: {} } }), "test/Workload", "readOnlyFiles.directory", "an absolute directory path other than / and /tmp");
  });

  test("fails when a file name is not a plain name", () => {
    expectValidationError(() => workload({ readOnlyFiles: { directory: "/etc/x", files: { "../x": "" } } }), "test/Workload", "readOnlyFiles.files", "file names of letters");
  });
});
