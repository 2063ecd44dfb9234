/**
 * The app-environment stacks give the deliver workflow what its asset and integration-test steps
 * need: the assets bucket's name as a GitHub environment variable, a deploy role that may write
 * that bucket's static folder and nothing else in S3, and the integration-test template.
 */
import { examplePlatform, resourceAt, resourcesByPath, synthAll } from "../support/platform";

const stacks = synthAll(examplePlatform());
const ENVIRONMENTS = ["dev", "staging", "prod"];

/** Every statement of every inline policy on the stack's deploy role. */
function deployRoleStatements(stack: any): any[] {
  const role = resourceAt(stack, "aws_iam_role", "DeployRole/Resource");
  const roleName = `\${aws_iam_role.${Object.entries<any>(stack.resource.aws_iam_role).find(([, r]) => r === role)![0]}.name}`;
  return Object.values<any>(stack.resource.aws_iam_role_policy ?? {})
    .filter((p) => p.role === roleName)
    .flatMap((p) => [JSON.parse(p.policy).Statement].flat());
}

describe("static assets: the deploy role and the bucket", () => {
  test.each(ENVIRONMENTS)("%s: the deploy role may put objects under static/ of its own assets bucket, list that prefix, and nothing else in S3", (env) => {
    const stack = stacks[`hello-${env}`];
    const bucket = resourceAt(stack, "aws_s3_bucket", "Cdn/AssetsBucket");
    expect(bucket.bucket).toBe(`hello-${env}-assets-${env === "prod" ? "222222222222" : "111111111111"}`);
    const bucketKey = Object.entries<any>(stack.resource.aws_s3_bucket).find(([, b]) => b === bucket)![0];
    const arn = `\${aws_s3_bucket.${bucketKey}.arn}`;
    const s3 = deployRoleStatements(stack).filter((s) => [s.Action].flat().some((a: string) => a.startsWith("s3:")));
    expect(s3).toEqual([
      { Sid: "PublishStaticAssets", Effect: "Allow", Action: "s3:PutObject", Resource: `${arn}/static/*` },
      { Sid: "ListStaticAssets", Effect: "Allow", Action: "s3:ListBucket", Resource: arn, Condition: { StringLike: { "s3:prefix": ["static/*"] } } },
    ]);
    // No delete, no other bucket, no wildcard (but for the canary's GetMetricData, which has no resource-level permissions).
    expect(JSON.stringify(deployRoleStatements(stack).filter((s) => JSON.stringify(s.Action) !== '["cloudwatch:GetMetricData"]'))).not.toMatch(/s3:\*|s3:Delete|"Resource":"\*"/);
    // SSE-S3 (no customer key): nothing to grant on KMS for the uploads.
    const encryption = Object.values<any>(resourcesByPath(stack, "aws_s3_bucket_server_side_encryption_configuration")).find((e) => e.bucket === `\${aws_s3_bucket.${bucketKey}.id}`);
    expect(encryption.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("AES256");
  });

  test.each(ENVIRONMENTS)("%s: ASSETS_BUCKET, the environment variable the deploy job reads, is that bucket's name", (env) => {
    const stack = stacks[`hello-${env}`];
    const bucketKey = Object.entries<any>(stack.resource.aws_s3_bucket).find(([, b]) => b === resourceAt(stack, "aws_s3_bucket", "Cdn/AssetsBucket"))![0];
    const variable = Object.values<any>(stack.resource.github_actions_environment_variable).find((v) => v.variable_name === "ASSETS_BUCKET");
    expect(variable.value).toBe(`\${aws_s3_bucket.${bucketKey}.bucket}`);
  });

  test("the CDN serves the bucket at the app's static path, the prefix the deploy job publishes under", () => {
    const distribution = resourceAt(stacks["hello-prod"], "aws_cloudfront_distribution", "Cdn/Resource");
    expect(distribution.ordered_cache_behavior.map((b: any) => [b.path_pattern, b.target_origin_id])).toEqual([["/static/*", "assets"]]);
    const deliver = Object.values<any>(stacks["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/workflows/deliver.yml").content;
    expect(deliver).toContain("ASSETS_PREFIX: static/\n");
  });
});

describe("integration tests", () => {
  test.each(ENVIRONMENTS)("%s: a suspended integration-test template runs the platform file's command with the environment's URL", (env) => {
    const cronJob = resourceAt(stacks[`hello-${env}`], "kubernetes_cron_job_v1", "Workload/IntegrationTestTemplate");
    expect(cronJob.metadata.name).toBe("hello-integration-test");
    expect(cronJob.spec.suspend).toBe(true);
    const container = cronJob.spec.job_template.spec.template.spec.container[0];
    expect(container.command).toEqual(["/bin/sh", "-c", "python -m pytest -q tests/integration"]);
    expect(container.env).toEqual([{ name: "APP_URL", value: `https://${env === "prod" ? "hello.acme.example" : `hello.${env}.acme.example`}` }]);
    // The pods' security group (only the app's own pods reach the database, and nothing public) is
    // not theirs: they reach the app through its public URL with the node's.
    const policy = Object.values<any>(stacks[`hello-${env}`].resource.kubernetes_manifest).find((m) => m.manifest.kind === "SecurityGroupPolicy");
    const selector: Record<string, string> = policy.manifest.spec.podSelector.matchLabels;
    expect(selector).toEqual({ "app.kubernetes.io/name": "hello" });
    const labels = cronJob.spec.job_template.spec.template.metadata.labels;
    expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
  });

  test("the deliver workflow runs it in every environment; without the key there is neither template nor step", () => {
    const deliver = Object.values<any>(stacks["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/workflows/deliver.yml").content;
    expect(deliver.match(/INTEGRATION_TEST_TEMPLATE: hello-integration-test/g)).toHaveLength(3);
    const without = synthAll(examplePlatform((doc) => delete doc.apps[0].integrationTest));
    expect(without["hello-prod"].resource.kubernetes_cron_job_v1 && Object.values<any>(without["hello-prod"].resource.kubernetes_cron_job_v1).map((c) => c.metadata.name).sort()).toEqual(["hello-db-setup", "hello-migrate"]);
    const plain = Object.values<any>(without["hello-delivery"].resource.github_repository_file).find((f) => f.file === ".github/workflows/deliver.yml").content;
    expect(plain).not.toMatch(/integration/i);
  });
});
