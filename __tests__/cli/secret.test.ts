/**
 * `npm run secret -- set <app> <env> <NAME>` run for real (node, the bundled CLI) against a
 * recording stand-in of `aws`: the value reaches the AWS CLI only on its stdin, never in any
 * argument (what `ps` shows) nor in the command's output.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXAMPLE_FILE, ROOT, tempDir } from "../support/platform";

const VALUE = "s3cr3t-Value with spaces $(touch pwned) 'q'";

let work: string;
beforeAll(() => {
  work = tempDir("slipway-secret-cli-");
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the CLI with `input` on stdin and an `aws` that records its argv and stdin, then exits `awsExit`. */
function run(args: string[], input: string, awsExit = 0) {
  const dir = fs.mkdtempSync(path.join(work, "run-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "aws"),
    [
      "#!/usr/bin/env bash",
      `printf '%s\\n' "$@" > ${JSON.stringify(path.join(dir, "argv"))}`,
      `cat > ${JSON.stringify(path.join(dir, "stdin"))}`,
      `if [[ ${awsExit} -ne 0 ]]; then echo "An error occurred (AccessDeniedException)" >&2; exit ${awsExit}; fi`,
      "echo EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const result = spawnSync(process.execPath, [path.join(ROOT, "scripts", "run.js"), "cli/secret.ts", ...args, "--platform", EXAMPLE_FILE], {
    cwd: ROOT,
    input,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  const read = (file: string) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), "utf8") : undefined);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, awsArgv: read("argv")?.split("\n").filter(Boolean), awsStdin: read("stdin"), cwd: dir };
}

describe("npm run secret -- set", () => {
  test("hands the value to aws put-secret-value on stdin only, for the right secret and region, and never prints it", () => {
    const r = run(["set", "hello", "dev", "SESSION_KEY"], `${VALUE}\n`);
    expect(r.status).toBe(0);
    expect(r.awsArgv).toEqual([
      "secretsmanager", "put-secret-value", "--region", "eu-west-1", "--secret-id", "acme/hello/dev/SESSION_KEY",
      "--secret-string", "file:///dev/stdin", "--query", "VersionId", "--output", "text",
    ]);
    // Exactly the value, one trailing newline dropped.
    expect(r.awsStdin).toBe(VALUE);
    expect(r.stdout).toContain("Set acme/hello/dev/SESSION_KEY (version EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE).");
    for (const text of [r.stdout, r.stderr, ...(r.awsArgv ?? [])]) expect(text).not.toContain("s3cr3t");
    // Nothing of the value ran.
    expect(fs.existsSync(path.join(ROOT, "pwned"))).toBe(false);
    expect(fs.readdirSync(r.cwd).sort()).toEqual(["argv", "bin", "stdin"]);
  });

  test("fails when the app does not declare the secret, naming those it does; aws is not called", () => {
    const r = run(["set", "hello", "dev", "API_KEY"], VALUE);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${EXAMPLE_FILE}: hello declares no secret "API_KEY" (its secrets: SESSION_KEY)`);
    expect(r.awsArgv).toBeUndefined();
  });

  test("fails when the environment or app is unknown, listing what exists", () => {
    expect(run(["set", "hello", "qa", "SESSION_KEY"], VALUE).stderr).toContain('no environment "qa" in the platform file; environments: dev, staging, prod');
    expect(run(["set", "shop", "dev", "SESSION_KEY"], VALUE).stderr).toContain('no app "shop" in the platform file; apps: hello');
  });

  test("refuses an empty value", () => {
    const r = run(["set", "hello", "dev", "SESSION_KEY"], "\n");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Refused: the value of SESSION_KEY is empty");
    expect(r.awsArgv).toBeUndefined();
  });

  test("fails when aws fails, saying nothing was set and never printing the value", () => {
    const r = run(["set", "hello", "prod", "SESSION_KEY"], VALUE, 254);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("AccessDeniedException");
    expect(r.stderr).toContain("put-secret-value failed for acme/hello/prod/SESSION_KEY (exit 254): see its message above. Nothing was set.");
    expect(r.stdout + r.stderr).not.toContain("s3cr3t");
  });

  test("usage on anything but set <app> <env> <NAME>", () => {
    const r = run(["get", "hello", "dev", "SESSION_KEY"], VALUE);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage: npm run secret -- set <app> <environment> <NAME>");
  });
});
