/**
 * Every rule, table-driven: for each, at least one compliant fixture that passes and one violating
 * fixture whose finding carries the rule id and the expected message. Fixtures are minimal
 * synthesized JSON shaped like cdktf's `cdk.tf.json`, built from a compliant baseline per resource type.
 */
import { ALL_RULES, evaluate, Rule } from "../../policy";

// --- Fixture helpers: cdktf-shaped synthesized JSON --------------------------------------------

type Json = Record<string, any>;

/** `resource` entries: type -> name -> config. */
type Resources = Record<string, Record<string, Json>>;

/** One resource of `type` named `name`. */
function r(type: string, name: string, config: Json): Resources {
  return { [type]: { [name]: config } };
}

/** A reference to another resource's attribute, as cdktf writes it. */
function ref(type: string, name: string, attribute = "id"): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** Merges resource maps; later entries replace earlier ones of the same type and name. */
function merge(...parts: (Resources | undefined | null)[]): Resources {
  const out: Resources = {};
  for (const part of parts) {
    for (const [type, byName] of Object.entries(part ?? {})) out[type] = { ...(out[type] ?? {}), ...byName };
  }
  return out;
}

/** A stack's JSON: every resource gets a construct path `<stack>/<name>` in its `//` metadata, like cdktf. */
function stackJson(resources: Resources, stackName = "test"): Json {
  const resource: Json = {};
  for (const [type, byName] of Object.entries(resources)) {
    resource[type] = {};
    for (const [name, config] of Object.entries(byName)) {
      resource[type][name] = { "//": { metadata: { path: `${stackName}/${name}`, uniqueId: name } }, ...config };
    }
  }
  // Through JSON, as Terraform reads it: properties set to undefined disappear.
  return JSON.parse(JSON.stringify({ "//": { metadata: { stackName, version: "0.21.0" } }, resource }));
}

function policy(...statements: Json[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** The resources without those of `type`. */
function without(resources: Resources, type: string): Resources {
  const { [type]: _dropped, ...rest } = resources;
  return rest;
}

interface Case {
  readonly rule: string;
  readonly label: string;
  readonly resources: Resources;
  /** Undefined: the rule must pass. Otherwise a pattern one of the rule's findings must match. */
  readonly message?: RegExp;
  readonly production?: boolean;
  readonly productionEnvironments?: string[];
}

const CASES: Case[] = [];
function pass(rule: string, label: string, resources: Resources, options: Partial<Case> = {}): void {
  CASES.push({ rule, label, resources, ...options });
}
function fail(rule: string, label: string, resources: Resources, message: RegExp, options: Partial<Case> = {}): void {
  CASES.push({ rule, label, resources, message, ...options });
}
const PROD = { production: true };

// --- S3 -------------------------------------------------------------------------------------------

const bucketId = ref("aws_s3_bucket", "Data");
const denyTls = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [ref("aws_s3_bucket", "Data", "arn"), `${ref("aws_s3_bucket", "Data", "arn")}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};
function s3(over: { bucket?: Json; pab?: Json | null; sse?: Json | null; versioning?: Json | null; policy?: string | null; ownership?: string | null } = {}): Resources {
  return merge(
    r("aws_s3_bucket", "Data", { bucket: "hello-data-111111111111", lifecycle: { prevent_destroy: true }, ...over.bucket }),
    over.pab === null ? null : r("aws_s3_bucket_public_access_block", "Pab", { bucket: bucketId, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true, ...over.pab }),
    over.sse === null ? null : r("aws_s3_bucket_server_side_encryption_configuration", "Sse", { bucket: bucketId, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }], ...over.sse }),
    over.versioning === null ? null : r("aws_s3_bucket_versioning", "Versioning", { bucket: bucketId, versioning_configuration: { status: "Enabled" }, ...over.versioning }),
    over.policy === null ? null : r("aws_s3_bucket_policy", "Policy", { bucket: bucketId, policy: over.policy ?? policy(denyTls) }),
    over.ownership === null ? null : r("aws_s3_bucket_ownership_controls", "Ownership", { bucket: bucketId, rule: { object_ownership: over.ownership ?? "BucketOwnerEnforced" } }),
  );
}
const hclDenyTls =
  '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Sid" = "DenyInsecureTransport", "Effect" = "Deny", "Principal" = "*", "Action" = "s3:*", ' +
  '"Resource" = [aws_s3_bucket.Data.arn, "${aws_s3_bucket.Data.arn}/*"], "Condition" = {"Bool" = {"aws:SecureTransport" = "false"}}}]})}';

pass("SLW-S3-001", "all four flags on", s3());
fail("SLW-S3-001", "no public access block", s3({ pab: null }), /no aws_s3_bucket_public_access_block for this bucket/);
fail("SLW-S3-001", "one flag off", s3({ pab: { ignore_public_acls: false } }), /public access block leaves ignore_public_acls off/);
pass("SLW-S3-002", "AES256 by default", s3());
fail("SLW-S3-002", "no encryption configuration", s3({ sse: null }), /no aws_s3_bucket_server_side_encryption_configuration/);
pass("SLW-S3-003", "versioning enabled", s3());
fail("SLW-S3-003", "versioning suspended", s3({ versioning: { versioning_configuration: { status: "Suspended" } } }), /versioning status is "Suspended"/);
fail("SLW-S3-003", "no versioning", s3({ versioning: null }), /no aws_s3_bucket_versioning/);
pass("SLW-S3-004", "JSON policy denies non-TLS", s3());
pass("SLW-S3-004", "jsonencode policy denies non-TLS", s3({ policy: hclDenyTls }));
fail("SLW-S3-004", "no bucket policy", s3({ policy: null }), /no bucket policy/);
fail("SLW-S3-004", "policy without the deny", s3({ policy: policy({ ...denyTls, Effect: "Allow" }) }), /has no Deny statement for aws:SecureTransport/);
fail("SLW-S3-004", "policy from a data source", s3({ policy: "${data.aws_iam_policy_document.tls.json}" }), /cannot confirm the bucket policy denies non-TLS/);
pass("SLW-S3-005", "BucketOwnerEnforced", s3());
fail("SLW-S3-005", "ACLs left on", s3({ ownership: "ObjectWriter" }), /object_ownership is "ObjectWriter": ACLs stay enabled/);
// No exemption any more, by name or by tag: log delivery works without ACLs.
fail(
  "SLW-S3-005",
  "an access-log bucket keeping ACLs",
  s3({ bucket: { bucket: "hello-cdn-logs-111111111111", tags: { "slipway:purpose": "access-logs" } }, ownership: "BucketOwnerPreferred" }),
  /object_ownership is "BucketOwnerPreferred": ACLs stay enabled/,
);
pass("SLW-S3-006", "no ACL anywhere", s3());
fail("SLW-S3-006", "an aws_s3_bucket_acl", merge(s3(), r("aws_s3_bucket_acl", "Acl", { bucket: bucketId, acl: "private" })), /sets the bucket ACL \("private"\)/);
fail("SLW-S3-006", "an acl argument on the bucket", s3({ bucket: { acl: "log-delivery-write" } }), /acl "log-delivery-write" is set on the bucket/);

// --- RDS ------------------------------------------------------------------------------------------

const GOOD_DB: Json = {
  identifier: "hello-prod",
  engine: "postgres",
  engine_version: "16.8",
  instance_class: "db.m6g.large",
  storage_encrypted: true,
  kms_key_id: ref("aws_kms_key", "Key", "arn"),
  publicly_accessible: false,
  iam_database_authentication_enabled: true,
  backup_retention_period: 7,
  deletion_protection: true,
  multi_az: true,
  skip_final_snapshot: false,
  final_snapshot_identifier: "hello-prod-final",
  enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
  auto_minor_version_upgrade: true,
  copy_tags_to_snapshot: true,
  performance_insights_enabled: true,
  performance_insights_kms_key_id: ref("aws_kms_key", "Key", "arn"),
  username: "app_admin",
  manage_master_user_password: true,
  parameter_group_name: ref("aws_db_parameter_group", "Params", "name"),
  lifecycle: { prevent_destroy: true },
};
function db(over: Json = {}, group: Json | null = {}): Resources {
  return merge(
    r("aws_db_instance", "Db", { ...GOOD_DB, ...over }),
    group === null ? null : r("aws_db_parameter_group", "Params", { family: "postgres16", name_prefix: "hello-prod-", parameter: [{ name: "rds.force_ssl", value: "1", apply_method: "immediate" }], ...group }),
  );
}
/** The database's security group, the app's pod group and the one rule between them, as the app stack writes them. */
function dbNetwork(rule: Json = {}): Resources {
  return merge(
    db({ vpc_security_group_ids: [ref("aws_security_group", "DbSg")] }),
    r("aws_security_group", "DbSg", { name_prefix: "hello-prod-db-", vpc_id: "vpc-1" }),
    r("aws_security_group", "PodSg", { name_prefix: "hello-prod-pods-", vpc_id: "vpc-1" }),
    r("aws_vpc_security_group_ingress_rule", "FromPods", {
      security_group_id: ref("aws_security_group", "DbSg"),
      referenced_security_group_id: ref("aws_security_group", "PodSg"),
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
      description: "PostgreSQL from the pods of hello only",
      ...rule,
    }),
  );
}
const CLUSTER_SG = "${data.terraform_remote_state.platform.outputs.cluster_security_group_id}";

pass("SLW-RDS-001", "encrypted", db());
fail("SLW-RDS-001", "unencrypted", db({ storage_encrypted: false }), /storage_encrypted is false/);
pass("SLW-RDS-002", "private", db());
fail("SLW-RDS-002", "public", db({ publicly_accessible: true }), /publicly_accessible is true/);
pass("SLW-RDS-003", "IAM auth on", db());
fail("SLW-RDS-003", "IAM auth off", db({ iam_database_authentication_enabled: undefined }), /iam_database_authentication_enabled is \(not set\)/);
pass("SLW-RDS-004", "7 days", db());
fail("SLW-RDS-004", "1 day", db({ backup_retention_period: 1 }), /backup_retention_period is 1; at least 2 days/);
pass("SLW-RDS-005", "7 days in production", db(), PROD);
pass("SLW-RDS-005", "3 days outside production (rule skipped)", db({ backup_retention_period: 3 }));
fail("SLW-RDS-005", "3 days in production", db({ backup_retention_period: 3 }), /backup_retention_period is 3; production keeps at least 7 days/, PROD);
pass("SLW-RDS-006", "deletion protection", db(), PROD);
fail("SLW-RDS-006", "no deletion protection", db({ deletion_protection: false }), /deletion_protection is false/, PROD);
pass("SLW-RDS-007", "Multi-AZ", db(), PROD);
fail("SLW-RDS-007", "single AZ", db({ multi_az: false }), /multi_az is false/, PROD);
pass("SLW-RDS-008", "final snapshot", db(), PROD);
fail("SLW-RDS-008", "final snapshot skipped", db({ skip_final_snapshot: true }), /skip_final_snapshot is true/, PROD);
pass("SLW-RDS-009", "postgresql log exported", db());
fail("SLW-RDS-009", "no exports", db({ enabled_cloudwatch_logs_exports: [] }), /enabled_cloudwatch_logs_exports is empty/);
fail("SLW-RDS-009", "postgresql log missing", db({ enabled_cloudwatch_logs_exports: ["upgrade"] }), /leaves out "postgresql"/);
pass("SLW-RDS-010", "auto minor upgrades (default)", db({ auto_minor_version_upgrade: undefined }));
fail("SLW-RDS-010", "auto minor upgrades off", db({ auto_minor_version_upgrade: false }), /auto_minor_version_upgrade is false/);
pass("SLW-RDS-011", "tags copied", db());
fail("SLW-RDS-011", "tags not copied", db({ copy_tags_to_snapshot: false }), /copy_tags_to_snapshot is false/);
pass("SLW-RDS-012", "Performance Insights with the database key", db());
pass("SLW-RDS-012", "Performance Insights off", db({ performance_insights_enabled: false, performance_insights_kms_key_id: undefined }));
fail("SLW-RDS-012", "Performance Insights on the AWS key", db({ performance_insights_kms_key_id: undefined }), /without performance_insights_kms_key_id/);
pass("SLW-RDS-013", "managed master password", db());
fail("SLW-RDS-013", "password in code", db({ password: "hunter22", manage_master_user_password: undefined }), /password is set/);
fail("SLW-RDS-013", "password not managed", db({ manage_master_user_password: false }), /manage_master_user_password is false/);
pass("SLW-RDS-014", "rds.force_ssl = 1", db());
pass("SLW-RDS-014", "PostgreSQL 16 default group forces TLS", db({ parameter_group_name: undefined }, null));
fail("SLW-RDS-014", "rds.force_ssl = 0", db({}, { parameter: [{ name: "rds.force_ssl", value: "0" }] }), /sets rds\.force_ssl = "0", not 1/);
fail("SLW-RDS-014", "PostgreSQL 14 without a group", db({ engine_version: "14.12", parameter_group_name: undefined }, null), /no parameter group: the postgres "14\.12" default does not set rds\.force_ssl/);
fail("SLW-RDS-014", "a group from elsewhere", db({ parameter_group_name: "shared-params" }, null), /"shared-params" is not a parameter group of this stack/);
pass("SLW-RDS-015", "only the app's pod security group", dbNetwork());
fail(
  "SLW-RDS-015",
  "the cluster security group (every pod of every node)",
  dbNetwork({ referenced_security_group_id: CLUSTER_SG }),
  /admits security group "\$\{data\.terraform_remote_state\.platform\.outputs\.cluster_security_group_id\}", which is not a group of this stack/,
);
fail("SLW-RDS-015", "a CIDR (the private subnets)", dbNetwork({ referenced_security_group_id: undefined, cidr_ipv4: "10.30.0.0/19" }), /admits cidr "10\.30\.0\.0\/19"/);
fail("SLW-RDS-015", "a prefix list", dbNetwork({ referenced_security_group_id: undefined, prefix_list_id: "pl-0123abcd" }), /admits prefix list "pl-0123abcd"/);
fail(
  "SLW-RDS-015",
  "an inline rule from a CIDR",
  merge(dbNetwork(), r("aws_security_group", "DbSg", { name_prefix: "hello-prod-db-", vpc_id: "vpc-1", ingress: [{ from_port: 5432, to_port: 5432, protocol: "tcp", cidr_blocks: ["10.0.0.0/8"] }] })),
  /ingress\[0\] admits cidr "10\.0\.0\.0\/8"/,
);
fail("SLW-RDS-015", "a security group from outside the stack", db({ vpc_security_group_ids: ["sg-0123456789abcdef0"] }), /uses security group "sg-0123456789abcdef0", which is not an aws_security_group of this stack/);
fail("SLW-RDS-015", "no security group", db(), /no vpc_security_group_ids/);

// --- Security groups, VPC, load balancers ---------------------------------------------------------

const sg = (...ingress: Json[]) => r("aws_security_group", "Sg", { name_prefix: "web-", vpc_id: "vpc-1", ingress });
const https = { from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], ipv6_cidr_blocks: ["::/0"], description: "HTTPS from anywhere" };

pass("SLW-SG-001", "443 from anywhere", sg(https));
fail("SLW-SG-001", "8080 from anywhere", sg({ ...https, from_port: 8080, to_port: 8080 }), /ingress\[0\] admits tcp 8080 from 0\.0\.0\.0\/0, ::\/0/);
fail(
  "SLW-SG-001",
  "all traffic from ::/0 (rule resource)",
  r("aws_vpc_security_group_ingress_rule", "All", { security_group_id: ref("aws_security_group", "Sg"), ip_protocol: "-1", cidr_ipv6: "::/0", description: "everything" }),
  /admits all traffic from ::\/0/,
);
pass("SLW-SG-002", "SSH from a private range", sg({ ...https, from_port: 22, to_port: 22, cidr_blocks: ["10.0.0.0/8"], ipv6_cidr_blocks: [] }));
fail(
  "SLW-SG-002",
  "SSH from a public CIDR (aws_security_group_rule)",
  r("aws_security_group_rule", "Ssh", { type: "ingress", security_group_id: "sg-1", from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: ["203.0.113.0/24"], description: "ssh" }),
  /admits SSH \(tcp 22\) from public 203\.0\.113\.0\/24/,
);
fail("SLW-SG-002", "RDP inside a range from anywhere", sg({ ...https, from_port: 3000, to_port: 4000 }), /admits RDP \(tcp 3000-4000\) from public 0\.0\.0\.0\/0/);
pass("SLW-SG-003", "described", sg(https));
fail("SLW-SG-003", "no description", r("aws_vpc_security_group_ingress_rule", "Pg", { security_group_id: "sg-1", referenced_security_group_id: "sg-2", ip_protocol: "tcp", from_port: 5432, to_port: 5432 }), /ingress rule \(tcp 5432\) has no description/);

const vpcId = ref("aws_vpc", "Vpc");
function vpc(over: { flowLog?: boolean; defaultSg?: Json | null } = {}): Resources {
  return merge(
    r("aws_vpc", "Vpc", { cidr_block: "10.10.0.0/16", enable_dns_hostnames: true }),
    over.flowLog === false ? null : r("aws_flow_log", "FlowLog", { vpc_id: vpcId, traffic_type: "ALL", log_destination_type: "cloud-watch-logs" }),
    over.defaultSg === null ? null : r("aws_default_security_group", "DefaultSg", { vpc_id: vpcId, ingress: [], egress: [], ...over.defaultSg }),
  );
}
pass("SLW-VPC-001", "flow log", vpc());
fail("SLW-VPC-001", "no flow log", merge(vpc({ flowLog: false }), r("aws_flow_log", "Other", { vpc_id: ref("aws_vpc", "Vpc2") })), /no aws_flow_log references this VPC/);
pass("SLW-VPC-002", "default group stripped", vpc());
fail("SLW-VPC-002", "default group unmanaged", vpc({ defaultSg: null }), /no aws_default_security_group for this VPC/);
fail("SLW-VPC-002", "default group keeps egress", vpc({ defaultSg: { egress: [{ from_port: 0, to_port: 0, protocol: "-1", cidr_blocks: ["0.0.0.0/0"] }] } }), /keeps 0 ingress and 1 egress rules/);
pass("SLW-VPC-003", "private subnet", r("aws_subnet", "Subnet", { vpc_id: vpcId, cidr_block: "10.10.0.0/19", map_public_ip_on_launch: false }));
fail("SLW-VPC-003", "public IPs on launch", r("aws_subnet", "Subnet", { vpc_id: vpcId, cidr_block: "10.10.0.0/19", map_public_ip_on_launch: true }), /map_public_ip_on_launch is true/);

const GOOD_LB = { name: "hello", load_balancer_type: "application", internal: false, drop_invalid_header_fields: true, enable_deletion_protection: true, access_logs: { bucket: "hello-lb-logs", enabled: true } };
const lb = (over: Json = {}) => r("aws_lb", "Lb", { ...GOOD_LB, ...over });
const lbArn = ref("aws_lb", "Lb", "arn");
const listener = (over: Json) => merge(lb(), r("aws_lb_listener", "Listener", { load_balancer_arn: lbArn, ...over }));
const redirect = { type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } };
const forward = { type: "forward", target_group_arn: ref("aws_lb_target_group", "Tg", "arn") };

// Canary releases: a weighted forward belongs to the deploy job.
const weighted = (weights: number[], lifecycle?: Json) =>
  listener({
    port: 443,
    protocol: "HTTPS",
    ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    default_action: [{ type: "forward", forward: { target_group: weights.map((weight, i) => ({ arn: ref("aws_lb_target_group", `Tg${i}`, "arn"), weight })) } }],
    ...(lifecycle ? { lifecycle } : {}),
  });
pass("SLW-CAN-001", "weights ignored", weighted([100, 0], { ignore_changes: ["default_action[0].forward[0].target_group"] }));
pass("SLW-CAN-001", "one target group (not weighted)", listener({ port: 443, protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06", default_action: [forward] }));
fail("SLW-CAN-001", "weights Terraform would move back", weighted([100, 0]), /default_action\[0\] forwards to 2 weighted target groups, and ignore_changes is \[\]/);
pass("SLW-CAN-002", "all on the stable group", weighted([100, 0], { ignore_changes: ["default_action"] }));
fail("SLW-CAN-002", "created with traffic on the canary", weighted([90, 10], { ignore_changes: ["default_action"] }), /weights are \[90,10\]: expected \[100, 0\]/);

pass("SLW-ALB-001", "drops invalid headers", lb());
pass("SLW-ALB-001", "network load balancer (not applicable)", lb({ load_balancer_type: "network", drop_invalid_header_fields: undefined }));
fail("SLW-ALB-001", "keeps invalid headers", lb({ drop_invalid_header_fields: false }), /drop_invalid_header_fields is false/);
pass("SLW-ALB-002", "deletion protection", lb(), PROD);
fail("SLW-ALB-002", "no deletion protection", lb({ enable_deletion_protection: undefined }), /enable_deletion_protection is \(not set\)/, PROD);
pass("SLW-ALB-003", "access logs", lb(), PROD);
fail("SLW-ALB-003", "no access logs", lb({ access_logs: undefined }), /no access_logs block/, PROD);
fail("SLW-ALB-003", "access logs disabled", lb({ access_logs: { bucket: "b", enabled: false } }), /access_logs\.enabled is false/, PROD);
pass("SLW-ALB-004", "TLS 1.3/1.2 policy", listener({ port: 443, protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06", default_action: [forward] }));
fail("SLW-ALB-004", "2016 policy", listener({ port: 443, protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-2016-08", default_action: [forward] }), /ssl_policy "ELBSecurityPolicy-2016-08" accepts protocols older than TLS 1\.2/);
fail("SLW-ALB-004", "no policy", listener({ port: 443, protocol: "HTTPS", default_action: [forward] }), /no ssl_policy: the default ELBSecurityPolicy-2016-08/);
pass("SLW-ALB-005", "HTTP redirects", listener({ port: 80, protocol: "HTTP", default_action: [redirect] }));
fail("SLW-ALB-005", "HTTP forwards", listener({ port: 80, protocol: "HTTP", default_action: [forward] }), /default_action "forward" serves plain HTTP/);
fail("SLW-ALB-005", "protocol unset (HTTP) forwards", listener({ port: 80, default_action: [forward] }), /default_action "forward" serves plain HTTP/);
fail(
  "SLW-ALB-005",
  "a listener rule forwards",
  merge(listener({ port: 80, protocol: "HTTP", default_action: [redirect] }), r("aws_lb_listener_rule", "Rule", { listener_arn: ref("aws_lb_listener", "Listener", "arn"), action: [forward], condition: [] })),
  /listener rule aws_lb_listener_rule\.Rule serves plain HTTP/,
);
const tg = (over: Json = {}) => r("aws_lb_target_group", "Tg", { port: 30080, protocol: "HTTP", target_type: "instance", health_check: { enabled: true, path: "/healthz", matcher: "200" }, ...over });
pass("SLW-ALB-006", "health check on the health path", tg());
fail("SLW-ALB-006", "no health check", tg({ health_check: undefined }), /no health_check block/);
fail("SLW-ALB-006", "health check off", tg({ health_check: [{ enabled: false }] }), /health_check\.enabled is false/);
const nodeGroupAttachment = (over: Json = {}) =>
  merge(
    r("aws_eks_node_group", "Nodes", { cluster_name: "acme-prod", node_group_name_prefix: "acme-prod-nodes-", lifecycle: { create_before_destroy: true } }),
    r("aws_autoscaling_attachment", "Attachment", {
      autoscaling_group_name: "${aws_eks_node_group.Nodes.resources[0].autoscaling_groups[0].name}",
      lb_target_group_arn: ref("aws_lb_target_group", "Tg", "arn"),
      lifecycle: { create_before_destroy: true },
      ...over,
    }),
  );
pass("SLW-ALB-008", "attached in the node group's stack, create-before-destroy", nodeGroupAttachment());
pass("SLW-ALB-008", "a literal Auto Scaling group name (not a node group's)", nodeGroupAttachment({ autoscaling_group_name: "web-asg", lifecycle: undefined }));
fail("SLW-ALB-008", "no create_before_destroy", nodeGroupAttachment({ lifecycle: undefined }), /names the Auto Scaling group of aws_eks_node_group\.Nodes without lifecycle\.create_before_destroy/);
fail(
  "SLW-ALB-008",
  "the group's name read from another stack's state",
  nodeGroupAttachment({ autoscaling_group_name: "${data.terraform_remote_state.platform.outputs.node_group_asg}" }),
  /comes from another stack's state/,
);
/** A distribution whose app origin is the load balancer, through a VPC origin or as a public custom origin. */
function lbBehindCdn(options: { internal: boolean; vpcOrigin: boolean }): Resources {
  const appOrigin = options.vpcOrigin
    ? { origin_id: "app", domain_name: ref("aws_lb", "Lb", "dns_name"), vpc_origin_config: { vpc_origin_id: ref("aws_cloudfront_vpc_origin", "Origin") } }
    : { origin_id: "app", domain_name: ref("aws_lb", "Lb", "dns_name"), custom_origin_config: { http_port: 80, https_port: 443, origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"] } };
  return merge(
    lb({ internal: options.internal }),
    options.vpcOrigin
      ? r("aws_cloudfront_vpc_origin", "Origin", {
          vpc_origin_endpoint_config: [{ name: "hello", arn: lbArn, http_port: 80, https_port: 443, origin_protocol_policy: "https-only", origin_ssl_protocols: [{ items: ["TLSv1.2"], quantity: 1 }] }],
        })
      : null,
    r("aws_cloudfront_distribution", "Cdn", { enabled: true, origin: [appOrigin] }),
  );
}
pass("SLW-ALB-007", "internal, through a VPC origin", lbBehindCdn({ internal: true, vpcOrigin: true }));
pass("SLW-ALB-007", "no CloudFront in front (not applicable)", lb());
fail("SLW-ALB-007", "internet-facing behind a VPC origin", lbBehindCdn({ internal: false, vpcOrigin: true }), /is the target of VPC origin aws_cloudfront_vpc_origin\.Origin but internet-facing/);
fail(
  "SLW-ALB-007",
  "a public custom origin",
  lbBehindCdn({ internal: false, vpcOrigin: false }),
  /aws_cloudfront_distribution\.Cdn reaches it as a public custom origin \("app"\): any CloudFront distribution, of any account, can reach it too/,
);

// --- CloudFront -----------------------------------------------------------------------------------

const GOOD_CF: Json = {
  enabled: true,
  aliases: ["hello.example.com"],
  web_acl_id: "arn:aws:wafv2:us-east-1:111111111111:global/webacl/hello/0c3b5a2e-1111-2222-3333-444455556666",
  viewer_certificate: { acm_certificate_arn: "arn:aws:acm:us-east-1:111111111111:certificate/x", ssl_support_method: "sni-only", minimum_protocol_version: "TLSv1.2_2021" },
  origin: [
    { origin_id: "app", domain_name: "lb.eu-west-1.elb.amazonaws.com", custom_origin_config: { http_port: 80, https_port: 443, origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"] } },
    { origin_id: "assets", domain_name: ref("aws_s3_bucket", "Assets", "bucket_regional_domain_name"), origin_access_control_id: ref("aws_cloudfront_origin_access_control", "Oac") },
  ],
  default_cache_behavior: { target_origin_id: "app", viewer_protocol_policy: "redirect-to-https", response_headers_policy_id: ref("aws_cloudfront_response_headers_policy", "Headers") },
  ordered_cache_behavior: [{ path_pattern: "/static/*", target_origin_id: "assets", viewer_protocol_policy: "redirect-to-https", response_headers_policy_id: ref("aws_cloudfront_response_headers_policy", "Headers") }],
  restrictions: { geo_restriction: { restriction_type: "none", locations: [] } },
};
const cf = (over: Json = {}) => r("aws_cloudfront_distribution", "Cdn", { ...GOOD_CF, ...over });
const origins = GOOD_CF.origin as Json[];

pass("SLW-CF-001", "HTTPS everywhere", cf());
fail("SLW-CF-001", "a behaviour allows HTTP", cf({ ordered_cache_behavior: [{ ...GOOD_CF.ordered_cache_behavior[0], viewer_protocol_policy: "allow-all" }] }), /ordered_cache_behavior\[0\] \(\/static\/\*\) has viewer_protocol_policy "allow-all"/);
pass("SLW-CF-002", "TLSv1.2_2021", cf());
fail("SLW-CF-002", "TLSv1.2_2019", cf({ viewer_certificate: { ...GOOD_CF.viewer_certificate, minimum_protocol_version: "TLSv1.2_2019" } }), /minimum_protocol_version is "TLSv1\.2_2019", older than TLSv1\.2_2021/);
fail("SLW-CF-002", "default certificate", cf({ viewer_certificate: { cloudfront_default_certificate: true } }), /default certificate, which accepts TLSv1/);
pass("SLW-CF-003", "HTTPS-only TLSv1.2 origin", cf());
fail("SLW-CF-003", "HTTP origin", cf({ origin: [{ ...origins[0], custom_origin_config: { ...origins[0].custom_origin_config, origin_protocol_policy: "match-viewer" } }] }), /origin "app" has origin_protocol_policy "match-viewer"/);
fail("SLW-CF-003", "TLSv1.1 allowed", cf({ origin: [{ ...origins[0], custom_origin_config: { ...origins[0].custom_origin_config, origin_ssl_protocols: ["TLSv1.1", "TLSv1.2"] } }] }), /origin "app" allows origin_ssl_protocols \["TLSv1\.1","TLSv1\.2"\]/);
pass("SLW-CF-004", "origin access control", cf());
fail("SLW-CF-004", "public S3 origin", cf({ origin: [{ origin_id: "assets", domain_name: "hello-assets.s3.eu-west-1.amazonaws.com" }] }), /S3 origin "assets" has no origin_access_control_id/);
fail("SLW-CF-004", "legacy OAI", cf({ origin: [{ origin_id: "assets", domain_name: "b.s3.amazonaws.com", s3_origin_config: { origin_access_identity: "origin-access-identity/cloudfront/E1" } }] }), /legacy origin access identity/);
/** CloudFront standard logging v2 of the distribution `Cdn`, as the Cdn construct writes it. */
function logDelivery(over: { sourceArn?: string; logType?: string } = {}): Resources {
  return merge(
    r("aws_cloudwatch_log_delivery_source", "Source", { provider: "aws.us-east-1", name: "hello-cdn-access", log_type: over.logType ?? "ACCESS_LOGS", resource_arn: over.sourceArn ?? ref("aws_cloudfront_distribution", "Cdn", "arn") }),
    r("aws_cloudwatch_log_delivery_destination", "Destination", { provider: "aws.us-east-1", name: "hello-cdn-logs", delivery_destination_configuration: [{ destination_resource_arn: ref("aws_s3_bucket", "Logs", "arn") }] }),
    r("aws_cloudwatch_log_delivery", "Delivery", {
      provider: "aws.us-east-1",
      delivery_source_name: ref("aws_cloudwatch_log_delivery_source", "Source", "name"),
      delivery_destination_arn: ref("aws_cloudwatch_log_delivery_destination", "Destination", "arn"),
    }),
  );
}
pass("SLW-CF-005", "log delivery v2", merge(cf(), logDelivery()), PROD);
fail("SLW-CF-005", "no log delivery", cf(), /no log delivery \(standard logging v2\) has this distribution as its source/, PROD);
fail("SLW-CF-005", "a delivery of another distribution", merge(cf(), logDelivery({ sourceArn: ref("aws_cloudfront_distribution", "Other", "arn") })), /no log delivery/, PROD);
fail("SLW-CF-005", "legacy logging only", cf({ logging_config: { bucket: "logs.s3.amazonaws.com" } }), /no log delivery/, PROD);
pass("SLW-CF-008", "no legacy logging", cf());
fail("SLW-CF-008", "legacy logging", cf({ logging_config: { bucket: ref("aws_s3_bucket", "Logs", "bucket_regional_domain_name"), prefix: "cloudfront/" } }), /logging_config \(legacy standard logging\) needs the log bucket's ACLs enabled/);
const vpcOrigin = (endpoint: Json = {}) =>
  r("aws_cloudfront_vpc_origin", "Origin", {
    vpc_origin_endpoint_config: [{ name: "hello", arn: lbArn, http_port: 80, https_port: 443, origin_protocol_policy: "https-only", origin_ssl_protocols: [{ items: ["TLSv1.2"], quantity: 1 }], ...endpoint }],
  });
pass("SLW-CF-003", "HTTPS-only TLSv1.2 VPC origin", vpcOrigin());
fail("SLW-CF-003", "VPC origin over HTTP", vpcOrigin({ origin_protocol_policy: "http-only" }), /origin_protocol_policy is "http-only"/);
fail("SLW-CF-003", "VPC origin allowing TLSv1.1", vpcOrigin({ origin_ssl_protocols: [{ items: ["TLSv1.1", "TLSv1.2"], quantity: 2 }] }), /origin_ssl_protocols \["TLSv1\.1","TLSv1\.2"\]; only TLSv1\.2/);
pass("SLW-CF-006", "web ACL", cf());
fail("SLW-CF-006", "no web ACL", cf({ web_acl_id: undefined }), /no web_acl_id/);
pass("SLW-CF-007", "headers policy on every behaviour", cf());
fail("SLW-CF-007", "default behaviour without headers", cf({ default_cache_behavior: { target_origin_id: "app", viewer_protocol_policy: "redirect-to-https" } }), /default_cache_behavior has no response_headers_policy_id/);

// --- EKS ------------------------------------------------------------------------------------------

const GOOD_CLUSTER: Json = {
  name: "acme-prod",
  version: "1.33",
  role_arn: ref("aws_iam_role", "ClusterRole", "arn"),
  enabled_cluster_log_types: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
  encryption_config: { provider: { key_arn: ref("aws_kms_key", "SecretsKey", "arn") }, resources: ["secrets"] },
  vpc_config: { endpoint_private_access: true, endpoint_public_access: false, subnet_ids: ["subnet-1", "subnet-2"] },
};
const cluster = (over: Json = {}) => r("aws_eks_cluster", "Cluster", { ...GOOD_CLUSTER, ...over });
const GOOD_LT: Json = {
  name_prefix: "acme-prod-nodes-",
  metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
  block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: "true", volume_size: 50, volume_type: "gp3" } }],
};
const lt = (over: Json = {}) => r("aws_launch_template", "Nodes", { ...GOOD_LT, ...over });

pass("SLW-EKS-001", "secrets encrypted", cluster());
fail("SLW-EKS-001", "no secrets encryption", cluster({ encryption_config: undefined }), /no encryption_config for "secrets"/);
pass("SLW-EKS-002", "private endpoint", cluster());
pass("SLW-EKS-002", "public to listed CIDRs", cluster({ vpc_config: { endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] } }));
fail("SLW-EKS-002", "public by default", cluster({ vpc_config: { subnet_ids: ["subnet-1"] } }), /endpoint_public_access is \(not set\) \(the default is true\) with no public_access_cidrs/);
fail("SLW-EKS-002", "public to everyone", cluster({ vpc_config: { endpoint_public_access: true, public_access_cidrs: ["0.0.0.0/0"] } }), /the public API endpoint admits 0\.0\.0\.0\/0/);
pass("SLW-EKS-003", "all five logs", cluster());
fail("SLW-EKS-003", "audit log missing", cluster({ enabled_cluster_log_types: ["api", "authenticator"] }), /leaves out audit, controllerManager, scheduler/);
pass("SLW-EKS-004", "IMDSv2 required", lt());
pass("SLW-EKS-004", "IMDS disabled", lt({ metadata_options: { http_endpoint: "disabled" } }));
fail("SLW-EKS-004", "IMDSv1 allowed", lt({ metadata_options: { http_tokens: "optional", http_put_response_hop_limit: 1 } }), /metadata_options\.http_tokens is "optional"/);
pass("SLW-EKS-005", "hop limit 1", lt());
fail("SLW-EKS-005", "hop limit 2", lt({ metadata_options: [{ http_tokens: "required", http_put_response_hop_limit: 2 }] }), /http_put_response_hop_limit is 2, not 1/);
pass("SLW-EKS-006", "encrypted root volume", lt());
fail("SLW-EKS-006", "unencrypted volume", lt({ block_device_mappings: [{ device_name: "/dev/xvda", ebs: [{ encrypted: "false" }] }] }), /volume "\/dev\/xvda" has ebs\.encrypted "false"/);
fail("SLW-EKS-006", "no volume declared", lt({ block_device_mappings: undefined }), /no block_device_mappings with ebs/);
const nodeGroup = (over: Json = {}) =>
  r("aws_eks_node_group", "NodeGroup", { cluster_name: "acme-prod", launch_template: { id: ref("aws_launch_template", "Nodes"), version: ref("aws_launch_template", "Nodes", "latest_version") }, ...over });
pass("SLW-EKS-007", "launch template", nodeGroup());
fail("SLW-EKS-007", "EKS default template", nodeGroup({ launch_template: undefined }), /no launch_template: EKS's default template leaves IMDSv1 on/);
fail("SLW-EKS-007", "SSH from anywhere", nodeGroup({ remote_access: { ec2_ssh_key: "ops" } }), /remote_access without source_security_group_ids opens SSH/);

const githubTrust = (subjects: unknown, extra: Json = {}) =>
  policy({
    Sid: "GithubActions",
    Effect: "Allow",
    Principal: { Federated: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subjects }, ...extra },
  });
const role = (name: string, trust: string, over: Json = {}) => r("aws_iam_role", name, { name: over.roleName ?? name, assume_role_policy: trust, ...over });
const association = (principal: string, scope: Json) =>
  r("aws_eks_access_policy_association", "Association", {
    cluster_name: "acme-prod",
    policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    principal_arn: principal,
    access_scope: scope,
  });
const deployRole = merge(
  role("DeployRole", githubTrust(["repo:acme/hello:environment:prod"]), { roleName: "hello-deploy-prod" }),
  r("aws_eks_access_entry", "Entry", { cluster_name: "acme-prod", principal_arn: ref("aws_iam_role", "DeployRole", "arn"), type: "STANDARD" }),
);
pass("SLW-EKS-008", "namespace-scoped deploy role", merge(deployRole, association(ref("aws_eks_access_entry", "Entry", "principal_arn"), { type: "namespace", namespaces: ["hello"] })));
pass("SLW-EKS-008", "cluster admin for a listed admin role", association("arn:aws:iam::222222222222:role/platform-admin", { type: "cluster" }));
fail("SLW-EKS-008", "cluster-wide deploy role", merge(deployRole, association(ref("aws_eks_access_entry", "Entry", "principal_arn"), { type: "cluster" })), /AmazonEKSClusterAdminPolicy is granted cluster-wide to "hello-deploy-prod", a deploy role/);
fail(
  "SLW-EKS-008",
  "cluster-wide CI role",
  merge(role("Ci", githubTrust(["repo:acme/hello:ref:refs/heads/main"]), { roleName: "hello-ci" }), association(ref("aws_iam_role", "Ci", "arn"), [{ type: "cluster" }])),
  /granted cluster-wide to aws_iam_role\.Ci, which GitHub Actions jobs can assume/,
);
const accessPolicy = (policyName: string, principal: string, scope: Json) =>
  r("aws_eks_access_policy_association", "Association", {
    cluster_name: "acme-prod",
    policy_arn: `arn:aws:eks::aws:cluster-access-policy/${policyName}`,
    principal_arn: principal,
    access_scope: scope,
  });
const ciRole = role("Ci", githubTrust(["repo:acme/infra:ref:refs/heads/main"]), { roleName: "acme-plan" });
pass("SLW-EKS-008", "cluster-wide view for a read-only CI role", merge(ciRole, accessPolicy("AmazonEKSViewPolicy", ref("aws_iam_role", "Ci", "arn"), { type: "cluster" })));
pass("SLW-EKS-009", "explicit admins only, access entries only", cluster({ access_config: { authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false } }));
fail("SLW-EKS-009", "access_config unset", cluster(), /bootstrap_cluster_creator_admin_permissions is \(not set\) \(the default is true\): whoever created the cluster is admin/);
fail("SLW-EKS-009", "creator admin kept", cluster({ access_config: [{ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: true }] }), /bootstrap_cluster_creator_admin_permissions is true/);
fail("SLW-EKS-009", "aws-auth ConfigMap still read", cluster({ access_config: { authentication_mode: "API_AND_CONFIG_MAP", bootstrap_cluster_creator_admin_permissions: false } }), /authentication_mode is "API_AND_CONFIG_MAP", not "API"/);
const deployEntry = ref("aws_eks_access_entry", "Entry", "principal_arn");
pass("SLW-EKS-010", "deploy role with namespaced view", merge(deployRole, accessPolicy("AmazonEKSViewPolicy", deployEntry, { type: "namespace", namespaces: ["hello"] })));
pass("SLW-EKS-010", "edit for a listed admin role", accessPolicy("AmazonEKSEditPolicy", "arn:aws:iam::222222222222:role/platform-admin", { type: "namespace", namespaces: ["hello"] }));
fail(
  "SLW-EKS-010",
  "namespace-scoped edit for a deploy role",
  merge(deployRole, accessPolicy("AmazonEKSEditPolicy", deployEntry, { type: "namespace", namespaces: ["hello"] })),
  /AmazonEKSEditPolicy is granted in namespaces \["hello"\] to "hello-deploy-prod", a deploy role: it can read Secrets/,
);
fail("SLW-EKS-010", "namespace admin for a CI role", merge(ciRole, accessPolicy("AmazonEKSAdminPolicy", ref("aws_iam_role", "Ci", "arn"), [{ type: "namespace", namespaces: ["x"] }])), /AmazonEKSAdminPolicy is granted in namespaces \["x"\] to aws_iam_role\.Ci, which GitHub Actions jobs can assume/);
const addon = (name: string, over: Json = {}) => r("aws_eks_addon", "Addon", { cluster_name: "acme-prod", addon_name: name, ...over });
pass("SLW-EKS-011", "vpc-cni with an IRSA role", addon("vpc-cni", { service_account_role_arn: ref("aws_iam_role", "VpcCni", "arn") }));
pass("SLW-EKS-011", "vpc-cni with a Pod Identity association", addon("vpc-cni", { pod_identity_association: [{ role_arn: ref("aws_iam_role", "VpcCni", "arn"), service_account: "aws-node" }] }));
pass("SLW-EKS-011", "another add-on", addon("coredns"));
fail("SLW-EKS-011", "vpc-cni on the node role", addon("vpc-cni"), /neither service_account_role_arn nor pod_identity_association: aws-node uses the node role/);

// --- IAM ------------------------------------------------------------------------------------------

const ec2Trust = policy({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" });
const cniAttachment = (roleName: string) =>
  r("aws_iam_role_policy_attachment", "Cni", { role: ref("aws_iam_role", roleName, "name"), policy_arn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" });
pass("SLW-IAM-006", "CNI policy on the add-on's own role", merge(role("VpcCni", githubTrust(["repo:a/b:ref:refs/heads/main"])), cniAttachment("VpcCni")));
pass("SLW-IAM-006", "node role without it", merge(role("NodeRole", ec2Trust), r("aws_iam_role_policy_attachment", "Worker", { role: ref("aws_iam_role", "NodeRole", "name"), policy_arn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" })));
fail("SLW-IAM-006", "CNI policy attached to the node role", merge(role("NodeRole", ec2Trust), cniAttachment("NodeRole")), /AmazonEKS_CNI_Policy is attached to aws_iam_role\.NodeRole, which EC2 instances \(nodes\) assume/);
fail("SLW-IAM-006", "CNI policy in the node role's managed_policy_arns", role("NodeRole", ec2Trust, { managed_policy_arns: ["arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy"] }), /managed_policy_arns holds AmazonEKS_CNI_Policy on a role EC2 instances assume/);

const inlinePolicy = (document: string) => r("aws_iam_role_policy", "Inline", { name: "inline", role: ref("aws_iam_role", "Role", "name"), policy: document });
const allow = (Action: unknown, Resource: unknown = "arn:aws:s3:::hello/*") => ({ Effect: "Allow", Action, Resource });

pass("SLW-IAM-001", "named actions", inlinePolicy(policy(allow(["s3:GetObject"]))));
fail("SLW-IAM-001", "every action", inlinePolicy(policy({ Sid: "Admin", ...allow("*") })), /statement "Admin" allows Action "\*"/);
fail("SLW-IAM-001", "NotAction", r("aws_iam_policy", "Managed", { name: "x", policy: policy({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }), /statement 0 allows NotAction "iam:\*"/);
fail(
  "SLW-IAM-001",
  "inline_policy block on a role",
  role("Role", policy({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }), { inline_policy: [{ name: "admin", policy: policy(allow("*", "*")) }] }),
  /inline_policy\[0\] \(admin\) statement 0 allows Action "\*"/,
);
pass("SLW-IAM-002", "ECR login on *", inlinePolicy(policy(allow("ecr:GetAuthorizationToken", "*"), allow(["ecr:PutImage"], ref("aws_ecr_repository", "Repo", "arn")))));
pass(
  "SLW-IAM-002",
  "jsonencode with a reference",
  inlinePolicy('${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Action" = ["ecr:PutImage"], "Resource" = aws_ecr_repository.Repo.arn}]})}'),
);
fail("SLW-IAM-002", "object reads on *", inlinePolicy(policy(allow(["ecr:GetAuthorizationToken", "s3:GetObject"], "*"))), /allows s3:GetObject on Resource "\*"/);
fail(
  "SLW-IAM-002",
  "jsonencode with *",
  inlinePolicy('${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Action" = "kms:Decrypt", "Resource" = "*"}]})}'),
  /allows kms:Decrypt on Resource "\*"/,
);
const serviceTrust = policy({ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" });
pass("SLW-IAM-003", "service principal", role("Role", serviceTrust));
fail("SLW-IAM-003", "any AWS principal", role("Role", policy({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" })), /trusts \{"AWS":"\*"\}: any AWS account/);
fail("SLW-IAM-003", "Principal *", role("Role", policy({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" })), /trusts "\*"/);
pass("SLW-IAM-004", "exact subjects", role("Role", githubTrust(["repo:acme/hello:ref:refs/heads/main", "repo:acme/hello:environment:prod"])));
pass("SLW-IAM-004", "not a GitHub trust", role("Role", serviceTrust));
fail(
  "SLW-IAM-004",
  "StringLike subject",
  role("Role", policy({ Effect: "Allow", Principal: { Federated: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" }, StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/hello:*" } } })),
  /matches token\.actions\.githubusercontent\.com:sub with StringLike/,
);
fail(
  "SLW-IAM-004",
  "no audience",
  role("Role", policy({ Effect: "Allow", Principal: { Federated: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "token.actions.githubusercontent.com:sub": "repo:acme/hello:ref:refs/heads/main" } } })),
  /does not pin token\.actions\.githubusercontent\.com:aud = sts\.amazonaws\.com/,
);
fail("SLW-IAM-004", "wildcard subject", role("Role", githubTrust("repo:acme/*:ref:refs/heads/main")), /accepts subject "repo:acme\/\*:ref:refs\/heads\/main"/);
fail("SLW-IAM-004", "subject without repo: prefix", role("Role", githubTrust(["environment:prod"])), /accepts subject "environment:prod": each must start repo:<owner>\/<repo>:/);
fail(
  "SLW-IAM-004",
  "provider of this stack, no subject",
  merge(
    r("aws_iam_openid_connect_provider", "Github", { url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] }),
    role("Role", policy({ Effect: "Allow", Principal: { Federated: ref("aws_iam_openid_connect_provider", "Github", "arn") }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } } })),
  ),
  /does not pin token\.actions\.githubusercontent\.com:sub with StringEquals/,
);
fail(
  "SLW-IAM-004",
  "provider from another stack",
  role("Role", policy({ Effect: "Allow", Principal: { Federated: "${data.terraform_remote_state.platform-prod.outputs.cross-stack-output-aws_iam_openid_connect_providerGithubOidc_86785739arn}" }, Action: "sts:AssumeRoleWithWebIdentity" })),
  /does not pin token\.actions\.githubusercontent\.com:aud/,
);
pass("SLW-IAM-005", "branch and environment subjects", role("Role", githubTrust(["repo:acme/hello:ref:refs/heads/main"])));
fail("SLW-IAM-005", "pull request subject", role("Role", githubTrust(["repo:acme/hello:pull_request"])), /accepts subject "repo:acme\/hello:pull_request"/);
pass("SLW-POLICY-001", "JSON document", inlinePolicy(policy(allow("s3:GetObject"))));
pass("SLW-POLICY-001", "jsonencode of a literal document", s3());
fail("SLW-POLICY-001", "data source document", inlinePolicy("${data.aws_iam_policy_document.x.json}"), /policy is not statically checkable: the document is the Terraform expression/);
fail("SLW-POLICY-001", "jsonencode with a function call", r("aws_kms_key", "Key", { enable_key_rotation: true, policy: '${jsonencode({"Statement" = concat(local.a, local.b)})}' }), /jsonencode\(\.\.\.\) is not a literal document \(function call concat/);
fail("SLW-POLICY-001", "trust policy not JSON", role("Role", "{not json"), /assume_role_policy is not statically checkable: the document is not valid JSON/);

// --- KMS, CloudWatch Logs, ECR ----------------------------------------------------------------

const rootPolicy = policy({ Sid: "AccountIam", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:*", Resource: "*" });
const key = (over: Json = {}) => r("aws_kms_key", "Key", { description: "k", enable_key_rotation: true, deletion_window_in_days: 30, policy: rootPolicy, ...over });
pass("SLW-KMS-001", "rotating", key());
pass("SLW-KMS-001", "asymmetric key (cannot rotate)", key({ enable_key_rotation: undefined, customer_master_key_spec: "RSA_2048" }));
fail("SLW-KMS-001", "not rotating", key({ enable_key_rotation: false }), /enable_key_rotation is false/);
pass("SLW-KMS-002", "account root", key());
pass("SLW-KMS-002", "* with a condition", key({ policy: policy({ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": "111111111111" } } }) }));
fail("SLW-KMS-002", "* without a condition", key({ policy: policy({ Sid: "Everyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }) }), /statement "Everyone" grants "kms:Decrypt" to every principal without a condition/);
const appSecret = (over: Json = {}) => r("aws_secretsmanager_secret", "Secret", { name: "acme/hello/prod/API_KEY", kms_key_id: ref("aws_kms_key", "Key", "arn"), ...over });
pass("SLW-SM-001", "customer-managed key in the stack", merge(key(), appSecret()));
pass("SLW-SM-001", "a key ARN given as text", appSecret({ kms_key_id: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab" }));
fail("SLW-SM-001", "no key", appSecret({ kms_key_id: undefined }), /no kms_key_id: the secret is encrypted with the AWS-managed aws\/secretsmanager key/);
fail("SLW-SM-001", "the AWS-managed key", appSecret({ kms_key_id: "alias/aws/secretsmanager" }), /an AWS-managed key/);
pass("SLW-SM-002", "a secret without a version", appSecret());
fail("SLW-SM-002", "a version with a value", merge(appSecret(), r("aws_secretsmanager_secret_version", "Value", { secret_id: ref("aws_secretsmanager_secret", "Secret"), secret_string: "x" })), /stored in Terraform's state/);
const logGroup = (over: Json = {}) => r("aws_cloudwatch_log_group", "Logs", { name: "/aws/eks/acme/cluster", retention_in_days: 365, kms_key_id: ref("aws_kms_key", "Key", "arn"), ...over });
pass("SLW-LOG-001", "a year", logGroup());
fail("SLW-LOG-001", "never expires (0)", logGroup({ retention_in_days: 0 }), /retention_in_days is 0/);
fail("SLW-LOG-001", "not set", logGroup({ retention_in_days: undefined }), /retention_in_days is \(not set\)/);
pass("SLW-LOG-002", "KMS key", logGroup());
fail("SLW-LOG-002", "no key", logGroup({ kms_key_id: undefined }), /no kms_key_id/);
const repoName = ref("aws_ecr_repository", "Repo", "name");
const ecr = (over: Json = {}, lifecycle = true) =>
  merge(
    r("aws_ecr_repository", "Repo", {
      name: "hello",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: ref("aws_kms_key", "Key", "arn") }],
      lifecycle: { prevent_destroy: true },
      ...over,
    }),
    lifecycle ? r("aws_ecr_lifecycle_policy", "Lifecycle", { repository: repoName, policy: '{"rules":[]}' }) : null,
  );
pass("SLW-ECR-001", "immutable", ecr());
fail("SLW-ECR-001", "mutable by default", ecr({ image_tag_mutability: undefined }), /image_tag_mutability is \(not set\) \(the default is MUTABLE\)/);
pass("SLW-ECR-002", "scan on push", ecr());
pass("SLW-ECR-002", "registry-wide scanning", merge(ecr({ image_scanning_configuration: undefined }), r("aws_ecr_registry_scanning_configuration", "Scanning", { scan_type: "ENHANCED", rule: [{ scan_frequency: "CONTINUOUS_SCAN", repository_filter: [{ filter: "*", filter_type: "WILDCARD" }] }] })));
fail("SLW-ECR-002", "no scanning", ecr({ image_scanning_configuration: { scan_on_push: false } }), /scan_on_push is not true/);
pass("SLW-ECR-003", "KMS", ecr());
fail("SLW-ECR-003", "AES256", ecr({ encryption_configuration: [{ encryption_type: "AES256" }] }), /encryption_type is "AES256"/);
pass("SLW-ECR-004", "lifecycle policy", ecr());
fail("SLW-ECR-004", "no lifecycle policy", ecr({}, false), /no aws_ecr_lifecycle_policy/);
const repoPolicy = (principal: unknown) =>
  r("aws_ecr_repository_policy", "RepoPolicy", { repository: repoName, policy: policy({ Sid: "Pull", Effect: "Allow", Principal: principal, Action: ["ecr:BatchGetImage"] }) });
pass("SLW-ECR-005", "another account's root", repoPolicy({ AWS: ["arn:aws:iam::222222222222:root"] }));
fail("SLW-ECR-005", "everyone", repoPolicy({ AWS: ["arn:aws:iam::222222222222:root", "*"] }), /statement "Pull" grants \["ecr:BatchGetImage"\] to every principal/);

// --- Kubernetes -----------------------------------------------------------------------------------

const GOOD_CONTAINER: Json = {
  name: "app",
  image: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/hello@sha256:abc",
  security_context: [{ allow_privilege_escalation: false, read_only_root_filesystem: true, run_as_non_root: true, capabilities: [{ drop: ["ALL"] }] }],
  resources: [{ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } }],
  liveness_probe: [{ http_get: [{ path: "/healthz", port: "8080" }] }],
  readiness_probe: [{ http_get: [{ path: "/healthz", port: "8080" }] }],
};
const GOOD_POD: Json = {
  service_account_name: "hello",
  automount_service_account_token: false,
  security_context: [{ run_as_non_root: true, run_as_user: 10001, seccomp_profile: [{ type: "RuntimeDefault" }] }],
  container: [GOOD_CONTAINER],
  volume: [{ name: "tmp", empty_dir: [{ medium: "Memory" }] }],
};
const nsName = ref("kubernetes_namespace_v1", "Namespace", "metadata[0].name");
function workload(pod: Json = {}, container: Json = {}, extra: Resources = {}): Resources {
  return merge(
    r("kubernetes_namespace_v1", "Namespace", { metadata: [{ name: "hello", labels: { "pod-security.kubernetes.io/enforce": "restricted" } }] }),
    r("kubernetes_network_policy_v1", "DefaultDeny", { metadata: [{ name: "default-deny", namespace: nsName }], spec: [{ pod_selector: [{}], policy_types: ["Ingress", "Egress"] }] }),
    r("kubernetes_service_account_v1", "ServiceAccount", { metadata: [{ name: "hello", namespace: nsName }], automount_service_account_token: false }),
    r("kubernetes_deployment_v1", "Deployment", {
      metadata: [{ name: "hello", namespace: nsName }],
      spec: [{ replicas: "2", selector: [{ match_labels: { app: "hello" } }], template: [{ metadata: [{ labels: { app: "hello" } }], spec: [{ ...GOOD_POD, ...pod, container: [{ ...GOOD_CONTAINER, ...container }] }] }] }],
    }),
    extra,
  );
}
const containerContext = (over: Json) => ({ security_context: [{ ...GOOD_CONTAINER.security_context[0], ...over }] });
const cronJob = (container: Json) =>
  r("kubernetes_cron_job_v1", "Migrate", {
    metadata: { name: "migrate", namespace: "hello" },
    spec: { schedule: "0 0 1 1 *", suspend: true, job_template: { metadata: {}, spec: { template: { metadata: {}, spec: { ...GOOD_POD, container: [{ ...GOOD_CONTAINER, ...container }] } } } } },
  });

pass("SLW-K8S-001", "non-root pod", workload());
pass("SLW-K8S-001", "object-shaped blocks (cdktf objects, not lists)", cronJob({}));
fail("SLW-K8S-001", "no runAsNonRoot", workload({ security_context: [{ seccomp_profile: [{ type: "RuntimeDefault" }] }] }, containerContext({ run_as_non_root: undefined })), /container "app" does not set run_as_non_root = true/);
fail("SLW-K8S-001", "runAsUser 0", workload({}, containerContext({ run_as_user: 0 })), /container "app" runs as user 0 \(root\)/);
pass("SLW-K8S-002", "no escalation", workload());
fail("SLW-K8S-002", "escalation allowed", workload({}, containerContext({ allow_privilege_escalation: true })), /container "app" has allow_privilege_escalation true/);
fail("SLW-K8S-002", "escalation not set in a CronJob", cronJob({ security_context: { read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } } }), /container "app" has allow_privilege_escalation \(not set\)/);
fail("SLW-K8S-002", "no container where the pod spec should be", r("kubernetes_job_v1", "Job", { metadata: { name: "j" }, spec: { template: { spec: {} } } }), /no container found at spec\.template\.spec\.container/);
pass("SLW-K8S-003", "drop ALL", workload());
fail("SLW-K8S-003", "adds a capability", workload({}, containerContext({ capabilities: [{ drop: ["ALL"], add: ["NET_ADMIN"] }] })), /adds capabilities \["NET_ADMIN"\]/);
fail("SLW-K8S-003", "drops nothing", workload({}, containerContext({ capabilities: undefined })), /does not drop ALL capabilities/);
pass("SLW-K8S-004", "RuntimeDefault on the pod", workload());
fail("SLW-K8S-004", "Unconfined on the container", workload({}, containerContext({ seccomp_profile: [{ type: "Unconfined" }] })), /runs with seccomp profile "Unconfined"/);
fail("SLW-K8S-004", "no seccomp profile", workload({ security_context: [{ run_as_non_root: true }] }), /runs with seccomp profile \(not set\)/);
pass("SLW-K8S-005", "own namespaces", workload());
fail("SLW-K8S-005", "host network", workload({ host_network: true, host_pid: "true" }), /pod spec sets host_network = true/);
pass("SLW-K8S-006", "emptyDir only", workload());
fail("SLW-K8S-006", "hostPath", workload({ volume: [{ name: "docker", host_path: [{ path: "/var/run/docker.sock" }] }] }), /volume "docker" mounts host path "\/var\/run\/docker\.sock"/);
pass("SLW-K8S-007", "unprivileged", workload());
fail("SLW-K8S-007", "privileged", workload({}, containerContext({ privileged: true })), /container "app" is privileged/);
fail(
  "SLW-K8S-007",
  "privileged init container",
  workload({ init_container: [{ name: "setup", image: "busybox", security_context: [{ privileged: true }] }] }),
  /init_container "setup" is privileged/,
);
pass("SLW-K8S-008", "read-only root", workload());
fail("SLW-K8S-008", "writable root", workload({}, containerContext({ read_only_root_filesystem: false })), /has read_only_root_filesystem false/);
pass("SLW-K8S-009", "requests and limits", workload());
fail("SLW-K8S-009", "no limits", workload({}, { resources: [{ requests: { cpu: "250m", memory: "256Mi" } }] }), /container "app" has no limits\.cpu, limits\.memory/);
pass("SLW-K8S-010", "both probes", workload());
fail("SLW-K8S-010", "no readiness probe", workload({}, { readiness_probe: undefined }), /container "app" has no readiness_probe/);
pass("SLW-K8S-011", "restricted", workload());
fail("SLW-K8S-011", "baseline", r("kubernetes_namespace_v1", "Namespace", { metadata: [{ name: "hello", labels: { "pod-security.kubernetes.io/enforce": "baseline" } }] }), /is "baseline", not "restricted"/);
pass("SLW-K8S-012", "default deny (namespace by reference)", workload());
pass(
  "SLW-K8S-012",
  "default deny (literal namespace)",
  merge(workload(), r("kubernetes_network_policy_v1", "DefaultDeny", { metadata: { name: "deny", namespace: "hello" }, spec: { pod_selector: {}, policy_types: ["Egress", "Ingress"] } })),
);
fail("SLW-K8S-012", "no network policy", without(workload(), "kubernetes_network_policy_v1"), /namespace "hello" has no default-deny NetworkPolicy/);
fail(
  "SLW-K8S-012",
  "policy with rules is not default-deny",
  merge(workload(), r("kubernetes_network_policy_v1", "DefaultDeny", { metadata: [{ name: "allow", namespace: nsName }], spec: [{ pod_selector: [{}], policy_types: ["Ingress", "Egress"], ingress: [{ from: [] }] }] })),
  /namespace "hello" has no default-deny NetworkPolicy/,
);
fail(
  "SLW-K8S-012",
  "deny in another namespace",
  merge(workload(), r("kubernetes_network_policy_v1", "DefaultDeny", { metadata: [{ name: "deny", namespace: "other" }], spec: [{ pod_selector: [{}], policy_types: ["Ingress", "Egress"] }] })),
  /namespace "hello" has no default-deny/,
);
pass("SLW-K8S-013", "no token", workload());
fail("SLW-K8S-013", "token by default", r("kubernetes_service_account_v1", "ServiceAccount", { metadata: [{ name: "hello" }] }), /automount_service_account_token is \(not set\) \(the provider's default is true\)/);
pass("SLW-K8S-014", "no token in the pod", workload());
pass("SLW-K8S-014", "inherited from the service account", workload({ automount_service_account_token: undefined }));
fail("SLW-K8S-014", "token mounted", workload({ automount_service_account_token: true }), /pod spec automount_service_account_token is true/);

const DEPLOY_RULES: Json[] = [
  { api_groups: ["apps"], resources: ["deployments"], resource_names: ["hello"], verbs: ["get", "list", "watch", "patch"] },
  { api_groups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
  { api_groups: [""], resources: ["pods/log"], verbs: ["get"] },
  { api_groups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch"] },
];
const rbacRole = (rules: Json[], type = "kubernetes_role_v1") => r(type, "DeployRole", { metadata: [{ name: "hello-deploy", namespace: nsName }], rule: rules });
const rbacBinding = (subject: Json, type = "kubernetes_role_binding_v1", roleRef: Json = { api_group: "rbac.authorization.k8s.io", kind: "Role", name: ref("kubernetes_role_v1", "DeployRole", "metadata[0].name") }) =>
  r(type, "DeployBinding", { metadata: [{ name: "hello-deploy", namespace: nsName }], role_ref: [roleRef], subject: [{ api_group: "rbac.authorization.k8s.io", ...subject }] });
const deployGroup = { kind: "Group", name: "slipway-deploy:hello-prod" };
pass("SLW-K8S-015", "the pipeline's exact needs, bound to the deploy group", merge(rbacRole(DEPLOY_RULES), rbacBinding(deployGroup)));
pass("SLW-K8S-015", "secrets for a service account only", merge(rbacRole([{ api_groups: [""], resources: ["secrets"], verbs: ["get"] }]), rbacBinding({ kind: "ServiceAccount", name: "reader", api_group: undefined })));
fail("SLW-K8S-015", "secrets for the deploy group", merge(rbacRole([...DEPLOY_RULES, { api_groups: [""], resources: ["secrets"], verbs: ["get", "list"] }]), rbacBinding(deployGroup)), /rule 4 grants secrets \(get, list\) to Group "slipway-deploy:hello-prod"/);
fail("SLW-K8S-015", "exec for the deploy group", merge(rbacRole([{ api_groups: [""], resources: ["pods/exec"], verbs: ["create"] }]), rbacBinding(deployGroup)), /rule 0 grants pods\/exec to Group/);
fail("SLW-K8S-015", "network policy changes", merge(rbacRole([{ api_groups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "patch"] }]), rbacBinding(deployGroup)), /grants networkpolicies \(patch\)/);
fail(
  "SLW-K8S-015",
  "a wildcard ClusterRole bound by name to a user",
  merge(
    r("kubernetes_cluster_role_v1", "Admin", { metadata: [{ name: "everything" }], rule: [{ api_groups: ["*"], resources: ["*"], verbs: ["*"] }] }),
    r("kubernetes_cluster_role_binding_v1", "AdminBinding", { metadata: [{ name: "everything" }], role_ref: [{ api_group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "everything" }], subject: [{ kind: "User", name: "ci" }] }),
  ),
  /rule 0 grants a wildcard .* to User "ci"/,
);

// --- GitHub ---------------------------------------------------------------------------------------

const repoRef = ref("github_repository", "Repo", "name");
const GOOD_RULESET: Json = {
  name: "default-branch",
  repository: repoRef,
  target: "branch",
  enforcement: "active",
  conditions: { ref_name: { include: ["~DEFAULT_BRANCH"], exclude: [] } },
  rules: { deletion: true, non_fast_forward: true, pull_request: { required_approving_review_count: 1, dismiss_stale_reviews_on_push: true, require_last_push_approval: true } },
};
function repo(over: Json = {}, ruleset: Json | null = {}, extra: Resources = {}): Resources {
  return merge(
    r("github_repository", "Repo", { name: "hello", visibility: "private", vulnerability_alerts: true, ...over }),
    r("github_branch_default", "DefaultBranch", { repository: repoRef, branch: "main" }),
    ruleset === null ? null : r("github_repository_ruleset", "Ruleset", { ...GOOD_RULESET, ...ruleset }),
    extra,
  );
}
pass("SLW-GH-001", "private", repo());
fail("SLW-GH-001", "public", repo({ visibility: "public" }), /visibility is "public"/);
fail("SLW-GH-001", "visibility unset", repo({ visibility: undefined }), /visibility is not set: the provider creates a public repository/);
pass("SLW-GH-002", "alerts on", repo());
fail("SLW-GH-002", "alerts off", repo({ vulnerability_alerts: false }), /vulnerability_alerts is false/);
pass("SLW-GH-003", "ruleset on the default branch", repo());
pass(
  "SLW-GH-003",
  "branch protection",
  repo({}, null, r("github_branch_protection", "Protection", { repository_id: ref("github_repository", "Repo", "node_id"), pattern: "main", enforce_admins: true, required_pull_request_reviews: [{ required_approving_review_count: 1, dismiss_stale_reviews: true }] })),
);
fail("SLW-GH-003", "unprotected", repo({}, null), /default branch "main" has no active ruleset or branch protection/);
fail("SLW-GH-003", "ruleset only evaluated", repo({}, { enforcement: "evaluate" }), /has no active ruleset/);
fail("SLW-GH-003", "no review required", repo({}, { rules: { ...GOOD_RULESET.rules, pull_request: { required_approving_review_count: 0, dismiss_stale_reviews_on_push: true } } }), /merges without an approving review/);
fail("SLW-GH-003", "force pushes allowed", repo({}, { rules: { ...GOOD_RULESET.rules, non_fast_forward: false } }), /allows force pushes/);
fail("SLW-GH-003", "bypass actors", repo({}, { bypass_actors: [{ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }] }), /ruleset github_repository_ruleset\.Ruleset has 1 bypass actor/);
// github.appId: the single documented bypass actor, the App Terraform commits the workflows as.
pass("SLW-GH-003", "the one GitHub App Terraform authenticates as", repo({}, { bypass_actors: [{ actor_id: 123456, actor_type: "Integration", bypass_mode: "always" }] }));
fail(
  "SLW-GH-003",
  "an App and a role",
  repo({}, { bypass_actors: [{ actor_id: 123456, actor_type: "Integration", bypass_mode: "always" }, { actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }] }),
  /has 2 bypass actor\(s\).*at most one GitHub App/,
);
fail("SLW-GH-003", "two Apps", repo({}, { bypass_actors: [1, 2].map((id) => ({ actor_id: id, actor_type: "Integration", bypass_mode: "always" })) }), /has 2 bypass actor/);
fail(
  "SLW-GH-003",
  "protection without enforce_admins or stale-review dismissal",
  repo({}, null, r("github_branch_protection", "Protection", { repository_id: ref("github_repository", "Repo", "node_id"), pattern: "main", required_pull_request_reviews: [{ required_approving_review_count: 1 }] })),
  /keeps approvals after new commits are pushed/,
);
const environment = (name: string, over: Json = {}) =>
  r("github_repository_environment", `Env_${name}`, { repository: repoRef, environment: name, can_admins_bypass: false, prevent_self_review: true, reviewers: [{ users: [12345], teams: [] }], ...over });
const ENVS = { productionEnvironments: ["prod"] };
pass("SLW-GH-004", "production with reviewers", environment("prod"), ENVS);
pass("SLW-GH-004", "development without reviewers", environment("dev", { reviewers: undefined, prevent_self_review: undefined, can_admins_bypass: undefined }), ENVS);
fail("SLW-GH-004", "production without reviewers", environment("prod", { reviewers: [] }), /production environment "prod" has no required reviewers/, ENVS);
fail("SLW-GH-004", "production admins bypass", environment("prod", { can_admins_bypass: undefined }), /can_admins_bypass \(not set\) \(the default is true\)/, ENVS);
fail("SLW-GH-004", "reviewed staging allows self-review", environment("staging", { prevent_self_review: false }), /environment "staging" does not set prevent_self_review/, ENVS);
const scanning = { secret_scanning: { status: "enabled" }, secret_scanning_push_protection: { status: "enabled" } };
pass("SLW-GH-005", "secret scanning and push protection", repo({ security_and_analysis: scanning }));
pass("SLW-GH-005", "with GitHub Advanced Security", repo({ security_and_analysis: [{ advanced_security: [{ status: "enabled" }], ...scanning }] }));
fail("SLW-GH-005", "no security settings", repo(), /security_and_analysis\.secret_scanning is \(not set\): committed credentials are not detected/);
fail("SLW-GH-005", "push protection off", repo({ security_and_analysis: { ...scanning, secret_scanning_push_protection: { status: "disabled" } } }), /secret_scanning_push_protection is "disabled": pushes holding a credential are accepted/);
const dependabot = (enabled: boolean) => r("github_repository_dependabot_security_updates", "Dependabot", { repository: repoRef, enabled });
pass("SLW-GH-006", "security updates on", repo({}, {}, dependabot(true)));
fail("SLW-GH-006", "no security updates resource", repo(), /no github_repository_dependabot_security_updates with enabled = true/);
fail("SLW-GH-006", "security updates off", repo({}, {}, dependabot(false)), /no github_repository_dependabot_security_updates with enabled = true/);

// --- Production safety ----------------------------------------------------------------------------

pass("SLW-PROD-001", "database with prevent_destroy", db(), PROD);
pass("SLW-PROD-001", "access-log bucket (tagged by accessLogBucket) without it", r("aws_s3_bucket", "Logs", { bucket: "x", tags: { "slipway:purpose": "access-logs" } }), PROD);
// The tag alone exempts: a name never does (an app called audit-logs or access-logs keeps its protection)...
fail("SLW-PROD-001", "a bucket named like logs (app audit-logs)", r("aws_s3_bucket", "Assets", { bucket: "audit-logs-prod-assets-111111111111" }), /loses the bucket's objects/, PROD);
fail("SLW-PROD-001", "a bucket named like logs (app access-logs)", r("aws_s3_bucket", "Assets", { bucket: "access-logs-prod-assets-111111111111" }), /loses the bucket's objects/, PROD);
// ...and neither does another tag value.
fail("SLW-PROD-001", "the old tag value", r("aws_s3_bucket", "Logs", { bucket: "x", tags: { "slipway:purpose": "logs" } }), /loses the bucket's objects/, PROD);
pass("SLW-PROD-001", "outside production (rule skipped)", db({ lifecycle: undefined }));
fail("SLW-PROD-001", "database without it", db({ lifecycle: undefined }), /lifecycle\.prevent_destroy is not set: a plan that destroys or replaces this resource loses the database/, PROD);
fail("SLW-PROD-001", "data bucket without it", s3({ bucket: { lifecycle: { create_before_destroy: true } } }), /loses the bucket's objects/, PROD);
fail("SLW-PROD-001", "KMS key without it", key(), /loses the key/, PROD);
fail("SLW-PROD-001", "registry without it", ecr({ lifecycle: undefined }), /loses every released image/, PROD);

// --- Capacity -------------------------------------------------------------------------------------

const zoneSpread = (over: Json = {}) => ({ topology_spread_constraint: [{ topology_key: "topology.kubernetes.io/zone", max_skew: 1, when_unsatisfiable: "DoNotSchedule", ...over }, { topology_key: "kubernetes.io/hostname", max_skew: 1, when_unsatisfiable: "ScheduleAnyway" }] });
const oneReplica = (pod: Json = {}) =>
  r("kubernetes_deployment_v1", "Deployment", {
    metadata: [{ name: "hello", namespace: "hello" }],
    spec: [{ replicas: "1", template: [{ spec: [{ ...GOOD_POD, ...pod, container: [GOOD_CONTAINER] }] }] }],
  });
const hpaOf = (target: Json) => r("kubernetes_horizontal_pod_autoscaler_v2", "Hpa", { metadata: { name: "hello", namespace: "hello" }, spec: { min_replicas: 1, max_replicas: 4, scale_target_ref: target } });
pass("SLW-CAP-001", "zone spread required", workload(zoneSpread()), PROD);
pass("SLW-CAP-001", "one pod and no autoscaler (nothing to spread)", oneReplica(), PROD);
pass("SLW-CAP-001", "outside production (rule skipped)", workload());
fail("SLW-CAP-001", "no zone spread", workload(), /no topology_spread_constraint on topology\.kubernetes\.io\/zone/, PROD);
fail("SLW-CAP-001", "zone spread only preferred", workload(zoneSpread({ when_unsatisfiable: "ScheduleAnyway" })), /when_unsatisfiable "ScheduleAnyway", a preference/, PROD);
fail("SLW-CAP-001", "zone skew above one", workload(zoneSpread({ max_skew: 2 })), /allows max_skew 2/, PROD);
fail("SLW-CAP-001", "one replica that an autoscaler grows (by reference)", merge(oneReplica(), hpaOf({ kind: "Deployment", name: ref("kubernetes_deployment_v1", "Deployment", "metadata[0].name") })), /no topology_spread_constraint/, PROD);
fail("SLW-CAP-001", "one replica that an autoscaler grows (by name)", merge(oneReplica(), hpaOf({ kind: "Deployment", name: "hello" })), /no topology_spread_constraint/, PROD);

const growingNodes = (over: Json = {}) =>
  r("aws_eks_node_group", "NodeGroup", {
    cluster_name: ref("aws_eks_cluster", "Cluster", "name"),
    scaling_config: { min_size: 2, desired_size: 3, max_size: 6 },
    lifecycle: { create_before_destroy: true, ignore_changes: ["scaling_config[0].desired_size"] },
    ...over,
  });
const autoscalerIdentity = (over: Json = {}) =>
  r("aws_eks_pod_identity_association", "AutoscalerIdentity", { cluster_name: ref("aws_eks_cluster", "Cluster", "name"), namespace: "kube-system", service_account: "cluster-autoscaler", role_arn: ref("aws_iam_role", "Autoscaler", "arn"), ...over });
pass("SLW-CAP-002", "a growing group with the autoscaler's identity", merge(growingNodes(), autoscalerIdentity()), PROD);
pass("SLW-CAP-002", "a fixed-size group", growingNodes({ scaling_config: { min_size: 3, desired_size: 3, max_size: 3 }, lifecycle: undefined }), PROD);
fail("SLW-CAP-002", "no autoscaler identity", growingNodes(), /no Pod Identity association gives kube-system\/cluster-autoscaler a role/, PROD);
fail("SLW-CAP-002", "the identity is another service account's", merge(growingNodes(), autoscalerIdentity({ service_account: "hello" })), /nothing adds nodes for pending pods/, PROD);
fail("SLW-CAP-002", "Terraform resets the live size", merge(growingNodes({ lifecycle: { create_before_destroy: true } }), autoscalerIdentity()), /ignore_changes lacks scaling_config\[0\]\.desired_size/, PROD);

// --- CodeBuild ------------------------------------------------------------------------------------

function codebuild(over: { project?: Json; group?: Json | null; webhook?: Json | null; trust?: Json } = {}): Resources {
  return merge(
    r("aws_codebuild_project", "Runner", {
      name: "acme-dev-deploy-runner",
      service_role: ref("aws_iam_role", "RunnerRole", "arn"),
      environment: { type: "LINUX_CONTAINER", compute_type: "BUILD_GENERAL1_SMALL", image: "aws/codebuild/amazonlinux-x86_64-standard:5.0", privileged_mode: false },
      vpc_config: { vpc_id: "vpc-1", subnets: ["subnet-1", "subnet-2"], security_group_ids: [ref("aws_security_group", "RunnerSg")] },
      logs_config: { cloudwatch_logs: { status: "ENABLED", group_name: ref("aws_cloudwatch_log_group", "RunnerLogs", "name") }, s3_logs: { status: "DISABLED" } },
      ...over.project,
    }),
    over.group === null ? null : r("aws_cloudwatch_log_group", "RunnerLogs", { name: "/aws/codebuild/acme-dev-deploy-runner", retention_in_days: 90, kms_key_id: ref("aws_kms_key", "Key", "arn"), ...over.group }),
    over.webhook === null
      ? null
      : r("aws_codebuild_webhook", "RunnerWebhook", { project_name: ref("aws_codebuild_project", "Runner", "name"), filter_group: [{ filter: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }], ...over.webhook }),
    r("aws_iam_role", "RunnerRole", {
      name: "acme-dev-deploy-runner",
      assume_role_policy: policy(
        over.trust ?? {
          Effect: "Allow",
          Principal: { Service: "codebuild.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "111111111111", "aws:SourceArn": "arn:aws:codebuild:eu-west-1:111111111111:project/acme-dev-deploy-runner" } },
        },
      ),
    }),
  );
}
const runnerTrust = (condition: Json | undefined, principal: Json = { Service: "codebuild.amazonaws.com" }) => ({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", Condition: condition });

pass("SLW-CB-001", "unprivileged runner", codebuild());
fail("SLW-CB-001", "privileged mode", codebuild({ project: { environment: { type: "LINUX_CONTAINER", privileged_mode: true } } }), /privileged_mode is true: every job gets a root Docker daemon/);
pass("SLW-CB-002", "encrypted log group with retention", codebuild());
fail("SLW-CB-002", "CloudWatch logs off", codebuild({ project: { logs_config: { cloudwatch_logs: { status: "DISABLED" } } } }), /cloudwatch_logs\.status is "DISABLED"/);
fail("SLW-CB-002", "no logs_config", codebuild({ project: { logs_config: undefined } }), /cloudwatch_logs\.status is \(not set\): the builds' logs are not kept in CloudWatch/);
fail("SLW-CB-002", "no group name", codebuild({ project: { logs_config: { cloudwatch_logs: { status: "ENABLED" } } } }), /group_name is not set/);
fail("SLW-CB-002", "log group not in the stack", codebuild({ group: null }), /cannot confirm the log group/);
fail("SLW-CB-002", "unencrypted log group kept forever", codebuild({ group: { kms_key_id: undefined, retention_in_days: 0 } }), /has no kms_key_id/);
pass("SLW-CB-003", "runner in a VPC", codebuild());
pass("SLW-CB-003", "a project without runner webhook needs no VPC", codebuild({ project: { vpc_config: undefined }, webhook: { filter_group: [{ filter: [{ type: "EVENT", pattern: "PUSH" }] }] } }));
fail("SLW-CB-003", "runner outside a VPC", codebuild({ project: { vpc_config: undefined } }), /runner project without vpc_config/);
fail("SLW-CB-003", "runner with no security group", codebuild({ project: { vpc_config: { vpc_id: "vpc-1", subnets: ["subnet-1"], security_group_ids: [] } } }), /security_group_ids is empty/);
pass("SLW-CB-004", "trust pinned to account and project", codebuild());
fail("SLW-CB-004", "trust without source conditions", codebuild({ trust: runnerTrust(undefined) }), /no aws:SourceAccount or aws:SourceArn condition/);
fail("SLW-CB-004", "trust of another principal", codebuild({ trust: runnerTrust({ StringEquals: { "aws:SourceAccount": "111111111111" } }, { Service: ["codebuild.amazonaws.com", "ec2.amazonaws.com"] }) }), /besides CodeBuild/);

// --- CloudWatch alarms and SNS ---------------------------------------------------------------------

const topicArn = ref("aws_sns_topic", "Alarms", "arn");
const dbAlarm = (over: Json = {}) =>
  r("aws_cloudwatch_metric_alarm", "DbCpu", {
    alarm_name: "hello-prod-db-cpu",
    namespace: "AWS/RDS",
    metric_name: "CPUUtilization",
    dimensions: { DBInstanceIdentifier: ref("aws_db_instance", "Db", "identifier") },
    comparison_operator: "GreaterThanThreshold",
    threshold: 80,
    evaluation_periods: 3,
    alarm_actions: [topicArn],
    actions_enabled: true,
    ...over,
  });
const lbAlarm = r("aws_cloudwatch_metric_alarm", "Lb5xx", {
  alarm_name: "hello-prod-alb-5xx-rate",
  comparison_operator: "GreaterThanThreshold",
  threshold: 1,
  evaluation_periods: 5,
  metric_query: [{ id: "errors", metric: { namespace: "AWS/ApplicationELB", metric_name: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: ref("aws_lb", "Lb", "arn_suffix") }, period: 60, stat: "Sum" } }],
  alarm_actions: [topicArn],
});
pass("SLW-MON-001", "a database watched by an alarm that notifies the topic", merge(db(), dbAlarm()), PROD);
pass("SLW-MON-001", "a load balancer watched through a metric-math alarm", merge(lb(), lbAlarm), PROD);
pass("SLW-MON-001", "not production", db(), { production: false });
fail("SLW-MON-001", "no alarm", db(), /no CloudWatch alarm watches this database/, PROD);
fail("SLW-MON-001", "an alarm on another database", merge(db(), dbAlarm({ dimensions: { DBInstanceIdentifier: "other-db" } })), /no CloudWatch alarm watches this database/, PROD);
fail("SLW-MON-001", "an alarm without action", merge(db(), dbAlarm({ alarm_actions: [] })), /have no alarm action, or actions disabled/, PROD);
fail("SLW-MON-001", "an alarm with its actions disabled", merge(db(), dbAlarm({ actions_enabled: false })), /have no alarm action, or actions disabled/, PROD);
fail("SLW-MON-001", "a distribution without alarm", cf(), /no CloudWatch alarm watches this CloudFront distribution/, PROD);

const topic = (over: Json = {}) => r("aws_sns_topic", "Alarms", { name: "acme-prod-alarms", kms_master_key_id: ref("aws_kms_key", "Key", "arn"), ...over });
pass("SLW-MON-002", "a customer-managed key", merge(key(), topic()));
fail("SLW-MON-002", "no key", topic({ kms_master_key_id: undefined }), /no kms_master_key_id/);
fail("SLW-MON-002", "the AWS-managed key", topic({ kms_master_key_id: "alias/aws/sns" }), /the AWS-managed key/);

// --- AWS Backup ---------------------------------------------------------------------------------

const denyLosingRecoveryPoints = { Sid: "DenyLosingRecoveryPoints", Effect: "Deny", Principal: { AWS: "*" }, Action: ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"], Resource: "*" };
/** A locked, encrypted vault with its deny policy, as DatabaseBackup writes it (`provider` for the copy region's). */
function vault(name: string, over: { vault?: Json; lock?: Json | null; policy?: string | null } = {}): Resources {
  const vaultName = ref("aws_backup_vault", name, "name");
  return merge(
    r("aws_backup_vault", name, { name: `hello-prod-backup`, kms_key_arn: ref("aws_kms_key", `${name}Key`, "arn"), force_destroy: false, ...over.vault }),
    over.lock === null ? null : r("aws_backup_vault_lock_configuration", `${name}Lock`, { backup_vault_name: vaultName, min_retention_days: 35, changeable_for_days: 3, ...over.lock }),
    over.policy === null ? null : r("aws_backup_vault_policy", `${name}Policy`, { backup_vault_name: vaultName, policy: over.policy ?? policy(denyLosingRecoveryPoints) }),
  );
}
/** The production database with a daily plan into Vault, copied to CopyVault (the copy region's provider), and its selection. */
function backedUp(over: { copy?: Json[] | null; copyVault?: Json; selection?: boolean } = {}): Resources {
  return merge(
    db(),
    vault("Vault"),
    vault("CopyVault", { vault: { provider: "aws.backup-copy", ...over.copyVault } }),
    r("aws_backup_plan", "Plan", {
      name: "hello-prod-database",
      rule: [
        {
          rule_name: "daily",
          target_vault_name: ref("aws_backup_vault", "Vault", "name"),
          schedule: "cron(0 5 * * ? *)",
          lifecycle: { delete_after: 35 },
          ...(over.copy === null ? {} : { copy_action: over.copy ?? [{ destination_vault_arn: ref("aws_backup_vault", "CopyVault", "arn"), lifecycle: { delete_after: 35 } }] }),
        },
      ],
    }),
    over.selection === false ? null : r("aws_backup_selection", "Selection", { name: "hello-prod-database", plan_id: ref("aws_backup_plan", "Plan"), iam_role_arn: ref("aws_iam_role", "BackupRole", "arn"), resources: [ref("aws_db_instance", "Db", "arn")] }),
  );
}

pass("SLW-BAK-001", "daily plan copied to the copy region's vault", backedUp(), PROD);
pass("SLW-BAK-001", "copied to another account's vault in another region", backedUp({ copy: [{ destination_vault_arn: "arn:aws:backup:eu-central-1:333333333333:backup-vault:hello-prod-backup" }] }), PROD);
pass("SLW-BAK-001", "outside production (rule skipped)", db());
fail("SLW-BAK-001", "no selection names the database", backedUp({ selection: false }), /no aws_backup_selection names this instance/, PROD);
fail("SLW-BAK-001", "no backup at all", db(), /no aws_backup_selection names this instance/, PROD);
fail("SLW-BAK-001", "no copy action", backedUp({ copy: null }), /no copy_action: every recovery point stays in the database's region/, PROD);
fail("SLW-BAK-001", "copied to a vault of the same region", backedUp({ copyVault: { provider: undefined } }), /every copy_action .* stays in the database's region/, PROD);
pass("SLW-BAK-002", "encrypted, locked, deleting denied", vault("Vault"));
pass("SLW-BAK-002", "deleting denied to all but break-glass", vault("Vault", { policy: policy({ ...denyLosingRecoveryPoints, Condition: { ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::111111111111:role/break-glass"] } } }) }));
fail("SLW-BAK-002", "no vault lock", vault("Vault", { lock: null }), /no aws_backup_vault_lock_configuration/);
fail("SLW-BAK-002", "a lock without minimum retention", vault("Vault", { lock: { min_retention_days: undefined } }), /sets no min_retention_days/);
fail("SLW-BAK-002", "no vault policy", vault("Vault", { policy: null }), /no aws_backup_vault_policy denies backup:DeleteRecoveryPoint/);
fail("SLW-BAK-002", "a policy that allows instead of denying", vault("Vault", { policy: policy({ ...denyLosingRecoveryPoints, Effect: "Allow" }) }), /no aws_backup_vault_policy denies/);
fail("SLW-BAK-002", "a deny for one principal only", vault("Vault", { policy: policy({ ...denyLosingRecoveryPoints, Principal: { AWS: "arn:aws:iam::111111111111:role/deploy" } }) }), /no aws_backup_vault_policy denies/);
fail("SLW-BAK-002", "no customer-managed key", vault("Vault", { vault: { kms_key_arn: undefined } }), /kms_key_arn is not set/);

// --- Pull-request previews ------------------------------------------------------------------------

const previewTrust = (...subjects: string[]) =>
  policy({ Effect: "Allow", Principal: { Federated: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subjects } } });
const previewRole = (...subjects: string[]) => r("aws_iam_role", "PreviewRole", { name: "shop-preview-dev", assume_role_policy: previewTrust(...(subjects.length ? subjects : ["repo:acme/shop:environment:preview"])) });
const previewRegistry = r("aws_ecr_repository", "PreviewRegistry", { name: "shop-previews" });
const previewPolicy = (...statements: Json[]) => r("aws_iam_role_policy", "PreviewPolicy", { role: ref("aws_iam_role", "PreviewRole", "name"), policy: policy(...statements) });
const pushPreviews = { Effect: "Allow", Action: ["ecr:PutImage", "ecr:BatchDeleteImage"], Resource: ref("aws_ecr_repository", "PreviewRegistry", "arn") };
pass("SLW-PRV-001", "push and delete in <app>-previews, describe the cluster", merge(previewRole(), previewRegistry, previewPolicy(pushPreviews, { Effect: "Allow", Action: "eks:DescribeCluster", Resource: "arn:aws:eks:eu-west-1:111111111111:cluster/acme-dev" })));
fail("SLW-PRV-001", "push to the released registry", merge(previewRole(), r("aws_ecr_repository", "Released", { name: "shop" }), previewPolicy({ ...pushPreviews, Resource: ref("aws_ecr_repository", "Released", "arn") })), /only the previews' registry <app>-previews/);
fail("SLW-PRV-001", "any other action", merge(previewRole(), previewPolicy({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" })), /s3:GetObject: the preview identity pushes, pulls and deletes preview images/);
fail("SLW-PRV-001", "trusted from a branch too", previewRole("repo:acme/shop:environment:preview", "repo:acme/shop:ref:refs/heads/main"), /also trusted from repo:acme\/shop:ref:refs\/heads\/main/);
const previewGroupBinding = r("kubernetes_cluster_role_binding_v1", "ManagerBinding", { metadata: { name: "slipway:shop-preview-manager" }, subject: [{ kind: "Group", name: "slipway:shop-previews" }] });
const vap = (name: string, expressions: string[], failurePolicy = "Fail") => r("kubernetes_manifest", `${name}Policy`, { manifest: { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name }, spec: { failurePolicy, validations: expressions.map((expression) => ({ expression })) } } });
const vapBinding = (name: string, actions = ["Deny"]) => r("kubernetes_manifest", `${name}Binding`, { manifest: { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name }, spec: { policyName: name, validationActions: actions } } });
const namespaceRules = ['object.metadata.name.matches("^shop-pr-[1-9][0-9]{0,8}$")', 'object.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"'];
const guarded = merge(previewGroupBinding, vap("slipway-shop-preview-namespaces", namespaceRules), vapBinding("slipway-shop-preview-namespaces"), vap("slipway-shop-preview-objects", ["true"]), vapBinding("slipway-shop-preview-objects"));
pass("SLW-PRV-002", "both admission policies, failing closed and denying", guarded);
fail("SLW-PRV-002", "no namespace policy", without(merge(previewGroupBinding), "kubernetes_manifest"), /no ValidatingAdmissionPolicy slipway-shop-preview-namespaces/);
fail("SLW-PRV-002", "a policy that only warns", merge(guarded, vapBinding("slipway-shop-preview-objects", ["Warn"])), /slipway-shop-preview-objects is not enforced/);
fail("SLW-PRV-002", "names not held to <app>-pr-<n>", merge(guarded, vap("slipway-shop-preview-namespaces", [namespaceRules[1]])), /does not hold names to shop-pr-<n>/);
pass("SLW-PRV-003", "no preview environment in production", r("github_repository_environment", "Prod", { environment: "prod" }), PROD);
fail("SLW-PRV-003", "the preview environment in a production stack", r("github_repository_environment", "Preview", { environment: "preview" }), /the preview environment is made in a production stack/, PROD);
fail("SLW-PRV-003", "a preview role in a production stack", previewRole(), /a role trusted from the preview environment is made in a production stack/, PROD);

// --------------------------------------------------------------------------------------------------

const RULES = new Map<string, Rule>(ALL_RULES.map((rule) => [rule.id, rule]));

function findingsOf(c: Case) {
  const rule = RULES.get(c.rule);
  if (!rule) throw new Error(`no rule ${c.rule}`);
  const result = evaluate([{ name: "test", production: c.production ?? false, json: stackJson(c.resources) }], {
    rules: [rule],
    productionEnvironments: c.productionEnvironments,
  });
  return result.findings;
}

describe("policy rules", () => {
  test("every rule has a passing and a failing case", () => {
    const missing = ALL_RULES.flatMap((rule) => {
      const cases = CASES.filter((c) => c.rule === rule.id);
      return [
        ...(cases.some((c) => !c.message) ? [] : [`${rule.id}: no passing case`]),
        ...(cases.some((c) => c.message) ? [] : [`${rule.id}: no failing case`]),
      ];
    });
    expect(missing).toEqual([]);
    expect(CASES.filter((c) => !RULES.has(c.rule)).map((c) => c.rule)).toEqual([]);
  });

  const passing = CASES.filter((c) => !c.message).map((c) => [c.rule, c.label, c] as const);
  test.each(passing)("%s passes: %s", (_id, _label, c) => {
    expect(findingsOf(c).map((f) => f.message)).toEqual([]);
  });

  const failing = CASES.filter((c) => c.message).map((c) => [c.rule, c.label, c] as const);
  test.each(failing)("%s fails: %s", (id, _label, c) => {
    const findings = findingsOf(c);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.rule.id === id && f.severity === RULES.get(id)!.severity)).toBe(true);
    expect(findings.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(c.message!)]));
  });

  test("every rule documents its fix, title, types and a valid id", () => {
    for (const rule of ALL_RULES) {
      expect(rule.id).toMatch(/^SLW-[A-Z0-9]+-\d{3}$/);
      expect(rule.title.length).toBeGreaterThan(10);
      expect(rule.fix.length).toBeGreaterThan(10);
      expect(rule.resourceTypes.length).toBeGreaterThan(0);
    }
    expect(new Set(ALL_RULES.map((r) => r.id)).size).toBe(ALL_RULES.length);
  });
});
