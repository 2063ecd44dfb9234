/** GitHub repositories, their default-branch rules, and deployment environments. */
import { block, dig, isFalse, isTrue, list, parseReference, show, toNumber } from "../accessors";
import { ResourceView, Rule, StackView } from "../types";

const REPOSITORY = ["github_repository"];

/** The resources of `type` whose `attribute` points at this repository (a reference or its literal name). */
function forRepository(stack: StackView, repository: ResourceView, type: string, attribute: string): ResourceView[] {
  const name = repository.config.name;
  return stack.resources(type).filter((r) => {
    const value = r.config[attribute];
    const ref = parseReference(value);
    if (ref) return `${ref.type}.${ref.name}` === repository.address;
    return typeof name === "string" && value === name;
  });
}

/** The default branch: from `github_branch_default`, the repository's own (deprecated) attribute, or GitHub's `main`. */
export function defaultBranch(repository: ResourceView, stack: StackView): string {
  const setter = forRepository(stack, repository, "github_branch_default", "repository")[0];
  const branch = setter?.config.branch ?? repository.config.default_branch;
  return typeof branch === "string" ? branch : "main";
}

interface Protection {
  sources: string[];
  approvals: number;
  dismissStale: boolean;
  blocksForcePush: boolean;
  blocksDeletion: boolean;
  bypasses: string[];
}

function rulesetCovers(ruleset: ResourceView, branch: string): boolean {
  if ((ruleset.config.target ?? "branch") !== "branch" || ruleset.config.enforcement !== "active") return false;
  const refName = block(dig(ruleset.config, "conditions", "ref_name")) ?? {};
  const matches = (patterns: unknown[]) => patterns.some((p) => p === "~ALL" || p === "~DEFAULT_BRANCH" || p === `refs/heads/${branch}` || p === branch);
  return matches(list(refName.include)) && !list(refName.exclude).some((p) => p === "~DEFAULT_BRANCH" || p === `refs/heads/${branch}`);
}

/** What the rulesets and branch protections of the default branch enforce, together. */
function protectionOf(repository: ResourceView, stack: StackView, branch: string): Protection {
  const p: Protection = { sources: [], approvals: 0, dismissStale: false, blocksForcePush: false, blocksDeletion: false, bypasses: [] };
  for (const ruleset of forRepository(stack, repository, "github_repository_ruleset", "repository").filter((r) => rulesetCovers(r, branch))) {
    p.sources.push(ruleset.address);
    const rules = block(ruleset.config.rules) ?? {};
    const pr = block(rules.pull_request);
    if (pr) {
      p.approvals = Math.max(p.approvals, toNumber(pr.required_approving_review_count) ?? 0);
      p.dismissStale ||= isTrue(pr.dismiss_stale_reviews_on_push);
    }
    p.blocksForcePush ||= isTrue(rules.non_fast_forward);
    p.blocksDeletion ||= isTrue(rules.deletion);
    // One GitHub App may bypass: the one Terraform authenticates as (github.appId), which commits the
    // managed workflow files to the protected branch. Anything else, or more, is a bypass.
    const actors = list(ruleset.config.bypass_actors);
    const oneApp = actors.length === 1 && actors[0]?.actor_type === "Integration";
    if (actors.length > 0 && !oneApp) p.bypasses.push(`ruleset ${ruleset.address} has ${actors.length} bypass actor(s) ${show(actors.map((a) => a?.actor_type ?? a?.actor_id))}: at most one GitHub App (Integration) may bypass`);
  }
  const protections = [
    ...forRepository(stack, repository, "github_branch_protection", "repository_id").filter((b) => b.config.pattern === branch),
    ...forRepository(stack, repository, "github_branch_protection_v3", "repository").filter((b) => b.config.branch === branch),
  ];
  for (const protection of protections) {
    p.sources.push(protection.address);
    const reviews = block(protection.config.required_pull_request_reviews);
    if (reviews) {
      p.approvals = Math.max(p.approvals, toNumber(reviews.required_approving_review_count) ?? 1);
      p.dismissStale ||= isTrue(reviews.dismiss_stale_reviews);
      if (list(reviews.pull_request_bypassers).length > 0) p.bypasses.push(`${protection.address} lets pull_request_bypassers skip reviews`);
    }
    p.blocksForcePush ||= !isTrue(protection.config.allows_force_pushes);
    p.blocksDeletion ||= !isTrue(protection.config.allows_deletions);
    if (!isTrue(protection.config.enforce_admins)) p.bypasses.push(`${protection.address} does not set enforce_admins: admins bypass it`);
    if (list(protection.config.force_push_bypassers).length > 0) p.bypasses.push(`${protection.address} lets force_push_bypassers force-push`);
  }
  return p;
}

export const GITHUB_RULES: Rule[] = [
  {
    id: "SLW-GH-001",
    title: "GitHub repositories are not public",
    severity: "high",
    resourceTypes: REPOSITORY,
    references: { checkov: ["CKV_GIT_1"] },
    fix: "set visibility = \"private\" (or \"internal\")",
    check(repository) {
      const visibility = repository.config.visibility;
      if (visibility === "private" || visibility === "internal") return [];
      if (visibility === undefined && isTrue(repository.config.private)) return [];
      return [visibility === undefined ? "visibility is not set: the provider creates a public repository" : `visibility is ${show(visibility)}`];
    },
  },
  {
    id: "SLW-GH-002",
    title: "GitHub repositories have vulnerability (Dependabot) alerts on",
    severity: "medium",
    resourceTypes: REPOSITORY,
    references: { checkov: ["CKV_GIT_3"] },
    fix: "set vulnerability_alerts = true",
    check(repository) {
      return isTrue(repository.config.vulnerability_alerts) ? [] : [`vulnerability_alerts is ${show(repository.config.vulnerability_alerts)}: vulnerable dependencies are not reported`];
    },
  },
  {
    id: "SLW-GH-003",
    title: "The default branch requires an approving review, dismisses stale reviews, blocks force pushes and deletion, with no bypass but Terraform's own GitHub App",
    severity: "high",
    resourceTypes: REPOSITORY,
    relatedTypes: ["github_repository_ruleset", "github_branch_protection", "github_branch_protection_v3", "github_branch_default"],
    references: { other: ["OpenSSF Scorecard Branch-Protection"] },
    fix: "add a github_repository_ruleset (target branch, enforcement active, include ~DEFAULT_BRANCH) with pull_request { required_approving_review_count >= 1, dismiss_stale_reviews_on_push = true }, non_fast_forward = true, deletion = true and no bypass_actors but at most the one GitHub App Terraform authenticates as",
    check(repository, stack) {
      const branch = defaultBranch(repository, stack);
      const p = protectionOf(repository, stack, branch);
      if (p.sources.length === 0) return [`default branch ${JSON.stringify(branch)} has no active ruleset or branch protection: anyone with write access can push to it`];
      const problems: string[] = [];
      if (p.approvals < 1) problems.push(`default branch ${JSON.stringify(branch)} merges without an approving review`);
      if (!p.dismissStale) problems.push(`default branch ${JSON.stringify(branch)} keeps approvals after new commits are pushed (stale reviews are not dismissed)`);
      if (!p.blocksForcePush) problems.push(`default branch ${JSON.stringify(branch)} allows force pushes`);
      if (!p.blocksDeletion) problems.push(`default branch ${JSON.stringify(branch)} can be deleted`);
      problems.push(...p.bypasses);
      return problems;
    },
  },
  {
    id: "SLW-GH-004",
    title: "Production (and reviewed) deployment environments require reviewers, prevent self-review and let no admin bypass",
    severity: "high",
    resourceTypes: ["github_repository_environment"],
    references: { other: ["GitHub deployment environments: required reviewers"] },
    fix: "give the environment reviewers { users / teams }, prevent_self_review = true and can_admins_bypass = false",
    check(environment, stack) {
      const name = environment.config.environment;
      const production = typeof name === "string" && stack.context.productionEnvironments.includes(name);
      const reviewers = list(environment.config.reviewers).flatMap((r) => [...list(r?.users), ...list(r?.teams)]);
      if (!production && reviewers.length === 0) return [];
      const problems: string[] = [];
      const label = `${production ? "production " : ""}environment ${JSON.stringify(name)}`;
      if (production && reviewers.length === 0) problems.push(`${label} has no required reviewers: any workflow run on an allowed branch deploys`);
      if (!isTrue(environment.config.prevent_self_review)) problems.push(`${label} does not set prevent_self_review: whoever triggers the deploy can approve it`);
      if (!isFalse(environment.config.can_admins_bypass)) problems.push(`${label} has can_admins_bypass ${show(environment.config.can_admins_bypass)} (the default is true): admins skip the review`);
      return problems;
    },
  },
  {
    id: "SLW-GH-005",
    title: "GitHub repositories have secret scanning and push protection on",
    severity: "medium",
    resourceTypes: REPOSITORY,
    references: { other: ["GitHub secret scanning and push protection", "OpenSSF Scorecard"] },
    fix: "set security_and_analysis { secret_scanning { status = \"enabled\" }, secret_scanning_push_protection { status = \"enabled\" } } (private repositories need GitHub Secret Protection or Advanced Security; suppress with the reason when the organization has neither)",
    check(repository) {
      const settings = block(repository.config.security_and_analysis) ?? {};
      return ["secret_scanning", "secret_scanning_push_protection"]
        .filter((feature) => dig(block(settings[feature]), "status") !== "enabled")
        .map((feature) =>
          feature === "secret_scanning"
            ? `security_and_analysis.secret_scanning is ${show(dig(block(settings[feature]), "status"))}: committed credentials are not detected`
            : `security_and_analysis.secret_scanning_push_protection is ${show(dig(block(settings[feature]), "status"))}: pushes holding a credential are accepted`,
        );
    },
  },
  {
    id: "SLW-GH-006",
    title: "GitHub repositories have Dependabot security updates on",
    severity: "medium",
    resourceTypes: REPOSITORY,
    relatedTypes: ["github_repository_dependabot_security_updates"],
    references: { checkov: ["CKV_GIT_3"], other: ["OpenSSF Scorecard Dependency-Update-Tool"] },
    fix: "add github_repository_dependabot_security_updates { repository = <the repository>, enabled = true } (vulnerability_alerts must be on)",
    check(repository, stack) {
      const updates = forRepository(stack, repository, "github_repository_dependabot_security_updates", "repository");
      return updates.some((u) => isTrue(u.config.enabled)) ? [] : ["no github_repository_dependabot_security_updates with enabled = true: Dependabot reports vulnerable dependencies but opens no pull request to fix them"];
    },
  },
];
