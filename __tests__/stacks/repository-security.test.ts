/** The app repository's security settings follow the platform file's `github.secretScanning`. */
import { evaluate } from "../../policy";
import { examplePlatform, resourceAt, synthAll } from "../support/platform";

function repository(stacks: Record<string, any>): any {
  return resourceAt(stacks["hello-delivery"], "github_repository", "Repository/Resource");
}

describe("app repository security", () => {
  test("by default: secret scanning with push protection (GitHub Secret Protection) and Dependabot security updates", () => {
    const stacks = synthAll(examplePlatform());
    expect(repository(stacks).security_and_analysis).toEqual({
      secret_scanning: { status: "enabled" },
      secret_scanning_push_protection: { status: "enabled" },
    });
    expect(resourceAt(stacks["hello-delivery"], "github_repository_dependabot_security_updates", "Repository/DependabotSecurityUpdates").enabled).toBe(true);
  });

  test("github.secretScanning: advanced-security also enables GitHub Advanced Security; off sends nothing and is reported", () => {
    const ghas = synthAll(examplePlatform((doc) => (doc.github.secretScanning = "advanced-security")));
    expect(repository(ghas).security_and_analysis.advanced_security).toEqual({ status: "enabled" });

    const off = synthAll(examplePlatform((doc) => (doc.github.secretScanning = "off")));
    expect(repository(off).security_and_analysis).toBeUndefined();
    const findings = evaluate([{ name: "hello-delivery", production: false, json: off["hello-delivery"] }]).findings.filter((f) => f.rule.id === "SLW-GH-005");
    expect(findings.map((f) => f.message)).toEqual([
      "security_and_analysis.secret_scanning is (not set): committed credentials are not detected",
      "security_and_analysis.secret_scanning_push_protection is (not set): pushes holding a credential are accepted",
    ]);
  });
});
