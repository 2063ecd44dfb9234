// Compiled code of the dependencies a command loads, reused across runs. A synth loads about 600
// CommonJS files from node_modules (cdktf alone is 370, the Kubernetes provider's pod structs
// 10 MB); compiling them is about a sixth of a synth of the example platform.
//
// On Node 22.1+ this is Node's own `module.enableCompileCache()` (.build/compile-cache/, which
// Node keys and checks itself). On Node 20 it is the hand-made V8 code cache below: measured with
// `npm run bench` on Node 20.20 it still earns its keep, so it stays until Node 20 goes: medians
// with / without it, the example platform's synth 1.76 / 2.29 s (one bench run each), and 1.35 /
// 1.54 s over 8 interleaved pairs (a noisy shared machine: compare within a run only); it costs
// about 25 MiB of peak RSS (196 / 170 MiB).
//
// The hand-made cache:
// Only files under node_modules are cached (Slipway's own code is one small bundle). The cache is
// one file per command, .build/<name>.code-cache, keyed by the Node and V8 versions and a hash
// of node_modules/.package-lock.json (npm rewrites it on every install, so a changed dependency
// discards the cache); each entry also records its source's length and hash of its first and
// last 4 KiB. It is written once at exit, atomically, when something new was compiled.
// SLIPWAY_CODE_CACHE=0 turns it off.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const MAGIC = "slipway-code-cache-1";

/** A cheap fingerprint of a source: its length and a hash of its ends. */
function fingerprint(content) {
  const head = content.slice(0, 4096);
  const tail = content.length > 8192 ? content.slice(-4096) : "";
  return `${content.length}:${crypto.createHash("sha1").update(head).update("\0").update(tail).digest("base64")}`;
}

function cacheKey(root) {
  const hash = crypto.createHash("sha256").update(`${MAGIC}\0${process.version}\0${process.versions.v8}\0${process.arch}\0`);
  for (const lock of [path.join(root, "node_modules", ".package-lock.json"), path.join(root, "package-lock.json")]) {
    if (fs.existsSync(lock)) return hash.update(fs.readFileSync(lock)).digest("hex");
  }
  return undefined;
}

/** Reads `{ key, entries: { file: { fp, offset, length } } }` followed by the blob. */
function readCache(file, key) {
  try {
    const data = fs.readFileSync(file);
    const headerLength = data.readUInt32LE(0);
    const header = JSON.parse(data.subarray(4, 4 + headerLength).toString("utf8"));
    if (header.key !== key) return new Map();
    const blob = data.subarray(4 + headerLength);
    return new Map(Object.entries(header.entries).map(([f, e]) => [f, { fp: e.fp, data: blob.subarray(e.offset, e.offset + e.length) }]));
  } catch {
    return new Map(); // none yet, or unreadable: start over
  }
}

function writeCache(file, key, entries) {
  const header = { key, entries: {} };
  const buffers = [];
  let offset = 0;
  for (const [f, e] of entries) {
    header.entries[f] = { fp: e.fp, offset, length: e.data.length };
    buffers.push(e.data);
    offset += e.data.length;
  }
  const headerBuffer = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBuffer.length, 0);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(temporary, Buffer.concat([length, headerBuffer, ...buffers]));
  fs.renameSync(temporary, file);
}

/** The `require` a CommonJS module sees, as Node builds it. */
function makeRequire(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Reuses compiled code of dependencies for the rest of this process: Node's compile cache in
 * `<dir of file>/compile-cache` where Node has one (22.1+), else the hand-made cache in `file`.
 * Returns which one is on: "node", "slipway", or false (and changes nothing) where neither can
 * be: turned off (SLIPWAY_CODE_CACHE=0), or on Node 20 without the dynamic-import hook vm needs
 * (before 20.12? then import() inside a dependency would fail), or without a lock file.
 */
function enableCodeCache(file, root, module = Module) {
  if (process.env.SLIPWAY_CODE_CACHE === "0") return false;
  if (typeof module.enableCompileCache === "function") {
    const result = module.enableCompileCache(path.join(path.dirname(file), "compile-cache"));
    // ENABLED, or ALREADY_ENABLED (NODE_COMPILE_CACHE set); FAILED or DISABLED leave Node as it was.
    const { ENABLED, ALREADY_ENABLED } = module.constants.compileCacheStatus;
    return result.status === ENABLED || result.status === ALREADY_ENABLED ? "node" : false;
  }
  return enableHandMadeCache(file, root);
}

/** The hand-made V8 code cache (Node 20): see the top of this file. */
function enableHandMadeCache(file, root) {
  const importModuleDynamically = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (!importModuleDynamically) return false;
  const key = cacheKey(root);
  if (!key) return false;
  const cached = readCache(file, key);
  const compiled = new Map(); // file -> { fp, script } compiled without a usable cache
  const original = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename) {
    if (!filename.includes(NODE_MODULES)) return original.call(this, content, filename);
    const fp = fingerprint(content);
    const entry = cached.get(filename);
    const cachedData = entry && entry.fp === fp ? entry.data : undefined;
    const source = Module.wrap(content.startsWith("#!") ? content.replace(/^#!.*/, "") : content);
    const script = new vm.Script(source, { filename, cachedData, importModuleDynamically });
    if (cachedData === undefined || script.cachedDataRejected) compiled.set(filename, { fp, script });
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    if (compiled.size === 0) return;
    try {
      // Produced at exit, the data also holds the functions this run compiled lazily.
      for (const [f, { fp, script }] of compiled) cached.set(f, { fp, data: script.createCachedData() });
      writeCache(file, key, cached);
    } catch {
      // a cache is an optimisation: never fail the command over it
    }
  });
  return "slipway";
}

module.exports = { enableCodeCache };
