"""The unit ledger (台账) and the monthly bulletin's approvals section (行政审批办理情况) as response schemas
(docs/http-api.md *Monthly bulletin (通报)*: the bulletin covers approvals too). What each figure counts:
``projections.ledger.approvals``."""

from __future__ import annotations

import marshmallow as ma

from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS
from projections.reports.approvals import DEFINITIONS
from web.api.schemas.common import Text

DepartmentApprovalCountsSchema = ma.Schema.from_dict(
    {c: ma.fields.Integer(required=True) for c in APPROVAL_COUNTERS}, name="DepartmentApprovalCountsSchema"
)


class OnTimeRateSchema(ma.Schema):
    on_time = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "minimum": 0,
            "maximum": 1,
            "description": "on time / (on time + late + overdue at the period's end); null when that is zero",
        },
    )


class LedgerApprovalsSchema(ma.Schema):
    counts = ma.fields.Nested(
        DepartmentApprovalCountsSchema,
        required=True,
        metadata={
            "description": "the unit's approvals as a reviewing department, on the day of each act: forwarded to it, "
            "its opinions answered on time / late (its own review clock), returned to it, its "
            "deadlines missed"
        },
    )
    overdue_at_end = ma.fields.Integer(
        required=True,
        metadata={"description": "approvals with a deadline binding the unit ended and unmet at the period's end"},
    )
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
    rectification_overdue_at_end = ma.fields.Integer(
        metadata={
            "description": "rectification periods of bad ratings (差评整改) binding the unit ended and unmet at the end"
        }
    )
    rates = ma.fields.Dict(
        keys=Text(),
        values=ma.fields.Float(allow_none=True),
        required=True,
        metadata={
            "description": "satisfaction on the raw ratings, satisfaction_adjudicated beside it (see definitions)"
        },
    )
    definitions = ma.fields.Dict(keys=Text(), values=Text())
    approvals = ma.fields.Nested(
        LedgerApprovalsSchema,
        required=True,
        metadata={"description": "approvals (审批), counted apart from the appeals above"},
    )


ApprovalDayCountsSchema = ma.Schema.from_dict(
    {c: ma.fields.Integer(required=True) for c in DAY_COUNTERS}, name="ApprovalDayCountsSchema"
)


class ApprovalDepartmentRowSchema(ma.Schema):
    unit = ma.fields.String(required=True, metadata={"description": "the department's code (TOTAL: the totals)"})
    name = ma.fields.String(required=True)
    counts = ma.fields.Nested(DepartmentApprovalCountsSchema, required=True)
    overdue_at_end = ma.fields.Integer(
        required=True,
        metadata={
            "description": "approvals with a deadline binding the department ended and unmet at the period's end"
        },
    )
    rates = ma.fields.Nested(
        OnTimeRateSchema, required=True, metadata={"description": DEFINITIONS["department_on_time"]}
    )


class BulletinApprovalsSchema(ma.Schema):
    counts = ma.fields.Nested(
        ApprovalDayCountsSchema,
        required=True,
        metadata={
            "description": "the approvals of the period, on the day of each act: submitted, accepted (of which deemed "
            "accepted, 行政许可法 art. 32), refused, decided (on time / late), delivered, extended, "
            "escalated, revoked, withdrawn, and the pauses ended in the period with their working days (art. 45)"
        },
    )
    decision_overdue_at_end = ma.fields.Integer(
        required=True, metadata={"description": "decision deadlines ended and unmet at the period's end"}
    )
    rates = ma.fields.Nested(OnTimeRateSchema, required=True, metadata={"description": DEFINITIONS["on_time"]})
    departments = ma.fields.List(
        ma.fields.Nested(ApprovalDepartmentRowSchema),
        required=True,
        metadata={
            "description": "each department with approval activity in the period or an approval deadline overdue at "
            "its end, by code (listed, not ranked)"
        },
    )
    department_totals = ma.fields.Nested(ApprovalDepartmentRowSchema, required=True)
    definitions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)
