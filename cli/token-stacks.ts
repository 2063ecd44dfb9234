/**
 * cdktf records a complete stack trace (unlimited depth, formatted into strings) for every token it
 * creates — every attribute reference, every nested block's output reference — only to quote it
 * if that token later fails to resolve. Profiling `npm run synth` showed this is the largest single
 * cost we can avoid: about 1,300 traces per app, a third of the CPU time of a 50-app synth and
 * 40% of its peak memory. The synthesized output does not depend on them.
 *
 * `withoutTokenCreationStacks(fn)` runs `fn` with that capture turned off and restores it after,
 * so nothing outside the call changes. `SLIPWAY_TOKEN_STACKS=1` keeps the traces, for debugging
 * a "cannot resolve" error down to the line that created the token.
 */
// cdktf 0.21 calls this module's export at each token's creation (`(0, m.captureStackTrace)()`),
// so replacing the export takes effect everywhere. The package has no exports map: the path
// resolves. cdktf is pinned; the test in __tests__/cli checks the hook still has this shape.
import stackTrace = require("cdktf/lib/tokens/private/stack-trace");

/** True when the environment asks to keep cdktf's token creation stacks. */
export function tokenStacksRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SLIPWAY_TOKEN_STACKS === "1" || env.SLIPWAY_TOKEN_STACKS === "true";
}

const hook = stackTrace as { captureStackTrace: (below?: unknown) => string[] };

/**
 * Turns cdktf's token creation stack traces off for the rest of the process (unless `keep`) and
 * returns what restores them. The test suite calls it once per test file.
 */
export function disableTokenCreationStacks(keep: boolean = tokenStacksRequested()): () => void {
  const original = hook.captureStackTrace;
  if (keep || typeof original !== "function") return () => undefined;
  // A fresh function each time, so nested calls can tell their replacement from an outer one.
  hook.captureStackTrace = () => [];
  return () => {
    hook.captureStackTrace = original;
  };
}

/** Runs `fn` without cdktf's token creation stack traces (unless `keep`), then restores them. */
export function withoutTokenCreationStacks<T>(fn: () => T, keep: boolean = tokenStacksRequested()): T {
  const restore = disableTokenCreationStacks(keep);
  try {
    return fn();
  } finally {
    restore();
  }
}
