/**
 * The previews' admission policies, run: what RBAC cannot say about the preview identity (the
 * pull-request side of the trust boundary) is said by ValidatingAdmissionPolicies, and here their
 * CEL is evaluated by a real CEL evaluator against the requests a pull request's workflow makes and
 * against the ones it must never get through (support/admission.ts). The example's `hello-dev`
 * stack hosts hello's previews.
 */
import { parse } from "yaml";
import { admission, AdmissionRequest, fillReferences, referenceValues } from "../support/admission";
import { examplePlatform, synthAll } from "../support/platform";

type Json = any;

const dev = synthAll(examplePlatform())["hello-dev"];
const GROUP = "slipway:hello-previews";
const HOST_NAMESPACE = "hello-previews";

/** The manifest of the one kubernetes_manifest whose construct path ends with `suffix`. */
function manifest(suffix: string): Json {
  const found = Object.values<Json>(dev.resource.kubernetes_manifest).filter((r) => String(r["//"].metadata.path).endsWith(suffix));
  if (found.length !== 1) throw new Error(`${found.length} kubernetes_manifest at …${suffix}`);
  return found[0].manifest;
}

/** The policies this file runs, and the database Job template the workflow renders. */
const POLICIES = { namespaces: manifest("Previews/NamespaceGuardPolicy"), objects: manifest("Previews/ObjectGuardPolicy"), databaseJob: manifest("Previews/DatabaseJobGuardPolicy") };
const DB_JOB_TEMPLATE: string = Object.values<Json>(dev.resource.github_actions_environment_variable).find((v) => v.variable_name === "PREVIEW_DB_JOB").value;
/** What Terraform fills in at apply, for each reference the policies and the template hold. */
const REFERENCES = referenceValues(
  [POLICIES, DB_JOB_TEMPLATE],
  [
    [/^aws_security_group\.Previews_PodSecurityGroup_/, "sg-0preview0000000001"],
    [/^aws_db_instance\.Database_/, "acme-dev.cluster.eu-west-1.rds.amazonaws.com"],
    [/^kubernetes_service_account_v1\.Previews_DatabaseServiceAccount_/, "hello-preview-db"],
    [/^kubernetes_config_map_v1\.Previews_DatabaseCa_/, "hello-preview-db-ca"],
  ],
);

const check = (policy: Json, request: Omit<AdmissionRequest, "groups"> & { groups?: string[] }) => admission(policy, { groups: [GROUP, "system:authenticated"], ...request }, REFERENCES);
/** Admitted by a policy that applies, with no expression failing to evaluate. */
const admitted = { matched: true, denied: [], errors: [] };

const previewNamespace = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: {
    name,
    labels: {
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
      "slipway.dev/preview": "hello",
      "slipway.dev/pull-request": "7",
      ...labels,
    },
  },
});

describe("namespaces: only hello-pr-<n>, restricted Pod Security, labelled as hello's previews", () => {
  const policy = POLICIES.namespaces;
  const create = (object: Json, groups?: string[]) => check(policy, { operation: "CREATE", resource: "namespaces", object, ...(groups ? { groups } : {}) });

  test("the namespace a pull request's workflow creates is admitted, and deleting it", () => {
    expect(create(previewNamespace("hello-pr-7"))).toEqual(admitted);
    expect(check(policy, { operation: "DELETE", resource: "namespaces", oldObject: previewNamespace("hello-pr-7") })).toEqual(admitted);
  });

  test("any other name is denied, to create or to delete: production's, the host's, a look-alike", () => {
    const nameMessage = "the preview identity manages only namespaces hello-pr-<n>";
    for (const name of ["hello-prod", "hello-previews", "kube-system", "xhello-pr-7", "hello-pr-7x", "hello-pr-0", "hello-pr-01", "hello-pr-1234567890", "other-pr-7"]) {
      expect([name, create(previewNamespace(name))]).toEqual([name, { matched: true, denied: [nameMessage], errors: [] }]);
      expect([name, check(policy, { operation: "DELETE", resource: "namespaces", oldObject: previewNamespace(name) }).denied]).toEqual([name, [nameMessage]]);
    }
  });

  test("without restricted Pod Security or the preview label, or pinned to an old Pod Security version, it is denied", () => {
    const labelsMessage = policy.spec.validations[1].message;
    for (const labels of [{ "pod-security.kubernetes.io/enforce": "privileged" }, { "pod-security.kubernetes.io/warn": "baseline" }, { "slipway.dev/preview": "other" }] as Record<string, string>[]) {
      expect([labels, create(previewNamespace("hello-pr-7", labels)).denied]).toEqual([labels, [labelsMessage]]);
    }
    const { "slipway.dev/preview": _label, ...unlabelled } = previewNamespace("hello-pr-7").metadata.labels;
    expect(create({ ...previewNamespace("hello-pr-7"), metadata: { name: "hello-pr-7", labels: unlabelled } }).denied).toEqual([labelsMessage]);
    expect(create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "hello-pr-7" } }).denied).toEqual([labelsMessage]);
    expect(create(previewNamespace("hello-pr-7", { "pod-security.kubernetes.io/enforce-version": "v1.24" })).denied).toEqual([labelsMessage, policy.spec.validations[2].message]);
  });

  test("it binds the preview group only: anyone else is left to RBAC", () => {
    expect(create(previewNamespace("hello-prod"), ["system:masters"])).toEqual({ matched: false, denied: [], errors: [] });
  });
});

describe("bindings, quotas and security group policies: only in hello-pr-<n>, only Slipway's", () => {
  const policy = POLICIES.objects;
  const binding = (roleRef: Json, subjects: Json[]) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "b", namespace: "hello-pr-7" }, roleRef, subjects });
  const deployer = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "slipway:hello-preview-deployer" };
  const writer = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "slipway:hello-preview-database-writer" };
  const bind = (object: Json, namespace = "hello-pr-7") => check(policy, { operation: "CREATE", resource: "rolebindings", apiGroup: "rbac.authorization.k8s.io", namespace, object });
  const bindingsMessage = policy.spec.validations[1].message;

  test("the preview manifest's two bindings are admitted: the deployer role to the preview group, the writer role to the database account", () => {
    expect(bind(binding(deployer, [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: GROUP }]))).toEqual(admitted);
    expect(bind(binding(writer, [{ kind: "ServiceAccount", name: "hello-preview-db", namespace: HOST_NAMESPACE }]))).toEqual(admitted);
  });

  test("binding any other role, or to anyone else, is denied", () => {
    const denied = [
      binding({ ...deployer, name: "cluster-admin" }, [{ kind: "Group", name: GROUP }]),
      binding({ ...deployer, kind: "Role", name: "slipway:hello-preview-deployer" }, [{ kind: "Group", name: GROUP }]),
      binding(deployer, [{ kind: "Group", name: "system:authenticated" }]),
      binding(deployer, [{ kind: "Group", name: GROUP }, { kind: "User", name: "mallory" }]),
      binding(deployer, [{ kind: "ServiceAccount", name: "default", namespace: "hello-pr-7" }]),
      binding(writer, [{ kind: "ServiceAccount", name: "hello-preview-db", namespace: "hello-pr-7" }]),
      binding(writer, [{ kind: "Group", name: GROUP }]),
    ];
    for (const object of denied) expect([object, bind(object)]).toEqual([object, { matched: true, denied: [bindingsMessage], errors: [] }]);
    // With no subjects at all the rule has nothing to check and says no.
    expect(bind({ ...binding(deployer, []), subjects: undefined }).denied).toEqual([bindingsMessage]);
  });

  test("outside a preview namespace nothing is admitted, not even Slipway's own binding", () => {
    const own = binding(deployer, [{ kind: "Group", name: GROUP }]);
    for (const namespace of ["hello-previews", "default", "kube-system", "hello-pr-7-x"]) {
      expect([namespace, bind(own, namespace).denied]).toEqual([namespace, [policy.spec.validations[0].message]]);
    }
  });

  test("a security group policy may name the preview pods' security group only", () => {
    const sgp = (groupIds: string[]) => ({ apiVersion: "vpcresources.k8s.aws/v1beta1", kind: "SecurityGroupPolicy", metadata: { name: "app", namespace: "hello-pr-7" }, spec: { podSelector: {}, securityGroups: { groupIds } } });
    const apply = (object: Json) => check(policy, { operation: "CREATE", resource: "securitygrouppolicies", apiGroup: "vpcresources.k8s.aws", namespace: "hello-pr-7", object });
    expect(apply(sgp(["sg-0preview0000000001"]))).toEqual(admitted);
    for (const groupIds of [["sg-0database000000001"], ["sg-0preview0000000001", "sg-0database000000001"], []]) {
      expect([groupIds, apply(sgp(groupIds)).denied]).toEqual([groupIds, [policy.spec.validations[2].message]]);
    }
  });

  test("quotas and limit ranges only in a preview namespace", () => {
    const quota = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q" }, spec: { hard: { pods: "10" } } };
    expect(check(policy, { operation: "UPDATE", resource: "resourcequotas", namespace: "hello-pr-7", object: quota, oldObject: quota })).toEqual(admitted);
    expect(check(policy, { operation: "DELETE", resource: "limitranges", namespace: "hello-previews", oldObject: quota }).denied).toEqual([policy.spec.validations[0].message]);
  });
});

describe("the database Job's pods: exactly Slipway's steps and settings", () => {
  const policy = POLICIES.databaseJob;
  const template = DB_JOB_TEMPLATE;
  /** The pod the Job makes for `action` on pull request `pr`, as the workflow renders the template. */
  const pod = (action: string, pr: string): Json => {
    const job = parse(fillReferences(template.replaceAll("__ACTION__", action).replaceAll("__PR__", pr), REFERENCES));
    return { apiVersion: "v1", kind: "Pod", metadata: { namespace: job.metadata.namespace }, spec: job.spec.template.spec };
  };
  const run = (object: Json, namespace = HOST_NAMESPACE) => check(policy, { operation: "CREATE", resource: "pods", namespace, object });
  const [steps, secretStep, settings] = policy.spec.validations.map((v: Json) => v.message);
  const edited = (edit: (spec: Json) => void): Json => {
    const p = pod("create", "7");
    edit(p.spec);
    return p;
  };
  const envOf = (spec: Json, container: number) => spec.initContainers[container].env;

  test("the template and the policy hold the Terraform references filled here (the database's address among them)", () => {
    expect(Object.keys(REFERENCES).some((r) => r.startsWith("aws_db_instance.Database_"))).toBe(true);
    expect(Object.keys(REFERENCES).filter((r) => template.includes(r) || JSON.stringify(policy).includes(r)).length).toBeGreaterThan(1);
  });

  test("the pods of the Job the workflow renders, to create and to drop, are admitted", () => {
    expect(run(pod("create", "7"))).toEqual(admitted);
    expect(run(pod("drop", "123456789"))).toEqual(admitted);
  });

  test("another image, command, argument or container is denied", () => {
    expect(run(edited((s) => (s.initContainers[1].image = "docker.io/library/postgres:17.6-alpine"))).denied).toEqual([steps]);
    expect(run(edited((s) => (s.initContainers[0].command = ["/bin/sh", "-c", "env"]))).denied).toEqual([steps]);
    expect(run(edited((s) => (s.initContainers[1].args = ["--debug"]))).denied).toEqual([steps]);
    expect(run(edited((s) => s.initContainers.push({ ...s.initContainers[0], name: "extra" }))).denied).toEqual([steps]);
    expect(run(edited((s) => (s.containers[0].image = "docker.io/library/busybox"))).denied).toEqual([secretStep]);
    expect(run(edited((s) => (s.ephemeralContainers = [{ name: "debug", image: "docker.io/library/busybox" }]))).denied).toEqual([secretStep]);
    expect(run(edited((s) => (s.containers[0].envFrom = [{ secretRef: { name: "database" } }]))).denied).toEqual([secretStep]);
  });

  test("only the pull request number, the action and its namespace vary: a changed setting, an extra variable or a bad value is denied", () => {
    const set = (name: string, value: string) => edited((s) => (envOf(s, 0).find((e: Json) => e.name === name).value = value));
    expect(run(set("PGHOST", "attacker.example")).denied).toEqual([settings]);
    expect(run(set("MANAGER_ROLE", "postgres")).denied).toEqual([settings]);
    expect(run(set("ACTION", "truncate")).denied).toEqual([settings]);
    expect(run(set("PR", "7; drop database hello")).denied).toEqual([settings]);
    expect(run(set("PR", "0")).denied).toEqual([settings]);
    expect(run(set("PREVIEW_NAMESPACE", "hello-prod")).denied).toEqual([settings]);
    expect(run(edited((s) => envOf(s, 0).push({ name: "PGPASSWORD", value: "x" }))).denied).toEqual([settings]);
    // A setting read from elsewhere instead (the API server itself refuses both value and valueFrom).
    const fromSecret = { name: "APP_DATABASE", valueFrom: { secretKeyRef: { name: "x", key: "y" } } };
    expect(run(edited((s) => (s.initContainers[1].env = envOf(s, 1).map((e: Json) => (e.name === "APP_DATABASE" ? fromSecret : e))))).denied).toEqual([settings]);
    expect(run(edited((s) => (s.initContainers[0].env = envOf(s, 0).filter((e: Json) => e.name !== "PGSSLMODE")))).denied).toEqual([settings]);
    // AWS_* variables are the Pod Identity agent's to add.
    expect(run(edited((s) => envOf(s, 0).push({ name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: "http://169.254.170.23/v1/credentials" })))).toEqual(admitted);
  });

  test("it applies to the database account's pods in the host namespace only", () => {
    expect(run(edited((s) => (s.serviceAccountName = "default")))).toEqual({ matched: false, denied: [], errors: [] });
    expect(run(pod("create", "7"), "hello-pr-7")).toEqual({ matched: false, denied: [], errors: [] });
  });
});
