/** Missing tools: a loud skip on a workstation, a failing test under SLIPWAY_REQUIRE_TOOLS=1, which .ci/run sets. */
import * as fs from "node:fs";
import * as path from "node:path";
import { withEnv } from "../support/console";
import { gatedByTools, REQUIRE_TOOLS_VARIABLE } from "../support/tools";

const ROOT = path.resolve(__dirname, "..", "..");

/** Calls `register` with the global `test` and `describe` replaced by recorders; returns what was registered. */
function recordRegistrations(register: () => void): { name: string; fn: () => unknown }[] {
  const recorded: { name: string; fn: () => unknown }[] = [];
  const globals = globalThis as unknown as Record<"test" | "describe", unknown>;
  const saved = { test: globals.test, describe: globals.describe };
  globals.test = (name: string, fn: () => unknown) => recorded.push({ name, fn });
  globals.describe = (name: string, body: () => void) => {
    const before = recorded.length;
    body();
    for (const entry of recorded.slice(before)) entry.name = `${name} > ${entry.name}`;
  };
  try {
    register();
  } finally {
    globals.test = saved.test;
    globals.describe = saved.describe;
  }
  return recorded;
}

describe("gatedByTools", () => {
  test("gives the real test and describe when nothing is missing", () => {
    expect(gatedByTools("anything", undefined)).toEqual({ test, describe });
  });

  test("without the switch, skips after a SKIPPING banner naming what and why", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const gated = withEnv({ [REQUIRE_TOOLS_VARIABLE]: undefined }, () => gatedByTools("the widget check", "no widget on PATH"));
      expect(gated).toEqual({ test: test.skip, describe: describe.skip });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/SKIPPING the widget check: no widget on PATH/);
    } finally {
      warn.mockRestore();
    }
  });

  test("with SLIPWAY_REQUIRE_TOOLS=1, every gated test and describe registers a test that fails naming what is missing", () => {
    const gated = withEnv({ [REQUIRE_TOOLS_VARIABLE]: "1" }, () => gatedByTools("the widget check", "no widget on PATH"));
    expect(gated.test).not.toBe(test.skip);
    const registered = recordRegistrations(() => {
      gated.test("a test", () => undefined);
      gated.describe("a group", () => {
        throw new Error("the body of a group whose tools are missing must not run");
      });
    });
    expect(registered.map((r) => r.name)).toEqual(["a test", "a group > has the tools it needs"]);
    for (const { fn } of registered) {
      expect(fn).toThrow(/the widget check needs tools that are missing: no widget on PATH \(SLIPWAY_REQUIRE_TOOLS=1/);
    }
  });

  test(".ci/run sets the switch before it runs the tests", () => {
    const script = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    const exported = script.search(/^export SLIPWAY_REQUIRE_TOOLS=1$/m);
    expect(exported).toBeGreaterThan(-1);
    expect(script.indexOf("npm test")).toBeGreaterThan(exported);
  });
});
