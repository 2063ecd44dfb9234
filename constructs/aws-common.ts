/**
 * AWS building blocks several constructs share: the stack's account, region and partition (so no
 * construct asks for them), a DNS-validated ACM certificate, an S3 bucket's public access block
 * and TLS-only statement, and the policy of a customer-managed KMS key. Each creates its resources
 * under the construct ids the callers have always used, so addresses in existing state stay the same.
 */
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { TerraformProvider, TerraformStack } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { AwsPartition, isKnown, partitionOf, policyJson } from "./util";

/**
 * Construct ids of the data sources {@link stackAccountId}, {@link stackRegion} and
 * {@link stackPartition} add to a stack (once each, and only when the stack's AWS provider cannot
 * answer): `data.aws_caller_identity.<id>` and so on in the synthesized configuration.
 */
export const STACK_LOCATION_IDS = { accountId: "SlipwayCallerIdentity", region: "SlipwayRegion", partition: "SlipwayPartition" } as const;

/** The stack's default (unaliased) AWS provider, if it has one. */
function defaultAwsProvider(scope: IConstruct): AwsProvider | undefined {
  return TerraformStack.of(scope)
    .node.findAll()
    .find((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
}

/** The stack-level data source with construct id `id`, created on first use. */
function stackData<T extends Construct>(scope: IConstruct, id: string, create: (stack: TerraformStack, id: string) => T): T {
  const stack = TerraformStack.of(scope);
  return (stack.node.tryFindChild(id) as T | undefined) ?? create(stack, id);
}

/**
 * The AWS account a construct in `scope` deploys to: `given` when set, else the single account the
 * stack's AWS provider allows (`allowedAccountIds`), else the `aws_caller_identity` data source's
 * (a token, resolved at plan).
 * @param given an explicit account id, e.g. from a prop
 */
export function stackAccountId(scope: IConstruct, given?: string): string {
  if (given !== undefined) return given;
  const accounts = defaultAwsProvider(scope)?.allowedAccountIds;
  if (accounts?.length === 1 && accounts[0] !== undefined) return accounts[0];
  return stackData(scope, STACK_LOCATION_IDS.accountId, (stack, id) => new DataAwsCallerIdentity(stack, id)).accountId;
}

/**
 * The AWS region a construct in `scope` deploys to: `given` when set, else the stack's AWS
 * provider's `region`, else the `aws_region` data source's (a token, resolved at plan).
 * @param given an explicit region, e.g. from a prop
 */
export function stackRegion(scope: IConstruct, given?: string): string {
  if (given !== undefined) return given;
  const region = defaultAwsProvider(scope)?.region;
  if (region !== undefined) return region;
  return stackData(scope, STACK_LOCATION_IDS.region, (stack, id) => new DataAwsRegion(stack, id)).name;
}

/**
 * The partition and service DNS suffix of `region`: read from its name when the region is known,
 * else the `aws_partition` data source's (tokens), so ARNs are right in China and GovCloud too.
 */
export function stackPartition(scope: IConstruct, region: string): AwsPartition {
  if (isKnown(region)) return partitionOf(region);
  const data = stackData(scope, STACK_LOCATION_IDS.partition, (stack, id) => new DataAwsPartition(stack, id));
  return { partition: data.partition, dnsSuffix: data.dnsSuffix };
}

/** Props whose `accountId` and `region` are filled in (by {@link withAccountAndRegion}). */
export type WithAccountAndRegion<T> = T & { readonly accountId: string; readonly region: string };
/** Props whose `accountId` is filled in (by {@link withAccountId}). */
export type WithAccountId<T> = T & { readonly accountId: string };
/** Props whose `region` is filled in (by {@link withRegion}). */
export type WithRegion<T> = T & { readonly region: string };

/** `props` with `accountId` and `region` filled from the stack where absent ({@link stackAccountId}, {@link stackRegion}). */
export function withAccountAndRegion<T extends { readonly accountId?: string; readonly region?: string }>(
  scope: IConstruct,
  props: T,
): WithAccountAndRegion<T> {
  return { ...props, accountId: stackAccountId(scope, props.accountId), region: stackRegion(scope, props.region) };
}

/** `props` with `region` filled from the stack where absent ({@link stackRegion}). */
export function withRegion<T extends { readonly region?: string }>(scope: IConstruct, props: T): WithRegion<T> {
  return { ...props, region: stackRegion(scope, props.region) };
}

/** `props` with `accountId` filled from the stack where absent ({@link stackAccountId}). */
export function withAccountId<T extends { readonly accountId?: string }>(scope: IConstruct, props: T): WithAccountId<T> {
  return { ...props, accountId: stackAccountId(scope, props.accountId) };
}

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
