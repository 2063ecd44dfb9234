"""The app without a database server: what it serves, that it reports an unreachable database,
and that with no database configured at all (`database: none`) it serves without one."""
import pytest

from web import APP_NAME, HEALTH_PATH, STATIC_URL_PATH, create_app, db

# Every setting that says the app has a database (web/db.py's configured()).
DATABASE_SETTINGS = ("DATABASE_HOST", "DATABASE_URL", "DATABASE_URL_FILE", "DATABASE_AUTH")


@pytest.fixture
def client(monkeypatch):
    # Nothing listens on port 1: every connection is refused at once.
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:not-a-secret@127.0.0.1:1/app")
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)
    monkeypatch.delenv("DATABASE_AUTH", raising=False)
    return create_app().test_client()


def test_health_is_503_when_the_database_is_unreachable(client):
    response = client.get(HEALTH_PATH)
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_health_is_503_with_half_the_platforms_database_settings(monkeypatch):
    # DATABASE_AUTH without DATABASE_HOST: a database is expected, so it is checked, and fails.
    for name in DATABASE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_AUTH", "iam")
    assert create_app().test_client().get(HEALTH_PATH).status_code == 503


def test_health_is_200_when_the_database_answers(client, monkeypatch):
    calls = []
    monkeypatch.setattr(db, "ping", lambda: calls.append("ping"))
    response = client.get(HEALTH_PATH)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert calls == ["ping"]


def test_home_page_is_503_when_the_database_is_unreachable(client):
    response = client.get("/")
    assert response.status_code == 503
    assert b"unavailable" in response.data


def test_static_assets_are_served_from_the_static_folder(client):
    response = client.get(f"{STATIC_URL_PATH}/app.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


@pytest.fixture
def no_database(monkeypatch):
    # As a pod of an app with `database: none`: no DATABASE_* setting at all.
    for name in DATABASE_SETTINGS:
        monkeypatch.delenv(name, raising=False)

    def fail(*args, **kwargs):
        raise AssertionError("the app tried to use a database it does not have")

    monkeypatch.setattr(db, "connect", fail)
    monkeypatch.setattr(db, "ping", fail)
    return create_app().test_client()


def test_without_a_database_health_is_200_and_checks_none(no_database):
    response = no_database.get(HEALTH_PATH)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "none"}


def test_without_a_database_the_home_page_shows_a_static_greeting(no_database):
    response = no_database.get("/")
    assert response.status_code == 200
    assert f'<h1 id="greeting">Hello from {APP_NAME}</h1>'.encode() in response.data
