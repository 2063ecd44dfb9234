/**
 * `database: none`: an app without a database gets no RDS, no DATABASE_* variable, no credentials
 * mount, no database egress, no migration template or step, and says so in the synth summary and
 * the diagram; the other app keeps its database. Proven on the example platform with a second app.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { parse, stringify } from "yaml";
import { buildDiagrams } from "../../cli/diagram";
import { loadSynthesizedOutput } from "../../synthesized";
import { SynthResult, synthesize } from "../../cli/synth";
import { parsePlatform, PlatformFileError } from "../../platform/model";
import { buildPlatform } from "../../stacks";
import { actionlint } from "../support/actionlint";
import { exampleDocument, tempDir } from "../support/platform";
import { checkStacks, terraformForTests } from "../support/terraform";

type Json = any;

/** The example platform with a second app, `brochure`, that has no database (and so no migration). */
function withBrochure(change: (brochure: Json) => void = () => {}): Json {
  const doc = exampleDocument();
  const { migrate: _migrate, ...hello } = doc.apps[0];
  const brochure = {
    ...hello,
    name: "brochure",
    port: 8081,
    database: "none",
    domains: { dev: "brochure.dev.acme.example", staging: "brochure.staging.acme.example", prod: "brochure.acme.example" },
  };
  change(brochure);
  doc.apps.push(brochure);
  return doc;
}

const work = tempDir("slipway-no-database-");
const platformFile = path.join(work, "platform.yaml");
fs.writeFileSync(platformFile, stringify(withBrochure()));
const outdir = path.join(work, "out");
let result: SynthResult;
const stacks: Record<string, Json> = {};

beforeAll(() => {
  result = synthesize({ platformFile, outdir });
  for (const s of loadSynthesizedOutput(outdir).stacks) stacks[s.name] = s.json;
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const ENVIRONMENTS = ["dev", "staging", "prod"];
const resources = (stack: Json, type: string): Json[] => Object.values(stack.resource?.[type] ?? {});
const paths = (stack: Json): string[] =>
  Object.values<Json>(stack.resource ?? {}).flatMap((byName) => Object.values<Json>(byName).map((r) => String(r["//"]?.metadata?.path ?? "")));
const deliverWorkflow = (app: string): string =>
  resources(stacks[`${app}-delivery`], "github_repository_file").find((f) => f.file === ".github/workflows/deliver.yml").content;

describe("the platform model", () => {
  test("database defaults to postgres; none is kept", () => {
    const platform = parsePlatform(stringify(withBrochure()), "test.yaml");
    expect(platform.apps.map((a) => [a.name, a.database])).toEqual([
      ["hello", "postgres"],
      ["brochure", "none"],
    ]);
  });

  test("fails when an app without a database has a migrate command, naming the file, line, path and the database key", () => {
    const text = stringify(withBrochure((b) => (b.migrate = "python -m migrate")));
    const line = text.split("\n").findIndex((l, i, all) => /^\s+migrate: python -m migrate$/.test(l) && all.slice(0, i).some((x) => /name: brochure/.test(x))) + 1;
    expect(line).toBeGreaterThan(0);
    let error: unknown;
    try {
      parsePlatform(text, "test.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlatformFileError);
    const problems = (error as PlatformFileError).problems;
    expect(problems).toEqual([
      expect.objectContaining({ path: "apps[1].migrate", line, column: expect.any(Number), message: "a migration needs a database, but database is none: remove migrate, or set database: postgres" }),
    ]);
    expect((error as Error).message).toContain(`test.yaml:${line}:`);
  });

  test("fails when database is neither postgres nor none, listing both", () => {
    expect(() => parsePlatform(stringify(withBrochure((b) => (b.database = "mysql"))), "test.yaml")).toThrow(/apps\[1\]\.database: received string "mysql"; expected one of: "postgres", "none"/);
  });

  test("an app without a database may name its own DATABASE_URL secret (Slipway sets none); an app with one may not", () => {
    const platform = parsePlatform(stringify(withBrochure((b) => (b.secrets = ["DATABASE_URL"]))), "test.yaml");
    expect(platform.apps[1].secrets).toEqual(["DATABASE_URL"]);
    const doc = withBrochure();
    doc.apps[0].secrets = ["DATABASE_URL"];
    expect(() => parsePlatform(stringify(doc), "test.yaml")).toThrow(/apps\[0\]\.secrets\[0\]: DATABASE_URL is set by Slipway/);
  });
});

describe("an <app>-<env> stack without a database", () => {
  test.each(ENVIRONMENTS)("brochure-%s has no RDS, no database secret, no DATABASE_* variable and no migration CronJob; hello keeps all of them", (env) => {
    const brochure = stacks[`brochure-${env}`];
    const hello = stacks[`hello-${env}`];
    const types = (stack: Json) => Object.keys(stack.resource);
    expect(types(brochure).filter((t) => t.startsWith("aws_db_"))).toEqual([]);
    expect(types(hello).filter((t) => t.startsWith("aws_db_")).sort()).toEqual(expect.arrayContaining(["aws_db_instance", "aws_db_subnet_group"]));
    expect(paths(brochure).filter((p) => /\/Database(\/|$)/.test(p))).toEqual([]);
    const text = JSON.stringify(brochure);
    for (const word of ["DATABASE_", "master_user_secret", "/etc/ssl/rds", "5432"]) {
      expect([word, text.includes(word)]).toEqual([word, false]);
      expect([word, JSON.stringify(hello).includes(word)]).toEqual([word, true]);
    }
    const cronJobs = (stack: Json) => resources(stack, "kubernetes_cron_job_v1").map((c) => c.metadata.name);
    expect(cronJobs(brochure)).toEqual(["brochure-integration-test"]);
    expect(cronJobs(hello).sort()).toEqual(["hello-db-setup", "hello-integration-test", "hello-migrate"]);
    // The app's own secrets are still mounted; only the setup Job's master-secret SecretProviderClass is gone.
    const providerClasses = (stack: Json) => resources(stack, "kubernetes_manifest").filter((m) => m.manifest.kind === "SecretProviderClass").map((m) => m.manifest.metadata.name);
    expect(providerClasses(brochure)).toEqual(["brochure-app-secrets"]);
    expect(providerClasses(hello).sort()).toEqual(["hello-app-secrets", "hello-db-master"]);
  });

  test("no database egress: the network policies and the pod security group allow no PostgreSQL", () => {
    const brochure = stacks["brochure-prod"];
    const egressPorts = (stack: Json) =>
      resources(stack, "kubernetes_network_policy_v1").flatMap((p) => (p.spec.egress ?? []).flatMap((e: Json) => (e.ports ?? []).map((port: Json) => String(port.port))));
    expect(egressPorts(brochure)).not.toContain("5432");
    expect(egressPorts(stacks["hello-prod"])).toContain("5432");
    const sgEgress = (stack: Json) => resources(stack, "aws_vpc_security_group_egress_rule").map((r) => r.description);
    expect(sgEgress(brochure).filter((d: string) => /PostgreSQL/.test(d))).toEqual([]);
    expect(sgEgress(stacks["hello-prod"]).filter((d: string) => /PostgreSQL/.test(d))).toHaveLength(1);
  });

  test("the synth summary line says no database; the other app's names its Postgres", () => {
    const description = (name: string) => result.stacks.find((s) => s.name === name)!.description;
    expect(description("brochure-prod")).toMatch(/^brochure in prod: https:\/\/brochure\.acme\.example, \d+-\d+ replicas, no database(;|$)/);
    expect(description("brochure-prod")).not.toMatch(/Postgres/);
    expect(description("hello-prod")).toMatch(/replicas, Postgres 16 on db\.m6g\.large multi-AZ/);
  });

  test("the policy rules pass it: no database finding for it, no rule that failed to evaluate, no unused suppression", () => {
    const brochureFindings = result.policy.findings.filter((f) => f.stack.startsWith("brochure-"));
    expect(brochureFindings.filter((f) => /^SLW-RDS-/.test(f.rule.id))).toEqual([]);
    expect(result.policy.findings.filter((f) => /could not evaluate/.test(f.message))).toEqual([]);
    expect(result.policy.unusedSuppressions).toEqual([]);
  });

  test("a production override of deletion protection and Multi-AZ accepts no database finding for it (nothing to match), only the load balancer's", () => {
    const doc = withBrochure();
    doc.environments[2].protection = { deletionProtection: false, multiAz: false, overrideReason: "a short-lived trial environment until June" };
    const built = buildPlatform(new App({ outdir: path.join(work, "unused") }), parsePlatform(stringify(doc), "test.yaml"));
    const rules = (name: string) => built.stacks.find((s) => s.stackName === name)!.suppressions.map((s) => `${s.rule} ${s.path}`).sort();
    expect(rules("brochure-prod")).toEqual(["SLW-ALB-002 brochure-prod/LoadBalancer"]);
    expect(rules("hello-prod")).toEqual(["SLW-ALB-002 hello-prod/LoadBalancer", "SLW-RDS-006 hello-prod/Database", "SLW-RDS-007 hello-prod/Database"]);
  });

  test("the diagram draws a database for hello only", () => {
    const diagrams = buildDiagrams(loadSynthesizedOutput(outdir));
    expect(diagrams.map((d) => d.environment)).toEqual(ENVIRONMENTS);
    for (const d of diagrams) {
      expect([d.environment, d.apps]).toEqual([d.environment, ["brochure", "hello"]]);
      expect([d.environment, d.nodes.filter((n) => n.kind === "database").map((n) => n.app)]).toEqual([d.environment, ["hello"]]);
    }
  });
});

describe("the pipeline of an app without a database", () => {
  test("deliver.yml has no migrate step (hello's has one) and passes actionlint", () => {
    const stepIds = (yaml: string) => Object.values<Json>(parse(yaml).jobs).flatMap((job) => job.steps.map((s: Json) => s.id ?? s.name));
    const brochure = deliverWorkflow("brochure");
    expect(stepIds(brochure).filter((id) => /migrat/i.test(id))).toEqual([]);
    expect(brochure).not.toMatch(/MIGRATION_TEMPLATE|migrate/);
    // No database roles to set up either: the setup step is hello's only.
    expect(stepIds(brochure).filter((id) => id === "db-setup")).toEqual([]);
    expect(brochure).not.toMatch(/DATABASE_SETUP_TEMPLATE/);
    expect(stepIds(deliverWorkflow("hello")).filter((id) => id === "db-setup")).toHaveLength(ENVIRONMENTS.length);
    expect(stepIds(deliverWorkflow("hello")).filter((id) => id === "migrate")).toHaveLength(ENVIRONMENTS.length);
    expect(actionlint({ ".github/workflows/deliver.yml": brochure })).toEqual([]);
  });
});

const { tools, test: withTerraform } = terraformForTests("validate and plan of a stack without a database");

withTerraform("brochure-prod's AWS part validates and plans with real Terraform, creating no RDS", async () => {
  // Only this stack: each Terraform command starts the provider; the e2e tests plan the others.
  const [check] = await checkStacks({ "brochure-prod": stacks["brochure-prod"] }, tools!, 1);
  expect({ validate: check.validate.ok || check.validate.output, plan: check.plan.ok || check.plan.output }).toEqual({ validate: true, plan: true });
  expect(check.plan.output).not.toMatch(/aws_db_instance/);
  expect(check.plan.toAdd).toBeGreaterThan(20);
}, 180_000);
