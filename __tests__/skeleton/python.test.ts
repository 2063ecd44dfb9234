/**
 * The Python skeleton, for real: rendered into a temporary folder, its unit tests run with Debian's
 * Python, its migration run against a real PostgreSQL server started here (a temporary data
 * directory, a Unix socket in it and a free port on 127.0.0.1 only), the app served by gunicorn
 * and checked by its own integration tests, the health path answering 200 with the database up
 * and 503 once it is stopped. As root (CI), the app runs as the pod's UID 10001 and PostgreSQL as
 * `postgres`. Every wait is bounded; every process started here is stopped in afterAll.
 *
 * The database is set up as on the platform: the master user (a CREATEROLE, non-superuser role as
 * on RDS, with a password) runs Slipway's setup SQL through the `<app>-db-setup` script over TLS;
 * the migration connects as `hello_owner` and the app as `hello_app`, both with IAM tokens and no
 * password anywhere. What RDS does for IAM users is emulated by `__tests__/support/rds-iam.ts`: a
 * TLS front door that checks each token's SigV4 signature, scope, age and the signing role's
 * `rds-db:connect` grant, then hands the connection to PostgreSQL's Unix socket, where pg_hba
 * admits only `rds_iam` members. The pods' AWS credentials come from a stand-in of the EKS Pod
 * Identity agent, which botocore reads as on the platform; rotating them (the old key expires, the
 * agent serves a new one) must not stop new connections, and nothing restarts.
 *
 * Needs Debian's `postgresql`, `python3-flask`, `python3-psycopg`, `python3-pytest`, `gunicorn`
 * and `python3-botocore` (.ci/run installs them); without them it skips loudly, or fails under
 * SLIPWAY_REQUIRE_TOOLS=1. A second part runs the same skeleton with no database at all (`database: none`).
 */
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DATABASE_SETUP_SCRIPT, databaseRolesSql } from "../../constructs/database-roles";
import { loadSkeletonTemplate, renderSkeleton } from "../../constructs/skeleton";
import { FakeAccessKey, FakeIam, FakePodIdentityAgent, RdsIamProxy, signRdsToken } from "../support/rds-iam";
import { findPostgres, freePort, PostgresTools } from "../support/postgres";
import { gatedByTools } from "../support/tools";

const APP = "hello";
const HEALTH_PATH = "/healthz";
/** The pod's runAsUser/runAsGroup (KubernetesWorkload), used for the app's processes when running as root. */
const POD_UID = 10001;
const IS_ROOT = process.getuid?.() === 0;

interface Tools extends PostgresTools {
  readonly python: string;
}

function findTools(): Tools | { missing: string } {
  const python = process.env.SLIPWAY_PYTHON ?? "/usr/bin/python3";
  const packages = "apt-get install postgresql python3-flask python3-psycopg python3-pytest gunicorn python3-botocore";
  if (!fs.existsSync(python)) return { missing: `no ${python} (Debian's python3; ${packages})` };
  try {
    execFileSync(python, ["-c", "import flask, psycopg, pytest, gunicorn, botocore"], { stdio: "pipe", timeout: 30_000, env: pythonEnv({}) });
  } catch (error) {
    const detail = String((error as { stderr?: Buffer }).stderr ?? error).trim().split("\n").pop();
    return { missing: `${python} cannot import flask, psycopg, pytest, gunicorn and botocore (${detail}; ${packages})` };
  }
  const postgres = findPostgres(packages);
  return "missing" in postgres ? postgres : { python, ...postgres };
}

/** The environment of every Python process: Debian's paths only, no bytecode written. */
function pythonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", PYTHONDONTWRITEBYTECODE: "1", ...extra };
}

const found = findTools();
const { describe: describeWithTools } = gatedByTools("the Python skeleton against a real PostgreSQL", "missing" in found ? found.missing : undefined);

interface Result {
  code: number | null;
  out: string;
}

/** Runs a command to its end within `timeoutMs`, as `user` when given (we are root then). */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; user?: { uid: number; gid: number }; timeoutMs?: number } = {}): Promise<Result> {
  const [file, argv] = options.user ? ["setpriv", [`--reuid=${options.user.uid}`, `--regid=${options.user.gid}`, "--clear-groups", "--", command, ...args]] : [command, args];
  return new Promise((resolve) => {
    execFile(file, argv, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code as number) : null) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}


async function httpGet(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: await response.text() };
}

/** Every file below `dir` with a hash of its content: to prove the app wrote nothing there. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const visit = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else entries.push(`${path.relative(dir, full)} ${createHash("sha256").update(fs.readFileSync(full)).digest("hex")}`);
    }
  };
  visit(dir);
  return entries.sort();
}

describeWithTools("the Python skeleton, run for real", () => {
  const tools = found as Tools;
  const appUser = IS_ROOT ? { uid: POD_UID, gid: POD_UID } : undefined;
  /** The master user's password (break-glass: only the setup script uses it here). */
  const masterPassword = randomBytes(12).toString("hex");
  /** A developer's local role, for the skeleton's local-development path (DATABASE_URL). */
  const devPassword = randomBytes(12).toString("hex");
  const REGION = "eu-west-1";
  const OWNER = `${APP}_owner`;
  const APP_ROLE = `${APP}_app`;
  /** The service accounts' Pod Identity tokens, as the agent knows each pod. */
  const SERVER_POD = `server-${randomBytes(8).toString("hex")}`;
  const MIGRATE_POD = `migrate-${randomBytes(8).toString("hex")}`;
  const iam = new FakeIam();
  const agent = new FakePodIdentityAgent();
  let proxy: RdsIamProxy;
  let base: string;
  let appDir: string;
  let pgData: string;
  let socketDir: string;
  let pgPort: number;
  let tlsDir: string;
  let appPort: number;
  let appUrl: string;
  let gunicorn: ChildProcess | undefined;
  let serverLog = "";
  let pgRunning = false;
  let before: string[];
  let serverKey: FakeAccessKey;

  const pg = (tool: string) => path.join(tools.pgBin, tool);
  const devUrl = (database: string) => `postgresql://dev:${devPassword}@127.0.0.1:${pgPort}/${database}`;
  const appEnv = (extra: Record<string, string> = {}) => pythonEnv({ HOME: path.join(base, "home"), TMPDIR: path.join(base, "tmp"), ...extra });
  /**
   * A pod's environment on the platform (KubernetesWorkload's `database`, and what EKS Pod Identity
   * injects): where to connect, as which role, and the agent that hands out the pod's credentials.
   * No password, token or credentials file in any variable. Pod Identity sets
   * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; Debian's botocore 1.29 reads only the token itself,
   * so the stand-in gets AWS_CONTAINER_AUTHORIZATION_TOKEN (the pinned botocore reads either).
   */
  const podEnv = (pod: { token: string; user: string }, extra: Record<string, string> = {}) =>
    appEnv({
      DATABASE_HOST: "127.0.0.1",
      DATABASE_PORT: String(proxy.port),
      DATABASE_NAME: APP,
      DATABASE_USER: pod.user,
      DATABASE_AUTH: "iam",
      DATABASE_REGION: REGION,
      DATABASE_SSLMODE: "verify-full",
      DATABASE_SSLROOTCERT: path.join(tlsDir, "ca.pem"),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: pod.token,
      // Nothing of the machine's own AWS configuration.
      AWS_CONFIG_FILE: path.join(base, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(base, "no-aws-credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
      ...extra,
    });
  const serverEnv = (extra: Record<string, string> = {}) => podEnv({ token: SERVER_POD, user: APP_ROLE }, extra);
  const migrateEnv = (extra: Record<string, string> = {}) => podEnv({ token: MIGRATE_POD, user: OWNER }, extra);
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: tlsDir, stdio: "pipe", timeout: 30_000 });
  const python = (args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) => run(tools.python, args, { cwd: appDir, env, user: appUser, timeoutMs });
  const sql = async (database: string, statement: string): Promise<string> => {
    const result = await run(pg("psql"), ["-h", socketDir, "-p", String(pgPort), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", statement], {
      user: tools.pgUser,
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
      timeoutMs: 30_000,
    });
    if (result.code !== 0) throw new Error(`psql ${statement}: ${result.out}`);
    return result.out.trim();
  };
  /** Each statement on a new connection made as the app connects, with its SQLSTATE or "ok". */
  const asPod = async (env: NodeJS.ProcessEnv, statements: string[]): Promise<string[]> => {
    const probe = [
      "import json, sys, psycopg",
      "from web import db",
      "out = []",
      "for statement in json.loads(sys.argv[1]):",
      "    try:",
      "        with db.connect() as c:",
      "            c.execute(statement)",
      "            out.append('ok')",
      "    except psycopg.Error as e:",
      "        out.append(e.sqlstate or type(e).__name__)",
      "print(json.dumps(out))",
    ].join("\n");
    const result = await python(["-c", probe, JSON.stringify(statements)], env);
    if (result.code !== 0) throw new Error(result.out);
    return JSON.parse(result.out.trim().split("\n").pop()!);
  };
  const stopPostgres = async () => {
    if (!pgRunning) return;
    const result = await run(pg("pg_ctl"), ["-D", pgData, "-m", "fast", "-w", "-t", "30", "stop"], { user: tools.pgUser, timeoutMs: 40_000 });
    if (result.code !== 0) {
      // The postmaster's pid is the first line of postmaster.pid: stop it directly.
      const pid = Number(fs.readFileSync(path.join(pgData, "postmaster.pid"), "utf8").split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
    pgRunning = false;
  };

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-skeleton-"));
    fs.chmodSync(base, 0o755);
    appDir = path.join(base, "app");
    for (const [file, content] of Object.entries(renderSkeleton("python", { appName: APP, port: 8080, healthPath: HEALTH_PATH }))) {
      fs.mkdirSync(path.dirname(path.join(appDir, file)), { recursive: true });
      fs.writeFileSync(path.join(appDir, file), content);
    }
    for (const dir of ["home", "tmp"]) {
      fs.mkdirSync(path.join(base, dir), { mode: 0o700 });
      if (appUser) fs.chownSync(path.join(base, dir), appUser.uid, appUser.gid);
    }
    before = snapshot(appDir);

    pgData = path.join(base, "pgdata");
    socketDir = path.join(base, "pgsocket");
    for (const dir of [pgData, socketDir]) {
      fs.mkdirSync(dir, { mode: 0o700 });
      if (tools.pgUser) fs.chownSync(dir, tools.pgUser.uid, tools.pgUser.gid);
    }
    const init = await run(pg("initdb"), ["-D", pgData, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], {
      user: tools.pgUser,
      timeoutMs: 60_000,
    });
    if (init.code !== 0) throw new Error(`initdb failed: ${init.out}`);
    // Who gets in, and how: the test's superuser on the socket; IAM users (rds_iam members) on the
    // socket only, which only the token-checking front door uses (as root, the socket's folder is
    // postgres's alone; the app's processes cannot reach it); everyone else with a password over
    // TLS. The master user holds rds_iam with ADMIN OPTION (to grant it, as on RDS) but logs in with
    // its password, so the IAM route is closed to it.
    fs.writeFileSync(
      path.join(pgData, "pg_hba.conf"),
      ["local all postgres trust", "local all app_admin reject", "local all +rds_iam trust", "hostssl all all 127.0.0.1/32 scram-sha-256", ""].join("\n"),
    );
    // TLS as RDS offers it: a server certificate for the address clients use, from a CA the
    // clients are given (the RDS CA bundle on the platform); and an impostor's CA, which must fail.
    tlsDir = path.join(base, "tls");
    fs.mkdirSync(tlsDir, { mode: 0o755 });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    for (const ca of ["ca", "impostor-ca"]) {
      openssl(["req", "-x509", ...ec, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=${ca}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    }
    openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    fs.writeFileSync(path.join(tlsDir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"]);
    const serverKeyPem = fs.readFileSync(path.join(tlsDir, "server.key"), "utf8");
    fs.chmodSync(path.join(tlsDir, "server.key"), 0o600);
    if (tools.pgUser) fs.chownSync(path.join(tlsDir, "server.key"), tools.pgUser.uid, tools.pgUser.gid);
    for (const pem of ["ca.pem", "impostor-ca.pem", "server.pem"]) fs.chmodSync(path.join(tlsDir, pem), 0o644);

    pgPort = await freePort();
    const tls = `-c ssl=on -c ssl_cert_file=${path.join(tlsDir, "server.pem")} -c ssl_key_file=${path.join(tlsDir, "server.key")}`;
    const options = `-c listen_addresses=127.0.0.1 -p ${pgPort} -k ${socketDir} -c fsync=off ${tls}`;
    const start = await run(pg("pg_ctl"), ["-D", pgData, "-l", path.join(pgData, "server.log"), "-o", options, "-w", "-t", "30", "start"], { user: tools.pgUser, timeoutMs: 40_000 });
    if (start.code !== 0) throw new Error(`pg_ctl start failed: ${start.out}\n${fs.readFileSync(path.join(pgData, "server.log"), "utf8")}`);
    pgRunning = true;
    // What RDS creates: the rds_iam role, and a master user that is not a superuser but may create
    // roles and databases and grant rds_iam; the app's database, owned by the master user.
    await sql("postgres", "CREATE ROLE rds_iam NOLOGIN");
    await sql("postgres", `CREATE ROLE app_admin LOGIN CREATEROLE CREATEDB PASSWORD '${masterPassword}'`);
    await sql("postgres", "GRANT rds_iam TO app_admin WITH ADMIN OPTION");
    await sql("postgres", `CREATE DATABASE ${APP} OWNER app_admin`);
    // Another database of the instance, with data the app must not reach.
    await sql("postgres", "CREATE DATABASE other OWNER app_admin");
    await sql("other", "CREATE TABLE private (secret text); INSERT INTO private VALUES ('not for the app'); ALTER TABLE private OWNER TO app_admin");
    // Local development: a role with a password and a URL.
    await sql("postgres", `CREATE ROLE dev LOGIN PASSWORD '${devPassword}'`);
    await sql("postgres", "CREATE DATABASE race OWNER dev");

    // IAM: the server's and the migration's Pod Identity roles, each allowed rds-db:connect as its
    // own database user only (the stack's policies); the agent hands each pod its role's key.
    iam.connectGrants.set("hello-dev-server", [APP_ROLE]);
    iam.connectGrants.set("hello-dev-migrate", [OWNER]);
    serverKey = iam.issue("hello-dev-server", 6 * 3600_000);
    agent.current.set(SERVER_POD, serverKey);
    agent.current.set(MIGRATE_POD, iam.issue("hello-dev-migrate", 6 * 3600_000));
    await agent.start();
    proxy = new RdsIamProxy({ iam, region: REGION, cert: fs.readFileSync(path.join(tlsDir, "server.pem"), "utf8"), key: serverKeyPem, backendSocket: path.join(socketDir, `.s.PGSQL.${pgPort}`) });
    await proxy.start();
  }, 120_000);

  afterAll(async () => {
    if (gunicorn?.pid && gunicorn.exitCode === null && gunicorn.signalCode === null) {
      const exited = new Promise((resolve) => gunicorn!.once("exit", resolve));
      process.kill(-gunicorn.pid, "SIGTERM");
      const timer = setTimeout(() => gunicorn?.pid && process.kill(-gunicorn.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await proxy?.stop();
    await agent.stop();
    await stopPostgres();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 60_000);

  test("its unit tests pass with Debian's Python, needing no database", async () => {
    const result = await python(["-m", "pytest", "-q"], appEnv());
    expect(result.out).toMatch(/\b\d+ passed\b/);
    expect(result.out).not.toMatch(/failed|error/i);
    expect(result.code).toBe(0);
  });

  test("the <app>-db-setup script runs Slipway's role SQL as the master user over verified TLS; a second run changes nothing", async () => {
    // The master secret as the CSI driver mounts it for the setup Job (jmesPath: username, password).
    const secretDir = path.join(base, "master-secret");
    fs.mkdirSync(secretDir, { mode: 0o755 });
    fs.writeFileSync(path.join(secretDir, "username"), "app_admin");
    fs.writeFileSync(path.join(secretDir, "password"), masterPassword, { mode: 0o600 });
    const setupSql = path.join(base, "setup.sql");
    fs.writeFileSync(setupSql, databaseRolesSql(APP), { mode: 0o644 });
    if (appUser) for (const file of ["username", "password"]) fs.chownSync(path.join(secretDir, file), appUser.uid, appUser.gid);
    const env = {
      PATH: `${tools.pgBin}:/usr/bin:/bin`,
      LANG: "C.UTF-8",
      HOME: path.join(base, "home"),
      PGHOST: "127.0.0.1",
      PGPORT: String(pgPort),
      PGDATABASE: APP,
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: path.join(tlsDir, "ca.pem"),
      MASTER_SECRET_DIR: secretDir,
      SETUP_SQL: setupSql,
    };
    const setup = () => run("/bin/sh", ["-c", DATABASE_SETUP_SCRIPT], { env, user: appUser, timeoutMs: 30_000 });
    const first = await setup();
    expect(first.out).not.toMatch(/ERROR/);
    expect(first.code).toBe(0);
    const roles = `SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolpassword IS NULL, pg_has_role(rolname, 'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname IN ('${OWNER}', '${APP_ROLE}') ORDER BY 1`;
    const expected = [`${APP_ROLE}|t|f|f|f|t|t`, `${OWNER}|t|f|f|f|t|t`];
    expect((await sql("postgres", roles)).split("\n")).toEqual(expected);
    expect(await sql(APP, `SELECT nspowner::regrole FROM pg_namespace WHERE nspname = '${APP}'`)).toBe(OWNER);
    const second = await setup();
    expect(second.out).not.toMatch(/ERROR/);
    expect(second.code).toBe(0);
    expect((await sql("postgres", roles)).split("\n")).toEqual(expected);
    // A wrong master password stops it: the script fails rather than half-running.
    fs.writeFileSync(path.join(secretDir, "password"), "wrong");
    const wrong = await setup();
    expect(wrong.out).toMatch(/password authentication failed for user "app_admin"/);
    expect(wrong.code).not.toBe(0);
  });

  test("the migration Job's form: python -m migrate connects as the owner with an IAM token, creates the schema in the app's schema, owned by the owner; a second run applies nothing", async () => {
    const first = await python(["-m", "migrate"], migrateEnv());
    expect(first.out).toContain("applying 0001_create_greetings.sql");
    expect(first.code).toBe(0);
    const columns = await sql(APP, `SELECT column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = '${APP}' AND table_name = 'greetings' ORDER BY ordinal_position`);
    expect(columns.split("\n")).toEqual(["id:bigint", "message:text", "created_at:timestamp with time zone"]);
    expect(await sql(APP, `SELECT message FROM ${APP}.greetings`)).toBe(`Hello from ${APP}`);
    const migration = fs.readFileSync(path.join(appDir, "migrations", "0001_create_greetings.sql"), "utf8");
    const checksum = createHash("sha256").update(migration).digest("hex");
    expect(await sql(APP, `SELECT version || ' ' || name || ' ' || checksum FROM ${APP}.schema_migrations`)).toBe(`1 0001_create_greetings.sql ${checksum}`);
    // Everything it made belongs to the owner role, in the app's schema; nothing in public.
    expect((await sql(APP, `SELECT DISTINCT schemaname || ' ' || tableowner FROM pg_tables WHERE tablename IN ('greetings', 'schema_migrations')`)).split("\n")).toEqual([`${APP} ${OWNER}`]);
    expect(await sql(APP, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toBe("0");
    // It came in through IAM, as the owner, with the migration pod's key.
    const migrations = proxy.attempts.filter((a) => !a.refused);
    expect(new Set(migrations.map((a) => `${a.user} ${a.accessKeyId}`))).toEqual(new Set([`${OWNER} ${agent.current.get(MIGRATE_POD)!.accessKeyId}`]));

    const second = await python(["-m", "migrate"], migrateEnv());
    expect(second.out).toContain("0 applied, 1 already applied");
    expect(second.code).toBe(0);
    expect(await sql(APP, `SELECT count(*) FROM ${APP}.greetings`)).toBe("1");
  });

  test("migrations wait for the advisory lock: two started while it is held (with MIGRATE_DATABASE_URL) apply each file once, after it is released", async () => {
    const source = fs.readFileSync(path.join(appDir, "migrate", "__init__.py"), "utf8");
    const key = /^LOCK_KEY = ([\d_]+)$/m.exec(source)![1].replace(/_/g, "");
    const holdSeconds = 4;
    // Another session (a concurrent pipeline's migration) holds the lock for a few seconds.
    const holder = sql("race", `SELECT pg_advisory_lock(${key}); SELECT pg_sleep(${holdSeconds})`).then(() => Date.now());
    const deadline = Date.now() + 10_000;
    while ((await sql("race", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")) !== "1") {
      if (Date.now() > deadline) throw new Error("the advisory lock was not taken within 10 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    // Local development: the migration's own URL wins over the app's (here a database that does not exist).
    const env = appEnv({ MIGRATE_DATABASE_URL: devUrl("race"), DATABASE_URL: devUrl("no_such_database") });
    const migrations = [python(["-m", "migrate"], env), python(["-m", "migrate"], env)].map((p) => p.then((result) => ({ ...result, at: Date.now() })));
    const [released, ...results] = await Promise.all([holder, ...migrations]);
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.at).toBeGreaterThanOrEqual(released);
    }
    expect(results.map((r) => r.out).join("").match(/applying 0001/g)).toHaveLength(1);
    expect(await sql("race", "SELECT count(*) FROM schema_migrations")).toBe("1");
    expect(await sql("race", "SELECT count(*) FROM greetings")).toBe("1");
  });

  test("a migration edited after it was applied stops the run, naming the file", async () => {
    const file = path.join(appDir, "migrations", "0001_create_greetings.sql");
    const original = fs.readFileSync(file);
    fs.writeFileSync(file, `${original}\n-- edited\n`);
    try {
      const result = await python(["-m", "migrate"], migrateEnv());
      expect(result.out).toContain("0001_create_greetings.sql was changed after it was applied");
      expect(result.code).toBe(1);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  test("with the platform's settings the app connects as its own role with an IAM token, over TLS verified against the CA bundle and the host name", async () => {
    // TLS ends at RDS's front door here (the stand-in), so the client's side says whether it was used.
    const probe = "from web import db\nwith db.connect() as c:\n    print((c.execute('SELECT current_user').fetchone()[0], c.pgconn.ssl_in_use))";
    const good = await python(["-c", probe], serverEnv());
    expect(good.out.trim()).toBe(`('${APP_ROLE}', True)`);
    expect(good.code).toBe(0);
    // verify-full: a certificate from another CA, or one for another host name, is refused before any token is sent.
    const sent = proxy.attempts.length;
    const impostor = await python(["-c", probe], serverEnv({ DATABASE_SSLROOTCERT: path.join(tlsDir, "impostor-ca.pem") }));
    expect(impostor.out).toMatch(/certificate verify failed/);
    expect(impostor.code).not.toBe(0);
    const otherName = await python(["-c", probe], serverEnv({ DATABASE_HOST: "localhost" }));
    expect(otherName.out).toMatch(/does not match host name/);
    expect(otherName.code).not.toBe(0);
    expect(proxy.attempts.length).toBe(sent);
  });

  test("the app's role reads and writes rows, and nothing more: no DDL, no CREATE in any schema, no temporary tables, no owner's rights, no other database", async () => {
    const allowed = await asPod(serverEnv(), [
      "SELECT count(*) FROM greetings",
      "INSERT INTO greetings (message) VALUES ('written by the app')",
      "UPDATE greetings SET message = 'updated by the app' WHERE message = 'written by the app'",
      "DELETE FROM greetings WHERE message = 'updated by the app'",
    ]);
    expect(allowed).toEqual(["ok", "ok", "ok", "ok"]);
    const denied = [
      "CREATE TABLE intruder (id int)",
      "CREATE TABLE public.intruder (id int)",
      "CREATE TEMPORARY TABLE intruder (id int)",
      "CREATE SCHEMA intruder",
      "ALTER TABLE greetings ADD COLUMN intruder int",
      "DROP TABLE greetings",
      "TRUNCATE greetings",
      `SET ROLE ${OWNER}`,
      "SET ROLE app_admin",
    ];
    // 42501 insufficient_privilege, for each one.
    expect(await asPod(serverEnv(), denied)).toEqual(denied.map(() => "42501"));
    // Another database of the instance: the role may not connect.
    const other = await python(["-c", "from web import db\ndb.connect().close()"], serverEnv({ DATABASE_NAME: "other" }));
    expect(other.out).toMatch(/permission denied for database "other"/);
    expect(other.code).not.toBe(0);
    expect(await sql(APP, `SELECT count(*) FROM ${APP}.greetings`)).toBe("1");
  });

  test("each pod's identity connects only as its own role: the server's key is refused for the owner, the migration's for the app role", async () => {
    const probe = "from web import db\ndb.connect().close()";
    const serverAsOwner = await python(["-c", probe], serverEnv({ DATABASE_USER: OWNER }));
    expect(serverAsOwner.out).toMatch(new RegExp(`PAM authentication failed for user "${OWNER}"`));
    expect(serverAsOwner.code).not.toBe(0);
    expect(proxy.attempts.at(-1)).toMatchObject({ user: OWNER, accessKeyId: serverKey.accessKeyId, refused: `role hello-dev-server may not rds-db:connect as ${OWNER}` });
    const migrateAsApp = await python(["-c", probe], migrateEnv({ DATABASE_USER: APP_ROLE }));
    expect(migrateAsApp.code).not.toBe(0);
    expect(proxy.attempts.at(-1)).toMatchObject({ user: APP_ROLE, refused: `role hello-dev-migrate may not rds-db:connect as ${APP_ROLE}` });
    // And the master user never comes in this way, whoever signs.
    const master = await python(["-c", probe], serverEnv({ DATABASE_USER: "app_admin" }));
    expect(master.code).not.toBe(0);
  });

  test("gunicorn serves it; its own integration tests pass against APP_URL", async () => {
    appPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    const args = ["-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", `127.0.0.1:${appPort}`, "--workers", "1", "web:create_app()"];
    const [file, argv] = appUser ? ["setpriv", [`--reuid=${appUser.uid}`, `--regid=${appUser.gid}`, "--clear-groups", "--", tools.python, ...args]] : [tools.python, args];
    // As on the platform: no URL, no password, only the settings and the pod's identity.
    gunicorn = spawn(file, argv, { cwd: appDir, env: serverEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    gunicorn.stdout!.on("data", (d) => (serverLog += d));
    gunicorn.stderr!.on("data", (d) => (serverLog += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await httpGet(`${appUrl}${HEALTH_PATH}`);
        break;
      } catch {
        if (Date.now() > deadline || gunicorn.exitCode !== null) throw new Error(`gunicorn did not answer within 30 s:\n${serverLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const result = await python(["-m", "pytest", "-q", "tests/integration"], appEnv({ APP_URL: appUrl }));
    expect(result.out).toMatch(/\b3 passed\b/);
    expect(result.code).toBe(0);
  });

  test("the health path answers 200 with the database up, and the home page shows the migrated greeting", async () => {
    const health = await httpGet(`${appUrl}${HEALTH_PATH}`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok", database: "ok" });
    const page = await httpGet(`${appUrl}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<h1 id="greeting">Hello from ${APP}</h1>`);
  });

  test("the pod's credentials rotate (the old key expires, Pod Identity serves a new one): every new connection keeps working, with no restart and no failed request", async () => {
    const health = async () => (await httpGet(`${appUrl}${HEALTH_PATH}`)).status;
    const workers = () => serverLog.match(/Booting worker with pid: \d+/g) ?? [];
    expect(workers()).toHaveLength(1);
    const pid = gunicorn!.pid;
    const accepted = () => proxy.attempts.filter((a) => !a.refused && a.user === APP_ROLE);
    for (let i = 0; i < 3; i++) expect(await health()).toBe(200);
    expect(accepted().at(-1)!.accessKeyId).toBe(serverKey.accessKeyId);

    // Rotation as STS and the agent do it: new credentials are served, and the old key ends.
    const oldKey = serverKey;
    serverKey = iam.issue("hello-dev-server", 6 * 3600_000);
    agent.current.set(SERVER_POD, serverKey);
    iam.expire(oldKey.accessKeyId);
    const from = proxy.attempts.length;
    for (let i = 0; i < 5; i++) expect(await health()).toBe(200);
    expect((await httpGet(`${appUrl}/`)).status).toBe(200);
    // Every connection since was signed with the new key, and none was refused.
    const since = proxy.attempts.slice(from);
    expect(since.length).toBeGreaterThanOrEqual(6);
    expect(since.filter((a) => a.refused)).toEqual([]);
    expect(new Set(since.map((a) => a.accessKeyId))).toEqual(new Set([serverKey.accessKeyId]));
    // A token signed with the old key is refused now.
    const stale = signRdsToken({ key: oldKey, endpoint: proxy.endpoint, user: APP_ROLE, region: REGION, signedAt: Date.now() });
    const probe = "import os, psycopg\nfrom web import db\np = db.connection_parameters()\np['password'] = os.environ['TOKEN']\npsycopg.connect(**p).close()\nprint('connected')";
    const withStale = await python(["-c", probe], serverEnv({ TOKEN: stale }));
    expect(withStale.out).toMatch(/PAM authentication failed/);
    expect(proxy.attempts.at(-1)!.refused).toBe("expired credentials");

    // The same server and the same worker throughout: nothing restarted.
    expect(gunicorn!.pid).toBe(pid);
    expect(gunicorn!.exitCode).toBeNull();
    expect(workers()).toHaveLength(1);
    // Nothing it logged holds a credential or a token.
    for (const secret of [oldKey.secretAccessKey, serverKey.secretAccessKey, serverKey.sessionToken, "X-Amz-Signature", masterPassword]) expect(serverLog).not.toContain(secret);
  });

  test("a token is good for 15 minutes: the same botocore-signed token is refused 15 minutes later, and a fresh one works", async () => {
    const sign = "from web import db\nimport os\nprint(db.iam_token(os.environ['DATABASE_HOST'], os.environ['DATABASE_PORT'], os.environ['DATABASE_USER'], os.environ['DATABASE_REGION']))";
    const token = (await python(["-c", sign], serverEnv())).out.trim();
    expect(token).toMatch(new RegExp(`^127\\.0\\.0\\.1:${proxy.port}/\\?Action=connect&DBUser=${APP_ROLE}&`));
    const probe = "import os, psycopg\nfrom web import db\np = db.connection_parameters()\np['password'] = os.environ['TOKEN']\npsycopg.connect(**p).close()\nprint('connected')";
    expect((await python(["-c", probe], serverEnv({ TOKEN: token }))).out.trim()).toBe("connected");
    try {
      proxy.clockSkewMs = 15 * 60_000 + 1_000;
      const late = await python(["-c", probe], serverEnv({ TOKEN: token }));
      expect(late.out).toMatch(/PAM authentication failed/);
      expect(proxy.attempts.at(-1)!.refused).toBe("expired token");
    } finally {
      proxy.clockSkewMs = 0;
    }
    // The app signs a new token per connection, so it never holds an old one.
    expect((await httpGet(`${appUrl}${HEALTH_PATH}`)).status).toBe(200);
    // Without TLS the front door admits nobody, as RDS with rds.force_ssl.
    const plain = await python(["-c", "from web import db\ndb.connect().close()"], serverEnv({ DATABASE_SSLMODE: "disable" }));
    expect(plain.code).not.toBe(0);
    expect(proxy.attempts.at(-1)!.refused).toBe("no TLS");
  });

  test("the master user is break-glass: neither the app nor the migration connected as it, and their settings hold no password", () => {
    expect(new Set(proxy.attempts.filter((a) => !a.refused).map((a) => a.user))).toEqual(new Set([OWNER, APP_ROLE]));
    for (const env of [serverEnv(), migrateEnv()]) {
      expect(Object.keys(env).filter((name) => name.startsWith("DATABASE_")).sort()).toEqual(
        ["DATABASE_AUTH", "DATABASE_HOST", "DATABASE_NAME", "DATABASE_PORT", "DATABASE_REGION", "DATABASE_SSLMODE", "DATABASE_SSLROOTCERT", "DATABASE_USER"],
      );
      expect(Object.keys(env).filter((name) => /PASSWORD|SECRET|_URL$|SESSION_TOKEN|ACCESS_KEY/.test(name))).toEqual([]);
      expect(Object.values(env)).not.toContain(masterPassword);
    }
  });

  test("the static assets are in static/, which the image copies to the contract's directory, and the app serves them", async () => {
    const template = loadSkeletonTemplate("python");
    const dockerfile = fs.readFileSync(path.join(appDir, "Dockerfile"), "utf8");
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    // The final stage copies the repository into its WORKDIR, so static/ lands in the static directory.
    const workdir = /^WORKDIR (\S+)$/m.exec(finalStage)?.[1];
    expect(finalStage).toMatch(new RegExp(`^COPY \\. ${workdir}$`, "m"));
    expect(`${workdir}/static`).toBe(template.staticDirectory);
    const ignored = fs.readFileSync(path.join(appDir, ".dockerignore"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    expect(ignored.filter((pattern) => /static/.test(pattern))).toEqual([]);
    const assets = fs.readdirSync(path.join(appDir, "static")).sort();
    expect(assets).toEqual(["app.css", "app.js"]);
    for (const asset of assets) {
      const served = await httpGet(`${appUrl}/static/${asset}`);
      expect(served.status).toBe(200);
      expect(served.body).toBe(fs.readFileSync(path.join(appDir, "static", asset), "utf8"));
    }
  });

  test("with the database stopped, the health path and the home page answer 503", async () => {
    await stopPostgres();
    const started = Date.now();
    const health = await httpGet(`${appUrl}${HEALTH_PATH}`);
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toEqual({ status: "unavailable", database: "unreachable" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await httpGet(`${appUrl}/`)).status).toBe(503);
  });

  test("nothing it ran wrote into the app's folder (the image's root filesystem is read-only)", () => {
    expect(snapshot(appDir)).toEqual(before);
  });
});

/**
 * `database: none`: the same skeleton, as a pod of an app without a database gets it (no DATABASE_*
 * variable at all, no PostgreSQL anywhere), served by gunicorn: healthy without a database check,
 * the home page with its static greeting, its unit and integration tests green, and a warning in
 * its log saying it runs without a database.
 */
describeWithTools("the Python skeleton without a database (database: none)", () => {
  const tools = found as Tools;
  const appUser = IS_ROOT ? { uid: POD_UID, gid: POD_UID } : undefined;
  let base: string;
  let appDir: string;
  let before: string[];
  let appUrl: string;
  let gunicorn: ChildProcess | undefined;
  let serverLog = "";

  /** Debian's paths, a home and /tmp of its own, and no DATABASE_* variable. */
  const env = (extra: Record<string, string> = {}) => pythonEnv({ HOME: path.join(base, "home"), TMPDIR: path.join(base, "tmp"), ...extra });
  const python = (args: string[], extra: Record<string, string> = {}) => run(tools.python, args, { cwd: appDir, env: env(extra), user: appUser });

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-skeleton-nodb-"));
    fs.chmodSync(base, 0o755);
    appDir = path.join(base, "app");
    for (const [file, content] of Object.entries(renderSkeleton("python", { appName: APP, port: 8080, healthPath: HEALTH_PATH }))) {
      fs.mkdirSync(path.dirname(path.join(appDir, file)), { recursive: true });
      fs.writeFileSync(path.join(appDir, file), content);
    }
    for (const dir of ["home", "tmp"]) {
      fs.mkdirSync(path.join(base, dir), { mode: 0o700 });
      if (appUser) fs.chownSync(path.join(base, dir), appUser.uid, appUser.gid);
    }
    before = snapshot(appDir);

    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    const args = ["-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", `127.0.0.1:${port}`, "--workers", "1", "web:create_app()"];
    const [file, argv] = appUser ? ["setpriv", [`--reuid=${appUser.uid}`, `--regid=${appUser.gid}`, "--clear-groups", "--", tools.python, ...args]] : [tools.python, args];
    gunicorn = spawn(file, argv, { cwd: appDir, env: env(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    gunicorn.stdout!.on("data", (d) => (serverLog += d));
    gunicorn.stderr!.on("data", (d) => (serverLog += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await httpGet(`${appUrl}${HEALTH_PATH}`);
        break;
      } catch {
        if (Date.now() > deadline || gunicorn.exitCode !== null) throw new Error(`gunicorn did not answer within 30 s:\n${serverLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 60_000);

  afterAll(async () => {
    if (gunicorn?.pid && gunicorn.exitCode === null && gunicorn.signalCode === null) {
      const exited = new Promise((resolve) => gunicorn!.once("exit", resolve));
      process.kill(-gunicorn.pid, "SIGTERM");
      const timer = setTimeout(() => gunicorn?.pid && process.kill(-gunicorn.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 30_000);

  test("the server's environment has no DATABASE_* variable, as a pod of an app with database: none", () => {
    expect(Object.keys(env()).filter((name) => name.startsWith("DATABASE_") || name.startsWith("MIGRATE_"))).toEqual([]);
  });

  test("its unit tests pass, the no-database ones among them", async () => {
    const result = await python(["-m", "pytest", "-v", "tests/unit/test_app.py"]);
    expect(result.out).toMatch(/test_without_a_database_health_is_200_and_checks_none PASSED/);
    expect(result.out).toMatch(/test_without_a_database_the_home_page_shows_a_static_greeting PASSED/);
    expect(result.out).not.toMatch(/FAILED|ERROR/);
    expect(result.code).toBe(0);
  });

  test("the health path answers 200 without checking a database, and says there is none", async () => {
    const health = await httpGet(`${appUrl}${HEALTH_PATH}`);
    expect(health.status).toBe(200);
    expect(health.type).toMatch(/^application\/json/);
    expect(JSON.parse(health.body)).toEqual({ status: "ok", database: "none" });
  });

  test("the home page renders with its static greeting and assets", async () => {
    const page = await httpGet(`${appUrl}/`);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain(`<h1 id="greeting">Hello from ${APP}</h1>`);
    const css = await httpGet(`${appUrl}/static/app.css`);
    expect(css.status).toBe(200);
    expect(css.body).toBe(fs.readFileSync(path.join(appDir, "static", "app.css"), "utf8"));
  });

  test("its own integration tests pass against APP_URL", async () => {
    const result = await python(["-m", "pytest", "-q", "tests/integration"], { APP_URL: appUrl });
    expect(result.out).toMatch(/\b3 passed\b/);
    expect(result.code).toBe(0);
  });

  test("its log says once that it runs without a database; nothing failed", () => {
    expect(serverLog.match(/no database configured \(no DATABASE_HOST, DATABASE_URL or DATABASE_URL_FILE\): running without one/g)).toHaveLength(1);
    expect(serverLog).not.toMatch(/Traceback|health check failed|page failed/);
  });

  test("nothing it ran wrote into the app's folder", () => {
    expect(snapshot(appDir)).toEqual(before);
  });
});
