// Jest's order of test files, with the files that run memory-heavy commands spread out.
//
// Those commands (Terraform holding the aws provider, TypeDoc, the package build, the type-checks)
// take the run's one slot (__tests__/support/slots.ts), so two such files running side by side in
// the two workers serialize: one worker waits while the other's command runs, and a core idles.
// Jest's own order (the longest first when it has timings from an earlier run, the largest file
// first otherwise, as on a fresh clone in CI) tends to put them side by side. This keeps jest's
// order within each kind and places the slot-taking files at even intervals among the others, so
// that while one of them runs, the other worker mostly has other work. Its effect is measured in
// docs/CONTRIBUTING.md ("The test suite").
//
// A file counts as slot-taking when its source calls what takes a slot: the Terraform harness
// (`checkStacks`, `checkSynthesizedStacks`, `OfflineTerraform`, `runTerraform`) or `withSlot(`.
"use strict";
const fs = require("node:fs");
const TestSequencer = require("@jest/test-sequencer").default;

const TAKES_A_SLOT = /\b(checkStacks|checkSynthesizedStacks|OfflineTerraform|runTerraform|withSlot)\(|\bnew OfflineTerraform\b/;

/** Whether the test file at `file` runs commands that take a slot. */
function takesASlot(file) {
  try {
    return TAKES_A_SLOT.test(fs.readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

/**
 * `others` in their order with `slotted` (in theirs) placed at even intervals: the first at the
 * start, each next one after another `others.length / slotted.length` of the others.
 */
function spread(slotted, others) {
  if (slotted.length === 0) return others.slice();
  const order = [];
  let taken = 0;
  slotted.forEach((file, k) => {
    const until = Math.floor((k * others.length) / slotted.length);
    while (taken < until) order.push(others[taken++]);
    order.push(file);
  });
  while (taken < others.length) order.push(others[taken++]);
  return order;
}

class SlotAwareSequencer extends TestSequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    // Files that failed last time still come first, as jest puts them.
    const failed = ordered.filter((test) => this.hasFailed(test));
    const rest = ordered.filter((test) => !this.hasFailed(test));
    const slotted = rest.filter((test) => takesASlot(test.path));
    const others = rest.filter((test) => !slotted.includes(test));
    return [...failed, ...spread(slotted, others)];
  }
}

module.exports = SlotAwareSequencer;
module.exports.spread = spread;
module.exports.takesASlot = takesASlot;
