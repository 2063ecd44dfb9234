"""Credentials are read when a connection is opened, so a rotated password needs no restart."""
import pytest

from web import db


def test_the_url_file_is_read_again_for_every_connection(tmp_path, monkeypatch):
    secret = tmp_path / "database-url"
    secret.write_text("postgresql://app:first@db/app\n")
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    monkeypatch.setenv("DATABASE_URL", "postgresql://ignored")
    assert db.database_url() == "postgresql://app:first@db/app"
    secret.write_text("postgresql://app:rotated@db/app\n")
    assert db.database_url() == "postgresql://app:rotated@db/app"


def test_the_variable_is_read_when_no_file_is_named(monkeypatch):
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:now@db/app")
    assert db.database_url() == "postgresql://app:now@db/app"


def test_a_missing_url_names_what_to_set(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)
    with pytest.raises(db.DatabaseUrlMissing, match="DATABASE_URL"):
        db.database_url()
