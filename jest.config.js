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
  // slots, how many memory-heavy commands (Terraform holding the aws provider, TypeDoc, the
  // TypeScript builds) run at once across the workers (__tests__/support/slots.ts).
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  // Jest's order, with the files that take a slot spread among the others, so the two workers
  // seldom wait for the slot at the same time (scripts/jest-sequencer.js).
  testSequencer: "<rootDir>/scripts/jest-sequencer.js",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.ts",
  // Two workers on two cores (jest's default would be one): the Terraform-heavy files overlap with
  // the rest. A worker whose heap has grown past the limit is replaced between files. With one slot
  // for the memory-heavy commands, 250 MB took the whole run's peak from 1,836 MiB (700 MB) to
  // 1,406, under the 1.5 GB budget, for the same CPU and wall time (docs/CONTRIBUTING.md, "The
  // test suite").
  maxWorkers: 2,
  workerIdleMemoryLimit: "250MB",
  testTimeout: 120000,
};
