"""The audit trail, the read models' positions, and the Merkle log's queries and answers (docs/http-api.md
*Audit trail*, *Verifiable history*)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from projections.audit_trail import RECORDS
from web.api.schemas.cases import ActorSchema
from web.api.schemas.common import Text, Timestamp

_INDEX = validate.Range(min=0, max=2**62)


class CheckpointArgsSchema(ma.Schema):
    size = ma.fields.Integer(validate=_INDEX, metadata={"description": "a checkpoint already issued at this size"})


class InclusionArgsSchema(ma.Schema):
    index = ma.fields.Integer(required=True, validate=_INDEX)
    size = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


class ConsistencyArgsSchema(ma.Schema):
    old = ma.fields.Integer(required=True, data_key="from", validate=_INDEX)
    new = ma.fields.Integer(required=True, data_key="to", validate=_INDEX)


class CheckpointSchema(ma.Schema):
    origin = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    root = ma.fields.String(required=True, metadata={"description": "base64 tree head"})
    note = ma.fields.String(
        required=True,
        metadata={
            "description": "C2SP signed note: tlog-checkpoint body and signature lines (the log's, then witnesses')"
        },
    )


class PublicKeySchema(ma.Schema):
    vkey = ma.fields.String(required=True, metadata={"description": "C2SP verifier key of the log"})
    origin = ma.fields.String(required=True)


class InclusionSchema(ma.Schema):
    index = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True)
    leaf_hash = ma.fields.String(required=True, metadata={"description": "base64"})
    proof = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "base64 hashes, RFC 9162"})


class ConsistencySchema(ma.Schema):
    old = ma.fields.Integer(required=True, data_key="from")
    new = ma.fields.Integer(required=True, data_key="to")
    proof = ma.fields.List(ma.fields.String(), required=True)


class HeadSchema(ma.Schema):
    size = ma.fields.Integer(required=True)
    root = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    index = ma.fields.Integer(allow_none=True)
    problem = ma.fields.String(required=True)
    kind = ma.fields.String(
        metadata={
            "description": "removed, changed or inserted (an event); tree (a stored tree node); unsigned, short "
            "or root (a checkpoint)"
        }
    )
    case_id = ma.fields.String(allow_none=True, metadata={"description": "the case of the event, if it is a case's"})
    case_no = ma.fields.String(allow_none=True, metadata={"description": "that case's number"})
    seq = ma.fields.Integer(allow_none=True, metadata={"description": "the event's sequence number in its record"})
    type = ma.fields.String(allow_none=True, metadata={"description": "the event's type, as the audit trail names it"})
    record_id = ma.fields.String(allow_none=True, metadata={"description": "the id of the event's record"})
    record = ma.fields.String(
        allow_none=True, metadata={"description": "what that record is: appeal, approval, unit, user or accountability"}
    )


class VerifySchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    events_checked = ma.fields.Integer(required=True)
    head = ma.fields.Nested(HeadSchema, allow_none=True)
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema), required=True)


class AuditArgsSchema(ma.Schema):
    actor = Text(validate=validate.Length(min=1, max=64))
    unit = Text(validate=validate.Length(min=1, max=64))
    type = Text(validate=validate.Length(min=1, max=40))
    case_id = ma.fields.UUID()
    case_no = Text(validate=validate.Length(min=1, max=64), metadata={"description": "the case's number"})
    record = Text(
        validate=validate.OneOf(RECORDS),
        metadata={"description": "what was acted on: appeal, approval, unit, user or accountability (a unit's record)"},
    )
    since = Timestamp()
    until = Timestamp()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditEntrySchema(ma.Schema):
    source = Text(metadata={"description": "the log the act is recorded in: Appeals, Directory or Accountability"})
    position = ma.fields.Integer(metadata={"description": "its position in that log"})
    record = Text(metadata={"description": "what was acted on: appeal, approval, unit, user or accountability"})
    record_id = Text(metadata={"description": "the record's id (a case's id for a case)"})
    case_id = Text(allow_none=True)
    case_no = Text(allow_none=True)
    seq = ma.fields.Integer(metadata={"description": "the event's sequence number in its record"})
    type = Text(metadata={"description": "a case event's type (Forwarded), or Unit.*, User.*, UnitAccountability.*"})
    actor = ma.fields.Nested(ActorSchema)
    case_unit = Text(allow_none=True, metadata={"description": "the unit the act concerns"})
    subject = Text(allow_none=True, metadata={"description": "a unit's code or a user's name acted on"})
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


class NoticeArgsSchema(ma.Schema):
    unit = Text(validate=validate.Length(min=1, max=64), metadata={"description": "a unit's code (a unit: its own)"})
    case_id = ma.fields.UUID()
    since = Timestamp(metadata={"description": "notices created at or after this time"})


class NoticeSchema(ma.Schema):
    key = Text(metadata={"description": "case:deadline:round:kind — one notice, whatever its channels"})
    case_id = Text()
    case_no = Text()
    unit = Text()
    deadline = Text()
    kind = Text(metadata={"description": "approaching (即将到期) or ended (已超期)"})
    due = Text()
    created_at = Text()
    channel = Text(metadata={"description": "workspace or mail"})
    to = Text(metadata={"description": "the unit (workspace), or the addresses mailed, comma-separated"})
    sent_at = Text(allow_none=True)
    attempts = ma.fields.Integer()
    last_error = Text(allow_none=True)


class NoticesSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NoticeSchema))
