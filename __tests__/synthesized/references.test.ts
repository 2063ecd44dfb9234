/**
 * The one reference scanner (synthesized/references.ts): Terraform templates and the HCL
 * expressions inside them, references in JSON values with their paths, whole-value references.
 */
import { formatPath, referencesIn, referencesInExpression, stackReferences, traversalsInExpression, traversalsInTemplate, wholeResourceReference } from "../../synthesized";

describe("the reference reader", () => {
  const targets = (template: string) => traversalsInTemplate(template).map((t) => t.text);

  test.each<[string, string, string[]]>([
    ["an attribute and index chain", "${aws_x.y[0].id}", ["aws_x.y[0].id"]],
    ["a function around a reference, indexed after the call", "${tolist(aws_acm_certificate.c.domain_validation_options)[0].resource_record_name}", ["aws_acm_certificate.c.domain_validation_options"]],
    ["a legacy .0 index after a call", "${tolist(aws_x.y.opts).0.name}", ["aws_x.y.opts"]],
    ["an object constructor: keys are not references", '${jsonencode({ a = var.b, "c" = local.d, e: module.m.out })}', ["var.b", "local.d", "module.m.out"]],
    ["a for-expression binds its names", '${[for s in aws_subnet.p : s.id if s.id != ""]}', ["aws_subnet.p"]],
    ["a for-object with key and value", "${{for k, v in var.m : k => upper(v)}}", ["var.m"]],
    ["a conditional inside a for's collection", "${[for x in var.on ? var.a : var.b : x]}", ["var.on", "var.a", "var.b"]],
    ["a bound name inside a nested string", '${[for i, s in var.l : i == 0 ? s : "${s},${local.sep}"]}', ["var.l", "local.sep"]],
    ["a template inside a string literal inside an interpolation", '${upper("${var.a}-b")}-${local.c}', ["var.a", "local.c"]],
    ["string literals with dots are not references", '${lookup(var.m, "aws_x.y", "data.a.b")}', ["var.m"]],
    ["escapes", "$${aws_x.y} %%{ if var.z } ${var.real}", ["var.real"]],
    ["a template for-directive binds its name", "%{ for n in var.names ~}${n}-${local.suffix}%{ endfor ~}", ["var.names", "local.suffix"]],
    ["a template if-directive", "%{ if var.enabled }on%{ else }${local.off}%{ endif }", ["var.enabled", "local.off"]],
    ["a provider function", "${provider::aws::arn_parse(var.arn).account_id}", ["var.arn"]],
    ["splats", "${aws_x.y[*].id} ${aws_x.z.*.arn}", ["aws_x.y[*].id", "aws_x.z.*.arn"]],
    ["an index expression is read too", "${aws_x.y[var.i].id} ${var.m[local.k]}", ["aws_x.y", "var.i", "var.m", "local.k"]],
    ["arithmetic and comparison", "${length(var.a) > 0 ? var.a[length(var.a) - 1] : null}", ["var.a", "var.a", "var.a"]],
    ["hyphens belong to HCL identifiers", "${data.terraform_remote_state.input-platform-dev.outputs.out-1}", ["data.terraform_remote_state.input-platform-dev.outputs.out-1"]],
    ["each, count, path and terraform are roots like the others", "${each.value}-${count.index}-${path.module}-${terraform.workspace}", ["each.value", "count.index", "path.module", "terraform.workspace"]],
    ["no interpolation at all", "arn:aws:s3:::bucket/*", []],
  ])("%s", (_what, template, expected) => {
    expect(targets(template)).toEqual(expected);
  });

  test("depends_on entries are bare expressions", () => {
    expect(traversalsInExpression("aws_s3_bucket_policy.p").map((t) => t.text)).toEqual(["aws_s3_bucket_policy.p"]);
    expect(traversalsInExpression("data.aws_iam_policy_document.d").map((t) => t.text)).toEqual(["data.aws_iam_policy_document.d"]);
  });

  test("fails loudly on text it cannot read, rather than skipping it", () => {
    expect(() => traversalsInTemplate("${var.a")).toThrow(/cannot read/);
    expect(() => traversalsInTemplate("${(var.a]}")).toThrow(/cannot read/);
    expect(() => traversalsInTemplate("%{ for x in var.l }${x}")).toThrow(/without %\{ endfor \}/);
  });
});


describe("referencesIn", () => {
  test("finds references anywhere in a value, each with its JSON path and its target", () => {
    const refs = referencesIn({ origin: [{ domain_name: "${aws_lb.Lb_1.dns_name}", origin_id: "lb" }], tags: { Name: "plain" } }, ["resource", "aws_cloudfront_distribution", "Cdn"]);
    expect(refs.map((r) => ({ kind: r.kind, target: r.target, path: r.path, at: r.at, text: r.traversal.text }))).toEqual([
      {
        kind: "resource",
        target: "aws_lb.Lb_1",
        path: ["resource", "aws_cloudfront_distribution", "Cdn", "origin", 0, "domain_name"],
        at: "resource.aws_cloudfront_distribution.Cdn.origin[0].domain_name",
        text: "aws_lb.Lb_1.dns_name",
      },
    ]);
  });

  test("skips cdktf's // metadata, which names construct paths, not references", () => {
    expect(referencesIn({ "//": { metadata: { path: "${aws_x.y.z}" } }, name: "${var.n}" }).map((r) => r.target)).toEqual(["var.n"]);
  });

  test("a dynamic block binds its iterator (or its label) inside content only", () => {
    const body = {
      dynamic: {
        ingress: [{ for_each: "${var.rules}", iterator: "rule", content: { from_port: "${rule.value.port}", cidr: "${local.cidr}" } }],
        egress: { for_each: "${var.out}", content: { to_port: "${egress.value}" } },
      },
    };
    const refs = referencesIn(body);
    expect(refs.map((r) => [r.target, r.at])).toEqual([
      ["var.rules", "dynamic.ingress[0].for_each"],
      ["local.cidr", "dynamic.ingress[0].content.cidr"],
      ["var.out", "dynamic.egress.for_each"],
    ]);
  });

  test("plain strings cost nothing and give nothing; an unreadable template fails loudly", () => {
    expect(referencesIn(["arn:aws:s3:::bucket/*", 3, true, null, { a: "x.y.z" }])).toEqual([]);
    expect(() => referencesIn({ broken: "${aws_x.y" })).toThrow(/cannot read/);
  });

  test("a bare expression, with or without ${}", () => {
    expect(referencesInExpression("aws_s3_bucket_policy.p", ["depends_on", 0]).map((r) => [r.target, r.at])).toEqual([["aws_s3_bucket_policy.p", "depends_on[0]"]]);
    expect(referencesInExpression("${data.aws_iam_policy_document.d}").map((r) => [r.kind, r.target])).toEqual([["data", "data.aws_iam_policy_document.d"]]);
  });
});

describe("stackReferences", () => {
  const stack = {
    provider: { kubernetes: [{ host: "${data.terraform_remote_state.p.outputs.endpoint}" }] },
    data: { terraform_remote_state: { p: { backend: "local", config: { path: "x" } } } },
    resource: {
      aws_s3_bucket: { B: { bucket: "b", lifecycle: { ignore_changes: ["tags"], replace_triggered_by: ["${aws_kms_key.K}"] } } },
      aws_s3_bucket_policy: { P: { bucket: "${aws_s3_bucket.B.id}", depends_on: ["aws_s3_bucket.B"] } },
      aws_kms_key: { K: { "//": { metadata: { path: "s/K" } }, description: "key" } },
    },
    output: { bucket: { value: "${aws_s3_bucket.B.bucket}" } },
    locals: { tags: "${var.tags}" },
    terraform: { backend: { local: { path: "${not.a.reference}" } } },
  };

  test("covers resources, data sources, outputs, locals, providers, depends_on and replace_triggered_by; never ignore_changes or the backend", () => {
    expect(stackReferences(stack).map((r) => `${r.at} -> ${r.target}`)).toEqual([
      "resource.aws_s3_bucket.B.lifecycle.replace_triggered_by[0] -> aws_kms_key.K",
      "resource.aws_s3_bucket_policy.P.bucket -> aws_s3_bucket.B",
      "resource.aws_s3_bucket_policy.P.depends_on[0] -> aws_s3_bucket.B",
      "output.bucket.value -> aws_s3_bucket.B",
      "locals.tags -> var.tags",
      "provider.kubernetes[0].host -> data.terraform_remote_state.p",
    ]);
  });
});

describe("wholeResourceReference", () => {
  test.each<[string, unknown, ReturnType<typeof wholeResourceReference>]>([
    ["an attribute", "${aws_kms_key.Key_1.arn}", { type: "aws_kms_key", name: "Key_1", attribute: "arn" }],
    ["an index chain", "${kubernetes_namespace_v1.Ns.metadata[0].name}", { type: "kubernetes_namespace_v1", name: "Ns", attribute: "metadata[0].name" }],
    ["spaces inside the braces", "${ aws_lb.L.arn }", { type: "aws_lb", name: "L", attribute: "arn" }],
    ["no attribute", "${aws_lb.L}", { type: "aws_lb", name: "L", attribute: "" }],
    ["a literal with dots", "my.bucket.name", undefined],
    ["text after the reference", "${aws_s3_bucket.B.arn}/*", undefined],
    ["two references", "${aws_a.b.c}${aws_d.e.f}", undefined],
    ["a function around it", "${upper(aws_a.b.c)}", undefined],
    ["a data source", "${data.aws_caller_identity.c.id}", undefined],
    ["another stack's output", "${data.terraform_remote_state.x.outputs.y}", undefined],
    ["a variable", "${var.x}", undefined],
    ["not a string", 42, undefined],
  ])("%s", (_what, value, expected) => {
    expect(wholeResourceReference(value)).toEqual(expected);
  });
});

test("formatPath writes keys with dots and indexes in brackets", () => {
  expect(formatPath(["resource", "aws_x", "y", "origin", 0, "domain_name", 1])).toBe("resource.aws_x.y.origin[0].domain_name[1]");
  expect(formatPath([])).toBe("");
});
