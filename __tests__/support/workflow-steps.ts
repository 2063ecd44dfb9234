/**
 * Runs one job of a generated workflow the way a runner would, offline: each `run:` step in bash
 * (GitHub's own command line for its `shell`), with the step's evaluated `env`, `$GITHUB_OUTPUT`,
 * `$GITHUB_ENV` and `$RUNNER_TEMP`, and `PATH` starting with a folder of **stand-ins**: executables
 * that append their argv to a log and then do what the test says (print, write a file, fail).
 * Action steps (`uses:`) are not run; they succeed (or fail) with the outputs the test gives, and
 * their evaluated `with` is recorded. Steps run in order; a failed step skips the later ones unless
 * their `if:` asks for `failure()` or `always()`, as on GitHub.
 *
 * Only what Slipway's workflows use is modelled, and anything else throws instead of being
 * guessed: expressions are context paths (`${{ steps.build.outputs.id }}`, `${{ vars.X }}`);
 * `if:` is `success()`, `failure()`, `always()`, `cancelled()` (and `!`),
 * `steps.<id>.outcome == '<outcome>'`, `steps.<id>.outputs.<name> (==|!=) '<value>'`, a bare
 * context path (`matrix.github`, truthy as on GitHub) or `contains(fromJSON(<path>), <path>)` (a
 * JSON list holding a value, e.g. `needs.reviewed.outputs.skipped` and `matrix.stack`), joined with `&&`.
 * `$GITHUB_STEP_SUMMARY` is one file for the job, returned as {@link JobRun.summary}.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

type Json = Record<string, any>;

/** One call of a stand-in: which command, its arguments, and the step that made it. */
export interface StandInCall {
  readonly command: string;
  readonly args: string[];
  /** Index of the step in the job. */
  readonly step: number;
}

/** What one step did. */
export interface StepRecord {
  readonly index: number;
  readonly name?: string;
  readonly id?: string;
  /** The action, for a `uses:` step. */
  readonly uses?: string;
  /** The action's inputs, expressions evaluated. */
  readonly with?: Record<string, string>;
  readonly outcome: "success" | "failure" | "skipped";
  /** The script's exit code (run steps that ran). */
  readonly exitCode?: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

/** The result of {@link runJob}. */
export interface JobRun {
  readonly result: "success" | "failure";
  readonly steps: StepRecord[];
  /** Every stand-in call, in order. */
  readonly calls: StandInCall[];
  /** The job's `outputs`, evaluated after the last step ("" where a step output is missing, as on GitHub). */
  readonly outputs: Record<string, string>;
  /** Steps and calls in the order they happened: `{ step }` for a step that ran, `{ call }` for a stand-in call. */
  readonly timeline: Array<{ readonly step: StepRecord } | { readonly call: StandInCall }>;
  /** What the steps wrote to `$GITHUB_STEP_SUMMARY`. */
  readonly summary: string;
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  /**
   * Stand-ins by command name: a bash body run after the call is logged, with the call's
   * arguments in `"$@"` and `$STANDIN_STATE`, a folder kept for the whole job, for fakes that
   * remember something. An empty body succeeds.
   */
  readonly standIns: Readonly<Record<string, string>>;
  /** Expression contexts: `github`, `vars`, `secrets`, `matrix`, `needs`, `runner` and the like, as nested objects. */
  readonly contexts?: Readonly<Record<string, Json>>;
  /** Action steps' results, by step id or else by action (`owner/repo`): default success with no outputs. */
  readonly actions?: Readonly<Record<string, { readonly outcome?: "success" | "failure"; readonly outputs?: Record<string, string> }>>;
  /** A folder to run in as `$GITHUB_WORKSPACE` (e.g. a prepared checkout), kept afterwards. @default a fresh empty folder */
  readonly workspace?: string;
}

/** GitHub's command lines for the shells of Linux runners (`{0}` is the script). */
const SHELLS: Record<string, string[]> = {
  "": ["bash", "-e"],
  bash: ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
  sh: ["sh", "-e"],
};

const UNIT = "\x1f";
const RECORD = "\x1e";

/**
 * The parsed workflows of the last few texts run. A test runs many jobs of one workflow (a job per
 * matrix entry, per event, per failure injected); parsing a large workflow again for each was most
 * of the CPU some journeys spent in this process. `runJob` only reads the parsed document.
 */
const parsedWorkflows = new Map<string, Json>();

function parseWorkflow(yaml: string): Json {
  let workflow = parsedWorkflows.get(yaml);
  if (workflow === undefined) {
    workflow = parse(yaml) as Json;
    if (parsedWorkflows.size >= 16) parsedWorkflows.delete(parsedWorkflows.keys().next().value!);
    parsedWorkflows.set(yaml, workflow);
  }
  return workflow;
}

/** Runs job `jobId` of the workflow `yaml` (as rendered) against the stand-ins of `options`. */
export function runJob(yaml: string, jobId: string, options: RunJobOptions): JobRun {
  const workflow: Json = parseWorkflow(yaml);
  const job: Json | undefined = workflow.jobs?.[jobId];
  if (job === undefined) throw new Error(`workflow has no job ${JSON.stringify(jobId)}; jobs: ${Object.keys(workflow.jobs ?? {}).join(", ")}`);
  if (job.strategy !== undefined) throw new Error(`job ${jobId}: matrix jobs are not modelled; give the matrix values as contexts.matrix of a single run`);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-steps-"));
  try {
    const dirs = { bin: path.join(root, "bin"), temp: path.join(root, "runner-temp"), workspace: options.workspace ?? path.join(root, "workspace"), state: path.join(root, "state"), home: path.join(root, "home") };
    Object.values(dirs).forEach((d) => fs.mkdirSync(d, { recursive: true }));
    const summaryFile = path.join(root, "step-summary.md");
    fs.writeFileSync(summaryFile, "");
    const log = path.join(root, "calls.log");
    fs.writeFileSync(log, "");
    for (const [command, body] of Object.entries(options.standIns)) {
      if (!/^[A-Za-z0-9._-]+$/.test(command)) throw new Error(`stand-in name ${JSON.stringify(command)} is not a command name`);
      const script = [
        "#!/usr/bin/env bash",
        `STANDIN_STATE=${shellQuote(dirs.state)}`,
        `{ printf '%s${"\\x1f"}' ${shellQuote(command)} "$@"; printf '${"\\x1e"}'; } >> ${shellQuote(log)}`,
        body,
        "",
      ].join("\n");
      fs.writeFileSync(path.join(dirs.bin, command), script, { mode: 0o755 });
    }

    const contexts: Json = {
      ...(options.contexts ?? {}),
      runner: { temp: dirs.temp, os: "Linux", arch: "X64", ...(options.contexts?.runner ?? {}) },
      // hashFiles() reads the workspace, as on GitHub.
      github: { workspace: dirs.workspace, ...(options.contexts?.github ?? {}) },
    };
    fs.mkdirSync(contexts.runner.temp, { recursive: true });
    const stepsContext: Json = {};
    contexts.steps = stepsContext;
    const github: Json = contexts.github ?? {};
    const baseEnv: Record<string, string> = {
      PATH: `${dirs.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: dirs.home,
      CI: "true",
      GITHUB_ACTIONS: "true",
      // As on GitHub, $RUNNER_TEMP is ${{ runner.temp }}: a folder the test gives survives the job.
      RUNNER_TEMP: contexts.runner.temp,
      RUNNER_OS: "Linux",
      GITHUB_WORKSPACE: dirs.workspace,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...Object.fromEntries(Object.entries(github).filter(([, v]) => typeof v === "string" || typeof v === "number").map(([k, v]) => [`GITHUB_${k.toUpperCase()}`, String(v)])),
    };
    const evaluate = (text: unknown, where: string): string => interpolate(String(text), contexts, where);
    const evaluateMap = (map: Json | undefined, where: string): Record<string, string> =>
      Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, evaluate(v, `${where}.${k}`)]));

    const workflowEnv = evaluateMap(workflow.env, "env");
    const jobEnv = evaluateMap(job.env, `jobs.${jobId}.env`);
    const addedEnv: Record<string, string> = {};
    const steps: StepRecord[] = [];
    const calls: StandInCall[] = [];
    const timeline: JobRun["timeline"] = [];
    let failed = false;
    let logOffset = 0;

    (job.steps as Json[]).forEach((step, index) => {
      const where = `jobs.${jobId}.steps[${index}]`;
      if (step["continue-on-error"] !== undefined) throw new Error(`${where}: continue-on-error is not modelled`);
      const runs = condition(step.if, failed, stepsContext, where, contexts);
      const base = { index, name: step.name, id: step.id };
      if (!runs) {
        const record: StepRecord = { ...base, ...(step.uses ? { uses: step.uses } : {}), outcome: "skipped", stdout: "", stderr: "", outputs: {} };
        steps.push(record);
        if (step.id) stepsContext[step.id] = { outcome: "skipped", conclusion: "skipped", outputs: {} };
        return;
      }
      let record: StepRecord;
      if (step.uses !== undefined) {
        const given = options.actions?.[step.id ?? ""] ?? options.actions?.[String(step.uses).split("@")[0]] ?? {};
        record = { ...base, uses: step.uses, with: evaluateMap(step.with, `${where}.with`), outcome: given.outcome ?? "success", stdout: "", stderr: "", outputs: { ...(given.outputs ?? {}) } };
      } else {
        const shell = SHELLS[step.shell ?? ""];
        if (shell === undefined) throw new Error(`${where}: shell ${JSON.stringify(step.shell)} is not modelled`);
        const scriptFile = path.join(root, `step-${index}.sh`);
        fs.writeFileSync(scriptFile, String(step.run));
        const outputFile = path.join(root, `output-${index}`);
        const envFile = path.join(root, `env-${index}`);
        fs.writeFileSync(outputFile, "");
        fs.writeFileSync(envFile, "");
        const env = { ...baseEnv, ...workflowEnv, ...jobEnv, ...addedEnv, ...evaluateMap(step.env, `${where}.env`), GITHUB_OUTPUT: outputFile, GITHUB_ENV: envFile };
        const cwd = step["working-directory"] ? path.resolve(dirs.workspace, evaluate(step["working-directory"], `${where}.working-directory`)) : dirs.workspace;
        fs.mkdirSync(cwd, { recursive: true });
        const result = spawnSync(shell[0], [...shell.slice(1), scriptFile], { cwd, env, encoding: "utf8", timeout: 30_000 });
        if (result.error) throw result.error;
        const exitCode = result.status ?? 128;
        Object.assign(addedEnv, readCommandFile(envFile));
        record = { ...base, outcome: exitCode === 0 ? "success" : "failure", exitCode, stdout: result.stdout, stderr: result.stderr, outputs: readCommandFile(outputFile) };
      }
      // The step's stand-in calls, then the step itself.
      const logged = fs.readFileSync(log, "utf8");
      const fresh = logged.slice(logOffset);
      logOffset = logged.length;
      for (const entry of fresh.split(RECORD).filter((e) => e !== "")) {
        const [command, ...args] = entry.split(UNIT).slice(0, -1);
        const call = { command, args, step: index };
        calls.push(call);
        timeline.push({ call });
      }
      steps.push(record);
      timeline.push({ step: record });
      if (record.outcome === "failure") failed = true;
      if (step.id) stepsContext[step.id] = { outcome: record.outcome, conclusion: record.outcome, outputs: record.outputs };
    });

    const outputs = Object.fromEntries(Object.entries(job.outputs ?? {}).map(([k, v]) => [k, evaluate(v, `jobs.${jobId}.outputs.${k}`)]));
    return { result: failed ? "failure" : "success", steps, calls, outputs, timeline, summary: fs.readFileSync(summaryFile, "utf8") };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * GitHub's `hashFiles('<pattern>', …)` in `workspace`: one SHA-256 over the SHA-256 of each matched
 * file, in path order; "" when nothing matches. Patterns here are paths with `*` within a segment.
 */
function hashFiles(expression: string, workspace: string): string | undefined {
  const call = /^hashFiles\(((?:\s*'[^']*'\s*,?)+)\)$/.exec(expression);
  if (!call) return undefined;
  const patterns = [...call[1].matchAll(/'([^']*)'/g)].map((m) => new RegExp(`^${m[1].split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`));
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (patterns.some((p) => p.test(path.relative(workspace, full)))) files.push(full);
    }
  };
  visit(workspace);
  if (files.length === 0) return "";
  const hash = crypto.createHash("sha256");
  for (const file of files.sort()) hash.update(crypto.createHash("sha256").update(fs.readFileSync(file)).digest());
  return hash.digest("hex");
}

/** `text` with each `${{ <context path> }}` (or `hashFiles(…)`) replaced by its value. */
function interpolate(text: string, contexts: Json, where: string): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    const hashed = hashFiles(expression, contexts.github?.workspace ?? process.cwd());
    if (hashed !== undefined) return hashed;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(expression)) {
      throw new Error(`${where}: the expression ${JSON.stringify(expression)} is not a context path; the harness does not evaluate it`);
    }
    const [context, ...keys] = expression.split(".");
    if (!(context in contexts)) throw new Error(`${where}: the context ${JSON.stringify(context)} of \${{ ${expression} }} was not given to the harness`);
    let value: any = contexts[context];
    for (const key of keys) {
      value = value === undefined || value === null ? undefined : value[key];
    }
    // A missing step output is "" on GitHub; a missing variable is a forgotten test input.
    if (value === undefined && context !== "steps" && context !== "needs") throw new Error(`${where}: \${{ ${expression} }} was not given to the harness`);
    return value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  });
}

/** Whether a step with this `if:` runs, given whether an earlier step failed. */
function condition(expression: unknown, failed: boolean, steps: Json, where: string, contexts: Json = {}): boolean {
  if (expression === undefined) return !failed;
  const text = String(expression).replace(/^\s*\$\{\{\s*|\s*\}\}\s*$/g, "");
  const terms = text.split("&&").map((t) => t.trim());
  let statusChecked = false;
  const values = terms.map((term) => {
    const negated = term.startsWith("!");
    const bare = negated ? term.slice(1).trim() : term;
    let value: boolean;
    const outcome = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)\.(outcome|conclusion)\s*(==|!=)\s*'([a-z]+)'$/.exec(bare);
    const output = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)\s*(==|!=)\s*'([^']*)'$/.exec(bare);
    const contextPath = /^(matrix|vars|inputs)\.[A-Za-z_][A-Za-z0-9_-]*$/.test(bare) ? bare.split(".") : undefined;
    const contains = /^contains\(fromJSON\(([A-Za-z_][A-Za-z0-9_.-]*)\),\s*([A-Za-z_][A-Za-z0-9_.-]*)\)$/.exec(bare);
    if (bare === "success()") [value, statusChecked] = [!failed, true];
    else if (bare === "failure()") [value, statusChecked] = [failed, true];
    else if (bare === "always()") [value, statusChecked] = [true, true];
    else if (bare === "cancelled()") [value, statusChecked] = [false, true];
    else if (outcome) value = ((steps[outcome[1]]?.[outcome[2]] ?? "") === outcome[4]) === (outcome[3] === "==");
    else if (output) value = ((steps[output[1]]?.outputs?.[output[2]] ?? "") === output[4]) === (output[3] === "==");
    else if (contains) {
      const at = (p: string) => p.split(".").reduce<any>((v, key) => v?.[key], contexts);
      const list = JSON.parse(String(at(contains[1]) ?? "")); // fromJSON('') fails on GitHub too
      if (!Array.isArray(list)) throw new Error(`${where}: ${contains[1]} is not a JSON list in the condition ${JSON.stringify(text)}`);
      value = list.includes(at(contains[2]));
    } else if (contextPath) {
      if (!(contextPath[0] in contexts)) throw new Error(`${where}: the context ${JSON.stringify(contextPath[0])} of the condition ${JSON.stringify(text)} was not given to the harness`);
      const v = contexts[contextPath[0]]?.[contextPath[1]];
      // GitHub's truthiness: false, 0, "" and null are false; any other string, "false" too, is true.
      value = typeof v === "string" ? v !== "" : Boolean(v);
    }
    else throw new Error(`${where}: the condition ${JSON.stringify(text)} is not modelled by the harness`);
    return negated ? !value : value;
  });
  // Without a status function GitHub adds success().
  return values.every(Boolean) && (statusChecked || !failed);
}

/** `name=value` lines and `name<<DELIMITER` blocks of `$GITHUB_OUTPUT` / `$GITHUB_ENV`. */
function readCommandFile(file: string): Record<string, string> {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const values: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`${path.basename(file)}: ${heredoc[1]}<<${heredoc[2]} is never closed`);
      values[heredoc[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else {
      const at = line.indexOf("=");
      if (at <= 0) throw new Error(`${path.basename(file)}: ${JSON.stringify(line)} is neither name=value nor name<<DELIMITER`);
      values[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return values;
}

/** `value` as one single-quoted shell word. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
