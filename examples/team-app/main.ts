/**
 * A team's own cdktf app, built from Slipway's constructs rather than from a platform file: the
 * orders team runs background workers on EC2 and wants Slipway's network, Postgres and registry
 * with settings of its own. Each construct keeps its secure defaults; only the props marked
 * "non-default" below differ.
 *
 * Synthesize with `cdktf synth` (see cdktf.json), then plan and apply
 * `cdktf.out/stacks/orders-dev` with Terraform. `__tests__/library/examples.test.ts` type-checks
 * and synthesizes this file; `__tests__/library/pack.test.ts` type-checks it against the packed
 * library's declarations.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { App, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { ContainerRegistry, Network, PostgresDatabase } from "slipway";

/** Where the stack lives. */
export interface OrdersStackProps {
  /** The 12-digit AWS account; Terraform refuses to plan with credentials for another one. */
  readonly accountId: string;
  readonly region: string;
  readonly availabilityZones: string[];
  /** An existing, versioned S3 bucket for Terraform state. */
  readonly stateBucket: string;
}

export class OrdersStack extends TerraformStack {
  readonly network: Network;
  readonly database: PostgresDatabase;
  readonly registry: ContainerRegistry;
  /** The role the workers' instances run as; it may pull the worker image. */
  readonly workerRole: IamRole;
  /** The workers' security group; the database admits it and nothing else. */
  readonly workers: SecurityGroup;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id);
    const { accountId, region } = props;
    // Providers and backends are configured by the app, never inside a construct. The constructs
    // take their account and region from this provider (its region and single allowed account).
    new AwsProvider(this, "aws", { region, allowedAccountIds: [accountId], defaultTags: [{ tags: { team: "orders" } }] });
    const backend = new S3Backend(this, { bucket: props.stateBucket, key: `${id}.tfstate`, region, encrypt: true });
    // Terraform's native S3 lock file (Terraform 1.10+); cdktf 0.21's typed config predates it.
    backend.addOverride("use_lockfile", true);

    this.network = new Network(this, "Network", {
      name: id,
      cidrBlock: "10.42.0.0/16",
      availabilityZones: props.availabilityZones,
      // Non-default: one shared NAT gateway (default "per-zone"); a zone outage cuts the others' egress, fine for dev.
      natGateways: "one",
      // Non-default: flow logs kept 90 days (default 365).
      flowLogRetentionDays: 90,
    });

    this.workers = new SecurityGroup(this, "Workers", {
      name: `${id}-workers`,
      description: "Orders background workers",
      vpcId: this.network.vpcId,
    });
    this.workerRole = new IamRole(this, "WorkerRole", {
      name: `${id}-worker`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });

    this.database = new PostgresDatabase(this, "Database", {
      name: id,
      network: this.network,
      // Non-default: memory-optimised, more storage (defaults db.t4g.micro, 20 GiB growing to 100 GiB).
      instanceClass: "db.r6g.large",
      storageGiB: 100,
      maxStorageGiB: 500,
      // Non-default: two weeks of point-in-time recovery (default 7 days).
      backupRetentionDays: 14,
      // Non-default: the database name (default: the instance name with `_` for `-`).
      databaseName: "orders",
    });
    // Only the workers may connect: the database's security group admits nothing else.
    this.database.allowConnectionsFrom({ securityGroupId: this.workers.id }, "PostgreSQL from the orders workers", "AllowFromWorkers");

    this.registry = new ContainerRegistry(this, "Registry", {
      name: "orders/worker",
      // Non-default: keep the last 50 releases for rollback (default 30).
      keepReleaseImages: 50,
    });
    // The workers' role may pull the worker image, nothing more.
    this.registry.grantPull(this.workerRole);

    new TerraformOutput(this, "database_endpoint", { value: this.database.endpoint });
    new TerraformOutput(this, "database_secret_arn", { value: this.database.masterUserSecretArn });
    new TerraformOutput(this, "registry_url", { value: this.registry.repositoryUrl });
  }
}

const app = new App();
new OrdersStack(app, "orders-dev", {
  accountId: "123456789012",
  region: "eu-central-1",
  availabilityZones: ["eu-central-1a", "eu-central-1b"],
  stateBucket: "acme-orders-terraform-state",
});
app.synth();
