/**
 * The cost change of a pull request: the engine over a plan's before/after values per stack,
 * `scripts/plan-summary.js cost` as the plan job runs it (in bash, against a stand-in Terraform),
 * and the cost lines of the pull-request comment.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { infraStacks, infraWorkflows, INFRA_WORKFLOW_FILES, matrixVariable } from "../../cli/infra-workflows";
import { synthesize } from "../../cli/synth";
import { DEFAULT_ASSUMPTIONS, planDelta, PRICES, resourcesOfPlan } from "../../cli/cost/price";
import { main as planSummary, PlanJson, readPlans, StackPlan, summarize } from "../../scripts/plan-summary";
import { examplePlatform, ROOT, tempDir } from "../support/platform";
import { runJob } from "../support/workflow-steps";

type Json = Record<string, any>;
const H = 730;
const P = (key: string, region = "eu-west-1"): number => PRICES.regions[region][key].usd;
const SCRIPT = path.join(ROOT, "scripts", "plan-summary.js");
const round = (usd: number) => Math.round(usd * 100) / 100;

/** A resource change as `terraform show -json` writes it. */
function change(address: string, actions: string[], before: Json | null, after: Json | null, mode = "managed"): Json {
  const type = address.split(".")[0];
  return { address, mode, type, name: address.split(".")[1], provider_name: "registry.terraform.io/hashicorp/aws", change: { actions, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } };
}

const LAUNCH_TEMPLATE = { id: "lt-0123456789", block_device_mappings: [{ device_name: "/dev/xvda", ebs: [{ volume_size: 50, volume_type: "gp3" }] }] };
const nodeGroup = (desired: number) => ({ instance_types: ["c6i.large"], scaling_config: [{ desired_size: desired, min_size: 1, max_size: 3 }], launch_template: [{ id: "lt-0123456789", version: "1" }] });

/**
 * A plan of platform-dev: one more node (update), a NAT gateway and its address created, a key in
 * us-east-1 kept and one in the stack's region destroyed, the cluster unchanged, and a resource of
 * a type the cost model does not know created.
 */
const PLATFORM_PLAN = {
  format_version: "1.2",
  terraform_version: "1.11.4",
  resource_changes: [
    change("aws_eks_cluster.cluster", ["no-op"], { name: "acme-dev" }, { name: "acme-dev" }),
    change("aws_launch_template.nodes", ["no-op"], LAUNCH_TEMPLATE, LAUNCH_TEMPLATE),
    change("aws_eks_node_group.nodes", ["update"], nodeGroup(2), nodeGroup(3)),
    change("aws_nat_gateway.nat1", ["create"], null, { subnet_id: "subnet-1" }),
    change("aws_eip.nat1", ["create"], null, { domain: "vpc" }),
    change("aws_kms_key.global", ["no-op"], { description: "us-east-1 key" }, { description: "us-east-1 key" }),
    change("aws_kms_key.old", ["delete"], { description: "a key no longer used" }, null),
    change("aws_sagemaker_endpoint.model", ["create"], null, { name: "model" }),
    change("data.aws_caller_identity.current", ["read"], null, { account_id: "111111111111" }, "data"),
  ],
  configuration: {
    provider_config: {
      aws: { name: "aws", full_name: "registry.terraform.io/hashicorp/aws", expressions: { region: { constant_value: "eu-west-1" } } },
      "aws.us-east-1": { name: "aws", full_name: "registry.terraform.io/hashicorp/aws", alias: "us-east-1", expressions: { region: { constant_value: "us-east-1" } } },
    },
    root_module: { resources: [{ address: "aws_kms_key.global", mode: "managed", type: "aws_kms_key", name: "global", provider_config_key: "aws.us-east-1" }] },
  },
};
const PLATFORM_BEFORE = H * P("eks.cluster") + 2 * (H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3")) + P("kms.key", "us-east-1") + P("kms.key");
const PLATFORM_DELTA = H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3") + H * P("vpc.nat.hour") + 100 * P("vpc.nat.data") + H * P("vpc.ipv4") - P("kms.key");

const database = (multiAz: boolean) => ({ engine: "postgres", instance_class: "db.m6g.large", allocated_storage: 100, storage_type: "gp3", multi_az: multiAz });
/** A plan of hello-prod: Multi-AZ turned off. */
const APP_PLAN = { format_version: "1.2", resource_changes: [change("aws_db_instance.db", ["update"], database(true), database(false))] };
const APP_DELTA = -(H * P("rds.postgres.db.m6g.large") + 100 * P("rds.storage.gp3"));

/** slipway.json as synth writes it for the example: the stacks, the assumptions and each stack's scope. */
let slipwayJson: Json;
let workdir: string;
beforeAll(() => {
  workdir = tempDir("slipway-cost-plan-");
  synthesize({ platformFile: path.join(ROOT, "platform.yaml"), outdir: path.join(workdir, "cdktf.out") });
  slipwayJson = JSON.parse(fs.readFileSync(path.join(workdir, "cdktf.out", "slipway.json"), "utf8"));
});
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

describe("a plan's cost change", () => {
  test("synth writes the assumptions and every stack's scope into slipway.json", () => {
    expect(slipwayJson.cost.assumptions).toEqual(DEFAULT_ASSUMPTIONS);
    expect(slipwayJson.cost.stacks["platform-dev"]).toEqual({ environment: "dev", region: "eu-west-1" });
    expect(slipwayJson.cost.stacks["hello-prod"]).toEqual({ environment: "prod", app: "hello", region: "eu-west-1" });
    expect(slipwayJson.cost.stacks["hello-delivery"]).toEqual({ app: "hello", region: "eu-west-1" });
    expect(slipwayJson.cost.stacks["bootstrap-222222222222"]).toEqual({ region: "eu-west-1" });
  });

  test("before and after come from the plan's values; regions from its provider configuration; data sources are left out", () => {
    const { before, after } = resourcesOfPlan("platform-dev", PLATFORM_PLAN, "eu-west-1");
    expect(before.map((r) => r.address)).toEqual(["aws_eks_cluster.cluster", "aws_launch_template.nodes", "aws_eks_node_group.nodes", "aws_kms_key.global", "aws_kms_key.old"]);
    expect(after.map((r) => r.address)).toEqual(["aws_eks_cluster.cluster", "aws_launch_template.nodes", "aws_eks_node_group.nodes", "aws_nat_gateway.nat1", "aws_eip.nat1", "aws_kms_key.global", "aws_sagemaker_endpoint.model"]);
    expect(after.find((r) => r.address === "aws_kms_key.global")!.region).toBe("us-east-1");
    expect(after.find((r) => r.address === "aws_eip.nat1")!.region).toBe("eu-west-1");
  });

  test("per stack: totals before and after, the resources whose price changes, and what is unpriced", () => {
    const delta = planDelta("platform-dev", PLATFORM_PLAN, { defaultRegion: "eu-west-1" });
    expect(delta.beforeUsd).toBe(round(PLATFORM_BEFORE));
    expect(delta.afterUsd).toBe(round(PLATFORM_BEFORE + PLATFORM_DELTA));
    expect(delta.deltaUsd).toBe(round(PLATFORM_DELTA));
    expect(delta.changes).toEqual([
      { address: "aws_eip.nat1", beforeUsd: 0, afterUsd: round(H * P("vpc.ipv4")), deltaUsd: round(H * P("vpc.ipv4")) },
      { address: "aws_eks_node_group.nodes", beforeUsd: round(2 * (H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3"))), afterUsd: round(3 * (H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3"))), deltaUsd: round(H * P("ec2.instance.c6i.large") + 50 * P("ebs.gp3")) },
      { address: "aws_kms_key.old", beforeUsd: 1, afterUsd: 0, deltaUsd: -1 },
      { address: "aws_nat_gateway.nat1", beforeUsd: 0, afterUsd: round(H * P("vpc.nat.hour") + 100 * P("vpc.nat.data")), deltaUsd: round(H * P("vpc.nat.hour") + 100 * P("vpc.nat.data")) },
    ]);
    expect(delta.unpriced).toEqual([{ stack: "platform-dev", address: "aws_sagemaker_endpoint.model", type: "aws_sagemaker_endpoint", reason: "resource type aws_sagemaker_endpoint is not in Slipway's cost model" }]);
    const app = planDelta("hello-prod", APP_PLAN, { defaultRegion: "eu-west-1" });
    expect([app.beforeUsd - app.afterUsd, app.deltaUsd]).toEqual([expect.closeTo(-APP_DELTA, 2), round(APP_DELTA)]);
  });

  test("the assumptions in slipway.json price the plan", () => {
    const delta = planDelta("platform-dev", PLATFORM_PLAN, { defaultRegion: "eu-west-1", assumptions: { natGatewayDataGiB: 1000 } });
    expect(delta.deltaUsd).toBe(round(PLATFORM_DELTA + 900 * P("vpc.nat.data")));
  });
});

describe("plan-summary.js cost and the pull-request comment", () => {
  /** `node scripts/plan-summary.js cost` in a child process, as the plan job runs it; returns cost.json. */
  function costJson(stack: string, plan: Json, slipway: Json = slipwayJson): { status: number | null; stdout: string; stderr: string; json?: Json } {
    const dir = tempDir("slipway-cost-cli-");
    try {
      fs.writeFileSync(path.join(dir, "plan.json"), JSON.stringify(plan));
      fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify(slipway));
      const result = spawnSync("bash", ["-c", `node "$SCRIPT" cost --plan plan.json --stack "$STACK" --slipway slipway.json --out cost.json`], { cwd: dir, encoding: "utf8", env: { ...process.env, SCRIPT, STACK: stack } });
      const out = path.join(dir, "cost.json");
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, json: fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : undefined };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test("cost writes totals and addresses, never a value", () => {
    const result = costJson("platform-dev", PLATFORM_PLAN);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`platform-dev: $${round(PLATFORM_BEFORE).toFixed(2)} -> $${round(PLATFORM_BEFORE + PLATFORM_DELTA).toFixed(2)} a month (+$${round(PLATFORM_DELTA).toFixed(2)}); 1 not counted`);
    const json = result.json!;
    expect(Object.keys(json)).toEqual(["slipway_cost", "stack", "beforeUsd", "afterUsd", "deltaUsd", "changes", "unpriced"]);
    expect([json.slipway_cost, json.stack, json.beforeUsd, json.afterUsd, json.deltaUsd]).toEqual([true, "platform-dev", round(PLATFORM_BEFORE), round(PLATFORM_BEFORE + PLATFORM_DELTA), round(PLATFORM_DELTA)]);
    expect(json.changes.map((c: Json) => c.address)).toEqual(["aws_eip.nat1", "aws_eks_node_group.nodes", "aws_kms_key.old", "aws_nat_gateway.nat1"]);
    expect(json.unpriced).toEqual([{ address: "aws_sagemaker_endpoint.model", reason: "resource type aws_sagemaker_endpoint is not in Slipway's cost model" }]);
    expect(JSON.stringify(json)).not.toContain("subnet-1");
  });

  test("cost uses the assumptions synth wrote, and fails on a stack slipway.json does not scope", () => {
    const more = costJson("platform-dev", PLATFORM_PLAN, { ...slipwayJson, cost: { ...slipwayJson.cost, assumptions: { ...slipwayJson.cost.assumptions, natGatewayDataGiB: 1000 } } });
    expect(more.json!.deltaUsd).toBe(round(PLATFORM_DELTA + 900 * P("vpc.nat.data")));
    const unknown = costJson("nope", PLATFORM_PLAN);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("stack nope has no cost scope in slipway.json");
  });

  test("the comment shows the monthly change per stack and in total, and what is unpriced", () => {
    const dir = tempDir("slipway-cost-comment-");
    try {
      const write = (stack: string, plan: Json, cost?: Json) => {
        fs.mkdirSync(path.join(dir, "plans", `plan-${stack}`), { recursive: true });
        fs.writeFileSync(path.join(dir, "plans", `plan-${stack}`, "plan.json"), JSON.stringify(plan));
        if (cost) fs.writeFileSync(path.join(dir, "plans", `plan-${stack}`, "cost.json"), JSON.stringify(cost));
      };
      write("platform-dev", PLATFORM_PLAN, costJson("platform-dev", PLATFORM_PLAN).json);
      write("hello-prod", APP_PLAN, costJson("hello-prod", APP_PLAN).json);
      write("platform-prod", { format_version: "1.2", resource_changes: [] });
      const slipway = path.join(dir, "slipway.json");
      fs.writeFileSync(slipway, JSON.stringify({ stacks: ["platform-dev", "platform-prod", "hello-prod"].map((name) => ({ name, production: name.endsWith("prod"), dependsOn: [] })) }));
      const result = spawnSync(process.execPath, [SCRIPT, "summarize", "--plans", path.join(dir, "plans"), "--slipway", slipway, "--out", path.join(dir, "comment.md")], { encoding: "utf8" });
      expect(result.status).toBe(0);
      const comment = fs.readFileSync(path.join(dir, "comment.md"), "utf8");
      const total = round(PLATFORM_DELTA) + round(APP_DELTA);
      const appBefore = round(2 * H * P("rds.postgres.db.m6g.large") + 200 * P("rds.storage.gp3"));
      const appAfter = round(H * P("rds.postgres.db.m6g.large") + 100 * P("rds.storage.gp3"));
      const lines = comment.split("\n");
      const start = lines.findIndex((l) => l.startsWith("**Monthly cost:"));
      expect(lines.slice(start, start + 12)).toEqual([
        `**Monthly cost: ${total < 0 ? "-" : "+"}$${Math.abs(total).toFixed(2)}** (from $${(round(PLATFORM_BEFORE) + appBefore).toFixed(2)} to $${(round(PLATFORM_BEFORE + PLATFORM_DELTA) + appAfter).toFixed(2)} a month across 2 stacks; on-demand prices and stated usage assumptions: \`npm run cost\`).`,
        "",
        "| stack | monthly before | monthly after | change |",
        "| --- | ---: | ---: | ---: |",
        `| \`platform-dev\` | $${round(PLATFORM_BEFORE).toFixed(2)} | $${round(PLATFORM_BEFORE + PLATFORM_DELTA).toFixed(2)} | +$${round(PLATFORM_DELTA).toFixed(2)} |`,
        `| \`hello-prod\` | $${appBefore.toFixed(2)} | $${appAfter.toFixed(2)} | -$${Math.abs(round(APP_DELTA)).toFixed(2)} |`,
        "",
        "No cost estimate for `platform-prod` (its job wrote no cost.json).",
        "",
        "<details><summary>Not counted in the cost (unpriced)</summary>",
        "",
        "- `platform-dev`: `aws_sagemaker_endpoint.model`: resource type aws_sagemaker_endpoint is not in Slipway's cost model",
      ]);
      const changes = lines.slice(lines.indexOf("<details><summary>Resources whose monthly cost changes</summary>") + 2);
      expect(changes.slice(0, 5)).toEqual([
        `- \`platform-dev\`: \`aws_eip.nat1\` $0.00 -> $${round(H * P("vpc.ipv4")).toFixed(2)} (+$${round(H * P("vpc.ipv4")).toFixed(2)})`,
        expect.stringMatching(/^- `platform-dev`: `aws_eks_node_group\.nodes` \$/),
        "- `platform-dev`: `aws_kms_key.old` $1.00 -> $0.00 (-$1.00)",
        expect.stringMatching(/^- `platform-dev`: `aws_nat_gateway\.nat1` \$0\.00 -> /),
        `- \`hello-prod\`: \`aws_db_instance.db\` $${appBefore.toFixed(2)} -> $${appAfter.toFixed(2)} (-$${Math.abs(round(APP_DELTA)).toFixed(2)})`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an unpriced reason from the pull request's configuration stays plain text in the comment", () => {
    const plan = { format_version: "1.2", resource_changes: [change("aws_eks_node_group.nodes", ["create"], null, { instance_types: ["big|[x](https://evil.example)`<img>"], scaling_config: [{ desired_size: 1 }], disk_size: 20 })] };
    const stackPlan: StackPlan = { stack: "platform-dev", production: false, plan: plan as unknown as PlanJson, cost: costJson("platform-dev", plan).json as StackPlan["cost"] };
    const markdown = summarize([stackPlan]).markdown;
    const line = markdown.split("\n").find((l) => l.startsWith("- `platform-dev`: `aws_eks_node_group.nodes`: partly"))!;
    expect(line).toBe("- `platform-dev`: `aws_eks_node_group.nodes`: partly: no price ec2.instance.big  x (https://evil.example)  img  in eu-west-1 in the snapshot (2026-12-06)");
  });

  test("a cost.json of another stack, or not a cost file, is ignored", () => {
    const dir = tempDir("slipway-cost-foreign-");
    try {
      fs.mkdirSync(path.join(dir, "plan-platform-dev"), { recursive: true });
      fs.writeFileSync(path.join(dir, "plan-platform-dev", "plan.json"), JSON.stringify(PLATFORM_PLAN));
      fs.writeFileSync(path.join(dir, "plan-platform-dev", "cost.json"), JSON.stringify({ ...costJson("hello-prod", APP_PLAN).json }));
      const [plan] = readPlans(dir, [{ name: "platform-dev", production: false }]);
      expect(plan.cost).toBeUndefined();
      expect(summarize([plan]).markdown).not.toContain("Monthly cost");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the plan job prices its plan", () => {
  test("in bash against a stand-in Terraform: cost.json is uploaded beside the redacted plan", () => {
    const platform = examplePlatform((doc) => (doc.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" }));
    const stacks = infraStacks(platform);
    const yaml = infraWorkflows(platform, {}, stacks)[INFRA_WORKFLOW_FILES.plan];
    const workflow = parse(yaml);
    // Each plan job's entries sit in the select step's environment; the select job keeps the chosen ones.
    const entries = (id: string): Json[] => JSON.parse(workflow.jobs.select.steps.find((s: Json) => s.id === "select").env[matrixVariable(id)]);
    const [jobId, job] = Object.entries<Json>(workflow.jobs).find(([id]) => id.startsWith("plan-") && entries(id).some((e: Json) => e.stack === "platform-dev"))!;
    const entry = entries(jobId).find((e: Json) => e.stack === "platform-dev");
    delete job.strategy;
    // A checkout of the infrastructure repository: the scripts, the cost engine and snapshot, and the synthesized output.
    const workspace = tempDir("slipway-cost-checkout-");
    try {
      for (const file of ["scripts/plan-summary.js", "cli/cost/price.js", "cli/cost/prices.json"]) {
        fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), path.join(workspace, file));
      }
      fs.mkdirSync(path.join(workspace, "cdktf.out", "stacks", "platform-dev"), { recursive: true });
      fs.writeFileSync(path.join(workspace, "cdktf.out", "slipway.json"), JSON.stringify(slipwayJson));
      const plan = JSON.stringify(PLATFORM_PLAN).replace(/'/g, `'\\''`);
      const run = runJob(stringify(workflow), jobId, {
        standIns: {
          terraform: [
            'case "$1" in',
            "  init) ;;",
            '  plan) for a in "$@"; do case "$a" in -out=*) echo plan > "${a#-out=}" ;; esac; done ;;',
            `  show) if [ "$2" = -json ]; then echo '${plan}'; else echo "Plan: 2 to add, 1 to change, 1 to destroy."; fi ;;`,
            '  *) echo "unexpected terraform $*" >&2; exit 99 ;;',
            "esac",
          ].join("\n"),
        },
        contexts: { github: { token: "ghs_job_token" }, matrix: entry! },
        workspace,
      });
      expect(run.steps.find((s) => s.name === "terraform plan")!.outcome).toBe("success");
      const upload = run.steps.find((s) => s.name === "Upload the plan")!;
      expect(upload.with!.path.split("\n")).toContain("cdktf.out/stacks/platform-dev/cost.json");
      const cost = JSON.parse(fs.readFileSync(path.join(workspace, "cdktf.out", "stacks", "platform-dev", "cost.json"), "utf8"));
      expect([cost.stack, cost.beforeUsd, cost.afterUsd, cost.deltaUsd]).toEqual(["platform-dev", round(PLATFORM_BEFORE), round(PLATFORM_BEFORE + PLATFORM_DELTA), round(PLATFORM_DELTA)]);
      // The job's log says the change too.
      expect(run.steps.find((s) => s.name === "terraform plan")!.stdout).toContain(`platform-dev: $${round(PLATFORM_BEFORE).toFixed(2)} -> `);
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  test("a failure to price warns and leaves the plan alone", () => {
    const dir = tempDir("slipway-cost-fail-");
    try {
      fs.writeFileSync(path.join(dir, "plan.json"), JSON.stringify(PLATFORM_PLAN));
      fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify({ stacks: [] }));
      const errors: string[] = [];
      expect(planSummary(["cost", "--plan", path.join(dir, "plan.json"), "--stack", "platform-dev", "--slipway", path.join(dir, "slipway.json"), "--out", path.join(dir, "cost.json")], { log: () => {}, error: (l) => errors.push(l) })).toBe(2);
      expect(fs.existsSync(path.join(dir, "cost.json"))).toBe(false);
      expect(errors.join("\n")).toContain("stack platform-dev has no cost scope");
      const step = infraWorkflows(examplePlatform((d) => (d.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" })))[INFRA_WORKFLOW_FILES.plan];
      expect(step).toContain('--out cost.json || echo "::warning title=No cost estimate::$STACK: pricing the plan failed; the comment shows no cost for it"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
