/**
 * The previews' SQL against a real PostgreSQL: the db-setup SQL makes `hello_previews` and the
 * security-definer functions; the preview database Job's own script creates and drops each
 * preview's database and role. The server is set up as RDS sets one up: a master user that is not
 * a superuser but may create roles and databases, owns the app's and the maintenance database, and
 * may signal backends (rds_superuser's pg_signal_backend). IAM authentication is stood in for by
 * trust for `rds_iam` members (the Python skeleton's test proves the token path).
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { databaseRolesSql, PREVIEW_DATABASE_SCRIPT, previewDatabaseName, previewRoleNames } from "../../constructs/database-roles";
import { findPostgres, freePort, PostgresTools } from "../support/postgres";
import { gatedByTools } from "../support/tools";

const DB = "hello";
const MASTER = "app_admin";
const MASTER_PASSWORD = "master-password-for-the-test";

const found = findPostgres();
const { describe: describeWithTools } = gatedByTools("the previews' SQL against a real PostgreSQL", "missing" in found ? found.missing : undefined);

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; user?: { uid: number; gid: number } } = {}): Promise<Result> {
  const [file, argv] = options.user ? ["setpriv", [`--reuid=${options.user.uid}`, `--regid=${options.user.gid}`, "--clear-groups", "--", command, ...args]] : [command, args];
  return new Promise((resolve) => {
    const child = execFile(file, argv, { env: options.env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code as number) : null) : 0;
      resolve({ code, out: String(stdout), err: String(stderr) });
    });
    // A child that exits before reading its input (the job refusing a bad number) closes the pipe.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input ?? "");
  });
}


describeWithTools("the previews' SQL against a real PostgreSQL", () => {
  const tools = found as PostgresTools;
  const pg = (tool: string) => path.join(tools.pgBin, tool);
  let base: string;
  let pgData: string;
  let port: number;
  let running = false;
  const secrets = new Map<number, Record<string, string>>();

  /** psql over TCP (password auth) as `user`, `sql` on stdin; the result with ON_ERROR_STOP. */
  const psql = (user: string, password: string | undefined, database: string, sql: string) =>
    run(pg("psql"), ["--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "--set", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database], {
      env: { PATH: "/usr/bin:/bin", ...(password ? { PGPASSWORD: password } : {}), PGCONNECT_TIMEOUT: "5" },
      input: sql,
    });
  const superuser = async (database: string, sql: string) => {
    const r = await run(pg("psql"), ["--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "--set", "ON_ERROR_STOP=1", "-h", path.join(base, "socket"), "-p", String(port), "-U", "postgres", "-d", database], { env: { PATH: "/usr/bin:/bin" }, input: sql });
    if (r.code !== 0) throw new Error(`${sql}: ${r.err}`);
    return r.out.trim();
  };
  /** The preview database Job's script for `pr` and `action`, as the Job runs it (sh, psql, libpq's variables). */
  const job = (pr: string, action: string) =>
    run("/bin/sh", ["-c", PREVIEW_DATABASE_SCRIPT], {
      env: {
        PATH: `${tools.pgBin}:/usr/bin:/bin`,
        PR: pr,
        ACTION: action,
        DATABASE_PREFIX: DB,
        MANAGER_ROLE: previewRoleNames(DB).manager,
        APP_DATABASE: DB,
        // The IAM token in the cluster; this server trusts rds_iam members on 127.0.0.1 instead.
        TOKEN_FILE: path.join(base, "token"),
        PGHOST: "127.0.0.1",
        PGPORT: String(port),
        PGCONNECT_TIMEOUT: "5",
        PGSSLROOTCERT: path.join(base, "rds-ca.pem"),
        PREVIEW_CA_FILE: "/etc/ssl/rds/rds-ca.pem",
        PREVIEW_NAMESPACE: `hello-pr-${pr}`,
        SECRET_FILE: path.join(base, `secret-${pr}.yaml`),
      },
    });
  const decode = (file: string): Record<string, string> => {
    const manifest = parse(fs.readFileSync(file, "utf8"));
    return Object.fromEntries(Object.entries(manifest.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  };

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-previews-"));
    fs.chmodSync(base, 0o755);
    pgData = path.join(base, "pgdata");
    const socket = path.join(base, "socket");
    for (const dir of [pgData, socket]) {
      fs.mkdirSync(dir, { mode: 0o700 });
      if (tools.pgUser) fs.chownSync(dir, tools.pgUser.uid, tools.pgUser.gid);
    }
    fs.writeFileSync(path.join(base, "token"), "stands-for-an-iam-token\n");
    fs.writeFileSync(path.join(base, "rds-ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const init = await run(pg("initdb"), ["-D", pgData, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], { user: tools.pgUser });
    if (init.code !== 0) throw new Error(`initdb failed: ${init.out}${init.err}`);
    // The superuser on the socket only; IAM users (rds_iam members) as if their token were good;
    // everyone else with a password.
    fs.writeFileSync(path.join(pgData, "pg_hba.conf"), ["local all postgres trust", "local all all reject", "host all +rds_iam 127.0.0.1/32 trust", "host all all 127.0.0.1/32 scram-sha-256", ""].join("\n"));
    port = await freePort();
    const start = await run(pg("pg_ctl"), ["-D", pgData, "-l", path.join(pgData, "server.log"), "-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${socket} -c fsync=off`, "-w", "-t", "30", "start"], { user: tools.pgUser });
    if (start.code !== 0) throw new Error(`pg_ctl start failed: ${start.out}${start.err}`);
    running = true;
    // What RDS makes: rds_iam, a master user (not a superuser) owning the maintenance database.
    await superuser("postgres", "CREATE ROLE rds_iam NOLOGIN");
    await superuser("postgres", `CREATE ROLE ${MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '${MASTER_PASSWORD}'`);
    await superuser("postgres", `GRANT rds_iam TO ${MASTER} WITH ADMIN OPTION; GRANT pg_signal_backend TO ${MASTER}`);
    await superuser("postgres", `ALTER DATABASE postgres OWNER TO ${MASTER}`);
    await superuser("postgres", `CREATE DATABASE ${DB} OWNER ${MASTER}`);
    // The db-setup Job: Slipway's SQL as the master user, twice (it runs before every migration).
    for (let i = 0; i < 2; i++) {
      const setup = await psql(MASTER, MASTER_PASSWORD, DB, databaseRolesSql(DB, undefined, { previews: true }));
      if (setup.code !== 0) throw new Error(`setup SQL failed: ${setup.err}`);
    }
    // The app's data, which no preview may read.
    await superuser(DB, `SET ROLE ${DB}_owner; CREATE TABLE ${DB}.items (name text); INSERT INTO ${DB}.items VALUES ('production data')`);
  }, 120_000);

  afterAll(async () => {
    if (running) await run(pg("pg_ctl"), ["-D", pgData, "-m", "immediate", "-w", "-t", "30", "stop"], { user: tools.pgUser });
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 60_000);

  test("setup creates hello_previews: logs in by IAM only (no password), creates nothing, executes the three functions only", async () => {
    expect(await superuser("postgres", `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolpassword IS NULL, pg_has_role(rolname, 'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname = 'hello_previews'`)).toBe("t|f|f|f|t|t");
    const executable = await superuser(DB, `SELECT p.proname, p.prosecdef FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'slipway_previews' AND has_function_privilege('hello_previews', p.oid, 'EXECUTE') ORDER BY 1`);
    expect(executable.split("\n")).toEqual(["slipway_preview_create|t", "slipway_preview_drop|t", "slipway_preview_seal|t"]);
    // PUBLIC (so any other role) may not execute them.
    expect(await superuser(DB, `SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a WHERE n.nspname = 'slipway_previews' AND a.grantee = 0`)).toBe("0");
  });

  test("create 7 and 8: each preview gets its own database, owned by its own role, sealed (no CREATEDB, no other database), and its Secret manifest", async () => {
    for (const pr of [7, 8]) {
      const result = await job(String(pr), "create");
      expect(result.err).toBe("");
      expect(result.code).toBe(0);
      const secret = decode(path.join(base, `secret-${pr}.yaml`));
      secrets.set(pr, secret);
      // The password is generated in the job and never printed.
      expect(secret.DATABASE_PASSWORD).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(result.out).not.toContain(secret.DATABASE_PASSWORD);
      expect(secret.DATABASE_NAME).toBe(previewDatabaseName(DB, pr));
      expect(secret.DATABASE_USER).toBe(`hello_pr_${pr}`);
      expect(secret.DATABASE_HOST).toBe("127.0.0.1");
      expect(secret.DATABASE_PORT).toBe(String(port));
      expect(secret.DATABASE_SSLMODE).toBe("verify-full");
      expect(secret.DATABASE_SSLROOTCERT).toBe("/etc/ssl/rds/rds-ca.pem");
      expect(secret.DATABASE_URL).toBe(`postgresql://hello_pr_${pr}:${secret.DATABASE_PASSWORD}@127.0.0.1:${port}/hello_pr_${pr}?sslmode=verify-full&sslrootcert=/etc/ssl/rds/rds-ca.pem`);
      expect(secret["rds-ca.pem"]).toBe(fs.readFileSync(path.join(base, "rds-ca.pem"), "utf8"));
      const manifest = parse(fs.readFileSync(path.join(base, `secret-${pr}.yaml`), "utf8"));
      expect(manifest.metadata).toEqual({ name: "database", namespace: `hello-pr-${pr}`, labels: { "app.kubernetes.io/managed-by": "slipway-previews" } });
      expect((fs.statSync(path.join(base, `secret-${pr}.yaml`)).mode & 0o777).toString(8)).toBe("600");
      expect(await superuser("postgres", `SELECT pg_get_userbyid(datdba), datacl::text FROM pg_database WHERE datname = 'hello_pr_${pr}'`)).toBe(`hello_pr_${pr}|{hello_pr_${pr}=CTc/hello_pr_${pr}}`);
      expect(await superuser("postgres", `SELECT rolcanlogin, rolcreatedb, rolcreaterole, rolsuper, has_database_privilege(rolname, 'postgres', 'CONNECT') FROM pg_roles WHERE rolname = 'hello_pr_${pr}'`)).toBe("t|f|f|f|f");
    }
  });

  test("a preview's role works in its own database (migrations included) and nowhere else", async () => {
    const pw7 = secrets.get(7)!.DATABASE_PASSWORD;
    const own = await psql("hello_pr_7", pw7, "hello_pr_7", "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('seeded'); SELECT body FROM notes;");
    expect(own.err).toBe("");
    expect(own.out.trim()).toBe("seeded");
    for (const database of ["hello_pr_8", DB, "postgres"]) {
      const other = await psql("hello_pr_7", pw7, database, "SELECT 1");
      expect(other.code).not.toBe(0);
      expect(other.err).toContain(`permission denied for database "${database}"`);
    }
    // Another preview's password does not open this one, nor this one's role another's database.
    const crossed = await psql("hello_pr_8", pw7, "hello_pr_8", "SELECT 1");
    expect(crossed.err).toContain('password authentication failed for user "hello_pr_8"');
    const createRole = await psql("hello_pr_7", pw7, "hello_pr_7", "CREATE ROLE sneaky LOGIN");
    expect(createRole.err).toContain("permission denied to create role");
    const createDb = await psql("hello_pr_7", pw7, "hello_pr_7", "CREATE DATABASE another");
    expect(createDb.err).toContain("permission denied to create database");
    const grantSelf = await psql("hello_pr_7", pw7, "hello_pr_7", "GRANT hello_app TO hello_pr_7");
    expect(grantSelf.code).not.toBe(0);
  });

  test("hello_previews can do nothing but execute the functions", async () => {
    const attempts: [string, string | RegExp][] = [
      [`SELECT * FROM ${DB}.items`, "permission denied for schema hello"],
      ["CREATE TABLE public.t (x int)", "permission denied for schema public"],
      ["CREATE TEMP TABLE t (x int)", 'permission denied to create temporary tables in database "hello"'],
      ["CREATE ROLE sneaky", "permission denied to create role"],
      ["CREATE DATABASE sneaky", "permission denied to create database"],
      ["ALTER ROLE hello_pr_8 PASSWORD 'x'", /permission denied|must have admin option on role "hello_pr_8"/],
      ["DROP ROLE hello_pr_8", "permission denied to drop role"],
      ["CREATE FUNCTION slipway_previews.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "permission denied for schema slipway_previews"],
      ["GRANT hello_pr_8 TO hello_previews", /permission denied|must have admin option on role "hello_pr_8"/],
    ];
    for (const [statement, message] of attempts) {
      const result = await psql("hello_previews", undefined, DB, statement);
      expect({ statement, code: result.code === 0 }).toEqual({ statement, code: false });
      expect(result.err).toMatch(message);
    }
    // Nor connect to a preview's database.
    const preview = await psql("hello_previews", undefined, "hello_pr_8", "SELECT 1");
    expect(preview.err).toContain('permission denied for database "hello_pr_8"');
  });

  test("bad pull request numbers are refused by the job and by the functions, and change nothing", async () => {
    const rolesBefore = await superuser("postgres", "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname ~ '^hello_pr_[0-9]+$'");
    for (const pr of ["0", "007", "abc", "7;DROP", "", "1234567890", "-1"]) {
      const result = await job(pr, "create");
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^PR: /);
    }
    expect((await job("9", "delete")).err).toBe("ACTION: expected create or drop\n");
    const strong = "A".repeat(40);
    for (const n of ["0", "-3", "NULL"]) {
      const result = await psql("hello_previews", undefined, DB, `SELECT slipway_previews.slipway_preview_create(${n}, '${strong}')`);
      expect(result.err).toContain("a pull request number is a whole number from 1");
    }
    const weak = await psql("hello_previews", undefined, DB, "SELECT slipway_previews.slipway_preview_create(9, 'short')");
    expect(weak.err).toContain("a preview password is at least 32 letters and digits");
    // A quote in the password cannot escape it: only letters and digits are taken.
    const quoted = await psql("hello_previews", undefined, DB, `SELECT slipway_previews.slipway_preview_create(9, '${strong}'' SUPERUSER --')`);
    expect(quoted.err).toContain("a preview password is at least 32 letters and digits");
    const unsealed = await psql("hello_previews", undefined, DB, "SELECT slipway_previews.slipway_preview_seal(9)");
    expect(unsealed.err).toContain("database hello_pr_9 does not exist or is not owned by hello_pr_9");
    expect(await superuser("postgres", "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname ~ '^hello_pr_[0-9]+$'")).toBe(rolesBefore);
  });

  test("drop 7 removes its database and role while a session is connected (ended), leaves 8 alone, and is idempotent", async () => {
    const pw7 = secrets.get(7)!.DATABASE_PASSWORD;
    // A preview pod still connected.
    const session = spawn(pg("psql"), ["--no-psqlrc", "-h", "127.0.0.1", "-p", String(port), "-U", "hello_pr_7", "-d", "hello_pr_7", "-c", "SELECT pg_sleep(120)"], {
      env: { PATH: "/usr/bin:/bin", PGPASSWORD: pw7 },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const ended = new Promise<number | null>((resolve) => session.once("exit", (code) => resolve(code)));
    for (let i = 0; i < 50; i++) {
      if ((await superuser("postgres", "SELECT count(*) FROM pg_stat_activity WHERE usename = 'hello_pr_7' AND query LIKE '%pg_sleep%'")) === "1") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await superuser("postgres", "SELECT count(*) FROM pg_stat_activity WHERE usename = 'hello_pr_7'")).toBe("1");

    const dropped = await job("7", "drop");
    expect(dropped.err).toBe("");
    expect(dropped.code).toBe(0);
    expect(await ended).not.toBe(0);
    expect(await superuser("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'hello_pr_7'")).toBe("0");
    expect(await superuser("postgres", "SELECT count(*) FROM pg_roles WHERE rolname = 'hello_pr_7'")).toBe("0");
    // Nothing of 7 is left in the maintenance database's privileges.
    expect(await superuser("postgres", "SELECT datacl::text FROM pg_database WHERE datname = 'postgres'")).not.toContain("hello_pr_7");

    const again = await job("7", "drop");
    expect(again.err).toBe("");
    expect(again.code).toBe(0);
    expect(await superuser("postgres", "SELECT count(*) FROM pg_roles WHERE rolname ~ '^hello_pr_7'")).toBe("0");

    // 8 is untouched and still works with its password.
    const eight = await psql("hello_pr_8", secrets.get(8)!.DATABASE_PASSWORD, "hello_pr_8", "SELECT current_database()");
    expect(eight.out.trim()).toBe("hello_pr_8");
  }, 60_000);

  test("create again after a drop gives a fresh, empty database", async () => {
    const created = await job("7", "create");
    expect(created.code).toBe(0);
    const secret = decode(path.join(base, "secret-7.yaml"));
    expect(secret.DATABASE_PASSWORD).not.toBe(secrets.get(7)!.DATABASE_PASSWORD);
    const tables = await psql("hello_pr_7", secret.DATABASE_PASSWORD, "hello_pr_7", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.out.trim()).toBe("0");
    expect((await job("7", "drop")).code).toBe(0);
    expect((await job("8", "drop")).code).toBe(0);
    expect(await superuser("postgres", "SELECT count(*) FROM pg_roles WHERE rolname ~ '^hello_pr_[0-9]+$'")).toBe("0");
    expect(await superuser("postgres", "SELECT count(*) FROM pg_database WHERE datname ~ '^hello_pr_[0-9]+$'")).toBe("0");
  }, 60_000);
});
