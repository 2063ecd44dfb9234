#!/usr/bin/env node
// Runs a TypeScript entry point: esbuild bundles it (types stripped, not checked; `npm test`
// type-checks with tsc) into .build/ with node_modules left external, then Node runs the result.
// A type-checking runner such as ts-node costs seconds on every synth; this costs milliseconds.
//
// The bundle is reused while its inputs are unchanged: .build/<name>.inputs.json records a hash
// of every source file esbuild read (from its metafile), of the list of names in each folder
// holding one (a new `foo.ts` beside `foo/index.ts` changes what `./foo` resolves to), plus this
// script, tsconfig.json and the esbuild version. Checking costs about 1 ms; bundling costs about 55 ms, an eighth of a synth of
// the example platform. Bundles are written to a temporary file and renamed, so concurrent runs
// never read a half-written bundle.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run.js <entry.ts> [args...]");
  process.exit(2);
}
const ROOT = path.join(__dirname, "..");
const outfile = path.join(ROOT, ".build", path.basename(entry).replace(/\.ts$/, ".js"));
const inputsFile = outfile.replace(/\.js$/, ".inputs.json");

/** A hash of the files that decide the bundle besides its inputs, and of the entry's name. */
function settingsHash() {
  const hash = crypto.createHash("sha256").update(path.resolve(entry));
  for (const file of [__filename, path.join(ROOT, "tsconfig.json"), require.resolve("esbuild/package.json")]) {
    hash.update(fs.existsSync(file) ? fs.readFileSync(file) : "missing");
  }
  return hash.digest("hex");
}

function fileHash(file) {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** A hash of a folder's entry names (with a `/` after folders): what an import can resolve to. */
function listingHash(dir) {
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
  return crypto.createHash("sha256").update(names.join("\n")).digest("hex");
}

/** True when the bundle on disk was built from exactly the files that are there now. */
function upToDate(settings) {
  try {
    const recorded = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
    if (recorded.settings !== settings || !fs.existsSync(outfile)) return false;
    return (
      Object.entries(recorded.inputs).every(([file, hash]) => fileHash(path.join(ROOT, file)) === hash) &&
      Object.entries(recorded.folders).every(([dir, hash]) => listingHash(path.join(ROOT, dir)) === hash)
    );
  } catch {
    return false; // no record, or an input is gone
  }
}

function bundle(settings) {
  const esbuild = require("esbuild");
  const temporary = `${outfile}.${process.pid}.tmp`;
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    outfile: temporary,
    metafile: true,
    logLevel: "warning",
  });
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs).sort()) {
    // Inputs are relative to the working directory; record them relative to the project.
    const absolute = path.resolve(input);
    inputs[path.relative(ROOT, absolute)] = fileHash(absolute);
  }
  const folders = {};
  for (const file of Object.keys(inputs)) {
    const dir = path.dirname(file);
    folders[dir] ??= listingHash(path.join(ROOT, dir));
  }
  fs.renameSync(temporary, outfile);
  const temporaryInputs = `${inputsFile}.${process.pid}.tmp`;
  fs.writeFileSync(temporaryInputs, `${JSON.stringify({ settings, inputs, folders }, null, 1)}\n`);
  fs.renameSync(temporaryInputs, inputsFile);
}

// Without the one deprecation warning cdktf causes on Node 22+ (scripts/quiet-cdktf.js).
require("./quiet-cdktf").dropCdktfDeprecation();

const settings = settingsHash();
if (process.env.SLIPWAY_REBUNDLE === "1" || !upToDate(settings)) bundle(settings);

// Dependencies' compiled code is reused across runs too (scripts/code-cache.js).
require("./code-cache").enableCodeCache(outfile.replace(/\.js$/, ".code-cache"), ROOT);

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
