/**
 * Rollouts and node drains drop no requests: the load balancer's health check and deregistration
 * delay, the pods' preStop delay, grace period and readiness probe are chosen together
 * (constructs/drain-timing.ts). Checked on what the example platform synthesizes, field by field:
 * the target group in platform-<env> and the Deployment in <app>-<env>, in every environment.
 */
import { TerraformStack, Testing } from "cdktf";
import * as timing from "../../constructs/drain-timing";
import { LoadBalancer } from "../../constructs/load-balancer";
import { examplePlatform, resourceAt, synthAll } from "../support/platform";

type Json = any;

const stacks = synthAll(examplePlatform());
const environments = ["dev", "staging", "prod"];

/** The values that decide whether a request can still reach a stopping pod, read from the output. */
function synthesized(env: string) {
  const tg = resourceAt(stacks[`platform-${env}`], "aws_lb_target_group", "/Targets-hello/Resource");
  const deployment = resourceAt(stacks[`hello-${env}`], "kubernetes_deployment_v1", "Workload/Resource");
  const service = resourceAt(stacks[`hello-${env}`], "kubernetes_service_v1", "Workload/Service");
  const pod = deployment.spec.template.spec;
  const container = pod.container[0];
  const preStop: string[] = container.lifecycle.pre_stop[0].exec.command;
  const sleep = /^sleep (\d+)$/.exec(preStop[2]);
  if (preStop[0] !== "/bin/sh" || preStop[1] !== "-c" || !sleep) throw new Error(`preStop is not a plain sleep: ${JSON.stringify(preStop)}`);
  return {
    interval: tg.health_check.interval as number,
    timeout: tg.health_check.timeout as number,
    unhealthyThreshold: tg.health_check.unhealthy_threshold as number,
    healthyThreshold: tg.health_check.healthy_threshold as number,
    deregistrationDelay: Number(tg.deregistration_delay),
    preStop: Number(sleep[1]),
    grace: pod.termination_grace_period_seconds as number,
    readiness: container.readiness_probe,
    trafficPolicy: service.spec.external_traffic_policy as string,
  };
}

describe.each(environments)("in %s", (env) => {
  const t = synthesized(env);

  test("the preStop delay outlasts the deregistration delay plus the time to fail a node's health check", () => {
    expect(t.preStop).toBeGreaterThan(t.deregistrationDelay + t.interval * t.unhealthyThreshold + t.timeout);
  });

  test("the grace period covers the preStop delay and the app's 30 s to finish after SIGTERM (image contract)", () => {
    expect(t.grace).toBeGreaterThanOrEqual(t.preStop + 30);
  });

  test("each health check ends before the next starts, and a new node serves within a few checks", () => {
    expect(t.timeout).toBeLessThan(t.interval);
    // New nodes of a replaced node group get requests after this long.
    expect(t.interval * t.healthyThreshold).toBeLessThanOrEqual(15);
  });

  test("the readiness probe takes a failing pod out on the same clock as the load balancer takes out a node", () => {
    expect(t.readiness.period_seconds).toBe(t.interval);
    expect(t.readiness.timeout_seconds).toBe(t.timeout);
    expect(t.readiness.failure_threshold).toBe(t.unhealthyThreshold);
    expect(t.readiness.success_threshold).toBe(1);
    expect(t.readiness.http_get.path).toBe("/healthz");
  });

  test("every node forwards to every ready pod, so a node without a pod of the app never drops a request", () => {
    expect(t.trafficPolicy).toBe("Cluster");
  });
});

test("the synthesized values are drain-timing.ts's constants, with its arithmetic", () => {
  expect(synthesized("prod")).toMatchObject({
    interval: timing.HEALTH_CHECK.intervalSeconds,
    timeout: timing.HEALTH_CHECK.timeoutSeconds,
    unhealthyThreshold: timing.HEALTH_CHECK.unhealthyThreshold,
    healthyThreshold: timing.HEALTH_CHECK.healthyThreshold,
    deregistrationDelay: timing.DEREGISTRATION_DELAY_SECONDS,
    preStop: timing.PRE_STOP_DELAY_SECONDS,
    grace: timing.TERMINATION_GRACE_PERIOD_SECONDS,
  });
  expect(timing.UNHEALTHY_DETECTION_SECONDS).toBe(13);
  expect(timing.PRE_STOP_DELAY_SECONDS).toBe(45);
  expect(timing.TERMINATION_GRACE_PERIOD_SECONDS).toBe(75);
});

test("a LoadBalancer that creates its own target group uses the same health check and delay", () => {
  const stack = new TerraformStack(Testing.app(), "test");
  new LoadBalancer(stack, "LoadBalancer", {
    name: "shop-prod",
    network: { vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-a", "subnet-b"], privateSubnetIds: ["subnet-c", "subnet-d"] },
    accountId: "123456789012",
    region: "eu-west-1",
    domain: "shop.example.com",
    healthPath: "/healthz",
    targetPort: 30080,
  });
  const tg: Json = Object.values(JSON.parse(Testing.synth(stack)).resource.aws_lb_target_group)[0];
  expect([tg.deregistration_delay, tg.health_check.interval, tg.health_check.timeout, tg.health_check.unhealthy_threshold, tg.health_check.healthy_threshold]).toEqual([
    String(timing.DEREGISTRATION_DELAY_SECONDS),
    timing.HEALTH_CHECK.intervalSeconds,
    timing.HEALTH_CHECK.timeoutSeconds,
    timing.HEALTH_CHECK.unhealthyThreshold,
    timing.HEALTH_CHECK.healthyThreshold,
  ]);
});
