/**
 * The synthesized output (`cdktf.out`) as one model: cdktf's `manifest.json` and every stack it
 * lists, Slipway's `slipway.json` (production flags, dependencies, suppressions), and the app
 * workflows under `workflows/`. Every reader of `cdktf.out` — `check`, `diagram`, the policy
 * engine, the tests — loads it here, so they agree on what a stack is and where its state is.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RemoteStateRead, StackModel, StateLocation } from "./stack";

type Json = any;

/** Thrown when the synthesized folder is missing, incomplete or unreadable. */
export class SynthesizedOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SynthesizedOutputError";
  }
}

/** A suppression as `slipway.json` records it (see policy/engine.ts `Suppression`). */
export interface SummarySuppression {
  readonly rule: string;
  readonly path: string;
  readonly reason: string;
}

/** What `slipway.json` may hold; every field optional (a library user's app has no such file). */
export interface SlipwaySummary {
  readonly stacks?: readonly {
    readonly name: string;
    readonly description?: string;
    readonly production?: boolean;
    readonly dependsOn?: readonly string[];
    readonly suppressions?: readonly SummarySuppression[];
  }[];
  readonly productionEnvironments?: readonly string[];
  readonly suppressions?: readonly SummarySuppression[];
}

/** One stack of the output: its JSON views plus what the manifest and `slipway.json` say about it. */
export class SynthesizedStack extends StackModel {
  constructor(
    name: string,
    json: Json,
    /** Absolute path of its `cdk.tf.json`. */
    readonly file: string,
    /** Stacks it depends on, from the manifest (cdktf's cross-stack references). */
    readonly dependencies: readonly string[],
    /** From `slipway.json`, else a name ending in `-prod` / `-production`. */
    readonly production: boolean,
    /** Suppressions `slipway.json` lists for this stack, their paths made absolute (starting with the stack's name). */
    readonly suppressions: readonly SummarySuppression[],
  ) {
    super(name, json);
    const tags = this.defaultTags();
    this.environment = tags["slipway:environment"];
    this.app = tags["slipway:app"];
    this.platform = tags["slipway:platform"];
  }

  /** From the AWS provider's default tag `slipway:environment`; undefined for shared stacks (delivery). */
  readonly environment?: string;
  /** From the default tag `slipway:app`; undefined for `platform-<env>`. */
  readonly app?: string;
  /** From the default tag `slipway:platform`. */
  readonly platform?: string;
}

export interface LoadOptions {
  /**
   * What the error for a missing `manifest.json` tells the user to do.
   * @default "run `npm run synth` first"
   */
  readonly missingHint?: string;
}

const PRODUCTION_NAME = /-(prod|production)$/;

/** The whole synthesized output. */
export class SynthesizedOutput {
  private readonly byName: Map<string, SynthesizedStack>;

  constructor(
    /** The folder it was read from. */
    readonly dir: string,
    /** Every stack, in platform order (the order of `slipway.json`; else, and for stacks it does not list, the manifest's). */
    readonly stacks: readonly SynthesizedStack[],
    /** `slipway.json`, or undefined when there is none. */
    readonly summary: SlipwaySummary | undefined,
    /** Generated workflow files, `workflows/<app>/<file>` relative to `dir` -> content. */
    readonly workflowFiles: ReadonlyMap<string, string>,
  ) {
    this.byName = new Map(stacks.map((s) => [s.name, s]));
  }

  /**
   * An output built in memory from stacks' JSON (tests, or stacks read some other way); production
   * comes from `production`, else from the name.
   */
  static fromStacks(stacks: readonly { readonly name: string; readonly json: Json; readonly dependencies?: readonly string[]; readonly production?: boolean }[], dir = "(in memory)"): SynthesizedOutput {
    return new SynthesizedOutput(
      dir,
      stacks.map((s) => new SynthesizedStack(s.name, s.json, path.join(dir, "stacks", s.name, "cdk.tf.json"), s.dependencies ?? [], s.production ?? PRODUCTION_NAME.test(s.name), [])),
      undefined,
      new Map(),
    );
  }

  /** True when `slipway.json` was found; otherwise production came from stack names. */
  get summaryFound(): boolean {
    return this.summary !== undefined;
  }

  /** Environment names in platform order (from the stacks' default tags). */
  get environments(): string[] {
    const out: string[] = [];
    for (const s of this.stacks) if (s.environment && !out.includes(s.environment)) out.push(s.environment);
    return out;
  }

  /** Production deployment environments: `slipway.json`'s, else derived from production stacks' names (`platform-<env>`, `<app>-<env>`). */
  get productionEnvironments(): string[] {
    if (this.summary?.productionEnvironments) return [...this.summary.productionEnvironments];
    const names = new Set<string>();
    for (const s of this.stacks.filter((s) => s.production)) {
      names.add(s.name.startsWith("platform-") ? s.name.slice("platform-".length) : s.name.slice(s.name.lastIndexOf("-") + 1));
    }
    return [...names].sort();
  }

  /** Every suppression `slipway.json` holds: the platform-wide ones, then each stack's (absolute paths). */
  get suppressions(): SummarySuppression[] {
    return [...(this.summary?.suppressions ?? []), ...this.stacks.flatMap((s) => s.suppressions)];
  }

  /** The stack named `name`, or undefined. */
  find(name: string): SynthesizedStack | undefined {
    return this.byName.get(name);
  }

  /** The stack named `name`; throws when there is none. */
  stack(name: string): SynthesizedStack {
    const s = this.byName.get(name);
    if (!s) throw new SynthesizedOutputError(`${this.dir} has no stack ${name}; its stacks: ${this.stacks.map((x) => x.name).join(", ")}`);
    return s;
  }

  /** The stack whose own state a remote state read of `consumer` points at (same backend, same location). */
  producerOf(consumer: string, remoteState: string): SynthesizedStack | undefined {
    const read = this.find(consumer)?.remoteStateReads().find((r) => r.name === remoteState);
    if (!read) return undefined;
    return this.stacks.find((s) => {
      const location = s.backend();
      return location !== undefined && pointsAt(read, location);
    });
  }

  /**
   * The stacks each stack reads outputs from, through remote state: consumer -> producers (sorted).
   * A remote state that points at no stack is left out ({@link crossStackProblems} names it).
   */
  remoteStateEdges(): Map<string, string[]> {
    const edges = new Map<string, string[]>();
    for (const s of this.stacks) {
      const producers = new Set<string>();
      for (const read of s.remoteStateReads()) {
        const producer = this.producerOf(s.name, read.name);
        if (producer) producers.add(producer.name);
      }
      edges.set(s.name, [...producers].sort());
    }
    return edges;
  }

  /**
   * Problems with how the stacks refer to each other: a stack reaches another only through a
   * `terraform_remote_state` that points at that stack's own state (same backend, same location),
   * reads only outputs that stack declares, and lists it among its manifest dependencies (so it is
   * applied first); no two stacks share a state location; a reference to a resource another
   * stack declares is named as such.
   */
  crossStackProblems(): string[] {
    const problems: string[] = [];
    const locations = this.stacks.map((s) => ({ name: s.name, location: s.backend() }));
    for (const { name, location } of locations) {
      if (!location) problems.push(`${name}: declares no backend`);
      const same = locations.filter((l) => l.name !== name && l.location && JSON.stringify(l.location) === JSON.stringify(location));
      if (same.length > 0) problems.push(`${name}: keeps its state where ${same.map((s) => s.name).join(", ")} keep theirs`);
    }
    const declaredIn = new Map<string, string[]>();
    for (const s of this.stacks) for (const target of s.declarations()) declaredIn.set(target, [...(declaredIn.get(target) ?? []), s.name]);
    for (const s of this.stacks) {
      const producers: string[] = [];
      for (const read of s.remoteStateReads()) {
        const producer = this.producerOf(s.name, read.name);
        if (!producer) {
          problems.push(`${s.name}: remote state ${read.name} (${read.backend} ${JSON.stringify(read.config)}) points at no stack's state`);
          continue;
        }
        producers.push(producer.name);
        if (producer.name === s.name) problems.push(`${s.name}: remote state ${read.name} reads the stack's own state`);
        if (read.outputs.length === 0) problems.push(`${s.name}: remote state ${read.name} is declared but never read`);
        const outputs = producer.outputs();
        for (const output of read.outputs) {
          if (!(output in outputs)) problems.push(`${s.name}: reads output ${output} of ${producer.name} through ${read.name}, but ${producer.name} has no such output`);
        }
      }
      const declared = [...s.dependencies].sort();
      const read = [...new Set(producers)].sort();
      if (JSON.stringify(declared) !== JSON.stringify(read)) problems.push(`${s.name}: reads the state of [${read.join(", ")}] but depends on [${declared.join(", ")}]`);
      const own = s.declarations();
      for (const ref of s.references()) {
        const elsewhere = declaredIn.get(ref.target)?.filter((x) => x !== s.name);
        if (!own.has(ref.target) && elsewhere?.length) problems.push(`${s.name}: ${ref.at} refers to ${ref.target} of ${elsewhere.join(", ")} directly, not through remote state`);
      }
    }
    return problems;
  }
}

/** True when a remote state data source's settings point at `location`. */
export function pointsAt(read: Pick<RemoteStateRead, "backend" | "config">, location: StateLocation): boolean {
  if (read.backend !== location.backend) return false;
  return Object.entries(location.config).every(([key, value]) => JSON.stringify(read.config?.[key]) === JSON.stringify(value));
}

/**
 * Reads `<dir>/manifest.json`, every stack it lists, `slipway.json` when present and
 * `workflows/<app>/*`. Throws {@link SynthesizedOutputError} naming the file for anything missing
 * or unreadable.
 */
export function loadSynthesizedOutput(dir: string, options: LoadOptions = {}): SynthesizedOutput {
  const manifestFile = path.join(dir, "manifest.json");
  if (!fs.existsSync(manifestFile)) throw new SynthesizedOutputError(`${manifestFile} not found: ${options.missingHint ?? "run `npm run synth` first"}`);
  const manifest = readJson(manifestFile);
  const summaryFile = path.join(dir, "slipway.json");
  const summary: SlipwaySummary | undefined = fs.existsSync(summaryFile) ? readJson(summaryFile) : undefined;
  const entries = Object.entries<Json>(manifest?.stacks ?? {});
  if (entries.length === 0) throw new SynthesizedOutputError(`${manifestFile} lists no stacks: synthesize again`);
  const described = new Map((summary?.stacks ?? []).filter((s) => typeof s?.name === "string").map((s) => [s.name, s]));
  const order = [...described.keys()];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  // Stable: stacks slipway.json does not list keep the manifest's (construct-tree) order, after the rest.
  entries.sort(([a], [b]) => rank(a) - rank(b));

  const stacks = entries.map(([name, entry]) => {
    const file = path.resolve(dir, entry?.synthesizedStackPath ?? path.join("stacks", name, "cdk.tf.json"));
    if (!fs.existsSync(file)) throw new SynthesizedOutputError(`${file} (stack ${name} in ${manifestFile}) not found: synthesize again`);
    const description = described.get(name);
    const production = typeof description?.production === "boolean" ? description.production : PRODUCTION_NAME.test(name);
    // A suppression path not starting with its stack's name is relative to that stack.
    const suppressions = (description?.suppressions ?? []).map((s) =>
      typeof s?.path === "string" && s.path !== name && !s.path.startsWith(`${name}/`) ? { ...s, path: `${name}/${s.path.replace(/^\/+/, "")}` } : s,
    );
    const dependencies: string[] = Array.isArray(entry?.dependencies) ? entry.dependencies : [];
    return new SynthesizedStack(name, readJson(file), file, dependencies, production, suppressions);
  });

  const workflowFiles = new Map<string, string>();
  const workflowsDir = path.join(dir, "workflows");
  if (fs.existsSync(workflowsDir)) {
    for (const app of fs.readdirSync(workflowsDir).sort()) {
      const appDir = path.join(workflowsDir, app);
      if (!fs.statSync(appDir).isDirectory()) continue;
      for (const file of fs.readdirSync(appDir).sort()) workflowFiles.set(`workflows/${app}/${file}`, fs.readFileSync(path.join(appDir, file), "utf8"));
    }
  }
  return new SynthesizedOutput(dir, stacks, summary, workflowFiles);
}

function readJson(file: string): Json {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new SynthesizedOutputError(`${file} is not readable JSON (${(error as Error).message}): synthesize again`);
  }
}
