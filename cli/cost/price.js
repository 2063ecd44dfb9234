// @ts-check
/**
 * The cost engine: prices Terraform resources against the dated snapshot of AWS public prices in
 * `prices.json`, with stated usage assumptions. Plain Node with no dependencies, so both
 * `npm run cost` (cli/cost.ts) and the infrastructure CI's plan jobs (`scripts/plan-summary.js
 * cost`, run without `npm ci`) use this one file. Types: price.d.ts.
 *
 * Every resource gets exactly one verdict: priced (lines, each saying what it assumes), no charge
 * (with the reason), or unpriced (with the reason: an unknown type or a price the snapshot lacks).
 * Nothing is ever silently zero.
 */
"use strict";

/** @typedef {import("./price").CostResource} CostResource */
/** @typedef {import("./price").CostAssumptions} CostAssumptions */
/** @typedef {import("./price").CostLine} CostLine */
/** @typedef {import("./price").PricedResource} PricedResource */
/** @typedef {import("./price").PriceSnapshot} PriceSnapshot */

/** The snapshot shipped beside this file. @type {PriceSnapshot} */
const PRICES = require("./prices.json");

/**
 * What each usage-driven price assumes unless the platform file's `cost.assumptions` says
 * otherwise (platform/schema.ts describes each; the schema's defaults are these).
 * @type {Readonly<CostAssumptions>}
 */
const DEFAULT_ASSUMPTIONS = Object.freeze({
  natGatewayDataGiB: 100,
  loadBalancerLcus: 1,
  cdnDataOutGiB: 50,
  cdnRequestsMillions: 1,
  bucketGiB: 5,
  logIngestionGiB: 1,
  ciRunnerMinutes: 1000,
  registryGiB: 10,
  databaseBackupGiB: 0,
  backupVaultGiB: 20,
  vpcEndpointDataGiB: 10,
});

/**
 * Types that cost nothing by themselves, with the reason. A `github_` or `kubernetes_` resource
 * is never billed by AWS (see {@link verdictOfPrefix}).
 * @type {Readonly<Record<string, string>>}
 */
const NO_CHARGE = {
  aws_iam_role: "IAM is free",
  aws_iam_role_policy: "IAM is free",
  aws_iam_role_policy_attachment: "IAM is free",
  aws_iam_policy: "IAM is free",
  aws_iam_openid_connect_provider: "IAM is free",
  aws_vpc: "a VPC is free (its NAT gateways and addresses are priced)",
  aws_subnet: "subnets are free",
  aws_route_table: "route tables are free",
  aws_route_table_association: "route tables are free",
  aws_route: "routes are free",
  aws_internet_gateway: "an internet gateway is free (data out is billed as transfer)",
  aws_default_security_group: "security groups are free",
  aws_security_group: "security groups are free",
  aws_vpc_security_group_ingress_rule: "security groups are free",
  aws_vpc_security_group_egress_rule: "security groups are free",
  aws_flow_log: "no charge of its own: the records it publishes are priced as its log group's ingestion and storage",
  aws_eks_access_entry: "part of the cluster's hourly price",
  aws_eks_access_policy_association: "part of the cluster's hourly price",
  aws_eks_addon: "add-ons are free; their pods run on the priced nodes",
  aws_eks_pod_identity_association: "EKS Pod Identity is free",
  aws_launch_template: "free; the nodes' volumes it describes are priced with the node group",
  aws_autoscaling_attachment: "free",
  aws_lb_listener: "part of the load balancer's price",
  aws_lb_listener_rule: "part of the load balancer's price",
  aws_lb_target_group: "part of the load balancer's price",
  aws_db_parameter_group: "free",
  aws_db_subnet_group: "free",
  aws_kms_alias: "aliases are free (the key is priced)",
  aws_s3_bucket_ownership_controls: "bucket configuration is free (the bucket is priced)",
  aws_s3_bucket_policy: "bucket configuration is free (the bucket is priced)",
  aws_s3_bucket_public_access_block: "bucket configuration is free (the bucket is priced)",
  aws_s3_bucket_server_side_encryption_configuration: "bucket configuration is free (the bucket is priced)",
  aws_s3_bucket_versioning: "bucket configuration is free (the bucket is priced; old versions count in its storage assumption)",
  aws_s3_bucket_lifecycle_configuration: "bucket configuration is free (the bucket is priced)",
  aws_cloudfront_origin_access_control: "free",
  aws_cloudfront_response_headers_policy: "free",
  aws_cloudfront_vpc_origin: "VPC origins have no additional charge",
  aws_acm_certificate: "public ACM certificates are free",
  aws_acm_certificate_validation: "free",
  aws_codebuild_webhook: "free (build minutes are priced with the project)",
  aws_codebuild_source_credential: "free",
  aws_codeconnections_connection: "CodeConnections connections are free",
  aws_ecr_lifecycle_policy: "free (storage is priced with the repository)",
  aws_ecr_repository_policy: "free",
  aws_backup_plan: "a plan is free; the recovery points it makes are priced with its vaults",
  aws_backup_selection: "free",
  aws_backup_vault_lock_configuration: "free",
  aws_backup_vault_policy: "free",
  aws_sns_topic: "pay per publish and delivery: alarm notifications stay within the monthly free tier",
  aws_sns_topic_policy: "free",
  aws_sns_topic_subscription: "email deliveries of alarm notifications stay within the monthly free tier",
  aws_secretsmanager_secret_version: "versions are part of the secret's price",
  aws_route53_record: "records are free; alias queries to CloudFront and load balancers are free",
  aws_cloudwatch_log_delivery_source: "free (the log delivery is listed unpriced)",
  aws_cloudwatch_log_delivery_destination: "free (the log delivery is listed unpriced)",
};

/**
 * Types Slipway creates whose price depends on usage this estimate does not model: listed
 * unpriced, with the reason, never counted as zero.
 * @type {Readonly<Record<string, string>>}
 */
const KNOWN_UNPRICED = {
  aws_cloudwatch_log_delivery: "CloudFront standard logs (v2) are charged per GiB delivered, which this estimate does not model",
};

/** @returns {unknown} the first element of a nested block (plan JSON lists blocks; cdk.tf.json may not) */
function one(/** @type {unknown} */ v) {
  return Array.isArray(v) ? v[0] : v;
}

/** A value Terraform knows before apply: not a reference, not null. */
function known(/** @type {unknown} */ v) {
  return v !== undefined && v !== null && !(typeof v === "string" && v.includes("${"));
}

function num(/** @type {unknown} */ v) {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

function bool(/** @type {unknown} */ v) {
  return v === true || v === "true";
}

/** Rounds to cents for display and totals (sums are made from unrounded lines first). */
function cents(/** @type {number} */ usd) {
  return Math.round(usd * 100) / 100;
}

/**
 * Prices resources.
 * @param {readonly CostResource[]} resources
 * @param {{ assumptions?: Partial<CostAssumptions>, prices?: PriceSnapshot }} [options]
 * @returns {PricedResource[]}
 */
function priceResources(resources, options = {}) {
  const prices = options.prices ?? PRICES;
  const assumptions = { ...DEFAULT_ASSUMPTIONS, ...(options.assumptions ?? {}) };
  return resources.map((r) => priceResource(r, resources, prices, assumptions));
}

/**
 * @param {CostResource} r
 * @param {readonly CostResource[]} all
 * @param {PriceSnapshot} prices
 * @param {CostAssumptions} a
 * @returns {PricedResource}
 */
function priceResource(r, all, prices, a) {
  const base = { stack: r.stack, address: r.address, type: r.type, region: r.region };
  const hours = prices.hoursPerMonth;
  /** @type {CostLine[]} */
  const lines = [];
  /** @type {string[]} */
  const missing = [];
  /**
   * One line: `quantity` units of price `key` (in `region`, default the resource's) a month.
   * @param {string} what
   * @param {string} key
   * @param {number} quantity
   * @param {string} assumes
   * @param {string} [region]
   */
  const line = (what, key, quantity, assumes, region = r.region) => {
    const price = prices.regions[region]?.[key];
    if (!price) {
      missing.push(`no price ${key} in ${region} in the snapshot (${prices.date})`);
      return;
    }
    lines.push({ what, priceKey: key, region, quantity, unit: price.unit, unitUsd: price.usd, monthlyUsd: quantity * price.usd, assumes });
  };
  const v = r.values ?? {};
  const prefixed = verdictOfPrefix(r.type);
  if (prefixed) return { ...base, status: "free", reason: prefixed, monthlyUsd: 0, lines: [] };
  if (Object.prototype.hasOwnProperty.call(NO_CHARGE, r.type)) return { ...base, status: "free", reason: NO_CHARGE[r.type], monthlyUsd: 0, lines: [] };
  if (Object.prototype.hasOwnProperty.call(KNOWN_UNPRICED, r.type)) return { ...base, status: "unpriced", reason: KNOWN_UNPRICED[r.type], monthlyUsd: 0, lines: [] };
  const unknownValue = (/** @type {string} */ name) => missing.push(`${name} is known only after apply`);
  switch (r.type) {
    case "aws_eks_cluster":
      line("control plane", "eks.cluster", hours, `${hours} hours; standard Kubernetes version support`);
      break;
    case "aws_eks_node_group": {
      const scaling = /** @type {any} */ (one(v.scaling_config)) ?? {};
      const desired = num(scaling.desired_size);
      const types = Array.isArray(v.instance_types) ? v.instance_types : [];
      const type = types[0];
      if (desired === undefined) unknownValue("scaling_config.desired_size");
      else if (!known(type)) unknownValue("instance_types");
      else if (v.capacity_type === "SPOT") missing.push("Spot capacity has no fixed price");
      else {
        line(`${desired} × ${type} nodes`, `ec2.instance.${type}`, desired * hours, `${desired} nodes (the desired size; the cluster autoscaler moves it between ${scaling.min_size ?? "?"} and ${scaling.max_size ?? "?"}) × ${hours} hours, on demand`);
        const disk = nodeVolume(r, v, all);
        line(`${desired} × ${disk.gib} GiB ${disk.type} node volumes`, `ebs.${disk.type}`, desired * disk.gib, `${disk.gib} GiB ${disk.type} per node (${disk.from})`);
      }
      break;
    }
    case "aws_nat_gateway":
      line("NAT gateway", "vpc.nat.hour", hours, `${hours} hours`);
      line("data processed", "vpc.nat.data", a.natGatewayDataGiB, `${a.natGatewayDataGiB} GiB a month through it (assumption natGatewayDataGiB)`);
      break;
    case "aws_eip":
      line("public IPv4 address", "vpc.ipv4", hours, `${hours} hours`);
      break;
    case "aws_lb":
      if ((v.load_balancer_type ?? "application") !== "application") {
        missing.push(`a ${v.load_balancer_type} load balancer is not in the snapshot`);
        break;
      }
      line("application load balancer", "elb.application.hour", hours, `${hours} hours`);
      line("capacity units", "elb.application.lcu", a.loadBalancerLcus * hours, `${a.loadBalancerLcus} LCU on average (assumption loadBalancerLcus) × ${hours} hours`);
      break;
    case "aws_db_instance": {
      const cls = v.instance_class;
      const storage = num(v.allocated_storage);
      const multiAz = bool(v.multi_az);
      const copies = multiAz ? 2 : 1;
      const az = multiAz ? "Multi-AZ: primary and standby" : "Single-AZ";
      if (typeof v.engine === "string" && v.engine !== "postgres") {
        missing.push(`engine ${v.engine} is not in the snapshot (PostgreSQL only)`);
        break;
      }
      if (!known(cls)) unknownValue("instance_class");
      else line(`${cls} ${multiAz ? "Multi-AZ" : "Single-AZ"}`, `rds.postgres.${cls}`, copies * hours, `${copies} × ${hours} hours (${az})`);
      const storageType = known(v.storage_type) ? String(v.storage_type) : "gp2";
      if (storage === undefined) unknownValue("allocated_storage");
      else line(`${storage} GiB ${storageType} storage`, `rds.storage.${storageType}`, copies * storage, `${storage} GiB allocated${multiAz ? " × 2 (Multi-AZ)" : ""}; autoscaling up to ${v.max_allocated_storage ?? storage} GiB is not counted`);
      line("backup storage beyond the free allowance", "rds.backup", a.databaseBackupGiB, `${a.databaseBackupGiB} GiB beyond the free allowance of the provisioned storage (assumption databaseBackupGiB)`);
      if (bool(v.performance_insights_enabled) && (num(v.performance_insights_retention_period) ?? 7) > 7) missing.push("Performance Insights retention over 7 days is not in the snapshot");
      const interval = num(v.monitoring_interval) ?? 0;
      if (interval > 0) line("enhanced monitoring logs", "logs.ingest", a.logIngestionGiB, `${a.logIngestionGiB} GiB a month into RDSOSMetrics (assumption logIngestionGiB)`);
      break;
    }
    case "aws_cloudfront_distribution":
      line("data out to the internet", "cloudfront.data", a.cdnDataOutGiB, `${a.cdnDataOutGiB} GiB a month (assumption cdnDataOutGiB)`, "us-east-1");
      line("HTTPS requests", "cloudfront.requests", a.cdnRequestsMillions * 100, `${a.cdnRequestsMillions} million requests a month (assumption cdnRequestsMillions)`, "us-east-1");
      break;
    case "aws_s3_bucket":
      line("Standard storage", "s3.standard", a.bucketGiB, `${a.bucketGiB} GiB stored (assumption bucketGiB)`);
      break;
    case "aws_kms_key":
      line("customer managed key", "kms.key", 1, "1 key; requests within the free tier");
      break;
    case "aws_cloudwatch_log_group": {
      const days = num(v.retention_in_days) ?? 0;
      // Steady state: each month's logs are kept for the retention period (never expiring: a year's).
      const months = days > 0 ? days / 30 : 12;
      line("log ingestion", "logs.ingest", a.logIngestionGiB, `${a.logIngestionGiB} GiB a month (assumption logIngestionGiB)`);
      line("log storage", "logs.storage", a.logIngestionGiB * months, `${a.logIngestionGiB} GiB a month kept ${days > 0 ? `${days} days` : "forever (a year counted)"}, uncompressed size`);
      break;
    }
    case "aws_cloudwatch_metric_alarm": {
      const queries = Array.isArray(v.metric_query) ? v.metric_query : [];
      const metrics = queries.length > 0 ? queries.filter((/** @type {any} */ q) => q && one(q.metric)).length : 1;
      const periods = [num(v.period), ...queries.map((/** @type {any} */ q) => num(/** @type {any} */ (one(q?.metric))?.period))].filter((p) => p !== undefined);
      const highResolution = periods.some((p) => /** @type {number} */ (p) < 60);
      line(
        queries.length > 0 ? `metric-math alarm (${metrics} metrics)` : "alarm",
        highResolution ? "cloudwatch.alarm.high-resolution" : "cloudwatch.alarm",
        metrics,
        `${metrics} metric${metrics === 1 ? "" : "s"} at ${highResolution ? "high" : "standard"} resolution`,
      );
      break;
    }
    case "aws_cloudwatch_dashboard":
      line("dashboard", "cloudwatch.dashboard", 1, "1 dashboard (the account's first 3 are free: not deducted)");
      break;
    case "aws_secretsmanager_secret":
      line("secret", "secretsmanager.secret", 1, "1 secret; API calls not counted");
      break;
    case "aws_codebuild_project": {
      const env = /** @type {any} */ (one(v.environment)) ?? {};
      const compute = env.compute_type ?? "BUILD_GENERAL1_SMALL";
      if (env.type && env.type !== "LINUX_CONTAINER") missing.push(`CodeBuild ${env.type} is not in the snapshot`);
      else line(`${compute} build minutes`, `codebuild.linux.${compute}`, a.ciRunnerMinutes, `${a.ciRunnerMinutes} runner minutes a month (assumption ciRunnerMinutes)`);
      break;
    }
    case "aws_ecr_repository":
      line("image storage", "ecr.storage", a.registryGiB, `${a.registryGiB} GiB of images (assumption registryGiB)`);
      break;
    case "aws_backup_vault":
      line("recovery points", "backup.rds", a.backupVaultGiB, `${a.backupVaultGiB} GiB of database recovery points (assumption backupVaultGiB)`);
      break;
    case "aws_vpc_endpoint": {
      if ((v.vpc_endpoint_type ?? "Gateway") === "Gateway") return { ...base, status: "free", reason: "gateway endpoints are free", monthlyUsd: 0, lines: [] };
      const zones = Array.isArray(v.subnet_ids) ? v.subnet_ids.length : 1;
      line(`interface endpoint in ${zones} zone${zones === 1 ? "" : "s"}`, "vpc.endpoint.hour", zones * hours, `${zones} × ${hours} hours`);
      line("data processed", "vpc.endpoint.data", a.vpcEndpointDataGiB, `${a.vpcEndpointDataGiB} GiB a month (assumption vpcEndpointDataGiB)`);
      break;
    }
    default:
      return { ...base, status: "unpriced", reason: `resource type ${r.type} is not in Slipway's cost model`, monthlyUsd: 0, lines: [] };
  }
  const monthlyUsd = lines.reduce((sum, l) => sum + l.monthlyUsd, 0);
  // Parts without a price are named, never counted as zero: all of them, or beside the priced lines.
  if (lines.length === 0) return { ...base, status: "unpriced", reason: missing.join("; ") || "nothing to price", monthlyUsd: 0, lines };
  return { ...base, status: "priced", monthlyUsd, lines, ...(missing.length > 0 ? { notPriced: missing } : {}) };
}

/** No AWS charge for other providers' resources. @returns {string | undefined} */
function verdictOfPrefix(/** @type {string} */ type) {
  if (type.startsWith("github_")) return "a GitHub object: no AWS charge";
  if (type.startsWith("kubernetes_")) return "a Kubernetes object: it runs on the cluster's priced nodes";
  if (type.startsWith("time_") || type.startsWith("random_") || type.startsWith("null_")) return "a Terraform-only resource";
  return undefined;
}

/**
 * The node group's volume: its launch template's first block device (by reference in
 * cdk.tf.json, by id in a plan, or the stack's only launch template), else `disk_size` or EKS's
 * default of 20 GiB gp2.
 * @returns {{ gib: number, type: string, from: string }}
 */
function nodeVolume(/** @type {CostResource} */ r, /** @type {Record<string, any>} */ v, /** @type {readonly CostResource[]} */ all) {
  const templates = all.filter((t) => t.stack === r.stack && t.type === "aws_launch_template");
  const ref = /** @type {any} */ (one(v.launch_template))?.id;
  const byRef = typeof ref === "string" ? templates.find((t) => ref.includes(`aws_launch_template.${t.address.split(".").pop()}.`) || t.values?.id === ref) : undefined;
  const template = byRef ?? (templates.length === 1 ? templates[0] : undefined);
  const ebs = template ? /** @type {any} */ (one(/** @type {any} */ (one(template.values?.block_device_mappings))?.ebs)) : undefined;
  const size = num(ebs?.volume_size);
  if (template && size !== undefined) return { gib: size, type: known(ebs.volume_type) ? ebs.volume_type : "gp2", from: `launch template ${template.address}` };
  const diskSize = num(v.disk_size);
  return diskSize !== undefined ? { gib: diskSize, type: "gp2", from: "disk_size" } : { gib: 20, type: "gp2", from: "EKS's default disk" };
}

/** The region of each AWS provider of a synthesized stack, by `aws` or `aws.<alias>`. @returns {Map<string, string>} */
function providerRegions(/** @type {any} */ json) {
  const providers = Array.isArray(json?.provider?.aws) ? json.provider.aws : json?.provider?.aws ? [json.provider.aws] : [];
  return new Map(providers.filter((/** @type {any} */ p) => typeof p?.region === "string").map((/** @type {any} */ p) => [p.alias ? `aws.${p.alias}` : "aws", p.region]));
}

/** The default AWS provider's region of a synthesized stack; undefined without one. */
function defaultRegionOf(/** @type {unknown} */ json) {
  return providerRegions(json).get("aws");
}

/**
 * The resources of a synthesized stack (`cdk.tf.json`): each resource's region is its provider's
 * (an alias such as `aws.us-east-1`), else the default AWS provider's.
 * @param {string} stack
 * @param {any} json
 * @returns {CostResource[]}
 */
function resourcesOfStackJson(stack, json) {
  const regionOf = providerRegions(json);
  const defaultRegion = regionOf.get("aws") ?? "us-east-1";
  /** @type {CostResource[]} */
  const out = [];
  for (const [type, byName] of Object.entries(json?.resource ?? {})) {
    for (const [name, values] of Object.entries(/** @type {Record<string, any>} */ (byName))) {
      const region = typeof values?.provider === "string" ? regionOf.get(values.provider) ?? defaultRegion : defaultRegion;
      out.push({ stack, address: `${type}.${name}`, type, region, values });
    }
  }
  return out;
}

/**
 * A Terraform plan's (`terraform show -json`) managed resources before and after it: regions from
 * the plan's provider configuration where it states them, else `defaultRegion`.
 * @param {string} stack
 * @param {any} plan
 * @param {string} defaultRegion
 * @returns {{ before: CostResource[], after: CostResource[] }}
 */
function resourcesOfPlan(stack, plan, defaultRegion) {
  const providerRegion = new Map();
  for (const [key, config] of Object.entries(plan?.configuration?.provider_config ?? {})) {
    const region = /** @type {any} */ (config)?.expressions?.region?.constant_value;
    if (typeof region === "string") providerRegion.set(key, region);
  }
  const configKey = new Map((plan?.configuration?.root_module?.resources ?? []).map((/** @type {any} */ c) => [c.address, c.provider_config_key]));
  /** @type {CostResource[]} */
  const before = [];
  /** @type {CostResource[]} */
  const after = [];
  for (const rc of plan?.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    const region = providerRegion.get(configKey.get(rc.address)) ?? defaultRegion;
    const base = { stack, address: rc.address, type: rc.type, region };
    const change = rc.change ?? {};
    if (change.before !== null && change.before !== undefined) before.push({ ...base, values: change.before });
    if (change.after !== null && change.after !== undefined) after.push({ ...base, values: change.after });
  }
  return { before, after };
}

/**
 * What is not counted: unpriced resources, and the unpriced parts of priced ones.
 * @param {readonly PricedResource[]} priced
 * @returns {Array<{ stack: string, address: string, type: string, reason: string }>}
 */
function unpricedOf(priced) {
  return priced.flatMap((p) =>
    p.status === "unpriced"
      ? [{ stack: p.stack, address: p.address, type: p.type, reason: /** @type {string} */ (p.reason) }]
      : (p.notPriced ?? []).map((reason) => ({ stack: p.stack, address: p.address, type: p.type, reason: `partly: ${reason}` })),
  );
}

/**
 * The monthly change a plan causes in one stack: the totals before and after, and the resources
 * whose price changes (or which are unpriced after it).
 * @param {string} stack
 * @param {any} plan
 * @param {{ defaultRegion: string, assumptions?: Partial<CostAssumptions>, prices?: PriceSnapshot }} options
 */
function planDelta(stack, plan, options) {
  const { before, after } = resourcesOfPlan(stack, plan, options.defaultRegion);
  const priced = (/** @type {CostResource[]} */ list) => priceResources(list, options);
  const b = priced(before);
  const a = priced(after);
  const total = (/** @type {PricedResource[]} */ list) => list.reduce((sum, p) => sum + p.monthlyUsd, 0);
  const beforeByAddress = new Map(b.map((p) => [p.address, p]));
  const afterByAddress = new Map(a.map((p) => [p.address, p]));
  const changes = [...new Set([...beforeByAddress.keys(), ...afterByAddress.keys()])]
    .sort()
    .map((address) => ({ address, beforeUsd: cents(beforeByAddress.get(address)?.monthlyUsd ?? 0), afterUsd: cents(afterByAddress.get(address)?.monthlyUsd ?? 0) }))
    .filter((c) => c.beforeUsd !== c.afterUsd)
    .map((c) => ({ ...c, deltaUsd: cents(c.afterUsd - c.beforeUsd) }));
  return {
    stack,
    beforeUsd: cents(total(b)),
    afterUsd: cents(total(a)),
    deltaUsd: cents(total(a) - total(b)),
    changes,
    unpriced: unpricedOf(a),
  };
}

module.exports = { DEFAULT_ASSUMPTIONS, defaultRegionOf, unpricedOf, KNOWN_UNPRICED, NO_CHARGE, PRICES, cents, planDelta, priceResources, resourcesOfPlan, resourcesOfStackJson };
