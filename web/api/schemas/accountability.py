"""Bodies of the deadline sweep and the accountability records (docs/http-api.md *Deadlines*,
*Accountability (问责)*)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from web.api.schemas.common import MONTH, Text, Timestamp


class SweepSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    now = Timestamp(
        metadata={
            "description": "sweep as of this moment (default: the current time); "
            "never later than the current time unless dry_run"
        }
    )
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "record nothing; report what a sweep at now (which may then lie ahead) would record"},
    )


class DeemedAcceptedSchema(ma.Schema):
    case_id = Text(required=True)
    seq = ma.fields.Integer(required=True, metadata={"description": "the DeemedAccepted event"})
    accepted_as_of = Text(required=True, metadata={"description": "the moment of submission (art. 32)"})
    notice_ended_at = Text(required=True, metadata={"description": "when the notice period ended"})


class SweepReportSchema(ma.Schema):
    now = Text(required=True)
    dry_run = ma.fields.Boolean(required=True, metadata={"description": "true: nothing was recorded"})
    cases_checked = ma.fields.Integer(required=True)
    missed = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={"description": "each deadline recorded missed: case, deadline, due, rule"},
    )
    escalations = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={"description": "each consequence recorded on a case (督办通知, 分级会办)"},
    )
    consequences = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={"description": "accountability consequences the missed deadlines brought"},
    )
    deemed_accepted = ma.fields.List(
        ma.fields.Nested(DeemedAcceptedSchema),
        required=True,
        metadata={"description": "each approval deemed accepted (行政许可法 art. 32): its notice period ended unmet"},
    )


class AccountabilityArgsSchema(ma.Schema):
    period = Text(validate=MONTH, metadata={"description": "only this month (Asia/Shanghai); all periods when absent"})


class AccountabilitySchema(ma.Schema):
    unit = Text(required=True)
    period = Text(allow_none=True)
    reminders = ma.fields.List(ma.fields.Dict(), required=True, metadata={"description": "通报提醒, 通报批评"})
    interviews = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={
            "description": "约谈, 约谈提醒; each with ``head``: the unit's head in office on the day it arose "
            "({name, from}), or null if none was recorded"
        },
    )
    written_reviews = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={"description": "书面检查, 责令检查; each with ``head`` as for interviews"},
    )
    consequences = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={"description": "every consequence, with rule, profile version and evidence"},
    )
    lapses = ma.fields.List(ma.fields.Dict(), required=True)
    actions = ma.fields.List(ma.fields.Dict(), required=True)
    supervisions = ma.fields.List(ma.fields.Dict(), required=True, metadata={"description": "挂牌督办 and 销号"})


class AccountabilityActionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    action = Text(
        required=True,
        validate=validate.OneOf(
            [
                "interview_held",
                "self_examination_received",
                "referral_made",
                "listed_supervision_opened",
                "listed_supervision_struck_off",
                "criticism_issued",
                "interview_ordered",
            ]
        ),
    )
    note = Text(
        validate=validate.Length(min=1, max=4000),
        metadata={"description": "what was done; required but for criticism_issued and interview_ordered"},
    )
    reason = Text(
        validate=validate.Length(min=1, max=4000),
        metadata={"description": "why: required for criticism_issued (通报批评) and interview_ordered (约谈, 视情)"},
    )
    case_ids = ma.fields.List(
        ma.fields.UUID(),
        validate=validate.Length(max=50),
        metadata={"description": "the cases a criticism_issued or interview_ordered cites (the unit's own)"},
    )
    consequence = Text(validate=validate.Length(min=1, max=100))
    case_id = ma.fields.UUID()
    supervision = Text(validate=validate.Length(min=1, max=100))
    occurred_at = Timestamp(
        metadata={
            "description": "when it happened (default: now); not in the future, not before the consequence it answers"
        }
    )
