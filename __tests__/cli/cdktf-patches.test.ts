/**
 * Where Slipway reaches into cdktf beyond its documented API, a test here fails loudly when a
 * cdktf upgrade changes what is reached into — before a synth silently loses the change:
 * - cli/token-stacks.ts replaces the export of the private module `cdktf/lib/tokens/private/stack-trace`
 *   (its effect is tested in synth-output.test.ts, "cdktf 0.21 still creates tokens through the hook");
 * - cli/synth.ts `reportPerStack` wraps each stack's `prepareStack` and `synthesizer.synthesize`
 *   for the progress line, relying on `App.synth` calling them through the instance.
 */
import { App, TerraformStack } from "cdktf";
import * as cdktfPackage from "cdktf/package.json";

test("the cdktf these patches were written against (the peer range, ~0.21.0)", () => {
  expect(cdktfPackage.version).toMatch(/^0\.21\./);
});

test("the token creation hook is a function on the private stack-trace module", () => {
  const hook: Record<string, unknown> = require("cdktf/lib/tokens/private/stack-trace");
  expect(typeof hook.captureStackTrace).toBe("function");
  // Writable, so cli/token-stacks.ts can swap it (a getter-only export would silently keep the traces).
  const descriptor = Object.getOwnPropertyDescriptor(hook, "captureStackTrace");
  expect(descriptor?.writable ?? typeof descriptor?.set === "function").toBe(true);
});

test("App.synth prepares, then writes, every stack through the stack's own prepareStack and synthesizer", () => {
  expect(typeof TerraformStack.prototype.prepareStack).toBe("function");
  expect(TerraformStack.prototype.prepareStack.length).toBe(0);
  const stack = new TerraformStack(new App({ outdir: "/nonexistent" }), "s");
  expect(typeof stack.synthesizer.synthesize).toBe("function");
  expect(stack.synthesizer.synthesize.length).toBe(1);
  // The calls reportPerStack's wrappers stand in for, as cdktf 0.21's App.synth makes them.
  const synth = App.prototype.synth.toString();
  expect(synth).toContain("stacks.forEach((stack) => stack.prepareStack());");
  expect(synth).toContain("stacks.forEach((stack) => stack.synthesizer.synthesize(session));");
});
