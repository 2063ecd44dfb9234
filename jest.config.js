/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // esbuild strips types only; `tsc --noEmit` in `npm test` does the type-checking once.
  transform: { "^.+\\.ts$": "<rootDir>/scripts/jest-transform.js" },
  // Jest's runtime, except that a module is compiled once per worker, not once per test file
  // (scripts/jest-runtime.js says why): loading cdktf and the providers cost 0.35 s a file.
  runtime: "<rootDir>/scripts/jest-runtime.js",
  setupFilesAfterEnv: ["<rootDir>/__tests__/support/jest-setup.ts"],
  // The run's shared folders: the synth cache (synthAll, __tests__/support/platform.ts) and the
  // Terraform slots, how many commands holding the aws provider run at once across the workers
  // (__tests__/support/terraform-run.ts).
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.ts",
  // Two workers on two cores (jest's default would be one): the Terraform-heavy files overlap with
  // the rest. A worker that has grown past the limit is replaced between files, keeping the whole
  // run near 2 GB.
  maxWorkers: 2,
  workerIdleMemoryLimit: "700MB",
  testTimeout: 120000,
};
