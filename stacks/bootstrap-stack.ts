/**
 * `bootstrap-<account>`: what the infrastructure repository's CI trusts, as code, one stack per AWS
 * account of the platform. Applied from a workstation with admin credentials (never by CI: these
 * are CI's own identities), planned by pull requests and checked nightly for drift like any stack.
 * See docs/trust-model.md.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { DataGithubUser } from "@cdktf/provider-github/lib/data-github-user";
import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { RepositoryEnvironment } from "@cdktf/provider-github/lib/repository-environment";
import { RepositoryEnvironmentDeploymentPolicy } from "@cdktf/provider-github/lib/repository-environment-deployment-policy";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { GithubOidcProvider } from "../constructs/github-oidc-provider";
import { suppressPolicy } from "../constructs/policy-suppression";
import { noteReviewerTeams } from "../constructs/source-repository";
import { GithubTeamReviewer } from "../constructs/validators";
import { partitionOf, policyJson } from "../constructs/util";
import { EnvironmentConfig, PlatformConfig } from "../platform/model";
import { SlipwayStack, environmentAwsProvider } from "./common";

/**
 * The GitHub environment of the infrastructure repository that the nightly drift check runs in:
 * deployable from the default branch only, so its secret (the read-only GitHub App's key) and the
 * plan role's drift subject are out of reach of pull requests. Longer than any platform
 * environment name (at most 10 characters), so it never collides with one.
 */
export const DRIFT_ENVIRONMENT = "slipway-drift";

const AUDIENCE = "sts.amazonaws.com";

/**
 * Read-only actions of the services Slipway's stacks manage: what `terraform plan` needs to refresh
 * them. Verbs are Get, List, Describe only, and the services' object-reading and secret-reading
 * actions are left out on purpose (no `s3:GetObject` outside the state, no `secretsmanager:GetSecretValue`,
 * no `ssm:GetParameter*`, no `logs:GetLogEvents`, no `ecr:BatchGetImage`, no `kms:Decrypt`).
 */
export const PLAN_READ_ACTIONS: readonly string[] = [
  "acm:DescribeCertificate", "acm:ListCertificates", "acm:ListTagsForCertificate",
  "autoscaling:Describe*",
  "backup:Describe*", "backup:Get*", "backup:List*",
  "cloudfront:Get*", "cloudfront:List*",
  "cloudwatch:Describe*", "cloudwatch:GetDashboard", "cloudwatch:List*",
  "codebuild:BatchGetProjects", "codebuild:BatchGetFleets", "codebuild:List*",
  "ec2:Describe*", "ec2:GetLaunchTemplateData",
  "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource", "ecr:DescribeRegistry", "ecr:GetRegistryPolicy",
  "eks:Describe*", "eks:List*",
  "elasticloadbalancing:Describe*",
  "iam:Get*", "iam:List*",
  "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
  "logs:Describe*", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
  "rds:Describe*", "rds:ListTagsForResource",
  "route53:Get*", "route53:List*",
  "s3:GetBucket*", "s3:GetAccelerateConfiguration", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListAllMyBuckets",
  "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets",
  "sns:GetTopicAttributes", "sns:GetSubscriptionAttributes", "sns:List*",
  "sts:GetCallerIdentity",
  "wafv2:Get*", "wafv2:List*",
];

/**
 * Denied to the plan role whatever else grants them: becoming another identity, and reading secret
 * values (the state bucket is SSE-S3, so reading state needs no `kms:Decrypt`).
 */
export const PLAN_DENIED_ACTIONS: readonly string[] = [
  "sts:AssumeRole*",
  "sts:TagSession",
  "sts:SetSourceIdentity",
  "sts:GetFederationToken",
  "secretsmanager:GetSecretValue",
  "ssm:GetParameter*",
  "kms:Decrypt",
];

/**
 * The services an apply role manages, each in full (`<service>:*`): every resource type Slipway's
 * constructs create belongs to one of them. IAM is among them because the stacks create roles
 * (cluster, nodes, flow logs, build and deploy roles), which makes an apply role as strong as an
 * account administrator; what keeps it safe is who can assume it (docs/trust-model.md).
 */
export const APPLY_SERVICES: readonly string[] = [
  "acm", "autoscaling", "backup", "backup-storage", "cloudfront", "cloudwatch", "codebuild", "ec2", "ecr", "eks", "elasticloadbalancing",
  "iam", "kms", "logs", "rds", "route53", "s3", "secretsmanager", "sns",
];

/** The AWS accounts of a platform, in the order their environments first appear. */
export function platformAccounts(platform: PlatformConfig): string[] {
  return [...new Set(platform.environments.map((e) => e.account))];
}

/**
 * The account whose bootstrap stack holds the shared pieces (the state bucket, the infrastructure
 * repository's GitHub environments): the last environment's (production), the account guarded most
 * closely, as for the container registries.
 */
export function primaryAccount(platform: PlatformConfig): string {
  return platform.environments[platform.environments.length - 1].account;
}

/** `owner/name` of the repository holding the platform file, whose workflows the CI roles trust. */
export function infrastructureRepository(platform: PlatformConfig): string {
  return `${platform.github.owner}/${platform.github.infrastructureRepository}`;
}

/**
 * The names of CI's identities in one account, fixed by a naming rule so every stack (and the
 * generated workflows) knows them without reading the bootstrap stack's state.
 */
export interface CiIdentities {
  /** The AWS account id these identities live in. */
  readonly account: string;
  /** The ARN of the account's GitHub OIDC provider. */
  readonly githubOidcProviderArn: string;
  /** `arn:<partition>:iam::<account>:role/<platform>-plan`: pull-request plans and the drift check. */
  readonly planRoleArn: string;
  /** Per environment of this account: the role its apply jobs assume. */
  readonly applyRoleArns: Readonly<Record<string, string>>;
}

/** CI's identities in `account` (see {@link CiIdentities}). */
export function ciIdentities(platform: PlatformConfig, account: string): CiIdentities {
  const environments = platform.environments.filter((e) => e.account === account);
  if (environments.length === 0) throw new Error(`no environment of platform ${platform.name} is in account ${account}`);
  const partition = partitionOf(environments[0].region).partition;
  return {
    account,
    githubOidcProviderArn: `arn:${partition}:iam::${account}:oidc-provider/${GithubOidcProvider.ISSUER}`,
    planRoleArn: `arn:${partition}:iam::${account}:role/${platform.name}-plan`,
    applyRoleArns: Object.fromEntries(environments.map((e) => [e.name, applyRoleArn(platform, e)])),
  };
}

/** The role an environment's apply jobs assume: `assumeRoleArn`, or `<platform>-<env>-apply`. */
export function applyRoleArn(platform: PlatformConfig, environment: EnvironmentConfig): string {
  return environment.assumeRoleArn ?? `arn:${partitionOf(environment.region).partition}:iam::${environment.account}:role/${platform.name}-${environment.name}-apply`;
}

/** Props of {@link BootstrapStack}. */
export interface BootstrapStackProps {
  /** The validated platform file. */
  readonly platform: PlatformConfig;
  /** The AWS account this stack bootstraps; at least one environment must be in it. */
  readonly account: string;
}

/**
 * `bootstrap-<account>`: the account's GitHub OIDC provider (the only one: other stacks name it by
 * its ARN), the read-only plan role, one apply role per environment of the account and, in the
 * {@link primaryAccount}, the state bucket (s3 backend) and the infrastructure repository's GitHub
 * environments.
 */
export class BootstrapStack extends SlipwayStack {
  /** One line for the synth summary. */
  readonly description: string;
  /** The AWS account id this stack bootstraps. */
  readonly account: string;
  /** The region of its AWS provider: the state bucket's with the s3 backend in the primary account, else the account's first environment's. */
  readonly region: string;
  /** The names of the identities created here. */
  readonly ci: CiIdentities;
  /** The account's GitHub OIDC provider. */
  readonly githubOidc: GithubOidcProvider;
  /** The read-only role of pull-request plans and the drift check. */
  readonly planRole: IamRole;
  /** The apply roles, by environment name (environments sharing an `assumeRoleArn` share one). */
  readonly applyRoles: Readonly<Record<string, IamRole>>;
  /** The state bucket, in the primary account with the s3 backend. */
  readonly stateBucket?: S3Bucket;

  constructor(scope: Construct, props: BootstrapStackProps) {
    const { platform, account } = props;
    const environments = platform.environments.filter((e) => e.account === account);
    super(scope, `bootstrap-${account}`, platform, { production: environments.some((e) => e.production), suppressions: [] });
    this.account = account;
    this.ci = ciIdentities(platform, account);
    const backend = platform.backend;
    const primary = account === primaryAccount(platform);
    const holdsState = primary && backend.type === "s3";
    const region = backend.type === "s3" && holdsState ? backend.region : environments[0].region;
    this.region = region;
    const partition = partitionOf(region).partition;
    environmentAwsProvider(this, "aws", platform, environments[0], { "slipway:stack": "bootstrap" }, { region });

    const repository = infrastructureRepository(platform);
    this.githubOidc = new GithubOidcProvider(this, "GithubOidc");

    // State: every stack's key under the prefix, read by plans, written (with the lock file) by applies.
    const state =
      backend.type === "s3"
        ? {
            bucketArn: `arn:${partition}:s3:::${backend.bucket}`,
            objectsArn: `arn:${partition}:s3:::${backend.bucket}/${backend.keyPrefix.replace(/^\/+|\/+$/g, "")}/*`,
          }
        : undefined;

    // Plan: read-only, for pull requests of the infrastructure repository and its drift check.
    const plan = new Construct(this, "PlanRole");
    this.planRole = new IamRole(plan, "Resource", {
      name: `${platform.name}-plan`,
      description: `Read-only: pull-request plans and the drift check of ${repository}`,
      maxSessionDuration: 3600,
      assumeRolePolicy: githubTrust(this.githubOidc.arn, [`repo:${repository}:pull_request`, `repo:${repository}:environment:${DRIFT_ENVIRONMENT}`]),
    });
    const planPolicy = new IamRolePolicy(plan, "ReadOnly", {
      name: "read-only",
      role: this.planRole.name,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          { Sid: "DescribeResources", Effect: "Allow", Action: [...PLAN_READ_ACTIONS], Resource: "*" },
          ...(state
            ? [
                { Sid: "ListState", Effect: "Allow", Action: ["s3:ListBucket"], Resource: state.bucketArn },
                { Sid: "ReadState", Effect: "Allow", Action: ["s3:GetObject"], Resource: state.objectsArn },
              ]
            : []),
          { Sid: "NeverEscalateOrReadSecrets", Effect: "Deny", Action: [...PLAN_DENIED_ACTIONS], Resource: "*" },
        ],
      }),
    });
    suppressPolicy(this.planRole, "SLW-IAM-005", "the read-only plan role: pull requests plan with it; its policy allows only Get/List/Describe and denies assuming roles and reading secrets");
    suppressPolicy(planPolicy, "SLW-IAM-002", "Describe and List actions have no resource to scope to; every action allowed on * is read-only");

    // Apply: one role per environment (or per shared assumeRoleArn), trusted only by that GitHub environment.
    const byRole = new Map<string, EnvironmentConfig[]>();
    for (const e of environments) byRole.set(this.ci.applyRoleArns[e.name], [...(byRole.get(this.ci.applyRoleArns[e.name]) ?? []), e]);
    const protectedRoles = [this.ci.planRoleArn, ...byRole.keys()];
    const applyRoles: Record<string, IamRole> = {};
    for (const [arn, members] of byRole) {
      const id = `ApplyRole-${members.map((e) => e.name).join("-")}`;
      const scope = new Construct(this, id);
      const [, , , , , resource] = arn.split(":");
      const rolePath = resource.slice("role".length, resource.lastIndexOf("/") + 1) || "/";
      const role = new IamRole(scope, "Resource", {
        name: resource.slice(resource.lastIndexOf("/") + 1),
        path: rolePath,
        description: `Applies ${members.map((e) => e.name).join(", ")} from ${repository}'s GitHub environment${members.length > 1 ? "s" : ""}`,
        maxSessionDuration: 7200,
        assumeRolePolicy: githubTrust(this.githubOidc.arn, members.map((e) => `repo:${repository}:environment:${e.name}`)),
      });
      const manage = new IamRolePolicy(scope, "Manage", {
        name: "manage-slipway-services",
        role: role.name,
        policy: policyJson({
          Version: "2012-10-17",
          Statement: [
            { Sid: "ManageSlipwayServices", Effect: "Allow", Action: APPLY_SERVICES.map((s) => `${s}:*`), Resource: "*" },
            ...(state
              ? [
                  { Sid: "ListState", Effect: "Allow", Action: ["s3:ListBucket"], Resource: state.bucketArn },
                  { Sid: "WriteStateAndLock", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: state.objectsArn },
                ]
              : []),
            // CI's own trust is changed only by applying this stack from a workstation.
            { Sid: "NeverChangeCiIdentities", Effect: "Deny", Action: ["iam:*"], Resource: [...protectedRoles, this.ci.githubOidcProviderArn] },
            { Sid: "NeverBecomeAnotherRole", Effect: "Deny", Action: ["sts:AssumeRole*", "sts:GetFederationToken"], Resource: "*" },
            ...(state
              ? [
                  {
                    Sid: "NeverWeakenTheStateBucket",
                    Effect: "Deny",
                    Action: ["s3:DeleteBucket*", "s3:PutBucket*", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration"],
                    Resource: state.bucketArn,
                  },
                ]
              : []),
          ],
        }),
      });
      suppressPolicy(manage, "SLW-IAM-002", "an apply role manages whole services (<service>:*); many of their actions (Describe, Create) have no resource to scope to");
      for (const e of members) applyRoles[e.name] = role;
    }
    this.applyRoles = applyRoles;

    if (holdsState && backend.type === "s3" && state) this.stateBucket = stateBucket(this, platform, backend.bucket, state, partition);
    if (primary) infrastructureEnvironments(this, platform);

    this.description =
      `account ${account}: GitHub OIDC provider, read-only plan role, apply role${byRole.size === 1 ? "" : "s"} for ${environments.map((e) => e.name).join(", ")}` +
      (this.stateBucket ? `, state bucket ${backend.type === "s3" ? backend.bucket : ""}` : "") +
      (primary ? `, ${repository}'s GitHub environments` : "");
  }
}

/** A trust policy for GitHub Actions jobs with exactly these subjects (StringEquals, never a pattern). */
function githubTrust(oidcProviderArn: string, subjects: string[]): string {
  return policyJson({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GithubActions",
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${GithubOidcProvider.ISSUER}:aud`]: AUDIENCE, [`${GithubOidcProvider.ISSUER}:sub`]: subjects } },
      },
    ],
  });
}

/**
 * The state bucket: versioned (every state kept), SSE-S3 encrypted (so reading state needs no KMS
 * grant the plan role would have to hold), public access blocked, TLS only, ACLs off. Terraform's
 * native lock file (`use_lockfile`) needs nothing more than object writes. The platform's other
 * accounts may reach the state objects; their own IAM policies say who (plan: read, apply: write).
 */
function stateBucket(stack: BootstrapStack, platform: PlatformConfig, name: string, state: { bucketArn: string; objectsArn: string }, partition: string): S3Bucket {
  const bucket = new S3Bucket(stack, "StateBucket", { bucket: name, lifecycle: { preventDestroy: true } });
  new S3BucketVersioningA(stack, "StateBucketVersioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
  new S3BucketServerSideEncryptionConfigurationA(stack, "StateBucketEncryption", {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new S3BucketPublicAccessBlock(stack, "StateBucketPublicAccess", {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(stack, "StateBucketOwnership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
  const otherAccounts = platformAccounts(platform).filter((a) => a !== stack.account);
  new S3BucketPolicy(stack, "StateBucketPolicy", {
    bucket: bucket.id,
    policy: policyJson({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        ...(otherAccounts.length > 0
          ? [
              {
                Sid: "PlatformAccountsReachState",
                Effect: "Allow",
                Principal: { AWS: otherAccounts.map((a) => `arn:${partition}:iam::${a}:root`) },
                Action: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                Resource: [state.bucketArn, state.objectsArn],
              },
            ]
          : []),
      ],
    }),
  });
  return bucket;
}

/**
 * The infrastructure repository's GitHub environments: one per platform environment (its apply
 * jobs run there) and {@link DRIFT_ENVIRONMENT}. Each deploys from the default branch only and no
 * admin can bypass it; production (and any environment asking for approval) waits for the
 * platform file's reviewers, who may not approve their own run. Teams come with their ids: a
 * pull request's plan runs with a GITHUB_TOKEN, which cannot look a team up.
 */
function infrastructureEnvironments(stack: BootstrapStack, platform: PlatformConfig): void {
  new GithubProvider(stack, "github", { owner: platform.github.owner });
  const repository = platform.github.infrastructureRepository;
  const branch = platform.github.defaultBranch;
  const users = new Map<string, number>();
  const userId = (login: string): number => {
    const key = login.toLowerCase();
    if (!users.has(key)) users.set(key, Fn.tonumber(new DataGithubUser(stack, `ReviewerUser-${key}`, { username: login }).id));
    return users.get(key)!;
  };
  const environments = [
    ...platform.environments.map((e) => ({ name: e.name, reviewers: e.approval.required ? e.approval.reviewers : { users: [], teams: [] } })),
    { name: DRIFT_ENVIRONMENT, reviewers: { users: [] as string[], teams: [] as GithubTeamReviewer[] } },
  ];
  for (const env of environments) {
    const hasReviewers = env.reviewers.users.length + env.reviewers.teams.length > 0;
    const environment = new RepositoryEnvironment(stack, `InfraEnvironment-${env.name}`, {
      repository,
      environment: env.name,
      canAdminsBypass: false,
      preventSelfReview: hasReviewers ? true : undefined,
      reviewers: hasReviewers ? [{ users: env.reviewers.users.map(userId), teams: env.reviewers.teams.map((t) => t.id) }] : undefined,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    noteReviewerTeams(environment, env.reviewers.teams);
    new RepositoryEnvironmentDeploymentPolicy(stack, `InfraEnvironmentBranch-${env.name}`, {
      repository,
      environment: environment.environment,
      branchPattern: branch,
    });
  }
}
