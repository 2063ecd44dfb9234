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
export function databaseRolesSql(database: string, names: DatabaseRoleNames = databaseRoleNames(database), options: DatabaseRolesOptions = {}): string {
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
${options.previews ? `\n${previewFunctionsSql(database)}` : ""}
COMMIT;
`;
}

/** Options of {@link databaseRolesSql}. */
export interface DatabaseRolesOptions {
  /**
   * Also the previews' manager role and functions ({@link previewFunctionsSql}): this database's
   * server hosts the app's pull-request previews.
   * @default false
   */
  readonly previews?: boolean;
}

/** The previews' role names of database `prefix`. */
export interface PreviewRoleNames {
  /** The preview database Job connects as it (IAM): it may only execute the preview functions, e.g. `orders_previews`. */
  readonly manager: string;
  /** The schema holding the functions, in the app's database. */
  readonly schema: string;
}

/** The previews' manager role and function schema of `prefix` (the app's database name). */
export function previewRoleNames(prefix: string): PreviewRoleNames {
  databaseRoleNames(prefix);
  return { manager: `${prefix}_previews`, schema: "slipway_previews" };
}

/** A preview's database and login role: `<prefix>_pr_<n>`. */
export function previewDatabaseName(prefix: string, pullRequest: number | string): string {
  return `${prefix}_pr_${pullRequest}`;
}

/**
 * Where a preview role connects while it creates or drops its own database: the instance's
 * maintenance database, which RDS gives the master user, and which admits nobody else (the setup
 * revokes PUBLIC's CONNECT on every database the master user owns).
 */
export const PREVIEW_MAINTENANCE_DATABASE = "postgres";

/**
 * The previews' part of the setup SQL: the manager role `<db>_previews` (IAM authentication,
 * nothing but EXECUTE on three SECURITY DEFINER functions) and the functions. PostgreSQL runs
 * CREATE/DROP DATABASE only outside a transaction, so never in a function: each preview's own
 * role `<db>_pr_<n>` creates and drops its own database, and the functions only ever touch roles
 * named `<db>_pr_<digits>`:
 *
 * - `slipway_preview_create(n, password)`: the role exists, logs in with `password` and, for
 *   the moment, may create a database and connect to the maintenance database (again on a re-run:
 *   a new password);
 * - `slipway_preview_seal(n)`: its database exists, is its own and admits nobody else; it may
 *   no longer create databases nor connect to the maintenance database;
 * - `slipway_preview_drop(n)`: its database is gone already; its sessions end and the role goes
 *   (nothing when it does not exist).
 *
 * Works on PostgreSQL 15 (tests) and 16+ (RDS), where the master user's CREATEROLE covers the roles it created.
 */
export function previewFunctionsSql(database: string): string {
  const { manager, schema } = previewRoleNames(database);
  const m = `"${manager}"`;
  const checks = (extra = "") => `  IF n IS NULL OR n < 1 THEN RAISE EXCEPTION 'a pull request number is a whole number from 1, not %', n; END IF;${extra}`;
  const declare = `DECLARE preview name := '${database}_pr_' || n;`;
  const fn = (signature: string, returns: string, body: string) => `CREATE OR REPLACE FUNCTION ${schema}.${signature} RETURNS ${returns}
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
${body}
$fn$;
REVOKE ALL ON FUNCTION ${schema}.${signature.replace(/\b(n|password) /g, "")} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${schema}.${signature.replace(/\b(n|password) /g, "")} TO ${m};`;
  return `-- Previews: ${manager} logs in with IAM only and may execute the functions below, nothing else.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${manager}') THEN CREATE ROLE ${m}; END IF;
END
$$;
ALTER ROLE ${m} WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD NULL;
GRANT rds_iam TO ${m};
GRANT CONNECT ON DATABASE "${database}" TO ${m};
CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION CURRENT_USER;
REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC;
GRANT USAGE ON SCHEMA ${schema} TO ${m};
${fn(
  "slipway_preview_create(n integer, password text)",
  "name",
  `${declare}
BEGIN
${checks(`
  IF password IS NULL OR password !~ '^[A-Za-z0-9]{32,}$' THEN RAISE EXCEPTION 'a preview password is at least 32 letters and digits'; END IF;`)}
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = preview) THEN EXECUTE format('CREATE ROLE %I', preview); END IF;
  EXECUTE format('ALTER ROLE %I WITH LOGIN CREATEDB NOCREATEROLE', preview);
  -- An error here would print the statement, password included: say what failed, not the statement.
  BEGIN
    EXECUTE format('ALTER ROLE %I WITH PASSWORD %L', preview, password);
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'setting the password of % failed (SQLSTATE %)', preview, SQLSTATE;
  END;
  EXECUTE format('GRANT CONNECT ON DATABASE ${PREVIEW_MAINTENANCE_DATABASE} TO %I', preview);
  RETURN preview;
END`,
)}
${fn(
  "slipway_preview_seal(n integer)",
  "void",
  `${declare}
BEGIN
${checks()}
  IF NOT EXISTS (SELECT FROM pg_database d WHERE d.datname = preview AND pg_get_userbyid(d.datdba) = preview) THEN
    RAISE EXCEPTION 'database % does not exist or is not owned by %', preview, preview;
  END IF;
  -- grantee 0 is PUBLIC: the preview's database admits its own role only.
  IF EXISTS (SELECT FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = preview AND a.grantee = 0) THEN
    RAISE EXCEPTION 'database % still admits PUBLIC', preview;
  END IF;
  EXECUTE format('ALTER ROLE %I WITH NOCREATEDB', preview);
  EXECUTE format('REVOKE CONNECT ON DATABASE ${PREVIEW_MAINTENANCE_DATABASE} FROM %I', preview);
END`,
)}
${fn(
  "slipway_preview_drop(n integer)",
  "void",
  `${declare}
BEGIN
${checks()}
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = preview) THEN RETURN; END IF;
  IF EXISTS (SELECT FROM pg_database WHERE datname = preview) THEN
    RAISE EXCEPTION 'database % still exists: % drops it first (DROP DATABASE ... WITH (FORCE))', preview, preview;
  END IF;
  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = preview;
  EXECUTE format('REVOKE CONNECT ON DATABASE ${PREVIEW_MAINTENANCE_DATABASE} FROM %I', preview);
  EXECUTE format('DROP ROLE %I', preview);
END`,
)}
`;
}

/**
 * The preview database Job's script (`/bin/sh` in the pinned PostgreSQL image), for `$ACTION`
 * create or drop of pull request `$PR`. It connects as `$MANAGER_ROLE` to `$APP_DATABASE`
 * with the IAM token in `$TOKEN_FILE`, and as the preview's role to the maintenance database
 * with a password it generates itself (never in an argument, never printed). `create` then
 * writes the preview's Secret `database` as a manifest to `$SECRET_FILE` (the next container
 * applies it). Host, port and TLS settings come from libpq's own variables (`PGHOST`, ...).
 * No `${` nor `%{` anywhere: the text reaches Terraform as a literal.
 */
export const PREVIEW_DATABASE_SCRIPT = [
  "set -eu",
  `case "$PR" in ''|0*|*[!0-9]*) echo "PR: expected a pull request number (digits, not starting with 0)" >&2; exit 2;; esac`,
  `case "$PR" in ??????????*) echo "PR: at most 9 digits" >&2; exit 2;; esac`,
  `case "$ACTION" in create|drop) ;; *) echo "ACTION: expected create or drop" >&2; exit 2;; esac`,
  'PREVIEW_ROLE="$DATABASE_PREFIX"_pr_"$PR"',
  // 40 letters and digits from the kernel's random source: generated here, never leaves the cluster.
  `PREVIEW_PASSWORD="$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-40)"`,
  "export PREVIEW_PASSWORD",
  'manager() { PGUSER="$MANAGER_ROLE" PGDATABASE="$APP_DATABASE" PGPASSWORD="$(cat "$TOKEN_FILE")" psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --set pr="$PR"; }',
  `preview() { PGUSER="$PREVIEW_ROLE" PGDATABASE="${PREVIEW_MAINTENANCE_DATABASE}" PGPASSWORD="$PREVIEW_PASSWORD" PGOPTIONS="-c client_min_messages=warning" psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --set db="$PREVIEW_ROLE"; }`,
  "manager <<'SQL'",
  "\\getenv pw PREVIEW_PASSWORD",
  "SELECT slipway_previews.slipway_preview_create(:'pr', :'pw');",
  "SQL",
  'if [ "$ACTION" = drop ]; then',
  "  preview <<'SQL'",
  'DROP DATABASE IF EXISTS :"db" WITH (FORCE);',
  "SQL",
  "  manager <<'SQL'",
  "SELECT slipway_previews.slipway_preview_drop(:'pr');",
  "SQL",
  "  exit 0",
  "fi",
  "preview <<'SQL'",
  "SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec",
  'REVOKE ALL ON DATABASE :"db" FROM PUBLIC;',
  "SQL",
  "manager <<'SQL'",
  "SELECT slipway_previews.slipway_preview_seal(:'pr');",
  "SQL",
  `b64() { printf '%s' "$1" | base64 | tr -d '\\n'; }`,
  'URL="postgresql://$PREVIEW_ROLE:$PREVIEW_PASSWORD@$PGHOST:$PGPORT/$PREVIEW_ROLE?sslmode=verify-full&sslrootcert=$PREVIEW_CA_FILE"',
  "umask 077",
  'cat > "$SECRET_FILE" <<EOF',
  "apiVersion: v1",
  "kind: Secret",
  "metadata:",
  "  name: database",
  "  namespace: $PREVIEW_NAMESPACE",
  "  labels: { app.kubernetes.io/managed-by: slipway-previews }",
  "type: Opaque",
  "data:",
  '  DATABASE_HOST: $(b64 "$PGHOST")',
  '  DATABASE_PORT: $(b64 "$PGPORT")',
  '  DATABASE_NAME: $(b64 "$PREVIEW_ROLE")',
  '  DATABASE_USER: $(b64 "$PREVIEW_ROLE")',
  '  DATABASE_PASSWORD: $(b64 "$PREVIEW_PASSWORD")',
  "  DATABASE_SSLMODE: $(b64 verify-full)",
  '  DATABASE_SSLROOTCERT: $(b64 "$PREVIEW_CA_FILE")',
  '  DATABASE_URL: $(b64 "$URL")',
  `  rds-ca.pem: $(base64 < "$PGSSLROOTCERT" | tr -d '\\n')`,
  "EOF",
  "",
].join("\n");


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
