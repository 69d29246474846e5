"""The workspace's case pages (``/appeals/{id}``, ``/approvals/{id}``) and their action forms.

A page shows the case as the API does (web.api.presenters), its deadlines with the working days left,
its history as a timeline, and the actions the signed-in user may take now: each open one as a
form, each the case's state does not allow now shown disabled with the command's own reason
(domain.actions asks the commands themselves; no rule is written again here or in a template).

Every form posts to ``…/{id}/{path}``, the path of the JSON API's route for the same command, and
makes the one service call that route makes (the API's ``COMMANDS`` table says which). A refused
command records nothing and shows the page again: the error summary at the top, each message
beside its field (status 422 for the input, 409 for the case's state); a recorded one redirects
to the page (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for

from domain.deadlines.clocks import DeadlineState, ExtensionOffer, working_days_left
from domain.errors import NotAllowedInState, ValidationFailed, VersionConflict
from domain.notices import in_window
from web.api import appeals as api_appeals
from web.api import approvals as api_approvals
from web.api.presenters import approval_json, case_json, iso
from web.labels import (
    ANSWER_KIND,
    CATEGORY,
    CONTEST,
    DECISION,
    DIRECT_METHOD,
    FIELD,
    PAUSE_REASON,
    PERIOD_UNIT,
    RECTIFICATION,
    SATISFACTION,
    actor_name,
    channel_name,
    citation,
    event_name,
    name_of,
    refusal_text,
    status_name,
)
from web.workspace import audit
from web.workspace.formats import shown_at
from web.workspace.forms import (
    AdjudicateRatingForm,
    AnswerForm,
    CommandForm,
    ContentForm,
    DecideForm,
    DepartmentAnswerForm,
    EscalateForm,
    ExtendForm,
    FormInputError,
    ForwardApprovalForm,
    ForwardForm,
    MergeForm,
    NoteForm,
    PauseForm,
    ReasonForm,
    RequestMaterialsForm,
    ReturnOpinionForm,
    ReviewForm,
    RuleHandbackForm,
    SupplyMaterialsForm,
    UnmergeForm,
    VisitForm,
    choices,
)
from web.workspace.hotline import DETAILS as HOTLINE_DETAILS
from web.workspace.hotline import DirectAnswerForm, RecheckForm, offered
from web.workspace.hotline import detail as hotline_detail
from web.workspace.joint import JointHandlingForm, JointMeetingForm, joint_facts
from web.workspace.pages import bp, container, unit_name, unit_names, warning_days


@dataclass(frozen=True)
class WebAction:
    """One action of a case page: the API path whose command it runs, its form, its button."""

    name: str  # the action's name in domain.actions (the kind's PROBES)
    path: str
    form: type[CommandForm]
    button: str
    title: str
    labels: Mapping[str, str] = field(default_factory=dict)  # field labels other than the form's own


APPEAL_ACTIONS = (
    WebAction("acknowledge", "acknowledge", CommandForm, "签收", "签收"),
    WebAction("answer", "answer", AnswerForm, "提交答复", "答复"),
    WebAction("extend", "extend", ExtendForm, "申请延期", "申请延期"),
    WebAction("handback", "handback", ReasonForm, "申请退单", "申请退单", {"reason": "退单理由"}),
    WebAction("rule_handback", "rule-handback", RuleHandbackForm, "提交退单审核", "退单审核"),
    WebAction("co_opinion", "co-opinion", ContentForm, "提交协办意见", "协办意见"),
    WebAction("forward", "forward", ForwardForm, "转办", "转办"),
    WebAction("review", "review", ReviewForm, "提交审核", "审核"),
    WebAction("return", "return", ReasonForm, "退回重办", "退回重办", {"reason": "退回理由"}),
    WebAction("escalate", "escalate", EscalateForm, "督办", "督办"),
    WebAction("visit", "visit", VisitForm, "记录回访", "回访"),
    WebAction("close", "close", CommandForm, "办结", "办结"),
    WebAction("rectify", "rectify", ContentForm, "提交整改情况", "差评整改", {"content": "整改情况"}),
    WebAction(
        "contest_rating",
        "contest-rating",
        ReasonForm,
        "提交申诉",
        "申诉复核",
        {"reason": "申诉理由（误评或恶意差评的情况）"},
    ),
    WebAction("adjudicate_rating", "adjudicate-rating", AdjudicateRatingForm, "提交复核结论", "差评复核"),
    WebAction("merge", "merge", MergeForm, "并单", "并单"),
    WebAction("unmerge", "unmerge", UnmergeForm, "撤销并单", "撤销并单"),
    WebAction("joint_handling", "joint-handling", JointHandlingForm, "列入联合办理", "列入联合办理"),
    WebAction("joint_meeting", "joint-meeting", JointMeetingForm, "记录联席会议", "记录联席会议"),
    WebAction("direct_answer", "direct-answer", DirectAnswerForm, "直接答复并办结", "直接答复"),
    WebAction("recheck", "recheck", RecheckForm, "记录回头看", "回头看"),
)
APPROVAL_ACTIONS = (
    WebAction("answer", "answer", DepartmentAnswerForm, "提交审查意见", "审查意见"),
    WebAction("request_materials", "request-materials", RequestMaterialsForm, "一次性告知", "一次性告知"),
    WebAction("supply_materials", "supply-materials", SupplyMaterialsForm, "补正材料", "补正材料"),
    WebAction("accept", "accept", NoteForm, "受理", "受理"),
    WebAction("refuse", "refuse", ReasonForm, "不予受理", "不予受理", {"reason": "不予受理的理由"}),
    WebAction("forward", "forward", ForwardApprovalForm, "转审批部门", "转审批部门"),
    WebAction("return", "return", ReturnOpinionForm, "退回部门意见", "退回部门意见"),
    WebAction("pause", "pause", PauseForm, "中止计时", "中止计时"),
    WebAction("resume", "resume", NoteForm, "恢复计时", "恢复计时"),
    WebAction(
        "extend",
        "extend",
        ExtendForm,
        "延长审批期限",
        "延长审批期限",
        {"working_days": "延长工作日数", "reason": "延期理由（将告知申请人）"},
    ),
    WebAction("escalate", "escalate", EscalateForm, "督办", "督办"),
    WebAction("decide", "decide", DecideForm, "作出决定", "决定"),
    WebAction("deliver", "deliver", NoteForm, "出件", "统一窗口出件"),
    WebAction("withdraw", "withdraw", ReasonForm, "撤回申请", "撤回", {"reason": "撤回理由"}),
    WebAction("revoke", "revoke", ReasonForm, "撤销许可", "撤销", {"reason": "承诺不实的情况"}),
)
KINDS = {
    "appeal": (APPEAL_ACTIONS, api_appeals.COMMANDS, lambda: container().appeals),
    "approval": (APPROVAL_ACTIONS, api_approvals.COMMANDS, lambda: container().approvals),
}
# What the timeline shows of an event's data, in this order.
DETAILS = (
    ("unit", "承办单位"),
    ("co_units", "协办单位"),
    ("departments", "审批部门"),
    ("department", "部门"),
    ("kind", "答复类型"),
    ("content", "内容"),
    ("decision", "结论"),
    ("opinion", "意见"),
    ("accepted", "审核结果"),
    ("upheld", "复核结论"),
    ("reason", "理由"),
    ("working_days", "延长工作日"),
    ("level_code", "督办层级"),
    ("into_case_no", "并入案件"),
    ("from_case_no", "原并入案件"),
    ("deadline", "期限"),
    ("due", "截止时间"),
    ("satisfaction", "满意度"),
    ("solved", "是否解决"),
    ("missing", "需补正材料"),
    ("materials", "材料"),
    ("expected_working_days", "预计工作日"),
    ("note", "备注"),
    # 联合办理 (web.workspace.joint)
    ("units", "相关单位"),
    ("held_on", "会议日期"),
    ("lead_unit", "牵头单位"),
    *HOTLINE_DETAILS,
)


@bp.get("/appeals/<case_id>")
def appeal_page(case_id: str):
    return _page("appeal", _uuid(case_id))


@bp.get("/approvals/<case_id>")
def approval_page(case_id: str):
    return _page("approval", _uuid(case_id))


@bp.post("/appeals/<case_id>/<path>")
def appeal_act(case_id: str, path: str):
    return _act("appeal", _uuid(case_id), path)


@bp.post("/approvals/<case_id>/<path>")
def approval_act(case_id: str, path: str):
    return _act("approval", _uuid(case_id), path)


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        abort(404)


def _act(kind: str, case_id: UUID, path: str):
    actions, commands, service = KINDS[kind]
    action = next((a for a in actions if a.path == path), None)
    if action is None:
        abort(404)
    form = _form(action)
    errors: dict[str, str] = {}
    try:
        getattr(service(), commands[path][0])(case_id, g.actor, **form.arguments())
    except FormInputError as refused:
        errors, status = {refused.field: refused.message}, 422
    except ValidationFailed as refused:
        errors = {
            name: refused.zh.get(name) or f"{FIELD.get(name, name)}不符合要求"
            for name, message in refused.fields.items()
        }
        status = 422
    except NotAllowedInState as refused:
        errors, status = {"": refusal_text(refused)}, 409
    except VersionConflict:
        errors, status = {"": "案件在您打开页面后已有新的办理记录，请查看最新情况后重新提交"}, 409
    else:
        flash(f"已{action.title}，已记录在办理记录中。")
        return redirect(url_for(f"workspace.{kind}_page", case_id=case_id), 303)
    return _page(kind, case_id, posted=(action.name, form, errors), status=status)


def _form(action: WebAction) -> CommandForm:
    """The action's form, from what was posted if anything was, with the action's own field labels."""
    form = action.form(department=g.actor.unit) if action.form is DepartmentAnswerForm else action.form()
    for name, label in action.labels.items():
        getattr(form, name).label.text = label
    return form


def _prepared(form: CommandForm, case, offer: ExtensionOffer | None = None) -> CommandForm:
    """The form as the page shows it: the case's version now, and the choices the case offers."""
    form.expected_version.data = str(case.version)
    if isinstance(form, ExtendForm):
        dues = offer.dues if offer else ()
        form.working_days.choices = choices(
            [
                ("", "请选择"),
                *((str(n), f"{n} 个工作日（截止时间延至 {shown_at(due)}）") for n, due in enumerate(dues, 1)),
            ]
        )
    if isinstance(form, ForwardForm):
        units = choices([("", "请选择"), *sorted(unit_names().items())])
        form.unit.choices, form.co_units.choices = units, units[1:]
    if isinstance(form, ReturnOpinionForm):
        form.department.choices = choices(
            [(d["unit"], unit_name(d["unit"])) for d in case.departments if d["decision"] is not None]
        )
    form.prepare(case)
    return form


def _page(kind: str, case_id: UUID, posted: tuple[str, CommandForm, dict[str, str]] | None = None, status: int = 200):
    actions, _commands, service_of = KINDS[kind]
    service = service_of()
    case = service.read(case_id, g.actor)
    # ?as_of=: the case as it stood then, read-only (web.workspace.audit).
    as_of = audit.moment_asked() if request.method == "GET" else None
    if as_of is not None:
        case = audit.as_it_stood(service, case_id, as_of)
    now = as_of or service.clock()
    states = service.deadlines(case, now)
    calendar = container().calendars.for_jurisdiction(case.policy["jurisdiction"])
    verdicts = service.actions(case, g.actor, now) if as_of is None else {}
    offer = case.extension_offer(calendar, now) if as_of is None else None
    history, replay = service.history(case_id), None
    if as_of is not None:
        history, replay = audit.replay(kind, case_id, as_of, history)
    shown = []
    for action in actions if as_of is None else ():
        verdict = verdicts[action.name]
        if not verdict.permitted or (action.name == "answer" and kind == "approval" and not g.actor.unit):
            continue  # absent: not the user's to do at all
        if not offered(action.name, case):
            continue  # 直接答复: not for a category the case's profile keeps for the units
        mine = posted if posted is not None and posted[0] == action.name else None
        shown.append(
            {
                "action": action,
                "open": verdict.open,
                "reason": refusal_text(verdict.refusal) if verdict.refusal else None,
                "form": _prepared(mine[1] if mine else _form(action), case, offer),
                "hint": _extension_hint(offer) if action.name == "extend" else None,
                "errors": mine[2] if mine else {},
                "choice_refusals": _choice_refusals(kind, verdicts),
            }
        )
    errors = posted[2] if posted else {}
    summary = [(_anchor(posted[0], posted[1], name), message) for name, message in errors.items()] if posted else []
    present = case_json if kind == "appeal" else approval_json
    titles = _titles(case.policy, states)
    findings = audit.findings(case_id)  # what the latest verification found with the case's events
    names = {
        "category": CATEGORY,
        "decision": DECISION,
        "satisfaction": SATISFACTION,
        "pause": PAUSE_REASON,
        "answer_kind": ANSWER_KIND,
        "rectification": RECTIFICATION,
        "contest": CONTEST,
        "direct_method": DIRECT_METHOD,
    }
    return render_template(
        f"{kind}.html",
        kind=kind,
        case=present(case, states),
        status_name=status_name(case.status),
        profile_title=_profile_title(case.policy["id"], kind),
        channel=channel_name(getattr(case, "channel", None)),
        matter_source=citation((case.policy.get("matter") or {}).get("source")),
        deadlines=[_deadline(d, calendar, now, warning_days(case.policy["id"])) for d in states],
        history=_timeline(kind, history, titles, case_id),
        joint=joint_facts(present(case, states)) if kind == "appeal" else None,
        replay=replay,
        findings=findings,
        titles=titles,
        actions=[a for a in shown if a["open"]],
        closed_actions=[a for a in shown if not a["open"]],
        summary=summary,
        unit_name=unit_name,
        channel_name=channel_name,
        names=names,
        fmt=shown_at,
        page_url=request.path if request.method == "GET" else url_for(f"workspace.{kind}_page", case_id=case_id),
        consequences=[] if replay else _case_consequences(case),
    ), status


def _case_consequences(case) -> list[dict[str, Any]]:
    from web.workspace.accountability import case_consequences  # that module reads this one's helpers

    return case_consequences(case)


def _extension_hint(offer: ExtensionOffer | None) -> str | None:
    """Which deadline an extension moves, and when it ends now."""
    if offer is None:
        return None
    return f"延长的是「{offer.title}」，现截止于 {shown_at(offer.due)}；最多还可延长 {len(offer.dues)} 个工作日。"


def _anchor(action: str, form: CommandForm, name: str) -> str:
    """Where the error summary's link leads: the field, or the action's heading."""
    return f"{action}-{name}" if name and name in form._fields else f"act-{action}-title"


def _choice_refusals(kind: str, verdicts) -> dict[str, str]:
    """A choice inside a form the state does not allow now: an appeal's initial answer (初步处理情况)
    once one was given in the round."""
    if kind != "appeal":
        return {}
    initial = verdicts.get("answer_initial")
    return {"initial": refusal_text(initial.refusal)} if initial and initial.refusal else {}


def _deadline(d: DeadlineState, calendar, now: datetime, window: int = 1) -> dict[str, Any]:
    """A deadline as the page shows it, from the one verdict (domain.deadlines.clocks.evaluate)."""
    running = d.met_at is None and d.cancelled_at is None
    if d.met_at is not None:
        state = "逾期完成" if d.met_late else "按时完成"
    elif d.not_binding:
        state = "同意退单，不计入该单位"
    elif d.cancelled_at is not None:
        state = "已终止"
    elif d.paused:
        state = "已中止计时"
    elif d.overdue:
        state = "已超期"
    else:
        state = "计时中"
    return {
        "title": d.title,
        "source": citation(d.source),
        "round": d.round,
        "unit": unit_name(d.unit) if d.unit else "",
        "started": shown_at(d.started_at),
        "due": shown_at(d.due),
        "length": d.length,
        "extended": d.extended,
        "period_unit": name_of(PERIOD_UNIT, d.period_unit),
        "days_left": working_days_left(d.due, calendar, now) if running and not d.paused else None,
        "state": state,
        "overdue": running and d.overdue,
        # 即将到期: within the profile's warning window (预警), running and not yet ended.
        "approaching": running and not d.paused and bool(d.unit) and in_window(d.ends_at, now, calendar, window),
        "provisional": d.provisional,
        "paused": d.paused,
        "met": shown_at(d.met_at),
    }


def _profile_title(profile_id: str, kind: str) -> str:
    """The policy profile by its title (淄川区企业诉求“接诉即办”), never by its id; an id the catalogue no
    longer holds is named as a profile no longer on offer."""
    try:
        return container().profiles.get(profile_id, kind).title
    except KeyError:
        return "已停用的规则"


def _titles(policy: dict[str, Any], states: list[DeadlineState]) -> dict[str, dict[str, str]]:
    """What the case's own rules call its deadlines and its escalation levels, by code."""
    return {
        "deadline": {d.name: d.title for d in states},
        "level_code": {level["code"]: level["title"] for level in policy.get("escalation") or []},
    }


def _timeline(kind: str, history, titles: dict[str, dict[str, str]], case_id: UUID) -> list[dict[str, Any]]:
    """The history as the page shows it, each event linked to the case as it stood then, and marked if
    the latest verification found it changed; an event it found removed has an entry of its own."""
    found = audit.findings(case_id)
    entries = []
    for e in history:
        role = e.actor.get("role") or ""
        who = e.actor.get("user") or ""
        unit = e.actor.get("unit")
        entries.append(
            {
                "seq": e.seq,
                "name": event_name(kind, e.type),
                "type": e.type,
                "at": shown_at(e.occurred_at),
                "at_iso": iso(e.occurred_at, "seconds"),
                "recorded": shown_at(e.recorded_at),
                "backfilled": e.backfilled,
                "who": actor_name(who, role, unit_name(unit) if unit else ""),
                "as_of_url": audit.moment_url(kind, case_id, e.occurred_at),
                "warning": found["by_seq"].get(e.seq),
                "details": [
                    (label, _detail(e.type, key, e.data[key], titles))
                    for key, label in DETAILS
                    if key in e.data
                    and e.data[key] not in (None, "", [])
                    and not (e.type in ("Received", "Submitted") and key == "content")
                ],
            }
        )
    removed = audit.removed_entries(kind, found, (e.seq for e in history))
    return sorted(entries + removed, key=lambda entry: entry["seq"]) if removed else entries


def _detail(event_type: str, key: str, value: Any, titles: dict[str, dict[str, str]]) -> str:
    if event_type in ("DirectlyAnswered", "Rechecked") and key in dict(HOTLINE_DETAILS):
        return hotline_detail(key, value)
    if key in titles:
        return titles[key].get(value, str(value))
    if key == "reason" and event_type == "Paused":
        return name_of(PAUSE_REASON, value)
    if key in ("unit", "department", "lead_unit"):
        return unit_name(value)
    if key in ("co_units", "departments", "units"):
        return "、".join(unit_name(u) for u in value)
    if key in ("missing", "materials"):
        return "、".join(value)
    if key == "kind":
        return ANSWER_KIND.get(value, value)
    if key == "decision":
        return DECISION.get(value, value)
    if key == "satisfaction":
        return SATISFACTION.get(value, value)
    if key == "accepted":
        return "通过" if value else "不通过"
    if key == "upheld" and event_type == "HandbackRuled":
        return "同意退单" if value else "不同意退单"
    if key == "upheld":
        return "申诉成立" if value else "维持原评价"
    if key == "solved":
        return "是" if value else "否"
    if key == "due":
        return shown_at(value)
    if key in ("working_days", "expected_working_days"):
        return f"{value} 个工作日"
    return str(value)
