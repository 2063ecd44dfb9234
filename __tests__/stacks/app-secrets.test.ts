/**
 * App secrets across the whole platform: Secrets Manager secrets per app and environment that
 * Terraform creates without values, the add-on that mounts them, and the deploy job's check that
 * every one has a value, run in bash against a recording `aws` stand-in.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { DeliveryPipeline, DeliveryPipelineProps, PIPELINE_WORKFLOW_PATHS } from "../../constructs/delivery-pipeline";
import { buildPlatform } from "../../stacks";
import { actionlint } from "../support/actionlint";
import { examplePlatform, synthAll, tempDir } from "../support/platform";
import { expectValidationError } from "../support/synthesized";
import { JobRun, runJob } from "../support/workflow-steps";

type Json = Record<string, any>;

/** The example with a second secret, and a second app with secrets of its own. */
const platform = examplePlatform((doc) => {
  doc.apps[0].secrets = ["SESSION_KEY", "STRIPE_API_KEY"];
  const second = JSON.parse(JSON.stringify(doc.apps[0]));
  second.name = "shop";
  second.secrets = ["SESSION_KEY"];
  second.nodePort = 31111;
  second.domains = Object.fromEntries(Object.entries<string>(second.domains).map(([env, domain]) => [env, domain.replace(/^hello/, "shop")]));
  doc.apps.push(second);
});
const stacks = synthAll(platform);

describe("every synthesized stack", () => {
  test("holds no secret value: no aws_secretsmanager_secret_version (resource or data source), no secret_string, no secret_binary", () => {
    expect(Object.keys(stacks).length).toBeGreaterThan(6);
    for (const [name, stack] of Object.entries(stacks)) {
      expect([name, stack.resource?.aws_secretsmanager_secret_version]).toEqual([name, undefined]);
      // Not even the database's managed password is read: the pods mount it at run time.
      expect([name, stack.data?.aws_secretsmanager_secret_version]).toEqual([name, undefined]);
      // No resource carries a value: no secret_string / secret_binary attribute at any depth.
      expect([name, attributeKeys(stack.resource ?? {}).filter((k) => /^secret_(string|binary)/.test(k))]).toEqual([name, []]);
    }
  });

  test("each app secret is encrypted with a rotating customer-managed key of its own stack, and named <platform>/<app>/<env>/<NAME> once", () => {
    const names: string[] = [];
    for (const [stackName, stack] of Object.entries(stacks)) {
      for (const secret of Object.values<Json>(stack.resource?.aws_secretsmanager_secret ?? {})) {
        const key = /^\$\{aws_kms_key\.([A-Za-z0-9_]+)\.arn\}$/.exec(secret.kms_key_id);
        expect([stackName, key]).not.toEqual([stackName, null]);
        expect(stack.resource.aws_kms_key[key![1]].enable_key_rotation).toBe(true);
        names.push(secret.name);
      }
    }
    const expected = ["hello", "shop"].flatMap((app) =>
      ["dev", "staging", "prod"].flatMap((env) => (app === "hello" ? ["SESSION_KEY", "STRIPE_API_KEY"] : ["SESSION_KEY"]).map((s) => `acme/${app}/${env}/${s}`)),
    );
    expect(names.sort()).toEqual(expected.sort());
  });

  test("every environment's cluster runs the Secrets Store CSI driver add-on", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const addons = Object.values<Json>(stacks[`platform-${env}`].resource.aws_eks_addon).map((a) => a.addon_name);
      expect(addons).toContain("aws-secrets-store-csi-driver-provider");
    }
  });
});

describe("the deploy job's secrets check", () => {
  const app = new App({ outdir: tempDir("slipway-secrets-") });
  const built = buildPlatform(app, platform);
  fs.rmSync(app.outdir, { recursive: true, force: true });
  const hello = built.deliveryStacks.find((s) => s.app.name === "hello")!;
  const deliver = hello.pipeline.workflows[PIPELINE_WORKFLOW_PATHS.deliver];
  const IDS = ["acme/hello/staging/SESSION_KEY", "acme/hello/staging/STRIPE_API_KEY"];

  /** An `aws` whose describe-secret answers each id with its version stages (a current version or none) or an error. */
  function awsStandIn(stages: Record<string, "set" | "unset" | "error">): string {
    return [
      // The deployed-tag step reads the image's manifest from ECR: some manifest text.
      'if [[ "$1 $2" == "ecr batch-get-image" ]]; then echo "{}"; exit 0; fi',
      'if [[ "$1 $2" != "secretsmanager describe-secret" ]]; then exit 0; fi',
      'id=""; while [[ $# -gt 0 ]]; do if [[ "$1" == --secret-id ]]; then id="$2"; fi; shift; done',
      'case "$id" in',
      ...Object.entries(stages).map(([id, state]) =>
        state === "set"
          ? `  ${id}) echo '{"EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE": ["AWSCURRENT"], "EXAMPLE2": ["AWSPREVIOUS"]}' ;;`
          : state === "unset"
            ? `  ${id}) echo 'null' ;;`
            : `  ${id}) echo "An error occurred (AccessDeniedException) when calling the DescribeSecret operation" >&2; exit 254 ;;`,
      ),
      '  *) echo "unexpected secret $id" >&2; exit 99 ;;',
      "esac",
    ].join("\n");
  }

  function deploy(stages: Record<string, "set" | "unset" | "error">): JobRun {
    // The static-assets artifact of this image, where the deploy job downloads it (an empty folder of files).
    const temp = tempDir("slipway-secrets-runner-");
    fs.mkdirSync(path.join(temp, "static-assets", "files"), { recursive: true });
    fs.writeFileSync(path.join(temp, "static-assets", "image-digest"), `sha256:${"a".repeat(64)}\n`);
    try {
      return runJob(deliver, "deploy-staging", {
        // The bake's waits return at once (no alarm fires: the aws stand-in answers other calls with nothing).
        standIns: { aws: awsStandIn(stages), kubectl: 'if [[ " $* " == *" get "* ]]; then echo Complete; fi', curl: "", sleep: "" },
        contexts: {
          github: { run_id: "42", run_attempt: "1", sha: "abc" },
          vars: { AWS_REGION: "eu-west-1", CLUSTER_NAME: "acme-staging", NAMESPACE: "hello", APP_URL: "https://hello.staging.acme.example", DEPLOY_ROLE_ARN: "arn:aws:iam::123456789012:role/hello-staging-deploy", ASSETS_BUCKET: "hello-staging-assets", ALARMS: "eu-west-1:hello-staging-db-cpu" },
          needs: { build: { outputs: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello@sha256:${"a".repeat(64)}` } } },
          runner: { temp },
        },
      });
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }
  const checkStep = (run: JobRun) => run.steps.find((s) => s.name === "Check the app's secrets have values")!;

  test("the names reach the script as data: the step's SECRET_IDS, never in run:", () => {
    const steps: Json[] = parse(deliver).jobs["deploy-staging"].steps;
    const step = steps.find((s) => s.name === "Check the app's secrets have values")!;
    expect(step.env).toEqual({ SECRET_IDS: IDS.join("\n"), SECRETS_ENVIRONMENT: "staging" });
    expect(step.run).not.toMatch(/acme|SESSION_KEY|STRIPE|staging/);
    // The same script in every environment and app: only the data differs.
    expect(parse(deliver).jobs["deploy-prod"].steps.find((s: Json) => s.name === step.name).run).toBe(step.run);
  });

  test("all set: passes, describing exactly this environment's secrets before anything touches the cluster", () => {
    const run = deploy({ [IDS[0]]: "set", [IDS[1]]: "set" });
    expect(run.result).toBe("success");
    const described = run.calls.filter((c) => c.command === "aws" && c.args[1] === "describe-secret");
    expect(described.map((c) => c.args)).toEqual(
      IDS.map((id) => ["secretsmanager", "describe-secret", "--secret-id", id, "--region", "eu-west-1", "--query", "VersionIdsToStages", "--output", "json"]),
    );
    const firstKubectl = run.calls.findIndex((c) => c.command === "kubectl");
    const lastDescribe = run.calls.lastIndexOf(described[described.length - 1]);
    expect(lastDescribe).toBeLessThan(firstKubectl);
    // Never a value: describe only, no get-secret-value.
    expect(run.calls.some((c) => c.args.includes("get-secret-value"))).toBe(false);
  });

  test("one unset: fails naming the secret and the command that sets it; nothing is migrated or rolled out", () => {
    const run = deploy({ [IDS[0]]: "set", [IDS[1]]: "unset" });
    expect(run.result).toBe("failure");
    const step = checkStep(run);
    expect(step.outcome).toBe("failure");
    expect(step.stdout).toContain(
      "::error::Secret STRIPE_API_KEY (acme/hello/staging/STRIPE_API_KEY) has no value in staging. Set it with: npm run secret -- set hello staging STRIPE_API_KEY",
    );
    expect(step.stdout).not.toContain("SESSION_KEY");
    expect(run.calls.filter((c) => c.command === "kubectl")).toEqual([]);
    expect(run.steps.find((s) => s.name === "Roll back")!.outcome).toBe("skipped");
  });

  test("both unset: names each of them", () => {
    const step = checkStep(deploy({ [IDS[0]]: "unset", [IDS[1]]: "unset" }));
    expect(step.stdout.match(/::error::Secret /g)).toHaveLength(2);
  });

  test("an aws error: fails naming the secret it could not check", () => {
    const run = deploy({ [IDS[0]]: "error", [IDS[1]]: "set" });
    expect(run.result).toBe("failure");
    expect(checkStep(run).stdout).toContain("::error::Could not check secret SESSION_KEY (acme/hello/staging/SESSION_KEY) in staging");
    expect(checkStep(run).stderr).toContain("AccessDeniedException");
    expect(run.calls.filter((c) => c.command === "kubectl")).toEqual([]);
  });

  test("the app's summary line tells how to set its secrets", () => {
    const prod = built.appStacks.find((s) => s.stackName === "hello-prod")!;
    expect(prod.description).toContain("secrets SESSION_KEY, STRIPE_API_KEY: npm run secret -- set hello prod <NAME>");
  });
});

describe("DeliveryPipeline secretIds", () => {
  const pipeline = (secretIds: DeliveryPipelineProps["secretIds"]) =>
    new DeliveryPipeline(new TerraformStack(Testing.app(), "test"), "Pipeline", {
      appName: "hello",
      testCommand: "npm test",
      healthPath: "/healthz",
      repository: { name: "hello" },
      environments: [{ name: "dev" }, { name: "prod" }],
      secretIds,
    });
  const CHECK = "Check the app's secrets have values";

  test("only environments with secrets get the check, right after the credentials; the workflow passes actionlint", () => {
    const workflows = pipeline({ prod: ["acme/hello/prod/API_KEY"] }).workflows;
    const deliver = parse(workflows[PIPELINE_WORKFLOW_PATHS.deliver]);
    expect(deliver.jobs["deploy-dev"].steps.map((s: Json) => s.name)).not.toContain(CHECK);
    const prodSteps = deliver.jobs["deploy-prod"].steps.map((s: Json) => s.name);
    expect(prodSteps.indexOf(CHECK)).toBe(prodSteps.indexOf("Configure AWS credentials") + 1);
    expect(actionlint({ [PIPELINE_WORKFLOW_PATHS.deliver]: workflows[PIPELINE_WORKFLOW_PATHS.deliver] })).toEqual([]);
  });

  test("fails when a secret id could carry shell or workflow syntax", () => {
    for (const id of ["acme/hello/prod/A\nB", "acme/hello/prod/$(id)", "acme/${{ github.token }}", "acme//A", ""]) {
      expectValidationError(() => pipeline({ prod: [id] }), "test/Pipeline", "secretIds.prod[0]", "a Secrets Manager secret name");
    }
  });

  test("fails when secrets name an environment the pipeline does not deploy", () => {
    expectValidationError(() => pipeline({ qa: ["acme/hello/qa/A"] }), "test/Pipeline", "secretIds", "environment names among dev, prod");
  });
});

/** Every object key below `value`. */
function attributeKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(attributeKeys);
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...attributeKeys(v)]);
  return [];
}
