import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { AppEnvironmentConfig, PlatformConfig } from "../platform/model";
import { SlipwayStack, environmentAwsProvider } from "./common";
import { DeliveryStack } from "./delivery-stack";
import { PlatformStack } from "./platform-stack";

export interface AppEnvironmentStackProps {
  readonly platform: PlatformConfig;
  readonly deployment: AppEnvironmentConfig;
  readonly platformStack: PlatformStack;
  readonly deliveryStack: DeliveryStack;
}

/**
 * `<app>-<env>`: the app's runtime in one environment — Postgres, load balancer, CDN, Kubernetes
 * workload and the environment's deploy role — on the cluster of `platform-<env>`.
 */
export class AppEnvironmentStack extends SlipwayStack {
  readonly description: string;
  readonly deployment: AppEnvironmentConfig;
  /** The app's public URL in this environment. */
  readonly url: string;

  constructor(scope: Construct, props: AppEnvironmentStackProps) {
    const { platform, deployment, platformStack } = props;
    const { app, environment } = deployment;
    super(scope, `${app.name}-${environment.name}`, platform);
    this.deployment = deployment;
    this.addDependency(props.deliveryStack);

    const tags = { "slipway:app": app.name, "slipway:environment": environment.name };
    environmentAwsProvider(this, "aws", platform, environment, tags);
    // CloudFront only takes certificates from us-east-1.
    environmentAwsProvider(this, "aws_us_east_1", platform, environment, tags, { alias: "us-east-1", region: "us-east-1" });

    // Configured from the cluster of platform-<env> (a cross-stack reference), never in the stack
    // that creates the cluster: Terraform cannot configure a provider from a resource it has yet
    // to create in the same plan.
    const cluster = platformStack.cluster;
    new KubernetesProvider(this, "kubernetes", {
      host: cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(cluster.certificateAuthorityData),
      exec: [{
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: [
          "eks", "get-token", "--cluster-name", cluster.name, "--region", environment.region,
          ...(environment.assumeRoleArn ? ["--role-arn", environment.assumeRoleArn] : []),
        ],
      }],
    });

    this.url = `https://${deployment.domain}`;
    new TerraformOutput(this, "url", { value: this.url, description: `${app.name}'s URL in ${environment.name}` });
    this.description = `${app.name} in ${environment.name}: ${this.url}, ${deployment.replicas.min}-${deployment.replicas.max} replicas`;
  }
}
