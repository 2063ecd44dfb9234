/** The delivery side of the example platform: repository, registry, identities, pipeline. */
import { stringify } from "yaml";
import { parsePlatform } from "../../platform/model";
import { examplePlatform, resourceAt, resourcesByPath, synthAll } from "../support/platform";
import { variantDocument } from "../support/variants";

const stacks = synthAll(examplePlatform());
const delivery = stacks["hello-delivery"];
const ISSUER = "token.actions.githubusercontent.com";

function trust(role: any): any {
  return JSON.parse(role.assume_role_policy).Statement;
}

describe("identity without long-lived keys", () => {
  test("the build role trusts only the default branch of this repository, with exact sub and aud", () => {
    const role = resourceAt(delivery, "aws_iam_role", "BuildRole/Resource");
    const [statement, ...rest] = trust(role);
    expect(rest).toEqual([]);
    expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(statement.Condition).toEqual({
      StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com", [`${ISSUER}:sub`]: ["repo:acme-corp/hello:ref:refs/heads/main"] },
    });
    expect(JSON.stringify(statement.Condition)).not.toContain("*");
    // The registry's account's OIDC provider, which bootstrap-222222222222 creates, named by its ARN.
    expect(statement.Principal.Federated).toBe("arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com");
  });

  test("each environment's deploy role trusts only jobs in that GitHub environment", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const role = resourceAt(stacks[`hello-${env}`], "aws_iam_role", "DeployRole/Resource");
      const [statement] = trust(role);
      expect(statement.Condition.StringEquals[`${ISSUER}:sub`]).toEqual([`repo:acme-corp/hello:environment:${env}`]);
      expect(statement.Condition.StringEquals[`${ISSUER}:aud`]).toBe("sts.amazonaws.com");
      expect(statement.Condition.StringLike).toBeUndefined();
    }
  });

  test("no role anywhere can be assumed from a pull request or a wildcard subject, except the infrastructure repository's read-only plan role", () => {
    const fromPullRequests: string[] = [];
    for (const [name, stack] of Object.entries<any>(stacks)) {
      for (const role of Object.values<any>(stack.resource?.aws_iam_role ?? {})) {
        const subs = JSON.stringify(trust(role));
        if (subs.includes("pull_request")) fromPullRequests.push(`${name}/${role.name}`);
        expect(subs).not.toMatch(/repo:[^"]*\*/);
      }
    }
    // Its policy allows reads only (__tests__/stacks/bootstrap.test.ts).
    expect(fromPullRequests).toEqual(["bootstrap-111111111111/acme-plan", "bootstrap-222222222222/acme-plan"]);
  });

  test("the deploy role reaches only its app's namespace: no EKS access policy, a group bound to a namespaced Role, and DescribeCluster", () => {
    const prod = stacks["hello-prod"];
    // Its rights are the Role's (__tests__/stacks/deploy-access.test.ts checks them against every kubectl command).
    expect(prod.resource.aws_eks_access_policy_association).toBeUndefined();
    expect(Object.values<any>(prod.resource.aws_eks_access_entry).map((e) => e.kubernetes_groups)).toEqual([["slipway-deploy:hello-prod"]]);
    const statements = Object.values<any>(prod.resource.aws_iam_role_policy).flatMap((p) => JSON.parse(p.policy).Statement);
    const describe = statements.find((s) => [s.Action].flat().includes("eks:DescribeCluster"));
    expect([describe.Action].flat()).toEqual(["eks:DescribeCluster"]);
    expect(describe.Resource).toMatch(/cross-stack-reference-input-platform-prod/);
  });

  test("the build role may push to this app's registry only", () => {
    const statements = Object.values<any>(delivery.resource.aws_iam_role_policy).flatMap((p) => JSON.parse(p.policy).Statement);
    const wildcard = statements.filter((s) => s.Resource === "*");
    expect(wildcard.flatMap((s) => [s.Action].flat())).toEqual(["ecr:GetAuthorizationToken"]);
    const push = statements.find((s) => [s.Action].flat().includes("ecr:PutImage"));
    expect(push.Resource).toBe(`\${${Object.keys(delivery.resource.aws_ecr_repository).map((k) => `aws_ecr_repository.${k}`)[0]}.arn}`);
  });
});

describe("registry", () => {
  test("immutable tags, scan on push, KMS, lifecycle, and pulls from the other environments' accounts", () => {
    const repo = resourceAt(delivery, "aws_ecr_repository", "Registry/Resource");
    expect(repo.image_tag_mutability).toBe("IMMUTABLE");
    expect(repo.image_scanning_configuration).toEqual({ scan_on_push: true });
    expect(repo.encryption_configuration[0].encryption_type).toBe("KMS");
    expect(repo.lifecycle).toEqual({ prevent_destroy: true });
    const policy = JSON.parse(resourceAt(delivery, "aws_ecr_repository_policy", "Registry/RepositoryPolicy").policy);
    // The registry lives in prod's account (222…); dev and staging (111…) pull across accounts.
    expect(JSON.stringify(policy)).toContain("arn:aws:iam::111111111111:root");
    expect(JSON.stringify(policy)).not.toContain("222222222222");
  });
});

describe("repository", () => {
  test("private, protected default branch requiring the pipeline's check, an environment per deployment environment", () => {
    const repo = resourceAt(delivery, "github_repository", "Repository/Resource");
    expect(repo).toMatchObject({ name: "hello", visibility: "private", vulnerability_alerts: true, delete_branch_on_merge: true, allow_squash_merge: true, allow_merge_commit: false });
    const ruleset = resourceAt(delivery, "github_repository_ruleset", "Repository/DefaultBranchRuleset");
    expect(ruleset.rules.required_status_checks.required_check.map((c: any) => c.context)).toEqual(["build-and-test"]);
    expect(ruleset.rules.pull_request.required_approving_review_count).toBe(1);
    expect(ruleset.bypass_actors).toBeUndefined();
    // The workflows are committed before the ruleset requires pull requests.
    expect(ruleset.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^github_repository_file\.Pipeline_PullRequestWorkflow/), expect.stringMatching(/^github_repository_file\.Pipeline_DeliverWorkflow/)]));
    const environments = resourcesByPath(delivery, "github_repository_environment");
    expect(Object.values<any>(environments).map((e) => e.environment).sort()).toEqual(["dev", "prod", "staging"]);
  });

  test("production requires the named reviewers, prevents self-review and admins cannot bypass; dev does not wait", () => {
    const prod = resourceAt(delivery, "github_repository_environment", "Environment-prod");
    expect(prod.can_admins_bypass).toBe(false);
    expect(prod.prevent_self_review).toBe(true);
    // The team's id from the platform file, as it is: no lookup a pull request's GITHUB_TOKEN could not make.
    expect(prod.reviewers[0].teams).toEqual([4818261]);
    // Its slug rides along in the Terraform JSON comment, for readers of the output (the diagram).
    expect(prod["//"].reviewer_teams).toEqual({ "4818261": "platform" });
    const dev = resourceAt(delivery, "github_repository_environment", "Environment-dev");
    expect(dev.reviewers).toBeUndefined();
    expect(dev.can_admins_bypass).toBe(false);
  });

  test("no synthesized stack looks a team up (data.github_team), over the example and a platform with several team reviewers; users still are", () => {
    const variant = synthAll(parsePlatform(stringify(variantDocument({ apps: ["shop", "api"], backend: { type: "local" } })), "variant.yaml"));
    for (const [name, stack] of [...Object.entries(stacks), ...Object.entries(variant)]) {
      expect({ name, teamLookups: stack.data?.github_team }).toEqual({ name, teamLookups: undefined });
    }
    // prod-us names alice and two teams: each app's repository and the infrastructure repository take the teams' ids.
    const reviewersOf = (stack: any, environment: string) => Object.values<any>(stack.resource.github_repository_environment).find((e) => e.environment === environment).reviewers;
    const infrastructure = Object.entries(variant).filter(([name, stack]) => name.startsWith("bootstrap-") && stack.resource.github_repository_environment);
    expect(infrastructure).toHaveLength(1);
    for (const stack of [variant["shop-delivery"], variant["api-delivery"], infrastructure[0][1]]) {
      expect(reviewersOf(stack, "prod-us")).toEqual([{ users: [expect.stringMatching(/^\$\{tonumber\(data\.github_user\.(Repository_)?ReviewerUser-alice(_[0-9A-F]{8})?\.id\)\}$/)], teams: [4818261, 5127734] }]);
    }
    expect(Object.values(variant["shop-delivery"].data.github_user)).toEqual([expect.objectContaining({ username: "alice" })]);
  });

  test("the GitHub App named in the platform file is the only ruleset bypass", () => {
    const withApp = synthAll(examplePlatform((d) => (d.github.appId = 123456)));
    const ruleset = resourceAt(withApp["hello-delivery"], "github_repository_ruleset", "Repository/DefaultBranchRuleset");
    expect(ruleset.bypass_actors).toEqual([expect.objectContaining({ actor_id: 123456, actor_type: "Integration" })]);
  });

  test("the workflow reads only Actions variables, which the stacks set: repository-level here, per environment in <app>-<env>", () => {
    const repoVars = Object.values<any>(delivery.resource.github_actions_variable).map((v) => v.variable_name).sort();
    expect(repoVars).toEqual(["AWS_REGION", "BUILD_ROLE_ARN", "ECR_REPOSITORY_URL"]);
    expect(delivery.resource.github_actions_secret).toBeUndefined();
    const prodVars = Object.values<any>(stacks["hello-prod"].resource.github_actions_environment_variable);
    // prod releases through a canary: its listener and target groups too.
    expect(prodVars.map((v) => v.variable_name).sort()).toEqual(["ALARMS", "APP_URL", "ASSETS_BUCKET", "AWS_REGION", "CANARY_LISTENER_ARN", "CANARY_TARGET_GROUP_ARN", "CLUSTER_NAME", "DEPLOY_ROLE_ARN", "NAMESPACE", "STABLE_TARGET_GROUP_ARN"]);
    expect(prodVars.find((v) => v.variable_name === "APP_URL").value).toBe("https://hello.acme.example");
    for (const v of prodVars) expect(v.environment).toMatch(/cross-stack-reference-input-hello-delivery/);
  });
});

describe("pipeline", () => {
  test("the workflow files are committed to the default branch; the CodeBuild runner labels need no actionlint config", () => {
    // The managed files; the skeleton's created-once files ignore all changes.
    const files = Object.values<any>(delivery.resource.github_repository_file).filter((f) => f.lifecycle?.ignore_changes !== "all");
    // hello's previews are on (dev hosts them): their two workflows too.
    expect(files.map((f) => f.file).sort()).toEqual([".github/workflows/deliver.yml", ".github/workflows/preview-sweep.yml", ".github/workflows/preview.yml", ".github/workflows/pull-request.yml"]);
    for (const f of files) expect(f.branch).toBe("main");
    const custom = synthAll(examplePlatform((d) => (d.environments[0].deploy = { runsOn: ["self-hosted", "acme-dev"] })));
    const config = Object.values<any>(custom["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/actionlint.yaml").content;
    expect(config).toContain("self-hosted-runner:\n  labels:\n    - acme-dev\n");
  });

  test("deploy jobs run on the environment's runners (its CodeBuild deploy runner inside the VPC by default)", () => {
    const content = Object.values<any>(delivery.resource.github_repository_file).find((f) => f.file.endsWith("deliver.yml")).content;
    // Terraform turns `$${` back into `${` when it writes the file.
    expect(content).toContain("runs-on:\n      - codebuild-acme-prod-deploy-runner-$${{ github.run_id }}-$${{ github.run_attempt }}\n");
    const custom = synthAll(examplePlatform((d) => (d.environments[0].deploy = { runsOn: ["ubuntu-latest"] })));
    const customContent = Object.values<any>(custom["hello-delivery"].resource.github_repository_file).find((f) => f.file.endsWith("deliver.yml")).content;
    expect(customContent).toMatch(/ {2}deploy-dev:\n {4}runs-on:\n {6}- ubuntu-latest\n {4}needs:/);
  });
});
