/**
 * Kubernetes workloads (Pod Security Standards `restricted`, resources, probes), namespaces,
 * network policies and service accounts. The provider writes nested blocks as lists or objects:
 * every read goes through `dig`/`block`/`list`.
 */
import { block, dig, isFalse, isTrue, list, parseReference, show, toNumber } from "../accessors";
import { ResourceView, Rule, StackView } from "../types";

/** Workload types and where their pod spec lives. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  kubernetes_deployment_v1: ["spec", "template", "spec"],
  kubernetes_deployment: ["spec", "template", "spec"],
  kubernetes_stateful_set_v1: ["spec", "template", "spec"],
  kubernetes_stateful_set: ["spec", "template", "spec"],
  kubernetes_daemon_set_v1: ["spec", "template", "spec"],
  kubernetes_daemonset: ["spec", "template", "spec"],
  kubernetes_job_v1: ["spec", "template", "spec"],
  kubernetes_job: ["spec", "template", "spec"],
  kubernetes_cron_job_v1: ["spec", "job_template", "spec", "template", "spec"],
  kubernetes_cron_job: ["spec", "job_template", "spec", "template", "spec"],
  kubernetes_pod_v1: ["spec"],
  kubernetes_pod: ["spec"],
};
const WORKLOADS = Object.keys(POD_SPEC_PATHS);
const DEPLOYMENTS = ["kubernetes_deployment_v1", "kubernetes_deployment"];
const NAMESPACES = ["kubernetes_namespace_v1", "kubernetes_namespace"];
const NETWORK_POLICIES = ["kubernetes_network_policy_v1", "kubernetes_network_policy"];
const SERVICE_ACCOUNTS = ["kubernetes_service_account_v1", "kubernetes_service_account"];
const RBAC_ROLES = ["kubernetes_role_v1", "kubernetes_role", "kubernetes_cluster_role_v1", "kubernetes_cluster_role"];
const RBAC_BINDINGS = ["kubernetes_role_binding_v1", "kubernetes_role_binding", "kubernetes_cluster_role_binding_v1", "kubernetes_cluster_role_binding"];
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];
const SECCOMP_OK = ["RuntimeDefault", "Localhost"];
const PSS = "Kubernetes PSS restricted";

export function podSpec(workload: ResourceView): any {
  return block(dig(workload.config, ...(POD_SPEC_PATHS[workload.type] ?? ["spec"]))) ?? {};
}

/** Every container of a pod spec, init containers included, with a label for messages. */
export function containers(pod: any, options: { init?: boolean } = {}): { label: string; container: any; securityContext: any }[] {
  const kinds = options.init === false ? ["container"] : ["init_container", "container"];
  return kinds.flatMap((kind) =>
    list(pod[kind]).map((container) => ({
      label: `${kind} ${JSON.stringify(container?.name ?? "?")}`,
      container,
      securityContext: block(container?.security_context) ?? {},
    })),
  );
}

function podSecurityContext(pod: any): any {
  return block(pod.security_context) ?? {};
}

/** The namespace name of a namespaced resource: literal, a namespace of this stack, or the reference text. */
export function namespaceOf(resource: ResourceView, stack: StackView): string {
  const value = dig(resource.config, "metadata", "namespace");
  if (value === undefined || value === null || value === "") return "default";
  const ref = parseReference(value);
  if (ref && NAMESPACES.includes(ref.type)) {
    const ns = stack.resolve(value);
    const name = ns ? dig(ns.config, "metadata", "name") : undefined;
    if (typeof name === "string") return name;
  }
  return String(value);
}

/** A container-level rule: one message per offending container. */
function perContainer(check: (c: { label: string; container: any; securityContext: any }, pod: any) => string | undefined): (w: ResourceView) => string[] {
  return (workload) => {
    const pod = podSpec(workload);
    const all = containers(pod);
    // A pod spec read from the wrong place would otherwise pass every container rule.
    if (all.length === 0) return [`no container found at ${(POD_SPEC_PATHS[workload.type] ?? ["spec"]).join(".")}.container: cannot check the pod's containers`];
    return all.map((c) => check(c, pod)).filter((m): m is string => m !== undefined);
  };
}

/** The service account resource of this stack a pod runs as, when there is one. */
function serviceAccountOf(pod: any, workload: ResourceView, stack: StackView): ResourceView | undefined {
  const name = pod.service_account_name;
  if (name === undefined || name === null) return undefined;
  const direct = stack.resolve(name);
  if (direct && SERVICE_ACCOUNTS.includes(direct.type)) return direct;
  const namespace = namespaceOf(workload, stack);
  return SERVICE_ACCOUNTS.flatMap((t) => stack.resources(t)).find((a) => dig(a.config, "metadata", "name") === name && namespaceOf(a, stack) === namespace);
}

function isDefaultDeny(policy: ResourceView): boolean {
  const spec = block(policy.config.spec) ?? {};
  const selector = block(spec.pod_selector);
  const emptySelector = !selector || (list(selector.match_labels).every((m) => !m || Object.keys(m).length === 0) && list(selector.match_expressions).length === 0);
  const types = list(spec.policy_types);
  return emptySelector && types.includes("Ingress") && types.includes("Egress") && list(spec.ingress).length === 0 && list(spec.egress).length === 0;
}

/** The groups and users (people and CI identities, not service accounts) the stack's bindings bind `role` to. */
function boundIdentities(role: ResourceView, stack: StackView): string[] {
  const name = dig(role.config, "metadata", "name");
  const cluster = role.type.includes("cluster_role");
  return RBAC_BINDINGS.flatMap((t) => stack.resources(t))
    .filter((binding) => {
      const ref = block(binding.config.role_ref) ?? {};
      if (stack.resolve(ref.name)?.address === role.address) return true;
      if (ref.name !== name || (ref.kind ?? "Role") !== (cluster ? "ClusterRole" : "Role")) return false;
      return cluster || namespaceOf(binding, stack) === namespaceOf(role, stack);
    })
    .flatMap((binding) => list(binding.config.subject))
    .filter((subject) => subject?.kind === "Group" || subject?.kind === "User")
    .map((subject) => `${subject.kind} ${JSON.stringify(subject.name)}`);
}

/** What an RBAC rule grants that no deploy or CI identity should have. */
function dangerousGrants(rule: any): string[] {
  const groups = list(rule?.api_groups);
  const resources = list(rule?.resources);
  const verbs = list(rule?.verbs);
  const found: string[] = [];
  const writes = verbs.filter((v) => WRITE_VERBS.includes(v) || v === "*");
  if ([...groups, ...resources, ...verbs].includes("*")) found.push(`a wildcard (api_groups ${show(groups)}, resources ${show(resources)}, verbs ${show(verbs)})`);
  if (resources.includes("secrets") && verbs.length > 0) found.push(`secrets (${verbs.join(", ")})`);
  for (const sub of ["pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy"]) {
    if (resources.includes(sub)) found.push(sub);
  }
  if (resources.includes("serviceaccounts/token")) found.push("serviceaccounts/token (mints service account tokens)");
  if (resources.includes("networkpolicies") && writes.length > 0) found.push(`networkpolicies (${writes.join(", ")})`);
  if (groups.includes("rbac.authorization.k8s.io") && (writes.length > 0 || verbs.some((v) => v === "bind" || v === "escalate"))) {
    found.push(`RBAC ${show(resources)} (${verbs.join(", ")})`);
  }
  if (verbs.includes("impersonate")) found.push(`impersonate ${show(resources)}`);
  return found;
}

export const KUBERNETES_RULES: Rule[] = [
  {
    id: "SLW-K8S-001",
    title: "Containers run as non-root (runAsNonRoot, never runAsUser 0)",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_23"], trivy: ["AVD-KSV-0012"], other: [PSS, "CIS EKS 4.2.6"] },
    fix: "set security_context { run_as_non_root = true, run_as_user = <non-zero uid> } on the pod (or every container)",
    check: perContainer(({ label, securityContext }, pod) => {
      const podContext = podSecurityContext(pod);
      const nonRoot = securityContext.run_as_non_root ?? podContext.run_as_non_root;
      const user = toNumber(securityContext.run_as_user ?? podContext.run_as_user);
      if (user === 0) return `${label} runs as user 0 (root)`;
      return isTrue(nonRoot) ? undefined : `${label} does not set run_as_non_root = true (pod or container): the image may run as root`;
    }),
  },
  {
    id: "SLW-K8S-002",
    title: "Containers disallow privilege escalation",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_20"], trivy: ["AVD-KSV-0001"], other: [PSS, "CIS EKS 4.2.5"] },
    fix: "set security_context { allow_privilege_escalation = false } on every container",
    check: perContainer(({ label, securityContext }) =>
      isFalse(securityContext.allow_privilege_escalation) ? undefined : `${label} has allow_privilege_escalation ${show(securityContext.allow_privilege_escalation)} (setuid binaries can gain privileges)`,
    ),
  },
  {
    id: "SLW-K8S-003",
    title: "Containers drop ALL capabilities and add none",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_28", "CKV_K8S_37"], trivy: ["AVD-KSV-0003", "AVD-KSV-0022"], other: [PSS] },
    fix: "set security_context { capabilities { drop = [\"ALL\"] } } on every container, with no add",
    check: perContainer(({ label, securityContext }) => {
      const capabilities = block(securityContext.capabilities) ?? {};
      const added = list(capabilities.add);
      if (added.length > 0) return `${label} adds capabilities ${show(added)}`;
      return list(capabilities.drop).includes("ALL") ? undefined : `${label} does not drop ALL capabilities (drop ${show(capabilities.drop)})`;
    }),
  },
  {
    id: "SLW-K8S-004",
    title: "Pods use the RuntimeDefault seccomp profile",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_31"], trivy: ["AVD-KSV-0030"], other: [PSS] },
    fix: "set security_context { seccomp_profile { type = \"RuntimeDefault\" } } on the pod",
    check: perContainer(({ label, securityContext }, pod) => {
      const type = dig(securityContext, "seccomp_profile", "type") ?? dig(podSecurityContext(pod), "seccomp_profile", "type");
      return SECCOMP_OK.includes(type) ? undefined : `${label} runs with seccomp profile ${show(type)}, not RuntimeDefault`;
    }),
  },
  {
    id: "SLW-K8S-005",
    title: "Pods do not share the host's network, PID or IPC namespaces",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"], trivy: ["AVD-KSV-0008", "AVD-KSV-0009", "AVD-KSV-0010"], other: [PSS, "CIS EKS 4.2.2", "CIS EKS 4.2.3", "CIS EKS 4.2.4"] },
    fix: "remove host_network, host_pid and host_ipc from the pod spec (they default to false)",
    check(workload) {
      const pod = podSpec(workload);
      return ["host_network", "host_pid", "host_ipc"].filter((k) => isTrue(pod[k])).map((k) => `pod spec sets ${k} = true`);
    },
  },
  {
    id: "SLW-K8S-006",
    title: "Pods mount no hostPath volumes",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { trivy: ["AVD-KSV-0023"], other: [PSS] },
    fix: "use emptyDir, ConfigMap, Secret or persistent volumes instead of host_path",
    check(workload) {
      return list(podSpec(workload).volume)
        .filter((v) => v?.host_path !== undefined)
        .map((v) => `volume ${JSON.stringify(v.name)} mounts host path ${show(dig(v, "host_path", "path"))}`);
    },
  },
  {
    id: "SLW-K8S-007",
    title: "Containers are not privileged",
    severity: "high",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_16"], trivy: ["AVD-KSV-0017"], other: [PSS, "CIS EKS 4.2.1"] },
    fix: "remove privileged = true from the container's security_context",
    check: perContainer(({ label, securityContext }) => (isTrue(securityContext.privileged) ? `${label} is privileged: it has every capability of the node` : undefined)),
  },
  {
    id: "SLW-K8S-008",
    title: "Containers have a read-only root filesystem",
    severity: "medium",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_22"], trivy: ["AVD-KSV-0014"] },
    fix: "set security_context { read_only_root_filesystem = true } and mount an emptyDir where the app writes (e.g. /tmp)",
    check: perContainer(({ label, securityContext }) =>
      isTrue(securityContext.read_only_root_filesystem) ? undefined : `${label} has read_only_root_filesystem ${show(securityContext.read_only_root_filesystem)}`,
    ),
  },
  {
    id: "SLW-K8S-009",
    title: "Containers set CPU and memory requests and limits",
    severity: "medium",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"], trivy: ["AVD-KSV-0011", "AVD-KSV-0015", "AVD-KSV-0016", "AVD-KSV-0018"] },
    fix: "set resources { requests = { cpu, memory }, limits = { cpu, memory } } on every container",
    check: perContainer(({ label, container }) => {
      const resources = block(container?.resources) ?? {};
      const missing = (["requests", "limits"] as const).flatMap((kind) => {
        const values = block(resources[kind]) ?? {};
        return ["cpu", "memory"].filter((r) => !values[r]).map((r) => `${kind}.${r}`);
      });
      return missing.length > 0 ? `${label} has no ${missing.join(", ")}` : undefined;
    }),
  },
  {
    id: "SLW-K8S-010",
    title: "Deployment containers have liveness and readiness probes",
    severity: "low",
    resourceTypes: DEPLOYMENTS,
    references: { checkov: ["CKV_K8S_8", "CKV_K8S_9"] },
    fix: "set liveness_probe and readiness_probe (http_get on the app's health path) on every container",
    check(workload) {
      return containers(podSpec(workload), { init: false }).flatMap(({ label, container }) => {
        const missing = ["liveness_probe", "readiness_probe"].filter((p) => !block(container?.[p]));
        return missing.length > 0 ? [`${label} has no ${missing.join(" or ")}`] : [];
      });
    },
  },
  {
    id: "SLW-K8S-011",
    title: "Namespaces enforce the restricted Pod Security Standard",
    severity: "high",
    resourceTypes: NAMESPACES,
    references: { other: [PSS, "Pod Security Admission"] },
    fix: "label the namespace pod-security.kubernetes.io/enforce = \"restricted\"",
    check(namespace) {
      const labels = block(dig(namespace.config, "metadata", "labels")) ?? {};
      const level = labels["pod-security.kubernetes.io/enforce"];
      return level === "restricted" ? [] : [`label pod-security.kubernetes.io/enforce is ${show(level)}, not "restricted": privileged pods are admitted`];
    },
  },
  {
    id: "SLW-K8S-012",
    title: "Namespaces holding a Deployment have a default-deny NetworkPolicy",
    severity: "high",
    resourceTypes: DEPLOYMENTS,
    relatedTypes: NETWORK_POLICIES,
    references: { other: ["CIS EKS 4.3.2", "Kubernetes network policy: default deny all"] },
    fix: "add a NetworkPolicy in the namespace with an empty pod_selector, policy_types [\"Ingress\", \"Egress\"] and no rules; allow traffic with further policies",
    check(deployment, stack) {
      const namespace = namespaceOf(deployment, stack);
      const denies = NETWORK_POLICIES.flatMap((t) => stack.resources(t)).some((p) => namespaceOf(p, stack) === namespace && isDefaultDeny(p));
      return denies ? [] : [`namespace ${JSON.stringify(namespace)} has no default-deny NetworkPolicy (empty pod selector, Ingress and Egress, no rules): every pod can reach and be reached by every other`];
    },
  },
  {
    id: "SLW-K8S-013",
    title: "Service accounts do not auto-mount API tokens",
    severity: "medium",
    resourceTypes: SERVICE_ACCOUNTS,
    references: { checkov: ["CKV_K8S_38"], other: ["CIS EKS 4.1.6"] },
    fix: "set automount_service_account_token = false on the service account",
    check(account) {
      return isFalse(account.config.automount_service_account_token) ? [] : [`automount_service_account_token is ${show(account.config.automount_service_account_token)} (the provider's default is true)`];
    },
  },
  {
    id: "SLW-K8S-014",
    title: "Pods do not auto-mount service account API tokens",
    severity: "low",
    resourceTypes: WORKLOADS,
    references: { checkov: ["CKV_K8S_38"], other: ["CIS EKS 4.1.6"] },
    fix: "set automount_service_account_token = false in the pod spec (mount a projected token only where the app calls the Kubernetes API)",
    check(workload, stack) {
      const pod = podSpec(workload);
      const value = pod.automount_service_account_token;
      if (isFalse(value)) return [];
      // Unset, the pod inherits its service account's setting.
      const account = serviceAccountOf(pod, workload, stack);
      if ((value === undefined || value === null) && account && isFalse(account.config.automount_service_account_token)) return [];
      return [`pod spec automount_service_account_token is ${show(value)}: a Kubernetes API token sits in every container`];
    },
  },
  {
    id: "SLW-K8S-015",
    title: "Roles bound to groups or users (deploy and CI identities) grant no Secrets, exec/attach/port-forward, NetworkPolicy or RBAC changes, and no wildcards",
    severity: "high",
    resourceTypes: RBAC_ROLES,
    relatedTypes: RBAC_BINDINGS,
    references: { other: ["Kubernetes RBAC good practices", "CIS EKS 4.1.2", "CIS EKS 4.1.3"] },
    fix: "list exactly the resources, names and verbs the identity's commands need (KubernetesWorkload.grantDeploy): no secrets, pods/exec, pods/attach, pods/portforward, networkpolicies writes, RBAC objects or '*'",
    check(role, stack) {
      const identities = boundIdentities(role, stack);
      if (identities.length === 0) return [];
      return list(role.config.rule).flatMap((rule, i) =>
        dangerousGrants(rule).map((grant) => `rule ${i} grants ${grant} to ${identities.join(", ")}`),
      );
    },
  },
];
