/**
 * One synthesized stack (`cdk.tf.json`) as data: its resources and data sources by type and
 * address, outputs, provider configurations, backend, the remote states it reads, and the
 * references inside it (found by the one scanner, ./references.ts), indexed once.
 */
import { JsonPath, Reference, referencesIn, stackReferences } from "./references";

type Json = any;

/** Terraform JSON allows a block as an object or a list of objects; cdktf writes either. */
export function asArray<T = any>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as T[]) : [value as T];
}

/** A resource or data source of a stack. */
export interface BlockEntry {
  /** Terraform type, e.g. `aws_s3_bucket`. */
  readonly type: string;
  /** Terraform name, e.g. `Cdn_AssetsBucket_8C51EC13`. */
  readonly name: string;
  /** True for a data source. */
  readonly data: boolean;
  /** Terraform's address: `aws_lb.X` or `data.github_team.Y`, what references start with. */
  readonly address: string;
  /** The block as synthesized, cdktf's `//` metadata included. */
  readonly body: Json;
  /** The block without its `//` metadata. */
  readonly config: Json;
  /** Construct path from `//.metadata.path` (e.g. `hello-dev/Cdn/AssetsBucket`), else `<stack>/<address>`. */
  readonly constructPath: string;
  /** JSON path of the block in the stack: `["resource", type, name]`. */
  readonly jsonPath: JsonPath;
}

/** A provider configuration: `aws`, `aws.us-east-1` (with an alias). */
export interface ProviderConfiguration {
  /** The provider's local name, e.g. `aws`. */
  readonly provider: string;
  readonly alias?: string;
  /** `aws` or `aws.<alias>`: what a resource's `provider` meta-argument names. */
  readonly key: string;
  readonly config: Json;
}

/** Where a stack keeps its state, as a `terraform_remote_state` would address it. */
export interface StateLocation {
  readonly backend: string;
  readonly config: Record<string, unknown>;
}

/** A remote state a stack reads, and the outputs it reads from it. */
export interface RemoteStateRead {
  /** The data source's name (`cross-stack-reference-input-platform-dev`). */
  readonly name: string;
  readonly backend: string;
  readonly config: Json;
  /** Output names read (`data.terraform_remote_state.<name>.outputs.<output>`), sorted. */
  readonly outputs: string[];
}

/** A reference that does not resolve within its stack. */
export interface DanglingReference extends Reference {
  readonly why: string;
}

/** Read-only views of one stack's JSON; everything is computed once, on first use. */
export class StackModel {
  private entries?: { all: BlockEntry[]; byAddress: Map<string, BlockEntry>; byType: Map<string, BlockEntry[]> };
  private stackRefs?: Reference[];
  private readonly refsOf = new Map<BlockEntry, Reference[]>();
  private readonly texts = new Map<BlockEntry, string>();

  constructor(
    /** The stack's name (its folder under `cdktf.out/stacks`). */
    readonly name: string,
    /** The parsed `cdk.tf.json`. */
    readonly json: Json,
  ) {}

  private index() {
    if (this.entries) return this.entries;
    const all: BlockEntry[] = [];
    const byAddress = new Map<string, BlockEntry>();
    const byType = new Map<string, BlockEntry[]>();
    for (const data of [false, true]) {
      for (const [type, byName] of Object.entries<Json>((data ? this.json?.data : this.json?.resource) ?? {})) {
        const key = data ? `data.${type}` : type;
        const list: BlockEntry[] = [];
        for (const [name, body] of Object.entries<Json>(byName ?? {})) {
          const { "//": meta, ...config } = body ?? {};
          const address = `${data ? "data." : ""}${type}.${name}`;
          const entry: BlockEntry = {
            type,
            name,
            data,
            address,
            body,
            config,
            constructPath: typeof meta?.metadata?.path === "string" ? meta.metadata.path : `${this.name}/${address}`,
            jsonPath: [data ? "data" : "resource", type, name],
          };
          list.push(entry);
          all.push(entry);
          byAddress.set(address, entry);
        }
        byType.set(key, list);
      }
    }
    this.entries = { all, byAddress, byType };
    return this.entries;
  }

  /** Every resource, or those of `types`, in file order. */
  resources(...types: string[]): BlockEntry[] {
    const { all, byType } = this.index();
    if (types.length === 0) return all.filter((e) => !e.data);
    return types.flatMap((t) => byType.get(t) ?? []);
  }

  /** Every data source, or those of `types`, in file order. */
  dataSources(...types: string[]): BlockEntry[] {
    const { all, byType } = this.index();
    if (types.length === 0) return all.filter((e) => e.data);
    return types.flatMap((t) => byType.get(`data.${t}`) ?? []);
  }

  /** The resource or data source at `address` (`aws_lb.X`, `data.aws_iam_policy_document.Y`). */
  block(address: string): BlockEntry | undefined {
    return this.index().byAddress.get(address);
  }

  /** How many resources of each type. */
  countByType(): Record<string, number> {
    return Object.fromEntries(Object.entries<Json>(this.json?.resource ?? {}).map(([type, byName]) => [type, Object.keys(byName ?? {}).length]));
  }

  /** The stack's outputs, name -> block (`{ value, description?, sensitive? }`). */
  outputs(): Record<string, Json> {
    return this.json?.output ?? {};
  }

  /** The provider configurations the stack declares, in file order. */
  providers(): ProviderConfiguration[] {
    return Object.entries<Json>(this.json?.provider ?? {}).flatMap(([provider, configs]) =>
      asArray(configs).map((config) => ({ provider, ...(config?.alias ? { alias: config.alias } : {}), key: config?.alias ? `${provider}.${config.alias}` : provider, config })),
    );
  }

  /** The AWS provider's default tags (the first configuration that has them). */
  defaultTags(): Record<string, string> {
    for (const p of this.providers().filter((p) => p.provider === "aws")) {
      const tags = asArray(p.config?.default_tags)[0]?.tags;
      if (tags && typeof tags === "object") return tags;
    }
    return {};
  }

  /** Where the stack keeps its state, in the terms a remote state data source uses; undefined without a backend. */
  backend(): StateLocation | undefined {
    const terraform = this.json?.terraform ?? {};
    if (terraform.cloud) {
      const { hostname, organization, workspaces } = terraform.cloud;
      return { backend: "remote", config: { hostname, organization, workspaces: { name: workspaces?.name } } };
    }
    const [backend, config] = Object.entries<Json>(terraform.backend ?? {})[0] ?? [];
    if (!backend) return undefined;
    if (backend === "local") return { backend, config: { path: config?.path } };
    if (backend === "s3") return { backend, config: { bucket: config?.bucket, key: config?.key, region: config?.region } };
    if (backend === "remote") return { backend, config: { hostname: config?.hostname, organization: config?.organization, workspaces: { name: config?.workspaces?.name } } };
    return { backend, config: config ?? {} };
  }

  /** Every reference in the stack, with where it was found. */
  references(): Reference[] {
    this.stackRefs ??= stackReferences(this.json);
    return this.stackRefs;
  }

  /** The references inside one resource or data source (its `//` metadata excluded), cached. */
  referencesOf(entry: BlockEntry): Reference[] {
    let refs = this.refsOf.get(entry);
    if (!refs) {
      refs = referencesIn(entry.config, entry.jsonPath);
      this.refsOf.set(entry, refs);
    }
    return refs;
  }

  /** The resources of `types` (all when none) that refer to `target` (`${target.address}.…`, also inside `jsonencode`). */
  referencing(target: BlockEntry, ...types: string[]): BlockEntry[] {
    const candidates = target.data ? [...this.resources(...types), ...this.dataSources(...types)] : this.resources(...types);
    // A block whose text does not hold the address cannot refer to it: only the rest are scanned
    // (the policy rules ask this for many pairs; scanning every block halves their speed).
    return candidates.filter((e) => e !== target && this.textOf(e).includes(target.address) && this.referencesOf(e).some((r) => r.target === target.address));
  }

  private textOf(entry: BlockEntry): string {
    let text = this.texts.get(entry);
    if (text === undefined) {
      text = JSON.stringify(entry.config);
      this.texts.set(entry, text);
    }
    return text;
  }

  /** Every `terraform_remote_state` the stack declares, with the outputs it reads from each. */
  remoteStateReads(): RemoteStateRead[] {
    const refs = this.references().filter((r) => r.kind === "data" && r.traversal.steps[0] === "terraform_remote_state");
    return Object.entries<Json>(this.json?.data?.terraform_remote_state ?? {}).map(([name, body]) => ({
      name,
      backend: body.backend,
      config: body.config,
      outputs: [
        ...new Set(
          refs.filter((r) => r.traversal.steps[1] === name && r.traversal.steps[2] === "outputs" && r.traversal.steps[3] !== undefined).map((r) => r.traversal.steps[3]),
        ),
      ].sort(),
    }));
  }

  /** Everything the stack declares that an expression can name: `type.name`, `data.type.name`, `var.x`, `local.x`, `module.x`. */
  declarations(): Set<string> {
    const out = new Set<string>(this.index().all.map((e) => e.address));
    for (const name of Object.keys(this.json?.variable ?? {})) out.add(`var.${name}`);
    for (const locals of asArray(this.json?.locals)) for (const name of Object.keys(locals ?? {})) out.add(`local.${name}`);
    for (const name of Object.keys(this.json?.module ?? {})) out.add(`module.${name}`);
    return out;
  }

  /** References that resolve to nothing the stack declares, and provider meta-arguments that name no configuration, with why. */
  danglingReferences(): DanglingReference[] {
    const declared = this.declarations();
    const providers = new Set(this.providers().map((p) => p.key));
    const out: DanglingReference[] = [];
    for (const ref of this.references()) {
      if (ref.kind === "path" || ref.kind === "terraform") continue;
      if (ref.kind === "each" || ref.kind === "count" || ref.kind === "self") {
        if (!this.metaAllowed(ref, ref.kind)) out.push({ ...ref, why: `${ref.kind} is only defined in a block that sets ${ref.kind === "self" ? "a provisioner" : ref.kind === "each" ? "for_each" : "count"}` });
        continue;
      }
      if (ref.kind === "unknown") {
        out.push({ ...ref, why: `${JSON.stringify(ref.traversal.text)} names no resource, data source, variable, local or module` });
        continue;
      }
      if (!declared.has(ref.target)) out.push({ ...ref, why: `${ref.target} is not declared in this stack` });
    }
    // A block's provider meta-argument must name a configuration the stack declares.
    for (const entry of this.index().all) {
      const provider = entry.body?.provider as string | undefined;
      const path = [...entry.jsonPath, "provider"];
      const at = `${entry.data ? "data" : "resource"}.${entry.type}.${entry.name}.provider`;
      const dangling = (target: string, why: string): DanglingReference => ({ kind: "unknown", target, traversal: { root: target, steps: [], text: target }, path, at, why });
      if (provider !== undefined && !providers.has(provider)) out.push(dangling(provider, `provider ${provider} is not configured in this stack`));
      else if (provider !== undefined && provider.split(".")[0] !== entry.type.split("_")[0]) out.push(dangling(provider, `provider ${provider} does not serve ${entry.type}`));
      // A resource without `provider` uses the default configuration of its type's provider.
      if (provider === undefined && !entry.data && !entry.type.startsWith("terraform_")) {
        const local = entry.type.split("_")[0];
        if (!providers.has(local) && ![...providers].some((p) => p.startsWith(`${local}.`))) out.push(dangling(local, `no ${local} provider is configured in this stack`));
      }
    }
    return out;
  }

  /** `each` needs for_each (or a dynamic block's content), `count` needs count, `self` a provisioner. */
  private metaAllowed(ref: Reference, kind: "each" | "count" | "self"): boolean {
    const [block, type, name] = ref.path;
    const body = block === "module" ? this.json?.module?.[type] : this.json?.[block]?.[type]?.[name as string];
    if (!body) return false;
    if (kind === "each") return body.for_each !== undefined || /\.dynamic\.[^.[]+(\[\d+\])?\.content/.test(ref.at);
    if (kind === "count") return body.count !== undefined;
    return /\.(provisioner|connection)\b/.test(ref.at);
  }
}
