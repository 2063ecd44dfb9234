/**
 * bootstrap-<account>: CI's identities, the state bucket and the infrastructure repository's
 * GitHub environments; and the rule that no stack's provider raises its own power. The policies
 * are read field by field from the synthesized JSON, and the AWS part is validated and planned
 * with real Terraform.
 */
import { App } from "cdktf";
import { buildPlatform, DRIFT_ENVIRONMENT, FIRST_APPLY_ENVIRONMENT, PLAN_DENIED_ACTIONS } from "../../stacks";
import { examplePlatform, resourceAt, resourcesByPath, synthAll, tempDir } from "../support/platform";
import { checkStacks, terraformForTests } from "../support/terraform";

type Json = any;

/** The example with the s3 backend, a third account (qa) and every environment naming a role to assume. */
const platform = examplePlatform((d) => {
  d.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-central-1", keyPrefix: "acme" };
  d.apps[0].domains.qa = "hello.qa.acme.example";
  d.environments.splice(2, 0, { name: "qa", account: "333333333333", region: "us-east-1", network: { cidr: "10.40.0.0/16", zones: ["us-east-1a", "us-east-1b"] } });
  d.environments[0].assumeRoleArn = "arn:aws:iam::111111111111:role/ci/dev-applier";
});
const stacks = synthAll(platform);
const local = synthAll(examplePlatform());

const INFRA_REPO = "acme-corp/acme-infrastructure";
const ISSUER = "token.actions.githubusercontent.com";
const doc = (json: string): Json => JSON.parse(json);
const statements = (policy: string): Json[] => doc(policy).Statement;
const list = (v: unknown): string[] => (Array.isArray(v) ? v : [v]) as string[];

/** The inline policies attached to a role of the stack (by the role's name reference). */
function policiesOf(stack: Json, roleConstructPath: string): Json[] {
  const [roleName] = Object.entries<Json>(stack.resource.aws_iam_role).find(([, r]) => r["//"].metadata.path.endsWith(roleConstructPath))!;
  const ref = `\${aws_iam_role.${roleName}.name}`;
  return Object.values<Json>(stack.resource.aws_iam_role_policy ?? {}).filter((p) => p.role === ref);
}

describe("one bootstrap stack per AWS account", () => {
  test("bootstrap-<account> for each account, in the order accounts first appear, before every other stack", () => {
    expect(Object.keys(stacks).slice(0, 3)).toEqual(["bootstrap-111111111111", "bootstrap-333333333333", "bootstrap-222222222222"]);
    expect(Object.keys(local).filter((n) => n.startsWith("bootstrap-"))).toEqual(["bootstrap-111111111111", "bootstrap-222222222222"]);
  });

  test("holds the account's one GitHub OIDC provider; no other stack creates one, and roles elsewhere name it by its ARN", () => {
    for (const [name, stack] of Object.entries<Json>(stacks)) {
      // (KubernetesCluster's own provider, for service accounts, is the cluster's issuer, not GitHub's.)
      const providers = Object.values<Json>(stack.resource?.aws_iam_openid_connect_provider ?? {}).filter((p) => String(p.url).includes(ISSUER));
      expect({ name, count: providers.length }).toEqual({ name, count: name.startsWith("bootstrap-") ? 1 : 0 });
      if (providers.length) expect(providers[0]).toMatchObject({ url: `https://${ISSUER}`, client_id_list: ["sts.amazonaws.com"] });
    }
    const deploy = resourceAt(stacks["hello-qa"], "aws_iam_role", "DeployRole/Resource");
    expect(statements(deploy.assume_role_policy)[0].Principal).toEqual({ Federated: `arn:aws:iam::333333333333:oidc-provider/${ISSUER}` });
  });
});

describe("the read-only plan role", () => {
  const plan = (account: string) => resourceAt(stacks[`bootstrap-${account}`], "aws_iam_role", "PlanRole/Resource");

  test("is trusted exactly by the infrastructure repository's pull requests and its drift environment", () => {
    for (const account of ["111111111111", "222222222222", "333333333333"]) {
      const role = plan(account);
      expect(role.name).toBe("acme-plan");
      const trust = statements(role.assume_role_policy);
      expect(trust).toEqual([
        {
          Sid: "GithubActions",
          Effect: "Allow",
          Principal: { Federated: expect.stringMatching(/^\$\{aws_iam_openid_connect_provider\.GithubOidc_[0-9A-F]{8}\.arn\}$/) },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${ISSUER}:aud`]: "sts.amazonaws.com",
              [`${ISSUER}:sub`]: [`repo:${INFRA_REPO}:pull_request`, `repo:${INFRA_REPO}:environment:${DRIFT_ENVIRONMENT}`],
            },
          },
        },
      ]);
    }
  });

  test("allows only read verbs (Get, List, Describe, BatchGet), objects only of the state, and no secret-reading action", () => {
    const READ_VERB = /^[a-z0-9-]+:(Get|List|Describe|BatchGet)[A-Za-z]*\*?$/;
    for (const account of ["111111111111", "222222222222", "333333333333"]) {
      const stack = stacks[`bootstrap-${account}`];
      const policies = policiesOf(stack, "PlanRole/Resource");
      expect(policies).toHaveLength(1);
      const allows = statements(policies[0].policy).filter((s) => s.Effect === "Allow");
      expect(allows.length).toBeGreaterThan(0);
      for (const statement of allows) {
        expect(statement.NotAction).toBeUndefined();
        expect(statement.NotResource).toBeUndefined();
        for (const action of list(statement.Action)) {
          expect({ account, sid: statement.Sid, action, read: READ_VERB.test(action) }).toEqual({ account, sid: statement.Sid, action, read: true });
          // A pattern that would also match a secret-reading or identity-changing action.
          for (const denied of ["secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "kms:Decrypt", "sts:AssumeRole", "ecr:BatchGetImage", "logs:GetLogEvents"]) {
            const pattern = new RegExp(`^${action.replace(/\*/g, ".*")}$`);
            expect({ action, matches: denied, hit: pattern.test(denied) }).toEqual({ action, matches: denied, hit: false });
          }
        }
        // s3:GetObject only on the state objects; with the s3 backend there are some.
        if (list(statement.Action).includes("s3:GetObject")) expect(statement.Resource).toBe("arn:aws:s3:::acme-terraform-state/acme/*");
      }
      expect(allows.some((s) => list(s.Action).includes("s3:GetObject"))).toBe(true);
      // No managed policy either.
      const attachments = Object.values<Json>(stack.resource.aws_iam_role_policy_attachment ?? {});
      expect(attachments).toEqual([]);
    }
  });

  test("explicitly denies assuming any role, tagging sessions and reading secret values", () => {
    const denies = statements(policiesOf(stacks["bootstrap-222222222222"], "PlanRole/Resource")[0].policy).filter((s) => s.Effect === "Deny");
    expect(denies).toEqual([{ Sid: "NeverEscalateOrReadSecrets", Effect: "Deny", Action: [...PLAN_DENIED_ACTIONS], Resource: "*" }]);
    expect(denies[0].Action).toEqual(expect.arrayContaining(["sts:AssumeRole*", "sts:TagSession", "secretsmanager:GetSecretValue", "ssm:GetParameter*", "kms:Decrypt"]));
  });

  test("gets read-only (view) access to every cluster in its account, which cannot read Secrets", () => {
    for (const [env, account] of [["dev", "111111111111"], ["qa", "333333333333"], ["prod", "222222222222"]]) {
      const stack = stacks[`platform-${env}`];
      const entry = resourceAt(stack, "aws_eks_access_entry", `Cluster/ReadOnly-${account}-role-acme-plan/AccessEntry`);
      expect(entry.principal_arn).toBe(`arn:aws:iam::${account}:role/acme-plan`);
      const association = resourceAt(stack, "aws_eks_access_policy_association", `Cluster/ReadOnly-${account}-role-acme-plan/AccessPolicy`);
      expect(association).toMatchObject({ policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", access_scope: { type: "cluster" } });
    }
  });
});

describe("the apply roles", () => {
  test("one per environment, trusted exactly by the infrastructure repository's GitHub environment of that name", () => {
    const expected: Array<[string, string, string, string]> = [
      ["111111111111", "ApplyRole-dev", "dev-applier", "dev"],
      ["111111111111", "ApplyRole-staging", "acme-staging-apply", "staging"],
      ["333333333333", "ApplyRole-qa", "acme-qa-apply", "qa"],
      ["222222222222", "ApplyRole-prod", "slipway-deploy", "prod"],
    ];
    for (const [account, id, name, env] of expected) {
      const role = resourceAt(stacks[`bootstrap-${account}`], "aws_iam_role", `${id}/Resource`);
      expect(role.name).toBe(name);
      const [trust] = statements(role.assume_role_policy);
      expect(trust.Condition).toEqual({ StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com", [`${ISSUER}:sub`]: [`repo:${INFRA_REPO}:environment:${env}`] } });
      expect(statements(role.assume_role_policy)).toHaveLength(1);
    }
    // assumeRoleArn's path is kept.
    expect(resourceAt(stacks["bootstrap-111111111111"], "aws_iam_role", "ApplyRole-dev/Resource").path).toBe("/ci/");
  });

  test("manage the services Slipway uses, write state, and may never change CI's identities or assume another role", () => {
    const policy = statements(policiesOf(stacks["bootstrap-111111111111"], "ApplyRole-staging/Resource")[0].policy);
    const sids = Object.fromEntries(policy.map((s) => [s.Sid, s]));
    expect(sids.ManageSlipwayServices.Action).toEqual(expect.arrayContaining(["ec2:*", "eks:*", "iam:*", "rds:*", "s3:*"]));
    expect(sids.ManageSlipwayServices.Action).not.toContain("*");
    expect(sids.ManageSlipwayServices.Action.some((a: string) => a.startsWith("sts:") || a.startsWith("organizations:"))).toBe(false);
    expect(sids.WriteStateAndLock).toMatchObject({ Effect: "Allow", Resource: "arn:aws:s3:::acme-terraform-state/acme/*" });
    expect(sids.NeverChangeCiIdentities).toEqual({
      Sid: "NeverChangeCiIdentities",
      Effect: "Deny",
      Action: ["iam:*"],
      Resource: [
        "arn:aws:iam::111111111111:role/acme-plan",
        "arn:aws:iam::111111111111:role/ci/dev-applier",
        "arn:aws:iam::111111111111:role/acme-staging-apply",
        `arn:aws:iam::111111111111:oidc-provider/${ISSUER}`,
      ],
    });
    expect(sids.NeverBecomeAnotherRole).toMatchObject({ Effect: "Deny", Action: ["sts:AssumeRole*", "sts:GetFederationToken"], Resource: "*" });
    expect(sids.NeverWeakenTheStateBucket).toMatchObject({ Effect: "Deny", Resource: "arn:aws:s3:::acme-terraform-state" });
  });

  test("get cluster admin through an explicit access entry on their environment's cluster", () => {
    // The identity Terraform applies as: KubernetesCluster's terraformPrincipalArn, never whoever plans.
    const entry = resourceAt(stacks["platform-qa"], "aws_eks_access_entry", "Cluster/TerraformAdmin/AccessEntry");
    expect(entry.principal_arn).toBe("arn:aws:iam::333333333333:role/acme-qa-apply");
    expect(resourceAt(stacks["platform-qa"], "aws_eks_access_policy_association", "Cluster/TerraformAdmin/AccessPolicy")).toMatchObject({
      policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      access_scope: { type: "cluster" },
    });
  });
});

describe("the GitHub connection of the CI runners", () => {
  const count = (stack: Json, type: string) => Object.keys(stack.resource?.[type] ?? {}).length;
  const providerOf = (stack: Json, r: Json): Json => {
    const alias = r.provider ? String(r.provider).replace(/^aws\./, "") : undefined;
    return stack.provider.aws.find((p: Json) => p.alias === alias);
  };

  test("one connection and source credential per account and region of its environments, in bootstrap-<account> only", () => {
    // Example: dev and staging share 111111111111 in eu-west-1; prod is alone in 222222222222.
    for (const [name, stack] of Object.entries<Json>(local)) {
      const want = name.startsWith("bootstrap-") ? 1 : 0;
      expect({ name, connections: count(stack, "aws_codeconnections_connection"), credentials: count(stack, "aws_codebuild_source_credential") }).toEqual({ name, connections: want, credentials: want });
    }
    const [connection] = Object.values<Json>(local["bootstrap-111111111111"].resource.aws_codeconnections_connection);
    expect(connection).toMatchObject({ name: "acme-github", provider_type: "GitHub" });
    expect(Object.values<Json>(local["bootstrap-111111111111"].resource.aws_codebuild_source_credential)[0]).toEqual(
      expect.objectContaining({ auth_type: "CODECONNECTIONS", server_type: "GITHUB", token: expect.stringMatching(/^\$\{aws_codeconnections_connection\.GithubConnection-eu-west-1\.arn\}$/) }),
    );
    // Protected where the account runs production, as the runners' connection was in platform-prod.
    expect(connection.lifecycle).toBeUndefined();
    expect(Object.values<Json>(local["bootstrap-222222222222"].resource.aws_codeconnections_connection)[0].lifecycle).toEqual({ prevent_destroy: true });
  });

  test("in each environment's region, through an aliased provider where that is not the stack's own region", () => {
    // s3 backend: bootstrap-222222222222's provider is in the bucket's region (eu-central-1), prod in eu-west-1.
    const primary = stacks["bootstrap-222222222222"];
    const [connection] = Object.values<Json>(primary.resource.aws_codeconnections_connection);
    const [credential] = Object.values<Json>(primary.resource.aws_codebuild_source_credential);
    for (const r of [connection, credential]) expect(providerOf(primary, r)).toMatchObject({ alias: "eu-west-1", region: "eu-west-1", allowed_account_ids: ["222222222222"] });
    // qa alone in 333333333333/us-east-1: the stack's own provider.
    const qa = stacks["bootstrap-333333333333"];
    expect(providerOf(qa, Object.values<Json>(qa.resource.aws_codeconnections_connection)[0])).toMatchObject({ region: "us-east-1", allowed_account_ids: ["333333333333"] });
    expect(qa.provider.aws).toHaveLength(1);

    // Staging moved to another region of dev's account: that bootstrap stack makes two, one per region.
    const moved = synthAll(
      examplePlatform((d) => {
        d.environments[1].region = "us-east-1";
        d.environments[1].network.zones = ["us-east-1a", "us-east-1b"];
      }),
    );
    const two = moved["bootstrap-111111111111"];
    const regions = (type: string) => Object.values<Json>(two.resource[type]).map((r) => providerOf(two, r).region).sort();
    expect(regions("aws_codeconnections_connection")).toEqual(["eu-west-1", "us-east-1"]);
    expect(regions("aws_codebuild_source_credential")).toEqual(["eu-west-1", "us-east-1"]);
    expect(Object.keys(two.output).filter((o) => o.startsWith("github_connection_")).sort()).toEqual(["github_connection_eu-west-1", "github_connection_us-east-1"].map((o) => o.replace(/-/g, "_")));
    for (const [name, stack] of Object.entries<Json>(moved)) if (!name.startsWith("bootstrap-")) expect({ name, connections: count(stack, "aws_codeconnections_connection") }).toEqual({ name, connections: 0 });
  });

  test("its ARN is an output with the console step, and the summary line names it", () => {
    const stack = local["bootstrap-111111111111"];
    expect(stack.output.github_connection_eu_west_1).toEqual({
      value: expect.stringMatching(/^\$\{aws_codeconnections_connection\.GithubConnection-eu-west-1\.arn\}$/),
      description: expect.stringContaining("Developer Tools > Settings > Connections > acme-github"),
    });
    const app = new App({ outdir: tempDir("slipway-bootstrap-summary-") });
    const { bootstrapStacks } = buildPlatform(app, examplePlatform());
    expect(bootstrapStacks.map((b) => b.description)).toEqual([
      expect.stringMatching(/, GitHub connection acme-github in eu-west-1 \(authorize once in the console after applying\)$/),
      expect.stringMatching(/, GitHub connection acme-github in eu-west-1 \(authorize once in the console after applying\)$/),
    ]);
  });
});

describe("the state bucket", () => {
  test("s3 backend: in the primary (last environment's) account only, in the backend's region", () => {
    const primary = stacks["bootstrap-222222222222"];
    expect(primary.provider.aws[0]).toMatchObject({ region: "eu-central-1", allowed_account_ids: ["222222222222"] });
    expect(Object.values<Json>(primary.resource.aws_s3_bucket)).toHaveLength(1);
    for (const other of ["bootstrap-111111111111", "bootstrap-333333333333"]) expect(stacks[other].resource.aws_s3_bucket).toBeUndefined();
    // local backend: no bucket anywhere.
    for (const [name, stack] of Object.entries<Json>(local)) if (name.startsWith("bootstrap-")) expect(stack.resource.aws_s3_bucket).toBeUndefined();
  });

  test("versioned, encrypted, public access blocked, ACLs off, TLS only, never destroyed; the platform's other accounts reach the state objects", () => {
    const stack = stacks["bootstrap-222222222222"];
    const bucket = resourceAt(stack, "aws_s3_bucket", "StateBucket");
    expect(bucket).toMatchObject({ bucket: "acme-terraform-state", lifecycle: { prevent_destroy: true } });
    expect(Object.values<Json>(stack.resource.aws_s3_bucket_versioning)[0].versioning_configuration).toEqual({ status: "Enabled" });
    expect(Object.values<Json>(stack.resource.aws_s3_bucket_server_side_encryption_configuration)[0].rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
    expect(Object.values<Json>(stack.resource.aws_s3_bucket_public_access_block)[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(Object.values<Json>(stack.resource.aws_s3_bucket_ownership_controls)[0].rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
    const policy = statements(Object.values<Json>(stack.resource.aws_s3_bucket_policy)[0].policy);
    expect(policy[0]).toMatchObject({ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(policy[1]).toMatchObject({
      Sid: "PlatformAccountsReachState",
      Principal: { AWS: ["arn:aws:iam::111111111111:root", "arn:aws:iam::333333333333:root"] },
      Resource: ["arn:aws:s3:::acme-terraform-state", "arn:aws:s3:::acme-terraform-state/acme/*"],
    });
    expect(policy).toHaveLength(2);
  });
});

describe("the infrastructure repository's GitHub environments", () => {
  const stack = stacks["bootstrap-222222222222"];
  const environments = () => Object.values<Json>(resourcesByPath(stack, "github_repository_environment"));

  test("one per platform environment, the drift environment and the first-apply gate, in the primary bootstrap stack only", () => {
    expect(environments().map((e) => e.environment).sort()).toEqual(["dev", "staging", "qa", "prod", DRIFT_ENVIRONMENT, FIRST_APPLY_ENVIRONMENT].sort());
    for (const e of environments()) expect(e).toMatchObject({ repository: "acme-infrastructure", can_admins_bypass: false, deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } });
    expect(stacks["bootstrap-111111111111"].resource.github_repository_environment).toBeUndefined();
  });

  test("deploy from the default branch only; production waits for the platform file's reviewers, who cannot approve their own run", () => {
    const policies = Object.values<Json>(stack.resource.github_repository_environment_deployment_policy);
    expect(policies.map((p) => p.branch_pattern)).toEqual(["main", "main", "main", "main", "main", "main"]);
    const prod = environments().find((e) => e.environment === "prod");
    expect(prod.prevent_self_review).toBe(true);
    // The id as the platform file gives it: a pull request's plan cannot look a team up.
    expect(prod.reviewers).toEqual([{ teams: [4818261], users: [] }]);
    expect(prod["//"].reviewer_teams).toEqual({ "4818261": "platform" });
    expect(environments().find((e) => e.environment === "dev").reviewers).toBeUndefined();
    // A deferred stack's first plan in an environment without reviewers waits for production's.
    expect(environments().find((e) => e.environment === FIRST_APPLY_ENVIRONMENT)).toMatchObject({ reviewers: [{ teams: [4818261], users: [] }], prevent_self_review: true });
    // No environment requires approval: no gate (the merge leaves deferred stacks to the next pull request).
    const ungated = synthAll(examplePlatform((d) => (d.environments[2].approval = { required: false })))["bootstrap-222222222222"];
    expect(Object.values<Json>(ungated.resource.github_repository_environment).map((e) => e.environment).sort()).toEqual(["dev", DRIFT_ENVIRONMENT, "prod", "staging"].sort());
  });

  test("github.infrastructureRepository names the repository", () => {
    const named = synthAll(examplePlatform((d) => (d.github.infrastructureRepository = "platform-config")));
    const env = Object.values<Json>(named["bootstrap-222222222222"].resource.github_repository_environment)[0];
    expect(env.repository).toBe("platform-config");
    const [trust] = statements(resourceAt(named["bootstrap-111111111111"], "aws_iam_role", "PlanRole/Resource").assume_role_policy);
    expect(trust.Condition.StringEquals[`${ISSUER}:sub`][0]).toBe("repo:acme-corp/platform-config:pull_request");
  });
});

describe("credentials come from the job, never from a provider", () => {
  test("no AWS provider of any stack assumes a role, even where the platform file names assumeRoleArn", () => {
    for (const [name, stack] of [...Object.entries<Json>(stacks), ...Object.entries<Json>(local)]) {
      // kube-system-<env> has Kubernetes resources only: no AWS provider at all.
      for (const provider of stack.provider.aws ?? []) {
        expect({ name, keys: Object.keys(provider).filter((k) => /assume_role|profile|access_key|secret_key|token/.test(k)) }).toEqual({ name, keys: [] });
      }
    }
  });

  test("the Kubernetes provider's exec auth gets a token for the caller's own identity: no --role-arn", () => {
    const runtime = Object.entries<Json>(stacks).filter(([, s]) => s.provider.kubernetes);
    expect(runtime.map(([n]) => n)).toEqual(["kube-system-dev", "kube-system-staging", "kube-system-qa", "kube-system-prod", "hello-dev", "hello-staging", "hello-qa", "hello-prod"]);
    for (const [name, stack] of runtime) {
      // The environment's region: the stack's own AWS provider's, or (kube-system-<env>, which has none) its platform stack's.
      const region = (stack.provider.aws ?? stacks[name.replace(/^kube-system-/, "platform-")].provider.aws)[0].region;
      const [exec] = stack.provider.kubernetes[0].exec;
      expect({ name, command: exec.command, args: exec.args.filter((a: string) => !a.startsWith("${")) }).toEqual({
        name,
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", "--region", region],
      });
    }
  });
});

const { tools, test: withTerraform } = terraformForTests("bootstrap stacks' validate and plan");

withTerraform("the bootstrap stacks' AWS part validates and plans with real Terraform", async () => {
  // Two bootstrap stacks cover every kind of resource (a role path, shared and own apply roles, the
  // bucket); the other stacks' plans are proven by the e2e tests. Each Terraform run costs a provider
  // start. The stacks are this file's synth of `platform` (the same as a fresh one: synth is deterministic).
  const checks = await checkStacks({ "bootstrap-111111111111": stacks["bootstrap-111111111111"], "bootstrap-222222222222": stacks["bootstrap-222222222222"] }, tools!);
  const results = Object.fromEntries(checks.map((c) => [c.stack, { validate: c.validate.ok || c.validate.output, plan: c.plan.ok || c.plan.output, toAdd: c.plan.toAdd }]));
  // OIDC provider, plan role and policy, per environment an apply role and policy, and the GitHub
  // connection and source credential (in prod's region through an aliased provider); the primary adds the bucket's six resources.
  expect(results).toEqual({
    "bootstrap-111111111111": { validate: true, plan: true, toAdd: 1 + 2 + 2 * 2 + 2 },
    "bootstrap-222222222222": { validate: true, plan: true, toAdd: 1 + 2 + 2 + 6 + 2 },
  });
}, 180_000);

describe("the plan role reads the runners' GitHub connection, never its token", () => {
  test("codeconnections Get/List of the connection and its tags; no GetConnectionToken, no UseConnection", () => {
    const stacks = synthAll(examplePlatform());
    for (const name of ["bootstrap-111111111111", "bootstrap-222222222222"]) {
      const policies = Object.values<any>(stacks[name].resource.aws_iam_role_policy).map((p) => JSON.parse(p.policy));
      const read = policies.flatMap((p) => p.Statement).find((s: any) => s.Sid === "DescribeResources");
      const codeconnections = read.Action.filter((a: string) => a.startsWith("codeconnections:")).sort();
      expect([name, codeconnections]).toEqual([name, ["codeconnections:GetConnection", "codeconnections:ListConnections", "codeconnections:ListTagsForResource"]]);
    }
  });
});
