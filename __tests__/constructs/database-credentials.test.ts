/**
 * Database credentials at run time, construct by construct: `KubernetesWorkload`'s `database`
 * (plain connection settings, the credentials secret mounted as a file) and `AppSecrets`'
 * `readableSecrets` (the pods' reader role may read exactly those secrets and keys).
 */
import { TerraformStack, Testing } from "cdktf";
import { AppSecrets } from "../../constructs/app-secrets";
import { DATABASE_CREDENTIALS_FILE, DATABASE_VARIABLES, KubernetesWorkload, KubernetesWorkloadProps, WorkloadDatabase } from "../../constructs/kubernetes-workload";
import { expectValidationError } from "../support/synthesized";
import { WORKLOAD_PROPS } from "../support/workload";

type Json = Record<string, any>;

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-2222-bbbb-3333-cccc4444dddd";
const DATABASE: WorkloadDatabase = {
  host: "shop.abc.eu-west-1.rds.amazonaws.com",
  port: 5432,
  databaseName: "shop",
  credentialsSecretArn: SECRET_ARN,
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

  test("where and how to connect is plain configuration in the ConfigMap; who is only in the mounted file", () => {
    expect(values(tf, "kubernetes_config_map_v1")[0].data).toEqual({
      DATABASE_HOST: DATABASE.host,
      DATABASE_PORT: "5432",
      DATABASE_NAME: "shop",
      DATABASE_SSLMODE: "verify-full",
      DATABASE_SSLROOTCERT: "/etc/ssl/rds/global-bundle.pem",
      DATABASE_CREDENTIALS_FILE: "/var/run/secrets/database/credentials.json",
    });
    expect(Object.keys(values(tf, "kubernetes_config_map_v1")[0].data).sort()).toEqual([...DATABASE_VARIABLES].sort());
    expect(JSON.stringify(values(tf, "kubernetes_secret_v1"))).not.toMatch(/DATABASE|password/i);
  });

  test("the SecretProviderClass <name>-database mounts exactly the credentials secret as one file, with Pod Identity, and syncs no Kubernetes Secret", () => {
    const manifests = values(tf, "kubernetes_manifest").map((m) => m.manifest);
    expect(manifests).toHaveLength(1);
    expect(manifests[0].metadata.name).toBe("shop-database");
    expect(manifests[0].spec.parameters).toEqual({
      region: "eu-west-1",
      usePodIdentity: "true",
      objects: JSON.stringify([{ objectName: SECRET_ARN, objectType: "secretsmanager", objectAlias: "credentials.json" }]),
    });
    expect(manifests[0].spec.secretObjects).toBeUndefined();
    expect(DATABASE_CREDENTIALS_FILE).toBe("/var/run/secrets/database/credentials.json");
  });

  test("the app and migration containers mount it read-only, and the CronJob waits for the class too", () => {
    const deployment = values(tf, "kubernetes_deployment_v1")[0];
    const cron = values(tf, "kubernetes_cron_job_v1")[0];
    for (const pod of [deployment.spec.template.spec, cron.spec.job_template.spec.template.spec]) {
      expect(pod.volume).toContainEqual({ name: "database-credentials", csi: { driver: "secrets-store.csi.k8s.io", read_only: true, volume_attributes: { secretProviderClass: "shop-database" } } });
      expect(pod.container[0].volume_mount).toContainEqual({ name: "database-credentials", mount_path: "/var/run/secrets/database", read_only: true });
    }
    for (const resource of [deployment, cron]) expect(resource.depends_on).toEqual([expect.stringMatching(/^kubernetes_manifest\.Workload_DatabaseCredentials_[0-9A-F]{8}$/)]);
  });

  test("without database: no credentials mount, no DATABASE_ variables", () => {
    const plain = synth({ database: undefined });
    expect(values(plain, "kubernetes_manifest")).toEqual([]);
    expect(JSON.stringify(plain)).not.toContain("DATABASE_");
  });

  test.each([...DATABASE_VARIABLES])("fails when env also sets %s", (name) => {
    expectValidationError(() => synth({ env: { [name]: "x" } }), "test/Workload", "database", /^none of DATABASE_HOST, .* database sets them$/);
  });

  test("fails when a secret store also names DATABASE_HOST", () => {
    expectValidationError(() => synth({ secretStore: { region: "eu-west-1", secretIds: { DATABASE_HOST: SECRET_ARN } } }), "test/Workload", "database", /secretStore/);
  });

  test("fails when sslRootCertFile is not an absolute path", () => {
    expectValidationError(() => synth({ database: { ...DATABASE, sslRootCertFile: "global-bundle.pem" } }), "test/Workload", "database.sslRootCertFile", /^an absolute file path/);
  });

  test("fails when a secret store's DATABASE_CREDENTIALS would set DATABASE_CREDENTIALS_FILE", () => {
    expectValidationError(() => synth({ secretStore: { region: "eu-west-1", secretIds: { DATABASE_CREDENTIALS: SECRET_ARN } } }), "test/Workload", "database", /secretStore/);
  });

  test("fails when the port is out of range", () => {
    expectValidationError(() => synth({ database: { ...DATABASE, port: 70000 } }), "test/Workload", "database.port", /./);
  });
});

describe("AppSecrets readableSecrets", () => {
  const CLUSTER = { name: "slipway-prod", arn: "arn:aws:eks:eu-west-1:123456789012:cluster/slipway-prod" };
  function build(secretNames: string[]): Json {
    const stack = new TerraformStack(Testing.app(), "test");
    const secrets = new AppSecrets(stack, "Secrets", {
      name: "shop-prod",
      namePrefix: "slipway/shop/prod",
      secretNames,
      accountId: "123456789012",
      region: "eu-west-1",
      readableSecrets: [{ secretArn: SECRET_ARN, kmsKeyArn: KEY_ARN }],
    });
    secrets.allowReadFrom({ namespace: "shop", serviceAccountName: "shop" }, CLUSTER);
    return JSON.parse(Testing.synth(stack));
  }

  test("with no app secret, the reader role still exists and may read exactly the granted secret, decrypting through Secrets Manager only", () => {
    const tf = build([]);
    expect(values(tf, "aws_iam_role")).toHaveLength(1);
    expect(values(tf, "aws_eks_pod_identity_association")).toHaveLength(1);
    expect(JSON.parse(values(tf, "aws_iam_role_policy")[0].policy).Statement).toEqual([
      { Sid: "ReadGrantedSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: [SECRET_ARN] },
      {
        Sid: "DecryptGrantedSecretsThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: [KEY_ARN],
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
      },
    ]);
  });

  test("with app secrets, each set keeps its own statement: the app's key never decrypts the granted secret's and vice versa", () => {
    const statements = JSON.parse(values(build(["API_KEY"]), "aws_iam_role_policy")[0].policy).Statement;
    expect(statements.map((s: Json) => [s.Sid, s.Resource])).toEqual([
      ["ReadTheseSecrets", [expect.stringMatching(/^\$\{aws_secretsmanager_secret\.Secrets_Secret-API_KEY_[0-9A-F]{8}\.arn\}$/)]],
      ["DecryptThroughSecretsManager", expect.stringMatching(/^\$\{aws_kms_key\.Secrets_Key_[0-9A-F]{8}\.arn\}$/)],
      ["ReadGrantedSecrets", [SECRET_ARN]],
      ["DecryptGrantedSecretsThroughSecretsManager", [KEY_ARN]],
    ]);
  });
});
