import { parse } from "yaml";
import { ACTIONS, usesOf } from "../../constructs/actions";
import { Job, renderWorkflow, Step, Workflow, WORKFLOW_HEADER } from "../../constructs/workflow";
import { actionlint } from "../support/actionlint";

type Json = Record<string, any>;

const STEP: Step = { name: "Say hello", run: 'echo "hello"' };
const CHECKOUT = usesOf(ACTIONS.checkout);

/** A workflow using every modelled key. */
const FULL: Workflow = {
  name: "Everything",
  on: {
    push: { branches: ["main"], tags: ["v*"], paths: ["src/**"] },
    pullRequest: { branches: ["main"], types: ["opened", "synchronize"], paths: ["src/**"] },
    workflowDispatch: {},
  },
  permissions: { contents: "read" },
  concurrency: { group: "everything-${{ github.ref }}", cancelInProgress: true },
  env: { TZ: "UTC" },
  jobs: {
    first: {
      name: "First job",
      runsOn: "ubuntu-latest",
      permissions: { contents: "read", idToken: "write", pullRequests: "write", securityEvents: "none", repositoryProjects: "read" },
      timeoutMinutes: 10,
      outputs: { value: "${{ steps.compute.outputs.value }}" },
      env: { LEVEL: "1" },
      steps: [
        { name: "Check out", uses: CHECKOUT, with: { "persist-credentials": false, "fetch-depth": 1 } },
        { name: "Compute", id: "compute", shell: "bash", timeoutMinutes: 2, env: { REF: "${{ github.ref }}" }, run: 'echo "value=$REF" >> "$GITHUB_OUTPUT"' },
      ],
    },
    second: {
      runsOn: ["self-hosted", "linux"],
      needs: ["first"],
      if: "github.event_name == 'push'",
      environment: { name: "prod", url: "https://example.com" },
      concurrency: { group: "prod", cancelInProgress: false },
      steps: [{ env: { VALUE: "${{ needs.first.outputs.value }}" }, run: 'echo "$VALUE"' }],
    },
  },
};

function workflowWith(jobs: Record<string, Job>): Workflow {
  return { name: "Test", on: { workflowDispatch: {} }, permissions: { contents: "read" }, jobs };
}

function expectRenderError(workflow: Workflow, message: string | RegExp): void {
  expect(() => renderWorkflow(workflow)).toThrow(message);
}

describe("renderWorkflow", () => {
  test("renders GitHub's keys for every camelCase field", () => {
    const doc: Json = parse(renderWorkflow(FULL));
    expect(Object.keys(doc)).toEqual(["name", "on", "permissions", "concurrency", "env", "jobs"]);
    expect(doc.on).toEqual({
      push: { branches: ["main"], tags: ["v*"], paths: ["src/**"] },
      pull_request: { branches: ["main"], types: ["opened", "synchronize"], paths: ["src/**"] },
      workflow_dispatch: {},
    });
    expect(doc.concurrency).toEqual({ group: "everything-${{ github.ref }}", "cancel-in-progress": true });

    const first = doc.jobs.first;
    expect(Object.keys(first)).toEqual(["name", "runs-on", "permissions", "timeout-minutes", "outputs", "env", "steps"]);
    expect(first["runs-on"]).toBe("ubuntu-latest");
    expect(first["timeout-minutes"]).toBe(10);
    // Permissions in GitHub's spelling, in a fixed order whatever the order given.
    expect(first.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write", "repository-projects": "read", "security-events": "none" });
    expect(Object.keys(first.permissions)).toEqual(["contents", "id-token", "pull-requests", "repository-projects", "security-events"]);
    expect(first.steps[0]).toEqual({ name: "Check out", uses: CHECKOUT, with: { "persist-credentials": false, "fetch-depth": 1 } });
    expect(first.steps[1]).toEqual({
      name: "Compute",
      id: "compute",
      env: { REF: "${{ github.ref }}" },
      shell: "bash",
      "timeout-minutes": 2,
      run: 'echo "value=$REF" >> "$GITHUB_OUTPUT"',
    });

    const second = doc.jobs.second;
    expect(Object.keys(second)).toEqual(["runs-on", "needs", "if", "environment", "concurrency", "steps"]);
    expect(second["runs-on"]).toEqual(["self-hosted", "linux"]);
    expect(second.environment).toEqual({ name: "prod", url: "https://example.com" });
    expect(second.concurrency).toEqual({ group: "prod", "cancel-in-progress": false });
    // No camelCase key survives anywhere.
    expect(renderWorkflow(FULL)).not.toMatch(/runsOn|timeoutMinutes|cancelInProgress|idToken|pullRequest:|workflowDispatch/);
  });

  test("the output passes actionlint", () => {
    expect(actionlint({ ".github/workflows/everything.yml": renderWorkflow(FULL) })).toEqual([]);
  });

  test("actionlint reports what is wrong (the check is not vacuous)", () => {
    const broken = workflowWith({ a: { runsOn: "ubuntu-latest", env: { X: "${{ steps.nope.outputs.value }}" }, steps: [STEP] } });
    const findings = actionlint({ ".github/workflows/broken.yml": renderWorkflow(broken) });
    // `steps` is not available in a job's env, and has no step `nope` anyway.
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: ".github/workflows/broken.yml", line: 12, kind: "expression", message: expect.stringContaining('context "steps" is not allowed here') }),
        expect.objectContaining({ file: ".github/workflows/broken.yml", kind: "expression", message: expect.stringContaining('"nope" is not defined') }),
      ]),
    );
  });

  test("starts with the generated-file header comment", () => {
    const yaml = renderWorkflow(FULL);
    expect(yaml.split("\n")[0]).toBe(`# ${WORKFLOW_HEADER}`);
    expect(WORKFLOW_HEADER).toBe("Generated by Slipway from the platform file — do not edit by hand.");
    expect(yaml.endsWith("\n")).toBe(true);
  });

  test("is deterministic: same model, same bytes; model key order does not matter", () => {
    expect(renderWorkflow(FULL)).toBe(renderWorkflow(FULL));
    const reordered: Workflow = {
      jobs: FULL.jobs,
      env: FULL.env,
      concurrency: { cancelInProgress: true, group: "everything-${{ github.ref }}" },
      permissions: FULL.permissions,
      on: { workflowDispatch: {}, pullRequest: FULL.on.pullRequest, push: FULL.on.push },
      name: FULL.name,
    };
    expect(renderWorkflow(reordered)).toBe(renderWorkflow(FULL));
  });

  test("never folds long lines; multi-line scripts become literal blocks", () => {
    const long = `echo ${"x".repeat(300)} && echo "${"y".repeat(200)}"`;
    const script = 'set -e\necho "one"\necho "two"\n';
    const yaml = renderWorkflow(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ run: long }, { run: script }] } }));
    expect(yaml).toContain(`run: ${long}\n`);
    expect(yaml).toContain('run: |\n          set -e\n          echo "one"\n          echo "two"\n');
    const doc: Json = parse(yaml);
    expect(doc.jobs.a.steps.map((s: Json) => s.run)).toEqual([long, script]);
  });

  test("strings that look like other YAML types stay strings", () => {
    const yaml = renderWorkflow(
      workflowWith({ a: { runsOn: "ubuntu-latest", env: { FLAG: "true", PORT: "8080", NOTE: "a: b # c", EMPTY: "" }, steps: [STEP] } }),
    );
    expect(parse(yaml).jobs.a.env).toEqual({ FLAG: "true", PORT: "8080", NOTE: "a: b # c", EMPTY: "" });
  });

  test("leaves out unset keys", () => {
    const doc: Json = parse(renderWorkflow(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [STEP] } })));
    expect(doc).toEqual({
      name: "Test",
      on: { workflow_dispatch: {} },
      permissions: { contents: "read" },
      jobs: { a: { "runs-on": "ubuntu-latest", steps: [{ name: "Say hello", run: 'echo "hello"' }] } },
    });
  });

  test("fails when there are no jobs", () => {
    expectRenderError(workflowWith({}), 'renderWorkflow("Test"): jobs is empty');
  });

  test("fails when a job has no steps", () => {
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [] } }), "jobs.a.steps is empty");
  });

  test("fails when a job id is not one GitHub accepts", () => {
    expectRenderError(workflowWith({ "deploy prod": { runsOn: "ubuntu-latest", steps: [STEP] } }), "jobs.deploy prod has a bad id");
  });

  test("fails when needs names a job not declared before", () => {
    expectRenderError(
      workflowWith({ a: { runsOn: "ubuntu-latest", needs: ["b"], steps: [STEP] }, b: { runsOn: "ubuntu-latest", steps: [STEP] } }),
      'jobs.a.needs names "b", which is not a job declared before it',
    );
  });

  test("fails when a step has both or neither of uses and run", () => {
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses: CHECKOUT, run: "ls" }] } }), "jobs.a.steps[0] must have exactly one of uses and run");
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ name: "nothing" }] } }), "jobs.a.steps[0] must have exactly one of uses and run");
  });

  test("fails when with or shell does not fit the step kind", () => {
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ run: "ls", with: { x: 1 } }] } }), "has with but no uses");
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses: CHECKOUT, shell: "bash" }] } }), "has shell but no run");
  });

  test("fails when a script holds an expression (script injection)", () => {
    expectRenderError(
      workflowWith({ a: { runsOn: "ubuntu-latest", steps: [STEP, { run: 'echo "${{ github.event.pull_request.title }}"' }] } }),
      "jobs.a.steps[1].run contains '${{': pass expressions to the script through env instead",
    );
  });

  test("fails when step ids are bad or repeated", () => {
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ id: "1st", run: "ls" }] } }), 'jobs.a.steps[0] has a bad id "1st"');
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ id: "x", run: "ls" }, { id: "x", run: "ls" }] } }), 'jobs.a.steps[1] repeats the step id "x"');
  });

  test("fails when a timeout is not a positive whole number", () => {
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", timeoutMinutes: 0, steps: [STEP] } }), "jobs.a timeout 0 is not a positive whole number of minutes");
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ run: "ls", timeoutMinutes: 1.5 }] } }), "jobs.a.steps[0] timeout 1.5");
  });
  test("writes each pinned action's release beside its SHA", () => {
    const yaml = renderWorkflow(FULL);
    expect(yaml).toContain(`        uses: actions/checkout@${ACTIONS.checkout.sha} # ${ACTIONS.checkout.release}\n`);
    // A comment to YAML: GitHub reads the plain pin.
    expect(parse(yaml).jobs.first.steps[0].uses).toBe(`actions/checkout@${ACTIONS.checkout.sha}`);
  });

  test("an action outside the table: pinned to a SHA, with the release the step gives", () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const yaml = renderWorkflow(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses: `acme/tools/lint@${sha}`, release: "v2.0.0-rc.1", with: { anything: 1 } }] } }));
    expect(yaml).toContain(`uses: acme/tools/lint@${sha} # v2.0.0-rc.1\n`);
    expect(actionlint({ ".github/workflows/other.yml": yaml })).toEqual([]);
  });

  test.each([
    ["a release tag", "actions/checkout@v7.0.1"],
    ["a major tag", "actions/checkout@v7"],
    ["a branch", "actions/checkout@main"],
    ["no ref", "actions/checkout"],
    ["a short SHA", `actions/checkout@${ACTIONS.checkout.sha.slice(0, 12)}`],
    ["an upper-case SHA", `actions/checkout@${ACTIONS.checkout.sha.toUpperCase()}`],
    ["a SHA plus text", `actions/checkout@${ACTIONS.checkout.sha} # v7.0.1`],
    ["a local action", "./.github/actions/build"],
    ["a Docker image", "docker://alpine:3.20"],
    ["an expression", "${{ matrix.action }}"],
  ])("fails when uses is %s", (_, uses) => {
    expectRenderError(
      workflowWith({ a: { runsOn: "ubuntu-latest", steps: [STEP, { uses, release: "v1.0.0" }] } }),
      `renderWorkflow("Test"): jobs.a.steps[1].uses is ${JSON.stringify(uses)}: pin the action to a full commit SHA, owner/repo[/path]@<40 lower-case hex digits>`,
    );
  });

  test("fails when a pinned action is neither in the table nor given a release", () => {
    const uses = `acme/tool@${"a".repeat(40)}`;
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses }] } }), `jobs.a.steps[0].uses pins ${uses}, which is not in Slipway's table of pinned actions (constructs/actions.ts)`);
  });

  test("fails when a release is not a release tag (it is written into a comment)", () => {
    const uses = `acme/tool@${"a".repeat(40)}`;
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses, release: "v1\nrun: evil" }] } }), 'jobs.a.steps[0].release is "v1\\nrun: evil": a release tag such as v1.2.3');
    expectRenderError(workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ run: "ls", release: "v1.0.0" }] } }), "jobs.a.steps[0] has release but no uses");
  });

  test("fails when a step's release contradicts the table", () => {
    expectRenderError(
      workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses: CHECKOUT, release: "v4.2.2" }] } }),
      `jobs.a.steps[0].release is "v4.2.2", but constructs/actions.ts resolved ${CHECKOUT} from ${ACTIONS.checkout.release}`,
    );
  });

  test("fails when an input is not one the pinned release declares, or a required one is missing", () => {
    expectRenderError(
      workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses: CHECKOUT, with: { "persist-credential": false } }] } }),
      `jobs.a.steps[0].with.persist-credential is not an input of actions/checkout ${ACTIONS.checkout.release}; its inputs are: repository, ref,`,
    );
    expectRenderError(
      workflowWith({ a: { runsOn: "ubuntu-latest", steps: [{ uses: usesOf(ACTIONS.uploadArtifact), with: { name: "x" } }] } }),
      `jobs.a.steps[0].with leaves out "path", which actions/upload-artifact ${ACTIONS.uploadArtifact.release} requires`,
    );
  });
});
