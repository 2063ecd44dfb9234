/**
 * `npm run diagram`: the graphs drawn from the synthesized example (and a two-app variant), their
 * Mermaid, DOT and SVG renderings, the committed docs/diagrams, and the command's behaviour.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import {
  buildDiagrams,
  EnvironmentDiagram,
  escapeDotHtml,
  escapeMarkdown,
  escapeMermaid,
  generateDiagramFiles,
  main,
  parseWorkflow,
  quoteDot,
  renderSvg,
  toDot,
  toMermaid,
} from "../../cli/diagram";
import { synthesize } from "../../cli/synth";
import { loadSynthesizedOutput, SynthesizedOutput, SynthesizedStack } from "../../synthesized";
import { captureConsole, Captured } from "../support/console";
import { exampleDocument, ROOT, tempDir } from "../support/platform";

const COMMITTED = path.join(ROOT, "docs", "diagrams");

let work: string;
let exampleDir: string;
let example: SynthesizedOutput;
let diagrams: EnvironmentDiagram[];
let files: Map<string, string>;
let twoApps: EnvironmentDiagram[];
let cliLog: string[];

/** Runs the command with console output captured, outside CI and with no platform file from the environment. */
function run(argv: string[]): Promise<Captured<number>> {
  return captureConsole(() => main(argv));
}

beforeAll(async () => {
  work = tempDir("slipway-diagram-");
  // The example through the command itself: cdktf.out is missing, so it synthesizes first.
  exampleDir = path.join(work, "example.out");
  const result = await run(["--in", exampleDir, "--out", path.join(work, "docs")]);
  if (result.code !== 0) throw new Error(`npm run diagram failed: ${result.err}`);
  cliLog = result.out.split("\n");
  example = loadSynthesizedOutput(exampleDir);
  ({ diagrams, files } = await generateDiagramFiles(example));

  const doc = exampleDocument();
  doc.apps.push({ ...doc.apps[0], name: "api", port: 9090, overrides: undefined, domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.acme.example" } });
  const twoAppFile = path.join(work, "two-apps.yaml");
  fs.writeFileSync(twoAppFile, stringify(doc));
  synthesize({ platformFile: twoAppFile, outdir: path.join(work, "two.out") });
  twoApps = buildDiagrams(loadSynthesizedOutput(path.join(work, "two.out")));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const diagram = (env: string, from = diagrams) => from.find((d) => d.environment === env)!;
const edgeList = (d: EnvironmentDiagram) => d.edges.map((e) => `${e.from} -> ${e.to}: ${e.label}`).sort();
const node = (d: EnvironmentDiagram, id: string) => {
  const found = d.nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id} in ${d.environment}: ${d.nodes.map((n) => n.id).join(", ")}`);
  return found;
};

describe("the example platform's graphs", () => {
  test("one diagram per environment, in platform order, production marked", () => {
    expect(diagrams.map((d) => [d.environment, d.production, d.platform, d.apps])).toEqual([
      ["dev", false, "acme", ["hello"]],
      ["staging", false, "acme", ["hello"]],
      ["prod", true, "acme", ["hello"]],
    ]);
  });

  test("each is drawn from its platform and app stacks and the app's delivery stack, not another environment's", () => {
    // hello-staging reads platform-dev's state (the account's GitHub OIDC provider), yet dev's network is not staging's.
    expect(diagram("staging").stacks).toEqual(["platform-staging", "hello-staging", "hello-delivery"]);
    expect(diagram("dev").stacks).toEqual(["platform-dev", "hello-dev", "hello-delivery"]);
    expect(diagram("prod").stacks).toEqual(["platform-prod", "hello-prod", "hello-delivery"]);
  });

  test("the boxes: the request path, the assets bucket, the registry, the workflows and the GitHub environment", () => {
    expect(diagram("prod").nodes.map((n) => [n.id, n.kind, n.title])).toEqual([
      ["browser", "browser", "Browser"],
      ["hello_cdn", "cdn", "CloudFront hello.acme.example"],
      ["hello_assets", "bucket", "S3 bucket assets"],
      ["hello_lb", "load-balancer", "Load balancer hello-prod"],
      ["hello_tg", "target-group", "Target group hello-prod-np"],
      // prod releases through a canary: its own target group, Service and Deployment beside the app's.
      ["hello_tg_canary", "target-group", "Target group hello-prod-cn"],
      ["hello_service", "service", "Service hello"],
      ["hello_service_canary", "service", "Service hello-canary"],
      ["hello_deployment", "deployment", "Deployment hello"],
      ["hello_deployment_canary", "deployment", "Deployment hello-canary"],
      ["hello_db", "database", "Postgres hello-prod"],
      ["hello_registry", "registry", "ECR hello"],
      ["hello_wf_deliver", "workflow", "deliver.yml"],
      ["hello_wf_preview", "workflow", "preview.yml"],
      ["hello_wf_preview_sweep", "workflow", "preview-sweep.yml"],
      ["hello_wf_pull_request", "workflow", "pull-request.yml"],
      ["hello_env_prod", "github-environment", "environment prod"],
      // Where the alarms go: the environment's topic, and its us-east-1 twin for CloudFront's.
      ["alarms_acme_prod_alarms", "alarm-topic", "Alarm topic acme-prod-alarms"],
      ["alarms_acme_prod_global_alarms", "alarm-topic", "Alarm topic acme-prod-global-alarms"],
    ]);
    expect(diagram("dev").nodes.map((n) => n.id)).toEqual(diagram("prod").nodes.filter((n) => !n.id.endsWith("_canary")).map((n) => n.id.replace("env_prod", "env_dev").replace("acme_prod", "acme_dev")));
    expect(node(diagram("dev"), "hello_cdn").title).toBe("CloudFront hello.dev.acme.example");
  });

  test("each box names the resource it stands for", () => {
    const prod = diagram("prod");
    expect(node(prod, "hello_cdn").source).toEqual({ stack: "hello-prod", address: expect.stringMatching(/^aws_cloudfront_distribution\.Cdn_/), constructPath: "hello-prod/Cdn/Resource" });
    expect(node(prod, "hello_db").source).toMatchObject({ stack: "hello-prod", address: expect.stringMatching(/^aws_db_instance\./) });
    expect(node(prod, "hello_registry").source).toMatchObject({ stack: "hello-delivery", address: expect.stringMatching(/^aws_ecr_repository\./) });
    expect(node(prod, "hello_wf_deliver").source).toMatchObject({ stack: "hello-delivery", constructPath: "hello-delivery/Pipeline/DeliverWorkflow" });
    expect(node(prod, "hello_env_prod").source).toMatchObject({ stack: "hello-delivery", constructPath: "hello-delivery/Repository/Environment-prod" });
    expect(node(prod, "browser").source).toBeUndefined();
  });

  test("the arrows of prod, each derived from the stacks", () => {
    expect(edgeList(diagram("prod"))).toEqual([
      "browser -> hello_cdn: https://hello.acme.example",
      "hello_cdn -> alarms_acme_prod_global_alarms: alarms hello-prod-cdn-5xx-rate",
      "hello_cdn -> hello_assets: /static/*",
      "hello_cdn -> hello_lb: /* (default)",
      "hello_db -> alarms_acme_prod_alarms: alarms hello-prod-db-connections, hello-prod-db-cpu, hello-prod-db-free-storage",
      "hello_deployment -> alarms_acme_prod_alarms: alarms hello-prod-pod-restarts, hello-prod-pods-not-ready",
      "hello_deployment -> hello_db: DATABASE_HOST",
      "hello_deployment_canary -> hello_db: DATABASE_HOST",
      "hello_env_prod -> hello_deployment: deploys as hello-prod-deploy",
      "hello_env_prod -> hello_deployment_canary: deploys as hello-prod-deploy",
      "hello_lb -> alarms_acme_prod_alarms: alarms hello-prod-alb-5xx-rate, hello-prod-p99-latency, hello-prod-target-5xx-rate, hello-prod-unhealthy-targets",
      "hello_lb -> hello_tg: HTTPS :443",
      "hello_lb -> hello_tg_canary: HTTPS :443",
      "hello_registry -> hello_deployment: image",
      "hello_registry -> hello_deployment_canary: image",
      "hello_service -> hello_deployment: :80 → http",
      "hello_service_canary -> hello_deployment_canary: :80 → http",
      "hello_tg -> hello_service: NodePort :30459",
      "hello_tg_canary -> hello_service_canary: NodePort :30175",
      "hello_wf_deliver -> hello_env_prod: job deploy-prod",
      "hello_wf_deliver -> hello_registry: push image",
    ]);
    const derived = Object.fromEntries(diagram("prod").edges.map((e) => [`${e.from} -> ${e.to}`, e.derivedFrom]));
    expect(derived["hello_cdn -> hello_lb"]).toMatch(/^aws_cloudfront_distribution\.Cdn_\w+\.origin\[0\] \(app\)\.domain_name = aws_lb\.LoadBalancer_\w+\.dns_name$/);
    expect(derived["hello_deployment -> hello_db"]).toMatch(/kubernetes_config_map_v1\.Workload_Config_\w+\.data\.DATABASE_HOST refers to aws_db_instance\.Database_\w+\.address$/);
    expect(derived["hello_registry -> hello_deployment"]).toMatch(/refers to hello-delivery\/aws_ecr_repository\.Registry_\w+\.repository_url$/);
    expect(derived["hello_tg -> hello_service"]).toMatch(/node_port 30459; attached to the node group by aws_autoscaling_attachment\./);
    expect(derived["hello_wf_deliver -> hello_registry"]).toMatch(/uses vars\.ECR_REPOSITORY_URL = aws_ecr_repository\./);
    expect(derived["hello_cdn -> alarms_acme_prod_global_alarms"]).toMatch(/^aws_cloudwatch_metric_alarm\.Monitoring_Alarm-cdn-5xx-rate_\w+ watches hello_cdn and notifies platform-prod\/aws_sns_topic\.UsEast1AlarmTopic_\w+$/);
    expect(node(diagram("prod"), "alarms_acme_prod_global_alarms").details).toEqual(["us-east-1 · KMS-encrypted", "1 email subscription"]);
  });

  test("dev's and staging's arrows go to their own environment, URL and deploy role", () => {
    for (const env of ["dev", "staging"]) {
      const edges = edgeList(diagram(env));
      expect(edges).toContain(`browser -> hello_cdn: https://hello.${env}.acme.example`);
      expect(edges).toContain(`hello_wf_deliver -> hello_env_${env}: job deploy-${env}`);
      expect(edges).toContain(`hello_env_${env} -> hello_deployment: deploys as hello-${env}-deploy`);
      expect(edges).toContain(`hello_db -> alarms_acme_${env}_alarms: alarms hello-${env}-db-connections, hello-${env}-db-cpu, hello-${env}-db-free-storage`);
      expect(edges).toHaveLength(15);
    }
  });

  test("the pull-request workflow builds and tests only: no arrow to the registry or an environment", () => {
    for (const d of diagrams) expect(d.edges.filter((e) => e.from === "hello_wf_pull_request")).toEqual([]);
  });

  test("the groups nest as the resources run: namespace in cluster in VPC; workflows and environment in the repository", () => {
    const prod = diagram("prod");
    expect(prod.groups.map((g) => [g.id, g.kind, g.title, g.parent])).toEqual([
      ["g_vpc_acme_prod", "network", "VPC acme-prod", undefined],
      ["g_eks_acme_prod", "cluster", "EKS acme-prod", "g_vpc_acme_prod"],
      ["g_ns_hello_hello", "namespace", "namespace hello", "g_eks_acme_prod"],
      ["g_repo_hello", "repository", "GitHub acme-corp/hello", undefined],
    ]);
    const groupOf = Object.fromEntries(prod.nodes.map((n) => [n.id, n.group]));
    expect(groupOf).toEqual({
      browser: undefined,
      hello_cdn: undefined,
      hello_assets: undefined,
      hello_registry: undefined,
      hello_lb: "g_vpc_acme_prod",
      hello_tg: "g_vpc_acme_prod",
      hello_tg_canary: "g_vpc_acme_prod",
      hello_db: "g_vpc_acme_prod",
      hello_service: "g_ns_hello_hello",
      hello_service_canary: "g_ns_hello_hello",
      hello_deployment: "g_ns_hello_hello",
      hello_deployment_canary: "g_ns_hello_hello",
      hello_wf_deliver: "g_repo_hello",
      hello_wf_preview: "g_repo_hello",
      hello_wf_preview_sweep: "g_repo_hello",
      hello_wf_pull_request: "g_repo_hello",
      hello_env_prod: "g_repo_hello",
      alarms_acme_prod_alarms: undefined,
      alarms_acme_prod_global_alarms: undefined,
    });
  });

  test("details show what differs between the production and development profiles", () => {
    const prod = diagram("prod");
    const dev = diagram("dev");
    const group = (d: EnvironmentDiagram, id: string) => d.groups.find((g) => g.id === id)!;
    expect(group(prod, "g_vpc_acme_prod").details).toEqual(["10.30.0.0/16 · 3 zones · 3 NAT gateways", "222222222222 · eu-west-1"]);
    expect(group(dev, "g_vpc_acme_dev").details).toEqual(["10.10.0.0/16 · 2 zones · 1 NAT gateway", "111111111111 · eu-west-1"]);
    expect(group(prod, "g_eks_acme_prod").details).toEqual(["Kubernetes 1.33 · nodes 3–9 × m6i.large", "API: private + 203.0.113.0/24"]);
    expect(node(prod, "hello_db").details).toEqual(["PostgreSQL 16 · db.m6g.large", "multi-AZ · encrypted · 100–1000 GiB"]);
    expect(node(dev, "hello_db").details).toEqual(["PostgreSQL 16 · db.t4g.micro", "single-AZ · encrypted · 20–100 GiB"]);
    expect(node(prod, "hello_deployment").details).toEqual(["3–12 replicas (autoscaled at 70% CPU)", "250m CPU · 256Mi"]);
    expect(node(dev, "hello_deployment").details[0]).toBe("2–4 replicas (autoscaled at 70% CPU)");
    expect(node(prod, "hello_env_prod").details).toEqual(["reviewers: team platform", "deploys from main"]);
    expect(node(dev, "hello_env_dev").details).toEqual(["no reviewers", "deploys from main"]);
    expect(node(prod, "hello_lb").details).toEqual(["ALB · internal", "HTTP :80 → HTTPS 301"]);
    expect(node(prod, "hello_assets").details).toEqual(["hello-prod-assets-222222222222", "private · origin access control"]);
    expect(node(prod, "hello_wf_deliver").details).toEqual(["Deliver: on push to main, manual"]);
  });
});

describe("edges follow the references, not the names", () => {
  /** The example's stacks with `change` applied to a deep copy of one stack's JSON. */
  const changed = (stack: string, change: (json: any) => void): EnvironmentDiagram => {
    const edit = (s: SynthesizedStack) => {
      const json = structuredClone(s.json);
      change(json);
      return new SynthesizedStack(s.name, json, s.file, s.dependencies, s.production, s.suppressions);
    };
    const copy = new SynthesizedOutput(example.dir, example.stacks.map((s) => (s.name === stack ? edit(s) : s)), example.summary, example.workflowFiles);
    return diagram("prod", buildDiagrams(copy));
  };
  const only = (json: any, type: string) => Object.values<any>(json.resource[type])[0];

  test("without the DATABASE_HOST reference the workload has no arrow to Postgres", () => {
    const d = changed("hello-prod", (json) => {
      const config = Object.values<any>(json.resource.kubernetes_config_map_v1).find((c) => c.data?.DATABASE_HOST);
      config.data.DATABASE_HOST = "elsewhere.example";
    });
    expect(edgeList(d).filter((e) => e.includes("-> hello_db"))).toEqual([]);
  });

  test("a target group on another port reaches no Service", () => {
    // The target group lives with the node group, in platform-prod.
    const d = changed("platform-prod", (json) => {
      for (const group of Object.values<any>(json.resource.aws_lb_target_group)) group.port = 31999;
    });
    expect(d.edges.filter((e) => e.from === "hello_tg_canary")).toEqual([]);
    expect(d.edges.filter((e) => e.from === "hello_tg")).toEqual([]);
  });

  test("a CDN origin pointing at a literal domain becomes an external origin, not the load balancer", () => {
    const d = changed("hello-prod", (json) => {
      only(json, "aws_cloudfront_distribution").origin[0].domain_name = "legacy.example.com";
    });
    expect(edgeList(d).filter((e) => e.startsWith("hello_cdn") && !e.includes("-> alarms_"))).toEqual(["hello_cdn -> hello_assets: /static/*", "hello_cdn -> hello_origin_app: /* (default)"]);
    expect(node(d, "hello_origin_app").title).toBe("Origin legacy.example.com");
  });

  test("a Service whose selector matches no pod template selects no Deployment", () => {
    const d = changed("hello-prod", (json) => {
      for (const service of Object.values<any>(json.resource.kubernetes_service_v1)) service.spec.selector = { "app.kubernetes.io/name": "other" };
    });
    expect(d.edges.filter((e) => e.from === "hello_service")).toEqual([]);
  });
});

describe("several apps per environment", () => {
  test("every environment shows both apps with their own chain, sharing one VPC and one cluster", () => {
    for (const d of twoApps) {
      expect(d.apps).toEqual(["api", "hello"]);
      expect(d.groups.filter((g) => g.kind === "network")).toHaveLength(1);
      expect(d.groups.filter((g) => g.kind === "cluster")).toHaveLength(1);
      expect(d.groups.filter((g) => g.kind === "namespace").map((g) => [g.title, g.parent])).toEqual([
        ["namespace hello", `g_eks_acme_${d.environment}`],
        ["namespace api", `g_eks_acme_${d.environment}`],
      ]);
      for (const app of ["api", "hello"]) {
        const edges = edgeList(d);
        expect(edges).toContain(`browser -> ${app}_cdn: https://${app}.${d.environment === "prod" ? "" : `${d.environment}.`}acme.example`);
        for (const [from, to] of [["cdn", "lb"], ["cdn", "assets"], ["lb", "tg"], ["tg", "service"], ["service", "deployment"], ["deployment", "db"], ["registry", "deployment"], ["wf_deliver", "registry"], ["wf_deliver", `env_${d.environment}`], [`env_${d.environment}`, "deployment"]]) {
          expect(d.edges.filter((e) => e.from === `${app}_${from}` && e.to === `${app}_${to}`)).toHaveLength(1);
        }
      }
      // No arrow crosses from one app to the other (the environment's alarm topic is shared by its apps).
      for (const e of d.edges.filter((e) => e.from !== "browser" && node(d, e.to).kind !== "alarm-topic")) expect(node(d, e.from).app).toBe(node(d, e.to).app);
    }
  });

  test("each target group reaches its own app's NodePort", () => {
    const prod = diagram("prod", twoApps);
    const ports = prod.edges.filter((e) => e.to.endsWith("_service")).map((e) => [e.from, e.to, e.label]);
    expect(ports).toHaveLength(2);
    for (const [from, to, label] of ports) {
      expect(from.split("_")[0]).toBe(to.split("_")[0]);
      expect(node(prod, from).details[0]).toBe(`HTTP ${label.replace("NodePort ", "")} on instances`);
    }
    expect(new Set(ports.map((p) => p[2])).size).toBe(2);
  });
});

describe("Mermaid", () => {
  const LABEL = '"[^"]*"';
  const NODE_LINE = new RegExp(`^\\s+[A-Za-z0-9_]+(\\[${LABEL}\\]|\\(\\[${LABEL}\\]\\)|\\[\\(${LABEL}\\)\\]|\\[/${LABEL}/\\])$`);
  const EDGE_LINE = new RegExp(`^\\s+([A-Za-z0-9_]+) (-->|-\\.->)\\|${LABEL}\\| ([A-Za-z0-9_]+)$`);

  test.each(["dev", "staging", "prod"])("%s: a flowchart whose every line is a node, subgraph, edge or style, with balanced subgraphs", (env) => {
    const d = diagram(env);
    const lines = toMermaid(d).trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart TB");
    let depth = 0;
    const ids = new Set(d.nodes.map((n) => n.id));
    for (const line of lines.slice(1)) {
      if (/^\s+subgraph [A-Za-z0-9_]+\["[^"]*"\]$/.test(line)) depth++;
      else if (/^\s+end$/.test(line)) depth--;
      else if (EDGE_LINE.test(line)) {
        const [, from, , to] = line.match(EDGE_LINE)!;
        expect(ids.has(from) && ids.has(to)).toBe(true);
      } else if (!/^\s+(classDef|class|style) /.test(line)) expect(line).toMatch(NODE_LINE);
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(lines.filter((l) => EDGE_LINE.test(l))).toHaveLength(d.edges.length);
    expect(lines.filter((l) => NODE_LINE.test(l))).toHaveLength(d.nodes.length);
    // Delivery arrows are dotted, request arrows solid.
    expect(lines).toContain(`  hello_registry -.->|"image"| hello_deployment`);
    expect(lines).toContain(`  hello_lb -->|"HTTPS :443"| hello_tg`);
  });

  test("labels are entity-encoded: no quote, angle bracket, pipe or stray # survives", () => {
    const text = 'a "b" #1 <i>x</i> & y | z';
    const escaped = escapeMermaid(text);
    expect(escaped).toBe("a #quot;b#quot; #35;1 #lt;i#gt;x#lt;/i#gt; #amp; y #124; z");
    expect(escaped).not.toMatch(/["<>|]/);
    const weird: EnvironmentDiagram = {
      environment: "e",
      production: false,
      apps: [],
      stacks: [],
      groups: [{ id: "g_x", kind: "network", title: 'VPC "x"', details: ["a|b"] }],
      nodes: [
        { id: "n1", kind: "cdn", title: text, details: ["end"], group: "g_x" },
        { id: "n2", kind: "browser", title: "Browser", details: [] },
      ],
      edges: [{ from: "n2", to: "n1", label: 'say "hi" | <b>', derivedFrom: "" }],
    };
    const mermaid = toMermaid(weird);
    expect(mermaid).toContain(`subgraph g_x["<b>VPC #quot;x#quot;</b><br/>a#124;b"]`);
    expect(mermaid).toContain(`n1["<b>${escapeMermaid(text)}</b><br/>end"]`);
    expect(mermaid).toContain(`n2 -->|"say #quot;hi#quot; #124; #lt;b#gt;"| n1`);
  });
});

describe("DOT and SVG", () => {
  /** A loose XML check: one root, every element closed in order. */
  function expectWellFormed(svg: string): void {
    const body = svg.replace(/<\?xml[^>]*\?>/, "").replace(/<!DOCTYPE[^>]*>/, "").replace(/<!--[\s\S]*?-->/g, "");
    const stack: string[] = [];
    let roots = 0;
    for (const [tag, closing, name, selfClosing] of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
      if (closing) expect(`${tag}:${stack.pop()}`).toBe(`${tag}:${name}`);
      else if (!selfClosing) {
        if (stack.length === 0) roots++;
        stack.push(name);
      }
    }
    expect(stack).toEqual([]);
    expect(roots).toBe(1);
    // Text is entity-encoded: no bare ampersand.
    expect(body).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
  }

  test.each(["dev", "staging", "prod"])("%s.svg is well-formed SVG with every box and arrow label", (env) => {
    const svg = files.get(`${env}.svg`)!;
    const d = diagram(env);
    expect(svg.startsWith("<?xml")).toBe(true);
    expect(svg).toMatch(/<svg width="\d+pt" height="\d+pt"/);
    expectWellFormed(svg);
    // Arial-metric faces come before the generic fallback, so text fits the boxes Graphviz sized.
    expect([...new Set([...svg.matchAll(/font-family="([^"]*)"/g)].map((m) => m[1]))]).toEqual(["Helvetica,Arial,Liberation Sans,Arimo,sans-serif"]);
    const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    // Graphviz writes some characters as numeric references (`-` as `&#45;`, `'` as `&#39;`).
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))));
    for (const n of d.nodes) {
      expect(texts).toContain(xml(n.title));
      for (const detail of n.details) expect(texts).toContain(xml(detail));
    }
    for (const g of d.groups) expect(texts).toContain(xml(g.title));
    for (const e of d.edges) expect(texts).toContain(xml(e.label));
    expect(texts).toContain(xml(`acme · ${env}${env === "prod" ? " (production)" : ""} · app hello`));
  });

  test("DOT labels escape XML and Graphviz's own backslash escapes", async () => {
    expect(escapeDotHtml('a "b" <c> & \\N')).toBe("a &quot;b&quot; &lt;c&gt; &amp; \\\\N");
    expect(quoteDot('say "hi" \\G')).toBe('"say \\"hi\\" \\\\G"');
    const weird: EnvironmentDiagram = {
      environment: 'e "1"',
      production: false,
      apps: [],
      stacks: [],
      groups: [],
      nodes: [
        { id: "n1", kind: "deployment", title: "x <b>&</b> \\N", details: ['"quoted"'] },
        { id: "n2", kind: "database", title: "y", details: [] },
      ],
      edges: [{ from: "n1", to: "n2", label: 'a "b" \\E', derivedFrom: "" }],
    };
    const svg = await renderSvg(toDot(weird));
    expectWellFormed(svg);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    // `\N` would otherwise print the node's id (n1), `\E` the edge's name.
    expect(texts).toEqual(expect.arrayContaining(["x &lt;b&gt;&amp;&lt;/b&gt; \\N", "&quot;quoted&quot;", "a &quot;b&quot; \\E"]));
  });
});

describe("the Markdown files", () => {
  test("each environment's file holds its Mermaid flowchart, a link to its SVG and a row per box and arrow", () => {
    const md = files.get("prod.md")!;
    const d = diagram("prod");
    expect(md).toContain(`\`\`\`mermaid\n${toMermaid(d)}\`\`\`\n`);
    expect(md).toContain("[prod.svg](prod.svg)");
    const rows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
    expect(rows).toHaveLength(2 + d.groups.length + d.nodes.length + d.edges.length);
    expect(md).toContain("| Postgres hello-prod | PostgreSQL 16 · db.m6g.large; multi-AZ · encrypted · 100–1000 GiB | `hello-prod` | `aws_db_instance.Database_");
    expect(md).toContain("| CloudFront hello.acme.example | S3 bucket assets | /static/\\* | `aws_cloudfront_distribution.");
  });

  test("the index links every environment's Markdown and SVG and shows each picture", () => {
    const index = files.get("README.md")!;
    for (const env of ["dev", "staging", "prod"]) {
      expect(index).toContain(`[${env}.md](${env}.md)`);
      expect(index).toContain(`[${env}.svg](${env}.svg)`);
      expect(index).toMatch(new RegExp(`!\\[[^\\]]*${env}[^\\]]*\\]\\(${env}\\.svg\\)`));
    }
  });

  test("Markdown table cells escape Markdown punctuation", () => {
    expect(escapeMarkdown("a|b *c* _d_ <e> [f]")).toBe("a\\|b \\*c\\* \\_d\\_ \\<e\\> \\[f\\]");
  });
});

describe("npm run diagram", () => {
  test("synthesized the missing cdktf.out first, then wrote a Markdown and an SVG per environment and the index", () => {
    expect(cliLog[0]).toMatch(/^synthesizing platform\.yaml into .*example\.out \(.*does not exist yet\)$/);
    // prod has 3 boxes and 6 arrows more: its canary (and every environment shows the app's four workflows).
    expect(cliLog).toContainEqual(expect.stringMatching(/^prod: 19 boxes, 21 arrows from platform-prod, hello-prod, hello-delivery -> /));
    expect(fs.readdirSync(path.join(work, "docs")).sort()).toEqual(["README.md", "dev.md", "dev.svg", "prod.md", "prod.svg", "staging.md", "staging.svg"]);
    for (const [name, content] of files) expect(fs.readFileSync(path.join(work, "docs", name), "utf8")).toBe(content);
  });

  test("under CI it prints only the one-line summary", async () => {
    const out = path.join(work, "ci-docs");
    const run = await captureConsole(() => main(["--in", exampleDir, "--out", out]), { CI: "true" });
    expect(run.code).toBe(0);
    expect(run.out).toBe(`3 diagrams in ${out}: 7 files written, 0 unchanged`);
    expect(run.err).toBe("");
  });

  test("the committed docs/diagrams match what the generator makes of platform.yaml", async () => {
    const { code, err } = await run(["--in", exampleDir, "--out", COMMITTED, "--check"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(fs.readdirSync(COMMITTED).sort()).toEqual([...files.keys()].sort());
  });

  test("--check fails, naming the file, when a diagram is stale or no longer generated", async () => {
    const stale = path.join(work, "stale");
    fs.cpSync(path.join(work, "docs"), stale, { recursive: true });
    fs.appendFileSync(path.join(stale, "prod.md"), "hand edit\n");
    fs.writeFileSync(path.join(stale, "qa.md"), `${files.get("dev.md")!.split("\n")[0]}\n# qa\n`);
    fs.writeFileSync(path.join(stale, "notes.md"), "# not generated: left alone\n");
    const { code, err } = await run(["--in", exampleDir, "--out", stale, "--check"]);
    expect(code).toBe(1);
    expect(err).toMatch(/out of date .*: prod\.md, qa\.md \(no longer generated\)\. Run `npm run diagram`/);
    // Writing fixes it: the stale generated file goes, the hand-written one stays.
    expect((await run(["--in", exampleDir, "--out", stale])).code).toBe(0);
    expect(fs.readdirSync(stale).sort()).toEqual(["README.md", "dev.md", "dev.svg", "notes.md", "prod.md", "prod.svg", "staging.md", "staging.svg"]);
    expect((await run(["--in", exampleDir, "--out", stale, "--check"])).code).toBe(0);
  });

  test("fails clearly when --in is not a synthesized output, and writes nothing", async () => {
    const notSynth = path.join(work, "not-synth");
    fs.mkdirSync(notSynth);
    const out = path.join(work, "never");
    const { code, err } = await run(["--in", notSynth, "--out", out]);
    expect(code).toBe(1);
    expect(err).toContain(`${path.join(notSynth, "manifest.json")} not found: run \`npm run synth\` first, or \`npm run diagram -- --synth\``);
    expect(fs.existsSync(out)).toBe(false);
  });

  test("fails clearly on a bad platform file, leaving --in and --out as they were", async () => {
    const bad = path.join(work, "bad.yaml");
    fs.writeFileSync(bad, "name: acme\napps: []\n");
    const out = path.join(work, "never");
    const { code, err } = await run(["--platform", bad, "--in", exampleDir, "--out", out]);
    expect(code).toBe(1);
    expect(err).toMatch(/bad\.yaml/);
    expect(err).toContain(`Synthesis failed; ${exampleDir} is as it was`);
    expect(fs.existsSync(path.join(exampleDir, "manifest.json"))).toBe(true);
    expect(fs.existsSync(out)).toBe(false);
  });

  test("--json prints the graphs with how each arrow was derived", async () => {
    const { code, out } = await run(["--in", exampleDir, "--out", path.join(work, "json-out"), "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.map((d: any) => d.environment)).toEqual(["dev", "staging", "prod"]);
    expect(parsed[2].edges).toContainEqual(expect.objectContaining({ from: "hello_deployment", to: "hello_db", label: "DATABASE_HOST", derivedFrom: expect.any(String) }));
  });
});

test("workflow summaries: name, triggers, jobs with their environments, vars read", () => {
  const summary = parseWorkflow(`name: Deliver
on:
  push:
    branches: [main]
  workflow_dispatch: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps: [{ run: "echo \${{ vars.ECR_REPOSITORY_URL }}" }]
  deploy-prod:
    environment: { name: prod, url: "\${{ vars.APP_URL }}" }
  deploy-qa:
    environment: qa
`);
  expect(summary.name).toBe("Deliver");
  expect(summary.triggers).toEqual(["push to main", "manual"]);
  expect(summary.jobs).toEqual([{ id: "build", environment: undefined }, { id: "deploy-prod", environment: "prod" }, { id: "deploy-qa", environment: "qa" }]);
  expect([...summary.variables].sort()).toEqual(["APP_URL", "ECR_REPOSITORY_URL"]);
});
