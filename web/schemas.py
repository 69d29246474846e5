"""Request and response bodies of API.md, as marshmallow schemas (the OpenAPI document is made from them)."""

from __future__ import annotations

import re
from datetime import timezone

import marshmallow as ma
from marshmallow import validate

from domain.deadlines import SHANGHAI
from domain.profiles import CATEGORIES
from domain.status import SATISFACTION_LEVELS, Status
from projections.approvals_ledger import APPROVAL_COUNTERS
from projections.case_list import SORTS
from web.schemas_merge import CallerSchema, CaseLinkSchema, SuggestedRepeatSchema



class Text(ma.fields.String):
    """Text as people write it: no NUL and no lone surrogate (neither is a character of any text, and
    neither can be stored: PostgreSQL refuses NUL in text, UTF-8 has no lone surrogates)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("must not contain NUL (U+0000)")
        if _SURROGATE.search(text):
            raise ma.ValidationError("must not contain a lone surrogate (U+D800-U+DFFF); send valid UTF-16 pairs")
        return text


_SURROGATE = re.compile("[\ud800-\udfff]")
MONTH = validate.Regexp(r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])\Z", error="YYYY-MM, year 1970-2999")


def required_text(max_length: int, **kw) -> ma.fields.String:
    return Text(required=True, validate=validate.Length(min=1, max=max_length), **kw)


class Timestamp(ma.fields.AwareDateTime):
    """ISO 8601; a time without an offset is Asia/Shanghai (API.md). Years 1970-2999."""

    def __init__(self, **kw) -> None:
        super().__init__(format="iso", default_timezone=SHANGHAI, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_range = 1970 <= moment.year <= 2999 and 1970 <= moment.astimezone(timezone.utc).year <= 2999
        except OverflowError:
            in_range = False
        if not in_range:
            raise ma.ValidationError("must lie between the years 1970 and 2999")
        return moment


class Command(ma.Schema):
    """Options every command body may carry (API.md *Commands*)."""

    class Meta:
        unknown = ma.RAISE

    expected_version = ma.fields.Integer(strict=True, validate=validate.Range(min=1))
    occurred_at = Timestamp(metadata={"description": "backfill: when the act happened (platform, admin)"})


class EnterpriseSchema(ma.Schema):
    name = required_text(200)
    credit_code = Text(validate=validate.Length(max=32), allow_none=True)


class ContactSchema(ma.Schema):
    name = Text(validate=validate.Length(max=100), allow_none=True)
    phone = Text(validate=validate.Length(max=40), allow_none=True)


class OpenAppealSchema(Command):
    channel = required_text(40)
    category = Text(required=True, validate=validate.OneOf(CATEGORIES))
    subject = required_text(200)
    content = required_text(20000)
    enterprise = ma.fields.Nested(EnterpriseSchema, required=True)
    contact = ma.fields.Nested(ContactSchema, allow_none=True)
    profile = required_text(64)
    tier = Text(validate=validate.Length(min=1, max=40), allow_none=True)
    external_ref = Text(validate=validate.Length(min=1, max=120), allow_none=True)


class ForwardSchema(Command):
    unit = required_text(64)
    co_units = ma.fields.List(Text(validate=validate.Length(min=1, max=64)), load_default=list)
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class EmptyCommandSchema(Command):
    pass


class AnswerSchema(Command):
    kind = Text(required=True, validate=validate.OneOf(["initial", "final"]))
    content = required_text(20000)


class ReviewSchema(Command):
    accepted = ma.fields.Boolean(required=True)
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class ReasonSchema(Command):
    reason = required_text(2000)


class MergeSchema(Command):
    into = ma.fields.UUID(required=True, metadata={"description": "the appeal this one repeats: it joins that case"})
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class LadderLevel(ma.fields.Field):
    """A level of the profile's escalation ladder: its number (1 = first) or its code."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value in ("", 0):
            raise ma.ValidationError("a ladder level number (1, 2, …) or a level code")
        return value


class EscalateSchema(ReasonSchema):
    level = LadderLevel(allow_none=True, metadata={
        "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}],
        "description": "ladder level number or code, e.g. 1 or 'supervision_notice'; default: the next level"})


class ExtendSchema(ReasonSchema):
    working_days = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=365))


class CoOpinionSchema(Command):
    content = required_text(20000)


class VisitSchema(Command):
    satisfaction = Text(required=True, validate=validate.OneOf(SATISFACTION_LEVELS))
    solved = ma.fields.Boolean(allow_none=True)
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class AsOfSchema(ma.Schema):
    as_of = Timestamp(metadata={"description": "the case as it stood at this moment"})


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
    missed_seq = ma.fields.Integer(allow_none=True,
                                   metadata={"description": "the DeadlineMissed event that recorded it overdue"})


class CaseSchema(ma.Schema):
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
    co_opinions = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "协办意见: each co-handling unit's opinion for the lead unit: unit, content, at, seq"})
    deadlines = ma.fields.List(ma.fields.Nested(DeadlineSchema))
    returned_count = ma.fields.Integer()
    escalation_level = ma.fields.Integer()
    escalation = Text(allow_none=True, metadata={"description": "code of the current escalation level"})
    satisfaction = Text(allow_none=True, metadata={"description": "the current round's visit, raw (null after a return)"})
    rating = ma.fields.Nested("RatingSchema", allow_none=True, metadata={
        "description": "好差评: the latest visit's rating with its rectification, contest and adjudicated level"})
    ratings = ma.fields.List(ma.fields.Nested("RatingSchema"), metadata={"description": "every visit's rating"})
    solved = ma.fields.Boolean(allow_none=True)
    received_at = ma.fields.String()
    updated_at = ma.fields.String()
    closed_at = ma.fields.String(allow_none=True)
    as_of = ma.fields.String(allow_none=True)
    callers = ma.fields.List(ma.fields.Nested(CallerSchema), metadata={
        "description": "并单: every caller's record on this matter, the case's own first, then each repeat merged in"})
    merged_into = ma.fields.Nested(CaseLinkSchema, allow_none=True, metadata={
        "description": "on a merged repeat: the case it joined"})
    merged = ma.fields.List(ma.fields.Nested(CaseLinkSchema), metadata={
        "description": "the repeats merged into this case"})
    suggested_repeats = ma.fields.List(ma.fields.Nested(SuggestedRepeatSchema), metadata={
        "description": "GET only: likely repeats of this open case (same credit code, or similar subject, received "
                       "within 30 days); nothing is merged by itself"})


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


class TokenRequestSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    username = required_text(64)
    password = required_text(1024)


class TokenSchema(ma.Schema):
    token = Text(required=True)
    role = Text(required=True)
    unit = Text(allow_none=True)
    expires_at = ma.fields.String()


class SignedOutSchema(ma.Schema):
    revoked = ma.fields.Boolean(required=True)
    user = Text(required=True)


class UnitHeadSchema(ma.Schema):
    name = Text(required=True, metadata={"description": "the unit's principal head (主要负责人)"})
    from_ = Text(required=True, data_key="from", metadata={"description": "first day in office, YYYY-MM-DD"})


class UnitSchema(ma.Schema):
    code = Text(required=True)
    name = Text(required=True)
    parent = Text(allow_none=True)
    active = ma.fields.Boolean()
    heads = ma.fields.List(ma.fields.Nested(UnitHeadSchema), metadata={
        "description": "who has headed the unit from when, in the order recorded (caseledger unit head)"})


class UnitListSchema(ma.Schema):
    units = ma.fields.List(ma.fields.Nested(UnitSchema))


class CaseListArgsSchema(ma.Schema):
    unit = Text(validate=validate.Length(min=1, max=64))
    status = Text(validate=validate.OneOf([s.value for s in Status]))
    overdue = ma.fields.Boolean()
    q = Text(validate=validate.Length(min=1, max=200))
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
    satisfaction = Text(allow_none=True, metadata={"description": "the current round's visit, raw (null after a return)"})
    rating = ma.fields.Nested("RatingSchema", allow_none=True, metadata={
        "description": "好差评: the latest visit's rating with its rectification, contest and adjudicated level"})
    ratings = ma.fields.List(ma.fields.Nested("RatingSchema"), metadata={"description": "every visit's rating"})
    solved = ma.fields.Boolean(allow_none=True)
    received_at = ma.fields.String()
    updated_at = ma.fields.String()
    closed_at = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    merged_into = Text(allow_none=True, metadata={"description": "已并单: the case number of the case it joined"})
    repeats = ma.fields.Integer(metadata={"description": "how many repeat appeals were merged into this case"})


class CaseListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseListItemSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


class PeriodArgsSchema(ma.Schema):
    period = Text(required=True, validate=MONTH)
    close_day = ma.fields.Integer(validate=validate.Range(min=1, max=28),
                                  metadata={"description": "the day the reporting month closes (e.g. 25)"})


DepartmentApprovalCountsSchema = ma.Schema.from_dict(
    {c: ma.fields.Integer(required=True) for c in APPROVAL_COUNTERS}, name="DepartmentApprovalCountsSchema")


class OnTimeRateSchema(ma.Schema):
    on_time = ma.fields.Float(required=True, allow_none=True, metadata={
        "minimum": 0, "maximum": 1, "description": "on time / (on time + late + overdue at the period's end); "
                                                   "null when that is zero"})


class LedgerApprovalsSchema(ma.Schema):
    counts = ma.fields.Nested(DepartmentApprovalCountsSchema, required=True, metadata={
        "description": "the unit's approvals as a reviewing department, on the day of each act: forwarded to it, "
                       "its opinions answered on time / late (its own review clock), returned to it, its "
                       "deadlines missed"})
    overdue_at_end = ma.fields.Integer(required=True, metadata={
        "description": "approvals with a deadline binding the unit ended and unmet at the period's end"})
    rates = ma.fields.Nested(OnTimeRateSchema, required=True)
    definitions = ma.fields.Dict(keys=Text(), values=Text())


class LedgerSchema(ma.Schema):
    unit = Text(required=True)
    period = Text(required=True)
    start = ma.fields.String(required=True)
    end = ma.fields.String(required=True)
    counts = ma.fields.Dict(keys=Text(), values=ma.fields.Integer(), required=True)
    open_at_end = ma.fields.Integer(required=True)
    overdue_at_end = ma.fields.Integer(required=True)
    rectification_overdue_at_end = ma.fields.Integer(metadata={
        "description": "rectification periods of bad ratings (差评整改) binding the unit ended and unmet at the end"})
    rates = ma.fields.Dict(keys=Text(), values=ma.fields.Float(allow_none=True), required=True, metadata={
        "description": "satisfaction on the raw ratings, satisfaction_adjudicated beside it (see definitions)"})
    definitions = ma.fields.Dict(keys=Text(), values=Text())
    approvals = ma.fields.Nested(LedgerApprovalsSchema, required=True, metadata={
        "description": "approvals (审批), counted apart from the appeals above"})


class AuditArgsSchema(ma.Schema):
    actor = Text(validate=validate.Length(min=1, max=64))
    unit = Text(validate=validate.Length(min=1, max=64))
    type = Text(validate=validate.Length(min=1, max=40))
    case_id = ma.fields.UUID()
    since = Timestamp()
    until = Timestamp()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditEntrySchema(ma.Schema):
    position = ma.fields.Integer()
    case_id = Text()
    case_no = Text()
    seq = ma.fields.Integer()
    type = Text()
    actor = ma.fields.Nested(ActorSchema)
    case_unit = Text(allow_none=True)
    recorded_at = ma.fields.String()
    occurred_at = ma.fields.String()
    data = ma.fields.Dict()


class AuditTrailSchema(ma.Schema):
    entries = ma.fields.List(ma.fields.Nested(AuditEntrySchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class ProjectionStatusSchema(ma.Schema):
    name = Text(required=True)
    position = ma.fields.Integer(required=True)
    lag = ma.fields.Integer(required=True)


class ProjectionsSchema(ma.Schema):
    head = ma.fields.Integer(required=True)
    projections = ma.fields.List(ma.fields.Nested(ProjectionStatusSchema), required=True)
