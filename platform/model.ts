/**
 * Loads a platform file into the validated model every stack is built from: YAML parsed, shapes
 * checked by the schema, rules that span fields checked, and every default resolved per
 * environment. Bad input throws one {@link PlatformFileError} listing every problem, each with the
 * file, line, path, the value received and what is valid; nothing is written.
 */
import * as fs from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { ciRunnerProjectName, codebuildRunnerLabel } from "../constructs/ci-runners";
import { POSTGRES_INSTANCE_CLASSES } from "../constructs/postgres-database";
import { cidrsOverlap, parseCidr } from "../constructs/util";
import { ALL_RULES } from "../policy";
import { literalProblems } from "./literal";
import {
  BackendConfig,
  ParsedApp,
  ParsedEnvironment,
  ParsedPlatform,
  platformSchema,
} from "./schema";

export type Profile = "development" | "production";

export interface Replicas {
  readonly min: number;
  readonly max: number;
}

/** An environment with every default resolved from its profile. */
export interface EnvironmentConfig {
  readonly name: string;
  readonly profile: Profile;
  readonly production: boolean;
  readonly account: string;
  readonly region: string;
  readonly assumeRoleArn?: string;
  readonly network: { readonly cidr: string; readonly zones: string[]; readonly natGateways: "one" | "per-zone" };
  readonly cluster: {
    readonly version: string;
    readonly nodeInstanceTypes: string[];
    readonly nodes: { readonly min: number; readonly desired: number; readonly max: number };
    readonly publicAccessCidrs: string[];
    readonly adminRoleArns: string[];
  };
  readonly database: {
    readonly instanceClass: string;
    readonly storageGiB: number;
    readonly maxStorageGiB: number;
    readonly engineVersion: string;
  };
  /** Replicas for every app here, unless an app overrides them. */
  readonly replicas?: Replicas;
  readonly approval: { readonly required: boolean; readonly reviewers: { readonly users: string[]; readonly teams: string[] } };
  /** `overrideReason`: why a production environment turns either off (required then). */
  readonly protection: { readonly deletionProtection: boolean; readonly multiAz: boolean; readonly overrideReason?: string };
  /** Runner labels of the deploy jobs. */
  readonly deploy: { readonly runsOn: string[] };
  readonly dns: { readonly hostedZoneId?: string };
  readonly loadBalancer: { readonly allowFrom: "cdn" | "internet" };
  readonly cdn: { readonly priceClass: "PriceClass_100" | "PriceClass_200" | "PriceClass_All"; readonly webAclArn?: string };
  /** Accepted policy findings for this environment's stacks; paths are relative to each stack. */
  readonly suppressions: PolicySuppression[];
}

/** An accepted policy finding, as the platform file states it. */
export interface PolicySuppression {
  readonly rule: string;
  /** Construct path inside the stack; undefined for the whole stack. */
  readonly path?: string;
  readonly reason: string;
}

export interface AppConfig {
  readonly name: string;
  readonly port: number;
  readonly healthPath: string;
  readonly cpu: string;
  readonly memory: string;
  readonly env: Record<string, string>;
  readonly secrets: string[];
  readonly testCommand: string;
  readonly migrateCommand?: string;
  /** `integrationTest`: run in the deployed image against the environment's URL after each rollout. */
  readonly integrationTestCommand?: string;
  readonly replicas?: Replicas;
  readonly domains: Record<string, string>;
  readonly overrides: Record<string, { readonly replicas?: Replicas }>;
  /** The NodePort the load balancer targets: set, or derived from the name. */
  readonly nodePort: number;
  readonly staticPath: string;
  readonly egress: { readonly cidr: string; readonly port: number; readonly protocol: "TCP" | "UDP" }[];
  /** Accepted policy findings for this app's stacks; paths are relative to each stack. */
  readonly suppressions: PolicySuppression[];
}

/** One app in one environment, with the sizing that applies there. */
export interface AppEnvironmentConfig {
  readonly app: AppConfig;
  readonly environment: EnvironmentConfig;
  readonly domain: string;
  readonly replicas: Replicas;
}

export interface PlatformConfig {
  /** The platform file this was read from, as given (relative paths stay relative). */
  readonly file: string;
  readonly name: string;
  readonly github: { readonly owner: string; readonly appId?: number; readonly defaultBranch: string; readonly secretScanning: "secret-protection" | "advanced-security" | "off" };
  readonly backend: BackendConfig;
  readonly apps: AppConfig[];
  /** In promotion order. */
  readonly environments: EnvironmentConfig[];
}

/** The defaults each profile brings; every value can be set in the platform file. */
export const PROFILE_DEFAULTS = {
  development: {
    natGateways: "one",
    kubernetesVersion: "1.33",
    nodeInstanceTypes: ["t3.medium"],
    nodes: { min: 1, desired: 2, max: 3 },
    database: { instanceClass: "db.t4g.micro", storageGiB: 20, maxStorageGiB: 100 },
    replicas: { min: 1, max: 2 },
    priceClass: "PriceClass_100",
    approvalRequired: false,
    deletionProtection: false,
    multiAz: false,
  },
  production: {
    natGateways: "per-zone",
    kubernetesVersion: "1.33",
    nodeInstanceTypes: ["m6i.large"],
    nodes: { min: 2, desired: 3, max: 6 },
    database: { instanceClass: "db.m6g.large", storageGiB: 100, maxStorageGiB: 1000 },
    replicas: { min: 3, max: 10 },
    priceClass: "PriceClass_All",
    approvalRequired: true,
    deletionProtection: true,
    multiAz: true,
  },
} as const;

/**
 * The pinned major: RDS applies minor upgrades itself (auto minor version upgrade), and a pinned
 * minor would make Terraform plan a downgrade after each one.
 */
export const DEFAULT_POSTGRES_VERSION = "16";

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
    const lines = problems.map((p) => {
      const where = p.line ? `${file}:${p.line}:${p.column}` : file;
      return `  ${where}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
    });
    super(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the platform file:\n${lines.join("\n")}`);
    this.name = "PlatformFileError";
  }
}

/** Reads, validates and resolves a platform file. Throws {@link PlatformFileError} on bad input. */
export function loadPlatformFile(file: string): PlatformConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : String(error);
    throw new PlatformFileError(file, [
      { path: "", message: `cannot read the platform file (${why}); pass an existing YAML file with --platform or SLIPWAY_PLATFORM_FILE` },
    ]);
  }
  return parsePlatform(text, file);
}

/** Validates and resolves platform-file text; `file` names it in errors. */
export function parsePlatform(text: string, file: string): PlatformConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PlatformFileError(
      file,
      doc.errors.map((e) => {
        const pos = e.pos ? lineCounter.linePos(e.pos[0]) : undefined;
        return { path: "", line: pos?.line, column: pos?.col, message: `YAML syntax error: ${e.message.split("\n")[0]}` };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new PlatformFileError(file, [
      { path: "", message: "the file is empty; it needs at least github.owner, apps and environments (see platform.yaml)" },
    ]);
  }
  const locate = (path: readonly PropertyKey[]) => {
    const node = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true);
    const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
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

function resolve(parsed: ParsedPlatform, file: string): PlatformConfig {
  return {
    file,
    name: parsed.name,
    github: parsed.github,
    backend: parsed.backend,
    apps: parsed.apps.map(resolveApp),
    environments: parsed.environments.map((env) => resolveEnvironment(env, parsed.name)),
  };
}

function resolveApp(app: ParsedApp): AppConfig {
  return {
    name: app.name,
    port: app.port,
    healthPath: app.healthPath,
    cpu: app.cpu,
    memory: app.memory,
    env: app.env,
    secrets: app.secrets,
    testCommand: app.test,
    migrateCommand: app.migrate,
    integrationTestCommand: app.integrationTest,
    replicas: app.replicas,
    domains: app.domains,
    overrides: app.overrides,
    nodePort: app.nodePort ?? defaultNodePort(app.name),
    staticPath: app.staticPath,
    egress: app.egress,
    suppressions: app.suppressions,
  };
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

/** The profile an environment gets when its file does not name one. */
export function defaultProfile(name: string): Profile {
  return name === "prod" || name === "production" ? "production" : "development";
}

function resolveEnvironment(env: ParsedEnvironment, platformName: string): EnvironmentConfig {
  const profile = env.profile ?? defaultProfile(env.name);
  const d = PROFILE_DEFAULTS[profile];
  const reviewers = env.approval.reviewers;
  return {
    name: env.name,
    profile,
    production: profile === "production",
    account: env.account,
    region: env.region,
    assumeRoleArn: env.assumeRoleArn,
    network: { cidr: env.network.cidr, zones: env.network.zones, natGateways: env.network.natGateways ?? d.natGateways },
    cluster: {
      version: env.cluster.version ?? d.kubernetesVersion,
      nodeInstanceTypes: env.cluster.nodeInstanceTypes ?? [...d.nodeInstanceTypes],
      nodes: env.cluster.nodes ?? { ...d.nodes },
      publicAccessCidrs: env.cluster.publicAccessCidrs ?? [],
      adminRoleArns: env.cluster.adminRoleArns ?? [],
    },
    database: {
      instanceClass: env.database.instanceClass ?? d.database.instanceClass,
      storageGiB: env.database.storageGiB ?? d.database.storageGiB,
      maxStorageGiB: env.database.maxStorageGiB ?? Math.max(d.database.maxStorageGiB, env.database.storageGiB ?? 0),
      engineVersion: env.database.engineVersion ?? DEFAULT_POSTGRES_VERSION,
    },
    replicas: env.replicas,
    approval: { required: env.approval.required ?? d.approvalRequired, reviewers: { users: reviewers.users, teams: reviewers.teams } },
    protection: {
      deletionProtection: env.protection.deletionProtection ?? d.deletionProtection,
      multiAz: env.protection.multiAz ?? d.multiAz,
      overrideReason: env.protection.overrideReason,
    },
    // The environment's CodeBuild deploy runner inside the VPC reaches the private API endpoint; see README "Reaching the cluster".
    deploy: { runsOn: env.deploy.runsOn ?? [codebuildRunnerLabel(ciRunnerProjectName(`${platformName}-${env.name}`, "deploy"))] },
    dns: { hostedZoneId: env.dns.hostedZoneId },
    loadBalancer: { allowFrom: env.loadBalancer.allowFrom },
    cdn: { priceClass: env.cdn.priceClass ?? d.priceClass, webAclArn: env.cdn.webAclArn },
    suppressions: env.suppressions,
  };
}

/**
 * The app as it runs in one environment. Replicas, most specific first: the app's override for
 * the environment, the environment's, the app's own, the environment profile's.
 */
/** The environment variable Slipway fills from the database; apps cannot declare it. */
const RESERVED_VARIABLE = "DATABASE_URL";

export function appInEnvironment(app: AppConfig, environment: EnvironmentConfig): AppEnvironmentConfig {
  const replicas =
    app.overrides[environment.name]?.replicas ??
    environment.replicas ??
    app.replicas ??
    PROFILE_DEFAULTS[environment.profile].replicas;
  return { app, environment, domain: app.domains[environment.name], replicas: { ...replicas } };
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

const CIDR_SHAPE = /^\d+\.\d+\.\d+\.\d+\/\d+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

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
    // A CIDR not even shaped like one is the schema's to report; check the rest.
    if (typeof network.cidr === "string" && CIDR_SHAPE.test(network.cidr)) {
      const parsed = parseCidr(network.cidr);
      if (!parsed) {
        out.push({ at: ["environments", i, "network", "cidr"], message: `${JSON.stringify(network.cidr)} is not a valid IPv4 CIDR (octets 0-255, prefix 0-32)` });
      } else if (parsed.prefix < 16 || parsed.prefix > 23) {
        out.push({ at: ["environments", i, "network", "cidr"], message: `prefix /${parsed.prefix} in ${JSON.stringify(network.cidr)} is out of range: a VPC takes /16 to /23` });
      } else if (cidrBaseMismatch(network.cidr)) {
        out.push({ at: ["environments", i, "network", "cidr"], message: `${JSON.stringify(network.cidr)} has host bits set; did you mean ${cidrBaseMismatch(network.cidr)}?` });
      }
    }
    if (Array.isArray(network.zones) && typeof env.region === "string") {
      const region = env.region;
      const seen = new Set<unknown>();
      network.zones.forEach((zone: unknown, z: number) => {
        if (typeof zone !== "string" || !new RegExp(`^${escapeRegExp(region)}[a-z]$`).test(zone)) {
          out.push({ at: ["environments", i, "network", "zones", z], message: `${JSON.stringify(zone)} is not a zone of ${region}: expected ${region}a, ${region}b, …` });
        } else if (seen.has(zone)) {
          out.push({ at: ["environments", i, "network", "zones", z], message: `${JSON.stringify(zone)} is listed twice; each zone once` });
        }
        seen.add(zone);
      });
    }
    const cluster = isRecord(env.cluster) ? env.cluster : {};
    const nodes = isRecord(cluster.nodes) ? cluster.nodes : undefined;
    if (nodes && typeof nodes.min === "number" && typeof nodes.desired === "number" && typeof nodes.max === "number") {
      if (!(nodes.min <= nodes.desired && nodes.desired <= nodes.max)) {
        out.push({ at: ["environments", i, "cluster", "nodes"], message: `min ${nodes.min}, desired ${nodes.desired}, max ${nodes.max}: expected min <= desired <= max` });
      }
    }
    if (Array.isArray(cluster.publicAccessCidrs)) {
      cluster.publicAccessCidrs.forEach((c: unknown, k: number) => {
        if (c === "0.0.0.0/0") {
          out.push({ at: ["environments", i, "cluster", "publicAccessCidrs", k], message: `"0.0.0.0/0" opens the cluster API to the whole internet: list your office, VPN or CI egress CIDRs instead` });
        } else cidrProblem(c, ["environments", i, "cluster", "publicAccessCidrs", k], out);
      });
    }
    const database = isRecord(env.database) ? env.database : {};
    // What the PostgresDatabase construct accepts, checked here so the message names the file and path.
    if (typeof database.instanceClass === "string" && /^db\.[a-z0-9]+\.[a-z0-9]+$/.test(database.instanceClass)) {
      const [, family, size] = database.instanceClass.split(".");
      const sizes = POSTGRES_INSTANCE_CLASSES[family];
      if (!sizes || !sizes.includes(size)) {
        out.push({
          at: ["environments", i, "database", "instanceClass"],
          message: sizes
            ? `${JSON.stringify(database.instanceClass)}: db.${family} comes in ${sizes.join(", ")}`
            : `${JSON.stringify(database.instanceClass)} is not a class RDS for PostgreSQL offers: expected db.<family>.<size> with a family among ${Object.keys(POSTGRES_INSTANCE_CLASSES).join(", ")}`,
        });
      }
    }
    if (typeof database.engineVersion === "string" && /^\d{2}(\.\d+)?$/.test(database.engineVersion)) {
      const major = Number(database.engineVersion.split(".")[0]);
      if (!(SUPPORTED_MAJORS as readonly number[]).includes(major)) {
        out.push({ at: ["environments", i, "database", "engineVersion"], message: `PostgreSQL ${major} is not supported: expected a major among ${SUPPORTED_MAJORS.join(", ")}` });
      }
    }
    if (typeof database.storageGiB === "number" && typeof database.maxStorageGiB === "number" && database.maxStorageGiB < database.storageGiB) {
      out.push({ at: ["environments", i, "database", "maxStorageGiB"], message: `${database.maxStorageGiB} is below storageGiB ${database.storageGiB}: the autoscaling ceiling must be at least the allocated storage` });
    }
    replicasProblem(env.replicas, ["environments", i, "replicas"], out);
    const approval = isRecord(env.approval) ? env.approval : {};
    const reviewers = isRecord(approval.reviewers) ? approval.reviewers : {};
    const reviewerCount = (Array.isArray(reviewers.users) ? reviewers.users.length : 0) + (Array.isArray(reviewers.teams) ? reviewers.teams.length : 0);
    const profile = env.profile ?? (typeof env.name === "string" ? defaultProfile(env.name) : "development");
    const required = typeof approval.required === "boolean" ? approval.required : profile === "production";
    const protection = isRecord(env.protection) ? env.protection : {};
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
        message: `deploys to ${JSON.stringify(env.name)} need approval${approval.required === undefined ? ` (the ${profile} profile's default)` : ""} but no reviewers are named: list approval.reviewers.users or .teams, or set approval.required: false`,
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
        out.push({ at: ["environments", j, "network", "cidr"], message: `${cb} overlaps ${ca} of environment ${JSON.stringify(a.name)} in the same account ${String(a.account)}: choose a CIDR that does not overlap` });
      }
    });
  });

  const nodePorts = new Map<number, string>();
  (Array.isArray(raw.apps) ? raw.apps : []).forEach((app: unknown, i: number) => {
    if (!isRecord(app) || typeof app.name !== "string") return;
    const port = typeof app.nodePort === "number" ? app.nodePort : defaultNodePort(app.name);
    const other = nodePorts.get(port);
    if (other !== undefined && other !== app.name) {
      out.push({ at: ["apps", i, ...(typeof app.nodePort === "number" ? ["nodePort"] : [])], message: `node port ${port} is also ${JSON.stringify(other)}'s: set a distinct nodePort (30000-32767) on one of them` });
    }
    nodePorts.set(port, app.name);
  });

  (Array.isArray(raw.apps) ? raw.apps : []).forEach((app: unknown, i: number) => {
    if (!isRecord(app)) return;
    replicasProblem(app.replicas, ["apps", i, "replicas"], out);
    suppressionProblems(app.suppressions, ["apps", i, "suppressions"], out);
    if (isRecord(app.domains)) {
      for (const [envName, domain] of Object.entries(app.domains)) {
        if (envNames.length > 0 && !envNames.includes(envName)) {
          out.push({ at: ["apps", i, "domains", envName], message: `names no declared environment${suggest(envName, envNames)}; declared: ${envNames.join(", ")}` });
        } else if (typeof domain !== "string" || !DOMAIN.test(domain)) {
          out.push({ at: ["apps", i, "domains", envName], message: `${JSON.stringify(domain)} is not a domain name: expected lower-case labels joined by dots, such as app.example.com` });
        }
      }
      for (const envName of envNames) {
        if (!(envName in app.domains)) {
          out.push({ at: ["apps", i, "domains"], message: `no domain for environment ${JSON.stringify(envName)}: every environment needs one` });
        }
      }
    }
    if (isRecord(app.overrides)) {
      for (const [envName, override] of Object.entries(app.overrides)) {
        if (envNames.length > 0 && !envNames.includes(envName)) {
          out.push({ at: ["apps", i, "overrides", envName], message: `names no declared environment${suggest(envName, envNames)}; declared: ${envNames.join(", ")}` });
        } else if (isRecord(override)) {
          replicasProblem(override.replicas, ["apps", i, "overrides", envName, "replicas"], out);
        }
      }
    }
    if (Array.isArray(app.egress)) {
      app.egress.forEach((rule: unknown, k: number) => {
        if (isRecord(rule)) cidrProblem(rule.cidr, ["apps", i, "egress", k, "cidr"], out);
      });
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
    // Slipway sets DATABASE_URL itself, from the environment's database.
    for (const [key, names] of [["secrets", Array.isArray(app.secrets) ? app.secrets : []], ["env", isRecord(app.env) ? Object.keys(app.env) : []]] as const) {
      names.forEach((s: unknown, k: number) => {
        if (s === RESERVED_VARIABLE) {
          out.push({ at: ["apps", i, key, ...(key === "secrets" ? [k] : [RESERVED_VARIABLE])], message: `${RESERVED_VARIABLE} is set by Slipway from the environment's Postgres database: choose another name` });
        }
      });
    }
  });
  return out;
}

/** A CIDR the schema's pattern let through with octets above 255, a prefix above 32, or host bits set. */
function cidrProblem(value: unknown, at: PropertyKey[], out: LocatedProblem[]): void {
  if (typeof value !== "string" || !CIDR_SHAPE.test(value)) return; // the schema reports it
  if (!parseCidr(value)) out.push({ at, message: `${JSON.stringify(value)} is not a valid IPv4 CIDR (octets 0-255, prefix 0-32)` });
  else if (cidrBaseMismatch(value)) out.push({ at, message: `${JSON.stringify(value)} has host bits set; did you mean ${cidrBaseMismatch(value)}?` });
}

/** Suppressions must name a rule Slipway has. */
function suppressionProblems(value: unknown, at: PropertyKey[], out: LocatedProblem[]): void {
  if (!Array.isArray(value)) return;
  const ids = ALL_RULES.map((r) => r.id);
  value.forEach((s: unknown, k: number) => {
    if (isRecord(s) && typeof s.rule === "string" && /^SLW-[A-Z0-9]+-\d{3}$/.test(s.rule) && !ids.includes(s.rule)) {
      out.push({ at: [...at, k, "rule"], message: `no policy rule ${JSON.stringify(s.rule)}${suggest(s.rule, ids)}; the rules are listed in docs/policy-rules.md` });
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
      out.push({ at: [key, i, "name"], message: `${what} name ${JSON.stringify(item.name)} is used twice (also ${key}[${first.get(item.name)}]): names must be unique` });
    } else {
      first.set(item.name, i);
    }
  });
}

function cidrBaseMismatch(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed) return undefined;
  const mask = parsed.prefix === 0 ? 0 : (~0 << (32 - parsed.prefix)) >>> 0;
  const base = (parsed.network & mask) >>> 0;
  if (base === parsed.network) return undefined;
  return `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join(".")}/${parsed.prefix}`;
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

function describeIssue(issue: Issue, raw: unknown): string {
  const value = valueAt(raw, issue.path);
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return `is required (expected ${issue.expected})`;
      return `expected ${issue.expected}, received ${received(value)}`;
    case "unrecognized_keys": {
      const valid = validKeys(issue.path);
      return issue.keys
        .map((k) => `unknown key ${JSON.stringify(k)}${suggest(k, valid)}; valid keys here: ${valid.join(", ")}`)
        .join("; ");
    }
    case "invalid_key": {
      // A record key (e.g. an env variable name): say what is wrong with the key, not its value.
      const key = issue.path[issue.path.length - 1];
      return `key ${JSON.stringify(String(key))} is not valid: ${issue.issues.map((i) => i.message).join("; ")}`;
    }
    case "invalid_union":
      // The only union is the backend, told apart by its `type`.
      return `received ${received(value)}; expected one of: local, s3, remote`;
    case "invalid_value":
      return `received ${received(value)}; expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_big":
    case "too_small": {
      const bound = issue.code === "too_big" ? issue.maximum : issue.minimum;
      const op = issue.code === "too_big" ? (issue.inclusive ? "at most" : "below") : issue.inclusive ? "at least" : "above";
      if (issue.origin === "array") return `has ${Array.isArray(value) ? value.length : "?"} items; expected ${op} ${bound}`;
      if (issue.origin === "string") return `received ${received(value)}; expected ${op} ${bound} characters`;
      return `received ${received(value)}; expected ${op} ${bound}`;
    }
    default:
      return `received ${received(value)}; ${issue.message}`;
  }
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
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean ${JSON.stringify(best)}?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const segment of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[segment];
  }
  return v;
}

function received(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
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
