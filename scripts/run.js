#!/usr/bin/env node
// Runs a TypeScript entry point: esbuild bundles it (types stripped, not checked; `npm test`
// type-checks with tsc) into .build/ with node_modules left external, then Node runs the result.
// A type-checking runner such as ts-node costs seconds on every synth; this costs milliseconds.
"use strict";
const path = require("node:path");
const esbuild = require("esbuild");

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run.js <entry.ts> [args...]");
  process.exit(2);
}
const outfile = path.join(__dirname, "..", ".build", path.basename(entry).replace(/\.ts$/, ".js"));
esbuild.buildSync({
  entryPoints: [entry],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  packages: "external",
  outfile,
  logLevel: "warning",
});
process.argv = [process.argv[0], outfile, ...args];
// A command module exports `main(argv)` returning its exit code; an app (main.ts) just runs.
const entryModule = require(outfile);
if (typeof entryModule.main === "function") {
  Promise.resolve(entryModule.main(args)).then(
    (code) => (process.exitCode = code ?? 0),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
