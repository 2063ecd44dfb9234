import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { CiRunners } from "../constructs/ci-runners";
import { ClusterAutoscalerRole } from "../constructs/cluster-autoscaler-role";
import { KubernetesCluster } from "../constructs/kubernetes-cluster";
import { Network } from "../constructs/network";
import { partitionOf } from "../constructs/util";
import { terraformLiterals } from "../platform/literal";
import { EnvironmentConfig, PlatformConfig } from "../platform/model";
import { BootstrapStack } from "./bootstrap-stack";
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
 * roles), its CI runners and the account's GitHub connection in the region.
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
  /** The Cluster Autoscaler's IAM role and Pod Identity: it may resize this cluster's node groups only. */
  readonly clusterAutoscalerRole: ClusterAutoscalerRole;

  constructor(scope: Construct, props: PlatformStackProps) {
    // Platform-file text enters the construct tree here, once, as Terraform literals; the raw
    // config stays for what is not Terraform (policy suppressions, this.environment).
    const { platform, environment } = terraformLiterals({ platform: props.platform, environment: props.environment });
    super(scope, `platform-${environment.name}`, platform, { production: environment.production, suppressions: props.environment.suppressions });
    this.environment = props.environment;
    environmentAwsProvider(this, "aws", platform, environment, { "slipway:environment": environment.name });

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
    // Node autoscaling, AWS side: the Cluster Autoscaler's role (kube-system-<env> runs it).
    this.clusterAutoscalerRole = new ClusterAutoscalerRole(this, "ClusterAutoscalerRole", { name: clusterName, cluster: this.cluster.cluster, accountId: environment.account, region: environment.region });
    this.githubOidc = { arn: props.bootstrap.ci.githubOidcProviderArn };
    // CodeBuild keeps one GitHub credential per account and region: the first environment of each
    // account and region creates the connection and registers it; the others name it by pattern,
    // so platform stacks never read each other's state.
    const firstInRegion = platform.environments.find((e) => e.account === environment.account && e.region === environment.region)?.name === environment.name;
    const { partition } = partitionOf(environment.region);
    this.ciRunners = new CiRunners(this, "CiRunners", {
      name: clusterName,
      network: this.network,
      cluster: this.cluster,
      githubOwner: platform.github.owner,
      // Pull-request plans come only from the infrastructure repository; the deploy runner takes
      // its applies and the apps' deploy jobs. No other repository of the organization starts one.
      planRepositories: [platform.github.infrastructureRepository],
      deployRepositories: [platform.github.infrastructureRepository, ...platform.apps.map((a) => a.name)],
      githubConnectionArn: firstInRegion ? undefined : `arn:${partition}:codeconnections:${environment.region}:${environment.account}:connection/*`,
      githubConnectionName: firstInRegion ? `${platform.name}-github` : undefined,
      logKeyArn: this.network.logKey.arn,
      preventDestroy: environment.production,
    });

    new TerraformOutput(this, "cluster_name", { value: this.cluster.name, description: "EKS cluster name" });
    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId, description: "VPC id" });

    const zones = environment.network.zones.length;
    this.description =
      `${environment.name} (${environment.profile}) in ${environment.account}/${environment.region}: ` +
      `VPC ${environment.network.cidr} over ${zones} zones, EKS ${environment.cluster.version}` +
      `, CI runners ${this.ciRunners.plan.projectName} and ${this.ciRunners.deploy.projectName}` +
      (firstInRegion ? ", the account's GitHub connection in this region" : "");
  }
}
