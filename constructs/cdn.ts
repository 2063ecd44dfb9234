/**
 * The app's CloudFront distribution: dynamic requests to the load balancer over HTTPS, static
 * assets from a private S3 bucket through origin access control, security headers on every
 * response, a us-east-1 ACM certificate for the app's domain and standard access logs.
 */
import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketAcl } from "@cdktf/provider-aws/lib/s3-bucket-acl";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { ITerraformDependable, TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { blockAllPublicAccess, CertificateValidationRecord, denyInsecureTransport, dnsValidatedCertificate } from "./aws-common";
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

/** A DNS record that proves control of a domain to ACM. */

/** Props of {@link Cdn}. `name`, `accountId`, `domain`, `loadBalancerDnsName` and `certificateProvider` are required. */
export interface CdnProps {
  /**
   * Prefix of resource names, e.g. `shop-prod`: 1 to 40 lower-case letters, digits and `-`,
   * starting with a letter. Names the buckets (`<name>-assets-<accountId>`,
   * `<name>-cdn-logs-<accountId>`), the origin access control and the response headers policy.
   */
  readonly name: string;
  /** The 12-digit AWS account id; makes the bucket names globally unique. */
  readonly accountId: string;
  /**
   * The app's public domain, e.g. `app.example.com` (lower-case, no trailing dot): the
   * distribution's alias and the certificate's name. Point it at {@link Cdn.domainName} /
   * {@link Cdn.hostedZoneId} (a Route 53 alias or a CNAME).
   */
  readonly domain: string;
  /**
   * DNS name of the app's load balancer, the origin of every request but static assets.
   * CloudFront connects to it over HTTPS only (TLS 1.2) and forwards the viewer's `Host` header,
   * so the load balancer must serve a certificate for {@link domain}.
   */
  readonly loadBalancerDnsName: string;
  /**
   * The AWS provider for us-east-1 (an aliased `AwsProvider` with `region: "us-east-1"`):
   * CloudFront takes certificates only from there. Used for the ACM certificate and its
   * validation, nothing else.
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
   * CloudFront standard access logs, to a dedicated private bucket where they expire after a year.
   * `false` turns them off.
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
  /**
   * The DNS record to create for the certificate's validation, when this construct creates the
   * certificate and no `hostedZoneId` is given (e.g. for a stack output).
   */
  public readonly certificateValidation?: CertificateValidationRecord;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);

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
        hostedZoneId: props.hostedZoneId,
        provider: props.certificateProvider,
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

    // --- Access logs -------------------------------------------------------------------------
    let logDelivery: ITerraformDependable[] = [];
    if (accessLogs) {
      const { bucket, acl } = this.createLogsBucket(name, accountId);
      this.logsBucket = bucket;
      logDelivery = [acl];
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
      aliases: [domain],
      priceClass,
      webAclId: props.webAclArn,
      viewerCertificate: {
        acmCertificateArn: this.certificateArn,
        sslSupportMethod: "sni-only",
        minimumProtocolVersion: "TLSv1.2_2021",
      },
      origin: [
        {
          originId: APP_ORIGIN_ID,
          domainName: props.loadBalancerDnsName,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: "https-only",
            originSslProtocols: ["TLSv1.2"],
          },
        },
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
      loggingConfig: this.logsBucket
        ? { bucket: this.logsBucket.bucketRegionalDomainName, includeCookies: false, prefix: "cloudfront/" }
        : undefined,
      tags: tags(),
      // CloudFront adds its log-delivery grant to the log bucket's ACL when logging is turned on:
      // the ACL must be set first, or a later PutBucketAcl would remove the grant.
      dependsOn: logDelivery.length > 0 ? logDelivery : undefined,
    });
    this.distributionId = this.distribution.id;
    this.arn = this.distribution.arn;
    this.domainName = this.distribution.domainName;
    this.hostedZoneId = this.distribution.hostedZoneId;

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
   * The bucket CloudFront standard logging writes to. Standard logging needs ACLs: CloudFront
   * grants its log-delivery account FULL_CONTROL in the bucket ACL when the distribution turns
   * logging on, which works because the caller (the bucket owner) holds FULL_CONTROL of a
   * `private` ACL. BucketOwnerPreferred keeps ACLs enabled while making the owner own new objects.
   */
  private createLogsBucket(name: string, accountId: string): { bucket: S3Bucket; acl: S3BucketAcl } {
    const bucket = new S3Bucket(this, "LogsBucket", {
      bucket: `${name}-cdn-logs-${accountId}`,
      tags: { Name: `${name}-cdn-logs` },
    });
    // Versioned, so a log deleted or overwritten by mistake (or on purpose) can be recovered; the
    // lifecycle rule below expires old versions too.
    new S3BucketVersioningA(this, "LogsBucketVersioning", {
      bucket: bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    // SSE-S3: CloudFront standard logging cannot write to SSE-KMS buckets without key grants.
    new S3BucketServerSideEncryptionConfigurationA(this, "LogsBucketEncryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const publicAccessBlock = blockAllPublicAccess(this, "LogsBucketPublicAccessBlock", bucket.id);
    const ownership = new S3BucketOwnershipControls(this, "LogsBucketOwnership", {
      bucket: bucket.id,
      rule: { objectOwnership: "BucketOwnerPreferred" },
    });
    const acl = new S3BucketAcl(this, "LogsBucketAcl", {
      bucket: bucket.id,
      acl: "private",
      // ACLs can be set only once ownership controls allow them.
      dependsOn: [ownership],
    });
    new S3BucketLifecycleConfiguration(this, "LogsBucketLifecycle", {
      bucket: bucket.id,
      rule: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: ACCESS_LOG_EXPIRY_DAYS }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketPolicy(this, "LogsBucketPolicy", {
      bucket: bucket.id,
      policy: policyJson({ Version: "2012-10-17", Statement: [denyInsecureTransport(bucket.arn)] }),
      dependsOn: [publicAccessBlock],
    });
    return { bucket, acl };
  }


  private validate(props: CdnProps, staticPathPattern: string, priceClass: string): void {
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
    if (isKnown(props.loadBalancerDnsName) && !(typeof props.loadBalancerDnsName === "string" && DOMAIN_PATTERN.test(props.loadBalancerDnsName.toLowerCase()))) {
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
