/**
 * The Kubernetes side of node autoscaling: the Kubernetes Cluster Autoscaler in `kube-system`,
 * adding nodes to the cluster's managed node groups when pods are pending and removing idle ones.
 */
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { ClusterRoleV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-v1";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { Construct } from "constructs";
import { withRegion } from "./aws-common";
import { CLUSTER_AUTOSCALER_IMAGES } from "./cluster-autoscaler-images";
import { CLUSTER_AUTOSCALER_NAME, CLUSTER_AUTOSCALER_NAMESPACE, clusterAutoscalerTagKey } from "./cluster-autoscaler-role";
import { suppressPolicy } from "./policy-suppression";
import { checkRegion, invalid, isKnown } from "./util";
import * as kinds from "./validators";
import { checkValue } from "./validators";

export { CLUSTER_AUTOSCALER_IMAGES };

/** The port of the autoscaler's metrics and `/health-check` endpoint. */
const HEALTH_PORT = 8085;
/** The EKS Pod Identity agent, which the autoscaler's AWS SDK gets its credentials from. */
const POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32";
/** `nobody`: the distroless image's non-root user. */
const RUN_AS_ID = "65534";

/** Props of {@link ClusterAutoscaler}. */
export interface ClusterAutoscalerProps {
  /**
   * The EKS cluster's name (a reference is fine): the autoscaler manages the Auto Scaling groups
   * tagged `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<clusterName>`, the
   * tags EKS puts on every managed node group's group. Each group's own minimum and maximum bound it.
   */
  readonly clusterName: string;
  /**
   * The cluster's region, e.g. `eu-west-1` (pods cannot reach the instance metadata service to find it).
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * The cluster's Kubernetes minor version, `1.NN`: picks the autoscaler release of the same minor
   * from {@link CLUSTER_AUTOSCALER_IMAGES}.
   */
  readonly kubernetesVersion: string;
  /**
   * The autoscaler's image, pinned by digest (`…@sha256:<64 hex digits>`), for a Kubernetes minor
   * that {@link CLUSTER_AUTOSCALER_IMAGES} does not list yet, or a mirror.
   * @default the release pinned for `kubernetesVersion`
   */
  readonly image?: string;
  /**
   * How long a node must be unneeded before the autoscaler removes it, a Go duration such as `10m`.
   * @default "10m" (the autoscaler's own default)
   */
  readonly scaleDownUnneededTime?: string;
}

/**
 * The Kubernetes Cluster Autoscaler, secure by default: its own service account (whose AWS role
 * comes from EKS Pod Identity, see {@link ClusterAutoscalerRole}), the upstream RBAC it needs and no
 * more, one replica at `system-cluster-critical` priority (it schedules on a fresh cluster before
 * any app, and is never preempted by one), running as `nobody` with a read-only root filesystem, no
 * capabilities and the runtime's seccomp profile, a liveness and readiness probe, and a network
 * policy that admits nothing and lets it reach only DNS, HTTPS (the Kubernetes and AWS APIs) and the
 * Pod Identity agent. Nodes that only hold pods with `emptyDir` scratch space (every Slipway app's
 * `/tmp`) may be removed; the autoscaler's own node is not (`safe-to-evict: false`).
 */
export class ClusterAutoscaler extends Construct {
  /** The Deployment. */
  public readonly deployment: DeploymentV1;
  /** The service account, `kube-system/cluster-autoscaler`. */
  public readonly serviceAccount: ServiceAccountV1;
  /** The image running, pinned by digest. */
  public readonly image: string;

  constructor(scope: Construct, id: string, given: ClusterAutoscalerProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withRegion(this, given);
    checkRegion(this, "region", props.region);
    checkValue(this, "kubernetesVersion", props.kubernetesVersion, kinds.kubernetesVersion);
    const image = props.image ?? CLUSTER_AUTOSCALER_IMAGES[props.kubernetesVersion];
    if (image === undefined) {
      invalid(
        this,
        "kubernetesVersion",
        props.kubernetesVersion,
        `a Kubernetes minor with a pinned Cluster Autoscaler release (${Object.keys(CLUSTER_AUTOSCALER_IMAGES).join(", ")}), or image set to that minor's release pinned by digest`,
      );
    }
    if (isKnown(image) && !/^[^\s@]+@sha256:[0-9a-f]{64}$/.test(image)) {
      invalid(this, "image", image, "an image pinned by digest, e.g. registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.1@sha256:<64 hex digits>");
    }
    const unneeded = props.scaleDownUnneededTime ?? "10m";
    if (isKnown(unneeded) && (unneeded === "" || !/^(\d+h)?(\d+m)?(\d+s)?$/.test(unneeded))) {
      invalid(this, "scaleDownUnneededTime", unneeded, "a Go duration of hours, minutes and seconds, e.g. 10m or 1h30m");
    }
    this.image = image;

    const namespace = CLUSTER_AUTOSCALER_NAMESPACE;
    const name = CLUSTER_AUTOSCALER_NAME;
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "terraform" };
    const selector = { "app.kubernetes.io/name": name };

    this.serviceAccount = new ServiceAccountV1(this, "ServiceAccount", {
      metadata: { name, namespace, labels },
      // The pod mounts its token itself (see the Deployment): nothing else using this account gets one.
      automountServiceAccountToken: false,
    });

    // Upstream's RBAC (charts/cluster-autoscaler), read-mostly: it writes only node updates (taints
    // while draining), evictions, events, its status ConfigMap and its leader-election lease.
    const read = ["get", "list", "watch"];
    const clusterRole = new ClusterRoleV1(this, "ClusterRole", {
      metadata: { name, labels },
      rule: [
        { apiGroups: [""], resources: ["events", "endpoints"], verbs: ["create", "patch"] },
        { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
        { apiGroups: [""], resources: ["pods/status"], verbs: ["update"] },
        { apiGroups: [""], resources: ["endpoints"], resourceNames: [name], verbs: ["get", "update"] },
        { apiGroups: [""], resources: ["nodes"], verbs: [...read, "update"] },
        { apiGroups: [""], resources: ["namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"], verbs: read },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] },
        { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: read },
        { apiGroups: ["apps"], resources: ["daemonsets", "replicasets", "statefulsets"], verbs: read },
        { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list", "watch"] },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"], verbs: read },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [name], verbs: ["get", "update"] },
      ],
    });
    const subject = [{ kind: "ServiceAccount", name: this.serviceAccount.metadata.name, namespace }];
    new ClusterRoleBindingV1(this, "ClusterRoleBinding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
      subject,
    });
    const role = new RoleV1(this, "Role", {
      metadata: { name, namespace, labels },
      rule: [
        { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "list", "watch"] },
        { apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"], verbs: ["delete", "get", "update", "watch"] },
      ],
    });
    new RoleBindingV1(this, "RoleBinding", {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subject,
    });

    const probe = (periodSeconds: number) => ({ httpGet: { path: "/health-check", port: "metrics" }, periodSeconds, timeoutSeconds: 5, failureThreshold: 3 });
    this.deployment = new DeploymentV1(this, "Resource", {
      metadata: { name, namespace, labels },
      // A fresh cluster may still be starting its nodes: do not hold the apply until the pod is up.
      waitForRollout: false,
      spec: {
        // One active autoscaler at a time (it elects a leader anyway); a restarted pod resumes from the cluster's state.
        replicas: "1",
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels,
            // Never remove the node the autoscaler itself runs on.
            annotations: { "cluster-autoscaler.kubernetes.io/safe-to-evict": "false" },
          },
          spec: {
            serviceAccountName: this.serviceAccount.metadata.name,
            // It watches pods and nodes and removes nodes through the Kubernetes API: it needs its token.
            automountServiceAccountToken: true,
            // Scheduled before apps and never preempted by them: without it, pending apps cannot get nodes.
            priorityClassName: "system-cluster-critical",
            toleration: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
            nodeSelector: { "kubernetes.io/os": "linux" },
            securityContext: {
              runAsNonRoot: true,
              runAsUser: RUN_AS_ID,
              runAsGroup: RUN_AS_ID,
              fsGroup: RUN_AS_ID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            volume: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
            container: [
              {
                name,
                image,
                imagePullPolicy: "IfNotPresent",
                // The image's own entrypoint (distroless: no shell).
                command: ["/cluster-autoscaler"],
                args: [
                  "--cloud-provider=aws",
                  `--namespace=${namespace}`,
                  `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,${clusterAutoscalerTagKey(props.clusterName)}`,
                  // Picks the group wasting the least CPU and memory; balances groups of one shape (e.g. one per zone).
                  "--expander=least-waste",
                  "--balance-similar-node-groups=true",
                  // Apps keep scratch files in an emptyDir (/tmp): that must not pin a node forever.
                  "--skip-nodes-with-local-storage=false",
                  `--scale-down-unneeded-time=${unneeded}`,
                  `--address=:${HEALTH_PORT}`,
                  "--stderrthreshold=info",
                  "--v=2",
                ],
                // The pods' IMDS hop limit (1) hides the region; the SDK reads it from here.
                env: [{ name: "AWS_REGION", value: props.region }],
                port: [{ name: "metrics", containerPort: HEALTH_PORT, protocol: "TCP" }],
                resources: { requests: { cpu: "100m", memory: "600Mi" }, limits: { cpu: "200m", memory: "600Mi" } },
                livenessProbe: probe(20),
                readinessProbe: probe(10),
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ["ALL"] },
                  seccompProfile: { type: "RuntimeDefault" },
                },
                volumeMount: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
          },
        },
      },
    });
    // Not the whole namespace: kube-system holds EKS's own add-ons, which this stack does not own.
    new NetworkPolicyV1(this, "NetworkPolicy", {
      metadata: { name, namespace, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        // No ingress (kubelet probes are always allowed). Egress: DNS, HTTPS to the Kubernetes API
        // and the AWS APIs (Auto Scaling, EC2, EKS; endpoints or NAT), the Pod Identity agent.
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [
              { port: "53", protocol: "UDP" },
              { port: "53", protocol: "TCP" },
            ],
          },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: "443", protocol: "TCP" }] },
          { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT_CIDR } }], ports: [{ port: "80", protocol: "TCP" }] },
        ],
      },
    });
    suppressPolicy(
      this.deployment,
      "SLW-K8S-014",
      "the cluster autoscaler watches pods and nodes and drains nodes through the Kubernetes API with its own service account's token",
    );
    suppressPolicy(
      this.deployment,
      "SLW-K8S-012",
      "kube-system holds EKS's own add-ons, which a namespace-wide default deny would cut off; the autoscaler's pods get a policy of their own that admits nothing",
    );
  }
}
