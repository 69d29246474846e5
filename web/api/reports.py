"""``GET /api/reports/monthly`` (JSON), ``…/monthly.xlsx`` and ``…/monthly.pdf``: the monthly bulletin (通报).

Every role but ``unit`` may read bulletins: a bulletin ranks all units, and a
unit reads its own figures at ``GET /api/units/<code>/ledger``. How units are
ranked: ``projections.reports.bulletin``. The workbook and the PDF are for the
officials who read the bulletin, in Chinese only; the JSON is for programs. The
PDF's Chinese needs a CJK font: the ``CASELEDGER_CJK_FONT`` setting (a font file),
an installed one, or the one the package's dependencies ship
(``adapters.bulletin.pdf.find_cjk_font``); without any, 503 ``cjk_font_missing``.
"""

from __future__ import annotations

import re
from dataclasses import replace

import marshmallow as ma
from flask import Response, current_app, g

from adapters.bulletin.pdf import CjkFontMissing, bulletin_pdf
from adapters.bulletin.xlsx import PDF_MIME, XLSX_MIME, bulletin_xlsx
from domain.errors import ValidationFailed
from domain.permissions import check_read
from projections.ledger.appeals import COUNTERS, ReportingPeriod
from projections.reports.approvals import DEFINITIONS as APPROVAL_DEFINITIONS
from projections.reports.approvals import ApprovalSection, DepartmentRow
from projections.reports.bulletin import (
    COVERAGE_BELOW_MINIMUM,
    NO_WEIGHTED_RATE,
    RANKING_RULE,
    Bulletin,
    BulletinRow,
    monthly_bulletin,
    not_ranked_reason,
)
from projections.reports.consequences import COLUMNS as CONSEQUENCE_COLUMNS
from projections.reports.consequences import ConsequenceSection, consequence_section
from projections.reports.joint import JointSection, joint_section
from projections.reports.recurring import (
    ALPHA,
    TEST,
    Cluster,
    ReceivedAppeal,
    RecurringSection,
    month_before,
    recurring_section,
)
from web.api.blueprint import Blueprint
from web.api.presenters import iso
from web.api.schemas.common import PeriodArgsSchema
from web.api.schemas.hotline import DirectAnswerFiguresSchema, RecheckFiguresSchema
from web.api.schemas.joint import JointHandlingMonthSchema
from web.api.schemas.ratings import BadRatingLineSchema, bad_rating_line_json
from web.api.schemas.recurring import RecurringSchema
from web.api.schemas.reports import BulletinApprovalsSchema
from web.api.units import RATE_DEFINITIONS
from web.errors import ErrorSchema, error_response

blp = Blueprint(
    "reports", __name__, url_prefix="/api/reports", description="Monthly bulletins (通报) ranking the units"
)

PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # ASCII digits, nothing after: as the OpenAPI pattern means it
RATES = ("response", "on_time", "resolution", "satisfaction", "satisfaction_adjudicated")

BulletinCountsSchema = ma.Schema.from_dict(
    {c: ma.fields.Integer(required=True) for c in COUNTERS}, name="BulletinCountsSchema"
)
BulletinRatesSchema = ma.Schema.from_dict(
    {
        r: ma.fields.Float(
            required=True, allow_none=True, metadata={"minimum": 0, "maximum": 1, "description": RATE_DEFINITIONS[r]}
        )
        for r in RATES
    },
    name="BulletinRatesSchema",
)


class BulletinRowSchema(ma.Schema):
    rank = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "1 = best; equal units share a rank; null: not ranked (see not_ranked)"},
    )
    unit = ma.fields.String(required=True, metadata={"description": "the unit's code"})
    name = ma.fields.String(required=True)
    counts = ma.fields.Nested(BulletinCountsSchema, required=True)
    open_at_end = ma.fields.Integer(required=True)
    overdue_at_end = ma.fields.Integer(required=True)
    rectification_overdue_at_end = ma.fields.Integer(
        required=True,
        metadata={"description": "rectification periods of bad ratings (差评整改) ended and unmet at the period's end"},
    )
    rates = ma.fields.Nested(BulletinRatesSchema, required=True)
    composite = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "minimum": 0,
            "maximum": 100,
            "description": "points, 0-100 with 2 decimals (as in the workbook and the "
            "PDF): 100 x the weighted mean of the weighted rates that exist",
        },
    )
    coverage = ma.fields.Float(
        required=True, metadata={"minimum": 0, "maximum": 1, "description": "sum of the weights the composite rests on"}
    )
    not_ranked = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "enum": [NO_WEIGHTED_RATE, COVERAGE_BELOW_MINIMUM, None],
            "description": "null for a ranked unit (and the totals); else why it is not ranked: no weighted rate, "
            "or a composite resting on less than min_coverage of the weights",
        },
    )
    not_ranked_reason = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "not_ranked in words"}
    )


class BulletinSchema(ma.Schema):
    period = ma.fields.String(required=True)
    close_day = ma.fields.Integer(allow_none=True)
    start = ma.fields.String(required=True)
    end = ma.fields.String(required=True, metadata={"description": "exclusive"})
    weights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(), required=True)
    min_coverage = ma.fields.Float(
        required=True, metadata={"minimum": 0, "maximum": 1, "description": "the least coverage a unit is ranked with"}
    )
    ranking = ma.fields.String(required=True, metadata={"description": "how units are ranked"})
    units = ma.fields.List(
        ma.fields.Nested(BulletinRowSchema),
        required=True,
        metadata={"description": "the ranked units in rank order, then the units not ranked, by code"},
    )
    totals = ma.fields.Nested(BulletinRowSchema, required=True, metadata={"description": "all units' sums"})
    definitions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    approvals = ma.fields.Nested(
        BulletinApprovalsSchema,
        required=True,
        metadata={"description": "the approvals section (审批): the window's figures and each department's"},
    )
    recurring = ma.fields.Nested(
        RecurringSchema,
        required=True,
        metadata={"description": "recurring problems (堵点分析), as GET /api/reports/recurring gives them"},
    )
    bad_ratings = ma.fields.List(
        ma.fields.Nested(BadRatingLineSchema),
        required=True,
        metadata={
            "description": "the month's 差评 (004 item 二), by the time of the visit, each with its rectification and "
            "contest as they stand at as_of"
        },
    )
    as_of = ma.fields.String(required=True, metadata={"description": "when the list's rectifications were judged"})
    joint_handling = ma.fields.Nested(
        JointHandlingMonthSchema,
        required=True,
        metadata={"description": "联合办理 (004 item 六): the joint-handling ledger's figures for the period"},
    )
    consequences = ma.fields.Dict(
        required=True,
        metadata={
            "description": "the period's accountability consequences by unit (通报提醒, 约谈, 书面检查, 通报批评, "
            "专项督办, 追责问责 recommendations): columns (each with the consequence kinds it counts), units (those "
            "with one at least, by code: counts by column, total), totals, and items (each consequence: unit, kind, "
            "at, rule, source; ordered: an inspector's own (视情) with its reason; follow_up_due)"
        },
    )
    direct_answers = ma.fields.Nested(
        DirectAnswerFiguresSchema,
        required=True,
        metadata={"description": "即时办结: appeals the platform answered at first contact, never in a unit's figures"},
    )
    rechecks = ma.fields.Nested(
        RecheckFiguresSchema,
        required=True,
        metadata={"description": "回头看 in the period and their results; each unit's are in its counts too"},
    )


def _period(args) -> ReportingPeriod:
    check_read("bulletin", g.actor)  # a unit reads its own ledger instead (/api/units/<code>/ledger)
    if not PERIOD.fullmatch(args["period"]):  # PeriodArgsSchema's Python regex lets "٢٠٢٦-09" and "2026-09\n" by
        raise ValidationFailed({"period": "YYYY-MM"})
    try:
        period = ReportingPeriod.month(args["period"], args.get("close_day"))
        month_before(month_before(period))  # the recurring section reads the two months before it
    except (ValueError, OverflowError):  # year 0000, or a month running past 9999-12-31
        raise ValidationFailed({"period": "not a month of the years 1 to 9999"}) from None
    current_app.extensions["caseledger"].wait_for_views()
    return period


def _bulletin(args, recurring: bool = True) -> Bulletin:
    """The month's bulletin; with ``recurring`` its recurring-problems section too (the analysis of three
    months of appeals: seconds at 100,000 cases; the workspace's page links to it instead)."""
    period = _period(args)
    container = current_app.extensions["caseledger"]
    registered = container.directory.units()
    bulletin = monthly_bulletin(
        container.read_models["ledger"].view,
        [(u.code, u.name) for u in registered if u.active],
        period,
        names={u.code: u.name for u in registered},
        approvals=True,
        as_of=container.clock(),
    )
    if not recurring:
        return bulletin
    return replace(
        bulletin,
        recurring=recurring_section(container.read_models["case_list"].view, period, args.get("close_day")),
        joint=joint_handling(period),
        consequences=_consequences(container, registered, period),
    )


def _consequences(container, registered, period: ReportingPeriod) -> ConsequenceSection:
    """The period's consequences by unit, from each unit's accountability trail."""
    container.wait_for_accountability()
    trail = container.accountability_trail
    records = [
        (u.code, u.name, [e["data"] for e in trail.entries(u.code) if e["entry"] == "consequence"]) for u in registered
    ]
    return consequence_section(records, period.start, period.end)


def consequences_json(section: ConsequenceSection) -> dict:
    def row(r) -> dict:
        return {"unit": r.unit, "name": r.name, "counts": dict(r.counts), "total": r.total}

    return {
        "columns": {c: list(kinds) for c, kinds in CONSEQUENCE_COLUMNS.items()},
        "units": [row(r) for r in section.rows],
        "totals": row(section.totals),
        "items": [
            {
                "unit": i.unit,
                "name": i.unit_name,
                "id": i.id,
                "kind": i.kind,
                "at": iso(i.at),
                "rule": i.rule,
                "rule_title": i.rule_title,
                "source": i.source,
                "ordered": i.ordered,
                "reason": i.reason,
                "follow_up_due": iso(i.follow_up_due) if i.follow_up_due else None,
            }
            for i in section.items
        ],
    }


def joint_handling(period: ReportingPeriod) -> JointSection:
    """The bulletin's joint-handling section (projections.reports.joint), from the case list."""
    view = current_app.extensions["caseledger"].read_models["case_list"].view
    return joint_section(view.joint_cases(period.end), period)


def _recurring_case(a: ReceivedAppeal) -> dict:
    return {
        "id": a.id,
        "case_no": a.case_no,
        "received_at": iso(a.received_at),
        "category": a.category,
        "unit": a.unit,
        "enterprise": a.enterprise,
        "credit_code": a.credit_code,
        "subject": a.subject,
        "status": a.status,
        "merged_into": a.merged_into,
    }


def _cluster(c: Cluster) -> dict:
    return {
        "cases": [_recurring_case(a) for a in c.cases],
        "links": [{"a": ln.a, "b": ln.b, "reason": ln.reason, "score": ln.score} for ln in c.links],
    }


def recurring_json(section: RecurringSection) -> dict:
    p = section.period
    return {
        "period": p.name,
        "start": iso(p.start),
        "end": iso(p.end),
        "months": [{"period": m.name, "start": iso(m.start), "end": iso(m.end)} for m in section.months],
        "enterprises": [
            {
                "name": e.name,
                "credit_code": e.credit_code,
                "counts": e.counts,
                "total": e.total,
                "merged": e.merged,
                "cases": [_recurring_case(a) for a in e.cases],
            }
            for e in section.enterprises
        ],
        "category_units": [
            {
                "category": c.category,
                "unit": c.unit,
                "count": c.count,
                "previous": c.previous,
                "change": c.change,
                "p_value": None if c.p_value is None else round(c.p_value, 4),
                "significant": c.significant,
            }
            for c in section.category_units
        ],
        "test": TEST,
        "alpha": ALPHA,
        "clusters": {
            "merged": [_cluster(c) for c in section.merged],
            "suggested": [_cluster(c) for c in section.suggested],
        },
        "definitions": RECURRING_DEFINITIONS,
    }


RECURRING_DEFINITIONS = {
    "enterprises": "enterprises (by credit code, else by name) with two appeals or more received in the period "
    "and the two months before it, one of them in the period; merged repeats included",
    "category_units": "appeals received in the period by category and lead unit against the month before; a merged "
    "repeat is counted once, with the case it joined",
    "merged": "repeats received in the period merged (并单) into another case, with that case",
    "suggested": "appeals not merged, received within 30 days of each other, with one credit code or "
    "trigram-similar subjects: likely repeats, for a person to judge",
}


def _row_json(row: BulletinRow, b: Bulletin) -> dict:
    return {
        "rank": row.rank,
        "unit": row.code,
        "name": row.name,
        "counts": row.counts,
        "open_at_end": row.open_at_end,
        "overdue_at_end": row.overdue_at_end,
        "rectification_overdue_at_end": row.rectification_overdue_at_end,
        "rates": row.rates,
        "composite": row.composite,
        "coverage": row.coverage,
        "not_ranked": row.not_ranked,
        "not_ranked_reason": not_ranked_reason(row, b.min_coverage),
    }


def _approvals_json(section: ApprovalSection) -> dict:
    def department(row: DepartmentRow) -> dict:
        return {
            "unit": row.code,
            "name": row.name,
            "counts": dict(row.counts),
            "overdue_at_end": row.overdue_at_end,
            "rates": row.rates,
        }

    return {
        "counts": dict(section.counts),
        "decision_overdue_at_end": section.figures.decision_overdue_at_end,
        "rates": section.rates,
        "departments": [department(r) for r in section.departments],
        "department_totals": department(section.totals),
        "definitions": APPROVAL_DEFINITIONS,
    }


def _binary(mimetype: str, description: str) -> dict:
    """The OpenAPI description of a file download."""
    return {
        "200": {
            "description": description,
            "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Content-Disposition": {
                    "schema": {"type": "string"},
                    "description": 'attachment; filename="bulletin-YYYY-MM.…"',
                }
            },
        }
    }


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/monthly", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, BulletinSchema)
def monthly(args):
    """The month's bulletin: every unit's ledger figures and composite score, units ranked; the approvals
    (审批) in a section of their own."""
    b = _bulletin(args)
    assert b.approvals is not None and b.recurring is not None  # ``_bulletin`` asks for both
    return {
        "period": b.period.name,
        "close_day": args.get("close_day"),
        "start": iso(b.period.start),
        "end": iso(b.period.end),
        "weights": dict(b.weights),
        "min_coverage": b.min_coverage,
        "ranking": RANKING_RULE,
        "units": [_row_json(r, b) for r in b.rows],
        "totals": _row_json(b.totals, b),
        "definitions": RATE_DEFINITIONS,
        "approvals": _approvals_json(b.approvals),
        "bad_ratings": [bad_rating_line_json(e, iso) for e in b.bad_ratings],
        "as_of": iso(b.as_of),
        "recurring": recurring_json(b.recurring),
        "joint_handling": b.joint.as_dict() if b.joint else joint_handling(b.period).as_dict(),
        "consequences": consequences_json(b.consequences) if b.consequences is not None else None,
        "direct_answers": b.hotline.direct_answers,
        "rechecks": b.hotline.rechecks,
    }


@blp.route("/recurring", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, RecurringSchema)
def recurring(args):
    """Recurring problems (堵点分析, 004 item 六): enterprises appealing again and again, category x unit against
    the month before with significant rises marked, merged and suggested-repeat clusters."""
    period = _period(args)
    return recurring_json(
        recurring_section(
            current_app.extensions["caseledger"].read_models["case_list"].view, period, args.get("close_day")
        )
    )


@blp.route("/monthly.xlsx", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, content_type=XLSX_MIME, description="the bulletin as an Excel workbook (attachment)")
@blp.doc(responses=_binary(XLSX_MIME, "the bulletin as an Excel workbook (attachment)"))
def monthly_xlsx(args):
    """The month's bulletin as an Excel workbook: the ranking, and the rates' definitions."""
    b = _bulletin(args)
    return _download(bulletin_xlsx(b), XLSX_MIME, f"bulletin-{b.period.name}.xlsx")


@blp.route("/monthly.pdf", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, content_type=PDF_MIME, description="the bulletin as a PDF (attachment)")
@blp.doc(responses=_binary(PDF_MIME, "the bulletin as a PDF (attachment)"))
@blp.alt_response(503, schema=ErrorSchema, description="no font with Chinese glyphs is installed: cjk_font_missing")
def monthly_pdf(args):
    """The month's bulletin as a PDF: the ranking table, then on-time rates and overdue cases per unit."""
    b = _bulletin(args)
    try:
        pdf = bulletin_pdf(b, current_app.extensions["caseledger"].settings.cjk_font)
    except CjkFontMissing as missing:  # the service is installed without the font it depends on
        return error_response(503, "cjk_font_missing", str(missing))
    return _download(pdf, PDF_MIME, f"bulletin-{b.period.name}.pdf")
