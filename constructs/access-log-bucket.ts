/**
 * The one kind of bucket that receives access logs (the load balancer's and the CDN's): private,
 * versioned, SSE-S3, ACLs disabled, TLS only, expiring, and tagged as an access-log bucket. That
 * tag is set here and nowhere else; it is what exempts the bucket from the production
 * `prevent_destroy` rule (SLW-PROD-001), never its name.
 */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { blockAllPublicAccess, denyInsecureTransport } from "./aws-common";
import { policyJson } from "./util";

/**
 * The tag every access-log bucket carries, set only by {@link accessLogBucket}. Policy rule
 * SLW-PROD-001 exempts exactly the buckets carrying it from production `prevent_destroy` (logs
 * expire anyway); a bucket's name never exempts it.
 */
export const ACCESS_LOG_BUCKET_TAG = { key: "slipway:purpose", value: "access-logs" } as const;

/** Props of {@link accessLogBucket}. */
export interface AccessLogBucketProps {
  /** The bucket's globally unique name, e.g. `shop-prod-cdn-logs-123456789012`. */
  readonly bucketName: string;
  /** The `Name` tag. */
  readonly nameTag: string;
  /** The ARN partition of the bucket's region, e.g. `aws`. */
  readonly partition: string;
  /**
   * Statements that let the log-delivery service write (e.g. `s3:PutObject` for
   * `delivery.logs.amazonaws.com`); the statement refusing plain HTTP is added.
   */
  readonly writerStatements: object[];
  /**
   * Days until a log object expires (old versions 30 days after they are replaced).
   * @default 365
   */
  readonly expirationDays?: number;
}

/** What {@link accessLogBucket} created. */
export interface AccessLogBucketResources {
  /** The bucket. */
  readonly bucket: S3Bucket;
  /** Its policy: whatever makes the service check its write access must wait for it. */
  readonly policy: S3BucketPolicy;
}

/**
 * The one kind of bucket that receives access logs: all public access blocked, ACLs disabled
 * (object ownership `BucketOwnerEnforced`: every object belongs to the bucket owner and log
 * delivery writes through the bucket policy alone), versioned, SSE-S3 (what ALB and CloudFront log
 * delivery support), expiring, requests without TLS refused, and tagged {@link ACCESS_LOG_BUCKET_TAG}.
 * Its resources are created in `scope` under `<idPrefix>Bucket`, `<idPrefix>Policy`, ... ids.
 */
export function accessLogBucket(scope: Construct, idPrefix: string, props: AccessLogBucketProps): AccessLogBucketResources {
  const id = (suffix: string) => `${idPrefix}${suffix}`;
  const expirationDays = props.expirationDays ?? 365;

  const bucket = new S3Bucket(scope, id("Bucket"), {
    bucket: props.bucketName,
    tags: { Name: props.nameTag, [ACCESS_LOG_BUCKET_TAG.key]: ACCESS_LOG_BUCKET_TAG.value },
  });
  const publicAccessBlock = blockAllPublicAccess(scope, id("PublicAccessBlock"), bucket.id);
  new S3BucketOwnershipControls(scope, id("Ownership"), {
    bucket: bucket.id,
    rule: { objectOwnership: "BucketOwnerEnforced" },
  });
  // Versioned, so a log deleted or overwritten by mistake (or on purpose) can be recovered; the
  // lifecycle rule expires old versions too.
  new S3BucketVersioningA(scope, id("Versioning"), {
    bucket: bucket.id,
    versioningConfiguration: { status: "Enabled" },
  });
  // SSE-S3, not SSE-KMS: ALB access-log delivery supports only S3-managed keys.
  new S3BucketServerSideEncryptionConfigurationA(scope, id("Encryption"), {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new S3BucketLifecycleConfiguration(scope, id("Lifecycle"), {
    bucket: bucket.id,
    rule: [
      {
        id: "expire-logs",
        status: "Enabled",
        filter: [{ prefix: "" }],
        expiration: [{ days: expirationDays }],
        noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
    ],
  });
  // A literal ARN (the name is deterministic), so the policy is plain JSON when the props are.
  const bucketArn = `arn:${props.partition}:s3:::${props.bucketName}`;
  const policy = new S3BucketPolicy(scope, id("Policy"), {
    bucket: bucket.id,
    policy: policyJson({ Version: "2012-10-17", Statement: [...props.writerStatements, denyInsecureTransport(bucketArn)] }),
    // S3 rejects a bucket policy while the public access block is being applied.
    dependsOn: [publicAccessBlock],
  });
  return { bucket, policy };
}
