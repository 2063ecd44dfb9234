/**
 * The cdktf app: what `cdktf synth` / `cdktf deploy <stack>` run (through cdktf.json). It builds
 * every stack of the platform file named by $SLIPWAY_PLATFORM_FILE (default platform.yaml).
 * `npm run synth` does the same through cli/synth.ts, atomically and with a summary.
 */
import { App } from "cdktf";
import { loadPlatformFile, PlatformFileError } from "./platform/model";
import { buildPlatform, writeWorkflowFiles } from "./stacks";

const file = process.env.SLIPWAY_PLATFORM_FILE ?? "platform.yaml";
try {
  const app = new App();
  const built = buildPlatform(app, loadPlatformFile(file));
  app.synth();
  writeWorkflowFiles(app.outdir, built);
} catch (error) {
  if (!(error instanceof PlatformFileError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
