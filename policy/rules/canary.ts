/**
 * Canary releases (constructs/canary.ts): a listener that forwards with weights belongs to the
 * deploy job, which shifts them step by step; Terraform must never move them, and must create the
 * listener with all traffic on the stable group.
 */
import { CANARY_WEIGHTS_PATH } from "../../constructs/load-balancer";
import { block, list, show } from "../accessors";
import { ResourceView, Rule } from "../types";

const LISTENER_TYPES = ["aws_lb_listener", "aws_alb_listener"];

/** The weighted forwards of a listener's default actions: `[index, target groups]` with two groups or more. */
function weightedForwards(listener: ResourceView): Array<[number, any[]]> {
  return list(listener.config.default_action)
    .map((action, i): [number, any[]] => [i, list(block(action?.forward)?.target_group)])
    .filter(([, groups]) => groups.length > 1);
}

export const CANARY_RULES: readonly Rule[] = [
  {
    id: "SLW-CAN-001",
    title: "A listener that forwards with weights leaves the weights to the deploy job (lifecycle.ignore_changes)",
    severity: "high",
    resourceTypes: LISTENER_TYPES,
    references: {},
    fix: `add lifecycle { ignore_changes = [${CANARY_WEIGHTS_PATH}] }: otherwise every apply during or after a canary moves traffic back to the weights in the configuration`,
    check(listener) {
      const ignored = list(block(listener.config.lifecycle)?.ignore_changes).map(String);
      return weightedForwards(listener)
        .filter(([i]) => !ignored.some((path) => path === "all" || path === "default_action" || path === `default_action[${i}]` || path === `default_action[${i}].forward` || path === `default_action[${i}].forward[0]` || path === `default_action[${i}].forward[0].target_group`))
        .map(([i]) => `default_action[${i}] forwards to ${list(block(listener.config.default_action[i]?.forward)?.target_group).length} weighted target groups, and ignore_changes is ${show(ignored)}`);
    },
  },
  {
    id: "SLW-CAN-002",
    title: "A weighted listener is created with all traffic on its first (stable) target group",
    severity: "medium",
    resourceTypes: LISTENER_TYPES,
    references: {},
    fix: "weights [100, 0, ...]: the canary has no pods until the deploy job scales it",
    check(listener) {
      return weightedForwards(listener)
        .filter(([, groups]) => !(Number(groups[0]?.weight) === 100 && groups.slice(1).every((g) => Number(g?.weight ?? 0) === 0)))
        .map(([i, groups]) => `default_action[${i}] weights are ${show(groups.map((g) => g?.weight))}: expected [100, 0]`);
    },
  },
];
