"""Request and response bodies of the approvals (审批) routes, as marshmallow schemas.

The field types are those of web.api.schemas.common: ``Text`` (no NUL, no lone surrogate),
``Timestamp`` (Asia/Shanghai when no offset is given) and ``Command`` (every
command's ``expected_version`` and ``occurred_at``; an unknown field is a 422).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from domain.approvals.inputs import DECISIONS, PAUSE_REASONS
from domain.status import ApprovalStatus
from projections.cases.case_list import SORTS
from web.api.schemas.cases import CaseListItemSchema, DeadlineSchema
from web.api.schemas.common import Command, ContactSchema, Text, required_text

STATUSES = [s.value for s in ApprovalStatus]


def _items(max_length: int, what: str, **kw) -> ma.fields.List:
    """A list of short texts (materials, departments), each 1 to ``max_length`` characters."""
    return ma.fields.List(Text(validate=validate.Length(min=1, max=max_length)), metadata={"description": what}, **kw)


def note() -> ma.fields.String:
    return Text(validate=validate.Length(max=2000), allow_none=True)


# -- requests ---------------------------------------------------------------------------------
class ApplicantContactSchema(ContactSchema):
    class Meta:
        unknown = ma.RAISE


class ApplicantSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = required_text(200)
    credit_code = Text(validate=validate.Length(max=32), allow_none=True)
    contact = ma.fields.Nested(ApplicantContactSchema, allow_none=True)


class SubmitApprovalSchema(Command):
    profile = required_text(64, metadata={"description": "an approval profile, e.g. licensing-law-2019"})
    matter = required_text(64, metadata={"description": "a matter code of the profile's catalogue (事项)"})
    applicant = ma.fields.Nested(ApplicantSchema, required=True)
    materials = _items(500, "the materials handed in at the window", required=True, validate=validate.Length(max=200))
    departments = _items(
        64, "the reviewing departments (unit codes), each once", required=True, validate=validate.Length(min=1, max=50)
    )
    commitment = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "告知承诺制: decided on the applicant's written commitment, where the matter allows it"
        },
    )
    channel = Text(validate=validate.Length(min=1, max=40), allow_none=True)
    external_ref = Text(validate=validate.Length(min=1, max=120), allow_none=True)


class RequestMaterialsSchema(Command):
    missing = _items(
        500, "一次性告知: every missing material at once", required=True, validate=validate.Length(min=1, max=200)
    )
    note = note()


class SupplyMaterialsSchema(Command):
    materials = _items(
        500, "the materials the applicant supplied (补正)", required=True, validate=validate.Length(min=1, max=200)
    )


class NoteSchema(Command):
    note = note()


class ForwardApprovalSchema(Command):
    departments = _items(
        64, "default: the departments named at submission", allow_none=True, validate=validate.Length(min=1, max=50)
    )


class DepartmentAnswerSchema(Command):
    department = required_text(64)
    decision = Text(required=True, validate=validate.OneOf(DECISIONS))
    opinion = required_text(20000)


class ReturnOpinionSchema(Command):
    department = required_text(64)
    reason = required_text(2000)


class PauseSchema(Command):
    reason = Text(
        required=True,
        validate=validate.OneOf(PAUSE_REASONS),
        metadata={
            "description": "行政许可法 art. 45: hearing, inspection, expert review, testing, quarantine, auction, other"
        },
    )
    expected_working_days = ma.fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=250),
        metadata={"description": "what the applicant is told it will take"},
    )
    note = note()


class DecideSchema(Command):
    decision = Text(required=True, validate=validate.OneOf(DECISIONS))
    reason = required_text(2000)


class ApprovalListArgsSchema(ma.Schema):
    department = Text(validate=validate.Length(min=1, max=64))
    status = Text(validate=validate.OneOf(STATUSES))
    overdue = ma.fields.Boolean()
    q = Text(validate=validate.Length(min=1, max=200))
    sort = Text(load_default="due", validate=validate.OneOf(SORTS))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


# -- responses --------------------------------------------------------------------------------
class ApprovalDeadlineSchema(DeadlineSchema):
    paused = ma.fields.Boolean(required=True, metadata={"description": "stopped by a pause (行政许可法 art. 45)"})


class DepartmentSchema(ma.Schema):
    unit = Text(required=True)
    decision = Text(allow_none=True, metadata={"description": "approve or reject; null: not answered (again)"})
    opinion = Text(allow_none=True)
    answered_at = ma.fields.String(allow_none=True)
    returned = ma.fields.Integer(metadata={"description": "how often its opinion was sent back"})


class PauseRecordSchema(ma.Schema):
    reason = Text(required=True)
    from_ = ma.fields.String(required=True, data_key="from", attribute="from")
    to = ma.fields.String(allow_none=True, metadata={"description": "null while the pause runs"})
    working_days = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "working days in [from, to) not counted, an open pause counted to now (or as_of)"},
    )
    expected_working_days = ma.fields.Integer()
    note = Text(allow_none=True)


class ApprovalSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = Text(required=True, validate=validate.OneOf(["approval"]))
    case_no = Text(required=True)
    status = Text(required=True, validate=validate.OneOf(STATUSES))
    version = ma.fields.Integer(required=True)
    profile = Text(required=True)
    profile_version = ma.fields.Integer()
    matter = Text(required=True)
    matter_title = Text()
    applicant = ma.fields.Dict()
    commitment = ma.fields.Boolean()
    channel = Text(allow_none=True)
    external_ref = Text(allow_none=True)
    materials = ma.fields.List(Text())
    missing = ma.fields.List(Text(), metadata={"description": "told missing (一次性告知) and not yet supplied"})
    departments = ma.fields.List(ma.fields.Nested(DepartmentSchema))
    deadlines = ma.fields.List(ma.fields.Nested(ApprovalDeadlineSchema))
    paused = ma.fields.Boolean()
    pauses = ma.fields.List(ma.fields.Nested(PauseRecordSchema))
    deemed_accepted = ma.fields.Boolean(
        metadata={"description": "accepted by the lapse of the notice period (art. 32)"}
    )
    submitted_at = ma.fields.String()
    accepted_at = ma.fields.String(allow_none=True)
    forwarded_at = ma.fields.String(allow_none=True)
    decision = Text(allow_none=True)
    decided_at = ma.fields.String(allow_none=True)
    delivered_at = ma.fields.String(allow_none=True)
    ended_at = ma.fields.String(allow_none=True, metadata={"description": "refused, withdrawn or revoked"})
    extended = ma.fields.Boolean()
    escalation_level = ma.fields.Integer()
    escalation = Text(allow_none=True, metadata={"description": "code of the current escalation level"})
    updated_at = ma.fields.String()
    as_of = ma.fields.String(allow_none=True)


class ApprovalListItemSchema(CaseListItemSchema):
    kind = Text(required=True)
    matter = Text(allow_none=True)
    applicant = Text(allow_none=True, metadata={"description": "the applicant's name"})
    departments = ma.fields.List(Text())


class ApprovalListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ApprovalListItemSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)
