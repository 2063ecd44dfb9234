/**
 * Slipway as a library: `import { Network, PostgresDatabase } from "slipway"` in your own cdktf app.
 *
 * - every construct, with its props and typed attributes (`constructs/`);
 * - the stacks Slipway composes them into, and {@link buildPlatform} for a whole platform file (`stacks/`);
 * - the platform-file loader, {@link loadPlatformFile} and {@link parsePlatform}, and the types of
 *   the validated model it returns (`platform/`).
 *
 * @packageDocumentation
 */
export * from "./constructs";
export * from "./stacks";
// The retention values log-retention props accept (NetworkProps.flowLogRetentionDays and friends link here).
export { LOG_RETENTION_DAYS } from "./constructs/util";
export {
  appInEnvironment,
  DEFAULT_POSTGRES_VERSION,
  loadPlatformFile,
  parsePlatform,
  PlatformFileError,
  PROFILE_DEFAULTS,
} from "./platform/model";
// The validated model's types; listed (not `export type *`) so internal helpers stay out of the API.
export type {
  AppConfig,
  AppEnvironmentConfig,
  EnvironmentConfig,
  PlatformConfig,
  PlatformProblem,
  PolicySuppression,
  Profile,
  Replicas,
} from "./platform/model";
export type { BackendConfig } from "./platform/schema";
