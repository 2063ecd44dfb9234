/**
 * No platform-file value becomes code. Every string field of the platform schema — found by
 * walking the JSON Schema, so a new key is covered without touching this file — gets hostile
 * payloads (Terraform interpolations and directives, cdktf token markers, GitHub expressions,
 * shell metacharacters, newlines and quotes) in the example platform. Each payload is either
 * refused by the model with the file's line at that field, or the whole platform synthesizes and:
 * - no `cdk.tf.json` string holds it in a live `${...}` / `%{...}` (it is escaped, once);
 * - no workflow holds it in a `run:` script or inside a `${{ }}` expression;
 * - it arrives intact as data somewhere: as Terraform reads an attribute, as a workflow value, or
 *   as a policy suppression's reason. Real Terraform evaluates those attributes back, byte for byte.
 */
import * as fs from "node:fs";
import { App, Lazy, Token } from "cdktf";
import { parse, stringify } from "yaml";
import { SlipwayValidationError } from "../../constructs/util";
import { parsePlatform, PlatformFileError, formatPath } from "../../platform/model";
import { platformJsonSchema } from "../../platform/schema";
import { buildPlatform } from "../../stacks";
import { exampleDocument, tempDir } from "../support/platform";
import { terraformForTests } from "../support/terraform";
import { evaluateWithTerraform, readTemplate } from "../support/terraform-eval";
import { loadSynthesizedOutput } from "../../synthesized";

type Json = any;
type Segment = string | number | { readonly key: true } | { readonly value: true } | { readonly variant: string };

/** A string-typed place in the schema: its path, and whether the schema itself constrains it. */
interface Slot {
  readonly path: readonly Segment[];
  /** pattern, enum or const: the schema accepts only certain strings here. */
  readonly strict: boolean;
}

/** Every string-typed place in a JSON Schema (values, record keys, union variants). */
function stringSlots(schema: Json, at: Segment[] = []): Slot[] {
  const out: Slot[] = [];
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    for (const variant of variants) {
      const type = variant.properties?.type?.const;
      out.push(...stringSlots(variant, [...at, { variant: String(type) }]));
    }
    return out;
  }
  if (schema.type === "string") return [{ path: at, strict: schema.pattern !== undefined || schema.enum !== undefined || schema.const !== undefined || schema.format !== undefined }];
  if (schema.type === "array") return stringSlots(schema.items, [...at, 0]);
  if (schema.type === "object") {
    for (const [key, property] of Object.entries<Json>(schema.properties ?? {})) out.push(...stringSlots(property, [...at, key]));
    if (schema.propertyNames) out.push(...stringSlots(schema.propertyNames, [...at, { key: true }]));
    if (schema.additionalProperties && typeof schema.additionalProperties === "object") out.push(...stringSlots(schema.additionalProperties, [...at, { value: true }]));
  }
  return out;
}

const label = (slot: Slot) =>
  slot.path.map((s) => (typeof s === "number" ? "[]" : typeof s === "string" ? `.${s}` : "key" in s ? ".<key>" : "value" in s ? ".<value>" : `(${s.variant})`)).join("").replace(/^\./, "");

/** Array elements this test adds where the example has none (only lists of objects need one). */
const ELEMENT_SAMPLES: Record<string, Json> = {
  "apps[].egress[]": { cidr: "10.99.0.0/16", port: 443 },
  "apps[].suppressions[]": { rule: "SLW-CF-005", reason: "accepted for this test only" },
  "environments[].suppressions[]": { rule: "SLW-CF-005", reason: "accepted for this test only" },
};
/** The backend of each variant, valid but for the field under test. */
const BACKEND_SAMPLES: Record<string, Json> = {
  local: { type: "local" },
  s3: { type: "s3", bucket: "acme-state", region: "eu-west-1" },
  remote: { type: "remote", organization: "acme" },
};
/**
 * Where a list of the example has more than one element, which one the field is set in: the
 * production environment, where reviewers, approval and protection are in force.
 */
const ELEMENT_INDEX: Record<string, number> = { environments: 2 };
/** Fields whose value is used only in some configurations: the test switches that on. */
const CONTEXT: Record<string, (doc: Json) => void> = {
  // The reason is recorded (as the suppression of the policy findings) only when protection is off.
  "environments[].protection.overrideReason": (doc) => (doc.environments[2].protection = { ...doc.environments[2].protection, deletionProtection: false }),
  // The platform-wide seed reaches an app without a seed of its own (hello's own wins over it).
  "previews.seed": (doc) =>
    doc.apps.push({ name: "seedless", port: 8080, healthPath: "/healthz", test: "true", database: "none", domains: Object.fromEntries(doc.environments.map((e: Json) => [e.name, `seedless.${e.name}.acme.example`])) }),
};
/**
 * Fields that only a construct checks today, at synth, without a line (issue 10 §4 moves every
 * check into the model). For these a construct's refusal is accepted as well as the model's.
 */
const CHECKED_ONLY_BY_A_CONSTRUCT = new Set(["environments[].approval.reviewers.users[]"]);

/** Sets `value` at the slot in the example document; returns the concrete path, or why it cannot. */
function inject(doc: Json, slot: Slot, value: string): (string | number)[] {
  const concrete: (string | number)[] = [];
  let node = doc;
  const prefix: string[] = [];
  for (let i = 0; i < slot.path.length; i++) {
    const segment = slot.path[i];
    const last = i === slot.path.length - 1;
    const pattern = [...prefix, typeof segment === "number" ? "[]" : ""].join("").replace(/^\./, "");
    if (typeof segment === "string") {
      if (last) {
        node[segment] = value;
      } else {
        const next = slot.path[i + 1];
        if (node[segment] === undefined || node[segment] === null) node[segment] = typeof next === "number" ? [] : {};
        if (typeof next === "object" && "variant" in next) {
          const sample = BACKEND_SAMPLES[next.variant];
          if (!sample) throw new Error(`no sample for ${segment} variant ${next.variant}: add one to BACKEND_SAMPLES`);
          if (node[segment].type !== sample.type) node[segment] = structuredClone(sample);
        }
        node = node[segment];
      }
      concrete.push(segment);
      prefix.push(`.${segment}`);
    } else if (typeof segment === "number") {
      const index = ELEMENT_INDEX[prefix.join("").replace(/^\./, "")] ?? 0;
      if (last) {
        if (node.length > index) node[index] = value;
        else node.push(value);
        concrete.push(Math.min(index, node.length - 1));
      } else {
        if (node.length <= index) {
          const sample = ELEMENT_SAMPLES[pattern];
          if (!sample) throw new Error(`no sample element for ${pattern}: add one to ELEMENT_SAMPLES`);
          node.push(structuredClone(sample));
        }
        const at = Math.min(index, node.length - 1);
        node = node[at];
        concrete.push(at);
      }
      prefix.push("[]");
    } else if ("variant" in segment) {
      // The object was replaced by its variant's sample above.
    } else {
      const keys = Object.keys(node);
      if (keys.length === 0) throw new Error(`no entry to copy in ${formatPath(concrete)}: give the example one`);
      if ("key" in segment) {
        node[value] = structuredClone(node[keys[0]]);
        concrete.push(value);
      } else {
        node[keys[0]] = value;
        concrete.push(keys[0]);
      }
      prefix.push(".<x>");
    }
  }
  return concrete;
}

const PROBE = (n: number) => `SLWPROBE${n}X`;
const numberToken = String(Token.asNumber(Lazy.numberValue({ produce: () => 1 })));

/** Hostile payloads around a probe marker; `cdktf` ones can never be data and must be refused. */
const PAYLOADS: { readonly name: string; readonly make: (m: string) => string; readonly cdktf?: true }[] = [
  { name: "Terraform interpolation and directive", make: (m) => `\${file("/etc/passwd")}\${file("/${m}")} %{ if true }${m}%{ endif }` },
  { name: "already escaped text (escaped exactly once)", make: (m) => `$\${${m}} %%{${m}} $$\${x}` },
  { name: "GitHub expression", make: (m) => `\${{ secrets.${m} }}` },
  { name: "shell metacharacters, quotes and newlines", make: (m) => `$(id) \`id\`; echo '${m}' "q" \\ $HOME\nnext line ${m}` },
  { name: "cdktf string token marker", make: (m) => `\${TfToken[TOKEN.1]}${m}`, cdktf: true },
  { name: "cdktf number token", make: (m) => `${m} ${numberToken}`, cdktf: true },
];

interface Synthesized {
  readonly stacks: Record<string, Json>;
  readonly workflows: Record<string, string>;
  readonly reasons: string[];
}

function synthesize(text: string): Synthesized {
  const outdir = tempDir();
  try {
    const app = new App({ outdir });
    const built = buildPlatform(app, parsePlatform(text, "platform.yaml"));
    app.synth();
    const output = loadSynthesizedOutput(outdir);
    const stacks = Object.fromEntries(built.stacks.map((s) => [s.stackName, output.stack(s.stackName).json]));
    const workflows: Record<string, string> = {};
    for (const d of built.deliveryStacks) for (const [file, yaml] of Object.entries({ ...d.pipeline.workflows, ...d.pipeline.configFiles })) workflows[`${d.app.name}/${file}`] = yaml;
    return { stacks, workflows, reasons: built.stacks.flatMap((s) => s.suppressions.map((x) => x.reason)) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every string of a JSON value, object keys included. */
function strings(node: Json, out: string[] = []): string[] {
  if (typeof node === "string") out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => strings(n, out));
  else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) (out.push(k), strings(v, out));
  return out;
}

/** Every scalar of a parsed workflow with its key, for `run:` and expression checks. */
function workflowScalars(node: Json, key = "", out: { key: string; value: string }[] = []): { key: string; value: string }[] {
  if (typeof node === "string") out.push({ key, value: node });
  else if (Array.isArray(node)) node.forEach((n) => workflowScalars(n, key, out));
  else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) (out.push({ key: "<key>", value: k }), workflowScalars(v, k, out));
  return out;
}

const expressions = (text: string) => text.match(/\$\{\{[\s\S]*?\}\}/g) ?? [];

const SLOTS = stringSlots(platformJsonSchema());

/** A payload the model accepted in a field. */
interface Accepted {
  readonly slot: Slot;
  readonly payload: number;
  readonly value: string;
  readonly marker: string;
}

test("the schema walk finds the string fields, free text and strict alike", () => {
  const labels = SLOTS.map(label);
  // A sample of what must be there; the walk, not this list, decides what is tested.
  expect(labels).toEqual(
    expect.arrayContaining([
      "apps[].env.<value>",
      "apps[].env.<key>",
      "apps[].test",
      "apps[].migrate",
      "apps[].healthPath",
      "apps[].suppressions[].reason",
      "environments[].approval.reviewers.users[]",
      "environments[].deploy.runsOn[]",
      "environments[].network.zones[]",
      "backend(s3).keyPrefix",
      "backend(remote).workspacePrefix",
      "github.defaultBranch",
    ]),
  );
  expect(SLOTS.length).toBeGreaterThan(40);
});

describe("every string field of the platform schema, every hostile payload", () => {
  const example = exampleDocument();
  // Which (slot, payload) the model accepts: those are synthesized below, one platform per payload.
  const accepted = new Map<number, Accepted[]>();
  let marker = 0;

  test("the model accepts the payload, or refuses it at that field with its line", () => {
    const refusedStrict: string[] = [];
    PAYLOADS.forEach((payload, p) => {
      for (const slot of SLOTS) {
        const m = PROBE(marker++);
        const doc = structuredClone(example);
        CONTEXT[label(slot)]?.(doc);
        const value = payload.make(m);
        const at = inject(doc, slot, value);
        const where = `${label(slot)} with ${payload.name}`;
        let error: unknown;
        try {
          parsePlatform(stringify(doc), "platform.yaml");
        } catch (e) {
          error = e;
        }
        if (error === undefined) {
          if (payload.cdktf) throw new Error(`${where}: accepted, but cdktf would read it as a token`);
          if (slot.strict) throw new Error(`${where}: accepted by a field the schema constrains`);
          accepted.set(p, [...(accepted.get(p) ?? []), { slot, payload: p, value, marker: m }]);
          continue;
        }
        if (!(error instanceof PlatformFileError)) throw error;
        const target = formatPath(at);
        const related = (problemPath: string) => problemPath !== "" && (target === problemPath || target.startsWith(`${problemPath}.`) || target.startsWith(`${problemPath}[`));
        // Refused where the payload is, with a line (a renamed environment also leaves other fields naming it).
        expect({ where, located: error.problems.some((q) => related(q.path) && q.line !== undefined) }).toEqual({ where, located: true });
        if (slot.strict) refusedStrict.push(where);
      }
    });
    // Free-text fields exist and took the representable payloads.
    expect(accepted.size).toBeGreaterThan(0);
    expect(refusedStrict.length).toBeGreaterThan(0);
  });

  const real = terraformForTests("evaluation of the escaped platform values");
  const terraformChecks: { attribute: string; expected: string; where: string; original: string }[] = [];

  test("accepted payloads stay data: escaped once for Terraform, never in run: or ${{ }}, intact where they land", () => {
    expect(accepted.size).toBeGreaterThan(0);
    // Each field gets every payload it accepted at once, one per line, each with its own marker:
    // a synthesis per backend variant instead of one per field and payload. The fields without a
    // variant join the first one.
    const bySlot = new Map<Slot, Accepted[]>();
    for (const entries of accepted.values()) for (const e of entries) bySlot.set(e.slot, [...(bySlot.get(e.slot) ?? []), e]);
    const combined = [...bySlot.entries()].map(([slot, parts]) => ({ slot, parts, value: parts.map((e) => e.value).join("\n") }));
    const variantOf = (slot: Slot) => slot.path.filter((x): x is { variant: string } => typeof x === "object" && "variant" in x).map((x) => x.variant).join("/");
    const variants = [...new Set(combined.map((c) => variantOf(c.slot)).filter((v) => v !== ""))].sort();
    const bins = (variants.length > 0 ? variants : [""]).map((variant, i) => combined.filter((c) => variantOf(c.slot) === variant || (i === 0 && variantOf(c.slot) === "")));

    for (let b = 0; b < bins.length; b++) {
      let remaining = [...bins[b]];
      let synthesized: Synthesized | undefined;
      // A field only a construct checks is taken out when that construct refuses it.
      while (synthesized === undefined) {
        const doc = structuredClone(example);
        for (const c of remaining) {
          CONTEXT[label(c.slot)]?.(doc);
          inject(doc, c.slot, c.value);
        }
        try {
          synthesized = synthesize(stringify(doc));
        } catch (error) {
          // Payloads one field accepts one by one may together break a limit of that field (a
          // runner label's length, its refusal of newlines): that field takes them one bin each.
          const crowded =
            error instanceof PlatformFileError
              ? remaining.find((c) => c.parts.length > 1 && error.problems.some((q) => q.path.replace(/\[\d+\]/g, "[]") === label(c.slot)))
              : undefined;
          if (crowded) {
            remaining = remaining.map((c) => (c === crowded ? { ...c, parts: [c.parts[0]], value: c.parts[0].value } : c));
            for (const e of crowded.parts.slice(1)) bins.push([{ slot: crowded.slot, parts: [e], value: e.value }]);
            continue;
          }
          const culprit = remaining.find((c) => error instanceof SlipwayValidationError && c.parts.some((e) => JSON.stringify(error.received ?? "").includes(e.marker)));
          if (!culprit || !CHECKED_ONLY_BY_A_CONSTRUCT.has(label(culprit.slot))) throw error;
          remaining = remaining.filter((c) => c !== culprit);
        }
      }
      const readings = Object.values(synthesized.stacks).flatMap((s) => strings(s)).map((s) => ({ s, ...readTemplate(s) }));
      // The workflow files as committed by Terraform: the YAML, escaped whole once, must come back as written.
      for (const [name, stack] of Object.entries(synthesized.stacks)) {
        for (const file of Object.values<Json>(stack.resource?.github_repository_file ?? {})) {
          // The app skeleton is committed once from templates/ (its escaping is the skeleton test's); workflows stay managed.
          if (!String(file.file).startsWith(".github/")) continue;
          const yaml = synthesized.workflows[`${name.replace(/-delivery$/, "")}/${file.file}`];
          expect({ file: file.file, generated: yaml !== undefined }).toEqual({ file: file.file, generated: true });
          terraformChecks.push({ attribute: file.content, expected: yaml, where: `${name} ${file.file}`, original: yaml });
        }
      }
      const scalars = Object.values(synthesized.workflows).flatMap((yaml) => workflowScalars(parse(yaml)));
      for (const c of remaining) {
        for (const e of c.parts) {
          const where = `${label(c.slot)} with ${PAYLOADS[e.payload].name}`;
          // Terraform: never inside a live interpolation or directive.
          const live = readings.flatMap((r) => r.live).filter((l) => l.includes(e.marker));
          expect({ where, live }).toEqual({ where, live: [] });
          // Workflows: never in a script, never in an expression.
          const inRun = scalars.filter((x) => x.key === "run" && x.value.includes(e.marker));
          // `if:` is an expression whole, with or without `${{ }}`.
          const inExpression = scalars.flatMap((x) => (x.key === "if" ? [x.value] : expressions(x.value))).filter((x) => x.includes(e.marker));
          expect({ where, inRun, inExpression }).toEqual({ where, inRun: [], inExpression: [] });
        }
        // Intact as data somewhere: as Terraform reads an attribute, a workflow value, a policy reason.
        const where = label(c.slot);
        const asTerraform = readings.filter((r) => r.literal.includes(c.value));
        const asWorkflowValue = scalars.filter((x) => x.value.includes(c.value));
        const asReason = synthesized.reasons.filter((r) => r.includes(c.value));
        expect({ where, arrives: asTerraform.length + asWorkflowValue.length + asReason.length > 0 }).toEqual({ where, arrives: true });
        // The attributes that carry it, for real Terraform below (those without live parts evaluate offline).
        // Attributes that are the value whole first (a preview template also carries env values, inside YAML).
        const offline = asTerraform.filter((r) => r.live.length === 0).sort((a, b) => Number(b.literal === c.value) - Number(a.literal === c.value));
        for (const r of offline.slice(0, 2)) terraformChecks.push({ attribute: r.s, expected: r.literal, where, original: c.value });
      }
    }
    expect(terraformChecks.length).toBeGreaterThan(0);
  });

  real.test("real Terraform reads every attribute that carries a payload back as the original text, byte for byte", () => {
    expect(terraformChecks.length).toBeGreaterThan(0);
    const values = evaluateWithTerraform(real.tools!, terraformChecks.map((c) => c.attribute));
    values.forEach((value, i) => {
      const { where, expected } = terraformChecks[i];
      expect({ where, value: Buffer.from(value).toString("hex") }).toEqual({ where, value: Buffer.from(expected).toString("hex") });
    });
    // The committed workflow files carry the test command and runner labels (as YAML values).
    expect(terraformChecks.filter((c) => c.where.endsWith(".github/workflows/deliver.yml")).length).toBeGreaterThan(0);
    // The env value is the whole attribute: Terraform gives exactly the platform file's text.
    for (const field of ["apps[].env.<value>", "apps[].migrate"]) {
      expect({ field, whole: terraformChecks.some((c) => c.where === field && c.expected === c.original) }).toEqual({ field, whole: true });
    }
  });
});
