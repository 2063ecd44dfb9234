/**
 * The build jobs' shell steps run in bash against a recording stand-in of `docker`: the image that
 * is tested is the image that is pushed, nothing is pushed when the tests fail, and the job hands
 * on `<repository>@<digest>` only when the registry took the image.
 */
import { TerraformStack, Testing } from "cdktf";
import { DeliveryPipeline, DeliveryPipelineProps, PIPELINE_ACTIONS, PIPELINE_WORKFLOW_PATHS } from "../../constructs/delivery-pipeline";
import { JobRun, runJob } from "../support/workflow-steps";

const REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello";
const COMMIT = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
const IMAGE_ID = `sha256:${"1".repeat(64)}`;
const DIGEST = `sha256:${"d".repeat(64)}`;
const OTHER_DIGEST = `sha256:${"e".repeat(64)}`;

function workflows(overrides: Partial<DeliveryPipelineProps> = {}): Record<string, string> {
  const stack = new TerraformStack(Testing.app(), "test");
  return new DeliveryPipeline(stack, "Pipeline", {
    appName: "hello",
    testCommand: "npm test -- --ci",
    healthPath: "/healthz",
    repository: { name: "hello" },
    environments: [{ name: "dev" }, { name: "prod" }],
    ...overrides,
  }).workflows;
}

interface Docker {
  /** What `docker build --iidfile` writes. */
  readonly builtId?: string;
  /** Exit code of `docker run` (the app's tests). */
  readonly testsExit?: number;
  /** What `docker push` prints, and its exit code. */
  readonly pushOutput?: string;
  readonly pushExit?: number;
  /** What `docker image inspect` prints (RepoDigests, one a line). */
  readonly repoDigests?: string;
}

/** A `docker` that records every call and behaves as `docker` says. */
function dockerStandIn(docker: Docker = {}): string {
  const pushOutput = docker.pushOutput ?? `The push refers to repository [${REPOSITORY}]\n5f70bf18a086: Pushed\nsha-${COMMIT}: digest: ${DIGEST} size: 1573\n`;
  return [
    'case "$1" in',
    "  build)",
    '    while [ $# -gt 0 ]; do if [ "$1" = --iidfile ]; then printf %s ' + quote(docker.builtId ?? IMAGE_ID) + ' > "$2"; fi; shift; done ;;',
    `  run) echo "running the tests"; exit ${docker.testsExit ?? 0} ;;`,
    "  tag) ;;",
    "  create) echo 0123456789ab ;;",
    // The image's static folder: one stylesheet.
    '  cp) mkdir -p "$3" && echo "body{}" > "$3/app.css" ;;',
    "  rm) ;;",
    `  push) printf %s ${quote(pushOutput)}; exit ${docker.pushExit ?? 0} ;;`,
    `  image) printf %s ${quote(docker.repoDigests ?? "")} ;;`,
    '  *) echo "unexpected docker $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function runBuild(docker: Docker = {}, overrides: Partial<DeliveryPipelineProps> = {}): JobRun {
  return runJob(workflows(overrides)[PIPELINE_WORKFLOW_PATHS.deliver], "build", {
    standIns: { docker: dockerStandIn(docker) },
    contexts: { github: { sha: COMMIT, ref: "refs/heads/main" }, vars: { ECR_REPOSITORY_URL: REPOSITORY, AWS_REGION: "eu-west-1", BUILD_ROLE_ARN: "arn:aws:iam::123456789012:role/build" } },
  });
}

/** Each event of a run as one line: `docker <args>` for a call, the action's name for an action step that ran. */
function events(run: JobRun): string[] {
  return run.timeline.flatMap((e) => ("call" in e ? [`${e.call.command} ${e.call.args.join(" ")}`] : e.step.uses ? [e.step.uses.split("@")[0]] : []));
}

describe("DeliveryPipeline build job, run against a docker stand-in", () => {
  test("builds once, tests that image, then tags and pushes the same image and hands on its digest", () => {
    const run = runBuild();
    expect(run.result).toBe("success");
    expect(events(run)).toEqual([
      "actions/checkout",
      `docker build --file Dockerfile --iidfile ${run.calls[0].args[4]} .`,
      `docker run --rm --entrypoint /bin/sh ${IMAGE_ID} -c npm test -- --ci`,
      "aws-actions/configure-aws-credentials",
      "aws-actions/amazon-ecr-login",
      `docker tag ${IMAGE_ID} ${REPOSITORY}:sha-${COMMIT}`,
      `docker push ${REPOSITORY}:sha-${COMMIT}`,
      "actions/attest",
      // The static files come out of the same image, by its id, for the deploy jobs.
      `docker create --entrypoint /bin/sh ${IMAGE_ID}`,
      "docker cp 0123456789ab:/app/static/. " + run.calls.find((c) => c.args[0] === "cp")!.args[2],
      "docker rm 0123456789ab",
      "actions/upload-artifact",
    ]);
    expect(run.calls[0].args[4]).toMatch(/\/runner-temp\/image-id$/);
    // The image the tests ran in is the image that was tagged for the registry.
    const tested = run.calls.find((c) => c.args[0] === "run")!.args[4];
    const tagged = run.calls.find((c) => c.args[0] === "tag")!.args[1];
    expect(tagged).toBe(tested);
    expect(run.calls.filter((c) => c.args[0] === "build")).toHaveLength(1);
    // The digest the push reported goes on, by digest, and is the one attested.
    expect(run.outputs).toEqual({ image: `${REPOSITORY}@${DIGEST}`, assets: `static-assets-${"d".repeat(64)}` });
    expect(run.steps.find((s) => s.uses === PIPELINE_ACTIONS.attest)!.with).toEqual({
      "subject-name": REPOSITORY,
      "subject-digest": DIGEST,
      "push-to-registry": "true",
      "create-storage-record": "false",
    });
  });

  test("takes the digest from RepoDigests when the push prints none (containerd image store)", () => {
    const run = runBuild({ pushOutput: "pushed\n", repoDigests: `other.example/hello@${OTHER_DIGEST}\n${REPOSITORY}@${DIGEST}\n` });
    expect(run.result).toBe("success");
    expect(run.calls.map((c) => c.args[0])).toEqual(["build", "run", "tag", "push", "image", "create", "cp", "rm"]);
    expect(run.calls[4].args).toEqual(["image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", `${REPOSITORY}:sha-${COMMIT}`]);
    expect(run.outputs).toMatchObject({ image: `${REPOSITORY}@${DIGEST}` });
  });

  test("when the tests fail: nothing is pushed, no credentials are fetched, no image is handed on", () => {
    const run = runBuild({ testsExit: 1 });
    expect(run.result).toBe("failure");
    expect(run.calls.map((c) => c.args[0])).toEqual(["build", "run"]);
    expect(run.steps.filter((s) => s.outcome !== "skipped").map((s) => s.name)).toEqual(["Check out", "Build the image", "Test inside the image"]);
    expect(run.steps.filter((s) => s.uses && s.uses !== PIPELINE_ACTIONS.checkout).map((s) => s.outcome)).toEqual(["skipped", "skipped", "skipped", "skipped"]);
    expect(run.outputs).toEqual({ image: "", assets: "" });
  });

  test("when the push fails: the job fails, hands on no image and attests nothing", () => {
    const run = runBuild({ pushOutput: "denied: not authorized\n", pushExit: 1 });
    expect(run.result).toBe("failure");
    expect(run.calls.map((c) => c.args[0])).toEqual(["build", "run", "tag", "push"]);
    expect(run.steps.find((s) => s.id === "push")).toMatchObject({ outcome: "failure", outputs: {} });
    expect(run.steps.find((s) => s.uses === PIPELINE_ACTIONS.attest)!.outcome).toBe("skipped");
    expect(run.outputs).toEqual({ image: "", assets: "" });
  });

  test("when no digest can be found for the repository: the job fails and hands on no image", () => {
    const run = runBuild({ pushOutput: "pushed\n", repoDigests: `other.example/hello@${OTHER_DIGEST}\n` });
    expect(run.result).toBe("failure");
    expect(run.steps.find((s) => s.id === "push")!.stdout).toContain("::error::docker push reported no digest");
    expect(run.outputs).toEqual({ image: "", assets: "" });
  });

  test("when the build gives no image id: the tests do not run on anything else", () => {
    const run = runBuild({ builtId: "" });
    expect(run.result).toBe("failure");
    expect(run.calls.map((c) => c.args[0])).toEqual(["build"]);
    expect(run.outputs).toEqual({ image: "", assets: "" });
  });

  test("provenance: false leaves out the attestation and its permission", () => {
    const run = runBuild({}, { provenance: false });
    expect(run.result).toBe("success");
    expect(events(run)).not.toContain("actions/attest");
    expect(workflows({ provenance: false })[PIPELINE_WORKFLOW_PATHS.deliver]).not.toMatch(/attest/);
    expect(run.outputs).toMatchObject({ image: `${REPOSITORY}@${DIGEST}` });
  });

  test("the pull-request job builds and tests the same way, and never tags or pushes", () => {
    const yaml = workflows()[PIPELINE_WORKFLOW_PATHS.pullRequest];
    const context = { github: { sha: COMMIT, ref: "refs/pull/7/merge" } };
    const passed = runJob(yaml, "build-and-test", { standIns: { docker: dockerStandIn() }, contexts: context });
    expect(passed.result).toBe("success");
    expect(passed.calls.map((c) => `${c.args[0]} ${c.args.at(-1)}`)).toEqual(["build .", "run npm test -- --ci"]);
    expect(passed.calls[1].args[4]).toBe(IMAGE_ID);
    const failed = runJob(yaml, "build-and-test", { standIns: { docker: dockerStandIn({ testsExit: 2 }) }, contexts: context });
    expect(failed.result).toBe("failure");
    expect(failed.steps.at(-1)).toMatchObject({ name: "Test inside the image", outcome: "failure", exitCode: 2 });
  });
});
