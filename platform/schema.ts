/**
 * The platform file's schema: one YAML file that describes the GitHub owner, the apps and the
 * environments. This module only describes shapes and per-field rules; defaults that depend on
 * the environment's profile and rules that span fields live in `platform/model.ts`.
 *
 * Every object is strict, so a misspelt key is an error (with a suggestion), never ignored.
 */
import { z } from "zod";
import * as kinds from "../constructs/validators";
import { ValueValidator } from "../constructs/validators";

const DNS_LABEL = kinds.dnsLabel(63).pattern!;

/**
 * A string checked by one of the validators the constructs share: its pattern (also the JSON
 * Schema's) first, then its full check, so the model accepts exactly what the constructs accept.
 */
function kind(validator: ValueValidator) {
  const base = validator.pattern ? z.string().regex(validator.pattern, { error: validator.accepted }) : z.string();
  return base.superRefine((value, ctx) => {
    if (validator.pattern && !validator.pattern.test(value)) return; // reported by the pattern
    const problem = validator.problem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
  });
}

/** A whole number checked by a shared validator, with its bounds in the JSON Schema. */
function intKind(validator: ValueValidator<number>, min: number, max: number) {
  return z
    .int()
    .min(min, { error: validator.accepted })
    .max(max, { error: validator.accepted })
    .superRefine((value, ctx) => {
      if (value < min || value > max) return; // reported by the bounds
      const problem = validator.problem(value);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
    });
}

/**
 * A team reviewer: the slug for people, the numeric id for GitHub. The id is given, not looked up,
 * because a pull request's plan runs with a `GITHUB_TOKEN` that cannot read organization teams.
 */
const teamReviewer = z
  .strictObject({
    slug: kind(kinds.githubTeamSlug).describe("The team's slug, as in its URL."),
    id: intKind(kinds.githubTeamId, 1, Number.MAX_SAFE_INTEGER).describe("The team's numeric id: gh api orgs/<owner>/teams/<slug> --jq .id (a pull request's plan cannot look a team up)."),
  })
  .describe("A team that approves deploys: { slug, id }, the id printed by `gh api orgs/<owner>/teams/<slug> --jq .id`.");

/** A lower-case DNS label of at most `max` characters (also valid for Kubernetes and most AWS names). */
function dnsName(what: string, max: number) {
  return z
    .string()
    .max(max, { error: `${what} must be at most ${max} characters` })
    .regex(DNS_LABEL, {
      error: `${what} must be a DNS label: lower-case letters, digits and '-', starting with a letter and not ending with '-'`,
    });
}

const cidr = kind(kinds.ipv4Cidr);

/** An accepted policy finding: the rule, where (relative to the stack), and why. */
const suppression = z.strictObject({
  rule: z.string().regex(/^SLW-[A-Z0-9]+-\d{3}$/, { error: "expected a policy rule id such as SLW-CF-006 (see docs/policy-rules.md)" }).describe("The policy rule whose finding is accepted, e.g. SLW-CF-006 (listed in docs/policy-rules.md); an unknown id is an error."),
  path: z
    .string()
    .regex(/^[A-Za-z0-9_.\/-]+$/, { error: "expected a construct path inside the stack, such as Cdn or Database/Resource" })
    .optional()
    .describe("Construct path inside each stack it applies to, e.g. Cdn/Resource. @default the whole stack"),
  reason: z.string().trim().min(10, { error: "give the reason in at least 10 characters: a suppression without a reason is not accepted" }).describe("Why the finding is accepted (at least 10 characters); the synth summary and npm run check show it with the finding."),
});

const nodeCount = intKind(kinds.nodeCount, 1, kinds.MAX_NODES_PER_NODE_GROUP);

const replicas = z.strictObject({
  min: z.int().min(1).max(100).describe("Fewest running instances."),
  max: z.int().min(1).max(1000).describe("Most running instances (the autoscaler's ceiling)."),
});

const kubernetesQuantityCpu = kind(kinds.cpuQuantity);
const kubernetesQuantityMemory = kind(kinds.memoryQuantity);
const environmentVariableName = kind(kinds.environmentVariableName);

/**
 * Alarm thresholds: each unset one comes from the app's, then the environment's, then the profile
 * (`PROFILE_DEFAULTS[profile].alarms` in platform/model.ts).
 */
const alarmThresholds = z
  .strictObject({
    loadBalancer5xxPercent: z.number().gt(0).max(100).optional().describe("Load balancer 5xx responses (its own, e.g. no healthy target) as a percentage of requests, over 3 of 5 minutes."),
    target5xxPercent: z.number().gt(0).max(100).optional().describe("The app's own 5xx responses as a percentage of requests, over 3 of 5 minutes."),
    unhealthyTargets: z.int().min(1).max(1000).optional().describe("Unhealthy load-balancer targets that fire the alarm (at least this many for 3 of 5 minutes)."),
    p99LatencyMs: z.int().min(1).max(600000).optional().describe("p99 response time in milliseconds, over 3 of 5 minutes."),
    databaseCpuPercent: z.number().gt(0).max(100).optional().describe("Database CPU, average over 3 periods of 5 minutes."),
    databaseFreeStorageGiB: z.number().gt(0).max(65536).optional().describe("Fire when the database's free storage falls below this many GiB."),
    databaseConnections: z.int().min(1).max(100000).optional().describe("Database connections (maximum over 2 periods of 5 minutes)."),
    cdn5xxPercent: z.number().gt(0).max(100).optional().describe("CloudFront 5xx error rate in percent, over 3 of 5 minutes."),
    containerRestarts: z.int().min(1).max(10000).optional().describe("Container restarts of the app's pods within 5 minutes."),
  })
  .describe("Alarm thresholds; unset ones come from the app, the environment, then the profile.");

/**
 * How a release reaches users in an environment (issue 14): all at once, or through a canary whose
 * share of the traffic the deploy job raises step by step while it compares the canary with the
 * stable version. Rules across steps (weights strictly increasing) are in platform/model.ts.
 */
const rollout = z
  .strictObject({
    strategy: z
      .enum(["all-at-once", "canary"])
      .describe("all-at-once: the Deployment rolls to the new image and takes all traffic. canary: the new image first runs beside the stable one and takes each step's share of the requests, analysed every minute; any breach sends all traffic back to the stable version and fails the deploy. See docs/canary.md"),
    steps: z
      .array(
        z.strictObject({
          weight: z.int().min(1).max(99).describe("Percent of requests (1-99) the canary takes during this step; strictly more than the step before."),
          minutes: z.int().min(1).max(60).describe("Minutes (1-60) the step lasts, analysed every minute."),
        }),
      )
      .min(1)
      .max(5)
      .optional()
      .describe("The canary's steps (1 to 5), in order; after the last one the stable Deployment takes the new image and all traffic. Only with strategy: canary. @default [{ weight: 10, minutes: 5 }, { weight: 50, minutes: 5 }]"),
  })
  .describe("How a release reaches users: all-at-once, or canary steps. @default canary in production (10% for 5 minutes, 50% for 5 minutes), all-at-once otherwise");

/**
 * Pull-request previews: the platform-wide defaults (top-level `previews`) and an app's own
 * (`apps[].previews`, merged over them). Unset keys resolve in platform/model.ts.
 */
export const previewsSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe("Whether each pull request of the app gets its own preview (namespace, database, URL pr-<n>.<domain>). @default true when an environment can host previews (a development-profile one)"),
    environment: dnsName("an environment name", 10)
      .optional()
      .describe("The environment whose cluster, database server and domain host the previews; never a production-profile one. @default the first development-profile environment in order"),
    ttlHours: z.int().min(1).max(720).optional().describe("Hours a preview may sit idle (no push) before the sweep removes it, 1-720. @default 72"),
    seed: kind(kinds.shellCommand).optional().describe("Command run in the preview's image after the migration, to load sample data. @default none"),
    maxConcurrent: z.int().min(1).max(20).optional().describe("Most previews of the app at once (1-20): protects the host cluster; beyond it a pull request gets no preview (its preview check fails, naming the cap) until another closes. @default 3"),
    secrets: z
      .array(environmentVariableName)
      .optional()
      .describe("Names of the secrets previews read (a preview-specific set in Secrets Manager, <platform>/<app>/preview/<NAME>); readable by every same-repository pull request, so keep them low-value. @default none"),
  })
  .describe("Pull-request previews: each pull request gets its own namespace, database and URL on a non-production environment, removed on close or when idle.");

export const appSchema = z.strictObject({
  name: dnsName("an app name", 17).describe("The app's name (a DNS label of at most 17 characters, so <app>-<env> fits AWS load balancer names): its repository, registry, namespace and stacks are named after it."),
  port: intKind(kinds.containerPort, kinds.FIRST_UNPRIVILEGED_PORT, 65535).describe("The port the container listens on (1024-65535: the container runs as a non-root user without capabilities)."),
  healthPath: kind(kinds.healthCheckPath)
    .describe("HTTP path that answers 200 when the app is healthy (probes, load balancer, the deploy's smoke check): letters, digits and ._~/-, optionally a query, at most 1024 characters."),
  cpu: kubernetesQuantityCpu.default("250m").describe("CPU request per instance, a positive Kubernetes quantity (the limit is twice it). @default 250m"),
  memory: kubernetesQuantityMemory.default("256Mi").describe("Memory request and limit per instance, a positive Kubernetes quantity. @default 256Mi"),
  replicas: replicas.optional().describe("Instances when the environment sets none. @default the environment profile's"),
  env: z
    .record(environmentVariableName, z.string())
    .default({})
    .describe("Plain (non-secret) environment variables, in the app's ConfigMap: any text, kept as written (the DATABASE_ names are reserved)."),
  secrets: z
    .array(environmentVariableName)
    .default([])
    .describe("Names of secrets the app reads: each is a Secrets Manager secret <platform>/<app>/<env>/<NAME> per environment, mounted at /var/run/secrets/app/<NAME> and set as $NAME. Values never appear in this file nor in Terraform: set them with npm run secret -- set <app> <env> <NAME>."),
  domains: z
    .record(z.string(), z.string())
    .describe("The app's public domain per environment, keyed by environment name: one for every environment, at most 64 characters (ACM's limit), each used once across all apps and environments."),
  test: kind(kinds.workflowShellCommand).describe("Command that runs the app's tests inside its image (/bin/sh -c), before anything is pushed: any text but ${{, not blank."),
  database: z
    .enum(["postgres", "none"])
    .default("postgres")
    .describe(
      "The app's database in each environment: postgres (its own RDS PostgreSQL, DATABASE_* variables and credentials mounted, migrations) or none (no database, no DATABASE_* variables, no migration; migrate is refused). @default postgres",
    ),
  migrate: kind(kinds.shellCommand).optional().describe("Command that migrates the database (/bin/sh -c in the migration CronJob, same image digest), run before each rollout; needs database: postgres. @default none"),
  integrationTest: kind(kinds.shellCommand)
    .optional()
    .describe(
      "Command run inside the deployed image (same digest) after each rollout and health check, with APP_URL set to the environment's URL, e.g. python -m pytest -q tests/integration. A failure rolls back and stops the promotion. @default none: no integration tests, the health check is the only gate",
    ),
  nodePort: intKind(kinds.nodePort, 30000, 32767)
    .optional()
    .describe("The Kubernetes NodePort the load balancer targets, unique per cluster. @default derived from the app's name"),
  canaryNodePort: intKind(kinds.nodePort, 30000, 32767)
    .optional()
    .describe("The NodePort of the app's canary Service (environments whose rollout is canary), unique per cluster. @default derived from the app's name"),
  staticPath: kind(kinds.cloudFrontPathPattern)
    .default("/static/*")
    .describe("CloudFront path pattern the CDN serves from the static-assets bucket (not /*); the deploy uploads the image's /app/static there. @default /static/*"),
  egress: z
    .array(
      z.strictObject({
        cidr: cidr.describe("Destination CIDR."),
        port: intKind(kinds.port, 1, 65535).describe("Destination port."),
        protocol: z.enum(["TCP", "UDP"]).default("TCP").describe("Protocol. @default TCP"),
      }),
    )
    .default([])
    .describe("Where the app may connect besides its database and DNS. @default nowhere else"),
  suppressions: z
    .array(suppression)
    .default([])
    .describe("Policy findings accepted for this app's stacks (<app>-delivery and <app>-<env>), each with a reason."),
  alarms: alarmThresholds.default({}).describe("This app's alarm thresholds in every environment, over the environment's and the profile's. @default the environment's"),
  overrides: z
    .record(
      z.string(),
      z.strictObject({
        replicas: replicas.optional().describe("This app's instances in that environment, over every other setting."),
        rollout: rollout.optional().describe("This app's rollout in the environment, over the environment's. @default the environment's"),
      }),
    )
    .default({})
    .describe("Per-environment overrides, keyed by environment name."),
  previews: previewsSchema.optional().describe("This app's pull-request previews, over the platform's previews. @default the platform's"),
});

export const environmentSchema = z.strictObject({
  name: dnsName("an environment name", 10).describe("The environment's name, e.g. dev, staging, prod."),
  profile: z
    .enum(["development", "production"])
    .optional()
    .describe("Defaults profile. production: HA NAT, multi-AZ, deletion protection, required reviewers. @default production for prod/production, development otherwise"),
  account: kind(kinds.awsAccountId).describe("AWS account id."),
  region: kind(kinds.awsRegion).describe("AWS region."),
  assumeRoleArn: kind(kinds.iamRoleArn)
    .optional()
    .describe("The role CI's apply jobs assume in this environment; the bootstrap stack creates it, trusted only by the infrastructure repository's GitHub environment of this name. Stacks never assume a role themselves: credentials come from the job (CI) or your AWS profile (workstation). @default arn:aws:iam::<account>:role/<platform>-<env>-apply"),
  network: z.strictObject({
    cidr: kind(kinds.vpcCidr).describe("VPC CIDR, /16 to /23."),
    zones: z.array(z.string()).min(2).max(4).describe("Availability zones in the region (2 to 4)."),
    natGateways: z.enum(["one", "per-zone"]).optional().describe("NAT gateways: one for the VPC, or one per zone (outbound traffic survives a zone's loss). @default per-zone in production, one otherwise"),
  }).describe("The environment's VPC: private and public subnets in each zone, NAT, flow logs."),
  cluster: z
    .strictObject({
      version: kind(kinds.kubernetesVersion).optional().describe("Pinned Kubernetes minor of the EKS cluster: 1.28 to 1.33, the minors with a pinned Cluster Autoscaler release."),
      nodeInstanceTypes: z.array(kind(kinds.ec2InstanceType)).min(1).optional().describe("EC2 instance types of the nodes, all of one CPU architecture and able to trunk network interfaces (security groups for pods: not the t family); the Cluster Autoscaler adds the first. @default [m6i.large] in production, [c6i.large] otherwise"),
      nodes: z
        .strictObject({ min: nodeCount.describe("Fewest nodes: the Cluster Autoscaler never goes below."), desired: nodeCount.describe("Nodes at creation only: Terraform then leaves the live count to the Cluster Autoscaler (raise min to force a size)."), max: nodeCount.describe("Most nodes the Cluster Autoscaler adds as pods need them.") })
        .optional()
        .describe(`Nodes of the managed node group (1 to ${kinds.MAX_NODES_PER_NODE_GROUP}, EKS's quota).`),
      publicAccessCidrs: z
        .array(kind(kinds.publicAccessCidr))
        .optional()
        .describe("CIDRs allowed to reach the cluster API publicly; refused when they cover the whole internet, alone or together. @default none: the API endpoint is private"),
      adminRoleArns: z.array(kind(kinds.iamRoleArn)).optional().describe("IAM roles given cluster admin through EKS access entries (e.g. yours, to plan <app>-<env> from a workstation); nobody else is admin by creating the cluster."),
      zoneSpread: z.enum(["required", "preferred"]).optional().describe("Spread of each app's pods over zones: required (a pod waits for a node rather than leave a zone two pods ahead) or preferred. @default required in production, preferred otherwise"),
    })
    .default({})
    .describe("The environment's EKS cluster and its managed node group."),
  database: z
    .strictObject({
      instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: "expected an RDS instance class such as db.t4g.micro" }).optional().describe("RDS instance class of each app's database. @default db.m6g.large in production, db.t4g.micro otherwise"),
      storageGiB: intKind(kinds.rdsStorageGiB, kinds.RDS_STORAGE_GIB.min, kinds.RDS_STORAGE_GIB.max).optional().describe("Allocated gp3 storage in GiB. @default 100 in production, 20 otherwise"),
      maxStorageGiB: intKind(kinds.rdsStorageGiB, kinds.RDS_STORAGE_GIB.min, kinds.RDS_STORAGE_GIB.max).optional().describe("Storage autoscaling ceiling in GiB, at least storageGiB (the file's or the profile's). @default 1000 in production, 100 otherwise"),
      engineVersion: z
        .string()
        .regex(/^\d{2}(\.\d+)?$/, { error: "expected a PostgreSQL major version such as 16, or major.minor such as 16.8" })
        .optional()
        .describe("PostgreSQL version. A major alone lets RDS apply minor upgrades without Terraform planning a downgrade. @default 16"),
      backupRetentionDays: intKind(kinds.rdsBackupRetentionDays, 1, 35)
        .optional()
        .describe("Days of RDS automated backups: the point-in-time recovery window. @default 7 in production, 2 otherwise"),
      performanceInsights: z.boolean().optional().describe("Performance Insights on each app's database: query-level load and waits, 7 days free, encrypted with the database's key. @default true in production, false otherwise"),
      backupCopy: z
        .strictObject({
          enabled: z.boolean().optional().describe("false: no AWS Backup (in production only with a protection.overrideReason). @default true in production; true elsewhere once backupCopy is given"),
          region: kind(kinds.awsRegion)
            .optional()
            .describe("The second region daily snapshots are copied to (not the environment's). @default the region's partner in the same country or the EU (eu-west-1 -> eu-central-1, us-east-1 -> us-west-2, ...); a region without one must name it"),
          account: kind(kinds.awsAccountId)
            .optional()
            .describe("A second account to copy into: its vault <app>-<env>-backup in region is made there, with a vault policy allowing backup:CopyIntoBackupVault from this account. @default this account"),
          retentionDays: intKind(kinds.backupVaultRetentionDays, 7, 36500).optional().describe("Days each snapshot and its copy are kept, locked. @default 35"),
          breakGlassRoleArns: z
            .array(kind(kinds.iamRoleArn))
            .optional()
            .describe("Roles still allowed to delete recovery points or the vaults; everyone else (deploy and apply roles too) is denied. @default none"),
        })
        .optional()
        .describe("Daily AWS Backup snapshots of the database in locked vaults, copied to a second region. @default on in production, off otherwise"),
    })
    .default({})
    .describe("Each app's RDS PostgreSQL in this environment (apps with database: postgres)."),
  replicas: replicas.optional().describe("Instances of every app here, unless the app overrides them."),
  rollout: rollout.optional(),
  approval: z
    .strictObject({
      required: z.boolean().optional().describe("Deploys to this environment (and its first applies) wait for the reviewers. @default true in production, false otherwise"),
      reviewers: z
        .strictObject({
          users: z.array(kind(kinds.githubLogin)).default([]).describe("GitHub logins of reviewers."),
          teams: z.array(teamReviewer).default([]).describe("GitHub teams of reviewers, each { slug, id }."),
        })
        .default({ users: [], teams: [] })
        .describe("Who approves: users and teams, at most 6 together, each once; needed when approval is required."),
    })
    .default({ reviewers: { users: [], teams: [] } })
    .describe("Whether deploys wait for reviewers. @default required in production"),
  protection: z
    .strictObject({
      deletionProtection: z.boolean().optional().describe("Deletion protection of the databases and load balancers; off in production only with overrideReason. @default true in production, false otherwise"),
      multiAz: z.boolean().optional().describe("Multi-AZ databases (a standby in another zone); off in production only with overrideReason. @default true in production, false otherwise"),
      overrideReason: z
        .string()
        .trim()
        .min(10)
        .optional()
        .describe("Why a production environment runs without deletion protection, Multi-AZ or backup copies; required to turn any of them off there, and it accepts exactly the matching policy findings."),
    })
    .default({})
    .describe("Production protections of the data stores."),
  suppressions: z
    .array(suppression)
    .default([])
    .describe("Policy findings accepted for this environment's stacks (platform-<env> and <app>-<env>), each with a reason."),
  deploy: z
    .strictObject({
      runsOn: z
        .array(kind(kinds.runnerLabel))
        .min(1)
        .optional()
        .describe("Runner labels of the deploy job: a runner that can reach the cluster API. @default [codebuild-<platform>-<env>-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}], the environment's CodeBuild deploy runner inside the VPC"),
      bakeMinutes: z
        .int()
        .min(0)
        .max(60)
        .optional()
        .describe("Minutes the deploy job watches the app's alarms after the rollout, health check and integration tests; an alarm that fires rolls back and stops the promotion. 0: one check at the end. @default 5 in production, 1 otherwise"),
    })
    .default({})
    .describe("How the apps' deploy jobs run in this environment."),
  dns: z
    .strictObject({
      hostedZoneId: kind(kinds.hostedZoneId)
        .optional()
        .describe("Route 53 zone of the apps' domains: their alias records and certificate validation records are made there. @default none: the synth summary lists the records to create in your DNS"),
      account: kind(kinds.awsAccountId)
        .optional()
        .describe("AWS account of hostedZoneId, when it is not the environment's: the records are then made through a provider that assumes a DNS-only role there (roleArn; readRoleArn for plans). @default the environment's account"),
      roleArn: kind(kinds.iamRoleArn)
        .optional()
        .describe("Role in the zone's account that applies assume to change only the apps' records there, trusted only by the environment's apply role; created by the zone account's bootstrap stack when that account is one of the platform's. @default arn:aws:iam::<account>:role/<platform>-<env>-dns"),
      readRoleArn: kind(kinds.iamRoleArn)
        .optional()
        .describe("Read-only role in the zone's account that plans (pull requests, drift) assume, trusted only by the environment's account's plan role. @default arn:aws:iam::<account>:role/<platform>-<env>-dns-read"),
    })
    .default({})
    .describe("The apps' DNS records: made in a Route 53 zone, or listed for you to create."),
  loadBalancer: z
    .strictObject({
      allowFrom: z.enum(["cdn", "internet"]).default("cdn").describe("Who may reach the load balancer: cdn (internal, reached only through this app's CloudFront VPC origin) or internet (internet-facing; reported as an accepted SLW-ALB-007 finding). @default cdn"),
      accessLogs: z.boolean().optional().describe("Access logs of each app's load balancer, in an encrypted bucket of their own kept 365 days. @default true in production, false otherwise"),
    })
    .default({ allowFrom: "cdn" })
    .describe("The apps' load balancers."),
  alarms: z
    .strictObject({
      email: z.array(kind(kinds.emailAddress)).default([]).describe("Who the environment's alarm topic emails (each confirms the subscription once). @default nobody: subscribe chat or paging to the topic yourself"),
      thresholds: alarmThresholds.default({}),
    })
    .default({ email: [], thresholds: {} })
    .describe("The environment's alarms: who is notified, and thresholds over the profile's."),
  secrets: z
    .strictObject({
      recoveryWindowDays: z.int().min(7).max(30).optional().describe("Days a deleted app secret can still be restored (Secrets Manager's recovery window, 7-30). @default 30 in production, 7 otherwise"),
    })
    .default({})
    .describe("The apps' secrets here (<platform>/<app>/<env>/<NAME>; their values are set with npm run secret, never in this file)."),
  logs: z
    .strictObject({
      retentionDays: z
        .literal([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], { error: "one of CloudWatch Logs' retention periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653" })
        .optional()
        .describe("Days the containers' logs (Container Insights log groups) are kept. @default 365 in production, 30 otherwise"),
    })
    .default({})
    .describe("The containers' logs."),
  cdn: z
    .strictObject({
      priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]).optional().describe("CloudFront price class: which edge locations serve the apps. @default PriceClass_All in production, PriceClass_100 otherwise"),
      webAclArn: kind(kinds.cloudFrontWebAclArn).optional().describe("WAFv2 web ACL of scope CLOUDFRONT that filters requests: arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>. @default none: no WAF (a low SLW-CF-006 finding)"),
    })
    .default({})
    .describe("The apps' CloudFront distributions."),
});

const backendSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("local").describe("State files beside the project (terraform.<stack>.tfstate, outside cdktf.out); works offline, but CI cannot plan or apply with it.") }),
  z.strictObject({
    type: z.literal("s3").describe("An S3 bucket: one encrypted state object per stack, locked with Terraform's native S3 lock file (use_lockfile, Terraform 1.10 or later)."),
    bucket: kind(kinds.s3BucketName).describe("The state bucket; bootstrap-<account> of the last environment's account creates it."),
    region: kind(kinds.awsRegion).describe("The state bucket's region."),
    keyPrefix: kind(kinds.s3KeyPrefix).default("slipway").describe("Prefix of the state files' keys, <keyPrefix>/<stack>.tfstate: /-separated segments of letters, digits and !-_.*'(), no leading /, no . or .. segment. @default slipway"),
  }),
  z.strictObject({
    type: z.literal("remote").describe("HCP Terraform (or Terraform Enterprise): a workspace <workspacePrefix><stack> per stack."),
    organization: kind(kinds.hcpOrganizationName).describe("The HCP Terraform organization."),
    hostname: kind(kinds.domainName).default("app.terraform.io").describe("The HCP Terraform or Terraform Enterprise host. @default app.terraform.io"),
    workspacePrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]*$/, { error: "expected letters, digits, '-' and '_' (HCP Terraform's workspace names)" })
      .default("")
      .describe(`Prefix of the workspace names: <workspacePrefix><stack>, at most ${kinds.MAX_WORKSPACE_NAME_LENGTH} characters in all. @default none`),
  }),
]);

/** A non-negative quantity a month, for a cost assumption. */
const usage = (fallback: number, what: string) => z.number().min(0).default(fallback).describe(`${what} @default ${fallback}`);

/** Usage the cost estimate (`npm run cost`, docs/cost.md) assumes where AWS bills by use. */
const costSchema = z.strictObject({
  assumptions: z
    .strictObject({
      natGatewayDataGiB: usage(100, "GiB a month processed by each NAT gateway."),
      loadBalancerLcus: usage(1, "Average load balancer capacity units (LCU) each load balancer uses every hour."),
      cdnDataOutGiB: usage(50, "GiB a month each CloudFront distribution sends to viewers."),
      cdnRequestsMillions: usage(1, "Millions of HTTPS requests a month to each CloudFront distribution."),
      bucketGiB: usage(5, "GiB stored in each S3 bucket (assets, access logs)."),
      logIngestionGiB: usage(1, "GiB a month ingested into each CloudWatch log group (kept for the group's retention)."),
      ciRunnerMinutes: usage(1000, "Minutes a month each CodeBuild runner project runs jobs."),
      registryGiB: usage(10, "GiB of images in each container registry."),
      databaseBackupGiB: usage(0, "GiB of each database's backups beyond the free allowance (equal to its provisioned storage)."),
      backupVaultGiB: usage(20, "GiB of database recovery points in each AWS Backup vault (production copies them to a second region)."),
      vpcEndpointDataGiB: usage(10, "GiB a month processed by each interface VPC endpoint."),
    })
    .prefault({})
    .describe("Usage the estimate assumes, per resource and month; each line of `npm run cost` says which it uses."),
});

export const platformSchema = z.strictObject({
  name: dnsName("a platform name", 12).default("slipway").describe("Prefix of shared resources such as cluster names. @default slipway"),
  github: z.strictObject({
    owner: kind(kinds.githubLogin).describe("GitHub organization (or user) that owns the app repositories and the infrastructure repository; the CI runners need an organization (CodeBuild's organization webhooks)."),
    appId: z
      .int()
      .min(1)
      .optional()
      .describe("The GitHub App Terraform authenticates as (else the variable SLIPWAY_GITHUB_APP_ID of the infrastructure repository): the only actor that may bypass the app repositories' default-branch ruleset, to update the generated workflows. @default none"),
    defaultBranch: kind(kinds.branchName)
      .default("main")
      .describe("Default branch of the app repositories: the pipeline delivers from it, and the infrastructure repository's workflows apply from it. @default main"),
    secretScanning: z
      .enum(["secret-protection", "advanced-security", "off"])
      .default("secret-protection")
      .describe(
        "The owner's license for secret scanning and push protection on the private app repositories: secret-protection (GitHub Secret Protection), advanced-security (GitHub Advanced Security, also enabled per repository) or off (neither: GitHub refuses the setting; reported by SLW-GH-005). @default secret-protection",
      ),
    infrastructureRepository: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: "expected a repository name (without the owner) such as acme-infrastructure" })
      .optional()
      .describe("The repository that holds this platform file and runs its CI (slipway-plan/apply/drift): its pull requests plan with the read-only role, its GitHub environments gate the apply roles. @default <name>-infrastructure"),
  }).describe("Where the repositories live and how the pipeline reaches GitHub."),
  backend: backendSchema.default({ type: "local" }).describe("Where Terraform keeps state. @default local"),
  previews: previewsSchema.optional().describe("Pull-request previews of every app, unless an app says otherwise. @default on, hosted by the first development-profile environment"),
  apps: z.array(appSchema).min(1, { error: "declare at least one app" }).describe("The apps: each gets a repository, a pipeline and, in every environment, its own stack."),
  environments: z
    .array(environmentSchema)
    .min(1, { error: "declare at least one environment" })
    .describe("In promotion order: the pipeline deploys to each in turn."),
  cost: costSchema.prefault({}).describe("The cost estimate's usage assumptions (docs/cost.md). @default the assumptions' defaults"),
});

/** The platform file as written. */
export type PlatformFileInput = z.input<typeof platformSchema>;
/** The platform file after per-field defaults. */
export type ParsedPlatform = z.output<typeof platformSchema>;
export type ParsedApp = z.output<typeof appSchema>;
export type ParsedEnvironment = z.output<typeof environmentSchema>;
export type BackendConfig = z.output<typeof backendSchema>;
/** The cost estimate's usage assumptions, defaults filled. */
export type CostConfig = z.output<typeof costSchema>;

/** The JSON Schema editors use to complete and check the platform file. */
export function platformJsonSchema(): object {
  return z.toJSONSchema(platformSchema, { io: "input", target: "draft-7" });
}
