/**
 * An app's CI/CD as two generated GitHub Actions workflows committed to its repository: pull
 * requests build and test; pushes to the default branch build once, test, push an immutable image
 * and promote that same digest through every environment in turn. With previews, two more give
 * each pull request its own copy of the app (constructs/preview-workflow.ts).
 */
import { RepositoryFile } from "@cdktf/provider-github/lib/repository-file";
import { Construct } from "constructs";
import * as kinds from "./validators";
import { stringify } from "yaml";
import { terraformLiteral } from "../platform/literal";
import { ACTIONS, usesOf } from "./actions";
import { CANARY_VARIABLES, canaryJobEnv, canaryMinutes, canaryProblems, canarySteps, PipelineCanary } from "./canary";
import { isCodebuildRunnerLabel } from "./ci-runners";
import { deployedTagPrefix } from "./container-registry";
import { invalid, isKnown } from "./util";
import { PREVIEW_VARIABLES } from "./preview-access";
import { PREVIEW_WORKFLOW_PATHS, previewSweepWorkflow, previewWorkflow } from "./preview-workflow";
import { Job, renderWorkflow, Step, Workflow } from "./workflow";

/** The actions the workflows use (`uses:` values), pinned to commits in the table of constructs/actions.ts. */
export const PIPELINE_ACTIONS = {
  checkout: usesOf(ACTIONS.checkout),
  configureAwsCredentials: usesOf(ACTIONS.configureAwsCredentials),
  amazonEcrLogin: usesOf(ACTIONS.amazonEcrLogin),
  attest: usesOf(ACTIONS.attest),
  uploadArtifact: usesOf(ACTIONS.uploadArtifact),
  downloadArtifact: usesOf(ACTIONS.downloadArtifact),
} as const;

/**
 * Where the app's static files live in its image (docs/image-contract.md). The build job copies
 * this folder out of the tested image; each deploy job publishes that copy to its assets bucket.
 * An app without static files keeps the folder empty.
 */
export const STATIC_ASSETS_PATH = "/app/static";

/**
 * A static file whose name carries a content hash (`app.3f2a9c1b.css`, `app-3f2a9c1b0d4e.js`: `.` or
 * `-`, at least 8 lower-case hex digits, then the extension): its content never changes under
 * that name, so browsers and the CDN may keep it a year. Every other file gets
 * {@link STATIC_ASSETS_CACHE_CONTROL}.short.
 */
export const FINGERPRINTED_ASSET = /[.-][0-9a-f]{8,}\.[A-Za-z0-9]+$/;

/** The `Cache-Control` of published static files. */
export const STATIC_ASSETS_CACHE_CONTROL = {
  /** Fingerprinted files ({@link FINGERPRINTED_ASSET}): a year, never revalidated. */
  fingerprinted: "public, max-age=31536000, immutable",
  /** Files that keep their name across releases (`favicon.ico`, `robots.txt`): five minutes. */
  short: "public, max-age=300",
} as const;

/**
 * The key prefix static files are published under in the assets bucket, from the CDN's static
 * path pattern: `/static/*` -> `static/` (CloudFront asks the bucket for the viewer's path).
 * @throws when the pattern is not `/<folder>/*`
 */
export function staticAssetsPrefix(staticPathPattern: string): string {
  const match = /^\/((?:[A-Za-z0-9._~-]+\/)+)\*$/.exec(staticPathPattern);
  if (!match || match[1].split("/").some((part) => part === "." || part === "..")) {
    throw new Error(`static path pattern ${JSON.stringify(staticPathPattern)}: expected a folder pattern such as /static/* or /assets/v1/* (the assets are published under that folder)`);
  }
  return match[1];
}

/**
 * The GitHub Actions variables (not secrets: none of them is secret) the workflows read; the
 * stacks must set exactly these. `repository` variables are set on the repository (the build job
 * runs outside any environment); `environment` variables on each GitHub environment, where they
 * override repository variables of the same name (`AWS_REGION`).
 */
export const PIPELINE_VARIABLES = {
  /** `AWS_REGION` of the registry, `ECR_REPOSITORY_URL` (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), `BUILD_ROLE_ARN` (may push to it). */
  repository: ["AWS_REGION", "ECR_REPOSITORY_URL", "BUILD_ROLE_ARN"],
  /**
   * The environment's `AWS_REGION`, `DEPLOY_ROLE_ARN`, EKS `CLUSTER_NAME`, the app's Kubernetes
   * `NAMESPACE`, its public `APP_URL` (`https://host`, no trailing `/`) and `ASSETS_BUCKET`, the
   * name of the CDN's static-assets bucket the deploy role may write, and `ALARMS`, the app's
   * CloudWatch metric alarms there as `<region>:<alarm name>` separated by spaces, which the deploy
   * job watches while a release bakes (the deploy role may describe exactly these).
   */
  environment: ["AWS_REGION", "DEPLOY_ROLE_ARN", "CLUSTER_NAME", "NAMESPACE", "APP_URL", "ASSETS_BUCKET", "ALARMS"],
} as const;

/** The names of the variables {@link DeliveryPipeline} reads, by where they are set. */
export interface PipelineVariables {
  /** Variables set on the repository, read by the build jobs (outside any environment). */
  readonly repository: readonly string[];
  /** Variables set on each GitHub environment, read by that environment's deploy job. */
  readonly environment: readonly string[];
  /**
   * Variables also set on each GitHub environment whose deploy job runs a canary ({@link CANARY_VARIABLES}).
   * @default unset: no environment runs a canary
   */
  readonly canary?: readonly string[];
  /** Variables of the `preview` GitHub environment, read by the preview workflows; empty without previews. */
  readonly preview: readonly string[];
}

/** Pull-request previews ({@link DeliveryPipelineProps.previews}); the host environment is the `preview` GitHub environment's variables. */
export interface PipelinePreviews {
  /**
   * The runner of the jobs that reach the host cluster's API (deploy, remove, sweep): a label or a
   * list of labels. It must reach the cluster's API endpoint; it should be none an apply or deploy job uses.
   * @default "ubuntu-latest"
   */
  readonly runsOn?: string | readonly string[];
}

/** Where the workflows are committed in the app's repository. */
export const PIPELINE_WORKFLOW_PATHS = {
  pullRequest: ".github/workflows/pull-request.yml",
  deliver: ".github/workflows/deliver.yml",
} as const;

/** actionlint's configuration in the app repository: it declares the self-hosted runner labels. */
export const ACTIONLINT_CONFIG_PATH = ".github/actionlint.yaml";

/** Labels of GitHub-hosted runners and the labels every self-hosted runner has; others are custom. */
const STANDARD_RUNNER_LABEL = /^(ubuntu|windows|macos)-[a-z0-9.-]+$|^(self-hosted|linux|windows|macos|x64|arm|arm64)$/;

/** The pull-request workflow's job, which is also its status check's name. */
const PR_JOB = "build-and-test";
/** The status checks a branch ruleset should require: the pull-request workflow's job. */
export const PIPELINE_REQUIRED_CHECKS: readonly string[] = [PR_JOB];
const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** One environment the pipeline deploys to. */
export interface PipelineEnvironment {
  /** The GitHub environment's name (lower-case letters, digits and `-`), e.g. `prod`. Also names the job `deploy-<name>`. */
  readonly name: string;
  /**
   * The runner of this environment's deploy job: a label or a list of labels a runner must all
   * carry. A self-hosted runner inside the VPC when the cluster's API is private.
   * @default "ubuntu-latest"
   */
  readonly runsOn?: string | readonly string[];
  /**
   * Minutes the deploy job watches the environment's alarms (`vars.ALARMS`) after the rollout, the
   * smoke check and the integration tests, polling every 30 seconds. An alarm that enters ALARM
   * after the rollout began rolls the Deployment back and stops the promotion, naming the alarm;
   * one already firing before it is reported, not blamed on the release. 0: a single check.
   * @default 0
   */
  readonly bakeMinutes?: number;
  /**
   * A canary rollout (`constructs/canary.ts`): the new digest first runs as `<deploymentName>-canary`
   * and takes each step's share of the requests through the listener's weights, analysed every
   * minute; the job then also reads {@link CANARY_VARIABLES} from the environment.
   * @default none: the Deployment rolls to the new digest at once
   */
  readonly canary?: PipelineCanary;
}

/**
 * Props of {@link DeliveryPipeline}. `appName`, `testCommand`, `healthPath`, `repository` and
 * `environments` are required; the rest name what the workload and repository call things.
 */
export interface DeliveryPipelineProps {
  /** The app's name (a DNS label of at most 32 characters); names the concurrency groups and migration jobs. */
  readonly appName: string;
  /**
   * The app's tests, run inside the built image with `/bin/sh -c`, e.g. `npm test`. Literal text:
   * it reaches the script as the step's `TEST_COMMAND` environment variable, never spliced into
   * it; `${{` is refused (GitHub would evaluate it there). Terraform templates (`${`, `%{`) in it
   * stay text: the construct escapes the whole workflow file once.
   */
  readonly testCommand: string;
  /**
   * The app's database migration. The command itself is baked into the migration CronJob
   * ({@link migrationTemplateName}) by the workload; here it switches the migration steps on: each
   * deploy job runs a Job from that CronJob with the new image before rolling out, and stops when it fails.
   * @default no migration steps
   */
  readonly migrateCommand?: string;
  /**
   * The app's integration tests. Like `migrateCommand`, the command is baked into a suspended
   * CronJob ({@link integrationTestTemplateName}) by the workload, which also sets `APP_URL`; here
   * it switches the step on: after the smoke check, each deploy job runs a Job from that CronJob
   * with the deployed digest and waits for it; a failure rolls the Deployment back and stops the
   * promotion.
   * @default no integration-test step (the smoke check is the only gate)
   */
  readonly integrationTestCommand?: string;
  /**
   * The suspended CronJob the workload creates as the integration-test template; its container is named `integration-test`.
   * @default "<appName>-integration-test"
   */
  readonly integrationTestTemplateName?: string;
  /**
   * The CDN's static path pattern (`Cdn`'s `staticPathPattern`), `/<folder>/*`: the deploy jobs
   * publish the image's {@link STATIC_ASSETS_PATH} under `<folder>/` in the assets bucket.
   * @default "/static/*"
   */
  readonly staticPathPattern?: string;
  /** The path the smoke check requests after each rollout, e.g. `/healthz`: `/` then letters, digits and `._~/-`. The deploy job's `HEALTH_PATH` variable. */
  readonly healthPath: string;
  /**
   * The branch pull requests target and pushes to which deliver; the workflows are committed to it.
   * @default "main"
   */
  readonly defaultBranch?: string;
  /** The app's GitHub repository (e.g. `SourceRepository`, or `github_repository`): the workflows are committed to it. */
  readonly repository: { readonly name: string };
  /** The environments in promotion order, at least one, distinct names; each waits for the one before. */
  readonly environments: readonly PipelineEnvironment[];
  /**
   * The app's Kubernetes Deployment.
   * @default appName
   */
  readonly deploymentName?: string;
  /**
   * The container of the Deployment that runs the app image.
   * @default "app"
   */
  readonly containerName?: string;
  /**
   * The suspended CronJob the workload creates as the migration template; its container is named `migrate`.
   * @default "<appName>-migrate"
   */
  readonly migrationTemplateName?: string;
  /**
   * The database setup template (`DatabaseSetup`, e.g. `<appName>-db-setup`): each deploy job runs
   * a Job from it as it is (its image is Slipway's, never the app's) before migrating, and stops
   * when it fails.
   * @default none - no database setup step
   */
  readonly databaseSetupTemplateName?: string;
  /**
   * The Dockerfile, relative to the repository root (the build context).
   * @default "Dockerfile"
   */
  readonly dockerfile?: string;
  /**
   * The runner of the build jobs (pull request and deliver): a label or list of labels.
   * @default "ubuntu-latest"
   */
  readonly buildRunsOn?: string | readonly string[];
  /**
   * Record signed SLSA build provenance for each pushed digest (`actions/attest`) and store it next
   * to the image in the registry. GitHub offers attestations on private and internal repositories
   * only with GitHub Enterprise Cloud: on another plan the attestation step fails after the push,
   * so nothing is deployed; set this to false there.
   * @default true
   */
  readonly provenance?: boolean;
  /**
   * The app's Secrets Manager secrets by environment name: their names (`<platform>/<app>/<env>/<NAME>`,
   * see `appSecretPrefix`). Each such environment's deploy job first checks that every one has a
   * current value (`secretsmanager:DescribeSecret` only) and otherwise fails, naming each secret
   * without a value and the command that sets it (`npm run secret -- set <app> <env> <NAME>`).
   * @default {} - no secrets check
   */
  readonly secretIds?: Readonly<Record<string, readonly string[]>>;
  /**
   * A preview per same-repository pull request (`.github/workflows/preview.yml`) and an hourly
   * sweep of closed and idle ones (`.github/workflows/preview-sweep.yml`); see docs/previews.md.
   * The commands (migrate, seed, integration tests) and the preview secrets' names come from the
   * `preview` environment's variables, never from this file.
   * @default no previews
   */
  readonly previews?: PipelinePreviews;
}

/**
 * Two workflows, rendered from a typed model and committed to the app's repository with
 * `github_repository_file`:
 * - `.github/workflows/pull-request.yml`: builds the image and runs the tests inside it; no cloud
 *   credentials, nothing pushed. Its job `build-and-test` is the status check to require.
 * - `.github/workflows/deliver.yml`: on pushes to the default branch (or by hand), builds once,
 *   tests inside that image, then pushes that same image to ECR, records signed build provenance
 *   for its digest ({@link DeliveryPipelineProps.provenance}) and hands the digest to one deploy job per environment, each waiting
 *   for the one before and for the GitHub environment's protection rules (reviewers). The build job
 *   also copies {@link STATIC_ASSETS_PATH} out of the tested image into a workflow artifact named
 *   for the digest. A deploy job assumes the environment's deploy role through OIDC, publishes
 *   that artifact to the assets bucket, runs migrations, rolls the Deployment to the digest, waits
 *   for it, smoke-checks the health path, runs the integration tests in the same digest
 *   ({@link DeliveryPipelineProps.integrationTestCommand}) and rolls back on failure. One deploy
 *   at a time per environment; nothing is cancelled midway.
 *
 * With {@link DeliveryPipelineProps.previews}, two more (constructs/preview-workflow.ts,
 * docs/previews.md): `.github/workflows/preview.yml` deploys each same-repository pull request into
 * its own namespace of the host environment and removes it on close; `.github/workflows/preview-sweep.yml`
 * removes closed and idle previews every hour.
 *
 * Account-specific values come from GitHub Actions variables ({@link PIPELINE_VARIABLES}, and the
 * `preview` environment's `PREVIEW_VARIABLES`), so the YAML holds no account, role, cluster or URL
 * and is the same for every deployment of Slipway.
 *
 * Construct ids: `PullRequestWorkflow` and `DeliverWorkflow`, and `PreviewWorkflow` and
 * `PreviewSweepWorkflow` with previews (one `github_repository_file` each; none is the primary
 * one, so none is `Resource`).
 */
export class DeliveryPipeline extends Construct {
  /** The workflow files' YAML by path in the repository (e.g. `.github/workflows/deliver.yml`). */
  public readonly workflows: Record<string, string>;
  /**
   * Other generated files by path: `.github/actionlint.yaml` declaring the custom self-hosted
   * runner labels the deploy jobs use, when there are any (so actionlint accepts them).
   */
  public readonly configFiles: Record<string, string>;
  /** Custom (self-hosted) runner labels the workflows use, sorted. */
  public readonly selfHostedRunnerLabels: string[];
  /** The `github_repository_file` of each workflow and config file, by path. */
  public readonly files: Record<string, RepositoryFile>;
  /** The status checks a pull request must pass (the pull-request workflow's jobs), for the branch ruleset. */
  public readonly requiredStatusChecks: string[];
  /** The deliver workflow's jobs in order: `build`, then `deploy-<environment>` in promotion order. */
  public readonly jobNames: string[];
  /** The Actions variables the workflows read; the stacks set exactly these. */
  public readonly variables: PipelineVariables;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);

    const settings: Settings = {
      appName: props.appName,
      testCommand: props.testCommand,
      migrate: props.migrateCommand !== undefined,
      integrationTest: props.integrationTestCommand !== undefined,
      integrationTestTemplateName: props.integrationTestTemplateName ?? `${props.appName}-integration-test`,
      staticPathPattern: props.staticPathPattern ?? "/static/*",
      healthPath: props.healthPath,
      defaultBranch: props.defaultBranch ?? "main",
      environments: (Array.isArray(props.environments) ? props.environments : []).map((environment) => ({
        name: environment.name,
        runsOn: environment.runsOn ?? "ubuntu-latest",
        bakeMinutes: environment.bakeMinutes ?? 0,
        canary: environment.canary,
      })),
      deploymentName: props.deploymentName ?? props.appName,
      containerName: props.containerName ?? "app",
      migrationTemplateName: props.migrationTemplateName ?? `${props.appName}-migrate`,
      databaseSetupTemplateName: props.databaseSetupTemplateName,
      dockerfile: props.dockerfile ?? "Dockerfile",
      buildRunsOn: props.buildRunsOn ?? "ubuntu-latest",
      provenance: props.provenance ?? true,
      secretIds: props.secretIds ?? {},
    };
    this.validate(props, settings);

    const deliver = deliverWorkflow(settings);
    const previews =
      props.previews === undefined
        ? undefined
        : {
            appName: settings.appName,
            defaultBranch: settings.defaultBranch,
            buildRunsOn: settings.buildRunsOn,
            runsOn: props.previews.runsOn ?? "ubuntu-latest",
            buildSteps: buildAndTestSteps(settings),
            healthPath: settings.healthPath,
          };
    if (previews !== undefined) this.validatePreviews(previews.runsOn);
    this.workflows = {
      [PIPELINE_WORKFLOW_PATHS.pullRequest]: renderWorkflow(pullRequestWorkflow(settings)),
      [PIPELINE_WORKFLOW_PATHS.deliver]: renderWorkflow(deliver),
      ...(previews === undefined
        ? {}
        : { [PREVIEW_WORKFLOW_PATHS.preview]: renderWorkflow(previewWorkflow(previews)), [PREVIEW_WORKFLOW_PATHS.sweep]: renderWorkflow(previewSweepWorkflow(previews)) }),
    };
    this.requiredStatusChecks = [PR_JOB];
    this.jobNames = Object.keys(deliver.jobs);
    this.variables = {
      repository: [...PIPELINE_VARIABLES.repository],
      environment: [...PIPELINE_VARIABLES.environment],
      ...(settings.environments.some((e) => e.canary) ? { canary: [...CANARY_VARIABLES] } : {}),
      preview: previews === undefined ? [] : [...PREVIEW_VARIABLES],
    };

    const labels = [settings.buildRunsOn, ...settings.environments.map((e) => e.runsOn), ...(previews === undefined ? [] : [previews.runsOn])].flat();
    // A CodeBuild runner label carries expressions, which actionlint does not check: nothing to declare.
    this.selfHostedRunnerLabels = [...new Set(labels.filter((l) => !STANDARD_RUNNER_LABEL.test(l) && !isCodebuildRunnerLabel(l)))].sort();
    this.configFiles =
      this.selfHostedRunnerLabels.length === 0
        ? {}
        : { [ACTIONLINT_CONFIG_PATH]: `# Generated by Slipway: the deploy jobs' self-hosted runner labels.\n${stringify({ "self-hosted-runner": { labels: this.selfHostedRunnerLabels } })}` };

    const fileIds: Record<string, string> = {
      [PIPELINE_WORKFLOW_PATHS.pullRequest]: "PullRequestWorkflow",
      [PIPELINE_WORKFLOW_PATHS.deliver]: "DeliverWorkflow",
      [ACTIONLINT_CONFIG_PATH]: "ActionlintConfig",
      [PREVIEW_WORKFLOW_PATHS.preview]: "PreviewWorkflow",
      [PREVIEW_WORKFLOW_PATHS.sweep]: "PreviewSweepWorkflow",
    };
    this.files = Object.fromEntries(
      Object.entries({ ...this.workflows, ...this.configFiles }).map(([path, yaml]) => [
        path,
        new RepositoryFile(this, fileIds[path], {
          repository: props.repository.name,
          branch: settings.defaultBranch,
          file: path,
          // The file is text this construct wrote (its own `${{ }}` expressions, and the props as
          // literal text): escaped whole, once, so Terraform commits exactly these bytes.
          content: terraformLiteral(yaml),
          commitMessage: `Update ${path} (managed by Slipway)`,
          commitAuthor: "slipway",
          commitEmail: "slipway@users.noreply.github.com",
          // The repository may already hold a hand-written version; Slipway's replaces it.
          overwriteOnCreate: true,
        }),
      ]),
    );
  }

  /** The previews' props. */
  private validatePreviews(runsOn: string | readonly string[]): void {
    if (!isKnown(runsOn)) invalid(this, "previews.runsOn", runsOn, "a runner label or a non-empty list of labels (a literal)");
    const labels = typeof runsOn === "string" ? [runsOn] : runsOn;
    if (!Array.isArray(labels) || labels.length === 0) invalid(this, "previews.runsOn", runsOn, "a runner label such as ubuntu-latest, or a non-empty list of labels");
    labels.forEach((l, i) => {
      if (isCodebuildRunnerLabel(l)) return;
      const problem = kinds.runnerLabel.problem(l);
      if (problem !== undefined) invalid(this, typeof runsOn === "string" ? "previews.runsOn" : `previews.runsOn[${i}]`, l, problem);
    });
  }

  private validate(props: DeliveryPipelineProps, s: Settings): void {
    // Everything below is written into the YAML at synth, so it must be literal.
    const literal = (field: string, value: unknown, accepted: string) => {
      if (!isKnown(value)) invalid(this, field, value, `${accepted} (a literal: it is written into the workflow YAML)`);
    };
    const label = (field: string, value: string, maxLength: number, what: string) => {
      literal(field, value, what);
      if (typeof value !== "string" || !DNS_LABEL.test(value) || value.length > maxLength) {
        invalid(this, field, value, `${what}: at most ${maxLength} lower-case letters, digits and '-', starting with a letter and not ending with '-'`);
      }
    };
    const runner = (field: string, value: string | readonly string[]) => {
      literal(field, value, "a runner label or a non-empty list of labels");
      const labels = typeof value === "string" ? [value] : value;
      if (!Array.isArray(labels) || labels.length === 0) invalid(this, field, value, "a runner label such as ubuntu-latest, or a non-empty list of labels such as [self-hosted, linux]");
      labels.forEach((l, i) => {
        // The one label with an expression: a CodeBuild runner's, as codebuildRunnerLabel makes it.
        if (typeof l === "string" && isCodebuildRunnerLabel(l)) return;
        const problem = kinds.runnerLabel.problem(l);
        if (problem !== undefined) invalid(this, typeof value === "string" ? field : `${field}[${i}]`, l, problem);
      });
    };
    const command = (field: string, value: string, validator: kinds.ValueValidator) => {
      literal(field, value, "a shell command");
      const problem = validator.problem(value);
      if (problem !== undefined) invalid(this, field, value, problem);
    };

    label("appName", props.appName, 32, "a DNS label");
    // The test command is a step's `env` value, where GitHub would evaluate `${{ }}` instead of
    // passing the text on (GitHub has no escape for it). The migrate command never enters a
    // workflow (the workload's CronJob runs it): there it is plain text.
    command("testCommand", props.testCommand, kinds.workflowShellCommand);
    if (props.migrateCommand !== undefined) command("migrateCommand", props.migrateCommand, kinds.shellCommand);
    if (props.integrationTestCommand !== undefined) command("integrationTestCommand", props.integrationTestCommand, kinds.shellCommand);
    literal("healthPath", props.healthPath, "an HTTP path");
    const healthProblem = kinds.healthCheckPath.problem(props.healthPath);
    if (healthProblem !== undefined) invalid(this, "healthPath", props.healthPath, healthProblem);
    literal("defaultBranch", s.defaultBranch, "a branch name");
    // Also a filter pattern in `on.*.branches`: no glob characters.
    const branchProblem = kinds.branchName.problem(s.defaultBranch);
    if (branchProblem !== undefined) invalid(this, "defaultBranch", s.defaultBranch, branchProblem);
    if (isKnown(props.repository.name) && !/^[A-Za-z0-9._-]{1,100}$/.test(props.repository.name)) {
      invalid(this, "repository.name", props.repository.name, "a GitHub repository name: 1 to 100 letters, digits, '.', '_' or '-'");
    }

    literal("environments", props.environments, "a list of environments");
    if (!Array.isArray(props.environments) || props.environments.length === 0) {
      invalid(this, "environments", props.environments, "at least one environment, in promotion order, e.g. [{ name: \"dev\" }, { name: \"prod\" }]");
    }
    s.environments.forEach((environment, i) => {
      // `deploy-<name>` is a job id and part of a concurrency group.
      label(`environments[${i}].name`, environment.name, 50, "a GitHub environment name");
      const first = s.environments.findIndex((e) => e.name === environment.name);
      if (first !== i) invalid(this, `environments[${i}].name`, environment.name, `distinct environment names; ${JSON.stringify(environment.name)} is already environments[${first}]`);
      runner(`environments[${i}].runsOn`, environment.runsOn);
      literal(`environments[${i}].bakeMinutes`, environment.bakeMinutes, "a number of minutes");
      if (!Number.isInteger(environment.bakeMinutes) || environment.bakeMinutes < 0 || environment.bakeMinutes > 60) {
        invalid(this, `environments[${i}].bakeMinutes`, environment.bakeMinutes, "whole minutes from 0 to 60");
      }
      if (environment.canary !== undefined) {
        literal(`environments[${i}].canary`, environment.canary, "a canary rollout");
        for (const [field, value, accepted] of canaryProblems(environment.canary)) invalid(this, `environments[${i}].canary.${field}`, value, accepted);
      }
    });

    label("deploymentName", s.deploymentName, 63, "a Kubernetes Deployment name");
    label("containerName", s.containerName, 63, "a Kubernetes container name");
    // CronJob names are limited to 52 characters (Kubernetes appends 11 for its Jobs).
    label("migrationTemplateName", s.migrationTemplateName, 52, "a Kubernetes CronJob name");
    label("integrationTestTemplateName", s.integrationTestTemplateName, 52, "a Kubernetes CronJob name");
    if (s.databaseSetupTemplateName !== undefined) label("databaseSetupTemplateName", s.databaseSetupTemplateName, 52, "a Kubernetes CronJob name");
    literal("staticPathPattern", s.staticPathPattern, "a CloudFront path pattern");
    try {
      staticAssetsPrefix(s.staticPathPattern);
    } catch {
      invalid(this, "staticPathPattern", s.staticPathPattern, "a folder pattern of letters, digits and ._~- such as /static/* (the assets are published under that folder)");
    }
    literal("dockerfile", s.dockerfile, "a path");
    if (!/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/.test(s.dockerfile) || s.dockerfile.split("/").some((part) => part === ".." || part === "")) {
      invalid(this, "dockerfile", s.dockerfile, "a relative path inside the repository of letters, digits and ._/- (no '..'), e.g. Dockerfile or docker/app.Dockerfile");
    }
    runner("buildRunsOn", s.buildRunsOn);
    literal("secretIds", s.secretIds, "secret names by environment");
    for (const [environment, ids] of Object.entries(s.secretIds)) {
      if (!s.environments.some((e) => e.name === environment)) invalid(this, "secretIds", environment, `environment names among ${s.environments.map((e) => e.name).join(", ")}`);
      literal(`secretIds.${environment}`, ids, "a list of secret names");
      ids.forEach((id, i) => {
        // Letters, digits and /_+=.@- (Secrets Manager's names): no newline, quote or `${{` reaches the step.
        if (typeof id !== "string" || !/^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/.test(id)) {
          invalid(this, `secretIds.${environment}[${i}]`, id, "a Secrets Manager secret name such as slipway/shop/prod/API_KEY");
        }
      });
    }
  }
}

/** The props with every default filled in. */
interface Settings {
  readonly appName: string;
  readonly testCommand: string;
  readonly migrate: boolean;
  readonly integrationTest: boolean;
  readonly integrationTestTemplateName: string;
  readonly staticPathPattern: string;
  readonly healthPath: string;
  readonly defaultBranch: string;
  readonly environments: ReadonlyArray<{ readonly name: string; readonly runsOn: string | readonly string[]; readonly bakeMinutes: number; readonly canary?: PipelineCanary }>;
  readonly deploymentName: string;
  readonly containerName: string;
  readonly migrationTemplateName: string;
  readonly databaseSetupTemplateName?: string;
  readonly dockerfile: string;
  readonly buildRunsOn: string | readonly string[];
  readonly provenance: boolean;
  readonly secretIds: Readonly<Record<string, readonly string[]>>;
}

/** The step id of the build, whose output `id` is the built image's id (`sha256:<64 hex>`). */
const BUILD_STEP = "build";
/** The step id of the push, whose outputs are `digest` (`sha256:<64 hex>`) and `image` (`<repository>@<digest>`). */
const PUSH_STEP = "push";
/** The step id of the copy of the static files, whose output `artifact` names the workflow artifact holding them. */
const ASSETS_STEP = "assets";
/** Where the build job puts the static files it copied out of the image, and where each deploy job downloads them to. */
const ASSETS_DIR = "${{ runner.temp }}/static-assets";

/**
 * Checkout, one `docker build` into the runner's Docker, the tests inside that image. Plain
 * `docker build` (BuildKit) rather than the buildx actions: two fewer third-party actions, and
 * the image's id comes straight from the build (`--iidfile`), so every later step names exactly
 * the image that was built.
 */
function buildAndTestSteps(s: Settings): Step[] {
  return [
    // No token left in .git/config: nothing later pushes to the repository.
    { name: "Check out", uses: PIPELINE_ACTIONS.checkout, with: { "persist-credentials": false } },
    {
      name: "Build the image",
      id: BUILD_STEP,
      env: { DOCKERFILE: s.dockerfile, DOCKER_BUILDKIT: "1" },
      shell: "bash",
      run: [
        'docker build --file "$DOCKERFILE" --iidfile "$RUNNER_TEMP/image-id" .',
        'id="$(cat "$RUNNER_TEMP/image-id")"',
        'if [[ ! "$id" =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "::error::docker build gave no image id"; exit 1; fi',
        'echo "id=$id" >> "$GITHUB_OUTPUT"',
        "",
      ].join("\n"),
    },
    {
      name: "Test inside the image",
      env: { IMAGE_ID: `\${{ steps.${BUILD_STEP}.outputs.id }}`, TEST_COMMAND: s.testCommand },
      shell: "bash",
      run: 'docker run --rm --entrypoint /bin/sh "$IMAGE_ID" -c "$TEST_COMMAND"',
    },
  ];
}

function pullRequestWorkflow(s: Settings): Workflow {
  return {
    name: "Pull request",
    on: { pullRequest: { branches: [s.defaultBranch] } },
    permissions: { contents: "read" },
    // A new push to the pull request supersedes the build of the previous one.
    concurrency: { group: "pull-request-${{ github.event.pull_request.number }}", cancelInProgress: true },
    jobs: {
      [PR_JOB]: { runsOn: s.buildRunsOn, timeoutMinutes: 30, steps: buildAndTestSteps(s) },
    },
  };
}

function deliverWorkflow(s: Settings): Workflow {
  const build: Job = {
    runsOn: s.buildRunsOn,
    // workflow_dispatch can start a run from any branch: only the default branch delivers (the
    // deploy jobs need this one, so they are skipped too).
    if: `github.ref == 'refs/heads/${s.defaultBranch}'`,
    // attestations: write and the OIDC token (also Sigstore's signing identity) only here.
    permissions: s.provenance ? { attestations: "write", contents: "read", idToken: "write" } : { contents: "read", idToken: "write" },
    timeoutMinutes: 30,
    // The digest, not the tag: every environment gets exactly the bytes that were tested.
    outputs: { image: `\${{ steps.${PUSH_STEP}.outputs.image }}`, assets: `\${{ steps.${ASSETS_STEP}.outputs.artifact }}` },
    steps: [
      ...buildAndTestSteps(s),
      {
        name: "Configure AWS credentials",
        uses: PIPELINE_ACTIONS.configureAwsCredentials,
        with: {
          "role-to-assume": "${{ vars.BUILD_ROLE_ARN }}",
          "aws-region": "${{ vars.AWS_REGION }}",
          // The image output holds the account id (in the registry host); a masked value would
          // make GitHub drop the output.
          "mask-aws-account-id": false,
        },
      },
      { name: "Log in to Amazon ECR", uses: PIPELINE_ACTIONS.amazonEcrLogin },
      {
        // The tested image itself, by its id: no second build that could differ from it.
        name: "Push the tested image",
        id: PUSH_STEP,
        env: { IMAGE_ID: `\${{ steps.${BUILD_STEP}.outputs.id }}`, REPOSITORY: "${{ vars.ECR_REPOSITORY_URL }}" },
        shell: "bash",
        run: [
          'target="$REPOSITORY:sha-$GITHUB_SHA"',
          'docker tag "$IMAGE_ID" "$target"',
          'docker push "$target" | tee "$RUNNER_TEMP/push.log"',
          "# The digest the registry reported for the tag; else the local image's digest in that repository.",
          'digest="$(sed -n \'s/^.*: digest: \\(sha256:[0-9a-f]\\{64\\}\\) .*$/\\1/p\' "$RUNNER_TEMP/push.log" | tail -n 1)"',
          'if [[ -z "$digest" ]]; then',
          "  while read -r entry; do",
          '    if [[ "$entry" == "$REPOSITORY@"* ]]; then digest="${entry#"$REPOSITORY@"}"; fi',
          "  done < <(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' \"$target\")",
          "fi",
          'if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "::error::docker push reported no digest for $target"; exit 1; fi',
          'echo "digest=$digest" >> "$GITHUB_OUTPUT"',
          'echo "image=$REPOSITORY@$digest" >> "$GITHUB_OUTPUT"',
          "",
        ].join("\n"),
      },
      ...(s.provenance
        ? [
            {
              // Signed SLSA provenance for the digest: which repository, workflow and commit built it.
              name: "Record build provenance",
              uses: PIPELINE_ACTIONS.attest,
              with: {
                "subject-name": "${{ vars.ECR_REPOSITORY_URL }}",
                "subject-digest": `\${{ steps.${PUSH_STEP}.outputs.digest }}`,
                "push-to-registry": true,
                // A storage record needs artifact-metadata: write and adds nothing Slipway reads.
                "create-storage-record": false,
              },
            },
          ]
        : []),
      ...staticAssetsSteps(),
    ],
  };

  const jobs: Record<string, Job> = { build };
  let previous: string | undefined;
  for (const environment of s.environments) {
    const id = `deploy-${environment.name}`;
    jobs[id] = deployJob(s, environment.name, environment.runsOn, environment.bakeMinutes, previous, environment.canary);
    previous = id;
  }

  return {
    name: "Deliver",
    on: { push: { branches: [s.defaultBranch] }, workflowDispatch: {} },
    permissions: { contents: "read" },
    // No workflow-wide concurrency group: a run waiting for production's reviewers would hold it
    // and keep newer commits from reaching dev and staging. Each deploy job has its own
    // per-environment group instead, which never cancels a deploy under way.
    jobs,
  };
}

/**
 * Runs a Job from one of the workload's suspended CronJob templates with the image being deployed,
 * waits for it to complete or fail (polling both, so a failure stops the deploy at once, not after
 * the deadline), prints its logs and exits non-zero unless it completed. The template's name is
 * the job's `$<templateVariable>`; the script is the same text for every app.
 */
function jobFromTemplateScript(o: { jobInfix: string; templateVariable: string; container?: string; what: string; deadlineMinutes: number }): string {
  const template = `"cronjob/$${o.templateVariable}"`;
  return [
    `job="$APP_NAME-${o.jobInfix}-$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT"`,
    // Without a container the template runs as Terraform made it (the database setup's own image).
    ...(o.container ? [`kubectl -n "$NAMESPACE" set image ${template} ${o.container}="$IMAGE"`] : []),
    `kubectl -n "$NAMESPACE" create job "$job" --from=${template}`,
    "# Poll both outcomes so a failed Job stops the deploy at once, not after the timeout.",
    `deadline=$((SECONDS + ${o.deadlineMinutes * 60}))`,
    "while (( SECONDS < deadline )); do",
    `  conditions="$(kubectl -n "$NAMESPACE" get "job/$job" -o jsonpath='{.status.conditions[?(@.status=="True")].type}' || true)"`,
    '  case " $conditions " in',
    `    *" Complete "*) kubectl -n "$NAMESPACE" logs "job/$job" --all-containers || true; exit 0 ;;`,
    `    *" Failed "*) kubectl -n "$NAMESPACE" logs "job/$job" --all-containers || true; echo "::error::${o.what} job $job failed"; exit 1 ;;`,
    "  esac",
    "  sleep 5",
    "done",
    `echo "::error::${o.what} job $job did not finish within ${o.deadlineMinutes} minutes"`,
    "exit 1",
    "",
  ].join("\n");
}

/**
 * Publishes the downloaded static files to `s3://$ASSETS_BUCKET/$ASSETS_PREFIX` after checking they
 * were copied out of `$IMAGE` (its digest). Fingerprinted files ({@link FINGERPRINTED_ASSET}) are
 * content-addressed: only names the bucket lacks are uploaded (`sync --size-only`), with a year's
 * immutable caching. The others are always uploaded (`cp`: `sync` compares times, and a rollback's
 * older file would look unchanged), cached briefly. Nothing is deleted: the files of earlier releases
 * stay, so a rollback and pages cached before this release still find theirs.
 */
const PUBLISH_ASSETS_SCRIPT = [
  'if [[ "$(cat "$SOURCE/image-digest" 2> /dev/null || true)" != "${IMAGE##*@}" ]]; then',
  '  echo "::error::The static assets artifact does not belong to $IMAGE"',
  "  exit 1",
  "fi",
  'staged="$RUNNER_TEMP/static-assets-by-cache"',
  'rm -rf "$staged" && mkdir -p "$staged/fingerprinted" "$staged/short"',
  "count=0",
  "while IFS= read -r -d '' file; do",
  '  relative="${file#"$SOURCE/files/"}"',
  `  if [[ "\${relative##*/}" =~ ${FINGERPRINTED_ASSET.source} ]]; then kind=fingerprinted; else kind=short; fi`,
  '  mkdir -p "$staged/$kind/$(dirname "$relative")"',
  '  cp "$file" "$staged/$kind/$relative"',
  "  count=$((count + 1))",
  'done < <(find "$SOURCE/files" -type f -print0)',
  'target="s3://$ASSETS_BUCKET/$ASSETS_PREFIX"',
  `aws s3 sync "$staged/fingerprinted" "$target" --size-only --no-progress --cache-control "${STATIC_ASSETS_CACHE_CONTROL.fingerprinted}"`,
  `aws s3 cp "$staged/short" "$target" --recursive --no-progress --cache-control "${STATIC_ASSETS_CACHE_CONTROL.short}"`,
  'echo "Published $count static files to $target"',
  "",
].join("\n");

/**
 * The build job's last steps: the static files copied out of the tested image by its id (never
 * rebuilt), with the digest they belong to, kept as a workflow artifact named for that digest.
 * The deploy jobs publish this copy, so their runners need no Docker.
 */
function staticAssetsSteps(): Step[] {
  return [
    {
      name: "Copy the static assets out of the image",
      id: ASSETS_STEP,
      env: { IMAGE_ID: `\${{ steps.${BUILD_STEP}.outputs.id }}`, DIGEST: `\${{ steps.${PUSH_STEP}.outputs.digest }}`, STATIC_ASSETS_PATH, OUT: ASSETS_DIR },
      shell: "bash",
      run: [
        'if [[ ! "$DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "::error::no pushed digest to copy the static assets for"; exit 1; fi',
        'rm -rf "$OUT" && mkdir -p "$OUT"',
        "# A container is created, never started: its filesystem is the image's.",
        'container="$(docker create --entrypoint /bin/sh "$IMAGE_ID")"',
        "trap 'docker rm \"$container\" > /dev/null' EXIT",
        'if ! docker cp "$container:$STATIC_ASSETS_PATH/." "$OUT/files"; then',
        '  echo "::error::The image has no $STATIC_ASSETS_PATH: the image contract (docs/image-contract.md) puts the static files there; an app without any keeps the folder empty"',
        "  exit 1",
        "fi",
        'mkdir -p "$OUT/files"',
        "# The deploy jobs check this before they publish: these files belong to the image they deploy.",
        'printf \'%s\\n\' "$DIGEST" > "$OUT/image-digest"',
        'echo "Copied $(find "$OUT/files" -type f | wc -l) static files out of $IMAGE_ID"',
        'echo "artifact=static-assets-${DIGEST#sha256:}" >> "$GITHUB_OUTPUT"',
        "",
      ].join("\n"),
    },
    {
      name: "Keep the static assets for the deploy jobs",
      uses: PIPELINE_ACTIONS.uploadArtifact,
      with: { name: `\${{ steps.${ASSETS_STEP}.outputs.artifact }}`, path: ASSETS_DIR, "if-no-files-found": "error", "include-hidden-files": true, overwrite: true },
    },
  ];
}

/**
 * One environment's deploy job. Every value reaches its scripts as an environment variable of the
 * job (names and the health path, validated above, as literal `env` values; account facts from
 * `vars`), read quoted (`"$DEPLOYMENT"`): the `run:` scripts are the same text for every app.
 */
function deployJob(s: Settings, environment: string, runsOn: string | readonly string[], bakeMinutes: number, previous: string | undefined, canary?: PipelineCanary): Job {
  // With a canary: after the migration, the canary's steps; the stable Deployment takes the digest only once they pass.
  const canaryParts = canary && canarySteps(ALARMS_FUNCTIONS);
  // The app's database roles, idempotently, before the migration connects as the schema owner.
  const databaseSetup: Step[] =
    s.databaseSetupTemplateName === undefined
      ? []
      : [
          {
            name: "Set up the database roles",
            id: "db-setup",
            shell: "bash",
            timeoutMinutes: 10,
            run: jobFromTemplateScript({ jobInfix: "db-setup", templateVariable: "DATABASE_SETUP_TEMPLATE", what: "Database setup", deadlineMinutes: 5 }),
          },
        ];
  const migrate: Step[] = !s.migrate
    ? []
    : [
        {
          name: "Migrate the database",
          id: "migrate",
          shell: "bash",
          timeoutMinutes: 20,
          run: jobFromTemplateScript({ jobInfix: "migrate", templateVariable: "MIGRATION_TEMPLATE", container: "migrate", what: "Migration", deadlineMinutes: 15 }),
        },
      ];
  // After the smoke check, the first gate; a failure here fails the job, so the rollback below runs.
  const integrationTest: Step[] = !s.integrationTest
    ? []
    : [
        {
          name: "Integration tests",
          id: "integration-test",
          shell: "bash",
          timeoutMinutes: 15,
          run: jobFromTemplateScript({ jobInfix: "itest", templateVariable: "INTEGRATION_TEST_TEMPLATE", container: "integration-test", what: "Integration test", deadlineMinutes: 10 }),
        },
      ];

  return {
    needs: previous === undefined ? ["build"] : ["build", previous],
    runsOn,
    // Protection rules (required reviewers for production) are set on the GitHub environment.
    environment: { name: environment, url: "${{ vars.APP_URL }}" },
    concurrency: { group: `deploy-${s.appName}-${environment}`, cancelInProgress: false },
    permissions: { contents: "read", idToken: "write" },
    // The bake (and the canary's steps) wait on top of the rest.
    timeoutMinutes: 45 + bakeMinutes + (canary ? canaryMinutes(canary) : 0),
    env: {
      IMAGE: "${{ needs.build.outputs.image }}",
      AWS_REGION: "${{ vars.AWS_REGION }}",
      CLUSTER_NAME: "${{ vars.CLUSTER_NAME }}",
      NAMESPACE: "${{ vars.NAMESPACE }}",
      APP_URL: "${{ vars.APP_URL }}",
      ASSETS_BUCKET: "${{ vars.ASSETS_BUCKET }}",
      ALARMS: "${{ vars.ALARMS }}",
      ASSETS_PREFIX: staticAssetsPrefix(s.staticPathPattern),
      APP_NAME: s.appName,
      DEPLOYMENT: s.deploymentName,
      CONTAINER: s.containerName,
      HEALTH_PATH: s.healthPath,
      ...(s.migrate ? { MIGRATION_TEMPLATE: s.migrationTemplateName } : {}),
      ...(s.databaseSetupTemplateName !== undefined ? { DATABASE_SETUP_TEMPLATE: s.databaseSetupTemplateName } : {}),
      ...(s.integrationTest ? { INTEGRATION_TEST_TEMPLATE: s.integrationTestTemplateName } : {}),
      ...(canary ? canaryJobEnv(canary, s.deploymentName) : {}),
    },
    steps: [
      {
        name: "Configure AWS credentials",
        uses: PIPELINE_ACTIONS.configureAwsCredentials,
        with: { "role-to-assume": "${{ vars.DEPLOY_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" },
      },
      ...secretsCheckStep(s, environment),
      {
        // The copy the build job took out of this very image (same run, named for its digest).
        name: "Download the static assets",
        uses: PIPELINE_ACTIONS.downloadArtifact,
        with: { name: "${{ needs.build.outputs.assets }}", path: ASSETS_DIR },
      },
      {
        // Before the migration and the rollout: the new pods' pages find their files from the first request.
        name: "Publish the static assets",
        shell: "bash",
        env: { SOURCE: ASSETS_DIR },
        run: PUBLISH_ASSETS_SCRIPT,
      },
      {
        name: "Connect to the cluster",
        id: "kubeconfig",
        shell: "bash",
        run: 'aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_REGION"',
      },
      protectImageStep(environment),
      ...databaseSetup,
      ...migrate,
      {
        // Before anything changes: alarms already firing are not the new release's doing.
        name: "Note the alarms already firing",
        id: "alarms-before",
        shell: "bash",
        run: `${ALARMS_FUNCTIONS}firing > "$RUNNER_TEMP/alarms-before"\nwhile IFS= read -r alarm; do echo "::warning::Alarm $alarm is already firing before this rollout: the bake will not blame the release for it"; done < "$RUNNER_TEMP/alarms-before"\n`,
      },
      ...(canaryParts ? [canaryParts.start, canaryParts.run] : []),
      {
        name: canary ? "Roll out the image to the stable Deployment" : "Roll out the image",
        id: "deploy",
        shell: "bash",
        run: 'kubectl -n "$NAMESPACE" set image "deployment/$DEPLOYMENT" "$CONTAINER=$IMAGE"',
      },
      {
        name: "Wait for the rollout",
        shell: "bash",
        run: 'kubectl -n "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout=10m',
      },
      ...(canaryParts ? [canaryParts.finish] : []),
      {
        name: "Smoke check",
        shell: "bash",
        run: 'curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors "$APP_URL$HEALTH_PATH"',
      },
      ...integrationTest,
      {
        // The last gate: the app's alarms, for the bake time; one that fires fails the job, so the rollback below runs.
        name: "Bake on the alarms",
        id: "bake",
        shell: "bash",
        timeoutMinutes: bakeMinutes + 10,
        env: { BAKE_MINUTES: String(bakeMinutes), POLL_SECONDS: String(BAKE_POLL_SECONDS) },
        run: BAKE_SCRIPT,
      },
      ...(canaryParts ? [canaryParts.abort] : []),
      {
        // Only once the Deployment was changed: undoing an untouched Deployment would roll the
        // running, healthy version back to the one before it.
        name: "Roll back",
        if: "failure() && steps.kubeconfig.outcome == 'success' && steps.deploy.outcome == 'success'",
        shell: "bash",
        run: [
          'kubectl -n "$NAMESPACE" rollout undo "deployment/$DEPLOYMENT"',
          'kubectl -n "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout=10m',
          "exit 1",
          "",
        ].join("\n"),
      },
    ],
  };
}

/** Seconds between two looks at the alarms while a release bakes. */
export const BAKE_POLL_SECONDS = 30;

/**
 * Shell functions of the alarm steps: `firing` prints the names of the alarms of `$ALARMS`
 * (`<region>:<name>` separated by spaces) that are in ALARM now, one a line, with one
 * `describe-alarms` call per region (metric alarms only: the deploy role may describe exactly
 * these). Every name reaches `aws` as one argument; an entry of another shape stops the step.
 */
const ALARMS_FUNCTIONS = [
  'read -r -a entries <<< "$ALARMS"',
  "if (( ${#entries[@]} == 0 )); then",
  '  echo "::error::No alarms to watch: the environment variable ALARMS is empty (the app\'s <app>-<env> stack sets it)"',
  "  exit 1",
  "fi",
  "regions=()",
  'for entry in "${entries[@]}"; do',
  '  if [[ ! "$entry" =~ ^([a-z0-9-]+):([A-Za-z0-9._-]+)$ ]]; then echo "::error::ALARMS: $entry is not <region>:<alarm name>"; exit 1; fi',
  '  if [[ " ${regions[*]} " != *" ${BASH_REMATCH[1]} "* ]]; then regions+=("${BASH_REMATCH[1]}"); fi',
  "done",
  "firing() {",
  "  local region entry names",
  '  for region in "${regions[@]}"; do',
  "    names=()",
  '    for entry in "${entries[@]}"; do',
  '      if [[ "${entry%%:*}" == "$region" ]]; then names+=("${entry#*:}"); fi',
  "    done",
  '    if ! aws cloudwatch describe-alarms --region "$region" --alarm-types MetricAlarm --state-value ALARM --alarm-names "${names[@]}" --query "MetricAlarms[].[AlarmName]" --output text; then',
  '      echo "::error::Could not read the alarms in $region: see the aws error above" >&2',
  "      return 1",
  "    fi",
  "  done",
  "}",
  "",
].join("\n");

/**
 * Watches the alarms for `$BAKE_MINUTES`, looking every `$POLL_SECONDS` (and once at the start
 * and the end): an alarm in ALARM that was not firing before the rollout fails the step, naming it.
 */
const BAKE_SCRIPT = [
  ALARMS_FUNCTIONS,
  'before="$RUNNER_TEMP/alarms-before"',
  'touch "$before"',
  "looks=$(( (BAKE_MINUTES * 60 + POLL_SECONDS - 1) / POLL_SECONDS ))",
  "for (( look = 0; ; look++ )); do",
  '  now="$(firing)"',
  "  fired=()",
  "  while IFS= read -r alarm; do",
  '    if [[ -n "$alarm" ]] && ! grep -qxF -- "$alarm" "$before"; then fired+=("$alarm"); fi',
  '  done <<< "$now"',
  "  if (( ${#fired[@]} > 0 )); then",
  '    for alarm in "${fired[@]}"; do echo "::error::Alarm $alarm fired while the release baked: rolling back, no promotion"; done',
  "    exit 1",
  "  fi",
  "  if (( look >= looks )); then break; fi",
  '  sleep "$POLL_SECONDS"',
  "done",
  'echo "No alarm fired in the $BAKE_MINUTES-minute bake"',
  "",
].join("\n");

/**
 * Tags the digest about to run in this environment `deployed.<environment>.<run id>.<attempt>`
 * (a new tag each run and re-run, so the immutable repository accepts it): the environment's
 * lifecycle rule keeps its last deployed images, so what runs and what it may roll back to are
 * never expired ({@link deployedTagPrefix}). Before the migration, the first use of the image. The
 * manifest is read and put back by digest (`--image-digest`: ECR refuses a manifest that is not
 * the deployed one); the registry, region and repository come from the image reference itself.
 */
function protectImageStep(environment: string): Step {
  return {
    name: "Keep the image in the registry",
    shell: "bash",
    env: { DEPLOYED_TAG_PREFIX: deployedTagPrefix(environment) },
    run: [
      'if [[ ! "$IMAGE" =~ ^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?/([a-z0-9._/-]+)@(sha256:[0-9a-f]{64})$ ]]; then',
      '  echo "::error::$IMAGE is not an ECR image reference by digest"',
      "  exit 1",
      "fi",
      'registry="${BASH_REMATCH[1]}" region="${BASH_REMATCH[2]}" repository="${BASH_REMATCH[4]}" digest="${BASH_REMATCH[5]}"',
      'tag="$DEPLOYED_TAG_PREFIX$GITHUB_RUN_ID.$GITHUB_RUN_ATTEMPT"',
      'read_image() { aws ecr batch-get-image --registry-id "$registry" --region "$region" --repository-name "$repository" --image-ids "imageDigest=$digest" --accepted-media-types ' +
        MANIFEST_MEDIA_TYPES.map((t) => `"${t}"`).join(" ") +
        ' --query "images[0].$1" --output text; }',
      'media_type="$(read_image imageManifestMediaType)"',
      'manifest="$(read_image imageManifest)"',
      'if [[ -z "$manifest" || "$manifest" == None ]]; then',
      '  echo "::error::$digest is no longer in $repository (expired by its lifecycle policy?): nothing was deployed; deliver a newer commit"',
      "  exit 1",
      "fi",
      'aws ecr put-image --registry-id "$registry" --region "$region" --repository-name "$repository" --image-tag "$tag" --image-digest "$digest" --image-manifest "$manifest" --image-manifest-media-type "$media_type" --query image.imageId --output text',
      'echo "Tagged $digest $tag: kept while it is among the last images deployed here"',
      "",
    ].join("\n"),
  };
}

/** The manifest types an image may have: Docker's and OCI's, single-platform or index. */
const MANIFEST_MEDIA_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
];

/**
 * Before anything changes: every app secret of the environment has a current value, else the job
 * fails naming each secret without one and the command that sets it. The names reach the script
 * as the step's `SECRET_IDS` (one per line), never spliced into it; `describe-secret` shows
 * version stages, never a value.
 */
function secretsCheckStep(s: Settings, environment: string): Step[] {
  const ids = s.secretIds[environment] ?? [];
  if (ids.length === 0) return [];
  return [
    {
      name: "Check the app's secrets have values",
      env: { SECRET_IDS: ids.join("\n"), SECRETS_ENVIRONMENT: environment },
      shell: "bash",
      run: [
        "missing=0",
        "while IFS= read -r id; do",
        '  [[ -n "$id" ]] || continue',
        '  name="${id##*/}"',
        `  if ! stages="$(aws secretsmanager describe-secret --secret-id "$id" --region "$AWS_REGION" --query VersionIdsToStages --output json)"; then`,
        '    echo "::error::Could not check secret $name ($id) in $SECRETS_ENVIRONMENT: see the aws error above"',
        "    exit 1",
        "  fi",
        "  if [[ \"$stages\" != *'\"AWSCURRENT\"'* ]]; then",
        '    echo "::error::Secret $name ($id) has no value in $SECRETS_ENVIRONMENT. Set it with: npm run secret -- set $APP_NAME $SECRETS_ENVIRONMENT $name (or aws secretsmanager put-secret-value --secret-id $id --secret-string file://<file>)"',
        "    missing=1",
        "  fi",
        'done <<< "$SECRET_IDS"',
        'exit "$missing"',
        "",
      ].join("\n"),
    },
  ];
}
