"""并单 (merging repeat appeals) in the case's response: callers, the merge links, suggested repeats."""

from __future__ import annotations

import marshmallow as ma

from domain.appeals.repeats import SIMILAR, WINDOW_DAYS


class CallerSchema(ma.Schema):
    case = ma.fields.UUID(required=True, metadata={"description": "the appeal the caller's call opened"})
    case_no = ma.fields.String(required=True)
    enterprise = ma.fields.Dict()
    contact = ma.fields.Dict(allow_none=True)
    channel = ma.fields.String()
    external_ref = ma.fields.String(allow_none=True)
    received_at = ma.fields.String()
    merged_at = ma.fields.String(allow_none=True, metadata={"description": "null for the case's own caller"})


class CaseLinkSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    case_no = ma.fields.String(required=True)
    at = ma.fields.String(metadata={"description": "when the merge was recorded as occurring"})


class SuggestedRepeatSchema(ma.Schema):
    id = ma.fields.String(required=True)
    case_no = ma.fields.String(required=True)
    subject = ma.fields.String()
    enterprise = ma.fields.String()
    received_at = ma.fields.String()
    status = ma.fields.String()
    unit = ma.fields.String(allow_none=True)
    reason = ma.fields.String(
        required=True,
        metadata={
            "enum": ["credit_code", "similar_subject"],
            "description": f"the same enterprise credit code, or a subject trigram similarity of at least {SIMILAR}; "
            f"either within {WINDOW_DAYS} calendar days of this case's receipt",
        },
    )
    score = ma.fields.Float(required=True, metadata={"description": "the subjects' trigram similarity (0-1)"})
