/**
 * A brand-new platform through its own CI, offline: the generated plan and apply workflows' jobs
 * run in bash (`__tests__/support/workflow-steps.ts`), one matrix entry at a time, against a
 * recording, stateful `terraform` stand-in whose "world" is a folder of applied stacks. A stack
 * whose upstream stack was never applied fails its plan the way Terraform 1.11 does (the
 * `terraform plan -json` diagnostic checked against real Terraform below); the pull request
 * defers it, the merge applies only what was reviewed, and the next pull request plans it.
 *
 * Artifacts are folders: what a plan job's `upload-artifact` step names is copied out of its
 * workspace, and the apply job finds it where its `download-artifact` step puts it (the harness
 * does not run actions; their inputs are asserted).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { affectedJson, affectedStacks } from "../../cli/affected";
import { SynthesizedOutput } from "../../synthesized";
import { InfraStack, infraStacks, infraWorkflows, INFRA_WORKFLOW_FILES, matrixVariable } from "../../cli/infra-workflows";
import { FIRST_APPLY_ENVIRONMENT } from "../../stacks";
import { comparePlans, deferral, main as planSummary } from "../../scripts/plan-summary";
import { examplePlatform, ROOT, synthAll, tempDir } from "../support/platform";
import { terraformForTests } from "../support/terraform";
import { gatedByTools } from "../support/tools";
import { JobRun, runJob } from "../support/workflow-steps";

type Json = Record<string, any>;

const { plan: PLAN, apply: APPLY } = INFRA_WORKFLOW_FILES;
const S3 = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };
/** The example with shared state: production has reviewers, so deferred stacks' first applies are gated. */
const gatedPlatform = examplePlatform((doc) => (doc.backend = S3));
/** …and with no environment that requires approval: nobody could approve a deferred plan. */
const ungatedPlatform = examplePlatform((doc) => {
  doc.backend = S3;
  doc.environments[2].approval = { required: false };
});
/** The stacks (the same for both) and the workflows of the flavour under test. */
let stacks: InfraStack[];
let files: Record<string, string>;
let gatedFiles: Record<string, string>;
let ungatedFiles: Record<string, string>;
let root: string;

beforeAll(() => {
  stacks = infraStacks(gatedPlatform);
  gatedFiles = infraWorkflows(gatedPlatform, {}, stacks);
  ungatedFiles = infraWorkflows(ungatedPlatform, {}, stacks);
  files = gatedFiles;
  root = tempDir("slipway-first-apply-");
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
const byName = (name: string) => stacks.find((s) => s.name === name)!;

/** `terraform plan -json`'s line for the error `terraform_remote_state` reports when the upstream state does not exist (as Terraform 1.11 prints it). */
function missingStateLine(upstream: string): string {
  return JSON.stringify({
    "@level": "error",
    "@message": "Error: Unable to find remote state",
    diagnostic: {
      severity: "error",
      summary: "Unable to find remote state",
      detail: "No stored state was found for the given workspace in the given backend.",
      address: `data.terraform_remote_state.cross-stack-reference-input-${upstream}`,
    },
    type: "diagnostic",
  });
}

/** A plan JSON: the stack's one resource created, or nothing when it was applied already. */
function planJson(stack: string, applied: boolean): Json {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: [
      { address: `aws_ssm_parameter.marker`, mode: "managed", type: "aws_ssm_parameter", change: { actions: [applied ? "no-op" : "create"], before: null, after: { name: stack }, after_unknown: { arn: true } } },
    ],
  };
}

/**
 * `terraform` of the world `world`: `world/applied/<stack>` exists once the stack was applied. A
 * plan fails with the missing-state error of every upstream stack not yet applied (as JSON lines
 * with `-json`); `show -json` prints {@link planJson}; `apply` records the stack as applied.
 * `genuineError` makes every plan of that stack fail with another error.
 */
function terraformStandIn(world: string, genuineError = ""): string {
  const upstreamCases = stacks.filter((s) => s.dependsOn.length > 0).map((s) => `  ${s.name}) ups=${quote(s.dependsOn.join(" "))} ;;`);
  const plans = stacks.flatMap((s) => [
    `  "${s.name} no") echo ${quote(JSON.stringify(planJson(s.name, false)))} ;;`,
    `  "${s.name} yes") echo ${quote(JSON.stringify(planJson(s.name, true)))} ;;`,
  ]);
  return [
    `world=${quote(world)}`,
    'applied() { if [ -e "$world/applied/$1" ]; then echo yes; else echo no; fi; }',
    'case "$1" in',
    "  init) ;;",
    "  plan)",
    '    out=""; json=no; for a in "$@"; do case "$a" in -out=*) out="${a#-out=}" ;; -json) json=yes ;; esac; done',
    `    if [ "$STACK" = ${quote(genuineError || "-")} ]; then`,
    `      if [ "$json" = yes ]; then echo '{"@level":"error","type":"diagnostic","diagnostic":{"severity":"error","summary":"Unsupported attribute","detail":"This object has no argument, nested block, or exported attribute named \\"vpc\\".","address":"aws_eks_cluster.cluster"}}'; else echo "Error: Unsupported attribute" >&2; fi`,
    "      exit 1",
    "    fi",
    '    ups=""',
    '    case "$STACK" in',
    ...upstreamCases,
    "    esac",
    "    failed=0",
    '    for up in $ups; do',
    `      if [ "$(applied "$up")" = no ]; then failed=1; if [ "$json" = yes ]; then ${missingStateShell()}; else echo "Error: Unable to find remote state" >&2; fi; fi`,
    "    done",
    '    if [ "$failed" = 1 ]; then exit 1; fi',
    '    printf "%s %s" "$STACK" "$(applied "$STACK")" > "$out" ;;',
    "  show)",
    '    file="${!#}"; read -r stack done < "$file"',
    '    if [ "$2" = -json ] && [ "$(cat "$world/changed" 2> /dev/null)" = "$stack" ]; then',
    `      echo ${quote(JSON.stringify(planJson("changed-meanwhile", false)))}`,
    '    elif [ "$2" = -json ]; then',
    '      case "$stack $done" in',
    ...plans.map((l) => `  ${l}`),
    "      esac",
    '    else echo "Plan of $stack: 1 to add"; fi ;;',
    '  apply) mkdir -p "$world/applied"; read -r stack _ < "${!#}"; touch "$world/applied/$stack" ;;',
    '  *) echo "unexpected terraform $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
}

/** Shell that prints {@link missingStateLine} of `$up`. */
function missingStateShell(): string {
  const [before, after] = missingStateLine("UPSTREAM").split("UPSTREAM");
  return `printf '%s%s%s\\n' ${quote(before)} "$up" ${quote(after)}`;
}

/** A fresh checkout: the plan-summary script and the synthesized stacks' slipway.json. */
function checkout(): string {
  const dir = tempDir("slipway-checkout-");
  fs.mkdirSync(path.join(dir, "scripts"));
  fs.copyFileSync(path.join(ROOT, "scripts", "plan-summary.js"), path.join(dir, "scripts", "plan-summary.js"));
  fs.mkdirSync(path.join(dir, "cdktf.out", "stacks"), { recursive: true });
  const slipway = { stacks: stacks.map((s) => ({ name: s.name, production: s.production, dependsOn: s.dependsOn })) };
  fs.writeFileSync(path.join(dir, "cdktf.out", "slipway.json"), JSON.stringify(slipway));
  for (const s of stacks) fs.mkdirSync(path.join(dir, "cdktf.out", "stacks", s.name));
  return dir;
}

/**
 * `compute(key)`, computed once per key for the file. The workflows are fixed per flavour, and
 * parsing and re-rendering them for every matrix entry of every job run was most of this file's own
 * CPU; callers only read what they get.
 */
function once<T>(compute: (key: string) => T): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    if (!known.has(key)) known.set(key, compute(key));
    return known.get(key)!;
  };
}

const oneEntryJobs = once((key) => {
  const [jobId, yaml] = JSON.parse(key);
  const workflow = parse(yaml);
  const entries = workflow.jobs[jobId].strategy.matrix.include;
  delete workflow.jobs[jobId].strategy;
  return { yaml: stringify(workflow), entries };
});

/** The workflow with job `jobId`'s matrix taken out (the harness runs one entry at a time), and that job's matrix entries. */
function oneEntryJob(yaml: string, jobId: string): { yaml: string; entries: Json[] } {
  return oneEntryJobs(JSON.stringify([jobId, yaml]));
}

/** The plan jobs, in file order (dependency order), each with every matrix entry the select job may give it. */
const planJobsOf = once((yaml: string): Array<[string, Json[]]> => {
  const jobs = parse(yaml).jobs;
  const select = jobs.select.steps.find((s: Json) => s.id === "select");
  return Object.keys(jobs)
    .filter((id) => id.startsWith("plan-"))
    .map((id) => [id, JSON.parse(select.env[matrixVariable(id)])]);
});

interface PlanRun {
  readonly run: JobRun;
  /** The artifact `plan-<stack>`: file name -> content. */
  readonly artifact: Record<string, string>;
}

/**
 * One plan job's run for one stack of the pull request; the artifact is what its upload step names.
 * The runners job reports an environment's plan runner once its platform stack was applied, unless
 * `runnerAvailable` says otherwise (a platform applied without its GitHub connection authorized).
 */
function planStack(world: string, stack: string, genuineError = "", runnerAvailable?: boolean): PlanRun {
  const [jobId, entries] = planJobsOf(files[PLAN]).find(([, e]) => e.some((x) => x.stack === stack))!;
  const { yaml } = oneEntryJob(files[PLAN], jobId);
  const workspace = checkout();
  try {
    const run = runJob(yaml, jobId, {
      standIns: { terraform: terraformStandIn(world, genuineError) },
      contexts: {
        github: { token: "ghs_job_token" },
        matrix: entries.find((x) => x.stack === stack)!,
        needs: { runners: { outputs: Object.fromEntries(gatedPlatform.environments.map((e) => [e.name, String(runnerAvailable ?? fs.existsSync(path.join(world, "applied", `platform-${e.name}`)))])) } },
      },
      workspace,
    });
    const upload = run.steps.find((s) => s.name === "Upload the plan")!;
    const artifact: Record<string, string> = {};
    if (upload.outcome === "success") {
      expect(upload.with!.name).toBe(`plan-${stack}`);
      for (const file of upload.with!.path.split("\n")) {
        const full = path.join(workspace, file);
        if (fs.existsSync(full)) artifact[path.basename(file)] = fs.readFileSync(full, "utf8");
      }
    }
    return { run, artifact };
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

/** Every stack's plan job, then the summary job over their artifacts. */
function pullRequest(world: string): { plans: Record<string, PlanRun>; summary: JobRun; comment: string } {
  const plans = Object.fromEntries(stacks.map((s) => [s.name, planStack(world, s.name)]));
  const workspace = checkout();
  try {
    for (const [stack, { artifact }] of Object.entries(plans)) {
      fs.mkdirSync(path.join(workspace, "plans", `plan-${stack}`), { recursive: true });
      for (const [file, content] of Object.entries(artifact)) fs.writeFileSync(path.join(workspace, "plans", `plan-${stack}`, file), content);
    }
    // The select job's artifact: a first pull request has no base to compare with, so every stack is planned.
    const selection = affectedStacks(undefined, SynthesizedOutput.fromStacks(stacks.map((s) => ({ name: s.name, json: {} }))));
    fs.mkdirSync(path.join(workspace, "affected"));
    fs.writeFileSync(path.join(workspace, "affected", "affected.json"), JSON.stringify(affectedJson(selection)));
    const summary = runJob(files[PLAN], "summary", {
      standIns: { gh: 'if [ "$1" = pr ]; then echo false; fi' },
      contexts: {
        github: { token: "ghs_job_token", repository: "acme-corp/acme-infrastructure", server_url: "https://github.com", run_id: "77", event: { pull_request: { number: 12, head: { sha: "a".repeat(40) } } } },
      },
      workspace,
    });
    return { plans, summary, comment: fs.readFileSync(path.join(workspace, "comment.md"), "utf8") };
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

/**
 * A brand-new platform's first pull request: {@link pullRequest} in a world where nothing was
 * applied. Its runs depend only on the plan workflow and that empty world, so the tests that start
 * from nothing share one run of it (per plan workflow: both flavours have the same one, which the
 * first test asserts), each then merging it into a world of its own.
 */
let emptyWorlds = 0;
const firstPullRequest = once(() => pullRequest(path.join(root, `nothing-applied-${emptyWorlds++}`)));

/** What one merge's apply run did. */
interface MergeRun {
  /** The reviewed job (finding the pull request, its plan run and its deferred stacks). */
  readonly reviewed: JobRun;
  /** Each stack's leg of its apply job. */
  readonly apply: Record<string, JobRun>;
  /** Each stack's leg of its first-apply job, when that job ran. */
  readonly firstApply: Record<string, JobRun>;
  /** Jobs that waited for approval before a first apply: `<job> in <environment>`. */
  readonly approvals: string[];
}

const PR_HEAD = "b".repeat(40);

/**
 * `gh` as the reviewed job calls it: the merged pull request #12, its successful plan run 77, and
 * that run's artifacts (`deferred-<stack>` for each deferred stack); each answer is filtered
 * through the call's `--jq` by real jq, as gh does.
 */
function ghStandIn(deferred: string[]): string {
  const artifacts = JSON.stringify({ artifacts: [...stacks.map((s) => ({ name: `plan-${s.name}` })), ...deferred.map((d) => ({ name: `deferred-${d}` })), { name: "cdktf-out" }] });
  return [
    'filter=""; for ((i = 1; i <= $#; i++)); do if [ "${!i}" = --jq ]; then j=$((i + 1)); filter="${!j}"; fi; done',
    'case "$2" in',
    `  repos/*/commits/*/pulls) json=${quote(JSON.stringify([{ number: 12, merged_at: "2026-12-06T15:00:00Z", base: { ref: "main" }, head: { sha: PR_HEAD } }]))} ;;`,
    `  repos/*/actions/workflows/*) json=${quote(JSON.stringify({ workflow_runs: [{ id: 77 }] }))} ;;`,
    `  repos/*/actions/runs/77/artifacts) json=${quote(artifacts)} ;;`,
    '  *) echo "unexpected gh $*" >&2; exit 99 ;;',
    "esac",
    'printf %s "$json" | jq -r "$filter"',
  ].join("\n");
}

/**
 * The apply workflow after a merge, job by job in the order GitHub runs them (each job's `needs`
 * are earlier in the file), one matrix entry at a time, each with the reviewed artifact of its
 * stack; a first-apply job runs when its `if:` (the reviewed job's output) holds, after its gate.
 */
function merge(world: string, reviewed: Record<string, PlanRun>, options: { failCompareOf?: string; changeBeforeFirstApply?: string } = {}): MergeRun {
  const workflow = parse(files[APPLY]);
  const deferred = Object.entries(reviewed).filter(([, r]) => "deferred.json" in r.artifact).map(([name]) => name);
  const reviewedRun = runJob(files[APPLY], "reviewed", {
    standIns: { gh: ghStandIn(deferred) },
    contexts: { github: { token: "ghs_job_token", repository: "acme-corp/acme-infrastructure", sha: "c".repeat(40) } },
  });
  expect(reviewedRun.result).toBe("success");
  const contexts = (entry: Json, temp: string) => ({
    github: { token: "ghs_job_token" },
    matrix: entry,
    needs: { reviewed: { outputs: reviewedRun.outputs } },
    vars: { SLIPWAY_GITHUB_APP_ID: "123456" },
    secrets: { SLIPWAY_GITHUB_APP_PRIVATE_KEY: "app-key" },
    runner: { temp },
  });
  /** Artifacts of this run: name -> folder. */
  const artifacts: Record<string, string> = {};
  const leg = (jobId: string, entry: Json, extra: (workspace: string) => void): JobRun => {
    const { yaml } = oneEntryJob(files[APPLY], jobId);
    const workspace = checkout();
    const temp = tempDir("slipway-runner-temp-");
    try {
      fs.mkdirSync(path.join(workspace, "reviewed"));
      for (const [file, content] of Object.entries(reviewed[entry.stack].artifact)) fs.writeFileSync(path.join(workspace, "reviewed", file), content);
      if (options.failCompareOf === entry.stack) fs.writeFileSync(path.join(workspace, "reviewed", "plan.json"), JSON.stringify(planJson("something-else", false)));
      extra(workspace);
      const run = runJob(yaml, jobId, { standIns: { terraform: terraformStandIn(world) }, contexts: contexts(entry, temp), actions: { "github-app": { outputs: { token: "ghs_app_token" } } }, workspace });
      for (const step of run.steps.filter((x) => x.uses?.startsWith("actions/upload-artifact@") && x.outcome === "success")) {
        const kept = tempDir("slipway-artifact-");
        fs.cpSync(step.with!.path, kept, { recursive: true });
        artifacts[step.with!.name] = kept;
      }
      return run;
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.rmSync(temp, { recursive: true, force: true });
    }
  };
  const apply: Record<string, JobRun> = {};
  const firstApply: Record<string, JobRun> = {};
  const approvals: string[] = [];
  const result: Record<string, "success" | "failure" | "skipped"> = {};
  for (const [jobId, job] of Object.entries<Json>(workflow.jobs).filter(([id]) => /^(first-)?apply-/.test(id))) {
    const entries: Json[] = job.strategy.matrix.include;
    if (jobId.startsWith("apply-")) {
      for (const entry of entries) apply[entry.stack] = leg(jobId, entry, () => {});
      result[jobId] = entries.some((e) => apply[e.stack].result === "failure") ? "failure" : "success";
      continue;
    }
    // first-apply-…: runs only when the reviewed job found a deferred stack of it, after its apply job (and gate) succeeded.
    expect(job.if).toBe(`needs.reviewed.outputs.${jobId} == 'true'`);
    const gate = (job.needs as string[]).find((n) => n.startsWith("approve-"));
    if (reviewedRun.outputs[jobId] !== "true" || (job.needs as string[]).some((n) => result[n] === "failure")) {
      result[jobId] = "skipped";
      continue;
    }
    approvals.push(gate ? `${gate} in ${workflow.jobs[gate].environment.name}` : `${jobId} in ${job.environment.name}`);
    // Something changes the stack's plan after it was shown for approval.
    if (entries.some((e) => e.stack === options.changeBeforeFirstApply)) fs.writeFileSync(path.join(world, "changed"), options.changeBeforeFirstApply!);
    for (const entry of entries) {
      firstApply[entry.stack] = leg(jobId, entry, (workspace) => {
        // download-artifact of this run's first-plan-<stack>, where the step puts it.
        const plan = artifacts[`first-plan-${entry.stack}`];
        if (plan) fs.cpSync(plan, path.join(workspace, "first-plan"), { recursive: true });
      });
    }
    result[jobId] = entries.some((e) => firstApply[e.stack].result === "failure") ? "failure" : "success";
  }
  for (const folder of Object.values(artifacts)) fs.rmSync(folder, { recursive: true, force: true });
  return { reviewed: reviewedRun, apply, firstApply, approvals };
}

const applied = (world: string) => (fs.existsSync(path.join(world, "applied")) ? fs.readdirSync(path.join(world, "applied")).sort() : []);
const terraformCalls = (run: JobRun) => run.calls.filter((c) => c.command === "terraform").map((c) => c.args[0]);

describe("a brand-new platform's first pull request", () => {
  test("defers every stack whose upstream was never applied, green, with one line each in the comment; the others plan", () => {
    // The pull-request workflow is the same whether or not the platform has reviewers.
    expect(gatedFiles[PLAN]).toBe(ungatedFiles[PLAN]);
    const { plans, summary, comment } = firstPullRequest(files[PLAN]);
    const deferred = stacks.filter((s) => s.dependsOn.length > 0).map((s) => s.name);
    // The Cluster Autoscaler's kube-system-<env> reads its platform stack too.
    expect(deferred).toEqual(["kube-system-dev", "kube-system-staging", "kube-system-prod", "hello-dev", "hello-staging", "hello-prod"]);
    for (const s of stacks) {
      const { run, artifact } = plans[s.name];
      expect({ stack: s.name, result: run.result }).toEqual({ stack: s.name, result: "success" });
      const marked = run.steps.find((x) => x.name === "Mark the plan deferred")!;
      if (deferred.includes(s.name)) {
        // No plan, no placeholder values: the deferral names the stacks it waits for.
        expect(Object.keys(artifact)).toEqual(["deferred.json"]);
        expect(JSON.parse(artifact["deferred.json"])).toEqual({ slipway_deferred: true, stack: s.name, waitsFor: [...s.dependsOn].sort() });
        expect(run.steps.find((x) => x.name === "Redact the plan")!.outcome).toBe("skipped");
        expect(terraformCalls(run)).toEqual(["init", "plan"]);
        expect(run.steps.find((x) => x.name === "terraform plan")!.stdout).toContain(`::notice title=Plan deferred::${s.name} waits for the first apply of`);
        expect(marked).toMatchObject({ outcome: "success", with: { name: `deferred-${s.name}`, path: `cdktf.out/stacks/${s.name}/deferred.json` } });
      } else {
        expect(Object.keys(artifact).sort()).toEqual(["plan.json", "plan.txt"]);
        expect(JSON.parse(artifact["plan.json"])).toMatchObject({ slipway_redacted: true, resource_changes: [{ change: { actions: ["create"] } }] });
        expect(marked.outcome).toBe("skipped");
      }
    }
    expect(summary.result).toBe("success");
    expect(summary.steps.find((x) => x.id === "summary")!.outputs.status).toBe("0");
    expect(summary.steps.find((x) => x.name === "Fail on missing plans or protected destroys")!.outcome).toBe("skipped");
    expect(comment).toContain("| `hello-dev` |  | | | | | :hourglass_flowing_sand: waits for the first apply of `hello-delivery`, `platform-dev` |");
    expect(comment).toContain("- `hello-prod`: waits for the first apply of `hello-delivery`, `platform-prod`");
    expect(comment).toContain("**6 stacks wait for the first apply of stacks they read**");
    expect(comment).toContain("across 12 stacks (6 deferred)");
    expect(comment).toContain("Every stack is planned: there is no base to compare with.");
    expect(summary.summary).toBe(comment);
    // The comment was posted.
    expect(summary.calls.filter((c) => c.command === "gh").map((c) => c.args.slice(0, 3).join(" "))).toContain("api --method POST");
  });

  test("stacks that need a plan runner plan GitHub-hosted until their platform stack created it: a queued job never waits for a runner that does not exist", () => {
    // CodeBuild says which plan runner projects have their webhook: staging's, not dev's or prod's.
    const run = runJob(files[PLAN], "runners", {
      standIns: { aws: 'case "$4" in acme-staging-plan-runner) echo 1 ;; *) echo 0 ;; esac' },
      contexts: { github: {} },
    });
    expect(run.result).toBe("success");
    expect(run.outputs).toEqual({ dev: "false", staging: "true", prod: "false" });
    expect(run.calls.map((c) => c.args.join(" "))).toEqual(
      ["dev", "staging", "prod"].map((e) => `codebuild batch-get-projects --names acme-${e}-plan-runner --query length(projects[?webhook]) --output text`),
    );
    expect(run.steps.find((s) => s.id === "runner-dev")!.stdout).toContain("::notice title=No plan runner yet::acme-dev-plan-runner has no webhook yet (platform-dev not applied");
    // Each environment's credentials come from its account's read-only plan role.
    expect(run.steps.filter((s) => s.uses).map((s) => s.with!["role-to-assume"])).toEqual(["arn:aws:iam::111111111111:role/acme-plan", "arn:aws:iam::111111111111:role/acme-plan", "arn:aws:iam::222222222222:role/acme-plan"]);
    // runs-on as GitHub evaluates it: `a && b || c` is b when a holds, else c.
    const runsOn = (jobId: string) => {
      const [, env, project] = /outputs\.([a-z]+) == 'true' && format\('codebuild-([a-z0-9-]+)-\{0\}-\{1\}'/.exec(parse(files[PLAN]).jobs[jobId]["runs-on"])!;
      return run.outputs[env] === "true" ? `codebuild-${project}-4242-1` : "ubuntu-24.04";
    };
    expect(["plan-level-1-dev", "plan-level-1-staging", "plan-level-1-prod"].map(runsOn)).toEqual(["ubuntu-24.04", "codebuild-acme-staging-plan-runner-4242-1", "ubuntu-24.04"]);
    expect(parse(files[PLAN]).jobs["plan-level-1-dev"].needs).toEqual(["synth", "select", "runners", "plan-level-0"]);
  });

  test("a stack whose upstream exists plans normally; a genuine plan error fails its job and the check", () => {
    const world = path.join(root, "upstream-exists");
    fs.mkdirSync(path.join(world, "applied"), { recursive: true });
    for (const up of byName("hello-dev").dependsOn) fs.writeFileSync(path.join(world, "applied", up), "");
    const normal = planStack(world, "hello-dev");
    expect(normal.run.result).toBe("success");
    expect(Object.keys(normal.artifact).sort()).toEqual(["plan.json", "plan.txt"]);
    // Upstream state present, but the plan fails for another reason: red, no deferral.
    const broken = planStack(world, "hello-dev", "hello-dev");
    expect(broken.run.result).toBe("failure");
    expect(broken.artifact).toEqual({});
    const planStep = broken.run.steps.find((s) => s.name === "terraform plan")!;
    expect(planStep.outcome).toBe("failure");
    expect(planStep.stderr).toContain("::error title=terraform plan failed::hello-dev: 1 error");
    expect(planStep.stderr).toContain("Error: Unsupported attribute (aws_eks_cluster.cluster)");
    // Its missing artifact fails the summary: "no plan".
    const dir = tempDir("slipway-plans-");
    try {
      const slipway = path.join(dir, "slipway.json");
      fs.writeFileSync(slipway, JSON.stringify({ stacks: [{ name: "hello-dev", production: false, dependsOn: byName("hello-dev").dependsOn }] }));
      const errors: string[] = [];
      expect(planSummary(["summarize", "--plans", path.join(dir, "plans"), "--slipway", slipway, "--out", path.join(dir, "c.md")], { log: () => {}, error: (l) => errors.push(l) })).toBe(1);
      expect(errors.join("\n")).toContain("hello-dev: no plan");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a platform applied without its plan runner (GitHub connection not yet authorized): its app stacks wait for the runner instead of failing on the unreachable cluster", () => {
    const world = path.join(root, "no-runner");
    fs.mkdirSync(path.join(world, "applied"), { recursive: true });
    for (const up of byName("hello-dev").dependsOn) fs.writeFileSync(path.join(world, "applied", up), "");
    // Planned GitHub-hosted, the plan fails for want of the private API: deferred, the errors kept in the log.
    const waiting = planStack(world, "hello-dev", "hello-dev", false);
    expect(waiting.run.result).toBe("success");
    expect(JSON.parse(waiting.artifact["deferred.json"])).toEqual({ slipway_deferred: true, stack: "hello-dev", waitsFor: ["platform-dev"], runnerOf: "platform-dev" });
    const step = waiting.run.steps.find((s) => s.name === "terraform plan")!;
    expect(step.stdout).toContain("::notice title=Plan deferred::hello-dev waits for the plan runner of platform-dev");
    expect(step.stdout).toContain("Error: Unsupported attribute");
    // The same failure with the runner there is a genuine one.
    expect(planStack(world, "hello-dev", "hello-dev", true).run.result).toBe("failure");
    // The comment says what it waits for.
    const dir = tempDir("slipway-plans-");
    try {
      fs.mkdirSync(path.join(dir, "plans", "plan-hello-dev"), { recursive: true });
      fs.writeFileSync(path.join(dir, "plans", "plan-hello-dev", "deferred.json"), waiting.artifact["deferred.json"]);
      fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify({ stacks: [{ name: "hello-dev", production: false, dependsOn: byName("hello-dev").dependsOn }] }));
      expect(planSummary(["summarize", "--plans", path.join(dir, "plans"), "--slipway", path.join(dir, "slipway.json"), "--out", path.join(dir, "c.md")], { log: () => {}, error: () => {} })).toBe(0);
      expect(fs.readFileSync(path.join(dir, "c.md"), "utf8")).toContain("- `hello-dev`: waits for the plan runner of `platform-dev` (its webhook: applied, with its GitHub connection authorized)");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a deferral counts only the stack's own upstream stacks' missing state, and is never a plan the apply could match", () => {
    const helloDev = byName("hello-dev");
    expect(deferral(missingStateLine("platform-dev"), helloDev)).toEqual({ waitsFor: ["platform-dev"] });
    // Missing state of a stack it does not read, or of a data source that is not a cross-stack input: a genuine failure.
    expect(deferral(missingStateLine("platform-prod"), helloDev)).toMatchObject({ errors: [expect.stringContaining("Unable to find remote state (data.terraform_remote_state.cross-stack-reference-input-platform-prod)")] });
    expect(deferral(missingStateLine("platform-dev").replace("cross-stack-reference-input-", "other-"), helloDev)).toHaveProperty("errors");
    // With another error beside it: a genuine failure, every error listed.
    const mixed = deferral(`${missingStateLine("platform-dev")}\n{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Invalid reference"}}`, helloDev);
    expect(mixed).toEqual({ errors: [expect.stringContaining("Unable to find remote state"), "Error: Invalid reference"] });
    // Terraform failed without saying why (or before its JSON output began): a genuine failure.
    expect(deferral('{"type":"version","terraform":"1.11.4"}', helloDev)).toEqual({ errors: ["terraform plan failed without an error diagnostic; see its output"] });
    expect(deferral("Error: Failed to load plugin schemas", helloDev)).toEqual({ errors: ["Error: Failed to load plugin schemas"] });
    // A deferral never matches a fresh plan.
    expect(comparePlans({ slipway_deferred: true, stack: "hello-dev", waitsFor: ["platform-dev"] } as any, planJson("hello-dev", false))).toEqual([
      "hello-dev: the pull request deferred its plan (waits for the first apply of `platform-dev`), so no change of it was reviewed",
    ]);
  });
});

const jq = spawnSync("jq", ["--version"], { encoding: "utf8" });
const { describe: withJq } = gatedByTools("the apply workflow's gh --jq filters (run through jq)", jq.status === 0 ? undefined : "no jq on PATH");

withJq("the merge, when the platform has reviewers: one merge, a human approves each deferred stack's real plan", () => {
  beforeEach(() => (files = gatedFiles));

  test("upstream stacks apply; each deferred stack is then planned, shown in the summary, approved (its environment's reviewers, else slipway-first-apply's) and applied exactly as shown", () => {
    const world = path.join(root, "gated");
    const pr = firstPullRequest(files[PLAN]);
    const run = merge(world, pr.plans);
    expect(run.reviewed.outputs).toMatchObject({ "run-id": "77", "pull-request": "12", "first-apply-level-1-dev": "true", "first-apply-level-1-staging": "true", "first-apply-level-1-prod": "true" });
    // Everything but the bootstrap stacks (applied from a workstation) is applied, in one merge.
    expect(applied(world)).toEqual(["hello-delivery", "hello-dev", "hello-prod", "hello-staging", "kube-system-dev", "kube-system-prod", "kube-system-staging", "platform-dev", "platform-prod", "platform-staging"]);
    // dev and staging have no reviewers of their own: production's approve in slipway-first-apply; prod's first apply waits in prod.
    expect(run.approvals).toEqual([`approve-level-1-dev in ${FIRST_APPLY_ENVIRONMENT}`, `approve-level-1-staging in ${FIRST_APPLY_ENVIRONMENT}`, "first-apply-level-1-prod in prod"]);
    for (const name of ["hello-dev", "hello-staging", "hello-prod"]) {
      const apply = run.apply[name];
      expect(apply.result).toBe("success");
      // The apply job plans it after its upstream stacks, never applies it, and shows the plan.
      expect(terraformCalls(apply)).toEqual(["init", "plan", "show", "show"]);
      expect(apply.steps.find((s) => s.name === "terraform apply")!.outcome).toBe("skipped");
      expect(apply.summary).toContain(`**\`${name}\` is not applied by this job:** pull request #12 had no plan of it to review`);
      expect(apply.summary).toContain(`<details open><summary>Plan of ${name} for approval</summary>\n\n\`\`\`\nPlan of ${name}: 1 to add\n\`\`\``);
      expect(apply.steps.find((s) => s.name === "Upload the plan for approval")!.with!.name).toBe(`first-plan-${name}`);
      // The first-apply job plans again and applies only because that plan matches the one shown.
      const first = run.firstApply[name];
      expect(first.result).toBe("success");
      expect(terraformCalls(first)).toEqual(["init", "plan", "show", "apply"]);
      expect(first.steps.find((s) => s.name === "Compare with the reviewed plan")!.stdout).toContain("The fresh plan makes exactly the reviewed changes");
    }
    // Stacks the pull request did plan are applied by their apply job, and only there.
    for (const name of ["platform-dev", "hello-delivery"]) expect(terraformCalls(run.apply[name])).toEqual(["init", "plan", "show", "apply"]);
  });

  test("a plan that changed between approval and the first apply is not applied; with nothing deferred no first-apply job runs", () => {
    const world = path.join(root, "gated-changed");
    const pr = firstPullRequest(files[PLAN]);
    const run = merge(world, pr.plans, { changeBeforeFirstApply: "hello-staging" });
    expect(run.firstApply["hello-staging"].result).toBe("failure");
    expect(run.firstApply["hello-staging"].steps.find((s) => s.name === "terraform apply")!.outcome).toBe("skipped");
    expect(run.firstApply["hello-staging"].steps.find((s) => s.name === "Compare with the reviewed plan")!.stderr).toContain("::error title=Plan differs from the reviewed one::");
    expect(applied(world)).not.toContain("hello-staging");
    // The next merge: every stack was planned in its pull request; nothing waits for approval.
    fs.rmSync(path.join(world, "changed"));
    const next = merge(world, pullRequest(world).plans);
    expect(next.reviewed.outputs).toMatchObject({ "first-apply-level-1-dev": "false", "first-apply-level-1-staging": "false", "first-apply-level-1-prod": "false" });
    expect(next.approvals).toEqual([]);
    expect(next.firstApply).toEqual({});
    expect(applied(world)).toContain("hello-staging");
  });

  test("the gate holds no secret and no role; the first-apply job runs in the stack's own environment after its apply job", () => {
    const workflow = parse(gatedFiles[APPLY]);
    const gate = workflow.jobs["approve-level-1-dev"];
    expect(gate).toMatchObject({ environment: { name: FIRST_APPLY_ENVIRONMENT }, needs: ["reviewed", "apply-level-1-dev"], if: "needs.reviewed.outputs.first-apply-level-1-dev == 'true'", permissions: { contents: "read" } });
    expect(JSON.stringify(gate)).not.toMatch(/secrets\.|vars\.|configure-aws-credentials|id-token/);
    expect(workflow.jobs["first-apply-level-1-dev"]).toMatchObject({ environment: { name: "dev" }, needs: ["reviewed", "synth", "apply-level-1-dev", "approve-level-1-dev"] });
    expect(workflow.jobs["first-apply-level-1-prod"]).toMatchObject({ environment: { name: "prod" }, needs: ["reviewed", "synth", "apply-level-1-prod"] });
    expect(workflow.jobs["approve-level-1-prod"]).toBeUndefined();
    // Only stacks that read another stack can be deferred.
    expect(Object.keys(workflow.jobs).filter((id) => id.startsWith("first-apply-"))).toEqual(["first-apply-level-1-dev", "first-apply-level-1-staging", "first-apply-level-1-prod"]);
  });

  test("a stack that reads a deferred stack applies after that stack's first apply", () => {
    const deeper: InfraStack = { ...byName("hello-dev"), name: "report-dev", dependsOn: ["hello-dev"], level: 2 };
    const workflow = parse(infraWorkflows(gatedPlatform, {}, [...stacks, deeper])[APPLY]);
    expect(workflow.jobs["apply-level-2-dev"].needs).toEqual(["reviewed", "synth", "apply-level-1-dev", "first-apply-level-1-dev"]);
    // A skipped first apply (nothing deferred) does not skip it; a failed one does.
    expect(workflow.jobs["apply-level-2-dev"].if).toBe("${{ !cancelled() && !contains(needs.*.result, 'failure') }}");
  });
});

withJq("the merge, when no environment has reviewers: deferred stacks wait for the next pull request", () => {
  beforeEach(() => (files = ungatedFiles));

  test("the merge applies the reviewed stacks and nothing deferred; the next pull request plans those, and its merge applies them", () => {
    expect(Object.keys(parse(ungatedFiles[APPLY]).jobs).filter((id) => /^(approve|first-apply)-/.test(id))).toEqual([]);
    const world = path.join(root, "ungated");
    const first = firstPullRequest(files[PLAN]);
    const run = merge(world, first.plans);
    // Bootstrap stacks are never applied by CI; the deferred ones are not applied either.
    expect(applied(world)).toEqual(["hello-delivery", "platform-dev", "platform-prod", "platform-staging"]);
    for (const name of ["hello-dev", "hello-staging", "hello-prod"]) {
      const leg = run.apply[name];
      expect(leg.result).toBe("success");
      // Not even planned, and no role assumed or GitHub App token made for it.
      expect(terraformCalls(leg)).toEqual([]);
      for (const step of ["AWS credentials (OIDC)", "GitHub App token for the GitHub provider", "terraform apply"]) expect(leg.steps.find((s) => s.name === step)!.outcome).toBe("skipped");
      expect(leg.summary).toContain(`**\`${name}\` was not applied:** pull request #12 had no plan of it to review (it waits for the first apply of`);
      expect(leg.summary).toContain("open a pull request (an empty commit will do");
      expect(leg.steps.find((s) => s.id === "reviewed-plan")!.stderr).toContain(`::warning title=Not applied: deferred plan::${name} was not applied`);
    }
    for (const name of ["platform-dev", "hello-delivery"]) expect(terraformCalls(run.apply[name])).toEqual(["init", "plan", "show", "apply"]);

    // The next pull request (an empty commit): every upstream exists now, so every stack plans.
    const second = pullRequest(world);
    for (const s of stacks) expect({ stack: s.name, files: Object.keys(second.plans[s.name].artifact).sort() }).toEqual({ stack: s.name, files: ["plan.json", "plan.txt"] });
    expect(second.comment).not.toContain("waits for the first apply");
    expect(second.comment).toContain("| `hello-dev` |  | 1 | 0 | 0 | 0 |  |");
    merge(world, second.plans);
    expect(applied(world)).toEqual(["hello-delivery", "hello-dev", "hello-prod", "hello-staging", "kube-system-dev", "kube-system-prod", "kube-system-staging", "platform-dev", "platform-prod", "platform-staging"]);
  });

  test("a fresh plan that differs from the reviewed one is not applied", () => {
    const world = path.join(root, "ungated-differs");
    fs.mkdirSync(path.join(world, "applied"), { recursive: true });
    for (const up of byName("hello-dev").dependsOn) fs.writeFileSync(path.join(world, "applied", up), "");
    const pr = pullRequest(world);
    const run = merge(world, pr.plans, { failCompareOf: "hello-dev" });
    expect(run.apply["hello-dev"].result).toBe("failure");
    expect(terraformCalls(run.apply["hello-dev"])).toEqual(["init", "plan", "show"]);
    expect(applied(world)).not.toContain("hello-dev");
  });
});

describe("the missing-state error, from real Terraform", () => {
  const { tools, test: terraformTest } = terraformForTests("plan of a stack whose upstream state does not exist");

  terraformTest("terraform plan -json of a synthesized stack's remote state with no upstream state file gives the diagnostic the plan job defers on; with the state there it plans; another error is genuine", () => {
    // hello-dev's cross-stack inputs exactly as synthesized (local backend: a state file per stack beside the project).
    const synthesized = synthAll(examplePlatform())["hello-dev"];
    const inputs = synthesized.data.terraform_remote_state;
    expect(Object.keys(inputs).sort()).toEqual(["cross-stack-reference-input-hello-delivery", "cross-stack-reference-input-platform-dev"]);
    const project = tempDir("slipway-missing-state-");
    try {
      const dir = path.join(project, "cdktf.out", "stacks", "hello-dev");
      fs.mkdirSync(dir, { recursive: true });
      const config = (attribute: string) => ({
        terraform: { backend: { local: { path: "../../../terraform.hello-dev.tfstate" } } },
        data: { terraform_remote_state: inputs },
        output: Object.fromEntries(Object.keys(inputs).map((name) => [name, { value: `\${data.terraform_remote_state.${name}.outputs.${attribute}}` }])),
      });
      fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(config("marker")));
      const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
      const terraform = (...args: string[]) => spawnSync(tools!.terraform, args, { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
      expect(terraform("init", "-input=false", "-no-color").status).toBe(0);
      const plan = () => terraform("plan", "-json", "-input=false", "-lock=false", "-out=tfplan");
      const upstreamState = (stack: string) =>
        fs.writeFileSync(
          path.join(project, `terraform.${stack}.tfstate`),
          JSON.stringify({ version: 4, terraform_version: "1.11.4", serial: 1, lineage: `lineage-${stack}`, outputs: { marker: { value: stack, type: "string" } }, resources: [] }),
        );

      const none = plan();
      expect(none.status).toBe(1);
      expect(deferral(none.stdout, byName("hello-dev"))).toEqual({ waitsFor: ["hello-delivery", "platform-dev"] });
      upstreamState("platform-dev");
      const one = plan();
      expect(one.status).toBe(1);
      expect(deferral(one.stdout, byName("hello-dev"))).toEqual({ waitsFor: ["hello-delivery"] });
      upstreamState("hello-delivery");
      expect(plan().status).toBe(0);
      // An upstream that exists but lacks what the stack reads is not "waiting": the plan fails for real.
      fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(config("missing_output")));
      const genuine = plan();
      expect(genuine.status).toBe(1);
      expect(deferral(genuine.stdout, byName("hello-dev"))).toEqual({ errors: expect.arrayContaining([expect.stringContaining("Error: Unsupported attribute")]) });
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});
