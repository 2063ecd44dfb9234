/**
 * Plan integrity: every `${...}` reference in every synthesized stack resolves to something that
 * stack declares (resource, data source, variable, local, module, provider configuration), every
 * `depends_on` entry names one, and stacks reach each other only through a remote state that
 * points at the producing stack's own state and reads outputs it has. Checked on the example
 * platform and on larger generated ones with the s3 and remote backends; negative cases prove the
 * checker catches what it claims to. The scanner itself (synthesized/references.ts) has its own
 * edge cases in __tests__/synthesized/references.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { App } from "cdktf";
import { synthesize } from "../../cli/synth";
import { parsePlatform } from "../../platform/model";
import { buildPlatform } from "../../stacks";
import { EXAMPLE_FILE, tempDir } from "../support/platform";
import { loadSynthesizedOutput, StackModel, stackReferences, SynthesizedOutput } from "../../synthesized";
import { variantDocument } from "../support/variants";

type Json = any;

interface Synthesized {
  readonly stacks: Record<string, Json>;
  readonly dependencies: Record<string, string[]>;
}

/** The stacks as plain JSON, so the negative cases below can break a copy of them. */
function readOutput(outdir: string): Synthesized {
  const output = loadSynthesizedOutput(outdir);
  return {
    stacks: Object.fromEntries(output.stacks.map((s) => [s.name, s.json])),
    dependencies: Object.fromEntries(output.stacks.map((s) => [s.name, [...s.dependencies]])),
  };
}

// The synthesized-output model over (possibly edited) JSON, built fresh for each question.
const danglingReferences = (stack: Json) => new StackModel("stack", stack).danglingReferences();
const remoteStateReads = (stack: Json) => new StackModel("stack", stack).remoteStateReads();
const crossStackProblems = (stacks: Record<string, Json>, dependencies: Record<string, string[]>) =>
  SynthesizedOutput.fromStacks(Object.entries(stacks).map(([name, json]) => ({ name, json, dependencies: dependencies[name] ?? [] }))).crossStackProblems();

const APPS = ["hello", "api", "web"];
const ENVIRONMENTS = ["dev", "staging", "qa", "prod", "prod-us"];
const PLATFORMS: Record<string, () => object | string> = {
  "the example platform (local backend)": () => EXAMPLE_FILE,
  "3 apps x 5 environments, s3 backend": () => variantDocument({ apps: APPS, backend: { type: "s3", bucket: "acme-state", region: "eu-west-1", keyPrefix: "acme" } }),
  "3 apps x 5 environments, remote backend": () => variantDocument({ apps: APPS, backend: { type: "remote", organization: "acme", workspacePrefix: "acme-" } }),
};

let work: string;
const synthesized: Record<string, Synthesized> = {};
beforeAll(() => {
  work = tempDir("slipway-integrity-");
  Object.entries(PLATFORMS).forEach(([label, source], i) => {
    const input = source();
    const outdir = path.join(work, `out-${i}`);
    if (typeof input === "string") {
      // The example goes through `npm run synth`'s own path (policy rules included).
      synthesize({ platformFile: input, outdir });
    } else {
      // The generated platforms only need their stacks: build and synthesize them directly.
      const app = new App({ outdir });
      buildPlatform(app, parsePlatform(stringify(input), `platform-${i}.yaml`));
      app.synth();
    }
    synthesized[label] = readOutput(outdir);
  });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.each(Object.keys(PLATFORMS))("%s", (label) => {
  const get = () => synthesized[label];

  test("synthesizes the expected stacks", () => {
    const names = Object.keys(get().stacks).sort();
    if (label.startsWith("the example")) {
      expect(names).toEqual(["bootstrap-111111111111", "bootstrap-222222222222", "hello-delivery", "hello-dev", "hello-prod", "hello-staging", "kube-system-dev", "kube-system-prod", "kube-system-staging", "platform-dev", "platform-prod", "platform-staging"]);
    } else {
      const expected = [
        ...["111111111111", "222222222222", "333333333333", "444444444444"].map((a) => `bootstrap-${a}`),
        ...ENVIRONMENTS.flatMap((e) => [`platform-${e}`, `kube-system-${e}`]),
        ...APPS.map((a) => `${a}-delivery`),
        ...APPS.flatMap((a) => ENVIRONMENTS.map((e) => `${a}-${e}`)),
      ];
      expect(names).toEqual(expected.sort());
    }
  });

  test("every reference and depends_on entry in every stack resolves within that stack", () => {
    const counts: Record<string, number> = {};
    const dangling: string[] = [];
    for (const [name, stack] of Object.entries(get().stacks)) {
      const refs = stackReferences(stack);
      counts[name] = refs.length;
      for (const d of danglingReferences(stack)) dangling.push(`${name}: ${d.at}: ${d.why}`);
    }
    expect(dangling).toEqual([]);
    // Not vacuous: every stack is wired by dozens of references (a bootstrap stack, of roles around one OIDC provider, and a kube-system stack by several).
    for (const [name, n] of Object.entries(counts)) expect({ name, enough: n >= (name.startsWith("bootstrap-") || name.startsWith("kube-system-") ? 3 : 30) }).toEqual({ name, enough: true });
  });

  test("the references cover every kind the stacks use: resources, data sources, remote state, depends_on, aliased providers", () => {
    const all = Object.values(get().stacks).flatMap((s) => stackReferences(s));
    const kinds = new Set(all.map((r) => r.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(["data", "resource"]));
    expect(all.some((r) => r.at.includes(".depends_on["))).toBe(true);
    expect(all.some((r) => r.target.startsWith("data.terraform_remote_state."))).toBe(true);
    expect(all.some((r) => r.target.startsWith("data.aws_security_group."))).toBe(true);
    expect(all.some((r) => r.at.startsWith("provider.kubernetes"))).toBe(true);
    const aliased = Object.values(get().stacks).flatMap((s) => Object.values<Json>(s.resource ?? {}).flatMap((byName) => Object.values<Json>(byName))).filter((r) => r.provider);
    expect(aliased.length).toBeGreaterThan(0);
  });

  test("stacks reach each other only through remote state pointing at the producer's own state, reading outputs it has", () => {
    const { stacks, dependencies } = get();
    expect(crossStackProblems(stacks, dependencies)).toEqual([]);
    // Every app stack reads its environment's platform stack and its delivery stack; a kube-system
    // stack its platform stack only; bootstrap, platform and delivery stacks read nothing (the OIDC
    // provider is named by its ARN).
    for (const [name, stack] of Object.entries(stacks)) {
      const reads = remoteStateReads(stack);
      if (name.startsWith("platform-") || name.startsWith("bootstrap-") || name.endsWith("-delivery")) expect([name, reads]).toEqual([name, []]);
      else if (name.startsWith("kube-system-")) {
        expect(reads.map((r) => r.name)).toEqual([`cross-stack-reference-input-platform-${name.slice("kube-system-".length)}`]);
        expect(reads[0].outputs.length).toBeGreaterThan(0);
      } else {
        const app = name.split("-")[0];
        const environment = name.slice(app.length + 1);
        expect(reads.map((r) => r.name)).toEqual(expect.arrayContaining([`cross-stack-reference-input-platform-${environment}`, `cross-stack-reference-input-${app}-delivery`]));
        for (const read of reads) expect(read.outputs.length).toBeGreaterThan(0);
      }
    }
  });
});

describe("the backends address each stack's own state", () => {
  test("s3: one key per stack under the prefix, read through s3 remote state with the same bucket and region", () => {
    const { stacks } = synthesized["3 apps x 5 environments, s3 backend"];
    expect(stacks["api-qa"].terraform.backend.s3).toMatchObject({ bucket: "acme-state", key: "acme/api-qa.tfstate", region: "eu-west-1", encrypt: true });
    const read = remoteStateReads(stacks["api-qa"]).find((r) => r.name === "cross-stack-reference-input-platform-qa")!;
    expect(read.backend).toBe("s3");
    expect(read.config).toMatchObject({ bucket: "acme-state", key: "acme/platform-qa.tfstate", region: "eu-west-1" });
  });

  test("remote: one HCP Terraform workspace per stack, read through remote state of that workspace", () => {
    const { stacks } = synthesized["3 apps x 5 environments, remote backend"];
    expect(stacks["web-prod-us"].terraform.cloud).toMatchObject({ organization: "acme", workspaces: { name: "acme-web-prod-us" } });
    const read = remoteStateReads(stacks["web-prod-us"]).find((r) => r.name === "cross-stack-reference-input-platform-prod-us")!;
    expect(read.backend).toBe("remote");
    expect(read.config).toMatchObject({ organization: "acme", workspaces: { name: "acme-platform-prod-us" } });
  });
});

describe("fails when a reference dangles", () => {
  const example = () => structuredClone(synthesized["the example platform (local backend)"]);
  const firstName = (stack: Json, type: string) => Object.keys(stack.resource[type])[0];
  const whys = (stack: Json) => danglingReferences(stack).map((d) => `${d.at}: ${d.why}`);

  test("to a resource the stack does not declare", () => {
    const stack = example().stacks["hello-dev"];
    const sg = firstName(stack, "aws_security_group");
    stack.resource.aws_security_group[sg].vpc_id = "${aws_vpc.Nope_12345678.id}";
    expect(whys(stack)).toEqual([`resource.aws_security_group.${sg}.vpc_id: aws_vpc.Nope_12345678 is not declared in this stack`]);
  });

  test("to a resource deleted from the stack that others still use", () => {
    const stack = example().stacks["platform-dev"];
    const vpc = firstName(stack, "aws_vpc");
    delete stack.resource.aws_vpc;
    const found = danglingReferences(stack);
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(new Set(found.map((d) => d.target))).toEqual(new Set([`aws_vpc.${vpc}`]));
    expect(found.map((d) => d.at)).toEqual(expect.arrayContaining([expect.stringMatching(/^resource\.aws_subnet\..*\.vpc_id$/), "output.vpc_id.value"]));
  });

  test("to a data source, a variable, a local or a module", () => {
    const stack = example().stacks["hello-prod"];
    const role = firstName(stack, "aws_iam_role");
    stack.resource.aws_iam_role[role].description = "${data.aws_iam_policy_document.missing.json} ${var.region} ${local.tags} ${module.vpc.id}";
    expect(danglingReferences(stack).map((d) => [d.kind, d.target])).toEqual([
      ["data", "data.aws_iam_policy_document.missing"],
      ["var", "var.region"],
      ["local", "local.tags"],
      ["module", "module.vpc"],
    ]);
    // Declaring them makes them resolve.
    stack.variable = { region: { type: "string" } };
    stack.locals = { tags: {} };
    stack.module = { vpc: { source: "./vpc" } };
    stack.data.aws_iam_policy_document = { missing: {} };
    expect(whys(stack)).toEqual([]);
  });

  test("to a remote state the stack does not declare", () => {
    const stack = example().stacks["hello-dev"];
    delete stack.data.terraform_remote_state["cross-stack-reference-input-hello-delivery"];
    const found = danglingReferences(stack);
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map((d) => d.target))).toEqual(new Set(["data.terraform_remote_state.cross-stack-reference-input-hello-delivery"]));
  });

  test("in a depends_on entry", () => {
    const stack = example().stacks["platform-prod"];
    const [type, name] = ["aws_eks_node_group", firstName(stack, "aws_eks_node_group")];
    stack.resource[type][name].depends_on = [...stack.resource[type][name].depends_on, "aws_iam_role_policy_attachment.Gone_00000000"];
    expect(whys(stack)).toEqual([`resource.${type}.${name}.depends_on[3]: aws_iam_role_policy_attachment.Gone_00000000 is not declared in this stack`]);
  });

  test("inside a nested template, a function argument and an index expression", () => {
    const stack = example().stacks["hello-dev"];
    const role = firstName(stack, "aws_iam_role");
    stack.resource.aws_iam_role[role].description = '${upper("x-${local.a}")} ${tolist(aws_x.b.c)[0]} ${aws_security_group.none[var.i]}';
    expect(danglingReferences(stack).map((d) => d.target)).toEqual(["local.a", "aws_x.b", "aws_security_group.none", "var.i"]);
  });

  test("through a misspelt for-expression variable, an each outside for_each, or a bare name", () => {
    const stack = example().stacks["hello-dev"];
    const role = firstName(stack, "aws_iam_role");
    stack.resource.aws_iam_role[role].description = "${[for s in var.subnets : sx.id]} ${each.key} ${subnet}";
    expect(danglingReferences(stack).map((d) => d.why)).toEqual([
      "var.subnets is not declared in this stack",
      // `sx.id` reads as resource type sx, name id: Terraform says the same.
      "sx.id is not declared in this stack",
      "each is only defined in a block that sets for_each",
      '"subnet" names no resource, data source, variable, local or module',
    ]);
  });

  test("to a provider configuration the stack does not have", () => {
    const stack = example().stacks["hello-prod"];
    const [name] = Object.entries<Json>(stack.resource.aws_acm_certificate).find(([, r]) => r.provider === "aws.us-east-1")!;
    stack.resource.aws_acm_certificate[name].provider = "aws.eu-central-1";
    expect(whys(stack)).toEqual([`resource.aws_acm_certificate.${name}.provider: provider aws.eu-central-1 is not configured in this stack`]);
  });
});

describe("fails when stacks are wired to each other wrongly", () => {
  const example = () => structuredClone(synthesized["the example platform (local backend)"]);

  test("a direct reference to another stack's resource", () => {
    const { stacks, dependencies } = example();
    const vpc = Object.keys(stacks["platform-dev"].resource.aws_vpc)[0];
    const sg = Object.keys(stacks["hello-dev"].resource.aws_security_group)[0];
    stacks["hello-dev"].resource.aws_security_group[sg].vpc_id = `\${aws_vpc.${vpc}.id}`;
    expect(crossStackProblems(stacks, dependencies)).toEqual([
      `hello-dev: resource.aws_security_group.${sg}.vpc_id refers to aws_vpc.${vpc} of platform-dev, platform-staging, platform-prod directly, not through remote state`,
    ]);
    expect(danglingReferences(stacks["hello-dev"]).map((d) => d.target)).toEqual([`aws_vpc.${vpc}`]);
  });

  test("an output the producing stack does not have", () => {
    const { stacks, dependencies } = example();
    const sg = Object.keys(stacks["hello-dev"].resource.aws_security_group)[0];
    stacks["hello-dev"].resource.aws_security_group[sg].vpc_id = "${data.terraform_remote_state.cross-stack-reference-input-platform-dev.outputs.no_such_output}";
    expect(crossStackProblems(stacks, dependencies)).toEqual([
      "hello-dev: reads output no_such_output of platform-dev through cross-stack-reference-input-platform-dev, but platform-dev has no such output",
    ]);
  });

  test("a remote state pointing at the wrong state file, or at none", () => {
    const { stacks, dependencies } = example();
    stacks["hello-prod"].data.terraform_remote_state["cross-stack-reference-input-platform-prod"].config.path = "../../../terraform.platform-dev.tfstate";
    stacks["hello-dev"].data.terraform_remote_state["cross-stack-reference-input-platform-dev"].config.path = "../../../terraform.gone.tfstate";
    const problems = crossStackProblems(stacks, dependencies);
    expect(problems).toContain("hello-prod: reads the state of [hello-delivery, platform-dev] but depends on [hello-delivery, platform-prod]");
    expect(problems).toContain(
      'hello-dev: remote state cross-stack-reference-input-platform-dev (local {"path":"../../../terraform.gone.tfstate"}) points at no stack\'s state',
    );
  });

  test("two stacks sharing one state location", () => {
    const { stacks, dependencies } = example();
    stacks["hello-staging"].terraform.backend.local.path = stacks["hello-dev"].terraform.backend.local.path;
    expect(crossStackProblems(stacks, dependencies)).toEqual(
      expect.arrayContaining(["hello-dev: keeps its state where hello-staging keep theirs", "hello-staging: keeps its state where hello-dev keep theirs"]),
    );
  });
});
