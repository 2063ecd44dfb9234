/**
 * IAM roles and policies: wildcard actions and resources, trust policies (public principals,
 * GitHub Actions OIDC pinning, pull-request subjects), and whether policy documents can be read
 * at all (SLW-POLICY-001 covers every policy-bearing type, KMS, S3 and ECR included).
 */
import { CANARY_METRICS_ACTIONS } from "../../constructs/canary";
import { CLUSTER_AUTOSCALER_READ_ACTIONS } from "../../constructs/cluster-autoscaler-role";
import { list } from "../accessors";
import { conditions, hasWildcardPrincipal, parsePolicy, PolicyStatement, values } from "../documents";
import { ResourceView, Rule, StackView } from "../types";

const GITHUB_ISSUER = "token.actions.githubusercontent.com";
const AUDIENCE = "sts.amazonaws.com";
/** Actions with no resource to scope to: `Resource: "*"` is the only form IAM accepts. */
export const NO_RESOURCE_ACTIONS = [
  "ecr:GetAuthorizationToken",
  "sts:GetCallerIdentity",
  // EC2 describe calls CodeBuild makes to place a build in a VPC: none supports resource-level permissions.
  "ec2:DescribeDhcpOptions",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeVpcs",
  // What the Cluster Autoscaler reads its node groups with: no resource-level permissions either.
  ...CLUSTER_AUTOSCALER_READ_ACTIONS,
  // What a canary deploy job reads its target groups' metrics with: no resource-level permissions.
  ...CANARY_METRICS_ACTIONS,
];

const PERMISSION_TYPES = ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role"];
const ROLE = ["aws_iam_role"];

/** The permission documents of a resource: `policy`, or a role's `inline_policy` blocks. */
function permissionDocuments(resource: ResourceView): { label: string; document: unknown }[] {
  if (resource.type === "aws_iam_role") {
    return list(resource.config.inline_policy)
      .filter((p) => p?.policy !== undefined)
      .map((p, i) => ({ label: `inline_policy[${i}] (${p.name ?? "unnamed"}) `, document: p.policy }));
  }
  return resource.config.policy === undefined ? [] : [{ label: "", document: resource.config.policy }];
}

/** Every policy document a resource carries, for SLW-POLICY-001. */
function allDocuments(resource: ResourceView): { label: string; document: unknown }[] {
  const docs = permissionDocuments(resource);
  if (resource.type === "aws_iam_role" && resource.config.assume_role_policy !== undefined) {
    docs.unshift({ label: "assume_role_policy ", document: resource.config.assume_role_policy });
  }
  return docs;
}

/** Runs `check` on every Allow statement of the resource's readable permission documents. */
function eachAllow(resource: ResourceView, check: (statement: PolicyStatement, where: string) => string[]): string[] {
  const problems: string[] = [];
  for (const { label, document } of permissionDocuments(resource)) {
    const parsed = parsePolicy(document);
    if (!parsed.ok) continue; // SLW-POLICY-001 reports it
    parsed.statements.forEach((s, i) => {
      if (s.Effect === "Allow") problems.push(...check(s, `${label}statement ${s.Sid ? JSON.stringify(s.Sid) : i}`));
    });
  }
  return problems;
}

function trustStatements(role: ResourceView): PolicyStatement[] {
  const parsed = parsePolicy(role.config.assume_role_policy);
  return parsed.ok ? parsed.statements.filter((s) => s.Effect === "Allow") : [];
}

/**
 * True when the statement trusts GitHub Actions' OIDC provider: a Federated principal naming
 * `token.actions.githubusercontent.com` (or a provider of this stack with that URL, or another
 * stack's output named after a GitHub provider), or conditions on that issuer's claims.
 */
export function isGithubOidcStatement(statement: PolicyStatement, stack: StackView): boolean {
  const principal = statement.Principal;
  const federated = principal && typeof principal === "object" ? values((principal as Record<string, unknown>).Federated) : [];
  for (const f of federated) {
    if (f.includes(GITHUB_ISSUER)) return true;
    const provider = stack.resolve(f);
    if (provider?.type === "aws_iam_openid_connect_provider" && String(provider.config.url ?? "").includes(GITHUB_ISSUER)) return true;
    if (!provider && /github/i.test(f)) return true;
  }
  return conditions(statement).some((c) => c.key.startsWith(GITHUB_ISSUER));
}

/** True when the role's trust policy lets EC2 (an instance profile, e.g. Kubernetes nodes) assume it. */
function trustsEc2(role: ResourceView): boolean {
  return trustStatements(role).some((s) => {
    const principal = s.Principal && typeof s.Principal === "object" ? values((s.Principal as Record<string, unknown>).Service) : [];
    return principal.some((service) => /^ec2\.amazonaws\.com(\.cn)?$/.test(service));
  });
}

/** The `AmazonEKS_CNI_Policy` managed policy, in any partition. */
const CNI_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/AmazonEKS_CNI_Policy$/;

function githubClaim(key: string, claim: "aud" | "sub"): boolean {
  return key.startsWith(GITHUB_ISSUER) && key.endsWith(`:${claim}`);
}

export const IAM_RULES: Rule[] = [
  {
    id: "SLW-IAM-001",
    title: "IAM policies never allow every action (\"*\" or NotAction)",
    severity: "high",
    resourceTypes: PERMISSION_TYPES,
    references: { checkov: ["CKV_AWS_62", "CKV_AWS_63"], trivy: ["AVD-AWS-0057"] },
    fix: "list the actions the principal needs, e.g. [\"s3:GetObject\"]",
    check(resource) {
      return eachAllow(resource, (s, where) => {
        if (s.NotAction !== undefined) return [`${where} allows NotAction ${JSON.stringify(s.NotAction)}: every other action of every service`];
        return values(s.Action).some((a) => a === "*" || a === "*:*") ? [`${where} allows Action "*"`] : [];
      });
    },
  },
  {
    id: "SLW-IAM-002",
    title: "IAM policies scope resources: \"*\" only for actions that have no resource",
    severity: "high",
    resourceTypes: PERMISSION_TYPES,
    references: { checkov: ["CKV_AWS_355", "CKV_AWS_290"], trivy: ["AVD-AWS-0057"] },
    fix: `name the resource ARNs; "*" is accepted only for ${NO_RESOURCE_ACTIONS.join(", ")}`,
    check(resource) {
      return eachAllow(resource, (s, where) => {
        if (s.NotResource !== undefined) return [`${where} allows NotResource ${JSON.stringify(s.NotResource)}: every other resource`];
        if (!values(s.Resource).includes("*")) return [];
        const scoped = values(s.Action).filter((a) => !NO_RESOURCE_ACTIONS.includes(a));
        return scoped.length > 0 ? [`${where} allows ${scoped.slice(0, 5).join(", ")}${scoped.length > 5 ? ", ..." : ""} on Resource "*"`] : [];
      });
    },
  },
  {
    id: "SLW-IAM-003",
    title: "IAM trust policies never trust everyone (Principal \"*\" or {\"AWS\": \"*\"})",
    severity: "high",
    resourceTypes: ROLE,
    references: { checkov: ["CKV_AWS_60", "CKV_AWS_61"], trivy: ["AVD-AWS-0057"] },
    fix: "trust named principals only: a service, an account root or role ARN, or a federated provider with pinned claims",
    check(role) {
      return trustStatements(role)
        .filter(hasWildcardPrincipal)
        .map((s, i) => `assume_role_policy statement ${s.Sid ? JSON.stringify(s.Sid) : i} trusts ${JSON.stringify(s.Principal ?? { NotPrincipal: s.NotPrincipal })}: any AWS account can assume the role`);
    },
  },
  {
    id: "SLW-IAM-004",
    title: "GitHub OIDC trust policies pin aud = sts.amazonaws.com and exact repo:<owner>/<repo>: subjects with StringEquals",
    severity: "high",
    resourceTypes: ROLE,
    references: { checkov: ["CKV_AWS_358"], other: ["GitHub OIDC hardening"] },
    fix: `Condition { StringEquals = { "${GITHUB_ISSUER}:aud" = "${AUDIENCE}", "${GITHUB_ISSUER}:sub" = ["repo:<owner>/<repo>:ref:refs/heads/main", "repo:<owner>/<repo>:environment:<env>"] } }`,
    check(role, stack) {
      const problems: string[] = [];
      trustStatements(role)
        .filter((s) => isGithubOidcStatement(s, stack))
        .forEach((s, i) => {
          const where = `assume_role_policy statement ${s.Sid ? JSON.stringify(s.Sid) : i}`;
          const all = conditions(s);
          const aud = all.filter((c) => githubClaim(c.key, "aud"));
          if (!aud.some((c) => c.operator === "StringEquals" && c.values.length > 0 && c.values.every((v) => v === AUDIENCE))) {
            problems.push(`${where} does not pin ${GITHUB_ISSUER}:aud = ${AUDIENCE} with StringEquals (found ${JSON.stringify(aud.map((c) => ({ [c.operator]: c.values })))})`);
          }
          const sub = all.filter((c) => githubClaim(c.key, "sub"));
          for (const c of sub.filter((c) => c.operator !== "StringEquals")) {
            problems.push(`${where} matches ${GITHUB_ISSUER}:sub with ${c.operator}: use StringEquals with exact subjects`);
          }
          const exact = sub.filter((c) => c.operator === "StringEquals").flatMap((c) => c.values);
          if (exact.length === 0) {
            problems.push(`${where} does not pin ${GITHUB_ISSUER}:sub with StringEquals: any repository's workflow can assume the role`);
          }
          for (const v of exact) {
            if (typeof v !== "string" || !/^repo:[^/:*?]+\/[^/:*?]+:/.test(v) || /[*?]/.test(v)) {
              problems.push(`${where} accepts subject ${JSON.stringify(v)}: each must start repo:<owner>/<repo>: and hold no wildcard`);
            }
          }
        });
      return problems;
    },
  },
  {
    id: "SLW-IAM-005",
    title: "Roles never trust GitHub pull_request subjects",
    severity: "high",
    resourceTypes: ROLE,
    references: { checkov: ["CKV_AWS_358"], other: ["GitHub OIDC hardening"] },
    fix: "trust branches (ref:refs/heads/<branch>) or environments (environment:<name>) only; pull requests from forks would get the role",
    check(role) {
      return trustStatements(role)
        .flatMap((s) => conditions(s))
        .filter((c) => c.key.endsWith(":sub"))
        .flatMap((c) => c.values.filter((v) => typeof v === "string" && v.includes(":pull_request")))
        .map((v) => `assume_role_policy accepts subject ${JSON.stringify(v)}: pull request workflows (forks included) can assume the role`);
    },
  },
  {
    id: "SLW-IAM-006",
    title: "Node (EC2) roles do not hold AmazonEKS_CNI_Policy: the VPC CNI has its own role",
    severity: "medium",
    resourceTypes: ["aws_iam_role_policy_attachment", "aws_iam_role"],
    references: { other: ["EKS user guide: remove the CNI policy from the node IAM role", "EKS best practices: restrict the node instance profile"] },
    fix: "attach AmazonEKS_CNI_Policy to a role for kube-system/aws-node (IRSA or Pod Identity, the vpc-cni add-on's service_account_role_arn) and not to the node role",
    check(resource, stack) {
      if (resource.type === "aws_iam_role") {
        return trustsEc2(resource) && values(resource.config.managed_policy_arns).some((arn) => CNI_POLICY.test(arn))
          ? ["managed_policy_arns holds AmazonEKS_CNI_Policy on a role EC2 instances assume: every pod that reaches the node's credentials may change the VPC's network interfaces"]
          : [];
      }
      if (!CNI_POLICY.test(String(resource.config.policy_arn ?? ""))) return [];
      const role = stack.resolve(resource.config.role) ?? stack.resources("aws_iam_role").find((r) => r.config.name === resource.config.role);
      return role && role.type === "aws_iam_role" && trustsEc2(role)
        ? [`AmazonEKS_CNI_Policy is attached to ${role.address}, which EC2 instances (nodes) assume: every pod that reaches the node's credentials may change the VPC's network interfaces`]
        : [];
    },
  },
  {
    id: "SLW-POLICY-001",
    title: "Policy documents are statically checkable (JSON or jsonencode of a literal document)",
    severity: "low",
    resourceTypes: [...PERMISSION_TYPES, "aws_kms_key", "aws_s3_bucket_policy", "aws_ecr_repository_policy"],
    references: {},
    fix: "build the document as a literal JSON object (constructs/util.ts policyJson) so the policy rules can read it; no data-source documents or computed expressions",
    check(resource) {
      const problems: string[] = [];
      for (const { label, document } of allDocuments(resource)) {
        const parsed = parsePolicy(document);
        if (!parsed.ok) problems.push(`${label || "policy "}is not statically checkable: ${parsed.reason}`);
      }
      return problems;
    },
  },
];
