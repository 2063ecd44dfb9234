/**
 * `npm run schema`: writes the platform file's JSON Schema to schema/platform.schema.json, for
 * editors (the example file points at it). A test fails when the committed file is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { platformJsonSchema } from "../platform/schema";

export const SCHEMA_FILE = path.join("schema", "platform.schema.json");

export function renderSchema(): string {
  return `${JSON.stringify({ title: "Slipway platform file", ...platformJsonSchema() }, null, 2)}\n`;
}

export function main(): number {
  fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
  return 0;
}
