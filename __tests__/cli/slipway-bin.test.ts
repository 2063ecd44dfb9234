/**
 * The package's command, `slipway` (scripts/slipway.js): dispatch to each command's module, help,
 * and clear errors for an unknown command or a command whose module is missing.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { ROOT, tempDir } from "../support/platform";

const BIN = path.join(ROOT, "scripts", "slipway.js");
const COMMANDS = ["synth", "check", "diagram", "new-app", "workflows", "secret", "schema", "affected", "cost"];

function slipway(args: string[], cwd = ROOT, bin = BIN) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, CI: "", NO_COLOR: "1" } });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const folders: string[] = [];
afterAll(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

it("is the package's bin, and the npm scripts are aliases of its commands", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  expect(pkg.bin).toEqual({ slipway: "scripts/slipway.js" });
  for (const command of COMMANDS.filter((c) => c !== "cost")) expect(pkg.scripts[command]).toBe(`node scripts/slipway.js ${command}`);
  expect(fs.readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
});

it("--help lists every command with one line each", () => {
  const help = slipway(["--help"]);
  expect(help.code).toBe(0);
  const lines = help.out.trimEnd().split("\n");
  expect(lines[0]).toBe("usage: slipway <command> [options]   (slipway <command> --help for its options)");
  const commandLines = lines.slice(lines.indexOf("commands:") + 1);
  expect(commandLines.map((l) => l.trim().split(/\s+/)[0])).toEqual(COMMANDS);
  for (const line of commandLines) expect(line).toMatch(/^ {2}[a-z-]+ +\S.{10,}$/);
  // No command at all: the same list, and a failing exit code.
  const bare = slipway([]);
  expect(bare.code).toBe(2);
  expect(bare.out).toBe(help.out);
});

it("an unknown command fails naming the nearest one", () => {
  const typo = slipway(["synht"]);
  expect(typo.code).toBe(2);
  expect(typo.err).toBe(`slipway: unknown command "synht" (did you mean "synth"?); commands: ${COMMANDS.join(", ")} (slipway --help)\n`);
  const far = slipway(["deploy-everything"]);
  expect(far.code).toBe(2);
  expect(far.err).toBe(`slipway: unknown command "deploy-everything"; commands: ${COMMANDS.join(", ")} (slipway --help)\n`);
});

it("a command whose module is missing fails clearly", () => {
  // A copy of the dispatcher in a folder without cli/, as in the library package.
  const copy = tempDir();
  folders.push(copy);
  fs.mkdirSync(path.join(copy, "scripts"));
  fs.copyFileSync(BIN, path.join(copy, "scripts", "slipway.js"));
  const packaged = slipway(["synth"], copy, path.join(copy, "scripts", "slipway.js"));
  expect(packaged.code).toBe(2);
  expect(packaged.err).toBe(
    `slipway synth: cli/synth.ts is not in ${copy}: the library package brings only \`slipway check\` and \`slipway affected\` (they work on any cdktf output): run the others from a checkout of Slipway\n`,
  );
  // Without cli/, an unknown command lists the commands (the suggestion needs cli/unknown-command.ts).
  const unknown = slipway(["chekc"], copy, path.join(copy, "scripts", "slipway.js"));
  expect(unknown.code).toBe(2);
  expect(unknown.err).toMatch(/^slipway: no command "chekc"\n\nusage: slipway <command>/);
  fs.mkdirSync(path.join(copy, "cli"));
  const partial = slipway(["cost"], copy, path.join(copy, "scripts", "slipway.js"));
  expect(partial.code).toBe(2);
  expect(partial.err).toBe(`slipway cost: cli/cost.ts is not in ${copy}: this version of Slipway does not have that command yet\n`);
});

it("slipway check DIR checks a library user's own cdktf app output, from any folder", () => {
  const outdir = tempDir();
  folders.push(outdir);
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "team-prod");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new S3Bucket(stack, "Uploads", { bucket: "team-uploads" });
  app.synth();
  const elsewhere = tempDir();
  folders.push(elsewhere);
  const run = slipway(["check", outdir, "--json"], elsewhere);
  // A bare bucket has high findings: exit 1, with the findings as JSON.
  expect(run.code).toBe(1);
  const json = JSON.parse(run.out);
  expect(json.productionStacks).toEqual(["team-prod"]);
  expect(json.blocking).toBeGreaterThan(0);
  expect(json.findings.filter((f: any) => f.stack === "team-prod" && f.address === "aws_s3_bucket.Uploads").length).toBeGreaterThan(0);
  expect(slipway(["check", outdir, "--out", outdir]).code).toBe(2);
});

it("dispatches arguments to the command's module", () => {
  const run = slipway(["affected", "--help"]);
  expect(run.code).toBe(0);
  expect(run.out.startsWith("usage: slipway affected --head DIR")).toBe(true);
});
