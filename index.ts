/**
 * Slipway as a library: `import { Network, PostgresDatabase } from "slipway"` in your own cdktf app.
 *
 * - every construct, with its props and typed attributes (`constructs/`): {@link Network},
 *   {@link KubernetesCluster}, {@link SourceRepository}, {@link ContainerRegistry},
 *   {@link DeliveryPipeline}, {@link PostgresDatabase}, {@link LoadBalancer}, {@link Cdn},
 *   {@link KubernetesWorkload}, {@link GithubActionsRole} and {@link GithubOidcProvider}. Each
 *   props page lists every prop with its default; each construct page lists its outputs (public
 *   fields) and intent methods;
 * - the stacks Slipway composes them into, and {@link buildPlatform} for a whole platform file (`stacks/`);
 * - the platform-file loader, {@link loadPlatformFile} and {@link parsePlatform}, and the types of
 *   the validated model it returns (`platform/`).
 *
 * Peer dependencies: `cdktf ~0.21.0`, `constructs ^10.4.2`, `@cdktf/provider-aws ~20.1.0`,
 * `@cdktf/provider-github ~15.3.1`, `@cdktf/provider-kubernetes ~12.1.1`.
 *
 * @packageDocumentation
 */
export * from "./constructs";
export * from "./stacks";
// The options every stack passes to SlipwayStack's constructor (stacks/index.ts re-exports the class, not its options).
export type { SlipwayStackOptions } from "./stacks/common";
// The retention values log-retention props accept (NetworkProps.flowLogRetentionDays and friends link here).
export { LOG_RETENTION_DAYS } from "./constructs/util";
export {
  appInEnvironment,
  DEFAULT_POSTGRES_VERSION,
  loadPlatformFile,
  parsePlatform,
  PlatformFileError,
  PREVIEW_DEFAULTS,
  PROFILE_DEFAULTS,
} from "./platform/model";
// How profile defaults are laid under the platform file, and the types that follow from it.
export { withDefaults } from "./platform/defaults";
export type { DefaultsOf, Simplify, WithDefaults } from "./platform/defaults";
// The validated model's types; listed (not `export type *`) so internal helpers stay out of the API.
export type {
  AppConfig,
  AppEnvironmentConfig,
  BackupCopyConfig,
  CanaryStep,
  CrossAccountZone,
  EnvironmentConfig,
  EnvironmentDefaults,
  PlatformConfig,
  PlatformProblem,
  PolicySuppression,
  Profile,
  PreviewsConfig,
  Replicas,
  Rollout,
} from "./platform/model";
// The platform file as the schema parses it: the model's types are derived from these.
export type { BackendConfig, CostConfig, ParsedApp, ParsedEnvironment, ParsedPlatform } from "./platform/schema";
// Text from outside made a Terraform literal: what the stacks do to the platform file's values.
export { terraformLiteral, terraformLiterals } from "./platform/literal";
