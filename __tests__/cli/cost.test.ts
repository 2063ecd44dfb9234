/**
 * The cost estimate (cli/cost.ts over cli/cost/price.js): the example platform's total against a
 * hand calculation from the snapshot's numbers, known changes and their deltas, unpriced types,
 * assumptions from the platform file, and `npm run cost --json` field by field.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { costOfOutput, costReport, CostReport, costScopes, formatCostReport, main, SHARED } from "../../cli/cost";
import { DEFAULT_ASSUMPTIONS, priceResources, PRICES, unpricedOf } from "../../cli/cost/price";
import { formatSummary, synthesize } from "../../cli/synth";
import { PlatformConfig, PlatformFileError } from "../../platform/model";
import { buildPlatform } from "../../stacks";
import { EXAMPLE_FILE, examplePlatform, exampleDocument, ROOT, tempDir } from "../support/platform";
import { stringify } from "yaml";

/** The platform synthesized in memory and priced, as `npm run cost` does. */
function costOf(platform: PlatformConfig): CostReport {
  const outdir = tempDir("slipway-cost-");
  try {
    const app = new App({ outdir });
    const built = buildPlatform(app, platform);
    app.synth();
    const json = (name: string) => JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
    return costReport(
      built.stacks.map((s) => ({ name: s.stackName, json: json(s.stackName) })),
      { assumptions: platform.cost.assumptions, stacks: costScopes(built, json) },
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const stackUsd = (report: CostReport, name: string) => report.stacks.find((s) => s.name === name)!.monthlyUsd;

/** A price of the snapshot, read by hand. */
const P = (key: string, region = "eu-west-1"): number => {
  const price = PRICES.regions[region]?.[key];
  if (!price) throw new Error(`no ${key} in ${region}`);
  return price.usd;
};
const H = 730;

describe("the example platform's monthly cost", () => {
  const report = costOf(examplePlatform());

  // By hand, line by line, from the snapshot and the default assumptions (1 GiB a month per log
  // group, 100 GiB per NAT gateway, 1 LCU, 50 GiB and 1 million requests per distribution, 5 GiB
  // per bucket, 1000 runner minutes, 10 GiB of images, 20 GiB per backup vault, no extra backups).
  const logGroups = (...retentionDays: number[]) => retentionDays.length * 1 * P("logs.ingest") + retentionDays.reduce((sum, d) => sum + (1 * d) / 30, 0) * P("logs.storage");
  const platformStack = (nodes: number, type: string, natGateways: number, containerLogDays: number, runners = 2) =>
    H * P("eks.cluster") +
    nodes * H * P(`ec2.instance.${type}`) +
    nodes * 50 * P("ebs.gp3") + // the launch template's 50 GiB gp3 volume per node
    natGateways * (H * P("vpc.nat.hour") + 100 * P("vpc.nat.data")) +
    natGateways * H * P("vpc.ipv4") + // each NAT gateway's Elastic IP
    runners * 1000 * P("codebuild.linux.BUILD_GENERAL1_SMALL") + // plan and deploy runners (and the previews' host's preview runner)
    3 * P("kms.key") + P("kms.key", "us-east-1") + // logs, cluster secrets, alarm topic; the us-east-1 alarm topic
    logGroups(...Array(runners).fill(90), 365, 365, containerLogDays, containerLogDays, containerLogDays, containerLogDays); // runners, control plane, flow logs, Container Insights x4
  const appStack = (database: number) =>
    database +
    H * P("elb.application.hour") + 1 * H * P("elb.application.lcu") +
    50 * P("cloudfront.data", "us-east-1") + 100 * P("cloudfront.requests", "us-east-1") + // 1 million requests = 100 x 10,000
    logGroups(365, 365) + // postgresql and upgrade logs
    11 * P("cloudwatch.alarm") + 1 * P("cloudwatch.alarm", "us-east-1") + // 8 alarms of one metric, 2 metric-math alarms of 2 metrics; the CDN's in us-east-1
    P("cloudwatch.dashboard") +
    P("secretsmanager.secret");
  const expected: Record<string, number> = {
    "bootstrap-111111111111": 0,
    "bootstrap-222222222222": 0,
    "platform-dev": platformStack(2, "c6i.large", 1, 30, 3), // dev hosts hello's previews: a preview runner too
    "platform-staging": platformStack(2, "c6i.large", 1, 30),
    "platform-prod": platformStack(3, "m6i.large", 3, 365),
    "kube-system-dev": 0,
    "kube-system-staging": 0,
    "kube-system-prod": 0,
    "hello-delivery": 10 * P("ecr.storage") + P("kms.key"),
    // dev hosts hello's previews: their registry (10 GiB of images) and its key.
    "hello-dev": appStack(H * P("rds.postgres.db.t4g.micro") + 20 * P("rds.storage.gp3")) + 1 * 5 * P("s3.standard") + 2 * P("kms.key") + 10 * P("ecr.storage") + P("kms.key"),
    "hello-staging": appStack(H * P("rds.postgres.db.t4g.micro") + 20 * P("rds.storage.gp3")) + 1 * 5 * P("s3.standard") + 2 * P("kms.key"),
    "hello-prod":
      appStack(2 * H * P("rds.postgres.db.m6g.large") + 2 * 100 * P("rds.storage.gp3")) + // Multi-AZ: primary and standby, 100 GiB each
      3 * 5 * P("s3.standard") + // assets, CDN logs, load balancer logs
      3 * P("kms.key") + P("kms.key", "eu-central-1") + // database, secrets, backup vault; the copy vault's
      20 * P("backup.rds") + 20 * P("backup.rds", "eu-central-1"), // the vault and its off-region copy
  };

  test("each stack's total equals the hand calculation", () => {
    expect(report.stacks.map((s) => s.name).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, usd] of Object.entries(expected)) expect({ name, usd: stackUsd(report, name) }).toEqual({ name, usd: Math.round(usd * 100) / 100 });
  });

  test("the total, and the totals per environment and app, add up the stacks", () => {
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(report.monthlyUsd).toBeCloseTo(total, 1);
    const env = (name: string) => report.environments.find((e) => e.name === name)!.monthlyUsd;
    expect(report.environments.map((e) => e.name)).toEqual(["dev", "staging", "prod", SHARED]);
    expect(env("prod")).toBeCloseTo(expected["platform-prod"] + expected["hello-prod"], 1);
    expect(env(SHARED)).toBeCloseTo(expected["hello-delivery"], 2);
    expect(report.apps).toEqual([{ name: "hello", monthlyUsd: expect.any(Number) }]);
    expect(report.apps[0].monthlyUsd).toBeCloseTo(expected["hello-delivery"] + expected["hello-dev"] + expected["hello-staging"] + expected["hello-prod"], 1);
  });

  test("every resource is priced or has a reason; the CloudFront log delivery is the one unpriced", () => {
    // Only production logs CloudFront requests.
    expect(report.unpriced).toEqual([
      { stack: "hello-prod", address: expect.stringMatching(/^aws_cloudwatch_log_delivery\.Cdn_LogDelivery_/), type: "aws_cloudwatch_log_delivery", reason: "CloudFront standard logs (v2) are charged per GiB delivered, which this estimate does not model" },
    ]);
  });

  test("each line says what it assumes", () => {
    const nodes = report.stacks.find((s) => s.name === "platform-prod")!.resources.find((r) => r.type === "aws_eks_node_group")!;
    expect(nodes.lines[0]).toEqual({
      what: "3 × m6i.large nodes",
      priceKey: "ec2.instance.m6i.large",
      region: "eu-west-1",
      quantity: 3 * H,
      unit: "instance-hour",
      unitUsd: P("ec2.instance.m6i.large"),
      monthlyUsd: 3 * H * P("ec2.instance.m6i.large"),
      assumes: "3 nodes (the desired size; the cluster autoscaler moves it between 3 and 9) × 730 hours, on demand",
    });
    const text = formatCostReport(report);
    expect(text).toContain("data processed: $4.80 = 100 GiB processed × $0.048 (eu-west-1); assumes 100 GiB a month through it (assumption natGatewayDataGiB)");
    expect(text).toContain("hello-prod aws_cloudwatch_log_delivery.Cdn_LogDelivery_");
  });
});

describe("known changes give the expected delta", () => {
  const before = costOf(examplePlatform());

  test("one more node in dev: one instance and its volume", () => {
    const after = costOf(examplePlatform((doc) => (doc.environments[0].cluster.nodes = { min: 1, desired: 3, max: 3 })));
    expect(stackUsd(after, "platform-dev") - stackUsd(before, "platform-dev")).toBeCloseTo(H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3"), 1);
    expect(after.monthlyUsd - before.monthlyUsd).toBeCloseTo(H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3"), 1);
  });

  test("Multi-AZ off in prod: the standby's instance hours and storage", () => {
    const after = costOf(examplePlatform((doc) => (doc.environments[2].protection = { multiAz: false, overrideReason: "cost test: one zone until launch" })));
    expect(stackUsd(before, "hello-prod") - stackUsd(after, "hello-prod")).toBeCloseTo(H * P("rds.postgres.db.m6g.large") + 100 * P("rds.storage.gp3"), 1);
    expect(stackUsd(after, "platform-prod")).toBe(stackUsd(before, "platform-prod"));
  });
});

describe("unpriced, never silently zero", () => {
  test("an unknown resource type is listed unpriced with the reason", () => {
    const priced = priceResources([
      { stack: "s", address: "aws_sagemaker_endpoint.e", type: "aws_sagemaker_endpoint", region: "eu-west-1", values: {} },
      { stack: "s", address: "aws_kms_key.k", type: "aws_kms_key", region: "eu-west-1", values: {} },
    ]);
    expect(priced[0]).toEqual({ stack: "s", address: "aws_sagemaker_endpoint.e", type: "aws_sagemaker_endpoint", region: "eu-west-1", status: "unpriced", reason: "resource type aws_sagemaker_endpoint is not in Slipway's cost model", monthlyUsd: 0, lines: [] });
    expect(unpricedOf(priced)).toEqual([{ stack: "s", address: "aws_sagemaker_endpoint.e", type: "aws_sagemaker_endpoint", reason: "resource type aws_sagemaker_endpoint is not in Slipway's cost model" }]);
  });

  test("a price the snapshot lacks (an instance type, a region) is named, and the rest of the resource still priced", () => {
    const [nodes, cluster] = priceResources([
      { stack: "s", address: "aws_eks_node_group.n", type: "aws_eks_node_group", region: "eu-west-1", values: { instance_types: ["x2iedn.32xlarge"], scaling_config: [{ desired_size: 2, min_size: 1, max_size: 3 }], disk_size: 30 } },
      { stack: "s", address: "aws_eks_cluster.c", type: "aws_eks_cluster", region: "ap-southeast-7", values: {} },
    ]);
    expect(nodes.status).toBe("priced");
    expect(nodes.notPriced).toEqual(["no price ec2.instance.x2iedn.32xlarge in eu-west-1 in the snapshot (2026-12-06)"]);
    expect(nodes.lines.map((l) => l.what)).toEqual(["2 × 30 GiB gp2 node volumes"]);
    expect(cluster).toMatchObject({ status: "unpriced", reason: "no price eks.cluster in ap-southeast-7 in the snapshot (2026-12-06)", monthlyUsd: 0 });
  });

  test("every AWS resource type the constructs and stacks create has a verdict: priced, no charge, or a known reason", () => {
    const files = ["constructs", "stacks"].flatMap((dir) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith(".ts")).map((f) => path.join(ROOT, dir, f)));
    const types = [...new Set(files.flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(/@cdktf\/provider-aws\/lib\/([a-z0-9-]+)/g)].map((m) => m[1])))]
      .filter((lib) => lib !== "provider" && !lib.startsWith("data-"))
      .map((lib) => `aws_${lib.replace(/-/g, "_")}`)
      .sort();
    expect(types.length).toBeGreaterThan(40);
    const priced = priceResources(types.map((type) => ({ stack: "s", address: `${type}.r`, type, region: "eu-west-1", values: {} })));
    expect(priced.filter((p) => p.reason?.includes("is not in Slipway's cost model")).map((p) => p.type)).toEqual([]);
  });

  test("free types say why; GitHub and Kubernetes objects cost AWS nothing", () => {
    const [role, repo, deployment] = priceResources([
      { stack: "s", address: "aws_iam_role.r", type: "aws_iam_role", region: "eu-west-1", values: {} },
      { stack: "s", address: "github_repository.r", type: "github_repository", region: "eu-west-1", values: {} },
      { stack: "s", address: "kubernetes_deployment_v1.d", type: "kubernetes_deployment_v1", region: "eu-west-1", values: {} },
    ]);
    expect([role.status, role.reason]).toEqual(["free", "IAM is free"]);
    expect([repo.status, repo.reason]).toEqual(["free", "a GitHub object: no AWS charge"]);
    expect([deployment.status, deployment.reason]).toEqual(["free", "a Kubernetes object: it runs on the cluster's priced nodes"]);
  });
});

describe("assumptions from the platform file", () => {
  test("cost.assumptions overrides the defaults, and every line that uses one follows", () => {
    const before = costOf(examplePlatform());
    const after = costOf(examplePlatform((doc) => (doc.cost = { assumptions: { natGatewayDataGiB: 500, cdnDataOutGiB: 1000 } })));
    expect(after.assumptions).toEqual({ ...DEFAULT_ASSUMPTIONS, natGatewayDataGiB: 500, cdnDataOutGiB: 1000 });
    // dev has one NAT gateway, prod three.
    expect(stackUsd(after, "platform-dev") - stackUsd(before, "platform-dev")).toBeCloseTo(400 * P("vpc.nat.data"), 2);
    expect(stackUsd(after, "platform-prod") - stackUsd(before, "platform-prod")).toBeCloseTo(3 * 400 * P("vpc.nat.data"), 2);
    expect(stackUsd(after, "hello-dev") - stackUsd(before, "hello-dev")).toBeCloseTo(950 * P("cloudfront.data", "us-east-1"), 2);
    const nat = after.stacks.find((s) => s.name === "platform-dev")!.resources.find((r) => r.type === "aws_nat_gateway")!;
    expect(nat.lines[1]).toMatchObject({ quantity: 500, assumes: "500 GiB a month through it (assumption natGatewayDataGiB)" });
  });

  test("fails when an assumption is negative or unknown, naming the file, line and path", () => {
    const doc = exampleDocument();
    doc.cost = { assumptions: { natGatewayDataGiB: -1, natGatewayGiB: 5 } };
    const dir = tempDir("slipway-cost-bad-");
    try {
      const file = path.join(dir, "platform.yaml");
      fs.writeFileSync(file, stringify(doc));
      let error: unknown;
      try {
        synthesize({ platformFile: file, outdir: path.join(dir, "out") });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlatformFileError);
      const message = (error as Error).message;
      expect(message).toContain(file);
      expect(message).toMatch(/cost\.assumptions\.natGatewayDataGiB/);
      expect(message).toMatch(/natGatewayGiB/);
      expect(message).toMatch(/:\d+/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run cost", () => {
  const dir = tempDir("slipway-cost-cli-");
  const outdir = path.join(dir, "out");
  synthesize({ platformFile: EXAMPLE_FILE, outdir });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
    try {
      return { code: await main(argv), out: out.join("\n") };
    } finally {
      log.mockRestore();
    }
  }

  test("--json: the report, field by field", async () => {
    const { code, out } = await run(["--from", outdir, "--json"]);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    const report = costOfOutput(outdir);
    expect(Object.keys(json)).toEqual(["snapshot", "assumptions", "monthlyUsd", "environments", "apps", "stacks", "unpriced"]);
    expect(json.snapshot).toEqual({ date: "2026-12-06", currency: "USD", hoursPerMonth: 730 });
    expect(json.assumptions).toEqual(DEFAULT_ASSUMPTIONS);
    expect(json.monthlyUsd).toBe(report.monthlyUsd);
    expect(json.environments.map((e: any) => e.name)).toEqual(["dev", "staging", "prod", "shared"]);
    expect(json.apps.map((a: any) => a.name)).toEqual(["hello"]);
    expect(json.stacks.map((s: any) => s.name)).toEqual(["bootstrap-111111111111", "bootstrap-222222222222", "platform-dev", "platform-staging", "platform-prod", "kube-system-dev", "kube-system-staging", "kube-system-prod", "hello-delivery", "hello-dev", "hello-staging", "hello-prod"].filter((n) => json.stacks.some((s: any) => s.name === n)));
    const dev = json.stacks.find((s: any) => s.name === "platform-dev");
    expect(Object.keys(dev)).toEqual(["name", "environment", "monthlyUsd", "resources", "free"]);
    expect(dev.environment).toBe("dev");
    const cluster = dev.resources.find((r: any) => r.type === "aws_eks_cluster");
    expect(cluster).toEqual({
      stack: "platform-dev",
      address: expect.stringMatching(/^aws_eks_cluster\.Cluster_/),
      type: "aws_eks_cluster",
      region: "eu-west-1",
      status: "priced",
      monthlyUsd: H * P("eks.cluster"),
      lines: [{ what: "control plane", priceKey: "eks.cluster", region: "eu-west-1", quantity: H, unit: "cluster-hour", unitUsd: P("eks.cluster"), monthlyUsd: H * P("eks.cluster"), assumes: "730 hours; standard Kubernetes version support" }],
    });
    const delivery = json.stacks.find((s: any) => s.name === "hello-delivery");
    expect([delivery.app, delivery.environment, delivery.monthlyUsd]).toEqual(["hello", undefined, 10 * P("ecr.storage") + P("kms.key")]);
    expect(json.unpriced).toEqual([{ stack: "hello-prod", address: report.unpriced[0].address, type: "aws_cloudwatch_log_delivery", reason: report.unpriced[0].reason }]);
  });

  test("the human report: totals per environment and app, then each stack's lines", async () => {
    const { code, out } = await run(["--from", outdir]);
    expect(code).toBe(0);
    const report = costOfOutput(outdir);
    expect(out.split("\n")[0]).toBe(`Monthly cost estimate: $${report.monthlyUsd.toFixed(2)} (USD, on-demand prices of 2026-12-06, 730 hours a month; usage from cost.assumptions)`);
    expect(out).toMatch(/^prod +\$\d+\.\d\d$/m);
    expect(out).toMatch(/^hello +\$\d+\.\d\d$/m);
    expect(out).toContain("Not counted (1): add the price to cli/cost/prices.json, or the type to cli/cost/price.js");
  });

  test("the synth summary shows the monthly total per environment", () => {
    const result = synthesize({ platformFile: EXAMPLE_FILE, outdir: path.join(dir, "again") });
    const report = costOfOutput(outdir);
    const e = (name: string) => `$${report.environments.find((x) => x.name === name)!.monthlyUsd.toFixed(2)}`;
    expect(result.cost).toEqual(report);
    expect(formatSummary(result).split("\n")).toContain(
      `monthly cost estimate $${report.monthlyUsd.toFixed(2)}: dev ${e("dev")}, staging ${e("staging")}, prod ${e("prod")}, shared ${e("shared")} (prices of 2026-12-06, stated assumptions: npm run cost)`,
    );
  });

  test("fails when --from is not synth output, saying what to run", async () => {
    const err: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((line: string) => void err.push(line));
    try {
      expect(await main(["--from", dir])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(err.join("\n")).toContain("Run npm run synth first");
  });
});
