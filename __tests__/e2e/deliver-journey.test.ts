/**
 * The whole delivery of one commit, offline: the generated deliver workflow's jobs run in bash
 * (`__tests__/support/workflow-steps.ts`) against recording, stateful stand-ins of `docker`,
 * `aws`, `kubectl` and `curl`, job after job as GitHub schedules them through `needs:` — the build,
 * then each environment in promotion order, stopping at the first job that fails (a job whose
 * `needs` failed is not run).
 *
 * What the stand-ins model: `docker` the one image that was built and pushed, and its static
 * folder; `aws secretsmanager` whether the app's secret has a value; `aws s3` a bucket per environment as a folder, each object with its Cache-Control
 * (`sync` uploads only names the bucket lacks, `cp` always uploads); `kubectl` the Deployment's
 * image (and the one before it, for `rollout undo`) and the Jobs created from the suspended
 * CronJob templates, which complete or fail as the scenario says; `curl` the health check, which
 * fails while the scenario's broken image runs. The workflow artifact that carries the static
 * files from the build job to the deploy jobs is a folder: the build job's `upload-artifact` path
 * is kept under the artifact's name, and each deploy job finds it where its `download-artifact`
 * step puts it (the harness does not run actions; their inputs are asserted).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import {
  DeliveryPipeline,
  DeliveryPipelineProps,
  FINGERPRINTED_ASSET,
  PIPELINE_ACTIONS,
  PIPELINE_WORKFLOW_PATHS,
  STATIC_ASSETS_CACHE_CONTROL,
  STATIC_ASSETS_PATH,
} from "../../constructs/delivery-pipeline";
import { actionlint } from "../support/actionlint";
import { tempDir } from "../support/platform";
import { JobRun, runJob } from "../support/workflow-steps";
import { oncePerArgument } from "../support/memo";

const REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello";
const COMMIT = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
const IMAGE_ID = `sha256:${"1".repeat(64)}`;
const DIGEST = `sha256:${"d".repeat(64)}`;
const IMAGE = `${REPOSITORY}@${DIGEST}`;
/** What runs in every environment before this delivery. */
const RUNNING = `${REPOSITORY}@sha256:${"0".repeat(64)}`;
const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
/** The pushed image's manifest as ECR returns it: pretty-printed, so only the exact bytes match {@link DIGEST}. */
const MANIFEST = '{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.docker.distribution.manifest.v2+json"\n}';
const MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
type Environment = (typeof ENVIRONMENTS)[number];

/** The static folder of the image: a fingerprinted stylesheet and script, and two files that keep their names. */
const RELEASE_FILES: Record<string, string> = {
  "app.3f2a9c1b.css": "body { color: #123 }",
  "js/app-0123456789abcdef.js": "console.log('hello')",
  "robots.txt": "User-agent: *",
  "favicon.ico": "icon",
};

/** The deliver workflow for these overrides, synthesized once per file: most journeys run the same one. */
const deliverYamlOnce = oncePerArgument(synthesizeDeliverYaml);
const deliverYaml = (overrides: Partial<DeliveryPipelineProps> = {}): string => deliverYamlOnce(overrides);

function synthesizeDeliverYaml(overrides: Partial<DeliveryPipelineProps>): string {
  const stack = new TerraformStack(Testing.app(), "test");
  return new DeliveryPipeline(stack, "Pipeline", {
    appName: "hello",
    testCommand: "python -m pytest -q tests/unit",
    migrateCommand: "python -m migrate",
    integrationTestCommand: "python -m pytest -q tests/integration",
    databaseSetupTemplateName: "hello-db-setup",
    healthPath: "/healthz",
    repository: { name: "hello" },
    // Bake times as the profiles give them: a minute before production, five in it.
    environments: ENVIRONMENTS.map((name) => ({ name, bakeMinutes: name === "prod" ? 5 : 1 })),
    // One app secret per environment, as the stacks pass them for `secrets: [SESSION_KEY]`.
    secretIds: Object.fromEntries(ENVIRONMENTS.map((name) => [name, [`acme/hello/${name}/SESSION_KEY`]])),
    ...overrides,
  }).workflows[PIPELINE_WORKFLOW_PATHS.deliver];
}

/** What goes wrong in a scenario (nothing, by default). */
interface Scenario {
  /** The environment where it goes wrong. */
  readonly in?: Environment;
  readonly failing?: "tests" | "secret" | "assets" | "expired" | "db-setup" | "migration" | "rollout" | "health" | "integration";
  /** The image's static files (default {@link RELEASE_FILES}). */
  readonly files?: Record<string, string>;
  /** The artifact holds another image's files (its recorded digest differs). */
  readonly foreignArtifact?: boolean;
  /**
   * An alarm of the environment `in` (a signal such as `alb-5xx-rate`) in ALARM from its
   * `fromLook`-th look in its region on (1 is the look before the rollout; the bake's follow).
   */
  readonly alarm?: { readonly signal: string; readonly region: string; readonly fromLook: number };
  readonly pipeline?: Partial<DeliveryPipelineProps>;
}

/** One event of the journey: a stand-in call or an action step, with the job it happened in. */
interface Event {
  readonly job: string;
  readonly line: string;
}

interface Journey {
  /** The jobs that ran, in order, with their results. */
  readonly jobs: Array<{ readonly id: string; readonly run: JobRun }>;
  readonly events: Event[];
  /** Each environment's bucket: key -> Cache-Control. */
  readonly buckets: Record<string, Record<string, string>>;
  /** The image each environment's Deployment runs at the end. */
  readonly running: Record<string, string>;
  /** The tags each environment's deploy job put on images: `<digest> <tag>`. */
  readonly registryTags: Record<string, string[]>;
  /** The Jobs created from templates per environment: `<template> <image>`. */
  readonly jobsRun: Record<string, string[]>;
  readonly yaml: string;
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

function dockerStandIn(s: Scenario): string {
  const files = s.files ?? RELEASE_FILES;
  const writes = Object.entries(files).map(([name, content]) => `mkdir -p "$(dirname "$3/"${quote(name)})"; printf %s ${quote(content)} > "$3/"${quote(name)}`);
  return [
    'case "$1" in',
    `  build) while [ $# -gt 0 ]; do if [ "$1" = --iidfile ]; then printf %s ${quote(IMAGE_ID)} > "$2"; fi; shift; done ;;`,
    `  run) exit ${s.failing === "tests" ? 1 : 0} ;;`,
    "  tag) ;;",
    `  push) echo ${quote(`sha-${COMMIT}: digest: ${DIGEST} size: 1573`)} ;;`,
    `  create) [ "$4" = ${quote(IMAGE_ID)} ] || exit 98; echo c0ffee ;;`,
    // docker cp <container>:<path>/. <dest>: the image's static folder.
    `  cp) [ "$2" = c0ffee:${STATIC_ASSETS_PATH}/. ] || exit 97; mkdir -p "$3"; ${writes.join("; ") || ":"} ;;`,
    "  rm) ;;",
    '  *) echo "unexpected docker $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
}

/**
 * `aws` of one environment: kubeconfig; Secrets Manager's version stages (none while the secret
 * has no value); S3 as the folder `buckets` (objects) plus `meta` (their Cache-Control).
 */
function awsStandIn(world: string, failing: boolean, secretWithoutValue = false, expired = false, alarm?: { name: string; region: string; fromLook: number }): string {
  return [
    `alarm=${quote(alarm?.name ?? "")}; alarm_region=${quote(alarm?.region ?? "")}; alarm_from=${alarm?.fromLook ?? 0}`,
    `buckets=${quote(path.join(world, "buckets"))}; meta=${quote(path.join(world, "meta"))}; tags=${quote(path.join(world, "registry-tags"))}`,
    'case "$1 $2" in',
    '  "eks update-kubeconfig") ;;',
    // ECR: the pushed digest's manifest (none once expired); put-image adds a tag to that manifest only.
    `  "ecr batch-get-image") if ${expired}; then echo None; elif [[ "$*" == *"imageManifestMediaType"* ]]; then echo ${quote(MANIFEST_TYPE)}; else printf '%s\\n' ${quote(MANIFEST)}; fi ;;`,
    '  "ecr put-image")',
    '    tag=""; digest=""; manifest=""; shift 2',
    '    while [ $# -gt 0 ]; do case "$1" in --image-tag) tag="$2" ;; --image-digest) digest="$2" ;; --image-manifest) manifest="$2" ;; esac; shift; done',
    `    if [ "$digest" != "\${IMAGE##*@}" ] || [ "$manifest" != ${quote(MANIFEST)} ]; then echo "ImageDigestDoesNotMatchException" >&2; exit 254; fi`,
    '    echo "$digest $tag" >> "$tags" ;;',
    `  "secretsmanager describe-secret") if ${secretWithoutValue}; then echo "{}"; else echo '{"v1": ["AWSCURRENT"]}'; fi ;;`,
    '  "s3 sync" | "s3 cp")',
    '    sync=0; if [ "$2" = sync ]; then sync=1; fi',
    `    if ${failing}; then echo "upload failed: An error occurred (AccessDenied) when calling the PutObject operation" >&2; exit 1; fi`,
    '    src="$3"; dst="${4#s3://}"; cache=""; shift 4',
    '    while [ $# -gt 0 ]; do if [ "$1" = --cache-control ]; then cache="$2"; fi; shift; done',
    '    while IFS= read -r -d "" f; do',
    '      key="$dst${f#"$src"/}"',
    // sync uploads only what the bucket lacks; cp always.
    '      if [ "$sync" = 1 ] && [ -e "$buckets/$key" ]; then continue; fi',
    '      mkdir -p "$(dirname "$buckets/$key")" "$(dirname "$meta/$key")"; cp "$f" "$buckets/$key"; printf %s "$cache" > "$meta/$key"',
    '    done < <(find "$src" -type f -print0) ;;',
    // CloudWatch: the alarms asked for that are in ALARM at this look of their region.
    '  "cloudwatch describe-alarms")',
    '    region=""; names=(); shift 2',
    '    while [ $# -gt 0 ]; do case "$1" in',
    '      --region) region="$2"; shift 2 ;;',
    '      --alarm-names) shift; while [ $# -gt 0 ] && [[ "$1" != --* ]]; do names+=("$1"); shift; done ;;',
    '      --state-value) [ "$2" = ALARM ] || exit 98; shift 2 ;;',
    '      *) shift ;;',
    '    esac; done',
    `    looks=${quote(path.join(world, "looks-"))}"$region"; look=$(( $(cat "$looks" 2> /dev/null || echo 0) + 1 )); echo "$look" > "$looks"`,
    '    for name in "${names[@]}"; do if [ "$name" = "$alarm" ] && [ "$region" = "$alarm_region" ] && [ "$look" -ge "$alarm_from" ]; then echo "$name"; fi; done ;;',
    '  *) echo "unexpected aws $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
}

/** Each environment's alarms as its stack sets `vars.ALARMS`. */
const alarmsOf = (environment: string) => `eu-west-1:hello-${environment}-alb-5xx-rate eu-west-1:hello-${environment}-pods-not-ready us-east-1:hello-${environment}-cdn-5xx-rate`;

/** `kubectl` of one environment's cluster: the Deployment's image and the Jobs from templates. */
function kubectlStandIn(world: string, s: { failDbSetup?: boolean; failMigration: boolean; failIntegration: boolean; failRolloutOf: string }): string {
  return [
    `k=${quote(path.join(world, "k8s"))}`,
    'shift 2 # -n <namespace>',
    'case "$1 $2" in',
    '  "set image")',
    '    if [[ "$3" == deployment/* ]]; then cp "$k/current" "$k/previous"; printf %s "${4#*=}" > "$k/current"',
    '    else printf %s "${4#*=}" > "$k/template-${3#cronjob/}"; fi ;;',
    '  "create job")',
    '    template="${4#--from=cronjob/}"; printf %s "$template" > "$k/job-$3"',
    // A template whose image was never set runs as Terraform made it.
    '    echo "$template $(cat "$k/template-$template" 2> /dev/null || echo as-made)" >> "$k/jobs-run" ;;',
    '  "get job/"*)',
    '    template="$(cat "$k/job-${2#job/}")"',
    `    if [[ "$template" == *-db-setup && ${s.failDbSetup ?? false} == true ]] || [[ "$template" == *-migrate && ${s.failMigration} == true ]] || [[ "$template" == *-integration-test && ${s.failIntegration} == true ]]; then echo Failed; else echo Complete; fi ;;`,
    '  "logs job/"*) echo "logs of $2" ;;',
    `  "rollout status") if [ "$(cat "$k/current")" = ${quote(s.failRolloutOf)} ]; then echo "error: deployment exceeded its progress deadline" >&2; exit 1; fi ;;`,
    '  "rollout undo") cp "$k/previous" "$k/current" ;;',
    '  *) echo "unexpected kubectl $*" >&2; exit 99 ;;',
    "esac",
  ].join("\n");
}

/** `curl` against one environment: unhealthy while the scenario's broken image runs there. */
function curlStandIn(world: string, unhealthyImage: string): string {
  return `if [ "$(cat ${quote(path.join(world, "k8s", "current"))})" = ${quote(unhealthyImage)} ]; then echo "curl: (22) The requested URL returned error: 503" >&2; exit 22; fi; echo ok`;
}

let undisturbed: Journey | undefined;

/**
 * The journey where nothing goes wrong: the same for every test that reads it (a journey is data
 * once it ran), so it runs once for the file.
 */
function deliverUndisturbed(): Journey {
  return (undisturbed ??= deliver());
}

/** Runs the build and then each environment's deploy job in order, stopping at the first failed job. */
function deliver(s: Scenario = {}): Journey {
  const yaml = deliverYaml(s.pipeline);
  const workflow = parse(yaml);
  const root = tempDir("slipway-journey-");
  try {
    const events: Event[] = [];
    const jobs: Journey["jobs"] = [];
    const record = (id: string, run: JobRun) => {
      jobs.push({ id, run });
      for (const e of run.timeline) {
        if ("call" in e) events.push({ job: id, line: `${e.call.command} ${e.call.args.join(" ")}` });
        else if (e.step.uses) events.push({ job: id, line: e.step.uses.split("@")[0] });
      }
    };

    const buildTemp = path.join(root, "build-temp");
    fs.mkdirSync(buildTemp);
    const build = runJob(yaml, "build", {
      standIns: { docker: dockerStandIn(s) },
      contexts: {
        github: { sha: COMMIT, ref: "refs/heads/main" },
        vars: { ECR_REPOSITORY_URL: REPOSITORY, AWS_REGION: "eu-west-1", BUILD_ROLE_ARN: "arn:aws:iam::123456789012:role/hello-build" },
        // Where the build job's files survive it: the artifact's source folder.
        runner: { temp: buildTemp },
      },
    });
    record("build", build);

    // upload-artifact: the folder at `path`, kept under `name`.
    const artifacts: Record<string, string> = {};
    const upload = build.steps.find((step) => step.uses === PIPELINE_ACTIONS.uploadArtifact);
    if (build.result === "success" && upload?.outcome === "success") {
      const kept = path.join(root, "artifacts", upload.with!.name);
      fs.cpSync(upload.with!.path, kept, { recursive: true });
      if (s.foreignArtifact) fs.writeFileSync(path.join(kept, "image-digest"), `sha256:${"e".repeat(64)}\n`);
      artifacts[upload.with!.name] = kept;
    }

    const running: Record<string, string> = {};
    const jobsRun: Record<string, string[]> = {};
    const registryTags: Record<string, string[]> = {};
    const buckets: Record<string, Record<string, string>> = {};
    let previous = "build";
    let failed = build.result === "failure";
    for (const environment of ENVIRONMENTS) {
      const id = `deploy-${environment}`;
      // needs: the build and the environment before; GitHub runs a job only when they all succeeded.
      expect(workflow.jobs[id].needs).toEqual([...new Set(["build", previous])]);
      previous = id;
      if (failed) continue;

      const world = path.join(root, environment);
      fs.mkdirSync(path.join(world, "k8s"), { recursive: true });
      fs.mkdirSync(path.join(world, "buckets"));
      fs.writeFileSync(path.join(world, "k8s", "current"), RUNNING);
      const temp = path.join(world, "runner-temp");
      // download-artifact: the build's artifact, where the step's `path` says.
      const artifact = artifacts[build.outputs.assets];
      if (artifact) fs.cpSync(artifact, path.join(temp, "static-assets"), { recursive: true });
      else fs.mkdirSync(temp);
      const here = s.in === undefined || s.in === environment;
      const bucket = `hello-${environment}-assets-111111111111`;
      const run = runJob(yaml, id, {
        standIns: {
          aws: awsStandIn(world, here && s.failing === "assets", here && s.failing === "secret", here && s.failing === "expired", here && s.alarm ? { name: `hello-${environment}-${s.alarm.signal}`, region: s.alarm.region, fromLook: s.alarm.fromLook } : undefined),
          // The bake's waits return at once; each is recorded.
          sleep: "",
          kubectl: kubectlStandIn(world, {
            failDbSetup: here && s.failing === "db-setup",
            failMigration: here && s.failing === "migration",
            failIntegration: here && s.failing === "integration",
            failRolloutOf: here && s.failing === "rollout" ? IMAGE : "none",
          }),
          curl: curlStandIn(world, here && s.failing === "health" ? IMAGE : "none"),
        },
        contexts: {
          github: { run_id: "4242", run_attempt: "1", sha: COMMIT, ref: "refs/heads/main" },
          vars: {
            AWS_REGION: "eu-west-1",
            DEPLOY_ROLE_ARN: `arn:aws:iam::111111111111:role/hello-${environment}-deploy`,
            CLUSTER_NAME: `acme-${environment}`,
            NAMESPACE: "hello",
            APP_URL: `https://hello.${environment}.acme.example`,
            ASSETS_BUCKET: bucket,
            ALARMS: alarmsOf(environment),
          },
          needs: { build: { outputs: build.outputs, result: build.result } },
          runner: { temp },
        },
        actions: artifact ? {} : { [PIPELINE_ACTIONS.downloadArtifact.split("@")[0]]: { outcome: "failure" } },
      });
      record(id, run);
      const download = run.steps.find((step) => step.uses === PIPELINE_ACTIONS.downloadArtifact)!;
      // The deploy job asked for the artifact the build job kept, at the folder the publish step reads.
      if (download.outcome !== "skipped") expect(download.with).toEqual({ name: build.outputs.assets, path: path.join(temp, "static-assets") });

      running[environment] = fs.readFileSync(path.join(world, "k8s", "current"), "utf8");
      const tagsFile = path.join(world, "registry-tags");
      registryTags[environment] = fs.existsSync(tagsFile) ? fs.readFileSync(tagsFile, "utf8").trim().split("\n") : [];
      const jobsFile = path.join(world, "k8s", "jobs-run");
      jobsRun[environment] = fs.existsSync(jobsFile) ? fs.readFileSync(jobsFile, "utf8").trim().split("\n") : [];
      const objects: Record<string, string> = {};
      const metaRoot = path.join(world, "meta");
      if (fs.existsSync(metaRoot)) {
        for (const file of fs.readdirSync(metaRoot, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())) {
          const full = path.join(file.parentPath, file.name);
          objects[path.relative(metaRoot, full)] = fs.readFileSync(full, "utf8");
        }
      }
      buckets[environment] = objects;
      failed = run.result === "failure";
    }
    return { jobs, events, buckets, running, jobsRun, registryTags, yaml };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The journey as phases: `build`, `test`, `push`, `assets`, then `<env>:<phase>` for each environment; repeats folded. */
function phases(journey: Journey): string[] {
  const out: string[] = [];
  const rolledOut = new Set<string>();
  for (const { job, line } of journey.events) {
    if (/ set image deployment\//.test(line)) rolledOut.add(job);
    const environment = job.startsWith("deploy-") ? `${job.slice("deploy-".length)}:` : "";
    const phase =
      /^aws secretsmanager describe-secret /.test(line) ? "secrets"
      : /^docker build /.test(line) ? "build"
      : /^docker run /.test(line) ? "test"
      : /^docker push /.test(line) ? "push"
      : /^docker (create|cp) /.test(line) || line === "actions/upload-artifact" ? "assets"
      : /^aws s3 /.test(line) ? "assets"
      : / create job \S+ --from=cronjob\/hello-db-setup$/.test(line) ? "db-setup"
      : /^aws ecr /.test(line) ? "keep"
      : / create job \S+ --from=cronjob\/hello-migrate$/.test(line) ? "migrate"
      : / set image deployment\//.test(line) ? "rollout"
      : /^curl /.test(line) ? "health"
      : / create job \S+ --from=cronjob\/hello-integration-test$/.test(line) ? "integration"
      : / rollout undo /.test(line) ? "rollback"
      : /^aws cloudwatch describe-alarms /.test(line) ? (rolledOut.has(job) ? "bake" : "alarms")
      : undefined;
    if (phase === undefined) continue;
    const label = `${environment}${phase}`;
    if (out.at(-1) !== label) out.push(label);
  }
  return out;
}

const envPhases = (environment: string, ...list: string[]) => list.map((p) => `${environment}:${p}`);
const FULL = ["keep", "db-setup", "migrate", "alarms", "rollout", "health", "integration", "bake"];
/** The database setup Job runs from its template as Terraform made it: never with the app's image. */
const SETUP_RUN = "hello-db-setup as-made";

describe("deliver, from one commit to production, against recording stand-ins", () => {
  test("in order: build -> test -> push -> assets, then per environment secrets -> assets -> keep (deployed tag) -> database setup -> migrate -> alarms -> rollout -> health -> integration tests -> bake", () => {
    const journey = deliverUndisturbed();
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "success"],
      ["deploy-staging", "success"],
      ["deploy-prod", "success"],
    ]);
    expect(phases(journey)).toEqual([
      "build", "test", "push", "assets",
      ...envPhases("dev", "secrets", "assets", ...FULL),
      ...envPhases("staging", "secrets", "assets", ...FULL),
      ...envPhases("prod", "secrets", "assets", ...FULL),
    ]);
    // Every environment runs the one pushed digest; migration and integration tests ran in it too.
    expect(journey.running).toEqual({ dev: IMAGE, staging: IMAGE, prod: IMAGE });
    // Each environment tagged the digest it runs with its own deployed tag, which its lifecycle rule keeps.
    expect(journey.registryTags).toEqual({ dev: [`${DIGEST} deployed.dev.4242.1`], staging: [`${DIGEST} deployed.staging.4242.1`], prod: [`${DIGEST} deployed.prod.4242.1`] });
    for (const environment of ENVIRONMENTS) {
      expect(journey.jobsRun[environment]).toEqual([SETUP_RUN, `hello-migrate ${IMAGE}`, `hello-integration-test ${IMAGE}`]);
    }
    // The integration tests ran after the health check, against the environment's own namespace.
    const prod = journey.events.filter((e) => e.job === "deploy-prod").map((e) => e.line);
    expect(prod.findIndex((l) => l.startsWith("curl "))).toBeLessThan(prod.findIndex((l) => l.includes("--from=cronjob/hello-integration-test")));
    expect(prod).toContain("curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors https://hello.prod.acme.example/healthz");
    expect(prod).toContain(`kubectl -n hello set image cronjob/hello-integration-test integration-test=${IMAGE}`);
  });

  test("the static files published are the tested image's, copied out of it by id, with long-lived caching only for fingerprinted names", () => {
    const journey = deliverUndisturbed();
    const build = journey.events.filter((e) => e.job === "build").map((e) => e.line);
    // Copied out of the image that was tested and pushed (the stand-in refuses any other id), after the push; never rebuilt.
    expect(build.filter((l) => l.startsWith("docker build"))).toHaveLength(1);
    expect(build.indexOf(`docker create --entrypoint /bin/sh ${IMAGE_ID}`)).toBeGreaterThan(build.findIndex((l) => l.startsWith("docker push")));
    expect(journey.jobs[0].run.outputs.assets).toBe(`static-assets-${DIGEST.slice("sha256:".length)}`);
    for (const environment of ENVIRONMENTS) {
      expect(journey.buckets[environment]).toEqual({
        [`hello-${environment}-assets-111111111111/static/app.3f2a9c1b.css`]: STATIC_ASSETS_CACHE_CONTROL.fingerprinted,
        [`hello-${environment}-assets-111111111111/static/js/app-0123456789abcdef.js`]: STATIC_ASSETS_CACHE_CONTROL.fingerprinted,
        [`hello-${environment}-assets-111111111111/static/robots.txt`]: STATIC_ASSETS_CACHE_CONTROL.short,
        [`hello-${environment}-assets-111111111111/static/favicon.ico`]: STATIC_ASSETS_CACHE_CONTROL.short,
      });
    }
    expect(STATIC_ASSETS_CACHE_CONTROL.fingerprinted).toBe("public, max-age=31536000, immutable");
    // Nothing is ever deleted from the bucket.
    expect(journey.events.filter((e) => /^aws s3 .*--delete|^aws s3 rm/.test(e.line))).toEqual([]);
  });

  test("what counts as fingerprinted: a content hash of at least 8 hex digits right before the extension", () => {
    for (const name of ["app.3f2a9c1b.css", "app-3f2a9c1b0d4e.js", "main.0123456789abcdef0123.js"]) expect(name).toMatch(FINGERPRINTED_ASSET);
    for (const name of ["app.css", "robots.txt", "app.3f2a9c1.css", "app.3F2A9C1B.css", "deadbeef.css", "app.3f2a9c1b.css.map.txt"]) expect(name).not.toMatch(FINGERPRINTED_ASSET);
  });

  test("a static file that keeps its name is uploaded again on every release; fingerprinted ones already there are not, and earlier ones stay", () => {
    const root = tempDir("slipway-bucket-");
    try {
      // Two releases into one bucket: the aws stand-in keeps its folder when given the same world.
      const world = path.join(root, "dev");
      fs.mkdirSync(world);
      const publish = (files: Record<string, string>, digest: string) => {
        const yaml = deliverYaml();
        const temp = path.join(root, `temp-${digest.slice(-4)}`);
        fs.mkdirSync(path.join(temp, "static-assets", "files"), { recursive: true });
        fs.writeFileSync(path.join(temp, "static-assets", "image-digest"), `${digest}\n`);
        for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(temp, "static-assets", "files", name), content);
        fs.mkdirSync(path.join(world, "k8s"), { recursive: true });
        fs.writeFileSync(path.join(world, "k8s", "current"), RUNNING);
        return runJob(yaml, "deploy-dev", {
          standIns: { sleep: "", aws: awsStandIn(world, false), kubectl: kubectlStandIn(world, { failMigration: false, failIntegration: false, failRolloutOf: "none" }), curl: curlStandIn(world, "none") },
          contexts: {
            github: { run_id: "1", run_attempt: "1" },
            vars: { AWS_REGION: "eu-west-1", DEPLOY_ROLE_ARN: "arn", CLUSTER_NAME: "c", NAMESPACE: "hello", APP_URL: "https://hello.dev.acme.example", ASSETS_BUCKET: "b", ALARMS: alarmsOf("dev") },
            needs: { build: { outputs: { image: `${REPOSITORY}@${digest}`, assets: "a" } } },
            runner: { temp },
          },
        });
      };
      const first = publish({ "app.1111aaaa.css": "one", "robots.txt": "first" }, `sha256:${"a".repeat(64)}`);
      expect(first.result).toBe("success");
      // The second release changes robots.txt without changing its size or making it newer than the upload.
      const second = publish({ "app.2222bbbb.css": "two", "app.1111aaaa.css": "one", "robots.txt": "third" }, `sha256:${"b".repeat(64)}`);
      expect(second.result).toBe("success");
      const bucket = path.join(world, "buckets", "b", "static");
      expect(fs.readdirSync(bucket).sort()).toEqual(["app.1111aaaa.css", "app.2222bbbb.css", "robots.txt"]);
      expect(fs.readFileSync(path.join(bucket, "robots.txt"), "utf8")).toBe("third");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("the tests fail: nothing is pushed and no environment is touched", () => {
    const journey = deliver({ failing: "tests" });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([["build", "failure"]]);
    expect(phases(journey)).toEqual(["build", "test"]);
  });

  test("a secret has no value: a clear failure naming it and the command that sets it, before anything changes; no promotion", () => {
    const journey = deliver({ in: "prod", failing: "secret" });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "success"],
      ["deploy-staging", "success"],
      ["deploy-prod", "failure"],
    ]);
    expect(phases(journey).slice(-2)).toEqual(["staging:bake", "prod:secrets"]);
    const prod = journey.jobs[3].run;
    expect(prod.steps.find((s) => s.name === "Check the app's secrets have values")!.stdout).toContain(
      "::error::Secret SESSION_KEY (acme/hello/prod/SESSION_KEY) has no value in prod. Set it with: npm run secret -- set hello prod SESSION_KEY",
    );
    expect(prod.calls.map((c) => `${c.command} ${c.args[0]}`)).toEqual(["aws secretsmanager"]);
    expect(prod.steps.find((s) => s.name === "Download the static assets")!.outcome).toBe("skipped");
    expect(journey.buckets.prod).toEqual({});
    expect(journey.running.prod).toBe(RUNNING);
  });

  test("an asset upload fails: no migration, no rollout, no rollback, no promotion", () => {
    const journey = deliver({ in: "staging", failing: "assets" });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "success"],
      ["deploy-staging", "failure"],
    ]);
    expect(phases(journey)).toEqual(["build", "test", "push", "assets", ...envPhases("dev", "secrets", "assets", ...FULL), ...envPhases("staging", "secrets", "assets")]);
    expect(journey.running.staging).toBe(RUNNING);
    expect(journey.jobsRun.staging).toEqual([]);
    const staging = journey.jobs[2].run;
    expect(staging.steps.find((s) => s.name === "Publish the static assets")).toMatchObject({ outcome: "failure" });
    expect(staging.calls.filter((c) => c.command === "kubectl")).toEqual([]);
  });

  test("the artifact holds another image's files: nothing is published, migrated or rolled out", () => {
    const journey = deliver({ foreignArtifact: true });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "failure"],
    ]);
    // Only the secrets check ran before: nothing was written anywhere.
    expect(journey.jobs[1].run.calls.map((c) => `${c.command} ${c.args[0]}`)).toEqual(["aws secretsmanager"]);
    expect(journey.jobs[1].run.steps.find((s) => s.name === "Publish the static assets")!.stdout).toContain(`::error::The static assets artifact does not belong to ${IMAGE}`);
    expect(journey.running.dev).toBe(RUNNING);
  });

  test("the database setup fails: no migration, no rollout, no promotion", () => {
    const journey = deliver({ in: "staging", failing: "db-setup" });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "success"],
      ["deploy-staging", "failure"],
    ]);
    expect(phases(journey)).toEqual(["build", "test", "push", "assets", ...envPhases("dev", "secrets", "assets", ...FULL), ...envPhases("staging", "secrets", "assets", "keep", "db-setup")]);
    expect(journey.running).toEqual({ dev: IMAGE, staging: RUNNING });
    expect(journey.jobsRun.staging).toEqual([SETUP_RUN]);
    const setup = journey.jobs[2].run.steps.find((s) => s.id === "db-setup")!;
    expect(setup.stdout).toMatch(/logs of job\/hello-db-setup-4242-1[\s\S]*::error::Database setup job hello-db-setup-4242-1 failed/);
    // Its template's image was never touched.
    expect(journey.jobs[2].run.calls.map((c) => c.args.join(" ")).filter((a) => a.includes("cronjob/hello-db-setup") && a.includes("set image"))).toEqual([]);
  });

  test("the digest is no longer in the registry: a clear failure before the migration and the rollout; no promotion", () => {
    const journey = deliver({ in: "prod", failing: "expired" });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "success"],
      ["deploy-staging", "success"],
      ["deploy-prod", "failure"],
    ]);
    expect(phases(journey).slice(-3)).toEqual(["prod:secrets", "prod:assets", "prod:keep"]);
    const prod = journey.jobs[3].run;
    expect(prod.steps.find((s) => s.name === "Keep the image in the registry")!.stdout).toContain(`::error::${DIGEST} is no longer in hello (expired by its lifecycle policy?): nothing was deployed`);
    expect(prod.calls.filter((c) => c.command === "kubectl" || (c.command === "aws" && c.args[1] === "put-image"))).toEqual([]);
    expect(journey.registryTags.prod).toEqual([]);
    expect(journey.running.prod).toBe(RUNNING);
    expect(journey.jobsRun.prod).toEqual([]);
  });

  test("the migration fails: no rollout, nothing to roll back, no promotion", () => {
    const journey = deliver({ in: "staging", failing: "migration" });
    expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
      ["build", "success"],
      ["deploy-dev", "success"],
      ["deploy-staging", "failure"],
    ]);
    expect(phases(journey)).toEqual(["build", "test", "push", "assets", ...envPhases("dev", "secrets", "assets", ...FULL), ...envPhases("staging", "secrets", "assets", "keep", "db-setup", "migrate")]);
    expect(journey.running).toEqual({ dev: IMAGE, staging: RUNNING });
    const migrate = journey.jobs[2].run.steps.find((s) => s.id === "migrate")!;
    expect(migrate.stdout).toMatch(/logs of job\/hello-migrate-4242-1[\s\S]*::error::Migration job hello-migrate-4242-1 failed/);
  });

  for (const failing of ["rollout", "health", "integration"] as const) {
    const reached = FULL.slice(0, FULL.indexOf(failing) + 1);
    const what = { rollout: "the rollout fails", health: "the health check fails", integration: "the integration tests fail" }[failing];
    test(`${what}: the Deployment is rolled back and nothing is promoted`, () => {
      const journey = deliver({ in: "dev", failing });
      expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
        ["build", "success"],
        ["deploy-dev", "failure"],
      ]);
      expect(phases(journey)).toEqual(["build", "test", "push", "assets", ...envPhases("dev", "secrets", "assets", ...reached, "rollback")]);
      // The release that ran before is back.
      expect(journey.running).toEqual({ dev: RUNNING });
      const dev = journey.jobs[1].run;
      expect(dev.steps.find((s) => s.name === "Roll back")).toMatchObject({ outcome: "failure", exitCode: 1 });
      expect(dev.calls.slice(-2).map((c) => c.args.slice(2).join(" "))).toEqual(["rollout undo deployment/hello", "rollout status deployment/hello --timeout=10m"]);
      if (failing === "integration") {
        expect(journey.jobsRun.dev).toEqual([SETUP_RUN, `hello-migrate ${IMAGE}`, `hello-integration-test ${IMAGE}`]);
        expect(dev.steps.find((s) => s.id === "integration-test")!.stdout).toContain("::error::Integration test job hello-itest-4242-1 failed");
      }
    });
  }

  test("without integrationTestCommand there is no integration step: the health check, then the bake, are the last gates", () => {
    const journey = deliver({ pipeline: { integrationTestCommand: undefined } });
    expect(journey.yaml).not.toMatch(/integration|INTEGRATION_TEST_TEMPLATE/i);
    expect(phases(journey)).toEqual([
      "build", "test", "push", "assets",
      ...ENVIRONMENTS.flatMap((e) => envPhases(e, "secrets", "assets", "keep", "db-setup", "migrate", "alarms", "rollout", "health", "bake")),
    ]);
    expect(journey.jobsRun.prod).toEqual([SETUP_RUN, `hello-migrate ${IMAGE}`]);
  });

  test("the skeleton's manifest puts its static files where the pipeline copies them from", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "templates", "python", "slipway-template.json"), "utf8"));
    expect(manifest.staticDirectory).toBe(STATIC_ASSETS_PATH);
  });

  test("the bake watches every alarm for the environment's bake time, every 30 seconds, then promotes", () => {
    const journey = deliverUndisturbed();
    for (const [environment, minutes] of [["dev", 1], ["staging", 1], ["prod", 5]] as const) {
      const run = journey.jobs.find((j) => j.id === `deploy-${environment}`)!.run;
      const bake = run.steps.find((s) => s.id === "bake")!;
      const calls = run.calls.filter((c) => c.step === bake.index);
      const looks = (minutes * 60) / 30 + 1;
      // One look at the start, one every 30 s, each asking both regions for exactly their alarms.
      expect(calls.filter((c) => c.command === "sleep").map((c) => c.args)).toEqual(Array(looks - 1).fill(["30"]));
      expect(calls.filter((c) => c.command === "aws").map((c) => c.args.slice(2, 4).concat(c.args.slice(9, c.args.indexOf("--query"))))).toEqual(
        Array(looks)
          .fill(0)
          .flatMap(() => [
            ["--region", "eu-west-1", `hello-${environment}-alb-5xx-rate`, `hello-${environment}-pods-not-ready`],
            ["--region", "us-east-1", `hello-${environment}-cdn-5xx-rate`],
          ]),
      );
      expect(bake.stdout).toContain(`No alarm fired in the ${minutes}-minute bake`);
    }
    expect(journey.running).toEqual({ dev: IMAGE, staging: IMAGE, prod: IMAGE });
  });

  for (const [region, signal] of [["eu-west-1", "alb-5xx-rate"], ["us-east-1", "cdn-5xx-rate"]] as const) {
    test(`an alarm fires during the bake (${signal} in ${region}): rolled back, named, no promotion`, () => {
      // Look 1 is before the rollout; the bake's first look is 2: the alarm fires on the bake's third.
      const journey = deliver({ in: "staging", alarm: { signal, region, fromLook: 4 } });
      expect(journey.jobs.map((j) => [j.id, j.run.result])).toEqual([
        ["build", "success"],
        ["deploy-dev", "success"],
        ["deploy-staging", "failure"],
      ]);
      expect(phases(journey)).toEqual(["build", "test", "push", "assets", ...envPhases("dev", "secrets", "assets", ...FULL), ...envPhases("staging", "secrets", "assets", ...FULL, "rollback")]);
      expect(journey.running).toEqual({ dev: IMAGE, staging: RUNNING });
      const staging = journey.jobs[2].run;
      const bake = staging.steps.find((s) => s.id === "bake")!;
      expect(bake).toMatchObject({ outcome: "failure", exitCode: 1 });
      expect(bake.stdout).toContain(`::error::Alarm hello-staging-${signal} fired while the release baked: rolling back, no promotion`);
      // Two waits, then the third look saw it.
      expect(staging.calls.filter((c) => c.step === bake.index && c.command === "sleep")).toHaveLength(2);
      expect(staging.steps.find((s) => s.name === "Roll back")).toMatchObject({ outcome: "failure", exitCode: 1 });
      expect(staging.calls.slice(-2).map((c) => c.args.slice(2).join(" "))).toEqual(["rollout undo deployment/hello", "rollout status deployment/hello --timeout=10m"]);
    });
  }

  test("an alarm already firing before the rollout is reported, not blamed on the release: the deploy proceeds", () => {
    const journey = deliver({ in: "prod", alarm: { signal: "pods-not-ready", region: "eu-west-1", fromLook: 1 } });
    expect(journey.jobs.map((j) => j.run.result)).toEqual(["success", "success", "success", "success"]);
    const prod = journey.jobs[3].run;
    expect(prod.steps.find((s) => s.id === "alarms-before")!.stdout).toContain(
      "::warning::Alarm hello-prod-pods-not-ready is already firing before this rollout: the bake will not blame the release for it",
    );
    expect(prod.steps.find((s) => s.id === "bake")!.stdout).toContain("No alarm fired in the 5-minute bake");
    expect(journey.running.prod).toBe(IMAGE);
  });

  test("the alarms cannot be read (e.g. access denied): the bake fails, so the release is rolled back", () => {
    const yaml = deliverYaml();
    const root = tempDir("slipway-bake-");
    try {
      fs.mkdirSync(path.join(root, "k8s"), { recursive: true });
      fs.writeFileSync(path.join(root, "k8s", "current"), RUNNING);
      const temp = path.join(root, "temp");
      fs.mkdirSync(path.join(temp, "static-assets", "files"), { recursive: true });
      fs.writeFileSync(path.join(temp, "static-assets", "image-digest"), `${DIGEST}\n`);
      // The look before the rollout works; every look of the bake is refused.
      const aws = `if [ "$1 $2" = "cloudwatch describe-alarms" ] && [ -e ${quote(path.join(root, "rolled-out"))} ]; then echo "An error occurred (AccessDenied) when calling the DescribeAlarms operation" >&2; exit 254; fi\n${awsStandIn(root, false)}`;
      const kubectl = `if [ "$3 $4" = "set image" ] && [[ "$5" == deployment/* ]]; then touch ${quote(path.join(root, "rolled-out"))}; fi\n${kubectlStandIn(root, { failMigration: false, failIntegration: false, failRolloutOf: "none" })}`;
      const run = runJob(yaml, "deploy-dev", {
        standIns: { aws, kubectl, curl: curlStandIn(root, "none"), sleep: "" },
        contexts: {
          github: { run_id: "1", run_attempt: "1" },
          vars: { AWS_REGION: "eu-west-1", DEPLOY_ROLE_ARN: "arn", CLUSTER_NAME: "c", NAMESPACE: "hello", APP_URL: "https://hello.dev.acme.example", ASSETS_BUCKET: "b", ALARMS: alarmsOf("dev") },
          needs: { build: { outputs: { image: IMAGE, assets: "a" } } },
          runner: { temp },
        },
      });
      expect(run.result).toBe("failure");
      const bake = run.steps.find((s) => s.id === "bake")!;
      expect(bake.outcome).toBe("failure");
      expect(bake.stderr).toContain("::error::Could not read the alarms in eu-west-1");
      expect(run.steps.find((s) => s.name === "Roll back")!.outcome).toBe("failure");
      expect(fs.readFileSync(path.join(root, "k8s", "current"), "utf8")).toBe(RUNNING);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("the deliver workflow with every step passes actionlint", () => {
    expect(actionlint({ [PIPELINE_WORKFLOW_PATHS.deliver]: deliverYaml() })).toEqual([]);
  });
});
