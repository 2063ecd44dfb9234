/**
 * One graph per environment, built from the resources actually synthesized: browser -> CDN ->
 * load balancer -> target group -> Service -> Deployment -> Postgres, the assets bucket, the
 * registry, the pipeline's workflow files, the repository and its GitHub environment, inside the
 * network, cluster and namespace they run in. Every edge and every grouping is derived from a
 * reference (or, where Terraform has none, a value both sides share — a node port, a label
 * selector, a workflow's `vars.*`) and records how, so the diagram cannot drift from the stacks.
 */
import { parse as parseYaml } from "yaml";
import { asArray, SynthesizedOutput, SynthesizedStack } from "../../synthesized";
import { address, Reference, ResourceId, ResourceIndex, resourceKey, sameResource, unique } from "./resources";

export type NodeKind =
  | "browser"
  | "cdn"
  | "bucket"
  | "origin"
  | "load-balancer"
  | "target-group"
  | "service"
  | "deployment"
  | "database"
  | "registry"
  | "workflow"
  | "github-environment"
  | "alarm-topic";

export type GroupKind = "network" | "cluster" | "namespace" | "repository";

export interface DiagramSource {
  readonly stack: string;
  /** Terraform address within the stack, e.g. `aws_lb.LoadBalancer_BE9EEC3A`. */
  readonly address: string;
  /** The construct path cdktf records, e.g. `hello-prod/LoadBalancer/Resource`. */
  readonly constructPath?: string;
}

export interface DiagramNode {
  /** Stable and safe as a Mermaid / DOT identifier: `[A-Za-z0-9_]`. */
  readonly id: string;
  readonly kind: NodeKind;
  readonly title: string;
  readonly details: string[];
  readonly app?: string;
  /** The group (network, cluster, namespace, repository) the node sits in. */
  readonly group?: string;
  readonly source?: DiagramSource;
}

export interface DiagramGroup {
  readonly id: string;
  readonly kind: GroupKind;
  readonly title: string;
  readonly details: string[];
  readonly parent?: string;
  readonly source?: DiagramSource;
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** How the edge was derived from the synthesized JSON, for the reader and the tests. */
  readonly derivedFrom: string;
}

export interface EnvironmentDiagram {
  readonly environment: string;
  /** The platform's name (default tag `slipway:platform`), when the stacks carry it. */
  readonly platform?: string;
  readonly production: boolean;
  readonly apps: string[];
  /** The stacks the diagram was drawn from. */
  readonly stacks: string[];
  readonly groups: DiagramGroup[];
  readonly nodes: DiagramNode[];
  readonly edges: DiagramEdge[];
}

const DEPLOYMENT_TYPES = ["kubernetes_deployment_v1", "kubernetes_deployment"];
/** `_canary` for a canary's target group, Service or Deployment (constructs/canary.ts), so its boxes keep stable ids beside the app's. */
function canaryOf(body: any): string {
  const labels = asArray(body.metadata)[0]?.labels ?? {};
  return body.tags?.["slipway:track"] === "canary" || labels["app.kubernetes.io/component"] === "canary" ? "_canary" : "";
}
const SERVICE_TYPES = ["kubernetes_service_v1", "kubernetes_service"];
const NAMESPACE_TYPES = ["kubernetes_namespace_v1", "kubernetes_namespace"];
const HPA_TYPES = ["kubernetes_horizontal_pod_autoscaler_v2", "kubernetes_horizontal_pod_autoscaler"];
/** A Deployment reads its environment from these; references inside them count as the Deployment's. */
const ENV_SOURCE_TYPES = ["kubernetes_secret_v1", "kubernetes_secret", "kubernetes_config_map_v1", "kubernetes_config_map"];
const WORKFLOW_DIR = ".github/workflows/";
const NODE_ORDER: NodeKind[] = ["browser", "cdn", "bucket", "origin", "load-balancer", "target-group", "service", "deployment", "database", "registry", "workflow", "github-environment", "alarm-topic"];

/** Builds the diagram of every environment, in platform order. */
export function buildDiagrams(output: SynthesizedOutput): EnvironmentDiagram[] {
  const index = new ResourceIndex(output);
  return output.environments.map((environment) => buildEnvironmentDiagram(index, environment));
}

/** Mermaid and DOT identifiers: letters, digits and `_`. */
export function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, "_");
}

class Builder {
  readonly groups = new Map<string, DiagramGroup>();
  readonly nodes = new Map<string, DiagramNode>();
  readonly edges: DiagramEdge[] = [];
  /** Resource key -> node or group id. */
  private readonly ids = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(private readonly index: ResourceIndex) {}

  idOf(resource: ResourceId | undefined): string | undefined {
    return resource ? this.ids.get(resourceKey(resource)) : undefined;
  }

  private claim(base: string, resource?: ResourceId): string {
    let id = safeId(base);
    for (let i = 2; this.used.has(id); i++) id = safeId(`${base}_${i}`);
    this.used.add(id);
    if (resource) this.ids.set(resourceKey(resource), id);
    return id;
  }

  source(resource: ResourceId): DiagramSource {
    return { stack: resource.stack, address: address(resource), constructPath: this.index.body(resource)?.["//"]?.metadata?.path };
  }

  group(base: string, kind: GroupKind, title: string, details: string[], resource?: ResourceId, parent?: string): string {
    const existing = this.idOf(resource);
    if (existing) return existing;
    const id = this.claim(`g_${base}`, resource);
    this.groups.set(id, { id, kind, title, details: details.filter(Boolean), parent, source: resource && this.source(resource) });
    return id;
  }

  node(base: string, kind: NodeKind, title: string, details: string[], options: { resource?: ResourceId; app?: string; group?: string } = {}): string {
    const existing = this.idOf(options.resource);
    if (existing) return existing;
    const id = this.claim(base, options.resource);
    this.nodes.set(id, { id, kind, title, details: details.filter(Boolean), app: options.app, group: options.group, source: options.resource && this.source(options.resource) });
    return id;
  }

  edge(from: string | undefined, to: string | undefined, label: string, derivedFrom: string): void {
    if (!from || !to) return;
    if (this.edges.some((e) => e.from === from && e.to === to && e.label === label)) return;
    this.edges.push({ from, to, label, derivedFrom });
  }
}

function buildEnvironmentDiagram(index: ResourceIndex, environment: string): EnvironmentDiagram {
  const output = index.output;
  const envStacks = output.stacks.filter((s) => s.environment === environment);
  // Shared stacks (an app's delivery stack) take part when this environment's stacks refer to them.
  const referenced = new Set<string>();
  for (const stack of envStacks) for (const name of referencedStacks(index, stack)) referenced.add(name);
  const sharedStacks = output.stacks.filter((s) => s.environment === undefined && referenced.has(s.name));
  const b = new Builder(index);
  // A resource of an environment's stack that belongs to one app (its target group) says so in its tag.
  const appOf = (id: ResourceId) => index.stack(id.stack).app ?? index.body(id)?.tags?.["slipway:app"];

  // The network: each VPC, and what sits in it (found by following subnets to their VPC).
  for (const vpc of index.resources(envStacks, "aws_vpc")) {
    const body = index.body(vpc);
    const subnets = index.resources([index.stack(vpc.stack)], "aws_subnet").filter((s) => index.referencedOfType(s, "aws_vpc").some((v) => sameResource(v, vpc)));
    const zones = new Set(subnets.map((s) => index.body(s).availability_zone).filter(Boolean));
    const nats = index.resources([index.stack(vpc.stack)], "aws_nat_gateway").length;
    const provider = asArray(index.stack(vpc.stack).json.provider?.aws)[0] ?? {};
    b.group(`vpc_${body.tags?.Name ?? vpc.name}`, "network", `VPC ${body.tags?.Name ?? vpc.name}`, [
      [body.cidr_block, zones.size ? `${zones.size} zones` : "", nats ? `${nats} NAT gateway${nats > 1 ? "s" : ""}` : ""].filter(Boolean).join(" · "),
      [asArray(provider.allowed_account_ids).join(", "), provider.region].filter(Boolean).join(" · "),
    ], vpc);
  }
  const vpcOf = (resource: ResourceId, seen = new Set<string>()): string | undefined => {
    // Follow references (subnets, subnet groups, security groups) until one reaches a VPC.
    if (seen.has(resourceKey(resource)) || seen.size > 50) return undefined;
    seen.add(resourceKey(resource));
    const refs = index.referencesOf(resource);
    const direct = refs.find((r) => r.target.type === "aws_vpc");
    if (direct) return b.idOf(direct.target);
    for (const r of refs.filter((r) => ["aws_subnet", "aws_db_subnet_group"].includes(r.target.type))) {
      const found = vpcOf(r.target, seen);
      if (found) return found;
    }
    return undefined;
  };

  // The cluster(s), in their VPC.
  for (const cluster of index.resources(envStacks, "aws_eks_cluster")) {
    const body = index.body(cluster);
    const nodeGroups = index.resources([index.stack(cluster.stack)], "aws_eks_node_group").filter((n) => index.referencedOfType(n, "aws_eks_cluster").some((c) => sameResource(c, cluster)));
    const sizes = nodeGroups.map((n) => {
      const g = index.body(n);
      const scaling = asArray(g.scaling_config)[0] ?? {};
      return `${scaling.min_size}–${scaling.max_size} × ${asArray(g.instance_types).join("/") || "nodes"}`;
    });
    const vpcConfig = asArray(body.vpc_config)[0] ?? {};
    const api = vpcConfig.endpoint_public_access ? `API: private + ${asArray(vpcConfig.public_access_cidrs).join(", ") || "public"}` : "API: private";
    b.group(`eks_${body.name ?? cluster.name}`, "cluster", `EKS ${body.name ?? cluster.name}`, [
      [body.version ? `Kubernetes ${body.version}` : "", sizes.length ? `nodes ${sizes.join(", ")}` : ""].filter(Boolean).join(" · "),
      api,
    ], cluster, vpcOf(cluster));
  }

  // Namespaces, in the cluster their stack's Kubernetes provider points at.
  for (const namespace of index.resources(envStacks, ...NAMESPACE_TYPES)) {
    const stack = index.stack(namespace.stack);
    const body = index.body(namespace);
    const metadata = asArray(body.metadata)[0] ?? {};
    const cluster = kubernetesClusterOf(index, stack);
    const security = metadata.labels?.["pod-security.kubernetes.io/enforce"];
    b.group(`ns_${stack.app ?? ""}_${metadata.name ?? namespace.name}`, "namespace", `namespace ${metadata.name ?? namespace.name}`, [security ? `pod security: ${security}` : ""], namespace, b.idOf(cluster));
  }
  const namespaceOf = (resource: ResourceId): string | undefined => {
    const ref = index.references(resource.stack, asArray(index.body(resource).metadata)[0]?.namespace).find((r) => NAMESPACE_TYPES.includes(r.target.type));
    return b.idOf(ref?.target);
  };

  // Databases, load balancers, target groups, Services and Deployments of each app.
  for (const db of index.resources(envStacks, "aws_db_instance")) {
    const body = index.body(db);
    const storage = body.max_allocated_storage ? `${body.allocated_storage}–${body.max_allocated_storage} GiB` : body.allocated_storage ? `${body.allocated_storage} GiB` : "";
    b.node(`${appOf(db) ?? "db"}_db`, "database", `Postgres ${body.identifier ?? db.name}`, [
      [body.engine === "postgres" ? "PostgreSQL" : body.engine, body.engine_version].filter(Boolean).join(" ") + (body.instance_class ? ` · ${body.instance_class}` : ""),
      [body.multi_az ? "multi-AZ" : "single-AZ", body.storage_encrypted ? "encrypted" : "unencrypted", storage].filter(Boolean).join(" · "),
    ], { resource: db, app: appOf(db), group: vpcOf(db) });
  }
  const listeners = index.resources(envStacks, "aws_lb_listener");
  for (const lb of index.resources(envStacks, "aws_lb")) {
    const body = index.body(lb);
    const own = listeners.filter((l) => index.referencedOfType(l, "aws_lb").some((x) => sameResource(x, lb)));
    const redirects = own
      .map((l) => index.body(l))
      .flatMap((l) => asArray(l.default_action).filter((a: any) => a.type === "redirect").map((a: any) => `${l.protocol} :${l.port} → ${asArray(a.redirect)[0]?.protocol ?? ""} ${String(asArray(a.redirect)[0]?.status_code ?? "").replace("HTTP_", "")}`.trim()));
    b.node(`${appOf(lb) ?? "lb"}_lb`, "load-balancer", `Load balancer ${body.name ?? lb.name}`, [
      [body.load_balancer_type === "network" ? "NLB" : "ALB", body.internal ? "internal" : "internet-facing"].join(" · "),
      redirects.join(" · "),
    ], { resource: lb, app: appOf(lb), group: vpcOf(lb) });
  }
  for (const tg of index.resources(envStacks, "aws_lb_target_group")) {
    const body = index.body(tg);
    const health = asArray(body.health_check)[0];
    b.node(`${appOf(tg) ?? "tg"}_tg${canaryOf(body)}`, "target-group", `Target group ${body.name ?? tg.name}`, [
      `${body.protocol ?? ""} :${body.port ?? "?"} on ${body.target_type ?? "instance"}s`.trim(),
      health?.path ? `health ${health.path}` : "",
    ], { resource: tg, app: appOf(tg), group: vpcOf(tg) });
  }
  for (const service of index.resources(envStacks, ...SERVICE_TYPES)) {
    const body = index.body(service);
    const spec = asArray(body.spec)[0] ?? {};
    const ports = asArray(spec.port).map((p: any) => [p.node_port ? `:${p.node_port}` : "", `:${p.port}`, p.target_port ? `${p.target_port}` : ""].filter(Boolean).join(" → "));
    b.node(`${appOf(service) ?? "svc"}_service${canaryOf(body)}`, "service", `Service ${asArray(body.metadata)[0]?.name ?? service.name}`, [
      [spec.type ?? "ClusterIP", ports.join(", ")].filter(Boolean).join(" "),
    ], { resource: service, app: appOf(service), group: namespaceOf(service) });
  }
  const hpas = index.resources(envStacks, ...HPA_TYPES);
  for (const deployment of index.resources(envStacks, ...DEPLOYMENT_TYPES)) {
    const body = index.body(deployment);
    const spec = asArray(body.spec)[0] ?? {};
    const hpa = hpas.map((h) => index.body(h)).find((h) => index.references(deployment.stack, asArray(h.spec)[0]?.scale_target_ref).some((r) => sameResource(r.target, deployment)));
    const hpaSpec = hpa && asArray(hpa.spec)[0];
    const cpuTarget = hpaSpec && asArray(hpaSpec.metric).map((m: any) => asArray(m.resource)[0]).find((r: any) => r?.name === "cpu");
    const replicas = hpaSpec
      ? `${hpaSpec.min_replicas}–${hpaSpec.max_replicas} replicas (autoscaled${cpuTarget ? ` at ${asArray(cpuTarget.target)[0]?.average_utilization}% CPU` : ""})`
      : `${spec.replicas ?? 1} replicas`;
    const container = asArray(asArray(asArray(spec.template)[0]?.spec)[0]?.container)[0] ?? {};
    const requests = asArray(container.resources)[0]?.requests ?? {};
    b.node(`${appOf(deployment) ?? "app"}_deployment${canaryOf(body)}`, "deployment", `Deployment ${asArray(body.metadata)[0]?.name ?? deployment.name}`, [
      replicas,
      [requests.cpu ? `${requests.cpu} CPU` : "", requests.memory ?? ""].filter(Boolean).join(" · "),
    ], { resource: deployment, app: appOf(deployment), group: namespaceOf(deployment) });
  }

  // Browser -> CDN -> origins (load balancer, assets bucket).
  const distributions = index.resources(envStacks, "aws_cloudfront_distribution");
  const browser = distributions.length ? b.node("browser", "browser", "Browser", ["the app's users"]) : undefined;
  for (const cdn of distributions) {
    const body = index.body(cdn);
    // The previews' wildcard alias (`*.<domain>`) is not an address a browser is sent to.
    const aliases = asArray<string>(body.aliases).filter((a) => !a.startsWith("*."));
    const id = b.node(`${appOf(cdn) ?? "cdn"}_cdn`, "cdn", `CloudFront ${aliases[0] ?? body.comment ?? cdn.name}`, [
      aliases.length > 1 ? aliases.slice(1).join(", ") : "",
      [body.price_class, asArray(body.viewer_certificate)[0]?.minimum_protocol_version, body.web_acl_id ? "WAF" : ""].filter(Boolean).join(" · "),
    ], { resource: cdn, app: appOf(cdn) });
    b.edge(browser, id, aliases.length ? aliases.map((a) => `https://${a}`).join(", ") : "https", `${address(cdn)}.aliases in ${cdn.stack}`);
    const behaviours = [
      ...asArray(body.default_cache_behavior).map((c: any) => ({ origin: c.target_origin_id, path: "/* (default)" })),
      ...asArray(body.ordered_cache_behavior).map((c: any) => ({ origin: c.target_origin_id, path: c.path_pattern })),
    ];
    asArray(body.origin).forEach((origin: any, i: number) => {
      const paths = behaviours.filter((c) => c.origin === origin.origin_id).map((c) => c.path);
      const label = paths.join(", ") || `origin ${origin.origin_id}`;
      const refs = index.references(cdn.stack, origin.domain_name, ["origin", i, "domain_name"]);
      const target = refs.find((r) => b.idOf(r.target)) ?? refs.find((r) => r.target.type === "aws_s3_bucket");
      let to = b.idOf(target?.target);
      if (!to && target) to = bucketNode(index, b, target.target, origin, appOf(cdn));
      if (!to) to = b.node(`${appOf(cdn) ?? "cdn"}_origin_${origin.origin_id}`, "origin", `Origin ${origin.domain_name}`, [], { app: appOf(cdn) });
      b.edge(id, to, label, `${address(cdn)}.origin[${i}] (${origin.origin_id}).domain_name = ${target ? `${address(target.target)}.${target.attribute}` : JSON.stringify(origin.domain_name)}`);
    });
  }

  // Load balancer -> target group, through each listener that forwards.
  for (const listener of listeners) {
    const body = index.body(listener);
    const lb = index.referencedOfType(listener, "aws_lb")[0];
    for (const [i, action] of asArray(body.default_action).entries()) {
      const targets = index.references(listener.stack, action, ["default_action", i]).filter((r) => r.target.type === "aws_lb_target_group");
      for (const tg of targets) {
        b.edge(b.idOf(lb), b.idOf(tg.target), `${body.protocol} :${body.port}`, `${address(listener)} (load_balancer_arn = ${address(lb)}) forwards to ${address(tg.target)}`);
      }
    }
  }

  // Target group -> Service: the group's port is a NodePort of a Service in the cluster whose
  // node group the target group is attached to.
  const attachments = index.resources(envStacks, "aws_autoscaling_attachment");
  for (const tg of index.resources(envStacks, "aws_lb_target_group")) {
    const port = Number(index.body(tg).port);
    const attachedTo = attachments.filter((a) => index.referencedOfType(a, "aws_lb_target_group").some((t) => sameResource(t, tg)));
    const attachedClusters = new Set(
      attachedTo.flatMap((a) => index.referencedOfType(a, "aws_eks_node_group")).flatMap((n) => index.referencedOfType(n, "aws_eks_cluster")).map((c) => b.idOf(c)),
    );
    for (const service of index.resources(envStacks, ...SERVICE_TYPES)) {
      const nodePort = asArray(asArray(index.body(service).spec)[0]?.port).find((p: any) => Number(p.node_port) === port);
      if (!nodePort) continue;
      const serviceCluster = b.idOf(kubernetesClusterOf(index, index.stack(service.stack)));
      if (attachedClusters.size && !attachedClusters.has(serviceCluster)) continue;
      b.edge(b.idOf(tg), b.idOf(service), `NodePort :${port}`, `${address(tg)}.port = ${address(service)} node_port ${port}${attachedTo.length ? `; attached to the node group by ${attachedTo.map(address).join(", ")}` : ""}`);
    }
  }

  // Service -> Deployment: the selector matches the pod template's labels, in the same namespace.
  for (const service of index.resources(envStacks, ...SERVICE_TYPES)) {
    const spec = asArray(index.body(service).spec)[0] ?? {};
    const selector: Record<string, string> = spec.selector ?? {};
    if (!Object.keys(selector).length) continue;
    for (const deployment of index.resources(envStacks, ...DEPLOYMENT_TYPES)) {
      const labels = asArray(asArray(asArray(index.body(deployment).spec)[0]?.template)[0]?.metadata)[0]?.labels ?? {};
      const matches = Object.entries(selector).every(([k, v]) => labels[k] === v);
      if (!matches || namespaceOf(service) !== namespaceOf(deployment)) continue;
      const ports = asArray(spec.port).map((p: any) => `:${p.port} → ${p.target_port ?? p.port}`).join(", ");
      b.edge(b.idOf(service), b.idOf(deployment), ports, `${address(service)} selector ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(",")} matches ${address(deployment)}'s pod labels`);
    }
  }

  // Deployment -> database and registry -> Deployment, from what the Deployment (and the
  // Secrets / ConfigMaps it reads its environment from) refers to.
  for (const deployment of index.resources(envStacks, ...DEPLOYMENT_TYPES)) {
    for (const { ref, via, key } of workloadReferences(index, deployment)) {
      if (ref.target.type === "aws_db_instance") {
        b.edge(b.idOf(deployment), b.idOf(ref.target), key ?? "connects", `${via} refers to ${address(ref.target)}.${ref.attribute}`);
      } else if (ref.target.type === "aws_ecr_repository") {
        const registry = registryNode(index, b, ref.target);
        b.edge(registry, b.idOf(deployment), "image", `${via} (${key ?? "image"}) refers to ${ref.target.stack}/${address(ref.target)}.${ref.attribute}`);
      }
    }
  }

  // The delivery side: repository, its workflows and this environment's GitHub environment.
  const envVariables = index.resources(envStacks, "github_actions_environment_variable");
  const githubEnvironments = unique(
    envVariables.flatMap((v) => index.references(v.stack, index.body(v).environment).map((r) => r.target)).filter((t) => t.type === "github_repository_environment"),
  );
  // Without such variables, fall back to the environment of the same name.
  if (!githubEnvironments.length) {
    githubEnvironments.push(...index.resources(sharedStacks, "github_repository_environment").filter((e) => index.body(e).environment === environment));
  }
  const repositories = unique([
    ...githubEnvironments.flatMap((e) => index.referencedOfType(e, "github_repository")),
    ...index.resources(sharedStacks, "github_repository"),
  ]);
  for (const repo of repositories) {
    const body = index.body(repo);
    const owner = asArray(index.stack(repo.stack).json.provider?.github)[0]?.owner;
    const repoGroup = b.group(`repo_${body.name ?? repo.name}`, "repository", `GitHub ${owner ? `${owner}/` : ""}${body.name ?? repo.name}`, [body.visibility ?? ""], repo);
    const files = index.resources([index.stack(repo.stack)], "github_repository_file").filter((f) => index.referencedOfType(f, "github_repository").some((r) => sameResource(r, repo)));
    for (const file of files) {
      const fileBody = index.body(file);
      const filePath: string = fileBody.file ?? "";
      if (!filePath.startsWith(WORKFLOW_DIR)) continue;
      const app = index.stack(repo.stack).app;
      const generated = app !== undefined ? output.workflowFiles.get(`workflows/${app}/${filePath.slice(WORKFLOW_DIR.length)}`) : undefined;
      const workflow = parseWorkflow(generated ?? String(fileBody.content ?? "").replace(/\$\$\{/g, "${"));
      const id = b.node(`${app ?? "repo"}_wf_${filePath.slice(WORKFLOW_DIR.length).replace(/\.ya?ml$/, "")}`, "workflow", filePath.slice(WORKFLOW_DIR.length), [
        [workflow.name, workflow.triggers.length ? `on ${workflow.triggers.join(", ")}` : ""].filter(Boolean).join(": "),
      ], { resource: file, app, group: repoGroup });
      // Workflow -> registry: it uses a repository variable whose value is the registry's URL.
      const variables = index.resources([index.stack(repo.stack)], "github_actions_variable").filter((v) => index.referencedOfType(v, "github_repository").some((r) => sameResource(r, repo)));
      for (const variable of variables) {
        const name = index.body(variable).variable_name;
        if (!workflow.variables.has(name)) continue;
        for (const ref of index.references(variable.stack, index.body(variable).value).filter((r) => r.target.type === "aws_ecr_repository")) {
          b.edge(id, registryNode(index, b, ref.target), "push image", `${filePath} uses vars.${name} = ${address(ref.target)}.${ref.attribute} (${address(variable)})`);
        }
      }
      // Workflow -> GitHub environment: a job runs under it.
      for (const ghEnv of githubEnvironments.filter((e) => index.referencedOfType(e, "github_repository").some((r) => sameResource(r, repo)))) {
        const envName = index.body(ghEnv).environment;
        for (const job of workflow.jobs.filter((j) => j.environment === envName)) {
          b.edge(id, githubEnvironmentNode(index, b, ghEnv, repoGroup, app), `job ${job.id}`, `${filePath} job ${job.id} has environment ${envName} (${address(ghEnv)})`);
        }
      }
    }
  }
  // GitHub environment -> Deployment: the environment's variables name the namespace the deploy
  // job rolls out to and the role it assumes.
  for (const ghEnv of githubEnvironments) {
    const repoGroup = b.idOf(index.referencedOfType(ghEnv, "github_repository")[0]);
    const envNode = githubEnvironmentNode(index, b, ghEnv, repoGroup, index.stack(ghEnv.stack).app);
    const variables = envVariables.filter((v) => index.references(v.stack, index.body(v).environment).some((r) => sameResource(r.target, ghEnv)));
    const valueRefs = variables.flatMap((v) => index.references(v.stack, index.body(v).value).map((ref) => ({ ref, name: index.body(v).variable_name as string, variable: v })));
    const role = valueRefs.find((x) => x.ref.target.type === "aws_iam_role");
    const roleName = role ? index.body(role.ref.target).name : undefined;
    for (const ns of valueRefs.filter((x) => NAMESPACE_TYPES.includes(x.ref.target.type))) {
      const nsGroup = b.idOf(ns.ref.target);
      for (const deployment of index.resources(envStacks, ...DEPLOYMENT_TYPES).filter((d) => namespaceOf(d) === nsGroup)) {
        b.edge(envNode, b.idOf(deployment), roleName ? `deploys as ${roleName}` : "deploys", `${address(ns.variable)} (${ns.name}) = ${address(ns.ref.target)}${role ? `; ${address(role.variable)} (${role.name}) = ${address(role.ref.target)}` : ""}`);
      }
    }
  }

  // Alarms: what each watches -> the topic it notifies (alarm_actions), labelled with the alarms.
  const watches = new Map<string, { from: string; to: string; names: string[]; derivedFrom: string[] }>();
  for (const alarm of index.resources(envStacks, "aws_cloudwatch_metric_alarm")) {
    const body = index.body(alarm);
    const refs = index.referencesOf(alarm);
    // The first watched resource drawn (load balancer, database, CDN); Container Insights alarms
    // name a namespace, whose Deployment they watch.
    let from = refs.map((r) => (r.target.type === "aws_sns_topic" ? undefined : b.idOf(r.target))).find((id) => id !== undefined && b.nodes.has(id));
    const ns = refs.find((r) => NAMESPACE_TYPES.includes(r.target.type));
    if (!from && ns) from = index.resources(envStacks, ...DEPLOYMENT_TYPES).map((d) => (namespaceOf(d) === b.idOf(ns.target) ? b.idOf(d) : undefined)).find(Boolean);
    for (const topic of unique(index.references(alarm.stack, body.alarm_actions).filter((r) => r.target.type === "aws_sns_topic").map((r) => r.target))) {
      const to = alarmTopicNode(index, b, topic);
      if (!from) continue;
      const key = `${from} ${to}`;
      const entry = watches.get(key) ?? { from, to, names: [], derivedFrom: [] };
      entry.names.push(String(body.alarm_name));
      entry.derivedFrom.push(`${address(alarm)} watches ${from} and notifies ${topic.stack}/${address(topic)}`);
      watches.set(key, entry);
    }
  }
  for (const w of watches.values()) b.edge(w.from, w.to, `alarms ${w.names.join(", ")}`, w.derivedFrom.join("; "));

  const apps = [...new Set([...b.nodes.values()].map((n) => n.app).filter((a): a is string => Boolean(a)))].sort();
  // Along the request path first, then the delivery side; apps in name order.
  const nodes = [...b.nodes.values()].sort((x, y) => NODE_ORDER.indexOf(x.kind) - NODE_ORDER.indexOf(y.kind) || (x.app ?? "").localeCompare(y.app ?? "") || x.id.localeCompare(y.id));
  return {
    environment,
    platform: envStacks.find((s) => s.platform)?.platform,
    production: output.productionEnvironments.includes(environment),
    apps,
    stacks: [...envStacks, ...sharedStacks].map((s) => s.name),
    groups: [...b.groups.values()],
    nodes,
    edges: b.edges,
  };
}

/** The stacks a stack reads through cross-stack references. */
function referencedStacks(index: ResourceIndex, stack: SynthesizedStack): string[] {
  const names = new Set<string>();
  for (const { type, name } of stack.resources()) {
    for (const ref of index.referencesOf({ stack: stack.name, type, name, data: false })) if (ref.target.stack !== stack.name) names.add(ref.target.stack);
  }
  return [...names];
}

/** The EKS cluster a stack's Kubernetes provider connects to (`host` refers to its endpoint). */
function kubernetesClusterOf(index: ResourceIndex, stack: SynthesizedStack): ResourceId | undefined {
  for (const provider of asArray(stack.json.provider?.kubernetes)) {
    const ref = index.references(stack.name, provider.host).find((r) => r.target.type === "aws_eks_cluster");
    if (ref) return ref.target;
  }
  return undefined;
}

/**
 * What a Deployment refers to, looking through the Secrets and ConfigMaps it takes its
 * environment from; `key` names the variable (`DATABASE_URL`) or the field (`image`).
 */
function workloadReferences(index: ResourceIndex, deployment: ResourceId): { ref: Reference; via: string; key?: string }[] {
  const found: { ref: Reference; via: string; key?: string }[] = [];
  const body = index.body(deployment);
  for (const ref of index.referencesOf(deployment)) {
    if (ENV_SOURCE_TYPES.includes(ref.target.type)) {
      for (const inner of index.referencesOf(ref.target)) {
        const dataKey = inner.path[0] === "data" || inner.path[0] === "binary_data" ? String(inner.path[1]) : undefined;
        found.push({ ref: inner, via: `${address(deployment)} → ${address(ref.target)}${dataKey ? `.data.${dataKey}` : ""}`, key: dataKey });
      }
    } else {
      found.push({ ref, via: address(deployment), key: keyAt(body, ref.path) });
    }
  }
  return found;
}

/** The name of the value at `path`: an `env { name, value }` entry's name, else the last key. */
function keyAt(body: any, at: readonly (string | number)[]): string | undefined {
  const last = at[at.length - 1];
  if (last === "value") {
    let parent = body;
    for (const step of at.slice(0, -1)) parent = parent?.[step];
    if (typeof parent?.name === "string") return parent.name;
  }
  return typeof last === "string" ? last : undefined;
}

function registryNode(index: ResourceIndex, b: Builder, registry: ResourceId): string {
  const body = index.body(registry);
  const scan = asArray(body.image_scanning_configuration)[0]?.scan_on_push;
  const encryption = asArray(body.encryption_configuration)[0]?.encryption_type;
  const app = index.stack(registry.stack).app;
  return b.node(`${app ?? "ecr"}_registry`, "registry", `ECR ${body.name ?? registry.name}`, [
    [body.image_tag_mutability === "IMMUTABLE" ? "immutable tags" : "mutable tags", scan ? "scan on push" : "", encryption ? encryption : ""].filter(Boolean).join(" · "),
  ], { resource: registry, app });
}

function bucketNode(index: ResourceIndex, b: Builder, bucket: ResourceId, origin: any, app: string | undefined): string {
  const body = index.body(bucket);
  return b.node(`${app ?? "s3"}_assets`, "bucket", `S3 bucket ${origin.origin_id ?? ""}`.trim(), [body.bucket ?? bucket.name, origin.origin_access_control_id ? "private · origin access control" : ""], { resource: bucket, app });
}

function githubEnvironmentNode(index: ResourceIndex, b: Builder, ghEnv: ResourceId, group: string | undefined, app: string | undefined): string {
  const body = index.body(ghEnv);
  const reviewers = asArray(body.reviewers).flatMap((r: any) => [
    // Teams are ids; SourceRepository notes each one's slug in the resource's `//` comment.
    ...asArray(r.teams).map((t) => `team ${body["//"]?.reviewer_teams?.[String(t)] ?? nameOfReviewer(index, ghEnv.stack, t, "slug")}`),
    ...asArray(r.users).map((u) => `user ${nameOfReviewer(index, ghEnv.stack, u, "username")}`),
  ]);
  const policies = index.resources([index.stack(ghEnv.stack)], "github_repository_environment_deployment_policy")
    .filter((p) => index.referencedOfType(p, "github_repository_environment").some((e) => sameResource(e, ghEnv)))
    .map((p) => index.body(p).branch_pattern ?? index.body(p).tag_pattern)
    .filter(Boolean);
  return b.node(`${app ?? "gh"}_env_${body.environment}`, "github-environment", `environment ${body.environment}`, [
    reviewers.length ? `reviewers: ${reviewers.join(", ")}` : "no reviewers",
    policies.length ? `deploys from ${policies.join(", ")}` : "",
  ], { resource: ghEnv, app, group });
}

/** A reviewer given as a reference to `data.github_team` / `data.github_user` shows that one's slug / login. */
function nameOfReviewer(index: ResourceIndex, stack: string, value: unknown, field: string): string {
  const ref = index.references(stack, value)[0];
  const named = ref && index.body(ref.target)?.[field];
  return typeof named === "string" ? named : String(value);
}

export interface WorkflowSummary {
  readonly name?: string;
  readonly triggers: string[];
  readonly jobs: { id: string; environment?: string }[];
  /** The `vars.<NAME>` the workflow reads. */
  readonly variables: Set<string>;
}

/** An SNS topic alarms notify: its name, encryption and email subscriptions. */
function alarmTopicNode(index: ResourceIndex, b: Builder, topic: ResourceId): string {
  const body = index.body(topic);
  const emails = index.resources([index.stack(topic.stack)], "aws_sns_topic_subscription").filter((s) => index.referencedOfType(s, "aws_sns_topic").some((t) => sameResource(t, topic))).length;
  const provider = typeof body.provider === "string" ? body.provider.replace(/^aws\./, "") : "";
  return b.node(`alarms_${body.name ?? topic.name}`, "alarm-topic", `Alarm topic ${body.name ?? topic.name}`, [
    [provider, body.kms_master_key_id ? "KMS-encrypted" : "unencrypted"].filter(Boolean).join(" · "),
    `${emails} email subscription${emails === 1 ? "" : "s"}`,
  ], { resource: topic });
}

/** The parts of a GitHub Actions workflow the diagram shows. */
export function parseWorkflow(text: string): WorkflowSummary {
  let doc: any;
  try {
    doc = parseYaml(text) ?? {};
  } catch {
    doc = {};
  }
  const on = doc.on ?? doc.true ?? {};
  const triggers = (typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(on)).map((t: string) => {
    const branches = asArray(on?.[t]?.branches);
    return t === "workflow_dispatch" ? "manual" : branches.length ? `${t.replace(/_/g, " ")} to ${branches.join(", ")}` : t.replace(/_/g, " ");
  });
  const jobs = Object.entries<any>(doc.jobs ?? {}).map(([id, job]) => ({
    id,
    environment: typeof job?.environment === "string" ? job.environment : job?.environment?.name,
  }));
  const variables = new Set([...text.matchAll(/\bvars\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  return { name: typeof doc.name === "string" ? doc.name : undefined, triggers, jobs, variables };
}
