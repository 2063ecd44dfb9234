/**
 * A database's backups outside the database: AWS Backup snapshots in a locked, KMS-encrypted
 * vault, copied to a second region (optionally a vault in a second account), where no deploy or
 * apply identity can delete them.
 */
import { BackupPlan } from "@cdktf/provider-aws/lib/backup-plan";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault";
import { BackupVaultLockConfiguration } from "@cdktf/provider-aws/lib/backup-vault-lock-configuration";
import { BackupVaultPolicy } from "@cdktf/provider-aws/lib/backup-vault-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { accountKeyPolicy, stackPartition, WithAccountAndRegion, withAccountAndRegion } from "./aws-common";
import { backupVaultRetentionDays } from "./validators";
import { checkAccountId, checkRegion, invalid, isKnown, partitionOf, policyJson } from "./util";

/** The database to back up: its ARN (`PostgresDatabase.instance`, an `aws_db_instance`, has one). */
export interface BackupSource {
  /** The instance's ARN, what the backup selection names. */
  readonly arn: string;
}

/** Where recovery points are copied to. */
export interface BackupCopy {
  /** The second region, e.g. `eu-central-1`: not the source's. */
  readonly region: string;
  /**
   * The stack's AWS provider for `region` (an alias), which creates the destination vault and its
   * key there. Required without `accountId`; unused with it (that account's vault is made there).
   * @default none (only with `accountId`)
   */
  readonly provider?: TerraformProvider;
  /**
   * A second account to copy into instead (12 digits). Its vault, named like this construct's
   * (`<name>-backup`) in `region`, is created in that account (by that account's own stack
   * or by hand) with a vault policy allowing `backup:CopyIntoBackupVault` from this account, and
   * the two accounts share an AWS Organization with cross-account backup on.
   * @default the source account, with the vault created here through `provider`
   */
  readonly accountId?: string;
  /**
   * Days the copies are kept, 7-36500.
   * @default the source's `retentionDays`
   */
  readonly retentionDays?: number;
}

/** Props of {@link DatabaseBackup}. `name` and `database` are required. */
export interface DatabaseBackupProps {
  /** Names the vaults (`<name>-backup`, in each region), the plan, the role and the keys' aliases: 2-43 lower-case letters, digits and `-` (a vault name holds 50). */
  readonly name: string;
  /** The database instance to back up. */
  readonly database: BackupSource;
  /**
   * The account of the database (and of the vault): scopes the key policy.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The region of the database (and of the vault).
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * Days AWS Backup keeps each daily recovery point, 7-36500; the vault lock's minimum too.
   * @default 35
   */
  readonly retentionDays?: number;
  /**
   * When the daily backup starts: an AWS Backup cron expression in UTC.
   * @default "cron(0 5 * * ? *)" - 05:00 UTC, after the RDS backup window (03:00-04:00) and maintenance (Sunday 04:30-05:30)
   */
  readonly schedule?: string;
  /**
   * The copy to a second region (or account).
   * @default no copy (one region only: a regional outage or a compromised account can take every backup)
   */
  readonly copy?: BackupCopy;
  /**
   * Principals still allowed to delete recovery points, change their lifecycle or delete the
   * vault, its policy or its lock (role ARNs): your break-glass role. Everyone else, the deploy and
   * apply roles included, is denied by the vault policy.
   * @default [] - nobody: recovery points leave only when their retention ends
   */
  readonly breakGlassRoleArns?: readonly string[];
  /**
   * Vault Lock in compliance mode: after a 3-day grace period, nobody (not even the account root)
   * can delete a recovery point before `retentionDays`, shorten retention or remove the lock.
   * `false`: governance mode, which principals allowed `backup:DeleteBackupVaultLockConfiguration`
   * can still remove (throwaway environments).
   * @default true
   */
  readonly compliance?: boolean;
  /**
   * Terraform `lifecycle.prevent_destroy` on the vaults and their keys.
   * @default true
   */
  readonly preventDestroy?: boolean;
}

/** What the vault policy denies to everyone but the break-glass roles: every way to lose a recovery point. */
export const BACKUP_VAULT_PROTECTED_ACTIONS = [
  "backup:DeleteRecoveryPoint",
  "backup:UpdateRecoveryPointLifecycle",
  "backup:DeleteBackupVault",
  "backup:DeleteBackupVaultAccessPolicy",
  "backup:DeleteBackupVaultLockConfiguration",
  "backup:PutBackupVaultLockConfiguration",
] as const;

/** Days of grace before a compliance-mode lock becomes immutable (AWS's minimum is 3). */
const LOCK_GRACE_DAYS = 3;
const NAME = /^[a-z][a-z0-9-]{0,41}[a-z0-9]$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * Daily AWS Backup snapshots of one database, copied off-region:
 * - a vault per region (`Vault`, and `CopyVault` through `copy.provider`), each encrypted with its
 *   own rotating KMS key, with Vault Lock (compliance mode after 3 days by default; minimum
 *   retention = `retentionDays`) and a vault policy denying {@link BACKUP_VAULT_PROTECTED_ACTIONS}
 *   to every principal except `breakGlassRoleArns`;
 * - a plan (`Plan`) with one daily rule into `Vault`, kept `retentionDays`, and a copy action to
 *   the second region's (or account's) vault, kept `copy.retentionDays`;
 * - a selection (`Selection`) of exactly `database`, run by a role (`Role`) only AWS Backup can
 *   assume, with AWS's `AWSBackupServiceRolePolicyForBackup`.
 *
 * Point-in-time recovery stays with RDS's own automated backups (`backupRetentionDays` of
 * `PostgresDatabase`); these snapshots are what survives the region, the instance and its account's
 * deploy and apply identities.
 */
export class DatabaseBackup extends Construct {
  /** The vault in the database's region. */
  public readonly vault: BackupVault;
  /** The vault in the copy region, when this construct creates it. */
  public readonly copyVault?: BackupVault;
  /** ARN of the vault the copies go to (this stack's `copyVault`, or the second account's). */
  public readonly copyVaultArn?: string;
  /** The backup plan. */
  public readonly plan: BackupPlan;
  /** The selection of the database. */
  public readonly selection: BackupSelection;
  /** The role AWS Backup runs the plan as. */
  public readonly role: IamRole;

  constructor(scope: Construct, id: string, given: DatabaseBackupProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);
    const retentionDays = props.retentionDays ?? 35;
    const schedule = props.schedule ?? "cron(0 5 * * ? *)";
    const breakGlassRoleArns = props.breakGlassRoleArns ?? [];
    const compliance = props.compliance ?? true;
    const preventDestroy = props.preventDestroy ?? true;
    const copyRetentionDays = props.copy?.retentionDays ?? retentionDays;
    this.validate(props, { retentionDays, schedule, breakGlassRoleArns, copyRetentionDays });

    const { name, accountId, region } = props;
    const { partition } = stackPartition(this, region);

    const protectedVault = (prefix: string, vaultName: string, minRetentionDays: number, provider?: TerraformProvider) => {
      const key = new KmsKey(this, `${prefix}Key`, {
        provider,
        description: `AWS Backup vault ${vaultName}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: accountKeyPolicy({ partition, accountId }),
        lifecycle: { preventDestroy },
      });
      new KmsAlias(this, `${prefix}KeyAlias`, { provider, name: `alias/backup/${vaultName}`, targetKeyId: key.keyId });
      const vault = new BackupVault(this, prefix, {
        provider,
        name: vaultName,
        kmsKeyArn: key.arn,
        // Never delete a vault that holds recovery points.
        forceDestroy: false,
        lifecycle: { preventDestroy },
      });
      new BackupVaultPolicy(this, `${prefix}Policy`, {
        provider,
        backupVaultName: vault.name,
        policy: policyJson({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyLosingRecoveryPoints",
              Effect: "Deny",
              Principal: { AWS: "*" },
              Action: [...BACKUP_VAULT_PROTECTED_ACTIONS],
              Resource: "*",
              // The deploy and apply roles are among "everyone else": only break-glass may.
              ...(breakGlassRoleArns.length > 0 ? { Condition: { ArnNotEquals: { "aws:PrincipalArn": [...breakGlassRoleArns] } } } : {}),
            },
          ],
        }),
      });
      new BackupVaultLockConfiguration(this, `${prefix}Lock`, {
        provider,
        backupVaultName: vault.name,
        // Every recovery point stays at least as long as the plan keeps it.
        minRetentionDays,
        // Compliance mode once the grace period ends; without it, governance mode.
        ...(compliance ? { changeableForDays: LOCK_GRACE_DAYS } : {}),
      });
      return vault;
    };

    this.vault = protectedVault("Vault", `${name}-backup`, retentionDays);
    const copy = props.copy;
    if (copy?.accountId !== undefined) {
      this.copyVaultArn = `arn:${partitionOf(copy.region).partition}:backup:${copy.region}:${copy.accountId}:backup-vault:${name}-backup`;
    } else if (copy !== undefined) {
      this.copyVault = protectedVault("CopyVault", `${name}-backup`, copyRetentionDays, copy.provider);
      this.copyVaultArn = this.copyVault.arn;
    }

    this.role = new IamRole(this, "Role", {
      name: `${name}-backup`,
      description: `AWS Backup of ${name}'s database`,
      assumeRolePolicy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "backup.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
          },
        ],
      }),
    });
    new IamRolePolicyAttachment(this, "RolePolicy", {
      role: this.role.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`,
    });

    this.plan = new BackupPlan(this, "Plan", {
      name: `${name}-database`,
      rule: [
        {
          ruleName: "daily",
          targetVaultName: this.vault.name,
          schedule,
          // Start within an hour, finish within a day: AWS Backup retries inside these windows.
          startWindow: 60,
          completionWindow: 1440,
          lifecycle: { deleteAfter: retentionDays },
          ...(this.copyVaultArn !== undefined ? { copyAction: [{ destinationVaultArn: this.copyVaultArn, lifecycle: { deleteAfter: copyRetentionDays } }] } : {}),
          recoveryPointTags: { "slipway:backup": name },
        },
      ],
    });

    this.selection = new BackupSelection(this, "Selection", {
      name: `${name}-database`,
      planId: this.plan.id,
      iamRoleArn: this.role.arn,
      resources: [props.database.arn],
    });
  }

  private validate(props: WithAccountAndRegion<DatabaseBackupProps>, v: { retentionDays: number; schedule: string; breakGlassRoleArns: readonly string[]; copyRetentionDays: number }): void {
    if (isKnown(props.name) && !NAME.test(props.name)) invalid(this, "name", props.name, "2-43 lower-case letters, digits and '-', starting with a letter, e.g. shop-prod");
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    const days = (field: string, value: number) => {
      const problem = isKnown(value) ? backupVaultRetentionDays.problem(value) : undefined;
      if (problem !== undefined) invalid(this, field, value, problem);
    };
    days("retentionDays", v.retentionDays);
    days("copy.retentionDays", v.copyRetentionDays);
    if (isKnown(v.schedule) && !/^cron\([^()]+\)$/.test(v.schedule)) invalid(this, "schedule", v.schedule, 'an AWS Backup cron expression, e.g. "cron(0 5 * * ? *)"');
    v.breakGlassRoleArns.forEach((arn, i) => {
      if (!isKnown(arn) || !ROLE_ARN.test(arn)) invalid(this, `breakGlassRoleArns[${i}]`, arn, "a literal IAM role ARN, e.g. arn:aws:iam::111111111111:role/break-glass");
    });
    const copy = props.copy;
    if (copy !== undefined) {
      checkRegion(this, "copy.region", copy.region);
      if (isKnown(copy.region) && isKnown(props.region) && copy.region === props.region) {
        invalid(this, "copy.region", copy.region, `a region other than the database's (${props.region}): the copy is what survives a regional outage`);
      }
      if (copy.accountId !== undefined) checkAccountId(this, "copy.accountId", copy.accountId);
      else if (copy.provider === undefined) invalid(this, "copy.provider", copy.provider, `the stack's AWS provider for ${copy.region} (an alias), which creates the copy vault there`);
    }
  }
}
