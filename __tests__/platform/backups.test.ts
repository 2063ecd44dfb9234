/**
 * The platform file's backup keys: `database.backupRetentionDays` (the point-in-time recovery
 * window, per profile) and `database.backupCopy` (AWS Backup copies to a second region: production's
 * default, off only with a reason), and what the app stacks make of them.
 */
import { protectionOverrides } from "../../stacks/app-environment-stack";
import { DEFAULT_BACKUP_COPY_REGION } from "../../platform/model";
import { examplePlatform, resourceAt, synthAll, problemsAfter } from "../support/platform";

const messageAfter = (change: (doc: any) => void): string => problemsAfter(change).message;

describe("backup keys of the platform file", () => {
  test("profile defaults: 7 days of point-in-time recovery and a copy to the region's partner in production; 2 days and no copy elsewhere", () => {
    const [dev, staging, prod] = examplePlatform().environments;
    expect(dev.database).toMatchObject({ backupRetentionDays: 2 });
    expect(dev.database.backupCopy).toBeUndefined();
    expect(staging.database.backupCopy).toBeUndefined();
    expect(prod.database).toMatchObject({ backupRetentionDays: 7, backupCopy: { region: "eu-central-1", retentionDays: 35, breakGlassRoleArns: [] } });
    expect(prod.database.backupCopy!.account).toBeUndefined();
  });

  test("every default partner is another region of the same jurisdiction (same country, or the EU)", () => {
    const jurisdiction = (region: string) => (region.startsWith("eu-") ? "eu" : region.replace(/-\d+$/, "").replace(/-(east|west|central|north|south|northeast|southeast)$/, ""));
    for (const [from, to] of Object.entries(DEFAULT_BACKUP_COPY_REGION)) {
      expect(to).not.toBe(from);
      if (from.startsWith("ap-")) expect(to.replace(/-\d+$/, "").replace(/-(\d)$/, "")).toBe(from.replace(/-\d+$/, ""));
      else expect(jurisdiction(to)).toBe(jurisdiction(from));
    }
  });

  test("set explicitly: retention, copy region, another account, break-glass roles; a development environment may copy too", () => {
    const platform = examplePlatform((d) => {
      d.environments[0].database = { backupRetentionDays: 3, backupCopy: { region: "eu-north-1" } };
      d.environments[1].database = { backupCopy: {} };
      d.environments[2].database = {
        backupRetentionDays: 21,
        backupCopy: { region: "eu-west-3", account: "333333333333", retentionDays: 90, breakGlassRoleArns: ["arn:aws:iam::222222222222:role/break-glass"] },
      };
    });
    expect(platform.environments[0].database).toMatchObject({ backupRetentionDays: 3, backupCopy: { region: "eu-north-1", retentionDays: 35 } });
    // An empty backupCopy switches the copy on, to the region's partner.
    expect(platform.environments[1].database.backupCopy).toEqual({ region: "eu-central-1", retentionDays: 35, breakGlassRoleArns: [] });
    expect(platform.environments[2].database).toMatchObject({
      backupRetentionDays: 21,
      backupCopy: { region: "eu-west-3", account: "333333333333", retentionDays: 90, breakGlassRoleArns: ["arn:aws:iam::222222222222:role/break-glass"] },
    });
  });

  test("backupCopy.enabled: false in production with a protection.overrideReason: no copy, and the stack accepts SLW-BAK-001 with that reason", () => {
    const platform = examplePlatform((d) => {
      d.environments[2].database = { backupCopy: { enabled: false } };
      d.environments[2].protection = { overrideReason: "copies live in the DR account's own backup plan (ticket OPS-42)" };
    });
    expect(platform.environments[2].database.backupCopy).toBeUndefined();
    const stacks = synthAll(platform);
    expect(stacks["hello-prod"].resource.aws_backup_plan).toBeUndefined();
    expect(protectionOverrides(platform.environments[2])).toContainEqual({
      rule: "SLW-BAK-001",
      path: "Database",
      reason: "protection.overrideReason: copies live in the DR account's own backup plan (ticket OPS-42)",
    });
    // With a copy, nothing is accepted.
    expect(protectionOverrides(examplePlatform().environments[2])).toEqual([]);
  });

  test.each<[string, (doc: any) => void, RegExp]>([
    ["backupCopy.enabled: false in production without a reason", (d) => (d.environments[2].database = { backupCopy: { enabled: false } }), /environments\[2\]\.database\.backupCopy\.enabled: turning backup copies off in a production environment needs a reason: add protection\.overrideReason/],
    ["a copy asked for in a region without a partner", (d) => ((d.environments[0].region = "sa-east-1"), (d.environments[0].network.zones = ["sa-east-1a", "sa-east-1b"]), (d.environments[0].database = { backupCopy: { retentionDays: 14 } })), /environments\[0\]\.database\.backupCopy: backups are copied to a second region, and "sa-east-1" has no default partner/],
    ["a copy to the environment's own region", (d) => (d.environments[2].database = { backupCopy: { region: "eu-west-1" } }), /environments\[2\]\.database\.backupCopy\.region: "eu-west-1" is the environment's own region/],
    ["a production region without a default partner", (d) => (d.environments[2].region = "sa-east-1", d.environments[2].network.zones = ["sa-east-1a", "sa-east-1b"]), /environments\[2\]\.database: a production database's backups are copied to a second region, and "sa-east-1" has no default partner in the same jurisdiction/],
    ["a retention outside RDS's range", (d) => (d.environments[0].database = { backupRetentionDays: 36 }), /environments\[0\]\.database\.backupRetentionDays: received number 36; expected at most 35/],
    ["a copy kept less than a week", (d) => (d.environments[2].database = { backupCopy: { region: "eu-central-1", retentionDays: 3 } }), /backupCopy\.retentionDays: received number 3; expected at least 7/],
    ["a copy region that is not a region", (d) => (d.environments[2].database = { backupCopy: { region: "europe" } }), /backupCopy\.region: received string "europe"/],
  ])("fails: %s", (_what, change, message) => {
    const text = messageAfter(change);
    expect(text).toMatch(message);
    expect(text).toMatch(/^bad\.yaml: /);
  });
});

describe("backups in the example platform's stacks", () => {
  const stacks = synthAll(examplePlatform());

  test("hello-prod backs its database up daily into a locked vault, copied to eu-central-1 through its own provider", () => {
    const prod = stacks["hello-prod"];
    expect(prod.provider.aws.find((p: any) => p.alias === "backup-copy")).toMatchObject({ region: "eu-central-1", allowed_account_ids: ["222222222222"] });
    const vault = resourceAt(prod, "aws_backup_vault", "Backup/Vault");
    const copy = resourceAt(prod, "aws_backup_vault", "Backup/CopyVault");
    expect(vault).toMatchObject({ name: "hello-prod-backup", lifecycle: { prevent_destroy: true } });
    expect(copy).toMatchObject({ name: "hello-prod-backup", provider: "aws.backup-copy" });
    expect(resourceAt(prod, "aws_backup_vault_lock_configuration", "Backup/VaultLock")).toMatchObject({ min_retention_days: 35, changeable_for_days: 3 });
    const selection = resourceAt(prod, "aws_backup_selection", "Backup/Selection");
    expect(selection.resources).toEqual([expect.stringMatching(/^\$\{aws_db_instance\.Database_[0-9A-F]{8}\.arn\}$/)]);
    expect(resourceAt(prod, "aws_backup_plan", "Backup/Plan").rule[0].copy_action[0].destination_vault_arn).toMatch(/^\$\{aws_backup_vault\.Backup_CopyVault_[0-9A-F]{8}\.arn\}$/);
    // The point-in-time window comes from the profile.
    expect(resourceAt(prod, "aws_db_instance", "Database/Resource").backup_retention_period).toBe(7);
  });

  test("development environments have no AWS Backup (RDS's own 2 days of point-in-time recovery only)", () => {
    for (const env of ["dev", "staging"]) {
      expect(stacks[`hello-${env}`].resource.aws_backup_plan).toBeUndefined();
      expect(stacks[`hello-${env}`].provider.aws.some((p: any) => p.alias === "backup-copy")).toBe(false);
      expect(resourceAt(stacks[`hello-${env}`], "aws_db_instance", "Database/Resource").backup_retention_period).toBe(2);
    }
  });

  test("no deploy or apply role of the stack is exempt from the vault's deny: the policy names no principal but \"*\"", () => {
    const policy = JSON.parse(resourceAt(stacks["hello-prod"], "aws_backup_vault_policy", "Backup/VaultPolicy").policy);
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Deny", Principal: { AWS: "*" }, Resource: "*" });
    expect(policy.Statement[0].Condition).toBeUndefined();
    expect(policy.Statement[0].Action).toContain("backup:DeleteRecoveryPoint");
  });
});
