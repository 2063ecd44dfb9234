"""Credentials are read when a connection is opened, so a rotated password needs no restart."""
import json

import pytest

from web import db

PLATFORM = {
    "DATABASE_HOST": "db.example.internal",
    "DATABASE_PORT": "5432",
    "DATABASE_NAME": "app",
    "DATABASE_SSLMODE": "verify-full",
    "DATABASE_SSLROOTCERT": "/etc/ssl/rds/global-bundle.pem",
}


@pytest.fixture
def platform(tmp_path, monkeypatch):
    """The pod's environment on the platform; returns a function that rewrites the mounted credentials."""
    for name in ("DATABASE_URL", "DATABASE_URL_FILE", "MIGRATE_DATABASE_URL", "MIGRATE_DATABASE_URL_FILE", "MIGRATE_DATABASE_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in PLATFORM.items():
        monkeypatch.setenv(name, value)
    credentials = tmp_path / "credentials.json"
    monkeypatch.setenv("DATABASE_CREDENTIALS_FILE", str(credentials))

    def write(username, password):
        credentials.write_text(json.dumps({"username": username, "password": password}))

    write("app_admin", "first")
    return write


def test_the_credentials_file_is_read_again_for_every_connection(platform):
    assert db.connection_parameters() == {
        "host": "db.example.internal",
        "port": "5432",
        "dbname": "app",
        "user": "app_admin",
        "password": "first",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/rds/global-bundle.pem",
    }
    platform("app_admin", "rotated")
    assert db.connection_parameters()["password"] == "rotated"


def test_the_credentials_file_wins_over_a_url(platform, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://ignored")
    assert db.connection_parameters()["user"] == "app_admin"


def test_without_sslmode_a_credentials_file_still_verifies_the_server(platform, monkeypatch):
    monkeypatch.delenv("DATABASE_SSLMODE")
    assert db.connection_parameters()["sslmode"] == "verify-full"


def test_a_bad_credentials_file_names_the_file_and_never_its_content(platform, tmp_path):
    (tmp_path / "credentials.json").write_text('{"username": "app_admin", "password": ""}')
    with pytest.raises(db.DatabaseNotConfigured, match="credentials.json: a JSON object with non-empty username and password") as error:
        db.connection_parameters()
    (tmp_path / "credentials.json").write_text("{not json s3cr3t")
    with pytest.raises(db.DatabaseNotConfigured, match="credentials.json: not a JSON object") as error:
        db.connection_parameters()
    assert "s3cr3t" not in str(error.value)


def test_a_credentials_file_needs_host_and_name(platform, monkeypatch):
    monkeypatch.delenv("DATABASE_HOST")
    with pytest.raises(db.DatabaseNotConfigured, match="set DATABASE_HOST and DATABASE_NAME"):
        db.connection_parameters()


def test_migrations_use_their_own_settings_falling_back_to_the_apps(platform, tmp_path, monkeypatch):
    owner = tmp_path / "owner.json"
    owner.write_text(json.dumps({"username": "app_owner", "password": "owner-secret"}))
    assert not db.has_settings("MIGRATE_DATABASE")
    monkeypatch.setenv("MIGRATE_DATABASE_CREDENTIALS_FILE", str(owner))
    assert db.has_settings("MIGRATE_DATABASE")
    parameters = db.connection_parameters("MIGRATE_DATABASE")
    assert (parameters["user"], parameters["host"], parameters["sslmode"]) == ("app_owner", "db.example.internal", "verify-full")


def test_the_url_file_is_read_again_for_every_connection(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_CREDENTIALS_FILE", raising=False)
    secret = tmp_path / "database-url"
    secret.write_text("postgresql://app:first@db/app\n")
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    monkeypatch.setenv("DATABASE_URL", "postgresql://ignored")
    assert db.database_url() == "postgresql://app:first@db/app"
    secret.write_text("postgresql://app:rotated@db/app\n")
    assert db.connection_parameters() == {"conninfo": "postgresql://app:rotated@db/app"}


def test_the_variable_is_read_when_no_file_is_named(monkeypatch):
    monkeypatch.delenv("DATABASE_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:now@db/app")
    assert db.database_url() == "postgresql://app:now@db/app"


def test_nothing_set_names_what_to_set(monkeypatch):
    for name in ("DATABASE_CREDENTIALS_FILE", "DATABASE_URL", "DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(db.DatabaseNotConfigured, match="set DATABASE_CREDENTIALS_FILE .* or DATABASE_URL"):
        db.connection_parameters()
