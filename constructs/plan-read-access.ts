/**
 * What a read-only principal of the cluster (the pull-request plan and drift role) must read to
 * refresh Slipway's Kubernetes objects, beyond `AmazonEKSViewPolicy`: View, like Kubernetes' own
 * `view` role, reads neither RBAC objects nor custom resources. A ClusterRole of get/list/watch on
 * exactly those, bound to {@link READ_ONLY_GROUP}, which the cluster's read-only access entries
 * carry. Never Secrets: a plan refreshes no Secret (see the trust model).
 */
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { ClusterRoleV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-v1";
import { Construct } from "constructs";
import { READ_ONLY_GROUP } from "./kubernetes-cluster";

/** The API groups and resources {@link PlanReadAccess} lets read, beyond View. */
export const PLAN_READ_RULES: ReadonlyArray<{ readonly apiGroups: readonly string[]; readonly resources: readonly string[] }> = [
  // The deploy Role and binding of each app, the Cluster Autoscaler's (cluster) roles and bindings.
  { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"] },
  // The database setup Job's admission guard.
  { apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingadmissionpolicies", "validatingadmissionpolicybindings"] },
  // Custom resources of the EKS add-ons the apps use: the Secrets Store CSI driver's (which holds
  // secret names, never values) and the VPC resource controller's security groups for pods.
  { apiGroups: ["secrets-store.csi.x-k8s.io"], resources: ["secretproviderclasses"] },
  { apiGroups: ["vpcresources.k8s.aws"], resources: ["securitygrouppolicies"] },
];

/** `slipway-read-only`: the ClusterRole and its binding to {@link READ_ONLY_GROUP}. */
export class PlanReadAccess extends Construct {
  /** The `kubernetes_cluster_role_v1`. */
  public readonly role: ClusterRoleV1;
  /** The `kubernetes_cluster_role_binding_v1` of {@link READ_ONLY_GROUP}. */
  public readonly binding: ClusterRoleBindingV1;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const name = "slipway-read-only";
    const labels = { "app.kubernetes.io/managed-by": "slipway" };
    this.role = new ClusterRoleV1(this, "Role", {
      metadata: { name, labels },
      rule: PLAN_READ_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: ["get", "list", "watch"] })),
    });
    this.binding = new ClusterRoleBindingV1(this, "Binding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: this.role.metadata.name },
      subject: [{ kind: "Group", name: READ_ONLY_GROUP, apiGroup: "rbac.authorization.k8s.io" }],
    });
  }
}
