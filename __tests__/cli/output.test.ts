/** The one terminal-style helper (cli/output.ts): when to colour, and how (Node's util.styleText). */
import * as util from "node:util";
import { colourEnabled, painter, visibleLength } from "../../cli/output";

const TTY = { isTTY: true, write: () => true };
const PIPE = { write: () => true };

describe("colourEnabled", () => {
  test.each<[string, { isTTY?: boolean; write(): boolean }, Record<string, string | undefined>, boolean]>([
    ["a terminal", TTY, { TERM: "xterm-256color" }, true],
    ["a pipe (no isTTY)", PIPE, { TERM: "xterm-256color" }, false],
    ["a stream that says it is not a terminal", { isTTY: false, write: () => true }, {}, false],
    ["NO_COLOR on a terminal", TTY, { NO_COLOR: "1", TERM: "xterm" }, false],
    ["an empty NO_COLOR is no setting (no-color.org)", TTY, { NO_COLOR: "", TERM: "xterm" }, true],
    ["TERM=dumb on a terminal", TTY, { TERM: "dumb" }, false],
    ["FORCE_COLOR=1 through a pipe", PIPE, { FORCE_COLOR: "1" }, true],
    ["an empty FORCE_COLOR through a pipe (Node reads it as on)", PIPE, { FORCE_COLOR: "" }, true],
    ["FORCE_COLOR=3 with NO_COLOR: FORCE_COLOR decides, as in Node", PIPE, { FORCE_COLOR: "3", NO_COLOR: "1" }, true],
    ["FORCE_COLOR=0 on a terminal", TTY, { FORCE_COLOR: "0", TERM: "xterm" }, false],
    ["FORCE_COLOR=false on a terminal", TTY, { FORCE_COLOR: "false", TERM: "xterm" }, false],
  ])("%s", (_what, stream, env, expected) => {
    expect(colourEnabled(stream, env)).toBe(expected);
  });
});

describe("painter", () => {
  test("disabled, it returns the text unchanged", () => {
    const paint = painter(false);
    expect(paint.enabled).toBe(false);
    expect(paint(["bold", "red"], "x")).toBe("x");
  });

  test("enabled, it styles with Node's util.styleText (present on this Node), outermost style first", () => {
    expect(typeof (util as { styleText?: unknown }).styleText).toBe("function");
    const paint = painter(true);
    expect(paint("red", "x")).toBe("\u001b[31mx\u001b[39m");
    expect(paint(["bold", "green"], "ok")).toBe("\u001b[1m\u001b[32mok\u001b[39m\u001b[22m");
    expect(paint("bold", "")).toBe("");
    expect(visibleLength(paint(["dim", "cyan"], "abc"))).toBe(3);
  });

  test("styleText's own stream check is turned off: the decision was made by colourEnabled", () => {
    const calls: unknown[][] = [];
    const paint = painter(true, (format, text, options) => {
      calls.push([format, text, options]);
      return `<${text}>`;
    });
    expect(paint("yellow", "warn")).toBe("<warn>");
    expect(calls).toEqual([[["yellow"], "warn", { validateStream: false }]]);
  });

  test("without util.styleText (Node 20 before 20.12) the same ANSI codes come from the fallback", () => {
    const fallback = painter(true, undefined);
    const node = painter(true);
    for (const styles of [["red"], ["bold", "green"], ["dim"], ["yellow", "bold"], ["cyan"]] as const) {
      expect(fallback(styles, "text")).toBe(node(styles, "text"));
    }
  });
});
