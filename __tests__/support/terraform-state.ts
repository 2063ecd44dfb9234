/**
 * Terraform runs against a hand-written state, offline: a configuration (the AWS part of a
 * synthesized stack, see `awsPartOf`) is planned as if some of its resources already existed, to
 * prove what Terraform would refuse to do to them. Uses the same Terraform CLI and provider mirror
 * as `terraform.ts`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandResult, initProviders, runTerraform, terraformEnv, TerraformTools, useProviders } from "./terraform-run";

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

export type PlanResult = CommandResult;

/**
 * A Terraform working area initialised once against the provider mirror; each `plan` runs in a
 * fresh folder with its own configuration and state, sharing the installed provider (see
 * `useProviders` in ./terraform-run.ts).
 */
export class OfflineTerraform {
  private readonly work: string;
  private readonly env: NodeJS.ProcessEnv;
  private initialised?: Promise<void>;
  private runs = 0;

  constructor(private readonly tools: TerraformTools) {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-tfstate-"));
    this.env = terraformEnv(this.work);
  }

  private init(): Promise<void> {
    this.initialised ??= initProviders(this.tools, path.join(this.work, "init"), this.env);
    return this.initialised;
  }

  /**
   * `terraform plan <args>` of `config` (Terraform JSON; its backend is replaced by a local state file) over `state`, with
   * `-refresh=false` so the hand-written state is taken as what exists.
   */
  async plan(config: Json, state: Json, args: string[] = []): Promise<PlanResult> {
    await this.init();
    const dir = path.join(this.work, `run-${++this.runs}`);
    useProviders(path.join(this.work, "init"), dir);
    // No backend block: the default local backend reads terraform.tfstate here, and needs no
    // `init` of its own once the providers are in place.
    const { backend: _backend, cloud: _cloud, ...terraform } = config.terraform ?? {};
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ ...config, terraform }, null, 2));
    fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify(state, null, 2));
    return runTerraform(this.tools, ["plan", "-input=false", "-refresh=false", "-lock=false", "-no-color", ...args], dir, this.env);
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
    const show = await runTerraform(this.tools, ["show", "-json", "-no-color", "tfplan"], dir, this.env);
    const graph = options.graph ? await runTerraform(this.tools, ["graph", "-plan=tfplan"], dir, this.env) : undefined;
    if (show.code !== 0 || (graph && graph.code !== 0)) return { code: show.code || graph!.code, output: `${planned.output}${show.output}${graph?.output ?? ""}` };
    return { ...planned, json: JSON.parse(show.output), graph: graph?.output };
  }

  dispose(): void {
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}
