/** The policy engine: suppressions, enforcement, production-only rules, reports, and the helpers rules share. */
import {
  ALL_RULES,
  block,
  createStackView,
  dig,
  enforce,
  evaluate,
  formatReport,
  isFalse,
  isTrue,
  list,
  parseHclExpression,
  parsePolicy,
  parseReference,
  PolicyConfigurationError,
  PolicyViolationError,
  Rule,
  StackInput,
} from "../../policy";
import { painter } from "../../cli/output";
import { referencesIn } from "../../synthesized";

type Json = Record<string, any>;

/** A stack whose resources get construct paths `<stack>/<name>`, like cdktf's metadata. */
function stack(name: string, resources: Record<string, Record<string, Json>>, production = false): StackInput {
  const resource: Json = {};
  for (const [type, byName] of Object.entries(resources)) {
    resource[type] = Object.fromEntries(Object.entries(byName).map(([n, config]) => [n, { "//": { metadata: { path: `${name}/${n.replace(/_/g, "/")}` } }, ...config }]));
  }
  return { name, production, json: { resource } };
}

/** Flags every `aws_s3_bucket` whose `bucket` contains "bad". */
const BAD_BUCKET: Rule = {
  id: "SLW-TEST-001",
  title: "test buckets are not bad",
  severity: "high",
  resourceTypes: ["aws_s3_bucket"],
  references: {},
  fix: "rename the bucket",
  check: (r) => (String(r.config.bucket).includes("bad") ? [`bucket ${r.config.bucket} is bad`] : []),
};
const PROD_ONLY: Rule = { ...BAD_BUCKET, id: "SLW-TEST-002", title: "production buckets are not bad", productionOnly: true, severity: "medium" };
const LOW_NOTE: Rule = { ...BAD_BUCKET, id: "SLW-TEST-003", severity: "low", check: (r) => [`note on ${r.name}`] };

const TWO_BAD = stack("hello-dev", { aws_s3_bucket: { Cdn_Assets: { bucket: "bad-assets" }, Cdn_Logs: { bucket: "bad-logs" }, Good: { bucket: "fine" } } });

describe("evaluate", () => {
  test("runs every rule on every resource of its types and reports path, address, stack and severity", () => {
    const calls: string[] = [];
    const counting: Rule = { ...BAD_BUCKET, id: "SLW-TEST-009", resourceTypes: ["aws_s3_bucket", "aws_kms_key"], check: (r, s) => (calls.push(`${s.name}:${r.address}`), []) };
    const result = evaluate([TWO_BAD, stack("other", { aws_kms_key: { Key: {} }, aws_vpc: { Vpc: {} } })], { rules: [counting, BAD_BUCKET] });
    expect(calls).toEqual(["hello-dev:aws_s3_bucket.Cdn_Assets", "hello-dev:aws_s3_bucket.Cdn_Logs", "hello-dev:aws_s3_bucket.Good", "other:aws_kms_key.Key"]);
    expect(result.findings.map((f) => [f.rule.id, f.stack, f.path, f.address, f.severity, f.message])).toEqual([
      ["SLW-TEST-001", "hello-dev", "hello-dev/Cdn/Assets", "aws_s3_bucket.Cdn_Assets", "high", "bucket bad-assets is bad"],
      ["SLW-TEST-001", "hello-dev", "hello-dev/Cdn/Logs", "aws_s3_bucket.Cdn_Logs", "high", "bucket bad-logs is bad"],
    ]);
    expect(result.stats).toEqual({ rules: 2, stacks: 2, resources: 5, checks: 7 });
  });

  test("a suppression with a reason marks matching findings suppressed, and they are still listed", () => {
    const result = evaluate([TWO_BAD], {
      rules: [BAD_BUCKET],
      suppressions: [{ rule: "SLW-TEST-001", path: "hello-dev/Cdn/Assets", reason: "public assets are meant to be readable" }],
    });
    expect(result.findings.map((f) => [f.path, f.suppressed])).toEqual([
      ["hello-dev/Cdn/Assets", { reason: "public assets are meant to be readable" }],
      ["hello-dev/Cdn/Logs", undefined],
    ]);
    const report = formatReport(result);
    expect(report).toContain("SUPPRESSED (1)");
    expect(report).toContain("HIGH SLW-TEST-001 hello-dev hello-dev/Cdn/Assets: bucket bad-assets is bad (suppressed: public assets are meant to be readable)");
    expect(report).toContain("HIGH SLW-TEST-001 hello-dev hello-dev/Cdn/Logs: bucket bad-logs is bad (fix: rename the bucket)");
  });

  test("a suppression path covers the construct and everything below it, never a sibling sharing a prefix", () => {
    const json = stack("s", { aws_s3_bucket: { Cdn_Resource: { bucket: "bad" }, Cdn_Deep_Bucket: { bucket: "bad" }, CdnLogs: { bucket: "bad" } } });
    const result = evaluate([json], { rules: [BAD_BUCKET], suppressions: [{ rule: "SLW-TEST-001", path: "s/Cdn/", reason: "the CDN is reviewed separately" }] });
    expect(result.findings.map((f) => [f.path, !!f.suppressed])).toEqual([
      ["s/Cdn/Deep/Bucket", true],
      ["s/Cdn/Resource", true],
      ["s/CdnLogs", false],
    ]);
  });

  test("suppressions that match nothing are returned and reported as unused", () => {
    const unused = { rule: "SLW-TEST-001", path: "hello-dev/Gone", reason: "this construct was removed long ago" };
    const result = evaluate([TWO_BAD], { rules: [BAD_BUCKET], suppressions: [unused] });
    expect(result.unusedSuppressions).toEqual([unused]);
    expect(formatReport(result)).toContain("UNUSED SUPPRESSIONS (1)");
  });

  test("a platform-file suppression copied to every stack it is meant for is unused only when no copy matched, and is reported once", () => {
    // An app's suppression reaches hello-dev and hello-prod; only hello-dev has the finding.
    const reason = "reviewed: these buckets are meant to be this way";
    const copies = ["hello-dev/Cdn", "hello-prod/Cdn"].map((p) => ({ rule: "SLW-TEST-001", path: p, reason }));
    const other = stack("hello-prod", { aws_s3_bucket: {} });
    const used = evaluate([TWO_BAD, other], { rules: [BAD_BUCKET], suppressions: copies });
    expect(used.findings.every((f) => f.suppressed)).toBe(true);
    expect(used.unusedSuppressions).toEqual([]);
    // Matching nowhere: one report, not one per stack.
    const gone = ["hello-dev/Gone", "hello-prod/Gone"].map((p) => ({ rule: "SLW-TEST-001", path: p, reason }));
    expect(evaluate([TWO_BAD, other], { rules: [BAD_BUCKET], suppressions: gone }).unusedSuppressions).toEqual([gone[0]]);
  });

  test("fails when a suppression has no reason, a short reason, no path or an unknown rule id, listing every problem at once", () => {
    const run = () =>
      evaluate([TWO_BAD], {
        rules: [BAD_BUCKET],
        suppressions: [
          { rule: "SLW-TEST-001", path: "hello-dev/Cdn", reason: undefined as unknown as string },
          { rule: "SLW-TEST-001", path: "hello-dev/Cdn", reason: "because" },
          { rule: "SLW-TEST-01", path: "hello-dev/Cdn", reason: "a long enough reason" },
          { rule: "SLW-TEST-001", path: " ", reason: "a long enough reason" },
        ],
      });
    expect(run).toThrow(PolicyConfigurationError);
    let error: PolicyConfigurationError | undefined;
    try {
      run();
    } catch (e) {
      error = e as PolicyConfigurationError;
    }
    expect(error!.problems).toEqual([
      expect.stringMatching(/^suppression 1 .*a reason of at least 10 characters is required \(received null\)/),
      expect.stringMatching(/^suppression 2 .*a reason of at least 10 characters is required \(received "because"\)/),
      expect.stringMatching(/^suppression 3 \(rule "SLW-TEST-01".*unknown rule id; did you mean SLW-TEST-001\?/),
      expect.stringMatching(/^suppression 4 .*a construct path \(or a prefix of one\) is required/),
    ]);
    expect(error!.message).toContain("Policy configuration is invalid:");
  });

  test("defaults to every rule of ALL_RULES", () => {
    const result = evaluate([stack("s", { aws_kms_key: { Key: { enable_key_rotation: false } } })]);
    expect(result.stats.rules).toBe(ALL_RULES.length);
    expect(result.findings.map((f) => f.rule.id)).toEqual(["SLW-KMS-001"]);
  });

  test("fails when two rules share an id", () => {
    expect(() => evaluate([], { rules: [BAD_BUCKET, { ...BAD_BUCKET }] })).toThrow(/rule id SLW-TEST-001 is used by more than one rule/);
  });

  test("production-only rules skip non-production stacks", () => {
    const prod = stack("hello-prod", { aws_s3_bucket: { Bucket: { bucket: "bad" } } }, true);
    const dev = stack("hello-dev", { aws_s3_bucket: { Bucket: { bucket: "bad" } } }, false);
    const result = evaluate([prod, dev], { rules: [PROD_ONLY] });
    expect(result.findings.map((f) => f.stack)).toEqual(["hello-prod"]);
  });

  test("a rule that throws yields a finding instead of passing silently", () => {
    const broken: Rule = { ...BAD_BUCKET, check: () => { throw new Error("cannot read property x"); } };
    const result = evaluate([TWO_BAD], { rules: [broken] });
    expect(result.findings).toHaveLength(3);
    expect(result.findings[0].message).toBe("the rule could not evaluate this resource: cannot read property x");
  });

  test("findings are sorted by severity, then stack and path", () => {
    const result = evaluate([stack("b", { aws_s3_bucket: { X: { bucket: "bad" } } }, true), TWO_BAD], { rules: [LOW_NOTE, PROD_ONLY, BAD_BUCKET] });
    expect(result.findings.map((f) => `${f.severity} ${f.stack} ${f.path}`)).toEqual([
      "high b b/X",
      "high hello-dev hello-dev/Cdn/Assets",
      "high hello-dev hello-dev/Cdn/Logs",
      "medium b b/X",
      "low b b/X",
      "low hello-dev hello-dev/Cdn/Assets",
      "low hello-dev hello-dev/Cdn/Logs",
      "low hello-dev hello-dev/Good",
    ]);
  });
});

describe("formatReport", () => {
  test("groups by severity, HIGH first, each line SEVERITY RULE-ID stack path: message (fix: ...)", () => {
    const report = formatReport(evaluate([TWO_BAD], { rules: [LOW_NOTE, BAD_BUCKET] }));
    const lines = report.split("\n");
    expect(lines[0]).toBe("Policy: 2 rules, 6 checks over 3 resources in 1 stacks");
    expect(lines[1]).toBe("Findings: 2 high, 0 medium, 3 low; 0 suppressed");
    expect(lines.indexOf("HIGH (2)")).toBeLessThan(lines.indexOf("LOW (3)"));
    expect(lines).toContain("  HIGH SLW-TEST-001 hello-dev hello-dev/Cdn/Assets: bucket bad-assets is bad (fix: rename the bucket)");
    expect(lines).toContain("  LOW SLW-TEST-003 hello-dev hello-dev/Good: note on Good (fix: rename the bucket)");
  });

  test("colours severities only when given a painter that paints", () => {
    const result = evaluate([TWO_BAD], { rules: [BAD_BUCKET] });
    expect(formatReport(result)).not.toContain("\u001b[");
    expect(formatReport(result, { paint: painter(false) })).toBe(formatReport(result));
    const coloured = formatReport(result, { paint: painter(true) });
    expect(coloured).toContain("\u001b[31mHIGH (2)\u001b[39m");
    expect(coloured.split("\n")[0]).toBe("\u001b[1mPolicy: 1 rules, 3 checks over 3 resources in 1 stacks\u001b[22m");
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, "")).toBe(formatReport(result));
  });

  test("says so when nothing is open", () => {
    expect(formatReport(evaluate([stack("s", {})], { rules: [BAD_BUCKET] }))).toContain("No unsuppressed findings.");
  });
});

describe("enforce", () => {
  test("throws one error listing every unsuppressed high finding at once", () => {
    const result = evaluate([TWO_BAD, stack("hello-prod", { aws_s3_bucket: { Data: { bucket: "bad-data" } } }, true)], { rules: [BAD_BUCKET, LOW_NOTE] });
    let error: unknown;
    try {
      enforce(result);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyViolationError);
    const violation = error as PolicyViolationError;
    expect(violation.findings.map((f) => f.path)).toEqual(["hello-dev/Cdn/Assets", "hello-dev/Cdn/Logs", "hello-prod/Data"]);
    expect(violation.message).toMatch(/^3 unsuppressed high-severity policy findings:/);
    expect(violation.message).toContain("HIGH SLW-TEST-001 hello-dev hello-dev/Cdn/Logs: bucket bad-logs is bad (fix: rename the bucket)");
    expect(violation.message).toContain("HIGH SLW-TEST-001 hello-prod hello-prod/Data: bucket bad-data is bad");
    expect(violation.message).not.toContain("SLW-TEST-003");
  });

  test("passes when every high finding is suppressed (medium and low never block)", () => {
    const result = evaluate([TWO_BAD], {
      rules: [BAD_BUCKET, LOW_NOTE],
      suppressions: [{ rule: "SLW-TEST-001", path: "hello-dev/Cdn", reason: "accepted until the CDN is rebuilt" }],
    });
    expect(() => enforce(result)).not.toThrow();
  });
});

describe("policy documents", () => {
  test("an unparseable policy yields a low SLW-POLICY-001 finding, not a crash", () => {
    const json = stack("s", {
      aws_iam_role_policy: { Computed: { policy: "${data.aws_iam_policy_document.x.json}" } },
      aws_kms_key: { Key: { enable_key_rotation: true, policy: '${jsonencode(merge(local.base, {"Statement" = []}))}' } },
    });
    const result = evaluate([json], { rules: ALL_RULES });
    expect(result.findings.map((f) => [f.rule.id, f.severity, f.address])).toEqual([
      ["SLW-POLICY-001", "low", "aws_iam_role_policy.Computed"],
      ["SLW-POLICY-001", "low", "aws_kms_key.Key"],
    ]);
    expect(result.findings[0].message).toMatch(/^policy is not statically checkable: the document is the Terraform expression/);
    expect(result.findings[1].message).toMatch(/jsonencode\(\.\.\.\) is not a literal document \(function call merge\(\.\.\.\) is not evaluated/);
  });

  test("parses JSON with interpolations inside strings, and jsonencode of a literal document", () => {
    expect(parsePolicy('{"Statement":[{"Effect":"Allow","Resource":"${aws_s3_bucket.B.arn}/*"}]}')).toMatchObject({ ok: true, statements: [{ Resource: "${aws_s3_bucket.B.arn}/*" }] });
    const hcl = '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Deny", "Resource" = [aws_s3_bucket.B.arn, "${aws_s3_bucket.B.arn}/*"], "Condition" = {"Bool" = {"aws:SecureTransport" = "false"}}, "N" = 3, "T" = true}]})}';
    expect(parsePolicy(hcl)).toEqual({
      ok: true,
      document: expect.anything(),
      statements: [{ Effect: "Deny", Resource: ["${aws_s3_bucket.B.arn}", "${aws_s3_bucket.B.arn}/*"], Condition: { Bool: { "aws:SecureTransport": "false" } }, N: 3, T: true }],
    });
  });

  test("parseHclExpression keeps templates verbatim, reads escapes, newline-separated attributes and indexed references", () => {
    expect(parseHclExpression('{"a" = "x-${foo("}")}-y", b = "q\\"\\n", "c" = data.x.y.list[0].arn, "d" = "$${literal}"}')).toEqual({
      a: 'x-${foo("}")}-y',
      b: 'q"\n',
      c: "${data.x.y.list[0].arn}",
      d: "${literal}",
    });
    expect(parseHclExpression('{\n  a = 1\n  b = [null, false]\n}')).toEqual({ a: 1, b: [null, false] });
    expect(() => parseHclExpression('{"a" = 1 + 2}')).toThrow(/expected ',' or '}'/);
    expect(() => parseHclExpression('{"a" = length(x)}')).toThrow(/function call length/);
    expect(() => parseHclExpression('{"a" = "open')).toThrow(/unterminated string/);
  });
});

describe("helpers", () => {
  test("block, list and dig read nested blocks written as lists or objects", () => {
    const asLists = { spec: [{ template: [{ spec: [{ container: [{ name: "a" }] }] }] }] };
    const asObjects = { spec: { template: { spec: { container: [{ name: "a" }] } } } };
    expect(dig(asLists, "spec", "template", "spec", "container")).toEqual([{ name: "a" }]);
    expect(dig(asObjects, "spec", "template", "spec", "container")).toEqual([{ name: "a" }]);
    expect(dig(asObjects, "spec", "missing", "spec")).toBeUndefined();
    expect(block([])).toBeUndefined();
    expect(list(undefined)).toEqual([]);
    expect(list("x")).toEqual(["x"]);
  });

  test("booleans may be strings", () => {
    expect([isTrue(true), isTrue("true"), isTrue("TRUE"), isTrue("false"), isTrue(undefined)]).toEqual([true, true, true, false, false]);
    expect([isFalse(false), isFalse("false"), isFalse(undefined)]).toEqual([true, true, false]);
  });

  test("references", () => {
    expect(parseReference("${aws_kms_key.Key_1.arn}")).toEqual({ type: "aws_kms_key", name: "Key_1", attribute: "arn" });
    expect(parseReference("${kubernetes_namespace_v1.Ns.metadata[0].name}")).toEqual({ type: "kubernetes_namespace_v1", name: "Ns", attribute: "metadata[0].name" });
    expect(parseReference("my.bucket.name")).toBeUndefined();
    expect(parseReference("${aws_s3_bucket.B.arn}/*")).toBeUndefined();
    expect(parseReference("${data.terraform_remote_state.x.outputs.y}")).toBeUndefined();
    expect(parseReference("arn:aws:iam::1:root")).toBeUndefined();
    // Everything a value refers to comes from the one scanner (synthesized/references.ts).
    const refs = referencesIn({ a: "${aws_vpc.V.id}", b: ["x ${aws_subnet.S-1.id} y"], c: "${data.aws_caller_identity.c.id}" });
    expect(refs.filter((r) => r.kind === "resource").map((r) => r.target)).toEqual(["aws_vpc.V", "aws_subnet.S-1"]);
  });

  test("referencing finds resources that mention the target, not ones whose name merely starts the same", () => {
    const view = createStackView(
      stack("s", {
        aws_vpc: { Vpc: {}, Vpc2: {} },
        aws_flow_log: { ForVpc2: { vpc_id: "${aws_vpc.Vpc2.id}" }, ForVpc: { vpc_id: "${aws_vpc.Vpc.id}" } },
        aws_iam_role_policy: { Hcl: { policy: '${jsonencode({"Resource" = aws_vpc.Vpc.arn})}' } },
      }),
    );
    const vpc = view.resources("aws_vpc")[0];
    expect(view.referencing("aws_flow_log", vpc).map((r) => r.name)).toEqual(["ForVpc"]);
    expect(view.referencing("aws_iam_role_policy", vpc).map((r) => r.name)).toEqual(["Hcl"]);
    expect(view.resolve("${aws_vpc.Vpc2.id}")?.name).toBe("Vpc2");
    expect(view.resolve("${aws_vpc.Missing.id}")).toBeUndefined();
  });
});
