/**
 * No password reaches an app's pods, its stack or its state: the server connects as `<db>_app`
 * and the migration as `<db>_owner`, each with IAM database authentication through its own EKS
 * Pod Identity role, allowed `rds-db:connect` as that user only. The RDS-managed master secret is
 * read by exactly one identity, the `<app>-db-setup` Job's, which runs Slipway's role SQL; no
 * Terraform data source or resource reads its value, so the read-only plan role plans every stack.
 */
import { examplePlatform, resourceAt, resourcesByPath, synthAll } from "../support/platform";
import { PLAN_DENIED_ACTIONS } from "../../stacks/bootstrap-stack";
import { DATABASE_SETUP_IMAGE } from "../../constructs/database-setup";
import { PREVIOUS_SERVER_ASSOCIATION } from "../../stacks/app-environment-stack";
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";

type Json = any;

const stacks = synthAll(examplePlatform());
const appStacks = Object.entries<Json>(stacks).filter(([name]) => /^hello-(dev|staging|prod)$/.test(name));
const prod = stacks["hello-prod"];
const dbAddress = (stack: Json) => `aws_db_instance.${Object.keys(stack.resource.aws_db_instance)[0]}`;
const dbKey = (stack: Json) => {
  const [name] = Object.entries<Json>(stack.resource.aws_kms_key).find(([, body]) => String(body["//"].metadata.path).endsWith("/Database/Key"))!;
  return `\${aws_kms_key.${name}.arn}`;
};
const region = (stack: Json) => stack.provider.aws.find((p: Json) => !p.alias).region;
const account = (stack: Json) => JSON.parse(resourceAt(stack, "aws_iam_role", "ServerIdentity/Resource").assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"];
/** Every inline policy of the stack by construct path, as statements. */
const policies = (stack: Json): Record<string, Json[]> =>
  Object.fromEntries(Object.entries<Json>(resourcesByPath(stack, "aws_iam_role_policy")).map(([p, body]) => [p.split("/").slice(1).join("/"), JSON.parse(body.policy).Statement]));

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

describe.each(appStacks.map(([name]) => name))("%s: each pod connects as its own role, with IAM authentication", (name) => {
  const stack = stacks[name];
  const connectArn = (user: string) => `arn:aws:rds-db:${region(stack)}:${account(stack)}:dbuser:\${${dbAddress(stack)}.resource_id}/${user}`;

  test("the instance has IAM database authentication on", () => {
    expect(resourceAt(stack, "aws_db_instance", "Database/Resource")).toMatchObject({ iam_database_authentication_enabled: true, manage_master_user_password: true });
  });

  test("the server's role may rds-db:connect as hello_app only; the migration's as hello_owner only; nothing else may connect", () => {
    const all = policies(stack);
    expect(all["ServerIdentity/Policy-connect-as-hello_app"]).toEqual([{ Sid: "ConnectWithIamAuthentication", Effect: "Allow", Action: "rds-db:connect", Resource: connectArn("hello_app") }]);
    expect(all["MigrationIdentity/Policy-connect-as-hello_owner"]).toEqual([{ Sid: "ConnectWithIamAuthentication", Effect: "Allow", Action: "rds-db:connect", Resource: connectArn("hello_owner") }]);
    const connecting = Object.entries(all).filter(([, statements]) => JSON.stringify(statements).includes("rds-db"));
    // dev hosts the previews: their database Job may connect as the manager role only (it can only run Slipway's preview functions).
    const previews = name === "hello-dev" ? ["PreviewDatabaseIdentity/Policy-connect-as-hello_previews"] : [];
    if (previews.length) expect(all[previews[0]]).toEqual([{ Sid: "ConnectWithIamAuthentication", Effect: "Allow", Action: "rds-db:connect", Resource: connectArn("hello_previews") }]);
    expect(connecting.map(([p]) => p).sort()).toEqual(["MigrationIdentity/Policy-connect-as-hello_owner", ...previews, "ServerIdentity/Policy-connect-as-hello_app"]);
  });

  test("each identity is bound by Pod Identity to its own service account in the app's namespace", () => {
    const bound = Object.fromEntries(
      ["ServerIdentity", "MigrationIdentity", "DatabaseSetupIdentity"].map((id) => {
        const association = resourceAt(stack, "aws_eks_pod_identity_association", `${id}/Association`);
        const trust = JSON.parse(resourceAt(stack, "aws_iam_role", `${id}/Resource`).assume_role_policy).Statement[0];
        expect(trust.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
        expect(trust.Condition.StringEquals["aws:RequestTag/kubernetes-service-account"]).toBe(association.service_account);
        return [id, association.service_account];
      }),
    );
    expect(bound).toEqual({ ServerIdentity: "hello", MigrationIdentity: "hello-migrate", DatabaseSetupIdentity: "hello-db-setup" });
    // In dev, which hosts the previews, a fourth: the previews' database Job, in the previews' own namespace.
    expect(Object.keys(resourcesByPath(stack, "aws_eks_pod_identity_association"))).toHaveLength(name === "hello-dev" ? 4 : 3);
    if (name === "hello-dev") {
      expect(resourceAt(stack, "aws_eks_pod_identity_association", "PreviewDatabaseIdentity/Association")).toMatchObject({
        namespace: expect.stringMatching(/^\$\{kubernetes_namespace_v1\.Previews_Namespace_\w+\.metadata\[0\]\.name\}$/),
        service_account: expect.stringMatching(/^\$\{kubernetes_service_account_v1\.Previews_DatabaseServiceAccount_\w+\.metadata\[0\]\.name\}$/),
      });
    }
  });

  test("only the setup Job's role may read the master secret: GetSecretValue on exactly it, decrypting with the database's key through Secrets Manager only", () => {
    const all = policies(stack);
    expect(all["DatabaseSetupIdentity/Policy-read-database-master-secret"]).toEqual([
      { Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: `\${${dbAddress(stack)}.master_user_secret[0].secret_arn}` },
      {
        Sid: "DecryptMasterSecretThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: dbKey(stack),
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region(stack)}.amazonaws.com` } },
      },
    ]);
    const readers = Object.entries(all).filter(([, statements]) => JSON.stringify(statements).includes("master_user_secret"));
    expect(readers.map(([p]) => p)).toEqual(["DatabaseSetupIdentity/Policy-read-database-master-secret"]);
    // Nor may any role decrypt with the database's key but that one.
    const decrypting = Object.entries(all).filter(([, statements]) => JSON.stringify(statements).includes(dbKey(stack)));
    expect(decrypting.map(([p]) => p)).toEqual(["DatabaseSetupIdentity/Policy-read-database-master-secret"]);
  });

  test("the pods mount no database credentials: only the setup Job's SecretProviderClass names the master secret", () => {
    const manifests = Object.entries<Json>(resourcesByPath(stack, "kubernetes_manifest")).filter(([, m]) => JSON.stringify(m).includes("master_user_secret"));
    expect(manifests.map(([p]) => p.split("/").slice(1).join("/"))).toEqual(["DatabaseSetup/MasterSecret"]);
    for (const suffix of ["Workload/Resource"]) expect(JSON.stringify(resourceAt(stack, "kubernetes_deployment_v1", suffix))).not.toMatch(/db-master|secrets\/database/);
    expect(JSON.stringify(resourceAt(stack, "kubernetes_cron_job_v1", "Workload/MigrationTemplate"))).not.toMatch(/db-master|secrets\/database/);
  });
});

describe("the database setup Job and the deploy role", () => {
  test("the setup template runs the pinned image against this database, with the RDS CAs, as hello-db-setup", () => {
    const cron = resourceAt(prod, "kubernetes_cron_job_v1", "DatabaseSetup/Resource");
    const pod = cron.spec.job_template.spec.template.spec;
    const env = Object.fromEntries(pod.container[0].env.map((e: Json) => [e.name, e.value]));
    expect(pod.container[0].image).toBe(DATABASE_SETUP_IMAGE);
    expect(env).toMatchObject({ PGHOST: `\${${dbAddress(prod)}.address}`, PGPORT: "5432", PGDATABASE: "hello", PGSSLMODE: "verify-full", PGSSLROOTCERT: "/etc/slipway/ca/global-bundle.pem" });
    const filesMap = Object.entries<Json>(prod.resource.kubernetes_config_map_v1).find(([, b]) => String(b["//"].metadata.path).endsWith("/Workload/Files"))![0];
    expect(pod.volume).toContainEqual({ name: "ca", config_map: { name: `\${kubernetes_config_map_v1.${filesMap}.metadata[0].name}`, default_mode: "0444" } });
    expect(resourceAt(prod, "kubernetes_service_account_v1", "DatabaseSetup/ServiceAccount").metadata.name).toBe("hello-db-setup");
  });

  test("the deploy role may run the setup template (get) but never change it (no patch), and still reads no secret", () => {
    const role = resourceAt(prod, "kubernetes_role_v1", "Workload/DeployRole");
    const cronRules = role.rule.filter((r: Json) => r.resources.includes("cronjobs"));
    expect(cronRules).toEqual([
      { api_groups: ["batch"], resources: ["cronjobs"], resource_names: ["hello-migrate", "hello-integration-test"], verbs: ["get", "patch"] },
      { api_groups: ["batch"], resources: ["cronjobs"], resource_names: ["hello-db-setup"], verbs: ["get"] },
    ]);
    const deployPolicies = Object.entries<Json>(prod.resource.aws_iam_role_policy).filter(([, b]) => String(b["//"].metadata.path).includes("/DeployRole/"));
    expect(deployPolicies.length).toBeGreaterThan(0);
    expect(JSON.stringify(deployPolicies)).not.toMatch(/GetSecretValue|kms:Decrypt|rds-db/);
  });
});

describe("upgrading a deployed app stack", () => {
  test("the server's Pod Identity association is moved from where AppSecrets kept it (Secrets/PodIdentity), not created a second time for the same service account", () => {
    // The address a construct at Secrets/PodIdentity gets, computed as cdktf does for any stack.
    const scratch = new TerraformStack(Testing.app(), "scratch");
    const old = new EksPodIdentityAssociation(new Construct(scratch, "Secrets"), "PodIdentity", { clusterName: "c", namespace: "n", serviceAccount: "s", roleArn: "r" });
    expect(PREVIOUS_SERVER_ASSOCIATION).toBe(old.friendlyUniqueId);
    const [address] = Object.entries<Json>(prod.resource.aws_eks_pod_identity_association).find(([, b]) => String(b["//"].metadata.path).endsWith("/ServerIdentity/Association"))!;
    expect(prod.moved).toContainEqual({ from: `aws_eks_pod_identity_association.${PREVIOUS_SERVER_ASSOCIATION}`, to: `aws_eks_pod_identity_association.${address}` });
  });
});
