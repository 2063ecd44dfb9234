/**
 * One validator per kind of value, shared by the platform file's model (`platform/schema.ts`,
 * `platform/model.ts`) and the constructs, so a value the model accepts is a value every construct
 * that receives it accepts too: the model reports every problem at once with its file, line and
 * path; a construct's own guard is the same check, for library users.
 *
 * Each validator answers `undefined` for a valid value, or what would be valid (for this value
 * where that helps, e.g. "did you mean 10.0.0.0/16?"). Constructs call {@link checkValue}, which
 * skips unresolved tokens.
 */
import { IConstruct } from "constructs";
import { AWS_ACCOUNT_ID_PATTERN, AWS_REGION_PATTERN, invalid, isKnown, parseCidr } from "./util";

/** A kind of value: what is valid, and a check. */
export interface ValueValidator<T = string> {
  /** What a valid value looks like, e.g. `a Kubernetes CPU quantity such as 250m, 0.5 or 1`. */
  readonly accepted: string;
  /**
   * A regular expression every valid value matches (written into the JSON Schema for editors);
   * the full check is {@link ValueValidator.problem}.
   */
  readonly pattern?: RegExp;
  /** `undefined` when `value` is valid; otherwise what would be valid. */
  problem(value: T): string | undefined;
}

/** A validator that is a regular expression (and optionally a length limit). */
function byPattern(pattern: RegExp, accepted: string, maxLength = Infinity): ValueValidator {
  return {
    accepted,
    pattern,
    problem: (value) => (typeof value === "string" && pattern.test(value) && value.length <= maxLength ? undefined : accepted),
  };
}

/**
 * Fails validation of `scope` when `validator` refuses `value` (skipped for an unresolved token).
 * @param field the prop, e.g. `cpu` or `publicAccessCidrs[0]`
 */
export function checkValue<T>(scope: IConstruct, field: string, value: T, validator: ValueValidator<T>): void {
  if (!isKnown(value)) return;
  const problem = validator.problem(value);
  if (problem !== undefined) invalid(scope, field, value, problem);
}

// --- Kubernetes -------------------------------------------------------------------------------

const CPU = /^(\d+m|\d+(\.\d{1,3})?)$/;

/** A CPU quantity in millicores: `250m` is 250, `0.5` is 500, `2` is 2000. */
export function millicores(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}

/** A positive Kubernetes CPU quantity: millicores (`250m`) or cores with at most three decimals (`0.5`, `2`). */
export const cpuQuantity: ValueValidator = {
  accepted: "a positive Kubernetes CPU quantity such as 250m, 0.5 or 1 (at most three decimals)",
  pattern: CPU,
  problem(value) {
    return typeof value === "string" && CPU.test(value) && millicores(value) > 0 ? undefined : this.accepted;
  },
};

/** A positive Kubernetes memory quantity in bytes or with a unit (Ki, Mi, Gi, Ti, k, M, G, T). */
export const memoryQuantity = byPattern(
  /^[1-9]\d*(Ki|Mi|Gi|Ti|k|M|G|T)?$/,
  "a positive Kubernetes memory quantity such as 256Mi or 1Gi (Ki, Mi, Gi, Ti, or k, M, G, T; 'm' would mean thousandths of a byte)",
);

/** A Kubernetes minor version pinned as `1.NN`. */
export const kubernetesVersion = byPattern(/^1\.\d{2}$/, "a pinned Kubernetes minor version '1.NN', e.g. 1.33");

/** The lowest port a container may listen on: the pods run as a non-root user without capabilities. */
export const FIRST_UNPRIVILEGED_PORT = 1024;

/** The port an app's container listens on. */
export const containerPort: ValueValidator<number> = {
  accepted: `a whole port number from ${FIRST_UNPRIVILEGED_PORT} to 65535: the container runs as a non-root user without capabilities, so it cannot bind a lower port (listen on e.g. 8080)`,
  problem(value) {
    return Number.isInteger(value) && value >= FIRST_UNPRIVILEGED_PORT && value <= 65535 ? undefined : this.accepted;
  },
};

/** A destination port, 1-65535. */
export const port: ValueValidator<number> = {
  accepted: "a whole port number from 1 to 65535",
  problem(value) {
    return Number.isInteger(value) && value >= 1 && value <= 65535 ? undefined : this.accepted;
  },
};

/** A Kubernetes NodePort in the cluster's default range. */
export const nodePort: ValueValidator<number> = {
  accepted: "a Kubernetes NodePort, a whole number from 30000 to 32767 (the cluster's NodePort range)",
  problem(value) {
    return Number.isInteger(value) && value >= 30000 && value <= 32767 ? undefined : this.accepted;
  },
};

/** An environment variable name: letters, digits and `_`, not starting with a digit. */
export const environmentVariableName = byPattern(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "an environment variable name of letters, digits and '_', not starting with a digit, e.g. LOG_LEVEL",
);

// --- AWS --------------------------------------------------------------------------------------

/** A 12-digit AWS account id. */
export const awsAccountId = byPattern(AWS_ACCOUNT_ID_PATTERN, "a 12-digit AWS account id");

/** An AWS region name such as `eu-west-1` or `us-gov-west-1`. */
export const awsRegion = byPattern(AWS_REGION_PATTERN, "an AWS region such as eu-west-1");

const IAM_ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** An IAM role ARN, e.g. `arn:aws:iam::123456789012:role/deploy` (paths allowed). */
export const iamRoleArn = byPattern(IAM_ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/deploy");

/** An IAM role or user ARN: a principal an EKS access entry can name. */
export const iamPrincipalArn = byPattern(
  /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/,
  "an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/deploy",
);

/** The account of an IAM role ARN, or undefined when it is not one. */
export function accountOfRoleArn(arn: string): string | undefined {
  return IAM_ROLE_ARN.exec(arn)?.[2];
}

/** A WAFv2 web ACL of scope CLOUDFRONT: CloudFront takes only those, and they live in us-east-1. */
export const cloudFrontWebAclArn = byPattern(
  /^arn:aws:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  "a WAFv2 web ACL ARN of scope CLOUDFRONT (in us-east-1), global/webacl/<name>/<id>, e.g. arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0123abcd-4567-89ab-cdef-0123456789ab",
);

/** A Route 53 hosted zone id. */
export const hostedZoneId = byPattern(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");

const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/**
 * Families whose instances cannot trunk network interfaces, so the VPC CNI cannot give their pods
 * security groups of their own (which each app's database access relies on): the burstable `t`
 * family and the Xen-based previous generations.
 */
const NO_POD_ENI_TRUNKING = /^(t\d[a-z]*|[mc][1-4]|r[34]|i[23]|x1e?|d2|g[23]s?|p[23]|h1)\./;

/**
 * An EC2 instance type for the cluster's nodes, such as `m6i.large`: one whose network interfaces
 * can trunk, since every app's pods get a security group of their own (security groups for pods).
 */
export const ec2InstanceType: ValueValidator = {
  accepted: "an EC2 instance type whose network interfaces can trunk (security groups for pods), such as m6i.large, c6i.large or m7g.large; not the t family or the Xen-based previous generations",
  pattern: EC2_INSTANCE_TYPE,
  problem(value) {
    if (typeof value !== "string" || !EC2_INSTANCE_TYPE.test(value)) return "an EC2 instance type such as m6i.large";
    if (NO_POD_ENI_TRUNKING.test(value)) return this.accepted;
    return undefined;
  },
};

/** True for a Graviton (arm64) instance type such as `m7g.large` or `c7gn.xlarge`. */
export function isGravitonInstanceType(type: string): boolean {
  return /^[a-z]+\d+g[a-z-]*\./.test(type);
}

/** EKS's default quota of nodes in one managed node group. */
export const MAX_NODES_PER_NODE_GROUP = 450;

/** A node count of a managed node group. */
export const nodeCount: ValueValidator<number> = {
  accepted: `a whole number of nodes, at least 1 and at most ${MAX_NODES_PER_NODE_GROUP} (EKS's quota of nodes per managed node group)`,
  problem(value) {
    return Number.isInteger(value) && value >= 1 && value <= MAX_NODES_PER_NODE_GROUP ? undefined : this.accepted;
  },
};

/** RDS for PostgreSQL's gp3 storage range, in GiB. */
export const RDS_STORAGE_GIB = { min: 20, max: 65536 } as const;

/** Allocated RDS storage in GiB. */
export const rdsStorageGiB: ValueValidator<number> = {
  accepted: `a whole number of GiB from ${RDS_STORAGE_GIB.min} to ${RDS_STORAGE_GIB.max} (gp3's range for RDS)`,
  problem(value) {
    return Number.isInteger(value) && value >= RDS_STORAGE_GIB.min && value <= RDS_STORAGE_GIB.max ? undefined : this.accepted;
  },
};

/** RDS automated backups (the point-in-time recovery window), in days. */
export const rdsBackupRetentionDays: ValueValidator<number> = {
  accepted: "a whole number of days from 1 to 35 (RDS's range for automated backups)",
  problem(value) {
    return Number.isInteger(value) && value >= 1 && value <= 35 ? undefined : this.accepted;
  },
};

/** Days AWS Backup keeps a recovery point in a locked vault. */
export const backupVaultRetentionDays: ValueValidator<number> = {
  accepted: "a whole number of days from 7 to 36500",
  problem(value) {
    return Number.isInteger(value) && value >= 7 && value <= 36500 ? undefined : this.accepted;
  },
};

// --- Networks ---------------------------------------------------------------------------------

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((s) => (value >>> s) & 255).join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

/** What is wrong with an IPv4 network CIDR, or undefined. */
function cidrProblem(value: string, accepted: string): string | undefined {
  if (typeof value !== "string") return accepted;
  const parsed = parseCidr(value);
  if (!parsed) return accepted;
  const base = (parsed.network & mask(parsed.prefix)) >>> 0;
  if (base !== parsed.network) return `${accepted}; this one has host bits set: did you mean ${formatIpv4(base)}/${parsed.prefix}?`;
  return undefined;
}

const CIDR_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/\d{1,2}$/;

/** An IPv4 network CIDR: octets 0-255, prefix 0-32, no host bits set. */
export const ipv4Cidr: ValueValidator = {
  accepted: "an IPv4 CIDR of a network such as 10.0.0.0/16 (octets 0-255, prefix 0-32, no host bits set)",
  pattern: CIDR_SHAPE,
  problem(value) {
    return cidrProblem(value, this.accepted);
  },
};

/** A VPC's CIDR: /16 to /23, which the Network construct splits into up to 4 zones' subnets. */
export const vpcCidr: ValueValidator = {
  accepted: "an IPv4 network CIDR with a prefix from /16 to /23 and no host bits set, e.g. 10.0.0.0/16",
  pattern: CIDR_SHAPE,
  problem(value) {
    const problem = cidrProblem(value, this.accepted);
    if (problem) return problem;
    const prefix = parseCidr(value)!.prefix;
    return prefix < 16 || prefix > 23 ? `${this.accepted}; /${prefix} is out of range` : undefined;
  },
};

/** A CIDR allowed to reach a public endpoint: a network narrower than the whole internet. */
export const publicAccessCidr: ValueValidator = {
  accepted: "an IPv4 CIDR narrower than the whole internet (no host bits set), e.g. 203.0.113.0/24: list your offices, VPN or CI egress",
  pattern: CIDR_SHAPE,
  problem(value) {
    const problem = cidrProblem(value, this.accepted);
    if (problem) return problem;
    return parseCidr(value)!.prefix === 0 ? `${this.accepted}; ${value} opens it to the whole internet` : undefined;
  },
};

/**
 * How much of the IPv4 space a list of CIDRs covers together, as a fraction (1 = every address).
 * Overlaps count once. Invalid entries are ignored.
 */
export function ipv4Coverage(cidrs: readonly string[]): number {
  const ranges = cidrs
    .map((c) => parseCidr(c))
    .filter((p): p is { network: number; prefix: number } => p !== undefined)
    .map((p) => {
      const start = (p.network & mask(p.prefix)) >>> 0;
      return [start, start + 2 ** (32 - p.prefix)] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = 0;
  for (const [s, e] of ranges) {
    if (e <= end) continue;
    covered += e - Math.max(s, end);
    end = e;
  }
  return covered / 2 ** 32;
}

/** A list of public-access CIDRs whose union is not the whole internet. */
export const publicAccessCidrList: ValueValidator<readonly string[]> = {
  accepted: "CIDRs that together leave out part of the internet: list your offices, VPN or CI egress, or none for a private endpoint",
  problem(value) {
    return Array.isArray(value) && value.length > 0 && ipv4Coverage(value) >= 1
      ? `${this.accepted}; together ${value.join(", ")} cover every IPv4 address`
      : undefined;
  },
};

// --- Names, domains and paths -----------------------------------------------------------------

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** A lower-case DNS label of at most `maxLength` characters, starting with a letter (valid for Kubernetes and most AWS names). */
export function dnsLabel(maxLength: number): ValueValidator {
  return byPattern(
    DNS_LABEL,
    `a DNS label of at most ${maxLength} characters: lower-case letters, digits and '-', starting with a letter and not ending with '-'`,
    maxLength,
  );
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** ACM's limit on a certificate's first domain name (it becomes the subject's CN). */
export const MAX_CERTIFICATE_DOMAIN_LENGTH = 64;

/** A lower-case fully qualified domain name of two or more labels, without a trailing dot. */
export const domainName = byPattern(DOMAIN, "a lower-case fully qualified domain name (two or more labels) without a trailing dot, such as app.example.com");

/**
 * An email address an alarm topic notifies (SNS `email` subscription): one `@`, a domain of two or
 * more labels, no spaces, quotes or angle brackets; at most 254 characters (RFC 5321's limit).
 */
export const emailAddress = byPattern(
  /^[A-Za-z0-9.!#$%&'*+\/=?^_`{|}~-]+@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/,
  "an email address such as oncall@example.com",
  254,
);

/** A domain an ACM certificate is created for: a {@link domainName} of at most 64 characters. */
export const certificateDomainName: ValueValidator = {
  accepted: `${domainName.accepted}, at most ${MAX_CERTIFICATE_DOMAIN_LENGTH} characters (ACM's limit for the certificate it creates)`,
  pattern: DOMAIN,
  problem(value) {
    return domainName.problem(value) === undefined && value.length <= MAX_CERTIFICATE_DOMAIN_LENGTH ? undefined : this.accepted;
  },
};

/**
 * An HTTP path for health checks, with an optional query: it is written into workflows (inside a
 * double-quoted shell word), a load balancer and a probe, so only unreserved URL characters and
 * `?=&%+` in the query (nothing a shell expands in double quotes), at most 1024 (the load balancer's limit).
 */
export const healthCheckPath = byPattern(
  /^\/[A-Za-z0-9._~/-]*(\?[A-Za-z0-9._~=&%+-]*)?$/,
  "a URL path starting with '/', without spaces: letters, digits and ._~/-, then optionally a query of those and ?=&%+ (at most 1024 characters), such as /healthz",
  1024,
);

/** A CloudFront path pattern for a cache behavior other than the default. */
export const cloudFrontPathPattern: ValueValidator = {
  accepted:
    "a CloudFront path pattern starting with '/' other than '/*' (which would take every request from the app), at most 255 characters of A-Z a-z 0-9 _ - . * $ / ~ \" ' @ : + & ?, e.g. /static/*",
  pattern: /^\/[A-Za-z0-9_\-.*$/~"'@:+&?]{0,254}$/,
  problem(value) {
    return typeof value === "string" && this.pattern!.test(value) && value !== "/*" ? undefined : this.accepted;
  },
};

// --- GitHub and the pipeline --------------------------------------------------------------------

/** A GitHub user or organization login: letters, digits and single hyphens, not at either end, at most 39. */
export const githubLogin = byPattern(
  /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
  "a GitHub user or organization name (a GitHub user login or organization login): up to 39 letters, digits and single hyphens, not at either end, e.g. octocat",
);

/** A team's slug in the owner organization (without `org/`). */
export const githubTeamSlug = byPattern(
  /^[a-z0-9][a-z0-9_.-]{0,254}$/,
  "a team slug of the owner organization: lower-case letters, digits, '_', '.' and '-', without 'org/', e.g. release-managers",
);

/** A team's numeric id: what GitHub's environment API takes for a team reviewer. */
export const githubTeamId: ValueValidator<number> = {
  accepted: "a team's numeric id, a positive whole number, e.g. 1234567 (gh api orgs/<owner>/teams/<slug> --jq .id prints it)",
  problem(value) {
    return Number.isSafeInteger(value) && value > 0 ? undefined : this.accepted;
  },
};

/**
 * A team that approves deploys: its slug, for people and the summary, and its numeric id, which
 * is what GitHub needs. The id is given rather than looked up because a pull request's plan runs
 * with the job's `GITHUB_TOKEN`, which cannot read organization teams.
 */
export interface GithubTeamReviewer {
  /** The team's slug in the owner organization (without `org/`), e.g. `release-managers`. */
  readonly slug: string;
  /** The team's numeric id: `gh api orgs/<owner>/teams/<slug> --jq .id`. */
  readonly id: number;
}

/**
 * A team reviewer `{ slug, id }` ({@link GithubTeamReviewer}). A bare slug (the old form) is
 * refused with what to write instead and the command that prints the id.
 * @param owner the owner organization, named in the command that prints the id (`<owner>` when not given)
 */
export function githubTeamReviewer(owner = "<owner>"): ValueValidator<unknown> {
  // Only a valid login is printed: the owner is checked on its own, and a message must stay safe to show.
  const org = githubLogin.problem(owner) === undefined ? owner : "<owner>";
  const lookup = (slug: string) => `gh api orgs/${org}/teams/${slug} --jq .id`;
  return {
    accepted: `a team reviewer { slug, id }: the team's slug and its numeric id, e.g. { slug: release-managers, id: 1234567 } (${lookup("<slug>")} prints the id)`,
    problem(value) {
      if (typeof value === "string") {
        const slug = githubTeamSlug.problem(value) === undefined ? value : "<slug>";
        return (
          `a team reviewer is { slug, id }, not a bare slug: a pull request's plan cannot look a team's id up with its GITHUB_TOKEN, so write ` +
          `{ slug: ${slug}, id: <the team's id> }, the id printed by ${lookup(slug)}`
        );
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) return this.accepted;
      const { slug, id, ...rest } = value as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length > 0) return `${this.accepted}; unknown key ${extra.join(", ")}`;
      const slugProblem = typeof slug === "string" ? githubTeamSlug.problem(slug) : githubTeamSlug.accepted;
      if (slugProblem !== undefined) return `slug: ${slugProblem}`;
      const idProblem = typeof id === "number" ? githubTeamId.problem(id) : githubTeamId.accepted;
      if (idProblem !== undefined) return `id: ${idProblem}`;
      return undefined;
    },
  };
}

/** GitHub's limit on required reviewers (users and teams together) of an environment. */
export const MAX_ENVIRONMENT_REVIEWERS = 6;

/** A git branch name without glob characters (so it is also its own deployment-policy pattern). */
export const branchName: ValueValidator = {
  accepted: "a git branch name of letters, digits and ._/- (no '..', '//', '/.', no leading '-', '.' or '/', not ending with '.', '/' or '.lock', not HEAD), e.g. main",
  pattern: /^[A-Za-z0-9._/-]{1,255}$/,
  problem(value) {
    return typeof value === "string" && this.pattern!.test(value) && !/^[-/.]|[/.]$|\.\.|\/\/|\/\.|\.lock$|\.lock\//.test(value) && value !== "HEAD" ? undefined : this.accepted;
  },
};

/**
 * A shell command run by the pipeline: not blank, and without `${{` (GitHub Actions would evaluate
 * it as an expression) or control characters other than tab and newline.
 */
export const shellCommand: ValueValidator = {
  accepted: "a non-empty shell command without control characters, e.g. python -m migrate",
  problem(value) {
    return typeof value === "string" && value.trim() !== "" && !/[\x00-\x08\x0b-\x1f\x7f]/.test(value) ? undefined : this.accepted;
  },
};

/**
 * A shell command a generated workflow carries (the test command, as a step's `env` value): also
 * without `${{`, which GitHub Actions would evaluate as an expression there (it has no escape).
 */
export const workflowShellCommand: ValueValidator = {
  accepted: "a non-empty shell command without '${{' (GitHub Actions would evaluate it as an expression in the generated workflow, which has no escape for it) or control characters, e.g. npm test",
  problem(value) {
    return shellCommand.problem(value) === undefined && typeof value === "string" && !value.includes("${{") ? undefined : this.accepted;
  },
};

/** A runner label of a job's `runs-on`. */
export const runnerLabel: ValueValidator = {
  accepted: "a runner label such as ubuntu-latest or self-hosted: not blank, without '${{', ',' or control characters, at most 100 characters",
  problem(value) {
    return typeof value === "string" && value.trim() !== "" && value.trim() === value && value.length <= 100 && !value.includes("${{") && !/[,\x00-\x1f\x7f]/.test(value)
      ? undefined
      : this.accepted;
  },
};

// --- Terraform backends -----------------------------------------------------------------------

/** HCP Terraform's limit on a workspace name. */
export const MAX_WORKSPACE_NAME_LENGTH = 90;

/** An HCP Terraform / Terraform Enterprise workspace name. */
export const hcpWorkspaceName = byPattern(
  /^[A-Za-z0-9_-]+$/,
  `an HCP Terraform workspace name: letters, digits, '-' and '_', at most ${MAX_WORKSPACE_NAME_LENGTH} characters`,
  MAX_WORKSPACE_NAME_LENGTH,
);

/** An HCP Terraform organization name. */
export const hcpOrganizationName = byPattern(/^[A-Za-z0-9_-]+$/, "an HCP Terraform organization name: letters, digits, '-' and '_'");

/** A prefix of S3 object keys: safe characters, '/'-separated segments, no '.' or '..' segment. */
export const s3KeyPrefix: ValueValidator = {
  accepted: "an S3 key prefix of letters, digits and !-_.*'() in segments joined by single '/', without a leading '/', '.' or '..' segments, at most 900 characters, e.g. slipway or teams/shop",
  pattern: /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/,
  problem(value) {
    if (typeof value !== "string" || !this.pattern!.test(value) || value.length > 900) return this.accepted;
    return value.split("/").some((s) => s === "." || s === "..") ? this.accepted : undefined;
  },
};

/** An S3 bucket name (general purpose, DNS-compatible). */
export const s3BucketName: ValueValidator = {
  accepted: "an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, not shaped like an IP address",
  pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  problem(value) {
    return typeof value === "string" && this.pattern!.test(value) && !/\.\.|\.-|-\./.test(value) && !/^\d+\.\d+\.\d+\.\d+$/.test(value) && !value.startsWith("xn--")
      ? undefined
      : this.accepted;
  },
};
