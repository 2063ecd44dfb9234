/** EKS clusters, node groups, add-ons, the launch templates nodes boot from, and EKS access policy associations. */
import { block, dig, isFalse, isTrue, list, show, toNumber } from "../accessors";
import { parsePolicy } from "../documents";
import { ResourceView, Rule, StackView } from "../types";
import { isGithubOidcStatement } from "./aws-iam";

const CLUSTER = ["aws_eks_cluster"];
const LAUNCH_TEMPLATE = ["aws_launch_template"];
const CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** IMDS turned off entirely: no token or hop-limit question arises. */
function imdsDisabled(template: ResourceView): boolean {
  return dig(template.config, "metadata_options", "http_endpoint") === "disabled";
}

/** The IAM role name behind a principal ARN: literal, a role of this stack, or an access entry's principal. */
function principalName(value: unknown, stack: StackView, depth = 0): string {
  if (typeof value !== "string" || depth > 3) return "";
  const resolved = stack.resolve(value);
  if (resolved?.type === "aws_iam_role") return String(resolved.config.name ?? resolved.config.name_prefix ?? resolved.name);
  if (resolved?.type === "aws_eks_access_entry") return principalName(resolved.config.principal_arn, stack, depth + 1);
  const arn = /:role\/(?:.*\/)?([^/]+)$/.exec(value);
  return arn ? arn[1] : value; // another stack's output: its reference text names the construct
}

function principalRole(value: unknown, stack: StackView, depth = 0): ResourceView | undefined {
  const resolved = stack.resolve(value);
  if (resolved?.type === "aws_iam_role") return resolved;
  if (resolved?.type === "aws_eks_access_entry" && depth < 3) return principalRole(resolved.config.principal_arn, stack, depth + 1);
  return undefined;
}

/** The access policy's name, e.g. `AmazonEKSEditPolicy`. */
function accessPolicyName(association: ResourceView): string {
  return String(association.config.policy_arn ?? "").split("/").pop() ?? "";
}

/**
 * Why the association's principal is a deploy or CI role of this stack (named `…deploy…`, or
 * trusting GitHub Actions), or undefined. A literal ARN says nothing about who uses it: the
 * identity Terraform applies as may well be named "deploy".
 */
function deployOrCiPrincipal(association: ResourceView, stack: StackView): string | undefined {
  const role = principalRole(association.config.principal_arn, stack);
  if (!role) return undefined;
  const name = principalName(association.config.principal_arn, stack);
  if (/deploy/i.test(name)) return `${show(name)}, a deploy role`;
  const trust = parsePolicy(role.config.assume_role_policy);
  if (trust.ok && trust.statements.some((s) => isGithubOidcStatement(s, stack))) return `${role.address}, which GitHub Actions jobs can assume`;
  return undefined;
}

/** View only: reads everything but Secrets, writes nothing. */
const VIEW_POLICY = "AmazonEKSViewPolicy";

export const COMPUTE_RULES: Rule[] = [
  {
    id: "SLW-EKS-001",
    title: "EKS clusters envelope-encrypt Kubernetes secrets with a KMS key",
    severity: "high",
    resourceTypes: CLUSTER,
    references: { checkov: ["CKV_AWS_58"], trivy: ["AVD-AWS-0039"], other: ["CIS EKS 5.3.1"] },
    fix: "set encryption_config { resources = [\"secrets\"], provider { key_arn = <rotating KMS key> } }",
    check(cluster) {
      const configs = list(cluster.config.encryption_config);
      const ok = configs.some((c) => list(c?.resources).includes("secrets") && dig(c, "provider", "key_arn"));
      return ok ? [] : ["no encryption_config for \"secrets\" with a KMS key: secrets are stored in etcd without envelope encryption"];
    },
  },
  {
    id: "SLW-EKS-002",
    title: "EKS API endpoints are private, or public only to listed CIDRs (never 0.0.0.0/0)",
    severity: "high",
    resourceTypes: CLUSTER,
    references: { checkov: ["CKV_AWS_38", "CKV_AWS_39"], trivy: ["AVD-AWS-0040", "AVD-AWS-0041"], other: ["CIS EKS 5.4.2"] },
    fix: "set vpc_config { endpoint_private_access = true, endpoint_public_access = false } or list the allowed public_access_cidrs",
    check(cluster) {
      const vpc = block(cluster.config.vpc_config) ?? {};
      if (isFalse(vpc.endpoint_public_access)) return [];
      const cidrs = list(vpc.public_access_cidrs);
      if (cidrs.length === 0) return [`endpoint_public_access is ${show(vpc.endpoint_public_access)} (the default is true) with no public_access_cidrs: the API is open to 0.0.0.0/0`];
      const open = cidrs.filter((c) => ANYWHERE.includes(c));
      return open.length > 0 ? [`the public API endpoint admits ${open.join(", ")}`] : [];
    },
  },
  {
    id: "SLW-EKS-003",
    title: "EKS clusters send all five control-plane log types to CloudWatch",
    severity: "medium",
    resourceTypes: CLUSTER,
    references: { checkov: ["CKV_AWS_37"], trivy: ["AVD-AWS-0038"], other: ["CIS EKS 2.1.1"] },
    fix: `set enabled_cluster_log_types = ${JSON.stringify(CONTROL_PLANE_LOGS)}`,
    check(cluster) {
      const enabled = list(cluster.config.enabled_cluster_log_types);
      const missing = CONTROL_PLANE_LOGS.filter((t) => !enabled.includes(t));
      return missing.length > 0 ? [`enabled_cluster_log_types leaves out ${missing.join(", ")}`] : [];
    },
  },
  {
    id: "SLW-EKS-004",
    title: "Launch templates require IMDSv2 (http_tokens = required)",
    severity: "high",
    resourceTypes: LAUNCH_TEMPLATE,
    references: { checkov: ["CKV_AWS_79"], trivy: ["AVD-AWS-0130"] },
    fix: "set metadata_options { http_endpoint = \"enabled\", http_tokens = \"required\", http_put_response_hop_limit = 1 }",
    check(template) {
      if (imdsDisabled(template)) return [];
      const tokens = dig(template.config, "metadata_options", "http_tokens");
      return tokens === "required" ? [] : [`metadata_options.http_tokens is ${show(tokens)}: IMDSv1 answers unauthenticated requests (SSRF steals node credentials)`];
    },
  },
  {
    id: "SLW-EKS-005",
    title: "Launch templates limit the IMDS response hop count to 1, so pods cannot reach node credentials",
    severity: "medium",
    resourceTypes: LAUNCH_TEMPLATE,
    references: { checkov: ["CKV_AWS_341"] },
    fix: "set metadata_options.http_put_response_hop_limit = 1 (pods get AWS credentials through Pod Identity or IRSA)",
    check(template) {
      if (imdsDisabled(template)) return [];
      const hops = dig(template.config, "metadata_options", "http_put_response_hop_limit");
      return toNumber(hops) === 1 ? [] : [`metadata_options.http_put_response_hop_limit is ${show(hops)}, not 1`];
    },
  },
  {
    id: "SLW-EKS-006",
    title: "Launch templates encrypt their EBS volumes",
    severity: "medium",
    resourceTypes: LAUNCH_TEMPLATE,
    references: { other: ["AWS FSBP EC2.3"] },
    fix: "declare block_device_mappings for the root volume with ebs { encrypted = true }",
    check(template) {
      const mappings = list(template.config.block_device_mappings).filter((m) => block(m?.ebs));
      if (mappings.length === 0) return ["no block_device_mappings with ebs: volume encryption is left to the AMI and the account default"];
      return mappings
        .filter((m) => !isTrue(block(m.ebs).encrypted))
        .map((m) => `volume ${show(m.device_name)} has ebs.encrypted ${show(block(m.ebs).encrypted)}`);
    },
  },
  {
    id: "SLW-EKS-007",
    title: "EKS node groups boot from a launch template (IMDSv2, encrypted disks) and allow no SSH from anywhere",
    severity: "high",
    resourceTypes: ["aws_eks_node_group"],
    relatedTypes: ["aws_launch_template"],
    references: { checkov: ["CKV_AWS_100"] },
    fix: "set launch_template { id, version } to a hardened aws_launch_template and remove remote_access (or restrict it with source_security_group_ids)",
    check(group) {
      const problems: string[] = [];
      const template = block(group.config.launch_template);
      if (!template || !(template.id || template.name)) problems.push("no launch_template: EKS's default template leaves IMDSv1 on with a hop limit of 2");
      const remote = block(group.config.remote_access);
      if (remote && list(remote.source_security_group_ids).length === 0) problems.push("remote_access without source_security_group_ids opens SSH to 0.0.0.0/0");
      return problems;
    },
  },
  {
    id: "SLW-EKS-008",
    title: "Cluster-scoped EKS access policies other than View are never granted to deploy or CI roles",
    severity: "high",
    resourceTypes: ["aws_eks_access_policy_association"],
    relatedTypes: ["aws_eks_access_entry", "aws_iam_role"],
    references: { other: ["CIS EKS 4.1.1", "EKS best practices: least-privileged access"] },
    fix: "give deploy roles a namespaced RBAC Role through an access entry's kubernetes_groups, and read-only CI roles AmazonEKSViewPolicy; keep AmazonEKSClusterAdminPolicy for the listed admin roles",
    check(association, stack) {
      const scope = block(association.config.access_scope);
      if (scope?.type !== "cluster") return [];
      const policy = accessPolicyName(association);
      if (policy === VIEW_POLICY) return [];
      const who = deployOrCiPrincipal(association, stack);
      return who ? [`${policy} is granted cluster-wide to ${who}`] : [];
    },
  },
  {
    id: "SLW-EKS-009",
    title: "EKS clusters give their creator no implicit admin: every admin is an explicit access entry",
    severity: "high",
    resourceTypes: CLUSTER,
    references: { other: ["EKS best practices: remove the cluster-creator's admin", "CIS EKS 5.5.1"] },
    fix: "set access_config { authentication_mode = \"API\", bootstrap_cluster_creator_admin_permissions = false } and manage the admins (the identity Terraform runs as included) with aws_eks_access_entry and AmazonEKSClusterAdminPolicy associations",
    check(cluster) {
      const access = block(cluster.config.access_config) ?? {};
      const problems: string[] = [];
      if (!isFalse(access.bootstrap_cluster_creator_admin_permissions)) {
        problems.push(`access_config.bootstrap_cluster_creator_admin_permissions is ${show(access.bootstrap_cluster_creator_admin_permissions)} (the default is true): whoever created the cluster is admin without an entry in the plan`);
      }
      if (access.authentication_mode !== "API") {
        problems.push(`access_config.authentication_mode is ${show(access.authentication_mode)}, not "API": the aws-auth ConfigMap can grant access outside the access entries`);
      }
      return problems;
    },
  },
  {
    id: "SLW-EKS-010",
    title: "Deploy and CI roles get no EKS access policy but View: their rights come from namespaced RBAC",
    severity: "high",
    resourceTypes: ["aws_eks_access_policy_association"],
    relatedTypes: ["aws_eks_access_entry", "aws_iam_role"],
    references: { other: ["EKS best practices: least-privileged access", "Kubernetes RBAC good practices"] },
    fix: "remove the association; map the role into a Kubernetes group (aws_eks_access_entry.kubernetes_groups) bound to a Role that allows exactly what the pipeline runs (KubernetesWorkload.grantDeploy)",
    check(association, stack) {
      const policy = accessPolicyName(association);
      if (policy === VIEW_POLICY) return [];
      const who = deployOrCiPrincipal(association, stack);
      const scope = block(association.config.access_scope);
      const where = scope?.type === "namespace" ? `in namespaces ${show(list(scope.namespaces))}` : `at ${show(scope?.type)} scope`;
      return who ? [`${policy} is granted ${where} to ${who}: it can read Secrets, exec into pods or change NetworkPolicies there`] : [];
    },
  },
  {
    id: "SLW-EKS-011",
    title: "The VPC CNI add-on runs with its own IAM role, not the node role",
    severity: "medium",
    resourceTypes: ["aws_eks_addon"],
    references: { other: ["EKS user guide: configure the Amazon VPC CNI plugin to use IRSA", "EKS best practices: restrict the node instance profile"] },
    fix: "set service_account_role_arn (IRSA for kube-system/aws-node) or pod_identity_association on the vpc-cni add-on, with AmazonEKS_CNI_Policy on that role only",
    check(addon) {
      if (addon.config.addon_name !== "vpc-cni") return [];
      if (addon.config.service_account_role_arn || list(addon.config.pod_identity_association).length > 0) return [];
      return ["the vpc-cni add-on has neither service_account_role_arn nor pod_identity_association: aws-node uses the node role, so every node (and whatever reaches its credentials) may change the VPC's network interfaces"];
    },
  },
];
