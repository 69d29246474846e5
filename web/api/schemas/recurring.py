"""The recurring-problems report (堵点分析, 004 item 六) as a response schema: ``GET
/api/reports/recurring`` and the monthly bulletin's ``recurring`` section. What each part holds:
``projections.reports.recurring``."""

from __future__ import annotations

import marshmallow as ma

from projections.reports.recurring import ALPHA, REPEAT_MINIMUM, TEST


class RecurringMonthSchema(ma.Schema):
    period = ma.fields.String(required=True)
    start = ma.fields.String(required=True)
    end = ma.fields.String(required=True, metadata={"description": "exclusive"})


class RecurringCaseSchema(ma.Schema):
    id = ma.fields.String(required=True)
    case_no = ma.fields.String(required=True)
    received_at = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    unit = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "the lead unit; null: not forwarded"}
    )
    enterprise = ma.fields.String(required=True)
    credit_code = ma.fields.String(required=True, allow_none=True)
    subject = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    merged_into = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "the case number of the case this one was merged into (并单), if it was"},
    )


class RepeatEnterpriseSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "the name its latest appeal gives"})
    credit_code = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "统一社会信用代码; null: the enterprise is known by its name alone"},
    )
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": "appeals received by month, the two before the period first"},
    )
    total = ma.fields.Integer(required=True)
    merged = ma.fields.Integer(required=True, metadata={"description": "of them, repeats merged into another case"})
    cases = ma.fields.List(ma.fields.Nested(RecurringCaseSchema), required=True)


class CategoryUnitSchema(ma.Schema):
    category = ma.fields.String(required=True)
    unit = ma.fields.String(required=True, allow_none=True)
    count = ma.fields.Integer(
        required=True, metadata={"description": "appeals received in the period (merged repeats not counted again)"}
    )
    previous = ma.fields.Integer(required=True, metadata={"description": "the same in the month before"})
    change = ma.fields.Integer(required=True)
    p_value = ma.fields.Float(required=True, allow_none=True, metadata={"description": "for a rise: " + TEST})
    significant = ma.fields.Boolean(required=True, metadata={"description": f"a rise with p_value < {ALPHA}"})


class LinkSchema(ma.Schema):
    a = ma.fields.String(required=True, metadata={"description": "a case id, received first"})
    b = ma.fields.String(required=True)
    reason = ma.fields.String(required=True, metadata={"enum": ["credit_code", "similar_subject"]})
    score = ma.fields.Float(required=True, allow_none=True, metadata={"description": "the subjects' similarity"})


class ClusterSchema(ma.Schema):
    cases = ma.fields.List(
        ma.fields.Nested(RecurringCaseSchema),
        required=True,
        metadata={
            "description": "merged: the surviving case first, then the repeats merged into it; suggested: by receipt"
        },
    )
    links = ma.fields.List(ma.fields.Nested(LinkSchema), required=True)


class ClustersSchema(ma.Schema):
    merged = ma.fields.List(ma.fields.Nested(ClusterSchema), required=True)
    suggested = ma.fields.List(
        ma.fields.Nested(ClusterSchema),
        required=True,
        metadata={"description": "likely repeats not merged: nothing is merged by the report"},
    )


class RecurringSchema(ma.Schema):
    period = ma.fields.String(required=True)
    start = ma.fields.String(required=True)
    end = ma.fields.String(required=True, metadata={"description": "exclusive"})
    months = ma.fields.List(
        ma.fields.Nested(RecurringMonthSchema),
        required=True,
        metadata={"description": "the two months before the period, then the period"},
    )
    enterprises = ma.fields.List(
        ma.fields.Nested(RepeatEnterpriseSchema),
        required=True,
        metadata={
            "description": f"enterprises with at least {REPEAT_MINIMUM} appeals in the three months, one in the period; "
            "most appeals first"
        },
    )
    category_units = ma.fields.List(
        ma.fields.Nested(CategoryUnitSchema),
        required=True,
        metadata={"description": "category x lead unit, the period against the month before; significant rises first"},
    )
    test = ma.fields.String(required=True, metadata={"description": "how a rise is judged significant"})
    alpha = ma.fields.Float(required=True)
    clusters = ma.fields.Nested(ClustersSchema, required=True)
    definitions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)
