/**
 * An application's container registry: one ECR repository with immutable tags, scan on push, a
 * dedicated KMS key, lifecycle rules, optional cross-account pulls, and least-privilege grants.
 */
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { accountKeyPolicy, stackPartition, WithAccountAndRegion, withAccountAndRegion } from "./aws-common";
import { checkAccountId, checkRegion, invalid, isKnown, policyJson, resourceName } from "./util";

/** Props of {@link ContainerRegistry}. Only `name` is required. */
export interface ContainerRegistryProps {
  /**
   * The ECR repository name, e.g. `shop/api`: 2-256 characters, lower-case letters and digits in
   * components separated by `.`, `_` or `-`, optionally in `/`-separated namespaces.
   */
  readonly name: string;
  /**
   * The 12-digit AWS account id the registry lives in; scopes the key policy.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The AWS region the registry lives in, e.g. `eu-west-1`; picks the ARN partition.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * How many release images (tagged with `releaseTagPrefix`) to keep, 1-1000; older ones expire.
   * @default 30 - the last 30 releases stay available for rollback
   */
  readonly keepReleaseImages?: number;
  /**
   * Days after which untagged images (superseded build layers, failed pushes) expire, 1-365.
   * @default 7
   */
  readonly untaggedExpiryDays?: number;
  /**
   * The tag prefix of release images, the ones `keepReleaseImages` counts: 1-127 characters of a
   * Docker tag (letters, digits, `_`, `.`, `-`, not starting with `.` or `-`). Images with other
   * tags are never expired by the lifecycle policy.
   * @default "sha-" - the pipeline tags every release `sha-<commit>`
   */
  readonly releaseTagPrefix?: string;
  /**
   * Other AWS accounts (12-digit ids) whose principals may pull images: the environments'
   * accounts. The repository policy lets each account's root delegate pulling (BatchGetImage,
   * GetDownloadUrlForLayer, BatchCheckLayerAvailability) to its own IAM principals, and nothing
   * else. The registry's own account needs no entry (its IAM policies suffice; use `grantPull`).
   * @default [] - no repository policy; only principals of this account, through IAM, can pull
   */
  readonly pullAccountIds?: string[];
  /**
   * The environments the pipeline deploys this registry's images to, in promotion order (e.g.
   * `["dev", "staging", "prod"]`). Each deploy job tags the digest it deploys
   * `deployed.<environment>.<run>.<attempt>` ({@link deployedTagPrefix}); for each environment a
   * lifecycle rule keeps the last `keepDeployedImages` images with its tag, and no later rule (the
   * `sha-` count, another environment's) can expire them. The rules run in reverse promotion order:
   * ECR lets an image be expired only by the first rule whose tags it matches, so an image
   * production runs is counted only among production's deploys, however many builds and
   * dev deploys follow it.
   * @default [] - no deployed-image rules: only the last `keepReleaseImages` builds are kept
   */
  readonly deployEnvironments?: readonly string[];
  /**
   * How many images deployed to each environment to keep, 2-1000: an environment can roll back to
   * any of its last `keepDeployedImages - 1` releases before the running one (a deploy that failed
   * and was rolled back counts as one), and a build waiting for promotion stays while it is among
   * the last `keepDeployedImages` deployed to the environment before. An image deployed anywhere
   * answers to its environments' rules, not to `keepReleaseImages`.
   * @default 30 - as many as `keepReleaseImages` keeps builds
   */
  readonly keepDeployedImages?: number;
  /**
   * Deploy roles in other accounts (ARNs, the roles may not exist yet) that tag the images they
   * deploy: the repository policy lets exactly these principals read a manifest and put a tag
   * (`ecr:BatchGetImage`, `ecr:PutImage`); their own IAM policy comes from {@link ContainerRegistry.grantDeployTag}.
   * Roles of the registry's own account need no entry.
   * @default []
   */
  readonly deployRoleArns?: readonly string[];
  /**
   * Terraform `lifecycle.prevent_destroy` on the repository and its key: the registry holds every
   * released artefact, so `terraform destroy` (or a change that replaces them) fails instead.
   * Set `false` only for throwaway environments.
   * @default true
   */
  readonly preventDestroy?: boolean;
}

/** What can receive a grant: an `aws_iam_role`, or a construct exposing one as `role` (a `GithubActionsRole`). */
export type RegistryGrantee = IamRole | { readonly role: IamRole };

/** Actions that read images from one repository; used for pulls, cross-account pulls and pushes. */
const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
/** Actions a build needs on one repository to push an image (and check what is already there). */
const PUSH_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:DescribeImages",
];
/** What a deploy job needs to tag the digest it deploys: read its manifest, put it back under a new tag. */
const DEPLOY_TAG_ACTIONS = ["ecr:BatchGetImage", "ecr:PutImage"];
const ENVIRONMENT_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/**
 * The prefix of the tags a deploy job writes on the image it deploys to `environment`:
 * `deployed.<environment>.` (then `<run id>.<run attempt>`). The `.` after the name keeps one
 * environment's prefix from matching another's (`deployed.prod.` never matches
 * `deployed.prod-eu.…`): environment names hold no `.`.
 */
export function deployedTagPrefix(environment: string): string {
  return `deployed.${environment}.`;
}

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,126}$/;

/**
 * An ECR repository that is safe by default: tags are immutable (a release tag always names the
 * same image), every push is scanned for vulnerabilities, images are encrypted with a dedicated
 * rotating KMS key, untagged images expire after a week and only the last releases are kept, and
 * the repository cannot be destroyed by accident. Roles get access through `grantPush` and
 * `grantPull`; other accounts pull through `pullAccountIds`.
 */
export class ContainerRegistry extends Construct {
  /** The `aws_ecr_repository`. */
  public readonly repository: EcrRepository;
  /** The repository URL, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`, what `docker push` takes. */
  public readonly repositoryUrl: string;
  /** The repository's ARN, the resource of push and pull policies. */
  public readonly repositoryArn: string;
  /** The repository name (a reference, so users wait for the repository). */
  public readonly repositoryName: string;
  /** The KMS key encrypting the images. */
  public readonly key: KmsKey;
  /** The repository policy for `pullAccountIds` and `deployRoleArns`, when there is one. */
  public readonly repositoryPolicy?: EcrRepositoryPolicy;
  /** How many images deployed to each of `deployEnvironments` the lifecycle policy keeps: each can roll back one fewer. */
  public readonly keepDeployedImages: number;
  /** The lifecycle policy's rules, in priority order, as ECR receives them. */
  public readonly lifecycleRules: readonly LifecycleRule[];

  /** Grants already made, by kind and role, so a repeated grant returns the first policy. */
  private readonly grants = new Map<string, IamRolePolicy>();
  /** The repository name as given, to name grant policies. */
  private readonly name: string;

  constructor(scope: Construct, id: string, given: ContainerRegistryProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);

    const keepReleaseImages = props.keepReleaseImages ?? 30;
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    const releaseTagPrefix = props.releaseTagPrefix ?? "sha-";
    const pullAccountIds = props.pullAccountIds ?? [];
    const preventDestroy = props.preventDestroy ?? true;
    const deployEnvironments = props.deployEnvironments ?? [];
    const keepDeployedImages = props.keepDeployedImages ?? 30;
    const deployRoleArns = props.deployRoleArns ?? [];
    this.validate(props, { keepReleaseImages, untaggedExpiryDays, releaseTagPrefix, pullAccountIds, deployEnvironments, keepDeployedImages, deployRoleArns });

    const { name, accountId, region } = props;
    const { partition } = stackPartition(this, region);
    this.name = name;

    this.key = new KmsKey(this, "Key", {
      description: `ECR images of ${name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // ECR encrypts and decrypts through grants it creates on the key when the repository is
      // created (the creating identity needs kms:CreateGrant, which this statement delegates to the
      // account's IAM policies). Pushers and pullers need no key permission of their own.
      policy: accountKeyPolicy({ partition, accountId }),
      lifecycle: { preventDestroy },
    });
    // KMS alias names allow letters, digits, '/', '_' and '-' only; a repository name may hold '.'.
    new KmsAlias(this, "KeyAlias", {
      ...(isKnown(name) ? { name: `alias/ecr/${name.replace(/\./g, "-")}` } : { namePrefix: "alias/ecr-" }),
      targetKeyId: this.key.keyId,
    });

    this.repository = new EcrRepository(this, "Resource", {
      name,
      // A tag, once pushed, always names the same image: deploys by tag cannot be swapped underneath.
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: this.key.arn }],
      // Never delete a repository that still holds images.
      forceDelete: false,
      lifecycle: { preventDestroy },
    });
    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.repositoryName = this.repository.name;

    this.keepDeployedImages = keepDeployedImages;
    this.lifecycleRules = lifecycleRules({ keepReleaseImages, untaggedExpiryDays, releaseTagPrefix, deployEnvironments, keepDeployedImages });
    new EcrLifecyclePolicy(this, "LifecyclePolicy", {
      repository: this.repository.name,
      policy: policyJson({ rules: this.lifecycleRules }),
    });

    // The registry's own account pulls through IAM alone; listing it would add nothing.
    const otherAccounts = pullAccountIds.filter((account) => !isKnown(account) || account !== accountId);
    const statements: object[] = [];
    if (!isKnown(pullAccountIds) || otherAccounts.length > 0) {
      statements.push({
        Sid: "CrossAccountPull",
        Effect: "Allow",
        // Each account's root: that account's own IAM policies decide which of its principals
        // (the cluster's node role, say) may pull.
        Principal: { AWS: isKnown(pullAccountIds) ? otherAccounts.map((account) => `arn:${partition}:iam::${account}:root`) : pullAccountIds },
        Action: PULL_ACTIONS,
      });
    }
    if (deployRoleArns.length > 0) {
      const accounts = [...new Set(deployRoleArns.map((arn) => ROLE_ARN.exec(arn)?.[1] ?? arn))];
      statements.push({
        Sid: "CrossAccountDeployTag",
        Effect: "Allow",
        // The accounts' roots, narrowed to the named roles by aws:PrincipalArn: a role named as a
        // principal must exist when the policy is set, and the deploy roles come later, in the
        // environments' stacks.
        Principal: { AWS: accounts.map((account) => `arn:${partition}:iam::${account}:root`) },
        Action: DEPLOY_TAG_ACTIONS,
        Condition: { ArnEquals: { "aws:PrincipalArn": [...deployRoleArns] } },
      });
    }
    if (statements.length > 0) {
      this.repositoryPolicy = new EcrRepositoryPolicy(this, "RepositoryPolicy", {
        repository: this.repository.name,
        policy: policyJson({ Version: "2012-10-17", Statement: statements }),
      });
    }
  }

  /**
   * Lets a role push images to this repository (and read what is there, to reuse layers): an
   * inline policy on the role. The policy is created next to the role, in the role's stack (and
   * account), so a role in another stack does not make this stack depend on it.
   * @param grantee the role, or a construct exposing it as `role` (a `GithubActionsRole`)
   * @returns the role's inline policy; granting the same role twice returns the same policy
   */
  public grantPush(grantee: RegistryGrantee): IamRolePolicy {
    return this.grant("Push", grantee, PUSH_ACTIONS);
  }

  /**
   * Lets a role pull images from this repository: an inline policy on the role, created next to
   * the role (see {@link grantPush}).
   * @param grantee the role, or a construct exposing it as `role` (a `GithubActionsRole`)
   * @returns the role's inline policy; granting the same role twice returns the same policy
   */
  public grantPull(grantee: RegistryGrantee): IamRolePolicy {
    return this.grant("Pull", grantee, PULL_ACTIONS);
  }

  /**
   * Lets a deploy role tag the image it deploys (`deployed.<environment>.…`, kept by the
   * environment's lifecycle rule): read one manifest and put it back under a new tag
   * (`ecr:BatchGetImage`, `ecr:PutImage`) on this repository only, no layer upload. A role of
   * another account also needs its ARN in `deployRoleArns`.
   * @param grantee the role, or a construct exposing it as `role` (a `GithubActionsRole`)
   * @returns the role's inline policy; granting the same role twice returns the same policy
   */
  public grantDeployTag(grantee: RegistryGrantee): IamRolePolicy {
    return this.grant("DeployTag", grantee, DEPLOY_TAG_ACTIONS, false);
  }

  private grant(kind: "Push" | "Pull" | "DeployTag", grantee: RegistryGrantee, actions: string[], login = true): IamRolePolicy {
    const role = grantee instanceof IamRole ? grantee : grantee.role;
    const key = `${kind} ${role.node.path}`;
    const existing = this.grants.get(key);
    if (existing) return existing;

    const prefix = `ecr-${kind === "DeployTag" ? "deploy-tag" : kind.toLowerCase()}`;
    // A child of the role, so it lands in the role's stack; the id names this registry by path so
    // several registries can grant to one role.
    const policy = new IamRolePolicy(role, `Ecr${kind}-${this.node.path.replace(/[^A-Za-z0-9]+/g, "-")}`, {
      role: role.name,
      // Inline policy names are unique per role: one per registry and kind.
      ...(isKnown(this.name) ? { name: resourceName([prefix, this.name], 128) } : { namePrefix: `${prefix}-` }),
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          // GetAuthorizationToken is an account-level call with no resource to scope it to (the
          // token's use is still limited to what the statement below allows): the only "*". The
          // deploy tag goes through the ECR API, with no registry login.
          ...(login ? [{ Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }] : []),
          {
            Sid: { Push: "PushImages", Pull: "PullImages", DeployTag: "TagDeployedImages" }[kind],
            Effect: "Allow",
            Action: actions,
            Resource: this.repositoryArn,
          },
          // No kms: statement: ECR encrypts and decrypts layers with its own grants on the key, so
          // pushers and pullers of a KMS-encrypted repository need only ECR permissions.
        ],
      }),
    });
    this.grants.set(key, policy);
    return policy;
  }

  private validate(
    props: WithAccountAndRegion<ContainerRegistryProps>,
    v: {
      keepReleaseImages: number;
      untaggedExpiryDays: number;
      releaseTagPrefix: string;
      pullAccountIds: string[];
      deployEnvironments: readonly string[];
      keepDeployedImages: number;
      deployRoleArns: readonly string[];
    },
  ): void {
    const { name } = props;
    if (isKnown(name) && (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name))) {
      invalid(
        this,
        "name",
        name,
        "an ECR repository name of 2-256 characters: lower-case letters and digits, separated by '.', '_' or '-', in optional '/'-separated namespaces, e.g. shop/api",
      );
    }
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    if (isKnown(v.keepReleaseImages) && (!Number.isInteger(v.keepReleaseImages) || v.keepReleaseImages < 1 || v.keepReleaseImages > 1000)) {
      invalid(this, "keepReleaseImages", v.keepReleaseImages, "a whole number of images from 1 to 1000");
    }
    if (isKnown(v.untaggedExpiryDays) && (!Number.isInteger(v.untaggedExpiryDays) || v.untaggedExpiryDays < 1 || v.untaggedExpiryDays > 365)) {
      invalid(this, "untaggedExpiryDays", v.untaggedExpiryDays, "a whole number of days from 1 to 365");
    }
    if (isKnown(v.releaseTagPrefix) && !TAG_PREFIX.test(v.releaseTagPrefix)) {
      invalid(
        this,
        "releaseTagPrefix",
        v.releaseTagPrefix,
        "a Docker tag prefix of 1-127 letters, digits, '_', '.' and '-', not starting with '.' or '-', e.g. \"sha-\"",
      );
    }
    if (isKnown(v.pullAccountIds)) {
      v.pullAccountIds.forEach((account, i) => {
        checkAccountId(this, `pullAccountIds[${i}]`, account);
        if (isKnown(account) && v.pullAccountIds.indexOf(account) !== i) {
          invalid(this, `pullAccountIds[${i}]`, account, `each account once; ${account} is already listed`);
        }
      });
    }
    // Written into the lifecycle policy's JSON as tag prefixes: literal names only.
    if (!isKnown(v.deployEnvironments) || !Array.isArray(v.deployEnvironments)) {
      invalid(this, "deployEnvironments", v.deployEnvironments, "a list of literal environment names in promotion order, e.g. [\"dev\", \"prod\"]");
    }
    v.deployEnvironments.forEach((environment, i) => {
      if (!isKnown(environment) || typeof environment !== "string" || !ENVIRONMENT_NAME.test(environment) || environment.length > 50) {
        invalid(this, `deployEnvironments[${i}]`, environment, "an environment name: at most 50 lower-case letters, digits and '-', starting with a letter, e.g. prod");
      }
      if (v.deployEnvironments.indexOf(environment) !== i) invalid(this, `deployEnvironments[${i}]`, environment, `each environment once; ${environment} is already listed`);
    });
    if (isKnown(v.keepDeployedImages) && (!Number.isInteger(v.keepDeployedImages) || v.keepDeployedImages < 2 || v.keepDeployedImages > 1000)) {
      invalid(this, "keepDeployedImages", v.keepDeployedImages, "a whole number of images from 2 to 1000 (the running one and at least one to roll back to)");
    }
    v.deployRoleArns.forEach((arn, i) => {
      if (!isKnown(arn) || !ROLE_ARN.test(arn)) invalid(this, `deployRoleArns[${i}]`, arn, "a literal IAM role ARN, e.g. arn:aws:iam::111111111111:role/shop-dev-deploy");
    });
  }
}

/** One rule of an ECR lifecycle policy, as {@link ContainerRegistry} writes them. */
export interface LifecycleRule {
  /** Evaluation order, lowest first: an image is expired only by the first rule whose tags it matches. */
  readonly rulePriority: number;
  /** What the rule keeps, in words. */
  readonly description: string;
  /** Which images the rule counts (`tagStatus`, `tagPrefixList`) and how (`countType`, `countUnit`, `countNumber`). */
  readonly selection: {
    readonly tagStatus: "tagged" | "untagged";
    readonly tagPrefixList?: readonly string[];
    readonly countType: "imageCountMoreThan" | "sinceImagePushed";
    readonly countUnit?: "days";
    readonly countNumber: number;
  };
  /** Always `expire`. */
  readonly action: { readonly type: "expire" };
}

/**
 * The lifecycle rules in priority order. ECR lets an image be expired only by the first rule whose
 * tags it matches (a later rule still counts it, but cannot expire it), so: first each
 * environment's deployed images, the last environment first (an image production runs answers
 * only to production's count, never to dev's or staging's); then untagged images; the build
 * count (`sha-`) last, so it never expires an image an environment deployed.
 */
function lifecycleRules(o: { keepReleaseImages: number; untaggedExpiryDays: number; releaseTagPrefix: string; deployEnvironments: readonly string[]; keepDeployedImages: number }): LifecycleRule[] {
  const deployed: LifecycleRule[] = [...o.deployEnvironments].reverse().map((environment, i) => ({
    rulePriority: i + 1,
    description: `Keep the last ${o.keepDeployedImages} images deployed to ${environment} (tags starting ${deployedTagPrefix(environment)})`,
    selection: { tagStatus: "tagged", tagPrefixList: [deployedTagPrefix(environment)], countType: "imageCountMoreThan", countNumber: o.keepDeployedImages },
    action: { type: "expire" },
  }));
  const next = deployed.length + 1;
  return [
    ...deployed,
    {
      rulePriority: next,
      description: `Expire untagged images ${o.untaggedExpiryDays} days after push`,
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: o.untaggedExpiryDays },
      action: { type: "expire" },
    },
    {
      rulePriority: next + 1,
      description: `Keep the last ${o.keepReleaseImages} release images (tags starting ${o.releaseTagPrefix})`,
      selection: { tagStatus: "tagged", tagPrefixList: [o.releaseTagPrefix], countType: "imageCountMoreThan", countNumber: o.keepReleaseImages },
      action: { type: "expire" },
    },
  ];
}
