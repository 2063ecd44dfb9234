/**
 * Bad platform files through `npm run synth`'s own entry point (`main(argv)` of cli/synth.ts),
 * in-process: each exits 1, reports every problem with the file, the line, the path and what is
 * valid, and leaves the previous cdktf.out byte-for-byte as it was.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { stringify } from "yaml";
import { main as diagramMain } from "../../cli/diagram";
import { isSynthOutput, main, synthesize } from "../../cli/synth";
import { POSTGRES_INSTANCE_CLASSES, PostgresDatabase } from "../../constructs/postgres-database";
import { parsePlatform, PlatformFileError } from "../../platform/model";
import { withEnv } from "../support/console";
import { EXAMPLE_FILE, exampleDocument, readTree, ROOT, tempDir } from "../support/platform";

/** A bad platform file and the problems it must report: `[path, text]`, path "" for the file as a whole. */
interface BadCase {
  readonly name: string;
  /** The example document, changed... */
  readonly change?: (doc: any) => void;
  /** ...or the file's whole text... */
  readonly text?: string;
  /** ...or its bytes... */
  readonly bytes?: Buffer;
  /** ...or a path to pass that is not a readable file (relative to the test's folder). */
  readonly path?: (dir: string) => string;
  readonly problems: [string, string][];
}

const NOT_A_LABEL = "must be a DNS label: lower-case letters, digits and '-', starting with a letter and not ending with '-'";

const CASES: BadCase[] = [
  // --- the file itself -----------------------------------------------------------------------
  {
    name: "a YAML syntax error (each unclosed bracket)",
    text: "github: {owner: acme\napps: [\n",
    problems: [
      ["", "YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }"],
      ["", "YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]"],
    ],
  },
  { name: "a key given twice", text: "github: {owner: a}\ngithub: {owner: b}\n", problems: [["", "YAML syntax error: a key is given twice in one mapping (Map keys must be unique): keep one"]] },
  { name: "an empty file", text: "", problems: [["", "the file is empty; it needs at least github.owner, apps and environments (see platform.yaml)"]] },
  { name: "a file of comments only", text: "# to do\n", problems: [["", "the file is empty; it needs at least github.owner, apps and environments"]] },
  {
    name: "a missing file",
    path: (dir) => path.join(dir, "nope.yaml"),
    problems: [["", "cannot read the platform file (no such file); pass an existing YAML file with --platform or SLIPWAY_PLATFORM_FILE"]],
  },
  { name: "a folder instead of a file", path: (dir) => dir, problems: [["", "cannot read the platform file (is a directory, not a file)"]] },
  { name: "a list instead of a mapping", text: "- a\n- b\n", problems: [["", "expected object, received a list"]] },
  {
    name: "a file over 1 MiB, refused before it is read",
    path: (dir) => {
      const file = path.join(dir, "huge.yaml");
      fs.writeFileSync(file, `# ${"x".repeat(2 * 1024 * 1024)}\n`);
      return file;
    },
    problems: [["", "the file is 2097155 bytes; a platform file is at most 1048576 bytes (1 MiB)"]],
  },
  { name: "a device that never ends", path: () => "/dev/zero", problems: [["", "cannot read the platform file (not a regular file: a device, pipe or socket)"]] },
  {
    name: "a named pipe (reading it would block)",
    path: (dir) => {
      const fifo = path.join(dir, "pipe.yaml");
      if (!fs.existsSync(fifo)) execFileSync("mkfifo", [fifo]);
      return fifo;
    },
    problems: [["", "cannot read the platform file (not a regular file: a device, pipe or socket)"]],
  },
  { name: "UTF-16 with a byte order mark", bytes: Buffer.from(`\ufeff${fs.readFileSync(EXAMPLE_FILE, "utf8")}`, "utf16le"), problems: [["", "the file is UTF-16 LE (it starts with a UTF-16 byte order mark); save it as UTF-8"]] },
  { name: "UTF-16 without a byte order mark", bytes: Buffer.from(fs.readFileSync(EXAMPLE_FILE, "utf8"), "utf16le"), problems: [["", "the file looks like UTF-16 LE without a byte order mark (every other byte is zero); save it as UTF-8"]] },
  {
    name: "Latin-1 bytes, not UTF-8",
    bytes: Buffer.concat([Buffer.from("name: acme\n# caf"), Buffer.from([0xe9]), Buffer.from("\n")]),
    problems: [["", "the file is not valid UTF-8 (byte 0xe9 at offset 16; perhaps Latin-1 or Windows-1252); save it as UTF-8"]],
  },
  { name: "binary data", bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]), problems: [["", "the file is binary, not text: a zero byte at offset 8"]] },
  {
    name: "CloudFormation tags (!Sub, !Ref) in values",
    text: fs.readFileSync(EXAMPLE_FILE, "utf8").replace("owner: acme-corp", "owner: !Sub ${Owner}").replace(/^(\s+)test: .*$/m, "$1test: !Ref TestCommand"),
    problems: [
      ["", 'YAML: unknown tag "!Sub": a platform file holds plain values'],
      ["", 'YAML: unknown tag "!Ref": a platform file holds plain values'],
    ],
  },
  {
    name: "two YAML documents",
    text: `${fs.readFileSync(EXAMPLE_FILE, "utf8")}---\nname: other\n`,
    problems: [["", "the file holds 2 YAML documents (separated by ---); a platform file is one document"]],
  },
  {
    name: "aliases that expand without bound (billion laughs)",
    text: `${fs.readFileSync(EXAMPLE_FILE, "utf8")}x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${Array.from({ length: 8 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`).join("\n")}\n`,
    problems: [["", "the YAML expands its aliases (*name) too many times: at most 100 expansions; write the values out instead"]],
  },
  {
    name: "lists nested without end",
    text: `name: ${"[".repeat(5000)}${"]".repeat(5000)}\n`,
    problems: [["", "the YAML is nested"]],
  },

  // --- wrong types, missing values, unknown keys -----------------------------------------------
  { name: "a port that is text", change: (d) => (d.apps[0].port = "http"), problems: [["apps[0].port", 'expected number, received string "http"']] },
  { name: "a port that is not whole", change: (d) => (d.apps[0].port = 80.5), problems: [["apps[0].port", "expected int, received number 80.5"]] },
  { name: "a port out of range", change: (d) => (d.apps[0].port = 70000), problems: [["apps[0].port", "received number 70000; expected at most 65535 (a whole port number from 1024 to 65535: the container runs as a non-root user without capabilities"]] },
  { name: "a node port out of range", change: (d) => (d.apps[0].nodePort = 8080), problems: [["apps[0].nodePort", "received number 8080; expected at least 30000 (a Kubernetes NodePort, a whole number from 30000 to 32767"]] },
  { name: "apps given as null", change: (d) => (d.apps = null), problems: [["apps", "expected array, received null"]] },
  { name: "no apps", change: (d) => (d.apps = []), problems: [["apps", "has 0 items; expected at least 1"]] },
  { name: "a missing health path", change: (d) => delete d.apps[0].healthPath, problems: [["apps[0].healthPath", "is required (expected string)"]] },
  { name: "a missing GitHub owner", change: (d) => delete d.github.owner, problems: [["github.owner", "is required (expected string)"]] },
  {
    name: "an unknown key, with a suggestion",
    change: (d) => (d.apps[0].helthPath = "/x"),
    problems: [["apps[0]", 'unknown key "helthPath" (did you mean "healthPath"?); valid keys here: name, port, healthPath, cpu, memory']],
  },
  {
    name: "a misspelt top-level key: unknown, and what it should have been is missing",
    change: (d) => {
      d.enviroments = d.environments;
      delete d.environments;
    },
    problems: [
      ["environments", "is required (expected array)"],
      ["", 'unknown key "enviroments" (did you mean "environments"?); valid keys here: name, github, backend, previews, apps, environments'],
    ],
  },
  {
    name: "a misspelt environment key",
    change: (d) => {
      d.environments[0].netwrok = d.environments[0].network;
      delete d.environments[0].network;
    },
    problems: [
      ["environments[0].network", "is required (expected object)"],
      ["environments[0]", 'unknown key "netwrok" (did you mean "network"?); valid keys here: name, profile, account, region'],
    ],
  },
  { name: "an unknown backend", change: (d) => (d.backend = { type: "consul" }), problems: [["backend.type", 'received string "consul"; expected one of: local, s3, remote']] },
  { name: "an s3 backend without its bucket", change: (d) => (d.backend = { type: "s3", region: "eu-west-1" }), problems: [["backend.bucket", "is required (expected string)"]] },
  { name: "an unknown profile", change: (d) => (d.environments[0].profile = "prod"), problems: [["environments[0].profile", 'received string "prod"; expected one of: "development", "production"']] },

  // --- names ---------------------------------------------------------------------------------
  {
    name: "duplicate app names",
    change: (d) => d.apps.push({ ...d.apps[0], nodePort: 31000, domains: { dev: "b.dev.acme.example", staging: "b.staging.acme.example", prod: "b.acme.example" } }),
    problems: [["apps[1].name", 'app name "hello" is used twice (also apps[0]): names must be unique']],
  },
  {
    name: "duplicate environment names",
    change: (d) => d.environments.push({ ...d.environments[0], network: { cidr: "10.99.0.0/16", zones: ["eu-west-1a", "eu-west-1b"] } }),
    problems: [["environments[3].name", 'environment name "dev" is used twice (also environments[0]): names must be unique']],
  },
  { name: "an app name invalid for DNS and Kubernetes", change: (d) => (d.apps[0].name = "Hello_World"), problems: [["apps[0].name", `received string "Hello_World"; an app name ${NOT_A_LABEL}`]] },
  {
    name: "an app name too long for AWS load balancer names",
    change: (d) => (d.apps[0].name = "a-very-long-app-name-x"),
    problems: [["apps[0].name", 'received string "a-very-long-app-name-x"; expected at most 17 characters']],
  },
  {
    name: "an environment name too long",
    change: (d) => {
      d.environments[1].name = "integration";
      d.apps[0].domains.integration = d.apps[0].domains.staging;
      delete d.apps[0].domains.staging;
    },
    problems: [["environments[1].name", 'received string "integration"; expected at most 10 characters']],
  },
  { name: "a platform name with capitals", change: (d) => (d.name = "ACME"), problems: [["name", `received string "ACME"; a platform name ${NOT_A_LABEL}`]] },
  { name: "an S3 bucket name AWS refuses", change: (d) => (d.backend = { type: "s3", bucket: "My_Bucket", region: "eu-west-1" }), problems: [["backend.bucket", 'received string "My_Bucket"; expected an S3 bucket name']] },
  {
    name: "an environment variable name that is not one",
    change: (d) => (d.apps[0].env = { "log-level": "debug" }),
    problems: [["apps[0].env.log-level", `key "log-level" is not valid: expected an environment variable name of letters, digits and '_', not starting with a digit, e.g. LOG_LEVEL`]],
  },

  // --- networks and regions ------------------------------------------------------------------
  {
    name: "overlapping CIDRs in one account",
    change: (d) => (d.environments[1].network.cidr = "10.10.128.0/17"),
    problems: [["environments[1].network.cidr", '10.10.128.0/17 overlaps 10.10.0.0/16 of environment "dev" in the same account 111111111111: choose a CIDR that does not overlap']],
  },
  { name: "an invalid CIDR", change: (d) => (d.environments[0].network.cidr = "10.300.0.0/16"), problems: [["environments[0].network.cidr", 'received string "10.300.0.0/16"; expected an IPv4 network CIDR with a prefix from /16 to /23 and no host bits set']] },
  { name: "a CIDR that is not a CIDR at all", change: (d) => (d.environments[0].network.cidr = "10.0.0.0"), problems: [["environments[0].network.cidr", 'received string "10.0.0.0"; expected an IPv4 network CIDR with a prefix from /16 to /23 and no host bits set, e.g. 10.0.0.0/16']] },
  { name: "a CIDR with host bits set", change: (d) => (d.environments[0].network.cidr = "10.10.1.0/16"), problems: [["environments[0].network.cidr", 'received string "10.10.1.0/16"; expected an IPv4 network CIDR with a prefix from /16 to /23 and no host bits set, e.g. 10.0.0.0/16; this one has host bits set: did you mean 10.10.0.0/16?']] },
  {
    name: "a CIDR too large for a VPC (and so overlapping another)",
    change: (d) => (d.environments[0].network.cidr = "10.0.0.0/8"),
    problems: [
      ["environments[0].network.cidr", 'received string "10.0.0.0/8"; expected an IPv4 network CIDR with a prefix from /16 to /23 and no host bits set, e.g. 10.0.0.0/16; /8 is out of range'],
      ["environments[1].network.cidr", '10.20.0.0/16 overlaps 10.0.0.0/8 of environment "dev" in the same account 111111111111'],
    ],
  },
  {
    name: "a zone of another region",
    change: (d) => (d.environments[0].network.zones = ["eu-west-1a", "us-east-1b"]),
    problems: [["environments[0].network.zones[1]", '"us-east-1b" is not a zone of eu-west-1: expected eu-west-1a, eu-west-1b, …']],
  },
  {
    name: "a zone listed twice",
    change: (d) => (d.environments[0].network.zones = ["eu-west-1a", "eu-west-1a"]),
    problems: [["environments[0].network.zones[1]", '"eu-west-1a" is listed twice; each zone once']],
  },
  { name: "a single zone", change: (d) => (d.environments[0].network.zones = ["eu-west-1a"]), problems: [["environments[0].network.zones", "has 1 items; expected at least 2"]] },
  { name: "a region that is not one", change: (d) => (d.environments[0].region = "Europe"), problems: [["environments[0].region", 'received string "Europe"; expected an AWS region such as eu-west-1'], ["environments[0].network.zones[0]", '"eu-west-1a" is not a zone of Europe'], ["environments[0].network.zones[1]", '"eu-west-1b" is not a zone of Europe']] },
  { name: "an account id that is not 12 digits", change: (d) => (d.environments[0].account = "12345"), problems: [["environments[0].account", 'received string "12345"; expected a 12-digit AWS account id']] },
  {
    name: "a cluster API open to the internet",
    change: (d) => (d.environments[0].cluster.publicAccessCidrs = ["0.0.0.0/0"]),
    problems: [["environments[0].cluster.publicAccessCidrs[0]", 'received string "0.0.0.0/0"; expected an IPv4 CIDR narrower than the whole internet (no host bits set), e.g. 203.0.113.0/24: list your offices, VPN or CI egress; 0.0.0.0/0 opens it to the whole internet']],
  },
  {
    name: "a cluster API open to the internet by CIDRs that together cover it",
    change: (d) => (d.environments[0].cluster.publicAccessCidrs = ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1", "203.0.113.0/24"]),
    problems: [["environments[0].cluster.publicAccessCidrs", "they open the cluster API to the whole internet: expected CIDRs that together leave out part of the internet"]],
  },
  {
    name: "a cluster API CIDR with host bits set",
    change: (d) => (d.environments[0].cluster.publicAccessCidrs = ["203.0.113.7/24"]),
    problems: [["environments[0].cluster.publicAccessCidrs[0]", 'received string "203.0.113.7/24"; expected an IPv4 CIDR narrower than the whole internet (no host bits set), e.g. 203.0.113.0/24: list your offices, VPN or CI egress; this one has host bits set: did you mean 203.0.113.0/24?']],
  },
  {
    name: "an egress CIDR with an octet above 255",
    change: (d) => (d.apps[0].egress = [{ cidr: "198.51.300.0/24", port: 443 }]),
    problems: [["apps[0].egress[0].cidr", 'received string "198.51.300.0/24"; expected an IPv4 CIDR of a network such as 10.0.0.0/16 (octets 0-255, prefix 0-32, no host bits set)']],
  },

  // --- approvals, environments named elsewhere, domains --------------------------------------
  {
    name: "production approval without reviewers",
    change: (d) => delete d.environments[2].approval,
    problems: [["environments[2]", `deploys to "prod" need approval (the production profile's default) but no reviewers are named: list approval.reviewers.users or .teams, or set approval.required: false`]],
  },
  {
    name: "approval required in development without reviewers",
    change: (d) => (d.environments[0].approval = { required: true }),
    problems: [["environments[0].approval", 'deploys to "dev" need approval but no reviewers are named: list approval.reviewers.users or .teams, or set approval.required: false']],
  },
  {
    name: "an override for no declared environment",
    change: (d) => (d.apps[0].overrides.prd = { replicas: { min: 1, max: 2 } }),
    problems: [["apps[0].overrides.prd", 'names no declared environment (did you mean "prod"?); declared: dev, staging, prod']],
  },
  { name: "a domain for no declared environment", change: (d) => (d.apps[0].domains.qa = "hello.qa.acme.example"), problems: [["apps[0].domains.qa", "names no declared environment; declared: dev, staging, prod"]] },
  { name: "a missing domain for an environment", change: (d) => delete d.apps[0].domains.staging, problems: [["apps[0].domains", 'no domain for environment "staging": every environment needs one']] },
  {
    name: "a domain that is not a domain",
    change: (d) => (d.apps[0].domains.dev = "hello dev"),
    problems: [["apps[0].domains.dev", '"hello dev" is not valid: expected a lower-case fully qualified domain name (two or more labels) without a trailing dot, such as app.example.com, at most 64 characters']],
  },
  {
    name: "a domain in capitals",
    change: (d) => (d.apps[0].domains.prod = "Hello.Acme.Example"),
    problems: [["apps[0].domains.prod", '"Hello.Acme.Example" is not valid: expected a lower-case fully qualified domain name']],
  },

  // --- suppressions and production overrides -------------------------------------------------
  { name: "a suppression without a reason", change: (d) => (d.apps[0].suppressions = [{ rule: "SLW-CF-006" }]), problems: [["apps[0].suppressions[0].reason", "is required (expected string)"]] },
  {
    name: "a suppression with a token reason",
    change: (d) => (d.apps[0].suppressions = [{ rule: "SLW-CF-006", reason: "meh" }]),
    problems: [["apps[0].suppressions[0].reason", 'received string "meh"; expected at least 10 characters']],
  },
  {
    name: "a suppression of an unknown rule",
    change: (d) => (d.environments[0].suppressions = [{ rule: "SLW-CF-906", reason: "accepted until the WAF lands" }]),
    problems: [["environments[0].suppressions[0].rule", 'no policy rule "SLW-CF-906" (did you mean "SLW-CF-006"?); the rules are listed in docs/policy-rules.md']],
  },
  {
    name: "a suppression with a malformed rule id",
    change: (d) => (d.environments[0].suppressions = [{ rule: "cf-6", reason: "accepted until the WAF lands" }]),
    problems: [["environments[0].suppressions[0].rule", 'received string "cf-6"; expected a policy rule id such as SLW-CF-006 (see docs/policy-rules.md)']],
  },
  {
    name: "production protection turned off without a reason",
    change: (d) => (d.environments[2].protection = { deletionProtection: false, multiAz: false }),
    problems: [
      ["environments[2].protection.deletionProtection", 'turning deletionProtection off in a production environment needs a reason: add protection.overrideReason ("why, and until when"), or remove deletionProtection: false'],
      ["environments[2].protection.multiAz", "turning multiAz off in a production environment needs a reason: add protection.overrideReason"],
    ],
  },
  {
    name: "production protection turned off with a token reason",
    change: (d) => (d.environments[2].protection = { deletionProtection: false, overrideReason: "why not" }),
    problems: [["environments[2].protection.overrideReason", 'received string "why not"; expected at least 10 characters']],
  },

  // --- sizes and versions --------------------------------------------------------------------
  { name: "replicas min above max", change: (d) => (d.apps[0].replicas = { min: 5, max: 2 }), problems: [["apps[0].replicas", "min 5 is above max 2: expected min <= max"]] },
  {
    name: "nodes min above desired",
    change: (d) => (d.environments[0].cluster.nodes = { min: 3, desired: 2, max: 4 }),
    problems: [["environments[0].cluster.nodes", "min 3, desired 2, max 4: expected min <= desired <= max"]],
  },
  {
    name: "a storage ceiling below the storage",
    change: (d) => (d.environments[0].database = { storageGiB: 200, maxStorageGiB: 100 }),
    problems: [["environments[0].database.maxStorageGiB", "100 is below storageGiB 200: the autoscaling ceiling must be at least the allocated storage"]],
  },
  {
    name: "a database class RDS for PostgreSQL does not offer",
    change: (d) => (d.environments[0].database = { instanceClass: "db.x9.huge" }),
    problems: [["environments[0].database.instanceClass", '"db.x9.huge" is not a class RDS for PostgreSQL offers: expected db.<family>.<size> with a family among t3, t4g, m5']],
  },
  {
    name: "a database size its family does not come in",
    change: (d) => (d.environments[0].database = { instanceClass: "db.t4g.huge" }),
    problems: [["environments[0].database.instanceClass", '"db.t4g.huge": db.t4g comes in micro, small, medium, large, xlarge, 2xlarge']],
  },
  {
    name: "an unsupported PostgreSQL major",
    change: (d) => (d.environments[0].database = { engineVersion: "10" }),
    problems: [["environments[0].database.engineVersion", "PostgreSQL 10 is not supported: expected a major among 13, 14, 15, 16, 17"]],
  },
  {
    name: "a WAF web ACL of the wrong scope",
    change: (d) => (d.environments[2].cdn = { webAclArn: "arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/edge/0123" }),
    problems: [["environments[2].cdn.webAclArn", 'received string "arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/edge/0123"; expected a WAFv2 web ACL ARN of scope CLOUDFRONT (in us-east-1), global/webacl/<name>/<id>']],
  },

  // --- accepted before, broken or weakened at deploy: refused now, with a line ------------------
  {
    name: "one domain for two apps",
    change: (d) => d.apps.push({ ...d.apps[0], name: "api", nodePort: 31000, domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "hello.acme.example" } }),
    problems: [["apps[1].domains.prod", '"hello.acme.example" is also apps[0].domains.prod\'s domain: each app and environment needs its own']],
  },
  {
    name: "one domain for two environments of an app",
    change: (d) => (d.apps[0].domains.staging = "hello.dev.acme.example"),
    problems: [["apps[0].domains.staging", '"hello.dev.acme.example" is also apps[0].domains.dev\'s domain']],
  },
  {
    name: "a domain longer than ACM's 64 characters",
    change: (d) => (d.apps[0].domains.dev = `${"a".repeat(57)}.example`),
    problems: [["apps[0].domains.dev", `"${"a".repeat(57)}.example" is not valid: expected a lower-case fully qualified domain name (two or more labels) without a trailing dot, such as app.example.com, at most 64 characters (ACM's limit for the certificate it creates)`]],
  },
  {
    name: "a role to assume in another account",
    change: (d) => (d.environments[2].assumeRoleArn = "arn:aws:iam::333333333333:role/slipway-deploy"),
    problems: [["environments[2].assumeRoleArn", "the role is in account 333333333333, not the environment's 222222222222: expected a role of account 222222222222"]],
  },
  {
    name: "an HCP Terraform workspace prefix too long for the stack names",
    change: (d) => (d.backend = { type: "remote", organization: "acme", workspacePrefix: `${"p".repeat(70)}-` }),
    problems: [["backend.workspacePrefix", "the workspace of stack bootstrap-111111111111 would be 93 characters"]],
  },
  {
    name: "an HCP Terraform workspace prefix with characters HCP refuses",
    change: (d) => (d.backend = { type: "remote", organization: "acme", workspacePrefix: "acme/" }),
    problems: [["backend.workspacePrefix", `received string "acme/"; expected letters, digits, '-' and '_' (HCP Terraform's workspace names)`]],
  },
  {
    name: "an S3 key prefix with a '..' segment",
    change: (d) => (d.backend = { type: "s3", bucket: "acme-state", region: "eu-west-1", keyPrefix: "teams/../other" }),
    problems: [["backend.keyPrefix", 'received string "teams/../other"; expected an S3 key prefix']],
  },
  {
    name: "an S3 key prefix starting with '/'",
    change: (d) => (d.backend = { type: "s3", bucket: "acme-state", region: "eu-west-1", keyPrefix: "/state" }),
    problems: [["backend.keyPrefix", 'received string "/state"; expected an S3 key prefix']],
  },
  {
    name: "more nodes than a managed node group allows",
    change: (d) => (d.environments[2].cluster.nodes = { min: 3, desired: 3, max: 451 }),
    problems: [["environments[2].cluster.nodes.max", "received number 451; expected at most 450 (a whole number of nodes, at least 1 and at most 450 (EKS's quota of nodes per managed node group)"]],
  },
  {
    name: "a storage ceiling below the profile's default storage",
    change: (d) => (d.environments[2].database = { maxStorageGiB: 50 }),
    problems: [["environments[2].database.maxStorageGiB", "50 is below storageGiB 100 (the production profile's default): the autoscaling ceiling must be at least the allocated storage"]],
  },
  {
    name: "a privileged port the container cannot bind",
    change: (d) => (d.apps[0].port = 80),
    problems: [["apps[0].port", "received number 80; expected at least 1024 (a whole port number from 1024 to 65535: the container runs as a non-root user without capabilities"]],
  },
  {
    name: "node instance types of two CPU architectures",
    change: (d) => (d.environments[0].cluster.nodeInstanceTypes = ["m7g.large", "m6i.large"]),
    problems: [["environments[0].cluster.nodeInstanceTypes", "m7g.large is Graviton (arm64) but m6i.large x86: a node group takes instance types of one CPU architecture"]],
  },
  {
    name: "more reviewers than GitHub takes",
    change: (d) => (d.environments[2].approval = { reviewers: { users: ["a1", "a2", "a3", "a4", "a5"], teams: [{ slug: "t1", id: 1 }, { slug: "t2", id: 2 }] } }),
    problems: [["environments[2].approval.reviewers", "7 users and teams: GitHub takes at most 6 reviewers per environment"]],
  },
  {
    name: "a reviewer listed twice",
    change: (d) => (d.environments[2].approval = { reviewers: { users: ["Octocat", "octocat"] } }),
    problems: [["environments[2].approval.reviewers.users[1]", '"octocat" is listed twice; each reviewer once']],
  },
  {
    // The old form: its id would be looked up at plan time, which a pull request's GITHUB_TOKEN cannot do.
    name: "a reviewer team given as a bare slug",
    change: (d) => (d.environments[2].approval = { reviewers: { teams: ["platform"] } }),
    problems: [
      [
        "environments[2].approval.reviewers.teams[0]",
        'received string "platform"; a team reviewer is { slug, id }, not a bare slug: a pull request\'s plan cannot look a team\'s id up with its GITHUB_TOKEN, so write { slug: platform, id: <the team\'s id> }, the id printed by gh api orgs/acme-corp/teams/platform --jq .id',
      ],
    ],
  },
  {
    name: "a reviewer team without its id",
    change: (d) => (d.environments[2].approval = { reviewers: { teams: [{ slug: "platform" }] } }),
    problems: [["environments[2].approval.reviewers.teams[0].id", "is required (expected number)"]],
  },
  {
    name: "a reviewer team id that is no positive whole number",
    change: (d) => (d.environments[2].approval = { reviewers: { teams: [{ slug: "platform", id: 0 }] } }),
    problems: [["environments[2].approval.reviewers.teams[0].id", "received number 0; expected at least 1 (a team's numeric id, a positive whole number, e.g. 1234567 (gh api orgs/<owner>/teams/<slug> --jq .id prints it))"]],
  },
  {
    name: "one reviewer team under two slugs",
    change: (d) => (d.environments[2].approval = { reviewers: { teams: [{ slug: "platform", id: 4818261 }, { slug: "platform-team", id: 4818261 }] } }),
    problems: [["environments[2].approval.reviewers.teams[1]", "team id 4818261 is also teams[0]: one team, one id"]],
  },
  {
    name: "a reviewer that is no GitHub login",
    change: (d) => (d.environments[2].approval = { reviewers: { users: ["acme/octocat"] } }),
    problems: [["environments[2].approval.reviewers.users[0]", 'received string "acme/octocat"; expected a GitHub user or organization name']],
  },
  { name: "an app named like RDS's own database", change: (d) => (d.apps[0].name = "postgres"), problems: [["apps[0].name", '"postgres" is the name of a database RDS for PostgreSQL keeps for itself']] },
  { name: "an app named like a system namespace", change: (d) => (d.apps[0].name = "kube-tools"), problems: [["apps[0].name", '"kube-tools" would be a Kubernetes system namespace (default, kube-*)']] },
  { name: "a CPU request of zero", change: (d) => (d.apps[0].cpu = "0"), problems: [["apps[0].cpu", 'received string "0"; expected a positive Kubernetes CPU quantity']] },
  { name: "a memory request of zero", change: (d) => (d.apps[0].memory = "0Mi"), problems: [["apps[0].memory", 'received string "0Mi"; expected a positive Kubernetes memory quantity']] },
  { name: "a static path that takes every request", change: (d) => (d.apps[0].staticPath = "/*"), problems: [["apps[0].staticPath", 'received string "/*"; expected a CloudFront path pattern starting with \'/\' other than \'/*\'']] },
  {
    name: "a WAF web ACL ARN whose id is not one",
    change: (d) => (d.environments[2].cdn = { webAclArn: "arn:aws:wafv2:us-east-1:222222222222:global/webacl/edge/0123" }),
    problems: [["environments[2].cdn.webAclArn", 'received string "arn:aws:wafv2:us-east-1:222222222222:global/webacl/edge/0123"; expected a WAFv2 web ACL ARN of scope CLOUDFRONT']],
  },
  { name: "a blank test command", change: (d) => (d.apps[0].test = "   "), problems: [["apps[0].test", 'received string "   "; expected a non-empty shell command']] },
  {
    name: "a GitHub expression in a runner label",
    change: (d) => (d.environments[0].deploy = { runsOn: ["${{ github.run_id }}"] }),
    problems: [["environments[0].deploy.runsOn[0]", 'received string "${{ github.run_id }}"; expected a runner label']],
  },
  { name: "a GitHub owner with a double hyphen", change: (d) => (d.github.owner = "acme--corp"), problems: [["github.owner", 'received string "acme--corp"; expected a GitHub user or organization name']] },
  { name: "a default branch git refuses", change: (d) => (d.github.defaultBranch = "main..x"), problems: [["github.defaultBranch", 'received string "main..x"; expected a git branch name']] },

  // --- several problems at once --------------------------------------------------------------
  {
    name: "four problems in four places",
    change: (d) => {
      d.apps[0].port = 0;
      d.apps[0].helthPath = "/x";
      d.environments[0].account = "x";
      d.environments[1].network.zones = ["mars-1a", "eu-west-1a"];
    },
    problems: [
      ["apps[0].port", "received number 0; expected at least 1024 (a whole port number from 1024 to 65535"],
      ["apps[0]", 'unknown key "helthPath" (did you mean "healthPath"?)'],
      ["environments[0].account", 'received string "x"; expected a 12-digit AWS account id'],
      ["environments[1].network.zones[0]", '"mars-1a" is not a zone of eu-west-1'],
    ],
  },
  {
    name: "a second app with every name problem",
    change: (d) =>
      d.apps.push({ ...d.apps[0], name: "hello", port: 99999, domains: { dev: "x", stagin: "api.example.com" }, overrides: {}, suppressions: [{ rule: "SLW-NOPE-001", reason: "x" }] }),
    problems: [
      ["apps[1].name", 'app name "hello" is used twice (also apps[0])'],
      ["apps[1].port", "received number 99999; expected at most 65535 (a whole port number from 1024 to 65535"],
      ["apps[1].domains.dev", '"x" is not valid: expected a lower-case fully qualified domain name'],
      ["apps[1].domains.stagin", 'names no declared environment (did you mean "staging"?)'],
      ["apps[1].domains", 'no domain for environment "staging"'],
      ["apps[1].domains", 'no domain for environment "prod"'],
      ["apps[1].suppressions[0].reason", 'received string "x"; expected at least 10 characters'],
      ["apps[1].suppressions[0].rule", 'no policy rule "SLW-NOPE-001"'],
    ],
  },
];

let work: string;
let outdir: string;
/** sha256 of every file of the previous output, by relative path. */
let before: Map<string, string>;

function hashes(dir: string): Map<string, string> {
  return new Map([...readTree(dir)].map(([file, bytes]) => [file, createHash("sha256").update(bytes).digest("hex")]));
}

beforeAll(() => {
  work = tempDir("slipway-bad-input-");
  outdir = path.join(work, "cdktf.out");
  synthesize({ platformFile: EXAMPLE_FILE, outdir });
  before = hashes(outdir);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the synth command in-process, with what it prints captured. */
async function synth(argv: string[]): Promise<{ code: number; stderr: string }> {
  const errors: string[] = [];
  const spies = [
    jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args.join(" "))),
    jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void errors.push(args.join(" "))),
    jest.spyOn(console, "log").mockImplementation(() => {}),
  ];
  try {
    const code = await Promise.resolve(main(argv));
    return { code, stderr: errors.join("\n") };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The file a case passes to synth. */
function writeCase(c: BadCase, i: number): string {
  if (c.path) return c.path(work);
  const file = path.join(work, `bad-${i}.yaml`);
  if (c.bytes !== undefined) fs.writeFileSync(file, c.bytes);
  else if (c.text !== undefined) fs.writeFileSync(file, c.text);
  else {
    const doc = exampleDocument();
    c.change!(doc);
    fs.writeFileSync(file, stringify(doc));
  }
  return file;
}

test(`there are at least 30 distinct cases (${CASES.length})`, () => {
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  expect(CASES.length).toBeGreaterThanOrEqual(30);
});

describe.each(CASES.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
  test("exits 1, names the file, each problem's path and what is valid, and leaves the previous output untouched", async () => {
    const file = writeCase(c, i);
    const { code, stderr } = await synth(["--platform", file, "--out", outdir]);
    expect(code).toBe(1);
    const n = c.problems.length;
    expect(stderr).toContain(`${file}: ${n} problem${n === 1 ? "" : "s"} in the platform file:\n`);
    // One line per problem, each starting with the file (and its line and column when known).
    const lines = stderr.split("\n").filter((l) => l.startsWith(`  ${file}`));
    expect(lines).toHaveLength(n);
    for (const [where, text] of c.problems) {
      const expected = where ? `${where}: ${text}` : text;
      const match = lines.filter((l) => new RegExp(`^  ${escape(file)}(:\\d+:\\d+)?: ${escape(expected)}`).test(l));
      expect({ expected, found: match.length > 0 ? "yes" : lines }).toEqual({ expected, found: "yes" });
    }
    if (!c.path && c.bytes === undefined) {
      // Problems found in the file point at a line (but not a whole-file verdict: empty, nested, aliases).
      for (const line of lines.filter((l) => !/the file is empty|the YAML is nested/.test(l))) expect(line).toMatch(new RegExp(`^  ${escape(file)}:\\d+:\\d+: `));
    }
    expect(stderr).toContain(`Nothing was written; ${outdir} is as it was.`);
    const after = hashes(outdir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [f, hash] of before) expect({ f, hash: after.get(f) }).toEqual({ f, hash });
  });
});

test("the previous output is whole after every case, with no temporary folder left beside it", () => {
  expect(before.size).toBeGreaterThan(10);
  expect([...before.keys()]).toEqual(expect.arrayContaining(["manifest.json", "slipway.json", path.join("stacks", "hello-prod", "cdk.tf.json")]));
  expect(fs.readdirSync(work).filter((f) => f.startsWith("cdktf.out."))).toEqual([]);
});

test("SLIPWAY_PLATFORM_FILE names the file when --platform is not given", async () => {
  const missing = path.join(work, "from-env.yaml");
  const { code, stderr } = await withEnv({ SLIPWAY_PLATFORM_FILE: missing }, () => synth(["--out", outdir]));
  expect(code).toBe(1);
  expect(stderr).toContain(`  ${missing}: cannot read the platform file (no such file)`);
});

describe("error output is safe to print anywhere: a terminal, a CI log, a pull-request comment", () => {
  const SENTINEL = "process-env-sentinel-6c1f";
  let stderr: string;
  let code: number;
  beforeAll(async () => {
    const doc = exampleDocument();
    doc.apps[0].cpu = `\u001b[2J\u001b[31m${"x".repeat(300)}`;
    doc.github.owner = "acme\n::error file=x::owned\n##[set-output name=x]y";
    doc.apps[0].healthPath = "\u009b31m/x\u202e";
    doc.environments[0].region = "eu-west-1\r::warning::x";
    doc.apps[0].env = { API_TOKEN: ["hunter2-in-a-list"], DB_PASSWORD: 987654321 };
    doc["\n::error::key"] = 1;
    const file = path.join(work, "hostile.yaml");
    fs.writeFileSync(file, stringify(doc));
    ({ code, stderr } = await withEnv({ SLIPWAY_TEST_SECRET: SENTINEL }, () => synth(["--platform", file, "--out", outdir])));
  });

  test("it still reports each problem", () => {
    expect(code).toBe(1);
    expect(stderr).toMatch(/problems in the platform file/);
    for (const where of ["apps[0].cpu", "github.owner", "apps[0].healthPath", "environments[0].region", "apps[0].env.API_TOKEN", "apps[0].env.DB_PASSWORD"]) expect(stderr).toContain(`${where}: `);
  });

  test("no control character reaches the output: escapes, carriage returns and C1 controls are shown escaped", () => {
    expect(stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(stderr).toContain("\\u001b[2J");
    expect(stderr).toContain("\\u009b31m");
  });

  test("no line is a GitHub Actions workflow command", () => {
    for (const line of stderr.split("\n")) expect({ line, command: /^\s*(::|##\[)/.test(line) }).toEqual({ line, command: false });
    expect(stderr).toContain("::error file=x::owned"); // shown, inside one escaped value
  });

  test("a long value is cut to 80 characters, with its full length", () => {
    expect(stderr).toContain(`${"x".repeat(71)}"… (309 characters)`);
    expect(stderr).not.toContain("x".repeat(81));
  });

  test("values under keys that look like secrets are redacted, and the process environment never appears", () => {
    expect(stderr).toContain("apps[0].env.API_TOKEN: expected string, received a list (<redacted>)");
    expect(stderr).toContain("apps[0].env.DB_PASSWORD: expected string, received number <redacted>");
    expect(stderr).not.toContain("hunter2");
    expect(stderr).not.toContain("987654321");
    expect(stderr).not.toContain(SENTINEL);
  });
});

describe("--out never deletes what synth did not write", () => {
  test("a non-empty folder that is not synth output is refused, and stays byte-for-byte as it was", async () => {
    const mine = path.join(work, "my-project");
    fs.mkdirSync(path.join(mine, "src"), { recursive: true });
    fs.writeFileSync(path.join(mine, "README.md"), "my notes\n");
    fs.writeFileSync(path.join(mine, "src", "main.ts"), "export {};\n");
    // Even a manifest.json alone (cdktf's name, but no slipway.json) does not make it synth output.
    fs.writeFileSync(path.join(mine, "manifest.json"), '{"version":"0.21.0","stacks":{}}');
    const before = hashes(mine);
    const { code, stderr } = await synth(["--platform", EXAMPLE_FILE, "--out", mine]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${mine} is not empty and is not synth output (no manifest.json and slipway.json from an earlier synth): synth would replace it, so it refuses`);
    expect(hashes(mine)).toEqual(before);
    expect(fs.readdirSync(work).filter((f) => f.startsWith("my-project."))).toEqual([]);
  });

  test("a file given as --out is refused and left as it is", async () => {
    const file = path.join(work, "out-file.txt");
    fs.writeFileSync(file, "keep me\n");
    const { code, stderr } = await synth(["--platform", EXAMPLE_FILE, "--out", file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file} is a file, not a folder`);
    expect(fs.readFileSync(file, "utf8")).toBe("keep me\n");
  });

  test("an empty folder and an earlier synth's output are written", async () => {
    const empty = path.join(work, "empty-out");
    fs.mkdirSync(empty);
    expect((await synth(["--platform", EXAMPLE_FILE, "--out", empty])).code).toBe(0);
    expect(isSynthOutput(empty)).toBe(true);
    // ...and once more, over its own output.
    expect((await synth(["--platform", EXAMPLE_FILE, "--out", empty])).code).toBe(0);
    expect(fs.readdirSync(work).filter((f) => f.startsWith("empty-out."))).toEqual([]);
  });

  test("`npm run diagram -- --platform FILE --out DIR` draws without touching the project's cdktf.out", async () => {
    const projectOut = path.join(ROOT, "cdktf.out");
    const before = fs.existsSync(projectOut) ? hashes(projectOut) : undefined;
    const diagrams = path.join(work, "diagrams");
    const logs = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await diagramMain(["--platform", EXAMPLE_FILE, "--out", diagrams])).toBe(0);
    } finally {
      logs.mockRestore();
    }
    expect(fs.readdirSync(diagrams)).toEqual(expect.arrayContaining(["README.md", "dev.md", "prod.svg"]));
    expect(fs.existsSync(projectOut) ? hashes(projectOut) : undefined).toEqual(before);
  });
});

describe("the model refuses what the constructs would refuse, so the message names the file and path", () => {
  const modelAccepts = (change: (d: any) => void) => {
    const doc = exampleDocument();
    change(doc);
    try {
      parsePlatform(stringify(doc), "x.yaml");
      return true;
    } catch (error) {
      if (error instanceof PlatformFileError) return false;
      throw error;
    }
  };
  const constructAccepts = (props: { engineVersion?: string; instanceClass?: string }) => {
    try {
      new PostgresDatabase(new TerraformStack(Testing.app(), "t"), "Database", {
        name: "x",
        network: { vpcId: "vpc-1", privateSubnetIds: ["subnet-a", "subnet-b"] },
        accountId: "123456789012",
        region: "eu-west-1",
        ...props,
      });
      return true;
    } catch {
      return false;
    }
  };

  test("PostgreSQL majors: the same in the model as in PostgresDatabase", () => {
    for (let major = 10; major <= 20; major++) {
      const engineVersion = String(major);
      expect({ major, model: modelAccepts((d) => (d.environments[0].database = { engineVersion })) }).toEqual({ major, model: constructAccepts({ engineVersion }) });
    }
  });

  test("database classes: the same in the model as in PostgresDatabase", () => {
    const classes = ["db.t4g.micro", "db.t4g.huge", "db.m6g.large", "db.m6g.micro", "db.x9.large", "db.r7i.48xlarge", "db.t2.micro"];
    for (const family of Object.keys(POSTGRES_INSTANCE_CLASSES)) classes.push(`db.${family}.large`);
    for (const instanceClass of classes) {
      expect({ instanceClass, model: modelAccepts((d) => (d.environments[0].database = { instanceClass })) }).toEqual({ instanceClass, model: constructAccepts({ instanceClass }) });
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
