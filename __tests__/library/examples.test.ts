/**
 * examples/: a team's own cdktf app built from Slipway's constructs. It is type-checked as
 * `tsc -p examples` checks it ("slipway" mapped to this repository's index.ts), bundled with esbuild
 * the way its cdktf.json does, run as a real app, and its stack is checked for the non-default props
 * it sets and the secure defaults it keeps. (Real Terraform plans of these constructs run in the e2e
 * tests; planning the example too cost about 5 s for nothing new.)
 *
 * The type-check is tsc's program for examples/tsconfig.json with every diagnostic of the
 * configuration, the options and the syntax of every file, and the semantic ones of the examples'
 * own files: those are what the examples can get wrong. The library's own files are type-checked by
 * `npm test`'s `tsc --noEmit -p .` and, with the same options as here (types: node), by the build in
 * pack.test.ts; checking them a third time here was half of this file's CPU.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { ROOT, tempDir } from "../support/platform";
import { withSlot } from "../support/slots";

type Json = Record<string, any>;

/**
 * `node -e TYPE_CHECK <tsconfig.json>`: tsc's diagnostics for that project (see the top of this
 * file), printed as tsc prints them; exit 1 when there is one.
 */
const TYPE_CHECK = `
const ts = require(${JSON.stringify(path.join(ROOT, "node_modules", "typescript"))});
const path = require("node:path");
const config = process.argv[1];
const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\\n")); } });
const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, configFileParsingDiagnostics: parsed.errors, projectReferences: parsed.projectReferences });
const own = program.getSourceFiles().filter((f) => f.fileName.startsWith(path.dirname(config) + "/"));
if (own.length === 0) throw new Error("no file of " + path.dirname(config) + " in the program");
const diagnostics = [...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getGlobalDiagnostics(), ...own.flatMap((f) => program.getSemanticDiagnostics(f))];
process.stdout.write(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\\n" }));
process.exitCode = diagnostics.length > 0 ? 1 : 0;
`;

let work: string;
let tsc: { status: number | null; output: string };
let tf: Json;

beforeAll(async () => {
  work = tempDir("slipway-examples-");
  // A type-check of the examples and the library they import: one of the run's memory-heavy commands.
  const result = await withSlot("examples type-check", () =>
    spawnSync(process.execPath, ["-e", TYPE_CHECK, path.join(ROOT, "examples", "tsconfig.json")], { cwd: ROOT, encoding: "utf8" }),
  );
  tsc = { status: result.status, output: `${result.stdout}${result.stderr}` };

  // As examples/team-app/cdktf.json does, with "slipway" taken from this repository's source.
  const bundle = path.join(work, "team-app.js");
  buildSync({
    entryPoints: [path.join(ROOT, "examples", "team-app", "main.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    alias: { slipway: path.join(ROOT, "index.ts") },
    outfile: bundle,
    logLevel: "warning",
  });
  const outdir = path.join(work, "cdktf.out");
  const app = spawnSync(process.execPath, [bundle], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: outdir, NODE_PATH: path.join(ROOT, "node_modules") },
  });
  if (app.status !== 0) throw new Error(`examples/team-app failed:\n${app.stdout}\n${app.stderr}`);
  tf = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "orders-dev", "cdk.tf.json"), "utf8"));
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function resources(type: string): Json[] {
  return Object.values(tf.resource[type] ?? {});
}

function only(type: string): Json {
  const all = resources(type);
  expect(all).toHaveLength(1);
  return all[0];
}

test("examples type-check as tsc -p examples checks them", () => {
  expect(tsc).toEqual({ status: 0, output: "" });
});

test("the app configures its provider and state backend itself", () => {
  expect(tf.provider.aws).toEqual([{ region: "eu-central-1", allowed_account_ids: ["123456789012"], default_tags: [{ tags: { team: "orders" } }] }]);
  expect(tf.terraform.backend).toEqual({
    s3: { bucket: "acme-orders-terraform-state", key: "orders-dev.tfstate", region: "eu-central-1", encrypt: true, use_lockfile: true },
  });
});

test("Network: one shared NAT gateway and 90 days of flow logs, as set", () => {
  expect(resources("aws_nat_gateway")).toHaveLength(1);
  expect(resources("aws_subnet")).toHaveLength(4);
  expect(only("aws_vpc").cidr_block).toBe("10.42.0.0/16");
  const flowLogs = resources("aws_cloudwatch_log_group").find((g) => g.name === "/orders-dev/vpc-flow-logs");
  expect(flowLogs?.retention_in_days).toBe(90);
});

test("PostgresDatabase: the instance class, storage, backups and database name set, secure defaults kept", () => {
  expect(only("aws_db_instance")).toMatchObject({
    identifier: "orders-dev",
    instance_class: "db.r6g.large",
    allocated_storage: 100,
    max_allocated_storage: 500,
    backup_retention_period: 14,
    db_name: "orders",
    // Defaults the example leaves alone.
    multi_az: true,
    deletion_protection: true,
    storage_encrypted: true,
    publicly_accessible: false,
    manage_master_user_password: true,
    lifecycle: { prevent_destroy: true },
  });
  const ingress = resources("aws_vpc_security_group_ingress_rule");
  expect(ingress).toHaveLength(1);
  expect(ingress[0]).toMatchObject({ from_port: 5432, to_port: 5432, referenced_security_group_id: "${aws_security_group.Workers.id}" });
});

test("ContainerRegistry: 50 releases kept, and the worker role may pull from this repository only", () => {
  const registryAddress = `aws_ecr_repository.${Object.keys(tf.resource.aws_ecr_repository)[0]}`;
  expect(only("aws_ecr_repository")).toMatchObject({ name: "orders/worker", image_tag_mutability: "IMMUTABLE" });
  const rules = JSON.parse(only("aws_ecr_lifecycle_policy").policy).rules as Json[];
  expect(rules.find((r) => r.selection.tagStatus === "tagged")?.selection).toMatchObject({ countType: "imageCountMoreThan", countNumber: 50 });

  const pull = resources("aws_iam_role_policy").find((p) => p.role === "${aws_iam_role.WorkerRole.name}");
  const statements = JSON.parse(pull?.policy).Statement as Json[];
  expect(statements.find((s) => s.Sid === "PullImages")).toEqual({
    Sid: "PullImages",
    Effect: "Allow",
    Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    Resource: `\${${registryAddress}.arn}`,
  });
});
