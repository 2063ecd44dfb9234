/**
 * The example platform's registry keeps what each environment runs: its lifecycle policy has one
 * rule per environment (production first), each deploy role may only read a manifest and put a
 * tag on the app's repository, and deploy roles of other accounts are let in by the repository
 * policy under exactly the names the environments' stacks give them.
 */
import * as fs from "node:fs";
import { App } from "cdktf";
import { buildPlatform } from "../../stacks";
import { examplePlatform, resourceAt, synthAll, tempDir } from "../support/platform";

const stacks = synthAll(examplePlatform());
const ENVIRONMENTS = ["dev", "staging", "prod"];

function statements(policy: string): any[] {
  return JSON.parse(policy).Statement;
}

describe("deployed images in the example platform", () => {
  test("the registry keeps each environment's last 30 deploys, production's rule first, the build count last", () => {
    const lifecycle = resourceAt(stacks["hello-delivery"], "aws_ecr_lifecycle_policy", "Registry/LifecyclePolicy");
    const rules = JSON.parse(lifecycle.policy).rules;
    expect(rules.map((r: any) => [r.rulePriority, r.selection.tagStatus, r.selection.tagPrefixList, r.selection.countNumber])).toEqual([
      [1, "tagged", ["deployed.prod."], 30],
      [2, "tagged", ["deployed.staging."], 30],
      [3, "tagged", ["deployed.dev."], 30],
      [4, "untagged", undefined, 7],
      [5, "tagged", ["sha-"], 30],
    ]);
  });

  test("the synth summary says how many releases each environment can roll back to", () => {
    const outdir = tempDir();
    const built = buildPlatform(new App({ outdir }), examplePlatform());
    fs.rmSync(outdir, { recursive: true, force: true });
    const delivery = built.stacks.find((s) => s.stackName === "hello-delivery") as unknown as { description: string };
    expect(delivery.description).toContain("ECR registry (222222222222; keeps each environment's last 30 deployed images: 29 releases to roll back to)");
  });

  test("dev and staging (another account) may tag through the repository policy, under their deploy roles' own names", () => {
    const policy = resourceAt(stacks["hello-delivery"], "aws_ecr_repository_policy", "Registry/RepositoryPolicy");
    const deployTag = statements(policy.policy).find((s) => s.Sid === "CrossAccountDeployTag");
    const names = ["dev", "staging"].map((env) => resourceAt(stacks[`hello-${env}`], "aws_iam_role", "DeployRole/Resource").name);
    expect(names).toEqual(["hello-dev-deploy", "hello-staging-deploy"]);
    expect(deployTag).toEqual({
      Sid: "CrossAccountDeployTag",
      Effect: "Allow",
      Principal: { AWS: ["arn:aws:iam::111111111111:root"] },
      Action: ["ecr:BatchGetImage", "ecr:PutImage"],
      Condition: { ArnEquals: { "aws:PrincipalArn": names.map((name) => `arn:aws:iam::111111111111:role/${name}`) } },
    });
  });

  test.each(ENVIRONMENTS)("the deploy role of %s may read a manifest and put a tag on the app's repository, nothing else in ECR", (env) => {
    const stack = stacks[`hello-${env}`];
    const policies = Object.values(stack.resource.aws_iam_role_policy as Record<string, any>).filter((p) => String(p.policy).includes("ecr:") && String(p.role).startsWith("${aws_iam_role.DeployRole_"));
    expect(policies).toHaveLength(1);
    expect(policies[0].name).toBe("ecr-deploy-tag-hello");
    const [statement, ...rest] = statements(policies[0].policy.replace(/^\$\{jsonencode\(/, "").replace(/\)\}$/, "")) ?? [];
    expect(rest).toEqual([]);
    expect(statement.Action).toEqual(["ecr:BatchGetImage", "ecr:PutImage"]);
    // The registry of hello-delivery, through its remote state: one repository.
    expect(statement.Resource).toMatch(/^\$\{data\.terraform_remote_state\.[^.]*hello-delivery[^.]*\.outputs\.[^}]+\}$/);
  });
});
