/**
 * The cdktf app (`main.ts`, what `cdktf synth` / `cdktf deploy` run) writes what `npm run synth`
 * writes and runs the same policy rules; and a production override's reason accepts exactly the
 * findings it explains.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { synthesize } from "../../cli/synth";
import { EXAMPLE_FILE, exampleDocument, readTree, ROOT, tempDir } from "../support/platform";
import { withSlot } from "../support/slots";
import { loadSynthesizedOutput } from "../../synthesized";

let work: string;
beforeAll(() => {
  work = tempDir("slipway-main-");
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("main.ts, the cdktf app", () => {
  test("writes the same stacks, workflows and slipway.json as npm run synth", async () => {
    const viaCdktf = path.join(work, "cdktf-app");
    // A whole synth in its own process (about 200 MiB): one of the run's memory-heavy commands.
    await withSlot("synth (main.ts)", () =>
      execFileSync(process.execPath, [path.join(ROOT, "scripts", "run.js"), "main.ts"], {
        cwd: ROOT,
        env: { ...process.env, CDKTF_OUTDIR: viaCdktf, SLIPWAY_PLATFORM_FILE: EXAMPLE_FILE },
        stdio: "pipe",
      }),
    );
    const viaSynth = path.join(work, "npm-synth");
    synthesize({ platformFile: EXAMPLE_FILE, outdir: viaSynth });
    const a = readTree(viaCdktf);
    const b = readTree(viaSynth);
    const compared = [...b.keys()].filter((f) => f.startsWith("stacks/") || f.startsWith("workflows/") || f === "slipway.json").sort();
    expect(compared).toContain("slipway.json");
    expect(compared).toContain("stacks/hello-prod/cdk.tf.json");
    expect(compared).toContain("workflows/hello/deliver.yml");
    for (const file of compared) expect([file, a.get(file)?.equals(b.get(file)!)]).toEqual([file, true]);
  });

  test("a bad platform file fails the command with the file and path, like npm run synth", () => {
    const bad = path.join(work, "bad.yaml");
    const doc = exampleDocument();
    doc.apps[0].port = 70000;
    fs.writeFileSync(bad, stringify(doc));
    let status: number | null = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [path.join(ROOT, "scripts", "run.js"), "main.ts"], {
        cwd: ROOT,
        env: { ...process.env, CDKTF_OUTDIR: path.join(work, "bad-out"), SLIPWAY_PLATFORM_FILE: bad },
        stdio: "pipe",
      });
    } catch (error: any) {
      status = error.status;
      stderr = String(error.stderr);
    }
    expect(status).toBe(1);
    expect(stderr).toMatch(/bad\.yaml:\d+:\d+: apps\[0\]\.port: received number 70000; expected at most 65535/);
  });
});

describe("protection.overrideReason", () => {
  test("accepts the findings of the protections it turns off in production, with its reason, and nothing else", () => {
    const file = path.join(work, "override.yaml");
    const doc = exampleDocument();
    const prod = doc.environments.find((e: any) => e.name === "prod");
    prod.protection = { deletionProtection: false, multiAz: false, overrideReason: "load test week, restored on 2026-12-01" };
    fs.writeFileSync(file, stringify(doc));
    const result = synthesize({ platformFile: file, outdir: path.join(work, "override-out") });
    // The suppressions Slipway carries in code (CI identities: bootstrap stacks, the apply role's cluster access; the Cluster Autoscaler; the previews' manager role) aside.
    const ciIdentity = (p: string) => p.startsWith("bootstrap-") || p.includes("/ApplyRoleAdmin/") || p.includes("/ClusterAutoscaler/") || p.includes("/Previews/ManagerRole");
    const suppressed = result.policy.findings.filter((f) => f.suppressed && !ciIdentity(f.path)).map((f) => [f.rule.id, f.path, f.suppressed!.reason]);
    const because = "protection.overrideReason: load test week, restored on 2026-12-01";
    expect(result.policy.findings.filter((f) => f.suppressed && ciIdentity(f.path) && f.suppressed.reason === because)).toEqual([]);
    expect(suppressed.sort()).toEqual([
      ["SLW-ALB-002", "hello-prod/LoadBalancer/Resource", because],
      ["SLW-RDS-006", "hello-prod/Database/Resource", because],
      ["SLW-RDS-007", "hello-prod/Database/Resource", because],
    ]);
    expect(result.policy.unusedSuppressions).toEqual([]);
    const db = Object.values<any>(loadSynthesizedOutput(result.outdir).stack("hello-prod").json.resource.aws_db_instance)[0];
    expect([db.deletion_protection, db.multi_az]).toEqual([false, false]);
  });

  test("turning only Multi-AZ off accepts only the Multi-AZ finding", () => {
    const file = path.join(work, "multiaz.yaml");
    const doc = exampleDocument();
    doc.environments.find((e: any) => e.name === "prod").protection = { multiAz: false, overrideReason: "single-AZ while the region is migrated" };
    fs.writeFileSync(file, stringify(doc));
    const result = synthesize({ platformFile: file, outdir: path.join(work, "multiaz-out") });
    expect(result.policy.findings.filter((f) => f.suppressed && !f.path.startsWith("bootstrap-") && !f.path.includes("/ApplyRoleAdmin/") && !f.path.includes("/ClusterAutoscaler/") && !f.path.includes("/Previews/ManagerRole")).map((f) => f.rule.id)).toEqual(["SLW-RDS-007"]);
  });
});
