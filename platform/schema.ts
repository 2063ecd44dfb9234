/**
 * The platform file's schema: one YAML file that describes the GitHub owner, the apps and the
 * environments. This module only describes shapes and per-field rules; defaults that depend on
 * the environment's profile and rules that span fields live in `platform/model.ts`.
 *
 * Every object is strict, so a misspelt key is an error (with a suggestion), never ignored.
 */
import { z } from "zod";

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** A lower-case DNS label of at most `max` characters (also valid for Kubernetes and most AWS names). */
function dnsName(what: string, max: number) {
  return z
    .string()
    .max(max, { error: `${what} must be at most ${max} characters` })
    .regex(DNS_LABEL, {
      error: `${what} must be a DNS label: lower-case letters, digits and '-', starting with a letter and not ending with '-'`,
    });
}

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, { error: "expected an IPv4 CIDR such as 10.0.0.0/16" });

/** An accepted policy finding: the rule, where (relative to the stack), and why. */
const suppression = z.strictObject({
  rule: z.string().regex(/^SLW-[A-Z0-9]+-\d{3}$/, { error: "expected a policy rule id such as SLW-CF-006 (see docs/policy-rules.md)" }),
  path: z
    .string()
    .regex(/^[A-Za-z0-9_.\/-]+$/, { error: "expected a construct path inside the stack, such as Cdn or Database/Resource" })
    .optional()
    .describe("Construct path inside each stack it applies to, e.g. Cdn/Resource. @default the whole stack"),
  reason: z.string().trim().min(10, { error: "give the reason in at least 10 characters: a suppression without a reason is not accepted" }),
});

const replicas = z.strictObject({
  min: z.int().min(1).max(100).describe("Fewest running instances."),
  max: z.int().min(1).max(1000).describe("Most running instances (the autoscaler's ceiling)."),
});

const kubernetesQuantityCpu = z
  .string()
  .regex(/^(\d+m|\d+(\.\d+)?)$/, { error: "expected a Kubernetes CPU quantity such as 250m or 1" });
const kubernetesQuantityMemory = z
  .string()
  .regex(/^\d+(Mi|Gi)$/, { error: "expected a Kubernetes memory quantity such as 512Mi or 2Gi" });

const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;

export const appSchema = z.strictObject({
  name: dnsName("an app name", 17).describe("The app's name: used for its repository, registry, namespace and stacks."),
  port: z.int().min(1).max(65535).describe("The port the container listens on."),
  healthPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\/-]*$/, { error: "expected an HTTP path starting with '/', such as /healthz" })
    .describe("HTTP path that answers 200 when the app is healthy."),
  cpu: kubernetesQuantityCpu.default("250m").describe("CPU request per instance (the limit is twice it). @default 250m"),
  memory: kubernetesQuantityMemory.default("256Mi").describe("Memory request and limit per instance. @default 256Mi"),
  replicas: replicas.optional().describe("Instances when the environment sets none. @default the environment profile's"),
  env: z
    .record(z.string().regex(ENV_VAR_NAME, { error: "expected an environment variable name such as LOG_LEVEL" }), z.string())
    .default({})
    .describe("Plain (non-secret) environment variables."),
  secrets: z
    .array(z.string().regex(ENV_VAR_NAME, { error: "expected an environment variable name such as API_KEY" }))
    .default([])
    .describe("Names of secrets the app reads from its environment; values never appear in this file."),
  domains: z
    .record(z.string(), z.string())
    .describe("The app's public domain per environment, keyed by environment name."),
  test: z.string().min(1).describe("Command that runs the app's tests inside its image."),
  migrate: z.string().min(1).optional().describe("Command that migrates the database, run before each rollout. @default none"),
  integrationTest: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Command run inside the deployed image (same digest) after each rollout and health check, with APP_URL set to the environment's URL, e.g. python -m pytest -q tests/integration. A failure rolls back and stops the promotion. @default none: no integration tests, the health check is the only gate",
    ),
  nodePort: z
    .int()
    .min(30000)
    .max(32767)
    .optional()
    .describe("The Kubernetes NodePort the load balancer targets, unique per cluster. @default derived from the app's name"),
  staticPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\/-]*\*$/, { error: "expected a CloudFront path pattern such as /static/*" })
    .default("/static/*")
    .describe("Paths the CDN serves from the static-assets bucket. @default /static/*"),
  egress: z
    .array(
      z.strictObject({
        cidr: cidr,
        port: z.int().min(1).max(65535),
        protocol: z.enum(["TCP", "UDP"]).default("TCP"),
      }),
    )
    .default([])
    .describe("Where the app may connect besides its database and DNS. @default nowhere else"),
  suppressions: z
    .array(suppression)
    .default([])
    .describe("Policy findings accepted for this app's stacks (<app>-delivery and <app>-<env>), each with a reason."),
  overrides: z
    .record(z.string(), z.strictObject({ replicas: replicas.optional() }))
    .default({})
    .describe("Per-environment overrides, keyed by environment name."),
});

export const environmentSchema = z.strictObject({
  name: dnsName("an environment name", 10).describe("The environment's name, e.g. dev, staging, prod."),
  profile: z
    .enum(["development", "production"])
    .optional()
    .describe("Defaults profile. production: HA NAT, multi-AZ, deletion protection, required reviewers. @default production for prod/production, development otherwise"),
  account: z.string().regex(/^\d{12}$/, { error: "expected a 12-digit AWS account id" }).describe("AWS account id."),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "expected an AWS region such as eu-west-1" })
    .describe("AWS region."),
  assumeRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, { error: "expected an IAM role ARN such as arn:aws:iam::123456789012:role/deploy" })
    .optional()
    .describe("Role Terraform assumes in the account. @default the caller's own credentials"),
  network: z.strictObject({
    cidr: cidr.describe("VPC CIDR, /16 to /23."),
    zones: z.array(z.string()).min(2).max(4).describe("Availability zones in the region (2 to 4)."),
    natGateways: z.enum(["one", "per-zone"]).optional().describe("@default per-zone in production, one otherwise"),
  }),
  cluster: z
    .strictObject({
      version: z.string().regex(/^1\.\d{2}$/, { error: "expected a Kubernetes minor version such as 1.33" }).optional(),
      nodeInstanceTypes: z.array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "expected an EC2 instance type such as m6i.large" })).min(1).optional(),
      nodes: z.strictObject({ min: z.int().min(1), desired: z.int().min(1), max: z.int().min(1) }).optional(),
      publicAccessCidrs: z
        .array(cidr)
        .optional()
        .describe("CIDRs allowed to reach the cluster API publicly. @default none: the API endpoint is private"),
      adminRoleArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, { error: "expected an IAM role ARN" })).optional(),
    })
    .default({}),
  database: z
    .strictObject({
      instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: "expected an RDS instance class such as db.t4g.micro" }).optional(),
      storageGiB: z.int().min(20).max(65536).optional(),
      maxStorageGiB: z.int().min(20).max(65536).optional(),
      engineVersion: z
        .string()
        .regex(/^\d{2}(\.\d+)?$/, { error: "expected a PostgreSQL major version such as 16, or major.minor such as 16.8" })
        .optional()
        .describe("PostgreSQL version. A major alone lets RDS apply minor upgrades without Terraform planning a downgrade. @default 16"),
    })
    .default({}),
  replicas: replicas.optional().describe("Instances of every app here, unless the app overrides them."),
  approval: z
    .strictObject({
      required: z.boolean().optional(),
      reviewers: z
        .strictObject({
          users: z.array(z.string().min(1)).default([]),
          teams: z.array(z.string().min(1)).default([]),
        })
        .default({ users: [], teams: [] }),
    })
    .default({ reviewers: { users: [], teams: [] } })
    .describe("Whether deploys wait for reviewers. @default required in production"),
  protection: z
    .strictObject({
      deletionProtection: z.boolean().optional(),
      multiAz: z.boolean().optional(),
      overrideReason: z
        .string()
        .trim()
        .min(10)
        .optional()
        .describe("Why a production environment turns deletion protection or multi-AZ off; required to do so."),
    })
    .default({}),
  suppressions: z
    .array(suppression)
    .default([])
    .describe("Policy findings accepted for this environment's stacks (platform-<env> and <app>-<env>), each with a reason."),
  deploy: z
    .strictObject({
      runsOn: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe("Runner labels of the deploy job: a runner that can reach the cluster API. @default [codebuild-<platform>-<env>-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}], the environment's CodeBuild deploy runner inside the VPC"),
    })
    .default({}),
  dns: z
    .strictObject({
      hostedZoneId: z
        .string()
        .regex(/^Z[A-Z0-9]{1,31}$/, { error: "expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ" })
        .optional()
        .describe("Route 53 zone that validates certificates. @default none: the validation records are output for your DNS"),
    })
    .default({}),
  loadBalancer: z
    .strictObject({
      allowFrom: z.enum(["cdn", "internet"]).default("cdn").describe("Who may reach the load balancer. @default cdn"),
    })
    .default({ allowFrom: "cdn" }),
  cdn: z
    .strictObject({
      priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]).optional().describe("@default PriceClass_All in production, PriceClass_100 otherwise"),
      webAclArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]+\/[\w-]+$/, { error: "expected a WAFv2 web ACL ARN of scope CLOUDFRONT (us-east-1, global/webacl/...)" })
        .optional(),
    })
    .default({}),
});

const backendSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("local") }),
  z.strictObject({
    type: z.literal("s3"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name" }),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "expected an AWS region such as eu-west-1" }),
    keyPrefix: z.string().default("slipway"),
  }),
  z.strictObject({
    type: z.literal("remote"),
    organization: z.string().min(1),
    hostname: z.string().default("app.terraform.io"),
    workspacePrefix: z.string().default(""),
  }),
]);

export const platformSchema = z.strictObject({
  name: dnsName("a platform name", 12).default("slipway").describe("Prefix of shared resources such as cluster names. @default slipway"),
  github: z.strictObject({
    owner: z
      .string()
      .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/, { error: "expected a GitHub user or organization name" }),
    appId: z
      .int()
      .min(1)
      .optional()
      .describe("The GitHub App Terraform authenticates as: the only actor that may bypass the default-branch ruleset, to update the generated workflows. @default none"),
    defaultBranch: z
      .string()
      .regex(/^[A-Za-z0-9._\/-]+$/, { error: "expected a branch name such as main" })
      .default("main")
      .describe("Default branch of the app repositories. @default main"),
    secretScanning: z
      .enum(["secret-protection", "advanced-security", "off"])
      .default("secret-protection")
      .describe(
        "The owner's license for secret scanning and push protection on the private app repositories: secret-protection (GitHub Secret Protection), advanced-security (GitHub Advanced Security, also enabled per repository) or off (neither: GitHub refuses the setting; reported by SLW-GH-005). @default secret-protection",
      ),
  }),
  backend: backendSchema.default({ type: "local" }).describe("Where Terraform keeps state. @default local"),
  apps: z.array(appSchema).min(1, { error: "declare at least one app" }),
  environments: z
    .array(environmentSchema)
    .min(1, { error: "declare at least one environment" })
    .describe("In promotion order: the pipeline deploys to each in turn."),
});

/** The platform file as written. */
export type PlatformFileInput = z.input<typeof platformSchema>;
/** The platform file after per-field defaults. */
export type ParsedPlatform = z.output<typeof platformSchema>;
export type ParsedApp = z.output<typeof appSchema>;
export type ParsedEnvironment = z.output<typeof environmentSchema>;
export type BackendConfig = z.output<typeof backendSchema>;

/** The JSON Schema editors use to complete and check the platform file. */
export function platformJsonSchema(): object {
  return z.toJSONSchema(platformSchema, { io: "input", target: "draft-7" });
}
