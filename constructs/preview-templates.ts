/**
 * The three templates of a pull request's preview, rendered by Slipway and handed to the app
 * repository's preview workflow as GitHub environment variables: the workflow only replaces
 * placeholders (with `sed`/`jq`, from environment variables), so everything else is fixed here.
 *
 * - {@link previewManifest} (`PREVIEW_MANIFEST`, placeholders `__PR__`, `__IMAGE__`): the preview
 *   namespace `<app>-pr-<n>` and everything in it;
 * - {@link previewDatabaseJob} (`PREVIEW_DB_JOB`, `__PR__`, `__ACTION__` = create|drop): the Job in
 *   `<app>-previews` that creates or drops the preview's database and role, and on create writes
 *   the preview's Secret `database`;
 * - {@link previewTaskJob} (`PREVIEW_TASK_JOB`, `__PR__`, `__IMAGE__`, `__COMMAND__` = a JSON
 *   array): a Job in the preview namespace running the migration, the seed or the integration tests.
 *
 * Pods get the app's own hardening (KubernetesWorkload's security contexts, restricted Pod
 * Security, drain timing), the app's CPU and memory, and its non-secret settings.
 */
import { stringify } from "yaml";
import { PREVIEW_DATABASE_SCRIPT, previewRoleNames } from "./database-roles";
import { PRE_STOP_DELAY_SECONDS, READINESS_PROBE, TERMINATION_GRACE_PERIOD_SECONDS } from "./drain-timing";
import { CONTAINER_SECURITY_CONTEXT, defaultCpuLimit, POD_SECURITY_CONTEXT, RESTRICTED_NAMESPACE_LABELS } from "./kubernetes-workload";
import { millicores } from "./validators";

/** The placeholders the preview workflow replaces; nothing else in a template changes per pull request. */
export const PREVIEW_PLACEHOLDERS = { pr: "__PR__", image: "__IMAGE__", action: "__ACTION__", command: "__COMMAND__" } as const;

/** The label every preview namespace and pod carries, valued with the app's name. */
export const PREVIEW_LABEL = "slipway.dev/preview";
/** The label holding the pull request's number. */
export const PREVIEW_PR_LABEL = "slipway.dev/pull-request";

/**
 * The images a preview's database Job runs, pinned by digest (multi-architecture indexes): the
 * AWS CLI signs the IAM token and writes the Secret through the Kubernetes API (curl, TLS checked
 * against the service account's CA); `psql` comes from the setup Job's image.
 */
export const PREVIEW_AWS_CLI_IMAGE = "docker.io/amazon/aws-cli:2.27.50@sha256:48c3d4212e2f5b0e24bdc6af7708f9412ce65425a79575e0f78b8f8c0dcd70ab";

/** A preview's namespace: `<app>-pr-<n>`. */
export function previewNamespaceName(app: string, pullRequest: number | string): string {
  return `${app}-pr-${pullRequest}`;
}

/** The fixed namespace of an app's previews (router, database Jobs): `<app>-previews`. */
export function previewHostNamespaceName(app: string): string {
  return `${app}-previews`;
}

/** The ClusterRoles a preview namespace binds: what the preview identity may do inside it, and what the database Job may write. */
export function previewClusterRoleNames(app: string): { readonly deployer: string; readonly databaseWriter: string; readonly manager: string } {
  return { deployer: `slipway:${app}-preview-deployer`, databaseWriter: `slipway:${app}-preview-database-writer`, manager: `slipway:${app}-preview-manager` };
}

/** The database Job's service account in `<app>-previews`. */
export function previewDatabaseServiceAccountName(app: string): string {
  return `${app}-preview-db`;
}

/** What the templates need to know about the app and its host environment. */
export interface PreviewTemplateProps {
  /** The app's name. */
  readonly app: string;
  /** The app's domain in the host environment: previews are `pr-<n>.<domain>`. */
  readonly domain: string;
  /** The port the app listens on in its container. */
  readonly port: number;
  /** The app's health path, for its probes and the workflow's health check. */
  readonly healthPath: string;
  /** CPU request; the limit is twice it, as the app's. */
  readonly cpu: string;
  /** Memory request and limit. */
  readonly memory: string;
  /** The app's non-secret settings. */
  readonly env: Readonly<Record<string, string>>;
  /** The preview secrets' names: taken from Secret `app-secrets` when there (the workflow creates it). */
  readonly secrets: readonly string[];
  /** The Kubernetes group the preview identity is mapped into. */
  readonly group: string;
  /**
   * The app's declared egress (besides the database and DNS).
   * @default none: previews reach only DNS (and their database)
   */
  readonly egress?: readonly { readonly cidr: string; readonly port: number; readonly protocol?: "TCP" | "UDP" }[];
  /**
   * The preview databases' server.
   * @default none (`database: none`): no `PREVIEW_DB_JOB`, no `database` Secret
   */
  readonly database?: {
    readonly host: string;
    readonly port: number;
    /** The app's database name: the prefix of `<db>_previews` and `<db>_pr_<n>`. */
    readonly databaseName: string;
    readonly region: string;
    /** Where the database may be reached (the private subnets). */
    readonly cidrs: readonly string[];
    /** The preview pods' security group (EKS security groups for pods): the one the database admits. */
    readonly podSecurityGroupId: string;
    /** The ConfigMap of `<app>-previews` holding the RDS CA bundle, and its file. */
    readonly caBundle: { readonly configMapName: string; readonly file: string };
  };
}

const { pr: PR, image: IMAGE, action: ACTION, command: COMMAND } = PREVIEW_PLACEHOLDERS;
const RDS_CA_DIRECTORY = "/etc/ssl/rds";
const RDS_CA_FILE = "rds-ca.pem";
const WORK = "/work";
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Pod and container security contexts as Kubernetes takes them (numeric ids). */
function podSecurity() {
  const id = Number(POD_SECURITY_CONTEXT.runAsUser);
  return { runAsNonRoot: true, runAsUser: id, runAsGroup: id, fsGroup: id, seccompProfile: { type: POD_SECURITY_CONTEXT.seccompProfile.type } };
}
function containerSecurity() {
  return { ...CONTAINER_SECURITY_CONTEXT, capabilities: { drop: [...CONTAINER_SECURITY_CONTEXT.capabilities.drop] }, seccompProfile: { ...CONTAINER_SECURITY_CONTEXT.seccompProfile } };
}

/**
 * YAML documents with every string double-quoted (so `__PR__` stays a string once replaced), but
 * `__COMMAND__` bare: the workflow replaces it with a JSON array.
 */
function yamlDocuments(documents: readonly object[]): string {
  return documents
    .map((d) => stringify(d, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0, aliasDuplicateObjects: false }))
    .join("---\n")
    .replace(new RegExp(`"${COMMAND}"`, "g"), COMMAND);
}

/** Memory in MiB, for the quota's multiples of the app's size. */
function mebibytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`memory ${JSON.stringify(quantity)}: expected a Kubernetes memory quantity such as 256Mi`);
  const factor: Record<string, number> = { "": 1 / 1048576, Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1048576, k: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576 };
  return Math.ceil(Number(m[1]) * factor[m[2] ?? ""]);
}

/** Pods a preview may run at once: the app, one task (migrate, seed, tests), one during a rollout. */
export const PREVIEW_POD_QUOTA = 3;

/** The preview's pods' environment: the app's settings, its URL, the database and the preview secrets. */
function previewEnv(p: PreviewTemplateProps, appUrl: string): object[] {
  return [
    ...Object.entries(p.env).map(([name, value]) => ({ name, value })),
    { name: "APP_URL", value: appUrl },
    ...(p.database
      ? [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "database", key: "DATABASE_URL" } } }, ...["HOST", "PORT", "NAME", "USER", "SSLMODE", "SSLROOTCERT"].map((k) => ({ name: `DATABASE_${k}`, valueFrom: { secretKeyRef: { name: "database", key: `DATABASE_${k}` } } }))]
      : []),
    // Optional: a preview without its secrets set still starts (the app decides what it needs).
    ...p.secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: "app-secrets", key: name, optional: true } } })),
  ];
}

function podVolumes(p: PreviewTemplateProps) {
  return {
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }, ...(p.database ? [{ name: "rds-ca", secret: { secretName: "database", items: [{ key: RDS_CA_FILE, path: RDS_CA_FILE }], defaultMode: 0o444 } }] : [])],
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(p.database ? [{ name: "rds-ca", mountPath: RDS_CA_DIRECTORY, readOnly: true }] : [])],
  };
}

function labels(p: PreviewTemplateProps, component: string) {
  return { "app.kubernetes.io/name": p.app, "app.kubernetes.io/component": component, "app.kubernetes.io/managed-by": "slipway-previews", [PREVIEW_LABEL]: p.app, [PREVIEW_PR_LABEL]: PR };
}

/** `PREVIEW_MANIFEST`: the preview namespace and everything in it, in the order `kubectl apply` needs. */
export function previewManifest(p: PreviewTemplateProps): string {
  const namespace = previewNamespaceName(p.app, PR);
  const roles = previewClusterRoleNames(p.app);
  const cpuLimit = defaultCpuLimit(p.cpu);
  const memory = mebibytes(p.memory);
  const appLabels = labels(p, "server");
  const selector = { "app.kubernetes.io/name": p.app, "app.kubernetes.io/component": "server" };
  const { volumes, volumeMounts } = podVolumes(p);
  const meta = (name: string, component = "preview") => ({ name, namespace, labels: labels(p, component) });
  const probe = (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: p.healthPath, port: "http" }, periodSeconds, failureThreshold, timeoutSeconds: 3 });
  const documents: object[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { ...RESTRICTED_NAMESPACE_LABELS, [PREVIEW_LABEL]: p.app, [PREVIEW_PR_LABEL]: PR, "app.kubernetes.io/managed-by": "slipway-previews" } },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta("preview-deployer"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roles.deployer },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: p.group }],
    },
    ...(p.database
      ? [
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: meta("preview-database-writer"),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roles.databaseWriter },
            subjects: [{ kind: "ServiceAccount", name: previewDatabaseServiceAccountName(p.app), namespace: previewHostNamespaceName(p.app) }],
          },
        ]
      : []),
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta("preview"),
      spec: {
        hard: {
          pods: String(PREVIEW_POD_QUOTA),
          "requests.cpu": `${millicores(p.cpu) * PREVIEW_POD_QUOTA}m`,
          "limits.cpu": `${millicores(cpuLimit) * PREVIEW_POD_QUOTA}m`,
          "requests.memory": `${memory * PREVIEW_POD_QUOTA}Mi`,
          "limits.memory": `${memory * PREVIEW_POD_QUOTA}Mi`,
          "requests.storage": "0",
          persistentvolumeclaims: "0",
          services: "1",
          "services.nodeports": "0",
          "services.loadbalancers": "0",
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("preview"),
      spec: { limits: [{ type: "Container", default: { cpu: cpuLimit, memory: p.memory }, defaultRequest: { cpu: p.cpu, memory: p.memory }, max: { cpu: cpuLimit, memory: p.memory } }] },
    },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("app-ingress"),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [
          {
            // Only the previews' router, and this preview's own task pods (integration tests).
            from: [
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": previewHostNamespaceName(p.app) } }, podSelector: { matchLabels: { "app.kubernetes.io/name": p.app, "app.kubernetes.io/component": "preview-router" } } },
              { podSelector: { matchLabels: { "app.kubernetes.io/name": p.app, "app.kubernetes.io/component": "task" } } },
            ],
            ports: [{ port: p.port, protocol: "TCP" }],
          },
        ],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("egress"),
      spec: {
        podSelector: { matchLabels: { [PREVIEW_LABEL]: p.app } },
        policyTypes: ["Egress"],
        egress: [
          { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] },
          // Task pods (integration tests) reach the app.
          { to: [{ podSelector: { matchLabels: selector } }], ports: [{ port: p.port, protocol: "TCP" }] },
          ...(p.database ? [{ to: p.database.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: p.database.port, protocol: "TCP" }] }] : []),
          ...(p.egress ?? []).map((rule) => ({ to: [{ ipBlock: { cidr: rule.cidr } }], ports: [{ port: rule.port, protocol: rule.protocol ?? "TCP" }] })),
        ],
      },
    },
    ...(p.database
      ? [
          {
            apiVersion: "vpcresources.k8s.aws/v1beta1",
            kind: "SecurityGroupPolicy",
            metadata: meta("preview-pods"),
            spec: { podSelector: { matchLabels: { [PREVIEW_LABEL]: p.app } }, securityGroups: { groupIds: [p.database.podSecurityGroupId] } },
          },
        ]
      : []),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("app", "server"), automountServiceAccountToken: false },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "app", namespace, labels: appLabels },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 2,
        selector: { matchLabels: selector },
        // One pod at a time: the quota holds the app, a task and one rollout pod.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: appLabels },
          spec: {
            serviceAccountName: "app",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurity(),
            terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
            volumes,
            containers: [
              {
                name: "app",
                image: IMAGE,
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: "http", containerPort: p.port, protocol: "TCP" }],
                env: previewEnv(p, `https://pr-${PR}.${p.domain}`),
                resources: { requests: { cpu: p.cpu, memory: p.memory }, limits: { cpu: cpuLimit, memory: p.memory } },
                startupProbe: probe(5, 30),
                readinessProbe: { ...probe(READINESS_PROBE.periodSeconds, READINESS_PROBE.failureThreshold), timeoutSeconds: READINESS_PROBE.timeoutSeconds, successThreshold: READINESS_PROBE.successThreshold },
                livenessProbe: probe(20, 3),
                lifecycle: { preStop: { exec: { command: ["/bin/sh", "-c", `sleep ${PRE_STOP_DELAY_SECONDS}`] } } },
                securityContext: containerSecurity(),
                volumeMounts,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("app", "server"),
      spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    },
  ];
  return yamlDocuments(documents);
}

/** Seconds a task (migration, seed, integration tests) may run. */
export const PREVIEW_TASK_TIMEOUT_SECONDS = 900;

/**
 * `PREVIEW_TASK_JOB`: one run of `__COMMAND__` in the preview's image, in the preview namespace,
 * with the app's settings and the preview's database. Named by `generateName` (`task-`): the
 * workflow creates it with `kubectl create` and waits on the name it prints.
 */
export function previewTaskJob(p: PreviewTemplateProps): string {
  const namespace = previewNamespaceName(p.app, PR);
  const taskLabels = labels(p, "task");
  const { volumes, volumeMounts } = podVolumes(p);
  const cpuLimit = defaultCpuLimit(p.cpu);
  return yamlDocuments([
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { generateName: "task-", namespace, labels: taskLabels },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: PREVIEW_TASK_TIMEOUT_SECONDS,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: taskLabels },
          spec: {
            restartPolicy: "Never",
            serviceAccountName: "app",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurity(),
            volumes,
            containers: [
              {
                name: "task",
                image: IMAGE,
                imagePullPolicy: "IfNotPresent",
                command: COMMAND,
                // The tests reach the preview inside the cluster, through its Service.
                env: previewEnv(p, `http://app.${namespace}.svc.cluster.local`),
                resources: { requests: { cpu: p.cpu, memory: p.memory }, limits: { cpu: cpuLimit, memory: p.memory } },
                securityContext: containerSecurity(),
                volumeMounts,
              },
            ],
          },
        },
      },
    },
  ]);
}

/**
 * The database Job's last container (AWS CLI image, which has curl): on create, writes Secret
 * `database` into the preview namespace through the Kubernetes API with the pod's own service
 * account (POST, or PUT when it exists), TLS checked against the cluster's CA; the response
 * (which echoes the Secret) is never printed. On drop there is nothing to write.
 */
export const PREVIEW_SECRET_SCRIPT = [
  "set -eu",
  '[ "$ACTION" = create ] || exit 0',
  `SA=${SERVICE_ACCOUNT_DIR}`,
  'API="https://kubernetes.default.svc/api/v1/namespaces/$PREVIEW_NAMESPACE/secrets"',
  'umask 077',
  // The bearer token goes in a header file, never on a command line.
  `printf 'Authorization: Bearer %s\\n' "$(cat "$SA/token")" > ${WORK}/auth`,
  `request() { curl --silent --show-error --cacert "$SA/ca.crt" -H @${WORK}/auth -H 'Content-Type: application/yaml' -o ${WORK}/response -w '%''{http_code}' -X "$1" --data-binary @"$SECRET_FILE" "$2"; }`,
  'code="$(request POST "$API")"',
  'if [ "$code" = 409 ]; then code="$(request PUT "$API/database")"; fi',
  'case "$code" in 200|201) echo "Secret database written in $PREVIEW_NAMESPACE" ;; *) echo "writing Secret database in $PREVIEW_NAMESPACE failed: HTTP $code" >&2; exit 1 ;; esac',
  "",
].join("\n");

/** The IAM token container's script: a token to connect as the manager role, valid 15 minutes. */
export const PREVIEW_TOKEN_SCRIPT = [
  "set -eu",
  "umask 077",
  `aws rds generate-db-auth-token --hostname "$PGHOST" --port "$PGPORT" --username "$MANAGER_ROLE" --region "$DATABASE_REGION" > ${WORK}/token`,
  "",
].join("\n");

/** The database Job's containers: what the admission guard of `<app>-preview-db` admits, exactly. */
export function previewDatabaseJobContainers(image: string): { readonly name: string; readonly image: string; readonly command: string[] }[] {
  return [
    { name: "token", image: PREVIEW_AWS_CLI_IMAGE, command: ["/bin/sh", "-c", PREVIEW_TOKEN_SCRIPT] },
    { name: "database", image, command: ["/bin/sh", "-c", PREVIEW_DATABASE_SCRIPT] },
    { name: "secret", image: PREVIEW_AWS_CLI_IMAGE, command: ["/bin/sh", "-c", PREVIEW_SECRET_SCRIPT] },
  ];
}

/** The database Job's environment that never changes per pull request (its guard admits exactly these values). */
export function previewDatabaseJobFixedEnv(p: PreviewTemplateProps): Record<string, string> {
  if (!p.database) throw new Error(`${p.app}: a preview database Job needs a database`);
  const db = p.database;
  return {
    DATABASE_PREFIX: db.databaseName,
    MANAGER_ROLE: previewRoleNames(db.databaseName).manager,
    APP_DATABASE: db.databaseName,
    DATABASE_REGION: db.region,
    PGHOST: db.host,
    PGPORT: String(db.port),
    PGSSLMODE: "verify-full",
    PGSSLROOTCERT: `/etc/slipway/ca/${db.caBundle.file}`,
    PGCONNECT_TIMEOUT: "10",
    PGAPPNAME: `${p.app}-preview-db`,
    PREVIEW_CA_FILE: `${RDS_CA_DIRECTORY}/${RDS_CA_FILE}`,
    TOKEN_FILE: `${WORK}/token`,
    SECRET_FILE: `${WORK}/secret.yaml`,
    HOME: "/tmp",
  };
}

/** Seconds a preview's database Job may run. */
export const PREVIEW_DATABASE_JOB_TIMEOUT_SECONDS = 300;

/**
 * `PREVIEW_DB_JOB`: creates (`__ACTION__` create) or drops (drop) pull request `__PR__`'s database
 * and role, as the manager role `<db>_previews` (IAM, Pod Identity of `<app>-preview-db`).
 * @param image the image with `/bin/sh` and `psql` 15+ (the setup Job's)
 */
export function previewDatabaseJob(p: PreviewTemplateProps, image: string): string {
  if (!p.database) throw new Error(`${p.app}: a preview database Job needs a database`);
  const db = p.database;
  const hostNamespace = previewHostNamespaceName(p.app);
  const jobLabels = { "app.kubernetes.io/name": p.app, "app.kubernetes.io/component": "preview-db", "app.kubernetes.io/managed-by": "slipway-previews", [PREVIEW_PR_LABEL]: PR };
  const env = { PR, ACTION, PREVIEW_NAMESPACE: previewNamespaceName(p.app, PR), ...previewDatabaseJobFixedEnv(p) };
  const mounts = [
    { name: "work", mountPath: WORK },
    { name: "tmp", mountPath: "/tmp" },
    { name: "ca", mountPath: "/etc/slipway/ca", readOnly: true },
  ];
  const container = (c: { name: string; image: string; command: string[] }) => ({
    ...c,
    imagePullPolicy: "IfNotPresent",
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
    securityContext: containerSecurity(),
    volumeMounts: mounts,
  });
  const [token, database, secret] = previewDatabaseJobContainers(image).map(container);
  return yamlDocuments([
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: `database-${ACTION}-${PR}`, namespace: hostNamespace, labels: jobLabels },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: PREVIEW_DATABASE_JOB_TIMEOUT_SECONDS,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: jobLabels },
          spec: {
            restartPolicy: "Never",
            serviceAccountName: previewDatabaseServiceAccountName(p.app),
            // The last container writes the preview's Secret with this account's token.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: podSecurity(),
            volumes: [
              // The token, the password (inside the Secret manifest) and the auth header: memory only.
              { name: "work", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
              { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
              { name: "ca", configMap: { name: db.caBundle.configMapName, defaultMode: 0o444 } },
            ],
            // In order: the IAM token, the SQL (and the Secret manifest), the Secret written.
            initContainers: [token, database],
            containers: [secret],
          },
        },
      },
    },
  ]);
}
