/** PreviewHost, PreviewAccess and LoadBalancer.forwardHosts on their own: defaults and "fails when". */
import { Testing, TerraformStack } from "cdktf";
import { PreviewAccess } from "../../constructs/preview-access";
import { PreviewHost, PreviewHostProps, routerConfig } from "../../constructs/preview-host";
import { expectValidationError } from "../support/synthesized";

const HOST: PreviewHostProps = {
  app: "shop",
  domain: "shop.dev.example.com",
  port: 8080,
  healthPath: "/healthz",
  cpu: "250m",
  memory: "256Mi",
  env: {},
  secrets: [],
  group: "slipway:shop-previews",
  routerNodePort: 31000,
  ingressFromCidrs: ["10.0.0.0/24"],
};

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "test");
}

describe("PreviewHost", () => {
  test("without a database: no database Job template, no security group, no writer role", () => {
    const host = new PreviewHost(stack(), "Previews", HOST);
    expect(host.templates.databaseJob).toBeUndefined();
    expect(host.podSecurityGroup).toBeUndefined();
    expect(host.clusterRoles.databaseWriter).toBeUndefined();
    expect(Object.keys(host.admissionPolicies).sort()).toEqual(["namespaces", "objects"]);
  });

  test("fails when the router's node port is outside 30000-32767", () => {
    expectValidationError(() => new PreviewHost(stack(), "Previews", { ...HOST, routerNodePort: 8080 }), "test/Previews", "routerNodePort", /NodePort/);
  });

  test("fails when the app is not a DNS label", () => {
    expectValidationError(() => new PreviewHost(stack(), "Previews", { ...HOST, app: "Shop_1" }), "test/Previews", "app", "a DNS label, e.g. shop");
  });

  test("fails when the domain is not a domain name", () => {
    expectValidationError(() => new PreviewHost(stack(), "Previews", { ...HOST, domain: "not a domain" }), "test/Previews", "domain", /domain name/);
  });

  test("the router's host regex escapes the domain's dots and allows pull request numbers only", () => {
    const config = routerConfig("shop", "shop.dev.example.com");
    expect(config).toContain('server_name "~^pr-(?<pr>[1-9][0-9]{0,8})\\.shop\\.dev\\.example\\.com$";');
    expect(config).not.toContain("${");
  });
});

describe("PreviewAccess", () => {
  const props = {
    app: "shop",
    environment: "dev",
    platform: "acme",
    accountId: "111111111111",
    region: "eu-west-1",
    oidcProvider: { arn: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" },
    repository: { fullName: "acme/shop", name: "shop" },
    cluster: { name: "acme-dev", arn: "arn:aws:eks:eu-west-1:111111111111:cluster/acme-dev" },
    group: "slipway:shop-previews",
    domain: "shop.dev.example.com",
    maxConcurrent: 3,
    ttlHours: 72,
    database: false,
    templates: { manifest: "kind: Namespace", taskJob: "kind: Job" },
    commands: {},
  };

  test("the role is trusted from the preview environment only, and its registry is <app>-previews", () => {
    const access = new PreviewAccess(stack(), "PreviewAccess", props);
    expect(access.role.subjects).toEqual(["repo:acme/shop:environment:preview"]);
    expect(Object.keys(access.variables)).toEqual(["PREVIEW_ROLE_ARN", "PREVIEW_REGION", "PREVIEW_CLUSTER", "PREVIEW_REGISTRY", "PREVIEW_DOMAIN", "PREVIEW_MAX", "PREVIEW_TTL_HOURS", "PREVIEW_DATABASE", "PREVIEW_MANIFEST", "PREVIEW_TASK_JOB", "PREVIEW_SECRETS"]);
  });

  test("fails when the time to live is out of range", () => {
    expectValidationError(() => new PreviewAccess(stack(), "PreviewAccess", { ...props, ttlHours: 0 }), "test/PreviewAccess", "ttlHours", "a whole number of hours from 1 to 720");
  });

  test("fails when the cap is out of range", () => {
    expectValidationError(() => new PreviewAccess(stack(), "PreviewAccess", { ...props, maxConcurrent: 21 }), "test/PreviewAccess", "maxConcurrent", "a whole number from 1 to 20");
  });

  test("fails when a database is claimed without its Job (or the reverse)", () => {
    expectValidationError(() => new PreviewAccess(stack(), "PreviewAccess", { ...props, database: true }), "test/PreviewAccess", "templates.databaseJob", /exactly when previews get a database/);
  });
});
