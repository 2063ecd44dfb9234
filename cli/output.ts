/**
 * Output conventions shared by Slipway's commands, and the one terminal-style helper:
 * - colour only on a terminal, never with `NO_COLOR` (https://no-color.org) or `TERM=dumb`;
 *   `FORCE_COLOR` decides when set (`0`/`false` off, anything else on), as it does for Node itself;
 * - quiet by default in CI (`CI` set to anything but empty, `0` or `false`): just the essential lines;
 * - progress on stderr, only on a terminal and never in CI, overwritten in place and cleared at the end;
 * - machine-readable JSON on stdout with `--json` (each command defines its shape).
 * Styles come from Node's `util.styleText` (Node 20.12+); on an older Node 20, from the same
 * handful of ANSI codes. Whether to style is decided here, once, by {@link colourEnabled}.
 */
import * as util from "node:util";

export type Env = Readonly<Record<string, string | undefined>>;

/** The stream facts the conventions depend on (a `tty.WriteStream` has them; a pipe has no `isTTY`). */
export interface OutputStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** True when `CI` says so: any value but empty, `0` or `false`. */
export function isCI(env: Env = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

/**
 * Whether to style what goes to `stream`: `FORCE_COLOR` decides when set (`0` or `false`: never;
 * anything else, empty included: always, even through a pipe, as Node and most tools read it);
 * otherwise on a terminal only, and never with `NO_COLOR` (any non-empty value) or `TERM=dumb`.
 */
export function colourEnabled(stream: OutputStream, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false"].includes(force.trim().toLowerCase());
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}

/** ANSI codes for the styles, for a Node 20 older than 20.12 (no `util.styleText`). */
const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

export type Style = keyof typeof CODES;

/** Styles text with ANSI codes when enabled, else returns it unchanged. */
export interface Painter {
  readonly enabled: boolean;
  (style: Style | readonly Style[], text: string): string;
}

/** `util.styleText` where Node has it; its stream check is off (Node 22.13+), as {@link colourEnabled} already decided. */
type StyleText = (format: Style | Style[], text: string, options?: { validateStream?: boolean }) => string;

/** Styles with `styleText` (default: Node's, when it exists) if `enabled`; plain text otherwise. */
export function painter(enabled: boolean, styleText: StyleText | undefined = (util as { styleText?: StyleText }).styleText): Painter {
  const paint = (style: Style | readonly Style[], text: string): string => {
    if (!enabled || text === "") return text;
    const styles: Style[] = typeof style === "string" ? [style] : [...style];
    if (styleText) return styleText(styles, text, { validateStream: false });
    return styles.reduceRight((t, s) => `\u001b[${CODES[s][0]}m${t}\u001b[${CODES[s][1]}m`, text);
  };
  return Object.assign(paint, { enabled });
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** The printed width of `text`: its length without ANSI codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

/** Pads to a printed width, ignoring ANSI codes. */
export function padVisible(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleLength(text)));
}

/**
 * Lays out rows as columns two spaces apart; the last column is not padded. Cells may hold ANSI
 * codes. Returns one line per row.
 */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const count = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: count }, (_, i) => Math.max(0, ...rows.map((r) => visibleLength(r[i] ?? ""))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : padVisible(cell, widths[i]))).join("  ").trimEnd());
}

/**
 * Joins `items` with `separator` into lines no wider than `width`; the first starts with `indent`,
 * the others with `continuation`. An item wider than the line gets a line of its own.
 */
export function wrap(items: readonly string[], width: number, indent: string, continuation: string = indent, separator = ", "): string[] {
  const lines: string[] = [];
  let line = "";
  items.forEach((item, i) => {
    const piece = item + (i < items.length - 1 ? separator.trimEnd() : "");
    const candidate = line === "" ? indent + piece : `${line} ${piece}`;
    if (line !== "" && visibleLength(candidate) > width) {
      lines.push(line);
      line = continuation + piece;
    } else {
      line = candidate;
    }
  });
  if (line !== "") lines.push(line);
  return lines;
}

/** A one-line status on a terminal, rewritten in place; a no-op elsewhere. */
export interface Progress {
  readonly enabled: boolean;
  update(text: string): void;
  /** Erases the line, so what follows starts clean. */
  done(): void;
}

/** Progress on `stream` when it is a terminal and not in CI. */
export function progress(stream: OutputStream, env: Env = process.env): Progress {
  const enabled = stream.isTTY === true && !isCI(env);
  let shown = false;
  return {
    enabled,
    update(text: string) {
      if (!enabled) return;
      const width = Math.max(20, (stream.columns || 80) - 1);
      const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      stream.write(`\r\u001b[2K${line}`);
      shown = true;
    },
    done() {
      if (enabled && shown) stream.write("\r\u001b[2K");
      shown = false;
    },
  };
}

/**
 * Printing what came from outside (a platform file's values, file names, a construct's refusal):
 * the one helper every command uses, so nothing printed can be a terminal escape, a GitHub Actions
 * workflow command or a secret's value. See constructs/util.ts.
 */
export { MAX_PRINTED_LENGTH, printable, safeText, SECRET_KEY } from "../constructs/util";
