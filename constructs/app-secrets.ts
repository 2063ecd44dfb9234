/**
 * An app's own secrets in one environment, held by AWS Secrets Manager: one secret per declared
 * name, encrypted with a rotating customer-managed key of the app and environment, created by
 * Terraform without a value. Values are set from a workstation (`npm run secret -- set …`) and
 * reach the pods through the Secrets Store CSI driver, never through Terraform.
 */
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import { accountKeyPolicy, stackPartition, WithAccountAndRegion, withAccountAndRegion } from "./aws-common";
import { podIdentityTrustPolicy } from "./pod-identity-role";
import { checkAccountId, checkRegion, invalid, isKnown, policyJson } from "./util";

/** Props of {@link AppSecrets}. `name`, `namePrefix` and `secretNames` are required. */
export interface AppSecretsProps {
  /** Names the key alias and the reader role, e.g. `shop-prod`: letters, digits and `-`, at most 50 characters. */
  readonly name: string;
  /**
   * The Secrets Manager name prefix; each secret is `<namePrefix>/<NAME>`. Use
   * {@link appSecretPrefix} (`<platform>/<app>/<env>`). Letters, digits and `/_+=.@-`, not starting
   * or ending with `/`.
   */
  readonly namePrefix: string;
  /** The secrets' names, as the app reads them: environment variable names (`API_KEY`), each once. */
  readonly secretNames: readonly string[];
  /**
   * The AWS account the secrets live in (12 digits).
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The secrets' region, e.g. `eu-west-1`: the CSI provider reads them there.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * Days Secrets Manager keeps a deleted secret (and its value) recoverable, 7-30.
   * @default 30
   */
  readonly recoveryWindowInDays?: number;
  /**
   * Terraform `lifecycle.prevent_destroy` on the key and the secrets: destroying the key makes
   * every value unreadable. `false` for throwaway environments.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * Secrets made elsewhere that the reader role ({@link AppSecrets.allowReadFrom}) may also read,
   * each with the KMS key it is encrypted with, e.g. the database's RDS-managed master secret
   * (`PostgresDatabase.masterUserSecret`), which the pods mount for their database credentials.
   * The reader gets `GetSecretValue`/`DescribeSecret` on exactly these ARNs and `kms:Decrypt` on
   * these keys through Secrets Manager only; Terraform never reads their values.
   * @default [] - only this construct's own secrets
   */
  readonly readableSecrets?: readonly ReadableSecret[];
}

/** A Secrets Manager secret another construct made, and the KMS key it is encrypted with. */
export interface ReadableSecret {
  /** The secret's ARN (a reference), e.g. `PostgresDatabase.masterUserSecret.secretArn`. */
  readonly secretArn: string;
  /** The ARN of the customer-managed KMS key encrypting it. */
  readonly kmsKeyArn: string;
}

/** Where the workload finds its secrets: what {@link AppSecrets} gives `KubernetesWorkload`'s `secretStore`. */
export interface WorkloadSecretStore {
  /** The region the secrets live in. */
  readonly region: string;
  /** Each secret's ARN (or name) by the name the app reads it under, e.g. `{ API_KEY: "arn:aws:secretsmanager:…" }`. */
  readonly secretIds: Readonly<Record<string, string>>;
}

/** A role that can take an inline policy: `GithubActionsRole` satisfies it. */
export interface PolicyGrantee {
  /** Adds an inline policy of `statements` under `id` (as `GithubActionsRole.addPolicy` does). */
  addPolicy(id: string, statements: Array<{ Sid?: string; Effect: "Allow" | "Deny"; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }>): unknown;
}

/** The secret store's reader: the pods' namespace and service account, on a cluster. */
export interface SecretReader {
  /** The namespace the pods run in (a reference, so the association waits for it). */
  readonly namespace: string;
  /** The pods' service account name. */
  readonly serviceAccountName: string;
}

/** Secrets Manager name characters (its documented set); `/` separates the path. */
const SECRET_NAME = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME = /^[A-Za-z0-9-]{1,50}$/;

/** `<platform>/<app>/<environment>`: the prefix of an app's secret names in one environment. */
export function appSecretPrefix(platform: string, app: string, environment: string): string {
  return `${platform}/${app}/${environment}`;
}

/** The one command that sets a secret's value from a workstation (reads the value from stdin, no cluster access). */
export function setSecretCommand(app: string, environment: string, secret: string): string {
  return `npm run secret -- set ${app} ${environment} ${secret}`;
}

/**
 * An app's secrets in one environment. Each name in `secretNames` becomes an
 * `aws_secretsmanager_secret` named `<namePrefix>/<NAME>`, encrypted with this construct's
 * rotating KMS key and tagged with its name; no `aws_secretsmanager_secret_version` exists, so no
 * value is ever in Terraform's configuration, plan or state. A value is set with
 * `aws secretsmanager put-secret-value` (or `npm run secret -- set <app> <env> <NAME>`), and a new
 * value is read by pods when they next mount it (the next rollout at the latest).
 *
 * Intent methods: {@link allowReadFrom} lets one workload's pods read exactly these secrets
 * (EKS Pod Identity); {@link grantDescribe} lets a deploy role check that every secret has a value
 * without being able to read one.
 */
export class AppSecrets extends Construct implements WorkloadSecretStore {
  /** The customer-managed key encrypting the secrets. */
  public readonly key: KmsKey;
  /** The `aws_secretsmanager_secret` of each name. */
  public readonly secrets: Readonly<Record<string, SecretsmanagerSecret>>;
  /** Each secret's Secrets Manager name (`<namePrefix>/<NAME>`), known at synth, by name. */
  public readonly names: Readonly<Record<string, string>>;
  /** Each secret's ARN (a reference) by name. */
  public readonly secretIds: Readonly<Record<string, string>>;
  /** The ARNs of all the secrets (references), in `secretNames` order. */
  public readonly arns: readonly string[];
  /** The region the secrets live in. */
  public readonly region: string;
  /** The secrets made elsewhere that the reader may also read ({@link AppSecretsProps.readableSecrets}). */
  public readonly readableSecrets: readonly ReadableSecret[];
  /** The role the pods read the secrets with, once {@link allowReadFrom} was called. */
  public readerRole?: IamRole;

  private readonly props: WithAccountAndRegion<AppSecretsProps>;
  private readonly dnsSuffix: string;

  constructor(scope: Construct, id: string, given: AppSecretsProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);
    this.props = props;
    this.validate(props);
    const { partition, dnsSuffix } = stackPartition(this, props.region);
    this.dnsSuffix = dnsSuffix;
    this.region = props.region;
    const preventDestroy = props.preventDestroy ?? true;

    this.key = new KmsKey(this, "Key", {
      description: `Secrets of ${props.name} (${props.namePrefix}/*)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // Secrets Manager encrypts with the caller's permissions (kms:ViaService); who may use the
      // key is decided by IAM policies: the reader role below, and whoever sets values.
      policy: accountKeyPolicy({ partition, accountId: props.accountId }),
      tags: { Name: `${props.name}-secrets` },
      lifecycle: { preventDestroy },
    });
    // KMS alias names allow letters, digits, '/', '_' and '-' only.
    new KmsAlias(this, "KeyAlias", { name: `alias/${props.namePrefix.replace(/[^A-Za-z0-9/_-]/g, "-")}/secrets`, targetKeyId: this.key.keyId });

    const secrets: Record<string, SecretsmanagerSecret> = {};
    const names: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const secretName of props.secretNames) {
      const fullName = `${props.namePrefix}/${secretName}`;
      // Deliberately no aws_secretsmanager_secret_version: the value is set out of band, so it is
      // never in Terraform's plan or state.
      secrets[secretName] = new SecretsmanagerSecret(this, `Secret-${secretName}`, {
        name: fullName,
        description: `${secretName} of ${props.name}; set with: ${setSecretCommandFor(props.namePrefix, secretName)}`,
        kmsKeyId: this.key.arn,
        recoveryWindowInDays: props.recoveryWindowInDays ?? 30,
        tags: { Name: fullName, "slipway:secret": secretName },
        lifecycle: { preventDestroy },
      });
      names[secretName] = fullName;
      ids[secretName] = secrets[secretName].arn;
    }
    this.secrets = secrets;
    this.names = names;
    this.secretIds = ids;
    this.arns = Object.values(ids);
    this.readableSecrets = props.readableSecrets ?? [];
  }

  /**
   * Lets the pods of `reader` (one namespace, one service account) read exactly these secrets:
   * an IAM role only EKS Pod Identity can assume, for that service account on `cluster` only,
   * allowed `secretsmanager:GetSecretValue`/`DescribeSecret` on these ARNs and `kms:Decrypt` on the
   * key through Secrets Manager only; and the Pod Identity association binding it to the service
   * account. The Secrets Store CSI driver's AWS provider fetches with this identity
   * (`usePodIdentity`). The role may also read {@link AppSecretsProps.readableSecrets} (the same
   * actions, on exactly those ARNs and keys). Without any secret nothing is created.
   * @returns the role, or undefined when there are no secrets
   */
  public allowReadFrom(reader: SecretReader, cluster: { readonly name: string; readonly arn: string }): IamRole | undefined {
    const readable = this.readableSecrets;
    if (this.arns.length === 0 && readable.length === 0) return undefined;
    if (this.readerRole) invalid(this, "allowReadFrom", reader.serviceAccountName, "one reader: call allowReadFrom once");
    const { accountId, region } = this.props;
    const viaSecretsManager = `secretsmanager.${region}.${this.dnsSuffix}`;
    const role = new IamRole(this, "ReaderRole", {
      name: `${this.props.name}-secrets`.slice(0, 64),
      description: `Pods of ${this.props.name} read its secrets (EKS Pod Identity)`,
      assumeRolePolicy: podIdentityTrustPolicy(accountId, cluster.arn, reader.namespace, reader.serviceAccountName),
      tags: { Name: `${this.props.name}-secrets` },
    });
    new IamRolePolicy(this, "ReaderPolicy", {
      name: "read-app-secrets",
      role: role.name,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          ...(this.arns.length > 0
            ? [
                { Sid: "ReadTheseSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: [...this.arns] },
                {
                  Sid: "DecryptThroughSecretsManager",
                  Effect: "Allow",
                  Action: "kms:Decrypt",
                  Resource: this.key.arn,
                  Condition: { StringEquals: { "kms:ViaService": viaSecretsManager } },
                },
              ]
            : []),
          ...(readable.length > 0
            ? [
                // E.g. the database's master secret: its credentials reach the pods as a file, read at run time.
                { Sid: "ReadGrantedSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: readable.map((r) => r.secretArn) },
                {
                  Sid: "DecryptGrantedSecretsThroughSecretsManager",
                  Effect: "Allow",
                  Action: "kms:Decrypt",
                  Resource: [...new Set(readable.map((r) => r.kmsKeyArn))],
                  Condition: { StringEquals: { "kms:ViaService": viaSecretsManager } },
                },
              ]
            : []),
        ],
      }),
    });
    new EksPodIdentityAssociation(this, "PodIdentity", {
      clusterName: cluster.name,
      namespace: reader.namespace,
      serviceAccount: reader.serviceAccountName,
      roleArn: role.arn,
    });
    this.readerRole = role;
    return role;
  }

  /**
   * Lets `role` (e.g. a `PodIdentityRole` of the app's pods) read exactly these secrets and
   * {@link AppSecretsProps.readableSecrets}, as {@link allowReadFrom}'s role may, for a service account
   * whose identity is made elsewhere. Without any secret nothing is added.
   */
  public grantRead(role: PolicyGrantee): void {
    const viaSecretsManager = `secretsmanager.${this.props.region}.${this.dnsSuffix}`;
    const read = (sid: string, arns: readonly string[], keys: readonly string[]) => [
      { Sid: sid, Effect: "Allow" as const, Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: [...arns] },
      { Sid: `${sid}Decrypt`, Effect: "Allow" as const, Action: "kms:Decrypt", Resource: [...keys], Condition: { StringEquals: { "kms:ViaService": viaSecretsManager } } },
    ];
    const readable = this.readableSecrets;
    const statements = [
      ...(this.arns.length > 0 ? read("ReadAppSecrets", this.arns, [this.key.arn]) : []),
      ...(readable.length > 0 ? read("ReadGrantedSecrets", readable.map((r) => r.secretArn), [...new Set(readable.map((r) => r.kmsKeyArn))]) : []),
    ];
    if (statements.length > 0) role.addPolicy("read-app-secrets", statements);
  }

  /**
   * Lets `role` (a deploy role) check that each secret has a current value
   * (`secretsmanager:DescribeSecret` on these ARNs), never read one (no `GetSecretValue`, no KMS).
   */
  public grantDescribe(role: PolicyGrantee): void {
    if (this.arns.length === 0) return;
    role.addPolicy("DescribeAppSecrets", [{ Sid: "DescribeAppSecrets", Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: [...this.arns] }]);
  }

  private validate(props: WithAccountAndRegion<AppSecretsProps>): void {
    if (isKnown(props.name) && !NAME.test(props.name)) invalid(this, "name", props.name, "1-50 letters, digits and '-', e.g. shop-prod");
    if (isKnown(props.namePrefix) && !SECRET_NAME.test(props.namePrefix)) {
      invalid(this, "namePrefix", props.namePrefix, "a Secrets Manager name path: letters, digits and /_+=.@-, not starting or ending with '/', e.g. slipway/shop/prod");
    }
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    const seen = new Set<string>();
    props.secretNames.forEach((secretName, i) => {
      if (!isKnown(secretName) || !ENV_NAME.test(secretName)) {
        invalid(this, `secretNames[${i}]`, secretName, "an environment variable name known at synth: letters, digits and '_', not starting with a digit, e.g. API_KEY");
      }
      if (seen.has(secretName)) invalid(this, `secretNames[${i}]`, secretName, "names listed once");
      seen.add(secretName);
      // Secrets Manager names are at most 512 characters.
      if (isKnown(props.namePrefix) && props.namePrefix.length + 1 + secretName.length > 512) {
        invalid(this, `secretNames[${i}]`, secretName, `a name that keeps ${props.namePrefix}/<NAME> within Secrets Manager's 512 characters`);
      }
    });
    const days = props.recoveryWindowInDays;
    if (days !== undefined && isKnown(days) && (!Number.isInteger(days) || days < 7 || days > 30)) {
      invalid(this, "recoveryWindowInDays", days, "a whole number of days from 7 to 30");
    }
  }
}

/** The set command, from a prefix made by {@link appSecretPrefix}; the AWS CLI's when the prefix has another shape. */
function setSecretCommandFor(namePrefix: string, secretName: string): string {
  const parts = isKnown(namePrefix) ? namePrefix.split("/") : [];
  return parts.length === 3 ? setSecretCommand(parts[1], parts[2], secretName) : `aws secretsmanager put-secret-value --secret-id ${namePrefix}/${secretName} --secret-string file://value.txt`;
}
