import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { KubernetesCluster } from "../constructs/kubernetes-cluster";
import { suppressPolicy } from "../constructs/policy-suppression";
import { partitionOf } from "../constructs/util";
import { Network } from "../constructs/network";
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

/** `platform-<env>`: the environment's network and its EKS cluster, with access for CI's roles. */
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

  constructor(scope: Construct, props: PlatformStackProps) {
    const { platform, environment } = props;
    super(scope, `platform-${environment.name}`, platform, { production: environment.production, suppressions: environment.suppressions });
    this.environment = environment;
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
      preventDestroy: environment.production,
    });
    const applyRole = props.bootstrap.ci.applyRoleArns[environment.name];
    if (!environment.cluster.adminRoleArns.includes(applyRole)) grantClusterAccess(this.cluster, "ApplyRoleAdmin", applyRole, "AmazonEKSClusterAdminPolicy", environment.region);
    grantClusterAccess(this.cluster, "PlanRoleView", props.bootstrap.ci.planRoleArn, "AmazonEKSViewPolicy", environment.region);
    this.githubOidc = { arn: props.bootstrap.ci.githubOidcProviderArn };

    new TerraformOutput(this, "cluster_name", { value: this.cluster.name, description: "EKS cluster name" });
    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId, description: "VPC id" });

    const zones = environment.network.zones.length;
    this.description =
      `${environment.name} (${environment.profile}) in ${environment.account}/${environment.region}: ` +
      `VPC ${environment.network.cidr} over ${zones} zones, EKS ${environment.cluster.version}`;
  }
}

/**
 * Cluster-wide access for one of CI's roles, through an explicit access entry: the apply role gets
 * AmazonEKSClusterAdminPolicy (it applies the Kubernetes resources of every app in the cluster),
 * the plan role AmazonEKSViewPolicy (it reads workloads, never Secrets), so a pull request's plan
 * of the Kubernetes resources can refresh them and change nothing.
 *
 * Integration note: once KubernetesCluster has `readOnlyPrincipalArns` (view access entries), pass
 * `readOnlyPrincipalArns: [planRoleArn]` to it instead of the "PlanRoleView" call.
 */
function grantClusterAccess(cluster: KubernetesCluster, id: string, principalArn: string, policy: "AmazonEKSClusterAdminPolicy" | "AmazonEKSViewPolicy", region: string): void {
  const scope = new Construct(cluster, id);
  const entry = new EksAccessEntry(scope, "AccessEntry", { clusterName: cluster.name, principalArn, type: "STANDARD" });
  const association = new EksAccessPolicyAssociation(scope, "AccessPolicy", {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    policyArn: `arn:${partitionOf(region).partition}:eks::aws:cluster-access-policy/${policy}`,
    accessScope: { type: "cluster" },
  });
  // SLW-EKS-008 takes a role named like "deploy" for an app's deploy role, as `assumeRoleArn` may be named.
  if (policy === "AmazonEKSClusterAdminPolicy" && /deploy/i.test(principalArn)) {
    suppressPolicy(association, "SLW-EKS-008", "the infrastructure CI's apply role: it applies every app's Kubernetes resources; only the default branch's apply jobs in this GitHub environment can assume it");
  }
}
