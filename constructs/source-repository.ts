/**
 * An application's GitHub repository, locked down for trunk-based delivery: private, squash-only
 * merges through reviewed pull requests that pass the pipeline's checks, a default-branch ruleset
 * nobody bypasses, and one deployment environment per Slipway environment that only the default
 * branch may deploy to (with required reviewers where asked).
 */
import { ActionsEnvironmentVariable } from "@cdktf/provider-github/lib/actions-environment-variable";
import { ActionsVariable } from "@cdktf/provider-github/lib/actions-variable";
import { BranchDefault } from "@cdktf/provider-github/lib/branch-default";
import { DataGithubUser } from "@cdktf/provider-github/lib/data-github-user";
import { Repository } from "@cdktf/provider-github/lib/repository";
import { RepositoryDependabotSecurityUpdates } from "@cdktf/provider-github/lib/repository-dependabot-security-updates";
import { RepositoryEnvironment } from "@cdktf/provider-github/lib/repository-environment";
import { RepositoryEnvironmentDeploymentPolicy } from "@cdktf/provider-github/lib/repository-environment-deployment-policy";
import { RepositoryFile } from "@cdktf/provider-github/lib/repository-file";
import { RepositoryRuleset, RepositoryRulesetBypassActors } from "@cdktf/provider-github/lib/repository-ruleset";
import { dependable, Fn } from "cdktf";
import { Construct } from "constructs";
import { terraformLiteral } from "../platform/literal";
import * as kinds from "./validators";
import { checkValue, GithubTeamReviewer } from "./validators";
import { invalid, isKnown, SlipwayValidationError } from "./util";

/**
 * Names each reviewer team by its slug next to its id in the environment's Terraform JSON comment
 * (`//`, which Terraform ignores), so readers of the synthesized output, such as the diagram, show
 * `team platform` rather than a bare id.
 */
export function noteReviewerTeams(environment: RepositoryEnvironment, teams: readonly GithubTeamReviewer[]): void {
  if (teams.length > 0) environment.addOverride("//.reviewer_teams", Object.fromEntries(teams.map((t) => [String(t.id), t.slug])));
}

/** Who may see the repository. `public` is not offered: Slipway's repositories are never public. */
export type RepositoryVisibility = "private" | "internal";

/**
 * Which GitHub license turns on secret scanning for a private or internal repository:
 * `"secret-protection"` (GitHub Secret Protection, sold on its own since 2025), `"advanced-security"`
 * (the GitHub Advanced Security bundle, enabled on the repository too), or `"off"` when the owner
 * has neither.
 */
export type SecretScanning = "secret-protection" | "advanced-security" | "off";

/** Who approves deploys to an environment: GitHub user logins and teams of the owner organization. */
export interface EnvironmentReviewers {
  /**
   * GitHub user logins, e.g. `["octocat"]`; each needs read access to the repository.
   * @default [] - no user reviewers
   */
  readonly users?: string[];
  /**
   * Teams of the owner organization, each with its slug (not `org/slug`) and numeric id, e.g.
   * `[{ slug: "release-managers", id: 1234567 }]`; `gh api orgs/<owner>/teams/<slug> --jq .id`
   * prints the id. The id is used as it is: a pull request's plan runs with the job's
   * `GITHUB_TOKEN`, which cannot look teams up. Each team needs read access to the repository.
   * @default [] - no team reviewers
   */
  readonly teams?: GithubTeamReviewer[];
}

/** A GitHub deployment environment, the gate a pipeline's deploy job runs under. */
export interface SourceRepositoryEnvironment {
  /**
   * The environment's name as deploy jobs reference it (`environment: <name>`), e.g. `production`:
   * 1-255 letters, digits, `.`, `-` or `_`, unique within the repository regardless of case.
   */
  readonly name: string;
  /**
   * Who must approve a deploy before the job runs (GitHub "required reviewers"); one of them is
   * enough, and nobody may approve a run they triggered. At most 6 users and teams together.
   * @default no reviewers - deploys run as soon as the job starts (and its wait timer ends)
   */
  readonly reviewers?: EnvironmentReviewers;
  /**
   * Declares that deploys here must be approved: synthesis fails unless `reviewers` names at least
   * one user or team, so a production gate cannot silently disappear.
   * @default false - reviewers are optional
   */
  readonly requireApproval?: boolean;
  /**
   * Minutes a deploy job waits after it is triggered (and approved) before it runs, 0-43200 (30 days).
   * @default 0 - no wait
   */
  readonly waitTimerMinutes?: number;
}

/** Props of {@link SourceRepository}. Only `name` and `owner` are required. */
export interface SourceRepositoryProps {
  /**
   * The repository name: 1-100 letters, digits, `.`, `-` or `_`, not `.` or `..`, e.g. `orders-api`.
   * Renaming replaces the repository (the old one is archived, see `archive_on_destroy`).
   */
  readonly name: string;
  /**
   * The user or organization that owns the repository, e.g. `acme`; must be the owner the stack's
   * GitHub provider is configured with. Gives {@link SourceRepository.fullName}.
   */
  readonly owner: string;
  /**
   * A one-line description shown on GitHub.
   * @default no description
   */
  readonly description?: string;
  /**
   * `"private"`: only people and teams given access see it. `"internal"`: every member of the
   * owner's enterprise may read it (GitHub Enterprise organizations only). `"public"` is refused.
   * @default "private"
   */
  readonly visibility?: RepositoryVisibility;
  /**
   * The default branch, the one the pipeline deploys from: a git branch name such as `main` or
   * `trunk`. Another name than `main` renames the branch the repository was initialised with.
   * @default "main"
   */
  readonly defaultBranch?: string;
  /**
   * Names of the status checks (check runs) every pull request must pass before it merges, as the
   * pipeline reports them, e.g. `["build", "test"]`; the branch must also be up to date with the
   * default branch. With {@link pinStatusChecksToGithubActions} only GitHub Actions can satisfy them.
   * @default [] - no required checks (reviews are still required)
   */
  readonly requiredStatusChecks?: string[];
  /**
   * Approving reviews a pull request needs before it merges, 1-6. Approvals are dismissed when
   * new commits are pushed, and the last pusher cannot approve their own push.
   * @default 1
   */
  readonly requiredApprovals?: number;
  /**
   * Only GitHub Actions (app id 15368) may report the required status checks, so no other app or
   * token with commit-status access can mark a check green. Set false when a check comes from
   * another CI system.
   * @default true
   */
  readonly pinStatusChecksToGithubActions?: boolean;
  /**
   * The deployment environments, in promotion order (e.g. dev, staging, production). Each may be
   * deployed only from the default branch; admins cannot bypass their reviewers.
   * @default [] - no environments
   */
  readonly environments?: SourceRepositoryEnvironment[];
  /**
   * IDs of GitHub Apps that may bypass the default-branch ruleset, e.g. the app Terraform
   * authenticates as, so {@link SourceRepository.addFile} can update files after the ruleset
   * exists. Every other actor, repository admins included, goes through pull requests.
   * @default [] - nobody bypasses the ruleset
   */
  readonly rulesetBypassAppIds?: number[];
  /**
   * Files committed once, when the repository is created, and then left to the team: an app
   * skeleton (see `renderSkeleton`), keyed by relative path, e.g. `{ "Dockerfile": "FROM ..." }`.
   * Later applies never change them (`ignore_changes = all`) and never overwrite a file that is
   * already there (`overwrite_on_create = false`: the apply fails instead). They are committed one
   * after another, before the ruleset starts requiring pull requests. Unlike {@link SourceRepository.addFile}'s
   * managed files, a changed value here changes nothing in existing repositories.
   * @default {} - no skeleton
   */
  readonly skeletonFiles?: Record<string, string>;
  /**
   * Secret scanning with push protection: GitHub scans the history for known credentials and
   * refuses pushes that contain one. Private and internal repositories need a license of the owner
   * organization: `"secret-protection"` for GitHub Secret Protection (only the secret scanning
   * settings are sent), `"advanced-security"` for the GitHub Advanced Security bundle (which must be
   * enabled on the repository first, so `advanced_security` is enabled too). Without either, GitHub
   * refuses the apply (`422 Secret scanning is not available for this repository`): set `"off"`,
   * which policy rule SLW-GH-005 reports.
   * @default "secret-protection"
   */
  readonly secretScanning?: SecretScanning;
}

/** Options of {@link SourceRepository.addFile}. */
export interface RepositoryFileOptions {
  /**
   * The commit message of the commits that create, update or delete the file.
   * @default "Update <path> (managed by Slipway)"
   */
  readonly commitMessage?: string;
}

/** Props of {@link SourceRepository.environmentVariable}. */
export interface EnvironmentVariableProps {
  /** The repository name (not `owner/name`), e.g. a `SourceRepository`'s `name`. */
  readonly repository: string;
  /** The deployment environment's name, e.g. `production`; the environment must exist. */
  readonly environment: string;
  /** The variable name: upper-case letters, digits and `_`, not starting with a digit or `GITHUB_`. */
  readonly name: string;
  /** The value; Actions variables are readable by anyone who can read the repository, so never a secret. */
  readonly value: string;
}

/** GitHub Actions' app id, the `integration_id` of checks that only Actions may report. */
const GITHUB_ACTIONS_APP_ID = 15368;
const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]*$/;
const VARIABLE_ACCEPTED = "upper-case letters, digits and '_', not starting with a digit or GITHUB_, e.g. AWS_REGION";
const ENVIRONMENT_NAME = /^[A-Za-z0-9._-]{1,255}$/;
const ENVIRONMENT_ACCEPTED = "1 to 255 letters, digits, '.', '-' or '_', e.g. production";
const MAX_REVIEWERS = kinds.MAX_ENVIRONMENT_REVIEWERS;
const MAX_WAIT_TIMER_MINUTES = 43200;

function isVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name) && !name.startsWith("GITHUB_");
}

/** A relative path a `github_repository_file` may write: no empty, `.` or `..` segments, not in `.git`. */
function isRepositoryFilePath(path: string): boolean {
  const segments = path.split("/");
  return isKnown(path) && path.length > 0 && !segments.some((s) => s === "" || s === "." || s === "..") && segments[0] !== ".git";
}

/**
 * An application's GitHub repository with the rules trunk-based delivery needs:
 * - private (or internal), Dependabot vulnerability alerts and security updates on, secret
 *   scanning with push protection (see {@link SourceRepositoryProps.secretScanning}), squash merges only (title and body
 *   of the pull request), merged branches deleted, auto-merge off;
 * - a ruleset on the default branch that nobody bypasses (unless {@link SourceRepositoryProps.rulesetBypassAppIds}):
 *   no deletion, no force push, linear history, pull requests with fresh approvals, resolved
 *   threads and the pipeline's status checks on an up-to-date branch;
 * - one deployment environment per Slipway environment, deployable only from the default branch,
 *   with required reviewers admins cannot bypass;
 * - archived rather than deleted when the stack is destroyed.
 */
export class SourceRepository extends Construct {
  /**
   * Publishes one deploy fact (role ARN, cluster, namespace, URL…) as an Actions variable of a
   * deployment environment, from any stack: each `<app>-<env>` stack writes its own facts to its
   * environment, where that environment's deploy job reads them as `${{ vars.NAME }}`. Passing a
   * `SourceRepository`'s `name` from another stack makes a cross-stack reference, so the
   * delivery stack is applied first. Never a secret: variables are readable with the repository.
   * @param scope the construct to create the variable in, e.g. an app-environment stack
   * @param id its construct id, e.g. `DeployRoleArnVariable`
   */
  static environmentVariable(scope: Construct, id: string, props: EnvironmentVariableProps): ActionsEnvironmentVariable {
    const path = scope.node.path ? `${scope.node.path}/${id}` : id;
    if (isKnown(props.name) && !isVariableName(props.name)) {
      throw new SlipwayValidationError(path, "name", props.name, VARIABLE_ACCEPTED);
    }
    if (isKnown(props.environment) && !ENVIRONMENT_NAME.test(props.environment)) {
      throw new SlipwayValidationError(path, "environment", props.environment, ENVIRONMENT_ACCEPTED);
    }
    return new ActionsEnvironmentVariable(scope, id, {
      repository: props.repository,
      environment: props.environment,
      variableName: props.name,
      value: props.value,
    });
  }

  /** The `github_repository` (construct id `Resource`). */
  public readonly repository: Repository;
  /** The repository name (a reference, so users wait for the repository). */
  public readonly name: string;
  /** `owner/name`, as given (a literal), e.g. for OIDC subject claims `repo:<fullName>:environment:<env>`. */
  public readonly fullName: string;
  /** The default branch name, as given (a literal). */
  public readonly defaultBranch: string;
  /** The `github_branch_default` that makes {@link defaultBranch} the default branch. */
  public readonly branchDefault: BranchDefault;
  /** The default-branch `github_repository_ruleset`. */
  public readonly ruleset: RepositoryRuleset;
  /** The deployment environments by name. */
  public readonly environments: Record<string, RepositoryEnvironment>;
  /** The `github_repository_dependabot_security_updates` that lets Dependabot open pull requests fixing vulnerable dependencies. */
  public readonly dependabotSecurityUpdates: RepositoryDependabotSecurityUpdates;
  /** The deployment environments' names, in promotion order. */
  public readonly environmentNames: string[];
  /** The created-once `github_repository_file`s of {@link SourceRepositoryProps.skeletonFiles}, by path. */
  public readonly skeletonFiles: Record<string, RepositoryFile>;

  private readonly variables = new Map<string, ActionsVariable>();
  private readonly files = new Map<string, RepositoryFile>();

  constructor(scope: Construct, id: string, props: SourceRepositoryProps) {
    super(scope, id);

    const visibility = props.visibility ?? "private";
    const defaultBranch = props.defaultBranch ?? "main";
    const requiredChecks = props.requiredStatusChecks ?? [];
    const requiredApprovals = props.requiredApprovals ?? 1;
    const pinChecks = props.pinStatusChecksToGithubActions ?? true;
    const environments = props.environments ?? [];
    const bypassAppIds = props.rulesetBypassAppIds ?? [];
    const secretScanning = props.secretScanning ?? "secret-protection";
    this.validate(props, visibility, defaultBranch, requiredChecks, requiredApprovals, environments, bypassAppIds);
    if (!["secret-protection", "advanced-security", "off"].includes(secretScanning)) {
      invalid(this, "secretScanning", secretScanning, `"secret-protection" (GitHub Secret Protection), "advanced-security" (GitHub Advanced Security) or "off" (neither license)`);
    }
    const enabled = { status: "enabled" };

    this.repository = new Repository(this, "Resource", {
      name: props.name,
      description: props.description,
      visibility,
      vulnerabilityAlerts: true,
      securityAndAnalysis:
        secretScanning === "off"
          ? undefined
          : {
              // With split licensing (Secret Protection) GitHub refuses the advanced_security setting.
              ...(secretScanning === "advanced-security" ? { advancedSecurity: enabled } : {}),
              secretScanning: enabled,
              secretScanningPushProtection: enabled,
            },
      deleteBranchOnMerge: true,
      allowSquashMerge: true,
      allowMergeCommit: false,
      allowRebaseMerge: false,
      allowAutoMerge: false,
      // With "branches must be up to date", authors can update a pull request's branch from GitHub.
      allowUpdateBranch: true,
      squashMergeCommitTitle: "PR_TITLE",
      squashMergeCommitMessage: "PR_BODY",
      // An initial commit creates the default branch, which the ruleset, environments and files need.
      autoInit: true,
      hasIssues: true,
      hasWiki: false,
      hasProjects: false,
      hasDiscussions: false,
      // Destroying the stack (or replacing the repository by renaming it) archives the repository
      // instead of deleting it: the code, its history and its review trail are not recreated by
      // Terraform, and a deleted repository cannot be brought back by an apply.
      archiveOnDestroy: true,
    });
    this.name = this.repository.name;
    this.fullName = `${props.owner}/${props.name}`;
    // Dependabot opens pull requests that fix vulnerable dependencies (it needs the alerts, on above).
    this.dependabotSecurityUpdates = new RepositoryDependabotSecurityUpdates(this, "DependabotSecurityUpdates", {
      repository: this.repository.name,
      enabled: true,
    });
    this.defaultBranch = defaultBranch;

    // github_repository.default_branch is deprecated (it can only name an existing branch after
    // creation). `rename` turns the branch auto_init created into the chosen one; "main" is what
    // auto_init creates (GitHub's default branch name), so it is only set, not renamed onto itself.
    this.branchDefault = new BranchDefault(this, "DefaultBranch", {
      repository: this.repository.name,
      branch: defaultBranch,
      rename: defaultBranch !== "main",
    });

    const bypassActors: RepositoryRulesetBypassActors[] = bypassAppIds.map((appId) => ({
      actorType: "Integration",
      actorId: appId,
      bypassMode: "always",
    }));
    this.ruleset = new RepositoryRuleset(this, "DefaultBranchRuleset", {
      repository: this.repository.name,
      name: "default-branch",
      target: "branch",
      enforcement: "active",
      conditions: { refName: { include: ["~DEFAULT_BRANCH"], exclude: [] } },
      bypassActors: bypassActors.length > 0 ? bypassActors : undefined,
      rules: {
        deletion: true,
        nonFastForward: true,
        requiredLinearHistory: true,
        pullRequest: {
          requiredApprovingReviewCount: requiredApprovals,
          dismissStaleReviewsOnPush: true,
          requireCodeOwnerReview: false,
          requireLastPushApproval: true,
          requiredReviewThreadResolution: true,
        },
        requiredStatusChecks:
          requiredChecks.length > 0
            ? {
                strictRequiredStatusChecksPolicy: true,
                requiredCheck: requiredChecks.map((context) =>
                  pinChecks ? { context, integrationId: GITHUB_ACTIONS_APP_ID } : { context },
                ),
              }
            : undefined,
      },
      // Renaming the initial branch and committing managed files happen before the rules apply.
      dependsOn: [this.branchDefault],
    });

    // One lookup per distinct user, shared by the environments that name it. Teams come with their
    // ids: no lookup, which a pull request's GITHUB_TOKEN could not make.
    const userIds = new Map<string, number>();
    const userId = (login: string): number => {
      const key = login.toLowerCase();
      if (!userIds.has(key)) {
        const user = new DataGithubUser(this, `ReviewerUser-${key}`, { username: login });
        userIds.set(key, Fn.tonumber(user.id));
      }
      return userIds.get(key)!;
    };

    this.environments = {};
    this.environmentNames = environments.map((env) => env.name);
    for (const env of environments) {
      const users = env.reviewers?.users ?? [];
      const teams = env.reviewers?.teams ?? [];
      const hasReviewers = users.length + teams.length > 0;
      const environment = new RepositoryEnvironment(this, `Environment-${env.name}`, {
        repository: this.repository.name,
        environment: env.name,
        canAdminsBypass: false,
        waitTimer: env.waitTimerMinutes,
        preventSelfReview: hasReviewers ? true : undefined,
        reviewers: hasReviewers ? [{ users: users.map(userId), teams: teams.map((t) => t.id) }] : undefined,
        // Only branches matching a custom policy (the default branch, below) may deploy here.
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      });
      new RepositoryEnvironmentDeploymentPolicy(this, `DeploymentBranchPolicy-${env.name}`, {
        repository: this.repository.name,
        environment: environment.environment,
        branchPattern: defaultBranch,
      });
      noteReviewerTeams(environment, teams);
      this.environments[env.name] = environment;
    }

    this.skeletonFiles = this.addSkeletonFiles(props.skeletonFiles ?? {});
  }

  /** The created-once skeleton files, each committed after the previous (one commit at a time on one branch). */
  private addSkeletonFiles(files: Record<string, string>): Record<string, RepositoryFile> {
    const created: Record<string, RepositoryFile> = {};
    let previous: RepositoryFile | undefined;
    for (const path of Object.keys(files).sort()) {
      if (!isRepositoryFilePath(path)) {
        invalid(this, `skeletonFiles[${JSON.stringify(path)}]`, path, "a literal relative file path without empty, '.' or '..' segments and outside .git, e.g. web/app.py");
      }
      if (typeof files[path] !== "string") {
        invalid(this, `skeletonFiles[${JSON.stringify(path)}]`, files[path], "the file's text");
      }
      const file = new RepositoryFile(this, `Skeleton-${path.replace(/\//g, "--")}`, {
        repository: this.repository.name,
        branch: this.defaultBranch,
        file: path,
        // Data, not a Terraform template: `${` and `%{` in the file stay as they are.
        content: terraformLiteral(files[path]),
        overwriteOnCreate: false,
        commitMessage: `Add ${path} from the Slipway app skeleton`,
        commitAuthor: "slipway",
        commitEmail: "slipway@users.noreply.github.com",
        dependsOn: [previous ?? this.branchDefault],
        // The team owns the file from its first commit: no later apply updates or replaces it,
        // whatever changes in the skeleton, the branch name or the commit fields.
        lifecycle: { ignoreChanges: "all" },
      });
      this.ruleset.dependsOn = [...(this.ruleset.dependsOn ?? []), dependable(file)];
      created[path] = file;
      previous = file;
    }
    // A managed file (addFile) at a skeleton path would be rewritten on every apply.
    this.node.addValidation({
      validate: () =>
        [...this.files.keys()].filter((p) => p in created).map((p) => `${this.node.path}: ${JSON.stringify(p)} is both a skeleton file (created once) and a managed file (addFile); keep one`),
    });
    return created;
  }

  /**
   * A repository-level GitHub Actions variable, readable by every workflow as `${{ vars.NAME }}`:
   * for facts that are not secret (region, registry URL, role ARNs). Never use it for a secret.
   * @param name upper-case letters, digits and `_`, not starting with a digit or `GITHUB_`, e.g. `AWS_REGION`
   * @param value the value, e.g. `eu-west-1`
   * @returns the `github_actions_variable` (construct id `Variable-<name>`)
   */
  public addVariable(name: string, value: string): ActionsVariable {
    // Literal: the name is part of the construct id.
    if (!isKnown(name) || !isVariableName(name)) {
      invalid(this, "addVariable.name", name, `a literal name of ${VARIABLE_ACCEPTED}`);
    }
    if (this.variables.has(name)) {
      invalid(this, "addVariable.name", name, "a variable name not already added to this repository");
    }
    const variable = new ActionsVariable(this, `Variable-${name}`, {
      repository: this.repository.name,
      variableName: name,
      value,
    });
    this.variables.set(name, variable);
    return variable;
  }

  /**
   * A file committed to the default branch and kept at `content`, e.g. the generated workflow
   * `.github/workflows/pipeline.yml`; an existing file at that path is taken over. Files added while
   * the stack is built are committed before the default-branch ruleset is created; changing a file
   * afterwards is a direct push the ruleset refuses unless Terraform authenticates as an app in
   * {@link SourceRepositoryProps.rulesetBypassAppIds}.
   * @param path a relative path in the repository, e.g. `.github/workflows/pipeline.yml`
   * @param content the file's whole content
   * @returns the `github_repository_file` (construct id `File-<path>`, `/` written as `--`)
   */
  public addFile(path: string, content: string, options: RepositoryFileOptions = {}): RepositoryFile {
    const segments = path.split("/");
    // Literal: the path is part of the construct id.
    if (!isKnown(path) || path.length === 0 || segments.some((s) => s === "" || s === "." || s === "..") || segments[0] === ".git") {
      invalid(this, "addFile.path", path, "a literal relative file path without empty, '.' or '..' segments and outside .git, e.g. .github/workflows/pipeline.yml");
    }
    if (this.files.has(path)) {
      invalid(this, "addFile.path", path, "a path not already added to this repository");
    }
    const file = new RepositoryFile(this, `File-${path.replace(/\//g, "--")}`, {
      repository: this.repository.name,
      branch: this.defaultBranch,
      file: path,
      content,
      overwriteOnCreate: true,
      commitMessage: options.commitMessage ?? `Update ${path} (managed by Slipway)`,
      commitAuthor: "slipway",
      commitEmail: "slipway@users.noreply.github.com",
      dependsOn: [this.branchDefault],
    });
    this.files.set(path, file);
    // First commit before the ruleset starts requiring pull requests.
    this.ruleset.dependsOn = [...(this.ruleset.dependsOn ?? []), dependable(file)];
    return file;
  }

  private validate(
    props: SourceRepositoryProps,
    visibility: string,
    defaultBranch: string,
    requiredChecks: readonly string[],
    requiredApprovals: number,
    environments: readonly SourceRepositoryEnvironment[],
    bypassAppIds: readonly number[],
  ): void {
    if (isKnown(props.name) && !(/^[A-Za-z0-9._-]{1,100}$/.test(props.name) && props.name !== "." && props.name !== "..")) {
      invalid(this, "name", props.name, "a GitHub repository name: 1 to 100 letters, digits, '.', '-' or '_', not '.' or '..'");
    }
    checkValue(this, "owner", props.owner, kinds.githubLogin);
    if (visibility === "public") {
      invalid(this, "visibility", visibility, `"private" or "internal": Slipway's repositories are never public`);
    }
    if (visibility !== "private" && visibility !== "internal") {
      invalid(this, "visibility", visibility, `"private" or "internal"`);
    }
    checkValue(this, "defaultBranch", defaultBranch, kinds.branchName);

    requiredChecks.forEach((check, i) => {
      if (!isKnown(check)) return;
      if (typeof check !== "string" || check.trim() === "") {
        invalid(this, `requiredStatusChecks[${i}]`, check, "a non-empty status check name, e.g. build");
      }
      if (requiredChecks.indexOf(check) !== i) {
        invalid(this, `requiredStatusChecks[${i}]`, check, `distinct check names; ${JSON.stringify(check)} is already requiredStatusChecks[${requiredChecks.indexOf(check)}]`);
      }
    });

    if (isKnown(requiredApprovals) && !(Number.isInteger(requiredApprovals) && requiredApprovals >= 1 && requiredApprovals <= 6)) {
      invalid(this, "requiredApprovals", requiredApprovals, "a whole number from 1 to 6: every change to the default branch is reviewed");
    }

    bypassAppIds.forEach((appId, i) => {
      if (isKnown(appId) && !(Number.isInteger(appId) && appId > 0)) {
        invalid(this, `rulesetBypassAppIds[${i}]`, appId, "a GitHub App id (a positive whole number)");
      }
    });

    const seen = new Map<string, number>();
    environments.forEach((env, i) => {
      const field = `environments[${i}]`;
      if (!isKnown(env.name) || typeof env.name !== "string" || !ENVIRONMENT_NAME.test(env.name)) {
        invalid(this, `${field}.name`, env.name, `a literal environment name: ${ENVIRONMENT_ACCEPTED}`);
      }
      const key = env.name.toLowerCase();
      if (seen.has(key)) {
        invalid(this, `${field}.name`, env.name, `distinct environment names (GitHub ignores case); ${JSON.stringify(env.name)} is already environments[${seen.get(key)}]`);
      }
      seen.set(key, i);

      const users = env.reviewers?.users ?? [];
      const teams = env.reviewers?.teams ?? [];
      users.forEach((user, j) => {
        if (!isKnown(user)) invalid(this, `${field}.reviewers.users[${j}]`, user, "a literal GitHub user login, e.g. octocat");
        checkValue(this, `${field}.reviewers.users[${j}]`, user, kinds.githubLogin);
        if (users.findIndex((u) => u.toLowerCase() === user.toLowerCase()) !== j) {
          invalid(this, `${field}.reviewers.users[${j}]`, user, "distinct users");
        }
      });
      teams.forEach((team, j) => {
        const at = `${field}.reviewers.teams[${j}]`;
        if (!isKnown(team) || (typeof team === "object" && team !== null && (!isKnown(team.slug) || !isKnown(team.id)))) {
          invalid(this, at, team, "a literal team reviewer { slug, id }, e.g. { slug: \"release-managers\", id: 1234567 }");
        }
        checkValue(this, at, team as unknown, kinds.githubTeamReviewer(props.owner));
        if (teams.findIndex((t) => t.slug.toLowerCase() === team.slug.toLowerCase()) !== j) invalid(this, at, team, "distinct teams");
        if (teams.findIndex((t) => t.id === team.id) !== j) invalid(this, at, team, "distinct team ids: one team, one id");
      });
      if (users.length + teams.length > MAX_REVIEWERS) {
        invalid(this, `${field}.reviewers`, env.reviewers, `at most ${MAX_REVIEWERS} users and teams together (GitHub's limit)`);
      }
      if (env.requireApproval && users.length + teams.length === 0) {
        invalid(this, `${field}.reviewers`, env.reviewers, `at least one user or team: deploys to ${JSON.stringify(env.name)} require approval`);
      }

      const wait = env.waitTimerMinutes;
      if (wait !== undefined && isKnown(wait) && !(Number.isInteger(wait) && wait >= 0 && wait <= MAX_WAIT_TIMER_MINUTES)) {
        invalid(this, `${field}.waitTimerMinutes`, wait, `a whole number of minutes from 0 to ${MAX_WAIT_TIMER_MINUTES} (30 days)`);
      }
    });
  }
}
