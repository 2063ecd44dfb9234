/**
 * A pull request's preview, offline, from opened to closed, and the hourly sweep: the generated
 * preview workflows' jobs run in bash (`__tests__/support/workflow-steps.ts`) against stateful
 * stand-ins of `docker`, `aws`, `kubectl`, `gh` and `curl` (`__tests__/support/preview-fakes.js`)
 * that share one world: the cluster's namespaces and objects, the Jobs created from the templates,
 * the previews registry, Secrets Manager, the pull requests, their comments and deployments (one
 * server of those fakes for the file, which the bash stand-ins call: see preview-fakes.js).
 * `sed`, `jq`, `awk` and `date` are the real ones. Jobs run in the order GitHub schedules them, each
 * only when its `if:` (evaluated here for the forms the workflows use) and its `needs` allow.
 * Most tests use small hand-made templates shaped as the `preview` environment's variables are
 * (docs/previews.md); the last block runs the real synthesized workflows with the variables the
 * real `hello-dev` stack writes, so the two halves cannot drift apart.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { DeliveryPipeline, DeliveryPipelineProps } from "../../constructs/delivery-pipeline";
import { PREVIEW_COMMENT_MARKER, PREVIEW_WORKFLOW_PATHS } from "../../constructs/preview-workflow";
import { PREVIEW_ENVIRONMENT, PREVIEW_VARIABLES } from "../../constructs/preview-access";
import { actionlint } from "../support/actionlint";
import { examplePlatform, synthAll, tempDir } from "../support/platform";
import { standIn, startServer } from "../support/preview-fakes";
import { JobRun, runJob } from "../support/workflow-steps";

const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-previews";
const IMAGE_ID = `sha256:${"1".repeat(64)}`;
const DIGEST = `sha256:${"d".repeat(64)}`;
const HEAD = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
const MERGE = "a".repeat(40);
const DOMAIN = "hello.dev.acme.example";
const SEED = "python -m seed --fixtures 'demo & more'";

/** The templates as the `<app>-<host env>` stack renders them: every string double-quoted, `__COMMAND__` bare. */
const MANIFEST = `apiVersion: "v1"
kind: "Namespace"
metadata:
  name: "hello-pr-__PR__"
  labels:
    pod-security.kubernetes.io/enforce: "restricted"
    pod-security.kubernetes.io/enforce-version: "latest"
    slipway.dev/preview: "hello"
    slipway.dev/pull-request: "__PR__"
---
apiVersion: "rbac.authorization.k8s.io/v1"
kind: "RoleBinding"
metadata:
  name: "preview-deployer"
  namespace: "hello-pr-__PR__"
roleRef:
  apiGroup: "rbac.authorization.k8s.io"
  kind: "ClusterRole"
  name: "slipway:hello-preview-deployer"
subjects:
  - apiGroup: "rbac.authorization.k8s.io"
    kind: "Group"
    name: "slipway:hello-previews"
---
apiVersion: "rbac.authorization.k8s.io/v1"
kind: "RoleBinding"
metadata:
  name: "database-writer"
  namespace: "hello-pr-__PR__"
roleRef:
  apiGroup: "rbac.authorization.k8s.io"
  kind: "ClusterRole"
  name: "slipway:hello-preview-database-writer"
subjects:
  - kind: "ServiceAccount"
    name: "hello-preview-db"
    namespace: "hello-previews"
---
apiVersion: "v1"
kind: "ResourceQuota"
metadata:
  name: "preview"
  namespace: "hello-pr-__PR__"
spec:
  hard:
    limits.cpu: "2"
---
apiVersion: "v1"
kind: "ServiceAccount"
metadata:
  name: "app"
  namespace: "hello-pr-__PR__"
automountServiceAccountToken: false
---
apiVersion: "apps/v1"
kind: "Deployment"
metadata:
  name: "app"
  namespace: "hello-pr-__PR__"
spec:
  template:
    spec:
      serviceAccountName: "app"
      containers:
        - name: "app"
          image: "__IMAGE__"
          env:
            - name: "DATABASE_USER"
              valueFrom:
                secretKeyRef:
                  name: "database"
                  key: "DATABASE_USER"
---
apiVersion: "v1"
kind: "Service"
metadata:
  name: "app"
  namespace: "hello-pr-__PR__"
`;
const DB_JOB = `apiVersion: "batch/v1"
kind: "Job"
metadata:
  name: "database-__ACTION__-__PR__"
  namespace: "hello-previews"
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 3600
  template:
    spec:
      containers:
        - name: "database"
          image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-db@sha256:${"b".repeat(64)}"
          args: ["__ACTION__", "__PR__"]
`;
const TASK_JOB = `apiVersion: "batch/v1"
kind: "Job"
metadata:
  generateName: "task-"
  namespace: "hello-pr-__PR__"
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 3600
  template:
    spec:
      containers:
        - name: "task"
          image: "__IMAGE__"
          command: __COMMAND__
`;

const VARS = {
  PREVIEW_ROLE_ARN: "arn:aws:iam::123456789012:role/hello-preview-dev",
  PREVIEW_REGION: "eu-west-1",
  PREVIEW_CLUSTER: "acme-dev",
  PREVIEW_REGISTRY: REGISTRY,
  PREVIEW_DOMAIN: DOMAIN,
  PREVIEW_MAX: "3",
  PREVIEW_TTL_HOURS: "72",
  PREVIEW_DATABASE: "postgres",
  PREVIEW_MANIFEST: MANIFEST,
  PREVIEW_DB_JOB: DB_JOB,
  PREVIEW_TASK_JOB: TASK_JOB,
  PREVIEW_SECRETS: JSON.stringify({ API_KEY: "acme/hello/preview/API_KEY" }),
  PREVIEW_MIGRATE: "python -m migrate",
  PREVIEW_SEED: SEED,
  PREVIEW_INTEGRATION_TEST: "python -m pytest -q tests/integration",
};

const synthesized = new Map<string, Record<string, string>>();
function workflows(overrides: Partial<DeliveryPipelineProps> = {}): Record<string, string> {
  const key = JSON.stringify(overrides, (_, v) => (v === undefined ? "<undefined>" : v));
  if (!synthesized.has(key)) synthesized.set(key, synthesize(overrides));
  return synthesized.get(key)!;
}

function synthesize(overrides: Partial<DeliveryPipelineProps>): Record<string, string> {
  const stack = new TerraformStack(Testing.app(), "test");
  return new DeliveryPipeline(stack, "Pipeline", {
    appName: "hello",
    testCommand: "python -m pytest -q tests/unit",
    migrateCommand: "python -m migrate",
    integrationTestCommand: "python -m pytest -q tests/integration",
    databaseSetupTemplateName: "hello-db-setup",
    healthPath: "/healthz",
    repository: { name: "hello" },
    environments: [{ name: "dev" }, { name: "prod" }],
    previews: {},
    ...overrides,
  }).workflows;
}

interface World {
  repo: string;
  namespaces: Record<string, { labels: Record<string, string>; annotations: Record<string, string>; creationTimestamp: string }>;
  fixedNamespaces: string[];
  objects: Array<{ namespace: string; kind: string; name: string; doc: any }>;
  applied: string[];
  jobs: Record<string, { status: string }>;
  jobRuns: Array<{ namespace: string; name: string; spec: any }>;
  secrets: Record<string, Record<string, string>>;
  registry: Record<string, string>;
  deletedTags: string[];
  deletedNamespaces: string[];
  pushes: string[];
  secretValues: Record<string, string>;
  pulls: Record<string, string>;
  comments: Array<{ id: number; issue: number; user: string; body: string; edits?: number }>;
  deployments: Array<{ id: number; ref: string; task: string; environment: string; transient_environment: boolean; required_contexts: string[]; statuses: any[] }>;
  rollouts: Array<{ namespace: string; image: string }>;
  healthChecks: string[];
  healthy: boolean;
  brokenImage?: string;
  failJobs: string[];
  fail: Array<{ command: string; match: string; message?: string; skip?: number }>;
  /** Namespaces another pull request's job creates just before this one's namespace is applied. */
  appearOnApply?: World["namespaces"];
  imageId: string;
  pushDigest: string;
  nextId: number;
}

function newWorld(): World {
  return {
    repo: "acme/hello",
    namespaces: {},
    fixedNamespaces: ["hello-previews"],
    objects: [],
    applied: [],
    jobs: {},
    jobRuns: [],
    secrets: {},
    registry: {},
    deletedTags: [],
    deletedNamespaces: [],
    pushes: [],
    secretValues: { "acme/hello/preview/API_KEY": "k3y with 'quotes' & $dollars\nand a second line" },
    pulls: {},
    comments: [],
    deployments: [],
    rollouts: [],
    healthChecks: [],
    healthy: true,
    failJobs: [],
    fail: [],
    imageId: IMAGE_ID,
    pushDigest: DIGEST,
    nextId: 100,
  };
}

/** A world on disk; the stand-ins read and write it. */
class Stage {
  readonly dir = tempDir("slipway-preview-");
  constructor(world: World = newWorld()) {
    this.write(world);
  }
  get world(): World {
    return JSON.parse(fs.readFileSync(path.join(this.dir, "world.json"), "utf8"));
  }
  write(world: World): void {
    fs.writeFileSync(path.join(this.dir, "world.json"), JSON.stringify(world));
  }
  change(edit: (world: World) => void): void {
    const world = this.world;
    edit(world);
    this.write(world);
  }
  standIns(): Record<string, string> {
    return Object.fromEntries(["kubectl", "aws", "docker", "gh", "curl"].map((c) => [c, standIn(fakes.port, c, this.dir)]));
  }
}

/** The fakes' server, for the whole file. */
let fakes: { port: number; stop: () => void };
beforeAll(async () => {
  fakes = await startServer();
});
afterAll(() => fakes?.stop());

interface PullRequest {
  readonly number: number | string;
  readonly action: "opened" | "synchronize" | "reopened" | "closed";
  readonly head?: string;
  readonly merge?: string;
  readonly fork?: boolean;
  readonly ref?: string;
  readonly title?: string;
}

type Contexts = Record<string, any>;

/** A job's `if:` as GitHub evaluates the forms these workflows use; `needs` results for the implied `success()`. */
function jobRuns(condition: string | undefined, contexts: Contexts, needs: string[]): boolean {
  const lookup = (p: string) => p.split(".").reduce((v: any, k) => (v === undefined ? undefined : v[k]), contexts);
  let statusChecked = false;
  const values = (condition ?? "")
    .split("&&")
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .map((term) => {
      if (term === "!cancelled()") return (statusChecked = true);
      const m = /^([A-Za-z_][\w.-]*) (==|!=) (?:'([^']*)'|([A-Za-z_][\w.-]*))$/.exec(term);
      if (!m) throw new Error(`job condition ${JSON.stringify(term)} is not modelled`);
      const right = m[3] ?? lookup(m[4]);
      if (lookup(m[1]) === undefined || right === undefined) throw new Error(`job condition ${JSON.stringify(term)}: a context is missing`);
      return (lookup(m[1]) === right) === (m[2] === "==");
    });
  return values.every(Boolean) && (statusChecked || needs.every((result) => result === "success"));
}

interface Result {
  readonly jobs: Record<string, { result: "success" | "failure" | "skipped"; run?: JobRun; outputs?: Record<string, string> }>;
}

/**
 * Runs every job of a workflow in order, as GitHub schedules them for the event; with `only`,
 * just those jobs, the others standing as `given` (their result and outputs).
 */
function runWorkflow(yaml: string, stage: Stage, github: Contexts, variables: Record<string, string> = VARS, only?: { jobs: string[]; given: Result["jobs"] }): Result {
  const workflow = parse(yaml);
  const jobs: Result["jobs"] = {};
  for (const [id, job] of Object.entries<any>(workflow.jobs)) {
    if (only !== undefined && !only.jobs.includes(id)) {
      jobs[id] = only.given[id] ?? { result: "skipped" };
      continue;
    }
    const needs: string[] = job.needs ?? [];
    const needsContext = Object.fromEntries(needs.map((n) => [n, { result: jobs[n].result, outputs: jobs[n].run?.outputs ?? jobs[n].outputs ?? {} }]));
    if (!jobRuns(job.if, { github, needs: needsContext }, needs.map((n) => jobs[n].result))) {
      jobs[id] = { result: "skipped" };
      continue;
    }
    const run = runJob(yaml, id, {
      standIns: stage.standIns(),
      contexts: { github, vars: variables, needs: needsContext },
      actions: {},
    });
    jobs[id] = { result: run.result, run };
  }
  return { jobs };
}

function pullRequestEvent(pr: PullRequest): Contexts {
  return {
    repository: "acme/hello",
    sha: pr.merge ?? MERGE,
    server_url: "https://github.com",
    run_id: 4242,
    run_attempt: 1,
    token: "ghs_job_token",
    event: {
      action: pr.action,
      pull_request: {
        number: pr.number,
        title: pr.title ?? "Add the orders page",
        head: { sha: pr.head ?? HEAD, ref: pr.ref ?? "feature/orders", repo: { full_name: pr.fork ? "mallory/hello" : "acme/hello" } },
      },
    },
  };
}

const preview = (stage: Stage, pr: PullRequest, overrides: Partial<DeliveryPipelineProps> = {}, variables = VARS) =>
  runWorkflow(workflows(overrides)[PREVIEW_WORKFLOW_PATHS.preview], stage, pullRequestEvent(pr), variables);

const calls = (result: Result, job: string) => result.jobs[job].run!.calls.map((c) => `${c.command} ${c.args.join(" ")}`);
const step = (result: Result, job: string, name: string) => result.jobs[job].run!.steps.find((s) => s.name === name)!;
const output = (result: Result, job: string) => result.jobs[job].run!.steps.map((s) => s.stdout + s.stderr).join("");
const commandOf = (run: { spec: any }) => run.spec.template.spec.containers[0].command;

describe("preview journey", () => {
  // One pull request from opened to closed, in one world.
  const stage = new Stage();
  let opened: Result;
  let synchronized: Result;
  let closed: Result;
  const IMAGE = `${REGISTRY}@${DIGEST}`;

  beforeAll(() => {
    stage.change((w) => {
      w.pulls = { "7": "open" };
      // Another pull request's image, whose tag starts like 7's: never touched by 7's removal.
      w.registry[`pr-70-${"c".repeat(40)}`] = `sha256:${"c".repeat(64)}`;
    });
    opened = preview(stage, { number: 7, action: "opened" });
  });

  it("opened: builds and tests once, pushes pr-<n>-<sha> to the previews registry", () => {
    expect(Object.fromEntries(Object.entries(opened.jobs).map(([id, j]) => [id, j.result]))).toEqual({
      build: "success",
      deploy: "success",
      report: "success",
      teardown: "skipped",
      "report-teardown": "skipped",
    });
    const build = calls(opened, "build");
    expect(build.filter((c) => c.startsWith("docker build"))).toHaveLength(1);
    expect(build).toContain(`docker run --rm --entrypoint /bin/sh ${IMAGE_ID} -c python -m pytest -q tests/unit`);
    expect(build).toContain(`docker tag ${IMAGE_ID} ${REGISTRY}:pr-7-${MERGE}`);
    expect(stage.world.pushes).toEqual([`${REGISTRY}:pr-7-${MERGE}`]);
    expect(opened.jobs.build.run!.outputs.image).toBe(IMAGE);
    const credentials = opened.jobs.build.run!.steps.find((s) => s.name === "Configure AWS credentials")!;
    expect(credentials.with).toEqual({ "role-to-assume": VARS.PREVIEW_ROLE_ARN, "aws-region": "eu-west-1", "mask-aws-account-id": "false" });
  });

  it("opened: caps, creates the namespace, database, secrets, migrates, seeds, rolls out, checks health, tests, records activity", () => {
    const deploy = calls(opened, "deploy");
    const order = [
      "aws eks update-kubeconfig --name acme-dev --region eu-west-1",
      "kubectl get namespaces -l slipway.dev/preview=hello -o name",
      "kubectl get namespace hello-pr-7 --ignore-not-found -o name",
      "kubectl apply -f /", // the namespace
      'kubectl get namespaces -l slipway.dev/preview=hello -o jsonpath={range .items[*]}{.metadata.creationTimestamp}{" "}{.metadata.name}{"\\n"}{end}',
      "kubectl apply -f /", // what lives in it but the Deployment
      "kubectl apply -f -", // the activity marker
      "kubectl -n hello-previews delete -f", // the last database Job of that name
      "kubectl -n hello-previews create -f",
      // The secret's aws and kubectl run in one pipeline: their order is not fixed.
      "kubectl -n hello-pr-7 delete secret app-secrets --ignore-not-found",
      "kubectl -n hello-pr-7 create -f /", // migrate
      "kubectl -n hello-pr-7 create -f /", // seed
      "kubectl apply -f /", // the Deployment
      "kubectl -n hello-pr-7 rollout status deployment/app --timeout=10m",
      `curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors --output /dev/null https://pr-7.${DOMAIN}/healthz`,
      "kubectl -n hello-pr-7 create -f /", // integration tests
      "kubectl apply -f -", // the activity marker again
    ];
    expect(deploy).toContain("aws secretsmanager get-secret-value --secret-id acme/hello/preview/API_KEY --region eu-west-1 --query SecretString --output json");
    expect(deploy).toContain("kubectl -n hello-pr-7 create -f -");
    let at = -1;
    for (const expected of order) {
      const found = deploy.findIndex((c, i) => i > at && c.startsWith(expected));
      expect([expected, found >= 0]).toEqual([expected, true]);
      at = found;
    }
    const w = stage.world;
    expect(w.namespaces["hello-pr-7"].labels).toEqual({ "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest", "slipway.dev/preview": "hello", "slipway.dev/pull-request": "7" });
    const marker = (name: string) => w.objects.find((o) => o.namespace === "hello-pr-7" && o.kind === "ConfigMap" && o.name === name)?.doc;
    expect(marker("preview-activity")).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "preview-activity", namespace: "hello-pr-7" }, data: { at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) } });
    expect(marker("preview-seeded").data.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The preview identity never changes the namespace itself (its RBAC has no patch on namespaces).
    expect(deploy.filter((c) => c.startsWith("kubectl annotate"))).toEqual([]);
    // The Jobs, in order, with the values filled in and the commands as JSON arrays.
    expect(w.jobRuns.map((j) => `${j.namespace}/${j.name}`)).toEqual(["hello-previews/database-create-7", "hello-pr-7/task-1", "hello-pr-7/task-2", "hello-pr-7/task-3"]);
    expect(w.jobRuns[0].spec.template.spec.containers[0].args).toEqual(["create", "7"]);
    expect(w.jobRuns.slice(1).map(commandOf)).toEqual([
      ["/bin/sh", "-c", "python -m migrate"],
      ["/bin/sh", "-c", SEED],
      ["/bin/sh", "-c", "python -m pytest -q tests/integration"],
    ]);
    expect(w.jobRuns.slice(1).map((j) => j.spec.template.spec.containers[0].image)).toEqual([IMAGE, IMAGE, IMAGE]);
    // Everything but the Deployment before the database Job and the migration; the Deployment with the pushed digest after them.
    expect(w.applied).toEqual([
      "Namespace/hello-pr-7",
      "RoleBinding/preview-deployer",
      "RoleBinding/database-writer",
      "ResourceQuota/preview",
      "ServiceAccount/app",
      "Service/app",
      "ConfigMap/preview-activity",
      "ConfigMap/preview-seeded",
      "Deployment/app",
      "ConfigMap/preview-activity",
    ]);
    expect(w.namespaces["hello-pr-7"].labels["slipway.dev/pull-request"]).toBe("7");
    expect(w.rollouts).toEqual([{ namespace: "hello-pr-7", image: IMAGE }]);
    // The preview secret, byte for byte, never on a command line or in the log.
    expect(w.secrets["hello-pr-7/app-secrets"]).toEqual({ API_KEY: "k3y with 'quotes' & $dollars\nand a second line" });
    const everything = JSON.stringify(opened.jobs.deploy.run!.calls) + output(opened, "deploy");
    expect(everything).not.toContain("k3y");
    expect(everything).not.toContain(Buffer.from("k3y with").toString("base64").slice(0, 8));
    expect(opened.jobs.deploy.run!.outputs.url).toBe(`https://pr-7.${DOMAIN}`);
  });

  it("opened: one comment with the URL and a transient deployment with its environment_url", () => {
    const w = stage.world;
    expect(w.comments).toHaveLength(1);
    expect(w.comments[0].issue).toBe(7);
    expect(w.comments[0].user).toBe("github-actions[bot]");
    expect(w.comments[0].body.startsWith(`${PREVIEW_COMMENT_MARKER}\n`)).toBe(true);
    expect(w.comments[0].body).toContain(`https://pr-7.${DOMAIN}`);
    expect(w.comments[0].body).toContain("`feature/orders` (0f1e2d3)");
    expect(w.deployments).toHaveLength(1);
    const [deployment] = w.deployments;
    expect(deployment.ref).toBe(HEAD);
    expect(deployment.environment).toBe("preview");
    expect(deployment.task).toBe("deploy:pr-7");
    expect(deployment.transient_environment).toBe(true);
    expect(deployment.required_contexts).toEqual([]);
    expect(deployment.statuses).toEqual([{ state: "success", environment_url: `https://pr-7.${DOMAIN}`, log_url: "https://github.com/acme/hello/actions/runs/4242", auto_inactive: false }]);
  });

  it("synchronize: redeploys the new image, does not seed again, updates the same comment", () => {
    const commentId = stage.world.comments[0].id;
    stage.change((w) => {
      w.pushDigest = `sha256:${"e".repeat(64)}`;
    });
    synchronized = preview(stage, { number: 7, action: "synchronize", head: "1".repeat(40), merge: "b".repeat(40) });
    expect(synchronized.jobs.deploy.result).toBe("success");
    expect(synchronized.jobs.report.result).toBe("success");
    const w = stage.world;
    const image = `${REGISTRY}@sha256:${"e".repeat(64)}`;
    expect(w.pushes[1]).toBe(`${REGISTRY}:pr-7-${"b".repeat(40)}`);
    expect(w.rollouts[1]).toEqual({ namespace: "hello-pr-7", image });
    // migrate and integration tests again, the seed not: the namespace says it was seeded.
    expect(w.jobRuns.slice(4).map(commandOf).filter((c) => c !== undefined)).toEqual([["/bin/sh", "-c", "python -m migrate"], ["/bin/sh", "-c", "python -m pytest -q tests/integration"]]);
    expect(output(synchronized, "deploy")).toContain("Seeded before: not again");
    expect(w.comments).toHaveLength(1);
    expect(w.comments[0].id).toBe(commentId);
    expect(w.comments[0].edits).toBe(1);
    expect(w.comments[0].body).toContain("(1111111)");
    expect(w.deployments.map((d) => d.ref)).toEqual([HEAD, "1".repeat(40)]);
  });

  it("a re-run of the same commit reuses the pushed image (immutable tags)", () => {
    const again = preview(stage, { number: 7, action: "synchronize", head: "1".repeat(40), merge: "b".repeat(40) });
    expect(again.jobs.deploy.result).toBe("success");
    expect(stage.world.pushes).toHaveLength(2);
    expect(calls(again, "build").filter((c) => c.startsWith("docker push"))).toEqual([]);
    expect(output(again, "build")).toContain("already in the registry");
  });

  it("closed: removes the namespace, drops the database, deletes the images, marks the deployments inactive, says so", () => {
    stage.change((w) => {
      w.pulls["7"] = "closed";
    });
    closed = preview(stage, { number: 7, action: "closed", head: "1".repeat(40) });
    expect(Object.fromEntries(Object.entries(closed.jobs).map(([id, j]) => [id, j.result]))).toEqual({
      build: "skipped",
      deploy: "skipped",
      report: "skipped",
      teardown: "success",
      "report-teardown": "success",
    });
    const w = stage.world;
    expect(w.namespaces["hello-pr-7"]).toBeUndefined();
    expect(w.deletedNamespaces).toEqual(["hello-pr-7"]);
    const drop = w.jobRuns[w.jobRuns.length - 1];
    expect(`${drop.namespace}/${drop.name}`).toBe("hello-previews/database-drop-7");
    expect(drop.spec.template.spec.containers[0].args).toEqual(["drop", "7"]);
    // The namespace goes before the database (its pods hold connections).
    const teardown = calls(closed, "teardown");
    expect(teardown.findIndex((c) => c.startsWith("kubectl delete namespace hello-pr-7"))).toBeLessThan(teardown.findIndex((c) => c.startsWith("kubectl -n hello-previews create")));
    expect(w.deletedTags.sort()).toEqual([`pr-7-${MERGE}`, `pr-7-${"b".repeat(40)}`]);
    expect(Object.keys(w.registry)).toEqual([`pr-70-${"c".repeat(40)}`]);
    // One deployment per deploy run (opened, synchronize, its re-run): every one inactive now.
    expect(w.deployments.map((d) => d.statuses[d.statuses.length - 1].state)).toEqual(["inactive", "inactive", "inactive"]);
    expect(w.comments).toHaveLength(1);
    expect(w.comments[0].body).toContain("The preview is gone");
    expect(w.comments[0].body).not.toContain("https://pr-7.");
  });
});

describe("preview sweep", () => {
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const label = { "slipway.dev/preview": "hello" };

  it("removes only the previews whose pull request is closed or that were idle past the time to live", () => {
    const world = newWorld();
    world.pulls = { "7": "open", "8": "closed", "9": "open", "10": "open" };
    const ns = (creationTimestamp: string, labels: Record<string, string> = label) => ({ labels, annotations: {}, creationTimestamp });
    world.namespaces = {
      "hello-pr-7": ns(hoursAgo(200)),
      "hello-pr-8": ns(hoursAgo(3)),
      "hello-pr-9": ns(hoursAgo(300)),
      // No activity marker: its creation time counts.
      "hello-pr-10": ns(hoursAgo(5)),
      // Carries the label but is no preview namespace: left alone.
      "hello-previews": ns(hoursAgo(900)),
      "other-pr-1": ns(hoursAgo(900), { "slipway.dev/preview": "other" }),
    };
    const activity = (namespace: string, at: string) => ({ namespace, kind: "ConfigMap", name: "preview-activity", doc: { data: { at } } });
    world.objects = [activity("hello-pr-7", hoursAgo(2)), activity("hello-pr-8", hoursAgo(1)), activity("hello-pr-9", hoursAgo(100))];
    world.registry = { [`pr-8-${MERGE}`]: DIGEST, [`pr-9-${MERGE}`]: DIGEST, [`pr-7-${MERGE}`]: DIGEST };
    world.comments = [
      { id: 1, issue: 8, user: "github-actions[bot]", body: `${PREVIEW_COMMENT_MARKER}\nPreview: https://pr-8.${DOMAIN}` },
      { id: 2, issue: 9, user: "github-actions[bot]", body: `${PREVIEW_COMMENT_MARKER}\nPreview: https://pr-9.${DOMAIN}` },
    ];
    world.deployments = [
      { id: 3, ref: HEAD, task: "deploy:pr-8", environment: "preview", transient_environment: true, required_contexts: [], statuses: [{ state: "success" }] },
      { id: 4, ref: HEAD, task: "deploy:pr-9", environment: "preview", transient_environment: true, required_contexts: [], statuses: [{ state: "success" }] },
      { id: 5, ref: HEAD, task: "deploy:pr-7", environment: "preview", transient_environment: true, required_contexts: [], statuses: [{ state: "success" }] },
    ];
    const stage = new Stage(world);
    const result = runWorkflow(workflows()[PREVIEW_WORKFLOW_PATHS.sweep], stage, { repository: "acme/hello", server_url: "https://github.com", run_id: 5, token: "ghs_job_token", event_name: "schedule" });
    expect(result.jobs.sweep.result).toBe("success");
    expect(result.jobs.report.result).toBe("success");
    const w = stage.world;
    expect(Object.keys(w.namespaces).sort()).toEqual(["hello-pr-10", "hello-pr-7", "hello-previews", "other-pr-1"]);
    expect(w.deletedNamespaces).toEqual(["hello-pr-8", "hello-pr-9"]);
    expect(w.jobRuns.map((j) => `${j.name} ${j.spec.template.spec.containers[0].args.join(" ")}`)).toEqual(["database-drop-8 drop 8", "database-drop-9 drop 9"]);
    expect(Object.keys(w.registry)).toEqual([`pr-7-${MERGE}`]);
    expect(JSON.parse(result.jobs.sweep.run!.outputs.removed)).toEqual([
      { pr: 8, reason: "closed" },
      { pr: 9, reason: "idle" },
    ]);
    expect(w.deployments.map((d) => `${d.task} ${d.statuses[d.statuses.length - 1].state}`)).toEqual(["deploy:pr-8 inactive", "deploy:pr-9 inactive", "deploy:pr-7 success"]);
    expect(w.comments.map((c) => c.body)).toEqual([
      `${PREVIEW_COMMENT_MARKER}\n\nThe preview is gone: removed by the hourly sweep (the pull request is closed).\n`,
      `${PREVIEW_COMMENT_MARKER}\n\nThe preview is gone: removed by the hourly sweep (no push for more than 72 hours; push a commit to bring it back).\n`,
    ]);
    expect(output(result, "sweep")).toContain("hello-previews carries the preview label but is not a preview namespace: left alone");
    // Every listed preview's pull request is asked about; the open, active ones are left as they are.
    expect(calls(result, "sweep").filter((c) => c.startsWith("gh api"))).toEqual([7, 8, 9, 10].map((n) => `gh api repos/acme/hello/pulls/${n} --jq .state`));
  });
});

describe("what does not get a preview", () => {
  it("a fork: no job runs, on any event", () => {
    for (const action of ["opened", "synchronize", "reopened", "closed"] as const) {
      const stage = new Stage();
      const result = preview(stage, { number: 7, action, fork: true });
      expect([action, Object.values(result.jobs).map((j) => j.result)]).toEqual([action, ["skipped", "skipped", "skipped", "skipped", "skipped"]]);
      expect(stage.world.applied).toEqual([]);
    }
  });

  it("cap reached: fails naming the cap, applies nothing, says so on the pull request", () => {
    const world = newWorld();
    for (const n of [1, 2, 3]) world.namespaces[`hello-pr-${n}`] = { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: "2026-12-01T00:00:00Z" };
    const stage = new Stage(world);
    const result = preview(stage, { number: 7, action: "opened" });
    expect(result.jobs.deploy.result).toBe("failure");
    expect(step(result, "deploy", "Check the preview cap").outcome).toBe("failure");
    expect(output(result, "deploy")).toContain("::error::No preview for pull request #7: the cap of 3 previews of hello is reached (3 running)");
    expect(stage.world.applied).toEqual([]);
    expect(stage.world.jobRuns).toEqual([]);
    expect(calls(result, "deploy").filter((c) => /^kubectl (-n \S+ )?(apply|create|annotate)/.test(c))).toEqual([]);
    expect(result.jobs.report.result).toBe("failure");
    expect(stage.world.comments[0].body).toContain("**The preview of `feature/orders` (0f1e2d3) failed** (build: success, deploy: failure)");
    expect(stage.world.deployments[0].statuses).toEqual([{ state: "failure", log_url: "https://github.com/acme/hello/actions/runs/4242", auto_inactive: false }]);
  });

  it("cap reached, but this pull request already has a preview: it is updated", () => {
    const world = newWorld();
    for (const n of [1, 2, 7]) world.namespaces[`hello-pr-${n}`] = { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: "2026-12-01T00:00:00Z" };
    world.objects = [{ namespace: "hello-pr-7", kind: "ConfigMap", name: "preview-seeded", doc: { data: { at: "2026-12-01T00:00:00Z" } } }];
    const stage = new Stage(world);
    const result = preview(stage, { number: 7, action: "synchronize" });
    expect(result.jobs.deploy.result).toBe("success");
    expect(stage.world.rollouts).toHaveLength(1);
    expect(output(result, "deploy")).toContain("Seeded before: not again");
  });

  describe("two pull requests passing the cap check at once: counted again after the namespace is created", () => {
    const racing = (other: string, createdAt: string) => {
      const world = newWorld();
      for (const n of [1, 2]) world.namespaces[`hello-pr-${n}`] = { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: "2026-12-01T00:00:00Z" };
      world.appearOnApply = { [other]: { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: createdAt } };
      return new Stage(world);
    };

    it("the other's namespace is older: this one is beyond the cap, removes its namespace and fails, naming the cap", () => {
      const stage = racing("hello-pr-8", "2026-12-01T00:00:00Z");
      const result = preview(stage, { number: 7, action: "opened" });
      expect(step(result, "deploy", "Check the preview cap").outcome).toBe("success");
      expect(step(result, "deploy", "Create the namespace").outcome).toBe("failure");
      expect(output(result, "deploy")).toContain(
        "::error::No preview for pull request #7: another pull request's preview took the last of the 3 places meanwhile. Close a pull request with a preview, or raise apps[].previews.maxConcurrent in the platform file",
      );
      expect(calls(result, "deploy")).toContain("kubectl delete namespace hello-pr-7 --wait=false");
      expect(stage.world.deletedNamespaces).toEqual(["hello-pr-7"]);
      expect(Object.keys(stage.world.namespaces).sort()).toEqual(["hello-pr-1", "hello-pr-2", "hello-pr-8"]);
      // Nothing but the namespace was applied, and no database Job ran.
      expect(stage.world.applied).toEqual(["Namespace/hello-pr-7"]);
      expect(stage.world.jobRuns).toEqual([]);
      expect(result.jobs.report.result).toBe("failure");
    });

    it("created in the same second: the name decides, the same way for both jobs (hello-pr-10 sorts before hello-pr-7)", () => {
      const stage = racing("hello-pr-10", new Date().toISOString().replace(/\.\d+Z$/, "Z"));
      // The fake gives this one the clock's second too; a test started just before a second ends
      // may see them a second apart, which orders them the same way.
      const result = preview(stage, { number: 7, action: "opened" });
      expect(step(result, "deploy", "Create the namespace").outcome).toBe("failure");
      expect(stage.world.deletedNamespaces).toEqual(["hello-pr-7"]);
    });

    it("the other's namespace is newer: this one keeps its place and deploys (the other job steps back)", () => {
      const stage = racing("hello-pr-8", "2099-01-01T00:00:00Z");
      const result = preview(stage, { number: 7, action: "opened" });
      expect(result.jobs.deploy.result).toBe("success");
      expect(stage.world.deletedNamespaces).toEqual([]);
      expect(stage.world.rollouts).toHaveLength(1);
    });

    it("an existing preview beyond a lowered cap is updated, never removed", () => {
      const world = newWorld();
      for (const n of [1, 2, 3, 7]) world.namespaces[`hello-pr-${n}`] = { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: `2026-12-0${n === 7 ? 5 : n}T00:00:00Z` };
      world.objects = [{ namespace: "hello-pr-7", kind: "ConfigMap", name: "preview-seeded", doc: { data: { at: "2026-12-05T00:00:00Z" } } }];
      const stage = new Stage(world);
      const result = preview(stage, { number: 7, action: "synchronize" });
      expect(result.jobs.deploy.result).toBe("success");
      expect(stage.world.deletedNamespaces).toEqual([]);
      expect(calls(result, "deploy").filter((c) => c.includes("jsonpath={range"))).toEqual([]);
    });

    it("a namespace the manifest does not label as a preview of the app is not counted: the job fails, saying so", () => {
      const stage = new Stage();
      const unlabelled = { ...VARS, PREVIEW_MANIFEST: VARS.PREVIEW_MANIFEST.replace('    slipway.dev/preview: "hello"\n', "") };
      const result = preview(stage, { number: 7, action: "opened" }, {}, unlabelled);
      expect(step(result, "deploy", "Create the namespace").outcome).toBe("failure");
      expect(output(result, "deploy")).toContain("::error::The namespace hello-pr-7 is not among the previews of hello (label slipway.dev/preview=hello) after its creation");
    });
  });

  it("an app without a database, migration or preview secrets: those steps say so and pass", () => {
    const stage = new Stage();
    const result = preview(stage, { number: 7, action: "opened" }, { migrateCommand: undefined, databaseSetupTemplateName: undefined }, { ...VARS, PREVIEW_DATABASE: "none", PREVIEW_DB_JOB: "", PREVIEW_MIGRATE: "", PREVIEW_SECRETS: "{}" });
    expect(result.jobs.deploy.result).toBe("success");
    expect(stage.world.jobRuns.map((j) => commandOf(j)[2])).toEqual([SEED, "python -m pytest -q tests/integration"]);
    expect(output(result, "deploy")).toContain("The app has no database");
    expect(output(result, "deploy")).toContain("No PREVIEW_MIGRATE: nothing to run");
    expect(output(result, "deploy")).toContain("No preview secrets");
    expect(stage.world.secrets).toEqual({});
  });
});

describe("every failing step fails the job and says which", () => {
  const cases: Array<[string, string, (w: World) => void]> = [
    ["build", "Test inside the image", (w) => w.fail.push({ command: "docker", match: "run --rm" })],
    ["build", "Push the tested image", (w) => w.fail.push({ command: "docker", match: "push" })],
    ["deploy", "Connect to the cluster", (w) => w.fail.push({ command: "aws", match: "eks update-kubeconfig" })],
    ["deploy", "Check the preview cap", (w) => w.fail.push({ command: "kubectl", match: "get namespaces" })],
    ["deploy", "Create the namespace", (w) => w.fail.push({ command: "kubectl", match: "get namespace hello-pr-7 --ignore-not-found" })],
    ["deploy", "Create the namespace", (w) => w.fail.push({ command: "kubectl", match: "apply -f /" })],
    ["deploy", "Create the namespace", (w) => w.fail.push({ command: "kubectl", match: "-o jsonpath={range" })],
    ["deploy", "Create the database", (w) => w.failJobs.push("database-create")],
    ["deploy", "Copy the preview secrets", (w) => (w.secretValues = {})],
    // The objects after the namespace: the second apply.
    ["deploy", "Create the namespace", (w) => w.fail.push({ command: "kubectl", match: "apply -f /", skip: 1 })],
    ["deploy", "Migrate the database", (w) => w.failJobs.push("python -m migrate")],
    ["deploy", "Seed the database", (w) => w.failJobs.push("python -m seed")],
    ["deploy", "Roll out", (w) => (w.brokenImage = DIGEST)],
    ["deploy", "Health check", (w) => (w.healthy = false)],
    ["deploy", "Integration tests", (w) => w.failJobs.push("tests/integration")],
    // The third marker written (activity, seeded, activity): the last step's.
    ["deploy", "Record the activity", (w) => w.fail.push({ command: "kubectl", match: "apply -f -", skip: 2 })],
  ];

  it.each(cases)("%s: %s (%#)", (job, name, breakIt) => {
    const world = newWorld();
    breakIt(world);
    const stage = new Stage(world);
    // The failing job alone (the deploy job given the build's image): the report is proven once below.
    const result = runWorkflow(workflows()[PREVIEW_WORKFLOW_PATHS.preview], stage, pullRequestEvent({ number: 7, action: "opened" }), VARS, {
      jobs: [job],
      given: { build: { result: "success", outputs: { image: `${REGISTRY}@${DIGEST}` } } },
    });
    expect(result.jobs[job].result).toBe("failure");
    const failed = result.jobs[job].run!.steps.filter((s) => s.outcome === "failure");
    expect(failed.map((s) => s.name)).toEqual([name]);
    const text = failed[0].stdout + failed[0].stderr;
    // Every script but the pull-request build's own test step names itself in an error annotation.
    if (name !== "Test inside the image") expect(text).toMatch(/::error::/);
  });

  it("the report after a failed deploy: the comment says it failed and links the run; the deployment is a failure", () => {
    const world = newWorld();
    world.healthy = false;
    const stage = new Stage(world);
    const result = preview(stage, { number: 7, action: "opened" });
    expect([result.jobs.deploy.result, result.jobs.report.result]).toEqual(["failure", "failure"]);
    expect(stage.world.comments.map((c) => c.body)).toEqual([
      `${PREVIEW_COMMENT_MARKER}\n\n**The preview of \`feature/orders\` (0f1e2d3) failed** (build: success, deploy: failure): see [the run](https://github.com/acme/hello/actions/runs/4242) for the failing step.\n`,
    ]);
    expect(stage.world.deployments.map((d) => d.statuses)).toEqual([[{ state: "failure", log_url: "https://github.com/acme/hello/actions/runs/4242", auto_inactive: false }]]);
  });
});

describe("data stays data", () => {
  it("a hostile branch name and title stay text; a bad pull request number stops everything", () => {
    const stage = new Stage();
    const canary = path.join(stage.dir, "pwned");
    const hostile = `x$(touch ${canary})\`touch ${canary}\`'";touch ${canary};#`;
    const result = preview(stage, { number: 7, action: "opened", ref: hostile, title: hostile });
    expect(result.jobs.report.result).toBe("success");
    expect(fs.existsSync(canary)).toBe(false);
    // Shown as code, its backticks dropped.
    expect(stage.world.comments[0].body).toContain(`\`${hostile.replace(/`/g, "")}\``);

    const bad = new Stage();
    const refused = preview(bad, { number: `7; touch ${canary}`, action: "opened" });
    expect(refused.jobs.build.result).toBe("failure");
    expect(step(refused, "build", "Push the tested image").stdout).toContain("::error::The pull request number");
    expect(fs.existsSync(canary)).toBe(false);
    expect(bad.world.pushes).toEqual([]);
  });
});

/**
 * The two halves together: preview.yml as the real `hello-delivery` stack commits it, run with the
 * `preview` environment's variables as the real `hello-dev` stack writes them (Terraform's
 * references filled in as apply would, every other byte as synthesized). A variable the stack does
 * not set reads as empty, as in GitHub.
 */
describe("the real stacks: hello-delivery's preview.yml with hello-dev's preview variables", () => {
  const ACCOUNT_REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/hello-previews";
  const ROLE_ARN = "arn:aws:iam::111111111111:role/hello-preview-dev";
  const DB_HOST = "hello-dev.c0ffee.eu-west-1.rds.amazonaws.com";
  /** What apply puts where a reference stands; a reference not listed fails the test (a new one needs a look). */
  const APPLIED: Array<[RegExp, string]> = [
    [/^aws_ecr_repository\.PreviewAccess_Registry_[0-9A-F]+\.repository_url$/, ACCOUNT_REGISTRY],
    [/^aws_iam_role\.PreviewAccess_Role_[0-9A-F]+\.arn$/, ROLE_ARN],
    [/^data\.terraform_remote_state\.cross-stack-reference-input-platform-dev\.outputs\.cross-stack-output-aws_eks_clusterCluster_[0-9A-F]+name$/, "acme-dev"],
    [/^aws_db_instance\.Database_[0-9A-F]+\.address$/, DB_HOST],
    [/^kubernetes_config_map_v1\.Previews_DatabaseCa_[0-9A-F]+\.metadata\[0\]\.name$/, "rds-ca"],
    [/^aws_security_group\.Previews_PodSecurityGroup_[0-9A-F]+\.id$/, "sg-0123456789abcdef0"],
  ];
  const applied = (text: string): string =>
    text
      .split("$${")
      .map((part) =>
        part.replace(/\$\{([^}]*)\}/g, (_, ref: string) => {
          const found = APPLIED.find(([pattern]) => pattern.test(ref));
          if (!found) throw new Error(`a reference the test does not fill in: \${${ref}}`);
          return found[1];
        }),
      )
      .join("${")
      .replace(/%%\{/g, "%{");

  const platform = examplePlatform((d) => (d.apps[0].previews = { seed: SEED, secrets: ["API_KEY"] }));
  const stacks = synthAll(platform);
  const written = Object.values<any>(stacks["hello-dev"].resource.github_actions_environment_variable).filter((v) => String(v["//"].metadata.path).includes("/PreviewAccess/"));
  const variables: Record<string, string> = Object.fromEntries(PREVIEW_VARIABLES.map((name) => [name, ""]));
  for (const v of written) variables[v.variable_name] = applied(v.value);
  const files = Object.values<any>(stacks["hello-delivery"].resource.github_repository_file);
  const workflowFile = (file: string) => applied(files.find((f) => f.file === file)!.content);
  const IMAGE = `${ACCOUNT_REGISTRY}@${DIGEST}`;
  const built = { build: { result: "success" as const, outputs: { image: IMAGE } } };

  it("the stack writes exactly the listed variables into the preview environment, and the workflow reads no other", () => {
    expect(written.map((v) => v.variable_name).sort()).toEqual([...PREVIEW_VARIABLES].sort());
    expect(written.every((v) => v.environment.startsWith("${github_repository_environment.PreviewAccess_Environment_"))).toBe(true);
    const yaml = workflowFile(PREVIEW_WORKFLOW_PATHS.preview) + workflowFile(PREVIEW_WORKFLOW_PATHS.sweep);
    const read = new Set([...yaml.matchAll(/\$\{\{ vars\.([A-Z_]+) \}\}/g)].map((m) => m[1]));
    expect([...read].sort()).toEqual([...PREVIEW_VARIABLES].sort());
    expect(parse(workflowFile(PREVIEW_WORKFLOW_PATHS.preview)).jobs.deploy.environment).toEqual({ name: PREVIEW_ENVIRONMENT });
    // As committed: the cluster jobs on the host's preview runner, and actionlint-clean.
    expect(parse(workflowFile(PREVIEW_WORKFLOW_PATHS.preview)).jobs.deploy["runs-on"]).toEqual(["codebuild-acme-dev-preview-runner-${{ github.run_id }}-${{ github.run_attempt }}"]);
    expect(actionlint({ [PREVIEW_WORKFLOW_PATHS.preview]: workflowFile(PREVIEW_WORKFLOW_PATHS.preview), [PREVIEW_WORKFLOW_PATHS.sweep]: workflowFile(PREVIEW_WORKFLOW_PATHS.sweep) })).toEqual([]);
  });

  it("deploy: the real templates create the namespace, the database, the secrets, run migrate, seed and tests, roll out the pushed digest", () => {
    const world = newWorld();
    world.secretValues = { "acme/hello/preview/API_KEY": "t3st key & 'more'" };
    const stage = new Stage(world);
    const result = runWorkflow(workflowFile(PREVIEW_WORKFLOW_PATHS.preview), stage, pullRequestEvent({ number: 7, action: "opened" }), variables, { jobs: ["deploy"], given: built });
    expect([result.jobs.deploy.result, output(result, "deploy").match(/::error::.*/g)]).toEqual(["success", null]);
    const w = stage.world;
    expect(calls(result, "deploy")[0]).toBe("aws eks update-kubeconfig --name acme-dev --region eu-west-1");
    // The namespace the admission policy admits: its name, the restricted labels and the preview label.
    expect(w.namespaces["hello-pr-7"].labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "slipway.dev/preview": "hello", "slipway.dev/pull-request": "7" });
    expect(w.applied[0]).toBe("Namespace/hello-pr-7");
    expect(w.applied).toEqual(expect.arrayContaining(["RoleBinding/preview-deployer", "ResourceQuota/preview", "LimitRange/preview", "ServiceAccount/app", "Service/app", "Deployment/app"]));
    expect(w.applied.filter((a) => a.startsWith("NetworkPolicy/")).length).toBeGreaterThan(0);
    // Nothing of the templates is left unfilled.
    expect(JSON.stringify(w.objects) + JSON.stringify(w.jobRuns)).not.toMatch(/__(PR|IMAGE|ACTION|COMMAND)__/);
    // The database Job (fixed name) in hello-previews, then the three tasks (generateName) in the preview namespace.
    expect(w.jobRuns.map((j) => `${j.namespace}/${j.name}`)).toEqual(["hello-previews/database-create-7", "hello-pr-7/task-1", "hello-pr-7/task-2", "hello-pr-7/task-3"]);
    const dbEnv = Object.fromEntries(w.jobRuns[0].spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect([dbEnv.PR, dbEnv.ACTION, dbEnv.PREVIEW_NAMESPACE]).toEqual(["7", "create", "hello-pr-7"]);
    expect(w.jobRuns.slice(1).map(commandOf)).toEqual([
      ["/bin/sh", "-c", "python -m migrate"],
      ["/bin/sh", "-c", SEED],
      ["/bin/sh", "-c", "python -m pytest -q tests/integration"],
    ]);
    expect(w.jobRuns.slice(1).map((j) => j.spec.template.spec.containers[0].image)).toEqual([IMAGE, IMAGE, IMAGE]);
    expect(w.rollouts).toEqual([{ namespace: "hello-pr-7", image: IMAGE }]);
    // PREVIEW_SECRETS names the Secrets Manager id the stack made; the value arrives byte for byte, never in argv.
    expect(JSON.parse(variables.PREVIEW_SECRETS)).toEqual({ API_KEY: "acme/hello/preview/API_KEY" });
    expect(w.secrets["hello-pr-7/app-secrets"]).toEqual({ API_KEY: "t3st key & 'more'" });
    expect(JSON.stringify(result.jobs.deploy.run!.calls)).not.toContain("t3st");
    expect(w.healthChecks).toEqual(["https://pr-7.hello.dev.acme.example/healthz"]);
    expect(result.jobs.deploy.run!.outputs.url).toBe("https://pr-7.hello.dev.acme.example");
  });

  it("teardown: the namespace, the database (the real drop Job) and the pull request's images go", () => {
    const world = newWorld();
    world.namespaces["hello-pr-7"] = { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: "2026-12-01T00:00:00Z" };
    world.registry = { [`pr-7-${HEAD}`]: DIGEST, [`pr-70-${HEAD}`]: DIGEST };
    const stage = new Stage(world);
    const result = runWorkflow(workflowFile(PREVIEW_WORKFLOW_PATHS.preview), stage, pullRequestEvent({ number: 7, action: "closed" }), variables, { jobs: ["teardown"], given: {} });
    expect(result.jobs.teardown.result).toBe("success");
    const w = stage.world;
    expect(w.deletedNamespaces).toEqual(["hello-pr-7"]);
    expect(w.jobRuns.map((j) => `${j.namespace}/${j.name}`)).toEqual(["hello-previews/database-drop-7"]);
    const dbEnv = Object.fromEntries(w.jobRuns[0].spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect([dbEnv.PR, dbEnv.ACTION]).toEqual(["7", "drop"]);
    expect(w.deletedTags).toEqual([`pr-7-${HEAD}`]);
    expect(Object.keys(w.registry)).toEqual([`pr-70-${HEAD}`]);
  });

  it("sweep: the real preview-sweep.yml removes the closed pull request's preview with the real drop Job, keeps the open one", () => {
    const world = newWorld();
    world.pulls = { "7": "closed", "8": "open" };
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    for (const n of ["7", "8"]) world.namespaces[`hello-pr-${n}`] = { labels: { "slipway.dev/preview": "hello" }, annotations: {}, creationTimestamp: now };
    world.registry = { [`pr-7-${HEAD}`]: DIGEST, [`pr-8-${HEAD}`]: DIGEST };
    const stage = new Stage(world);
    const result = runWorkflow(workflowFile(PREVIEW_WORKFLOW_PATHS.sweep), stage, { repository: "acme/hello", server_url: "https://github.com", run_id: 5, token: "ghs_job_token", event_name: "schedule" }, variables, { jobs: ["sweep"], given: {} });
    expect(result.jobs.sweep.result).toBe("success");
    const w = stage.world;
    expect(w.deletedNamespaces).toEqual(["hello-pr-7"]);
    expect(w.jobRuns.map((j) => `${j.namespace}/${j.name}`)).toEqual(["hello-previews/database-drop-7"]);
    expect(Object.keys(w.registry)).toEqual([`pr-8-${HEAD}`]);
    expect(JSON.parse(result.jobs.sweep.run!.outputs.removed)).toEqual([{ pr: 7, reason: "closed" }]);
  });

  it("an app with database: none: no PREVIEW_DB_JOB, and deploy and teardown pass without a database Job", () => {
    const none = synthAll(examplePlatform((d) => {
      d.apps[0].database = "none";
      delete d.apps[0].migrate;
    }));
    const vars: Record<string, string> = Object.fromEntries(PREVIEW_VARIABLES.map((name) => [name, ""]));
    for (const v of Object.values<any>(none["hello-dev"].resource.github_actions_environment_variable).filter((v) => String(v["//"].metadata.path).includes("/PreviewAccess/"))) vars[v.variable_name] = applied(v.value);
    expect([vars.PREVIEW_DATABASE, vars.PREVIEW_DB_JOB, vars.PREVIEW_MIGRATE]).toEqual(["none", "", ""]);
    const yaml = applied(Object.values<any>(none["hello-delivery"].resource.github_repository_file).find((f) => f.file === PREVIEW_WORKFLOW_PATHS.preview)!.content);
    const stage = new Stage();
    const deployed = runWorkflow(yaml, stage, pullRequestEvent({ number: 7, action: "opened" }), vars, { jobs: ["deploy"], given: built });
    expect(deployed.jobs.deploy.result).toBe("success");
    expect(stage.world.jobRuns.map((j) => `${j.namespace}/${j.name}`)).toEqual(["hello-pr-7/task-1"]);
    expect(commandOf(stage.world.jobRuns[0])).toEqual(["/bin/sh", "-c", "python -m pytest -q tests/integration"]);
    const removed = runWorkflow(yaml, stage, pullRequestEvent({ number: 7, action: "closed" }), vars, { jobs: ["teardown"], given: {} });
    expect(removed.jobs.teardown.result).toBe("success");
    expect(stage.world.jobRuns).toHaveLength(1);
    expect(stage.world.deletedNamespaces).toEqual(["hello-pr-7"]);
  });
});
