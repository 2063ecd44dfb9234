/**
 * How long each part of the request path waits while a pod or a node leaves it, chosen together:
 * the load balancer's health check and deregistration delay, the pod's preStop delay, its
 * termination grace period and its readiness probe. One set, used by `NodeTargetGroup` (and a
 * `LoadBalancer` that creates its own target group) and by `KubernetesWorkload`; the arithmetic
 * that ties them is below and `__tests__/constructs/drain-timing.test.ts` checks it field by field.
 *
 * A pod that is told to stop (rollout, node drain, scale-in) leaves the Service's endpoints at
 * once, but a request may still reach it for a while by three paths:
 * - kube-proxy on every node drops it from its rules within a few seconds;
 * - a node the load balancer still sends to but that should no longer get traffic is taken out
 *   after `HEALTH_CHECK.unhealthyThreshold` failed checks, `intervalSeconds` apart, the last one
 *   waiting up to `timeoutSeconds`: 2 x 5 + 3 = **13 s**;
 * - a node that leaves the target group (drained, scaled in, replaced) keeps its requests in flight
 *   for `DEREGISTRATION_DELAY_SECONDS` = **30 s**.
 * The preStop delay outlasts the longest of them together: 45 > 30 + 13 (= 43). Only then does the
 * container get SIGTERM, and it has `APP_SHUTDOWN_SECONDS` = 30 s to finish what is in flight
 * (the image contract), so the grace period is 45 + 30 = **75 s**, after which the kubelet kills it.
 * The readiness probe takes a pod whose health path fails out of the endpoints on the same clock
 * as the load balancer takes out a node: 2 x 5 + 3 = 13 s.
 */

/** The load balancer's target health check (an ALB target group). */
export const HEALTH_CHECK = {
  /** Seconds between checks: short, so a new node (a replaced node group) serves within seconds. */
  intervalSeconds: 5,
  /** Seconds a check waits: the image contract's 3 s, below the interval as ELB requires. */
  timeoutSeconds: 3,
  /** Successes before a target gets requests. */
  healthyThreshold: 2,
  /** Failures before a target stops getting requests. */
  unhealthyThreshold: 2,
} as const;

/** Seconds a target leaving the target group keeps its in-flight requests (ALB `deregistration_delay`). */
export const DEREGISTRATION_DELAY_SECONDS = 30;

/** Seconds the app has after SIGTERM to finish requests in flight (docs/image-contract.md). */
export const APP_SHUTDOWN_SECONDS = 30;

/** Seconds at most until the load balancer stops sending to a target that fails its checks. */
export const UNHEALTHY_DETECTION_SECONDS = HEALTH_CHECK.intervalSeconds * HEALTH_CHECK.unhealthyThreshold + HEALTH_CHECK.timeoutSeconds;

/**
 * Seconds the container's preStop hook waits before the kubelet sends SIGTERM: longer than the
 * deregistration delay plus the unhealthy detection time, so no path still routes to the pod.
 */
export const PRE_STOP_DELAY_SECONDS = 45;

/** The pod's `terminationGracePeriodSeconds`: the preStop delay plus the app's shutdown time. */
export const TERMINATION_GRACE_PERIOD_SECONDS = PRE_STOP_DELAY_SECONDS + APP_SHUTDOWN_SECONDS;

/** The readiness probe, on the same clock as the load balancer's health check. */
export const READINESS_PROBE = {
  periodSeconds: HEALTH_CHECK.intervalSeconds,
  timeoutSeconds: HEALTH_CHECK.timeoutSeconds,
  failureThreshold: HEALTH_CHECK.unhealthyThreshold,
  successThreshold: 1,
} as const;

/**
 * The health check of a target group of the nodes' NodePort on {@link HEALTH_CHECK}'s clock: the
 * app's health path through the port the traffic uses.
 */
export function nodePortHealthCheck(healthPath: string) {
  return {
    enabled: true,
    protocol: "HTTP",
    port: "traffic-port",
    path: healthPath,
    matcher: "200-399",
    interval: HEALTH_CHECK.intervalSeconds,
    timeout: HEALTH_CHECK.timeoutSeconds,
    healthyThreshold: HEALTH_CHECK.healthyThreshold,
    unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
  };
}
