"""Checks a running deployment: `APP_URL=https://... python -m pytest -q tests/integration`.

The pipeline runs them in the deployed image after each rollout, with APP_URL set to the
environment's URL; a failure rolls the release back. Each request has a time limit.
"""
import json
import os
import urllib.error
import urllib.request

import pytest

HEALTH_PATH = "{{slipway.healthPath}}"
STATIC_URL_PATH = "{{slipway.staticUrlPath}}"
TIMEOUT_SECONDS = 10


def get(path: str):
    base = os.environ.get("APP_URL", "").rstrip("/")
    if not base:
        pytest.fail("APP_URL is not set: the URL of the deployment to check, e.g. https://app.example.com")
    try:
        with urllib.request.urlopen(f"{base}{path}", timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_health_answers_ok():
    status, _, body = get(HEALTH_PATH)
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"


def test_home_page_shows_the_greeting():
    status, headers, body = get("/")
    assert status == 200, body
    assert headers.get_content_type() == "text/html"
    assert b'<h1 id="greeting">' in body


def test_static_assets_are_published():
    status, headers, _ = get(f"{STATIC_URL_PATH}/app.css")
    assert status == 200
    assert headers.get_content_type() == "text/css"
