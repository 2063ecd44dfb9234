/**
 * The platform file's observability keys: `environments[].alarms` (email, thresholds),
 * `environments[].logs.retentionDays`, `environments[].deploy.bakeMinutes` and `apps[].alarms`,
 * with their profile defaults, and the clear errors bad values get.
 */
import { appInEnvironment, PROFILE_DEFAULTS } from "../../platform/model";
import { examplePlatform, synthAll, problemsAfter } from "../support/platform";

describe("defaults per profile", () => {
  const platform = examplePlatform();
  const [dev, staging, prod] = platform.environments;

  test("production bakes 5 minutes, keeps container logs a year and alarms at tighter thresholds; development 1 minute, 30 days", () => {
    expect(prod.deploy.bakeMinutes).toBe(5);
    expect(prod.logs.retentionDays).toBe(365);
    expect(prod.alarms.thresholds).toEqual(PROFILE_DEFAULTS.production.environment.alarms.thresholds);
    expect(PROFILE_DEFAULTS.production.environment.alarms.thresholds).toMatchObject({ loadBalancer5xxPercent: 1, p99LatencyMs: 1500, databaseCpuPercent: 80, databaseFreeStorageGiB: 10 });
    for (const e of [dev, staging]) {
      expect(e.deploy.bakeMinutes).toBe(1);
      expect(e.logs.retentionDays).toBe(30);
      expect(e.alarms.thresholds).toEqual(PROFILE_DEFAULTS.development.environment.alarms.thresholds);
    }
    // Nobody is subscribed unless the file says so (the example subscribes on-call to prod's alarms).
    expect(platform.environments.map((e) => e.alarms.email)).toEqual([[], [], ["oncall@acme.example"]]);
  });

  test("the app's thresholds over the environment's over the profile's, key by key", () => {
    const changed = examplePlatform((d) => {
      d.environments[2].alarms = { email: ["oncall@acme.example"], thresholds: { p99LatencyMs: 900, cdn5xxPercent: 2 } };
      d.apps[0].alarms = { cdn5xxPercent: 0.5 };
    });
    const prod2 = changed.environments[2];
    expect(prod2.alarms.email).toEqual(["oncall@acme.example"]);
    const here = appInEnvironment(changed.apps[0], prod2).alarmThresholds;
    expect(here).toEqual({ ...PROFILE_DEFAULTS.production.environment.alarms.thresholds, p99LatencyMs: 900, cdn5xxPercent: 0.5 });
    // Another environment keeps its profile's, with the app's own.
    expect(appInEnvironment(changed.apps[0], changed.environments[0]).alarmThresholds).toEqual({ ...PROFILE_DEFAULTS.development.environment.alarms.thresholds, cdn5xxPercent: 0.5 });
  });
});

describe("bad values: each with its path, the value and what is valid", () => {
  test.each<[string, (doc: any) => void, RegExp]>([
    ["an email that is not one", (d) => (d.environments[2].alarms = { email: ["oncall at acme"] }), /environments\[2\]\.alarms\.email\[0\]: received string "oncall at acme"; expected an email address such as oncall@example\.com/],
    ["a misspelt threshold, with a suggestion", (d) => (d.environments[0].alarms = { thresholds: { p99LatencyMS: 900 } }), /environments\[0\]\.alarms\.thresholds: unknown key "p99LatencyMS" \(did you mean "p99LatencyMs"\?\)/],
    ["a percentage above 100", (d) => (d.apps[0].alarms = { target5xxPercent: 150 }), /apps\[0\]\.alarms\.target5xxPercent: received number 150; expected at most 100/],
    ["a percentage of 0", (d) => (d.environments[0].alarms = { thresholds: { loadBalancer5xxPercent: 0 } }), /environments\[0\]\.alarms\.thresholds\.loadBalancer5xxPercent: received number 0; expected above 0/],
    ["a bake over an hour", (d) => (d.environments[2].deploy = { bakeMinutes: 90 }), /environments\[2\]\.deploy\.bakeMinutes: received number 90; expected at most 60/],
    ["a bake in fractions", (d) => (d.environments[2].deploy = { bakeMinutes: 2.5 }), /environments\[2\]\.deploy\.bakeMinutes: .*expected int/],
    ["a retention CloudWatch does not offer", (d) => (d.environments[0].logs = { retentionDays: 45 }), /environments\[0\]\.logs\.retentionDays: received number 45; expected one of: 1, 3, 5, 7, 14, 30, 60, 90, 120/],
  ])("fails for %s", (_kind, change, message) => {
    const error = problemsAfter(change);
    expect(error.message).toMatch(message);
    expect(error.problems[0].line).toBeGreaterThan(0);
  });

  test("an email address stays data on its way to Terraform: ${ and %{ are escaped", () => {
    const platform = examplePlatform((d) => (d.environments[2].alarms = { email: ["${var.x}%{if}@acme.example"] }));
    expect(platform.environments[2].alarms.email).toEqual(["${var.x}%{if}@acme.example"]);
    const subscriptions = Object.values<any>(synthAll(platform)["platform-prod"].resource.aws_sns_topic_subscription);
    expect(subscriptions.map((s) => s.endpoint)).toEqual(["$${var.x}%%{if}@acme.example", "$${var.x}%%{if}@acme.example"]);
  });
});
