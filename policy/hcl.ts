/** The subset of HCL cdktf writes inside `jsonencode(...)`, read as a JSON value. */

/**
 * Parses the subset of HCL that cdktf writes inside `jsonencode(...)`: objects (`{"k" = v, …}`),
 * tuples, strings (templates kept verbatim), numbers, `true`/`false`/`null`, and references
 * (`aws_s3_bucket.B.arn`, `data.x.y.z[0]`), which become `"${…}"` strings. Throws on anything else.
 */
export function parseHclExpression(source: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i}: ${JSON.stringify(source.slice(i, i + 30))}`);
  };
  const skip = () => {
    for (;;) {
      while (i < source.length && /\s/.test(source[i])) i++;
      if (source.startsWith("#", i) || source.startsWith("//", i)) {
        while (i < source.length && source[i] !== "\n") i++;
      } else if (source.startsWith("/*", i)) {
        const end = source.indexOf("*/", i + 2);
        i = end < 0 ? source.length : end + 2;
      } else return;
    }
  };
  const parseString = (): string => {
    // i is at the opening quote.
    i++;
    let out = "";
    while (i < source.length) {
      const c = source[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\\") {
        const n = source[i + 1];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (n in simple) {
          out += simple[n];
          i += 2;
        } else if (n === "u" && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail("unknown escape");
        continue;
      }
      if ((c === "$" || c === "%") && source[i + 1] === c && source[i + 2] === "{") {
        out += `${c}{`; // `$${` is a literal `${`
        i += 3;
        continue;
      }
      if ((c === "$" || c === "%") && source[i + 1] === "{") {
        // A template interpolation: keep it verbatim, braces and nested strings balanced.
        const start = i;
        i += 2;
        let depth = 1;
        while (i < source.length && depth > 0) {
          const d = source[i];
          if (d === '"') {
            parseString();
            continue;
          }
          if (d === "{") depth++;
          else if (d === "}") depth--;
          i++;
        }
        if (depth > 0) fail("unterminated interpolation");
        out += source.slice(start, i);
        continue;
      }
      out += c;
      i++;
    }
    return fail("unterminated string");
  };
  const parseValue = (): unknown => {
    skip();
    const c = source[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      for (;;) {
        skip();
        if (source[i] === "}") {
          i++;
          return obj;
        }
        let key: string;
        if (source[i] === '"') key = parseString();
        else {
          const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i));
          if (!m) return fail("expected an object key");
          key = m[0];
          i += key.length;
        }
        skip();
        if (source[i] !== "=" && source[i] !== ":") fail("expected '=' after an object key");
        i++;
        obj[key] = parseValue();
        const end = i;
        skip();
        if (source[i] === ",") i++;
        // Newline-separated attributes are valid HCL; anything else (an operator) is not evaluated.
        else if (source[i] !== "}" && !source.slice(end, i).includes("\n")) fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: unknown[] = [];
      for (;;) {
        skip();
        if (source[i] === "]") {
          i++;
          return items;
        }
        items.push(parseValue());
        skip();
        if (source[i] === ",") i++;
        else if (source[i] !== "]") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    const traversal = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\.\d+|\[\d+\]|\["[^"\]]*"\]|\.\*|\[\*\])*/.exec(source.slice(i));
    if (traversal) {
      const word = traversal[0];
      const after = source.slice(i + word.length).trimStart();
      if (after.startsWith("(")) fail(`function call ${word}(...) is not evaluated`);
      i += word.length;
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null") return null;
      return `\${${word}}`;
    }
    return fail("unsupported expression");
  };
  const value = parseValue();
  skip();
  if (i < source.length) fail("unexpected trailing expression");
  return value;
}
