// Preloaded by the benchmark (NODE_OPTIONS=--require) into every Node process it starts: on exit,
// appends the process's peak resident set size in KiB to $SLIPWAY_RSS_FILE.
"use strict";
const fs = require("node:fs");
const file = process.env.SLIPWAY_RSS_FILE;
if (file) {
  process.on("exit", () => {
    try {
      fs.appendFileSync(file, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // the benchmark reports a missing figure; never fail the measured process
    }
  });
}
