/**
 * The one reference scanner for synthesized Terraform JSON (`cdk.tf.json`): every reader of
 * `cdktf.out` (policy rules, diagrams, plan-integrity tests, affected stacks) finds references
 * here — in a stack, in any JSON value with its path, or as a whole-value reference. Strings are
 * read as Terraform templates by ./templates.ts.
 */
import { Traversal, traversalsInExpression, traversalsInTemplate } from "./templates";

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
