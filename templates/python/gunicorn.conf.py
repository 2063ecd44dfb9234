"""gunicorn's settings for {{slipway.appName}} (command-line options override them)."""
import os

# All interfaces inside the pod; the platform's network policy decides who may connect.
bind = [f"0.0.0.0:{os.environ.get('PORT', '{{slipway.port}}')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Workers' heartbeat files: /tmp is the only writable path (the root filesystem is read-only).
worker_tmp_dir = "/tmp"
# Kubernetes sends SIGTERM and waits 30 s: finish requests in flight well before that.
graceful_timeout = 20
timeout = 30
# Requests and errors to stdout/stderr, where the platform collects container logs.
accesslog = "-"
errorlog = "-"
