/**
 * Issue 15 §5: a one-app change in a 100-app, 3-environment platform plans at most 4 stacks. Base
 * and head are both synthesized whole, as the pull-request workflow does.
 */
import * as fs from "node:fs";
import { stringify } from "yaml";
import { affectedStacks } from "../../cli/affected";
import { loadSynthesizedOutput } from "../../synthesized";
import { variantDocument } from "../support/variants";
import { synthDocument } from "../support/synth-output";

/** 100 apps in dev, staging and prod, with an s3 backend (remote state read from the bucket). */
function hundredApps(): any {
  const doc = variantDocument({
    apps: Array.from({ length: 100 }, (_, i) => `app${String(i).padStart(3, "0")}`),
    backend: { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1", keyPrefix: "slipway" },
  });
  const kept = ["dev", "staging", "prod"];
  doc.environments = doc.environments.filter((e: any) => kept.includes(e.name));
  for (const app of doc.apps) {
    app.domains = Object.fromEntries(kept.map((e) => [e, app.domains[e]]));
    app.overrides = {};
  }
  return doc;
}

it("a one-app change in a 100-app, 3-environment platform plans at most 4 stacks, all of that app", () => {
  const baseDoc = hundredApps();
  const headDoc = hundredApps();
  const app = headDoc.apps[42];
  app.env = { ...app.env, LOG_LEVEL: "debug" };
  app.replicas = { min: 3, max: 6 };
  const dirs = [synthDocument(baseDoc), synthDocument(headDoc)];
  try {
    const [base, head] = dirs.map((dir) => loadSynthesizedOutput(dir));
    expect(head.stacks).toHaveLength(2 + 3 * 2 + 100 * 4);
    const result = affectedStacks(base, head, { changedFiles: ["platform.yaml", ".github/workflows/slipway-plan.yml"], basePlatform: stringify(baseDoc), headPlatform: stringify(headDoc) });
    expect(result.all).toBe(false);
    expect(result.plan.length).toBeLessThanOrEqual(4);
    expect(result.plan).toEqual([
      { stack: "app042-dev", reasons: [{ kind: "changed" }] },
      { stack: "app042-prod", reasons: [{ kind: "changed" }] },
      { stack: "app042-staging", reasons: [{ kind: "changed" }] },
    ]);
    expect(result.skipped).toHaveLength(head.stacks.length - 3);
    expect(result.removed).toEqual([]);
  } finally {
    dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
  }
});
