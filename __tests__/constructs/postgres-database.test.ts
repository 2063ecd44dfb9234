import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { POSTGRES_INSTANCE_CLASSES, PostgresDatabase, PostgresDatabaseProps } from "../../constructs/postgres-database";
import { SlipwayValidationError } from "../../constructs/util";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const network = { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-a", "subnet-b"] };
const BASE: PostgresDatabaseProps = { name: "shop-prod", network, accountId: "123456789012", region: "eu-west-1" };
/** What the stacks pass for a development environment. */
const DEV: Partial<PostgresDatabaseProps> = {
  multiAz: false,
  deletionProtection: false,
  backupRetentionDays: 2,
  performanceInsights: false,
  preventDestroy: false,
};

function build(overrides: Partial<PostgresDatabaseProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const database = new PostgresDatabase(stack, "Database", { ...BASE, ...overrides });
  return { stack, database, synth: () => JSON.parse(Testing.synth(stack)) as Json };
}

function synth(overrides: Partial<PostgresDatabaseProps> = {}): Json {
  return build(overrides).synth();
}

const { all, one, address, ref, countByType } = constructResources("Database");

function parameters(tf: Json): Record<string, { value: string; apply_method: string }> {
  return Object.fromEntries(
    one(tf, "aws_db_parameter_group", "ParameterGroup").parameter.map((p: Json) => [p.name, { value: p.value, apply_method: p.apply_method }]),
  );
}

function expectInvalid(run: () => unknown, field: string, accepted: string | RegExp): SlipwayValidationError {
  return expectValidationError(run, "test/Database", field, accepted);
}

function expectInvalidProps(overrides: Partial<PostgresDatabaseProps>, field: string, accepted: string | RegExp): SlipwayValidationError {
  return expectInvalid(() => synth(overrides), field, accepted);
}

describe("PostgresDatabase", () => {
  test("secure defaults", () => {
    const tf = synth();

    expect(countByType(tf)).toEqual({
      aws_kms_key: 1,
      aws_kms_alias: 1,
      aws_db_subnet_group: 1,
      aws_security_group: 1,
      aws_db_parameter_group: 1,
      aws_cloudwatch_log_group: 2,
      aws_db_instance: 1,
    });
    expect(tf.provider).toBeUndefined();
    expect(tf.data).toBeUndefined();

    const keyArn = ref(tf, "aws_kms_key", "Key", "arn");
    const instance = one(tf, "aws_db_instance");
    expect(instance).toMatchObject({
      identifier: "shop-prod",
      engine: "postgres",
      engine_version: "16.8",
      instance_class: "db.t4g.micro",
      port: 5432,
      db_name: "shop_prod",
      username: "app_admin",
      // encrypted gp3 storage that autoscales
      storage_type: "gp3",
      allocated_storage: 20,
      max_allocated_storage: 100,
      storage_encrypted: true,
      kms_key_id: keyArn,
      // the password lives only in Secrets Manager, encrypted with the database key
      manage_master_user_password: true,
      master_user_secret_kms_key_id: keyArn,
      iam_database_authentication_enabled: true,
      // private, in the subnet group, behind its own security group
      publicly_accessible: false,
      db_subnet_group_name: ref(tf, "aws_db_subnet_group", "SubnetGroup", "name"),
      vpc_security_group_ids: [ref(tf, "aws_security_group", "SecurityGroup")],
      parameter_group_name: ref(tf, "aws_db_parameter_group", "ParameterGroup", "name"),
      ca_cert_identifier: "rds-ca-rsa2048-g1",
      // recoverable
      multi_az: true,
      backup_retention_period: 7,
      backup_window: "03:00-04:00",
      maintenance_window: "sun:04:30-sun:05:30",
      copy_tags_to_snapshot: true,
      delete_automated_backups: false,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "shop-prod-final",
      lifecycle: { prevent_destroy: true },
      // observable
      enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
      performance_insights_enabled: true,
      performance_insights_kms_key_id: keyArn,
      performance_insights_retention_period: 7,
      // patched, changes in the maintenance window
      auto_minor_version_upgrade: true,
      allow_major_version_upgrade: true,
      apply_immediately: false,
      depends_on: [address(tf, "aws_cloudwatch_log_group", "PostgresqlLogGroup"), address(tf, "aws_cloudwatch_log_group", "UpgradeLogGroup")],
    });
    // Never a literal password anywhere.
    expect(instance.password).toBeUndefined();
    expect(instance.password_wo).toBeUndefined();
    expect(JSON.stringify(tf)).not.toMatch(/"password"/);

    expect(one(tf, "aws_kms_key", "Key")).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(one(tf, "aws_kms_alias", "KeyAlias")).toEqual(
      expect.objectContaining({ name: "alias/rds/shop-prod", target_key_id: ref(tf, "aws_kms_key", "Key", "key_id") }),
    );

    expect(one(tf, "aws_db_subnet_group", "SubnetGroup")).toMatchObject({ name: "shop-prod", subnet_ids: ["subnet-a", "subnet-b"] });

    // The security group admits nothing by default: no inline rules, no rule resources.
    const securityGroup = one(tf, "aws_security_group", "SecurityGroup");
    expect(securityGroup).toMatchObject({ vpc_id: "vpc-0123456789abcdef0", name_prefix: "shop-prod-db-", lifecycle: { create_before_destroy: true } });
    expect(securityGroup.ingress).toBeUndefined();
    expect(securityGroup.egress).toBeUndefined();
    expect(tf.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    expect(tf.resource.aws_security_group_rule).toBeUndefined();

    expect(one(tf, "aws_db_parameter_group", "ParameterGroup")).toMatchObject({
      family: "postgres16",
      name_prefix: "shop-prod-postgres16-",
      lifecycle: { create_before_destroy: true },
    });
    expect(parameters(tf)).toEqual({
      "rds.force_ssl": { value: "1", apply_method: "immediate" },
      log_min_duration_statement: { value: "500", apply_method: "immediate" },
      log_connections: { value: "1", apply_method: "immediate" },
      log_disconnections: { value: "1", apply_method: "immediate" },
    });

    // RDS's own log groups, created first: encrypted and expiring.
    expect(one(tf, "aws_cloudwatch_log_group", "PostgresqlLogGroup")).toMatchObject({
      name: "/aws/rds/instance/shop-prod/postgresql",
      retention_in_days: 365,
      kms_key_id: keyArn,
    });
    expect(one(tf, "aws_cloudwatch_log_group", "UpgradeLogGroup")).toMatchObject({
      name: "/aws/rds/instance/shop-prod/upgrade",
      retention_in_days: 365,
      kms_key_id: keyArn,
    });
  });

  test("key policy delegates to the account's IAM and lets CloudWatch Logs use the key for this instance's log groups only", () => {
    const statements = JSON.parse(one(synth(), "aws_kms_key", "Key").policy).Statement;
    expect(statements).toEqual([
      { Sid: "AccountIam", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
      {
        Sid: "CloudWatchLogs",
        Effect: "Allow",
        Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/rds/instance/shop-prod/*" },
        },
      },
    ]);
  });

  test("region picks the partition of ARNs and the logs service principal", () => {
    const statements = JSON.parse(one(synth({ region: "cn-north-1" }), "aws_kms_key", "Key").policy).Statement;
    expect(statements[0].Principal).toEqual({ AWS: "arn:aws-cn:iam::123456789012:root" });
    expect(statements[1].Principal).toEqual({ Service: "logs.cn-north-1.amazonaws.com.cn" });
    expect(statements[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toBe(
      "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/rds/instance/shop-prod/*",
    );
  });

  test("the development profile switches off Multi-AZ, deletion protection, Performance Insights and prevent_destroy", () => {
    const instance = one(synth(DEV), "aws_db_instance");
    expect(instance).toMatchObject({
      multi_az: false,
      deletion_protection: false,
      backup_retention_period: 2,
      performance_insights_enabled: false,
    });
    expect(instance.performance_insights_kms_key_id).toBeUndefined();
    expect(instance.performance_insights_retention_period).toBeUndefined();
    expect(instance.lifecycle).toBeUndefined();
    // Everything that protects data in transit and at rest stays on.
    expect(instance).toMatchObject({
      storage_encrypted: true,
      manage_master_user_password: true,
      iam_database_authentication_enabled: true,
      publicly_accessible: false,
      skip_final_snapshot: false,
    });
  });

  test("multiAz false runs a single instance", () => {
    expect(one(synth({ multiAz: false }), "aws_db_instance").multi_az).toBe(false);
  });

  test("deletionProtection false lets RDS delete the instance", () => {
    expect(one(synth({ deletionProtection: false }), "aws_db_instance").deletion_protection).toBe(false);
  });

  test("backupRetentionDays sets the backup retention period", () => {
    expect(one(synth({ backupRetentionDays: 35 }), "aws_db_instance").backup_retention_period).toBe(35);
  });

  test("performanceInsights false turns Performance Insights off without a key or retention", () => {
    const instance = one(synth({ performanceInsights: false }), "aws_db_instance");
    expect(instance.performance_insights_enabled).toBe(false);
    expect(instance).not.toHaveProperty("performance_insights_kms_key_id");
    expect(instance).not.toHaveProperty("performance_insights_retention_period");
  });

  test("preventDestroy false drops the lifecycle guard only", () => {
    const tf = synth({ preventDestroy: false });
    expect(one(tf, "aws_db_instance").lifecycle).toBeUndefined();
    expect(one(tf, "aws_db_instance").deletion_protection).toBe(true);
  });

  test("engineVersion sets the version and the parameter group family", () => {
    const tf = synth({ engineVersion: "17.4" });
    expect(one(tf, "aws_db_instance").engine_version).toBe("17.4");
    expect(one(tf, "aws_db_parameter_group", "ParameterGroup")).toMatchObject({ family: "postgres17", name_prefix: "shop-prod-postgres17-" });
  });

  test("engineVersion accepts a major alone, so RDS's minor upgrades never drift from the configuration", () => {
    const tf = synth({ engineVersion: "13" });
    expect(one(tf, "aws_db_instance").engine_version).toBe("13");
    expect(one(tf, "aws_db_parameter_group", "ParameterGroup").family).toBe("postgres13");
  });

  test.each(["db.m6g.large", "db.r7g.16xlarge", "db.t3.micro", "db.m7i.48xlarge", "db.x2g.large", "db.r6id.32xlarge"])(
    "instanceClass %s is accepted",
    (instanceClass) => {
      expect(one(synth({ instanceClass }), "aws_db_instance").instance_class).toBe(instanceClass);
    },
  );

  test("instance families cover those named by Slipway's profiles and the RDS PostgreSQL docs", () => {
    expect(Object.keys(POSTGRES_INSTANCE_CLASSES)).toEqual(
      expect.arrayContaining(["t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "r5", "r6g", "r6gd", "r6i", "r7g", "r7i", "x2g"]),
    );
    expect(POSTGRES_INSTANCE_CLASSES.t2).toBeUndefined();
  });

  test("storageGiB and maxStorageGiB size the volume and its autoscaling ceiling", () => {
    const instance = one(synth({ storageGiB: 100, maxStorageGiB: 1000 }), "aws_db_instance");
    expect(instance).toMatchObject({ allocated_storage: 100, max_allocated_storage: 1000, storage_type: "gp3" });
  });

  test("maxStorageGiB equal to storageGiB is accepted (no autoscaling headroom)", () => {
    const instance = one(synth({ storageGiB: 50, maxStorageGiB: 50 }), "aws_db_instance");
    expect(instance).toMatchObject({ allocated_storage: 50, max_allocated_storage: 50 });
  });

  test("databaseName and masterUsername name the database and its master user", () => {
    const { database, synth: run } = build({ databaseName: "orders", masterUsername: "owner" });
    expect(one(run(), "aws_db_instance")).toMatchObject({ db_name: "orders", username: "owner" });
    expect(database.databaseName).toBe("orders");
    expect(database.masterUsername).toBe("owner");
  });

  test("slowStatementMs sets log_min_duration_statement", () => {
    expect(parameters(synth({ slowStatementMs: 2000 })).log_min_duration_statement.value).toBe("2000");
    expect(parameters(synth({ slowStatementMs: -1 })).log_min_duration_statement.value).toBe("-1");
    expect(parameters(synth({ slowStatementMs: 0 })).log_min_duration_statement.value).toBe("0");
  });

  test("logRetentionDays sets the retention of both exported log groups", () => {
    const tf = synth({ logRetentionDays: 30 });
    all(tf, "aws_cloudwatch_log_group").forEach((group) => expect(group.retention_in_days).toBe(30));
  });

  test("name drives the identifier and every derived name", () => {
    const tf = synth({ name: "billing-staging" });
    expect(one(tf, "aws_db_instance")).toMatchObject({
      identifier: "billing-staging",
      db_name: "billing_staging",
      final_snapshot_identifier: "billing-staging-final",
    });
    expect(one(tf, "aws_db_subnet_group", "SubnetGroup").name).toBe("billing-staging");
    expect(one(tf, "aws_kms_alias", "KeyAlias").name).toBe("alias/rds/billing-staging");
    expect(one(tf, "aws_security_group", "SecurityGroup").name_prefix).toBe("billing-staging-db-");
  });

  describe("allowConnectionsFrom", () => {
    test("admits a peer security group on the PostgreSQL port, never a CIDR", () => {
      const { stack, database } = build();
      const peer = new TerraformVariable(stack, "peer", { type: "string" });
      const rule = database.allowConnectionsFrom({ securityGroupId: peer.stringValue });
      const tf = JSON.parse(Testing.synth(stack)) as Json;

      // Named by the reference it admits, not by call order.
      expect(rule.node.id).toBe("AllowFrom-var-peer");
      const ingress = one(tf, "aws_vpc_security_group_ingress_rule", "AllowFrom-var-peer");
      expect(ingress).toMatchObject({
        security_group_id: ref(tf, "aws_security_group", "SecurityGroup"),
        referenced_security_group_id: "${var.peer}",
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
        description: "PostgreSQL from an allowed security group",
      });
      expect(ingress).not.toHaveProperty("cidr_ipv4");
      expect(ingress).not.toHaveProperty("cidr_ipv6");
      expect(ingress).not.toHaveProperty("prefix_list_id");
      expect(JSON.stringify(tf)).not.toMatch(/cidr/);
    });

    test("takes a description and a stable id, and names unnamed rules by their peer, not call order", () => {
      const { database, synth: run } = build();
      database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef0" });
      database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef1" }, "Migrations job", "AllowFromMigrations");
      database.allowConnectionsFrom({ securityGroupId: "sg-01234567" });
      const tf = run();
      expect(all(tf, "aws_vpc_security_group_ingress_rule")).toHaveLength(3);
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "AllowFromMigrations")).toMatchObject({
        referenced_security_group_id: "sg-0123456789abcdef1",
        description: "Migrations job",
      });
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "AllowFrom-sg-0123456789abcdef0").referenced_security_group_id).toBe("sg-0123456789abcdef0");
      expect(one(tf, "aws_vpc_security_group_ingress_rule", "AllowFrom-sg-01234567").referenced_security_group_id).toBe("sg-01234567");
    });

    test("fails when the peer is not a security group id", () => {
      const { database } = build();
      expectInvalid(() => database.allowConnectionsFrom({ securityGroupId: "10.0.0.0/16" }), "allowConnectionsFrom.peer.securityGroupId", "a security group id");
    });

    test("fails when the same peer is allowed twice", () => {
      const { database } = build();
      database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef0" });
      expectInvalid(
        () => database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef0" }),
        "allowConnectionsFrom.peer.securityGroupId",
        "each peer once; sg-0123456789abcdef0 is already allowed",
      );
    });

    test("fails when an id is reused", () => {
      const { database } = build();
      database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef0" }, "App", "AllowFromApp");
      expectInvalid(
        () => database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef1" }, "App", "AllowFromApp"),
        "allowConnectionsFrom.id",
        "a construct id not yet used",
      );
      expectInvalid(() => database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef1" }, "App", "Resource"), "allowConnectionsFrom.id", "not yet used");
    });

    test("fails when the description has characters AWS refuses", () => {
      const { database } = build();
      expectInvalid(
        () => database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef0" }, "app's pods — prod"),
        "allowConnectionsFrom.description",
        "at most 255 of",
      );
    });
  });

  test("exposes typed attributes as references to the instance", () => {
    const { stack, database } = build();
    new TerraformOutput(stack, "endpoint", { value: database.endpoint });
    new TerraformOutput(stack, "identifier", { value: database.identifier });
    new TerraformOutput(stack, "secret", { value: database.masterUserSecretArn });
    new TerraformOutput(stack, "resource_id", { value: database.resourceId });
    new TerraformOutput(stack, "security_group_id", { value: database.securityGroupId });
    new TerraformOutput(stack, "key_arn", { value: database.key.arn });
    const tf = JSON.parse(Testing.synth(stack)) as Json;
    const instance = address(tf, "aws_db_instance", "Resource");
    expect(tf.output.endpoint.value).toBe(`\${${instance}.address}`);
    expect(tf.output.identifier.value).toBe(`\${${instance}.identifier}`);
    expect(tf.output.secret.value).toBe(`\${${instance}.master_user_secret[0].secret_arn}`);
    expect(tf.output.resource_id.value).toBe(`\${${instance}.resource_id}`);
    expect(tf.output.security_group_id.value).toBe(ref(tf, "aws_security_group", "SecurityGroup"));
    expect(tf.output.key_arn.value).toBe(ref(tf, "aws_kms_key", "Key", "arn"));

    expect(database.port).toBe(5432);
    expect(database.databaseName).toBe("shop_prod");
    expect(database.masterUsername).toBe("app_admin");
    expect(database.instance.node.id).toBe("Resource");
    expect(database.securityGroup.node.id).toBe("SecurityGroup");
    expect(database.parameterGroup.node.id).toBe("ParameterGroup");
    expect(database.subnetGroup.node.id).toBe("SubnetGroup");
  });

  test("construct ids are stable", () => {
    const { database } = build();
    database.allowConnectionsFrom({ securityGroupId: "sg-0123456789abcdef0" });
    expect(database.node.children.map((c) => c.node.id).sort()).toEqual(
      [
        "Key",
        "KeyAlias",
        "SubnetGroup",
        "SecurityGroup",
        "ParameterGroup",
        "PostgresqlLogGroup",
        "UpgradeLogGroup",
        "Resource",
        "AllowFrom-sg-0123456789abcdef0",
      ].sort(),
    );
  });

  test("synthesizes deterministically", () => {
    expect(synth()).toEqual(synth());
  });

  test("accepts unresolved references and skips their validation", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const text = (name: string) => new TerraformVariable(stack, name, { type: "string" }).stringValue;
    const count = (name: string) => new TerraformVariable(stack, name, { type: "number" }).numberValue;
    new PostgresDatabase(stack, "Database", {
      ...BASE,
      accountId: text("account"),
      network: { vpcId: text("vpc"), privateSubnetIds: new TerraformVariable(stack, "subnets", { type: "list(string)" }).listValue },
      instanceClass: text("class"),
      storageGiB: count("storage"),
      maxStorageGiB: count("max_storage"),
      backupRetentionDays: count("retention"),
      databaseName: text("db"),
      masterUsername: text("user"),
      slowStatementMs: count("slow"),
      logRetentionDays: count("log_retention"),
    });
    const tf = JSON.parse(Testing.synth(stack)) as Json;
    expect(one(tf, "aws_db_instance")).toMatchObject({
      instance_class: "${var.class}",
      allocated_storage: "${var.storage}",
      max_allocated_storage: "${var.max_storage}",
      backup_retention_period: "${var.retention}",
      db_name: "${var.db}",
      username: "${var.user}",
    });
    expect(one(tf, "aws_db_subnet_group", "SubnetGroup").subnet_ids).toBe("${var.subnets}");
  });

  describe("validation", () => {
    test.each(["", "Shop", "9lives", "shop_prod", "shop-", "shop--prod", "-shop", "a".repeat(51)])("fails when name is %j", (name) => {
      expectInvalidProps({ name, databaseName: "app" }, "name", "at most 50 lower-case letters, digits and single '-'");
    });

    test("accepts a 50-character name", () => {
      const name = `a${"b".repeat(49)}`;
      expect(one(synth({ name }), "aws_db_instance").identifier).toBe(name);
    });

    test("fails when accountId is not 12 digits", () => {
      expectInvalidProps({ accountId: "12345" }, "accountId", "a 12-digit AWS account id");
    });

    test("fails when region is not a region name", () => {
      expectInvalidProps({ region: "Ireland" }, "region", "an AWS region name such as eu-west-1");
    });

    test("fails when fewer than two private subnets are given", () => {
      expectInvalidProps({ network: { vpcId: "vpc-1", privateSubnetIds: ["subnet-a"] } }, "network.privateSubnetIds", "at least two private subnets");
    });

    test.each(["16.8.1", "16.", "v16.8", "sixteen", "", "12.22", "18.1", "9.6", "1.16"])("fails when engineVersion is %j", (engineVersion) => {
      expectInvalidProps({ engineVersion }, "engineVersion", "with a major among 13, 14, 15, 16, 17");
    });

    test("fails when engineVersion is an unresolved token (it picks the parameter group family)", () => {
      const stack = new TerraformStack(Testing.app(), "test");
      const version = new TerraformVariable(stack, "version", { type: "string" }).stringValue;
      expect(() => new PostgresDatabase(stack, "Database", { ...BASE, engineVersion: version })).toThrow(
        /^test\/Database: engineVersion .* is invalid: a literal PostgreSQL version/,
      );
    });

    test.each(["db.t2.micro", "db.m4.large", "db.r4.large", "db.z1d.large", "m6g.large", "db.m6g", "db.m6g.large.tpc2", "rds.m6g.large", "DB.T4G.MICRO"])(
      "fails when instanceClass %j is not one RDS for PostgreSQL offers",
      (instanceClass) => {
        const error = expectInvalidProps({ instanceClass }, "instanceClass", "an instance class RDS for PostgreSQL offers, db.<family>.<size>");
        expect(error.accepted).toContain("families t3, t4g, m5, m5d, m6g, m6gd, m6i, m6id");
        expect(error.accepted).toContain("r7g, r7i, r8g, x2g");
      },
    );

    test.each([
      ["db.m6g.nano", "db.m6g comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge"],
      ["db.t4g.4xlarge", "db.t4g comes in micro, small, medium, large, xlarge, 2xlarge"],
      ["db.m7g.24xlarge", "db.m7g comes in large"],
    ])("fails when instanceClass %j is a size its family lacks", (instanceClass, sizes) => {
      const error = expectInvalidProps({ instanceClass }, "instanceClass", sizes);
      expect(error.accepted).toContain("families t3, t4g,");
    });

    test.each([19, 0, 65537, 20.5])("fails when storageGiB is %j", (storageGiB) => {
      expectInvalidProps({ storageGiB, maxStorageGiB: 65536 }, "storageGiB", "a whole number of GiB from 20 to 65536");
    });

    test("fails when maxStorageGiB is below storageGiB", () => {
      expectInvalidProps({ storageGiB: 200 }, "maxStorageGiB", "at least storageGiB (200)");
      expectInvalidProps({ storageGiB: 100, maxStorageGiB: 99 }, "maxStorageGiB", "the autoscaling ceiling cannot be below the allocated storage");
    });

    test.each([65537, 100.5])("fails when maxStorageGiB is %j", (maxStorageGiB) => {
      expectInvalidProps({ maxStorageGiB }, "maxStorageGiB", "a whole number of GiB from 20 to 65536");
    });

    test.each([0, 36, -1, 1.5])("fails when backupRetentionDays is %j", (backupRetentionDays) => {
      expectInvalidProps({ backupRetentionDays }, "backupRetentionDays", "a whole number of days from 1 to 35");
    });

    test.each(["Orders", "9orders", "orders-db", "postgres", "template1", "a".repeat(58), ""])("fails when databaseName is %j", (databaseName) => {
      expectInvalidProps({ databaseName }, "databaseName", "a lower-case letter then up to 56 lower-case letters, digits or '_' (so that <databaseName>_owner fits PostgreSQL's 63)");
    });

    test.each(["postgres", "rdsadmin", "rds_superuser", "pg_monitor", "public", "Admin", "app-admin", "1admin", ""])(
      "fails when masterUsername is %j",
      (masterUsername) => {
        expectInvalidProps({ masterUsername }, "masterUsername", "not reserved (postgres, public, rds..., pg_...)");
      },
    );

    test.each([-2, 1.5, 2147483648])("fails when slowStatementMs is %j", (slowStatementMs) => {
      expectInvalidProps({ slowStatementMs }, "slowStatementMs", "0 to log every statement or -1 to log none");
    });

    test.each([0, 2, 10000])("fails when logRetentionDays is %j", (logRetentionDays) => {
      expectInvalidProps({ logRetentionDays }, "logRetentionDays", "one of CloudWatch Logs' retention values: 1, 3, 5, 7");
    });
  });
});

describe("PostgresDatabase preventDestroy covers the key", () => {
  test("the instance and its KMS key are protected together", () => {
    expect(one(synth(), "aws_kms_key", "Key").lifecycle).toEqual({ prevent_destroy: true });
    expect(one(synth({ preventDestroy: false }), "aws_kms_key", "Key").lifecycle).toBeUndefined();
  });
});
