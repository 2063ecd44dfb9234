/** Platform files for tests: the example, and variants built from it. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { parse, stringify } from "yaml";
import { parsePlatform, PlatformConfig, PlatformFileError } from "../../platform/model";
import { buildPlatform } from "../../stacks";
import { loadSynthesizedOutput, StackModel } from "../../synthesized";

export const ROOT = path.resolve(__dirname, "..", "..");
export const EXAMPLE_FILE = path.join(ROOT, "platform.yaml");

/** The example platform file as a plain object, to change in a test. */
export function exampleDocument(): any {
  return parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
}

/** The example platform, validated, with `change` applied to its document first. */
export function examplePlatform(change: (doc: any) => void = () => {}): PlatformConfig {
  const doc = exampleDocument();
  change(doc);
  return parsePlatform(stringify(doc), "test.yaml");
}

/** A fresh temporary folder, removed by the OS eventually; tests remove theirs when done. */
export function tempDir(prefix = "slipway-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file below `dir`, path -> bytes, for byte-for-byte comparisons. */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const visit = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full));
    }
  };
  visit(dir);
  return files;
}

/**
 * Every stack of a platform, synthesized as `npm run synth` does (a whole app, so cross-stack
 * references resolve to remote state) and parsed, by stack name.
 *
 * Synthesized once per test run for each platform: most test files synthesize the example (about
 * 0.6 s of CPU each, 1.5 s in a fresh worker), so the first to do it leaves the result in the run's
 * cache (`SLIPWAY_TEST_SYNTH_CACHE`, a folder __tests__/support/global-setup.ts makes and
 * global-teardown.ts removes) and the others read it back, each getting its own copy. The key is
 * the whole platform configuration; a configuration that is not plain data is synthesized anyway.
 * `{ fresh: true }` synthesizes here whatever the cache holds, for a test that watches the synth.
 */
export function synthAll(platform: PlatformConfig, options: { fresh?: boolean } = {}): Record<string, any> {
  const cached = options.fresh ? undefined : synthCacheFile(platform);
  if (cached !== undefined && fs.existsSync(cached)) return JSON.parse(fs.readFileSync(cached, "utf8"));
  const stacks = synthesizeAll(platform);
  if (cached !== undefined) {
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(stacks));
    fs.renameSync(partial, cached);
  }
  return stacks;
}

/** Where the run's synth cache keeps `platform`'s stacks; undefined without a cache, or for a configuration that is not plain data. */
function synthCacheFile(platform: PlatformConfig): string | undefined {
  const dir = process.env.SLIPWAY_TEST_SYNTH_CACHE;
  if (!dir || !fs.existsSync(dir)) return undefined;
  const text = plainDataText(platform);
  return text === undefined ? undefined : path.join(dir, `${createHash("sha256").update(text).digest("hex")}.json`);
}

/**
 * `value` as text that tells apart any two different plain data values (objects, arrays, strings,
 * numbers, booleans, null and undefined; key order kept): undefined for anything else (a Map, a
 * class instance, a function), whose content JSON would not show.
 */
function plainDataText(value: unknown): string | undefined {
  const plain = (v: unknown): boolean => {
    if (v === null || v === undefined || typeof v === "string" || typeof v === "boolean") return true;
    if (typeof v === "number") return Number.isFinite(v);
    if (Array.isArray(v)) return v.every(plain);
    if (typeof v !== "object") return false;
    const proto = Object.getPrototypeOf(v);
    return (proto === Object.prototype || proto === null) && Object.values(v).every(plain);
  };
  if (!plain(value)) return undefined;
  return JSON.stringify(value, (_, v) => (v === undefined ? { "<undefined>": true } : v));
}

function synthesizeAll(platform: PlatformConfig): Record<string, any> {
  const outdir = tempDir();
  try {
    const app = new App({ outdir });
    const built = buildPlatform(app, platform);
    app.synth();
    // In the platform's order (no slipway.json here to give it).
    const output = loadSynthesizedOutput(outdir);
    return Object.fromEntries(built.stacks.map((s) => [s.stackName, output.stack(s.stackName).json]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The resources of `type` in a synthesized stack, by construct path (`"//".metadata.path`). */
export function resourcesByPath(stack: any, type: string): Record<string, any> {
  return Object.fromEntries(new StackModel("stack", stack).resources(type).map((r) => [r.constructPath, r.body]));
}

/** The one resource of `type` whose construct path ends with `suffix`. */
export function resourceAt(stack: any, type: string, suffix: string): any {
  const matches = Object.entries(resourcesByPath(stack, type)).filter(([p]) => p.endsWith(suffix));
  if (matches.length !== 1) throw new Error(`expected one ${type} at *${suffix}, found ${matches.map(([p]) => p).join(", ") || "none"}`);
  return matches[0][1];
}

/** The error parsing the example platform file gives after `change` (written as `bad.yaml`); fails the test when it parses. */
export function problemsAfter(change: (doc: any) => void): PlatformFileError {
  const doc = exampleDocument();
  change(doc);
  try {
    parsePlatform(stringify(doc), "bad.yaml");
  } catch (error) {
    if (error instanceof PlatformFileError) return error;
    throw error;
  }
  throw new Error("expected the platform file to be rejected");
}
