"""联合办理 (joint handling, 004 item 六): the two command bodies and the case's ``joint_handling`` record."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from web.api.schemas.common import Command, Text, required_text

UNIT_CODE = Text(validate=validate.Length(min=1, max=64))
MAX_UNITS = 50  # more units than a joint meeting ever seats


class JointHandlingSchema(Command):
    units = ma.fields.List(
        UNIT_CODE,
        required=True,
        validate=validate.Length(max=MAX_UNITS),
        metadata={"description": "the units whose responsibility is unclear or shared: two or more, active"},
    )
    reason = required_text(2000)


class JointMeetingSchema(Command):
    held_on = ma.fields.Date(
        required=True,
        metadata={"description": "the day the 联席会议 was held: not in the future, not before the marking"},
    )
    units = ma.fields.List(
        UNIT_CODE,
        required=True,
        validate=validate.Length(max=MAX_UNITS),
        metadata={"description": "the units present: two or more"},
    )
    decision = required_text(4000)
    lead_unit = Text(
        validate=validate.Length(min=1, max=64),
        allow_none=True,
        metadata={"description": "the lead unit the meeting settles on, one of units: the case is forwarded to it"},
    )


class JointMeetingRecordSchema(ma.Schema):
    held_on = ma.fields.String(required=True)
    units = ma.fields.List(ma.fields.String(), required=True)
    decision = ma.fields.String(required=True)
    lead_unit = ma.fields.String(allow_none=True)
    at = ma.fields.String(metadata={"description": "when the meeting was recorded as occurring"})
    seq = ma.fields.Integer()


class JointRecordSchema(ma.Schema):
    units = ma.fields.List(ma.fields.String(), required=True)
    reason = ma.fields.String(required=True)
    marked_at = ma.fields.String(required=True)
    meetings = ma.fields.List(ma.fields.Nested(JointMeetingRecordSchema), required=True)
    lead_unit = ma.fields.String(
        allow_none=True, metadata={"description": "the lead unit the latest settling meeting named"}
    )
    settled_at = ma.fields.String(allow_none=True)
    time_limit = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "the name of the deadline the marking started (the profile's 限时办结); null: the "
            "profile sets none (004 gives no number; a local profile sets it)"
        },
    )


class JointHandlingMonthSchema(ma.Schema):
    marked = ma.fields.Integer(required=True, metadata={"description": "cases marked in the period"})
    meetings = ma.fields.Integer(required=True, metadata={"description": "joint meetings held (held_on) in the period"})
    settled = ma.fields.Integer(
        required=True, metadata={"description": "cases a meeting settled on a lead unit in the period"}
    )
    open = ma.fields.Integer(
        required=True,
        metadata={
            "description": "joint-handling cases marked before the period's end and, at its end, neither settled, "
            "closed nor merged"
        },
    )
