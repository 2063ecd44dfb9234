import * as fs from "node:fs";
import * as path from "node:path";
import { appInEnvironment, loadPlatformFile, parsePlatform } from "../../platform/model";
import { EXAMPLE_FILE, examplePlatform, tempDir, problemsAfter } from "../support/platform";

/** The problems reported for the example document after `change`. */

describe("the example platform file", () => {
  const platform = loadPlatformFile(EXAMPLE_FILE);

  test("declares hello promoted through dev, staging and prod", () => {
    expect(platform.apps.map((a) => a.name)).toEqual(["hello"]);
    expect(platform.environments.map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
    expect(platform.backend).toEqual({ type: "local" });
  });

  test("dev gets the development profile: one NAT, small nodes and database, no approval, no protection", () => {
    const dev = platform.environments[0];
    expect(dev.profile).toBe("development");
    expect(dev.network.natGateways).toBe("one");
    expect(dev.cluster.nodeInstanceTypes).toEqual(["c6i.large"]);
    expect(dev.database.instanceClass).toBe("db.t4g.micro");
    expect(dev.approval.required).toBe(false);
    expect(dev.protection).toEqual({ deletionProtection: false, multiAz: false });
  });

  test("prod gets the production profile: NAT per zone, multi-AZ, deletion protection, required reviewers", () => {
    const prod = platform.environments[2];
    expect(prod.profile).toBe("production");
    expect(prod.network.natGateways).toBe("per-zone");
    expect(prod.protection).toEqual({ deletionProtection: true, multiAz: true });
    expect(prod.approval).toEqual({ required: true, reviewers: { users: [], teams: [{ slug: "platform", id: 4818261 }] } });
    expect(prod.cluster.nodes).toEqual({ min: 3, desired: 3, max: 9 });
    expect(prod.assumeRoleArn).toBe("arn:aws:iam::222222222222:role/slipway-deploy");
  });

  test("an app declares port, health path, resources, env, secrets, domains, test and migration commands", () => {
    const hello = platform.apps[0];
    expect(hello).toMatchObject({
      port: 8080,
      healthPath: "/healthz",
      cpu: "250m",
      memory: "256Mi",
      env: { LOG_LEVEL: "info" },
      secrets: ["SESSION_KEY"],
      testCommand: "python -m pytest -q tests/unit",
      migrateCommand: "python -m migrate",
    });
    expect(hello.domains.prod).toBe("hello.acme.example");
  });

  test("replicas: the app's override for an environment beats the environment's, which beats the app's own", () => {
    const [dev, , prod] = platform.environments;
    const hello = platform.apps[0];
    expect(appInEnvironment(hello, prod).replicas).toEqual({ min: 3, max: 12 });
    expect(appInEnvironment(hello, dev).replicas).toEqual({ min: 2, max: 4 });
    const withEnvReplicas = examplePlatform((d) => (d.environments[0].replicas = { min: 1, max: 1 }));
    expect(appInEnvironment(withEnvReplicas.apps[0], withEnvReplicas.environments[0]).replicas).toEqual({ min: 1, max: 1 });
    const noAppReplicas = examplePlatform((d) => delete d.apps[0].replicas);
    expect(appInEnvironment(noAppReplicas.apps[0], noAppReplicas.environments[1]).replicas).toEqual({ min: 1, max: 2 });
  });

  test("backends: s3 with a key prefix, remote with a workspace prefix", () => {
    const s3 = examplePlatform((d) => (d.backend = { type: "s3", bucket: "acme-state", region: "eu-west-1" }));
    expect(s3.backend).toEqual({ type: "s3", bucket: "acme-state", region: "eu-west-1", keyPrefix: "slipway" });
    const remote = examplePlatform((d) => (d.backend = { type: "remote", organization: "acme", workspacePrefix: "acme-" }));
    expect(remote.backend).toEqual({ type: "remote", organization: "acme", hostname: "app.terraform.io", workspacePrefix: "acme-" });
  });

  test("runtime defaults: deploy runners inside the VPC, load balancer behind the CDN, price class per profile", () => {
    const [dev, , prod] = platform.environments;
    expect(dev.deploy.runsOn).toEqual(["codebuild-acme-dev-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}"]);
    expect(dev.loadBalancer.allowFrom).toBe("cdn");
    expect(dev.cdn.priceClass).toBe("PriceClass_100");
    expect(prod.cdn.priceClass).toBe("PriceClass_All");
    expect(dev.dns.hostedZoneId).toBeUndefined();
    expect(platform.apps[0]).toMatchObject({ staticPath: "/static/*", egress: [] });
  });

  test("an app's node port is derived from its name (stable when apps are added or reordered) or set", () => {
    const hello = platform.apps[0];
    expect(hello.nodePort).toBeGreaterThanOrEqual(30000);
    expect(hello.nodePort).toBeLessThanOrEqual(32767);
    const more = examplePlatform((d) => d.apps.unshift({ ...d.apps[0], name: "api", domains: { dev: "api.dev.acme.example", staging: "api.staging.acme.example", prod: "api.acme.example" } }));
    expect(more.apps.find((a) => a.name === "hello")!.nodePort).toBe(hello.nodePort);
    expect(examplePlatform((d) => (d.apps[0].nodePort = 31000)).apps[0].nodePort).toBe(31000);
  });

  test("a profile can be chosen explicitly: staging as production-like", () => {
    const platform2 = examplePlatform((d) => {
      d.environments[1].profile = "production";
      d.environments[1].approval = { reviewers: { users: ["alice"] } };
    });
    expect(platform2.environments[1]).toMatchObject({ production: true, protection: { multiAz: true, deletionProtection: true } });
  });
});

describe("bad platform files: every problem at once, with file, line, path, value and what is valid", () => {
  test.each<[string, (doc: any) => void, RegExp]>([
    ["a port out of range", (d) => (d.apps[0].port = 70000), /bad\.yaml:\d+:\d+: apps\[0\]\.port: received number 70000; expected at most 65535 \(a whole port number from 1024 to 65535/],
    ["a wrong type", (d) => (d.apps[0].port = "http"), /apps\[0\]\.port: expected number, received string "http"/],
    ["a missing required value", (d) => delete d.apps[0].healthPath, /apps\[0\]\.healthPath: is required \(expected string\)/],
    ["an unknown key, with a suggestion", (d) => (d.apps[0].helthPath = "/x"), /apps\[0\]: unknown key "helthPath" \(did you mean "healthPath"\?\); valid keys here: name, port, healthPath/],
    ["a name invalid for DNS", (d) => (d.apps[0].name = "Hello_World"), /apps\[0\]\.name: received string "Hello_World"; an app name must be a DNS label/],
    ["a duplicate environment", (d) => d.environments.push({ ...d.environments[0], network: { cidr: "10.99.0.0/16", zones: ["eu-west-1a", "eu-west-1b"] } }), /environments\[3\]\.name: environment name "dev" is used twice \(also environments\[0\]\)/],
    ["an invalid CIDR", (d) => (d.environments[0].network.cidr = "10.300.0.0/16"), /environments\[0\]\.network\.cidr: received string "10\.300\.0\.0\/16"; expected an IPv4 network CIDR/],
    ["a CIDR too large for a VPC", (d) => (d.environments[0].network.cidr = "10.0.0.0/8"), /"10\.0\.0\.0\/8"; expected an IPv4 network CIDR with a prefix from \/16 to \/23 .*; \/8 is out of range/],
    ["overlapping CIDRs in one account", (d) => (d.environments[1].network.cidr = "10.10.128.0/17"), /environments\[1\]\.network\.cidr: 10\.10\.128\.0\/17 overlaps 10\.10\.0\.0\/16 of environment "dev"/],
    ["a zone of another region", (d) => (d.environments[0].network.zones = ["eu-west-1a", "us-east-1b"]), /environments\[0\]\.network\.zones\[1\]: "us-east-1b" is not a zone of eu-west-1/],
    ["approval without reviewers", (d) => delete d.environments[2].approval, /environments\[2\]: deploys to "prod" need approval \(the production profile's default\) but no reviewers are named/],
    ["an override for no declared environment", (d) => (d.apps[0].overrides.prd = { replicas: { min: 1, max: 2 } }), /apps\[0\]\.overrides\.prd: names no declared environment \(did you mean "prod"\?\); declared: dev, staging, prod/],
    ["a domain that is not a domain", (d) => (d.apps[0].domains.dev = "not a domain"), /apps\[0\]\.domains\.dev: "not a domain" is not valid: expected a lower-case fully qualified domain name/],
    ["a missing domain for an environment", (d) => delete d.apps[0].domains.staging, /apps\[0\]\.domains: no domain for environment "staging"/],
    ["replicas min above max", (d) => (d.apps[0].replicas = { min: 5, max: 2 }), /apps\[0\]\.replicas: min 5 is above max 2/],
    ["an unknown backend", (d) => (d.backend = { type: "consul" }), /backend\.type: received string "consul"; expected one of: local, s3, remote/],
    ["an account id that is not 12 digits", (d) => (d.environments[0].account = "12345"), /environments\[0\]\.account: received string "12345"; expected a 12-digit AWS account id/],
    ["a cluster API open to the internet", (d) => (d.environments[0].cluster.publicAccessCidrs = ["0.0.0.0/0"]), /publicAccessCidrs\[0\]: received string "0\.0\.0\.0\/0"; .*0\.0\.0\.0\/0 opens it to the whole internet/],
    ["nodes min above desired", (d) => (d.environments[0].cluster.nodes = { min: 3, desired: 2, max: 4 }), /environments\[0\]\.cluster\.nodes: min 3, desired 2, max 4: expected min <= desired <= max/],
    ["a Kubernetes minor without a pinned Cluster Autoscaler", (d) => (d.environments[0].cluster.version = "1.40"), /environments\[0\]\.cluster\.version: Kubernetes 1\.40 has no Cluster Autoscaler release pinned in Slipway .*expected one of 1\.28, 1\.29, 1\.30, 1\.31, 1\.32, 1\.33/],
    ["a zoneSpread that is neither required nor preferred", (d) => (d.environments[2].cluster = { ...(d.environments[2].cluster ?? {}), zoneSpread: "always" }), /environments\[2\]\.cluster\.zoneSpread: received string "always"; expected one of: "required", "preferred"/],
    ["a secret also given as a plain variable", (d) => (d.apps[0].env.SESSION_KEY = "x"), /apps\[0\]\.secrets\[0\]: SESSION_KEY is also a plain variable in env/],
    ["a secret named twice", (d) => (d.apps[0].secrets = ["SESSION_KEY", "SESSION_KEY"]), /apps\[0\]\.secrets\[1\]: SESSION_KEY is listed twice/],
    ["DATABASE_URL declared as a secret", (d) => (d.apps[0].secrets = ["DATABASE_URL"]), /apps\[0\]\.secrets\[0\]: DATABASE_URL is set by Slipway from the environment's Postgres database: choose another name/],
    ["DATABASE_URL declared as a plain variable", (d) => (d.apps[0].env.DATABASE_URL = "postgres://x"), /apps\[0\]\.env\.DATABASE_URL: DATABASE_URL is set by Slipway/],
    ["DATABASE_HOST declared as a plain variable", (d) => (d.apps[0].env.DATABASE_HOST = "db.example"), /apps\[0\]\.env\.DATABASE_HOST: DATABASE_HOST is set by Slipway from the environment's Postgres database/],
    ["DATABASE_CREDENTIALS_FILE declared as a secret", (d) => (d.apps[0].secrets = ["DATABASE_CREDENTIALS_FILE"]), /apps\[0\]\.secrets\[0\]: DATABASE_CREDENTIALS_FILE is set by Slipway/],
    ["DATABASE_CREDENTIALS declared as a secret (its DATABASE_CREDENTIALS_FILE would shadow the credentials file)", (d) => (d.apps[0].secrets = ["DATABASE_CREDENTIALS"]), /apps\[0\]\.secrets\[0\]: DATABASE_CREDENTIALS_FILE \(this secret's file path\) is set by Slipway/],
    ["two apps on one node port", (d) => d.apps.push({ ...d.apps[0], name: "api", nodePort: 31000, domains: {} }, { ...d.apps[0], name: "web", nodePort: 31000, domains: {} }), /apps\[2\]\.nodePort: node port 31000 is also "api"'s: set a distinct nodePort/],
    ["a node port out of range", (d) => (d.apps[0].nodePort = 8080), /apps\[0\]\.nodePort: received number 8080; expected at least 30000 \(a Kubernetes NodePort, a whole number from 30000 to 32767/],
    ["a static path that is not a pattern", (d) => (d.apps[0].staticPath = "static"), /apps\[0\]\.staticPath: received string "static"; expected a CloudFront path pattern/],
    ["an unknown load balancer exposure", (d) => (d.environments[0].loadBalancer = { allowFrom: "everyone" }), /environments\[0\]\.loadBalancer\.allowFrom: received string "everyone"; expected one of: "cdn", "internet"/],
    ["an unknown profile", (d) => (d.environments[0].profile = "prod"), /environments\[0\]\.profile: received string "prod"; expected one of: "development", "production"/],
  ])("%s", (_kind, change, message) => {
    const error = problemsAfter(change);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith("bad.yaml: ")).toBe(true);
  });

  test("every problem is reported at once, in file order, each with its line", () => {
    const error = problemsAfter((d) => {
      d.apps[0].port = 0;
      d.apps[0].helthPath = "/x";
      d.environments[0].account = "x";
      d.environments[1].network.zones = ["mars-1a", "eu-west-1a"];
    });
    expect(error.problems.map((p) => p.path)).toEqual(["apps[0].port", "apps[0]", "environments[0].account", "environments[1].network.zones[0]"]);
    const lines = error.problems.map((p) => p.line!);
    expect(lines.every((l) => l > 0)).toBe(true);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  test("a YAML syntax error names the line", () => {
    expect(() => parsePlatform("github: {owner: acme\napps: [", "broken.yaml")).toThrow(/broken\.yaml:\d+:\d+: YAML syntax error/);
  });

  test("a duplicate key is a YAML error, not a silent override", () => {
    expect(() => parsePlatform("github: {owner: a}\ngithub: {owner: b}\n", "dup.yaml")).toThrow(/dup\.yaml:2:1: YAML syntax error: a key is given twice in one mapping \(Map keys must be unique\)/);
  });

  test("an empty file says what it needs", () => {
    expect(() => parsePlatform("", "empty.yaml")).toThrow("empty.yaml: the file is empty; it needs at least github.owner, apps and environments");
  });

  test("a file that is not there says how to choose one", () => {
    const missing = path.join(tempDir(), "nope.yaml");
    expect(() => loadPlatformFile(missing)).toThrow(`${missing}: cannot read the platform file (no such file); pass an existing YAML file with --platform or SLIPWAY_PLATFORM_FILE`);
  });

  test("a file that is a list, not a mapping", () => {
    expect(() => parsePlatform("- a\n- b\n", "list.yaml")).toThrow(/list\.yaml:1:1: expected object, received a list/);
  });

  test("the error lists each problem on its own line under a count", () => {
    const error = problemsAfter((d) => {
      d.apps[0].port = -1;
      d.environments[0].region = "Europe";
    });
    const [head, ...rest] = error.message.split("\n");
    expect(head).toBe(`bad.yaml: ${error.problems.length} problems in the platform file:`);
    expect(rest).toHaveLength(error.problems.length);
    expect(fs.existsSync("bad.yaml")).toBe(false);
  });
});
