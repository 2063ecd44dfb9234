/** Security groups and their rules, VPCs (flow logs, default security group, subnets), and application load balancers. */
import { block, dig, isFalse, isTrue, list, parseReference, show, toNumber } from "../accessors";
import { ResourceView, Rule, StackView } from "../types";

// --- Security group rules ---------------------------------------------------------------------

/** One ingress permission, whatever resource type declares it. */
export interface IngressPermission {
  /** `ingress[0]` for an inline rule, `""` for a rule resource. */
  readonly label: string;
  readonly protocol: string;
  /** Inclusive port range; 0-65535 for "all traffic". */
  readonly fromPort: number;
  readonly toPort: number;
  /** Literal IPv4 and IPv6 CIDRs (references left out). */
  readonly cidrs: string[];
  readonly description: unknown;
}

const SG_TYPES = ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_security_group_rule"];
const ALL_PROTOCOLS = ["-1", "all"];
const WEB_PORTS = [80, 443];
const ADMIN_PORTS: Record<number, string> = { 22: "SSH", 3389: "RDP" };

export function ingressPermissions(resource: ResourceView): IngressPermission[] {
  const c = resource.config;
  const permission = (label: string, r: any, protocol: unknown, cidrs: unknown[]): IngressPermission => {
    const proto = String(protocol ?? "").toLowerCase();
    const all = ALL_PROTOCOLS.includes(proto);
    return {
      label,
      protocol: proto,
      fromPort: all ? 0 : toNumber(r.from_port) ?? 0,
      toPort: all ? 65535 : toNumber(r.to_port) ?? toNumber(r.from_port) ?? 65535,
      cidrs: cidrs.filter((x): x is string => typeof x === "string" && !x.includes("${")),
      description: r.description,
    };
  };
  switch (resource.type) {
    case "aws_security_group":
      return list(c.ingress).map((r, i) => permission(`ingress[${i}] `, r, r.protocol, [...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks)]));
    case "aws_vpc_security_group_ingress_rule":
      return [permission("", c, c.ip_protocol, [c.cidr_ipv4, c.cidr_ipv6])];
    case "aws_security_group_rule":
      return c.type === "ingress" ? [permission("", c, c.protocol, [...list(c.cidr_blocks), ...list(c.ipv6_cidr_blocks)])] : [];
    default:
      return [];
  }
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** True for addresses that are reachable from the internet: anything outside the private, shared, loopback and link-local ranges. */
export function isPublicCidr(cidr: string): boolean {
  if (cidr.includes(":")) {
    const head = cidr.toLowerCase().split("/")[0];
    const prefix = Number(cidr.split("/")[1] ?? 128);
    if (head === "::1" || head === "::") return prefix === 0; // ::/0 is everyone; ::1 loopback
    return !(/^f[cd]/.test(head) && prefix >= 7) && !(/^fe[89ab]/.test(head) && prefix >= 10);
  }
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  const prefix = Number(m[5] ?? 32);
  const inside = (first: boolean, minPrefix: number) => first && prefix >= minPrefix;
  return !(
    inside(a === 10, 8) ||
    inside(a === 172 && b >= 16 && b <= 31, 12) ||
    inside(a === 192 && b === 168, 16) ||
    inside(a === 100 && b >= 64 && b <= 127, 10) ||
    inside(a === 127, 8) ||
    inside(a === 169 && b === 254, 16)
  );
}

function portText(p: IngressPermission): string {
  if (ALL_PROTOCOLS.includes(p.protocol)) return "all traffic";
  return p.fromPort === p.toPort ? `${p.protocol} ${p.fromPort}` : `${p.protocol} ${p.fromPort}-${p.toPort}`;
}

// --- Load balancers ---------------------------------------------------------------------------

const LB_TYPES = ["aws_lb", "aws_alb"];
const LISTENER_TYPES = ["aws_lb_listener", "aws_alb_listener"];
const TARGET_GROUP_TYPES = ["aws_lb_target_group", "aws_alb_target_group"];
const MODERN_TLS_POLICY = /^ELBSecurityPolicy-(TLS13-1-2-|TLS13-1-3-|TLS-1-2-)/;

function isApplicationLb(lb: ResourceView): boolean {
  return lb.config.load_balancer_type === undefined || lb.config.load_balancer_type === "application";
}

/** The listener's protocol; unset means HTTP on an application load balancer (or one outside the stack). */
function listenerProtocol(listener: ResourceView, stack: StackView): string {
  if (typeof listener.config.protocol === "string") return listener.config.protocol.toUpperCase();
  const lb = stack.resolve(listener.config.load_balancer_arn);
  return lb && !isApplicationLb(lb) ? "TCP" : "HTTP";
}

function redirectsToHttps(action: any): boolean {
  return action?.type === "redirect" && String(dig(action, "redirect", "protocol") ?? "").toUpperCase() === "HTTPS";
}

export const NETWORK_RULES: Rule[] = [
  {
    id: "SLW-SG-001",
    title: "Security groups admit 0.0.0.0/0 or ::/0 only on ports 80 and 443",
    severity: "high",
    resourceTypes: SG_TYPES,
    references: { checkov: ["CKV_AWS_277"], trivy: ["AVD-AWS-0107"] },
    fix: "narrow the source to a security group, prefix list or known CIDR; only HTTP (80) and HTTPS (443) may be open to everyone",
    check(resource) {
      return ingressPermissions(resource)
        .filter((p) => p.cidrs.some((c) => ANYWHERE.includes(c)))
        .filter((p) => !(["tcp", "6"].includes(p.protocol) && p.fromPort === p.toPort && WEB_PORTS.includes(p.fromPort)))
        .map((p) => `${p.label}admits ${portText(p)} from ${p.cidrs.filter((c) => ANYWHERE.includes(c)).join(", ")}`);
    },
  },
  {
    id: "SLW-SG-002",
    title: "Security groups never admit SSH (22) or RDP (3389) from a public address",
    severity: "high",
    resourceTypes: SG_TYPES,
    references: { checkov: ["CKV_AWS_24", "CKV_AWS_25"], trivy: ["AVD-AWS-0107"] },
    fix: "remove the rule; reach instances through SSM Session Manager or from a private CIDR",
    check(resource) {
      const problems: string[] = [];
      for (const p of ingressPermissions(resource)) {
        const publicCidrs = p.cidrs.filter(isPublicCidr);
        if (publicCidrs.length === 0 || ["icmp", "1", "icmpv6", "58"].includes(p.protocol)) continue;
        for (const [port, service] of Object.entries(ADMIN_PORTS)) {
          if (p.fromPort <= Number(port) && Number(port) <= p.toPort) problems.push(`${p.label}admits ${service} (${portText(p)}) from public ${publicCidrs.join(", ")}`);
        }
      }
      return problems;
    },
  },
  {
    id: "SLW-SG-003",
    title: "Security group ingress rules have a description",
    severity: "low",
    resourceTypes: SG_TYPES,
    references: { checkov: ["CKV_AWS_23"], trivy: ["AVD-AWS-0124"] },
    fix: "give every ingress rule a description saying who it admits and why",
    check(resource) {
      return ingressPermissions(resource)
        .filter((p) => typeof p.description !== "string" || p.description.trim() === "")
        .map((p) => `${p.label}ingress rule (${portText(p)}) has no description`);
    },
  },
  {
    id: "SLW-VPC-001",
    title: "VPCs have flow logs",
    severity: "medium",
    resourceTypes: ["aws_vpc"],
    relatedTypes: ["aws_flow_log"],
    references: { checkov: ["CKV2_AWS_11"], trivy: ["AVD-AWS-0178"] },
    fix: "add an aws_flow_log with vpc_id = the VPC and traffic_type = \"ALL\"",
    check(vpc, stack) {
      return stack.referencing("aws_flow_log", vpc).length > 0 ? [] : ["no aws_flow_log references this VPC: traffic cannot be investigated after an incident"];
    },
  },
  {
    id: "SLW-VPC-002",
    title: "Each VPC's default security group is managed and has no rules",
    severity: "medium",
    resourceTypes: ["aws_vpc"],
    relatedTypes: ["aws_default_security_group"],
    references: { checkov: ["CKV2_AWS_12"] },
    fix: "add an aws_default_security_group with vpc_id = the VPC and no ingress or egress",
    check(vpc, stack) {
      const groups = stack.referencing("aws_default_security_group", vpc);
      if (groups.length === 0) return ["no aws_default_security_group for this VPC: its default group keeps AWS's allow-all rules"];
      return groups
        .filter((g) => list(g.config.ingress).length + list(g.config.egress).length > 0)
        .map((g) => `${g.address} keeps ${list(g.config.ingress).length} ingress and ${list(g.config.egress).length} egress rules`);
    },
  },
  {
    id: "SLW-VPC-003",
    title: "Subnets do not assign public IPs on launch",
    severity: "medium",
    resourceTypes: ["aws_subnet"],
    references: { checkov: ["CKV_AWS_130"], trivy: ["AVD-AWS-0164"] },
    fix: "set map_public_ip_on_launch = false; put only load balancers and NAT gateways in public subnets",
    check(subnet) {
      return isTrue(subnet.config.map_public_ip_on_launch) ? ["map_public_ip_on_launch is true: every instance launched here is reachable from the internet"] : [];
    },
  },
  {
    id: "SLW-ALB-001",
    title: "Application load balancers drop invalid HTTP header fields",
    severity: "medium",
    resourceTypes: LB_TYPES,
    references: { checkov: ["CKV_AWS_131"], trivy: ["AVD-AWS-0052"] },
    fix: "set drop_invalid_header_fields = true",
    check(lb) {
      if (!isApplicationLb(lb)) return [];
      return isTrue(lb.config.drop_invalid_header_fields) ? [] : [`drop_invalid_header_fields is ${show(lb.config.drop_invalid_header_fields)}: malformed headers reach the targets (request smuggling)`];
    },
  },
  {
    id: "SLW-ALB-002",
    title: "Production load balancers have deletion protection",
    severity: "medium",
    productionOnly: true,
    resourceTypes: LB_TYPES,
    references: { checkov: ["CKV_AWS_150"] },
    fix: "set enable_deletion_protection = true",
    check(lb) {
      return isTrue(lb.config.enable_deletion_protection) ? [] : [`enable_deletion_protection is ${show(lb.config.enable_deletion_protection)}`];
    },
  },
  {
    id: "SLW-ALB-003",
    title: "Production load balancers write access logs",
    severity: "medium",
    productionOnly: true,
    resourceTypes: LB_TYPES,
    references: { checkov: ["CKV_AWS_91"] },
    fix: "set access_logs { bucket = <log bucket>, enabled = true }",
    check(lb) {
      const logs = block(lb.config.access_logs);
      if (!logs) return ["no access_logs block: requests are not logged"];
      if (!isTrue(logs.enabled)) return [`access_logs.enabled is ${show(logs.enabled)} (the provider's default is false)`];
      return logs.bucket ? [] : ["access_logs has no bucket"];
    },
  },
  {
    id: "SLW-ALB-004",
    title: "HTTPS and TLS listeners use a TLS 1.2+ security policy",
    severity: "high",
    resourceTypes: LISTENER_TYPES,
    references: { checkov: ["CKV_AWS_103"], trivy: ["AVD-AWS-0047"] },
    fix: "set ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\" (or another ELBSecurityPolicy-TLS13-1-2-* / -TLS-1-2-* policy)",
    check(listener, stack) {
      const protocol = listenerProtocol(listener, stack);
      if (protocol !== "HTTPS" && protocol !== "TLS") return [];
      const policy = listener.config.ssl_policy;
      if (typeof policy !== "string") return ["no ssl_policy: the default ELBSecurityPolicy-2016-08 accepts TLS 1.0 and 1.1"];
      return MODERN_TLS_POLICY.test(policy) ? [] : [`ssl_policy ${JSON.stringify(policy)} accepts protocols older than TLS 1.2`];
    },
  },
  {
    id: "SLW-ALB-005",
    title: "HTTP listeners only redirect to HTTPS",
    severity: "high",
    resourceTypes: LISTENER_TYPES,
    relatedTypes: ["aws_lb_listener_rule", "aws_alb_listener_rule"],
    references: { checkov: ["CKV_AWS_2"], trivy: ["AVD-AWS-0054"] },
    fix: "make the listener's only default_action a redirect { protocol = \"HTTPS\", port = \"443\", status_code = \"HTTP_301\" }",
    check(listener, stack) {
      if (listenerProtocol(listener, stack) !== "HTTP") return [];
      const problems = list(listener.config.default_action)
        .filter((a) => !redirectsToHttps(a))
        .map((a) => `default_action ${show(a?.type)} serves plain HTTP instead of redirecting to HTTPS`);
      if (list(listener.config.default_action).length === 0) problems.push("no default_action");
      for (const rule of [...stack.referencing("aws_lb_listener_rule", listener), ...stack.referencing("aws_alb_listener_rule", listener)]) {
        if (list(rule.config.action).some((a) => !redirectsToHttps(a))) problems.push(`listener rule ${rule.address} serves plain HTTP instead of redirecting to HTTPS`);
      }
      return problems;
    },
  },
  {
    id: "SLW-ALB-006",
    title: "Target groups configure a health check",
    severity: "low",
    resourceTypes: TARGET_GROUP_TYPES,
    references: { checkov: ["CKV_AWS_261"] },
    fix: "set health_check { enabled = true, path = <the app's health path>, matcher = \"200\" }",
    check(group) {
      if (group.config.target_type === "lambda") return [];
      const health = block(group.config.health_check);
      if (!health) return ["no health_check block: the default probes / and may mark broken targets healthy"];
      if (isFalse(health.enabled)) return ["health_check.enabled is false"];
      const protocol = String(health.protocol ?? group.config.protocol ?? "HTTP").toUpperCase();
      return ["HTTP", "HTTPS"].includes(protocol) && !health.path ? ["health_check has no path: the default / may not reflect the app's health"] : [];
    },
  },
  {
    id: "SLW-ALB-007",
    title: "Load balancers that CloudFront reaches are internal, behind a VPC origin (only this account's distributions using it reach them)",
    severity: "high",
    resourceTypes: LB_TYPES,
    relatedTypes: ["aws_cloudfront_vpc_origin", "aws_cloudfront_distribution"],
    references: { other: ["CloudFront VPC origins"] },
    fix: "make the load balancer internal (internal = true, private subnets), give the distribution an aws_cloudfront_vpc_origin for it (origin vpc_origin_config) and admit only CloudFront's VPC-origin security group (LoadBalancer allowFrom \"cdn\")",
    check(lb, stack) {
      const problems: string[] = [];
      for (const origin of stack.referencing("aws_cloudfront_vpc_origin", lb)) {
        if (!isTrue(lb.config.internal)) problems.push(`is the target of VPC origin ${origin.address} but internet-facing: it can be reached without CloudFront`);
      }
      for (const distribution of stack.referencing("aws_cloudfront_distribution", lb)) {
        for (const origin of list(distribution.config.origin)) {
          if (parseReference(origin?.domain_name)?.name !== lb.name || block(origin?.vpc_origin_config)) continue;
          problems.push(
            `${distribution.address} reaches it as a public custom origin (${show(origin.origin_id)}): any CloudFront distribution, of any account, can reach it too`,
          );
        }
      }
      return problems;
    },
  },
  {
    id: "SLW-ALB-008",
    title: "Target attachments to a node group's Auto Scaling group live with the node group and are created before the old ones go",
    severity: "high",
    resourceTypes: ["aws_autoscaling_attachment", "aws_autoscaling_traffic_source_attachment"],
    references: { other: ["Terraform lifecycle create_before_destroy"] },
    fix: "create the target group and its attachment in the node group's stack (NodeTargetGroup in platform-<env>) with lifecycle { create_before_destroy = true }; the load balancer's stack forwards to the target group's ARN",
    check(attachment, stack) {
      const group = attachment.config.autoscaling_group_name;
      if (typeof group === "string" && group.includes("data.terraform_remote_state.")) {
        return [`autoscaling_group_name comes from another stack's state (${group}): when that stack replaces the node group, the target group keeps naming the deleted group, with no targets, until this stack is applied again`];
      }
      const owner = stack.resolve(group);
      if (owner?.type === "aws_eks_node_group" && !isTrue(dig(attachment.config, "lifecycle", "create_before_destroy"))) {
        return [`names the Auto Scaling group of ${owner.address} without lifecycle.create_before_destroy: replacing the node group would detach the old group before attaching the new one`];
      }
      return [];
    },
  },
];
