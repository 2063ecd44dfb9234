/**
 * The API reference in docs/api/ is generated from the TSDoc comments by TypeDoc with
 * typedoc-plugin-markdown (`npm run docs`) and committed, so it reads on GitHub and a pull request
 * shows how the API changes. This test runs TypeDoc as `npm run docs` does (typedoc.json, warnings
 * are errors: broken `{@link}`s, referenced types left out of the exports) into a temporary folder
 * with its JSON model next to it, then checks:
 * - docs/api/ is exactly what TypeDoc generates now;
 * - everything declared in constructs/ and stacks/ that the package exports is documented, the
 *   members of every class and interface included (a construct's outputs are its public fields);
 * - every optional prop there documents its default (`@default`, or prose naming the default).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readTree, ROOT, tempDir } from "../support/platform";
import { withSlot } from "../support/slots";

type Reflection = {
  id: number;
  name: string;
  kind: number;
  flags: { isOptional?: boolean };
  comment?: Comment;
  signatures?: { comment?: Comment }[];
  children?: Reflection[];
  inheritedFrom?: unknown;
};
type Comment = { summary: { text: string }[]; blockTags?: { tag: string; content: { text: string }[] }[] };

/** TypeDoc's ReflectionKind values that appear here. */
const KIND = { Variable: 32, Function: 64, Class: 128, Interface: 256, Constructor: 512, Property: 1024, Method: 2048, Accessor: 262144, TypeAlias: 2097152 };
/** Where the library's own declarations live (platform/ has its own reference: docs/platform-file.md, generated from the schema). */
const DOCUMENTED_SOURCES = /^(constructs|stacks)\//;
/** The GitHub Actions workflow model mirrors GitHub's keys: an optional field left out is a key left out, not a default. */
const NO_DEFAULTS_SOURCES = /^constructs\/workflow\.ts$/;

let work: string;
let typedoc: { status: number | null; output: string };
let project: Reflection & { symbolIdMap: Record<string, { packagePath: string; qualifiedName: string }> };

beforeAll(async () => {
  work = tempDir("slipway-docs-");
  // TypeDoc compiles the whole project (about 350 MiB): one of the run's memory-heavy commands.
  const result = await withSlot("typedoc", () => spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules", "typedoc", "bin", "typedoc"), "--out", path.join(work, "api"), "--json", path.join(work, "api.json")],
    { cwd: ROOT, encoding: "utf8" },
  ));
  typedoc = { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, "") };
  if (fs.existsSync(path.join(work, "api.json"))) project = JSON.parse(fs.readFileSync(path.join(work, "api.json"), "utf8"));
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The comment's text: summary, then block tags. */
function text(comment: Comment | undefined): { summary: string; tags: Record<string, string> } {
  const summary = (comment?.summary ?? []).map((part) => part.text).join("").trim();
  const tags = Object.fromEntries((comment?.blockTags ?? []).map((tag) => [tag.tag, tag.content.map((part) => part.text).join("").trim()]));
  return { summary, tags };
}

/** Top-level declarations and the members of classes and interfaces, with where they are declared. */
function declarations(): { reflection: Reflection; parent?: Reflection; source: string; qualifiedName: string }[] {
  const out: { reflection: Reflection; parent?: Reflection; source: string; qualifiedName: string }[] = [];
  const sourceOf = (r: Reflection) => project.symbolIdMap[String(r.id)];
  for (const top of project.children ?? []) {
    const topSource = sourceOf(top);
    if (!topSource) continue;
    out.push({ reflection: top, source: topSource.packagePath, qualifiedName: top.name });
    if (top.kind !== KIND.Class && top.kind !== KIND.Interface) continue;
    for (const member of top.children ?? []) {
      if (member.inheritedFrom || member.kind === KIND.Constructor) continue;
      out.push({ reflection: member, parent: top, source: sourceOf(member)?.packagePath ?? topSource.packagePath, qualifiedName: `${top.name}.${member.name}` });
    }
  }
  return out;
}

test("TypeDoc generates the reference without a warning", () => {
  expect(typedoc.status).toBe(0);
  expect(typedoc.output.split("\n").filter((line) => /\[(warning|error)\]/.test(line))).toEqual([]);
});

test("docs/api is what `npm run docs` generates now (run it after changing a TSDoc comment)", () => {
  const generated = readTree(path.join(work, "api"));
  const committed = readTree(path.join(ROOT, "docs", "api"));
  expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
  const stale = [...generated].filter(([file, bytes]) => !committed.get(file)?.equals(bytes)).map(([file]) => file);
  expect(stale).toEqual([]);
  // The pages a team starts from.
  expect([...generated.keys()]).toEqual(
    expect.arrayContaining(["README.md", "classes/Network.md", "interfaces/NetworkProps.md", "classes/PostgresDatabase.md", "interfaces/PostgresDatabaseProps.md"]),
  );
});

test("everything constructs/ and stacks/ export is documented, class and interface members included", () => {
  const found = declarations().filter((d) => DOCUMENTED_SOURCES.test(d.source));
  expect(found.length).toBeGreaterThan(300);
  const undocumented = found
    .filter(({ reflection }) => {
      const comment = reflection.kind === KIND.Method || reflection.kind === KIND.Function ? reflection.signatures?.[0]?.comment : reflection.comment;
      return text(comment).summary === "";
    })
    .map((d) => `${d.qualifiedName} (${d.source})`);
  expect(undocumented).toEqual([]);
});

test("every optional prop in constructs/ and stacks/ documents its default", () => {
  const optional = declarations().filter(
    (d) => d.parent?.kind === KIND.Interface && d.reflection.flags.isOptional && DOCUMENTED_SOURCES.test(d.source) && !NO_DEFAULTS_SOURCES.test(d.source),
  );
  expect(optional.length).toBeGreaterThan(90);
  const missing = optional
    .filter(({ reflection }) => {
      const { summary, tags } = text(reflection.comment);
      return !("@default" in tags || "@defaultValue" in tags || /\bdefault/i.test(summary));
    })
    .map((d) => `${d.qualifiedName} (${d.source})`);
  expect(missing).toEqual([]);
});

test("the reference shows each construct's props with their defaults, and its outputs", () => {
  const page = (file: string) => fs.readFileSync(path.join(work, "api", file), "utf8");
  expect(page("interfaces/NetworkProps.md")).toMatch(/`natGateways\?`.*\*\*Default\*\*\s*`"per-zone"`/);
  expect(page("interfaces/PostgresDatabaseProps.md")).toMatch(/`instanceClass\?`.*\*\*Default\*\*\s*`"db.t4g.micro"`/);
  expect(page("classes/PostgresDatabase.md")).toMatch(/`masterUserSecretArn`.*Secrets Manager/);
  expect(page("classes/ContainerRegistry.md")).toMatch(/### grantPull\(\)/);
  // The index page (index.ts's comment) states the peer ranges package.json declares.
  const peers = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).peerDependencies as Record<string, string>;
  const index = page("README.md");
  for (const [name, range] of Object.entries(peers)) expect(index).toContain(`\`${name} ${range}\``);
});
