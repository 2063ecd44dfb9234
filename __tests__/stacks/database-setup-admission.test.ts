/**
 * The database setup Job's admission policy, run: the `<app>-db-setup` pod is the one pod that
 * ever mounts the database's master credentials, and the deploy identity may create Jobs in the
 * app's namespace, so a ValidatingAdmissionPolicy pins what that pod may be. Here its CEL is
 * evaluated by a real CEL evaluator (support/admission.ts) against the pod the pipeline's Job gets
 * from the synthesized CronJob template, and against each change that would let another command
 * read the credentials. The example's `hello-dev` stack.
 */
import { admission, AdmissionRequest, podSpecFromTerraform, referenceValues } from "../support/admission";
import { examplePlatform, synthAll } from "../support/platform";

type Json = any;

const dev = synthAll(examplePlatform())["hello-dev"];
const APP_NAMESPACE = "hello";

const byName = (type: string, part: string): Json => {
  const found = Object.entries<Json>(dev.resource[type] ?? {}).filter(([name]) => name.startsWith(part));
  if (found.length !== 1) throw new Error(`${found.length} ${type} named ${part}*`);
  return found[0][1];
};
const policy = byName("kubernetes_manifest", "DatabaseSetup_GuardPolicy").manifest;
const binding = byName("kubernetes_manifest", "DatabaseSetup_GuardBinding").manifest;
const cronJob = byName("kubernetes_cron_job_v1", "DatabaseSetup_");

/** What Terraform fills in at apply, for each reference of the template and the policy. */
const VALUES = referenceValues(
  [cronJob, policy],
  [
    [/^aws_db_instance\.Database_/, "acme-dev.cluster.eu-west-1.rds.amazonaws.com"],
    [/^kubernetes_service_account_v1\.DatabaseSetup_ServiceAccount_/, "hello-db-setup"],
    [/^kubernetes_config_map_v1\.DatabaseSetup_Sql_/, "hello-db-setup"],
    [/^kubernetes_config_map_v1\.Workload_Files_/, "hello-files"],
    [/^kubernetes_namespace_v1\.Workload_Namespace_/, APP_NAMESPACE],
  ],
);

/** The pod of a Job created from the template (`kubectl create job --from=cronjob/...`), as admitted. */
const pod = (): Json => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: APP_NAMESPACE }, spec: podSpecFromTerraform(cronJob.spec.job_template.spec.template.spec, VALUES) });
const edited = (edit: (spec: Json) => void): Json => {
  const p = pod();
  edit(p.spec);
  return p;
};
const create = (object: Json) => admission(policy, { operation: "CREATE", resource: "pods", namespace: APP_NAMESPACE, groups: ["slipway:hello-deployers"], object } as AdmissionRequest, VALUES);
const [oneContainer, pinned, settings, mounts]: string[] = policy.spec.validations.map((v: Json) => v.message);
const admitted = { matched: true, denied: [], errors: [] };
const env = (spec: Json) => spec.containers[0].env;

test("the binding scopes the policy to the app's namespace, denying", () => {
  expect(binding.spec.policyName).toBe(policy.metadata.name);
  expect(binding.spec.validationActions).toEqual(["Deny"]);
  expect(binding.spec.matchResources.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).toMatch(/^\$\{kubernetes_namespace_v1\.Workload_Namespace_[A-Z0-9]+\.metadata\[0\]\.name\}$/);
  expect(policy.spec.failurePolicy).toBe("Fail");
});

test("the pod the pipeline's Job gets from the template is admitted, with the variables EKS Pod Identity adds", () => {
  expect(create(pod())).toEqual(admitted);
  expect(create(edited((s) => env(s).push({ name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: "http://169.254.170.23/v1/credentials" })))).toEqual(admitted);
});

test("another container, an init or ephemeral container is denied", () => {
  expect(create(edited((s) => s.containers.push({ ...s.containers[0], name: "sidecar" }))).denied).toEqual([oneContainer]);
  expect(create(edited((s) => (s.initContainers = [{ name: "peek", image: "docker.io/library/busybox", command: ["cat", "/var/run/secrets/database-master/password"] }]))).denied).toEqual([oneContainer]);
  expect(create(edited((s) => (s.ephemeralContainers = [{ name: "debug", image: "docker.io/library/busybox" }]))).denied).toEqual([oneContainer]);
});

test("another image, script, arguments, envFrom, hook or probe is denied", () => {
  expect(create(edited((s) => (s.containers[0].image = "docker.io/library/postgres:17.6-alpine"))).denied).toEqual([pinned]);
  expect(create(edited((s) => (s.containers[0].command = ["/bin/sh", "-c", "cat /var/run/secrets/database-master/password"]))).denied).toEqual([pinned]);
  expect(create(edited((s) => (s.containers[0].args = ["--echo-all"]))).denied).toEqual([pinned]);
  expect(create(edited((s) => (s.containers[0].envFrom = [{ configMapRef: { name: "x" } }]))).denied).toEqual([pinned]);
  expect(create(edited((s) => (s.containers[0].lifecycle = { postStart: { exec: { command: ["sh", "-c", "env"] } } }))).denied).toEqual([pinned]);
  expect(create(edited((s) => (s.containers[0].readinessProbe = { exec: { command: ["cat", "/var/run/secrets/database-master/password"] } }))).denied).toEqual([pinned]);
});

test("its database settings are fixed: another host or SQL file, an extra, missing or doubled variable is denied", () => {
  const set = (name: string, value: string) => edited((s) => (env(s).find((e: Json) => e.name === name).value = value));
  expect(create(set("PGHOST", "attacker.example")).denied).toEqual([settings]);
  expect(create(set("SETUP_SQL", "/tmp/other.sql")).denied).toEqual([settings]);
  expect(create(set("PGSSLMODE", "disable")).denied).toEqual([settings]);
  expect(create(edited((s) => env(s).push({ name: "PGOPTIONS", value: "-c log_statement=all" }))).denied).toEqual([settings]);
  expect(create(edited((s) => (s.containers[0].env = env(s).filter((e: Json) => e.name !== "PGSSLROOTCERT")))).denied).toEqual([settings]);
  expect(create(edited((s) => env(s).push({ name: "PGHOST", value: "acme-dev.cluster.eu-west-1.rds.amazonaws.com" }))).denied).toEqual([settings]);
});

test("its mounts are fixed: the master secret only from its class, the SQL only from its ConfigMap, nothing else at their paths", () => {
  const volume = (s: Json, name: string) => s.volumes.find((v: Json) => v.name === name);
  expect(create(edited((s) => (volume(s, "master").csi.volumeAttributes.secretProviderClass = "other-db-master"))).denied).toEqual([mounts]);
  expect(create(edited((s) => (volume(s, "sql").configMap.name = "attacker-sql"))).denied).toEqual([mounts]);
  expect(create(edited((s) => (s.volumes = s.volumes.map((v: Json) => (v.name === "sql" ? { name: "sql", emptyDir: {} } : v))))).denied).toEqual([mounts]);
  // Another volume mounted where the SQL is read from.
  expect(create(edited((s) => (s.containers[0].volumeMounts.find((m: Json) => m.name === "sql").name = "tmp"))).denied).toEqual([mounts]);
});

test("pods of any other service account are not this policy's", () => {
  expect(create(edited((s) => (s.serviceAccountName = "default")))).toEqual({ matched: false, denied: [], errors: [] });
  expect(create(edited((s) => delete s.serviceAccountName))).toEqual({ matched: false, denied: [], errors: [] });
});
