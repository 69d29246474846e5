"""Bodies of the hotline's own acts (docs/http-api.md *Answer at first contact and look-back*): the two
commands, what a case shows of them, and the bulletin's figures of both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import validate

from domain.appeals.hotline import DIRECT_METHODS
from web.api.schemas.common import Command, Text, required_text


class DirectAnswerSchema(Command):
    method = Text(
        required=True,
        validate=validate.OneOf(DIRECT_METHODS),
        metadata={"description": "首接负责: direct (直接答复), three_way_call (三方连线) or transfer (在线转接)"},
    )
    content = required_text(20000, metadata={"description": "how the enterprise was answered"})


class RecheckSchema(Command):
    holds = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "回头看: true, the solution holds (落实到位); false, it does not (未落实): the case is "
            "returned to its lead unit to redo (重办) with fresh clocks, and counts as a return"
        },
    )
    note = required_text(2000, metadata={"description": "what the look-back found"})
    sampled = ma.fields.Boolean(
        load_default=False, metadata={"description": "the case was drawn in a sample (抽样回访, 004 item 十四)"}
    )


class DirectAnswerInfoSchema(ma.Schema):
    method = Text(required=True, validate=validate.OneOf(DIRECT_METHODS))
    content = Text(required=True)
    at = ma.fields.String(required=True)
    seq = ma.fields.Integer(required=True)


class RecheckInfoSchema(ma.Schema):
    holds = ma.fields.Boolean(required=True)
    note = Text(required=True)
    sampled = ma.fields.Boolean(required=True)
    unit = Text(allow_none=True, metadata={"description": "the lead unit whose solution was looked back on"})
    at = ma.fields.String(required=True)
    seq = ma.fields.Integer(required=True)


def hotline_json(appeal: Any, iso: Callable[..., Any]) -> dict[str, Any]:
    direct = appeal.direct
    return {
        "direct": direct is not None,
        "direct_answer": {**direct, "at": iso(direct["at"])} if direct else None,
        "rechecks": [{**r, "at": iso(r["at"])} for r in appeal.rechecks],
    }


class DirectAnswerFiguresSchema(ma.Schema):
    count = ma.fields.Integer(required=True, metadata={"description": "即时办结: appeals answered at first contact"})
    by_method = ma.fields.Dict(
        keys=Text(validate=validate.OneOf(DIRECT_METHODS)),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": "the count by method: direct, three_way_call, transfer"},
    )


class RecheckFiguresSchema(ma.Schema):
    count = ma.fields.Integer(required=True, metadata={"description": "回头看 recorded in the period"})
    held = ma.fields.Integer(required=True, metadata={"description": "the solution holds (落实到位)"})
    not_held = ma.fields.Integer(required=True, metadata={"description": "it does not: returned to redo (重办)"})
    sampled = ma.fields.Integer(required=True, metadata={"description": "of them, drawn in a sample (抽样回访)"})
