/**
 * The AWS and GitHub side of an app's pull-request previews, made once in the host environment's
 * `<app>-<env>` stack: the preview identity `<app>-preview-<env>` (GitHub OIDC, trusted only from
 * the app repository's `preview` environment), its own registry `<app>-previews` (so it can never
 * touch a released image), the preview-specific secrets, and the `preview` environment with the
 * variables the preview workflow reads. The identity may push, pull and delete images in its
 * registry, describe the host cluster (whose RBAC, in `PreviewHost`, decides the rest) and read
 * the preview secrets: nothing else in AWS.
 */
import { ActionsEnvironmentVariable } from "@cdktf/provider-github/lib/actions-environment-variable";
import { RepositoryEnvironment } from "@cdktf/provider-github/lib/repository-environment";
import { Construct } from "constructs";
import { withAccountAndRegion } from "./aws-common";
import { AppSecrets, appSecretPrefix } from "./app-secrets";
import { ContainerRegistry } from "./container-registry";
import { EksClusterRef, GithubActionsRole } from "./github-actions-role";
import { SourceRepository } from "./source-repository";
import { invalid, isKnown } from "./util";

/** The app repository's GitHub environment previews deploy from: no reviewers, any branch. */
export const PREVIEW_ENVIRONMENT = "preview";

/** The preview identity's role name: `<app>-preview-<env>`. */
export function previewRoleName(app: string, environment: string): string {
  return `${app}-preview-${environment}`;
}

/** The previews' registry: `<app>-previews`. */
export function previewRegistryName(app: string): string {
  return `${app}-previews`;
}

/** The variables of the `preview` environment, in the order they are made. */
export const PREVIEW_VARIABLES = [
  "PREVIEW_ROLE_ARN",
  "PREVIEW_REGION",
  "PREVIEW_CLUSTER",
  "PREVIEW_REGISTRY",
  "PREVIEW_DOMAIN",
  "PREVIEW_MAX",
  "PREVIEW_TTL_HOURS",
  "PREVIEW_DATABASE",
  "PREVIEW_MANIFEST",
  "PREVIEW_DB_JOB",
  "PREVIEW_TASK_JOB",
  "PREVIEW_SECRETS",
  "PREVIEW_MIGRATE",
  "PREVIEW_SEED",
  "PREVIEW_INTEGRATION_TEST",
] as const;

/** Props of {@link PreviewAccess}. */
export interface PreviewAccessProps {
  /** The app's name. */
  readonly app: string;
  /** The host environment's name. */
  readonly environment: string;
  /** The platform's name: the preview secrets are `<platform>/<app>/preview/<NAME>`. */
  readonly platform: string;
  /**
   * The host environment's AWS account (ARNs in the role's policies).
   * @default the stack's: its AWS provider's single allowed account, else the caller identity at plan time
   */
  readonly accountId?: string;
  /**
   * The host environment's region (the registry, the secrets, `PREVIEW_REGION`).
   * @default the stack's AWS provider's region, else the region at plan time
   */
  readonly region?: string;
  /** The account's GitHub OIDC provider. */
  readonly oidcProvider: { readonly arn: string };
  /** The app repository: `owner/name` (the trust's subject) and its name (the environment's repository). */
  readonly repository: { readonly fullName: string; readonly name: string };
  /** The host cluster, and the Kubernetes group the identity is mapped into (its RBAC is `PreviewHost`'s). */
  readonly cluster: EksClusterRef;
  /** The Kubernetes group the preview identity is mapped into, e.g. `slipway:<app>-previews`. */
  readonly group: string;
  /** The app's domain in the host environment: previews are `pr-<n>.<domain>`. */
  readonly domain: string;
  /** Most previews at once (1-20), `PREVIEW_MAX`: the workflow refuses a new preview beyond it. */
  readonly maxConcurrent: number;
  /** Hours a preview may sit idle before the sweep removes it (1-720), `PREVIEW_TTL_HOURS`. */
  readonly ttlHours: number;
  /** The preview-specific secrets' names. @default none */
  readonly secretNames?: readonly string[];
  /** Whether previews get a database (`PREVIEW_DB_JOB` is set only then). */
  readonly database: boolean;
  /** The rendered templates (`PreviewHost.templates`). */
  readonly templates: { readonly manifest: string; readonly taskJob: string; readonly databaseJob?: string };
  /**
   * The shell commands the workflow runs as tasks (`PREVIEW_TASK_JOB`'s `__COMMAND__` is
   * `["/bin/sh", "-c", <command>]`, built with jq): each as given, a variable only when set.
   */
  readonly commands: { readonly migrate?: string; readonly seed?: string; readonly integrationTest?: string };
}

/** The preview identity, its registry and secrets, and the `preview` environment (see the file comment). */
export class PreviewAccess extends Construct {
  /** `<app>-preview-<env>`: trusted only from `repo:<owner>/<repo>:environment:preview`. */
  public readonly role: GithubActionsRole;
  /** `<app>-previews`: immutable tags `pr-<n>-<sha>`, expired after the time to live. */
  public readonly registry: ContainerRegistry;
  /** The preview-specific secrets (no values in Terraform); undefined without any (no key to pay for). */
  public readonly secrets?: AppSecrets;
  /** The app repository's `preview` environment. */
  public readonly environment: RepositoryEnvironment;
  /** Each variable of the environment by name. */
  public readonly variables: Readonly<Record<string, ActionsEnvironmentVariable>>;

  constructor(scope: Construct, id: string, given: PreviewAccessProps) {
    super(scope, id);
    const props = withAccountAndRegion(this, given);
    const { app } = props;
    if (isKnown(props.maxConcurrent) && !(Number.isInteger(props.maxConcurrent) && props.maxConcurrent >= 1 && props.maxConcurrent <= 20)) invalid(this, "maxConcurrent", props.maxConcurrent, "a whole number from 1 to 20");
    if (isKnown(props.ttlHours) && !(Number.isInteger(props.ttlHours) && props.ttlHours >= 1 && props.ttlHours <= 720)) invalid(this, "ttlHours", props.ttlHours, "a whole number of hours from 1 to 720");
    if (props.database !== (props.templates.databaseJob !== undefined)) invalid(this, "templates.databaseJob", props.templates.databaseJob === undefined ? "none" : "given", "a database Job exactly when previews get a database");

    this.role = new GithubActionsRole(this, "Role", {
      name: previewRoleName(app, props.environment),
      oidcProvider: props.oidcProvider,
      repository: props.repository.fullName,
      allow: { environments: [PREVIEW_ENVIRONMENT] },
      // A preview job's session outlives no preview job.
      maxSessionDurationSeconds: 3600,
      description: `Deploys pull-request previews of ${app} to ${props.environment} from ${props.repository.fullName}'s ${PREVIEW_ENVIRONMENT} environment`,
    });

    // Previews' images live apart from released ones; a day past the time to live they are gone
    // even when no sweep ran.
    this.registry = new ContainerRegistry(this, "Registry", {
      name: previewRegistryName(app),
      accountId: props.accountId,
      region: props.region,
      releaseTagPrefix: "pr-",
      keepReleaseImages: 100,
      untaggedExpiryDays: 1,
      preventDestroy: false,
    });
    this.registry.grantPush(this.role);
    this.role.addPolicy("delete-preview-images", [
      { Sid: "DeletePreviewImages", Effect: "Allow", Action: ["ecr:BatchDeleteImage", "ecr:ListImages", "ecr:DescribeImages"], Resource: this.registry.repositoryArn },
    ]);
    // eks:DescribeCluster on this cluster, and the access entry into the previews' group.
    // One host cluster: a fixed id, as the deploy role's, so no cross-stack reference becomes part of the address.
    this.role.allowEksGroup(props.cluster, props.group, "Eks0");

    const secretNames = props.secretNames ?? [];
    if (secretNames.length > 0) {
      this.secrets = new AppSecrets(this, "Secrets", {
        name: `${app}-previews`,
        namePrefix: appSecretPrefix(props.platform, app, PREVIEW_ENVIRONMENT),
        secretNames,
        accountId: props.accountId,
        region: props.region,
        recoveryWindowInDays: 7,
        preventDestroy: false,
      });
      this.secrets.grantRead(this.role);
    }

    // Any branch, no reviewers: a pull request deploys its own preview. Forks get no OIDC token
    // (and the workflow does not run for them), so the trust on this environment is enough.
    this.environment = new RepositoryEnvironment(this, "Environment", {
      repository: props.repository.name,
      environment: PREVIEW_ENVIRONMENT,
      canAdminsBypass: false,
    });

    const values: Record<(typeof PREVIEW_VARIABLES)[number], string | undefined> = {
      PREVIEW_ROLE_ARN: this.role.arn,
      PREVIEW_REGION: props.region,
      PREVIEW_CLUSTER: props.cluster.name,
      PREVIEW_REGISTRY: this.registry.repositoryUrl,
      PREVIEW_DOMAIN: props.domain,
      PREVIEW_MAX: String(props.maxConcurrent),
      PREVIEW_TTL_HOURS: String(props.ttlHours),
      PREVIEW_DATABASE: props.database ? "postgres" : "none",
      PREVIEW_MANIFEST: props.templates.manifest,
      PREVIEW_DB_JOB: props.templates.databaseJob,
      PREVIEW_TASK_JOB: props.templates.taskJob,
      // Secret name -> its Secrets Manager id: the workflow reads each and makes Secret app-secrets.
      PREVIEW_SECRETS: JSON.stringify({ ...this.secrets?.names }),
      PREVIEW_MIGRATE: props.commands.migrate,
      PREVIEW_SEED: props.commands.seed,
      PREVIEW_INTEGRATION_TEST: props.commands.integrationTest,
    };
    const variables: Record<string, ActionsEnvironmentVariable> = {};
    for (const name of PREVIEW_VARIABLES) {
      const value = values[name];
      if (value === undefined) continue;
      // Construct ids in kebab case (`Variable-preview-role-arn`).
      variables[name] = SourceRepository.environmentVariable(this, `Variable-${name.toLowerCase().replace(/_/g, "-")}`, { repository: props.repository.name, environment: this.environment.environment, name, value });
    }
    this.variables = variables;
  }
}
