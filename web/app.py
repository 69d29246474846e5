"""Flask application factory: the JSON API of docs/http-api.md, its OpenAPI document, health.

A worker starts even while the database is unreachable: the container is
wired in the background, retried every second, and until it is ready every
request is a 503 ``database_unavailable`` (``/healthz`` too, in its own
shape). Once wired, an outage is the pool's to report (adapters.persistence.pg_pool):
requests fail at once with the same 503, and recover when the database does.
"""

from __future__ import annotations

import io
import logging
import threading
import time

from flask import Flask, current_app, jsonify, request
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from adapters.persistence.database import database_kind
from adapters.persistence.pg_pool import UNAVAILABLE
from web import errors
from web.api import accountability as api_accountability
from web.api import appeals as api_appeals
from web.api import approvals as api_approvals
from web.api import auth as api_auth
from web.api import reads as api_reads
from web.api import reports as api_reports
from web.api import tlog as api_tlog
from web.api import units as api_units
from web.api.schemas.cases import AppealSchema
from web.auth import authenticate_request
from web.bootstrap import Container, Settings, bootstrap, local_secret
from web.input_guard import refuse_malformed_input
from web.workspace import accountability as workspace_accountability  # noqa: F401 - 问责 pages, same blueprint
from web.workspace import admin as workspace_admin  # noqa: F401 - the administrators' pages join it too
from web.workspace import audit as workspace_audit  # noqa: F401 - the auditors' pages join the workspace blueprint
from web.workspace import cases as workspace_cases  # noqa: F401 - the case pages' routes join the workspace blueprint
from web.workspace import intake as workspace_intake  # noqa: F401 - the platform's and the window's own pages
from web.workspace import joint as workspace_joint  # noqa: F401 - 联合办理台账, same blueprint
from web.workspace import pages as workspace
from web.workspace import reports as workspace_reports  # noqa: F401 - the reports' pages, same blueprint

HEALTH_TIMEOUT = 0.5  # seconds /healthz waits for a database connection
START_RETRY = 1.0
log = logging.getLogger(__name__)


class CaseledgerApi(Api):
    """flask-smorest, with the API's error shape (docs/http-api.md *Errors*) documented and produced."""

    ERROR_SCHEMA = errors.ErrorSchema

    def _register_error_handlers(self):
        errors.register(self._app)


def create_app(container: Container | None = None, settings: Settings | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)  # none of its own: /static/ is the workspace's (its stylesheet)
    settings = container.settings if container else settings or Settings.from_env()
    if container is None:
        _start(app, settings)
    else:
        app.extensions["caseledger"] = container
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="caseledger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Event-sourced case management for enterprise appeals (企业诉求) and approvals (审批)."
            },
            "security": [{"bearerAuth": []}],
        },
    )
    app.secret_key = settings.secret_key or local_secret()  # the sessions of the web workspace
    api = CaseledgerApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    # Schemas renamed since the document was first published keep their component names.
    api.spec.components.schema("Case", schema=AppealSchema)
    # WSGI middleware as Flask documents it: wrapping ``wsgi_app``, which its types call a method.
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, settings.max_body_bytes)  # type: ignore[method-assign]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.before_request(refuse_malformed_input)
    app.before_request(_wired)
    app.before_request(authenticate_request)
    for blueprint in (
        api_auth.blp,
        api_appeals.blp,
        api_approvals.blp,
        api_accountability.blp,
        api_units.blp,
        api_reads.blp,
        api_reports.blp,
        api_tlog.blp,
    ):
        api.register_blueprint(blueprint)
    workspace.init_app(app)

    @app.get("/healthz")
    def healthz():
        """Liveness and database reachability (within HEALTH_TIMEOUT): reads the head of the event log."""
        wired: Container | None = app.extensions.get("caseledger")
        kind = database_kind(settings.database_url)
        if wired is None:
            return jsonify({"status": "starting", "database": kind, "error": "DatabaseUnavailable"}), 503
        try:
            head = wired.database_head(HEALTH_TIMEOUT)
        except Exception as exc:  # any driver error means the store is unreachable
            return jsonify({"status": "error", "database": kind, "error": type(exc).__name__}), 503
        return jsonify({"status": "ok", "database": kind, "events": head})

    return app


class ChunkedBodyLimit:
    """A chunked request body (no Content-Length) is read here, up to the limit, and given its length.

    Under gunicorn such a body comes with ``wsgi.input_terminated``, and werkzeug stops reading it at
    ``MAX_CONTENT_LENGTH`` without a word (``LimitedStream.readall``): an over-long body reached the JSON
    parser cut short, a 400 instead of a 413. Here it becomes a body with a Content-Length; over the
    limit, one byte longer than allowed with nothing left to read, so Flask refuses it as it refuses any
    long Content-Length (413 ``too_large``).
    """

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get("CONTENT_LENGTH"):
            stream, body = environ["wsgi.input"], bytearray()
            while len(body) <= self.limit and (chunk := stream.read(min(65536, self.limit + 1 - len(body)))):
                body += chunk
            environ["wsgi.input"] = io.BytesIO(b"" if len(body) > self.limit else bytes(body))
            environ["CONTENT_LENGTH"] = str(min(len(body), self.limit + 1))
            del environ["HTTP_TRANSFER_ENCODING"]  # werkzeug ignores Content-Length beside it
        return self.app(environ, start_response)


def _wired():
    """``before_request``: a 503 until the container is wired (health answers for itself)."""
    if "caseledger" not in current_app.extensions and request.endpoint != "healthz":
        return errors.database_unavailable("the service is starting and the database is not reachable yet")
    return None


def _start(app: Flask, settings: Settings) -> None:
    """Wires the container now, or, if the database does not answer, in the background until it does.

    Any other failure (a bad profile, a bad URL) still stops the start-up, as it should.
    """
    try:
        app.extensions["caseledger"] = bootstrap(settings)
        return
    except UNAVAILABLE as exc:
        log.warning("database unreachable at start-up (%s); serving 503 until it answers", exc)

    def wire() -> None:
        while True:
            time.sleep(START_RETRY)
            try:
                app.extensions["caseledger"] = bootstrap(settings)
            except UNAVAILABLE:
                continue
            except Exception:  # the first attempt got past the configuration: keep trying, loudly
                log.exception("wiring the service failed; trying again")
                continue
            log.warning("database reachable; the service is ready")
            return

    threading.Thread(target=wire, name="caseledger-start", daemon=True).start()
