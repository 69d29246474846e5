"""Refuses input no route should ever see, before any route runs (docs/http-api.md *Errors*: 400 malformed).

- JSON nested deeper than ``MAX_JSON_DEPTH``: no body of this API nests more than a few levels, and
  a deep one would only exhaust the parser's recursion (a 500) or the worker's time;
- NUL (U+0000) in the path or the query: it is no character of any code, name or search text, and
  PostgreSQL refuses it in text, so it could only ever fail later, and worse.

Text inside JSON bodies is checked field by field by the schemas (``web.api.schemas.common.Text``), so that
the error names the field (422).
"""

from __future__ import annotations

import re

from flask import request

from web.errors import error_response

MAX_JSON_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    brackets = _STRINGS.sub(b'""', body).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= MAX_JSON_DEPTH:
        return min(len(brackets), MAX_JSON_DEPTH)  # cannot nest deeper than it has openings
    depth = deepest = 0
    for b in brackets:
        depth += 1 if b in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def refuse_malformed_input():
    """``before_request``: None to go on, or the 400 response."""
    if "\x00" in request.path:
        return error_response(400, "malformed_request", "the path must not contain NUL (%00)")
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return error_response(
                400,
                "malformed_request",
                f"query parameter {name!r} must not contain NUL (%00)",
                {name.replace("\x00", "\\u0000"): "must not contain NUL (%00)"},
            )
    if request.is_json and request.content_length != 0:
        if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
            return error_response(400, "malformed_request", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return None
