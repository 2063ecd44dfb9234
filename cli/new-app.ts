/**
 * `npm run new-app -- <name>`: adds an app to the platform file, ready for the pull request that
 * creates it. The new app gets a domain per environment (from the pattern the existing apps share,
 * or `--domain env=host`), its template's port, health path and commands, and nothing else;
 * `--database none` writes `database: none` and no `migrate`.
 *
 * The file keeps every byte outside the new app: the new item is built as a YAML node (so every
 * value is quoted as YAML needs) and inserted after the last app, indented like the others. Whole
 * document re-stringification was measured to rewrite 14 lines of the example platform file (comment
 * alignment, flow-list padding, a comment moved off its key), so the document is used to find where
 * and how to insert, never to rewrite. The result is validated by the model's `parsePlatform`, as
 * synth validates, and written atomically; any refusal leaves the file byte-identical.
 *
 * Output follows cli/output.ts: colour only on a terminal, errors on stderr with exit code 1,
 * quiet in CI, `--json` for machines, `--dry-run` for the diff without writing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { DEFAULT_SKELETON_TEMPLATE, listSkeletonTemplates, loadSkeletonTemplate } from "../constructs/skeleton";
import { printable, safeText } from "../constructs/util";
import { formatPath, parsePlatform, PlatformConfig, PlatformFileError, readPlatformText, suggest } from "../platform/model";
import { appSchema } from "../platform/schema";
import { colourEnabled, isCI, Painter, painter } from "./output";

/** The platform file a command reads unless told otherwise, as `npm run synth` (importing cli/synth.ts would load every stack and provider). */
const DEFAULT_PLATFORM_FILE = "platform.yaml";

/**
 * The port and health path a new app gets, whatever its template: a template's files take both
 * from the platform file (placeholders), so any value works; these are the image contract's examples.
 */
export const NEW_APP_DEFAULTS = { port: 8080, healthPath: "/healthz" } as const;

/** What a template puts in the platform file for a new app. */
export interface TemplateDefaults {
  readonly description: string;
  readonly port: number;
  readonly healthPath: string;
  /** Its unit tests, run inside the image. */
  readonly test: string;
  /** Its migration command. @default none */
  readonly migrate?: string;
  /** Its integration tests against a deployed URL; written only where the schema has `integrationTest`. @default none */
  readonly integrationTest?: string;
}

/** A template's defaults: its commands and description from its manifest (templates/<name>/slipway-template.json). */
export function templateDefaults(name: string, templatesDirectory?: string): TemplateDefaults {
  const template = loadSkeletonTemplate(name, templatesDirectory);
  return { description: template.description, ...NEW_APP_DEFAULTS, ...template.commands };
}

/** The template names, sorted. */
export function templateNames(templatesDirectory?: string): string[] {
  return listSkeletonTemplates(templatesDirectory);
}

export const DEFAULT_TEMPLATE = DEFAULT_SKELETON_TEMPLATE;

/** An app's database, as the schema has it (`apps[].database`). */
export type AppDatabase = PlatformConfig["apps"][number]["database"];
/** The values `--database` takes: the schema's own, so a new kind of database needs no edit here. */
export const DATABASE_CHOICES: readonly AppDatabase[] = appSchema.shape.database.unwrap().options;
/** The schema's default (`postgres`); new-app writes the key only for another value. */
export const DEFAULT_DATABASE: AppDatabase = appSchema.shape.database.parse(undefined);

export interface NewAppOptions {
  /** The app's name, checked by the schema's own rule for app names. */
  readonly name: string;
  /** @default "python" */
  readonly template?: string;
  /** Domains by environment name; they win over the pattern the existing apps share. @default derived */
  readonly domains?: Readonly<Record<string, string>>;
  /**
   * `postgres` or `none` (checked here, as `--template` is: a bad value is a {@link NewAppProblem}).
   * `none` writes `database: none` and no `migrate`, whatever the template's manifest says.
   * @default "postgres" (the schema's default: the key is not written)
   */
  readonly database?: string;
  /** Where the templates are. @default this package's templates/ */
  readonly templatesDirectory?: string;
}

/** Where a domain came from: the shared pattern (`{app}.dev.acme.example`) or a `--domain` flag. */
export interface DomainChoice {
  readonly environment: string;
  readonly domain: string;
  readonly from: "pattern" | "flag";
  /** The pattern, with `{app}` where the name goes; only when `from` is `pattern`. */
  readonly pattern?: string;
}

export interface NewAppPlan {
  /** The platform file's text with the app added. */
  readonly text: string;
  /** The app exactly as written into the file. */
  readonly app: Record<string, unknown>;
  readonly template: string;
  /** The app's database (`postgres` when the key is not written). */
  readonly database: AppDatabase;
  readonly domains: DomainChoice[];
  /** The stacks the app adds: `<app>-delivery`, then `<app>-<env>` in promotion order. */
  readonly stacks: { readonly name: string; readonly kind: "delivery" | "app"; readonly environment?: string }[];
  /** 1-based lines of the new app in the new text. */
  readonly lines: { readonly from: number; readonly to: number };
  /** The validated platform, as synth will see it. */
  readonly platform: PlatformConfig;
}

/** One reason the app was not added, located in the file or at the argument that caused it. */
export interface NewAppProblem {
  /** `platform.yaml:12:5`, or the argument (`<name>`, `--template`, `--domain`, `--database`). */
  readonly where: string;
  readonly message: string;
}

/** Every reason the app was not added; nothing was written. */
export class NewAppError extends Error {
  constructor(
    readonly file: string,
    readonly problems: NewAppProblem[],
  ) {
    const n = problems.length;
    // The file name and the arguments come from outside: printed safely (no control characters).
    super(safeText(`new-app: ${n} problem${n === 1 ? "" : "s"}; nothing was written, ${file} is as it was:\n${problems.map((p) => `  ${p.where}: ${p.message}`).join("\n")}`));
    this.name = "NewAppError";
  }
}

/**
 * The platform file's text with the app added, validated as synth validates it. Pure: reads and
 * writes nothing. Throws {@link NewAppError} (or {@link PlatformFileError} when the file itself is
 * invalid) naming every problem.
 */
export function planNewApp(text: string, file: string, options: NewAppOptions): NewAppPlan {
  const platform = parsePlatform(text, file); // a file synth refuses is not edited
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const at = (node: unknown) => {
    const offset = (node as { range?: number[] } | undefined)?.range?.[0];
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    return pos ? `${file}:${pos.line}:${pos.col}` : file;
  };
  const problems: NewAppProblem[] = [];
  const name = options.name;
  const template = options.template ?? DEFAULT_TEMPLATE;

  const nameCheck = appSchema.shape.name.safeParse(name);
  if (!nameCheck.success) {
    problems.push({ where: "<name>", message: `${printable(name)}: ${nameCheck.error.issues.map((i) => i.message).join("; ")}` });
  }
  const existing = platform.apps.findIndex((a) => a.name === name);
  if (existing >= 0) {
    const path = ["apps", existing, "name"];
    problems.push({ where: at(doc.getIn(path, true)), message: `${formatPath(path)}: an app named ${printable(name)} already exists; choose another name` });
  }
  const templates = templateNames(options.templatesDirectory);
  const defaults = templates.includes(template) ? templateDefaults(template, options.templatesDirectory) : undefined;
  if (!defaults) {
    problems.push({ where: "--template", message: `no template ${printable(template)}${suggest(template, templates)}; the templates are: ${templates.join(", ")}` });
  }
  const database = DATABASE_CHOICES.find((d) => d === (options.database ?? DEFAULT_DATABASE));
  if (!database) {
    const given = options.database ?? "";
    problems.push({ where: "--database", message: `${printable(given)} is not a database kind${suggest(given, [...DATABASE_CHOICES])}; expected one of: ${DATABASE_CHOICES.join(" | ")}` });
  }
  const envNames = platform.environments.map((e) => e.name);
  for (const env of Object.keys(options.domains ?? {})) {
    if (!envNames.includes(env)) {
      problems.push({ where: "--domain", message: `${printable(env)} names no environment of ${file}${suggest(env, envNames)}; the environments are: ${envNames.join(", ")}` });
    }
  }
  const domains = chooseDomains(platform, name, options.domains ?? {});
  for (const env of envNames.filter((e) => !domains.some((d) => d.environment === e))) {
    const seen = platform.apps.map((a) => `${a.name}: ${a.domains[env]}`).join(", ");
    problems.push({
      where: "--domain",
      message: `no domain for environment ${JSON.stringify(env)}: the existing apps' domains there share no pattern with the app's name in it (${seen}); pass --domain ${env}=<host>`,
    });
  }

  const apps = doc.get("apps", true);
  if (!isSeq(apps) || apps.flow) {
    problems.push({ where: at(apps), message: "apps is written as a flow list ([...]); write it as a block list (one '- name: ...' item a line) so an app can be added without rewriting it" });
  }
  if (problems.length > 0 || !defaults || !database) throw new NewAppError(file, problems);

  const app: Record<string, unknown> = {
    name,
    port: defaults.port,
    healthPath: defaults.healthPath,
    domains: Object.fromEntries(domains.map((d) => [d.environment, d.domain])),
    test: defaults.test,
    // Written only when it is not the default, in the schema's key order; no database, no migration.
    ...(database !== DEFAULT_DATABASE ? { database } : {}),
    ...(defaults.migrate && database !== "none" ? { migrate: defaults.migrate } : {}),
    // The key lands with the integration-test stage; until the schema has it, it is left out.
    ...(defaults.integrationTest && "integrationTest" in appSchema.shape ? { integrationTest: defaults.integrationTest } : {}),
  };
  const { text: next, lines } = insertItem(text, apps as YAMLSeq, lineCounter, app);

  let validated: PlatformConfig;
  try {
    validated = parsePlatform(next, file);
  } catch (error) {
    if (!(error instanceof PlatformFileError)) throw error;
    // Place each problem in the file as it is now, or in the new app's block.
    const insertedLines = lines.to - lines.from + 1;
    throw new NewAppError(
      file,
      error.problems.map((p) => {
        let where = file;
        if (p.line !== undefined && p.line < lines.from) where = `${file}:${p.line}:${p.column}`;
        else if (p.line !== undefined && p.line > lines.to) where = `${file}:${p.line - insertedLines}:${p.column}`;
        else if (p.line !== undefined) where = `the new app (would be ${file}:${p.line}:${p.column})`;
        return { where, message: `${p.path ? `${p.path}: ` : ""}${p.message}` };
      }),
    );
  }
  // The insertion must be exactly one more app, after the others.
  const before = doc.toJS().apps as unknown[];
  const after = parseDocument(next).toJS().apps as unknown[];
  if (JSON.stringify(after) !== JSON.stringify([...before, app])) throw new Error(`new-app: the edited ${file} does not hold exactly one more app; nothing was written`);

  return {
    text: next,
    app,
    template,
    database,
    domains,
    stacks: [{ name: `${name}-delivery`, kind: "delivery" }, ...envNames.map((env) => ({ name: `${name}-${env}`, kind: "app" as const, environment: env }))],
    lines,
    platform: validated,
  };
}

/**
 * A domain per environment: a `--domain` flag, else `<pattern>` where every existing app's domain
 * there is the same text around its own name at label boundaries (`hello.dev.acme.example` ->
 * `{app}.dev.acme.example`). An environment with no single shared pattern gets none.
 */
function chooseDomains(platform: PlatformConfig, name: string, flags: Readonly<Record<string, string>>): DomainChoice[] {
  const choices: DomainChoice[] = [];
  for (const env of platform.environments.map((e) => e.name)) {
    if (flags[env] !== undefined) {
      choices.push({ environment: env, domain: flags[env], from: "flag" });
      continue;
    }
    let shared: Set<string> | undefined;
    for (const app of platform.apps) {
      const patterns = domainPatterns(app.domains[env] ?? "", app.name);
      shared = shared ? new Set([...shared].filter((p) => patterns.has(p))) : patterns;
    }
    if (shared?.size === 1) {
      const [pattern] = shared;
      choices.push({ environment: env, domain: pattern.replace("{app}", name), from: "pattern", pattern });
    }
  }
  return choices;
}

/** Each way `domain` reads as text around `name` at label boundaries ('.', '-' or an end). */
function domainPatterns(domain: string, name: string): Set<string> {
  const found = new Set<string>();
  for (let i = domain.indexOf(name); i >= 0 && name !== ""; i = domain.indexOf(name, i + 1)) {
    const before = domain[i - 1];
    const after = domain[i + name.length];
    const boundary = (c: string | undefined) => c === undefined || c === "." || c === "-";
    if (boundary(before) && boundary(after) && domain.length > name.length) found.add(`${domain.slice(0, i)}{app}${domain.slice(i + name.length)}`);
  }
  return found;
}

/**
 * `text` with `item` appended to the block list `apps`: after the last item (and any deeper-indented
 * comment lines that close it), indented like the other items, a blank line before it when the
 * items are separated by one, in the file's line endings. Every other byte is kept.
 */
function insertItem(text: string, apps: YAMLSeq, lineCounter: LineCounter, item: Record<string, unknown>): { text: string; lines: { from: number; to: number } } {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\n/); // each keeps its \r, if any
  const line = (offset: number) => lineCounter.linePos(offset).line; // 1-based
  const column = (offset: number) => lineCounter.linePos(offset).col - 1; // 0-based
  const items = apps.items as { range?: number[] }[];
  const first = items[0].range!;
  const last = items[items.length - 1].range!;
  const content = column(first[0]);
  const dash = lines[line(first[0]) - 1].lastIndexOf("-", content - 1); // the first item's "-"

  // The last line of the last item: where its value ends, plus comment lines indented under it.
  let end = line(Math.max(last[0], last[1] - 1)); // range[1] may sit just past the newline
  while (end < lines.length && /^\s*#/.test(lines[end]) && lines[end].search(/\S/) > dash) end++;

  const separated =
    items.length > 1 && lines.slice(line(items[items.length - 2].range![1] - 1), line(last[0]) - 1).some((l) => l.trim() === "");
  const block = new Document(item)
    .toString({ indent: indentStep(apps, column), lineWidth: 0 })
    .replace(/\n$/, "")
    .split("\n")
    .map((l, i) => (i === 0 ? `${" ".repeat(dash)}-${" ".repeat(Math.max(1, content - dash - 1))}${l}` : l === "" ? l : `${" ".repeat(content)}${l}`));
  const inserted = [...(separated ? [""] : []), ...block].map((l) => l + (eol === "\r\n" ? "\r" : ""));

  // A file that ends without a newline after the last app gets one before the new lines.
  const head = lines.slice(0, end);
  const tail = lines.slice(end);
  const noFinalNewline = tail.length === 0;
  if (noFinalNewline) inserted.push(""); // join() below then ends the block's last line
  const joined = [...head, ...inserted, ...tail].join("\n");
  const from = end + 1 + (separated ? 1 : 0);
  return { text: noFinalNewline ? joined.replace(/\r?\n$/, "") + eol : joined, lines: { from, to: from + block.length - 1 } };
}

/**
 * The file's indentation step for the new app's one nested mapping (`domains`): as an existing
 * app's block `domains` is indented, else the most common step of the apps' nested mappings, else 2.
 */
function indentStep(apps: YAMLSeq, column: (offset: number) => number): number {
  const steps: { key: string; step: number }[] = [];
  const visit = (map: YAMLMap) => {
    for (const pair of map.items) {
      const value = pair.value;
      if (isMap(value) && !value.flow && value.items.length > 0 && isScalar(pair.key) && pair.key.range && isScalar(value.items[0].key) && value.items[0].key.range) {
        const step = column(value.items[0].key.range[0]) - column(pair.key.range[0]);
        if (step > 0) steps.push({ key: String(pair.key.value), step });
        visit(value);
      }
    }
  };
  for (const app of apps.items) if (isMap(app)) visit(app);
  const domains = steps.filter((s) => s.key === "domains");
  if (domains.length > 0) return domains[domains.length - 1].step;
  const counts = new Map<number, number>();
  for (const { step } of steps) counts.set(step, (counts.get(step) ?? 0) + 1);
  return [...counts.entries()].sort(([a, n], [b, m]) => m - n || a - b)[0]?.[0] ?? 2;
}

// ---------------------------------------------------------------------------------------------
// The command.

export interface NewAppResult extends NewAppPlan {
  readonly platformFile: string;
  readonly dryRun: boolean;
  readonly written: boolean;
  /** A unified diff of the change. */
  readonly diff: string;
  readonly nextSteps: string[];
}

/** Reads the platform file, plans the change and, unless `dryRun`, writes it atomically. */
export function addApp(platformFile: string, options: NewAppOptions & { readonly dryRun?: boolean }): NewAppResult {
  // Read as synth reads it: a regular UTF-8 file of bounded size, or a located refusal.
  const text = readPlatformText(platformFile);
  const original = fs.readFileSync(platformFile);
  const plan = planNewApp(text, platformFile, options);
  const diff = unifiedDiff(text, plan.text, platformFile);
  const dryRun = options.dryRun === true;
  // readPlatformText drops a byte order mark; the file keeps its own.
  const bom = original.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) ? "\ufeff" : "";
  if (!dryRun) writeAtomically(platformFile, original, bom + plan.text);
  return { ...plan, platformFile, dryRun, written: !dryRun, diff, nextSteps: nextSteps(plan, platformFile) };
}

/**
 * Replaces the file by a rename from a temporary file in its folder, so a reader sees the old or
 * the new file, never half of one; refuses when the file changed since it was read.
 */
function writeAtomically(file: string, original: Buffer, text: string): void {
  const target = fs.realpathSync(file); // a symbolic link stays one: its target is replaced
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.new-app-${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, text, { flag: "wx" });
    fs.chmodSync(temporary, fs.statSync(target).mode & 0o7777); // the file keeps its permissions
    if (!fs.readFileSync(target).equals(original)) {
      throw new NewAppError(file, [{ where: file, message: "the file changed while new-app ran; run it again" }]);
    }
    fs.renameSync(temporary, target);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** A unified diff of one change (`git apply` takes it), with 3 lines of context. */
export function unifiedDiff(before: string, after: string, file: string): string {
  // Lines with their newline, so a last line that gains one counts as changed.
  const split = (text: string) => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const a = split(before);
  const b = split(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) [endA, endB] = [endA - 1, endB - 1];
  if (start === a.length && start === b.length) return "";
  const from = Math.max(0, start - 3);
  const toA = Math.min(a.length, endA + 3);
  const toB = Math.min(b.length, endB + 3);
  // git's a/ and b/ prefixes on a relative path, so `git apply` takes the diff as it is.
  const [oldName, newName] = path.isAbsolute(file) ? [file, file] : [`a/${file}`, `b/${file}`];
  const out = [`--- ${oldName}`, `+++ ${newName}`, `@@ -${from + 1},${toA - from} +${from + 1},${toB - from} @@`];
  const emit = (prefix: string, lines: string[]) => {
    for (const l of lines) out.push(prefix + l.replace(/\n$/, ""), ...(l.endsWith("\n") ? [] : ["\\ No newline at end of file"]));
  };
  emit(" ", a.slice(from, start));
  emit("-", a.slice(start, endA));
  emit("+", b.slice(start, endB));
  emit(" ", b.slice(endB, toB));
  return `${out.join("\n")}\n`;
}

/** What happens after the file changes, one step a line. */
function nextSteps(plan: NewAppPlan, file: string): string[] {
  const platformFile = safeText(file); // printed: the one value here not checked by the model
  const { name } = plan.app as { name: string };
  // A path to paste into a shell: single-quoted unless it is plainly safe.
  const argument = /^[A-Za-z0-9_./-]+$/.test(platformFile) ? platformFile : `'${platformFile.replace(/'/g, "'\\''")}'`;
  const synth = platformFile === DEFAULT_PLATFORM_FILE ? "npm run synth" : `npm run synth -- --platform ${argument}`;
  const environments = plan.platform.environments.map((e) => e.name);
  return [
    `Run ${synth}: it synthesizes the new stacks (${plan.stacks.map((s) => s.name).join(", ")}) and checks them against the policy rules.`,
    `Commit ${platformFile} and open a pull request on the infrastructure repository (${plan.platform.github.owner}/${plan.platform.github.infrastructureRepository}): its CI plans the new stacks and comments the plans on the pull request.`,
    `Merging applies exactly the reviewed plans: ${name}-delivery creates the repository ${plan.platform.github.owner}/${name} with the ${plan.template} skeleton (created once; later edits are the team's) and its workflows, and the first push to it runs the first delivery: build once, test, then ${environments.join(" -> ")}.`,
    ...(plan.database === "none"
      ? [
          `No database (database: none): ${environments.map((env) => `${name}-${env}`).join(", ")} create no RDS instance, the pods get no DATABASE_* variables, and the pipeline runs no migration; the skeleton's health path answers without a database check. To add one later, remove database: none and add a migrate command in ${platformFile}.`,
        ]
      : []),
    `Secrets: the app declares none yet. Name them under its secrets: in ${platformFile}, then set each environment's value from a workstation, with no cluster access (docs/operations.md, "Setting an app's secrets"): ${secretCommand(name)}`,
  ];
}

/** How a value of the app's secret is set: into AWS Secrets Manager, read from stdin (cli/secret.ts). */
function secretCommand(app: string): string {
  return `npm run secret -- set ${app} <env> <NAME>`;
}

/** The human summary. `quiet`: one line. */
export function formatResult(result: NewAppResult, options: { readonly quiet?: boolean; readonly paint?: Painter } = {}): string {
  const paint = options.paint ?? painter(false);
  const name = result.app.name as string;
  const verb = result.written ? "added" : "would add";
  const head = `${verb} app ${paint("bold", name)} to ${safeText(result.platformFile)} (lines ${result.lines.from}-${result.lines.to}, ${result.template} template${result.database === "none" ? ", no database" : ""}): ${result.stacks.map((s) => s.name).join(", ")}`;
  if (options.quiet && !result.dryRun) return head;
  const lines: string[] = [];
  if (result.dryRun) {
    for (const l of result.diff.trimEnd().split("\n")) {
      lines.push(l.startsWith("+++") || l.startsWith("---") ? paint("bold", l) : l.startsWith("@@") ? paint("cyan", l) : l.startsWith("+") ? paint("green", l) : l.startsWith("-") ? paint("red", l) : l);
    }
    lines.push("");
  }
  lines.push(head);
  for (const d of result.domains) lines.push(`  ${d.environment}: https://${d.domain} ${paint("dim", d.from === "flag" ? "(--domain)" : `(the other apps' pattern ${d.pattern})`)}`);
  if (options.quiet) return lines.join("\n");
  lines.push("", result.dryRun ? `Dry run: nothing was written. Run again without --dry-run to change ${safeText(result.platformFile)}, then:` : "Next:");
  result.nextSteps.forEach((step, i) => lines.push(`  ${i + 1}. ${step}`));
  return lines.join("\n");
}

/** The `--json` shape. */
export function resultJson(result: NewAppResult) {
  return {
    platformFile: result.platformFile,
    dryRun: result.dryRun,
    written: result.written,
    template: result.template,
    database: result.database,
    app: result.app,
    domains: result.domains,
    stacks: result.stacks,
    lines: result.lines,
    diff: result.diff,
    nextSteps: result.nextSteps,
  };
}

/** The help text; it lists the templates found in templates/. */
function usage(): string {
  return `usage: npm run new-app -- <name> [--template NAME] [--database ${DATABASE_CHOICES.join("|")}] [--domain ENV=HOST ...] [--platform FILE] [--dry-run] [--json] [--quiet]
  <name>             the app's name: a DNS label of at most 17 characters, e.g. orders
  --template NAME    the app skeleton (default: ${DEFAULT_TEMPLATE}); available:
${templateNames().map((t) => `                       ${t}: ${templateDefaults(t).description}`).join("\n")}
  --database KIND    ${DATABASE_CHOICES.join(" | ")} (default: ${DEFAULT_DATABASE}): none writes database: none and no migrate
                     (no RDS, no DATABASE_* variables, no migration)
  --domain ENV=HOST  the app's domain in an environment (repeatable); default: the pattern the other
                     apps' domains share there, e.g. hello.dev.acme.example -> <name>.dev.acme.example
  --platform FILE    the platform file (default: $SLIPWAY_PLATFORM_FILE or ${DEFAULT_PLATFORM_FILE})
  --dry-run          print the change as a diff; write nothing
  --json             print the result as JSON
  --quiet, -q        one line (the default when CI=true)
The file keeps every byte outside the new app; it is written only when the result is valid.`;
}

export function main(argv: string[]): number {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        template: { type: "string", short: "t" },
        database: { type: "string" },
        domain: { type: "string", multiple: true },
        platform: { type: "string", short: "p" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`new-app: ${(error as Error).message}\n${usage()}`);
    return 1;
  }
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const platformFile = (values.platform as string | undefined) ?? process.env.SLIPWAY_PLATFORM_FILE ?? DEFAULT_PLATFORM_FILE;
  if (positionals.length !== 1) {
    console.error(safeText(`new-app: ${positionals.length === 0 ? "name the app" : `one app at a time (received ${positionals.map((p) => printable(p)).join(", ")})`}; nothing was written\n${usage()}`));
    return 1;
  }
  const domains: Record<string, string> = {};
  for (const flag of (values.domain as string[] | undefined) ?? []) {
    const match = /^([^=]+)=(.+)$/.exec(flag);
    if (!match || match[1] in domains) {
      console.error(safeText(`new-app: --domain ${printable(flag)}: ${match ? `environment ${match[1]} is given twice` : "expected ENV=HOST, e.g. --domain prod=orders.example.com"}; nothing was written`));
      return 1;
    }
    domains[match[1]] = match[2];
  }
  try {
    const result = addApp(platformFile, {
      name: positionals[0],
      template: values.template as string | undefined,
      database: values.database as string | undefined,
      domains,
      dryRun: values["dry-run"] === true,
    });
    if (values.json) console.log(JSON.stringify(resultJson(result), null, 2));
    else console.log(formatResult(result, { quiet: values.quiet === true || isCI(), paint: painter(colourEnabled(process.stdout)) }));
    return 0;
  } catch (error) {
    if (error instanceof NewAppError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof PlatformFileError) {
      console.error(`${error.message}\nFix the platform file first: new-app edits only a file synth accepts. Nothing was written; ${safeText(platformFile)} is as it was.`);
      return 1;
    }
    throw error;
  }
}
