/**
 * Least privilege inside the platform, on the synthesized app stacks: only the app's own pods reach
 * its database (and they reach no other database), the load balancer is reachable only through the
 * app's CloudFront VPC origin in any region, no bucket has ACLs and CDN logs go through log
 * delivery v2, and the database connection verifies the server certificate against a CA bundle
 * the pods mount.
 */
import { createHash, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadSynthesizedOutput } from "../../synthesized";
import { synthesize } from "../../cli/synth";
import { evaluate } from "../../policy";
import { RDS_CA_BUNDLE_FILE, RDS_CA_BUNDLE_PEM, RDS_CA_BUNDLE_SHA256, rdsCaBundleFor } from "../../constructs/rds-ca-bundle";
import { parsePlatform } from "../../platform/model";
import { exampleDocument, examplePlatform, resourceAt, resourcesByPath, synthAll, tempDir } from "../support/platform";
import { stringify } from "yaml";
import { variantDocument } from "../support/variants";

type Json = any;

const example = synthAll(examplePlatform());
const prod = example["hello-prod"];

/** `${type.name.attribute}` of the one resource of `type` whose construct path ends with `suffix`. */
function refTo(stack: Json, type: string, suffix: string, attribute = "id"): string {
  const [name] = Object.entries<Json>(stack.resource[type] ?? {}).find(([, body]) => String(body["//"].metadata.path).endsWith(`/${suffix}`)) ?? [];
  if (!name) throw new Error(`no ${type} at */${suffix}`);
  return `\${${type}.${name}.${attribute}}`;
}

/** The rule resources of `type` attached to the security group `groupRef`, without their metadata. */
function rulesOf(stack: Json, type: string, groupRef: string): Json[] {
  return Object.values<Json>(stack.resource[type] ?? {})
    .filter((rule) => rule.security_group_id === groupRef)
    .map(({ "//": _, ...rule }) => rule);
}

const clusterGroup = (stack: Json) => resourceAt(stack, "aws_vpc_security_group_ingress_rule", "LoadBalancer/TargetIngressFromLoadBalancer").security_group_id;

describe("only the app's own pods reach its database", () => {
  test("the database's ingress sources are exactly the app's pod security group", () => {
    const dbGroup = refTo(prod, "aws_security_group", "Database/SecurityGroup");
    const podGroup = refTo(prod, "aws_security_group", "PodSecurityGroup/Resource");
    expect(resourceAt(prod, "aws_db_instance", "Database/Resource").vpc_security_group_ids).toEqual([dbGroup]);
    // No inline rules on the group, and exactly one rule resource: TCP 5432 from the pods' group.
    const group = resourceAt(prod, "aws_security_group", "Database/SecurityGroup");
    expect(group.ingress).toBeUndefined();
    expect(group.egress).toBeUndefined();
    expect(rulesOf(prod, "aws_vpc_security_group_ingress_rule", dbGroup)).toEqual([
      {
        security_group_id: dbGroup,
        referenced_security_group_id: podGroup,
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
        description: "PostgreSQL from the pods of hello only",
      },
    ]);
    expect(rulesOf(prod, "aws_security_group_rule", dbGroup)).toEqual([]);
    // Not the cluster's group, which every node and every other pod carries.
    expect(podGroup).not.toBe(clusterGroup(prod));
  });

  test("the pods' group reaches DNS on the cluster and PostgreSQL on their own database only", () => {
    const podGroup = refTo(prod, "aws_security_group", "PodSecurityGroup/Resource");
    const dbGroup = refTo(prod, "aws_security_group", "Database/SecurityGroup");
    const egress = rulesOf(prod, "aws_vpc_security_group_egress_rule", podGroup);
    expect(egress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.referenced_security_group_id ?? r.cidr_ipv4]).sort()).toEqual(
      [
        ["tcp", 53, 53, clusterGroup(prod)],
        ["tcp", 5432, 5432, dbGroup],
        ["udp", 53, 53, clusterGroup(prod)],
      ].sort(),
    );
    // Every rule that lets the pods out on 5432 names the database's group: no CIDR, no other group.
    const on5432 = egress.filter((r) => r.from_port <= 5432 && 5432 <= r.to_port);
    expect(on5432).toEqual([expect.objectContaining({ referenced_security_group_id: dbGroup })]);
    expect(on5432[0].cidr_ipv4).toBeUndefined();
    // Ingress: the nodes (forwarding the load balancer's requests from its NodePort, Service
    // externalTrafficPolicy Cluster) on the container port only.
    expect(rulesOf(prod, "aws_vpc_security_group_ingress_rule", podGroup)).toEqual([
      {
        security_group_id: podGroup,
        referenced_security_group_id: clusterGroup(prod),
        ip_protocol: "tcp",
        from_port: 8080,
        to_port: 8080,
        description: "Requests forwarded by the nodes from load balancer hello-prod",
      },
    ]);
    // CoreDNS (on the cluster's group) admits the pods' group on 53.
    const dns = Object.values<Json>(prod.resource.aws_vpc_security_group_ingress_rule).filter((r) => r.referenced_security_group_id === podGroup);
    expect(dns.map((r) => [r.security_group_id, r.ip_protocol, r.from_port]).sort()).toEqual(
      [
        [clusterGroup(prod), "tcp", 53],
        [clusterGroup(prod), "udp", 53],
        [refTo(prod, "aws_security_group", "Database/SecurityGroup"), "tcp", 5432],
      ].sort(),
    );
  });

  test("declared egress becomes a rule of the pods' group for that CIDR and port only", () => {
    const stack = synthAll(examplePlatform((d) => (d.apps[0].egress = [{ cidr: "192.0.2.0/24", port: 443 }])))["hello-dev"];
    const podGroup = refTo(stack, "aws_security_group", "PodSecurityGroup/Resource");
    expect(rulesOf(stack, "aws_vpc_security_group_egress_rule", podGroup).filter((r) => r.cidr_ipv4)).toEqual([
      { security_group_id: podGroup, cidr_ipv4: "192.0.2.0/24", ip_protocol: "tcp", from_port: 443, to_port: 443, description: "Declared egress 0 of hello" },
    ]);
  });

  test("two apps in one environment: each database admits its own app's pods, each app reaches its own database", () => {
    const doc = variantDocument({ apps: ["shop", "api"], backend: { type: "local" } });
    const stacks = synthAll(parsePlatform(stringify(doc), "variant.yaml"));
    for (const app of ["shop", "api"]) {
      const stack = stacks[`${app}-prod`];
      const podGroup = refTo(stack, "aws_security_group", "PodSecurityGroup/Resource");
      const dbGroup = refTo(stack, "aws_security_group", "Database/SecurityGroup");
      expect(rulesOf(stack, "aws_vpc_security_group_ingress_rule", dbGroup).map((r) => r.referenced_security_group_id)).toEqual([podGroup]);
      expect(rulesOf(stack, "aws_vpc_security_group_egress_rule", podGroup).filter((r) => r.from_port === 5432).map((r) => r.referenced_security_group_id)).toEqual([dbGroup]);
      // The other app's groups are not even visible to this stack: no cross-stack reference to them.
      const other = app === "shop" ? "api" : "shop";
      expect(JSON.stringify(stack.resource)).not.toContain(`${other}-prod-pods`);
    }
  });

  test("the group reaches the app's pods (server and migration) through a SecurityGroupPolicy the Deployment waits for", () => {
    const policy = resourceAt(prod, "kubernetes_manifest", "PodSecurityGroup/SecurityGroupPolicy");
    const namespace = refTo(prod, "kubernetes_namespace_v1", "Workload/Namespace", "metadata[0].name");
    expect(policy.manifest).toEqual({
      apiVersion: "vpcresources.k8s.aws/v1beta1",
      kind: "SecurityGroupPolicy",
      metadata: { name: "hello-prod-pods", namespace },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "hello" } },
        securityGroups: { groupIds: [refTo(prod, "aws_security_group", "PodSecurityGroup/Resource")] },
      },
    });
    const selector = policy.manifest.spec.podSelector.matchLabels;
    const deployment = resourceAt(prod, "kubernetes_deployment_v1", "Workload/Resource");
    expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
    // It also waits for the SecretProviderClass it mounts (the app's secrets).
    const manifest = (suffix: string) => refTo(prod, "kubernetes_manifest", suffix).slice(2, -4);
    expect(deployment.depends_on).toEqual([manifest("Workload/SecretProviderClass"), manifest("PodSecurityGroup/SecurityGroupPolicy")]);
    // The migration and the database setup Job carry the app's label too: they reach the database.
    for (const template of ["Workload/MigrationTemplate", "DatabaseSetup/Resource"]) {
      const cron = resourceAt(prod, "kubernetes_cron_job_v1", template);
      expect(cron.spec.job_template.spec.template.metadata.labels).toMatchObject(selector);
    }
  });
});

describe("the load balancer is reachable only through this app's CloudFront distribution", () => {
  /** The example with production moved to `region`. */
  const inRegion = (region: string) =>
    synthAll(
      examplePlatform((d) => {
        d.environments[2].region = region;
        d.environments[2].network.zones = ["a", "b", "c"].map((zone) => `${region}${zone}`);
        // São Paulo has no second Brazilian region to copy backups to by default: name one.
        if (region === "sa-east-1") d.environments[2].database = { backupCopy: { region: "us-east-1" } };
      }),
    )["hello-prod"];

  test.each(["ap-southeast-2", "eu-west-1", "sa-east-1"])("in %s: internal, private subnets, admitting only CloudFront's VPC-origin group of this VPC", (region) => {
    const stack = inRegion(region);
    const lb = resourceAt(stack, "aws_lb", "LoadBalancer/Resource");
    expect(lb.internal).toBe(true);
    const privateSubnets = Object.values<Json>(resourcesByPath(example["platform-prod"], "aws_subnet")).filter((s) => s.tags.Name.includes("private")).length;
    expect(lb.subnets).toHaveLength(privateSubnets);
    lb.subnets.forEach((subnet: string) => expect(subnet).toMatch(/cross-stack-output-aws_subnetNetwork_PrivateSubnet\d_[0-9A-F]{8}id/));

    const lbGroup = refTo(stack, "aws_security_group", "LoadBalancer/SecurityGroup");
    const lookup = Object.entries<Json>(stack.data.aws_security_group);
    expect(lookup).toHaveLength(1);
    const [lookupName, lookupBody] = lookup[0];
    expect(lookupBody.filter).toEqual([
      { name: "vpc-id", values: [expect.stringMatching(/cross-stack-output-aws_vpcNetwork_[0-9A-F]{8}id/)] },
      { name: "group-name", values: ["CloudFront-VPCOrigins-Service-SG"] },
    ]);
    expect(lookupBody.depends_on).toEqual([refTo(stack, "aws_cloudfront_vpc_origin", "Cdn/VpcOrigin").slice(2, -4)]);
    expect(rulesOf(stack, "aws_vpc_security_group_ingress_rule", lbGroup)).toEqual([
      {
        security_group_id: lbGroup,
        referenced_security_group_id: `\${data.aws_security_group.${lookupName}.id}`,
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        description: "HTTPS from CloudFront VPC origins of this account only",
        tags: { Name: "hello-prod-ingress-https-from-vpc-origin" },
      },
    ]);
    // The VPC origin targets this load balancer and the distribution reaches it only through it.
    expect(resourceAt(stack, "aws_cloudfront_vpc_origin", "Cdn/VpcOrigin").vpc_origin_endpoint_config[0].arn).toBe(refTo(stack, "aws_lb", "LoadBalancer/Resource", "arn"));
    const origins = resourceAt(stack, "aws_cloudfront_distribution", "Cdn/Resource").origin;
    expect(origins.filter((o: Json) => o.custom_origin_config)).toEqual([]);
    // No prefix list and no region table anywhere.
    expect(JSON.stringify(stack)).not.toMatch(/prefix_list|pl-[0-9a-f]{8}/);
  });
});

describe("loadBalancer.allowFrom: internet keeps working, as an accepted and reported exception", () => {
  test("the policy finding SLW-ALB-007 is accepted with the platform file's reason in that environment only", () => {
    const work = tempDir("slipway-exposure-");
    try {
      const doc = exampleDocument();
      doc.environments[0].loadBalancer = { allowFrom: "internet" };
      const file = path.join(work, "platform.yaml");
      fs.writeFileSync(file, stringify(doc));
      // Synth enforces the policy: an unaccepted high finding would throw here.
      synthesize({ platformFile: file, outdir: path.join(work, "out") });
      const loaded = loadSynthesizedOutput(path.join(work, "out"));
      const findings = evaluate(loaded.stacks, { suppressions: loaded.suppressions, productionEnvironments: loaded.productionEnvironments }).findings.filter(
        (f) => f.rule.id === "SLW-ALB-007",
      );
      expect(findings.map((f) => [f.stack, f.path, f.suppressed?.reason])).toEqual([
        ["hello-dev", "hello-dev/LoadBalancer/Resource", "loadBalancer.allowFrom: internet: the platform file opens the load balancer to the internet on purpose"],
      ]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("access logs without ACLs", () => {
  const variant = synthAll(parsePlatform(stringify(variantDocument({ apps: ["shop"], backend: { type: "local" } })), "variant.yaml"));

  test.each([
    ["example", example],
    ["variant", variant],
  ])("in the %s platform, every bucket enforces bucket-owner ownership and no ACL is set", (_which, stacks) => {
    let buckets = 0;
    for (const [name, stack] of Object.entries<Json>(stacks)) {
      expect({ name, acls: Object.keys(stack.resource?.aws_s3_bucket_acl ?? {}) }).toEqual({ name, acls: [] });
      for (const [bucketName, bucket] of Object.entries<Json>(stack.resource?.aws_s3_bucket ?? {})) {
        buckets++;
        expect(bucket.acl).toBeUndefined();
        const ownership = Object.values<Json>(stack.resource.aws_s3_bucket_ownership_controls ?? {}).filter((o) => o.bucket === `\${aws_s3_bucket.${bucketName}.id}`);
        expect({ bucket: bucketName, ownership: ownership.map((o) => o.rule.object_ownership) }).toEqual({ bucket: bucketName, ownership: ["BucketOwnerEnforced"] });
      }
    }
    expect(buckets).toBeGreaterThanOrEqual(4);
  });

  test.each([
    ["example", example],
    ["variant", variant],
  ])("in the %s platform, no distribution uses legacy logging; each production one delivers through log delivery v2", (_which, stacks) => {
    for (const [name, stack] of Object.entries<Json>(stacks)) {
      for (const [distName, distribution] of Object.entries<Json>(stack.resource?.aws_cloudfront_distribution ?? {})) {
        expect(distribution.logging_config).toBeUndefined();
        const sources = Object.values<Json>(stack.resource.aws_cloudwatch_log_delivery_source ?? {});
        if (!/-prod(-us)?$/.test(name)) continue;
        expect(sources).toEqual([
          expect.objectContaining({ provider: "aws.us-east-1", log_type: "ACCESS_LOGS", resource_arn: `\${aws_cloudfront_distribution.${distName}.arn}` }),
        ]);
        const destination = Object.values<Json>(stack.resource.aws_cloudwatch_log_delivery_destination)[0];
        expect(destination.delivery_destination_configuration[0].destination_resource_arn).toBe(refTo(stack, "aws_s3_bucket", "Cdn/LogsBucket", "arn"));
        expect(Object.values<Json>(stack.resource.aws_cloudwatch_log_delivery)).toHaveLength(1);
      }
    }
  });
});

describe("the database connection verifies the server certificate", () => {
  test("the pods connect with DATABASE_SSLMODE=verify-full and a DATABASE_SSLROOTCERT the app and migration pods mount read-only", () => {
    const config = resourceAt(prod, "kubernetes_config_map_v1", "Workload/Config").data;
    expect(config.DATABASE_SSLMODE).toBe("verify-full");
    const rootCert: string = config.DATABASE_SSLROOTCERT;
    expect(path.posix.isAbsolute(rootCert)).toBe(true);
    const [directory, file] = [path.posix.dirname(rootCert), path.posix.basename(rootCert)];
    expect(file).toBe(RDS_CA_BUNDLE_FILE);
    // Both pods take their environment from this ConfigMap.
    const configName = refTo(prod, "kubernetes_config_map_v1", "Workload/Config", "metadata[0].name");
    for (const pod of [
      resourceAt(prod, "kubernetes_deployment_v1", "Workload/Resource").spec.template.spec,
      resourceAt(prod, "kubernetes_cron_job_v1", "Workload/MigrationTemplate").spec.job_template.spec.template.spec,
    ]) {
      expect(pod.container[0].env_from).toContainEqual({ config_map_ref: { name: configName } });
    }
    // No other way to connect that could weaken it: no URL with another sslmode anywhere.
    expect(JSON.stringify(prod.resource)).not.toMatch(/sslmode=(disable|allow|prefer|require)\b/);

    const configMap = resourceAt(prod, "kubernetes_config_map_v1", "Workload/Files");
    // The region's roots of the recorded bundle (RSA2048, RSA4096, ECC384), not the whole bundle.
    const roots = (configMap.data[file] as string).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(roots.map((pem) => new X509Certificate(pem).subject.split("\n").find((l) => l.startsWith("CN=")))).toEqual(
      ["RSA2048", "RSA4096", "ECC384"].map((kind) => `CN=Amazon RDS eu-west-1 Root CA ${kind} G1`),
    );
    for (const pem of roots) expect(RDS_CA_BUNDLE_PEM).toContain(pem);
    expect(rdsCaBundleFor("xx-nowhere-1")).toBe(RDS_CA_BUNDLE_PEM);
    const configMapName = refTo(prod, "kubernetes_config_map_v1", "Workload/Files", "metadata[0].name");
    const pods = [
      resourceAt(prod, "kubernetes_deployment_v1", "Workload/Resource").spec.template.spec,
      resourceAt(prod, "kubernetes_cron_job_v1", "Workload/MigrationTemplate").spec.job_template.spec.template.spec,
    ];
    for (const pod of pods) {
      const volume = pod.volume.find((v: Json) => v.config_map?.name === configMapName);
      expect(volume).toBeDefined();
      const mount = pod.container[0].volume_mount.find((m: Json) => m.name === volume.name);
      expect(mount).toEqual({ name: volume.name, mount_path: directory, read_only: true });
    }
    // The instance's certificate is signed by the CA the bundle holds for its region.
    expect(resourceAt(prod, "aws_db_instance", "Database/Resource").ca_cert_identifier).toBe("rds-ca-rsa2048-g1");
  });

  test("the RDS CA bundle is the recorded copy: root CAs, valid today, RSA2048 G1 for the regions used here", () => {
    expect(createHash("sha256").update(RDS_CA_BUNDLE_PEM).digest("hex")).toBe(RDS_CA_BUNDLE_SHA256);
    const pems = RDS_CA_BUNDLE_PEM.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(pems.length).toBe(102);
    const certificates = pems.map((pem) => new X509Certificate(pem));
    const now = new Date();
    for (const certificate of certificates) {
      expect(certificate.ca).toBe(true);
      expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(now.getTime());
      // Self-signed roots.
      expect(certificate.verify(certificate.publicKey)).toBe(true);
    }
    const subjects = certificates.map((c) => c.subject);
    for (const region of ["eu-west-1", "us-east-1", "ap-southeast-2", "sa-east-1", "eu-central-1"]) {
      expect(subjects.some((s) => s.includes(`CN=Amazon RDS ${region} Root CA RSA2048 G1`))).toBe(true);
    }
  });
});
