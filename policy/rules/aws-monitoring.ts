/** CloudWatch alarms and their SNS topics: production is watched, and notifications are encrypted. */
import { isFalse, list, show } from "../accessors";
import { Rule } from "../types";

/** What each watched type is, for the message. */
const WATCHED: Record<string, string> = {
  aws_lb: "load balancer",
  aws_db_instance: "database",
  aws_cloudfront_distribution: "CloudFront distribution",
};

export const MONITORING_RULES: Rule[] = [
  {
    id: "SLW-MON-001",
    title: "Production load balancers, databases and CloudFront distributions are watched by a CloudWatch alarm that notifies someone",
    severity: "high",
    productionOnly: true,
    resourceTypes: Object.keys(WATCHED),
    relatedTypes: ["aws_cloudwatch_metric_alarm"],
    references: { other: ["AWS Well-Architected REL06-BP01 (monitor all components)"] },
    fix: "alarm on the resource (constructs: Monitoring, which <app>-<env> stacks create) with alarm_actions naming the environment's alarm topic; actions_enabled stays true",
    check(resource, stack) {
      const alarms = stack.referencing("aws_cloudwatch_metric_alarm", resource);
      if (alarms.length === 0) return [`no CloudWatch alarm watches this ${WATCHED[resource.type]}: nobody hears when it fails`];
      const notifying = alarms.filter((a) => list(a.config.alarm_actions).length > 0 && !isFalse(a.config.actions_enabled));
      return notifying.length > 0
        ? []
        : [`the alarms watching this ${WATCHED[resource.type]} (${alarms.map((a) => a.address).join(", ")}) have no alarm action, or actions disabled: they fire for nobody`];
    },
  },
  {
    id: "SLW-MON-002",
    title: "SNS topics are encrypted with a customer-managed KMS key",
    severity: "medium",
    resourceTypes: ["aws_sns_topic"],
    references: { checkov: ["CKV_AWS_26"], trivy: ["AVD-AWS-0095", "AVD-AWS-0136"] },
    fix: "set kms_master_key_id to a rotating customer-managed key whose policy lets the publishers (cloudwatch.amazonaws.com for alarm topics) use it (constructs: AlarmTopic)",
    check(topic) {
      const key = topic.config.kms_master_key_id;
      if (key === undefined || key === "") return ["no kms_master_key_id: messages are stored unencrypted"];
      // The AWS-managed key's policy admits no service principal: CloudWatch could not publish.
      return /alias\/aws\/sns$/.test(String(key)) ? [`kms_master_key_id is ${show(key)}, the AWS-managed key: CloudWatch alarms cannot publish to a topic encrypted with it`] : [];
    },
  },
];
