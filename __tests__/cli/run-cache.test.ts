/**
 * scripts/run.js reuses its esbuild bundle while the bundle's inputs are unchanged, and
 * scripts/code-cache.js reuses the dependencies' compiled code: neither may ever run stale code.
 * It also drops the one deprecation warning cdktf causes on Node 22+ (DEP0044), and only that one.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as path from "node:path";
import { ROOT, tempDir } from "../support/platform";

// Node 22.1+ has its own compile cache, which scripts/code-cache.js uses instead of the hand-made one.
const NODE_COMPILE_CACHE = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function";
const { enableCodeCache } = require("../../scripts/code-cache.js") as {
  enableCodeCache(file: string, root: string, module?: unknown): "node" | "slipway" | false;
};

const work = tempDir("slipway-run-cache-");
const name = `run-cache-test-${process.pid}`;
const entry = path.join(work, `${name}.ts`);
const helper = path.join(work, "helper.ts");
const build = path.join(ROOT, ".build");
const outputs = [`${name}.js`, `${name}.inputs.json`, `${name}.code-cache`].map((f) => path.join(build, f));

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  for (const f of outputs) fs.rmSync(f, { force: true });
});

function run(env: Record<string, string> = {}): { out: string; bundleMtime: number } {
  const result = spawnSync(process.execPath, ["scripts/run.js", entry, "arg1"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return { out: result.stdout.trim(), bundleMtime: fs.statSync(outputs[0]).mtimeMs };
}

test("the bundle is rebuilt exactly when an input changes (same size too), and the output is never stale", () => {
  // A dependency from node_modules (yaml) exercises the code cache; main(argv) gets the arguments.
  fs.writeFileSync(helper, `export const word = "alpha";\n`);
  fs.writeFileSync(entry, `import { stringify } from "yaml";\nimport { word } from "./helper";\nexport function main(argv: string[]) { console.log(stringify({ word, argv }).trim().replace(/\\s+/g, " ")); return 0; }\n`);
  const first = run();
  expect(first.out).toBe("word: alpha argv: - arg1");
  const record = JSON.parse(fs.readFileSync(outputs[1], "utf8"));
  expect(Object.keys(record.inputs)).toEqual(expect.arrayContaining([path.relative(ROOT, entry), path.relative(ROOT, helper)]));
  expect(Object.keys(record.inputs).some((f) => f.includes("node_modules"))).toBe(false);
  if (NODE_COMPILE_CACHE) expect(fs.readdirSync(path.join(build, "compile-cache")).length).toBeGreaterThan(0);
  else expect(fs.existsSync(outputs[2])).toBe(true); // yaml's compiled code

  const second = run();
  expect(second.out).toBe(first.out);
  expect(second.bundleMtime).toBe(first.bundleMtime); // reused

  fs.writeFileSync(helper, `export const word = "omega";\n`); // same length
  const third = run();
  expect(third.out).toBe("word: omega argv: - arg1");
  expect(third.bundleMtime).not.toBe(first.bundleMtime);

  expect(run({ SLIPWAY_REBUNDLE: "1" }).bundleMtime).not.toBe(third.bundleMtime);
  expect(run({ SLIPWAY_CODE_CACHE: "0" }).out).toBe("word: omega argv: - arg1");
});

test("a code cache from other dependencies (another lock file) is ignored, not used; none is written where Node has its own", () => {
  if (NODE_COMPILE_CACHE) {
    // Node keys and checks its own cache; the hand-made one is never written.
    expect(fs.existsSync(outputs[2])).toBe(false);
    return;
  }
  const cache = fs.readFileSync(outputs[2]);
  const headerLength = cache.readUInt32LE(0);
  const header = JSON.parse(cache.subarray(4, 4 + headerLength).toString("utf8"));
  expect(Object.keys(header.entries).some((f) => f.includes(`${path.sep}node_modules${path.sep}yaml${path.sep}`))).toBe(true);
  // Same entries under another key: as after `npm install` changed node_modules.
  const other = Buffer.from(JSON.stringify({ ...header, key: "another-lock-file" }), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(other.length, 0);
  fs.writeFileSync(outputs[2], Buffer.concat([length, other, cache.subarray(4 + headerLength)]));
  expect(run().out).toBe("word: omega argv: - arg1");
  const rewritten = fs.readFileSync(outputs[2]);
  expect(JSON.parse(rewritten.subarray(4, 4 + rewritten.readUInt32LE(0)).toString("utf8")).key).toBe(header.key);
});

test("a new file that changes what an import resolves to rebuilds the bundle", () => {
  // `./greeting` resolves to greeting/index.ts until greeting.ts appears beside the folder.
  fs.mkdirSync(path.join(work, "greeting"), { recursive: true });
  fs.writeFileSync(path.join(work, "greeting", "index.ts"), `export const greeting = "from the folder";\n`);
  fs.writeFileSync(entry, `import { greeting } from "./greeting";\nexport function main() { console.log(greeting); return 0; }\n`);
  const before = run();
  expect(before.out).toBe("from the folder");
  const record = JSON.parse(fs.readFileSync(outputs[1], "utf8"));
  expect(Object.keys(record.folders)).toEqual(expect.arrayContaining([path.relative(ROOT, work), path.relative(ROOT, path.join(work, "greeting"))]));
  expect(run().bundleMtime).toBe(before.bundleMtime); // nothing changed: reused

  fs.writeFileSync(path.join(work, "greeting.ts"), `export const greeting = "from the file";\n`);
  const after = run();
  expect(after.out).toBe("from the file");
  expect(after.bundleMtime).not.toBe(before.bundleMtime);
  fs.rmSync(path.join(work, "greeting.ts"));
  expect(run().out).toBe("from the folder");
});

describe("which cache", () => {
  const STATUS = { FAILED: 0, ENABLED: 1, ALREADY_ENABLED: 2, DISABLED: 3 };
  /** A stand-in for node:module with Node 22's enableCompileCache, recording the folder it was given. */
  const nodeWithCompileCache = (status: number) => {
    const dirs: string[] = [];
    return { dirs, module: { constants: { compileCacheStatus: STATUS }, enableCompileCache: (dir: string) => (dirs.push(dir), { status }) } };
  };
  const file = path.join(build, "synth.code-cache");

  test("Node's compile cache where Node has one (22.1+), in .build/compile-cache, and not the hand-made one", () => {
    const node = nodeWithCompileCache(STATUS.ENABLED);
    expect(enableCodeCache(file, ROOT, node.module)).toBe("node");
    expect(node.dirs).toEqual([path.join(build, "compile-cache")]);
    expect(enableCodeCache(file, ROOT, nodeWithCompileCache(STATUS.ALREADY_ENABLED).module)).toBe("node");
    expect(enableCodeCache(file, ROOT, nodeWithCompileCache(STATUS.FAILED).module)).toBe(false);
  });

  test("SLIPWAY_CODE_CACHE=0 turns either off", () => {
    const node = nodeWithCompileCache(STATUS.ENABLED);
    process.env.SLIPWAY_CODE_CACHE = "0";
    try {
      expect(enableCodeCache(file, ROOT, node.module)).toBe(false);
      expect(node.dirs).toEqual([]);
    } finally {
      delete process.env.SLIPWAY_CODE_CACHE;
    }
  });
});

test("cdktf's util.isArray deprecation (DEP0044, Node 22+) is dropped in either call form; every other warning still prints", () => {
  const warnings = path.join(work, `run-warnings-test-${process.pid}.ts`);
  const outputsOf = ["js", "inputs.json", "code-cache"].map((ext) => path.join(build, `run-warnings-test-${process.pid}.${ext}`));
  fs.writeFileSync(
    warnings,
    [
      'process.emitWarning("The `util.isArray` API is deprecated.", "DeprecationWarning", "DEP0044");',
      'process.emitWarning("The `util.isArray` API is deprecated.", { type: "DeprecationWarning", code: "DEP0044" });',
      'process.emitWarning("The `Buffer()` constructor is deprecated.", "DeprecationWarning", "DEP0005");',
      'process.emitWarning("a plain warning");',
      "",
    ].join("\n"),
  );
  try {
    const result = spawnSync(process.execPath, ["scripts/run.js", warnings], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    expect(result.status).toBe(0);
    const printed = result.stderr.split("\n").filter((line) => /Warning/.test(line));
    expect(printed).toEqual([expect.stringMatching(/\[DEP0005\] DeprecationWarning: The `Buffer\(\)` constructor is deprecated\.$/), expect.stringMatching(/Warning: a plain warning$/)]);
  } finally {
    for (const f of outputsOf) fs.rmSync(f, { force: true });
  }
});
