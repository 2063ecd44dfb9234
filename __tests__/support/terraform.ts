/**
 * Real Terraform checks of synthesized stacks, offline: the AWS part of each stack is initialised
 * against the machine's filesystem mirror of hashicorp/aws, validated, and planned with mock
 * credentials. Non-AWS resources (Kubernetes, GitHub) have no offline plugin here, so they are
 * left out and references to them become placeholders; upstream remote states are seeded with
 * placeholder outputs so downstream stacks plan too.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadSynthesizedOutput, StackModel } from "../../synthesized";
import { AWS_PROVIDER_VERSION, CommandResult, initProviders, runTerraform, terraformEnv, TerraformTools, useProviders } from "./terraform-run";
import { gatedByTools } from "./tools";

export { AWS_PROVIDER_VERSION, TerraformTools };

/** The Terraform CLI and the aws provider mirror, or why they are missing. */
export function findTerraform(): TerraformTools | { missing: string } {
  const terraform = process.env.SLIPWAY_TERRAFORM ?? whichSync("terraform");
  if (!terraform) return { missing: "no `terraform` on PATH (set SLIPWAY_TERRAFORM to its path)" };
  const candidates = [process.env.SLIPWAY_TF_PLUGIN_DIR, "/opt/tf-plugins", path.join(os.homedir(), ".terraform.d", "plugins")].filter(
    (d): d is string => !!d,
  );
  const pluginDir = candidates.find((d) => fs.existsSync(path.join(d, "registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION)));
  if (!pluginDir) {
    return { missing: `no filesystem mirror of hashicorp/aws ${AWS_PROVIDER_VERSION} in ${candidates.join(", ")} (set SLIPWAY_TF_PLUGIN_DIR)` };
  }
  return { terraform, pluginDir };
}

/**
 * A test file's real-Terraform part: the tools, or none after a loud SKIPPING banner naming what
 * did not run and why. `test` and `describe` skip only that part when Terraform is missing, or
 * fail it under SLIPWAY_REQUIRE_TOOLS=1 (see ./tools.ts).
 */
export function terraformForTests(what: string): { tools?: TerraformTools; test: jest.It; describe: jest.Describe } {
  const found = findTerraform();
  if (!("missing" in found)) return { tools: found, test, describe };
  // A loud skip, or a failing test under SLIPWAY_REQUIRE_TOOLS=1 (as .ci/run sets).
  return gatedByTools(`real Terraform ${what}`, found.missing);
}

function whichSync(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

type Json = any;

const NON_AWS = /^(kubernetes|github|helm|tls|random|null|time)_/;
/** A reference to a resource or data source Terraform cannot plan offline. */
const NON_AWS_REFERENCE = /\b(?:data\.)?(?:kubernetes|github|helm|tls|random|null|time)_[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_]+|\[\d+\]|\["[^"]*"\])*/g;
const PLACEHOLDER = "slipway-placeholder";
/**
 * AWS data sources that call an API even when nothing they read is unknown, so an offline plan
 * cannot read them: each is removed and its attributes replaced by what a real identity returns.
 */
const OFFLINE_IDENTITY = "arn:aws:iam::123456789012:role/offline-plan";
const OFFLINE_DATA: Record<string, Record<string, string>> = {
  aws_caller_identity: { arn: "arn:aws:sts::123456789012:assumed-role/offline-plan/session", account_id: "123456789012", user_id: "AROAOFFLINE:session" },
  aws_iam_session_context: { issuer_arn: OFFLINE_IDENTITY, issuer_name: "offline-plan", session_name: "session", arn: OFFLINE_IDENTITY },
};

/**
 * The AWS part of a synthesized stack, ready for an offline plan: other providers' resources,
 * data sources and provider blocks removed, references to them replaced by a placeholder string,
 * AWS providers given mock credentials, and the backend made local (a remote backend cannot be
 * reached offline).
 */
export function awsPartOf(stack: Json): Json {
  const out: Json = JSON.parse(JSON.stringify(stack));
  delete out["//"];
  for (const block of ["resource", "data"]) {
    for (const type of Object.keys(out[block] ?? {})) {
      if (NON_AWS.test(type) || (block === "data" && type in OFFLINE_DATA)) delete out[block][type];
    }
    if (out[block] && Object.keys(out[block]).length === 0) delete out[block];
  }
  for (const name of Object.keys(out.provider ?? {})) {
    if (name !== "aws") delete out.provider[name];
  }
  // A stack with no AWS provider and nothing of AWS left (a kube-system-<env> stack: Kubernetes
  // objects and the remote state they read) is planned as it is, without one: Terraform would
  // start the 700 MB plugin for nothing, 2 s of CPU.
  const usesAws = out.provider?.aws || ["resource", "data"].some((block) => Object.keys(out[block] ?? {}).some((type) => type.startsWith("aws_")));
  out.provider = out.provider ?? {};
  if (!usesAws) delete out.provider;
  else out.provider.aws = (out.provider.aws ?? [{ region: "us-east-1" }]).map((p: Json) => {
    const { assume_role: _assumeRole, allowed_account_ids: _allowed, ...rest } = p;
    return {
      ...rest,
      access_key: "mock",
      secret_key: "mock",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    };
  });
  if (out.terraform?.required_providers) {
    for (const name of Object.keys(out.terraform.required_providers)) {
      if (name !== "aws") delete out.terraform.required_providers[name];
    }
  }
  if (out.terraform?.backend && !out.terraform.backend.local) out.terraform.backend = { local: {} };
  // depends_on entries that name removed resources.
  walk(out, (node) => {
    if (Array.isArray(node.depends_on)) {
      node.depends_on = node.depends_on.filter((d: string) => !NON_AWS.test(d.replace(/^data\./, "")));
      if (node.depends_on.length === 0) delete node.depends_on;
    }
  });
  const offlineReference = new RegExp(`\\bdata\\.(${Object.keys(OFFLINE_DATA).join("|")})\\.[A-Za-z0-9_-]+\\.([a-z_]+)`, "g");
  return replaceStrings(out, (s) =>
    s.includes("${")
      ? s.replace(/\$\{([^}]*)\}/g, (_m, expr: string) =>
          `\${${expr.replace(NON_AWS_REFERENCE, `"${PLACEHOLDER}"`).replace(offlineReference, (_r, type: string, attribute: string) => JSON.stringify(OFFLINE_DATA[type][attribute] ?? PLACEHOLDER))}}`,
        )
      : s,
  );
}

function walk(node: Json, visit: (n: Json) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === "object") {
    visit(node);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

function replaceStrings(node: Json, f: (s: string) => string): Json {
  if (typeof node === "string") return f(node);
  if (Array.isArray(node)) return node.map((n) => replaceStrings(n, f));
  if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replaceStrings(v, f)]));
  return node;
}

/** A placeholder of the right shape for a cross-stack output, judged by its producer's value. */
function placeholderFor(name: string, producerValue: unknown): { value: unknown; type: unknown } {
  const scalar = (n: string): string => {
    const lower = n.toLowerCase();
    if (lower.includes("arn")) return "arn:aws:iam::123456789012:role/slipway-placeholder";
    if (lower.includes("cidr")) return "10.0.0.0/16";
    if (lower.includes("certificate_authority")) return Buffer.from("placeholder-ca").toString("base64");
    if (lower.includes("endpoint") || lower.includes("url")) return "https://placeholder.invalid";
    if (lower.includes("port")) return "5432";
    return `${PLACEHOLDER}-${n.length}`;
  };
  if (Array.isArray(producerValue)) {
    const n = Math.max(producerValue.length, 1);
    return { value: Array.from({ length: n }, (_, i) => `${scalar(name)}-${i}`), type: ["list", "string"] };
  }
  return { value: scalar(name), type: "string" };
}

export interface StackCheck {
  readonly stack: string;
  readonly validate: { ok: boolean; output: string };
  readonly plan: { ok: boolean; output: string; toAdd?: number; toChange?: number; toDestroy?: number };
}

/**
 * Runs `terraform validate` and `plan` on the AWS part of every stack in a synthesized cdktf output
 * folder, offline; returns one result per stack. `concurrency` stacks are planned at a time, as
 * far as the run's Terraform slots allow (see ./terraform-run.ts).
 *
 * Every Terraform command starts the 700 MB aws provider and loads its schema (about 2 s of CPU),
 * so each stack costs exactly one command:
 * - with a plan (the default), `terraform plan` of the stack as its own root, with its state.
 *   Plan runs validate's checks first and fails on any error they find, so a plan that succeeds
 *   is also the stack's validation; only a stack whose plan fails is validated on its own, for
 *   validate's exact result and output. Warnings are in the plan's output.
 * - with `plan: false`, one `terraform validate` for all the stacks, each called as a module of
 *   one root (without its backend block, which only a root may have). Each diagnostic goes to the
 *   stack whose file it is in; one that names no stack's file makes each stack validate on its own.
 *
 * `terraform init` runs once, against the mirror; every working folder reuses what it installed
 * (see {@link useProviders}), so a stack is planned without its backend block: Terraform keeps
 * its (empty) state in the stack's folder. The remote states it reads are seeded as before.
 */
export async function checkSynthesizedStacks(outdir: string, tools: TerraformTools, concurrency = 2, options: { plan?: boolean } = {}): Promise<StackCheck[]> {
  return checkStacks(Object.fromEntries(loadSynthesizedOutput(outdir).stacks.map((s) => [s.name, s.json])), tools, concurrency, options);
}

/**
 * {@link checkSynthesizedStacks} of synthesized stacks already read (`cdk.tf.json` contents by
 * stack name, in order), such as a few stacks of a platform a test has synthesized: the same
 * checks, without writing them out as a cdktf output folder first. A remote state of a stack not
 * given is seeded with placeholders shaped as strings.
 */
export async function checkStacks(stacks: Record<string, Json>, tools: TerraformTools, concurrency = 2, options: { plan?: boolean } = {}): Promise<StackCheck[]> {
  const names = Object.keys(stacks);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-tf-"));
  try {
    // Same layout as cdktf.out, so the relative paths of remote state hold.
    const dirOf = (name: string) => path.join(work, "cdktf.out", "stacks", name);
    // Several stacks may read one producer's state: seed each state file once, with every output
    // any reader uses.
    const seeds = new Map<string, Record<string, Json>>();
    const awsParts: Record<string, Json> = {};
    for (const name of names) {
      const aws = (awsParts[name] = awsPartOf(stacks[name]));
      for (const [file, outputs] of remoteStateSeeds(aws, dirOf(name), stacks)) seeds.set(file, { ...seeds.get(file), ...outputs });
    }
    for (const [file, outputs] of seeds) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ version: 4, terraform_version: "1.11.0", serial: 1, lineage: "slipway-placeholder", outputs, resources: [] }));
    }
    const env = terraformEnv(work);
    // Every stack needs the same single provider: installed once (with the modules of the
    // validate root when there is one), then shared.
    let initDir = path.join(work, "init");
    let validated: Map<string, CommandResult> | undefined;
    if (options.plan === false) validated = await validateAsModules(path.join(work, "validate"), awsParts, tools, env);
    if (validated) initDir = path.join(work, "validate");
    else await initProviders(tools, initDir, env);

    const results = new Map<string, StackCheck>();
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const dir = dirOf(name);
        const alone = () => runTerraform(tools, ["validate", "-no-color"], dir, env);
        if (options.plan === false && validated) {
          const validate = validated.get(name)!;
          results.set(name, { stack: name, validate: { ok: validate.code === 0, output: validate.output }, plan: { ok: false, output: "not run: plan: false" } });
          continue;
        }
        const { backend: _backend, ...settings } = awsParts[name].terraform ?? {};
        useProviders(initDir, dir);
        fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ ...awsParts[name], terraform: settings }, null, 2));
        if (options.plan === false) {
          const validate = await alone();
          results.set(name, { stack: name, validate: { ok: validate.code === 0, output: validate.output }, plan: { ok: false, output: "not run: plan: false" } });
          continue;
        }
        const plan = await runTerraform(tools, ["plan", "-input=false", "-refresh=false", "-lock=false", "-no-color"], dir, env);
        const validate = plan.code === 0 ? { code: 0, output: VALIDATED_BY_PLAN } : await alone();
        const counts = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(plan.output);
        const noChanges = /No changes\./.test(plan.output);
        results.set(name, {
          stack: name,
          validate: { ok: validate.code === 0, output: validate.output },
          plan: {
            ok: plan.code === 0,
            output: plan.output,
            toAdd: counts ? Number(counts[1]) : noChanges ? 0 : undefined,
            toChange: counts ? Number(counts[2]) : noChanges ? 0 : undefined,
            toDestroy: counts ? Number(counts[3]) : noChanges ? 0 : undefined,
          },
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return names.map((n) => results.get(n)!);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A stack's validate output when its plan succeeded (plan validates first): no `terraform validate` of its own ran. */
export const VALIDATED_BY_PLAN = "Success! The configuration is valid (validated by `terraform plan`, which runs validate's checks first).\n";

/**
 * `terraform validate` of every stack in one run, each stack a module of one root. Each stack's
 * result holds the diagnostics located in its own file, in the CLI's wording (`Error: …`,
 * `Warning: …`, `on <file> line <n>`). Returns undefined when a diagnostic cannot be placed in a
 * stack, so the caller validates the stacks one by one.
 */
async function validateAsModules(
  root: string,
  stacks: Record<string, Json>,
  tools: TerraformTools,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, CommandResult> | undefined> {
  for (const [name, stack] of Object.entries(stacks)) {
    const { backend: _backend, ...settings } = stack.terraform ?? {};
    fs.mkdirSync(path.join(root, name), { recursive: true });
    fs.writeFileSync(path.join(root, name, "main.tf.json"), JSON.stringify({ ...stack, terraform: settings }, null, 2));
  }
  const modules = Object.fromEntries(Object.keys(stacks).map((name) => [name, { source: `./${name}` }]));
  fs.writeFileSync(path.join(root, "main.tf.json"), JSON.stringify({ module: modules }, null, 2));
  // The one `init` of the check: the provider, and the modules' manifest.
  try {
    await initProviders(tools, root, env);
  } catch {
    return undefined;
  }
  const validate = await runTerraform(tools, ["validate", "-json", "-no-color"], root, env);
  let report: { diagnostics: { severity: string; summary: string; detail?: string; range?: { filename: string; start: { line: number } } }[] };
  try {
    report = JSON.parse(validate.output);
  } catch {
    return undefined;
  }
  const byStack = new Map<string, string[]>(Object.keys(stacks).map((name) => [name, []]));
  const errors = new Set<string>();
  for (const d of report.diagnostics) {
    const stack = d.range?.filename.split(/[\\/]/)[0];
    if (!stack || !byStack.has(stack)) return undefined;
    const severity = d.severity === "error" ? "Error" : "Warning";
    byStack.get(stack)!.push(`${severity}: ${d.summary}\n\n  on ${d.range!.filename} line ${d.range!.start.line}:\n\n${d.detail ?? ""}\n`);
    if (d.severity === "error") errors.add(stack);
  }
  return new Map(
    [...byStack].map(([name, lines]) => [
      name,
      { code: errors.has(name) ? 1 : 0, output: lines.length ? lines.join("\n") : "Success! The configuration is valid.\n" },
    ]),
  );
}

/**
 * The state files a stack reads through remote state, each with placeholder outputs for what the
 * stack uses. Remote states of other backends are pointed at a local file (changing `stack`).
 */
function remoteStateSeeds(stack: Json, stackDir: string, allStacks: Record<string, Json>): Map<string, Record<string, Json>> {
  const seeds = new Map<string, Record<string, Json>>();
  const remotes: Record<string, Json> = stack.data?.terraform_remote_state ?? {};
  // The outputs each remote state is read for, by the one reference scanner (synthesized/).
  const reads = new Map(new StackModel("stack", stack).remoteStateReads().map((r) => [r.name, r.outputs]));
  for (const [id, remote] of Object.entries(remotes)) {
    const producerName = id.replace(/^cross-stack-reference-input-/, "");
    const producerOutputs: Record<string, Json> = allStacks[producerName]?.output ?? {};
    const outputs: Record<string, Json> = {};
    for (const name of reads.get(id) ?? []) outputs[name] = placeholderFor(name, producerOutputs[name]?.value);
    if (remote.backend !== "local" || !remote.config?.path) {
      remote.backend = "local";
      remote.config = { path: `../../../terraform.${producerName}.tfstate` };
    }
    seeds.set(path.resolve(stackDir, remote.config.path), outputs);
  }
  return seeds;
}
