/**
 * `slipway affected --base <cdktf.out> --head <cdktf.out>`: which stacks a change needs planned, and
 * why, so a pull request plans what it changes rather than the whole platform.
 *
 * A stack is planned when
 * - its synthesized configuration differs from the base's, once what never reaches a plan is
 *   normalised away (cdktf's `//` metadata: construct paths, unique ids, stack name, cdktf version;
 *   key order and formatting);
 * - it is new (no base stack of that name);
 * - it reads (`terraform_remote_state`) an output that may change, transitively: an output whose
 *   expression differs, or that refers (within its stack, or through another remote state) to a
 *   resource whose configuration differs. A reader of a changed stack that reads none of those is
 *   left out: a new app adds target groups to `platform-<env>`, which no other app's stack reads;
 * - or everything is planned: a changed file outside the platform file (shared code: constructs/,
 *   stacks/, package-lock.json, cdktf.json, a `.terraform.lock.hcl`, …), a change to the platform
 *   file outside its `apps[i]` entries, or no base to compare with.
 * A removed stack (in the base, not in the head) is reported and not planned: the head has no
 * configuration of it to plan, and CI destroys nothing (destroying is a deliberate `terraform
 * destroy` from a workstation, with the base's configuration).
 *
 * The engine ({@link affectedStacks}) takes loaded outputs, so CI, the bench and tests share it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { asArray, loadSynthesizedOutput, Reference, referencesIn, referencesInExpression, SynthesizedOutput, SynthesizedOutputError } from "../synthesized";

/** Why a stack is planned. */
export type AffectedReason =
  | { readonly kind: "changed" }
  | { readonly kind: "new" }
  /** It reads outputs of these stacks (directly) that may change. */
  | { readonly kind: "reads"; readonly stacks: readonly string[] }
  /** Everything is planned; `why` says what made it so. */
  | { readonly kind: "all"; readonly why: string };

export interface AffectedStack {
  readonly stack: string;
  readonly reasons: readonly AffectedReason[];
}

export interface AffectedResult {
  /** True when every stack is planned; {@link why} says why. */
  readonly all: boolean;
  readonly why?: string;
  /** The stacks to plan, in the head's order (dependency order), each with its reasons. */
  readonly plan: readonly AffectedStack[];
  /** Head stacks left out: their configuration and every output they read are unchanged. */
  readonly skipped: readonly string[];
  /** Base stacks the head no longer has: reported, not planned (CI destroys nothing). */
  readonly removed: readonly string[];
}

export interface AffectedOptions {
  /** The changed files (repository-relative, `git diff --name-only`). @default unknown: only the synthesized configurations are compared */
  readonly changedFiles?: readonly string[];
  /** The platform file's repository-relative path. @default "platform.yaml" */
  readonly platformFile?: string;
  /** The platform file's text on the base and on the head, to tell an app's entry from the top level. @default unknown: a changed platform file plans everything */
  readonly basePlatform?: string;
  readonly headPlatform?: string;
}

/**
 * Files a change of which cannot change a synthesized stack: the workflows `npm run workflows`
 * generates from the platform file and the code (any change of those shows up in the stacks).
 */
const DERIVED_FILES = /^\.github\/workflows\/slipway-[^/]*\.ya?ml$/;

/** The stacks to plan for a change from `base` to `head` (without a base, all of them). */
export function affectedStacks(base: SynthesizedOutput | undefined, head: SynthesizedOutput, options: AffectedOptions = {}): AffectedResult {
  const baseNames = new Set(base?.stacks.map((s) => s.name) ?? []);
  const headNames = new Set(head.stacks.map((s) => s.name));
  const removed = base ? base.stacks.map((s) => s.name).filter((n) => !headNames.has(n)) : [];
  const why = base ? everythingBecause(options) : "there is no base to compare with";
  if (why !== undefined) return { all: true, why, plan: head.stacks.map((s) => ({ stack: s.name, reasons: [{ kind: "all", why }] })), skipped: [], removed };

  const changes = possiblyChanged(base!, head);
  const plan: AffectedStack[] = [];
  for (const stack of head.stacks) {
    const found: AffectedReason[] = [];
    if (!baseNames.has(stack.name)) found.push({ kind: "new" });
    else if (changes.differs.has(stack.name)) found.push({ kind: "changed" });
    const read = changes.reads.get(stack.name) ?? [];
    if (read.length > 0) found.push({ kind: "reads", stacks: read });
    if (found.length > 0) plan.push({ stack: stack.name, reasons: found });
  }
  const planned = new Set(plan.map((p) => p.stack));
  return { all: false, plan, skipped: head.stacks.filter((s) => !planned.has(s.name)).map((s) => s.name), removed };
}

/** A stack's parts a plan is made of: each resource, data source and output, and the rest (`#stack`: providers, backend, locals, …). */
function parts(json: any): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const { resource = {}, data = {}, output = {}, ["//"]: _metadata, ...rest } = json ?? {};
  found.set("#stack", rest);
  for (const [type, byName] of Object.entries<any>(resource)) for (const [name, body] of Object.entries(byName ?? {})) found.set(`${type}.${name}`, body);
  for (const [type, byName] of Object.entries<any>(data)) for (const [name, body] of Object.entries(byName ?? {})) found.set(`data.${type}.${name}`, body);
  for (const [name, body] of Object.entries(output)) found.set(`output.${name}`, body);
  return found;
}

/** `data.?<type>.<name>` and `data.terraform_remote_state.<name>.outputs.<output>` inside an expression or a `depends_on` entry. */

/**
 * Which parts of the head may plan differently from the base, and so which stacks to plan: a part
 * whose configuration differs (or is new) may change; so may every part that refers to one that may
 * change — within its stack, and across stacks through a remote state output. A reader of a changed
 * stack that reads only outputs of parts that cannot change is left out: a new app adds target
 * groups to `platform-<env>`, which no other app's stack reads.
 */
function possiblyChanged(base: SynthesizedOutput, head: SynthesizedOutput): { differs: Set<string>; reads: Map<string, string[]> } {
  const baseStacks = new Map(base.stacks.map((s) => [s.name, s.json]));
  // Each part's dependents (the parts that refer to it), by `<stack>/<part>`.
  const dependents = new Map<string, Set<string>>();
  const edge = (from: string, to: string) => dependents.set(from, (dependents.get(from) ?? new Set()).add(to));
  const changed = new Set<string>();
  const differs = new Set<string>();
  for (const stack of head.stacks) {
    const headParts = parts(stack.json);
    const baseJson = baseStacks.get(stack.name);
    const baseParts = baseJson === undefined ? new Map<string, unknown>() : parts(baseJson);
    let stackDiffers = [...baseParts.keys()].some((k) => !headParts.has(k));
    for (const [key, body] of headParts) {
      const id = `${stack.name}/${key}`;
      if (!baseParts.has(key) || planRelevantJson(baseParts.get(key)) !== planRelevantJson(body)) {
        changed.add(id);
        stackDiffers = true;
      }
      // Providers, backend and locals reach every part of the stack.
      if (key !== "#stack") edge(`${stack.name}/#stack`, id);
      // Every output of a stack feeds a read of its whole remote state.
      if (key.startsWith("output.")) edge(id, `${stack.name}/output.*`);
      for (const ref of partReferences(body)) {
        const steps = ref.traversal.steps;
        if (ref.kind === "data" && steps[0] === "terraform_remote_state" && steps[1] !== undefined) {
          edge(`${stack.name}/data.terraform_remote_state.${steps[1]}`, id);
          const producer = head.producerOf(stack.name, steps[1]);
          const output = steps[2] === "outputs" ? steps[3] : undefined;
          if (producer && producer.name !== stack.name) edge(`${producer.name}/${output !== undefined ? `output.${output}` : "output.*"}`, id);
        } else if ((ref.kind === "resource" || ref.kind === "data") && headParts.has(ref.target)) {
          edge(`${stack.name}/${ref.target}`, id);
        } else if (ref.kind === "var" || ref.kind === "local" || ref.kind === "module") {
          edge(`${stack.name}/#stack`, id);
        }
      }
    }
    // A part gone from the stack is a change of it (a destroy) too.
    if (stackDiffers) differs.add(stack.name);
  }
  // Everything downstream of a change may change too.
  const queue = [...changed];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dependent of dependents.get(next) ?? []) {
      if (!changed.has(dependent)) {
        changed.add(dependent);
        queue.push(dependent);
      }
    }
  }
  // A stack reads a producer's change when one of its parts refers to an output of it that may change.
  const reads = new Map<string, string[]>();
  for (const [from, to] of dependents) {
    const [producer, part] = splitId(from);
    if (!part.startsWith("output.") || !changed.has(from)) continue;
    for (const dependent of to) {
      const [reader] = splitId(dependent);
      if (reader !== producer && !(reads.get(reader) ?? []).includes(producer)) reads.set(reader, [...(reads.get(reader) ?? []), producer]);
    }
  }
  const order = new Map(head.stacks.map((s, i) => [s.name, i]));
  for (const list of reads.values()) list.sort((a, b) => order.get(a)! - order.get(b)!);
  return { differs, reads };
}

function splitId(id: string): [string, string] {
  const slash = id.indexOf("/");
  return [id.slice(0, slash), id.slice(slash + 1)];
}

/** The references of one part, by the one scanner: strings are templates, `depends_on` entries bare addresses. */
function partReferences(body: unknown): Reference[] {
  if (!isRecord(body)) return referencesIn(body);
  const { depends_on: dependsOn, "//": _metadata, ...rest } = body;
  const refs = referencesIn(rest);
  for (const entry of asArray(dependsOn)) if (typeof entry === "string") refs.push(...referencesInExpression(entry));
  return refs;
}

/** Why every stack must be planned, from the changed files and the platform file; undefined when the configurations decide. */
export function everythingBecause(options: AffectedOptions): string | undefined {
  if (options.changedFiles === undefined) return undefined;
  const platformFile = normalisePath(options.platformFile ?? "platform.yaml");
  const shared = options.changedFiles.map(normalisePath).filter((f) => f !== "" && f !== platformFile && !DERIVED_FILES.test(f));
  if (shared.length > 0) {
    const shown = shared.slice(0, 5).join(", ");
    return `shared code changed (${shown}${shared.length > 5 ? `, and ${shared.length - 5} more` : ""}), which may change any stack`;
  }
  if (!options.changedFiles.map(normalisePath).includes(platformFile)) return undefined;
  if (options.basePlatform === undefined || options.headPlatform === undefined) return `${platformFile} changed, and without both versions of it the change cannot be placed`;
  const keys = topLevelChanges(options.basePlatform, options.headPlatform);
  if (keys === undefined) return `${platformFile} is not readable YAML on the base or the head`;
  return keys.length > 0 ? `${platformFile} changed outside its apps (${keys.join(", ")}), which may change any stack` : undefined;
}

/**
 * The platform file's top-level keys that differ between two versions, `apps` excluded (an app's
 * entry changes only its own stacks, which their configurations show); undefined when either
 * version is not YAML of a mapping.
 */
export function topLevelChanges(baseText: string, headText: string): string[] | undefined {
  let baseDoc: unknown;
  let headDoc: unknown;
  try {
    baseDoc = parse(baseText);
    headDoc = parse(headText);
  } catch {
    return undefined;
  }
  if (!isRecord(baseDoc) || !isRecord(headDoc)) return undefined;
  const keys = [...new Set([...Object.keys(baseDoc), ...Object.keys(headDoc)])].filter((k) => k !== "apps");
  const changed = keys.filter((k) => stableJson(baseDoc[k]) !== stableJson(headDoc[k]));
  // The apps list itself may be missing on one side: only its entries are the apps' own.
  if (!Array.isArray(baseDoc.apps ?? []) || !Array.isArray(headDoc.apps ?? [])) changed.push("apps");
  return changed.sort();
}

/**
 * A stack's configuration as Terraform plans it: every `//` (cdktf metadata: construct paths,
 * unique ids, the stack's name and cdktf's version) removed, keys sorted. Equal strings: equal plans.
 */
export function planRelevantJson(json: unknown): string {
  return stableJson(json, (key) => key === "//");
}

/** One line of reasons, e.g. `configuration differs; reads platform-dev`. */
export function reasonText(reasons: readonly AffectedReason[]): string {
  return reasons
    .map((r) => {
      switch (r.kind) {
        case "changed":
          return "configuration differs";
        case "new":
          return "new stack";
        case "reads":
          return `reads ${r.stacks.join(", ")}`;
        case "all":
          return `everything is planned: ${r.why}`;
      }
    })
    .join("; ");
}

/** The human report. */
export function formatAffected(result: AffectedResult): string {
  const total = result.plan.length + result.skipped.length;
  const lines: string[] = [];
  if (result.all) {
    lines.push(`all ${total} stacks to plan: ${result.why}`);
  } else {
    lines.push(`${result.plan.length} of ${total} stacks to plan (${result.skipped.length} unchanged, skipped):`);
    const width = Math.max(0, ...result.plan.map((p) => p.stack.length));
    for (const p of result.plan) lines.push(`  ${p.stack.padEnd(width)}  ${reasonText(p.reasons)}`);
  }
  if (result.removed.length > 0) {
    lines.push(`removed (not planned: CI destroys nothing; destroy them deliberately with the base's configuration): ${result.removed.join(", ")}`);
  }
  return lines.join("\n");
}

/** The `--json` document. */
export function affectedJson(result: AffectedResult): object {
  return {
    all: result.all,
    ...(result.why !== undefined ? { why: result.why } : {}),
    counts: { plan: result.plan.length, skipped: result.skipped.length, removed: result.removed.length },
    plan: result.plan.map((p) => ({ stack: p.stack, reasons: p.reasons, why: reasonText(p.reasons) })),
    skipped: result.skipped,
    removed: result.removed,
  };
}

function normalisePath(file: string): string {
  return file.trim().replace(/\\/g, "/").replace(/^\.\//, "");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted (and keys `drop` says so left out), so equal values give equal text. */
function stableJson(value: unknown, drop: (key: string) => boolean = () => false): string {
  return JSON.stringify(value, (_key, v) => {
    if (!isRecord(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (!drop(k)) sorted[k] = v[k];
    return sorted;
  }) ?? "undefined";
}

// ------------------------------------------------------------------------------------------------

const USAGE = `usage: slipway affected --head DIR [--base DIR] [--changed-files FILE] [--platform FILE]
                        [--base-platform FILE] [--head-platform FILE] [--json]
  --head DIR            the pull request's synthesized output (cdktf.out)
  --base DIR            the base branch's synthesized output; without it every stack is planned
  --changed-files FILE  the changed files, one a line (git diff --name-only): a file outside the
                        platform file plans everything; without it only the configurations decide
  --platform FILE       the platform file's path in the repository (default: platform.yaml)
  --base-platform FILE, --head-platform FILE
                        the platform file on the base and on the head, to tell an app's entry from
                        the top level (a top-level change plans everything)
  --json                print the result as JSON
Prints the stacks to plan and why; removed stacks are reported, never planned.
exit code: 0, or 2 for bad input`;

export function main(argv: string[]): number {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        base: { type: "string" },
        head: { type: "string" },
        "changed-files": { type: "string" },
        platform: { type: "string" },
        "base-platform": { type: "string" },
        "head-platform": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (typeof values.head !== "string") {
    console.error(`slipway affected needs --head DIR\n${USAGE}`);
    return 2;
  }
  try {
    const read = (option: string): string | undefined => {
      const file = values[option];
      if (typeof file !== "string") return undefined;
      if (!fs.existsSync(file)) throw new SynthesizedOutputError(`--${option} ${file}: no such file`);
      return fs.readFileSync(file, "utf8");
    };
    const load = (option: "base" | "head", dir: string) => {
      if (!fs.existsSync(path.join(dir, "manifest.json"))) throw new SynthesizedOutputError(`--${option} ${dir}: no synthesized output there (no manifest.json): synthesize it first (slipway synth --out ${dir})`);
      return loadSynthesizedOutput(dir);
    };
    const changed = read("changed-files");
    const result = affectedStacks(typeof values.base === "string" ? load("base", values.base) : undefined, load("head", values.head), {
      changedFiles: changed?.split("\n").filter((line) => line.trim() !== ""),
      platformFile: typeof values.platform === "string" ? values.platform : undefined,
      basePlatform: read("base-platform"),
      headPlatform: read("head-platform"),
    });
    console.log(values.json ? JSON.stringify(affectedJson(result), null, 2) : formatAffected(result));
    return 0;
  } catch (error) {
    if (error instanceof SynthesizedOutputError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}
