"""Database connections. On the platform there is no password at all: each new connection presents
a fresh IAM authentication token (valid 15 minutes), signed locally with the pod's own AWS
credentials (EKS Pod Identity), which botocore renews before they expire. Nothing rotates under
the app, and nothing needs a restart.

On the platform the pod gets:
  DATABASE_HOST, DATABASE_PORT, DATABASE_NAME  where to connect
  DATABASE_USER                                its own role (the server's, or the migration's: the schema owner)
  DATABASE_AUTH=iam, DATABASE_REGION           connect with an IAM token for that region
  DATABASE_SSLMODE, DATABASE_SSLROOTCERT       verify-full against the mounted RDS CA bundle
  AWS_CONTAINER_CREDENTIALS_FULL_URI, ...      set by EKS Pod Identity; botocore reads them
For local development DATABASE_URL (or DATABASE_URL_FILE, re-read for every connection) is used
when DATABASE_AUTH is not set. Migrations may use their own: MIGRATE_DATABASE_USER (with the
MIGRATE_DATABASE_ settings, each falling back to the DATABASE_ one), MIGRATE_DATABASE_URL_FILE or
MIGRATE_DATABASE_URL.

An app with `database: none` in the platform file gets none of these: `configured()` is False and
the app runs without a database (see web/__init__.py).
"""
import functools
import os
from pathlib import Path

import psycopg

HEALTH_TIMEOUT_SECONDS = 2
CONNECT_TIMEOUT_SECONDS = 5
# libpq's own default would be "prefer" (no certificate check): a token is never sent unverified.
DEFAULT_SSLMODE = "verify-full"
IAM = "iam"


class DatabaseNotConfigured(RuntimeError):
    """No way to connect is set, or the settings cannot be used (never says a credential)."""


# The name earlier releases of the skeleton used.
DatabaseUrlMissing = DatabaseNotConfigured


def _setting(prefix: str, name: str) -> str | None:
    """`<prefix>_<name>`, else (for the migration's prefix) `DATABASE_<name>`."""
    return os.environ.get(f"{prefix}_{name}") or os.environ.get(f"DATABASE_{name}")


@functools.lru_cache(maxsize=None)
def _rds_client(region: str):
    """One botocore RDS client per process: it keeps the pod's credentials and renews them itself."""
    import botocore.session  # only the platform's IAM path needs the AWS SDK

    return botocore.session.get_session().create_client("rds", region_name=region)


def iam_token(host: str, port: str, user: str, region: str) -> str:
    """A new IAM authentication token for `user` at `host:port`: signed here, no call to AWS."""
    try:
        return _rds_client(region).generate_db_auth_token(DBHostname=host, Port=int(port), DBUsername=user, Region=region)
    except Exception as error:  # botocore's NoCredentialsError and friends: say what, never a credential
        raise DatabaseNotConfigured(f"cannot sign an IAM database token for {user} ({type(error).__name__}): does the pod have its Pod Identity?") from None


def connection_parameters(prefix: str = "DATABASE") -> dict:
    """How to connect now: psycopg.connect's keyword arguments (`conninfo` for a URL)."""
    # A URL of the migration's own wins over the app's IAM settings (a local run as the owner).
    own_url = prefix != "DATABASE" and any(os.environ.get(f"{prefix}_{name}") for name in ("URL", "URL_FILE"))
    auth = None if own_url else _setting(prefix, "AUTH")
    if auth:
        if auth != IAM:
            raise DatabaseNotConfigured(f"{prefix}_AUTH is {auth!r}: the only method is 'iam' (unset it to use {prefix}_URL)")
        settings = {name: _setting(prefix, name) for name in ("HOST", "NAME", "USER", "REGION")}
        missing = [f"DATABASE_{name}" for name, value in settings.items() if not value]
        if missing:
            raise DatabaseNotConfigured(f"{prefix}_AUTH=iam: set {', '.join(missing)} too")
        port = _setting(prefix, "PORT") or "5432"
        parameters = {
            "host": settings["HOST"],
            "port": port,
            "dbname": settings["NAME"],
            "user": settings["USER"],
            "password": iam_token(settings["HOST"], port, settings["USER"], settings["REGION"]),
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
        auth = variable.removesuffix("_URL") + "_AUTH"
        raise DatabaseNotConfigured(f"set {auth}=iam (with DATABASE_HOST, DATABASE_NAME, DATABASE_USER and DATABASE_REGION), or {variable} (or {variable}_FILE) to a postgresql:// URL")
    return url


def configured() -> bool:
    """True when the app has a database: DATABASE_HOST (the platform), DATABASE_URL or
    DATABASE_URL_FILE (local) is set. DATABASE_AUTH counts too, so half the platform's settings
    still fail the health check instead of passing it without a database."""
    return any(os.environ.get(f"DATABASE_{name}") for name in ("HOST", "URL", "URL_FILE", "AUTH"))


def has_settings(prefix: str) -> bool:
    """True when `<prefix>_USER`, `<prefix>_AUTH`, `<prefix>_URL` or `<prefix>_URL_FILE` is set."""
    return any(os.environ.get(f"{prefix}_{name}") for name in ("USER", "AUTH", "URL", "URL_FILE"))


def connect(prefix: str = "DATABASE", timeout_seconds: int = CONNECT_TIMEOUT_SECONDS, **parameters) -> psycopg.Connection:
    """A new connection with credentials as they are now (a fresh token on the platform)."""
    return psycopg.connect(**connection_parameters(prefix), connect_timeout=timeout_seconds, **parameters)


def ping() -> None:
    """`SELECT 1` on a new connection, within HEALTH_TIMEOUT_SECONDS to connect and to answer."""
    milliseconds = HEALTH_TIMEOUT_SECONDS * 1000
    with connect(timeout_seconds=HEALTH_TIMEOUT_SECONDS, options=f"-c statement_timeout={milliseconds}") as connection:
        connection.execute("SELECT 1").fetchone()
