/**
 * The few helpers every Slipway construct shares: validation errors that name the construct path,
 * the field, the value received and what is accepted; resource naming; AWS partitions, identifier
 * patterns and policy documents; and IPv4 CIDR arithmetic.
 */
import { DefaultTokenResolver, Fn, StringConcat, Token, Tokenization } from "cdktf";
import { IConstruct } from "constructs";

/** Thrown when a construct receives a prop it cannot build from. */
export class SlipwayValidationError extends Error {
  constructor(
    /** The construct path, e.g. `platform-dev/Network`. */
    public readonly path: string,
    /** The prop, e.g. `availabilityZones[2]`. */
    public readonly field: string,
    /** The value received, as given (shown JSON-encoded in the message). */
    public readonly received: unknown,
    /** What would be valid. */
    public readonly accepted: string,
  ) {
    super(safeText(`${path}: ${field} ${printable(received, lastKey(field))} is invalid: ${accepted}`));
    this.name = "SlipwayValidationError";
  }
}

/** The last key of a field such as `env.DB_PASSWORD` or `extraEgress[0].cidr`. */
function lastKey(field: string): string {
  return field.replace(/\[\d+\]$/, "").split(/[.[\]]/).filter(Boolean).pop() ?? field;
}

/** Throws a {@link SlipwayValidationError} for `scope`. */
export function invalid(scope: IConstruct, field: string, received: unknown, accepted: string): never {
  throw new SlipwayValidationError(scope.node.path, field, received, accepted);
}

/** True when `value` is known at synth (not a Terraform reference); validation skips unresolved tokens. */
export function isKnown(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

// ---------------------------------------------------------------------------------------------
// Printing values that came from outside: every error that shows a received value goes through
// `printable`, and every message printed goes through `safeText`, so that output is safe to print
// anywhere (a terminal, a CI log, a pull-request comment).

/**
 * Keys whose values are never printed: `<redacted>` stands in for them. `key` only as a word of
 * the name (`API_KEY`, `signing-key`, `accessKey`), so `keyPrefix` is still shown.
 */
export const SECRET_KEY = /secret|passw(or)?d|token|credential|private|key$|(^|[_-])key([_-]|$)/i;

/** Received values are shown up to this many characters, then `…` and their full length. */
export const MAX_PRINTED_LENGTH = 80;

/**
 * Control characters JSON leaves as they are: DEL, the C1 controls (U+009B is a terminal's CSI),
 * line and paragraph separators, zero-width and bidirectional-override characters (which make text
 * read differently from what it is), and the byte order mark.
 */
const UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A value received from outside, safe to print anywhere: JSON-quoted with every control character
 * escaped (so no ANSI escape or line break reaches a terminal or log), cut to
 * {@link MAX_PRINTED_LENGTH} characters with `…` and its full length, and `<redacted>` when `key`
 * (the name the value was given under) looks like a secret's ({@link SECRET_KEY}); keys that look
 * like secrets are redacted inside lists and mappings too.
 * @param key the key the value is found under, e.g. `DB_PASSWORD` for `env.DB_PASSWORD`
 */
export function printable(value: unknown, key?: PropertyKey): string {
  if (typeof key === "string" && SECRET_KEY.test(key)) return "<redacted>";
  if (value === undefined) return "(missing)";
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value, (k, v) => (k !== "" && SECRET_KEY.test(k) ? "<redacted>" : v)) ?? String(value));
  } catch {
    text = String(value);
  }
  const chars = Array.from(text);
  const cut = chars.length > MAX_PRINTED_LENGTH;
  const shown = cut ? chars.slice(0, MAX_PRINTED_LENGTH).join("") : text;
  // JSON.stringify escapes quotes, backslashes and C0 controls (in a string, or inside JSON); the rest is escaped after.
  const quoted = typeof value === "string" ? JSON.stringify(shown) : shown;
  return escapeUnsafe(quoted) + (cut ? `… (${chars.length} characters)` : "");
}

/**
 * Text safe to print anywhere, line by line: control characters other than line breaks and tabs
 * escaped, and no line that GitHub Actions would read as a workflow command (`::command::`, or the
 * older `##[command]`, after leading spaces): such a line starts with a backslash instead.
 */
export function safeText(text: string): string {
  return escapeUnsafe(text.replace(/\r\n/g, "\n"))
    .replace(/[\u0000-\u0008\u000b-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .split("\n")
    .map((line) => line.replace(/^(\s*)(::|##\[)/, "$1\\$2"))
    .join("\n");
}

/**
 * A construct-id fragment that names `value` and does not depend on call order: the value itself
 * when known at synth, else the Terraform expression it stands for (`aws_security_group.Workers.id`
 * for a reference), with every character an id should not hold replaced by `-`. Default ids built
 * from it stay the same when calls are reordered; a counter's would not.
 * @param value e.g. a security group id, a principal ARN or a cluster name
 */
export function stableIdFragment(scope: IConstruct, value: string): string {
  // Resolved as the synthesized configuration will hold it: a reference resolves to its address.
  const text = isKnown(value) ? value : String(Tokenization.resolve(value, { scope, resolver: new DefaultTokenResolver(new StringConcat()), preparing: true }));
  return text
    .replace(/^\$\{|\}$/g, "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * A name for a cloud resource: lower-case words joined by `-`, trimmed to `maxLength`.
 * Deterministic, so the same input always gives the same name.
 */
export function resourceName(parts: readonly string[], maxLength = 63): string {
  const name = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return name.length <= maxLength ? name : name.slice(0, maxLength).replace(/-$/, "");
}

/**
 * An AWS region name: two letters, one or more lower-case words, then a number, e.g. `eu-west-1`,
 * `us-gov-west-1` or `ap-southeast-4`. Accepts everything the platform file's `region` accepts
 * (`^[a-z]{2}(-gov)?-[a-z]+-\d$`). Rejects `eu-west`, `EU-WEST-1`, `europe`.
 */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A 12-digit AWS account id, e.g. `123456789012`. */
export const AWS_ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** Fails validation of `scope` unless `accountId` is a 12-digit AWS account id (or not yet known). */
export function checkAccountId(scope: IConstruct, field: string, accountId: string): void {
  if (isKnown(accountId) && !AWS_ACCOUNT_ID_PATTERN.test(accountId)) invalid(scope, field, accountId, "a 12-digit AWS account id");
}

/** Fails validation of `scope` unless `region` looks like an AWS region name (or is not yet known). */
export function checkRegion(scope: IConstruct, field: string, region: string): void {
  if (isKnown(region) && !AWS_REGION_PATTERN.test(region)) invalid(scope, field, region, "an AWS region name such as eu-west-1");
}

/**
 * CloudWatch Logs' retention periods in days, ascending, led by `0`: to Terraform's
 * `aws_cloudwatch_log_group` 0 means "never expire". Constructs whose logs must expire leave 0 out
 * (`LOG_RETENTION_DAYS.filter((days) => days !== 0)`).
 */
export const LOG_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The AWS partition of a region and the DNS suffix of its service endpoints and principals. */
export interface AwsPartition {
  /** The ARN partition: `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** `amazonaws.com`, or `amazonaws.com.cn` in China. */
  readonly dnsSuffix: string;
}

/**
 * The partition and service DNS suffix of a region: `cn-*` is `aws-cn` / `amazonaws.com.cn`,
 * `us-gov-*` is `aws-us-gov` / `amazonaws.com`, anything else (including an unresolved token) is
 * `aws` / `amazonaws.com`. Use it for ARNs (`arn:<partition>:…`) and regional service principals
 * (`logs.<region>.<dnsSuffix>`); global principals such as `eks.amazonaws.com` keep their name.
 * @param region an AWS region name, e.g. `eu-west-1`
 */
export function partitionOf(region: string): AwsPartition {
  if (isKnown(region) && region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (isKnown(region) && region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

/**
 * A policy document (IAM, KMS, S3, ECR) as a JSON string. References to other resources (string
 * tokens) stay inside the JSON as Terraform interpolations (`"Resource": "${aws_x.y.arn}"`), so the
 * synthesized document is plain JSON that reviewers, `terraform plan` and Slipway's policy rules
 * read alike. Only a list or number token, which JSON cannot carry, falls back to Terraform's
 * `jsonencode`.
 * @param document the policy, e.g. `{ Version: "2012-10-17", Statement: [...] }`
 */
export function policyJson(document: object): string {
  return hasListOrNumberToken(document) ? Fn.jsonencode(document) : JSON.stringify(document);
}

function hasListOrNumberToken(value: unknown): boolean {
  if (Array.isArray(value)) return Token.isUnresolved(value) || value.some(hasListOrNumberToken);
  if (typeof value === "number") return Token.isUnresolved(value);
  if (value && typeof value === "object") return Object.values(value).some(hasListOrNumberToken);
  return false;
}

/** Splits an IPv4 CIDR like Terraform's `cidrsubnet(prefix, newbits, netnum)`. */
export function cidrSubnet(cidr: string, newBits: number, netNum: number): string {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const newPrefix = prefix + newBits;
  if (newPrefix > 32 || netNum < 0 || netNum >= 2 ** newBits) {
    throw new Error(`cidrSubnet: cannot take subnet ${netNum} of /${newPrefix} from ${cidr}`);
  }
  const base = ipv4ToInt(address) & prefixMask(prefix);
  const subnet = (base + netNum * 2 ** (32 - newPrefix)) >>> 0;
  return `${intToIpv4(subnet)}/${newPrefix}`;
}

/** Parses an IPv4 CIDR, or returns undefined when it is not one. */
export function parseCidr(cidr: string): { network: number; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { network: ipv4ToInt(octets.join(".")), prefix };
}

/** True when two IPv4 CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const prefix = Math.min(x.prefix, y.prefix);
  return ((x.network & prefixMask(prefix)) >>> 0) === ((y.network & prefixMask(prefix)) >>> 0);
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

function ipv4ToInt(address: string): number {
  return address.split(".").reduce((acc, octet) => ((acc << 8) + Number(octet)) >>> 0, 0);
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}
