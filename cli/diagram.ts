/**
 * `npm run diagram`: one diagram per environment, drawn from the synthesized stacks in
 * `cdktf.out` (synthesized first when that folder does not exist yet, or with `--synth`):
 * `docs/diagrams/<env>.md` with a Mermaid flowchart (GitHub renders it), `docs/diagrams/<env>.svg`
 * rendered offline by Graphviz compiled to WebAssembly (`@viz-js/viz`), and an index
 * `docs/diagrams/README.md`. `--check` compares instead of writing, for CI.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { StaleFile, staleGeneratedFiles } from "./generated-files";
import { isCI } from "./output";
import { safeText } from "../constructs/util";
import { instance } from "@viz-js/viz";
import { DEFAULT_OUTDIR, DEFAULT_PLATFORM_FILE, isSynthFailure, synthesize } from "./synth";
import { buildDiagrams, EnvironmentDiagram } from "./diagram/graph";
import { GENERATED_MARKER, toDot, toIndex, toMarkdown } from "./diagram/render";
import { loadSynthesizedOutput, SynthesizedOutput, SynthesizedOutputError } from "../synthesized";

export { buildDiagrams, parseWorkflow, safeId } from "./diagram/graph";
export type { DiagramEdge, DiagramGroup, DiagramNode, EnvironmentDiagram } from "./diagram/graph";
export { caption, escapeDotHtml, escapeMarkdown, escapeMermaid, GENERATED_MARKER, quoteDot, toDot, toIndex, toMarkdown, toMermaid } from "./diagram/render";
export { ResourceIndex } from "./diagram/resources";

/** Thrown when the synthesized output has nothing to draw. */
export class DiagramInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DiagramInputError";
  }
}

export const DEFAULT_DIAGRAM_DIR = path.join("docs", "diagrams");
export const INDEX_FILE = "README.md";

/**
 * Graphviz sizes boxes with Helvetica/Arial metrics, then names only `Helvetica,sans-Serif` in
 * the SVG; where Helvetica is missing, `sans-serif` may be a wider face (DejaVu Sans on Linux) and
 * text would spill out of its box. The fonts with Arial's metrics are named before the fallback.
 */
const SVG_FONT_FAMILY = "Helvetica,Arial,Liberation Sans,Arimo,sans-serif";

/** Graphviz DOT -> SVG, offline (Graphviz compiled to WebAssembly). */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance();
  const result = viz.render(dot, { format: "svg", engine: "dot" });
  if (result.status !== "success") {
    throw new Error(`Graphviz could not render the diagram: ${result.errors.map((e) => e.message).join("; ")}`);
  }
  const svg = result.output.replace(/font-family="Helvetica,sans-Serif"/g, `font-family="${SVG_FONT_FAMILY}"`);
  return svg.endsWith("\n") ? svg : `${svg}\n`;
}

/** Every file `npm run diagram` writes, by name relative to the diagrams folder. */
export async function generateDiagramFiles(output: SynthesizedOutput): Promise<{ diagrams: EnvironmentDiagram[]; files: Map<string, string> }> {
  const diagrams = buildDiagrams(output);
  if (diagrams.length === 0) throw new DiagramInputError("the synthesized stacks carry no environment (AWS provider default tag slipway:environment): nothing to draw");
  const files = new Map<string, string>();
  for (const d of diagrams) {
    files.set(`${d.environment}.md`, toMarkdown(d));
    files.set(`${d.environment}.svg`, await renderSvg(toDot(d)));
  }
  files.set(INDEX_FILE, toIndex(diagrams));
  return { diagrams, files };
}

/**
 * How `dir` differs from `files`: missing or differing files, and diagrams (with their SVG) this
 * command wrote earlier for an environment that no longer exists.
 */
export function staleDiagramFiles(dir: string, files: Map<string, string>): StaleFile[] {
  const generated = (name: string) => {
    const file = path.join(dir, name);
    return fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n", 1)[0] === GENERATED_MARKER;
  };
  return staleGeneratedFiles(dir, files, (name, content) =>
    name.endsWith(".md") ? content.split("\n", 1)[0] === GENERATED_MARKER : name.endsWith(".svg") && generated(name.replace(/\.svg$/, ".md")),
  );
}

const USAGE = `usage: npm run diagram -- [--in DIR] [--out DIR] [--synth] [--platform FILE] [--check] [--json]
  --in DIR         the synthesized output to draw (default: ${DEFAULT_OUTDIR}); synthesized first when it does not exist
  --out DIR        where to write <env>.md, <env>.svg and ${INDEX_FILE} (default: ${DEFAULT_DIAGRAM_DIR})
  --synth          synthesize the platform file into --in first, even when it exists
  --platform FILE  the platform file to draw, synthesized into a temporary folder (into --in when given);
                   the project's ${DEFAULT_OUTDIR} is left as it is (default: $SLIPWAY_PLATFORM_FILE or ${DEFAULT_PLATFORM_FILE})
  --check          write nothing; exit 1 when the files in --out differ from what would be written
  --json           print the graphs (nodes, groups, edges and how each edge was derived) as JSON`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        in: { type: "string" },
        out: { type: "string", short: "o" },
        synth: { type: "boolean" },
        platform: { type: "string", short: "p" },
        check: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const quiet = isCI() && !values.json;
  // A platform file named without --in is drawn from a synth of its own in a temporary folder:
  // the project's cdktf.out (the output of its own platform file) is never replaced.
  const scratch = values.platform !== undefined && values.in === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "slipway-diagram-")) : undefined;
  const inDir = scratch ? path.join(scratch, "cdktf.out") : (values.in ?? DEFAULT_OUTDIR);
  const outDir = values.out ?? DEFAULT_DIAGRAM_DIR;
  const platformFile = values.platform ?? process.env.SLIPWAY_PLATFORM_FILE ?? DEFAULT_PLATFORM_FILE;
  try {
    if (values.synth || values.platform !== undefined || !fs.existsSync(inDir)) {
      if (!quiet && !values.json) console.log(`synthesizing ${platformFile} into ${scratch ? "a temporary folder" : inDir}${fs.existsSync(inDir) || values.synth || values.platform !== undefined ? "" : ` (${inDir} does not exist yet)`}`);
      synthesize({ platformFile, outdir: inDir });
    }
    const { diagrams, files } = await generateDiagramFiles(loadSynthesizedOutput(inDir, { missingHint: "run `npm run synth` first, or `npm run diagram -- --synth`" }));
    const differences = staleDiagramFiles(outDir, files);
    const stale = differences.filter((d) => d.problem === "extra").map((d) => d.name);
    const changed = differences.filter((d) => d.problem !== "extra").map((d) => d.name);
    if (values.json) console.log(JSON.stringify(diagrams, null, 2));
    if (values.check) {
      if (changed.length === 0 && stale.length === 0) {
        if (!quiet && !values.json) console.log(`${outDir}: ${files.size} files up to date with ${inDir}`);
        return 0;
      }
      console.error(`${outDir} is out of date with ${inDir}: ${[...changed, ...stale.map((s) => `${s} (no longer generated)`)].join(", ")}. Run \`npm run diagram\` and commit the result.`);
      return 1;
    }
    fs.mkdirSync(outDir, { recursive: true });
    for (const name of changed) fs.writeFileSync(path.join(outDir, name), files.get(name)!);
    for (const name of stale) fs.rmSync(path.join(outDir, name));
    if (!values.json) {
      if (!quiet) {
        for (const d of diagrams) console.log(`${d.environment}: ${d.nodes.length} boxes, ${d.edges.length} arrows from ${d.stacks.join(", ")} -> ${path.join(outDir, `${d.environment}.md`)}, ${path.join(outDir, `${d.environment}.svg`)}`);
      }
      console.log(`${diagrams.length} diagrams in ${outDir}: ${changed.length} files written, ${files.size - changed.length} unchanged${stale.length ? `, ${stale.length} stale removed` : ""}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof DiagramInputError || error instanceof SynthesizedOutputError) {
      console.error(safeText(`${error.message}\nNothing was written to ${outDir}.`));
      return 1;
    }
    if (isSynthFailure(error)) {
      console.error(safeText(`${error.message}\nSynthesis failed; ${scratch ? "" : `${inDir} is as it was and `}nothing was written to ${outDir}.`));
      return 1;
    }
    throw error;
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}
