/**
 * Policy documents (IAM, KMS, S3, ECR) as synthesized: a JSON string, or `${jsonencode({...})}`
 * whose argument hcl.ts reads; statements, principals and conditions for the rules.
 */
import { list, show } from "./accessors";
import { parseHclExpression } from "./hcl";

// ------------------------------------------------------------------------------------------------

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export type ParsedPolicy = { readonly ok: true; readonly statements: PolicyStatement[]; readonly document: any } | { readonly ok: false; readonly reason: string };

/**
 * Reads a policy document as synthesized: a JSON string (possibly with `${…}` interpolations inside
 * string values), or `${jsonencode({...})}` whose argument is a literal object. References inside
 * `jsonencode` (`aws_s3_bucket.B.arn`) become the strings `"${aws_s3_bucket.B.arn}"`. Anything
 * else (a data source's JSON, function calls, conditionals) is not statically checkable.
 */
export function parsePolicy(value: unknown): ParsedPolicy {
  let document: any;
  if (value !== null && typeof value === "object") {
    document = value;
  } else if (typeof value !== "string") {
    return { ok: false, reason: `the document is ${show(value)}, not JSON` };
  } else {
    const text = value.trim();
    const encoded = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(text);
    if (encoded) {
      try {
        document = parseHclExpression(encoded[1]);
      } catch (error) {
        return { ok: false, reason: `jsonencode(...) is not a literal document (${(error as Error).message})` };
      }
    } else if (text.startsWith("${")) {
      return { ok: false, reason: `the document is the Terraform expression ${show(text)}` };
    } else {
      try {
        document = JSON.parse(text);
      } catch (error) {
        return { ok: false, reason: `the document is not valid JSON (${(error as Error).message})` };
      }
    }
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { ok: false, reason: "the document is not a JSON object" };
  }
  const statements = list(document.Statement).filter((s) => s !== null && typeof s === "object");
  return { ok: true, statements, document };
}

/** The values of a statement field that may be a string or a list (`Action`, `Resource`, ...). */
export function values(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === "string");
}

/** True when the statement's principal is everyone: `"*"`, `{"AWS": "*"}` (or a list holding `"*"`), or an Allow with `NotPrincipal`. */
export function hasWildcardPrincipal(statement: PolicyStatement): boolean {
  if (statement.NotPrincipal !== undefined && statement.Effect !== "Deny") return true;
  const principal = statement.Principal;
  if (principal === "*") return true;
  if (principal && typeof principal === "object") {
    return Object.values(principal as Record<string, unknown>).some((v) => values(v).includes("*"));
  }
  return false;
}

/** The statement's condition operators and keys, flattened: `[{operator, key, values}]`. */
export function conditions(statement: PolicyStatement): { operator: string; key: string; values: unknown[] }[] {
  const result: { operator: string; key: string; values: unknown[] }[] = [];
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    if (!entries || typeof entries !== "object") continue;
    for (const [key, v] of Object.entries(entries)) result.push({ operator, key, values: list(v) });
  }
  return result;
}
