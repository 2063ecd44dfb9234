/**
 * An internet-facing Application Load Balancer in front of an EKS managed node group: HTTPS with an
 * ACM certificate, HTTP redirected to HTTPS, and a target group of the nodes' Kubernetes NodePort,
 * reachable only from CloudFront (or, opted in, the internet), with access logs in a private bucket.
 */
import { AutoscalingAttachment } from "@cdktf/provider-aws/lib/autoscaling-attachment";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn, TerraformCount, Token } from "cdktf";
import { Construct } from "constructs";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { blockAllPublicAccess, CertificateValidationRecord, denyInsecureTransport, dnsValidatedCertificate } from "./aws-common";
import { checkAccountId, checkRegion, invalid, isKnown, partitionOf, policyJson, resourceName } from "./util";

/** The part of a network a load balancer needs; `Network` satisfies it. */
export interface LoadBalancerNetwork {
  /** The VPC the subnets belong to; the load balancer's security group is created in it. */
  readonly vpcId: string;
  /** Subnets with a route to the internet gateway, in at least two availability zones. */
  readonly publicSubnetIds: string[];
}

/** Who may open connections to the load balancer. */
export type LoadBalancerAllowFrom = "cdn" | "internet";

/** The DNS record that proves control of the domain to ACM. */

/**
 * Props of {@link LoadBalancer}. `name`, `network`, `accountId`, `region`, `domain`, `healthPath` and
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
  /** The 12-digit AWS account id; scopes the log bucket's policy and names the bucket. */
  readonly accountId: string;
  /** The AWS region, e.g. `eu-west-1`; picks the ELB log-delivery account and CloudFront prefix list. */
  readonly region: string;
  /**
   * The domain name clients (or CloudFront) ask for, e.g. `app.example.com`; the certificate
   * created (when no `certificateArn`) is for this name. A leading `*.` makes it a wildcard.
   */
  readonly domain: string;
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
  /** The path the target group's health check requests, e.g. `/healthz`. Must start with `/`. */
  readonly healthPath: string;
  /** The Kubernetes NodePort (30000-32767) the app's Service listens on, on every node. */
  readonly targetPort: number;
  /**
   * Seconds a draining node keeps serving in-flight requests, 0-3600.
   * @default 30
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
   * be known at plan time, so do not pass an unresolved list from the same stack.
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
   * `"cdn"`: only CloudFront's origin-facing servers may connect, on 443 (CloudFront must reach
   * the origin over HTTPS). `"internet"`: anyone, IPv4 and IPv6, on 443 and 80 (80 redirects to 443).
   * @default "cdn"
   */
  readonly allowFrom?: LoadBalancerAllowFrom;
  /**
   * The id of the managed prefix list `com.amazonaws.global.cloudfront.origin-facing` in `region`
   * (`aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing`).
   * Ignored when `allowFrom` is `"internet"`.
   * @default the id for `region` from a built-in table (us-east-1, eu-west-1); other regions must give it
   */
  readonly cdnPrefixListId?: string;
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
}

const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 30;
const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
/** TLS 1.3 and 1.2 with forward-secret ciphers only. */
const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const NAME_PATTERN = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const NAME_MAX_LENGTH = 28;
const CERTIFICATE_ARN_PATTERN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f-]+$/;
const PREFIX_LIST_ID_PATTERN = /^pl-[0-9a-f]{8,17}$/;
const LOG_EXPIRATION_DAYS = 365;
const NONCURRENT_LOG_EXPIRATION_DAYS = 30;

/**
 * CloudFront's origin-facing managed prefix list per region: only ids checked by hand. Others:
 * `aws ec2 describe-managed-prefix-lists --region <region> --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing`.
 */
const CLOUDFRONT_PREFIX_LISTS: Readonly<Record<string, string>> = {
  "us-east-1": "pl-3b927c52",
  "eu-west-1": "pl-4fa04526",
};

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
 * An internet-facing Application Load Balancer that is locked down by default: only CloudFront may
 * connect, TLS 1.2+ only, HTTP answered with a redirect to HTTPS, invalid headers dropped, HTTP
 * desync mitigated, deletion protection on, every request logged to a private bucket. It forwards
 * to the nodes of an EKS managed node group on a Kubernetes NodePort (target type `instance`), so
 * no in-cluster load-balancer controller is needed: Terraform owns the whole path.
 */
export class LoadBalancer extends Construct {
  /** The `aws_lb` (construct id `Resource`). */
  public readonly loadBalancer: Lb;
  /** The load balancer's ARN. */
  public readonly arn: string;
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
  /** The target group of the nodes' NodePort. */
  public readonly targetGroup: LbTargetGroup;
  /** The ARN of the certificate the HTTPS listener serves: the one given, or the created one once issued. */
  public readonly certificateArn: string;
  /** The access-log bucket, when `accessLogs` is on. */
  public readonly accessLogsBucket?: S3Bucket;
  /**
   * The DNS record to create so ACM issues the certificate: set only when the construct creates
   * the certificate and no `hostedZoneId` was given. Output it for whoever manages the domain's DNS.
   */
  public readonly certificateValidation?: CertificateValidationRecord;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);

    const deregistrationDelaySeconds = props.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS;
    const idleTimeoutSeconds = props.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS;
    const targetAutoscalingGroupNames = props.targetAutoscalingGroupNames ?? [];
    const allowFrom = props.allowFrom ?? "cdn";
    const deletionProtection = props.deletionProtection ?? true;
    const accessLogs = props.accessLogs ?? true;
    this.validate(props, { deregistrationDelaySeconds, idleTimeoutSeconds, allowFrom });
    const cdnPrefixListId = allowFrom === "cdn" ? this.cdnPrefixListFor(props) : undefined;

    const { name, accountId, region, targetPort } = props;
    const { partition } = partitionOf(region);

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

    if (cdnPrefixListId !== undefined) {
      // One rule only: the CloudFront prefix list weighs 55 of a security group's default quota of
      // 60 rules, so a second rule (port 80) would exceed it. CloudFront reaches origins over HTTPS.
      new VpcSecurityGroupIngressRule(this, "IngressHttpsFromCdn", {
        securityGroupId: this.securityGroup.id,
        description: "HTTPS from CloudFront origin-facing servers",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        prefixListId: cdnPrefixListId,
        tags: { Name: `${name}-https-from-cdn` },
      });
    } else {
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

    if (props.targetSecurityGroupId !== undefined) {
      new VpcSecurityGroupEgressRule(this, "EgressToTargets", {
        securityGroupId: this.securityGroup.id,
        // Rule descriptions allow only a-zA-Z0-9. _-:/()#,@[]+=&;{}!$* (no apostrophes).
        description: "Requests and health checks to the target NodePort",
        ipProtocol: "tcp",
        fromPort: targetPort,
        toPort: targetPort,
        referencedSecurityGroupId: props.targetSecurityGroupId,
        tags: { Name: `${name}-alb-to-targets` },
      });
      new VpcSecurityGroupIngressRule(this, "TargetIngressFromLoadBalancer", {
        securityGroupId: props.targetSecurityGroupId,
        description: `Requests and health checks from load balancer ${name}`,
        ipProtocol: "tcp",
        fromPort: targetPort,
        toPort: targetPort,
        referencedSecurityGroupId: this.securityGroup.id,
        tags: { Name: `${name}-targets-from-alb` },
      });
    }

    const logs = accessLogs ? this.createAccessLogsBucket(name, accountId, region, partition) : undefined;
    this.accessLogsBucket = logs?.bucket;

    this.loadBalancer = new Lb(this, "Resource", {
      name,
      loadBalancerType: "application",
      internal: false,
      subnets: props.network.publicSubnetIds,
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

    this.targetGroup = new LbTargetGroup(this, "TargetGroup", {
      name: `${name}-tg`,
      targetType: "instance",
      protocol: "HTTP",
      port: targetPort,
      vpcId: props.network.vpcId,
      deregistrationDelay: isKnown(deregistrationDelaySeconds) ? String(deregistrationDelaySeconds) : Token.asString(deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: props.healthPath,
        matcher: "200-399",
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: { Name: `${name}-tg` },
    });

    if (isKnown(targetAutoscalingGroupNames)) {
      targetAutoscalingGroupNames.forEach(
        (groupName, i) =>
          new AutoscalingAttachment(this, `TargetAttachment${i}`, {
            autoscalingGroupName: groupName,
            lbTargetGroupArn: this.targetGroup.arn,
          }),
      );
    } else {
      // A cross-stack list: its length is known at plan time, so `count` can size it.
      const count = TerraformCount.of(Fn.lengthOf(targetAutoscalingGroupNames));
      new AutoscalingAttachment(this, "TargetAttachments", {
        count,
        autoscalingGroupName: Token.asString(Fn.element(targetAutoscalingGroupNames, count.index)),
        lbTargetGroupArn: this.targetGroup.arn,
      });
    }

    if (props.certificateArn !== undefined) {
      this.certificateArn = props.certificateArn;
    } else {
      const created = dnsValidatedCertificate(this, { domain: props.domain, hostedZoneId: props.hostedZoneId, nameTag: props.name });
      this.certificateArn = created.arn;
      this.certificateValidation = created.pendingRecord;
    }

    this.httpsListener = new LbListener(this, "HttpsListener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: SSL_POLICY,
      certificateArn: this.certificateArn,
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      tags: { Name: `${name}-https` },
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
   * A private, versioned, SSE-S3 bucket for the access logs, written only by ELB's log delivery.
   * @returns the bucket and its policy (the load balancer depends on the policy)
   */
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
    const bucket = new S3Bucket(this, "AccessLogsBucket", {
      bucket: bucketName,
      tags: { Name: bucketName },
    });
    const publicAccessBlock = blockAllPublicAccess(this, "AccessLogsPublicAccessBlock", bucket.id);
    new S3BucketOwnershipControls(this, "AccessLogsOwnership", {
      bucket: bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketVersioningA(this, "AccessLogsVersioning", {
      bucket: bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    // SSE-S3, not SSE-KMS: ALB access-log delivery supports only S3-managed keys.
    new S3BucketServerSideEncryptionConfigurationA(this, "AccessLogsEncryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    new S3BucketLifecycleConfiguration(this, "AccessLogsLifecycle", {
      bucket: bucket.id,
      rule: [
        {
          id: "expire-logs",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: LOG_EXPIRATION_DAYS }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_LOG_EXPIRATION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });

    // Literal ARNs (the name is deterministic), so the policy is plain JSON when the props are.
    const bucketArn = `arn:${partition}:s3:::${bucketName}`;
    const logsArn = `${bucketArn}/AWSLogs/${accountId}/*`;
    const elbAccount = isKnown(region) ? ELB_LOG_DELIVERY_ACCOUNTS[region] : undefined;
    const policy = new S3BucketPolicy(this, "AccessLogsPolicy", {
      bucket: bucket.id,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
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
          denyInsecureTransport(bucketArn),
        ],
      }),
      // S3 rejects a bucket policy while the public access block is being applied.
      dependsOn: [publicAccessBlock],
    });
    return { bucket, policy };
  }

  /** The CloudFront prefix list id: the prop, else the table's entry for the region. */
  private cdnPrefixListFor(props: LoadBalancerProps): string {
    if (props.cdnPrefixListId !== undefined) return props.cdnPrefixListId;
    const known = isKnown(props.region) ? CLOUDFRONT_PREFIX_LISTS[props.region] : undefined;
    if (known === undefined) {
      invalid(
        this,
        "cdnPrefixListId",
        props.cdnPrefixListId,
        `the id of the managed prefix list com.amazonaws.global.cloudfront.origin-facing in ${props.region} ` +
          `(built in only for ${Object.keys(CLOUDFRONT_PREFIX_LISTS).join(", ")}); find it with ` +
          "`aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing`",
      );
    }
    return known;
  }

  private validate(
    props: LoadBalancerProps,
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
    const subnets = props.network.publicSubnetIds;
    if (isKnown(subnets) && subnets.length < 2) {
      invalid(this, "network.publicSubnetIds", subnets, "at least two public subnets, in different availability zones (an ALB requires two)");
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
    if (v.allowFrom === "cdn" && props.cdnPrefixListId !== undefined && isKnown(props.cdnPrefixListId) && !PREFIX_LIST_ID_PATTERN.test(props.cdnPrefixListId)) {
      invalid(this, "cdnPrefixListId", props.cdnPrefixListId, "a managed prefix list id such as pl-3b927c52");
    }
    const groups = props.targetAutoscalingGroupNames ?? [];
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
