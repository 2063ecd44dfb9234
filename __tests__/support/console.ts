/**
 * Running a command's `main` in-process with what it prints captured, and with chosen environment
 * variables. The commands change how they talk when `CI` is set (quiet), when `NO_COLOR` is set or
 * stdout is a terminal, so every test that reads their output names the environment it expects:
 * the suite passes the same on a workstation and under CI, which sets `CI=true`.
 */

/** Environment variables to set for one call; `undefined` removes the variable. */
export type EnvChanges = Record<string, string | undefined>;

/** A plain run: not CI, no colour setting, no platform file from the environment. */
export const PLAIN_ENV: EnvChanges = { CI: undefined, SLIPWAY_PLATFORM_FILE: undefined };

/** Runs `fn` with `changes` applied to `process.env`, restoring every variable afterwards. */
export function withEnv<T>(changes: EnvChanges, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(changes).map((k) => [k, process.env[k]]));
  const apply = (values: EnvChanges) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(changes);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    apply(saved);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => apply(saved)) as T;
  apply(saved);
  return result;
}

export interface Captured<T> {
  code: T;
  out: string;
  err: string;
}

/** Runs `fn` (sync or async) with `console.log` and `console.error` captured, under `env` (default {@link PLAIN_ENV}). */
export function captureConsole<T>(fn: () => T, env: EnvChanges = PLAIN_ENV): T extends Promise<infer R> ? Promise<Captured<R>> : Captured<T> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = jest.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  const restore = () => {
    log.mockRestore();
    error.mockRestore();
  };
  let code: T;
  try {
    code = withEnv(env, fn);
  } catch (e) {
    restore();
    throw e;
  }
  const captured = <R>(value: R): Captured<R> => ({ code: value, out: out.join("\n"), err: err.join("\n") });
  if (code instanceof Promise) return code.then(captured).finally(restore) as never;
  restore();
  return captured(code) as never;
}
