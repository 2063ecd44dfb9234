/**
 * One Kubernetes service account's AWS identity through EKS Pod Identity: a role only the cluster's
 * Pod Identity agent can assume, and only for that namespace and service account, bound to it by a
 * Pod Identity association. Rights are added as inline policies ({@link PodIdentityRole.addPolicy}).
 */
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import type { PolicyStatement } from "./github-actions-role";
import { withAccountId } from "./aws-common";
import { checkAccountId, invalid, isKnown, policyJson } from "./util";

/** Props of {@link PodIdentityRole}; all but `accountId` are required. */
export interface PodIdentityRoleProps {
  /** The IAM role's name, e.g. `shop-prod-server`: 1-64 letters, digits and `+=,.@_-`. */
  readonly roleName: string;
  /** What the role is for, in IAM's description. */
  readonly description: string;
  /**
   * The account the cluster is in (12 digits): only its Pod Identity may assume the role.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /** The cluster whose Pod Identity agent hands the role out. */
  readonly cluster: { readonly name: string; readonly arn: string };
  /** The pods' namespace (a reference, so the association waits for it). */
  readonly namespace: string;
  /** The pods' service account. */
  readonly serviceAccountName: string;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The trust policy of a role for one service account through EKS Pod Identity: only the cluster's
 * Pod Identity agent (`pods.eks.amazonaws.com` with that account and cluster as source), and only
 * for that namespace and service account, which EKS sets as session tags: no other association
 * can borrow the role.
 */
export function podIdentityTrustPolicy(accountId: string, clusterArn: string, namespace: string, serviceAccountName: string): string {
  return policyJson({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EksPodIdentity",
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": accountId,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": serviceAccountName,
          },
          ArnEquals: { "aws:SourceArn": clusterArn },
        },
      },
    ],
  });
}

/** The identity of one service account's pods (see the file comment). */
export class PodIdentityRole extends Construct {
  /** The `aws_iam_role` (construct id `Resource`). */
  public readonly role: IamRole;
  /** The role's ARN. */
  public readonly arn: string;
  /** The Pod Identity association of the service account with the role. */
  public readonly association: EksPodIdentityAssociation;

  constructor(scope: Construct, id: string, given: PodIdentityRoleProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountId(this, given);
    if (isKnown(props.roleName) && !ROLE_NAME.test(props.roleName)) invalid(this, "roleName", props.roleName, "1-64 letters, digits and '+=,.@_-'");
    checkAccountId(this, "accountId", props.accountId);
    this.role = new IamRole(this, "Resource", {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: podIdentityTrustPolicy(props.accountId, props.cluster.arn, props.namespace, props.serviceAccountName),
      tags: { Name: props.roleName },
    });
    this.arn = this.role.arn;
    this.association = new EksPodIdentityAssociation(this, "Association", {
      clusterName: props.cluster.name,
      namespace: props.namespace,
      serviceAccount: props.serviceAccountName,
      roleArn: this.role.arn,
    });
  }

  /**
   * Adds the inline policy `id` holding `statements`.
   * @param id the policy's name: 1-128 letters, digits and `+=,.@_-`, once per role
   */
  public addPolicy(id: string, statements: readonly PolicyStatement[]): IamRolePolicy {
    if (!/^[\w+=,.@-]{1,128}$/.test(id) || this.node.tryFindChild(`Policy-${id}`)) invalid(this, "addPolicy.id", id, "1-128 letters, digits and '+=,.@_-', not yet used on this role");
    if (statements.length === 0) invalid(this, "addPolicy.statements", statements, "at least one statement");
    return new IamRolePolicy(this, `Policy-${id}`, { name: id, role: this.role.name, policy: policyJson({ Version: "2012-10-17", Statement: statements }) });
  }
}
