/**
 * Tests that need real tools (Terraform, PostgreSQL, Python packages) run when the tools are
 * there. Without them the tests skip after a loud banner, so a workstation without them still runs
 * the rest; with SLIPWAY_REQUIRE_TOOLS=1 (set by .ci/run) each such test fails instead, so CI can
 * never pass by silently skipping a layer of verification.
 */

/** The environment switch that turns a skip for missing tools into a failing test. */
export const REQUIRE_TOOLS_VARIABLE = "SLIPWAY_REQUIRE_TOOLS";

/** True when SLIPWAY_REQUIRE_TOOLS=1: missing tools fail the suite. */
export function toolsRequired(): boolean {
  return process.env[REQUIRE_TOOLS_VARIABLE] === "1";
}

/**
 * `test` and `describe` for the part of a file that needs tools. `missing` is why they cannot run
 * (undefined when everything is there): then a SKIPPING banner names `what` and the reason, and the
 * part is skipped, or, under SLIPWAY_REQUIRE_TOOLS=1, every test of it fails with that reason.
 */
export function gatedByTools(what: string, missing: string | undefined): { test: jest.It; describe: jest.Describe } {
  if (missing === undefined) return { test, describe };
  const reason = `${what} needs tools that are missing: ${missing}`;
  if (toolsRequired()) {
    const fail = () => {
      throw new Error(`${reason} (${REQUIRE_TOOLS_VARIABLE}=1: missing tools fail the run; install them as .ci/run does)`);
    };
    const failingTest = ((name: string) => test(name, fail)) as unknown as jest.It;
    const failingDescribe = ((name: string) => describe(name, () => test("has the tools it needs", fail))) as unknown as jest.Describe;
    return { test: failingTest, describe: failingDescribe };
  }
  // Loud on purpose: a layer of verification did not run.
  console.warn(`\n${"!".repeat(78)}\nSKIPPING ${what}: ${missing}\n(${REQUIRE_TOOLS_VARIABLE}=1 makes this a failure)\n${"!".repeat(78)}\n`);
  return { test: test.skip, describe: describe.skip };
}
