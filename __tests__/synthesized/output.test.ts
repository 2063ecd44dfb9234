/**
 * The one model of the synthesized output (synthesized/): loading a `cdktf.out` folder, the stack
 * views, remote-state edges between stacks, and the errors for a missing or broken folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadSynthesizedOutput, StackModel, SynthesizedOutput, SynthesizedOutputError } from "../../synthesized";
import { tempDir } from "../support/platform";

type Json = any;

const localBackend = (name: string) => ({ backend: { local: { path: `/state/terraform.${name}.tfstate` } } });
const awsProvider = (tags: Record<string, string>, extra: Json = {}) => ({ region: "eu-west-1", default_tags: [{ tags }], ...extra });

/** Three stacks wired like Slipway's: an app stack reading its platform and delivery stacks' outputs. */
function stacks(): Record<string, Json> {
  return {
    "platform-dev": {
      terraform: localBackend("platform-dev"),
      provider: { aws: [awsProvider({ "slipway:environment": "dev", "slipway:platform": "acme" })] },
      resource: {
        aws_vpc: { Vpc: { "//": { metadata: { path: "platform-dev/Network/Vpc" } }, cidr_block: "10.0.0.0/16" } },
        aws_subnet: { A: { vpc_id: "${aws_vpc.Vpc.id}" }, B: { vpc_id: "${aws_vpc.Vpc.id}" } },
      },
      output: { vpc_id: { value: "${aws_vpc.Vpc.id}" } },
    },
    "hello-delivery": {
      terraform: localBackend("hello-delivery"),
      provider: { aws: [awsProvider({ "slipway:app": "hello" })], github: [{ owner: "acme" }] },
      resource: { aws_ecr_repository: { Registry: { name: "hello" } } },
      output: { registry_url: { value: "${aws_ecr_repository.Registry.repository_url}" } },
    },
    "hello-dev": {
      terraform: localBackend("hello-dev"),
      provider: {
        aws: [
          awsProvider({ "slipway:environment": "dev", "slipway:app": "hello", "slipway:platform": "acme" }),
          awsProvider({}, { alias: "us-east-1", region: "us-east-1" }),
        ],
        kubernetes: [{ host: "${data.terraform_remote_state.cross-stack-reference-input-platform-dev.outputs.vpc_id}" }],
      },
      data: {
        terraform_remote_state: {
          "cross-stack-reference-input-platform-dev": { backend: "local", config: { path: "/state/terraform.platform-dev.tfstate" } },
          "cross-stack-reference-input-hello-delivery": { backend: "local", config: { path: "/state/terraform.hello-delivery.tfstate" } },
        },
        aws_iam_policy_document: { Doc: { statement: [{ actions: ["s3:GetObject"] }] } },
      },
      resource: {
        aws_security_group: { Sg: { vpc_id: "${data.terraform_remote_state.cross-stack-reference-input-platform-dev.outputs.vpc_id}" } },
        aws_acm_certificate: { Cert: { provider: "aws.us-east-1", domain_name: "hello.example.com" } },
        aws_iam_policy: { Policy: { policy: "${data.aws_iam_policy_document.Doc.json}" } },
        kubernetes_deployment_v1: { App: { spec: [{ image: "${data.terraform_remote_state.cross-stack-reference-input-hello-delivery.outputs.registry_url}" }] } },
      },
    },
  };
}

/** Writes a cdktf.out-shaped folder; `summary` becomes slipway.json. */
function writeOutput(tf: Record<string, Json>, options: { summary?: Json; dependencies?: Record<string, string[]>; workflows?: Record<string, string> } = {}): string {
  const dir = tempDir("slipway-synthesized-");
  const manifest: Json = { version: "0.21.0", stacks: {} };
  for (const [name, json] of Object.entries(tf)) {
    const file = path.join("stacks", name, "cdk.tf.json");
    fs.mkdirSync(path.join(dir, "stacks", name), { recursive: true });
    fs.writeFileSync(path.join(dir, file), JSON.stringify(json));
    manifest.stacks[name] = { name, synthesizedStackPath: file, dependencies: options.dependencies?.[name] ?? [] };
  }
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  if (options.summary) fs.writeFileSync(path.join(dir, "slipway.json"), JSON.stringify(options.summary));
  for (const [file, content] of Object.entries(options.workflows ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const DEPENDENCIES = { "hello-dev": ["platform-dev", "hello-delivery"] };
const SUMMARY = {
  stacks: [
    { name: "platform-dev", production: false, dependsOn: [] },
    { name: "hello-delivery", production: false, dependsOn: [], suppressions: [{ rule: "SLW-ECR-001", path: "Registry", reason: "scanned elsewhere, on purpose" }] },
    { name: "hello-dev", production: true, dependsOn: ["platform-dev", "hello-delivery"] },
  ],
  productionEnvironments: ["dev"],
  suppressions: [{ rule: "SLW-S3-001", path: "hello-dev/Cdn", reason: "a platform-wide acceptance" }],
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function output(options: Parameters<typeof writeOutput>[1] = {}, tf = stacks()): SynthesizedOutput {
  const dir = writeOutput(tf, options);
  dirs.push(dir);
  return loadSynthesizedOutput(dir);
}

describe("loadSynthesizedOutput", () => {
  test("reads every stack the manifest lists, in slipway.json's order, with its file, dependencies and default tags", () => {
    const out = output({ summary: SUMMARY, dependencies: DEPENDENCIES, workflows: { "workflows/hello/deliver.yml": "name: deliver\n" } });
    expect(out.summaryFound).toBe(true);
    expect(out.stacks.map((s) => s.name)).toEqual(["platform-dev", "hello-delivery", "hello-dev"]);
    const app = out.stack("hello-dev");
    expect(app.file).toBe(path.join(out.dir, "stacks", "hello-dev", "cdk.tf.json"));
    expect(app.dependencies).toEqual(["platform-dev", "hello-delivery"]);
    expect([app.environment, app.app, app.platform]).toEqual(["dev", "hello", "acme"]);
    expect([out.stack("hello-delivery").environment, out.stack("hello-delivery").app]).toEqual([undefined, "hello"]);
    expect(out.environments).toEqual(["dev"]);
    expect([...out.workflowFiles]).toEqual([["workflows/hello/deliver.yml", "name: deliver\n"]]);
  });

  test("production, production environments and suppressions come from slipway.json; a stack's suppression paths become absolute", () => {
    const out = output({ summary: SUMMARY, dependencies: DEPENDENCIES });
    expect(out.stacks.map((s) => [s.name, s.production])).toEqual([
      ["platform-dev", false],
      ["hello-delivery", false],
      ["hello-dev", true],
    ]);
    expect(out.productionEnvironments).toEqual(["dev"]);
    expect(out.suppressions).toEqual([
      { rule: "SLW-S3-001", path: "hello-dev/Cdn", reason: "a platform-wide acceptance" },
      { rule: "SLW-ECR-001", path: "hello-delivery/Registry", reason: "scanned elsewhere, on purpose" },
    ]);
  });

  test("without slipway.json: stacks in the manifest's order, production by a -prod/-production name, environments derived from those", () => {
    const tf = stacks();
    tf["hello-prod"] = tf["hello-dev"];
    tf["platform-production"] = tf["platform-dev"];
    const out = output({}, tf);
    expect(out.summaryFound).toBe(false);
    expect(out.stacks.map((s) => s.name)).toEqual(["platform-dev", "hello-delivery", "hello-dev", "hello-prod", "platform-production"]);
    expect(out.stacks.filter((s) => s.production).map((s) => s.name)).toEqual(["hello-prod", "platform-production"]);
    expect(out.productionEnvironments).toEqual(["prod", "production"]);
    expect(out.suppressions).toEqual([]);
  });

  test("fails when manifest.json is missing, naming the file and what to do", () => {
    const dir = tempDir("slipway-synthesized-");
    dirs.push(dir);
    expect(() => loadSynthesizedOutput(dir)).toThrow(new SynthesizedOutputError(`${path.join(dir, "manifest.json")} not found: run \`npm run synth\` first`));
    expect(() => loadSynthesizedOutput(dir, { missingHint: "pass --out DIR" })).toThrow(`${path.join(dir, "manifest.json")} not found: pass --out DIR`);
  });

  test("fails when a stack file is missing, a file is not JSON, or the manifest lists no stacks", () => {
    const dir = writeOutput(stacks());
    dirs.push(dir);
    fs.rmSync(path.join(dir, "stacks", "hello-dev", "cdk.tf.json"));
    expect(() => loadSynthesizedOutput(dir)).toThrow(`${path.join(dir, "stacks", "hello-dev", "cdk.tf.json")} (stack hello-dev in ${path.join(dir, "manifest.json")}) not found: synthesize again`);
    fs.writeFileSync(path.join(dir, "stacks", "hello-dev", "cdk.tf.json"), "{ not json");
    expect(() => loadSynthesizedOutput(dir)).toThrow(new RegExp(`^${path.join(dir, "stacks", "hello-dev", "cdk.tf.json").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not readable JSON \\(.+\\): synthesize again$`));
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ stacks: {} }));
    expect(() => loadSynthesizedOutput(dir)).toThrow(`${path.join(dir, "manifest.json")} lists no stacks: synthesize again`);
  });

  test("stack() names the stacks there are when asked for one that is not", () => {
    expect(() => output().stack("nope")).toThrow(/has no stack nope; its stacks: platform-dev, hello-delivery, hello-dev$/);
    expect(output().find("nope")).toBeUndefined();
  });
});

describe("stack views", () => {
  const app = () => output({ summary: SUMMARY, dependencies: DEPENDENCIES }).stack("hello-dev");

  test("resources and data sources by type and address, in file order, with construct paths", () => {
    const platform = new StackModel("platform-dev", stacks()["platform-dev"]);
    expect(platform.resources().map((r) => r.address)).toEqual(["aws_vpc.Vpc", "aws_subnet.A", "aws_subnet.B"]);
    expect(platform.resources("aws_subnet", "aws_vpc").map((r) => r.address)).toEqual(["aws_subnet.A", "aws_subnet.B", "aws_vpc.Vpc"]);
    const vpc = platform.block("aws_vpc.Vpc")!;
    expect({ type: vpc.type, name: vpc.name, data: vpc.data, constructPath: vpc.constructPath, config: vpc.config, jsonPath: vpc.jsonPath }).toEqual({
      type: "aws_vpc",
      name: "Vpc",
      data: false,
      constructPath: "platform-dev/Network/Vpc",
      config: { cidr_block: "10.0.0.0/16" },
      jsonPath: ["resource", "aws_vpc", "Vpc"],
    });
    // Without cdktf's metadata the path falls back to the stack and address.
    expect(platform.block("aws_subnet.A")!.constructPath).toBe("platform-dev/aws_subnet.A");
    expect(app().dataSources().map((d) => d.address)).toEqual([
      "data.terraform_remote_state.cross-stack-reference-input-platform-dev",
      "data.terraform_remote_state.cross-stack-reference-input-hello-delivery",
      "data.aws_iam_policy_document.Doc",
    ]);
    expect(app().dataSources("aws_iam_policy_document").map((d) => d.data)).toEqual([true]);
    expect(platform.countByType()).toEqual({ aws_vpc: 1, aws_subnet: 2 });
    expect(Object.keys(platform.outputs())).toEqual(["vpc_id"]);
  });

  test("providers with aliases, the backend, and the remote states read with their outputs", () => {
    expect(app().providers().map((p) => p.key)).toEqual(["aws", "aws.us-east-1", "kubernetes"]);
    expect(app().backend()).toEqual({ backend: "local", config: { path: "/state/terraform.hello-dev.tfstate" } });
    expect(app().remoteStateReads()).toEqual([
      { name: "cross-stack-reference-input-platform-dev", backend: "local", config: { path: "/state/terraform.platform-dev.tfstate" }, outputs: ["vpc_id"] },
      { name: "cross-stack-reference-input-hello-delivery", backend: "local", config: { path: "/state/terraform.hello-delivery.tfstate" }, outputs: ["registry_url"] },
    ]);
  });

  test.each<[string, Json, Json]>([
    ["s3", { backend: { s3: { bucket: "b", key: "k/x.tfstate", region: "eu-west-1", encrypt: true } } }, { backend: "s3", config: { bucket: "b", key: "k/x.tfstate", region: "eu-west-1" } }],
    ["remote", { backend: { remote: { hostname: "app.terraform.io", organization: "o", workspaces: { name: "w" } } } }, { backend: "remote", config: { hostname: "app.terraform.io", organization: "o", workspaces: { name: "w" } } }],
    ["cloud", { cloud: { hostname: "app.terraform.io", organization: "o", workspaces: { name: "w" } } }, { backend: "remote", config: { hostname: "app.terraform.io", organization: "o", workspaces: { name: "w" } } }],
  ])("the %s backend is addressed as a remote state would address it", (_kind, terraform, expected) => {
    expect(new StackModel("x", { terraform }).backend()).toEqual(expected);
    expect(new StackModel("x", {}).backend()).toBeUndefined();
  });

  test("referencing: the blocks whose configuration refers to a resource or data source", () => {
    const platform = new StackModel("platform-dev", stacks()["platform-dev"]);
    expect(platform.referencing(platform.block("aws_vpc.Vpc")!, "aws_subnet").map((r) => r.address)).toEqual(["aws_subnet.A", "aws_subnet.B"]);
    expect(platform.referencing(platform.block("aws_vpc.Vpc")!, "aws_vpc")).toEqual([]);
    const doc = app().block("data.aws_iam_policy_document.Doc")!;
    expect(app().referencing(doc).map((r) => r.address)).toEqual(["aws_iam_policy.Policy"]);
    expect(app().referencesOf(app().block("aws_iam_policy.Policy")!).map((r) => r.at)).toEqual(["resource.aws_iam_policy.Policy.policy"]);
  });

  test("declarations and dangling references, providers included", () => {
    const tf = stacks()["hello-dev"];
    tf.resource.aws_iam_policy.Policy.description = "${var.missing}";
    tf.resource.aws_acm_certificate.Cert.provider = "aws.eu-central-1";
    tf.resource.github_repository = { Repo: { name: "x" } };
    const model = new StackModel("hello-dev", tf);
    expect(model.declarations().has("data.aws_iam_policy_document.Doc")).toBe(true);
    expect(model.danglingReferences().map((d) => `${d.at}: ${d.why}`)).toEqual([
      "resource.aws_iam_policy.Policy.description: var.missing is not declared in this stack",
      "resource.aws_acm_certificate.Cert.provider: provider aws.eu-central-1 is not configured in this stack",
      "resource.github_repository.Repo.provider: no github provider is configured in this stack",
    ]);
  });
});

describe("between stacks", () => {
  test("each remote state resolves to the stack whose own state it points at", () => {
    const out = output({ summary: SUMMARY, dependencies: DEPENDENCIES });
    expect(out.producerOf("hello-dev", "cross-stack-reference-input-platform-dev")?.name).toBe("platform-dev");
    expect(out.producerOf("hello-dev", "no-such-read")).toBeUndefined();
    expect(Object.fromEntries(out.remoteStateEdges())).toEqual({ "platform-dev": [], "hello-delivery": [], "hello-dev": ["hello-delivery", "platform-dev"] });
    expect(out.crossStackProblems()).toEqual([]);
  });

  test("fails when a remote state points nowhere, an output is missing, or the manifest's dependencies disagree", () => {
    const tf = stacks();
    tf["hello-dev"].data.terraform_remote_state["cross-stack-reference-input-hello-delivery"].config.path = "/elsewhere.tfstate";
    tf["platform-dev"].output = {};
    const out = SynthesizedOutput.fromStacks(Object.entries(tf).map(([name, json]) => ({ name, json, dependencies: name === "hello-dev" ? ["platform-dev", "hello-delivery"] : [] })));
    expect(out.crossStackProblems()).toEqual([
      "hello-dev: reads output vpc_id of platform-dev through cross-stack-reference-input-platform-dev, but platform-dev has no such output",
      'hello-dev: remote state cross-stack-reference-input-hello-delivery (local {"path":"/elsewhere.tfstate"}) points at no stack\'s state',
      "hello-dev: reads the state of [platform-dev] but depends on [hello-delivery, platform-dev]",
    ]);
  });
});
