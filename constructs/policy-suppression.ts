/**
 * Accepting a policy finding next to the construct it is about. A suppression names the rule and
 * says why; it travels with each resource of the construct into the synthesized JSON (under the
 * resource's `//` comment key, which Terraform ignores), where Slipway's policy rules read it. The
 * finding is still reported, with its reason, in the synth summary and by `npm run check`.
 */
import { Aspects, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { invalid } from "./util";

/** One accepted finding on a resource. */
export interface ResourcePolicySuppression {
  /** The rule's id, e.g. `SLW-CF-006` (docs/policy-rules.md lists them). */
  readonly rule: string;
  /** Why the finding is acceptable here: at least 10 characters, printed with every finding it accepts. */
  readonly reason: string;
}

/** Where suppressions live in a resource's synthesized JSON: `resource.<type>.<name>["//"].slipway.suppressions`. */
export const SUPPRESSIONS_METADATA_KEY = "slipway";

const RULE_ID = /^SLW-[A-Z0-9]+-\d{3}$/;
const MIN_REASON_LENGTH = 10;
const byResource = new WeakMap<TerraformResource, ResourcePolicySuppression[]>();

class SuppressionAspect implements IAspect {
  constructor(private readonly suppression: ResourcePolicySuppression) {}

  visit(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node)) return;
    const list = byResource.get(node) ?? [];
    if (list.some((s) => s.rule === this.suppression.rule && s.reason === this.suppression.reason)) return;
    list.push(this.suppression);
    byResource.set(node, list);
    node.addOverride(`//.${SUPPRESSIONS_METADATA_KEY}.suppressions`, list.map((s) => ({ rule: s.rule, reason: s.reason })));
  }
}

/**
 * Accepts the finding of policy rule `rule` on every resource in `scope` (a construct and everything
 * below it), for the `reason` given. Unknown rule ids are reported by the policy check; a
 * suppression that matches no finding is reported as unused.
 *
 * @example suppressPolicy(cdn, "SLW-CF-005", "a preview environment: access logs are not kept");
 */
export function suppressPolicy(scope: IConstruct, rule: string, reason: string): void {
  if (!RULE_ID.test(rule)) invalid(scope, "suppressPolicy(rule)", rule, "a policy rule id such as SLW-CF-004 (see docs/policy-rules.md)");
  if (typeof reason !== "string" || reason.trim().length < MIN_REASON_LENGTH) {
    invalid(scope, "suppressPolicy(reason)", reason, `a reason of at least ${MIN_REASON_LENGTH} characters: a suppression without a reason is not accepted`);
  }
  Aspects.of(scope).add(new SuppressionAspect({ rule, reason: reason.trim() }));
}
