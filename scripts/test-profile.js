#!/usr/bin/env node
// Where a test run's time went, from the profile a run writes with SLIPWAY_TEST_PROFILE
// (__tests__/support/profile.ts says what each line holds):
//
//   SLIPWAY_TEST_PROFILE=/tmp/profile.jsonl npx jest
//   node scripts/test-profile.js [--top N] [--json] /tmp/profile.jsonl
//
// Prints the run's CPU (each test file's worker and children), the files that used most, and the
// memory-heavy commands that held one of the run's slots (Terraform with the aws provider, TypeDoc,
// the package build; __tests__/support/slots.ts): how many, how long they held it and waited for
// it. With one slot (the default) they run one at a time across the whole run, so their summed
// wall time is a floor under the run's wall time however the rest is spread.
"use strict";
const fs = require("node:fs");

function parseArgs(argv) {
  const options = { top: 15, json: false, file: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--top") {
      options.top = Number(argv[++i]);
      if (!Number.isInteger(options.top) || options.top < 1) throw new Error(`--top needs a whole number of files, 1 or more (got ${argv[i]})`);
    } else if (arg === "--json") options.json = true;
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg} (valid: --top N, --json)`);
    else if (options.file) throw new Error(`one profile file only (got ${options.file} and ${arg})`);
    else options.file = arg;
  }
  if (!options.file) throw new Error("usage: node scripts/test-profile.js [--top N] [--json] <profile.jsonl> (written by a run with SLIPWAY_TEST_PROFILE=<profile.jsonl>)");
  return options;
}

/** The profile's lines; a line that is not one names the file and line. */
function readProfile(file) {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const entries = [];
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    let entry;
    try {
      entry = JSON.parse(text);
    } catch {
      throw new Error(`${file}:${i + 1}: not JSON: ${text.slice(0, 80)}`);
    }
    if (entry.kind !== "file" && entry.kind !== "slot") throw new Error(`${file}:${i + 1}: kind must be "file" or "slot" (got ${JSON.stringify(entry.kind)})`);
    entries.push(entry);
  });
  return entries;
}

const sum = (xs, f) => xs.reduce((total, x) => total + f(x), 0);
const round = (n) => Math.round(n * 10) / 10;

/** The summary of a profile's entries. */
function summarize(entries) {
  const files = entries.filter((e) => e.kind === "file");
  const slotted = entries.filter((e) => e.kind === "slot");
  const byCommand = {};
  const slottedByFile = {};
  for (const c of slotted) {
    const row = (byCommand[c.command] ??= { count: 0, wall: 0 });
    row.count++;
    row.wall += c.wall;
    slottedByFile[c.file] = (slottedByFile[c.file] ?? 0) + c.wall;
  }
  return {
    files: files.length,
    cpu: round(sum(files, (f) => f.cpu)),
    workers: new Set(files.map((f) => f.pid)).size,
    byFile: files
      .map((f) => ({ file: f.file, cpu: f.cpu, wall: f.wall, slotted: round(slottedByFile[f.file] ?? 0) }))
      .sort((a, b) => b.cpu - a.cpu || a.file.localeCompare(b.file)),
    slotted: {
      commands: slotted.length,
      wall: round(sum(slotted, (c) => c.wall)),
      waited: round(sum(slotted, (c) => c.waited)),
      slots: Math.max(0, ...slotted.map((c) => c.slots)),
      byCommand: Object.fromEntries(Object.entries(byCommand).sort((a, b) => b[1].wall - a[1].wall || a[0].localeCompare(b[0])).map(([k, v]) => [k, { count: v.count, wall: round(v.wall) }])),
    },
  };
}

function print(summary, top) {
  const out = [];
  out.push(`${summary.files} test files in ${summary.workers} workers: ${summary.cpu} s of CPU (the workers and every child they waited for)`);
  out.push(`the ${Math.min(top, summary.byFile.length)} that used most:`);
  out.push("     CPU s   wall s  slotted s  file");
  for (const f of summary.byFile.slice(0, top)) {
    out.push(`${f.cpu.toFixed(1).padStart(10)}${f.wall.toFixed(1).padStart(9)}${(f.slotted ? f.slotted.toFixed(1) : "-").padStart(11)}  ${f.file}`);
  }
  const t = summary.slotted;
  const kinds = Object.entries(t.byCommand).map(([command, v]) => `${command} ${v.count} (${v.wall} s)`).join(", ");
  out.push(`memory-heavy commands: ${t.commands} held a slot, ${t.wall} s in all${kinds ? `: ${kinds}` : ""}; ${t.waited} s spent waiting for one`);
  if (t.slots === 1) out.push(`with one slot they ran one at a time: no run of these tests can take less than ${t.wall} s of wall time`);
  return out.join("\n");
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
    const summary = summarize(readProfile(options.file));
    process.stdout.write(`${options.json ? JSON.stringify(summary, null, 2) : print(summary, options.top)}\n`);
  } catch (error) {
    process.stderr.write(`test-profile: ${error.message}\n`);
    process.exit(2);
  }
}

if (require.main === module) main();

module.exports = { readProfile, summarize, print };
