"""The reports as pages: the monthly bulletin (通报) with its Excel and PDF, 堵点分析, and a unit's ledger (台账).

Each page reads what the API's route of the same report reads, through the same code
(``web.api.reports``, ``web.api.units``), for the same roles (``domain.permissions.READS``: the bulletin
and the recurring problems for every role but a unit; a ledger for everyone, a unit its own only).
The Excel and PDF links are workspace routes that give the very files ``GET /api/reports/monthly.xlsx``
and ``….pdf`` give, with the session cookie instead of a bearer token. Without a ``period`` a page shows
the current month (Asia/Shanghai) of the service's time source; a malformed one is a 422 page saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import g, render_template, request, url_for

from adapters.bulletin.pdf import bulletin_pdf
from adapters.bulletin.xlsx import PDF_MIME, XLSX_MIME, bulletin_xlsx
from domain.deadlines.periods import SHANGHAI
from domain.errors import ValidationFailed
from domain.permissions import READS
from projections.ledger.appeals import COUNTERS, ReportingPeriod
from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS
from projections.reports.approvals import DECISION_OVERDUE_LABEL, DEFINITIONS_ZH
from projections.reports.bulletin import RATE_DEFINITIONS_ZH, Bulletin, composite_definition_zh, not_ranked_reason
from projections.reports.joint import DEFINITIONS as JOINT_DEFINITIONS
from projections.reports.joint import JointSection
from projections.reports.recurring import TEST_ZH, RecurringSection, recurring_section
from web.api import reports as api_reports
from web.api.accountability import accountability_json
from web.api.schemas.common import PeriodArgsSchema
from web.labels import (
    APPROVAL_DAY_COUNT,
    APPROVAL_DEPARTMENT_COUNT,
    CATEGORY,
    CONSEQUENCE,
    CONTEST,
    COUNT,
    RATE,
    RECTIFICATION,
    REPEAT_LINK,
    SATISFACTION,
    citation,
    name_of,
    status_name,
)
from web.workspace.accountability import PERIOD_MESSAGE, _unit_or_404
from web.workspace.formats import shown_at
from web.workspace.hotline import hotline_counts
from web.workspace.pages import bp, container, error_page, for_roles, unit_name, unit_names

CLOSE_DAY_MESSAGE = "统计截止日须为 1 至 28 之间的整数（不填为自然月）"
RATES = ("response", "on_time", "resolution", "satisfaction", "satisfaction_adjudicated")
# The ledger's figures at the period's end, beside the counters.
AT_END = {
    "open_at_end": "期末未办结",
    "overdue_at_end": "期末超期",
    "rectification_overdue_at_end": "期末整改超期",
}


# -- the period --------------------------------------------------------------------------------------
def current_period() -> str:
    """The current month, Asia/Shanghai, of the service's time source."""
    return container().clock().astimezone(SHANGHAI).strftime("%Y-%m")


def _period_args() -> tuple[dict[str, Any], dict[str, str]]:
    """``period`` (default: the current month) and ``close_day`` as the API's schema reads them, and
    the problems with them in Chinese, by field."""
    period = request.args.get("period") or current_period()  # as sent: "2026-09\n" is no month
    close_day = (request.args.get("close_day") or "").strip()
    given = {"period": period, **({"close_day": close_day} if close_day else {})}
    try:
        return PeriodArgsSchema().load(given), {}
    except ma.ValidationError as refused:
        fields = refused.messages if isinstance(refused.messages, dict) else {}
        errors = {"period": PERIOD_MESSAGE} if "period" in fields else {}
        if "close_day" in fields:
            errors["close_day"] = CLOSE_DAY_MESSAGE
        return given, errors or {"period": PERIOD_MESSAGE}


def _timing(period: ReportingPeriod) -> str:
    """Whether the period has begun, or is still running, as of now."""
    now = container().clock()
    if period.start > now:
        return "not_begun"
    return "running" if period.end > now else "ended"


def _query(args: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (("period", args.get("period")), ("close_day", args.get("close_day"))) if v}


def _url(endpoint: str, query: Mapping[str, str], code: str | None = None) -> str:
    """The page's URL with the period's query."""
    path = url_for(endpoint, code=code) if code else url_for(endpoint)
    return path + ("?" + urlencode(query) if query else "")


def _refused(template: str, args: Mapping[str, Any], errors: dict[str, str], **context: Any):
    """The page again, with the period picker and what is wrong with the period: 422, nothing else shown."""
    return render_template(
        template,
        args=args,
        errors=errors,
        summary=[(f"f-{name}", message) for name, message in errors.items()],
        refused=True,
        **context,
    ), 422


# -- formatting ---------------------------------------------------------------------------------------
def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# -- the monthly bulletin (通报) -------------------------------------------------------------------------
@bp.get("/reports/monthly")
@for_roles(READS["bulletin"].roles)
def monthly_report():
    """月度通报: the units ranked with their rates and counters, the approvals, the month's consequences."""
    args, errors = _period_args()
    if not errors:
        try:
            bulletin = api_reports._bulletin(args, recurring=False)  # the page links to 堵点分析
        except ValidationFailed:
            errors = {"period": PERIOD_MESSAGE}
    if errors:
        return _refused("monthly_report.html", args, errors)
    query = _query(args)
    return render_template(
        "monthly_report.html",
        args=args,
        errors={},
        summary=[],
        refused=False,
        b=bulletin,
        timing=_timing(bulletin.period),
        as_of=shown_at(bulletin.as_of),
        ranking=[_bulletin_row(r, bulletin) for r in bulletin.rows],
        totals=_bulletin_row(bulletin.totals, bulletin),
        rates=[(r, RATE[r]) for r in RATES],
        rate_definitions=[(RATE[r], RATE_DEFINITIONS_ZH[r]) for r in RATES],
        composite_definition=composite_definition_zh(bulletin.weights),
        min_coverage=f"{bulletin.min_coverage:.0%}",
        counters=[(c, COUNT[c]) for c in COUNTERS],
        at_end=list(AT_END.items()),
        approvals=_approvals(bulletin),
        bad_ratings=[
            {
                "case_no": e.case_no,
                "url": url_for("workspace.appeal_page", case_id=e.case_id),
                "unit": e.unit_name,
                "level": SATISFACTION.get(e.level, e.level),
                "visited": shown_at(e.visited_at),
                "due": shown_at(e.due),
                "rectification": RECTIFICATION.get(e.rectification, ""),
                "contest": CONTEST.get(e.contest, ""),
            }
            for e in bulletin.bad_ratings
        ],
        consequences=_consequences_by_unit(bulletin.period.name),
        joint=joint_month(bulletin.joint or api_reports.joint_handling(bulletin.period)),
        record_readers=g.actor.role in READS["accountability"].roles,
        xlsx_url=_url("workspace.monthly_report_xlsx", query),
        pdf_url=_url("workspace.monthly_report_pdf", query),
        recurring_url=_url("workspace.recurring_report", query),
        percent=percent,
        points=points,
        hotline=hotline_counts(bulletin.hotline),
    )


def joint_month(section: JointSection) -> list[tuple[str, int]]:
    """The bulletin's joint-handling figures (联合办理, 004 item 六), each with its definition."""
    return [(JOINT_DEFINITIONS[name], count) for name, count in section.as_dict().items()]


def _bulletin_row(row, b: Bulletin) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "code": row.code,
        "name": row.name,
        "composite": row.composite,
        "coverage": f"{row.coverage:.0%}",
        "rates": row.rates,
        "counts": row.counts,
        "at_end": {name: getattr(row, name) for name in AT_END},
        "not_ranked": not_ranked_reason(row, b.min_coverage, chinese=True),
        "ledger_url": _url("workspace.unit_ledger", {"period": b.period.name}, code=row.code)
        if row.code != "TOTAL"
        else None,
    }


def _approvals(b: Bulletin) -> dict[str, Any]:
    section = b.approvals
    assert section is not None  # ``_bulletin`` asks for it
    return {
        "counts": [(APPROVAL_DAY_COUNT[c][0], section.counts[c]) for c in DAY_COUNTERS],
        "decision_overdue": (DECISION_OVERDUE_LABEL[0], section.figures.decision_overdue_at_end),
        "on_time": percent(section.rates["on_time"]),
        "on_time_definition": DEFINITIONS_ZH["on_time"],
        "department_definition": DEFINITIONS_ZH["department_on_time"],
        "columns": [APPROVAL_DEPARTMENT_COUNT[c][0] for c in APPROVAL_COUNTERS],
        "departments": [
            {
                "name": d.name,
                "code": d.code,
                "counts": [d.counts[c] for c in APPROVAL_COUNTERS],
                "overdue": d.overdue_at_end,
                "on_time": percent(d.rates["on_time"]),
            }
            for d in (*section.departments, section.totals)
        ],
    }


def _consequences_by_unit(period: str) -> list[dict[str, Any]]:
    """The month's consequences (通报提醒, 约谈, 书面检查, …) by unit, from each unit's accountability record."""
    container().wait_for_accountability()
    found = []
    for code, name in sorted(unit_names().items()):
        items = [
            {
                "title": name_of(CONSEQUENCE, c["kind"]),
                "at": shown_at(c["at"]),
                "rule": c["rule_title"] + (f"（视情作出，理由：{c['reason']}）" if c.get("ordered_by") else ""),
                "source": citation(c["source"]),
            }
            for c in accountability_json(container(), code, period)["consequences"]
        ]
        if items:
            url = url_for("workspace.unit_accountability", code=code, period=period)
            found.append({"code": code, "name": name, "entries": items, "url": url})
    return found


def _download(args_to_body: Callable[[Bulletin], bytes], mimetype: str, suffix: str):
    args, errors = _period_args()
    if not errors:
        try:
            bulletin = api_reports._bulletin(args)
        except ValidationFailed:
            errors = {"period": PERIOD_MESSAGE}
    if errors:
        return error_page(422, "月份格式不正确", "；".join(errors.values()) + "。")
    return api_reports._download(args_to_body(bulletin), mimetype, f"bulletin-{bulletin.period.name}.{suffix}")


@bp.get("/reports/monthly.xlsx")
@for_roles(READS["bulletin"].roles)
def monthly_report_xlsx():
    """下载 Excel: the workbook ``GET /api/reports/monthly.xlsx`` gives, for the session's user."""
    return _download(bulletin_xlsx, XLSX_MIME, "xlsx")


@bp.get("/reports/monthly.pdf")
@for_roles(READS["bulletin"].roles)
def monthly_report_pdf():
    """下载 PDF: the document ``GET /api/reports/monthly.pdf`` gives, for the session's user."""
    return _download(lambda b: bulletin_pdf(b, container().settings.cjk_font), PDF_MIME, "pdf")


# -- recurring problems (堵点分析) -----------------------------------------------------------------------
@bp.get("/reports/recurring")
@for_roles(READS["bulletin"].roles)
def recurring_report():
    """堵点分析 (004 item 六): repeat enterprises, category × unit against the month before, clusters."""
    args, errors = _period_args()
    if not errors:
        try:
            period = api_reports._period(args)
        except ValidationFailed:
            errors = {"period": PERIOD_MESSAGE}
    if errors:
        return _refused("recurring_report.html", args, errors)
    section = recurring_section(container().read_models["case_list"].view, period, args.get("close_day"))
    return render_template(
        "recurring_report.html",
        args=args,
        errors={},
        summary=[],
        refused=False,
        timing=_timing(period),
        test=TEST_ZH,
        **_recurring(section),
        monthly_url=_url("workspace.monthly_report", _query(args)),
    )


def _case(a) -> dict[str, Any]:
    return {
        "case_no": a.case_no,
        "url": url_for("workspace.appeal_page", case_id=a.id),
        "received": shown_at(a.received_at),
        "subject": a.subject,
        "enterprise": a.enterprise,
        "unit": unit_name(a.unit) if a.unit else "尚未转办",
        "status": status_name(a.status),
        "merged_into": a.merged_into,
    }


def _recurring(section: RecurringSection) -> dict[str, Any]:
    return {
        "months": [m.name for m in section.months],
        "enterprises": [
            {
                "name": e.name,
                "credit_code": e.credit_code,
                "counts": [e.counts[m.name] for m in section.months],
                "total": e.total,
                "merged": e.merged,
                "cases": [_case(a) for a in e.cases],
            }
            for e in section.enterprises
        ],
        "cells": [
            {
                "category": CATEGORY.get(c.category, c.category),
                "unit": unit_name(c.unit) if c.unit else "尚未转办",
                "count": c.count,
                "previous": c.previous,
                "change": f"{c.change:+d}",
                "p_value": "—" if c.p_value is None else f"{c.p_value:.4f}",
                "significant": c.significant,
            }
            for c in section.category_units
        ],
        "merged": [[_case(a) for a in c.cases] for c in section.merged],
        "suggested": [
            {
                "cases": [_case(a) for a in c.cases],
                "why": "、".join(REPEAT_LINK[r] for r in sorted({ln.reason for ln in c.links})),
            }
            for c in section.suggested
        ],
    }


# -- a unit's ledger (台账) --------------------------------------------------------------------------
@bp.get("/units/<code>/ledger")
@for_roles(READS["ledger"].roles)
def unit_ledger(code: str):
    """本单位台账: the unit's counts, its open and overdue cases at the period's end, its rates, and its
    approvals as a reviewing department (a unit user its own only)."""
    unit = _unit_or_404(code, "ledger")
    args, errors = _period_args()
    if errors:
        return _refused("unit_ledger.html", args, errors, unit=unit)
    period = ReportingPeriod.month(args["period"], args.get("close_day"))
    container().wait_for_views()
    figures = container().read_models["ledger"].view.figures(code, period)
    approvals = figures.approvals
    return render_template(
        "unit_ledger.html",
        args=args,
        errors={},
        summary=[],
        refused=False,
        unit=unit,
        period=period,
        start=shown_at(period.start),
        end=shown_at(period.end),
        timing=_timing(period),
        counts=[(COUNT[c], figures.counts[c]) for c in COUNTERS],
        at_end=[(label, getattr(figures, name)) for name, label in AT_END.items()],
        rates=[(RATE[r], percent(figures.rates[r]), RATE_DEFINITIONS_ZH[r]) for r in RATES],
        approvals=[(APPROVAL_DEPARTMENT_COUNT[c][0], approvals.counts[c]) for c in APPROVAL_COUNTERS],
        approvals_overdue=approvals.overdue_at_end,
        approvals_on_time=percent(approvals.rates["on_time"]),
        approvals_definition=DEFINITIONS_ZH["department_on_time"],
        record_url=url_for("workspace.unit_accountability", code=code)
        if g.actor.role in READS["accountability"].roles
        else None,
        hotline=hotline_counts(container().read_models["ledger"].view.hotline_figures(period)),
    )
