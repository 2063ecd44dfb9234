/**
 * Helpers rules share: tolerant accessors for cdktf JSON (a nested block is an object or a
 * one-element list depending on the provider schema), booleans that may be strings, numbers
 * that may be references, and the resource a whole-value reference names.
 */
import { wholeResourceReference } from "../synthesized";
import { ResourceView } from "./types";

// ------------------------------------------------------------------------------------------------

/** A value as a list: a list stays, `undefined`/`null` is empty, anything else is a one-element list. */
export function list(value: unknown): any[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A nested block: the object itself, or the first element of a list (cdktf writes both). */
export function block(value: unknown): any {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== null && typeof first === "object" ? first : undefined;
}

/** Walks `keys` through nested blocks, tolerant of lists at every level: `dig(c, "spec", "template", "spec")`. */
export function dig(value: unknown, ...keys: string[]): any {
  let current: any = value;
  for (const key of keys) {
    const b = block(current);
    if (b === undefined) return undefined;
    current = b[key];
  }
  return current;
}

/** True for `true` and `"true"` (cdktf writes some booleans as strings). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

/** True for `false` and `"false"`. */
export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === "string" && value.toLowerCase() === "false");
}

/** A number from a number or a numeric string; undefined otherwise (including references). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

/** True when `value` is (or holds) a Terraform interpolation `${…}`: its value is known only at plan time. */
export function isReference(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** JSON for messages, short. */
export function show(value: unknown): string {
  if (value === undefined) return "(not set)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The resource a whole-value reference names: `${aws_kms_key.Key_1234.arn}`, `${aws_iam_role.R.name}`
 * (`parsePolicy` turns `jsonencode`'s bare traversals into this form). Literals such as
 * `my.bucket.name`, data sources and other stacks' outputs give undefined. Read by the one
 * reference scanner (synthesized/references.ts).
 */
export function parseReference(value: unknown): { type: string; name: string; attribute: string } | undefined {
  return wholeResourceReference(value);
}

/** The tags of a resource (`tags`, as written in the stack; provider default tags are not included). */
export function tagsOf(resource: ResourceView): Record<string, string> {
  const tags = resource.config.tags;
  return tags && typeof tags === "object" && !Array.isArray(tags) ? tags : {};
}

/** True when `lifecycle.prevent_destroy` is on. */
export function preventsDestroy(resource: ResourceView): boolean {
  return isTrue(dig(resource.config, "lifecycle", "prevent_destroy"));
}
