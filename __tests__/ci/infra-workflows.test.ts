import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { parse } from "yaml";
import {
  DEFAULT_WORKFLOWS_DIR,
  GITHUB_HOSTED_RUNNER,
  INFRA_ACTIONS,
  INFRA_WORKFLOW_FILES,
  InfraStack,
  infraStacks,
  infraWorkflows,
  jobsInDependencyOrder,
  main,
  matrixVariable,
  PLAN_RETENTION_DAYS,
  staleFiles,
  TERRAFORM_VERSION,
} from "../../cli/infra-workflows";
import { MAX_MATRIX_COMBINATIONS, WORKFLOW_HEADER } from "../../constructs/workflow";
import { loadPlatformFile } from "../../platform/model";
import { buildPlatform, DRIFT_ENVIRONMENT, REQUIRED_TERRAFORM_VERSION } from "../../stacks";
import { actionlint } from "../support/actionlint";
import { EXAMPLE_FILE, ROOT, examplePlatform, tempDir } from "../support/platform";
import { loadSynthesizedOutput } from "../../synthesized";

type Json = Record<string, any>;

const { plan: PLAN, apply: APPLY, drift: DRIFT } = INFRA_WORKFLOW_FILES;
const COMMITTED_DIR = path.join(ROOT, DEFAULT_WORKFLOWS_DIR);

/** The example with a second app (`api`), an s3 backend and a fourth environment (`qa`, its own account). */
function multiPlatform() {
  return examplePlatform((doc) => {
    doc.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };
    doc.apps.push({ ...doc.apps[0], name: "api", domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", qa: "api.qa.acme.example", prod: "api.acme.example" }, nodePort: 31001 });
    doc.apps[0].domains.qa = "hello.qa.acme.example";
    doc.environments.splice(2, 0, {
      name: "qa",
      account: "333333333333",
      region: "us-east-1",
      network: { cidr: "10.40.0.0/16", zones: ["us-east-1a", "us-east-1b"] },
      deploy: { runsOn: ["self-hosted", "qa-deployers"] },
    });
  });
}

const example = loadPlatformFile(EXAMPLE_FILE);
let exampleFiles: Record<string, string>;
let multiFiles: Record<string, string>;
let multiStacks: InfraStack[];
let multi: Record<string, Json>;
let exampleStacks: InfraStack[];

beforeAll(() => {
  exampleStacks = infraStacks(example);
  exampleFiles = infraWorkflows(example, {}, exampleStacks);
  const platform = multiPlatform();
  multiStacks = infraStacks(platform);
  multiFiles = infraWorkflows(platform, {}, multiStacks);
  multi = Object.fromEntries(Object.entries(multiFiles).map(([file, yaml]) => [file, parse(yaml)]));
});

/** Every job of a parsed workflow with its id. */
const jobsOf = (workflow: Json): Array<[string, Json]> => Object.entries(workflow.jobs);
const stepsUsing = (job: Json, action: string): Json[] => job.steps.filter((s: Json) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`));
const matrixStacks = (job: Json): string[] => (job.strategy?.matrix?.include ?? []).map((e: Json) => e.stack);
/** Every matrix entry a plan job may get: the select job filters these to the stacks it selects. */
const planEntries = (workflow: Json, jobId: string): Json[] => JSON.parse(workflow.jobs.select.steps.find((s: Json) => s.id === "select").env[matrixVariable(jobId)]);

describe("committed workflows", () => {
  test("equal what the generator makes from platform.yaml (run `npm run workflows` when this fails)", () => {
    for (const [file, yaml] of Object.entries(exampleFiles)) {
      const committed = path.join(COMMITTED_DIR, file);
      expect(fs.existsSync(committed) ? fs.readFileSync(committed, "utf8") : `(missing ${committed})`).toBe(yaml);
    }
    expect(staleFiles(COMMITTED_DIR, exampleFiles)).toEqual([]);
  });

  test("pass actionlint, as do those of a multi-app, multi-environment s3 platform", () => {
    const findings = actionlint({
      ...Object.fromEntries(Object.entries(exampleFiles).map(([f, y]) => [`.github/workflows/${f}`, y])),
      ...Object.fromEntries(Object.entries(multiFiles).map(([f, y]) => [`multi/.github/workflows/${f}`, y])),
    });
    expect(findings).toEqual([]);
  });

  test("every run script is valid bash", () => {
    for (const [file, yaml] of [...Object.entries(exampleFiles), ...Object.entries(multiFiles)]) {
      // One `bash -n` per file: each script becomes a function, so a finding names its step.
      const scripts = jobsOf(parse(yaml)).flatMap(([jobId, job]) => job.steps.filter((s: Json) => s.run).map((s: Json) => ({ where: `${jobId}: ${s.name}`, run: s.run })));
      const source = scripts.map((s, i) => `# ${s.where}\nstep_${i}() {\n${s.run}\n}\n`).join("");
      const result = spawnSync("bash", ["-n"], { input: source, encoding: "utf8" });
      expect({ file, stderr: result.stderr, status: result.status }).toEqual({ file, stderr: "", status: 0 });
    }
  });

  test("start with the generated-file header and say how to regenerate", () => {
    for (const yaml of Object.values(exampleFiles)) {
      expect(yaml.startsWith(`# ${WORKFLOW_HEADER}\n# Regenerate with \`npm run workflows\``)).toBe(true);
    }
  });
});

describe("infraStacks", () => {
  test("the example's stacks: dependency levels, deployment environments, providers, roles and runners", () => {
    const stacks = exampleStacks;
    const byName = Object.fromEntries(stacks.map((s) => [s.name, s]));
    // The GitHub OIDC provider and CI's roles are named, not read from state: nothing depends on a bootstrap stack.
    expect(stacks.map((s) => [s.name, s.level])).toEqual([
      ["bootstrap-111111111111", 0],
      ["bootstrap-222222222222", 0],
      ["platform-dev", 0],
      ["platform-staging", 0],
      ["platform-prod", 0],
      ["kube-system-dev", 1],
      ["kube-system-staging", 1],
      ["kube-system-prod", 1],
      ["hello-delivery", 0],
      ["hello-dev", 1],
      ["hello-staging", 1],
      ["hello-prod", 1],
    ]);
    expect(byName["hello-staging"].dependsOn).toEqual(["platform-staging", "hello-delivery"]);
    expect(byName["bootstrap-222222222222"]).toMatchObject({ bootstrap: true, environment: "prod", providers: ["aws", "github"], planRunsOn: GITHUB_HOSTED_RUNNER });
    // The delivery stack's AWS resources live in production's account: it applies under prod.
    expect(byName["hello-delivery"]).toMatchObject({ bootstrap: false, environment: "prod", production: true, providers: ["aws", "github"], planRunsOn: GITHUB_HOSTED_RUNNER, applyRunsOn: GITHUB_HOSTED_RUNNER });
    expect(byName["platform-dev"]).toMatchObject({
      environment: "dev",
      production: false,
      providers: ["aws"],
      planRole: "arn:aws:iam::111111111111:role/acme-plan",
      applyRole: "arn:aws:iam::111111111111:role/acme-dev-apply",
    });
    // The cluster's own services (Cluster Autoscaler) come after the cluster, in its environment, through the VPC.
    expect(byName["kube-system-prod"]).toMatchObject({
      dependsOn: ["platform-prod"],
      environment: "prod",
      production: true,
      providers: ["kubernetes"],
      planRole: "arn:aws:iam::222222222222:role/acme-plan",
      applyRole: "arn:aws:iam::222222222222:role/slipway-deploy",
      planRunsOn: "codebuild-acme-prod-plan-runner-${{ github.run_id }}-${{ github.run_attempt }}",
      applyRunsOn: "codebuild-acme-prod-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}",
    });
    // Kubernetes resources need the cluster's private API: the environment's CodeBuild runners, one for plans, one for applies.
    expect(byName["hello-prod"]).toMatchObject({
      environment: "prod",
      production: true,
      providers: ["aws", "github", "kubernetes"],
      planRole: "arn:aws:iam::222222222222:role/acme-plan",
      // The platform file's assumeRoleArn names prod's apply role.
      applyRole: "arn:aws:iam::222222222222:role/slipway-deploy",
      planRunsOn: "codebuild-acme-prod-plan-runner-${{ github.run_id }}-${{ github.run_attempt }}",
      applyRunsOn: "codebuild-acme-prod-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}",
    });
  });

  test("agree with the dependencies a real synth records in manifest.json", () => {
    const outdir = tempDir("slipway-infra-synth-");
    try {
      const app = new App({ outdir });
      buildPlatform(app, example);
      app.synth();
      const recorded = Object.fromEntries(loadSynthesizedOutput(outdir).stacks.map((s) => [s.name, [...s.dependencies].sort()]));
      expect(Object.fromEntries(exampleStacks.map((s) => [s.name, [...s.dependsOn].sort()]))).toEqual(recorded);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("pull-request workflow", () => {
  test("runs npm ci, npm test and npm run synth of the platform file it was generated from, then uploads the stacks", () => {
    const synth = multi[PLAN].jobs.synth;
    expect(synth.steps.filter((s: Json) => s.run).map((s: Json) => s.run)).toEqual(["npm ci --no-audit --no-fund", "npm test", "npm run synth -- --platform test.yaml"]);
    expect(stepsUsing(synth, "actions/upload-artifact")[0].with).toMatchObject({ name: "cdktf-out", path: "cdktf.out" });
    expect(multi[PLAN].on).toEqual({ pull_request: { branches: ["main"] } });
    expect(multi[PLAN].concurrency).toEqual({ group: "slipway-plan-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
  });

  test("plans every stack once, one matrix job per dependency level (per environment for stacks in a VPC), each after the jobs it reads", () => {
    const jobs = multi[PLAN].jobs;
    const planJobs = Object.keys(jobs).filter((id) => id.startsWith("plan-"));
    expect(planJobs).toEqual(["plan-level-0", "plan-level-1-dev", "plan-level-1-staging", "plan-level-1-qa", "plan-level-1-prod"]);
    expect(planJobs.flatMap((id) => planEntries(multi[PLAN], id).map((e) => e.stack)).sort()).toEqual(multiStacks.map((s) => s.name).sort());
    expect(planEntries(multi[PLAN], "plan-level-1-staging").map((e) => e.stack)).toEqual(["kube-system-staging", "hello-staging", "api-staging"]);
    expect(jobs["plan-level-1-qa"].needs).toEqual(["synth", "select", "runners", "plan-level-0"]);
    expect(jobs["plan-level-0"].strategy["fail-fast"]).toBe(false);
    // The matrix is the select job's choice, and a job it chose nothing for does not run (GitHub refuses an empty matrix).
    for (const id of planJobs) {
      expect(jobs[id].strategy.matrix).toBe(`\${{ fromJSON(needs.select.outputs.${id}) }}`);
      expect(jobs[id].if).toBe(`\${{ !cancelled() && !contains(needs.*.result, 'failure') && needs.select.outputs.${id} != '' && github.event.pull_request.head.repo.full_name == github.repository }}`);
      expect(jobs.select.outputs[id]).toBe(`\${{ steps.select.outputs.${id} }}`);
    }
  });

  test("each plan assumes its account's read-only plan role through OIDC, plans without the lock, and uploads only the redacted plan and its text, or its deferral", () => {
    const job = multi[PLAN].jobs["plan-level-1-qa"];
    const qa = planEntries(multi[PLAN], "plan-level-1-qa").find((e: Json) => e.stack === "api-qa");
    expect(qa).toEqual({ stack: "api-qa", region: "us-east-1", role: "arn:aws:iam::333333333333:role/acme-plan", github: true, refresh: "false" });
    // The environment's plan runner once the runners job found its webhook, else GitHub-hosted.
    expect(job["runs-on"]).toBe("${{ needs.runners.outputs.qa == 'true' && format('codebuild-acme-qa-plan-runner-{0}-{1}', github.run_id, github.run_attempt) || 'ubuntu-24.04' }}");
    const runners = multi[PLAN].jobs.runners;
    expect(runners.outputs.qa).toBe("${{ steps.runner-qa.outputs.available }}");
    expect(stepsUsing(runners, "aws-actions/configure-aws-credentials").map((s: Json) => s.with["role-to-assume"])).toEqual([
      "arn:aws:iam::111111111111:role/acme-plan",
      "arn:aws:iam::111111111111:role/acme-plan",
      "arn:aws:iam::333333333333:role/acme-plan",
      "arn:aws:iam::222222222222:role/acme-plan",
    ]);
    expect(runners.steps.find((s: Json) => s.id === "runner-qa").env.PROJECT).toBe("acme-qa-plan-runner");
    expect(stepsUsing(job, "aws-actions/configure-aws-credentials")[0].with).toEqual({
      "role-to-assume": "${{ matrix.role }}",
      "aws-region": "${{ matrix.region }}",
      "role-session-name": "slipway-plan",
    });
    const plan = job.steps.find((s: Json) => s.name === "terraform plan");
    expect(plan.run).toContain('terraform plan -json -input=false -lock=false -refresh="$REFRESH" -out="$RUNNER_TEMP/tfplan" > "$RUNNER_TEMP/plan.log" || status=$?');
    // A failed plan is deferred only by plan-summary.js's verdict on its errors (else the step fails).
    expect(plan.run).toContain('node "$GITHUB_WORKSPACE/scripts/plan-summary.js" defer --log "$RUNNER_TEMP/plan.log" --stack "$STACK" --slipway ../../slipway.json --out deferred.json');
    // The unredacted JSON and the binary plan (which holds every value) stay in the runner's temporary folder.
    expect(plan.run).toContain('terraform show -json "$RUNNER_TEMP/tfplan" > "$RUNNER_TEMP/plan.json"');
    expect(job.steps.find((s: Json) => s.name === "Redact the plan").run).toBe('node scripts/plan-summary.js redact "$RUNNER_TEMP/plan.json" "cdktf.out/stacks/$STACK/plan.json"');
    const upload = stepsUsing(job, "actions/upload-artifact")[0].with;
    expect(upload.name).toBe("plan-${{ matrix.stack }}");
    expect(upload.path.split("\n")).toEqual(["plan.json", "plan.txt", "cost.json", "deferred.json"].map((f) => `cdktf.out/stacks/\${{ matrix.stack }}/${f}`));
    expect(upload["retention-days"]).toBe(PLAN_RETENTION_DAYS);
    expect(PLAN_RETENTION_DAYS).toBeLessThanOrEqual(14);
    const names = job.steps.map((s: Json) => s.name);
    expect(names.indexOf("Redact the plan")).toBeLessThan(names.indexOf("Upload the plan"));
  });

  test("reads no secret: GitHub-provider stacks plan with the job's own token and without refresh; the others refresh", () => {
    const yaml = multiFiles[PLAN];
    expect(yaml).not.toMatch(/secrets\./);
    expect(stepsUsing(multi[PLAN].jobs["plan-level-0"], "actions/create-github-app-token")).toEqual([]);
    const plan = multi[PLAN].jobs["plan-level-0"].steps.find((s: Json) => s.name === "terraform plan");
    expect(plan.env).toEqual({ GITHUB_TOKEN: "${{ github.token }}", REFRESH: "${{ matrix.refresh }}" });
    const planJobs = Object.keys(multi[PLAN].jobs).filter((id) => id.startsWith("plan-"));
    for (const entry of planJobs.flatMap((id) => planEntries(multi[PLAN], id))) {
      expect({ stack: entry.stack, refresh: entry.refresh }).toEqual({ stack: entry.stack, refresh: entry.github ? "false" : "true" });
    }
    expect(planEntries(multi[PLAN], "plan-level-0").find((e: Json) => e.stack === "platform-dev")).toMatchObject({ github: false, refresh: "true" });
  });

  test("one job posts the summary comment, found again by its marker, and fails the check on protected destroys", () => {
    const summary = multi[PLAN].jobs.summary;
    expect(summary.needs).toEqual(["synth", "select", "plan-level-0", "plan-level-1-dev", "plan-level-1-staging", "plan-level-1-qa", "plan-level-1-prod"]);
    expect(summary.if).toContain("!cancelled()");
    const script = summary.steps.map((s: Json) => s.run ?? "").join("\n");
    expect(script).toContain("node scripts/plan-summary.js");
    expect(script).toContain('gh api --method PATCH "repos/$GH_REPO/issues/comments/$id"');
    expect(summary.steps.find((s: Json) => s.name === "Post or update the pull-request comment").env.MARKER).toBe("<!-- slipway-plan-summary -->");
    expect(summary.steps[summary.steps.length - 1]).toMatchObject({ if: "steps.summary.outputs.status != '0'" });
  });
});

describe("apply workflow", () => {
  const applyJobs = () => jobsOf(multi[APPLY]).filter(([id]) => id.startsWith("apply-"));

  test("runs on pushes to the default branch and first finds the merged pull request's successful plan run", () => {
    expect(multi[APPLY].on).toEqual({ push: { branches: ["main"] } });
    const reviewed = multi[APPLY].jobs.reviewed;
    const find = reviewed.steps.find((s: Json) => s.id === "find");
    expect(find.run).toContain('gh api "repos/$GH_REPO/commits/$SHA/pulls"');
    // The branch reaches the script as data (an environment variable read by the jq filter).
    expect(find.env.BRANCH).toBe("main");
    expect(find.run).toContain(".base.ref == env.BRANCH");
    expect(find.run).toContain(`actions/workflows/${PLAN}/runs?event=pull_request&status=success&head_sha=$head`);
    expect(reviewed.outputs["run-id"]).toBe("${{ steps.find.outputs.run-id }}");
  });

  test("one job per dependency level and environment, in dependency order, each needing the jobs of its stacks' dependencies; bootstrap stacks never", () => {
    const jobs = Object.fromEntries(applyJobs());
    expect(Object.keys(jobs)).toEqual([
      "apply-level-0-dev",
      "apply-level-0-staging",
      "apply-level-0-qa",
      "apply-level-0-prod",
      "apply-level-1-dev",
      "apply-level-1-staging",
      "apply-level-1-qa",
      "apply-level-1-prod",
    ]);
    expect(matrixStacks(jobs["apply-level-0-prod"])).toEqual(["platform-prod", "hello-delivery", "api-delivery"]);
    expect(matrixStacks(jobs["apply-level-1-staging"])).toEqual(["kube-system-staging", "hello-staging", "api-staging"]);
    expect(jobs["apply-level-1-staging"].needs).toEqual(["reviewed", "synth", "apply-level-0-staging", "apply-level-0-prod"]);
    // Every stack is applied after each stack it depends on.
    const position = new Map(Object.keys(jobs).flatMap((id, i) => matrixStacks(jobs[id]).map((s) => [s, i] as const)));
    for (const stack of multiStacks.filter((s) => !s.bootstrap)) for (const dependency of stack.dependsOn) expect(position.get(dependency)!).toBeLessThan(position.get(stack.name)!);
    // CI never applies its own identities: bootstrap stacks are applied from a workstation.
    expect([...position.keys()].sort()).toEqual(multiStacks.filter((s) => !s.bootstrap).map((s) => s.name).sort());
    expect(multiStacks.filter((s) => s.bootstrap).map((s) => s.name)).toEqual(["bootstrap-111111111111", "bootstrap-333333333333", "bootstrap-222222222222"]);
  });

  test("each job runs under its deployment environment with that environment's apply role, one apply at a time per stack, never cancelled", () => {
    const environmentOf = new Map(multiStacks.map((s) => [s.name, s.environment]));
    const roleOf = new Map(multiStacks.map((s) => [s.name, s.applyRole]));
    for (const [id, job] of applyJobs()) {
      expect(job.concurrency).toEqual({ group: "slipway-apply-${{ matrix.stack }}", "cancel-in-progress": false });
      expect(job.strategy["fail-fast"]).toBe(false);
      for (const entry of job.strategy.matrix.include) {
        expect({ id, stack: entry.stack, environment: job.environment.name, role: entry.role }).toEqual({ id, stack: entry.stack, environment: environmentOf.get(entry.stack), role: roleOf.get(entry.stack) });
      }
      expect(stepsUsing(job, "aws-actions/configure-aws-credentials")[0].with["role-to-assume"]).toBe("${{ matrix.role }}");
    }
    expect(multi[APPLY].jobs["apply-level-1-prod"].environment).toEqual({ name: "prod" });
    expect(multi[APPLY].jobs["apply-level-1-qa"].strategy.matrix.include[0].role).toBe("arn:aws:iam::333333333333:role/acme-qa-apply");
  });

  test("applies a fresh plan only after it matches the reviewed plan downloaded from the pull request's run", () => {
    const job = multi[APPLY].jobs["apply-level-1-prod"];
    const names = job.steps.map((s: Json) => s.name);
    const download = job.steps.find((s: Json) => s.name === "Download the reviewed plan");
    expect(download.with).toEqual({ name: "plan-${{ matrix.stack }}", path: "reviewed", "run-id": "${{ needs.reviewed.outputs.run-id }}", "github-token": "${{ github.token }}" });
    const compare = job.steps.find((s: Json) => s.name === "Compare with the reviewed plan");
    expect(compare.run).toBe('node scripts/plan-summary.js compare reviewed/plan.json "$RUNNER_TEMP/fresh.json"');
    // Planned the way the reviewed plan was: GitHub-provider stacks without refresh.
    expect(job.steps.find((s: Json) => s.name === "terraform plan").run).toContain('-refresh="$REFRESH" -out=fresh.tfplan');
    expect(names.indexOf("terraform plan")).toBeLessThan(names.indexOf("Compare with the reviewed plan"));
    expect(names.indexOf("Compare with the reviewed plan")).toBeLessThan(names.indexOf("terraform apply"));
    expect(job.steps.find((s: Json) => s.name === "terraform apply").run).toBe("terraform apply -input=false -no-color -lock-timeout=10m fresh.tfplan");
    // A deferred reviewed plan is never compared or applied by the apply job; stacks that may be
    // deferred (they read another stack) are planned for approval instead, the others not at all.
    const NOT_DEFERRED = "steps.reviewed-plan.outputs.deferred != 'true'";
    const DEFERRED = "steps.reviewed-plan.outputs.deferred == 'true'";
    const check = names.indexOf("Was the plan deferred?");
    // Between them: a stack the pull request did not plan (slipway affected) was reviewed as "no change".
    expect(check).toBe(names.indexOf("Download the reviewed plan") + 2);
    expect(names[check - 1]).toBe("Not planned in review");
    const conditions = (j: Json) => Object.fromEntries(j.steps.slice(names.indexOf("Was the plan deferred?") + 1).map((s: Json) => [s.name, s.if]));
    expect(conditions(job)).toEqual({
      "Set up Terraform": undefined,
      "AWS credentials (OIDC)": undefined,
      "GitHub App token for the GitHub provider": "matrix.github",
      "terraform init": undefined,
      "terraform plan": undefined,
      "Compare with the reviewed plan": NOT_DEFERRED,
      "terraform apply": NOT_DEFERRED,
      "Show the plan for approval": DEFERRED,
      "Upload the plan for approval": DEFERRED,
    });
    for (const [name, condition] of Object.entries(conditions(multi[APPLY].jobs["apply-level-0-prod"]))) {
      expect([name, condition]).toEqual([name, expect.stringContaining(NOT_DEFERRED)]);
    }
  });

  test("uses the platform file's GitHub App id when it names one", () => {
    const files = infraWorkflows(examplePlatform((doc) => (doc.github.appId = 123456)));
    const token = stepsUsing(parse(files[APPLY]).jobs["apply-level-0-prod"], "actions/create-github-app-token")[0];
    expect(token.with["app-id"]).toBe("123456");
    expect(token.with["private-key"]).toBe("${{ secrets.SLIPWAY_GITHUB_APP_PRIVATE_KEY }}");
  });
});

describe("drift workflow", () => {
  test("runs nightly and on demand, planning every stack with -detailed-exitcode and the plan role, in the slipway-drift environment", () => {
    const drift = multi[DRIFT];
    expect(drift.on).toEqual({ schedule: [{ cron: "17 4 * * *" }], workflow_dispatch: {} });
    const driftJobs = jobsOf(drift).filter(([id]) => id.startsWith("drift"));
    expect(driftJobs.map(([id]) => id)).toEqual(["drift", "drift-dev", "drift-staging", "drift-qa", "drift-prod"]);
    expect(driftJobs.flatMap(([, j]) => matrixStacks(j)).sort()).toEqual(multiStacks.map((s) => s.name).sort());
    for (const [id, job] of driftJobs) {
      // The plan role trusts this environment's subject; only the default branch may run in it.
      expect([id, job.environment]).toEqual([id, { name: DRIFT_ENVIRONMENT }]);
      for (const entry of job.strategy.matrix.include) expect(entry).toMatchObject({ role: multiStacks.find((s) => s.name === entry.stack)!.planRole, refresh: "true" });
    }
    expect(drift.jobs["drift-qa"]["runs-on"]).toBe("codebuild-acme-qa-plan-runner-${{ github.run_id }}-${{ github.run_attempt }}");
    const plan = drift.jobs.drift.steps.find((s: Json) => s.name === "terraform plan -detailed-exitcode");
    expect(plan.run).toContain('terraform plan -input=false -no-color -lock=false -detailed-exitcode -out="$RUNNER_TEMP/drift.tfplan" || code=$?');
    expect(plan.run).toContain('node "$GITHUB_WORKSPACE/scripts/plan-summary.js" redact "$RUNNER_TEMP/drift.json" "$out/plan.json"');
    expect(plan.run).toContain('if [ "$code" != 0 ] && [ "$code" != 2 ]; then exit 1; fi');
  });

  test("one job opens or updates an issue per drifting stack and closes it when the drift is gone", () => {
    const report = multi[DRIFT].jobs.report;
    expect(report.needs).toEqual(["synth", "drift", "drift-dev", "drift-staging", "drift-qa", "drift-prod"]);
    const script = report.steps.find((s: Json) => s.name === "Open, update or close one issue per stack").run;
    expect(script).toContain('gh issue list --label "$LABEL" --state open');
    expect(script).toContain('gh issue edit "$number" --body-file');
    expect(script).toContain('gh issue create --title "$title" --label "$LABEL"');
    expect(script).toContain('gh issue close "$number"');
  });
});

describe("trust boundaries of the generated workflows", () => {
  const PLAN_RUNNER = /^codebuild-[a-z0-9-]+-plan-runner-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$/;
  const DEPLOY_RUNNER = /^codebuild-[a-z0-9-]+-deploy-runner-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$/;
  const workflows = () => [
    ["example", Object.fromEntries(Object.entries(exampleFiles).map(([f, y]) => [f, parse(y)]))],
    ["multi", multi],
  ] as const;

  test("pull-request jobs run on GitHub-hosted or plan-runner labels only, never on a runner that apply or deploy jobs use", () => {
    for (const [which, files] of workflows()) {
      // A plan job in a VPC names its plan runner once that exists, else GitHub-hosted: both labels are checked.
      const CHOICE = /^\$\{\{ needs\.runners\.outputs\.[a-z0-9-]+ == 'true' && format\('codebuild-([a-z0-9-]+)-\{0\}-\{1\}', github\.run_id, github\.run_attempt\) \|\| 'ubuntu-24\.04' \}\}$/;
      const planLabels = Object.entries<Json>(files[PLAN].jobs).flatMap(([id, job]) => {
        const choice = CHOICE.exec(job["runs-on"]);
        return (choice ? [`codebuild-${choice[1]}-\${{ github.run_id }}-\${{ github.run_attempt }}`, GITHUB_HOSTED_RUNNER] : [job["runs-on"]]).map((label) => [id, label] as const);
      });
      for (const [id, label] of planLabels) {
        expect({ which, id, ok: label === GITHUB_HOSTED_RUNNER || PLAN_RUNNER.test(label) }).toEqual({ which, id, ok: true });
        expect({ which, id, label }).not.toEqual({ which, id, label: expect.stringContaining("deploy-runner") });
      }
      const applyLabels = new Set(Object.values<Json>(files[APPLY].jobs).map((j) => j["runs-on"]));
      for (const label of applyLabels) expect({ which, label, ok: label === GITHUB_HOSTED_RUNNER || DEPLOY_RUNNER.test(label) }).toEqual({ which, label, ok: true });
      // No self-hosted runner a plan could leave something on for a later trusted job.
      const codebuildPlanLabels = planLabels.map(([, l]) => l).filter((l) => l !== GITHUB_HOSTED_RUNNER);
      expect(codebuildPlanLabels.length).toBeGreaterThan(0);
      expect(codebuildPlanLabels.filter((l) => applyLabels.has(l))).toEqual([]);
    }
  });

  test("pull-request jobs reference no secret and no variable; no job of any workflow reads a private key outside a protected environment", () => {
    for (const [which, files] of [["example", exampleFiles], ["multi", multiFiles]] as const) {
      expect({ which, secrets: files[PLAN].match(/secrets\.|vars\./g) }).toEqual({ which, secrets: null });
      for (const file of [APPLY, DRIFT]) {
        for (const [id, job] of jobsOf(parse(files[file]))) {
          const readsKey = JSON.stringify(job).includes("secrets.");
          // A job that reads a key declares a GitHub environment (default branch only, reviewers in production).
          if (readsKey) expect({ which, file, id, environment: typeof job.environment?.name }).toEqual({ which, file, id, environment: "string" });
        }
      }
    }
  });

  test("apply jobs run only on pushes to the default branch, each under a GitHub environment", () => {
    for (const branch of ["main", "trunk"]) {
      const files = infraWorkflows(multiPlatform(), { defaultBranch: branch }, multiStacks);
      const apply = parse(files[APPLY]);
      expect(apply.on).toEqual({ push: { branches: [branch] } });
      const jobs = jobsOf(apply).filter(([id]) => id.startsWith("apply-"));
      expect(jobs.length).toBeGreaterThan(0);
      for (const [id, job] of jobs) expect([id, typeof job.environment.name]).toEqual([id, "string"]);
    }
    // The default branch defaults to the platform file's.
    const trunk = infraWorkflows(examplePlatform((d) => (d.github.defaultBranch = "trunk")));
    expect(parse(trunk[APPLY]).on).toEqual({ push: { branches: ["trunk"] } });
    expect(parse(trunk[PLAN]).on).toEqual({ pull_request: { branches: ["trunk"] } });
  });
});

describe("the platform file's path", () => {
  test("fails when it is outside the repository: CI's checkout would not have it", () => {
    // The example's stacks, built once above: only the path differs here.
    for (const outside of ["../platform.yaml", "infra/../../platform.yaml", path.resolve(process.cwd(), "..", "elsewhere", "platform.yaml")]) {
      expect(() => infraWorkflows(examplePlatform(), { platformFile: outside }, exampleStacks)).toThrow(/is outside the repository/);
    }
    // Inside the repository, relative or absolute, it is written relative to the root.
    const inside = infraWorkflows(examplePlatform(), { platformFile: path.resolve(process.cwd(), "platforms", "acme.yaml") }, exampleStacks);
    expect(inside[PLAN]).toContain("npm run synth -- --platform platforms/acme.yaml");
  });
});

describe("every workflow", () => {
  test("installs a Terraform the stacks accept (their required_version)", () => {
    const [, minimum] = REQUIRED_TERRAFORM_VERSION.match(/^>= (\d+\.\d+)$/)!;
    const [major, minor] = TERRAFORM_VERSION.split(".").map(Number);
    const [minMajor, minMinor] = minimum.split(".").map(Number);
    expect(major > minMajor || (major === minMajor && minor >= minMinor)).toBe(true);
    for (const [file, yaml] of Object.entries(exampleFiles)) {
      const versions = [...yaml.matchAll(/terraform_version: (\S+)/g)].map((m) => m[1]);
      expect({ file, versions: [...new Set(versions)] }).toEqual({ file, versions: versions.length ? [TERRAFORM_VERSION] : [] });
    }
  });

  test("gives each job least permissions: id-token only where a role is assumed, pull-requests and issues only where written", () => {
    for (const [file, workflow] of [...Object.entries(multi), ...Object.entries(exampleFiles).map(([f, y]) => [f, parse(y)] as const)]) {
      expect(workflow.permissions).toEqual({ contents: "read" });
      for (const [id, job] of jobsOf(workflow)) {
        const where = `${file} ${id}`;
        expect({ where, explicit: job.permissions !== undefined }).toEqual({ where, explicit: true });
        const assumesRole = stepsUsing(job, "aws-actions/configure-aws-credentials").length > 0;
        expect({ where, idToken: job.permissions["id-token"] }).toEqual({ where, idToken: assumesRole ? "write" : undefined });
        expect({ where, pullRequests: job.permissions["pull-requests"] }).toEqual({
          where,
          pullRequests: id === "summary" ? "write" : id === "reviewed" ? "read" : undefined,
        });
        expect({ where, issues: job.permissions.issues }).toEqual({ where, issues: id === "report" ? "write" : undefined });
        // actions: read only to fetch the reviewed plan run and its artifacts.
        expect({ where, actions: job.permissions.actions }).toEqual({ where, actions: id === "reviewed" || /^(first-)?apply-/.test(id) ? "read" : undefined });
        expect(Object.values(job.permissions).filter((level) => level === "write").length).toBeLessThanOrEqual(1);
      }
    }
  });

  test("pins every action to a commit SHA of the table and holds no secret in plain text", () => {
    const pinned = new Set(Object.values(INFRA_ACTIONS));
    for (const [file, yaml] of [...Object.entries(exampleFiles), ...Object.entries(multiFiles)]) {
      for (const [, job] of jobsOf(parse(yaml))) {
        for (const step of job.steps.filter((s: Json) => s.uses)) {
          expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
          expect(pinned.has(step.uses)).toBe(true);
          // No long-lived AWS keys: credentials come from OIDC only.
          expect(Object.keys(step.with ?? {})).not.toEqual(expect.arrayContaining(["aws-access-key-id"]));
        }
      }
      expect({ file, keys: yaml.match(/AKIA[0-9A-Z]{16}|-----BEGIN|ghp_|github_pat_/g) }).toEqual({ file, keys: null });
      // The only secrets read are GitHub App private keys, in apply and drift jobs, passed to the action that needs them.
      expect([...new Set(yaml.match(/secrets\.[A-Z_]+/g) ?? [])].sort()).toEqual(
        file === APPLY ? ["secrets.SLIPWAY_GITHUB_APP_PRIVATE_KEY"] : file === DRIFT ? ["secrets.SLIPWAY_DRIFT_GITHUB_APP_PRIVATE_KEY"] : [],
      );
    }
  });

  test("with the local backend: tests and synth run, every Terraform job is switched off, and each run warns why — only then", () => {
    const NOTICE = "No shared Terraform state: Terraform jobs skipped";
    const notice = (yaml: string) => Object.values<Json>(parse(yaml).jobs).flatMap((j) => j.steps ?? []).find((s: Json) => s.name === NOTICE);
    const terraformJobs = (yaml: string) =>
      Object.entries<Json>(parse(yaml).jobs).filter(([, j]) => JSON.stringify(j.steps ?? []).includes("terraform ") || j.name === "plan summary" || j.name === "drift issues");
    for (const file of [PLAN, APPLY, DRIFT]) {
      const step = notice(exampleFiles[file]);
      expect(step.run).toContain("::warning title=No shared Terraform state::platform.yaml keeps Terraform state in local files (backend: local)");
      expect(step.run).not.toContain("exit 1");
      expect(notice(multiFiles[file])).toBeUndefined();
      const off = terraformJobs(exampleFiles[file]);
      expect(off.length).toBeGreaterThan(0);
      for (const [id, job] of off) expect([id, job.if]).toEqual([id, "false"]);
      // with shared state nothing is switched off
      for (const [id, job] of Object.entries<Json>(parse(multiFiles[file]).jobs)) expect([id, job.if]).not.toEqual([id, "false"]);
    }
    // The pull request still installs, tests and synthesizes, then warns.
    const synthSteps = parse(exampleFiles[PLAN]).jobs.synth.steps.map((s: Json) => s.name);
    expect(synthSteps.slice(synthSteps.indexOf("npm ci"))).toEqual(["npm ci", "npm test", "npm run synth", NOTICE, "Upload the synthesized stacks"]);
    expect(parse(exampleFiles[PLAN]).jobs.synth.if).toBeUndefined();
    // Apply: only the warning runs; nothing is fetched, synthesized or applied.
    const apply = parse(exampleFiles[APPLY]).jobs;
    expect(apply.reviewed.steps.map((s: Json) => s.name)).toEqual([NOTICE]);
    expect(Object.entries<Json>(apply).filter(([id]) => id !== "reviewed").every(([, j]) => j.if === "false")).toBe(true);
  });
});

describe("jobsInDependencyOrder", () => {
  const stack = (name: string, level: number, dependsOn: string[] = []): InfraStack => ({
    name,
    level,
    dependsOn,
    production: false,
    environment: "dev",
    region: "eu-west-1",
    providers: ["aws"],
    bootstrap: false,
    planRole: "arn:aws:iam::111111111111:role/acme-plan",
    applyRole: "arn:aws:iam::111111111111:role/acme-dev-apply",
    planRunsOn: "ubuntu-24.04",
    applyRunsOn: "ubuntu-24.04",
  });

  test("splits a level larger than one matrix into parts, and needs every part holding a dependency", () => {
    const platforms = [stack("platform-dev", 0)];
    const apps = Array.from({ length: MAX_MATRIX_COMBINATIONS + 10 }, (_, i) => stack(`app${i}-dev`, 1, ["platform-dev"]));
    const top = stack("report", 2, ["app0-dev", `app${MAX_MATRIX_COMBINATIONS + 5}-dev`]);
    const jobs = jobsInDependencyOrder([top, ...apps, ...platforms], (s) => String(s.level), (g) => `plan-${g.key}${g.parts > 1 ? `-part-${g.part}` : ""}`);
    expect(jobs.map((j) => [j.id, j.stacks.length, j.needs])).toEqual([
      ["plan-0", 1, []],
      ["plan-1-part-1", MAX_MATRIX_COMBINATIONS, ["plan-0"]],
      ["plan-1-part-2", 10, ["plan-0"]],
      ["plan-2", 1, ["plan-1-part-1", "plan-1-part-2"]],
    ]);
  });
});

describe("npm run workflows", () => {
  let dir: string;
  let logs: string[];
  let errors: string[];
  beforeEach(() => {
    dir = tempDir("slipway-workflows-");
    logs = [];
    errors = [];
    jest.spyOn(console, "log").mockImplementation((line: string) => void logs.push(line));
    jest.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("writes the three workflows; --check fails when they are stale, listing each file and its first differing line, writing nothing", () => {
    expect(main(["--platform", EXAMPLE_FILE, "--out", dir])).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual([APPLY, DRIFT, PLAN]);
    expect(fs.readFileSync(path.join(dir, PLAN), "utf8")).toBe(exampleFiles[PLAN]);
    expect(errors.join("\n")).toContain("uses the local backend");
    const planFile = path.join(dir, PLAN);
    fs.writeFileSync(planFile, fs.readFileSync(planFile, "utf8").replace("timeout-minutes: 30", "timeout-minutes: 45"));
    fs.rmSync(path.join(dir, DRIFT));
    fs.writeFileSync(path.join(dir, "slipway-old.yml"), `# ${WORKFLOW_HEADER}\nname: old\n`);
    fs.writeFileSync(path.join(dir, "other.yml"), "name: someone else's\n");
    errors.length = 0;
    expect(main(["--platform", EXAMPLE_FILE, "--out", dir, "--check"])).toBe(1);
    const message = errors.join("\n");
    expect(message).toMatch(new RegExp(`${PLAN}: differs from line \\d+\\n    committed: timeout-minutes: 45\\n    generated: timeout-minutes: 30`));
    expect(message).toContain(`${path.join(dir, DRIFT)}: missing`);
    expect(message).toContain(`${path.join(dir, "slipway-old.yml")}: generated earlier but no longer produced`);
    expect(message).not.toContain("other.yml");
    expect(message).toContain("Run `npm run workflows` and commit the result.");
    expect(fs.existsSync(path.join(dir, DRIFT))).toBe(false);
    // Writing again fixes all three and removes only the stale generated file.
    expect(main(["--platform", EXAMPLE_FILE, "--out", dir])).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(["other.yml", APPLY, DRIFT, PLAN].sort());
    expect(staleFiles(dir, exampleFiles)).toEqual([]);
  });

  test("--check passes on the committed workflows", () => {
    expect(main(["--check"])).toBe(0);
    expect(logs.join("\n")).toContain(`3 workflows in ${DEFAULT_WORKFLOWS_DIR} are up to date with platform.yaml.`);
  });

  test("fails on a bad platform file without writing", () => {
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "name: x\n");
    expect(main(["--platform", bad, "--out", path.join(dir, "out")])).toBe(1);
    expect(errors.join("\n")).toContain("Nothing was written.");
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
  });

  test("fails when the default branch is not a plain branch name", () => {
    expect(() => infraWorkflows(example, { defaultBranch: 'main"; rm -rf /' })).toThrow(/must be a branch name such as main/);
  });
});
