/**
 * Jest's global setup: the folder of this run's Terraform slots (see ./terraform-run.ts), named in
 * SLIPWAY_TERRAFORM_SLOTS_DIR before any worker starts, so all of them share it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLOTS_DIR_VARIABLE } from "./terraform-run";

export default function setup(): void {
  process.env[SLOTS_DIR_VARIABLE] = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-terraform-slots-"));
}
