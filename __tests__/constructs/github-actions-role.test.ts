import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { ContainerRegistry } from "../../constructs/container-registry";
import { GithubActionsRole, GithubActionsRoleProps } from "../../constructs/github-actions-role";
import { GithubOidcProvider } from "../../constructs/github-oidc-provider";
import { expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const CLUSTER = { name: "platform-prod", arn: "arn:aws:eks:eu-west-1:123456789012:cluster/platform-prod" };
const BASE: GithubActionsRoleProps = {
  name: "shop-build",
  oidcProvider: { arn: OIDC_ARN },
  repository: "acme/shop",
  allow: { branches: ["main"] },
};
const ROLE_ARN = "${aws_iam_role.Role_1ABCC5F0.arn}";
const ROLE_NAME = "${aws_iam_role.Role_1ABCC5F0.name}";

function synth(overrides: Partial<GithubActionsRoleProps> = {}, use?: (role: GithubActionsRole, stack: TerraformStack) => void) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const role = new GithubActionsRole(stack, "Role", { ...BASE, ...overrides });
  use?.(role, stack);
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { role, stack, tf };
}

/** Resources of `type` keyed by their Terraform name without the hash (`Role_<ids under the role>`). */
function byId(tf: Json, type: string): Record<string, Json> {
  return Object.fromEntries(Object.entries(tf.resource[type] ?? {}).map(([name, r]) => [name.replace(/_[0-9A-F]{8}$/, ""), r as Json]));
}

function countByType(tf: Json): Record<string, number> {
  return Object.fromEntries(Object.entries(tf.resource as Json).map(([type, byName]) => [type, Object.keys(byName).length]));
}

/** The role's trust policy as an object (plain JSON when the provider ARN is a literal). */
function trust(tf: Json): Json {
  return JSON.parse(byId(tf, "aws_iam_role").Role.assume_role_policy);
}

function expectInvalid(overrides: Partial<GithubActionsRoleProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/Role", field, accepted);
}

function expectInvalidUse(use: (role: GithubActionsRole, stack: TerraformStack) => void, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth({}, use), "test/Role", field, accepted);
}

describe("GithubActionsRole", () => {
  test("secure defaults: a trust policy of exact audience and subject, no permissions", () => {
    const { tf, role } = synth();

    expect(countByType(tf)).toEqual({ aws_iam_role: 1 });
    expect(tf.provider).toBeUndefined();
    expect(tf.data).toBeUndefined();

    const resource = byId(tf, "aws_iam_role").Role;
    expect(resource).toMatchObject({ name: "shop-build", description: "GitHub Actions (acme/shop)", max_session_duration: 3600 });
    expect(resource.managed_policy_arns).toBeUndefined();
    expect(resource.inline_policy).toBeUndefined();

    expect(trust(tf)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "GithubActions",
          Effect: "Allow",
          Principal: { Federated: OIDC_ARN },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": ["repo:acme/shop:ref:refs/heads/main"],
            },
          },
        },
      ],
    });
    // Exact matching only: no pattern operator, no wildcard, no pull request subject.
    const json = resource.assume_role_policy as string;
    expect(json).not.toContain("StringLike");
    expect(json).not.toContain("*");
    expect(json).not.toContain("pull_request");
    expect(role.subjects).toEqual(["repo:acme/shop:ref:refs/heads/main"]);
  });

  test("typed attributes are the role's own", () => {
    const { tf } = synth({}, (role, stack) => {
      new TerraformOutput(stack, "arn", { value: role.arn });
      new TerraformOutput(stack, "name", { value: role.roleName });
    });
    expect(tf.output).toEqual({ arn: { value: ROLE_ARN }, name: { value: ROLE_NAME } });
  });

  test("the account's GithubOidcProvider is the federated principal (a reference inside plain JSON)", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const oidc = new GithubOidcProvider(stack, "GithubOidc");
    new GithubActionsRole(stack, "Role", { ...BASE, oidcProvider: oidc });
    const tf: Json = JSON.parse(Testing.synth(stack));
    const policy: string = byId(tf, "aws_iam_role").Role.assume_role_policy;
    const [statement] = JSON.parse(policy).Statement;
    expect(statement.Principal).toEqual({ Federated: "${aws_iam_openid_connect_provider.GithubOidc_86785739.arn}" });
    expect(statement.Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme/shop:ref:refs/heads/main"] },
    });
  });

  test("branches and environments become exact subjects, branches first", () => {
    const { tf, role } = synth({ allow: { branches: ["main", "release/2024"], environments: ["prod", "Staging EU"] } });
    const subjects = [
      "repo:acme/shop:ref:refs/heads/main",
      "repo:acme/shop:ref:refs/heads/release/2024",
      "repo:acme/shop:environment:prod",
      "repo:acme/shop:environment:Staging EU",
    ];
    expect(role.subjects).toEqual(subjects);
    expect(trust(tf).Statement[0].Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subjects },
    });
  });

  test("environments alone: only jobs in that environment", () => {
    const { tf } = synth({ allow: { environments: ["prod"] } });
    expect(trust(tf).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual(["repo:acme/shop:environment:prod"]);
  });

  test("maxSessionDurationSeconds and description", () => {
    const { tf } = synth({ maxSessionDurationSeconds: 7200, description: "Builds shop" });
    expect(byId(tf, "aws_iam_role").Role).toMatchObject({ max_session_duration: 7200, description: "Builds shop" });
  });

  test("allowEksGroup: DescribeCluster on the cluster only, and an access entry into the group with no access policy", () => {
    let entry: unknown;
    const { tf } = synth({}, (role) => {
      entry = role.allowEksGroup(CLUSTER, "slipway-deploy:shop-prod");
    });
    expect(entry).toBeDefined();
    expect(countByType(tf)).toEqual({ aws_iam_role: 1, aws_iam_role_policy: 1, aws_eks_access_entry: 1 });

    const describe = byId(tf, "aws_iam_role_policy")["Role_Eks-platform-prod_DescribeCluster"];
    expect(describe).toMatchObject({ name: "eks-describe-platform-prod", role: ROLE_NAME });
    expect(JSON.parse(describe.policy).Statement).toEqual([{ Sid: "DescribeCluster", Effect: "Allow", Action: "eks:DescribeCluster", Resource: CLUSTER.arn }]);

    // No aws_eks_access_policy_association: the group's RBAC bindings are all the role may do.
    expect(byId(tf, "aws_eks_access_entry")["Role_Eks-platform-prod_AccessEntry"]).toEqual({
      cluster_name: "platform-prod",
      principal_arn: ROLE_ARN,
      type: "STANDARD",
      kubernetes_groups: ["slipway-deploy:shop-prod"],
    });
    expect(JSON.stringify(tf)).not.toContain("cluster-access-policy");
  });

  test("allowEksGroup: more groups on one cluster share its access entry; another cluster gets its own", () => {
    const other = { name: "platform-dev", arn: "arn:aws:eks:eu-west-1:123456789012:cluster/platform-dev" };
    const { tf } = synth({}, (role) => {
      const first = role.allowEksGroup(CLUSTER, "slipway-deploy:shop-prod");
      expect(role.allowEksGroup(CLUSTER, "slipway-deploy:jobs-prod")).toBe(first);
      role.allowEksGroup(other, "slipway-deploy:shop-dev");
    });
    expect(countByType(tf)).toEqual({ aws_iam_role: 1, aws_iam_role_policy: 2, aws_eks_access_entry: 2 });
    const entries = byId(tf, "aws_eks_access_entry");
    expect(entries["Role_Eks-platform-prod_AccessEntry"].kubernetes_groups).toEqual(["slipway-deploy:shop-prod", "slipway-deploy:jobs-prod"]);
    expect(entries["Role_Eks-platform-dev_AccessEntry"].kubernetes_groups).toEqual(["slipway-deploy:shop-dev"]);
  });

  test("allowEksGroup: a cluster known only by reference (another stack's) works at plan time", () => {
    const { tf } = synth({}, (role, stack) => {
      const name = new TerraformVariable(stack, "cluster_name", { type: "string" });
      const arn = new TerraformVariable(stack, "cluster_arn", { type: "string" });
      const cluster = { name: name.stringValue, arn: arn.stringValue };
      role.allowEksGroup(cluster, "slipway-deploy:shop-prod");
    });
    expect(countByType(tf)).toEqual({ aws_iam_role: 1, aws_iam_role_policy: 1, aws_eks_access_entry: 1 });
    // Named by the reference, not by how many clusters came before.
    expect(byId(tf, "aws_eks_access_entry")["Role_Eks-var-cluster_name_AccessEntry"]).toMatchObject({ cluster_name: "${var.cluster_name}", kubernetes_groups: ["slipway-deploy:shop-prod"] });
    expect(byId(tf, "aws_iam_role_policy")["Role_Eks-var-cluster_name_DescribeCluster"]).toMatchObject({ name_prefix: "eks-describe-" });
  });

  test("allowEksGroup: an explicit id names the cluster's grants (existing state keeps its addresses)", () => {
    const { tf } = synth({}, (role, stack) => {
      const name = new TerraformVariable(stack, "cluster_name", { type: "string" });
      const arn = new TerraformVariable(stack, "cluster_arn", { type: "string" });
      role.allowEksGroup({ name: name.stringValue, arn: arn.stringValue }, "slipway-deploy:shop-prod", "Eks0");
    });
    expect(Object.keys(byId(tf, "aws_eks_access_entry"))).toEqual(["Role_Eks0_AccessEntry"]);
    expect(Object.keys(byId(tf, "aws_iam_role_policy"))).toEqual(["Role_Eks0_DescribeCluster"]);
  });

  test("addPolicy: an inline policy with the given statements", () => {
    const statement = { Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: "arn:aws:s3:::shop-assets/*" };
    const { tf } = synth({}, (role) => {
      role.addPolicy("assets", [statement]);
      role.addPolicy("whoami", [{ Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" }], { allowWildcardResourceFor: ["sts:GetCallerIdentity"] });
    });
    const policies = byId(tf, "aws_iam_role_policy");
    expect(policies["Role_Policy-assets"]).toMatchObject({ name: "assets", role: ROLE_NAME });
    expect(JSON.parse(policies["Role_Policy-assets"].policy)).toEqual({ Version: "2012-10-17", Statement: [statement] });
    expect(JSON.parse(policies["Role_Policy-whoami"].policy).Statement[0]).toEqual({ Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" });
  });

  test("a ContainerRegistry grant lands on the role", () => {
    const { tf } = synth({}, (role, stack) => {
      new ContainerRegistry(stack, "Registry", { name: "shop/api", accountId: "123456789012", region: "eu-west-1" }).grantPush(role);
    });
    expect(byId(tf, "aws_iam_role_policy")["Role_EcrPush-test-Registry"]).toMatchObject({ name: "ecr-push-shop-api", role: ROLE_NAME });
  });

  test("fails when name is not an IAM role name", () => {
    expectInvalid({ name: "x".repeat(65) }, "name", "1-64");
    expectInvalid({ name: "shop build" }, "name", "1-64");
  });

  test("fails when repository is not exactly one owner/name (wildcards refused)", () => {
    for (const repository of ["acme/*", "*", "acme/sh?p", "acme", "acme/shop/extra", "/shop", "acme/", "*/shop"]) {
      expectInvalid({ repository }, "repository", "exactly one '/', no wildcard");
    }
  });

  test("fails when allow has no branch and no environment", () => {
    expectInvalid({ allow: {} }, "allow", "at least one branch or environment");
    expectInvalid({ allow: { branches: [], environments: [] } }, "allow", "at least one branch or environment");
  });

  test("fails when a branch is a wildcard, empty, a full ref or repeated", () => {
    for (const branch of ["*", "release/*", "main?", "", "refs/heads/main", "a..b", "has space", "-x", "feature/"]) {
      expectInvalid({ allow: { branches: ["main", branch] } }, "allow.branches[1]", "exact branch name");
    }
    expectInvalid({ allow: { branches: ["main", "main"] } }, "allow.branches[1]", "each branch once");
  });

  test("fails when an environment is a wildcard, empty, holds ':' or is repeated", () => {
    for (const environment of ["*", "prod*", "pr?d", "", " prod", "prod:eu", "x".repeat(256)]) {
      expectInvalid({ allow: { environments: [environment] } }, "allow.environments[0]", "exact GitHub environment name");
    }
    expectInvalid({ allow: { environments: ["prod", "prod"] } }, "allow.environments[1]", "each environment once");
  });

  test("fails when maxSessionDurationSeconds is outside 3600-43200", () => {
    for (const maxSessionDurationSeconds of [3599, 43201, 3600.5]) {
      expectInvalid({ maxSessionDurationSeconds }, "maxSessionDurationSeconds", "3600 (1 hour) to 43200 (12 hours)");
    }
  });

  test("fails when allowEksGroup gets a group EKS keeps for itself, a malformed or repeated group", () => {
    for (const group of ["system:masters", "eks:admins", "aws:x", "amazon:x", "iam:x"]) {
      expectInvalidUse((role) => role.allowEksGroup(CLUSTER, group), "allowEksGroup.group", "not starting with system:");
    }
    expectInvalidUse((role) => role.allowEksGroup(CLUSTER, "deploy shop"), "allowEksGroup.group", "without spaces");
    expectInvalidUse((role) => role.allowEksGroup(CLUSTER, ""), "allowEksGroup.group", "1-253 printable characters");
    expectInvalidUse(
      (role) => {
        role.allowEksGroup(CLUSTER, "slipway-deploy:shop-prod");
        role.allowEksGroup(CLUSTER, "slipway-deploy:shop-prod");
      },
      "allowEksGroup.group",
      "not yet granted",
    );
  });

  test("fails when addPolicy grants every action, or every resource without an explicit exception", () => {
    expectInvalidUse((role) => role.addPolicy("all", [{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::x" }]), "addPolicy.statements[0].Action", "never granted");
    expectInvalidUse(
      (role) => role.addPolicy("all", [{ Effect: "Allow", Action: ["s3:GetObject", "*"], Resource: "*" }], { allowWildcardResourceFor: ["*"] }),
      "addPolicy.statements[0].Action",
      "never granted",
    );
    expectInvalidUse((role) => role.addPolicy("any", [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }]), "addPolicy.statements[0].Resource", "allowWildcardResourceFor");
    expectInvalidUse(
      (role) =>
        role.addPolicy("mixed", [{ Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "s3:GetObject"], Resource: ["*"] }], {
          allowWildcardResourceFor: ["ecr:GetAuthorizationToken"],
        }),
      "addPolicy.statements[0].Resource",
      "ecr:GetAuthorizationToken",
    );
  });

  test("fails when addPolicy has no statement, an empty action list, a bad or repeated id", () => {
    expectInvalidUse((role) => role.addPolicy("none", []), "addPolicy.statements", "at least one statement");
    expectInvalidUse((role) => role.addPolicy("empty", [{ Effect: "Allow", Action: [], Resource: "arn:aws:s3:::x" }]), "addPolicy.statements[0].Action", "at least one action");
    expectInvalidUse((role) => role.addPolicy("bad id", [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::x" }]), "addPolicy.id", "1-128");
    expectInvalidUse(
      (role) => {
        role.addPolicy("twice", [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::x" }]);
        role.addPolicy("twice", [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::x" }]);
      },
      "addPolicy.id",
      "not yet used",
    );
  });
});
