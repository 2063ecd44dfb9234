import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { Construct } from "constructs";
import { AppConfig, EnvironmentConfig, PlatformConfig } from "../platform/model";
import { SlipwayStack, environmentAwsProvider } from "./common";
import { PlatformStack } from "./platform-stack";

export interface DeliveryStackProps {
  readonly platform: PlatformConfig;
  readonly app: AppConfig;
  /** The platform stack of every environment, in promotion order. */
  readonly platformStacks: PlatformStack[];
  /** The environment whose account holds the app's registry and build role. */
  readonly registryEnvironment: EnvironmentConfig;
}

/**
 * `<app>-delivery`: the app's GitHub repository and its rules and environments, its container
 * registry, its CI/CD workflow and the CI build role. One per app, shared by its environments.
 */
export class DeliveryStack extends SlipwayStack {
  readonly description: string;
  readonly app: AppConfig;

  constructor(scope: Construct, props: DeliveryStackProps) {
    const { platform, app } = props;
    super(scope, `${app.name}-delivery`, platform);
    this.app = app;
    environmentAwsProvider(this, "aws", platform, props.registryEnvironment, { "slipway:app": app.name });
    // The token comes from GITHUB_TOKEN (or `gh auth token`) at plan time, never from a file.
    new GithubProvider(this, "github", { owner: platform.github.owner });
    this.description = `${app.name}'s repository ${platform.github.owner}/${app.name}, registry and pipeline (registry in ${props.registryEnvironment.account})`;
  }
}
