/**
 * Capacity: production requires its replicas spread over zones, development only prefers it (the
 * platform file can say otherwise per environment); every environment's nodes scale with pending
 * pods, within the platform file's bounds; the policy fails production stacks that lack either.
 */
import { evaluate } from "../../policy";
import { examplePlatform, resourceAt, synthAll } from "../support/platform";

const zoneRule = (stack: any) =>
  resourceAt(stack, "kubernetes_deployment_v1", "Workload/Resource").spec.template.spec.topology_spread_constraint.find(
    (c: any) => c.topology_key === "topology.kubernetes.io/zone",
  ).when_unsatisfiable;

describe("zone spread per environment", () => {
  const stacks = synthAll(examplePlatform());

  test("production requires it (DoNotSchedule); development and staging prefer it (ScheduleAnyway)", () => {
    expect(zoneRule(stacks["hello-prod"])).toBe("DoNotSchedule");
    expect(zoneRule(stacks["hello-dev"])).toBe("ScheduleAnyway");
    expect(zoneRule(stacks["hello-staging"])).toBe("ScheduleAnyway");
  });

  test("cluster.zoneSpread overrides the profile", () => {
    const changed = synthAll(
      examplePlatform((doc) => {
        const env = (name: string) => doc.environments.find((e: any) => e.name === name);
        env("dev").cluster = { ...(env("dev").cluster ?? {}), zoneSpread: "required" };
        env("prod").cluster = { ...(env("prod").cluster ?? {}), zoneSpread: "preferred" };
      }),
    );
    expect(zoneRule(changed["hello-dev"])).toBe("DoNotSchedule");
    expect(zoneRule(changed["hello-prod"])).toBe("ScheduleAnyway");
  });
});

describe("nodes scale with pending pods", () => {
  const stacks = synthAll(examplePlatform());
  const remote = (stack: string) => new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-${stack}\\.outputs\\.`);

  test("every environment gets a kube-system-<env> stack running the Cluster Autoscaler on its cluster, in its region, at its Kubernetes minor", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const stack = stacks[`kube-system-${env}`];
      const deployment = resourceAt(stack, "kubernetes_deployment_v1", "ClusterAutoscaler/Resource");
      const container = deployment.spec.template.spec.container[0];
      expect(container.image).toMatch(/^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.33\.\d+@sha256:[0-9a-f]{64}$/);
      const discovery = container.args.find((a: string) => a.startsWith("--node-group-auto-discovery="));
      expect(discovery).toMatch(new RegExp(`^--node-group-auto-discovery=asg:tag=k8s\\.io/cluster-autoscaler/enabled,k8s\\.io/cluster-autoscaler/\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-platform-${env}\\.outputs\\.`));
      expect(container.env).toEqual([{ name: "AWS_REGION", value: "eu-west-1" }]);
      // Configured from platform-<env>'s cluster, as the app stacks are; no AWS resources of its own.
      expect(stack.provider.kubernetes[0].host).toMatch(remote(`platform-${env}`));
      expect(Object.keys(stack.resource).filter((t) => t.startsWith("aws_"))).toEqual([]);
    }
  });

  test("platform-<env> holds the autoscaler's role for its own cluster, metrics-server for the HPAs, and the node group's live size is the autoscaler's", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const stack = stacks[`platform-${env}`];
      const clusterName = `\${${Object.keys(stack.resource.aws_eks_cluster).map((k) => `aws_eks_cluster.${k}`)[0]}.name}`;
      const association = resourceAt(stack, "aws_eks_pod_identity_association", "ClusterAutoscalerRole/PodIdentity");
      expect(association).toMatchObject({ cluster_name: clusterName, namespace: "kube-system", service_account: "cluster-autoscaler" });
      const policy = JSON.parse(resourceAt(stack, "aws_iam_role_policy", "ClusterAutoscalerRole/Policy").policy);
      expect(policy.Statement.find((s: any) => s.Sid === "ResizeOwnNodeGroupsOnly").Condition).toEqual({
        StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" },
      });
      expect(Object.values<any>(stack.resource.aws_eks_addon).map((a) => a.addon_name)).toContain("metrics-server");
      const nodeGroup = Object.values<any>(stack.resource.aws_eks_node_group)[0];
      expect(nodeGroup.lifecycle.ignore_changes).toContain("scaling_config[0].desired_size");
    }
    // The platform file's nodes bound the autoscaler: prod's 3..9, desired 3 only at creation.
    expect(Object.values<any>(stacks["platform-prod"].resource.aws_eks_node_group)[0].scaling_config).toEqual({ min_size: 3, desired_size: 3, max_size: 9 });
  });

  test("the kube-system stack of an environment follows its cluster's Kubernetes minor", () => {
    const older = synthAll(examplePlatform((doc) => (doc.environments[0].cluster = { ...(doc.environments[0].cluster ?? {}), version: "1.32" })));
    const image = resourceAt(older["kube-system-dev"], "kubernetes_deployment_v1", "ClusterAutoscaler/Resource").spec.template.spec.container[0].image;
    expect(image).toMatch(/^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.32\.\d+@sha256:/);
  });
});

describe("policy: production without zone spread or node autoscaling fails", () => {
  const findings = (stacks: Record<string, any>, names: string[], rule: string) =>
    evaluate(names.map((name) => ({ name, production: name.endsWith("-prod"), json: stacks[name] })))
      .findings.filter((f) => f.rule.id === rule && !f.suppressed)
      .map((f) => `${f.stack} ${f.message}`);

  test("the example passes SLW-CAP-001 and SLW-CAP-002", () => {
    const stacks = synthAll(examplePlatform());
    expect(findings(stacks, ["hello-prod", "kube-system-prod"], "SLW-CAP-001")).toEqual([]);
    expect(findings(stacks, ["platform-prod"], "SLW-CAP-002")).toEqual([]);
  });

  test("a production environment that only prefers zone spread fails SLW-CAP-001 (high: synth stops unless a suppression gives the reason)", () => {
    const stacks = synthAll(examplePlatform((doc) => (doc.environments[2].cluster = { ...(doc.environments[2].cluster ?? {}), zoneSpread: "preferred" })));
    expect(findings(stacks, ["hello-prod"], "SLW-CAP-001")).toEqual([expect.stringMatching(/^hello-prod zone spread is when_unsatisfiable "ScheduleAnyway", a preference/)]);
  });
});
