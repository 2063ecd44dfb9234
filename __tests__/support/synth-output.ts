/** A platform document synthesized into a `cdktf.out`-shaped folder, as `slipway affected` reads it. */
import { App } from "cdktf";
import { stringify } from "yaml";
import { parsePlatform } from "../../platform/model";
import { buildPlatform } from "../../stacks";
import { withoutTokenCreationStacks } from "../../cli/token-stacks";
import { tempDir } from "./platform";

/**
 * Synthesizes `doc` (a platform document) into a new temporary folder and returns it: cdktf's
 * `manifest.json` and `stacks/<stack>/cdk.tf.json`, the whole app at once so cross-stack references
 * become remote state, as `npm run synth` writes them (without the policy check and workflows).
 */
export function synthDocument(doc: unknown, prefix = "slipway-out-"): string {
  const outdir = tempDir(prefix);
  const platform = parsePlatform(stringify(doc), "platform.yaml");
  withoutTokenCreationStacks(() => {
    const app = new App({ outdir });
    buildPlatform(app, platform);
    app.synth();
  });
  return outdir;
}
