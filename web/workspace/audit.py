"""The auditors' pages (审计): a case as it stood at a moment, the audit trail's search, and the
verification of the store against the verifiable log.

- ``/appeals/{id}?as_of=…`` and ``/approvals/{id}?as_of=…``: the case page (web.workspace.cases) as
  the case stood then, read-only; this module reads the moment asked for, replays the case with the
  service's own read (``CaseService.get`` with ``as_of``, as the API's ``GET …?as_of=`` does) and says
  what changed since.
- ``/audit/trail`` (办理记录检索): the audit trail (projections.audit_trail), as ``GET /api/audit/trail``
  reads it, to the roles that may read it there.
- ``/audit/verify`` (存证核验): the latest signed checkpoint and its witnesses' cosignatures, and
  ``开始核验``, which runs the verification ``GET /api/audit/verify`` and ``caseledger audit check``
  run (adapters.tlog.checks.verify) and keeps its result (adapters.tlog.findings): a case page marks
  an event of the case the latest run found changed or removed, until a later run finds the store whole.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import marshmallow as ma
from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from adapters.tlog.checks import verify
from adapters.tlog.verify import cosignature_time, parse_note, parse_vkey, verify_note_signature
from domain.appeals.aggregate import Appeal
from domain.approvals.aggregate import Approval
from domain.deadlines.periods import SHANGHAI
from domain.errors import CaseNotFound
from domain.permissions import READS
from projections.audit_trail import ACCOUNTABILITY_TYPES, DIRECTORY_TYPES, AuditQuery, event_types
from projections.audit_trail import recorded_data as trail_data
from web.api.presenters import iso
from web.api.schemas.common import Timestamp
from web.labels import (
    ANSWER_KIND,
    DECISION,
    FOLLOW_UP,
    KIND,
    RECORD,
    ROLE,
    SATISFACTION,
    VERIFY_PROBLEM,
    actor_name,
    citation,
    event_name,
    trail_event_name,
)
from web.workspace.pages import bp, container, error_page, for_roles, unit_name, unit_names

PER_PAGE = 50
COUNT_LIMIT = 1000  # the trail counts this far ("1000 条以上"): counting all of it took longer than the page


def _when(moment: datetime | str | None) -> str:
    """A moment as the pages show it: YYYY-MM-DD HH:MM, Asia/Shanghai."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return iso(moment, "minutes").replace("T", " ")[:16]


# -- a case as it stood ---------------------------------------------------------------------------------
class MomentRefused(ValueError):
    """An ``as_of`` that is not a moment."""


class NotYetRecorded(LookupError):
    """The case did not exist yet at the moment asked for."""

    def __init__(self, moment: datetime) -> None:
        super().__init__(moment)
        self.moment = moment


def moment_asked() -> datetime | None:
    """The moment a case page is asked for (``as_of``), read as the API reads it (ISO 8601; without an
    offset, Asia/Shanghai); None: the case now. A ``+`` a hand-typed address left unescaped reads as a
    space, and is read back as the offset it was."""
    text = request.args.get("as_of")
    if text is None:
        return None
    text = re.sub(r" (\d{2}(?::?\d{2})?)$", r"+\1", text.strip())
    try:
        return Timestamp().deserialize(text)
    except ma.ValidationError:
        raise MomentRefused(text) from None


def as_it_stood(service: Any, case_id: UUID, moment: datetime) -> Any:
    """The case as it stood at ``moment`` (the caller has read it now, so it may be read at all)."""
    try:
        return service.get(case_id, moment)
    except CaseNotFound:
        raise NotYetRecorded(moment) from None


def replay(kind: str, case_id: UUID, moment: datetime, history: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """The events recorded by ``moment`` (those the case was replayed from), and the banner: the moment,
    how many events came after it and a link to the case now."""
    shown = []
    for e in history:
        if e.occurred_at > moment:
            break
        shown.append(e)
    later = history[len(shown) :]
    return shown, {
        "at": _when(moment),
        "at_iso": iso(moment),
        "later": len(later),
        "last_at": _when(later[-1].occurred_at) if later else "",
        "present_url": url_for(f"workspace.{kind}_page", case_id=case_id),
    }


def moment_url(kind: str, case_id: UUID | str, moment: datetime | str) -> str:
    """The case page as the case stood at ``moment`` (to the microsecond: the event at it included)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return url_for(f"workspace.{kind}_page", case_id=case_id, as_of=iso(moment))


@bp.errorhandler(MomentRefused)
def moment_refused(error: MomentRefused):
    return error_page(
        400,
        "时间格式不正确",
        "要查看的时刻应写作“年-月-日T时:分:秒+08:00”（例如 2026-11-02T10:00:00+08:00），未作任何记录。",
    )


@bp.errorhandler(NotYetRecorded)
def not_yet_recorded(error: NotYetRecorded):
    return error_page(404, "该时刻尚无此案件", f"截至 {_when(error.moment)}，该案件尚未登记，没有可查看的情况。")


def findings(case_id: UUID | str) -> dict[str, Any]:
    """What the latest verification found with the case's events: a warning by sequence number, the
    events found removed, and when it ran; nothing once a later run found the store whole."""
    cache = g.setdefault("verification_findings", {})
    if str(case_id) not in cache:
        cache[str(case_id)] = _findings(str(case_id))
    return cache[str(case_id)]


def _findings(case_id: str) -> dict[str, Any]:
    latest = container().verifications.latest()
    if latest is None:
        return {"by_seq": {}, "removed": [], "at": ""}
    at = _when(latest.at)
    by_seq: dict[int, str] = {}
    removed = []
    for p in latest.findings_of(case_id):
        if p.get("seq") is None:
            continue
        by_seq[p["seq"]] = (
            f"存证核验（{at}）发现：此条{VERIFY_PROBLEM.get(p['kind'], '记录与存证日志不符')}，与存证日志记载的不一致。"
        )
        if p["kind"] == "removed":
            removed.append(p)
    return {"by_seq": by_seq, "removed": removed, "at": at}


def removed_entries(kind: str, found: dict[str, Any], shown: Iterable[int]) -> list[dict[str, Any]]:
    """A timeline entry for each event of the case found removed (the store no longer shows it)."""
    present = set(shown)
    return [
        {
            "seq": p["seq"],
            "removed": True,
            "name": event_name(kind, p["type"]) if p.get("type") else "记录",
            "warning": found["by_seq"][p["seq"]],
        }
        for p in found["removed"]
        if p["seq"] not in present
    ]


# -- the audit trail (办理记录检索) ----------------------------------------------------------------------
def _type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The acts to search for, grouped by what they are done to, each by its Chinese name."""
    groups = []
    for kind, aggregate in (("appeal", Appeal), ("approval", Approval)):
        names = [t.split(".", 1)[1] for t in event_types(aggregate)]
        groups.append((KIND[kind], [(t, event_name(kind, t)) for t in names if t != "Created"]))
    groups.append(("单位与用户", [(t, trail_event_name("unit", t)) for t in DIRECTORY_TYPES]))
    groups.append(("问责", [(t, trail_event_name("accountability", t)) for t in ACCOUNTABILITY_TYPES]))
    return groups


def _types() -> set[str]:
    return {t for _, types in _type_choices() for t, _ in types}


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$")


def _moment(text: str, end_of_day: bool) -> datetime:
    """A day (its start; with ``end_of_day`` the next day's start) or a minute, Asia/Shanghai."""
    if _DAY.match(text):
        day = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
        return day + timedelta(days=1) if end_of_day else day
    if _MINUTE.match(text):
        return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=SHANGHAI)
    raise ValueError(text)


def _trail_filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The search as asked (every field as typed) and what is wrong with it, by field."""
    args = request.args
    f: dict[str, Any] = {k: (args.get(k) or "").strip()[:64] for k in ("actor", "unit", "type", "case_no")}
    f["since_text"], f["until_text"] = ((args.get(k) or "").strip()[:20] for k in ("since", "until"))
    page = args.get("page", "1")
    f["page"] = max(1, min(int(page), 10**6)) if page.isdigit() else 1
    errors: dict[str, str] = {}
    if f["type"] and f["type"] not in _types():
        errors["type"] = "请从列表中选择事项"
    if f["unit"] and f["unit"] not in unit_names():
        errors["unit"] = "没有这个单位，请从列表中选择"
    for key, end in (("since", False), ("until", True)):
        text = f[f"{key}_text"]
        f[key] = None
        if text:
            try:
                f[key] = _moment(text, end)
            except ValueError:
                errors[key] = (
                    f"{'起始' if key == 'since' else '截止'}时间请写作 年-月-日（如 2026-11-02）或 年-月-日 时:分"
                )
    if f["since"] and f["until"] and f["since"] >= f["until"]:
        errors["until"] = "截止时间应晚于起始时间"
    return f, errors


TRAIL_FIELDS = (
    ("actor", "操作人"),
    ("unit", "单位"),
    ("type", "事项"),
    ("case_no", "案件编号"),
    ("since", "起始时间"),
    ("until", "截止时间"),
)


@bp.get("/audit/trail")
@for_roles(READS["audit_trail"].roles)
def audit_trail():
    """办理记录检索: who did what, when, on cases, units, users and accountability records."""
    f, errors = _trail_filters()
    rows: list[dict[str, Any]] = []
    total = 0
    limit = max(COUNT_LIMIT + 1, f["page"] * PER_PAGE + 1)  # never fewer than the pages up to this one
    if not errors:
        container().wait_for_trail()
        query = AuditQuery(
            actor=f["actor"] or None,
            unit=f["unit"] or None,
            type=f["type"] or None,
            case_no=f["case_no"] or None,
            since=f["since"],
            until=f["until"],
            page=f["page"],
            per_page=PER_PAGE,
            count_limit=limit,
        )
        found, total = container().read_models["audit_trail"].view.query(query)
        rows = [_trail_row(r) for r in found]
    kept = {
        k: v
        for k, v in (
            ("actor", f["actor"]),
            ("unit", f["unit"]),
            ("type", f["type"]),
            ("case_no", f["case_no"]),
            ("since", f["since_text"]),
            ("until", f["until_text"]),
        )
        if v
    }
    labels = dict(TRAIL_FIELDS)
    return render_template(
        "audit_trail.html",
        f=f,
        errors=errors,
        summary=[(f"f-{name}", message) for name, message in errors.items()],
        labels=labels,
        rows=rows,
        total=total,
        more=total >= limit,
        page=f["page"],
        pages=max(1, -(-total // PER_PAGE)),
        units=sorted(unit_names().items()),
        type_groups=_type_choices(),
        page_url=lambda n: url_for("workspace.audit_trail") + "?" + urlencode({**kept, "page": n}),
    ), (422 if errors else 200)


def _trail_row(r: dict[str, Any]) -> dict[str, Any]:
    data = trail_data(r["data"])
    record = r["record"]
    occurred, recorded = r["occurred_at"], r["recorded_at"]
    case_kind = record if record in KIND else None
    return {
        "at": _when(occurred),
        "at_iso": iso(datetime.fromisoformat(occurred) if isinstance(occurred, str) else occurred),
        "recorded": _when(recorded) if _when(recorded) != _when(occurred) else "",
        "actor": actor_text(r["actor_user"], r["actor_role"], r["actor_unit"]),
        "unit": unit_name(r["case_unit"]) if r["case_unit"] else "",
        "case_no": r["case_no"] or "",
        "case_url": moment_url(case_kind or _kind_of(r["case_id"]), r["case_id"], occurred)
        if r["case_id"] and r["case_no"]
        else "",
        "record": RECORD.get(record, ""),
        "name": trail_event_name(record, r["type"]),
        "summary": summary(record, r["type"], data, r["subject"]),
    }


def _kind_of(case_id: Any) -> str:
    """An accountability act's case: an appeal or an approval, as the case list knows it."""
    try:
        service = container().appeals
        return service.repository.get(UUID(str(case_id)), version=1).KIND
    except (ValueError, LookupError):
        return "appeal"


def actor_text(user: str, role: str, unit: str | None) -> str:
    """Who acted: the user with the role in Chinese (and the unit); the deadline watch as the system."""
    return actor_name(user, role, unit_name(unit) if unit else "")


def _short(text: Any, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"


def summary(record: str, event_type: str, data: dict[str, Any], subject: str | None) -> str:
    """What the act said, in a line: the parts a reader of the trail looks for, in Chinese."""
    parts: list[str] = []
    if record == "unit":
        parts.append(f"单位 {subject}（{unit_name(subject)}）" if subject else "")
        if "name" in data and event_type == "Unit.HeadAppointed":
            parts.append(f"主要负责人 {data['name']}，自 {data.get('from_day', '')} 起")
    elif record == "user":
        parts.append(f"用户 {subject}" if subject else "")
        if "role" in data:
            parts.append(f"角色 {ROLE.get(data['role'], data['role'])}")
        if data.get("unit"):
            parts.append(f"所属单位 {unit_name(data['unit'])}")
    elif record == "accountability":
        action = data.get("action")
        parts.append(FOLLOW_UP.get(action, data.get("title") or "") if action else "")
        if data.get("note"):
            parts.append(_short(data["note"]))
    else:
        parts += _case_summary(event_type, data)
    if data.get("reason") and record != "accountability" and event_type != "Paused":
        parts.append(f"理由：{_short(data['reason'])}")
    return "；".join(p for p in parts if p)


def _case_summary(event_type: str, data: dict[str, Any]) -> list[str]:
    parts = []
    if event_type in ("Received", "Submitted") and data.get("subject"):
        parts.append(f"标题：{_short(data['subject'])}")
    if event_type == "HandbackRuled":  # 退单审核: the conclusion, and 改派 to the unit named, if any
        parts.append("同意退单" if data.get("upheld") else "不同意退单")
        parts += [f"改派 {unit_name(data['unit'])}"] if data.get("unit") else []
    elif data.get("unit") and event_type != "DeadlineMissed":
        parts.append(f"承办单位 {unit_name(data['unit'])}")
    if data.get("department"):
        parts.append(f"部门 {unit_name(data['department'])}")
    if data.get("co_units"):
        parts.append("协办单位 " + "、".join(unit_name(u) for u in data["co_units"]))
    if data.get("departments"):
        parts.append("审批部门 " + "、".join(unit_name(u) for u in data["departments"]))
    if data.get("kind") in ANSWER_KIND:
        parts.append(ANSWER_KIND[data["kind"]])
    if data.get("decision") in DECISION:
        parts.append(f"结论 {DECISION[data['decision']]}")
    if "accepted" in data:
        parts.append("审核通过" if data["accepted"] else "审核不通过")
    if data.get("satisfaction") in SATISFACTION:
        parts.append(f"满意度 {SATISFACTION[data['satisfaction']]}")
    if data.get("working_days"):
        parts.append(f"{data['working_days']} 个工作日")
    if event_type == "Escalated" and data.get("level"):
        parts.append(f"第 {data['level']} 级督办")
    if event_type == "DeadlineMissed":
        parts.append(
            f"截止时间 {_when(data.get('due'))}" + (f"，{unit_name(data['unit'])}" if data.get("unit") else "")
        )
        if data.get("source"):
            parts.append(f"依据 {citation(data['source'])}")
    for key in ("into_case_no", "from_case_no"):
        if data.get(key):
            parts.append(f"{'并入' if key == 'into_case_no' else '原并入'} {data[key]}")
    for key, label in (("content", "内容"), ("opinion", "意见"), ("note", "备注")):
        if data.get(key) and event_type not in ("Received", "Submitted"):
            parts.append(f"{label}：{_short(data[key])}")
    return parts


# -- verification (存证核验) -----------------------------------------------------------------------------
class VerifyForm(FlaskForm):
    """开始核验: nothing but the CSRF token."""


@bp.get("/audit/verify")
@for_roles(READS["audit_log"].roles)
def audit_verify():
    """存证核验: the latest signed checkpoint, its witnesses, and the latest verification's result."""
    checkpoints = container().checkpoints
    record = checkpoints.latest()
    checkpoint = None
    if record is not None:
        checkpoint = {
            "size": record.size,
            "root": base64.b64encode(record.root).decode(),
            "at": _when(record.issued_at),
            "key": checkpoints.signer.name,
            "witnesses": _witnesses(checkpoints, record),
        }
    latest = container().verifications.latest()
    return render_template(
        "audit_verify.html",
        note_url=url_for("workspace.audit_checkpoint") if record is not None else None,
        checkpoint=checkpoint,
        form=VerifyForm(),
        verification=_verification(latest) if latest else None,
    )


@bp.get("/audit/checkpoint.txt")
@for_roles(READS["audit_log"].roles)
def audit_checkpoint():
    """The latest checkpoint as its signed note (C2SP signed-note text: origin, size, root hash, the log's
    signature and the witnesses' cosignatures), for checking offline with the standalone verifier."""
    checkpoints = container().checkpoints
    record = checkpoints.latest()
    if record is None:
        abort(404)
    return Response(
        checkpoints.note(record),
        mimetype="text/plain",
        headers={"Content-Disposition": f"attachment; filename=checkpoint-{record.size}.txt"},
    )


@bp.post("/audit/verify")
@for_roles(READS["audit_log"].roles)
def audit_verify_run():
    """开始核验: every stored event re-hashed and compared with the log and its signed checkpoints; the
    result kept (the case pages warn of what it found) and shown."""
    c = container()
    if not c.wait_for_merkle():
        return error_page(503, "存证日志尚未更新", "存证日志尚未收录全部记录，未进行核验。请稍后再试。")
    c.wait_for_trail()  # the trail names the events found changed or removed
    result = verify(c.merkle, c.checkpoints, c.read_models["audit_trail"].view.acts_of)
    c.verifications.record(result, c.clock(), g.actor.user)
    flash("核验完成，结果如下。" if result["ok"] else "核验完成，发现问题，详见下方。")
    return redirect(url_for("workspace.audit_verify"), 303)


def _witnesses(checkpoints: Any, record: Any) -> list[dict[str, Any]]:
    """The witnesses' cosignatures on a checkpoint: who, when, and whether the signature verifies with
    the witness's key the log keeps."""
    body, signatures = parse_note(checkpoints.note(record))
    keys = checkpoints.witnesses()
    out = []
    for sig in signatures:
        if sig.name == checkpoints.signer.name:
            continue
        vkey = keys.get(sig.name)
        try:
            good = vkey is not None and verify_note_signature(body, sig, parse_vkey(vkey))
            at = _when(datetime.fromtimestamp(cosignature_time(sig), SHANGHAI))
        except ValueError:
            good, at = False, ""
        out.append({"name": sig.name, "key_id": sig.key_id.hex(), "at": at, "good": good})
    return out


def _verification(latest: Any) -> dict[str, Any]:
    result = latest.result
    return {
        "at": _when(latest.at),
        "by": latest.by,
        "ok": result["ok"],
        "events_checked": result["events_checked"],
        "head": result["head"],
        "problems": [_problem(p) for p in result["problems"]],
    }


def _problem(p: dict[str, Any]) -> dict[str, Any]:
    """A problem in the auditor's words: where, what, and the event it concerns."""
    what = VERIFY_PROBLEM.get(p.get("kind") or "", "与存证日志不符")
    event = ""
    record = p.get("record")
    if p.get("type"):
        event = f"「{trail_event_name(record or 'appeal', p['type'])}」"
    url = ""
    if p.get("case_id") and p.get("case_no"):
        kind = record if record in KIND else "appeal"
        url = url_for(f"workspace.{kind}_page", case_id=p["case_id"])
        where = f"案件 {p['case_no']} 第 {p['seq']} 条记录{event}"
    elif p.get("seq") is not None:
        where = f"{RECORD.get(record or '', '')}记录第 {p['seq']} 条{event}"
    else:
        where = ""
    return {
        "index": p.get("index"),
        "what": what,
        "where": where,
        "case_no": p.get("case_no") or "",
        "url": url,
    }
