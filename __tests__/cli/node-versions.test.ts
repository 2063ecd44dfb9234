/**
 * Slipway supports Node 20, 22 and 24. What differs between them in Slipway's own code is how a
 * command starts (scripts/run.js: Node's compile cache from 22.1, a hand-made V8 code cache before;
 * cdktf's DEP0044 deprecation, which Node 22 made a run-time warning): so `npm run synth` of the
 * example runs under each other Node named in SLIPWAY_OTHER_NODES (`.ci/run` installs 22 and 24
 * from the npm registry) and must write exactly the bytes this Node writes, twice (the second run
 * reuses the caches the first wrote), and print no warning.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readTree, ROOT, tempDir } from "../support/platform";
import { withSlot } from "../support/slots";
import { gatedByTools } from "../support/tools";

/** The environment variable naming the other Node executables, separated by `:`. */
const VARIABLE = "SLIPWAY_OTHER_NODES";

const others = (process.env[VARIABLE] ?? "").split(path.delimiter).filter(Boolean);
const missing =
  others.length === 0
    ? `${VARIABLE} names no Node executable (.ci/run installs Node 22 and 24 from the npm registry and sets it)`
    : others.filter((node) => !fs.existsSync(node)).map((node) => `${node} does not exist`).join("; ") || undefined;
const { describe: withNodes } = gatedByTools("synth under Node 22 and 24", missing);

const work = tempDir("slipway-node-versions-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** `npm run synth` of the example with `node`, as a user runs it, into a folder of its own. */
async function synth(node: string, name: string): Promise<{ code: number | null; stderr: string; tree: Map<string, Buffer> }> {
  const out = path.join(work, name);
  // A synth in its own process is a few hundred MiB: one of the run's memory-heavy commands.
  const result = await withSlot(`synth (${name})`, () =>
    spawnSync(node, [path.join(ROOT, "scripts", "slipway.js"), "synth", "--out", out, "--quiet"], {
      cwd: ROOT,
      encoding: "utf8",
      // As a user's shell has it: no NODE_OPTIONS from the test run.
      env: { ...process.env, NODE_OPTIONS: "", CI: "", NO_COLOR: "1" },
    }),
  );
  return { code: result.status, stderr: result.stderr, tree: fs.existsSync(out) ? readTree(out) : new Map() };
}

withNodes("npm run synth under each other supported Node", () => {
  let reference: Awaited<ReturnType<typeof synth>>;

  beforeAll(async () => {
    reference = await synth(process.execPath, `node-${process.versions.node}`);
    if (reference.code !== 0) throw new Error(`synth under this Node (${process.version}) failed:\n${reference.stderr}`);
  }, 120_000);

  test.each(others)("%s: a supported major version other than this one; the same bytes, twice, and no warning", async (node) => {
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    const major = Number(/^v(\d+)\./.exec(version)?.[1]);
    expect([version, [22, 24].includes(major) && major !== Number(process.versions.node.split(".")[0])]).toEqual([version, true]);
    for (const run of ["first", "second"]) {
      const result = await synth(node, `${version}-${run}`);
      expect([version, run, result.code, result.stderr]).toEqual([version, run, 0, ""]);
      expect([...result.tree.keys()].sort()).toEqual([...reference.tree.keys()].sort());
      const differing = [...reference.tree].filter(([file, bytes]) => !result.tree.get(file)?.equals(bytes)).map(([file]) => file);
      expect([version, run, differing]).toEqual([version, run, []]);
    }
  }, 240_000);
});
