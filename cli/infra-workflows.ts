/**
 * `npm run workflows`: the infrastructure repository's own CI, generated from the platform file's
 * stacks so it never falls out of step with them, into `.github/workflows/`:
 *
 * - `slipway-plan.yml` (pull request): `npm ci`, `npm test`, `npm run synth`, then `terraform plan
 *   -out` for every stack with the account's read-only plan role, one matrix job per dependency level
 *   (and, for stacks that reach a cluster, per environment, on its plan runner); every plan uploaded
 *   redacted and priced (its monthly cost change, `plan-summary.js cost`); one comment summarizing
 *   the plans and their cost, updated in place; a plan that destroys a protected
 *   resource fails. A plan that fails only because an upstream stack was never applied (its state
 *   does not exist) is deferred: green, with a line in the comment. No secret is read.
 * - `slipway-apply.yml` (push to the default branch): finds the merged pull request's reviewed plans,
 *   plans every stack again and applies only a plan that makes exactly the reviewed changes, in
 *   dependency order, one apply at a time per stack, each under its GitHub environment with that
 *   environment's apply role, on GitHub-hosted or deploy runners. A deferred stack is planned once the
 *   stacks it reads are applied, shown in the job summary, and applied by a `first-apply-…` job
 *   after a reviewer approved, only if a fresh plan matches the one shown. Bootstrap stacks are not
 *   applied here.
 * - `slipway-drift.yml` (nightly): `terraform plan -detailed-exitcode` per stack with the plan role, in
 *   the `slipway-drift` environment; drift opens or updates one issue per stack, no drift closes it.
 *
 * docs/trust-model.md says who can do what, from where, with which identity.
 *
 * `--check` writes nothing and exits 1 listing every file that differs from what it would write.
 * The plan JSON logic (summary, protected resources, comparison, drift issues) lives in
 * `scripts/plan-summary.js`, plain Node, which the jobs run without `npm ci`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { describeStale, StaleFile, staleGeneratedFiles } from "./generated-files";
import { App, TerraformProvider } from "cdktf";
import { ACTIONS, usesOf } from "../constructs/actions";
import { ciRunnerProjectName, codebuildRunnerLabel } from "../constructs/ci-runners";
import { SlipwayValidationError } from "../constructs/util";
import { Job, MAX_MATRIX_COMBINATIONS, MatrixValue, renderWorkflow, Step, Workflow, WORKFLOW_HEADER } from "../constructs/workflow";
import { EnvironmentConfig, loadPlatformFile, PlatformConfig, PlatformFileError } from "../platform/model";
import { COMMENT_MARKER, DRIFT_LABEL } from "../scripts/plan-summary";
import { DNS_ACCESS_VARIABLE } from "../stacks/app-environment-stack";
import { AppEnvironmentStack, applyRoleArn, BootstrapStack, buildPlatform, ciIdentities, DRIFT_ENVIRONMENT, FIRST_APPLY_ENVIRONMENT, firstApplyReviewers, PlatformStack, SlipwayStack } from "../stacks";

/** The actions the workflows use (`uses:` values), pinned to commits in the table of constructs/actions.ts. */
export const INFRA_ACTIONS = {
  checkout: usesOf(ACTIONS.checkout),
  configureAwsCredentials: usesOf(ACTIONS.configureAwsCredentials),
  setupNode: usesOf(ACTIONS.setupNode),
  setupTerraform: usesOf(ACTIONS.setupTerraform),
  uploadArtifact: usesOf(ACTIONS.uploadArtifact),
  downloadArtifact: usesOf(ACTIONS.downloadArtifact),
  createGithubAppToken: usesOf(ACTIONS.createGithubAppToken),
  cache: usesOf(ACTIONS.cache),
} as const;

/** The Terraform CLI the jobs install (the version the offline checks here run). */
export const TERRAFORM_VERSION = "1.11.4";
/** The Node.js the jobs install (package.json's engines). */
export const NODE_VERSION = "20";

/** The generated files, relative to the output folder (`.github/workflows` by default). */
export const INFRA_WORKFLOW_FILES = {
  plan: "slipway-plan.yml",
  apply: "slipway-apply.yml",
  drift: "slipway-drift.yml",
} as const;

export const DEFAULT_WORKFLOWS_DIR = path.join(".github", "workflows");

/**
 * The GitHub Actions variables and secrets the workflows read; none holds a long-lived cloud key, and
 * no pull-request job reads any secret. The AWS roles need no setting: their ARNs follow the
 * bootstrap stack's naming rule and are written into the workflows. Set these before the first run
 * (see docs/infrastructure-ci.md).
 */
export const INFRA_SETTINGS = {
  /** Variable and secret of the `slipway-drift` GitHub environment: the read-only GitHub App the drift check uses. */
  driftGithubAppIdVariable: "SLIPWAY_DRIFT_GITHUB_APP_ID",
  driftGithubAppKeySecret: "SLIPWAY_DRIFT_GITHUB_APP_PRIVATE_KEY",
  /** Variable (unless the platform file sets `github.appId`) and environment secret: the GitHub App apply uses. */
  applyGithubAppIdVariable: "SLIPWAY_GITHUB_APP_ID",
  applyGithubAppKeySecret: "SLIPWAY_GITHUB_APP_PRIVATE_KEY",
  /** The pull-request label that lets a plan destroy protected resources. */
  allowDestroyLabel: "slipway:allow-destroy",
  /** The label of drift issues. */
  driftLabel: DRIFT_LABEL,
} as const;

/** One stack as the CI sees it. */
export interface InfraStack {
  readonly name: string;
  /** A `bootstrap-<account>` stack: planned and checked for drift, applied only from a workstation. */
  readonly bootstrap: boolean;
  /** Stacks whose state this one reads (cdktf cross-stack references), which apply first. */
  readonly dependsOn: readonly string[];
  /** 0 for a stack without dependencies, else one more than its deepest dependency. */
  readonly level: number;
  readonly production: boolean;
  /** The deployment environment: its GitHub environment gates apply, its roles and region are used. */
  readonly environment: string;
  readonly region: string;
  /** The read-only role its plans and drift checks assume (the account's bootstrap plan role). */
  readonly planRole: string;
  /** The role its applies assume: the environment's apply role. */
  readonly applyRole: string;
  /** Terraform providers the stack configures, e.g. `["aws", "github", "kubernetes"]`. */
  readonly providers: readonly string[];
  /**
   * The runner of its pull-request plans and drift checks: for a stack with Kubernetes resources,
   * whose provider must reach the cluster's private API, the environment's ephemeral CodeBuild plan
   * runner (`<platform>-<env>-plan-runner`, used by nothing that writes); else GitHub-hosted.
   */
  readonly planRunsOn: string;
  /** The runner of its applies: the environment's deploy runner (`<platform>-<env>-deploy-runner`) or GitHub-hosted. */
  readonly applyRunsOn: string;
}

/** The GitHub-hosted runner of every job that needs no private network. */
export const GITHUB_HOSTED_RUNNER = "ubuntu-24.04";

/** The CodeBuild runner projects of an environment (built by the CiRunners construct). */
export function runnerProjects(platform: PlatformConfig, environment: string): { plan: string; deploy: string } {
  const prefix = `${platform.name}-${environment}`;
  return { plan: ciRunnerProjectName(prefix, "plan"), deploy: ciRunnerProjectName(prefix, "deploy") };
}

/** Options of the generated workflows. */
export interface InfraWorkflowOptions {
  /** This repository's default branch: merges to it apply. @default the platform file's `github.defaultBranch` */
  readonly defaultBranch?: string;
  /** The platform file the jobs synthesize, relative to the repository root. @default the platform's file */
  readonly platformFile?: string;
  /** When the drift check runs (cron, UTC). @default "17 4 * * *" */
  readonly driftCron?: string;
}

const DEFAULT_DRIFT_CRON = "17 4 * * *";
const CDKTF_OUT_ARTIFACT = "cdktf-out";
/** The pull request's stack selection (`slipway affected --json`): read by the plan summary and, on merge, by apply. */
export const AFFECTED_ARTIFACT = "affected";
/**
 * How long reviewed plans are kept: long enough for a pull request to be reviewed and merged (its
 * apply downloads them), short enough that a stale plan is never what is compared; a pull request
 * merged later gets "no reviewed plan" and a re-run of its plan. Redacted, they hold no secret.
 */
export const PLAN_RETENTION_DAYS = 14;
/** Drift results only feed the report job and the issue, which keeps the text. */
export const DRIFT_RETENTION_DAYS = 7;

/**
 * Every stack of the platform with what its CI jobs need: dependencies (cdktf resolves cross-stack
 * references as `npm run synth` does, without writing anything), dependency level, deployment
 * environment, region, providers and runners. In `buildPlatform`'s order (dependency order).
 */
export function infraStacks(platform: PlatformConfig): InfraStack[] {
  // The App makes its output folder on construction; nothing is synthesized into it.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-infra-"));
  try {
    const built = buildPlatform(new App({ outdir }), platform);
    built.stacks.forEach((stack) => stack.prepareStack());
    const levels = new Map<string, number>();
    return built.stacks.map((stack) => {
      const dependsOn = stack.dependencies.map((d) => d.node.id);
      const level = dependsOn.length === 0 ? 0 : 1 + Math.max(...dependsOn.map((d) => levels.get(d) ?? 0));
      levels.set(stack.stackName, level);
      const environment = environmentOf(stack, platform);
      const providers = [...new Set(stack.node.findAll().filter(TerraformProvider.isTerraformProvider).map((p) => p.terraformResourceType))].sort();
      const inVpc = providers.includes("kubernetes");
      const runners = runnerProjects(platform, environment.name);
      return {
        name: stack.stackName,
        bootstrap: stack instanceof BootstrapStack,
        dependsOn,
        level,
        production: stack.production,
        environment: environment.name,
        region: stack instanceof BootstrapStack ? stack.region : environment.region,
        planRole: ciIdentities(platform, environment.account).planRoleArn,
        applyRole: applyRoleArn(platform, environment),
        providers,
        planRunsOn: inVpc ? codebuildRunnerLabel(runners.plan) : GITHUB_HOSTED_RUNNER,
        applyRunsOn: inVpc ? codebuildRunnerLabel(runners.deploy) : GITHUB_HOSTED_RUNNER,
      };
    });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The deployment environment a stack belongs to: its own for `platform-<env>` and `<app>-<env>`;
 * for `<app>-delivery`, the environment of the platform stack it depends on (the registry's, the
 * last in promotion order); for `bootstrap-<account>`, the account's last environment.
 */
function environmentOf(stack: SlipwayStack, platform: PlatformConfig): EnvironmentConfig {
  if (stack instanceof BootstrapStack) return platform.environments.filter((e) => e.account === stack.account).pop()!;
  if (stack instanceof PlatformStack) return stack.environment;
  if (stack instanceof AppEnvironmentStack) return stack.deployment.environment;
  const platformDependencies = stack.dependencies.filter((d): d is PlatformStack => d instanceof PlatformStack);
  return platformDependencies.length === 1 ? platformDependencies[0].environment : platform.environments[platform.environments.length - 1];
}

/** The three workflows as typed models, by file name; `stacks` are {@link infraStacks} of the platform. */
export function infraWorkflowModels(platform: PlatformConfig, options: InfraWorkflowOptions = {}, stacks: InfraStack[] = infraStacks(platform)): Record<string, Workflow> {
  const settings = resolveOptions(platform, options);
  return {
    [INFRA_WORKFLOW_FILES.plan]: planWorkflow(platform, stacks, settings),
    [INFRA_WORKFLOW_FILES.apply]: applyWorkflow(platform, stacks, settings),
    [INFRA_WORKFLOW_FILES.drift]: driftWorkflow(platform, stacks, settings),
  };
}

/** The three workflows as GitHub Actions YAML, by file name; `stacks` are {@link infraStacks} of the platform. */
export function infraWorkflows(platform: PlatformConfig, options: InfraWorkflowOptions = {}, stacks: InfraStack[] = infraStacks(platform)): Record<string, string> {
  const comment = ["Regenerate with `npm run workflows` after changing the platform file; a test fails while this file is stale."];
  return Object.fromEntries(Object.entries(infraWorkflowModels(platform, options, stacks)).map(([file, model]) => [file, renderWorkflow(model, { comment })]));
}

interface Settings {
  readonly defaultBranch: string;
  readonly platformFile: string;
  readonly driftCron: string;
}

function resolveOptions(platform: PlatformConfig, options: InfraWorkflowOptions): Settings {
  const defaultBranch = options.defaultBranch ?? platform.github.defaultBranch;
  // Both end up inside shell scripts and jq filters: keep them to characters that need no quoting there.
  if (!/^[A-Za-z0-9._/-]+$/.test(defaultBranch)) throw new Error(`infra workflows: default branch ${JSON.stringify(defaultBranch)} must be a branch name such as main`);
  // The jobs run at the repository root: a path given from elsewhere is made relative to here.
  const given = options.platformFile ?? platform.file;
  const platformFile = (path.isAbsolute(given) ? path.relative(process.cwd(), given) : given).split(path.sep).join("/");
  if (!/^[A-Za-z0-9._/-]+$/.test(platformFile)) throw new Error(`infra workflows: platform file ${JSON.stringify(platformFile)} must be a relative path of letters, digits, '.', '_', '-' and '/'`);
  // The jobs check out this repository and run from its root: a file outside it is not there.
  if (platformFile.split("/").includes("..")) {
    throw new Error(`infra workflows: platform file ${JSON.stringify(platformFile)} is outside the repository, where CI's checkout cannot find it: move it into the repository (run npm run workflows from the repository's root)`);
  }
  const driftCron = options.driftCron ?? DEFAULT_DRIFT_CRON;
  if (driftCron.trim().split(/\s+/).length !== 5) throw new Error(`infra workflows: drift schedule ${JSON.stringify(driftCron)} must be a five-field cron expression such as ${DEFAULT_DRIFT_CRON}`);
  return { defaultBranch, platformFile, driftCron };
}

// ---------------------------------------------------------------------------------------------
// Shared steps and jobs

const checkout: Step = { name: "Check out", uses: INFRA_ACTIONS.checkout, with: { "persist-credentials": false } };
const setupNode: Step = { name: "Set up Node.js", uses: INFRA_ACTIONS.setupNode, with: { "node-version": NODE_VERSION } };
const setupTerraform: Step = {
  name: "Set up Terraform",
  uses: INFRA_ACTIONS.setupTerraform,
  // No wrapper: it would mix Terraform's exit code and output handling into the scripts below.
  with: { terraform_version: TERRAFORM_VERSION, terraform_wrapper: false },
};
const downloadStacks: Step = { name: "Download the synthesized stacks", uses: INFRA_ACTIONS.downloadArtifact, with: { name: CDKTF_OUT_ARTIFACT, path: "cdktf.out" } };
const stackDir = "cdktf.out/stacks/${{ matrix.stack }}";
const terraformInit: Step = { name: "terraform init", workingDirectory: stackDir, run: "terraform init -input=false -no-color" };
/** The environment every Terraform job runs with. */
const terraformEnv = { STACK: "${{ matrix.stack }}", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };

/**
 * The environment of jobs that apply (and of the plans they apply): a zone in another account has
 * the dns provider assume the zone account's DNS role that changes records; plans and drift keep
 * the read-only default.
 */
function applyEnv(platform: PlatformConfig): Record<string, string> {
  return platform.environments.some((e) => e.dns.crossAccount) ? { ...terraformEnv, [`TF_VAR_${DNS_ACCESS_VARIABLE}`]: "write" } : terraformEnv;
}
const runUrl = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";

/** `npm ci`, optionally `npm test`, `npm run synth`, and the synthesized stacks as an artifact. */
function synthJob(settings: Settings, options: { test: boolean; localState?: string; needs?: string[] }): Job {
  const synth = settings.platformFile === "platform.yaml" ? "npm run synth" : `npm run synth -- --platform ${settings.platformFile}`;
  const steps: Step[] = [
    checkout,
    { ...setupNode, with: { ...setupNode.with, cache: "npm" } },
    { name: "npm ci", run: "npm ci --no-audit --no-fund" },
    ...(options.test ? [{ name: "npm test", run: "npm test" }] : []),
    { name: "npm run synth", run: synth },
    ...(options.localState ? [localStateNotice(options.localState)] : []),
    {
      name: "Upload the synthesized stacks",
      uses: INFRA_ACTIONS.uploadArtifact,
      with: { name: CDKTF_OUT_ARTIFACT, path: "cdktf.out", "if-no-files-found": "error", "retention-days": 7 },
    },
  ];
  return { name: "synth", runsOn: GITHUB_HOSTED_RUNNER, needs: options.needs, permissions: { contents: "read" }, timeoutMinutes: 30, steps };
}

/**
 * With the local backend, state lives in files on whichever machine ran Terraform: a runner's are
 * gone when its job ends. CI would plan against no state and apply would lose it, so the Terraform
 * jobs are generated but switched off (`if: false`), and this step says so on every run as a
 * warning annotation, with what to do. Tests and synth still run, so the check stays meaningful.
 */
function localStateNotice(platformFile: string): Step {
  return {
    name: "No shared Terraform state: Terraform jobs skipped",
    run: `echo "::warning title=No shared Terraform state::${platformFile} keeps Terraform state in local files (backend: local), which vanish with the runner when the job ends, so the Terraform jobs of this workflow are switched off: nothing is planned, applied or checked for drift. Set backend to s3 or remote in ${platformFile}, run npm run workflows and commit the result."`,
  };
}

/** The condition of a job that runs Terraform: off with the local backend (see {@link localStateNotice}). */
const terraformJobIf = (local: boolean, condition?: string): string | undefined => (local ? "false" : condition);

function awsCredentials(sessionName: string): Step {
  return {
    name: "AWS credentials (OIDC)",
    uses: INFRA_ACTIONS.configureAwsCredentials,
    // The role's ARN follows the bootstrap stack's naming rule: data in the matrix, no variable to set.
    with: { "role-to-assume": "${{ matrix.role }}", "aws-region": "${{ matrix.region }}", "role-session-name": sessionName },
  };
}

function githubAppToken(platform: PlatformConfig, appId: string, keySecret: string, permissions: Record<string, string> = {}): Step {
  return {
    name: "GitHub App token for the GitHub provider",
    id: "github-app",
    if: "matrix.github",
    uses: INFRA_ACTIONS.createGithubAppToken,
    with: { "app-id": appId, "private-key": `\${{ secrets.${keySecret} }}`, owner: platform.github.owner, ...permissions },
  };
}

/** `GITHUB_TOKEN` for the GitHub provider, empty for stacks without it. */
const githubProviderEnv = { GITHUB_TOKEN: "${{ steps.github-app.outputs.token }}" };

const PLUGIN_CACHE_KEY = "terraform-providers-${{ runner.os }}-${{ runner.arch }}-";

/**
 * Terraform's provider plugin cache, kept by actions/cache, so a plan or drift job does not download
 * the providers (hundreds of MB) again. Keyed on the lock files that pin them: package-lock.json (the
 * prebuilt provider packages decide the versions in every stack) and any committed
 * `.terraform.lock.hcl`. A synthesized stack has no lock file in CI, and Terraform uses a cached
 * provider only when a lock file lists its checksum unless told it may: the cache is written only
 * by this repository's own plan and drift jobs (a pull request's entries stay in its own scope; the
 * default branch's come from the nightly drift run), and apply jobs never use it.
 */
const pluginCacheSteps: Step[] = [
  {
    name: "Terraform provider cache folder",
    run: [
      'mkdir -p "$RUNNER_TEMP/terraform-plugin-cache"',
      'echo "TF_PLUGIN_CACHE_DIR=$RUNNER_TEMP/terraform-plugin-cache" >> "$GITHUB_ENV"',
      'echo "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=true" >> "$GITHUB_ENV"',
    ].join("\n"),
  },
  {
    name: "Cache Terraform providers",
    uses: INFRA_ACTIONS.cache,
    with: { path: "${{ runner.temp }}/terraform-plugin-cache", key: `${PLUGIN_CACHE_KEY}\${{ hashFiles('package-lock.json', 'cdktf.out/stacks/*/.terraform.lock.hcl') }}`, "restore-keys": PLUGIN_CACHE_KEY },
  },
];

/** Stacks that share one matrix job. */
export interface StackGroup {
  readonly key: string;
  /** 1-based part of the group, when it has more stacks than one matrix takes. */
  readonly part: number;
  readonly parts: number;
  readonly stacks: InfraStack[];
}

/** Stacks grouped by `key`, groups in first-seen order, each cut into parts a matrix accepts ({@link MAX_MATRIX_COMBINATIONS}). */
export function groupStacks(stacks: readonly InfraStack[], key: (s: InfraStack) => string): StackGroup[] {
  const groups = new Map<string, InfraStack[]>();
  for (const stack of stacks) groups.set(key(stack), [...(groups.get(key(stack)) ?? []), stack]);
  return [...groups].flatMap(([k, members]) => {
    const parts = Math.ceil(members.length / MAX_MATRIX_COMBINATIONS);
    return Array.from({ length: parts }, (_, i) => ({ key: k, part: i + 1, parts, stacks: members.slice(i * MAX_MATRIX_COMBINATIONS, (i + 1) * MAX_MATRIX_COMBINATIONS) }));
  });
}

/**
 * Matrix jobs for `stacks`: grouped by `groupKey` after sorting by level (so every job comes after
 * the jobs it needs), each job needing exactly the jobs that hold its stacks' direct dependencies
 * (dependencies outside `stacks` are not waited for).
 */
export function jobsInDependencyOrder(
  stacks: readonly InfraStack[],
  groupKey: (s: InfraStack) => string,
  jobId: (g: StackGroup) => string,
): Array<{ id: string; stacks: InfraStack[]; needs: string[] }> {
  const ordered = [...stacks].sort((a, b) => a.level - b.level);
  const jobOf = new Map<string, string>();
  return groupStacks(ordered, groupKey).map((g) => {
    const id = jobId(g);
    g.stacks.forEach((s) => jobOf.set(s.name, id));
    const needs = [...new Set(g.stacks.flatMap((s) => s.dependsOn.flatMap((d) => jobOf.get(d) ?? [])))];
    return { id, stacks: g.stacks, needs };
  });
}

/**
 * {@link jobsInDependencyOrder} where every job also has one runner, so `runs-on` is a literal:
 * jobs are `<prefix><base>` (`-vpc` added when GitHub-hosted and VPC stacks share a base).
 */
function jobsPerRunner(
  stacks: readonly InfraStack[],
  base: (s: InfraStack) => string,
  runner: (s: InfraStack) => string,
  prefix: string,
): Array<{ id: string; stacks: InfraStack[]; needs: string[]; runsOn: string }> {
  const runnersOfBase = new Map<string, Set<string>>();
  for (const s of stacks) runnersOfBase.set(base(s), (runnersOfBase.get(base(s)) ?? new Set<string>()).add(runner(s)));
  return jobsInDependencyOrder(
    stacks,
    (s) => `${base(s)}\n${runner(s)}`,
    (g) => {
      const [b, r] = g.key.split("\n");
      const shared = runnersOfBase.get(b)!.size > 1 && r !== GITHUB_HOSTED_RUNNER;
      return `${prefix}${b}${shared ? "-vpc" : ""}${partSuffix(g)}`;
    },
  ).map((job) => ({ ...job, runsOn: runner(job.stacks[0]) }));
}

/**
 * A stack's matrix entry. `refresh` is false for stacks with the GitHub provider in pull-request
 * plans and their applies: pull requests get no GitHub App key, so those plans compare the
 * configuration with the state recorded at the last apply, and the apply plans the same way so the
 * comparison holds; the nightly drift check refreshes everything.
 */
function matrixEntry(stack: InfraStack, role: string, refresh: boolean): Record<string, MatrixValue> {
  return { stack: stack.name, region: stack.region, role, github: stack.providers.includes("github"), refresh: refresh ? "true" : "false" };
}

const usesGithub = (s: InfraStack) => s.providers.includes("github");
const partSuffix = (g: StackGroup) => (g.parts > 1 ? `-part-${g.part}` : "");
/** Base of a job id: stacks that reach a cluster run per environment, on that environment's runner. */
const perRunnerBase = (prefix: string) => (s: InfraStack) => (s.providers.includes("kubernetes") ? `${prefix}${prefix ? "-" : ""}${s.environment}` : prefix);

/**
 * `terraform show -json` of `$RUNNER_TEMP/<plan>` redacted into `OUT` (`scripts/plan-summary.js
 * redact`): the unredacted JSON stays in the runner's temporary folder, never in an artifact.
 */
const redactStep = (name: string, raw: string, out: string): Step => ({
  name,
  run: `node scripts/plan-summary.js redact "$RUNNER_TEMP/${raw}" "${out}"`,
});

// ---------------------------------------------------------------------------------------------
// Pull request: test, synthesize, select the stacks the change affects, plan them read-only, summarize

/** The environment variable of the select step that holds plan job `id`'s whole matrix (JSON). */
export const matrixVariable = (id: string): string => `MATRIX_${id.toUpperCase().replace(/-/g, "_")}`;

/**
 * `slipway affected` between the pull request and its merge base: synthesizes both (the base in a
 * `git worktree`, its `npm ci` from the same npm cache) and outputs, per plan job, the matrix of
 * its selected stacks (`{"include":[…]}`), or nothing when it has none. Each plan job's whole
 * matrix is data in the step's environment; `jq` keeps the selected entries. The selection is
 * uploaded for the plan summary and for the merge's apply. When the base cannot be synthesized (no
 * platform file there, or its synth fails), every stack is planned.
 */
function selectJob(settings: Settings, planJobs: ReadonlyArray<{ id: string; stacks: InfraStack[] }>, condition: string | undefined): Job {
  const synthArgs = settings.platformFile === "platform.yaml" ? "" : ' --platform "$PLATFORM"';
  return {
    name: "which stacks to plan",
    runsOn: GITHUB_HOSTED_RUNNER,
    if: condition,
    permissions: { contents: "read" },
    timeoutMinutes: 30,
    outputs: Object.fromEntries(planJobs.map((j) => [j.id, `\${{ steps.select.outputs.${j.id} }}`])),
    steps: [
      // The whole history: the merge base and the files changed since.
      { ...checkout, with: { ...checkout.with, "fetch-depth": 0 } },
      { ...setupNode, with: { ...setupNode.with, cache: "npm" } },
      { name: "npm ci", run: "npm ci --no-audit --no-fund" },
      { name: "npm run synth", env: { PLATFORM: settings.platformFile }, run: `npm run synth --${synthArgs} --quiet` },
      {
        name: "Synthesize the base",
        env: { BASE_REF: "${{ github.base_ref }}", PLATFORM: settings.platformFile },
        run: [
          'if ! base=$(git merge-base HEAD "origin/$BASE_REF"); then',
          '  echo "::warning title=No merge base::no common commit with $BASE_REF: every stack is planned"',
          "  exit 0",
          "fi",
          'git diff --name-only "$base" HEAD > "$RUNNER_TEMP/changed-files.txt"',
          // Indented: a file name is never read as a workflow command.
          'echo "Files changed since $base:"; sed "s/^/  /" "$RUNNER_TEMP/changed-files.txt"',
          'git worktree add --detach "$RUNNER_TEMP/base" "$base"',
          'cd "$RUNNER_TEMP/base"',
          'if [ ! -f "$PLATFORM" ]; then echo "::notice title=No base to compare with::$PLATFORM is not on $BASE_REF: every stack is planned"; exit 0; fi',
          'if ! { npm ci --no-audit --no-fund && npm run synth -- --platform "$PLATFORM" --out "$RUNNER_TEMP/base.out" --quiet; }; then',
          '  echo "::warning title=Base not synthesized::$BASE_REF ($base) does not synthesize: every stack is planned"',
          '  rm -rf "$RUNNER_TEMP/base.out"',
          "fi",
        ].join("\n"),
      },
      {
        name: "Select the stacks to plan",
        id: "select",
        env: { PLATFORM: settings.platformFile, ...Object.fromEntries(planJobs.map((j) => [matrixVariable(j.id), JSON.stringify(j.stacks.map((s) => matrixEntry(s, s.planRole, !usesGithub(s))))])) },
        run: [
          'args=(affected --head cdktf.out --platform "$PLATFORM" --head-platform "$PLATFORM" --json)',
          'if [ -f "$RUNNER_TEMP/changed-files.txt" ]; then args+=(--changed-files "$RUNNER_TEMP/changed-files.txt"); fi',
          'if [ -f "$RUNNER_TEMP/base.out/manifest.json" ]; then args+=(--base "$RUNNER_TEMP/base.out"); fi',
          'if [ -f "$RUNNER_TEMP/base/$PLATFORM" ]; then args+=(--base-platform "$RUNNER_TEMP/base/$PLATFORM"); fi',
          'node scripts/slipway.js "${args[@]}" > affected.json',
          `jq -r '"\\(.counts.plan) stacks to plan, \\(.counts.skipped) unchanged\\(if .all then " (everything: \\(.why))" else "" end):", (.plan[] | "  \\(.stack): \\(.why)"), (if .counts.removed > 0 then "removed, not planned: \\(.removed | join(", "))" else empty end)' affected.json`,
          "planned=$(jq -c '[.plan[].stack]' affected.json)",
          // A job's entries for the selected stacks as a matrix, or nothing: GitHub refuses an empty matrix.
          `matrix() { jq -c --argjson planned "$planned" '[.[] | select(.stack | IN($planned[]))] | if length == 0 then empty else {include: .} end' <<< "$1"; }`,
          ...planJobs.map((j) => `echo "${j.id}=$(matrix "$${matrixVariable(j.id)}")" >> "$GITHUB_OUTPUT"`),
        ].join("\n"),
      },
      {
        name: "Upload the selection",
        uses: INFRA_ACTIONS.uploadArtifact,
        with: { name: AFFECTED_ARTIFACT, path: "affected.json", "if-no-files-found": "error", "retention-days": PLAN_RETENTION_DAYS },
      },
    ],
  };
}

function planWorkflow(platform: PlatformConfig, stacks: InfraStack[], settings: Settings): Workflow {
  const local = platform.backend.type === "local";
  const sameRepository = "github.event.pull_request.head.repo.full_name == github.repository";
  const planJobs = jobsPerRunner(stacks, (s) => perRunnerBase(`level-${s.level}`)(s), (s) => s.planRunsOn, "plan-");
  const jobs: Record<string, Job> = {
    synth: synthJob(settings, { test: true, localState: local ? settings.platformFile : undefined }),
    select: selectJob(settings, planJobs, terraformJobIf(local, sameRepository)),
  };
  // The plan runners exist once their platform-<env> stack is applied (with its GitHub connection
  // authorized). A job naming a runner that does not exist would wait in the queue for a day, so
  // this job asks CodeBuild (the plan role may read projects) which runner projects have their
  // webhook; an environment's stacks plan on GitHub-hosted runners until then. There a stack that
  // reads platform-<env>'s state is deferred (the state is missing), and any other plan fails.
  const vpcEnvironments = [...new Map(stacks.filter((s) => s.planRunsOn !== GITHUB_HOSTED_RUNNER).map((s) => [s.environment, s])).values()];
  if (vpcEnvironments.length > 0) {
    jobs.runners = {
      name: "which plan runners exist",
      runsOn: GITHUB_HOSTED_RUNNER,
      if: terraformJobIf(local, sameRepository),
      permissions: { contents: "read", idToken: "write" },
      timeoutMinutes: 10,
      outputs: Object.fromEntries(vpcEnvironments.map((s) => [s.environment, `\${{ steps.runner-${s.environment}.outputs.available }}`])),
      steps: vpcEnvironments.flatMap((s): Step[] => [
        {
          name: `AWS credentials (OIDC) of ${s.environment}`,
          uses: INFRA_ACTIONS.configureAwsCredentials,
          with: { "role-to-assume": s.planRole, "aws-region": s.region, "role-session-name": "slipway-plan" },
        },
        {
          name: `Is ${s.environment}'s plan runner there?`,
          id: `runner-${s.environment}`,
          env: { PROJECT: runnerProjects(platform, s.environment).plan, STACK: `platform-${s.environment}` },
          run: [
            `found=$(aws codebuild batch-get-projects --names "$PROJECT" --query 'length(projects[?webhook])' --output text)`,
            'if [ "$found" = 1 ]; then echo "available=true" >> "$GITHUB_OUTPUT"; exit 0; fi',
            'echo "available=false" >> "$GITHUB_OUTPUT"',
            'echo "::notice title=No plan runner yet::$PROJECT has no webhook yet ($STACK not applied, or its GitHub connection not authorized): its stacks plan on GitHub-hosted runners, where those that read $STACK\'s state wait for its first apply."',
          ].join("\n"),
        },
      ]),
    };
  }
  /** runs-on of a plan job: its environment's plan runner once that exists, else GitHub-hosted. */
  const planRunner = (members: readonly InfraStack[], runsOn: string): string => {
    if (runsOn === GITHUB_HOSTED_RUNNER) return runsOn;
    const project = runnerProjects(platform, members[0].environment).plan;
    return `\${{ needs.runners.outputs.${members[0].environment} == 'true' && format('codebuild-${project}-{0}-{1}', github.run_id, github.run_attempt) || '${GITHUB_HOSTED_RUNNER}' }}`;
  };
  for (const { id, stacks: members, needs, runsOn } of planJobs) {
    jobs[id] = {
      name: "plan ${{ matrix.stack }}",
      // GitHub-hosted, or the environment's ephemeral plan runner: never a runner apply or deploy jobs use.
      runsOn: planRunner(members, runsOn),
      needs: ["synth", "select", ...(runsOn === GITHUB_HOSTED_RUNNER ? [] : ["runners"]), ...needs],
      // Only when the select job chose some of its stacks (GitHub refuses an empty matrix); after
      // earlier plan jobs that had none. Pull requests from forks get no OIDC token; they are tested
      // and synthesized only.
      if: terraformJobIf(local, `\${{ !cancelled() && !contains(needs.*.result, 'failure') && needs.select.outputs.${id} != '' && ${sameRepository} }}`),
      permissions: { contents: "read", idToken: "write" },
      strategy: { failFast: false, matrix: `\${{ fromJSON(needs.select.outputs.${id}) }}` },
      timeoutMinutes: 30,
      env: terraformEnv,
      steps: [
        checkout,
        setupNode,
        downloadStacks,
        setupTerraform,
        awsCredentials("slipway-plan"),
        ...pluginCacheSteps,
        terraformInit,
        {
          name: "terraform plan",
          id: "plan",
          workingDirectory: stackDir,
          // The job's own token (this repository, read-only, gone with the job) for the GitHub
          // provider's lookups; no GitHub App key is readable here.
          env: {
            GITHUB_TOKEN: "${{ github.token }}",
            REFRESH: "${{ matrix.refresh }}",
            ...(runsOn === GITHUB_HOSTED_RUNNER ? {} : { RUNNER_AVAILABLE: `\${{ needs.runners.outputs.${members[0].environment} }}`, RUNNER_OF: `platform-${members[0].environment}` }),
          },
          // No lock: a pull request's plan writes nothing to the state bucket and never holds up an apply.
          // -json gives the errors as data: a plan that fails only because an upstream stack's state
          // does not exist yet (never applied) is deferred (deferred.json instead of a plan, job
          // green); any other error fails the job. Nothing is planned against placeholder values.
          run: [
            "status=0",
            'terraform plan -json -input=false -lock=false -refresh="$REFRESH" -out="$RUNNER_TEMP/tfplan" > "$RUNNER_TEMP/plan.log" || status=$?',
            'if [ "$status" != 0 ]; then',
            // Without its plan runner the plan ran GitHub-hosted, away from the cluster's private API.
            '  runner=(); if [ "${RUNNER_AVAILABLE:-true}" != true ]; then runner=(--missing-runner-of "$RUNNER_OF"); fi',
            '  node "$GITHUB_WORKSPACE/scripts/plan-summary.js" defer --log "$RUNNER_TEMP/plan.log" --stack "$STACK" --slipway ../../slipway.json --out deferred.json "${runner[@]}"',
            '  echo "deferred=true" >> "$GITHUB_OUTPUT"',
            "  exit 0",
            "fi",
            'terraform show -json "$RUNNER_TEMP/tfplan" > "$RUNNER_TEMP/plan.json"',
            // The monthly cost before and after (totals and addresses only); a failure costs the comment its cost line, not the plan.
            'node "$GITHUB_WORKSPACE/scripts/plan-summary.js" cost --plan "$RUNNER_TEMP/plan.json" --stack "$STACK" --slipway ../../slipway.json --out cost.json || echo "::warning title=No cost estimate::$STACK: pricing the plan failed; the comment shows no cost for it"',
            'terraform show -no-color "$RUNNER_TEMP/tfplan" > plan.txt',
            "cat plan.txt",
          ].join("\n"),
        },
        { ...redactStep("Redact the plan", "plan.json", "cdktf.out/stacks/$STACK/plan.json"), if: "steps.plan.outputs.deferred != 'true'" },
        {
          name: "Upload the plan",
          uses: INFRA_ACTIONS.uploadArtifact,
          with: {
            name: "plan-${{ matrix.stack }}",
            // The redacted plan, its text and cost change, or the deferral.
            path: ["plan.json", "plan.txt", "cost.json", "deferred.json"].map((f) => `${stackDir}/${f}`).join("\n"),
            "if-no-files-found": "error",
            "retention-days": PLAN_RETENTION_DAYS,
          },
        },
        {
          // Its name alone tells the merge's apply run which stacks wait for a first apply.
          name: "Mark the plan deferred",
          if: "steps.plan.outputs.deferred == 'true'",
          uses: INFRA_ACTIONS.uploadArtifact,
          with: { name: "deferred-${{ matrix.stack }}", path: `${stackDir}/deferred.json`, "if-no-files-found": "error", "retention-days": PLAN_RETENTION_DAYS },
        },
      ],
    };
  }
  jobs.summary = {
    name: "plan summary",
    runsOn: GITHUB_HOSTED_RUNNER,
    needs: ["synth", "select", ...planJobs.map((j) => j.id)],
    // After failed plans too: the comment says which stacks have no plan.
    if: terraformJobIf(local, `\${{ !cancelled() && needs.synth.result == 'success' && needs.select.result == 'success' && ${sameRepository} }}`),
    permissions: { contents: "read", pullRequests: "write" },
    timeoutMinutes: 10,
    env: {
      GH_TOKEN: "${{ github.token }}",
      GH_REPO: "${{ github.repository }}",
      PR: "${{ github.event.pull_request.number }}",
    },
    steps: [
      checkout,
      setupNode,
      downloadStacks,
      { name: "Download the plans", uses: INFRA_ACTIONS.downloadArtifact, with: { pattern: "plan-*", path: "plans" } },
      { name: "Download the stack selection", uses: INFRA_ACTIONS.downloadArtifact, with: { name: AFFECTED_ARTIFACT, path: AFFECTED_ARTIFACT } },
      {
        name: "Summarize the plans",
        id: "summary",
        env: { COMMIT: "${{ github.event.pull_request.head.sha }}", RUN_URL: runUrl, LABEL: INFRA_SETTINGS.allowDestroyLabel },
        // The label is read now, not from the event, so re-running this job after labelling counts it.
        run: [
          `allow=$(gh pr view "$PR" --json labels --jq "[.labels[].name] | index(\\"$LABEL\\") != null")`,
          'args=(summarize --plans plans --slipway cdktf.out/slipway.json --affected affected/affected.json --out comment.md --commit "$COMMIT" --run-url "$RUN_URL")',
          'if [ "$allow" = "true" ]; then args+=(--allow-destroy); fi',
          "status=0",
          'node scripts/plan-summary.js "${args[@]}" || status=$?',
          'echo "status=$status" >> "$GITHUB_OUTPUT"',
          'cat comment.md >> "$GITHUB_STEP_SUMMARY"',
          'if [ "$status" -ge 2 ]; then exit "$status"; fi',
        ].join("\n"),
      },
      {
        name: "Post or update the pull-request comment",
        env: { MARKER: COMMENT_MARKER },
        run: [
          'id=$(gh api "repos/$GH_REPO/issues/$PR/comments" --paginate --jq ".[] | select(.user.login == \\"github-actions[bot]\\" and (.body | contains(\\"$MARKER\\"))) | .id" | head -n 1)',
          'if [ -n "$id" ]; then',
          '  gh api --method PATCH "repos/$GH_REPO/issues/comments/$id" --field body=@comment.md > /dev/null',
          "else",
          '  gh api --method POST "repos/$GH_REPO/issues/$PR/comments" --field body=@comment.md > /dev/null',
          "fi",
        ].join("\n"),
      },
      {
        name: "Fail on missing plans or protected destroys",
        if: "steps.summary.outputs.status != '0'",
        run: 'echo "::error title=Plan check failed::a stack has no plan, or a plan destroys or replaces a protected resource; see the pull-request comment"\nexit 1',
      },
    ],
  };
  return {
    name: "Slipway plan",
    on: { pullRequest: { branches: [settings.defaultBranch] } },
    permissions: { contents: "read" },
    // A new push supersedes the plans of the previous one.
    concurrency: { group: "slipway-plan-${{ github.event.pull_request.number }}", cancelInProgress: true },
    jobs,
  };
}

// ---------------------------------------------------------------------------------------------
// Merge: apply exactly what was reviewed

/** The condition of an apply job's steps after the check for a deferred plan: they run only for a reviewed plan. */
const NOT_DEFERRED = "steps.reviewed-plan.outputs.deferred != 'true'";
/** …and only for a deferred one. */
const DEFERRED = "steps.reviewed-plan.outputs.deferred == 'true'";
/** The stack was left out of the pull request's plans (`slipway affected`). */
const NOT_PLANNED = "contains(fromJSON(needs.reviewed.outputs.skipped), matrix.stack)";
/** Stacks that read another stack's state: their pull-request plan may be deferred. */
const mayDefer = (s: InfraStack) => s.dependsOn.length > 0;
/** The step, run only when its own condition and `condition` hold. */
const withCondition = (step: Step, condition: string | undefined): Step => (condition ? { ...step, if: [step.if, condition].filter(Boolean).join(" && ") } : step);

function applyWorkflow(platform: PlatformConfig, stacks: InfraStack[], settings: Settings): Workflow {
  const local = platform.backend.type === "local";
  const promotion = platform.environments.map((e) => e.name);
  // Bootstrap stacks hold CI's own identities: they are applied from a workstation, never by CI.
  // Within a level, environments in promotion order, so dev applies before prod.
  const ordered = stacks.filter((s) => !s.bootstrap).sort((a, b) => a.level - b.level || promotion.indexOf(a.environment) - promotion.indexOf(b.environment));
  const applyJobs = jobsPerRunner(ordered, (s) => `${s.level}-${s.environment}`, (s) => s.applyRunsOn, "apply-level-");
  const jobs: Record<string, Job> = {
    reviewed: {
      name: "find the reviewed plans",
      runsOn: GITHUB_HOSTED_RUNNER,
      permissions: { contents: "read", pullRequests: "read", actions: "read" },
      timeoutMinutes: 10,
      outputs: { "run-id": "${{ steps.find.outputs.run-id }}", "pull-request": "${{ steps.find.outputs.pull-request }}", skipped: "${{ steps.find.outputs.skipped }}" },
      // With the local backend the notice stands in for the search (same id, no outputs: nothing runs after it).
      steps: local
        ? [{ ...localStateNotice(settings.platformFile), id: "find" }]
        : [
        {
          name: "Find the merged pull request and its plan run",
          id: "find",
          env: { GH_TOKEN: "${{ github.token }}", GH_REPO: "${{ github.repository }}", SHA: "${{ github.sha }}", BRANCH: settings.defaultBranch },
          run: [
            `pr=$(gh api "repos/$GH_REPO/commits/$SHA/pulls" --jq '[.[] | select(.merged_at != null and .base.ref == env.BRANCH)][0] | select(. != null) | "\\(.number) \\(.head.sha)"')`,
            'if [ -z "$pr" ]; then',
            '  echo "::error title=No reviewed plan::$SHA is not the merge of a pull request into $BRANCH, so no plan was reviewed; nothing was applied. Changes reach the infrastructure through pull requests."',
            "  exit 1",
            "fi",
            'read -r number head <<< "$pr"',
            `run_id=$(gh api "repos/$GH_REPO/actions/workflows/${INFRA_WORKFLOW_FILES.plan}/runs?event=pull_request&status=success&head_sha=$head&per_page=1" --jq '.workflow_runs[0].id // empty')`,
            'if [ -z "$run_id" ]; then',
            `  echo "::error title=No reviewed plan::pull request #$number (head $head) has no successful ${INFRA_WORKFLOW_FILES.plan} run; nothing was applied."`,
            "  exit 1",
            "fi",
            'echo "Applying what pull request #$number reviewed in run $run_id"',
            '{ echo "pull-request=$number"; echo "run-id=$run_id"; } >> "$GITHUB_OUTPUT"',
            // The stacks the pull request left unplanned (unchanged, and reading nothing that changes);
            // a run from before the selection planned every stack.
            "skipped='[]'",
            `if gh api "repos/$GH_REPO/actions/runs/$run_id/artifacts" --paginate --jq '.artifacts[].name' | grep -qxF ${AFFECTED_ARTIFACT}; then`,
            `  gh run download "$run_id" --name ${AFFECTED_ARTIFACT} --dir "$RUNNER_TEMP/${AFFECTED_ARTIFACT}"`,
            `  skipped=$(jq -c '.skipped' "$RUNNER_TEMP/${AFFECTED_ARTIFACT}/affected.json")`,
            "fi",
            'echo "skipped=$skipped" >> "$GITHUB_OUTPUT"',
          ].join("\n"),
        },
      ],
    },
    synth: { ...synthJob(settings, { test: false, needs: ["reviewed"] }), if: terraformJobIf(local) },
  };
  const appId = platform.github.appId !== undefined ? String(platform.github.appId) : `\${{ vars.${INFRA_SETTINGS.applyGithubAppIdVariable} }}`;
  // Design (see docs/operations.md, "From zero"): a stack whose pull-request plan was deferred is planned by its
  // apply job once its upstream stacks are applied, shown in the job summary, and applied by a
  // `first-apply-…` job only after a human approved: in its own environment when that has
  // reviewers, else behind FIRST_APPLY_ENVIRONMENT's. Without any reviewers in the platform nobody
  // could approve it, so the merge leaves it to the next pull request.
  const gated = firstApplyReviewers(platform) !== undefined;
  const firstApplyJobs = gated
    ? applyJobs.filter((j) => j.stacks.some(mayDefer)).map((j) => ({ ...j, id: `first-${j.id}`, stacks: j.stacks.filter(mayDefer), applyJob: j.id }))
    : [];
  const firstApplyJobOf = new Map(firstApplyJobs.flatMap((j) => j.stacks.map((s) => [s.name, j.id] as const)));
  const installSteps = (condition: string | undefined): Step[] =>
    ([setupTerraform, awsCredentials("slipway-apply"), githubAppToken(platform, appId, INFRA_SETTINGS.applyGithubAppKeySecret), terraformInit] as Step[]).map((step) => withCondition(step, condition));
  const freshPlan: Step = {
    name: "terraform plan",
    workingDirectory: stackDir,
    env: { ...githubProviderEnv, REFRESH: "${{ matrix.refresh }}" },
    run: ['terraform plan -input=false -no-color -lock-timeout=10m -refresh="$REFRESH" -out=fresh.tfplan', 'terraform show -json fresh.tfplan > "$RUNNER_TEMP/fresh.json"'].join("\n"),
  };
  const compareWith = (reviewedJson: string, condition: string): Step => ({
    name: "Compare with the reviewed plan",
    if: condition,
    // Both redacted: the reviewed plan was uploaded so, the fresh one is redacted in memory.
    run: `node scripts/plan-summary.js compare ${reviewedJson} "$RUNNER_TEMP/fresh.json"`,
  });
  const terraformApply = (condition: string): Step => ({
    name: "terraform apply",
    if: condition,
    workingDirectory: stackDir,
    env: githubProviderEnv,
    run: "terraform apply -input=false -no-color -lock-timeout=10m fresh.tfplan",
  });
  /**
   * What every job that applies shares: its GitHub environment (only the default branch may deploy
   * to it, production waits for its reviewers, and its apply role trusts nothing but jobs in it),
   * one apply at a time per stack never cancelled halfway, siblings never cancelled because one
   * failed, and the apply role of each stack.
   */
  const applyingJob = (environment: string, stacks: InfraStack[]) => ({
    environment: { name: environment },
    concurrency: { group: "slipway-apply-${{ matrix.stack }}", cancelInProgress: false },
    permissions: { contents: "read", idToken: "write", actions: "read" } as const,
    strategy: { failFast: false, include: stacks.map((s) => matrixEntry(s, s.applyRole, !usesGithub(s))) },
    timeoutMinutes: 120,
    env: applyEnv(platform),
  });
  const downloadReviewed: Step = {
    name: "Download the reviewed plan",
    if: `!${NOT_PLANNED}`,
    uses: INFRA_ACTIONS.downloadArtifact,
    with: { name: "plan-${{ matrix.stack }}", path: "reviewed", "run-id": "${{ needs.reviewed.outputs.run-id }}", "github-token": "${{ github.token }}" },
  };
  // Right after its apply job, so every job comes after the jobs it needs.
  const addFirstApply = (first: (typeof firstApplyJobs)[number]): void => {
    const environment = platform.environments.find((e) => e.name === first.stacks[0].environment)!;
    const hasDeferred = `needs.reviewed.outputs.${first.id} == 'true'`;
    // An environment with reviewers gates the first apply itself; else a job in FIRST_APPLY_ENVIRONMENT does.
    const gate = environment.approval.required ? undefined : `approve-${first.applyJob.replace(/^apply-/, "")}`;
    if (gate) {
      jobs[gate] = {
        name: `approve the deferred plans of ${first.applyJob}`,
        runsOn: GITHUB_HOSTED_RUNNER,
        needs: ["reviewed", first.applyJob],
        if: terraformJobIf(local, hasDeferred),
        // Waits for the reviewers; holds no secret, and no role trusts this environment.
        environment: { name: FIRST_APPLY_ENVIRONMENT },
        permissions: { contents: "read" },
        timeoutMinutes: 5,
        steps: [{ name: "Approved", env: { JOB: first.applyJob }, run: 'echo "Approved: the plans shown in the summary of job $JOB are applied next, each only if a fresh plan matches it."' }],
      };
    }
    jobs[first.id] = {
      name: "first apply ${{ matrix.stack }}",
      runsOn: first.runsOn,
      needs: ["reviewed", "synth", first.applyJob, ...(gate ? [gate] : [])],
      if: terraformJobIf(local, hasDeferred),
      ...applyingJob(environment.name, first.stacks),
      steps: [
        checkout,
        setupNode,
        downloadStacks,
        downloadReviewed,
        {
          // Stacks of this job that the pull request did plan were applied by the apply job.
          name: "Was the plan deferred?",
          id: "reviewed-plan",
          run: 'if [ -f reviewed/deferred.json ]; then echo "deferred=true" >> "$GITHUB_OUTPUT"; else echo "$STACK had a reviewed plan, applied by the apply job: nothing to do here."; fi',
        },
        { name: "Download the plan shown for approval", if: DEFERRED, uses: INFRA_ACTIONS.downloadArtifact, with: { name: "first-plan-${{ matrix.stack }}", path: "first-plan" } },
        ...installSteps(DEFERRED),
        withCondition(freshPlan, DEFERRED),
        compareWith("first-plan/plan.json", DEFERRED),
        terraformApply(DEFERRED),
      ],
    };
  };
  for (const { id, stacks: members, needs, runsOn } of applyJobs) {
    const environment = members[0].environment;
    const firstApply = firstApplyJobs.find((j) => j.applyJob === id)?.id;
    // A stack applies after the first apply of each stack it reads, when that was deferred too.
    const afterFirstApplies = [...new Set(members.flatMap((s) => s.dependsOn.flatMap((d) => firstApplyJobOf.get(d) ?? [])))];
    jobs[id] = {
      name: "apply ${{ matrix.stack }}",
      // GitHub-hosted, or the environment's ephemeral deploy runner (inside the VPC, for the cluster API).
      runsOn,
      needs: ["reviewed", "synth", ...needs, ...afterFirstApplies],
      // A first-apply job that had nothing to do is skipped, which must not skip what follows it.
      if: terraformJobIf(local, afterFirstApplies.length > 0 ? "${{ !cancelled() && !contains(needs.*.result, 'failure') }}" : undefined),
      ...applyingJob(environment, members),
      steps: [
        checkout,
        setupNode,
        downloadStacks,
        downloadReviewed,
        {
          // What the pull request reviewed of a stack it left unplanned: no change. The fresh plan
          // below must change nothing (drift, or an upstream change, stops here), like any other.
          name: "Not planned in review",
          if: NOT_PLANNED,
          run: [
            'echo "$STACK was not planned in review: its configuration and every output it reads were unchanged, so its fresh plan must change nothing."',
            "mkdir -p reviewed",
            `echo '{"resource_changes":[]}' > reviewed/plan.json`,
          ].join("\n"),
        },
        {
          // A stack the pull request could not plan (it waited for the first apply of a stack it
          // reads) has no reviewed plan, so this job never applies it. Gated: it is planned here,
          // after its upstream stacks, for a human to approve. Else: nothing more happens to it.
          name: "Was the plan deferred?",
          id: "reviewed-plan",
          env: { PR: "${{ needs.reviewed.outputs.pull-request }}", ...(firstApply ? { FIRST_APPLY_JOB: firstApply } : {}) },
          run: [
            "if [ -f reviewed/deferred.json ]; then",
            `  node scripts/plan-summary.js deferred-note reviewed/deferred.json --pull-request "$PR"${firstApply ? ' --first-apply-job "$FIRST_APPLY_JOB"' : ""} >> "$GITHUB_STEP_SUMMARY"`,
            '  echo "deferred=true" >> "$GITHUB_OUTPUT"',
            "fi",
          ].join("\n"),
        },
        ...installSteps(firstApply ? undefined : NOT_DEFERRED),
        withCondition(freshPlan, firstApply ? undefined : NOT_DEFERRED),
        compareWith("reviewed/plan.json", NOT_DEFERRED),
        terraformApply(NOT_DEFERRED),
        ...(firstApply
          ? [
              {
                name: "Show the plan for approval",
                if: DEFERRED,
                workingDirectory: stackDir,
                // The text goes to the job summary, where the approver reads it; the redacted JSON is
                // what the first-apply job's fresh plan must match. The binary plan stays here.
                run: [
                  'mkdir -p "$RUNNER_TEMP/first-plan"',
                  'node "$GITHUB_WORKSPACE/scripts/plan-summary.js" redact "$RUNNER_TEMP/fresh.json" "$RUNNER_TEMP/first-plan/plan.json"',
                  'terraform show -no-color fresh.tfplan > "$RUNNER_TEMP/first-plan/plan.txt"',
                  '{ echo; echo "<details open><summary>Plan of $STACK for approval</summary>"; echo; echo \'```\'; head -c 500000 "$RUNNER_TEMP/first-plan/plan.txt"; echo \'```\'; echo "</details>"; } >> "$GITHUB_STEP_SUMMARY"',
                ].join("\n"),
              },
              {
                name: "Upload the plan for approval",
                if: DEFERRED,
                uses: INFRA_ACTIONS.uploadArtifact,
                with: { name: "first-plan-${{ matrix.stack }}", path: "${{ runner.temp }}/first-plan", "if-no-files-found": "error", "retention-days": PLAN_RETENTION_DAYS },
              },
            ]
          : []),
      ],
    };
    const first = firstApplyJobs.find((j) => j.applyJob === id);
    if (first) addFirstApply(first);
  }
  if (!local && firstApplyJobs.length > 0) {
    // Which stacks the pull request deferred: its plan run's `deferred-<stack>` artifacts.
    const detect = [
      `deferred=$(gh api "repos/$GH_REPO/actions/runs/$run_id/artifacts" --paginate --jq '.artifacts[].name | select(startswith("deferred-")) | ltrimstr("deferred-")')`,
      'has_deferred() { for stack in "$@"; do if grep -qxF -- "$stack" <<< "$deferred"; then echo true; return; fi; done; echo false; }',
      ...firstApplyJobs.map((j) => `echo "${j.id}=$(has_deferred ${j.stacks.map((s) => s.name).join(" ")})" >> "$GITHUB_OUTPUT"`),
      'if [ -n "$deferred" ]; then echo "Deferred in review, to be planned after their upstream stacks and applied once approved:" $deferred; fi',
    ];
    jobs.reviewed = {
      ...jobs.reviewed,
      outputs: { ...jobs.reviewed.outputs, ...Object.fromEntries(firstApplyJobs.map((j) => [j.id, `\${{ steps.find.outputs.${j.id} }}`])) },
      steps: jobs.reviewed.steps.map((step) => (step.id === "find" ? { ...step, run: [step.run!, ...detect].join("\n") } : step)),
    };
  }

  return {
    name: "Slipway apply",
    on: { push: { branches: [settings.defaultBranch] } },
    permissions: { contents: "read" },
    jobs,
  };
}

// ---------------------------------------------------------------------------------------------
// Nightly drift

function driftWorkflow(platform: PlatformConfig, stacks: InfraStack[], settings: Settings): Workflow {
  const local = platform.backend.type === "local";
  // Drift jobs are independent of each other (each reads state only); the report job waits for all.
  const driftJobs = jobsPerRunner(stacks, perRunnerBase(""), (s) => s.planRunsOn, "drift").map((j) => ({
    ...j,
    id: j.id.replace(/^drift(?=[^-])/, "drift-"),
  }));
  const jobs: Record<string, Job> = { synth: synthJob(settings, { test: false, localState: local ? settings.platformFile : undefined }) };
  for (const { id, stacks: members, runsOn } of driftJobs) {
    jobs[id] = {
      name: "drift ${{ matrix.stack }}",
      // Read-only, like a pull-request plan: GitHub-hosted or the environment's plan runner.
      runsOn,
      needs: ["synth"],
      if: terraformJobIf(local),
      // Only the default branch may run in this environment: it holds the read-only GitHub App's key,
      // and the plan role trusts its subject.
      environment: { name: DRIFT_ENVIRONMENT },
      permissions: { contents: "read", idToken: "write" },
      strategy: { failFast: false, include: members.map((s) => matrixEntry(s, s.planRole, true)) },
      timeoutMinutes: 30,
      env: terraformEnv,
      steps: [
        checkout,
        setupNode,
        downloadStacks,
        setupTerraform,
        awsCredentials("slipway-drift"),
        githubAppToken(platform, `\${{ vars.${INFRA_SETTINGS.driftGithubAppIdVariable} }}`, INFRA_SETTINGS.driftGithubAppKeySecret),
        ...pluginCacheSteps,
        terraformInit,
        {
          name: "terraform plan -detailed-exitcode",
          workingDirectory: stackDir,
          env: githubProviderEnv,
          // 0: no drift, 2: drift, anything else: the plan failed. Recorded for the report job either way.
          run: [
            'out="$RUNNER_TEMP/drift"',
            'mkdir -p "$out"',
            "code=0",
            'terraform plan -input=false -no-color -lock=false -detailed-exitcode -out="$RUNNER_TEMP/drift.tfplan" || code=$?',
            'echo "$code" > "$out/exitcode"',
            'if [ "$code" = 2 ]; then',
            '  terraform show -json "$RUNNER_TEMP/drift.tfplan" > "$RUNNER_TEMP/drift.json"',
            '  node "$GITHUB_WORKSPACE/scripts/plan-summary.js" redact "$RUNNER_TEMP/drift.json" "$out/plan.json"',
            '  terraform show -no-color "$RUNNER_TEMP/drift.tfplan" > "$out/plan.txt"',
            "fi",
            'if [ "$code" != 0 ] && [ "$code" != 2 ]; then exit 1; fi',
          ].join("\n"),
        },
        {
          name: "Upload the result",
          if: "${{ !cancelled() }}",
          uses: INFRA_ACTIONS.uploadArtifact,
          with: { name: "drift-${{ matrix.stack }}", path: "${{ runner.temp }}/drift", "if-no-files-found": "warn", "retention-days": DRIFT_RETENTION_DAYS },
        },
      ],
    };
  }
  jobs.report = {
    name: "drift issues",
    runsOn: GITHUB_HOSTED_RUNNER,
    needs: ["synth", ...driftJobs.map((j) => j.id)],
    if: terraformJobIf(local, "${{ !cancelled() && needs.synth.result == 'success' }}"),
    permissions: { contents: "read", issues: "write" },
    timeoutMinutes: 15,
    env: { GH_TOKEN: "${{ github.token }}", GH_REPO: "${{ github.repository }}" },
    steps: [
      checkout,
      setupNode,
      downloadStacks,
      { name: "Download the drift results", uses: INFRA_ACTIONS.downloadArtifact, with: { pattern: "drift-*", path: "drift" } },
      {
        name: "Write the reports",
        env: { RUN_URL: runUrl },
        run: 'node scripts/plan-summary.js drift-report --dir drift --slipway cdktf.out/slipway.json --out-dir drift-reports --run-url "$RUN_URL"',
      },
      {
        name: "Open, update or close one issue per stack",
        env: { LABEL: INFRA_SETTINGS.driftLabel },
        run: [
          'gh label create "$LABEL" --color D93F0B --description "Terraform found drift; opened, updated and closed by the nightly drift check" --force',
          `gh issue list --label "$LABEL" --state open --limit 1000 --json number,title --jq '.[] | "\\(.number)\\t\\(.title)"' > open-issues.tsv`,
          "while IFS=$'\\t' read -r stack status title; do",
          "  number=$(awk -F '\\t' -v t=\"$title\" '$2 == t { print $1; exit }' open-issues.tsv)",
          '  case "$status" in',
          "    drift)",
          '      if [ -n "$number" ]; then gh issue edit "$number" --body-file "drift-reports/$stack.md" > /dev/null; echo "$stack: drift, updated #$number"',
          '      else gh issue create --title "$title" --label "$LABEL" --body-file "drift-reports/$stack.md"; fi ;;',
          "    clean)",
          '      if [ -n "$number" ]; then gh issue close "$number" --comment "$(cat "drift-reports/$stack.md")"; echo "$stack: no drift, closed #$number"; fi ;;',
          "    *)",
          '      echo "::warning title=Drift unknown::$stack: the drift plan is $status; its issue is left as it is" ;;',
          "  esac",
          "done < drift-reports/status.tsv",
        ].join("\n"),
      },
    ],
  };
  return {
    name: "Slipway drift",
    on: { schedule: [{ cron: settings.driftCron }], workflowDispatch: {} },
    permissions: { contents: "read" },
    concurrency: { group: "slipway-drift", cancelInProgress: false },
    jobs,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing and checking

/** A generated file that is not what is on disk. */
/** The committed workflows' differences from the generator's: missing, differing, or Slipway workflows no longer produced. */
export function staleFiles(dir: string, expected: Record<string, string>): StaleFile[] {
  return staleGeneratedFiles(dir, expected, (name, content) => /^slipway-.*\.ya?ml$/.test(name) && content.includes(WORKFLOW_HEADER));
}

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      platform: { type: "string", short: "p" },
      out: { type: "string", short: "o" },
      branch: { type: "string" },
      check: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`usage: npm run workflows -- [--platform FILE] [--out DIR] [--branch NAME] [--check]
  --platform FILE  the platform file (default: $SLIPWAY_PLATFORM_FILE or platform.yaml)
  --out DIR        where the workflows go (default: ${DEFAULT_WORKFLOWS_DIR})
  --branch NAME    this repository's default branch, where merges apply (default: the platform file's github.defaultBranch)
  --check          write nothing; exit 1 listing every file that differs from what would be written`);
    return 0;
  }
  const platformFile = values.platform ?? process.env.SLIPWAY_PLATFORM_FILE ?? "platform.yaml";
  const dir = values.out ?? DEFAULT_WORKFLOWS_DIR;
  let files: Record<string, string>;
  let platform: PlatformConfig;
  try {
    platform = loadPlatformFile(platformFile);
    files = infraWorkflows(platform, { defaultBranch: values.branch });
  } catch (error) {
    if (error instanceof PlatformFileError || error instanceof SlipwayValidationError) {
      console.error(`${error.message}\nNothing was written.`);
      return 1;
    }
    throw error;
  }
  if (platform.backend.type === "local") {
    console.error(
      `warning: ${platformFile} uses the local backend: CI has no state to plan against or apply to, so the generated Terraform jobs are switched off (tests and synth still run, with a warning on every run) until the platform file names an s3 or remote backend.`,
    );
  }
  const stale = staleFiles(dir, files);
  if (values.check) {
    if (stale.length === 0) {
      console.log(`${Object.keys(files).length} workflows in ${dir} are up to date with ${platformFile}.`);
      return 0;
    }
    console.error(`The workflows in ${dir} are stale against ${platformFile}:\n${stale.map(describeStale).join("\n")}\nRun \`npm run workflows\` and commit the result.`);
    return 1;
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  for (const s of stale.filter((s) => s.problem === "extra")) fs.rmSync(s.file);
  const changed = new Set(stale.map((s) => s.file));
  for (const name of Object.keys(files)) console.log(`${changed.has(path.join(dir, name)) ? "wrote" : "unchanged"} ${path.join(dir, name)}`);
  for (const s of stale.filter((s) => s.problem === "extra")) console.log(`removed ${s.file}`);
  return 0;
}
