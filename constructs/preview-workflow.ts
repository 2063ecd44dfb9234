/**
 * The app repository's preview workflows (issue 13): `preview.yml` gives each same-repository pull
 * request its own copy of the app in namespace `<app>-pr-<n>` on the host environment's cluster,
 * with its own database, and removes it when the pull request closes; `preview-sweep.yml` removes,
 * every hour, the previews whose pull request is closed or that were idle past their time to live.
 *
 * Everything account-specific comes from the `preview` GitHub environment's variables
 * ({@link PREVIEW_VARIABLES}, set by the `<app>-<host env>` stack): the role, the cluster, the
 * registry, the domain and the Kubernetes objects as templates with placeholders (`__PR__`,
 * `__IMAGE__`, `__ACTION__`, `__COMMAND__`). The scripts fill the placeholders with bash's own
 * substitution from environment variables (no `sed` expression a value could break out of), after
 * checking each value's shape: the pull request number is digits, the image an ECR digest reference.
 */
import { ACTIONS, usesOf } from "./actions";
// One list of the `preview` environment's variables and one label, the infra's: the two halves cannot drift.
import { PREVIEW_VARIABLES } from "./preview-access";
import { functionsFor, GITHUB_FUNCTIONS, mark, markedAt, PR_CHECK, PREVIEW_COMMENT_MARKER, PREVIEW_ENVIRONMENT, script, shellQuote } from "./preview-scripts";
import { PREVIEW_LABEL } from "./preview-templates";
import { Job, Step, Workflow } from "./workflow";

export { PREVIEW_COMMENT_MARKER, PREVIEW_ENVIRONMENT };

/** The preview workflows' `name:`s: the preview runner's webhook takes only their jobs (constructs/ci-runners.ts). */
export const PREVIEW_WORKFLOW_NAMES = { preview: "Preview", sweep: "Preview sweep" } as const;

/** Where the preview workflows are committed in the app's repository. */
export const PREVIEW_WORKFLOW_PATHS = {
  preview: ".github/workflows/preview.yml",
  sweep: ".github/workflows/preview-sweep.yml",
} as const;

/**
 * The ConfigMaps of a preview namespace that hold, in `data.at` (UTC, `YYYY-MM-DDTHH:MM:SSZ`), the
 * last deploy's time, which the sweep compares with the time to live, and the time the seed ran
 * (later pushes do not seed again). ConfigMaps, not namespace annotations: the preview identity
 * may change objects inside a preview namespace, never the namespace itself.
 */
export const PREVIEW_MARKERS = { activity: "preview-activity", seeded: "preview-seeded" } as const;


/** What {@link previewWorkflow} and {@link previewSweepWorkflow} need, every default filled in. */
export interface PreviewWorkflowSettings {
  readonly appName: string;
  /** Base branch of the pull requests that get previews. */
  readonly defaultBranch: string;
  /** Runner of the build job (the pull-request build's). */
  readonly buildRunsOn: string | readonly string[];
  /** Runner of the jobs that reach the host cluster's API. */
  readonly runsOn: string | readonly string[];
  /** The checkout, build and in-image test steps of the pull-request workflow; the build step has id `build` and output `id`. */
  readonly buildSteps: readonly Step[];
  readonly healthPath: string;
}

const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";
const vars = (name: (typeof PREVIEW_VARIABLES)[number]) => `\${{ vars.${name} }}`;

/** A step of a cluster job. */
function clusterStep(name: string, id: string, body: string, extra: Partial<Step> = {}): Step {
  // The shared functions only where the script calls one, so the other steps stay short to read.
  return { name, id, shell: "bash", ...extra, run: script(name, PR_CHECK, functionsFor(body), body) };
}

function credentialsStep(): Step {
  return {
    name: "Configure AWS credentials",
    uses: usesOf(ACTIONS.configureAwsCredentials),
    // The image output holds the account id (in the registry host); a masked value would make GitHub drop it.
    with: { "role-to-assume": vars("PREVIEW_ROLE_ARN"), "aws-region": vars("PREVIEW_REGION"), "mask-aws-account-id": false },
  };
}

const connectStep: Step = {
  name: "Connect to the cluster",
  id: "kubeconfig",
  shell: "bash",
  run: script("Connect to the cluster", 'aws eks update-kubeconfig --name "$PREVIEW_CLUSTER" --region "$PREVIEW_REGION"\n'),
};

/** Job env of every job that reaches the cluster: the variables as env, never spliced into scripts. */
function clusterEnv(s: PreviewWorkflowSettings): Record<string, string> {
  return {
    APP_NAME: s.appName,
    PREVIEW_REGION: vars("PREVIEW_REGION"),
    PREVIEW_CLUSTER: vars("PREVIEW_CLUSTER"),
    PREVIEW_REGISTRY: vars("PREVIEW_REGISTRY"),
    PREVIEW_DATABASE: vars("PREVIEW_DATABASE"),
    PREVIEW_DB_JOB: vars("PREVIEW_DB_JOB"),
  };
}

/** `preview.yml`: build, push and deploy a pull request's preview; remove it when the pull request closes. */
export function previewWorkflow(s: PreviewWorkflowSettings): Workflow {
  const pr = "${{ github.event.pull_request.number }}";
  const deployGroup = `preview-${s.appName}-${pr}`;
  const opened = `${FORK_GUARD} && github.event.action != 'closed'`;
  const closed = `${FORK_GUARD} && github.event.action == 'closed'`;

  const build: Job = {
    name: "Build the preview image",
    runsOn: s.buildRunsOn,
    if: opened,
    environment: { name: PREVIEW_ENVIRONMENT },
    // A newer push to the pull request supersedes this one.
    concurrency: { group: deployGroup, cancelInProgress: true },
    permissions: { contents: "read", idToken: "write" },
    timeoutMinutes: 30,
    outputs: { image: "${{ steps.push.outputs.image }}" },
    steps: [
      ...s.buildSteps,
      credentialsStep(),
      { name: "Log in to Amazon ECR", uses: usesOf(ACTIONS.amazonEcrLogin) },
      {
        // The tested image itself; a re-run of the same commit finds its tag (tags are immutable) and reuses it.
        name: "Push the tested image",
        id: "push",
        env: { PR: pr, APP_NAME: s.appName, IMAGE_ID: "${{ steps.build.outputs.id }}", PREVIEW_REGISTRY: vars("PREVIEW_REGISTRY") },
        shell: "bash",
        run: script(
          "Push the tested image",
          PR_CHECK,
          [
            'if [[ ! "$GITHUB_SHA" =~ ^[0-9a-f]{40}$ ]]; then echo "::error::GITHUB_SHA ${GITHUB_SHA@Q} is not a commit"; exit 1; fi',
            'if [[ ! "$PREVIEW_REGISTRY" =~ ^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?/([a-z0-9._/-]+)$ ]]; then echo "::error::PREVIEW_REGISTRY ${PREVIEW_REGISTRY@Q} is not an ECR repository URL"; exit 1; fi',
            'tag="pr-$PR-$GITHUB_SHA"',
            'digest="$(aws ecr batch-get-image --registry-id "${BASH_REMATCH[1]}" --region "${BASH_REMATCH[2]}" --repository-name "${BASH_REMATCH[4]}" --image-ids "imageTag=$tag" --query "images[0].imageId.imageDigest" --output text)"',
            'if [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then',
            '  echo "$tag is already in the registry (a re-run of this commit): deploying it"',
            "else",
            '  docker tag "$IMAGE_ID" "$PREVIEW_REGISTRY:$tag"',
            '  docker push "$PREVIEW_REGISTRY:$tag" | tee "$work/push.log"',
            '  digest="$(sed -n \'s/^.*: digest: \\(sha256:[0-9a-f]\\{64\\}\\) .*$/\\1/p\' "$work/push.log" | tail -n 1)"',
            "fi",
            'if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "::error::docker push reported no digest for $tag"; exit 1; fi',
            'echo "image=$PREVIEW_REGISTRY@$digest" >> "$GITHUB_OUTPUT"',
            "",
          ].join("\n"),
        ),
      },
    ],
  };

  // Each command is its own variable (PREVIEW_MIGRATE, PREVIEW_SEED, PREVIEW_INTEGRATION_TEST, set
  // only when the app has it): it never enters this file, and jq makes it the one argument of
  // `/bin/sh -c` in __COMMAND__'s JSON array, so no platform-file text is ever YAML or shell here.
  const taskStep = (name: string, id: string, variable: (typeof PREVIEW_VARIABLES)[number], what: string, extraBody = "", guard = ""): Step =>
    clusterStep(
      name,
      id,
      [
        `if [[ -z "\${${variable}:-}" ]]; then echo "No ${variable}: nothing to run"; exit 0; fi`,
        guard,
        `COMMAND_JSON="$(jq -nc --arg c "$${variable}" '["/bin/sh", "-c", $c]')"`,
        `render "$PREVIEW_TASK_JOB" "$work/${id}.yaml"`,
        `run_job "$namespace" "$work/${id}.yaml" ${shellQuote(what)} 15`,
        extraBody,
        "",
      ]
        .filter((line) => line !== "")
        .concat("")
        .join("\n"),
      { timeoutMinutes: 20 },
    );

  const deploy: Job = {
    name: "Deploy the preview",
    runsOn: s.runsOn,
    needs: ["build"],
    if: opened,
    environment: { name: PREVIEW_ENVIRONMENT },
    concurrency: { group: deployGroup, cancelInProgress: true },
    permissions: { idToken: "write" },
    timeoutMinutes: 60,
    outputs: { url: "${{ steps.health.outputs.url }}" },
    env: {
      PR: pr,
      IMAGE: "${{ needs.build.outputs.image }}",
      ...clusterEnv(s),
      PREVIEW_DOMAIN: vars("PREVIEW_DOMAIN"),
      PREVIEW_MAX: vars("PREVIEW_MAX"),
      PREVIEW_MANIFEST: vars("PREVIEW_MANIFEST"),
      PREVIEW_TASK_JOB: vars("PREVIEW_TASK_JOB"),
      PREVIEW_SECRETS: vars("PREVIEW_SECRETS"),
      PREVIEW_MIGRATE: vars("PREVIEW_MIGRATE"),
      PREVIEW_SEED: vars("PREVIEW_SEED"),
      PREVIEW_INTEGRATION_TEST: vars("PREVIEW_INTEGRATION_TEST"),
      HEALTH_PATH: s.healthPath,
    },
    steps: [
      credentialsStep(),
      connectStep,
      clusterStep(
        "Render the preview",
        "render",
        [
          'if [[ ! "$IMAGE" =~ ^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$ ]]; then echo "::error::The image ${IMAGE@Q} is not an ECR image by digest"; exit 1; fi',
          'for placeholder in __PR__ __IMAGE__; do [[ "$PREVIEW_MANIFEST" == *"$placeholder"* ]] || { echo "::error::PREVIEW_MANIFEST has no $placeholder: the preview environment\'s variables are not Slipway\'s"; exit 1; }; done',
          'render "$PREVIEW_MANIFEST" "$work/manifest.yaml"',
          "",
        ].join("\n"),
      ),
      clusterStep(
        "Check the preview cap",
        "cap",
        [
          'if [[ ! "$PREVIEW_MAX" =~ ^[1-9][0-9]*$ ]]; then echo "::error::PREVIEW_MAX ${PREVIEW_MAX@Q} is not a positive number"; exit 1; fi',
          `previews="$(kubectl get namespaces -l "${PREVIEW_LABEL}=$APP_NAME" -o name)"`,
          "count=0 mine=false",
          'while IFS= read -r name; do [[ -n "$name" ]] || continue; count=$((count + 1)); if [[ "$name" == "namespace/$namespace" ]]; then mine=true; fi; done <<< "$previews"',
          'if [[ "$mine" == false ]] && (( count >= PREVIEW_MAX )); then',
          '  echo "::error::No preview for pull request #$PR: the cap of $PREVIEW_MAX previews of $APP_NAME is reached ($count running). Close a pull request with a preview, or raise apps[].previews.maxConcurrent in the platform file"',
          "  exit 1",
          "fi",
          'echo "Previews of $APP_NAME: $count running, cap $PREVIEW_MAX"',
          "",
        ].join("\n"),
      ),
      clusterStep(
        "Create the namespace",
        "namespace",
        [
          "# The namespace first, then what lives in it but the Deployment (its RoleBindings let the",
          "# database Job write the Secret the app reads): the Deployment rolls out after the migration.",
          'documents Namespace only < "$work/manifest.yaml" > "$work/namespace.yaml"',
          'if [[ ! -s "$work/namespace.yaml" ]]; then echo "::error::PREVIEW_MANIFEST has no Namespace"; exit 1; fi',
          "# Only a new preview can take a place beyond the cap: an existing one is updated whatever the count.",
          'existing="$(kubectl get namespace "$namespace" --ignore-not-found -o name)"',
          'kubectl apply -f "$work/namespace.yaml"',
          'if [[ -z "$existing" ]]; then',
          "  # Two pull requests can both pass the cap check before either creates its namespace. Counted",
          "  # again now that this one exists, in creation order (then by name: the same order for every",
          "  # job): a new preview placed beyond the cap is the newest, and steps back.",
          `  ranked="$(kubectl get namespaces -l "${PREVIEW_LABEL}=$APP_NAME" -o jsonpath='{range .items[*]}{.metadata.creationTimestamp}{" "}{.metadata.name}{"\\n"}{end}' | LC_ALL=C sort)"`,
          '  place="$(awk -v ns="$namespace" \'$2 == ns { print NR; exit }\' <<< "$ranked")"',
          '  if [[ -z "$place" ]]; then echo "::error::The namespace $namespace is not among the previews of $APP_NAME (label ' + PREVIEW_LABEL + '=$APP_NAME) after its creation"; exit 1; fi',
          "  if (( place > PREVIEW_MAX )); then",
          '    kubectl delete namespace "$namespace" --wait=false',
          '    echo "::error::No preview for pull request #$PR: another pull request\'s preview took the last of the $PREVIEW_MAX places meanwhile. Close a pull request with a preview, or raise apps[].previews.maxConcurrent in the platform file"',
          "    exit 1",
          "  fi",
          "fi",
          'documents "Namespace|Deployment" except < "$work/manifest.yaml" > "$work/objects.yaml"',
          'kubectl apply -f "$work/objects.yaml"',
          "# From now on the sweep counts this preview's idle time, even if a later step fails.",
          mark(PREVIEW_MARKERS.activity),
          "",
        ].join("\n"),
      ),
      clusterStep(
        "Create the database",
        "database",
        [
          'if [[ "$PREVIEW_DATABASE" != postgres ]]; then echo "The app has no database"; exit 0; fi',
          "ACTION=create",
          'render "$PREVIEW_DB_JOB" "$work/db-create.yaml"',
          'run_job "$APP_NAME-previews" "$work/db-create.yaml" "Creating the database of pull request #$PR" 10',
          "",
        ].join("\n"),
        { timeoutMinutes: 15 },
      ),
      clusterStep(
        "Copy the preview secrets",
        "secrets",
        [
          "# PREVIEW_SECRETS: {\"<NAME>\": \"<platform>/<app>/preview/<NAME>\"}. Each value goes from aws to jq to",
          "# kubectl through pipes: never echoed, never an argument.",
          `if ! jq -e 'type == "object" and all(to_entries[]; (.key | test("^[A-Za-z_][A-Za-z0-9_]*$")) and (.value | test("^[A-Za-z0-9_+=.@/-]+$")))' <<< "\${PREVIEW_SECRETS:-"{}"}" > /dev/null; then echo "::error::PREVIEW_SECRETS is not {\"<NAME>\": \"<secret name>\"}: the preview environment's variables are not Slipway's"; exit 1; fi`,
          `if ! ids="$(jq -er 'to_entries[] | select((.key | test("^[A-Za-z_][A-Za-z0-9_]*$")) and (.value | test("^[A-Za-z0-9_+=.@/-]+$"))) | "\\(.key) \\(.value)"' <<< "\${PREVIEW_SECRETS:-"{}"}")"; then echo "No preview secrets"; exit 0; fi`,
          "secret_data() {",
          "  local name id",
          "  while read -r name id <&3; do",
          '    aws secretsmanager get-secret-value --secret-id "$id" --region "$PREVIEW_REGION" --query SecretString --output json | jq -c --arg name "$name" \'{($name): (. | @base64)}\' || { echo "::error::Could not read secret $name ($id): give it a value with aws secretsmanager put-secret-value --secret-id $id --secret-string file://<file>"; return 1; }',
          '  done 3<<< "$ids"',
          "}",
          'kubectl -n "$namespace" delete secret app-secrets --ignore-not-found',
          'secret_data | jq -s --arg namespace "$namespace" \'{apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: {name: "app-secrets", namespace: $namespace}, data: add}\' | kubectl -n "$namespace" create -f -',
          "",
        ].join("\n"),
      ),
      taskStep("Migrate the database", "migrate", "PREVIEW_MIGRATE", "Migration"),
      taskStep(
        "Seed the database",
        "seed",
        "PREVIEW_SEED",
        "Seed",
        mark(PREVIEW_MARKERS.seeded),
        // Once per preview: a later push keeps the data it has.
        `if [[ -n "$(${markedAt(PREVIEW_MARKERS.seeded, "namespace")})" ]]; then echo "Seeded before: not again"; exit 0; fi`,
      ),
      clusterStep(
        "Roll out",
        "rollout",
        [
          'documents Deployment only < "$work/manifest.yaml" > "$work/deployment.yaml"',
          'kubectl apply -f "$work/deployment.yaml"',
          'kubectl -n "$namespace" rollout status deployment/app --timeout=10m',
          "",
        ].join("\n"),
        { timeoutMinutes: 15 },
      ),
      clusterStep(
        "Health check",
        "health",
        [
          'if [[ ! "$PREVIEW_DOMAIN" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]]; then echo "::error::PREVIEW_DOMAIN ${PREVIEW_DOMAIN@Q} is not a domain name"; exit 1; fi',
          'url="https://pr-$PR.$PREVIEW_DOMAIN"',
          'curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors --output /dev/null "$url$HEALTH_PATH"',
          'echo "url=$url" >> "$GITHUB_OUTPUT"',
          "",
        ].join("\n"),
      ),
      taskStep("Integration tests", "integration-test", "PREVIEW_INTEGRATION_TEST", "Integration tests"),
      clusterStep(
        "Record the activity",
        "activity",
        ["# The sweep removes a preview idle past PREVIEW_TTL_HOURS from this time.", mark(PREVIEW_MARKERS.activity), ""].join("\n"),
      ),
    ],
  };

  const githubEnv = { GH_TOKEN: "${{ github.token }}", PR: pr };
  const report: Job = {
    name: "Report the preview",
    runsOn: "ubuntu-latest",
    needs: ["build", "deploy"],
    // Also after a failure, to say so on the pull request; not after a cancellation (a newer push took over).
    if: `${opened} && !cancelled()`,
    permissions: { deployments: "write", pullRequests: "write" },
    timeoutMinutes: 10,
    env: {
      ...githubEnv,
      HEAD_SHA: "${{ github.event.pull_request.head.sha }}",
      HEAD_REF: "${{ github.event.pull_request.head.ref }}",
      BUILD_RESULT: "${{ needs.build.result }}",
      DEPLOY_RESULT: "${{ needs.deploy.result }}",
      URL: "${{ needs.deploy.outputs.url }}",
      PREVIEW_DOMAIN: vars("PREVIEW_DOMAIN"),
    },
    steps: [
      {
        name: "Comment and record the deployment",
        shell: "bash",
        run: script(
          "Comment and record the deployment",
          PR_CHECK,
          GITHUB_FUNCTIONS,
          [
            'if [[ ! "$HEAD_SHA" =~ ^[0-9a-f]{40}$ ]]; then echo "::error::The head commit ${HEAD_SHA@Q} is not a commit"; exit 1; fi',
            'run_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"',
            "# The branch name is the author's text: shown as code, without backticks.",
            "branch=\"${HEAD_REF//\\`/}\"",
            'if [[ "$BUILD_RESULT" == success && "$DEPLOY_RESULT" == success && "$URL" == https://* ]]; then',
            '  state=success',
            '  printf \'%s\\n\\n**Preview of `%s` (%s):** %s\\n\\nDeployed by [this run](%s). It is removed when the pull request closes, or after a time without pushes.\\n\' "$marker" "$branch" "${HEAD_SHA:0:7}" "$URL" "$run_url" > "$work/comment.md"',
            "else",
            '  state=failure URL=""',
            '  printf \'%s\\n\\n**The preview of `%s` (%s) failed** (build: %s, deploy: %s): see [the run](%s) for the failing step.\\n\' "$marker" "$branch" "${HEAD_SHA:0:7}" "$BUILD_RESULT" "$DEPLOY_RESULT" "$run_url" > "$work/comment.md"',
            "fi",
            'comment "$PR" "$work/comment.md"',
            "# A transient deployment per push: another pull request's deployment does not make it inactive.",
            `id="$(jq -n --arg ref "$HEAD_SHA" --arg task "deploy:pr-$PR" --arg pr "$PR" '{ref: $ref, task: $task, environment: "${PREVIEW_ENVIRONMENT}", auto_merge: false, required_contexts: [], transient_environment: true, production_environment: false, description: ("Preview of pull request #" + $pr)}' | gh api --method POST "repos/$GITHUB_REPOSITORY/deployments" --input - --jq .id)"`,
            'if [[ ! "$id" =~ ^[0-9]+$ ]]; then echo "::error::GitHub created no deployment"; exit 1; fi',
            'jq -n --arg state "$state" --arg url "$URL" --arg log "$run_url" \'{state: $state, log_url: $log, auto_inactive: false} + (if $url == "" then {} else {environment_url: $url} end)\' | gh api --method POST "repos/$GITHUB_REPOSITORY/deployments/$id/statuses" --input - --jq .state',
            "# The job fails with the deploy, so the check shows it.",
            'if [[ "$state" != success ]]; then exit 1; fi',
            "",
          ].join("\n"),
        ),
      },
    ],
  };

  const teardownJob: Job = {
    name: "Remove the preview",
    runsOn: s.runsOn,
    if: closed,
    environment: { name: PREVIEW_ENVIRONMENT },
    // Its own group: nothing cancels a teardown (a deploy still running is removed by the sweep if it outlives this).
    concurrency: { group: `preview-${s.appName}-${pr}-teardown`, cancelInProgress: false },
    permissions: { idToken: "write" },
    timeoutMinutes: 30,
    env: { PR: pr, ...clusterEnv(s) },
    steps: [credentialsStep(), connectStep, clusterStep("Remove the namespace, database and images", "teardown", 'teardown "$PR"\n', { timeoutMinutes: 25 })],
  };

  const teardownReport: Job = {
    name: "Report the removal",
    runsOn: "ubuntu-latest",
    needs: ["teardown"],
    if: `${closed} && !cancelled()`,
    permissions: { deployments: "write", pullRequests: "write" },
    timeoutMinutes: 10,
    env: { ...githubEnv, TEARDOWN_RESULT: "${{ needs.teardown.result }}" },
    steps: [
      {
        name: "Mark the deployments inactive and comment",
        shell: "bash",
        run: script(
          "Mark the deployments inactive and comment",
          PR_CHECK,
          GITHUB_FUNCTIONS,
          [
            'if [[ "$TEARDOWN_RESULT" == success ]]; then',
            '  deactivate "$PR"',
            '  printf \'%s\\n\\nThe preview is gone: its namespace, database and images were removed when the pull request closed.\\n\' "$marker" > "$work/comment.md"',
            "else",
            '  printf \'%s\\n\\n**Removing the preview failed**: the hourly sweep retries; see [the run](%s).\\n\' "$marker" "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID" > "$work/comment.md"',
            "fi",
            "# Only a pull request that had a preview gets a word about its removal.",
            'comment "$PR" "$work/comment.md" update-only',
            'if [[ "$TEARDOWN_RESULT" != success ]]; then exit 1; fi',
            "",
          ].join("\n"),
        ),
      },
    ],
  };

  return {
    name: PREVIEW_WORKFLOW_NAMES.preview,
    on: { pullRequest: { branches: [s.defaultBranch], types: ["opened", "reopened", "synchronize", "closed"] } },
    permissions: {},
    jobs: { build, deploy, report, teardown: teardownJob, "report-teardown": teardownReport },
  };
}

/** `preview-sweep.yml`: hourly, removes previews whose pull request is closed or that were idle past the time to live. */
export function previewSweepWorkflow(s: PreviewWorkflowSettings): Workflow {
  const sweep: Job = {
    name: "Remove stale previews",
    runsOn: s.runsOn,
    environment: { name: PREVIEW_ENVIRONMENT },
    permissions: { idToken: "write", pullRequests: "read" },
    timeoutMinutes: 60,
    outputs: { removed: "${{ steps.sweep.outputs.removed }}" },
    env: { GH_TOKEN: "${{ github.token }}", ...clusterEnv(s), PREVIEW_TTL_HOURS: vars("PREVIEW_TTL_HOURS") },
    steps: [
      credentialsStep(),
      connectStep,
      {
        name: "Remove closed and idle previews",
        id: "sweep",
        shell: "bash",
        timeoutMinutes: 55,
        run: script(
          "Remove closed and idle previews",
          "PR=0\n",
          functionsFor("teardown "),
          [
            'if [[ ! "$PREVIEW_TTL_HOURS" =~ ^[1-9][0-9]*$ ]]; then echo "::error::PREVIEW_TTL_HOURS ${PREVIEW_TTL_HOURS@Q} is not a positive number"; exit 1; fi',
            "now=$(date -u +%s) failed=0 removed='[]'",
            `namespaces="$(kubectl get namespaces -l "${PREVIEW_LABEL}=$APP_NAME" -o name)"`,
            "while IFS= read -r name <&3; do",
            '  name="${name#namespace/}"',
            '  [[ -n "$name" ]] || continue',
            '  pr="${name#"$APP_NAME-pr-"}"',
            '  if [[ "$name" != "$APP_NAME-pr-"* || ! "$pr" =~ ^[1-9][0-9]{0,9}$ ]]; then echo "::warning::$name carries the preview label but is not a preview namespace: left alone"; continue; fi',
            '  if ! state="$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr" --jq .state)"; then echo "::warning::Could not read pull request #$pr: its preview is left for the next sweep"; continue; fi',
            '  reason=""',
            '  if [[ "$state" == closed ]]; then',
            "    reason=closed",
            "  else",
            `    last="$(${markedAt(PREVIEW_MARKERS.activity, "name")})"`,
            '    [[ -n "$last" ]] || last="$(kubectl get namespace "$name" -o jsonpath=\'{.metadata.creationTimestamp}\')"',
            '    if ! at="$(date -u -d "$last" +%s)"; then echo "::warning::$name: last activity ${last@Q} is not a time: left alone"; continue; fi',
            '    if (( now - at > PREVIEW_TTL_HOURS * 3600 )); then reason=idle; fi',
            "  fi",
            '  if [[ -z "$reason" ]]; then echo "Kept $name: pull request #$pr is open and active"; continue; fi',
            '  echo "Removing $name: pull request #$pr is $reason"',
            '  if teardown "$pr"; then',
            '    removed="$(jq -c --argjson pr "$pr" --arg reason "$reason" \'. + [{pr: $pr, reason: $reason}]\' <<< "$removed")"',
            "  else",
            '    echo "::error::Could not remove the preview of pull request #$pr"; failed=1',
            "  fi",
            'done 3<<< "$namespaces"',
            'echo "removed=$removed" >> "$GITHUB_OUTPUT"',
            'exit "$failed"',
            "",
          ].join("\n"),
        ),
      },
    ],
  };

  const report: Job = {
    name: "Report removed previews",
    runsOn: "ubuntu-latest",
    needs: ["sweep"],
    // Also when one removal failed: the others are reported.
    if: "!cancelled()",
    permissions: { deployments: "write", pullRequests: "write" },
    timeoutMinutes: 15,
    env: { GH_TOKEN: "${{ github.token }}", REMOVED: "${{ needs.sweep.outputs.removed }}", PREVIEW_TTL_HOURS: vars("PREVIEW_TTL_HOURS") },
    steps: [
      {
        name: "Mark the deployments inactive and comment",
        shell: "bash",
        run: script(
          "Mark the deployments inactive and comment",
          "PR=0\n",
          GITHUB_FUNCTIONS,
          [
            'work="$RUNNER_TEMP/preview-sweep"; mkdir -p "$work"',
            "while read -r pr reason <&3; do",
            '  [[ "$pr" =~ ^[1-9][0-9]{0,9}$ ]] || continue',
            '  deactivate "$pr"',
            '  if [[ "$reason" == closed ]]; then why="the pull request is closed"; else why="no push for more than $PREVIEW_TTL_HOURS hours; push a commit to bring it back"; fi',
            '  printf \'%s\\n\\nThe preview is gone: removed by the hourly sweep (%s).\\n\' "$marker" "$why" > "$work/comment.md"',
            '  comment "$pr" "$work/comment.md"',
            'done 3< <(jq -r \'(. // [])[] | "\\(.pr) \\(.reason)"\' <<< "${REMOVED:-[]}")',
            "",
          ].join("\n"),
        ),
      },
    ],
  };

  return {
    name: PREVIEW_WORKFLOW_NAMES.sweep,
    on: { schedule: [{ cron: "23 * * * *" }], workflowDispatch: {} },
    permissions: {},
    concurrency: { group: `preview-sweep-${s.appName}`, cancelInProgress: false },
    jobs: { sweep, report },
  };
}
