/**
 * Every generated workflow (each app's pipeline for the example platform, the infrastructure CI,
 * and the committed copies) pins every action to a commit SHA of constructs/actions.ts, with that
 * entry's release as the comment; and the table itself is well-formed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { parse } from "yaml";
import { ACTIONS, PINNED_USES, PinnedAction, usesOf } from "../../constructs/actions";
import { DEFAULT_WORKFLOWS_DIR, infraWorkflows } from "../../cli/infra-workflows";
import { loadPlatformFile } from "../../platform/model";
import { buildPlatform } from "../../stacks";
import { EXAMPLE_FILE, ROOT, tempDir } from "../support/platform";

const TABLE: Array<[string, PinnedAction]> = Object.entries(ACTIONS);
const SEMVER = /^v\d+\.\d+\.\d+$/;

/** Every `uses:` problem of one workflow's YAML text: a line not `uses: <pin> # <release>` of a table entry, or a `uses` key anywhere that is not pinned. */
function unpinned(yaml: string): string[] {
  const problems: string[] = [];
  yaml.split("\n").forEach((line, i) => {
    if (!/^\s*(-\s+)?uses:/.test(line)) return;
    const match = /^\s*(?:-\s+)?uses: (\S+) # (\S+)$/.exec(line);
    const entry = match && TABLE.find(([, a]) => usesOf(a) === match[1]);
    if (!match || !entry || entry[1].release !== match[2]) problems.push(`line ${i + 1}: ${line.trim()}`);
  });
  // Keys the line scan could miss (flow style, a reusable workflow's jobs.<id>.uses).
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) node.forEach((item, i) => visit(item, `${where}[${i}]`));
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "uses" && !(typeof value === "string" && PINNED_USES.test(value))) problems.push(`${where}.uses: ${JSON.stringify(value)}`);
        visit(value, `${where}.${key}`);
      }
    }
  };
  visit(parse(yaml), "");
  return problems;
}

/** Every generated workflow, by a name that says where it comes from. */
function generatedWorkflows(): Record<string, string> {
  const platform = loadPlatformFile(EXAMPLE_FILE);
  const outdir = tempDir();
  try {
    const built = buildPlatform(new App({ outdir }), platform);
    const files: Record<string, string> = {};
    for (const stack of built.deliveryStacks) {
      for (const [file, yaml] of Object.entries(stack.pipeline.workflows)) files[`${stack.app.name}: ${file}`] = yaml;
    }
    for (const [file, yaml] of Object.entries(infraWorkflows(platform))) files[`infrastructure: ${file}`] = yaml;
    const committed = path.join(ROOT, DEFAULT_WORKFLOWS_DIR);
    for (const file of fs.readdirSync(committed).filter((f) => /\.ya?ml$/.test(f))) files[`committed: ${file}`] = fs.readFileSync(path.join(committed, file), "utf8");
    return files;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe("action pins", () => {
  const files = generatedWorkflows();

  test("every uses: of every generated workflow is a table pin with its release", () => {
    const names = Object.keys(files);
    expect(names.filter((n) => n.includes(".github/workflows/deliver.yml")).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.startsWith("infrastructure:"))).toHaveLength(3);
    expect(names.filter((n) => n.startsWith("committed:")).length).toBeGreaterThanOrEqual(3);
    for (const [name, yaml] of Object.entries(files)) {
      expect({ name, problems: unpinned(yaml) }).toEqual({ name, problems: [] });
    }
  });

  test("the scan finds unpinned uses (it is not vacuous)", () => {
    const checkout = usesOf(ACTIONS.checkout);
    const yaml = [
      "jobs:",
      "  a:",
      "    steps:",
      `      - uses: ${checkout} # ${ACTIONS.checkout.release}`,
      "      - uses: actions/checkout@v7.0.1",
      `      - uses: ${checkout}`,
      `      - uses: ${checkout} # v1.0.0`,
      "      - { uses: actions/setup-node@v7 }",
      "  b:",
      "    uses: acme/workflows/.github/workflows/x.yml@main",
      "",
    ].join("\n");
    expect(unpinned(yaml)).toEqual([
      "line 5: - uses: actions/checkout@v7.0.1",
      `line 6: - uses: ${checkout}`,
      `line 7: - uses: ${checkout} # v1.0.0`,
      "line 10: uses: acme/workflows/.github/workflows/x.yml@main",
      '.jobs.a.steps[1].uses: "actions/checkout@v7.0.1"',
      '.jobs.a.steps[4].uses: "actions/setup-node@v7"',
      '.jobs.b.uses: "acme/workflows/.github/workflows/x.yml@main"',
    ]);
  });

  test("every table entry is a 40-hex commit SHA with a semver release, resolved from the action's own repository", () => {
    expect(TABLE.length).toBeGreaterThan(0);
    for (const [name, a] of TABLE) {
      const [owner, repo] = a.action.split("/");
      expect({ name, sha: /^[0-9a-f]{40}$/.test(a.sha), release: SEMVER.test(a.release) }).toEqual({ name, sha: true, release: true });
      expect({ name, source: a.source }).toEqual({ name, source: `https://github.com/${owner}/${repo}` });
      expect({ name, resolvedOn: /^\d{4}-\d{2}-\d{2}$/.test(a.resolvedOn) && !Number.isNaN(Date.parse(a.resolvedOn)) }).toEqual({ name, resolvedOn: true });
      expect({ name, runtime: a.runtime }).toEqual({ name, runtime: expect.stringMatching(/^(node\d+|composite|docker)$/) });
      expect({ name, requiredNotDeclared: a.requiredInputs.filter((i) => !a.inputs.includes(i)) }).toEqual({ name, requiredNotDeclared: [] });
      expect(usesOf(a)).toMatch(PINNED_USES);
    }
    // One entry per action, so one release of each runs everywhere.
    const actions = TABLE.map(([, a]) => a.action);
    expect(new Set(actions).size).toBe(actions.length);
  });

  test("every table entry is used by some generated workflow", () => {
    const all = Object.values(files).join("\n");
    expect(TABLE.filter(([, a]) => !all.includes(usesOf(a))).map(([name]) => name)).toEqual([]);
  });
});
