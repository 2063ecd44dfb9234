"""On the platform each connection signs a new IAM token with the pod's credentials: no password anywhere."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from web import db

PLATFORM = {
    "DATABASE_HOST": "db.example.internal",
    "DATABASE_PORT": "5432",
    "DATABASE_NAME": "app",
    "DATABASE_USER": "app_app",
    "DATABASE_AUTH": "iam",
    "DATABASE_REGION": "eu-west-1",
    "DATABASE_SSLMODE": "verify-full",
    "DATABASE_SSLROOTCERT": "/etc/ssl/rds/global-bundle.pem",
}
# Fake credentials: the token is signed locally, nothing reaches AWS.
FAKE_KEY = {"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret"}
CLEARED = ("DATABASE_URL", "DATABASE_URL_FILE", "MIGRATE_DATABASE_URL", "MIGRATE_DATABASE_URL_FILE", "MIGRATE_DATABASE_USER", "MIGRATE_DATABASE_AUTH",
           "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


@pytest.fixture
def platform(monkeypatch, tmp_path):
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**PLATFORM, **FAKE_KEY}.items():
        monkeypatch.setenv(name, value)
    # No shared config or credentials files of the machine running the tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    db._rds_client.cache_clear()
    yield
    db._rds_client.cache_clear()


def token_of(parameters):
    """The token's host and query, as RDS reads it (a presigned URL without its scheme)."""
    url = urlsplit("https://" + parameters["password"])
    return url.netloc, {key: values[0] for key, values in parse_qs(url.query).items()}


def test_the_password_is_an_iam_token_for_the_role_signed_with_the_pods_credentials(platform):
    parameters = db.connection_parameters()
    assert {k: v for k, v in parameters.items() if k != "password"} == {
        "host": "db.example.internal",
        "port": "5432",
        "dbname": "app",
        "user": "app_app",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/rds/global-bundle.pem",
    }
    host, query = token_of(parameters)
    assert host == "db.example.internal:5432"
    assert query["Action"] == "connect"
    assert query["DBUser"] == "app_app"
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-Credential"].startswith("AKIAFAKEFAKEFAKEFAKE/")
    assert query["X-Amz-Credential"].endswith("/eu-west-1/rds-db/aws4_request")
    assert len(query["X-Amz-Signature"]) == 64


def test_each_connection_signs_a_new_token(platform):
    first = token_of(db.connection_parameters())[1]
    time.sleep(1.1)
    second = token_of(db.connection_parameters())[1]
    assert first["X-Amz-Date"] < second["X-Amz-Date"]
    assert first["X-Amz-Signature"] != second["X-Amz-Signature"]


def test_without_sslmode_the_server_is_still_verified(platform, monkeypatch):
    monkeypatch.delenv("DATABASE_SSLMODE")
    assert db.connection_parameters()["sslmode"] == "verify-full"


def test_iam_needs_host_name_user_and_region(platform, monkeypatch):
    for name in ("DATABASE_USER", "DATABASE_REGION"):
        monkeypatch.delenv(name)
    with pytest.raises(db.DatabaseNotConfigured, match="DATABASE_AUTH=iam: set DATABASE_USER, DATABASE_REGION too"):
        db.connection_parameters()


def test_an_unknown_method_is_refused(platform, monkeypatch):
    monkeypatch.setenv("DATABASE_AUTH", "password")
    with pytest.raises(db.DatabaseNotConfigured, match="the only method is 'iam'"):
        db.connection_parameters()


def test_no_credentials_says_so_without_a_secret(platform, monkeypatch):
    for name in FAKE_KEY:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(db.DatabaseNotConfigured, match="cannot sign an IAM database token for app_app"):
        db.connection_parameters()


def test_migrations_connect_as_their_own_role_falling_back_to_the_apps_settings(platform, monkeypatch):
    assert not db.has_settings("MIGRATE_DATABASE")
    monkeypatch.setenv("MIGRATE_DATABASE_USER", "app_owner")
    assert db.has_settings("MIGRATE_DATABASE")
    parameters = db.connection_parameters("MIGRATE_DATABASE")
    assert (parameters["user"], parameters["host"], parameters["sslmode"]) == ("app_owner", "db.example.internal", "verify-full")
    assert token_of(parameters)[1]["DBUser"] == "app_owner"


def test_a_migration_url_wins_over_the_apps_iam_settings(platform, monkeypatch):
    monkeypatch.setenv("MIGRATE_DATABASE_URL", "postgresql://owner@localhost/app")
    assert db.connection_parameters("MIGRATE_DATABASE") == {"conninfo": "postgresql://owner@localhost/app"}


def test_the_url_file_is_read_again_for_every_connection(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_AUTH", raising=False)
    secret = tmp_path / "database-url"
    secret.write_text("postgresql://app:first@db/app\n")
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    monkeypatch.setenv("DATABASE_URL", "postgresql://ignored")
    assert db.database_url() == "postgresql://app:first@db/app"
    secret.write_text("postgresql://app:rotated@db/app\n")
    assert db.connection_parameters() == {"conninfo": "postgresql://app:rotated@db/app"}


def test_the_variable_is_read_when_no_file_is_named(monkeypatch):
    for name in ("DATABASE_AUTH", "DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:now@db/app")
    assert db.database_url() == "postgresql://app:now@db/app"


def test_nothing_set_names_what_to_set(monkeypatch):
    for name in ("DATABASE_AUTH", "DATABASE_URL", "DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(db.DatabaseNotConfigured, match="set DATABASE_AUTH=iam .* or DATABASE_URL"):
        db.connection_parameters()
