/**
 * RDS instances (`aws_db_instance`) and the parameter group they use. `lifecycle.prevent_destroy`
 * on production databases is SLW-PROD-001 (production-safety.ts).
 */
import { isFalse, isTrue, list, parseReference, show, toNumber } from "../accessors";
import { ResourceView, Rule, StackView } from "../types";

const TYPES = ["aws_db_instance"];

/** A read replica inherits credentials and backups from its source. */
function isReplica(db: ResourceView): boolean {
  return db.config.replicate_source_db !== undefined && db.config.replicate_source_db !== null;
}

function engineOf(db: ResourceView): string {
  return typeof db.config.engine === "string" ? db.config.engine.toLowerCase() : "";
}

/** The log each engine must export at least. */
const MAIN_LOG: Record<string, string> = { postgres: "postgresql", mysql: "error", mariadb: "error" };

/** The parameter that forces TLS, its required value, and from which major the engine's default already does. */
function tlsParameter(engine: string): { name: string; accepted: string[]; defaultFromMajor?: number } | undefined {
  if (engine === "postgres") return { name: "rds.force_ssl", accepted: ["1"], defaultFromMajor: 15 };
  if (engine.startsWith("sqlserver")) return { name: "rds.force_ssl", accepted: ["1"] };
  if (engine === "mysql" || engine === "mariadb") return { name: "require_secure_transport", accepted: ["1", "ON"] };
  return undefined;
}

function retentionDays(db: ResourceView): number | undefined {
  return toNumber(db.config.backup_retention_period);
}

export const DATABASE_RULES: Rule[] = [
  {
    id: "SLW-RDS-001",
    title: "RDS storage is encrypted",
    severity: "high",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_16"], trivy: ["AVD-AWS-0080"] },
    fix: "set storage_encrypted = true (with kms_key_id for a customer-managed key); an existing instance must be restored from an encrypted snapshot copy",
    check(db) {
      return isTrue(db.config.storage_encrypted) ? [] : [`storage_encrypted is ${show(db.config.storage_encrypted)}: storage, backups and snapshots are unencrypted`];
    },
  },
  {
    id: "SLW-RDS-002",
    title: "RDS instances are not publicly accessible",
    severity: "high",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_17"], trivy: ["AVD-AWS-0082"] },
    fix: "set publicly_accessible = false and reach the database from inside the VPC",
    check(db) {
      return isTrue(db.config.publicly_accessible) ? ["publicly_accessible is true: the instance gets a public DNS name and address"] : [];
    },
  },
  {
    id: "SLW-RDS-003",
    title: "RDS instances have IAM database authentication enabled",
    severity: "medium",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_161"], trivy: ["AVD-AWS-0176"] },
    fix: "set iam_database_authentication_enabled = true",
    check(db) {
      return isTrue(db.config.iam_database_authentication_enabled) ? [] : [`iam_database_authentication_enabled is ${show(db.config.iam_database_authentication_enabled)}`];
    },
  },
  {
    id: "SLW-RDS-004",
    title: "RDS instances keep automated backups for at least 2 days",
    severity: "medium",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_133"], trivy: ["AVD-AWS-0077"] },
    fix: "set backup_retention_period to 2 days or more (7 or more in production)",
    check(db) {
      if (isReplica(db)) return [];
      const days = retentionDays(db);
      return days !== undefined && days >= 2 ? [] : [`backup_retention_period is ${show(db.config.backup_retention_period)}; at least 2 days are required`];
    },
  },
  {
    id: "SLW-RDS-005",
    title: "Production RDS instances keep automated backups for at least 7 days",
    severity: "high",
    productionOnly: true,
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_133"], trivy: ["AVD-AWS-0077"] },
    fix: "set backup_retention_period to 7 days or more",
    check(db) {
      if (isReplica(db)) return [];
      const days = retentionDays(db);
      return days !== undefined && days >= 7 ? [] : [`backup_retention_period is ${show(db.config.backup_retention_period)}; production keeps at least 7 days`];
    },
  },
  {
    id: "SLW-RDS-006",
    title: "Production RDS instances have deletion protection",
    severity: "high",
    productionOnly: true,
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_293"], trivy: ["AVD-AWS-0177"] },
    fix: "set deletion_protection = true",
    check(db) {
      return isTrue(db.config.deletion_protection) ? [] : [`deletion_protection is ${show(db.config.deletion_protection)}: the instance can be deleted by one API call`];
    },
  },
  {
    id: "SLW-RDS-007",
    title: "Production RDS instances are Multi-AZ",
    severity: "high",
    productionOnly: true,
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_157"] },
    fix: "set multi_az = true",
    check(db) {
      return isTrue(db.config.multi_az) ? [] : [`multi_az is ${show(db.config.multi_az)}: losing one availability zone takes the database down`];
    },
  },
  {
    id: "SLW-RDS-008",
    title: "Production RDS instances take a final snapshot when deleted",
    severity: "high",
    productionOnly: true,
    resourceTypes: TYPES,
    references: { other: ["terraform-aws-modules/rds secure defaults"] },
    fix: "set skip_final_snapshot = false and a final_snapshot_identifier",
    check(db) {
      return isTrue(db.config.skip_final_snapshot) ? ["skip_final_snapshot is true: deleting the instance loses its data"] : [];
    },
  },
  {
    id: "SLW-RDS-009",
    title: "RDS instances export their logs to CloudWatch Logs",
    severity: "medium",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_129"] },
    fix: "set enabled_cloudwatch_logs_exports, e.g. [\"postgresql\", \"upgrade\"] for PostgreSQL",
    check(db) {
      const exports = list(db.config.enabled_cloudwatch_logs_exports);
      const main = MAIN_LOG[engineOf(db)];
      if (exports.length === 0) return ["enabled_cloudwatch_logs_exports is empty: database logs stay on the instance"];
      if (main && !exports.includes(main)) return [`enabled_cloudwatch_logs_exports ${show(exports)} leaves out ${JSON.stringify(main)}`];
      return [];
    },
  },
  {
    id: "SLW-RDS-010",
    title: "RDS instances apply minor version upgrades automatically",
    severity: "low",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_226"] },
    fix: "leave auto_minor_version_upgrade at its default (true)",
    check(db) {
      return isFalse(db.config.auto_minor_version_upgrade) ? ["auto_minor_version_upgrade is false: security patches wait for a manual upgrade"] : [];
    },
  },
  {
    id: "SLW-RDS-011",
    title: "RDS instances copy their tags to snapshots",
    severity: "low",
    resourceTypes: TYPES,
    references: { checkov: ["CKV2_AWS_60"] },
    fix: "set copy_tags_to_snapshot = true",
    check(db) {
      return isTrue(db.config.copy_tags_to_snapshot) ? [] : [`copy_tags_to_snapshot is ${show(db.config.copy_tags_to_snapshot)}: snapshots lose ownership and cost tags`];
    },
  },
  {
    id: "SLW-RDS-012",
    title: "RDS Performance Insights, when enabled, is encrypted with a customer-managed KMS key",
    severity: "medium",
    resourceTypes: TYPES,
    references: { checkov: ["CKV_AWS_354"], trivy: ["AVD-AWS-0078"] },
    fix: "set performance_insights_kms_key_id to the database's KMS key",
    check(db) {
      if (!isTrue(db.config.performance_insights_enabled)) return [];
      return db.config.performance_insights_kms_key_id ? [] : ["Performance Insights is enabled without performance_insights_kms_key_id: query samples are encrypted with the AWS-managed key"];
    },
  },
  {
    id: "SLW-RDS-013",
    title: "RDS master passwords are managed by RDS in Secrets Manager, never in code or state",
    severity: "high",
    resourceTypes: TYPES,
    references: { other: ["terraform-aws-modules/rds manage_master_user_password"] },
    fix: "remove password and set manage_master_user_password = true (optionally master_user_secret_kms_key_id)",
    check(db) {
      if (isReplica(db)) return [];
      const problems: string[] = [];
      if (db.config.password !== undefined && db.config.password !== null) problems.push("password is set: the master password sits in the configuration and the Terraform state");
      else if (!isTrue(db.config.manage_master_user_password) && !db.config.snapshot_identifier) {
        problems.push(`manage_master_user_password is ${show(db.config.manage_master_user_password)}: the master password is not managed by RDS`);
      }
      return problems;
    },
  },
  {
    id: "SLW-RDS-014",
    title: "RDS parameter groups force TLS connections (rds.force_ssl = 1)",
    severity: "high",
    resourceTypes: TYPES,
    relatedTypes: ["aws_db_parameter_group"],
    references: { checkov: ["CKV2_AWS_69"] },
    fix: "use an aws_db_parameter_group with parameter { name = \"rds.force_ssl\", value = \"1\" } (require_secure_transport = 1 for MySQL and MariaDB)",
    check(db, stack) {
      const engine = engineOf(db);
      const tls = tlsParameter(engine);
      if (!tls) return [];
      const major = toNumber(String(db.config.engine_version ?? "").split(".")[0]);
      const defaultForces = tls.defaultFromMajor !== undefined && major !== undefined && major >= tls.defaultFromMajor;
      const group = parameterGroup(db, stack);
      if (group === "missing") {
        return defaultForces ? [] : [`no parameter group: the ${engine} ${show(db.config.engine_version)} default does not set ${tls.name} = ${tls.accepted[0]}`];
      }
      if (group === "external") {
        return [`parameter_group_name ${show(db.config.parameter_group_name)} is not a parameter group of this stack: cannot confirm ${tls.name} = ${tls.accepted[0]}`];
      }
      const parameter = list(group.config.parameter).find((p) => p?.name === tls.name);
      if (parameter === undefined) {
        return defaultForces ? [] : [`parameter group ${group.address} does not set ${tls.name} (the ${engine} ${show(db.config.engine_version)} default allows plain-text connections)`];
      }
      return tls.accepted.includes(String(parameter.value).toUpperCase()) ? [] : [`parameter group ${group.address} sets ${tls.name} = ${show(parameter.value)}, not ${tls.accepted[0]}`];
    },
  },
  {
    id: "SLW-RDS-015",
    title: "RDS security groups admit only security groups of this stack (the app's own pods), never a CIDR, prefix list or the cluster's group",
    severity: "high",
    resourceTypes: TYPES,
    relatedTypes: ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_security_group_rule"],
    references: { other: ["EKS security groups for pods"] },
    fix: "admit the app's pod security group only (PostgresDatabase.allowConnectionsFrom(podSecurityGroup)); a CIDR or the cluster security group admits every pod on the nodes",
    check(db, stack) {
      const groups = list(db.config.vpc_security_group_ids);
      if (groups.length === 0) return ["no vpc_security_group_ids: the VPC's default security group decides who connects"];
      const problems: string[] = [];
      for (const id of groups) {
        const group = stack.resolve(id);
        if (!group || group.type !== "aws_security_group") {
          problems.push(`uses security group ${show(id)}, which is not an aws_security_group of this stack: who it admits cannot be checked`);
          continue;
        }
        for (const source of ingressSources(group, stack)) {
          if (source.kind !== "group") {
            problems.push(`${source.label} admits ${source.kind} ${show(source.value)}: every address in it (every pod on the nodes) can connect`);
            continue;
          }
          const peer = stack.resolve(source.value);
          if (!peer || peer.type !== "aws_security_group" || peer.address === group.address) {
            problems.push(`${source.label} admits security group ${show(source.value)}, which is not a group of this stack (e.g. the cluster's, which every node and pod carries)`);
          }
        }
      }
      return problems;
    },
  },
];

/** Every source an aws_security_group admits: inline ingress blocks and the rule resources attached to it. */
function ingressSources(group: ResourceView, stack: StackView): { label: string; kind: "cidr" | "prefix list" | "group"; value: unknown }[] {
  const sources: { label: string; kind: "cidr" | "prefix list" | "group"; value: unknown }[] = [];
  const add = (label: string, r: any, cidrs: unknown[], prefixLists: unknown[], groups: unknown[]) => {
    for (const value of cidrs.filter((c) => c !== undefined && c !== null)) sources.push({ label, kind: "cidr", value });
    for (const value of prefixLists.filter((c) => c !== undefined && c !== null)) sources.push({ label, kind: "prefix list", value });
    for (const value of groups.filter((c) => c !== undefined && c !== null)) sources.push({ label, kind: "group", value });
    if (r?.self === true) sources.push({ label, kind: "group", value: `\${${group.address}.id}` });
  };
  list(group.config.ingress).forEach((r, i) =>
    add(`ingress[${i}]`, r, [...list(r?.cidr_blocks), ...list(r?.ipv6_cidr_blocks)], list(r?.prefix_list_ids), list(r?.security_groups)),
  );
  const attached = (r: ResourceView) => parseReference(r.config.security_group_id)?.name === group.name;
  for (const rule of stack.resources("aws_vpc_security_group_ingress_rule").filter(attached)) {
    add(rule.address, rule.config, [rule.config.cidr_ipv4, rule.config.cidr_ipv6], [rule.config.prefix_list_id], [rule.config.referenced_security_group_id]);
  }
  for (const rule of stack.resources("aws_security_group_rule").filter(attached).filter((r) => r.config.type === "ingress")) {
    add(rule.address, rule.config, [...list(rule.config.cidr_blocks), ...list(rule.config.ipv6_cidr_blocks)], list(rule.config.prefix_list_ids), [rule.config.source_security_group_id]);
  }
  return sources;
}

function parameterGroup(db: ResourceView, stack: StackView): ResourceView | "missing" | "external" {
  const name = db.config.parameter_group_name;
  if (name === undefined || name === null || name === "") return "missing";
  const resolved = stack.resolve(name);
  if (resolved && resolved.type === "aws_db_parameter_group") return resolved;
  const byName = stack.resources("aws_db_parameter_group").find((g) => g.config.name === name);
  if (byName) return byName;
  return typeof name === "string" && name.startsWith("default.") ? "missing" : "external";
}
