/**
 * End to end: the example platform file synthesizes into every stack, deterministically and
 * atomically, and the AWS part of every stack passes a real `terraform validate` and `plan`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { synthesize } from "../../cli/synth";
import { actionlint } from "../support/actionlint";
import { checkSynthesizedStacks, terraformForTests, StackCheck } from "../support/terraform";
import { EXAMPLE_FILE, readTree, ROOT, tempDir } from "../support/platform";

const EXPECTED_STACKS = ["bootstrap-111111111111", "bootstrap-222222222222", "platform-dev", "platform-staging", "platform-prod", "kube-system-dev", "kube-system-staging", "kube-system-prod", "hello-delivery", "hello-dev", "hello-staging", "hello-prod"];

let work: string;
let outdir: string;
beforeAll(() => {
  work = tempDir();
  outdir = path.join(work, "cdktf.out");
  synthesize({ platformFile: EXAMPLE_FILE, outdir });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("the example platform writes the bootstrap-*, platform-*, kube-system-*, hello-delivery and hello-* stacks", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
  expect(Object.keys(manifest.stacks).sort()).toEqual([...EXPECTED_STACKS].sort());
  for (const name of EXPECTED_STACKS) {
    expect(fs.existsSync(path.join(outdir, "stacks", name, "cdk.tf.json"))).toBe(true);
  }
  expect(manifest.stacks["hello-prod"].dependencies.sort()).toEqual(["hello-delivery", "platform-prod"]);
  expect(manifest.stacks["kube-system-prod"].dependencies).toEqual(["platform-prod"]);
});

test("every generated workflow is written under cdktf.out/workflows, is what the delivery stack commits, and passes actionlint", () => {
  const dir = path.join(outdir, "workflows", "hello");
  const files = Object.fromEntries(
    fs.readdirSync(dir).map((f) => [f === "actionlint.yaml" ? `.github/${f}` : `.github/workflows/${f}`, fs.readFileSync(path.join(dir, f), "utf8")]),
  );
  expect(Object.keys(files).sort()).toEqual([".github/workflows/deliver.yml", ".github/workflows/preview-sweep.yml", ".github/workflows/preview.yml", ".github/workflows/pull-request.yml"]);
  // The deploy jobs run on each environment's CodeBuild deploy runner inside its VPC.
  expect(files[".github/workflows/deliver.yml"]).toContain("- codebuild-acme-dev-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}\n");
  const delivery = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "hello-delivery", "cdk.tf.json"), "utf8"));
  // The managed files (the skeleton's created-once files are checked in __tests__/skeleton).
  for (const committed of Object.values<any>(delivery.resource.github_repository_file).filter((f) => f.lifecycle?.ignore_changes !== "all")) {
    // Terraform unescapes `$${` to `${` when it writes the file.
    expect(committed.content.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")).toBe(files[committed.file]);
  }
  expect(actionlint(files)).toEqual([]);
  // Nothing secret or account-specific is written into a workflow.
  for (const yaml of Object.values(files)) {
    // The actions' commit SHAs aside: long hex numbers, but no account's.
    expect(yaml.replace(/@[0-9a-f]{40} # /g, "@<sha> # ")).not.toMatch(/\d{12}|secrets\.|AKIA|password/i);
  }
});

test("the output is byte-identical in another folder and carries no absolute path or timestamp", () => {
  const other = path.join(tempDir(), "elsewhere", "out");
  try {
    synthesize({ platformFile: path.relative(process.cwd(), EXAMPLE_FILE), outdir: other });
    const a = readTree(outdir);
    const b = readTree(other);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [file, bytes] of a) expect(b.get(file)?.equals(bytes)).toBe(true);
    for (const [file, bytes] of a) {
      const text = bytes.toString("utf8");
      expect({ file, hasWorkDir: text.includes(work) || text.includes(ROOT) }).toEqual({ file, hasWorkDir: false });
      expect({ file, timestamp: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) }).toEqual({ file, timestamp: false });
    }
  } finally {
    fs.rmSync(path.dirname(path.dirname(other)), { recursive: true, force: true });
  }
});

test("a failed synth leaves the previous output byte-for-byte untouched", () => {
  const before = readTree(outdir);
  const bad = path.join(work, "bad.yaml");
  fs.writeFileSync(bad, fs.readFileSync(EXAMPLE_FILE, "utf8").replace("port: 8080", "port: 80800"));
  expect(() => synthesize({ platformFile: bad, outdir })).toThrow(/apps\[0\]\.port: received number 80800; expected at most 65535/);
  const after = readTree(outdir);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [file, bytes] of before) expect(after.get(file)?.equals(bytes)).toBe(true);
  // No temporary folder is left behind either.
  expect(fs.readdirSync(work).filter((f) => f.startsWith("cdktf.out."))).toEqual([]);
});

test("`npm run synth` as a user types it: exit 1, the problems on stderr, nothing written", () => {
  const out = path.join(work, "cli-out");
  const bad = path.join(work, "bad-cli.yaml");
  fs.writeFileSync(bad, "github: {owner: acme}\napps: []\nenvironments: []\n");
  const result = spawnSync(process.execPath, ["scripts/run.js", "cli/synth.ts", "--platform", bad, "--out", out], { cwd: ROOT, encoding: "utf8" });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`${bad}:2:7: apps: has 0 items; expected at least 1`);
  expect(result.stderr).toContain("Nothing was written");
  expect(fs.existsSync(out)).toBe(false);

  const good = execFileSync(process.execPath, ["scripts/run.js", "cli/synth.ts", "--platform", EXAMPLE_FILE, "--out", out], { cwd: ROOT, encoding: "utf8" });
  expect(good).toMatch(/^platform-prod\s+aws \d+\s+prod \(production\)/m);
  expect(good).toMatch(/^hello-prod\s+.*https:\/\/hello\.acme\.example/m);
  expect(good).toMatch(/^kube-system-prod\s+kubernetes \d+\s+prod: Cluster Autoscaler v1\.33\.\d+/m);
  expect(good).toMatch(/12 stacks, \d+ resources from/);
});

const { tools, test: withTerraform } = terraformForTests("validate/plan");

describe("real Terraform, offline, on the AWS part of every stack", () => {
  let checks: StackCheck[] = [];
  beforeAll(async () => {
    if (tools) checks = await checkSynthesizedStacks(outdir, tools);
  }, 300_000);

  withTerraform.each(EXPECTED_STACKS)("%s validates and plans", (name) => {
    const check = checks.find((c) => c.stack === name)!;
    expect(check).toBeDefined();
    expect({ validate: check.validate.ok, output: check.validate.ok ? "" : check.validate.output }).toEqual({ validate: true, output: "" });
    expect({ plan: check.plan.ok, output: check.plan.ok ? "" : check.plan.output }).toEqual({ plan: true, output: "" });
    expect(check.plan.toDestroy ?? 0).toBe(0);
  });

  withTerraform("the platform stacks plan their network and cluster", () => {
    const adds = Object.fromEntries(checks.map((c) => [c.stack, c.plan.toAdd]));
    // prod has a NAT gateway per zone, dev one: prod plans more.
    expect(adds["platform-prod"]).toBeGreaterThan(adds["platform-dev"]!);
    for (const name of ["platform-dev", "platform-staging", "platform-prod"]) expect(adds[name]).toBeGreaterThan(30);
    // The runtime stacks plan their database, load balancer, CDN and deploy role; prod adds logs.
    for (const name of ["hello-dev", "hello-staging", "hello-prod"]) expect(adds[name]).toBeGreaterThan(25);
    expect(adds["hello-prod"]).toBeGreaterThan(adds["hello-dev"]!);
    // Node autoscaling's AWS side and the HPAs' metrics: planned with the cluster.
    for (const name of ["platform-dev", "platform-staging", "platform-prod"]) {
      const output = checks.find((c) => c.stack === name)!.plan.output;
      for (const address of [/# aws_iam_role\.ClusterAutoscalerRole_\S+ will be created/, /# aws_eks_pod_identity_association\.ClusterAutoscalerRole_PodIdentity_\S+ will be created/, /# aws_eks_addon\.Cluster_MetricsServer_\S+ will be created/]) {
        expect(output).toMatch(address);
      }
    }
  });

  withTerraform("each platform stack plans its CI runners in the VPC, never a GitHub connection (bootstrap-<account> makes it)", () => {
    const created = (stack: string) =>
      [...checks.find((c) => c.stack === stack)!.plan.output.matchAll(/# (aws_(?:codebuild|codeconnections)_[a-z_]+)\.CiRunners_\S+ will be created/g)].map((m) => m[1]).sort();
    // Plan and deploy runners everywhere; dev hosts hello's previews, so it also has the preview runner.
    const runners = (n: number) => [...Array(n).fill("aws_codebuild_project"), ...Array(n).fill("aws_codebuild_webhook")];
    const expected: Record<string, string[]> = { "platform-dev": runners(3), "platform-staging": runners(2), "platform-prod": runners(2) };
    for (const stack of ["platform-dev", "platform-staging", "platform-prod"]) expect({ stack, created: created(stack) }).toEqual({ stack, created: expected[stack] });
  });
});
