/**
 * Observability out of the box (issue 12 §6, §7): per app and environment, alarms on the load
 * balancer, the database, the CDN and the pods, with thresholds from the profile under the
 * platform file's overrides, notifying the environment's encrypted alarm topic; a dashboard of the
 * same signals; container logs shipped by the Container Insights add-on into log groups with the
 * profile's retention; the deploy role may describe exactly its own alarms, which reach the
 * deliver workflow as the environment's ALARMS variable.
 */
import { Testing } from "cdktf";
import { evaluate } from "../../policy";
import { buildPlatform } from "../../stacks";
import { examplePlatform, resourceAt, resourcesByPath, synthAll } from "../support/platform";

const EMAILS = ["oncall@acme.example", "platform+alarms@acme.example"];
const platform = examplePlatform((doc) => {
  const prod = doc.environments.find((e: any) => e.name === "prod");
  prod.alarms = { email: EMAILS };
  const dev = doc.environments.find((e: any) => e.name === "dev");
  // The environment overrides the profile; the app overrides the environment.
  dev.alarms = { thresholds: { p99LatencyMs: 5000, databaseConnections: 40 } };
  dev.logs = { retentionDays: 14 };
  dev.deploy = { bakeMinutes: 3 };
  doc.apps[0].alarms = { databaseConnections: 50 };
});
const stacks = synthAll(platform);
const prod = stacks["hello-prod"];
const dev = stacks["hello-dev"];

const alarm = (stack: any, signal: string) => resourceAt(stack, "aws_cloudwatch_metric_alarm", `Monitoring/Alarm-${signal}`);
const ref = (stack: any, type: string, suffix: string, attribute: string) => {
  const [address] = Object.entries<any>(stack.resource[type]).filter(([, r]) => r["//"].metadata.path.endsWith(suffix));
  return `\${${type}.${address[0]}.${attribute}}`;
};
/** The remote-state reference to platform-<env>'s output for `attribute` of a resource at `suffix` there. */
const topicRef = (stack: any, environment: string, construct: string) => {
  const actions: string[] = alarm(stack, construct === "UsEast1AlarmTopic" ? "cdn-5xx-rate" : "db-cpu").alarm_actions;
  expect(actions).toHaveLength(1);
  expect(actions[0]).toMatch(new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-platform-${environment}\\.outputs\\.cross-stack-output-aws_sns_topic${construct}.*arn\\}$`));
  return actions[0];
};

describe("alarms per app and environment, field by field", () => {
  const lb = ref(prod, "aws_lb", "LoadBalancer/Resource", "arn_suffix");
  // The app's target group lives with the node group in platform-prod: its ARN suffix comes from there.
  const tg = expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.cross-stack-output-aws_lb_target_groupTargets-hello.*arn_suffix\}$/);
  const db = ref(prod, "aws_db_instance", "Database/Resource", "identifier");
  const distribution = ref(prod, "aws_cloudfront_distribution", "Cdn/Resource", "id");
  const topic = topicRef(prod, "prod", "AlarmTopic");
  const globalTopic = topicRef(prod, "prod", "UsEast1AlarmTopic");
  const common = (name: string) => ({ alarm_name: `hello-prod-${name}`, alarm_actions: [topic], ok_actions: [topic], actions_enabled: true });

  test("the load balancer's 5xx rate and the app's: metric math over RequestCount, 3 of 5 minutes, quiet minutes not breaching", () => {
    for (const [signal, metric, threshold] of [["alb-5xx-rate", "HTTPCode_ELB_5XX_Count", 1], ["target-5xx-rate", "HTTPCode_Target_5XX_Count", 1]] as const) {
      const a = alarm(prod, signal);
      expect(a).toMatchObject({ ...common(signal), comparison_operator: "GreaterThanThreshold", threshold, evaluation_periods: 5, datapoints_to_alarm: 3, treat_missing_data: "notBreaching" });
      expect(a.metric_name).toBeUndefined();
      expect(a.metric_query).toEqual([
        { id: "rate", expression: "100 * FILL(errors, 0) / requests", label: expect.stringContaining("% of requests"), return_data: true },
        { id: "errors", metric: { namespace: "AWS/ApplicationELB", metric_name: metric, dimensions: { LoadBalancer: lb }, period: 60, stat: "Sum" } },
        { id: "requests", metric: { namespace: "AWS/ApplicationELB", metric_name: "RequestCount", dimensions: { LoadBalancer: lb }, period: 60, stat: "Sum" } },
      ]);
    }
  });

  test("unhealthy targets and p99 latency", () => {
    expect(alarm(prod, "unhealthy-targets")).toMatchObject({
      ...common("unhealthy-targets"),
      namespace: "AWS/ApplicationELB",
      metric_name: "UnHealthyHostCount",
      dimensions: { LoadBalancer: lb, TargetGroup: tg },
      statistic: "Maximum",
      period: 60,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluation_periods: 5,
      datapoints_to_alarm: 3,
      treat_missing_data: "notBreaching",
    });
    const p99 = alarm(prod, "p99-latency");
    expect(p99).toMatchObject({
      ...common("p99-latency"),
      namespace: "AWS/ApplicationELB",
      metric_name: "TargetResponseTime",
      dimensions: { LoadBalancer: lb },
      extended_statistic: "p99",
      period: 60,
      comparison_operator: "GreaterThanThreshold",
      // 1500 ms, in the metric's seconds.
      threshold: 1.5,
      evaluation_periods: 5,
      datapoints_to_alarm: 3,
      treat_missing_data: "notBreaching",
    });
    expect(p99.statistic).toBeUndefined();
  });

  test("database CPU, free storage and connections: gaps keep the alarm's state", () => {
    const rds = { namespace: "AWS/RDS", dimensions: { DBInstanceIdentifier: db }, period: 300, treat_missing_data: "missing" };
    expect(alarm(prod, "db-cpu")).toMatchObject({ ...common("db-cpu"), ...rds, metric_name: "CPUUtilization", statistic: "Average", comparison_operator: "GreaterThanThreshold", threshold: 80, evaluation_periods: 3 });
    expect(alarm(prod, "db-free-storage")).toMatchObject({
      ...common("db-free-storage"),
      ...rds,
      metric_name: "FreeStorageSpace",
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 10 * 1024 ** 3,
      evaluation_periods: 1,
    });
    expect(alarm(prod, "db-connections")).toMatchObject({ ...common("db-connections"), ...rds, metric_name: "DatabaseConnections", statistic: "Maximum", comparison_operator: "GreaterThanThreshold", threshold: 50, evaluation_periods: 2 });
  });

  test("the CDN's 5xx rate lives in us-east-1 (dimension Region=Global) and notifies the environment's us-east-1 topic", () => {
    const cdn = alarm(prod, "cdn-5xx-rate");
    expect(cdn).toMatchObject({
      alarm_name: "hello-prod-cdn-5xx-rate",
      provider: "aws.us-east-1",
      namespace: "AWS/CloudFront",
      metric_name: "5xxErrorRate",
      dimensions: { DistributionId: distribution, Region: "Global" },
      statistic: "Average",
      period: 60,
      comparison_operator: "GreaterThanThreshold",
      threshold: 1,
      evaluation_periods: 5,
      datapoints_to_alarm: 3,
      treat_missing_data: "notBreaching",
      alarm_actions: [globalTopic],
      ok_actions: [globalTopic],
    });
    expect(globalTopic).not.toBe(topic);
    // Every other alarm is in the app's region (the default provider).
    const others = Object.entries(resourcesByPath(prod, "aws_cloudwatch_metric_alarm")).filter(([p]) => !p.endsWith("cdn-5xx-rate"));
    expect(others).toHaveLength(9);
    for (const [, a] of others) expect(a.provider).toBeUndefined();
  });

  test("pods restarting and pods not ready (Container Insights, by cluster, namespace and workload)", () => {
    const pods = { ClusterName: expect.stringMatching(/cross-stack-reference-input-platform-prod/), Namespace: ref(prod, "kubernetes_namespace_v1", "Workload/Namespace", "metadata[0].name"), PodName: "hello" };
    expect(alarm(prod, "pod-restarts")).toMatchObject({
      ...common("pod-restarts"),
      namespace: "ContainerInsights",
      metric_name: "pod_number_of_container_restarts",
      dimensions: pods,
      statistic: "Sum",
      period: 300,
      comparison_operator: "GreaterThanThreshold",
      threshold: 3,
      evaluation_periods: 1,
      treat_missing_data: "notBreaching",
    });
    expect(alarm(prod, "pods-not-ready")).toMatchObject({
      ...common("pods-not-ready"),
      namespace: "ContainerInsights",
      metric_name: "pod_status_ready",
      dimensions: pods,
      statistic: "Sum",
      period: 60,
      comparison_operator: "LessThanThreshold",
      // The app's minimum replicas in prod (overrides.prod.replicas.min).
      threshold: 3,
      evaluation_periods: 5,
      datapoints_to_alarm: 5,
      treat_missing_data: "breaching",
    });
  });

  test("thresholds: the profile's, under the environment's, under the app's", () => {
    // development profile
    expect(alarm(dev, "alb-5xx-rate").threshold).toBe(5);
    expect(alarm(dev, "db-cpu").threshold).toBe(90);
    // environment override
    expect(alarm(dev, "p99-latency").threshold).toBe(5);
    // app override beats the environment's 40
    expect(alarm(dev, "db-connections").threshold).toBe(50);
    // The app's own threshold holds in every environment (the production profile's is 600).
    expect(alarm(prod, "db-connections").threshold).toBe(50);
    expect(alarm(stacks["hello-staging"], "db-connections").threshold).toBe(50);
    expect(alarm(dev, "pods-not-ready").threshold).toBe(2);
  });
});

describe("the dashboard", () => {
  test("one per app and environment, graphing each alarm's metric with its threshold, the CDN's from us-east-1", () => {
    const dashboard = resourceAt(prod, "aws_cloudwatch_dashboard", "Monitoring/Dashboard");
    expect(dashboard.dashboard_name).toBe("hello-prod");
    const body = JSON.parse(dashboard.dashboard_body);
    expect(body.widgets.map((w: any) => w.properties.title)).toEqual([
      "load balancer 5xx rate", "app 5xx rate", "unhealthy targets", "p99 latency", "database CPU",
      "database free storage", "database connections", "CDN 5xx rate", "pod restarts", "ready pods below minimum",
    ]);
    const byTitle = (title: string) => body.widgets.find((w: any) => w.properties.title === title).properties;
    expect(byTitle("CDN 5xx rate")).toMatchObject({ region: "us-east-1", metrics: [["AWS/CloudFront", "5xxErrorRate", "DistributionId", ref(prod, "aws_cloudfront_distribution", "Cdn/Resource", "id"), "Region", "Global", { stat: "Average" }]] });
    expect(byTitle("p99 latency")).toMatchObject({ region: "eu-west-1", metrics: [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", ref(prod, "aws_lb", "LoadBalancer/Resource", "arn_suffix"), { stat: "p99" }]], annotations: { horizontal: [{ label: "hello-prod-p99-latency", value: 1.5 }] } });
    expect(byTitle("load balancer 5xx rate").metrics[0]).toEqual([{ expression: "100 * FILL(errors, 0) / requests", label: "Load balancer 5xx (% of requests)", id: "rate" }]);
    // No two widgets overlap.
    const cells = body.widgets.map((w: any) => `${w.x},${w.y}`);
    expect(new Set(cells).size).toBe(cells.length);
  });
});

describe("the environment's alarm topics (platform-<env>)", () => {
  const platformProd = stacks["platform-prod"];
  const topics = resourcesByPath(platformProd, "aws_sns_topic");

  test("one encrypted topic in the region and one in us-east-1, each with its own rotating key CloudWatch may use", () => {
    expect(Object.keys(topics).sort()).toEqual(["platform-prod/AlarmTopic/Resource", "platform-prod/UsEast1AlarmTopic/Resource"]);
    for (const [construct, name, provider] of [["AlarmTopic", "acme-prod-alarms", undefined], ["UsEast1AlarmTopic", "acme-prod-global-alarms", "aws.us-east-1"]] as const) {
      const topic = topics[`platform-prod/${construct}/Resource`];
      expect(topic.name).toBe(name);
      expect(topic.provider).toBe(provider);
      expect(topic.kms_master_key_id).toBe(ref(platformProd, "aws_kms_key", `platform-prod/${construct}/Key`, "arn"));
      const key = resourceAt(platformProd, "aws_kms_key", `platform-prod/${construct}/Key`);
      expect(key).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
      const region = provider ? "us-east-1" : "eu-west-1";
      const statements = JSON.parse(key.policy).Statement;
      expect(statements).toContainEqual({
        Sid: "CloudWatchAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": "222222222222" }, ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${region}:222222222222:alarm:*` } },
      });
      const policy = JSON.parse(resourceAt(platformProd, "aws_sns_topic_policy", `platform-prod/${construct}/Policy`).policy);
      expect(policy.Statement[0]).toEqual({
        Sid: "CloudWatchAlarmsOfThisAccount",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: ref(platformProd, "aws_sns_topic", `platform-prod/${construct}/Resource`, "arn"),
        Condition: { StringEquals: { "aws:SourceAccount": "222222222222" }, ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${region}:222222222222:alarm:*` } },
      });
      // No statement lets anyone outside the account publish or subscribe.
      for (const s of policy.Statement) expect(JSON.stringify(s.Principal)).not.toMatch(/"\*"/);
    }
  });

  test("subscriptions come from the platform file: each email on both topics; none where the file lists none", () => {
    const subscriptions = Object.values<any>(platformProd.resource.aws_sns_topic_subscription);
    expect(subscriptions.map((s) => [s.protocol, s.endpoint, s.provider ?? "default"]).sort()).toEqual(
      EMAILS.flatMap((e) => [["email", e, "aws.us-east-1"], ["email", e, "default"]]).sort(),
    );
    expect(stacks["platform-dev"].resource.aws_sns_topic_subscription).toBeUndefined();
  });
});

describe("container logs and metrics (Container Insights add-on)", () => {
  test("the add-on runs with its own Pod Identity role; its four log groups exist first, encrypted, kept per profile", () => {
    for (const [environment, days] of [["prod", 365], ["staging", 30], ["dev", 14]] as const) {
      const stack = stacks[`platform-${environment}`];
      const addon = resourceAt(stack, "aws_eks_addon", "ContainerInsights/Resource");
      expect(addon).toMatchObject({
        addon_name: "amazon-cloudwatch-observability",
        pod_identity_association: [{ role_arn: ref(stack, "aws_iam_role", "ContainerInsights/Role", "arn"), service_account: "cloudwatch-agent" }],
      });
      const groups = Object.values<any>(resourcesByPath(stack, "aws_cloudwatch_log_group")).filter((g) => String(g.name).startsWith("/aws/containerinsights/"));
      expect(groups.map((g) => g.name).sort()).toEqual(["application", "dataplane", "host", "performance"].map((k) => `/aws/containerinsights/acme-${environment}/${k}`));
      for (const group of groups) {
        expect(group.retention_in_days).toBe(days);
        expect(group.kms_key_id).toBe(ref(stack, "aws_kms_key", "Network/LogKey", "arn"));
        expect(addon.depends_on).toContain(`aws_cloudwatch_log_group.${Object.entries<any>(stack.resource.aws_cloudwatch_log_group).find(([, g]) => g === group)![0]}`);
      }
      const trust = JSON.parse(resourceAt(stack, "aws_iam_role", "ContainerInsights/Role").assume_role_policy).Statement[0];
      expect(trust.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
      expect(trust.Condition.StringEquals).toMatchObject({ "aws:RequestTag/kubernetes-namespace": "amazon-cloudwatch", "aws:RequestTag/kubernetes-service-account": "cloudwatch-agent" });
      expect(resourceAt(stack, "aws_iam_role_policy_attachment", "ContainerInsights/AgentPolicy").policy_arn).toBe("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy");
    }
  });
});

describe("the deploy pipeline reads exactly these alarms", () => {
  test("the environment's ALARMS variable names each alarm with its region; bakeMinutes per environment reaches the workflow", () => {
    const variables = Object.values<any>(prod.resource.github_actions_environment_variable);
    const alarms = variables.find((v) => v.variable_name === "ALARMS");
    const names = alarms.value.split(" ");
    expect(names).toHaveLength(10);
    expect(names).toContain("us-east-1:hello-prod-cdn-5xx-rate");
    expect(names).toContain("eu-west-1:hello-prod-alb-5xx-rate");
    expect(names.filter((n: string) => n.startsWith("eu-west-1:"))).toHaveLength(9);
    const deliver = Object.values<any>(stacks["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/workflows/deliver.yml").content;
    // dev: 3 (the file), staging: 1 (development profile), prod: 5 (production profile).
    expect(deliver.match(/BAKE_MINUTES: "(\d+)"/g)).toEqual(['BAKE_MINUTES: "3"', 'BAKE_MINUTES: "1"', 'BAKE_MINUTES: "5"']);
  });

  test("the deploy role may describe exactly its own alarms, in both regions, and nothing else of CloudWatch but the canary's metrics", () => {
    const policies = Object.values<any>(prod.resource.aws_iam_role_policy ?? {}).concat(Object.values<any>(prod.resource.aws_iam_policy ?? {}));
    const statements = policies.flatMap((p) => JSON.parse(p.policy).Statement);
    const cloudwatch = statements.filter((s: any) => JSON.stringify(s.Action).includes("cloudwatch:") && s.Sid !== "ReadCanaryMetrics");
    // prod's canary reads its target groups' metrics: GetMetricData, which has no resource-level permissions.
    expect(statements.filter((s: any) => s.Sid === "ReadCanaryMetrics")).toEqual([{ Sid: "ReadCanaryMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" }]);
    expect(cloudwatch).toHaveLength(1);
    expect(cloudwatch[0].Action).toBe("cloudwatch:DescribeAlarms");
    const alarmArns = Object.keys(prod.resource.aws_cloudwatch_metric_alarm).map((k) => `\${aws_cloudwatch_metric_alarm.${k}.arn}`);
    expect([...cloudwatch[0].Resource].sort()).toEqual(alarmArns.sort());
  });

  test("the synth summary's line for each <app>-<env> stack lists its alarms and bake time; platform-<env>'s its topic", () => {
    const built = buildPlatform(Testing.app(), platform);
    const line = (name: string) => built.stacks.find((s) => s.stackName === name)!.description;
    expect(line("hello-prod")).toContain(
      "; 10 alarms (alb-5xx-rate, target-5xx-rate, unhealthy-targets, p99-latency, db-cpu, db-free-storage, db-connections, cdn-5xx-rate, pod-restarts, pods-not-ready), bake 5 min",
    );
    expect(line("hello-dev")).toContain(", bake 3 min");
    expect(line("platform-prod")).toContain(", alarm topic acme-prod-alarms (2 emails), container logs 365 days");
    expect(line("platform-dev")).toContain(", alarm topic acme-dev-alarms (0 emails), container logs 14 days");
  });
});

describe("policy: SLW-MON-001 and SLW-MON-002", () => {
  const inputs = Object.entries(stacks).map(([name, json]) => ({ name, json, production: name.endsWith("-prod") }));

  test("the example passes both rules", () => {
    const result = evaluate(inputs, { productionEnvironments: ["prod"] });
    expect(result.findings.filter((f) => f.rule.id.startsWith("SLW-MON-"))).toEqual([]);
  });

  test("fails when a production app stack has no alarms, or its alarms notify nobody", () => {
    const without = structuredClone(prod);
    delete without.resource.aws_cloudwatch_metric_alarm;
    const findings = evaluate([{ name: "hello-prod", json: without, production: true }]).findings.filter((f) => f.rule.id === "SLW-MON-001");
    expect(findings.map((f) => f.path).sort()).toEqual(["hello-prod/Cdn/Resource", "hello-prod/Database/Resource", "hello-prod/LoadBalancer/Resource"]);
    expect(findings[0].message).toMatch(/no CloudWatch alarm watches this/);

    const silent = structuredClone(prod);
    for (const a of Object.values<any>(silent.resource.aws_cloudwatch_metric_alarm)) a.alarm_actions = [];
    const silentFindings = evaluate([{ name: "hello-prod", json: silent, production: true }]).findings.filter((f) => f.rule.id === "SLW-MON-001");
    expect(silentFindings).toHaveLength(3);
    expect(silentFindings[0].message).toMatch(/have no alarm action/);

    // Not production: no finding.
    expect(evaluate([{ name: "hello-prod", json: without, production: false }]).findings.filter((f) => f.rule.id === "SLW-MON-001")).toEqual([]);
  });

  test("fails when an SNS topic is unencrypted or uses the AWS-managed key", () => {
    for (const [key, message] of [[undefined, /no kms_master_key_id/], ["alias/aws/sns", /AWS-managed key/]] as const) {
      const changed = structuredClone(stacks["platform-prod"]);
      const topic: any = Object.values(changed.resource.aws_sns_topic)[0];
      if (key === undefined) delete topic.kms_master_key_id;
      else topic.kms_master_key_id = key;
      const findings = evaluate([{ name: "platform-prod", json: changed, production: true }]).findings.filter((f) => f.rule.id === "SLW-MON-002");
      expect(findings).toHaveLength(1);
      expect(findings[0].message).toMatch(message);
    }
  });
});
