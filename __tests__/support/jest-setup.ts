/**
 * Every test file runs without cdktf's token creation stack traces, as `npm run synth` does
 * (cli/token-stacks.ts): they cost a third of a large synth's CPU and never change the output.
 * SLIPWAY_TOKEN_STACKS=1 keeps them, to trace a "cannot resolve" error to its line.
 */
import { disableTokenCreationStacks } from "../../cli/token-stacks";
import { cpuSeconds, currentTestFile, profiling, recordProfile } from "./profile";

disableTokenCreationStacks();

// Colour is decided per test from the environment each names (support/console.ts); a FORCE_COLOR
// inherited from the shell or jest's workers would turn it on everywhere.
delete process.env.FORCE_COLOR;

// SLIPWAY_TEST_PROFILE=<file>: this file's CPU (children included) and wall time (support/profile.ts).
if (profiling()) {
  const cpu = cpuSeconds();
  const started = performance.now();
  afterAll(() => {
    const round = (n: number) => Math.round(n * 100) / 100;
    recordProfile({ kind: "file", file: currentTestFile(), cpu: round(cpuSeconds() - cpu), wall: round((performance.now() - started) / 1000), pid: process.pid });
  });
}
