/**
 * The app's CloudFront distribution: dynamic requests to the load balancer over HTTPS (through a
 * VPC origin when the load balancer is internal), static assets from a private S3 bucket through
 * origin access control, security headers on every response, a us-east-1 ACM certificate for the
 * app's domain and standard access logs (v2, delivered without S3 ACLs).
 */
import { CloudfrontDistribution, CloudfrontDistributionOrigin } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { CloudfrontVpcOrigin } from "@cdktf/provider-aws/lib/cloudfront-vpc-origin";
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { DataAwsSecurityGroup } from "@cdktf/provider-aws/lib/data-aws-security-group";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { accessLogBucket } from "./access-log-bucket";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { blockAllPublicAccess, CertificateValidationRecord, denyInsecureTransport, dnsValidatedCertificate, withAccountId, WithAccountId } from "./aws-common";
import { checkAccountId, invalid, isKnown, policyJson } from "./util";

/** CloudFront price classes: which edge locations serve the distribution. */
export type CdnPriceClass = "PriceClass_100" | "PriceClass_200" | "PriceClass_All";

const PRICE_CLASSES: readonly CdnPriceClass[] = ["PriceClass_100", "PriceClass_200", "PriceClass_All"];

/**
 * AWS-managed CloudFront policies. Their ids are constants published by AWS, identical in every
 * account; looking them up with data sources would need API calls at plan time.
 */
export const CLOUDFRONT_MANAGED_POLICY_IDS = {
  /** Cache policy `Managed-CachingDisabled`: nothing cached, for the dynamic app. */
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  /** Cache policy `Managed-CachingOptimized`: long TTLs, gzip and brotli, no cookies or query strings in the key. */
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  /** Origin request policy `Managed-AllViewer`: every viewer header (Host included), cookie and query string. */
  allViewer: "216adef6-5c7f-47e4-b989-5492eafa07d3",
} as const;

/** How long access logs are kept, in days. */
const ACCESS_LOG_EXPIRY_DAYS = 365;
/** HSTS max-age: one year, the minimum the browsers' preload lists accept. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;
/** Origin ids inside the distribution. */
const APP_ORIGIN_ID = "app";
const ASSETS_ORIGIN_ID = "assets";

const NAME_PATTERN = /^(?!xn--|sthree-)[a-z]([a-z0-9-]*[a-z0-9])?$/;
const NAME_MAX_LENGTH = 40;
/** A lower-case fully qualified domain name: labels of 1-63 letters, digits and '-', a TLD starting with a letter. */
const DOMAIN_PATTERN = kinds.domainName.pattern!;
/** ACM puts the first domain name in the certificate's subject CN, which holds at most 64 characters. */
const ACM_DOMAIN_MAX_LENGTH = kinds.MAX_CERTIFICATE_DOMAIN_LENGTH;
const CERTIFICATE_ARN_PATTERN = /^arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The security group CloudFront creates in a VPC with its first VPC origin there, and puts on the
 * interfaces VPC-origin traffic comes from. AWS names it; only distributions of this account that
 * use a VPC origin in that VPC send traffic from it.
 */
export const CLOUDFRONT_VPC_ORIGIN_SECURITY_GROUP = "CloudFront-VPCOrigins-Service-SG";

/** The load balancer a {@link Cdn} sends dynamic requests to; `LoadBalancer` satisfies it. */
export interface CdnLoadBalancer {
  /** The load balancer's ARN (the VPC origin's target). */
  readonly arn: string;
  /** Its DNS name (the origin's domain). */
  readonly dnsName: string;
  /** True when it has private addresses only: CloudFront then reaches it through a VPC origin. */
  readonly internal: boolean;
  /** The VPC it lives in: where CloudFront's VPC-origin security group is looked up. */
  readonly vpcId: string;
  /** Admits a security group on 443; called with CloudFront's VPC-origin security group when `internal`. */
  allowHttpsFrom(peer: { readonly securityGroupId: string }, description?: string, id?: string): unknown;
}

/** Props of {@link Cdn}. `name`, `domain`, `certificateProvider` and one of `loadBalancer` or `loadBalancerDnsName` are required. */
export interface CdnProps {
  /**
   * Prefix of resource names, e.g. `shop-prod`: 1 to 40 lower-case letters, digits and `-`,
   * starting with a letter. Names the buckets (`<name>-assets-<accountId>`,
   * `<name>-cdn-logs-<accountId>`), the origin access control and the response headers policy.
   */
  readonly name: string;
  /**
   * The 12-digit AWS account id; makes the bucket names globally unique.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The app's public domain, e.g. `app.example.com` (lower-case, no trailing dot): the
   * distribution's alias and the certificate's name. Point it at {@link Cdn.domainName} /
   * {@link Cdn.hostedZoneId} (a Route 53 alias or a CNAME).
   */
  readonly domain: string;
  /**
   * Further names the distribution answers for, e.g. `*.app.example.com` for pull-request previews:
   * aliases of the distribution and names of the certificate created (the domain's own wildcard
   * is validated by the domain's record).
   * @default none
   */
  readonly alternativeDomains?: readonly string[];
  /**
   * The app's load balancer, the origin of every request but static assets. When it is internal
   * (the `LoadBalancer` default), the construct creates a CloudFront VPC origin for it and admits
   * CloudFront's VPC-origin security group on its 443, so only distributions of this account using
   * that VPC origin reach it; otherwise it is a public custom origin. Either way CloudFront connects
   * over HTTPS only (TLS 1.2) and forwards the viewer's `Host` header, so the load balancer must
   * serve a certificate for {@link domain}.
   * @default none - `loadBalancerDnsName` must be given
   */
  readonly loadBalancer?: CdnLoadBalancer;
  /**
   * DNS name of a public origin reached over the internet (HTTPS only, `Host` forwarded), instead
   * of `loadBalancer`. Nothing then stops other distributions from reaching that origin.
   * @default none - `loadBalancer` must be given
   */
  readonly loadBalancerDnsName?: string;
  /**
   * The AWS provider for us-east-1 (an aliased `AwsProvider` with `region: "us-east-1"`):
   * CloudFront takes certificates only from there, and its access-log delivery lives there. Used
   * for the ACM certificate and its validation and for the log delivery, nothing else.
   */
  readonly certificateProvider: TerraformProvider;
  /**
   * An existing ACM certificate in us-east-1 covering {@link domain}.
   * @default a DNS-validated ACM certificate for `domain` is created in us-east-1
   */
  readonly certificateArn?: string;
  /**
   * The Route 53 hosted zone of {@link domain}, e.g. `Z0123456789ABCDEFGHIJ`: the certificate's
   * validation record is created in it. Only with a certificate this construct creates.
   * @default no record is created: put {@link Cdn.certificateValidation} in DNS yourself; the
   * first apply waits (up to 75 minutes) for the certificate to be issued before creating the
   * distribution
   */
  readonly hostedZoneId?: string;
  /**
   * The AWS provider that writes the validation record in `hostedZoneId`, e.g. an alias that
   * assumes a DNS-only role in the zone's account.
   * @default the stack's default AWS provider
   */
  readonly dnsProvider?: TerraformProvider;
  /**
   * Requests whose path matches this CloudFront path pattern are served from the assets bucket;
   * everything else goes to the load balancer. Starts with `/`, e.g. `/assets/*`.
   * @default "/static/*"
   */
  readonly staticPathPattern?: string;
  /**
   * Which edge locations serve the app: `PriceClass_100` (North America, Europe, Israel),
   * `PriceClass_200` (adds most of Asia, the Middle East and Africa) or `PriceClass_All`.
   * @default "PriceClass_100"
   */
  readonly priceClass?: CdnPriceClass;
  /**
   * ARN of an AWS WAFv2 web ACL to attach: scope `CLOUDFRONT`, so in us-east-1, e.g.
   * `arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop/<uuid>`.
   * @default no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Terraform `lifecycle.prevent_destroy` on the static-assets bucket, which holds data the
   * pipeline uploaded. `false` for throwaway environments.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * CloudFront standard access logs (v2: a CloudWatch Logs delivery in us-east-1, JSON), to a
   * dedicated private bucket with ACLs disabled where they expire after a year. `false` turns them off.
   * @default true
   */
  readonly accessLogs?: boolean;
}

/**
 * A CloudFront distribution for the app's domain. The default behaviour passes every request to
 * the load balancer uncached (HTTPS only, viewer headers forwarded); `staticPathPattern` is cached
 * from a versioned, encrypted S3 bucket that only this distribution can read (origin access
 * control). Viewers are redirected to HTTPS, TLS 1.2 (2021 ciphers) at least; responses carry
 * HSTS and the usual security headers.
 */
export class Cdn extends Construct {
  /** The distribution (construct id `Resource`). */
  public readonly distribution: CloudfrontDistribution;
  /** The distribution id, e.g. for cache invalidations. */
  public readonly distributionId: string;
  /** The distribution ARN. */
  public readonly arn: string;
  /** The distribution's own domain, `d1234abcd.cloudfront.net`: the target of {@link CdnProps.domain}'s DNS record. */
  public readonly domainName: string;
  /** The Route 53 hosted zone id of CloudFront (for alias records to {@link domainName}). */
  public readonly hostedZoneId: string;
  /** The static-assets bucket; deploy assets under the prefix {@link CdnProps.staticPathPattern} names. */
  public readonly assetsBucket: S3Bucket;
  /** Name of {@link assetsBucket}. */
  public readonly assetsBucketName: string;
  /** ARN of the viewer certificate: given, or created (and, once validated, issued). */
  public readonly certificateArn: string;
  /** The access-log bucket, unless `accessLogs` is false. */
  public readonly logsBucket?: S3Bucket;
  /** The log delivery (standard logging v2) to {@link logsBucket}, unless `accessLogs` is false. */
  public readonly logDelivery?: CloudwatchLogDelivery;
  /** The VPC origin, when the load balancer is internal. */
  public readonly vpcOrigin?: CloudfrontVpcOrigin;
  /**
   * Id of CloudFront's VPC-origin security group in the load balancer's VPC (looked up once the
   * VPC origin exists), when the load balancer is internal.
   */
  public readonly vpcOriginSecurityGroupId?: string;
  /**
   * The DNS record to create for the certificate's validation, when this construct creates the
   * certificate and no `hostedZoneId` is given (e.g. for a stack output).
   */
  public readonly certificateValidation?: CertificateValidationRecord;

  constructor(scope: Construct, id: string, given: CdnProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountId(this, given);

    const staticPathPattern = props.staticPathPattern ?? "/static/*";
    const priceClass = props.priceClass ?? "PriceClass_100";
    const accessLogs = props.accessLogs ?? true;
    this.validate(props, staticPathPattern, priceClass);

    const { name, accountId, domain } = props;
    const tags = (suffix?: string) => ({ Name: suffix ? `${name}-${suffix}` : name });

    // --- Viewer certificate (us-east-1) ------------------------------------------------------
    if (props.certificateArn !== undefined) {
      this.certificateArn = props.certificateArn;
    } else {
      // In us-east-1 (the provider alias), where CloudFront looks for certificates.
      const created = dnsValidatedCertificate(this, {
        domain,
        alternativeNames: props.alternativeDomains,
        hostedZoneId: props.hostedZoneId,
        provider: props.certificateProvider,
        recordProvider: props.dnsProvider,
        nameTag: domain,
        keyAlgorithm: "RSA_2048",
      });
      this.certificateArn = created.arn;
      this.certificateValidation = created.pendingRecord;
    }

    // --- Static assets bucket ----------------------------------------------------------------
    this.assetsBucket = new S3Bucket(this, "AssetsBucket", {
      bucket: `${name}-assets-${accountId}`,
      tags: tags("assets"),
      ...((props.preventDestroy ?? true) ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.assetsBucketName = this.assetsBucket.bucket;
    new S3BucketVersioningA(this, "AssetsBucketVersioning", {
      bucket: this.assetsBucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    // SSE-S3: CloudFront's origin access control reads it without further grants. SSE-KMS would need
    // the key policy to let cloudfront.amazonaws.com decrypt for this distribution.
    new S3BucketServerSideEncryptionConfigurationA(this, "AssetsBucketEncryption", {
      bucket: this.assetsBucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const assetsPublicAccessBlock = blockAllPublicAccess(this, "AssetsBucketPublicAccessBlock", this.assetsBucket.id);
    // ACLs disabled: the bucket policy alone decides access.
    new S3BucketOwnershipControls(this, "AssetsBucketOwnership", {
      bucket: this.assetsBucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });

    const originAccessControl = new CloudfrontOriginAccessControl(this, "OriginAccessControl", {
      name: `${name}-assets`,
      description: `CloudFront reads ${name}'s static assets bucket`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });

    // --- Load balancer origin ----------------------------------------------------------------
    const loadBalancer = props.loadBalancer;
    let appOrigin: Omit<CloudfrontDistributionOrigin, "originId">;
    if (loadBalancer?.internal) {
      this.vpcOrigin = new CloudfrontVpcOrigin(this, "VpcOrigin", {
        vpcOriginEndpointConfig: [
          {
            name: `${name}-alb`,
            arn: loadBalancer.arn,
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: "https-only",
            originSslProtocols: [{ items: ["TLSv1.2"], quantity: 1 }],
          },
        ],
        tags: tags("alb"),
      });
      // CloudFront creates this group with the VPC origin; read after it (depends_on defers the
      // read to apply whenever the VPC origin changes), so no id is hard-coded per region.
      const originGroup = new DataAwsSecurityGroup(this, "VpcOriginSecurityGroup", {
        filter: [
          { name: "vpc-id", values: [loadBalancer.vpcId] },
          { name: "group-name", values: [CLOUDFRONT_VPC_ORIGIN_SECURITY_GROUP] },
        ],
        dependsOn: [this.vpcOrigin],
      });
      this.vpcOriginSecurityGroupId = originGroup.id;
      loadBalancer.allowHttpsFrom(
        { securityGroupId: originGroup.id },
        "HTTPS from CloudFront VPC origins of this account only",
        "IngressHttpsFromVpcOrigin",
      );
      appOrigin = { domainName: loadBalancer.dnsName, vpcOriginConfig: { vpcOriginId: this.vpcOrigin.id } };
    } else {
      appOrigin = {
        domainName: loadBalancer?.dnsName ?? props.loadBalancerDnsName!,
        customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
      };
    }

    const responseHeadersPolicy = new CloudfrontResponseHeadersPolicy(this, "ResponseHeadersPolicy", {
      name: `${name}-security-headers`,
      comment: `Security headers of ${name}`,
      securityHeadersConfig: {
        // includeSubDomains covers the subdomains of `domain` only; preload takes effect only when
        // the domain is submitted to the browsers' preload list.
        strictTransportSecurity: {
          accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS,
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
    });

    // --- Distribution ------------------------------------------------------------------------
    this.distribution = new CloudfrontDistribution(this, "Resource", {
      enabled: true,
      comment: name,
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      aliases: [domain, ...(props.alternativeDomains ?? [])],
      priceClass,
      webAclId: props.webAclArn,
      viewerCertificate: {
        acmCertificateArn: this.certificateArn,
        sslSupportMethod: "sni-only",
        minimumProtocolVersion: "TLSv1.2_2021",
      },
      origin: [
        { originId: APP_ORIGIN_ID, ...appOrigin },
        {
          originId: ASSETS_ORIGIN_ID,
          domainName: this.assetsBucket.bucketRegionalDomainName,
          originAccessControlId: originAccessControl.id,
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: APP_ORIGIN_ID,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: CLOUDFRONT_MANAGED_POLICY_IDS.cachingDisabled,
        // The viewer's Host header reaches the load balancer, whose certificate is for `domain`
        // (CloudFront checks the origin certificate against the forwarded Host).
        originRequestPolicyId: CLOUDFRONT_MANAGED_POLICY_IDS.allViewer,
        responseHeadersPolicyId: responseHeadersPolicy.id,
        compress: true,
      },
      orderedCacheBehavior: [
        {
          pathPattern: staticPathPattern,
          targetOriginId: ASSETS_ORIGIN_ID,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD", "OPTIONS"],
          cachedMethods: ["GET", "HEAD"],
          cachePolicyId: CLOUDFRONT_MANAGED_POLICY_IDS.cachingOptimized,
          // No origin request policy: S3 must see its own Host, not the viewer's.
          responseHeadersPolicyId: responseHeadersPolicy.id,
          compress: true,
        },
      ],
      restrictions: { geoRestriction: { restrictionType: "none", locations: [] } },
      // No logging_config: legacy standard logging writes through bucket ACLs. Logs go through
      // the v2 delivery below.
      tags: tags(),
    });
    this.distributionId = this.distribution.id;
    this.arn = this.distribution.arn;
    this.domainName = this.distribution.domainName;
    this.hostedZoneId = this.distribution.hostedZoneId;

    // --- Access logs (standard logging v2) ---------------------------------------------------
    if (accessLogs) {
      const delivery = this.createLogDelivery(name, accountId, props.certificateProvider);
      this.logsBucket = delivery.bucket;
      this.logDelivery = delivery.delivery;
    }

    new S3BucketPolicy(this, "AssetsBucketPolicy", {
      bucket: this.assetsBucket.id,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CloudFrontReadsAssets",
            Effect: "Allow",
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "s3:GetObject",
            Resource: `${this.assetsBucket.arn}/*`,
            // This distribution only: another account's distribution cannot read through OAC.
            Condition: { StringEquals: { "AWS:SourceArn": this.distribution.arn } },
          },
          denyInsecureTransport(this.assetsBucket.arn),
        ],
      }),
      // S3 aborts concurrent configuration changes to one bucket (OperationAborted): block public
      // access first, then attach the policy.
      dependsOn: [assetsPublicAccessBlock],
    });
  }

  /**
   * CloudFront standard logging v2: a delivery source for the distribution, a delivery destination
   * for the bucket and the delivery between them, all in us-east-1 (where CloudFront's delivery
   * sources live). CloudWatch Logs' delivery service writes with the bucket policy alone, so the
   * bucket keeps ACLs disabled; only this distribution's delivery source may write.
   */
  private createLogDelivery(name: string, accountId: string, usEast1: TerraformProvider): { bucket: S3Bucket; delivery: CloudwatchLogDelivery } {
    const bucketName = `${name}-cdn-logs-${accountId}`;
    const sourceName = `${name}-cdn-access`;
    const { bucket, policy } = accessLogBucket(this, "Logs", {
      bucketName,
      nameTag: `${name}-cdn-logs`,
      partition: "aws",
      expirationDays: ACCESS_LOG_EXPIRY_DAYS,
      writerStatements: [
        {
          Sid: "CloudFrontLogDelivery",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: "s3:PutObject",
          // Where v2 delivery puts CloudFront's logs by default.
          Resource: `arn:aws:s3:::${bucketName}/AWSLogs/${accountId}/CloudFront/*`,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId, "s3:x-amz-acl": "bucket-owner-full-control" },
            ArnLike: { "aws:SourceArn": `arn:aws:logs:us-east-1:${accountId}:delivery-source:${sourceName}` },
          },
        },
      ],
    });
    const source = new CloudwatchLogDeliverySource(this, "LogDeliverySource", {
      provider: usEast1,
      name: sourceName,
      logType: "ACCESS_LOGS",
      resourceArn: this.distribution.arn,
      tags: { Name: sourceName },
    });
    const destination = new CloudwatchLogDeliveryDestination(this, "LogDeliveryDestination", {
      provider: usEast1,
      name: `${name}-cdn-logs`,
      outputFormat: "json",
      deliveryDestinationConfiguration: [{ destinationResourceArn: bucket.arn }],
      tags: { Name: `${name}-cdn-logs` },
      // The delivery service checks it may write when the delivery is created.
      dependsOn: [policy],
    });
    const delivery = new CloudwatchLogDelivery(this, "LogDelivery", {
      provider: usEast1,
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.arn,
      tags: { Name: sourceName },
    });
    return { bucket, delivery };
  }

  private validate(props: WithAccountId<CdnProps>, staticPathPattern: string, priceClass: string): void {
    const { name, domain } = props;
    if (isKnown(name) && !(typeof name === "string" && NAME_PATTERN.test(name) && name.length <= NAME_MAX_LENGTH)) {
      invalid(
        this,
        "name",
        name,
        `1 to ${NAME_MAX_LENGTH} lower-case letters, digits and '-', starting with a letter and not ending with '-' (it prefixes S3 bucket names, so not 'xn--' or 'sthree-' either)`,
      );
    }
    checkAccountId(this, "accountId", props.accountId);
    checkValue(this, "domain", domain, kinds.domainName);
    if (props.certificateArn === undefined && isKnown(domain) && domain.length > ACM_DOMAIN_MAX_LENGTH) {
      invalid(
        this,
        "domain",
        domain,
        `at most ${ACM_DOMAIN_MAX_LENGTH} characters for a certificate ACM creates (its first name is the subject CN); pass certificateArn for a longer domain`,
      );
    }
    if ((props.loadBalancer === undefined) === (props.loadBalancerDnsName === undefined)) {
      invalid(this, "loadBalancer", props.loadBalancerDnsName, "exactly one of loadBalancer (a LoadBalancer; internal ones are reached through a VPC origin) or loadBalancerDnsName");
    }
    if (props.loadBalancerDnsName !== undefined && isKnown(props.loadBalancerDnsName) && !(typeof props.loadBalancerDnsName === "string" && DOMAIN_PATTERN.test(props.loadBalancerDnsName.toLowerCase()))) {
      invalid(this, "loadBalancerDnsName", props.loadBalancerDnsName, "the load balancer's DNS name, e.g. shop-123456789.eu-west-1.elb.amazonaws.com");
    }

    // Duck-typed (no instanceof), so a provider from another copy of the packages still passes.
    const provider: Partial<AwsProvider> | undefined = props.certificateProvider;
    if (provider?.terraformResourceType !== "aws") {
      invalid(this, "certificateProvider", provider?.node?.path, "an AWS provider (hashicorp/aws) for us-east-1");
    }
    const region = provider.region;
    if (region !== undefined && isKnown(region) && region !== "us-east-1") {
      invalid(this, "certificateProvider", `${provider.node?.path} (region ${region})`, "an AWS provider for us-east-1: CloudFront takes certificates only from there");
    }

    if (props.certificateArn !== undefined && isKnown(props.certificateArn) && !CERTIFICATE_ARN_PATTERN.test(props.certificateArn)) {
      invalid(this, "certificateArn", props.certificateArn, "an ACM certificate ARN in us-east-1, e.g. arn:aws:acm:us-east-1:123456789012:certificate/<uuid>");
    }
    if (props.hostedZoneId !== undefined) {
      if (props.certificateArn !== undefined) {
        invalid(this, "hostedZoneId", props.hostedZoneId, "no hostedZoneId with certificateArn: the zone only receives the validation record of a certificate this construct creates");
      }
      checkValue(this, "hostedZoneId", props.hostedZoneId, kinds.hostedZoneId);
    }

    checkValue(this, "staticPathPattern", staticPathPattern, kinds.cloudFrontPathPattern);
    if (isKnown(priceClass) && !PRICE_CLASSES.includes(priceClass as CdnPriceClass)) {
      invalid(this, "priceClass", priceClass, `one of ${PRICE_CLASSES.join(", ")}`);
    }
    if (props.webAclArn !== undefined) checkValue(this, "webAclArn", props.webAclArn, kinds.cloudFrontWebAclArn);
  }
}
