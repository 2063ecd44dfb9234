/**
 * Database access without a password, construct by construct: `KubernetesWorkload`'s `database`
 * (plain connection settings, IAM authentication, the migration's own role and service account),
 * `PostgresDatabase`'s grants (`rds-db:connect` per role, the master secret for one reader),
 * `DatabaseSetup` (the one pod that uses the master secret, and the admission guard that keeps it
 * so) and `PodIdentityRole`.
 */
import { TerraformStack, Testing } from "cdktf";
import { DATABASE_SETUP_SCRIPT, databaseRoleNames, databaseRolesSql } from "../../constructs/database-roles";
import { DATABASE_SETUP_IMAGE, DatabaseSetup } from "../../constructs/database-setup";
import { DATABASE_VARIABLES, KubernetesWorkload, KubernetesWorkloadProps, WorkloadDatabase } from "../../constructs/kubernetes-workload";
import { PodIdentityRole } from "../../constructs/pod-identity-role";
import { PostgresDatabase } from "../../constructs/postgres-database";
import { expectValidationError } from "../support/synthesized";
import { WORKLOAD_PROPS } from "../support/workload";

type Json = Record<string, any>;

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf";
const CLUSTER = { name: "slipway-prod", arn: "arn:aws:eks:eu-west-1:123456789012:cluster/slipway-prod" };
const DATABASE: WorkloadDatabase = {
  host: "shop.abc.eu-west-1.rds.amazonaws.com",
  port: 5432,
  databaseName: "shop",
  username: "shop_app",
  migrationUsername: "shop_owner",
  region: "eu-west-1",
  sslRootCertFile: "/etc/ssl/rds/global-bundle.pem",
};
const BASE: KubernetesWorkloadProps = {
  ...WORKLOAD_PROPS,
  migrateCommand: "python -m migrate",
  database: DATABASE,
};

function synth(overrides: Partial<KubernetesWorkloadProps> = {}): Json {
  const stack = new TerraformStack(Testing.app(), "test");
  new KubernetesWorkload(stack, "Workload", { ...BASE, ...overrides });
  return JSON.parse(Testing.synth(stack));
}
const values = (tf: Json, type: string): Json[] => Object.values(tf.resource[type] ?? {});

describe("KubernetesWorkload database", () => {
  const tf = synth();

  test("where, as whom and how to connect is plain configuration in the ConfigMap; no credential anywhere", () => {
    expect(values(tf, "kubernetes_config_map_v1")[0].data).toEqual({
      DATABASE_HOST: DATABASE.host,
      DATABASE_PORT: "5432",
      DATABASE_NAME: "shop",
      DATABASE_USER: "shop_app",
      DATABASE_AUTH: "iam",
      DATABASE_REGION: "eu-west-1",
      DATABASE_SSLMODE: "verify-full",
      DATABASE_SSLROOTCERT: "/etc/ssl/rds/global-bundle.pem",
    });
    expect(Object.keys(values(tf, "kubernetes_config_map_v1")[0].data).sort()).toEqual([...DATABASE_VARIABLES].sort());
    expect(JSON.stringify(values(tf, "kubernetes_secret_v1"))).not.toMatch(/DATABASE|password/i);
    // Nothing is mounted for the database: no SecretProviderClass, no CSI volume.
    expect(values(tf, "kubernetes_manifest")).toEqual([]);
    expect(JSON.stringify(tf)).not.toMatch(/credentials\.json|secrets\/database/);
  });

  test("the migration runs as the schema owner, under its own service account (so its own Pod Identity)", () => {
    const cron = values(tf, "kubernetes_cron_job_v1")[0];
    const pod = cron.spec.job_template.spec.template.spec;
    expect(pod.service_account_name).toMatch(/^\$\{kubernetes_service_account_v1\.Workload_MigrationServiceAccount_[0-9A-F]{8}\.metadata\[0\]\.name\}$/);
    expect(pod.container[0].env).toEqual([{ name: "DATABASE_USER", value: "shop_owner" }]);
    const accounts = values(tf, "kubernetes_service_account_v1").map((a) => a.metadata.name).sort();
    expect(accounts).toEqual(["shop", "shop-migrate"]);
    // The server pods keep the app's role (from the ConfigMap) and the app's service account.
    const server = values(tf, "kubernetes_deployment_v1")[0].spec.template.spec;
    expect(server.service_account_name).toMatch(/Workload_ServiceAccount_/);
    expect(server.container[0].env).toBeUndefined();
  });

  test("without database: no DATABASE_ variables", () => {
    const plain = synth({ database: undefined });
    expect(JSON.stringify(plain)).not.toContain("DATABASE_");
  });

  test.each([...DATABASE_VARIABLES])("fails when env also sets %s", (name) => {
    expectValidationError(() => synth({ env: { [name]: "x" } }), "test/Workload", "database", /^none of DATABASE_HOST, .* database sets them$/);
  });

  test("fails when a secret store also names DATABASE_USER", () => {
    expectValidationError(() => synth({ secretStore: { region: "eu-west-1", secretIds: { DATABASE_USER: SECRET_ARN } } }), "test/Workload", "database", /secretStore/);
  });

  test("fails when sslRootCertFile is not an absolute path", () => {
    expectValidationError(() => synth({ database: { ...DATABASE, sslRootCertFile: "global-bundle.pem" } }), "test/Workload", "database.sslRootCertFile", /^an absolute file path/);
  });

  test.each(["username", "migrationUsername"] as const)("fails when %s is not a role name", (field) => {
    expectValidationError(() => synth({ database: { ...DATABASE, [field]: "Shop-App" } }), "test/Workload", `database.${field}`, /^a PostgreSQL role name/);
  });

  test("fails when the port is out of range", () => {
    expectValidationError(() => synth({ database: { ...DATABASE, port: 70000 } }), "test/Workload", "database.port", /./);
  });

  test("allowDeployToRun lets deploy read (never patch) a template made elsewhere, and create and watch Jobs", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const workload = new KubernetesWorkload(stack, "Workload", { ...WORKLOAD_PROPS, database: DATABASE });
    workload.allowDeployToRun("shop-db-setup");
    workload.grantDeploy("slipway-deploy:shop-prod");
    const role = values(JSON.parse(Testing.synth(stack)), "kubernetes_role_v1")[0];
    expect(role.rule.filter((r: Json) => r.api_groups[0] === "batch")).toEqual([
      { api_groups: ["batch"], resources: ["cronjobs"], resource_names: ["shop-db-setup"], verbs: ["get"] },
      { api_groups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch"] },
    ]);
    expectValidationError(() => workload.allowDeployToRun("other"), "test/Workload", "allowDeployToRun", /before grantDeploy/);
  });
});

describe("PostgresDatabase grants", () => {
  function build(): { stack: TerraformStack; database: PostgresDatabase; server: PodIdentityRole; setup: PodIdentityRole } {
    const stack = new TerraformStack(Testing.app(), "test");
    const database = new PostgresDatabase(stack, "Database", {
      name: "shop-prod",
      network: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] },
      accountId: "123456789012",
      region: "eu-west-1",
      databaseName: "shop",
    });
    const identity = (id: string, serviceAccountName: string) =>
      new PodIdentityRole(stack, id, { roleName: `shop-prod-${id}`, description: id, accountId: "123456789012", cluster: CLUSTER, namespace: "shop", serviceAccountName });
    return { stack, database, server: identity("server", "shop"), setup: identity("setup", "shop-db-setup") };
  }
  const policies = (tf: Json) => Object.fromEntries(values(tf, "aws_iam_role_policy").map((p) => [`${p.role.match(/IamRole\.|aws_iam_role\.([a-z]+)_/)?.[1]}/${p.name}`, JSON.parse(p.policy).Statement]));

  test("roles are <databaseName>_owner and <databaseName>_app, in schema <databaseName>", () => {
    expect(build().database.roles).toEqual({ owner: "shop_owner", app: "shop_app", schema: "shop" });
  });

  test("grantConnect allows rds-db:connect as exactly one database user of this instance", () => {
    const { stack, database, server } = build();
    database.grantConnect(server, database.roles.app);
    const tf = JSON.parse(Testing.synth(stack));
    const resourceId = `\${${`aws_db_instance.${Object.keys(tf.resource.aws_db_instance)[0]}`}.resource_id}`;
    expect(policies(tf)["server/connect-as-shop_app"]).toEqual([
      { Sid: "ConnectWithIamAuthentication", Effect: "Allow", Action: "rds-db:connect", Resource: `arn:aws:rds-db:eu-west-1:123456789012:dbuser:${resourceId}/shop_app` },
    ]);
    expect(Object.values(tf.resource.aws_db_instance)[0]).toMatchObject({ iam_database_authentication_enabled: true });
  });

  test("grantMasterSecretRead allows reading exactly the master secret, decrypting with the database's key through Secrets Manager only", () => {
    const { stack, database, setup } = build();
    database.grantMasterSecretRead(setup);
    const tf = JSON.parse(Testing.synth(stack));
    const db = `aws_db_instance.${Object.keys(tf.resource.aws_db_instance)[0]}`;
    const key = `aws_kms_key.${Object.keys(tf.resource.aws_kms_key)[0]}`;
    expect(policies(tf)["setup/read-database-master-secret"]).toEqual([
      { Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: `\${${db}.master_user_secret[0].secret_arn}` },
      { Sid: "DecryptMasterSecretThroughSecretsManager", Effect: "Allow", Action: "kms:Decrypt", Resource: `\${${key}.arn}`, Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } } },
    ]);
  });

  test("fails when grantConnect names the master user", () => {
    const { database, server } = build();
    expectValidationError(() => database.grantConnect(server, "app_admin"), "test/Database", "grantConnect.username", /never the master user app_admin/);
  });

  test("a Pod Identity role is assumable only by this cluster's Pod Identity, for one namespace and service account", () => {
    const { stack } = build();
    const tf = JSON.parse(Testing.synth(stack));
    const role = values(tf, "aws_iam_role").find((r) => r.name === "shop-prod-setup")!;
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Sid: "EksPodIdentity",
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012", "aws:RequestTag/kubernetes-namespace": "shop", "aws:RequestTag/kubernetes-service-account": "shop-db-setup" },
          ArnEquals: { "aws:SourceArn": CLUSTER.arn },
        },
      },
    ]);
    expect(values(tf, "aws_eks_pod_identity_association").map((a) => a.service_account).sort()).toEqual(["shop", "shop-db-setup"]);
  });
});

describe("DatabaseSetup", () => {
  const stack = new TerraformStack(Testing.app(), "test");
  const setup = new DatabaseSetup(stack, "DatabaseSetup", {
    name: "shop",
    namespace: "shop",
    database: { host: DATABASE.host, port: 5432, databaseName: "shop", masterUserSecretArn: SECRET_ARN, region: "eu-west-1", roles: databaseRoleNames("shop") },
    caBundle: { configMapName: "shop-files", file: "global-bundle.pem" },
  });
  const tf = JSON.parse(Testing.synth(stack));
  const manifest = (kind: string) => values(tf, "kubernetes_manifest").map((m) => m.manifest).find((m) => m.kind === kind)!;

  test("the template runs the pinned psql image with Slipway's script and SQL, as its own service account, hardened like the app's pods", () => {
    const cron = values(tf, "kubernetes_cron_job_v1")[0];
    expect(cron.metadata.name).toBe("shop-db-setup");
    expect(cron.spec).toMatchObject({ suspend: true, schedule: "0 0 31 2 *", concurrency_policy: "Forbid" });
    const pod = cron.spec.job_template.spec.template.spec;
    expect(pod.service_account_name).toMatch(/DatabaseSetup_ServiceAccount_/);
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, run_as_user: "10001" });
    const [container] = pod.container;
    expect(DATABASE_SETUP_IMAGE).toMatch(/^docker\.io\/library\/postgres:\d+\.\d+-alpine@sha256:[0-9a-f]{64}$/);
    expect(container.image).toBe(DATABASE_SETUP_IMAGE);
    expect(container.command).toEqual(["/bin/sh", "-c", DATABASE_SETUP_SCRIPT]);
    expect(Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]))).toEqual({
      PGHOST: DATABASE.host,
      PGPORT: "5432",
      PGDATABASE: "shop",
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: "/etc/slipway/ca/global-bundle.pem",
      PGCONNECT_TIMEOUT: "10",
      PGAPPNAME: "shop-db-setup",
      MASTER_SECRET_DIR: "/var/run/secrets/database-master",
      SETUP_SQL: "/etc/slipway/db-setup/setup.sql",
      HOME: "/tmp",
    });
    expect(container.security_context).toMatchObject({ read_only_root_filesystem: true, allow_privilege_escalation: false, capabilities: { drop: ["ALL"] } });
    const sql = values(tf, "kubernetes_config_map_v1")[0];
    expect(sql.data).toEqual({ "setup.sql": databaseRolesSql("shop") });
    expect(setup.serviceAccountName).toBe("shop-db-setup");
  });

  test("the master secret is mounted as username and password files, for this pod only, never as a Kubernetes Secret", () => {
    const spc = manifest("SecretProviderClass");
    expect(spc.metadata.name).toBe("shop-db-master");
    expect(spc.spec.secretObjects).toBeUndefined();
    expect(JSON.parse(spc.spec.parameters.objects)).toEqual([
      { objectName: SECRET_ARN, objectType: "secretsmanager", objectAlias: "master.json", jmesPath: [{ path: "username", objectAlias: "username" }, { path: "password", objectAlias: "password" }] },
    ]);
  });

  test("an admission guard, bound to the namespace, admits pods of the setup service account only as the setup pod; the template waits for it", () => {
    const policy = manifest("ValidatingAdmissionPolicy");
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConditions).toEqual([{ name: "runs-as-the-setup-service-account", expression: 'has(object.spec.serviceAccountName) && object.spec.serviceAccountName == "shop-db-setup"' }]);
    const rules = policy.spec.validations.map((v: Json) => v.expression).join("\n");
    expect(rules).toContain(`object.spec.containers[0].image == ${JSON.stringify(DATABASE_SETUP_IMAGE)}`);
    expect(rules).toContain(`object.spec.containers[0].command == ["/bin/sh", "-c", ${JSON.stringify(DATABASE_SETUP_SCRIPT)}]`);
    for (const field of ["args", "envFrom", "lifecycle", "livenessProbe", "readinessProbe", "startupProbe"]) expect(rules).toContain(`!has(object.spec.containers[0].${field})`);
    expect(rules).toContain('"PGHOST": "shop.abc.eu-west-1.rds.amazonaws.com"');
    expect(rules).toContain("!has(object.spec.initContainers) && !has(object.spec.ephemeralContainers)");
    const binding = manifest("ValidatingAdmissionPolicyBinding");
    expect(binding.spec).toEqual({ policyName: "slipway-shop-db-setup", validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } } });
    const cron = values(tf, "kubernetes_cron_job_v1")[0];
    expect(cron.depends_on).toEqual([expect.stringMatching(/MasterSecret/), expect.stringMatching(/GuardBinding/)]);
  });
});
