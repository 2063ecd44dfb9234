/**
 * Jest's globalSetup: the run's shared folders, named in environment variables before any worker
 * starts, so every worker inherits them; global-teardown.ts removes them.
 * - `SLIPWAY_TEST_SYNTH_CACHE`: the synth cache (each platform synthesized once per run: `synthAll`
 *   in platform.ts).
 * - `SLIPWAY_SLOTS_DIR`: the slots (how many memory-heavy commands, Terraform with the aws provider,
 *   TypeDoc, a TypeScript build, run at once across the workers: slots.ts).
 * - `NODE_OPTIONS` gains `--disable-warning=DEP0044` (see below).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLOTS_DIR_VARIABLE } from "./slots";

export default function globalSetup(): void {
  process.env.SLIPWAY_TEST_SYNTH_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-synth-cache-"));
  process.env[SLOTS_DIR_VARIABLE] = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-slots-"));
  // The workers synthesize in a test file's sandbox, whose `process` is not the one Node warns
  // through: the one deprecation cdktf causes on Node 22+ is turned off by flag instead, as every
  // command does in scripts/quiet-cdktf.js (Node 20.11+ knows the flag).
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, "--disable-warning=DEP0044"].filter(Boolean).join(" ");
}
