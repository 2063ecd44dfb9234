/**
 * What an app's pull-request previews need in the host environment's cluster, made once by
 * Terraform: the namespace `<app>-previews` with the router (nginx, a NodePort Service the load
 * balancer's `pr-*` rule targets, proxying `pr-<n>.<domain>` to `app.<app>-pr-<n>`), the database
 * Job's service account and CA bundle, the preview identity's RBAC (ClusterRoles bound per preview
 * namespace, a ClusterRole for namespaces, quotas and bindings) and the admission policies that
 * narrow it: only namespaces `<app>-pr-<n>` with restricted Pod Security, bindings of the preview
 * ClusterRoles only, the preview security group only, and the database Job's pods exactly as
 * Slipway renders them. The per-preview objects are the templates of `preview-templates.ts`.
 */
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { ClusterRoleV1, ClusterRoleV1Rule } from "@cdktf/provider-kubernetes/lib/cluster-role-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Construct } from "constructs";
import { DATABASE_SETUP_IMAGE } from "./database-setup";
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, RESTRICTED_NAMESPACE_LABELS } from "./kubernetes-workload";
import {
  PREVIEW_LABEL,
  previewClusterRoleNames,
  previewDatabaseJob,
  previewDatabaseJobContainers,
  previewDatabaseJobFixedEnv,
  previewDatabaseServiceAccountName,
  previewHostNamespaceName,
  previewManifest,
  previewTaskJob,
  PreviewTemplateProps,
} from "./preview-templates";
import { invalid, isKnown } from "./util";
import * as kinds from "./validators";
import { checkValue } from "./validators";
import { WorkloadSecurityGroup } from "./workload-security-group";

/**
 * The router's image, pinned by digest (the multi-architecture index of the official
 * `nginxinc/nginx-unprivileged:1.29-alpine`): runs as a non-root user on 8080. Move tag and digest together.
 */
export const PREVIEW_ROUTER_IMAGE = "docker.io/nginxinc/nginx-unprivileged:1.29-alpine@sha256:0c79d56aee561a1d81c63f00eee5fb5fe29279560cdc55e91425133104c7fbe6";
/** The router's own health path, answered for the load balancer's checks (any Host but a preview's). */
export const PREVIEW_ROUTER_HEALTH_PATH = "/slipway-router-health";
const ROUTER_PORT = 8080;

/** Props of {@link PreviewHost}. */
export interface PreviewHostProps extends Omit<PreviewTemplateProps, "database"> {
  /** The NodePort (30000-32767) of the router's Service: the load balancer's `pr-*` rule forwards there. */
  readonly routerNodePort: number;
  /** Where requests to the router come from (the nodes' subnets: NodePort traffic is forwarded by the nodes). */
  readonly ingressFromCidrs: readonly string[];
  /**
   * The database server of the previews; undefined with `database: none` (no database Job, no
   * security group, no database writer).
   * @default none
   */
  readonly database?: {
    readonly host: string;
    readonly port: number;
    readonly databaseName: string;
    readonly region: string;
    readonly cidrs: readonly string[];
    /** The RDS CA bundle (PEM): the database Job verifies the server, and hands it to each preview. */
    readonly caBundlePem: string;
    /** The VPC and the cluster security group, for the preview pods' own security group. */
    readonly vpcId: string;
    readonly clusterSecurityGroupId: string;
  };
  /**
   * The image the database Job runs `psql` (15 or later) from.
   * @default DATABASE_SETUP_IMAGE
   */
  readonly databaseJobImage?: string;
}

/** The objects made once in the host cluster for an app's previews (see the file comment). */
export class PreviewHost extends Construct {
  /** The `<app>-previews` namespace (a reference: objects in it wait for it). */
  public readonly namespace: string;
  /** The namespace resource (construct id `Namespace`). */
  public readonly namespaceResource: NamespaceV1;
  /** The router's NodePort Service. */
  public readonly routerService: ServiceV1;
  /** The router's Deployment (construct id `Resource`). */
  public readonly router: DeploymentV1;
  /** The database Job's service account name (`<app>-preview-db`); undefined without a database. */
  public readonly databaseServiceAccountName?: string;
  /** The preview pods' and the database Job's security group, which the database admits; undefined without a database. */
  public readonly podSecurityGroup?: WorkloadSecurityGroup;
  /** The ClusterRoles: inside a preview namespace, the database Job's Secret writer, and the namespaces/bindings manager. */
  public readonly clusterRoles: { readonly deployer: ClusterRoleV1; readonly databaseWriter?: ClusterRoleV1; readonly manager: ClusterRoleV1 };
  /** The admission policies (with their bindings, `Deny`) by name. */
  public readonly admissionPolicies: Readonly<Record<string, Manifest>>;
  /** `PREVIEW_MANIFEST`, `PREVIEW_TASK_JOB` and (with a database) `PREVIEW_DB_JOB`. */
  public readonly templates: { readonly manifest: string; readonly taskJob: string; readonly databaseJob?: string };

  constructor(scope: Construct, id: string, props: PreviewHostProps) {
    super(scope, id);
    const { app, group } = props;
    if (isKnown(app) && !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(app)) invalid(this, "app", app, "a DNS label, e.g. shop");
    checkValue(this, "routerNodePort", props.routerNodePort, kinds.nodePort);
    if (isKnown(props.domain) && kinds.domainName.problem(props.domain) !== undefined) invalid(this, "domain", props.domain, kinds.domainName.accepted);
    const hostNamespace = previewHostNamespaceName(app);
    const roles = previewClusterRoleNames(app);
    const common = { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "slipway-previews", "app.kubernetes.io/managed-by": "terraform" };

    this.namespaceResource = new NamespaceV1(this, "Namespace", { metadata: { name: hostNamespace, labels: { ...common, ...RESTRICTED_NAMESPACE_LABELS } } });
    const namespace = (this.namespace = this.namespaceResource.metadata.name);

    // --- Router ------------------------------------------------------------------------------
    const routerLabels = { "app.kubernetes.io/name": app, "app.kubernetes.io/component": "preview-router" };
    const config = new ConfigMapV1(this, "RouterConfig", { metadata: { name: "preview-router", namespace, labels: { ...common, ...routerLabels } }, data: { "nginx.conf": routerConfig(app, props.domain) } });
    const id10001 = Number(POD_SECURITY_CONTEXT.runAsUser);
    this.router = new DeploymentV1(this, "Resource", {
      metadata: { name: "preview-router", namespace, labels: { ...common, ...routerLabels } },
      waitForRollout: false,
      spec: {
        replicas: "2",
        selector: { matchLabels: routerLabels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "0", maxSurge: "1" } },
        template: {
          // A new configuration rolls the pods.
          metadata: { labels: routerLabels, annotations: { "slipway.dev/config": config.id } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { ...POD_SECURITY_CONTEXT, runAsUser: String(id10001), seccompProfile: { ...POD_SECURITY_CONTEXT.seccompProfile } },
            volume: [
              { name: "config", configMap: { name: config.metadata.name, defaultMode: "0444" } },
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ],
            container: [
              {
                name: "nginx",
                image: PREVIEW_ROUTER_IMAGE,
                imagePullPolicy: "IfNotPresent",
                port: [{ name: "http", containerPort: ROUTER_PORT, protocol: "TCP" }],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                readinessProbe: { httpGet: { path: PREVIEW_ROUTER_HEALTH_PATH, port: "http" }, periodSeconds: 5, timeoutSeconds: 3 },
                livenessProbe: { httpGet: { path: PREVIEW_ROUTER_HEALTH_PATH, port: "http" }, periodSeconds: 20, timeoutSeconds: 3 },
                securityContext: { ...CONTAINER_SECURITY_CONTEXT, capabilities: { drop: [...CONTAINER_SECURITY_CONTEXT.capabilities.drop] }, seccompProfile: { ...CONTAINER_SECURITY_CONTEXT.seccompProfile } },
                volumeMount: [
                  { name: "config", mountPath: "/etc/nginx/nginx.conf", subPath: "nginx.conf", readOnly: true },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
          },
        },
      },
    });
    this.routerService = new ServiceV1(this, "RouterService", {
      metadata: { name: "preview-router", namespace, labels: { ...common, ...routerLabels } },
      spec: { type: "NodePort", selector: routerLabels, externalTrafficPolicy: "Cluster", port: [{ name: "http", port: 80, targetPort: "http", nodePort: props.routerNodePort, protocol: "TCP" }] },
    });
    new NetworkPolicyV1(this, "DefaultDenyPolicy", { metadata: { name: "default-deny", namespace, labels: common }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
    new NetworkPolicyV1(this, "RouterPolicy", {
      metadata: { name: "preview-router", namespace, labels: common },
      spec: {
        podSelector: { matchLabels: routerLabels },
        policyTypes: ["Ingress", "Egress"],
        // From the nodes (the load balancer's NodePort traffic), to the preview namespaces' app port and DNS.
        ingress: [{ from: props.ingressFromCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: String(ROUTER_PORT), protocol: "TCP" }] }],
        egress: [
          { to: [{ namespaceSelector: { matchLabels: { [PREVIEW_LABEL]: app } }, podSelector: { matchLabels: { "app.kubernetes.io/name": app, "app.kubernetes.io/component": "server" } } }], ports: [{ port: String(props.port), protocol: "TCP" }] },
          dnsEgress(),
        ],
      },
    });

    // --- Database Job --------------------------------------------------------------------------
    let templateDatabase: PreviewTemplateProps["database"];
    let databaseWriter: ClusterRoleV1 | undefined;
    const policies: Record<string, Manifest> = {};
    if (props.database) {
      const db = props.database;
      const serviceAccount = new ServiceAccountV1(this, "DatabaseServiceAccount", {
        metadata: { name: previewDatabaseServiceAccountName(app), namespace, labels: common },
        automountServiceAccountToken: false,
      });
      this.databaseServiceAccountName = serviceAccount.metadata.name;
      const ca = new ConfigMapV1(this, "DatabaseCa", { metadata: { name: "rds-ca", namespace, labels: common }, data: { "rds-ca.pem": db.caBundlePem } });
      this.podSecurityGroup = new WorkloadSecurityGroup(this, "PodSecurityGroup", {
        name: `${app}-previews`,
        vpcId: db.vpcId,
        namespace,
        podLabels: { "app.kubernetes.io/name": app, "app.kubernetes.io/component": "preview-db" },
        clusterSecurityGroupId: db.clusterSecurityGroupId,
      });
      // The router (on the nodes) reaches the preview pods, which carry this group too.
      this.podSecurityGroup.allowIngressFrom({ securityGroupId: db.clusterSecurityGroupId }, props.port, `Requests from the preview router of ${app}`, "IngressFromRouter");
      // The database Job writes the preview's Secret through the Kubernetes API (its endpoints carry the cluster group).
      this.podSecurityGroup.allowEgressTo({ securityGroupId: db.clusterSecurityGroupId }, 443, "The Kubernetes API", "EgressKubernetesApi");
      new VpcSecurityGroupIngressRule(this, "ClusterIngressKubernetesApi", {
        securityGroupId: db.clusterSecurityGroupId,
        referencedSecurityGroupId: this.podSecurityGroup.securityGroupId,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: `The Kubernetes API from the preview database Job of ${app}`,
        tags: { Name: `${app}-previews-pods-api` },
      });
      new NetworkPolicyV1(this, "DatabaseJobPolicy", {
        metadata: { name: "preview-db", namespace, labels: common },
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": app, "app.kubernetes.io/component": "preview-db" } },
          policyTypes: ["Egress"],
          egress: [
            { to: db.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: String(db.port), protocol: "TCP" }] },
            // The Kubernetes API (its endpoints are in the VPC) and the Pod Identity agent on the node.
            { to: db.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: "443", protocol: "TCP" }] },
            { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ port: "80", protocol: "TCP" }] },
            dnsEgress(),
          ],
        },
      });
      templateDatabase = { host: db.host, port: db.port, databaseName: db.databaseName, region: db.region, cidrs: db.cidrs, podSecurityGroupId: this.podSecurityGroup.securityGroupId, caBundle: { configMapName: ca.metadata.name, file: "rds-ca.pem" } };
      databaseWriter = new ClusterRoleV1(this, "DatabaseWriterRole", {
        metadata: { name: roles.databaseWriter, labels: common },
        rule: [
          { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
          { apiGroups: [""], resources: ["secrets"], resourceNames: ["database"], verbs: ["update"] },
        ],
      });
      policies.databaseJob = this.guard("DatabaseJobGuard", `slipway-${app}-preview-db`, {
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }], namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": hostNamespace } } },
        matchConditions: [{ name: "runs-as-the-preview-database-account", expression: `has(object.spec.serviceAccountName) && object.spec.serviceAccountName == ${cel(serviceAccount.metadata.name)}` }],
        validations: databaseJobValidations(previewDatabaseJobContainers(props.databaseJobImage ?? DATABASE_SETUP_IMAGE), app, previewDatabaseJobFixedEnv({ ...props, database: templateDatabase })),
      });
    }

    // --- RBAC -----------------------------------------------------------------------------------
    const deployer = new ClusterRoleV1(this, "DeployerRole", { metadata: { name: roles.deployer, labels: common }, rule: DEPLOYER_RULES.map((r) => ({ ...r })) });
    const manager = new ClusterRoleV1(this, "ManagerRole", {
      metadata: { name: roles.manager, labels: common },
      rule: [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["create", "delete", "get", "list", "watch"] },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create", "delete", "get", "list"] },
        // No delete: a preview's quota goes only with its namespace.
        { apiGroups: [""], resources: ["resourcequotas", "limitranges"], verbs: ["create", "get", "list", "update", "patch"] },
        // Binding is not granting: the preview namespaces bind these ClusterRoles, and only these.
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: [roles.deployer, ...(databaseWriter ? [roles.databaseWriter] : [])] },
      ],
    });
    new ClusterRoleBindingV1(this, "ManagerBinding", {
      metadata: { name: roles.manager, labels: common },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: manager.metadata.name },
      subject: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group }],
    });
    const jobs = new RoleV1(this, "JobsRole", {
      metadata: { name: "preview-jobs", namespace, labels: common },
      rule: [
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "delete", "get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      ],
    });
    new RoleBindingV1(this, "JobsBinding", {
      metadata: { name: "preview-jobs", namespace, labels: common },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: jobs.metadata.name },
      subject: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group }],
    });
    this.clusterRoles = { deployer, databaseWriter, manager };

    // --- Admission: what RBAC cannot say --------------------------------------------------------
    const byGroup = [{ name: "by-the-preview-identity", expression: `${cel(group)} in request.userInfo.groups` }];
    const previewName = `^${app}-pr-[1-9][0-9]{0,8}$`;
    policies.namespaces = this.guard("NamespaceGuard", `slipway-${app}-preview-namespaces`, {
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["namespaces"] }] },
      matchConditions: byGroup,
      validations: namespaceValidations(app, previewName),
    });
    policies.objects = this.guard("ObjectGuard", `slipway-${app}-preview-objects`, {
      matchConstraints: {
        resourceRules: [
          { apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["rolebindings"] },
          { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["resourcequotas", "limitranges"] },
          { apiGroups: ["vpcresources.k8s.aws"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["securitygrouppolicies"] },
        ],
      },
      matchConditions: byGroup,
      validations: objectValidations({ app, previewName, group, roles, databaseWriter: databaseWriter !== undefined, databaseAccount: previewDatabaseServiceAccountName(app), hostNamespace, podSecurityGroupId: this.podSecurityGroup?.securityGroupId }),
    });
    this.admissionPolicies = policies;

    const templateProps: PreviewTemplateProps = { ...props, database: templateDatabase };
    this.templates = {
      manifest: previewManifest(templateProps),
      taskJob: previewTaskJob(templateProps),
      ...(templateDatabase ? { databaseJob: previewDatabaseJob(templateProps, props.databaseJobImage ?? DATABASE_SETUP_IMAGE) } : {}),
    };
  }

  /** A ValidatingAdmissionPolicy `name` and its binding (`Deny`); returns the binding. */
  private guard(id: string, name: string, spec: Record<string, unknown>): Manifest {
    const labels = { "app.kubernetes.io/part-of": "slipway-previews", "app.kubernetes.io/managed-by": "terraform" };
    const policy = new Manifest(this, `${id}Policy`, {
      manifest: { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name, labels }, spec: { failurePolicy: "Fail", ...spec } },
    });
    return new Manifest(this, `${id}Binding`, {
      manifest: { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name, labels }, spec: { policyName: name, validationActions: ["Deny"] } },
      dependsOn: [policy],
    });
  }
}

/** What the preview identity may do inside a preview namespace (bound there by `PREVIEW_MANIFEST`). */
export const DEPLOYER_RULES: readonly ClusterRoleV1Rule[] = [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create", "delete", "get", "list", "watch", "update", "patch"] },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["services", "configmaps", "serviceaccounts"], verbs: ["create", "delete", "get", "list", "update", "patch"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "delete", "get", "list", "watch"] },
  { apiGroups: [""], resources: ["pods", "events"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  // Secret `app-secrets` is made from stdin and replaced whole; never read back.
  { apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"] },
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["create", "delete", "get", "list", "update", "patch"] },
  { apiGroups: ["vpcresources.k8s.aws"], resources: ["securitygrouppolicies"], verbs: ["create", "delete", "get", "list", "update", "patch"] },
];

/** A CEL string literal (JSON's is valid CEL). */
function cel(value: string): string {
  return JSON.stringify(value);
}

function dnsEgress() {
  return {
    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
      { port: "53", protocol: "UDP" },
      { port: "53", protocol: "TCP" },
    ],
  };
}

/** Namespaces the preview identity creates, changes or deletes: previews of this app only, restricted Pod Security, labelled. */
export function namespaceValidations(app: string, previewName: string): { expression: string; message: string }[] {
  const labels = { ...RESTRICTED_NAMESPACE_LABELS, [PREVIEW_LABEL]: app };
  const target = "(request.operation == 'DELETE' ? oldObject : object)";
  return [
    { expression: `${target}.metadata.name.matches(${cel(previewName)})`, message: `the preview identity manages only namespaces ${app}-pr-<n>` },
    {
      expression: `request.operation == 'DELETE' || (has(object.metadata.labels) && ${Object.entries(labels).map(([k, v]) => `${cel(k)} in object.metadata.labels && object.metadata.labels[${cel(k)}] == ${cel(v)}`).join(" && ")})`,
      message: `a preview namespace carries the restricted Pod Security labels and ${PREVIEW_LABEL}=${app}`,
    },
    { expression: `request.operation == 'DELETE' || !has(object.metadata.labels) || !("pod-security.kubernetes.io/enforce-version" in object.metadata.labels) || object.metadata.labels["pod-security.kubernetes.io/enforce-version"] == "latest"`, message: "a preview namespace enforces the latest Pod Security Standard" },
  ];
}

/** Bindings, quotas, limit ranges and security group policies: in preview namespaces only, and only Slipway's. */
export function objectValidations(o: {
  app: string;
  previewName: string;
  group: string;
  roles: ReturnType<typeof previewClusterRoleNames>;
  databaseWriter: boolean;
  databaseAccount: string;
  hostNamespace: string;
  podSecurityGroupId?: string;
}): { expression: string; message: string }[] {
  const deployerBinding = `object.roleRef.kind == "ClusterRole" && object.roleRef.name == ${cel(o.roles.deployer)} && object.subjects.all(s, s.kind == "Group" && s.name == ${cel(o.group)})`;
  const writerBinding = `object.roleRef.kind == "ClusterRole" && object.roleRef.name == ${cel(o.roles.databaseWriter)} && object.subjects.all(s, s.kind == "ServiceAccount" && s.name == ${cel(o.databaseAccount)} && s.namespace == ${cel(o.hostNamespace)})`;
  return [
    { expression: `request.namespace.matches(${cel(o.previewName)})`, message: `the preview identity changes these only in namespaces ${o.app}-pr-<n>` },
    {
      expression: `request.resource.resource != "rolebindings" || request.operation == "DELETE" || (has(object.subjects) && (${deployerBinding}${o.databaseWriter ? ` || ${writerBinding}` : ""}))`,
      message: `a preview namespace binds only ${o.roles.deployer} to ${o.group}${o.databaseWriter ? ` and ${o.roles.databaseWriter} to ${o.hostNamespace}/${o.databaseAccount}` : ""}`,
    },
    {
      expression: `request.resource.resource != "securitygrouppolicies" || ${o.podSecurityGroupId === undefined ? "false" : `object.spec.securityGroups.groupIds == [${cel(o.podSecurityGroupId)}]`}`,
      message: `preview pods carry only the previews' security group`,
    },
  ];
}

/**
 * The database Job's pods: exactly the containers Slipway renders (images and scripts), no others,
 * with Slipway's settings (the database host among them: its IAM token goes nowhere else); only
 * the pull request's number, the action and the namespace they make vary.
 */
function databaseJobValidations(containers: readonly { name: string; image: string; command: string[] }[], app: string, fixedEnv: Record<string, string>): { expression: string; message: string }[] {
  const fixed = `{${Object.entries(fixedEnv).map(([k, v]) => `${cel(k)}: ${cel(v)}`).join(", ")}}`;
  const variable = [
    `(e.name == "PR" && has(e.value) && e.value.matches("^[1-9][0-9]{0,8}$"))`,
    `(e.name == "ACTION" && has(e.value) && e.value in ["create", "drop"])`,
    `(e.name == "PREVIEW_NAMESPACE" && has(e.value) && e.value.matches(${cel(`^${app}-pr-[1-9][0-9]{0,8}$`)}))`,
  ].join(" || ");
  const settings = {
    expression: `(object.spec.initContainers + object.spec.containers).all(c, has(c.env) && ${fixed}.all(k, c.env.exists(e, e.name == k)) && c.env.all(e, e.name.startsWith("AWS_") || (e.name in ${fixed} && has(e.value) && e.value == ${fixed}[e.name]) || ${variable}))`,
    message: "the preview database Job keeps Slipway's settings; only the pull request number, action and namespace vary",
  };
  const spec = (c: { name: string; image: string; command: string[] }, at: string) => `${at}.name == ${cel(c.name)} && ${at}.image == ${cel(c.image)} && ${at}.command == [${c.command.map(cel).join(", ")}] && !has(${at}.args) && !has(${at}.envFrom)`;
  const [token, database, secret] = containers;
  return [
    {
      expression: `has(object.spec.initContainers) && object.spec.initContainers.size() == 2 && ${spec(token, "object.spec.initContainers[0]")} && ${spec(database, "object.spec.initContainers[1]")}`,
      message: "the preview database Job runs only Slipway's token and SQL steps",
    },
    { expression: `object.spec.containers.size() == 1 && ${spec(secret, "object.spec.containers[0]")} && !has(object.spec.ephemeralContainers)`, message: "the preview database Job runs only Slipway's Secret step" },
    settings,
  ];
}

/**
 * The router's nginx configuration: `pr-<n>.<domain>` to the preview's Service, anything else 404
 * (its health path 200 for the load balancer). Names are resolved per request (previews come and
 * go), through the cluster DNS. The domain is a validated DNS name, its dots escaped for the regex.
 */
export function routerConfig(app: string, domain: string): string {
  const host = domain.replace(/\./g, "\\.");
  return [
    "worker_processes 1;",
    "pid /tmp/nginx.pid;",
    "error_log /dev/stderr warn;",
    "events { worker_connections 1024; }",
    "http {",
    "  server_tokens off;",
    "  access_log /dev/stdout;",
    "  client_body_temp_path /tmp/client_body;",
    "  proxy_temp_path /tmp/proxy;",
    "  fastcgi_temp_path /tmp/fastcgi;",
    "  uwsgi_temp_path /tmp/uwsgi;",
    "  scgi_temp_path /tmp/scgi;",
    "  resolver kube-dns.kube-system.svc.cluster.local valid=10s ipv6=off;",
    "  server {",
    `    listen ${ROUTER_PORT} default_server;`,
    `    location = ${PREVIEW_ROUTER_HEALTH_PATH} { return 200 "ok\\n"; }`,
    "    location / { return 404; }",
    "  }",
    "  server {",
    `    listen ${ROUTER_PORT};`,
    // Quoted: the regex holds braces.
    `    server_name "~^pr-(?<pr>[1-9][0-9]{0,8})\\.${host}$";`,
    "    location / {",
    `      proxy_pass http://app.${app}-pr-$pr.svc.cluster.local;`,
    "      proxy_set_header Host $host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto https;",
    "      proxy_connect_timeout 5s;",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}
