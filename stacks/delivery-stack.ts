import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { Construct } from "constructs";
import { ContainerRegistry } from "../constructs/container-registry";
import { appSecretPrefix } from "../constructs/app-secrets";
import { databaseSetupTemplateName } from "../constructs/database-setup";
import { pipelineCanaryOf } from "../constructs/canary";
import { ciRunnerProjectName, codebuildRunnerLabel } from "../constructs/ci-runners";
import { DeliveryPipeline, PIPELINE_REQUIRED_CHECKS } from "../constructs/delivery-pipeline";
import { GithubActionsRole } from "../constructs/github-actions-role";
import { DEFAULT_SKELETON_TEMPLATE, renderSkeleton } from "../constructs/skeleton";
import { SourceRepository } from "../constructs/source-repository";
import { terraformLiterals } from "../platform/literal";
import { AppConfig, appInEnvironment, EnvironmentConfig, PlatformConfig } from "../platform/model";
import { partitionOf } from "../constructs/util";
import { SlipwayStack, environmentAwsProvider } from "./common";
import { PlatformStack } from "./platform-stack";

/** The IAM role name of an app's deploy role in one environment (the `<app>-<env>` stack creates it). */
export function deployRoleName(app: string, environment: string): string {
  return `${app}-${environment}-deploy`;
}

/** Props of {@link DeliveryStack}. */
export interface DeliveryStackProps {
  /** The validated platform file: GitHub owner, environments and backend. */
  readonly platform: PlatformConfig;
  /** The app this stack delivers. */
  readonly app: AppConfig;
  /** The platform stack of every environment, in promotion order. */
  readonly platformStacks: PlatformStack[];
  /** The platform stack whose account holds the app's registry and build role. */
  readonly registryPlatform: PlatformStack;
}

/**
 * `<app>-delivery`: the app's GitHub repository and its rules and environments, the app skeleton
 * committed once at creation, its container registry, its CI/CD workflows and the CI build role.
 * One per app, shared by its environments.
 */
export class DeliveryStack extends SlipwayStack {
  /** One line for the synth summary: the repository, the registry's account, the workflows. */
  readonly description: string;
  /** The app this stack delivers. */
  readonly app: AppConfig;
  /** The app's GitHub repository, its ruleset and one deployment environment per environment. */
  readonly repository: SourceRepository;
  /** The app's ECR repository, in the account of the last environment; every environment's account may pull. */
  readonly registry: ContainerRegistry;
  /** The role the deliver workflow's build job assumes to push; only the default branch can. */
  readonly buildRole: GithubActionsRole;
  /** The app's CI/CD workflows, committed to {@link repository}. */
  readonly pipeline: DeliveryPipeline;

  constructor(scope: Construct, props: DeliveryStackProps) {
    // Platform-file text enters the construct tree here, once, as Terraform literals. The raw
    // config stays for what is not Terraform: policy suppressions, this.app, and the pipeline,
    // whose props are the text of the workflow files it writes (it escapes each file whole).
    const literal = terraformLiterals({ platform: props.platform, app: props.app, registryEnvironment: props.registryPlatform.environment });
    const { platform, app } = literal;
    // Production-grade when any environment is: it holds the registry every environment runs from.
    super(scope, `${app.name}-delivery`, platform, { production: platform.environments.some((e) => e.production), suppressions: props.app.suppressions });
    this.app = props.app;
    const registryEnvironment: EnvironmentConfig = literal.registryEnvironment;
    environmentAwsProvider(this, "aws", platform, registryEnvironment, { "slipway:app": app.name });
    // The token comes from GITHUB_TOKEN (or a GitHub App) at plan time, never from a file.
    new GithubProvider(this, "github", { owner: platform.github.owner });

    const defaultBranch = platform.github.defaultBranch;
    this.repository = new SourceRepository(this, "Repository", {
      name: app.name,
      owner: platform.github.owner,
      description: `${app.name}, delivered by Slipway`,
      defaultBranch,
      requiredStatusChecks: [...PIPELINE_REQUIRED_CHECKS],
      rulesetBypassAppIds: platform.github.appId ? [platform.github.appId] : [],
      // The app's first files, committed once at creation; the team owns them from then on.
      skeletonFiles: renderSkeleton(
        DEFAULT_SKELETON_TEMPLATE,
        { appName: app.name, port: app.port, healthPath: app.healthPath, staticPath: app.staticPath },
        { errorPath: `${this.node.path}/Repository (app skeleton ${DEFAULT_SKELETON_TEMPLATE})` },
      ),
      secretScanning: platform.github.secretScanning,
      environments: platform.environments.map((env) => ({
        name: env.name,
        requireApproval: env.approval.required,
        reviewers: env.approval.required ? env.approval.reviewers : undefined,
      })),
    });

    this.registry = new ContainerRegistry(this, "Registry", {
      name: app.name,
      accountId: registryEnvironment.account,
      region: registryEnvironment.region,
      // Every environment's nodes pull the same images, across accounts.
      pullAccountIds: [...new Set(platform.environments.map((e) => e.account))].filter((a) => a !== registryEnvironment.account),
      // Each deploy job tags the digest it deploys; each environment's last deploys are kept.
      deployEnvironments: props.platform.environments.map((e) => e.name),
      deployRoleArns: props.platform.environments
        .filter((e) => e.account !== props.registryPlatform.environment.account)
        .map((e) => `arn:${partitionOf(e.region).partition}:iam::${e.account}:role/${deployRoleName(props.app.name, e.name)}`),
    });
    this.buildRole = new GithubActionsRole(this, "BuildRole", {
      name: `${app.name}-build`,
      oidcProvider: props.registryPlatform.githubOidc,
      repository: this.repository.fullName,
      allow: { branches: [defaultBranch] },
      description: `Pushes ${app.name}'s images from ${this.repository.fullName}@${defaultBranch}`,
    });
    this.registry.grantPush(this.buildRole);

    const previews = props.app.previews;
    this.pipeline = new DeliveryPipeline(this, "Pipeline", {
      appName: props.app.name,
      testCommand: props.app.testCommand,
      migrateCommand: props.app.migrateCommand,
      integrationTestCommand: props.app.integrationTestCommand,
      // An app's database roles are set up before each migration; `database: none` has neither.
      databaseSetupTemplateName: props.app.database === "none" ? undefined : databaseSetupTemplateName(props.app.name),
      staticPathPattern: props.app.staticPath,
      healthPath: props.app.healthPath,
      defaultBranch: props.platform.github.defaultBranch,
      repository: this.repository,
      environments: props.platform.environments.map((env) => ({ name: env.name, runsOn: env.deploy.runsOn, bakeMinutes: env.deploy.bakeMinutes, canary: pipelineCanaryOf(appInEnvironment(props.app, env)) })),
      secretIds: Object.fromEntries(props.platform.environments.map((env) => [env.name, props.app.secrets.map((secret) => `${appSecretPrefix(props.platform.name, props.app.name, env.name)}/${secret}`)])),
      // The model's resolved previews (undefined when off): their cluster jobs run on the host
      // environment's preview runner (the API is private); the rest comes from the `preview` environment.
      previews: previews === undefined ? undefined : { runsOn: [codebuildRunnerLabel(ciRunnerProjectName(`${props.platform.name}-${previews.environment}`, "preview"))] },
    });
    // The workflows are committed before the ruleset starts requiring pull requests.
    this.repository.ruleset.dependsOn = [...(this.repository.ruleset.dependsOn ?? []), ...Object.values(this.pipeline.files).map((file) => `${file.terraformResourceType}.${file.friendlyUniqueId}`)];

    const variables: Record<string, string> = {
      AWS_REGION: registryEnvironment.region,
      ECR_REPOSITORY_URL: this.registry.repositoryUrl,
      BUILD_ROLE_ARN: this.buildRole.arn,
    };
    for (const name of this.pipeline.variables.repository) {
      if (variables[name] === undefined) throw new Error(`${this.node.path}: the pipeline reads vars.${name}, which this stack does not set`);
      this.repository.addVariable(name, variables[name]);
    }

    const rollbacks = `keeps each environment's last ${this.registry.keepDeployedImages} deployed images: ${this.registry.keepDeployedImages - 1} releases to roll back to`;
    this.description = `${this.repository.fullName}: repository, ECR registry (${registryEnvironment.account}; ${rollbacks}), build role, ${Object.keys(this.pipeline.workflows).length} workflows`;
  }
}
