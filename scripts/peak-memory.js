#!/usr/bin/env node
// The peak memory of a command's whole process tree, from /proc (Linux), plain Node with no
// dependency:
//
//   node scripts/peak-memory.js [--interval MS] [--budget MIB] [--json FILE] -- npm test
//
// Runs the command (its output untouched), samples every process of its tree every ~100 ms and
// sums their proportional set size (PSS: pages shared between processes, such as the 700 MB
// Terraform provider binary mapped by several provider processes or Node's code in jest's workers,
// count once in the total, where RSS would count them once per process). At the end it prints to
// stderr the peak, when it happened and which processes were alive then with their share, the
// run's largest processes (each at its own peak: what to look at first to lower the peak), and
// exits with the command's exit code (128 + signal when a signal ended it). `--budget MIB` adds
// how long the tree spent above that many MiB; `--json FILE` also writes the report as JSON.
//
// The tree is every process descending from the command, plus every process carrying the marker
// variable this script puts into the command's environment: a daemon that detaches and is
// re-parented to init (pg_ctl's postgres, say) still counts.
//
// How PSS is read, cheaply. /proc/<pid>/smaps_rollup gives it exactly, but reading it makes the
// kernel walk the process's page tables: 50 ms for a 1.3 GB jest worker, so reading every process
// at every sample would take half a core from the run being measured. A process's PSS is its
// anonymous pages (private to it, /proc/<pid>/status's RssAnon, cheap to read) plus its share of
// the file and shmem pages it maps, which cannot exceed its RssFile + RssShmem. So a process whose
// mapped file and shmem pages are more than its anonymous ones (a Terraform provider, 430 MB of
// shared binary) or that is small (under 64 MiB) is read from smaps_rollup at every sample. A
// large one that is mostly its own memory (a jest worker: 50 MB of Node's binary beside up to a
// gigabyte of heap) counts its RssAnon at every sample plus its file and shmem share as
// smaps_rollup last gave it, read again when its file and shmem pages changed by 2 MiB, when the
// number of processes on the machine with its command name changed (its likeliest sharers; at
// most once a second, as node processes come and go all the time), and at least every 5 s: its
// share moves by a few MiB at most meanwhile. Where smaps_rollup cannot be read (no permission,
// kernels before 4.14) the process counts with its RSS, and the report says so.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");

const MARKER = "SLIPWAY_PEAK_MEMORY_RUN";
const SHARE_DRIFT_KIB = 2 * 1024;
// The report lists the run's largest processes (each at its own peak): this many, from this size.
const LARGEST_LISTED = 12;
const LARGEST_MIN_KIB = 64 * 1024;
const SHARERS_MIN_AGE_MS = 1000;
const SHARE_MAX_AGE_MS = 5000;
const SHARE_DOMINATED_MAX_AGE_MS = 500;

function usage(message) {
  if (message) process.stderr.write(`peak-memory: ${message}\n`);
  process.stderr.write("usage: node scripts/peak-memory.js [--interval MS] [--budget MIB] [--json FILE] -- <command> [args...]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const options = { interval: 100, budget: undefined, json: undefined, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      options.command = argv.slice(i + 1);
      break;
    } else if (arg === "--interval") options.interval = Number(argv[++i]);
    else if (arg === "--json") options.json = argv[++i];
    else if (arg === "--budget") options.budget = Number(argv[++i]);
    else if (arg === "--help" || arg === "-h") usage();
    else {
      options.command = argv.slice(i);
      break;
    }
  }
  if (!options.command.length) usage("no command given");
  if (!(options.interval >= 10)) usage("--interval takes milliseconds, at least 10");
  if (options.budget !== undefined && !(options.budget > 0)) usage("--budget takes MiB");
  return options;
}

/** `/proc/<pid>/stat`: command name, parent pid and start time (clock ticks after boot, to tell reused pids apart). */
function readStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself hold spaces or parentheses.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    return { pid, comm, ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function hasMarker(pid, value) {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "latin1").includes(`${MARKER}=${value}\0`);
  } catch {
    return false;
  }
}

/** /proc/<pid>/status's counters in KiB: resident, anonymous, and file plus shmem. */
function countersOf(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined; // gone
  }
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { rss: field("VmRSS"), anon: field("RssAnon"), shared: field("RssFile") + field("RssShmem") };
}

/**
 * smaps_rollup's PSS and its file and shmem part, in KiB; `{ pss: 0 }` for a process exiting (no
 * mappings left); undefined where it cannot be read.
 */
function readRollup(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  } catch (error) {
    return error.code === "ESRCH" || error.code === "ENOENT" ? (HAS_SMAPS_ROLLUP ? { pss: 0, share: 0 } : undefined) : undefined;
  }
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  const pss = field("Pss");
  if (!Number.isFinite(pss)) return { pss: 0, share: 0 };
  const anon = field("Pss_Anon");
  // Kernels before 5.x give no Pss_Anon: the share is then what RssAnon does not account for.
  return { pss, share: Number.isFinite(anon) ? pss - anon : undefined };
}

const HAS_SMAPS_ROLLUP = fs.existsSync("/proc/self/smaps_rollup");

function commandLine(pid, comm) {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    if (argv.length) return argv.join(" ");
  } catch {
    // gone
  }
  return `[${comm}]`;
}

const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;

/** One process of the report: its share, pid and command line (cut at 110 characters). */
function line(p) {
  return `  ${mib(p.kib).padStart(9)}  ${String(p.pid).padStart(7)}  ${p.command.length > 110 ? `${p.command.slice(0, 107)}...` : p.command}`;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const marker = `${process.pid}-${Date.now()}`;
  const [file, ...args] = options.command;
  const started = Date.now();
  const child = spawn(file, args, { stdio: "inherit", env: { ...process.env, [MARKER]: marker } });
  child.on("error", (error) => {
    process.stderr.write(`peak-memory: cannot run ${file}: ${error.message}\n`);
    process.exit(127);
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));

  // pid -> start time of every process seen in the tree: a descendant stays counted after its
  // parent exits, and a reused pid is not mistaken for it.
  const members = new Map([[child.pid, undefined]]);
  const markerChecked = new Map(); // pid -> start time, processes already checked for the marker
  // pid -> the file and shmem share of a large process as smaps_rollup last gave it.
  const shares = new Map();
  let peak = { kib: 0, at: 0, processes: [] };
  // pid -> the largest this process got, for the report's list of the run's largest processes.
  const largest = new Map();
  let samples = 0;
  let rollups = 0;
  let rssOnly = false;
  // Time above the budget: each sample over it counts until the next sample.
  let overMs = 0;
  let lastSample;

  const sample = () => {
    const now = Date.now();
    const stats = [];
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat) stats.push(stat);
    }
    const byPid = new Map(stats.map((s) => [s.pid, s]));
    const sameName = new Map();
    for (const s of stats) sameName.set(s.comm, (sameName.get(s.comm) ?? 0) + 1);
    // Forget members that are gone or whose pid now belongs to another process.
    for (const [pid, start] of members) {
      const stat = byPid.get(pid);
      if (!stat || (start !== undefined && stat.start !== start)) {
        if (pid !== child.pid) members.delete(pid);
        shares.delete(pid);
      } else if (start === undefined) members.set(pid, stat.start);
    }
    // Descendants, to a fixed point (a child may be listed before its parent).
    let grown = true;
    while (grown) {
      grown = false;
      for (const s of stats) {
        if (!members.has(s.pid) && members.has(s.ppid)) {
          members.set(s.pid, s.start);
          grown = true;
        }
      }
    }
    for (const s of stats) {
      if (members.has(s.pid) || s.pid === process.pid || markerChecked.get(s.pid) === s.start) continue;
      markerChecked.set(s.pid, s.start);
      if (hasMarker(s.pid, marker)) members.set(s.pid, s.start);
    }

    let total = 0;
    const alive = [];
    for (const pid of members.keys()) {
      const stat = byPid.get(pid);
      const counters = stat && countersOf(pid);
      if (!counters) continue;
      // A share-dominated process (a provider) moves fast: its share is read again twice a second,
      // and in between follows its file and shmem pages at the ratio last read.
      const shareDominated = counters.shared >= counters.anon;
      const last = shares.get(pid);
      const age = last ? now - last.at : Infinity;
      const stale =
        !last ||
        last.start !== stat.start ||
        age >= (shareDominated ? SHARE_DOMINATED_MAX_AGE_MS : SHARE_MAX_AGE_MS) ||
        (!shareDominated && Math.abs(counters.shared - last.shared) >= SHARE_DRIFT_KIB) ||
        (sameName.get(stat.comm) !== last.sameName && age >= SHARERS_MIN_AGE_MS);
      if (stale) {
        rollups++;
        const rollup = readRollup(pid);
        if (!rollup) rssOnly = true;
        const share = rollup ? (rollup.share ?? Math.max(0, rollup.pss - counters.anon)) : counters.shared;
        shares.set(pid, { start: stat.start, share, shared: counters.shared, sameName: sameName.get(stat.comm), at: now });
      }
      const { share, shared } = shares.get(pid);
      // Between readings, the share scales with the process's own file and shmem pages (all of them
      // count when it had none at the last reading).
      const kib = counters.anon + (stale ? share : shared > 0 ? Math.round((share * counters.shared) / shared) : counters.shared);
      total += kib;
      alive.push({ pid, kib, stat });
      const own = largest.get(pid);
      if (!own || own.start !== stat.start) largest.set(pid, { start: stat.start, kib, command: undefined });
      else if (kib > own.kib) Object.assign(own, { kib, command: undefined });
      // Its command line as of its largest (a forked child may exec after its first sample).
      const record = largest.get(pid);
      if (record.command === undefined && kib >= LARGEST_MIN_KIB) record.command = commandLine(pid, stat.comm);
    }
    samples++;
    if (lastSample?.over) overMs += now - lastSample.at;
    lastSample = { at: now, over: options.budget !== undefined && total > options.budget * 1024 };
    if (total > peak.kib) {
      peak = {
        kib: total,
        at: now - started,
        processes: alive.map((p) => ({ pid: p.pid, kib: p.kib, command: commandLine(p.pid, p.stat.comm) })).sort((a, b) => b.kib - a.kib),
      };
    }
  };

  sample();
  const timer = setInterval(sample, options.interval);
  child.on("exit", (code, signal) => {
    clearInterval(timer);
    const biggest = [...largest.entries()]
      .filter(([, p]) => p.command !== undefined)
      .map(([pid, p]) => ({ pid, kib: p.kib, command: p.command }))
      .sort((a, b) => b.kib - a.kib)
      .slice(0, LARGEST_LISTED);
    const wall = Date.now() - started;
    const cost = process.cpuUsage();
    const measure = rssOnly ? "PSS, RSS where smaps_rollup was unreadable" : "PSS";
    const lines = [
      "",
      `peak memory of the whole process tree: ${mib(peak.kib)} (${measure}), ${(peak.at / 1000).toFixed(1)} s into a run of ${(wall / 1000).toFixed(1)} s`,
      `(${samples} samples every ${options.interval} ms, ${rollups} smaps_rollup reads, ${((cost.user + cost.system) / 1e6).toFixed(1)} s of CPU for the sampling, outside the tree)`,
      ...(options.budget !== undefined
        ? [`budget ${options.budget} MiB: ${overMs ? `exceeded for ${(overMs / 1000).toFixed(1)} s of the run` : "never exceeded"}`]
        : []),
      `${peak.processes.length} processes alive at the peak:`,
      ...peak.processes.map(line),
      `the run's ${biggest.length} largest processes, each at its own peak:`,
      ...biggest.map(line),
    ];
    process.stderr.write(`${lines.join("\n")}\n`);
    if (options.json) {
      const report = { command: options.command, exitCode: code, signal, wallMs: wall, measure, peakKiB: peak.kib, peakAtMs: peak.at, samples, budgetMiB: options.budget, overBudgetMs: options.budget === undefined ? undefined : overMs, processes: peak.processes, largest: biggest };
      fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    }
    process.exitCode = code ?? 128 + (os.constants.signals[signal] ?? 0);
  });
}

main();
