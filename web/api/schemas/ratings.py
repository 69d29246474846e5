"""Bodies of the 好差评 follow-through (docs/http-api.md *Bad ratings (好差评 follow-through)*):
the three commands, and the ``rating`` of a case."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from domain.appeals.ratings import BAD_LEVELS, PENDING, REJECTED, SET_ASIDE, UPHELD
from domain.status import SATISFACTION_LEVELS
from web.api.schemas.common import Command, Text, required_text

RECTIFICATION_STATUSES = ("pending", "overdue", "on_time", "late", SET_ASIDE, "superseded")


class RectifySchema(Command):
    content = required_text(20000, metadata={"description": "差评整改: what the unit did about the bad rating"})


class ContestRatingSchema(Command):
    reason = required_text(2000, metadata={"description": "申诉复核: why the bad rating is mistaken or malicious"})


class AdjudicateRatingSchema(Command):
    upheld = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "true: the contest is upheld (申诉成立), the rating is set aside in the adjudicated figures; "
            "false: the rating stands (维持原评价)"
        },
    )
    note = required_text(2000, metadata={"description": "the ruling's reasons (复核意见)"})


class RectificationSchema(ma.Schema):
    status = Text(
        required=True,
        validate=validate.OneOf(RECTIFICATION_STATUSES),
        metadata={
            "description": "pending, overdue (period ended unmet), on_time / late (rectified), set_aside (contest "
            "upheld: nothing to rectify), superseded (a later bad rating's rectification replaced it)"
        },
    )
    due = ma.fields.String(required=True, metadata={"description": "last moment of the rectification period"})
    provisional = ma.fields.Boolean(required=True)
    met_at = ma.fields.String(allow_none=True)
    overdue = ma.fields.Boolean(required=True)
    met_late = ma.fields.Boolean(required=True)
    content = Text(allow_none=True, metadata={"description": "the rectification as the unit recorded it"})


class ContestSchema(ma.Schema):
    reason = Text(required=True)
    unit = Text(allow_none=True, metadata={"description": "the unit that contested"})
    at = ma.fields.String(required=True)
    status = Text(required=True, validate=validate.OneOf([PENDING, UPHELD, REJECTED]))
    note = Text(allow_none=True, metadata={"description": "the adjudication's note"})
    decided_at = ma.fields.String(allow_none=True)


class RatingSchema(ma.Schema):
    seq = ma.fields.Integer(required=True, metadata={"description": "the Visited event that gave the rating"})
    level = Text(
        required=True,
        validate=validate.OneOf(SATISFACTION_LEVELS),
        metadata={"description": "the raw rating, as given: never changed"},
    )
    bad = ma.fields.Boolean(required=True, metadata={"description": "unsatisfied or very_unsatisfied (差评)"})
    unit = Text(allow_none=True, metadata={"description": "the unit rated (the lead unit at the visit)"})
    visited_at = ma.fields.String(required=True)
    adjudicated = Text(
        required=True,
        validate=validate.OneOf([*SATISFACTION_LEVELS, SET_ASIDE]),
        metadata={
            "description": "the level the adjudicated figures count: the raw one, or set_aside after an upheld contest"
        },
    )
    rectification = ma.fields.Nested(
        RectificationSchema,
        allow_none=True,
        metadata={"description": "null unless the rating is bad and the case's profile sets a rectification period"},
    )
    contest_window_working_days = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "working days after the visit within which the unit may contest a bad rating"},
    )
    contest = ma.fields.Nested(ContestSchema, allow_none=True)


class BadRatingLineSchema(ma.Schema):
    """A line of the bulletin's monthly list of 差评."""

    case_id = ma.fields.String(required=True)
    case_no = Text(required=True)
    unit = Text(required=True, metadata={"description": "the unit rated"})
    name = Text(required=True, metadata={"description": "the unit's name"})
    level = Text(required=True, validate=validate.OneOf(sorted(BAD_LEVELS)), metadata={"description": "raw rating"})
    visited_at = ma.fields.String(required=True)
    due = ma.fields.String(
        allow_none=True,
        metadata={"description": "the rectification period's last moment; null: the case's profile sets none"},
    )
    provisional = ma.fields.Boolean(required=True)
    rectification = Text(
        allow_none=True,
        validate=validate.OneOf(RECTIFICATION_STATUSES),
        metadata={
            "description": "as it stands at the bulletin's as_of: pending, overdue, on_time, late, set_aside, superseded"
        },
    )
    rectified_at = ma.fields.String(allow_none=True)
    contest = Text(
        allow_none=True,
        validate=validate.OneOf([PENDING, UPHELD, REJECTED]),
        metadata={
            "description": "申诉复核: null (not contested), pending, upheld (set aside) or rejected (the rating stands)"
        },
    )


def bad_rating_line_json(entry, iso) -> dict:
    return {
        "case_id": entry.case_id,
        "case_no": entry.case_no,
        "unit": entry.unit,
        "name": entry.unit_name,
        "level": entry.level,
        "visited_at": iso(entry.visited_at),
        "due": iso(entry.due, "seconds"),
        "provisional": entry.provisional,
        "rectification": entry.rectification,
        "rectified_at": iso(entry.rectified_at),
        "contest": entry.contest,
    }
