/**
 * An IAM role for GitHub Actions jobs of one repository, assumed through the account's GitHub OIDC
 * provider: short-lived credentials, no stored keys, and a trust policy of exact subjects.
 */
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { GithubOidcProvider } from "./github-oidc-provider";
import { invalid, isKnown, policyJson, stableIdFragment } from "./util";

/** The GitHub Actions contexts whose jobs may assume the role. */
export interface GithubActionsRoleAllow {
  /**
   * Branch names, e.g. `["main"]`: jobs of push (and other branch-triggered) workflows on exactly
   * these branches. Subject `repo:<owner>/<name>:ref:refs/heads/<branch>`.
   * @default [] - no branch
   */
  readonly branches?: string[];
  /**
   * GitHub deployment environment names, e.g. `["prod"]`: jobs that declare `environment: <name>`
   * (so the environment's protection rules, such as required reviewers, run first). Subject
   * `repo:<owner>/<name>:environment:<env>`.
   * @default [] - no environment
   */
  readonly environments?: string[];
}

/** Props of {@link GithubActionsRole}. Only `maxSessionDurationSeconds` and `description` are optional. */
export interface GithubActionsRoleProps {
  /** The IAM role name: 1-64 letters, digits and `+=,.@_-`. */
  readonly name: string;
  /** The account's GitHub OIDC provider (a `GithubOidcProvider`): the role's federated principal. */
  readonly oidcProvider: { readonly arn: string };
  /**
   * The one GitHub repository whose jobs may assume the role, `owner/name` (e.g. `acme/shop`),
   * spelled with the case GitHub shows: IAM compares subjects case-sensitively.
   */
  readonly repository: string;
  /**
   * Where in `repository` the role may be assumed: at least one branch or environment, each an
   * exact name (no `*` or `?`). Pull requests never can: their subject is not accepted.
   */
  readonly allow: GithubActionsRoleAllow;
  /**
   * The longest session, 3600-43200 seconds. A job's credentials last what
   * `aws-actions/configure-aws-credentials` asks for, up to this.
   * @default 3600 - one hour
   */
  readonly maxSessionDurationSeconds?: number;
  /**
   * The role's description.
   * @default "GitHub Actions (<repository>)"
   */
  readonly description?: string;
}

/** One statement of an inline policy given to {@link GithubActionsRole.addPolicy}. */
export interface PolicyStatement {
  /**
   * A statement id: letters and digits.
   * @default no id
   */
  readonly Sid?: string;
  /** Whether the statement allows or denies its actions. */
  readonly Effect: "Allow" | "Deny";
  /** Actions such as `s3:GetObject`; `"*"` is refused. */
  readonly Action: string | string[];
  /** Resource ARNs; `"*"` is refused unless every action is listed in `allowWildcardResourceFor`. */
  readonly Resource: string | string[];
  /**
   * IAM condition block, e.g. `{ StringEquals: { "aws:RequestedRegion": "eu-west-1" } }`.
   * @default no condition
   */
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** Explicit exceptions for {@link GithubActionsRole.addPolicy}. */
export interface AddPolicyOptions {
  /**
   * Actions that have no resource to scope to (e.g. `ecr:GetAuthorizationToken`,
   * `sts:GetCallerIdentity`) and may therefore take `Resource: "*"`.
   * @default [] - no statement may use `Resource: "*"`
   */
  readonly allowWildcardResourceFor?: string[];
}

/** The EKS cluster a role deploys to; an `aws_eks_cluster` (`KubernetesCluster.cluster`) satisfies it. */
export interface EksClusterRef {
  /** The cluster's name, e.g. `slipway-prod`: the access entry is created on it. */
  readonly name: string;
  /** The cluster's ARN: the resource of the `eks:DescribeCluster` grant. */
  readonly arn: string;
}

const AUDIENCE = "sts.amazonaws.com";
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** GitHub owner (1-39 letters, digits, '-') / repository (1-100 letters, digits, '.', '_', '-'). */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
/** A Kubernetes group name: printable, no spaces, not one of the prefixes EKS keeps for itself. */
const GROUP = /^[\x21-\x7e]{1,253}$/;
const RESERVED_GROUP = /^(system|eks|aws|amazon|iam):/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

/**
 * An IAM role only GitHub Actions jobs of one repository, on listed branches or in listed
 * deployment environments, can assume. The trust policy matches the token's audience and subject
 * with `StringEquals` against exact values, so no other repository, branch, environment, fork or
 * pull request gets in. It starts with no permissions: grant them with intent methods
 * (`registry.grantPush(role)`, {@link allowEksGroup}, {@link addPolicy}).
 */
export class GithubActionsRole extends Construct {
  /** The `aws_iam_role`. */
  public readonly role: IamRole;
  /** The role's ARN, what `aws-actions/configure-aws-credentials` takes as `role-to-assume`. */
  public readonly arn: string;
  /** The role's name (a reference). */
  public readonly roleName: string;
  /** The exact OIDC subjects the trust policy accepts, branches first then environments. */
  public readonly subjects: readonly string[];

  /** Per cluster (by known name, or by object): its grant scope, access entry and Kubernetes groups. */
  private readonly clusters = new Map<unknown, { scope: Construct; entry: EksAccessEntry; groups: string[] }>();

  constructor(scope: Construct, id: string, props: GithubActionsRoleProps) {
    super(scope, id);

    const maxSessionDurationSeconds = props.maxSessionDurationSeconds ?? 3600;
    const branches = props.allow.branches ?? [];
    const environments = props.allow.environments ?? [];
    this.validate(props, { maxSessionDurationSeconds, branches, environments });

    const { repository } = props;
    this.subjects = [
      ...branches.map((branch) => `repo:${repository}:ref:refs/heads/${branch}`),
      ...environments.map((environment) => `repo:${repository}:environment:${environment}`),
    ];

    this.role = new IamRole(this, "Resource", {
      name: props.name,
      description: props.description ?? `GitHub Actions (${repository})`,
      maxSessionDuration: maxSessionDurationSeconds,
      assumeRolePolicy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "GithubActions",
            Effect: "Allow",
            Principal: { Federated: props.oidcProvider.arn },
            Action: "sts:AssumeRoleWithWebIdentity",
            // StringEquals on exact values, never StringLike: a pattern would let other branches,
            // forks' pull requests or other repositories in.
            Condition: {
              StringEquals: {
                [`${GithubOidcProvider.ISSUER}:aud`]: AUDIENCE,
                [`${GithubOidcProvider.ISSUER}:sub`]: [...this.subjects],
              },
            },
          },
        ],
      }),
    });
    this.arn = this.role.arn;
    this.roleName = this.role.name;
  }

  /**
   * Lets the role sign in to an EKS cluster as a member of a Kubernetes group, and grants it
   * nothing by itself: an inline policy allowing only `eks:DescribeCluster` on the cluster (for
   * `aws eks update-kubeconfig`) and an EKS access entry mapping the role into `group`, with no
   * access policy association. What the role may do is exactly what Kubernetes RBAC bindings of
   * `group` allow, e.g. the namespaced deploy Role of `KubernetesWorkload.grantDeploy(group)`.
   * Further groups on the same cluster join the same access entry.
   * `cluster.grantGroupAccess(role, group)` is the same grant in the cluster's form.
   * @param cluster the cluster: a `KubernetesCluster`, or its `name` and `arn`
   * @param group a Kubernetes group name, e.g. `slipway-deploy:shop-prod`
   * @param id construct id of the cluster's grants in this role (the first call on a cluster
   *   fixes it). Defaults to `Eks-<cluster name>`, or `Eks-<the reference>` (e.g.
   *   `Eks-var-cluster_name`) when the name is not known at synth: reordering calls renames nothing.
   * @returns the access entry
   */
  public allowEksGroup(cluster: EksClusterRef, group: string, id?: string): EksAccessEntry {
    if (!isKnown(group) || !GROUP.test(group) || RESERVED_GROUP.test(group)) {
      invalid(
        this,
        "allowEksGroup.group",
        group,
        "a literal Kubernetes group name of 1-253 printable characters without spaces, not starting with system:, eks:, aws:, amazon: or iam: (EKS keeps those), e.g. slipway-deploy:shop-prod",
      );
    }
    const grants = this.clusterGrants(cluster, id);
    if (grants.groups.includes(group)) invalid(this, "allowEksGroup.group", group, "a group not yet granted on this cluster");
    grants.groups.push(group);
    return grants.entry;
  }

  /**
   * Adds an inline policy for grants no intent method covers. `Action: "*"` is always refused,
   * and `Resource: "*"` unless every action of the statement is listed in
   * `options.allowWildcardResourceFor`.
   * @param id the policy's construct id and inline policy name: 1-128 letters, digits and `+=,.@_-`
   * @param statements at least one statement
   * @returns the inline policy
   */
  public addPolicy(id: string, statements: PolicyStatement[], options: AddPolicyOptions = {}): IamRolePolicy {
    if (!POLICY_NAME.test(id)) invalid(this, "addPolicy.id", id, "1-128 letters, digits and '+=,.@_-'");
    if (this.node.tryFindChild(`Policy-${id}`)) invalid(this, "addPolicy.id", id, `a policy id not yet used on this role`);
    const field = "addPolicy.statements";
    if (statements.length === 0) invalid(this, field, statements, "at least one statement");
    const wildcardOk = new Set(options.allowWildcardResourceFor ?? []);
    statements.forEach((statement, i) => {
      const actions = [statement.Action].flat();
      const resources = [statement.Resource].flat();
      if (actions.length === 0) invalid(this, `${field}[${i}].Action`, statement.Action, "at least one action");
      if (resources.length === 0) invalid(this, `${field}[${i}].Resource`, statement.Resource, "at least one resource");
      if (actions.some((action) => isKnown(action) && action.trim() === "*")) {
        invalid(this, `${field}[${i}].Action`, statement.Action, "named actions such as s3:GetObject; \"*\" (every action of every service) is never granted");
      }
      if (resources.some((resource) => isKnown(resource) && resource.trim() === "*") && !actions.every((action) => wildcardOk.has(action))) {
        invalid(
          this,
          `${field}[${i}].Resource`,
          statement.Resource,
          `resource ARNs; "*" only for actions listed in allowWildcardResourceFor (${[...wildcardOk].join(", ") || "none"})`,
        );
      }
    });
    return new IamRolePolicy(this, `Policy-${id}`, {
      name: id,
      role: this.role.name,
      policy: policyJson({ Version: "2012-10-17", Statement: statements }),
    });
  }

  /** The grant scope of a cluster: created with its DescribeCluster policy and access entry on first use. */
  private clusterGrants(cluster: EksClusterRef, id?: string) {
    const clusterName = cluster.name;
    const key = isKnown(clusterName) ? clusterName : cluster;
    const found = this.clusters.get(key);
    if (found) return found;

    const scope = new Construct(this, id ?? `Eks-${stableIdFragment(this, clusterName)}`);
    new IamRolePolicy(scope, "DescribeCluster", {
      name: isKnown(clusterName) ? `eks-describe-${clusterName}`.slice(0, 128) : undefined,
      namePrefix: isKnown(clusterName) ? undefined : "eks-describe-",
      role: this.role.name,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [{ Sid: "DescribeCluster", Effect: "Allow", Action: "eks:DescribeCluster", Resource: cluster.arn }],
      }),
    });
    const groups: string[] = [];
    const entry = new EksAccessEntry(scope, "AccessEntry", {
      clusterName,
      principalArn: this.role.arn,
      type: "STANDARD",
      // No access policy is associated: the groups' RBAC bindings are all the role may do.
      kubernetesGroups: Lazy.listValue({ produce: () => [...groups] }),
    });
    const grants = { scope, entry, groups };
    this.clusters.set(key, grants);
    return grants;
  }

  private validate(props: GithubActionsRoleProps, v: { maxSessionDurationSeconds: number; branches: string[]; environments: string[] }): void {
    if (isKnown(props.name) && !ROLE_NAME.test(props.name)) {
      invalid(this, "name", props.name, "an IAM role name: 1-64 letters, digits and '+=,.@_-'");
    }
    const repository = props.repository;
    if (isKnown(repository) && !REPOSITORY.test(repository)) {
      invalid(this, "repository", repository, "one GitHub repository as 'owner/name', e.g. acme/shop: exactly one '/', no wildcard ('*' or '?')");
    }
    if (isKnown(v.maxSessionDurationSeconds) && (!Number.isInteger(v.maxSessionDurationSeconds) || v.maxSessionDurationSeconds < 3600 || v.maxSessionDurationSeconds > 43200)) {
      invalid(this, "maxSessionDurationSeconds", v.maxSessionDurationSeconds, "a whole number of seconds from 3600 (1 hour) to 43200 (12 hours)");
    }
    if (!isKnown(v.branches) || !isKnown(v.environments)) {
      invalid(this, "allow", props.allow, "literal branch and environment names (the trust policy's subjects are fixed at synth)");
    }
    if (v.branches.length + v.environments.length === 0) {
      invalid(this, "allow", props.allow, "at least one branch or environment, e.g. { branches: [\"main\"] } or { environments: [\"prod\"] }");
    }
    v.branches.forEach((branch, i) => {
      const field = `allow.branches[${i}]`;
      if (!isKnown(branch) || !validBranch(branch)) {
        invalid(this, field, branch, "an exact branch name such as main or release/2024: no '*', '?', spaces, '..', '~^:[\\', not empty, not starting with 'refs/' or '-'");
      }
      if (v.branches.indexOf(branch) !== i) invalid(this, field, branch, `each branch once; ${branch} is already listed`);
    });
    v.environments.forEach((environment, i) => {
      const field = `allow.environments[${i}]`;
      if (!isKnown(environment) || !validEnvironment(environment)) {
        invalid(this, field, environment, "an exact GitHub environment name such as prod: 1-255 characters, no '*', '?' or ':', no leading or trailing space");
      }
      if (v.environments.indexOf(environment) !== i) invalid(this, field, environment, `each environment once; ${environment} is already listed`);
    });
  }
}

/** An exact git branch name (a subset of `git check-ref-format --branch`), without wildcards. */
function validBranch(branch: string): boolean {
  return (
    branch.length > 0 &&
    branch.length <= 255 &&
    !/[\s*?~^:[\\\x00-\x1f\x7f]/.test(branch) &&
    !branch.includes("..") &&
    !branch.includes("//") &&
    !branch.includes("@{") &&
    !branch.startsWith("/") &&
    !branch.startsWith("-") &&
    !branch.startsWith("refs/") &&
    !branch.endsWith("/") &&
    !branch.endsWith(".") &&
    !branch.endsWith(".lock")
  );
}

/** An exact GitHub deployment environment name, without wildcards. */
function validEnvironment(environment: string): boolean {
  return (
    environment.length > 0 &&
    environment.length <= 255 &&
    environment.trim() === environment &&
    !/[*?:\x00-\x1f\x7f]/.test(environment)
  );
}
