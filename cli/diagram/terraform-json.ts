/**
 * Reading synthesized stacks (`cdktf.out`) as data: which stack belongs to which environment and
 * app, and what each resource refers to — following `${…}` references inside a stack and
 * cdktf's cross-stack references (`data.terraform_remote_state.<x>.outputs.<y>`) into the stack
 * that produces them. The diagrams are drawn from these references, never by hand.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Thrown when the synthesized folder is missing or incomplete. */
export class DiagramInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DiagramInputError";
  }
}

export interface SynthesizedStack {
  readonly name: string;
  /** The parsed `cdk.tf.json`. */
  readonly json: any;
  /** From the AWS provider's default tag `slipway:environment`; undefined for shared stacks (delivery). */
  readonly environment?: string;
  /** From the default tag `slipway:app`; undefined for `platform-<env>`. */
  readonly app?: string;
  /** From the default tag `slipway:platform`. */
  readonly platform?: string;
}

export interface SynthesizedOutput {
  readonly stacks: SynthesizedStack[];
  /** Environment names in platform order (the order of `slipway.json`, else of the manifest). */
  readonly environments: string[];
  /** Generated workflow files, `workflows/<app>/<file>` relative to the output folder -> content. */
  readonly workflowFiles: Map<string, string>;
  /** Environments `slipway.json` marks as production. */
  readonly productionEnvironments: string[];
}

/** A resource or data source of one stack. `address` is Terraform's: `aws_lb.X` or `data.github_team.Y`. */
export interface ResourceId {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  readonly data: boolean;
}

/** A reference found in a resource's JSON, resolved to the resource it names (across stacks). */
export interface Reference {
  readonly target: ResourceId;
  /** The attribute read, e.g. `dns_name` or `metadata`. */
  readonly attribute: string;
  /** Where in the referring JSON the reference sits, e.g. `["origin", 0, "domain_name"]`. */
  readonly path: (string | number)[];
}

export function address(id: ResourceId): string {
  return `${id.data ? "data." : ""}${id.type}.${id.name}`;
}

export function resourceKey(id: ResourceId): string {
  return `${id.stack}/${address(id)}`;
}

/** Reads `<dir>/manifest.json`, every stack it lists, `slipway.json` and `workflows/**`. */
export function loadSynthesizedOutput(dir: string): SynthesizedOutput {
  const manifestFile = path.join(dir, "manifest.json");
  if (!fs.existsSync(manifestFile)) {
    throw new DiagramInputError(`${manifestFile} not found: run \`npm run synth\` first, or \`npm run diagram -- --synth\``);
  }
  const manifest = readJson(manifestFile);
  const summaryFile = path.join(dir, "slipway.json");
  const summary = fs.existsSync(summaryFile) ? readJson(summaryFile) : {};
  const manifestStacks = Object.entries<any>(manifest.stacks ?? {});
  if (manifestStacks.length === 0) throw new DiagramInputError(`${manifestFile} lists no stacks: synthesize again`);
  const order: string[] = (summary.stacks ?? []).map((s: any) => s.name).filter((n: unknown) => typeof n === "string");
  manifestStacks.sort(([a], [b]) => rank(order, a) - rank(order, b) || a.localeCompare(b));

  const stacks: SynthesizedStack[] = manifestStacks.map(([name, entry]) => {
    const file = path.join(dir, entry.synthesizedStackPath ?? path.join("stacks", name, "cdk.tf.json"));
    if (!fs.existsSync(file)) throw new DiagramInputError(`${file} (stack ${name} in ${manifestFile}) not found: synthesize again`);
    const json = readJson(file);
    const tags = defaultTags(json);
    return { name, json, environment: tags["slipway:environment"], app: tags["slipway:app"], platform: tags["slipway:platform"] };
  });
  const environments: string[] = [];
  for (const s of stacks) if (s.environment && !environments.includes(s.environment)) environments.push(s.environment);

  const workflowFiles = new Map<string, string>();
  const workflowsDir = path.join(dir, "workflows");
  if (fs.existsSync(workflowsDir)) {
    for (const app of fs.readdirSync(workflowsDir).sort()) {
      const appDir = path.join(workflowsDir, app);
      if (!fs.statSync(appDir).isDirectory()) continue;
      for (const file of fs.readdirSync(appDir).sort()) workflowFiles.set(`workflows/${app}/${file}`, fs.readFileSync(path.join(appDir, file), "utf8"));
    }
  }
  return { stacks, environments, workflowFiles, productionEnvironments: Array.isArray(summary.productionEnvironments) ? summary.productionEnvironments : [] };
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i === -1 ? order.length : i;
}

function readJson(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new DiagramInputError(`${file} is not valid JSON (${(error as Error).message}): synthesize again`);
  }
}

/** The AWS provider's default tags (the first provider block that has them). */
function defaultTags(json: any): Record<string, string> {
  for (const provider of asArray(json.provider?.aws)) {
    const tags = asArray(provider?.default_tags)[0]?.tags;
    if (tags && typeof tags === "object") return tags;
  }
  return {};
}

/** Terraform JSON allows a block as an object or a list of objects; cdktf writes either. */
export function asArray<T = any>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as T[]) : [value as T];
}

/**
 * The resources the pull-request previews add once per host environment (router, RBAC, preview
 * identity and environment, the router's target group, the wildcard records): the diagram draws
 * the app's own request path and pipeline, not the previews' (yet).
 */
function isPreviewMachinery(body: any): boolean {
  const top = String(body?.["//"]?.metadata?.path ?? "").split("/")[1] ?? "";
  return /^(Previews|PreviewAccess|PreviewDatabaseIdentity|PreviewDomain(A|AAAA)|PreviewTargets-.+)$/.test(top);
}

/** Every resource and data source of the synthesized output, with reference resolution. */
export class ResourceIndex {
  private readonly byName: Map<string, SynthesizedStack>;

  constructor(readonly output: SynthesizedOutput) {
    this.byName = new Map(output.stacks.map((s) => [s.name, s]));
  }

  stack(name: string): SynthesizedStack {
    const s = this.byName.get(name);
    if (!s) throw new Error(`no stack ${name}`);
    return s;
  }

  /** The JSON body of a resource or data source, or undefined. */
  body(id: ResourceId): any {
    const stack = this.byName.get(id.stack);
    return (id.data ? stack?.json.data : stack?.json.resource)?.[id.type]?.[id.name];
  }

  /** The resources of `types` in `stacks`, in file order (the pull-request previews' machinery left out: see {@link isPreviewMachinery}). */
  resources(stacks: SynthesizedStack[], ...types: string[]): ResourceId[] {
    const ids: ResourceId[] = [];
    for (const stack of stacks) {
      for (const type of types) {
        for (const [name, body] of Object.entries<any>(stack.json.resource?.[type] ?? {})) if (!isPreviewMachinery(body)) ids.push({ stack: stack.name, type, name, data: false });
      }
    }
    return ids;
  }

  /**
   * The references inside `value` (a resource body or part of one) of stack `stack`, resolved to
   * the resources they name; a cross-stack reference resolves to what the producing stack's
   * output refers to. References to variables, locals, `terraform.*` and unknown names are dropped.
   */
  references(stack: string, value: unknown, at: (string | number)[] = []): Reference[] {
    const found: Reference[] = [];
    walkStrings(value, at, (text, where) => {
      for (const expression of expressions(text)) {
        for (const match of expression.matchAll(REFERENCE)) {
          const [, dataPrefix, type, name, rest] = match;
          const attribute = (rest.match(/^\.([A-Za-z0-9_-]+)/) ?? [])[1] ?? "";
          if (dataPrefix && type === "terraform_remote_state") {
            const output = (rest.match(/^\.outputs\.([A-Za-z0-9_-]+)/) ?? [])[1];
            for (const resolved of this.remoteOutput(stack, name, output)) found.push({ ...resolved, path: where });
            continue;
          }
          const id: ResourceId = { stack, type, name, data: Boolean(dataPrefix) };
          if (this.body(id) !== undefined) found.push({ target: id, attribute, path: where });
        }
      }
    });
    return found;
  }

  /** The references of a whole resource (its `//` metadata excluded). */
  referencesOf(id: ResourceId): Reference[] {
    const body = this.body(id) ?? {};
    const { ["//"]: _metadata, ...rest } = body;
    return this.references(id.stack, rest);
  }

  /** The resources `id` refers to that are of `type` (directly). */
  referencedOfType(id: ResourceId, type: string): ResourceId[] {
    return unique(this.referencesOf(id).filter((r) => r.target.type === type).map((r) => r.target));
  }

  private remoteOutput(stack: string, remoteName: string, output: string | undefined): Omit<Reference, "path">[] {
    if (!output) return [];
    const producer = this.producerOf(stack, remoteName);
    const value = producer?.json.output?.[output]?.value;
    if (!producer || value === undefined) return [];
    return this.references(producer.name, value).map(({ target, attribute }) => ({ target, attribute }));
  }

  /** cdktf names a cross-stack input `cross-stack-reference-input-<stack>`; else match the state path. */
  private producerOf(stack: string, remoteName: string): SynthesizedStack | undefined {
    const named = this.byName.get(remoteName.replace(/^cross-stack-reference-input-/, ""));
    if (named) return named;
    const config = this.stack(stack).json.data?.terraform_remote_state?.[remoteName]?.config ?? {};
    const where = JSON.stringify(config);
    return this.output.stacks.find((s) => where.includes(`.${s.name}.`) || where.includes(`/${s.name}.`) || where.includes(`${s.name}"`));
  }
}

/** `data.?<type>.<name><rest>` inside an expression. Resource types are lower-case snake case. */
const REFERENCE = /(?<![A-Za-z0-9_.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+|\[[0-9]+\])*)/g;

/** The `${…}` expressions of a Terraform template string (`$${` is a literal `${`). */
export function expressions(text: string): string[] {
  const found: string[] = [];
  for (let i = text.indexOf("${"); i !== -1; i = text.indexOf("${", i + 2)) {
    if (i > 0 && text[i - 1] === "$") continue;
    let depth = 1;
    let j = i + 2;
    for (; j < text.length && depth > 0; j++) {
      if (text[j] === "{") depth++;
      else if (text[j] === "}") depth--;
    }
    found.push(text.slice(i + 2, j - 1));
  }
  return found;
}

function walkStrings(value: unknown, at: (string | number)[], visit: (text: string, where: (string | number)[]) => void): void {
  if (typeof value === "string") visit(value, at);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...at, i], visit));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walkStrings(v, [...at, k], visit);
}

export function unique(ids: ResourceId[]): ResourceId[] {
  const seen = new Set<string>();
  return ids.filter((id) => {
    const key = resourceKey(id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function sameResource(a: ResourceId | undefined, b: ResourceId | undefined): boolean {
  return Boolean(a && b && resourceKey(a) === resourceKey(b));
}
