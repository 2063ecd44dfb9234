/** Jest's global teardown: removes the run's Terraform slots folder (./terraform-slots-setup.ts). */
import * as fs from "node:fs";
import { SLOTS_DIR_VARIABLE } from "./terraform-run";

export default function teardown(): void {
  const dir = process.env[SLOTS_DIR_VARIABLE];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
