/** Slipway's public surface: every construct, its props and its typed attributes. */
export * from "./access-log-bucket";
export * from "./actions";
export * from "./alarm-topic";
export * from "./app-secrets";
export type { CertificateValidationRecord } from "./aws-common";
/** Account, region and partition as Slipway's constructs default them, for constructs of your own. */
export { stackAccountId, stackPartition, stackRegion } from "./aws-common";
export * from "./cdn";
export * from "./ci-runners";
export * from "./cluster-autoscaler";
export * from "./cluster-autoscaler-role";
export * from "./container-insights";
export * from "./container-registry";
export * from "./database-backup";
export * from "./database-roles";
export * from "./database-setup";
export * from "./delivery-pipeline";
export * from "./drain-timing";
export * from "./github-actions-role";
export * from "./github-oidc-provider";
export * from "./kubernetes-cluster";
export * from "./kubernetes-workload";
export * from "./load-balancer";
export * from "./monitoring";
export * from "./network";
export * from "./node-target-group";
export * from "./plan-read-access";
export * from "./pod-identity-role";
export * from "./policy-suppression";
export * from "./postgres-database";
export * from "./skeleton";
export * from "./source-repository";
export * from "./workflow";
export * from "./workload-security-group";
export { SlipwayValidationError } from "./util";
export type { AwsPartition } from "./util";
/** One validator per kind of value, shared by the platform file's model and the constructs. */
export * as validators from "./validators";
