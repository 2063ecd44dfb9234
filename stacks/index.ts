/**
 * The whole platform from one validated platform file: a `bootstrap-<account>` stack per AWS
 * account, a `platform-<env>` and a `kube-system-<env>` stack per environment,
 * a `<app>-delivery` stack per app, and a `<app>-<env>` stack per app and environment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { appInEnvironment, PlatformConfig } from "../platform/model";
import { AppEnvironmentStack } from "./app-environment-stack";
import { BootstrapStack, platformAccounts } from "./bootstrap-stack";
import { SlipwayStack } from "./common";
import { DeliveryStack } from "./delivery-stack";
import { KubeSystemStack } from "./kube-system-stack";
import { PlatformStack } from "./platform-stack";

export { AppEnvironmentStack, DNS_ACCESS_VARIABLE } from "./app-environment-stack";
export type { AppDns, AppEnvironmentStackProps } from "./app-environment-stack";
export {
  APPLY_SERVICES,
  BootstrapStack,
  DRIFT_ENVIRONMENT,
  FIRST_APPLY_ENVIRONMENT,
  PLAN_DENIED_ACTIONS,
  PLAN_READ_ACTIONS,
  applyRoleArn,
  ciIdentities,
  dnsRoleDocuments,
  dnsZoneAccess,
  firstApplyReviewers,
  infrastructureRepository,
  platformAccounts,
  primaryAccount,
} from "./bootstrap-stack";
export type { BootstrapStackProps, CiIdentities, DnsZoneAccess } from "./bootstrap-stack";
export { SlipwayStack, StackValidationError, REQUIRED_TERRAFORM_VERSION, configureBackend, defaultTags, environmentAwsProvider } from "./common";
export { DeliveryStack } from "./delivery-stack";
export type { DeliveryStackProps } from "./delivery-stack";
export { KubeSystemStack, clusterKubernetesProvider } from "./kube-system-stack";
export type { KubeSystemStackProps } from "./kube-system-stack";
export { PlatformStack } from "./platform-stack";
export type { PlatformStackProps } from "./platform-stack";

/** The stacks {@link buildPlatform} added. */
export interface Platform {
  /** `bootstrap-<account>`, one per AWS account, in the order the accounts first appear. */
  readonly bootstrapStacks: BootstrapStack[];
  /** `platform-<env>`, one per environment, in promotion order. */
  readonly platformStacks: PlatformStack[];
  /** `kube-system-<env>`, one per environment, in promotion order: the cluster's own services. */
  readonly kubeSystemStacks: KubeSystemStack[];
  /** `<app>-delivery`, one per app, in the platform file's order. */
  readonly deliveryStacks: DeliveryStack[];
  /** `<app>-<env>`, per app then per environment in promotion order. */
  readonly appStacks: AppEnvironmentStack[];
  /** Every stack, in dependency order. */
  readonly stacks: SlipwayStack[];
}

/** Adds every stack of the platform to `scope` (usually the cdktf `App`). */
export function buildPlatform(scope: Construct, platform: PlatformConfig): Platform {
  // CI's identities, the state bucket and the account's one GitHub OIDC provider come first.
  const bootstrapStacks = platformAccounts(platform).map((account) => new BootstrapStack(scope, { platform, account }));
  const platformStacks: PlatformStack[] = platform.environments.map(
    (environment) => new PlatformStack(scope, { platform, environment, bootstrap: bootstrapStacks.find((b) => b.account === environment.account)! }),
  );
  // The cluster's own services (the Cluster Autoscaler), once the cluster exists.
  const kubeSystemStacks = platformStacks.map((platformStack) => new KubeSystemStack(scope, { platform, platformStack }));
  // The registry lives with the last environment in promotion order (production): the account
  // guarded most closely holds the artefacts every environment runs.
  const registryPlatform = platformStacks[platformStacks.length - 1];
  const deliveryStacks: DeliveryStack[] = [];
  const appStacks: AppEnvironmentStack[] = [];
  for (const app of platform.apps) {
    const deliveryStack = new DeliveryStack(scope, { platform, app, platformStacks, registryPlatform });
    deliveryStacks.push(deliveryStack);
    platform.environments.forEach((environment, i) => {
      appStacks.push(
        new AppEnvironmentStack(scope, {
          platform,
          deployment: appInEnvironment(app, environment),
          platformStack: platformStacks[i],
          deliveryStack,
        }),
      );
    });
  }
  return { bootstrapStacks, platformStacks, kubeSystemStacks, deliveryStacks, appStacks, stacks: [...bootstrapStacks, ...platformStacks, ...kubeSystemStacks, ...deliveryStacks, ...appStacks] };
}

/**
 * Writes each app's generated GitHub Actions workflows to `<outdir>/workflows/<app>/`, the same
 * files the delivery stack commits to the app's repository, so a reader can open them. Returns
 * the paths written, relative to `outdir`.
 */
export function writeWorkflowFiles(outdir: string, built: Platform): string[] {
  const written: string[] = [];
  for (const stack of built.deliveryStacks) {
    for (const [file, yaml] of Object.entries({ ...stack.pipeline.workflows, ...stack.pipeline.configFiles })) {
      const relative = path.join("workflows", stack.app.name, path.basename(file));
      fs.mkdirSync(path.dirname(path.join(outdir, relative)), { recursive: true });
      fs.writeFileSync(path.join(outdir, relative), yaml);
      written.push(relative);
    }
  }
  return written;
}
