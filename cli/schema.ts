/**
 * `npm run schema`: writes the platform file's JSON Schema to schema/platform.schema.json, for
 * editors (the example file points at it), and the platform-file reference docs/platform-file.md
 * from the same schema. Tests fail when either committed file is out of date, and when a key of
 * the schema has no description.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { appInEnvironment, parsePlatform, PlatformConfig, Profile } from "../platform/model";
import { platformJsonSchema } from "../platform/schema";

export const SCHEMA_FILE = path.join("schema", "platform.schema.json");
export const PLATFORM_FILE_DOC = path.join("docs", "platform-file.md");

export function renderSchema(): string {
  return `${JSON.stringify({ title: "Slipway platform file", ...platformJsonSchema() }, null, 2)}\n`;
}

/** The parts of a JSON Schema node this generator reads (zod's draft-7 output: no $ref). */
export interface JsonSchemaNode {
  readonly type?: string | string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchemaNode;
  readonly additionalProperties?: boolean | JsonSchemaNode;
  readonly propertyNames?: JsonSchemaNode;
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly anyOf?: readonly JsonSchemaNode[];
}

/** One key of the platform file, wherever it is: `environments[].database.storageGiB`. */
export interface SchemaKey {
  /** Dotted path from the file's root; `[]` marks a list's items, `<name>` a map's keys. */
  readonly path: string;
  readonly node: JsonSchemaNode;
  readonly required: boolean;
}

/**
 * Every key of the schema, depth first in the schema's order: object properties, list items,
 * map values (`<env>`, `<NAME>`) and each variant of a union (a variant's keys carry its tag).
 */
export function schemaKeys(root: JsonSchemaNode = platformJsonSchema() as JsonSchemaNode): SchemaKey[] {
  const out: SchemaKey[] = [];
  const visit = (node: JsonSchemaNode, at: string) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = at ? `${at}.${name}` : name;
      out.push({ path: key, node: child, required: (node.required ?? []).includes(name) });
      visit(child, key);
    }
    if (node.items) visit(node.items, `${at}[]`);
    if (typeof node.additionalProperties === "object") visit(node.additionalProperties, `${at}.${MAP_KEY_NAMES[at] ?? "<key>"}`);
    for (const variant of node.oneOf ?? node.anyOf ?? []) {
      const tag = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
      visit(variant, tag ? `${at}{${tag[0]}: ${String(tag[1].const)}}` : at);
    }
  };
  visit(root, "");
  return out;
}

/** What a map's keys stand for, by the map's path. */
const MAP_KEY_NAMES: Readonly<Record<string, string>> = {
  "apps[].env": "<NAME>",
  "apps[].domains": "<env>",
  "apps[].overrides": "<env>",
};

/** `Text. @default value` -> its two halves (the convention schema.ts uses, read by editors too). */
export function splitDescription(description: string | undefined): { text: string; defaultText?: string } {
  if (description === undefined) return { text: "" };
  const at = description.indexOf("@default");
  if (at < 0) return { text: description.trim() };
  return { text: description.slice(0, at).trim(), defaultText: description.slice(at + "@default".length).trim() };
}

/**
 * The defaults each profile gives, read from the model itself: the same environment resolved once
 * with `profile: development` and once with `profile: production` (same name, account and region,
 * so only the profile differs). A key whose two values differ is documented per profile.
 */
export function profileDefaults(resolvedAlike: Map<string, unknown> = new Map()): Map<string, { development: unknown; production: unknown }> {
  const resolved = (profile: Profile) => {
    const text = [
      "github: { owner: acme }",
      "apps: [{ name: app, port: 8080, healthPath: /healthz, test: 'true', domains: { env: app.example.com } }]",
      `environments: [{ name: env, profile: ${profile}, account: "111111111111", region: eu-west-1, network: { cidr: 10.0.0.0/16, zones: [eu-west-1a, eu-west-1b] }, approval: { reviewers: { users: [octocat] } } }]`,
    ].join("\n");
    return parsePlatform(text, `<${profile} profile>`);
  };
  const profiles = { development: resolved("development"), production: resolved("production") };
  const out = new Map<string, { development: unknown; production: unknown }>();
  for (const { path: key } of schemaKeys()) {
    const development = resolvedValue(profiles.development, key);
    const production = resolvedValue(profiles.production, key);
    if (development === undefined || production === undefined || SET_BY_THE_SAMPLE.has(key)) continue;
    if (JSON.stringify(development) !== JSON.stringify(production)) out.set(key, { development, production });
    else resolvedAlike.set(key, development);
  }
  return out;
}

/** A key's value after the model's defaults, in the one-app, one-environment platform `config`. */
function resolvedValue(config: PlatformConfig, key: string): unknown {
  const appEnvironment = appInEnvironment(config.apps[0], config.environments[0]);
  const dig = (from: unknown, parts: string[]) => parts.reduce<unknown>((v, p) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined), from);
  const [head, ...rest] = key.split(".");
  // Replicas and alarm thresholds resolve per app and environment (most specific first).
  if (head === "environments[]" || head === "apps[]") {
    if (rest[0] === "replicas") return dig(appEnvironment.replicas, rest.slice(1));
    if (head === "apps[]" && rest[0] === "alarms") return dig(appEnvironment.alarmThresholds, rest.slice(1));
    return dig(head === "apps[]" ? appEnvironment.app : appEnvironment.environment, rest);
  }
  return undefined;
}

function code(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `\`${text.replace(/`/g, "'")}\``;
}

/** Prose for Markdown: `<app>` and `*` outside code spans stay text (not an HTML tag, not emphasis). */
function prose(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\*/g, "\\*")))
    .join("");
}

/** A Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

function typeOf(node: JsonSchemaNode): string {
  if (node.oneOf ?? node.anyOf) return "one of the variants below";
  if (node.const !== undefined) return "constant";
  const type = Array.isArray(node.type) ? node.type.join(" or ") : node.type;
  if (type === "array") return node.items ? `list of ${typeOf(node.items)}` : "list";
  if (type === "object" && typeof node.additionalProperties === "object") return `map of ${typeOf(node.additionalProperties)}`;
  return type ?? "any";
}

/** What one value may be: constant, choices, bounds, length, pattern. */
function constraints(node: JsonSchemaNode): string[] {
  const parts: string[] = [];
  if (node.const !== undefined) parts.push(code(node.const));
  if (node.enum) parts.push(`one of ${node.enum.map(code).join(", ")}`);
  const low = node.minimum !== undefined ? `≥ ${node.minimum}` : node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : undefined;
  const high = node.maximum !== undefined && node.maximum !== Number.MAX_SAFE_INTEGER ? `≤ ${node.maximum}` : node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : undefined;
  if (low || high) parts.push([low, high].filter(Boolean).join(", "));
  const length = [node.minLength ? `at least ${node.minLength}` : undefined, node.maxLength !== undefined ? `at most ${node.maxLength}` : undefined].filter(Boolean);
  if (length.length) parts.push(`${length.join(", ")} characters`);
  if (node.pattern) parts.push(`matches ${code(node.pattern)}`);
  return parts;
}

function allowedValues(node: JsonSchemaNode): string {
  const parts = constraints(node);
  const count = [node.minItems !== undefined ? `at least ${node.minItems}` : undefined, node.maxItems !== undefined ? `at most ${node.maxItems}` : undefined].filter(Boolean);
  if (count.length) parts.push(`${count.join(", ")} items`);
  if (node.items && !node.items.properties) {
    const item = constraints(node.items);
    if (item.length) parts.push(`each: ${item.join("; ")}`);
  }
  if (typeof node.additionalProperties === "object" && !node.additionalProperties.properties) {
    const names = node.propertyNames ? constraints(node.propertyNames) : [];
    if (names.length) parts.push(`names: ${names.join("; ")}`);
    const values = constraints(node.additionalProperties);
    if (values.length) parts.push(`values: ${values.join("; ")}`);
  }
  return parts.join("; ");
}

/** Keys the sample platform of profileDefaults() sets itself: their resolved values are not defaults. */
const SET_BY_THE_SAMPLE = new Set(["environments[].profile", "environments[].approval.reviewers", "environments[].approval.reviewers.users"]);

/**
 * A key's default: required; per key (an object some of whose keys are optional); per profile
 * where the profiles differ; else what the schema says (its `@default` text, then its default);
 * else the value the model gives it.
 */
function defaultOf(key: SchemaKey, perProfile: ReturnType<typeof profileDefaults>, resolved: ReadonlyMap<string, unknown>): string {
  if (key.required) return "**required**";
  const { defaultText } = splitDescription(key.node.description);
  const children = Object.keys(key.node.properties ?? {});
  if (children.length && children.some((c) => !(key.node.required ?? []).includes(c))) return defaultText !== undefined ? prose(defaultText) : "per key below";
  const profiles = perProfile.get(key.path);
  if (profiles) return `*development:* ${code(profiles.development)}<br>*production:* ${code(profiles.production)}`;
  if (defaultText !== undefined) return /^\S+$/.test(defaultText) && defaultText !== "none" ? code(defaultText) : prose(defaultText);
  if (key.node.default !== undefined) return code(key.node.default);
  if (resolved.has(key.path)) return code(resolved.get(key.path));
  return "none";
}

/** The sections of the reference: a heading per part of the file, each key relative to it. */
const SECTIONS: readonly { readonly title: string; readonly prefix: string; readonly intro: string }[] = [
  { title: "Top level", prefix: "", intro: "The platform's name, its GitHub owner and where Terraform keeps state." },
  { title: "Apps (`apps[]`)", prefix: "apps[]", intro: "One entry per app. Replicas in an environment, most specific first: `overrides.<env>.replicas`, the environment's `replicas`, the app's `replicas`, the profile's. Alarm thresholds: the app's `alarms`, the environment's `alarms.thresholds`, the profile's." },
  { title: "Environments (`environments[]`)", prefix: "environments[]", intro: "One entry per environment, **in promotion order**. An environment's `profile` (`development` or `production`) chooses its defaults; every default can be set in the file." },
];

/** docs/platform-file.md: every key with its type, default (per profile where they differ), allowed values and description. */
export function renderPlatformFileDoc(): string {
  const keys = schemaKeys();
  const resolved = new Map<string, unknown>();
  const perProfile = profileDefaults(resolved);
  const lines: string[] = [
    "# The platform file",
    "",
    "<!-- Generated by renderPlatformFileDoc() in cli/schema.ts from the zod schema (platform/schema.ts) and the profile defaults (platform/model.ts): run `npm run schema` after changing either. A test fails when this file is stale. -->",
    "",
    "One YAML file describes the GitHub owner, the apps and the environments; `platform.yaml` is the example. Its JSON Schema, [`schema/platform.schema.json`](../schema/platform.schema.json), gives editors completion and these descriptions (the file's first line points at it). Every object is strict: an unknown key is an error, with a suggestion. How the file is read, and why every value stays data, is in [guardrails.md](guardrails.md#the-platform-file-is-data).",
    "",
    `Defaults marked *development* / *production* come from the environment's profile (\`PROFILE_DEFAULTS\` in \`platform/model.ts\`), read from the model as it resolves each profile. A key marked **required** is required in its object; an optional object's required keys are required once the object is given.`,
    "",
  ];
  const sectionOf = (key: string) => (key.startsWith("apps[]") ? "apps[]" : key.startsWith("environments[]") ? "environments[]" : "");
  for (const section of SECTIONS) {
    lines.push(`## ${section.title}`, "", section.intro, "", "| key | type | default | allowed values | description |", "| --- | --- | --- | --- | --- |");
    for (const key of keys) {
      if (sectionOf(key.path) !== section.prefix || key.path === section.prefix) continue;
      const relative = section.prefix ? key.path.slice(section.prefix.length + 1) : key.path;
      const row = [code(relative), typeOf(key.node), defaultOf(key, perProfile, resolved), allowedValues(key.node), prose(splitDescription(key.node.description).text)];
      lines.push(`| ${row.map(cell).join(" | ")} |`);
    }
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

export function main(): number {
  fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
  fs.mkdirSync(path.dirname(PLATFORM_FILE_DOC), { recursive: true });
  fs.writeFileSync(PLATFORM_FILE_DOC, renderPlatformFileDoc());
  console.log(`wrote ${PLATFORM_FILE_DOC}`);
  return 0;
}
