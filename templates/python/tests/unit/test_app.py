"""The app without a database: what it serves, and that it reports an unreachable database."""
import pytest

from web import HEALTH_PATH, STATIC_URL_PATH, create_app, db


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


def test_health_is_503_without_a_database_url(client, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    assert client.get(HEALTH_PATH).status_code == 503


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
