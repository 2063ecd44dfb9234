/**
 * The `<name>-db-setup` Job template: the one pod that ever uses the database's master credentials.
 * It runs Slipway's idempotent role SQL ({@link databaseRolesSql}) with `psql` from a pinned
 * PostgreSQL image, never the app's image (whose contents the app team controls), before every
 * migration. Its service account is its own, so its own Pod Identity role is the only one allowed
 * to read the master secret (`PostgresDatabase.grantMasterSecretRead`).
 */
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { CronJobV1 } from "@cdktf/provider-kubernetes/lib/cron-job-v1";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { Construct } from "constructs";
import { DATABASE_SETUP_SCRIPT, DatabaseRoleNames, databaseRolesSql } from "./database-roles";
import { invalid, isKnown } from "./util";

/**
 * The PostgreSQL client image the setup Job runs, pinned by digest (the multi-architecture index of
 * the official `postgres:17.6-alpine`): psql 17 speaks to servers 9.2 and later. Move tag and digest
 * together.
 */
export const DATABASE_SETUP_IMAGE = "docker.io/library/postgres:17.6-alpine@sha256:ef257d85f76e48da1c64832459b59fcaba1a4dac97bf5d7450c77753542eee94";
/** Where the master secret's `username` and `password` are mounted in the setup pod. */
const MASTER_SECRET_DIR = "/var/run/secrets/database-master";
const SETUP_DIR = "/etc/slipway/db-setup";
const CA_DIR = "/etc/slipway/ca";
/** A schedule that never comes (31 February): the CronJob is a template, run only by the pipeline. */
const NEVER = "0 0 31 2 *";

/** The setup template's name for an app: `<app>-db-setup` (the pipeline's `databaseSetupTemplateName`). */
export function databaseSetupTemplateName(app: string): string {
  return `${app}-db-setup`;
}

/** Props of {@link DatabaseSetup}. */
export interface DatabaseSetupProps {
  /** The app's name (a DNS label): names `<name>-db-setup` and labels the pod as the app's (`app.kubernetes.io/name`). */
  readonly name: string;
  /** The app's namespace (a reference, so the objects wait for it). */
  readonly namespace: string;
  /** The database: where to connect, the master secret, and the roles to create. */
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly databaseName: string;
    /** The RDS-managed master secret (JSON `username`, `password`). */
    readonly masterUserSecretArn: string;
    /** The secret's region. */
    readonly region: string;
    readonly roles: DatabaseRoleNames;
  };
  /** The CA bundle to verify the server with: a ConfigMap of the namespace, and the file in it. */
  readonly caBundle: { readonly configMapName: string; readonly file: string };
  /**
   * Also the previews' manager role and functions (`previewFunctionsSql`): this database's server
   * hosts the app's pull-request previews.
   * @default false
   */
  readonly previews?: boolean;
  /**
   * The image with `/bin/sh` and `psql`.
   * @default {@link DATABASE_SETUP_IMAGE}
   */
  readonly image?: string;
  /**
   * How long a setup Job may run, in seconds.
   * @default 300
   */
  readonly timeoutSeconds?: number;
}

/** The setup Job's template, its service account, SQL and master-secret mount (see the file comment). */
export class DatabaseSetup extends Construct {
  /** The suspended CronJob (`<name>-db-setup`) the pipeline creates a Job from before each migration. */
  public readonly template: CronJobV1;
  /** The template's name. */
  public readonly templateName: string;
  /** The setup pods' own service account (`<name>-db-setup`). */
  public readonly serviceAccountName: string;
  /** The `SecretProviderClass` mounting the master secret's `username` and `password`. */
  public readonly masterSecret: Manifest;
  /**
   * The `ValidatingAdmissionPolicyBinding` (with its policy) that admits a pod running as
   * {@link serviceAccountName} only when it is exactly the setup pod: the pinned image, the fixed
   * script, libpq settings and mounts, no other container, hook or probe. So whoever may create
   * Jobs or change the Deployment in the namespace (the deploy role) cannot borrow its identity.
   */
  public readonly guard: Manifest;

  constructor(scope: Construct, id: string, props: DatabaseSetupProps) {
    super(scope, id);
    const { name, namespace, database } = props;
    const timeoutSeconds = props.timeoutSeconds ?? 300;
    if (isKnown(name) && !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) invalid(this, "name", name, "a DNS label, e.g. shop");
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) invalid(this, "timeoutSeconds", timeoutSeconds, "a whole number of seconds, at least 1");
    const setupName = databaseSetupTemplateName(name);
    this.templateName = setupName;
    this.serviceAccountName = setupName;
    // The app's name label: its network policy and pod security group let it reach the database.
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "db-setup", "app.kubernetes.io/managed-by": "terraform" };

    const account = new ServiceAccountV1(this, "ServiceAccount", { metadata: { name: setupName, namespace, labels }, automountServiceAccountToken: false });
    this.masterSecret = new Manifest(this, "MasterSecret", {
      manifest: {
        apiVersion: "secrets-store.csi.x-k8s.io/v1",
        kind: "SecretProviderClass",
        metadata: { name: `${name}-db-master`, namespace, labels },
        spec: {
          provider: "aws",
          parameters: {
            region: database.region,
            usePodIdentity: "true",
            // username and password as two files; never synced into a Kubernetes Secret.
            objects: JSON.stringify([
              {
                objectName: database.masterUserSecretArn,
                objectType: "secretsmanager",
                objectAlias: "master.json",
                jmesPath: [
                  { path: "username", objectAlias: "username" },
                  { path: "password", objectAlias: "password" },
                ],
              },
            ]),
          },
        },
      },
    });
    const sql = new ConfigMapV1(this, "Sql", {
      metadata: { name: setupName, namespace, labels },
      data: { "setup.sql": databaseRolesSql(database.databaseName, database.roles, { previews: props.previews ?? false }) },
    });

    const image = props.image ?? DATABASE_SETUP_IMAGE;
    const command = ["/bin/sh", "-c", DATABASE_SETUP_SCRIPT];
    // libpq's own variables: plain data, never part of a command line.
    const env: Record<string, string> = {
      PGHOST: database.host,
      PGPORT: String(database.port),
      PGDATABASE: database.databaseName,
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: `${CA_DIR}/${props.caBundle.file}`,
      PGCONNECT_TIMEOUT: "10",
      PGAPPNAME: setupName,
      MASTER_SECRET_DIR,
      SETUP_SQL: `${SETUP_DIR}/setup.sql`,
      HOME: "/tmp",
    };
    const masterClass = `${name}-db-master`;
    const mounts: Record<string, string> = { tmp: "/tmp", master: MASTER_SECRET_DIR, sql: SETUP_DIR, ca: CA_DIR };

    // CEL over the pod as admitted (after EKS Pod Identity's webhook added its AWS_ variables and
    // token volume, which are allowed). Values enter CEL as JSON string literals (valid CEL).
    const cel = (value: string) => JSON.stringify(value);
    const celMap = (map: Record<string, string>) => `{${Object.entries(map).map(([k, v]) => `${cel(k)}: ${cel(v)}`).join(", ")}}`;
    const policyName = `slipway-${name}-db-setup`;
    const c = "object.spec.containers[0]";
    const policy = new Manifest(this, "GuardPolicy", {
      manifest: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name: policyName, labels },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }] },
          matchConditions: [{ name: "runs-as-the-setup-service-account", expression: `has(object.spec.serviceAccountName) && object.spec.serviceAccountName == ${cel(setupName)}` }],
          validations: [
            { expression: "object.spec.containers.size() == 1 && !has(object.spec.initContainers) && !has(object.spec.ephemeralContainers)", message: `${setupName} runs one container and nothing else` },
            {
              expression: [
                `${c}.image == ${cel(image)}`,
                `${c}.command == [${command.map(cel).join(", ")}]`,
                ...["args", "envFrom", "lifecycle", "livenessProbe", "readinessProbe", "startupProbe"].map((field) => `!has(${c}.${field})`),
              ].join(" && "),
              message: `${setupName} runs only the pinned setup image and script`,
            },
            {
              expression: `${celMap(env)}.all(k, ${c}.env.filter(e, e.name == k).size() == 1) && ${c}.env.all(e, e.name.startsWith("AWS_") || (e.name in ${celMap(env)} && has(e.value) && e.value == ${celMap(env)}[e.name]))`,
              message: `${setupName} keeps its database settings`,
            },
            {
              expression: [
                `${celMap(mounts)}.all(v, ${c}.volumeMounts.filter(m, m.mountPath == ${celMap(mounts)}[v]).all(m, m.name == v))`,
                `object.spec.volumes.filter(v, v.name == "sql").all(v, has(v.configMap) && v.configMap.name == ${cel(setupName)})`,
                `object.spec.volumes.filter(v, v.name == "master").all(v, has(v.csi) && v.csi.volumeAttributes.secretProviderClass == ${cel(masterClass)})`,
              ].join(" && "),
              message: `${setupName} keeps its mounts`,
            },
          ],
        },
      },
    });
    this.guard = new Manifest(this, "GuardBinding", {
      manifest: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: { name: policyName, labels },
        spec: { policyName, validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } } },
      },
      dependsOn: [policy],
    });

    this.template = new CronJobV1(this, "Resource", {
      metadata: { name: setupName, namespace, labels },
      // The guard is in force before anything can run as the setup identity.
      dependsOn: [this.masterSecret, this.guard],
      spec: {
        suspend: true,
        schedule: NEVER,
        concurrencyPolicy: "Forbid",
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: timeoutSeconds,
            ttlSecondsAfterFinished: "86400",
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: account.metadata.name,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                restartPolicy: "Never",
                securityContext: { runAsNonRoot: true, runAsUser: "10001", runAsGroup: "10001", fsGroup: "10001", seccompProfile: { type: "RuntimeDefault" } },
                volume: [
                  { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                  { name: "master", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: masterClass } } },
                  { name: "sql", configMap: { name: sql.metadata.name, defaultMode: "0444" } },
                  { name: "ca", configMap: { name: props.caBundle.configMapName, defaultMode: "0444" } },
                ],
                container: [
                  {
                    name: "db-setup",
                    image,
                    imagePullPolicy: "IfNotPresent",
                    command,
                    env: Object.entries(env).map(([key, value]) => ({ name: key, value })),
                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      privileged: false,
                      readOnlyRootFilesystem: true,
                      runAsNonRoot: true,
                      capabilities: { drop: ["ALL"] },
                      seccompProfile: { type: "RuntimeDefault" },
                    },
                    volumeMount: Object.entries(mounts).map(([volume, mountPath]) => ({ name: volume, mountPath, readOnly: volume !== "tmp" })),
                  },
                ],
              },
            },
          },
        },
      },
    });
  }
}
