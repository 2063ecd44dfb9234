import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Network, NetworkProps } from "../../constructs/network";
import { constructResources, expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;

const BASE: NetworkProps = {
  name: "slipway-prod",
  cidrBlock: "10.20.0.0/16",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  accountId: "123456789012",
  region: "eu-west-1",
};

function synth(overrides: Partial<NetworkProps> = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const network = new Network(stack, "Network", { ...BASE, ...overrides });
  const tf: Json = JSON.parse(Testing.synth(stack));
  return { network, stack, tf };
}

const { all, one, address, ref, countByType } = constructResources("Network");

function expectInvalid(overrides: Partial<NetworkProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/Network", field, accepted);
}

describe("Network", () => {
  test("secure defaults", () => {
    const { tf } = synth();

    // per-zone NAT across three zones
    expect(countByType(tf)).toEqual({
      aws_vpc: 1,
      aws_default_security_group: 1,
      aws_subnet: 6,
      aws_internet_gateway: 1,
      aws_route_table: 4,
      aws_route: 4,
      aws_route_table_association: 6,
      aws_eip: 3,
      aws_nat_gateway: 3,
      aws_kms_key: 1,
      aws_cloudwatch_log_group: 1,
      aws_iam_role: 1,
      aws_iam_role_policy: 1,
      aws_flow_log: 1,
    });
    expect(tf.provider).toBeUndefined();
    expect(tf.data).toBeUndefined();

    expect(one(tf, "aws_vpc", "Resource")).toMatchObject({ cidr_block: "10.20.0.0/16", enable_dns_support: true, enable_dns_hostnames: true, tags: { Name: "slipway-prod" } });
    const vpcId = ref(tf, "aws_vpc", "Resource");

    // The default security group is adopted and stripped of every rule.
    expect(one(tf, "aws_default_security_group", "DefaultSecurityGroup")).toMatchObject({ vpc_id: vpcId, ingress: [], egress: [] });

    ["a", "b", "c"].forEach((letter, i) => {
      const zone = `eu-west-1${letter}`;
      expect(one(tf, "aws_subnet", `PrivateSubnet${i}`)).toEqual({
        vpc_id: vpcId,
        availability_zone: zone,
        cidr_block: `10.20.${i * 32}.0/19`,
        map_public_ip_on_launch: false,
        tags: { Name: `slipway-prod-private-${zone}`, "kubernetes.io/role/internal-elb": "1" },
      });
      expect(one(tf, "aws_subnet", `PublicSubnet${i}`)).toEqual({
        vpc_id: vpcId,
        availability_zone: zone,
        cidr_block: `10.20.${128 + i * 8}.0/21`,
        map_public_ip_on_launch: false,
        tags: { Name: `slipway-prod-public-${zone}`, "kubernetes.io/role/elb": "1" },
      });

      // Each zone's private subnet egresses through its own zone's NAT gateway.
      expect(one(tf, "aws_eip", `NatEip${i}`)).toMatchObject({ domain: "vpc" });
      expect(one(tf, "aws_nat_gateway", `NatGateway${i}`)).toMatchObject({
        allocation_id: ref(tf, "aws_eip", `NatEip${i}`, "allocation_id"),
        subnet_id: ref(tf, "aws_subnet", `PublicSubnet${i}`),
        depends_on: [address(tf, "aws_internet_gateway", "InternetGateway")],
      });
      expect(one(tf, "aws_eip", `NatEip${i}`).depends_on).toEqual([address(tf, "aws_internet_gateway", "InternetGateway")]);
      expect(one(tf, "aws_route", `PrivateDefaultRoute${i}`)).toEqual({
        route_table_id: ref(tf, "aws_route_table", `PrivateRouteTable${i}`),
        destination_cidr_block: "0.0.0.0/0",
        nat_gateway_id: ref(tf, "aws_nat_gateway", `NatGateway${i}`),
      });
      expect(one(tf, "aws_route_table_association", `PrivateRouteTableAssociation${i}`)).toEqual({
        subnet_id: ref(tf, "aws_subnet", `PrivateSubnet${i}`),
        route_table_id: ref(tf, "aws_route_table", `PrivateRouteTable${i}`),
      });
      expect(one(tf, "aws_route_table_association", `PublicRouteTableAssociation${i}`)).toEqual({
        subnet_id: ref(tf, "aws_subnet", `PublicSubnet${i}`),
        route_table_id: ref(tf, "aws_route_table", "PublicRouteTable"),
      });
    });
    // No route table carries inline routes (they would fight the separate aws_route resources).
    all(tf, "aws_route_table").forEach((table) => expect(table.route).toBeUndefined());
    expect(one(tf, "aws_route", "PublicDefaultRoute")).toEqual({
      route_table_id: ref(tf, "aws_route_table", "PublicRouteTable"),
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: ref(tf, "aws_internet_gateway", "InternetGateway"),
    });

    // Flow logs of all traffic to a KMS-encrypted log group kept a year.
    expect(one(tf, "aws_flow_log", "FlowLog")).toMatchObject({
      vpc_id: vpcId,
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: ref(tf, "aws_cloudwatch_log_group", "FlowLogGroup", "arn"),
      iam_role_arn: ref(tf, "aws_iam_role", "FlowLogRole", "arn"),
    });
    expect(one(tf, "aws_cloudwatch_log_group", "FlowLogGroup")).toMatchObject({
      name: "/slipway-prod/vpc-flow-logs",
      retention_in_days: 365,
      kms_key_id: ref(tf, "aws_kms_key", "LogKey", "arn"),
    });

    const key = one(tf, "aws_kms_key", "LogKey");
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    const keyPolicy = JSON.parse(key.policy);
    expect(keyPolicy.Statement).toEqual([
      expect.objectContaining({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*" }),
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Action: expect.arrayContaining(["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"]),
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" } },
      }),
    ]);

    const role = one(tf, "aws_iam_role", "FlowLogRole");
    expect(role.name).toBe("slipway-prod-vpc-flow-logs");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*" },
        },
      },
    ]);
    const rolePolicy = one(tf, "aws_iam_role_policy", "FlowLogRolePolicy");
    expect(rolePolicy.role).toBe(ref(tf, "aws_iam_role", "FlowLogRole"));
    const logGroupArn = ref(tf, "aws_cloudwatch_log_group", "FlowLogGroup", "arn");
    const statements: Json[] = JSON.parse(rolePolicy.policy).Statement;
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
    ]);
    statements.forEach((s) => [s.Resource].flat().forEach((r: string) => expect(r).not.toBe("*")));
  });

  test("natGateways one: a single NAT gateway in the first zone serves every private route table", () => {
    const { tf, network } = synth({ natGateways: "one" });
    expect(all(tf, "aws_eip")).toHaveLength(1);
    expect(all(tf, "aws_nat_gateway")).toHaveLength(1);
    expect(network.natGateways).toHaveLength(1);
    // Same construct ids as per-zone's first NAT, so switching modes later keeps it.
    expect(one(tf, "aws_nat_gateway", "NatGateway0").subnet_id).toBe(ref(tf, "aws_subnet", "PublicSubnet0"));
    expect(all(tf, "aws_route_table")).toHaveLength(4);
    [0, 1, 2].forEach((i) =>
      expect(one(tf, "aws_route", `PrivateDefaultRoute${i}`).nat_gateway_id).toBe(ref(tf, "aws_nat_gateway", "NatGateway0")),
    );
  });

  test("natGateways per-zone is the default and keeps one NAT gateway per zone", () => {
    const explicit = synth({ natGateways: "per-zone" }).tf;
    const implicit = synth().tf;
    expect(explicit).toEqual(implicit);
    expect(all(explicit, "aws_nat_gateway").map((n) => n.subnet_id)).toEqual(
      [0, 1, 2].map((i) => ref(explicit, "aws_subnet", `PublicSubnet${i}`)),
    );
  });

  test("clusterName tags every subnet as shared with the cluster", () => {
    const { tf } = synth({ clusterName: "slipway-prod" });
    const subnets = all(tf, "aws_subnet");
    expect(subnets).toHaveLength(6);
    subnets.forEach((subnet) => expect(subnet.tags["kubernetes.io/cluster/slipway-prod"]).toBe("shared"));
    // Only subnets: the VPC does not need the tag.
    expect(all(tf, "aws_vpc")[0].tags).toEqual({ Name: "slipway-prod" });
  });

  test("flowLogRetentionDays sets the log group's retention", () => {
    const { tf } = synth({ flowLogRetentionDays: 30 });
    expect(one(tf, "aws_cloudwatch_log_group", "FlowLogGroup").retention_in_days).toBe(30);
  });

  test("availabilityZones: two zones give two of each per-zone resource", () => {
    const { tf, network } = synth({ availabilityZones: ["eu-west-1b", "eu-west-1c"] });
    expect(countByType(tf)).toMatchObject({ aws_subnet: 4, aws_nat_gateway: 2, aws_route_table: 3, aws_route_table_association: 4 });
    expect(network.availabilityZones).toEqual(["eu-west-1b", "eu-west-1c"]);
    expect(one(tf, "aws_subnet", "PrivateSubnet0").availability_zone).toBe("eu-west-1b");
  });

  test("cidrBlock /23 leaves room for four zones of /26 private and /28 public subnets", () => {
    const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"];
    const { tf } = synth({ cidrBlock: "10.1.2.0/23", availabilityZones: zones });
    expect([0, 1, 2, 3].map((i) => one(tf, "aws_subnet", `PrivateSubnet${i}`).cidr_block)).toEqual([
      "10.1.2.0/26",
      "10.1.2.64/26",
      "10.1.2.128/26",
      "10.1.2.192/26",
    ]);
    expect([0, 1, 2, 3].map((i) => one(tf, "aws_subnet", `PublicSubnet${i}`).cidr_block)).toEqual([
      "10.1.3.0/28",
      "10.1.3.16/28",
      "10.1.3.32/28",
      "10.1.3.48/28",
    ]);
  });

  test("region picks the partition of ARNs and the logs service principal", () => {
    const { tf } = synth({ region: "cn-north-1", availabilityZones: ["cn-north-1a", "cn-north-1b"] });
    const statements = JSON.parse(one(tf, "aws_kms_key", "LogKey").policy).Statement;
    expect(statements[0].Principal).toEqual({ AWS: "arn:aws-cn:iam::123456789012:root" });
    expect(statements[1].Principal).toEqual({ Service: "logs.cn-north-1.amazonaws.com.cn" });
    expect(statements[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toBe(
      "arn:aws-cn:logs:cn-north-1:123456789012:log-group:*",
    );
  });

  test.each(["us-gov-west-1", "ap-southeast-4", "eu-west-12"])("accepts region %j", (region) => {
    const { tf } = synth({ region, availabilityZones: [`${region}a`, `${region}b`] });
    expect(one(tf, "aws_subnet", "PrivateSubnet0").availability_zone).toBe(`${region}a`);
  });

  test("exposes typed attributes for other constructs", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const network = new Network(stack, "Network", BASE);
    // Wire the attributes the way a consumer would, and check what they resolve to.
    new TerraformOutput(stack, "vpc_id", { value: network.vpcId });
    new TerraformOutput(stack, "private_subnet_ids", { value: network.privateSubnetIds });
    new TerraformOutput(stack, "public_subnet_ids", { value: network.publicSubnetIds });
    new TerraformOutput(stack, "nat_gateway_ids", { value: network.natGateways.map((n) => n.id) });
    new TerraformOutput(stack, "log_key_arn", { value: network.logKey.arn });
    new TerraformOutput(stack, "flow_log_id", { value: network.flowLog.id });
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(tf.output.vpc_id.value).toBe(ref(tf, "aws_vpc", "Resource"));
    expect(tf.output.private_subnet_ids.value).toEqual([0, 1, 2].map((i) => ref(tf, "aws_subnet", `PrivateSubnet${i}`)));
    expect(tf.output.public_subnet_ids.value).toEqual([0, 1, 2].map((i) => ref(tf, "aws_subnet", `PublicSubnet${i}`)));
    expect(tf.output.nat_gateway_ids.value).toEqual([0, 1, 2].map((i) => ref(tf, "aws_nat_gateway", `NatGateway${i}`)));
    expect(tf.output.log_key_arn.value).toBe(ref(tf, "aws_kms_key", "LogKey", "arn"));
    expect(tf.output.flow_log_id.value).toBe(ref(tf, "aws_flow_log", "FlowLog"));

    expect(network.vpc.node.id).toBe("Resource");
    expect(network.cidrBlock).toBe("10.20.0.0/16");
    expect(network.availabilityZones).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    // Literal CIDRs, the same the subnets get, for network policies and security rules.
    expect(network.privateSubnetCidrs).toEqual(["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]);
    expect(network.publicSubnetCidrs).toEqual(["10.20.128.0/21", "10.20.136.0/21", "10.20.144.0/21"]);
    expect(network.privateSubnets.map((s) => s.node.id)).toEqual(["PrivateSubnet0", "PrivateSubnet1", "PrivateSubnet2"]);
    expect(network.publicSubnets.map((s) => s.node.id)).toEqual(["PublicSubnet0", "PublicSubnet1", "PublicSubnet2"]);
    expect(network.privateRouteTables.map((t) => t.node.id)).toEqual(["PrivateRouteTable0", "PrivateRouteTable1", "PrivateRouteTable2"]);
    expect(network.publicRouteTable.node.id).toBe("PublicRouteTable");
    expect(network.flowLogGroup.node.id).toBe("FlowLogGroup");
  });

  test("construct ids are stable", () => {
    const { network } = synth({ natGateways: "one", availabilityZones: ["eu-west-1a", "eu-west-1b"] });
    expect(network.node.children.map((c) => c.node.id).sort()).toEqual(
      [
        "Resource",
        "DefaultSecurityGroup",
        "PrivateSubnet0",
        "PrivateSubnet1",
        "PublicSubnet0",
        "PublicSubnet1",
        "InternetGateway",
        "PublicRouteTable",
        "PublicDefaultRoute",
        "PublicRouteTableAssociation0",
        "PublicRouteTableAssociation1",
        "NatEip0",
        "NatGateway0",
        "PrivateRouteTable0",
        "PrivateDefaultRoute0",
        "PrivateRouteTableAssociation0",
        "PrivateRouteTable1",
        "PrivateDefaultRoute1",
        "PrivateRouteTableAssociation1",
        "LogKey",
        "FlowLogGroup",
        "FlowLogRole",
        "FlowLogRolePolicy",
        "FlowLog",
      ].sort(),
    );
  });

  test("synthesizes deterministically", () => {
    expect(synth().tf).toEqual(synth().tf);
  });

  test("skips validation of unresolved tokens where the value is not needed at synth", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const account = new TerraformVariable(stack, "account", { type: "string" });
    const zone = new TerraformVariable(stack, "zone", { type: "string" });
    const retention = new TerraformVariable(stack, "retention", { type: "number" });
    const network = new Network(stack, "Network", {
      ...BASE,
      accountId: account.stringValue,
      availabilityZones: ["eu-west-1a", zone.stringValue],
      flowLogRetentionDays: retention.numberValue,
    });
    const tf: Json = JSON.parse(Testing.synth(stack));
    expect(network.availabilityZones).toHaveLength(2);
    expect(one(tf, "aws_subnet", "PrivateSubnet1").availability_zone).toBe("${var.zone}");
    expect(one(tf, "aws_cloudwatch_log_group", "FlowLogGroup").retention_in_days).toBe("${var.retention}");
  });

  describe("validation", () => {
    test.each(["", "Slipway", "9lives", "slipway_prod", "slipway-", "a".repeat(33)])("fails when name is %j", (name) => {
      expectInvalid({ name }, "name", "a DNS label of at most 32 characters");
    });

    test.each(["10.0.0.0", "10.0.0.0/33", "300.0.0.0/16", "fd00::/56", "vpc"])("fails when cidrBlock %j is not an IPv4 CIDR", (cidrBlock) => {
      expectInvalid({ cidrBlock }, "cidrBlock", "IPv4 network CIDR with a prefix from /16 to /23");
    });

    test.each(["10.0.0.0/15", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.0/28"])("fails when cidrBlock %j is outside /16 to /23", (cidrBlock) => {
      expectInvalid({ cidrBlock }, "cidrBlock", "a prefix from /16 to /23");
    });

    test("fails when cidrBlock has host bits set", () => {
      expectInvalid({ cidrBlock: "10.0.1.0/16" }, "cidrBlock", "did you mean 10.0.0.0/16?");
    });

    test("fails when cidrBlock is an unresolved token (subnets are computed at synth)", () => {
      const app = Testing.app();
      const stack = new TerraformStack(app, "test");
      const cidr = new TerraformVariable(stack, "cidr", { type: "string" });
      expect(() => new Network(stack, "Network", { ...BASE, cidrBlock: cidr.stringValue })).toThrow(
        /^test\/Network: cidrBlock .* is invalid: a literal IPv4 network CIDR/,
      );
    });

    test.each([[["eu-west-1a"]], [[]], [["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e"]]])(
      "fails when availabilityZones has %j zones (not 2 to 4)",
      (availabilityZones) => {
        expectInvalid({ availabilityZones }, "availabilityZones", "a literal list of 2 to 4 distinct availability zones");
      },
    );

    test("fails when availabilityZones repeats a zone", () => {
      expectInvalid(
        { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1a"] },
        "availabilityZones[2]",
        'distinct zones; "eu-west-1a" is already availabilityZones[0]',
      );
    });

    test.each(["us-east-1a", "eu-west-1", "eu-west-12a", "eu-west-1A"])("fails when an availability zone %j is not in the region", (zone) => {
      expectInvalid({ availabilityZones: ["eu-west-1a", zone] }, "availabilityZones[1]", "an availability zone of eu-west-1, e.g. eu-west-1a");
    });

    test("fails when natGateways is neither one nor per-zone", () => {
      expectInvalid({ natGateways: "two" as never }, "natGateways", '"one" or "per-zone"');
    });

    test.each([0, 2, 366, 3650, 1.5])("fails when flowLogRetentionDays is %j", (flowLogRetentionDays) => {
      expectInvalid({ flowLogRetentionDays }, "flowLogRetentionDays", "one of CloudWatch's retention periods: 1, 3, 5, 7, 14, 30");
    });

    test.each(["", "-cluster", "my cluster", "a".repeat(101)])("fails when clusterName is %j", (clusterName) => {
      expectInvalid({ clusterName }, "clusterName", "an EKS cluster name: 1 to 100 letters, digits, '-' or '_'");
    });

    test.each(["12345678901", "1234567890123", "abcdefghijkl"])("fails when accountId is %j", (accountId) => {
      expectInvalid({ accountId }, "accountId", "a 12-digit AWS account id");
    });

    test.each(["eu-west", "EU-WEST-1", "europe"])("fails when region is %j", (region) => {
      expectInvalid({ region }, "region", "an AWS region name such as eu-west-1");
    });

    test("the error names the value received", () => {
      expect(() => synth({ cidrBlock: "10.0.0.0/24" })).toThrow(
        'test/Network: cidrBlock "10.0.0.0/24" is invalid: an IPv4 network CIDR with a prefix from /16 to /23 and no host bits set, e.g. 10.0.0.0/16; /24 is out of range',
      );
    });
  });
});

describe("Network preventDestroy", () => {
  test("the log key cannot be destroyed by a plan by default; throwaway environments opt out", () => {
    expect(one(synth().tf, "aws_kms_key", "LogKey").lifecycle).toEqual({ prevent_destroy: true });
    expect(one(synth({ preventDestroy: false }).tf, "aws_kms_key", "LogKey").lifecycle).toBeUndefined();
  });
});
