import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { TerraformStack, Testing } from "cdktf";
import { NodeTargetGroup, NodeTargetGroupProps } from "../../constructs/node-target-group";
import { DEREGISTRATION_DELAY_SECONDS, HEALTH_CHECK } from "../../constructs/drain-timing";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

function synth(overrides: Partial<Omit<NodeTargetGroupProps, "cluster">> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const nodeGroup = new EksNodeGroup(stack, "Nodes", {
    clusterName: "acme-prod",
    nodeGroupNamePrefix: "acme-prod-nodes-",
    nodeRoleArn: "arn:aws:iam::123456789012:role/acme-prod-eks-node",
    subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    scalingConfig: { minSize: 2, desiredSize: 3, maxSize: 6 },
    lifecycle: { createBeforeDestroy: true },
  });
  const targets = new NodeTargetGroup(stack, "Targets", {
    name: "shop-prod",
    vpcId: "vpc-0123456789abcdef0",
    cluster: { nodeGroup },
    targetPort: 30080,
    healthPath: "/healthz",
    ...overrides,
  });
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { targets, tf };
}

const { one, address, countByType } = constructResources("Targets");

describe("NodeTargetGroup", () => {
  test("secure defaults: an instance target group of the NodePort, attached to the node group's Auto Scaling group create-before-destroy", () => {
    const { tf, targets } = synth();
    // Besides the test's node group: one target group and one attachment.
    expect(countByType(tf)).toEqual({ aws_lb_target_group: 1, aws_autoscaling_attachment: 1, aws_eks_node_group: 1 });
    expect(Object.keys(tf.resource).sort()).toEqual(["aws_autoscaling_attachment", "aws_eks_node_group", "aws_lb_target_group"]);
    expect(one(tf, "aws_lb_target_group", "Resource")).toEqual({
      name: "shop-prod-np",
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
      tags: { Name: "shop-prod-np" },
    });
    const nodeGroup = Object.keys(tf.resource.aws_eks_node_group)[0];
    expect(one(tf, "aws_autoscaling_attachment", "NodeGroupAttachment")).toEqual({
      autoscaling_group_name: `\${aws_eks_node_group.${nodeGroup}.resources[0].autoscaling_groups[0].name}`,
      lb_target_group_arn: `\${${address(tf, "aws_lb_target_group", "Resource")}.arn}`,
      lifecycle: { create_before_destroy: true },
    });
    // The target group itself is never replaced by a node-group change: it references no node group.
    expect(JSON.stringify(one(tf, "aws_lb_target_group", "Resource"))).not.toContain("aws_eks_node_group");
    expect(targets.targetGroupName).toBe("shop-prod-np");
    expect(targets.targetGroup.node.id).toBe("Resource");
  });

  test("the health check and deregistration delay are drain-timing.ts's", () => {
    const tg = one(synth().tf, "aws_lb_target_group", "Resource");
    expect(tg.deregistration_delay).toBe(String(DEREGISTRATION_DELAY_SECONDS));
    expect(tg.health_check).toMatchObject({
      interval: HEALTH_CHECK.intervalSeconds,
      timeout: HEALTH_CHECK.timeoutSeconds,
      healthy_threshold: HEALTH_CHECK.healthyThreshold,
      unhealthy_threshold: HEALTH_CHECK.unhealthyThreshold,
    });
  });

  test("targetPort and healthPath reach the target group", () => {
    const tg = one(synth({ targetPort: 32767, healthPath: "/ready?deep=1" }).tf, "aws_lb_target_group", "Resource");
    expect([tg.port, tg.health_check.path]).toEqual([32767, "/ready?deep=1"]);
  });

  describe("validation", () => {
    const expectInvalid = (overrides: Partial<NodeTargetGroupProps>, field: string, accepted: string | RegExp): void => {
      expectValidationError(() => synth(overrides), "test/Targets", field, accepted);
    };
    test.each(["Shop", "shop-", "a".repeat(29), "1shop", ""])("fails when name is %j", (name) => {
      expectInvalid({ name }, "name", "1-28 lower-case letters");
    });
    test.each([29999, 32768, 80])("fails when targetPort is %j", (targetPort) => {
      expectInvalid({ targetPort }, "targetPort", /30000/);
    });
    test("fails when healthPath does not start with /", () => {
      expectInvalid({ healthPath: "healthz" }, "healthPath", /\//);
    });
  });
});
