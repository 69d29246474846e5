"""The API's blueprints: flask-smorest's, reading JSON bodies through ``load_json_body``.

webargs parses a body with ``json.loads`` and turns only ``JSONDecodeError`` into a 400. A body can fail
to parse in ways that raise other errors: an integer of more than 4,300 digits (Python refuses to
convert it, ``ValueError``), nesting beyond the interpreter's recursion limit (``RecursionError``), or
``NaN``/``Infinity`` (no JSON at all, which ``json.loads`` accepts). Each of those was a 500. Here every
body that cannot be parsed as JSON is a 400 ``malformed_request`` in the API's error shape, with what
was wrong, and reaches no route.
"""

from __future__ import annotations

import json
from typing import Any

import flask
from flask import abort
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json_body(body: bytes) -> Any:
    """The JSON value of a request body; a 400 (``werkzeug.exceptions.BadRequest``) if it has none."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        abort(400, description=f"the request body is not UTF-8 (byte {exc.start})")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        abort(400, description=f"the request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    except RecursionError:
        abort(400, description="the request body nests too deeply to be read")
    except ValueError as exc:  # a number Python will not convert (over 4,300 digits), NaN, Infinity
        message = str(exc)
        if "integer string conversion" in message:
            message = "a number in it has more digits than the server reads (4,300 at most)"
        abort(400, description=f"the request body is not valid JSON: {message}")


class BodyParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        return load_json_body(body) if body else core.missing


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint with ``BodyParser`` (for every ``@blp.arguments``)."""

    ARGUMENTS_PARSER = BodyParser()
