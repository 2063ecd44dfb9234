#!/usr/bin/env node
// Part of `npm run build` (so of `npm pack`): the commands that work on any cdktf output, bundled
// for the library package so a team that installs it can run `npx slipway check cdktf.out` and
// `npx slipway affected --base … --head …` on its own cdktf app. Each is one esbuild bundle in
// dist/commands/ with its packages left external; the build fails if a bundle needs a package the
// installed library does not bring (a devDependency), so the command cannot break only for users.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { builtinModules } = require("node:module");
const esbuild = require("esbuild");

const ROOT = path.join(__dirname, "..");
/** The packaged commands (scripts/slipway.js runs them when the package has no cli/ folder). */
const PACKAGED_COMMANDS = { check: "cli/check.ts", affected: "cli/affected.ts" };

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const installed = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
const packageOf = (specifier) => (specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]);

fs.mkdirSync(path.join(ROOT, "dist", "commands"), { recursive: true });
for (const [name, entry] of Object.entries(PACKAGED_COMMANDS)) {
  const result = esbuild.buildSync({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    outfile: path.join(ROOT, "dist", "commands", `${name}.js`),
    metafile: true,
    logLevel: "warning",
  });
  const needs = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  const missing = [...new Set(needs.filter((s) => !s.startsWith("node:") && !builtinModules.includes(s)).map(packageOf))].filter((p) => !installed.has(p));
  if (missing.length > 0) {
    console.error(`build-commands: slipway ${name} (${entry}) needs ${missing.join(", ")}, which the installed package does not bring (not a dependency or peer): keep it out of the packaged commands, or make it a dependency`);
    process.exit(1);
  }
}
console.log(`packaged commands: ${Object.keys(PACKAGED_COMMANDS).map((c) => `slipway ${c}`).join(", ")} (dist/commands)`);
