/**
 * `bootstrap-<account>`: what the infrastructure repository's CI trusts, as code, one stack per AWS
 * account of the platform. Applied from a workstation with admin credentials (never by CI: these
 * are CI's own identities), planned by pull requests and checked nightly for drift like any stack.
 * See docs/trust-model.md.
 */
import { CodebuildSourceCredential } from "@cdktf/provider-aws/lib/codebuild-source-credential";
import { CodeconnectionsConnection } from "@cdktf/provider-aws/lib/codeconnections-connection";
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
import { Fn, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { GithubOidcProvider } from "../constructs/github-oidc-provider";
import { suppressPolicy } from "../constructs/policy-suppression";
import { noteReviewerTeams } from "../constructs/source-repository";
import { GithubTeamReviewer } from "../constructs/validators";
import { partitionOf, policyJson } from "../constructs/util";
import { CrossAccountZone, EnvironmentConfig, PlatformConfig } from "../platform/model";
import { SlipwayStack, environmentAwsProvider } from "./common";

/**
 * The GitHub environment of the infrastructure repository that the nightly drift check runs in:
 * deployable from the default branch only, so its secret (the read-only GitHub App's key) and the
 * plan role's drift subject are out of reach of pull requests. Longer than any platform
 * environment name (at most 10 characters), so it never collides with one.
 */
export const DRIFT_ENVIRONMENT = "slipway-drift";

/**
 * The GitHub environment of the infrastructure repository that gates the first apply of a stack
 * whose pull-request plan was deferred (it read a stack that had never been applied): the merge's
 * apply run plans it once its upstream stacks are applied, shows that plan in the job summary, and
 * a job in this environment waits for {@link firstApplyReviewers} before the stack's own apply job
 * applies exactly that plan. Used for environments without reviewers of their own (an environment
 * that has them gates the apply itself). Holds no secret and no role trusts it; default branch only.
 */
export const FIRST_APPLY_ENVIRONMENT = "slipway-first-apply";

/**
 * Who approves a deferred stack's first plan in an environment without reviewers of its own: the
 * reviewers of the last environment (in promotion order) that requires approval, usually
 * production's. Undefined when no environment requires approval: then nobody could review such a
 * plan before it is applied, so the merge leaves the stack to the next pull request instead.
 */
export function firstApplyReviewers(platform: PlatformConfig): EnvironmentConfig["approval"]["reviewers"] | undefined {
  const gated = platform.environments.filter((e) => e.approval.required && e.approval.reviewers.users.length + e.approval.reviewers.teams.length > 0);
  return gated.length > 0 ? gated[gated.length - 1].approval.reviewers : undefined;
}

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
  // The runners' GitHub connection (bootstrap's): its state and tags, never GetConnectionToken.
  "codeconnections:GetConnection", "codeconnections:ListConnections", "codeconnections:ListTagsForResource",
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

/** The name of the GitHub connection each bootstrap stack creates in each region of its account's environments. */
export function githubConnectionName(platform: PlatformConfig): string {
  return `${platform.name}-github`.slice(0, 32);
}

/**
 * What the CI runners of an environment name the account's GitHub connection in its region by: an
 * ARN pattern, so `platform-<env>` never reads the bootstrap stack's state.
 */
export function githubConnectionArnPattern(environment: EnvironmentConfig): string {
  return `arn:${partitionOf(environment.region).partition}:codeconnections:${environment.region}:${environment.account}:connection/*`;
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
  /**
   * By region of the account's environments: the GitHub connection the CI runners there use (PENDING
   * until a person authorizes it once in the console), registered as CodeBuild's source credential.
   */
  readonly githubConnections: Readonly<Record<string, { readonly connection: CodeconnectionsConnection; readonly sourceCredential: CodebuildSourceCredential }>>;
  /** By environment name: the DNS-only roles made here for environments of other accounts whose zone is in this one. */
  readonly dnsRoles: Readonly<Record<string, { readonly write: IamRole; readonly read: IamRole }>>;

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

    // Zones of this account's environments in other accounts: plans read them through the zone
    // account's read-only DNS role, applies change them through its DNS role (dnsZoneAccess).
    const zones = dnsZoneAccess(platform).filter((z) => z.environment.account === account);
    const readDnsRoles = [...new Set(zones.map((z) => z.zone.readRoleArn))];

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
          ...planDenials(readDnsRoles),
        ],
      }),
    });
    suppressPolicy(this.planRole, "SLW-IAM-005", "the read-only plan role: pull requests plan with it; its policy allows only Get/List/Describe and denies assuming roles and reading secrets");
    suppressPolicy(planPolicy, "SLW-IAM-002", "Describe and List actions have no resource to scope to; every action allowed on * is read-only");

    // Apply: one role per environment (or per shared assumeRoleArn), trusted only by that GitHub environment.
    const byRole = new Map<string, EnvironmentConfig[]>();
    for (const e of environments) byRole.set(this.ci.applyRoleArns[e.name], [...(byRole.get(this.ci.applyRoleArns[e.name]) ?? []), e]);
    // The DNS roles made here for other accounts' environments are CI identities too.
    const dnsHere = dnsZoneAccess(platform).filter((z) => z.zone.account === account);
    const protectedRoles = [this.ci.planRoleArn, ...byRole.keys(), ...dnsHere.flatMap((z) => [z.zone.roleArn, z.zone.readRoleArn])];
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
            ...applyDenials([...new Set(zones.filter((z) => members.includes(z.environment)).map((z) => z.zone.roleArn))]),
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

    const dnsRoles: Record<string, { write: IamRole; read: IamRole }> = {};
    for (const z of dnsHere) dnsRoles[z.environment.name] = dnsRolesFor(this, z);
    this.dnsRoles = dnsRoles;

    if (holdsState && backend.type === "s3" && state) this.stateBucket = stateBucket(this, platform, backend.bucket, state, partition);
    if (primary) infrastructureEnvironments(this, platform);

    // The GitHub connection, here rather than in platform-<env>: a new one is PENDING until a person
    // authorizes it, so it must exist (and be authorized) before CI's first apply creates the runners'
    // webhooks. CodeBuild keeps one GitHub credential per account and region.
    const regions = [...new Set(environments.map((e) => e.region))];
    const connections: Record<string, { connection: CodeconnectionsConnection; sourceCredential: CodebuildSourceCredential }> = {};
    for (const r of regions) {
      const inRegion = environments.find((e) => e.region === r)!;
      const provider = r === region ? undefined : environmentAwsProvider(this, `aws_${r.replace(/-/g, "_")}`, platform, inRegion, { "slipway:stack": "bootstrap" }, { alias: r, region: r });
      const connection = new CodeconnectionsConnection(this, `GithubConnection-${r}`, {
        provider,
        name: githubConnectionName(platform),
        providerType: "GitHub",
        // A new connection stops every runner until a person authorizes it again.
        ...(environments.some((e) => e.production) ? { lifecycle: { preventDestroy: true } } : {}),
      });
      const sourceCredential = new CodebuildSourceCredential(this, `SourceCredential-${r}`, {
        provider,
        authType: "CODECONNECTIONS",
        serverType: "GITHUB",
        token: connection.arn,
      });
      new TerraformOutput(this, `github_connection_${r.replace(/-/g, "_")}`, {
        value: connection.arn,
        description: `Authorize once, before the first pull request: AWS console, ${r}, Developer Tools > Settings > Connections > ${githubConnectionName(platform)} > Update pending connection`,
      });
      connections[r] = { connection, sourceCredential };
    }
    this.githubConnections = connections;

    this.description =
      `account ${account}: GitHub OIDC provider, read-only plan role, apply role${byRole.size === 1 ? "" : "s"} for ${environments.map((e) => e.name).join(", ")}` +
      (this.stateBucket ? `, state bucket ${backend.type === "s3" ? backend.bucket : ""}` : "") +
      (primary ? `, ${repository}'s GitHub environments` : "") +
      `, GitHub connection ${githubConnectionName(platform)} in ${regions.join(", ")} (authorize once in the console after applying)` +
      (dnsHere.length > 0 ? `, DNS roles for ${dnsHere.map((z) => z.environment.name).join(", ")}` : "");
  }
}

/**
 * The plan role's Denies: becoming another identity and reading secrets, except assuming the
 * read-only DNS roles of zones in other accounts (and only those, with plain `sts:AssumeRole`).
 */
function planDenials(readDnsRoles: string[]): object[] {
  if (readDnsRoles.length === 0) return [{ Sid: "NeverEscalateOrReadSecrets", Effect: "Deny", Action: [...PLAN_DENIED_ACTIONS], Resource: "*" }];
  return [
    { Sid: "NeverEscalateOrReadSecrets", Effect: "Deny", Action: [...PLAN_DENIED_ACTIONS.filter((a) => a !== "sts:AssumeRole*"), ...OTHER_ASSUME_ACTIONS], Resource: "*" },
    { Sid: "AssumeOnlyReadOnlyDnsRoles", Effect: "Deny", Action: "sts:AssumeRole", NotResource: readDnsRoles },
    { Sid: "ReadDnsZonesOfOtherAccounts", Effect: "Allow", Action: "sts:AssumeRole", Resource: readDnsRoles },
  ];
}

/** The apply role's Deny on becoming another identity, except its environment's DNS roles in zone accounts. */
function applyDenials(dnsRoles: string[]): object[] {
  if (dnsRoles.length === 0) return [{ Sid: "NeverBecomeAnotherRole", Effect: "Deny", Action: ["sts:AssumeRole*", "sts:GetFederationToken"], Resource: "*" }];
  return [
    { Sid: "NeverBecomeAnotherRole", Effect: "Deny", Action: [...OTHER_ASSUME_ACTIONS, "sts:GetFederationToken"], Resource: "*" },
    { Sid: "AssumeOnlyDnsRoles", Effect: "Deny", Action: "sts:AssumeRole", NotResource: dnsRoles },
    { Sid: "ChangeDnsZonesOfOtherAccounts", Effect: "Allow", Action: "sts:AssumeRole", Resource: dnsRoles },
  ];
}

/** `sts:AssumeRole*` but plain `sts:AssumeRole`. */
const OTHER_ASSUME_ACTIONS = ["sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"];

/** An environment whose Route 53 zone is in another account, and what its DNS roles there may touch. */
export interface DnsZoneAccess {
  /** The environment whose apps' domains are in the zone. */
  readonly environment: EnvironmentConfig;
  /** The zone's account and the DNS-only roles there. */
  readonly zone: CrossAccountZone;
  /** The Route 53 zone (`dns.hostedZoneId`). */
  readonly hostedZoneId: string;
  /** The apps' domains in this environment, normalized as Route 53's condition keys compare them. */
  readonly domains: string[];
  /**
   * The domains of the apps whose pull-request previews this environment hosts (normalized): their
   * wildcard records `*.<domain>` (stored as `\052.<domain>`) are the apply role's to change too.
   * @default none
   */
  readonly previewDomains?: string[];
  /** Trusted by the write role: the environment's apply role. */
  readonly applyRoleArn: string;
  /** Trusted by the read role: the plan role of the environment's account. */
  readonly planRoleArn: string;
}

/** Every environment of the platform with a zone in another account. */
export function dnsZoneAccess(platform: PlatformConfig): DnsZoneAccess[] {
  return platform.environments.flatMap((environment) => {
    const zone = environment.dns.crossAccount;
    const hostedZoneId = environment.dns.hostedZoneId;
    if (!zone || !hostedZoneId) return [];
    // Route 53 compares lower-case names without the trailing dot.
    const normalized = (d: string) => d.toLowerCase().replace(/\.$/, "");
    const domains = platform.apps.map((a) => normalized(a.domains[environment.name]));
    const previewDomains = platform.apps.filter((a) => a.previews?.environment === environment.name).map((a) => normalized(a.domains[environment.name]));
    return [{ environment, zone, hostedZoneId, domains, previewDomains, applyRoleArn: applyRoleArn(platform, environment), planRoleArn: ciIdentities(platform, environment.account).planRoleArn }];
  });
}

/**
 * The two DNS-only roles of one environment's zone, as policy documents: for this account's
 * bootstrap stack, and for a zone owner outside the platform to create by hand (docs/operations.md, "DNS").
 * - write (`roleArn`): trusted only by the environment's apply role; reads the zone, and changes
 *   only A, AAAA and CNAME records named exactly an app domain or `_*.<domain>` (ACM's validation
 *   records), and `*.<domain>` where the environment hosts the app's previews, through the Route 53
 *   condition keys on every change of a request.
 * - read (`readRoleArn`): trusted only by the plan role of the environment's account; reads the zone.
 */
export function dnsRoleDocuments(access: DnsZoneAccess): { write: { trust: object; policy: object }; read: { trust: object; policy: object } } {
  const partition = partitionOf(access.environment.region).partition;
  const zoneArn = `arn:${partition}:route53:::hostedzone/${access.hostedZoneId}`;
  const trust = (sid: string, principalArn: string) => ({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: sid,
        Effect: "Allow",
        // The account as principal, narrowed to one role: the role need not exist when this is applied.
        Principal: { AWS: `arn:${partition}:iam::${access.environment.account}:root` },
        Action: "sts:AssumeRole",
        Condition: { ArnEquals: { "aws:PrincipalArn": principalArn } },
      },
    ],
  });
  const read = [
    { Sid: "ReadZone", Effect: "Allow", Action: ["route53:GetHostedZone", "route53:ListResourceRecordSets"], Resource: zoneArn },
    { Sid: "WaitForChanges", Effect: "Allow", Action: "route53:GetChange", Resource: `arn:${partition}:route53:::change/*` },
  ];
  return {
    write: {
      trust: trust("EnvironmentApplyRole", access.applyRoleArn),
      policy: {
        Version: "2012-10-17",
        Statement: [
          ...read,
          {
            Sid: "ChangeOnlyTheAppsRecords",
            Effect: "Allow",
            Action: "route53:ChangeResourceRecordSets",
            Resource: zoneArn,
            Condition: {
              // A preview host's wildcard: `*` matches the label Route 53 normalizes to `\052`, so any name under that domain.
              "ForAllValues:StringLike": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": [...access.domains.flatMap((d) => [d, `_*.${d}`]), ...(access.previewDomains ?? []).map((d) => `*.${d}`)] },
              "ForAllValues:StringEquals": {
                "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME"],
                "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
              },
            },
          },
        ],
      },
    },
    read: { trust: trust("EnvironmentPlanRole", access.planRoleArn), policy: { Version: "2012-10-17", Statement: read } },
  };
}

/** The DNS-only roles of one environment, in the zone's account (see {@link dnsRoleDocuments}). */
function dnsRolesFor(stack: BootstrapStack, access: DnsZoneAccess): { write: IamRole; read: IamRole } {
  const documents = dnsRoleDocuments(access);
  const make = (id: string, arn: string, description: string, document: { trust: object; policy: object }) => {
    const scope = new Construct(stack, id);
    const resource = arn.split(":")[5];
    const role = new IamRole(scope, "Resource", {
      name: resource.slice(resource.lastIndexOf("/") + 1),
      path: resource.slice("role".length, resource.lastIndexOf("/") + 1) || "/",
      description,
      maxSessionDuration: 3600,
      assumeRolePolicy: policyJson(document.trust),
    });
    new IamRolePolicy(scope, "Records", { name: "route53-records", role: role.name, policy: policyJson(document.policy) });
    return role;
  };
  const env = access.environment.name;
  return {
    write: make(`DnsRole-${env}`, access.zone.roleArn, `Changes only the records of ${env}'s app domains in zone ${access.hostedZoneId}, for ${env}'s apply role`, documents.write),
    read: make(`DnsReadRole-${env}`, access.zone.readRoleArn, `Reads zone ${access.hostedZoneId} for the plans of ${env}`, documents.read),
  };
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
 * jobs run there), {@link DRIFT_ENVIRONMENT} and, when some environment has reviewers,
 * {@link FIRST_APPLY_ENVIRONMENT}. Each deploys from the default branch only and no
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
    ...(firstApplyReviewers(platform) ? [{ name: FIRST_APPLY_ENVIRONMENT, reviewers: firstApplyReviewers(platform)! }] : []),
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
