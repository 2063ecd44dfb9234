/**
 * One validator per kind of value (constructs/validators.ts): for each kind a table of accepted
 * and refused samples runs through the platform file's model (parsePlatform of the example with
 * the sample at its path) and through every construct that receives that value. Each must give
 * the same answer for every sample, so a value the model accepts never surfaces later as a
 * construct's refusal without a line, and the model refuses nothing a construct would take.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { stringify } from "yaml";
import { AlarmTopic } from "../../constructs/alarm-topic";
import { Cdn } from "../../constructs/cdn";
import { DatabaseBackup } from "../../constructs/database-backup";
import { DeliveryPipeline } from "../../constructs/delivery-pipeline";
import { KubernetesCluster } from "../../constructs/kubernetes-cluster";
import { KubernetesWorkload } from "../../constructs/kubernetes-workload";
import { LoadBalancer } from "../../constructs/load-balancer";
import { Network } from "../../constructs/network";
import { PostgresDatabase } from "../../constructs/postgres-database";
import { SourceRepository } from "../../constructs/source-repository";
import { SlipwayValidationError } from "../../constructs/util";
import * as validators from "../../constructs/validators";
import { parsePlatform, PlatformFileError } from "../../platform/model";
import { exampleDocument } from "../support/platform";

type Value = any;

/** A kind of value: where the model takes it, which constructs take it, and samples. */
interface Kind {
  readonly name: string;
  /** The shared validator(s) the kind is checked with. */
  readonly validators: readonly unknown[];
  /** Puts the sample at its path in the example document. */
  readonly model: (doc: any, value: Value) => void;
  /** Each construct that receives the value, built with it. */
  readonly constructs: Record<string, (value: Value) => void>;
  readonly accepted: readonly Value[];
  readonly refused: readonly Value[];
}

const stack = () => new TerraformStack(Testing.app(), "test");
const WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/a1b2c3d4-5678-90ab-cdef-0123456789ab";

const workload = (props: Record<string, unknown>) =>
  new KubernetesWorkload(stack(), "Workload", {
    name: "hello",
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello:initial",
    port: 8080,
    healthPath: "/healthz",
    replicas: { min: 1, max: 2 },
    nodePort: 30080,
    ingressFromCidrs: ["10.10.128.0/21"],
    ...props,
  });
const loadBalancer = (props: Record<string, unknown>) =>
  new LoadBalancer(stack(), "LoadBalancer", {
    name: "hello-dev",
    network: { vpcId: "vpc-1", publicSubnetIds: ["subnet-a", "subnet-b"], privateSubnetIds: ["subnet-c", "subnet-d"] },
    accountId: "111111111111",
    region: "eu-west-1",
    domain: "hello.dev.acme.example",
    healthPath: "/healthz",
    targetPort: 30080,
    ...props,
  });
const cdn = (props: Record<string, unknown>) => {
  const s = stack();
  const usEast1 = new AwsProvider(s, "aws_us_east_1", { alias: "us-east-1", region: "us-east-1" });
  new Cdn(s, "Cdn", { name: "hello-dev", accountId: "111111111111", domain: "hello.dev.acme.example", loadBalancerDnsName: "hello-1.eu-west-1.elb.amazonaws.com", certificateProvider: usEast1, ...props });
};
const cluster = (props: Record<string, unknown>) =>
  new KubernetesCluster(stack(), "Cluster", { name: "acme-dev", network: { vpcId: "vpc-1", privateSubnetIds: ["subnet-a", "subnet-b"] }, accountId: "111111111111", region: "eu-west-1", ...props });
const network = (props: Record<string, unknown>) =>
  new Network(stack(), "Network", { name: "acme-dev", cidrBlock: "10.50.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b"], accountId: "111111111111", region: "eu-west-1", ...props });
const database = (props: Record<string, unknown>) =>
  new PostgresDatabase(stack(), "Database", { name: "hello-dev", network: { vpcId: "vpc-1", privateSubnetIds: ["subnet-a", "subnet-b"] }, accountId: "111111111111", region: "eu-west-1", ...props });
const backup = (props: Record<string, unknown>) => {
  const scope = stack();
  const copyProvider = new AwsProvider(scope, "copy", { alias: "copy", region: "eu-central-1" });
  return new DatabaseBackup(scope, "Backup", { name: "hello-prod", database: { arn: "arn:aws:rds:eu-west-1:111111111111:db:hello-prod" }, accountId: "111111111111", region: "eu-west-1", copy: { region: "eu-central-1", provider: copyProvider }, ...props });
};
const pipeline = (props: Record<string, unknown>) =>
  new DeliveryPipeline(stack(), "Pipeline", { appName: "hello", testCommand: "npm test", healthPath: "/healthz", repository: { name: "hello" }, environments: [{ name: "dev" }], ...props });
const repository = (props: Record<string, unknown>) => new SourceRepository(stack(), "Repo", { name: "hello", owner: "acme-corp", ...props });

const alarmTopic = (props: Record<string, unknown>) => new AlarmTopic(stack(), "AlarmTopic", { name: "acme-prod", accountId: "123456789012", region: "eu-west-1", ...props });

const KINDS: Kind[] = [
  {
    name: "alarm email address",
    validators: [validators.emailAddress],
    model: (d, v) => (d.environments[2].alarms = { email: [v] }),
    constructs: { AlarmTopic: (v) => alarmTopic({ emails: [v] }) },
    accepted: ["oncall@acme.example", "first.last+alarms@sub.acme.example", "o'brien@acme.io"],
    refused: ["oncall", "oncall@acme", "on call@acme.example", "<oncall@acme.example>", "oncall@acme.example\n", "", `${"a".repeat(250)}@acme.example`],
  },
  {
    name: "CPU quantity",
    validators: [validators.cpuQuantity],
    model: (d, v) => (d.apps[0].cpu = v),
    constructs: { KubernetesWorkload: (v) => workload({ cpu: v }) },
    accepted: ["250m", "1", "0.5", "1.125", "2000m", "1m"],
    // "0", "0m" and "1.2345" passed the schema's old pattern and failed in the workload.
    refused: ["0", "0m", "1.2345", "-1", "250 m", "1.", "", "1e3", "250M"],
  },
  {
    name: "memory quantity",
    validators: [validators.memoryQuantity],
    model: (d, v) => (d.apps[0].memory = v),
    constructs: { KubernetesWorkload: (v) => workload({ memory: v }) },
    // 1Ti and 512M were refused by the schema's old pattern though the workload takes them.
    accepted: ["256Mi", "1Gi", "1Ti", "512M", "1048576", "64Ki"],
    // "0Mi" and "0256Mi" passed the schema's old pattern and failed in the workload.
    refused: ["0Mi", "0256Mi", "256m", "256 Mi", "1.5Gi", "", "Mi"],
  },
  {
    name: "container port",
    validators: [validators.containerPort],
    model: (d, v) => (d.apps[0].port = v),
    constructs: { KubernetesWorkload: (v) => workload({ port: v }) },
    accepted: [1024, 8080, 65535],
    // Below 1024 a non-root container without capabilities cannot bind the port.
    refused: [80, 443, 1023, 0, 65536, 8080.5],
  },
  {
    name: "node port",
    validators: [validators.nodePort],
    model: (d, v) => (d.apps[0].nodePort = v),
    constructs: { KubernetesWorkload: (v) => workload({ nodePort: v }), LoadBalancer: (v) => loadBalancer({ targetPort: v }) },
    accepted: [30000, 31000, 32767],
    refused: [29999, 32768, 8080, 30000.5],
  },
  {
    name: "egress port and CIDR",
    validators: [validators.port, validators.ipv4Cidr],
    model: (d, v) => (d.apps[0].egress = [v]),
    constructs: { KubernetesWorkload: (v) => workload({ extraEgress: [v] }) },
    accepted: [
      { cidr: "0.0.0.0/0", port: 443 },
      { cidr: "198.51.100.0/24", port: 1 },
      { cidr: "10.0.0.0/8", port: 65535 },
    ],
    refused: [
      { cidr: "198.51.100.7/24", port: 443 },
      { cidr: "198.51.300.0/24", port: 443 },
      { cidr: "10.0.0.0/33", port: 443 },
      { cidr: "10.0.0.0", port: 443 },
      { cidr: "10.0.0.0/8", port: 0 },
      { cidr: "10.0.0.0/8", port: 65536 },
    ],
  },
  {
    name: "VPC CIDR",
    validators: [validators.vpcCidr],
    model: (d, v) => (d.environments[0].network.cidr = v),
    constructs: { Network: (v) => network({ cidrBlock: v }) },
    accepted: ["10.50.0.0/16", "10.50.0.0/23", "172.16.0.0/16", "10.50.2.0/23"],
    refused: ["10.50.0.0/24", "10.0.0.0/15", "10.50.1.0/16", "10.300.0.0/16", "10.50.0.0"],
  },
  {
    name: "public access CIDR (each and together)",
    validators: [validators.publicAccessCidr, validators.publicAccessCidrList],
    model: (d, v) => (d.environments[0].cluster.publicAccessCidrs = v),
    constructs: { KubernetesCluster: (v) => cluster({ publicAccessCidrs: v }) },
    accepted: [[], ["203.0.113.0/24"], ["0.0.0.0/1"], ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"], ["203.0.113.0/24", "198.51.100.0/24"]],
    // Together these cover every IPv4 address; each alone is narrower.
    refused: [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"], ["203.0.113.7/24"], ["203.0.113.0"]],
  },
  {
    name: "IAM role ARN",
    validators: [validators.iamRoleArn, validators.iamPrincipalArn],
    model: (d, v) => (d.environments[0].cluster.adminRoleArns = [v]),
    constructs: { KubernetesCluster: (v) => cluster({ adminPrincipalArns: [v] }), KubernetesWorkload: (v) => workload({ serviceAccountRoleArn: v }) },
    accepted: ["arn:aws:iam::111111111111:role/admin", "arn:aws:iam::111111111111:role/team/admin", "arn:aws-us-gov:iam::111111111111:role/a+b=c,d.e@f-g_h"],
    refused: ["arn:aws:iam::11111111111:role/admin", "arn:aws:iam::111111111111:role/", "arn:aws:sts::111111111111:assumed-role/admin/x", "arn:aws:iam::111111111111:role/ad min", "arn:awsx:iam::111111111111:role/admin", "admin"],
  },
  {
    name: "WAF web ACL ARN (scope CLOUDFRONT)",
    validators: [validators.cloudFrontWebAclArn],
    model: (d, v) => (d.environments[2].cdn = { webAclArn: v }),
    constructs: { Cdn: (v) => cdn({ webAclArn: v }) },
    accepted: [WEB_ACL, "arn:aws:wafv2:us-east-1:222222222222:global/webacl/shop_prod-1/00000000-0000-0000-0000-000000000000"],
    // The first two passed the schema's old pattern (an id that is not a UUID, another partition) and failed in Cdn.
    refused: [
      "arn:aws:wafv2:us-east-1:222222222222:global/webacl/edge/0123",
      "arn:aws-cn:wafv2:us-east-1:222222222222:global/webacl/edge/a1b2c3d4-5678-90ab-cdef-0123456789ab",
      "arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/edge/a1b2c3d4-5678-90ab-cdef-0123456789ab",
      "arn:aws:wafv2:eu-west-1:222222222222:global/webacl/edge/a1b2c3d4-5678-90ab-cdef-0123456789ab",
      "a1b2c3d4-5678-90ab-cdef-0123456789ab",
    ],
  },
  {
    name: "domain",
    validators: [validators.domainName, validators.certificateDomainName],
    model: (d, v) => (d.apps[0].domains.dev = v),
    constructs: { Cdn: (v) => cdn({ domain: v }), LoadBalancer: (v) => loadBalancer({ domain: v }) },
    accepted: ["hello.dev.acme.example", "a.io", "xn--bcher-kva.example", `${"a".repeat(56)}.example`, "shop.example.co-op"],
    // 65 characters passed the model's old pattern and failed in Cdn and LoadBalancer (ACM's limit); "a.b1" the other way round.
    refused: [`${"a".repeat(57)}.example`, "localhost", "Hello.acme.example", "hello.acme.example.", "-hello.acme.example", "hello..acme.example", "hello dev", "shop.example.123"],
  },
  {
    name: "hosted zone id",
    validators: [validators.hostedZoneId],
    model: (d, v) => (d.environments[0].dns = { hostedZoneId: v }),
    constructs: { Cdn: (v) => cdn({ hostedZoneId: v }), LoadBalancer: (v) => loadBalancer({ hostedZoneId: v }) },
    accepted: ["Z0123456789ABCDEFGHIJ", "Z1"],
    refused: ["z0123", "Z", "Z0123456789ABCDEFGHIJ0123456789AB", "/hostedzone/Z123"],
  },
  {
    name: "health check path",
    validators: [validators.healthCheckPath],
    model: (d, v) => (d.apps[0].healthPath = v),
    constructs: {
      KubernetesWorkload: (v) => workload({ healthPath: v }),
      LoadBalancer: (v) => loadBalancer({ healthPath: v }),
      DeliveryPipeline: (v) => pipeline({ healthPath: v }),
    },
    accepted: ["/healthz", "/", "/api/v1/health-check", "/ready?full=1&x=%20", `/${"a".repeat(1023)}`],
    // 1025 characters passed the schema and failed in LoadBalancer; a query passed the load balancer and the workload but not the schema.
    refused: [`/${"a".repeat(1024)}`, "healthz", "/health check", '/health"; rm -rf /', "/$(id)", "http://x/healthz", ""],
  },
  {
    name: "CloudFront path pattern",
    validators: [validators.cloudFrontPathPattern],
    model: (d, v) => (d.apps[0].staticPath = v),
    constructs: { Cdn: (v) => cdn({ staticPathPattern: v }) },
    accepted: ["/static/*", "/assets/*.css", "/favicon.ico", "/a"],
    // "/*" passed the schema and failed in Cdn.
    refused: ["/*", "static/*", `/${"a".repeat(255)}`, "/static /*"],
  },
  {
    name: "shell command",
    validators: [validators.shellCommand],
    model: (d, v) => (d.apps[0].migrate = v),
    constructs: { KubernetesWorkload: (v) => workload({ migrateCommand: v }), DeliveryPipeline: (v) => pipeline({ migrateCommand: v }) },
    // The migrate command never enters a workflow (the CronJob runs it): `${{` is text there.
    accepted: ["npm run migrate", "./migrate.sh --to latest", "echo 'a\tb'", "echo ${{ secrets.TOKEN }}"],
    refused: ["   ", "", "echo \u0007"],
  },
  {
    name: "test command",
    validators: [validators.workflowShellCommand],
    model: (d, v) => (d.apps[0].test = v),
    constructs: { DeliveryPipeline: (v) => pipeline({ testCommand: v }) },
    accepted: ["npm test", "make test"],
    refused: [" ", "${{ github.token }}"],
  },
  {
    name: "runner label",
    validators: [validators.runnerLabel],
    model: (d, v) => (d.environments[0].deploy = { runsOn: [v] }),
    constructs: { DeliveryPipeline: (v) => pipeline({ environments: [{ name: "dev", runsOn: [v] }] }) },
    accepted: ["self-hosted", "ubuntu-latest", "acme-dev", "linux.arm64"],
    refused: ["", " ", " self-hosted", "${{ github.run_id }}", "a,b", "x".repeat(101)],
  },
  {
    name: "reviewer login",
    validators: [validators.githubLogin],
    model: (d, v) => (d.environments[2].approval = { reviewers: { users: [v] } }),
    constructs: { SourceRepository: (v) => repository({ environments: [{ name: "prod", requireApproval: true, reviewers: { users: [v] } }] }) },
    accepted: ["octocat", "a", "a-b-c", "A1"],
    // Each passed the schema (any non-empty string) and failed in SourceRepository.
    refused: ["a--b", "-a", "a-", "acme/octocat", "x".repeat(40), "@octocat"],
  },
  {
    name: "reviewer team { slug, id }",
    validators: [validators.githubTeamSlug, validators.githubTeamId],
    model: (d, v) => (d.environments[2].approval = { reviewers: { teams: [v] } }),
    constructs: { SourceRepository: (v) => repository({ environments: [{ name: "prod", requireApproval: true, reviewers: { teams: [v] } }] }) },
    accepted: [
      { slug: "platform", id: 4818261 },
      { slug: "release-managers", id: 1 },
      { slug: "team_1.x", id: Number.MAX_SAFE_INTEGER },
    ],
    refused: [
      // A bare slug, the old form: the id must be given (a pull request's token cannot look it up).
      "platform",
      { slug: "platform" },
      { id: 4818261 },
      { slug: "acme/platform", id: 4818261 },
      { slug: "Platform", id: 4818261 },
      { slug: "-x", id: 4818261 },
      { slug: "two words", id: 4818261 },
      { slug: "platform", id: 0 },
      { slug: "platform", id: -1 },
      { slug: "platform", id: 1.5 },
      { slug: "platform", id: "4818261" },
      { slug: "platform", id: 4818261, name: "Platform" },
      4818261,
    ],
  },
  {
    name: "GitHub owner",
    validators: [validators.githubLogin],
    model: (d, v) => (d.github.owner = v),
    constructs: { SourceRepository: (v) => repository({ owner: v }) },
    accepted: ["acme-corp", "Acme", "a"],
    refused: ["acme--corp", "acme-", "acme_corp", "x".repeat(40)],
  },
  {
    name: "default branch",
    validators: [validators.branchName],
    model: (d, v) => (d.github.defaultBranch = v),
    constructs: { SourceRepository: (v) => repository({ defaultBranch: v }), DeliveryPipeline: (v) => pipeline({ defaultBranch: v }) },
    accepted: ["main", "trunk", "release/2024", "v1.x"],
    refused: ["main..x", "-main", "main/", "main.lock", "HEAD", "ma in", "feature/*", "a//b"],
  },
  {
    name: "environment variable name",
    validators: [validators.environmentVariableName],
    model: (d, v) => (d.apps[0].env = { [v]: "x" }),
    constructs: { KubernetesWorkload: (v) => workload({ env: { [v]: "x" } }) },
    // Lower case was refused by the schema though the workload takes it.
    accepted: ["LOG_LEVEL", "_PRIVATE_FLAG", "log_level", "A1"],
    refused: ["1X", "LOG-LEVEL", "LOG LEVEL", ""],
  },
  {
    name: "Kubernetes version",
    validators: [validators.kubernetesVersion],
    model: (d, v) => (d.environments[0].cluster.version = v),
    constructs: { KubernetesCluster: (v) => cluster({ kubernetesVersion: v }) },
    accepted: ["1.33", "1.30"],
    refused: ["1.3", "1.33.1", "v1.33", "2"],
  },
  {
    name: "node instance types (each, and one architecture)",
    validators: [validators.ec2InstanceType],
    model: (d, v) => (d.environments[0].cluster.nodeInstanceTypes = v),
    constructs: { KubernetesCluster: (v) => cluster({ nodeInstanceTypes: v }) },
    accepted: [["c6i.large"], ["m7g.large", "c7g.xlarge"], ["m6i.large", "m5.large"]],
    // Mixed architectures passed the model and failed in KubernetesCluster.
    // The t family and Xen generations cannot trunk network interfaces: no security groups for pods.
    refused: [["m7g.large", "m6i.large"], ["M6I.large"], ["m6i"], [], ["t3.medium"], ["t4g.large"], ["m4.large"]],
  },
  {
    name: "node count",
    validators: [validators.nodeCount],
    model: (d, v) => (d.environments[0].cluster.nodes = { min: 1, desired: 1, max: v }),
    constructs: { KubernetesCluster: (v) => cluster({ nodeMinSize: 1, nodeDesiredSize: 1, nodeMaxSize: v }) },
    accepted: [1, 3, 450],
    // Above EKS's quota of nodes per managed node group.
    refused: [451, 1000, 0, 2.5],
  },
  {
    name: "RDS storage",
    validators: [validators.rdsStorageGiB],
    model: (d, v) => (d.environments[0].database = { storageGiB: v, maxStorageGiB: 65536 }),
    constructs: { PostgresDatabase: (v) => database({ storageGiB: v, maxStorageGiB: 65536 }) },
    accepted: [20, 100, 65536],
    refused: [19, 65537, 20.5, 0],
  },
  {
    name: "RDS automated backup retention",
    validators: [validators.rdsBackupRetentionDays],
    model: (d, v) => (d.environments[0].database = { backupRetentionDays: v }),
    constructs: { PostgresDatabase: (v) => database({ backupRetentionDays: v }) },
    accepted: [1, 7, 35],
    refused: [0, 36, 2.5],
  },
  {
    name: "AWS Backup retention",
    validators: [validators.backupVaultRetentionDays],
    model: (d, v) => (d.environments[2].database = { backupCopy: { retentionDays: v } }),
    constructs: { DatabaseBackup: (v) => backup({ retentionDays: v }) },
    accepted: [7, 35, 36500],
    refused: [6, 36501, 7.5, 0],
  },
  {
    name: "RDS storage ceiling",
    validators: [validators.rdsStorageGiB],
    model: (d, v) => (d.environments[0].database = { storageGiB: 20, maxStorageGiB: v }),
    constructs: { PostgresDatabase: (v) => database({ storageGiB: 20, maxStorageGiB: v }) },
    accepted: [20, 1000, 65536],
    refused: [19, 65537, 100.5],
  },
  {
    name: "AWS region (with its zones)",
    validators: [validators.awsRegion],
    model: (d, v) => {
      d.environments[0].region = v;
      d.environments[0].network.zones = [`${v}a`, `${v}b`];
    },
    constructs: { Network: (v) => network({ region: v, availabilityZones: [`${v}a`, `${v}b`] }) },
    accepted: ["eu-west-1", "us-gov-west-1", "ap-southeast-4", "eu-central-12"],
    refused: ["eu-west", "EU-WEST-1", "europe", "eu_west_1"],
  },
];

/** True when the model accepts the example with `change`; throws on anything but a platform-file error. */
function modelAccepts(change: (doc: any) => void): boolean {
  const doc = exampleDocument();
  change(doc);
  try {
    parsePlatform(stringify(doc), "parity.yaml");
    return true;
  } catch (error) {
    if (error instanceof PlatformFileError) return false;
    throw error;
  }
}

function constructAccepts(build: () => void): boolean {
  try {
    build();
    return true;
  } catch (error) {
    if (error instanceof SlipwayValidationError) return false;
    throw error;
  }
}

describe.each(KINDS.map((k) => [k.name, k] as const))("%s: the model and every construct that takes it accept the same values", (_name, kind) => {
  const samples = [...kind.accepted.map((v) => [v, true] as const), ...kind.refused.map((v) => [v, false] as const)];
  test.each(samples.map(([v, ok]) => [JSON.stringify(v).slice(0, 70), v, ok] as const))("%s", (_label, value, ok) => {
    const answers: Record<string, boolean> = { model: modelAccepts((d) => kind.model(d, value)) };
    for (const [name, build] of Object.entries(kind.constructs)) answers[name] = constructAccepts(() => build(value));
    const expected = Object.fromEntries(Object.keys(answers).map((k) => [k, ok]));
    expect(answers).toEqual(expected);
  });
});

test("a reviewer team named twice, by its slug or by its id, is refused by the model and SourceRepository alike", () => {
  const platform = { slug: "platform", id: 4818261 };
  for (const teams of [[platform, { slug: "platform", id: 1 }], [platform, { slug: "releasers", id: platform.id }]]) {
    expect(modelAccepts((d) => (d.environments[2].approval = { reviewers: { teams } }))).toBe(false);
    expect(constructAccepts(() => repository({ environments: [{ name: "prod", requireApproval: true, reviewers: { teams } }] }))).toBe(false);
  }
  const distinct = [platform, { slug: "releasers", id: 1 }];
  expect(modelAccepts((d) => (d.environments[2].approval = { reviewers: { teams: distinct } }))).toBe(true);
  expect(constructAccepts(() => repository({ environments: [{ name: "prod", requireApproval: true, reviewers: { teams: distinct } }] }))).toBe(true);
});

test("only LoadBalancer, for library users, also takes a wildcard domain: the model and Cdn refuse it (one distribution per app)", () => {
  expect(modelAccepts((d) => (d.apps[0].domains.dev = "*.acme.example"))).toBe(false);
  expect(constructAccepts(() => cdn({ domain: "*.acme.example" }))).toBe(false);
  expect(constructAccepts(() => loadBalancer({ domain: "*.acme.example" }))).toBe(true);
});

test("the smallest VPC the model accepts (/23) over the most zones it accepts (4) still splits into subnets AWS takes (/28 at least)", () => {
  const cidr = "10.50.0.0/23";
  const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"];
  expect(modelAccepts((d) => (d.environments[0].network = { cidr, zones }))).toBe(true);
  expect(modelAccepts((d) => (d.environments[0].network = { cidr, zones: [...zones, "eu-west-1e"] }))).toBe(false);
  const net = network({ cidrBlock: cidr, availabilityZones: zones });
  const prefixes = [...net.privateSubnetCidrs, ...net.publicSubnetCidrs].map((c) => Number(c.split("/")[1]));
  expect(prefixes.every((p) => p <= 28)).toBe(true);
  expect(new Set([...net.privateSubnetCidrs, ...net.publicSubnetCidrs]).size).toBe(8);
});

test("every shared validator is exercised by a kind above", () => {
  const exported = Object.entries(validators).filter(([, v]) => typeof v === "object" && v !== null && typeof (v as { problem?: unknown }).problem === "function");
  const covered = new Set(KINDS.flatMap((k) => k.validators));
  // Backend names have no construct (the backend is configured in stacks); the model tests cover them.
  const modelOnly = ["hcpWorkspaceName", "hcpOrganizationName", "s3KeyPrefix", "s3BucketName", "awsAccountId"];
  const missing = exported.filter(([name, v]) => !covered.has(v) && !modelOnly.includes(name)).map(([name]) => name);
  expect(missing).toEqual([]);
  expect(exported.length).toBeGreaterThan(20);
});
