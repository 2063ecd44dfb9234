/**
 * The hand-written docs: README.md stays a short entry point that links every doc, every relative
 * link and anchor in README.md and docs/*.md leads somewhere, the README's platform-file example is
 * a valid platform file, and .gitignore hides no tracked file.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlatform } from "../../platform/model";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const README = read("README.md");

/** The Markdown files a reader reaches from the README (docs/api/ is TypeDoc's, checked by its own test). */
const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Text outside fenced code blocks and code spans, where Markdown links live. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of markdown.replace(/^```[\s\S]*?^```/gm, "").split("\n")) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1].trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(/ /g, "-");
    const n = seen.get(base);
    seen.set(base, n === undefined ? 0 : n + 1);
    out.add(n === undefined ? base : `${base}-${n + 1}`);
  }
  return out;
}

/** Every `[text](target)` link that is not a URL, with the file it is in. */
function relativeLinks(file: string): { file: string; target: string }[] {
  return [...prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => ({ file, target: m[1] })).filter((l) => !/^[a-z]+:/.test(l.target));
}

test("README.md stays a short entry point with the two set-up commands .ci/run relies on", () => {
  expect(README.split("\n").length).toBeLessThanOrEqual(200);
  expect(README).toContain("npm ci && npm run synth");
  expect(README).toMatch(/^npm test\s/m);
  // .ci/run runs the README's test command after a clean install.
  expect(read(".ci/run")).toMatch(/\nnpm ci --no-audit --no-fund\nnpm test\n/);
});

test("the README links every doc in docs/, and names each doc other branches are writing (a slot until the doc exists)", () => {
  const linked = new Set(relativeLinks("README.md").map((l) => path.normalize(l.target.split("#")[0])));
  const unlinked = DOCS.filter((f) => f !== "README.md" && !linked.has(path.normalize(f)));
  expect(unlinked).toEqual([]);
  // Once such a doc exists, the check above wants a real link in place of its slot.
  for (const doc of ["docs/previews.md", "docs/canary.md", "docs/cost.md"]) expect(README).toContain(doc);
});

test("every relative link in README.md and docs/*.md names an existing file, and every anchor a heading there", () => {
  const broken: string[] = [];
  const links = DOCS.flatMap(relativeLinks);
  expect(links.length).toBeGreaterThan(100);
  for (const { file, target } of links) {
    const [where, anchor] = target.split("#");
    const resolved = where ? path.join(path.dirname(file), where) : file;
    if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${file}: ${target} (no ${resolved})`);
    else if (anchor !== undefined && resolved.endsWith(".md") && !anchors(read(resolved)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
  }
  expect(broken).toEqual([]);
});

test("the anchors follow GitHub's rules, so the link test catches a renamed heading", () => {
  const found = anchors("# A\n## DeliveryPipeline (`constructs/delivery-pipeline.ts`, `constructs/workflow.ts`)\n## Setting an app's secrets\n## DNS\n## DNS\n```\n# not a heading\n```\n");
  expect([...found]).toEqual(["a", "deliverypipeline-constructsdelivery-pipelinets-constructsworkflowts", "setting-an-apps-secrets", "dns", "dns-1"]);
});

test("the README's platform-file example is a valid platform file", () => {
  const example = /```yaml\n([\s\S]*?)```/.exec(README);
  expect(example).not.toBeNull();
  const platform = parsePlatform(example![1], "README.md");
  expect(platform.apps.map((a) => a.name)).toEqual(["hello"]);
  expect(platform.environments.map((e) => [e.name, e.profile])).toEqual([
    ["dev", "development"],
    ["prod", "production"],
  ]);
});

test(".gitignore ignores no tracked file", () => {
  const ignoredButTracked = execFileSync("git", ["ls-files", "--cached", "--ignored", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  expect(ignoredButTracked.split("\n").filter(Boolean)).toEqual([]);
});
