/**
 * CodeBuild projects, above all those hosting GitHub Actions runners: unprivileged builds, logs
 * in an encrypted log group that expires, runners inside a VPC, and a service role only CodeBuild
 * can assume for that project.
 */
import { block, dig, isTrue, list, show } from "../accessors";
import { conditions, parsePolicy, values } from "../documents";
import { ResourceView, Rule, StackView } from "../types";

const PROJECT = ["aws_codebuild_project"];

/** True when a webhook of this stack starts the project's builds for queued GitHub Actions jobs. */
function hostsGithubRunners(project: ResourceView, stack: StackView): boolean {
  return stack
    .referencing("aws_codebuild_webhook", project)
    .some((webhook) =>
      list(webhook.config.filter_group).some((group) =>
        list(group?.filter).some((f) => f?.type === "EVENT" && String(f.pattern ?? "").split(",").map((p) => p.trim()).includes("WORKFLOW_JOB_QUEUED")),
      ),
    );
}

export const CODEBUILD_RULES: Rule[] = [
  {
    id: "SLW-CB-001",
    title: "CodeBuild projects build unprivileged (no Docker daemon running as root in the build)",
    severity: "medium",
    resourceTypes: PROJECT,
    references: { checkov: ["CKV_AWS_316"], other: ["AWS FSBP CodeBuild.5"] },
    fix: "set environment.privileged_mode = false; build images on GitHub-hosted runners, or suppress with the reason a job needs the daemon",
    check(project) {
      const privileged = dig(project.config, "environment", "privileged_mode");
      return isTrue(privileged) ? ["environment.privileged_mode is true: every job gets a root Docker daemon with all capabilities"] : [];
    },
  },
  {
    id: "SLW-CB-002",
    title: "CodeBuild projects log to CloudWatch in a KMS-encrypted log group of the stack that expires its events",
    severity: "medium",
    resourceTypes: PROJECT,
    relatedTypes: ["aws_cloudwatch_log_group"],
    references: { checkov: ["CKV_AWS_314"], other: ["AWS FSBP CodeBuild.4"] },
    fix: "set logs_config.cloudwatch_logs { status = \"ENABLED\", group_name = <an aws_cloudwatch_log_group with kms_key_id and retention_in_days> }",
    check(project, stack) {
      const logs = block(dig(project.config, "logs_config", "cloudwatch_logs"));
      if (logs === undefined || logs.status === "DISABLED") return [`logs_config.cloudwatch_logs.status is ${show(logs?.status)}: the builds' logs are not kept in CloudWatch`];
      if (logs.group_name === undefined) return ["logs_config.cloudwatch_logs.group_name is not set: CodeBuild creates /aws/codebuild/<project>, unencrypted and kept forever"];
      const group = stack.resolve(logs.group_name);
      if (group?.type !== "aws_cloudwatch_log_group") return [`cannot confirm the log group ${show(logs.group_name)} is encrypted and expires: it is not a log group of this stack`];
      const problems: string[] = [];
      if (group.config.kms_key_id === undefined) problems.push(`log group ${group.address} has no kms_key_id`);
      if (group.config.retention_in_days === undefined || group.config.retention_in_days === 0) problems.push(`log group ${group.address} keeps its events forever`);
      const s3 = block(dig(project.config, "logs_config", "s3_logs"));
      if (s3 && s3.status === "ENABLED" && isTrue(s3.encryption_disabled)) problems.push("logs_config.s3_logs.encryption_disabled is true");
      return problems;
    },
  },
  {
    id: "SLW-CB-003",
    title: "CodeBuild projects hosting GitHub Actions runners run inside a VPC, behind security groups",
    severity: "high",
    resourceTypes: PROJECT,
    relatedTypes: ["aws_codebuild_webhook"],
    references: { other: ["AWS CodeBuild user guide: use CodeBuild with Amazon VPC"] },
    fix: "set vpc_config { vpc_id, subnets = <private subnets>, security_group_ids = [<a group with no ingress>] }",
    check(project, stack) {
      if (!hostsGithubRunners(project, stack)) return [];
      const vpc = block(project.config.vpc_config);
      if (vpc === undefined) return ["a GitHub Actions runner project without vpc_config: jobs run on CodeBuild's shared network, outside the environment's network controls"];
      const problems: string[] = [];
      if (list(vpc.subnets).length === 0 && typeof vpc.subnets !== "string") problems.push("vpc_config.subnets is empty");
      if (list(vpc.security_group_ids).length === 0 && typeof vpc.security_group_ids !== "string") problems.push("vpc_config.security_group_ids is empty");
      return problems;
    },
  },
  {
    id: "SLW-CB-004",
    title: "CodeBuild service roles are assumable only by CodeBuild, for their own account or project (aws:SourceAccount / aws:SourceArn)",
    severity: "medium",
    resourceTypes: PROJECT,
    relatedTypes: ["aws_iam_role"],
    references: { other: ["AWS CodeBuild user guide: cross-service confused deputy prevention"] },
    fix: "trust only { Service = \"codebuild.amazonaws.com\" } with Condition StringEquals aws:SourceAccount = <account> and aws:SourceArn = <the project's ARN>",
    check(project, stack) {
      const role = stack.resolve(project.config.service_role);
      if (role?.type !== "aws_iam_role") return [];
      const parsed = parsePolicy(role.config.assume_role_policy);
      if (!parsed.ok) return []; // SLW-POLICY-001 reports it
      const problems: string[] = [];
      parsed.statements
        .filter((s) => s.Effect === "Allow")
        .forEach((s, i) => {
          const where = `service role ${role.address} trust statement ${s.Sid ? JSON.stringify(s.Sid) : i}`;
          const principal = s.Principal && typeof s.Principal === "object" ? (s.Principal as Record<string, unknown>) : {};
          const others = Object.keys(principal).filter((k) => k !== "Service");
          const services = values(principal.Service).filter((service) => service !== "codebuild.amazonaws.com");
          if (s.Principal === "*" || others.length > 0 || services.length > 0) problems.push(`${where} trusts ${JSON.stringify(s.Principal)} besides CodeBuild`);
          const pinned = conditions(s).some((c) => ["aws:sourceaccount", "aws:sourcearn"].includes(c.key.toLowerCase()) && /^(StringEquals|ArnEquals|ArnLike|StringLike)$/.test(c.operator));
          if (!pinned) problems.push(`${where} has no aws:SourceAccount or aws:SourceArn condition: CodeBuild could assume it for another account's project (confused deputy)`);
        });
      return problems;
    },
  },
];
