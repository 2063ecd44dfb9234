/** `npm run check` (cli/check.ts): reading cdktf.out and slipway.json, exit codes, JSON, the rules doc, and the example platform. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateRulesDoc, main } from "../../cli/check";
import { loadSynthesizedOutput } from "../../synthesized";
import { synthesize } from "../../cli/synth";
import { ALL_RULES, evaluate } from "../../policy";
import { captureConsole, Captured } from "../support/console";
import { EXAMPLE_FILE, ROOT } from "../support/platform";

type Json = Record<string, any>;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-check-"));
  dirs.push(dir);
  return dir;
}

/** A synthesized folder: manifest.json, each stack's cdk.tf.json, and optionally slipway.json. */
function writeOutput(stacks: Record<string, Json>, summary?: Json): string {
  const outdir = tempDir();
  const manifest: Json = { stacks: {} };
  for (const [name, resource] of Object.entries(stacks)) {
    const file = path.join("stacks", name, "cdk.tf.json");
    fs.mkdirSync(path.join(outdir, "stacks", name), { recursive: true });
    const withPaths = Object.fromEntries(
      Object.entries<Json>(resource).map(([type, byName]) => [type, Object.fromEntries(Object.entries<Json>(byName).map(([n, c]) => [n, { "//": { metadata: { path: `${name}/${n}` } }, ...c }]))]),
    );
    fs.writeFileSync(path.join(outdir, file), JSON.stringify({ resource: withPaths }));
    manifest.stacks[name] = { name, synthesizedStackPath: file, dependencies: [] };
  }
  fs.writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify(manifest));
  if (summary) fs.writeFileSync(path.join(outdir, "slipway.json"), JSON.stringify(summary));
  return outdir;
}

/** Runs `main` outside CI and captures what it prints. */
function run(argv: string[]): Captured<number> {
  return captureConsole(() => main(argv));
}

// A database that passes every rule but SLW-PROD-001 (no prevent_destroy, high, production only).
const DATABASE = {
  aws_db_instance: {
    Database: {
      engine: "postgres",
      engine_version: "16.8",
      storage_encrypted: true,
      kms_key_id: "${aws_kms_key.Key.arn}",
      iam_database_authentication_enabled: true,
      manage_master_user_password: true,
      backup_retention_period: 7,
      deletion_protection: true,
      multi_az: true,
      enabled_cloudwatch_logs_exports: ["postgresql"],
      copy_tags_to_snapshot: true,
      vpc_security_group_ids: ["${aws_security_group.DatabaseSg.id}"],
    },
  },
  // Admits nobody yet (SLW-RDS-015 wants only security groups of the stack).
  aws_security_group: { DatabaseSg: { name_prefix: "hello-db-", vpc_id: "vpc-1" } },
  // Backed up and copied to another region's vault (SLW-BAK-001).
  aws_backup_plan: { Plan: { name: "hello", rule: [{ rule_name: "daily", target_vault_name: "hello-backup", copy_action: [{ destination_vault_arn: "arn:aws:backup:eu-central-1:111111111111:backup-vault:hello-backup" }] }] } },
  aws_backup_selection: { Selection: { name: "hello", plan_id: "${aws_backup_plan.Plan.id}", iam_role_arn: "arn:aws:iam::111111111111:role/backup", resources: ["${aws_db_instance.Database.arn}"] } },
};
const STACKS = { "hello-prod": DATABASE, "hello-dev": DATABASE, "hello-delivery": { github_repository_environment: { Prod: { environment: "prod", can_admins_bypass: false } } } };

describe("npm run check", () => {
  test("the committed docs/policy-rules.md is what generateRulesDoc renders", () => {
    expect(fs.readFileSync(path.join(ROOT, "docs", "policy-rules.md"), "utf8")).toBe(generateRulesDoc());
  });

  test("the rules doc has one row per rule with its references", () => {
    const doc = generateRulesDoc();
    for (const rule of ALL_RULES) expect(doc).toContain(`| ${rule.id} | ${rule.severity} | ${rule.productionOnly ? "yes" : "no"} |`);
    expect(doc).toContain("CKV_AWS_19, CKV_AWS_145, AVD-AWS-0088, AVD-AWS-0132");
  });

  test("exits 1 on an unsuppressed high finding; without slipway.json, -prod stacks are production", () => {
    const { code, out } = run(["--out", writeOutput(STACKS), "--no-color"]);
    expect(code).toBe(1);
    expect(out).toContain("production stacks hello-prod (no slipway.json: by name); production environments prod");
    expect(out).toContain("HIGH SLW-PROD-001 hello-prod hello-prod/Database: lifecycle.prevent_destroy is not set");
    expect(out).not.toContain("SLW-PROD-001 hello-dev");
    // The delivery stack is not production, but its "prod" environment is.
    expect(out).toContain('HIGH SLW-GH-004 hello-delivery hello-delivery/Prod: production environment "prod" has no required reviewers');
  });

  test("reads production flags, production environments and suppressions (paths relative to their stack) from slipway.json", () => {
    const outdir = writeOutput(STACKS, {
      stacks: [
        { name: "hello-prod", production: false },
        {
          name: "hello-dev",
          production: true,
          suppressions: [
            { rule: "SLW-PROD-001", path: "Database", reason: "dev data is disposable here" },
            // The fixture's database has no alarm (SLW-MON-001 watches production databases).
            { rule: "SLW-MON-001", path: "Database", reason: "nobody is paged for dev" },
          ],
        },
      ],
      productionEnvironments: ["production"],
    });
    const loaded = loadSynthesizedOutput(outdir);
    expect(loaded.stacks.map((s) => [s.name, s.production])).toEqual([
      ["hello-prod", false],
      ["hello-dev", true],
      ["hello-delivery", false],
    ]);
    expect(loaded.suppressions).toEqual([
      { rule: "SLW-PROD-001", path: "hello-dev/Database", reason: "dev data is disposable here" },
      { rule: "SLW-MON-001", path: "hello-dev/Database", reason: "nobody is paged for dev" },
    ]);
    const { code, out } = run(["--out", outdir, "--no-color"]);
    expect(out).toContain("SUPPRESSED (2)");
    expect(out).toContain("hello-dev/Database: lifecycle.prevent_destroy is not set: a plan that destroys or replaces this resource loses the database (suppressed: dev data is disposable here)");
    expect(out).not.toContain("SLW-GH-004");
    expect(out).toContain("No unsuppressed findings.");
    expect(code).toBe(0);
  });

  test("--json prints findings with rule ids, fixes and references", () => {
    const { code, out } = run(["--out", writeOutput(STACKS), "--json"]);
    expect(code).toBe(1);
    const json = JSON.parse(out);
    expect(json.productionStacks).toEqual(["hello-prod"]);
    expect(json.blocking).toBeGreaterThan(0);
    expect(json.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: "SLW-PROD-001", severity: "high", stack: "hello-prod", path: "hello-prod/Database", address: "aws_db_instance.Database", fix: expect.stringContaining("prevent_destroy") }),
      ]),
    );
  });

  test("exits 2 when there is nothing synthesized", () => {
    const { code, err } = run(["--out", path.join(tempDir(), "missing")]);
    expect(code).toBe(2);
    expect(err).toMatch(/manifest\.json not found: run `npm run synth` first/);
  });

  test("exits 2 on a suppression without a reason", () => {
    const outdir = writeOutput(STACKS, { stacks: [{ name: "hello-prod", production: true, suppressions: [{ rule: "SLW-PROD-001", path: "Database", reason: "" }] }] });
    const { code, err } = run(["--out", outdir]);
    expect(code).toBe(2);
    expect(err).toMatch(/suppression 1 \(rule "SLW-PROD-001", path "hello-prod\/Database"\): a reason of at least 10 characters is required/);
  });

  test("exits 2 on an unknown option", () => {
    expect(run(["--nope"]).code).toBe(2);
  });
});

describe("the example platform", () => {
  test("every rule evaluates every synthesized stack without failing to read a resource", () => {
    const outdir = path.join(tempDir(), "cdktf.out");
    synthesize({ platformFile: EXAMPLE_FILE, outdir });
    const loaded = loadSynthesizedOutput(outdir);
    expect(loaded.stacks.length).toBeGreaterThan(0);
    const result = evaluate(loaded.stacks, { rules: ALL_RULES, productionEnvironments: loaded.productionEnvironments });
    expect(result.findings.filter((f) => f.message.startsWith("the rule could not evaluate"))).toEqual([]);
    expect(result.stats.checks).toBeGreaterThan(0);
  });
});
