/** The workflow-step harness itself: what it runs, records and refuses, so tests built on it prove something. */
import { ACTIONS, usesOf } from "../../constructs/actions";
import { renderWorkflow, Step, Workflow } from "../../constructs/workflow";
import { runJob } from "../support/workflow-steps";

const workflow = (steps: Step[], extra: Partial<Workflow["jobs"][string]> = {}): string =>
  renderWorkflow({ name: "Harness", on: { workflowDispatch: {} }, permissions: { contents: "read" }, jobs: { a: { runsOn: "ubuntu-latest", steps, ...extra } } });

describe("runJob", () => {
  test("runs run steps in bash with the step's env, passes outputs on, and logs stand-in calls with their exact arguments", () => {
    const yaml = workflow(
      [
        { id: "one", shell: "bash", env: { WORD: "two words" }, run: `tool first "$WORD" "it's"\necho "value=$WORD" >> "$GITHUB_OUTPUT"` },
        { name: "Checkout", uses: usesOf(ACTIONS.checkout), with: { ref: "${{ github.sha }}" } },
        { id: "two", shell: "bash", env: { FROM: "${{ steps.one.outputs.value }}", REPO: "${{ vars.REPO }}" }, run: 'tool second "$FROM" "$REPO" "$GITHUB_SHA"' },
      ],
      { outputs: { out: "${{ steps.one.outputs.value }}", none: "${{ steps.nope.outputs.x }}" } },
    );
    const run = runJob(yaml, "a", { standIns: { tool: "" }, contexts: { github: { sha: "abc123" }, vars: { REPO: "r" } } });
    expect(run.result).toBe("success");
    expect(run.calls).toEqual([
      { command: "tool", args: ["first", "two words", "it's"], step: 0 },
      { command: "tool", args: ["second", "two words", "r", "abc123"], step: 2 },
    ]);
    expect(run.steps[1]).toMatchObject({ uses: usesOf(ACTIONS.checkout), with: { ref: "abc123" }, outcome: "success" });
    expect(run.outputs).toEqual({ out: "two words", none: "" });
    // Calls and steps interleave in the order they happened.
    expect(run.timeline.map((e) => ("call" in e ? `call ${e.call.args[0]}` : `step ${e.step.index}`))).toEqual(["call first", "step 0", "step 1", "call second", "step 2"]);
  });

  test("a failing step fails the job and skips later steps, except those that ask for failure() or always()", () => {
    const yaml = workflow([
      { id: "ok", shell: "bash", run: "tool ok" },
      { id: "bad", shell: "bash", run: "tool bad" },
      { shell: "bash", run: "tool never" },
      { if: "failure() && steps.ok.outcome == 'success'", shell: "bash", run: "tool cleanup" },
      { if: "failure() && steps.bad.outcome == 'success'", shell: "bash", run: "tool not-this" },
      { if: "always()", shell: "bash", run: "tool always" },
    ]);
    const run = runJob(yaml, "a", { standIns: { tool: '[ "$1" != bad ]' } });
    expect(run.result).toBe("failure");
    expect(run.steps.map((s) => s.outcome)).toEqual(["success", "failure", "skipped", "success", "skipped", "success"]);
    expect(run.calls.map((c) => c.args[0])).toEqual(["ok", "bad", "cleanup", "always"]);
  });

  test("bash runs with -e and, for shell: bash, pipefail, as on GitHub", () => {
    const pipe = runJob(workflow([{ shell: "bash", run: "tool | cat\ntool after" }]), "a", { standIns: { tool: "exit 3" } });
    expect(pipe.steps[0]).toMatchObject({ outcome: "failure", exitCode: 3 });
    expect(pipe.calls).toHaveLength(1);
    const plain = runJob(workflow([{ run: "tool | cat\ntool after" }]), "a", { standIns: { tool: '[ "$1" = after ] || exit 3' } });
    expect(plain.steps[0].outcome).toBe("success");
    expect(plain.calls).toHaveLength(2);
  });

  test("an action step fails or gives outputs as the test says", () => {
    const yaml = workflow([
      { id: "login", uses: usesOf(ACTIONS.amazonEcrLogin) },
      { shell: "bash", env: { REGISTRY: "${{ steps.login.outputs.registry }}" }, run: 'tool "$REGISTRY"' },
    ]);
    expect(runJob(yaml, "a", { standIns: { tool: "" }, actions: { login: { outputs: { registry: "r.example" } } } }).calls[0].args).toEqual(["r.example"]);
    const failed = runJob(yaml, "a", { standIns: { tool: "" }, actions: { "aws-actions/amazon-ecr-login": { outcome: "failure" } } });
    expect(failed.result).toBe("failure");
    expect(failed.calls).toEqual([]);
  });

  test("refuses what it does not model instead of guessing", () => {
    expect(() => runJob(workflow([{ shell: "bash", env: { X: "${{ format('{0}', github.sha) }}" }, run: "true" }]), "a", { standIns: {} })).toThrow("is not a context path");
    expect(() => runJob(workflow([{ shell: "bash", env: { X: "${{ vars.MISSING }}" }, run: "true" }]), "a", { standIns: {}, contexts: { vars: {} } })).toThrow("${{ vars.MISSING }} was not given");
    expect(() => runJob(workflow([{ if: "github.event_name == 'push'", shell: "bash", run: "true" }]), "a", { standIns: {} })).toThrow("is not modelled");
    expect(() => runJob(workflow([{ shell: "pwsh", run: "true" }]), "a", { standIns: {} })).toThrow('shell "pwsh" is not modelled');
    expect(() => runJob(workflow([{ run: "true" }]), "b", { standIns: {} })).toThrow('workflow has no job "b"');
  });
});
