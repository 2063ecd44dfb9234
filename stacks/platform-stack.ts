import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { AlarmTopic } from "../constructs/alarm-topic";
import { CiRunners } from "../constructs/ci-runners";
import { ContainerInsights } from "../constructs/container-insights";
import { ClusterAutoscalerRole } from "../constructs/cluster-autoscaler-role";
import { KubernetesCluster } from "../constructs/kubernetes-cluster";
import { Network } from "../constructs/network";
import { NodeTargetGroup } from "../constructs/node-target-group";
import { PREVIEW_ROUTER_HEALTH_PATH } from "../constructs/preview-host";
import { PREVIEW_WORKFLOW_NAMES } from "../constructs/preview-workflow";
import { terraformLiterals } from "../platform/literal";
import { appInEnvironment, EnvironmentConfig, PlatformConfig } from "../platform/model";
import { BootstrapStack, githubConnectionArnPattern } from "./bootstrap-stack";
import { SlipwayStack, environmentAwsProvider } from "./common";

/** Props of {@link PlatformStack}. */
export interface PlatformStackProps {
  /** The validated platform file: its name prefixes the cluster (`<name>-<env>`), its backend holds the state. */
  readonly platform: PlatformConfig;
  /** The environment this stack builds, with every default resolved. */
  readonly environment: EnvironmentConfig;
  /**
   * The bootstrap stack of the environment's account: its GitHub OIDC provider (the account's only
   * one), and the plan and apply roles, which get read-only and admin access to the cluster. Only
   * their names are used (plain strings), so this stack does not read the bootstrap's state.
   */
  readonly bootstrap: BootstrapStack;
}

/**
 * `platform-<env>`: the environment's network, its EKS cluster (with access for CI's plan and apply
 * roles) and its CI runners (using the GitHub connection of `bootstrap-<account>` in the region).
 */
export class PlatformStack extends SlipwayStack {
  /** One line for the synth summary: the environment, its account, network and cluster version. */
  readonly description: string;
  /** The environment this stack builds. */
  readonly environment: EnvironmentConfig;
  /** The environment's VPC (`<platform>-<env>`), its subnets tagged for the cluster. */
  readonly network: Network;
  /** The environment's EKS cluster (`<platform>-<env>`) in the network's private subnets. */
  readonly cluster: KubernetesCluster;
  /** The account's GitHub OIDC provider, created by the account's bootstrap stack. */
  readonly githubOidc: { readonly arn: string };
  /**
   * The environment's CodeBuild-hosted GitHub Actions runners in the VPC: `<platform>-<env>-plan-runner`
   * (pull-request plans) and `<platform>-<env>-deploy-runner` (apply and deploy jobs).
   */
  readonly ciRunners: CiRunners;
  /**
   * Each app's target group of the nodes (`<app>-<env>-np`) by app name, attached to the node group
   * here, so replacing the node group re-attaches it in the same apply; the app's load balancer
   * (in `<app>-<env>`) forwards to it.
   */
  readonly targetGroups: Readonly<Record<string, NodeTargetGroup>>;
  /**
   * The canary target group of the nodes (`<app>-<env>-cn`, on the app's canary NodePort) of each
   * app whose rollout here is canary, by app name; attached like {@link targetGroups}.
   */
  readonly canaryTargetGroups: Readonly<Record<string, NodeTargetGroup>>;
  /**
   * The target groups (`<app>-<env>-pv`) of the preview routers of the apps whose previews this
   * environment hosts, by app name: the router's NodePort, attached to the node group like the apps'.
   */
  readonly previewTargetGroups: Readonly<Record<string, NodeTargetGroup>>;
  /** The environment's alarm topic (`<platform>-<env>-alarms`, KMS-encrypted) in its region: every app alarm there notifies it. */
  readonly alarmTopic: AlarmTopic;
  /**
   * The alarm topic in us-east-1 for the apps' CloudFront alarms (`<platform>-<env>-global-alarms`);
   * {@link alarmTopic} itself when the environment is in us-east-1.
   */
  readonly usEast1AlarmTopic: AlarmTopic;
  /** Container Insights on the cluster: pod metrics for the apps' alarms, container logs kept per profile. */
  readonly containerInsights: ContainerInsights;
  /** The Cluster Autoscaler's IAM role and Pod Identity: it may resize this cluster's node groups only. */
  readonly clusterAutoscalerRole: ClusterAutoscalerRole;

  constructor(scope: Construct, props: PlatformStackProps) {
    // Platform-file text enters the construct tree here, once, as Terraform literals; the raw
    // config stays for what is not Terraform (policy suppressions, this.environment).
    const { platform, environment } = terraformLiterals({ platform: props.platform, environment: props.environment });
    super(scope, `platform-${environment.name}`, platform, { production: environment.production, suppressions: props.environment.suppressions });
    this.environment = props.environment;
    const tags = { "slipway:environment": environment.name };
    environmentAwsProvider(this, "aws", platform, environment, tags);

    const clusterName = `${platform.name}-${environment.name}`;
    this.network = new Network(this, "Network", {
      name: clusterName,
      cidrBlock: environment.network.cidr,
      availabilityZones: environment.network.zones,
      accountId: environment.account,
      region: environment.region,
      natGateways: environment.network.natGateways,
      clusterName,
      preventDestroy: environment.production,
    });
    const applyRoleArn = props.bootstrap.ci.applyRoleArns[environment.name];
    this.cluster = new KubernetesCluster(this, "Cluster", {
      name: clusterName,
      network: this.network,
      accountId: environment.account,
      region: environment.region,
      kubernetesVersion: environment.cluster.version,
      publicAccessCidrs: environment.cluster.publicAccessCidrs,
      nodeInstanceTypes: environment.cluster.nodeInstanceTypes,
      nodeMinSize: environment.cluster.nodes.min,
      nodeDesiredSize: environment.cluster.nodes.desired,
      nodeMaxSize: environment.cluster.nodes.max,
      adminPrincipalArns: environment.cluster.adminRoleArns,
      // The role the stacks are applied as (the bootstrap's apply role of this environment) is
      // cluster-admin by name, never whoever runs a plan; the pull-request plan role only views.
      terraformPrincipalArn: applyRoleArn,
      readOnlyPrincipalArns: [props.bootstrap.ci.planRoleArn],
      preventDestroy: environment.production,
    });
    // Here, not in the app stacks: the attachments must change in the apply that replaces the node
    // group (create_before_destroy), never wait for every app stack to be applied again.
    this.targetGroups = Object.fromEntries(
      platform.apps.map((app, i) => [
        props.platform.apps[i].name,
        new NodeTargetGroup(this, `Targets-${props.platform.apps[i].name}`, {
          name: `${app.name}-${environment.name}`,
          vpcId: this.network.vpcId,
          cluster: this.cluster,
          targetPort: app.nodePort,
          healthPath: app.healthPath,
          tags: { "slipway:app": app.name },
        }),
      ]),
    );
    // Canary releases: a second group per app, on the canary Service's NodePort (constructs/canary.ts).
    this.canaryTargetGroups = Object.fromEntries(
      platform.apps.flatMap((app, i) => {
        const raw = props.platform.apps[i];
        if (appInEnvironment(raw, props.environment).rollout.strategy !== "canary") return [];
        const group = new NodeTargetGroup(this, `Canary-${raw.name}`, {
          name: `${app.name}-${environment.name}`,
          suffix: "cn",
          vpcId: this.network.vpcId,
          cluster: this.cluster,
          targetPort: app.canaryNodePort,
          healthPath: app.healthPath,
          tags: { "slipway:app": app.name, "slipway:track": "canary" },
        });
        return [[raw.name, group]];
      }),
    );
    // The preview routers' target groups, for the same reason as the apps' (the load balancers' pr-* rules forward there).
    this.previewTargetGroups = Object.fromEntries(
      props.platform.apps
        .map((app, i) => [app, platform.apps[i]] as const)
        .filter(([raw]) => raw.previews?.environment === props.environment.name)
        .map(([raw, app]) => [
          raw.name,
          new NodeTargetGroup(this, `PreviewTargets-${raw.name}`, {
            name: `${app.name}-${environment.name}`,
            suffix: "pv",
            vpcId: this.network.vpcId,
            cluster: this.cluster,
            targetPort: raw.previews!.routerNodePort,
            healthPath: PREVIEW_ROUTER_HEALTH_PATH,
            tags: { "slipway:app": app.name, "slipway:purpose": "previews" },
          }),
        ]),
    );
    // Node autoscaling, AWS side: the Cluster Autoscaler's role (kube-system-<env> runs it).
    this.clusterAutoscalerRole = new ClusterAutoscalerRole(this, "ClusterAutoscalerRole", { name: clusterName, cluster: this.cluster, accountId: environment.account, region: environment.region });
    this.githubOidc = { arn: props.bootstrap.ci.githubOidcProviderArn };
    const previewApps = platform.apps.filter((_, i) => props.platform.apps[i].previews?.environment === props.environment.name).map((a) => a.name);
    this.ciRunners = new CiRunners(this, "CiRunners", {
      name: clusterName,
      network: this.network,
      cluster: this.cluster,
      githubOwner: platform.github.owner,
      // Pull-request plans come only from the infrastructure repository; the deploy runner takes
      // its applies and the apps' deploy jobs. No other repository of the organization starts one.
      planRepositories: [platform.github.infrastructureRepository],
      deployRepositories: [platform.github.infrastructureRepository, ...platform.apps.map((a) => a.name)],
      // The apps whose previews this environment hosts get a runner of their own for the preview
      // jobs that reach the cluster: pull-request code never runs on the deploy runner.
      ...(previewApps.length > 0 ? { previewRepositories: previewApps, previewWorkflowNames: [PREVIEW_WORKFLOW_NAMES.preview, PREVIEW_WORKFLOW_NAMES.sweep] } : {}),
      // Created and registered as CodeBuild's source credential by bootstrap-<account>, and authorized
      // before CI's first apply; named by pattern so this stack never reads the bootstrap's state.
      githubConnectionArn: githubConnectionArnPattern(environment),
      registerSourceCredential: false,
      logKeyArn: this.network.logKey.arn,
      preventDestroy: environment.production,
    });

    // Alarms: one encrypted topic per environment, subscriptions from the platform file; CloudWatch
    // notifies only topics of the alarm's region, so CloudFront's alarms (us-east-1) get their own.
    const alarmTopicProps = { accountId: environment.account, emails: environment.alarms.email, preventDestroy: environment.production };
    this.alarmTopic = new AlarmTopic(this, "AlarmTopic", { ...alarmTopicProps, name: clusterName, region: environment.region });
    this.usEast1AlarmTopic =
      environment.region === "us-east-1"
        ? this.alarmTopic
        : new AlarmTopic(this, "UsEast1AlarmTopic", {
            ...alarmTopicProps,
            name: `${clusterName}-global`,
            region: "us-east-1",
            provider: environmentAwsProvider(this, "aws_us_east_1", platform, environment, tags, { alias: "us-east-1", region: "us-east-1" }),
          });
    this.containerInsights = new ContainerInsights(this, "ContainerInsights", {
      name: clusterName,
      cluster: this.cluster,
      accountId: environment.account,
      region: environment.region,
      logKeyArn: this.network.logKey.arn,
      retentionDays: environment.logs.retentionDays,
    });

    new TerraformOutput(this, "cluster_name", { value: this.cluster.name, description: "EKS cluster name" });
    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId, description: "VPC id" });

    const zones = environment.network.zones.length;
    this.description =
      `${environment.name} (${environment.profile}) in ${environment.account}/${environment.region}: ` +
      `VPC ${environment.network.cidr} over ${zones} zones, EKS ${environment.cluster.version}` +
      `, CI runners ${this.ciRunners.plan.projectName}${this.ciRunners.preview ? `, ${this.ciRunners.deploy.projectName} and ${this.ciRunners.preview.projectName}` : ` and ${this.ciRunners.deploy.projectName}`}` +
      `, alarm topic ${this.alarmTopic.topicName} (${environment.alarms.email.length} email${environment.alarms.email.length === 1 ? "" : "s"}), container logs ${environment.logs.retentionDays} days`;
  }
}
