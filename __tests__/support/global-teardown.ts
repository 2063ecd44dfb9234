/** Jest's globalTeardown: removes the run's shared folders (global-setup.ts). */
import * as fs from "node:fs";
import { SLOTS_DIR_VARIABLE } from "./slots";

export default function globalTeardown(): void {
  for (const dir of [process.env.SLIPWAY_TEST_SYNTH_CACHE, process.env[SLOTS_DIR_VARIABLE]]) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
