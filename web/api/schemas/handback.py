"""Bodies of the ruling on a hand-back (派单异议审核, docs/http-api.md *Hand-back and its ruling*): the command,
and the ``handback`` of a case."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from web.api.schemas.common import Command, Text, required_text


class RuleHandbackSchema(Command):
    upheld = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "true (同意退单): the unit's clocks end as not binding and the case returns to the "
            "platform, re-forwarded (改派) to ``unit`` if given; false (不同意退单): the unit keeps the case, "
            "its clocks as they ran, and the misses held back while it waited are recorded as of their due times"
        },
    )
    note = required_text(2000, metadata={"description": "the ruling's reasons (审核意见)"})
    unit = Text(
        validate=validate.Length(min=1, max=64),
        allow_none=True,
        metadata={"description": "改派: with an upheld ruling, the unit the case is forwarded to in the same act"},
    )
    co_units = ma.fields.List(
        Text(validate=validate.Length(min=1, max=64)),
        load_default=list,
        metadata={"description": "co-handling units of the re-forwarding (with ``unit`` only)"},
    )


class HandbackRulingSchema(ma.Schema):
    upheld = ma.fields.Boolean(allow_none=True, metadata={"description": "null: re-forwarded before rulings existed"})
    note = Text(allow_none=True)
    unit = Text(allow_none=True, metadata={"description": "the unit re-forwarded to in the ruling's act (改派)"})
    at = ma.fields.String()
    seq = ma.fields.Integer(allow_none=True)


class HandbackSchema(ma.Schema):
    requested_at = ma.fields.String(required=True)
    reason = Text(required=True)
    unit = Text(allow_none=True, metadata={"description": "the unit that asked to hand the case back"})
    seq = ma.fields.Integer()
    ruling = ma.fields.Nested(
        HandbackRulingSchema, allow_none=True, metadata={"description": "null while the request awaits its ruling"}
    )
