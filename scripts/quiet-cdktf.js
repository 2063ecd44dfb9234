// cdktf 0.21 calls `util.isArray` (in TerraformOutput), which Node 22 deprecated at run time
// (DEP0044): every synth on Node 22 or 24 would print a deprecation warning its users can do
// nothing about. `dropCdktfDeprecation()` drops that warning, and only that one, for the rest of
// the process; every other warning still prints. Used by scripts/run.js (every command and the
// cdktf app) and by the test suite's setup.
"use strict";

const CODE = "DEP0044";
let installed = false;

function dropCdktfDeprecation() {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning, ...rest) {
    // (warning, { code }) or (warning, type, code, ctor)
    const code = rest[0] !== null && typeof rest[0] === "object" ? rest[0].code : rest[1];
    if (code === CODE) return undefined;
    return emitWarning.call(this, warning, ...rest);
  };
}

module.exports = { dropCdktfDeprecation };
