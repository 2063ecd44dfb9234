import * as fs from "node:fs";
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { buildPlatform, REQUIRED_TERRAFORM_VERSION, StackValidationError } from "../../stacks";
import { examplePlatform, synthAll, tempDir } from "../support/platform";

// The module object itself (what cdktf calls through), not an import namespace, so it can be spied on.
const childProcess: typeof import("node:child_process") = require("node:child_process");

const example = synthAll(examplePlatform());

test("one bootstrap stack per account, one platform and one kube-system stack per environment, one delivery stack per app, one runtime stack per app and environment", () => {
  const twoApps = synthAll(
    examplePlatform((d) => {
      d.apps.push({ ...d.apps[0], name: "api", domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.acme.example" } });
    }),
  );
  expect(Object.keys(twoApps).sort()).toEqual(
    ["bootstrap-111111111111", "bootstrap-222222222222", "platform-dev", "platform-staging", "platform-prod", "kube-system-dev", "kube-system-staging", "kube-system-prod", "hello-delivery", "hello-dev", "hello-staging", "hello-prod", "api-delivery", "api-dev", "api-staging", "api-prod"].sort(),
  );
});

describe("providers", () => {
  test("each stack's AWS provider targets its environment's account and region, with default tags, and assumes no role", () => {
    const [aws] = example["platform-prod"].provider.aws;
    expect(aws.region).toBe("eu-west-1");
    expect(aws.allowed_account_ids).toEqual(["222222222222"]);
    // prod names assumeRoleArn: the role CI's apply jobs assume, never the provider.
    expect(aws.assume_role).toBeUndefined();
    expect(aws.default_tags[0].tags).toEqual({ "managed-by": "slipway", "slipway:platform": "acme", "slipway:environment": "prod" });
    const [devAws] = example["platform-dev"].provider.aws;
    expect(devAws.allowed_account_ids).toEqual(["111111111111"]);
    expect(devAws.assume_role).toBeUndefined();
  });

  test("the runtime stack adds a us-east-1 alias for CloudFront certificates", () => {
    const providers = example["hello-prod"].provider.aws;
    // …and, in production, one for the region its database backups are copied to.
    expect(providers.map((p: any) => [p.alias, p.region])).toEqual([[undefined, "eu-west-1"], ["us-east-1", "us-east-1"], ["backup-copy", "eu-central-1"]]);
    expect(providers[1].default_tags[0].tags).toMatchObject({ "slipway:app": "hello", "slipway:environment": "prod" });
  });

  test("the runtime stack's Kubernetes provider comes from platform-<env>'s cluster through remote state, with exec auth", () => {
    const stack = example["hello-prod"];
    const [k8s] = stack.provider.kubernetes;
    expect(k8s.host).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.[^}]*endpoint\}$/);
    expect(k8s.cluster_ca_certificate).toMatch(/^\$\{base64decode\(data\.terraform_remote_state\.cross-stack-reference-input-platform-prod\.outputs\.[^}]*certificate_authority0data\)\}$/);
    expect(k8s.exec[0].command).toBe("aws");
    expect(k8s.exec[0].api_version).toBe("client.authentication.k8s.io/v1beta1");
    expect(k8s.exec[0].args.slice(0, 3)).toEqual(["eks", "get-token", "--cluster-name"]);
    expect(k8s.exec[0].args.slice(4)).toEqual(["--region", "eu-west-1"]);
    expect(Object.keys(stack.data.terraform_remote_state).sort()).toEqual(["cross-stack-reference-input-hello-delivery", "cross-stack-reference-input-platform-prod"]);
    // The cluster's stack itself configures no Kubernetes provider.
    expect(example["platform-prod"].provider.kubernetes).toBeUndefined();
  });

  test("the delivery and runtime stacks configure GitHub for the owner, with no token in the configuration", () => {
    const [github] = example["hello-delivery"].provider.github;
    expect(github).toEqual({ owner: "acme-corp" });
    expect(example["hello-prod"].provider.github).toEqual([{ owner: "acme-corp" }]);
    // The registry's account is the last environment's (production).
    expect(example["hello-delivery"].provider.aws[0].allowed_account_ids).toEqual(["222222222222"]);
  });
});

describe("the GitHub OIDC provider: exactly one per AWS account", () => {
  const githubProviders = (stack: any) => Object.values<any>(stack.resource?.aws_iam_openid_connect_provider ?? {}).filter((p) => p.url.includes("token.actions"));

  test("each account's bootstrap stack creates it; no platform stack does", () => {
    expect(githubProviders(example["bootstrap-111111111111"])).toHaveLength(1); // dev and staging
    expect(githubProviders(example["bootstrap-222222222222"])).toHaveLength(1);
    for (const name of ["platform-dev", "platform-staging", "platform-prod"]) expect(githubProviders(example[name])).toHaveLength(0);
    expect(githubProviders(example["bootstrap-111111111111"])[0]).toMatchObject({ url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] });
  });

  test("with every environment in its own account, every account's bootstrap stack has one", () => {
    const separate = synthAll(examplePlatform((d) => (d.environments[1].account = "333333333333")));
    const bootstraps = Object.keys(separate).filter((n) => n.startsWith("bootstrap-"));
    expect(bootstraps).toEqual(["bootstrap-111111111111", "bootstrap-333333333333", "bootstrap-222222222222"]);
    for (const name of bootstraps) expect(githubProviders(separate[name])).toHaveLength(1);
  });
});

describe("backends", () => {
  test("local (default): state beside the project, at a path relative to the stack's folder", () => {
    expect(example["hello-dev"].terraform.backend).toEqual({ local: { path: "../../../terraform.hello-dev.tfstate" } });
    expect(example["hello-dev"].data.terraform_remote_state["cross-stack-reference-input-platform-dev"]).toMatchObject({
      backend: "local",
      config: { path: "../../../terraform.platform-dev.tfstate" },
    });
  });

  test("s3: a key per stack, encrypted, with Terraform's native lock file", () => {
    const s3 = synthAll(examplePlatform((d) => (d.backend = { type: "s3", bucket: "acme-state", region: "eu-central-1", keyPrefix: "acme/" })));
    expect(s3["platform-prod"].terraform.backend).toEqual({
      s3: { bucket: "acme-state", region: "eu-central-1", key: "acme/platform-prod.tfstate", encrypt: true, use_lockfile: true },
    });
    expect(s3["hello-prod"].data.terraform_remote_state["cross-stack-reference-input-platform-prod"]).toMatchObject({
      backend: "s3",
      config: { bucket: "acme-state", key: "acme/platform-prod.tfstate" },
    });
  });

  test("remote: HCP Terraform, a workspace per stack", () => {
    const remote = synthAll(examplePlatform((d) => (d.backend = { type: "remote", organization: "acme", workspacePrefix: "acme-" })));
    expect(remote["hello-dev"].terraform.cloud).toEqual({ hostname: "app.terraform.io", organization: "acme", workspaces: { name: "acme-hello-dev" } });
  });

  test("remote synthesizes without Terraform: cdktf's `terraform version` check is left out, no process runs", () => {
    // cdktf's cloud backend otherwise runs `terraform version` per stack and fails where there is none.
    const execSync = jest.spyOn(childProcess, "execSync");
    try {
      // Synthesized here, under the spy, never read from the run's synth cache.
      const remote = synthAll(examplePlatform((d) => (d.backend = { type: "remote", organization: "acme", workspacePrefix: "acme-" })), { fresh: true });
      expect(Object.keys(remote)).toHaveLength(12);
      expect(remote["platform-prod"].terraform.cloud.workspaces).toEqual({ name: "acme-platform-prod" });
      expect(execSync).not.toHaveBeenCalled();
    } finally {
      execSync.mockRestore();
    }
  });

  test("every stack, on every backend, states the Terraform versions it needs (1.10 for the S3 lock file)", () => {
    expect(REQUIRED_TERRAFORM_VERSION).toBe(">= 1.10");
    const s3 = synthAll(examplePlatform((d) => (d.backend = { type: "s3", bucket: "acme-state", region: "eu-central-1", keyPrefix: "acme/" })));
    const remote = synthAll(examplePlatform((d) => (d.backend = { type: "remote", organization: "acme" })));
    for (const stacks of [example, s3, remote]) {
      for (const [name, stack] of Object.entries(stacks)) expect([name, stack.terraform.required_version]).toEqual([name, ">= 1.10"]);
    }
  });
});

describe("construct validations", () => {
  class Refuses extends Construct {
    constructor(scope: Construct, id: string, problem: string) {
      super(scope, id);
      this.node.addValidation({ validate: () => [problem] });
    }
  }

  test("still run at synth, and a failure names the stack and every construct path", () => {
    const app = new App({ outdir: tempDir("slipway-validation-") });
    const built = buildPlatform(app, examplePlatform());
    const prod = built.stacks.find((s) => s.stackName === "hello-prod")!;
    new Refuses(prod, "First", "first problem");
    new Refuses(prod, "Second", "second problem");
    let thrown: unknown;
    try {
      app.synth();
    } catch (error) {
      thrown = error;
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
    expect(thrown).toBeInstanceOf(StackValidationError);
    expect((thrown as StackValidationError).stackName).toBe("hello-prod");
    expect((thrown as StackValidationError).problems).toEqual(["hello-prod/First: first problem", "hello-prod/Second: second problem"]);
    expect((thrown as Error).message).toBe("hello-prod: 2 construct validations failed:\n  hello-prod/First: first problem\n  hello-prod/Second: second problem");
  });

  test("a plain cdktf stack is untouched: the override is Slipway's stacks' only", () => {
    const app = new App({ outdir: tempDir("slipway-plain-") });
    const stack = new TerraformStack(app, "plain");
    new Refuses(stack, "Bad", "nope");
    expect(() => app.synth()).toThrow(/Validation failed with the following errors:\n  \[plain\/Bad\] nope/);
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });
});

describe("platform stacks", () => {
  test("the network follows the environment: CIDR, zones, NAT per zone in production and one in dev", () => {
    const nat = (name: string) => Object.keys(example[name].resource.aws_nat_gateway).length;
    expect(nat("platform-dev")).toBe(1);
    expect(nat("platform-prod")).toBe(3);
    const vpc = Object.values<any>(example["platform-staging"].resource.aws_vpc)[0];
    expect(vpc.cidr_block).toBe("10.20.0.0/16");
    const zones = Object.values<any>(example["platform-staging"].resource.aws_subnet).map((s) => s.availability_zone);
    expect(new Set(zones)).toEqual(new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]));
  });

  test("the cluster follows the environment: version, endpoint CIDRs, node sizes", () => {
    const cluster = Object.values<any>(example["platform-prod"].resource.aws_eks_cluster)[0];
    expect(cluster.name).toBe("acme-prod");
    expect(cluster.version).toBe("1.33");
    expect(cluster.vpc_config.public_access_cidrs ?? cluster.vpc_config[0]?.public_access_cidrs).toEqual(["203.0.113.0/24"]);
    const nodes = Object.values<any>(example["platform-prod"].resource.aws_eks_node_group)[0];
    expect(nodes.scaling_config).toMatchObject({ min_size: 3, desired_size: 3, max_size: 9 });
    expect(nodes.instance_types).toEqual(["m6i.large"]);
    const devNodes = Object.values<any>(example["platform-dev"].resource.aws_eks_node_group)[0];
    expect(devNodes.instance_types).toEqual(["c6i.large"]);
  });

  test("a private-only cluster when the environment lists no public CIDRs", () => {
    const priv = synthAll(examplePlatform((d) => delete d.environments[0].cluster));
    const cluster = Object.values<any>(priv["platform-dev"].resource.aws_eks_cluster)[0];
    expect(cluster.vpc_config.endpoint_public_access).toBe(false);
    expect(cluster.vpc_config.endpoint_private_access).toBe(true);
  });
});

test("runtime stacks output the app's URL per environment", () => {
  expect(example["hello-dev"].output.url.value).toBe("https://hello.dev.acme.example");
  expect(example["hello-prod"].output.url.value).toBe("https://hello.acme.example");
});
