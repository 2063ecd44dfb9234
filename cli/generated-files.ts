/**
 * Generated files kept in the repository (the infrastructure workflows, the diagrams): how the
 * files on disk differ from what the generator makes now, for `--check` and for rewriting.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface StaleFile {
  /** The file's name inside the folder. */
  readonly name: string;
  /** Path as given: `<dir>/<name>`. */
  readonly file: string;
  /** `missing`: not on disk; `differs`: other content; `extra`: generated earlier, no longer produced. */
  readonly problem: "missing" | "differs" | "extra";
  /** For `differs`: the first differing line, 1-based, and both versions of it. */
  readonly line?: { readonly number: number; readonly onDisk: string; readonly generated: string };
}

/**
 * Compares `dir` with `expected` (name -> content). Files in `dir` that `expected` lacks are
 * `extra` only when `generatedHere(name, content)` says this generator wrote them, so files of
 * others in the same folder are never reported or removed.
 */
export function staleGeneratedFiles(
  dir: string,
  expected: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  generatedHere: (name: string, content: string) => boolean,
): StaleFile[] {
  const entries = expected instanceof Map ? new Map(expected) : new Map(Object.entries(expected));
  const stale: StaleFile[] = [];
  for (const [name, content] of entries) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      stale.push({ name, file, problem: "missing" });
      continue;
    }
    const onDisk = fs.readFileSync(file, "utf8");
    if (onDisk === content) continue;
    const a = onDisk.split("\n");
    const b = content.split("\n");
    let i = 0;
    while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
    stale.push({ name, file, problem: "differs", line: { number: i + 1, onDisk: a[i] ?? "(end of file)", generated: b[i] ?? "(end of file)" } });
  }
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const file = path.join(dir, name);
    if (entries.has(name) || !fs.statSync(file).isFile()) continue;
    if (generatedHere(name, fs.readFileSync(file, "utf8"))) stale.push({ name, file, problem: "extra" });
  }
  return stale;
}

/** One line (two more for `differs`) saying what is stale about a file. */
export function describeStale(s: StaleFile): string {
  const cut = (text: string) => (text.length > 120 ? `${text.slice(0, 117)}...` : text);
  switch (s.problem) {
    case "missing":
      return `  ${s.file}: missing`;
    case "extra":
      return `  ${s.file}: generated earlier but no longer produced`;
    case "differs":
      return `  ${s.file}: differs from line ${s.line!.number}\n    committed: ${cut(s.line!.onDisk.trim())}\n    generated: ${cut(s.line!.generated.trim())}`;
  }
}
