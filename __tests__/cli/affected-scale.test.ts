/**
 * Issue 15 §5: a one-app change in a many-app, 3-environment platform plans at most 4 stacks, all of
 * that app. Base and head are both synthesized whole, as the pull-request workflow does.
 *
 * 12 apps, not the 100: nothing in the property depends on the count. `slipway affected`
 * compares each stack of the base with the head's of the same name and follows the remote-state
 * outputs each stack reads (cli/affected.ts); another app only adds stacks that compare equal, and
 * target groups to `platform-<env>` that no other app's stack reads, and that holds for the 11
 * other apps here as for 99. What does change with the count is the NodePorts derived across apps,
 * which is proven on 100 apps in __tests__/constructs/canary.test.ts (a derived port steps past
 * every port another app takes). The 100-app figure itself is the bench's: `npm run bench` runs a
 * one-app pull request at 10 and 100 apps (`--pull-request`) and fails, with a FAILED goal line,
 * when the change plans more than 4 stacks or another app's (cli/bench.ts). Two 100-app synths
 * took two minutes of the suite.
 */
import * as fs from "node:fs";
import { stringify } from "yaml";
import { affectedStacks } from "../../cli/affected";
import { loadSynthesizedOutput } from "../../synthesized";
import { variantDocument } from "../support/variants";
import { synthDocument } from "../support/synth-output";

const APPS = 12;

/** 12 apps in dev, staging and prod, with an s3 backend (remote state read from the bucket). */
function manyApps(): any {
  const doc = variantDocument({
    apps: Array.from({ length: APPS }, (_, i) => `app${String(i).padStart(3, "0")}`),
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

it("a one-app change in a 12-app, 3-environment platform plans at most 4 stacks, all of that app", () => {
  const baseDoc = manyApps();
  const headDoc = manyApps();
  // An app in the middle: apps before and after it are unchanged.
  const app = headDoc.apps[7];
  app.env = { ...app.env, LOG_LEVEL: "debug" };
  app.replicas = { min: 3, max: 6 };
  const dirs = [synthDocument(baseDoc), synthDocument(headDoc)];
  try {
    const [base, head] = dirs.map((dir) => loadSynthesizedOutput(dir));
    expect(head.stacks).toHaveLength(2 + 3 * 2 + APPS * 4);
    const result = affectedStacks(base, head, { changedFiles: ["platform.yaml", ".github/workflows/slipway-plan.yml"], basePlatform: stringify(baseDoc), headPlatform: stringify(headDoc) });
    expect(result.all).toBe(false);
    expect(result.plan.length).toBeLessThanOrEqual(4);
    expect(result.plan).toEqual([
      { stack: "app007-dev", reasons: [{ kind: "changed" }] },
      { stack: "app007-prod", reasons: [{ kind: "changed" }] },
      { stack: "app007-staging", reasons: [{ kind: "changed" }] },
    ]);
    expect(result.skipped).toHaveLength(head.stacks.length - 3);
    expect(result.removed).toEqual([]);
  } finally {
    dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
  }
});
