/**
 * One model of the synthesized output (`cdktf.out`), for every reader of it: `check`, `diagram`,
 * the policy engine, `affected`, `cost` and the tests.
 *
 * - {@link loadSynthesizedOutput}: the manifest, every stack, `slipway.json`, the workflows;
 * - {@link StackModel}: one stack's resources and data sources by type and address, outputs,
 *   providers, backend, remote-state reads, references, declarations, dangling references;
 * - the one reference scanner ({@link stackReferences}, {@link referencesIn}, ...) over
 *   Terraform templates and the HCL expressions inside them (./templates.ts), read well enough
 *   to find every traversal.
 */
export * from "./output";
export * from "./references";
export * from "./stack";
export * from "./templates";
