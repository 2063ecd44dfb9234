/**
 * References inside a synthesized Terraform JSON stack (`cdk.tf.json`), and whether each resolves
 * to something the same stack declares.
 *
 * Terraform's JSON syntax evaluates most strings as templates: `${ expr }` interpolations and
 * `%{ if / for }` directives, with `$${` and `%%{` as escapes. This module reads those templates
 * and the HCL expressions inside them well enough to find every traversal rooted at a resource
 * (`aws_vpc.main.id`), a data source (`data.aws_x.y`), `var.`, `local.` or `module.`; it skips
 * function names (`jsonencode(`, `provider::aws::arn_parse(`), string literals, object keys, numbers,
 * `true`/`false`/`null`, for-expression and template `for` iteration variables, dynamic-block
 * iterators, and attribute or index chains after a root (`aws_x.y[0].id`,
 * `tolist(aws_x.y.domain_validation_options)[0].name`), while still reading nested `${`, index
 * expressions and function arguments.
 */

/** One traversal found in an expression: its root and the static steps after it. */
export interface Traversal {
  /** The root identifier: `aws_vpc`, `data`, `var`, `local`, `module`, `each`, ... */
  readonly root: string;
  /** Static attribute and index steps after the root, as written (`["main", "id"]`, `["x", "0"]`). */
  readonly steps: string[];
  /** The traversal as text, e.g. `aws_vpc.main.id`. */
  readonly text: string;
}

/** A reference found in a stack, with where it was found. */
export interface Reference {
  /** What it must resolve to: `aws_vpc.main`, `data.aws_iam_policy_document.x`, `var.x`, `local.x`, `module.x`. */
  readonly target: string;
  readonly kind: "resource" | "data" | "var" | "local" | "module" | "each" | "count" | "self" | "unknown";
  /** The whole traversal, e.g. `data.terraform_remote_state.x.outputs.y`. */
  readonly traversal: Traversal;
  /** JSON path of the string it was found in, e.g. `resource.aws_subnet.a.vpc_id`. */
  readonly at: string;
}

/** A reference that does not resolve within its stack. */
export interface DanglingReference extends Reference {
  readonly why: string;
}

/** Roots that are Terraform's own and need no declaration. */
const BUILTIN_ROOTS = new Set(["path", "terraform"]);
const LITERALS = new Set(["true", "false", "null"]);

// ---------------------------------------------------------------------------------------------
// Templates and expressions

class Scanner {
  private pos = 0;
  readonly found: Traversal[] = [];
  /** Names bound by enclosing for-expressions, template for-directives and dynamic iterators. */
  private readonly scopes: string[][];

  constructor(
    private readonly src: string,
    bound: string[] = [],
  ) {
    this.scopes = [bound];
  }

  /** Reads the whole source as a template (a JSON string value). */
  templateToEnd(): void {
    this.template("top");
    if (this.pos < this.src.length) this.fail("unexpected text after the template");
  }

  /** Reads the whole source as one bare expression (a `depends_on` entry, a `for_each` value written without `${`). */
  expressionToEnd(): void {
    this.expression();
    this.space();
    if (this.pos < this.src.length) this.fail(`unexpected ${JSON.stringify(this.src[this.pos])}`);
  }

  private fail(message: string): never {
    throw new Error(`cannot read ${JSON.stringify(this.src)} at ${this.pos}: ${message}`);
  }

  private isBound(name: string): boolean {
    return this.scopes.some((scope) => scope.includes(name));
  }

  /**
   * A template: literal text with `${...}` and `%{...}`. `mode` says where it ends: the end of the
   * source, an unescaped `"` (a string literal inside an expression) or a heredoc's closing marker.
   */
  private template(mode: "top" | "quoted" | { heredoc: string }): void {
    const src = this.src;
    // Template for-directives bind names until their %{ endfor }.
    let forDirectives = 0;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (mode === "quoted" && c === '"') break;
      if (mode === "quoted" && c === "\\") {
        this.pos += 2;
        continue;
      }
      if (typeof mode === "object" && (this.pos === 0 || src[this.pos - 1] === "\n")) {
        const line = src.slice(this.pos).split("\n", 1)[0];
        if (line.trim() === mode.heredoc) {
          this.pos += line.length;
          break;
        }
      }
      if ((c === "$" || c === "%") && src[this.pos + 1] === c && src[this.pos + 2] === "{") {
        this.pos += 3; // $${ or %%{: a literal ${ or %{
        continue;
      }
      if (c === "$" && src[this.pos + 1] === "{") {
        this.pos += 2;
        this.strip();
        this.expression();
        this.strip();
        this.expect("}");
        continue;
      }
      if (c === "%" && src[this.pos + 1] === "{") {
        this.pos += 2;
        this.strip();
        this.space();
        const keyword = this.identifier();
        if (keyword === "for") {
          const names = this.forNames();
          this.expression();
          this.scopes.push(names);
          forDirectives++;
        } else if (keyword === "if") {
          this.expression();
        } else if (keyword === "endfor") {
          if (forDirectives === 0) this.fail("%{ endfor } without %{ for }");
          this.scopes.pop();
          forDirectives--;
        } else if (keyword !== "else" && keyword !== "endif") {
          this.fail(`unknown template directive ${JSON.stringify(keyword)}`);
        }
        this.space();
        this.strip();
        this.expect("}");
        continue;
      }
      this.pos++;
    }
    if (forDirectives !== 0) this.fail("%{ for } without %{ endfor }");
  }

  /** `a, b in` after a `for` keyword: the names it binds. */
  private forNames(): string[] {
    this.space();
    const names = [this.identifier()];
    this.space();
    if (this.src[this.pos] === ",") {
      this.pos++;
      this.space();
      names.push(this.identifier());
      this.space();
    }
    if (this.identifier() !== "in") this.fail("expected `in` in a for");
    return names;
  }

  private strip(): void {
    this.space();
    if (this.src[this.pos] === "~") this.pos++;
    this.space();
  }

  private expect(text: string): void {
    if (!this.src.startsWith(text, this.pos)) this.fail(`expected ${JSON.stringify(text)}`);
    this.pos += text.length;
  }

  private space(newlines = true): void {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === " " || c === "\t" || c === "\r" || (newlines && c === "\n")) this.pos++;
      else if (c === "#" || (c === "/" && src[this.pos + 1] === "/")) {
        while (this.pos < src.length && src[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && src[this.pos + 1] === "*") {
        const end = src.indexOf("*/", this.pos + 2);
        if (end < 0) this.fail("unterminated comment");
        this.pos = end + 2;
      } else return;
    }
  }

  private identifier(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail("expected an identifier");
    this.pos += m[0].length;
    return m[0];
  }

  /**
   * An expression, up to (not including) the first closing bracket that it did not open, or the
   * end of the source. Brackets it opens are tracked, with for-expression scopes and whether the
   * next identifier in an object constructor is a key.
   */
  private expression(): void {
    const src = this.src;
    interface Frame {
      readonly open: string;
      /** Names a for-expression binds once its `:` is read; bound while `bound` is true. */
      forNames?: string[];
      bound?: boolean;
      /** Conditionals `? :` open inside the for's collection expression. */
      questions: number;
      /** In an object constructor, at the start of an item (where a bare identifier is a key). */
      itemStart: boolean;
    }
    const frames: Frame[] = [];
    const top = () => frames[frames.length - 1];
    /** What the previous token was, to tell attribute names from roots. */
    let previous = "";
    for (;;) {
      this.space(false);
      if (this.pos >= src.length) return;
      const c = src[this.pos];
      const frame = top();
      if (c === "\n") {
        this.pos++;
        if (frame?.open === "{") frame.itemStart = true;
        continue;
      }
      if (c === '"') {
        this.pos++;
        this.template("quoted");
        this.expect('"');
        previous = "literal";
        if (frame) frame.itemStart = false;
        continue;
      }
      if (c === "<" && src.startsWith("<<", this.pos)) {
        const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(src.slice(this.pos));
        if (!m) this.fail("bad heredoc");
        this.pos += m[0].length;
        this.template({ heredoc: m[1] });
        previous = "literal";
        continue;
      }
      if (/[0-9]/.test(c)) {
        const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(this.pos))!;
        this.pos += m[0].length;
        previous = "literal";
        if (frame) frame.itemStart = false;
        continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        const start = this.pos;
        const name = this.identifier();
        const atItemStart = frame?.open === "{" && frame.itemStart;
        if (frame) frame.itemStart = false;
        if (previous === ".") {
          // An attribute after `)` or `]`: `tolist(x)[0].name`.
          previous = "name";
          continue;
        }
        const after = src.slice(this.pos).replace(/^[ \t]*/, "");
        if (after.startsWith("(") || after.startsWith("::")) {
          // A function call, or a provider function `provider::aws::arn_parse(`.
          while (src.startsWith("::", this.pos)) {
            this.pos += 2;
            this.identifier();
          }
          previous = "function";
          continue;
        }
        if (atItemStart && (/^=(?![=>])/.test(after) || after.startsWith(":"))) {
          previous = "key";
          continue;
        }
        if (LITERALS.has(name)) {
          previous = "literal";
          continue;
        }
        if (name === "for" && frame && previous === frame.open && frame.forNames === undefined) {
          this.pos = start + 3;
          frame.forNames = this.forNames();
          frame.bound = false;
          previous = "in";
          continue;
        }
        if (name === "if" && frame?.bound) {
          previous = "if";
          continue;
        }
        this.pos = start;
        this.traversal();
        previous = "traversal";
        continue;
      }
      if (c === "(" || c === "[" || c === "{") {
        this.pos++;
        frames.push({ open: c, questions: 0, itemStart: c === "{" });
        previous = c;
        continue;
      }
      if (c === ")" || c === "]" || c === "}") {
        if (!frame) return; // closes something outside this expression
        const expected = { "(": ")", "[": "]", "{": "}" }[frame.open];
        if (c !== expected) this.fail(`${JSON.stringify(c)} closes ${JSON.stringify(frame.open)}`);
        if (frame.bound) this.scopes.pop();
        frames.pop();
        this.pos++;
        previous = c;
        continue;
      }
      if (c === "?") {
        this.pos++;
        if (frame?.forNames && !frame.bound) frame.questions++;
        previous = "?";
        continue;
      }
      if (c === ":" && src[this.pos + 1] !== ":") {
        this.pos++;
        if (frame?.forNames && !frame.bound) {
          if (frame.questions > 0) frame.questions--;
          else {
            frame.bound = true;
            this.scopes.push(frame.forNames);
          }
        }
        previous = ":";
        continue;
      }
      if (c === ",") {
        this.pos++;
        if (frame?.open === "{") frame.itemStart = true;
        previous = ",";
        continue;
      }
      if (c === "." && src.startsWith("...", this.pos)) {
        this.pos += 3;
        previous = "...";
        continue;
      }
      if (c === ".") {
        this.pos++;
        this.space(false);
        // `.0` legacy index or `.*` splat after `)` / `]`.
        const m = /^([0-9]+|\*)/.exec(src.slice(this.pos));
        if (m) {
          this.pos += m[0].length;
          previous = "name";
        } else previous = ".";
        continue;
      }
      if ("+-*/%!=<>&|~".includes(c)) {
        this.pos++;
        previous = "operator";
        if (frame) frame.itemStart = false;
        continue;
      }
      this.fail(`unexpected ${JSON.stringify(c)}`);
    }
  }

  /** A root identifier and its static attribute/index steps; index expressions are read too. */
  private traversal(): void {
    const src = this.src;
    const root = this.identifier();
    const steps: string[] = [];
    let text = root;
    for (;;) {
      if (src[this.pos] === "." && src[this.pos + 1] !== ".") {
        const m = /^\.([A-Za-z_][A-Za-z0-9_-]*|[0-9]+|\*)/.exec(src.slice(this.pos));
        if (!m) break;
        this.pos += m[0].length;
        steps.push(m[1]);
        text += m[0];
        continue;
      }
      if (src[this.pos] === "[") {
        // A static index: [0], ["key"], [*]. Anything else ends the static part; the main loop
        // then reads the index expression (and what follows) as an expression.
        const m = /^\[\s*([0-9]+|\*|"(?:[^"\\$%]|\\.)*")\s*\]/.exec(src.slice(this.pos));
        if (!m) break;
        this.pos += m[0].length;
        steps.push(m[1].startsWith('"') ? JSON.parse(m[1]) : m[1]);
        text += m[0];
        continue;
      }
      break;
    }
    if (!this.isBound(root)) this.found.push({ root, steps, text });
  }
}

/** The traversals in a JSON string value (a template). `bound` are names in scope (iterators). */
export function traversalsInTemplate(text: string, bound: string[] = []): Traversal[] {
  const scanner = new Scanner(text, bound);
  scanner.templateToEnd();
  return scanner.found;
}

/** The traversals in a bare expression, as in `depends_on` entries. */
export function traversalsInExpression(text: string, bound: string[] = []): Traversal[] {
  const scanner = new Scanner(text, bound);
  scanner.expressionToEnd();
  return scanner.found;
}

// ---------------------------------------------------------------------------------------------
// Stacks

type Json = any;

/** What a traversal must resolve to. */
export function targetOf(t: Traversal): Pick<Reference, "target" | "kind"> {
  switch (t.root) {
    case "data":
      return { kind: "data", target: t.steps.length >= 2 ? `data.${t.steps[0]}.${t.steps[1]}` : t.text };
    case "var":
    case "local":
    case "module":
      return { kind: t.root, target: t.steps.length >= 1 ? `${t.root}.${t.steps[0]}` : t.text };
    case "each":
    case "count":
    case "self":
      return { kind: t.root, target: t.root };
    default:
      return t.steps.length >= 1 && /^[A-Za-z_]/.test(t.steps[0]) ? { kind: "resource", target: `${t.root}.${t.steps[0]}` } : { kind: "unknown", target: t.text };
  }
}

/** Everything a stack declares that an expression can name: `type.name`, `data.type.name`, `var.x`, `local.x`, `module.x`. */
export function declarations(stack: Json): Set<string> {
  const out = new Set<string>();
  for (const [type, byName] of Object.entries<Json>(stack.resource ?? {})) for (const name of Object.keys(byName)) out.add(`${type}.${name}`);
  for (const [type, byName] of Object.entries<Json>(stack.data ?? {})) for (const name of Object.keys(byName)) out.add(`data.${type}.${name}`);
  for (const name of Object.keys(stack.variable ?? {})) out.add(`var.${name}`);
  for (const locals of [stack.locals ?? []].flat()) for (const name of Object.keys(locals)) out.add(`local.${name}`);
  for (const name of Object.keys(stack.module ?? {})) out.add(`module.${name}`);
  return out;
}

/** The provider configurations a stack declares: `aws`, `aws.us-east-1`, ... */
export function providerConfigurations(stack: Json): Set<string> {
  const out = new Set<string>();
  for (const [name, configs] of Object.entries<Json>(stack.provider ?? {})) {
    for (const config of [configs].flat()) out.add(config?.alias ? `${name}.${config.alias}` : name);
  }
  return out;
}

/** Meta-arguments of a block that hold no template. */
const NOT_TEMPLATES = new Set(["//", "provider", "provisioner", "connection"]);

interface Context {
  /** Names bound by dynamic-block iterators. */
  readonly bound: string[];
  /** The enclosing resource, data source or module uses for_each (so `each` is defined) or count. */
  readonly forEach: boolean;
  readonly count: boolean;
}

/** Every reference in a synthesized stack, with where it was found. */
export function stackReferences(stack: Json): Reference[] {
  const out: Reference[] = [];
  const add = (traversals: Traversal[], at: string) => {
    for (const traversal of traversals) out.push({ ...targetOf(traversal), traversal, at });
  };
  /** Strings in a value are templates (JSON syntax); `dynamic` blocks bind their iterator. */
  const values = (node: Json, at: string, ctx: Context): void => {
    if (typeof node === "string") add(traversalsInTemplate(node, ctx.bound), at);
    else if (Array.isArray(node)) node.forEach((n, i) => values(n, `${at}[${i}]`, ctx));
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries<Json>(node)) {
        if (key === "//") continue;
        if (key === "dynamic") {
          for (const [label, blocks] of Object.entries<Json>(value)) {
            for (const block of [blocks].flat()) {
              const { iterator, content, ...rest } = block;
              values(rest, `${at}.dynamic.${label}`, ctx);
              values(content, `${at}.dynamic.${label}.content`, { ...ctx, bound: [...ctx.bound, iterator ?? label] });
            }
          }
        } else values(value, `${at}.${key}`, ctx);
      }
    }
  };
  const block = (body: Json, at: string, meta: { forEach?: boolean; count?: boolean } = {}) => {
    const ctx: Context = { bound: [], forEach: !!meta.forEach, count: !!meta.count };
    for (const [key, value] of Object.entries<Json>(body ?? {})) {
      if (NOT_TEMPLATES.has(key)) continue;
      if (key === "depends_on") {
        for (const [i, entry] of (value as string[]).entries()) {
          const bare = entry.replace(/^\$\{(.*)\}$/s, "$1");
          add(traversalsInExpression(bare), `${at}.depends_on[${i}]`);
        }
      } else if (key === "lifecycle") {
        // ignore_changes lists attribute paths of this resource, not references.
        const { ignore_changes: _ignored, replace_triggered_by: replaceTriggeredBy, ...rest } = value ?? {};
        values(rest, `${at}.lifecycle`, ctx);
        for (const [i, entry] of ((replaceTriggeredBy as string[] | undefined) ?? []).entries()) {
          add(traversalsInExpression(entry.replace(/^\$\{(.*)\}$/s, "$1")), `${at}.lifecycle.replace_triggered_by[${i}]`);
        }
      } else values(value, `${at}.${key}`, ctx);
    }
  };
  for (const kind of ["resource", "data"] as const) {
    for (const [type, byName] of Object.entries<Json>(stack[kind] ?? {})) {
      for (const [name, body] of Object.entries<Json>(byName)) {
        block(body, `${kind}.${type}.${name}`, { forEach: body.for_each !== undefined, count: body.count !== undefined });
      }
    }
  }
  for (const [name, body] of Object.entries<Json>(stack.module ?? {})) {
    const { source: _source, version: _version, providers: _providers, ...rest } = body;
    block(rest, `module.${name}`, { forEach: rest.for_each !== undefined, count: rest.count !== undefined });
  }
  for (const [name, body] of Object.entries<Json>(stack.output ?? {})) block(body, `output.${name}`);
  for (const locals of [stack.locals ?? []].flat()) {
    for (const [name, value] of Object.entries<Json>(locals)) values(value, `locals.${name}`, { bound: [], forEach: false, count: false });
  }
  for (const [name, configs] of Object.entries<Json>(stack.provider ?? {})) {
    [configs].flat().forEach((config: Json, i: number) => block(config, `provider.${name}[${i}]`));
  }
  // Variables' defaults and types, the terraform block (backend, required providers) and
  // variable validation hold no references to other blocks.
  return out;
}

/** The blocks whose `each` / `count` / `self` are defined, by JSON path prefix. */
function metaAllowed(stack: Json, at: string, kind: "each" | "count" | "self"): boolean {
  const [block, type, name] = at.split(".");
  const body = block === "module" ? stack.module?.[type] : stack[block]?.[type]?.[name];
  if (!body) return false;
  if (kind === "each") return body.for_each !== undefined || /\.dynamic\.[^.]+\.content/.test(at);
  if (kind === "count") return body.count !== undefined;
  return /\.(provisioner|connection)\b/.test(at);
}

/** References in `stack` that resolve to nothing it declares, with why. */
export function danglingReferences(stack: Json): DanglingReference[] {
  const declared = declarations(stack);
  const providers = providerConfigurations(stack);
  const out: DanglingReference[] = [];
  for (const ref of stackReferences(stack)) {
    if (BUILTIN_ROOTS.has(ref.traversal.root)) continue;
    if (ref.kind === "each" || ref.kind === "count" || ref.kind === "self") {
      if (!metaAllowed(stack, ref.at, ref.kind)) out.push({ ...ref, why: `${ref.kind} is only defined in a block that sets ${ref.kind === "self" ? "a provisioner" : ref.kind === "each" ? "for_each" : "count"}` });
      continue;
    }
    if (ref.kind === "unknown") {
      out.push({ ...ref, why: `${JSON.stringify(ref.traversal.text)} names no resource, data source, variable, local or module` });
      continue;
    }
    if (!declared.has(ref.target)) out.push({ ...ref, why: `${ref.target} is not declared in this stack` });
  }
  // A resource's provider meta-argument must name a configuration the stack declares.
  for (const kind of ["resource", "data"] as const) {
    for (const [type, byName] of Object.entries<Json>(stack[kind] ?? {})) {
      for (const [name, body] of Object.entries<Json>(byName)) {
        const provider = body.provider as string | undefined;
        const at = `${kind}.${type}.${name}.provider`;
        const traversal = { root: provider ?? "", steps: [], text: provider ?? "" };
        if (provider !== undefined && !providers.has(provider)) {
          out.push({ kind: "unknown", target: provider, traversal, at, why: `provider ${provider} is not configured in this stack` });
        } else if (provider !== undefined && provider.split(".")[0] !== type.split("_")[0]) {
          out.push({ kind: "unknown", target: provider, traversal, at, why: `provider ${provider} does not serve ${type}` });
        }
        // A resource without `provider` uses the default configuration of its type's provider.
        if (provider === undefined && !type.startsWith("terraform_") && kind === "resource") {
          const local = type.split("_")[0];
          if (!providers.has(local) && ![...providers].some((p) => p.startsWith(`${local}.`))) {
            out.push({ kind: "unknown", target: local, traversal: { root: local, steps: [], text: local }, at, why: `no ${local} provider is configured in this stack` });
          }
        }
      }
    }
  }
  return out;
}

/** A remote state a stack reads, and the outputs it reads from it. */
export interface RemoteStateRead {
  /** The data source's name (`cross-stack-reference-input-platform-dev`). */
  readonly name: string;
  readonly backend: string;
  readonly config: Json;
  /** Output names read (`data.terraform_remote_state.<name>.outputs.<output>`). */
  readonly outputs: string[];
}

/** Every `terraform_remote_state` a stack declares, with the outputs it reads from each. */
export function remoteStateReads(stack: Json): RemoteStateRead[] {
  const refs = stackReferences(stack).filter((r) => r.kind === "data" && r.traversal.steps[0] === "terraform_remote_state");
  return Object.entries<Json>(stack.data?.terraform_remote_state ?? {}).map(([name, body]) => ({
    name,
    backend: body.backend,
    config: body.config,
    outputs: [
      ...new Set(
        refs.filter((r) => r.traversal.steps[1] === name && r.traversal.steps[2] === "outputs" && r.traversal.steps[3] !== undefined).map((r) => r.traversal.steps[3]),
      ),
    ].sort(),
  }));
}

/** Where a stack keeps its state, as a remote state data source would address it. */
export function stateLocation(stack: Json): { backend: string; config: Record<string, unknown> } | undefined {
  const terraform = stack.terraform ?? {};
  if (terraform.cloud) {
    const { hostname, organization, workspaces } = terraform.cloud;
    return { backend: "remote", config: { hostname, organization, workspaces: { name: workspaces?.name } } };
  }
  const [backend, config] = Object.entries<Json>(terraform.backend ?? {})[0] ?? [];
  if (!backend) return undefined;
  if (backend === "local") return { backend, config: { path: config.path } };
  if (backend === "s3") return { backend, config: { bucket: config.bucket, key: config.key, region: config.region } };
  if (backend === "remote") return { backend, config: { hostname: config.hostname, organization: config.organization, workspaces: { name: config.workspaces?.name } } };
  return { backend, config };
}

/** True when a remote state data source's settings point at `location`. */
function pointsAt(read: RemoteStateRead, location: { backend: string; config: Record<string, unknown> }): boolean {
  if (read.backend !== location.backend) return false;
  return Object.entries(location.config).every(([key, value]) => JSON.stringify(read.config?.[key]) === JSON.stringify(value));
}

/**
 * Problems with how the stacks of one synthesized platform refer to each other: a stack reaches
 * another only through a `terraform_remote_state` that points at that stack's own state (same
 * backend, same location), reads only outputs that stack declares, and lists it among its
 * dependencies (so it is applied first); no two stacks share a state location; a reference to a
 * resource another stack declares is named as such.
 */
export function crossStackProblems(stacks: Record<string, Json>, dependencies: Record<string, string[]>): string[] {
  const problems: string[] = [];
  const locations = Object.entries(stacks).map(([name, stack]) => ({ name, location: stateLocation(stack) }));
  for (const { name, location } of locations) {
    if (!location) problems.push(`${name}: declares no backend`);
    const same = locations.filter((l) => l.name !== name && l.location && JSON.stringify(l.location) === JSON.stringify(location));
    if (same.length > 0) problems.push(`${name}: keeps its state where ${same.map((s) => s.name).join(", ")} keep theirs`);
  }
  const declaredIn = new Map<string, string[]>();
  for (const [name, stack] of Object.entries(stacks)) {
    for (const target of declarations(stack)) declaredIn.set(target, [...(declaredIn.get(target) ?? []), name]);
  }
  for (const [name, stack] of Object.entries(stacks)) {
    const producers: string[] = [];
    for (const read of remoteStateReads(stack)) {
      const producer = locations.find((l) => l.location && pointsAt(read, l.location))?.name;
      if (!producer) {
        problems.push(`${name}: remote state ${read.name} (${read.backend} ${JSON.stringify(read.config)}) points at no stack's state`);
        continue;
      }
      producers.push(producer);
      if (producer === name) problems.push(`${name}: remote state ${read.name} reads the stack's own state`);
      if (read.outputs.length === 0) problems.push(`${name}: remote state ${read.name} is declared but never read`);
      const outputs = stacks[producer].output ?? {};
      for (const output of read.outputs) {
        if (!(output in outputs)) problems.push(`${name}: reads output ${output} of ${producer} through ${read.name}, but ${producer} has no such output`);
      }
    }
    const declared = [...(dependencies[name] ?? [])].sort();
    const read = [...new Set(producers)].sort();
    if (JSON.stringify(declared) !== JSON.stringify(read)) {
      problems.push(`${name}: reads the state of [${read.join(", ")}] but depends on [${declared.join(", ")}]`);
    }
    const own = declarations(stack);
    for (const ref of stackReferences(stack)) {
      const elsewhere = declaredIn.get(ref.target)?.filter((s) => s !== name);
      if (!own.has(ref.target) && elsewhere?.length) {
        problems.push(`${name}: ${ref.at} refers to ${ref.target} of ${elsewhere.join(", ")} directly, not through remote state`);
      }
    }
  }
  return problems;
}
