import { TerraformStack, Testing } from "cdktf";
import { CLUSTER_AUTOSCALER_READ_ACTIONS, ClusterAutoscalerRole, ClusterAutoscalerRoleProps } from "../../constructs/cluster-autoscaler-role";
import { NO_RESOURCE_ACTIONS } from "../../policy/rules/aws-iam";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const CLUSTER = { name: "${aws_eks_cluster.Cluster.name}", arn: "${aws_eks_cluster.Cluster.arn}" };
const BASE: ClusterAutoscalerRoleProps = { name: "acme-prod", cluster: CLUSTER, accountId: "123456789012", region: "eu-west-1" };
const { one, ref, countByType } = constructResources("ClusterAutoscalerRole");

function build(props: Partial<ClusterAutoscalerRoleProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  new ClusterAutoscalerRole(stack, "ClusterAutoscalerRole", { ...BASE, ...props });
  return JSON.parse(Testing.synth(stack)) as Json;
}

const statements = (tf: Json) => JSON.parse(one(tf, "aws_iam_role_policy", "Policy").policy).Statement as Json[];

describe("ClusterAutoscalerRole", () => {
  test("a role only this cluster's Pod Identity hands out, and only to kube-system/cluster-autoscaler", () => {
    const tf = build();
    expect(countByType(tf)).toEqual({ aws_iam_role: 1, aws_iam_role_policy: 1, aws_eks_pod_identity_association: 1 });
    const role = one(tf, "aws_iam_role");
    expect(role.name).toBe("acme-prod-cluster-autoscaler");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Sid: "EksPodIdentity",
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": "123456789012",
            "aws:RequestTag/kubernetes-namespace": "kube-system",
            "aws:RequestTag/kubernetes-service-account": "cluster-autoscaler",
          },
          ArnEquals: { "aws:SourceArn": CLUSTER.arn },
        },
      },
    ]);
    expect(one(tf, "aws_eks_pod_identity_association", "PodIdentity")).toMatchObject({
      cluster_name: CLUSTER.name,
      namespace: "kube-system",
      service_account: "cluster-autoscaler",
      role_arn: ref(tf, "aws_iam_role", "Resource", "arn"),
    });
  });

  test("resizes only Auto Scaling groups of this account and region tagged k8s.io/cluster-autoscaler/<cluster> = owned", () => {
    const [describe, nodegroups, resize] = statements(build());
    expect(resize).toEqual({
      Sid: "ResizeOwnNodeGroupsOnly",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*",
      Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER.name}`]: "owned" } },
    });
    expect(nodegroups).toEqual({
      Sid: "DescribeOwnManagedNodeGroups",
      Effect: "Allow",
      Action: "eks:DescribeNodegroup",
      Resource: `arn:aws:eks:eu-west-1:123456789012:nodegroup/${CLUSTER.name}/*/*`,
    });
    // Reads only, and only actions IAM cannot scope to a resource (the policy rule's list agrees).
    expect(describe).toEqual({ Sid: "DescribeNodeGroups", Effect: "Allow", Action: [...CLUSTER_AUTOSCALER_READ_ACTIONS], Resource: "*" });
    for (const action of describe.Action) {
      expect(action).toMatch(/^(autoscaling|ec2):(Describe|Get)/);
      expect(NO_RESOURCE_ACTIONS).toContain(action);
    }
  });

  test("region picks the partition of its ARNs", () => {
    const [, nodegroups, resize] = statements(build({ region: "cn-north-1" }));
    expect(resize.Resource).toBe("arn:aws-cn:autoscaling:cn-north-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*");
    expect(nodegroups.Resource).toMatch(/^arn:aws-cn:eks:cn-north-1:/);
  });

  describe("validation", () => {
    test("fails when accountId is not 12 digits", () => {
      expectValidationError(() => build({ accountId: "1234" }), "test/ClusterAutoscalerRole", "accountId", /12/);
    });

    test("fails when region is not an AWS region", () => {
      expectValidationError(() => build({ region: "Europe" }), "test/ClusterAutoscalerRole", "region", /region/);
    });

    test("fails when name has characters an IAM role name cannot take", () => {
      expectValidationError(() => build({ name: "acme prod" }), "test/ClusterAutoscalerRole", "name", /letters, digits/);
    });
  });
});
