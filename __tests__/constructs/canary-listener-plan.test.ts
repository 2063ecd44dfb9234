/**
 * A later apply never moves a canary's traffic. With the real Terraform CLI, offline: hello-prod's
 * HTTPS listener (the example platform's production canary) is planned once from nothing, then
 * over a state in which the deploy job has shifted the weights to stable 60 / canary 40 (a canary
 * under way). The plan shows no change. The control, the same listener without its
 * `lifecycle.ignore_changes`, plans an update that would put the weights back to 100/0. And the
 * upgrade: over an all-at-once listener's state (forward by target group ARN, no weights), the
 * canary configuration is applied in place, all traffic still on the stable group.
 */
import { awsPartOf, terraformForTests } from "../support/terraform";
import { OfflineTerraform, stateFile } from "../support/terraform-state";
import { examplePlatform, synthAll } from "../support/platform";

type Json = any;

const ACCOUNT = "222222222222";
const LOAD_BALANCER = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/app/hello-prod/0123456789abcdef`;
const LISTENER = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener/app/hello-prod/0123456789abcdef/fedcba9876543210`;
const CERTIFICATE = `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/01234567-89ab-cdef-0123-456789abcdef`;
const STABLE = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/hello-prod-np/1111111111111111`;
const CANARY = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/hello-prod-cn/2222222222222222`;

/** hello-prod's AWS part, synthesized once for the file: every configuration below is cut from it. */
let helloProd: Json | undefined;

/**
 * hello-prod's AWS part reduced to its HTTPS listener, its references (load balancer, certificate,
 * the two target groups of platform-prod) replaced by the ARNs they have once applied.
 */
function listenerOnly(withIgnoreChanges = true): Json {
  helloProd ??= awsPartOf(synthAll(examplePlatform())["hello-prod"]);
  const aws: Json = structuredClone(helloProd);
  const [name, listener] = Object.entries<Json>(aws.resource.aws_lb_listener).find(([, l]) => String(l.tags?.Name).endsWith("-https"))!;
  const { depends_on: _dependsOn, lifecycle, ...body } = listener;
  const [stable, canary] = body.default_action[0].forward.target_group;
  // The synthesized shape, with the references resolved: weights as synthesized.
  expect([stable.weight, canary.weight]).toEqual([100, 0]);
  const resolved = {
    ...body,
    load_balancer_arn: LOAD_BALANCER,
    certificate_arn: CERTIFICATE,
    default_action: [{ ...body.default_action[0], forward: { ...body.default_action[0].forward, target_group: [{ ...stable, arn: STABLE }, { ...canary, arn: CANARY }] } }],
    ...(withIgnoreChanges ? { lifecycle } : {}),
  };
  return { terraform: { required_providers: aws.terraform.required_providers }, provider: { aws: aws.provider.aws }, resource: { aws_lb_listener: { [name]: resolved } } };
}

/** The state an all-at-once listener (before its environment switched to canary) left: forward by `target_group_arn`, no weights. */
function allAtOnceState(first: Json): Json {
  const [change] = first.resource_changes;
  const values: Json = { ...change.change.after, id: LISTENER, arn: LISTENER };
  values.default_action = values.default_action.map((action: Json) => ({ ...action, order: 1, target_group_arn: STABLE, forward: [] }));
  const resource = first.planned_values.root_module.resources[0];
  return stateFile([{ address: `aws_lb_listener.${resource.name}`, schemaVersion: resource.schema_version, attributes: values }]);
}

/** The state an apply of the first plan leaves, after the deploy job set the weights to stable/canary. */
function shiftedState(first: Json, weights: [number, number]): Json {
  const [change] = first.resource_changes;
  const values: Json = { ...change.change.after, id: LISTENER, arn: LISTENER };
  values.default_action = values.default_action.map((action: Json) => ({
    ...action,
    order: 1,
    target_group_arn: "",
    forward: action.forward.map((forward: Json) => ({
      ...forward,
      target_group: [
        { arn: STABLE, weight: weights[0] },
        { arn: CANARY, weight: weights[1] },
      ],
    })),
  }));
  const resource = first.planned_values.root_module.resources[0];
  return stateFile([{ address: `aws_lb_listener.${resource.name}`, schemaVersion: resource.schema_version, attributes: values }]);
}

const { tools, test: withTerraform } = terraformForTests("canary listener plan over shifted weights");

describe("real Terraform, offline: an apply while (or after) the deploy job shifted the canary's weights", () => {
  let terraform: OfflineTerraform | undefined;
  let first: Json;
  let shifted: { json?: Json; output: string; code: number };
  let control: { json?: Json; output: string; code: number };
  let upgrade: { json?: Json; output: string; code: number };

  beforeAll(async () => {
    if (!tools) return;
    terraform = new OfflineTerraform(tools);
    const planned = await terraform.planWithDetail(listenerOnly(), stateFile([]));
    if (!planned.json) throw new Error(`the first plan failed:\n${planned.output}`);
    first = planned.json;
    shifted = await terraform.planWithDetail(listenerOnly(), shiftedState(first, [60, 40]));
    control = await terraform.planWithDetail(listenerOnly(false), shiftedState(first, [60, 40]));
    upgrade = await terraform.planWithDetail(listenerOnly(), allAtOnceState(first));
  }, 600_000);
  afterAll(() => terraform?.dispose());

  withTerraform("the first plan creates the listener with all traffic on the stable group", () => {
    const [change] = first.resource_changes;
    expect(change.change.actions).toEqual(["create"]);
    const forward = change.change.after.default_action[0].forward[0];
    expect(forward.target_group).toEqual(
      expect.arrayContaining([
        { arn: STABLE, weight: 100 },
        { arn: CANARY, weight: 0 },
      ]),
    );
    expect(forward.target_group).toHaveLength(2);
  });

  withTerraform("over weights shifted to 60/40 the plan changes nothing: Terraform leaves the traffic where the deploy job put it", () => {
    if (!shifted.json) throw new Error(`the plan over shifted weights failed:\n${shifted.output}`);
    expect(shifted.json.resource_changes.map((c: Json) => c.change.actions)).toEqual([["no-op"]]);
    expect(shifted.output).toMatch(/No changes\. Your infrastructure matches the configuration\./);
    const weights = shifted.json.resource_changes[0].change.after.default_action[0].forward[0].target_group.map((g: Json) => `${g.arn.split("/")[1]} ${g.weight}`).sort();
    expect(weights).toEqual(["hello-prod-cn 40", "hello-prod-np 60"]);
  });

  withTerraform("the control: without ignore_changes the same apply would move the traffic back to 100/0", () => {
    if (!control.json) throw new Error(`the control plan failed:\n${control.output}`);
    const [change] = control.json.resource_changes;
    expect(change.change.actions).toEqual(["update"]);
    const weights = (side: Json) => side.default_action[0].forward[0].target_group.map((g: Json) => `${g.arn.split("/")[1]} ${g.weight}`).sort();
    expect(weights(change.change.before)).toEqual(["hello-prod-cn 40", "hello-prod-np 60"]);
    expect(weights(change.change.after)).toEqual(["hello-prod-cn 0", "hello-prod-np 100"]);
    expect(control.output).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy\./);
  });

  withTerraform("an environment switched from all-at-once to canary: the listener is updated in place to the weighted forward, all traffic still on the stable group", () => {
    if (!upgrade.json) throw new Error(`the plan over an all-at-once listener failed:\n${upgrade.output}`);
    const [change] = upgrade.json.resource_changes;
    expect(change.change.actions).toEqual(["update"]);
    expect(change.change.before.default_action[0].target_group_arn).toBe(STABLE);
    const weights = change.change.after.default_action[0].forward[0].target_group.map((g: Json) => `${g.arn.split("/")[1]} ${g.weight}`).sort();
    expect(weights).toEqual(["hello-prod-cn 0", "hello-prod-np 100"]);
  });
});
