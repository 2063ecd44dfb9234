/**
 * scripts/plan-summary.js over real `terraform show -json` output: the fixtures are plans of a
 * small AWS configuration made by Terraform 1.11 offline (__tests__/ci/fixtures/make-plans.js):
 * `create` (5 creates), `change` (an in-place update, a destroy, two replacements, a no-op) and
 * `no-changes`; and, with secrets in a top-level attribute (a database password), a nested block
 * (a broker user's password) and a sensitive output: `sensitive-create`, `sensitive-reviewed` (the
 * database's storage changes) and `sensitive-password` (its storage and its password change).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  COMMENT_MARKER,
  comparePlans,
  countChanges,
  driftReport,
  main,
  PlanJson,
  protectedChanges,
  readPlans,
  redactPlan,
  SENSITIVE,
  SENSITIVE_CHANGED,
  StackPlan,
  summarize,
} from "../../scripts/plan-summary";
import { ROOT, tempDir } from "../support/platform";

const fixture = (name: string): PlanJson => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", `${name}.json`), "utf8"));
const CREATE = fixture("create");
const CHANGE = fixture("change");
const NO_CHANGES = fixture("no-changes");
const SENSITIVE_CREATE = fixture("sensitive-create");
const SENSITIVE_REVIEWED = fixture("sensitive-reviewed");
const SENSITIVE_PASSWORD = fixture("sensitive-password");
/** The secrets the sensitive fixtures hold in plain text. */
const SECRETS = ["s3cret-DB-password-1", "s3cret-DB-password-2", "s3cret-MQ-password-1"];
const secretsIn = (value: unknown): string[] => SECRETS.filter((s) => JSON.stringify(value).includes(s));
const copy = (plan: PlanJson): any => JSON.parse(JSON.stringify(plan));
const SCRIPT = path.join(ROOT, "scripts", "plan-summary.js");

/** A plans folder as the summary job downloads it, and slipway.json beside it. */
function writePlans(dir: string, plans: Record<string, PlanJson | "missing" | "garbage">, production: string[] = []): string {
  for (const [stack, plan] of Object.entries(plans)) {
    if (plan === "missing") continue;
    fs.mkdirSync(path.join(dir, "plans", `plan-${stack}`), { recursive: true });
    fs.writeFileSync(path.join(dir, "plans", `plan-${stack}`, "plan.json"), plan === "garbage" ? "{not json" : JSON.stringify(plan));
  }
  const slipway = path.join(dir, "slipway.json");
  fs.writeFileSync(slipway, JSON.stringify({ stacks: Object.keys(plans).map((name) => ({ name, production: production.includes(name), dependsOn: [] })) }));
  return slipway;
}

function run(argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("countChanges", () => {
  test("counts like terraform plan: a replacement is one to add and one to destroy", () => {
    expect(countChanges(CREATE)).toEqual({ add: 5, change: 0, destroy: 0, replace: 0, forget: 0 });
    expect(countChanges(CHANGE)).toEqual({ add: 2, change: 1, destroy: 3, replace: 2, forget: 0 });
    expect(countChanges(NO_CHANGES)).toEqual({ add: 0, change: 0, destroy: 0, replace: 0, forget: 0 });
  });

  test("ignores data-source reads", () => {
    const plan = copy(NO_CHANGES);
    plan.resource_changes.push({ address: "data.aws_caller_identity.me", mode: "data", type: "aws_caller_identity", change: { actions: ["read"] } });
    expect(countChanges(plan)).toEqual({ add: 0, change: 0, destroy: 0, replace: 0, forget: 0 });
  });
});

describe("protectedChanges", () => {
  test("finds destroyed and replaced stateful resources of a production stack", () => {
    expect(protectedChanges(CHANGE, true)).toEqual([
      { address: "aws_ecr_repository.images", type: "aws_ecr_repository", action: "replace", loses: "every released image" },
      { address: "aws_s3_bucket.assets", type: "aws_s3_bucket", action: "destroy", loses: "the bucket's objects" },
    ]);
  });

  test("leaves updates, stateless replacements and non-production stacks alone", () => {
    const found = protectedChanges(CHANGE, true).map((c) => c.address);
    expect(found).not.toContain("aws_kms_key.key"); // updated in place
    expect(found).not.toContain("aws_sqs_queue.jobs"); // replaced, but holds nothing worth protecting here
    expect(protectedChanges(CHANGE, false)).toEqual([]);
    expect(protectedChanges(CREATE, true)).toEqual([]);
  });
});

describe("summarize", () => {
  test("one row per stack with adds, changes, replacements and destroys, under the hidden marker", () => {
    const plans: StackPlan[] = [
      { stack: "platform-dev", production: false, plan: CREATE },
      { stack: "hello-dev", production: false, plan: CHANGE },
      { stack: "hello-prod", production: true, plan: NO_CHANGES },
    ];
    const { markdown, blocked } = summarize(plans, { commit: "0123456789abcdef0123", runUrl: "https://github.com/acme-corp/infra/actions/runs/42" });
    expect(markdown.startsWith(`${COMMENT_MARKER}\n### Terraform plan for \`0123456789ab\``)).toBe(true);
    expect(markdown).toContain("**7 to add, 1 to change, 3 to destroy** (2 of them replacements) across 3 stacks.");
    expect(markdown).toContain("| `platform-dev` |  | 5 | 0 | 0 | 0 |  |");
    expect(markdown).toContain("| `hello-dev` |  | 2 | 1 | 2 | 3 | 2 replaced |");
    expect(markdown).toContain("| `hello-prod` | yes | 0 | 0 | 0 | 0 | no changes |");
    expect(markdown).toContain("- `hello-dev`: `aws_s3_bucket.assets` destroyed");
    expect(markdown).toContain("[the run](https://github.com/acme-corp/infra/actions/runs/42)");
    // Not production: destroys are listed, not blocked.
    expect(blocked).toEqual([]);
  });

  test("fails the check when a production plan destroys or replaces a protected resource", () => {
    const { markdown, blocked } = summarize([{ stack: "hello-prod", production: true, plan: CHANGE }]);
    expect(blocked).toEqual([
      "hello-prod: aws_ecr_repository.images would be replaced, losing every released image",
      "hello-prod: aws_s3_bucket.assets would be destroyed, losing the bucket's objects",
    ]);
    expect(markdown).toContain("**This plan destroys or replaces protected resources, so the check fails.**");
    expect(markdown).toContain(":no_entry: 2 protected resources destroyed");
  });

  test("passes protected destroys that the allow-destroy label accepts, still listing them", () => {
    const { markdown, blocked, protected: found } = summarize([{ stack: "hello-prod", production: true, plan: CHANGE }], { allowDestroy: true });
    expect(blocked).toEqual([]);
    expect(found.map((c) => c.address)).toEqual(["aws_ecr_repository.images", "aws_s3_bucket.assets"]);
    expect(markdown).toContain("the `slipway:allow-destroy` label allows it");
  });

  test("fails the check when a stack has no plan", () => {
    const { markdown, blocked } = summarize([{ stack: "hello-dev", production: false, error: "no plan: its job failed or was skipped" }]);
    expect(blocked).toEqual(["hello-dev: no plan: its job failed or was skipped"]);
    expect(markdown).toContain("| `hello-dev` |  | | | | | :x: no plan: its job failed or was skipped |");
  });
});

describe("readPlans", () => {
  test("reads plan-<stack>/plan.json for every stack of slipway.json, naming missing, errored and unreadable plans", () => {
    const dir = tempDir("slipway-plans-");
    try {
      const errored = { ...copy(CHANGE), errored: true };
      writePlans(dir, { a: CREATE, b: "missing", c: errored, d: "garbage" });
      const plans = readPlans(path.join(dir, "plans"), ["a", "b", "c", "d"].map((name) => ({ name, production: name === "a" })));
      expect(plans.map((p) => [p.stack, p.production, p.plan !== undefined, p.error])).toEqual([
        ["a", true, true, undefined],
        ["b", false, false, "no plan: its job failed or was skipped"],
        ["c", false, false, "Terraform reported an errored plan"],
        ["d", false, false, expect.stringMatching(/^unreadable plan JSON/)],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("redactPlan", () => {
  test("the fixtures hold the secrets in plain text, where terraform show -json puts them", () => {
    expect(secretsIn(SENSITIVE_CREATE)).toEqual(["s3cret-DB-password-1", "s3cret-MQ-password-1"]);
    expect(secretsIn(SENSITIVE_PASSWORD)).toEqual(SECRETS);
    const db = (SENSITIVE_PASSWORD.resource_changes ?? []).find((rc) => rc.address === "aws_db_instance.db")!;
    expect((db.change!.after as any).password).toBe("s3cret-DB-password-2");
    expect((SENSITIVE_PASSWORD as any).output_changes.db_password.after).toBe("s3cret-DB-password-2");
  });

  test("leaves no secret anywhere: resources, nested blocks, outputs, configuration, planned values and prior state", () => {
    for (const plan of [SENSITIVE_CREATE, SENSITIVE_REVIEWED, SENSITIVE_PASSWORD]) {
      const redacted = redactPlan(plan);
      expect(secretsIn(redacted)).toEqual([]);
      // The parts whose values cannot be masked reliably are gone; what the summary reads stays.
      expect(Object.keys(redacted).filter((k) => ["configuration", "variables", "planned_values", "prior_state"].includes(k))).toEqual([]);
      expect(countChanges(redacted)).toEqual(countChanges(plan));
    }
  });

  test("marks each secret in place, saying whether the plan changes it, and keeps every other value", () => {
    const change = (plan: PlanJson, address: string): any => redactPlan(plan).resource_changes!.find((rc) => rc.address === address)!.change;
    const reviewed = change(SENSITIVE_REVIEWED, "aws_db_instance.db");
    expect(reviewed.before.password).toBe(SENSITIVE);
    expect(reviewed.after.password).toBe(SENSITIVE);
    expect([reviewed.before.allocated_storage, reviewed.after.allocated_storage]).toEqual([20, 30]);
    expect(change(SENSITIVE_PASSWORD, "aws_db_instance.db").after.password).toBe(SENSITIVE_CHANGED);
    // A nested block Terraform marks sensitive as a whole.
    expect(change(SENSITIVE_REVIEWED, "aws_mq_broker.queue").after.user).toBe(SENSITIVE);
    expect(change(SENSITIVE_CREATE, "aws_db_instance.db").after.password).toBe(SENSITIVE_CHANGED);
    const outputs = (redactPlan(SENSITIVE_PASSWORD) as any).output_changes;
    expect(outputs.db_password.after).toBe(SENSITIVE_CHANGED);
    expect(outputs.db_identifier.after).toBe("acme-db");
  });

  test("the comparison works on the redacted forms: a changed value is found, a secret that changes only in the fresh plan too", () => {
    const reviewed = redactPlan(SENSITIVE_REVIEWED);
    expect(comparePlans(reviewed, SENSITIVE_REVIEWED)).toEqual([]);
    expect(comparePlans(reviewed, redactPlan(SENSITIVE_REVIEWED))).toEqual([]);
    const storage = copy(SENSITIVE_REVIEWED);
    storage.resource_changes.find((rc: any) => rc.address === "aws_db_instance.db").change.after.allocated_storage = 40;
    expect(comparePlans(reviewed, storage)).toEqual(["aws_db_instance.db: update differs in value allocated_storage"]);
    // Reviewed: the password stays; fresh: it changes. Never applied, and the message names no value.
    const differences = comparePlans(reviewed, SENSITIVE_PASSWORD);
    expect(differences).toEqual(["aws_db_instance.db: update differs in value password"]);
    expect(secretsIn(differences)).toEqual([]);
    // Two plans that both change the secret are taken as the same change: its value was never reviewable.
    const otherPassword = copy(SENSITIVE_PASSWORD);
    otherPassword.resource_changes.find((rc: any) => rc.address === "aws_db_instance.db").change.after.password = "s3cret-DB-password-3";
    expect(comparePlans(redactPlan(SENSITIVE_PASSWORD), otherPassword)).toEqual([]);
  });

  test("redact writes the redacted plan; compare accepts a redacted reviewed plan and an unredacted fresh one", () => {
    const dir = tempDir("slipway-redact-");
    try {
      const out = path.join(dir, "plan.json");
      expect(run(["redact", path.join(__dirname, "fixtures", "sensitive-password.json"), out]).code).toBe(0);
      const written = fs.readFileSync(out, "utf8");
      expect(secretsIn(written)).toEqual([]);
      expect(JSON.parse(written)).toEqual(redactPlan(SENSITIVE_PASSWORD));
      expect(run(["compare", out, path.join(__dirname, "fixtures", "sensitive-password.json")]).code).toBe(0);
      const differs = run(["compare", out, path.join(__dirname, "fixtures", "sensitive-reviewed.json")]);
      expect(differs.code).toBe(1);
      expect(differs.err).toContain("aws_db_instance.db: update differs in value password");
      expect(secretsIn(differs.err)).toEqual([]);
      expect(run(["redact", out]).code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("comparePlans", () => {
  test("accepts a fresh plan that makes the same changes, whatever its timestamp, prior state or refreshed values", () => {
    const fresh = copy(CHANGE);
    fresh.timestamp = "2030-01-01T00:00:00Z";
    delete fresh.prior_state;
    for (const rc of fresh.resource_changes) if (rc.change.before) rc.change.before.tags_all = { refreshed: "yes" };
    fresh.resource_changes.reverse();
    expect(comparePlans(CHANGE, fresh)).toEqual([]);
  });

  test("names the attribute paths whose planned values differ, never the values", () => {
    const fresh = copy(CHANGE);
    const key = fresh.resource_changes.find((rc: any) => rc.address === "aws_kms_key.key");
    key.change.after.description = "s3cr3t-description";
    key.change.after.tags = { owner: "someone" };
    const differences = comparePlans(CHANGE, fresh);
    expect(differences).toEqual(["aws_kms_key.key: update differs in value description, value tags"]);
    expect(differences.join("\n")).not.toContain("s3cr3t");
  });

  test("reports resources the reviewed plan did not touch, or touched differently", () => {
    expect(comparePlans(NO_CHANGES, CREATE)).toEqual([
      "aws_ecr_repository.images: reviewed no change, fresh plan create",
      "aws_kms_key.key: reviewed no change, fresh plan create",
      "aws_s3_bucket.assets: reviewed no change, fresh plan create",
      "aws_s3_bucket.logs: reviewed no change, fresh plan create",
      "aws_sqs_queue.jobs: reviewed no change, fresh plan create",
    ]);
    const fresh = copy(CHANGE);
    fresh.resource_changes = fresh.resource_changes.filter((rc: any) => rc.address !== "aws_s3_bucket.assets");
    fresh.resource_changes.find((rc: any) => rc.address === "aws_sqs_queue.jobs").change.actions = ["create", "delete"];
    expect(comparePlans(CHANGE, fresh)).toEqual([
      "aws_s3_bucket.assets: reviewed delete, fresh plan no change",
      "aws_sqs_queue.jobs: reviewed delete+create, fresh plan create+delete",
    ]);
  });

  test("notices values that became known or unknown only at apply", () => {
    const fresh = copy(CREATE);
    fresh.resource_changes.find((rc: any) => rc.address === "aws_kms_key.key").change.after_unknown.arn = false;
    expect(comparePlans(CREATE, fresh)).toEqual(["aws_kms_key.key: create differs in known-after-apply arn"]);
  });
});

describe("driftReport", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("slipway-drift-");
    const write = (stack: string, files: Record<string, string>) => {
      fs.mkdirSync(path.join(dir, `drift-${stack}`), { recursive: true });
      for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, `drift-${stack}`, f), content);
    };
    write("hello-prod", { exitcode: "2\n", "plan.json": JSON.stringify(CHANGE), "plan.txt": `  # aws_kms_key.key will be updated in-place\n${"x".repeat(60000)}` });
    write("hello-dev", { exitcode: "0\n" });
    write("hello-staging", { exitcode: "1\n" });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("drift: an issue body with the counts and the plan text, cut to fit an issue", () => {
    const report = driftReport(dir, { name: "hello-prod", production: true }, { runUrl: "https://example.test/run/1" });
    expect(report.status).toBe("drift");
    expect(report.title).toBe("Terraform drift in stack hello-prod");
    expect(report.body).toContain("[The nightly drift check](https://example.test/run/1) found that the real infrastructure of stack `hello-prod` (production)");
    expect(report.body).toContain("**2 to add, 1 to change, 3 to destroy** (2 replacements)");
    expect(report.body).toContain("# aws_kms_key.key will be updated in-place");
    expect(report.body).toContain("cut at 50000 characters");
    expect(report.body.length).toBeLessThan(65536);
  });

  test("clean, failed and missing results", () => {
    expect(driftReport(dir, { name: "hello-dev", production: false })).toMatchObject({ status: "clean", body: "No drift in the nightly drift check." });
    expect(driftReport(dir, { name: "hello-staging", production: false }).status).toBe("failed");
    expect(driftReport(dir, { name: "platform-dev", production: false }).status).toBe("missing");
  });

  test("drift-report writes one body per stack and status.tsv for the issue script", () => {
    const out = path.join(dir, "reports");
    const slipway = path.join(dir, "slipway.json");
    fs.writeFileSync(slipway, JSON.stringify({ stacks: ["hello-dev", "hello-staging", "hello-prod", "platform-dev"].map((name) => ({ name, production: name === "hello-prod" })) }));
    expect(run(["drift-report", "--dir", dir, "--slipway", slipway, "--out-dir", out]).code).toBe(0);
    expect(fs.readFileSync(path.join(out, "status.tsv"), "utf8")).toBe(
      [
        "hello-dev\tclean\tTerraform drift in stack hello-dev",
        "hello-staging\tfailed\tTerraform drift in stack hello-staging",
        "hello-prod\tdrift\tTerraform drift in stack hello-prod",
        "platform-dev\tmissing\tTerraform drift in stack platform-dev",
        "",
      ].join("\n"),
    );
    expect(fs.readFileSync(path.join(out, "hello-prod.md"), "utf8")).toMatch(/^The nightly drift check found that the real infrastructure of stack `hello-prod` \(production\)/);
    expect(fs.readFileSync(path.join(out, "hello-dev.md"), "utf8")).toBe("No drift in the nightly drift check.");
  });
});

describe("command line", () => {
  test("summarize writes the comment and exits 1 with an error annotation on a protected destroy", () => {
    const dir = tempDir("slipway-summary-");
    try {
      const slipway = writePlans(dir, { "platform-prod": NO_CHANGES, "hello-prod": CHANGE }, ["platform-prod", "hello-prod"]);
      const out = path.join(dir, "comment.md");
      const result = run(["summarize", "--plans", path.join(dir, "plans"), "--slipway", slipway, "--out", out, "--commit", "abc"]);
      expect(result.code).toBe(1);
      expect(result.err).toContain("::error title=Plan check failed::hello-prod: aws_s3_bucket.assets would be destroyed");
      expect(fs.readFileSync(out, "utf8")).toContain("| `hello-prod` | yes | 2 | 1 | 2 | 3 |");
      expect(run(["summarize", "--plans", path.join(dir, "plans"), "--slipway", slipway, "--out", out, "--allow-destroy"]).code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("compare exits 0 on a match and 1 listing differences, as a script run by node", () => {
    const same = spawnSync(process.execPath, [SCRIPT, "compare", path.join(__dirname, "fixtures", "change.json"), path.join(__dirname, "fixtures", "change.json")], { encoding: "utf8" });
    expect(same.status).toBe(0);
    expect(same.stdout).toContain("The fresh plan makes exactly the reviewed changes (2 to add, 1 to change, 3 to destroy).");
    const differs = spawnSync(process.execPath, [SCRIPT, "compare", path.join(__dirname, "fixtures", "no-changes.json"), path.join(__dirname, "fixtures", "change.json")], { encoding: "utf8" });
    expect(differs.status).toBe(1);
    expect(differs.stderr).toContain("::error title=Plan differs from the reviewed one::");
    expect(differs.stderr).toContain("aws_s3_bucket.assets: reviewed no change, fresh plan delete");
  });

  test("compare refuses an errored fresh plan", () => {
    const dir = tempDir("slipway-compare-");
    try {
      const errored = path.join(dir, "fresh.json");
      fs.writeFileSync(errored, JSON.stringify({ ...copy(CHANGE), errored: true }));
      const result = run(["compare", path.join(__dirname, "fixtures", "change.json"), errored]);
      expect(result.code).toBe(1);
      expect(result.err).toContain("nothing was applied");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad usage exits 2 with the usage", () => {
    expect(run([]).code).toBe(2);
    expect(run(["summarize", "--plans", "x"])).toMatchObject({ code: 2, err: expect.stringContaining("summarize needs --slipway") });
    expect(run(["compare", "only-one.json"]).code).toBe(2);
    expect(run(["frobnicate"]).err).toContain("unknown command frobnicate");
  });
});
