import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { ContainerRegistry, ContainerRegistryProps } from "../../constructs/container-registry";
import { expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const BASE: ContainerRegistryProps = { name: "shop/api", accountId: "123456789012", region: "eu-west-1" };
const REPO_ARN = "${aws_ecr_repository.Registry_4DB9CCA5.arn}";

function synth(overrides: Partial<ContainerRegistryProps> = {}, grant?: (registry: ContainerRegistry, stack: TerraformStack) => void) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const registry = new ContainerRegistry(stack, "Registry", { ...BASE, ...overrides });
  grant?.(registry, stack);
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { registry, stack, tf };
}

/** The resource of `type` created with construct id `id` directly under the registry. */
function one(tf: Json, type: string, id: string): Json {
  const pattern = id === "Resource" ? /^Registry_[0-9A-F]{8}$/ : new RegExp(`^Registry_${id}_[0-9A-F]{8}$`);
  const name = Object.keys(tf.resource[type] ?? {}).find((k) => pattern.test(k));
  if (!name) throw new Error(`no ${type} with construct id ${id}`);
  return tf.resource[type][name];
}

function countByType(tf: Json): Record<string, number> {
  return Object.fromEntries(Object.entries(tf.resource as Json).map(([type, byName]) => [type, Object.keys(byName).length]));
}

/** Inline role policies keyed by their Terraform name without the hash (`<role>_<policy id>`). */
function rolePolicies(tf: Json): Record<string, Json> {
  return Object.fromEntries(Object.entries(tf.resource.aws_iam_role_policy ?? {}).map(([name, p]) => [name.replace(/_[0-9A-F]{8}$/, ""), p as Json]));
}

/**
 * A policy document as synthesized: plain JSON, or `${jsonencode({...})}` when it holds references.
 * The HCL object syntax of jsonencode is turned back into JSON with each reference as a string.
 */
function doc(policy: string): Json {
  const match = /^\$\{jsonencode\((.*)\)\}$/s.exec(policy);
  if (!match) return JSON.parse(policy);
  const json = match[1].replace(/ = /g, ": ").replace(/(?<=[:[,]\s*)([a-z_]+\.[A-Za-z0-9_-]+\.[a-z_]+)(?=[,}\]])/g, (ref) => `"\${${ref}}"`);
  return JSON.parse(json);
}

function expectInvalid(overrides: Partial<ContainerRegistryProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/Registry", field, accepted);
}

function role(stack: TerraformStack, id: string): IamRole {
  return new IamRole(stack, id, { name: id.toLowerCase(), assumeRolePolicy: "{}" });
}

describe("ContainerRegistry", () => {
  test("secure defaults", () => {
    const { tf, registry } = synth();

    expect(countByType(tf)).toEqual({ aws_kms_key: 1, aws_kms_alias: 1, aws_ecr_repository: 1, aws_ecr_lifecycle_policy: 1 });
    expect(tf.provider).toBeUndefined();
    expect(tf.data).toBeUndefined();

    const key = one(tf, "aws_kms_key", "Key");
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(doc(key.policy).Statement).toEqual([
      { Sid: "AccountIam", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
    ]);
    expect(one(tf, "aws_kms_alias", "KeyAlias")).toMatchObject({ name: "alias/ecr/shop/api", target_key_id: "${aws_kms_key.Registry_Key_0B5FC388.key_id}" });

    const repository = one(tf, "aws_ecr_repository", "Resource");
    expect(repository).toMatchObject({
      name: "shop/api",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: "${aws_kms_key.Registry_Key_0B5FC388.arn}" }],
      force_delete: false,
      lifecycle: { prevent_destroy: true },
    });

    const lifecycle = one(tf, "aws_ecr_lifecycle_policy", "LifecyclePolicy");
    expect(lifecycle.repository).toBe("${aws_ecr_repository.Registry_4DB9CCA5.name}");
    const rules = JSON.parse(lifecycle.policy).rules;
    expect(rules).toHaveLength(2);
    expect(rules[0]).toMatchObject({
      rulePriority: 1,
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
      action: { type: "expire" },
    });
    expect(rules[1]).toMatchObject({
      rulePriority: 2,
      selection: { tagStatus: "tagged", tagPrefixList: ["sha-"], countType: "imageCountMoreThan", countNumber: 30 },
      action: { type: "expire" },
    });

    // No repository policy: nothing outside the account can pull.
    expect(registry.repositoryPolicy).toBeUndefined();
    expect(registry.repository).toBeDefined();
    expect(registry.key).toBeDefined();
  });

  test("typed attributes resolve to the repository's own attributes", () => {
    const { tf } = synth({}, (registry, stack) => {
      new TerraformOutput(stack, "url", { value: registry.repositoryUrl });
      new TerraformOutput(stack, "arn", { value: registry.repositoryArn });
      new TerraformOutput(stack, "name", { value: registry.repositoryName });
      new TerraformOutput(stack, "key", { value: registry.key.arn });
    });
    expect(tf.output).toEqual({
      url: { value: "${aws_ecr_repository.Registry_4DB9CCA5.repository_url}" },
      arn: { value: REPO_ARN },
      name: { value: "${aws_ecr_repository.Registry_4DB9CCA5.name}" },
      key: { value: "${aws_kms_key.Registry_Key_0B5FC388.arn}" },
    });
  });

  test("keepReleaseImages, untaggedExpiryDays and releaseTagPrefix set the lifecycle rules", () => {
    const { tf } = synth({ keepReleaseImages: 100, untaggedExpiryDays: 1, releaseTagPrefix: "v" });
    const rules = JSON.parse(one(tf, "aws_ecr_lifecycle_policy", "LifecyclePolicy").policy).rules;
    expect(rules[0].selection.countNumber).toBe(1);
    expect(rules[1].selection).toMatchObject({ tagPrefixList: ["v"], countNumber: 100 });
  });

  test("preventDestroy false drops prevent_destroy from the repository and key", () => {
    const { tf } = synth({ preventDestroy: false });
    expect(one(tf, "aws_ecr_repository", "Resource").lifecycle).toEqual({ prevent_destroy: false });
    expect(one(tf, "aws_kms_key", "Key").lifecycle).toEqual({ prevent_destroy: false });
  });

  test("pullAccountIds: a repository policy lets those accounts read images, nothing else", () => {
    const { tf, registry } = synth({ pullAccountIds: ["210987654321", "111122223333"] });
    expect(registry.repositoryPolicy).toBeDefined();
    const policy = one(tf, "aws_ecr_repository_policy", "RepositoryPolicy");
    expect(policy.repository).toBe("${aws_ecr_repository.Registry_4DB9CCA5.name}");
    expect(doc(policy.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CrossAccountPull",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::210987654321:root", "arn:aws:iam::111122223333:root"] },
          Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        },
      ],
    });
  });

  test("pullAccountIds: the registry's own account adds nothing (its IAM already decides)", () => {
    expect(synth({ pullAccountIds: ["123456789012"] }).tf.resource.aws_ecr_repository_policy).toBeUndefined();
    const { tf } = synth({ pullAccountIds: ["123456789012", "210987654321"] });
    expect(doc(one(tf, "aws_ecr_repository_policy", "RepositoryPolicy").policy).Statement[0].Principal).toEqual({ AWS: ["arn:aws:iam::210987654321:root"] });
  });

  test("region picks the ARN partition", () => {
    const { tf } = synth({ region: "cn-north-1", pullAccountIds: ["210987654321"] });
    expect(doc(one(tf, "aws_kms_key", "Key").policy).Statement[0].Principal).toEqual({ AWS: "arn:aws-cn:iam::123456789012:root" });
    expect(doc(one(tf, "aws_ecr_repository_policy", "RepositoryPolicy").policy).Statement[0].Principal).toEqual({ AWS: ["arn:aws-cn:iam::210987654321:root"] });
  });

  test("a name with dots gets a valid KMS alias; an unresolved name an alias prefix", () => {
    expect(one(synth({ name: "shop.web" }).tf, "aws_kms_alias", "KeyAlias").name).toBe("alias/ecr/shop-web");
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const name = new TerraformVariable(stack, "name", { type: "string" });
    const registry = new ContainerRegistry(stack, "Registry", { ...BASE, name: name.stringValue });
    registry.grantPull(role(stack, "Nodes"));
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(one(tf, "aws_kms_alias", "KeyAlias")).toMatchObject({ name_prefix: "alias/ecr-" });
    expect(one(tf, "aws_ecr_repository", "Resource").name).toBe("${var.name}");
    expect(Object.values(tf.resource.aws_iam_role_policy)[0]).toMatchObject({ name_prefix: "ecr-pull-" });
  });

  test("grantPush: repository-scoped push actions, GetAuthorizationToken the only wildcard", () => {
    let policy: unknown;
    const { tf } = synth({}, (registry, stack) => {
      policy = registry.grantPush(role(stack, "Build"));
    });
    const policies = rolePolicies(tf);
    expect(Object.keys(policies)).toEqual(["Build_EcrPush-test-Registry"]);
    const push = policies["Build_EcrPush-test-Registry"];
    expect(push).toMatchObject({ name: "ecr-push-shop-api", role: "${aws_iam_role.Build.name}" });
    expect(policy).toBeDefined();
    const statements = doc(push.policy).Statement;
    expect(statements).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PushImages",
        Effect: "Allow",
        Action: [
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:DescribeImages",
        ],
        Resource: REPO_ARN,
      },
    ]);
    // No kms: statement (ECR uses its own grants) and no other wildcard.
    expect(statements.filter((s: Json) => s.Resource === "*")).toHaveLength(1);
    expect(JSON.stringify(statements)).not.toContain("kms:");
  });

  test("grantPull: repository-scoped read actions, GetAuthorizationToken the only wildcard", () => {
    const { tf } = synth({}, (registry, stack) => {
      registry.grantPull(role(stack, "Nodes"));
    });
    const pull = rolePolicies(tf)["Nodes_EcrPull-test-Registry"];
    expect(pull).toMatchObject({ name: "ecr-pull-shop-api", role: "${aws_iam_role.Nodes.name}" });
    expect(doc(pull.policy).Statement).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImages",
        Effect: "Allow",
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        Resource: REPO_ARN,
      },
    ]);
  });

  test("grants accept a construct exposing its role, and repeating a grant returns the first policy", () => {
    const { tf } = synth({}, (registry, stack) => {
      const build = role(stack, "Build");
      const first = registry.grantPush({ role: build });
      expect(registry.grantPush(build)).toBe(first);
      registry.grantPull(build);
    });
    expect(Object.keys(rolePolicies(tf)).sort()).toEqual(["Build_EcrPull-test-Registry", "Build_EcrPush-test-Registry"]);
  });

  test("a grant to a role in another stack lives in the role's stack", () => {
    const app = Testing.app();
    const delivery = new TerraformStack(app, "delivery");
    const env = new TerraformStack(app, "env");
    const registry = new ContainerRegistry(delivery, "Registry", BASE);
    const deploy = role(env, "Deploy");
    const policy = registry.grantPull(deploy);
    expect(policy.node.path).toBe("env/Deploy/EcrPull-delivery-Registry");
    expect(TerraformStack.of(policy)).toBe(env);
  });

  test("fails when name is not an ECR repository name", () => {
    for (const name of ["Shop", "a", "shop//api", "shop/api/", "-shop", "shop api", "x".repeat(257)]) {
      expectInvalid({ name }, "name", "lower-case letters and digits");
    }
  });

  test("fails when accountId is not 12 digits", () => {
    expectInvalid({ accountId: "12345" }, "accountId", "12-digit");
  });

  test("fails when region is not a region name", () => {
    expectInvalid({ region: "europe" }, "region", "eu-west-1");
  });

  test("fails when keepReleaseImages is outside 1-1000", () => {
    for (const keepReleaseImages of [0, 1001, 2.5]) expectInvalid({ keepReleaseImages }, "keepReleaseImages", "1 to 1000");
  });

  test("fails when untaggedExpiryDays is outside 1-365", () => {
    for (const untaggedExpiryDays of [0, 366, 1.5]) expectInvalid({ untaggedExpiryDays }, "untaggedExpiryDays", "1 to 365");
  });

  test("fails when releaseTagPrefix is not a tag prefix", () => {
    for (const releaseTagPrefix of ["", "-x", ".x", "sha*", "a b"]) expectInvalid({ releaseTagPrefix }, "releaseTagPrefix", "Docker tag prefix");
  });

  test("fails when a pull account is not 12 digits or is repeated", () => {
    expectInvalid({ pullAccountIds: ["210987654321", "*"] }, "pullAccountIds[1]", "12-digit");
    expectInvalid({ pullAccountIds: ["210987654321", "210987654321"] }, "pullAccountIds[1]", "each account once");
  });
});

describe("ContainerRegistry deploy tags", () => {
  test("grantDeployTag: read a manifest and put a tag on this repository only, no login, no layer upload", () => {
    const { tf } = synth({}, (registry, stack) => {
      const deploy = role(stack, "Deploy");
      const first = registry.grantDeployTag(deploy);
      expect(registry.grantDeployTag({ role: deploy })).toBe(first);
    });
    const policy = rolePolicies(tf)["Deploy_EcrDeployTag-test-Registry"];
    expect(policy).toMatchObject({ name: "ecr-deploy-tag-shop-api", role: "${aws_iam_role.Deploy.name}" });
    expect(doc(policy.policy).Statement).toEqual([{ Sid: "TagDeployedImages", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:PutImage"], Resource: REPO_ARN }]);
  });

  test("deployRoleArns: the repository policy lets exactly those roles of other accounts read a manifest and put a tag", () => {
    const arns = ["arn:aws:iam::111111111111:role/shop-dev-deploy", "arn:aws:iam::111111111111:role/shop-staging-deploy"];
    const { tf } = synth({ pullAccountIds: ["111111111111"], deployRoleArns: arns });
    expect(doc(one(tf, "aws_ecr_repository_policy", "RepositoryPolicy").policy).Statement).toEqual([
      {
        Sid: "CrossAccountPull",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::111111111111:root"] },
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      },
      {
        Sid: "CrossAccountDeployTag",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::111111111111:root"] },
        Action: ["ecr:BatchGetImage", "ecr:PutImage"],
        Condition: { ArnEquals: { "aws:PrincipalArn": arns } },
      },
    ]);
  });

  test("fails when a deploy role ARN is not a role ARN", () => {
    expectInvalid({ deployRoleArns: ["arn:aws:iam::111111111111:user/someone"] }, "deployRoleArns[0]", "IAM role ARN");
    expectInvalid({ deployRoleArns: ["*"] }, "deployRoleArns[0]", "IAM role ARN");
  });
});
