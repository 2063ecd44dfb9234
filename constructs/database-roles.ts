/**
 * The database roles of an app, as SQL that Slipway ships (never the app team): run by the
 * `<app>-db-setup` Job with the master credentials before every migration, and safe to run again.
 *
 * - `<prefix>_owner` owns the schema `<prefix>` and everything the migrations create in it;
 * - `<prefix>_app` may only read and write rows of the owner's tables and use its sequences
 *   (default privileges, so tables of later migrations are covered): no DDL, no `CREATE` on any
 *   schema, no temporary tables, no other database;
 * - both log in only with IAM database authentication (`rds_iam`, no password), so nothing rotates
 *   under a running app: each connection presents a fresh token signed with the pod's own
 *   (Pod Identity) credentials.
 *
 * The master user stays break-glass: it is a member of the owner role (it must be, to set the
 * owner's default privileges), and no pod but the setup Job can read its secret.
 */

/** The role names and schema of an app's database. */
export interface DatabaseRoleNames {
  /** Owns the schema; migrations connect as it, e.g. `orders_owner`. */
  readonly owner: string;
  /** The running app connects as it, e.g. `orders_app`. */
  readonly app: string;
  /** The app's schema (first in both roles' `search_path`), e.g. `orders`. */
  readonly schema: string;
}

/** PostgreSQL's identifier limit (NAMEDATALEN - 1). */
const MAX_IDENTIFIER = 63;
const PREFIX = /^[a-z][a-z0-9_]*$/;

/**
 * The roles and schema of `prefix` (the database name, e.g. `orders` or `shop_api`).
 * @throws when `prefix` is not lower-case letters, digits and `_` starting with a letter, or too long for `<prefix>_owner`
 */
export function databaseRoleNames(prefix: string): DatabaseRoleNames {
  if (!PREFIX.test(prefix) || prefix.length + "_owner".length > MAX_IDENTIFIER) {
    throw new Error(`database role prefix ${JSON.stringify(prefix)}: lower-case letters, digits and '_', starting with a letter, at most ${MAX_IDENTIFIER - "_owner".length} characters`);
  }
  return { owner: `${prefix}_owner`, app: `${prefix}_app`, schema: prefix };
}

/**
 * The idempotent setup SQL for `database` and its roles, to run as the master user (on RDS a
 * member of `rds_superuser` with CREATEROLE, not a superuser) with `psql -v ON_ERROR_STOP=1`.
 * Every name is checked by {@link databaseRoleNames} and quoted, so the text is data.
 */
export function databaseRolesSql(database: string, names: DatabaseRoleNames = databaseRoleNames(database)): string {
  if (!PREFIX.test(database)) throw new Error(`database ${JSON.stringify(database)}: lower-case letters, digits and '_', starting with a letter`);
  const db = `"${database}"`;
  const owner = `"${names.owner}"`;
  const app = `"${names.app}"`;
  const schema = `"${names.schema}"`;
  return `-- Slipway: the roles of database ${database}. Run as the master user; safe to run again.
-- One transaction: a failure leaves the roles as they were.
BEGIN;

-- Both roles exist, log in, and have no password: IAM database authentication only (rds_iam).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${names.owner}') THEN CREATE ROLE ${owner}; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${names.app}') THEN CREATE ROLE ${app}; END IF;
END
$$;
ALTER ROLE ${owner} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL;
ALTER ROLE ${app} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL;
GRANT rds_iam TO ${owner}, ${app};
-- The master user acts for the owner (to hand it the schema and set its default privileges).
GRANT ${owner} TO CURRENT_USER;

-- Their database only: nobody else connects or makes temporary tables here, and every other
-- database the master user owns (postgres) stops admitting PUBLIC.
REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${db} TO ${owner}, ${app};
DO $$
DECLARE other name;
BEGIN
  FOR other IN SELECT datname FROM pg_database WHERE datname <> current_database() AND NOT datistemplate AND pg_get_userbyid(datdba) = current_user LOOP
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', other);
  END LOOP;
END
$$;

-- The app's schema, owned by the owner; nobody creates anything in public.
CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${owner};
ALTER SCHEMA ${schema} OWNER TO ${owner};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER ROLE ${owner} IN DATABASE ${db} SET search_path = ${schema};
ALTER ROLE ${app} IN DATABASE ${db} SET search_path = ${schema};

-- The app: rows and sequences of the owner's tables, now and from every later migration.
REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC;
GRANT USAGE ON SCHEMA ${schema} TO ${app};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${app};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${app};
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${app};

COMMIT;
`;
}

/**
 * The `<app>-db-setup` container's script: `psql` runs {@link databaseRolesSql} as the master user.
 * The connection comes from libpq's own variables set on the container (`PGHOST`, `PGPORT`,
 * `PGDATABASE`, `PGSSLMODE=verify-full`, `PGSSLROOTCERT`); the master user's name and password from
 * the files the Secrets Store CSI driver mounts in `$MASTER_SECRET_DIR` (`username`, `password`,
 * fetched when the pod starts, so always the current password); the SQL from `$SETUP_SQL`.
 * The same text for every app: nothing here is interpolated.
 */
export const DATABASE_SETUP_SCRIPT = [
  "set -eu",
  'PGUSER="$(cat "$MASTER_SECRET_DIR/username")"',
  'PGPASSWORD="$(cat "$MASTER_SECRET_DIR/password")"',
  "export PGUSER PGPASSWORD",
  'exec psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --file "$SETUP_SQL"',
  "",
].join("\n");
