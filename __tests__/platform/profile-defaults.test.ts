/**
 * Issue 15 §1: profile decisions live only in PROFILE_DEFAULTS, in the platform file's own shape,
 * and reach the model by one generic merge (platform/defaults.ts). Proven for every key a profile
 * decides, not a sample: unset, the environment gets the profile's value; set, its own.
 */
import { withDefaults } from "../../platform/defaults";
import { Profile, PROFILE_DEFAULTS } from "../../platform/model";
import { examplePlatform, resourceAt, resourcesByPath, synthAll } from "../support/platform";

/** Every leaf of a defaults object: its path and value (lists are leaves: a list the file sets replaces the default). */
function leaves(value: unknown, at: string[] = []): { path: string[]; value: unknown }[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, item]) => leaves(item, [...at, key]));
  }
  return [{ path: at, value }];
}

const get = (object: any, path: readonly string[]): unknown => path.reduce((o, key) => o?.[key], object);

/** A value of the same kind as `value` that differs from it and from the other profile's, and that the schema accepts. */
const OTHER_VALUES: Record<string, unknown> = {
  "network.natGateways": "per-zone",
  "cluster.version": "1.32",
  "cluster.nodeInstanceTypes": ["m7i.xlarge"],
  "cluster.nodes.min": 4,
  "cluster.nodes.desired": 4,
  "cluster.nodes.max": 8,
  "cluster.publicAccessCidrs": ["203.0.113.0/24"],
  "cluster.adminRoleArns": ["arn:aws:iam::111111111111:role/admin"],
  "cluster.zoneSpread": "required",
  "database.instanceClass": "db.r6g.large",
  "database.storageGiB": 40,
  "database.maxStorageGiB": 2000,
  "database.engineVersion": "15",
  "database.backupRetentionDays": 14,
  "database.performanceInsights": true,
  "rollout.strategy": "canary",
  "rollout.steps": [{ weight: 25, minutes: 3 }],
  "approval.required": true,
  "protection.deletionProtection": true,
  "protection.multiAz": true,
  "deploy.bakeMinutes": 9,
  "loadBalancer.accessLogs": true,
  "alarms.thresholds.loadBalancer5xxPercent": 7,
  "alarms.thresholds.target5xxPercent": 7,
  "alarms.thresholds.unhealthyTargets": 4,
  "alarms.thresholds.p99LatencyMs": 4321,
  "alarms.thresholds.databaseCpuPercent": 70,
  "alarms.thresholds.databaseFreeStorageGiB": 3,
  "alarms.thresholds.databaseConnections": 70,
  "alarms.thresholds.cdn5xxPercent": 7,
  "alarms.thresholds.containerRestarts": 7,
  "secrets.recoveryWindowDays": 14,
  "logs.retentionDays": 60,
  "cdn.priceClass": "PriceClass_200",
};

describe("withDefaults: the one way a default reaches the model", () => {
  test("an unset key takes the default, objects merge key by key, a list or scalar that is set wins whole", () => {
    const written = { a: undefined, b: { c: 1, d: undefined }, list: [3], kept: "x" } as { a?: number; b: { c?: number; d?: number; e?: number }; list?: number[]; kept: string };
    expect(withDefaults(written, { a: 1, b: { c: 2, d: 4, e: 5 }, list: [1, 2] })).toEqual({ a: 1, b: { c: 1, d: 4, e: 5 }, list: [3], kept: "x" });
  });

  test("the defaults are copied, never shared: changing one resolved value leaves the defaults and the next resolution alone", () => {
    const defaults = { list: ["a"], nested: { n: 1 } };
    const first = withDefaults({} as { list?: string[]; nested?: { n?: number } }, defaults) as any;
    first.list.push("b");
    first.nested.n = 2;
    expect(defaults).toEqual({ list: ["a"], nested: { n: 1 } });
    expect(withDefaults({} as { list?: string[]; nested?: { n?: number } }, defaults)).toEqual({ list: ["a"], nested: { n: 1 } });
  });
});

describe("every profile decision reaches the model through the profile defaults", () => {
  const profiles: Profile[] = ["development", "production"];
  const keys = leaves(PROFILE_DEFAULTS.production.environment).map((l) => l.path.join("."));

  test("the list of decided keys is the one this test knows (a new key needs a value here, and nothing else in the model)", () => {
    expect(keys.sort()).toEqual(Object.keys(OTHER_VALUES).sort());
    expect(leaves(PROFILE_DEFAULTS.development.environment).map((l) => l.path.join(".")).sort()).toEqual(keys);
  });

  test.each(profiles)("%s: each key left unset resolves to the profile's value", (profile) => {
    const platform = examplePlatform((doc) => {
      for (const env of doc.environments) {
        env.profile = profile;
        // Only what the profile must not decide stays written (network CIDR and zones, the reviewers production needs).
        for (const key of ["cluster", "database", "rollout", "protection", "deploy", "loadBalancer", "alarms", "secrets", "logs", "cdn"]) delete env[key];
        delete env.network.natGateways;
        env.approval = { reviewers: env.approval?.reviewers ?? { users: ["octocat"] } };
      }
      doc.previews = { enabled: false };
    });
    const env = platform.environments[0];
    for (const { path, value } of leaves(PROFILE_DEFAULTS[profile].environment)) {
      const key = path.join(".");
      if (key === "database.maxStorageGiB") expect(get(env, path)).toBe(Math.max(value as number, env.database.storageGiB));
      else expect([key, get(env, path)]).toEqual([key, value]);
    }
  });

  test.each(profiles)("%s: each key the file sets wins over the profile", (profile) => {
    const platform = examplePlatform((doc) => {
      const env = doc.environments[0];
      env.profile = profile;
      env.approval = { ...env.approval, reviewers: { users: ["octocat"] } };
      for (const [key, value] of Object.entries(OTHER_VALUES)) {
        const path = key.split(".");
        let node = env;
        for (const segment of path.slice(0, -1)) node = node[segment] ??= {};
        node[path[path.length - 1]] = value;
      }
      doc.previews = { enabled: false };
    });
    const env = platform.environments[0];
    for (const [key, value] of Object.entries(OTHER_VALUES)) expect([key, get(env, key.split("."))]).toEqual([key, value]);
  });
});

describe("the keys this refactor added: each a schema line, a default line per profile, and one use (no model code)", () => {
  const synthesized = synthAll(
    examplePlatform((doc) => {
      doc.environments[0].loadBalancer = { accessLogs: true };
      doc.environments[0].secrets = { recoveryWindowDays: 14 };
      doc.environments[2].database = { ...doc.environments[2].database, performanceInsights: false };
      doc.environments[2].loadBalancer = { accessLogs: false };
    }),
  );
  const app = Object.keys(synthesized).find((name) => name.endsWith("-dev") && !name.startsWith("platform-") && !name.startsWith("kube-system-"))!.replace(/-dev$/, "");

  test("loadBalancer.accessLogs: a development environment may turn them on, a production one off", () => {
    expect(resourceAt(synthesized[`${app}-dev`], "aws_lb", "LoadBalancer/Resource").access_logs).toMatchObject({ enabled: true });
    expect(resourceAt(synthesized[`${app}-prod`], "aws_lb", "LoadBalancer/Resource").access_logs).toBeUndefined();
    expect(resourceAt(synthesized[`${app}-staging`], "aws_lb", "LoadBalancer/Resource").access_logs).toBeUndefined();
  });

  test("secrets.recoveryWindowDays: the app secrets' recovery window, the profile's unless set", () => {
    const windows = (env: string) => Object.values(resourcesByPath(synthesized[`${app}-${env}`], "aws_secretsmanager_secret")).map((s: any) => s.recovery_window_in_days);
    expect(windows("dev").length).toBeGreaterThan(0);
    expect(new Set(windows("dev"))).toEqual(new Set([14]));
    expect(new Set(windows("staging"))).toEqual(new Set([7]));
    expect(new Set(windows("prod"))).toEqual(new Set([30]));
  });

  test("database.performanceInsights: production may turn it off; development keeps the profile's off", () => {
    expect(resourceAt(synthesized[`${app}-prod`], "aws_db_instance", "Database/Resource").performance_insights_enabled).toBe(false);
    expect(resourceAt(synthesized[`${app}-dev`], "aws_db_instance", "Database/Resource").performance_insights_enabled).toBe(false);
    expect(resourceAt(synthesized[`${app}-staging`], "aws_db_instance", "Database/Resource").performance_insights_enabled).toBe(false);
  });
});
