/** Types of __tests__/support/preview-fakes.js (plain Node: it also runs as its own process). */

/** One call of a fake against the world in `stateDir`: what it printed and its exit code. */
export function call(command: string, stateDir: string, args: string[], stdin: string, cwd: string): { stdout: string; stderr: string; code: number };

/** The bash body of the stand-in for `command` (`kubectl`, `aws`, `docker`, `gh`, `curl`), served on `port` with the world in `stateDir`. */
export function standIn(port: number, command: string, stateDir: string): string;

/** Starts the server the stand-ins call: its port, and `stop()` to end it. */
export function startServer(): Promise<{ port: number; stop: () => void }>;
