/**
 * The canary props of the constructs, on their own: `LoadBalancer.canaryTarget`,
 * `KubernetesWorkload.canary`, `NodeTargetGroup.suffix`, and the canary's defaults for the
 * pipeline (`pipelineCanaryOf`).
 */
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { TerraformStack, Testing } from "cdktf";
import { pipelineCanaryOf } from "../../constructs/canary";
import { KubernetesWorkload, KubernetesWorkloadProps } from "../../constructs/kubernetes-workload";
import { CANARY_WEIGHTS_PATH, LoadBalancer, LoadBalancerProps } from "../../constructs/load-balancer";
import { NodeTargetGroup } from "../../constructs/node-target-group";
import { expectValidationError } from "../support/synthesized";
import { WORKLOAD_PROPS } from "../support/workload";

type Json = Record<string, any>;

const STABLE = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-np/0123456789abcdef";
const CANARY = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-cn/fedcba9876543210";
const LB: LoadBalancerProps = {
  name: "shop-prod",
  network: { vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa0", "subnet-0aaaaaaaaaaaaaaa1"] },
  accountId: "123456789012",
  region: "eu-west-1",
  domain: "shop.example.com",
  healthPath: "/healthz",
  targetPort: 30080,
  targetGroupArn: STABLE,
  targetSecurityGroupId: "sg-0123456789abcdef0",
};

function loadBalancer(overrides: Partial<LoadBalancerProps>): Json {
  const stack = new TerraformStack(Testing.app(), "test");
  new LoadBalancer(stack, "LoadBalancer", { ...LB, ...overrides });
  return JSON.parse(Testing.synth(stack));
}

function workload(overrides: Partial<KubernetesWorkloadProps>): { tf: Json; workload: KubernetesWorkload } {
  const stack = new TerraformStack(Testing.app(), "test");
  const w = new KubernetesWorkload(stack, "Workload", { ...WORKLOAD_PROPS, ...overrides });
  return { tf: JSON.parse(Testing.synth(stack)), workload: w };
}

describe("LoadBalancer canaryTarget", () => {
  test("a weighted forward [stable 100, canary 0] whose target groups Terraform ignores, and rules for the canary port", () => {
    const tf = loadBalancer({ canaryTarget: { targetGroupArn: CANARY, port: 30081 } });
    const listener = Object.values<Json>(tf.resource.aws_lb_listener).find((l) => l.port === 443)!;
    expect(listener.default_action).toEqual([{ type: "forward", forward: { target_group: [{ arn: STABLE, weight: 100 }, { arn: CANARY, weight: 0 }] } }]);
    expect(listener.lifecycle).toEqual({ ignore_changes: [CANARY_WEIGHTS_PATH] });
    const egress = Object.values<Json>(tf.resource.aws_vpc_security_group_egress_rule).map((r) => [r.from_port, r.to_port, r.referenced_security_group_id]).sort();
    expect(egress).toEqual([
      [30080, 30080, "sg-0123456789abcdef0"],
      [30081, 30081, "sg-0123456789abcdef0"],
    ]);
    const ingress = Object.values<Json>(tf.resource.aws_vpc_security_group_ingress_rule).filter((r) => r.security_group_id === "sg-0123456789abcdef0").map((r) => [r.from_port, r.description]).sort();
    expect(ingress).toEqual([
      [30080, "Requests and health checks from load balancer shop-prod"],
      [30081, "Requests and health checks from load balancer shop-prod to its canary"],
    ]);
  });

  test("without canaryTarget the listener forwards to one group and ignores nothing", () => {
    const listener = Object.values<Json>(loadBalancer({}).resource.aws_lb_listener).find((l) => l.port === 443)!;
    expect(listener.default_action).toEqual([{ type: "forward", target_group_arn: STABLE }]);
    expect(listener.lifecycle).toBeUndefined();
  });

  test("fails when canaryTarget has no stable targetGroupArn beside it", () => {
    expectValidationError(() => loadBalancer({ targetGroupArn: undefined, canaryTarget: { targetGroupArn: CANARY, port: 30081 } }), "test/LoadBalancer", "canaryTarget", "a canary target group beside a given targetGroupArn");
  });

  test("fails when the canary port is not a NodePort", () => {
    expectValidationError(() => loadBalancer({ canaryTarget: { targetGroupArn: CANARY, port: 8080 } }), "test/LoadBalancer", "canaryTarget.port", /30000/);
  });
});

describe("KubernetesWorkload canary", () => {
  test("fails when the canary's node port is the workload's own", () => {
    expectValidationError(() => workload({ canary: { nodePort: WORKLOAD_PROPS.nodePort! } }), "test/Workload", "canary.nodePort", "a node port other than nodePort (30080)");
  });

  test("fails when the canary's node port is out of range", () => {
    expectValidationError(() => workload({ canary: { nodePort: 29999 } }), "test/Workload", "canary.nodePort", /30000/);
  });

  test("without canary: no canary Deployment or Service, no track label, no scale rule", () => {
    const { tf, workload: w } = workload({});
    expect(Object.keys(tf.resource.kubernetes_deployment_v1)).toHaveLength(1);
    expect(Object.keys(tf.resource.kubernetes_service_v1)).toHaveLength(1);
    expect(Object.values<Json>(tf.resource.kubernetes_deployment_v1)[0].spec.template.metadata.labels["slipway.dev/track"]).toBeUndefined();
    expect(w.canaryDeployment).toBeUndefined();
    expect(w.deployRules.filter((r) => r.resources.includes("deployments/scale"))).toEqual([]);
  });
});

describe("NodeTargetGroup suffix", () => {
  function group(suffix?: string): Json {
    const stack = new TerraformStack(Testing.app(), "test");
    const nodeGroup = new EksNodeGroup(stack, "Nodes", { clusterName: "acme-prod", nodeRoleArn: "arn:aws:iam::123456789012:role/n", subnetIds: ["subnet-0123456789abcdef0"], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 } });
    new NodeTargetGroup(stack, "Targets", { name: "shop-prod", vpcId: "vpc-0123456789abcdef0", cluster: { nodeGroup }, targetPort: 30081, healthPath: "/healthz", suffix });
    return JSON.parse(Testing.synth(stack));
  }
  test("names the group <name>-<suffix>", () => {
    expect(Object.values<Json>(group("cn").resource.aws_lb_target_group)[0].name).toBe("shop-prod-cn");
    expect(Object.values<Json>(group().resource.aws_lb_target_group)[0].name).toBe("shop-prod-np");
  });
  test("fails when the suffix is not 1-4 lower-case letters and digits", () => {
    expectValidationError(() => group("canary"), "test/Targets", "suffix", "1-4 lower-case letters and digits, e.g. cn");
    expectValidationError(() => group("Cn"), "test/Targets", "suffix", "1-4 lower-case letters and digits, e.g. cn");
  });
});

describe("pipelineCanaryOf", () => {
  test("a canary rollout takes the app's alarm thresholds; all-at-once gives none", () => {
    const alarmThresholds = { target5xxPercent: 2, p99LatencyMs: 900 };
    expect(pipelineCanaryOf({ rollout: { strategy: "canary", steps: [{ weight: 25, minutes: 3 }] }, alarmThresholds })).toEqual({ steps: [{ weight: 25, minutes: 3 }], max5xxPercent: 2, maxP99LatencyMs: 900 });
    expect(pipelineCanaryOf({ rollout: { strategy: "all-at-once", steps: [] }, alarmThresholds })).toBeUndefined();
  });
});
