/**
 * Reading Terraform templates, as Terraform's JSON syntax evaluates most strings: `${ expr }`
 * interpolations and `%{ if / for }` directives, with `$${` and `%%{` as escapes. The templates
 * and the HCL expressions inside them are read well enough to find every traversal rooted at a
 * resource (`aws_vpc.main.id`), a data source (`data.aws_x.y`), `var.`, `local.` or `module.`;
 * function names (`jsonencode(`, `provider::aws::arn_parse(`), string literals, object keys,
 * numbers, `true`/`false`/`null`, for-expression and template `for` iteration variables,
 * dynamic-block iterators, and attribute or index chains after a root (`aws_x.y[0].id`,
 * `tolist(aws_x.y.domain_validation_options)[0].name`) are skipped, while nested `${`, index
 * expressions and function arguments are still read. Text it cannot read is an error, never skipped.
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


const LITERALS = new Set(["true", "false", "null"]);

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
