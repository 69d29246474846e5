"""Flask application factory."""

from __future__ import annotations

from flask import Flask, jsonify

from web.bootstrap import Container, Settings, bootstrap


def create_app(container: Container | None = None, settings: Settings | None = None) -> Flask:
    app = Flask(__name__)
    container = container or bootstrap(settings)
    app.extensions["caseledger"] = container

    @app.get("/healthz")
    def healthz():
        """Liveness and database reachability: reads the head of the event log."""
        try:
            head = container.appeals.recorder.max_notification_id()
        except Exception as exc:  # any driver error means the store is unreachable
            return jsonify({"status": "error", "database": container.database.kind,
                            "error": type(exc).__name__}), 503
        return jsonify({"status": "ok", "database": container.database.kind, "events": head or 0})

    return app
