import { Lazy, TerraformOutput, TerraformStack, Testing, Token } from "cdktf";
import { stringify } from "yaml";
import { cdktfTokenLookalike, literalProblems, terraformLiteral, terraformLiterals } from "../../platform/literal";
import { parsePlatform, PlatformFileError } from "../../platform/model";
import { exampleDocument } from "../support/platform";
import { terraformForTests } from "../support/terraform";
import { evaluateWithTerraform, readTemplate } from "../support/terraform-eval";

/** Text a platform file could hold that Terraform or a shell would read as more than text. */
const TRICKY = [
  '${file("/etc/passwd")}',
  "%{ if true }yes%{ endif }",
  "%{for x in [1]}${x}%{endfor}",
  "already escaped: $${x} and %%{y} and $$${z}",
  "ends with $ and %",
  "$ {not} % {a template}",
  "$$",
  'line one\nline two\r\n\ttabbed "double" \'single\' back\\slash \\n not a newline',
  "$(id) `id` ; rm -rf / && echo $HOME ${HOME} ${{ secrets.TOKEN }}",
  "unicode: é ✓ 🚀 \u00a0",
  "{}{}}{ $}{ %}{",
  "",
];

/** Synthesizes `value` as an output and returns the string cdktf writes for it. */
function synthesized(value: string): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new TerraformOutput(stack, "v", { value });
  return JSON.parse(Testing.synth(stack)).output.v.value;
}

describe("terraformLiteral", () => {
  test("doubles ${ and %{, and nothing else", () => {
    expect(terraformLiteral('${file("/etc/passwd")}')).toBe('$${file("/etc/passwd")}');
    expect(terraformLiteral("%{ if x }")).toBe("%%{ if x }");
    expect(terraformLiteral("$${x}")).toBe("$$${x}");
    expect(terraformLiteral('a\n"b" \\ $HOME % $ {')).toBe('a\n"b" \\ $HOME % $ {');
  });

  test("every escaped string reads back as the original, no interpolation left live", () => {
    for (const text of TRICKY) {
      const { literal, live } = readTemplate(terraformLiteral(text));
      expect(live).toEqual([]);
      expect(literal).toBe(text);
    }
  });

  test("cdktf writes an escaped string into cdk.tf.json unchanged", () => {
    for (const text of TRICKY) expect(synthesized(terraformLiteral(text))).toBe(terraformLiteral(text));
  });

  test("why token lookalikes are refused: cdktf replaces its markers inside any string, escaped or not", () => {
    const secret = Token.asString(Lazy.stringValue({ produce: () => "the-database-password" }));
    const marker = /\$\{TfToken\[[^\]]+\]\}/.exec(secret)![0];
    // The escape Terraform honours does not hide the marker from cdktf, which resolves first.
    const escaped = `$${marker}`; // what doubling `${` alone would give: $${TfToken[...]}
    expect(escaped.startsWith("$${TfToken[")).toBe(true);
    expect(synthesized(`echo ${escaped}`)).toBe("echo $the-database-password");
    const port = Token.asNumber(Lazy.numberValue({ produce: () => 5432 }));
    expect(synthesized(`port ${String(port)}`)).toBe("port 5432");
    // So the boundary refuses them.
    expect(() => terraformLiteral(marker)).toThrow(/cdktf reads as one of its token placeholders/);
    expect(() => terraformLiteral(`port ${String(port)}`)).toThrow(/number whose bits cdktf reads as one of its number tokens/);
  });

  test("cdktfTokenLookalike: every cdktf marker, and nothing ordinary", () => {
    const list = Token.asList(Lazy.listValue({ produce: () => ["a"] }))[0];
    const numbers = Token.asNumberList(Lazy.listValue({ produce: () => ["1"] }))[0];
    for (const text of ["${TfToken[TOKEN.1]}", "x #{TfToken[TOKEN.12]}", "&{TfToken[TOKEN.3]}", list, String(numbers), "String Map Token Value", "Any Map Token Value"]) {
      expect(cdktfTokenLookalike(text)).toEqual(expect.any(String));
    }
    for (const text of [...TRICKY, "1e5", "-1.5e+10", "TfToken", "${TfToken}", "2.5e-3 and 6.02e23"]) {
      expect(cdktfTokenLookalike(text)).toBeUndefined();
    }
  });
});

describe("terraformLiterals", () => {
  test("escapes every string of plain data once, keys included; other values as they are", () => {
    const data = { a: "${x}", n: 3, b: true, u: undefined, list: ["%{y}", { deep: "${z}" }], map: { "${k}": "v" } };
    expect(terraformLiterals(data)).toEqual({ a: "$${x}", n: 3, b: true, u: undefined, list: ["%%{y}", { deep: "$${z}" }], map: { "$${k}": "v" } });
    expect(data.a).toBe("${x}");
  });

  test("fails on anything but plain data (a construct or token is not platform-file text)", () => {
    expect(() => terraformLiterals({ when: new Date(0) })).toThrow(/plain data/);
  });
});

describe("literalProblems: the model reports what cannot stay data, with file, line and path", () => {
  function problems(change: (doc: any) => void): PlatformFileError {
    const doc = exampleDocument();
    change(doc);
    try {
      parsePlatform(stringify(doc), "platform.yaml");
    } catch (error) {
      if (error instanceof PlatformFileError) return error;
      throw error;
    }
    throw new Error("expected a PlatformFileError");
  }

  test("fails when a value holds a cdktf token marker, anywhere", () => {
    const error = problems((doc) => {
      doc.apps[0].env.EVIL = "${TfToken[TOKEN.1]}";
      doc.environments[0].suppressions = [{ rule: "SLW-CF-005", reason: "a reason #{TfToken[TOKEN.2]}" }];
    });
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "apps[0].env.EVIL", line: expect.any(Number), message: expect.stringContaining("cdktf reads as one of its token placeholders") }),
        expect.objectContaining({ path: "environments[0].suppressions[0].reason", line: expect.any(Number) }),
      ]),
    );
  });

  test("fails when the test command or a runner label holds ${{", () => {
    const error = problems((doc) => {
      doc.apps[0].test = "npm test ${{ secrets.NPM_TOKEN }}";
      doc.environments[1].deploy = { runsOn: ["self-hosted", "${{ github.actor }}"] };
    });
    // Exactly one problem each (the shared validators' own), located, saying what is refused.
    expect(error.problems.map((p) => p.path).sort()).toEqual(["apps[0].test", "environments[1].deploy.runsOn[1]"]);
    expect(error.problems.every((p) => p.line !== undefined && p.message.includes("without '${{'"))).toBe(true);
    expect(error.message).toMatch(/platform\.yaml:\d+:\d+: apps\[0\]\.test: .*GitHub Actions would evaluate it as an expression/);
  });

  test("${{ elsewhere is plain text: the migrate command and env values never enter a workflow", () => {
    const doc = exampleDocument();
    doc.apps[0].migrate = "echo ${{ x }}";
    doc.apps[0].env.TEMPLATE = "${{ y }}";
    expect(literalProblems(doc)).toEqual([]);
  });
});

const real = terraformForTests("evaluation of escaped strings");

real.describe("real Terraform", () => {
  test("evaluates every escaped string back to the original, byte for byte", () => {
    const values = evaluateWithTerraform(real.tools!, TRICKY.map(terraformLiteral));
    values.forEach((value, i) => expect(Buffer.from(value)).toEqual(Buffer.from(TRICKY[i])));
  });

  test("the same strings unescaped are live: Terraform refuses or evaluates them (the escaping is what makes them text)", () => {
    expect(evaluateWithTerraform(real.tools!, ["%{ if true }yes%{ endif }"])).toEqual(["yes"]);
    expect(() => evaluateWithTerraform(real.tools!, ['${file("/nonexistent/slipway")}'])).toThrow(/no file exists|Invalid value for "path"/);
  });
});
