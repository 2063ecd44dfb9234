/**
 * Jest's globalSetup: the run's shared folders, named in environment variables before any worker
 * starts, so every worker inherits them; global-teardown.ts removes them.
 * - `SLIPWAY_TEST_SYNTH_CACHE`: the synth cache (each platform synthesized once per run: `synthAll`
 *   in platform.ts).
 * - the Terraform slots (how many commands holding the aws provider run at once across the
 *   workers: terraform-run.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLOTS_DIR_VARIABLE } from "./terraform-run";

export default function globalSetup(): void {
  process.env.SLIPWAY_TEST_SYNTH_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-synth-cache-"));
  process.env[SLOTS_DIR_VARIABLE] = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-terraform-slots-"));
}
