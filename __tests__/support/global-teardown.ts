/** Jest's globalTeardown: removes the run's synth cache (global-setup.ts). */
import * as fs from "node:fs";

export default function globalTeardown(): void {
  const dir = process.env.SLIPWAY_TEST_SYNTH_CACHE;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
