"""Database connections. Each new connection reads the current credentials, so a rotated password
(a new DATABASE_URL value, or a new file content) is used without a restart."""
import os
from pathlib import Path

import psycopg

HEALTH_TIMEOUT_SECONDS = 2
CONNECT_TIMEOUT_SECONDS = 5


class DatabaseUrlMissing(RuntimeError):
    """Neither NAME nor NAME_FILE is set."""


def database_url(variable: str = "DATABASE_URL") -> str:
    """The connection URL: the file named by `<variable>_FILE` (re-read every time), else `<variable>`."""
    file = os.environ.get(f"{variable}_FILE")
    if file:
        return Path(file).read_text(encoding="utf-8").strip()
    url = os.environ.get(variable)
    if not url:
        raise DatabaseUrlMissing(f"set {variable} (or {variable}_FILE) to a postgresql:// URL")
    return url


def has_url(variable: str) -> bool:
    """True when `<variable>` or `<variable>_FILE` is set."""
    return bool(os.environ.get(variable) or os.environ.get(f"{variable}_FILE"))


def connect(variable: str = "DATABASE_URL", timeout_seconds: int = CONNECT_TIMEOUT_SECONDS, **parameters) -> psycopg.Connection:
    """A new connection with the credentials as they are now."""
    return psycopg.connect(database_url(variable), connect_timeout=timeout_seconds, **parameters)


def ping() -> None:
    """`SELECT 1` on a new connection, within HEALTH_TIMEOUT_SECONDS to connect and to answer."""
    milliseconds = HEALTH_TIMEOUT_SECONDS * 1000
    with connect(timeout_seconds=HEALTH_TIMEOUT_SECONDS, options=f"-c statement_timeout={milliseconds}") as connection:
        connection.execute("SELECT 1").fetchone()
