/**
 * DatabaseBackup: every resource asserted field by field (vault policy statements, lock, plan rule,
 * copy action, selection, role), then real Terraform: the backup of a database and the two ways to
 * restore one (from an AWS Backup recovery point's snapshot, and to a point in time) validate and
 * plan offline.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing } from "cdktf";
import { BACKUP_VAULT_PROTECTED_ACTIONS, DatabaseBackup, DatabaseBackupProps } from "../../constructs/database-backup";
import { PostgresDatabase, PostgresDatabaseProps } from "../../constructs/postgres-database";
import { BACKUP_RULES, evaluate } from "../../policy";
import { constructResources, expectValidationError } from "../support/synthesized";
import { checkSynthesizedStacks, terraformForTests } from "../support/terraform";

type Json = Record<string, any>;
const DATABASE: PostgresDatabaseProps = {
  name: "shop-prod",
  network: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-a", "subnet-b"] },
  accountId: "123456789012",
  region: "eu-west-1",
};
const RECOVERY_POINT = "arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

function synth(overrides: Partial<DatabaseBackupProps> = {}, options: { copy?: boolean } = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const copyProvider = new AwsProvider(stack, "aws_backup_copy", { alias: "backup-copy", region: "eu-central-1" });
  const database = new PostgresDatabase(stack, "Database", DATABASE);
  const backup = new DatabaseBackup(stack, "Backup", {
    name: "shop-prod",
    database: database.instance,
    accountId: "123456789012",
    region: "eu-west-1",
    ...(options.copy === false ? {} : { copy: { region: "eu-central-1", provider: copyProvider } }),
    ...overrides,
  });
  const json = Testing.synth(stack);
  return { backup, tf: JSON.parse(json) as Json, json };
}

const { one, ref, countByType } = constructResources("Backup");
const db = constructResources("Database");

describe("DatabaseBackup", () => {
  test("secure defaults: two locked, encrypted vaults; a daily plan copied to the second region; the database selected", () => {
    const { tf } = synth();
    const counts = countByType(tf);
    expect(counts).toMatchObject({ aws_backup_vault: 2, aws_backup_vault_policy: 2, aws_backup_vault_lock_configuration: 2, aws_backup_plan: 1, aws_backup_selection: 1 });

    for (const [id, provider] of [["Vault", undefined], ["CopyVault", "aws.backup-copy"]] as const) {
      const key = one(tf, "aws_kms_key", `${id}Key`);
      expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
      expect(key.provider).toBe(provider);
      expect(one(tf, "aws_kms_alias", `${id}KeyAlias`)).toMatchObject({ name: "alias/backup/shop-prod-backup", target_key_id: ref(tf, "aws_kms_key", `${id}Key`, "key_id") });
      expect(one(tf, "aws_backup_vault", id)).toEqual({
        name: "shop-prod-backup",
        kms_key_arn: ref(tf, "aws_kms_key", `${id}Key`, "arn"),
        force_destroy: false,
        lifecycle: { prevent_destroy: true },
        ...(provider ? { provider } : {}),
      });
      const policy = one(tf, "aws_backup_vault_policy", `${id}Policy`);
      expect(policy.backup_vault_name).toBe(ref(tf, "aws_backup_vault", id, "name"));
      expect(policy.provider).toBe(provider);
      expect(JSON.parse(policy.policy)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyLosingRecoveryPoints",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: [
              "backup:DeleteRecoveryPoint",
              "backup:UpdateRecoveryPointLifecycle",
              "backup:DeleteBackupVault",
              "backup:DeleteBackupVaultAccessPolicy",
              "backup:DeleteBackupVaultLockConfiguration",
              "backup:PutBackupVaultLockConfiguration",
            ],
            Resource: "*",
          },
        ],
      });
      const lock = one(tf, "aws_backup_vault_lock_configuration", `${id}Lock`);
      expect(lock).toMatchObject({ backup_vault_name: ref(tf, "aws_backup_vault", id, "name"), min_retention_days: 35, changeable_for_days: 3 });
      expect(lock.max_retention_days).toBeUndefined();
      expect(lock.provider).toBe(provider);
    }

    expect(one(tf, "aws_backup_plan", "Plan")).toMatchObject({
      name: "shop-prod-database",
      rule: [
        {
          rule_name: "daily",
          target_vault_name: ref(tf, "aws_backup_vault", "Vault", "name"),
          schedule: "cron(0 5 * * ? *)",
          start_window: 60,
          completion_window: 1440,
          lifecycle: { delete_after: 35 },
          copy_action: [{ destination_vault_arn: ref(tf, "aws_backup_vault", "CopyVault", "arn"), lifecycle: { delete_after: 35 } }],
          recovery_point_tags: { "slipway:backup": "shop-prod" },
        },
      ],
    });
    expect(one(tf, "aws_backup_selection", "Selection")).toMatchObject({
      name: "shop-prod-database",
      plan_id: ref(tf, "aws_backup_plan", "Plan"),
      iam_role_arn: ref(tf, "aws_iam_role", "Role", "arn"),
      resources: [db.ref(tf, "aws_db_instance", "Resource", "arn")],
    });
    const role = one(tf, "aws_iam_role", "Role");
    expect(role.name).toBe("shop-prod-backup");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } },
    ]);
    expect(one(tf, "aws_iam_role_policy_attachment", "RolePolicy")).toMatchObject({
      role: ref(tf, "aws_iam_role", "Role", "name"),
      policy_arn: "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    });
  });

  test("the synthesized backup passes the AWS Backup policy rules in production", () => {
    const { json } = synth();
    const result = evaluate([{ name: "test", production: true, json: JSON.parse(json) }], { rules: BACKUP_RULES });
    expect(result.findings.map((f) => `${f.rule.id} ${f.message}`)).toEqual([]);
    // Without the copy, SLW-BAK-001 fails the production database.
    const single = evaluate([{ name: "test", production: true, json: synth({}, { copy: false }).tf }], { rules: BACKUP_RULES });
    expect(single.findings.map((f) => f.rule.id)).toEqual(["SLW-BAK-001"]);
  });

  test("breakGlassRoleArns: the deny spares exactly those roles", () => {
    const arns = ["arn:aws:iam::123456789012:role/break-glass"];
    const { tf } = synth({ breakGlassRoleArns: arns });
    for (const id of ["VaultPolicy", "CopyVaultPolicy"]) {
      const [statement] = JSON.parse(one(tf, "aws_backup_vault_policy", id).policy).Statement;
      expect(statement).toMatchObject({ Effect: "Deny", Principal: { AWS: "*" }, Action: [...BACKUP_VAULT_PROTECTED_ACTIONS], Condition: { ArnNotEquals: { "aws:PrincipalArn": arns } } });
    }
  });

  test("copy.accountId: copies go to that account's vault, none is created here", () => {
    const { tf, backup } = synth({ copy: { region: "eu-central-1", accountId: "333333333333", retentionDays: 90 } });
    expect(countByType(tf).aws_backup_vault).toBe(1);
    expect(backup.copyVault).toBeUndefined();
    expect(one(tf, "aws_backup_plan", "Plan").rule[0].copy_action).toEqual([
      { destination_vault_arn: "arn:aws:backup:eu-central-1:333333333333:backup-vault:shop-prod-backup", lifecycle: { delete_after: 90 } },
    ]);
  });

  test("retentionDays, schedule and compliance false (governance mode)", () => {
    const { tf } = synth({ retentionDays: 14, schedule: "cron(30 6 * * ? *)", compliance: false, preventDestroy: false });
    expect(one(tf, "aws_backup_plan", "Plan").rule[0]).toMatchObject({ schedule: "cron(30 6 * * ? *)", lifecycle: { delete_after: 14 } });
    const lock = one(tf, "aws_backup_vault_lock_configuration", "VaultLock");
    expect(lock.min_retention_days).toBe(14);
    expect(lock.changeable_for_days).toBeUndefined();
    expect(one(tf, "aws_backup_vault", "Vault").lifecycle).toEqual({ prevent_destroy: false });
  });

  test("fails when the copy stays in the database's region, or has no provider", () => {
    expectValidationError(() => synth({ copy: { region: "eu-west-1" } }), "test/Backup", "copy.region", "a region other than the database's (eu-west-1)");
    expectValidationError(() => synth({ copy: { region: "eu-central-1" } }), "test/Backup", "copy.provider", "AWS provider for eu-central-1");
  });

  test("fails when a name, retention, schedule or break-glass role is invalid", () => {
    expectValidationError(() => synth({ name: "Shop" }), "test/Backup", "name", "lower-case letters");
    expectValidationError(() => synth({ name: "x".repeat(44) }), "test/Backup", "name", "2-43");
    expectValidationError(() => synth({ retentionDays: 3 }), "test/Backup", "retentionDays", "7 to 36500");
    expectValidationError(() => synth({ schedule: "rate(1 day)" }), "test/Backup", "schedule", "cron expression");
    expectValidationError(() => synth({ breakGlassRoleArns: ["*"] }), "test/Backup", "breakGlassRoleArns[0]", "IAM role ARN");
  });
});

describe("PostgresDatabase restore", () => {
  function restored(restore: PostgresDatabaseProps["restore"]): Json {
    const stack = new TerraformStack(Testing.app(), "test");
    new PostgresDatabase(stack, "Database", { ...DATABASE, name: "shop-prod-restored", restore });
    return db.one(JSON.parse(Testing.synth(stack)), "aws_db_instance");
  }

  test("from a recovery point's snapshot: a new instance, its database and master user from the snapshot", () => {
    const instance = restored({ snapshotIdentifier: RECOVERY_POINT });
    expect(instance).toMatchObject({ identifier: "shop-prod-restored", snapshot_identifier: RECOVERY_POINT, manage_master_user_password: true, storage_encrypted: true });
    expect(instance.db_name).toBeUndefined();
    expect(instance.username).toBeUndefined();
    expect(instance.restore_to_point_in_time).toBeUndefined();
  });

  test("to a point in time, or to the latest restorable time", () => {
    expect(restored({ pointInTime: { sourceInstanceIdentifier: "shop-prod", restoreTime: "2026-12-06T14:30:00Z" } }).restore_to_point_in_time).toEqual({
      source_db_instance_identifier: "shop-prod",
      restore_time: "2026-12-06T14:30:00Z",
    });
    expect(restored({ pointInTime: { sourceInstanceIdentifier: "shop-prod" } }).restore_to_point_in_time).toEqual({ source_db_instance_identifier: "shop-prod", use_latest_restorable_time: true });
    // Without restore: a new, empty database as before.
    const fresh = restored(undefined);
    expect(fresh).toMatchObject({ db_name: "shop_prod_restored", username: "app_admin" });
    expect(fresh.snapshot_identifier).toBeUndefined();
  });

  test("fails when the snapshot or the time is not one", () => {
    expectValidationError(() => restored({ snapshotIdentifier: "snap shot" }), "test/Database", "restore.snapshotIdentifier", "snapshot identifier or ARN");
    expectValidationError(() => restored({ pointInTime: { sourceInstanceIdentifier: "shop-prod", restoreTime: "yesterday" } }), "test/Database", "restore.pointInTime.restoreTime", "RFC 3339");
  });
});

const { tools, describe: describeWithTerraform } = terraformForTests("validate/plan of DatabaseBackup and restores");

describeWithTerraform("real Terraform, offline", () => {
  test("the backup, a restore from a recovery point and a point-in-time restore validate and plan", async () => {
    if (!tools) return;
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-backup-"));
    try {
      const app = new App({ outdir });
      const backupStack = new TerraformStack(app, "backup");
      new AwsProvider(backupStack, "aws", { region: "eu-west-1" });
      const copyProvider = new AwsProvider(backupStack, "aws_backup_copy", { alias: "backup-copy", region: "eu-central-1" });
      const database = new PostgresDatabase(backupStack, "Database", DATABASE);
      new DatabaseBackup(backupStack, "Backup", { name: "shop-prod", database: database.instance, accountId: "123456789012", region: "eu-west-1", copy: { region: "eu-central-1", provider: copyProvider } });

      // The restore runbook's two variants (docs/operations.md, "Restoring a database"): a new instance beside the old.
      const restores: Record<string, PostgresDatabaseProps["restore"]> = {
        "restore-recovery-point": { snapshotIdentifier: RECOVERY_POINT },
        "restore-point-in-time": { pointInTime: { sourceInstanceIdentifier: "shop-prod", restoreTime: "2026-12-06T14:30:00Z" } },
      };
      for (const [name, restore] of Object.entries(restores)) {
        const stack = new TerraformStack(app, name);
        new AwsProvider(stack, "aws", { region: "eu-west-1" });
        new PostgresDatabase(stack, "Database", { ...DATABASE, name: "shop-prod-restored", restore });
      }
      app.synth();
      const checks = await checkSynthesizedStacks(outdir, tools, 2);
      const summary = checks.map((c) => ({ stack: c.stack, validate: c.validate.ok ? "ok" : c.validate.output, plan: c.plan.ok ? "ok" : c.plan.output, toAdd: c.plan.toAdd }));
      expect(summary.sort((a, b) => a.stack.localeCompare(b.stack))).toEqual([
        // The database (8) + two keys, aliases, vaults, policies and locks + role, attachment, plan, selection (14).
        { stack: "backup", validate: "ok", plan: "ok", toAdd: 22 },
        { stack: "restore-point-in-time", validate: "ok", plan: "ok", toAdd: 8 },
        { stack: "restore-recovery-point", validate: "ok", plan: "ok", toAdd: 8 },
      ]);
      const plan = (stack: string) => checks.find((c) => c.stack === stack)!.plan.output;
      expect(plan("backup")).toMatch(/aws_backup_vault_lock_configuration\.Backup_CopyVaultLock_[0-9A-F]{8} will be created[\s\S]*?changeable_for_days\s+= 3/);
      expect(plan("backup")).toMatch(/copy_action \{[\s\S]*?destination_vault_arn = \(known after apply\)/);
      expect(plan("restore-recovery-point")).toMatch(new RegExp(`snapshot_identifier\\s+= "${RECOVERY_POINT.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`));
      expect(plan("restore-point-in-time")).toMatch(/restore_to_point_in_time \{[\s\S]*?restore_time\s+= "2026-12-06T14:30:00Z"[\s\S]*?source_db_instance_identifier\s+= "shop-prod"/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 300_000);
});
