#!/usr/bin/env node
// `slipway <command> [args...]`: the package's command. A thin dispatcher: each command is a module
// in cli/ run by scripts/run.js (esbuild bundle, reused while unchanged), so `slipway synth` costs
// what `npm run synth` costs; the `npm run` scripts are aliases of these commands.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");

/** Command -> its module (relative to the package) and one line for `--help`. */
const COMMANDS = {
  synth: { module: "cli/synth.ts", summary: "validate the platform file and synthesize every stack into cdktf.out" },
  check: { module: "cli/check.ts", summary: "run the policy rules over a synthesized folder (slipway check [cdktf.out]), yours or Slipway's" },
  diagram: { module: "cli/diagram.ts", summary: "draw each environment's diagram from the synthesized stacks into docs/diagrams" },
  "new-app": { module: "cli/new-app.ts", summary: "add an app to the platform file" },
  workflows: { module: "cli/infra-workflows.ts", summary: "generate the infrastructure repository's plan, apply and drift workflows" },
  secret: { module: "cli/secret.ts", summary: "set an app's secret value in Secrets Manager" },
  schema: { module: "cli/schema.ts", summary: "write the platform file's JSON Schema" },
  affected: { module: "cli/affected.ts", summary: "which stacks a change needs planned, and why (--base DIR --head DIR)" },
  cost: { module: "cli/cost.ts", summary: "estimate the platform's monthly cost" },
};

function help() {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: slipway <command> [options]   (slipway <command> --help for its options)",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

/** Runs `entry` (relative to the package) with `args` through scripts/run.js, in this process. */
function run(entry, args) {
  process.argv = [process.argv[0], path.join(__dirname, "run.js"), path.join(ROOT, entry), ...args];
  require("./run.js");
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  console.log(help());
  process.exitCode = command === undefined ? 2 : 0;
} else if (Object.prototype.hasOwnProperty.call(COMMANDS, command)) {
  const { module } = COMMANDS[command];
  // The installed library package has no cli/: it brings the commands that work on any cdktf
  // output, bundled at build time (scripts/build-commands.js).
  const packaged = path.join(ROOT, "dist", "commands", `${command}.js`);
  if (fs.existsSync(path.join(ROOT, module))) {
    run(module, args);
  } else if (fs.existsSync(packaged)) {
    Promise.resolve(require(packaged).main(args)).then(
      (code) => (process.exitCode = code ?? 0),
      (error) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  } else {
    const why = fs.existsSync(path.join(ROOT, "cli"))
      ? "this version of Slipway does not have that command yet"
      : "the library package brings only `slipway check` and `slipway affected` (they work on any cdktf output): run the others from a checkout of Slipway";
    console.error(`slipway ${command}: ${module} is not in ${ROOT}: ${why}`);
    process.exitCode = 2;
  }
} else {
  // The suggestion comes from the platform file's own edit-distance helper (cli/unknown-command.ts);
  // the library package, without cli/, lists the commands.
  if (fs.existsSync(path.join(ROOT, "cli"))) run("cli/unknown-command.ts", [command, ...Object.keys(COMMANDS)]);
  else {
    console.error(`slipway: no command "${command}"\n\n${help()}`);
    process.exitCode = 2;
  }
}
