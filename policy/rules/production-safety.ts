/** Production safety: Terraform must refuse any plan that would destroy or replace a production data store. */
import { preventsDestroy } from "../accessors";
import { Rule } from "../types";
import { isAccessLogBucket } from "./aws-storage";

/** What each type holds, for the message. */
const HOLDS: Record<string, string> = {
  aws_db_instance: "the database",
  aws_rds_cluster: "the database cluster",
  aws_dynamodb_table: "the table's items",
  aws_ecr_repository: "every released image",
  aws_kms_key: "the key (data it encrypted becomes unreadable once it is deleted)",
  aws_s3_bucket: "the bucket's objects",
};

export const PRODUCTION_SAFETY_RULES: Rule[] = [
  {
    id: "SLW-PROD-001",
    title: "Production data stores (databases, registries, KMS keys, data buckets) have lifecycle.prevent_destroy",
    severity: "high",
    productionOnly: true,
    resourceTypes: Object.keys(HOLDS),
    references: { other: ["Terraform lifecycle prevent_destroy"] },
    fix: "set lifecycle { prevent_destroy = true } (constructs: preventDestroy, on by default); only access-log buckets are exempt, by the tag slipway:purpose = access-logs that Slipway's access-log bucket sets, never by their name",
    check(resource) {
      if (resource.type === "aws_s3_bucket" && isAccessLogBucket(resource)) return [];
      return preventsDestroy(resource) ? [] : [`lifecycle.prevent_destroy is not set: a plan that destroys or replaces this resource loses ${HOLDS[resource.type]}`];
    },
  },
];
