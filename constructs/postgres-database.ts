/**
 * An RDS for PostgreSQL instance that is private, encrypted and recoverable by default: KMS-encrypted
 * gp3 storage with autoscaling, a master password that lives only in Secrets Manager, TLS forced,
 * IAM authentication, Multi-AZ, backups, a final snapshot, deletion protection and a Terraform
 * `prevent_destroy`, and a security group that admits nothing until a peer is allowed in.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { accountKeyPolicy, stackPartition, WithAccountAndRegion, withAccountAndRegion } from "./aws-common";
import { DatabaseRoleNames, databaseRoleNames } from "./database-roles";
import type { PolicyStatement } from "./github-actions-role";
import {
  checkAccountId,
  checkRegion,
  invalid,
  isKnown,
  LOG_RETENTION_DAYS,
  stableIdFragment,
} from "./util";

/** The part of a network a database needs; `Network` satisfies it. */
export interface DatabaseNetwork {
  /** The VPC the subnets belong to; the database's security group is created in it. */
  readonly vpcId: string;
  /** Subnets without a route from the internet, in at least two availability zones. */
  readonly privateSubnetIds: string[];
}

/** Anything with a security group that may be allowed to connect: a workload, a cluster's nodes, a bastion. */
export interface DatabasePeer {
  /** The peer's security group id, e.g. `sg-0123456789abcdef0`. */
  readonly securityGroupId: string;
}

/** Props of {@link PostgresDatabase}. Only `name` and `network` are required. */
export interface PostgresDatabaseProps {
  /**
   * The DB instance identifier, e.g. `shop-prod`: lower-case letters, digits and single `-`,
   * starting with a letter, at most 50 characters. Also names the subnet group, security and
   * parameter groups, KMS alias and final snapshot (`<name>-final`).
   */
  readonly name: string;
  /** Where the instance lives: its VPC and at least two private subnets in different zones. */
  readonly network: DatabaseNetwork;
  /**
   * The 12-digit AWS account id the database is created in; scopes the key policy.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The AWS region the database is created in, e.g. `eu-west-1`; scopes the key policy.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * The PostgreSQL version, `MAJOR.MINOR` (e.g. `"16.8"`) or `MAJOR` alone (e.g. `"16"`), with a major
   * from 13 to 17. The major picks the parameter group family (`postgres<major>`); changing it is a
   * major upgrade. RDS applies minor upgrades itself in the maintenance window: with a `MAJOR.MINOR`
   * pin, raise it to the running minor after such an upgrade (Terraform cannot downgrade); a
   * `MAJOR` alone takes RDS's default minor at creation and never drifts.
   * @default "16.8"
   */
  readonly engineVersion?: string;
  /**
   * The DB instance class, `db.<family>.<size>`, of a family RDS for PostgreSQL 13+ offers
   * (see {@link POSTGRES_INSTANCE_CLASSES}), e.g. `db.t4g.micro` or `db.m7g.large`.
   * @default "db.t4g.micro"
   */
  readonly instanceClass?: string;
  /**
   * Storage allocated at creation, 20-65536 GiB of encrypted gp3.
   * @default 20
   */
  readonly storageGiB?: number;
  /**
   * Ceiling of storage autoscaling: RDS grows the volume up to this size when it runs low. At least
   * `storageGiB` (equal turns autoscaling off), at most 65536.
   * @default 100
   */
  readonly maxStorageGiB?: number;
  /**
   * A synchronous standby in a second zone that RDS fails over to. `false` halves the cost (dev).
   * @default true
   */
  readonly multiAz?: boolean;
  /**
   * RDS refuses to delete the instance while on; turn it off (and apply) before a deliberate delete.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Days of automated backups and point-in-time recovery, 1-35.
   * @default 7
   */
  readonly backupRetentionDays?: number;
  /**
   * Performance Insights, encrypted with the database key and kept 7 days (the free tier).
   * @default true
   */
  readonly performanceInsights?: boolean;
  /**
   * Terraform `lifecycle.prevent_destroy` on the instance and its KMS key: any plan that would destroy or replace it
   * fails, so production data cannot be lost to a plan. `false` for throwaway environments.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * The database created in the instance: a lower-case letter, then up to 62 lower-case letters,
   * digits or `_`.
   * @default `name` with `-` replaced by `_` (e.g. `shop_prod`)
   */
  readonly databaseName?: string;
  /**
   * The master user; its password is generated and rotated by RDS in Secrets Manager
   * ({@link PostgresDatabase.masterUserSecretArn}), never in code or state. A lower-case letter,
   * then up to 62 lower-case letters, digits or `_`; not a reserved name (`postgres`, `rds…`, `pg_…`).
   * @default "app_admin"
   */
  readonly masterUsername?: string;
  /**
   * Statements running at least this long are logged with their duration (`log_min_duration_statement`);
   * 0 logs every statement, -1 none.
   * @default 500
   */
  readonly slowStatementMs?: number;
  /**
   * Days to keep the exported `postgresql` and `upgrade` logs in CloudWatch Logs; one of CloudWatch's
   * retention values other than 0 (statement logs may hold data, so they always expire).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Create the instance from a backup instead of empty (a restore is always a new instance; see
   * docs/operations.md, "Restoring a database"): `snapshotIdentifier`, an RDS snapshot or an AWS Backup recovery
   * point's snapshot ARN; or `pointInTime`, RDS's point-in-time recovery of
   * `sourceInstanceIdentifier` to `restoreTime` (RFC 3339 UTC), or to its latest restorable time.
   * The database name and master user come from the backup.
   * @default none: a new, empty database
   */
  readonly restore?: { readonly snapshotIdentifier: string } | { readonly pointInTime: { readonly sourceInstanceIdentifier: string; readonly restoreTime?: string } };
}

/** A role that takes inline policies: `PodIdentityRole` and `GithubActionsRole` satisfy it. */
export interface DatabaseGrantee {
  /** Adds an inline policy of `statements` under `id`. */
  addPolicy(id: string, statements: PolicyStatement[]): unknown;
}

/** The PostgreSQL port; fixed, so rules and clients need not read it from the instance. */
const POSTGRES_PORT = 5432;
const DEFAULT_ENGINE_VERSION = "16.8";
/** The PostgreSQL majors Slipway supports; every parameter the construct sets exists in each of their families. */
const SUPPORTED_MAJORS = [13, 14, 15, 16, 17] as const;
/** The log types RDS for PostgreSQL exports to CloudWatch Logs, with the construct ids of their log groups. */
const LOG_EXPORTS = [
  { logType: "postgresql", id: "PostgresqlLogGroup" },
  { logType: "upgrade", id: "UpgradeLogGroup" },
] as const;
/** Exported logs always expire: CloudWatch's retention values without 0 (never). */
const DATABASE_LOG_RETENTION_DAYS: readonly number[] = LOG_RETENTION_DAYS.filter((days) => days !== 0);
/** Daily backups and weekly maintenance in UTC, an hour apart so they never overlap. */
const BACKUP_WINDOW = "03:00-04:00";
const MAINTENANCE_WINDOW = "sun:04:30-sun:05:30";
/** The CA RDS signs server certificates with; RSA 2048 is what every PostgreSQL client verifies. */
const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";
/** Names RDS for PostgreSQL reserves for itself or PostgreSQL keeps. */
const RESERVED_DATABASE_NAMES = ["postgres", "template0", "template1", "rdsadmin"];
const RESERVED_USERNAME = /^(postgres|public|rds.*|pg_.*)$/;

const T_SIZES = ["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const GRAVITON2_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const NITRO5_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];
const INTEL6_SIZES = [...NITRO5_SIZES, "32xlarge"];
const GEN7_48_SIZES = [...NITRO5_SIZES, "48xlarge"];

/**
 * The instance families RDS for PostgreSQL 13+ offers, with their sizes, from the RDS User Guide's
 * "Supported DB engines for DB instance classes". Previous generations (db.t2, db.m4, db.r4) are
 * not offered for PostgreSQL 13 and later. Add a family here when RDS adds one.
 */
export const POSTGRES_INSTANCE_CLASSES: Readonly<Record<string, readonly string[]>> = {
  t3: T_SIZES,
  t4g: T_SIZES,
  m5: NITRO5_SIZES,
  m5d: NITRO5_SIZES,
  m6g: GRAVITON2_SIZES,
  m6gd: GRAVITON2_SIZES,
  m6i: INTEL6_SIZES,
  m6id: INTEL6_SIZES,
  m6in: INTEL6_SIZES,
  m6idn: INTEL6_SIZES,
  m7g: GRAVITON2_SIZES,
  m7i: GEN7_48_SIZES,
  m8g: GEN7_48_SIZES,
  r5: NITRO5_SIZES,
  r5b: NITRO5_SIZES,
  r5d: NITRO5_SIZES,
  r6g: GRAVITON2_SIZES,
  r6gd: GRAVITON2_SIZES,
  r6i: INTEL6_SIZES,
  r6id: INTEL6_SIZES,
  r6in: INTEL6_SIZES,
  r6idn: INTEL6_SIZES,
  r7g: GRAVITON2_SIZES,
  r7i: GEN7_48_SIZES,
  r8g: GEN7_48_SIZES,
  x2g: GRAVITON2_SIZES,
};

/**
 * PostgreSQL on RDS, private and recoverable by default:
 * - storage, Performance Insights and the master-user secret encrypted with a dedicated rotating KMS key;
 * - the master password generated by RDS into Secrets Manager (`manage_master_user_password`), IAM
 *   database authentication on, TLS forced by the parameter group, never publicly accessible;
 * - Multi-AZ, 7 days of backups, a final snapshot, deletion protection and `prevent_destroy`;
 * - slow statements, connections and disconnections logged and exported to CloudWatch Logs;
 * - a security group with no rules: {@link PostgresDatabase.allowConnectionsFrom} admits peers by
 *   security group, never by CIDR.
 */
export class PostgresDatabase extends Construct {
  /** The `aws_db_instance` (construct id `Resource`). */
  public readonly instance: DbInstance;
  /** The instance's ARN: what makes the database itself a `DatabaseBackup`'s `database`. */
  public readonly arn: string;
  /** The instance identifier (a reference, so users wait for the instance). */
  public readonly identifier: string;
  /** The host name clients connect to (the instance's `address`, without the port). */
  public readonly endpoint: string;
  /** The port PostgreSQL listens on: 5432. */
  public readonly port: number;
  /** The database created in the instance. */
  public readonly databaseName: string;
  /** The master user's name. */
  public readonly masterUsername: string;
  /** ARN of the Secrets Manager secret RDS keeps the master user's credentials in (JSON `username`, `password`). */
  public readonly masterUserSecretArn: string;
  /**
   * The master user's secret with the key it is encrypted with: what a reader needs
   * (`AppSecrets`' `readableSecrets`, `KubernetesWorkload`'s `database.credentialsSecretArn`) to
   * fetch the current credentials at run time. Break-glass: only the app's reader role and admins
   * may read it, never CI.
   */
  public readonly masterUserSecret: { readonly secretArn: string; readonly kmsKeyArn: string };
  /** The instance's resource id (`db-…`), the resource part of `rds-db:connect` ARNs for IAM authentication. */
  public readonly resourceId: string;
  /**
   * The app's database roles and schema: `<databaseName>_owner` (owns the schema `<databaseName>`;
   * migrations) and `<databaseName>_app` (rows only), created by the setup SQL of
   * `databaseRolesSql` with the master credentials; both log in with IAM authentication only.
   */
  public readonly roles: DatabaseRoleNames;
  /** The instance's security group; it has no rules until {@link allowConnectionsFrom} adds them. */
  public readonly securityGroup: SecurityGroup;
  /** Id of {@link securityGroup}. */
  public readonly securityGroupId: string;
  /** The KMS key encrypting storage, snapshots, Performance Insights, the master-user secret and the exported logs. */
  public readonly key: KmsKey;
  /** The parameter group (`postgres<major>` family). */
  public readonly parameterGroup: DbParameterGroup;
  /** The subnet group over the private subnets. */
  public readonly subnetGroup: DbSubnetGroup;

  /** Construct ids of ingress rules, and the known peer groups they admit, so neither repeats. */
  private readonly ingressIds = new Set<string>();
  private readonly peers = new Set<string>();

  constructor(scope: Construct, id: string, given: PostgresDatabaseProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);

    const engineVersion = props.engineVersion ?? DEFAULT_ENGINE_VERSION;
    const instanceClass = props.instanceClass ?? "db.t4g.micro";
    const storageGiB = props.storageGiB ?? 20;
    const maxStorageGiB = props.maxStorageGiB ?? 100;
    const multiAz = props.multiAz ?? true;
    const deletionProtection = props.deletionProtection ?? true;
    const backupRetentionDays = props.backupRetentionDays ?? 7;
    const performanceInsights = props.performanceInsights ?? true;
    const preventDestroy = props.preventDestroy ?? true;
    const databaseName = props.databaseName ?? (isKnown(props.name) ? props.name.replace(/-/g, "_") : props.name);
    const masterUsername = props.masterUsername ?? "app_admin";
    const slowStatementMs = props.slowStatementMs ?? 500;
    const logRetentionDays = props.logRetentionDays ?? 365;

    const major = this.validate(props, {
      engineVersion,
      instanceClass,
      storageGiB,
      maxStorageGiB,
      backupRetentionDays,
      databaseName,
      masterUsername,
      slowStatementMs,
      logRetentionDays,
    });

    const restore = props.restore;
    if (restore !== undefined && "snapshotIdentifier" in restore && isKnown(restore.snapshotIdentifier) && !/^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:)?[A-Za-z][A-Za-z0-9:-]{0,254}$/.test(restore.snapshotIdentifier)) {
      invalid(this, "restore.snapshotIdentifier", restore.snapshotIdentifier, "an RDS snapshot identifier or ARN, e.g. arn:aws:rds:eu-west-1:111111111111:snapshot:awsbackup:job-1234");
    }
    if (restore !== undefined && "pointInTime" in restore) {
      const { sourceInstanceIdentifier, restoreTime } = restore.pointInTime;
      if (isKnown(sourceInstanceIdentifier) && !/^[a-z][a-z0-9-]{0,62}$/.test(sourceInstanceIdentifier)) invalid(this, "restore.pointInTime.sourceInstanceIdentifier", sourceInstanceIdentifier, "a DB instance identifier, e.g. shop-prod");
      if (restoreTime !== undefined && isKnown(restoreTime) && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(restoreTime)) invalid(this, "restore.pointInTime.restoreTime", restoreTime, "a UTC time in RFC 3339, e.g. 2026-12-06T14:30:00Z");
    }

    const { name, accountId, region } = props;
    const { partition, dnsSuffix } = stackPartition(this, region);
    const logGroupPrefix = `/aws/rds/instance/${name}`;

    this.key = new KmsKey(this, "Key", {
      description: `RDS PostgreSQL ${name}: storage, Performance Insights, master-user secret and logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // Losing the key loses the data and every snapshot: it is protected like the instance.
      ...(preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
      // RDS and Secrets Manager use the key through grants made with the caller's IAM permissions.
      policy: accountKeyPolicy({
        partition,
        accountId,
        logGroups: { region, dnsSuffix, arnPattern: `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupPrefix}/*` },
      }),
      tags: { Name: `${name}-rds` },
    });
    new KmsAlias(this, "KeyAlias", { name: `alias/rds/${name}`, targetKeyId: this.key.keyId });

    this.subnetGroup = new DbSubnetGroup(this, "SubnetGroup", {
      name,
      description: `Private subnets of RDS PostgreSQL ${name}`,
      subnetIds: props.network.privateSubnetIds,
      tags: { Name: name },
    });

    // No inline rules: ingress comes only from allowConnectionsFrom's separate rule resources (inline
    // rules would delete them on every apply). Terraform removes the allow-all egress rule AWS adds
    // to a new group, and RDS never initiates connections, so the group has no egress either.
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      // A prefix lets a replacement group exist before the old one is detached from the instance.
      namePrefix: `${name}-db-`,
      description: `RDS PostgreSQL ${name}: ingress only from allowed security groups`,
      vpcId: props.network.vpcId,
      tags: { Name: `${name}-db` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = this.securityGroup.id;

    // Every parameter here is dynamic in RDS for PostgreSQL, so `immediate` applies it without a reboot.
    this.parameterGroup = new DbParameterGroup(this, "ParameterGroup", {
      // A new family (major upgrade) replaces the group: the prefix lets the new one exist first.
      namePrefix: `${name}-postgres${major}-`,
      family: `postgres${major}`,
      description: `RDS PostgreSQL ${name}: TLS only, slow statement and connection logging`,
      parameter: [
        { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
        { name: "log_min_duration_statement", value: String(slowStatementMs), applyMethod: "immediate" },
        { name: "log_connections", value: "1", applyMethod: "immediate" },
        { name: "log_disconnections", value: "1", applyMethod: "immediate" },
      ],
      tags: { Name: name },
      lifecycle: { createBeforeDestroy: true },
    });

    // RDS would create these groups itself, unencrypted and never expiring; creating them first sets both.
    const logGroups = LOG_EXPORTS.map(
      ({ logType, id: logGroupId }) =>
        new CloudwatchLogGroup(this, logGroupId, {
          name: `${logGroupPrefix}/${logType}`,
          retentionInDays: logRetentionDays,
          kmsKeyId: this.key.arn,
          tags: { Name: `${name}-${logType}` },
        }),
    );

    this.instance = new DbInstance(this, "Resource", {
      identifier: name,
      engine: "postgres",
      engineVersion,
      // Changing engineVersion's major in the platform file is the deliberate upgrade; without this
      // RDS would refuse it.
      allowMajorVersionUpgrade: true,
      autoMinorVersionUpgrade: true,
      instanceClass,
      port: POSTGRES_PORT,
      // A restore takes the database and master user from the backup.
      ...(props.restore === undefined ? { dbName: databaseName, username: masterUsername } : {}),
      ...(props.restore !== undefined && "snapshotIdentifier" in props.restore ? { snapshotIdentifier: props.restore.snapshotIdentifier } : {}),
      ...(props.restore !== undefined && "pointInTime" in props.restore
        ? {
            restoreToPointInTime: {
              sourceDbInstanceIdentifier: props.restore.pointInTime.sourceInstanceIdentifier,
              ...(props.restore.pointInTime.restoreTime !== undefined ? { restoreTime: props.restore.pointInTime.restoreTime } : { useLatestRestorableTime: true }),
            },
          }
        : {}),
      // RDS generates the password into Secrets Manager, encrypted with this key: it never appears in
      // code, plans, state outputs or workflows.
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: this.key.arn,
      iamDatabaseAuthenticationEnabled: true,
      storageType: "gp3",
      allocatedStorage: storageGiB,
      maxAllocatedStorage: maxStorageGiB,
      storageEncrypted: true,
      kmsKeyId: this.key.arn,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      parameterGroupName: this.parameterGroup.name,
      caCertIdentifier: CA_CERT_IDENTIFIER,
      multiAz,
      backupRetentionPeriod: backupRetentionDays,
      backupWindow: BACKUP_WINDOW,
      maintenanceWindow: MAINTENANCE_WINDOW,
      copyTagsToSnapshot: true,
      // Automated backups outlive the instance for their retention period, so a deleted database can
      // still be restored to a point in time.
      deleteAutomatedBackups: false,
      deletionProtection,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${name}-final`,
      enabledCloudwatchLogsExports: LOG_EXPORTS.map((e) => e.logType),
      performanceInsightsEnabled: performanceInsights,
      ...(performanceInsights ? { performanceInsightsKmsKeyId: this.key.arn, performanceInsightsRetentionPeriod: 7 } : {}),
      // Changes wait for the maintenance window instead of restarting a production database mid-day.
      applyImmediately: false,
      tags: { Name: name },
      dependsOn: logGroups,
      ...(preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.arn = this.instance.arn;

    this.identifier = this.instance.identifier;
    this.endpoint = this.instance.address;
    this.port = POSTGRES_PORT;
    this.databaseName = databaseName;
    this.masterUsername = masterUsername;
    this.masterUserSecretArn = this.instance.masterUserSecret.get(0).secretArn;
    this.masterUserSecret = { secretArn: this.masterUserSecretArn, kmsKeyArn: this.key.arn };
    this.resourceId = this.instance.resourceId;
    this.roles = databaseRoleNames(isKnown(databaseName) ? databaseName : "db");
    this.arnParts = { partition, region, accountId };
  }

  private readonly arnParts: { partition: string; region: string; accountId: string };

  /**
   * The `rds-db:connect` ARN of `username` on this instance:
   * `arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>/<username>`.
   */
  public connectArn(username: string): string {
    const { partition, region, accountId } = this.arnParts;
    return `arn:${partition}:rds-db:${region}:${accountId}:dbuser:${this.resourceId}/${username}`;
  }

  /**
   * Lets `grantee` (a pod's `PodIdentityRole`) connect as `username` with IAM database
   * authentication, and as nobody else: `rds-db:connect` on exactly {@link connectArn}.
   * @param username one of {@link roles}' `app` or `owner`, never the master user
   */
  public grantConnect(grantee: DatabaseGrantee, username: string): void {
    if (isKnown(username) && (username === this.masterUsername || !/^[a-z][a-z0-9_]{0,62}$/.test(username))) {
      invalid(this, "grantConnect.username", username, `a database role such as ${this.roles.app}, never the master user ${this.masterUsername}`);
    }
    grantee.addPolicy(`connect-as-${username}`, [{ Sid: "ConnectWithIamAuthentication", Effect: "Allow", Action: "rds-db:connect", Resource: this.connectArn(username) }]);
  }

  /**
   * Lets `grantee` read the master user's current credentials (break-glass, and the setup Job that
   * creates the app's roles): `GetSecretValue`/`DescribeSecret` on exactly the RDS-managed secret
   * and `kms:Decrypt` with this database's key through Secrets Manager only.
   */
  public grantMasterSecretRead(grantee: DatabaseGrantee): void {
    const { region } = this.arnParts;
    const { dnsSuffix } = stackPartition(this, region);
    grantee.addPolicy("read-database-master-secret", [
      { Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: this.masterUserSecretArn },
      {
        Sid: "DecryptMasterSecretThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: this.key.arn,
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.${dnsSuffix}` } },
      },
    ]);
  }

  /**
   * Lets `peer` connect: an ingress rule on the PostgreSQL port whose source is the peer's security
   * group (never a CIDR).
   * @param peer anything with a `securityGroupId`, e.g. a workload or a cluster's node security group
   * @param description the rule's description (up to 255 of AWS's allowed characters)
   * @param id construct id of the rule, unique in this database; keep it stable, renaming it replaces
   *   the rule. Defaults to `AllowFrom-<peer>`, `<peer>` being the security group id, or the
   *   expression it references (e.g. `AllowFrom-aws_security_group-Workers-id`): reordering calls
   *   renames nothing.
   * @returns the ingress rule
   */
  public allowConnectionsFrom(
    peer: DatabasePeer,
    description = "PostgreSQL from an allowed security group",
    id?: string,
  ): VpcSecurityGroupIngressRule {
    const groupId = peer.securityGroupId;
    id ??= `AllowFrom-${stableIdFragment(this, groupId)}`;
    if (isKnown(groupId) && !/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/.test(groupId)) {
      invalid(this, "allowConnectionsFrom.peer.securityGroupId", groupId, "a security group id such as sg-0123456789abcdef0");
    }
    if (isKnown(groupId) && this.peers.has(groupId)) {
      invalid(this, "allowConnectionsFrom.peer.securityGroupId", groupId, `each peer once; ${groupId} is already allowed`);
    }
    if (isKnown(description) && !/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{0,255}$/.test(description)) {
      invalid(this, "allowConnectionsFrom.description", description, "at most 255 of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*");
    }
    if (this.ingressIds.has(id) || this.node.tryFindChild(id)) {
      invalid(this, "allowConnectionsFrom.id", id, "a construct id not yet used in this database");
    }
    this.ingressIds.add(id);
    if (isKnown(groupId)) this.peers.add(groupId);

    return new VpcSecurityGroupIngressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: groupId,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description,
    });
  }

  /** Validates the props; returns the engine's major version. */
  private validate(
    props: WithAccountAndRegion<PostgresDatabaseProps>,
    v: {
      engineVersion: string;
      instanceClass: string;
      storageGiB: number;
      maxStorageGiB: number;
      backupRetentionDays: number;
      databaseName: string;
      masterUsername: string;
      slowStatementMs: number;
      logRetentionDays: number;
    },
  ): number {
    if (isKnown(props.name) && !(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(props.name) && props.name.length <= 50)) {
      invalid(this, "name", props.name, "at most 50 lower-case letters, digits and single '-', starting with a letter and not ending with '-'");
    }
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    const subnets = props.network.privateSubnetIds;
    if (isKnown(subnets) && subnets.length < 2) {
      invalid(this, "network.privateSubnetIds", subnets, "at least two private subnets, in different availability zones (RDS requires two)");
    }

    // The major picks the parameter group family, so the version must be literal.
    const version = /^(\d+)(\.\d+)?$/.exec(isKnown(v.engineVersion) ? v.engineVersion : "");
    const major = version ? Number(version[1]) : undefined;
    if (major === undefined || !(SUPPORTED_MAJORS as readonly number[]).includes(major)) {
      invalid(
        this,
        "engineVersion",
        v.engineVersion,
        `a literal PostgreSQL version MAJOR.MINOR (e.g. "16.8") or MAJOR (e.g. "16") with a major among ${SUPPORTED_MAJORS.join(", ")}`,
      );
    }

    if (isKnown(v.instanceClass)) {
      const families = Object.keys(POSTGRES_INSTANCE_CLASSES);
      const [prefix, family, size, ...rest] = v.instanceClass.split(".");
      const sizes = POSTGRES_INSTANCE_CLASSES[family ?? ""];
      if (prefix !== "db" || rest.length > 0 || !sizes || !sizes.includes(size)) {
        const sizeHint = sizes ? `db.${family} comes in ${sizes.join(", ")}; ` : "";
        invalid(
          this,
          "instanceClass",
          v.instanceClass,
          `an instance class RDS for PostgreSQL offers, db.<family>.<size>: ${sizeHint}families ${families.join(", ")}`,
        );
      }
    }

    checkValue(this, "storageGiB", v.storageGiB, kinds.rdsStorageGiB);
    checkValue(this, "maxStorageGiB", v.maxStorageGiB, kinds.rdsStorageGiB);
    if (isKnown(v.storageGiB) && isKnown(v.maxStorageGiB) && v.maxStorageGiB < v.storageGiB) {
      invalid(this, "maxStorageGiB", v.maxStorageGiB, `at least storageGiB (${v.storageGiB}): the autoscaling ceiling cannot be below the allocated storage`);
    }
    if (isKnown(v.backupRetentionDays) && (!Number.isInteger(v.backupRetentionDays) || v.backupRetentionDays < 1 || v.backupRetentionDays > 35)) {
      invalid(this, "backupRetentionDays", v.backupRetentionDays, "a whole number of days from 1 to 35 (0 would turn backups off)");
    }
    // At most 57 characters: the roles <databaseName>_owner and _app fit PostgreSQL's 63.
    if (isKnown(v.databaseName) && (!/^[a-z][a-z0-9_]{0,56}$/.test(v.databaseName) || RESERVED_DATABASE_NAMES.includes(v.databaseName))) {
      invalid(
        this,
        "databaseName",
        v.databaseName,
        `a lower-case letter then up to 56 lower-case letters, digits or '_' (so that <databaseName>_owner fits PostgreSQL's 63), other than ${RESERVED_DATABASE_NAMES.join(", ")}`,
      );
    }
    if (isKnown(v.masterUsername) && (!/^[a-z][a-z0-9_]{0,62}$/.test(v.masterUsername) || RESERVED_USERNAME.test(v.masterUsername))) {
      invalid(
        this,
        "masterUsername",
        v.masterUsername,
        "a lower-case letter then up to 62 lower-case letters, digits or '_', not reserved (postgres, public, rds..., pg_...)",
      );
    }
    if (isKnown(v.slowStatementMs) && (!Number.isInteger(v.slowStatementMs) || v.slowStatementMs < -1 || v.slowStatementMs > 2147483647)) {
      invalid(this, "slowStatementMs", v.slowStatementMs, "a whole number of milliseconds, 0 to log every statement or -1 to log none");
    }
    if (isKnown(v.logRetentionDays) && !DATABASE_LOG_RETENTION_DAYS.includes(v.logRetentionDays)) {
      invalid(this, "logRetentionDays", v.logRetentionDays, `one of CloudWatch Logs' retention values: ${DATABASE_LOG_RETENTION_DAYS.join(", ")}`);
    }
    return major;
  }
}
