/**
 * AWS building blocks several constructs share: a DNS-validated ACM certificate, an S3 bucket's
 * public access block and TLS-only statement, and the policy of a customer-managed KMS key. Each
 * creates its resources under the construct ids the callers have always used, so addresses in
 * existing state stay the same.
 */
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { policyJson } from "./util";

/** The DNS record that proves control of a domain to ACM, for whoever runs the domain's DNS. */
export interface CertificateValidationRecord {
  /** The record's name, e.g. `_3f1c….app.example.com.` (a Terraform reference). */
  readonly name: string;
  /** The record's type (`CNAME`). */
  readonly type: string;
  /** The record's value, e.g. `_9a2b….acm-validations.aws.` (a Terraform reference). */
  readonly value: string;
}

/**
 * A DNS-validated ACM certificate for one domain (`Certificate`), its validation record when a
 * Route 53 zone is given (`CertificateValidationRecord`), and the waiter (`CertificateValidation`)
 * whose ARN callers use, so nothing attaches a certificate before it is issued. Without a zone,
 * the waiter holds the apply until whoever runs the domain's DNS adds `pendingRecord`.
 */
export function dnsValidatedCertificate(
  scope: Construct,
  props: { readonly domain: string; readonly alternativeNames?: readonly string[]; readonly hostedZoneId?: string; readonly provider?: TerraformProvider; readonly recordProvider?: TerraformProvider; readonly nameTag: string; readonly keyAlgorithm?: string },
): { arn: string; pendingRecord?: CertificateValidationRecord } {
  const certificate = new AcmCertificate(scope, "Certificate", {
    provider: props.provider,
    domainName: props.domain,
    // Only `*.<domain>` (the previews') is expected here: ACM validates it with the domain's own record.
    subjectAlternativeNames: props.alternativeNames?.length ? [...props.alternativeNames] : undefined,
    validationMethod: "DNS",
    keyAlgorithm: props.keyAlgorithm,
    tags: { Name: props.nameTag },
    // A new domain replaces the certificate: its user moves to the new one before the old, still
    // in use, is deleted.
    lifecycle: { createBeforeDestroy: true },
  });
  // One domain (and at most its own wildcard, validated by the same record), so exactly one
  // validation record: no for_each over the (unknown) options.
  const option = certificate.domainValidationOptions.get(0);
  const record: CertificateValidationRecord = { name: option.resourceRecordName, type: option.resourceRecordType, value: option.resourceRecordValue };
  let validationRecordFqdns: string[] | undefined;
  if (props.hostedZoneId !== undefined) {
    const validationRecord = new Route53Record(scope, "CertificateValidationRecord", {
      // The zone's provider: another account's zone is reached through a DNS-only role.
      provider: props.recordProvider,
      zoneId: props.hostedZoneId,
      name: record.name,
      type: record.type,
      records: [record.value],
      ttl: 60,
      // ACM gives every certificate for one name in an account the same record (the load
      // balancer's and the CDN's for one domain alike), so another may already have made it.
      allowOverwrite: true,
    });
    validationRecordFqdns = [validationRecord.fqdn];
  }
  const validation = new AcmCertificateValidation(scope, "CertificateValidation", {
    provider: props.provider,
    certificateArn: certificate.arn,
    validationRecordFqdns,
  });
  return { arn: validation.certificateArn, pendingRecord: validationRecordFqdns ? undefined : record };
}

/** All four S3 public-access switches on for a bucket. */
export function blockAllPublicAccess(scope: Construct, id: string, bucketId: string): S3BucketPublicAccessBlock {
  return new S3BucketPublicAccessBlock(scope, id, {
    bucket: bucketId,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
}

/** A bucket policy statement refusing every request to the bucket that does not use TLS. */
export function denyInsecureTransport(bucketArn: string): object {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * The policy of a customer-managed KMS key: the account's IAM policies decide who may use it
 * (services such as RDS, ECR and EKS use it through grants made with the caller's permissions),
 * and, when `logGroups` is given, CloudWatch Logs may use it for the log groups whose ARNs match.
 */
export function accountKeyPolicy(props: {
  readonly partition: string;
  readonly accountId: string;
  readonly logGroups?: { readonly region: string; readonly dnsSuffix: string; readonly arnPattern: string };
}): string {
  const { partition, accountId, logGroups } = props;
  return policyJson({
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountIam", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
      ...(logGroups
        ? [
            {
              Sid: "CloudWatchLogs",
              Effect: "Allow",
              Principal: { Service: `logs.${logGroups.region}.${logGroups.dnsSuffix}` },
              Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
              Resource: "*",
              Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroups.arnPattern } },
            },
          ]
        : []),
    ],
  });
}
