/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // esbuild strips types only; `tsc --noEmit` in `npm test` does the type-checking once.
  transform: { "^.+\\.ts$": "<rootDir>/scripts/jest-transform.js" },
  testTimeout: 120000,
};
