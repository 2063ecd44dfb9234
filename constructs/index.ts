/** Slipway's public surface: every construct, its props and its typed attributes. */
export type { CertificateValidationRecord } from "./aws-common";
export * from "./cdn";
export * from "./container-registry";
export * from "./delivery-pipeline";
export * from "./github-actions-role";
export * from "./github-oidc-provider";
export * from "./kubernetes-cluster";
export * from "./kubernetes-workload";
export * from "./load-balancer";
export * from "./network";
export * from "./policy-suppression";
export * from "./postgres-database";
export * from "./source-repository";
export * from "./workflow";
export { SlipwayValidationError } from "./util";
/** One validator per kind of value, shared by the platform file's model and the constructs. */
export * as validators from "./validators";
