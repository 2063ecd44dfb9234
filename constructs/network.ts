/**
 * The VPC an environment runs in: private and public subnets across 2 to 4 zones, NAT egress,
 * a locked-down default security group and KMS-encrypted VPC flow logs.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Construct } from "constructs";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { accountKeyPolicy, stackPartition, WithAccountAndRegion, withAccountAndRegion } from "./aws-common";
import {
  checkAccountId,
  checkRegion,
  cidrSubnet,
  invalid,
  isKnown,
  LOG_RETENTION_DAYS,
  policyJson,
  resourceName,
} from "./util";

/** How many NAT gateways carry the private subnets' egress. */
export type NatGatewayMode = "one" | "per-zone";

/** The flow-log retention periods offered: CloudWatch's, without 0 (never expire), so flow logs always expire. */
const FLOW_LOG_RETENTION_DAYS: readonly number[] = LOG_RETENTION_DAYS.filter((days) => days !== 0);

/** Props of {@link Network}. Only `name`, `cidrBlock` and `availabilityZones` are required. */
export interface NetworkProps {
  /**
   * Prefix of the Name tags and resource names, e.g. `slipway-prod`: a DNS label (lower-case
   * letters, digits and `-`) of at most 32 characters.
   */
  readonly name: string;
  /**
   * The VPC's IPv4 CIDR, a network address with a prefix from /16 to /23 (e.g. `10.0.0.0/16`).
   * Private subnets are `cidrsubnet(cidr, 3, i)` (first half; a /19 each for a /16), public subnets
   * `cidrsubnet(cidr, 5, 16 + i)` (start of the second half; a /21 each). Must be literal: subnet
   * CIDRs are computed at synth.
   */
  readonly cidrBlock: string;
  /** 2 to 4 distinct availability zones of `region`, e.g. `["eu-west-1a", "eu-west-1b"]`. Order fixes each zone's subnets. */
  readonly availabilityZones: readonly string[];
  /**
   * The 12-digit AWS account id; scopes the flow-log key policy and role trust to this account.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The AWS region, e.g. `eu-west-1`; used in the log key policy's service principal and ARNs.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * `"per-zone"`: an Elastic IP and NAT gateway in every zone, so one zone failing does not cut
   * the others' egress. `"one"`: a single NAT gateway in the first zone shared by all (cheaper, for dev).
   * @default "per-zone"
   */
  readonly natGateways?: NatGatewayMode;
  /**
   * How long VPC flow logs are kept; one of CloudWatch's allowed values ({@link LOG_RETENTION_DAYS}) other than 0: flow logs always expire.
   * @default 365 days
   */
  readonly flowLogRetentionDays?: number;
  /**
   * Terraform `lifecycle.prevent_destroy` on the log key: destroying it makes every log it
   * encrypted unreadable. `false` for throwaway environments.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * An EKS cluster that uses these subnets: when given, every subnet is tagged
   * `kubernetes.io/cluster/<clusterName> = shared` so the cluster may place load balancers in them.
   * @default no cluster tag (the `kubernetes.io/role/elb` and `internal-elb` role tags are always set)
   */
  readonly clusterName?: string;
}

/**
 * A VPC with a private and a public subnet per zone, an internet gateway, NAT egress for the
 * private subnets, the default security group stripped of every rule, and flow logs of all
 * traffic to a CloudWatch log group encrypted with a dedicated, rotating KMS key.
 */
export class Network extends Construct {
  /** The VPC (construct id `Resource`). */
  public readonly vpc: Vpc;
  /** The VPC's id (a Terraform reference). */
  public readonly vpcId: string;
  /** The VPC's CIDR, as given (a literal). */
  public readonly cidrBlock: string;
  /** The zones, in the order given; subnet `i` of each list is in zone `i`. */
  public readonly availabilityZones: string[];
  /** Public subnets, one per zone; nothing in them gets a public IP unless it asks for one. */
  public readonly publicSubnets: Subnet[];
  /** Private subnets, one per zone, egressing through NAT. */
  public readonly privateSubnets: Subnet[];
  /** Ids of {@link publicSubnets}, in zone order (e.g. for a load balancer). */
  public readonly publicSubnetIds: string[];
  /** Ids of {@link privateSubnets}, in zone order (e.g. for a cluster or database). */
  public readonly privateSubnetIds: string[];
  /** CIDRs of {@link publicSubnets}, known at synth (e.g. where load balancer traffic comes from). */
  public readonly publicSubnetCidrs: string[];
  /** CIDRs of {@link privateSubnets}, known at synth (e.g. where the database lives). */
  public readonly privateSubnetCidrs: string[];
  /** The public route table (default route to the internet gateway). */
  public readonly publicRouteTable: RouteTable;
  /** One route table per zone for its private subnet (default route to NAT), e.g. for gateway endpoints. */
  public readonly privateRouteTables: RouteTable[];
  /** The NAT gateways: one per zone, or one in the first zone. */
  public readonly natGateways: NatGateway[];
  /** The VPC flow log (all traffic). */
  public readonly flowLog: FlowLog;
  /** The log group the flow log writes to. */
  public readonly flowLogGroup: CloudwatchLogGroup;
  /** The KMS key encrypting the flow log group; its policy lets CloudWatch Logs use it for any log group of this account and region. */
  public readonly logKey: KmsKey;

  constructor(scope: Construct, id: string, given: NetworkProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);

    const natMode = props.natGateways ?? "per-zone";
    const retentionDays = props.flowLogRetentionDays ?? 365;
    this.validate(props, natMode, retentionDays);

    const name = props.name;
    const zones = [...props.availabilityZones];
    const { partition, dnsSuffix } = stackPartition(this, props.region);
    const clusterTags: Record<string, string> =
      props.clusterName === undefined ? {} : { [`kubernetes.io/cluster/${props.clusterName}`]: "shared" };

    this.cidrBlock = props.cidrBlock;
    this.availabilityZones = zones;

    this.vpc = new Vpc(this, "Resource", {
      cidrBlock: props.cidrBlock,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name },
    });
    this.vpcId = this.vpc.id;

    // Strip the default security group of every rule (CIS AWS 5.4, Checkov CKV2_AWS_12): anything
    // that lands in it by accident can neither send nor receive.
    new DefaultSecurityGroup(this, "DefaultSecurityGroup", {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${name}-default-deny` },
    });

    this.privateSubnetCidrs = zones.map((_, i) => cidrSubnet(props.cidrBlock, 3, i));
    this.publicSubnetCidrs = zones.map((_, i) => cidrSubnet(props.cidrBlock, 5, 16 + i));
    this.privateSubnets = zones.map(
      (zone, i) =>
        new Subnet(this, `PrivateSubnet${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: this.privateSubnetCidrs[i],
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-private-${zone}`, "kubernetes.io/role/internal-elb": "1", ...clusterTags },
        }),
    );
    this.publicSubnets = zones.map(
      (zone, i) =>
        new Subnet(this, `PublicSubnet${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: this.publicSubnetCidrs[i],
          // The load balancer and NAT gateways bring their own addresses; nothing else gets one by accident.
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-public-${zone}`, "kubernetes.io/role/elb": "1", ...clusterTags },
        }),
    );
    this.privateSubnetIds = this.privateSubnets.map((s) => s.id);
    this.publicSubnetIds = this.publicSubnets.map((s) => s.id);

    const internetGateway = new InternetGateway(this, "InternetGateway", {
      vpcId: this.vpc.id,
      tags: { Name: name },
    });

    this.publicRouteTable = new RouteTable(this, "PublicRouteTable", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-public` },
    });
    // Routes are separate resources (not inline) so other constructs can add their own to these tables.
    new Route(this, "PublicDefaultRoute", {
      routeTableId: this.publicRouteTable.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: internetGateway.id,
    });
    this.publicSubnets.forEach(
      (subnet, i) =>
        new RouteTableAssociation(this, `PublicRouteTableAssociation${i}`, {
          subnetId: subnet.id,
          routeTableId: this.publicRouteTable.id,
        }),
    );

    // Ids are per zone index in both modes, so switching "one" -> "per-zone" keeps the first NAT.
    const natZones = natMode === "per-zone" ? zones : zones.slice(0, 1);
    this.natGateways = natZones.map((zone, i) => {
      const eip = new Eip(this, `NatEip${i}`, {
        domain: "vpc",
        tags: { Name: `${name}-nat-${zone}` },
        dependsOn: [internetGateway],
      });
      return new NatGateway(this, `NatGateway${i}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i].id,
        tags: { Name: `${name}-${zone}` },
        dependsOn: [internetGateway],
      });
    });

    this.privateRouteTables = zones.map((zone, i) => {
      const table = new RouteTable(this, `PrivateRouteTable${i}`, {
        vpcId: this.vpc.id,
        tags: { Name: `${name}-private-${zone}` },
      });
      new Route(this, `PrivateDefaultRoute${i}`, {
        routeTableId: table.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: this.natGateways[natMode === "per-zone" ? i : 0].id,
      });
      new RouteTableAssociation(this, `PrivateRouteTableAssociation${i}`, {
        subnetId: this.privateSubnets[i].id,
        routeTableId: table.id,
      });
      return table;
    });

    // Flow logs: all traffic, to a log group encrypted with a key only this account administers
    // and only CloudWatch Logs (for this account's log groups in this region) may use.
    this.logKey = new KmsKey(this, "LogKey", {
      description: `${name}: encrypts CloudWatch log groups (VPC flow logs and others)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      ...((props.preventDestroy ?? true) ? { lifecycle: { preventDestroy: true } } : {}),
      policy: accountKeyPolicy({
        partition,
        accountId: props.accountId,
        logGroups: { region: props.region, dnsSuffix, arnPattern: `arn:${partition}:logs:${props.region}:${props.accountId}:log-group:*` },
      }),
      tags: { Name: `${name}-logs` },
    });

    this.flowLogGroup = new CloudwatchLogGroup(this, "FlowLogGroup", {
      name: `/${resourceName([name])}/vpc-flow-logs`,
      retentionInDays: retentionDays,
      kmsKeyId: this.logKey.arn,
      tags: { Name: `${name}-vpc-flow-logs` },
    });

    const flowLogRole = new IamRole(this, "FlowLogRole", {
      name: resourceName([name, "vpc-flow-logs"], 64),
      description: `Lets VPC flow logs of ${name} write to their log group`,
      assumeRolePolicy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
            Action: "sts:AssumeRole",
            // Confused-deputy guard: only flow logs of this account may assume the role.
            Condition: {
              StringEquals: { "aws:SourceAccount": props.accountId },
              ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${props.region}:${props.accountId}:vpc-flow-log/*` },
            },
          },
        ],
      }),
      tags: { Name: `${name}-vpc-flow-logs` },
    });
    new IamRolePolicy(this, "FlowLogRolePolicy", {
      name: "write-flow-logs",
      role: flowLogRole.id,
      // Not policyJson: the log group ARN is always a reference, and policyJson would switch this
      // document to jsonencode(); JSON.stringify keeps the synthesized policy as it has always been.
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:*`],
          },
        ],
      }),
    });

    this.flowLog = new FlowLog(this, "FlowLog", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      tags: { Name: name },
    });
  }

  private validate(props: WithAccountAndRegion<NetworkProps>, natMode: string, retentionDays: number): void {
    if (isKnown(props.name) && !(/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(props.name) && props.name.length <= 32)) {
      invalid(this, "name", props.name, "a DNS label of at most 32 characters: lower-case letters, digits and '-', starting with a letter");
    }

    // The CIDR must be literal: the subnets are computed from it at synth.
    if (!isKnown(props.cidrBlock)) invalid(this, "cidrBlock", props.cidrBlock, `a literal ${kinds.vpcCidr.accepted.replace(/^an /, "")}`);
    checkValue(this, "cidrBlock", props.cidrBlock, kinds.vpcCidr);

    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    const regionKnown = isKnown(props.region);

    // The zone count decides how many subnets there are, so the list itself must be literal.
    const zones = props.availabilityZones;
    if (!isKnown(zones) || !Array.isArray(zones) || zones.length < 2 || zones.length > 4) {
      invalid(this, "availabilityZones", zones, "a literal list of 2 to 4 distinct availability zones");
    }
    zones.forEach((zone, i) => {
      if (!isKnown(zone)) return;
      // A letter after the region (eu-west-1a), or a Local/Wavelength Zone suffix (us-west-2-lax-1a).
      if (regionKnown && !(zone.startsWith(props.region) && /^([a-z]|-[a-z0-9-]*[a-z0-9])$/.test(zone.slice(props.region.length)))) {
        invalid(this, `availabilityZones[${i}]`, zone, `an availability zone of ${props.region}, e.g. ${props.region}a`);
      }
      if (zones.indexOf(zone) !== i) {
        invalid(this, `availabilityZones[${i}]`, zone, `distinct zones; ${JSON.stringify(zone)} is already availabilityZones[${zones.indexOf(zone)}]`);
      }
    });

    if (natMode !== "one" && natMode !== "per-zone") {
      invalid(this, "natGateways", natMode, `"one" or "per-zone"`);
    }

    if (isKnown(retentionDays) && !FLOW_LOG_RETENTION_DAYS.includes(retentionDays)) {
      invalid(this, "flowLogRetentionDays", retentionDays, `one of CloudWatch's retention periods: ${FLOW_LOG_RETENTION_DAYS.join(", ")}`);
    }

    // EKS cluster names: 1-100 characters, alphanumeric first, then alphanumerics, '-' and '_'.
    if (props.clusterName !== undefined && isKnown(props.clusterName) && !/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(props.clusterName)) {
      invalid(this, "clusterName", props.clusterName, "an EKS cluster name: 1 to 100 letters, digits, '-' or '_', starting with a letter or digit");
    }
  }
}
