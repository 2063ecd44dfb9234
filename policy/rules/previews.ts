/**
 * Pull-request previews: the preview identity reaches nothing but its registry, its cluster and its
 * secrets; the admission policies that narrow its Kubernetes rights are in force; and no
 * production environment hosts previews.
 */
import { dig, list } from "../accessors";
import { conditions, parsePolicy, PolicyStatement, values } from "../documents";
import { ResourceView, Rule, StackView } from "../types";

const PREVIEW_ENVIRONMENT = "preview";

/** The GitHub OIDC subjects a role's trust policy allows. */
function trustSubjects(role: ResourceView): string[] {
  const parsed = parsePolicy(role.config.assume_role_policy);
  if (!parsed.ok) return [];
  return parsed.statements
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) => conditions(s).filter((c) => c.key.endsWith(":sub")).flatMap((c) => c.values.map(String)));
}

/** True for a role trusted from an app repository's `preview` environment. */
export function isPreviewRole(role: ResourceView): boolean {
  return trustSubjects(role).some((s) => s.endsWith(`:environment:${PREVIEW_ENVIRONMENT}`));
}

/** What the preview identity may do, by service: anything else is a finding. */
const ECR_ACTIONS = new Set([
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
  "ecr:DescribeImages",
  "ecr:ListImages",
  "ecr:BatchDeleteImage",
  "ecr:DescribeRepositories",
]);
const SECRET_ACTIONS = new Set(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]);

/** Why one Allow statement of a preview role's policy reaches beyond previews; empty when it does not. */
function previewStatementProblems(statement: PolicyStatement, stack: StackView, where: string): string[] {
  const actions = values(statement.Action);
  const resources = values(statement.Resource);
  const problems: string[] = [];
  if (statement.NotAction !== undefined || statement.NotResource !== undefined) return [`${where}uses NotAction/NotResource: list what previews need instead`];
  const resolved = (type: string, test: (r: ResourceView) => boolean) => resources.every((arn) => {
    const r = stack.resolve(arn);
    return r !== undefined && r.type === type && test(r);
  });
  for (const action of actions) {
    if (action === "ecr:GetAuthorizationToken") {
      continue; // no resource to scope to; pushing still needs the repository's actions
    } else if (ECR_ACTIONS.has(action)) {
      if (!resolved("aws_ecr_repository", (r) => /-previews$/.test(String(r.config.name ?? "")))) problems.push(`${where}${action} on ${resources.join(", ")}: only the previews' registry <app>-previews`);
    } else if (action === "eks:DescribeCluster") {
      if (resources.some((r) => r === "*")) problems.push(`${where}eks:DescribeCluster on *: only the host cluster`);
    } else if (SECRET_ACTIONS.has(action)) {
      if (!resolved("aws_secretsmanager_secret", (r) => /\/preview\/[^/]+$/.test(String(r.config.name ?? "")))) problems.push(`${where}${action} on ${resources.join(", ")}: only the preview secrets <platform>/<app>/preview/<NAME>`);
    } else if (action === "kms:Decrypt") {
      if (!conditions(statement).some((c) => c.key === "kms:ViaService" && c.values.every((v) => String(v).startsWith("secretsmanager.")))) problems.push(`${where}kms:Decrypt without kms:ViaService secretsmanager: only to read the preview secrets`);
    } else {
      problems.push(`${where}${action}: the preview identity pushes, pulls and deletes preview images, describes its cluster and reads preview secrets, nothing else`);
    }
  }
  return problems;
}

export const PREVIEW_RULES: Rule[] = [
  {
    id: "SLW-PRV-001",
    title: "The preview identity is trusted only from the preview environment and reaches only its registry, its cluster and the preview secrets",
    severity: "high",
    resourceTypes: ["aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment"],
    references: { other: ["docs/trust-model.md (pull requests)"] },
    fix: "use PreviewAccess: the role <app>-preview-<env> trusted from repo:<owner>/<repo>:environment:preview only, with ContainerRegistry.grantPush on <app>-previews, allowEksGroup and the preview AppSecrets' grantRead",
    check(resource, stack) {
      if (resource.type === "aws_iam_role") {
        if (!isPreviewRole(resource)) return [];
        const others = trustSubjects(resource).filter((s) => !s.endsWith(`:environment:${PREVIEW_ENVIRONMENT}`));
        return [
          ...(others.length > 0 ? [`the preview role is also trusted from ${others.join(", ")}: previews' identity is for the preview environment only`] : []),
          ...(list(resource.config.managed_policy_arns).length > 0 ? ["the preview role has managed policies: inline grants on its own resources only"] : []),
        ];
      }
      const role = stack.resolve(resource.config.role);
      if (role?.type !== "aws_iam_role" || !isPreviewRole(role)) return [];
      if (resource.type === "aws_iam_role_policy_attachment") return [`${resource.config.policy_arn} is attached to the preview role: inline grants on its own resources only`];
      const parsed = parsePolicy(resource.config.policy);
      if (!parsed.ok) return [`the preview role's policy cannot be read (${parsed.reason})`];
      return parsed.statements.filter((s) => s.Effect === "Allow").flatMap((s, i) => previewStatementProblems(s, stack, `statement ${s.Sid ?? i}: `));
    },
  },
  {
    id: "SLW-PRV-002",
    title: "The preview identity's Kubernetes group is narrowed by admission policies: only namespaces <app>-pr-<n> with restricted Pod Security, only the preview ClusterRoles bound",
    severity: "high",
    resourceTypes: ["kubernetes_cluster_role_binding_v1"],
    relatedTypes: ["kubernetes_manifest"],
    references: { other: ["Kubernetes ValidatingAdmissionPolicy", "docs/trust-model.md (pull requests)"] },
    fix: "use PreviewHost: it makes the ValidatingAdmissionPolicies slipway-<app>-preview-namespaces and slipway-<app>-preview-objects with Deny bindings",
    check(binding, stack) {
      const groups = list(binding.config.subject)
        .filter((s) => s?.kind === "Group")
        .map((s) => /^slipway:([a-z][-a-z0-9]*)-previews$/.exec(String(s.name))?.[1])
        .filter((app): app is string => app !== undefined);
      return groups.flatMap((app) => {
        const manifests = stack.resources("kubernetes_manifest").map((m) => m.config.manifest);
        const policy = (name: string) => manifests.find((m) => m?.kind === "ValidatingAdmissionPolicy" && dig(m, "metadata", "name") === name);
        const denies = (name: string) => manifests.some((m) => m?.kind === "ValidatingAdmissionPolicyBinding" && dig(m, "spec", "policyName") === name && list(dig(m, "spec", "validationActions")).includes("Deny"));
        const expressions = (name: string) => list(dig(policy(name), "spec", "validations")).map((v) => String(v?.expression ?? ""));
        const problems: string[] = [];
        for (const name of [`slipway-${app}-preview-namespaces`, `slipway-${app}-preview-objects`]) {
          const found = policy(name);
          if (!found) problems.push(`no ValidatingAdmissionPolicy ${name}: group slipway:${app}-previews could manage any namespace or binding`);
          else if (dig(found, "spec", "failurePolicy") !== "Fail" || !denies(name)) problems.push(`${name} is not enforced (failurePolicy Fail and a binding with validationActions Deny)`);
        }
        const namespaces = expressions(`slipway-${app}-preview-namespaces`);
        if (policy(`slipway-${app}-preview-namespaces`) && !namespaces.some((e) => e.includes(`^${app}-pr-`))) problems.push(`slipway-${app}-preview-namespaces does not hold names to ${app}-pr-<n>`);
        if (policy(`slipway-${app}-preview-namespaces`) && !namespaces.some((e) => e.includes('"pod-security.kubernetes.io/enforce"') && e.includes('"restricted"'))) problems.push(`slipway-${app}-preview-namespaces does not require restricted Pod Security`);
        return problems;
      });
    },
  },
  {
    id: "SLW-PRV-003",
    title: "No production environment hosts pull-request previews",
    severity: "high",
    productionOnly: true,
    resourceTypes: ["github_repository_environment", "aws_iam_role"],
    references: { other: ["docs/trust-model.md (pull requests)"] },
    fix: "host previews in a development-profile environment (previews.environment); the platform model refuses a production one",
    check(resource) {
      if (resource.type === "github_repository_environment") return resource.config.environment === PREVIEW_ENVIRONMENT ? ["the preview environment is made in a production stack: unreviewed code would run beside production"] : [];
      return isPreviewRole(resource) ? ["a role trusted from the preview environment is made in a production stack"] : [];
    },
  },
];
