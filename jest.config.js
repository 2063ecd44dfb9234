/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // esbuild strips types only; `tsc --noEmit` in `npm test` does the type-checking once.
  transform: { "^.+\\.ts$": "<rootDir>/scripts/jest-transform.js" },
  setupFilesAfterEnv: ["<rootDir>/__tests__/support/jest-setup.ts"],
  // The run's Terraform slots: how many commands holding the aws provider run at once across the
  // workers (__tests__/support/terraform-run.ts).
  globalSetup: "<rootDir>/__tests__/support/terraform-slots-setup.ts",
  globalTeardown: "<rootDir>/__tests__/support/terraform-slots-teardown.ts",
  // Two workers on two cores (jest's default would be one): the Terraform-heavy files overlap with
  // the rest. A worker whose heap (jest compares `heapUsed`, garbage included) has grown past the
  // limit after a file is replaced before the next one: a worker's heap only grows from file to
  // file (each file loads cdktf and the providers' bindings anew), and one started afresh costs
  // about 0.6 s of CPU. 250 MB replaces a worker after the heaviest files only (1 of 15 in the
  // Terraform-heavy files), which keeps it near 300 MiB instead of 500 beside a Terraform plan
  // (docs/CONTRIBUTING.md, "The test suite").
  maxWorkers: 2,
  workerIdleMemoryLimit: "250MB",
  testTimeout: 120000,
};
