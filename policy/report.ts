/**
 * Printing the policy's verdict: one line per finding, the grouped report `npm run check` and
 * `npm run synth` print, and the error `enforce` throws. Colour comes from the caller's painter
 * (cli/output.ts), so the policy code never decides about terminals.
 */
import { EvaluationResult, Finding, SEVERITIES, Severity } from "./types";

/** Thrown by {@link enforce}: unsuppressed high findings, every one of them in the message. */
export class PolicyViolationError extends Error {
  constructor(readonly findings: Finding[]) {
    super(
      `${findings.length} unsuppressed high-severity policy finding${findings.length === 1 ? "" : "s"}:\n` +
        findings.map((f) => `  ${findingLine(f)}`).join("\n"),
    );
    this.name = "PolicyViolationError";
  }
}

/** One line: `SEVERITY RULE-ID stack path: message (fix: …)`. */
export function findingLine(f: Finding): string {
  return `${f.severity.toUpperCase()} ${f.rule.id} ${f.stack} ${f.path}: ${f.message} (fix: ${f.rule.fix})`;
}

/** The styles the report uses, by name; a caller maps them to terminal styles (cli/output.ts `painter`). */
export type ReportStyle = "bold" | "dim" | "red" | "yellow" | "cyan";

/** Styles text for the report; the default leaves it plain. */
export type ReportPainter = (style: ReportStyle | readonly ReportStyle[], text: string) => string;

const SEVERITY_STYLE: Record<Severity, ReportStyle> = { high: "red", medium: "yellow", low: "cyan" };

export interface ReportOptions {
  /**
   * Styles headings and severities, e.g. `painter(colourEnabled(process.stdout))` from cli/output.ts.
   * @default plain text
   */
  readonly paint?: ReportPainter;
}

/** The report: a summary, then unsuppressed findings by severity, suppressed ones with their reason, and unused suppressions. */
export function formatReport(result: EvaluationResult, options: ReportOptions = {}): string {
  const painter: ReportPainter = options.paint ?? ((_style, text) => text);
  const paint = (style: Severity | ReportStyle, text: string) => painter(style in SEVERITY_STYLE ? SEVERITY_STYLE[style as Severity] : (style as ReportStyle), text);
  const open = result.findings.filter((f) => !f.suppressed);
  const suppressed = result.findings.filter((f) => f.suppressed);
  const counts = SEVERITIES.map((s) => `${open.filter((f) => f.severity === s).length} ${s}`).join(", ");
  const { stats } = result;
  const lines = [
    paint("bold", `Policy: ${stats.rules} rules, ${stats.checks} checks over ${stats.resources} resources in ${stats.stacks} stacks`),
    `Findings: ${counts}; ${suppressed.length} suppressed`,
  ];
  for (const severity of SEVERITIES) {
    const group = open.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push("", paint(severity, `${severity.toUpperCase()} (${group.length})`));
    for (const f of group) lines.push(`  ${paint(severity, f.severity.toUpperCase())} ${findingLine(f).slice(f.severity.length + 1)}`);
  }
  if (suppressed.length > 0) {
    lines.push("", paint("dim", `SUPPRESSED (${suppressed.length})`));
    for (const f of suppressed) {
      lines.push(`  ${f.severity.toUpperCase()} ${f.rule.id} ${f.stack} ${f.path}: ${f.message} (suppressed: ${f.suppressed!.reason})`);
    }
  }
  if (result.unusedSuppressions.length > 0) {
    lines.push("", paint("yellow", `UNUSED SUPPRESSIONS (${result.unusedSuppressions.length}) — they match no finding; remove them`));
    for (const s of result.unusedSuppressions) lines.push(`  ${s.rule} ${s.path}: ${s.reason}`);
  }
  if (open.length === 0) lines.push("", "No unsuppressed findings.");
  return lines.join("\n");
}
