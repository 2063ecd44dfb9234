/**
 * Canary releases, AWS and Kubernetes side, on the synthesized example platform (prod's profile
 * runs a canary, dev and staging roll out all at once): the platform-file rollout and its
 * validation, the second target group, the weighted listener Terraform never moves, the canary
 * Deployment and Service beside unchanged stable selectors, the deploy role's statements and the
 * GitHub environment variables.
 */
import { stringify } from "yaml";
import { CANARY_WEIGHTS_PATH } from "../../constructs/load-balancer";
import { TRACK_LABEL } from "../../constructs/kubernetes-workload";
import { appInEnvironment, defaultCanaryNodePort, defaultNodePort, parsePlatform, PROFILE_DEFAULTS } from "../../platform/model";
import { Testing } from "cdktf";
import { CANARY_RULES, evaluate } from "../../policy";
import { buildPlatform } from "../../stacks";
import { exampleDocument, examplePlatform, resourceAt, resourcesByPath, synthAll, problemsAfter } from "../support/platform";

type Json = any;

const platform = examplePlatform();
const stacks = synthAll(platform);
const prod = stacks["hello-prod"];
const dev = stacks["hello-dev"];
const CANARY_PORT = defaultCanaryNodePort("hello");

/** The problems of the example document after `change`, as `path: message` with their lines. */

describe("the platform file's rollout", () => {
  test("production's profile default is a canary of 10% then 50%, five minutes each; development's all-at-once", () => {
    expect(PROFILE_DEFAULTS.production.environment.rollout).toEqual({ strategy: "canary", steps: [{ weight: 10, minutes: 5 }, { weight: 50, minutes: 5 }] });
    expect(PROFILE_DEFAULTS.development.environment.rollout).toEqual({ strategy: "all-at-once", steps: [] });
    expect(platform.environments.map((e) => [e.name, e.rollout.strategy])).toEqual([
      ["dev", "all-at-once"],
      ["staging", "all-at-once"],
      ["prod", "canary"],
    ]);
    expect(platform.environments[2].rollout.steps).toEqual([{ weight: 10, minutes: 5 }, { weight: 50, minutes: 5 }]);
  });

  test("an environment's own rollout, and an app's override for one environment", () => {
    const p = examplePlatform((d) => {
      d.environments[1].rollout = { strategy: "canary" };
      d.environments[2].rollout = { strategy: "canary", steps: [{ weight: 5, minutes: 10 }, { weight: 25, minutes: 10 }, { weight: 75, minutes: 5 }] };
      d.apps[0].overrides.dev = { rollout: { strategy: "canary", steps: [{ weight: 50, minutes: 1 }] } };
    });
    // No steps given: the default steps.
    expect(p.environments[1].rollout).toEqual({ strategy: "canary", steps: [{ weight: 10, minutes: 5 }, { weight: 50, minutes: 5 }] });
    expect(appInEnvironment(p.apps[0], p.environments[2]).rollout.steps).toEqual([{ weight: 5, minutes: 10 }, { weight: 25, minutes: 10 }, { weight: 75, minutes: 5 }]);
    expect(appInEnvironment(p.apps[0], p.environments[0]).rollout).toEqual({ strategy: "canary", steps: [{ weight: 50, minutes: 1 }] });
    const optedOut = examplePlatform((d) => (d.apps[0].overrides.prod.rollout = { strategy: "all-at-once" }));
    expect(appInEnvironment(optedOut.apps[0], optedOut.environments[2]).rollout).toEqual({ strategy: "all-at-once", steps: [] });
  });

  test.each<[string, (d: Json) => void, string, RegExp]>([
    ["weights that do not increase", (d) => (d.environments[2].rollout = { strategy: "canary", steps: [{ weight: 50, minutes: 5 }, { weight: 20, minutes: 5 }] }), "environments[2].rollout.steps[1].weight", /weight 20 is not above the step before \(50\): each step's weight must be strictly greater, from 1 to 99/],
    ["a weight of 100", (d) => (d.environments[2].rollout = { strategy: "canary", steps: [{ weight: 100, minutes: 5 }] }), "environments[2].rollout.steps[0].weight", /received number 100; expected at most 99/],
    ["a step of 61 minutes", (d) => (d.environments[2].rollout = { strategy: "canary", steps: [{ weight: 10, minutes: 61 }] }), "environments[2].rollout.steps[0].minutes", /received number 61; expected at most 60/],
    ["six steps", (d) => (d.environments[2].rollout = { strategy: "canary", steps: [1, 2, 3, 4, 5, 6].map((weight) => ({ weight, minutes: 1 })) }), "environments[2].rollout.steps", /expected at most 5/],
    ["steps without a canary", (d) => (d.environments[0].rollout = { strategy: "all-at-once", steps: [{ weight: 10, minutes: 5 }] }), "environments[0].rollout.steps", /steps need strategy: canary/],
    ["an unknown strategy", (d) => (d.environments[0].rollout = { strategy: "blue-green" }), "environments[0].rollout.strategy", /expected one of: "all-at-once", "canary"/],
    ["an app override whose weights do not increase", (d) => (d.apps[0].overrides.prod.rollout = { strategy: "canary", steps: [{ weight: 30, minutes: 5 }, { weight: 30, minutes: 5 }] }), "apps[0].overrides.prod.rollout.steps[1].weight", /weight 30 is not above the step before \(30\)/],
    ["a pinned canary node port taken by another app", (d) => { d.apps[0].canaryNodePort = 30555; d.apps.push({ ...d.apps[0], name: "api", nodePort: 30555, canaryNodePort: undefined, overrides: {}, domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.acme.example" } }); }, "apps[0].canaryNodePort", /canary node port 30555 is also "api"'s: set a distinct canaryNodePort/],
  ])("fails on %s, naming file, line and path", (_what, change, at, message) => {
    const error = problemsAfter(change);
    const problem = error.problems.find((p) => p.path === at);
    expect(problem).toBeDefined();
    expect(problem!.message).toMatch(message);
    expect(problem!.line).toBeGreaterThan(0);
    expect(error.message).toContain(`bad.yaml:${problem!.line}:${problem!.column}: ${at}: `);
  });
});

test("a derived canary or preview-router port steps past a port another app takes; a platform of 100 apps needs no port by hand", () => {
  const api = (nodePort: number) => ({ name: "api", port: 8080, healthPath: "/healthz", test: "true", nodePort, domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.acme.example" } });
  const doc = exampleDocument();
  doc.apps.push(api(CANARY_PORT));
  const hello = parsePlatform(stringify(doc), "two.yaml").apps[0];
  expect(hello.canaryNodePort).not.toBe(CANARY_PORT);
  expect(hello.canaryNodePort).toBe(defaultNodePort("hello.canary#1"));
  // Appending an app never moves the ports of those before it.
  const alone = parsePlatform(stringify(exampleDocument()), "one.yaml").apps[0];
  const many = exampleDocument();
  for (let i = 0; i < 100; i++) many.apps.push({ ...api(30000 + i), name: `app${String(i).padStart(3, "0")}`, domains: { dev: `a${i}.dev.acme.example`, staging: `a${i}.staging.acme.example`, prod: `a${i}.acme.example` } });
  const apps = parsePlatform(stringify(many), "many.yaml").apps;
  expect([apps[0].canaryNodePort, apps[0].previews!.routerNodePort]).toEqual([alone.canaryNodePort, alone.previews!.routerNodePort]);
  const ports = apps.flatMap((a) => [a.nodePort, a.canaryNodePort, a.previews!.routerNodePort]);
  expect(new Set(ports).size).toBe(ports.length);
});

test("the synth summary's line of a canary environment states its steps", () => {
  const built = buildPlatform(Testing.app(), platform);
  const line = (name: string) => built.stacks.find((s) => s.stackName === name)!.description;
  expect(line("hello-prod")).toContain(", bake 5 min, canary 10% 5 min → 50% 5 min");
  expect(line("hello-dev")).not.toContain("canary");
});

describe("platform-prod: a canary target group beside the stable one", () => {
  const groups = resourcesByPath(stacks["platform-prod"], "aws_lb_target_group");

  test("<app>-<env>-cn on the canary NodePort, with the stable group's health check and drain", () => {
    const stable = resourceAt(stacks["platform-prod"], "aws_lb_target_group", "Targets-hello/Resource");
    const canary = resourceAt(stacks["platform-prod"], "aws_lb_target_group", "Canary-hello/Resource");
    expect(canary.name).toBe("hello-prod-cn");
    expect(canary.port).toBe(CANARY_PORT);
    expect(canary.port).not.toBe(stable.port);
    expect(canary.target_type).toBe("instance");
    expect(canary.protocol).toBe("HTTP");
    expect(canary.vpc_id).toBe(stable.vpc_id);
    expect(canary.deregistration_delay).toBe(stable.deregistration_delay);
    expect(canary.health_check).toEqual(stable.health_check);
    expect(canary.tags).toEqual({ "slipway:app": "hello", "slipway:track": "canary", Name: "hello-prod-cn" });
    expect(Object.keys(groups).sort()).toEqual(["platform-prod/Canary-hello/Resource", "platform-prod/Targets-hello/Resource"]);
  });

  test("attached to the node group's Auto Scaling group create-before-destroy, like the stable group", () => {
    const attachment = resourceAt(stacks["platform-prod"], "aws_autoscaling_attachment", "Canary-hello/NodeGroupAttachment");
    const stable = resourceAt(stacks["platform-prod"], "aws_autoscaling_attachment", "Targets-hello/NodeGroupAttachment");
    expect(attachment.autoscaling_group_name).toBe(stable.autoscaling_group_name);
    expect(attachment.lb_target_group_arn).toMatch(/^\$\{aws_lb_target_group\.Canary-hello_[0-9A-F]{8}\.arn\}$/);
    expect(attachment.lifecycle).toEqual({ create_before_destroy: true });
  });

  test("an all-at-once environment has no canary group", () => {
    expect(Object.keys(resourcesByPath(stacks["platform-dev"], "aws_lb_target_group")).filter((p) => p.includes("Canary"))).toEqual([]);
    expect(Object.keys(resourcesByPath(stacks["platform-dev"], "aws_lb_target_group"))).toContain("platform-dev/Targets-hello/Resource");
  });
});

describe("hello-prod: the HTTPS listener forwards with weights Terraform never moves", () => {
  const listener = resourceAt(prod, "aws_lb_listener", "LoadBalancer/HttpsListener");

  test("a weighted forward, stable 100 and canary 0, to the two groups of platform-prod", () => {
    expect(listener.default_action).toEqual([
      {
        type: "forward",
        forward: {
          target_group: [
            { arn: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.cross-stack-output-aws_lb_target_groupTargets-hello_[0-9A-F]{8}arn\}$/), weight: 100 },
            { arn: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.cross-stack-output-aws_lb_target_groupCanary-hello_[0-9A-F]{8}arn\}$/), weight: 0 },
          ],
        },
      },
    ]);
    expect(listener.default_action[0].target_group_arn).toBeUndefined();
    expect(listener.lifecycle).toEqual({ ignore_changes: [CANARY_WEIGHTS_PATH] });
    expect(CANARY_WEIGHTS_PATH).toBe("default_action[0].forward[0].target_group");
  });

  test("all-at-once keeps today's listener: one forward target, nothing ignored", () => {
    const plain = resourceAt(dev, "aws_lb_listener", "LoadBalancer/HttpsListener");
    expect(plain.default_action).toEqual([{ type: "forward", target_group_arn: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-dev\.outputs\.cross-stack-output-aws_lb_target_groupTargets-hello_[0-9A-F]{8}arn\}$/) }]);
    expect(plain.lifecycle).toBeUndefined();
  });

  test("the load balancer reaches the canary NodePort too, and only it besides the stable one", () => {
    const egress = resourceAt(prod, "aws_vpc_security_group_egress_rule", "LoadBalancer/CanaryEgressToTargets");
    const ingress = resourceAt(prod, "aws_vpc_security_group_ingress_rule", "LoadBalancer/CanaryTargetIngressFromLoadBalancer");
    const stableEgress = resourceAt(prod, "aws_vpc_security_group_egress_rule", "LoadBalancer/EgressToTargets");
    expect([egress.from_port, egress.to_port, egress.ip_protocol]).toEqual([CANARY_PORT, CANARY_PORT, "tcp"]);
    expect(egress.security_group_id).toBe(stableEgress.security_group_id);
    expect(egress.referenced_security_group_id).toBe(stableEgress.referenced_security_group_id);
    expect(egress.description).toBe("Requests and health checks to the canary target NodePort");
    expect(egress.tags).toEqual({ Name: "hello-prod-alb-to-canary-targets" });
    expect([ingress.from_port, ingress.to_port]).toEqual([CANARY_PORT, CANARY_PORT]);
    expect(ingress.security_group_id).toBe(stableEgress.referenced_security_group_id);
    expect(ingress.referenced_security_group_id).toBe(stableEgress.security_group_id);
    expect(ingress.tags).toEqual({ Name: "hello-prod-targets-canary-from-alb" });
    expect(Object.keys(resourcesByPath(dev, "aws_vpc_security_group_egress_rule")).filter((p) => p.includes("Canary"))).toEqual([]);
  });
});

describe("hello-prod: the canary Deployment and Service beside the stable ones", () => {
  const stable = resourceAt(prod, "kubernetes_deployment_v1", "Workload/Resource");
  const canary = resourceAt(prod, "kubernetes_deployment_v1", "Workload/CanaryDeployment");
  const service = resourceAt(prod, "kubernetes_service_v1", "Workload/CanaryService");
  const stableService = resourceAt(prod, "kubernetes_service_v1", "Workload/Service");

  test("the stable selectors stay as they were (a Deployment's selector is immutable); stable pods get track=stable", () => {
    expect(stable.spec.selector.match_labels).toEqual({ "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "server" });
    expect(stableService.spec.selector).toEqual({ "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "server" });
    expect(stable.spec.template.metadata.labels).toEqual({ "app.kubernetes.io/name": "hello", "app.kubernetes.io/managed-by": "terraform", "app.kubernetes.io/component": "server", [TRACK_LABEL]: "stable" });
    const devStable = resourceAt(dev, "kubernetes_deployment_v1", "Workload/Resource");
    expect(devStable.spec.template.metadata.labels[TRACK_LABEL]).toBeUndefined();
    expect(resourcesByPath(dev, "kubernetes_deployment_v1")["hello-dev/Workload/CanaryDeployment"]).toBeUndefined();
  });

  test("hello-canary: the same pod spec, 0 replicas at rest, its own selector that stable pods never match", () => {
    expect(canary.metadata.name).toBe("hello-canary");
    expect(canary.metadata.namespace).toBe(stable.metadata.namespace);
    expect(canary.spec.replicas).toBe("0");
    expect(canary.spec.selector.match_labels).toEqual({ "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "canary" });
    expect(canary.spec.template.metadata.labels).toEqual({ "app.kubernetes.io/name": "hello", "app.kubernetes.io/managed-by": "terraform", "app.kubernetes.io/component": "canary", [TRACK_LABEL]: "canary" });
    expect(canary.spec.template.metadata.annotations).toEqual(stable.spec.template.metadata.annotations);
    // Same containers, probes, volumes and security; spread computed over the canary's own pods.
    const { topology_spread_constraint: canarySpread, ...canarySpec } = canary.spec.template.spec;
    const { topology_spread_constraint: stableSpread, ...stableSpec } = stable.spec.template.spec;
    expect(canarySpec).toEqual(stableSpec);
    expect(canarySpread.map((c: Json) => c.label_selector[0].match_labels)).toEqual([canary.spec.selector.match_labels, canary.spec.selector.match_labels]);
    expect(canarySpread.map((c: Json) => c.topology_key)).toEqual(stableSpread.map((c: Json) => c.topology_key));
    expect(canary.lifecycle).toEqual({ ignore_changes: ["spec[0].template[0].spec[0].container[0].image", "spec[0].replicas"] });
    expect(canary.wait_for_rollout).toBe(false);
  });

  test("its own NodePort Service on the canary port, selecting canary pods only", () => {
    expect(service.metadata.name).toBe("hello-canary");
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "canary" });
    expect(service.spec.external_traffic_policy).toBe("Cluster");
    expect(service.spec.port).toEqual([{ name: "http", port: 80, target_port: "http", node_port: CANARY_PORT, protocol: "TCP" }]);
  });

  test("canary pods admit requests from the nodes on the container port, as stable pods do", () => {
    const policy = resourceAt(prod, "kubernetes_network_policy_v1", "Workload/CanaryIngressPolicy");
    const stablePolicy = resourceAt(prod, "kubernetes_network_policy_v1", "Workload/IngressPolicy");
    expect(policy.spec.pod_selector).toEqual({ match_labels: { "app.kubernetes.io/name": "hello", "app.kubernetes.io/component": "canary" } });
    expect(policy.spec.policy_types).toEqual(["Ingress"]);
    expect(policy.spec.ingress).toEqual(stablePolicy.spec.ingress);
  });

  test("the deploy Role may patch and scale hello-canary, and scale nothing else", () => {
    const role = resourceAt(prod, "kubernetes_role_v1", "Workload/DeployRole");
    expect(role.rule[0]).toEqual({ api_groups: ["apps"], resources: ["deployments"], resource_names: ["hello", "hello-canary"], verbs: ["get", "list", "watch", "patch"] });
    expect(role.rule[1]).toEqual({ api_groups: ["apps"], resources: ["deployments/scale"], resource_names: ["hello-canary"], verbs: ["patch"] });
    const devRole = resourceAt(dev, "kubernetes_role_v1", "Workload/DeployRole");
    expect(devRole.rule.filter((r: Json) => r.resources.includes("deployments/scale"))).toEqual([]);
  });
});

describe("hello-prod: what the deploy role may do for a canary, and the variables it reads", () => {
  const policy = JSON.parse(resourceAt(prod, "aws_iam_role_policy", "DeployRole/Policy-canary-release").policy);

  test("modify only this app's HTTPS listener (by ARN), read metrics (GetMetricData has no resource-level permissions)", () => {
    expect(policy.Statement).toEqual([
      { Sid: "ShiftCanaryWeights", Effect: "Allow", Action: "elasticloadbalancing:ModifyListener", Resource: expect.stringMatching(/^\$\{aws_lb_listener\.LoadBalancer_HttpsListener_[0-9A-F]{8}\.arn\}$/) },
      { Sid: "ReadCanaryMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" },
    ]);
    const alarms = JSON.parse(resourceAt(prod, "aws_iam_role_policy", "DeployRole/Policy-watch-alarms").policy);
    expect(alarms.Statement[0].Action).toBe("cloudwatch:DescribeAlarms");
    expect(alarms.Statement[0].Resource.every((arn: string) => /^\$\{aws_cloudwatch_metric_alarm\./.test(arn))).toBe(true);
    expect(resourcesByPath(dev, "aws_iam_role_policy")["hello-dev/DeployRole/Policy-canary-release"]).toBeUndefined();
  });

  test("the listener and target groups reach the workflow as GitHub environment variables of prod only", () => {
    const variables = Object.fromEntries(Object.values<Json>(prod.resource.github_actions_environment_variable).map((v) => [v.variable_name, v.value]));
    expect(variables.CANARY_LISTENER_ARN).toMatch(/^\$\{aws_lb_listener\.LoadBalancer_HttpsListener_[0-9A-F]{8}\.arn\}$/);
    expect(variables.STABLE_TARGET_GROUP_ARN).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.cross-stack-output-aws_lb_target_groupTargets-hello_[0-9A-F]{8}arn\}$/);
    expect(variables.CANARY_TARGET_GROUP_ARN).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.cross-stack-output-aws_lb_target_groupCanary-hello_[0-9A-F]{8}arn\}$/);
    const devVariables = Object.values<Json>(dev.resource.github_actions_environment_variable).map((v) => v.variable_name);
    expect(devVariables.filter((n) => n.startsWith("CANARY_") || n.startsWith("STABLE_"))).toEqual([]);
  });

  test("the deliver workflow runs the canary in prod with the app's alarm thresholds there", () => {
    const deliver = Object.values<Json>(stacks["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/workflows/deliver.yml");
    const yaml = String(deliver.content);
    const thresholds = appInEnvironment(platform.apps[0], platform.environments[2]).alarmThresholds;
    expect(yaml).toContain(`CANARY_MAX_5XX_PERCENT: "${thresholds.target5xxPercent}"`);
    expect(yaml).toContain(`CANARY_MAX_P99_MS: "${thresholds.p99LatencyMs}"`);
    expect(yaml).toContain("CANARY_STEPS: 10:5 50:5");
    expect(yaml.match(/CANARY_STEPS:/g)).toHaveLength(1);
  });

  test("policy: the example passes SLW-CAN-001/002; a weighted listener without ignore_changes, or created with traffic on the canary, does not", () => {
    const run = (json: Json) => evaluate([{ name: "hello-prod", production: true, json }], { rules: CANARY_RULES }).findings.map((f) => `${f.rule.id} ${f.path}: ${f.message}`);
    expect(run(prod)).toEqual([]);
    const broken = JSON.parse(JSON.stringify(prod));
    const [name] = Object.entries<Json>(broken.resource.aws_lb_listener).find(([, l]) => l.lifecycle)!;
    delete broken.resource.aws_lb_listener[name].lifecycle;
    broken.resource.aws_lb_listener[name].default_action[0].forward.target_group[1].weight = 50;
    expect(run(broken)).toEqual([
      'SLW-CAN-001 hello-prod/LoadBalancer/HttpsListener: default_action[0] forwards to 2 weighted target groups, and ignore_changes is []',
      "SLW-CAN-002 hello-prod/LoadBalancer/HttpsListener: default_action[0] weights are [100,50]: expected [100, 0]",
    ]);
    expect(run(dev)).toEqual([]);
  });
});
