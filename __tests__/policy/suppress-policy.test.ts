/** suppressPolicy(): a reasoned suppression next to the construct, carried in the JSON to the rules. */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { App, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { suppressPolicy } from "../../constructs";
import { SlipwayValidationError } from "../../constructs/util";
import { evaluate, PolicyConfigurationError } from "../../policy";
import { checkSynthesizedStacks, terraformForTests } from "../support/terraform";
import { loadSynthesizedOutput } from "../../synthesized";

const REASON = "scratch bucket for a load test, recreated every run";

/** Two bare buckets under `Scratch` and one beside it: each misses versioning (SLW-S3-003) and more. */
function build(scope: Construct, suppress: (scratch: Construct) => void = () => {}) {
  new AwsProvider(scope, "aws", { region: "eu-west-1" });
  const scratch = new Construct(scope, "Scratch");
  new S3Bucket(scratch, "A", { bucket: "scratch-a" });
  new S3Bucket(scratch, "B", { bucket: "scratch-b" });
  new S3Bucket(scope, "Other", { bucket: "other" });
  suppress(scratch);
}

/** The stack as written to disk: Testing.synth() strips the `//` metadata the rules read. */
function synth(suppress?: (scratch: Construct) => void) {
  const stack = new TerraformStack(Testing.app(), "demo");
  build(stack, suppress);
  const outdir = Testing.fullSynth(stack);
  try {
    return loadSynthesizedOutput(outdir).stack("demo").json;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const findingsOf = (json: any, rule: string) =>
  evaluate([{ name: "demo", production: false, json }]).findings.filter((f) => f.rule.id === rule).map((f) => [f.path, f.suppressed?.reason ?? null]);

describe("suppressPolicy", () => {
  test("writes the suppression into every resource below the construct, under the // comment key", () => {
    const json = synth((s) => suppressPolicy(s, "SLW-S3-003", REASON));
    const buckets = json.resource.aws_s3_bucket;
    const withSuppression = Object.values<any>(buckets).filter((b) => b["//"].slipway).map((b) => b["//"].metadata.path);
    expect(withSuppression.sort()).toEqual(["demo/Scratch/A", "demo/Scratch/B"]);
    expect(Object.values<any>(buckets).find((b) => b["//"].slipway)["//"].slipway).toEqual({ suppressions: [{ rule: "SLW-S3-003", reason: REASON }] });
    // the resource's own configuration is untouched
    expect(Object.values<any>(buckets).map((b) => b.bucket).sort()).toEqual(["other", "scratch-a", "scratch-b"]);
  });

  test("the rules report the finding as suppressed with its reason, only for that rule and only below the construct", () => {
    const json = synth((s) => suppressPolicy(s, "SLW-S3-003", REASON));
    expect(findingsOf(json, "SLW-S3-003")).toEqual([
      ["demo/Other", null],
      ["demo/Scratch/A", REASON],
      ["demo/Scratch/B", REASON],
    ]);
    // another rule on the same buckets stays open
    expect(findingsOf(json, "SLW-S3-002").every(([, reason]) => reason === null)).toBe(true);
    expect(findingsOf(json, "SLW-S3-002")).toHaveLength(3);
  });

  test("several suppressions accumulate on a resource; repeating one adds nothing", () => {
    const json = synth((s) => {
      suppressPolicy(s, "SLW-S3-003", REASON);
      suppressPolicy(s, "SLW-S3-002", "encryption comes from the account default");
      suppressPolicy(s, "SLW-S3-003", REASON);
    });
    const a = Object.values<any>(json.resource.aws_s3_bucket).find((b) => b.bucket === "scratch-a");
    expect(a["//"].slipway.suppressions.map((s: any) => s.rule)).toEqual(["SLW-S3-003", "SLW-S3-002"]);
  });

  test("a suppression that accepts nothing is reported as unused, with its path", () => {
    const json = synth((s) => suppressPolicy(s, "SLW-RDS-001", "no database here, kept by mistake"));
    const result = evaluate([{ name: "demo", production: false, json }]);
    expect(result.unusedSuppressions.map((s) => [s.rule, s.path]).sort()).toEqual([
      ["SLW-RDS-001", "demo/Scratch/A"],
      ["SLW-RDS-001", "demo/Scratch/B"],
    ]);
  });

  test("an unknown rule id stops the policy check with a suggestion", () => {
    const json = synth((s) => suppressPolicy(s, "SLW-S3-033", REASON));
    expect(() => evaluate([{ name: "demo", production: false, json }])).toThrow(PolicyConfigurationError);
    expect(() => evaluate([{ name: "demo", production: false, json }])).toThrow(/path "demo\/Scratch\/A".*unknown rule id; did you mean SLW-S3-003\?/);
  });

  test("fails at once without a reason or with a malformed rule id, naming the construct", () => {
    const stack = new TerraformStack(Testing.app(), "demo");
    const scratch = new Construct(stack, "Scratch");
    expect(() => suppressPolicy(scratch, "SLW-S3-003", "because")).toThrow(SlipwayValidationError);
    expect(() => suppressPolicy(scratch, "SLW-S3-003", "because")).toThrow(/demo\/Scratch.*suppressPolicy\(reason\).*at least 10 characters/s);
    expect(() => suppressPolicy(scratch, "CKV_AWS_21", REASON)).toThrow(/suppressPolicy\(rule\).*SLW-CF-004/s);
  });
});

const { tools, describe: describeWithTerraform } = terraformForTests("validate of suppressPolicy output");

describeWithTerraform("real Terraform, offline", () => {
  test("Terraform ignores the suppressions under the // key: validate passes", async () => {
    if (!tools) return;
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-suppress-"));
    try {
      const app = new App({ outdir });
      build(new TerraformStack(app, "suppressed"), (s) => suppressPolicy(s, "SLW-S3-003", REASON));
      app.synth();
      const [check] = await checkSynthesizedStacks(outdir, tools, 1, { plan: false });
      expect(check.validate.ok || check.validate.output).toBe(true);
      expect(check.validate.output).not.toMatch(/Warning/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
