import { createHash } from "node:crypto";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { KubernetesWorkload, KubernetesWorkloadProps } from "../../constructs/kubernetes-workload";
import { SlipwayValidationError } from "../../constructs/util";
import { expectValidationError } from "../support/synthesized";
import { WORKLOAD_PROPS } from "../support/workload";

type Json = Record<string, any>;

const BASE: KubernetesWorkloadProps = { ...WORKLOAD_PROPS, ingressFromCidrs: ["10.20.128.0/21", "10.20.136.0/21"] };

const SERVER_LABELS = { "app.kubernetes.io/name": "shop", "app.kubernetes.io/component": "server" };
const NAMESPACE_REF = "${kubernetes_namespace_v1.Workload_Namespace_B295A28A.metadata[0].name}";

function build(overrides: Partial<KubernetesWorkloadProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const workload = new KubernetesWorkload(stack, "Workload", { ...BASE, ...overrides });
  return { stack, workload, synth: () => JSON.parse(Testing.synth(stack)) as Json };
}

function synth(overrides: Partial<KubernetesWorkloadProps> = {}): Json {
  return build(overrides).synth();
}

/** All resources of a Terraform type, in synth order. */
function all(tf: Json, type: string): Json[] {
  return Object.values(tf.resource[type] ?? {});
}

/** The one resource of a type. */
function one(tf: Json, type: string): Json {
  const found = all(tf, type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The network policy with Kubernetes name `name`. */
function policy(tf: Json, name: string): Json {
  const found = all(tf, "kubernetes_network_policy_v1").find((p) => p.metadata.name === name);
  expect(found).toBeDefined();
  return found!;
}

function podSpec(tf: Json): Json {
  return one(tf, "kubernetes_deployment_v1").spec.template.spec;
}

function appContainer(tf: Json): Json {
  const containers = podSpec(tf).container;
  expect(containers).toHaveLength(1);
  return containers[0];
}

function migrationPodSpec(tf: Json): Json {
  return one(tf, "kubernetes_cron_job_v1").spec.job_template.spec.template.spec;
}

function countByType(tf: Json): Record<string, number> {
  return Object.fromEntries(Object.entries(tf.resource as Json).map(([type, byName]) => [type, Object.keys(byName).length]));
}

/** Asserts `fn` fails validation naming the construct path, the field and what is accepted. */
function expectInvalid(overrides: Partial<KubernetesWorkloadProps>, field: string, accepted: string | RegExp): void {
  expectValidationError(() => synth(overrides), "test/Workload", field, accepted);
}

const POD_SECURITY_CONTEXT = {
  run_as_non_root: true,
  run_as_user: "10001",
  run_as_group: "10001",
  fs_group: "10001",
  seccomp_profile: { type: "RuntimeDefault" },
};
const CONTAINER_SECURITY_CONTEXT = {
  allow_privilege_escalation: false,
  privileged: false,
  read_only_root_filesystem: true,
  run_as_non_root: true,
  capabilities: { drop: ["ALL"] },
  seccomp_profile: { type: "RuntimeDefault" },
};

describe("KubernetesWorkload", () => {
  test("secure defaults", () => {
    const tf = synth();

    expect(countByType(tf)).toEqual({
      kubernetes_namespace_v1: 1,
      kubernetes_service_account_v1: 1,
      kubernetes_config_map_v1: 1,
      kubernetes_deployment_v1: 1,
      kubernetes_service_v1: 1,
      kubernetes_horizontal_pod_autoscaler_v2: 1,
      kubernetes_pod_disruption_budget_v1: 1,
      kubernetes_network_policy_v1: 3,
    });

    // The namespace enforces, audits and warns on the restricted Pod Security Standard.
    expect(one(tf, "kubernetes_namespace_v1").metadata).toEqual({
      name: "shop",
      labels: {
        "app.kubernetes.io/name": "shop",
        "app.kubernetes.io/managed-by": "terraform",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    });

    // No Kubernetes API token, no AWS role.
    const serviceAccount = one(tf, "kubernetes_service_account_v1");
    expect(serviceAccount.automount_service_account_token).toBe(false);
    expect(serviceAccount.metadata).toMatchObject({ name: "shop", namespace: NAMESPACE_REF });
    expect(serviceAccount.metadata.annotations).toBeUndefined();

    // The Deployment: created with the bootstrap image, then owned by the pipeline and the autoscaler.
    const deployment = one(tf, "kubernetes_deployment_v1");
    expect(deployment.metadata).toMatchObject({ name: "shop", namespace: NAMESPACE_REF });
    expect(deployment.wait_for_rollout).toBe(false);
    expect(deployment.lifecycle).toEqual({
      ignore_changes: ["spec[0].template[0].spec[0].container[0].image", "spec[0].replicas"],
    });
    expect(deployment.spec).toMatchObject({
      replicas: "2",
      revision_history_limit: 10,
      selector: { match_labels: SERVER_LABELS },
      strategy: { type: "RollingUpdate", rolling_update: { max_unavailable: "0", max_surge: "25%" } },
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(SERVER_LABELS);

    // The pod: non-root, seccomp, no token, no service links, spread over zones and nodes, /tmp only.
    const pod = podSpec(tf);
    expect(pod.security_context).toEqual(POD_SECURITY_CONTEXT);
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.enable_service_links).toBe(false);
    expect(pod.service_account_name).toBe("${kubernetes_service_account_v1.Workload_ServiceAccount_E689C2B4.metadata[0].name}");
    // The preStop delay (45 s) and the app's 30 s after SIGTERM: drain-timing.test.ts checks the sum.
    expect(pod.termination_grace_period_seconds).toBe(75);
    // Zones a requirement (a pod waits for a node rather than pile into one zone), nodes a preference.
    expect(pod.topology_spread_constraint).toEqual(
      [
        ["topology.kubernetes.io/zone", "DoNotSchedule"],
        ["kubernetes.io/hostname", "ScheduleAnyway"],
      ].map(([topologyKey, whenUnsatisfiable]) => ({
        topology_key: topologyKey,
        max_skew: 1,
        when_unsatisfiable: whenUnsatisfiable,
        label_selector: [{ match_labels: SERVER_LABELS }],
        match_label_keys: ["pod-template-hash"],
      })),
    );
    expect(pod.volume).toEqual([{ name: "tmp", empty_dir: { size_limit: "64Mi" } }]);
    expect(pod.host_network).toBeUndefined();
    expect(pod.host_pid).toBeUndefined();

    // The container: hardened, sized, probed, configured from the ConfigMap and Secret.
    const container = appContainer(tf);
    expect(container.name).toBe("app");
    expect(container.image).toBe(BASE.image);
    expect(container.port).toEqual([{ name: "http", container_port: 8080, protocol: "TCP" }]);
    expect(container.security_context).toEqual(CONTAINER_SECURITY_CONTEXT);
    expect(container.resources).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    });
    expect(container.volume_mount).toEqual([{ name: "tmp", mount_path: "/tmp" }]);
    const httpGet = { path: "/healthz", port: "http" };
    expect(container.startup_probe).toEqual({ http_get: httpGet, period_seconds: 5, failure_threshold: 30, timeout_seconds: 3 });
    expect(container.readiness_probe).toEqual({ http_get: httpGet, period_seconds: 5, failure_threshold: 2, timeout_seconds: 3, success_threshold: 1 });
    expect(container.lifecycle).toEqual({ pre_stop: [{ exec: { command: ["/bin/sh", "-c", "sleep 45"] } }] });
    expect(container.liveness_probe).toEqual({ http_get: httpGet, period_seconds: 20, failure_threshold: 3, timeout_seconds: 3 });
    expect(container.env_from).toEqual([
      { config_map_ref: { name: "${kubernetes_config_map_v1.Workload_Config_7E1DA780.metadata[0].name}" } },
    ]);
    expect(container.env).toBeUndefined();

    // NodePort Service every node forwards to any ready pod through (nodes without a pod serve too).
    expect(one(tf, "kubernetes_service_v1")).toMatchObject({
      metadata: { name: "shop", namespace: NAMESPACE_REF },
      spec: {
        type: "NodePort",
        external_traffic_policy: "Cluster",
        selector: SERVER_LABELS,
        port: [{ name: "http", port: 80, target_port: "http", node_port: 30080, protocol: "TCP" }],
      },
    });

    // CPU autoscaling of the Deployment between min and max.
    expect(one(tf, "kubernetes_horizontal_pod_autoscaler_v2").spec).toEqual({
      min_replicas: 2,
      max_replicas: 6,
      scale_target_ref: { api_version: "apps/v1", kind: "Deployment", name: "${kubernetes_deployment_v1.Workload_692FF5F4.metadata[0].name}" },
      metric: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", average_utilization: 70 } } }],
    });

    // One pod at a time may be evicted.
    expect(one(tf, "kubernetes_pod_disruption_budget_v1").spec).toEqual({
      max_unavailable: "1",
      selector: { match_labels: SERVER_LABELS },
    });

    // Everything in the namespace is denied, then the load balancer's subnets and DNS are allowed.
    expect(policy(tf, "default-deny").spec).toEqual({ pod_selector: {}, policy_types: ["Ingress", "Egress"] });
    expect(policy(tf, "default-deny").metadata.namespace).toBe(NAMESPACE_REF);
    expect(policy(tf, "shop-ingress").spec).toEqual({
      pod_selector: { match_labels: SERVER_LABELS },
      policy_types: ["Ingress"],
      ingress: [
        {
          from: [{ ip_block: { cidr: "10.20.128.0/21" } }, { ip_block: { cidr: "10.20.136.0/21" } }],
          ports: [{ port: "8080", protocol: "TCP" }],
        },
      ],
    });
    expect(policy(tf, "shop-egress").spec).toEqual({
      pod_selector: { match_labels: { "app.kubernetes.io/name": "shop" } },
      policy_types: ["Egress"],
      egress: [
        {
          to: [
            {
              namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } },
              pod_selector: { match_labels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { port: "53", protocol: "UDP" },
            { port: "53", protocol: "TCP" },
          ],
        },
      ],
    });

    // Empty configuration, and no migration template.
    expect(one(tf, "kubernetes_config_map_v1")).toMatchObject({ metadata: { name: "shop-config", namespace: NAMESPACE_REF }, data: {} });
    // No secretEnv, no Secret (a read-only plan may not read one) and no secretRef to it.
    expect(tf.resource.kubernetes_secret_v1).toBeUndefined();
    expect(JSON.stringify(tf.resource.kubernetes_deployment_v1)).not.toContain("secret_ref");
    expect(tf.resource.kubernetes_cron_job_v1).toBeUndefined();
  });

  test("every namespaced object lives in the workload's namespace", () => {
    const tf = synth();
    for (const [type, byName] of Object.entries(tf.resource as Json)) {
      if (type === "kubernetes_namespace_v1") continue;
      for (const resource of Object.values(byName as Json)) expect(resource.metadata.namespace).toBe(NAMESPACE_REF);
    }
  });

  test("namespace names the namespace; attributes reference it", () => {
    const { workload, synth: synthesize } = build({ namespace: "shop-prod" });
    const tf = synthesize();
    expect(one(tf, "kubernetes_namespace_v1").metadata.name).toBe("shop-prod");
    expect(one(tf, "kubernetes_deployment_v1").metadata.name).toBe("shop");
    expect(workload.deploymentName).toBe("shop");
  });

  test("env fills the ConfigMap and rolls pods when it changes", () => {
    const env = { LOG_LEVEL: "info", FEATURE_X: "on" };
    const tf = synth({ env });
    expect(one(tf, "kubernetes_config_map_v1").data).toEqual(env);
    // A hash of the sorted configuration, never the values.
    const expected = createHash("sha256").update(JSON.stringify({ FEATURE_X: "on", LOG_LEVEL: "info" })).digest("hex");
    const annotations = one(tf, "kubernetes_deployment_v1").spec.template.metadata.annotations;
    expect(annotations).toEqual({ "slipway.dev/config-sha256": expected });
    expect(JSON.stringify(annotations)).not.toContain("info");

    const changed = synth({ env: { ...env, LOG_LEVEL: "debug" } });
    expect(one(changed, "kubernetes_deployment_v1").spec.template.metadata.annotations["slipway.dev/config-sha256"]).not.toBe(expected);
    // Key order does not matter.
    const reordered = synth({ env: { FEATURE_X: "on", LOG_LEVEL: "info" } });
    expect(one(reordered, "kubernetes_deployment_v1").spec.template.metadata.annotations["slipway.dev/config-sha256"]).toBe(expected);
  });

  test("secretEnv fills the Secret (references allowed) and never leaks into metadata", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const password = new TerraformVariable(stack, "password", { type: "string", sensitive: true });
    new KubernetesWorkload(stack, "Workload", {
      ...BASE,
      secretEnv: { DATABASE_URL: `postgres://app:${password.stringValue}@db:5432/app`, API_KEY: "s3cr3t-value" },
    });
    const tf = JSON.parse(Testing.synth(stack));
    const secret = one(tf, "kubernetes_secret_v1");
    expect(secret.data).toEqual({ DATABASE_URL: "postgres://app:${var.password}@db:5432/app", API_KEY: "s3cr3t-value" });
    expect(appContainer(tf).env_from[1]).toEqual({ secret_ref: { name: "${kubernetes_secret_v1.Workload_Secrets_CAC18A16.metadata[0].name}" } });
    // Only the Secret's data carries the values.
    const withoutSecretData = JSON.stringify({ ...tf, resource: { ...tf.resource, kubernetes_secret_v1: { x: { ...secret, data: {} } } } });
    expect(withoutSecretData).not.toContain("s3cr3t-value");
    expect(withoutSecretData).not.toContain("var.password");
    expect(tf.output).toBeUndefined();
  });

  test("externalSecrets: an empty Secret Terraform never reverts, read key by key (not optional) by the app and the migration", () => {
    const tf = synth({ externalSecrets: ["SESSION_KEY", "STRIPE_KEY"], migrateCommand: ["npm", "run", "migrate"] });
    const secrets = all(tf, "kubernetes_secret_v1");
    const external = secrets.find((s) => s.metadata.name === "shop-external");
    expect(external).toMatchObject({ type: "Opaque", lifecycle: { ignore_changes: ["data", "binary_data"] } });
    expect(external!.data).toBeUndefined();
    const expected = ["SESSION_KEY", "STRIPE_KEY"].map((key) => ({ name: key, value_from: { secret_key_ref: { name: expect.stringMatching(/^\$\{kubernetes_secret_v1\.Workload_ExternalSecrets_[0-9A-F]+\.metadata\[0\]\.name\}$/), key, optional: false } } }));
    expect(appContainer(tf).env).toEqual(expected);
    expect(migrationPodSpec(tf).container[0].env).toEqual(expected);
  });

  test("no externalSecrets: no external Secret and no env entries", () => {
    const tf = synth();
    expect(all(tf, "kubernetes_secret_v1").map((s) => s.metadata.name)).toEqual([]);
    expect(appContainer(tf).env).toBeUndefined();
  });

  test("cpu, cpuLimit and memory size the pods", () => {
    expect(appContainer(synth({ cpu: "500m", memory: "1Gi" })).resources).toEqual({
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(appContainer(synth({ cpu: "1.5" })).resources.limits.cpu).toBe("3");
    expect(appContainer(synth({ cpu: "0.3" })).resources.limits.cpu).toBe("600m");
    expect(appContainer(synth({ cpu: "250m", cpuLimit: "250m" })).resources).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "250m", memory: "256Mi" },
    });
  });

  test("replicas set the initial size, the autoscaler's bounds and the PDB stays at one", () => {
    const tf = synth({ replicas: { min: 1, max: 1 } });
    expect(one(tf, "kubernetes_deployment_v1").spec.replicas).toBe("1");
    expect(one(tf, "kubernetes_horizontal_pod_autoscaler_v2").spec).toMatchObject({ min_replicas: 1, max_replicas: 1 });
    expect(one(tf, "kubernetes_pod_disruption_budget_v1").spec.max_unavailable).toBe("1");
  });

  test("zoneSpread: required refuses a zone two pods ahead (DoNotSchedule), preferred only tries; nodes stay a preference; never minDomains", () => {
    const constraints = (zoneSpread?: "required" | "preferred") =>
      Object.fromEntries((podSpec(synth(zoneSpread ? { zoneSpread } : {})).topology_spread_constraint as Json[]).map((c) => [c.topology_key, c]));
    for (const [zoneSpread, zoneRule] of [
      [undefined, "DoNotSchedule"],
      ["required", "DoNotSchedule"],
      ["preferred", "ScheduleAnyway"],
    ] as const) {
      const byKey = constraints(zoneSpread);
      expect(Object.keys(byKey)).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
      expect(byKey["topology.kubernetes.io/zone"]).toMatchObject({ when_unsatisfiable: zoneRule, max_skew: 1, label_selector: [{ match_labels: SERVER_LABELS }] });
      expect(byKey["kubernetes.io/hostname"]).toMatchObject({ when_unsatisfiable: "ScheduleAnyway", max_skew: 1 });
      // Zones without nodes never count: a zone outage must not cap the surviving zones.
      for (const c of Object.values<Json>(byKey)) expect(c.min_domains).toBeUndefined();
    }
  });

  test("targetCpuUtilizationPercent sets the autoscaler's target", () => {
    const tf = synth({ targetCpuUtilizationPercent: 50 });
    expect(one(tf, "kubernetes_horizontal_pod_autoscaler_v2").spec.metric[0].resource.target).toEqual({
      type: "Utilization",
      average_utilization: 50,
    });
  });

  test("port and healthPath set the container port, probes and ingress rule", () => {
    const tf = synth({ port: 3000, healthPath: "/api/health?deep=false" });
    const container = appContainer(tf);
    expect(container.port).toEqual([{ name: "http", container_port: 3000, protocol: "TCP" }]);
    for (const probe of ["startup_probe", "readiness_probe", "liveness_probe"]) {
      expect(container[probe].http_get).toEqual({ path: "/api/health?deep=false", port: "http" });
    }
    expect(policy(tf, "shop-ingress").spec.ingress[0].ports).toEqual([{ port: "3000", protocol: "TCP" }]);
  });

  test("nodePort and ingressFromCidrs set the Service's node port and ingress sources", () => {
    const tf = synth({ nodePort: 32767, ingressFromCidrs: ["192.168.0.0/24"] });
    expect(one(tf, "kubernetes_service_v1").spec.port[0].node_port).toBe(32767);
    expect(policy(tf, "shop-ingress").spec.ingress[0].from).toEqual([{ ip_block: { cidr: "192.168.0.0/24" } }]);
  });

  test("databaseEgress allows the database's subnets on its port", () => {
    const tf = synth({ databaseEgress: { cidrs: ["10.20.0.0/19", "10.20.32.0/19"], port: 5432 } });
    const egress = policy(tf, "shop-egress").spec.egress;
    expect(egress).toHaveLength(2);
    expect(egress[1]).toEqual({
      to: [{ ip_block: { cidr: "10.20.0.0/19" } }, { ip_block: { cidr: "10.20.32.0/19" } }],
      ports: [{ port: "5432", protocol: "TCP" }],
    });
  });

  test("extraEgress adds one rule per destination, TCP unless told", () => {
    const tf = synth({
      databaseEgress: { cidrs: ["10.20.0.0/19"], port: 5432 },
      extraEgress: [
        { cidr: "0.0.0.0/0", port: 443 },
        { cidr: "10.30.0.0/16", port: 514, protocol: "UDP" },
      ],
    });
    const egress = policy(tf, "shop-egress").spec.egress;
    expect(egress).toHaveLength(4);
    expect(egress[0].ports).toEqual([
      { port: "53", protocol: "UDP" },
      { port: "53", protocol: "TCP" },
    ]);
    expect(egress.slice(2)).toEqual([
      { to: [{ ip_block: { cidr: "0.0.0.0/0" } }], ports: [{ port: "443", protocol: "TCP" }] },
      { to: [{ ip_block: { cidr: "10.30.0.0/16" } }], ports: [{ port: "514", protocol: "UDP" }] },
    ]);
  });

  test("serviceAccountRoleArn annotates the service account for IAM roles for service accounts", () => {
    const tf = synth({ serviceAccountRoleArn: "arn:aws:iam::123456789012:role/shop-prod" });
    const serviceAccount = one(tf, "kubernetes_service_account_v1");
    expect(serviceAccount.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/shop-prod" });
    // EKS projects its own token for the role: the API token stays unmounted.
    expect(serviceAccount.automount_service_account_token).toBe(false);
    expect(podSpec(tf).automount_service_account_token).toBe(false);
  });

  test("automountServiceAccountToken opts in to the Kubernetes API token", () => {
    const tf = synth({ automountServiceAccountToken: true, migrateCommand: "migrate" });
    expect(all(tf, "kubernetes_service_account_v1").map((a: Json) => [a.metadata.name, a.automount_service_account_token])).toEqual([
      ["shop-migrate", true],
      ["shop", true],
    ]);
    expect(podSpec(tf).automount_service_account_token).toBe(true);
    expect(migrationPodSpec(tf).automount_service_account_token).toBe(true);
  });

  test("migrateCommand creates a suspended CronJob template with the app's security and configuration", () => {
    const { workload, synth: synthesize } = build({ migrateCommand: "npm run migrate", env: { LOG_LEVEL: "info" } });
    const tf = synthesize();
    expect(workload.migrationTemplateName).toBe("shop-migrate");
    const cronJob = one(tf, "kubernetes_cron_job_v1");
    expect(cronJob.metadata).toMatchObject({ name: "shop-migrate", namespace: NAMESPACE_REF });
    expect(cronJob.spec).toMatchObject({ suspend: true, schedule: "0 0 31 2 *", concurrency_policy: "Forbid" });
    expect(cronJob.lifecycle).toEqual({
      ignore_changes: ["spec[0].job_template[0].spec[0].template[0].spec[0].container[0].image"],
    });
    expect(cronJob.spec.job_template.spec).toMatchObject({ backoff_limit: 0, active_deadline_seconds: 900, ttl_seconds_after_finished: "86400" });

    const pod = migrationPodSpec(tf);
    const app = podSpec(tf);
    expect(pod.restart_policy).toBe("Never");
    expect(pod.security_context).toEqual(POD_SECURITY_CONTEXT);
    for (const field of ["security_context", "automount_service_account_token", "enable_service_links", "volume"]) {
      expect(pod[field]).toEqual(app[field]);
    }
    // Its own service account (so its own Pod Identity): the schema owner's rights are never the server's.
    expect(pod.service_account_name).toBe("${kubernetes_service_account_v1.Workload_MigrationServiceAccount_0C6EE0CC.metadata[0].name}");
    expect(all(tf, "kubernetes_service_account_v1").find((a: Json) => a.metadata.name === "shop-migrate")).toMatchObject({ automount_service_account_token: false });
    expect(pod.container).toHaveLength(1);
    const container = pod.container[0];
    expect(container).toMatchObject({ name: "migrate", image: BASE.image, command: ["/bin/sh", "-c", "npm run migrate"] });
    expect(container.security_context).toEqual(CONTAINER_SECURITY_CONTEXT);
    for (const field of ["env_from", "resources", "volume_mount", "security_context"]) {
      expect(container[field]).toEqual(appContainer(tf)[field]);
    }
    expect(container.readiness_probe).toBeUndefined();

    // Migration pods are not load-balancer targets, but reach DNS and the database.
    const labels = cronJob.spec.job_template.spec.template.metadata.labels;
    expect(labels).toMatchObject({ "app.kubernetes.io/name": "shop", "app.kubernetes.io/component": "migrate" });
    expect(labels).toMatchObject(policy(tf, "shop-egress").spec.pod_selector.match_labels);
    expect(labels["app.kubernetes.io/component"]).not.toBe(policy(tf, "shop-ingress").spec.pod_selector.match_labels["app.kubernetes.io/component"]);
  });

  test("migrateCommand as a list runs without a shell; migrateTimeoutSeconds bounds the Job", () => {
    const tf = synth({ migrateCommand: ["./bin/migrate", "up"], migrateTimeoutSeconds: 3600 });
    expect(migrationPodSpec(tf).container[0].command).toEqual(["./bin/migrate", "up"]);
    expect(one(tf, "kubernetes_cron_job_v1").spec.job_template.spec.active_deadline_seconds).toBe(3600);
  });

  test("grantDeploy: a Role in the namespace holding exactly the pipeline's needs, rule by rule, bound to the group", () => {
    const { workload, synth: synthesize } = build({ migrateCommand: "npm run migrate" });
    workload.grantDeploy("slipway-deploy:shop-prod");
    const tf = synthesize();
    const role = one(tf, "kubernetes_role_v1");
    expect(role.metadata).toMatchObject({ name: "shop-deploy", namespace: NAMESPACE_REF });
    const [deployments, replicasets, pods, logs, cronjobs, jobs, ...more] = role.rule;
    expect(more).toEqual([]);
    // set image, rollout status (list/watch by a metadata.name field selector) and rollout undo, on this Deployment only.
    expect(deployments).toEqual({ api_groups: ["apps"], resources: ["deployments"], resource_names: ["shop"], verbs: ["get", "list", "watch", "patch"] });
    // rollout undo reads the previous revision from the ReplicaSets (generated names): read only.
    expect(replicasets).toEqual({ api_groups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] });
    expect(pods).toEqual({ api_groups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] });
    expect(logs).toEqual({ api_groups: [""], resources: ["pods/log"], verbs: ["get"] });
    // The migration template only: set image, and read by create job --from.
    expect(cronjobs).toEqual({ api_groups: ["batch"], resources: ["cronjobs"], resource_names: ["shop-migrate"], verbs: ["get", "patch"] });
    // Jobs are named per run: created and read, never deleted or patched.
    expect(jobs).toEqual({ api_groups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch"] });
    expect(workload.deployRules).toHaveLength(6);

    const binding = one(tf, "kubernetes_role_binding_v1");
    expect(binding).toMatchObject({
      metadata: { name: "shop-deploy", namespace: NAMESPACE_REF },
      role_ref: { api_group: "rbac.authorization.k8s.io", kind: "Role", name: "${kubernetes_role_v1.Workload_DeployRole_EE7D2849.metadata[0].name}" },
      subject: [{ kind: "Group", name: "slipway-deploy:shop-prod", api_group: "rbac.authorization.k8s.io" }],
    });
    // Nothing in the rules names Secrets, exec, NetworkPolicies, RBAC or a wildcard.
    const text = JSON.stringify(role.rule);
    for (const word of ["secrets", "exec", "attach", "portforward", "networkpolicies", "rbac", "roles", "*", "delete", "update", "escalate", "bind", "impersonate"]) {
      expect(text).not.toContain(`"${word}`);
    }
  });

  test("grantDeploy without a migration: no CronJob or Job rights", () => {
    const { workload, synth: synthesize } = build();
    workload.grantDeploy("slipway-deploy:shop-dev");
    const resources = one(synthesize(), "kubernetes_role_v1").rule.map((rule: Json) => rule.resources[0]);
    expect(resources).toEqual(["deployments", "replicasets", "pods", "pods/log"]);
  });

  test("grantDeploy: another group joins the same binding", () => {
    const { workload, synth: synthesize } = build();
    const first = workload.grantDeploy("slipway-deploy:shop-dev");
    expect(workload.grantDeploy("ops-deployers")).toBe(first);
    const tf = synthesize();
    expect(countByType(tf)).toMatchObject({ kubernetes_role_v1: 1, kubernetes_role_binding_v1: 1 });
    expect(one(tf, "kubernetes_role_binding_v1").subject.map((s: Json) => s.name)).toEqual(["slipway-deploy:shop-dev", "ops-deployers"]);
  });

  test("exposes typed attributes for other constructs and the pipeline", () => {
    const { stack, workload } = build({ migrateCommand: "migrate", secretEnv: { API_KEY: "x" } });
    expect(workload.deploymentName).toBe("shop");
    expect(workload.containerName).toBe("app");
    expect(workload.serviceName).toBe("shop");
    expect(workload.serviceAccountName).toBe("shop");
    expect(workload.nodePort).toBe(30080);
    expect(workload.migrationTemplateName).toBe("shop-migrate");
    expect(build().workload.migrationTemplateName).toBeUndefined();
    new TerraformOutput(stack, "namespace", { value: workload.namespace });
    new TerraformOutput(stack, "deployment", { value: workload.deployment.metadata.name });
    new TerraformOutput(stack, "service", { value: workload.service.metadata.name });
    new TerraformOutput(stack, "config", { value: workload.configMap.metadata.name });
    new TerraformOutput(stack, "secret", { value: workload.secret!.metadata.name });
    new TerraformOutput(stack, "account", { value: workload.serviceAccount.metadata.name });
    new TerraformOutput(stack, "namespace_id", { value: workload.namespaceResource.id });
    const tf = JSON.parse(Testing.synth(stack));
    expect(tf.output.namespace.value).toBe(NAMESPACE_REF);
    expect(tf.output.deployment.value).toBe("${kubernetes_deployment_v1.Workload_692FF5F4.metadata[0].name}");
    expect(tf.output.service.value).toBe("${kubernetes_service_v1.Workload_Service_D15F4388.metadata[0].name}");
    expect(tf.output.config.value).toBe("${kubernetes_config_map_v1.Workload_Config_7E1DA780.metadata[0].name}");
    expect(tf.output.secret.value).toBe("${kubernetes_secret_v1.Workload_Secrets_CAC18A16.metadata[0].name}");
    expect(tf.output.account.value).toBe("${kubernetes_service_account_v1.Workload_ServiceAccount_E689C2B4.metadata[0].name}");
    expect(tf.output.namespace_id.value).toBe("${kubernetes_namespace_v1.Workload_Namespace_B295A28A.id}");
  });

  test("construct ids are stable", () => {
    const { workload } = build({ migrateCommand: "migrate", secretEnv: { API_KEY: "x" } });
    expect(workload.node.children.map((c) => c.node.id).sort()).toEqual(
      [
        "Autoscaler",
        "Config",
        "DefaultDenyPolicy",
        "DisruptionBudget",
        "EgressPolicy",
        "IngressPolicy",
        "MigrationServiceAccount",
        "MigrationTemplate",
        "Namespace",
        "Resource",
        "Secrets",
        "Service",
        "ServiceAccount",
      ].sort(),
    );
    expect(workload.deployment.node.id).toBe("Resource");
  });

  test("synthesizes deterministically", () => {
    const props = { env: { B: "2", A: "1" }, migrateCommand: "migrate", extraEgress: [{ cidr: "0.0.0.0/0", port: 443 }] };
    expect(Testing.synth(build(props).stack)).toBe(Testing.synth(build(props).stack));
  });

  test("accepts unresolved references and skips their validation", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const cidr = new TerraformVariable(stack, "cidr", { type: "string" });
    const dbCidr = new TerraformVariable(stack, "db_cidr", { type: "string" });
    const role = new TerraformVariable(stack, "role", { type: "string" });
    const level = new TerraformVariable(stack, "level", { type: "string" });
    const port = new TerraformVariable(stack, "port", { type: "number" });
    new KubernetesWorkload(stack, "Workload", {
      ...BASE,
      ingressFromCidrs: [cidr.stringValue],
      databaseEgress: { cidrs: [dbCidr.stringValue], port: port.numberValue },
      serviceAccountRoleArn: role.stringValue,
      env: { LOG_LEVEL: level.stringValue },
    });
    const tf = JSON.parse(Testing.synth(stack));
    expect(policy(tf, "shop-ingress").spec.ingress[0].from).toEqual([{ ip_block: { cidr: "${var.cidr}" } }]);
    expect(policy(tf, "shop-egress").spec.egress[1]).toEqual({
      to: [{ ip_block: { cidr: "${var.db_cidr}" } }],
      ports: [{ port: "${var.port}", protocol: "TCP" }],
    });
    expect(one(tf, "kubernetes_service_account_v1").metadata.annotations["eks.amazonaws.com/role-arn"]).toBe("${var.role}");
    // A reference in the configuration is hashed by Terraform.
    expect(one(tf, "kubernetes_deployment_v1").spec.template.metadata.annotations["slipway.dev/config-sha256"]).toMatch(
      /^\$\{sha256\(jsonencode\(.*var\.level.*\)\)\}$/s,
    );
  });

  describe("validation", () => {
    test("fails when grantDeploy gets a group EKS keeps, a malformed group or one already granted", () => {
      const { workload } = build();
      for (const group of ["system:masters", "eks:x", "aws:x", "amazon:x", "iam:x", "two words", ""]) {
        expect(() => workload.grantDeploy(group)).toThrow(SlipwayValidationError);
      }
      expectValidationError(() => workload.grantDeploy("system:masters"), "test/Workload", "grantDeploy.group", "not starting with system:");
      workload.grantDeploy("slipway-deploy:shop-dev");
      expectValidationError(() => workload.grantDeploy("slipway-deploy:shop-dev"), "test/Workload", "grantDeploy.group", "not yet granted");
    });

    test("fails when zoneSpread is neither required nor preferred", () => {
      expectInvalid({ zoneSpread: "always" as never }, "zoneSpread", "required or preferred");
    });

    test("fails when name is not a DNS label of at most 40 characters", () => {
      expectInvalid({ name: "Shop" }, "name", /DNS label of at most 40/);
      expectInvalid({ name: "1shop" }, "name", /starting with a letter/);
      expectInvalid({ name: "shop-" }, "name", /DNS label/);
      expectInvalid({ name: "a".repeat(41) }, "name", /at most 40/);
      expect(() => synth({ name: "a".repeat(40) })).not.toThrow();
    });

    test("fails when namespace is not a DNS label or is a system namespace", () => {
      expectInvalid({ namespace: "Shop_Prod" }, "namespace", /DNS label of at most 63/);
      expectInvalid({ namespace: "default" }, "namespace", /not 'default'/);
      expectInvalid({ namespace: "kube-system" }, "namespace", /'kube-'/);
    });

    test("fails when image has spaces or is empty", () => {
      expectInvalid({ image: "" }, "image", /container image reference/);
      expectInvalid({ image: "shop latest" }, "image", /without spaces/);
    });

    test("fails when port is out of range", () => {
      expectInvalid({ port: 0 }, "port", "from 1024 to 65535");
      expectInvalid({ port: 65536 }, "port", "from 1024 to 65535");
      expectInvalid({ port: 80.5 }, "port", "whole port number");
    });

    test("fails when healthPath is not a path", () => {
      expectInvalid({ healthPath: "healthz" }, "healthPath", /starting with '\/'/);
      expectInvalid({ healthPath: "/health check" }, "healthPath", /without spaces/);
    });

    test("fails when cpu is not a CPU quantity", () => {
      expectInvalid({ cpu: "250mi" }, "cpu", /CPU quantity such as 250m/);
      expectInvalid({ cpu: "0m" }, "cpu", /positive/);
      expectInvalid({ cpu: "-1" }, "cpu", /CPU quantity/);
      expectInvalid({ cpu: "0.0001" }, "cpu", /CPU quantity/);
    });

    test("fails when cpuLimit is not a CPU quantity or is below cpu", () => {
      expectInvalid({ cpuLimit: "lots" }, "cpuLimit", /CPU quantity/);
      expectInvalid({ cpu: "500m", cpuLimit: "250m" }, "cpuLimit", /at least cpu \(500m\)/);
    });

    test("fails when memory is not a memory quantity", () => {
      expectInvalid({ memory: "256m" }, "memory", /256Mi/);
      expectInvalid({ memory: "1 Gi" }, "memory", /memory quantity/);
      expectInvalid({ memory: "0Mi" }, "memory", /memory quantity/);
    });

    test("fails when replica min is above max or below 1", () => {
      expectInvalid({ replicas: { min: 4, max: 3 } }, "replicas.min", /at most replicas.max \(3\)/);
      expectInvalid({ replicas: { min: 0, max: 3 } }, "replicas.min", /at least 1/);
      expectInvalid({ replicas: { min: 1, max: 2.5 } }, "replicas.max", /whole number/);
    });

    test("fails when targetCpuUtilizationPercent is outside 1-100", () => {
      expectInvalid({ targetCpuUtilizationPercent: 0 }, "targetCpuUtilizationPercent", "from 1 to 100");
      expectInvalid({ targetCpuUtilizationPercent: 101 }, "targetCpuUtilizationPercent", "from 1 to 100");
    });

    test("fails when an env or secretEnv name is not a variable name, or is in both", () => {
      expectInvalid({ env: { "LOG-LEVEL": "info" } }, "env", /an environment variable name of letters/);
      expectInvalid({ secretEnv: { "1KEY": "x" } }, "secretEnv", /an environment variable name of letters/);
      expectInvalid({ env: { API_KEY: "a" }, secretEnv: { API_KEY: "b" } }, "secretEnv", /not also in env/);
      expectInvalid({ externalSecrets: ["bad-name"] }, "externalSecrets[0]", /environment variable name/);
      expectInvalid({ externalSecrets: ["A_KEY", "A_KEY"] }, "externalSecrets[1]", /names listed once/);
      expectInvalid({ env: { API_KEY: "a" }, externalSecrets: ["API_KEY"] }, "externalSecrets[0]", /neither env nor secretEnv/);
    });

    test("fails when nodePort is out of range", () => {
      expectInvalid({ nodePort: 29999 }, "nodePort", "30000 to 32767");
      expectInvalid({ nodePort: 32768 }, "nodePort", "30000 to 32767");
      expectInvalid({ nodePort: 80 }, "nodePort", "NodePort range");
    });

    test("fails when a CIDR is invalid", () => {
      expectInvalid({ ingressFromCidrs: ["10.20.128.0/33"] }, "ingressFromCidrs[0]", /IPv4 CIDR/);
      expectInvalid({ ingressFromCidrs: ["10.20.128.0/21", "subnet-a"] }, "ingressFromCidrs[1]", /IPv4 CIDR/);
      expectInvalid({ ingressFromCidrs: ["10.20.128.1/21"] }, "ingressFromCidrs[0]", /no host bits/);
      expectInvalid({ ingressFromCidrs: ["0.0.0.0/0"] }, "ingressFromCidrs[0]", /not the whole internet/);
      expectInvalid({ ingressFromCidrs: [] }, "ingressFromCidrs", /at least one/);
      expectInvalid({ databaseEgress: { cidrs: ["10.0.0.0/8", "300.0.0.0/8"], port: 5432 } }, "databaseEgress.cidrs[1]", /IPv4 CIDR/);
      expectInvalid({ databaseEgress: { cidrs: [], port: 5432 } }, "databaseEgress.cidrs", /at least one/);
      expectInvalid({ extraEgress: [{ cidr: "api.example.com", port: 443 }] }, "extraEgress[0].cidr", /IPv4 CIDR/);
    });

    test("fails when a CIDR list is only known at plan (one ip_block per CIDR is written at synth)", () => {
      for (const field of ["ingressFromCidrs", "databaseEgress.cidrs"]) {
        const stack = new TerraformStack(Testing.app(), "test");
        const cidrs = new TerraformVariable(stack, "cidrs", { type: "list(string)" }).listValue;
        const props: Partial<KubernetesWorkloadProps> =
          field === "ingressFromCidrs" ? { ingressFromCidrs: cidrs } : { databaseEgress: { cidrs, port: 5432 } };
        let error: unknown;
        try {
          new KubernetesWorkload(stack, "Workload", { ...BASE, ...props });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SlipwayValidationError);
        const validation = error as SlipwayValidationError;
        expect(validation.path).toBe("test/Workload");
        expect(validation.field).toBe(field);
        expect(validation.accepted).toMatch(/known at synth/);
        expect(validation.message.startsWith(`test/Workload: ${field} `)).toBe(true);
      }
    });

    test("fails when an egress port or protocol is invalid", () => {
      expectInvalid({ databaseEgress: { cidrs: ["10.0.0.0/8"], port: 0 } }, "databaseEgress.port", "from 1 to 65535");
      expectInvalid({ extraEgress: [{ cidr: "0.0.0.0/0", port: 70000 }] }, "extraEgress[0].port", "from 1 to 65535");
      expectInvalid({ extraEgress: [{ cidr: "0.0.0.0/0", port: 443, protocol: "ICMP" as "TCP" }] }, "extraEgress[0].protocol", "TCP or UDP");
    });

    test("fails when serviceAccountRoleArn is not an IAM role ARN", () => {
      expectInvalid({ serviceAccountRoleArn: "shop-prod" }, "serviceAccountRoleArn", /IAM role ARN/);
      expectInvalid({ serviceAccountRoleArn: "arn:aws:iam::123456789012:user/deploy" }, "serviceAccountRoleArn", /IAM role ARN/);
    });

    test("fails when migrateCommand is empty or migrateTimeoutSeconds is not positive", () => {
      expectInvalid({ migrateCommand: "  " }, "migrateCommand", /non-empty/);
      expectInvalid({ migrateCommand: [] }, "migrateCommand", /non-empty/);
      expectInvalid({ migrateCommand: ["migrate", ""] }, "migrateCommand", /non-empty/);
      expectInvalid({ migrateCommand: "migrate", migrateTimeoutSeconds: 0 }, "migrateTimeoutSeconds", /at least 1/);
    });
  });
});

describe("secretStore (Secrets Manager secrets through the Secrets Store CSI driver)", () => {
  const STORE = {
    region: "eu-west-1",
    secretIds: { API_KEY: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/shop/prod/API_KEY-AbCdEf", SESSION_KEY: "slipway/shop/prod/SESSION_KEY" },
  };
  const tf = synth({ secretStore: STORE, migrateCommand: "./migrate" });
  const spc = one(tf, "kubernetes_manifest");

  test("a SecretProviderClass in the namespace: AWS provider, Pod Identity, one object per secret aliased to its name, synced to <name>-app-secrets", () => {
    expect(spc.manifest).toMatchObject({
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: "shop-app-secrets", namespace: NAMESPACE_REF },
    });
    expect(spc.manifest.spec.provider).toBe("aws");
    expect(spc.manifest.spec.parameters.region).toBe("eu-west-1");
    expect(spc.manifest.spec.parameters.usePodIdentity).toBe("true");
    expect(JSON.parse(spc.manifest.spec.parameters.objects)).toEqual([
      { objectName: STORE.secretIds.API_KEY, objectType: "secretsmanager", objectAlias: "API_KEY" },
      { objectName: STORE.secretIds.SESSION_KEY, objectType: "secretsmanager", objectAlias: "SESSION_KEY" },
    ]);
    expect(spc.manifest.spec.secretObjects).toEqual([
      { secretName: "shop-app-secrets", type: "Opaque", data: [{ objectName: "API_KEY", key: "API_KEY" }, { objectName: "SESSION_KEY", key: "SESSION_KEY" }] },
    ]);
  });

  for (const [what, podSpec, container] of [
    ["app", (t: Json) => one(t, "kubernetes_deployment_v1").spec.template.spec, "app"],
    ["migration", (t: Json) => one(t, "kubernetes_cron_job_v1").spec.job_template.spec.template.spec, "migrate"],
  ] as const) {
    test(`the ${what} pods mount the secrets read-only at /var/run/secrets/app and read each as a variable, not optional`, () => {
      const spec = podSpec(tf);
      expect(spec.volume).toContainEqual({ name: "app-secrets", csi: { driver: "secrets-store.csi.k8s.io", read_only: true, volume_attributes: { secretProviderClass: "shop-app-secrets" } } });
      const c = spec.container[0];
      expect(c.name).toBe(container);
      expect(c.volume_mount).toContainEqual({ name: "app-secrets", mount_path: "/var/run/secrets/app", read_only: true });
      expect(c.env).toEqual([
        ...["API_KEY", "SESSION_KEY"].map((key) => ({ name: key, value_from: { secret_key_ref: { name: "shop-app-secrets", key, optional: false } } })),
        { name: "API_KEY_FILE", value: "/var/run/secrets/app/API_KEY" },
        { name: "SESSION_KEY_FILE", value: "/var/run/secrets/app/SESSION_KEY" },
      ]);
    });
  }

  test("pods are created after the SecretProviderClass they mount", () => {
    const address = `kubernetes_manifest.${Object.keys(tf.resource.kubernetes_manifest)[0]}`;
    expect(one(tf, "kubernetes_deployment_v1").depends_on).toEqual([address]);
    expect(one(tf, "kubernetes_cron_job_v1").depends_on).toEqual([address]);
  });

  test("no secret values anywhere, and no store without secrets", () => {
    expect(JSON.stringify(tf)).not.toMatch(/secret_string/);
    const none = synth({ secretStore: { region: "eu-west-1", secretIds: {} } });
    expect(none.resource.kubernetes_manifest).toBeUndefined();
    expect(one(none, "kubernetes_deployment_v1").spec.template.spec.volume.map((v: Json) => v.name)).toEqual(["tmp"]);
  });

  test("fails when a secret's name is also a plain variable", () => {
    expectValidationError(
      () => synth({ env: { API_KEY: "x" }, secretStore: STORE }),
      "test/Workload",
      "secretStore.secretIds",
      "in none of env, secretEnv, externalSecrets and the other secrets",
    );
  });

  test("fails when a secret's <NAME>_FILE variable is taken", () => {
    expectValidationError(
      () => synth({ env: { API_KEY_FILE: "/x" }, secretStore: STORE }),
      "test/Workload",
      "secretStore.secretIds",
      "whose API_KEY_FILE variable is in none of env",
    );
    expectValidationError(
      () => synth({ secretStore: { region: "eu-west-1", secretIds: { TOKEN: "a", TOKEN_FILE: "b" } } }),
      "test/Workload",
      "secretStore.secretIds",
      "whose TOKEN_FILE variable is in none of",
    );
  });

  test("fails when a secret's name is not an environment variable name", () => {
    expectValidationError(() => synth({ secretStore: { region: "eu-west-1", secretIds: { "api-key": "x" } } }), "test/Workload", "secretStore.secretIds", "an environment variable name");
  });
});
