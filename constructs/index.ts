/** Slipway's public surface: every construct, its props and its typed attributes. */
export * from "./access-log-bucket";
export * from "./actions";
export * from "./app-secrets";
export type { CertificateValidationRecord } from "./aws-common";
export * from "./cdn";
export * from "./ci-runners";
export * from "./container-registry";
export * from "./database-backup";
export * from "./delivery-pipeline";
export * from "./github-actions-role";
export * from "./github-oidc-provider";
export * from "./kubernetes-cluster";
export * from "./kubernetes-workload";
export * from "./load-balancer";
export * from "./network";
export * from "./policy-suppression";
export * from "./postgres-database";
export * from "./skeleton";
export * from "./source-repository";
export * from "./workflow";
export * from "./workload-security-group";
export { SlipwayValidationError } from "./util";
/** One validator per kind of value, shared by the platform file's model and the constructs. */
export * as validators from "./validators";
