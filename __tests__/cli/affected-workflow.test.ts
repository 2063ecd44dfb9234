/**
 * `slipway affected` inside the generated infrastructure CI, offline: the pull-request workflow's
 * select job run in bash (`__tests__/support/workflow-steps.ts`) with stand-ins for git and npm
 * (the synthesized outputs are real) and the real `slipway affected` and jq; the comment with the
 * selection; and the merge's apply of a stack the pull request did not plan.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { renderWorkflow } from "../../constructs/workflow";
import { InfraStack, infraStacks, infraWorkflows, INFRA_WORKFLOW_FILES, matrixVariable } from "../../cli/infra-workflows";
import { parsePlatform } from "../../platform/model";
import { main as planSummary } from "../../scripts/plan-summary";
import { exampleDocument, ROOT, tempDir } from "../support/platform";
import { synthDocument } from "../support/synth-output";
import { JobRun, runJob } from "../support/workflow-steps";

type Json = Record<string, any>;

const { plan: PLAN, apply: APPLY } = INFRA_WORKFLOW_FILES;
const S3 = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };
const MERGE_BASE = "1".repeat(40);

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
const folders: string[] = [];
const folder = (prefix?: string) => {
  const dir = tempDir(prefix);
  folders.push(dir);
  return dir;
};

let baseDoc: Json;
let stacks: InfraStack[];
let files: Record<string, string>;
let baseOut: string;
beforeAll(() => {
  baseDoc = exampleDocument();
  baseDoc.backend = S3;
  const platform = parsePlatform(stringify(baseDoc), "platform.yaml");
  stacks = infraStacks(platform);
  files = infraWorkflows(platform, { platformFile: "platform.yaml" }, stacks);
  baseOut = synthDocument(baseDoc);
  folders.push(baseOut);
});
afterAll(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Every matrix entry of plan job `id`, as the generator wrote it into the select step. */
function entriesOf(id: string): Json[] {
  const select = parse(files[PLAN]).jobs.select.steps.find((s: Json) => s.id === "select");
  return JSON.parse(select.env[matrixVariable(id)]);
}
const planJobIds = () => Object.keys(parse(files[PLAN]).jobs).filter((id) => id.startsWith("plan-"));

/**
 * The select job of the pull request whose platform document is `headDoc` and changed files
 * `changed`: git answers with the merge base, the changed files and a worktree holding the base's
 * platform file; `npm run synth` copies the real synthesized output (the head's, or the base's for
 * the worktree, unless `baseFails`). The workspace's `scripts` is this project's, so the step runs
 * the real `slipway affected`.
 */
function select(headDoc: Json, changed: string[], options: { baseFails?: boolean } = {}): { run: JobRun; affected: Json } {
  const headOut = synthDocument(headDoc);
  folders.push(headOut);
  const workspace = folder("slipway-select-");
  fs.symlinkSync(path.join(ROOT, "scripts"), path.join(workspace, "scripts"));
  fs.writeFileSync(path.join(workspace, "platform.yaml"), stringify(headDoc));
  const basePlatform = path.join(folder(), "platform.yaml");
  fs.writeFileSync(basePlatform, stringify(baseDoc));
  const git = [
    'case "$1" in',
    `  merge-base) [ "$2 $3" = "HEAD origin/main" ] && echo ${MERGE_BASE} ;;`,
    `  diff) [ "$*" = "diff --name-only ${MERGE_BASE} HEAD" ] && printf '%s\\n' ${changed.map(quote).join(" ")} ;;`,
    `  worktree) [ "$2 $3 $5" = "add --detach ${MERGE_BASE}" ] && mkdir -p "$4" && cp ${quote(basePlatform)} "$4/platform.yaml" ;;`,
    '  *) echo "unexpected git $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
  const npm = [
    'out=""; prev=""; for a in "$@"; do if [ "$prev" = --out ]; then out="$a"; fi; prev="$a"; done',
    'case "$1" in',
    "  ci) ;;",
    "  run)",
    `    if [ -z "$out" ]; then cp -r ${quote(headOut)} cdktf.out`,
    `    elif [ ${options.baseFails ? "yes" : "no"} = yes ]; then echo "Error: the base does not synthesize" >&2; exit 1`,
    `    else cp -r ${quote(baseOut)} "$out"; fi ;;`,
    '  *) echo "unexpected npm $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
  const run = runJob(files[PLAN], "select", { standIns: { git, npm }, contexts: { github: { base_ref: "main" } }, workspace });
  const affected = fs.existsSync(path.join(workspace, "affected.json")) ? JSON.parse(fs.readFileSync(path.join(workspace, "affected.json"), "utf8")) : undefined;
  return { run, affected };
}

describe("the select job", () => {
  it("a one-app change: each plan job gets the entries of its selected stacks, or nothing", () => {
    const headDoc = exampleDocument();
    headDoc.backend = S3;
    headDoc.apps[0].replicas.max = 5;
    const { run, affected } = select(headDoc, ["platform.yaml", ".github/workflows/slipway-plan.yml"]);
    expect(run.result).toBe("success");
    expect(affected.all).toBe(false);
    expect(affected.plan.map((p: Json) => p.stack)).toEqual(["hello-dev", "hello-staging"]);
    const only = (id: string, stack: string) => JSON.stringify({ include: entriesOf(id).filter((e) => e.stack === stack) });
    expect(run.outputs).toEqual({
      "plan-level-0": "",
      "plan-level-1-dev": only("plan-level-1-dev", "hello-dev"),
      "plan-level-1-staging": only("plan-level-1-staging", "hello-staging"),
      "plan-level-1-prod": "",
    });
    expect(JSON.parse(run.outputs["plan-level-1-dev"]).include).toEqual([{ stack: "hello-dev", region: "eu-west-1", role: "arn:aws:iam::111111111111:role/acme-plan", github: true, refresh: "false" }]);
    const step = run.steps.find((s) => s.id === "select")!;
    expect(step.stdout.split("\n").slice(0, 3)).toEqual(["2 stacks to plan, 10 unchanged:", "  hello-dev: configuration differs", "  hello-staging: configuration differs"]);
    // The base was synthesized in the merge base's worktree, with its own npm ci.
    const npmCalls = run.calls.filter((c) => c.command === "npm").map((c) => c.args.join(" "));
    expect(npmCalls[0]).toBe("ci --no-audit --no-fund");
    expect(npmCalls[1]).toBe("run synth -- --quiet");
    expect(npmCalls[2]).toBe("ci --no-audit --no-fund");
    expect(npmCalls[3]).toMatch(/^run synth -- --platform platform\.yaml --out \S+\/base\.out --quiet$/);
    // The changed files are printed indented, so none is read as a workflow command.
    expect(run.steps.find((s) => s.name === "Synthesize the base")!.stdout).toContain(`Files changed since ${MERGE_BASE}:\n  platform.yaml\n  .github/workflows/slipway-plan.yml\n`);
    const upload = run.steps.find((s) => s.name === "Upload the selection")!;
    expect(upload.with).toMatchObject({ name: "affected", path: "affected.json", "if-no-files-found": "error" });
  });

  it("shared code changed: every plan job gets its whole matrix", () => {
    const headDoc = exampleDocument();
    headDoc.backend = S3;
    const { run, affected } = select(headDoc, ["constructs/cdn.ts"]);
    expect(run.result).toBe("success");
    expect(affected.all).toBe(true);
    expect(affected.why).toBe("shared code changed (constructs/cdn.ts), which may change any stack");
    for (const id of planJobIds()) expect(JSON.parse(run.outputs[id])).toEqual({ include: entriesOf(id) });
    expect(run.steps.find((s) => s.id === "select")!.stdout.split("\n")[0]).toBe("12 stacks to plan, 0 unchanged (everything: shared code changed (constructs/cdn.ts), which may change any stack):");
  });

  it("a base that does not synthesize: a warning, and every stack is planned", () => {
    const headDoc = exampleDocument();
    headDoc.backend = S3;
    headDoc.apps[0].replicas.max = 5;
    const { run, affected } = select(headDoc, ["platform.yaml"], { baseFails: true });
    expect(run.result).toBe("success");
    expect(run.steps.find((s) => s.name === "Synthesize the base")!.stdout).toContain("::warning title=Base not synthesized::main (" + MERGE_BASE + ") does not synthesize: every stack is planned");
    expect(affected).toMatchObject({ all: true, why: "there is no base to compare with" });
    for (const id of planJobIds()) expect(JSON.parse(run.outputs[id]).include.length).toBe(entriesOf(id).length);
  });
});

describe("the pull-request comment", () => {
  it("summarizes only the selected stacks, counts the skipped, says why each was planned, and lists removed stacks", () => {
    const dir = folder();
    const selection = {
      all: false,
      plan: [
        { stack: "hello-dev", why: "configuration differs" },
        { stack: "kube-system-dev", why: "reads platform-dev" },
      ],
      skipped: stacks.map((s) => s.name).filter((n) => n !== "hello-dev" && n !== "kube-system-dev"),
      removed: ["world-dev"],
    };
    fs.writeFileSync(path.join(dir, "affected.json"), JSON.stringify(selection));
    fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify({ stacks: stacks.map((s) => ({ name: s.name, production: s.production })) }));
    for (const stack of ["hello-dev", "kube-system-dev"]) {
      fs.mkdirSync(path.join(dir, "plans", `plan-${stack}`), { recursive: true });
      fs.writeFileSync(path.join(dir, "plans", `plan-${stack}`, "plan.json"), JSON.stringify({ resource_changes: [{ address: "aws_sns_topic.t", type: "aws_sns_topic", change: { actions: ["update"] } }] }));
    }
    const errors: string[] = [];
    const args = ["summarize", "--plans", path.join(dir, "plans"), "--slipway", path.join(dir, "slipway.json"), "--out", path.join(dir, "comment.md")];
    expect(planSummary([...args, "--affected", path.join(dir, "affected.json")], { log: () => undefined, error: (l) => errors.push(l) })).toBe(0);
    expect(errors).toEqual([]);
    const comment = fs.readFileSync(path.join(dir, "comment.md"), "utf8");
    expect(comment).toContain("**0 to add, 2 to change, 0 to destroy** (0 of them replacements) across 2 stacks.");
    expect(comment).toContain("10 unchanged stacks are not planned: their configuration and every output they read are the same as on the base branch.");
    expect(comment).toContain("<details><summary>Why these stacks are planned</summary>\n\n- `hello-dev`: configuration differs\n- `kube-system-dev`: reads platform-dev\n\n</details>");
    expect(comment).toContain("**1 stack is removed and not planned:** `world-dev`. CI destroys nothing");
    expect(comment).toContain("applied only when that plan makes exactly these changes (a stack not planned here: only when it changes nothing).");
    expect(comment).not.toContain("bootstrap-111111111111");
    // Without the selection, the stacks it skipped would count as missing plans.
    expect(planSummary(args, { log: () => undefined, error: (l) => errors.push(l) })).toBe(1);
    expect(errors.join("\n")).toContain("bootstrap-111111111111: no plan");
  });

  it("a changed file's name reaches the comment as inert text", () => {
    const dir = folder();
    const why = "shared code changed ([x](https://evil.example) <img src=x>`), which may change any stack";
    fs.writeFileSync(path.join(dir, "affected.json"), JSON.stringify({ all: true, why, plan: [{ stack: "hello-dev", why: `everything is planned: ${why}` }], skipped: [], removed: [] }));
    fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify({ stacks: [{ name: "hello-dev", production: false }] }));
    fs.mkdirSync(path.join(dir, "plans", "plan-hello-dev"), { recursive: true });
    fs.writeFileSync(path.join(dir, "plans", "plan-hello-dev", "plan.json"), JSON.stringify({ resource_changes: [] }));
    const out = path.join(dir, "comment.md");
    expect(planSummary(["summarize", "--plans", path.join(dir, "plans"), "--slipway", path.join(dir, "slipway.json"), "--affected", path.join(dir, "affected.json"), "--out", out], { log: () => undefined, error: () => undefined })).toBe(0);
    const comment = fs.readFileSync(out, "utf8");
    expect(comment).toContain("Every stack is planned: shared code changed (?x?(https://evil.example) ?img src=x??), which may change any stack.");
    expect(comment).not.toContain("<img");
    expect(comment).not.toContain("](https");
  });

  it("refuses a selection file that is not slipway affected's", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "affected.json"), JSON.stringify({ plan: ["hello-dev"] }));
    fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify({ stacks: [] }));
    const errors: string[] = [];
    expect(planSummary(["summarize", "--plans", dir, "--slipway", path.join(dir, "slipway.json"), "--affected", path.join(dir, "affected.json")], { log: () => undefined, error: (l) => errors.push(l) })).toBe(2);
    expect(errors.join("\n")).toContain("not the output of slipway affected --json");
  });
});

describe("the merge's apply of a stack the pull request did not plan", () => {
  /** `gh` as the reviewed job calls it, with the plan run's artifacts (the selection among them). */
  function gh(skipped: string[] | undefined): string {
    const artifacts = [...stacks.filter((s) => !skipped?.includes(s.name)).map((s) => ({ name: `plan-${s.name}` })), ...(skipped ? [{ name: "affected" }] : [])];
    const selection = { all: false, plan: [], skipped: skipped ?? [], removed: [] };
    return [
      'filter=""; for ((i = 1; i <= $#; i++)); do if [ "${!i}" = --jq ]; then j=$((i + 1)); filter="${!j}"; fi; done',
      'case "$1 $2" in',
      `  "api repos/"*/commits/*/pulls) json=${quote(JSON.stringify([{ number: 12, merged_at: "2026-12-06T15:00:00Z", base: { ref: "main" }, head: { sha: "b".repeat(40) } }]))} ;;`,
      `  "api repos/"*/actions/workflows/*) json=${quote(JSON.stringify({ workflow_runs: [{ id: 77 }] }))} ;;`,
      `  "api repos/"*/actions/runs/77/artifacts) json=${quote(JSON.stringify({ artifacts }))} ;;`,
      `  "run download") [ "$3 $4 $5" = "77 --name affected" ] && mkdir -p "$7" && echo ${quote(JSON.stringify(selection))} > "$7/affected.json"; exit ;;`,
      '  *) echo "unexpected gh $*" >&2; exit 99 ;;',
      "esac",
      'printf %s "$json" | jq -r "$filter"',
    ].join("\n");
  }

  it("the reviewed job outputs the stacks the pull request left unplanned ([] for a run from before the selection)", () => {
    const reviewed = (skipped: string[] | undefined) =>
      runJob(files[APPLY], "reviewed", { standIns: { gh: gh(skipped) }, contexts: { github: { token: "ghs_job_token", repository: "acme-corp/acme-infrastructure", sha: "c".repeat(40) } } });
    const selected = reviewed(["hello-prod", "platform-prod"]);
    expect(selected.result).toBe("success");
    expect(JSON.parse(selected.outputs.skipped)).toEqual(["hello-prod", "platform-prod"]);
    const before = reviewed(undefined);
    expect(before.result).toBe("success");
    expect(before.outputs.skipped).toBe("[]");
    expect(before.calls.filter((c) => c.command === "gh" && c.args[0] === "run")).toEqual([]);
  });

  /** The apply job's leg of `stack`, skipped by the pull request, whose fresh plan is `plan`. */
  function applyLeg(stack: string, fresh: Json): JobRun {
    const workflow = parse(files[APPLY]);
    const [jobId, job] = Object.entries<Json>(workflow.jobs).find(([id, j]) => id.startsWith("apply-") && j.strategy.matrix.include.some((e: Json) => e.stack === stack))!;
    const entry = job.strategy.matrix.include.find((e: Json) => e.stack === stack);
    delete job.strategy;
    const workspace = folder("slipway-apply-");
    fs.mkdirSync(path.join(workspace, "scripts"));
    fs.copyFileSync(path.join(ROOT, "scripts", "plan-summary.js"), path.join(workspace, "scripts", "plan-summary.js"));
    fs.mkdirSync(path.join(workspace, "cdktf.out", "stacks", stack), { recursive: true });
    const terraform = ['case "$1" in', "  init|apply) ;;", '  plan) touch fresh.tfplan ;;', `  show) echo ${quote(JSON.stringify(fresh))} ;;`, '  *) exit 99 ;;', "esac"].join("\n");
    return runJob(stringify(workflow), jobId, {
      standIns: { terraform },
      contexts: {
        github: { token: "ghs_job_token" },
        matrix: entry,
        needs: { reviewed: { outputs: { "run-id": "77", "pull-request": "12", skipped: JSON.stringify([stack]) } } },
        vars: { SLIPWAY_GITHUB_APP_ID: "123456" },
        secrets: { SLIPWAY_GITHUB_APP_PRIVATE_KEY: "app-key" },
      },
      actions: { "github-app": { outputs: { token: "ghs_app_token" } } },
      workspace,
    });
  }

  it("is reviewed as 'no change': applied when its fresh plan changes nothing, stopped when it would change something", () => {
    const noChange = applyLeg("platform-dev", { resource_changes: [{ address: "aws_vpc.v", type: "aws_vpc", change: { actions: ["no-op"] } }] });
    expect(noChange.result).toBe("success");
    expect(noChange.steps.find((s) => s.name === "Download the reviewed plan")!.outcome).toBe("skipped");
    expect(noChange.steps.find((s) => s.name === "Not planned in review")!.stdout).toContain("platform-dev was not planned in review");
    expect(noChange.steps.find((s) => s.name === "Compare with the reviewed plan")!.stdout).toContain("The fresh plan makes exactly the reviewed changes (0 to add, 0 to change, 0 to destroy).");
    expect(noChange.calls.some((c) => c.command === "terraform" && c.args[0] === "apply")).toBe(true);

    const drifted = applyLeg("platform-dev", { resource_changes: [{ address: "aws_vpc.v", type: "aws_vpc", change: { actions: ["update"], after: { cidr_block: "10.9.0.0/16" } } }] });
    expect(drifted.result).toBe("failure");
    expect(drifted.steps.find((s) => s.name === "Compare with the reviewed plan")!.stderr).toContain("aws_vpc.v: reviewed no change, fresh plan update");
    expect(drifted.calls.some((c) => c.command === "terraform" && c.args[0] === "apply")).toBe(false);
  });
});

describe("the workflow model's computed matrix", () => {
  const render = (strategy: any) =>
    renderWorkflow({ name: "T", on: { workflowDispatch: {} }, permissions: { contents: "read" }, jobs: { a: { runsOn: "ubuntu-24.04", strategy, steps: [{ run: "true" }] } } });
  it("renders the expression as the whole matrix", () => {
    expect(parse(render({ failFast: false, matrix: "${{ fromJSON(needs.select.outputs.a) }}" })).jobs.a.strategy).toEqual({ "fail-fast": false, matrix: "${{ fromJSON(needs.select.outputs.a) }}" });
  });
  it("fails when a strategy has both include and matrix, neither, or a matrix that is not one expression", () => {
    expect(() => render({ include: [{ stack: "x" }], matrix: "${{ fromJSON(x) }}" })).toThrow('renderWorkflow("T"): jobs.a.strategy must have exactly one of include and matrix');
    expect(() => render({ failFast: false })).toThrow("jobs.a.strategy must have exactly one of include and matrix");
    expect(() => render({ matrix: "fromJSON(x)" })).toThrow('jobs.a.strategy matrix "fromJSON(x)" must be one ${{ … }} expression');
  });
});
