/**
 * App skeletons: the files a new app repository starts with, rendered from a template folder
 * (`templates/<name>/` of this package). A template is data: its files, copied as they are, with a
 * fixed set of placeholders (`{{slipway.appName}}`, `{{slipway.port}}`, `{{slipway.healthPath}}`,
 * `{{slipway.staticUrlPath}}`) replaced by plain string replacement of validated values, and a
 * `slipway-template.json` that describes it and names the commands the platform file should run.
 * A second language is a second folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SlipwayValidationError } from "./util";

/** The values a template's placeholders are replaced with. */
export interface SkeletonValues {
  /** The app's name, a DNS label (as in the platform file), e.g. `orders`. */
  readonly appName: string;
  /** The port the app listens on, 1-65535. */
  readonly port: number;
  /** The health check's HTTP path, e.g. `/healthz`; not `/` (the home page) and not under the static path. */
  readonly healthPath: string;
  /**
   * Where the CDN serves the static assets, as the platform file's CloudFront path pattern, e.g.
   * `/static/*`: the app serves the same files at `/static/` for local runs.
   * @default "/static/*"
   */
  readonly staticPath?: string;
}

/** Options of {@link renderSkeleton}. */
export interface RenderSkeletonOptions {
  /**
   * The folder holding the template folders.
   * @default this package's `templates/` (see {@link skeletonTemplatesDirectory})
   */
  readonly templatesDirectory?: string;
  /**
   * Where an invalid value is reported, e.g. the construct path of the repository it is for.
   * @default "skeleton"
   */
  readonly errorPath?: string;
}

/** The commands a template's app runs in its image, for the platform file's `test`, `migrate` and `integrationTest`. */
export interface SkeletonCommands {
  /** Unit tests, needing no database, e.g. `python -m pytest -q tests/unit`. */
  readonly test: string;
  /**
   * Schema migrations against `DATABASE_URL`, e.g. `python -m migrate`.
   * @default none - the template has no migrations
   */
  readonly migrate?: string;
  /**
   * Integration tests against a running deployment at `APP_URL`, e.g. `python -m pytest -q tests/integration`.
   * @default none - the template has no integration tests
   */
  readonly integrationTest?: string;
}

/** A template folder, as {@link loadSkeletonTemplate} reads it. */
export interface SkeletonTemplate {
  /** The folder's name, e.g. `python`. */
  readonly name: string;
  /** The folder's absolute path. */
  readonly directory: string;
  /** One line describing the stack the template gives. */
  readonly description: string;
  /** The commands its app runs. */
  readonly commands: SkeletonCommands;
  /** The absolute directory in the built image holding the static assets the pipeline publishes, e.g. `/app/static`. */
  readonly staticDirectory: string;
  /** Every file of the template as committed to the repository (`gitignore` listed as `.gitignore`), sorted. */
  readonly files: string[];
}

/** The placeholders a template may use, each `{{slipway.<key>}}`; anything else starting `{{slipway.` is an error. */
export const SKELETON_PLACEHOLDERS = ["appName", "port", "healthPath", "staticUrlPath"] as const;

/** The manifest in each template folder; it describes the template and is not committed. */
export const SKELETON_MANIFEST = "slipway-template.json";

/** The template new apps get unless they name another. */
export const DEFAULT_SKELETON_TEMPLATE = "python";

const PLACEHOLDER = /\{\{slipway\.([^}]*)\}\}/g;
const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const URL_PATH = /^\/[A-Za-z0-9._~/-]*$/;
const STATIC_PATTERN = /^(\/[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)\/\*$/;
const TEMPLATE_NAME = /^[a-z][a-z0-9-]*$/;
/** Left behind by running a template's own tools in its folder; never part of a skeleton. */
const IGNORED = new Set(["__pycache__", ".pytest_cache", "node_modules", ".DS_Store"]);
/**
 * npm leaves every `.gitignore` out of a published package, so a template keeps it as
 * `gitignore` and it is committed under its real name.
 */
const RENAMED: Record<string, string> = { gitignore: ".gitignore" };

/**
 * The folder holding the templates: `templates/` beside this package's package.json, found from
 * this file whether it runs from source, from `dist/`, or bundled.
 */
export function skeletonTemplatesDirectory(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && fs.existsSync(path.join(dir, "templates")) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "slipway") {
      return path.join(dir, "templates");
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no templates/ folder of the slipway package above ${__dirname}`);
    dir = parent;
  }
}

/** The names of the available templates, e.g. `["python"]`. */
export function listSkeletonTemplates(templatesDirectory: string = skeletonTemplatesDirectory()): string[] {
  return fs
    .readdirSync(templatesDirectory, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(templatesDirectory, e.name, SKELETON_MANIFEST)))
    .map((e) => e.name)
    .sort();
}

/** Reads a template folder: its manifest and the list of its files. Fails naming the file and what is wrong. */
export function loadSkeletonTemplate(name: string, templatesDirectory: string = skeletonTemplatesDirectory()): SkeletonTemplate {
  const available = fs.existsSync(templatesDirectory) ? listSkeletonTemplates(templatesDirectory) : [];
  if (!TEMPLATE_NAME.test(name) || !available.includes(name)) {
    throw new SlipwayValidationError("skeleton", "template", name, `one of the templates in ${templatesDirectory}: ${available.join(", ") || "(none)"}`);
  }
  const directory = path.join(templatesDirectory, name);
  const manifestFile = path.join(directory, SKELETON_MANIFEST);
  let manifest: any;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  } catch (error) {
    throw new Error(`${manifestFile}: not valid JSON (${(error as Error).message})`);
  }
  const command = (key: string, required: boolean): string | undefined => {
    const value = manifest?.commands?.[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      throw new SlipwayValidationError(manifestFile, `commands.${key}`, value, "a non-empty shell command run in the image, e.g. python -m pytest -q tests/unit");
    }
    return value;
  };
  if (typeof manifest?.description !== "string" || manifest.description.trim() === "") {
    throw new SlipwayValidationError(manifestFile, "description", manifest?.description, "a one-line description of the template");
  }
  const commands: SkeletonCommands = {
    test: command("test", true)!,
    migrate: command("migrate", false),
    integrationTest: command("integrationTest", false),
  };
  const staticDirectory = manifest?.staticDirectory;
  if (typeof staticDirectory !== "string" || !/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(staticDirectory)) {
    throw new SlipwayValidationError(manifestFile, "staticDirectory", staticDirectory, "the absolute directory in the image holding the static assets, e.g. /app/static");
  }
  return { name, directory, description: manifest.description, commands, staticDirectory, files: templateFiles(directory).map((f) => f.target).sort() };
}

/**
 * The files of a template with its placeholders replaced, keyed by their path in the repository
 * (sorted). Every value is validated first; every `{{slipway.<key>}}` must be a known key, and
 * none is left in the result.
 * @param template a template's name, e.g. `python`
 */
export function renderSkeleton(template: string, values: SkeletonValues, options: RenderSkeletonOptions = {}): Record<string, string> {
  const loaded = loadSkeletonTemplate(template, options.templatesDirectory ?? skeletonTemplatesDirectory());
  const replacements = placeholderValues(values, options.errorPath ?? "skeleton");
  const files: Record<string, string> = {};
  for (const { source, target } of templateFiles(loaded.directory).sort((a, b) => (a.target < b.target ? -1 : 1))) {
    const file = path.join(loaded.directory, source);
    const bytes = fs.readFileSync(file);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new Error(`${file}: not UTF-8 text; a template holds text files only (they are committed as text)`);
    }
    files[target] = text.replace(PLACEHOLDER, (match, key: string, offset: number) => {
      if (!(key in replacements)) {
        const line = text.slice(0, offset).split("\n").length;
        throw new SlipwayValidationError(`${file}:${line}`, "placeholder", match, `one of ${SKELETON_PLACEHOLDERS.map((k) => `{{slipway.${k}}}`).join(", ")}`);
      }
      return replacements[key];
    });
  }
  return files;
}

/** The validated replacement of each placeholder. Values are restricted so they are safe as plain text in any file. */
function placeholderValues(values: SkeletonValues, errorPath: string): Record<string, string> {
  const fail = (field: string, received: unknown, accepted: string): never => {
    throw new SlipwayValidationError(errorPath, field, received, accepted);
  };
  if (typeof values.appName !== "string" || !DNS_LABEL.test(values.appName) || values.appName.length > 63) {
    fail("appName", values.appName, "a DNS label: lower-case letters, digits and '-', starting with a letter, e.g. orders");
  }
  if (!Number.isInteger(values.port) || values.port < 1 || values.port > 65535) {
    fail("port", values.port, "a whole number from 1 to 65535, e.g. 8080");
  }
  const staticPath = values.staticPath ?? "/static/*";
  const staticMatch = typeof staticPath === "string" ? STATIC_PATTERN.exec(staticPath) : null;
  if (!staticMatch) {
    fail("staticPath", staticPath, "a path pattern of one or more segments ending in '/*', e.g. /static/*");
  }
  const staticUrlPath = staticMatch![1];
  if (typeof values.healthPath !== "string" || !URL_PATH.test(values.healthPath)) {
    fail("healthPath", values.healthPath, "an HTTP path starting with '/', such as /healthz");
  }
  if (values.healthPath === "/" || values.healthPath.startsWith(`${staticUrlPath}/`) || values.healthPath === staticUrlPath) {
    fail("healthPath", values.healthPath, `a path of its own: not / (the home page) and not under ${staticUrlPath}/ (static assets), e.g. /healthz`);
  }
  const replacements: Record<(typeof SKELETON_PLACEHOLDERS)[number], string> = {
    appName: values.appName,
    port: String(values.port),
    healthPath: values.healthPath,
    staticUrlPath,
  };
  return replacements;
}

/** Every file under `directory` except the manifest and tool caches, with its path in the repository. */
function templateFiles(directory: string): { source: string; target: string }[] {
  const found: { source: string; target: string }[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      if (IGNORED.has(entry.name) || entry.name.endsWith(".pyc")) continue;
      const source = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(source);
      else if (entry.isFile() && source !== SKELETON_MANIFEST) {
        const base = RENAMED[entry.name] ?? entry.name;
        found.push({ source, target: relative ? `${relative}/${base}` : base });
      } else if (!entry.isFile() && !entry.isDirectory()) {
        throw new Error(`${path.join(directory, source)}: a template holds plain files and folders only (no links)`);
      }
    }
  };
  walk("");
  return found;
}
