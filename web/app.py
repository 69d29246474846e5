"""Flask application factory: the JSON API of API.md, its OpenAPI document, health."""

from __future__ import annotations

from flask import Flask, jsonify
from flask_smorest import Api

from web import api_accountability, api_appeals, api_auth, api_reads, api_reports, api_units, errors
from web.auth import authenticate_request
from web.input_guard import refuse_malformed_input
from web.bootstrap import Container, Settings, bootstrap


class CaseledgerApi(Api):
    """flask-smorest, with API.md's error shape documented and produced."""

    ERROR_SCHEMA = errors.ErrorSchema

    def _register_error_handlers(self):
        errors.register(self._app)


def create_app(container: Container | None = None, settings: Settings | None = None) -> Flask:
    app = Flask(__name__)
    container = container or bootstrap(settings)
    app.extensions["caseledger"] = container
    app.config.update(
        MAX_CONTENT_LENGTH=container.settings.max_body_bytes,
        API_TITLE="caseledger", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Event-sourced case management for enterprise appeals (企业诉求) and approvals (审批)."},
            "security": [{"bearerAuth": []}],
        },
    )
    api = CaseledgerApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    app.before_request(refuse_malformed_input)
    app.before_request(authenticate_request)
    for blueprint in (api_auth.blp, api_appeals.blp, api_accountability.blp, api_units.blp, api_reads.blp, api_reports.blp):
        api.register_blueprint(blueprint)

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
