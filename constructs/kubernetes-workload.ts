/**
 * One app's runtime in a Kubernetes namespace it owns: a restricted namespace, a hardened Deployment
 * behind a NodePort Service for the load balancer, autoscaling, a disruption budget, default-deny
 * network policies and, optionally, a suspended CronJob the delivery pipeline runs migrations from.
 */
import { createHash } from "node:crypto";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { CronJobV1 } from "@cdktf/provider-kubernetes/lib/cron-job-v1";
import {
  DeploymentV1,
  DeploymentV1SpecTemplateSpecContainerEnv,
  DeploymentV1SpecTemplateSpecContainerEnvFrom,
  DeploymentV1SpecTemplateSpecContainerResources,
  DeploymentV1SpecTemplateSpecContainerSecurityContext,
  DeploymentV1SpecTemplateSpecContainerVolumeMount,
  DeploymentV1SpecTemplateSpecSecurityContext,
  DeploymentV1SpecTemplateSpecVolume,
} from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { HorizontalPodAutoscalerV2 } from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1, NetworkPolicyV1SpecEgress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Fn, Lazy } from "cdktf";
import { Construct } from "constructs";
import type { WorkloadSecretStore } from "./app-secrets";
import { PRE_STOP_DELAY_SECONDS, READINESS_PROBE, TERMINATION_GRACE_PERIOD_SECONDS } from "./drain-timing";
import { invalid, isKnown, parseCidr } from "./util";
import * as kinds from "./validators";
import { checkValue, millicores } from "./validators";

/** Replica bounds: the autoscaler keeps the Deployment between them. */
export interface WorkloadReplicas {
  /** The fewest pods, at least 1; also the Deployment's replicas at creation. */
  readonly min: number;
  /** The most pods, at least `min`. */
  readonly max: number;
}

/** Egress the workload's pods may open to the database. */
export interface WorkloadDatabaseEgress {
  /** IPv4 CIDRs the database lives in (its subnets' CIDRs), e.g. `["10.20.0.0/19"]`. */
  readonly cidrs: string[];
  /** The database's TCP port, e.g. `5432`. */
  readonly port: number;
}

/**
 * How the pods reach their PostgreSQL database: with IAM database authentication, so no password
 * exists anywhere (Terraform, Kubernetes, the pods). Each new connection presents a token signed
 * with the pod's own EKS Pod Identity credentials; the server's role may `rds-db:connect` only as
 * `username`, the migration's only as `migrationUsername` (e.g. `PostgresDatabase.grantConnect`).
 * Everything here is plain configuration, in the `<name>-config` ConfigMap.
 */
export interface WorkloadDatabase {
  /** The database's host name, e.g. `PostgresDatabase.endpoint`: `DATABASE_HOST`. */
  readonly host: string;
  /** The database's TCP port: `DATABASE_PORT`. */
  readonly port: number;
  /** The database's name: `DATABASE_NAME`. */
  readonly databaseName: string;
  /** The app's own database role (reads and writes rows), e.g. `shop_app`: `DATABASE_USER` of the server pods. */
  readonly username: string;
  /** The schema owner's role, e.g. `shop_owner`: `DATABASE_USER` of the migration pods. */
  readonly migrationUsername: string;
  /** The database's region, e.g. `eu-west-1`, which the tokens are signed for: `DATABASE_REGION`. */
  readonly region: string;
  /**
   * The absolute path, in the pods, of the CA bundle the server certificate is verified against
   * (`DATABASE_SSLMODE=verify-full`), e.g. the RDS bundle mounted through `readOnlyFiles`: `DATABASE_SSLROOTCERT`.
   */
  readonly sslRootCertFile: string;
}

/** One more destination the workload's pods may reach. */
export interface WorkloadEgressRule {
  /** The destination IPv4 CIDR, e.g. `203.0.113.0/24`, or `0.0.0.0/0` for any address. */
  readonly cidr: string;
  /** The destination port, 1-65535. */
  readonly port: number;
  /**
   * The transport protocol.
   * @default "TCP"
   */
  readonly protocol?: "TCP" | "UDP";
}

/**
 * Props of {@link KubernetesWorkload}. `name`, `image`, `port`, `healthPath` and `replicas` are
 * required; `ingressFromCidrs` too when `nodePort` is set.
 */
export interface KubernetesWorkloadProps {
  /**
   * The app's name: a DNS label (lower-case letters, digits and `-`, starting with a letter) of at
   * most 40 characters. Names the Deployment, Service, service account and the `<name>-config`,
   * `<name>-secrets`, `<name>-migrate` objects.
   */
  readonly name: string;
  /**
   * The namespace this construct creates and owns (one workload per namespace): a DNS label of at
   * most 63 characters, not `default` nor `kube-*`.
   * @default name
   */
  readonly namespace?: string;
  /**
   * The container image the Deployment (and migration template) is created with, e.g.
   * `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:…`. Only the first apply uses it: the
   * delivery pipeline owns the image afterwards (`kubectl set image`), and Terraform ignores it.
   */
  readonly image: string;
  /** The port the container listens on, 1-65535. */
  readonly port: number;
  /** The HTTP path of the app's health check, e.g. `/healthz`; the startup, readiness and liveness probes call it. */
  readonly healthPath: string;
  /**
   * CPU request per pod, a Kubernetes quantity such as `250m` or `1`.
   * @default "250m"
   */
  readonly cpu?: string;
  /**
   * CPU limit per pod, a Kubernetes quantity at least `cpu`.
   * @default twice `cpu` (bursts allowed, a runaway pod cannot starve its node); `cpu` itself when
   * `cpu` is a reference
   */
  readonly cpuLimit?: string;
  /**
   * Memory request and limit per pod (equal, so pods are never OOM-killed to make room for others'
   * bursts), a Kubernetes quantity such as `256Mi` or `1Gi`.
   * @default "256Mi"
   */
  readonly memory?: string;
  /** The autoscaler's bounds, `1 <= min <= max`; the Deployment starts with `min` pods. */
  readonly replicas: WorkloadReplicas;
  /**
   * Average CPU use, in percent of the request, the autoscaler aims for (1-100).
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Plain (non-secret) environment variables, stored in the `<name>-config` ConfigMap. Names are
   * letters, digits and `_`, not starting with a digit. A change rolls the pods. Values are
   * Terraform strings, as in every construct: pass text from outside through `terraformLiteral`
   * (the stacks do so for the platform file) so `${` and `%{` in it stay text.
   * @default {} - an empty ConfigMap
   */
  readonly env?: Record<string, string>;
  /**
   * Secret environment variables, stored in the `<name>-secrets` Secret; values may be Terraform
   * references. Whatever is here is also in Terraform's state and plans, which pull-request plans
   * read: never put a password here (database credentials come through `database`, app secrets
   * through `secretStore`). Never copied into labels, annotations or outputs. Names as for `env`, and not also in `env`. Pods
   * pick up a changed value when they next restart (the next deploy).
   * @default {} - an empty Secret
   */
  readonly secretEnv?: Record<string, string>;
  /**
   * Names of secrets whose values Terraform never sees: each becomes an environment variable read
   * from the `<name>-external` Secret, which Terraform creates empty and then leaves alone
   * (`ignore_changes` on its data), so the values live only in the cluster. Set them out of band,
   * e.g. `kubectl -n <namespace> create secret generic <name>-external --from-literal=KEY=... --dry-run=client -o yaml | kubectl apply -f -`.
   * A pod does not start until every named key exists, so a missing secret fails the rollout
   * (and the pipeline rolls back) instead of running the app without it. Names as for `env`, and
   * in neither `env` nor `secretEnv`.
   * @default [] - no external Secret
   */
  readonly externalSecrets?: string[];
  /**
   * Secrets held outside the cluster (AWS Secrets Manager, e.g. {@link AppSecrets}) that the
   * Secrets Store CSI driver mounts: a `SecretProviderClass` `<name>-app-secrets` (a
   * `kubernetes_manifest`: the driver's CRD must exist when this is planned, which the
   * cluster's `aws-secrets-store-csi-driver-provider` add-on installs) and a read-only CSI volume
   * with one file per secret at `/var/run/secrets/app/<NAME>`, in the app and migration pods. Each
   * is also an environment variable `<NAME>`, from the `<name>-app-secrets` Secret the driver syncs
   * while a pod mounts the volume, and `<NAME>_FILE` holds the file's path. The driver fetches with the pods' own identity (EKS Pod
   * Identity: see `AppSecrets.allowReadFrom`). A secret without a value fails the mount, so the pod
   * never starts without it. Files follow a changed value within the driver's rotation poll;
   * variables on the next rollout. Names as for `env`, in none of `env`, `secretEnv`,
   * `externalSecrets`.
   * @default none - no secrets volume
   */
  readonly secretStore?: WorkloadSecretStore;
  /**
   * The node port (30000-32767, unique in the cluster) the load balancer's instance target group
   * sends traffic to; the Service is then of type `NodePort`.
   * @default none - a `ClusterIP` Service, reachable only inside the cluster
   */
  readonly nodePort?: number;
  /**
   * A canary beside the Deployment (canary releases, `constructs/canary.ts`): a Deployment
   * `<name>-canary` with the same pod template, 0 replicas at rest (the pipeline scales it), its
   * pods labelled `app.kubernetes.io/component: canary` and `slipway.dev/track: canary` (the
   * Deployment's own pods get `slipway.dev/track: stable`), behind its own NodePort Service on
   * `nodePort` (30000-32767, unique in the cluster). The Deployment's selector and Service stay
   * as they are, so an existing Deployment is never replaced, and neither selects canary pods.
   * @default none
   */
  readonly canary?: {
    /** The canary Service's NodePort (30000-32767), not `nodePort`. */
    readonly nodePort: number;
  };
  /**
   * IPv4 CIDRs the load balancer's traffic comes from once a node has forwarded it (the Service is
   * `externalTrafficPolicy: Cluster`, so the source is the forwarding node: the nodes' subnets'
   * CIDRs): the only sources admitted to the pods, on the container port. At least one when given;
   * `0.0.0.0/0` is refused. Required with `nodePort`.
   * @default none - only pods of the workload's own namespace may connect
   */
  readonly ingressFromCidrs?: string[];
  /**
   * The database the pods may connect to.
   * @default none - no database egress
   */
  readonly databaseEgress?: WorkloadDatabaseEgress;
  /**
   * Further destinations the pods may reach, e.g. `{ cidr: "0.0.0.0/0", port: 443 }` for an HTTPS
   * API, or AWS STS when `serviceAccountRoleArn` is set. DNS to the cluster's resolver is always allowed.
   * @default [] - DNS (and the database) only
   */
  readonly extraEgress?: WorkloadEgressRule[];
  /**
   * An IAM role the pods assume through IAM roles for service accounts (annotation
   * `eks.amazonaws.com/role-arn`). The role's trust policy must name
   * `system:serviceaccount:<namespace>:<name>`; the pods also need egress to STS (`extraEgress`).
   * @default none - pods get no AWS credentials of their own
   */
  readonly serviceAccountRoleArn?: string;
  /**
   * Mount the Kubernetes API token in the pods. IAM roles for service accounts do not need it (EKS
   * projects its own token).
   * @default false - the pods cannot call the Kubernetes API
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * The database migration command. A string runs with `/bin/sh -c` (the image needs a shell); a
   * list runs as is (exec form). Creates the suspended CronJob `<name>-migrate`, the template the
   * pipeline creates a Job from before each rollout. Terraform strings, as `env`'s values.
   * @default none - no migration template
   */
  readonly migrateCommand?: string | string[];
  /**
   * How long a migration Job may run before Kubernetes stops it and marks it failed, in seconds.
   * @default 900
   */
  readonly migrateTimeoutSeconds?: number;
  /**
   * The app's integration tests, run from the app's own image against its public URL. A string
   * runs with `/bin/sh -c`; a list runs as is. Creates the suspended CronJob
   * `<name>-integration-test` (container `integration-test`), the template the pipeline creates a
   * Job from after each rollout. Its pods get `APP_URL` ({@link integrationTestUrl}) and nothing of
   * the app's configuration or secrets; labelled `<name>-integration-test` (part of `<name>`), they
   * are outside the app's network policies and pod security group, and may open DNS and HTTPS (443)
   * to public addresses only.
   * Terraform strings, as `env`'s values.
   * @default none - no integration-test template
   */
  readonly integrationTestCommand?: string | string[];
  /**
   * The URL the integration tests exercise, `https://<domain>`: their `APP_URL`. Required with
   * {@link integrationTestCommand}.
   * @default none
   */
  readonly integrationTestUrl?: string;
  /**
   * How long an integration-test Job may run before Kubernetes stops it and marks it failed, in seconds.
   * @default 600
   */
  readonly integrationTestTimeoutSeconds?: number;
  /**
   * Public files (never secrets: they are stored in a ConfigMap) mounted read-only into the app and
   * migration containers, e.g. the RDS CA bundle that `sslrootcert` names: the `<name>-files`
   * ConfigMap holds `files` (file name to content) and is mounted at `directory`.
   * @default none
   */
  readonly readOnlyFiles?: { readonly directory: string; readonly files: Record<string, string> };
  /**
   * The database the app and migration pods connect to, with IAM authentication: `DATABASE_HOST`,
   * `DATABASE_PORT`, `DATABASE_NAME`, `DATABASE_USER`, `DATABASE_AUTH` (`iam`), `DATABASE_REGION`,
   * `DATABASE_SSLMODE` (`verify-full`) and `DATABASE_SSLROOTCERT` in the `<name>-config` ConfigMap
   * (these names are then refused in `env`, `secretEnv`, `externalSecrets` and `secretStore`); the
   * migration container's `DATABASE_USER` is `migrationUsername`. No credentials are mounted: each
   * pod signs a token per connection with its own Pod Identity role (the server's service account
   * `<name>`, the migration's `<name>-migrate`), so nothing rotates under the app.
   * @default none - the app gets no database configuration
   */
  readonly database?: WorkloadDatabase;
  /**
   * How the app's pods spread over availability zones (`topology.kubernetes.io/zone`, max skew 1
   * among the zones that have nodes). `required`: a pod is never placed where it would leave one
   * zone two pods ahead of another (`DoNotSchedule`); it waits for a node, which a cluster
   * autoscaler adds. `preferred`: the scheduler tries, but places the pod anyway
   * (`ScheduleAnyway`). Spread over nodes is always a preference.
   * @default "required"
   */
  readonly zoneSpread?: "required" | "preferred";
}

/**
 * One rule of the deploy Role ({@link KubernetesWorkload.grantDeploy}), as Kubernetes RBAC reads it:
 * the API group, resources and verbs, optionally narrowed to named objects.
 */
export interface DeployRule {
  /** API groups, e.g. `["apps"]`; `""` is the core group (pods). */
  readonly apiGroups: readonly string[];
  /** Resources, e.g. `["deployments"]`, or a subresource such as `pods/log`. */
  readonly resources: readonly string[];
  /** Verbs, e.g. `["get", "patch"]`. */
  readonly verbs: readonly string[];
  /**
   * Object names the rule is narrowed to.
   * @default any object of the resources: the names are not known in advance (Jobs named per run, generated ReplicaSets)
   */
  readonly resourceNames?: readonly string[];
}

/** Group names EKS keeps for itself: an access entry may not map a principal into them. */
const RESERVED_GROUP = /^(system|eks|aws|amazon|iam):/;

/** The app container's name, for `kubectl set image deployment/<name> app=<image>`. */
const CONTAINER_NAME = "app";
/** The migration container's name, for `kubectl set image cronjob/<name>-migrate migrate=<image>`. */
const MIGRATE_CONTAINER_NAME = "migrate";
/** The integration-test container's name, for `kubectl set image cronjob/<name>-integration-test integration-test=<image>`. */
const INTEGRATION_TEST_CONTAINER_NAME = "integration-test";
/** Private and link-local ranges: integration-test pods reach the app only the way users do, through public addresses. */
const NON_PUBLIC_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];
/** Where the secrets of {@link KubernetesWorkloadProps.secretStore} are mounted, one file per secret. */
export const APP_SECRETS_PATH = "/var/run/secrets/app";
/** The variables {@link KubernetesWorkloadProps.database} sets: no other source may set them. */
export const DATABASE_VARIABLES = [
  "DATABASE_HOST",
  "DATABASE_PORT",
  "DATABASE_NAME",
  "DATABASE_USER",
  "DATABASE_AUTH",
  "DATABASE_REGION",
  "DATABASE_SSLMODE",
  "DATABASE_SSLROOTCERT",
] as const;
/** The node label of a node's availability zone, the domain of zone spread. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** UID and GID the pods run as: non-root, and outside the range images usually assign. */
const RUN_AS_ID = "10001";
/** The restricted Pod Security Standard, enforced (and audited, warned) on a namespace: shared with the previews' namespaces. */
export const RESTRICTED_NAMESPACE_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
} as const;
/** Every app pod's security context (ids as the provider takes them: strings): shared with the previews' pods. */
export const POD_SECURITY_CONTEXT = { runAsNonRoot: true, runAsUser: RUN_AS_ID, runAsGroup: RUN_AS_ID, fsGroup: RUN_AS_ID, seccompProfile: { type: "RuntimeDefault" } } as const;
/** Every app container's security context: no privileges, no capabilities, read-only root filesystem. */
export const CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;
/** The CPU limit of a request: twice it (a burst, never a whole node). */
export function defaultCpuLimit(quantity: string): string {
  return doubleCpu(quantity);
}
const NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A schedule that never comes (31 February): the CronJob is a template, run only by the pipeline. */
const NEVER = "0 0 31 2 *";
/** The label that tells stable pods from canary pods (`stable`, `canary`), for people and dashboards. */
export const TRACK_LABEL = "slipway.dev/track";

/**
 * An app's Kubernetes runtime, secure by default: a namespace enforcing the `restricted` Pod Security
 * Standard; a Deployment whose pods run as a non-root user with a read-only root filesystem, no
 * privileges, no capabilities, the runtime's seccomp profile and no Kubernetes API token, with
 * requests and limits, startup/readiness/liveness probes, zero-downtime rolling updates and spread
 * across zones and nodes; a CPU autoscaler; a disruption budget; and network policies that deny
 * everything except load-balancer ingress, DNS and the listed egress.
 *
 * The delivery pipeline owns the image: Terraform creates the Deployment with `image` and then
 * ignores image changes (and replica changes, which the autoscaler owns). The pipeline runs
 * `kubectl set image deployment/<deploymentName> <containerName>=<image@digest>`; with
 * `migrateCommand` it first runs `kubectl set image cronjob/<migrationTemplateName> migrate=<image@digest>`
 * and `kubectl create job --from=cronjob/<migrationTemplateName> <job>`, and waits for the Job; with
 * `integrationTestCommand` it does the same with `<name>-integration-test` after the rollout.
 */
export class KubernetesWorkload extends Construct {
  /** The namespace's name, a reference to the namespace resource (so users wait for it). */
  public readonly namespace: string;
  /** The `kubernetes_namespace_v1`. */
  public readonly namespaceResource: NamespaceV1;
  /** The `kubernetes_deployment_v1`. */
  public readonly deployment: DeploymentV1;
  /** The Deployment's name, known at synth (for the pipeline's `kubectl` commands). */
  public readonly deploymentName: string;
  /** The app container's name in the Deployment, `app`. */
  public readonly containerName: string = CONTAINER_NAME;
  /** The `kubernetes_service_v1`: `NodePort` when `nodePort` is set, else `ClusterIP`. */
  public readonly service: ServiceV1;
  /** The Service's name, known at synth. */
  public readonly serviceName: string;
  /** The node port the load balancer targets, when `nodePort` is set. */
  public readonly nodePort?: number;
  /** The label every pod of the app carries (server, migration, integration test): `app.kubernetes.io/name: <name>`. */
  public readonly podLabels: Readonly<Record<string, string>>;
  /** The canary Deployment `<name>-canary` (`canary` prop), 0 replicas until the pipeline scales it. */
  public readonly canaryDeployment?: DeploymentV1;
  /** The canary's NodePort Service `<name>-canary` (`canary` prop). */
  public readonly canaryService?: ServiceV1;
  /** The `kubernetes_service_account_v1` the pods run as. */
  public readonly serviceAccount: ServiceAccountV1;
  /** The service account's name, known at synth (IAM trust: `system:serviceaccount:<namespace>:<name>`). */
  public readonly serviceAccountName: string;
  /** The suspended migration CronJob's name, when `migrateCommand` is set. */
  public readonly migrationTemplateName?: string;
  /** The migration CronJob, when `migrateCommand` is set. */
  public readonly migrationTemplate?: CronJobV1;
  /** The suspended integration-test CronJob's name, when `integrationTestCommand` is set. */
  public readonly integrationTestTemplateName?: string;
  /** The integration-test CronJob, when `integrationTestCommand` is set. */
  public readonly integrationTestTemplate?: CronJobV1;
  /** The `<name>-config` ConfigMap holding `env`. */
  public readonly configMap: ConfigMapV1;
  /**
   * The `<name>-secrets` Secret holding `secretEnv`, when it has any: no empty Secret that a
   * read-only plan (which may not read Secrets) would have to refresh.
   */
  public readonly secret?: SecretV1;
  /** The `<name>-external` Secret whose values are set outside Terraform, when {@link KubernetesWorkloadProps.externalSecrets} names any. */
  public readonly externalSecret?: SecretV1;
  /** The `SecretProviderClass` (`kubernetes_manifest`) of {@link KubernetesWorkloadProps.secretStore}, when it names any secret. */
  public readonly secretProviderClass?: Manifest;
  /** The migration pods' own service account (`<name>-migrate`, its own Pod Identity), when `migrateCommand` is set. */
  public readonly migrationServiceAccountName?: string;
  /** The `<name>-files` ConfigMap of {@link KubernetesWorkloadProps.readOnlyFiles}, e.g. for another pod that needs the CA bundle. */
  public readonly filesConfigMap?: ConfigMapV1;
  /** The `kubernetes_horizontal_pod_autoscaler_v2`. */
  public readonly autoscaler: HorizontalPodAutoscalerV2;
  /** The `kubernetes_pod_disruption_budget_v1`. */
  public readonly disruptionBudget: PodDisruptionBudgetV1;
  /**
   * The rules of the deploy Role {@link grantDeploy} creates: exactly what the delivery pipeline's
   * `kubectl` commands need in this namespace, and nothing else (no Secrets, no exec, attach or
   * port-forward, no NetworkPolicy or RBAC objects).
   */
  public readonly deployRules: readonly DeployRule[];
  /** Templates made elsewhere that deploy may run but never change ({@link allowDeployToRun}). */
  private readonly runOnlyTemplates: string[] = [];

  private readonly labels: Record<string, string>;
  /** The deploy Role and its binding, created by the first {@link grantDeploy}. */
  private deployAccess?: { role: RoleV1; binding: RoleBindingV1; groups: string[] };

  constructor(scope: Construct, id: string, props: KubernetesWorkloadProps) {
    super(scope, id);

    const name = props.name;
    const namespaceName = props.namespace ?? name;
    const cpu = props.cpu ?? "250m";
    const memory = props.memory ?? "256Mi";
    const targetCpu = props.targetCpuUtilizationPercent ?? 70;
    const env = props.env ?? {};
    const secretEnv = props.secretEnv ?? {};
    const extraEgress = props.extraEgress ?? [];
    const automount = props.automountServiceAccountToken ?? false;
    const migrateTimeoutSeconds = props.migrateTimeoutSeconds ?? 900;
    const integrationTestTimeoutSeconds = props.integrationTestTimeoutSeconds ?? 600;

    this.validate(props, { namespaceName, cpu, memory, targetCpu, env, secretEnv, extraEgress, migrateTimeoutSeconds, integrationTestTimeoutSeconds });
    const cpuLimit = props.cpuLimit ?? doubleCpu(cpu);

    this.deploymentName = name;
    this.serviceName = name;
    this.serviceAccountName = name;
    this.nodePort = props.nodePort;

    const commonLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "terraform" };
    // Selectors are immutable on a Deployment: these labels are a stable contract.
    const serverLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "server" };
    const migrateLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "migrate" };
    const anyPodOfApp = { "app.kubernetes.io/name": name };
    this.podLabels = anyPodOfApp;
    this.labels = commonLabels;

    this.namespaceResource = new NamespaceV1(this, "Namespace", {
      metadata: {
        name: namespaceName,
        labels: {
          ...commonLabels,
          // The restricted Pod Security Standard: the API server refuses any pod that could escalate.
          ...RESTRICTED_NAMESPACE_LABELS,
        },
      },
    });
    this.namespace = this.namespaceResource.metadata.name;
    const namespace = this.namespace;

    this.serviceAccount = new ServiceAccountV1(this, "ServiceAccount", {
      metadata: {
        name,
        namespace,
        labels: commonLabels,
        ...(props.serviceAccountRoleArn !== undefined ? { annotations: { "eks.amazonaws.com/role-arn": props.serviceAccountRoleArn } } : {}),
      },
      automountServiceAccountToken: automount,
    });

    const database = props.database;
    this.configMap = new ConfigMapV1(this, "Config", {
      metadata: { name: `${name}-config`, namespace, labels: commonLabels },
      data: {
        ...env,
        // Where, as whom and how to connect; no credential: each connection signs an IAM token.
        ...(database
          ? {
              DATABASE_HOST: database.host,
              DATABASE_PORT: String(database.port),
              DATABASE_NAME: database.databaseName,
              DATABASE_USER: database.username,
              DATABASE_AUTH: "iam",
              DATABASE_REGION: database.region,
              DATABASE_SSLMODE: "verify-full",
              DATABASE_SSLROOTCERT: database.sslRootCertFile,
            }
          : {}),
      },
    });
    if (!isKnown(secretEnv) || Object.keys(secretEnv).length > 0) {
      this.secret = new SecretV1(this, "Secrets", {
        metadata: { name: `${name}-secrets`, namespace, labels: commonLabels },
        type: "Opaque",
        data: secretEnv,
      });
    }
    const externalSecrets = props.externalSecrets ?? [];
    if (externalSecrets.length > 0) {
      this.externalSecret = new SecretV1(this, "ExternalSecrets", {
        metadata: { name: `${name}-external`, namespace, labels: commonLabels },
        type: "Opaque",
        // Values are set with kubectl; Terraform must neither hold nor revert them.
        lifecycle: { ignoreChanges: ["data", "binary_data"] },
      });
    }

    // Secrets Manager secrets, mounted by the Secrets Store CSI driver: Terraform names them, never holds a value.
    const storeSecrets = props.secretStore ? Object.entries(props.secretStore.secretIds) : [];
    const storeName = `${name}-app-secrets`;
    if (props.secretStore && storeSecrets.length > 0) {
      this.secretProviderClass = new Manifest(this, "SecretProviderClass", {
        manifest: {
          apiVersion: "secrets-store.csi.x-k8s.io/v1",
          kind: "SecretProviderClass",
          metadata: { name: storeName, namespace, labels: commonLabels },
          spec: {
            provider: "aws",
            parameters: {
              region: props.secretStore.region,
              // The AWS provider assumes the pods' role through EKS Pod Identity.
              usePodIdentity: "true",
              // YAML (JSON is YAML): one file per secret, named after it.
              objects: JSON.stringify(storeSecrets.map(([key, id]) => ({ objectName: id, objectType: "secretsmanager", objectAlias: key }))),
            },
            secretObjects: [{ secretName: storeName, type: "Opaque", data: storeSecrets.map(([key]) => ({ objectName: key, key })) }],
          },
        },
      });
    }

    const secretProviderClasses = [this.secretProviderClass].filter((c): c is Manifest => c !== undefined);

    // Shared by the app and migration pods: same identity, same hardening, same configuration.
    const podSecurityContext: DeploymentV1SpecTemplateSpecSecurityContext = { ...POD_SECURITY_CONTEXT, seccompProfile: { ...POD_SECURITY_CONTEXT.seccompProfile } };
    const containerSecurityContext: DeploymentV1SpecTemplateSpecContainerSecurityContext = {
      ...CONTAINER_SECURITY_CONTEXT,
      capabilities: { drop: [...CONTAINER_SECURITY_CONTEXT.capabilities.drop] },
      seccompProfile: { ...CONTAINER_SECURITY_CONTEXT.seccompProfile },
    };
    // References (not literal names), so pods are created after their configuration exists.
    const envFrom: DeploymentV1SpecTemplateSpecContainerEnvFrom[] = [
      { configMapRef: { name: this.configMap.metadata.name } },
      ...(this.secret ? [{ secretRef: { name: this.secret.metadata.name } }] : []),
    ];
    // Not optional: the kubelet refuses to start a pod whose declared secret is missing.
    const secretVariables: DeploymentV1SpecTemplateSpecContainerEnv[] = [
      ...(this.externalSecret
        ? externalSecrets.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: this.externalSecret!.metadata.name, key, optional: false } } }))
        : []),
      // Synced by the CSI driver when the pod mounts the secrets volume, before its containers start.
      ...storeSecrets.map(([key]) => ({ name: key, valueFrom: { secretKeyRef: { name: storeName, key, optional: false } } })),
      // The file, for apps that re-read a rotated value without a restart (the image contract's `<NAME>_FILE`).
      ...storeSecrets.map(([key]) => ({ name: `${key}_FILE`, value: `${APP_SECRETS_PATH}/${key}` })),
    ];
    const externalEnv = secretVariables.length > 0 ? secretVariables : undefined;
    const resources: DeploymentV1SpecTemplateSpecContainerResources = {
      requests: { cpu, memory },
      limits: { cpu: cpuLimit, memory },
    };
    // The root filesystem is read-only; /tmp is the one writable, size-capped scratch directory.
    const volumes: DeploymentV1SpecTemplateSpecVolume[] = [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }];
    const volumeMounts: DeploymentV1SpecTemplateSpecContainerVolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];
    if (props.readOnlyFiles) {
      const filesMap = (this.filesConfigMap = new ConfigMapV1(this, "Files", {
        metadata: { name: `${name}-files`, namespace, labels: commonLabels },
        data: props.readOnlyFiles.files,
      }));
      volumes.push({ name: "files", configMap: { name: filesMap.metadata.name, defaultMode: "0444" } });
      volumeMounts.push({ name: "files", mountPath: props.readOnlyFiles.directory, readOnly: true });
    }
    if (this.secretProviderClass) {
      volumes.push({ name: "app-secrets", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: storeName } } });
      volumeMounts.push({ name: "app-secrets", mountPath: APP_SECRETS_PATH, readOnly: true });
    }
    const podBasics = {
      serviceAccountName: this.serviceAccount.metadata.name,
      automountServiceAccountToken: automount,
      // No `<SERVICE>_HOST` variables for every Service in the namespace: configuration is explicit.
      enableServiceLinks: false,
      securityContext: podSecurityContext,
      volume: volumes,
    };

    const probe = (periodSeconds: number, failureThreshold: number) => ({
      httpGet: { path: props.healthPath, port: "http" },
      periodSeconds,
      failureThreshold,
      timeoutSeconds: 3,
    });
    // Zones: a requirement with `zoneSpread: "required"` (no zone holds two pods more than
    // another zone with nodes; a pod the zones cannot take stays pending, and the cluster
    // autoscaler adds a node), a preference otherwise. No `minDomains`: it would count zones
    // without nodes as holding none, so a zone outage would cap each surviving zone at one pod
    // when the app needs them most. Nodes: always a preference (packing beats pending).
    const spread = (topologyKey: string, whenUnsatisfiable: string, labels: Record<string, string>) => ({
      topologyKey,
      maxSkew: 1,
      whenUnsatisfiable,
      labelSelector: [{ matchLabels: labels }],
      // Spread each rollout's new pods, not old and new together.
      matchLabelKeys: ["pod-template-hash"],
    });
    const zoneSpread = props.zoneSpread ?? "required";
    if (zoneSpread !== "required" && zoneSpread !== "preferred") invalid(this, "zoneSpread", zoneSpread, "required or preferred");

    // The pod template of the Deployment and, with a canary, of the canary Deployment: the same
    // pods, told apart by their selector labels (and a `slipway.dev/track` label).
    const podTemplate = (selectorLabels: Record<string, string>, podLabels: Record<string, string>) => ({
      metadata: {
        labels: { ...commonLabels, ...podLabels },
        // Rolls the pods when the plain configuration changes (a hash, never the values).
        annotations: { "slipway.dev/config-sha256": configHash(env) },
      },
      spec: {
        ...podBasics,
        // The preStop delay, then the app's 30 s to finish after SIGTERM (drain-timing.ts).
        terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
        topologySpreadConstraint: [
          spread(ZONE_LABEL, zoneSpread === "required" ? "DoNotSchedule" : "ScheduleAnyway", selectorLabels),
          spread("kubernetes.io/hostname", "ScheduleAnyway", selectorLabels),
        ],
        container: [
          {
            name: CONTAINER_NAME,
            image: props.image,
            imagePullPolicy: "IfNotPresent",
            port: [{ name: "http", containerPort: props.port, protocol: "TCP" }],
            envFrom,
            env: externalEnv,
            resources,
            // Up to 150 s to start before liveness applies, so slow starts are not killed.
            startupProbe: probe(5, 30),
            // On the load balancer's health-check clock (drain-timing.ts).
            readinessProbe: { ...probe(READINESS_PROBE.periodSeconds, READINESS_PROBE.failureThreshold), timeoutSeconds: READINESS_PROBE.timeoutSeconds, successThreshold: READINESS_PROBE.successThreshold },
            livenessProbe: probe(20, 3),
            // Keeps serving until no path routes to the pod any more (kube-proxy on every node,
            // a load balancer deregistering or failing the node), and only then lets the kubelet
            // send SIGTERM: a fixed delay from drain-timing.ts, a number, never data.
            lifecycle: { preStop: [{ exec: { command: ["/bin/sh", "-c", `sleep ${PRE_STOP_DELAY_SECONDS}`] } }] },
            securityContext: containerSecurityContext,
            volumeMount: volumeMounts,
          },
        ],
      },
    });
    this.deployment = new DeploymentV1(this, "Resource", {
      metadata: { name, namespace, labels: { ...commonLabels, ...serverLabels } },
      // The first apply runs before the pipeline has pushed an image: do not wait for healthy pods.
      waitForRollout: false,
      // Pods mount the SecretProviderClass by name: it exists first.
      dependsOn: secretProviderClasses.length > 0 ? secretProviderClasses : undefined,
      spec: {
        replicas: String(props.replicas.min),
        revisionHistoryLimit: 10,
        selector: { matchLabels: serverLabels },
        // One extra pod at a time and never one fewer than desired: a rollout never reduces capacity.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "0", maxSurge: "25%" } },
        template: podTemplate(serverLabels, props.canary ? { ...serverLabels, [TRACK_LABEL]: "stable" } : serverLabels),
      },
      lifecycle: {
        // The pipeline sets the image (`kubectl set image`); the autoscaler sets the replicas.
        ignoreChanges: ["spec[0].template[0].spec[0].container[0].image", "spec[0].replicas"],
      },
    });

    this.service = new ServiceV1(this, "Service", {
      metadata: { name, namespace, labels: commonLabels },
      spec: {
        type: props.nodePort === undefined ? "ClusterIP" : "NodePort",
        selector: serverLabels,
        // Every node forwards to every ready pod: a node without a pod of the app (new nodes of a
        // replaced node group, a node whose last pod is terminating) keeps serving, so neither a
        // rollout nor a node drain leaves the load balancer sending to a node that drops requests.
        // Pods see the forwarding node's address; the client's is in X-Forwarded-For.
        // (Only a NodePort or LoadBalancer Service takes one.)
        externalTrafficPolicy: props.nodePort === undefined ? undefined : "Cluster",
        port: [{ name: "http", port: 80, targetPort: "http", nodePort: props.nodePort, protocol: "TCP" }],
      },
    });

    if (props.canary) {
      checkValue(this, "canary.nodePort", props.canary.nodePort, kinds.nodePort);
      if (isKnown(props.canary.nodePort) && props.canary.nodePort === props.nodePort) invalid(this, "canary.nodePort", props.canary.nodePort, `a node port other than nodePort (${props.nodePort})`);
      // Selects canary pods only, and the stable selector (component: server) never selects them.
      const canaryLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "canary" };
      const canaryName = `${name}-canary`;
      this.canaryDeployment = new DeploymentV1(this, "CanaryDeployment", {
        metadata: { name: canaryName, namespace, labels: { ...commonLabels, ...canaryLabels } },
        waitForRollout: false,
        dependsOn: secretProviderClasses.length > 0 ? secretProviderClasses : undefined,
        spec: {
          // At rest no canary runs: the pipeline scales it up for a release and back to 0 after.
          replicas: "0",
          revisionHistoryLimit: 2,
          selector: { matchLabels: canaryLabels },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "0", maxSurge: "25%" } },
          template: podTemplate(canaryLabels, { ...canaryLabels, [TRACK_LABEL]: "canary" }),
        },
        lifecycle: { ignoreChanges: ["spec[0].template[0].spec[0].container[0].image", "spec[0].replicas"] },
      });
      this.canaryService = new ServiceV1(this, "CanaryService", {
        metadata: { name: canaryName, namespace, labels: { ...commonLabels, ...canaryLabels } },
        spec: {
          type: "NodePort",
          selector: canaryLabels,
          externalTrafficPolicy: "Cluster",
          port: [{ name: "http", port: 80, targetPort: "http", nodePort: props.canary.nodePort, protocol: "TCP" }],
        },
      });
      new NetworkPolicyV1(this, "CanaryIngressPolicy", {
        metadata: { name: `${canaryName}-ingress`, namespace, labels: commonLabels },
        spec: {
          podSelector: { matchLabels: canaryLabels },
          policyTypes: ["Ingress"],
          ingress: [{ from: (props.ingressFromCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: String(props.port), protocol: "TCP" }] }],
        },
      });
    }

    this.autoscaler = new HorizontalPodAutoscalerV2(this, "Autoscaler", {
      metadata: { name, namespace, labels: commonLabels },
      spec: {
        minReplicas: props.replicas.min,
        maxReplicas: props.replicas.max,
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
        metric: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: targetCpu } } }],
      },
    });

    // maxUnavailable 1 rather than minAvailable: it follows the autoscaler's replica count (a fixed
    // minAvailable would block every drain whenever the app sits at that count), lets node upgrades
    // proceed one pod at a time, and never deadlocks a single-replica app (minAvailable 1 with one
    // replica would stall every node drain). With min >= 2 at least min - 1 pods always serve.
    this.disruptionBudget = new PodDisruptionBudgetV1(this, "DisruptionBudget", {
      metadata: { name, namespace, labels: commonLabels },
      spec: { maxUnavailable: "1", selector: { matchLabels: serverLabels } },
    });

    // Network policies (enforced on EKS by the VPC CNI's network policy agent; kubelet probes from
    // the node are always allowed). Everything in the namespace is denied unless allowed below.
    new NetworkPolicyV1(this, "DefaultDenyPolicy", {
      metadata: { name: "default-deny", namespace, labels: commonLabels },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    new NetworkPolicyV1(this, "IngressPolicy", {
      metadata: { name: `${name}-ingress`, namespace, labels: commonLabels },
      spec: {
        podSelector: { matchLabels: serverLabels },
        policyTypes: ["Ingress"],
        // Requests come from the nodes (externalTrafficPolicy Cluster translates the source to the
        // forwarding node), and policies see the pod's port after the node port is translated.
        ingress: [
          {
            // Without CIDRs (no node port), only the namespace's own pods: `podSelector: {}`.
            from: props.ingressFromCidrs ? props.ingressFromCidrs.map((cidr) => ({ ipBlock: { cidr } })) : [{ podSelector: {} }],
            ports: [{ port: String(props.port), protocol: "TCP" }],
          },
        ],
      },
    });
    const dnsEgress: NetworkPolicyV1SpecEgress = {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
          podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
        },
      ],
      ports: [
        { port: "53", protocol: "UDP" },
        { port: "53", protocol: "TCP" },
      ],
    };
    const egress: NetworkPolicyV1SpecEgress[] = [dnsEgress];
    if (props.databaseEgress) {
      egress.push({
        to: props.databaseEgress.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
        ports: [{ port: String(props.databaseEgress.port), protocol: "TCP" }],
      });
    }
    for (const rule of extraEgress) {
      egress.push({ to: [{ ipBlock: { cidr: rule.cidr } }], ports: [{ port: String(rule.port), protocol: rule.protocol ?? "TCP" }] });
    }
    // App and migration pods alike: both need DNS and the database.
    new NetworkPolicyV1(this, "EgressPolicy", {
      metadata: { name: `${name}-egress`, namespace, labels: commonLabels },
      spec: { podSelector: { matchLabels: anyPodOfApp }, policyTypes: ["Egress"], egress },
    });

    if (props.migrateCommand !== undefined) {
      this.migrationTemplateName = `${name}-migrate`;
      const command = typeof props.migrateCommand === "string" ? ["/bin/sh", "-c", props.migrateCommand] : props.migrateCommand;
      // Its own service account, so its own Pod Identity: the schema owner's rights are never the server's.
      const migrationAccount = new ServiceAccountV1(this, "MigrationServiceAccount", {
        metadata: { name: `${name}-migrate`, namespace, labels: { ...commonLabels, ...migrateLabels } },
        automountServiceAccountToken: automount,
      });
      this.migrationServiceAccountName = `${name}-migrate`;
      // The owner's role replaces the app's (a container's env wins over its envFrom).
      const migrateEnv = [...(externalEnv ?? []), ...(database ? [{ name: "DATABASE_USER", value: database.migrationUsername }] : [])];
      this.migrationTemplate = new CronJobV1(this, "MigrationTemplate", {
        metadata: { name: this.migrationTemplateName, namespace, labels: { ...commonLabels, ...migrateLabels } },
        dependsOn: secretProviderClasses.length > 0 ? secretProviderClasses : undefined,
        spec: {
          // Never runs on its own: the pipeline creates Jobs from it (`kubectl create job --from`).
          suspend: true,
          schedule: NEVER,
          concurrencyPolicy: "Forbid",
          jobTemplate: {
            metadata: { labels: { ...commonLabels, ...migrateLabels } },
            spec: {
              // A failed migration is not retried blindly: the Job fails and the pipeline stops the rollout.
              backoffLimit: 0,
              activeDeadlineSeconds: migrateTimeoutSeconds,
              // Finished Jobs (and their logs) are kept a day, then removed.
              ttlSecondsAfterFinished: "86400",
              template: {
                metadata: { labels: { ...commonLabels, ...migrateLabels } },
                spec: {
                  ...podBasics,
                  serviceAccountName: migrationAccount.metadata.name,
                  restartPolicy: "Never",
                  container: [
                    {
                      name: MIGRATE_CONTAINER_NAME,
                      image: props.image,
                      imagePullPolicy: "IfNotPresent",
                      command,
                      envFrom,
                      env: migrateEnv.length > 0 ? migrateEnv : undefined,
                      resources,
                      securityContext: containerSecurityContext,
                      volumeMount: volumeMounts,
                    },
                  ],
                },
              },
            },
          },
        },
        lifecycle: {
          // The pipeline sets the image to the digest it is about to roll out.
          ignoreChanges: ["spec[0].job_template[0].spec[0].template[0].spec[0].container[0].image"],
        },
      });
    }

    if (props.integrationTestCommand !== undefined) {
      this.integrationTestTemplateName = `${name}-integration-test`;
      const command = typeof props.integrationTestCommand === "string" ? ["/bin/sh", "-c", props.integrationTestCommand] : props.integrationTestCommand;
      // Not `app.kubernetes.io/name: <name>`: nothing that selects the app's pods (its network
      // policies, its pods' security group) selects these; they reach the app as its users do.
      const labels = {
        "app.kubernetes.io/name": this.integrationTestTemplateName,
        "app.kubernetes.io/part-of": name,
        "app.kubernetes.io/component": "integration-test",
        "app.kubernetes.io/managed-by": "terraform",
      };
      this.integrationTestTemplate = new CronJobV1(this, "IntegrationTestTemplate", {
        metadata: { name: this.integrationTestTemplateName, namespace, labels },
        spec: {
          // A template like the migration's: the pipeline creates a Job from it after each rollout.
          suspend: true,
          schedule: NEVER,
          concurrencyPolicy: "Forbid",
          jobTemplate: {
            metadata: { labels },
            spec: {
              // A failing test is a failed deploy, not something to retry until it passes.
              backoffLimit: 0,
              activeDeadlineSeconds: integrationTestTimeoutSeconds,
              ttlSecondsAfterFinished: "86400",
              template: {
                metadata: { labels },
                spec: {
                  ...podBasics,
                  restartPolicy: "Never",
                  container: [
                    {
                      name: INTEGRATION_TEST_CONTAINER_NAME,
                      image: props.image,
                      imagePullPolicy: "IfNotPresent",
                      command,
                      // The tests see the app as its users do: its URL, none of its configuration or secrets.
                      env: [{ name: "APP_URL", value: props.integrationTestUrl }],
                      resources,
                      securityContext: containerSecurityContext,
                      volumeMount: volumeMounts,
                    },
                  ],
                },
              },
            },
          },
        },
        lifecycle: {
          ignoreChanges: ["spec[0].job_template[0].spec[0].template[0].spec[0].container[0].image"],
        },
      });
      new NetworkPolicyV1(this, "IntegrationTestEgressPolicy", {
        metadata: { name: `${name}-integration-test-egress`, namespace, labels: commonLabels },
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": this.integrationTestTemplateName, "app.kubernetes.io/component": "integration-test" } },
          policyTypes: ["Egress"],
          // DNS, and HTTPS to public addresses (the app's URL, behind its CDN); the namespace's default deny does the rest.
          egress: [dnsEgress, { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_CIDRS } }], ports: [{ port: "443", protocol: "TCP" }] }],
        },
      });
    }
    this.deployRules = deployRules(this.deploymentName, [this.migrationTemplateName, this.integrationTestTemplateName].filter((t): t is string => t !== undefined), props.canary !== undefined);
  }

  /**
   * Lets the deploy Role create Jobs from a suspended CronJob made elsewhere in the namespace, e.g.
   * the database setup template, without changing it (`get` only, never `patch`: its image and
   * command stay what Terraform set). Call before {@link grantDeploy}.
   * @param templateName the CronJob's name
   */
  public allowDeployToRun(templateName: string): void {
    if (this.deployAccess) invalid(this, "allowDeployToRun", templateName, "a call before grantDeploy");
    if (!isKnown(templateName) || !NAME_PATTERN.test(templateName)) invalid(this, "allowDeployToRun.templateName", templateName, "a literal CronJob name, e.g. shop-db-setup");
    this.runOnlyTemplates.push(templateName);
    const rules = this.deployRules as DeployRule[];
    const runOnly = { apiGroups: ["batch"], resources: ["cronjobs"], resourceNames: [...this.runOnlyTemplates], verbs: ["get"] };
    const at = rules.findIndex((r) => r.resources[0] === "cronjobs" && r.verbs.join() === "get");
    if (at >= 0) rules[at] = runOnly;
    else rules.push(runOnly);
    // create job --from, then poll it (as for the app's own templates).
    if (!rules.some((r) => r.resources[0] === "jobs")) rules.push({ apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch"] });
  }

  /**
   * Lets the members of a Kubernetes group deploy this app as the delivery pipeline does, and do
   * nothing else: a Role `<name>-deploy` in the namespace holding {@link deployRules}, and a
   * RoleBinding `<name>-deploy` of the group to it. Map the deploy job's IAM role into the group
   * with an EKS access entry that has no access policy (`GithubActionsRole.allowEksGroup`), so
   * this Role is all it can do in the cluster. Further groups join the same binding.
   * @param group a Kubernetes group name unique to this app and environment, e.g.
   *   `slipway-deploy:shop-prod`: 1-253 printable characters without spaces, not starting with
   *   `system:`, `eks:`, `aws:`, `amazon:` or `iam:` (names EKS keeps for itself)
   * @returns the RoleBinding
   */
  public grantDeploy(group: string): RoleBindingV1 {
    if (!isKnown(group) || !/^[\x21-\x7e]{1,253}$/.test(group) || RESERVED_GROUP.test(group)) {
      invalid(this, "grantDeploy.group", group, "a literal Kubernetes group name of 1-253 printable characters without spaces, not starting with system:, eks:, aws:, amazon: or iam:, e.g. slipway-deploy:shop-prod");
    }
    if (this.deployAccess) {
      if (this.deployAccess.groups.includes(group)) invalid(this, "grantDeploy.group", group, "a group not yet granted deploy access to this workload");
      this.deployAccess.groups.push(group);
      return this.deployAccess.binding;
    }
    const name = `${this.deploymentName}-deploy`;
    const role = new RoleV1(this, "DeployRole", {
      metadata: { name, namespace: this.namespace, labels: this.labels },
      rule: this.deployRules.map((rule) => ({
        apiGroups: [...rule.apiGroups],
        resources: [...rule.resources],
        verbs: [...rule.verbs],
        ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
      })),
    });
    const groups = [group];
    const binding = new RoleBindingV1(this, "DeployRoleBinding", {
      metadata: { name, namespace: this.namespace, labels: this.labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      // Resolved at synth, so later grants join; written as Terraform names (the provider's mapping is skipped for a lazy value).
      subject: Lazy.anyValue({ produce: () => groups.map((g) => ({ kind: "Group", name: g, api_group: "rbac.authorization.k8s.io" })) }),
    });
    this.deployAccess = { role, binding, groups };
    return binding;
  }

  private validate(
    props: KubernetesWorkloadProps,
    v: {
      namespaceName: string;
      cpu: string;
      memory: string;
      targetCpu: number;
      env: Record<string, string>;
      secretEnv: Record<string, string>;
      extraEgress: WorkloadEgressRule[];
      migrateTimeoutSeconds: number;
      integrationTestTimeoutSeconds: number;
    },
  ): void {
    const { name } = props;
    if (isKnown(name) && (name.length > 40 || !NAME_PATTERN.test(name))) {
      invalid(this, "name", name, "a DNS label of at most 40 characters: lower-case letters, digits and '-', starting with a letter, not ending with '-'");
    }
    const ns = v.namespaceName;
    if (isKnown(ns)) {
      if (ns.length > 63 || !NAMESPACE_PATTERN.test(ns)) {
        invalid(this, "namespace", ns, "a DNS label of at most 63 characters: lower-case letters, digits and '-'");
      }
      if (ns === "default" || ns.startsWith("kube-")) {
        invalid(this, "namespace", ns, "a namespace this workload owns: not 'default' nor a 'kube-' system namespace");
      }
    }
    if (isKnown(props.image) && !/^[^\s]+$/.test(props.image)) {
      invalid(this, "image", props.image, "a container image reference without spaces, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:bootstrap");
    }
    checkValue(this, "port", props.port, kinds.containerPort);
    checkValue(this, "healthPath", props.healthPath, kinds.healthCheckPath);
    checkValue(this, "cpu", v.cpu, kinds.cpuQuantity);
    const limit = props.cpuLimit;
    if (limit !== undefined && isKnown(limit)) {
      checkValue(this, "cpuLimit", limit, kinds.cpuQuantity);
      if (isKnown(v.cpu) && millicores(limit) < millicores(v.cpu)) invalid(this, "cpuLimit", limit, `a CPU quantity at least cpu (${v.cpu})`);
    }
    checkValue(this, "memory", v.memory, kinds.memoryQuantity);
    const { min, max } = props.replicas;
    if (isKnown(min) && (!Number.isInteger(min) || min < 1)) invalid(this, "replicas.min", min, "a whole number of pods, at least 1");
    if (isKnown(max) && (!Number.isInteger(max) || max < 1)) invalid(this, "replicas.max", max, "a whole number of pods, at least 1");
    if (isKnown(min) && isKnown(max) && min > max) {
      invalid(this, "replicas.min", min, `at most replicas.max (${max}): 1 <= min <= max`);
    }
    if (isKnown(v.targetCpu) && (!Number.isInteger(v.targetCpu) || v.targetCpu < 1 || v.targetCpu > 100)) {
      invalid(this, "targetCpuUtilizationPercent", v.targetCpu, "a whole percentage of the CPU request from 1 to 100");
    }
    for (const [field, vars] of [
      ["env", v.env],
      ["secretEnv", v.secretEnv],
    ] as const) {
      if (!isKnown(vars)) continue;
      for (const key of Object.keys(vars)) {
        checkValue(this, field, key, kinds.environmentVariableName);
      }
    }
    if (isKnown(v.env) && isKnown(v.secretEnv)) {
      const both = Object.keys(v.secretEnv).find((key) => key in v.env);
      if (both !== undefined) invalid(this, "secretEnv", both, "names not also in env (one source per variable)");
    }
    const external = props.externalSecrets ?? [];
    if (!isKnown(external)) invalid(this, "externalSecrets", external, "a list of names known at synth");
    const seen = new Set<string>();
    external.forEach((key, i) => {
      if (!isKnown(key)) invalid(this, `externalSecrets[${i}]`, key, "a name known at synth");
      checkValue(this, `externalSecrets[${i}]`, key, kinds.environmentVariableName);
      if (seen.has(key)) invalid(this, `externalSecrets[${i}]`, key, "names listed once");
      seen.add(key);
      if ((isKnown(v.env) && key in v.env) || (isKnown(v.secretEnv) && key in v.secretEnv)) {
        invalid(this, `externalSecrets[${i}]`, key, "names in neither env nor secretEnv (one source per variable)");
      }
    });
    const storeKeys = props.secretStore ? Object.keys(props.secretStore.secretIds) : [];
    storeKeys.forEach((key) => {
      checkValue(this, "secretStore.secretIds", key, kinds.environmentVariableName);
      for (const name of [key, `${key}_FILE`]) {
        if ((isKnown(v.env) && name in v.env) || (isKnown(v.secretEnv) && name in v.secretEnv) || external.includes(name) || (name !== key && storeKeys.includes(name))) {
          invalid(this, "secretStore.secretIds", key, `names whose ${name === key ? "variable" : `${name} variable`} is in none of env, secretEnv, externalSecrets and the other secrets (one source per variable)`);
        }
      }
    });
    if (props.database) {
      const storeVariables = storeKeys.flatMap((key) => [key, `${key}_FILE`]);
      const taken = (key: string) => (isKnown(v.env) && key in v.env) || (isKnown(v.secretEnv) && key in v.secretEnv) || external.includes(key) || storeVariables.includes(key);
      const clash = DATABASE_VARIABLES.find(taken);
      if (clash) invalid(this, "database", clash, `none of ${DATABASE_VARIABLES.join(", ")} in env, secretEnv, externalSecrets or secretStore: database sets them`);
      this.validatePort("database.port", props.database.port);
      for (const field of ["username", "migrationUsername"] as const) {
        const role = props.database[field];
        if (isKnown(role) && !/^[a-z][a-z0-9_]{0,62}$/.test(role)) invalid(this, `database.${field}`, role, "a PostgreSQL role name: a lower-case letter, then up to 62 lower-case letters, digits or '_', e.g. shop_app");
      }
      const ca = props.database.sslRootCertFile;
      if (isKnown(ca) && !/^\/[A-Za-z0-9._\/-]+$/.test(ca)) invalid(this, "database.sslRootCertFile", ca, "an absolute file path in the pods, e.g. /etc/ssl/rds/global-bundle.pem");
    }
    if (props.nodePort !== undefined) checkValue(this, "nodePort", props.nodePort, kinds.nodePort);
    // One `ip_block` per CIDR: the lists must be known at synth (their CIDRs may be references).
    const listKnown = "a list known at synth, e.g. Network.publicSubnetCidrs (its items may be references)";
    const ingressFrom = props.ingressFromCidrs ?? [];
    if ((props.nodePort !== undefined || props.canary !== undefined) && props.ingressFromCidrs === undefined) {
      invalid(this, "ingressFromCidrs", undefined, "the load balancer's subnets' IPv4 CIDRs, e.g. Network.publicSubnetCidrs: a node port is reachable from the VPC, so the pods admit only those");
    }
    if (!isKnown(ingressFrom)) invalid(this, "ingressFromCidrs", ingressFrom, listKnown);
    if (props.ingressFromCidrs !== undefined && ingressFrom.length === 0) invalid(this, "ingressFromCidrs", ingressFrom, "at least one IPv4 CIDR: the load balancer's subnets");
    ingressFrom.forEach((cidr, i) => {
      this.validateCidr(`ingressFromCidrs[${i}]`, cidr);
      if (isKnown(cidr) && parseCidr(cidr)!.prefix === 0) {
        invalid(this, `ingressFromCidrs[${i}]`, cidr, "the load balancer's subnets' CIDRs, not the whole internet");
      }
    });
    if (props.databaseEgress) {
      const { cidrs, port } = props.databaseEgress;
      if (!isKnown(cidrs)) invalid(this, "databaseEgress.cidrs", cidrs, listKnown);
      if (cidrs.length === 0) invalid(this, "databaseEgress.cidrs", cidrs, "at least one IPv4 CIDR: the database's subnets");
      cidrs.forEach((cidr, i) => this.validateCidr(`databaseEgress.cidrs[${i}]`, cidr));
      this.validatePort("databaseEgress.port", port);
    }
    if (isKnown(v.extraEgress)) {
      v.extraEgress.forEach((rule, i) => {
        this.validateCidr(`extraEgress[${i}].cidr`, rule.cidr);
        this.validatePort(`extraEgress[${i}].port`, rule.port);
        if (rule.protocol !== undefined && rule.protocol !== "TCP" && rule.protocol !== "UDP") {
          invalid(this, `extraEgress[${i}].protocol`, rule.protocol, "TCP or UDP");
        }
      });
    }
    if (props.serviceAccountRoleArn !== undefined) checkValue(this, "serviceAccountRoleArn", props.serviceAccountRoleArn, kinds.iamRoleArn);
    const command = props.migrateCommand;
    if (command !== undefined && isKnown(command)) {
      const empty = typeof command === "string" ? command.trim() === "" : command.length === 0 || command.some((part) => isKnown(part) && part === "");
      if (empty) invalid(this, "migrateCommand", command, "a non-empty shell command, or a non-empty list of non-empty arguments");
      if (typeof command === "string") checkValue(this, "migrateCommand", command, kinds.shellCommand);
    }
    const files = props.readOnlyFiles;
    if (files && isKnown(files.directory) && !(/^\/[A-Za-z0-9._\/-]*$/.test(files.directory) && !["/", "/tmp"].includes(files.directory.replace(/\/+$/, "") || "/"))) {
      invalid(this, "readOnlyFiles.directory", files.directory, "an absolute directory path other than / and /tmp, e.g. /etc/ssl/rds");
    }
    for (const key of Object.keys(files?.files ?? {})) {
      if (!/^[A-Za-z0-9._-]+$/.test(key)) invalid(this, "readOnlyFiles.files", key, "file names of letters, digits, '.', '_' and '-'");
    }
    const timeout = v.migrateTimeoutSeconds;
    if (isKnown(timeout) && (!Number.isInteger(timeout) || timeout < 1)) {
      invalid(this, "migrateTimeoutSeconds", timeout, "a whole number of seconds, at least 1");
    }
    const itest = props.integrationTestCommand;
    if (itest !== undefined && isKnown(itest)) {
      const empty = typeof itest === "string" ? itest.trim() === "" : itest.length === 0 || itest.some((part) => isKnown(part) && part === "");
      if (empty) invalid(this, "integrationTestCommand", itest, "a non-empty shell command, or a non-empty list of non-empty arguments");
      if (typeof itest === "string") checkValue(this, "integrationTestCommand", itest, kinds.shellCommand);
    }
    const url = props.integrationTestUrl;
    if (itest !== undefined && (url === undefined || (isKnown(url) && !/^https:\/\/[^\s/]+$/.test(url)))) {
      invalid(this, "integrationTestUrl", url, "the app's public URL with integrationTestCommand, https://<domain> without a path, e.g. https://shop.example.com");
    }
    const itestTimeout = v.integrationTestTimeoutSeconds;
    if (isKnown(itestTimeout) && (!Number.isInteger(itestTimeout) || itestTimeout < 1)) {
      invalid(this, "integrationTestTimeoutSeconds", itestTimeout, "a whole number of seconds, at least 1");
    }
  }

  private validatePort(field: string, port: number): void {
    checkValue(this, field, port, kinds.port);
  }

  private validateCidr(field: string, cidr: string): void {
    checkValue(this, field, cidr, kinds.ipv4Cidr);
  }
}

/**
 * What the delivery pipeline's deploy job runs with `kubectl` in the namespace, as RBAC rules.
 * Names are narrowed where the object's name is known; `list`/`watch` on the Deployment work with
 * its name because `kubectl rollout status` lists and watches with a `metadata.name` field selector.
 */
function deployRules(deploymentName: string, jobTemplateNames: string[], canary = false): DeployRule[] {
  const canaryName = `${deploymentName}-canary`;
  return [
    // set image (get, patch), rollout status (get, then list and watch by name), rollout undo (get, patch).
    { apiGroups: ["apps"], resources: ["deployments"], resourceNames: canary ? [deploymentName, canaryName] : [deploymentName], verbs: ["get", "list", "watch", "patch"] },
    // kubectl scale of the canary only: the autoscaler owns the stable Deployment's replicas.
    ...(canary ? [{ apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [canaryName], verbs: ["patch"] }] : []),
    // rollout undo finds the previous revision among the Deployment's ReplicaSets (generated names).
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
    // Logs of the migration Job's pod (found by listing, or watching until it exists), and of a failed rollout's pods.
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ...(jobTemplateNames.length === 0
      ? []
      : [
          // set image on the templates (migration, integration tests) (get, patch); create job --from reads them.
          { apiGroups: ["batch"], resources: ["cronjobs"], resourceNames: jobTemplateNames, verbs: ["get", "patch"] },
          // create job <per-run name> --from=cronjob/..., then poll it: names are per run, so not narrowed.
          { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch"] },
        ]),
  ];
}

/** Twice a CPU quantity, in whole cores when it is a whole number of them: `250m` -> `500m`, `1` -> `2`. */
function doubleCpu(quantity: string): string {
  // An unresolved request cannot be doubled at synth: the limit equals it.
  if (!isKnown(quantity)) return quantity;
  const doubled = millicores(quantity) * 2;
  return doubled % 1000 === 0 ? String(doubled / 1000) : `${doubled}m`;
}

/** SHA-256 of the plain configuration (keys sorted, so it is deterministic); Terraform hashes it when values are references. */
function configHash(env: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.keys(env).sort().map((key) => [key, env[key]]));
  const json = JSON.stringify(sorted);
  return isKnown(json) ? createHash("sha256").update(json).digest("hex") : Fn.sha256(Fn.jsonencode(sorted));
}
