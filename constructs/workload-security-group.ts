/**
 * An app's own EC2 security group for its pods (EKS security groups for pods): the pods get a
 * branch network interface carrying this group, so AWS resources can admit exactly this app's
 * pods, never every pod of the cluster.
 */
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Construct } from "constructs";
import { invalid, isKnown, parseCidr } from "./util";

/** Anything with a security group: a database, a load balancer, the cluster. */
export interface SecurityGroupPeer {
  /** The peer's security group id (may be a reference). */
  readonly securityGroupId: string;
}

/**
 * Props of {@link WorkloadSecurityGroup}: `name`, and the network, workload and cluster, either as
 * the constructs (`network`, `workload`, `cluster`) or as their values (`vpcId`, `namespace` and
 * `podLabels`, `clusterSecurityGroupId`).
 */
export interface WorkloadSecurityGroupProps {
  /** Names the group (`<name>-pods-…`) and the SecurityGroupPolicy (`<name>-pods`), e.g. `shop-prod`. */
  readonly name: string;
  /**
   * The network of the cluster's nodes: a `Network`.
   * @default none - `vpcId` is required instead
   */
  readonly network?: { readonly vpcId: string };
  /**
   * The VPC of the cluster's nodes.
   * @default `network.vpcId`
   */
  readonly vpcId?: string;
  /**
   * The workload whose pods get the group: a `KubernetesWorkload` (its namespace and `podLabels`).
   * @default none - `namespace` and `podLabels` are required instead
   */
  readonly workload?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
  /**
   * The Kubernetes namespace of the pods (a reference to the namespace resource, so the policy waits for it).
   * @default `workload.namespace`
   */
  readonly namespace?: string;
  /**
   * Labels every pod to carry the group has, e.g. `{ "app.kubernetes.io/name": "shop" }`.
   * @default `workload.podLabels`
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * The cluster: a `KubernetesCluster` (its `clusterSecurityGroupId`).
   * @default none - `clusterSecurityGroupId` is required instead
   */
  readonly cluster?: { readonly clusterSecurityGroupId: string };
  /**
   * The cluster security group (what the nodes and CoreDNS pods carry): the pods may reach DNS
   * there (TCP and UDP 53), and the construct adds the matching ingress rule to that group.
   * @default `cluster.clusterSecurityGroupId`
   */
  readonly clusterSecurityGroupId?: string;
}

const DNS_PORT = 53;
const DESCRIPTION_PATTERN = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

/**
 * A security group for one app's pods and the `SecurityGroupPolicy` (`vpcresources.k8s.aws/v1beta1`)
 * that gives it to them. It starts with DNS egress to the cluster's CoreDNS only; intent methods add
 * each further peer by security group, or a CIDR the app declared.
 *
 * Needs, on the cluster: the VPC CNI with `ENABLE_POD_ENI=true` and
 * `POD_SECURITY_GROUP_ENFORCING_MODE=standard` (NodePort services with `externalTrafficPolicy:
 * Local` and kubelet probes work only in standard mode, and network policies keep applying), the
 * `AmazonEKSVPCResourceController` policy on the cluster role, and Nitro instance types that
 * support trunking (m5, m6i, m7g, ... not t3). In standard mode traffic leaving the VPC is
 * translated to the node's address and judged by the node's group; traffic inside the VPC (the
 * database) is judged by this group.
 */
export class WorkloadSecurityGroup extends Construct {
  /** The `aws_security_group` (construct id `Resource`). */
  public readonly securityGroup: SecurityGroup;
  /** Its id. */
  public readonly securityGroupId: string;
  /** The `SecurityGroupPolicy` manifest; pods created before it exists do not get the group. */
  public readonly policy: Manifest;

  private readonly ruleIds = new Set<string>();

  constructor(scope: Construct, id: string, given: WorkloadSecurityGroupProps) {
    super(scope, id);
    // The constructs, or their values: one set of names below.
    const required = <T>(field: string, value: T | undefined, from: string): T => value ?? invalid(this, field, value, `a value, or ${from}`);
    const props = {
      name: given.name,
      vpcId: required("vpcId", given.vpcId ?? given.network?.vpcId, "`network` (a Network)"),
      namespace: required("namespace", given.namespace ?? given.workload?.namespace, "`workload` (a KubernetesWorkload)"),
      podLabels: required("podLabels", given.podLabels ?? given.workload?.podLabels, "`workload` (a KubernetesWorkload)"),
      clusterSecurityGroupId: required("clusterSecurityGroupId", given.clusterSecurityGroupId ?? given.cluster?.clusterSecurityGroupId, "`cluster` (a KubernetesCluster)"),
    };
    if (isKnown(props.name) && !/^[a-z][a-z0-9-]{0,62}$/.test(props.name)) {
      invalid(this, "name", props.name, "up to 63 lower-case letters, digits and '-', starting with a letter");
    }
    if (Object.keys(props.podLabels).length === 0) {
      invalid(this, "podLabels", props.podLabels, "at least one label: an empty selector would give the group to every pod of the namespace");
    }

    // No inline rules (they would delete the rule resources on every apply); Terraform removes the
    // allow-all egress AWS adds to a new group, so the pods reach only what is allowed below.
    this.securityGroup = new SecurityGroup(this, "Resource", {
      namePrefix: `${props.name}-pods-`,
      description: `Pods of ${props.name}: only the peers their app needs`,
      vpcId: props.vpcId,
      tags: { Name: `${props.name}-pods` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = this.securityGroup.id;

    for (const protocol of ["udp", "tcp"] as const) {
      this.allowEgressTo({ securityGroupId: props.clusterSecurityGroupId }, DNS_PORT, `DNS (${protocol.toUpperCase()}) to CoreDNS on the cluster nodes`, `EgressDns${protocol.toUpperCase()}`, protocol);
      new VpcSecurityGroupIngressRule(this, `ClusterIngressDns${protocol.toUpperCase()}`, {
        securityGroupId: props.clusterSecurityGroupId,
        referencedSecurityGroupId: this.securityGroup.id,
        ipProtocol: protocol,
        fromPort: DNS_PORT,
        toPort: DNS_PORT,
        description: `DNS (${protocol.toUpperCase()}) from the pods of ${props.name}`,
        tags: { Name: `${props.name}-pods-dns-${protocol}` },
      });
    }

    this.policy = new Manifest(this, "SecurityGroupPolicy", {
      manifest: {
        apiVersion: "vpcresources.k8s.aws/v1beta1",
        kind: "SecurityGroupPolicy",
        metadata: { name: `${props.name}-pods`, namespace: props.namespace },
        spec: {
          podSelector: { matchLabels: props.podLabels },
          securityGroups: { groupIds: [this.securityGroup.id] },
        },
      },
    });
  }

  /**
   * Lets the pods open connections to `peer` on `port`: an egress rule whose destination is the
   * peer's security group. The peer must also admit this group (e.g. `database.allowConnectionsFrom`).
   */
  public allowEgressTo(peer: SecurityGroupPeer, port: number, description: string, id: string, protocol: "tcp" | "udp" = "tcp"): VpcSecurityGroupEgressRule {
    this.checkRule(id, port, description);
    return new VpcSecurityGroupEgressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: peer.securityGroupId,
      ipProtocol: protocol,
      fromPort: port,
      toPort: port,
      description,
    });
  }

  /** Lets the pods open connections to an IPv4 CIDR on `port`, e.g. an API the app declared in its egress. */
  public allowEgressToCidr(cidr: string, port: number, description: string, id: string, protocol: "tcp" | "udp" = "tcp"): VpcSecurityGroupEgressRule {
    this.checkRule(id, port, description);
    if (isKnown(cidr) && !parseCidr(cidr)) invalid(this, `${id}.cidr`, cidr, "an IPv4 CIDR such as 203.0.113.0/24");
    return new VpcSecurityGroupEgressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      cidrIpv4: cidr,
      ipProtocol: protocol,
      fromPort: port,
      toPort: port,
      description,
    });
  }

  /** Lets `peer` open connections to the pods on `port` (e.g. the load balancer, on the container port). */
  public allowIngressFrom(peer: SecurityGroupPeer, port: number, description: string, id: string): VpcSecurityGroupIngressRule {
    this.checkRule(id, port, description);
    return new VpcSecurityGroupIngressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: peer.securityGroupId,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description,
    });
  }

  private checkRule(id: string, port: number, description: string): void {
    if (this.ruleIds.has(id) || this.node.tryFindChild(id)) invalid(this, "id", id, "a construct id not yet used in this security group");
    this.ruleIds.add(id);
    if (isKnown(port) && !(Number.isInteger(port) && port >= 1 && port <= 65535)) invalid(this, `${id}.port`, port, "a whole port number from 1 to 65535");
    if (isKnown(description) && !DESCRIPTION_PATTERN.test(description)) {
      invalid(this, `${id}.description`, description, "at most 255 of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*");
    }
  }
}
