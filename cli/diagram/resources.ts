/**
 * The diagrams' view of the synthesized output: resources named across stacks, and what each
 * refers to — following `${…}` references inside a stack and cdktf's cross-stack references
 * (`data.terraform_remote_state.<x>.outputs.<y>`) into the stack that produces them. Loading,
 * stack views and the reference scanner are the one model's (synthesized/); this adds only the
 * cross-stack resolution the graph needs.
 */
import { JsonPath, referencesIn, SynthesizedOutput, SynthesizedStack } from "../../synthesized";

/** A resource or data source of one stack. `address` is Terraform's: `aws_lb.X` or `data.github_team.Y`. */
export interface ResourceId {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  readonly data: boolean;
}

/** A reference found in a resource's JSON, resolved to the resource it names (across stacks). */
export interface Reference {
  readonly target: ResourceId;
  /** The attribute read, e.g. `dns_name` or `metadata`; empty when the next step is an index. */
  readonly attribute: string;
  /** Where in the referring JSON the reference sits, e.g. `["origin", 0, "domain_name"]`. */
  readonly path: JsonPath;
}

export function address(id: ResourceId): string {
  return `${id.data ? "data." : ""}${id.type}.${id.name}`;
}

export function resourceKey(id: ResourceId): string {
  return `${id.stack}/${address(id)}`;
}

/** Every resource and data source of the synthesized output, with reference resolution. */
export class ResourceIndex {
  constructor(readonly output: SynthesizedOutput) {}

  stack(name: string): SynthesizedStack {
    return this.output.stack(name);
  }

  /** The JSON body of a resource or data source, or undefined. */
  body(id: ResourceId): any {
    return this.output.find(id.stack)?.block(address(id))?.body;
  }

  /** The resources of `types` in `stacks`, stack by stack, in file order (the pull-request previews' machinery left out: see {@link isPreviewMachinery}). */
  resources(stacks: readonly SynthesizedStack[], ...types: string[]): ResourceId[] {
    return stacks.flatMap((s) => s.resources(...types).filter((e) => !isPreviewMachinery(e.constructPath)).map((e) => ({ stack: s.name, type: e.type, name: e.name, data: false })));
  }

  /**
   * The references inside `value` (a resource body or part of one, sitting at `at`) of stack
   * `stack`, resolved to the resources they name; a cross-stack reference resolves to what the
   * producing stack's output refers to. References to variables, locals, `terraform.*` and
   * unknown names are dropped.
   */
  references(stack: string, value: unknown, at: JsonPath = []): Reference[] {
    return this.resolve(stack, referencesIn(value, at));
  }

  /** The references of a whole resource (its `//` metadata excluded), paths relative to its body. */
  referencesOf(id: ResourceId): Reference[] {
    const model = this.output.find(id.stack);
    const entry = model?.block(address(id));
    if (!model || !entry) return [];
    // The model's paths start at the stack (`resource.<type>.<name>`); the graph's at the body.
    return this.resolve(id.stack, model.referencesOf(entry).map((r) => ({ ...r, path: r.path.slice(entry.jsonPath.length) })));
  }

  /** The resources `id` refers to that are of `type` (directly). */
  referencedOfType(id: ResourceId, type: string): ResourceId[] {
    return unique(this.referencesOf(id).filter((r) => r.target.type === type).map((r) => r.target));
  }

  private resolve(stack: string, refs: ReturnType<typeof referencesIn>): Reference[] {
    const found: Reference[] = [];
    for (const ref of refs) {
      const { root, steps } = ref.traversal;
      const attributeAt = (i: number) => (steps[i] !== undefined && /^[A-Za-z_]/.test(steps[i]) ? steps[i] : "");
      if (ref.kind === "data" && steps[0] === "terraform_remote_state") {
        if (steps[2] !== "outputs" || steps[3] === undefined) continue;
        const producer = this.output.producerOf(stack, steps[1]);
        const value = producer?.outputs()[steps[3]]?.value;
        if (!producer || value === undefined) continue;
        for (const { target, attribute } of this.references(producer.name, value)) found.push({ target, attribute, path: ref.path });
        continue;
      }
      let id: ResourceId;
      if (ref.kind === "resource") id = { stack, type: root, name: steps[0], data: false };
      else if (ref.kind === "data" && steps.length >= 2) id = { stack, type: steps[0], name: steps[1], data: true };
      else continue;
      if (this.body(id) !== undefined) found.push({ target: id, attribute: attributeAt(id.data ? 2 : 1), path: ref.path });
    }
    return found;
  }
}

export function unique(ids: ResourceId[]): ResourceId[] {
  const seen = new Set<string>();
  return ids.filter((id) => {
    const key = resourceKey(id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function sameResource(a: ResourceId | undefined, b: ResourceId | undefined): boolean {
  return Boolean(a && b && resourceKey(a) === resourceKey(b));
}

/**
 * The resources the pull-request previews add once per host environment (router, RBAC, preview
 * identity and environment, the router's target group, the wildcard records): the diagram draws
 * the app's own request path and pipeline, not the previews' (yet).
 */
function isPreviewMachinery(constructPath: string): boolean {
  const top = constructPath.split("/")[1] ?? "";
  return /^(Previews|PreviewAccess|PreviewDatabaseIdentity|PreviewDomain(A|AAAA)|PreviewTargets-.+)$/.test(top);
}
