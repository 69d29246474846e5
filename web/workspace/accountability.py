"""The accountability pages (问责): the register across units, one unit's record, and what followed.

``/accountability`` (问责台账) lists every consequence of every unit — the unit and its head in office
that day, the rule by document and item, the case events it rests on, what followed and what is still
due — with filters, paging and a CSV of all rows of the filter; for inspectors (纪检监察), supervisors
(督办), auditors and admins, who read accountability across units (domain.permissions.READS).
``/units/{code}/accountability`` is one unit's record, as ``GET /api/units/{code}/accountability``
gives it (a unit user reads its own only); inspectors, supervisors and admins record what followed
there (``记录后续处理``), through the service call of ``POST /api/units/{code}/accountability/actions``
with the same checks. Every figure comes from the API's own builder (``accountability_json``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import marshmallow as ma
from eventsourcing.application import AggregateNotFoundError
from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from domain.accountability.follow_up import ORDERS
from domain.accountability.record import actions_due
from domain.actors import Role
from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, NotPermitted, ValidationFailed, VersionConflict
from domain.permissions import ACTION_ROLES, READS, check_read
from projections.cases.case_list import CaseListQuery
from web.api.accountability import accountability_json
from web.api.schemas.common import Timestamp
from web.labels import CONSEQUENCE, EVIDENCE, FIELD, FOLLOW_UP, LAPSE, ROLE, citation, event_name, name_of
from web.workspace.formats import shown_at
from web.workspace.forms import choices
from web.workspace.pages import PageForbidden, _deadline_title, bp, container, error_page, for_roles, unit_name

PER_PAGE = 20
REGISTER_ROLES = READS["accountability"].roles - {Role.UNIT}  # across units: every reader but a unit
MONTH = re.compile(r"(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])", re.ASCII)  # as the API's period (YYYY-MM)
PERIOD_MESSAGE = "请按“年-月”填写月份（如 2026-10），年份在 1970 至 2999 之间"
NOTE_LIMIT = 4000  # as the API's note


# -- what a consequence reads as --------------------------------------------------------------------
def _who(actor: dict[str, Any]) -> str:
    role = ROLE.get(actor.get("role") or "", "")
    unit = unit_name(actor.get("unit")) if actor.get("unit") else ""
    return f"{actor.get('user') or ''}（{role}{' · ' + unit if unit else ''}）"


def _case_kind(case_id: str) -> str | None:
    """Whether a case of the evidence is an appeal or an approval (for its page), once per request."""
    kinds = g.setdefault("case_kinds", {})
    if case_id not in kinds:
        try:
            kinds[case_id] = container().appeals.repository.get(UUID(case_id)).KIND
        except (ValueError, AggregateNotFoundError):
            kinds[case_id] = None
    return kinds[case_id]


def _know_kinds(consequences: list[dict[str, Any]]) -> None:
    """The kinds of every case these consequences rest on, read from the case list in one query (each
    case loaded on its own took most of the register's time); ``_case_kind`` loads any other."""
    kinds = g.setdefault("case_kinds", {})
    wanted = [e["case_id"] for c in consequences for e in c["evidence"] if e["case_id"] not in kinds]
    if wanted:
        kinds.update(container().read_models["case_list"].view.kinds(wanted))


def _evidence(items: list[dict[str, Any]], links: bool) -> list[dict[str, Any]]:
    """Each case event a consequence rests on: case number, the event's sequence and name, its page."""
    shown = []
    for e in items:
        kind = _case_kind(e["case_id"]) if links else None
        name = EVIDENCE.get(e["type"]) or event_name(kind or "appeal", e["type"])
        shown.append(
            {
                "case_no": e["case_no"],
                "seq": e["seq"],
                "name": name,
                "url": url_for(f"workspace.{kind}_page", case_id=e["case_id"]) + "#history" if kind else None,
                "text": f"{e['case_no']} 第 {e['seq']} 项记录（{name}）",
            }
        )
    return shown


def _follow_up(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": a["action"],
        "title": name_of(FOLLOW_UP, a["action"]),
        "at": shown_at(a["at"]),
        "at_iso": a["at"],
        "recorded": shown_at(a["recorded_at"]),
        "note": a["note"],
        "who": _who(a["actor"]),
        "consequence": a["consequence"],
        "case_id": a["case_id"],
        "supervision": a["supervision"],
    }


def _consequence(c: dict[str, Any], unit, titles: dict[str, str], links: bool = True) -> dict[str, Any]:
    """A consequence as the pages and the CSV show it (``c`` as ``accountability_json`` gives it)."""
    at = datetime.fromisoformat(c["at"])
    head = c.get("head") or (unit.head_on(at.astimezone(SHANGHAI).date()) if unit is not None else None)
    follow_ups = [_follow_up(a) for a in c["follow_ups"]]
    evidence = _evidence(c["evidence"], links)
    counted = [titles.get(i, "") for i in c["caused_by"]]
    return {
        "id": c["id"],
        "unit": unit.code if unit is not None else "",
        "unit_name": unit.name if unit is not None else "",
        "title": name_of(CONSEQUENCE, c["kind"]),
        "at": shown_at(c["at"]),
        "at_iso": c["at"],
        "period": c["period"],
        "head": head["name"] if head else "",
        "head_from": head["from"] if head else "",
        "rule": c["rule"],
        "rule_title": c["rule_title"],
        "source": citation(c["source"]),
        "evidence": evidence,
        "counted": "、".join(t for t in counted if t),
        "follow_ups": follow_ups,
        "due": [name_of(FOLLOW_UP, a) for a in actions_due(c["kind"], (f["action"] for f in follow_ups))],
        "open": not follow_ups,
        **_follow_up_and_order(c),
    }


def _follow_up_and_order(c: dict[str, Any]) -> dict[str, Any]:
    """The follow-up's due moment and whether it has passed unanswered (逾期未跟进); for an inspector's own
    consequence (视情), who decided it and why."""
    ordered = c.get("ordered_by")
    return {
        "follow_up_due": shown_at(c["follow_up_due"]) if c.get("follow_up_due") else "",
        "follow_up_overdue": bool(c.get("follow_up_overdue")),
        "ordered_by": _who(ordered) if ordered else "",
        "reason": c.get("reason") or "",
        "order_note": c.get("note") or "",
    }


def _record(code: str, period: str | None, links: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The unit's record as the API builds it, and its consequences as the pages show them."""
    record = accountability_json(container(), code, period)
    unit = container().directory.units_by_code().get(code)
    if links:
        _know_kinds(record["consequences"])
    titles = {c["id"]: name_of(CONSEQUENCE, c["kind"]) for c in record["consequences"]}
    return record, [_consequence(c, unit, titles, links) for c in record["consequences"]]


# -- the register (问责台账) ----------------------------------------------------------------------------
def _register_filters() -> tuple[dict[str, Any], dict[str, str]]:
    args = request.args
    period = args.get("period") or ""  # as sent: "2026-09\n" is no month
    errors = {"period": PERIOD_MESSAGE} if period and not MONTH.fullmatch(period) else {}
    page = args.get("page", "1")
    return {
        "unit": (args.get("unit") or "").strip(),
        "period": period,
        "rule": (args.get("rule") or "").strip(),
        "open": args.get("open") == "1",
        "page": max(1, min(int(page), 10**6)) if page.isdigit() else 1,
    }, errors


def _register_rows(f: dict[str, Any], links: bool) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Every consequence of the filter, newest first, and the rules they cite (for the rule filter)."""
    container().wait_for_views()
    container().wait_for_accountability()
    codes = sorted(u.code for u in container().directory.units())
    if f["unit"]:
        codes = [c for c in codes if c == f["unit"]]
    rows: list[dict[str, Any]] = []
    rules: dict[str, str] = {}
    for code in codes:
        for row in _record(code, f["period"] or None, links)[1]:
            rules.setdefault(row["rule"], f"{row['rule_title']}（{row['source']}）")
            if f["rule"] and row["rule"] != f["rule"]:
                continue
            if f["open"] and not row["open"]:
                continue
            rows.append(row)
    rows.sort(key=lambda r: (r["at_iso"], r["unit"], r["id"]), reverse=True)
    return rows, sorted(rules.items(), key=lambda r: r[1])


def _kept(f: dict[str, Any]) -> dict[str, str]:
    return {
        k: v
        for k, v in (
            ("unit", f["unit"]),
            ("period", f["period"]),
            ("rule", f["rule"]),
            ("open", "1" if f["open"] else ""),
        )
        if v
    }


@bp.get("/accountability")
@for_roles(REGISTER_ROLES)
def accountability_register():
    """问责台账: every consequence across units, with its rule, evidence, what followed and what is due."""
    f, errors = _register_filters()
    rows, rules = ([], []) if errors else _register_rows(f, links=True)
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(f["page"], pages)
    kept = _kept(f)
    return render_template(
        "accountability_register.html",
        rows=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(rows),
        page=page,
        pages=pages,
        f=f,
        errors=errors,
        summary=[(f"f-{name}", message) for name, message in errors.items()],
        units=sorted((u.code, u.name) for u in container().directory.units()),
        rules=rules,
        page_url=lambda n: url_for("workspace.accountability_register") + "?" + urlencode({**kept, "page": n}),
        export_url=url_for("workspace.accountability_csv") + ("?" + urlencode(kept) if kept else ""),
    ), (422 if errors else 200)


CSV_COLUMNS = (
    "单位",
    "单位代码",
    "问责处理",
    "作出时间",
    "时任主要负责人",
    "依据",
    "出处",
    "证据",
    "后续处理",
    "尚待处理",
)


def csv_line(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["unit_name"],
        row["unit"],
        row["title"],
        row["at"],
        row["head"],
        row["rule_title"],
        row["source"],
        "；".join(e["text"] for e in row["evidence"]) + (f"；累计：{row['counted']}" if row["counted"] else ""),
        "；".join(
            f"{u['title']}（发生于 {u['at']}，记录于 {u['recorded']}，{u['who']}）：{u['note']}"
            for u in row["follow_ups"]
        ),
        "、".join(row["due"]),
    )


@bp.get("/accountability.csv")
@for_roles(REGISTER_ROLES)
def accountability_csv():
    """The register's rows of the filter, every page of them, as CSV (UTF-8 with BOM, for Excel)."""
    f, errors = _register_filters()
    if errors:
        return error_page(422, "月份格式不正确", PERIOD_MESSAGE + "。")
    rows, _ = _register_rows(f, links=False)

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(csv_line(row))
        yield "\ufeff" + out.getvalue()

    stamp = container().clock().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    return Response(
        lines(),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=accountability-{stamp}.csv",
        },
    )


# -- one unit's record, and what followed -------------------------------------------------------------
class FollowUpForm(FlaskForm):
    """记录后续处理: what followed a consequence (or on a case), when it happened, and what was done."""

    action = SelectField("后续处理", validate_choice=False)
    consequence = SelectField("对应的问责处理（约谈、书面检查须选择；移送可选择）", validate_choice=False)
    case_no = StringField("案件编号（挂牌督办、移送时填写；视情处理可引用所涉案件）")
    supervision = SelectField("要销号的挂牌督办", validate_choice=False)
    note = TextAreaField("处理情况（视情处理可不填）")
    reason = TextAreaField("理由（视情通报批评、视情约谈须填写）")
    occurred_at = StringField("发生时间（不填即为现在）", render_kw={"type": "datetime-local"})


def _actions_of(role: Role) -> list[str]:
    return [a for a, roles in ACTION_ROLES.items() if role in roles]


def _prepared(
    form: FollowUpForm, record: dict[str, Any], rows: list[dict[str, Any]], case_numbers: dict[str, str]
) -> FollowUpForm:
    """The form's choices: the actions the user's role may record, the unit's consequences and its
    listed supervisions still open; fields no action of the role needs are left out."""
    actions = _actions_of(g.actor.role)
    form.action.choices = choices([("", "请选择"), *((a, FOLLOW_UP[a]) for a in actions)])
    form.consequence.choices = choices(
        [("", "不对应具体问责处理"), *((r["id"], f"{r['title']}（{r['at']}，{r['rule_title']}）") for r in rows)]
    )
    form.supervision.choices = choices(
        [
            ("", "请选择"),
            *(
                (s["id"], f"{case_numbers.get(s['case_id'], '')}（{shown_at(s['opened_at'])} 挂牌）")
                for s in record["supervisions"]
                if s["status"] == "listed"
            ),
        ]
    )
    shown = set()
    if {"interview_held", "self_examination_received", "referral_made"} & set(actions):
        shown.add("consequence")
    if {"referral_made", "listed_supervision_opened", *ORDERS} & set(actions):
        shown.add("case_no")
    if set(ORDERS) & set(actions):
        shown.add("reason")
    if "listed_supervision_struck_off" in actions:
        shown.add("supervision")
    form.shown = shown  # read by the template
    return form


def _case_numbers(record: dict[str, Any]) -> dict[str, str]:
    """The case numbers of the cases the record names (its lapses' and its evidence's)."""
    numbers = {lapse["case_id"]: lapse["case_no"] for lapse in record["lapses"]}
    for c in record["consequences"]:
        numbers.update({e["case_id"]: e["case_no"] for e in c["evidence"]})
    missing = {s["case_id"] for s in record["supervisions"] if s["case_id"] and s["case_id"] not in numbers} | {
        a["case_id"] for a in record["actions"] if a["case_id"] and a["case_id"] not in numbers
    }
    for case_id in missing:
        try:
            numbers[case_id] = container().appeals.repository.get(UUID(case_id)).case_no
        except (ValueError, AggregateNotFoundError):
            numbers[case_id] = ""
    return numbers


def _lapse(lapse: dict[str, Any]) -> dict[str, Any]:
    detail = lapse["detail"] or {}
    if lapse["kind"] == "deadline_missed":
        kind = _case_kind(lapse["case_id"]) or "appeal"
        what = _deadline_title(lapse["profile"], kind, detail.get("deadline"))
        what += f"，截止 {shown_at(detail['due'])}" if detail.get("due") else ""
    else:
        what = f"退回理由：{detail['reason']}" if detail.get("reason") else ""
    page = _case_kind(lapse["case_id"])
    return {
        "title": name_of(LAPSE, lapse["kind"]),
        "case_no": lapse["case_no"],
        "seq": lapse["case_seq"],
        "url": url_for(f"workspace.{page}_page", case_id=lapse["case_id"]) + "#history" if page else None,
        "at": shown_at(lapse["at"]),
        "detail": what,
    }


def _unit_or_404(code: str, what: str = "accountability"):
    """The unit whose record (or ledger) the page shows: who may read it is decided before whether it
    exists (a unit user reads its own only: 403 for another's, as the API)."""
    try:
        check_read(what, g.actor, unit=code)
    except NotPermitted:
        raise PageForbidden() from None
    unit = container().directory.unit(code)
    if unit is None:
        abort(404)
    return unit


@bp.get("/units/<code>/accountability")
@for_roles(READS["accountability"].roles)
def unit_accountability(code: str):
    return _unit_page(code)


def _unit_page(code: str, form: FollowUpForm | None = None, errors: dict[str, str] | None = None, status: int = 200):
    unit = _unit_or_404(code)
    period = request.args.get("period") or "" if request.method == "GET" else ""
    period_error = PERIOD_MESSAGE if period and not MONTH.fullmatch(period) else ""
    container().wait_for_views()
    container().wait_for_accountability()
    record, rows = _record(code, None if period_error else period or None)
    errors = errors or {}
    may_record = bool(_actions_of(g.actor.role))
    numbers = _case_numbers(record)
    follow_ups = [_follow_up(a) for a in record["actions"]]
    titles = {r["id"]: f"{r['title']}（{r['at']}）" for r in rows}
    for u in follow_ups:
        u["answers"] = titles.get(u["consequence"] or "", "")
        u["case_no"] = numbers.get(u["case_id"] or "", "")
    summary = [(f"followup-{n}" if n else "followup-title", m) for n, m in errors.items()]
    if period_error:
        summary.insert(0, ("f-period", period_error))
    return render_template(
        "unit_accountability.html",
        unit=unit,
        period=period,
        period_error=period_error,
        rows=rows,
        lapses=[_lapse(lp) for lp in record["lapses"]],
        follow_ups=follow_ups,
        supervisions=[
            {
                "case_no": numbers.get(s["case_id"] or "", ""),
                "opened": shown_at(s["opened_at"]),
                "by": _who(s["opened_by"]),
                "note": s["note"],
                "struck_off": shown_at(s["struck_off_at"]),
            }
            for s in record["supervisions"]
        ],
        form=_prepared(form or FollowUpForm(), record, rows, numbers) if may_record else None,
        errors=errors,
        summary=summary,
        readers_of_register=g.actor.role in REGISTER_ROLES,
    ), (422 if period_error and status == 200 else status)


@bp.post("/units/<code>/accountability/actions")
@for_roles(frozenset(role for roles in ACTION_ROLES.values() for role in roles))
def record_follow_up(code: str):
    """记录后续处理: the service call of ``POST /api/units/{code}/accountability/actions``, same checks."""
    unit = container().directory.unit(code)
    if unit is None:
        abort(404)
    form = FollowUpForm()
    action = form.action.data or ""
    errors: dict[str, str] = {}
    occurred_at = _occurred_at(form.occurred_at.data, errors)
    case_id = _case_id(form.case_no.data, errors)
    note = form.note.data or ""
    if len(note) > NOTE_LIMIT or "\x00" in note:
        errors["note"] = f"处理情况不能超过 {NOTE_LIMIT} 字，且不能含有控制字符"
    reason = form.reason.data or ""
    if len(reason) > NOTE_LIMIT or "\x00" in reason:
        errors["reason"] = f"理由不能超过 {NOTE_LIMIT} 字，且不能含有控制字符"
    arguments = {
        "note": note,
        "reason": reason,
        "consequence": form.consequence.data or None,
        "case_id": case_id,
        "supervision": form.supervision.data or None,
        "occurred_at": occurred_at,
    }
    status = 422
    try:
        container().wait_for_accountability()
        # With problems of its own found, the form asks the service for the others (recording nothing),
        # so that every problem is shown at once.
        container().accountability.record_action(code, action, g.actor, dry_run=bool(errors), **arguments)
    except ValidationFailed as refused:
        for name in refused.fields:
            field = "case_no" if name == "case_id" else name
            errors.setdefault(field, refused.zh.get(name) or f"{FIELD.get(name, '填写内容')}不符合要求")
    except NotPermitted:
        errors, status = {"action": "您的角色不能记录这项后续处理"}, 403
    except NotAllowedInState as refused:
        errors, status = {"": refused.zh or "当前不能记录这项后续处理"}, 409
    except VersionConflict:
        errors, status = {"": "问责记录在您提交时已有变化，请查看最新情况后重新提交"}, 409
    else:
        if not errors:
            container().wait_for_accountability()
            flash(f"已记录「{name_of(FOLLOW_UP, action)}」。")
            return redirect(url_for("workspace.unit_accountability", code=code), 303)
    return _unit_page(code, form, errors, status)


def _occurred_at(text: str | None, errors: dict[str, str]) -> datetime | None:
    """发生时间 as typed (a date-time input, Asia/Shanghai); empty: now."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return Timestamp().deserialize(text)
    except ma.ValidationError:
        errors["occurred_at"] = "请按“年-月-日 时:分”填写发生时间（如 2026-10-20 09:30）"
        return None


def _case_id(case_no: str | None, errors: dict[str, str]) -> str | None:
    """The case a 挂牌督办 or a referral names, by its number as the pages show it."""
    case_no = (case_no or "").strip()
    if not case_no:
        return None
    container().wait_for_views()
    rows, _ = (
        container()
        .read_models["case_list"]
        .view.query(CaseListQuery(kind=None, q=case_no[:200], page=1, per_page=50, now=container().clock()))
    )
    found = next((r for r in rows if r["case_no"] == case_no), None)
    if found is None:
        errors["case_no"] = "没有这个编号的案件"
        return None
    return str(found["id"])


# -- on a case's page ------------------------------------------------------------------------------------
def case_consequences(case: Any) -> list[dict[str, Any]]:
    """The consequences on the records of the case's units that rest on it or cite it (a lapse of it, a 视情
    通报批评 naming it), for a reader of those records (a unit its own); shown on the case's page."""
    case_id = str(case.id)
    units = [u for u in dict.fromkeys([case.lead_unit, *case.other_units]) if u]
    shown: list[dict[str, Any]] = []
    for code in units:
        try:
            check_read("accountability", g.actor, unit=code)
        except NotPermitted:
            continue
        container().wait_for_accountability()
        unit = container().directory.unit(code)
        for e in container().accountability_trail.entries(code):
            d = e["data"]
            if e["entry"] != "consequence" or not any(ev["case_id"] == case_id for ev in d["evidence"]):
                continue
            shown.append(
                {
                    "unit_name": unit.name if unit is not None else code,
                    "url": url_for("workspace.unit_accountability", code=code),
                    "title": name_of(CONSEQUENCE, d["kind"]),
                    "at": shown_at(d["at"]),
                    "basis": f"{_who(d['actor'])}视情作出，理由：{d.get('reason') or ''}"
                    if d.get("actor")
                    else d["rule_title"],
                    "source": citation(d["source"]),
                }
            )
    return shown
