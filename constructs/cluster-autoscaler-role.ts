/**
 * The AWS side of node autoscaling: the IAM role the Kubernetes Cluster Autoscaler runs as through
 * EKS Pod Identity, allowed to resize only the Auto Scaling groups of its own cluster.
 */
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { withAccountAndRegion, stackPartition } from "./aws-common";
import { podIdentityTrustPolicy } from "./pod-identity-role";
import { checkAccountId, checkRegion, invalid, isKnown, policyJson, resourceName } from "./util";

/** The namespace and service account the Cluster Autoscaler runs as (see {@link ClusterAutoscaler}). */
export const CLUSTER_AUTOSCALER_NAMESPACE = "kube-system";
/** The Cluster Autoscaler's service account, Deployment, RBAC and leader-election lease name. */
export const CLUSTER_AUTOSCALER_NAME = "cluster-autoscaler";

/**
 * The tag key EKS puts on every managed node group's Auto Scaling group (value `owned`), which the
 * Cluster Autoscaler discovers its groups by and which scopes its write access.
 */
export function clusterAutoscalerTagKey(clusterName: string): string {
  return `k8s.io/cluster-autoscaler/${clusterName}`;
}

/**
 * Actions the Cluster Autoscaler reads its node groups with. None of them supports resource-level
 * permissions, so `Resource: "*"` is the only form IAM accepts.
 */
export const CLUSTER_AUTOSCALER_READ_ACTIONS = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeAutoScalingInstances",
  "autoscaling:DescribeLaunchConfigurations",
  "autoscaling:DescribeScalingActivities",
  "autoscaling:DescribeTags",
  "ec2:DescribeImages",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeLaunchTemplateVersions",
  "ec2:GetInstanceTypesFromInstanceRequirements",
] as const;

/** The cluster whose node groups are scaled; `KubernetesCluster.cluster` (an `aws_eks_cluster`) satisfies it. */
export interface AutoscaledCluster {
  /** The cluster name (a reference is fine, and makes the role wait for the cluster). */
  readonly name: string;
  /** The cluster ARN: the only cluster whose Pod Identity may hand out the role. */
  readonly arn: string;
}

/** Props of {@link ClusterAutoscalerRole}. */
export interface ClusterAutoscalerRoleProps {
  /** Names the IAM role `<name>-cluster-autoscaler`, e.g. the cluster's name known at synth. */
  readonly name: string;
  /** The cluster whose Auto Scaling groups the autoscaler may resize. */
  readonly cluster: AutoscaledCluster;
  /**
   * The 12-digit AWS account id of the cluster.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The cluster's region, e.g. `eu-west-1`.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
}

/**
 * The Cluster Autoscaler's identity: an IAM role trusted only by this cluster's EKS Pod Identity for
 * `kube-system/cluster-autoscaler`, associated with that service account. It may describe Auto
 * Scaling groups, instance types and the cluster's node groups, and change the size of (or
 * terminate an instance in) an Auto Scaling group of this account and region only when the group
 * carries the tag `k8s.io/cluster-autoscaler/<cluster>` = `owned`, which EKS sets on the groups
 * of the cluster's managed node groups: no other group, of this or any other cluster, can be resized.
 */
export class ClusterAutoscalerRole extends Construct {
  /** The role. */
  public readonly role: IamRole;
  /** The role's ARN. */
  public readonly roleArn: string;
  /** The Pod Identity association of `kube-system/cluster-autoscaler` with {@link role}. */
  public readonly podIdentity: EksPodIdentityAssociation;

  constructor(scope: Construct, id: string, given: ClusterAutoscalerRoleProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);
    const { name, cluster, accountId, region } = props;
    if (isKnown(name) && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) invalid(this, "name", name, "letters, digits, '_' and '-', e.g. acme-prod");
    checkAccountId(this, "accountId", accountId);
    checkRegion(this, "region", region);
    const { partition } = stackPartition(this, region);
    const suffix = CLUSTER_AUTOSCALER_NAME;

    this.role = new IamRole(this, "Resource", {
      name: `${resourceName([name], 64 - suffix.length - 1)}-${suffix}`,
      description: `Cluster Autoscaler of EKS cluster ${name}: resizes its node groups only`,
      assumeRolePolicy: podIdentityTrustPolicy(accountId, cluster.arn, CLUSTER_AUTOSCALER_NAMESPACE, CLUSTER_AUTOSCALER_NAME),
    });
    new IamRolePolicy(this, "Policy", {
      name: "scale-own-node-groups",
      role: this.role.name,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          { Sid: "DescribeNodeGroups", Effect: "Allow", Action: [...CLUSTER_AUTOSCALER_READ_ACTIONS], Resource: "*" },
          // Labels and taints of a managed node group, for scaling a group up from no node.
          {
            Sid: "DescribeOwnManagedNodeGroups",
            Effect: "Allow",
            Action: "eks:DescribeNodegroup",
            Resource: `arn:${partition}:eks:${region}:${accountId}:nodegroup/${cluster.name}/*/*`,
          },
          {
            Sid: "ResizeOwnNodeGroupsOnly",
            Effect: "Allow",
            Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            Resource: `arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
            Condition: { StringEquals: { [`aws:ResourceTag/${clusterAutoscalerTagKey(cluster.name)}`]: "owned" } },
          },
        ],
      }),
    });
    this.roleArn = this.role.arn;
    this.podIdentity = new EksPodIdentityAssociation(this, "PodIdentity", {
      clusterName: cluster.name,
      namespace: CLUSTER_AUTOSCALER_NAMESPACE,
      serviceAccount: CLUSTER_AUTOSCALER_NAME,
      roleArn: this.role.arn,
    });
  }
}
