/** KubernetesWorkload's integration-test template: the CronJob the pipeline runs the app's integration tests from. */
import { TerraformStack, Testing } from "cdktf";
import { KubernetesWorkload, KubernetesWorkloadProps } from "../../constructs/kubernetes-workload";
import { expectValidationError } from "../support/synthesized";
import { WORKLOAD_PROPS } from "../support/workload";

type Json = Record<string, any>;

const BASE: KubernetesWorkloadProps = {
  ...WORKLOAD_PROPS,
  env: { LOG_LEVEL: "info" },
  secretEnv: { DATABASE_URL: "postgresql://x" },
  migrateCommand: "python -m migrate",
};
const WITH_TESTS: Partial<KubernetesWorkloadProps> = { integrationTestCommand: "python -m pytest -q tests/integration", integrationTestUrl: "https://shop.example.com" };

function build(overrides: Partial<KubernetesWorkloadProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const workload = new KubernetesWorkload(stack, "Workload", { ...BASE, ...overrides });
  return { workload, tf: JSON.parse(Testing.synth(stack)) as Json };
}

function cronJob(tf: Json, name: string): Json {
  const found = Object.values<Json>(tf.resource.kubernetes_cron_job_v1 ?? {}).find((c) => c.metadata.name === name);
  expect(found).toBeDefined();
  return found!;
}

describe("KubernetesWorkload integration-test template", () => {
  test("a suspended CronJob next to the migration's: the app's image and hardening, APP_URL and nothing of the app's configuration", () => {
    const { workload, tf } = build(WITH_TESTS);
    expect(workload.integrationTestTemplateName).toBe("shop-integration-test");
    const template = cronJob(tf, "shop-integration-test");
    const migrate = cronJob(tf, "shop-migrate");
    expect(template.spec).toMatchObject({ suspend: true, schedule: migrate.spec.schedule, concurrency_policy: "Forbid" });
    expect(template.lifecycle).toEqual({ ignore_changes: ["spec[0].job_template[0].spec[0].template[0].spec[0].container[0].image"] });
    expect(template.spec.job_template.spec).toMatchObject({ backoff_limit: 0, active_deadline_seconds: 600, ttl_seconds_after_finished: "86400" });
    const pod = template.spec.job_template.spec.template.spec;
    const migratePod = migrate.spec.job_template.spec.template.spec;
    for (const field of ["security_context", "automount_service_account_token", "enable_service_links", "volume", "restart_policy"]) {
      expect(pod[field]).toEqual(migratePod[field]);
    }
    // The app's service account, not the migration's own (which is the schema owner's identity).
    expect(pod.service_account_name).toMatch(/Workload_ServiceAccount_[0-9A-F]{8}/);
    const [container, ...others] = pod.container;
    expect(others).toEqual([]);
    expect(container).toMatchObject({ name: "integration-test", image: BASE.image, command: ["/bin/sh", "-c", "python -m pytest -q tests/integration"] });
    expect(container.env).toEqual([{ name: "APP_URL", value: "https://shop.example.com" }]);
    // No DATABASE_URL, no ConfigMap: the tests see the app as its users do.
    expect(container.env_from).toBeUndefined();
    for (const field of ["security_context", "resources", "volume_mount"]) expect(container[field]).toEqual(migratePod.container[0][field]);
  });

  test("its pods may reach HTTPS on public addresses only; they are no load-balancer target", () => {
    const { tf } = build(WITH_TESTS);
    const policies = Object.values<Json>(tf.resource.kubernetes_network_policy_v1);
    const egress = policies.find((p) => p.metadata.name === "shop-integration-test-egress")!;
    const labels = cronJob(tf, "shop-integration-test").spec.job_template.spec.template.metadata.labels;
    expect(labels).toMatchObject(egress.spec.pod_selector.match_labels);
    expect(egress.spec.policy_types).toEqual(["Egress"]);
    const appEgress = policies.find((p) => p.metadata.name === "shop-egress")!;
    expect(egress.spec.egress).toEqual([
      appEgress.spec.egress[0],
      { to: [{ ip_block: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] } }], ports: [{ port: "443", protocol: "TCP" }] },
    ]);
    expect(appEgress.spec.egress[0].ports).toEqual([{ port: "53", protocol: "UDP" }, { port: "53", protocol: "TCP" }]);
    // Not the app's pods: neither its ingress nor its egress (database) policy selects them, nor
    // anything else that selects `app.kubernetes.io/name: shop` (the pods' security group).
    expect(labels).toEqual({
      "app.kubernetes.io/name": "shop-integration-test",
      "app.kubernetes.io/part-of": "shop",
      "app.kubernetes.io/component": "integration-test",
      "app.kubernetes.io/managed-by": "terraform",
    });
    for (const name of ["shop-ingress", "shop-egress"]) {
      const selector = policies.find((p) => p.metadata.name === name)!.spec.pod_selector.match_labels;
      expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
    }
  });

  test("without integrationTestCommand: no template, no policy", () => {
    const { workload, tf } = build();
    expect(workload.integrationTestTemplateName).toBeUndefined();
    expect(Object.values<Json>(tf.resource.kubernetes_cron_job_v1).map((c) => c.metadata.name)).toEqual(["shop-migrate"]);
    expect(Object.values<Json>(tf.resource.kubernetes_network_policy_v1).map((p) => p.metadata.name)).not.toContain("shop-integration-test-egress");
  });

  test("a list runs without a shell; integrationTestTimeoutSeconds bounds the Job", () => {
    const { tf } = build({ ...WITH_TESTS, integrationTestCommand: ["pytest", "-q"], integrationTestTimeoutSeconds: 120 });
    const template = cronJob(tf, "shop-integration-test");
    expect(template.spec.job_template.spec.active_deadline_seconds).toBe(120);
    expect(template.spec.job_template.spec.template.spec.container[0].command).toEqual(["pytest", "-q"]);
  });

  test("fails when the command is empty, the URL is missing or not https://<domain>, or the timeout is not a whole number", () => {
    expectValidationError(() => build({ ...WITH_TESTS, integrationTestCommand: " " }), "test/Workload", "integrationTestCommand", /non-empty shell command/);
    expectValidationError(() => build({ ...WITH_TESTS, integrationTestCommand: ["pytest", ""] }), "test/Workload", "integrationTestCommand", /non-empty list/);
    expectValidationError(() => build({ integrationTestCommand: "pytest" }), "test/Workload", "integrationTestUrl", /https:\/\/<domain>/);
    expectValidationError(() => build({ ...WITH_TESTS, integrationTestUrl: "http://shop.example.com" }), "test/Workload", "integrationTestUrl", /https:\/\/<domain>/);
    expectValidationError(() => build({ ...WITH_TESTS, integrationTestUrl: "https://shop.example.com/health" }), "test/Workload", "integrationTestUrl", /without a path/);
    expectValidationError(() => build({ ...WITH_TESTS, integrationTestTimeoutSeconds: 1.5 }), "test/Workload", "integrationTestTimeoutSeconds", /whole number of seconds/);
  });
});
