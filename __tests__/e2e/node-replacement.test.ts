/**
 * Replacing the node group never leaves an app's target group without targets. With the real
 * Terraform CLI, offline: platform-prod of the example platform is planned over a state that holds
 * its node group (the old Auto Scaling group), launch template, the apps' target groups and their
 * attachments, after a change of the nodes' instance types (which replaces an EKS managed node group).
 *
 * The plan JSON shows the node group and every attachment replaced create-before-destroy, the
 * target groups untouched; the apply graph of the saved plan shows the order Terraform will run:
 * new node group, then the new attachment (the new group's nodes registered), then the old
 * attachment removed, then the old node group deleted. The app stacks are not in the plan at all:
 * their listeners forward to the target group, which does not change.
 */
import { awsPartOf, terraformForTests } from "../support/terraform";
import { OfflineTerraform, stateFile, StateInstance } from "../support/terraform-state";
import { examplePlatform, synthAll } from "../support/platform";

type Json = any;

/** The resources of the platform stack the plan is about; everything else is taken as existing. */
const KEPT_TYPES = new Set(["aws_eks_node_group", "aws_launch_template", "aws_lb_target_group", "aws_autoscaling_attachment"]);
const OLD_ASG = "eks-acme-prod-nodes-20261201-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
const ACCOUNT = "222222222222";
const LAUNCH_TEMPLATE_NAME = "acme-prod-nodes-20261201";

/**
 * The platform stack's AWS part reduced to {@link KEPT_TYPES}: a reference to any other resource
 * (the cluster, subnets, roles, the VPC CNI add-on...) becomes a fixed literal, as though it
 * already existed with that value, so the plan shows only what the change does to the kept ones.
 */
function focus(stack: Json): Json {
  const aws = awsPartOf(stack);
  const resource: Json = {};
  for (const type of KEPT_TYPES) if (aws.resource[type]) resource[type] = aws.resource[type];
  const kept = (address: string) => KEPT_TYPES.has(address.split(".")[0]) && resource[address.split(".")[0]]?.[address.split(".")[1]] !== undefined;
  const literal = (reference: string) => `existing-${reference.replace(/[^A-Za-z0-9]+/g, "-").replace(/-[0-9A-F]{8}-/, "-").toLowerCase()}`;
  const rewrite = (value: Json): Json => {
    if (typeof value === "string") {
      // A whole-string reference to something not kept becomes that thing's (fixed) value.
      return value.replace(/\$\{([^}]*)\}/g, (whole, expr: string) => {
        const target = /^(?:data\.)?([a-z0-9_]+\.[A-Za-z0-9_-]+)/.exec(expr.trim());
        if (!target || kept(target[1])) return whole;
        return literal(expr);
      });
    }
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    return value;
  };
  for (const byName of Object.values<Json>(resource)) {
    for (const [name, body] of Object.entries<Json>(byName)) {
      const { depends_on: dependsOn, ...rest } = body;
      const keptDependencies = (dependsOn ?? []).filter((d: string) => kept(d));
      byName[name] = { ...rewrite(rest), ...(keptDependencies.length ? { depends_on: keptDependencies } : {}) };
    }
  }
  return { terraform: { required_providers: aws.terraform.required_providers }, provider: { aws: aws.provider.aws }, resource };
}

/**
 * The state `terraform apply` of `config` would have left: the planned values of a first plan,
 * plus what AWS computes (ids, ARNs, the node group's name and Auto Scaling group).
 */
function appliedState(planned: Json): Json {
  const instances: StateInstance[] = planned.planned_values.root_module.resources.map((r: Json) => {
    const values: Json = { ...r.values };
    const arn = (resource: string) => `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:${resource}`;
    if (r.type === "aws_lb_target_group") {
      const suffix = `targetgroup/${values.name}/0123456789abcdef`;
      Object.assign(values, { id: arn(suffix), arn: arn(suffix), arn_suffix: suffix, load_balancer_arns: [] });
    }
    if (r.type === "aws_launch_template") {
      Object.assign(values, { id: "lt-0123456789abcdef0", name: LAUNCH_TEMPLATE_NAME, latest_version: 1, default_version: 1, arn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:launch-template/lt-0123456789abcdef0` });
    }
    if (r.type === "aws_eks_node_group") {
      const name = `${values.node_group_name_prefix}20261201`;
      Object.assign(values, {
        id: `${values.cluster_name}:${name}`,
        node_group_name: name,
        arn: `arn:aws:eks:eu-west-1:${ACCOUNT}:nodegroup/${values.cluster_name}/${name}/1a2b3c4d`,
        status: "ACTIVE",
        capacity_type: "ON_DEMAND",
        disk_size: 0,
        release_version: "1.33.0-20261201",
        launch_template: values.launch_template.map((t: Json) => ({ ...t, id: "lt-0123456789abcdef0", name: LAUNCH_TEMPLATE_NAME, version: "1" })),
        resources: [{ autoscaling_groups: [{ name: OLD_ASG }], remote_access_security_group_id: "" }],
      });
    }
    return { address: `${r.type}.${r.name}`, schemaVersion: r.schema_version, attributes: values };
  });
  const addressOf = (type: string) => instances.filter((i) => i.address.startsWith(`${type}.`)).map((i) => i.address);
  const withDependencies = (i: StateInstance, dependencies: string[]): StateInstance => ({ ...i, dependencies: dependencies.sort() });
  // Attachments: their group is the node group's, known once it exists.
  for (const instance of instances.filter((i) => i.address.startsWith("aws_autoscaling_attachment."))) {
    const tg = instances.find((i) => i.address.startsWith("aws_lb_target_group.") && instance.address.includes(i.address.split(".")[1].replace(/_[0-9A-F]{8}$/, "")))!;
    Object.assign(instance.attributes, { id: `${OLD_ASG}-${tg.attributes.name}`, autoscaling_group_name: OLD_ASG, lb_target_group_arn: tg.attributes.arn });
  }
  // What apply records with each instance (the resources it referred to, through other ones too):
  // it orders destroying the old objects.
  return stateFile(
    instances.map((i) => {
      if (i.address.startsWith("aws_eks_node_group.")) return withDependencies(i, addressOf("aws_launch_template"));
      if (i.address.startsWith("aws_autoscaling_attachment.")) {
        const tg = instances.find((t) => t.address.startsWith("aws_lb_target_group.") && t.attributes.arn === i.attributes.lb_target_group_arn)!;
        return withDependencies(i, [...addressOf("aws_eks_node_group"), ...addressOf("aws_launch_template"), tg.address]);
      }
      return i;
    }),
  );
}

/** `type.name` of the resource changes of the plan whose type is `type`. */
const changesOf = (plan: Json, type: string) => plan.resource_changes.filter((c: Json) => c.type === type);

/** The edges of a DOT graph, as `from -> to` pairs of node labels without the `[root] ` prefix. */
function edges(dot: string): [string, string][] {
  return [...dot.matchAll(/"\[root\] ([^"]+)" -> "\[root\] ([^"]+)"/g)].map((m) => [m[1], m[2]]);
}

/** Whether `from` (transitively) waits for `to` in the apply graph: `to` runs first. */
function runsAfter(graph: [string, string][], from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const node = stack.pop()!;
    for (const [a, b] of graph) {
      if (a !== node || seen.has(b)) continue;
      if (b === to) return true;
      seen.add(b);
      stack.push(b);
    }
  }
  return false;
}

const { tools, test: withTerraform } = terraformForTests("node-group replacement plan");

describe("real Terraform, offline: an instance-type change over a state holding the old node group", () => {
  let terraform: OfflineTerraform | undefined;
  let plan: Json;
  let withoutCreateBeforeDestroy: Json;
  let graph: [string, string][] = [];
  let output = "";
  const before = synthAll(examplePlatform())["platform-prod"];
  const after = synthAll(
    examplePlatform((d) => {
      const prod = d.environments.find((e: Json) => e.name === "prod");
      prod.cluster = { ...prod.cluster, nodeInstanceTypes: ["m7i.large", "m6i.large"] };
    }),
  )["platform-prod"];

  beforeAll(async () => {
    if (!tools) return;
    terraform = new OfflineTerraform(tools);
    const first = await terraform.planWithDetail(focus(before), stateFile([]));
    if (!first.json) throw new Error(`the first plan failed:\n${first.output}`);
    const replaced = await terraform.planWithDetail(focus(after), appliedState(first.json), { graph: true });
    output = replaced.output;
    if (!replaced.json) throw new Error(`the instance-type plan failed:\n${replaced.output}`);
    plan = replaced.json;
    graph = edges(replaced.graph!);
    // The control: the same plan with the attachment's create_before_destroy taken away.
    const control = focus(after);
    for (const body of Object.values<Json>(control.resource.aws_autoscaling_attachment)) delete body.lifecycle;
    withoutCreateBeforeDestroy = (await terraform.planWithDetail(control, appliedState(first.json))).json;
  }, 600_000); // seven Terraform commands, each starting the provider: minutes on a busy machine
  afterAll(() => terraform?.dispose());

  test("the change is what the platform file says: prod's node instance types", () => {
    const types = (stack: Json) => Object.values<Json>(stack.resource.aws_eks_node_group)[0].instance_types;
    expect(types(before)).toEqual(["m6i.large"]);
    expect(types(after)).toEqual(["m7i.large", "m6i.large"]);
  });

  withTerraform("the plan replaces the node group create-before-destroy, because of the instance types", () => {
    const [nodeGroup] = changesOf(plan, "aws_eks_node_group");
    expect(changesOf(plan, "aws_eks_node_group")).toHaveLength(1);
    expect(nodeGroup.change.actions).toEqual(["create", "delete"]);
    expect(nodeGroup.change.replace_paths).toEqual([["instance_types"]]);
    expect(nodeGroup.change.before.resources[0].autoscaling_groups[0].name).toBe(OLD_ASG);
    expect(nodeGroup.change.after_unknown.resources).toBe(true);
    // The node group and the two attachments (the app's target group and its canary's: prod releases through a canary).
    expect(output).toMatch(/Plan: 3 to add, 0 to change, 3 to destroy\./);
  });

  withTerraform("every app's attachment is replaced create-before-destroy: the new group is attached before the old one is detached", () => {
    const attachments = changesOf(plan, "aws_autoscaling_attachment");
    expect(attachments.map((a: Json) => a.address.replace(/_[0-9A-F]{8}$/, ""))).toEqual(["aws_autoscaling_attachment.Canary-hello_NodeGroupAttachment", "aws_autoscaling_attachment.Targets-hello_NodeGroupAttachment"]);
    for (const attachment of attachments) {
      expect(attachment.change.actions).toEqual(["create", "delete"]);
      expect(attachment.change.before.autoscaling_group_name).toBe(OLD_ASG);
      // The new attachment names the new node group's Auto Scaling group, known once it exists.
      expect(attachment.change.after_unknown.autoscaling_group_name).toBe(true);
      expect(attachment.change.after.lb_target_group_arn).toBe(attachment.change.before.lb_target_group_arn);
    }
    // Without its own create_before_destroy, Terraform would detach the old group first: the
    // target group would be empty until the new attachment exists.
    expect(changesOf(withoutCreateBeforeDestroy, "aws_autoscaling_attachment").map((a: Json) => a.change.actions)).toEqual([
      ["delete", "create"],
      ["delete", "create"],
    ]);
  });

  withTerraform("the target groups stay as they are: the listeners of the app stacks keep forwarding to the same ARN", () => {
    const groups = changesOf(plan, "aws_lb_target_group");
    expect(groups.map((g: Json) => [g.change.before.name, g.change.actions])).toEqual([
      ["hello-prod-cn", ["no-op"]],
      ["hello-prod-np", ["no-op"]],
    ]);
    expect(changesOf(plan, "aws_launch_template").map((c: Json) => c.change.actions)).toEqual([["no-op"]]);
  });

  withTerraform("apply order: new node group, new attachment, old attachment removed, old node group deleted; no moment without an attachment", () => {
    const nodeGroup = changesOf(plan, "aws_eks_node_group")[0].address;
    const attachment = changesOf(plan, "aws_autoscaling_attachment")[0].address;
    const node = (address: string, deposed: boolean) => {
      const found = [...new Set(graph.flat())].filter((n) => n.startsWith(`${address} `) || n === address).filter((n) => /destroy deposed/.test(n) === deposed && !/\(expand\)|\(close\)/.test(n));
      expect({ address, deposed, found: found.length }).toEqual({ address, deposed, found: 1 });
      return found[0];
    };
    const newGroup = node(nodeGroup, false);
    const oldGroup = node(nodeGroup, true);
    const newAttachment = node(attachment, false);
    const oldAttachment = node(attachment, true);
    expect(runsAfter(graph, newAttachment, newGroup)).toBe(true);
    expect(runsAfter(graph, oldAttachment, newAttachment)).toBe(true);
    expect(runsAfter(graph, oldGroup, oldAttachment)).toBe(true);
    // And never the other way round.
    expect(runsAfter(graph, newAttachment, oldAttachment)).toBe(false);
    expect(runsAfter(graph, newGroup, oldGroup)).toBe(false);
  });
});
