/**
 * Canary releases (issue 14), the deploy job's part: the new digest first runs as the canary
 * Deployment `<app>-canary` behind its own target group; the job shifts the HTTPS listener's
 * weights step by step and, every minute of every step, compares the canary target group with the
 * stable one (5xx rate, p99 latency) and reads the app's alarms. Any breach sends all traffic back
 * to the stable group, scales the canary to zero and fails the job naming the metric; success hands
 * the digest to the stable Deployment, then returns the weights to 100/0 and the canary to zero.
 *
 * The AWS side (second target group, weighted listener that Terraform never moves) is in
 * `LoadBalancer` (`canaryTarget`), `NodeTargetGroup` and `KubernetesWorkload` (`canary`).
 */
import { Step } from "./workflow";

/** One canary step: the canary's percent of the requests (1-99), for so many minutes (1-60). */
export interface CanaryStepConfig {
  /** The canary's percent of the requests during the step, 1-99. */
  readonly weight: number;
  /** How long the step lasts, analysed every minute, 1-60. */
  readonly minutes: number;
}

/** A canary rollout of one environment's deploy job. */
export interface PipelineCanary {
  /** The steps in order: weights strictly increasing, 1 to 5 steps. */
  readonly steps: readonly CanaryStepConfig[];
  /**
   * The canary target group's 5xx responses, percent of its requests, above which (and above the
   * stable group's) the canary is aborted: the app's `target5xxPercent` alarm threshold.
   */
  readonly max5xxPercent: number;
  /** The canary's p99 response time in milliseconds above which (and above the stable group's) it is aborted: the app's `p99LatencyMs`. */
  readonly maxP99LatencyMs: number;
}

/**
 * The Actions variables a canary environment's deploy job also reads, set by its `<app>-<env>`
 * stack: the HTTPS listener's ARN (the deploy role may modify this listener only) and the stable
 * and canary target groups' ARNs (the metrics' dimensions and the weighted forward's targets).
 */
export const CANARY_VARIABLES = ["CANARY_LISTENER_ARN", "STABLE_TARGET_GROUP_ARN", "CANARY_TARGET_GROUP_ARN"] as const;

/** What the deploy role reads the target groups' metrics with: GetMetricData has no resource-level permissions, so `Resource: "*"`. */
export const CANARY_METRICS_ACTIONS = ["cloudwatch:GetMetricData"];

/** Seconds between two analyses of a step: one a minute. */
export const CANARY_ANALYSIS_SECONDS = 60;
/** The window each analysis reads: ALB metrics arrive about a minute late, so the last three minutes. */
export const CANARY_WINDOW_SECONDS = 180;

/** The name of an app's canary Deployment (and Service). */
export function canaryName(deploymentName: string): string {
  return `${deploymentName}-canary`;
}

/** Problems of a canary configuration, for the pipeline's validation: [field, value, accepted]. */
export function canaryProblems(canary: PipelineCanary): Array<[string, unknown, string]> {
  const out: Array<[string, unknown, string]> = [];
  if (!Array.isArray(canary.steps) || canary.steps.length < 1 || canary.steps.length > 5) {
    return [["steps", canary.steps, "1 to 5 steps of { weight, minutes }"]];
  }
  canary.steps.forEach((step, i) => {
    if (!Number.isInteger(step.weight) || step.weight < 1 || step.weight > 99) out.push([`steps[${i}].weight`, step.weight, "a whole percent from 1 to 99"]);
    else if (i > 0 && step.weight <= canary.steps[i - 1].weight) out.push([`steps[${i}].weight`, step.weight, `a weight above the step before (${canary.steps[i - 1].weight})`]);
    if (!Number.isInteger(step.minutes) || step.minutes < 1 || step.minutes > 60) out.push([`steps[${i}].minutes`, step.minutes, "whole minutes from 1 to 60"]);
  });
  if (typeof canary.max5xxPercent !== "number" || !(canary.max5xxPercent > 0 && canary.max5xxPercent <= 100)) out.push(["max5xxPercent", canary.max5xxPercent, "a percentage above 0, at most 100"]);
  if (!Number.isInteger(canary.maxP99LatencyMs) || canary.maxP99LatencyMs < 1) out.push(["maxP99LatencyMs", canary.maxP99LatencyMs, "whole milliseconds, at least 1"]);
  return out;
}

/** Minutes a canary adds to the deploy job at most: its steps, plus ten per step for the canary pods to start. */
export function canaryMinutes(canary: PipelineCanary): number {
  return canary.steps.reduce((total, step) => total + step.minutes + 10, 0);
}

/** The job `env` of a canary deploy job: literal thresholds and steps, account facts from `vars`. */
export function canaryJobEnv(canary: PipelineCanary, deploymentName: string): Record<string, string> {
  return {
    LISTENER_ARN: "${{ vars.CANARY_LISTENER_ARN }}",
    STABLE_TARGET_GROUP_ARN: "${{ vars.STABLE_TARGET_GROUP_ARN }}",
    CANARY_TARGET_GROUP_ARN: "${{ vars.CANARY_TARGET_GROUP_ARN }}",
    CANARY_DEPLOYMENT: canaryName(deploymentName),
    CANARY_STEPS: canary.steps.map((s) => `${s.weight}:${s.minutes}`).join(" "),
    CANARY_MAX_5XX_PERCENT: String(canary.max5xxPercent),
    CANARY_MAX_P99_MS: String(canary.maxP99LatencyMs),
  };
}

/**
 * Shell functions of the canary steps: the ARNs checked (they become JSON and metric dimensions),
 * `weights <stable> <canary>` (one `modify-listener` call on this listener only), `canary_to_zero`.
 */
const CANARY_FUNCTIONS = [
  'if [[ ! "$LISTENER_ARN" =~ ^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/(app/[A-Za-z0-9-]+/[0-9a-f]+)/[0-9a-f]+$ ]]; then',
  '  echo "::error::CANARY_LISTENER_ARN is not a load balancer listener ARN (the app\'s <app>-<env> stack sets it)"; exit 1',
  "fi",
  'load_balancer="${BASH_REMATCH[1]}"',
  'for arn in "$STABLE_TARGET_GROUP_ARN" "$CANARY_TARGET_GROUP_ARN"; do',
  '  if [[ ! "$arn" =~ ^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$ ]]; then',
  '    echo "::error::$arn is not a target group ARN (STABLE_TARGET_GROUP_ARN, CANARY_TARGET_GROUP_ARN: the app\'s <app>-<env> stack sets them)"; exit 1',
  "  fi",
  "done",
  "weights() {",
  '  local actions',
  `  actions="$(printf '[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"%s","Weight":%d},{"TargetGroupArn":"%s","Weight":%d}]}}]' "$STABLE_TARGET_GROUP_ARN" "$1" "$CANARY_TARGET_GROUP_ARN" "$2")"`,
  '  aws elbv2 modify-listener --region "$AWS_REGION" --listener-arn "$LISTENER_ARN" --default-actions "$actions" --query "Listeners[0].ListenerArn" --output text > /dev/null',
  '  echo "Traffic: stable $1%, canary $2%"',
  "}",
  "canary_to_zero() {",
  '  kubectl -n "$NAMESPACE" scale "deployment/$CANARY_DEPLOYMENT" --replicas=0',
  "}",
  "",
].join("\n");

/**
 * One analysis: reads the last {@link CANARY_WINDOW_SECONDS} of both target groups' 5xx count,
 * request count and p99 response time in one `get-metric-data` call, and the alarms; prints the
 * breach (metric, value, threshold) and returns 1 on one. A metric counts against the canary only
 * above its threshold and above the stable group's (a platform-wide problem is not the release's;
 * the alarms catch it). An alarm that was already firing before the rollout is not blamed on it.
 */
const ANALYSE_FUNCTION = [
  "analyse() {",
  "  local queries results id value stable_5xx canary_5xx stable_p99 canary_p99 now alarm firing_now",
  '  queries="["',
  "  for group in stable canary; do",
  '    local arn_var="${group^^}_TARGET_GROUP_ARN"',
  '    local target_group="${!arn_var##*:}"',
  "    for metric in HTTPCode_Target_5XX_Count:Sum:e RequestCount:Sum:r TargetResponseTime:p99:l; do",
  '      IFS=: read -r name stat suffix <<< "$metric"',
  `      queries+="$(printf '{"Id":"%s%s","MetricStat":{"Metric":{"Namespace":"AWS/ApplicationELB","MetricName":"%s","Dimensions":[{"Name":"LoadBalancer","Value":"%s"},{"Name":"TargetGroup","Value":"%s"}]},"Period":%d,"Stat":"%s"}},' "\${group:0:1}" "$suffix" "$name" "$load_balancer" "$target_group" "$WINDOW_SECONDS" "$stat")"`,
  "    done",
  "  done",
  '  queries="${queries%,}]"',
  '  now="$(date -u +%s)"',
  '  results="$(aws cloudwatch get-metric-data --region "$AWS_REGION" --metric-data-queries "$queries" --start-time "$(date -u -d "@$(( now - WINDOW_SECONDS ))" +%Y-%m-%dT%H:%M:%SZ)" --end-time "$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)" --query "MetricDataResults[].[Id,Values[0]]" --output text)"',
  "  declare -A m=([se]=0 [sr]=0 [sl]=0 [ce]=0 [cr]=0 [cl]=0)",
  "  while read -r id value; do",
  '    if [[ "$id" =~ ^[sc][erl]$ && "$value" =~ ^[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then m[$id]="$value"; fi',
  '  done <<< "$results"',
  "  rate() { awk -v e=\"$1\" -v r=\"$2\" 'BEGIN { printf \"%.2f\", (r > 0 ? 100 * e / r : 0) }'; }",
  "  ms() { awk -v s=\"$1\" 'BEGIN { printf \"%.0f\", 1000 * s }'; }",
  "  above() { awk -v a=\"$1\" -v b=\"$2\" 'BEGIN { exit !(a > b) }'; }",
  '  stable_5xx="$(rate "${m[se]}" "${m[sr]}")"; canary_5xx="$(rate "${m[ce]}" "${m[cr]}")"',
  '  stable_p99="$(ms "${m[sl]}")"; canary_p99="$(ms "${m[cl]}")"',
  '  echo "Canary at $1%, minute $2: 5xx $canary_5xx% (stable $stable_5xx%) of ${m[cr]%.*} requests, p99 ${canary_p99} ms (stable ${stable_p99} ms)"',
  '  if above "$canary_5xx" "$CANARY_MAX_5XX_PERCENT" && above "$canary_5xx" "$stable_5xx"; then',
  '    echo "::error::Canary aborted at $1%: 5xx rate $canary_5xx% is above the threshold $CANARY_MAX_5XX_PERCENT% (stable: $stable_5xx%)"; return 1',
  "  fi",
  '  if above "$canary_p99" "$CANARY_MAX_P99_MS" && above "$canary_p99" "$stable_p99"; then',
  '    echo "::error::Canary aborted at $1%: p99 latency $canary_p99 ms is above the threshold $CANARY_MAX_P99_MS ms (stable: $stable_p99 ms)"; return 1',
  "  fi",
  // An alarm that cannot be read stops the step (set -e), as in the bake: never taken for "none firing".
  '  firing_now="$(firing)"',
  '  while IFS= read -r alarm; do',
  '    if [[ -n "$alarm" ]] && ! grep -qxF -- "$alarm" "$RUNNER_TEMP/alarms-before"; then',
  '      echo "::error::Canary aborted at $1%: alarm $alarm is in ALARM"; return 1',
  "    fi",
  '  done <<< "$firing_now"',
  "}",
  "",
].join("\n");

/**
 * The canary's steps of a deploy job, in order: start it (weights reset to 100/0, canary image set),
 * run its steps, and after the stable Deployment took the digest (`deploy` and the rollout wait,
 * the job's own steps) finish it; `abort` runs on any failure once the canary was started.
 * @param alarmsFunctions the deploy job's shell functions that define `firing` (the alarms in ALARM)
 */
export function canarySteps(alarmsFunctions: string): { start: Step; run: Step; finish: Step; abort: Step } {
  return {
    start: {
      name: "Start the canary",
      id: "canary-start",
      shell: "bash",
      run: [
        CANARY_FUNCTIONS,
        // A run that was cancelled midway may have left traffic on the canary.
        'touch "$RUNNER_TEMP/canary-started"',
        "weights 100 0",
        'stable="$(kubectl -n "$NAMESPACE" get "deployment/$DEPLOYMENT" -o "jsonpath={.spec.replicas}")"',
        'if [[ ! "$stable" =~ ^[0-9]+$ ]]; then echo "::error::Could not read the replicas of deployment/$DEPLOYMENT"; exit 1; fi',
        'echo "$stable" > "$RUNNER_TEMP/stable-replicas"',
        'kubectl -n "$NAMESPACE" set image "deployment/$CANARY_DEPLOYMENT" "$CONTAINER=$IMAGE"',
        "",
      ].join("\n"),
    },
    run: {
      name: "Canary steps",
      id: "canary",
      shell: "bash",
      env: { ANALYSIS_SECONDS: String(CANARY_ANALYSIS_SECONDS), WINDOW_SECONDS: String(CANARY_WINDOW_SECONDS) },
      run: [
        alarmsFunctions,
        CANARY_FUNCTIONS,
        ANALYSE_FUNCTION,
        'stable="$(cat "$RUNNER_TEMP/stable-replicas")"',
        "for step in $CANARY_STEPS; do",
        '  weight="${step%%:*}" minutes="${step#*:}"',
        "  # The canary's share of the pods follows its share of the requests: ceil(stable x weight / 100), at least one.",
        "  replicas=$(( (stable * weight + 99) / 100 )); (( replicas >= 1 )) || replicas=1",
        '  kubectl -n "$NAMESPACE" scale "deployment/$CANARY_DEPLOYMENT" --replicas="$replicas"',
        '  kubectl -n "$NAMESPACE" rollout status "deployment/$CANARY_DEPLOYMENT" --timeout=10m',
        '  weights $(( 100 - weight )) "$weight"',
        "  for (( minute = 1; minute <= minutes; minute++ )); do",
        '    sleep "$ANALYSIS_SECONDS"',
        '    analyse "$weight" "$minute"',
        "  done",
        "done",
        'echo "The canary passed every step: the stable Deployment takes $IMAGE"',
        "",
      ].join("\n"),
    },
    finish: {
      name: "Return all traffic to the stable Deployment",
      id: "canary-finish",
      shell: "bash",
      run: [CANARY_FUNCTIONS, "weights 100 0", "canary_to_zero", ""].join("\n"),
    },
    abort: {
      // Whatever failed (an analysis, the canary's pods, the promotion): users go back to the stable pods.
      name: "Abort the canary",
      if: "failure() && steps.kubeconfig.outcome == 'success'",
      shell: "bash",
      run: [
        'if [[ ! -e "$RUNNER_TEMP/canary-started" ]]; then echo "The canary was not started: nothing to undo"; exit 0; fi',
        CANARY_FUNCTIONS,
        "weights 100 0",
        "canary_to_zero",
        'echo "::error::The canary was aborted: all traffic is on the stable version, the canary is scaled to 0"',
        "",
      ].join("\n"),
    },
  };
}

/**
 * The pipeline's canary of one app in one environment, from its rollout and alarm thresholds
 * (structurally the platform model's `AppEnvironmentConfig`): undefined unless the strategy is canary.
 * The thresholds are the app's alarm thresholds there, so the canary and the alarms judge alike.
 */
export function pipelineCanaryOf(deployment: {
  readonly rollout: { readonly strategy: string; readonly steps: readonly CanaryStepConfig[] };
  readonly alarmThresholds: { readonly target5xxPercent: number; readonly p99LatencyMs: number };
}): PipelineCanary | undefined {
  if (deployment.rollout.strategy !== "canary") return undefined;
  return { steps: deployment.rollout.steps.map((s) => ({ ...s })), max5xxPercent: deployment.alarmThresholds.target5xxPercent, maxP99LatencyMs: deployment.alarmThresholds.p99LatencyMs };
}
