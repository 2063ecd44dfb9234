/**
 * The cdktf app: what `cdktf synth` / `cdktf deploy <stack>` run (through cdktf.json). It builds
 * every stack of the platform file named by $SLIPWAY_PLATFORM_FILE (default platform.yaml), writes
 * the app workflows and `slipway.json`, and runs the policy rules: a high finding fails the command.
 * `npm run synth` does the same through cli/synth.ts, atomically and with a summary; cdktf writes
 * its output folder itself, so here a failure can leave it half-updated.
 */
import { App } from "cdktf";
import { completeSynthesizedOutput, isSynthFailure } from "./cli/synth";
import { withoutTokenCreationStacks } from "./cli/token-stacks";
import { loadPlatformFile } from "./platform/model";
import { PolicyViolationError } from "./policy";
import { buildPlatform } from "./stacks";

const file = process.env.SLIPWAY_PLATFORM_FILE ?? "platform.yaml";
try {
  const platform = loadPlatformFile(file);
  const app = new App();
  const built = withoutTokenCreationStacks(() => {
    const stacks = buildPlatform(app, platform);
    app.synth();
    return stacks;
  });
  completeSynthesizedOutput(app.outdir, platform, built);
} catch (error) {
  if (!isSynthFailure(error)) throw error;
  console.error(error instanceof PolicyViolationError ? `${error.message}\nFix the resources, or accept a finding with a reasoned suppression in ${file}.` : error.message);
  process.exitCode = 1;
}
