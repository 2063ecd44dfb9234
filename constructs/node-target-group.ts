/**
 * An app's load-balancer target group of the cluster's nodes on the app's NodePort, attached to the
 * managed node group's Auto Scaling group in the stack that owns the node group, so that replacing
 * the node group re-attaches the target group in the same apply, before the old group goes.
 */
import { AutoscalingAttachment } from "@cdktf/provider-aws/lib/autoscaling-attachment";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { DEREGISTRATION_DELAY_SECONDS, nodePortHealthCheck } from "./drain-timing";
import { invalid, isKnown } from "./util";
import * as kinds from "./validators";
import { checkValue } from "./validators";

/** The part of a cluster a node target group needs; `KubernetesCluster` satisfies it. */
export interface NodeTargetGroupCluster {
  /** The EKS managed node group whose Auto Scaling group holds the targets; in the same stack. */
  readonly nodeGroup: EksNodeGroup;
}

/** Props of {@link NodeTargetGroup}; all but `tags` are required. */
export interface NodeTargetGroupProps {
  /**
   * The name of the app in its environment, e.g. `shop-prod`: the target group is `<name>-np`.
   * 1-28 lower-case letters, digits and `-`, starting with a letter (target group names are limited
   * to 32 characters).
   */
  readonly name: string;
  /** The VPC of the cluster's nodes. */
  readonly vpcId: string;
  /** The cluster whose node group's instances are the targets. */
  readonly cluster: NodeTargetGroupCluster;
  /** The Kubernetes NodePort (30000-32767) the app's Service listens on, on every node. */
  readonly targetPort: number;
  /** The path the health check requests, e.g. `/healthz`. Must start with `/`. */
  readonly healthPath: string;
  /**
   * Tags of the target group besides `Name`, e.g. `{ "slipway:app": "shop" }` (the app the group
   * serves, in a stack shared by every app).
   * @default only `Name`
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The suffix of the target group's name, `<name>-<suffix>` (32 characters at most in all): 1-4
   * lower-case letters and digits, e.g. `cn` for an app's canary group, `pv` for its preview router.
   * @default "np"
   */
  readonly suffix?: string;
}

const NAME_PATTERN = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const NAME_MAX_LENGTH = 28;

/**
 * A target group (target type `instance`, HTTP on the app's NodePort) whose targets are the nodes
 * of an EKS managed node group, registered by the node group's Auto Scaling group itself: nodes
 * that join are registered, nodes that leave are deregistered after the deregistration delay.
 *
 * The attachment lives with the node group and is `create_before_destroy`, like the node group: a
 * change that replaces the node group (instance types, AMI type, subnets) creates the new group,
 * attaches it, and only then detaches and deletes the old one, so the target group always holds
 * the nodes of at least one group. A load balancer in another stack forwards to {@link arn}.
 * Health check and deregistration delay come from `drain-timing.ts`.
 */
export class NodeTargetGroup extends Construct {
  /** The `aws_lb_target_group` (construct id `Resource`). */
  public readonly targetGroup: LbTargetGroup;
  /** The target group's ARN, for a listener's forward action. */
  public readonly arn: string;
  /** The target group's name, `<name>-<suffix>` (`<name>-np` by default). */
  public readonly targetGroupName: string;
  /** The `aws_autoscaling_attachment` of the node group's Auto Scaling group. */
  public readonly attachment: AutoscalingAttachment;

  constructor(scope: Construct, id: string, props: NodeTargetGroupProps) {
    super(scope, id);
    const suffix = props.suffix ?? "np";
    if (!/^[a-z0-9]{1,4}$/.test(suffix)) invalid(this, "suffix", suffix, "1-4 lower-case letters and digits, e.g. cn");
    const maxLength = NAME_MAX_LENGTH + 2 - suffix.length;
    if (isKnown(props.name) && !(typeof props.name === "string" && NAME_PATTERN.test(props.name) && props.name.length <= maxLength)) {
      invalid(this, "name", props.name, `1-${maxLength} lower-case letters, digits and '-', starting with a letter and not ending with '-'`);
    }
    checkValue(this, "healthPath", props.healthPath, kinds.healthCheckPath);
    checkValue(this, "targetPort", props.targetPort, kinds.nodePort);

    this.targetGroupName = `${props.name}-${suffix}`;
    this.targetGroup = new LbTargetGroup(this, "Resource", {
      name: this.targetGroupName,
      targetType: "instance",
      protocol: "HTTP",
      port: props.targetPort,
      vpcId: props.vpcId,
      deregistrationDelay: String(DEREGISTRATION_DELAY_SECONDS),
      healthCheck: nodePortHealthCheck(props.healthPath),
      tags: { ...props.tags, Name: this.targetGroupName },
    });
    this.arn = this.targetGroup.arn;

    // A managed node group has exactly one Auto Scaling group. A new node group means a new name
    // here, which replaces the attachment: created first, so the old group's nodes are detached
    // only once the new group's are registered.
    this.attachment = new AutoscalingAttachment(this, "NodeGroupAttachment", {
      autoscalingGroupName: props.cluster.nodeGroup.resources.get(0).autoscalingGroups.get(0).name,
      lbTargetGroupArn: this.targetGroup.arn,
      lifecycle: { createBeforeDestroy: true },
    });
  }
}
