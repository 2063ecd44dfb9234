/**
 * The suite's order of test files (scripts/jest-sequencer.js): jest's own order, with the files
 * that take the run's slot for memory-heavy commands spread among the others.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sequencer = require(path.join(ROOT, "scripts", "jest-sequencer.js")) as {
  spread: (slotted: unknown[], others: unknown[]) => unknown[];
  takesASlot: (file: string) => boolean;
};

describe("spread", () => {
  test("keeps each kind's order, starts with a slot-taking file and places the rest at even intervals", () => {
    expect(sequencer.spread(["A", "B", "C"], [1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual(["A", 1, 2, 3, "B", 4, 5, 6, "C", 7, 8, 9]);
    expect(sequencer.spread(["A", "B"], [1, 2, 3, 4, 5])).toEqual(["A", 1, 2, "B", 3, 4, 5]);
  });

  test("more slot-taking files than others: they follow one another once the others run out", () => {
    expect(sequencer.spread(["A", "B", "C", "D"], [1, 2])).toEqual(["A", "B", 1, "C", "D", 2]);
  });

  test("no file is lost or repeated, whatever the counts", () => {
    for (const [s, n] of [
      [0, 5],
      [5, 0],
      [1, 1],
      [17, 93],
      [93, 17],
    ]) {
      const slotted = Array.from({ length: s }, (_, i) => `s${i}`);
      const others = Array.from({ length: n }, (_, i) => `n${i}`);
      const order = sequencer.spread(slotted, others);
      expect(order).toHaveLength(s + n);
      expect(new Set(order)).toEqual(new Set([...slotted, ...others]));
      expect(order.filter((f) => String(f).startsWith("s"))).toEqual(slotted);
      expect(order.filter((f) => String(f).startsWith("n"))).toEqual(others);
    }
  });
});

describe("which files take a slot", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-sequencer-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, source: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, source);
    return f;
  };

  // Written as `name` + "(", so that this file's own source holds no call the sequencer would count.
  const call = (name: string, args: string) => `${name}(${args})`;

  test("a call of the Terraform harness or of withSlot makes a file slot-taking; naming them in a comment or an import does not", () => {
    expect(sequencer.takesASlot(file("plan.ts", `const checks = await ${call("checkStacks", "stacks, tools!")};`))).toBe(true);
    expect(sequencer.takesASlot(file("state.ts", `const terraform = new ${call("OfflineTerraform", "tools!")};`))).toBe(true);
    expect(sequencer.takesASlot(file("docs.ts", `await ${call("withSlot", '"typedoc", () => run()')};`))).toBe(true);
    expect(sequencer.takesASlot(file("import.ts", 'import { checkStacks } from "../support/terraform";\n// checkStacks plans'))).toBe(false);
    expect(sequencer.takesASlot(file("plain.ts", "expect(1).toBe(1);"))).toBe(false);
    expect(sequencer.takesASlot(path.join(dir, "missing.ts"))).toBe(false);
  });

  test("in this suite: the real-Terraform and TypeScript-build files, not the ones that run Terraform without a provider", () => {
    const take = (f: string) => sequencer.takesASlot(path.join(ROOT, "__tests__", f));
    for (const f of ["e2e/example-platform.test.ts", "constructs/canary-listener-plan.test.ts", "e2e/node-replacement.test.ts", "library/api-docs.test.ts", "library/pack.test.ts"]) {
      expect([f, take(f)]).toEqual([f, true]);
    }
    // evaluateWithTerraform and the remote-state deferral plan start no provider.
    for (const f of ["e2e/data-stays-data.test.ts", "ci/infra-workflows-first-apply.test.ts", "skeleton/python.test.ts", "cli/jest-sequencer.test.ts"]) {
      expect([f, take(f)]).toEqual([f, false]);
    }
  });
});

test("jest runs with it", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(ROOT, "jest.config.js"));
  expect(config.testSequencer).toBe("<rootDir>/scripts/jest-sequencer.js");
});
