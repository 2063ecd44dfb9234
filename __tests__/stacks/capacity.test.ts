/**
 * Capacity: production requires its replicas spread over zones, development only prefers it; the
 * platform file can say otherwise per environment.
 */
import { examplePlatform, resourceAt, synthAll } from "../support/platform";

const zoneRule = (stack: any) =>
  resourceAt(stack, "kubernetes_deployment_v1", "Workload/Resource").spec.template.spec.topology_spread_constraint.find(
    (c: any) => c.topology_key === "topology.kubernetes.io/zone",
  ).when_unsatisfiable;

describe("zone spread per environment", () => {
  const stacks = synthAll(examplePlatform());

  test("production requires it (DoNotSchedule); development and staging prefer it (ScheduleAnyway)", () => {
    expect(zoneRule(stacks["hello-prod"])).toBe("DoNotSchedule");
    expect(zoneRule(stacks["hello-dev"])).toBe("ScheduleAnyway");
    expect(zoneRule(stacks["hello-staging"])).toBe("ScheduleAnyway");
  });

  test("cluster.zoneSpread overrides the profile", () => {
    const changed = synthAll(
      examplePlatform((doc) => {
        const env = (name: string) => doc.environments.find((e: any) => e.name === name);
        env("dev").cluster = { ...(env("dev").cluster ?? {}), zoneSpread: "required" };
        env("prod").cluster = { ...(env("prod").cluster ?? {}), zoneSpread: "preferred" };
      }),
    );
    expect(zoneRule(changed["hello-dev"])).toBe("DoNotSchedule");
    expect(zoneRule(changed["hello-prod"])).toBe("ScheduleAnyway");
  });
});
