/**
 * Slipway as a package teams install: `npm run build`, `npm pack`, then the tarball installed by npm
 * into a fresh cdktf app outside this repository, which imports every construct from "slipway" and
 * synthesizes a stack (consumer/main.js), and a TypeScript consumer (examples/team-app) type-checked
 * against the installed `.d.ts`.
 *
 * The app's peers (cdktf, constructs, the three providers) are `file:` links to this project's
 * installed copies rather than fresh copies: `@cdktf/provider-aws` alone unpacks to 362 MB, and
 * installing the peers from a warm cache took about 6 s against about 1.3 s linked. The tarball
 * itself is always installed by npm. `--legacy-peer-deps` because npm's arborist crashes placing
 * peers next to `file:` links ("Cannot read properties of null (reading 'matches')", npm/cli#9459);
 * the test checks the peer ranges itself instead. `SLIPWAY_TIMINGS=1` prints each step's time.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, tempDir } from "../support/platform";
import { withSlot } from "../support/slots";

type Json = Record<string, any>;

const PEERS = ["cdktf", "constructs", "@cdktf/provider-aws", "@cdktf/provider-github", "@cdktf/provider-kubernetes"];
/** The constructs issue 6 names; each must come from the package name. */
const REQUIRED_CONSTRUCTS = [
  "Network",
  "KubernetesCluster",
  "SourceRepository",
  "ContainerRegistry",
  "DeliveryPipeline",
  "PostgresDatabase",
  "LoadBalancer",
  "Cdn",
  "KubernetesWorkload",
];

/**
 * The environment for child npm and node processes: without the `npm_*` variables `npm test` sets
 * (`npm_config_local_prefix` would point a child npm at this project), but with the cache, registry
 * and config files the user chose.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|registry|userconfig|globalconfig|cafile)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || keep.test(key)));
}

/** Runs a command to completion; throws with its output when it fails. */
function run(command: string, args: string[], cwd: string): string {
  const started = Date.now();
  try {
    return runUntimed(command, args, cwd);
  } finally {
    if (process.env.SLIPWAY_TIMINGS) console.log(`${Date.now() - started} ms: ${command} ${args.slice(0, 2).join(" ")}`);
  }
}

function runUntimed(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Whether `version` satisfies a `~x.y.z` or `^x.y.z` range (the only forms the peers use). */
function satisfies(version: string, range: string): boolean {
  const match = /^([~^])(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!match) throw new Error(`peer range ${range}: only ~x.y.z and ^x.y.z are understood here; extend satisfies()`);
  const [v, r] = [version.split(".").map(Number), match.slice(2).map(Number)];
  const atLeast = v[0] > r[0] || (v[0] === r[0] && (v[1] > r[1] || (v[1] === r[1] && v[2] >= r[2])));
  // ^0.y.z locks the minor, like ~; ^x.y.z (x > 0) the major.
  const sameLine = match[1] === "~" || r[0] === 0 ? v[0] === r[0] && v[1] === r[1] : v[0] === r[0];
  return atLeast && sameLine && !/-/.test(version);
}

let work: string;
let app: string;
let packed: { filename: string; files: string[] };
let tf: Json;

beforeAll(async () => {
  // The build here; `npm pack --ignore-scripts` then skips the prepack that rebuilds for `npm publish`.
  // It compiles the whole library: one of the run's memory-heavy commands.
  await withSlot("npm run build", () => run("npm", ["run", "build", "--silent"], ROOT));
  work = tempDir("slipway-pack-");
  const [pack] = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], ROOT)) as { filename: string; files: { path: string }[] }[];
  packed = { filename: pack.filename, files: pack.files.map((f) => f.path) };

  app = path.join(work, "app");
  fs.mkdirSync(app);
  const peers = Object.fromEntries(PEERS.map((name) => [name, `file:${path.join(ROOT, "node_modules", name)}`]));
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: "team-app", version: "0.0.0", private: true, dependencies: { slipway: `file:../${packed.filename}`, ...peers } }, null, 2),
  );
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--legacy-peer-deps", "--loglevel=error"], app);

  fs.copyFileSync(path.join(__dirname, "consumer", "main.js"), path.join(app, "main.js"));
  run(process.execPath, ["main.js"], app);
  tf = JSON.parse(fs.readFileSync(path.join(app, "cdktf.out", "stacks", "team", "cdk.tf.json"), "utf8"));
}, 180_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The only resource of `type` (fails when there are several). */
function only(type: string): Json {
  const resources = Object.values(tf.resource[type] ?? {}) as Json[];
  expect(resources).toHaveLength(1);
  return resources[0];
}

/** `${type.name.attribute}` of the one resource of `type` whose name starts with `idPrefix`. */
function ref(type: string, idPrefix: string, attribute = "id"): string {
  const names = Object.keys(tf.resource[type] ?? {}).filter((name) => name.startsWith(`${idPrefix}_`));
  expect(names).toHaveLength(1);
  return `\${${type}.${names[0]}.${attribute}}`;
}

describe("the built package", () => {
  test("holds the JavaScript and declarations of every library module, and no tests, CLI or sources", () => {
    const dist = packed.files.filter((f) => f.startsWith("dist/") && !f.startsWith("dist/commands/"));
    expect(dist).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/constructs/index.js", "dist/stacks/index.js", "dist/platform/model.js"]));
    for (const file of dist.filter((f) => f.endsWith(".js"))) expect(dist).toContain(file.replace(/\.js$/, ".d.ts"));
    // The `bin`, scripts/slipway.js, runs the bundled commands (dist/commands) and says the others need a checkout.
    expect(packed.files.filter((f) => /(^|\/)(__tests__|cli|examples|scripts)\//.test(f))).toEqual(["scripts/slipway.js"]);
    expect(packed.files.filter((f) => f.startsWith("dist/commands/")).sort()).toEqual(["dist/commands/affected.js", "dist/commands/check.js"]);
    expect(packed.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(packed.files.filter((f) => !f.startsWith("dist/") && !f.startsWith("templates/")).sort()).toEqual(["README.md", "package.json", "platform.yaml", "schema/platform.schema.json", "scripts/slipway.js"]);
    // The app skeletons the delivery stack commits (__tests__/skeleton checks their files).
    for (const file of ["slipway-template.json", "gitignore", ".dockerignore", "Dockerfile"]) expect(packed.files).toContain(`templates/python/${file}`);
  });

  test("resolves as \"slipway\" through its exports map, deep imports closed, exposing every construct", () => {
    // Every construct class constructs/index.ts re-exports, read from the sources (no need to load them here).
    const modules = [...fs.readFileSync(path.join(ROOT, "constructs", "index.ts"), "utf8").matchAll(/from "\.\/([a-z-]+)"/g)].map((m) => m[1]);
    const constructs = modules.flatMap((m) =>
      [...fs.readFileSync(path.join(ROOT, "constructs", `${m}.ts`), "utf8").matchAll(/^export class (\w+) extends Construct\b/gm)].map((c) => c[1]),
    );
    expect(constructs).toEqual(expect.arrayContaining([...REQUIRED_CONSTRUCTS, "GithubActionsRole", "GithubOidcProvider"]));

    const script = `
      const { Construct } = require("constructs");
      const slipway = require("slipway");
      const out = { main: require.resolve("slipway") };
      try { require.resolve("slipway/dist/constructs/network"); out.deep = "resolved"; } catch (e) { out.deep = e.code; }
      out.constructs = Object.keys(slipway).filter((k) => typeof slipway[k] === "function" && slipway[k].prototype instanceof Construct).sort();
      out.functions = ["buildPlatform", "loadPlatformFile", "parsePlatform"].filter((k) => typeof slipway[k] === "function");
      console.log(JSON.stringify(out));`;
    const out = JSON.parse(run(process.execPath, ["-e", script], app));
    expect(fs.realpathSync(out.main)).toBe(fs.realpathSync(path.join(app, "node_modules", "slipway", "dist", "index.js")));
    expect(out.deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    // The construct classes, plus the stacks (TerraformStack is a Construct too).
    expect(out.constructs).toEqual([...constructs, "AppEnvironmentStack", "BootstrapStack", "DeliveryStack", "KubeSystemStack", "PlatformStack", "SlipwayStack"].sort());
    expect(out.functions).toEqual(["buildPlatform", "loadPlatformFile", "parsePlatform"]);
  });

  test("declares the peers with ranges the versions it is built and tested with satisfy", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "node_modules", "slipway", "package.json"), "utf8"));
    const project = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual([...PEERS].sort());
    for (const peer of PEERS) {
      const range: string = manifest.peerDependencies[peer];
      const installed: string = JSON.parse(fs.readFileSync(path.join(app, "node_modules", peer, "package.json"), "utf8")).version;
      // The project pins each peer exactly as a dev dependency: that version is the one tested.
      expect(project.devDependencies[peer]).toBe(installed);
      expect({ peer, range, installed, ok: satisfies(installed, range) }).toEqual({ peer, range, installed, ok: true });
    }
    // The providers are generated for one Terraform provider release each: a newer major targets another.
    expect(satisfies("21.0.0", manifest.peerDependencies["@cdktf/provider-aws"])).toBe(false);
    expect(satisfies("0.22.0", manifest.peerDependencies.cdktf)).toBe(false);
    // Runtime dependencies are installed by npm from the registry, not linked.
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["yaml", "zod"]);
    expect(fs.lstatSync(path.join(app, "node_modules", "zod")).isSymbolicLink()).toBe(false);
    expect(fs.lstatSync(path.join(app, "node_modules", "slipway")).isSymbolicLink()).toBe(false);
  });

  test("type-checks a TypeScript consumer (examples/team-app) against the installed declarations", async () => {
    fs.copyFileSync(path.join(ROOT, "examples", "team-app", "main.ts"), path.join(app, "team-app.ts"));
    // A wrong type, caught only through the installed .d.ts: proves the check is real.
    fs.writeFileSync(path.join(app, "wrong.ts"), `import { PostgresDatabase } from "slipway";\nexport const port: PostgresDatabase["port"] = "5432";\n`);
    const compilerOptions = { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, noEmit: true, skipLibCheck: true, types: [] };
    fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["team-app.ts", "wrong.ts"] }));
    const tsc = await withSlot("tsc (consumer)", () =>
      spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: app, env: childEnv(), encoding: "utf8" }),
    );
    const errors = tsc.stdout.split("\n").filter((line) => line.includes("error TS"));
    expect(errors).toEqual(["wrong.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'."]);
  });
});

describe("the commands the package brings, run in the consumer app on its own cdktf output", () => {
  const slipway = (args: string[]) => spawnSync(path.join(app, "node_modules", ".bin", "slipway"), args, { cwd: app, env: childEnv(), encoding: "utf8" });

  test("slipway check runs the policy rules over the app's stacks; --json gives each finding", () => {
    const result = slipway(["check", "cdktf.out", "--json"]);
    const report = JSON.parse(result.stdout);
    expect(report.findings.length).toBeGreaterThan(0);
    for (const finding of report.findings) expect(finding).toEqual(expect.objectContaining({ stack: "team", rule: expect.stringMatching(/^SLW-[A-Z0-9]+-\d{3}$/) }));
    // Exit 1 exactly when a high or medium finding is not suppressed.
    const blocking = report.findings.filter((f: Json) => ["high", "medium"].includes(f.severity) && !f.suppressed);
    expect(report.blocking).toBe(blocking.length);
    expect(result.status).toBe(blocking.length > 0 ? 1 : 0);
  });

  test("slipway affected compares two outputs: the same output plans nothing", () => {
    const result = slipway(["affected", "--base", "cdktf.out", "--head", "cdktf.out", "--json"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ all: false, plan: [] });
  });

  test("a command that needs the platform file says it runs from a checkout, and which ones the package brings", () => {
    const result = slipway(["synth"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("the library package brings only `slipway check` and `slipway affected`");
  });
});

describe("a stack synthesized in the consumer app", () => {
  test("holds every construct's primary resource", () => {
    const types = Object.keys(tf.resource);
    expect(types).toEqual(
      expect.arrayContaining([
        "aws_vpc", // Network
        "aws_eks_cluster", // KubernetesCluster
        "github_repository", // SourceRepository
        "aws_ecr_repository", // ContainerRegistry
        "github_repository_file", // DeliveryPipeline
        "aws_db_instance", // PostgresDatabase
        "aws_lb", // LoadBalancer
        "aws_cloudfront_distribution", // Cdn
        "kubernetes_deployment_v1", // KubernetesWorkload
      ]),
    );
  });

  test("Network and KubernetesCluster: the props given, and the cluster in the network's private subnets", () => {
    expect(only("aws_vpc")).toMatchObject({ cidr_block: "10.50.0.0/16", tags: { Name: "team" } });
    expect(Object.keys(tf.resource.aws_nat_gateway)).toHaveLength(1); // natGateways: "one"
    expect(Object.values(tf.resource.aws_subnet).map((s: any) => s.cidr_block).sort()).toEqual(["10.50.0.0/19", "10.50.128.0/21", "10.50.136.0/21", "10.50.32.0/19"]);
    const cluster = only("aws_eks_cluster");
    expect(cluster.name).toBe("team");
    expect(cluster.vpc_config.subnet_ids).toEqual([ref("aws_subnet", "Network_PrivateSubnet0"), ref("aws_subnet", "Network_PrivateSubnet1")]);
    expect(only("aws_eks_node_group").instance_types).toEqual(["c6i.xlarge"]);
  });

  test("SourceRepository and DeliveryPipeline: a private repository with its environments and both workflows committed to it", () => {
    expect(only("github_repository")).toMatchObject({ name: "orders", visibility: "private" });
    const environments = Object.values(tf.resource.github_repository_environment) as Json[];
    expect(environments.map((e) => e.environment).sort()).toEqual(["dev", "prod"]);
    expect(environments.find((e) => e.environment === "prod")?.reviewers).toEqual([{ teams: [1234567], users: [] }]);
    const files = Object.values(tf.resource.github_repository_file) as Json[];
    expect(files.map((f) => f.file).sort()).toEqual([".github/workflows/deliver.yml", ".github/workflows/pull-request.yml"]);
    for (const file of files) expect(file.repository).toBe(ref("github_repository", "Repository", "name"));
    expect(tf.output.workflows.value).toEqual([".github/workflows/pull-request.yml", ".github/workflows/deliver.yml"]);
  });

  test("ContainerRegistry: immutable, scanned, KMS-encrypted, keeping the 10 releases asked for", () => {
    expect(only("aws_ecr_repository")).toMatchObject({
      name: "orders",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS" }],
    });
    const rules = JSON.parse(only("aws_ecr_lifecycle_policy").policy).rules as Json[];
    expect(rules.map((r) => r.selection.countNumber)).toContain(10);
  });

  test("PostgresDatabase: the development settings given, private, admitting only the cluster", () => {
    expect(only("aws_db_instance")).toMatchObject({
      identifier: "orders-dev",
      engine: "postgres",
      multi_az: false,
      deletion_protection: false,
      publicly_accessible: false,
      storage_encrypted: true,
    });
    expect(only("aws_db_subnet_group").subnet_ids).toEqual([ref("aws_subnet", "Network_PrivateSubnet0"), ref("aws_subnet", "Network_PrivateSubnet1")]);
    const ingress = Object.values(tf.resource.aws_vpc_security_group_ingress_rule) as Json[];
    expect(ingress.find((r) => r.security_group_id === ref("aws_security_group", "Database_SecurityGroup"))).toMatchObject({
      from_port: 5432,
      to_port: 5432,
      referenced_security_group_id: ref("aws_eks_cluster", "Cluster", "vpc_config[0].cluster_security_group_id"),
    });
  });

  test("LoadBalancer and Cdn: an internal HTTPS load balancer in the private subnets behind CloudFront's VPC origin for the domain", () => {
    expect(only("aws_lb")).toMatchObject({ name: "orders-dev", internal: true, enable_deletion_protection: false });
    expect(only("aws_lb").subnets).toEqual([ref("aws_subnet", "Network_PrivateSubnet0"), ref("aws_subnet", "Network_PrivateSubnet1")]);
    expect(only("aws_cloudfront_vpc_origin").vpc_origin_endpoint_config[0].arn).toBe(ref("aws_lb", "LoadBalancer", "arn"));
    expect(only("aws_lb_target_group")).toMatchObject({ port: 30080, target_type: "instance" });
    const distribution = only("aws_cloudfront_distribution");
    expect(distribution.aliases).toEqual(["orders.example.com"]);
    expect(distribution.origin.map((o: Json) => o.domain_name)).toContain(ref("aws_lb", "LoadBalancer", "dns_name"));
    expect(tf.output.url.value).toBe(`https://${ref("aws_cloudfront_distribution", "Cdn", "domain_name")}`);
  });

  test("KubernetesWorkload: the registry's image, the replicas given, and pods admitted from the load balancer's (private) subnets only", () => {
    const deployment = only("kubernetes_deployment_v1");
    expect(deployment.metadata).toMatchObject({ name: "orders", namespace: ref("kubernetes_namespace_v1", "Workload_Namespace", "metadata[0].name") });
    expect(only("kubernetes_namespace_v1").metadata.name).toBe("orders");
    expect(deployment.spec.template.spec.container[0].image).toBe(`${ref("aws_ecr_repository", "Registry", "repository_url")}:initial`);
    expect(only("kubernetes_horizontal_pod_autoscaler_v2").spec).toMatchObject({ min_replicas: 2, max_replicas: 4 });
    expect(deployment.spec.template.spec.container[0].port).toEqual([{ name: "http", container_port: 8080, protocol: "TCP" }]);
    expect(only("kubernetes_service_v1").spec.port[0]).toMatchObject({ node_port: 30080, target_port: "http" });
    const ingress = (Object.values(tf.resource.kubernetes_network_policy_v1) as Json[]).filter((p) => p.spec.ingress);
    expect(ingress).toHaveLength(1);
    expect(ingress[0].spec.ingress).toEqual([
      { from: [{ ip_block: { cidr: "10.50.0.0/19" } }, { ip_block: { cidr: "10.50.32.0/19" } }], ports: [{ port: "8080", protocol: "TCP" }] },
    ]);
    expect(tf.output.namespace.value).toBe(ref("kubernetes_namespace_v1", "Workload_Namespace", "metadata[0].name"));
  });
});
