import * as fs from "node:fs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { CLUSTER_AUTOSCALER_IMAGES, ClusterAutoscaler, ClusterAutoscalerProps } from "../../constructs/cluster-autoscaler";
import { evaluate } from "../../policy";
import { constructResources, expectValidationError } from "../support/synthesized";
import { loadSynthesizedOutput } from "../../synthesized";

type Json = Record<string, any>;

const BASE: ClusterAutoscalerProps = { clusterName: "acme-prod", region: "eu-west-1", kubernetesVersion: "1.33" };
const { one, all, ref, countByType } = constructResources("ClusterAutoscaler");

function build(props: Partial<ClusterAutoscalerProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const autoscaler = new ClusterAutoscaler(stack, "ClusterAutoscaler", { ...BASE, ...props });
  return { stack, autoscaler, synth: () => JSON.parse(Testing.synth(stack)) as Json };
}

const synth = (props: Partial<ClusterAutoscalerProps> = {}) => build(props).synth();
const podSpec = (tf: Json) => one(tf, "kubernetes_deployment_v1").spec.template.spec;
const container = (tf: Json) => {
  const containers = podSpec(tf).container;
  expect(containers).toHaveLength(1);
  return containers[0];
};
const expectInvalid = (props: Partial<ClusterAutoscalerProps>, field: string, accepted: string | RegExp) =>
  expectValidationError(() => build(props), "test/ClusterAutoscaler", field, accepted);

const LABELS = { "app.kubernetes.io/name": "cluster-autoscaler", "app.kubernetes.io/managed-by": "terraform" };

describe("ClusterAutoscaler", () => {
  test("secure defaults: kube-system objects, system-cluster-critical, non-root, read-only, no capabilities, probed, sized", () => {
    const tf = synth();
    expect(countByType(tf)).toEqual({
      kubernetes_service_account_v1: 1,
      kubernetes_cluster_role_v1: 1,
      kubernetes_cluster_role_binding_v1: 1,
      kubernetes_role_v1: 1,
      kubernetes_role_binding_v1: 1,
      kubernetes_deployment_v1: 1,
      kubernetes_network_policy_v1: 1,
    });
    expect(one(tf, "kubernetes_service_account_v1", "ServiceAccount")).toMatchObject({
      metadata: { name: "cluster-autoscaler", namespace: "kube-system", labels: LABELS },
      automount_service_account_token: false,
    });

    const deployment = one(tf, "kubernetes_deployment_v1");
    expect(deployment.metadata).toEqual({ name: "cluster-autoscaler", namespace: "kube-system", labels: LABELS });
    expect(deployment.wait_for_rollout).toBe(false);
    expect(deployment.spec.replicas).toBe("1");
    expect(deployment.spec.selector).toEqual({ match_labels: { "app.kubernetes.io/name": "cluster-autoscaler" } });
    expect(deployment.spec.template.metadata.annotations).toEqual({ "cluster-autoscaler.kubernetes.io/safe-to-evict": "false" });

    const pod = podSpec(tf);
    expect(pod.service_account_name).toBe(ref(tf, "kubernetes_service_account_v1", "ServiceAccount", "metadata[0].name"));
    // It calls the Kubernetes API: the token is mounted for its pod only.
    expect(pod.automount_service_account_token).toBe(true);
    // Schedules first on a fresh cluster and is never preempted by an app.
    expect(pod.priority_class_name).toBe("system-cluster-critical");
    expect(pod.toleration).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    expect(pod.node_selector).toEqual({ "kubernetes.io/os": "linux" });
    expect(pod.security_context).toEqual({ run_as_non_root: true, run_as_user: "65534", run_as_group: "65534", fs_group: "65534", seccomp_profile: { type: "RuntimeDefault" } });
    expect(pod.volume).toEqual([{ name: "tmp", empty_dir: { size_limit: "16Mi" } }]);
    expect(pod.host_network).toBeUndefined();

    const c = container(tf);
    expect(c.name).toBe("cluster-autoscaler");
    expect(c.image).toBe(CLUSTER_AUTOSCALER_IMAGES["1.33"]);
    expect(c.image).toMatch(/^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.33\.\d+@sha256:[0-9a-f]{64}$/);
    expect(c.command).toEqual(["/cluster-autoscaler"]);
    expect(c.security_context).toEqual({
      allow_privilege_escalation: false,
      privileged: false,
      read_only_root_filesystem: true,
      run_as_non_root: true,
      capabilities: { drop: ["ALL"] },
      seccomp_profile: { type: "RuntimeDefault" },
    });
    expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "600Mi" }, limits: { cpu: "200m", memory: "600Mi" } });
    expect(c.port).toEqual([{ name: "metrics", container_port: 8085, protocol: "TCP" }]);
    for (const probe of [c.liveness_probe, c.readiness_probe]) expect(probe.http_get).toEqual({ path: "/health-check", port: "metrics" });
    expect(c.volume_mount).toEqual([{ name: "tmp", mount_path: "/tmp" }]);
  });

  test("discovers exactly this cluster's node groups by the tags EKS puts on them, in the cluster's region", () => {
    const c = container(synth());
    expect(c.args).toEqual([
      "--cloud-provider=aws",
      "--namespace=kube-system",
      "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/acme-prod",
      "--expander=least-waste",
      "--balance-similar-node-groups=true",
      // Every app's /tmp is an emptyDir: with the default (true) no node running an app could ever be removed.
      "--skip-nodes-with-local-storage=false",
      "--scale-down-unneeded-time=10m",
      "--address=:8085",
      "--stderrthreshold=info",
      "--v=2",
    ]);
    // No --nodes: the groups' own min and max (the platform file's nodes.min and nodes.max) bound it.
    expect(c.args.filter((a: string) => a.startsWith("--nodes"))).toEqual([]);
    expect(c.env).toEqual([{ name: "AWS_REGION", value: "eu-west-1" }]);
  });

  test("RBAC: upstream's rules; writes only nodes, evictions, pod status, events, its endpoint, lease and status ConfigMaps", () => {
    const tf = synth();
    const rules = one(tf, "kubernetes_cluster_role_v1", "ClusterRole").rule as Json[];
    const writes = rules.filter((r) => r.verbs.some((v: string) => !["get", "list", "watch"].includes(v)));
    expect(writes.map((r) => [r.api_groups, r.resources, r.resource_names, r.verbs])).toEqual([
      [[""], ["events", "endpoints"], undefined, ["create", "patch"]],
      [[""], ["pods/eviction"], undefined, ["create"]],
      [[""], ["pods/status"], undefined, ["update"]],
      [[""], ["endpoints"], ["cluster-autoscaler"], ["get", "update"]],
      [[""], ["nodes"], undefined, ["get", "list", "watch", "update"]],
      [["coordination.k8s.io"], ["leases"], undefined, ["create"]],
      [["coordination.k8s.io"], ["leases"], ["cluster-autoscaler"], ["get", "update"]],
    ]);
    // Never Secrets, never a wildcard.
    for (const r of rules) {
      expect(r.resources).not.toContain("secrets");
      expect([...r.api_groups, ...r.resources, ...r.verbs]).not.toContain("*");
    }
    expect(one(tf, "kubernetes_cluster_role_binding_v1", "ClusterRoleBinding")).toMatchObject({
      role_ref: { api_group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ref(tf, "kubernetes_cluster_role_v1", "ClusterRole", "metadata[0].name") },
      subject: [{ kind: "ServiceAccount", name: ref(tf, "kubernetes_service_account_v1", "ServiceAccount", "metadata[0].name"), namespace: "kube-system" }],
    });
    const role = one(tf, "kubernetes_role_v1", "Role");
    expect(role.metadata.namespace).toBe("kube-system");
    expect(role.rule).toEqual([
      { api_groups: [""], resources: ["configmaps"], verbs: ["create", "list", "watch"] },
      { api_groups: [""], resources: ["configmaps"], resource_names: ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"], verbs: ["delete", "get", "update", "watch"] },
    ]);
    expect(one(tf, "kubernetes_role_binding_v1", "RoleBinding").role_ref).toMatchObject({ kind: "Role", name: ref(tf, "kubernetes_role_v1", "Role", "metadata[0].name") });
  });

  test("its network policy admits nothing and lets it reach DNS, HTTPS and the Pod Identity agent only", () => {
    const policy = one(synth(), "kubernetes_network_policy_v1", "NetworkPolicy");
    expect(policy.metadata.namespace).toBe("kube-system");
    expect(policy.spec.pod_selector).toEqual({ match_labels: { "app.kubernetes.io/name": "cluster-autoscaler" } });
    expect(policy.spec.policy_types).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toBeUndefined();
    expect(policy.spec.egress.map((e: Json) => [e.to.map((t: Json) => t.ip_block?.cidr ?? t.pod_selector.match_labels["k8s-app"]), e.ports.map((p: Json) => `${p.protocol}/${p.port}`)])).toEqual([
      [["kube-dns"], ["UDP/53", "TCP/53"]],
      [["0.0.0.0/0"], ["TCP/443"]],
      [["169.254.170.23/32"], ["TCP/80"]],
    ]);
  });

  test("passes every policy rule, with two reasoned suppressions (its own API token; kube-system has no namespace-wide default deny)", () => {
    // As written to disk: Testing.synth() strips the `//` metadata that carries the suppressions.
    const { stack } = build();
    new KubernetesProvider(stack, "kubernetes", {});
    const outdir = Testing.fullSynth(stack);
    const tf = loadSynthesizedOutput(outdir).stack("test").json;
    fs.rmSync(outdir, { recursive: true, force: true });
    const result = evaluate([{ name: "test", production: true, json: tf }]);
    const open = result.findings.filter((f) => !f.suppressed);
    expect(open.map((f) => `${f.rule.id} ${f.path}: ${f.message}`)).toEqual([]);
    expect(result.findings.map((f) => f.rule.id).sort()).toEqual(["SLW-K8S-012", "SLW-K8S-014"]);
  });

  test("kubernetesVersion picks the release of the same minor, pinned by digest", () => {
    for (const [version, image] of Object.entries(CLUSTER_AUTOSCALER_IMAGES)) {
      expect(image).toMatch(new RegExp(`^registry\\.k8s\\.io/autoscaling/cluster-autoscaler:v${version.replace(".", "\\.")}\\.\\d+@sha256:[0-9a-f]{64}$`));
      expect(container(synth({ kubernetesVersion: version })).image).toBe(image);
    }
    expect(new Set(Object.values(CLUSTER_AUTOSCALER_IMAGES)).size).toBe(Object.keys(CLUSTER_AUTOSCALER_IMAGES).length);
  });

  test("image overrides the release (a newer minor, a mirror), pinned by digest", () => {
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/cluster-autoscaler@sha256:${"a".repeat(64)}`;
    expect(container(synth({ kubernetesVersion: "1.34", image })).image).toBe(image);
  });

  test("scaleDownUnneededTime sets how long a node must be idle before it goes", () => {
    expect(container(synth({ scaleDownUnneededTime: "30m" })).args).toContain("--scale-down-unneeded-time=30m");
  });

  test("the cluster name may be a reference", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const name = new TerraformVariable(stack, "cluster", { type: "string" });
    new ClusterAutoscaler(stack, "ClusterAutoscaler", { ...BASE, clusterName: name.stringValue });
    const tf = JSON.parse(Testing.synth(stack));
    expect(all(tf, "kubernetes_deployment_v1")[0].spec.template.spec.container[0].args).toContain(
      "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${var.cluster}",
    );
  });

  describe("validation", () => {
    test("fails when no release is pinned for the Kubernetes minor and no image is given", () => {
      expectInvalid({ kubernetesVersion: "1.34" }, "kubernetesVersion", /1\.28, 1\.29, 1\.30, 1\.31, 1\.32, 1\.33.*pinned by digest/);
    });

    test("fails when kubernetesVersion is not 1.NN", () => {
      expectInvalid({ kubernetesVersion: "1.33.1" }, "kubernetesVersion", /1\.NN/);
    });

    test("fails when image is not pinned by digest", () => {
      expectInvalid({ image: "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.1" }, "image", /pinned by digest/);
      expectInvalid({ image: "registry.k8s.io/autoscaling/cluster-autoscaler@sha256:abc" }, "image", /pinned by digest/);
    });

    test("fails when region is not an AWS region", () => {
      expectInvalid({ region: "Europe" }, "region", /region/);
    });

    test("fails when scaleDownUnneededTime is not a duration", () => {
      expectInvalid({ scaleDownUnneededTime: "ten minutes" }, "scaleDownUnneededTime", /Go duration/);
      expectInvalid({ scaleDownUnneededTime: "" }, "scaleDownUnneededTime", /Go duration/);
    });
  });
});
