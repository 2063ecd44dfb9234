/** Slipway's public surface: every construct and its props. */
export * from "./github-oidc-provider";
export * from "./kubernetes-cluster";
export * from "./network";
export { SlipwayValidationError } from "./util";
