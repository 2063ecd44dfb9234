/**
 * `npm run new-app` (cli/new-app.ts): the app it adds synthesizes; the platform file keeps every
 * byte outside the inserted block; every refusal names what is wrong, where, and leaves the file
 * byte-identical; `--dry-run` writes nothing and its diff applies; the `--json` shape.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { addApp, DATABASE_CHOICES, DEFAULT_DATABASE, main, NEW_APP_DEFAULTS, planNewApp, templateDefaults, templateNames, unifiedDiff } from "../../cli/new-app";
import { synthesize } from "../../cli/synth";
import { parsePlatform } from "../../platform/model";
import { appSchema } from "../../platform/schema";
import { captureConsole, Captured, EnvChanges, PLAIN_ENV } from "../support/console";
import { EXAMPLE_FILE, exampleDocument, ROOT, tempDir } from "../support/platform";

const work = tempDir("slipway-new-app-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const EXAMPLE = fs.readFileSync(EXAMPLE_FILE, "utf8");
let counter = 0;

/** A platform file with `text` in a folder of its own, so a stray temporary file would show. */
function platformFile(text: string, name = "platform.yaml"): string {
  const dir = path.join(work, `case-${++counter}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Runs the command in-process, stdout not a terminal unless `tty`. */
function run(argv: string[], env: EnvChanges = PLAIN_ENV, tty = false): Captured<number> {
  const saved = Object.getOwnPropertyDescriptor(process.stdout, "isTTY");
  Object.defineProperty(process.stdout, "isTTY", { value: tty, configurable: true });
  try {
    return captureConsole(() => main(argv), env);
  } finally {
    if (saved) Object.defineProperty(process.stdout, "isTTY", saved);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
}

/** `text` with `block` inserted after `anchor`, which must occur once: the only change a run may make. */
function insertedAfter(text: string, anchor: string, block: string): string {
  expect(text.split(anchor)).toHaveLength(2);
  return text.replace(anchor, anchor + block);
}

const ORDERS_BLOCK = [
  "  - name: orders",
  "    port: 8080",
  "    healthPath: /healthz",
  "    domains:",
  "      dev: orders.dev.acme.example",
  "      staging: orders.staging.acme.example",
  "      prod: orders.acme.example",
  "    test: python -m pytest -q tests/unit",
  "    migrate: python -m migrate",
  ...("integrationTest" in appSchema.shape ? ["    integrationTest: python -m pytest -q tests/integration"] : []),
  "",
].join("\n");

describe("adds an app", () => {
  test("the example platform gains orders after hello, and synth then builds its delivery stack and a stack per environment", () => {
    const file = platformFile(EXAMPLE);
    const result = run(["orders", "--platform", file]);
    expect(result).toMatchObject({ code: 0, err: "" });
    // Right after hello's last line, before the blank line and the environments.
    expect(fs.readFileSync(file, "utf8")).toBe(insertedAfter(EXAMPLE, "        replicas: { min: 3, max: 12 }\n", ORDERS_BLOCK));
    expect(fs.readdirSync(path.dirname(file))).toEqual(["platform.yaml"]); // no temporary file left

    const synth = synthesize({ platformFile: file, outdir: path.join(work, "synth-out") });
    const names = synth.stacks.map((s) => s.name);
    expect(names.filter((n) => n.startsWith("orders")).sort()).toEqual(["orders-delivery", "orders-dev", "orders-prod", "orders-staging"]);
    expect(names).toEqual(expect.arrayContaining(["platform-dev", "platform-staging", "platform-prod", "hello-delivery", "hello-dev", "hello-staging", "hello-prod"]));
    for (const stack of ["orders-delivery", "orders-dev", "orders-staging", "orders-prod"]) {
      expect(fs.existsSync(path.join(work, "synth-out", "stacks", stack, "cdk.tf.json"))).toBe(true);
    }
    expect(synth.stacks.find((s) => s.name === "orders-delivery")!.resourcesByType).toMatchObject({ github_repository: 1, aws_ecr_repository: 1 });
    // Two Deployments in prod: the app's and its canary's (prod releases through a canary).
    expect(synth.stacks.find((s) => s.name === "orders-prod")!.resourcesByType).toMatchObject({ aws_db_instance: 1, aws_cloudfront_distribution: 1, kubernetes_deployment_v1: 2 });
    expect(synth.urls.filter((u) => u.app === "orders")).toEqual([
      { app: "orders", environment: "dev", url: "https://orders.dev.acme.example" },
      { app: "orders", environment: "staging", url: "https://orders.staging.acme.example" },
      { app: "orders", environment: "prod", url: "https://orders.acme.example" },
    ]);
    const orders = synth.platform.apps.find((a) => a.name === "orders")!;
    const python = templateDefaults("python");
    expect(orders).toMatchObject({ port: python.port, healthPath: python.healthPath, testCommand: python.test, migrateCommand: python.migrate });
  });

  test("prints the stacks it adds and what happens next: synth, the pull request, the merge, secrets", () => {
    const file = platformFile(EXAMPLE);
    const { code, out } = run(["orders", "--platform", file]);
    expect(code).toBe(0);
    expect(out).toContain(`added app orders to ${file} (lines 31-${30 + ORDERS_BLOCK.split("\n").length - 1}, python template): orders-delivery, orders-dev, orders-staging, orders-prod`);
    expect(out).toContain("  dev: https://orders.dev.acme.example (the other apps' pattern {app}.dev.acme.example)");
    expect(out).toContain(`1. Run npm run synth -- --platform ${file}: it synthesizes the new stacks (orders-delivery, orders-dev, orders-staging, orders-prod)`);
    expect(out).toContain("2. Commit");
    expect(out).toContain("pull request on the infrastructure repository (acme-corp/acme-infrastructure)");
    expect(out).toMatch(/3\. Merging applies exactly the reviewed plans: orders-delivery creates the repository acme-corp\/orders with the python skeleton/);
    expect(out).toMatch(/first delivery: build once, test, then dev -> staging -> prod/);
    expect(out).toMatch(/4\. Secrets: .*npm run secret -- set orders <env> <NAME>/);
    expect(out).not.toMatch(/\u001b\[/); // not a terminal: no colour
  });

  test("a --domain flag wins over the pattern; an environment whose apps share no pattern needs one", () => {
    const doc = exampleDocument();
    doc.apps.push({ ...doc.apps[0], name: "api", domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.example.org" } });
    const text = stringify(doc);
    const plan = planNewApp(text, "p.yaml", { name: "orders", domains: { prod: "shop.example.com", dev: "orders.test.example" } });
    expect(plan.domains).toEqual([
      { environment: "dev", domain: "orders.test.example", from: "flag" },
      { environment: "staging", domain: "orders.staging.acme.example", from: "pattern", pattern: "{app}.staging.acme.example" },
      { environment: "prod", domain: "shop.example.com", from: "flag" },
    ]);
    // Patterns around the name on either side, at label or hyphen boundaries.
    const prefixed = exampleDocument();
    prefixed.apps[0].domains = { dev: "dev-hello.acme.example", staging: "hello-staging.acme.example", prod: "www.hello.example" };
    expect(planNewApp(stringify(prefixed), "p.yaml", { name: "orders" }).domains.map((d) => d.domain)).toEqual([
      "dev-orders.acme.example",
      "orders-staging.acme.example",
      "www.orders.example",
    ]);
  });

  test("the commands come from the template's manifest; port and health path from the one table of new-app defaults; integrationTest only where the schema has it", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "templates", "python", "slipway-template.json"), "utf8"));
    const plan = planNewApp(EXAMPLE, "p.yaml", { name: "orders", template: "python" });
    expect(plan.app).toMatchObject({ ...NEW_APP_DEFAULTS, test: manifest.commands.test, migrate: manifest.commands.migrate });
    expect(plan.app.integrationTest).toBe("integrationTest" in appSchema.shape ? manifest.commands.integrationTest : undefined);
  });

  test("a second template is a folder: its manifest's commands are written, and one without migrations writes no migrate", () => {
    const templates = path.join(work, "templates");
    fs.cpSync(path.join(ROOT, "templates", "python"), path.join(templates, "python"), { recursive: true });
    fs.mkdirSync(path.join(templates, "node"));
    fs.writeFileSync(path.join(templates, "node", "slipway-template.json"), JSON.stringify({ description: "Node web app", staticDirectory: "/app/public", commands: { test: "npm test" } }));
    expect(templateNames(templates)).toEqual(["node", "python"]);
    const plan = planNewApp(EXAMPLE, "p.yaml", { name: "orders", template: "node", templatesDirectory: templates });
    expect(plan.app).toEqual({ name: "orders", ...NEW_APP_DEFAULTS, domains: expect.any(Object), test: "npm test" });
    expect(() => planNewApp(EXAMPLE, "p.yaml", { name: "orders", template: "nod", templatesDirectory: templates })).toThrow(
      `--template: no template "nod" (did you mean "node"?); the templates are: node, python`,
    );
  });
});

describe("--database none", () => {
  test("writes database: none after test and no migrate, field by field; the rest of the file is unchanged", () => {
    const file = platformFile(EXAMPLE);
    expect(run(["orders", "--database", "none", "--platform", file])).toMatchObject({ code: 0, err: "" });
    const block = [
      "  - name: orders",
      "    port: 8080",
      "    healthPath: /healthz",
      "    domains:",
      "      dev: orders.dev.acme.example",
      "      staging: orders.staging.acme.example",
      "      prod: orders.acme.example",
      "    test: python -m pytest -q tests/unit",
      "    database: none",
      ...("integrationTest" in appSchema.shape ? ["    integrationTest: python -m pytest -q tests/integration"] : []),
      "",
    ].join("\n");
    const written = fs.readFileSync(file, "utf8");
    expect(written).toBe(insertedAfter(EXAMPLE, "        replicas: { min: 3, max: 12 }\n", block));
    // Read back as YAML: each field of the new app, and no migrate.
    const orders = (parse(written).apps as Record<string, unknown>[]).find((a) => a.name === "orders")!;
    expect(Object.keys(orders)).toEqual(["name", "port", "healthPath", "domains", "test", "database", ...("integrationTest" in appSchema.shape ? ["integrationTest"] : [])]);
    expect(orders.database).toBe("none");
    expect(orders).not.toHaveProperty("migrate");
    // The template's manifest does name a migration: --database none is why it is left out.
    expect(templateDefaults("python").migrate).toBeDefined();
  });

  test("the result validates as synth validates it: the model sees no database and no migration, synth builds the new app's stacks without RDS, and the other app keeps its own", () => {
    const plan = planNewApp(EXAMPLE, "p.yaml", { name: "orders", database: "none" });
    expect(plan.database).toBe("none");
    expect(plan.app).toMatchObject({ database: "none" });
    expect(parsePlatform(plan.text, "p.yaml")).toEqual(plan.platform);
    const orders = plan.platform.apps.find((a) => a.name === "orders")!;
    expect(orders.database).toBe("none");
    expect(orders.migrateCommand).toBeUndefined();
    expect(plan.platform.apps.find((a) => a.name === "hello")!).toMatchObject({ database: "postgres", migrateCommand: "python -m migrate" });
    // --database postgres is the schema's default: the key is not written, the migration is.
    const postgres = planNewApp(EXAMPLE, "p.yaml", { name: "orders", database: "postgres" });
    expect(postgres.app).toEqual(planNewApp(EXAMPLE, "p.yaml", { name: "orders" }).app);
    expect(postgres.app).not.toHaveProperty("database");
    expect(postgres.app.migrate).toBe("python -m migrate");
    expect(postgres.database).toBe(DEFAULT_DATABASE);
    expect(DEFAULT_DATABASE).toBe("postgres");

    // And synth builds it: the new app's stacks hold no database, hello's still do.
    const file = platformFile(plan.text);
    const synth = synthesize({ platformFile: file, outdir: path.join(work, "synth-none") });
    for (const env of ["dev", "staging", "prod"]) {
      expect(synth.stacks.find((s) => s.name === `orders-${env}`)!.resourcesByType).not.toHaveProperty("aws_db_instance");
      // prod releases through a canary (a second Deployment); dev hosts the previews (their router's Deployment).
      expect(synth.stacks.find((s) => s.name === `orders-${env}`)!.resourcesByType).toMatchObject({ kubernetes_deployment_v1: env === "staging" ? 1 : 2 });
      expect(synth.stacks.find((s) => s.name === `hello-${env}`)!.resourcesByType).toMatchObject({ aws_db_instance: 1 });
    }
  });

  test("prints that the app has no database: in the summary line and in the next steps", () => {
    const file = platformFile(EXAMPLE);
    const { code, out } = run(["orders", "--database", "none", "--platform", file]);
    expect(code).toBe(0);
    expect(out).toContain(`added app orders to ${file} (lines 31-`);
    expect(out).toMatch(/, python template, no database\): orders-delivery, orders-dev, orders-staging, orders-prod/);
    expect(out).toContain(
      "4. No database (database: none): orders-dev, orders-staging, orders-prod create no RDS instance, the pods get no DATABASE_* variables, and the pipeline runs no migration; the skeleton's health path answers without a database check.",
    );
    expect(out).toMatch(/5\. Secrets: /);
    // With a database, no such step.
    const withDatabase = run(["shop", "--platform", platformFile(EXAMPLE)]).out;
    expect(withDatabase).not.toMatch(/no database/i);
    expect(withDatabase).toMatch(/4\. Secrets: /);
    // --json: the database, and the step.
    const json = JSON.parse(run(["orders", "--database", "none", "--json", "--dry-run", "--platform", platformFile(EXAMPLE)]).out);
    expect(json.database).toBe("none");
    expect(json.app.database).toBe("none");
    expect(json.nextSteps).toHaveLength(5);
  });

  test("fails on a bad value for --database, listing postgres | none, and writes nothing", () => {
    const file = platformFile(EXAMPLE);
    for (const [value, hint] of [
      ["mysql", ""],
      ["nnoe", ` (did you mean "none"?)`],
      ["Postgres", ` (did you mean "postgres"?)`],
      ["", ""],
    ]) {
      const { code, out, err } = run(["orders", "--database", value, "--platform", file]);
      expect({ code, out }).toEqual({ code: 1, out: "" });
      expect(err).toContain(`--database: ${JSON.stringify(value)} is not a database kind${hint}; expected one of: postgres | none`);
      expect(err).toMatch(/^new-app: 1 problem; nothing was written/);
    }
    expect(fs.readFileSync(file, "utf8")).toBe(EXAMPLE);
    expect(DATABASE_CHOICES).toEqual(["postgres", "none"]);
    // Reported with the other problems at once.
    expect(() => planNewApp(EXAMPLE, "p.yaml", { name: "Orders", database: "sqlite" })).toThrow(/2 problems[\s\S]*<name>: "Orders"[\s\S]*--database: "sqlite" is not a database kind/);
  });

  test("the help lists the choices", () => {
    const { code, out } = run(["--help"]);
    expect(code).toBe(0);
    expect(out).toContain("[--database postgres|none]");
    expect(out).toContain("--database KIND    postgres | none (default: postgres)");
  });
});

describe("keeps the file's comments and layout byte for byte", () => {
  // Comments at every level and aligned after values, blank lines, flow maps and lists, quoted
  // scalars, a block scalar, and a document marker: everything a hand-kept file has.
  const HAND_KEPT = `%YAML 1.2
---
# Our platform. Keep apps alphabetical-ish.
name: acme   # short: it prefixes every cluster
github: { owner: acme-corp }

apps:
  # Customer-facing first.
  - name: hello          # the first one
    port: 8080
    healthPath: "/healthz"
    replicas: {min: 2, max: 4}
    env: { LOG_LEVEL: 'info', MOTD: "hi: there" }
    secrets: [ SESSION_KEY ]
    domains: {dev: hello.dev.acme.example, prod: hello.acme.example}
    test: |
      npm test
    overrides:
        prod:   # wider indentation here on purpose
            replicas: { min: 3, max: 12 }

  - name: api
    port: 9000
    healthPath: /ready
    domains:
      dev:  api.dev.acme.example     # aligned
      prod: api.acme.example         # aligned
    test: make test
      # closing note about api, indented under it

# Environments, in promotion order.
environments:
  - { name: dev, account: "111111111111", region: eu-west-1, network: { cidr: 10.10.0.0/16, zones: [eu-west-1a, eu-west-1b] } }
  - name: prod
    account: "222222222222"
    region: eu-west-1
    network: {cidr: 10.30.0.0/16, zones: [eu-west-1a, eu-west-1b]}
    approval: { reviewers: { teams: [{ slug: platform, id: 4818261 }] } }
`;

  const ADDED = [
    "",
    "  - name: orders",
    "    port: 8080",
    "    healthPath: /healthz",
    "    domains:",
    "      dev: orders.dev.acme.example",
    "      prod: orders.acme.example",
    "    test: python -m pytest -q tests/unit",
    "    migrate: python -m migrate",
    ...("integrationTest" in appSchema.shape ? ["    integrationTest: python -m pytest -q tests/integration"] : []),
    "",
  ].join("\n");

  test("a hand-kept file: the diff is exactly the inserted block, after the closing comment of the last app, separated by a blank line like the others", () => {
    const file = platformFile(HAND_KEPT);
    expect(run(["orders", "--platform", file]).code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(insertedAfter(HAND_KEPT, "# closing note about api, indented under it\n", ADDED));
  });

  test("CRLF line endings: the new lines end in CRLF too, and nothing else changes", () => {
    const crlf = HAND_KEPT.replace(/\n/g, "\r\n");
    const file = platformFile(crlf);
    expect(run(["orders", "--platform", file]).code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(insertedAfter(crlf, "# closing note about api, indented under it\r\n", ADDED.replace(/\n/g, "\r\n")));
  });

  test("items at the key's column, four-space steps, apps last in a file without a final newline", () => {
    const text = [
      "github:",
      "    owner: acme-corp",
      "environments:",
      "-   name: dev",
      "    account: '111111111111'",
      "    region: eu-west-1",
      "    network:",
      "        cidr: 10.10.0.0/16",
      "        zones: [eu-west-1a, eu-west-1b]",
      "apps:",
      "-   name: hello",
      "    port: 8080",
      "    healthPath: /healthz",
      "    domains:",
      "        dev: hello.dev.acme.example",
      "    test: npm test",
    ].join("\n");
    const file = platformFile(text);
    expect(run(["orders", "--platform", file]).code).toBe(0);
    const after = fs.readFileSync(file, "utf8");
    expect(after).toBe(
      `${text}\n${[
        "-   name: orders",
        "    port: 8080",
        "    healthPath: /healthz",
        "    domains:",
        "        dev: orders.dev.acme.example",
        "    test: python -m pytest -q tests/unit",
        "    migrate: python -m migrate",
        ...("integrationTest" in appSchema.shape ? ["    integrationTest: python -m pytest -q tests/integration"] : []),
      ].join("\n")}\n`,
    );
  });

  test("a last app ending in a block scalar: the new app follows its last line, the blank line stays before the environments", () => {
    const text = EXAMPLE.replace(/^    migrate: .*\n/m, "").replace(
      "        replicas: { min: 3, max: 12 }\n",
      "        replicas: { min: 3, max: 12 }\n    migrate: |\n      python -m migrate\n      echo done\n",
    );
    expect(text).not.toBe(EXAMPLE);
    const file = platformFile(text);
    expect(run(["orders", "--platform", file])).toMatchObject({ code: 0, err: "" });
    expect(fs.readFileSync(file, "utf8")).toBe(insertedAfter(text, "      echo done\n", ORDERS_BLOCK));
  });

  test("a file with a byte order mark keeps it", () => {
    const file = platformFile(`\ufeff${EXAMPLE}`);
    expect(run(["orders", "--platform", file]).code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(`\ufeff${insertedAfter(EXAMPLE, "        replicas: { min: 3, max: 12 }\n", ORDERS_BLOCK)}`);
  });

  test("a symbolic link stays a link to the edited file, which keeps its permissions", () => {
    const target = platformFile(EXAMPLE, "real.yaml");
    fs.chmodSync(target, 0o640);
    const link = path.join(path.dirname(target), "platform.yaml");
    fs.symlinkSync("real.yaml", link);
    expect(run(["orders", "--platform", link]).code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.statSync(target).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(target, "utf8")).toBe(insertedAfter(EXAMPLE, "        replicas: { min: 3, max: 12 }\n", ORDERS_BLOCK));
    expect(fs.readdirSync(path.dirname(target)).sort()).toEqual(["platform.yaml", "real.yaml"]);
  });
});

describe("refuses bad input before writing anything", () => {
  /** Runs the command on a copy of `text`; expects exit 1, nothing on stdout, and the folder unchanged. */
  function refused(argv: string[], text = EXAMPLE): string {
    const file = platformFile(text);
    const before = fs.readFileSync(file);
    const mtime = fs.statSync(file).mtimeMs;
    const { code, out, err } = run([...argv, "--platform", file]);
    expect({ code, out }).toEqual({ code: 1, out: "" });
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["platform.yaml"]);
    return err.split(file).join("<file>");
  }

  test("fails when the name is not a DNS label, or too long, with the schema's own message", () => {
    expect(refused(["Orders"])).toContain(`<name>: "Orders": an app name must be a DNS label: lower-case letters, digits and '-', starting with a letter and not ending with '-'`);
    expect(refused(["orders-and-returns"])).toContain(`<name>: "orders-and-returns": an app name must be at most 17 characters`);
    expect(refused(["Orders"])).toMatch(/^new-app: 1 problem; nothing was written, <file> is as it was:/);
  });

  test("fails on a name with control characters, printed escaped: no escape sequence reaches the terminal", () => {
    const err = refused(["\u001b[31mred"]);
    expect(err).toContain(`<name>: "\\u001b[31mred": an app name must be a DNS label`);
    expect(err).not.toContain("\u001b");
  });

  test("fails when an app of that name exists, pointing at its line", () => {
    expect(refused(["hello"])).toContain(`<file>:12:11: apps[0].name: an app named "hello" already exists; choose another name`);
  });

  test("fails on an unknown template, listing the valid ones", () => {
    expect(refused(["orders", "--template", "pyhton"])).toContain(`--template: no template "pyhton" (did you mean "python"?); the templates are: ${templateNames().join(", ")}`);
  });

  test("fails on a platform file that does not parse, or that synth refuses, with its own located problems", () => {
    const syntax = refused(["orders"], EXAMPLE.replace("  - name: hello\n", "  - name: hello\n   bad: [unclosed\n"));
    expect(syntax).toMatch(/<file>:\d+:\d+: YAML syntax error/);
    expect(syntax).toContain("Fix the platform file first: new-app edits only a file synth accepts. Nothing was written; <file> is as it was.");
    expect(refused(["orders"], EXAMPLE.replace("port: 8080", "port: eighty"))).toContain(`<file>:13:11: apps[0].port: expected number, received string "eighty"`);
  });

  test("fails on a file synth would not read (UTF-16), as synth does", () => {
    const file = platformFile("");
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(EXAMPLE, "utf16le")]));
    const before = fs.readFileSync(file);
    const { code, err } = run(["orders", "--platform", file]);
    expect(code).toBe(1);
    expect(err).toContain("the file is UTF-16 LE");
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  test("fails when an environment's domains share no pattern, saying what to pass", () => {
    const doc = exampleDocument();
    doc.apps.push({ ...doc.apps[0], name: "api", domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.example.org" } });
    expect(refused(["orders"], stringify(doc))).toContain(
      `--domain: no domain for environment "prod": the existing apps' domains there share no pattern with the app's name in it (hello: hello.acme.example, api: api.example.org); pass --domain prod=<host>`,
    );
    // Given, it goes through.
    const file = platformFile(stringify(doc));
    expect(run(["orders", "--platform", file, "--domain", "prod=orders.example.org"]).code).toBe(0);
  });

  test("fails on a --domain for an unknown environment, a malformed one, or one given twice", () => {
    expect(refused(["orders", "--domain", "prd=orders.acme.example"])).toContain(`--domain: "prd" names no environment of <file> (did you mean "prod"?); the environments are: dev, staging, prod`);
    expect(refused(["orders", "--domain", "prod"])).toContain(`new-app: --domain "prod": expected ENV=HOST, e.g. --domain prod=orders.example.com; nothing was written`);
    expect(refused(["orders", "--domain", "prod=a.example", "--domain", "prod=b.example"])).toContain("environment prod is given twice");
  });

  test("fails when the result is not valid as synth sees it (a bad domain), placing the problem in the new app", () => {
    const err = refused(["orders", "--domain", "dev=Orders_Dev.example"]);
    expect(err).toContain(`the new app (would be <file>:35:12): apps[1].domains.dev: "Orders_Dev.example"`);
    // Another app's domain: the model's rule, at the new app's line.
    expect(refused(["orders", "--domain", "dev=hello.dev.acme.example"])).toContain(`the new app (would be <file>:35:12): apps[1].domains.dev: "hello.dev.acme.example" is also apps[0].domains.dev's domain`);
    // A name only the model's cross-field rules refuse: reported at the new app's line.
    expect(refused(["postgres"])).toMatch(/the new app \(would be <file>:31:11\): apps\[1\]\.name: "postgres" is the name of a database RDS for PostgreSQL keeps/);
  });

  test("fails on a flow-style apps list, which cannot take an item without being rewritten", () => {
    const text = EXAMPLE.replace(/apps:\n[\s\S]*?\n\nenvironments:/, `apps: [{name: hello, port: 8080, healthPath: /healthz, test: make, domains: {dev: hello.dev.acme.example, staging: hello.staging.acme.example, prod: hello.acme.example}}]\n\nenvironments:`);
    expect(refused(["orders"], text)).toContain("<file>:11:7: apps is written as a flow list");
  });

  test("fails without a name, with two names, on an unknown option, or on a missing file", () => {
    expect(refused([])).toContain("new-app: name the app; nothing was written");
    expect(refused(["orders", "shop"])).toContain(`one app at a time (received "orders", "shop")`);
    expect(refused(["orders", "--colour"])).toMatch(/new-app: Unknown option '--colour'/);
    const { code, err } = run(["orders", "--platform", path.join(work, "missing.yaml")]);
    expect(code).toBe(1);
    expect(err).toContain("cannot read the platform file (no such file)");
  });
});

describe("--dry-run and --json", () => {
  test("--dry-run prints a diff that applies to the file, and writes nothing", () => {
    const file = platformFile(EXAMPLE);
    const { code, out } = run(["orders", "--platform", file, "--dry-run"]);
    expect(code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(EXAMPLE);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["platform.yaml"]);
    expect(out).toContain(`--- ${file}\n+++ ${file}\n@@ -28,6 +28,${6 + ORDERS_BLOCK.split("\n").length - 1} @@\n     overrides:`);
    expect(out).toContain("+  - name: orders\n+    port: 8080\n");
    expect(out).toContain(`would add app orders to ${file}`);
    expect(out).toContain("Dry run: nothing was written.");

    // The same diff with a relative name applies with git, giving what a real run writes.
    const dir = path.dirname(file);
    const expected = addApp(file, { name: "orders", dryRun: true }).text;
    fs.writeFileSync(path.join(dir, "change.diff"), unifiedDiff(EXAMPLE, expected, "platform.yaml"));
    execFileSync("git", ["apply", "change.diff"], { cwd: dir, stdio: "pipe" });
    expect(fs.readFileSync(file, "utf8")).toBe(expected);
  });

  test("a diff at the end of a file without a final newline marks it, and applies", () => {
    const dir = path.join(work, `case-${++counter}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "f.yaml"), "a\nb");
    const diff = unifiedDiff("a\nb", "a\nb\nc\n", "f.yaml");
    expect(diff).toBe("--- a/f.yaml\n+++ b/f.yaml\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n");
    fs.writeFileSync(path.join(dir, "change.diff"), diff);
    execFileSync("git", ["apply", "change.diff"], { cwd: dir, stdio: "pipe" });
    expect(fs.readFileSync(path.join(dir, "f.yaml"), "utf8")).toBe("a\nb\nc\n");
  });

  test("--json: each field", () => {
    const file = platformFile(EXAMPLE);
    const { code, out, err } = run(["orders", "--platform", file, "--json", "--dry-run"]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const json = JSON.parse(out);
    expect(Object.keys(json)).toEqual(["platformFile", "dryRun", "written", "template", "database", "app", "domains", "stacks", "lines", "diff", "nextSteps"]);
    expect(json.platformFile).toBe(file);
    expect(json.dryRun).toBe(true);
    expect(json.written).toBe(false);
    expect(json.template).toBe("python");
    expect(json.database).toBe("postgres");
    expect(json.app).toEqual(planNewApp(EXAMPLE, file, { name: "orders" }).app);
    expect(json.app).toMatchObject({ name: "orders", port: 8080, healthPath: "/healthz", domains: { dev: "orders.dev.acme.example", staging: "orders.staging.acme.example", prod: "orders.acme.example" } });
    expect(json.domains[0]).toEqual({ environment: "dev", domain: "orders.dev.acme.example", from: "pattern", pattern: "{app}.dev.acme.example" });
    expect(json.stacks).toEqual([
      { name: "orders-delivery", kind: "delivery" },
      { name: "orders-dev", kind: "app", environment: "dev" },
      { name: "orders-staging", kind: "app", environment: "staging" },
      { name: "orders-prod", kind: "app", environment: "prod" },
    ]);
    expect(json.lines).toEqual({ from: 31, to: 30 + ORDERS_BLOCK.split("\n").length - 1 });
    expect(json.diff).toBe(unifiedDiff(EXAMPLE, planNewApp(EXAMPLE, file, { name: "orders" }).text, file));
    expect(json.nextSteps).toHaveLength(4);
    expect(json.nextSteps[0]).toMatch(/^Run npm run synth/);
    expect(fs.readFileSync(file, "utf8")).toBe(EXAMPLE);
    // Written: the same shape, written true.
    const real = JSON.parse(run(["orders", "--platform", file, "--json"]).out);
    expect({ dryRun: real.dryRun, written: real.written }).toEqual({ dryRun: false, written: true });
    expect(fs.readFileSync(file, "utf8")).toBe(planNewApp(EXAMPLE, file, { name: "orders" }).text);
  });

  test("quiet in CI: one line; colour only on a terminal without NO_COLOR", () => {
    const quiet = run(["orders", "--platform", platformFile(EXAMPLE)], { ...PLAIN_ENV, CI: "true" });
    expect(quiet.code).toBe(0);
    expect(quiet.out.split("\n")).toHaveLength(1);
    expect(quiet.out).toMatch(/^added app orders to .* orders-delivery, orders-dev, orders-staging, orders-prod$/);
    const coloured = run(["orders", "--platform", platformFile(EXAMPLE)], { ...PLAIN_ENV, NO_COLOR: undefined, TERM: "xterm" }, true);
    expect(coloured.out).toMatch(/\u001b\[1morders\u001b\[22m/);
    const noColour = run(["orders", "--platform", platformFile(EXAMPLE)], { ...PLAIN_ENV, NO_COLOR: "1" }, true);
    expect(noColour.out).not.toMatch(/\u001b\[/);
  });
});
