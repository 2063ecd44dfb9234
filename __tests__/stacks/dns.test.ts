/**
 * DNS: an app domain gets alias records (and its certificates' validation records) in the
 * environment's Route 53 zone, also when that zone lives in another account, through a provider
 * alias assuming a DNS-only role there; without a zone, the synth summary lists the records to
 * create. The example platform with prod's zone in the dev account (111111111111), dev's zone in
 * its own account, and staging without a zone.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { infraWorkflows } from "../../cli/infra-workflows";
import { formatSummary, SynthResult, synthesize, summaryJson } from "../../cli/synth";
import { parsePlatform, PlatformConfig } from "../../platform/model";
import { dnsRoleDocuments, dnsZoneAccess } from "../../stacks";
import { actionlint } from "../support/actionlint";
import { exampleDocument, tempDir } from "../support/platform";
import { checkStacks, terraformForTests } from "../support/terraform";
import { loadSynthesizedOutput } from "../../synthesized";

type Json = any;

const PROD_ZONE = "Z0123456789PRODZONE";
const DEV_ZONE = "Z0123456789DEVZONE0";
const WRITE_ROLE = "arn:aws:iam::111111111111:role/acme-prod-dns";
const READ_ROLE = "arn:aws:iam::111111111111:role/acme-prod-dns-read";

function dnsDocument(change: (doc: Json) => void = () => {}): Json {
  const doc = exampleDocument();
  doc.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };
  const env = (name: string) => doc.environments.find((e: Json) => e.name === name);
  env("dev").dns = { hostedZoneId: DEV_ZONE };
  env("prod").dns = { hostedZoneId: PROD_ZONE, account: "111111111111" };
  change(doc);
  return doc;
}
const load = (doc: Json): PlatformConfig => parsePlatform(stringify(doc), "test.yaml");
const problemsOf = (doc: Json): string => {
  try {
    load(doc);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the platform file was accepted");
};

const work = tempDir("slipway-dns-");
const platformFile = path.join(work, "platform.yaml");
fs.writeFileSync(platformFile, stringify(dnsDocument()));
const outdir = path.join(work, "out");
let result: SynthResult;
const stacks: Record<string, Json> = {};

beforeAll(() => {
  result = synthesize({ platformFile, outdir });
  for (const s of loadSynthesizedOutput(outdir).stacks) stacks[s.name] = s.json;
}, 120_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const resources = (stack: Json, type: string): Array<[string, Json]> => Object.entries(stack.resource?.[type] ?? {});
const byPath = (stack: Json, type: string, suffix: string): Json => {
  const found = resources(stack, type).filter(([, r]) => String(r["//"].metadata.path).endsWith(`/${suffix}`));
  expect(found.map(([name]) => name)).toHaveLength(1);
  return found[0][1];
};
const policy = (body: Json) => JSON.parse(body.policy ?? body.assume_role_policy);

describe("the platform model", () => {
  test("a zone in another account gets the DNS roles' default names in that account; a zone in the environment's own account needs none", () => {
    const platform = load(dnsDocument());
    const dns = Object.fromEntries(platform.environments.map((e) => [e.name, e.dns]));
    expect(dns).toEqual({
      dev: { hostedZoneId: DEV_ZONE, crossAccount: undefined },
      staging: { hostedZoneId: undefined, crossAccount: undefined },
      prod: { hostedZoneId: PROD_ZONE, crossAccount: { account: "111111111111", roleArn: WRITE_ROLE, readRoleArn: READ_ROLE } },
    });
    // dns.account naming the environment's own account is the same-account case.
    const same = load(dnsDocument((d) => (d.environments[2].dns.account = "222222222222")));
    expect(same.environments[2].dns).toEqual({ hostedZoneId: PROD_ZONE, crossAccount: undefined });
  });

  test("roleArn and readRoleArn name the zone owner's roles", () => {
    const platform = load(
      dnsDocument((d) => Object.assign(d.environments[2].dns, { account: "999999999999", roleArn: "arn:aws:iam::999999999999:role/dns/acme-writer", readRoleArn: "arn:aws:iam::999999999999:role/acme-reader" })),
    );
    expect(platform.environments[2].dns.crossAccount).toEqual({ account: "999999999999", roleArn: "arn:aws:iam::999999999999:role/dns/acme-writer", readRoleArn: "arn:aws:iam::999999999999:role/acme-reader" });
  });

  test("fails when a DNS role is in another account than the zone's, naming the path and the expected account", () => {
    const message = problemsOf(dnsDocument((d) => (d.environments[2].dns.roleArn = "arn:aws:iam::222222222222:role/dns")));
    expect(message).toMatch(/test\.yaml:\d+:\d+: environments\[2\]\.dns\.roleArn: the role is in account 222222222222, not the zone's 111111111111: expected a role of account 111111111111/);
  });

  test("fails when account or a role is given without a zone, or a role for the environment's own zone", () => {
    expect(problemsOf(dnsDocument((d) => (d.environments[1].dns = { account: "111111111111" })))).toMatch(/environments\[1\]\.dns\.account: dns\.account needs dns\.hostedZoneId/);
    expect(problemsOf(dnsDocument((d) => (d.environments[0].dns.readRoleArn = "arn:aws:iam::111111111111:role/r")))).toMatch(
      /environments\[0\]\.dns\.readRoleArn: dns\.readRoleArn is only for a zone in another account \(dns\.account other than the environment's 111111111111\)/,
    );
  });
});

describe("<app>-<env> with a zone in another account (hello-prod)", () => {
  test("a provider alias `dns` assumes the zone account's DNS roles: read-only by default, the write role with dns_access=write", () => {
    const prod = stacks["hello-prod"];
    const aliases = prod.provider.aws.map((p: Json) => p.alias ?? "(default)");
    // Production also copies its backups to a second region (backup-copy), which assumes nothing.
    expect(aliases).toEqual(["(default)", "us-east-1", "dns", "backup-copy"]);
    expect(prod.provider.aws[3].assume_role).toBeUndefined();
    const dns = prod.provider.aws[2];
    expect(dns.allowed_account_ids).toEqual(["111111111111"]);
    expect(dns.region).toBe("eu-west-1");
    expect(dns.assume_role).toEqual([{ role_arn: `\${{"read" = "${READ_ROLE}", "write" = "${WRITE_ROLE}"}[var.dns_access]}`, session_name: "slipway-hello-prod-dns" }]);
    expect(prod.variable.dns_access).toEqual({
      type: "string",
      default: "read",
      description: expect.stringContaining("read (plans) or write"),
      validation: [{ condition: '${contains(["read", "write"], var.dns_access)}', error_message: "dns_access must be read or write." }],
    });
    // The environment's own providers still take their credentials from the job.
    for (const p of prod.provider.aws.slice(0, 2)) expect(p.assume_role).toBeUndefined();
  });

  test("the domain's A and AAAA alias records and both certificate validation records are made in the zone through the dns provider", () => {
    const prod = stacks["hello-prod"];
    const records = Object.fromEntries(resources(prod, "aws_route53_record").map(([, r]) => [String(r["//"].metadata.path).replace(/^hello-prod\//, ""), r]));
    expect(Object.keys(records).sort()).toEqual(["Cdn/CertificateValidationRecord", "DomainA", "DomainAAAA", "LoadBalancer/CertificateValidationRecord"]);
    for (const r of Object.values<Json>(records)) {
      expect(r.provider).toBe("aws.dns");
      expect(r.zone_id).toBe(PROD_ZONE);
    }
    const [distribution] = Object.keys(prod.resource.aws_cloudfront_distribution);
    for (const type of ["A", "AAAA"]) {
      expect(records[`Domain${type}`]).toMatchObject({
        name: "hello.acme.example",
        type,
        alias: { name: `\${aws_cloudfront_distribution.${distribution}.domain_name}`, zone_id: `\${aws_cloudfront_distribution.${distribution}.hosted_zone_id}`, evaluate_target_health: false },
      });
    }
    expect(records["Cdn/CertificateValidationRecord"].name).toMatch(/^\$\{tolist\(aws_acm_certificate\.Cdn_Certificate_[0-9A-F]+\.domain_validation_options\)\.0\.resource_record_name\}$/);
    // The zone gets the validation records: no output asks for them.
    expect(Object.keys(prod.output).filter((o) => o.endsWith("_certificate_validation"))).toEqual([]);
  });

  test("a zone in the environment's own account (hello-dev) is written with the job's credentials: no alias, no variable", () => {
    const dev = stacks["hello-dev"];
    expect(dev.provider.aws.map((p: Json) => p.alias ?? "(default)")).toEqual(["(default)", "us-east-1"]);
    expect(dev.variable).toBeUndefined();
    const records = resources(dev, "aws_route53_record").map(([, r]) => r);
    // The domain's A and AAAA, two certificate validations, and the previews' wildcard A and AAAA (dev hosts hello's previews).
    expect(records).toHaveLength(6);
    for (const r of records) expect([r.zone_id, r.provider]).toEqual([DEV_ZONE, undefined]);
  });

  test("no other provider of any stack assumes a role", () => {
    for (const [name, stack] of Object.entries<Json>(stacks)) {
      const assuming = (stack.provider?.aws ?? []).filter((p: Json) => p.assume_role).map((p: Json) => p.alias);
      expect([name, assuming]).toEqual([name, name === "hello-prod" ? ["dns"] : []]);
    }
  });
});

describe("the DNS roles, made by the zone account's bootstrap stack (bootstrap-111111111111)", () => {
  test("the write role: trusted only by prod's apply role; reads the zone and changes only A/AAAA/CNAME records of the app domains and their _* validation names", () => {
    const bootstrap = stacks["bootstrap-111111111111"];
    const role = byPath(bootstrap, "aws_iam_role", "DnsRole-prod/Resource");
    expect([role.name, role.path, role.max_session_duration]).toEqual(["acme-prod-dns", "/", 3600]);
    expect(policy(role).Statement).toEqual([
      {
        Sid: "EnvironmentApplyRole",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "sts:AssumeRole",
        // prod's assumeRoleArn: its apply role.
        Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/slipway-deploy" } },
      },
    ]);
    const [read, wait, change, ...more] = policy(byPath(bootstrap, "aws_iam_role_policy", "DnsRole-prod/Records")).Statement;
    expect(more).toEqual([]);
    expect(read).toEqual({ Sid: "ReadZone", Effect: "Allow", Action: ["route53:GetHostedZone", "route53:ListResourceRecordSets"], Resource: `arn:aws:route53:::hostedzone/${PROD_ZONE}` });
    expect(wait).toEqual({ Sid: "WaitForChanges", Effect: "Allow", Action: "route53:GetChange", Resource: "arn:aws:route53:::change/*" });
    expect(change.Sid).toBe("ChangeOnlyTheAppsRecords");
    expect(change.Effect).toBe("Allow");
    expect(change.Action).toBe("route53:ChangeResourceRecordSets");
    expect(change.Resource).toBe(`arn:aws:route53:::hostedzone/${PROD_ZONE}`);
    expect(Object.keys(change.Condition).sort()).toEqual(["ForAllValues:StringEquals", "ForAllValues:StringLike"]);
    expect(change.Condition["ForAllValues:StringLike"]).toEqual({ "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["hello.acme.example", "_*.hello.acme.example"] });
    expect(change.Condition["ForAllValues:StringEquals"]).toEqual({
      "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME"],
      "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
    });
  });

  test("where the environment hosts previews, the write role may also change the app domain's wildcard (and only there)", () => {
    const dev = dnsDocument((doc) => (doc.environments[0].dns = { hostedZoneId: DEV_ZONE, account: "222222222222" }));
    const accesses = dnsZoneAccess(load(dev));
    const access = accesses.find((a) => a.environment.name === "dev")!;
    expect([access.domains, access.previewDomains]).toEqual([["hello.dev.acme.example"], ["hello.dev.acme.example"]]);
    const change = (dnsRoleDocuments(access).write.policy as Json).Statement.find((s: Json) => s.Sid === "ChangeOnlyTheAppsRecords");
    expect(change.Condition["ForAllValues:StringLike"]).toEqual({ "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["hello.dev.acme.example", "_*.hello.dev.acme.example", "*.hello.dev.acme.example"] });
    // prod never hosts previews: no wildcard there.
    expect(accesses.find((a) => a.environment.name === "prod")!.previewDomains).toEqual([]);
  });

  test("the read role: trusted only by the plan role of prod's account; reads the zone and nothing else", () => {
    const bootstrap = stacks["bootstrap-111111111111"];
    const role = byPath(bootstrap, "aws_iam_role", "DnsReadRole-prod/Resource");
    expect(role.name).toBe("acme-prod-dns-read");
    expect(policy(role).Statement).toEqual([
      {
        Sid: "EnvironmentPlanRole",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "sts:AssumeRole",
        Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/acme-plan" } },
      },
    ]);
    const actions = policy(byPath(bootstrap, "aws_iam_role_policy", "DnsReadRole-prod/Records")).Statement.flatMap((s: Json) => [s.Effect, s.Action].flat());
    expect(actions).toEqual(["Allow", "route53:GetHostedZone", "route53:ListResourceRecordSets", "Allow", "route53:GetChange"]);
  });

  test("the zone account's apply roles may not change the DNS roles (CI identities)", () => {
    const bootstrap = stacks["bootstrap-111111111111"];
    for (const env of ["dev", "staging"]) {
      const never = policy(byPath(bootstrap, "aws_iam_role_policy", `ApplyRole-${env}/Manage`)).Statement.find((s: Json) => s.Sid === "NeverChangeCiIdentities");
      expect(never.Resource).toEqual(expect.arrayContaining([WRITE_ROLE, READ_ROLE]));
    }
  });

  test("the summary line of the zone account's bootstrap names the DNS roles", () => {
    expect(result.stacks.find((s) => s.name === "bootstrap-111111111111")!.description).toMatch(/, DNS roles for prod$/);
  });
});

describe("the identities of the environment's account (bootstrap-222222222222)", () => {
  test("the plan role may assume exactly the read-only DNS role and still no other role, nor read secrets", () => {
    const statements = policy(byPath(stacks["bootstrap-222222222222"], "aws_iam_role_policy", "PlanRole/ReadOnly")).Statement;
    const sids = statements.map((s: Json) => s.Sid);
    expect(sids.slice(-3)).toEqual(["NeverEscalateOrReadSecrets", "AssumeOnlyReadOnlyDnsRoles", "ReadDnsZonesOfOtherAccounts"]);
    const [never, onlyDns, allow] = statements.slice(-3);
    expect(never.Effect).toBe("Deny");
    expect(never.Resource).toBe("*");
    expect(never.Action).toEqual(
      expect.arrayContaining(["sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity", "sts:GetFederationToken", "secretsmanager:GetSecretValue", "kms:Decrypt"]),
    );
    expect(never.Action).not.toContain("sts:AssumeRole");
    expect(onlyDns).toEqual({ Sid: "AssumeOnlyReadOnlyDnsRoles", Effect: "Deny", Action: "sts:AssumeRole", NotResource: [READ_ROLE] });
    expect(allow).toEqual({ Sid: "ReadDnsZonesOfOtherAccounts", Effect: "Allow", Action: "sts:AssumeRole", Resource: [READ_ROLE] });
  });

  test("prod's apply role may assume exactly the DNS write role; the dev account's plan role is unchanged", () => {
    const statements = policy(byPath(stacks["bootstrap-222222222222"], "aws_iam_role_policy", "ApplyRole-prod/Manage")).Statement;
    expect(statements.filter((s: Json) => /Assume|BecomeAnother|DnsZones/.test(s.Sid))).toEqual([
      { Sid: "NeverBecomeAnotherRole", Effect: "Deny", Action: ["sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken"], Resource: "*" },
      { Sid: "AssumeOnlyDnsRoles", Effect: "Deny", Action: "sts:AssumeRole", NotResource: [WRITE_ROLE] },
      { Sid: "ChangeDnsZonesOfOtherAccounts", Effect: "Allow", Action: "sts:AssumeRole", Resource: [WRITE_ROLE] },
    ]);
    const devPlan = policy(byPath(stacks["bootstrap-111111111111"], "aws_iam_role_policy", "PlanRole/ReadOnly")).Statement;
    expect(devPlan.filter((s: Json) => s.Effect === "Deny")).toEqual([expect.objectContaining({ Sid: "NeverEscalateOrReadSecrets", Action: expect.arrayContaining(["sts:AssumeRole*"]), Resource: "*" })]);
  });
});

describe("the infrastructure CI", () => {
  test("apply jobs set TF_VAR_dns_access=write; plan and drift jobs leave the read-only default; every workflow passes actionlint", () => {
    const files = infraWorkflows(load(dnsDocument()), { platformFile: "platform.yaml" });
    const jobs = (file: string) => Object.entries<Json>(parse(files[file]).jobs).filter(([, j]) => j.env?.STACK);
    const apply = jobs("slipway-apply.yml");
    expect(apply.length).toBeGreaterThan(2);
    for (const [id, job] of apply) expect([id, job.env.TF_VAR_dns_access]).toEqual([id, "write"]);
    for (const file of ["slipway-plan.yml", "slipway-drift.yml"]) {
      expect(jobs(file).length).toBeGreaterThan(2);
      expect(files[file]).not.toMatch(/TF_VAR_dns_access/);
    }
    expect(actionlint(Object.fromEntries(Object.entries(files).map(([f, yaml]) => [`.github/workflows/${f}`, yaml])))).toEqual([]);
    // Without a zone in another account the workflows do not mention it.
    expect(infraWorkflows(load(dnsDocument((d) => delete d.environments[2].dns.account)), { platformFile: "platform.yaml" })["slipway-apply.yml"]).not.toMatch(/TF_VAR_dns_access/);
  });
});

describe("the synth summary", () => {
  test("lists, for each app and environment without a zone, the records to create and the outputs holding their values", () => {
    expect(result.dns).toEqual([
      { stack: "hello-dev", domain: "hello.dev.acme.example", zone: { hostedZoneId: DEV_ZONE, account: "111111111111" }, records: [] },
      {
        stack: "hello-staging",
        domain: "hello.staging.acme.example",
        records: [
          { name: "hello.staging.acme.example", type: "CNAME (ALIAS at a zone apex)", value: "output cdn_domain_name" },
          { name: "output load_balancer_certificate_validation.name", type: "CNAME", value: "output load_balancer_certificate_validation.value" },
          { name: "output cdn_certificate_validation.name", type: "CNAME", value: "output cdn_certificate_validation.value" },
        ],
      },
      { stack: "hello-prod", domain: "hello.acme.example", zone: { hostedZoneId: PROD_ZONE, account: "111111111111" }, records: [] },
    ]);
    // Each output named exists in its stack.
    for (const d of result.dns) {
      for (const r of d.records) for (const output of `${r.name} ${r.value}`.match(/(?<=output )[a-z_]+/g) ?? []) expect(stacks[d.stack].output[output]).toBeDefined();
    }
    expect((summaryJson(result, platformFile) as Json).dns).toEqual(result.dns);
  });

  test("prints them, and the zones Terraform writes to", () => {
    const text = formatSummary(result, { cwd: work });
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith("DNS records to create in your DNS"));
    expect(lines[start]).toBe("DNS records to create in your DNS (no dns.hostedZoneId); values are outputs of the stack, known after apply (terraform output -json in out/stacks/<stack>):");
    expect(lines.slice(start + 1, start + 4).map((l) => l.split(/\s{2,}/).filter(Boolean))).toEqual([
      ["hello-staging", "hello.staging.acme.example", "CNAME (ALIAS at a zone apex)", "-> output cdn_domain_name"],
      ["output load_balancer_certificate_validation.name", "CNAME", "-> output load_balancer_certificate_validation.value"],
      ["output cdn_certificate_validation.name", "CNAME", "-> output cdn_certificate_validation.value"],
    ]);
    expect(lines[start + 4]).toBe(`DNS records made by Terraform in Route 53: hello.dev.acme.example (zone ${DEV_ZONE}, account 111111111111), hello.acme.example (zone ${PROD_ZONE}, account 111111111111)`);
  });
});

const { tools, test: withTerraform } = terraformForTests("validate and plan of a zone in another account");

withTerraform("dns_access picks the role: real Terraform evaluates the provider's role_arn for read and write and refuses anything else", () => {
  const prod = stacks["hello-prod"];
  const dir = path.join(work, "dns-access");
  fs.mkdirSync(dir);
  // The stack's own variable and the dns provider's role_arn expression, as an output (no provider needed).
  fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ variable: prod.variable, output: { role_arn: { value: prod.provider.aws[2].assume_role[0].role_arn } } }));
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
  const roleFor = (args: string[]) => {
    execFileSync(tools!.terraform, ["apply", "-auto-approve", "-input=false", "-no-color", ...args], { cwd: dir, env, stdio: "pipe" });
    return JSON.parse(execFileSync(tools!.terraform, ["output", "-json", "role_arn"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] }).toString());
  };
  expect(roleFor([])).toBe(READ_ROLE);
  expect(roleFor(["-var", "dns_access=write"])).toBe(WRITE_ROLE);
  expect(() => execFileSync(tools!.terraform, ["plan", "-input=false", "-no-color", "-var", "dns_access=admin"], { cwd: dir, env, stdio: "pipe" })).toThrow(/dns_access must be read or write/);
}, 60_000);

withTerraform("hello-prod and the zone account's bootstrap validate and plan with real Terraform (assume_role left out offline)", async () => {
  // The harness plans with mock credentials, so it drops every provider's assume_role (no STS
  // offline) and allowed_account_ids; the dns alias stays, so its records still plan through it.
  const checks = await checkStacks({ "hello-prod": stacks["hello-prod"], "bootstrap-111111111111": stacks["bootstrap-111111111111"] }, tools!, 2);
  const results = Object.fromEntries(checks.map((c) => [c.stack, { validate: c.validate.ok || c.validate.output, plan: c.plan.ok || c.plan.output }]));
  expect(results).toEqual({ "hello-prod": { validate: true, plan: true }, "bootstrap-111111111111": { validate: true, plan: true } });
  const prodPlan = checks.find((c) => c.stack === "hello-prod")!.plan.output;
  for (const record of ["DomainA", "DomainAAAA"]) expect(prodPlan).toContain(`aws_route53_record.${record} will be created`);
  const bootstrapPlan = checks.find((c) => c.stack === "bootstrap-111111111111")!.plan.output;
  expect(bootstrapPlan).toMatch(/aws_iam_role\.DnsRole-prod_[0-9A-F]+ will be created/);
  expect(bootstrapPlan).toMatch(/aws_iam_role\.DnsReadRole-prod_[0-9A-F]+ will be created/);
}, 180_000);
