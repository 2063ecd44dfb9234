/**
 * Production data cannot be destroyed by a plan. (a) In the synthesized production stacks every
 * stateful resource carries `lifecycle.prevent_destroy` (a resource type nobody has classified
 * fails the test), and development stacks' throwaway ones do not. (b) With the real Terraform CLI,
 * offline: over a hand-written state holding the protected instances, `plan -destroy` and a plan
 * that would replace them both fail with "Instance cannot be destroyed", naming each.
 *
 * Terraform's known limit: `prevent_destroy` lives in the resource block, so deleting the block
 * (or the construct) deletes the protection with it; the last test here shows it. The
 * infrastructure CI guards that case by refusing plans that destroy production resources.
 */
import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { synthesize } from "../../cli/synth";
import { ACCESS_LOG_BUCKET_TAG } from "../../constructs/access-log-bucket";
import { Cdn } from "../../constructs/cdn";
import { evaluate } from "../../policy";
import { ContainerRegistry } from "../../constructs/container-registry";
import { PostgresDatabase } from "../../constructs/postgres-database";
import { EXAMPLE_FILE, tempDir } from "../support/platform";
import { loadSynthesizedOutput, stackReferences } from "../../synthesized";
import { awsPartOf, terraformForTests } from "../support/terraform";
import { OfflineTerraform, PlanResult, stateFile, StateInstance } from "../support/terraform-state";
import { variantDocument } from "../support/variants";

type Json = any;

/** Types that hold data a plan must never destroy in production, and what would be lost. */
const STATEFUL: Record<string, string> = {
  aws_db_instance: "the database",
  aws_rds_cluster: "the database cluster",
  aws_dynamodb_table: "the table's items",
  aws_efs_file_system: "the files",
  aws_ebs_volume: "the volume's blocks",
  aws_elasticache_replication_group: "the cache's data",
  aws_opensearch_domain: "the indexes",
  aws_secretsmanager_secret: "the secret's value",
  aws_backup_vault: "the backups",
  aws_ecr_repository: "every released image",
  aws_kms_key: "the key (what it encrypted becomes unreadable)",
  aws_s3_bucket: "the bucket's objects (access-log buckets excepted)",
  aws_codeconnections_connection: "the GitHub authorization (CI runners stop until a person authorizes a new connection)",
};

/** Types that hold data but are protected another way, with the check. */
const PROTECTED_OTHERWISE: Record<string, (resource: Json) => boolean> = {
  // Destroying the repository archives it: code and history stay.
  github_repository: (r) => r.archive_on_destroy === true,
};

/** Logs: kept for their retention period, exempt like access-log buckets (policy rule SLW-PROD-001). */
const LOGS = new Set(["aws_cloudwatch_log_group"]);

/**
 * Types a plan may destroy and recreate from the configuration alone: network, compute, identity,
 * routing, certificates, settings, and Kubernetes objects (rolled out again by the pipeline).
 */
const REBUILDABLE = new Set([
  "aws_acm_certificate", "aws_acm_certificate_validation", "aws_autoscaling_attachment", "aws_cloudfront_distribution",
  // The backup plan, its selection and the vaults' policy and lock are settings (the recovery points live in the vaults).
  "aws_backup_plan", "aws_backup_selection", "aws_backup_vault_lock_configuration", "aws_backup_vault_policy",
  "aws_codebuild_project", "aws_codebuild_source_credential", "aws_codebuild_webhook",
  "aws_cloudfront_origin_access_control", "aws_cloudfront_response_headers_policy", "aws_cloudfront_vpc_origin",
  "aws_cloudwatch_log_delivery", "aws_cloudwatch_log_delivery_destination", "aws_cloudwatch_log_delivery_source",
  "aws_db_parameter_group", "aws_db_subnet_group",
  "aws_default_security_group", "aws_ecr_lifecycle_policy", "aws_ecr_repository_policy", "aws_eip", "aws_eks_access_entry",
  "aws_eks_access_policy_association", "aws_eks_addon", "aws_eks_pod_identity_association", "aws_eks_cluster", "aws_eks_node_group", "aws_flow_log",
  "aws_iam_openid_connect_provider", "aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_internet_gateway",
  "aws_kms_alias", "aws_launch_template", "aws_lb", "aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group", "aws_nat_gateway", "aws_route",
  "aws_route53_record", "aws_route_table", "aws_route_table_association", "aws_s3_bucket_lifecycle_configuration",
  "aws_s3_bucket_ownership_controls", "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning", "aws_security_group", "aws_subnet", "aws_vpc",
  "aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule",
  "github_actions_environment_variable", "github_actions_variable", "github_branch_default", "github_repository_environment",
  "github_repository_environment_deployment_policy", "github_repository_file", "github_repository_ruleset",
  "kubernetes_config_map_v1", "kubernetes_cron_job_v1", "kubernetes_deployment_v1", "kubernetes_horizontal_pod_autoscaler_v2", "kubernetes_manifest",
  "kubernetes_namespace_v1", "kubernetes_network_policy_v1", "kubernetes_pod_disruption_budget_v1", "kubernetes_secret_v1",
  "kubernetes_service_account_v1", "kubernetes_service_v1",
  // Settings and RBAC objects, recreated from the configuration.
  "github_repository_dependabot_security_updates", "kubernetes_role_binding_v1", "kubernetes_role_v1", "kubernetes_cluster_role_binding_v1", "kubernetes_cluster_role_v1",
  // Alarms, dashboards and alarm topics hold no data: recreated from the configuration (a replaced
  // topic's email subscribers confirm once more; its key is protected as a key).
  "aws_cloudwatch_dashboard", "aws_cloudwatch_metric_alarm", "aws_sns_topic", "aws_sns_topic_policy", "aws_sns_topic_subscription",
]);

interface Output {
  readonly stacks: Record<string, Json>;
  readonly production: Record<string, boolean>;
}

function readOutput(outdir: string): Output {
  const output = loadSynthesizedOutput(outdir);
  expect(output.summaryFound).toBe(true); // production comes from slipway.json, not from names
  return { stacks: Object.fromEntries(output.stacks.map((s) => [s.name, s.json])), production: Object.fromEntries(output.stacks.map((s) => [s.name, s.production])) };
}

/**
 * `type.name` of the buckets a stack writes logs into: the load balancer's access_logs, CloudFront's
 * log delivery destination (standard logging v2), legacy logging_config or S3 server access logging.
 */
function logDestinations(stack: Json): Set<string> {
  return new Set(
    stackReferences(stack)
      .filter((r) =>
        /\.(logging_config|access_logs)(\[\d+\])?\.bucket$|^resource\.aws_s3_bucket_logging\..*\.target_bucket$|^resource\.aws_cloudwatch_log_delivery_destination\..*\.destination_resource_arn$/.test(
          r.at,
        ),
      )
      .map((r) => r.target)
      .filter((target) => target.startsWith("aws_s3_bucket.")),
  );
}

/** `type.name` of the buckets carrying the access-log tag: the only ones exempt from prevent_destroy. */
function taggedAccessLogBuckets(stack: Json): Set<string> {
  return new Set(
    Object.entries<Json>(stack.resource?.aws_s3_bucket ?? {})
      .filter(([, body]) => body.tags?.[ACCESS_LOG_BUCKET_TAG.key] === ACCESS_LOG_BUCKET_TAG.value)
      .map(([name]) => `aws_s3_bucket.${name}`),
  );
}

/** Every resource instance: its stack, type, name, construct path and body. */
function instances(stacks: Record<string, Json>) {
  return Object.entries(stacks).flatMap(([stack, json]) =>
    Object.entries<Json>(json.resource ?? {}).flatMap(([type, byName]) =>
      Object.entries<Json>(byName).map(([name, body]) => ({ stack, type, name, path: String(body["//"]?.metadata?.path ?? "").split("/").slice(1).join("/"), body })),
    ),
  );
}

/** The construct paths (stack-relative) of the stateful instances that must be protected, per stack. */
function mustProtect(output: Output): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, json] of Object.entries(output.stacks)) {
    // Exempt by the tag alone, as policy rule SLW-PROD-001 does (a test below checks the tagged
    // buckets are exactly the log destinations).
    const logs = taggedAccessLogBuckets(json);
    out[name] = instances({ [name]: json })
      .filter((i) => i.type in STATEFUL && !(i.type === "aws_s3_bucket" && logs.has(`${i.type}.${i.name}`)))
      .map((i) => `${i.type} ${i.path}`)
      .sort();
  }
  return out;
}

const protectedPaths = (json: Json) =>
  instances({ x: json })
    .filter((i) => i.body.lifecycle?.prevent_destroy === true)
    .map((i) => `${i.type} ${i.path}`)
    .sort();

let work: string;
const outputs: Record<string, Output> = {};
beforeAll(() => {
  work = tempDir("slipway-protect-");
  synthesize({ platformFile: EXAMPLE_FILE, outdir: path.join(work, "example") });
  outputs.example = readOutput(path.join(work, "example"));
  // Five environments, two of them production in different accounts and regions.
  const variant = path.join(work, "variant.yaml");
  fs.writeFileSync(variant, stringify(variantDocument({ apps: ["shop"], backend: { type: "local" } })));
  synthesize({ platformFile: variant, outdir: path.join(work, "variant") });
  outputs.variant = readOutput(path.join(work, "variant"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("in the synthesized stacks", () => {
  test.each(["example", "variant"])("every resource type in the %s platform is classified (a new stateful type cannot slip in unprotected)", (which) => {
    const types = [...new Set(instances(outputs[which].stacks).map((i) => i.type))].sort();
    const unclassified = types.filter((t) => !(t in STATEFUL) && !(t in PROTECTED_OTHERWISE) && !LOGS.has(t) && !REBUILDABLE.has(t));
    expect(unclassified).toEqual([]);
    expect(types.length).toBeGreaterThan(50);
  });

  test("the example's production stacks protect exactly their data stores", () => {
    const { stacks, production } = outputs.example;
    expect(Object.keys(production).filter((s) => production[s]).sort()).toEqual(["bootstrap-222222222222", "hello-delivery", "hello-prod", "kube-system-prod", "platform-prod"]);
    const expected = {
      // With the local backend there is no state bucket; the GitHub connection of prod's account (a new one stops the runners until a person authorizes it).
      "bootstrap-222222222222": ["aws_codeconnections_connection GithubConnection-eu-west-1"],
      // The Cluster Autoscaler: nothing stateful either.
      "kube-system-prod": [],
      "platform-prod": ["aws_kms_key AlarmTopic/Key", "aws_kms_key Cluster/SecretsKey", "aws_kms_key Network/LogKey", "aws_kms_key UsEast1AlarmTopic/Key"],
      "hello-delivery": ["aws_ecr_repository Registry/Resource", "aws_kms_key Registry/Key"],
      "hello-prod": ["aws_backup_vault Backup/CopyVault", "aws_backup_vault Backup/Vault", "aws_db_instance Database/Resource", "aws_kms_key Backup/CopyVaultKey", "aws_kms_key Backup/VaultKey", "aws_kms_key Database/Key", "aws_kms_key Secrets/Key", "aws_s3_bucket Cdn/AssetsBucket", "aws_secretsmanager_secret Secrets/Secret-SESSION_KEY"],
    };
    const required = mustProtect(outputs.example);
    for (const [name, paths] of Object.entries(expected)) {
      // What the JSON says must be protected (derived: stateful types minus log destinations)...
      expect({ name, required: required[name] }).toEqual({ name, required: paths });
      // ...is exactly what carries prevent_destroy.
      expect({ name, protected: protectedPaths(stacks[name]) }).toEqual({ name, protected: paths });
    }
  });

  test.each(["example", "variant"])("in the %s platform, every stateful resource of every production stack carries prevent_destroy", (which) => {
    const { stacks, production } = outputs[which];
    const required = mustProtect(outputs[which]);
    const unprotected: string[] = [];
    for (const name of Object.keys(stacks).filter((s) => production[s])) {
      const have = new Set(protectedPaths(stacks[name]));
      for (const p of required[name]) if (!have.has(p)) unprotected.push(`${name}: ${p} (would lose ${STATEFUL[p.split(" ")[0]]})`);
      for (const i of instances({ [name]: stacks[name] }).filter((i) => i.type in PROTECTED_OTHERWISE)) {
        if (!PROTECTED_OTHERWISE[i.type](i.body)) unprotected.push(`${name}: ${i.type} ${i.path}`);
      }
    }
    expect(unprotected).toEqual([]);
    const productionStacks = Object.keys(stacks).filter((s) => production[s]).sort();
    if (which === "variant") expect(productionStacks).toEqual(["bootstrap-222222222222", "bootstrap-444444444444", "kube-system-prod", "kube-system-prod-us", "platform-prod", "platform-prod-us", "shop-delivery", "shop-prod", "shop-prod-us"]);
  });

  test("the exempt buckets (access-log tag) are exactly the ones CloudFront and the load balancer write their logs into", () => {
    for (const which of ["example", "variant"]) {
      for (const [name, stack] of Object.entries(outputs[which].stacks)) {
        expect({ name, tagged: [...taggedAccessLogBuckets(stack)].sort() }).toEqual({ name, tagged: [...logDestinations(stack)].sort() });
      }
    }
    const stack = outputs.example.stacks["hello-prod"];
    const buckets = instances({ s: stack }).filter((i) => i.type === "aws_s3_bucket");
    const logs = taggedAccessLogBuckets(stack);
    expect(buckets.filter((b) => logs.has(`aws_s3_bucket.${b.name}`)).map((b) => b.path).sort()).toEqual(["Cdn/LogsBucket", "LoadBalancer/AccessLogsBucket"]);
    // The data bucket is not a log destination.
    expect(logs.has(`aws_s3_bucket.${buckets.find((b) => b.path === "Cdn/AssetsBucket")!.name}`)).toBe(false);
  });

  test.each(["audit-logs", "access-logs"])(
    "an app named %s keeps prevent_destroy on its production assets bucket (the exemption is by tag, never by name)",
    (appName) => {
      const doc = variantDocument({ apps: [appName], backend: { type: "local" } });
      const file = path.join(work, `${appName}.yaml`);
      fs.writeFileSync(file, stringify(doc));
      const outdir = path.join(work, appName);
      synthesize({ platformFile: file, outdir });
      const output = readOutput(outdir);
      const stack = output.stacks[`${appName}-prod`];
      const assets = instances({ s: stack }).find((i) => i.type === "aws_s3_bucket" && i.path === "Cdn/AssetsBucket")!;
      // Its name says "logs"...
      expect(assets.body.bucket).toBe(`${appName}-prod-assets-222222222222`);
      // ...yet it carries prevent_destroy and no access-log tag,
      expect(assets.body.lifecycle).toEqual({ prevent_destroy: true });
      expect(assets.body.tags?.[ACCESS_LOG_BUCKET_TAG.key]).toBeUndefined();
      // and the policy rule demands it: the same bucket without prevent_destroy is a high finding.
      const { lifecycle: _, ...unprotected } = assets.body;
      const withoutProtection = { ...stack, resource: { ...stack.resource, aws_s3_bucket: { ...stack.resource.aws_s3_bucket, [assets.name]: unprotected } } };
      const findings = evaluate([{ name: `${appName}-prod`, production: true, json: withoutProtection }]).findings.filter((f) => f.rule.id === "SLW-PROD-001");
      expect(findings.map((f) => [f.path, f.severity])).toEqual([[`${appName}-prod/Cdn/AssetsBucket`, "high"]]);
      // Every stateful resource of its production stacks is protected, as for any other name.
      const required = mustProtect(output);
      for (const name of Object.keys(output.stacks).filter((s) => output.production[s])) {
        expect({ name, protected: protectedPaths(output.stacks[name]) }).toEqual({ name, protected: required[name] });
      }
    },
    60_000,
  );

  test("production databases add deletion protection and a final snapshot behind prevent_destroy", () => {
    const db = instances({ s: outputs.example.stacks["hello-prod"] }).find((i) => i.type === "aws_db_instance")!.body;
    expect(db).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, final_snapshot_identifier: "hello-prod-final", lifecycle: { prevent_destroy: true } });
  });

  test("development stacks keep their throwaway data stores destroyable (preventDestroy follows the profile)", () => {
    for (const which of ["example", "variant"]) {
      const { stacks, production } = outputs[which];
      const development = Object.keys(stacks).filter((s) => !production[s]);
      expect(development.length).toBeGreaterThanOrEqual(4);
      for (const name of development) {
        // Stateful resources exist there...
        if (!name.startsWith("platform-") && !name.startsWith("bootstrap-") && !name.startsWith("kube-system-")) expect(mustProtect({ stacks: { [name]: stacks[name] }, production })[name].length).toBeGreaterThanOrEqual(3);
        // ...and none carries prevent_destroy.
        expect({ name, protected: protectedPaths(stacks[name]) }).toEqual({ name, protected: [] });
      }
    }
  });
});

// --- (b) the real Terraform CLI ------------------------------------------------------------

const { tools, test: withTerraform } = terraformForTests("prevent_destroy plans");

const ACCOUNT = "123456789012";

/** A small stack from the constructs with their defaults: Postgres, registry and CDN, whose data stores are protected by default. */
function protectedStack(options: { databaseName?: string; registryName?: string; withoutCdn?: boolean } = {}): Json {
  const stack = new TerraformStack(Testing.app(), "protected");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const usEast1 = new AwsProvider(stack, "us-east-1", { region: "us-east-1", alias: "us-east-1" });
  new PostgresDatabase(stack, "Database", {
    name: options.databaseName ?? "shop-prod",
    network: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] },
    accountId: ACCOUNT,
    region: "eu-west-1",
  });
  new ContainerRegistry(stack, "Registry", { name: options.registryName ?? "shop", accountId: ACCOUNT, region: "eu-west-1" });
  if (options.withoutCdn) return JSON.parse(Testing.synth(stack));
  new Cdn(stack, "Cdn", {
    name: "shop-prod",
    accountId: ACCOUNT,
    domain: "shop.example.com",
    loadBalancerDnsName: "shop-prod-123.eu-west-1.elb.amazonaws.com",
    certificateProvider: usEast1,
    accessLogs: false,
  });
  return JSON.parse(Testing.synth(stack));
}

/** hashicorp/aws 5.100.0's schema versions of the types held in state. */
const SCHEMA_VERSIONS: Record<string, number> = { aws_db_instance: 2 };

/**
 * The state `terraform apply` of `config` would have left for the stateful resources: the
 * attributes the configuration sets, plus the computed ones other resources read (ARNs, ids).
 */
function existingState(config: Json): { state: Json; addresses: string[] } {
  const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:${ACCOUNT}:${resource}`;
  const known = (value: unknown) =>
    typeof value === "string" ? value.replace(/^\$\{aws_kms_key\.([A-Za-z0-9_-]+)\.arn\}$/, (_m, key) => arn("kms", `key/${key}`)) : value;
  const held: StateInstance[] = [];
  for (const [type, byName] of Object.entries<Json>(config.resource)) {
    if (!(type in STATEFUL)) continue;
    for (const [name, body] of Object.entries<Json>(byName)) {
      const attributes: Record<string, unknown> = { id: name };
      for (const [key, value] of Object.entries<Json>(body)) {
        if (["string", "number", "boolean"].includes(typeof value) && !String(value).includes("${") && key !== "provider") attributes[key] = value;
        else if (typeof value === "string" && known(value) !== value) attributes[key] = known(value);
      }
      if (type === "aws_kms_key") Object.assign(attributes, { arn: arn("kms", `key/${name}`), key_id: name, key_usage: "ENCRYPT_DECRYPT", customer_master_key_spec: "SYMMETRIC_DEFAULT", multi_region: false });
      if (type === "aws_s3_bucket") Object.assign(attributes, { arn: `arn:aws:s3:::${body.bucket}`, bucket_regional_domain_name: `${body.bucket}.s3.eu-west-1.amazonaws.com`, region: "eu-west-1" });
      if (type === "aws_ecr_repository") {
        Object.assign(attributes, {
          arn: arn("ecr", `repository/${body.name}`),
          registry_id: ACCOUNT,
          repository_url: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${body.name}`,
          encryption_configuration: body.encryption_configuration.map((c: Json) => ({ encryption_type: c.encryption_type, kms_key: known(c.kms_key) })),
        });
      }
      if (type === "aws_db_instance") Object.assign(attributes, { arn: arn("rds", `db:${body.identifier}`), address: `${body.identifier}.abc.eu-west-1.rds.amazonaws.com`, port: 5432, resource_id: "db-ABCDEFGHIJKLMNOP" });
      held.push({ address: `${type}.${name}`, provider: body.provider, schemaVersion: SCHEMA_VERSIONS[type] ?? 0, attributes });
    }
  }
  return { state: stateFile(held), addresses: held.map((h) => h.address).sort() };
}

/** The addresses Terraform refused to destroy, from its "Instance cannot be destroyed" errors. */
function refused(plan: PlanResult): string[] {
  const text = plan.output.replace(/\s+/g, " ");
  return [...text.matchAll(/Error: Instance cannot be destroyed .*?Resource (\S+) has lifecycle\.prevent_destroy set/g)].map((m) => m[1]).sort();
}

describe("real Terraform, offline, over a state holding the protected instances", () => {
  const plans: Record<string, PlanResult> = {};
  let held: string[] = [];
  let terraform: OfflineTerraform | undefined;

  beforeAll(async () => {
    if (!tools) return;
    terraform = new OfflineTerraform(tools);
    const config = awsPartOf(protectedStack());
    const existing = existingState(config);
    held = existing.addresses;
    const scenarios: Record<string, () => Promise<PlanResult>> = {
      destroy: () => terraform!.plan(config, existing.state, ["-destroy"]),
      // Two renames that force replacement, and the CDN construct deleted from the code.
      changed: () => terraform!.plan(awsPartOf(protectedStack({ databaseName: "shop-v2", registryName: "shop-v2", withoutCdn: true })), existing.state),
    };
    await Promise.all(Object.entries(scenarios).map(async ([name, plan]) => (plans[name] = await plan())));
  }, 240_000);
  afterAll(() => terraform?.dispose());

  withTerraform("the state holds the database, its key, the registry, its key and the assets bucket", () => {
    expect(held.map((a) => a.replace(/_[0-9A-F]{8}$/, ""))).toEqual([
      "aws_db_instance.Database",
      "aws_ecr_repository.Registry",
      "aws_kms_key.Database_Key",
      "aws_kms_key.Registry_Key",
      "aws_s3_bucket.Cdn_AssetsBucket",
    ]);
  });

  withTerraform("`terraform plan -destroy` fails with \"Instance cannot be destroyed\" for each of them", () => {
    const plan = plans.destroy;
    expect(plan.code).toBe(1);
    expect(refused(plan)).toEqual(held);
    expect(plan.output.match(/Error: Instance cannot be destroyed/g)).toHaveLength(held.length);
  });

  withTerraform("a change that forces replacement (renaming the database and the registry) fails, naming exactly those two: the state matches the rest", () => {
    const plan = plans.changed;
    expect(plan.code).toBe(1);
    expect(refused(plan).map((a) => a.replace(/_[0-9A-F]{8}$/, ""))).toEqual(["aws_db_instance.Database", "aws_ecr_repository.Registry"]);
    expect(plan.output).toMatch(/db_name\s+= "shop_prod" -> "shop_v2" # forces replacement/);
    expect(plan.output).toMatch(/name\s+= "shop" -> "shop-v2" # forces replacement/);
    // The keys, unchanged, are neither replaced nor refused.
    expect(plan.output).not.toMatch(/aws_kms_key\.\S+ must be replaced/);
  });

  withTerraform("Terraform's known limit: deleting a resource block deletes its protection, so the same plan destroys the assets bucket without complaint (the infrastructure CI guards this)", () => {
    const plan = plans.changed;
    const bucket = held.find((a) => a.startsWith("aws_s3_bucket."))!;
    expect(plan.output).toContain(`# ${bucket} will be destroyed`);
    expect(plan.output).toMatch(/because \S+ is not in configuration/);
    expect(refused(plan)).not.toContain(bucket);
  });
});
