"""The hotline platform's and the window's own pages: 登记诉求, 受理申请 and the deadline sweep (期限监测).

``/appeals/new`` and ``/approvals/new`` take the body of ``POST /api/appeals`` and ``POST
/api/approvals`` field by field, judge it by the API's own schema and the service's own checks
(every problem at once, beside its field, in Chinese, nothing recorded) and then make the service
call the API makes. ``/deadlines/sweep`` shows what a sweep would record now (the sweep's own dry
run: the same domain code, nothing recorded) and runs it on ``执行``. The case pages' new actions
(并单, 撤销并单, 一次性告知, 补正材料) are rows of web.workspace.cases' tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from flask import flash, g, redirect, render_template, request, session, url_for

from domain.approvals.profiles import DEADLINE_TITLES, ApprovalProfile
from domain.errors import CaseNotFound, ValidationFailed, VersionConflict
from domain.permissions import COMMANDS
from domain.profiles import PolicyProfile
from web.api.accountability import _consequences_of, _previewed
from web.api.presenters import iso
from web.api.schemas.approvals import SubmitApprovalSchema
from web.api.schemas.common import OpenAppealSchema
from web.labels import CONSEQUENCE, FIELD, KIND, citation, name_of
from web.workspace.formats import shown_at
from web.workspace.forms import NewAppealForm, NewApprovalForm, SweepForm, choices, schema_problems
from web.workspace.pages import bp, container, for_roles, unit_name, unit_names

RECEIVER = {"appeal": "热线平台", "approval": "综合受理窗口"}  # whom a deadline binding no unit binds
CHOSEN = {"SelectField", "RadioField", "SelectMultipleField"}
SHOWN = 200  # rows of each table of the sweep page; the rest are counted
KEPT = 40  # cases whose recorded sweep events the page after 执行 lists (kept in the session)


# -- 登记诉求 ----------------------------------------------------------------------------------------
@bp.route("/appeals/new", methods=["GET", "POST"])
@for_roles(COMMANDS[("appeal", "open")].roles)
def new_appeal():
    """登记诉求: an appeal received by the platform, as ``POST /api/appeals`` takes it."""
    form = _appeal_form()
    if request.method == "GET":
        return _intake_page("new_appeal.html", form, {})
    body = form.body()
    service = container().appeals
    errors = _problems(form, OpenAppealSchema(), body, lambda: service.check_opening(g.actor, **body))
    if errors:
        return _intake_page("new_appeal.html", form, errors, 422)
    try:
        appeal, created = service.open(g.actor, **OpenAppealSchema().load(body))
    except ValidationFailed as refused:  # the catalogue changed in between: as the checks would say
        return _intake_page("new_appeal.html", form, _refusals(refused, form), 422)
    if created:
        flash(f"已登记诉求 {appeal.case_no}，已记录在办理记录中。")
    else:
        flash(f"该渠道的工单 {appeal.external_ref} 已登记为诉求 {appeal.case_no}，未重复登记。")
    return redirect(url_for("workspace.appeal_page", case_id=appeal.id), 303)


def _appeal_form() -> NewAppealForm:
    form = NewAppealForm()
    profiles = _profiles("appeal")
    form.profile.choices = choices(_with_prompt([(p.id, p.title) for p in profiles]))
    if len(profiles) == 1 and not form.profile.data:
        form.profile.data = profiles[0].id
    form.tier.choices = choices([("", "不选（按来源渠道或规则默认）")])
    form.tier_groups = [  # the choices by profile, for the page's <optgroup>s
        (p.title, [(code, p.record["tiers"][code].get("title") or code) for code in p.tiers])
        for p in profiles
        if isinstance(p, PolicyProfile) and p.tiers
    ]
    return form


# -- 受理申请 ----------------------------------------------------------------------------------------
@bp.route("/approvals/new", methods=["GET", "POST"])
@for_roles(COMMANDS[("approval", "open")].roles)
def new_approval():
    """受理申请: an application received at the comprehensive window, as ``POST /api/approvals`` takes it."""
    form = _approval_form()
    if request.method == "GET":
        return _intake_page("new_approval.html", form, {})
    body = form.body()
    service = container().approvals
    errors = _problems(form, SubmitApprovalSchema(), body, lambda: service.check_submission(g.actor, **body))
    if errors:
        return _intake_page("new_approval.html", form, errors, 422)
    try:
        approval, created = service.submit(g.actor, **SubmitApprovalSchema().load(body))
    except ValidationFailed as refused:
        return _intake_page("new_approval.html", form, _refusals(refused, form), 422)
    if created:
        flash(f"已受理申请 {approval.case_no}，已记录在办理记录中。")
    else:
        flash(f"该渠道的申请 {approval.external_ref} 已受理为 {approval.case_no}，未重复受理。")
    return redirect(url_for("workspace.approval_page", case_id=approval.id), 303)


def _approval_form() -> NewApprovalForm:
    form = NewApprovalForm()
    profiles = [p for p in _profiles("approval") if isinstance(p, ApprovalProfile)]
    form.profile.choices = choices(_with_prompt([(p.id, p.title) for p in profiles]))
    if len(profiles) == 1 and not form.profile.data:
        form.profile.data = profiles[0].id
    form.matter.choices = choices([("", "请选择")])
    form.matter_groups = [  # the matters by profile, for the page's <optgroup>s
        (p.title, [(m.code, m.title + ("（可告知承诺）" if m.commitment else "")) for m in p.matters.values()])
        for p in profiles
    ]
    form.departments.choices = choices(sorted(unit_names().items(), key=lambda u: u[1]))
    return form


# -- what both forms share --------------------------------------------------------------------------
def _profiles(kind: str) -> list[Any]:
    catalogue = container().profiles
    return sorted((catalogue.get(pid, kind) for pid in catalogue.ids(kind)), key=lambda p: p.title)


def _with_prompt(options: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "请选择"), *options] if len(options) != 1 else options


def _problems(form, schema, body: dict[str, Any], service_check) -> dict[str, str]:
    """Every problem with the body, by the form's field: the API schema's, then the service's own checks
    on what the schema let through (so that a refusal lists all at once, as the page promises). A
    field the clerk chooses rather than types is asked to be chosen."""
    errors = _by_field(schema_problems(schema, body, form.LABELS), form.PATHS)
    try:
        service_check()
    except ValidationFailed as refused:
        for name, message in _refusals(refused, form).items():
            errors.setdefault(name, message)
    for name, message in errors.items():
        if name in form._fields and form[name].type in CHOSEN and message.startswith("请填写"):
            errors[name] = "请选择" + message.removeprefix("请填写")
    return errors


def _refusals(refused: ValidationFailed, form) -> dict[str, str]:
    """The service's refusal, by the form's field, in its own Chinese (or, where it has none, naming the field)."""
    labels = {**FIELD, **form.LABELS}
    return _by_field(
        {path: refused.zh.get(path) or f"{labels.get(path, '提交的内容')}填写有误" for path in refused.fields},
        form.PATHS,
    )


def _by_field(problems: Mapping[str, str], paths: Mapping[str, str]) -> dict[str, str]:
    """Problems keyed by the API body's paths, keyed by the form's fields instead (the first of each kept)."""
    errors: dict[str, str] = {}
    for path, message in problems.items():
        errors.setdefault(paths.get(path, path), message)
    return errors


def _intake_page(template: str, form, errors: dict[str, str], status: int = 200):
    summary = [(name if name in form._fields else "", message) for name, message in errors.items()]
    return render_template(template, form=form, errors=errors, summary=summary), status


# -- 期限监测: the deadline sweep ----------------------------------------------------------------------
@bp.route("/deadlines/sweep", methods=["GET", "POST"])
@for_roles(COMMANDS[("appeal", "sweep")].roles)  # the sweep goes over both kinds, as the appeals' command
def deadline_sweep():
    """期限监测: what a sweep would record now (the sweep's own dry run), and ``执行``, which records it."""
    form = SweepForm()
    if request.method == "POST":
        try:
            report = container().deadline_watch().sweep(g.actor, None)
        except VersionConflict:
            return _sweep_page(form, {"": "执行期间有案件不断变化，未能全部记录，请重新执行"}, 409)
        session["sweep_done"] = {
            "now": iso(report.now),
            "checked": report.cases_checked,
            "events": _kept(report.events),
            "counts": [len(report.missed), len(report.escalations), len(report.deemed_accepted)],
        }
        flash(
            f"已执行期限监测：检查 {report.cases_checked} 件案件，记录逾期 {len(report.missed)} 项、"
            f"督办 {len(report.escalations)} 项、视为受理 {len(report.deemed_accepted)} 件。"
        )
        return redirect(url_for("workspace.deadline_sweep"), 303)
    return _sweep_page(form, {})


def _kept(events: list[Any]) -> list[list[Any]]:
    """The recorded events, as (case id, first seq, last seq) of each case, for the page after 执行."""
    spans: dict[str, list[int]] = {}
    for e in events:
        span = spans.setdefault(str(e.originator_id), [e.originator_version, e.originator_version])
        span[0], span[1] = min(span[0], e.originator_version), max(span[1], e.originator_version)
    return [[case_id, first, last] for case_id, (first, last) in list(spans.items())[:KEPT]] + (
        [["", len(spans) - KEPT, 0]] if len(spans) > KEPT else []
    )


def _sweep_page(form: SweepForm, errors: dict[str, str], status: int = 200):
    c = container()
    preview = c.deadline_watch().sweep(g.actor, None, dry_run=True)
    c.wait_for_accountability()  # the preview counts on every lapse already noted
    cases = _Cases()
    shown = _report(
        cases,
        preview.missed,
        preview.escalations,
        preview.deemed_accepted,
        [(unit, _previewed(e)) for unit, e in c.accountability.preview(preview.events)],
    )
    done = session.pop("sweep_done", None)
    return render_template(
        "deadline_sweep.html",
        form=form,
        now=shown_at(preview.now),
        checked=preview.cases_checked,
        preview=shown,
        done=_done(cases, done) if done else None,
        summary=[("", m) for m in errors.values()],
        errors=errors,
    ), status


def _done(cases: _Cases, done: dict[str, Any]) -> dict[str, Any]:
    """What the sweep just run recorded, read back from the cases' own histories."""
    missed: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    deemed: list[dict[str, Any]] = []
    more = 0
    for case_id, first, last in done["events"]:
        if not case_id:
            more = first
            continue
        for e in cases.history(case_id):
            if not first <= e.seq <= last:
                continue
            row = {"case_id": case_id, "seq": e.seq, **e.data}
            {"DeadlineMissed": missed, "Escalated": escalations, "DeemedAccepted": deemed}.get(e.type, []).append(row)
    found = _consequences_of(container(), SimpleNamespace(missed=missed)) if missed else []
    return {
        "at": shown_at(done["now"]),
        "checked": done["checked"],
        "counts": done["counts"],
        "more_cases": more,
        "report": _report(cases, missed, escalations, deemed, [(c["unit"], c) for c in found]),
    }


class _Cases:
    """The cases the page names, each loaded once, of either kind."""

    def __init__(self) -> None:
        self._cases: dict[str, tuple[str, Any]] = {}

    def get(self, case_id: str) -> tuple[str, Any]:
        if case_id not in self._cases:
            self._cases[case_id] = self._load(UUID(case_id))
        return self._cases[case_id]

    def history(self, case_id: str) -> list[Any]:
        kind, _case = self.get(case_id)
        return (container().appeals if kind == "appeal" else container().approvals).history(UUID(case_id))

    @staticmethod
    def _load(case_id: UUID) -> tuple[str, Any]:
        for kind, service in (("appeal", container().appeals), ("approval", container().approvals)):
            try:
                return kind, service.get(case_id)
            except CaseNotFound:
                continue
        raise CaseNotFound("no such case")

    def link(self, case_id: str) -> dict[str, str]:
        kind, case = self.get(case_id)
        return {
            "kind": KIND[kind],
            "case_no": case.case_no,
            "url": url_for(f"workspace.{kind}_page", case_id=case_id),
        }

    def deadline_title(self, case_id: str, name: str) -> str:
        _kind, case = self.get(case_id)
        titles = {d.get("name"): d.get("title") for d in case.policy.get("deadlines") or []}
        return titles.get(name) or DEADLINE_TITLES.get(name) or "办理期限"

    def level_title(self, case_id: str, code: str | None, level: int) -> str:
        _kind, case = self.get(case_id)
        titles = {step.get("code"): step.get("title") for step in case.policy.get("escalation") or []}
        return titles.get(code) or f"第{level}级督办"


def _report(
    cases: _Cases,
    missed: Iterable[dict[str, Any]],
    escalations: Iterable[dict[str, Any]],
    deemed: Iterable[dict[str, Any]],
    consequences: Iterable[tuple[str, dict[str, Any]]],
) -> dict[str, Any]:
    """A sweep's report as the page shows it: each table's rows (at most ``SHOWN``) and how many more."""
    missed, escalations, deemed, consequences = list(missed), list(escalations), list(deemed), list(consequences)
    return {
        "missed": [
            {
                **cases.link(m["case_id"]),
                "deadline": cases.deadline_title(m["case_id"], m["deadline"]),
                "round": m.get("round") or 1,
                "unit": unit_name(m["unit"]) if m.get("unit") else RECEIVER[cases.get(m["case_id"])[0]],
                "due": shown_at(m["due"]),
                "source": citation(m.get("source")),
            }
            for m in missed[:SHOWN]
        ],
        "escalations": [
            {
                **cases.link(e["case_id"]),
                "level": cases.level_title(e["case_id"], e.get("level_code"), e.get("level") or 0),
                "reason": e.get("reason") or "",
            }
            for e in escalations[:SHOWN]
        ],
        "deemed": [
            {
                **cases.link(d["case_id"]),
                "accepted_as_of": shown_at(d["accepted_as_of"]),
                "notice_ended_at": shown_at(d["notice_ended_at"]),
            }
            for d in deemed[:SHOWN]
        ],
        "consequences": [
            {
                "unit": unit_name(unit),
                "kind": name_of(CONSEQUENCE, c["kind"]),
                "rule": c.get("rule_title") or "",
                "source": citation(c.get("source")),
            }
            for unit, c in consequences[:SHOWN]
        ],
        "more": {
            "missed": max(0, len(missed) - SHOWN),
            "escalations": max(0, len(escalations) - SHOWN),
            "deemed": max(0, len(deemed) - SHOWN),
            "consequences": max(0, len(consequences) - SHOWN),
        },
        "empty": not (missed or escalations or deemed or consequences),
    }
