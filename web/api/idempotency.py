"""``Idempotency-Key``: a retried command returns the first response and records nothing new.

The request runs with a ``Request`` on its actor, whose id — a hash of the
user, the key and the request itself — goes into every event it causes. A
request that died after recording, before it could store its response,
leaves its key claimed; once the claim's lease has expired a retry takes the
key over, and the service, finding the id already recorded, answers with
the case as recorded (``Idempotent-Replayed: true``) instead of acting again.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import wraps

from flask import current_app, g, make_response, request

from domain.errors import ValidationFailed
from domain.idempotency import Request, StoredResponse


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
            b"\x1f".join([request.method.encode(), request.path.encode(), request.get_data()])
        ).hexdigest()
        claim = store.claim(scope, key, fingerprint)
        if isinstance(claim, StoredResponse):
            return _replay(claim)
        ours = Request(hashlib.sha256("\x1f".join([scope, key, fingerprint]).encode()).hexdigest()[:32])
        g.actor = replace(g.actor, request=ours)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            store.release(scope, key, claim)
            raise
        if ours.answered_from_record:
            response.headers["Idempotent-Replayed"] = "true"
        if 200 <= response.status_code < 300:
            store.complete(
                scope, key, claim, StoredResponse(response.status_code, response.get_data(), response.content_type)
            )
        else:
            store.release(scope, key, claim)
        return response

    return wrapper


def _replay(stored: StoredResponse):
    response = make_response(stored.body, stored.status)
    response.content_type = stored.content_type
    response.headers["Idempotent-Replayed"] = "true"
    return response
