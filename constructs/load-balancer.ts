/**
 * An Application Load Balancer in front of an EKS managed node group: HTTPS with an ACM certificate,
 * HTTP redirected to HTTPS, forwarding to a target group of the nodes' Kubernetes NodePort (given,
 * e.g. a `NodeTargetGroup` next to the node group, or created here). By default it is
 * internal, in private subnets, reachable only through its CloudFront distribution's VPC origin;
 * opted in, internet-facing. Access logs go to a private bucket without ACLs.
 */
import { AutoscalingAttachment } from "@cdktf/provider-aws/lib/autoscaling-attachment";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn, TerraformCount, TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { accessLogBucket } from "./access-log-bucket";
import { CertificateValidationRecord, dnsValidatedCertificate, stackPartition, withAccountAndRegion, WithAccountAndRegion } from "./aws-common";
import { DEREGISTRATION_DELAY_SECONDS, nodePortHealthCheck } from "./drain-timing";
import { checkAccountId, checkRegion, invalid, isKnown, resourceName } from "./util";
import * as kinds from "./validators";
import { checkValue } from "./validators";

/** The part of a network a load balancer needs; `Network` satisfies it. */
export interface LoadBalancerNetwork {
  /** The VPC the subnets belong to; the load balancer's security group is created in it. */
  readonly vpcId: string;
  /**
   * Subnets with a route to the internet gateway, in at least two availability zones: where an
   * internet-facing load balancer (`allowFrom: "internet"`) lives.
   */
  readonly publicSubnetIds: string[];
  /**
   * Subnets without a route from the internet, in at least two availability zones: where an
   * internal load balancer (`allowFrom: "cdn"`, the default) lives. Required for `"cdn"`.
   */
  readonly privateSubnetIds?: string[];
}

/** Anything with a security group a load balancer may admit: a CDN's VPC origin. */
export interface LoadBalancerPeer {
  /** The peer's security group id (may be a reference). */
  readonly securityGroupId: string;
}

/** Who may open connections to the load balancer. */
export type LoadBalancerAllowFrom = "cdn" | "internet";

/**
 * Props of {@link LoadBalancer}. `name`, `network`, `domain`, `healthPath` and
 * `targetPort` are required.
 */
export interface LoadBalancerProps {
  /**
   * The load balancer's name, also the prefix of its target group (`<name>-tg`), security group
   * and log bucket: 1-28 lower-case letters, digits and `-`, starting with a letter (ALB and target
   * group names are limited to 32 characters).
   */
  readonly name: string;
  /** Where the load balancer lives: the VPC and at least two of its public subnets. */
  readonly network: LoadBalancerNetwork;
  /**
   * The 12-digit AWS account id; scopes the log bucket's policy and names the bucket.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The AWS region, e.g. `eu-west-1`; picks the ELB log-delivery account.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * The domain name clients (or CloudFront) ask for, e.g. `app.example.com`; the certificate
   * created (when no `certificateArn`) is for this name. A leading `*.` makes it a wildcard.
   */
  readonly domain: string;
  /**
   * Further names of the certificate created, e.g. `*.app.example.com` for pull-request previews
   * (ACM validates a domain's own wildcard with the domain's record).
   * @default none
   */
  readonly alternativeDomains?: readonly string[];
  /**
   * An existing ACM certificate for `domain` in `region`, already issued.
   * @default a new ACM certificate for `domain`, validated through DNS (see `hostedZoneId`)
   */
  readonly certificateArn?: string;
  /**
   * The Route 53 hosted zone of `domain`: when given (and no `certificateArn`), the construct
   * writes the certificate's DNS validation record there, so the certificate is issued unattended.
   * @default no record is written: the record to create is in {@link LoadBalancer.certificateValidation}
   *   (and the ACM console), and the first apply waits for the certificate to be issued
   */
  readonly hostedZoneId?: string;
  /**
   * The AWS provider that writes the validation record in `hostedZoneId`, e.g. an alias that
   * assumes a DNS-only role in the zone's account.
   * @default the stack's default AWS provider
   */
  readonly dnsProvider?: TerraformProvider;
  /** The path the target group's health check requests, e.g. `/healthz`. Must start with `/`. */
  readonly healthPath: string;
  /** The Kubernetes NodePort (30000-32767) the app's Service listens on, on every node. */
  readonly targetPort: number;
  /**
   * An existing target group the HTTPS listener forwards to, e.g. a `NodeTargetGroup` created
   * next to the node group (so replacing the node group re-attaches it in the same apply). When
   * given, this construct creates no target group and no attachment, and `healthPath` only
   * documents the group's check.
   * @default a target group `<name>-tg` created here, with the targets of `targetAutoscalingGroupNames`
   */
  readonly targetGroupArn?: string;
  /**
   * Seconds a draining node keeps serving in-flight requests, 0-3600 (only for the target group
   * created here).
   * @default 30 (`DEREGISTRATION_DELAY_SECONDS`, chosen with the pods' preStop delay: drain-timing.ts)
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Seconds an idle client connection stays open, 1-4000.
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Auto Scaling group names whose instances are the targets (the EKS managed node group's):
   * one `aws_autoscaling_attachment` each. A literal list gets one attachment per entry; an
   * unresolved list (a cross-stack reference) gets `count = length(list)`, which needs the list to
   * be known at plan time, so do not pass an unresolved list from the same stack. Only for the
   * target group created here: an attachment in another stack than the node group's keeps naming a
   * deleted group when the node group is replaced (give `targetGroupArn` of a `NodeTargetGroup` instead).
   * @default [] - no targets are registered
   */
  readonly targetAutoscalingGroupNames?: string[];
  /**
   * The targets' (nodes') security group, e.g. the EKS cluster security group: the construct adds
   * an ingress rule on it from the load balancer on `targetPort`, and the load balancer's only
   * egress rule, to it on `targetPort`.
   * @default no rules: the load balancer has no egress and reaches no target until you add rules
   *   on {@link LoadBalancer.securityGroupId}
   */
  readonly targetSecurityGroupId?: string;
  /**
   * `"cdn"`: an internal load balancer in the private subnets, with no public address; it admits
   * nothing until {@link LoadBalancer.allowHttpsFrom} admits its CDN's VPC origin (the `Cdn`
   * construct does, given this load balancer), so only distributions using that VPC origin reach it.
   * `"internet"`: internet-facing in the public subnets, anyone on 443 and 80 (80 redirects to 443),
   * IPv4 and IPv6.
   * @default "cdn"
   */
  readonly allowFrom?: LoadBalancerAllowFrom;
  /**
   * Whether AWS refuses to delete the load balancer; turn off to let `terraform destroy` remove it.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Whether every request is logged to a private, versioned S3 bucket the construct creates
   * (logs expire after 365 days).
   * @default true
   */
  readonly accessLogs?: boolean;
  /**
   * A canary's target group beside the stable one (`targetGroupArn`) and its NodePort: the HTTPS
   * listener forwards with weights, stable 100 and canary 0, which the deploy job shifts during a
   * canary release. Terraform ignores the weights after creating the listener
   * (`lifecycle.ignore_changes` on the forward's target groups), so an apply never moves traffic.
   * Requires `targetGroupArn`. See `constructs/canary.ts`.
   * @default none: the listener forwards to the one target group
   */
  readonly canaryTarget?: {
    /** The canary's target group, e.g. a second `NodeTargetGroup` (suffix `cn`). */
    readonly targetGroupArn: string;
    /** The canary Service's NodePort (30000-32767): the load balancer's security group reaches it too. */
    readonly port: number;
  };
}

/** The path of the weighted forward's target groups in `aws_lb_listener`, which Terraform leaves to the deploy job. */
export const CANARY_WEIGHTS_PATH = "default_action[0].forward[0].target_group";

const DEFAULT_DEREGISTRATION_DELAY_SECONDS = DEREGISTRATION_DELAY_SECONDS;
const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
/** TLS 1.3 and 1.2 with forward-secret ciphers only. */
const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const NAME_PATTERN = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const NAME_MAX_LENGTH = 28;
const CERTIFICATE_ARN_PATTERN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f-]+$/;
const LOG_EXPIRATION_DAYS = 365;

/**
 * Elastic Load Balancing's log-delivery account per region, for regions opened before August 2022
 * (newer regions only know the `logdelivery.elasticloadbalancing.amazonaws.com` service principal).
 * Same table as the AWS provider's `aws_elb_service_account` data source.
 */
const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-south-1": "718504428378",
  "ap-northeast-1": "582318560864",
  "ap-northeast-2": "600734575887",
  "ap-northeast-3": "383597477331",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-southeast-3": "589379963580",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-west-3": "009996457667",
  "eu-south-1": "635631232127",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
  "cn-north-1": "638102146993",
  "cn-northwest-1": "037604701340",
};

/**
 * An Application Load Balancer that is locked down by default: internal (private subnets, no public
 * address) and admitting only the CDN's VPC origin, TLS 1.2+ only, HTTP answered with a redirect to
 * HTTPS, invalid headers dropped, HTTP desync mitigated, deletion protection on, every request
 * logged to a private bucket. It forwards to the nodes of an EKS managed node group on a Kubernetes
 * NodePort (target type `instance`), so no in-cluster load-balancer controller is needed: Terraform
 * owns the whole path.
 */
export class LoadBalancer extends Construct {
  /** The `aws_lb` (construct id `Resource`). */
  public readonly loadBalancer: Lb;
  /** The load balancer's ARN. */
  public readonly arn: string;
  /** Who may connect: `"cdn"` (internal, admitted peers only) or `"internet"`. */
  public readonly allowFrom: LoadBalancerAllowFrom;
  /** True for an internal load balancer (`allowFrom: "cdn"`): private addresses only. */
  public readonly internal: boolean;
  /** The VPC the load balancer lives in. */
  public readonly vpcId: string;
  /** The load balancer's DNS name, e.g. for a CloudFront origin or an alias record. */
  public readonly dnsName: string;
  /** The hosted zone id of {@link dnsName}, for Route 53 alias records. */
  public readonly zoneId: string;
  /** The load balancer's security group. */
  public readonly securityGroup: SecurityGroup;
  /** The id of {@link securityGroup}. */
  public readonly securityGroupId: string;
  /** The HTTPS listener on 443, forwarding to {@link targetGroup}. */
  public readonly httpsListener: LbListener;
  /** The HTTP listener on 80, redirecting to HTTPS. */
  public readonly httpListener: LbListener;
  /** The target group of the nodes' NodePort, when this construct created it (no `targetGroupArn`). */
  public readonly targetGroup?: LbTargetGroup;
  /** The ARN of the target group the HTTPS listener forwards to: `targetGroupArn`, or the created group's. */
  public readonly targetGroupArn: string;
  /** The canary's target group ARN (`canaryTarget`), when the listener forwards with weights. */
  public readonly canaryTargetGroupArn?: string;
  /** The ARN of the certificate the HTTPS listener serves: the one given, or the created one once issued. */
  public readonly certificateArn: string;
  /** The access-log bucket, when `accessLogs` is on. */
  public readonly accessLogsBucket?: S3Bucket;
  /**
   * The DNS record to create so ACM issues the certificate: set only when the construct creates
   * the certificate and no `hostedZoneId` was given. Output it for whoever manages the domain's DNS.
   */
  public readonly certificateValidation?: CertificateValidationRecord;

  /** The `name` prop, for the Name tags of rules added later. */
  private readonly name: string;
  /** The targets' security group, when given: {@link forwardHosts} opens its port there too. */
  private readonly targetSecurityGroupId?: string;

  constructor(scope: Construct, id: string, given: LoadBalancerProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);

    const deregistrationDelaySeconds = props.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS;
    const idleTimeoutSeconds = props.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS;
    const targetAutoscalingGroupNames = props.targetAutoscalingGroupNames ?? [];
    const allowFrom = props.allowFrom ?? "cdn";
    const deletionProtection = props.deletionProtection ?? true;
    const accessLogs = props.accessLogs ?? true;
    this.validate(props, { deregistrationDelaySeconds, idleTimeoutSeconds, allowFrom });
    this.allowFrom = allowFrom;
    this.internal = allowFrom === "cdn";
    this.name = props.name;
    this.targetSecurityGroupId = props.targetSecurityGroupId;
    this.vpcId = props.network.vpcId;

    const { name, accountId, region, targetPort } = props;
    const { partition } = stackPartition(this, region);

    // Rules are separate resources, never inline, so they do not fight each other. Terraform
    // removes the default allow-all egress rule AWS adds: the only egress is the one to the targets.
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      name: `${name}-alb`,
      // Changing a description replaces the group, so it names nothing that props can change.
      description: `Application load balancer ${name}`,
      vpcId: props.network.vpcId,
      tags: { Name: `${name}-alb` },
    });
    this.securityGroupId = this.securityGroup.id;

    // Internal: no ingress until allowHttpsFrom admits the CDN's VPC origin. (CloudFront's
    // origin-facing prefix list would admit every distribution of every account, and does not
    // match VPC-origin traffic, which comes from CloudFront's interfaces inside the VPC.)
    if (!this.internal) {
      for (const [port, protocol] of [
        [443, "Https"],
        [80, "Http"],
      ] as const) {
        for (const [cidr, family] of [
          ["0.0.0.0/0", "Ipv4"],
          ["::/0", "Ipv6"],
        ] as const) {
          new VpcSecurityGroupIngressRule(this, `Ingress${protocol}${family}`, {
            securityGroupId: this.securityGroup.id,
            description: `${protocol.toUpperCase()} from the internet`,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...(family === "Ipv4" ? { cidrIpv4: cidr } : { cidrIpv6: cidr }),
            tags: { Name: `${name}-${protocol.toLowerCase()}-from-internet-${family.toLowerCase()}` },
          });
        }
      }
    }

    if (props.targetSecurityGroupId !== undefined) this.allowTargetPort(props.targetSecurityGroupId, targetPort, "");

    const logs = accessLogs ? this.createAccessLogsBucket(name, accountId, region, partition) : undefined;
    const subnets = this.internal ? props.network.privateSubnetIds! : props.network.publicSubnetIds;
    this.accessLogsBucket = logs?.bucket;

    this.loadBalancer = new Lb(this, "Resource", {
      name,
      loadBalancerType: "application",
      internal: this.internal,
      subnets,
      securityGroups: [this.securityGroup.id],
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "defensive",
      enableDeletionProtection: deletionProtection,
      idleTimeout: idleTimeoutSeconds,
      ...(logs ? { accessLogs: { bucket: logs.bucket.id, enabled: true } } : {}),
      tags: { Name: name },
      // ELB checks it may write to the bucket when logging is switched on: the policy comes first.
      dependsOn: logs ? [logs.policy] : undefined,
    });
    this.arn = this.loadBalancer.arn;
    this.dnsName = this.loadBalancer.dnsName;
    this.zoneId = this.loadBalancer.zoneId;

    if (props.targetGroupArn !== undefined) {
      this.targetGroupArn = props.targetGroupArn;
    } else {
      this.targetGroup = this.createTargetGroup(props, deregistrationDelaySeconds, targetAutoscalingGroupNames);
      this.targetGroupArn = this.targetGroup.arn;
    }

    if (props.certificateArn !== undefined) {
      this.certificateArn = props.certificateArn;
    } else {
      const created = dnsValidatedCertificate(this, { domain: props.domain, alternativeNames: props.alternativeDomains, hostedZoneId: props.hostedZoneId, recordProvider: props.dnsProvider, nameTag: props.name });
      this.certificateArn = created.arn;
      this.certificateValidation = created.pendingRecord;
    }

    const canary = props.canaryTarget;
    if (canary) {
      if (props.targetGroupArn === undefined) invalid(this, "canaryTarget", canary.targetGroupArn, "a canary target group beside a given targetGroupArn (the stable one)");
      checkValue(this, "canaryTarget.port", canary.port, kinds.nodePort);
      if (props.targetSecurityGroupId !== undefined) this.allowTargetPort(props.targetSecurityGroupId, canary.port, "Canary");
    }
    this.canaryTargetGroupArn = canary?.targetGroupArn;
    this.httpsListener = new LbListener(this, "HttpsListener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: SSL_POLICY,
      certificateArn: this.certificateArn,
      defaultAction: canary
        ? [{ type: "forward", forward: { targetGroup: [{ arn: this.targetGroupArn, weight: 100 }, { arn: canary.targetGroupArn, weight: 0 }] } }]
        : [{ type: "forward", targetGroupArn: this.targetGroupArn }],
      tags: { Name: `${name}-https` },
      // The deploy job owns the weights during a canary; Terraform never moves traffic back or forth.
      ...(canary ? { lifecycle: { ignoreChanges: [CANARY_WEIGHTS_PATH] } } : {}),
    });

    this.httpListener = new LbListener(this, "HttpListener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags: { Name: `${name}-http` },
    });
  }

  /**
   * Sends requests for some hosts to another target group: a rule of the HTTPS listener (host
   * header patterns, e.g. `pr-*.app.example.com`, at `priority`), and, with a
   * `targetSecurityGroupId`, the egress to and ingress on the targets' port for it.
   * @param id construct id of the rule (its security group rules take it as a prefix)
   * @returns the listener rule
   */
  public forwardHosts(id: string, rule: { readonly hostPatterns: readonly string[]; readonly targetGroupArn: string; readonly targetPort: number; readonly priority: number }): LbListenerRule {
    if (this.node.tryFindChild(id)) invalid(this, "forwardHosts.id", id, "a construct id not yet used in this load balancer");
    if (rule.hostPatterns.length < 1 || rule.hostPatterns.length > 5) invalid(this, `${id}.hostPatterns`, rule.hostPatterns, "1 to 5 host header patterns (an ALB condition's limit)");
    if (!Number.isInteger(rule.priority) || rule.priority < 1 || rule.priority > 50000) invalid(this, `${id}.priority`, rule.priority, "a whole number from 1 to 50000");
    checkValue(this, `${id}.targetPort`, rule.targetPort, kinds.nodePort);
    if (this.targetSecurityGroupId !== undefined) {
      new VpcSecurityGroupEgressRule(this, `${id}EgressToTargets`, {
        securityGroupId: this.securityGroup.id,
        description: `Requests and health checks to the NodePort of ${id}`,
        ipProtocol: "tcp",
        fromPort: rule.targetPort,
        toPort: rule.targetPort,
        referencedSecurityGroupId: this.targetSecurityGroupId,
        tags: { Name: `${this.name}-alb-to-${id.toLowerCase()}` },
      });
      new VpcSecurityGroupIngressRule(this, `${id}TargetIngress`, {
        securityGroupId: this.targetSecurityGroupId,
        description: `Requests and health checks from load balancer ${this.name} to ${id}`,
        ipProtocol: "tcp",
        fromPort: rule.targetPort,
        toPort: rule.targetPort,
        referencedSecurityGroupId: this.securityGroup.id,
        tags: { Name: `${this.name}-${id.toLowerCase()}-from-alb` },
      });
    }
    return new LbListenerRule(this, id, {
      listenerArn: this.httpsListener.arn,
      priority: rule.priority,
      condition: [{ hostHeader: { values: [...rule.hostPatterns] } }],
      action: [{ type: "forward", targetGroupArn: rule.targetGroupArn }],
      tags: { Name: `${this.name}-${id.toLowerCase()}` },
    });
  }

  /**
   * Lets `peer` open HTTPS connections: an ingress rule on 443 whose source is the peer's security
   * group, e.g. a CDN's VPC origin (`Cdn` calls this for an internal load balancer it is given).
   * @param peer anything with a `securityGroupId`
   * @param description the rule's description
   * @param id construct id of the rule; keep it stable, renaming it replaces the rule
   * @returns the ingress rule
   */
  public allowHttpsFrom(peer: LoadBalancerPeer, description = "HTTPS from an allowed security group", id = "IngressHttpsFromPeer"): VpcSecurityGroupIngressRule {
    if (!this.internal) {
      invalid(this, "allowHttpsFrom", peer.securityGroupId, `allowFrom "cdn": an internet-facing load balancer already admits everyone, so a narrower peer would change nothing`);
    }
    if (this.node.tryFindChild(id)) invalid(this, "allowHttpsFrom.id", id, "a construct id not yet used in this load balancer");
    return new VpcSecurityGroupIngressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      description,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: peer.securityGroupId,
      // IngressHttpsFromVpcOrigin -> <name>-ingress-https-from-vpc-origin
      tags: { Name: `${this.name}-${id.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}` },
    });
  }

  /**
   * The load balancer's egress to the targets' security group on `port`, and that group's ingress
   * from it. `prefix` keeps the ids of a second port (the canary's) apart: "" for the main one.
   */
  private allowTargetPort(targetSecurityGroupId: string, port: number, prefix: "" | "Canary"): void {
    const what = prefix ? "canary " : "";
    const tag = prefix ? "-canary" : "";
    new VpcSecurityGroupEgressRule(this, `${prefix}EgressToTargets`, {
      securityGroupId: this.securityGroup.id,
      // Rule descriptions allow only a-zA-Z0-9. _-:/()#,@[]+=&;{}!$* (no apostrophes).
      description: `Requests and health checks to the ${what}target NodePort`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: targetSecurityGroupId,
      tags: { Name: `${this.name}-alb-to-${prefix ? "canary-" : ""}targets` },
    });
    new VpcSecurityGroupIngressRule(this, `${prefix}TargetIngressFromLoadBalancer`, {
      securityGroupId: targetSecurityGroupId,
      description: `Requests and health checks from load balancer ${this.name}${prefix ? " to its canary" : ""}`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.securityGroup.id,
      tags: { Name: `${this.name}-targets${tag}-from-alb` },
    });
  }

  /** The target group of the nodes' NodePort with its attachments, when no `targetGroupArn` is given. */
  private createTargetGroup(props: WithAccountAndRegion<LoadBalancerProps>, deregistrationDelaySeconds: number, targetAutoscalingGroupNames: string[]): LbTargetGroup {
    const targetGroup = new LbTargetGroup(this, "TargetGroup", {
      name: `${props.name}-tg`,
      targetType: "instance",
      protocol: "HTTP",
      port: props.targetPort,
      vpcId: props.network.vpcId,
      deregistrationDelay: isKnown(deregistrationDelaySeconds) ? String(deregistrationDelaySeconds) : Token.asString(deregistrationDelaySeconds),
      healthCheck: nodePortHealthCheck(props.healthPath),
      tags: { Name: `${props.name}-tg` },
    });

    if (isKnown(targetAutoscalingGroupNames)) {
      targetAutoscalingGroupNames.forEach(
        (groupName, i) =>
          new AutoscalingAttachment(this, `TargetAttachment${i}`, {
            autoscalingGroupName: groupName,
            lbTargetGroupArn: targetGroup.arn,
          }),
      );
    } else {
      // A cross-stack list: its length is known at plan time, so `count` can size it.
      const count = TerraformCount.of(Fn.lengthOf(targetAutoscalingGroupNames));
      new AutoscalingAttachment(this, "TargetAttachments", {
        count,
        autoscalingGroupName: Token.asString(Fn.element(targetAutoscalingGroupNames, count.index)),
        lbTargetGroupArn: targetGroup.arn,
      });
    }
    return targetGroup;
  }

  /** The access-log bucket, written only by ELB's log delivery. */
  private createAccessLogsBucket(
    name: string,
    accountId: string,
    region: string,
    partition: string,
  ): { bucket: S3Bucket; policy: S3BucketPolicy } {
    // Bucket names are global: the account and region make this one unique and predictable.
    const bucketName = [name, accountId, region].every(isKnown)
      ? resourceName([name, "logs", accountId, region], 63)
      : `${name}-logs-${accountId}-${region}`;
    const logsArn = `arn:${partition}:s3:::${bucketName}/AWSLogs/${accountId}/*`;
    const elbAccount = isKnown(region) ? ELB_LOG_DELIVERY_ACCOUNTS[region] : undefined;
    return accessLogBucket(this, "AccessLogs", {
      bucketName,
      nameTag: bucketName,
      partition,
      expirationDays: LOG_EXPIRATION_DAYS,
      writerStatements: [
        {
          Sid: "ElbLogDelivery",
          Effect: "Allow",
          Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: logsArn,
        },
        // Regions opened before August 2022 deliver from a regional ELB account instead.
        ...(elbAccount
          ? [
              {
                Sid: "ElbLogDeliveryAccount",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${elbAccount}:root` },
                Action: "s3:PutObject",
                Resource: logsArn,
              },
            ]
          : []),
      ],
    });
  }

  private validate(
    props: WithAccountAndRegion<LoadBalancerProps>,
    v: { deregistrationDelaySeconds: number; idleTimeoutSeconds: number; allowFrom: string },
  ): void {
    if (isKnown(props.name) && !(NAME_PATTERN.test(props.name) && props.name.length <= NAME_MAX_LENGTH && !props.name.startsWith("internal-"))) {
      invalid(
        this,
        "name",
        props.name,
        `1-${NAME_MAX_LENGTH} lower-case letters, digits and '-', starting with a letter, not ending with '-' nor starting with 'internal-'`,
      );
    }
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    if (v.allowFrom === "internet") {
      const subnets = props.network.publicSubnetIds;
      if (isKnown(subnets) && subnets.length < 2) {
        invalid(this, "network.publicSubnetIds", subnets, "at least two public subnets, in different availability zones (an ALB requires two)");
      }
    } else {
      const subnets = props.network.privateSubnetIds;
      if (subnets === undefined || (isKnown(subnets) && subnets.length < 2)) {
        invalid(this, "network.privateSubnetIds", subnets, `at least two private subnets, in different availability zones: allowFrom "cdn" puts an internal load balancer there (an ALB requires two)`);
      }
    }

    // A wildcard (*.example.com) or one name: the shared domain validator for the name.
    if (isKnown(props.domain)) {
      const name = typeof props.domain === "string" && props.domain.startsWith("*.") ? props.domain.slice(2) : props.domain;
      if (kinds.domainName.problem(name) !== undefined) invalid(this, "domain", props.domain, `${kinds.domainName.accepted} (optionally *.example.com)`);
    }
    if (props.certificateArn === undefined && isKnown(props.domain) && props.domain.length > 64) {
      // ACM puts the first domain in the certificate's subject CN, which is limited to 64 characters.
      invalid(this, "domain", props.domain, "at most 64 characters for a certificate ACM creates; give certificateArn for a longer name");
    }
    if (props.certificateArn !== undefined && isKnown(props.certificateArn)) {
      const match = CERTIFICATE_ARN_PATTERN.exec(props.certificateArn);
      if (!match) {
        invalid(this, "certificateArn", props.certificateArn, "an ACM certificate ARN, e.g. arn:aws:acm:eu-west-1:123456789012:certificate/<id>");
      }
      if (isKnown(props.region) && match[1] !== props.region) {
        invalid(this, "certificateArn", props.certificateArn, `a certificate in the load balancer's region ${props.region}`);
      }
    }
    if (props.hostedZoneId !== undefined) checkValue(this, "hostedZoneId", props.hostedZoneId, kinds.hostedZoneId);

    checkValue(this, "healthPath", props.healthPath, kinds.healthCheckPath);
    checkValue(this, "targetPort", props.targetPort, kinds.nodePort);
    if (isKnown(v.deregistrationDelaySeconds) && !(Number.isInteger(v.deregistrationDelaySeconds) && v.deregistrationDelaySeconds >= 0 && v.deregistrationDelaySeconds <= 3600)) {
      invalid(this, "deregistrationDelaySeconds", v.deregistrationDelaySeconds, "a whole number of seconds from 0 to 3600");
    }
    if (isKnown(v.idleTimeoutSeconds) && !(Number.isInteger(v.idleTimeoutSeconds) && v.idleTimeoutSeconds >= 1 && v.idleTimeoutSeconds <= 4000)) {
      invalid(this, "idleTimeoutSeconds", v.idleTimeoutSeconds, "a whole number of seconds from 1 to 4000");
    }
    if (v.allowFrom !== "cdn" && v.allowFrom !== "internet") {
      invalid(this, "allowFrom", v.allowFrom, `"cdn" or "internet"`);
    }
    const groups = props.targetAutoscalingGroupNames ?? [];
    if (props.targetGroupArn !== undefined) {
      for (const field of ["targetAutoscalingGroupNames", "deregistrationDelaySeconds"] as const) {
        if (props[field] !== undefined) invalid(this, field, props[field], "no value with targetGroupArn: it configures the target group this construct creates only when none is given");
      }
      if (isKnown(props.targetGroupArn) && !/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/.test(props.targetGroupArn)) {
        invalid(this, "targetGroupArn", props.targetGroupArn, "a target group ARN, e.g. arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-np/0123456789abcdef");
      }
    }
    if (isKnown(groups)) {
      groups.forEach((group, i) => {
        if (isKnown(group) && !(typeof group === "string" && group.length >= 1 && group.length <= 255)) {
          invalid(this, `targetAutoscalingGroupNames[${i}]`, group, "an Auto Scaling group name of 1 to 255 characters");
        }
        if (isKnown(group) && groups.indexOf(group) !== i) {
          invalid(this, `targetAutoscalingGroupNames[${i}]`, group, `distinct groups; ${JSON.stringify(group)} is already targetAutoscalingGroupNames[${groups.indexOf(group)}]`);
        }
      });
    }
  }
}
