"""Deadline sweep and accountability over HTTP (docs/http-api.md *Deadlines*, *Accountability (问责)*)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g

from domain.accountability.follow_up import is_overdue
from domain.accountability.record import actions_due
from domain.deadlines.periods import SHANGHAI
from domain.errors import CaseNotFound
from domain.permissions import check_action_role, check_read
from web.api.blueprint import Blueprint
from web.api.idempotency import idempotent
from web.api.presenters import iso
from web.api.schemas.accountability import (
    AccountabilityActionSchema,
    AccountabilityArgsSchema,
    AccountabilitySchema,
    SweepReportSchema,
    SweepSchema,
)
from web.errors import ErrorSchema

blp = Blueprint(
    "accountability",
    __name__,
    url_prefix="/api",
    description="Deadline sweep (时限监控) and unit accountability (问责)",
)

GROUPS = {
    "reminders": {"notified_reminder", "criticism"},
    "interviews": {"interview", "reminder_interview"},
    "written_reviews": {"written_self_examination", "order_self_examination"},
}
# The consequences addressed to the unit's principal head (000 item 4: 约谈单位主要负责人, 书面检查).
HEAD_NAMED = GROUPS["interviews"] | GROUPS["written_reviews"]


def documented_errors(view, statuses=(400, 401, 403, 404, 409, 422)):
    for status in statuses:
        view = blp.alt_response(status, schema=ErrorSchema, description="refused; nothing recorded")(view)
    return view


@blp.route("/deadlines/sweep", methods=["POST"])
@idempotent
@blp.arguments(SweepSchema)
@blp.response(200, SweepReportSchema)
@documented_errors
def sweep(data):
    """Records every deadline passed and unmet at ``now`` once, with its consequences (platform, admin).

    ``now`` may not lie ahead of the current time; ``dry_run`` records nothing and reports what a
    sweep at ``now`` (ahead or not) would record."""
    container = current_app.extensions["caseledger"]
    dry_run = data.get("dry_run", False)
    report = container.deadline_watch().sweep(g.actor, data.get("now"), dry_run)
    if dry_run:
        container.wait_for_accountability()  # the preview counts on every lapse already noted
        consequences = [{"unit": unit, **_previewed(e)} for unit, e in container.accountability.preview(report.events)]
    else:
        consequences = _consequences_of(container, report)
    return {
        "now": iso(report.now),
        "dry_run": dry_run,
        "cases_checked": report.cases_checked,
        "missed": [{**m, "due": iso(m["due"], "seconds")} for m in report.missed],
        "escalations": report.escalations,
        "consequences": consequences,
        "deemed_accepted": [
            {**d, "accepted_as_of": iso(d["accepted_as_of"]), "notice_ended_at": iso(d["notice_ended_at"])}
            for d in report.deemed_accepted
        ],
    }


def _consequences_of(container, report) -> list[dict]:
    """The consequences the recorded misses brought, once the accountability process has seen them."""
    container.wait_for_accountability()
    missed = {(m["case_id"], m["seq"]) for m in report.missed}
    found = []
    for unit in sorted({m["unit"] for m in report.missed if m["unit"]}):
        for entry in container.accountability_trail.entries(unit):
            data = entry["data"]
            if entry["entry"] == "consequence" and any((e["case_id"], e["seq"]) in missed for e in data["evidence"]):
                found.append({"unit": unit, **_consequence(data)})
    return found


@blp.route("/units/<code>/accountability", methods=["GET"])
@blp.arguments(AccountabilityArgsSchema, location="query")
@blp.response(200, AccountabilitySchema)
def unit_accountability(args, code):
    """The unit's accountability record: each consequence with the rule that fired and the case events
    that caused it, and what followed (inspectors, auditors, supervisors; a unit its own)."""
    container = current_app.extensions["caseledger"]
    check_read("accountability", g.actor, unit=code)
    if container.directory.unit(code) is None:
        raise CaseNotFound(f"no unit {code!r}")
    container.wait_for_views()
    container.wait_for_accountability()
    return accountability_json(container, code, args.get("period"))


@blp.route("/units/<code>/accountability/actions", methods=["POST"])
@idempotent
@blp.arguments(AccountabilityActionSchema)
@blp.response(201, AccountabilitySchema)
@documented_errors
def record_action(data, code):
    """Records what followed: 约谈 held, 书面检查 received, referral made (inspectors); 挂牌督办 opened
    or struck off (supervisors); as of ``occurred_at`` if given (not in the future, not before the
    consequence it answers). ``criticism_issued`` (通报批评) and ``interview_ordered`` (约谈, 视情: 004 item
    十五) are an inspector's or a supervisor's own consequences, with a ``reason`` and optionally the
    ``case_ids`` they cite."""
    container = current_app.extensions["caseledger"]
    check_action_role(data["action"], g.actor)  # who may act, before whether the unit exists
    if container.directory.unit(code) is None:
        raise CaseNotFound(f"no unit {code!r}")
    container.wait_for_accountability()
    container.accountability.record_action(
        code,
        data["action"],
        g.actor,
        note=data.get("note"),
        reason=data.get("reason"),
        case_ids=[str(c) for c in data.get("case_ids") or []],
        consequence=data.get("consequence"),
        case_id=str(data["case_id"]) if data.get("case_id") else None,
        supervision=data.get("supervision"),
        occurred_at=data.get("occurred_at"),
    )
    container.wait_for_accountability()  # the trail is written by the read-model process
    return accountability_json(container, code, None), 201


def accountability_json(container, unit: str, period: str | None) -> dict:
    entries = container.accountability_trail.entries(unit)  # all periods: follow-ups may fall later
    action_entries = [e for e in entries if e["entry"] == "action"]
    actions = [_action(e["data"]) for e in action_entries]
    consequences = []
    record = container.directory.units_by_code().get(unit)
    now = container.clock()
    for e in entries:
        if e["entry"] == "consequence" and (period is None or e["period"] == period):
            c = _consequence(e["data"])
            c["head"] = _head_on(record, e["data"]["at"], c["kind"])
            c["follow_ups"] = [a for a in actions if a["consequence"] == c["id"]]
            c["follow_up_overdue"] = is_overdue(c, actions_due(c["kind"], (a["action"] for a in c["follow_ups"])), now)
            consequences.append(c)
    supervisions: dict[str, dict] = {}
    for a in actions:
        if a["action"] == "listed_supervision_opened":
            supervisions[a["supervision"]] = {
                "id": a["supervision"],
                "case_id": a["case_id"],
                "opened_at": a["at"],
                "opened_by": a["actor"],
                "note": a["note"],
                "struck_off_at": None,
                "status": "listed",
            }
        elif a["action"] == "listed_supervision_struck_off" and a["supervision"] in supervisions:
            supervisions[a["supervision"]].update(struck_off_at=a["at"], status="struck_off")

    def in_period(entry: dict) -> bool:
        return period is None or entry["period"] == period

    return {
        "unit": unit,
        "period": period,
        **{group: [c for c in consequences if c["kind"] in kinds] for group, kinds in GROUPS.items()},
        "consequences": consequences,
        "lapses": [_lapse(e["data"]) for e in entries if e["entry"] == "lapse" and in_period(e)],
        "actions": [a for a, e in zip(actions, action_entries) if in_period(e)],
        "supervisions": list(supervisions.values()),
    }


def _consequence(d: dict) -> dict:
    return {
        "id": d["consequence_id"],
        "kind": d["kind"],
        "title": d["title"],
        "rule": d["rule"],
        "rule_title": d["rule_title"],
        "source": d["source"],
        "profile": d["profile"],
        "profile_version": d["profile_version"],
        "at": _local(d["at"]),
        "period": d["period"],
        "evidence": d["evidence"],
        "caused_by": d.get("caused_by", []),  # an inspector's own (视情) counts nothing
        "recorded_at": _local(d["timestamp"]),
        "seq": d["record_seq"],
        "follow_up_due": _local(d["follow_up_due"]) if d.get("follow_up_due") else None,
        "ordered_by": d.get("actor"),  # an inspector's own consequence (视情): who, with the reason
        "reason": d.get("reason"),
        "note": d.get("note"),
    }


def _head_on(unit, at: str, kind: str) -> dict | None:
    """For a 约谈 or 书面检查: the unit's head in office on the day it arose (Asia/Shanghai), whom the
    discipline commission addresses, even if another person heads the unit today."""
    if unit is None or kind not in HEAD_NAMED:
        return None
    return unit.head_on(datetime.fromisoformat(at).astimezone(SHANGHAI).date())


def _previewed(e) -> dict:
    """A consequence a dry-run sweep would issue, in the shape of a recorded one (not recorded: no seq)."""
    return {
        "id": e.consequence_id,
        "kind": e.kind,
        "title": e.title,
        "rule": e.rule,
        "rule_title": e.rule_title,
        "source": e.source,
        "profile": e.profile,
        "profile_version": e.profile_version,
        "at": iso(e.at),
        "period": e.period,
        "evidence": e.evidence,
        "caused_by": e.caused_by,
        "recorded_at": None,
        "seq": None,
        "follow_up_due": iso(e.follow_up_due) if getattr(e, "follow_up_due", None) else None,
        "ordered_by": None,
        "reason": None,
        "note": None,
    }


def _lapse(d: dict) -> dict:
    return {
        "kind": d["kind"],
        "case_id": d["case_id"],
        "case_no": d["case_no"],
        "case_seq": d["seq"],
        "at": _local(d["at"]),
        "evidence": d["evidence"],
        "profile": d["profile"],
        "profile_version": d["profile_version"],
        "detail": d["detail"],
    }


def _action(d: dict) -> dict:
    return {
        "seq": d["record_seq"],
        "action": d["action"],
        "title": d["title"],
        "consequence": d["consequence"],
        "case_id": d["case_id"],
        "supervision": d["supervision"],
        "note": d["note"],
        "actor": d["actor"],
        "at": _local(d["at"]),
        "recorded_at": _local(d["timestamp"]),
    }


def _local(text: str) -> str:
    return iso(datetime.fromisoformat(text))
