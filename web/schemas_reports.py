"""The monthly bulletin's approvals section (行政审批办理情况) as a response schema (API.md v1.1: the bulletin
covers approvals too). What each figure counts: ``projections.approvals_ledger``."""

from __future__ import annotations

import marshmallow as ma

from projections.approvals_bulletin import DEFINITIONS
from projections.approvals_ledger import DAY_COUNTERS
from web.schemas import DepartmentApprovalCountsSchema, OnTimeRateSchema

ApprovalDayCountsSchema = ma.Schema.from_dict({c: ma.fields.Integer(required=True) for c in DAY_COUNTERS},
                                              name="ApprovalDayCountsSchema")


class ApprovalDepartmentRowSchema(ma.Schema):
    unit = ma.fields.String(required=True, metadata={"description": "the department's code (TOTAL: the totals)"})
    name = ma.fields.String(required=True)
    counts = ma.fields.Nested(DepartmentApprovalCountsSchema, required=True)
    overdue_at_end = ma.fields.Integer(required=True, metadata={
        "description": "approvals with a deadline binding the department ended and unmet at the period's end"})
    rates = ma.fields.Nested(OnTimeRateSchema, required=True, metadata={"description": DEFINITIONS["department_on_time"]})


class BulletinApprovalsSchema(ma.Schema):
    counts = ma.fields.Nested(ApprovalDayCountsSchema, required=True, metadata={
        "description": "the approvals of the period, on the day of each act: submitted, accepted (of which deemed "
                       "accepted, 行政许可法 art. 32), refused, decided (on time / late), delivered, extended, "
                       "escalated, revoked, withdrawn, and the pauses ended in the period with their working days (art. 45)"})
    decision_overdue_at_end = ma.fields.Integer(required=True, metadata={
        "description": "decision deadlines ended and unmet at the period's end"})
    rates = ma.fields.Nested(OnTimeRateSchema, required=True, metadata={"description": DEFINITIONS["on_time"]})
    departments = ma.fields.List(ma.fields.Nested(ApprovalDepartmentRowSchema), required=True, metadata={
        "description": "each department with approval activity in the period or an approval deadline overdue at "
                       "its end, by code (listed, not ranked)"})
    department_totals = ma.fields.Nested(ApprovalDepartmentRowSchema, required=True)
    definitions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)
