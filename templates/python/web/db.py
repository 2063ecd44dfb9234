"""Database connections. Each new connection reads the credentials as they are now, so a rotated
password reaches new connections without a restart.

On the platform the pod gets (no password in any variable):
  DATABASE_HOST, DATABASE_PORT, DATABASE_NAME  where to connect
  DATABASE_SSLMODE, DATABASE_SSLROOTCERT       verify-full against the mounted RDS CA bundle
  DATABASE_CREDENTIALS_FILE                    a JSON file {"username": ..., "password": ...}: the
                                               database's secret, mounted by the Secrets Store CSI
                                               driver, which replaces it when the secret rotates
For local development DATABASE_URL (or DATABASE_URL_FILE, re-read too) is used when no credentials
file is named. Migrations may use their own: MIGRATE_DATABASE_CREDENTIALS_FILE (with the
MIGRATE_DATABASE_ settings, each falling back to the DATABASE_ one), MIGRATE_DATABASE_URL_FILE or
MIGRATE_DATABASE_URL.
"""
import json
import os
from pathlib import Path

import psycopg

HEALTH_TIMEOUT_SECONDS = 2
CONNECT_TIMEOUT_SECONDS = 5
# libpq's own default would be "prefer" (no certificate check): never that for a credentials file.
DEFAULT_SSLMODE = "verify-full"


class DatabaseNotConfigured(RuntimeError):
    """No way to connect is set, or the credentials file cannot be used (never says its content)."""


# The name earlier releases of the skeleton used.
DatabaseUrlMissing = DatabaseNotConfigured


def _setting(prefix: str, name: str) -> str | None:
    """`<prefix>_<name>`, else (for the migration's prefix) `DATABASE_<name>`."""
    return os.environ.get(f"{prefix}_{name}") or os.environ.get(f"DATABASE_{name}")


def _read_credentials(file: str) -> tuple[str, str]:
    """(username, password) from the JSON file, read now: a rotated secret is used at once."""
    try:
        credentials = json.loads(Path(file).read_text(encoding="utf-8"))
    except ValueError as error:
        raise DatabaseNotConfigured(f"{file}: not a JSON object with username and password ({type(error).__name__})") from None
    if not isinstance(credentials, dict) or not all(isinstance(credentials.get(key), str) and credentials[key] for key in ("username", "password")):
        raise DatabaseNotConfigured(f"{file}: a JSON object with non-empty username and password strings is expected")
    return credentials["username"], credentials["password"]


def connection_parameters(prefix: str = "DATABASE") -> dict:
    """How to connect now: psycopg.connect's keyword arguments (`conninfo` for a URL)."""
    credentials_file = os.environ.get(f"{prefix}_CREDENTIALS_FILE")
    if credentials_file:
        host, name = _setting(prefix, "HOST"), _setting(prefix, "NAME")
        if not host or not name:
            raise DatabaseNotConfigured(f"{prefix}_CREDENTIALS_FILE is set: set DATABASE_HOST and DATABASE_NAME too")
        user, password = _read_credentials(credentials_file)
        parameters = {
            "host": host,
            "port": _setting(prefix, "PORT") or "5432",
            "dbname": name,
            "user": user,
            "password": password,
            "sslmode": _setting(prefix, "SSLMODE") or DEFAULT_SSLMODE,
        }
        root_cert = _setting(prefix, "SSLROOTCERT")
        if root_cert:
            parameters["sslrootcert"] = root_cert
        return parameters
    return {"conninfo": database_url(f"{prefix}_URL")}


def database_url(variable: str = "DATABASE_URL") -> str:
    """The connection URL: the file named by `<variable>_FILE` (re-read every time), else `<variable>`."""
    file = os.environ.get(f"{variable}_FILE")
    if file:
        return Path(file).read_text(encoding="utf-8").strip()
    url = os.environ.get(variable)
    if not url:
        credentials = variable.removesuffix("_URL") + "_CREDENTIALS_FILE"
        raise DatabaseNotConfigured(f"set {credentials} (with DATABASE_HOST and DATABASE_NAME), or {variable} (or {variable}_FILE) to a postgresql:// URL")
    return url


def has_settings(prefix: str) -> bool:
    """True when `<prefix>_CREDENTIALS_FILE`, `<prefix>_URL` or `<prefix>_URL_FILE` is set."""
    return any(os.environ.get(f"{prefix}_{name}") for name in ("CREDENTIALS_FILE", "URL", "URL_FILE"))


def connect(prefix: str = "DATABASE", timeout_seconds: int = CONNECT_TIMEOUT_SECONDS, **parameters) -> psycopg.Connection:
    """A new connection with the credentials as they are now."""
    return psycopg.connect(**connection_parameters(prefix), connect_timeout=timeout_seconds, **parameters)


def ping() -> None:
    """`SELECT 1` on a new connection, within HEALTH_TIMEOUT_SECONDS to connect and to answer."""
    milliseconds = HEALTH_TIMEOUT_SECONDS * 1000
    with connect(timeout_seconds=HEALTH_TIMEOUT_SECONDS, options=f"-c statement_timeout={milliseconds}") as connection:
        connection.execute("SELECT 1").fetchone()
