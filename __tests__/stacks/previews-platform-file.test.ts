/** The `previews` keys of the platform file: defaults, merging, and errors naming file, line and path. */
import { previewRouterNodePort } from "../../platform/model";
import { examplePlatform, problemsAfter } from "../support/platform";

describe("previews: defaults", () => {
  test("the example app gets previews on dev (its first development-profile environment) by default", () => {
    const hello = examplePlatform().apps[0];
    expect(hello.previews).toEqual({ environment: "dev", ttlHours: 72, maxConcurrent: 3, secrets: [], routerNodePort: previewRouterNodePort("hello") });
    expect(hello.previews!.routerNodePort).toBeGreaterThanOrEqual(30000);
    expect(hello.previews!.routerNodePort).toBeLessThanOrEqual(32767);
    expect(hello.previews!.routerNodePort).not.toBe(hello.nodePort);
  });

  test("the app's keys are merged over the platform's", () => {
    const hello = examplePlatform((d) => {
      d.previews = { environment: "staging", ttlHours: 24, maxConcurrent: 5 };
      d.apps[0].previews = { ttlHours: 12, seed: "python -m seed", secrets: ["STRIPE_TEST_KEY"] };
    }).apps[0];
    expect(hello.previews).toEqual({ environment: "staging", ttlHours: 12, seed: "python -m seed", maxConcurrent: 5, secrets: ["STRIPE_TEST_KEY"], routerNodePort: previewRouterNodePort("hello") });
  });

  test("enabled: false on the platform or the app turns previews off", () => {
    expect(examplePlatform((d) => (d.previews = { enabled: false })).apps[0].previews).toBeUndefined();
    expect(examplePlatform((d) => (d.apps[0].previews = { enabled: false })).apps[0].previews).toBeUndefined();
    // The app's own enabled wins over the platform's.
    expect(examplePlatform((d) => {
      d.previews = { enabled: false };
      d.apps[0].previews = { enabled: true };
    }).apps[0].previews?.environment).toBe("dev");
  });

  test("a platform with only production-profile environments has no previews, and says nothing unless asked for them", () => {
    const platform = examplePlatform((d) => {
      d.environments = [d.environments[2]];
      d.apps[0].domains = { prod: d.apps[0].domains.prod };
      delete d.apps[0].overrides;
    });
    expect(platform.apps[0].previews).toBeUndefined();
  });

  test("an app with database: none still gets previews", () => {
    const hello = examplePlatform((d) => {
      d.apps[0].database = "none";
      delete d.apps[0].migrate;
    }).apps[0];
    expect(hello.previews?.environment).toBe("dev");
  });
});

describe("previews: bad platform files name the file, line and path", () => {
  test.each<[string, (doc: any) => void, RegExp]>([
    ["an unknown host environment", (d) => (d.apps[0].previews = { environment: "devv" }), /^  bad\.yaml:\d+:\d+: apps\[0\]\.previews\.environment: names no declared environment \(did you mean "dev"\?\); previews can be hosted by: dev, staging$/m],
    ["a production-profile host environment", (d) => (d.previews = { environment: "prod" }), /^  bad\.yaml:\d+:\d+: previews\.environment: "prod" has the production profile: previews run unreviewed code and never share a production environment; expected one of: dev, staging$/m],
    ["a host environment made production by its profile", (d) => {
      d.environments[1].profile = "production";
      d.environments[1].approval = { reviewers: { users: ["octocat"] } };
      d.apps[0].previews = { environment: "staging" };
    }, /apps\[0\]\.previews\.environment: "staging" has the production profile/],
    ["a ttl of 0 hours", (d) => (d.apps[0].previews = { ttlHours: 0 }), /^  bad\.yaml:\d+:\d+: apps\[0\]\.previews\.ttlHours: received number 0; expected at least 1$/m],
    ["a ttl over 30 days", (d) => (d.previews = { ttlHours: 721 }), /^  bad\.yaml:\d+:\d+: previews\.ttlHours: received number 721; expected at most 720$/m],
    ["a cap over 20", (d) => (d.apps[0].previews = { maxConcurrent: 21 }), /apps\[0\]\.previews\.maxConcurrent: received number 21; expected at most 20/],
    ["a misspelt key", (d) => (d.apps[0].previews = { ttlHour: 3 }), /apps\[0\]\.previews: unknown key "ttlHour" \(did you mean "ttlHours"\?\); valid keys here: enabled, environment, ttlHours, seed, maxConcurrent, secrets/],
    ["a seed that is not a command", (d) => (d.apps[0].previews = { seed: "" }), /apps\[0\]\.previews\.seed: received string ""/],
    ["a preview secret named twice", (d) => (d.apps[0].previews = { secrets: ["A_KEY", "A_KEY"] }), /apps\[0\]\.previews\.secrets\[1\]: A_KEY is listed twice/],
    ["a preview secret that Slipway sets", (d) => (d.apps[0].previews = { secrets: ["DATABASE_URL"] }), /apps\[0\]\.previews\.secrets\[0\]: DATABASE_URL is set by Slipway from the preview's own database/],
    ["previews asked for with only production environments", (d) => {
      d.environments = [d.environments[2]];
      d.apps[0].domains = { prod: d.apps[0].domains.prod };
      delete d.apps[0].overrides;
      d.apps[0].previews = { enabled: true };
    }, /apps\[0\]\.previews\.enabled: previews are on, but no environment can host them/],
    ["an environment named preview", (d) => {
      d.environments[1].name = "preview";
      d.apps[0].domains = { dev: d.apps[0].domains.dev, preview: d.apps[0].domains.staging, prod: d.apps[0].domains.prod };
    }, /environments\[1\]\.name: preview is the name preview secrets take in Secrets Manager/],
  ])("fails with %s", (_kind, change, message) => {
    const error = problemsAfter(change);
    expect(error.message.startsWith("bad.yaml: ")).toBe(true);
    expect(error.message).toMatch(message);
    // Every previews problem points at a line of the file.
    for (const p of error.problems.filter((p) => p.path.includes("previews"))) expect(p.line).toBeGreaterThan(0);
  });
});
