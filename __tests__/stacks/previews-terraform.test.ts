/**
 * The previews' AWS resources with real Terraform, offline: hello-dev (which hosts hello's
 * previews: wildcard certificates and alias, the pr-* listener rule, the preview identity, its
 * registry, the database Job's identity and security group) and platform-dev (the router's target
 * group) validate and plan.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { synthesize } from "../../cli/synth";
import { exampleDocument, tempDir } from "../support/platform";
import { checkStacks, terraformForTests } from "../support/terraform";
import { loadSynthesizedOutput } from "../../synthesized";

const { tools, test: withTerraform } = terraformForTests("validate and plan of the previews' stacks");

withTerraform("hello-dev and platform-dev validate and plan, creating the previews' resources", async () => {
  const work = tempDir("slipway-previews-tf-");
  try {
    const platformFile = path.join(work, "platform.yaml");
    const doc = exampleDocument();
    // The DNS zone too, so the wildcard records are planned.
    doc.environments[0].dns = { hostedZoneId: "Z0123456789ABCDEFGHIJ" };
    fs.writeFileSync(platformFile, stringify(doc));
    const outdir = path.join(work, "out");
    synthesize({ platformFile, outdir });
    const output = loadSynthesizedOutput(outdir);
    const checks = await checkStacks({ "platform-dev": output.stack("platform-dev").json, "hello-dev": output.stack("hello-dev").json }, tools!, 1);
    const byName = Object.fromEntries(checks.map((c) => [c.stack, c]));
    for (const name of ["platform-dev", "hello-dev"]) {
      expect({ name, validate: byName[name].validate.ok || byName[name].validate.output, plan: byName[name].plan.ok || byName[name].plan.output }).toEqual({ name, validate: true, plan: true });
    }
    const dev = byName["hello-dev"].plan.output;
    for (const address of [
      "aws_lb_listener_rule.LoadBalancer_PreviewRule_",
      "aws_iam_role.PreviewAccess_Role_",
      "aws_ecr_repository.PreviewAccess_Registry_",
      "aws_eks_access_entry.PreviewAccess_Role_Eks0_AccessEntry_",
      "aws_iam_role.PreviewDatabaseIdentity_",
      "aws_security_group.Previews_PodSecurityGroup_",
      "aws_route53_record.PreviewDomainA will be created",
      "aws_route53_record.PreviewDomainAAAA will be created",
    ]) {
      expect({ address, planned: dev.includes(`# ${address}`) }).toEqual({ address, planned: true });
    }
    expect(dev).toMatch(/subject_alternative_names\s+=\s+\[\s+\+ "\*\.hello\.dev\.acme\.example",/);
    expect(byName["platform-dev"].plan.output).toContain("# aws_lb_target_group.PreviewTargets-hello_");
    expect(byName["platform-dev"].plan.output).toMatch(/name\s+= "hello-dev-pv"/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 300_000);
