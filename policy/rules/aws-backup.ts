/**
 * AWS Backup: production databases are copied out of their region, and the vaults they are copied
 * through keep recovery points from everyone (the deploy and apply identities included).
 */
import { list, toNumber } from "../accessors";
import { parsePolicy, values } from "../documents";
import { ResourceView, Rule, StackView } from "../types";

/** Ways to lose a recovery point that a vault policy must deny (deleting it is the one that matters most). */
const DELETE_RECOVERY_POINT = "backup:DeleteRecoveryPoint";

/** The plans of `stack` whose selections name `db` (`resources` referencing it). */
function plansBacking(db: ResourceView, stack: StackView): ResourceView[] {
  return stack
    .referencing("aws_backup_selection", db)
    .map((selection) => stack.resolve(selection.config.plan_id))
    .filter((plan): plan is ResourceView => plan !== undefined && plan.type === "aws_backup_plan");
}

/** Whether a copy action's destination is in another region: a vault of this stack created through a provider alias, or a literal ARN of another region. */
function copiesElsewhere(destination: unknown, stack: StackView, region: string | undefined): boolean {
  const vault = stack.resolve(destination);
  if (vault) return typeof vault.config.provider === "string" && vault.config.provider.startsWith("aws.");
  const match = typeof destination === "string" ? /^arn:aws[a-z-]*:backup:([a-z0-9-]+):\d{12}:backup-vault:/.exec(destination) : null;
  return match !== null && match[1] !== region;
}

/** The stack's default AWS provider region (no alias). */
function defaultRegion(stack: StackView): string | undefined {
  const providers = list(stack.json?.provider?.aws);
  const main = providers.find((p) => p.alias === undefined);
  return typeof main?.region === "string" ? main.region : undefined;
}

/** Whether some statement of the vault's policy denies deleting recovery points to every principal (Principal "*"), unconditionally or all but named roles. */
function deniesDeletion(policy: ResourceView): boolean {
  const parsed = parsePolicy(policy.config.policy);
  if (!parsed.ok) return false;
  return parsed.statements.some((s) => {
    if (s.Effect !== "Deny") return false;
    const actions = values(s.Action);
    const everyone = s.Principal === "*" || values((s.Principal as any)?.AWS).includes("*");
    return everyone && (actions.includes(DELETE_RECOVERY_POINT) || actions.includes("backup:*") || actions.includes("*"));
  });
}

export const BACKUP_RULES: Rule[] = [
  {
    id: "SLW-BAK-001",
    title: "Production databases are backed up by AWS Backup with a copy in a second region",
    severity: "high",
    productionOnly: true,
    resourceTypes: ["aws_db_instance"],
    relatedTypes: ["aws_backup_selection", "aws_backup_plan", "aws_backup_vault"],
    references: { other: ["AWS Well-Architected REL09-BP02 (secure and encrypt backups), REL13 (disaster recovery)"] },
    fix: "set environments[].database.backupCopy.region in the platform file (DatabaseBackup with copy): an aws_backup_selection of the instance, in a plan whose rule copies to a vault of another region",
    check(db, stack) {
      if (db.config.replicate_source_db !== undefined && db.config.replicate_source_db !== null) return [];
      const plans = plansBacking(db, stack);
      if (plans.length === 0) return ["no aws_backup_selection names this instance: its only backups are RDS's own, in its region and account"];
      const region = defaultRegion(stack);
      const copies = plans.flatMap((plan) => list(plan.config.rule).flatMap((rule) => list(rule.copy_action)));
      if (copies.length === 0) return ["its AWS Backup plan has no copy_action: every recovery point stays in the database's region"];
      return copies.some((copy) => copiesElsewhere(copy.destination_vault_arn, stack, region))
        ? []
        : ["every copy_action of its AWS Backup plan stays in the database's region: a regional outage takes the copies too"];
    },
  },
  {
    id: "SLW-BAK-002",
    title: "AWS Backup vaults are KMS-encrypted, locked (Vault Lock) and deny deleting recovery points in their access policy",
    severity: "high",
    resourceTypes: ["aws_backup_vault"],
    relatedTypes: ["aws_backup_vault_lock_configuration", "aws_backup_vault_policy"],
    references: { other: ["AWS Backup Vault Lock", "AWS Backup vault access policies"] },
    fix: "use DatabaseBackup (or add an aws_backup_vault_lock_configuration with min_retention_days, and an aws_backup_vault_policy denying backup:DeleteRecoveryPoint to Principal \"*\" except break-glass roles), and set kms_key_arn",
    check(vault, stack) {
      const problems: string[] = [];
      if (vault.config.kms_key_arn === undefined) problems.push("kms_key_arn is not set: recovery points are encrypted with an AWS-owned key you cannot control");
      const locks = stack.referencing("aws_backup_vault_lock_configuration", vault);
      if (locks.length === 0) problems.push("no aws_backup_vault_lock_configuration: whoever may delete recovery points can empty the vault");
      for (const lock of locks) {
        if ((toNumber(lock.config.min_retention_days) ?? 0) < 1) problems.push("its vault lock sets no min_retention_days: recovery points can be deleted at once");
      }
      const policies = stack.referencing("aws_backup_vault_policy", vault);
      if (!policies.some(deniesDeletion)) problems.push(`no aws_backup_vault_policy denies ${DELETE_RECOVERY_POINT} to Principal "*": the deploy and apply roles could delete recovery points`);
      return problems;
    },
  },
];

