/**
 * `npm run bench`: how long `npm run synth` takes and how much memory it needs, as a user types it,
 * against a bare cdktf app that synthesizes one S3 bucket from compiled JavaScript, all measured
 * in one run (the machines are shared and noisy: compare ratios, not absolute figures across runs).
 *
 * Cases: the example platform file, and generated platforms of 1, 10 and 50 apps, each with dev,
 * staging and production. Each case runs several times; the median wall time and the largest
 * peak RSS of any Node process it started are reported.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";

const ROOT = path.resolve(__dirname, "..");

interface Measurement {
  readonly name: string;
  readonly medianMs: number;
  readonly peakRssMiB: number;
  readonly stacks?: number;
  readonly resources?: number;
  readonly runs: number;
}

const BARE_APP = `
const { App, TerraformStack } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { S3Bucket } = require("@cdktf/provider-aws/lib/s3-bucket");
const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, "bare");
new AwsProvider(stack, "aws", { region: "eu-west-1" });
new S3Bucket(stack, "bucket", { bucket: "slipway-bench-bare" });
app.synth();
`;

/** A platform file with `apps` copies of the example app, in dev, staging and production. */
export function generatedPlatform(apps: number): string {
  const doc = parse(fs.readFileSync(path.join(ROOT, "platform.yaml"), "utf8"));
  const template = doc.apps[0];
  doc.apps = Array.from({ length: apps }, (_, i) => {
    const name = `app${String(i + 1).padStart(2, "0")}`;
    return {
      ...template,
      name,
      domains: Object.fromEntries(Object.entries(template.domains).map(([env, domain]) => [env, `${name}.${domain}`])),
    };
  });
  return stringify(doc);
}

function measure(name: string, command: string, args: string[], runs: number, outdir: string): Measurement {
  const times: number[] = [];
  let peakKiB = 0;
  for (let i = 0; i < runs; i++) {
    fs.rmSync(outdir, { recursive: true, force: true });
    const rssFile = path.join(os.tmpdir(), `slipway-rss-${process.pid}-${i}`);
    fs.rmSync(rssFile, { force: true });
    const env = { ...process.env, SLIPWAY_RSS_FILE: rssFile, NODE_OPTIONS: `--require=${path.join(ROOT, "scripts", "report-rss.js")}` };
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: ROOT, env, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${name}: ${command} ${args.join(" ")} failed:\n${result.stderr}`);
    times.push(ms);
    const rss = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, "utf8").trim().split("\n").map(Number) : [];
    peakKiB = Math.max(peakKiB, ...rss);
    fs.rmSync(rssFile, { force: true });
  }
  const counted = countOutput(outdir);
  return { name, medianMs: median(times), peakRssMiB: peakKiB / 1024, runs, ...counted };
}

function countOutput(outdir: string): { stacks: number; resources: number } {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
  let resources = 0;
  for (const stack of Object.values<any>(manifest.stacks)) {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, stack.synthesizedStackPath), "utf8"));
    for (const instances of Object.values<object>(json.resource ?? {})) resources += Object.keys(instances).length;
  }
  return { stacks: Object.keys(manifest.stacks).length, resources };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "5" },
      sizes: { type: "string", default: "1,10,50" },
      json: { type: "boolean" },
    },
  });
  const runs = Number(values.runs);
  const sizes = values.sizes ? values.sizes.split(",").filter(Boolean).map(Number) : [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  try {
    const bareFile = path.join(ROOT, ".build", "bench-bare.js");
    fs.mkdirSync(path.dirname(bareFile), { recursive: true });
    fs.writeFileSync(bareFile, BARE_APP);
    const out = path.join(work, "out");
    const results: Measurement[] = [];
    const progress = (m: Measurement) => {
      results.push(m);
      if (!values.json) process.stderr.write(`  measured ${m.name}\n`);
    };
    progress(measure("bare cdktf app (1 S3 bucket, compiled JS)", process.execPath, [bareFile, out], runs, out));
    progress(measure("npm run synth (example platform)", npm, ["run", "--silent", "synth", "--", "--out", out], runs, out));
    for (const size of sizes) {
      const file = path.join(work, `platform-${size}.yaml`);
      fs.writeFileSync(file, generatedPlatform(size));
      progress(measure(`npm run synth (${size} apps x 3 envs)`, npm, ["run", "--silent", "synth", "--", "--platform", file, "--out", out], Math.min(runs, 3), out));
    }
    const bare = results[0].medianMs;
    if (values.json) {
      console.log(JSON.stringify(results.map((r) => ({ ...r, ratioToBare: r.medianMs / bare })), null, 2));
    } else {
      const rows = results.map((r) => [
        r.name,
        `${(r.medianMs / 1000).toFixed(2)} s`,
        `${(r.medianMs / bare).toFixed(2)}x`,
        `${r.peakRssMiB.toFixed(0)} MiB`,
        String(r.stacks ?? "-"),
        String(r.resources ?? "-"),
        String(r.runs),
      ]);
      const header = ["case", "median", "vs bare", "peak RSS", "stacks", "resources", "runs"];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
      for (const row of [header, ...rows]) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
      const perApp = results.filter((r) => /\d+ apps/.test(r.name));
      if (perApp.length > 1) {
        console.log("\ncost per app:");
        for (const r of perApp) {
          const apps = Number(/\((\d+) apps/.exec(r.name)![1]);
          console.log(`  ${apps} apps: ${(r.medianMs / apps).toFixed(0)} ms/app`);
        }
      }
    }
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
