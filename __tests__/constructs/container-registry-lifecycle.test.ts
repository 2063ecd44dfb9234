/**
 * The registry's lifecycle policy keeps what every environment runs and may roll back to. The
 * policy JSON is asserted rule by rule, then applied by a small evaluator of ECR's documented rule
 * semantics (Amazon ECR User Guide, "Lifecycle policy evaluation rules" and "Examples of lifecycle
 * policies", Examples A and B) to simulated repositories:
 * - rules run in `rulePriority` order; `tagPrefixList` selects an image having, for every listed
 *   prefix, some tag that starts with it; `imageCountMoreThan` sorts the selected images newest
 *   push first and marks those past the count;
 * - an image that matches the tagging requirements of a higher-priority rule cannot be expired by
 *   a lower-priority rule (which still counts it, "as if it had not been expired");
 * - ordering is by push time only: adding a tag (`put-image`) does not change it.
 */
import { TerraformStack, Testing } from "cdktf";
import { ContainerRegistry, ContainerRegistryProps, deployedTagPrefix, LifecycleRule } from "../../constructs/container-registry";
import { expectValidationError } from "../support/synthesized";

type Json = Record<string, any>;
const BASE: ContainerRegistryProps = { name: "shop/api", accountId: "222222222222", region: "eu-west-1" };
const ENVIRONMENTS = ["dev", "staging", "prod"];

function rules(overrides: Partial<ContainerRegistryProps> = {}): LifecycleRule[] {
  const stack = new TerraformStack(Testing.app(), "test");
  new ContainerRegistry(stack, "Registry", { ...BASE, ...overrides });
  const tf = JSON.parse(Testing.synth(stack));
  return JSON.parse((Object.values(tf.resource.aws_ecr_lifecycle_policy)[0] as Json).policy).rules;
}

/** A simulated image: its tags and when it was pushed (a sequence number; a tag added later does not change it). */
interface Image {
  readonly name: string;
  readonly pushedAt: number;
  readonly tags: string[];
}

function tagMatches(rule: LifecycleRule, image: Image): boolean {
  const { tagStatus, tagPrefixList } = rule.selection;
  if (tagStatus === "untagged") return image.tags.length === 0;
  return image.tags.length > 0 && (tagPrefixList ?? []).every((prefix) => image.tags.some((tag) => tag.startsWith(prefix)));
}

/** The names of the images ECR would expire under `policy` (count rules; age rules see nothing older than a day here). */
function expired(policy: readonly LifecycleRule[], images: readonly Image[]): Set<string> {
  const ordered = [...policy].sort((a, b) => a.rulePriority - b.rulePriority);
  const marked = new Set<string>();
  ordered.forEach((rule, i) => {
    if (rule.selection.countType !== "imageCountMoreThan") return;
    const selected = images.filter((image) => tagMatches(rule, image)).sort((a, b) => b.pushedAt - a.pushedAt);
    for (const image of selected.slice(rule.selection.countNumber)) {
      const protectedByEarlierRule = ordered.slice(0, i).some((earlier) => tagMatches(earlier, image));
      if (!protectedByEarlierRule) marked.add(image.name);
    }
  });
  return marked;
}

/** Builds 1..n, each pushed as `sha-<n>`, then deployed as the scenario says (tags added later keep the push time). */
function repository(n: number, deploys: Record<string, number[]>): Image[] {
  const images: Image[] = Array.from({ length: n }, (_, i) => ({ name: `build-${i + 1}`, pushedAt: i + 1, tags: [`sha-${i + 1}`] }));
  let run = 1000;
  for (const [environment, builds] of Object.entries(deploys)) {
    for (const build of builds) images[build - 1].tags.push(`${deployedTagPrefix(environment)}${run++}.1`);
  }
  return images;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const names = (builds: number[]) => builds.map((b) => `build-${b}`);

describe("ContainerRegistry lifecycle: deployed images", () => {
  test("one rule per environment, last environment first, before the untagged and build rules", () => {
    expect(rules({ deployEnvironments: ENVIRONMENTS })).toEqual([
      {
        rulePriority: 1,
        description: "Keep the last 30 images deployed to prod (tags starting deployed.prod.)",
        selection: { tagStatus: "tagged", tagPrefixList: ["deployed.prod."], countType: "imageCountMoreThan", countNumber: 30 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: "Keep the last 30 images deployed to staging (tags starting deployed.staging.)",
        selection: { tagStatus: "tagged", tagPrefixList: ["deployed.staging."], countType: "imageCountMoreThan", countNumber: 30 },
        action: { type: "expire" },
      },
      {
        rulePriority: 3,
        description: "Keep the last 30 images deployed to dev (tags starting deployed.dev.)",
        selection: { tagStatus: "tagged", tagPrefixList: ["deployed.dev."], countType: "imageCountMoreThan", countNumber: 30 },
        action: { type: "expire" },
      },
      {
        rulePriority: 4,
        description: "Expire untagged images 7 days after push",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
        action: { type: "expire" },
      },
      {
        rulePriority: 5,
        description: "Keep the last 30 release images (tags starting sha-)",
        selection: { tagStatus: "tagged", tagPrefixList: ["sha-"], countType: "imageCountMoreThan", countNumber: 30 },
        action: { type: "expire" },
      },
    ]);
  });

  test("keepDeployedImages sets every environment's count", () => {
    const policy = rules({ deployEnvironments: ["dev", "prod"], keepDeployedImages: 5 });
    expect(policy.slice(0, 2).map((r) => [r.selection.tagPrefixList, r.selection.countNumber])).toEqual([
      [["deployed.prod."], 5],
      [["deployed.dev."], 5],
    ]);
  });

  test("an environment's prefix never selects another environment's tags", () => {
    expect(`${deployedTagPrefix("prod-eu")}4242.1`.startsWith(deployedTagPrefix("prod"))).toBe(false);
    expect(`${deployedTagPrefix("prod")}4242.1`.startsWith("sha-")).toBe(false);
  });

  test("the evaluator follows ECR's documented Example A", () => {
    // Image A [beta-1, prod-1] 10 days, B [beta-2, prod-2] 9 days, C [beta-3] 8 days; rule 1 keeps 1 prod, rule 2 keeps 1 beta: only A expires.
    const rule = (priority: number, prefix: string): LifecycleRule => ({
      rulePriority: priority,
      description: "",
      selection: { tagStatus: "tagged", tagPrefixList: [prefix], countType: "imageCountMoreThan", countNumber: 1 },
      action: { type: "expire" },
    });
    const images = [
      { name: "A", pushedAt: 1, tags: ["beta-1", "prod-1"] },
      { name: "B", pushedAt: 2, tags: ["beta-2", "prod-2"] },
      { name: "C", pushedAt: 3, tags: ["beta-3"] },
    ];
    expect([...expired([rule(1, "prod"), rule(2, "beta")], images)]).toEqual(["A"]);
  });

  test("40 builds, 35 waiting for production: production's image (the oldest) and every image it may roll back to survive", () => {
    // Builds 1-5 reached production; 6-40 went through dev and staging and wait for its reviewers.
    const images = repository(40, { dev: range(1, 40), staging: range(1, 40), prod: range(1, 5) });
    const gone = expired(rules({ deployEnvironments: ENVIRONMENTS }), images);
    // Production runs build 5 and may roll back to 1-4: all kept, although the build count alone would expire them.
    for (const name of names(range(1, 5))) expect(gone.has(name)).toBe(false);
    // dev and staging keep their last 30 deploys (11-40), which includes every build waiting for production.
    for (const name of names(range(11, 40))) expect(gone.has(name)).toBe(false);
    expect([...gone].sort()).toEqual(names(range(6, 10)).sort());
  });

  test("the same repository under the old policy (the build count alone) expires what production runs", () => {
    const images = repository(40, { dev: range(1, 40), staging: range(1, 40), prod: range(1, 5) });
    expect(expired(rules(), images).has("build-5")).toBe(true);
  });

  test("with dev's rule first, dev's count would expire production's image: the reverse promotion order is what protects it", () => {
    const images = repository(40, { dev: range(1, 40), staging: range(1, 40), prod: range(1, 5) });
    const policy = rules({ deployEnvironments: ENVIRONMENTS });
    const devFirst = policy.map((r) => (r.rulePriority === 1 ? { ...r, rulePriority: 3 } : r.rulePriority === 3 ? { ...r, rulePriority: 1 } : r));
    expect(expired(devFirst, images).has("build-5")).toBe(true);
    expect(expired(policy, images).has("build-5")).toBe(false);
  });

  test("each environment keeps exactly its last keepDeployedImages deploys: it can roll back keepDeployedImages - 1 releases", () => {
    const keep = 10;
    // 60 builds, each deployed everywhere in order.
    const images = repository(60, { dev: range(1, 60), staging: range(1, 60), prod: range(1, 60) });
    const gone = expired(rules({ deployEnvironments: ENVIRONMENTS, keepDeployedImages: keep }), images);
    expect([...gone].sort()).toEqual(names(range(1, 60 - keep)).sort());
  });

  test("property: for any promotion history, no image an environment runs or deployed among its last N is expired", () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const keep = 5;
    const policy = rules({ deployEnvironments: ENVIRONMENTS, keepDeployedImages: keep });
    for (let trial = 0; trial < 200; trial++) {
      const builds = 10 + random(60);
      // Every build reaches dev; a prefix of the builds that reached dev reaches staging, and so on (promotion order).
      const dev = range(1, builds);
      const staging = dev.filter(() => random(3) > 0);
      const prod = staging.filter(() => random(3) > 0);
      const images = repository(builds, { dev, staging, prod });
      const gone = expired(policy, images);
      for (const deployed of [dev, staging, prod]) {
        for (const build of deployed.slice(-keep)) expect(gone.has(`build-${build}`)).toBe(false);
      }
    }
  });

  test("fails when an environment name is not a name, or is repeated", () => {
    const expectInvalid = (overrides: Partial<ContainerRegistryProps>, field: string, accepted: string) =>
      expectValidationError(() => rules(overrides), "test/Registry", field, accepted);
    expectInvalid({ deployEnvironments: ["dev", "Prod"] }, "deployEnvironments[1]", "environment name");
    expectInvalid({ deployEnvironments: ["dev", "a.b"] }, "deployEnvironments[1]", "environment name");
    expectInvalid({ deployEnvironments: ["dev", "dev"] }, "deployEnvironments[1]", "each environment once");
  });

  test("fails when keepDeployedImages is outside 2-1000", () => {
    for (const keepDeployedImages of [1, 1001, 2.5]) {
      expectValidationError(() => rules({ deployEnvironments: ["dev"], keepDeployedImages }), "test/Registry", "keepDeployedImages", "2 to 1000");
    }
  });
});
