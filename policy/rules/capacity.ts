/**
 * Capacity in production: replicas spread over zones as a requirement, and node groups that can
 * grow have something that grows them.
 */
import { block, dig, list, show, toNumber } from "../accessors";
import { ResourceView, Rule, StackView } from "../types";

const DEPLOYMENTS = ["kubernetes_deployment_v1", "kubernetes_deployment"];
const AUTOSCALERS = ["kubernetes_horizontal_pod_autoscaler_v2", "kubernetes_horizontal_pod_autoscaler_v2beta2", "kubernetes_horizontal_pod_autoscaler_v1", "kubernetes_horizontal_pod_autoscaler"];
const ZONE = "topology.kubernetes.io/zone";

/** True when the Deployment may run more than one pod: `replicas` above 1, or an autoscaler in the stack targets it. */
function runsSeveralPods(deployment: ResourceView, stack: StackView): boolean {
  const replicas = toNumber(dig(deployment.config, "spec", "replicas"));
  if (replicas !== undefined && replicas > 1) return true;
  const name = dig(deployment.config, "metadata", "name");
  return AUTOSCALERS.flatMap((t) => stack.resources(t)).some((hpa) => {
    const target = block(dig(hpa.config, "spec", "scale_target_ref")) ?? {};
    const max = toNumber(dig(hpa.config, "spec", "max_replicas"));
    const targets = stack.resolve(target.name)?.address === deployment.address || (target.kind === "Deployment" && target.name === name);
    return targets && (max === undefined || max > 1);
  });
}

export const CAPACITY_RULES: Rule[] = [
  {
    id: "SLW-CAP-001",
    title: "Production Deployments of several pods require zone spread (topology.kubernetes.io/zone, max skew 1, DoNotSchedule)",
    severity: "high",
    productionOnly: true,
    resourceTypes: DEPLOYMENTS,
    relatedTypes: AUTOSCALERS,
    references: { other: ["Kubernetes pod topology spread constraints", "AWS Well-Architected REL10 (fault isolation across Availability Zones)"] },
    fix: "add a topology_spread_constraint with topology_key topology.kubernetes.io/zone, max_skew 1 and when_unsatisfiable DoNotSchedule (KubernetesWorkload zoneSpread: required, the production profile's default)",
    check(deployment, stack) {
      if (!runsSeveralPods(deployment, stack)) return [];
      const constraints = list(dig(deployment.config, "spec", "template", "spec", "topology_spread_constraint"));
      const zone = constraints.find((c) => c?.topology_key === ZONE);
      if (!zone) return [`no topology_spread_constraint on ${ZONE}: every replica may land in one zone, and that zone's loss takes the app down`];
      const problems: string[] = [];
      if (zone.when_unsatisfiable !== "DoNotSchedule") {
        problems.push(`zone spread is when_unsatisfiable ${show(zone.when_unsatisfiable)}, a preference: the scheduler may still put every replica in one zone`);
      }
      const skew = toNumber(zone.max_skew);
      if (skew === undefined || skew > 1) problems.push(`zone spread allows max_skew ${show(zone.max_skew)}: one zone may hold that many more replicas than another`);
      return problems;
    },
  },
  {
    id: "SLW-CAP-002",
    title: "Production EKS node groups that can grow have the Cluster Autoscaler's Pod Identity, and Terraform leaves their live size alone",
    severity: "high",
    productionOnly: true,
    resourceTypes: ["aws_eks_node_group"],
    relatedTypes: ["aws_eks_pod_identity_association"],
    references: { other: ["Amazon EKS best practices: Cluster Autoscaler"] },
    fix: "create the Cluster Autoscaler's role and Pod Identity association for kube-system/cluster-autoscaler on the node group's cluster (ClusterAutoscalerRole; ClusterAutoscaler runs it), and ignore_changes scaling_config[0].desired_size on the node group",
    check(nodeGroup, stack) {
      const scaling = block(nodeGroup.config.scaling_config) ?? {};
      const min = toNumber(scaling.min_size);
      const max = toNumber(scaling.max_size);
      // A fixed-size group has nothing to grow.
      if (min !== undefined && max !== undefined && min >= max) return [];
      const problems: string[] = [];
      const cluster = nodeGroup.config.cluster_name;
      const identity = stack
        .resources("aws_eks_pod_identity_association")
        .some((a) => a.config.namespace === "kube-system" && a.config.service_account === "cluster-autoscaler" && a.config.cluster_name === cluster);
      if (!identity) {
        problems.push(`scaling_config allows ${show(scaling.min_size)} to ${show(scaling.max_size)} nodes, but no Pod Identity association gives kube-system/cluster-autoscaler a role on cluster ${show(cluster)}: nothing adds nodes for pending pods`);
      }
      const ignored = list(dig(nodeGroup.config, "lifecycle", "ignore_changes"));
      if (!ignored.includes("scaling_config[0].desired_size")) {
        problems.push("lifecycle.ignore_changes lacks scaling_config[0].desired_size: every apply resets the node count the autoscaler chose");
      }
      return problems;
    },
  },
];
