/**
 * Jest's globalSetup: the run's synth cache (see `synthAll` in platform.ts), a fresh folder whose
 * path the workers inherit in `SLIPWAY_TEST_SYNTH_CACHE`; global-teardown.ts removes it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export default function globalSetup(): void {
  process.env.SLIPWAY_TEST_SYNTH_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-synth-cache-"));
}
