/**
 * Platform files larger than the example, for tests that must hold on any platform: several apps,
 * several environments (two of them production, in different accounts and regions), and each
 * backend type.
 */
import { exampleDocument } from "./platform";

export interface VariantOptions {
  /** App names; each gets a domain per environment. */
  readonly apps: string[];
  readonly backend: { type: "local" } | { type: "s3"; bucket: string; region: string; keyPrefix?: string } | { type: "remote"; organization: string; workspacePrefix?: string };
}

/**
 * A platform document (plain object, ready to `stringify`) with `options.apps` promoted through
 * dev and staging (one development account, eu-west-1), qa (its own account, eu-central-1, behind a
 * Route 53 zone and reachable from the internet), prod (production account, eu-west-1) and prod-us
 * (production, another account, us-east-1, behind a Route 53 zone and a WAF).
 */
export function variantDocument(options: VariantOptions): any {
  const example = exampleDocument();
  const template = example.apps[0];
  const environments = [
    {
      name: "dev",
      account: "111111111111",
      region: "eu-west-1",
      network: { cidr: "10.10.0.0/16", zones: ["eu-west-1a", "eu-west-1b"] },
    },
    {
      name: "staging",
      account: "111111111111",
      region: "eu-west-1",
      network: { cidr: "10.20.0.0/16", zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] },
      cluster: { publicAccessCidrs: ["203.0.113.0/24"] },
    },
    {
      name: "qa",
      account: "333333333333",
      region: "eu-central-1",
      network: { cidr: "10.40.0.0/16", zones: ["eu-central-1a", "eu-central-1b"], natGateways: "per-zone" },
      dns: { hostedZoneId: "Z0123456789QAQAQAQA" },
      loadBalancer: { allowFrom: "internet" },
    },
    {
      name: "prod",
      account: "222222222222",
      region: "eu-west-1",
      assumeRoleArn: "arn:aws:iam::222222222222:role/slipway-deploy",
      network: { cidr: "10.30.0.0/16", zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] },
      approval: { reviewers: { teams: [{ slug: "platform", id: 4818261 }] } },
    },
    {
      name: "prod-us",
      profile: "production",
      account: "444444444444",
      region: "us-east-1",
      network: { cidr: "10.50.0.0/16", zones: ["us-east-1a", "us-east-1b", "us-east-1c"] },
      cluster: { adminRoleArns: ["arn:aws:iam::444444444444:role/platform-admin"] },
      approval: { reviewers: { users: ["alice"], teams: [{ slug: "platform", id: 4818261 }, { slug: "release-managers", id: 5127734 }] } },
      dns: { hostedZoneId: "Z0123456789USUSUSUS" },
      cdn: { webAclArn: "arn:aws:wafv2:us-east-1:444444444444:global/webacl/edge/0123abcd-0123-4567-89ab-0123456789ab" },
    },
  ];
  const apps = options.apps.map((name, i) => ({
    ...template,
    name,
    port: 8080 + i,
    // The first app keeps the example's migration; the others have none, and one talks out.
    ...(i === 0 ? {} : { migrate: undefined }),
    ...(i === 2 ? { egress: [{ cidr: "198.51.100.0/24", port: 443 }] } : {}),
    domains: Object.fromEntries(environments.map((e) => [e.name, `${name}.${e.name}.acme.example`])),
    overrides: { "prod-us": { replicas: { min: 2, max: 6 } } },
  }));
  for (const app of apps) if (app.migrate === undefined) delete app.migrate;
  return { ...example, backend: options.backend, apps, environments };
}
