/**
 * The generated workflows' shell steps, run by bash as GitHub runs them (`bash --noprofile --norc
 * -eo pipefail`), with recording stand-ins for `kubectl`, `aws`, `curl` and `docker`: every value
 * reaches a command as exactly one argument, however hostile, and nothing in it runs.
 *
 * The values come from the job's `env` (as GitHub sets them: `${{ vars.X }}` from the variables,
 * literal values as written); this test gives each one shell metacharacters, quotes and a newline.
 * (A minimal runner of its own: `__tests__/support/workflow-steps.ts`, from the supply-chain work,
 * is not on this branch.)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { DeliveryPipeline, PIPELINE_WORKFLOW_PATHS } from "../../constructs/delivery-pipeline";
import { tempDir } from "../support/platform";

type Json = any;

/** A value no shell should ever run: each part would create a file if it did. */
const hostile = (name: string) => `${name} $(touch pwned-a) \`touch pwned-b\`; touch pwned-c && echo "q" 'q' \\ $HOME\nline two`;

const DIGEST = `sha256:${"d".repeat(64)}`;
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/hello@${DIGEST}`;
/** A manifest as ECR returns it: pretty-printed JSON, with quotes, spaces and newlines, passed on as one argument. */
const MANIFEST = '{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.docker.distribution.manifest.v2+json"\n}';

/** Recording stand-ins: each call appends `[command, ...argv]` as one JSON line. */
function standIns(dir: string): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const command of ["kubectl", "aws", "curl", "docker"]) {
    fs.writeFileSync(
      path.join(bin, command),
      [
        "#!/usr/bin/env bash",
        `"${process.execPath}" -e 'require("fs").appendFileSync(process.env.RECORD, JSON.stringify(process.argv.slice(1)) + "\\n")' ${command} "$@"`,
        // The migration's poll: the Job completed.
        `if [[ ${command} == kubectl && " $* " == *" get "* ]]; then echo Complete; fi`,
        // The registry's answer for the deployed digest: its manifest (both queries get this text).
        `if [[ ${command} == aws && " $* " == *" batch-get-image "* ]]; then printf '%s\\n' "$MANIFEST"; fi`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  }
  return bin;
}

/** The job's `env` as GitHub would set it: variables and needs outputs substituted, the rest literal. */
function jobEnv(job: Json, context: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries<string>(job.env ?? {}).map(([key, value]) => [key, value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, name: string) => {
      if (!(name in context)) throw new Error(`no value for ${name} in the test's context`);
      return context[name];
    })]),
  );
}

/** Runs the steps with `run` in order, as GitHub would, until one fails; returns the recorded calls and the exit code. */
function runSteps(job: Json, env: Record<string, string>, options: { skip?: (step: Json) => boolean; runnerTemp?: string } = {}): { calls: string[][]; exitCode: number } {
  const dir = tempDir("slipway-steps-");
  const runnerTemp = options.runnerTemp ?? path.join(dir, "no-runner-temp");
  try {
    const bin = standIns(dir);
    const record = path.join(dir, "record.jsonl");
    fs.writeFileSync(record, "");
    let exitCode = 0;
    for (const step of job.steps) {
      if (step.run === undefined || options.skip?.(step)) continue;
      expect(step.shell).toBe("bash");
      const script = path.join(dir, "step.sh");
      fs.writeFileSync(script, step.run);
      try {
        execFileSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
          cwd: dir,
          env: {
            PATH: `${bin}:/usr/bin:/bin`,
            HOME: "/nonexistent-home",
            RECORD: record,
            MANIFEST,
            GITHUB_RUN_ID: "4242",
            GITHUB_RUN_ATTEMPT: "1",
            RUNNER_TEMP: runnerTemp,
            ...env,
            // A step's own env may name the runner's temporary folder, as GitHub evaluates it.
            ...Object.fromEntries(Object.entries<string>(step.env ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{\{\s*runner\.temp\s*\}\}/g, runnerTemp)])),
          },
          stdio: "pipe",
        });
      } catch (error) {
        exitCode = (error as { status: number }).status;
        break;
      }
    }
    // Nothing of a value ran: no file was created beside the script and the record.
    expect(fs.readdirSync(dir).sort()).toEqual(["bin", "record.jsonl", "step.sh"]);
    return { calls: fs.readFileSync(record, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line)), exitCode };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function deliverWorkflow(testCommand: string): Json {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const pipeline = new DeliveryPipeline(stack, "Pipeline", {
    appName: "hello",
    testCommand,
    migrateCommand: "npm run migrate",
    healthPath: "/healthz",
    repository: { name: "hello" },
    environments: [{ name: "dev" }],
  });
  return parse(pipeline.workflows[PIPELINE_WORKFLOW_PATHS.deliver]);
}

describe("the deploy job's scripts", () => {
  test("pass every value to kubectl, aws and curl as exactly one argument; nothing in a value runs", () => {
    const job = deliverWorkflow("npm test")["jobs"]["deploy-dev"];
    const context = {
      "vars.AWS_REGION": hostile("eu-west-1"),
      "vars.CLUSTER_NAME": hostile("cluster"),
      "vars.NAMESPACE": hostile("hello"),
      "vars.APP_URL": hostile("https://hello.example"),
      "vars.ASSETS_BUCKET": hostile("hello-dev-assets"),
      // Names the stack writes (checked by the script: see the next test for anything else).
      "vars.ALARMS": "eu-west-1:hello-dev-alb-5xx-rate us-east-1:hello-dev-cdn-5xx-rate eu-west-1:hello-dev-db-cpu",
      "vars.DEPLOY_ROLE_ARN": "unused by scripts",
      // The one value the job checks before using it: an ECR reference by digest (the build job's output).
      "needs.build.outputs.image": IMAGE,
    };
    // The names and the health path are literal env values of the job; give them hostile text too.
    const env: Record<string, string> = { ...jobEnv(job, context), APP_NAME: hostile("hello"), DEPLOYMENT: hostile("web"), CONTAINER: hostile("app"), HEALTH_PATH: hostile("/healthz"), MIGRATION_TEMPLATE: hostile("hello-migrate"), ASSETS_PREFIX: hostile("static/") };
    // The artifact the build job left: the static files of this image, and its digest.
    const runnerTemp = tempDir("slipway-runner-temp-");
    fs.mkdirSync(path.join(runnerTemp, "static-assets", "files"), { recursive: true });
    fs.writeFileSync(path.join(runnerTemp, "static-assets", "image-digest"), `${env.IMAGE.slice(env.IMAGE.lastIndexOf("@") + 1)}\n`);
    fs.writeFileSync(path.join(runnerTemp, "static-assets", "files", "app.3f2a9c1b.css"), "body{}");
    let result: { calls: string[][]; exitCode: number };
    try {
      result = runSteps(job, env, { skip: (step) => step.if !== undefined, runnerTemp }); // the rollback runs only on failure
    } finally {
      fs.rmSync(runnerTemp, { recursive: true, force: true });
    }
    const { calls, exitCode } = result;
    expect(exitCode).toBe(0);
    const describeAlarms = [
      ["aws", "cloudwatch", "describe-alarms", "--region", "eu-west-1", "--alarm-types", "MetricAlarm", "--state-value", "ALARM", "--alarm-names", "hello-dev-alb-5xx-rate", "hello-dev-db-cpu", "--query", "MetricAlarms[].[AlarmName]", "--output", "text"],
      ["aws", "cloudwatch", "describe-alarms", "--region", "us-east-1", "--alarm-types", "MetricAlarm", "--state-value", "ALARM", "--alarm-names", "hello-dev-cdn-5xx-rate", "--query", "MetricAlarms[].[AlarmName]", "--output", "text"],
    ];
    const target = `s3://${env.ASSETS_BUCKET}/${env.ASSETS_PREFIX}`;
    const job_ = `${env.APP_NAME}-migrate-4242-1`;
    const manifestQuery = (field: string) => [
      "aws", "ecr", "batch-get-image", "--registry-id", "123456789012", "--region", "eu-west-1", "--repository-name", "shop/hello", "--image-ids", `imageDigest=${DIGEST}`,
      "--accepted-media-types", "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
      "--query", `images[0].${field}`, "--output", "text",
    ];
    expect(calls).toEqual([
      ["aws", "s3", "sync", `${runnerTemp}/static-assets-by-cache/fingerprinted`, target, "--size-only", "--no-progress", "--cache-control", "public, max-age=31536000, immutable"],
      ["aws", "s3", "cp", `${runnerTemp}/static-assets-by-cache/short`, target, "--recursive", "--no-progress", "--cache-control", "public, max-age=300"],
      ["aws", "eks", "update-kubeconfig", "--name", env.CLUSTER_NAME, "--region", env.AWS_REGION],
      // The digest gets this environment's deployed tag (run 4242, attempt 1) from its own manifest, byte for byte.
      manifestQuery("imageManifestMediaType"),
      manifestQuery("imageManifest"),
      [
        "aws", "ecr", "put-image", "--registry-id", "123456789012", "--region", "eu-west-1", "--repository-name", "shop/hello", "--image-tag", "deployed.dev.4242.1", "--image-digest", DIGEST,
        "--image-manifest", MANIFEST, "--image-manifest-media-type", MANIFEST, "--query", "image.imageId", "--output", "text",
      ],
      ["kubectl", "-n", env.NAMESPACE, "set", "image", `cronjob/${env.MIGRATION_TEMPLATE}`, `migrate=${env.IMAGE}`],
      ["kubectl", "-n", env.NAMESPACE, "create", "job", job_, `--from=cronjob/${env.MIGRATION_TEMPLATE}`],
      ["kubectl", "-n", env.NAMESPACE, "get", `job/${job_}`, "-o", "jsonpath={.status.conditions[?(@.status==\"True\")].type}"],
      ["kubectl", "-n", env.NAMESPACE, "logs", `job/${job_}`, "--all-containers"],
      ...describeAlarms,
      ["kubectl", "-n", env.NAMESPACE, "set", "image", `deployment/${env.DEPLOYMENT}`, `${env.CONTAINER}=${env.IMAGE}`],
      ["kubectl", "-n", env.NAMESPACE, "rollout", "status", `deployment/${env.DEPLOYMENT}`, "--timeout=10m"],
      ["curl", "--fail", "--silent", "--show-error", "--retry", "10", "--retry-delay", "6", "--retry-all-errors", `${env.APP_URL}${env.HEALTH_PATH}`],
      // The bake (0 minutes here: one look), one call per region with that region's alarms.
      ...describeAlarms,
    ]);
  });

  test("the alarm steps refuse an ALARMS entry that is not <region>:<name>, before calling anything", () => {
    const job = deliverWorkflow("npm test")["jobs"]["deploy-dev"];
    const steps = job.steps.filter((s: Json) => s.id === "alarms-before" || s.id === "bake");
    expect(steps).toHaveLength(2);
    for (const step of steps) {
      for (const alarms of [hostile("eu-west-1:hello"), "eu-west-1:hello-dev-db-cpu $(touch pwned-a)", "", "hello-dev-db-cpu"]) {
        const result = runSteps({ steps: [step] }, { ALARMS: alarms, BAKE_MINUTES: "0", POLL_SECONDS: "30" });
        expect(result).toEqual({ calls: [], exitCode: 1 });
      }
    }
  });

  test("an image that is not an ECR reference by digest stops the deploy at the registry step, before the cluster is touched; nothing in it runs", () => {
    const job = deliverWorkflow("npm test")["jobs"]["deploy-dev"];
    const tag = job.steps.filter((s: Json) => s.name === "Keep the image in the registry");
    expect(tag).toHaveLength(1);
    for (const image of [hostile(IMAGE), `${IMAGE}\nline two`, IMAGE.replace("@sha256:", ":sha-"), `evil.example/${IMAGE}`]) {
      expect(runSteps({ steps: tag }, { IMAGE: image, DEPLOYED_TAG_PREFIX: "deployed.dev." })).toEqual({ calls: [], exitCode: 1 });
    }
  });

  test("the rollback undoes the same Deployment, as one argument", () => {
    const job = deliverWorkflow("npm test")["jobs"]["deploy-dev"];
    const rollback = job.steps.filter((s: Json) => s.name === "Roll back");
    const env = { NAMESPACE: hostile("hello"), DEPLOYMENT: hostile("web") };
    expect(runSteps({ steps: rollback }, env)).toEqual({
      calls: [
        ["kubectl", "-n", env.NAMESPACE, "rollout", "undo", `deployment/${env.DEPLOYMENT}`],
        ["kubectl", "-n", env.NAMESPACE, "rollout", "status", `deployment/${env.DEPLOYMENT}`, "--timeout=10m"],
      ],
      // It ends with exit 1: the job still fails.
      exitCode: 1,
    });
  });

  test("the test command reaches the container's shell as one argument, exactly as the platform file wrote it", () => {
    const command = hostile("npm test") + " ${HOME} %{ x } $${y}";
    const workflow = deliverWorkflow(command);
    const build = workflow.jobs.build;
    const testStep = build.steps.find((s: Json) => s.name === "Test inside the image");
    // The YAML carries the text itself as the step's environment, not inside the script.
    expect(testStep.env.TEST_COMMAND).toBe(command);
    expect(testStep.run).not.toContain("npm test");
    expect(runSteps({ steps: [testStep] }, {})).toEqual({ calls: [["docker", "run", "--rm", "--entrypoint", "/bin/sh", testStep.env.IMAGE_ID, "-c", command]], exitCode: 0 });
  });
});
