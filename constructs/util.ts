/**
 * The few helpers every Slipway construct shares: validation errors that name the construct path,
 * the field, the value received and what is accepted; and resource naming.
 */
import { Token } from "cdktf";
import { IConstruct } from "constructs";

/** Thrown when a construct receives a prop it cannot build from. */
export class SlipwayValidationError extends Error {
  constructor(
    /** The construct path, e.g. `platform-dev/Network`. */
    public readonly path: string,
    /** The prop, e.g. `availabilityZones[2]`. */
    public readonly field: string,
    public readonly received: unknown,
    /** What would be valid. */
    public readonly accepted: string,
  ) {
    super(`${path}: ${field} ${describe(received)} is invalid: ${accepted}`);
    this.name = "SlipwayValidationError";
  }
}

/** Throws a {@link SlipwayValidationError} for `scope`. */
export function invalid(scope: IConstruct, field: string, received: unknown, accepted: string): never {
  throw new SlipwayValidationError(scope.node.path, field, received, accepted);
}

/** True when `value` is known at synth (not a Terraform reference); validation skips unresolved tokens. */
export function isKnown(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "(missing)";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
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
