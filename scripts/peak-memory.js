#!/usr/bin/env node
// The peak memory of a command's whole process tree, from /proc (Linux), plain Node with no
// dependency:
//
//   node scripts/peak-memory.js [--interval MS] [--json FILE] -- npm test
//
// Runs the command (its output untouched), samples every process of its tree every ~100 ms and
// sums their proportional set size (Pss from /proc/<pid>/smaps_rollup: pages shared between
// processes, such as the 700 MB Terraform provider binary mapped by several provider processes
// or Node's code in jest's workers, are counted once in total; RSS would count them once per
// process), falling back to VmRSS where smaps_rollup cannot be read. At the end it prints to
// stderr the peak, when it happened, and which processes were alive then with their share, and
// exits with the command's exit code (128 + signal when a signal ended it).
//
// The tree is every process descending from the command, plus every process carrying the
// marker variable this script puts into the command's environment: a daemon that detaches and
// is re-parented to init (pg_ctl's postgres, say) still counts.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");

const MARKER = "SLIPWAY_PEAK_MEMORY_RUN";

function usage(message) {
  if (message) process.stderr.write(`peak-memory: ${message}\n`);
  process.stderr.write("usage: node scripts/peak-memory.js [--interval MS] [--json FILE] -- <command> [args...]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const options = { interval: 100, json: undefined, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      options.command = argv.slice(i + 1);
      break;
    } else if (arg === "--interval") options.interval = Number(argv[++i]);
    else if (arg === "--json") options.json = argv[++i];
    else if (arg === "--help" || arg === "-h") usage();
    else {
      options.command = argv.slice(i);
      break;
    }
  }
  if (!options.command.length) usage("no command given");
  if (!(options.interval >= 10)) usage("--interval takes milliseconds, at least 10");
  return options;
}

/** `/proc/<pid>/stat`: parent pid and start time (clock ticks after boot, to tell reused pids apart). */
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

/** Proportional set size in KiB (smaps_rollup), else the resident set size (status). */
function memoryOf(pid) {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    if (match) return { kib: Number(match[1]), kind: "pss" };
  } catch {
    // older kernels, or no permission: fall back to RSS
  }
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    if (match) return { kib: Number(match[1]), kind: "rss" };
  } catch {
    // gone
  }
  return undefined;
}

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
  let peak = { kib: 0, at: 0, processes: [] };
  let samples = 0;
  let kinds = new Set();

  const sample = () => {
    const stats = [];
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat) stats.push(stat);
    }
    const byPid = new Map(stats.map((s) => [s.pid, s]));
    // Forget members that are gone or whose pid now belongs to another process.
    for (const [pid, start] of members) {
      const stat = byPid.get(pid);
      if (!stat || (start !== undefined && stat.start !== start)) {
        if (pid !== child.pid) members.delete(pid);
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
      if (!stat) continue;
      const memory = memoryOf(pid);
      if (!memory) continue;
      kinds.add(memory.kind);
      total += memory.kib;
      alive.push({ pid, kib: memory.kib, stat });
    }
    samples++;
    if (total > peak.kib) {
      peak = {
        kib: total,
        at: Date.now() - started,
        processes: alive.map((p) => ({ pid: p.pid, kib: p.kib, command: commandLine(p.pid, p.stat.comm) })).sort((a, b) => b.kib - a.kib),
      };
    }
  };

  sample();
  const timer = setInterval(sample, options.interval);
  child.on("exit", (code, signal) => {
    clearInterval(timer);
    const wall = Date.now() - started;
    const measure = kinds.has("rss") ? (kinds.has("pss") ? "PSS, RSS where PSS was unreadable" : "RSS") : "PSS";
    const lines = [
      "",
      `peak memory of the whole process tree: ${mib(peak.kib)} (${measure}), ${(peak.at / 1000).toFixed(1)} s into a run of ${(wall / 1000).toFixed(1)} s (${samples} samples every ${options.interval} ms)`,
      `${peak.processes.length} processes alive at the peak:`,
      ...peak.processes.map((p) => `  ${mib(p.kib).padStart(9)}  ${String(p.pid).padStart(7)}  ${p.command.length > 110 ? `${p.command.slice(0, 107)}...` : p.command}`),
    ];
    process.stderr.write(`${lines.join("\n")}\n`);
    if (options.json) {
      fs.writeFileSync(
        options.json,
        `${JSON.stringify({ command: options.command, exitCode: code, signal, wallMs: wall, measure, peakKiB: peak.kib, peakAtMs: peak.at, samples, processes: peak.processes }, null, 2)}\n`,
      );
    }
    process.exitCode = code ?? 128 + (require("node:os").constants.signals[signal] ?? 0);
  });
}

main();
