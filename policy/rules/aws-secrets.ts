/** Secrets Manager: app secrets whose values never pass through Terraform. */
import { isReference, show } from "../accessors";
import { Rule } from "../types";

export const SECRETS_RULES: Rule[] = [
  {
    id: "SLW-SM-001",
    title: "Secrets Manager secrets are encrypted with a customer-managed KMS key",
    severity: "medium",
    resourceTypes: ["aws_secretsmanager_secret"],
    relatedTypes: ["aws_kms_key"],
    references: { checkov: ["CKV_AWS_149"], trivy: ["AVD-AWS-0098"] },
    fix: "set kms_key_id to a rotating customer-managed key (aws_kms_key), not the account's aws/secretsmanager key",
    check(secret, stack) {
      const keyId = secret.config.kms_key_id;
      if (keyId === undefined || keyId === "") return ["no kms_key_id: the secret is encrypted with the AWS-managed aws/secretsmanager key, whose policy no one controls"];
      if (typeof keyId === "string" && /alias\/aws\//.test(keyId)) return [`kms_key_id is ${show(keyId)}, an AWS-managed key`];
      if (isReference(keyId) && stack.resolve(keyId) === undefined && !/\baws_kms_key\./.test(keyId)) return [`kms_key_id ${show(keyId)} is not a customer-managed aws_kms_key`];
      return [];
    },
  },
  {
    id: "SLW-SM-002",
    title: "No secret value in Terraform: no aws_secretsmanager_secret_version resource",
    severity: "high",
    resourceTypes: ["aws_secretsmanager_secret_version"],
    references: {},
    fix: "create the secret without a value and set it out of band (npm run secret -- set <app> <env> <NAME>, or aws secretsmanager put-secret-value): a version's value is kept in plain text in Terraform's state and shown in plans",
    check() {
      return ["the secret's value would be stored in Terraform's state and plan files"];
    },
  },
];
