/**
 * Container Insights on an EKS cluster through AWS's managed `amazon-cloudwatch-observability`
 * add-on: the CloudWatch agent publishes pod and node metrics (namespace `ContainerInsights`,
 * the signals of the apps' pod alarms) and Fluent Bit ships every container's stdout and stderr to
 * CloudWatch Logs. The add-on would create its log groups itself, unencrypted and kept forever;
 * created here first, they carry the retention and KMS key given.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { withAccountAndRegion, stackPartition } from "./aws-common";
import { podIdentityTrustPolicy } from "./pod-identity-role";
import { checkAccountId, invalid, isKnown, LOG_RETENTION_DAYS, resourceName } from "./util";

/** The service account the add-on's CloudWatch agent and Fluent Bit run as. */
export const CONTAINER_INSIGHTS_SERVICE_ACCOUNT = { namespace: "amazon-cloudwatch", name: "cloudwatch-agent" } as const;

/** The log groups Container Insights writes, by kind: `application` holds the containers' own output. */
export const CONTAINER_INSIGHTS_LOG_KINDS = ["application", "dataplane", "host", "performance"] as const;

/** The name of a cluster's Container Insights log group of `kind`. */
export function containerInsightsLogGroupName(clusterName: string, kind: (typeof CONTAINER_INSIGHTS_LOG_KINDS)[number]): string {
  return `/aws/containerinsights/${clusterName}/${kind}`;
}

/** The cluster {@link ContainerInsights} runs on; `KubernetesCluster` satisfies it. */
export interface ContainerInsightsCluster {
  /** The cluster name (a reference is fine). */
  readonly name: string;
  /** The cluster ARN: the only cluster whose Pod Identity may hand out the agent's role. */
  readonly arn: string;
  /** What an add-on with pods waits for: the nodes for its DaemonSets, the Pod Identity agent. */
  readonly workloadDependencies: readonly ITerraformDependable[];
}

/** Props of {@link ContainerInsights}. */
export interface ContainerInsightsProps {
  /**
   * The cluster's name as a literal (the add-on writes `/aws/containerinsights/<name>/…`); it also
   * names the role, `<name>-container-insights`.
   */
  readonly name: string;
  /**
   * The cluster: a `KubernetesCluster` itself. (The older form `{ clusterName, arn, dependsOn }` is
   * still accepted; deprecated.)
   */
  readonly cluster: ContainerInsightsCluster | { readonly clusterName: string; readonly arn: string; readonly dependsOn: readonly ITerraformDependable[] };
  /**
   * The cluster's account: only its Pod Identity may assume the role.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * Where the cluster runs, for the role's ARNs.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /** A KMS key whose policy lets CloudWatch Logs of this account and region use it (e.g. `Network`'s `logKey`). */
  readonly logKeyArn: string;
  /**
   * Days the log groups keep events; one of CloudWatch Logs' retention periods (never 0: container
   * logs always expire).
   * @default 365
   */
  readonly retentionDays?: number;
  /**
   * The add-on's version, e.g. `v4.1.0-eksbuild.1`.
   * @default EKS's default version for the cluster's Kubernetes version
   */
  readonly addonVersion?: string;
}

/**
 * The `amazon-cloudwatch-observability` add-on (`Resource`) with its own role (`Role`, trusted by
 * EKS Pod Identity for the add-on's service account only, holding AWS's
 * `CloudWatchAgentServerPolicy`) and the four log groups (`LogGroup-<kind>`) it writes.
 */
export class ContainerInsights extends Construct {
  /** The add-on. */
  public readonly addon: EksAddon;
  /** The role the agent and Fluent Bit run as. */
  public readonly role: IamRole;
  /** The log groups by kind; `application` holds the containers' output. */
  public readonly logGroups: Readonly<Record<(typeof CONTAINER_INSIGHTS_LOG_KINDS)[number], CloudwatchLogGroup>>;
  /** Days the log groups keep events. */
  public readonly retentionDays: number;

  constructor(scope: Construct, id: string, given: ContainerInsightsProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);
    const cluster = "clusterName" in props.cluster ? { name: props.cluster.clusterName, arn: props.cluster.arn, workloadDependencies: props.cluster.dependsOn } : props.cluster;
    this.retentionDays = props.retentionDays ?? 365;
    if (!LOG_RETENTION_DAYS.includes(this.retentionDays as (typeof LOG_RETENTION_DAYS)[number]) || this.retentionDays === 0) {
      invalid(this, "retentionDays", this.retentionDays, `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.filter((d) => d !== 0).join(", ")}`);
    }
    if (props.addonVersion !== undefined && isKnown(props.addonVersion) && !/^v\d+\.\d+\.\d+-eksbuild\.\d+$/.test(props.addonVersion)) {
      invalid(this, "addonVersion", props.addonVersion, "an EKS add-on version such as v4.1.0-eksbuild.1");
    }
    checkAccountId(this, "accountId", props.accountId);
    const { partition } = stackPartition(this, props.region);
    // The literal name: log group and role names are written into the plan, not read from the cluster.
    const clusterName = props.name;
    if (!isKnown(clusterName) || !/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(clusterName)) {
      invalid(this, "name", clusterName, "the cluster's name as a literal: letters, digits, '-' and '_', at most 100 (EKS's cluster names)");
    }

    const groups: Partial<Record<(typeof CONTAINER_INSIGHTS_LOG_KINDS)[number], CloudwatchLogGroup>> = {};
    for (const kind of CONTAINER_INSIGHTS_LOG_KINDS) {
      groups[kind] = new CloudwatchLogGroup(this, `LogGroup-${kind}`, {
        name: containerInsightsLogGroupName(clusterName, kind),
        retentionInDays: this.retentionDays,
        kmsKeyId: props.logKeyArn,
      });
    }
    this.logGroups = groups as Record<(typeof CONTAINER_INSIGHTS_LOG_KINDS)[number], CloudwatchLogGroup>;

    this.role = new IamRole(this, "Role", {
      name: resourceName([clusterName, "container-insights"], 64),
      description: `The CloudWatch agent and Fluent Bit of cluster ${clusterName}: metrics and container logs`,
      assumeRolePolicy: podIdentityTrustPolicy(props.accountId, cluster.arn, CONTAINER_INSIGHTS_SERVICE_ACCOUNT.namespace, CONTAINER_INSIGHTS_SERVICE_ACCOUNT.name),
    });
    const policy = new IamRolePolicyAttachment(this, "AgentPolicy", {
      role: this.role.name,
      policyArn: `arn:${partition}:iam::aws:policy/CloudWatchAgentServerPolicy`,
    });

    this.addon = new EksAddon(this, "Resource", {
      clusterName: cluster.name,
      addonName: "amazon-cloudwatch-observability",
      addonVersion: props.addonVersion,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      // The association is the add-on's own (EKS creates it for the add-on's service account).
      podIdentityAssociation: [{ roleArn: this.role.arn, serviceAccount: CONTAINER_INSIGHTS_SERVICE_ACCOUNT.name }],
      // Its log groups exist first (else Fluent Bit creates them unencrypted, kept forever).
      dependsOn: [...cluster.workloadDependencies, ...Object.values(groups), policy],
    });
  }
}
