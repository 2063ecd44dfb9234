import { TerraformStack, Testing } from "cdktf";
import { AppSecrets, AppSecretsProps, appSecretPrefix, setSecretCommand } from "../../constructs/app-secrets";
import { GithubActionsRole } from "../../constructs/github-actions-role";
import { KubernetesWorkload } from "../../constructs/kubernetes-workload";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const BASE: AppSecretsProps = {
  name: "shop-prod",
  namePrefix: appSecretPrefix("slipway", "shop", "prod"),
  secretNames: ["API_KEY", "SESSION_KEY"],
  accountId: "123456789012",
  region: "eu-west-1",
};
const CLUSTER = { name: "slipway-prod", arn: "arn:aws:eks:eu-west-1:123456789012:cluster/slipway-prod" };
const { one, all, ref } = constructResources("Secrets");

function build(overrides: Partial<AppSecretsProps> = {}, wire: (secrets: AppSecrets, stack: TerraformStack) => void = () => {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const secrets = new AppSecrets(stack, "Secrets", { ...BASE, ...overrides });
  wire(secrets, stack);
  return { secrets, tf: JSON.parse(Testing.synth(stack)) as Json };
}

const policy = (resource: Json) => JSON.parse(resource.policy);

describe("secure defaults", () => {
  const { tf } = build();

  test("each declared name is a Secrets Manager secret <platform>/<app>/<env>/<NAME>, with the app's key, tagged, and no value", () => {
    const secrets = all(tf, "aws_secretsmanager_secret");
    expect(secrets.map((s) => s.name)).toEqual(["slipway/shop/prod/API_KEY", "slipway/shop/prod/SESSION_KEY"]);
    const apiKey = one(tf, "aws_secretsmanager_secret", "Secret-API_KEY");
    expect(apiKey.kms_key_id).toBe(ref(tf, "aws_kms_key", "Key", "arn"));
    expect(apiKey.tags).toEqual({ Name: "slipway/shop/prod/API_KEY", "slipway:secret": "API_KEY" });
    expect(apiKey.recovery_window_in_days).toBe(30);
    expect(apiKey.lifecycle.prevent_destroy).toBe(true);
    // The description tells whoever finds the secret in the console how to set it.
    expect(apiKey.description).toContain("npm run secret -- set shop prod API_KEY");
    // Values are never Terraform's: no version resource, no secret_string anywhere.
    expect(tf.resource.aws_secretsmanager_secret_version).toBeUndefined();
    expect(JSON.stringify(tf)).not.toMatch(/secret_string|secret_binary/);
  });

  test("the key is customer-managed, rotating, with the account's key policy and an alias of the app and environment", () => {
    const key = one(tf, "aws_kms_key", "Key");
    expect(key.enable_key_rotation).toBe(true);
    expect(key.deletion_window_in_days).toBe(30);
    expect(key.lifecycle.prevent_destroy).toBe(true);
    expect(policy(key).Statement).toEqual([
      { Sid: "AccountIam", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
    ]);
    expect(one(tf, "aws_kms_alias", "KeyAlias").name).toBe("alias/slipway/shop/prod/secrets");
  });

  test("no reader role and no grant until a workload is allowed", () => {
    expect(tf.resource.aws_iam_role).toBeUndefined();
    expect(tf.resource.aws_eks_pod_identity_association).toBeUndefined();
  });
});

describe("allowReadFrom", () => {
  const { tf } = build({}, (secrets, stack) => {
    const workload = new KubernetesWorkload(stack, "Workload", {
      name: "shop",
      image: "registry.example/shop:initial",
      port: 8080,
      healthPath: "/healthz",
      replicas: { min: 2, max: 4 },
      nodePort: 30080,
      ingressFromCidrs: ["10.0.0.0/24"],
      secretStore: secrets,
    });
    secrets.allowReadFrom(workload, CLUSTER);
  });
  const arns = [ref(tf, "aws_secretsmanager_secret", "Secret-API_KEY", "arn"), ref(tf, "aws_secretsmanager_secret", "Secret-SESSION_KEY", "arn")];
  const namespace = "${kubernetes_namespace_v1.Workload_Namespace_B295A28A.metadata[0].name}";

  test("the reader may get and describe exactly these secrets, and decrypt with their key only through Secrets Manager", () => {
    const readerPolicy = one(tf, "aws_iam_role_policy", "ReaderPolicy");
    expect(readerPolicy.role).toBe(ref(tf, "aws_iam_role", "ReaderRole", "name"));
    expect(policy(readerPolicy).Statement).toEqual([
      { Sid: "ReadTheseSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: arns },
      {
        Sid: "DecryptThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: ref(tf, "aws_kms_key", "Key", "arn"),
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
      },
    ]);
    // No other policy on the role.
    expect(all(tf, "aws_iam_role_policy")).toHaveLength(1);
    expect(tf.resource.aws_iam_role_policy_attachment).toBeUndefined();
  });

  test("only EKS Pod Identity of this cluster, namespace and service account can assume the reader", () => {
    const role = one(tf, "aws_iam_role", "ReaderRole");
    expect(role.name).toBe("shop-prod-secrets");
    expect(policy({ policy: role.assume_role_policy }).Statement).toEqual([
      {
        Sid: "EksPodIdentity",
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012", "aws:RequestTag/kubernetes-namespace": namespace, "aws:RequestTag/kubernetes-service-account": "shop" },
          ArnEquals: { "aws:SourceArn": CLUSTER.arn },
        },
      },
    ]);
    const association = one(tf, "aws_eks_pod_identity_association", "PodIdentity");
    expect(association).toMatchObject({ cluster_name: "slipway-prod", namespace, service_account: "shop", role_arn: ref(tf, "aws_iam_role", "ReaderRole", "arn") });
  });

  test("fails when called twice", () => {
    expectValidationError(
      () =>
        build({}, (secrets) => {
          secrets.allowReadFrom({ namespace: "shop", serviceAccountName: "shop" }, CLUSTER);
          secrets.allowReadFrom({ namespace: "shop", serviceAccountName: "other" }, CLUSTER);
        }),
      "test/Secrets",
      "allowReadFrom",
      "call allowReadFrom once",
    );
  });
});

describe("grantDescribe", () => {
  const { tf } = build({}, (secrets, stack) => {
    const role = new GithubActionsRole(stack, "DeployRole", {
      name: "shop-prod-deploy",
      oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
      repository: "acme/shop",
      allow: { environments: ["prod"] },
    });
    secrets.grantDescribe(role);
  });

  test("the deploy role can describe these secrets (version stages) but never read a value or use the key", () => {
    const policies = Object.values<Json>(tf.resource.aws_iam_role_policy);
    expect(policies).toHaveLength(1);
    const statements = JSON.parse(policies[0].policy).Statement;
    expect(statements).toEqual([
      {
        Sid: "DescribeAppSecrets",
        Effect: "Allow",
        Action: "secretsmanager:DescribeSecret",
        Resource: [ref(tf, "aws_secretsmanager_secret", "Secret-API_KEY", "arn"), ref(tf, "aws_secretsmanager_secret", "Secret-SESSION_KEY", "arn")],
      },
    ]);
    expect(JSON.stringify(tf.resource.aws_iam_role_policy)).not.toMatch(/GetSecretValue|kms:/);
  });
});

describe("props", () => {
  test("a throwaway environment: short recovery window, destroyable", () => {
    const { tf } = build({ recoveryWindowInDays: 7, preventDestroy: false });
    expect(one(tf, "aws_secretsmanager_secret", "Secret-API_KEY").recovery_window_in_days).toBe(7);
    expect(one(tf, "aws_kms_key", "Key").lifecycle.prevent_destroy).toBe(false);
  });

  test("no secrets: the key alone, and the grants are no-ops", () => {
    const { tf, secrets } = build({ secretNames: [] });
    expect(tf.resource.aws_secretsmanager_secret).toBeUndefined();
    expect(secrets.allowReadFrom({ namespace: "shop", serviceAccountName: "shop" }, CLUSTER)).toBeUndefined();
  });

  test("the set command names the app, environment and secret", () => {
    expect(setSecretCommand("shop", "prod", "API_KEY")).toBe("npm run secret -- set shop prod API_KEY");
  });
});

describe("validation", () => {
  test("fails when a name is not an environment variable name", () => {
    expectValidationError(() => build({ secretNames: ["api-key"] }), "test/Secrets", "secretNames[0]", "an environment variable name");
  });
  test("fails when a name is listed twice", () => {
    expectValidationError(() => build({ secretNames: ["A", "A"] }), "test/Secrets", "secretNames[1]", "names listed once");
  });
  test("fails when the prefix is not a Secrets Manager name path", () => {
    expectValidationError(() => build({ namePrefix: "slipway/shop prod/" }), "test/Secrets", "namePrefix", "a Secrets Manager name path");
  });
  test("fails when the recovery window is outside 7-30 days", () => {
    expectValidationError(() => build({ recoveryWindowInDays: 3 }), "test/Secrets", "recoveryWindowInDays", "from 7 to 30");
  });
  test("fails when the account id is not 12 digits", () => {
    expectValidationError(() => build({ accountId: "1234" }), "test/Secrets", "accountId", "12-digit");
  });
});
