/**
 * The one reference scanner for synthesized Terraform JSON (`cdk.tf.json`): every reader of
 * `cdktf.out` (policy rules, diagrams, plan-integrity tests, affected stacks) finds references here.
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

export type ReferenceKind = "resource" | "data" | "var" | "local" | "module" | "each" | "count" | "self" | "path" | "terraform" | "unknown";

/** A reference found in a stack, with where it was found. */
export interface Reference {
  /** What it must resolve to: `aws_vpc.main`, `data.aws_iam_policy_document.x`, `var.x`, `local.x`, `module.x`. */
  readonly target: string;
  readonly kind: ReferenceKind;
  /** The whole traversal, e.g. `data.terraform_remote_state.x.outputs.y`. */
  readonly traversal: Traversal;
  /** JSON path of the string it was found in, as keys and indexes: `["resource", "aws_subnet", "a", "vpc_id"]`. */
  readonly path: readonly (string | number)[];
  /** The same path as text, e.g. `resource.aws_subnet.a.vpc_id`, `...origin[0].domain_name`. */
  readonly at: string;
}

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
// References in JSON values

type Json = any;
export type JsonPath = readonly (string | number)[];

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
    case "path":
    case "terraform":
      return { kind: t.root, target: t.root };
    default:
      return t.steps.length >= 1 && /^[A-Za-z_]/.test(t.steps[0]) ? { kind: "resource", target: `${t.root}.${t.steps[0]}` } : { kind: "unknown", target: t.text };
  }
}

/** `["resource", "aws_x", "y", "origin", 0, "domain_name"]` as `resource.aws_x.y.origin[0].domain_name`. */
export function formatPath(path: JsonPath): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** True when a string can hold a reference at all: most strings in a stack are plain literals. */
function mayReference(text: string): boolean {
  return text.includes("${") || text.includes("%{");
}

/** The references in one JSON string (a template), found at `path`. `bound` are names in scope. */
export function referencesInTemplate(text: string, path: JsonPath = [], bound: string[] = []): Reference[] {
  if (!mayReference(text)) return [];
  const at = formatPath(path);
  return traversalsInTemplate(text, bound).map((traversal) => ({ ...targetOf(traversal), traversal, path, at }));
}

/** The references in a bare expression (a `depends_on` or `replace_triggered_by` entry, with or without `${}`). */
export function referencesInExpression(text: string, path: JsonPath = []): Reference[] {
  const at = formatPath(path);
  return traversalsInExpression(text.replace(/^\$\{(.*)\}$/s, "$1")).map((traversal) => ({ ...targetOf(traversal), traversal, path, at }));
}

/**
 * The references anywhere inside a JSON value (a whole block or part of one), each string read as
 * a template; `path` is where `value` sits. `dynamic` blocks bind their iterator inside `content`.
 */
export function referencesIn(value: unknown, path: JsonPath = [], bound: string[] = []): Reference[] {
  const out: Reference[] = [];
  const visit = (node: Json, at: (string | number)[], names: string[]): void => {
    if (typeof node === "string") {
      if (mayReference(node)) out.push(...referencesInTemplate(node, at, names));
    } else if (Array.isArray(node)) node.forEach((n, i) => visit(n, [...at, i], names));
    else if (node && typeof node === "object") {
      for (const [key, v] of Object.entries<Json>(node)) {
        if (key === "//") continue;
        if (key === "dynamic" && v && typeof v === "object") {
          for (const [label, blocks] of Object.entries<Json>(v)) {
            const list = Array.isArray(blocks) ? blocks : [blocks];
            list.forEach((b: Json, i: number) => {
              const where = Array.isArray(blocks) ? [...at, key, label, i] : [...at, key, label];
              const { iterator, content, ...rest } = b ?? {};
              visit(rest, where, names);
              visit(content, [...where, "content"], [...names, iterator ?? label]);
            });
          }
        } else visit(v, [...at, key], names);
      }
    }
  };
  visit(value, [...path], bound);
  return out;
}

/** Meta-arguments of a block that hold no template. */
const NOT_TEMPLATES = new Set(["//", "provider", "provisioner", "connection"]);

/** The references of one block body (resource, data source, module, output, provider configuration). */
function blockReferences(body: Json, path: (string | number)[]): Reference[] {
  const out: Reference[] = [];
  for (const [key, value] of Object.entries<Json>(body ?? {})) {
    if (NOT_TEMPLATES.has(key)) continue;
    if (key === "depends_on") {
      for (const [i, entry] of (value as string[]).entries()) out.push(...referencesInExpression(entry, [...path, key, i]));
    } else if (key === "lifecycle") {
      // ignore_changes lists attribute paths of this resource, not references.
      const { ignore_changes: _ignored, replace_triggered_by: replaceTriggeredBy, ...rest } = value ?? {};
      out.push(...referencesIn(rest, [...path, key]));
      for (const [i, entry] of ((replaceTriggeredBy as string[] | undefined) ?? []).entries()) {
        out.push(...referencesInExpression(entry, [...path, key, "replace_triggered_by", i]));
      }
    } else out.push(...referencesIn(value, [...path, key]));
  }
  return out;
}

/**
 * Every reference in a synthesized stack (`cdk.tf.json`), with where it was found: resources,
 * data sources, modules, outputs, locals and provider configurations. Variables' defaults and
 * types and the `terraform` block (backend, required providers) hold no references.
 */
export function stackReferences(stack: Json): Reference[] {
  const out: Reference[] = [];
  for (const kind of ["resource", "data"] as const) {
    for (const [type, byName] of Object.entries<Json>(stack?.[kind] ?? {})) {
      for (const [name, body] of Object.entries<Json>(byName ?? {})) out.push(...blockReferences(body, [kind, type, name]));
    }
  }
  for (const [name, body] of Object.entries<Json>(stack?.module ?? {})) {
    const { source: _source, version: _version, providers: _providers, ...rest } = body ?? {};
    out.push(...blockReferences(rest, ["module", name]));
  }
  for (const [name, body] of Object.entries<Json>(stack?.output ?? {})) out.push(...blockReferences(body, ["output", name]));
  const locals = stack?.locals;
  for (const [i, block] of (Array.isArray(locals) ? locals : locals ? [locals] : []).entries()) {
    for (const [name, value] of Object.entries<Json>(block)) out.push(...referencesIn(value, Array.isArray(locals) ? ["locals", i, name] : ["locals", name]));
  }
  for (const [name, configs] of Object.entries<Json>(stack?.provider ?? {})) {
    (Array.isArray(configs) ? configs : [configs]).forEach((config: Json, i: number) => out.push(...blockReferences(config, ["provider", name, i])));
  }
  return out;
}

const SIMPLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*)\}$/;

/**
 * The resource a whole-value reference names: `${aws_kms_key.Key_1234.arn}`, `${aws_iam_role.R.name}`.
 * Literals such as `my.bucket.name`, text around the reference, data sources, variables and other
 * stacks' outputs give undefined.
 */
export function wholeResourceReference(value: unknown): { type: string; name: string; attribute: string } | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (!text.startsWith("${") || !text.endsWith("}")) return undefined;
  // The common shape, `${type.name.attr[0].more}`, needs no scanning (rules ask this very often).
  const simple = SIMPLE_REFERENCE.exec(text);
  if (simple) {
    const kind = targetOf({ root: simple[1], steps: [simple[2]], text: "" }).kind;
    return kind === "resource" ? { type: simple[1], name: simple[2], attribute: simple[3].replace(/^\./, "") } : undefined;
  }
  let traversals: Traversal[];
  try {
    traversals = traversalsInTemplate(text);
  } catch {
    return undefined;
  }
  if (traversals.length !== 1) return undefined;
  const [t] = traversals;
  if (`\${${t.text}}` !== text.replace(/^\$\{\s*/, "${").replace(/\s*\}$/, "}")) return undefined;
  if (targetOf(t).kind !== "resource") return undefined;
  const rest = t.text.slice(`${t.root}.${t.steps[0]}`.length);
  return { type: t.root, name: t.steps[0], attribute: rest.replace(/^\./, "") };
}
