"""{{slipway.appName}}: a small Flask app. gunicorn serves `web:create_app()` (see gunicorn.conf.py)."""
import logging
from pathlib import Path

import psycopg
from flask import Flask, render_template

from . import db

APP_NAME = "{{slipway.appName}}"
# The load balancer's and the platform's health checks call this path.
HEALTH_PATH = "{{slipway.healthPath}}"
# /app/static/ in the image. The pipeline publishes its files to the CDN, which serves them at
# this path; the app serves the same files itself for local runs and tests.
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL_PATH = "{{slipway.staticUrlPath}}"

log = logging.getLogger(__name__)


def create_app() -> Flask:
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path=STATIC_URL_PATH)
    # `database: none` in the platform file: no DATABASE_* settings reach the pod, so there is
    # nothing to check and nothing to read. With any database setting, the database is required.
    has_database = db.configured()
    if not has_database:
        # A warning so it shows in the pod's log without logging setup: a lost setting is visible.
        log.warning("no database configured (no DATABASE_HOST, DATABASE_URL or DATABASE_URL_FILE): running without one")

    @app.get(HEALTH_PATH)
    def health():
        if not has_database:
            return {"status": "ok", "database": "none"}, 200
        # Healthy means able to serve: the database answers now, on a fresh connection.
        try:
            db.ping()
        except (psycopg.Error, db.DatabaseNotConfigured, OSError) as error:
            log.warning("health check failed: database unavailable (%s)", type(error).__name__)
            return {"status": "unavailable", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}, 200

    @app.get("/")
    def index():
        if not has_database:
            return render_template("index.html", app_name=APP_NAME, greeting=f"Hello from {APP_NAME}")
        try:
            with db.connect() as connection:
                row = connection.execute("SELECT message FROM greetings ORDER BY id LIMIT 1").fetchone()
        except (psycopg.Error, db.DatabaseNotConfigured, OSError) as error:
            log.warning("page failed: database unavailable (%s)", type(error).__name__)
            return render_template("unavailable.html", app_name=APP_NAME), 503
        greeting = row[0] if row else f"Hello from {APP_NAME}"
        return render_template("index.html", app_name=APP_NAME, greeting=greeting)

    return app
