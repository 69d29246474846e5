"""What the routes of every case kind share: the options every command carries, the refusals every
route documents, and one POST route per command, all of them built the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import g

from web.api.blueprint import Blueprint
from web.api.idempotency import idempotent
from web.errors import ErrorSchema

ERRORS = (400, 401, 403, 404, 409, 413, 422)


def split(data: dict) -> tuple[dict, dict]:
    """A command's own fields, and the options every command may carry (docs/http-api.md, commands)."""
    opts = {k: data.pop(k) for k in ("expected_version", "occurred_at") if k in data}
    return data, opts


def documenting_errors(blp: Blueprint) -> Callable:
    """A decorator that documents every refusal a route of ``blp`` may answer with (nothing recorded)."""

    def documented_errors(view):
        for status in ERRORS:
            view = blp.alt_response(status, schema=ErrorSchema, description="refused; nothing recorded")(view)
        return view

    return documented_errors


def command_routes(
    blp: Blueprint,
    kind: str,
    commands: Mapping[str, tuple[str, Any, str]],
    case_schema: Any,
    service: Callable[[], Any],
    present: Callable[[Any], Any],
) -> None:
    """``POST …/<id>/<path>`` for each ``path: (service method, body schema, summary)``: idempotent, the body
    validated, the case answered as ``present`` shows it."""
    documented_errors = documenting_errors(blp)

    def command_view(path: str, method: str, summary: str):
        def view(data, case_id):
            fields, opts = split(data)
            return present(getattr(service(), method)(case_id, g.actor, **fields, **opts))

        view.__name__ = f"{path.replace('-', '_')}_{kind}"
        view.__doc__ = summary
        return view

    for path, (method, schema, summary) in commands.items():
        blp.route(f"/<uuid:case_id>/{path}", methods=["POST"], endpoint=f"{path.replace('-', '_')}_{kind}")(
            idempotent(
                blp.arguments(schema)(
                    blp.response(200, case_schema)(documented_errors(command_view(path, method, summary)))
                )
            )
        )
