/**
 * The shell the preview workflows' steps share (constructs/preview-workflow.ts): the checks every
 * script starts with, the functions the cluster jobs call (`render`, `documents`, `run_job`,
 * `teardown`) and those of the jobs that talk to GitHub (`comment`, `deactivate`), each step's
 * error annotation, and the marker ConfigMaps. Text only: values reach it as environment variables.
 */

// The GitHub environment whose OIDC subject the preview role trusts: one constant, the infra's.
import { PREVIEW_ENVIRONMENT } from "./preview-access";

export { PREVIEW_ENVIRONMENT };

/** The first line of the one pull-request comment the preview keeps up to date (found again by it). */
export const PREVIEW_COMMENT_MARKER = "<!-- slipway-preview -->";

/** Checks shared by every script: the pull request number is digits; the names derived from it. */
export const PR_CHECK = [
  'if [[ ! "$PR" =~ ^[1-9][0-9]{0,9}$ ]]; then echo "::error::The pull request number ${PR@Q} is not a number"; exit 1; fi',
  'namespace="$APP_NAME-pr-$PR"',
  'work="$RUNNER_TEMP/preview-$PR"',
  'mkdir -p "$work"',
  "",
].join("\n");

/**
 * Shell functions the cluster jobs share. `render <template> <file>` writes a template with `__PR__`,
 * `__IMAGE__`, `__ACTION__` and `__COMMAND__` replaced by `$PR`, `$IMAGE`, `$ACTION` and
 * `$COMMAND_JSON` (bash substitution with quoted replacements: `&` and `\` stay text).
 * `documents <kinds regex> <only|except>` keeps the documents of a multi-document YAML on stdin
 * whose top-level `kind:` matches (or does not). `run_job <namespace> <file> <what> <minutes>`
 * replaces a Job by the one in the file, waits for it to complete or fail, prints its logs and
 * returns non-zero unless it completed. `teardown <n>` removes preview n: namespace, database,
 * images. Each returns non-zero on the first failure (they also run where `set -e` is off).
 */
const SHELL_FUNCTIONS: Readonly<Record<string, { readonly needs: readonly string[]; readonly text: string }>> = {
  render: {
    needs: [],
    text: [
      "render() {",
      '  local text="$1"',
      '  text="${text//__PR__/"$PR"}"',
      '  text="${text//__IMAGE__/"${IMAGE:-}"}"',
      '  text="${text//__ACTION__/"${ACTION:-}"}"',
      '  text="${text//__COMMAND__/"${COMMAND_JSON:-}"}"',
      "  printf '%s\\n' \"$text\" > \"$2\"",
      "}",
      "",
    ].join("\n"),
  },
  documents: {
    needs: [],
    text: [
      "documents() {",
      "  awk -v kinds=\"^($1)\\$\" -v mode=\"$2\" '",
      '    function flush() { if (doc != "" && ((kind ~ kinds) == (mode == "only"))) printf "---\\n%s", doc; doc = ""; kind = "" }',
      "    /^---/ { flush(); next }",
      '    { doc = doc $0 "\\n"; if ($0 ~ /^kind: /) { kind = substr($0, 7); gsub(/["\\047 ]/, "", kind) } }',
      "    END { flush() }'",
      "}",
      "",
    ].join("\n"),
  },
  run_job: {
    needs: [],
    text: [
      "run_job() {",
      '  local ns="$1" file="$2" what="$3" deadline=$((SECONDS + $4 * 60)) job conditions',
      "  # A Job with a fixed name replaces the last one (kept an hour after it ends); one with generateName is always new.",
      '  if ! grep -q "^  generateName: " "$file"; then kubectl -n "$ns" delete -f "$file" --ignore-not-found --wait=true || return 1; fi',
      '  job="$(kubectl -n "$ns" create -f "$file" -o name)" || return 1',
      "  while (( SECONDS < deadline )); do",
      `    conditions="$(kubectl -n "$ns" get "$job" -o jsonpath='{.status.conditions[?(@.status=="True")].type}' || true)"`,
      '    case " $conditions " in',
      '      *" Complete "*) kubectl -n "$ns" logs "$job" --all-containers || true; return 0 ;;',
      '      *" Failed "*) kubectl -n "$ns" logs "$job" --all-containers || true; echo "::error::$what: $job failed"; return 1 ;;',
      "    esac",
      "    sleep 5",
      "  done",
      '  echo "::error::$what: $job did not finish within $4 minutes"',
      "  return 1",
      "}",
      "",
    ].join("\n"),
  },
  teardown: {
    needs: ["render", "run_job"],
    text: [
      "teardown() {",
      '  local PR="$1" ACTION=drop tags ids=() tag failures',
      '  local namespace="$APP_NAME-pr-$1" work="$RUNNER_TEMP/preview-$1"',
      '  mkdir -p "$work"',
      "  # The namespace first: its pods hold the database's connections.",
      '  if ! kubectl delete namespace "$namespace" --ignore-not-found --wait=true --timeout=10m; then echo "::error::Could not delete namespace $namespace"; return 1; fi',
      '  if [[ "$PREVIEW_DATABASE" == postgres ]]; then',
      '    render "$PREVIEW_DB_JOB" "$work/db-drop.yaml" || return 1',
      '    run_job "$APP_NAME-previews" "$work/db-drop.yaml" "Dropping the database of pull request #$PR" 10 || return 1',
      "  fi",
      '  if [[ ! "$PREVIEW_REGISTRY" =~ ^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?/([a-z0-9._/-]+)$ ]]; then echo "::error::PREVIEW_REGISTRY ${PREVIEW_REGISTRY@Q} is not an ECR repository URL"; return 1; fi',
      '  local registry=(--registry-id "${BASH_REMATCH[1]}" --region "${BASH_REMATCH[2]}" --repository-name "${BASH_REMATCH[4]}")',
      '  tags="$(aws ecr list-images "${registry[@]}" --filter tagStatus=TAGGED --query "imageIds[].imageTag" --output json | jq -r --arg prefix "pr-$PR-" \'.[] | select(startswith($prefix))\')" || { echo "::error::Could not list the images of pull request #$PR"; return 1; }',
      '  while IFS= read -r tag; do if [[ -n "$tag" ]]; then ids+=("imageTag=$tag"); fi; done <<< "$tags"',
      "  # At most 100 images a call; removing an image's last tag removes the image.",
      "  while (( ${#ids[@]} > 0 )); do",
      '    failures="$(aws ecr batch-delete-image "${registry[@]}" --image-ids "${ids[@]:0:100}" --query "length(failures)" --output text)" || return 1',
      '    if [[ "$failures" != 0 ]]; then echo "::error::$failures images of pull request #$PR could not be deleted"; return 1; fi',
      '    ids=("${ids[@]:100}")',
      "  done",
      '  echo "Removed the preview of pull request #$PR: namespace $namespace, its database (if any) and its images"',
      "}",
      "",
    ].join("\n"),
  },
};

/** The definitions of the shared functions `body` calls (and of those they call), in a fixed order. */
export function functionsFor(body: string): string {
  const wanted = new Set<string>();
  const want = (name: string) => {
    wanted.add(name);
    SHELL_FUNCTIONS[name].needs.forEach(want);
  };
  Object.keys(SHELL_FUNCTIONS).forEach((name) => {
    if (new RegExp(`(^|[\\s;({])${name} `, "m").test(body)) want(name);
  });
  return Object.keys(SHELL_FUNCTIONS)
    .filter((name) => wanted.has(name))
    .map((name) => SHELL_FUNCTIONS[name].text)
    .join("");
}

/**
 * Functions of the jobs that talk to GitHub (`gh`, the job's `GITHUB_TOKEN`): `comment <n> <file>`
 * creates or updates the one preview comment (found by {@link PREVIEW_COMMENT_MARKER}, written by
 * this workflow's bot); `deactivate <n>` marks every preview deployment of pull request n inactive.
 * Bodies are built with `jq` from arguments and files, never spliced into JSON text.
 */
export const GITHUB_FUNCTIONS = [
  `marker=${shellQuote(PREVIEW_COMMENT_MARKER)}`,
  "comment() {",
  "  local id",
  '  id="$(gh api "repos/$GITHUB_REPOSITORY/issues/$1/comments" --paginate --jq \'.[] | select(.user.login == "github-actions[bot]" and (.body | startswith("' + PREVIEW_COMMENT_MARKER + '"))) | .id\' | sed -n 1p)" || return 1',
  '  if [[ -n "$id" ]]; then',
  '    jq -Rs \'{body: .}\' < "$2" | gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" --input - --jq .html_url || return 1',
  '  elif [[ "${3:-}" == update-only ]]; then',
  '    echo "Pull request #$1 has no preview comment: nothing to update"',
  "  else",
  '    jq -Rs \'{body: .}\' < "$2" | gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$1/comments" --input - --jq .html_url || return 1',
  "  fi",
  "}",
  "deactivate() {",
  "  local ids id",
  '  ids="$(gh api "repos/$GITHUB_REPOSITORY/deployments?environment=' + PREVIEW_ENVIRONMENT + '&task=deploy:pr-$1" --paginate --jq \'.[].id\')" || return 1',
  '  for id in $ids; do',
  '    [[ "$id" =~ ^[0-9]+$ ]] || continue',
  '    jq -n \'{state: "inactive"}\' | gh api --method POST "repos/$GITHUB_REPOSITORY/deployments/$id/statuses" --input - --jq .state > /dev/null || return 1',
  "  done",
  "}",
  "",
].join("\n");

/** Reports a failing step by name (the ERR trap fires on any failing command the script does not handle). */
const onError = (what: string) => `trap 'echo "::error::${what} failed: see the error above"' ERR\n`;

export function script(what: string, ...parts: string[]): string {
  return [onError(what), ...parts].join("");
}

/** Writes marker ConfigMap `$1` in `$namespace` with the current time (JSON is YAML: built by jq, applied). */
export const mark = (configMap: string) =>
  `jq -n --arg namespace "$namespace" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '{apiVersion: "v1", kind: "ConfigMap", metadata: {name: "${configMap}", namespace: $namespace}, data: {at: $at}}' | kubectl apply -f -`;
/** Prints marker ConfigMap `configMap`'s time in namespace `$<namespaceVariable>`, nothing when there is none. */
export const markedAt = (configMap: string, namespaceVariable: string) => `kubectl -n "$${namespaceVariable}" get configmap ${configMap} --ignore-not-found -o jsonpath='{.data.at}'`;
/** `value` as one single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
