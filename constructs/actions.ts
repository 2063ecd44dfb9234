/**
 * The one table of every GitHub Action a Slipway workflow uses, each pinned to a full commit SHA.
 * A tag can be moved or deleted by whoever controls the action's repository; a commit SHA cannot,
 * so a workflow runs exactly the code that was reviewed here. The rendered YAML keeps the release
 * as a trailing comment (`uses: actions/checkout@<sha> # v7.0.1`) so readers (and Dependabot)
 * still see the version.
 *
 * How an entry was made: the action's own repository was fetched with its tags, the newest stable
 * release tag taken (`git tag --sort=-v:refname`, not a floating major tag such as `v7`), and the
 * tag resolved to its commit (`git rev-parse <tag>^{commit}`: for an annotated tag that is the
 * commit it points to, not the tag object). `inputs` and `requiredInputs` are read from the
 * `action.yml` at that commit; the renderer refuses a `with` key the pinned release does not
 * declare, so a renamed or removed input fails at synth, not in a run.
 *
 * To update an action: resolve the new release the same way, replace its entry (all fields), read
 * the release notes for renamed inputs and runtime changes, regenerate the workflows.
 */

/** One action pinned to a commit, and where that commit came from. */
export interface PinnedAction {
  /** `owner/repo`, or `owner/repo/path` for an action in a subfolder. */
  readonly action: string;
  /** The full 40-character commit SHA the release tag points to. */
  readonly sha: string;
  /** The release tag the commit was resolved from, e.g. `v7.0.1`: written as the `uses:` line's comment. */
  readonly release: string;
  /** The repository the tag was resolved from (the action's own). */
  readonly source: string;
  /** The day the tag was resolved (UTC, `YYYY-MM-DD`). */
  readonly resolvedOn: string;
  /** What runs the action at that commit (`runs.using` of its `action.yml`), e.g. `node24`: Node 24 actions need runner 2.327.1 or later. */
  readonly runtime: string;
  /** Every input the `action.yml` at that commit declares. */
  readonly inputs: readonly string[];
  /** The inputs the `action.yml` marks `required: true`. */
  readonly requiredInputs: readonly string[];
}

const RESOLVED_ON = "2026-12-06";

const pin = (action: string, release: string, sha: string, runtime: string, inputs: string, requiredInputs: string = ""): PinnedAction => ({
  action,
  sha,
  release,
  source: `https://github.com/${action.split("/").slice(0, 2).join("/")}`,
  resolvedOn: RESOLVED_ON,
  runtime,
  inputs: inputs.split(/\s+/).filter(Boolean),
  requiredInputs: requiredInputs.split(/\s+/).filter(Boolean),
});

/** Every action Slipway's generated workflows use, by a short name. */
export const ACTIONS = {
  checkout: pin(
    "actions/checkout",
    "v7.0.1",
    "3d3c42e5aac5ba805825da76410c181273ba90b1",
    "node24",
    "repository ref token ssh-key ssh-known-hosts ssh-strict ssh-user persist-credentials path clean filter sparse-checkout sparse-checkout-cone-mode fetch-depth fetch-tags show-progress lfs submodules set-safe-directory github-server-url allow-unsafe-pr-checkout",
  ),
  configureAwsCredentials: pin(
    "aws-actions/configure-aws-credentials",
    "v6.2.3",
    "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    "node24",
    "aws-region aws-profile overwrite-aws-profile role-to-assume aws-access-key-id aws-secret-access-key aws-session-token web-identity-token-file role-chaining audience http-proxy no-proxy mask-aws-account-id role-duration-seconds role-external-id role-session-name role-skip-session-tagging transitive-tag-keys inline-session-policy managed-session-policies output-credentials output-env-credentials unset-current-credentials disable-retry retry-max-attempts special-characters-workaround use-existing-credentials allowed-account-ids force-skip-oidc action-timeout-s custom-tags sts-endpoint",
    "aws-region",
  ),
  // v2.1.7 is an annotated tag (object aded0d722166a37980e030aa969dda0bfe6b6947); this is its commit.
  amazonEcrLogin: pin(
    "aws-actions/amazon-ecr-login",
    "v2.1.7",
    "03f1aad4c6c7ffd436567f42f9384779290529bd",
    "node24",
    "http-proxy mask-password registries registry-type skip-logout",
  ),
  // GitHub's README for actions/attest-build-provenance v4 calls it a wrapper of actions/attest and
  // points new workflows to actions/attest, which makes the same SLSA build provenance by default.
  attest: pin(
    "actions/attest",
    "v4.2.2",
    "1e69f48acb82d1966a394da916b4c1698aa569d6",
    "node24",
    "subject-path subject-digest subject-name subject-checksums subject-version sbom-path predicate-type predicate predicate-path push-to-registry create-storage-record show-summary github-token",
  ),
  setupNode: pin(
    "actions/setup-node",
    "v7.0.0",
    "820762786026740c76f36085b0efc47a31fe5020",
    "node24",
    "node-version node-version-file architecture check-latest registry-url scope token cache package-manager-cache cache-dependency-path mirror mirror-token",
  ),
  setupTerraform: pin(
    "hashicorp/setup-terraform",
    "v4.0.1",
    "dfe3c3f87815947d99a8997f908cb6525fc44e9e",
    "node24",
    "cli_config_credentials_hostname cli_config_credentials_token terraform_version terraform_wrapper",
  ),
  uploadArtifact: pin(
    "actions/upload-artifact",
    "v7.0.0",
    "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
    "node24",
    "name path if-no-files-found retention-days compression-level overwrite include-hidden-files archive",
    "path",
  ),
  downloadArtifact: pin(
    "actions/download-artifact",
    "v8.0.1",
    "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
    "node24",
    "name artifact-ids path pattern merge-multiple github-token repository run-id skip-decompress digest-mismatch",
  ),
  // Terraform's provider plugin cache across the infrastructure repository's plan jobs.
  cache: pin(
    "actions/cache",
    "v5.0.5",
    "27d5ce7f107fe9357f9df03efb73ab90386fccae",
    "node24",
    "path key restore-keys upload-chunk-size enableCrossOsArchive fail-on-cache-miss lookup-only save-always",
    "path key",
  ),
  // `app-id` is deprecated in v3 in favour of `client-id` but still accepted.
  createGithubAppToken: pin(
    "actions/create-github-app-token",
    "v3.1.1",
    "1b10c78c7865c340bc4f6099eb2f838309f1e8c3",
    "node24",
    [
      "client-id app-id private-key owner repositories skip-token-revoke github-api-url",
      ...[
        "actions administration artifact-metadata attestations checks codespaces contents custom-properties-for-organizations",
        "dependabot-secrets deployments discussions email-addresses enterprise-custom-properties-for-organizations environments",
        "followers git-ssh-keys gpg-keys interaction-limits issues members merge-queues metadata organization-administration",
        "organization-announcement-banners organization-copilot-seat-management organization-custom-org-roles",
        "organization-custom-properties organization-custom-roles organization-events organization-hooks organization-packages",
        "organization-personal-access-token-requests organization-personal-access-tokens organization-plan organization-projects",
        "organization-secrets organization-self-hosted-runners organization-user-blocking packages pages profile pull-requests",
        "repository-custom-properties repository-hooks repository-projects secret-scanning-alerts secrets security-events",
        "single-file starring statuses team-discussions vulnerability-alerts workflows",
      ]
        .join(" ")
        .split(" ")
        .map((permission) => `permission-${permission}`),
    ].join(" "),
    "private-key",
  ),
} as const satisfies Record<string, PinnedAction>;

/** What a step's `uses:` says for `action`: `owner/repo@<sha>`. */
export function usesOf(action: PinnedAction): string {
  return `${action.action}@${action.sha}`;
}

/** `owner/repo[/path]@<40 hex>`: the only form of `uses:` the renderer accepts. */
export const PINNED_USES = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.\/-]+)?)@([0-9a-f]{40})$/;

/** The table's entry for a `uses:` value, when the value is one of its pins. */
export function pinnedActionOf(uses: string): PinnedAction | undefined {
  return Object.values(ACTIONS as Record<string, PinnedAction>).find((action) => usesOf(action) === uses);
}
