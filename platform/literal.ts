/**
 * The boundary between platform-file text and Terraform. Every string Terraform reads is a
 * template: `${...}` interpolates and `%{...}` runs a directive, on the machine that plans. A value
 * from the platform file is data, so it enters the construct tree as a Terraform literal — once,
 * where the stacks take the model's config ({@link terraformLiterals}) — and nowhere else.
 *
 * cdktf reads strings too, before Terraform: `${TfToken[...]}` (and `#{`/`&{` list and map markers,
 * and numbers whose bits mark a number token) are its own placeholders, replaced by whatever the
 * token stands for — a reference to another resource, or a secret. No Terraform escape hides them
 * from cdktf, so text shaped like one is refused ({@link literalProblems} reports it with its place
 * in the platform file; {@link terraformLiteral} throws as a last guard).
 */

/** Text cdktf reads as one of its string, list or map token markers. */
const CDKTF_TOKEN_MARKER = /[$#&]\{TfToken\[/;
/** cdktf's own pattern for a number inside a string that may encode a number token (tokens/private/encoding.js). */
const CDKTF_NUMBER_TOKEN = /[-|\d|.+]+(e[-|\d|.|e|E|+]+)/g;
/** The top 16 bits cdktf sets in a double that encodes a number token, or a list of numbers. */
const NUMBER_TOKEN_MARKERS = [0xfdff, 0xfbff];
/** Strings cdktf refuses outright in a scalar context (`Token.STRING_MAP_TOKEN_VALUE`, `Token.ANY_MAP_TOKEN_VALUE`). */
const CDKTF_MAP_TOKEN_VALUES = ["String Map Token Value", "Any Map Token Value"];

/**
 * Why cdktf would read `text` as (part of) one of its tokens, or undefined when it would not.
 * Such text cannot be passed through cdktf as a literal, whatever the escaping.
 */
export function cdktfTokenLookalike(text: string): string | undefined {
  const marker = CDKTF_TOKEN_MARKER.exec(text);
  if (marker) return `it contains ${JSON.stringify(marker[0])}, which cdktf reads as one of its token placeholders`;
  if (CDKTF_MAP_TOKEN_VALUES.includes(text)) return `${JSON.stringify(text)} is cdktf's placeholder for a map token`;
  for (const match of text.matchAll(CDKTF_NUMBER_TOKEN)) {
    if (isNumberTokenDouble(Number.parseFloat(match[0]))) {
      return `it contains ${JSON.stringify(match[0])}, a number whose bits cdktf reads as one of its number tokens`;
    }
  }
  return undefined;
}

function isNumberTokenDouble(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return NUMBER_TOKEN_MARKERS.includes(view.getUint16(0));
}

/**
 * `text` as a Terraform string that evaluates to exactly `text`: `${` and `%{` doubled (`$${`,
 * `%%{`), everything else (newlines, quotes, backslashes) as is — cdk.tf.json is JSON, which
 * already carries them. Not cdktf's `Fn.rawString`: that is meant inside expressions, writes
 * newlines as `\n` (a backslash and an `n` in a plain attribute) and leaves `%{` live.
 *
 * Apply it exactly once per value: `$${` escaped again reads back as `$${`, not `${`.
 * @throws Error when cdktf would read part of `text` as a token (`${TfToken[`, a number-token double)
 */
export function terraformLiteral(text: string): string {
  const lookalike = cdktfTokenLookalike(text);
  if (lookalike !== undefined) {
    throw new Error(`${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)} cannot be a Terraform literal: ${lookalike}`);
  }
  // A replacer function: in a replacement string `$$` would itself mean one `$`.
  return text.replace(/[$%]\{/g, (opening) => `${opening[0]}${opening}`);
}

/**
 * A copy of `value` (the model's config, or part of it) with every string — in objects, arrays
 * and record keys — made a {@link terraformLiteral}; numbers, booleans and undefined as they are.
 * The one place platform-file text becomes Terraform text: the stacks call it on the config they
 * pass into constructs.
 */
export function terraformLiterals<T>(value: T): T {
  if (typeof value === "string") return terraformLiteral(value) as T;
  if (Array.isArray(value)) return value.map((item) => terraformLiterals(item)) as T;
  if (value !== null && typeof value === "object") {
    if (Object.getPrototypeOf(value) !== Object.prototype) {
      throw new Error(`terraformLiterals takes plain data (the platform model); received a ${value.constructor?.name ?? "non-plain object"}`);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [terraformLiteral(key), terraformLiterals(item)])) as T;
  }
  return value;
}

/**
 * The fields whose value a generated workflow carries as a YAML value that GitHub Actions
 * evaluates `${{ }}` in (the test command in a step's `env`, runner labels in `runs-on`). GitHub
 * has no escape for `${{`, so there it is refused; everywhere else it is plain data.
 */

/** A problem with a value of the raw platform document, at its path. */
export interface LiteralProblem {
  readonly at: (string | number)[];
  readonly message: string;
}

/**
 * Every string of the raw platform document (keys too) that cannot stay data on its way: text
 * cdktf would read as a token, anywhere; `${{` in a value a workflow carries as YAML. Reported by
 * the model with file, line and path, before anything is synthesized.
 */
export function literalProblems(raw: unknown): LiteralProblem[] {
  const out: LiteralProblem[] = [];
  const visit = (value: unknown, at: (string | number)[]) => {
    if (typeof value === "string") {
      const lookalike = cdktfTokenLookalike(value);
      if (lookalike !== undefined) {
        out.push({ at, message: `${lookalike}; it cannot be passed on as plain text: remove or reword that part` });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...at, i]));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const lookalike = cdktfTokenLookalike(key);
        if (lookalike !== undefined) out.push({ at: [...at, key], message: `the key ${lookalike}: choose another key` });
        visit(item, [...at, key]);
      }
    }
  };
  visit(raw, []);
  return out;
}

