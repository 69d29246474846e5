"""``Idempotency-Key``: a retried command returns the first response and records nothing new."""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import current_app, g, make_response, request

from domain.errors import ValidationFailed
from domain.idempotency import StoredResponse


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise ValidationFailed({"Idempotency-Key": "1-255 printable characters"})
        store = current_app.extensions["caseledger"].idempotency
        scope = g.actor.user
        fingerprint = hashlib.sha256(
            b"\x1f".join([request.method.encode(), request.path.encode(), request.get_data()])).hexdigest()
        stored = store.claim(scope, key, fingerprint)
        if stored is not None:
            response = make_response(stored.body, stored.status)
            response.content_type = stored.content_type
            response.headers["Idempotent-Replayed"] = "true"
            return response
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            store.release(scope, key)
            raise
        if 200 <= response.status_code < 300:
            store.complete(scope, key, StoredResponse(response.status_code, response.get_data(), response.content_type))
        else:
            store.release(scope, key)
        return response

    return wrapper
