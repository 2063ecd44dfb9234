/**
 * An app's alarms and dashboard in one environment: the load balancer's 5xx rate, the app's own
 * 5xx rate, unhealthy targets and p99 latency; the database's CPU, free storage and connections;
 * the CDN's 5xx rate (in us-east-1, where CloudFront publishes); the pods' restarts and readiness
 * (Container Insights). Each alarm notifies the environment's alarm topic of its region when it
 * fires and when it recovers; the deploy pipeline watches the same alarms while a release bakes.
 */
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { withRegion } from "./aws-common";
import { checkRegion, invalid, isKnown } from "./util";

/** The thresholds of an app's alarms in one environment. */
export interface AlarmThresholds {
  /** Load balancer 5xx responses (its own: no healthy target, timeouts) as a percentage of requests. */
  readonly loadBalancer5xxPercent: number;
  /** The app's own 5xx responses (targets) as a percentage of requests. */
  readonly target5xxPercent: number;
  /** Unhealthy targets that fire the alarm (at least this many). */
  readonly unhealthyTargets: number;
  /** p99 target response time, in milliseconds. */
  readonly p99LatencyMs: number;
  /** Database CPU utilization, in percent. */
  readonly databaseCpuPercent: number;
  /** Fire when the database's free storage falls below this, in GiB. */
  readonly databaseFreeStorageGiB: number;
  /** Database connections that fire the alarm (more than this many). */
  readonly databaseConnections: number;
  /** CloudFront's 5xx error rate, in percent. */
  readonly cdn5xxPercent: number;
  /** Container restarts of the app's pods within 5 minutes that fire the alarm (more than this many). */
  readonly containerRestarts: number;
}

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** Prefixes every alarm (`<name>-<signal>`) and names the dashboard, e.g. `hello-prod`. */
  readonly name: string;
  /**
   * The region of the app (load balancer, database, cluster): the dashboard's widgets read it.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /** The app's load balancer and its target group (`LoadBalancer` satisfies this). */
  readonly loadBalancer: { readonly loadBalancer: { readonly arnSuffix: string }; readonly targetGroup: { readonly arnSuffix: string } };
  /**
   * The app's database instance (`PostgresDatabase` satisfies this).
   * @default none - no database alarms (an app with `database: none`)
   */
  readonly database?: { readonly identifier: string };
  /** The app's CloudFront distribution (`Cdn` satisfies this). */
  readonly cdn: { readonly distributionId: string };
  /** The app's pods as Container Insights names them: cluster, namespace and workload (the Deployment's name). */
  readonly workload: { readonly clusterName: string; readonly namespace: string; readonly deploymentName: string; readonly minReadyPods: number };
  /** The thresholds; see {@link AlarmThresholds}. */
  readonly thresholds: AlarmThresholds;
  /** The alarm topic of {@link region}: every alarm but the CDN's notifies it. */
  readonly alarmTopicArn: string;
  /** A provider for us-east-1, where CloudFront publishes its metrics (and so where its alarm must live). */
  readonly usEast1Provider: TerraformProvider;
  /** The alarm topic in us-east-1, for the CDN's alarm (an alarm notifies only topics of its own region). */
  readonly usEast1AlarmTopicArn: string;
}

/** One alarm as {@link Monitoring} made it, for the pipeline, the deploy role and the summary. */
export interface MonitoringAlarm {
  /** The `aws_cloudwatch_metric_alarm`. */
  readonly resource: CloudwatchMetricAlarm;
  /** The alarm's name, `<name>-<signal>` (a literal). */
  readonly name: string;
  /** The region the alarm lives in. */
  readonly region: string;
  /** What it watches, in a few words. */
  readonly title: string;
}

/** The signals, by construct id (`Alarm-<signal>`), in dashboard order. */
export const MONITORING_SIGNALS = [
  "alb-5xx-rate",
  "target-5xx-rate",
  "unhealthy-targets",
  "p99-latency",
  "db-cpu",
  "db-free-storage",
  "db-connections",
  "cdn-5xx-rate",
  "pod-restarts",
  "pods-not-ready",
] as const;
/** One of {@link MONITORING_SIGNALS}: the last part of an alarm's name. */
export type MonitoringSignal = (typeof MONITORING_SIGNALS)[number];

const GIB = 1024 ** 3;

/**
 * Alarms (`Alarm-<signal>`, see {@link MONITORING_SIGNALS}) and a dashboard (`Dashboard`) for one
 * app in one environment. Periods and evaluation windows are chosen so that a real problem fires
 * within the deploy pipeline's bake (3 bad minutes of 5 for request signals) while a single bad
 * minute does not page anyone; missing data is treated per signal, explained where it is set.
 */
export class Monitoring extends Construct {
  /** Every alarm, in {@link MONITORING_SIGNALS} order. */
  public readonly alarms: MonitoringAlarm[];
  /** The dashboard `<name>`. */
  public readonly dashboard: CloudwatchDashboard;
  /** The alarms as `<region>:<name>` separated by spaces: the deploy pipeline's `ALARMS` variable. */
  public readonly pipelineAlarms: string;

  constructor(scope: Construct, id: string, given: MonitoringProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withRegion(this, given);
    checkRegion(this, "region", props.region);
    if (isKnown(props.name) && !/^[a-z0-9]([a-z0-9-]{0,200}[a-z0-9])?$/.test(props.name)) {
      invalid(this, "name", props.name, "lower-case letters, digits and '-' (it prefixes the alarms' names and names the dashboard)");
    }
    this.validateThresholds(props.thresholds);
    if (!Number.isInteger(props.workload.minReadyPods) || props.workload.minReadyPods < 1) {
      invalid(this, "workload.minReadyPods", props.workload.minReadyPods, "a whole number of pods, at least 1");
    }

    const t = props.thresholds;
    const alb = { LoadBalancer: props.loadBalancer.loadBalancer.arnSuffix };
    const targets = { ...alb, TargetGroup: props.loadBalancer.targetGroup.arnSuffix };
    const db = { DBInstanceIdentifier: props.database?.identifier ?? "" };
    const cdn = { DistributionId: props.cdn.distributionId, Region: "Global" };
    const pods = { ClusterName: props.workload.clusterName, Namespace: props.workload.namespace, PodName: props.workload.deploymentName };
    const ratio = (errors: string, what: string): Partial<CloudwatchMetricAlarmConfig> => ({
      metricQuery: [
        {
          id: "rate",
          // No requests in a minute: no data point (missing), not a rate of 0/0.
          expression: "100 * FILL(errors, 0) / requests",
          label: `${what} (% of requests)`,
          returnData: true,
        },
        { id: "errors", metric: { namespace: "AWS/ApplicationELB", metricName: errors, dimensions: alb, period: 60, stat: "Sum" } },
        { id: "requests", metric: { namespace: "AWS/ApplicationELB", metricName: "RequestCount", dimensions: alb, period: 60, stat: "Sum" } },
      ],
    });

    const specs: Array<{ signal: MonitoringSignal; title: string; config: Partial<CloudwatchMetricAlarmConfig>; cdn?: boolean }> = [
      {
        signal: "alb-5xx-rate",
        title: "load balancer 5xx rate",
        config: {
          ...ratio("HTTPCode_ELB_5XX_Count", "Load balancer 5xx"),
          comparisonOperator: "GreaterThanThreshold",
          threshold: t.loadBalancer5xxPercent,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // No requests, no rate: a quiet minute is not an error.
          treatMissingData: "notBreaching",
        },
      },
      {
        signal: "target-5xx-rate",
        title: "app 5xx rate",
        config: {
          ...ratio("HTTPCode_Target_5XX_Count", "App 5xx"),
          comparisonOperator: "GreaterThanThreshold",
          threshold: t.target5xxPercent,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          treatMissingData: "notBreaching",
        },
      },
      {
        signal: "unhealthy-targets",
        title: "unhealthy targets",
        config: {
          namespace: "AWS/ApplicationELB",
          metricName: "UnHealthyHostCount",
          dimensions: targets,
          statistic: "Maximum",
          period: 60,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          threshold: t.unhealthyTargets,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // The load balancer publishes only while it has something to report: no data is no unhealthy target.
          treatMissingData: "notBreaching",
        },
      },
      {
        signal: "p99-latency",
        title: "p99 latency",
        config: {
          namespace: "AWS/ApplicationELB",
          metricName: "TargetResponseTime",
          dimensions: alb,
          extendedStatistic: "p99",
          period: 60,
          comparisonOperator: "GreaterThanThreshold",
          // TargetResponseTime is in seconds.
          threshold: t.p99LatencyMs / 1000,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // No requests, no latency.
          treatMissingData: "notBreaching",
        },
      },
      {
        signal: "db-cpu",
        title: "database CPU",
        config: {
          namespace: "AWS/RDS",
          metricName: "CPUUtilization",
          dimensions: db,
          statistic: "Average",
          period: 300,
          comparisonOperator: "GreaterThanThreshold",
          threshold: t.databaseCpuPercent,
          evaluationPeriods: 3,
          // RDS publishes every minute while the instance runs: a gap (failover, maintenance) says
          // nothing about CPU either way, so the alarm keeps its state.
          treatMissingData: "missing",
        },
      },
      {
        signal: "db-free-storage",
        title: "database free storage",
        config: {
          namespace: "AWS/RDS",
          metricName: "FreeStorageSpace",
          dimensions: db,
          statistic: "Minimum",
          period: 300,
          comparisonOperator: "LessThanThreshold",
          // FreeStorageSpace is in bytes.
          threshold: Math.round(t.databaseFreeStorageGiB * GIB),
          evaluationPeriods: 1,
          treatMissingData: "missing",
        },
      },
      {
        signal: "db-connections",
        title: "database connections",
        config: {
          namespace: "AWS/RDS",
          metricName: "DatabaseConnections",
          dimensions: db,
          statistic: "Maximum",
          period: 300,
          comparisonOperator: "GreaterThanThreshold",
          threshold: t.databaseConnections,
          evaluationPeriods: 2,
          treatMissingData: "missing",
        },
      },
      {
        signal: "cdn-5xx-rate",
        title: "CDN 5xx rate",
        cdn: true,
        config: {
          namespace: "AWS/CloudFront",
          metricName: "5xxErrorRate",
          dimensions: cdn,
          statistic: "Average",
          period: 60,
          comparisonOperator: "GreaterThanThreshold",
          threshold: t.cdn5xxPercent,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // CloudFront publishes only for minutes with requests.
          treatMissingData: "notBreaching",
        },
      },
      {
        signal: "pod-restarts",
        title: "pod restarts",
        config: {
          namespace: "ContainerInsights",
          metricName: "pod_number_of_container_restarts",
          dimensions: pods,
          // The agent reports each pod's restarts since its previous look: the Sum counts those within 5 minutes.
          statistic: "Sum",
          period: 300,
          comparisonOperator: "GreaterThanThreshold",
          threshold: t.containerRestarts,
          evaluationPeriods: 1,
          // No pod reporting means no restart counted; the readiness alarm catches pods that are gone.
          treatMissingData: "notBreaching",
        },
      },
      {
        signal: "pods-not-ready",
        title: "ready pods below minimum",
        config: {
          namespace: "ContainerInsights",
          metricName: "pod_status_ready",
          dimensions: pods,
          // Each pod reports 1 a minute while ready (enhanced Container Insights): the Sum counts ready pods.
          statistic: "Sum",
          period: 60,
          comparisonOperator: "LessThanThreshold",
          threshold: props.workload.minReadyPods,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          // Container Insights reports every running pod each minute: no data means no pod at all.
          treatMissingData: "breaching",
        },
      },
    ];

    // Without a database, its three signals have nothing to watch.
    const watched = props.database ? specs : specs.filter((spec) => spec.config.namespace !== "AWS/RDS");
    this.alarms = watched.map(({ signal, title, config, cdn: inUsEast1 }) => {
      const name = `${props.name}-${signal}`;
      const topic = inUsEast1 ? props.usEast1AlarmTopicArn : props.alarmTopicArn;
      const resource = new CloudwatchMetricAlarm(this, `Alarm-${signal}`, {
        ...(inUsEast1 ? { provider: props.usEast1Provider } : {}),
        alarmName: name,
        alarmDescription: `${title} of ${props.name}`,
        ...config,
        comparisonOperator: config.comparisonOperator!,
        evaluationPeriods: config.evaluationPeriods!,
        // Notified when it fires and when it recovers; no action for INSUFFICIENT_DATA (new alarms start there).
        alarmActions: [topic],
        okActions: [topic],
        actionsEnabled: true,
      });
      return { resource, name, region: inUsEast1 ? "us-east-1" : props.region, title };
    });

    this.pipelineAlarms = this.alarms.map((a) => `${a.region}:${a.name}`).join(" ");

    this.dashboard = new CloudwatchDashboard(this, "Dashboard", {
      dashboardName: props.name,
      dashboardBody: JSON.stringify({ widgets: this.alarms.map((alarm, i) => widget(alarm, watched[i].config, i)) }),
    });
  }

  private validateThresholds(t: AlarmThresholds): void {
    const percent = (field: keyof AlarmThresholds) => {
      if (!(t[field] > 0 && t[field] <= 100)) invalid(this, `thresholds.${field}`, t[field], "a percentage above 0 and at most 100");
    };
    const positive = (field: keyof AlarmThresholds, whole: boolean) => {
      if (!(t[field] > 0) || (whole && !Number.isInteger(t[field]))) invalid(this, `thresholds.${field}`, t[field], whole ? "a whole number, at least 1" : "a number above 0");
    };
    for (const field of ["loadBalancer5xxPercent", "target5xxPercent", "databaseCpuPercent", "cdn5xxPercent"] as const) percent(field);
    for (const field of ["unhealthyTargets", "p99LatencyMs", "databaseConnections", "containerRestarts"] as const) positive(field, true);
    positive("databaseFreeStorageGiB", false);
  }
}

/** A dashboard graph of one alarm's metric, its threshold drawn as a line. */
function widget(alarm: MonitoringAlarm, config: Partial<CloudwatchMetricAlarmConfig>, index: number): object {
  const dimensionList = (dimensions: Record<string, string> | undefined) => Object.entries(dimensions ?? {}).flat();
  const queries = (config.metricQuery ?? []) as Array<{ id: string; expression?: string; label?: string; metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; stat: string } }>;
  const metrics =
    queries.length > 0
      ? queries.map((q) =>
          q.expression !== undefined
            ? [{ expression: q.expression, label: q.label, id: q.id }]
            : [q.metric!.namespace, q.metric!.metricName, ...dimensionList(q.metric!.dimensions), { id: q.id, stat: q.metric!.stat, visible: false }],
        )
      : [[config.namespace!, config.metricName!, ...dimensionList(config.dimensions), { stat: config.extendedStatistic ?? config.statistic! }]];
  return {
    type: "metric",
    // Two graphs a row.
    x: (index % 2) * 12,
    y: Math.floor(index / 2) * 6,
    width: 12,
    height: 6,
    properties: {
      title: alarm.title,
      region: alarm.region,
      period: config.period ?? 60,
      view: "timeSeries",
      metrics,
      annotations: { horizontal: [{ label: alarm.name, value: config.threshold }] },
    },
  };
}
