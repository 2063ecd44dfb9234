// A team's cdktf app in plain CommonJS, as it would be written after `npm install slipway`: every
// construct comes from the package name, the providers from the team's own peer installs. The pack
// test (../pack.test.ts) copies this file into a temporary app and runs it with `node main.js`.
"use strict";
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { GithubProvider } = require("@cdktf/provider-github/lib/provider");
const { KubernetesProvider } = require("@cdktf/provider-kubernetes/lib/provider");
const { App, Fn, LocalBackend, TerraformOutput, TerraformStack } = require("cdktf");
const {
  Cdn,
  ContainerRegistry,
  DeliveryPipeline,
  KubernetesCluster,
  KubernetesWorkload,
  LoadBalancer,
  Network,
  PostgresDatabase,
  SourceRepository,
} = require("slipway");

const accountId = "123456789012";
const region = "eu-west-1";

const app = new App({ outdir: process.argv[2] || "cdktf.out" });
const stack = new TerraformStack(app, "team");
new LocalBackend(stack, { path: "terraform.team.tfstate" });
new AwsProvider(stack, "aws", { region, allowedAccountIds: [accountId] });
const usEast1 = new AwsProvider(stack, "aws_us_east_1", { alias: "us-east-1", region: "us-east-1", allowedAccountIds: [accountId] });
new GithubProvider(stack, "github", { owner: "acme" });

const network = new Network(stack, "Network", {
  name: "team",
  cidrBlock: "10.50.0.0/16",
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  accountId,
  region,
  natGateways: "one",
  preventDestroy: false,
});
const cluster = new KubernetesCluster(stack, "Cluster", {
  name: "team",
  network,
  accountId,
  region,
  nodeInstanceTypes: ["c6i.xlarge"],
  preventDestroy: false,
});
new KubernetesProvider(stack, "kubernetes", {
  host: cluster.endpoint,
  clusterCaCertificate: Fn.base64decode(cluster.certificateAuthorityData),
  exec: [{ apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", cluster.name] }],
});

const repository = new SourceRepository(stack, "Repository", {
  name: "orders",
  owner: "acme",
  environments: [{ name: "dev" }, { name: "prod", requireApproval: true, reviewers: { teams: [{ slug: "release-managers", id: 1234567 }] } }],
});
const registry = new ContainerRegistry(stack, "Registry", { name: "orders", accountId, region, keepReleaseImages: 10, preventDestroy: false });
const pipeline = new DeliveryPipeline(stack, "Pipeline", {
  appName: "orders",
  testCommand: "npm test",
  healthPath: "/healthz",
  repository,
  environments: [{ name: "dev" }, { name: "prod" }],
});

const database = new PostgresDatabase(stack, "Database", {
  name: "orders-dev",
  network,
  accountId,
  region,
  multiAz: false,
  deletionProtection: false,
  preventDestroy: false,
});
database.allowConnectionsFrom({ securityGroupId: cluster.clusterSecurityGroupId }, "PostgreSQL from the cluster", "AllowFromCluster");

const loadBalancer = new LoadBalancer(stack, "LoadBalancer", {
  name: "orders-dev",
  network,
  accountId,
  region,
  domain: "orders.example.com",
  healthPath: "/healthz",
  targetPort: 30080,
  targetSecurityGroupId: cluster.clusterSecurityGroupId,
  deletionProtection: false,
  accessLogs: false,
});
const cdn = new Cdn(stack, "Cdn", {
  name: "orders-dev",
  accountId,
  domain: "orders.example.com",
  // Internal by default: the Cdn reaches it through a VPC origin and admits only that origin.
  loadBalancer,
  certificateProvider: usEast1,
  accessLogs: false,
  preventDestroy: false,
});
const workload = new KubernetesWorkload(stack, "Workload", {
  name: "orders",
  image: `${registry.repositoryUrl}:initial`,
  port: 8080,
  healthPath: "/healthz",
  replicas: { min: 2, max: 4 },
  nodePort: 30080,
  // The internal load balancer lives in the private subnets.
  ingressFromCidrs: network.privateSubnetCidrs,
  databaseEgress: { cidrs: network.privateSubnetCidrs, port: database.port },
});

new TerraformOutput(stack, "url", { value: `https://${cdn.domainName}` });
new TerraformOutput(stack, "namespace", { value: workload.namespace });
new TerraformOutput(stack, "workflows", { value: Object.keys(pipeline.workflows) });
app.synth();
