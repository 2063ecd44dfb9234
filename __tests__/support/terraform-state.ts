/**
 * Terraform runs against a hand-written state, offline: a configuration (the AWS part of a
 * synthesized stack, see `awsPartOf`) is planned as if some of its resources already existed, to
 * prove what Terraform would refuse to do to them. Uses the same Terraform CLI and provider mirror
 * as `terraform.ts`.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AWS_PROVIDER_VERSION, TerraformTools } from "./terraform";

type Json = any;

/** A resource instance as it would sit in state: its address and the attributes Terraform recorded. */
export interface StateInstance {
  /** `type.name`, as in the configuration. */
  readonly address: string;
  /** The provider configuration that manages it, `aws` or `aws.<alias>`. */
  readonly provider?: string;
  /** The resource type's schema version in the provider (hashicorp/aws 5.100.0). */
  readonly schemaVersion: number;
  readonly attributes: Record<string, unknown>;
  /**
   * Addresses of the resources it depended on when it was applied, as apply records them: what
   * orders its destruction before theirs.
   */
  readonly dependencies?: string[];
}

/** A Terraform state (format 4) holding `instances`, as `terraform apply` would have left it. */
export function stateFile(instances: StateInstance[]): Json {
  return {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "00000000-0000-4000-8000-000000000000",
    outputs: {},
    resources: instances.map((instance) => {
      const [type, name] = instance.address.split(".");
      const [local, alias] = (instance.provider ?? "aws").split(".");
      return {
        mode: "managed",
        type,
        name,
        provider: `provider["registry.terraform.io/hashicorp/${local}"]${alias ? `.${alias}` : ""}`,
        instances: [
          {
            schema_version: instance.schemaVersion,
            attributes: instance.attributes,
            sensitive_attributes: [],
            ...(instance.dependencies ? { dependencies: instance.dependencies } : {}),
          },
        ],
      };
    }),
  };
}

export interface PlanResult {
  readonly code: number;
  readonly output: string;
}

/**
 * A Terraform working area initialised once against the provider mirror; each `plan` runs in a
 * fresh folder with its own configuration and state (a copy of the initialised providers).
 */
export class OfflineTerraform {
  private readonly work: string;
  private readonly env: NodeJS.ProcessEnv;
  private initialised?: Promise<void>;
  private runs = 0;

  constructor(private readonly tools: TerraformTools) {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-tfstate-"));
    const rc = path.join(this.work, "terraformrc");
    fs.writeFileSync(rc, "");
    this.env = { ...process.env, TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
  }

  private init(): Promise<void> {
    this.initialised ??= (async () => {
      const dir = path.join(this.work, "init");
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, "main.tf.json"),
        JSON.stringify({ terraform: { required_providers: { aws: { source: "hashicorp/aws", version: AWS_PROVIDER_VERSION } } } }),
      );
      const init = await run(this.tools.terraform, ["init", "-input=false", "-no-color", "-backend=false", `-plugin-dir=${this.tools.pluginDir}`], dir, this.env);
      if (init.code !== 0) throw new Error(`terraform init against ${this.tools.pluginDir} failed:\n${init.output}`);
    })();
    return this.initialised;
  }

  /**
   * `terraform plan <args>` of `config` (Terraform JSON; its backend is replaced by a local state file) over `state`, with
   * `-refresh=false` so the hand-written state is taken as what exists.
   */
  async plan(config: Json, state: Json, args: string[] = []): Promise<PlanResult> {
    await this.init();
    const dir = path.join(this.work, `run-${++this.runs}`);
    fs.mkdirSync(dir);
    const initDir = path.join(this.work, "init");
    fs.cpSync(path.join(initDir, ".terraform"), path.join(dir, ".terraform"), { recursive: true, verbatimSymlinks: true });
    fs.copyFileSync(path.join(initDir, ".terraform.lock.hcl"), path.join(dir, ".terraform.lock.hcl"));
    // No backend block: the default local backend reads terraform.tfstate here, and needs no
    // `init` of its own once the providers are in place.
    const { backend: _backend, cloud: _cloud, ...terraform } = config.terraform ?? {};
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ ...config, terraform }, null, 2));
    fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify(state, null, 2));
    return run(this.tools.terraform, ["plan", "-input=false", "-refresh=false", "-lock=false", "-no-color", ...args], dir, this.env);
  }

  /**
   * `plan -out` of `config` over `state` (as {@link plan}), then the saved plan as JSON
   * (`terraform show -json`) and, with `graph`, its apply graph (`terraform graph -plan`, DOT): what
   * a test needs to assert each change's actions and the order apply would run them in. Each
   * command starts the provider again (seconds of CPU): ask for the graph only where it is read.
   */
  async planWithDetail(config: Json, state: Json, options: { graph?: boolean } = {}): Promise<PlanResult & { json?: Json; graph?: string }> {
    const planned = await this.plan(config, state, ["-out=tfplan"]);
    if (planned.code !== 0) return planned;
    const dir = path.join(this.work, `run-${this.runs}`);
    const show = await run(this.tools.terraform, ["show", "-json", "-no-color", "tfplan"], dir, this.env);
    const graph = options.graph ? await run(this.tools.terraform, ["graph", "-plan=tfplan"], dir, this.env) : undefined;
    if (show.code !== 0 || (graph && graph.code !== 0)) return { code: show.code || graph!.code, output: `${planned.output}${show.output}${graph?.output ?? ""}` };
    return { ...planned, json: JSON.parse(show.output), graph: graph?.output };
  }

  dispose(): void {
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<PlanResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
