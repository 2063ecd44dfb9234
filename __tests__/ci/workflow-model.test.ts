/** The workflow model's additions for the infrastructure CI: schedules, matrices, working directories, extra header lines. */
import { parse } from "yaml";
import { ACTIONS, usesOf } from "../../constructs/actions";
import { Job, MAX_MATRIX_COMBINATIONS, renderWorkflow, Workflow, WORKFLOW_HEADER } from "../../constructs/workflow";

const job = (extra: Partial<Job> = {}): Job => ({ runsOn: "ubuntu-latest", steps: [{ run: "true" }], ...extra });
const workflow = (jobs: Record<string, Job>, on: Workflow["on"] = { workflowDispatch: {} }): Workflow => ({ name: "Test", on, permissions: { contents: "read" }, jobs });

describe("renderWorkflow additions", () => {
  test("renders schedules after the other triggers", () => {
    const doc = parse(renderWorkflow(workflow({ a: job() }, { schedule: [{ cron: "17 4 * * *" }, { cron: "0 12 * * 1" }], workflowDispatch: {}, push: { branches: ["main"] } })));
    expect(doc.on).toEqual({ push: { branches: ["main"] }, schedule: [{ cron: "17 4 * * *" }, { cron: "0 12 * * 1" }], workflow_dispatch: {} });
    expect(Object.keys(doc.on)).toEqual(["push", "schedule", "workflow_dispatch"]);
  });

  test("renders a matrix strategy between permissions and timeout, lists kept as lists", () => {
    const yaml = renderWorkflow(
      workflow({
        a: job({
          permissions: { idToken: "write" },
          strategy: { failFast: false, maxParallel: 4, include: [{ stack: "one", runner: ["self-hosted", "dev"], github: true, size: 2 }] },
          timeoutMinutes: 5,
        }),
      }),
    );
    const a = parse(yaml).jobs.a;
    expect(Object.keys(a)).toEqual(["runs-on", "permissions", "strategy", "timeout-minutes", "steps"]);
    expect(a.strategy).toEqual({ "fail-fast": false, "max-parallel": 4, matrix: { include: [{ stack: "one", runner: ["self-hosted", "dev"], github: true, size: 2 }] } });
  });

  test("renders a step's working directory", () => {
    const doc = parse(renderWorkflow(workflow({ a: job({ steps: [{ name: "init", workingDirectory: "cdktf.out/stacks/${{ matrix.stack }}", run: "terraform init" }] }) })));
    expect(doc.jobs.a.steps[0]).toEqual({ name: "init", "working-directory": "cdktf.out/stacks/${{ matrix.stack }}", run: "terraform init" });
  });

  test("writes extra comment lines after the header", () => {
    expect(renderWorkflow(workflow({ a: job() }), { comment: ["Regenerate with npm run workflows."] }).startsWith(`# ${WORKFLOW_HEADER}\n# Regenerate with npm run workflows.\n`)).toBe(true);
    expect(renderWorkflow(workflow({ a: job() })).startsWith(`# ${WORKFLOW_HEADER}\n\nname: Test`)).toBe(true);
  });

  test("fails when a matrix is empty", () => {
    expect(() => renderWorkflow(workflow({ a: job({ strategy: { include: [] } }) }))).toThrow('renderWorkflow("Test"): jobs.a.strategy has an empty matrix: list at least one combination');
  });

  test("fails when a matrix has more combinations than GitHub runs", () => {
    const include = Array.from({ length: MAX_MATRIX_COMBINATIONS + 1 }, (_, i) => ({ stack: `s${i}` }));
    expect(() => renderWorkflow(workflow({ a: job({ strategy: { include } }) }))).toThrow(`jobs.a.strategy has 257 matrix combinations; GitHub runs at most 256: split the job`);
  });

  test("fails when max-parallel is not a positive whole number", () => {
    expect(() => renderWorkflow(workflow({ a: job({ strategy: { include: [{ x: 1 }], maxParallel: 0 } }) }))).toThrow("max-parallel 0 is not a positive whole number");
  });

  test("fails when a working directory is set on an action step", () => {
    expect(() => renderWorkflow(workflow({ a: job({ steps: [{ uses: usesOf(ACTIONS.checkout), workingDirectory: "x" }] }) }))).toThrow("jobs.a.steps[0] has working-directory but no run");
  });
});
