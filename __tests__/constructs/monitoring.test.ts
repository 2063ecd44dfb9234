/**
 * The observability constructs on their own: Monitoring (alarms and dashboard), AlarmTopic and
 * ContainerInsights — their defaults and a "fails when" test per validation. The stacks' wiring is
 * asserted field by field in __tests__/stacks/observability.test.ts.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { AlarmTopic, AlarmTopicProps } from "../../constructs/alarm-topic";
import { ContainerInsights, ContainerInsightsProps } from "../../constructs/container-insights";
import { DeliveryPipeline } from "../../constructs/delivery-pipeline";
import { AlarmThresholds, MONITORING_SIGNALS, Monitoring, MonitoringProps } from "../../constructs/monitoring";
import { PROFILE_DEFAULTS } from "../../platform/model";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = any;

function stack() {
  const s = new TerraformStack(Testing.app(), "test");
  new AwsProvider(s, "aws", { region: "eu-west-1" });
  return { stack: s, usEast1: new AwsProvider(s, "aws_us_east_1", { region: "us-east-1", alias: "us-east-1" }) };
}

const THRESHOLDS: AlarmThresholds = PROFILE_DEFAULTS.production.environment.alarms.thresholds;
function monitoring(overrides: Partial<MonitoringProps> = {}) {
  const { stack: s, usEast1 } = stack();
  const m = new Monitoring(s, "Monitoring", {
    name: "shop-prod",
    region: "eu-west-1",
    loadBalancer: { loadBalancer: { arnSuffix: "app/shop-prod/0123456789abcdef" }, targetGroup: { arnSuffix: "targetgroup/shop-prod/fedcba9876543210" } },
    database: { identifier: "shop-prod" },
    cdn: { distributionId: "E2ABCDEF123456" },
    workload: { clusterName: "acme-prod", namespace: "shop", deploymentName: "shop", minReadyPods: 2 },
    thresholds: THRESHOLDS,
    alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:acme-prod-alarms",
    usEast1Provider: usEast1,
    usEast1AlarmTopicArn: "arn:aws:sns:us-east-1:123456789012:acme-prod-global-alarms",
    ...overrides,
  });
  return { m, tf: JSON.parse(Testing.synth(s)) as Json };
}

describe("Monitoring", () => {
  test("secure defaults: one alarm per signal, named <name>-<signal>, each notifying its region's topic on ALARM and OK", () => {
    const { m, tf } = monitoring();
    const { one } = constructResources("Monitoring");
    expect(m.alarms.map((a) => a.name)).toEqual(MONITORING_SIGNALS.map((s) => `shop-prod-${s}`));
    expect(m.pipelineAlarms.split(" ")).toEqual(MONITORING_SIGNALS.map((s) => `${s === "cdn-5xx-rate" ? "us-east-1" : "eu-west-1"}:shop-prod-${s}`));
    for (const signal of MONITORING_SIGNALS) {
      const alarm = one(tf, "aws_cloudwatch_metric_alarm", `Alarm-${signal}`);
      const topic = signal === "cdn-5xx-rate" ? "arn:aws:sns:us-east-1:123456789012:acme-prod-global-alarms" : "arn:aws:sns:eu-west-1:123456789012:acme-prod-alarms";
      expect(alarm).toMatchObject({ alarm_name: `shop-prod-${signal}`, alarm_actions: [topic], ok_actions: [topic], actions_enabled: true });
      expect(alarm.insufficient_data_actions).toBeUndefined();
      expect(["notBreaching", "missing", "breaching"]).toContain(alarm.treat_missing_data);
    }
    expect(one(tf, "aws_cloudwatch_dashboard", "Dashboard").dashboard_name).toBe("shop-prod");
  });

  test("each threshold prop reaches its alarm, in the metric's unit", () => {
    const { tf } = monitoring({ thresholds: { ...THRESHOLDS, p99LatencyMs: 250, databaseFreeStorageGiB: 0.5, containerRestarts: 7 } });
    const { one } = constructResources("Monitoring");
    expect(one(tf, "aws_cloudwatch_metric_alarm", "Alarm-p99-latency").threshold).toBe(0.25);
    expect(one(tf, "aws_cloudwatch_metric_alarm", "Alarm-db-free-storage").threshold).toBe(512 * 1024 ** 2);
    expect(one(tf, "aws_cloudwatch_metric_alarm", "Alarm-pod-restarts").threshold).toBe(7);
    expect(one(tf, "aws_cloudwatch_metric_alarm", "Alarm-pods-not-ready").threshold).toBe(2);
  });

  test.each<[string, Partial<MonitoringProps>, string, string]>([
    ["a percentage above 100", { thresholds: { ...THRESHOLDS, target5xxPercent: 101 } }, "thresholds.target5xxPercent", "a percentage above 0 and at most 100"],
    ["a latency of 0", { thresholds: { ...THRESHOLDS, p99LatencyMs: 0 } }, "thresholds.p99LatencyMs", "a whole number, at least 1"],
    ["a fractional connection count", { thresholds: { ...THRESHOLDS, databaseConnections: 10.5 } }, "thresholds.databaseConnections", "a whole number, at least 1"],
    ["no free storage", { thresholds: { ...THRESHOLDS, databaseFreeStorageGiB: 0 } }, "thresholds.databaseFreeStorageGiB", "a number above 0"],
    ["a name with upper case", { name: "Shop-Prod" }, "name", "lower-case letters, digits and '-'"],
    ["no ready pod required", { workload: { clusterName: "c", namespace: "n", deploymentName: "d", minReadyPods: 0 } }, "workload.minReadyPods", "at least 1"],
    ["a region that is not one", { region: "Europe" }, "region", "an AWS region"],
  ])("fails when given %s", (_what, overrides, field, accepted) => {
    expectValidationError(() => monitoring(overrides), "test/Monitoring", field, accepted);
  });
});

describe("AlarmTopic", () => {
  const topic = (overrides: Partial<AlarmTopicProps> = {}) => {
    const { stack: s } = stack();
    const t = new AlarmTopic(s, "AlarmTopic", { name: "acme-prod", accountId: "123456789012", region: "eu-west-1", ...overrides });
    return { t, tf: JSON.parse(Testing.synth(s)) as Json };
  };
  const { one, all, ref } = constructResources("AlarmTopic");

  test("secure defaults: encrypted with its own rotating key kept from destruction; no subscription unless given", () => {
    const { t, tf } = topic();
    expect(t.topicName).toBe("acme-prod-alarms");
    expect(one(tf, "aws_sns_topic")).toMatchObject({ name: "acme-prod-alarms", kms_master_key_id: ref(tf, "aws_kms_key", "Key", "arn") });
    expect(one(tf, "aws_kms_key", "Key")).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    expect(one(tf, "aws_kms_alias", "KeyAlias").name).toBe("alias/acme-prod-alarms");
    expect(all(tf, "aws_sns_topic_subscription")).toEqual([]);
  });

  test("emails: one subscription each, with ids by address (removing one keeps the others)", () => {
    const { tf } = topic({ emails: ["a@acme.example", "B@acme.example"], preventDestroy: false });
    expect(one(tf, "aws_sns_topic_subscription", "Email-a@acme.example")).toMatchObject({ protocol: "email", endpoint: "a@acme.example" });
    expect(one(tf, "aws_sns_topic_subscription", "Email-b@acme.example")).toMatchObject({ protocol: "email", endpoint: "B@acme.example" });
    expect(one(tf, "aws_kms_key", "Key").lifecycle).toBeUndefined();
  });

  test.each<[string, Partial<AlarmTopicProps>, string, string]>([
    ["an email that is not one", { emails: ["oncall"] }, "emails[0]", "an email address"],
    ["an email twice", { emails: ["a@acme.example", "a@acme.example"] }, "emails", "each address once"],
    ["a name with spaces", { name: "acme prod" }, "name", "lower-case letters, digits and '-'"],
    ["an account id that is not 12 digits", { accountId: "123" }, "accountId", "12-digit"],
  ])("fails when given %s", (_what, overrides, field, accepted) => {
    expectValidationError(() => topic(overrides), "test/AlarmTopic", field, accepted);
  });
});

describe("ContainerInsights", () => {
  const insights = (overrides: Partial<ContainerInsightsProps> = {}) => {
    const { stack: s } = stack();
    new ContainerInsights(s, "ContainerInsights", {
      name: "acme-prod",
      cluster: { clusterName: "acme-prod", arn: "arn:aws:eks:eu-west-1:123456789012:cluster/acme-prod", dependsOn: [] },
      accountId: "123456789012",
      region: "eu-west-1",
      logKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      ...overrides,
    });
    return JSON.parse(Testing.synth(s)) as Json;
  };
  const { one, all } = constructResources("ContainerInsights");

  test("secure defaults: a year of logs, encrypted; the add-on with its own role, trusted only for its service account on this cluster", () => {
    const tf = insights();
    expect(all(tf, "aws_cloudwatch_log_group").map((g: Json) => [g.name, g.retention_in_days, g.kms_key_id])).toEqual(
      ["application", "dataplane", "host", "performance"].map((k) => [`/aws/containerinsights/acme-prod/${k}`, 365, "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]),
    );
    expect(one(tf, "aws_eks_addon")).toMatchObject({ addon_name: "amazon-cloudwatch-observability", cluster_name: "acme-prod" });
    const trust = JSON.parse(one(tf, "aws_iam_role", "Role").assume_role_policy).Statement[0];
    expect(trust.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012", "aws:RequestTag/kubernetes-namespace": "amazon-cloudwatch", "aws:RequestTag/kubernetes-service-account": "cloudwatch-agent" },
      ArnEquals: { "aws:SourceArn": "arn:aws:eks:eu-west-1:123456789012:cluster/acme-prod" },
    });
  });

  test.each<[string, Partial<ContainerInsightsProps>, string, string]>([
    ["a retention CloudWatch does not offer", { retentionDays: 45 }, "retentionDays", "one of CloudWatch Logs' retention periods"],
    ["logs kept forever", { retentionDays: 0 }, "retentionDays", "one of CloudWatch Logs' retention periods"],
    ["an add-on version that is not one", { addonVersion: "latest" }, "addonVersion", "an EKS add-on version"],
    ["a cluster name that is not literal text", { name: "acme prod" }, "name", "the cluster's name as a literal"],
  ])("fails when given %s", (_what, overrides, field, accepted) => {
    expectValidationError(() => insights(overrides), "test/ContainerInsights", field, accepted);
  });
});

describe("DeliveryPipeline bakeMinutes", () => {
  test.each([[-1], [61], [1.5]])("fails when given %p minutes", (minutes) => {
    const { stack: s } = stack();
    expectValidationError(
      () => new DeliveryPipeline(s, "Pipeline", { appName: "shop", testCommand: "npm test", healthPath: "/healthz", repository: { name: "shop" }, environments: [{ name: "prod", bakeMinutes: minutes }] }),
      "test/Pipeline",
      "environments[0].bakeMinutes",
      "whole minutes from 0 to 60",
    );
  });
});
