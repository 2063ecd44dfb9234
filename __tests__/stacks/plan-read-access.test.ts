/**
 * The read-only plan and drift role can refresh every Kubernetes object Slipway makes (none of
 * them a Secret, which it may not read): `AmazonEKSViewPolicy` (like Kubernetes' `view`) reads neither RBAC objects nor custom
 * resources, so each cluster's read-only access entry carries the group `slipway:read-only`, which
 * kube-system-<env> binds to get/list/watch on exactly those. Derived from what the example
 * platform synthesizes: a new kind of Kubernetes object fails here until someone decides who reads it.
 */
import { READ_ONLY_GROUP } from "../../constructs/kubernetes-cluster";
import { PLAN_READ_RULES } from "../../constructs/plan-read-access";
import { examplePlatform, synthAll } from "../support/platform";

type Json = any;
const stacks = synthAll(examplePlatform());
const ENVIRONMENTS = ["dev", "staging", "prod"];

/** What `AmazonEKSViewPolicy` reads (Kubernetes' `view` role), for the resource types Slipway uses. */
const VIEW: Record<string, string> = {
  kubernetes_config_map_v1: "configmaps",
  kubernetes_cron_job_v1: "cronjobs",
  kubernetes_deployment_v1: "deployments",
  kubernetes_horizontal_pod_autoscaler_v2: "horizontalpodautoscalers",
  kubernetes_namespace_v1: "namespaces",
  kubernetes_network_policy_v1: "networkpolicies",
  kubernetes_pod_disruption_budget_v1: "poddisruptionbudgets",
  kubernetes_service_account_v1: "serviceaccounts",
  kubernetes_service_v1: "services",
};
/** Resource types and the (group, resource) a refresh reads, for those View leaves out. */
const BEYOND_VIEW: Record<string, [string, string]> = {
  kubernetes_role_v1: ["rbac.authorization.k8s.io", "roles"],
  kubernetes_role_binding_v1: ["rbac.authorization.k8s.io", "rolebindings"],
  kubernetes_cluster_role_v1: ["rbac.authorization.k8s.io", "clusterroles"],
  kubernetes_cluster_role_binding_v1: ["rbac.authorization.k8s.io", "clusterrolebindings"],
};

/** Kubernetes' plural of a kind's lower-case name: policy -> policies, class -> classes. */
const plural = (kind: string) => (kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : kind.endsWith("s") ? `${kind}es` : `${kind}s`);

function kubernetesObjects(): Array<{ stack: string; type: string; group?: string; resource?: string }> {
  return Object.entries<Json>(stacks).flatMap(([stack, json]) =>
    Object.entries<Json>(json.resource ?? {})
      .filter(([type]) => type.startsWith("kubernetes_"))
      .flatMap(([type, resources]) =>
        type === "kubernetes_manifest"
          ? Object.values<Json>(resources).map((r) => {
              const [group] = r.manifest.apiVersion.split("/");
              return { stack, type, group, resource: plural(r.manifest.kind.toLowerCase()) };
            })
          : [{ stack, type }],
      ),
  );
}

const granted = (group: string, resource: string) => PLAN_READ_RULES.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource));

describe("the read-only role reads what plans and drift refresh", () => {
  test.each(ENVIRONMENTS)("platform-%s: the plan role's access entry carries the read-only group besides the View policy", (env) => {
    const platform = stacks[`platform-${env}`];
    const entries = Object.values<Json>(platform.resource.aws_eks_access_entry);
    const plan = entries.filter((e) => /role\/acme-plan$/.test(e.principal_arn));
    expect(plan).toHaveLength(1);
    expect(plan[0].kubernetes_groups).toEqual([READ_ONLY_GROUP]);
    // Nobody else gets the group: the apply role is admin, not a member.
    expect(entries.filter((e) => e !== plan[0]).map((e) => e.kubernetes_groups)).toEqual(entries.filter((e) => e !== plan[0]).map(() => undefined));
    const view = Object.values<Json>(platform.resource.aws_eks_access_policy_association).filter((a) => a.policy_arn.endsWith("/AmazonEKSViewPolicy"));
    expect(view).toHaveLength(1);
    expect(view[0].access_scope).toEqual({ type: "cluster" });
  });

  test.each(ENVIRONMENTS)("kube-system-%s binds the group to get/list/watch on exactly the rules, never Secrets and never a write", (env) => {
    const stack = stacks[`kube-system-${env}`];
    const [role] = Object.values<Json>(stack.resource.kubernetes_cluster_role_v1).filter((r) => r.metadata.name === "slipway-read-only");
    expect(role.rule).toEqual(PLAN_READ_RULES.map((r) => ({ api_groups: r.apiGroups, resources: r.resources, verbs: ["get", "list", "watch"] })));
    expect(JSON.stringify(role.rule)).not.toMatch(/secrets"|"\*"|create|update|patch|delete/);
    const [binding] = Object.values<Json>(stack.resource.kubernetes_cluster_role_binding_v1).filter((b) => b.metadata.name === "slipway-read-only");
    expect(binding.role_ref).toEqual({ api_group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: expect.stringMatching(/kubernetes_cluster_role_v1\..*metadata\[0\]\.name/) });
    expect(binding.subject).toEqual([{ kind: "Group", name: READ_ONLY_GROUP, api_group: "rbac.authorization.k8s.io" }]);
  });

  test("every Kubernetes object of every stack is readable by View or by the group (and no stack has a Secret for it to read)", () => {
    const objects = kubernetesObjects();
    expect(objects.length).toBeGreaterThan(50);
    const unreadable = objects.filter(({ type, group, resource }) => {
      if (type === "kubernetes_manifest") return !granted(group!, resource!);
      if (VIEW[type]) return false;
      const beyond = BEYOND_VIEW[type];
      if (beyond) return !granted(...beyond);
      return true;
    });
    // A plan never reads a Secret (View excludes them by design), and none is left to refresh.
    expect(unreadable).toEqual([]);
    expect(objects.filter((o) => o.type === "kubernetes_secret_v1")).toEqual([]);
  });
});
