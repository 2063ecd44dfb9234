/** DeliveryPipeline's static-asset and integration-test props: what reaches the workflow, and what is refused. */
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { DeliveryPipeline, DeliveryPipelineProps, PIPELINE_WORKFLOW_PATHS, staticAssetsPrefix } from "../../constructs/delivery-pipeline";
import { expectValidationError } from "../support/synthesized";

const BASE: DeliveryPipelineProps = {
  appName: "hello",
  testCommand: "npm test",
  healthPath: "/healthz",
  repository: { name: "hello" },
  environments: [{ name: "dev" }],
};

function deployJob(overrides: Partial<DeliveryPipelineProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  const pipeline = new DeliveryPipeline(stack, "Pipeline", { ...BASE, ...overrides });
  return parse(pipeline.workflows[PIPELINE_WORKFLOW_PATHS.deliver]).jobs["deploy-dev"];
}

describe("DeliveryPipeline static assets and integration tests", () => {
  test("staticPathPattern: the folder the assets are published under, a literal of the job's env", () => {
    expect(deployJob().env.ASSETS_PREFIX).toBe("static/");
    expect(deployJob({ staticPathPattern: "/assets/v2/*" }).env.ASSETS_PREFIX).toBe("assets/v2/");
    // The scripts are the same text whatever the folder.
    const scripts = (job: any) => job.steps.map((s: any) => s.run ?? "");
    expect(scripts(deployJob({ staticPathPattern: "/assets/v2/*" }))).toEqual(scripts(deployJob()));
  });

  test("staticAssetsPrefix refuses patterns that are not one folder", () => {
    for (const pattern of ["/*", "/static*", "static/*", "/static/*.css", "/../x/*", "/a b/*"]) {
      expect(() => staticAssetsPrefix(pattern)).toThrow(/expected a folder pattern such as \/static\/\*/);
    }
  });

  test("fails when staticPathPattern is not a folder pattern", () => {
    expectValidationError(() => deployJob({ staticPathPattern: "/static*" }), "test/Pipeline", "staticPathPattern", /folder pattern/);
  });

  test("integrationTestCommand switches the step on; the command itself never enters the workflow", () => {
    const job = deployJob({ integrationTestCommand: "pytest -q tests/integration", integrationTestTemplateName: "hello-it" });
    expect(job.env.INTEGRATION_TEST_TEMPLATE).toBe("hello-it");
    const step = job.steps.find((s: any) => s.id === "integration-test");
    expect(step).toMatchObject({ name: "Integration tests", shell: "bash", "timeout-minutes": 15 });
    expect(JSON.stringify(job)).not.toContain("pytest");
    expect(deployJob({ integrationTestCommand: "x" }).env.INTEGRATION_TEST_TEMPLATE).toBe("hello-integration-test");
  });

  test("fails when integrationTestCommand is empty or the template name is no CronJob name", () => {
    expectValidationError(() => deployJob({ integrationTestCommand: "  " }), "test/Pipeline", "integrationTestCommand", /non-empty shell command/);
    expectValidationError(() => deployJob({ integrationTestCommand: "x", integrationTestTemplateName: "a".repeat(53) }), "test/Pipeline", "integrationTestTemplateName", /at most 52/);
  });
});
