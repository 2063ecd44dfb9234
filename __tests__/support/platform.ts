/** Platform files for tests: the example, and variants built from it. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { parsePlatform, PlatformConfig } from "../../platform/model";

export const ROOT = path.resolve(__dirname, "..", "..");
export const EXAMPLE_FILE = path.join(ROOT, "platform.yaml");

/** The example platform file as a plain object, to change in a test. */
export function exampleDocument(): any {
  return parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
}

/** The example platform, validated, with `change` applied to its document first. */
export function examplePlatform(change: (doc: any) => void = () => {}): PlatformConfig {
  const doc = exampleDocument();
  change(doc);
  return parsePlatform(stringify(doc), "test.yaml");
}

/** A fresh temporary folder, removed by the OS eventually; tests remove theirs when done. */
export function tempDir(prefix = "slipway-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file below `dir`, path -> bytes, for byte-for-byte comparisons. */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const visit = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full));
    }
  };
  visit(dir);
  return files;
}
