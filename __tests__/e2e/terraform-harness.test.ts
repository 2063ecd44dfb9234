/**
 * The offline Terraform harness itself (__tests__/support/terraform.ts): without a plan it validates
 * all stacks in one run as modules of one root, and with one it takes a stack's successful plan as
 * its validation; either way it must still fail a broken stack, name it, and pass the others. A
 * harness that said "valid" to everything would make every Terraform test worthless.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../support/platform";
import { checkStacks, checkSynthesizedStacks, terraformForTests, VALIDATED_BY_PLAN } from "../support/terraform";

const { tools, test: withTerraform } = terraformForTests("harness check");

/** A cdktf-shaped output folder: manifest.json and stacks/<name>/cdk.tf.json. */
function synthesizedOutput(stacks: Record<string, object>): string {
  const outdir = tempDir("slipway-harness-");
  const manifest: Record<string, { synthesizedStackPath: string }> = {};
  for (const [name, stack] of Object.entries(stacks)) {
    const file = path.join("stacks", name, "cdk.tf.json");
    fs.mkdirSync(path.join(outdir, "stacks", name), { recursive: true });
    fs.writeFileSync(path.join(outdir, file), JSON.stringify(stack));
    manifest[name] = { synthesizedStackPath: file };
  }
  fs.writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify({ version: "0.21.0", stacks: manifest }));
  return outdir;
}

const bucketStack = (bucket: object) => ({
  terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } }, backend: { local: { path: "state.tfstate" } } },
  provider: { aws: [{ region: "eu-west-1" }] },
  resource: { aws_s3_bucket: { Bucket: bucket } },
});

withTerraform("a stack with an unknown attribute fails validate under its own name; the valid stack passes", async () => {
  const outdir = synthesizedOutput({
    good: bucketStack({ bucket: "slipway-harness-good" }),
    broken: bucketStack({ bucket: "slipway-harness-broken", no_such_attribute: true }),
  });
  try {
    const checks = await checkSynthesizedStacks(outdir, tools!, 2, { plan: false });
    expect(checks.map((c) => [c.stack, c.validate.ok])).toEqual([
      ["good", true],
      ["broken", false],
    ]);
    expect(checks[1].validate.output).toMatch(/^Error: Extraneous JSON object property\n\n {2}on broken\/main\.tf\.json line \d+:/);
    expect(checks[1].validate.output).toContain('No argument or block type is named "no_such_attribute".');
    expect(checks[0].validate.output).not.toMatch(/no_such_attribute/);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

withTerraform("with a plan: the broken stack fails validate under its own name, with validate's own output; the valid stack validates through its plan", async () => {
  // Stacks without a provider to start (outputs only): the harness's logic is the same, and
  // Terraform answers in a tenth of a second instead of two.
  const outputsOnly = (value: string) => ({ terraform: { backend: { local: { path: "state.tfstate" } } }, output: { value: { value } } });
  const checks = await checkStacks({ good: outputsOnly("fine"), broken: outputsOnly("${aws_s3_bucket.missing.id}") }, tools!, 2);
  expect(checks.map((c) => [c.stack, c.validate.ok, c.plan.ok])).toEqual([
    ["good", true, true],
    ["broken", false, false],
  ]);
  expect(checks[0].validate.output).toBe(VALIDATED_BY_PLAN);
  expect(checks[0].plan.output).toMatch(/Changes to Outputs:[\s\S]*\+ value = "fine"/);
  expect(checks[1].validate.output).toMatch(/^\s*Error: Reference to undeclared resource\n\n {2}on main\.tf\.json line \d+/m);
  expect(checks[1].validate.output).toMatch(/A managed resource "aws_s3_bucket" "missing" has not been declared in\s+the\s+root module\./);
  expect(checks[0].validate.output + checks[0].plan.output).not.toMatch(/missing/);
});
