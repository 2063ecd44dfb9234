import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { SourceRepository, SourceRepositoryProps } from "../../constructs/source-repository";
import { SlipwayValidationError } from "../../constructs/util";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const BASE: SourceRepositoryProps = { name: "orders-api", owner: "acme" };

function synth(overrides: Partial<SourceRepositoryProps> = {}, extend: (repo: SourceRepository) => void = () => undefined) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const repo = new SourceRepository(stack, "Repo", { ...BASE, ...overrides });
  extend(repo);
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { repo, stack, tf };
}

const { all, one, address, ref, countByType } = constructResources("Repo");

function expectInvalid(
  build: Partial<SourceRepositoryProps> | (() => unknown),
  field: string,
  accepted: string | RegExp,
  path = "test/Repo",
): SlipwayValidationError {
  return expectValidationError(typeof build === "function" ? build : () => synth(build), path, field, accepted);
}

const RELEASE_MANAGERS = { slug: "release-managers", id: 1234567 };
const PRODUCTION = { name: "production", requireApproval: true, reviewers: { users: ["octocat"], teams: [RELEASE_MANAGERS] } };

describe("SourceRepository", () => {
  test("secretScanning: advanced-security also enables GitHub Advanced Security; off sends no security settings", () => {
    expect(one(synth({ secretScanning: "advanced-security" }).tf, "github_repository", "Resource").security_and_analysis).toEqual({
      advanced_security: { status: "enabled" },
      secret_scanning: { status: "enabled" },
      secret_scanning_push_protection: { status: "enabled" },
    });
    const off = synth({ secretScanning: "off" }).tf;
    expect(one(off, "github_repository", "Resource").security_and_analysis).toBeUndefined();
    // Dependabot security updates need no license: on either way.
    expect(one(off, "github_repository_dependabot_security_updates", "DependabotSecurityUpdates").enabled).toBe(true);
  });

  test("fails when secretScanning is not a known license", () => {
    expectInvalid({ secretScanning: "ghas" as never }, "secretScanning", /"secret-protection" \(GitHub Secret Protection\)/);
  });

  test("secure defaults", () => {
    const { tf, repo } = synth();

    expect(countByType(tf)).toEqual({ github_repository: 1, github_branch_default: 1, github_repository_ruleset: 1, github_repository_dependabot_security_updates: 1 });
    expect(tf.data).toBeUndefined();
    expect(tf.provider).toBeUndefined();

    // Private, alerts on, squash merges only with the pull request's title and body, merged
    // branches deleted, archived rather than deleted on destroy.
    expect(one(tf, "github_repository", "Resource")).toEqual({
      name: "orders-api",
      visibility: "private",
      vulnerability_alerts: true,
      // Secret scanning and push protection, under GitHub Secret Protection (no advanced_security setting).
      security_and_analysis: { secret_scanning: { status: "enabled" }, secret_scanning_push_protection: { status: "enabled" } },
      delete_branch_on_merge: true,
      allow_squash_merge: true,
      allow_merge_commit: false,
      allow_rebase_merge: false,
      allow_auto_merge: false,
      allow_update_branch: true,
      squash_merge_commit_title: "PR_TITLE",
      squash_merge_commit_message: "PR_BODY",
      auto_init: true,
      has_issues: true,
      has_wiki: false,
      has_projects: false,
      has_discussions: false,
      archive_on_destroy: true,
    });
    const repoName = ref(tf, "github_repository", "Resource", "name");
    // Dependabot opens pull requests for vulnerable dependencies.
    expect(one(tf, "github_repository_dependabot_security_updates", "DependabotSecurityUpdates")).toEqual({ repository: repoName, enabled: true });
    expect(repo.dependabotSecurityUpdates.terraformResourceType).toBe("github_repository_dependabot_security_updates");

    // "main" is what auto_init creates: set as default, never renamed onto itself.
    expect(one(tf, "github_branch_default", "DefaultBranch")).toEqual({ repository: repoName, branch: "main", rename: false });

    const ruleset = one(tf, "github_repository_ruleset", "DefaultBranchRuleset");
    expect(ruleset).toEqual({
      repository: repoName,
      name: "default-branch",
      target: "branch",
      enforcement: "active",
      conditions: { ref_name: { include: ["~DEFAULT_BRANCH"], exclude: [] } },
      rules: {
        deletion: true,
        non_fast_forward: true,
        required_linear_history: true,
        pull_request: {
          required_approving_review_count: 1,
          dismiss_stale_reviews_on_push: true,
          require_code_owner_review: false,
          require_last_push_approval: true,
          required_review_thread_resolution: true,
        },
      },
      depends_on: [address(tf, "github_branch_default", "DefaultBranch")],
    });
    // Nobody bypasses the rules, admins included.
    expect(ruleset.bypass_actors).toBeUndefined();

    expect(repo.name).toMatch(/^\$\{TfToken\[/);
    expect(repo.fullName).toBe("acme/orders-api");
    expect(repo.defaultBranch).toBe("main");
    expect(repo.environments).toEqual({});
    expect(repo.environmentNames).toEqual([]);
    expect(repo.repository.node.id).toBe("Resource");
  });

  test("environments: deployable only from the default branch, admins cannot bypass, in promotion order", () => {
    const { tf, repo } = synth({ environments: [{ name: "dev" }, { name: "staging", waitTimerMinutes: 15 }, PRODUCTION] });

    expect(repo.environmentNames).toEqual(["dev", "staging", "production"]);
    expect(Object.keys(repo.environments)).toEqual(["dev", "staging", "production"]);
    expect(all(tf, "github_repository_environment").map((e) => e.environment).sort()).toEqual(["dev", "production", "staging"]);
    expect(all(tf, "github_repository_environment_deployment_policy")).toHaveLength(3);

    const repoName = ref(tf, "github_repository", "Resource", "name");
    for (const name of ["dev", "staging", "production"]) {
      const environment = one(tf, "github_repository_environment", `Environment-${name}`);
      expect(environment).toMatchObject({
        repository: repoName,
        environment: name,
        can_admins_bypass: false,
        deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      });
      expect(one(tf, "github_repository_environment_deployment_policy", `DeploymentBranchPolicy-${name}`)).toEqual({
        repository: repoName,
        environment: ref(tf, "github_repository_environment", `Environment-${name}`, "environment"),
        branch_pattern: "main",
      });
      expect(repo.environments[name].node.id).toBe(`Environment-${name}`);
    }

    // Without reviewers, no reviewer block and no self-review setting.
    const dev = one(tf, "github_repository_environment", "Environment-dev");
    expect(dev.reviewers).toBeUndefined();
    expect(dev.prevent_self_review).toBeUndefined();
    expect(dev.wait_timer).toBeUndefined();
    expect(one(tf, "github_repository_environment", "Environment-staging").wait_timer).toBe(15);
  });

  test("reviewers: users looked up once each (ids converted with tonumber), teams by their given ids with no lookup, self-review prevented", () => {
    const { tf } = synth({
      environments: [
        { name: "staging", reviewers: { users: ["Octocat"], teams: [{ slug: "platform", id: 7654321 }] } },
        { ...PRODUCTION, reviewers: { users: ["octocat", "hubot"], teams: [RELEASE_MANAGERS, { slug: "platform", id: 7654321 }] } },
      ],
    });

    // GitHub logins are case-insensitive: Octocat and octocat are one lookup. Users are public and
    // any token reads them; teams are not (a pull request's GITHUB_TOKEN cannot), so no team lookup.
    expect(countByType(tf, "data")).toEqual({ github_user: 2 });
    expect(one(tf, "github_user", "ReviewerUser-octocat", "data")).toEqual({ username: "Octocat" });
    expect(one(tf, "github_user", "ReviewerUser-hubot", "data")).toEqual({ username: "hubot" });

    const userId = (login: string) => `\${tonumber(${address(tf, "github_user", `ReviewerUser-${login}`, "data")}.id)}`;

    expect(one(tf, "github_repository_environment", "Environment-staging")).toMatchObject({
      can_admins_bypass: false,
      prevent_self_review: true,
      reviewers: [{ users: [userId("octocat")], teams: [7654321] }],
    });
    expect(one(tf, "github_repository_environment", "Environment-production")).toMatchObject({
      can_admins_bypass: false,
      prevent_self_review: true,
      reviewers: [{ users: [userId("octocat"), userId("hubot")], teams: [1234567, 7654321] }],
    });
  });

  test("requiredStatusChecks: required on an up-to-date branch, reported by GitHub Actions only", () => {
    const { tf } = synth({ requiredStatusChecks: ["build", "test"] });
    expect(one(tf, "github_repository_ruleset", "DefaultBranchRuleset").rules.required_status_checks).toEqual({
      strict_required_status_checks_policy: true,
      required_check: [
        { context: "build", integration_id: 15368 },
        { context: "test", integration_id: 15368 },
      ],
    });
  });

  test("pinStatusChecksToGithubActions false: any reporter may satisfy the checks", () => {
    const { tf } = synth({ requiredStatusChecks: ["build"], pinStatusChecksToGithubActions: false });
    expect(one(tf, "github_repository_ruleset", "DefaultBranchRuleset").rules.required_status_checks.required_check).toEqual([{ context: "build" }]);
  });

  test("requiredApprovals sets the approving review count", () => {
    const { tf } = synth({ requiredApprovals: 2 });
    expect(one(tf, "github_repository_ruleset", "DefaultBranchRuleset").rules.pull_request.required_approving_review_count).toBe(2);
  });

  test("visibility internal", () => {
    const { tf } = synth({ visibility: "internal" });
    expect(one(tf, "github_repository", "Resource").visibility).toBe("internal");
  });

  test("description", () => {
    const { tf } = synth({ description: "Takes and tracks orders" });
    expect(one(tf, "github_repository", "Resource").description).toBe("Takes and tracks orders");
  });

  test("defaultBranch other than main: the initial branch is renamed, environments and files follow it", () => {
    const { tf, repo } = synth({ defaultBranch: "trunk", environments: [{ name: "dev" }] }, (r) => r.addFile("README.md", "# orders\n"));
    expect(repo.defaultBranch).toBe("trunk");
    expect(one(tf, "github_branch_default", "DefaultBranch")).toMatchObject({ branch: "trunk", rename: true });
    expect(one(tf, "github_repository_environment_deployment_policy", "DeploymentBranchPolicy-dev").branch_pattern).toBe("trunk");
    expect(one(tf, "github_repository_file", "File-README.md").branch).toBe("trunk");
    // The ruleset targets whatever the default branch is.
    expect(one(tf, "github_repository_ruleset", "DefaultBranchRuleset").conditions.ref_name.include).toEqual(["~DEFAULT_BRANCH"]);
  });

  test("rulesetBypassAppIds: only the listed apps bypass the ruleset", () => {
    const { tf } = synth({ rulesetBypassAppIds: [123456] });
    expect(one(tf, "github_repository_ruleset", "DefaultBranchRuleset").bypass_actors).toEqual([
      { actor_type: "Integration", actor_id: 123456, bypass_mode: "always" },
    ]);
  });

  test("addVariable: a repository-level Actions variable (never a secret)", () => {
    let returned: unknown;
    const { tf } = synth({}, (r) => {
      returned = r.addVariable("AWS_REGION", "eu-west-1");
      r.addVariable("ECR_REGISTRY", "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    });
    expect(one(tf, "github_actions_variable", "Variable-AWS_REGION")).toEqual({
      repository: ref(tf, "github_repository", "Resource", "name"),
      variable_name: "AWS_REGION",
      value: "eu-west-1",
    });
    expect(all(tf, "github_actions_variable")).toHaveLength(2);
    expect((returned as { node: { id: string } }).node.id).toBe("Variable-AWS_REGION");
    expect(tf.resource.github_actions_secret).toBeUndefined();
  });

  test("addFile: committed to the default branch by slipway, before the ruleset exists", () => {
    let returned: unknown;
    const { tf } = synth({}, (r) => {
      returned = r.addFile(".github/workflows/pipeline.yml", "name: pipeline\n");
      r.addFile("CODEOWNERS", "* @acme/platform\n", { commitMessage: "Own everything" });
    });
    const id = "File-.github--workflows--pipeline.yml";
    expect(one(tf, "github_repository_file", id)).toEqual({
      repository: ref(tf, "github_repository", "Resource", "name"),
      branch: "main",
      file: ".github/workflows/pipeline.yml",
      content: "name: pipeline\n",
      overwrite_on_create: true,
      commit_message: "Update .github/workflows/pipeline.yml (managed by Slipway)",
      commit_author: "slipway",
      commit_email: "slipway@users.noreply.github.com",
      depends_on: [address(tf, "github_branch_default", "DefaultBranch")],
    });
    expect(one(tf, "github_repository_file", "File-CODEOWNERS").commit_message).toBe("Own everything");
    expect((returned as { node: { id: string } }).node.id).toBe(id);
    // The files' first commits land before the ruleset starts requiring pull requests.
    expect(one(tf, "github_repository_ruleset", "DefaultBranchRuleset").depends_on).toEqual([
      address(tf, "github_branch_default", "DefaultBranch"),
      address(tf, "github_repository_file", id),
      address(tf, "github_repository_file", "File-CODEOWNERS"),
    ]);
  });

  test("environmentVariable: an environment's Actions variable created in another stack", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "orders-prod");
    const variable = SourceRepository.environmentVariable(stack, "DeployRoleArnVariable", {
      repository: "orders-api",
      environment: "production",
      name: "DEPLOY_ROLE_ARN",
      value: "arn:aws:iam::123456789012:role/orders-deploy",
    });
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(variable.node.path).toBe("orders-prod/DeployRoleArnVariable");
    expect(tf.resource.github_actions_environment_variable.DeployRoleArnVariable).toEqual({
      repository: "orders-api",
      environment: "production",
      variable_name: "DEPLOY_ROLE_ARN",
      value: "arn:aws:iam::123456789012:role/orders-deploy",
    });
  });

  test("environmentVariable: references to the repository in the delivery stack cross stacks", () => {
    const app = Testing.app();
    const delivery = new TerraformStack(app, "orders-delivery");
    new GithubProvider(delivery, "github", { owner: "acme" });
    const repo = new SourceRepository(delivery, "Repo", { ...BASE, environments: [{ name: "production" }] });
    const prod = new TerraformStack(app, "orders-prod");
    new GithubProvider(prod, "github", { owner: "acme" });
    SourceRepository.environmentVariable(prod, "Namespace", {
      repository: repo.name,
      environment: repo.environments.production.environment,
      name: "K8S_NAMESPACE",
      value: "orders",
    });
    app.synth();
    expect(prod.dependencies).toContain(delivery);
    const tf: Json = JSON.parse(Testing.synth(prod));
    const variable = tf.resource.github_actions_environment_variable.Namespace;
    // Both values arrive through the delivery stack's outputs (remote state), not as literals.
    expect(variable.repository).toMatch(/^\$\{data\.terraform_remote_state\..+\}$/);
    expect(variable.environment).toMatch(/^\$\{data\.terraform_remote_state\..+\}$/);
  });

  test("validation skips unresolved tokens", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const name = new TerraformVariable(stack, "name", { type: "string" });
    const branch = new TerraformVariable(stack, "branch", { type: "string" });
    const repo = new SourceRepository(stack, "Repo", {
      name: name.stringValue,
      owner: "acme",
      defaultBranch: branch.stringValue,
      requiredStatusChecks: [name.stringValue],
    });
    expect(repo.fullName).toContain("acme/");
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(one(tf, "github_repository", "Resource").name).toBe("${var.name}");
    expect(one(tf, "github_branch_default", "DefaultBranch").branch).toBe("${var.branch}");
    // Variable names and file paths are part of construct ids, so they must be literal.
    expectInvalid(() => repo.addVariable(name.stringValue, "x"), "addVariable.name", "a literal name");
    expectInvalid(() => repo.addFile(name.stringValue, "x"), "addFile.path", "a literal relative file path");
  });

  test("fails when visibility is public", () => {
    const error = expectInvalid({ visibility: "public" as never }, "visibility", "never public");
    expect(error.message).toContain(`"public"`);
  });

  test("fails when visibility is unknown", () => {
    expectInvalid({ visibility: "secret" as never }, "visibility", `"private" or "internal"`);
  });

  test("fails when the name is not a GitHub repository name", () => {
    for (const name of ["", ".", "..", "orders api", "orders/api", "a".repeat(101)]) {
      expectInvalid({ name }, "name", "1 to 100 letters, digits, '.', '-' or '_'");
    }
  });

  test("fails when the owner is not a GitHub login", () => {
    for (const owner of ["-acme", "acme-", "ac--me", "acme corp", "a".repeat(40)]) {
      expectInvalid({ owner }, "owner", "GitHub user or organization name");
    }
  });

  test("fails when requiredApprovals is 0 or out of range", () => {
    for (const requiredApprovals of [0, 7, 1.5, -1]) {
      expectInvalid({ requiredApprovals }, "requiredApprovals", "1 to 6");
    }
  });

  test("fails when an environment requires approval but has no reviewers", () => {
    expectInvalid({ environments: [{ name: "dev" }, { name: "production", requireApproval: true }] }, "environments[1].reviewers", "require approval");
    expectInvalid(
      { environments: [{ name: "production", requireApproval: true, reviewers: { users: [], teams: [] } }] },
      "environments[0].reviewers",
      "at least one user or team",
    );
  });

  test("fails when environment names repeat (GitHub ignores case)", () => {
    expectInvalid({ environments: [{ name: "dev" }, { name: "prod" }, { name: "Dev" }] }, "environments[2].name", "already environments[0]");
  });

  test("fails when an environment name is invalid", () => {
    expectInvalid({ environments: [{ name: "pro duction" }] }, "environments[0].name", "letters, digits");
    expectInvalid({ environments: [{ name: "" }] }, "environments[0].name", "letters, digits");
  });

  test("fails when an environment has more than 6 reviewers", () => {
    const reviewers = { users: ["a1", "a2", "a3", "a4"], teams: [1, 2, 3].map((id) => ({ slug: `t${id}`, id })) };
    expectInvalid({ environments: [{ name: "production", reviewers }] }, "environments[0].reviewers", "at most 6");
  });

  test("fails when a reviewer is not a user login or team slug", () => {
    expectInvalid({ environments: [{ name: "production", reviewers: { users: ["not a login"] } }] }, "environments[0].reviewers.users[0]", "GitHub user login");
    expectInvalid({ environments: [{ name: "production", reviewers: { teams: [{ slug: "acme/release", id: 1 }] } }] }, "environments[0].reviewers.teams[0]", "without 'org/'");
    expectInvalid({ environments: [{ name: "production", reviewers: { users: ["octocat", "OctoCat"] } }] }, "environments[0].reviewers.users[1]", "distinct");
  });

  test("fails when a team reviewer is a bare slug (the old form), saying what to write and how to find the id", () => {
    const error = expectInvalid(
      { environments: [{ name: "production", reviewers: { teams: ["release-managers" as never] } }] },
      "environments[0].reviewers.teams[0]",
      "not a bare slug",
    );
    expect(error.message).toContain("write { slug: release-managers, id: <the team's id> }");
    expect(error.message).toContain("gh api orgs/acme/teams/release-managers --jq .id");
  });

  test("fails when a team reviewer's id is not a positive whole number, or a team repeats", () => {
    for (const id of [0, -5, 1.5, "1234567" as never, undefined as never]) {
      expectInvalid({ environments: [{ name: "production", reviewers: { teams: [{ slug: "release-managers", id }] } }] }, "environments[0].reviewers.teams[0]", "id: a team's numeric id");
    }
    const twice = (teams: { slug: string; id: number }[]) => ({ environments: [{ name: "production", reviewers: { teams } }] });
    expectInvalid(twice([RELEASE_MANAGERS, { slug: "release-managers", id: 99 }]), "environments[0].reviewers.teams[1]", "distinct teams");
    expectInvalid(twice([RELEASE_MANAGERS, { slug: "releasers", id: RELEASE_MANAGERS.id }]), "environments[0].reviewers.teams[1]", "distinct team ids");
  });

  test("fails when waitTimerMinutes is out of range", () => {
    for (const waitTimerMinutes of [-1, 43201, 2.5]) {
      expectInvalid({ environments: [{ name: "dev", waitTimerMinutes }] }, "environments[0].waitTimerMinutes", "0 to 43200");
    }
  });

  test("fails when defaultBranch is not a plain branch name", () => {
    for (const defaultBranch of ["", "feature/*", "a..b", "-main", "main/", "main.lock", "ma in"]) {
      expectInvalid({ defaultBranch }, "defaultBranch", "git branch name");
    }
  });

  test("fails when required status checks are empty or repeated", () => {
    expectInvalid({ requiredStatusChecks: ["build", " "] }, "requiredStatusChecks[1]", "non-empty");
    expectInvalid({ requiredStatusChecks: ["build", "test", "build"] }, "requiredStatusChecks[2]", "already requiredStatusChecks[0]");
  });

  test("fails when a bypass app id is not an app id", () => {
    expectInvalid({ rulesetBypassAppIds: [0] }, "rulesetBypassAppIds[0]", "GitHub App id");
  });

  test("fails when a variable name is invalid or repeated", () => {
    for (const name of ["aws_region", "1REGION", "GITHUB_TOKEN", "AWS-REGION", ""]) {
      expectInvalid(() => synth({}, (r) => r.addVariable(name, "x")), "addVariable.name", "upper-case letters, digits and '_'");
    }
    expectInvalid(
      () =>
        synth({}, (r) => {
          r.addVariable("AWS_REGION", "eu-west-1");
          r.addVariable("AWS_REGION", "eu-west-2");
        }),
      "addVariable.name",
      "not already added",
    );
  });

  test("fails when an environment variable name is invalid", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "orders-prod");
    const props = { repository: "orders-api", environment: "production", value: "x" };
    expectInvalid(() => SourceRepository.environmentVariable(stack, "Bad", { ...props, name: "GITHUB_SHA" }), "name", "not starting with a digit or GITHUB_", "orders-prod/Bad");
    expectInvalid(() => SourceRepository.environmentVariable(stack, "Bad", { ...props, name: "role_arn" }), "name", "upper-case letters", "orders-prod/Bad");
    expectInvalid(() => SourceRepository.environmentVariable(stack, "Bad", { ...props, environment: "pro duction", name: "ROLE_ARN" }), "environment", "letters, digits", "orders-prod/Bad");
  });

  test("fails when a file path is not a relative repository path or repeats", () => {
    for (const path of ["", "/etc/passwd", "a//b", "../outside", "a/./b", ".git/config", "dir/"]) {
      expectInvalid(() => synth({}, (r) => r.addFile(path, "x")), "addFile.path", "relative file path");
    }
    expectInvalid(
      () =>
        synth({}, (r) => {
          r.addFile("README.md", "a");
          r.addFile("README.md", "b");
        }),
      "addFile.path",
      "not already added",
    );
  });
});
