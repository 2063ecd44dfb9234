/**
 * The deploy identity's rights in Kubernetes are exactly what the generated deploy jobs run: every
 * `kubectl` command of every deploy job is turned into the API requests it makes, and each must be
 * allowed by the namespaced deploy Role its IAM role is mapped to; Secrets, exec and the like must not.
 */
import { parse } from "yaml";
import { allows, kubectlInvocations, rbacRequests, RbacRule } from "../support/kubectl-rbac";
import { examplePlatform, resourceAt, synthAll } from "../support/platform";

const stacks = synthAll(examplePlatform());
const ENVIRONMENTS = ["dev", "staging", "prod"];

/** The deliver workflow as committed by the delivery stack (Terraform's `$${` escape undone). */
function deliverWorkflow(): any {
  const file = resourceAt(stacks["hello-delivery"], "github_repository_file", "DeliverWorkflow");
  return parse(String(file.content).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"));
}

/** The `kubectl` invocations of every `run:` script of a job, with the job's and step's literal `env:` values filled in. */
function invocationsOf(job: any): { line: string; words: string[] }[] {
  return (job.steps ?? [])
    .filter((step: any) => typeof step.run === "string")
    .flatMap((step: any) => kubectlInvocations(step.run, { ...(job.env ?? {}), ...(step.env ?? {}) }));
}

function deployRole(env: string): { rules: RbacRule[]; role: any } {
  const role = resourceAt(stacks[`hello-${env}`], "kubernetes_role_v1", "Workload/DeployRole");
  return { role, rules: role.rule };
}

const FORBIDDEN: { apiGroup: string; resource: string; verb: string; name?: string }[] = [
  ...["get", "list", "watch", "create", "patch", "delete"].map((verb) => ({ apiGroup: "", resource: "secrets", verb })),
  { apiGroup: "", resource: "pods/exec", verb: "create" },
  { apiGroup: "", resource: "pods/exec", verb: "get" },
  { apiGroup: "", resource: "pods/attach", verb: "create" },
  { apiGroup: "", resource: "pods/portforward", verb: "create" },
  { apiGroup: "", resource: "pods", verb: "create" },
  { apiGroup: "", resource: "pods", verb: "delete" },
  { apiGroup: "", resource: "services/proxy", verb: "get" },
  { apiGroup: "", resource: "serviceaccounts/token", verb: "create" },
  { apiGroup: "", resource: "configmaps", verb: "patch" },
  ...["create", "patch", "delete"].map((verb) => ({ apiGroup: "networking.k8s.io", resource: "networkpolicies", verb })),
  ...["roles", "rolebindings"].flatMap((resource) => ["create", "patch", "bind", "escalate"].map((verb) => ({ apiGroup: "rbac.authorization.k8s.io", resource, verb }))),
  { apiGroup: "apps", resource: "deployments", verb: "delete", name: "hello" },
  { apiGroup: "apps", resource: "deployments", verb: "create" },
  { apiGroup: "apps", resource: "deployments", verb: "patch", name: "other-app" },
  { apiGroup: "batch", resource: "cronjobs", verb: "patch", name: "other-migrate" },
  { apiGroup: "batch", resource: "jobs", verb: "delete" },
];

describe("the deploy identity's Kubernetes rights", () => {
  const workflow = deliverWorkflow();

  test.each(ENVIRONMENTS)("every kubectl command of deploy-%s is allowed by the deploy Role", (env) => {
    const job = workflow.jobs[`deploy-${env}`];
    const invocations = invocationsOf(job);
    // The commands the test reasons about are there: set image, create job, rollout status/undo, logs.
    expect(invocations.map((i) => i.words.filter((w) => !w.startsWith("-") && w !== "$NAMESPACE")[0])).toEqual(
      expect.arrayContaining(["set", "create", "get", "logs", "rollout"]),
    );
    const { rules } = deployRole(env);
    const requests = invocations.flatMap((i) => rbacRequests(i.words));
    // The Deployment and the migration template are addressed by their names (narrowed grants apply).
    expect(requests.filter((r) => r.resource === "deployments" || r.resource === "cronjobs").map((r) => r.name)).not.toContain(undefined);
    const denied = requests.filter((request) => !allows(rules, request));
    expect(denied).toEqual([]);
  });

  test.each(ENVIRONMENTS)("the deploy Role of %s allows no Secrets, exec, attach, port-forward, NetworkPolicy or RBAC change", (env) => {
    const { rules } = deployRole(env);
    expect(FORBIDDEN.filter((request) => allows(rules, request))).toEqual([]);
    for (const rule of rules) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      expect(rule.api_groups).not.toContain("*");
    }
  });

  test("a command the Role does not cover makes the derivation fail: exec, port-forward, and unknown subcommands", () => {
    const { rules } = deployRole("prod");
    const exec = kubectlInvocations('kubectl -n "$NAMESPACE" exec deployment/hello -- sh -c id');
    expect(exec.flatMap((i) => rbacRequests(i.words)).filter((r) => !allows(rules, r)).map((r) => `${r.resource} ${r.verb}`)).toEqual(["pods/exec create"]);
    const forward = kubectlInvocations('kubectl -n "$NAMESPACE" port-forward pod/hello-1 5432');
    expect(forward.flatMap((i) => rbacRequests(i.words)).filter((r) => !allows(rules, r)).map((r) => `${r.resource} ${r.verb}`)).toEqual(["pods/portforward create"]);
    // Only the canary may be scaled (production runs a canary): the stable Deployment's replicas are the autoscaler's.
    const scale = kubectlInvocations('kubectl -n "$NAMESPACE" scale deployment/hello --replicas=0');
    expect(scale.flatMap((i) => rbacRequests(i.words)).filter((r) => !allows(rules, r)).map((r) => `${r.resource} ${r.verb}`)).toEqual(["deployments/scale patch"]);
    const canary = kubectlInvocations('kubectl -n "$NAMESPACE" scale deployment/hello-canary --replicas=0');
    expect(canary.flatMap((i) => rbacRequests(i.words)).filter((r) => !allows(rules, r))).toEqual([]);
    const annotate = kubectlInvocations('kubectl -n "$NAMESPACE" annotate deployment/hello a=b');
    expect(() => annotate.flatMap((i) => rbacRequests(i.words))).toThrow(/does not know what 'kubectl annotate' asks the API for/);
    const secret = kubectlInvocations('value="$(kubectl -n "$NAMESPACE" get secret/hello-secrets -o json)"');
    expect(secret.flatMap((i) => rbacRequests(i.words)).filter((r) => !allows(rules, r)).map((r) => `${r.resource} ${r.verb}`)).toEqual(["secrets get"]);
  });

  test.each(ENVIRONMENTS)("in %s the deploy role reaches the cluster only through its group: an access entry with no access policy", (env) => {
    const stack = stacks[`hello-${env}`];
    expect(stack.resource.aws_eks_access_policy_association).toBeUndefined();
    const entry = resourceAt(stack, "aws_eks_access_entry", "DeployRole/Eks0/AccessEntry");
    const group = `slipway-deploy:hello-${env}`;
    expect(entry.kubernetes_groups).toEqual([group]);
    expect(entry.type).toBe("STANDARD");
    expect(entry.principal_arn).toMatch(/^\$\{aws_iam_role\.DeployRole_.*\.arn\}$/);

    const binding = resourceAt(stack, "kubernetes_role_binding_v1", "Workload/DeployRoleBinding");
    expect(binding.subject).toEqual([{ kind: "Group", name: group, api_group: "rbac.authorization.k8s.io" }]);
    expect(binding.role_ref).toEqual({ api_group: "rbac.authorization.k8s.io", kind: "Role", name: expect.stringMatching(/^\$\{kubernetes_role_v1\.Workload_DeployRole_.*\.metadata\[0\]\.name\}$/) });
    // Role and binding live in the app's namespace (the one the deploy job's NAMESPACE variable names).
    const namespace = expect.stringMatching(/^\$\{kubernetes_namespace_v1\.Workload_Namespace_.*\.metadata\[0\]\.name\}$/);
    expect(deployRole(env).role.metadata.namespace).toEqual(namespace);
    expect(binding.metadata.namespace).toEqual(namespace);
    expect(resourceAt(stack, "github_actions_environment_variable", "Variable-NAMESPACE").value).toEqual(namespace);
  });
});
