/**
 * What real Terraform makes of strings as they stand in a `cdk.tf.json`: each becomes an output of
 * a throw-away JSON configuration (no provider, local state), applied, and read back with
 * `terraform output -json`. About a second for any number of strings.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "./platform";
import { TerraformTools } from "./terraform";

/**
 * The value Terraform evaluates each JSON-syntax attribute string to, in order. Each distinct
 * string is evaluated once (the same text evaluates to the same value): Terraform's template
 * evaluation of large strings full of escapes is most of the command's CPU.
 */
export function evaluateWithTerraform(tools: TerraformTools, attributes: readonly string[]): string[] {
  const distinct = [...new Set(attributes)];
  const values = evaluateDistinct(tools, distinct);
  const valueOf = new Map(distinct.map((attribute, i) => [attribute, values[i]]));
  return attributes.map((attribute) => valueOf.get(attribute)!);
}

function evaluateDistinct(tools: TerraformTools, attributes: readonly string[]): string[] {
  const dir = tempDir("slipway-tf-eval-");
  try {
    const output = Object.fromEntries(attributes.map((value, i) => [`v${i}`, { value }]));
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ output }));
    const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
    execFileSync(tools.terraform, ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir, env, stdio: "pipe" });
    const values = JSON.parse(execFileSync(tools.terraform, ["output", "-json", "-no-color"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] }).toString());
    return attributes.map((_, i) => values[`v${i}`].value);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A Terraform template string split as Terraform reads it: the literal text (escapes `$${` and
 * `%%{` undone) and the live `${...}` / `%{...}` sequences, each with its source text.
 */
export function readTemplate(text: string): { literal: string; live: string[] } {
  let literal = "";
  const live: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
      literal += `${text[i]}{`;
      i += 3;
    } else if (text.startsWith("${", i) || text.startsWith("%{", i)) {
      // To the matching brace; quoted strings inside an expression may hold braces.
      let depth = 0;
      let j = i + 1;
      let quoted = false;
      for (; j < text.length; j++) {
        const c = text[j];
        if (quoted) {
          if (c === "\\") j++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === "{") depth++;
        else if (c === "}" && --depth === 0) break;
      }
      live.push(text.slice(i, j + 1));
      literal += "\u0000";
      i = j + 1;
    } else {
      literal += text[i];
      i++;
    }
  }
  return { literal, live };
}
