import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { ClusterAutoscaler } from "../constructs/cluster-autoscaler";
import { KubernetesCluster } from "../constructs/kubernetes-cluster";
import { PlanReadAccess } from "../constructs/plan-read-access";
import { terraformLiterals } from "../platform/literal";
import { EnvironmentConfig, PlatformConfig } from "../platform/model";
import { SlipwayStack } from "./common";
import { PlatformStack } from "./platform-stack";

/** Props of {@link KubeSystemStack}. */
export interface KubeSystemStackProps {
  /** The validated platform file: its backend holds the state. */
  readonly platform: PlatformConfig;
  /** The environment's `platform-<env>` stack: its cluster runs what this stack installs. */
  readonly platformStack: PlatformStack;
}

/**
 * A Kubernetes provider for a cluster another stack created (Terraform cannot configure a provider
 * from a resource it has yet to create in the same plan), authenticating as whoever runs Terraform:
 * no `--role-arn`, so a plan job stays read-only in the cluster too.
 */
export function clusterKubernetesProvider(scope: Construct, cluster: KubernetesCluster, region: string): KubernetesProvider {
  return new KubernetesProvider(scope, "kubernetes", {
    host: cluster.endpoint,
    clusterCaCertificate: Fn.base64decode(cluster.certificateAuthorityData),
    exec: [{ apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", cluster.name, "--region", region] }],
  });
}

/**
 * `kube-system-<env>`: what the environment's cluster runs for every app and EKS offers no add-on
 * for, in `kube-system`: the Cluster Autoscaler. Its AWS role and Pod Identity association are in
 * `platform-<env>` with the cluster; its Kubernetes objects are here, because a stack cannot
 * configure a Kubernetes provider from a cluster it creates in the same plan. (App names cannot
 * start with `kube-`, so no `<app>-<env>` stack takes this name.)
 */
export class KubeSystemStack extends SlipwayStack {
  /** One line for the synth summary. */
  readonly description: string;
  /** The environment whose cluster this stack configures. */
  readonly environment: EnvironmentConfig;
  /** The Cluster Autoscaler in `kube-system`. */
  readonly clusterAutoscaler: ClusterAutoscaler;
  /** What the read-only plan and drift role may read beyond View (RBAC objects, the add-ons' custom resources). */
  readonly planReadAccess: PlanReadAccess;

  constructor(scope: Construct, props: KubeSystemStackProps) {
    const { platformStack } = props;
    const { platform, environment } = terraformLiterals({ platform: props.platform, environment: platformStack.environment });
    super(scope, `kube-system-${environment.name}`, platform, { production: environment.production, suppressions: platformStack.environment.suppressions });
    this.environment = platformStack.environment;
    const { cluster } = platformStack;
    clusterKubernetesProvider(this, cluster, environment.region);

    // Plans refresh RBAC objects and custom resources, which View cannot read.
    this.planReadAccess = new PlanReadAccess(this, "PlanReadAccess");
    this.clusterAutoscaler = new ClusterAutoscaler(this, "ClusterAutoscaler", {
      clusterName: cluster.name,
      region: environment.region,
      kubernetesVersion: environment.cluster.version,
    });

    const { min, max } = environment.cluster.nodes;
    const release = this.clusterAutoscaler.image.split("@")[0].split(":").pop();
    this.description = `${environment.name}: Cluster Autoscaler ${release}, keeping the nodes of ${platformStack.stackName} between ${min} and ${max} as pods need`;
  }
}
