"""A case as the API reads it (appeal or approval), its history, and the case list (docs/http-api.md)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from domain.status import Status
from projections.cases.case_list import SORTS
from web.api.schemas.common import Text
from web.api.schemas.handback import HandbackSchema
from web.api.schemas.hotline import DirectAnswerInfoSchema, RecheckInfoSchema
from web.api.schemas.joint import JointRecordSchema
from web.api.schemas.merge import CallerSchema, CaseLinkSchema, SuggestedRepeatSchema


class DeadlineSchema(ma.Schema):
    name = Text(required=True)
    title = Text()
    source = Text()
    round = ma.fields.Integer()
    unit = Text(allow_none=True, metadata={"description": "the unit this deadline binds; null: the platform"})
    started_at = ma.fields.String()
    due = ma.fields.String(required=True, metadata={"description": "last moment inside the period"})
    length = ma.fields.Integer()
    length_unit = Text(metadata={"description": "working_days, calendar_days, hours or months"})
    extended = ma.fields.Integer()
    met_at = ma.fields.String(allow_none=True)
    met_late = ma.fields.Boolean()
    cancelled_at = ma.fields.String(allow_none=True)
    overdue = ma.fields.Boolean(required=True)
    provisional = ma.fields.Boolean(required=True)
    missed_seq = ma.fields.Integer(
        allow_none=True, metadata={"description": "the DeadlineMissed event that recorded it overdue"}
    )
    not_binding = ma.fields.Boolean(
        metadata={"description": "ended by an upheld hand-back (同意退单): it never bound the unit and is never missed"}
    )


class AppealSchema(ma.Schema):
    """An appeal (企业诉求) as the API reads it; in the OpenAPI document under its first name, "Case"."""

    id = ma.fields.UUID(required=True)
    case_no = Text(required=True)
    status = Text(required=True, validate=validate.OneOf([s.value for s in Status]))
    version = ma.fields.Integer(required=True)
    profile = Text(required=True)
    profile_version = ma.fields.Integer()
    tier = Text(allow_none=True)
    channel = Text()
    category = Text()
    subject = Text()
    content = Text()
    enterprise = ma.fields.Dict()
    contact = ma.fields.Dict(allow_none=True)
    external_ref = Text(allow_none=True)
    unit = Text(allow_none=True)
    co_units = ma.fields.List(Text())
    co_opinions = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "协办意见: each co-handling unit's opinion for the lead unit: unit, content, at, seq"},
    )
    deadlines = ma.fields.List(ma.fields.Nested(DeadlineSchema))
    returned_count = ma.fields.Integer()
    escalation_level = ma.fields.Integer()
    escalation = Text(allow_none=True, metadata={"description": "code of the current escalation level"})
    satisfaction = Text(
        allow_none=True, metadata={"description": "the current round's visit, raw (null after a return)"}
    )
    rating = ma.fields.Nested(
        "RatingSchema",
        allow_none=True,
        metadata={
            "description": "好差评: the latest visit's rating with its rectification, contest and adjudicated level"
        },
    )
    ratings = ma.fields.List(ma.fields.Nested("RatingSchema"), metadata={"description": "every visit's rating"})
    solved = ma.fields.Boolean(allow_none=True)
    received_at = ma.fields.String()
    updated_at = ma.fields.String()
    closed_at = ma.fields.String(allow_none=True)
    as_of = ma.fields.String(allow_none=True)
    direct = ma.fields.Boolean(
        metadata={"description": "answered at first contact (首接负责, 即时办结): closed without being forwarded"}
    )
    direct_answer = ma.fields.Nested(DirectAnswerInfoSchema, allow_none=True)
    rechecks = ma.fields.List(ma.fields.Nested(RecheckInfoSchema), metadata={"description": "回头看, in order"})
    callers = ma.fields.List(
        ma.fields.Nested(CallerSchema),
        metadata={
            "description": "并单: every caller's record on this matter, the case's own first, then each repeat merged in"
        },
    )
    merged_into = ma.fields.Nested(
        CaseLinkSchema, allow_none=True, metadata={"description": "on a merged repeat: the case it joined"}
    )
    merged = ma.fields.List(
        ma.fields.Nested(CaseLinkSchema), metadata={"description": "the repeats merged into this case"}
    )
    handback = ma.fields.Nested(
        HandbackSchema, allow_none=True, metadata={"description": "退单: the latest hand-back and its ruling"}
    )
    joint = ma.fields.Boolean(metadata={"description": "联合办理: on the joint-handling list (004 item 六)"})
    joint_handling = ma.fields.Nested(
        JointRecordSchema, allow_none=True, metadata={"description": "the marking and its joint meetings"}
    )
    suggested_repeats = ma.fields.List(
        ma.fields.Nested(SuggestedRepeatSchema),
        metadata={
            "description": "GET only: likely repeats of this open case (same credit code, or similar subject, received "
            "within 30 days); nothing is merged by itself"
        },
    )


class ActorSchema(ma.Schema):
    user = Text()
    role = Text()
    unit = Text(allow_none=True)


class HistoryEventSchema(ma.Schema):
    seq = ma.fields.Integer(required=True)
    type = Text(required=True)
    recorded_at = ma.fields.String(required=True)
    occurred_at = ma.fields.String(required=True)
    backfilled = ma.fields.Boolean()
    actor = ma.fields.Nested(ActorSchema)
    unit = Text(allow_none=True)
    data = ma.fields.Dict()
    log_index = ma.fields.Integer(allow_none=True, metadata={"description": "the event's leaf index in the Merkle log"})
    hash = ma.fields.String(allow_none=True, metadata={"description": "its leaf hash, lowercase hex"})


class HistorySchema(ma.Schema):
    id = ma.fields.UUID()
    case_no = Text()
    events = ma.fields.List(ma.fields.Nested(HistoryEventSchema), required=True)


class CaseListArgsSchema(ma.Schema):
    unit = Text(validate=validate.Length(min=1, max=64))
    status = Text(validate=validate.OneOf([s.value for s in Status]))
    overdue = ma.fields.Boolean()
    q = Text(validate=validate.Length(min=1, max=200))
    joint = ma.fields.Boolean(metadata={"description": "1/true: only cases on the joint-handling list (联合办理)"})
    sort = Text(load_default="due", validate=validate.OneOf(SORTS))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class NextDeadlineSchema(ma.Schema):
    name = Text()
    due = ma.fields.String()
    provisional = ma.fields.Boolean()


class CaseListItemSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    case_no = Text(required=True)
    status = Text(required=True)
    profile = Text()
    tier = Text(allow_none=True)
    channel = Text()
    category = Text()
    unit = Text(allow_none=True)
    co_units = ma.fields.List(Text())
    subject = Text()
    enterprise = Text(metadata={"description": "the enterprise's name"})
    next_deadline = ma.fields.Nested(NextDeadlineSchema, allow_none=True)
    overdue = ma.fields.Boolean(required=True)
    escalation_level = ma.fields.Integer()
    returned_count = ma.fields.Integer()
    satisfaction = Text(
        allow_none=True, metadata={"description": "the current round's visit, raw (null after a return)"}
    )
    rating = ma.fields.Nested(
        "RatingSchema",
        allow_none=True,
        metadata={
            "description": "好差评: the latest visit's rating with its rectification, contest and adjudicated level"
        },
    )
    ratings = ma.fields.List(ma.fields.Nested("RatingSchema"), metadata={"description": "every visit's rating"})
    solved = ma.fields.Boolean(allow_none=True)
    received_at = ma.fields.String()
    updated_at = ma.fields.String()
    closed_at = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    merged_into = Text(allow_none=True, metadata={"description": "已并单: the case number of the case it joined"})
    repeats = ma.fields.Integer(metadata={"description": "how many repeat appeals were merged into this case"})
    joint = ma.fields.Boolean(metadata={"description": "联合办理: on the joint-handling list"})


class CaseListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseListItemSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)
