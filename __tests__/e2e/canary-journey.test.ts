/**
 * A canary release, offline: the generated deploy job of a canary environment runs in bash
 * (`__tests__/support/workflow-steps.ts`) against recording, stateful stand-ins. `kubectl` models
 * the stable and canary Deployments (image, replicas) and the migration Job; `aws elbv2
 * modify-listener` records each weighted forward it is given; `aws cloudwatch get-metric-data`
 * answers the two target groups' 5xx count, request count and p99 for each analysis as the
 * scenario says; `aws cloudwatch describe-alarms` fires an alarm from a given look on; `sleep`
 * returns at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { CANARY_VARIABLES } from "../../constructs/canary";
import { DeliveryPipeline, DeliveryPipelineProps, PIPELINE_WORKFLOW_PATHS } from "../../constructs/delivery-pipeline";
import { actionlint } from "../support/actionlint";
import { tempDir } from "../support/platform";
import { JobRun, runJob } from "../support/workflow-steps";
import { oncePerArgument } from "../support/memo";

const REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello";
const DIGEST = `sha256:${"d".repeat(64)}`;
const IMAGE = `${REPOSITORY}@${DIGEST}`;
const RUNNING = `${REPOSITORY}@sha256:${"0".repeat(64)}`;
const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener/app/hello-prod/0123456789abcdef/fedcba9876543210";
const STABLE_TG = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/hello-prod-np/1111111111111111";
const CANARY_TG = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/hello-prod-cn/2222222222222222";
const MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";

/** The deliver workflow for these overrides, synthesized once per file: most scenarios run the same one. */
const deliverYamlOnce = oncePerArgument(synthesizeDeliverYaml);
const deliverYaml = (overrides: Partial<DeliveryPipelineProps> = {}): string => deliverYamlOnce(overrides);

function synthesizeDeliverYaml(overrides: Partial<DeliveryPipelineProps>): string {
  const stack = new TerraformStack(Testing.app(), "test");
  return new DeliveryPipeline(stack, "Pipeline", {
    appName: "hello",
    testCommand: "python -m pytest -q tests/unit",
    migrateCommand: "python -m migrate",
    healthPath: "/healthz",
    repository: { name: "hello" },
    environments: [
      { name: "dev", bakeMinutes: 1 },
      // The production profile's steps and thresholds.
      { name: "prod", bakeMinutes: 5, canary: { steps: [{ weight: 10, minutes: 5 }, { weight: 50, minutes: 5 }], max5xxPercent: 1, maxP99LatencyMs: 1500 } },
    ],
    ...overrides,
  }).workflows[PIPELINE_WORKFLOW_PATHS.deliver];
}

/** What the metrics and alarms say during the canary (from the n-th analysis on, 1-based). */
interface Scenario {
  /** Canary 5xx count (of 1000 requests) from analysis `from` on; stable has 2 of 1000. */
  readonly canary5xx?: { readonly count: number; readonly from: number };
  /** Canary p99 in seconds from analysis `from` on; stable's is 0.2. */
  readonly canaryP99?: { readonly seconds: number; readonly from: number };
  /** An alarm in ALARM from the n-th describe-alarms look on (1 is the look before the rollout). */
  readonly alarm?: { readonly name: string; readonly from: number };
  /** The canary's pods never get ready. */
  readonly canaryNeverReady?: boolean;
  /** describe-alarms fails (AccessDenied) from the n-th look on. */
  readonly alarmsUnreadableFrom?: number;
}

interface Outcome {
  readonly run: JobRun;
  /** Each modify-listener call as `stable/canary` weights, in order. */
  readonly weights: string[];
  /** Every kubectl and aws call, in order (stand-in name and arguments). */
  readonly calls: string[];
  readonly stableImage: string;
  readonly canaryImage: string;
  readonly canaryReplicas: string;
  /** The modify-listener calls' listener ARNs and target-group ARNs, as given. */
  readonly listenerCalls: Array<{ listener: string; actions: unknown }>;
  /** The get-metric-data calls' queries. */
  readonly metricQueries: unknown[];
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

function deployProd(s: Scenario = {}, yaml = deliverYaml()): Outcome {
  const root = tempDir("slipway-canary-");
  try {
    const k = path.join(root, "k8s");
    fs.mkdirSync(k, { recursive: true });
    fs.writeFileSync(path.join(k, "image-hello"), RUNNING);
    fs.writeFileSync(path.join(k, "image-hello-canary"), RUNNING);
    fs.writeFileSync(path.join(k, "replicas-hello"), "3");
    fs.writeFileSync(path.join(k, "replicas-hello-canary"), "0");
    const temp = path.join(root, "runner-temp");
    fs.mkdirSync(path.join(temp, "static-assets", "files"), { recursive: true });
    fs.writeFileSync(path.join(temp, "static-assets", "image-digest"), `${DIGEST}\n`);
    const kubectl = [
      `k=${quote(k)}`,
      "shift 2 # -n <namespace>",
      'case "$1 $2" in',
      '  "get deployment/"*) cat "$k/replicas-${2#deployment/}" ;;',
      '  "set image") if [[ "$3" == deployment/* ]]; then printf %s "${4#*=}" > "$k/image-${3#deployment/}"; fi ;;',
      '  "scale deployment/"*) printf %s "${3#--replicas=}" > "$k/replicas-${2#deployment/}" ;;',
      `  "rollout status") if [ "$3" = deployment/hello-canary ] && ${s.canaryNeverReady ?? false}; then echo "error: deployment \\"hello-canary\\" exceeded its progress deadline" >&2; exit 1; fi ;;`,
      '  "rollout undo") ;;',
      '  "create job") ;;',
      '  "get job/"*) echo Complete ;;',
      '  "logs job/"*) echo "logs of $2" ;;',
      '  *) echo "unexpected kubectl $*" >&2; exit 99 ;;',
      "esac",
    ].join("\n");
    const aws = [
      `w=${quote(root)}`,
      'case "$1 $2" in',
      '  "eks update-kubeconfig") ;;',
      `  "ecr batch-get-image") if [[ "$*" == *imageManifestMediaType* ]]; then echo ${quote(MANIFEST_TYPE)}; else echo '{"schemaVersion": 2}'; fi ;;`,
      '  "ecr put-image") ;;',
      '  "s3 sync" | "s3 cp") ;;',
      '  "elbv2 modify-listener")',
      '    shift 2; while [ $# -gt 0 ]; do case "$1" in --listener-arn) printf "%s\\n" "$2" >> "$w/listeners" ;; --default-actions) printf "%s\\n" "$2" >> "$w/actions" ;; esac; shift; done ;;',
      '  "cloudwatch get-metric-data")',
      '    n=$(( $(cat "$w/analyses" 2> /dev/null || echo 0) + 1 )); echo "$n" > "$w/analyses"',
      '    shift 2; while [ $# -gt 0 ]; do if [ "$1" = --metric-data-queries ]; then printf "%s\\n" "$2" >> "$w/queries"; fi; shift; done',
      `    ce=0; if [ "$n" -ge ${s.canary5xx?.from ?? 999999} ]; then ce=${s.canary5xx?.count ?? 0}; fi`,
      `    cl=0.25; if [ "$n" -ge ${s.canaryP99?.from ?? 999999} ]; then cl=${s.canaryP99?.seconds ?? 0}; fi`,
      '    printf "se\\t2.0\\nsr\\t1000.0\\nsl\\t0.2\\nce\\t%s\\ncr\\t1000.0\\ncl\\t%s\\n" "$ce" "$cl" ;;',
      '  "cloudwatch describe-alarms")',
      '    n=$(( $(cat "$w/looks" 2> /dev/null || echo 0) + 1 )); echo "$n" > "$w/looks"',
      `    if [ "$n" -ge ${s.alarmsUnreadableFrom ?? 999999} ]; then echo "An error occurred (AccessDenied) when calling the DescribeAlarms operation" >&2; exit 254; fi`,
      `    if [ "$n" -ge ${s.alarm?.from ?? 999999} ]; then echo ${quote(s.alarm?.name ?? "none")}; fi ;;`,
      '  *) echo "unexpected aws $*" >&2; exit 99 ;;',
      "esac",
    ].join("\n");
    const run = runJob(yaml, "deploy-prod", {
      standIns: { aws, kubectl, sleep: "", curl: "echo ok" },
      contexts: {
        github: { run_id: "4242", run_attempt: "1" },
        vars: {
          AWS_REGION: "eu-west-1",
          DEPLOY_ROLE_ARN: "arn:aws:iam::111111111111:role/hello-prod-deploy",
          CLUSTER_NAME: "acme-prod",
          NAMESPACE: "hello",
          APP_URL: "https://hello.acme.example",
          ASSETS_BUCKET: "hello-prod-assets",
          ALARMS: "eu-west-1:hello-prod-target-5xx-rate eu-west-1:hello-prod-pods-not-ready",
          CANARY_LISTENER_ARN: LISTENER,
          STABLE_TARGET_GROUP_ARN: STABLE_TG,
          CANARY_TARGET_GROUP_ARN: CANARY_TG,
        },
        needs: { build: { outputs: { image: IMAGE, assets: `static-assets-${"d".repeat(64)}` }, result: "success" } },
        runner: { temp },
      },
    });
    const lines = (file: string) => (fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), "utf8").trim().split("\n") : []);
    const actions = lines("actions").map((a) => JSON.parse(a));
    return {
      run,
      weights: actions.map((a) => a[0].ForwardConfig.TargetGroups.map((g: { Weight: number }) => g.Weight).join("/")),
      calls: run.calls.filter((c) => c.command === "kubectl" || c.command === "aws").map((c) => `${c.command} ${c.args.join(" ")}`),
      stableImage: fs.readFileSync(path.join(k, "image-hello"), "utf8"),
      canaryImage: fs.readFileSync(path.join(k, "image-hello-canary"), "utf8"),
      canaryReplicas: fs.readFileSync(path.join(k, "replicas-hello-canary"), "utf8"),
      listenerCalls: lines("listeners").map((listener, i) => ({ listener, actions: actions[i] })),
      metricQueries: lines("queries").map((q) => JSON.parse(q)),
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const errors = (run: JobRun) => run.steps.flatMap((s) => s.stdout.split("\n").filter((l) => l.startsWith("::error::")));
const outcome = (run: JobRun, name: string) => run.steps.find((s) => s.name === name)?.outcome;

describe("canary deploy job", () => {
  test("actionlint accepts the workflow with a canary environment", () => {
    const yaml = deliverYaml();
    expect(actionlint({ ".github/workflows/deliver.yml": yaml })).toEqual([]);
  });

  test("only the canary environment's job reads the canary variables, as environment variables", () => {
    const workflow = parse(deliverYaml());
    expect(workflow.jobs["deploy-dev"].env.LISTENER_ARN).toBeUndefined();
    expect(workflow.jobs["deploy-dev"].steps.map((s: { name: string }) => s.name)).not.toContain("Canary steps");
    const env = workflow.jobs["deploy-prod"].env;
    expect(env.LISTENER_ARN).toBe("${{ vars.CANARY_LISTENER_ARN }}");
    expect(env.STABLE_TARGET_GROUP_ARN).toBe("${{ vars.STABLE_TARGET_GROUP_ARN }}");
    expect(env.CANARY_TARGET_GROUP_ARN).toBe("${{ vars.CANARY_TARGET_GROUP_ARN }}");
    expect(env.CANARY_DEPLOYMENT).toBe("hello-canary");
    expect(env.CANARY_STEPS).toBe("10:5 50:5");
    expect(env.CANARY_MAX_5XX_PERCENT).toBe("1");
    expect(env.CANARY_MAX_P99_MS).toBe("1500");
    // 45 + bake 5 + the steps (5 + 10) + (5 + 10).
    expect(workflow.jobs["deploy-prod"]["timeout-minutes"]).toBe(80);
    for (const step of workflow.jobs["deploy-prod"].steps) expect(step.run ?? "").not.toContain("${{");
    expect(workflow.jobs["deploy-prod"].steps.map((s: { name: string }) => s.name)).toEqual([
      "Configure AWS credentials",
      "Download the static assets",
      "Publish the static assets",
      "Connect to the cluster",
      "Keep the image in the registry",
      "Migrate the database",
      "Note the alarms already firing",
      "Start the canary",
      "Canary steps",
      "Roll out the image to the stable Deployment",
      "Wait for the rollout",
      "Return all traffic to the stable Deployment",
      "Smoke check",
      "Bake on the alarms",
      "Abort the canary",
      "Roll back",
    ]);
  });

  test("success: each step's weights in order, then the stable Deployment takes the digest, weights 100/0, canary to 0", () => {
    const { run, weights, calls, stableImage, canaryImage, canaryReplicas, listenerCalls, metricQueries } = deployProd();
    expect(run.result).toBe("success");
    expect(weights).toEqual(["100/0", "90/10", "50/50", "100/0"]);
    expect(listenerCalls.every((c) => c.listener === LISTENER)).toBe(true);
    expect(listenerCalls[1].actions).toEqual([
      { Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE_TG, Weight: 90 }, { TargetGroupArn: CANARY_TG, Weight: 10 }] } },
    ]);
    expect(stableImage).toBe(IMAGE);
    expect(canaryImage).toBe(IMAGE);
    expect(canaryReplicas).toBe("0");
    // Five analyses per step, each one get-metric-data and one describe-alarms.
    expect(metricQueries).toHaveLength(10);
    const first = metricQueries[0] as Array<Record<string, any>>;
    expect(first.map((q) => q.Id)).toEqual(["se", "sr", "sl", "ce", "cr", "cl"]);
    expect(first[3]).toEqual({
      Id: "ce",
      MetricStat: {
        Metric: {
          Namespace: "AWS/ApplicationELB",
          MetricName: "HTTPCode_Target_5XX_Count",
          Dimensions: [
            { Name: "LoadBalancer", Value: "app/hello-prod/0123456789abcdef" },
            { Name: "TargetGroup", Value: "targetgroup/hello-prod-cn/2222222222222222" },
          ],
        },
        Period: 180,
        Stat: "Sum",
      },
    });
    expect(first[2].MetricStat.Stat).toBe("p99");
    expect(first[2].MetricStat.Metric.Dimensions[1].Value).toBe("targetgroup/hello-prod-np/1111111111111111");
    // The order that matters: migrate, canary image, ceil(3 x 10%) = 1 pod, 10%, ceil(3 x 50%) = 2 pods, 50%, stable takes the digest, 100/0, canary 0.
    const order = calls.filter((c) => /create job|set image|scale|modify-listener|rollout status/.test(c)).map((c) => c.replace(/--default-actions \S+/, "").replace(/--listener-arn \S+/, "").replace(/\s+/g, " ").trim());
    expect(order).toEqual([
      "kubectl -n hello set image cronjob/hello-migrate migrate=" + IMAGE,
      "kubectl -n hello create job hello-migrate-4242-1 --from=cronjob/hello-migrate",
      "aws elbv2 modify-listener --region eu-west-1 --query Listeners[0].ListenerArn --output text",
      "kubectl -n hello set image deployment/hello-canary app=" + IMAGE,
      "kubectl -n hello scale deployment/hello-canary --replicas=1",
      "kubectl -n hello rollout status deployment/hello-canary --timeout=10m",
      "aws elbv2 modify-listener --region eu-west-1 --query Listeners[0].ListenerArn --output text",
      "kubectl -n hello scale deployment/hello-canary --replicas=2",
      "kubectl -n hello rollout status deployment/hello-canary --timeout=10m",
      "aws elbv2 modify-listener --region eu-west-1 --query Listeners[0].ListenerArn --output text",
      "kubectl -n hello set image deployment/hello app=" + IMAGE,
      "kubectl -n hello rollout status deployment/hello --timeout=10m",
      "aws elbv2 modify-listener --region eu-west-1 --query Listeners[0].ListenerArn --output text",
      "kubectl -n hello scale deployment/hello-canary --replicas=0",
    ]);
    expect(outcome(run, "Abort the canary")).toBe("skipped");
    expect(outcome(run, "Roll back")).toBe("skipped");
  });

  test("a canary 5xx rate above the threshold at the second step: weights back to 100/0, canary to 0, the job names the metric", () => {
    // Analysis 7 is the second step's second minute.
    const { run, weights, stableImage, canaryReplicas, metricQueries } = deployProd({ canary5xx: { count: 30, from: 7 } });
    expect(run.result).toBe("failure");
    expect(weights).toEqual(["100/0", "90/10", "50/50", "100/0"]);
    expect(metricQueries).toHaveLength(7);
    expect(stableImage).toBe(RUNNING);
    expect(canaryReplicas).toBe("0");
    expect(errors(run)).toEqual([
      "::error::Canary aborted at 50%: 5xx rate 3.00% is above the threshold 1% (stable: 0.20%)",
      "::error::The canary was aborted: all traffic is on the stable version, the canary is scaled to 0",
    ]);
    expect(outcome(run, "Roll out the image to the stable Deployment")).toBe("skipped");
    // The stable Deployment was never changed: nothing to undo.
    expect(outcome(run, "Roll back")).toBe("skipped");
  });

  test("a canary p99 above the threshold at the first step aborts it there", () => {
    const { run, weights, stableImage, canaryReplicas } = deployProd({ canaryP99: { seconds: 2.4, from: 1 } });
    expect(run.result).toBe("failure");
    expect(weights).toEqual(["100/0", "90/10", "100/0"]);
    expect(stableImage).toBe(RUNNING);
    expect(canaryReplicas).toBe("0");
    expect(errors(run)[0]).toBe("::error::Canary aborted at 10%: p99 latency 2400 ms is above the threshold 1500 ms (stable: 200 ms)");
  });

  test("a 5xx rate above the threshold but no worse than the stable group's is not the canary's", () => {
    // 1.5 per 1000 on the canary is under the stable group's 2 per 1000 (0.20%); the threshold here is 0.1%.
    const yaml = deliverYaml({
      environments: [{ name: "prod", canary: { steps: [{ weight: 20, minutes: 2 }], max5xxPercent: 0.1, maxP99LatencyMs: 1500 } }],
    });
    const { run, weights } = deployProd({ canary5xx: { count: 1.5, from: 1 } }, yaml);
    expect(run.result).toBe("success");
    expect(weights).toEqual(["100/0", "80/20", "100/0"]);
  });

  test("an app alarm entering ALARM during a step aborts the canary", () => {
    // Look 1 is before the rollout; looks 2-4 are the first step's first three minutes.
    const { run, weights, stableImage, canaryReplicas } = deployProd({ alarm: { name: "hello-prod-pods-not-ready", from: 4 } });
    expect(run.result).toBe("failure");
    expect(weights).toEqual(["100/0", "90/10", "100/0"]);
    expect(stableImage).toBe(RUNNING);
    expect(canaryReplicas).toBe("0");
    expect(errors(run)[0]).toBe("::error::Canary aborted at 10%: alarm hello-prod-pods-not-ready is in ALARM");
  });

  test("an alarm already firing before the rollout is not blamed on the canary", () => {
    const { run, weights } = deployProd({ alarm: { name: "hello-prod-pods-not-ready", from: 1 } });
    expect(weights).toEqual(["100/0", "90/10", "50/50", "100/0"]);
    expect(outcome(run, "Canary steps")).toBe("success");
  });

  test("alarms that cannot be read stop the canary: never taken for none firing", () => {
    const { run, weights, stableImage, canaryReplicas } = deployProd({ alarmsUnreadableFrom: 2 });
    expect(run.result).toBe("failure");
    expect(outcome(run, "Canary steps")).toBe("failure");
    expect(weights).toEqual(["100/0", "90/10", "100/0"]);
    expect(stableImage).toBe(RUNNING);
    expect(canaryReplicas).toBe("0");
  });

  test("canary pods that never get ready: traffic never moved to them, the canary is scaled back to 0", () => {
    const { run, weights, stableImage, canaryReplicas } = deployProd({ canaryNeverReady: true });
    expect(run.result).toBe("failure");
    expect(weights).toEqual(["100/0", "100/0"]);
    expect(stableImage).toBe(RUNNING);
    expect(canaryReplicas).toBe("0");
  });

  test("fails when a canary's steps are not strictly increasing, or out of range", () => {
    expect(() => deliverYaml({ environments: [{ name: "prod", canary: { steps: [{ weight: 50, minutes: 5 }, { weight: 50, minutes: 5 }], max5xxPercent: 1, maxP99LatencyMs: 1500 } }] })).toThrow(
      /environments\[0\]\.canary\.steps\[1\]\.weight.*a weight above the step before \(50\)/,
    );
    expect(() => deliverYaml({ environments: [{ name: "prod", canary: { steps: [{ weight: 10, minutes: 61 }], max5xxPercent: 1, maxP99LatencyMs: 1500 } }] })).toThrow(
      /environments\[0\]\.canary\.steps\[0\]\.minutes.*whole minutes from 1 to 60/,
    );
  });

  test("the pipeline declares the canary variables only when an environment runs a canary", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const props = { appName: "hello", testCommand: "make test", healthPath: "/healthz", repository: { name: "hello" } };
    const withCanary = new DeliveryPipeline(stack, "A", { ...props, environments: [{ name: "prod", canary: { steps: [{ weight: 10, minutes: 1 }], max5xxPercent: 1, maxP99LatencyMs: 100 } }] });
    const without = new DeliveryPipeline(stack, "B", { ...props, environments: [{ name: "prod" }] });
    expect(withCanary.variables.canary).toEqual([...CANARY_VARIABLES]);
    expect(without.variables.canary).toBeUndefined();
  });
});
