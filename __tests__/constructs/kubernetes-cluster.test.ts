import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { KubernetesCluster, KubernetesClusterProps } from "../../constructs/kubernetes-cluster";
import { expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const network = { vpcId: "vpc-123", privateSubnetIds: ["subnet-a", "subnet-b"] };
const base: KubernetesClusterProps = { name: "prod", network, accountId: "123456789012", region: "eu-west-1" };

function build(props: Partial<KubernetesClusterProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const cluster = new KubernetesCluster(stack, "Cluster", { ...base, ...props });
  return { stack, cluster, synth: () => JSON.parse(Testing.synth(stack)) as Json };
}

function synth(props: Partial<KubernetesClusterProps> = {}): Json {
  return build(props).synth();
}

/** All resources of a type, in synth order. */
function all(template: Json, type: string): Json[] {
  return Object.values(template.resource[type] ?? {});
}

/** The one resource of a type. */
function one(template: Json, type: string): Json {
  const found = all(template, type);
  expect(found).toHaveLength(1);
  return found[0];
}

function addon(template: Json, name: string): Json {
  const found = all(template, "aws_eks_addon").find((a) => a.addon_name === name);
  expect(found).toBeDefined();
  return found!;
}

function expectInvalid(fn: () => unknown, field: string, accepted: string | RegExp) {
  expectValidationError(fn, "test/Cluster", field, accepted);
}

describe("KubernetesCluster", () => {
  test("secure defaults", () => {
    const template = synth();
    const cluster = one(template, "aws_eks_cluster");
    const [clusterAddress] = Object.keys(template.resource.aws_eks_cluster);
    const keyAddress = `aws_kms_key.${Object.keys(template.resource.aws_kms_key)[0]}`;
    const logGroupAddress = `aws_cloudwatch_log_group.${Object.keys(template.resource.aws_cloudwatch_log_group)[0]}`;

    // Pinned version, private-only endpoint in the private subnets.
    expect(cluster.name).toBe("prod");
    expect(cluster.version).toBe("1.33");
    expect(cluster.vpc_config).toEqual({
      subnet_ids: ["subnet-a", "subnet-b"],
      endpoint_private_access: true,
      endpoint_public_access: false,
    });
    // Secrets envelope-encrypted with the construct's rotating key.
    expect(cluster.encryption_config).toEqual({ resources: ["secrets"], provider: { key_arn: `\${${keyAddress}.arn}` } });
    expect(one(template, "aws_kms_key")).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(one(template, "aws_kms_alias")).toMatchObject({ name: "alias/eks/prod", target_key_id: `\${${keyAddress}.key_id}` });
    // Access entries only, and no implicit admin: the identity Terraform runs as is admin through
    // an entry in the plan (its role ARN, from the caller's session), and nobody else.
    expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    expect(Object.values(template.data.aws_iam_session_context)).toEqual([{ arn: `\${data.aws_caller_identity.${Object.keys(template.data.aws_caller_identity)[0]}.arn}` }]);
    const runner = `\${data.aws_iam_session_context.${Object.keys(template.data.aws_iam_session_context)[0]}.issuer_arn}`;
    expect(one(template, "aws_eks_access_entry")).toEqual({ cluster_name: `\${aws_eks_cluster.${clusterAddress}.name}`, principal_arn: runner, type: "STANDARD" });
    expect(one(template, "aws_eks_access_policy_association")).toMatchObject({
      principal_arn: runner,
      policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      access_scope: { type: "cluster" },
      depends_on: [`aws_eks_access_entry.${Object.keys(template.resource.aws_eks_access_entry)[0]}`],
    });
    // Every control-plane log, to a log group that exists first, kept a year, encrypted.
    expect(cluster.enabled_cluster_log_types).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    expect(cluster.depends_on).toContain(logGroupAddress);
    expect(one(template, "aws_cloudwatch_log_group")).toEqual({
      name: "/aws/eks/prod/cluster",
      retention_in_days: 365,
      kms_key_id: `\${${keyAddress}.arn}`,
    });

    // Nodes: IMDSv2 with one hop, encrypted gp3 root disk, no public IP.
    const launchTemplate = one(template, "aws_launch_template");
    expect(launchTemplate.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 });
    expect(launchTemplate.block_device_mappings).toEqual([
      { device_name: "/dev/xvda", ebs: { volume_size: 50, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" } },
    ]);
    expect(launchTemplate.network_interfaces).toEqual([
      {
        device_index: 0,
        associate_public_ip_address: "false",
        delete_on_termination: "true",
        security_groups: [`\${aws_eks_cluster.${clusterAddress}.vpc_config[0].cluster_security_group_id}`],
      },
    ]);
    expect(launchTemplate.image_id).toBeUndefined();
    expect(launchTemplate.user_data).toBeUndefined();

    const nodeGroup = one(template, "aws_eks_node_group");
    expect(nodeGroup).toMatchObject({
      subnet_ids: ["subnet-a", "subnet-b"],
      ami_type: "AL2023_x86_64_STANDARD",
      instance_types: ["m6i.large"],
      scaling_config: { min_size: 2, desired_size: 3, max_size: 6 },
      update_config: { max_unavailable: 1 },
      node_group_name_prefix: "prod-nodes-",
      version: `\${aws_eks_cluster.${clusterAddress}.version}`,
      lifecycle: { create_before_destroy: true, ignore_changes: ["scaling_config[0].desired_size"] },
    });
    const launchTemplateAddress = `aws_launch_template.${Object.keys(template.resource.aws_launch_template)[0]}`;
    expect(nodeGroup.launch_template).toEqual({
      id: `\${${launchTemplateAddress}.id}`,
      version: `\${${launchTemplateAddress}.latest_version}`,
    });
    expect(nodeGroup.disk_size).toBeUndefined();

    // Service-account roles trust this provider.
    expect(one(template, "aws_iam_openid_connect_provider")).toEqual({
      url: `\${aws_eks_cluster.${clusterAddress}.identity[0].oidc[0].issuer}`,
      client_id_list: ["sts.amazonaws.com"],
    });

    // Core add-ons, managed, at EKS's default versions; CoreDNS waits for nodes.
    const nodeGroupAddress = `aws_eks_node_group.${Object.keys(template.resource.aws_eks_node_group)[0]}`;
    const vpcCniAddress = `aws_eks_addon.${Object.entries(template.resource.aws_eks_addon as Json).find(([, a]) => a.addon_name === "vpc-cni")![0]}`;
    expect(all(template, "aws_eks_addon").map((a) => a.addon_name)).toEqual(
      expect.arrayContaining(["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"]),
    );
    for (const a of all(template, "aws_eks_addon")) {
      expect(a).toMatchObject({ resolve_conflicts_on_create: "OVERWRITE", resolve_conflicts_on_update: "OVERWRITE" });
      expect(a.addon_version).toBeUndefined();
    }
    expect(addon(template, "coredns").depends_on).toEqual([nodeGroupAddress]);
    // Nodes join once the VPC CNI runs with its own role (the node role cannot stand in for it).
    expect(nodeGroup.depends_on).toContain(vpcCniAddress);
    // NetworkPolicies are enforced, not silently ignored; security groups for pods, in the mode
    // that keeps NodePort (externalTrafficPolicy Local) and kubelet probes working.
    expect(JSON.parse(addon(template, "vpc-cni").configuration_values)).toEqual({
      enableNetworkPolicy: "true",
      env: { ENABLE_POD_ENI: "true", POD_SECURITY_GROUP_ENFORCING_MODE: "standard" },
    });
    expect(addon(template, "kube-proxy").configuration_values).toBeUndefined();
  });

  test("cluster role is assumable only by EKS for this account and can use the secrets key", () => {
    const template = synth();
    const roles = all(template, "aws_iam_role");
    const clusterRole = roles.find((r) => r.name === "prod-eks-cluster")!;
    expect(JSON.parse(clusterRole.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "eks.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    const attached = all(template, "aws_iam_role_policy_attachment")
      .filter((a) => a.role.includes("ClusterRole"))
      .map((a) => a.policy_arn);
    // The VPC resource controller manages the pods' branch network interfaces (security groups for pods).
    expect(attached.sort()).toEqual(["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController"]);
    const clusterResource = one(template, "aws_eks_cluster");
    for (const attachment of Object.keys(template.resource.aws_iam_role_policy_attachment).filter((k) => k.includes("ClusterPolicy") || k.includes("VpcResourceController"))) {
      expect(clusterResource.depends_on).toContain(`aws_iam_role_policy_attachment.${attachment}`);
    }
    const keyPolicy = one(template, "aws_iam_role_policy");
    expect(keyPolicy.policy).toContain("kms:Encrypt");
    expect(keyPolicy.policy).toContain("aws_kms_key.");
  });

  test("key policy lets CloudWatch Logs use the key for this cluster's log group only", () => {
    const policy = JSON.parse(one(synth(), "aws_kms_key").policy);
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*" }),
      expect.objectContaining({
        Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Condition: {
          ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/prod/cluster" },
        },
      }),
    ]);
  });

  test("node role is trusted by EC2 and has the worker and registry read-only policies, not the CNI's", () => {
    const template = synth();
    const nodeRole = all(template, "aws_iam_role").find((r) => r.name === "prod-eks-node")!;
    expect(JSON.parse(nodeRole.assume_role_policy).Statement[0].Principal).toEqual({ Service: "ec2.amazonaws.com" });
    const attached = all(template, "aws_iam_role_policy_attachment")
      .filter((a) => a.role.includes("NodeRole"))
      .map((a) => a.policy_arn);
    expect(attached.sort()).toEqual(["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]);
    expect(one(template, "aws_eks_node_group").depends_on).toHaveLength(3);
  });

  test("the VPC CNI runs as its own role, trusted only by kube-system/aws-node through the cluster's OIDC provider", () => {
    const { cluster, synth: synthesize } = build();
    const template = synthesize();
    const role = all(template, "aws_iam_role").find((r) => r.name === "prod-eks-vpc-cni")!;
    const provider = `aws_iam_openid_connect_provider.${cluster.oidcProvider.friendlyUniqueId}`;
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Federated: `\${${provider}.arn}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`\${${provider}.url}:aud`]: "sts.amazonaws.com",
            [`\${${provider}.url}:sub`]: "system:serviceaccount:kube-system:aws-node",
          },
        },
      },
    ]);
    const roleAddress = `aws_iam_role.${cluster.vpcCniRole.friendlyUniqueId}`;
    const cniAttachments = Object.entries(template.resource.aws_iam_role_policy_attachment as Json).filter(([, a]) => a.policy_arn.endsWith("/AmazonEKS_CNI_Policy"));
    expect(cniAttachments.map(([, a]) => a.role)).toEqual([`\${${roleAddress}.name}`]);
    expect(addon(template, "vpc-cni")).toMatchObject({
      service_account_role_arn: `\${${roleAddress}.arn}`,
      depends_on: [`aws_iam_role_policy_attachment.${cniAttachments[0][0]}`],
    });
  });

  test("exposes typed attributes as references to the cluster", () => {
    const { stack, cluster, synth: synthesize } = build();
    const attributes = {
      name: cluster.name,
      version: cluster.version,
      endpoint: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthorityData,
      clusterSecurityGroupId: cluster.clusterSecurityGroupId,
      oidcIssuer: cluster.oidcIssuer,
      oidcProviderArn: cluster.oidcProviderArn,
    };
    for (const [id, value] of Object.entries(attributes)) new TerraformOutput(stack, id, { value });
    const outputs = Object.fromEntries(Object.entries(synthesize().output as Json).map(([id, o]) => [id, o.value]));
    const eks = "aws_eks_cluster.Cluster_EB0386A7";
    expect(outputs).toEqual({
      name: `\${${eks}.name}`,
      version: `\${${eks}.version}`,
      endpoint: `\${${eks}.endpoint}`,
      certificateAuthorityData: `\${${eks}.certificate_authority[0].data}`,
      clusterSecurityGroupId: `\${${eks}.vpc_config[0].cluster_security_group_id}`,
      oidcIssuer: `\${replace(${eks}.identity[0].oidc[0].issuer, "https://", "")}`,
      oidcProviderArn: `\${aws_iam_openid_connect_provider.${cluster.oidcProvider.friendlyUniqueId}.arn}`,
    });
    expect(cluster.cluster.node.id).toBe("Resource");
    expect(cluster.secretsKey.terraformResourceType).toBe("aws_kms_key");
    expect(cluster.nodeGroup.terraformResourceType).toBe("aws_eks_node_group");
    expect(cluster.nodeRole.terraformResourceType).toBe("aws_iam_role");
    expect(Object.keys(cluster.addons).sort()).toEqual(["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
  });

  test("kubernetesVersion pins the control plane version", () => {
    expect(one(synth({ kubernetesVersion: "1.32" }), "aws_eks_cluster").version).toBe("1.32");
  });

  test("publicAccessCidrs enables the public endpoint for those CIDRs only", () => {
    const cluster = one(synth({ publicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"] }), "aws_eks_cluster");
    expect(cluster.vpc_config).toMatchObject({
      endpoint_private_access: true,
      endpoint_public_access: true,
      public_access_cidrs: ["203.0.113.0/24", "198.51.100.7/32"],
    });
  });

  test("nodeInstanceTypes sets the instance types and the AMI for their architecture", () => {
    expect(one(synth({ nodeInstanceTypes: ["m6i.xlarge", "m5.xlarge"] }), "aws_eks_node_group")).toMatchObject({
      instance_types: ["m6i.xlarge", "m5.xlarge"],
      ami_type: "AL2023_x86_64_STANDARD",
    });
    expect(one(synth({ nodeInstanceTypes: ["m7g.large", "c7gn.large"] }), "aws_eks_node_group")).toMatchObject({
      instance_types: ["m7g.large", "c7gn.large"],
      ami_type: "AL2023_ARM_64_STANDARD",
    });
  });

  test("node sizes set the scaling config", () => {
    const nodeGroup = one(synth({ nodeMinSize: 1, nodeDesiredSize: 1, nodeMaxSize: 10 }), "aws_eks_node_group");
    expect(nodeGroup.scaling_config).toEqual({ min_size: 1, desired_size: 1, max_size: 10 });
  });

  test("nodeDiskGiB sizes the root volume", () => {
    const launchTemplate = one(synth({ nodeDiskGiB: 200 }), "aws_launch_template");
    expect(launchTemplate.block_device_mappings[0].ebs).toMatchObject({ volume_size: 200, volume_type: "gp3", encrypted: "true" });
  });

  test("region picks the partition of ARNs and the logs service principal", () => {
    const { cluster, synth: synthesize } = build({ region: "cn-north-1", adminPrincipalArns: ["arn:aws-cn:iam::123456789012:role/ops"] });
    cluster.grantNamespaceAccess("Deploy", "arn:aws-cn:iam::123456789012:role/deploy", "api");
    const template = synthesize();
    const statements = JSON.parse(one(template, "aws_kms_key").policy).Statement;
    expect(statements[0].Principal).toEqual({ AWS: "arn:aws-cn:iam::123456789012:root" });
    expect(statements[1].Principal).toEqual({ Service: "logs.cn-north-1.amazonaws.com.cn" });
    expect(statements[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toBe(
      "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/eks/prod/cluster",
    );
    expect(all(template, "aws_iam_role_policy_attachment").map((a) => a.policy_arn).sort()).toEqual([
      "arn:aws-cn:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      "arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy",
      "arn:aws-cn:iam::aws:policy/AmazonEKSVPCResourceController",
      "arn:aws-cn:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      "arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]);
    expect(all(template, "aws_eks_access_policy_association").map((a) => a.policy_arn).sort()).toEqual([
      "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
    ]);
    // Global service principals keep their name in every partition.
    const roles = all(template, "aws_iam_role").map((r) => JSON.parse(r.assume_role_policy).Statement[0].Principal);
    expect(roles.slice(0, 2)).toEqual([{ Service: "eks.amazonaws.com" }, { Service: "ec2.amazonaws.com" }]);
  });

  test("logRetentionDays sets the log group retention", () => {
    expect(one(synth({ logRetentionDays: 30 }), "aws_cloudwatch_log_group").retention_in_days).toBe(30);
    expect(one(synth({ logRetentionDays: 0 }), "aws_cloudwatch_log_group").retention_in_days).toBe(0);
  });

  test("adminPrincipalArns get access entries with cluster-wide admin; Terraform's own entry steps aside when it is listed", () => {
    const admins = ["arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:user/alice"];
    const template = synth({ adminPrincipalArns: admins });
    const entries = all(template, "aws_eks_access_entry");
    expect(entries.map((e) => e.principal_arn).slice(0, 2)).toEqual(admins);
    const associations = all(template, "aws_eks_access_policy_association");
    expect(associations).toHaveLength(3);
    for (const association of associations.slice(0, 2)) {
      expect(association).toMatchObject({
        policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        access_scope: { type: "cluster" },
      });
      expect(association.principal_arn).toMatch(/^\$\{aws_eks_access_entry\..+\.principal_arn\}$/);
    }
    // EKS keeps one entry per principal: when the identity running Terraform is listed, its own entry is not created.
    const runner = entries[2].principal_arn;
    expect(runner).toMatch(/^\$\{data\.aws_iam_session_context\..+\.issuer_arn\}$/);
    const condition = `\${contains(["arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:user/alice"], ${runner.slice(2, -1)}) ? 0 : 1}`;
    expect(entries[2].count).toBe(condition);
    expect(associations[2]).toMatchObject({ principal_arn: runner, count: condition, policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" });
    // Ids come from the principal, so reordering the list does not replace entries.
    expect(Object.keys(template.resource.aws_eks_access_entry)[0]).toContain("Admin-123456789012-role-platform-admin");
  });

  test("terraformPrincipalArn names the apply identity instead of reading the caller; listed among the admins it gets one entry", () => {
    const apply = "arn:aws:iam::123456789012:role/slipway-apply";
    const template = synth({ terraformPrincipalArn: apply });
    expect(template.data).toBeUndefined();
    expect(one(template, "aws_eks_access_entry")).toMatchObject({ principal_arn: apply, type: "STANDARD" });
    expect(one(template, "aws_eks_access_policy_association")).toMatchObject({
      policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      access_scope: { type: "cluster" },
    });
    const both = synth({ terraformPrincipalArn: apply, adminPrincipalArns: [apply] });
    expect(all(both, "aws_eks_access_entry").map((e) => e.principal_arn)).toEqual([apply]);
    expect(all(both, "aws_eks_access_policy_association")).toHaveLength(1);
  });

  test("readOnlyPrincipalArns get cluster-wide view (no Secrets, no writes)", () => {
    const plan = "arn:aws:iam::123456789012:role/slipway-plan";
    const template = synth({ readOnlyPrincipalArns: [plan], terraformPrincipalArn: "arn:aws:iam::123456789012:role/slipway-apply" });
    const entries = template.resource.aws_eks_access_entry as Json;
    const [readOnlyEntry] = Object.entries(entries).filter(([, e]) => e.principal_arn === plan);
    expect(Object.keys(entries).filter((k) => entries[k].principal_arn === plan)).toHaveLength(1);
    const association = all(template, "aws_eks_access_policy_association").find((a) => a.principal_arn === `\${aws_eks_access_entry.${readOnlyEntry[0]}.principal_arn}`);
    expect(association).toMatchObject({ policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", access_scope: { type: "cluster" } });
    expect(readOnlyEntry[0]).toContain("ReadOnly-123456789012-role-slipway-plan");
  });

  test("addonVersions pins the listed add-ons only", () => {
    const template = synth({ addonVersions: { coredns: "v1.12.1-eksbuild.2" } });
    expect(addon(template, "coredns").addon_version).toBe("v1.12.1-eksbuild.2");
    expect(addon(template, "vpc-cni").addon_version).toBeUndefined();
  });

  test("grantNamespaceAccess scopes an access policy to one namespace", () => {
    const { cluster, synth: synthesize } = build();
    const association = cluster.grantNamespaceAccess("DeployApi", "arn:aws:iam::123456789012:role/deploy-api", "api");
    const template = synthesize();
    expect(all(template, "aws_eks_access_entry")[0]).toMatchObject({
      principal_arn: "arn:aws:iam::123456789012:role/deploy-api",
      type: "STANDARD",
    });
    expect(all(template, "aws_eks_access_policy_association")[0]).toMatchObject({
      policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
      access_scope: { type: "namespace", namespaces: ["api"] },
    });
    expect(association.node.path).toBe("test/Cluster/DeployApi/AccessPolicy");
    expect(association.terraformResourceType).toBe("aws_eks_access_policy_association");
  });

  test("grantNamespaceAccess takes another policy and reuses a principal's access entry", () => {
    const { cluster, synth: synthesize } = build({ adminPrincipalArns: ["arn:aws:iam::123456789012:role/ops"] });
    cluster.grantNamespaceAccess("DeployWeb", "arn:aws:iam::123456789012:role/deploy", "web");
    cluster.grantNamespaceAccess("ViewApi", "arn:aws:iam::123456789012:role/deploy", "api", "AmazonEKSViewPolicy");
    cluster.grantNamespaceAccess("OpsEditWeb", "arn:aws:iam::123456789012:role/ops", "web");
    const template = synthesize();
    // One entry per principal: EKS refuses a second entry for the same principal.
    expect(all(template, "aws_eks_access_entry").map((e) => e.principal_arn).filter((a) => a.startsWith("arn:")).sort()).toEqual([
      "arn:aws:iam::123456789012:role/deploy",
      "arn:aws:iam::123456789012:role/ops",
    ]);
    const entries = template.resource.aws_eks_access_entry as Json;
    const entryOf = (reference: string) => entries[/aws_eks_access_entry\.([^.]+)\./.exec(reference)![1]].principal_arn;
    const scoped = all(template, "aws_eks_access_policy_association").filter((a) => a.access_scope.type === "namespace");
    expect(scoped.map((a) => [entryOf(a.principal_arn), a.policy_arn.split("/")[1], a.access_scope.namespaces].join(" ")).sort()).toEqual([
      "arn:aws:iam::123456789012:role/deploy AmazonEKSEditPolicy web",
      "arn:aws:iam::123456789012:role/deploy AmazonEKSViewPolicy api",
      "arn:aws:iam::123456789012:role/ops AmazonEKSEditPolicy web",
    ]);
  });

  test("accepts unresolved references and skips their validation", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const account = new TerraformVariable(stack, "account", { type: "string" });
    const subnets = new TerraformVariable(stack, "subnets", { type: "list(string)" });
    new KubernetesCluster(stack, "Cluster", {
      ...base,
      accountId: account.stringValue,
      network: { vpcId: "vpc-123", privateSubnetIds: subnets.listValue },
    });
    const template = JSON.parse(Testing.synth(stack));
    // A reference in a policy stays a Terraform interpolation inside plain JSON.
    const keyPolicy = JSON.parse(one(template, "aws_kms_key").policy);
    expect(keyPolicy.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::${var.account}:root" });
    expect(one(template, "aws_eks_cluster").vpc_config.subnet_ids).toBe("${var.subnets}");
  });

  describe("validation", () => {
    test("fails when name is not a valid EKS cluster name", () => {
      expectInvalid(() => build({ name: "-prod" }), "name", /1-100 letters, digits/);
      expectInvalid(() => build({ name: "prod.cluster" }), "name", /1-100 letters, digits/);
      expectInvalid(() => build({ name: "a".repeat(101) }), "name", /1-100/);
    });

    test("fails when accountId is not 12 digits", () => {
      expectInvalid(() => build({ accountId: "12345" }), "accountId", /12-digit/);
    });

    test("fails when region is not a region name", () => {
      expectInvalid(() => build({ region: "Ireland" }), "region", /eu-west-1/);
    });

    test("fails when fewer than two private subnets are given", () => {
      expectInvalid(
        () => build({ network: { vpcId: "vpc-123", privateSubnetIds: ["subnet-a"] } }),
        "network.privateSubnetIds",
        /at least two subnets/,
      );
    });

    test("fails when kubernetesVersion is not 1.NN", () => {
      expectInvalid(() => build({ kubernetesVersion: "1.33.1" }), "kubernetesVersion", /'1.NN'/);
      expectInvalid(() => build({ kubernetesVersion: "latest" }), "kubernetesVersion", /'1.NN'/);
    });

    test("fails when publicAccessCidrs opens the API to the whole internet", () => {
      let error: unknown;
      try {
        build({ publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"] });
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).toBe(
        'test/Cluster: publicAccessCidrs[1] "0.0.0.0/0" is invalid: an IPv4 CIDR narrower than the whole internet (no host bits set), ' +
          "e.g. 203.0.113.0/24: list your offices, VPN or CI egress; 0.0.0.0/0 opens it to the whole internet",
      );
    });

    test("fails when publicAccessCidrs holds something that is not an IPv4 CIDR", () => {
      expectInvalid(() => build({ publicAccessCidrs: ["203.0.113.7"] }), "publicAccessCidrs[0]", /IPv4 CIDR/);
      expectInvalid(() => build({ publicAccessCidrs: ["office"] }), "publicAccessCidrs[0]", /IPv4 CIDR/);
      expectInvalid(() => build({ publicAccessCidrs: ["203.0.113.7/24"] }), "publicAccessCidrs[0]", /no host bits/);
    });

    test("fails when nodeInstanceTypes is empty, malformed or mixes architectures", () => {
      expectInvalid(() => build({ nodeInstanceTypes: [] }), "nodeInstanceTypes", /at least one/);
      expectInvalid(() => build({ nodeInstanceTypes: ["large"] }), "nodeInstanceTypes[0]", /m6i.large/);
      expectInvalid(() => build({ nodeInstanceTypes: ["m6i.large", "m7g.large"] }), "nodeInstanceTypes", /one CPU architecture/);
    });

    test("fails when a node size is not a whole number of at least 1", () => {
      expectInvalid(() => build({ nodeMinSize: 0 }), "nodeMinSize", /at least 1/);
      expectInvalid(() => build({ nodeMaxSize: 2.5 }), "nodeMaxSize", /whole number/);
    });

    test("fails when nodeMinSize exceeds nodeDesiredSize", () => {
      expectInvalid(() => build({ nodeMinSize: 4 }), "nodeMinSize", /nodeMinSize <= nodeDesiredSize <= nodeMaxSize/);
    });

    test("fails when nodeDesiredSize exceeds nodeMaxSize", () => {
      expectInvalid(() => build({ nodeDesiredSize: 7 }), "nodeDesiredSize", /at most nodeMaxSize \(6\)/);
    });

    test("fails when nodeDiskGiB is outside 20-16384", () => {
      expectInvalid(() => build({ nodeDiskGiB: 8 }), "nodeDiskGiB", /from 20/);
      expectInvalid(() => build({ nodeDiskGiB: 20000 }), "nodeDiskGiB", /16384/);
    });

    test("fails when logRetentionDays is not a CloudWatch retention value", () => {
      expectInvalid(() => build({ logRetentionDays: 100 }), "logRetentionDays", /one of CloudWatch Logs' retention values: 0, 1, 3/);
    });

    test("fails when an admin principal is not an IAM role or user ARN", () => {
      expectInvalid(
        () => build({ adminPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/admin/alice"] }),
        "adminPrincipalArns[0]",
        /IAM role or user ARN/,
      );
    });

    test("fails when an admin principal is listed twice", () => {
      const arn = "arn:aws:iam::123456789012:role/admin";
      expectInvalid(() => build({ adminPrincipalArns: [arn, arn] }), "adminPrincipalArns", /each principal once/);
    });

    test("fails when a read-only principal is malformed, repeated, also an admin, or the Terraform principal", () => {
      const arn = "arn:aws:iam::123456789012:role/plan";
      expectInvalid(() => build({ readOnlyPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/plan/ci"] }), "readOnlyPrincipalArns[0]", /IAM role or user ARN/);
      expectInvalid(() => build({ readOnlyPrincipalArns: [arn, arn] }), "readOnlyPrincipalArns", /each principal once/);
      expectInvalid(() => build({ readOnlyPrincipalArns: [arn], adminPrincipalArns: [arn] }), "readOnlyPrincipalArns[0]", /not also in adminPrincipalArns/);
      expectInvalid(() => build({ readOnlyPrincipalArns: [arn], terraformPrincipalArn: arn }), "terraformPrincipalArn", /cannot also be read-only/);
      expectInvalid(() => build({ terraformPrincipalArn: "apply" }), "terraformPrincipalArn", /IAM role or user ARN/);
    });

    test("fails when addonVersions names an unknown add-on or a malformed version", () => {
      expectInvalid(() => build({ addonVersions: { "aws-ebs-csi-driver": "v1.0.0-eksbuild.1" } as never }), "addonVersions", /vpc-cni/);
      expectInvalid(() => build({ addonVersions: { coredns: "1.12" } }), "addonVersions.coredns", /eksbuild/);
    });

    test("fails when grantNamespaceAccess gets a bad principal, namespace or policy", () => {
      const { cluster } = build();
      const role = "arn:aws:iam::123456789012:role/deploy";
      expectInvalid(() => cluster.grantNamespaceAccess("A", "deploy", "api"), "grantNamespaceAccess.principalArn", /IAM role or user ARN/);
      expectInvalid(() => cluster.grantNamespaceAccess("B", role, "Api_1"), "grantNamespaceAccess.namespace", /namespace name/);
      expectInvalid(() => cluster.grantNamespaceAccess("C", role, "api", "edit"), "grantNamespaceAccess.policy", /AmazonEKSEditPolicy/);
    });

    test("fails when grantNamespaceAccess repeats a principal and policy", () => {
      const { cluster } = build();
      const role = "arn:aws:iam::123456789012:role/deploy";
      cluster.grantNamespaceAccess("Api", role, "api");
      expectInvalid(() => cluster.grantNamespaceAccess("Web", role, "web"), "grantNamespaceAccess.policy", /one association per principal and policy/);
    });
  });
});

describe("KubernetesCluster preventDestroy", () => {
  test("the secrets key cannot be destroyed by a plan by default; throwaway environments opt out", () => {
    expect(one(synth(), "aws_kms_key").lifecycle).toEqual({ prevent_destroy: true });
    expect(one(synth({ preventDestroy: false }), "aws_kms_key").lifecycle).toBeUndefined();
  });
});

describe("the Secrets Store CSI driver add-on", () => {
  test("installs aws-secrets-store-csi-driver-provider after the nodes and the Pod Identity agent, syncing secrets and re-reading them every 2 minutes", () => {
    const template = synth();
    const store = addon(template, "aws-secrets-store-csi-driver-provider");
    const address = (type: string, match: (r: Json) => boolean) => `${type}.${Object.entries<Json>(template.resource[type]).find(([, r]) => match(r))![0]}`;
    expect(store.depends_on).toEqual([address("aws_eks_node_group", () => true), address("aws_eks_addon", (a) => a.addon_name === "eks-pod-identity-agent")]);
    expect(store.addon_version).toBeUndefined();
    expect(JSON.parse(store.configuration_values)).toEqual({
      "secrets-store-csi-driver": { syncSecret: { enabled: true }, enableSecretRotation: true, rotationPollInterval: "2m" },
    });
  });

  test("secretsStoreAddonVersion pins it", () => {
    expect(addon(synth({ secretsStoreAddonVersion: "v2.2.2-eksbuild.1" }), "aws-secrets-store-csi-driver-provider").addon_version).toBe("v2.2.2-eksbuild.1");
  });

  test("fails when secretsStoreAddonVersion is not an EKS add-on version", () => {
    expectInvalid(() => build({ secretsStoreAddonVersion: "2.2.2" }), "secretsStoreAddonVersion", /eksbuild/);
  });
});

describe("the metrics-server add-on", () => {
  test("installs metrics-server once the nodes exist, so HorizontalPodAutoscalers have CPU metrics", () => {
    const template = synth();
    const metrics = addon(template, "metrics-server");
    const nodeGroupAddress = `aws_eks_node_group.${Object.keys(template.resource.aws_eks_node_group)[0]}`;
    expect(metrics.depends_on).toEqual([nodeGroupAddress]);
    expect(metrics.addon_version).toBeUndefined();
    expect(metrics).toMatchObject({ resolve_conflicts_on_create: "OVERWRITE", resolve_conflicts_on_update: "OVERWRITE" });
  });

  test("metricsServerAddonVersion pins it", () => {
    expect(addon(synth({ metricsServerAddonVersion: "v0.8.0-eksbuild.1" }), "metrics-server").addon_version).toBe("v0.8.0-eksbuild.1");
  });

  test("fails when metricsServerAddonVersion is not an EKS add-on version", () => {
    expectInvalid(() => build({ metricsServerAddonVersion: "0.8.0" }), "metricsServerAddonVersion", /eksbuild/);
  });
});

describe("node autoscaling", () => {
  test("the node group's size is bounded by nodes.min and nodes.max, and Terraform leaves the live desired size to the cluster autoscaler", () => {
    const nodeGroup = one(synth({ nodeMinSize: 2, nodeDesiredSize: 3, nodeMaxSize: 9 }), "aws_eks_node_group");
    expect(nodeGroup.scaling_config).toEqual({ min_size: 2, desired_size: 3, max_size: 9 });
    expect(nodeGroup.lifecycle.ignore_changes).toContain("scaling_config[0].desired_size");
  });
});
