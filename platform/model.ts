/**
 * Loads a platform file into the validated model every stack is built from: YAML parsed, shapes
 * checked by the schema, rules that span fields checked, and every default resolved per
 * environment. Bad input throws one {@link PlatformFileError} listing every problem, each with the
 * file, line, path, the value received and what is valid; nothing is written.
 */
import * as fs from "node:fs";
import { isAlias, isMap, isSeq, LineCounter, parseAllDocuments, visit } from "yaml";
import { z } from "zod";
import { ciRunnerProjectName, codebuildRunnerLabel } from "../constructs/ci-runners";
import { AlarmThresholds } from "../constructs/monitoring";
import { CLUSTER_AUTOSCALER_IMAGES } from "../constructs/cluster-autoscaler-images";
import { POSTGRES_INSTANCE_CLASSES } from "../constructs/postgres-database";
import { cidrsOverlap, parseCidr, partitionOf, printable, safeText } from "../constructs/util";
import * as kinds from "../constructs/validators";
import { ALL_RULES } from "../policy";
import { DefaultsOf, Simplify, withDefaults, WithDefaults } from "./defaults";
import { closest } from "./edit-distance";
import { literalProblems } from "./literal";
import {
  ParsedApp,
  ParsedEnvironment,
  ParsedPlatform,
  platformSchema,
} from "./schema";

export type Profile = "development" | "production";

/** One step of a canary rollout: the canary's percent of the requests, for so many minutes. */
export type CanaryStep = NonNullable<NonNullable<ParsedEnvironment["rollout"]>["steps"]>[number];

/** How a release reaches users: all at once, or a canary's steps (empty for all-at-once). */
export type Rollout = WithDefaults<NonNullable<ParsedEnvironment["rollout"]>, { steps: readonly CanaryStep[] }>;

/** Fewest and most running instances of an app. */
export type Replicas = NonNullable<ParsedApp["replicas"]>;

/**
 * The environment keys a profile decides, in the platform file's own shape: what an environment
 * of that profile gets for each key its file leaves unset ({@link PROFILE_DEFAULTS}).
 */
export type EnvironmentDefaults = (typeof PROFILE_DEFAULTS)[Profile]["environment"];

/** An AWS Backup copy of the databases, resolved: on, with its region. */
export interface BackupCopyConfig {
  readonly region: string;
  /** A second account to copy into; unset: the environment's own. */
  readonly account?: string;
  readonly retentionDays: number;
  readonly breakGlassRoleArns: string[];
}

/**
 * An environment with every default resolved from its profile: the schema's parsed type
 * (`platform/schema.ts`) with each key {@link PROFILE_DEFAULTS} decides made required, plus what
 * the model computes (`production`, the deploy runner, the DNS zone's account, the backup copy).
 * The keys' meaning is in their schema descriptions (docs/platform-file.md).
 */
export type EnvironmentConfig = Simplify<
  Omit<WithDefaults<ParsedEnvironment, EnvironmentDefaults>, "profile" | "database" | "deploy" | "dns" | "rollout"> & {
    readonly profile: Profile;
    /** The profile is production: production's policy rules apply, and stacks refuse to be destroyed. */
    readonly production: boolean;
    readonly database: Simplify<Omit<WithDefaults<ParsedEnvironment["database"], EnvironmentDefaults["database"]>, "backupCopy"> & {
      /** AWS Backup snapshots copied to a second region (account); unset: none. */
      readonly backupCopy?: BackupCopyConfig;
    }>;
    /** Runner labels of the deploy jobs (default: the environment's CodeBuild deploy runner); minutes each deploy watches the app's alarms. */
    readonly deploy: { readonly runsOn: string[]; readonly bakeMinutes: number };
    /**
     * The apps' Route 53 zone. `crossAccount`: the zone is in another account, reached through a
     * provider that assumes `roleArn` (applies) or `readRoleArn` (plans) there.
     */
    readonly dns: { readonly hostedZoneId?: string; readonly crossAccount?: CrossAccountZone };
    /** How releases reach users here, unless an app overrides it. */
    readonly rollout: Rollout;
  }
>;

/** A Route 53 zone in an account other than the environment's, and the DNS-only roles that reach it. */
export interface CrossAccountZone {
  readonly account: string;
  /** Assumed by applies (the environment's apply role only): changes the apps' records in the zone only. */
  readonly roleArn: string;
  /** Assumed by plans (the environment's account's plan role only): reads the zone only. */
  readonly readRoleArn: string;
}

/** An accepted policy finding, as the platform file states it (`path`: inside the stack; unset: the whole stack). */
export type PolicySuppression = ParsedEnvironment["suppressions"][number];

/**
 * An app as the model resolves it: the schema's parsed type (`platform/schema.ts`), its commands
 * named for what they are (`test` → `testCommand`, …), its NodePorts settled and its previews
 * resolved. The keys' meaning is in their schema descriptions (docs/platform-file.md).
 */
export type AppConfig = Simplify<
  Omit<ParsedApp, "test" | "migrate" | "integrationTest" | "nodePort" | "canaryNodePort" | "previews"> & {
    /** `test`: the app's tests, run in its image before anything is pushed. */
    readonly testCommand: string;
    /** `migrate`: only with `database: postgres` (the model refuses it otherwise). */
    readonly migrateCommand?: string;
    /** `integrationTest`: run in the deployed image against the environment's URL after each rollout. */
    readonly integrationTestCommand?: string;
    /** The NodePort the load balancer targets: set, or derived from the name. */
    readonly nodePort: number;
    /** The NodePort of the canary Service (environments with a canary rollout): set, or derived from the name. */
    readonly canaryNodePort: number;
    /** Pull-request previews, resolved (the app's over the platform's); undefined when off. */
    readonly previews?: PreviewsConfig;
  }
>;

/**
 * An app's pull-request previews with every default resolved ({@link PREVIEW_DEFAULTS}): the
 * schema's `previews` without `enabled` (off is no previews at all), with the host environment
 * settled and the router's NodePort.
 */
export type PreviewsConfig = Simplify<
  Omit<WithDefaults<NonNullable<ParsedPlatform["previews"]>, typeof PREVIEW_DEFAULTS>, "enabled" | "environment"> & {
    /** The host environment's name: a development-profile environment. */
    readonly environment: string;
    /** The NodePort of the previews' router in the host cluster: derived from `<app>-previews`. */
    readonly routerNodePort: number;
  }
>;

/** Previews' defaults when neither the app nor the platform sets them. */
export const PREVIEW_DEFAULTS = { ttlHours: 72, maxConcurrent: 3, secrets: [] as string[] };

/** The environment name preview secrets use in their Secrets Manager names (`<platform>/<app>/preview/<NAME>`): no environment may take it. */
export const PREVIEW_SECRETS_ENVIRONMENT = "preview";

/** One app in one environment, with the sizing that applies there. */
export interface AppEnvironmentConfig {
  readonly app: AppConfig;
  readonly environment: EnvironmentConfig;
  readonly domain: string;
  readonly replicas: Replicas;
  /** How a release reaches users here: the app's override, else the environment's. */
  readonly rollout: Rollout;
  /** The alarm thresholds here: the app's, then the environment's (which hold the profile's). */
  readonly alarmThresholds: AlarmThresholds;
}

/**
 * The whole platform, resolved: the schema's parsed type with its apps and environments resolved
 * and the infrastructure repository named. `file`: the platform file this was read from, as given.
 */
export type PlatformConfig = Simplify<
  Omit<ParsedPlatform, "github" | "apps" | "environments" | "previews"> & {
    readonly file: string;
    /** `infrastructureRepository`: the repository (name only) of this platform file and its CI. */
    readonly github: WithDefaults<ParsedPlatform["github"], { infrastructureRepository: string }>;
    readonly apps: AppConfig[];
    /** In promotion order. */
    readonly environments: EnvironmentConfig[];
  }
>;

/**
 * Every decision a profile makes, and only here: `environment` holds what an environment of the
 * profile gets for each key its file leaves unset, in the platform file's own shape (laid under
 * the file by {@link withDefaults}); `replicas` is an app's instances when neither the app nor the
 * environment sets them; `hostsPreviews` whether pull-request previews may run there. Every
 * environment value can be set in the platform file; docs/platform-file.md shows them per profile.
 */
export const PROFILE_DEFAULTS = {
  development: {
    environment: {
      network: { natGateways: "one" },
      cluster: {
        version: "1.33",
        // The smallest current x86 type that trunks network interfaces (security groups for pods).
        nodeInstanceTypes: ["c6i.large"],
        nodes: { min: 1, desired: 2, max: 3 },
        publicAccessCidrs: [],
        adminRoleArns: [],
        // A pod never waits for a node in another zone: development favours running over spreading.
        zoneSpread: "preferred",
      },
      database: {
        instanceClass: "db.t4g.micro",
        storageGiB: 20,
        maxStorageGiB: 100,
        // The pinned major: RDS applies minor upgrades itself (auto minor version upgrade), and a
        // pinned minor would make Terraform plan a downgrade after each one.
        engineVersion: "16",
        backupRetentionDays: 2,
        performanceInsights: false,
      },
      rollout: { strategy: "all-at-once", steps: [] },
      approval: { required: false },
      protection: { deletionProtection: false, multiAz: false },
      // A short bake still catches a release that fails at once; development alarms page nobody unless subscribed.
      deploy: { bakeMinutes: 1 },
      loadBalancer: { accessLogs: false },
      alarms: {
        thresholds: {
          loadBalancer5xxPercent: 5,
          target5xxPercent: 5,
          unhealthyTargets: 1,
          p99LatencyMs: 3000,
          databaseCpuPercent: 90,
          databaseFreeStorageGiB: 2,
          // db.t4g.micro allows about 80 connections.
          databaseConnections: 60,
          cdn5xxPercent: 5,
          containerRestarts: 5,
        },
      },
      secrets: { recoveryWindowDays: 7 },
      logs: { retentionDays: 30 },
      cdn: { priceClass: "PriceClass_100" },
    },
    replicas: { min: 1, max: 2 },
    // Pull-request previews run here: code nobody has reviewed yet never shares a production cluster or database server.
    hostsPreviews: true,
  },
  production: {
    environment: {
      network: { natGateways: "per-zone" },
      cluster: {
        version: "1.33",
        nodeInstanceTypes: ["m6i.large"],
        nodes: { min: 2, desired: 3, max: 6 },
        publicAccessCidrs: [],
        adminRoleArns: [],
        // Replicas survive a zone's loss: no zone holds two more than another zone with nodes.
        zoneSpread: "required",
      },
      database: {
        instanceClass: "db.m6g.large",
        storageGiB: 100,
        maxStorageGiB: 1000,
        engineVersion: "16",
        backupRetentionDays: 7,
        performanceInsights: true,
      },
      // A release meets a tenth of the users, then half, each for five minutes, before it takes all.
      rollout: { strategy: "canary", steps: [{ weight: 10, minutes: 5 }, { weight: 50, minutes: 5 }] },
      approval: { required: true },
      protection: { deletionProtection: true, multiAz: true },
      // Five minutes: 3 bad minutes of 5 fire the request alarms within the bake.
      deploy: { bakeMinutes: 5 },
      loadBalancer: { accessLogs: true },
      alarms: {
        thresholds: {
          loadBalancer5xxPercent: 1,
          target5xxPercent: 1,
          unhealthyTargets: 1,
          p99LatencyMs: 1500,
          databaseCpuPercent: 80,
          databaseFreeStorageGiB: 10,
          // db.m6g.large allows about 800 connections.
          databaseConnections: 600,
          cdn5xxPercent: 1,
          containerRestarts: 3,
        },
      },
      secrets: { recoveryWindowDays: 30 },
      logs: { retentionDays: 365 },
      cdn: { priceClass: "PriceClass_All" },
    },
    replicas: { min: 3, max: 10 },
    hostsPreviews: false,
  },
} as const satisfies Record<Profile, { environment: DefaultsOf<ParsedEnvironment>; replicas: Replicas; hostsPreviews: boolean }>;

/** The PostgreSQL major every profile defaults to. */
export const DEFAULT_POSTGRES_VERSION: string = PROFILE_DEFAULTS.production.environment.database.engineVersion;

/** One problem in a platform file. */
export interface PlatformProblem {
  /** Where in the document, e.g. `apps[0].port`; empty for the whole file. */
  readonly path: string;
  /** 1-based line and column, when the value is in the file. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** Every problem found in one platform file. */
export class PlatformFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: PlatformProblem[],
  ) {
    // The file name and every message are printed as they come: make them safe to print anywhere.
    const lines = problems.map((p) => {
      const where = p.line ? `${file}:${p.line}:${p.column}` : file;
      return `  ${where}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
    });
    super(safeText(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the platform file:\n${lines.join("\n")}`));
    this.name = "PlatformFileError";
  }
}

/** The largest platform file read: a file above it is refused before it is read or parsed. */
export const MAX_PLATFORM_FILE_BYTES = 1024 * 1024;

/** How many aliases (`*name`) the YAML may expand; more is refused (a "billion laughs" file). */
export const MAX_YAML_ALIASES = 100;

/** How deep a platform file's lists and mappings may nest (it needs 6). */
const MAX_NESTING = 32;

/** YAML errors reported at most; a broken file can yield one per character. */
const MAX_YAML_ERRORS = 20;

/** Reads, validates and resolves a platform file. Throws {@link PlatformFileError} on bad input. */
export function loadPlatformFile(file: string): PlatformConfig {
  return parsePlatform(readPlatformText(file), file);
}

/**
 * The text of a platform file: only a regular file (never a FIFO or device, which could block or
 * never end), at most {@link MAX_PLATFORM_FILE_BYTES}, in UTF-8 (a byte order mark is dropped).
 */
export function readPlatformText(file: string): string {
  const fail = (message: string): never => {
    throw new PlatformFileError(file, [{ path: "", message }]);
  };
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO returns at once; fstat then refuses it.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : String(code ?? error);
    return fail(`cannot read the platform file (${why}); pass an existing YAML file with --platform or SLIPWAY_PLATFORM_FILE`);
  }
  let bytes: Buffer;
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) fail("cannot read the platform file (is a directory, not a file); pass an existing YAML file with --platform or SLIPWAY_PLATFORM_FILE");
    if (!stat.isFile()) fail("cannot read the platform file (not a regular file: a device, pipe or socket); pass a YAML file with --platform or SLIPWAY_PLATFORM_FILE");
    if (stat.size > MAX_PLATFORM_FILE_BYTES) fail(`the file is ${stat.size} bytes; a platform file is at most ${MAX_PLATFORM_FILE_BYTES} bytes (1 MiB)`);
    // Read at most one byte past the limit, in case the file grew since fstat.
    const buffer = Buffer.alloc(MAX_PLATFORM_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_PLATFORM_FILE_BYTES) fail(`the file is over ${MAX_PLATFORM_FILE_BYTES} bytes; a platform file is at most ${MAX_PLATFORM_FILE_BYTES} bytes (1 MiB)`);
    bytes = buffer.subarray(0, length);
  } finally {
    fs.closeSync(fd);
  }
  return decodePlatformBytes(bytes, file);
}

/**
 * UTF-8 text from a platform file's bytes, without its byte order mark. UTF-16 and UTF-32 (with
 * or without a byte order mark), binary data and invalid UTF-8 are refused, naming what was found.
 */
export function decodePlatformBytes(bytes: Uint8Array, file: string): string {
  const fail = (message: string, offset?: number): never => {
    const at = offset === undefined ? {} : lineAndColumn(bytes, offset);
    throw new PlatformFileError(file, [{ path: "", ...at, message }]);
  };
  const starts = (...prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
  const resave = "save it as UTF-8 (without a byte order mark is best)";
  if (starts(0xff, 0xfe, 0, 0) || starts(0, 0, 0xfe, 0xff)) fail(`the file is UTF-32 (it starts with a UTF-32 byte order mark); ${resave}`);
  if (starts(0xff, 0xfe)) fail(`the file is UTF-16 LE (it starts with a UTF-16 byte order mark); ${resave}`);
  if (starts(0xfe, 0xff)) fail(`the file is UTF-16 BE (it starts with a UTF-16 byte order mark); ${resave}`);
  const body = starts(0xef, 0xbb, 0xbf) ? bytes.subarray(3) : bytes;
  const nul = body.indexOf(0);
  if (nul >= 0) {
    // ASCII text in UTF-16 has a zero byte in every other position.
    const sample = body.subarray(0, Math.min(body.length, 512));
    const zerosAt = (parity: number) => sample.filter((b, i) => i % 2 === parity && b === 0).length;
    const half = Math.floor(sample.length / 2);
    if (half > 0 && zerosAt(1) >= half * 0.8) fail(`the file looks like UTF-16 LE without a byte order mark (every other byte is zero); ${resave}`);
    if (half > 0 && zerosAt(0) >= half * 0.8) fail(`the file looks like UTF-16 BE without a byte order mark (every other byte is zero); ${resave}`);
    fail(`the file is binary, not text: a zero byte at offset ${nul + (body === bytes ? 0 : 3)}; a platform file is YAML text in UTF-8`, nul + (body === bytes ? 0 : 3));
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const offset = firstInvalidUtf8(body) + (body === bytes ? 0 : 3);
    return fail(`the file is not valid UTF-8 (byte 0x${bytes[offset]?.toString(16).padStart(2, "0")} at offset ${offset}; perhaps Latin-1 or Windows-1252); ${resave}`, offset);
  }
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (control) {
    const offset = Buffer.byteLength(text.slice(0, control.index)) + (body === bytes ? 0 : 3);
    fail(`the file is binary, not text: control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0")} at offset ${offset}; a platform file is YAML text in UTF-8`, offset);
  }
  return text;
}

/** The offset of the first byte that makes `bytes` invalid UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    const next = bytes[i + 1];
    if ((c === 0xe0 && next < 0xa0) || (c === 0xed && next >= 0xa0) || (c === 0xf0 && next < 0x90) || (c === 0xf4 && next >= 0x90)) return i;
    i += n + 1;
  }
  return 0;
}

function lineAndColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Validates and resolves platform-file text; `file` names it in errors. */
export function parsePlatform(text: string, file: string): PlatformConfig {
  const lineCounter = new LineCounter();
  const fail = (problems: PlatformProblem[]): never => {
    throw new PlatformFileError(file, problems);
  };
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, schema: "core" });
  } catch (error) {
    // A pathological file (e.g. nesting deep enough to exhaust the stack).
    return fail([{ path: "", message: `the YAML cannot be parsed (${error instanceof RangeError ? "nested too deeply" : printable((error as Error).message)})` }]);
  }
  if (!Array.isArray(docs)) docs = [];
  if (docs.length > 1) {
    return fail([
      { path: "", ...at(docs[1].range?.[0]), message: `the file holds ${docs.length} YAML documents (separated by ---); a platform file is one document` },
    ]);
  }
  const doc = docs[0];
  if (doc === undefined) {
    return fail([{ path: "", message: "the file is empty; it needs at least github.owner, apps and environments (see platform.yaml)" }]);
  }
  const yamlProblems: PlatformProblem[] = [
    ...doc.errors.map((e) => ({ path: "", ...at(e.pos?.[0]), message: `YAML syntax error: ${yamlMessage(e)}` })),
    // Warnings are mostly tags the file's schema does not know (`!Sub`, `!Ref`): their values would be read as plain text.
    ...doc.warnings.map((w) => ({ path: "", ...at(w.pos?.[0]), message: `YAML: ${yamlMessage(w)}` })),
  ];
  if (yamlProblems.some((p) => /call stack/i.test(p.message))) {
    fail([{ path: "", message: `the YAML is nested too deeply to read; a platform file is nested at most ${MAX_NESTING} levels` }]);
  }
  // A broken file can yield an error per character: the first few say where to look.
  if (yamlProblems.length > MAX_YAML_ERRORS) {
    fail([...yamlProblems.slice(0, MAX_YAML_ERRORS), { path: "", message: `… and ${yamlProblems.length - MAX_YAML_ERRORS} more YAML errors after these` }]);
  }
  if (yamlProblems.length > 0) fail(yamlProblems);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    if (error instanceof ReferenceError || /alias/i.test((error as Error).message)) {
      // Point at the first alias: where the expansion starts.
      let first: number | undefined;
      visit(doc, {
        Alias(_, node) {
          first = node.range?.[0];
          return visit.BREAK;
        },
      });
      return fail([{ path: "", ...at(first), message: `the YAML expands its aliases (*name) too many times: at most ${MAX_YAML_ALIASES} expansions; write the values out instead` }]);
    }
    if (error instanceof RangeError) return fail([{ path: "", message: "the YAML cannot be read: nested too deeply" }]);
    throw error;
  }
  if (raw === null || raw === undefined) {
    return fail([{ path: "", message: "the file is empty; it needs at least github.owner, apps and environments (see platform.yaml)" }]);
  }
  if (depth(raw) > MAX_NESTING) {
    return fail([{ path: "", message: `the YAML is nested more than ${MAX_NESTING} levels deep; a platform file needs at most a few` }]);
  }
  const locate = (path: readonly PropertyKey[]) => {
    // Through aliases too: a value reached by `*name` is located where its anchor's value is.
    let node: unknown = doc.contents;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      node = isMap(node) || isSeq(node) ? node.get(segment, true) : undefined;
    }
    return at((node as { range?: [number, number, number] } | undefined)?.range?.[0]);
  };

  const problems: PlatformProblem[] = [];
  const result = platformSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ path: formatPath(issue.path), ...locateIssue(issue, locate), message: describeIssue(issue, raw) });
    }
  }
  // literalProblems: text that could not stay data on its way to Terraform or a workflow (platform/literal.ts).
  for (const p of [...crossFieldProblems(raw), ...literalProblems(raw)]) problems.push({ ...p, ...locate(p.at), path: formatPath(p.at) });
  if (problems.length > 0 || !result.success) {
    throw new PlatformFileError(file, dedupe(problems).sort(byPosition));
  }
  return resolve(result.data, file);
}

/** How deep lists and mappings nest (iteratively: a deep value must not exhaust the stack). */
function depth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    deepest = Math.max(deepest, d + 1);
    if (deepest > MAX_NESTING) return deepest;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

/** A YAML error or warning's first line, with a tag or other text from the file made safe to print. */
function yamlMessage(e: { code: string; message: string }): string {
  const first = e.message.split("\n")[0];
  if (e.code === "TAG_RESOLVE_FAILED") {
    const tag = /tag:? (.*)$/i.exec(first)?.[1] ?? "";
    return `unknown tag ${printable(tag)}: a platform file holds plain values (CloudFormation's !Sub, !Ref and the like mean nothing here)`;
  }
  if (e.code === "DUPLICATE_KEY") return "a key is given twice in one mapping (Map keys must be unique): keep one";
  return safeText(first.length > 200 ? `${first.slice(0, 200)}…` : first);
}

function resolve(parsed: ParsedPlatform, file: string): PlatformConfig {
  const nodePorts = appNodePorts(parsed.apps);
  return {
    file,
    name: parsed.name,
    github: { ...parsed.github, infrastructureRepository: parsed.github.infrastructureRepository ?? `${parsed.name}-infrastructure` },
    backend: parsed.backend,
    apps: parsed.apps.map((app) => resolveApp(app, parsed, nodePorts)),
    environments: parsed.environments.map((env) => resolveEnvironment(env, parsed.name)),
    cost: parsed.cost,
  };
}

/** The first environment that may host previews (its profile's `hostsPreviews`), in promotion order. */
function defaultPreviewEnvironment(environments: readonly { readonly name: string; readonly profile?: string }[]): string | undefined {
  return environments.find((e) => PROFILE_DEFAULTS[(e.profile as Profile | undefined) ?? defaultProfile(e.name)].hostsPreviews)?.name;
}

/** The app's previews: its own keys over the platform's, then {@link PREVIEW_DEFAULTS}; undefined when off or nowhere to host them. */
function resolvePreviews(app: ParsedApp, parsed: ParsedPlatform, ports: AppNodePorts): PreviewsConfig | undefined {
  const merged = { ...definedOnly(parsed.previews ?? {}), ...definedOnly(app.previews ?? {}) };
  const environment = merged.environment ?? defaultPreviewEnvironment(parsed.environments);
  if (merged.enabled === false || environment === undefined) return undefined;
  const { enabled: _enabled, ...resolved } = withDefaults(merged, PREVIEW_DEFAULTS);
  return { ...resolved, environment, routerNodePort: ports.router };
}

function resolveApp(app: ParsedApp, parsed: ParsedPlatform, nodePorts: ReadonlyMap<string, AppNodePorts>): AppConfig {
  const ports = nodePorts.get(app.name)!;
  return {
    name: app.name,
    port: app.port,
    healthPath: app.healthPath,
    cpu: app.cpu,
    memory: app.memory,
    env: app.env,
    secrets: app.secrets,
    testCommand: app.test,
    database: app.database,
    migrateCommand: app.migrate,
    integrationTestCommand: app.integrationTest,
    replicas: app.replicas,
    domains: app.domains,
    overrides: app.overrides,
    nodePort: app.nodePort ?? defaultNodePort(app.name),
    canaryNodePort: ports.canary,
    staticPath: app.staticPath,
    egress: app.egress,
    suppressions: app.suppressions,
    alarms: app.alarms,
    previews: resolvePreviews(app, parsed, ports),
  };
}

/** The NodePort of an app's preview router when nothing else holds it: derived like the app's own, from `<app>-previews`. */
export function previewRouterNodePort(app: string): number {
  return defaultNodePort(`${app}-previews`);
}

/** The NodePorts of one app: its Service's, its canary Service's and its preview router's. */
export interface AppNodePorts {
  readonly app: number;
  readonly canary: number;
  readonly router: number;
}

/**
 * Every app's NodePorts, decided in one place for the model and its checks. The app's own port is
 * `nodePort` or derived from its name ({@link defaultNodePort}); a clash between those is the
 * user's to settle (cross-field check). The canary's (unless `canaryNodePort` pins it) and the
 * preview router's are derived too ({@link defaultCanaryNodePort}, {@link previewRouterNodePort})
 * but step past every port already taken (`<seed>#1`, `#2`, …), apps in file order, so a platform
 * of many apps never asks for ports it has no key for. Appending an app moves no other app's derived
 * port, unless the new app's own port lands on one (1 in 2,768 per port).
 */
export function appNodePorts(apps: readonly unknown[]): Map<string, AppNodePorts> {
  const named = apps.filter((a): a is Record<string, unknown> & { name: string } => isRecord(a) && typeof a.name === "string");
  const taken = new Set<number>();
  const own = new Map<string, number>();
  for (const app of named) {
    const port = typeof app.nodePort === "number" ? app.nodePort : defaultNodePort(app.name);
    if (!own.has(app.name)) own.set(app.name, port);
    taken.add(port);
  }
  for (const app of named) if (typeof app.canaryNodePort === "number") taken.add(app.canaryNodePort);
  const free = (seed: string): number => {
    for (let k = 0; ; k++) {
      const port = defaultNodePort(k === 0 ? seed : `${seed}#${k}`);
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const out = new Map<string, AppNodePorts>();
  for (const app of named) {
    if (out.has(app.name)) continue;
    const canary = typeof app.canaryNodePort === "number" ? app.canaryNodePort : free(`${app.name}.canary`);
    out.set(app.name, { app: own.get(app.name)!, canary, router: free(`${app.name}-previews`) });
  }
  return out;
}

/**
 * A NodePort derived from the app's name (FNV-1a into 30000-32767), so adding or reordering apps
 * never moves another app's port. Two apps that collide get an error asking for an explicit one.
 */
export function defaultNodePort(name: string): number {
  let hash = 0x811c9dc5;
  for (const ch of name) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 30000 + (hash % 2768);
}

/** The canary Service's NodePort derived from the app's name, as {@link defaultNodePort}. */
export function defaultCanaryNodePort(name: string): number {
  return defaultNodePort(`${name}.canary`);
}

/** The canary steps of `rollout: { strategy: canary }` without steps: the production profile's. */
export const DEFAULT_CANARY_STEPS: readonly CanaryStep[] = PROFILE_DEFAULTS.production.environment.rollout.steps;

/** A rollout as written (steps optional), over `fallback` when none is written. */
function resolveRollout(written: { readonly strategy: Rollout["strategy"]; readonly steps?: readonly CanaryStep[] } | undefined, fallback: { readonly strategy: Rollout["strategy"]; readonly steps: readonly CanaryStep[] }): Rollout {
  if (written === undefined) return { strategy: fallback.strategy, steps: fallback.steps.map((s) => ({ ...s })) };
  if (written.strategy === "all-at-once") return { strategy: "all-at-once", steps: [] };
  return { strategy: "canary", steps: (written.steps ?? DEFAULT_CANARY_STEPS).map((s) => ({ ...s })) };
}

/**
 * The region a production database's backups are copied to when the platform file names none: a
 * second region of the same country or union, so the copy leaves the region but not the
 * jurisdiction. Regions without such a partner must name one (`database.backupCopy.region`).
 */
export const DEFAULT_BACKUP_COPY_REGION: Readonly<Record<string, string>> = {
  "us-east-1": "us-west-2",
  "us-east-2": "us-west-2",
  "us-west-1": "us-east-1",
  "us-west-2": "us-east-1",
  "ca-central-1": "ca-west-1",
  "ca-west-1": "ca-central-1",
  "eu-west-1": "eu-central-1",
  "eu-west-3": "eu-central-1",
  "eu-central-1": "eu-west-1",
  "eu-central-2": "eu-central-1",
  "eu-north-1": "eu-central-1",
  "eu-south-1": "eu-central-1",
  "eu-south-2": "eu-west-3",
  "ap-northeast-1": "ap-northeast-3",
  "ap-northeast-3": "ap-northeast-1",
  "ap-south-1": "ap-south-2",
  "ap-south-2": "ap-south-1",
  "ap-southeast-2": "ap-southeast-4",
  "ap-southeast-4": "ap-southeast-2",
};

/** The environment's backup copy: on in production unless `enabled: false`, elsewhere when `backupCopy` is given; its region as given, else the partner. */
function backupCopyOf(env: ParsedEnvironment, profile: Profile): { backupCopy?: BackupCopyConfig } {
  const copy = env.database.backupCopy;
  const enabled = copy?.enabled ?? (copy !== undefined || profile === "production");
  const region = copy?.region ?? DEFAULT_BACKUP_COPY_REGION[env.region];
  if (!enabled || region === undefined) return {};
  return { backupCopy: { region, account: copy?.account, retentionDays: copy?.retentionDays ?? 35, breakGlassRoleArns: copy?.breakGlassRoleArns ?? [] } };
}

/** The profile an environment gets when its file does not name one. */
export function defaultProfile(name: string): Profile {
  return name === "prod" || name === "production" ? "production" : "development";
}

/**
 * An environment's file over its profile's defaults ({@link environmentDefaults}), then what the
 * model computes: whether it is production, the rollout's steps, the DNS zone's roles and the
 * backup copy.
 */
function resolveEnvironment(env: ParsedEnvironment, platformName: string): EnvironmentConfig {
  const profile = env.profile ?? defaultProfile(env.name);
  const defaults = environmentDefaults(env, profile, platformName);
  const resolved = withDefaults(env, defaults);
  const { backupCopy: _asWritten, ...database } = resolved.database;
  return {
    ...resolved,
    profile,
    production: profile === "production",
    database: { ...database, ...backupCopyOf(env, profile) },
    rollout: resolveRollout(env.rollout, defaults.rollout),
    dns: { hostedZoneId: env.dns.hostedZoneId, crossAccount: crossAccountZone(env, platformName) },
  };
}

/**
 * The defaults an environment's file is laid over: its profile's, plus the two that depend on
 * the file: storage autoscaling reaches at least the storage set, and the deploy jobs run on the
 * environment's CodeBuild deploy runner inside the VPC, which reaches the private API endpoint
 * (docs/operations.md, "Reaching the cluster").
 */
function environmentDefaults(env: ParsedEnvironment, profile: Profile, platformName: string) {
  const d = PROFILE_DEFAULTS[profile].environment;
  return {
    ...d,
    database: { ...d.database, maxStorageGiB: Math.max(d.database.maxStorageGiB, env.database.storageGiB ?? 0) },
    deploy: { ...d.deploy, runsOn: [codebuildRunnerLabel(ciRunnerProjectName(`${platformName}-${env.name}`, "deploy"))] },
  };
}

/** The zone's account and DNS roles, when `dns.account` names an account other than the environment's. */
function crossAccountZone(env: ParsedEnvironment, platformName: string): CrossAccountZone | undefined {
  const account = env.dns.account;
  if (env.dns.hostedZoneId === undefined || account === undefined || account === env.account) return undefined;
  const role = (suffix: string) => `arn:${partitionOf(env.region).partition}:iam::${account}:role/${platformName}-${env.name}-${suffix}`;
  return { account, roleArn: env.dns.roleArn ?? role("dns"), readRoleArn: env.dns.readRoleArn ?? role("dns-read") };
}

/** The keys of `values` that are set: an unset override never hides the default under it. */
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The app as it runs in one environment. Replicas, most specific first: the app's override for
 * the environment, the environment's, the app's own, the environment profile's.
 */
/** The environment variables Slipway fills from the database (KubernetesWorkload's `database`); apps cannot declare them. */
const RESERVED_VARIABLES = ["DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_SSLMODE", "DATABASE_SSLROOTCERT", "DATABASE_CREDENTIALS_FILE", "DATABASE_USER", "DATABASE_AUTH", "DATABASE_REGION"];

export function appInEnvironment(app: AppConfig, environment: EnvironmentConfig): AppEnvironmentConfig {
  const replicas =
    app.overrides[environment.name]?.replicas ??
    environment.replicas ??
    app.replicas ??
    PROFILE_DEFAULTS[environment.profile].replicas;
  const rollout = resolveRollout(app.overrides[environment.name]?.rollout, environment.rollout);
  return { app, environment, domain: app.domains[environment.name], replicas: { ...replicas }, rollout, alarmThresholds: { ...environment.alarms.thresholds, ...definedOnly(app.alarms) } };
}

// ---------------------------------------------------------------------------------------------
// Rules that span fields. They read the raw document defensively, so they run (and report) even
// when other parts of the file have type errors: every problem is reported at once.

interface LocatedProblem {
  readonly at: PropertyKey[];
  readonly message: string;
}

/** The PostgreSQL majors the PostgresDatabase construct supports (a test keeps the two in step). */
const SUPPORTED_MAJORS = [13, 14, 15, 16, 17] as const;


function crossFieldProblems(raw: unknown): LocatedProblem[] {
  const out: LocatedProblem[] = [];
  if (!isRecord(raw)) return out;
  const envs = Array.isArray(raw.environments) ? raw.environments.filter(isRecord) : [];
  const envNames = envs.map((e) => e.name).filter((n): n is string => typeof n === "string");

  duplicates(raw.apps, "apps", "app", out);
  duplicates(raw.environments, "environments", "environment", out);

  (Array.isArray(raw.environments) ? raw.environments : []).forEach((env: unknown, i: number) => {
    if (!isRecord(env)) return;
    const network = isRecord(env.network) ? env.network : {};
    if (Array.isArray(network.zones) && typeof env.region === "string") {
      const region = env.region;
      const seen = new Set<unknown>();
      network.zones.forEach((zone: unknown, z: number) => {
        if (typeof zone !== "string" || !new RegExp(`^${escapeRegExp(region)}[a-z]$`).test(zone)) {
          out.push({ at: ["environments", i, "network", "zones", z], message: `${printable(zone)} is not a zone of ${region}: expected ${region}a, ${region}b, …` });
        } else if (seen.has(zone)) {
          out.push({ at: ["environments", i, "network", "zones", z], message: `${printable(zone)} is listed twice; each zone once` });
        }
        seen.add(zone);
      });
    }
    rolloutProblems(env.rollout, ["environments", i, "rollout"], out);
    const cluster = isRecord(env.cluster) ? env.cluster : {};
    const nodes = isRecord(cluster.nodes) ? cluster.nodes : undefined;
    if (nodes && typeof nodes.min === "number" && typeof nodes.desired === "number" && typeof nodes.max === "number") {
      if (!(nodes.min <= nodes.desired && nodes.desired <= nodes.max)) {
        out.push({ at: ["environments", i, "cluster", "nodes"], message: `min ${nodes.min}, desired ${nodes.desired}, max ${nodes.max}: expected min <= desired <= max` });
      }
    }
    // The Cluster Autoscaler's minor must match the cluster's: only minors with a pinned release.
    if (typeof cluster.version === "string" && kinds.kubernetesVersion.problem(cluster.version) === undefined && !(cluster.version in CLUSTER_AUTOSCALER_IMAGES)) {
      const pinned = Object.keys(CLUSTER_AUTOSCALER_IMAGES);
      out.push({
        at: ["environments", i, "cluster", "version"],
        message: `Kubernetes ${cluster.version} has no Cluster Autoscaler release pinned in Slipway (nodes would not scale with pending pods): expected one of ${pinned.join(", ")}`,
      });
    }
    // Each CIDR is the schema's; together they must not open the API to everyone.
    if (Array.isArray(cluster.publicAccessCidrs) && cluster.publicAccessCidrs.every((c: unknown) => typeof c === "string" && kinds.publicAccessCidr.problem(c) === undefined)) {
      const problem = kinds.publicAccessCidrList.problem(cluster.publicAccessCidrs);
      if (problem) out.push({ at: ["environments", i, "cluster", "publicAccessCidrs"], message: `they open the cluster API to the whole internet: expected ${problem}` });
    }
    if (Array.isArray(cluster.nodeInstanceTypes)) {
      const types = cluster.nodeInstanceTypes.filter((t: unknown): t is string => typeof t === "string" && kinds.ec2InstanceType.problem(t) === undefined);
      const graviton = types.filter(kinds.isGravitonInstanceType);
      if (graviton.length > 0 && graviton.length < types.length) {
        out.push({
          at: ["environments", i, "cluster", "nodeInstanceTypes"],
          message: `${graviton.join(", ")} ${graviton.length === 1 ? "is" : "are"} Graviton (arm64) but ${types.filter((t) => !kinds.isGravitonInstanceType(t)).join(", ")} x86: a node group takes instance types of one CPU architecture`,
        });
      }
    }
    if (Array.isArray(cluster.adminRoleArns)) {
      cluster.adminRoleArns.forEach((arn: unknown, k: number) => {
        if (cluster.adminRoleArns.indexOf(arn) !== k) out.push({ at: ["environments", i, "cluster", "adminRoleArns", k], message: `${printable(arn)} is listed twice; each role once` });
      });
    }
    // Terraform's provider refuses (allowed_account_ids) a role of another account; a typo here would point production at a stranger's account.
    if (typeof env.assumeRoleArn === "string" && typeof env.account === "string") {
      const roleAccount = kinds.accountOfRoleArn(env.assumeRoleArn);
      if (roleAccount !== undefined && roleAccount !== env.account) {
        out.push({ at: ["environments", i, "assumeRoleArn"], message: `the role is in account ${roleAccount}, not the environment's ${env.account}: expected a role of account ${env.account}` });
      }
    }
    dnsProblems(env, i, out);
    const database = isRecord(env.database) ? env.database : {};
    // What the PostgresDatabase construct accepts, checked here so the message names the file and path.
    if (typeof database.instanceClass === "string" && /^db\.[a-z0-9]+\.[a-z0-9]+$/.test(database.instanceClass)) {
      const [, family, size] = database.instanceClass.split(".");
      const sizes = POSTGRES_INSTANCE_CLASSES[family];
      if (!sizes || !sizes.includes(size)) {
        out.push({
          at: ["environments", i, "database", "instanceClass"],
          message: sizes
            ? `${printable(database.instanceClass)}: db.${family} comes in ${sizes.join(", ")}`
            : `${printable(database.instanceClass)} is not a class RDS for PostgreSQL offers: expected db.<family>.<size> with a family among ${Object.keys(POSTGRES_INSTANCE_CLASSES).join(", ")}`,
        });
      }
    }
    if (typeof database.engineVersion === "string" && /^\d{2}(\.\d+)?$/.test(database.engineVersion)) {
      const major = Number(database.engineVersion.split(".")[0]);
      if (!(SUPPORTED_MAJORS as readonly number[]).includes(major)) {
        out.push({ at: ["environments", i, "database", "engineVersion"], message: `PostgreSQL ${major} is not supported: expected a major among ${SUPPORTED_MAJORS.join(", ")}` });
      }
    }
    // Against the storage in force: the file's, or the profile's default.
    const envProfile: Profile = env.profile === "production" || env.profile === "development" ? env.profile : typeof env.name === "string" ? defaultProfile(env.name) : "development";
    const storage = typeof database.storageGiB === "number" ? database.storageGiB : PROFILE_DEFAULTS[envProfile].environment.database.storageGiB;
    if (typeof database.maxStorageGiB === "number" && database.maxStorageGiB < storage) {
      out.push({
        at: ["environments", i, "database", "maxStorageGiB"],
        message: `${database.maxStorageGiB} is below storageGiB ${storage}${typeof database.storageGiB === "number" ? "" : ` (the ${envProfile} profile's default)`}: the autoscaling ceiling must be at least the allocated storage`,
      });
    }
    replicasProblem(env.replicas, ["environments", i, "replicas"], out);
    const approval = isRecord(env.approval) ? env.approval : {};
    const reviewers = isRecord(approval.reviewers) ? approval.reviewers : {};
    const reviewerCount = (Array.isArray(reviewers.users) ? reviewers.users.length : 0) + (Array.isArray(reviewers.teams) ? reviewers.teams.length : 0);
    if (reviewerCount > kinds.MAX_ENVIRONMENT_REVIEWERS) {
      out.push({ at: ["environments", i, "approval", "reviewers"], message: `${reviewerCount} users and teams: GitHub takes at most ${kinds.MAX_ENVIRONMENT_REVIEWERS} reviewers per environment; name a team instead of its members` });
    }
    // GitHub logins and slugs ignore case; a team is the same team by its slug or by its id.
    const users: unknown[] = Array.isArray(reviewers.users) ? reviewers.users : [];
    const logins = users.map((n) => (typeof n === "string" ? n.toLowerCase() : n));
    logins.forEach((n, k) => {
      if (logins.indexOf(n) !== k) out.push({ at: ["environments", i, "approval", "reviewers", "users", k], message: `${printable(users[k])} is listed twice; each reviewer once` });
    });
    const teams: unknown[] = Array.isArray(reviewers.teams) ? reviewers.teams : [];
    const slugs = teams.map((t) => (isRecord(t) && typeof t.slug === "string" ? t.slug.toLowerCase() : undefined));
    const ids = teams.map((t) => (isRecord(t) && typeof t.id === "number" ? t.id : undefined));
    teams.forEach((_, k) => {
      const at = ["environments", i, "approval", "reviewers", "teams", k];
      if (slugs[k] !== undefined && slugs.indexOf(slugs[k]) !== k) out.push({ at, message: `team ${printable(slugs[k])} is listed twice; each reviewer once` });
      else if (ids[k] !== undefined && ids.indexOf(ids[k]) !== k) out.push({ at, message: `team id ${ids[k]} is also teams[${ids.indexOf(ids[k])}]: one team, one id` });
    });
    const profile = env.profile ?? (typeof env.name === "string" ? defaultProfile(env.name) : "development");
    const required = typeof approval.required === "boolean" ? approval.required : profile === "production";
    const protection = isRecord(env.protection) ? env.protection : {};
    const copy = isRecord(database.backupCopy) ? database.backupCopy : undefined;
    const copyEnabled = copy?.enabled ?? (copy !== undefined || profile === "production");
    if (profile === "production" && typeof protection.overrideReason !== "string" && copy?.enabled === false) {
      out.push({ at: ["environments", i, "database", "backupCopy", "enabled"], message: 'turning backup copies off in a production environment needs a reason: add protection.overrideReason ("why, and until when"), or remove enabled: false' });
    }
    if (copyEnabled && copy?.region === undefined && typeof env.region === "string" && DEFAULT_BACKUP_COPY_REGION[env.region] === undefined) {
      out.push({
        at: ["environments", i, "database", ...(copy ? ["backupCopy"] : [])],
        message: `${profile === "production" ? "a production database's backups are copied to a second region, and " : "backups are copied to a second region, and "}${printable(env.region)} has no default partner in the same jurisdiction: add database.backupCopy.region${profile === "production" ? ", or backupCopy.enabled: false with a protection.overrideReason" : ""}`,
      });
    }
    if (isRecord(database.backupCopy) && database.backupCopy.region === env.region) {
      out.push({ at: ["environments", i, "database", "backupCopy", "region"], message: `${printable(database.backupCopy.region)} is the environment's own region: the copy must survive a regional outage, so name another region` });
    }
    if (profile === "production" && typeof protection.overrideReason !== "string") {
      for (const key of ["deletionProtection", "multiAz"]) {
        if (protection[key] === false) {
          out.push({
            at: ["environments", i, "protection", key],
            message: `turning ${key} off in a production environment needs a reason: add protection.overrideReason ("why, and until when"), or remove ${key}: false`,
          });
        }
      }
    }
    suppressionProblems(env.suppressions, ["environments", i, "suppressions"], out);
    if (required && reviewerCount === 0) {
      out.push({
        at: ["environments", i, ...(isRecord(env.approval) ? ["approval"] : [])],
        message: `deploys to ${printable(env.name)} need approval${approval.required === undefined ? ` (the ${profile} profile's default)` : ""} but no reviewers are named: list approval.reviewers.users or .teams, or set approval.required: false`,
      });
    }
  });

  // Environments in one account and region share nothing by default, but overlapping VPCs there
  // rule out peering or a transit gateway later: keep them apart.
  envs.forEach((a, i) => {
    envs.slice(i + 1).forEach((b) => {
      const ca = isRecord(a.network) ? a.network.cidr : undefined;
      const cb = isRecord(b.network) ? b.network.cidr : undefined;
      if (typeof ca === "string" && typeof cb === "string" && a.account === b.account && parseCidr(ca) && parseCidr(cb) && cidrsOverlap(ca, cb)) {
        const j = envs.indexOf(b);
        out.push({ at: ["environments", j, "network", "cidr"], message: `${cb} overlaps ${ca} of environment ${printable(a.name)} in the same account ${String(a.account)}: choose a CIDR that does not overlap` });
      }
    });
  });

  const nodePorts = new Map<number, string>();
  (Array.isArray(raw.apps) ? raw.apps : []).forEach((app: unknown, i: number) => {
    if (!isRecord(app) || typeof app.name !== "string") return;
    const port = typeof app.nodePort === "number" ? app.nodePort : defaultNodePort(app.name);
    const other = nodePorts.get(port);
    if (other !== undefined && other !== app.name) {
      out.push({ at: ["apps", i, ...(typeof app.nodePort === "number" ? ["nodePort"] : [])], message: `node port ${port} is also ${printable(other)}'s: set a distinct nodePort (30000-32767) on one of them` });
    }
    nodePorts.set(port, app.name);
  });
  // A pinned canary port must be free; derived canary and preview-router ports step past taken ones (appNodePorts).
  const canaryPinned = new Set<string>();
  (Array.isArray(raw.apps) ? raw.apps : []).forEach((app: unknown, i: number) => {
    // A name given twice is reported once, as a duplicate.
    if (!isRecord(app) || typeof app.name !== "string" || typeof app.canaryNodePort !== "number" || canaryPinned.has(app.name)) return;
    canaryPinned.add(app.name);
    const other = nodePorts.get(app.canaryNodePort);
    if (other !== undefined) out.push({ at: ["apps", i, "canaryNodePort"], message: `canary node port ${app.canaryNodePort} is also ${printable(other)}'s: set a distinct canaryNodePort (30000-32767)` });
    nodePorts.set(app.canaryNodePort, `${app.name} (canary)`);
  });

  const domainsSeen = new Map<string, string>();
  (Array.isArray(raw.apps) ? raw.apps : []).forEach((app: unknown, i: number) => {
    if (!isRecord(app)) return;
    appNameProblems(app.name, ["apps", i, "name"], out);
    replicasProblem(app.replicas, ["apps", i, "replicas"], out);
    suppressionProblems(app.suppressions, ["apps", i, "suppressions"], out);
    if (isRecord(app.domains)) {
      for (const [envName, domain] of Object.entries(app.domains)) {
        if (envNames.length > 0 && !envNames.includes(envName)) {
          out.push({ at: ["apps", i, "domains", envName], message: `names no declared environment${suggest(envName, envNames)}; declared: ${envNames.join(", ")}` });
        } else if (typeof domain !== "string" || kinds.certificateDomainName.problem(domain) !== undefined) {
          out.push({ at: ["apps", i, "domains", envName], message: `${printable(domain)} is not valid: expected ${kinds.certificateDomainName.accepted}` });
        } else if (domainsSeen.has(domain)) {
          const first = domainsSeen.get(domain)!;
          out.push({ at: ["apps", i, "domains", envName], message: `${printable(domain)} is also ${first}'s domain: each app and environment needs its own (one certificate and distribution each)` });
        } else {
          domainsSeen.set(domain, `apps[${i}].domains.${envName}`);
        }
      }
      for (const envName of envNames) {
        if (!(envName in app.domains)) {
          out.push({ at: ["apps", i, "domains"], message: `no domain for environment ${printable(envName)}: every environment needs one` });
        }
      }
    }
    if (isRecord(app.overrides)) {
      for (const [envName, override] of Object.entries(app.overrides)) {
        if (envNames.length > 0 && !envNames.includes(envName)) {
          out.push({ at: ["apps", i, "overrides", envName], message: `names no declared environment${suggest(envName, envNames)}; declared: ${envNames.join(", ")}` });
        } else if (isRecord(override)) {
          replicasProblem(override.replicas, ["apps", i, "overrides", envName, "replicas"], out);
          rolloutProblems(override.rollout, ["apps", i, "overrides", envName, "rollout"], out);
        }
      }
    }
    if (Array.isArray(app.secrets) && isRecord(app.env)) {
      const plain = app.env;
      const seen = new Set<unknown>();
      app.secrets.forEach((s: unknown, k: number) => {
        if (typeof s === "string" && s in plain) {
          out.push({ at: ["apps", i, "secrets", k], message: `${s} is also a plain variable in env: name it in one place only` });
        }
        if (seen.has(s)) out.push({ at: ["apps", i, "secrets", k], message: `${s} is listed twice: name each secret once` });
        seen.add(s);
      });
    }
    // A migration runs against the app's database: without one it has nothing to migrate.
    if (app.database === "none" && app.migrate !== undefined) {
      out.push({ at: ["apps", i, "migrate"], message: `a migration needs a database, but database is none: remove migrate, or set database: postgres` });
    }
    // Slipway sets the DATABASE_ variables itself, from the environment's database (none without one).
    if (app.database !== "none") for (const [key, names] of [["secrets", Array.isArray(app.secrets) ? app.secrets : []], ["env", isRecord(app.env) ? Object.keys(app.env) : []]] as const) {
      names.forEach((s: unknown, k: number) => {
        // A secret is also `<NAME>_FILE` (its mounted file's path): DATABASE_CREDENTIALS would shadow DATABASE_CREDENTIALS_FILE.
        if (typeof s !== "string") return;
        const at = ["apps", i, key, ...(key === "secrets" ? [k] : [s])];
        if (RESERVED_VARIABLES.includes(s)) {
          out.push({ at, message: `${s} is set by Slipway from the environment's Postgres database: choose another name` });
        } else if (key === "secrets" && RESERVED_VARIABLES.includes(`${s}_FILE`)) {
          out.push({ at, message: `${s}_FILE (this secret's file path) is set by Slipway from the environment's Postgres database: choose another name` });
        }
      });
    }
  });
  previewProblems(raw, envs, out);
  backendProblems(raw, envs, out);
  return out;
}

/**
 * Previews: the host is a declared environment whose profile may host them (never production),
 * one exists when previews are on, preview secrets are named once and not as plain variables,
 * and no environment takes the name preview secrets use.
 */
function previewProblems(raw: Record<string, any>, envs: Record<string, any>[], out: LocatedProblem[]): void {
  const envNames = envs.map((e) => e.name).filter((n): n is string => typeof n === "string");
  const profileOf = (e: Record<string, any>): Profile => (e.profile === "production" || e.profile === "development" ? e.profile : typeof e.name === "string" ? defaultProfile(e.name) : "development");
  const hosts = envs.filter((e) => typeof e.name === "string" && PROFILE_DEFAULTS[profileOf(e)].hostsPreviews).map((e) => e.name as string);
  const platformPreviews = isRecord(raw.previews) ? raw.previews : {};
  const check = (previews: Record<string, any>, at: PropertyKey[]) => {
    const environment = previews.environment;
    if (typeof environment !== "string" || envNames.length === 0) return;
    const env = envs.find((e) => e.name === environment);
    if (env === undefined) {
      out.push({ at: [...at, "environment"], message: `names no declared environment${suggest(environment, envNames)}; previews can be hosted by: ${hosts.join(", ") || "none (no development-profile environment)"}` });
    } else if (!PROFILE_DEFAULTS[profileOf(env)].hostsPreviews) {
      out.push({ at: [...at, "environment"], message: `${printable(environment)} has the ${profileOf(env)} profile: previews run unreviewed code and never share a production environment; expected one of: ${hosts.join(", ") || "none (declare a development-profile environment)"}` });
    }
  };
  if (isRecord(raw.previews)) check(raw.previews, ["previews"]);
  (Array.isArray(raw.apps) ? raw.apps : []).forEach((app: unknown, i: number) => {
    if (!isRecord(app)) return;
    const own = isRecord(app.previews) ? app.previews : {};
    if (isRecord(app.previews)) check(app.previews, ["apps", i, "previews"]);
    const enabled = own.enabled ?? platformPreviews.enabled;
    const environment = own.environment ?? platformPreviews.environment;
    if (enabled === true && environment === undefined && hosts.length === 0 && envNames.length > 0) {
      out.push({ at: ["apps", i, "previews", ...(own.enabled === true ? ["enabled"] : [])], message: `previews are on, but no environment can host them (every one has the production profile): declare a development-profile environment, or set enabled: false` });
    }
    if (Array.isArray(own.secrets)) {
      const plain = isRecord(app.env) ? app.env : {};
      const seen = new Set<unknown>();
      own.secrets.forEach((s: unknown, k: number) => {
        if (typeof s !== "string") return;
        if (seen.has(s)) out.push({ at: ["apps", i, "previews", "secrets", k], message: `${s} is listed twice: name each secret once` });
        else if (s in plain) out.push({ at: ["apps", i, "previews", "secrets", k], message: `${s} is also a plain variable in env: name it in one place only` });
        else if (RESERVED_VARIABLES.includes(s)) out.push({ at: ["apps", i, "previews", "secrets", k], message: `${s} is set by Slipway from the preview's own database: choose another name` });
        seen.add(s);
      });
    }
  });
  envs.forEach((e, j) => {
    if (e.name === PREVIEW_SECRETS_ENVIRONMENT) {
      out.push({ at: ["environments", j, "name"], message: `${PREVIEW_SECRETS_ENVIRONMENT} is the name preview secrets take in Secrets Manager (<platform>/<app>/preview/<NAME>) and the app repository's preview environment: choose another environment name` });
    }
  });
}

/**
 * An app name that is a valid DNS label but that a name built from it cannot take: the database
 * (`<app>` with '_'), the namespace (`<app>`) and the assets bucket (`<app>-<env>-...`).
 */
function appNameProblems(name: unknown, at: PropertyKey[], out: LocatedProblem[]): void {
  if (typeof name !== "string") return;
  if (RESERVED_APP_NAMES.includes(name.replace(/-/g, "_"))) {
    out.push({ at, message: `${printable(name)} is the name of a database RDS for PostgreSQL keeps for itself (${RESERVED_APP_NAMES.join(", ")}): choose another app name` });
  }
  if (name === "default" || name.startsWith("kube-")) {
    out.push({ at, message: `${printable(name)} would be a Kubernetes system namespace (default, kube-*): choose another app name` });
  }
  if (name.startsWith("xn--") || name.startsWith("sthree-")) {
    out.push({ at, message: `${printable(name)} starts S3 bucket names with a prefix S3 refuses (xn--, sthree-): choose another app name` });
  }
}

/** Database names RDS for PostgreSQL keeps (an app's database is named after it). */
const RESERVED_APP_NAMES = ["postgres", "template0", "template1", "rdsadmin"];

/** The stacks' names, as the stacks name them: each is a state file key or an HCP Terraform workspace. */
function stackNames(raw: Record<string, any>, envs: Record<string, any>[]): string[] {
  const apps = (Array.isArray(raw.apps) ? raw.apps : []).filter(isRecord).map((a) => a.name).filter((n): n is string => typeof n === "string");
  const envNames = envs.map((e) => e.name).filter((n): n is string => typeof n === "string");
  const accounts = [...new Set(envs.map((e) => e.account).filter((a): a is string => typeof a === "string"))];
  return [
    ...accounts.map((a) => `bootstrap-${a}`),
    ...envNames.flatMap((e) => [`platform-${e}`, `kube-system-${e}`]),
    ...apps.flatMap((a) => [`${a}-delivery`, ...envNames.map((e) => `${a}-${e}`)]),
  ];
}

/** Names the backend would refuse: HCP Terraform workspace names, S3 keys. */
function backendProblems(raw: Record<string, any>, envs: Record<string, any>[], out: LocatedProblem[]): void {
  const backend = isRecord(raw.backend) ? raw.backend : undefined;
  if (!backend) return;
  const names = stackNames(raw, envs);
  const longest = names.reduce((a, b) => (b.length > a.length ? b : a), "");
  if (backend.type === "remote" && typeof backend.workspacePrefix === "string" && longest !== "") {
    const name = `${backend.workspacePrefix}${longest}`;
    if (kinds.hcpWorkspaceName.problem(name) === undefined) return;
    if (name.length > kinds.MAX_WORKSPACE_NAME_LENGTH) {
      out.push({
        at: ["backend", "workspacePrefix"],
        message: `the workspace of stack ${longest} would be ${name.length} characters (${printable(name)}): expected ${kinds.hcpWorkspaceName.accepted}; shorten the prefix to at most ${kinds.MAX_WORKSPACE_NAME_LENGTH - longest.length} characters`,
      });
    }
  }
  if (backend.type === "s3" && typeof backend.keyPrefix === "string" && longest !== "") {
    // S3 keys are at most 1024 bytes.
    const key = `${backend.keyPrefix.replace(/\/+$/, "")}/${longest}.tfstate`;
    if (Buffer.byteLength(key) > 1024) {
      out.push({ at: ["backend", "keyPrefix"], message: `the state key of stack ${longest} would be ${Buffer.byteLength(key)} bytes: S3 keys are at most 1024; shorten the prefix` });
    }
  }
}

/**
 * `dns.account`, `roleArn` and `readRoleArn` only with a zone; the roles only for a zone in another
 * account (the environment's own zone is reached with the job's credentials), and in that account.
 */
function dnsProblems(env: Record<string, any>, i: number, out: LocatedProblem[]): void {
  const dns = isRecord(env.dns) ? env.dns : {};
  const crossAccount = typeof dns.account === "string" && dns.account !== env.account;
  for (const key of ["account", "roleArn", "readRoleArn"]) {
    if (dns[key] === undefined) continue;
    if (dns.hostedZoneId === undefined) {
      out.push({ at: ["environments", i, "dns", key], message: `dns.${key} needs dns.hostedZoneId: name the zone the records go to, or remove ${key}` });
    } else if (key !== "account" && !crossAccount) {
      out.push({ at: ["environments", i, "dns", key], message: `dns.${key} is only for a zone in another account (dns.account other than the environment's ${String(env.account)}): the environment's own zone needs no role; remove ${key}` });
    } else if (key !== "account" && typeof dns[key] === "string") {
      const roleAccount = kinds.accountOfRoleArn(dns[key]);
      if (roleAccount !== undefined && roleAccount !== dns.account) {
        out.push({ at: ["environments", i, "dns", key], message: `the role is in account ${roleAccount}, not the zone's ${String(dns.account)}: expected a role of account ${String(dns.account)}` });
      }
    }
  }
}

/** Suppressions must name a rule Slipway has. */
function suppressionProblems(value: unknown, at: PropertyKey[], out: LocatedProblem[]): void {
  if (!Array.isArray(value)) return;
  const ids = ALL_RULES.map((r) => r.id);
  value.forEach((s: unknown, k: number) => {
    if (isRecord(s) && typeof s.rule === "string" && /^SLW-[A-Z0-9]+-\d{3}$/.test(s.rule) && !ids.includes(s.rule)) {
      out.push({ at: [...at, k, "rule"], message: `no policy rule ${printable(s.rule)}${suggest(s.rule, ids)}; the rules are listed in docs/policy-rules.md` });
    }
  });
}

/** Canary steps only with strategy canary, each step's weight above the one before. */
function rolloutProblems(value: unknown, at: PropertyKey[], out: LocatedProblem[]): void {
  if (!isRecord(value) || !Array.isArray(value.steps)) return;
  if (value.strategy === "all-at-once") {
    out.push({ at: [...at, "steps"], message: "steps need strategy: canary (all-at-once has no steps): remove steps, or set strategy: canary" });
    return;
  }
  value.steps.forEach((step: unknown, k: number) => {
    const before = k > 0 && isRecord(value.steps[k - 1]) ? value.steps[k - 1].weight : undefined;
    if (isRecord(step) && typeof step.weight === "number" && typeof before === "number" && step.weight <= before) {
      out.push({ at: [...at, "steps", k, "weight"], message: `weight ${step.weight} is not above the step before (${before}): each step's weight must be strictly greater, from 1 to 99` });
    }
  });
}

function replicasProblem(value: unknown, at: PropertyKey[], out: LocatedProblem[]): void {
  if (isRecord(value) && typeof value.min === "number" && typeof value.max === "number" && value.min > value.max) {
    out.push({ at, message: `min ${value.min} is above max ${value.max}: expected min <= max` });
  }
}

function duplicates(list: unknown, key: string, what: string, out: LocatedProblem[]): void {
  if (!Array.isArray(list)) return;
  const first = new Map<unknown, number>();
  list.forEach((item: unknown, i: number) => {
    if (!isRecord(item) || typeof item.name !== "string") return;
    if (first.has(item.name)) {
      out.push({ at: [key, i, "name"], message: `${what} name ${printable(item.name)} is used twice (also ${key}[${first.get(item.name)}]): names must be unique` });
    } else {
      first.set(item.name, i);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Turning schema issues into messages a person can act on.

type Issue = z.core.$ZodIssue;

function locateIssue(issue: Issue, locate: (p: readonly PropertyKey[]) => { line?: number; column?: number }) {
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    // Point at the misspelt key itself.
    const at = locate([...issue.path, issue.keys[0]]);
    if (at.line) return at;
  }
  for (let n = issue.path.length; n >= 0; n--) {
    const at = locate(issue.path.slice(0, n));
    if (at.line) return at;
  }
  return {};
}

/** The shared validators say what is valid as "a ..."; a message that says more is kept as it is. */
function expected(message: string): string {
  return /^an? /.test(message) && !/ must /.test(message) ? `expected ${message}` : message;
}

function describeIssue(issue: Issue, raw: unknown): string {
  const key = issue.path[issue.path.length - 1];
  const value = valueAt(raw, issue.path);
  const received = (v: unknown) => receivedValue(v, key);
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return `is required (expected ${issue.expected})`;
      if (isTeamReviewer(issue.path)) {
        // A bare slug is the old form: say what to write, with the command that prints the id.
        const owner = isRecord(raw) && isRecord(raw.github) && typeof raw.github.owner === "string" ? raw.github.owner : undefined;
        return `received ${received(value)}; ${kinds.githubTeamReviewer(owner).problem(value)}`;
      }
      return `expected ${issue.expected}, received ${received(value)}`;
    case "unrecognized_keys": {
      const valid = validKeys(issue.path);
      return issue.keys
        .map((k) => `unknown key ${printable(k)}${suggest(k, valid)}; valid keys here: ${valid.join(", ")}`)
        .join("; ");
    }
    case "invalid_key": {
      // A record key (e.g. an env variable name): say what is wrong with the key, not its value.
      const key = issue.path[issue.path.length - 1];
      return `key ${printable(String(key))} is not valid: ${issue.issues.map((i) => expected(i.message)).join("; ")}`;
    }
    case "invalid_union":
      // The only union is the backend, told apart by its `type`.
      return `received ${received(value)}; expected one of: local, s3, remote`;
    case "invalid_value":
      return `received ${received(value)}; expected one of: ${issue.values.map((v) => printable(v)).join(", ")}`;
    case "too_big":
    case "too_small": {
      const bound = issue.code === "too_big" ? issue.maximum : issue.minimum;
      const op = issue.code === "too_big" ? (issue.inclusive ? "at most" : "below") : issue.inclusive ? "at least" : "above";
      if (issue.origin === "array") return `has ${Array.isArray(value) ? value.length : "?"} items; expected ${op} ${bound}`;
      if (issue.origin === "string") return `received ${received(value)}; expected ${op} ${bound} characters`;
      // A shared validator's bound says why; zod's own message ("Too small: ...") does not.
      if (!/^Too (small|big)/.test(issue.message)) return `received ${received(value)}; expected ${op} ${bound} (${issue.message})`;
      return `received ${received(value)}; expected ${op} ${bound}`;
    }
    default:
      return `received ${received(value)}; ${expected(issue.message)}`;
  }
}

/** `environments[i].approval.reviewers.teams[k]` */
function isTeamReviewer(path: readonly PropertyKey[]): boolean {
  return path.length === 6 && path[0] === "environments" && path.slice(2, 5).join(".") === "approval.reviewers.teams" && typeof path[5] === "number";
}

function validKeys(path: readonly PropertyKey[]): string[] {
  let schema: unknown = platformSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def ?? {};
    if (typeof segment === "number" && def.type === "array") schema = def.element;
    else if (def.type === "object") schema = (def.shape as Record<string, unknown>)[String(segment)];
    else if (def.type === "record") schema = def.valueType;
    else return [];
  }
  const def = (unwrap(schema) as { _zod?: { def?: { type?: string; shape?: object } } })._zod?.def;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { _zod?: { def?: { type?: string; innerType?: unknown } } } | undefined;
  while (s?._zod?.def && ["optional", "default", "nullable", "prefault"].includes(s._zod.def.type ?? "")) {
    s = s._zod.def.innerType as typeof s;
  }
  return s;
}

/** ` (did you mean "x"?)` when a candidate is within a small edit distance. */
export function suggest(word: string, candidates: readonly string[]): string {
  const best = closest(word, candidates);
  return best !== undefined ? ` (did you mean ${printable(best)}?)` : "";
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const segment of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[segment];
  }
  return v;
}

/** The value received, for a message: safe to print, and redacted under a key that looks like a secret's. */
function receivedValue(value: unknown, key?: PropertyKey): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list (${printable(value, key)})`;
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${printable(value, key)}`;
}

/** `apps[0].port` from `["apps", 0, "port"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), "");
}

function dedupe(problems: PlatformProblem[]): PlatformProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function byPosition(a: PlatformProblem, b: PlatformProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
