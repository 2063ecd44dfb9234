"""Schema migrations: the SQL files in migrations/, applied in order, each once.

`python -m migrate` applies every file not yet applied, each in its own transaction, and records
it in the `schema_migrations` table with a checksum. A PostgreSQL advisory lock makes concurrent
runs (two pipelines, a retried job) wait for each other instead of racing. An applied file must
never change: the run fails if its checksum differs. Versions the database has but this code does
not (a newer release migrated first, and this one is a rollback) are reported and left alone: with
the expand/contract rule (README.md) an older release still runs on the newer schema.

A file whose first line is `-- migrate: no-transaction` runs outside a transaction, for statements
PostgreSQL refuses inside one, such as CREATE INDEX CONCURRENTLY. It holds one such statement.
"""
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from web import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
NO_TRANSACTION = "-- migrate: no-transaction"
# pg_advisory_lock's key: any fixed number, the same in every release of this app.
LOCK_KEY = 7_368_225_001


class MigrationError(Exception):
    """A problem that stops the run: a bad file name, a duplicate version, an edited migration."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    @property
    def transactional(self) -> bool:
        return not self.sql.startswith(NO_TRANSACTION)


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `directory`, in version order; other .sql names and duplicates are errors."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: a migration is named NNNN_words.sql (4 digits, lower-case words), e.g. 0002_add_orders.sql")
        version = int(match.group(1))
        if version in migrations:
            raise MigrationError(f"{path}: version {version:04d} is also {migrations[version].name}")
        migrations[version] = Migration(version, path.name, path.read_text(encoding="utf-8"))
    return [migrations[v] for v in sorted(migrations)]


def migrate(connection, migrations: list[Migration], out=sys.stdout) -> list[Migration]:
    """Applies the migrations not yet applied; returns those it applied.

    Holds the advisory lock until `connection` closes (a session lock ends with its session).
    """
    connection.autocommit = True
    connection.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied = {v: (name, checksum) for v, name, checksum in connection.execute("SELECT version, name, checksum FROM schema_migrations")}
    known = {m.version for m in migrations}
    for version in sorted(set(applied) - known):
        print(f"note: the database has {applied[version][0]}, which this release does not know (a newer release applied it)", file=out)
    done = []
    for migration in migrations:
        if migration.version in applied:
            if applied[migration.version][1] != migration.checksum:
                raise MigrationError(f"{migration.name} was changed after it was applied: undo the change and add a new migration instead")
            continue
        print(f"applying {migration.name}", file=out)
        record = "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)"
        try:
            if migration.transactional:
                with connection.transaction():
                    connection.execute(migration.sql)
                    connection.execute(record, (migration.version, migration.name, migration.checksum))
            else:
                connection.execute(migration.sql)
                connection.execute(record, (migration.version, migration.name, migration.checksum))
        except psycopg.Error as error:
            undone = "nothing of it was applied" if migration.transactional else "it ran outside a transaction: check what it left"
            raise MigrationError(f"{migration.name} failed ({undone}): {error}") from error
        done.append(migration)
    print(f"schema up to date: {len(done)} applied, {len(migrations) - len(done)} already applied", file=out)
    return done


def main() -> int:
    try:
        migrations = discover()
        # The schema owner's credentials when the platform gives them, else the app's.
        variable = "MIGRATE_DATABASE_URL" if db.has_url("MIGRATE_DATABASE_URL") else "DATABASE_URL"
        with db.connect(variable) as connection:
            migrate(connection, migrations)
    except (MigrationError, db.DatabaseUrlMissing, psycopg.OperationalError) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    return 0
