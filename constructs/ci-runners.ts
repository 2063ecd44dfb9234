/**
 * Ephemeral GitHub Actions runners inside an environment's VPC: AWS CodeBuild projects (plan,
 * deploy and, where the environment hosts previews, preview) whose webhooks start one build (one
 * runner, one job) for every queued workflow job that names them.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { CodebuildSourceCredential } from "@cdktf/provider-aws/lib/codebuild-source-credential";
import { CodebuildWebhook, CodebuildWebhookFilterGroupFilter } from "@cdktf/provider-aws/lib/codebuild-webhook";
import { CodeconnectionsConnection } from "@cdktf/provider-aws/lib/codeconnections-connection";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { accountKeyPolicy, stackPartition, withAccountAndRegion } from "./aws-common";
import { checkAccountId, checkRegion, invalid, isKnown, LOG_RETENTION_DAYS, parseCidr, policyJson } from "./util";

/**
 * The runner projects of an environment: pull-request plans, trusted apply/deploy jobs, and the
 * pull-request previews' cluster jobs (only where the environment hosts previews).
 */
export type CiRunnerKind = "plan" | "deploy" | "preview";

/** The runner kinds, in the order the projects are created. */
export const CI_RUNNER_KINDS: readonly CiRunnerKind[] = ["plan", "deploy", "preview"];

/** A CodeBuild project name: 2 to 150 characters, a letter or digit first, then letters, digits, `-` and `_`. */
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,149}$/;

/**
 * The CodeBuild project of one runner kind: `<prefix>-plan-runner`, `<prefix>-deploy-runner` or `<prefix>-preview-runner`,
 * e.g. `acme-dev-deploy-runner` for the prefix `acme-dev` (`<platform>-<env>`).
 */
export function ciRunnerProjectName(prefix: string, kind: CiRunnerKind): string {
  return `${prefix}-${kind}-runner`;
}

/**
 * The `runs-on` label that sends a GitHub Actions job to a CodeBuild project's runner:
 * `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`. The run id and attempt make
 * the label unique to the run, so a runner CodeBuild starts for one job is never taken by another
 * run's job. The only expressions are these two numbers from GitHub, never a value from a file.
 */
export function codebuildRunnerLabel(projectName: string): string {
  if (!PROJECT_NAME.test(projectName)) {
    throw new Error(`codebuildRunnerLabel: ${JSON.stringify(projectName)} is not a CodeBuild project name (letters, digits, '-' and '_', 2 to 150 characters)`);
  }
  return `codebuild-${projectName}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
}

/** Exactly the labels {@link codebuildRunnerLabel} makes. */
const CODEBUILD_RUNNER_LABEL = /^codebuild-[A-Za-z0-9][A-Za-z0-9_-]{1,149}-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$/;

/**
 * True when `label` is a CodeBuild runner label as {@link codebuildRunnerLabel} makes it: the one
 * runner label that may carry GitHub expressions (the run id and attempt, nothing else).
 */
export function isCodebuildRunnerLabel(label: string): boolean {
  return typeof label === "string" && CODEBUILD_RUNNER_LABEL.test(label);
}

/** The part of a network the runners need; `Network` satisfies it. */
export interface CiRunnersNetwork {
  /** The VPC the runners' network interfaces are created in. */
  readonly vpcId: string;
  /** The VPC's IPv4 CIDR (known at synth): its `.2` address is the VPC resolver the runners ask for DNS. */
  readonly cidrBlock: string;
  /** Subnets with a route to the internet through NAT and none from it. */
  readonly privateSubnetIds: string[];
}

/** The part of a cluster the runners reach; `KubernetesCluster` satisfies it. */
export interface CiRunnersCluster {
  /** The EKS cluster security group, which guards the private API endpoint. */
  readonly clusterSecurityGroupId: string;
}

/** Props of {@link CiRunners}. `name`, `network` and `githubOwner` are required. */
export interface CiRunnersProps {
  /**
   * Prefix of the CodeBuild projects, `<name>-plan-runner`, `<name>-deploy-runner` (and `<name>-preview-runner`), and of
   * their roles, security groups and log groups; Slipway's stacks use `<platform>-<env>`.
   */
  readonly name: string;
  /** Where the runners run: their network interfaces go into the private subnets. */
  readonly network: CiRunnersNetwork;
  /**
   * The cluster whose private API the runners call (`kubectl`, Terraform's Kubernetes provider):
   * the runners may reach its security group on 443, and it admits them there.
   * @default no cluster: the runners reach only HTTPS through NAT and DNS
   */
  readonly cluster?: CiRunnersCluster;
  /**
   * The GitHub organization whose queued jobs the webhooks receive (an organization webhook, so
   * one project serves the infrastructure repository and every app repository).
   */
  readonly githubOwner: string;
  /**
   * Repositories (names, without the owner) whose jobs the plan runner takes: a REPOSITORY_NAME
   * webhook filter.
   * @default every repository of the organization that names the plan runner's label
   */
  readonly planRepositories?: string[];
  /**
   * Repositories (names, without the owner) whose jobs the deploy runner takes: a REPOSITORY_NAME
   * webhook filter.
   * @default every repository of the organization that names the deploy runner's label
   */
  readonly deployRepositories?: string[];
  /**
   * Workflow names (`name:` of the workflow file) the plan runner serves: a WORKFLOW_NAME filter.
   * It routes jobs; it is no security boundary, since whoever edits a workflow picks its name.
   * @default any workflow
   */
  readonly planWorkflowNames?: string[];
  /**
   * Workflow names the deploy runner serves: a WORKFLOW_NAME filter (routing, not a boundary).
   * @default any workflow
   */
  readonly deployWorkflowNames?: string[];
  /**
   * Repositories (names, without the owner) whose pull-request previews this environment hosts:
   * given, a third project `<name>-preview-runner` takes their preview jobs that reach the cluster
   * (deploy, teardown, sweep), so unreviewed pull-request code never shares a runner project with
   * an apply or deploy job. Same network reach as the others (HTTPS out, DNS, the cluster API);
   * no database. A REPOSITORY_NAME webhook filter.
   * @default no preview runner
   */
  readonly previewRepositories?: string[];
  /**
   * Workflow names the preview runner serves: a WORKFLOW_NAME filter (routing, not a boundary).
   * Only with `previewRepositories`.
   * @default any workflow of those repositories
   */
  readonly previewWorkflowNames?: string[];
  /**
   * The ARN of the AWS CodeConnections connection to GitHub that CodeBuild uses here (to create the
   * webhooks and register each runner), created elsewhere (in Slipway, by `bootstrap-<account>`,
   * which registers it as the region's source credential; or another CiRunners of the same account
   * and region). An ARN pattern such as `arn:aws:codeconnections:<region>:<account>:connection/*`
   * avoids reading that stack's state.
   * @default this construct creates the connection `githubConnectionName` (PENDING until authorized once in the console)
   */
  readonly githubConnectionArn?: string;
  /**
   * Name of the connection this construct creates (1 to 32 characters).
   * @default `<name>-github`, cut to 32 characters
   */
  readonly githubConnectionName?: string;
  /**
   * Keep Terraform from destroying the connection this construct creates (`prevent_destroy`): a new
   * connection stops every runner until a person authorizes it again in the console.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * Register the connection as the region's CodeBuild source credential for GitHub
   * (`aws_codebuild_source_credential`, one per account and region).
   * @default true when this construct creates the connection, else false (whoever created it registered it)
   */
  readonly registerSourceCredential?: boolean;
  /**
   * CodeBuild compute type of both runners.
   * @default "BUILD_GENERAL1_SMALL" (2 vCPUs, 3 GB): enough for kubectl, the AWS CLI and Terraform
   */
  readonly computeType?: string;
  /**
   * The build image: a CodeBuild-managed Linux image (or an ECR image of yours).
   * @default "aws/codebuild/amazonlinux-x86_64-standard:5.0" (Amazon Linux 2023, AWS CLI, git, Docker client)
   */
  readonly image?: string;
  /**
   * Run the build container privileged (a Docker daemon inside it). Only for jobs that build or
   * run images themselves; the daemon runs as root with every capability.
   * @default false
   */
  readonly privilegedMode?: boolean;
  /**
   * Minutes a runner (one job) may run before CodeBuild stops it, 5 to 2160.
   * @default 60
   */
  readonly buildTimeoutMinutes?: number;
  /**
   * Minutes a runner may wait for CodeBuild capacity before it is dropped, 5 to 480.
   * @default 30
   */
  readonly queuedTimeoutMinutes?: number;
  /**
   * At most this many runners of each project at once (a cap on cost and on abuse).
   * @default none: the account's CodeBuild concurrency quota
   */
  readonly concurrentBuildLimit?: number;
  /**
   * Days the runners' CloudWatch logs are kept (a CloudWatch Logs retention period).
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * KMS key ARN encrypting the runners' log groups; its policy must let CloudWatch Logs use it
   * (as `Network.logKey`'s does).
   * @default a new rotating key for the runners' logs
   */
  readonly logKeyArn?: string;
  /**
   * The AWS account the runners live in (ARNs in the role's policy).
   * @default the single allowed account of the stack's AWS provider, else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The region the runners live in.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
}

/** One runner project and what it is built from. */
export interface CiRunner {
  /** `plan` (pull-request plans), `deploy` (apply and deploy jobs) or `preview` (pull-request previews' cluster jobs). */
  readonly kind: CiRunnerKind;
  /** `<name>-<kind>-runner`. */
  readonly projectName: string;
  /** The label jobs use: `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`. */
  readonly runsOn: string;
  /** The `aws_codebuild_project`. */
  readonly project: CodebuildProject;
  /** The `aws_codebuild_webhook` starting a runner per queued job. */
  readonly webhook: CodebuildWebhook;
  /** The project's service role: VPC networking, its own logs, the connection; nothing a job could use. */
  readonly role: IamRole;
  /** The runner's security group: HTTPS out, DNS, the cluster API; no ingress. */
  readonly securityGroup: SecurityGroup;
  /** `/aws/codebuild/<project>`, KMS-encrypted, with a retention. */
  readonly logGroup: CloudwatchLogGroup;
}

const DEFAULTS = {
  computeType: "BUILD_GENERAL1_SMALL",
  image: "aws/codebuild/amazonlinux-x86_64-standard:5.0",
  buildTimeoutMinutes: 60,
  queuedTimeoutMinutes: 30,
  logRetentionDays: 90,
} as const;

/** The CloudWatch Logs retention periods, without "never expire". */
const RUNNER_LOG_RETENTION_DAYS: readonly number[] = LOG_RETENTION_DAYS.filter((days) => days !== 0);

/** GitHub repository names: letters, digits, `.`, `_`, `-`. */
const REPOSITORY_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * AWS CodeBuild-hosted GitHub Actions runners inside an environment's VPC: a project for
 * pull-request plans of the infrastructure repository (read-only jobs) and one for trusted jobs
 * (infrastructure apply, the apps' deploy jobs), so the two never share a runner. Each queued job
 * that names a project's label starts one build in the private subnets; the build registers a
 * runner for that one job and ends with it. Nothing stands between jobs.
 *
 * The runners carry no identity a job could use: the service role may only manage the build's
 * network interface, write the project's own log group and use the GitHub connection; jobs assume
 * their roles through GitHub's OIDC token. Their security groups admit nothing and reach only
 * HTTPS (through NAT), the VPC resolver and the cluster API.
 *
 * Construct ids: `PlanRunner/*`, `DeployRunner/*` and, with `previewRepositories`, `PreviewRunner/*` (`Project`, `Webhook`, `Role`, `RolePolicy`,
 * `SecurityGroup`, its rules, `LogGroup`), plus `LogKey`, `GithubConnection` and
 * `SourceCredential` when this construct creates them.
 */
export class CiRunners extends Construct {
  /** The pull-request plan runner (`<name>-plan-runner`): read-only jobs, never a trusted one. */
  public readonly plan: CiRunner;
  /** The deploy runner (`<name>-deploy-runner`): infrastructure apply and app deploy jobs. */
  public readonly deploy: CiRunner;
  /** The preview runner (`<name>-preview-runner`), with `previewRepositories`: the previews' cluster jobs, never an apply or deploy. */
  public readonly preview?: CiRunner;
  /** The GitHub connection's ARN (created here or given). */
  public readonly githubConnectionArn: string;
  /** The connection, when this construct created it (status PENDING until authorized in the console). */
  public readonly githubConnection?: CodeconnectionsConnection;
  /** The region's CodeBuild source credential, when this construct registered it. */
  public readonly sourceCredential?: CodebuildSourceCredential;
  /** The key encrypting the log groups, when this construct created it. */
  public readonly logKey?: KmsKey;

  constructor(scope: Construct, id: string, props: CiRunnersProps) {
    super(scope, id);
    const { accountId, region } = withAccountAndRegion(this, props);
    const settings = {
      computeType: props.computeType ?? DEFAULTS.computeType,
      image: props.image ?? DEFAULTS.image,
      privilegedMode: props.privilegedMode ?? false,
      buildTimeoutMinutes: props.buildTimeoutMinutes ?? DEFAULTS.buildTimeoutMinutes,
      queuedTimeoutMinutes: props.queuedTimeoutMinutes ?? DEFAULTS.queuedTimeoutMinutes,
      logRetentionDays: props.logRetentionDays ?? DEFAULTS.logRetentionDays,
    };
    this.validate(props, accountId, region, settings);
    const { partition, dnsSuffix } = stackPartition(this, region);
    const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${accountId}:${resource}`;

    if (props.githubConnectionArn === undefined) {
      this.githubConnection = new CodeconnectionsConnection(this, "GithubConnection", {
        name: props.githubConnectionName ?? `${props.name}-github`.slice(0, 32),
        providerType: "GitHub",
        ...((props.preventDestroy ?? true) ? { lifecycle: { preventDestroy: true } } : {}),
      });
    }
    this.githubConnectionArn = props.githubConnectionArn ?? this.githubConnection!.arn;
    if (props.registerSourceCredential ?? this.githubConnection !== undefined) {
      // CodeBuild keeps one GitHub credential per account and region; the webhooks use it.
      this.sourceCredential = new CodebuildSourceCredential(this, "SourceCredential", {
        authType: "CODECONNECTIONS",
        serverType: "GITHUB",
        token: this.githubConnectionArn,
      });
    }

    if (props.logKeyArn === undefined) {
      this.logKey = new KmsKey(this, "LogKey", {
        description: `${props.name}: encrypts the CI runners' CloudWatch logs`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: accountKeyPolicy({ partition, accountId, logGroups: { region, dnsSuffix, arnPattern: arn("logs", "log-group:/aws/codebuild/*") } }),
        tags: { Name: `${props.name}-ci-runner-logs` },
      });
    }
    const logKeyArn = props.logKeyArn ?? this.logKey!.arn;
    const resolver = resolverAddress(props.network.cidrBlock);
    const subnetArns = props.network.privateSubnetIds.map((subnetId) => arn("ec2", `subnet/${subnetId}`));

    const runner = (kind: CiRunnerKind, repositories: string[] | undefined, workflowNames: string[] | undefined): CiRunner => {
      const scope = new Construct(this, { plan: "PlanRunner", deploy: "DeployRunner", preview: "PreviewRunner" }[kind]);
      const projectName = ciRunnerProjectName(props.name, kind);
      const what = { plan: "pull-request plans (read-only jobs)", deploy: "infrastructure apply and app deploy jobs", preview: "pull-request previews' cluster jobs (deploy, teardown, sweep)" }[kind];

      const logGroup = new CloudwatchLogGroup(scope, "LogGroup", {
        name: `/aws/codebuild/${projectName}`,
        retentionInDays: settings.logRetentionDays,
        kmsKeyId: logKeyArn,
        tags: { Name: projectName },
      });

      // Rules are separate resources; Terraform removes the allow-all egress AWS adds by default.
      const securityGroup = new SecurityGroup(scope, "SecurityGroup", {
        name: projectName,
        description: `CodeBuild GitHub Actions runner ${projectName}`,
        vpcId: props.network.vpcId,
        tags: { Name: projectName },
      });
      const egress = (ruleId: string, description: string, rule: { ipProtocol: string; port: number; cidrIpv4?: string; referencedSecurityGroupId?: string }) =>
        new VpcSecurityGroupEgressRule(scope, ruleId, {
          securityGroupId: securityGroup.id,
          description,
          ipProtocol: rule.ipProtocol,
          fromPort: rule.port,
          toPort: rule.port,
          cidrIpv4: rule.cidrIpv4,
          referencedSecurityGroupId: rule.referencedSecurityGroupId,
          tags: { Name: `${projectName}-${ruleId.replace(/^Egress/, "").toLowerCase()}` },
        });
      // GitHub, registries and AWS APIs are reached through NAT; nothing else leaves the VPC.
      egress("EgressHttps", "HTTPS to GitHub, registries and AWS APIs through NAT", { ipProtocol: "tcp", port: 443, cidrIpv4: "0.0.0.0/0" });
      egress("EgressDnsUdp", "DNS to the VPC resolver", { ipProtocol: "udp", port: 53, cidrIpv4: resolver });
      egress("EgressDnsTcp", "DNS to the VPC resolver", { ipProtocol: "tcp", port: 53, cidrIpv4: resolver });
      if (props.cluster) {
        egress("EgressClusterApi", "The cluster API (private endpoint)", { ipProtocol: "tcp", port: 443, referencedSecurityGroupId: props.cluster.clusterSecurityGroupId });
        new VpcSecurityGroupIngressRule(scope, "ClusterApiIngress", {
          securityGroupId: props.cluster.clusterSecurityGroupId,
          description: `Cluster API from CI runner ${projectName}`,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          referencedSecurityGroupId: securityGroup.id,
          tags: { Name: `${projectName}-to-cluster-api` },
        });
      }

      const projectArn = arn("codebuild", `project/${projectName}`);
      const role = new IamRole(scope, "Role", {
        name: projectName.slice(0, 64),
        description: `Service role of CodeBuild project ${projectName}: networking, its logs, the GitHub connection`,
        // Only CodeBuild, for this project in this account (the confused-deputy conditions).
        assumeRolePolicy: policyJson({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "codebuild.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": accountId, "aws:SourceArn": projectArn } },
            },
          ],
        }),
        maxSessionDuration: 3600,
        tags: { Name: projectName },
      });
      const rolePolicy = new IamRolePolicy(scope, "RolePolicy", {
        name: "codebuild-runner",
        role: role.id,
        policy: policyJson(runnerRolePolicy({ arn, subnetArns, securityGroupArn: securityGroup.arn, logGroupArn: logGroup.arn, connectionArn: this.githubConnectionArn })),
      });

      const project = new CodebuildProject(scope, "Project", {
        name: projectName,
        description: `GitHub Actions runner in ${props.name}'s VPC for ${what}`,
        serviceRole: role.arn,
        buildTimeout: settings.buildTimeoutMinutes,
        queuedTimeout: settings.queuedTimeoutMinutes,
        concurrentBuildLimit: props.concurrentBuildLimit,
        // Runner builds have no artifacts, no cache and no buildspec: the job's steps are the build.
        artifacts: { type: "NO_ARTIFACTS" },
        source: { type: "GITHUB", location: "CODEBUILD_DEFAULT_WEBHOOK_SOURCE_LOCATION" },
        environment: {
          type: "LINUX_CONTAINER",
          computeType: settings.computeType,
          image: settings.image,
          imagePullCredentialsType: "CODEBUILD",
          privilegedMode: settings.privilegedMode,
        },
        vpcConfig: { vpcId: props.network.vpcId, subnets: [...props.network.privateSubnetIds], securityGroupIds: [securityGroup.id] },
        logsConfig: {
          cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name },
          s3Logs: { status: "DISABLED" },
        },
        tags: { Name: projectName, "slipway:runner": kind },
        // The role must be able to create the network interface before CodeBuild validates the VPC.
        dependsOn: [rolePolicy],
      });

      const filters: CodebuildWebhookFilterGroupFilter[] = [
        { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
        ...(repositories ? [{ type: "REPOSITORY_NAME", pattern: exactly(repositories) }] : []),
        ...(workflowNames ? [{ type: "WORKFLOW_NAME", pattern: exactly(workflowNames) }] : []),
      ];
      const webhook = new CodebuildWebhook(scope, "Webhook", {
        projectName: project.name,
        buildType: "BUILD",
        filterGroup: [{ filter: filters }],
        scopeConfiguration: { name: props.githubOwner, scope: "GITHUB_ORGANIZATION" },
        // CodeBuild creates the organization webhook with the region's GitHub credential.
        dependsOn: this.sourceCredential ? [this.sourceCredential] : undefined,
      });

      return { kind, projectName, runsOn: codebuildRunnerLabel(projectName), project, webhook, role, securityGroup, logGroup };
    };

    this.plan = runner("plan", props.planRepositories, props.planWorkflowNames);
    this.deploy = runner("deploy", props.deployRepositories, props.deployWorkflowNames);
    if (props.previewRepositories !== undefined) this.preview = runner("preview", props.previewRepositories, props.previewWorkflowNames);
  }

  private validate(props: CiRunnersProps, accountId: string, region: string, s: { buildTimeoutMinutes: number; queuedTimeoutMinutes: number; logRetentionDays: number }): void {
    checkAccountId(this, "accountId", accountId);
    checkRegion(this, "region", region);
    if (isKnown(props.name)) {
      for (const kind of CI_RUNNER_KINDS) {
        if (typeof props.name !== "string" || !PROJECT_NAME.test(ciRunnerProjectName(props.name, kind))) {
          invalid(this, "name", props.name, "letters, digits, '-' and '_', starting with a letter or digit, so that <name>-preview-runner is a CodeBuild project name (at most 150 characters)");
        }
      }
    }
    if (isKnown(props.githubOwner) && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/.test(props.githubOwner)) {
      invalid(this, "githubOwner", props.githubOwner, "a GitHub organization name such as acme-corp");
    }
    if (isKnown(props.network.cidrBlock) && resolverAddress(props.network.cidrBlock) === undefined) {
      invalid(this, "network.cidrBlock", props.network.cidrBlock, "the VPC's IPv4 CIDR such as 10.0.0.0/16 (its .2 address is the VPC resolver)");
    }
    if (isKnown(props.network.privateSubnetIds) && props.network.privateSubnetIds.length === 0) {
      invalid(this, "network.privateSubnetIds", props.network.privateSubnetIds, "at least one private subnet");
    }
    for (const field of ["planRepositories", "deployRepositories", "previewRepositories"] as const) {
      const names = props[field];
      if (names !== undefined && (names.length === 0 || names.some((n) => !isKnown(n) || !REPOSITORY_NAME.test(n)))) {
        invalid(this, field, names, "a non-empty list of GitHub repository names (letters, digits, '.', '_', '-'), without the owner");
      }
    }
    if (props.previewWorkflowNames !== undefined && props.previewRepositories === undefined) {
      invalid(this, "previewWorkflowNames", props.previewWorkflowNames, "no workflow names without previewRepositories (the preview runner exists only for them)");
    }
    for (const field of ["planWorkflowNames", "deployWorkflowNames", "previewWorkflowNames"] as const) {
      const names = props[field];
      if (names !== undefined && (names.length === 0 || names.some((n) => !isKnown(n) || typeof n !== "string" || n.trim() === "" || /[\r\n]/.test(n)))) {
        invalid(this, field, names, "a non-empty list of workflow names, each one line, e.g. [\"Deliver\"]");
      }
    }
    const connection = props.githubConnectionArn;
    if (connection !== undefined && isKnown(connection)) {
      if (!/^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9*-]+$/.test(connection)) {
        invalid(this, "githubConnectionArn", connection, "a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>), or such a pattern ending in connection/*");
      }
      if (props.registerSourceCredential && connection.includes("*")) {
        invalid(this, "githubConnectionArn", connection, "the connection's exact ARN to register it as the source credential (registerSourceCredential), not a pattern");
      }
    }
    if (props.githubConnectionName !== undefined && (!/^[A-Za-z0-9._-]{1,32}$/.test(props.githubConnectionName) || props.githubConnectionArn !== undefined)) {
      invalid(this, "githubConnectionName", props.githubConnectionName, "1 to 32 letters, digits, '.', '_' or '-', and only when this construct creates the connection (no githubConnectionArn)");
    }
    const range = (field: string, value: number, min: number, max: number) => {
      if (!Number.isInteger(value) || value < min || value > max) invalid(this, field, value, `whole minutes from ${min} to ${max}`);
    };
    range("buildTimeoutMinutes", s.buildTimeoutMinutes, 5, 2160);
    range("queuedTimeoutMinutes", s.queuedTimeoutMinutes, 5, 480);
    if (props.concurrentBuildLimit !== undefined && (!Number.isInteger(props.concurrentBuildLimit) || props.concurrentBuildLimit < 1)) {
      invalid(this, "concurrentBuildLimit", props.concurrentBuildLimit, "a whole number of builds, at least 1");
    }
    if (!RUNNER_LOG_RETENTION_DAYS.includes(s.logRetentionDays)) {
      invalid(this, "logRetentionDays", s.logRetentionDays, `a CloudWatch Logs retention period: one of ${RUNNER_LOG_RETENTION_DAYS.join(", ")}`);
    }
  }
}

/**
 * The service role's permissions, as CodeBuild documents them for a project in a VPC with a
 * GitHub App connection, and no more: the builds' credentials are this role's, so every action
 * here is one a job could call. Describe calls have no resource to scope to; network interfaces
 * are limited to the runners' subnets and security group.
 */
function runnerRolePolicy(p: { arn: (service: string, resource: string) => string; subnetArns: string[]; securityGroupArn: string; logGroupArn: string; connectionArn: string }): object {
  const networkInterfaces = p.arn("ec2", "network-interface/*");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeNetwork",
        Effect: "Allow",
        Action: ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
        Resource: "*",
      },
      {
        Sid: "CreateBuildNetworkInterface",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterface",
        Resource: [networkInterfaces, ...p.subnetArns, p.securityGroupArn],
      },
      {
        // As CodeBuild documents it: only CodeBuild, only in the runners' subnets.
        Sid: "AuthorizeBuildNetworkInterface",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterfacePermission",
        Resource: networkInterfaces,
        Condition: { StringEquals: { "ec2:Subnet": p.subnetArns, "ec2:AuthorizedService": "codebuild.amazonaws.com" } },
      },
      {
        // Narrower than CodeBuild's example ("*"): a job can delete no interface outside the runners' subnets.
        Sid: "DeleteBuildNetworkInterface",
        Effect: "Allow",
        Action: "ec2:DeleteNetworkInterface",
        Resource: networkInterfaces,
        Condition: { StringEquals: { "ec2:Subnet": p.subnetArns } },
      },
      {
        Sid: "OwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${p.logGroupArn}:log-stream:*`,
      },
      {
        // GetConnectionToken is a permission-only action (no API a job could call): CodeBuild uses
        // it to register the runner with GitHub.
        Sid: "GithubConnection",
        Effect: "Allow",
        Action: ["codeconnections:GetConnection", "codeconnections:GetConnectionToken"],
        Resource: p.connectionArn,
      },
    ],
  };
}

/** A regular expression matching exactly one of `names`. */
function exactly(names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`;
}

/** The VPC resolver's address (`<network>.2/32`) of an IPv4 CIDR, or undefined when it is not one. */
function resolverAddress(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.prefix > 28) return undefined;
  const address = (parsed.network & (parsed.prefix === 0 ? 0 : (~0 << (32 - parsed.prefix)) >>> 0)) + 2;
  return `${[24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".")}/32`;
}
