/**
 * The offline Terraform harness itself (__tests__/support/terraform.ts): it validates all stacks in
 * one run as modules of one root, so it must still fail a broken stack, name it, and pass the
 * others. A harness that said "valid" to everything would make every Terraform test worthless.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../support/platform";
import { checkSynthesizedStacks, terraformForTests } from "../support/terraform";

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
