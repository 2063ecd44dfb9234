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
import { accountKeyPolicy } from "./aws-common";
import { checkAccountId, checkRegion, invalid, isKnown, partitionOf, policyJson, resourceName } from "./util";

/** Props of {@link ContainerRegistry}. Only `name`, `accountId` and `region` are required. */
export interface ContainerRegistryProps {
  /**
   * The ECR repository name, e.g. `shop/api`: 2-256 characters, lower-case letters and digits in
   * components separated by `.`, `_` or `-`, optionally in `/`-separated namespaces.
   */
  readonly name: string;
  /** The 12-digit AWS account id the registry lives in; scopes the key policy. */
  readonly accountId: string;
  /** The AWS region the registry lives in, e.g. `eu-west-1`; picks the ARN partition. */
  readonly region: string;
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
  /** The repository policy for `pullAccountIds`, when there is one. */
  public readonly repositoryPolicy?: EcrRepositoryPolicy;

  /** Grants already made, by kind and role, so a repeated grant returns the first policy. */
  private readonly grants = new Map<string, IamRolePolicy>();
  /** The repository name as given, to name grant policies. */
  private readonly name: string;

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);

    const keepReleaseImages = props.keepReleaseImages ?? 30;
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    const releaseTagPrefix = props.releaseTagPrefix ?? "sha-";
    const pullAccountIds = props.pullAccountIds ?? [];
    const preventDestroy = props.preventDestroy ?? true;
    this.validate(props, { keepReleaseImages, untaggedExpiryDays, releaseTagPrefix, pullAccountIds });

    const { name, accountId, region } = props;
    const { partition } = partitionOf(region);
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

    new EcrLifecyclePolicy(this, "LifecyclePolicy", {
      repository: this.repository.name,
      policy: policyJson({
        rules: [
          {
            rulePriority: 1,
            description: `Expire untagged images ${untaggedExpiryDays} days after push`,
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: `Keep the last ${keepReleaseImages} release images (tags starting ${releaseTagPrefix})`,
            selection: { tagStatus: "tagged", tagPrefixList: [releaseTagPrefix], countType: "imageCountMoreThan", countNumber: keepReleaseImages },
            action: { type: "expire" },
          },
        ],
      }),
    });

    // The registry's own account pulls through IAM alone; listing it would add nothing.
    const otherAccounts = pullAccountIds.filter((account) => !isKnown(account) || account !== accountId);
    if (!isKnown(pullAccountIds) || otherAccounts.length > 0) {
      this.repositoryPolicy = new EcrRepositoryPolicy(this, "RepositoryPolicy", {
        repository: this.repository.name,
        policy: policyJson({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CrossAccountPull",
              Effect: "Allow",
              // Each account's root: that account's own IAM policies decide which of its principals
              // (the cluster's node role, say) may pull.
              Principal: { AWS: isKnown(pullAccountIds) ? otherAccounts.map((account) => `arn:${partition}:iam::${account}:root`) : pullAccountIds },
              Action: PULL_ACTIONS,
            },
          ],
        }),
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

  private grant(kind: "Push" | "Pull", grantee: RegistryGrantee, actions: string[]): IamRolePolicy {
    const role = grantee instanceof IamRole ? grantee : grantee.role;
    const key = `${kind} ${role.node.path}`;
    const existing = this.grants.get(key);
    if (existing) return existing;

    const prefix = `ecr-${kind.toLowerCase()}`;
    // A child of the role, so it lands in the role's stack; the id names this registry by path so
    // several registries can grant to one role.
    const policy = new IamRolePolicy(role, `Ecr${kind}-${this.node.path.replace(/[^A-Za-z0-9]+/g, "-")}`, {
      role: role.name,
      // Inline policy names are unique per role: one per registry and kind.
      ...(isKnown(this.name) ? { name: resourceName([prefix, this.name], 128) } : { namePrefix: `${prefix}-` }),
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            // GetAuthorizationToken is an account-level call with no resource to scope it to
            // (the token's use is still limited to what the statement below allows): the only "*".
            Sid: "EcrLogin",
            Effect: "Allow",
            Action: "ecr:GetAuthorizationToken",
            Resource: "*",
          },
          {
            Sid: kind === "Push" ? "PushImages" : "PullImages",
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
    props: ContainerRegistryProps,
    v: { keepReleaseImages: number; untaggedExpiryDays: number; releaseTagPrefix: string; pullAccountIds: string[] },
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
  }
}
