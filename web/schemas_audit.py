"""The Merkle log's queries and answers (API.md *Verifiable history, v1.1*)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

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
    note = ma.fields.String(required=True, metadata={"description": "C2SP signed note: tlog-checkpoint body and "
                                                                    "signature lines (the log's, then witnesses')"})


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


class VerifySchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    events_checked = ma.fields.Integer(required=True)
    head = ma.fields.Nested(HeadSchema, allow_none=True)
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema), required=True)
