/**
 * The Python skeleton, for real: rendered into a temporary folder, its unit tests run with Debian's
 * Python, its migration run against a real PostgreSQL server started here (a temporary data
 * directory, a Unix socket in it and a free port on 127.0.0.1 only), the app served by gunicorn
 * and checked by its own integration tests, the health path answering 200 with the database up
 * and 503 once it is stopped. As root (CI), the app runs as the pod's UID 10001 and PostgreSQL as
 * `postgres`. Every wait is bounded; every process started here is stopped in afterAll.
 *
 * Needs Debian's `postgresql`, `python3-flask`, `python3-psycopg`, `python3-pytest` and `gunicorn`
 * (.ci/run installs them); without them it skips loudly, or fails under SLIPWAY_REQUIRE_TOOLS=1.
 */
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { loadSkeletonTemplate, renderSkeleton } from "../../constructs/skeleton";
import { gatedByTools } from "../support/tools";

const APP = "hello";
const HEALTH_PATH = "/healthz";
/** The pod's runAsUser/runAsGroup (KubernetesWorkload), used for the app's processes when running as root. */
const POD_UID = 10001;
const IS_ROOT = process.getuid?.() === 0;

interface Tools {
  python: string;
  pgBin: string;
  /** As root: the `postgres` user's uid and gid (initdb refuses root). */
  pgUser?: { uid: number; gid: number };
}

function findTools(): Tools | { missing: string } {
  const python = process.env.SLIPWAY_PYTHON ?? "/usr/bin/python3";
  const packages = "apt-get install postgresql python3-flask python3-psycopg python3-pytest gunicorn";
  if (!fs.existsSync(python)) return { missing: `no ${python} (Debian's python3; ${packages})` };
  try {
    execFileSync(python, ["-c", "import flask, psycopg, pytest, gunicorn"], { stdio: "pipe", timeout: 30_000, env: pythonEnv({}) });
  } catch (error) {
    const detail = String((error as { stderr?: Buffer }).stderr ?? error).trim().split("\n").pop();
    return { missing: `${python} cannot import flask, psycopg, pytest and gunicorn (${detail}; ${packages})` };
  }
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const pgBin =
    process.env.SLIPWAY_PG_BIN ??
    versions.map((v) => path.join(root, v, "bin")).find((bin) => ["initdb", "pg_ctl", "postgres", "psql"].every((tool) => fs.existsSync(path.join(bin, tool))));
  if (!pgBin) return { missing: `no PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) in ${root}/*/bin (${packages})` };
  if (!IS_ROOT) return { python, pgBin };
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    execFileSync("setpriv", ["--version"], { stdio: "pipe" });
    return { python, pgBin, pgUser: { uid, gid } };
  } catch {
    return { missing: "running as root needs the `postgres` user (Debian's postgresql package creates it) and setpriv (util-linux)" };
  }
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
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
  const password = randomBytes(12).toString("hex");
  let base: string;
  let appDir: string;
  let pgData: string;
  let socketDir: string;
  let pgPort: number;
  let urlFile: string;
  let appPort: number;
  let appUrl: string;
  let gunicorn: ChildProcess | undefined;
  let pgRunning = false;
  let before: string[];

  const pg = (tool: string) => path.join(tools.pgBin, tool);
  const databaseUrl = (database: string, secret = password) => `postgresql://app:${secret}@127.0.0.1:${pgPort}/${database}`;
  const appEnv = (extra: Record<string, string> = {}) => pythonEnv({ HOME: path.join(base, "home"), TMPDIR: path.join(base, "tmp"), ...extra });
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
    pgPort = await freePort();
    const options = `-c listen_addresses=127.0.0.1 -p ${pgPort} -k ${socketDir} -c fsync=off`;
    const start = await run(pg("pg_ctl"), ["-D", pgData, "-l", path.join(pgData, "server.log"), "-o", options, "-w", "-t", "30", "start"], { user: tools.pgUser, timeoutMs: 40_000 });
    if (start.code !== 0) throw new Error(`pg_ctl start failed: ${start.out}\n${fs.readFileSync(path.join(pgData, "server.log"), "utf8")}`);
    pgRunning = true;
    await sql("postgres", `CREATE ROLE app LOGIN PASSWORD '${password}'`);
    await sql("postgres", "CREATE DATABASE app OWNER app");
    await sql("postgres", "CREATE DATABASE race OWNER app");

    // The credentials file the app re-reads for each connection (a rotated secret lands here).
    urlFile = path.join(base, "database-url");
    fs.writeFileSync(urlFile, `${databaseUrl("app")}\n`, { mode: 0o600 });
    if (appUser) fs.chownSync(urlFile, appUser.uid, appUser.gid);
  }, 120_000);

  afterAll(async () => {
    if (gunicorn?.pid && gunicorn.exitCode === null && gunicorn.signalCode === null) {
      const exited = new Promise((resolve) => gunicorn!.once("exit", resolve));
      process.kill(-gunicorn.pid, "SIGTERM");
      const timer = setTimeout(() => gunicorn?.pid && process.kill(-gunicorn.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await stopPostgres();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 60_000);

  test("its unit tests pass with Debian's Python, needing no database", async () => {
    const result = await python(["-m", "pytest", "-q"], appEnv());
    expect(result.out).toMatch(/\b\d+ passed\b/);
    expect(result.out).not.toMatch(/failed|error/i);
    expect(result.code).toBe(0);
  });

  test("the migration creates the schema and records itself; a second run applies nothing", async () => {
    const first = await python(["-m", "migrate"], appEnv({ DATABASE_URL: databaseUrl("app") }));
    expect(first.out).toContain("applying 0001_create_greetings.sql");
    expect(first.code).toBe(0);
    const columns = await sql("app", "SELECT column_name || ':' || data_type FROM information_schema.columns WHERE table_name = 'greetings' ORDER BY ordinal_position");
    expect(columns.split("\n")).toEqual(["id:bigint", "message:text", "created_at:timestamp with time zone"]);
    expect(await sql("app", "SELECT message FROM greetings")).toBe(`Hello from ${APP}`);
    const migration = fs.readFileSync(path.join(appDir, "migrations", "0001_create_greetings.sql"), "utf8");
    const checksum = createHash("sha256").update(migration).digest("hex");
    expect(await sql("app", "SELECT version || ' ' || name || ' ' || checksum FROM schema_migrations")).toBe(`1 0001_create_greetings.sql ${checksum}`);
    // The schema belongs to the role that migrated, not to the superuser.
    expect(await sql("app", "SELECT tableowner FROM pg_tables WHERE tablename = 'greetings'")).toBe("app");

    const second = await python(["-m", "migrate"], appEnv({ DATABASE_URL: databaseUrl("app") }));
    expect(second.out).toContain("0 applied, 1 already applied");
    expect(second.code).toBe(0);
    expect(await sql("app", "SELECT count(*) FROM greetings")).toBe("1");
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
    // The schema owner's URL wins over the app's (here a database that does not exist).
    const env = appEnv({ MIGRATE_DATABASE_URL: databaseUrl("race"), DATABASE_URL: databaseUrl("no_such_database") });
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
      const result = await python(["-m", "migrate"], appEnv({ DATABASE_URL: databaseUrl("app") }));
      expect(result.out).toContain("0001_create_greetings.sql was changed after it was applied");
      expect(result.code).toBe(1);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  test("gunicorn serves it; its own integration tests pass against APP_URL", async () => {
    appPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    const args = ["-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", `127.0.0.1:${appPort}`, "--workers", "1", "web:create_app()"];
    const [file, argv] = appUser ? ["setpriv", [`--reuid=${appUser.uid}`, `--regid=${appUser.gid}`, "--clear-groups", "--", tools.python, ...args]] : [tools.python, args];
    gunicorn = spawn(file, argv, { cwd: appDir, env: appEnv({ DATABASE_URL_FILE: urlFile }), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    gunicorn.stdout!.on("data", (d) => (log += d));
    gunicorn.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await httpGet(`${appUrl}${HEALTH_PATH}`);
        break;
      } catch {
        if (Date.now() > deadline || gunicorn.exitCode !== null) throw new Error(`gunicorn did not answer within 30 s:\n${log}`);
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

  test("rotated credentials are used by the next connection, with no restart", async () => {
    const rotated = randomBytes(12).toString("hex");
    await sql("postgres", `ALTER ROLE app PASSWORD '${rotated}'`);
    expect((await httpGet(`${appUrl}${HEALTH_PATH}`)).status).toBe(503);
    fs.writeFileSync(urlFile, `${databaseUrl("app", rotated)}\n`);
    expect((await httpGet(`${appUrl}${HEALTH_PATH}`)).status).toBe(200);
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
