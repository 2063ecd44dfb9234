/**
 * The app's database credentials reach its pods only at run time: the RDS-managed master secret,
 * mounted by the Secrets Store CSI driver with the pods' own Pod Identity role. No Terraform data
 * source or resource reads or holds the password, so plans and state carry none and the read-only
 * plan role (which may not GetSecretValue) plans every `<app>-<env>` stack.
 */
import { examplePlatform, resourceAt, synthAll } from "../support/platform";
import { PLAN_DENIED_ACTIONS } from "../../stacks/bootstrap-stack";

type Json = any;

const stacks = synthAll(examplePlatform());
const appStacks = Object.entries<Json>(stacks).filter(([name]) => /^hello-(dev|staging|prod)$/.test(name));
const prod = stacks["hello-prod"];
const dbAddress = (stack: Json) => `aws_db_instance.${Object.keys(stack.resource.aws_db_instance)[0]}`;
const dbKey = (stack: Json) => {
  const [name] = Object.entries<Json>(stack.resource.aws_kms_key).find(([, body]) => String(body["//"].metadata.path).endsWith("/Database/Key"))!;
  return `\${aws_kms_key.${name}.arn}`;
};

/** Every string in `value`, with its path. */
function strings(value: Json, at = ""): Array<[string, string]> {
  if (typeof value === "string") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

/** An interpolation that would put a secret's value (or a password attribute) into a string. */
const PASSWORD_SHAPED = /\$\{[^}]*(secret_string|secret_binary|password|jsondecode|secretsmanager_secret_version)[^}]*\}/;
/** A connection URL with credentials in it. */
const URL_WITH_CREDENTIALS = /postgres(ql)?:\/\/[^/@\s]*:[^/@\s]*@/;

describe("every synthesized stack", () => {
  test("reads and holds no database password: no aws_secretsmanager_secret_version data source or resource", () => {
    expect(Object.keys(stacks).length).toBeGreaterThan(6);
    for (const [name, stack] of Object.entries<Json>(stacks)) {
      expect([name, stack.data?.aws_secretsmanager_secret_version, stack.resource?.aws_secretsmanager_secret_version]).toEqual([name, undefined, undefined]);
    }
  });

  test("no Kubernetes Secret, ConfigMap, container env or output holds a password-shaped interpolation or a URL with credentials", () => {
    let checked = 0;
    for (const [name, stack] of Object.entries<Json>(stacks)) {
      const holders = [
        ...Object.values<Json>(stack.resource?.kubernetes_secret_v1 ?? {}).map((s) => s.data),
        ...Object.values<Json>(stack.resource?.kubernetes_config_map_v1 ?? {}).map((c) => c.data),
        ...Object.values<Json>(stack.resource?.kubernetes_deployment_v1 ?? {}).map((d) => d.spec),
        ...Object.values<Json>(stack.resource?.kubernetes_cron_job_v1 ?? {}).map((c) => c.spec),
        stack.output,
      ];
      for (const [at, value] of holders.flatMap((h) => strings(h ?? {}))) {
        checked++;
        expect({ name, at, value, shaped: PASSWORD_SHAPED.test(value) || URL_WITH_CREDENTIALS.test(value) }).toEqual({ name, at, value, shaped: false });
      }
    }
    // Not vacuous: the app stacks' ConfigMaps and pods were looked at.
    expect(checked).toBeGreaterThan(100);
  });

  test("the plan role's denials cover reading secret values, and no app stack needs it to plan", () => {
    expect(PLAN_DENIED_ACTIONS).toEqual(expect.arrayContaining(["secretsmanager:GetSecretValue", "kms:Decrypt"]));
    for (const [name, stack] of appStacks) expect([name, Object.keys(stack.data ?? {}).filter((type) => /secretsmanager|kms_secret|ssm_parameter/.test(type))]).toEqual([name, []]);
  });
});

describe("the pods get their credentials at run time from the RDS-managed secret", () => {
  test.each(appStacks.map(([name]) => name))("%s: a SecretProviderClass mounts exactly the database's master secret as credentials.json, with the pods' identity, never synced into a Kubernetes Secret", (name) => {
    const stack = stacks[name];
    const spc = resourceAt(stack, "kubernetes_manifest", "Workload/DatabaseCredentials").manifest;
    expect(spc).toMatchObject({ apiVersion: "secrets-store.csi.x-k8s.io/v1", kind: "SecretProviderClass", metadata: { name: "hello-database" }, spec: { provider: "aws" } });
    expect(spc.spec.parameters.usePodIdentity).toBe("true");
    expect(spc.spec.parameters.region).toBe(stack.provider.aws.find((p: Json) => !p.alias).region);
    expect(JSON.parse(spc.spec.parameters.objects)).toEqual([
      { objectName: `\${${dbAddress(stack)}.master_user_secret[0].secret_arn}`, objectType: "secretsmanager", objectAlias: "credentials.json" },
    ]);
    expect(spc.spec.secretObjects).toBeUndefined();
  });

  test("the app and migration pods mount it read-only where DATABASE_CREDENTIALS_FILE points, and both wait for it", () => {
    const config = resourceAt(prod, "kubernetes_config_map_v1", "Workload/Config").data;
    expect(config.DATABASE_CREDENTIALS_FILE).toBe("/var/run/secrets/database/credentials.json");
    const deployment = resourceAt(prod, "kubernetes_deployment_v1", "Workload/Resource");
    const cron = resourceAt(prod, "kubernetes_cron_job_v1", "Workload/MigrationTemplate");
    const spcAddress = `kubernetes_manifest.${Object.entries<Json>(prod.resource.kubernetes_manifest).find(([, b]) => String(b["//"].metadata.path).endsWith("/Workload/DatabaseCredentials"))![0]}`;
    for (const [resource, pod] of [
      [deployment, deployment.spec.template.spec],
      [cron, cron.spec.job_template.spec.template.spec],
    ]) {
      expect(pod.volume).toContainEqual({ name: "database-credentials", csi: { driver: "secrets-store.csi.k8s.io", read_only: true, volume_attributes: { secretProviderClass: "hello-database" } } });
      expect(pod.container[0].volume_mount).toContainEqual({ name: "database-credentials", mount_path: "/var/run/secrets/database", read_only: true });
      expect(resource.depends_on).toContain(spcAddress);
    }
  });

  test.each(appStacks.map(([name]) => name))("%s: the pods' reader role may GetSecretValue on exactly the master secret and decrypt with the database's key through Secrets Manager only", (name) => {
    const stack = stacks[name];
    const statements = JSON.parse(resourceAt(stack, "aws_iam_role_policy", "Secrets/ReaderPolicy").policy).Statement;
    const region = stack.provider.aws.find((p: Json) => !p.alias).region;
    expect(statements.filter((s: Json) => /Granted/.test(s.Sid))).toEqual([
      { Sid: "ReadGrantedSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: [`\${${dbAddress(stack)}.master_user_secret[0].secret_arn}`] },
      {
        Sid: "DecryptGrantedSecretsThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: [dbKey(stack)],
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
      },
    ]);
    // Bound to the app's service account in its namespace by Pod Identity.
    const association = resourceAt(stack, "aws_eks_pod_identity_association", "Secrets/PodIdentity");
    expect(association.service_account).toBe("hello");
    // The master secret is encrypted with that key (so the grant is the one that matters).
    expect(resourceAt(stack, "aws_db_instance", "Database/Resource")).toMatchObject({ manage_master_user_password: true, master_user_secret_kms_key_id: dbKey(stack) });
  });

  test("the deploy role still cannot read it: no GetSecretValue, no kms:Decrypt", () => {
    const deployPolicies = Object.entries<Json>(prod.resource.aws_iam_role_policy).filter(([, b]) => String(b["//"].metadata.path).includes("/DeployRole/"));
    expect(deployPolicies.length).toBeGreaterThan(0);
    expect(JSON.stringify(deployPolicies)).not.toMatch(/GetSecretValue|kms:Decrypt/);
  });

  test("the CSI driver re-reads mounted secrets on a schedule: rotation reaches the file without a restart", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const addon = Object.values<Json>(stacks[`platform-${env}`].resource.aws_eks_addon).find((a) => a.addon_name === "aws-secrets-store-csi-driver-provider");
      expect(JSON.parse(addon.configuration_values)["secrets-store-csi-driver"]).toMatchObject({ enableSecretRotation: true, rotationPollInterval: "2m" });
    }
  });
});
