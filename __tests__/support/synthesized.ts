/**
 * Queries on a stack synthesized with `Testing.synth`, for construct tests: resources by the
 * construct id they were created with under one construct, Terraform addresses and references to
 * them, counts per type (through the one model of the synthesized output, synthesized/); and the
 * shape every construct validation error must have.
 */
import { SlipwayValidationError } from "../../constructs/util";
import { StackModel } from "../../synthesized";

type Json = any;
type Block = "resource" | "data";

/** Lookups for the resources created directly under the construct whose id is `constructId`. */
export function constructResources(constructId: string) {
  /** The Terraform name of the resource (or data source) with construct id `id` (`Resource` drops out of the name). */
  const nameOf = (tf: Json, type: string, id: string, block: Block = "resource"): string => {
    const prefix = id === "Resource" ? `${constructId}_` : `${constructId}_${id.replace(/[^A-Za-z0-9_-]/g, "")}_`;
    const name = Object.keys(tf[block]?.[type] ?? {}).find((k) => k.startsWith(prefix) && /^[0-9A-F]{8}$/.test(k.slice(prefix.length)));
    if (!name) throw new Error(`no ${block} ${type} with construct id ${id}`);
    return name;
  };
  /** The Terraform address (`type.name`, `data.type.name`). */
  const address = (tf: Json, type: string, id: string, block: Block = "resource"): string =>
    `${block === "data" ? "data." : ""}${type}.${nameOf(tf, type, id, block)}`;
  return {
    nameOf,
    address,
    /** All resources of a Terraform type, in synth order. */
    all: (tf: Json, type: string, block: Block = "resource"): Json[] => {
      const stack = new StackModel("test", tf);
      return (block === "data" ? stack.dataSources(type) : stack.resources(type)).map((e) => e.body);
    },
    /** The resource of `type` created with construct id `id`. */
    one: (tf: Json, type: string, id = "Resource", block: Block = "resource"): Json => tf[block][type][nameOf(tf, type, id, block)],
    /** The Terraform reference to an attribute of that resource. */
    ref: (tf: Json, type: string, id: string, attribute = "id", block: Block = "resource"): string => `\${${address(tf, type, id, block)}.${attribute}}`,
    /** How many resources of each type. */
    countByType: (tf: Json, block: Block = "resource"): Record<string, number> => {
      const stack = new StackModel("test", tf);
      if (block === "resource") return stack.countByType();
      const counts: Record<string, number> = {};
      for (const d of stack.dataSources()) counts[d.type] = (counts[d.type] ?? 0) + 1;
      return counts;
    },
  };
}

/** `run` must fail with a validation error naming `path`, the field and what is accepted; returns it. */
export function expectValidationError(run: () => unknown, path: string, field: string, accepted: string | RegExp): SlipwayValidationError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SlipwayValidationError);
  const validation = error as SlipwayValidationError;
  expect(validation.path).toBe(path);
  expect(validation.field).toBe(field);
  expect(validation.message.startsWith(`${path}: ${field} `)).toBe(true);
  if (typeof accepted === "string") expect(validation.accepted).toContain(accepted);
  else expect(validation.accepted).toMatch(accepted);
  return validation;
}
