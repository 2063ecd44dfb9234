/**
 * What every Slipway stack shares: its backend, its AWS provider and its description. Providers
 * and backends are configured here, in stacks, never inside a construct.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, PlatformConfig, PolicySuppression } from "../platform/model";

/** What a stack tells the synth summary and the policy rules about itself. */
export interface SlipwayStackOptions {
  /** Production rules apply (multi-AZ, deletion protection, access logs, prevent_destroy). */
  readonly production: boolean;
  /** Accepted policy findings from the platform file, paths relative to the stack. */
  readonly suppressions: readonly PolicySuppression[];
}

/** A stack that says what it is for; the synth summary prints it. */
export abstract class SlipwayStack extends TerraformStack {
  /** One line: what this stack holds. */
  abstract readonly description: string;
  /** Production rules apply to this stack ({@link SlipwayStackOptions.production}). */
  readonly production: boolean;
  /**
   * Accepted policy findings, with construct paths made absolute (`<stack>/<path>`): the rule id,
   * the construct path it is accepted for, and why.
   */
  readonly suppressions: { readonly rule: string; readonly path: string; readonly reason: string }[];

  /**
   * @param scope the app
   * @param stackName the stack's name, e.g. `platform-dev`: its construct id, its folder in
   *   `cdktf.out/stacks/` and its state file or workspace name
   * @param platform the validated platform, for the backend
   * @param options production flag and policy suppressions
   */
  constructor(scope: Construct, readonly stackName: string, platform: PlatformConfig, options: SlipwayStackOptions) {
    super(scope, stackName);
    this.production = options.production;
    this.suppressions = options.suppressions.map((s) => ({
      rule: s.rule,
      path: s.path ? `${stackName}/${s.path.replace(/^\/+|\/+$/g, "")}` : stackName,
      reason: s.reason,
    }));
    configureBackend(this, stackName, platform);
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
  }

  /**
   * cdktf's validations, run by `app.synth()`, with one left out: its cloud backend asks the local
   * `terraform version` at synth time, so a `remote` platform could not be synthesized on a machine
   * without Terraform (and each stack paid for a process). Synthesis needs no Terraform; the
   * version is stated in the output instead (`required_version`), where `terraform init` checks it.
   * Failures throw {@link StackValidationError}, naming each construct.
   */
  override runAllValidations(): void {
    const problems = this.node
      .findAll()
      .filter((c) => !(c instanceof CloudBackend))
      .flatMap((c) => c.node.validate().map((message) => `${c.node.path}: ${message}`));
    if (problems.length > 0) throw new StackValidationError(this.stackName, problems);
  }
}

/**
 * The Terraform versions every stack accepts: 1.10 brings the S3 backend's native lock file
 * (`use_lockfile`); the generated infra workflows install
 * `TERRAFORM_VERSION` (cli/infra-workflows.ts), which a test keeps inside this range.
 */
export const REQUIRED_TERRAFORM_VERSION = ">= 1.10";

/** A construct in a stack failed one of cdktf's own validations (e.g. a resource with no provider). */
export class StackValidationError extends Error {
  constructor(
    /** The stack's name, e.g. `hello-prod`. */
    readonly stackName: string,
    /** One line per failed validation: `<construct path>: <message>`. */
    readonly problems: readonly string[],
  ) {
    super(`${stackName}: ${problems.length} construct validation${problems.length === 1 ? "" : "s"} failed:\n  ${problems.join("\n  ")}`);
    this.name = "StackValidationError";
  }
}

/**
 * The backend the platform file names. Local state lives beside the project, not in `cdktf.out`
 * (which each synth replaces), at a path relative to the stack's working directory
 * `cdktf.out/stacks/<stack>` so the output is the same in any folder.
 */
export function configureBackend(stack: TerraformStack, stackName: string, platform: PlatformConfig): void {
  const backend = platform.backend;
  switch (backend.type) {
    case "local":
      new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
      return;
    case "s3": {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        region: backend.region,
        key: `${backend.keyPrefix.replace(/\/+$/, "")}/${stackName}.tfstate`,
        encrypt: true,
      });
      // Terraform's native S3 lock file (1.10+); cdktf 0.21's typed config predates it.
      s3.addOverride("use_lockfile", true);
      return;
    }
    case "remote":
      new CloudBackend(stack, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${stackName}`),
      });
      return;
  }
}

/** Tags every AWS resource of a stack carries, through the provider's default_tags. */
export function defaultTags(platform: PlatformConfig, tags: Record<string, string>): Record<string, string> {
  return { "slipway:platform": platform.name, "managed-by": "slipway", ...tags };
}

/**
 * The AWS provider for an environment's account and region. It never assumes a role: the
 * credentials come from whoever runs Terraform (a CI job's OIDC role, read-only for pull requests,
 * or your AWS profile on a workstation), so a change under review cannot raise its own power by
 * editing a provider block. `allowed_account_ids` stops a plan run with the wrong account's
 * credentials.
 */
export function environmentAwsProvider(
  scope: Construct,
  id: string,
  platform: PlatformConfig,
  environment: EnvironmentConfig,
  tags: Record<string, string>,
  options: { alias?: string; region?: string } = {},
): AwsProvider {
  return new AwsProvider(scope, id, {
    alias: options.alias,
    region: options.region ?? environment.region,
    allowedAccountIds: [environment.account],
    defaultTags: [{ tags: defaultTags(platform, tags) }],
  });
}
