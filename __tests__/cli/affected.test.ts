/**
 * `slipway affected` on the example platform synthesized before and after a change: which stacks
 * are planned, and why.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { affectedJson, AffectedResult, affectedStacks, everythingBecause, formatAffected, main, planRelevantJson } from "../../cli/affected";
import { loadSynthesizedOutput, SynthesizedOutput } from "../../synthesized";
import { captureConsole } from "../support/console";
import { exampleDocument, tempDir } from "../support/platform";
import { synthDocument } from "../support/synth-output";

const EXAMPLE_STACKS = [
  "bootstrap-111111111111",
  "bootstrap-222222222222",
  "hello-delivery",
  "hello-dev",
  "hello-prod",
  "hello-staging",
  "kube-system-dev",
  "kube-system-prod",
  "kube-system-staging",
  "platform-dev",
  "platform-prod",
  "platform-staging",
];

/** The example with a second app, `world`. */
function withWorld(doc: any): any {
  doc.apps.push({ ...doc.apps[0], name: "world", port: 8081, domains: { dev: "world.dev.acme.example", staging: "world.staging.acme.example", prod: "world.acme.example" } });
  return doc;
}

const folders: string[] = [];
function synth(doc: any): string {
  const dir = synthDocument(doc);
  folders.push(dir);
  return dir;
}
const planned = (result: AffectedResult) => Object.fromEntries(result.plan.map((p) => [p.stack, p.reasons]));

let baseDir: string;
let base: SynthesizedOutput;
beforeAll(() => {
  baseDir = synth(exampleDocument());
  base = loadSynthesizedOutput(baseDir);
});
afterAll(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("which stacks a change plans", () => {
  it("an app's entry: only its stacks whose configuration differs", () => {
    const doc = exampleDocument();
    doc.apps[0].replicas.max = 5; // prod overrides replicas: its stack is unchanged
    const result = affectedStacks(base, loadSynthesizedOutput(synth(doc)));
    expect(result.all).toBe(false);
    expect(planned(result)).toEqual({ "hello-dev": [{ kind: "changed" }], "hello-staging": [{ kind: "changed" }] });
    expect(result.skipped).toEqual(EXAMPLE_STACKS.filter((s) => s !== "hello-dev" && s !== "hello-staging"));
    expect(result.removed).toEqual([]);
  });

  it("a producer's change plans the stacks that read an output of it that may change", () => {
    const doc = exampleDocument();
    doc.environments[0].network.zones = ["eu-west-1a", "eu-west-1c"]; // dev's subnets, which its cluster and apps read
    const result = affectedStacks(base, loadSynthesizedOutput(synth(doc)));
    expect(planned(result)).toEqual({
      "hello-dev": [{ kind: "reads", stacks: ["platform-dev"] }],
      "kube-system-dev": [{ kind: "reads", stacks: ["platform-dev"] }],
      "platform-dev": [{ kind: "changed" }],
    });
    expect(formatAffected(result).split("\n")).toEqual([
      "3 of 12 stacks to plan (9 unchanged, skipped):",
      "  hello-dev        reads platform-dev",
      "  kube-system-dev  reads platform-dev",
      "  platform-dev     configuration differs",
    ]);
  });

  it("a new app: its stacks are new; the platform stacks gain its target groups, which no other app reads", () => {
    const result = affectedStacks(base, loadSynthesizedOutput(synth(withWorld(exampleDocument()))));
    expect(planned(result)).toEqual({
      "platform-dev": [{ kind: "changed" }],
      "platform-prod": [{ kind: "changed" }],
      "platform-staging": [{ kind: "changed" }],
      "world-delivery": [{ kind: "new" }],
      "world-dev": [{ kind: "new" }, { kind: "reads", stacks: ["platform-dev", "world-delivery"] }],
      "world-prod": [{ kind: "new" }, { kind: "reads", stacks: ["platform-prod", "world-delivery"] }],
      "world-staging": [{ kind: "new" }, { kind: "reads", stacks: ["platform-staging", "world-delivery"] }],
    });
    expect(result.skipped).toContain("hello-dev");
    expect(result.skipped).toContain("kube-system-prod");
  });

  it("a removed app: its stacks are reported as removed and never planned", () => {
    const result = affectedStacks(loadSynthesizedOutput(synth(withWorld(exampleDocument()))), base);
    expect(result.removed).toEqual(["world-delivery", "world-dev", "world-prod", "world-staging"]);
    expect(Object.keys(planned(result))).toEqual(["platform-dev", "platform-prod", "platform-staging"]);
    expect(formatAffected(result)).toContain("removed (not planned: CI destroys nothing; destroy them deliberately with the base's configuration): world-delivery, world-dev, world-prod, world-staging");
  });

  it("differences only in cdktf metadata, construct paths and key order plan nothing", () => {
    const headDir = tempDir("slipway-out-");
    folders.push(headDir);
    fs.cpSync(baseDir, headDir, { recursive: true });
    for (const stack of EXAMPLE_STACKS) {
      const file = path.join(headDir, "stacks", stack, "cdk.tf.json");
      const json = JSON.parse(fs.readFileSync(file, "utf8"));
      json["//"].metadata.version = "0.99.0";
      json["//"].metadata.stackName = `${stack}-renamed`;
      for (const byName of Object.values<any>(json.resource ?? {})) {
        for (const body of Object.values<any>(byName)) body["//"] = { metadata: { path: `elsewhere/${body["//"]?.metadata?.path}`, uniqueId: "moved" } };
      }
      // The same content with every object's keys in reverse order.
      const reversed = JSON.parse(JSON.stringify(json), (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v));
      fs.writeFileSync(file, JSON.stringify(reversed));
      expect(fs.readFileSync(file, "utf8")).not.toBe(fs.readFileSync(path.join(baseDir, "stacks", stack, "cdk.tf.json"), "utf8"));
    }
    const result = affectedStacks(base, loadSynthesizedOutput(headDir));
    expect(result.plan).toEqual([]);
    expect(result.skipped).toEqual(EXAMPLE_STACKS);
    expect(formatAffected(result)).toBe("0 of 12 stacks to plan (12 unchanged, skipped):");
  });

  it("a changed value is not normalised away", () => {
    expect(planRelevantJson({ "//": { a: 1 }, r: { x: "1", "//": { path: "p" } } })).toBe(planRelevantJson({ r: { "//": { path: "q" }, x: "1" } }));
    expect(planRelevantJson({ r: { x: "1" } })).not.toBe(planRelevantJson({ r: { x: "2" } }));
    expect(planRelevantJson({ r: ["a", "b"] })).not.toBe(planRelevantJson({ r: ["b", "a"] }));
  });
});

describe("readers, transitively", () => {
  /** A synthesized output made by hand: stack name -> cdk.tf.json. */
  const output = (stacks: Record<string, any>): SynthesizedOutput =>
    SynthesizedOutput.fromStacks(Object.entries(stacks).map(([name, json]) => ({ name, json: { terraform: { backend: { local: { path: `../../terraform.${name}.tfstate` } } }, ...json } })));
  const remote = (producer: string) => ({ [`cross-stack-reference-input-${producer}`]: { backend: "local", config: { path: `../../terraform.${producer}.tfstate` } } });
  const chain = (vpcCidr: string, tagOfB = "b") =>
    output({
      a: {
        resource: { aws_vpc: { v: { cidr_block: vpcCidr } }, aws_sns_topic: { t: { name: "t" } } },
        output: { vpc: { value: "${aws_vpc.v.id}" }, topic: { value: "${aws_sns_topic.t.arn}" } },
      },
      // b reads a's VPC and passes something of its own on to c.
      b: {
        data: { terraform_remote_state: remote("a") },
        resource: { aws_subnet: { s: { vpc_id: "${data.terraform_remote_state.cross-stack-reference-input-a.outputs.vpc}", tags: { n: tagOfB } } } },
        output: { subnet: { value: "${aws_subnet.s.id}" } },
      },
      c: { data: { terraform_remote_state: remote("b") }, resource: { aws_instance: { i: { subnet_id: "${data.terraform_remote_state.cross-stack-reference-input-b.outputs.subnet}" } } } },
      // d reads only a's topic, which the change does not touch.
      d: { data: { terraform_remote_state: remote("a") }, resource: { aws_sqs_queue: { q: { name: "${data.terraform_remote_state.cross-stack-reference-input-a.outputs.topic}" } } } },
    });

  it("a change in a producer plans its readers and theirs, not the readers of outputs it leaves alone", () => {
    const result = affectedStacks(chain("10.0.0.0/16"), chain("10.1.0.0/16"));
    expect(planned(result)).toEqual({ a: [{ kind: "changed" }], b: [{ kind: "reads", stacks: ["a"] }], c: [{ kind: "reads", stacks: ["b"] }] });
    expect(result.skipped).toEqual(["d"]);
  });

  it("a change in a reader alone plans only the reader, and what reads it", () => {
    const result = affectedStacks(chain("10.0.0.0/16"), chain("10.0.0.0/16", "b2"));
    expect(planned(result)).toEqual({ b: [{ kind: "changed" }], c: [{ kind: "reads", stacks: ["b"] }] });
    expect(result.skipped).toEqual(["a", "d"]);
  });
});

describe("what plans everything", () => {
  let head: SynthesizedOutput;
  beforeAll(() => {
    const doc = exampleDocument();
    doc.apps[0].replicas.max = 5;
    head = loadSynthesizedOutput(synth(doc));
  });
  const expectAll = (result: AffectedResult, why: string) => {
    expect(result.all).toBe(true);
    expect(result.why).toBe(why);
    expect(result.plan.map((p) => p.stack)).toEqual(EXAMPLE_STACKS);
    expect(result.plan.every((p) => p.reasons.length === 1 && p.reasons[0].kind === "all")).toBe(true);
    expect(result.skipped).toEqual([]);
  };

  it("shared code: any changed file outside the platform file", () => {
    for (const file of ["constructs/cdn.ts", "package-lock.json", "cdktf.json", "cdktf.out/stacks/hello-dev/.terraform.lock.hcl"]) {
      expectAll(affectedStacks(base, head, { changedFiles: ["platform.yaml", file] }), `shared code changed (${file}), which may change any stack`);
    }
    expect(everythingBecause({ changedFiles: ["a", "b", "c", "d", "e", "f", "g"] })).toBe("shared code changed (a, b, c, d, e, and 2 more), which may change any stack");
  });

  it("the platform file's top level; its apps' entries alone do not", () => {
    const baseText = stringify(exampleDocument());
    const appsOnly = exampleDocument();
    appsOnly.apps[0].replicas.max = 5;
    const topLevel = exampleDocument();
    topLevel.github.owner = "acme-two";
    topLevel.environments[1].region = "eu-central-1";
    expect(affectedStacks(base, head, { changedFiles: ["platform.yaml"], basePlatform: baseText, headPlatform: stringify(appsOnly) }).all).toBe(false);
    expectAll(
      affectedStacks(base, head, { changedFiles: ["platform.yaml"], basePlatform: baseText, headPlatform: stringify(topLevel) }),
      "platform.yaml changed outside its apps (environments, github), which may change any stack",
    );
    expectAll(affectedStacks(base, head, { changedFiles: ["./platform.yaml"] }), "platform.yaml changed, and without both versions of it the change cannot be placed");
    expectAll(affectedStacks(base, head, { changedFiles: ["platform.yaml"], basePlatform: baseText, headPlatform: "apps: [" }), "platform.yaml is not readable YAML on the base or the head");
  });

  it("no base to compare with", () => {
    expectAll(affectedStacks(undefined, head), "there is no base to compare with");
  });

  it("the generated infrastructure workflows and a platform file elsewhere are the platform file's, not shared code", () => {
    const result = affectedStacks(base, head, { changedFiles: ["infra/acme.yaml", ".github/workflows/slipway-plan.yml"], platformFile: "infra/acme.yaml", basePlatform: "name: a\napps: []\n", headPlatform: "name: a\napps: [{name: x}]\n" });
    expect(result.all).toBe(false);
    expect(result.plan.map((p) => p.stack)).toEqual(["hello-dev", "hello-staging"]);
    expectAll(affectedStacks(base, head, { changedFiles: [".github/workflows/other.yml"] }), "shared code changed (.github/workflows/other.yml), which may change any stack");
  });
});

describe("the command", () => {
  it("--json: the stacks to plan with their reasons, the skipped and the removed", () => {
    const doc = exampleDocument();
    doc.apps[0].replicas.max = 5;
    const headDir = synth(doc);
    const work = tempDir();
    folders.push(work);
    const changed = path.join(work, "changed.txt");
    fs.writeFileSync(changed, "platform.yaml\n.github/workflows/slipway-plan.yml\n");
    fs.writeFileSync(path.join(work, "base.yaml"), stringify(exampleDocument()));
    fs.writeFileSync(path.join(work, "head.yaml"), stringify(doc));
    const args = ["--base", baseDir, "--head", headDir, "--changed-files", changed, "--base-platform", path.join(work, "base.yaml"), "--head-platform", path.join(work, "head.yaml")];
    const run = captureConsole(() => main([...args, "--json"]));
    expect(run.code).toBe(0);
    const json = JSON.parse(run.out);
    expect(json.all).toBe(false);
    expect(json.why).toBeUndefined();
    expect(json.counts).toEqual({ plan: 2, skipped: 10, removed: 0 });
    expect(json.plan).toEqual([
      { stack: "hello-dev", reasons: [{ kind: "changed" }], why: "configuration differs" },
      { stack: "hello-staging", reasons: [{ kind: "changed" }], why: "configuration differs" },
    ]);
    expect(json.skipped).toHaveLength(10);
    expect(json.removed).toEqual([]);
    expect(JSON.parse(JSON.stringify(affectedJson(affectedStacks(base, loadSynthesizedOutput(headDir)))))).toEqual(json);
  });

  it("fails with a clear message and exit code 2 on bad input", () => {
    const fails = (args: string[], message: string) => {
      const run = captureConsole(() => main(args));
      expect(run.code).toBe(2);
      expect(run.err).toContain(message);
    };
    fails(["--base", baseDir], "slipway affected needs --head DIR");
    const missing = path.join(tempDir(), "nothing");
    fails(["--head", missing], `--head ${missing}: no synthesized output there (no manifest.json): synthesize it first (slipway synth --out ${missing})`);
    fails(["--head", baseDir, "--base", missing], `--base ${missing}: no synthesized output there`);
    fails(["--head", baseDir, "--changed-files", missing], `--changed-files ${missing}: no such file`);
    fails(["--head", baseDir, "--bogus"], "Unknown option '--bogus'");
  });
});
