import * as fs from "node:fs";
import * as path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { CiRunners, CiRunnersProps, ciRunnerProjectName, codebuildRunnerLabel, isCodebuildRunnerLabel } from "../../constructs/ci-runners";
import { DeliveryPipeline, DeliveryPipelineProps } from "../../constructs/delivery-pipeline";
import { SlipwayValidationError } from "../../constructs/util";
import { actionlint } from "../support/actionlint";
import { examplePlatform, ROOT, synthAll } from "../support/platform";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"];
const BASE: CiRunnersProps = {
  name: "acme-dev",
  network: { vpcId: "vpc-0123456789abcdef0", cidrBlock: "10.10.0.0/16", privateSubnetIds: SUBNETS },
  cluster: { clusterSecurityGroupId: "sg-0cluster000000000" },
  githubOwner: "acme-corp",
};
const LABEL = "codebuild-acme-dev-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}";

/** A stack with an AWS provider like the platform stacks' (account and region come from it). */
function synth(overrides: Partial<CiRunnersProps> = {}, provider: { region?: string; allowedAccountIds?: string[] } | null = { region: "eu-west-1", allowedAccountIds: ["111111111111"] }) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  if (provider) new AwsProvider(stack, "aws", provider);
  const runners = new CiRunners(stack, "CiRunners", { ...BASE, ...overrides });
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { runners, tf };
}

const plan = constructResources("CiRunners_PlanRunner");
const deploy = constructResources("CiRunners_DeployRunner");
const preview = constructResources("CiRunners_PreviewRunner");
const top = constructResources("CiRunners");
/** Resources of the preview runner by type: those whose Terraform name is CiRunners_PreviewRunner_*. */
const previewCounts = (tf: Json): Record<string, number> =>
  Object.fromEntries(
    Object.entries<Json>(tf.resource)
      .map(([type, byName]) => [type, Object.keys(byName).filter((k) => k.startsWith("CiRunners_PreviewRunner_")).length] as const)
      .filter(([, n]) => n > 0),
  );
const RUNNERS = [
  ["plan", plan],
  ["deploy", deploy],
] as const;

function expectInvalid(overrides: Partial<CiRunnersProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/CiRunners", field, accepted);
}

function statements(policy: string): Json[] {
  return JSON.parse(policy).Statement;
}

describe("CiRunners", () => {
  test("secure defaults: two projects, each with its own role, security group, log group and webhook", () => {
    const { tf, runners } = synth();
    const { aws: _provider, ...resources } = { aws: null, ...tf.resource };
    expect(top.countByType({ resource: resources })).toEqual({
      aws_codeconnections_connection: 1,
      aws_codebuild_source_credential: 1,
      aws_kms_key: 1,
      aws_cloudwatch_log_group: 2,
      aws_security_group: 2,
      aws_vpc_security_group_egress_rule: 8,
      aws_vpc_security_group_ingress_rule: 2,
      aws_iam_role: 2,
      aws_iam_role_policy: 2,
      aws_codebuild_project: 2,
      aws_codebuild_webhook: 2,
    });
    expect(tf.data).toBeUndefined();
    expect(runners.plan.projectName).toBe("acme-dev-plan-runner");
    expect(runners.deploy.projectName).toBe("acme-dev-deploy-runner");
    expect(runners.deploy.runsOn).toBe(LABEL);
    expect(runners.plan.runsOn).toBe("codebuild-acme-dev-plan-runner-${{ github.run_id }}-${{ github.run_attempt }}");
  });

  test.each(RUNNERS)("the %s project runs in the private subnets, unprivileged, small, with timeouts and encrypted logs", (kind, r) => {
    const { tf } = synth();
    const project = r.one(tf, "aws_codebuild_project", "Project");
    expect(project.name).toBe(`acme-dev-${kind}-runner`);
    expect(project.vpc_config).toEqual({ vpc_id: "vpc-0123456789abcdef0", subnets: SUBNETS, security_group_ids: [r.ref(tf, "aws_security_group", "SecurityGroup")] });
    expect(project.environment).toEqual({
      type: "LINUX_CONTAINER",
      compute_type: "BUILD_GENERAL1_SMALL",
      image: "aws/codebuild/amazonlinux-x86_64-standard:5.0",
      image_pull_credentials_type: "CODEBUILD",
      privileged_mode: false,
    });
    expect(project.build_timeout).toBe(60);
    expect(project.queued_timeout).toBe(30);
    expect(project.concurrent_build_limit).toBeUndefined();
    expect(project.service_role).toBe(r.ref(tf, "aws_iam_role", "Role", "arn"));
    expect(project.artifacts).toEqual({ type: "NO_ARTIFACTS" });
    // An organization webhook's source: one project serves every repository of the organization.
    expect(project.source).toEqual({ type: "GITHUB", location: "CODEBUILD_DEFAULT_WEBHOOK_SOURCE_LOCATION" });
    expect(project.logs_config).toEqual({
      cloudwatch_logs: { status: "ENABLED", group_name: r.ref(tf, "aws_cloudwatch_log_group", "LogGroup", "name") },
      s3_logs: { status: "DISABLED" },
    });
    const logGroup = r.one(tf, "aws_cloudwatch_log_group", "LogGroup");
    expect(logGroup).toMatchObject({ name: `/aws/codebuild/acme-dev-${kind}-runner`, retention_in_days: 90, kms_key_id: top.ref(tf, "aws_kms_key", "LogKey", "arn") });
    const key = top.one(tf, "aws_kms_key", "LogKey");
    expect(key.enable_key_rotation).toBe(true);
    const logsStatement = statements(key.policy).find((s) => s.Sid === "CloudWatchLogs")!;
    expect(logsStatement.Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(logsStatement.Condition).toEqual({ ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/codebuild/*" } });
  });

  test.each(RUNNERS)("the %s webhook starts a build only for queued workflow jobs, from the organization", (_kind, r) => {
    const { tf } = synth();
    const webhook = r.one(tf, "aws_codebuild_webhook", "Webhook");
    expect(webhook).toMatchObject({
      project_name: r.ref(tf, "aws_codebuild_project", "Project", "name"),
      build_type: "BUILD",
      filter_group: [{ filter: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }],
      scope_configuration: { name: "acme-corp", scope: "GITHUB_ORGANIZATION" },
      depends_on: [top.address(tf, "aws_codebuild_source_credential", "SourceCredential")],
    });
    expect(webhook.manual_creation).toBeUndefined();
  });

  test.each(RUNNERS)("the %s service role is trusted by CodeBuild for this project only and grants nothing a job could use", (kind, r) => {
    const { tf } = synth();
    const role = r.one(tf, "aws_iam_role", "Role");
    expect(statements(role.assume_role_policy)).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "codebuild.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "111111111111", "aws:SourceArn": `arn:aws:codebuild:eu-west-1:111111111111:project/acme-dev-${kind}-runner` } },
      },
    ]);
    expect(role.managed_policy_arns).toBeUndefined();
    expect(tf.resource.aws_iam_role_policy_attachment).toBeUndefined();

    const policy = statements(r.one(tf, "aws_iam_role_policy", "RolePolicy").policy);
    const actions = policy.flatMap((s) => [s.Action].flat());
    expect(policy.every((s) => s.Effect === "Allow" && s.NotAction === undefined && s.NotResource === undefined)).toBe(true);
    expect(actions.filter((a) => /^(sts|iam|eks|ecr|s3|secretsmanager|ssm|kms):/.test(a) || a.includes("*"))).toEqual([]);
    const subnetArns = SUBNETS.map((s) => `arn:aws:ec2:eu-west-1:111111111111:subnet/${s}`);
    const eni = "arn:aws:ec2:eu-west-1:111111111111:network-interface/*";
    expect(policy).toEqual([
      {
        Sid: "DescribeNetwork",
        Effect: "Allow",
        Action: ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
        Resource: "*",
      },
      { Sid: "CreateBuildNetworkInterface", Effect: "Allow", Action: "ec2:CreateNetworkInterface", Resource: [eni, ...subnetArns, r.ref(tf, "aws_security_group", "SecurityGroup", "arn")] },
      {
        Sid: "AuthorizeBuildNetworkInterface",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterfacePermission",
        Resource: eni,
        Condition: { StringEquals: { "ec2:Subnet": subnetArns, "ec2:AuthorizedService": "codebuild.amazonaws.com" } },
      },
      { Sid: "DeleteBuildNetworkInterface", Effect: "Allow", Action: "ec2:DeleteNetworkInterface", Resource: eni, Condition: { StringEquals: { "ec2:Subnet": subnetArns } } },
      { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${r.ref(tf, "aws_cloudwatch_log_group", "LogGroup", "arn")}:log-stream:*` },
      { Sid: "GithubConnection", Effect: "Allow", Action: ["codeconnections:GetConnection", "codeconnections:GetConnectionToken"], Resource: top.ref(tf, "aws_codeconnections_connection", "GithubConnection", "arn") },
    ]);
  });

  test.each(RUNNERS)("the %s security group admits nothing and reaches only HTTPS, the VPC resolver and the cluster API", (kind, r) => {
    const { tf } = synth();
    const sg = r.one(tf, "aws_security_group", "SecurityGroup");
    expect(sg).toMatchObject({ name: `acme-dev-${kind}-runner`, vpc_id: "vpc-0123456789abcdef0" });
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    const sgId = r.ref(tf, "aws_security_group", "SecurityGroup");
    const rule = (x: Json) => ({ protocol: x.ip_protocol, from: x.from_port, to: x.to_port, cidr: x.cidr_ipv4, sg: x.referenced_security_group_id });
    const egress = Object.values<Json>(tf.resource.aws_vpc_security_group_egress_rule).filter((x) => x.security_group_id === sgId);
    const byText = (a: Json, b: Json) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(egress.map(rule).sort(byText)).toEqual([
      { protocol: "tcp", from: 443, to: 443, cidr: "0.0.0.0/0", sg: undefined },
      { protocol: "udp", from: 53, to: 53, cidr: "10.10.0.2/32", sg: undefined },
      { protocol: "tcp", from: 53, to: 53, cidr: "10.10.0.2/32", sg: undefined },
      { protocol: "tcp", from: 443, to: 443, cidr: undefined, sg: "sg-0cluster000000000" },
    ].sort(byText));
    for (const x of egress) expect(x.description.length).toBeGreaterThan(5);
    // No rule anywhere admits traffic into the runners.
    const ingress = Object.values<Json>(tf.resource.aws_vpc_security_group_ingress_rule);
    expect(ingress.filter((x) => x.security_group_id === sgId)).toEqual([]);
    // The cluster admits this runner on 443, and only there.
    const clusterIngress = ingress.filter((x) => x.referenced_security_group_id === sgId);
    expect(clusterIngress.map((x) => ({ ...rule(x), target: x.security_group_id }))).toEqual([
      { protocol: "tcp", from: 443, to: 443, cidr: undefined, sg: sgId, target: "sg-0cluster000000000" },
    ]);
  });

  test("no preview runner unless previewRepositories names the repositories whose previews it serves", () => {
    const { tf, runners } = synth();
    expect(runners.preview).toBeUndefined();
    expect(previewCounts(tf)).toEqual({});
    expect(Object.values<Json>(tf.resource.aws_codebuild_project).map((p) => p.name).sort()).toEqual(["acme-dev-deploy-runner", "acme-dev-plan-runner"]);
  });

  test("the preview runner: its own project, role, log group and security group (HTTPS, the resolver and the cluster API; no database), its webhook filtered to the preview repositories and workflows", () => {
    const { tf, runners } = synth({ previewRepositories: ["hello", "my.app"], previewWorkflowNames: ["Preview", "Preview sweep"] });
    expect(runners.preview!.projectName).toBe("acme-dev-preview-runner");
    expect(runners.preview!.runsOn).toBe("codebuild-acme-dev-preview-runner-${{ github.run_id }}-${{ github.run_attempt }}");
    expect(previewCounts(tf)).toEqual({
      aws_cloudwatch_log_group: 1,
      aws_security_group: 1,
      aws_vpc_security_group_egress_rule: 4,
      aws_vpc_security_group_ingress_rule: 1,
      aws_iam_role: 1,
      aws_iam_role_policy: 1,
      aws_codebuild_project: 1,
      aws_codebuild_webhook: 1,
    });
    const project = preview.one(tf, "aws_codebuild_project", "Project");
    expect(project.name).toBe("acme-dev-preview-runner");
    expect(project.vpc_config).toEqual({ vpc_id: "vpc-0123456789abcdef0", subnets: SUBNETS, security_group_ids: [preview.ref(tf, "aws_security_group", "SecurityGroup")] });
    expect(project.environment.privileged_mode).toBe(false);
    expect(project.service_role).toBe(preview.ref(tf, "aws_iam_role", "Role", "arn"));
    expect(project.tags).toEqual({ Name: "acme-dev-preview-runner", "slipway:runner": "preview" });
    // Never the deploy runner's role, security group or project.
    expect(project.service_role).not.toBe(deploy.one(tf, "aws_codebuild_project", "Project").service_role);
    expect(preview.ref(tf, "aws_security_group", "SecurityGroup")).not.toBe(deploy.ref(tf, "aws_security_group", "SecurityGroup"));
    expect(statements(preview.one(tf, "aws_iam_role", "Role").assume_role_policy)[0].Condition).toEqual({ StringEquals: { "aws:SourceAccount": "111111111111", "aws:SourceArn": "arn:aws:codebuild:eu-west-1:111111111111:project/acme-dev-preview-runner" } });
    const actions = statements(preview.one(tf, "aws_iam_role_policy", "RolePolicy").policy).flatMap((x) => [x.Action].flat());
    expect(actions.filter((a) => /^(sts|iam|eks|ecr|s3|secretsmanager|ssm|kms|rds|rds-db):/.test(a) || a.includes("*"))).toEqual([]);
    expect(preview.one(tf, "aws_cloudwatch_log_group", "LogGroup")).toMatchObject({ name: "/aws/codebuild/acme-dev-preview-runner", retention_in_days: 90 });

    const sgId = preview.ref(tf, "aws_security_group", "SecurityGroup");
    const rule = (x: Json) => ({ protocol: x.ip_protocol, from: x.from_port, to: x.to_port, cidr: x.cidr_ipv4, sg: x.referenced_security_group_id });
    const byText = (a: Json, b: Json) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    const egress = Object.values<Json>(tf.resource.aws_vpc_security_group_egress_rule).filter((x) => x.security_group_id === sgId);
    expect(egress.map(rule).sort(byText)).toEqual(
      [
        { protocol: "tcp", from: 443, to: 443, cidr: "0.0.0.0/0", sg: undefined },
        { protocol: "udp", from: 53, to: 53, cidr: "10.10.0.2/32", sg: undefined },
        { protocol: "tcp", from: 53, to: 53, cidr: "10.10.0.2/32", sg: undefined },
        { protocol: "tcp", from: 443, to: 443, cidr: undefined, sg: "sg-0cluster000000000" },
      ].sort(byText),
    );
    const ingress = Object.values<Json>(tf.resource.aws_vpc_security_group_ingress_rule);
    expect(ingress.filter((x) => x.security_group_id === sgId)).toEqual([]);
    expect(ingress.filter((x) => x.referenced_security_group_id === sgId).map((x) => ({ ...rule(x), target: x.security_group_id }))).toEqual([{ protocol: "tcp", from: 443, to: 443, cidr: undefined, sg: sgId, target: "sg-0cluster000000000" }]);

    expect(preview.one(tf, "aws_codebuild_webhook", "Webhook")).toMatchObject({
      project_name: preview.ref(tf, "aws_codebuild_project", "Project", "name"),
      build_type: "BUILD",
      filter_group: [
        {
          filter: [
            { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
            { type: "REPOSITORY_NAME", pattern: "^(hello|my\\.app)$" },
            { type: "WORKFLOW_NAME", pattern: "^(Preview|Preview sweep)$" },
          ],
        },
      ],
      scope_configuration: { name: "acme-corp", scope: "GITHUB_ORGANIZATION" },
    });
  });

  test("fails when the preview runner's repositories or workflow names are not valid", () => {
    expectInvalid({ previewRepositories: [] }, "previewRepositories", /non-empty list of GitHub repository names/);
    expectInvalid({ previewRepositories: ["acme/hello"] }, "previewRepositories", /without the owner/);
    expectInvalid({ previewWorkflowNames: ["Preview"] }, "previewWorkflowNames", /without previewRepositories/);
    expectInvalid({ previewRepositories: ["hello"], previewWorkflowNames: ["Pre\nview"] }, "previewWorkflowNames", /each one line/);
  });

  test("the account's GitHub connection is created PENDING-capable for GitHub and registered as the region's source credential", () => {
    const { tf } = synth();
    // Kept: a new connection stops the runners until a person authorizes it again.
    expect(top.one(tf, "aws_codeconnections_connection", "GithubConnection")).toMatchObject({ name: "acme-dev-github", provider_type: "GitHub", lifecycle: { prevent_destroy: true } });
    expect(top.one(synth({ preventDestroy: false }).tf, "aws_codeconnections_connection", "GithubConnection").lifecycle).toBeUndefined();
    expect(top.one(tf, "aws_codebuild_source_credential", "SourceCredential")).toMatchObject({
      auth_type: "CODECONNECTIONS",
      server_type: "GITHUB",
      token: top.ref(tf, "aws_codeconnections_connection", "GithubConnection", "arn"),
    });
  });

  test("a shared connection: no connection or credential of its own, unless told to register it in its region", () => {
    const shared = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    const { tf } = synth({ githubConnectionArn: shared });
    expect(tf.resource.aws_codeconnections_connection).toBeUndefined();
    expect(tf.resource.aws_codebuild_source_credential).toBeUndefined();
    expect(deploy.one(tf, "aws_codebuild_webhook", "Webhook").depends_on).toBeUndefined();
    expect(statements(deploy.one(tf, "aws_iam_role_policy", "RolePolicy").policy).find((s) => s.Sid === "GithubConnection")!.Resource).toBe(shared);

    const other = synth({ githubConnectionArn: shared, registerSourceCredential: true }).tf;
    expect(top.one(other, "aws_codebuild_source_credential", "SourceCredential")).toMatchObject({ auth_type: "CODECONNECTIONS", token: shared });
  });

  test("repository and workflow filters narrow each project's webhook, as exact-match patterns", () => {
    const { tf } = synth({ planRepositories: ["infra"], deployRepositories: ["infra", "hello", "my.app"], deployWorkflowNames: ["Deliver", "Slipway apply"] });
    expect(plan.one(tf, "aws_codebuild_webhook", "Webhook").filter_group).toEqual([
      {
        filter: [
          { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
          { type: "REPOSITORY_NAME", pattern: "^(infra)$" },
        ],
      },
    ]);
    expect(deploy.one(tf, "aws_codebuild_webhook", "Webhook").filter_group).toEqual([
      {
        filter: [
          { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
          { type: "REPOSITORY_NAME", pattern: "^(infra|hello|my\\.app)$" },
          { type: "WORKFLOW_NAME", pattern: "^(Deliver|Slipway apply)$" },
        ],
      },
    ]);
  });

  test("compute, image, privileged mode, timeouts, concurrency, retention and log key are overridable", () => {
    const { tf } = synth({
      computeType: "BUILD_GENERAL1_MEDIUM",
      image: "aws/codebuild/amazonlinux-aarch64-standard:3.0",
      privilegedMode: true,
      buildTimeoutMinutes: 120,
      queuedTimeoutMinutes: 10,
      concurrentBuildLimit: 4,
      logRetentionDays: 30,
      logKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    });
    const project = deploy.one(tf, "aws_codebuild_project", "Project");
    expect(project.environment).toMatchObject({ compute_type: "BUILD_GENERAL1_MEDIUM", image: "aws/codebuild/amazonlinux-aarch64-standard:3.0", privileged_mode: true });
    expect(project).toMatchObject({ build_timeout: 120, queued_timeout: 10, concurrent_build_limit: 4 });
    expect(deploy.one(tf, "aws_cloudwatch_log_group", "LogGroup")).toMatchObject({ retention_in_days: 30, kms_key_id: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab" });
    expect(tf.resource.aws_kms_key).toBeUndefined();
  });

  test("without a cluster the runners get no cluster rule", () => {
    const { tf } = synth({ cluster: undefined });
    expect(tf.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    expect(Object.values<Json>(tf.resource.aws_vpc_security_group_egress_rule).filter((x) => x.referenced_security_group_id)).toEqual([]);
  });

  test("account and region come from the stack's AWS provider, or from props in a China region", () => {
    const { tf } = synth({ accountId: "222222222222", region: "cn-north-1" }, null);
    const policy = statements(deploy.one(tf, "aws_iam_role_policy", "RolePolicy").policy);
    expect(policy.find((s) => s.Sid === "DeleteBuildNetworkInterface")!.Resource).toBe("arn:aws-cn:ec2:cn-north-1:222222222222:network-interface/*");
  });

  test("takes the account (and region) read at plan time when the stack's provider names none", () => {
    const keyPolicy = (tf: Json) => JSON.parse((Object.entries(tf.resource.aws_kms_key).find(([k]) => /^CiRunners_LogKey_[0-9A-F]{8}$/.test(k))![1] as Json).policy);
    const noAccount = synth({}, { region: "eu-west-1" }).tf;
    expect(keyPolicy(noAccount).Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::${data.aws_caller_identity.SlipwayCallerIdentity.account_id}:root" });
    expect(keyPolicy(noAccount).Statement[1].Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(Object.keys(noAccount.data)).toEqual(["aws_caller_identity"]);
    const noProvider = synth({}, null).tf;
    expect(keyPolicy(noProvider).Statement[1].Principal).toEqual({ Service: "logs.${data.aws_region.SlipwayRegion.name}.${data.aws_partition.SlipwayPartition.dns_suffix}" });
    expect(Object.keys(noProvider.data).sort()).toEqual(["aws_caller_identity", "aws_partition", "aws_region"]);
  });

  test("fails on bad props, naming the field and what is valid", () => {
    expectInvalid({ name: "acme dev" }, "name", "CodeBuild project name");
    expectInvalid({ githubOwner: "acme/corp" }, "githubOwner", "GitHub organization name");
    expectInvalid({ network: { ...BASE.network, cidrBlock: "10.10.0.0" } }, "network.cidrBlock", "VPC resolver");
    expectInvalid({ network: { ...BASE.network, privateSubnetIds: [] } }, "network.privateSubnetIds", "at least one private subnet");
    expectInvalid({ deployRepositories: [] }, "deployRepositories", "non-empty list of GitHub repository names");
    expectInvalid({ planRepositories: ["acme-corp/infra"] }, "planRepositories", "without the owner");
    expectInvalid({ deployWorkflowNames: ["two\nlines"] }, "deployWorkflowNames", "each one line");
    expectInvalid({ buildTimeoutMinutes: 3000 }, "buildTimeoutMinutes", "whole minutes from 5 to 2160");
    expectInvalid({ queuedTimeoutMinutes: 1 }, "queuedTimeoutMinutes", "whole minutes from 5 to 480");
    expectInvalid({ concurrentBuildLimit: 0 }, "concurrentBuildLimit", "at least 1");
    expectInvalid({ logRetentionDays: 0 }, "logRetentionDays", "a CloudWatch Logs retention period");
    expectInvalid({ githubConnectionName: "x".repeat(33) }, "githubConnectionName", "1 to 32");
    expectInvalid({ accountId: "1234" }, "accountId", "12-digit");
    expectInvalid({ githubConnectionArn: "arn:aws:iam::111111111111:role/x" }, "githubConnectionArn", "a CodeConnections connection ARN");
    expectInvalid({ githubConnectionArn: "arn:aws:codeconnections:eu-west-1:111111111111:connection/*", registerSourceCredential: true }, "githubConnectionArn", "exact ARN");
  });
});

describe("runner labels", () => {
  test("codebuildRunnerLabel: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}", () => {
    expect(codebuildRunnerLabel("acme-dev-deploy-runner")).toBe(LABEL);
    expect(codebuildRunnerLabel(ciRunnerProjectName("acme-prod", "plan"))).toBe("codebuild-acme-prod-plan-runner-${{ github.run_id }}-${{ github.run_attempt }}");
    expect(() => codebuildRunnerLabel("x ${{ secrets.TOKEN }}")).toThrow(/is not a CodeBuild project name/);
    expect(() => codebuildRunnerLabel("")).toThrow(/is not a CodeBuild project name/);
  });

  test("isCodebuildRunnerLabel accepts exactly what codebuildRunnerLabel makes", () => {
    expect(isCodebuildRunnerLabel(LABEL)).toBe(true);
    expect(isCodebuildRunnerLabel(codebuildRunnerLabel("p_1"))).toBe(true);
    for (const other of [
      "ubuntu-latest",
      "codebuild-acme-dev-deploy-runner",
      "codebuild-acme-dev-deploy-runner-${{ github.run_id }}",
      "codebuild-x-${{ github.run_id }}-${{ github.run_attempt }}-${{ secrets.TOKEN }}",
      "codebuild-${{ secrets.TOKEN }}-${{ github.run_id }}-${{ github.run_attempt }}",
      `${LABEL}\nrun: curl evil`,
    ]) {
      expect({ other, accepted: isCodebuildRunnerLabel(other) }).toEqual({ other, accepted: false });
    }
  });
});

describe("a DeliveryPipeline on CodeBuild runners", () => {
  const pipeline = (runsOn: string | string[]) => {
    const stack = new TerraformStack(Testing.app(), "test");
    const props: DeliveryPipelineProps = { appName: "hello", testCommand: "npm test", healthPath: "/healthz", repository: { name: "hello" }, environments: [{ name: "dev", runsOn }] };
    return new DeliveryPipeline(stack, "Pipeline", props);
  };

  test("accepts a CodeBuild runner label, which needs no actionlint declaration and passes actionlint", () => {
    const p = pipeline([LABEL]);
    expect(parse(p.workflows[".github/workflows/deliver.yml"]).jobs["deploy-dev"]["runs-on"]).toEqual([LABEL]);
    expect(p.selfHostedRunnerLabels).toEqual([]);
    expect(p.configFiles).toEqual({});
    expect(actionlint(p.workflows)).toEqual([]);
  });

  test("fails on any other runner label carrying an expression", () => {
    for (const label of ["codebuild-x-${{ github.run_id }}-${{ github.run_attempt }}-${{ secrets.TOKEN }}", "${{ vars.RUNNER }}", `${LABEL} `]) {
      expect(() => pipeline([label])).toThrow(SlipwayValidationError);
      expect(() => pipeline([label])).toThrow(/environments\[0\]\.runsOn.* is invalid: a runner label such as ubuntu-latest/);
    }
  });
});

describe("the platform's runners", () => {
  const stacks = synthAll(examplePlatform());
  const deliver = (s: Record<string, Json>) => {
    const file = Object.values<Json>(s["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/workflows/deliver.yml")!;
    // Terraform turns `$${` back into `${` when it writes the file.
    return parse(file.content.replace(/\$\$\{/g, "${"));
  };

  test("each platform stack has <platform>-<env>-plan-runner and -deploy-runner in its private subnets; the previews' host (dev) also -preview-runner", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const projects = Object.values<Json>(stacks[`platform-${env}`].resource.aws_codebuild_project);
      expect(projects.map((p) => p.name).sort()).toEqual([`acme-${env}-deploy-runner`, `acme-${env}-plan-runner`, ...(env === "dev" ? [`acme-${env}-preview-runner`] : [])]);
      for (const p of projects) expect(p.vpc_config.subnets).toEqual([0, 1, 2].slice(0, p.vpc_config.subnets.length).map((i) => expect.stringMatching(new RegExp(`^\\$\\{aws_subnet\\.Network_PrivateSubnet${i}_`))));
      // Pull-request plans and trusted jobs never share a project, a role or a security group.
      expect(new Set(projects.map((p) => p.service_role)).size).toBe(projects.length);
      expect(new Set(projects.map((p) => JSON.stringify(p.vpc_config.security_group_ids))).size).toBe(projects.length);
    }
  });

  test("only the infrastructure repository starts a plan runner; it and the apps' repositories start a deploy runner", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const repositories = (kind: string) =>
        Object.values<Json>(stacks[`platform-${env}`].resource.aws_codebuild_webhook)
          .find((w) => String(w.project_name).includes(`CiRunners_${kind}`))!
          .filter_group[0].filter.find((f: Json) => f.type === "REPOSITORY_NAME")?.pattern;
      expect(repositories("PlanRunner")).toBe("^(acme-infrastructure)$");
      expect(repositories("DeployRunner")).toBe("^(acme-infrastructure|hello)$");
    }
  });

  test("no platform stack creates a GitHub connection or source credential: its runners name bootstrap-<account>'s by pattern and read no other's state", () => {
    const count = (s: Record<string, Json>, stack: string, type: string) => Object.keys(s[stack].resource[type] ?? {}).length;
    const connectionResource = (s: Record<string, Json>, stack: string) =>
      Object.values<Json>(s[stack].resource.aws_iam_role_policy)
        .filter((p) => p.name === "codebuild-runner")
        .map((p) => JSON.parse(p.policy).Statement.find((x: Json) => x.Sid === "GithubConnection").Resource);
    const platforms = ["platform-dev", "platform-staging", "platform-prod"];
    for (const p of platforms) {
      expect({ p, connections: count(stacks, p, "aws_codeconnections_connection"), credentials: count(stacks, p, "aws_codebuild_source_credential") }).toEqual({ p, connections: 0, credentials: 0 });
      expect(JSON.stringify(stacks[p])).not.toContain("terraform_remote_state");
    }
    // dev and staging share account 111111111111 in eu-west-1; prod is alone in 222222222222.
    expect(connectionResource(stacks, "platform-dev")).toEqual(Array(3).fill("arn:aws:codeconnections:eu-west-1:111111111111:connection/*"));
    expect(connectionResource(stacks, "platform-staging")).toEqual(Array(2).fill("arn:aws:codeconnections:eu-west-1:111111111111:connection/*"));
    expect(connectionResource(stacks, "platform-prod")).toEqual(Array(2).fill("arn:aws:codeconnections:eu-west-1:222222222222:connection/*"));
    // ...each matched by exactly one connection of its account's bootstrap stack, in its region.
    expect(count(stacks, "bootstrap-111111111111", "aws_codeconnections_connection")).toBe(1);
    expect(count(stacks, "bootstrap-222222222222", "aws_codeconnections_connection")).toBe(1);

    // Staging moved to another region of the same account: its pattern follows the region.
    const moved = synthAll(
      examplePlatform((d) => {
        d.environments[1].region = "us-east-1";
        d.environments[1].network.zones = ["us-east-1a", "us-east-1b"];
      }),
    );
    expect(connectionResource(moved, "platform-staging")).toEqual(Array(2).fill("arn:aws:codeconnections:us-east-1:111111111111:connection/*"));
    expect(platforms.map((p) => count(moved, p, "aws_codeconnections_connection") + count(moved, p, "aws_codebuild_source_credential"))).toEqual([0, 0, 0]);
  });

  test("the previews' host environment's preview runner takes only the preview workflows of the apps it hosts; their cluster jobs run on it, never on a deploy runner", () => {
    const webhook = Object.values<Json>(stacks["platform-dev"].resource.aws_codebuild_webhook).find((w) => String(w.project_name).includes("CiRunners_PreviewRunner"))!;
    expect(webhook.filter_group).toEqual([
      {
        filter: [
          { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
          { type: "REPOSITORY_NAME", pattern: "^(hello)$" },
          { type: "WORKFLOW_NAME", pattern: "^(Preview|Preview sweep)$" },
        ],
      },
    ]);
    const file = (s: Record<string, Json>, path: string) => parse(Object.values<Json>(s["hello-delivery"].resource.github_repository_file).find((f) => f.file === path)!.content.replace(/\$\$\{/g, "${"));
    const previewYml = file(stacks, ".github/workflows/preview.yml");
    const sweepYml = file(stacks, ".github/workflows/preview-sweep.yml");
    const label = [codebuildRunnerLabel("acme-dev-preview-runner")];
    expect(previewYml.name).toBe("Preview");
    expect(sweepYml.name).toBe("Preview sweep");
    expect(previewYml.jobs.deploy["runs-on"]).toEqual(label);
    expect(previewYml.jobs.teardown["runs-on"]).toEqual(label);
    expect(sweepYml.jobs.sweep["runs-on"]).toEqual(label);
    // The jobs that reach only GitHub stay GitHub-hosted; the build is the pull request's.
    expect([previewYml.jobs.build["runs-on"], previewYml.jobs.report["runs-on"], previewYml.jobs["report-teardown"]["runs-on"], sweepYml.jobs.report["runs-on"]]).toEqual(["ubuntu-latest", "ubuntu-latest", "ubuntu-latest", "ubuntu-latest"]);
    // No deploy or apply job uses the preview runner; no preview job a deploy runner.
    const deliverText = JSON.stringify(deliver(stacks));
    expect(deliverText).not.toContain("preview-runner");
    const infraWorkflows = ["slipway-plan.yml", "slipway-apply.yml", "slipway-drift.yml"].map((f) => fs.readFileSync(path.join(ROOT, ".github", "workflows", f), "utf8"));
    expect(infraWorkflows.map((text) => text.includes("deploy-runner"))).toEqual([false, true, false]);
    expect(infraWorkflows.filter((text) => text.includes("preview-runner"))).toEqual([]);
    expect(JSON.stringify([previewYml, sweepYml])).not.toContain("deploy-runner");
    // Previews hosted by staging instead: the runner moves there.
    const moved = synthAll(examplePlatform((d) => (d.previews = { environment: "staging" })));
    const names = (env: string) => Object.values<Json>(moved[`platform-${env}`].resource.aws_codebuild_project).map((p) => p.name).sort();
    expect([names("dev"), names("staging")]).toEqual([
      ["acme-dev-deploy-runner", "acme-dev-plan-runner"],
      ["acme-staging-deploy-runner", "acme-staging-plan-runner", "acme-staging-preview-runner"],
    ]);
    expect(file(moved, ".github/workflows/preview.yml").jobs.deploy["runs-on"]).toEqual([codebuildRunnerLabel("acme-staging-preview-runner")]);
  });

  test("generated app deploy jobs run on the environment's deploy runner by default; an explicit deploy.runsOn wins", () => {
    const jobs = deliver(stacks).jobs;
    for (const env of ["dev", "staging", "prod"]) {
      expect(jobs[`deploy-${env}`]["runs-on"]).toEqual([codebuildRunnerLabel(`acme-${env}-deploy-runner`)]);
    }
    expect(jobs.build["runs-on"]).toBe("ubuntu-latest");

    const custom = deliver(synthAll(examplePlatform((d) => (d.environments[2].deploy = { runsOn: ["self-hosted", "prod-deployers"] })))).jobs;
    expect(custom["deploy-prod"]["runs-on"]).toEqual(["self-hosted", "prod-deployers"]);
    expect(custom["deploy-dev"]["runs-on"]).toEqual([codebuildRunnerLabel("acme-dev-deploy-runner")]);
  });
});
