/**
 * What a test needs to run a real PostgreSQL server: Debian's server binaries, the `postgres` user
 * when the tests run as root (initdb refuses root), and a free TCP port. Used by every test that
 * starts one (the app skeleton, the previews' SQL).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export interface PostgresTools {
  /** The folder of initdb, pg_ctl, postgres and psql (`SLIPWAY_PG_BIN`, else the newest /usr/lib/postgresql/<n>/bin). */
  readonly pgBin: string;
  /** As root: the `postgres` user's uid and gid, to run the server as (through setpriv). */
  readonly pgUser?: { readonly uid: number; readonly gid: number };
}

const IS_ROOT = process.getuid?.() === 0;

/** The server's tools, or what is missing and how to install it (`install` names the packages to suggest). */
export function findPostgres(install = "apt-get install postgresql"): PostgresTools | { missing: string } {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const pgBin =
    process.env.SLIPWAY_PG_BIN ??
    versions.map((v) => path.join(root, v, "bin")).find((bin) => ["initdb", "pg_ctl", "postgres", "psql"].every((tool) => fs.existsSync(path.join(bin, tool))));
  if (!pgBin) return { missing: `no PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) in ${root}/*/bin (${install})` };
  if (!IS_ROOT) return { pgBin };
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    execFileSync("setpriv", ["--version"], { stdio: "pipe" });
    return { pgBin, pgUser: { uid, gid } };
  } catch {
    return { missing: "running as root needs the `postgres` user (Debian's postgresql package creates it) and setpriv (util-linux)" };
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
