import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { dependable, Fn, TerraformOutput, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { AppSecrets, appSecretPrefix, setSecretCommand } from "../constructs/app-secrets";
import { CANARY_METRICS_ACTIONS } from "../constructs/canary";
import { Cdn } from "../constructs/cdn";
import { DatabaseBackup } from "../constructs/database-backup";
import { DatabaseSetup } from "../constructs/database-setup";
import { PodIdentityRole } from "../constructs/pod-identity-role";
import { staticAssetsPrefix } from "../constructs/delivery-pipeline";
import { GithubActionsRole } from "../constructs/github-actions-role";
import { KubernetesWorkload } from "../constructs/kubernetes-workload";
import { LoadBalancer } from "../constructs/load-balancer";
import { Monitoring } from "../constructs/monitoring";
import { PostgresDatabase } from "../constructs/postgres-database";
import { PreviewAccess } from "../constructs/preview-access";
import { PreviewHost } from "../constructs/preview-host";
import { RDS_CA_BUNDLE_FILE, rdsCaBundleFor } from "../constructs/rds-ca-bundle";
import { WorkloadSecurityGroup } from "../constructs/workload-security-group";
import { SourceRepository } from "../constructs/source-repository";
import { terraformLiterals } from "../platform/literal";
import { AppEnvironmentConfig, CrossAccountZone, EnvironmentConfig, PlatformConfig, PolicySuppression } from "../platform/model";
import { defaultTags, SlipwayStack, environmentAwsProvider } from "./common";
import { DeliveryStack, deployRoleName } from "./delivery-stack";
import { PlatformStack } from "./platform-stack";

/** The Terraform name of the server's Pod Identity association when AppSecrets made it (construct path `Secrets/PodIdentity`). */
export const PREVIOUS_SERVER_ASSOCIATION = "Secrets_PodIdentity_68A3BBF1";

/** Props of {@link AppEnvironmentStack}. */
export interface AppEnvironmentStackProps {
  /** The validated platform file: GitHub owner and backend. */
  readonly platform: PlatformConfig;
  /** The app in this environment, with the environment's settings (domain, replicas) resolved. */
  readonly deployment: AppEnvironmentConfig;
  /** The environment's `platform-<env>` stack: its network and cluster host the app. */
  readonly platformStack: PlatformStack;
  /** The app's `<app>-delivery` stack: its registry, repository and pipeline. */
  readonly deliveryStack: DeliveryStack;
}

/**
 * `<app>-<env>`: the app's runtime in one environment — browser → CDN → load balancer → workload
 * → Postgres — plus the environment's deploy role, on the cluster of `platform-<env>`.
 */
export class AppEnvironmentStack extends SlipwayStack {
  /** One line for the synth summary: the URL, replicas and database. */
  readonly description: string;
  /** The app in this environment. */
  readonly deployment: AppEnvironmentConfig;
  /** The app's public URL in this environment. */
  readonly url: string;
  /** The app's Postgres in this environment, admitting only {@link podSecurityGroup}; undefined with `database: none`. */
  readonly database?: PostgresDatabase;
  /** The database's AWS Backup plan and locked vaults, copied off-region (`database.backupCopy`). */
  readonly backup?: DatabaseBackup;
  /** The security group of this app's pods (and only theirs): the one peer the database admits. */
  readonly podSecurityGroup: WorkloadSecurityGroup;
  /**
   * The app's load balancer, forwarding to the workload's node port: internal in the private
   * subnets, reached only through {@link cdn}'s VPC origin (or internet-facing with `loadBalancer.allowFrom: internet`).
   */
  readonly loadBalancer: LoadBalancer;
  /** The app's CloudFront distribution for its domain, in front of {@link loadBalancer}. */
  readonly cdn: Cdn;
  /** The app's namespace, Deployment and policies on the environment's cluster. */
  readonly workload: KubernetesWorkload;
  /** The app's own secrets in Secrets Manager (no values in Terraform), mounted into its pods. */
  readonly secrets: AppSecrets;
  /** The role this environment's deploy job assumes: this GitHub environment only, this namespace only. */
  readonly deployRole: GithubActionsRole;
  /** The app's DNS: made in a Route 53 zone (`zone`), or the records you create, named by this stack's outputs. */
  readonly dns: AppDns;
  /**
   * Each pod's own AWS identity (EKS Pod Identity) and the Job that creates the database roles:
   * the server may connect only as `<db>_app`, the migration only as `<db>_owner`, and only the
   * setup Job may read the master secret.
   */
  readonly databaseAccess: { readonly server: PodIdentityRole; readonly migration?: PodIdentityRole; readonly setup?: DatabaseSetup; readonly setupIdentity?: PodIdentityRole };
  /** The app's alarms (notifying the environment's alarm topic) and dashboard here; the deploy job bakes on the alarms. */
  readonly monitoring: Monitoring;
  /**
   * The app's pull-request previews, when this environment hosts them: the cluster side (router,
   * RBAC, admission) and the identity, registry, secrets and GitHub `preview` environment.
   */
  readonly previews?: { readonly host: PreviewHost; readonly access: PreviewAccess; readonly databaseIdentity?: PodIdentityRole };

  constructor(scope: Construct, props: AppEnvironmentStackProps) {
    const { platformStack, deliveryStack } = props;
    // Platform-file text enters the construct tree here, once, as Terraform literals; the raw
    // config stays for what is not Terraform (policy suppressions, this.deployment).
    const { platform, deployment } = terraformLiterals({ platform: props.platform, deployment: props.deployment });
    const { app, environment } = deployment;
    const name = `${app.name}-${environment.name}`;
    const raw = props.deployment;
    super(scope, name, platform, {
      production: environment.production,
      suppressions: [...raw.environment.suppressions, ...raw.app.suppressions, ...protectionOverrides(raw.environment, raw.app.database !== "none"), ...exposureOverrides(raw.environment), ...previewOverrides(raw)],
    });
    this.deployment = raw;
    this.url = `https://${deployment.domain}`;

    const tags = { "slipway:app": app.name, "slipway:environment": environment.name };
    environmentAwsProvider(this, "aws", platform, environment, tags);
    // CloudFront only takes certificates from us-east-1.
    const usEast1 = environmentAwsProvider(this, "aws_us_east_1", platform, environment, tags, { alias: "us-east-1", region: "us-east-1" });
    new GithubProvider(this, "github", { owner: platform.github.owner });
    // A zone in another account is reached through a DNS-only role there, never with the job's own credentials.
    const zone = environment.dns.crossAccount;
    const dnsProvider = zone ? dnsZoneProvider(this, platform, environment, zone, tags) : undefined;

    // Configured from the cluster of platform-<env> (a cross-stack reference), never in the stack
    // that creates the cluster: Terraform cannot configure a provider from a resource it has yet
    // to create in the same plan.
    const { network, cluster } = platformStack;
    new KubernetesProvider(this, "kubernetes", {
      host: cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(cluster.certificateAuthorityData),
      exec: [
        {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "aws",
          // No --role-arn: the token is for the caller's own identity (the job's role, or your AWS
          // profile), so a plan job stays read-only in the cluster too.
          args: ["eks", "get-token", "--cluster-name", cluster.name, "--region", environment.region],
        },
      ],
    });

    const production = environment.production;
    // Canary releases (constructs/canary.ts): a canary Deployment and Service, a second target group, weighted forward.
    const canary = raw.rollout.strategy === "canary";
    // Pull-request previews of this app run here (never in a production-profile environment: the model refuses it).
    const previews = raw.app.previews?.environment === raw.environment.name ? app.previews : undefined;
    const previewDomains = previews ? [`*.${deployment.domain}`] : undefined;
    const database = (this.database = app.database === "none" ? undefined : new PostgresDatabase(this, "Database", {
      name,
      network,
      accountId: environment.account,
      region: environment.region,
      engineVersion: environment.database.engineVersion,
      instanceClass: environment.database.instanceClass,
      storageGiB: environment.database.storageGiB,
      maxStorageGiB: environment.database.maxStorageGiB,
      multiAz: environment.protection.multiAz,
      deletionProtection: environment.protection.deletionProtection,
      backupRetentionDays: environment.database.backupRetentionDays,
      performanceInsights: environment.database.performanceInsights,
      preventDestroy: production,
      databaseName: app.name.replace(/-/g, "_"),
    }));

    // Daily AWS Backup snapshots in locked vaults, copied to a second region (production's default).
    const backupCopy = environment.database.backupCopy;
    if (backupCopy && database) {
      const copyProvider = backupCopy.account ? undefined : environmentAwsProvider(this, "aws_backup_copy", platform, environment, tags, { alias: "backup-copy", region: backupCopy.region });
      this.backup = new DatabaseBackup(this, "Backup", {
        name,
        database,
        accountId: environment.account,
        region: environment.region,
        retentionDays: backupCopy.retentionDays,
        copy: { region: backupCopy.region, accountId: backupCopy.account, provider: copyProvider },
        breakGlassRoleArns: backupCopy.breakGlassRoleArns,
        compliance: production,
        preventDestroy: production,
      });
    }

    this.loadBalancer = new LoadBalancer(this, "LoadBalancer", {
      name,
      network,
      accountId: environment.account,
      region: environment.region,
      domain: deployment.domain,
      hostedZoneId: environment.dns.hostedZoneId,
      dnsProvider,
      healthPath: app.healthPath,
      targetPort: app.nodePort,
      // The app's target group lives with the node group in platform-<env>, which re-attaches it
      // whenever the node group is replaced: this stack never names a node group.
      targetGroupArn: platformStack.targetGroups[raw.app.name].arn,
      canaryTarget: canary ? { targetGroupArn: platformStack.canaryTargetGroups[raw.app.name].arn, port: app.canaryNodePort } : undefined,
      targetSecurityGroupId: cluster.clusterSecurityGroupId,
      alternativeDomains: previewDomains,
      allowFrom: environment.loadBalancer.allowFrom,
      deletionProtection: environment.protection.deletionProtection,
      accessLogs: environment.loadBalancer.accessLogs,
    });

    this.cdn = new Cdn(this, "Cdn", {
      name,
      accountId: environment.account,
      domain: deployment.domain,
      loadBalancer: this.loadBalancer,
      certificateProvider: usEast1,
      alternativeDomains: previewDomains,
      hostedZoneId: environment.dns.hostedZoneId,
      dnsProvider,
      staticPathPattern: app.staticPath,
      priceClass: environment.cdn.priceClass,
      webAclArn: environment.cdn.webAclArn,
      accessLogs: environment.loadBalancer.accessLogs,
      preventDestroy: production,
    });
    if (environment.dns.hostedZoneId) {
      for (const type of ["A", "AAAA"]) {
        new Route53Record(this, `Domain${type}`, {
          provider: dnsProvider,
          zoneId: environment.dns.hostedZoneId,
          name: deployment.domain,
          type,
          alias: { name: this.cdn.domainName, zoneId: this.cdn.hostedZoneId, evaluateTargetHealth: false },
        });
        // One wildcard for every preview: no record per pull request.
        if (previewDomains) {
          new Route53Record(this, `PreviewDomain${type}`, {
            provider: dnsProvider,
            zoneId: environment.dns.hostedZoneId,
            name: previewDomains[0],
            type,
            alias: { name: this.cdn.domainName, zoneId: this.cdn.hostedZoneId, evaluateTargetHealth: false },
          });
        }
      }
    }

    // The app's own secrets: Secrets Manager secrets Terraform creates without values (set with
    // `npm run secret -- set`), mounted by the Secrets Store CSI driver with the pods' identity.
    this.secrets = new AppSecrets(this, "Secrets", {
      name,
      namePrefix: appSecretPrefix(platform.name, app.name, environment.name),
      secretNames: app.secrets,
      accountId: environment.account,
      region: environment.region,
      recoveryWindowInDays: environment.secrets.recoveryWindowDays,
      preventDestroy: production,
    });

    this.workload = new KubernetesWorkload(this, "Workload", {
      name: app.name,
      // The pipeline sets the real image digest on its first deploy; Terraform never touches it after.
      image: `${deliveryStack.registry.repositoryUrl}:initial`,
      port: app.port,
      healthPath: app.healthPath,
      cpu: app.cpu,
      memory: app.memory,
      replicas: deployment.replicas,
      zoneSpread: environment.cluster.zoneSpread,
      env: app.env,
      // Where, as whom and how to connect (verify-full against the mounted RDS CAs, so nothing in
      // between can pose as the database); no password: IAM tokens signed per connection.
      database: database && {
        host: database.endpoint,
        port: database.port,
        databaseName: database.databaseName,
        username: database.roles.app,
        migrationUsername: database.roles.owner,
        region: environment.region,
        sslRootCertFile: `${RDS_CA_DIRECTORY}/${RDS_CA_BUNDLE_FILE}`,
      },
      secretStore: this.secrets,
      nodePort: app.nodePort,
      canary: canary ? { nodePort: app.canaryNodePort } : undefined,
      // Requests reach the pods from the nodes (externalTrafficPolicy Cluster: any node forwards to
      // any ready pod), which live in the private subnets. The pod security group narrows this to
      // the nodes' group.
      ingressFromCidrs: network.privateSubnetCidrs,
      databaseEgress: database && { cidrs: network.privateSubnetCidrs, port: database.port },
      extraEgress: app.egress,
      migrateCommand: app.migrateCommand,
      integrationTestCommand: app.integrationTestCommand,
      integrationTestUrl: this.url,
      // The RDS CAs only serve the database connection.
      readOnlyFiles: database && { directory: RDS_CA_DIRECTORY, files: { [RDS_CA_BUNDLE_FILE]: rdsCaBundleFor(environment.region) } },
    });

    // The app's own pods (server and migration alike) carry their own security group (EKS security
    // groups for pods): the database admits that group only, not the cluster's, so no other pod of
    // the cluster reaches it; and the pods reach no other database (5432 only to their own).
    this.podSecurityGroup = new WorkloadSecurityGroup(this, "PodSecurityGroup", { name, network, workload: this.workload, cluster });
    if (database) {
      this.podSecurityGroup.allowEgressTo(database, database.port, `PostgreSQL to the database of ${app.name} only`, "EgressDatabase");
      database.allowConnectionsFrom(this.podSecurityGroup, `PostgreSQL from the pods of ${app.name} only`, "AllowFromPods");
    }
    // The load balancer reaches the nodes' NodePort, and a node forwards to a pod on any node.
    this.podSecurityGroup.allowIngressFrom({ securityGroupId: cluster.clusterSecurityGroupId }, app.port, `Requests forwarded by the nodes from load balancer ${name}`, "IngressFromNodes");
    app.egress.forEach((rule, i) =>
      this.podSecurityGroup.allowEgressToCidr(rule.cidr, rule.port, `Declared egress ${i} of ${app.name}`, `EgressDeclared${i}`, rule.protocol === "UDP" ? "udp" : "tcp"),
    );
    // The group applies only to pods created after its policy: the Deployment waits for it.
    this.workload.deployment.dependsOn = [...(this.workload.deployment.dependsOn ?? []), dependable(this.podSecurityGroup.policy)];

    this.deployRole = new GithubActionsRole(this, "DeployRole", {
      name: deployRoleName(app.name, environment.name),
      oidcProvider: platformStack.githubOidc,
      repository: deliveryStack.repository.fullName,
      allow: { environments: [environment.name] },
      description: `Deploys ${app.name} to ${environment.name} from ${deliveryStack.repository.fullName}'s ${environment.name} environment`,
    });
    // The deploy job publishes the image's static files under the CDN's static folder of this
    // environment's bucket, and nowhere else (SSE-S3: no key to grant).
    const assetsPrefix = staticAssetsPrefix(app.staticPath);
    this.deployRole.addPolicy("publish-static-assets", [
      { Sid: "PublishStaticAssets", Effect: "Allow", Action: "s3:PutObject", Resource: `${this.cdn.assetsBucket.arn}/${assetsPrefix}*` },
      // `aws s3 sync` lists what is there to upload only new fingerprinted files.
      { Sid: "ListStaticAssets", Effect: "Allow", Action: "s3:ListBucket", Resource: this.cdn.assetsBucket.arn, Condition: { StringLike: { "s3:prefix": [`${assetsPrefix}*`] } } },
    ]);
    // The pods' own identities and the database setup Job (the only reader of the master secret).
    this.databaseAccess = this.connectDatabase(name, environment.account, cluster);
    // The deploy role's only rights in the cluster: the workload's namespaced deploy Role, bound to
    // a group of this app and environment that the role's access entry (no access policy) maps it into.
    const deployGroup = `slipway-deploy:${name}`;
    this.workload.grantDeploy(deployGroup);
    // `Eks0`: the id these grants have always had (the cluster's name is a reference here).
    this.deployRole.allowEksGroup(cluster, deployGroup, "Eks0");
    // The deploy job checks each secret has a value; it can never read one.
    this.secrets.grantDescribe(this.deployRole);
    // The deploy job tags the digest it deploys (`deployed.<env>.…`) so the registry keeps it.
    deliveryStack.registry.grantDeployTag(this.deployRole);

    // Alarms and dashboard, thresholds from the app, the environment and its profile. The deploy
    // job watches these alarms while a release bakes, reading them and nothing else.
    this.monitoring = new Monitoring(this, "Monitoring", {
      name,
      region: environment.region,
      // The target group lives with the node group in platform-<env> (see targetGroupArn above).
      loadBalancer: { loadBalancer: this.loadBalancer.loadBalancer, targetGroup: platformStack.targetGroups[raw.app.name].targetGroup },
      database: this.database,
      cdn: this.cdn,
      workload: { clusterName: cluster.name, namespace: this.workload.namespace, deploymentName: this.workload.deploymentName, minReadyPods: deployment.replicas.min },
      thresholds: deployment.alarmThresholds,
      alarmTopicArn: platformStack.alarmTopic.arn,
      usEast1Provider: usEast1,
      usEast1AlarmTopicArn: platformStack.usEast1AlarmTopic.arn,
    });
    // Metric alarms only, by ARN: DescribeAlarms returns composite alarms only to callers allowed on "*".
    this.deployRole.addPolicy("watch-alarms", [
      { Sid: "DescribeOwnAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: this.monitoring.alarms.map((a) => a.resource.arn) },
    ]);

    if (canary) {
      this.deployRole.addPolicy("canary-release", [
        // The weights of this app's HTTPS listener, and no other listener.
        { Sid: "ShiftCanaryWeights", Effect: "Allow", Action: "elasticloadbalancing:ModifyListener", Resource: this.loadBalancer.httpsListener.arn },
        // GetMetricData has no resource-level permissions: "*" is the only form IAM accepts. It reads metrics only.
        { Sid: "ReadCanaryMetrics", Effect: "Allow", Action: CANARY_METRICS_ACTIONS, Resource: "*" },
      ], { allowWildcardResourceFor: CANARY_METRICS_ACTIONS });
    }

    // This environment's facts, as variables of its GitHub environment (never secrets: none is).
    const variables: Record<string, string> = {
      AWS_REGION: environment.region,
      DEPLOY_ROLE_ARN: this.deployRole.arn,
      CLUSTER_NAME: cluster.name,
      NAMESPACE: this.workload.namespace,
      APP_URL: this.url,
      ASSETS_BUCKET: this.cdn.assetsBucketName,
      ALARMS: this.monitoring.pipelineAlarms,
      ...(canary
        ? {
            CANARY_LISTENER_ARN: this.loadBalancer.httpsListener.arn,
            STABLE_TARGET_GROUP_ARN: platformStack.targetGroups[raw.app.name].arn,
            CANARY_TARGET_GROUP_ARN: platformStack.canaryTargetGroups[raw.app.name].arn,
          }
        : {}),
    };
    for (const variable of [...deliveryStack.pipeline.variables.environment, ...(canary ? (deliveryStack.pipeline.variables.canary ?? []) : [])]) {
      if (variables[variable] === undefined) throw new Error(`${this.node.path}: the pipeline reads vars.${variable}, which this stack does not set`);
      SourceRepository.environmentVariable(this, `Variable-${variable}`, {
        repository: deliveryStack.repository.name,
        environment: deliveryStack.repository.environments[environment.name].environment,
        name: variable,
        value: variables[variable],
      });
    }

    if (previews) this.previews = this.hostPreviews(name, previews, { platformStack, deliveryStack, platformName: platform.name });

    new TerraformOutput(this, "url", { value: this.url, description: `${app.name}'s URL in ${environment.name}` });
    new TerraformOutput(this, "cdn_domain_name", {
      value: this.cdn.domainName,
      description: `Point ${deployment.domain} here (CNAME or alias)${environment.dns.hostedZoneId ? "; done in Route 53" : ""}`,
    });
    for (const [id, record] of Object.entries({ load_balancer: this.loadBalancer.certificateValidation, cdn: this.cdn.certificateValidation })) {
      if (record) new TerraformOutput(this, `${id}_certificate_validation`, { value: record, description: "Add this DNS record to validate the certificate" });
    }
    new TerraformOutput(this, "deploy_role_arn", { value: this.deployRole.arn });
    // Without a Route 53 zone the previews' wildcard is yours to make, like the domain's record.
    if (previewDomains && !environment.dns.hostedZoneId) {
      new TerraformOutput(this, "preview_domain", { value: previewDomains[0], description: "Point this wildcard at cdn_domain_name too (CNAME): each pull request's preview is pr-<n> under it" });
    }
    const hostedZoneId = raw.environment.dns.hostedZoneId;
    this.dns = {
      domain: raw.domain,
      zone: hostedZoneId ? { hostedZoneId, account: raw.environment.dns.crossAccount?.account ?? raw.environment.account } : undefined,
      targetOutput: "cdn_domain_name",
      validationOutputs: Object.entries({ load_balancer: this.loadBalancer.certificateValidation, cdn: this.cdn.certificateValidation })
        .filter(([, record]) => record !== undefined)
        .map(([id]) => `${id}_certificate_validation`),
    };

    this.description = `${app.name} in ${environment.name}: ${this.url}, ${deployment.replicas.min}-${deployment.replicas.max} replicas, ${database ? `Postgres ${environment.database.engineVersion} on ${environment.database.instanceClass}${environment.protection.multiAz ? " multi-AZ" : ""}` : "no database"}; ${this.monitoring.alarms.length} alarms (${this.monitoring.alarms.map((a) => a.name.slice(name.length + 1)).join(", ")}), bake ${environment.deploy.bakeMinutes} min${canary ? `, canary ${raw.rollout.steps.map((s) => `${s.weight}% ${s.minutes} min`).join(" → ")}` : ""}${previews ? `; previews https://pr-<n>.${deployment.domain} (at most ${previews.maxConcurrent}, removed after ${previews.ttlHours} h idle${database ? ", each with its own database" : ""})` : ""}${app.secrets.length > 0 ? `; secrets ${app.secrets.join(", ")}: ${setSecretCommand(app.name, environment.name, "<NAME>")}` : ""}`;
  }

  /**
   * The app's previews in this (their host) environment: the cluster side, the load balancer's
   * `pr-*` rule to the router's target group (in platform-<env>), the database Job's identity
   * (`<db>_previews` only) and network path, the preview identity and its GitHub environment.
   */
  private hostPreviews(name: string, previews: NonNullable<AppEnvironmentConfig["app"]["previews"]>, stacks: PreviewStacks): NonNullable<AppEnvironmentStack["previews"]> {
    const { app, environment, domain } = terraformLiterals({ deployment: this.deployment }).deployment;
    const { network, cluster } = stacks.platformStack;
    const database = this.database;
    const group = `slipway:${app.name}-previews`;
    const host = new PreviewHost(this, "Previews", {
      app: app.name,
      domain,
      port: app.port,
      healthPath: app.healthPath,
      cpu: app.cpu,
      memory: app.memory,
      env: app.env,
      secrets: previews.secrets,
      group,
      egress: app.egress,
      routerNodePort: previews.routerNodePort,
      ingressFromCidrs: network.privateSubnetCidrs,
      database: database && {
        host: database.endpoint,
        port: database.port,
        databaseName: database.databaseName,
        region: environment.region,
        cidrs: network.privateSubnetCidrs,
        caBundlePem: rdsCaBundleFor(environment.region),
        vpcId: network.vpcId,
        clusterSecurityGroupId: cluster.clusterSecurityGroupId,
      },
    });
    this.loadBalancer.forwardHosts("PreviewRule", {
      hostPatterns: [`pr-*.${domain}`],
      targetGroupArn: stacks.platformStack.previewTargetGroups[this.deployment.app.name].arn,
      targetPort: previews.routerNodePort,
      priority: 100,
    });
    let databaseIdentity: PodIdentityRole | undefined;
    if (database && host.podSecurityGroup && host.databaseServiceAccountName) {
      const managerRole = `${database.databaseName}_previews`;
      databaseIdentity = new PodIdentityRole(this, "PreviewDatabaseIdentity", {
        roleName: `${name}-preview-db`,
        description: `The preview database Job of ${name} (EKS Pod Identity): connects as ${managerRole} only`,
        accountId: environment.account,
        cluster: { name: cluster.name, arn: cluster.cluster.arn },
        namespace: host.namespace,
        serviceAccountName: host.databaseServiceAccountName,
      });
      database.grantConnect(databaseIdentity, managerRole);
      database.allowConnectionsFrom(host.podSecurityGroup, `PostgreSQL from the previews of ${app.name}`, "AllowFromPreviews");
      host.podSecurityGroup.allowEgressTo(database, database.port, `PostgreSQL to the database server of ${app.name} only`, "EgressDatabase");
    }
    const commands = { migrate: database ? app.migrateCommand : undefined, seed: previews.seed, integrationTest: app.integrationTestCommand };
    const access = new PreviewAccess(this, "PreviewAccess", {
      app: app.name,
      environment: environment.name,
      platform: stacks.platformName,
      accountId: environment.account,
      region: environment.region,
      oidcProvider: stacks.platformStack.githubOidc,
      repository: { fullName: stacks.deliveryStack.repository.fullName, name: stacks.deliveryStack.repository.name },
      cluster: { name: cluster.name, arn: cluster.cluster.arn },
      group,
      domain,
      maxConcurrent: previews.maxConcurrent,
      ttlHours: previews.ttlHours,
      secretNames: previews.secrets,
      database: database !== undefined,
      templates: host.templates,
      commands,
    });
    return { host, access, databaseIdentity };
  }

  /** The pods' identities, their database and secret grants, and the setup Job (see {@link databaseAccess}). */
  private connectDatabase(name: string, accountId: string, cluster: { readonly name: string; readonly arn: string }): AppEnvironmentStack["databaseAccess"] {
    const { workload, database, secrets } = this;
    const identity = (id: string, suffix: string, serviceAccountName: string, what: string) =>
      new PodIdentityRole(this, id, { roleName: `${name}-${suffix}`, description: `${what} of ${name} (EKS Pod Identity)`, accountId, cluster, namespace: workload.namespace, serviceAccountName });
    const server = identity("ServerIdentity", "server", workload.serviceAccountName, "Server pods");
    // EKS allows one association per service account: the one AppSecrets made for it before is moved,
    // not created twice. A plain `moved` block: cdktf's moveFromId would run `terraform version` at synth.
    const associationType = server.association.terraformResourceType;
    this.addOverride("moved", [{ from: `${associationType}.${PREVIOUS_SERVER_ASSOCIATION}`, to: `${associationType}.${server.association.friendlyUniqueId}` }]);
    secrets.grantRead(server);
    // `database: none`: the server's identity reads the app's secrets only; no migration, no setup.
    if (!database) return { server };
    database.grantConnect(server, database.roles.app);
    const migration = workload.migrationServiceAccountName ? identity("MigrationIdentity", "migrate", workload.migrationServiceAccountName, "Migration pods") : undefined;
    if (migration) {
      secrets.grantRead(migration);
      database.grantConnect(migration, database.roles.owner);
    }
    const setup = new DatabaseSetup(this, "DatabaseSetup", {
      name: workload.deploymentName,
      namespace: workload.namespace,
      database: { host: database.endpoint, port: database.port, databaseName: database.databaseName, masterUserSecretArn: database.masterUserSecretArn, region: this.deployment.environment.region, roles: database.roles },
      caBundle: { configMapName: workload.filesConfigMap!.metadata.name, file: RDS_CA_BUNDLE_FILE },
      // The previews' manager role and functions, when this environment hosts the app's previews.
      previews: this.deployment.app.previews?.environment === this.deployment.environment.name,
    });
    // The pipeline runs it before each migration, as is: deploy may read the template, never change it.
    workload.allowDeployToRun(setup.templateName);
    const setupIdentity = identity("DatabaseSetupIdentity", "db-setup", setup.serviceAccountName, "The database setup Job");
    database.grantMasterSecretRead(setupIdentity);
    return { server, migration, setup, setupIdentity };
  }
}

/** Props of {@link AppEnvironmentStack.hostPreviews}'s helpers: what comes from the other stacks. */
interface PreviewStacks {
  readonly platformStack: PlatformStack;
  readonly deliveryStack: DeliveryStack;
  /** The platform's name (a Terraform literal): the preview secrets' prefix. */
  readonly platformName: string;
}

/** Where an app's domain is served from, for the synth summary. */
export interface AppDns {
  /** The app's domain in this environment. */
  readonly domain: string;
  /** The Route 53 zone the stack makes the alias and validation records in. @default none: you make the records (see `targetOutput`, `validationOutputs`) */
  readonly zone?: { readonly hostedZoneId: string; readonly account: string };
  /** The output whose value the domain points at (CNAME, or ALIAS/ANAME at a zone apex): the distribution's domain, known after apply. */
  readonly targetOutput: string;
  /** Outputs holding a certificate validation record to create (`{name, type, value}`); empty when the zone gets them. */
  readonly validationOutputs: string[];
}

/** The Terraform variable choosing the DNS role: `read` (plans, the default) or `write` (the apply workflow sets it). */
export const DNS_ACCESS_VARIABLE = "dns_access";

/**
 * The AWS provider (alias `dns`) for a zone in another account: it assumes the zone account's
 * DNS-only roles, the read-only one unless `dns_access` is `write`. Which one matters little for
 * safety — the write role trusts only this environment's apply role, and the plan role may assume
 * only the read role — but a plan must never need more than read access.
 */
export function dnsZoneProvider(stack: SlipwayStack, platform: PlatformConfig, environment: EnvironmentConfig, zone: CrossAccountZone, tags: Record<string, string>): AwsProvider {
  const access = new TerraformVariable(stack, DNS_ACCESS_VARIABLE, {
    type: "string",
    default: "read",
    description: `Which role the dns provider assumes in account ${zone.account}: read (plans) or write (the apply workflow sets TF_VAR_${DNS_ACCESS_VARIABLE}=write)`,
    validation: [{ condition: `\${contains(["read", "write"], var.${DNS_ACCESS_VARIABLE})}`, errorMessage: `${DNS_ACCESS_VARIABLE} must be read or write.` }],
  });
  return new AwsProvider(stack, "aws_dns", {
    alias: "dns",
    region: environment.region,
    allowedAccountIds: [zone.account],
    assumeRole: [{ roleArn: Fn.lookup({ read: zone.readRoleArn, write: zone.roleArn }, access.stringValue), sessionName: `slipway-${stack.stackName}-dns` }],
    defaultTags: [{ tags: defaultTags(platform, tags) }],
  });
}

/**
 * `loadBalancer.allowFrom: internet` opens the load balancer to the internet on purpose: the
 * platform file says so, and that accepts SLW-ALB-007 (CloudFront then reaches it as a public
 * origin), which the synth summary lists with this reason.
 */
export function exposureOverrides(environment: EnvironmentConfig): PolicySuppression[] {
  if (environment.loadBalancer.allowFrom !== "internet") return [];
  return [{ rule: "SLW-ALB-007", path: "LoadBalancer", reason: "loadBalancer.allowFrom: internet: the platform file opens the load balancer to the internet on purpose" }];
}

/**
 * An environment hosting an app's previews grants the preview identity what SLW-K8S-015 flags by
 * design: it creates each preview namespace's RoleBindings, binding the preview ClusterRoles. The
 * admission policy `slipway-<app>-preview-objects` (checked by SLW-PRV-002) admits only those
 * bindings, only in namespaces `<app>-pr-<n>`; the synth summary lists this reason.
 */
export function previewOverrides(deployment: AppEnvironmentConfig): PolicySuppression[] {
  if (deployment.app.previews?.environment !== deployment.environment.name) return [];
  return [
    {
      rule: "SLW-K8S-015",
      path: "Previews/ManagerRole",
      reason: `previews: the preview identity binds only the preview ClusterRoles, only in namespaces ${deployment.app.name}-pr-<n> (admission policy slipway-${deployment.app.name}-preview-objects)`,
    },
  ];
}

/** Where pods find the RDS CA bundle (read-only); `DATABASE_SSLROOTCERT` names the file in it. */
export const RDS_CA_DIRECTORY = "/etc/ssl/rds";

/**
 * A production environment that turns deletion protection or Multi-AZ off must say why in
 * `protection.overrideReason` (the platform model refuses it otherwise); that reason accepts the
 * matching policy findings, which the synth summary then lists with it.
 */
export function protectionOverrides(environment: EnvironmentConfig, hasDatabase = true): PolicySuppression[] {
  const reason = environment.protection.overrideReason;
  if (!environment.production || !reason) return [];
  const because = `protection.overrideReason: ${reason}`;
  return [
    ...(environment.protection.deletionProtection
      ? []
      : [
          // A stack without a database gets no suppression that could match nothing.
          ...(hasDatabase ? [{ rule: "SLW-RDS-006", path: "Database", reason: because }] : []),
          { rule: "SLW-ALB-002", path: "LoadBalancer", reason: because },
        ]),
    ...(environment.protection.multiAz || !hasDatabase ? [] : [{ rule: "SLW-RDS-007", path: "Database", reason: because }]),
    ...(environment.database.backupCopy || !hasDatabase ? [] : [{ rule: "SLW-BAK-001", path: "Database", reason: because }]),
  ];
}
