/**
 * An EKS cluster with private API endpoint, encrypted secrets, audited control plane and one managed
 * node group, wired for IAM roles for service accounts and EKS access entries.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksAddon, EksAddonConfig } from "@cdktf/provider-aws/lib/eks-addon";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Fn, ITerraformDependable, TerraformCount, Token } from "cdktf";
import { Construct } from "constructs";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { accountKeyPolicy, stackPartition, WithAccountAndRegion, withAccountAndRegion } from "./aws-common";
import {
  checkAccountId,
  checkRegion,
  invalid,
  isKnown,
  LOG_RETENTION_DAYS,
  policyJson,
  resourceName,
  stableIdFragment,
} from "./util";

/** The part of a network a cluster needs; `Network` satisfies it. */
export interface ClusterNetwork {
  /** The VPC the subnets belong to. */
  readonly vpcId: string;
  /** Subnets without a route from the internet, in at least two availability zones. */
  readonly privateSubnetIds: string[];
}

/** The EKS add-ons this construct installs and manages. */
export type CoreAddonName = "vpc-cni" | "kube-proxy" | "coredns" | "eks-pod-identity-agent";

/** An IAM principal a cluster lets in: `GithubActionsRole` and `PodIdentityRole` satisfy it. */
export interface ClusterAccessGrantee {
  /** The principal's ARN, e.g. an IAM role's (a reference is fine). */
  readonly arn: string;
}

/** A role that joins Kubernetes groups on a cluster: `GithubActionsRole` satisfies it. */
export interface ClusterGroupGrantee extends ClusterAccessGrantee {
  /** Maps the role into `group` on `cluster` through an access entry without access policies. */
  allowEksGroup(cluster: { readonly name: string; readonly arn: string }, group: string): EksAccessEntry;
}

/** Props of {@link KubernetesCluster}. Only `name` and `network` are required. */
export interface KubernetesClusterProps {
  /**
   * The EKS cluster name: 1-100 characters, letters, digits, `_` and `-`, starting with a letter or
   * digit. Also names the log group (`/aws/eks/<name>/cluster`), KMS alias and IAM roles.
   */
  readonly name: string;
  /** Where the control plane's network interfaces and the nodes live (the private subnets). */
  readonly network: ClusterNetwork;
  /**
   * The 12-digit AWS account id the cluster is created in; scopes the key policy and role trust.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The AWS region the cluster is created in, e.g. `eu-west-1`; scopes the key policy.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * The Kubernetes version, `1.NN`. Pinned so upgrades are deliberate: change it to upgrade the
   * control plane, then the node group follows.
   * @default "1.33"
   */
  readonly kubernetesVersion?: string;
  /**
   * IPv4 CIDRs allowed to reach the Kubernetes API over the internet. The private endpoint is always
   * on. `0.0.0.0/0` (the whole internet) is refused.
   * @default [] - no public endpoint; the API is reachable only from inside the VPC
   */
  readonly publicAccessCidrs?: string[];
  /**
   * EC2 instance types for the node group, all of one CPU architecture (Graviton `…g` families get
   * the ARM64 AMI). Several types give the autoscaler more capacity pools.
   * @default ["m6i.large"]
   */
  readonly nodeInstanceTypes?: string[];
  /**
   * The fewest nodes, at least 1.
   * @default 2
   */
  readonly nodeMinSize?: number;
  /**
   * Nodes at creation, between `nodeMinSize` and `nodeMaxSize`. Later changes to the live value
   * (by a cluster autoscaler) are left alone.
   * @default 3
   */
  readonly nodeDesiredSize?: number;
  /**
   * The most nodes.
   * @default 6
   */
  readonly nodeMaxSize?: number;
  /**
   * Size of each node's encrypted gp3 root volume, 20-16384 GiB.
   * @default 50
   */
  readonly nodeDiskGiB?: number;
  /**
   * Days to keep control-plane logs; one of CloudWatch Logs' retention values, or 0 to keep forever.
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * IAM role or user ARNs given cluster-admin (`AmazonEKSClusterAdminPolicy`, cluster scope)
   * through EKS access entries. Listing the identity Terraform runs as here is fine: it then gets
   * no second entry.
   * @default [] - only the identity Terraform runs as is admin
   */
  readonly adminPrincipalArns?: string[];
  /**
   * IAM role or user ARNs that may read the cluster and nothing more (`AmazonEKSViewPolicy`,
   * cluster scope: no Secrets, no writes), e.g. the read-only role pull-request plans run as.
   * @default [] - no read-only principals
   */
  readonly readOnlyPrincipalArns?: string[];
  /**
   * The IAM role or user Terraform applies the stacks as. The cluster creator gets no implicit
   * admin (`bootstrap_cluster_creator_admin_permissions` is false): this principal is made
   * cluster-admin by an access entry Terraform manages, so Terraform can always manage what is in
   * the cluster. Set it to the apply role whenever plans run as another identity (a read-only plan
   * role): the default is read from whoever runs the plan.
   * @default the identity running Terraform (`aws_caller_identity`, an assumed-role session turned
   *   into its role ARN by `aws_iam_session_context`), unless it is listed in `adminPrincipalArns`
   *   or `readOnlyPrincipalArns`
   */
  readonly terraformPrincipalArn?: string;
  /**
   * Terraform `lifecycle.prevent_destroy` on the secrets key: destroying it makes the cluster's
   * secrets and logs unreadable. `false` for throwaway environments.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * Pinned add-on versions by add-on name (`vpc-cni`, `kube-proxy`, `coredns`,
   * `eks-pod-identity-agent`), e.g. `{ coredns: "v1.12.1-eksbuild.2" }`.
   * @default {} - each add-on gets EKS's default version for the cluster's Kubernetes version
   */
  readonly addonVersions?: Readonly<Partial<Record<CoreAddonName, string>>>;
  /**
   * Pinned version of the `aws-secrets-store-csi-driver-provider` add-on (the Secrets Store CSI
   * driver with its AWS provider), e.g. `v2.2.2-eksbuild.1`.
   * @default EKS's default version for the cluster's Kubernetes version
   */
  readonly secretsStoreAddonVersion?: string;
  /**
   * Pinned version of the `metrics-server` add-on (EKS community add-on), e.g. `v0.8.0-eksbuild.1`.
   * @default EKS's default version for the cluster's Kubernetes version
   */
  readonly metricsServerAddonVersion?: string;
}

const DEFAULT_VERSION = "1.33";
const CLUSTER_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
/** Control-plane log retention offered: all of CloudWatch's periods, including 0 (keep forever). */
const CLUSTER_LOG_RETENTION_DAYS: readonly number[] = LOG_RETENTION_DAYS;
const CORE_ADDONS: ReadonlyArray<{ name: CoreAddonName; id: string }> = [
  { name: "vpc-cni", id: "VpcCni" },
  { name: "kube-proxy", id: "KubeProxy" },
  { name: "coredns", id: "CoreDns" },
  { name: "eks-pod-identity-agent", id: "PodIdentityAgent" },
];
/** The ARN of an EKS access policy, e.g. `AmazonEKSEditPolicy`, in `partition`. */
const accessPolicyArn = (partition: string, policy: string) => `arn:${partition}:eks::aws:cluster-access-policy/${policy}`;
/** The ARN of an AWS-managed IAM policy, e.g. `AmazonEKSClusterPolicy`, in `partition`. */
const managedPolicyArn = (partition: string, policy: string) => `arn:${partition}:iam::aws:policy/${policy}`;

/**
 * The Kubernetes group of the cluster's read-only principals (`readOnlyPrincipalArns`), besides
 * `AmazonEKSViewPolicy`: View, like Kubernetes' own `view` role, cannot read RBAC objects or
 * custom resources, which a plan must refresh; `PlanReadAccess` binds this group to read those.
 */
export const READ_ONLY_GROUP = "slipway:read-only";

/**
 * An EKS cluster that is private and audited by default: API endpoint inside the VPC (public access
 * only from listed CIDRs), Kubernetes secrets envelope-encrypted with a rotating KMS key, all five
 * control-plane log types kept for a year, access through EKS access entries only (no implicit
 * admin for the cluster's creator: the identity Terraform runs as and the listed admins are
 * explicit entries), nodes in private subnets with IMDSv2 and encrypted disks and no CNI
 * permissions (the VPC CNI has its own role), security groups for pods, and an OIDC provider for
 * service-account roles.
 */
export class KubernetesCluster extends Construct {
  /** The `aws_eks_cluster`. */
  public readonly cluster: EksCluster;
  /** The cluster name (a reference, so users wait for the cluster). */
  public readonly name: string;
  /** The Kubernetes API server URL. */
  public readonly endpoint: string;
  /** Base64 PEM of the cluster's certificate authority, for kubeconfigs and providers. */
  public readonly certificateAuthorityData: string;
  /** The IAM OIDC provider that service-account roles trust. */
  public readonly oidcProvider: IamOpenidConnectProvider;
  /** ARN of {@link oidcProvider}, the `Federated` principal of service-account roles. */
  public readonly oidcProviderArn: string;
  /** The OIDC issuer without `https://`, the prefix of trust-policy condition keys (`<issuer>:sub`). */
  public readonly oidcIssuer: string;
  /** The KMS key encrypting Kubernetes secrets and the control-plane log group. */
  public readonly secretsKey: KmsKey;
  /** The managed node group. */
  public readonly nodeGroup: EksNodeGroup;
  /** The role the nodes run as. */
  public readonly nodeRole: IamRole;
  /** The security group EKS creates for the control plane and nodes. */
  public readonly clusterSecurityGroupId: string;
  /**
   * The cluster's ARN. With {@link name} it makes the cluster itself what `PodIdentityRole`,
   * `AppSecrets.allowReadFrom`, `ClusterAutoscalerRole`, `ContainerInsights` and
   * `GithubActionsRole.allowEksGroup` take: no `{ name, arn }` wrapper.
   */
  public readonly arn: string;
  /**
   * {@link clusterSecurityGroupId} under the name a peer carries, so the cluster is a
   * `DatabasePeer`: `database.allowConnectionsFrom(cluster)` admits the nodes and every pod that
   * uses the node's network identity (not pods with their own security group).
   */
  public readonly securityGroupId: string;
  /** The Kubernetes version running (a reference to the cluster's). */
  public readonly version: string;
  /** The managed add-ons, by name. */
  public readonly addons: Readonly<Record<CoreAddonName, EksAddon>>;
  /**
   * What an add-on or workload with pods waits for: the node group and the Pod Identity agent
   * (what `ContainerInsights` takes from its `cluster`).
   */
  public readonly workloadDependencies: readonly ITerraformDependable[];
  /**
   * The role the VPC CNI (`kube-system/aws-node`) runs as, through IAM roles for service accounts,
   * holding `AmazonEKS_CNI_Policy`; the node role does not.
   */
  public readonly vpcCniRole: IamRole;
  /**
   * The ARN given cluster-admin as the identity Terraform runs as: {@link KubernetesClusterProps.terraformPrincipalArn},
   * or a reference to the role ARN of the identity running Terraform.
   */
  public readonly terraformPrincipalArn: string;
  /** The `aws-secrets-store-csi-driver-provider` add-on: pods mount Secrets Manager secrets as files. */
  public readonly secretsStoreAddon: EksAddon;
  /** The `metrics-server` add-on: the resource metrics the pods' HorizontalPodAutoscalers scale on. */
  public readonly metricsServerAddon: EksAddon;

  /** Access entries by principal ARN, so a principal granted twice gets one entry. */
  private readonly accessEntries = new Map<string, EksAccessEntry>();
  /** `principal policy` pairs already associated: EKS keeps one association per pair. */
  private readonly associations = new Set<string>();
  /** The ARN partition of the cluster's region (`aws`, `aws-cn`, `aws-us-gov`). */
  private readonly partition: string;

  constructor(scope: Construct, id: string, given: KubernetesClusterProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);

    const kubernetesVersion = props.kubernetesVersion ?? DEFAULT_VERSION;
    const publicAccessCidrs = props.publicAccessCidrs ?? [];
    const instanceTypes = props.nodeInstanceTypes ?? ["m6i.large"];
    const minSize = props.nodeMinSize ?? 2;
    const desiredSize = props.nodeDesiredSize ?? 3;
    const maxSize = props.nodeMaxSize ?? 6;
    const diskGiB = props.nodeDiskGiB ?? 50;
    const logRetentionDays = props.logRetentionDays ?? 365;
    const adminPrincipalArns = props.adminPrincipalArns ?? [];
    const readOnlyPrincipalArns = props.readOnlyPrincipalArns ?? [];
    const addonVersions = props.addonVersions ?? {};

    this.validate(props, { kubernetesVersion, publicAccessCidrs, minSize, desiredSize, maxSize, diskGiB, logRetentionDays });
    const amiType = this.amiTypeFor(instanceTypes);
    this.validateAddonVersions(addonVersions);
    for (const [field, arns] of [
      ["adminPrincipalArns", adminPrincipalArns],
      ["readOnlyPrincipalArns", readOnlyPrincipalArns],
    ] as const) {
      arns.forEach((arn, i) => this.validatePrincipal(`${field}[${i}]`, arn));
      const duplicate = arns.find((arn, i) => isKnown(arn) && arns.indexOf(arn) !== i);
      if (duplicate !== undefined) invalid(this, field, arns, `each principal once; ${duplicate} is repeated`);
    }
    readOnlyPrincipalArns.forEach((arn, i) => {
      if (isKnown(arn) && adminPrincipalArns.includes(arn)) {
        invalid(this, `readOnlyPrincipalArns[${i}]`, arn, "a principal that is not also in adminPrincipalArns (EKS keeps one access entry per principal)");
      }
    });
    if (props.terraformPrincipalArn !== undefined) {
      this.validatePrincipal("terraformPrincipalArn", props.terraformPrincipalArn);
      if (isKnown(props.terraformPrincipalArn) && readOnlyPrincipalArns.includes(props.terraformPrincipalArn)) {
        invalid(this, "terraformPrincipalArn", props.terraformPrincipalArn, "the identity Terraform applies as, which cannot also be read-only (it is not in readOnlyPrincipalArns)");
      }
    }

    const { name, accountId, region } = props;
    const { partition, dnsSuffix } = stackPartition(this, region);
    this.partition = partition;
    const logGroupName = `/aws/eks/${name}/cluster`;
    const named = (suffix: string, maxLength: number) => `${resourceName([name], maxLength - suffix.length - 1)}-${suffix}`;

    // One key for the cluster's data at rest: Kubernetes secrets and the control-plane logs.
    this.secretsKey = new KmsKey(this, "SecretsKey", {
      description: `EKS secrets and control-plane logs of ${name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      ...((props.preventDestroy ?? true) ? { lifecycle: { preventDestroy: true } } : {}),
      // The account's IAM policies decide who else may use the key (the cluster role below).
      policy: accountKeyPolicy({
        partition,
        accountId,
        logGroups: { region, dnsSuffix, arnPattern: `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupName}` },
      }),
    });
    new KmsAlias(this, "SecretsKeyAlias", { name: `alias/eks/${name}`, targetKeyId: this.secretsKey.keyId });

    // EKS would create this group itself with no expiry; creating it first sets retention and encryption.
    const logGroup = new CloudwatchLogGroup(this, "LogGroup", {
      name: logGroupName,
      retentionInDays: logRetentionDays,
      kmsKeyId: this.secretsKey.arn,
    });

    const clusterRole = new IamRole(this, "ClusterRole", {
      name: named("eks-cluster", 64),
      assumeRolePolicy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "eks.amazonaws.com" },
            Action: "sts:AssumeRole",
            // Only EKS acting for this account may assume it (confused-deputy protection).
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
          },
        ],
      }),
    });
    const clusterPolicy = new IamRolePolicyAttachment(this, "ClusterPolicy", {
      role: clusterRole.name,
      policyArn: managedPolicyArn(partition, "AmazonEKSClusterPolicy"),
    });
    // The VPC resource controller attaches trunk and branch network interfaces: security groups for pods.
    const vpcResourceControllerPolicy = new IamRolePolicyAttachment(this, "ClusterVpcResourceControllerPolicy", {
      role: clusterRole.name,
      policyArn: managedPolicyArn(partition, "AmazonEKSVPCResourceController"),
    });
    const clusterKeyPolicy = new IamRolePolicy(this, "ClusterKeyPolicy", {
      name: "secrets-encryption",
      role: clusterRole.name,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            Resource: this.secretsKey.arn,
          },
        ],
      }),
    });

    const publicEndpoint = !isKnown(publicAccessCidrs) || publicAccessCidrs.length > 0;
    this.cluster = new EksCluster(this, "Resource", {
      name,
      version: kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: props.network.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        ...(publicEndpoint ? { publicAccessCidrs } : {}),
      },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: this.secretsKey.arn } },
      accessConfig: {
        // Access entries only: no aws-auth ConfigMap to drift from what Terraform declares.
        authenticationMode: "API",
        // No implicit admin for whoever created the cluster: every admin is an access entry below,
        // visible in the plan. (Only read at creation; changing it replaces the cluster.)
        bootstrapClusterCreatorAdminPermissions: false,
      },
      enabledClusterLogTypes: CLUSTER_LOG_TYPES,
      // The log group must exist first (or EKS creates an unmanaged one); the role's policies must
      // outlive the cluster so EKS can clean up its network interfaces on delete.
      dependsOn: [logGroup, clusterPolicy, vpcResourceControllerPolicy, clusterKeyPolicy],
    });

    this.name = this.cluster.name;
    this.version = this.cluster.version;
    this.endpoint = this.cluster.endpoint;
    this.certificateAuthorityData = this.cluster.certificateAuthority.get(0).data;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;
    this.arn = this.cluster.arn;
    this.securityGroupId = this.clusterSecurityGroupId;

    // Named by the principal (its ARN after the account, or the reference it is), not its place in the list.
    const grantIdOf = (prefix: string, principalArn: string) =>
      isKnown(principalArn) ? `${prefix}-${principalArn.split(":").slice(4).join("-").replace(/[^A-Za-z0-9_-]/g, "-")}` : `${prefix}-${stableIdFragment(this, principalArn)}`;
    adminPrincipalArns.forEach((principalArn) => {
      this.associate(grantIdOf("Admin", principalArn), principalArn, "AmazonEKSClusterAdminPolicy", { type: "cluster" });
    });
    readOnlyPrincipalArns.forEach((principalArn) => {
      // View, plus the group READ_ONLY_GROUP that `PlanReadAccess` lets read what View leaves out.
      this.associate(grantIdOf("ReadOnly", principalArn), principalArn, "AmazonEKSViewPolicy", { type: "cluster" }, [READ_ONLY_GROUP]);
    });
    this.terraformPrincipalArn = this.terraformAdmin(props.terraformPrincipalArn, adminPrincipalArns, readOnlyPrincipalArns);

    this.nodeRole = new IamRole(this, "NodeRole", {
      name: named("eks-node", 64),
      assumeRolePolicy: policyJson({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    // No AmazonEKS_CNI_Policy: the VPC CNI has its own role (below), so no pod that reaches the
    // node's credentials can change the VPC's network interfaces.
    const nodePolicies = [
      ["WorkerNodePolicy", "AmazonEKSWorkerNodePolicy"],
      ["RegistryReadOnlyPolicy", "AmazonEC2ContainerRegistryReadOnly"],
    ].map(
      ([policyId, policy]) =>
        new IamRolePolicyAttachment(this, `Node${policyId}`, {
          role: this.nodeRole.name,
          policyArn: managedPolicyArn(partition, policy),
        }),
    );

    this.oidcProvider = new IamOpenidConnectProvider(this, "OidcProvider", {
      url: this.cluster.identity.get(0).oidc.get(0).issuer,
      clientIdList: ["sts.amazonaws.com"],
    });
    this.oidcProviderArn = this.oidcProvider.arn;
    this.oidcIssuer = Fn.replace(this.cluster.identity.get(0).oidc.get(0).issuer, "https://", "");

    // The VPC CNI's own role, through IAM roles for service accounts rather than EKS Pod Identity:
    // a new node's aws-node then needs no node-local agent to get credentials before the node is ready.
    this.vpcCniRole = new IamRole(this, "VpcCniRole", {
      name: named("eks-vpc-cni", 64),
      assumeRolePolicy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: this.oidcProvider.arn },
            Action: "sts:AssumeRoleWithWebIdentity",
            // The provider's `url` is the issuer without `https://` (as IAM stores it): the prefix
            // of the token's claim keys. Only the aws-node service account of kube-system.
            Condition: {
              StringEquals: {
                [`${this.oidcProvider.url}:aud`]: "sts.amazonaws.com",
                [`${this.oidcProvider.url}:sub`]: "system:serviceaccount:kube-system:aws-node",
              },
            },
          },
        ],
      }),
    });
    const cniPolicy = new IamRolePolicyAttachment(this, "VpcCniPolicy", {
      role: this.vpcCniRole.name,
      policyArn: managedPolicyArn(partition, "AmazonEKS_CNI_Policy"),
    });
    const addons: Partial<Record<CoreAddonName, EksAddon>> = {};
    const addon = (name: CoreAddonName, config: Partial<EksAddonConfig> = {}) => {
      addons[name] = new EksAddon(this, CORE_ADDONS.find((a) => a.name === name)!.id, {
        clusterName: this.cluster.name,
        addonName: name,
        addonVersion: addonVersions[name],
        // EKS installs self-managed copies at creation; managed add-ons take them over.
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        ...config,
      });
    };
    // Before the nodes: they become ready only once aws-node runs with the role (the node role has
    // no CNI permissions to fall back on).
    addon("vpc-cni", {
      serviceAccountRoleArn: this.vpcCniRole.arn,
      dependsOn: [cniPolicy],
      configurationValues: JSON.stringify({
        // The network policy agent enforces Kubernetes NetworkPolicies; without it they are
        // accepted and silently ignored.
        enableNetworkPolicy: "true",
        env: {
          // Security groups for pods (SecurityGroupPolicy): pods get branch network interfaces
          // with their own security groups (trunk-capable Nitro instance types; not the t family).
          ENABLE_POD_ENI: "true",
          // "standard" keeps kubelet probes and node-forwarded NodePort traffic (the load
          // balancer's instance targets) working for such pods, and lets NetworkPolicies apply
          // to them too; "strict" (the default) sends all their traffic through the branch
          // interface, which breaks the probes.
          POD_SECURITY_GROUP_ENFORCING_MODE: "standard",
        },
      }),
    });

    // No image or user data: EKS picks the AMI for `amiType` and bootstraps the node itself.
    const launchTemplate = new LaunchTemplate(this, "NodeLaunchTemplate", {
      namePrefix: `${named("nodes", 100)}-`,
      description: `Nodes of EKS cluster ${name}`,
      updateDefaultVersion: true,
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        // One hop: the node reaches IMDS, pods (one hop further) cannot take the node role's credentials.
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: { volumeSize: diskGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      networkInterfaces: [
        {
          deviceIndex: 0,
          associatePublicIpAddress: "false",
          deleteOnTermination: "true",
          // Security groups set here replace EKS's default, so name the cluster group explicitly.
          securityGroups: [this.clusterSecurityGroupId],
        },
      ],
    });

    this.nodeGroup = new EksNodeGroup(this, "Nodes", {
      clusterName: this.cluster.name,
      // A prefix lets a replacement group (new instance types) start before the old one drains.
      nodeGroupNamePrefix: `${named("nodes", 37)}-`,
      version: this.cluster.version,
      nodeRoleArn: this.nodeRole.arn,
      subnetIds: props.network.privateSubnetIds,
      amiType,
      instanceTypes,
      launchTemplate: { id: launchTemplate.id, version: Token.asString(launchTemplate.latestVersion) },
      scalingConfig: { minSize, desiredSize, maxSize },
      updateConfig: { maxUnavailable: 1 },
      // The node role's policies and the VPC CNI must exist before nodes join and outlive them on delete.
      dependsOn: [...nodePolicies, addons["vpc-cni"]!],
      lifecycle: {
        createBeforeDestroy: true,
        // A cluster autoscaler owns the live node count; applying would otherwise reset it.
        ignoreChanges: ["scaling_config[0].desired_size"],
      },
    });

    addon("kube-proxy");
    // CoreDNS pods need nodes to schedule on, or the add-on never becomes active.
    addon("coredns", { dependsOn: [this.nodeGroup] });
    addon("eks-pod-identity-agent");
    this.addons = addons as Record<CoreAddonName, EksAddon>;
    this.workloadDependencies = [this.nodeGroup, this.addons["eks-pod-identity-agent"]];

    // App secrets: the Secrets Store CSI driver and its AWS provider mount Secrets Manager secrets
    // into pods with the pods' own EKS Pod Identity, so values never pass through Terraform or
    // the deploy job. Every 2 minutes the driver re-reads mounted secrets (files and the synced
    // Kubernetes Secret follow a changed value; environment variables on the next rollout).
    const storeVersion = props.secretsStoreAddonVersion;
    if (storeVersion !== undefined && isKnown(storeVersion) && !/^v\d+\.\d+\.\d+-eksbuild\.\d+$/.test(storeVersion)) {
      invalid(this, "secretsStoreAddonVersion", storeVersion, "an EKS add-on version such as v2.2.2-eksbuild.1");
    }
    const metricsVersion = props.metricsServerAddonVersion;
    if (metricsVersion !== undefined && isKnown(metricsVersion) && !/^v\d+\.\d+\.\d+-eksbuild\.\d+$/.test(metricsVersion)) {
      invalid(this, "metricsServerAddonVersion", metricsVersion, "an EKS add-on version such as v0.8.0-eksbuild.1");
    }
    this.secretsStoreAddon = new EksAddon(this, "SecretsStoreCsiDriver", {
      clusterName: this.cluster.name,
      addonName: "aws-secrets-store-csi-driver-provider",
      addonVersion: storeVersion,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      // DaemonSets need nodes; Pod Identity needs its agent.
      dependsOn: [this.nodeGroup, this.addons["eks-pod-identity-agent"]],
      configurationValues: JSON.stringify({
        "secrets-store-csi-driver": { syncSecret: { enabled: true }, enableSecretRotation: true, rotationPollInterval: "2m" },
      }),
    });

    // The resource metrics API (metrics.k8s.io): without it every HorizontalPodAutoscaler reads no
    // CPU and never scales. EKS's community add-on, so EKS keeps it current with the cluster.
    this.metricsServerAddon = new EksAddon(this, "MetricsServer", {
      clusterName: this.cluster.name,
      addonName: "metrics-server",
      addonVersion: props.metricsServerAddonVersion,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      // A Deployment: it needs nodes to become active.
      dependsOn: [this.nodeGroup],
    });
  }

  /**
   * Lets an IAM principal (a deploy role, say) act in one namespace only: an access entry for the
   * principal and an access policy scoped to `namespace`. The grant's construct id is
   * `Namespace-<principal>-<namespace>`, from the principal's ARN (or the reference it is), so
   * reordering grants renames nothing.
   * @param grantee the principal: `GithubActionsRole`, `PodIdentityRole`, or anything with its role's `arn`
   * @param namespace the Kubernetes namespace
   * @param policy an EKS access policy name
   * @returns the access policy association
   */
  public grantNamespaceAccess(grantee: ClusterAccessGrantee, namespace: string, policy?: string): EksAccessPolicyAssociation;
  /**
   * The older form, with an explicit id and a principal ARN string.
   * @deprecated pass the grantee object: `grantNamespaceAccess(role, namespace, policy)`
   */
  public grantNamespaceAccess(id: string, principalArn: string, namespace: string, policy?: string): EksAccessPolicyAssociation;
  public grantNamespaceAccess(first: ClusterAccessGrantee | string, second: string, third?: string, fourth?: string): EksAccessPolicyAssociation {
    if (typeof first === "string") return this.namespaceAccess(first, second, third!, fourth);
    const id = `Namespace-${stableIdFragment(this, first.arn)}-${stableIdFragment(this, second)}`;
    return this.namespaceAccess(id, first.arn, second, third);
  }

  /**
   * Lets a role sign in as a member of the Kubernetes group `group` and nothing more: what it may
   * do is what the group's RBAC bindings allow (e.g. `KubernetesWorkload.grantDeploy(group)`).
   * The same grant as `role.allowEksGroup(cluster, group)`, in the cluster's `grantXxx(grantee)` form.
   * @param grantee the role, e.g. a `GithubActionsRole`
   * @param group a Kubernetes group name, e.g. `slipway-deploy:shop-prod`
   * @returns the role's access entry on this cluster
   */
  public grantGroupAccess(grantee: ClusterGroupGrantee, group: string): EksAccessEntry {
    return grantee.allowEksGroup(this, group);
  }

  private namespaceAccess(id: string, principalArn: string, namespace: string, policy = "AmazonEKSEditPolicy"): EksAccessPolicyAssociation {
    this.validatePrincipal("grantNamespaceAccess.principalArn", principalArn);
    if (isKnown(namespace) && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
      invalid(this, "grantNamespaceAccess.namespace", namespace, "a Kubernetes namespace name: 1-63 lower-case letters, digits and '-'");
    }
    return this.associate(id, principalArn, policy, { type: "namespace", namespaces: [namespace] });
  }

  /**
   * Cluster-admin for the identity Terraform runs as: the given ARN, else the caller's role read at
   * plan time, then skipped (`count = 0`) when that principal already has an entry in the lists.
   */
  private terraformAdmin(given: string | undefined, admins: string[], readOnly: string[]): string {
    if (given !== undefined) {
      if (isKnown(given) && admins.includes(given)) return given;
      this.associate("TerraformAdmin", given, "AmazonEKSClusterAdminPolicy", { type: "cluster" });
      return given;
    }
    const caller = new DataAwsCallerIdentity(this, "TerraformCaller");
    // An assumed-role session ARN (sts::...:assumed-role/<role>/<session>) becomes the role's ARN.
    const session = new DataAwsIamSessionContext(this, "TerraformSession", { arn: caller.arn });
    const principalArn = session.issuerArn;
    const listed = [...admins, ...readOnly];
    const count = listed.length === 0 ? undefined : TerraformCount.of(Token.asNumber(Fn.conditional(Fn.contains(listed, principalArn), 0, 1)));
    const grant = new Construct(this, "TerraformAdmin");
    const entry = new EksAccessEntry(grant, "AccessEntry", { clusterName: this.cluster.name, principalArn, type: "STANDARD", count });
    new EksAccessPolicyAssociation(grant, "AccessPolicy", {
      clusterName: this.cluster.name,
      principalArn,
      policyArn: accessPolicyArn(this.partition, "AmazonEKSClusterAdminPolicy"),
      accessScope: { type: "cluster" },
      count,
      dependsOn: [entry],
    });
    return principalArn;
  }

  /** An access policy association for `principalArn`, creating its access entry once. */
  private associate(
    id: string,
    principalArn: string,
    policy: string,
    accessScope: { type: string; namespaces?: string[] },
    kubernetesGroups?: string[],
  ): EksAccessPolicyAssociation {
    const field = accessScope.type === "namespace" ? "grantNamespaceAccess.policy" : "adminPrincipalArns";
    if (isKnown(policy) && !/^AmazonEKS[A-Za-z0-9]+Policy$/.test(policy)) {
      invalid(this, field, policy, "an EKS access policy name, e.g. AmazonEKSEditPolicy, AmazonEKSViewPolicy or AmazonEKSAdminPolicy");
    }
    if (isKnown(principalArn) && isKnown(policy)) {
      const key = `${principalArn} ${policy}`;
      if (this.associations.has(key)) {
        invalid(this, field, policy, `one association per principal and policy; ${principalArn} already has ${policy}`);
      }
      this.associations.add(key);
    }

    const grant = new Construct(this, id);
    let entry = isKnown(principalArn) ? this.accessEntries.get(principalArn) : undefined;
    if (!entry) {
      entry = new EksAccessEntry(grant, "AccessEntry", { clusterName: this.cluster.name, principalArn, type: "STANDARD", ...(kubernetesGroups ? { kubernetesGroups } : {}) });
      if (isKnown(principalArn)) this.accessEntries.set(principalArn, entry);
    }
    return new EksAccessPolicyAssociation(grant, "AccessPolicy", {
      clusterName: this.cluster.name,
      // The entry's attribute, so the association waits for the entry.
      principalArn: entry.principalArn,
      policyArn: accessPolicyArn(this.partition, policy),
      accessScope,
    });
  }

  private validate(
    props: WithAccountAndRegion<KubernetesClusterProps>,
    v: {
      kubernetesVersion: string;
      publicAccessCidrs: string[];
      minSize: number;
      desiredSize: number;
      maxSize: number;
      diskGiB: number;
      logRetentionDays: number;
    },
  ): void {
    if (isKnown(props.name) && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(props.name)) {
      invalid(this, "name", props.name, "1-100 letters, digits, '_' and '-', starting with a letter or digit");
    }
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    const subnets = props.network.privateSubnetIds;
    if (isKnown(subnets) && subnets.length < 2) {
      invalid(this, "network.privateSubnetIds", subnets, "at least two subnets, in different availability zones (EKS requires two)");
    }
    checkValue(this, "kubernetesVersion", v.kubernetesVersion, kinds.kubernetesVersion);
    if (isKnown(v.publicAccessCidrs)) {
      v.publicAccessCidrs.forEach((cidr, i) => checkValue(this, `publicAccessCidrs[${i}]`, cidr, kinds.publicAccessCidr));
      // Together, too: 0.0.0.0/1 and 128.0.0.0/1 are the whole internet as surely as 0.0.0.0/0.
      if (v.publicAccessCidrs.every(isKnown)) checkValue(this, "publicAccessCidrs", v.publicAccessCidrs, kinds.publicAccessCidrList);
    }
    for (const [field, value] of [
      ["nodeMinSize", v.minSize],
      ["nodeDesiredSize", v.desiredSize],
      ["nodeMaxSize", v.maxSize],
    ] as const) {
      checkValue(this, field, value, kinds.nodeCount);
    }
    if ([v.minSize, v.desiredSize, v.maxSize].every(isKnown)) {
      if (v.minSize > v.desiredSize) {
        invalid(this, "nodeMinSize", v.minSize, `at most nodeDesiredSize (${v.desiredSize}): nodeMinSize <= nodeDesiredSize <= nodeMaxSize`);
      }
      if (v.desiredSize > v.maxSize) {
        invalid(this, "nodeDesiredSize", v.desiredSize, `at most nodeMaxSize (${v.maxSize}): nodeMinSize <= nodeDesiredSize <= nodeMaxSize`);
      }
    }
    if (isKnown(v.diskGiB) && (!Number.isInteger(v.diskGiB) || v.diskGiB < 20 || v.diskGiB > 16384)) {
      invalid(this, "nodeDiskGiB", v.diskGiB, "a whole number of GiB from 20 (the AMI's size) to 16384 (gp3's maximum)");
    }
    if (isKnown(v.logRetentionDays) && !CLUSTER_LOG_RETENTION_DAYS.includes(v.logRetentionDays)) {
      invalid(this, "logRetentionDays", v.logRetentionDays, `one of CloudWatch Logs' retention values: ${CLUSTER_LOG_RETENTION_DAYS.join(", ")} (0 keeps logs forever)`);
    }
  }

  /** The AL2023 AMI type for the instance types' CPU architecture; Graviton families end in `g…`. */
  private amiTypeFor(instanceTypes: string[]): string {
    if (!isKnown(instanceTypes)) return "AL2023_x86_64_STANDARD";
    if (instanceTypes.length === 0) invalid(this, "nodeInstanceTypes", instanceTypes, "at least one EC2 instance type, e.g. m6i.large");
    const arm = instanceTypes.map((type, i) => {
      if (!isKnown(type)) return undefined;
      checkValue(this, `nodeInstanceTypes[${i}]`, type, kinds.ec2InstanceType);
      return kinds.isGravitonInstanceType(type);
    });
    const known = arm.filter((a): a is boolean => a !== undefined);
    if (known.some((a) => a) && known.some((a) => !a)) {
      invalid(this, "nodeInstanceTypes", instanceTypes, "instance types of one CPU architecture: all Graviton (e.g. m7g.large) or all x86 (e.g. m6i.large)");
    }
    return known[0] ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
  }

  private validateAddonVersions(addonVersions: Readonly<Partial<Record<string, string>>>): void {
    const names = CORE_ADDONS.map((a) => a.name as string);
    for (const [addon, version] of Object.entries(addonVersions)) {
      if (!names.includes(addon)) invalid(this, "addonVersions", addon, `add-on names among ${names.join(", ")}`);
      if (version !== undefined && isKnown(version) && !/^v\d+\.\d+\.\d+-eksbuild\.\d+$/.test(version)) {
        invalid(this, `addonVersions.${addon}`, version, "an EKS add-on version such as v1.19.5-eksbuild.1");
      }
    }
  }

  private validatePrincipal(field: string, arn: string): void {
    checkValue(this, field, arn, kinds.iamPrincipalArn);
  }
}
