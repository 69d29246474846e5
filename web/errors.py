"""Every refusal in one shape (docs/http-api.md *Errors*): ``{"error": {"code", "message", "fields"}}``.

Domain errors map to one status each; werkzeug's HTTP errors (400 malformed
JSON, 404, 405, 413) and webargs' validation errors (422) are reshaped the
same way, so a client never sees two error formats — and never a 500 for
bad input. A database that does not answer is a 503 ``database_unavailable``
with ``Retry-After``, at once (adapters.persistence.pg_pool fails fast while it is away).
The requests gunicorn refuses before the application sees them (too long a
request line or headers, a malformed request) are answered in the same shape
by ``web.worker``, from ``HTTP_CODES``.
"""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from adapters.persistence.pg_pool import UNAVAILABLE
from domain.errors import (
    AlreadyExists,
    AuthenticationFailed,
    CaseNotFound,
    DomainError,
    LoginThrottled,
    NotAllowedInState,
    NotPermitted,
    ValidationFailed,
    VersionConflict,
)
from domain.idempotency import KeyInProgress, KeyReused
from domain.time_source import utc_now
from projections.cases.deadline_watch import ReadModelBehind
from web.api.schemas.messages import flatten

STATUS = {
    CaseNotFound: 404,
    ValidationFailed: 422,
    NotAllowedInState: 409,
    VersionConflict: 409,
    NotPermitted: 403,
    AlreadyExists: 409,
    AuthenticationFailed: 401,
    LoginThrottled: 429,
    KeyInProgress: 409,
    KeyReused: 422,
}
HTTP_CODES = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    417: "expectation_failed",
    422: "validation_failed",
    429: "too_many_attempts",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}
RETRY_AFTER_UNAVAILABLE = "1"


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    # The body's own field "fields": marshmallow's metaclass declares it, whatever the name; the type
    # checker takes it for Schema.fields (the schema's fields by name), which it shadows only here.
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())  # type: ignore[assignment]


class ErrorSchema(ma.Schema):
    """The refusal's body (docs/http-api.md *Errors*)."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_document(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, headers: dict[str, str] | None = None
):
    response = jsonify(error_document(code, message, fields))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if status == 422 and messages:
        fields = flatten(messages)
        return error_response(422, "validation_failed", "; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    if status == 400 and messages:
        return error_response(400, "malformed_request", "the request body is not valid JSON")
    if status == 413:
        return error_response(413, "too_large", "the request body is larger than the configured limit")
    return error_response(status, HTTP_CODES.get(status, "error"), error.description or error.name)


def handle_domain_error(error: DomainError):
    status = next(s for cls, s in STATUS.items() if isinstance(error, cls)) if isinstance(error, tuple(STATUS)) else 400
    headers = {}
    if isinstance(error, LoginThrottled):
        wait = (error.until - _now()).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if isinstance(error, AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="caseledger"'
    return error_response(status, error.code, error.message, getattr(error, "fields", None), headers)


def _now():
    """The service's time source (the one the lockout was decided with), or the wall clock before it is wired."""
    wired = current_app.extensions.get("caseledger")
    return wired.clock() if wired is not None else utc_now()


def handle_read_model_behind(error: ReadModelBehind):
    return error_response(503, "read_models_behind", str(error), headers={"Retry-After": "5"})


def database_unavailable(message: str = "the database is not reachable; try again shortly"):
    return error_response(503, "database_unavailable", message, headers={"Retry-After": RETRY_AFTER_UNAVAILABLE})


def handle_unavailable(error: Exception):
    return database_unavailable()


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ReadModelBehind, handle_read_model_behind)
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, handle_unavailable)
