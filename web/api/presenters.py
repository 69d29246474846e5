"""Cases (appeals and approvals) and histories as the JSON of docs/http-api.md (*Appeals: queries*,
*Approvals: queries*)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, overload

from domain.appeals.aggregate import Appeal
from domain.appeals.joint import time_limit
from domain.appeals.ratings import RECTIFICATION, adjudicated_level, rectification_status
from domain.appeals.repeats import Suggestion
from domain.appeals.service import HistoryEntry
from domain.approvals.aggregate import Approval
from domain.deadlines.clocks import DeadlineState, ended_by
from domain.deadlines.periods import SHANGHAI
from web.api.schemas.hotline import hotline_json


@overload
def iso(moment: datetime, timespec: str = "auto") -> str: ...
@overload
def iso(moment: None, timespec: str = "auto") -> None: ...
@overload
def iso(moment: datetime | None, timespec: str = "auto") -> str | None: ...
def iso(moment: datetime | None, timespec: str = "auto") -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).isoformat(timespec=timespec)


def deadline_json(d: DeadlineState) -> dict[str, Any]:
    return {
        "name": d.name,
        "title": d.title,
        "source": d.source,
        "round": d.round,
        "unit": d.unit,
        "started_at": iso(d.started_at),
        "due": iso(d.due, "seconds"),
        "length": d.length,
        "length_unit": d.period_unit,
        "extended": d.extended,
        "met_at": iso(d.met_at),
        "met_late": d.met_late,
        "cancelled_at": iso(d.cancelled_at),
        "overdue": d.overdue,
        "provisional": d.provisional,
        "missed_seq": d.missed_seq,
        "not_binding": d.not_binding,
    }


def case_json(appeal: Appeal, deadlines: list[DeadlineState], as_of: datetime | None = None) -> dict[str, Any]:
    ratings = ratings_json(appeal, deadlines)
    return {
        "id": appeal.id,
        "case_no": appeal.case_no,
        "status": appeal.status,
        "version": appeal.version,
        "profile": appeal.policy["id"],
        "profile_version": appeal.policy["version"],
        "tier": appeal.policy["tier"],
        "channel": appeal.channel,
        "category": appeal.category,
        "subject": appeal.subject,
        "content": appeal.content,
        "enterprise": appeal.enterprise,
        "contact": appeal.contact,
        "external_ref": appeal.external_ref,
        "unit": appeal.unit,
        "co_units": appeal.co_units,
        "co_opinions": [
            {"unit": o["unit"], "content": o["content"], "at": iso(o["at"]), "seq": o["seq"]}
            for o in getattr(appeal, "co_opinions", [])
        ],
        "deadlines": [deadline_json(d) for d in deadlines],
        "returned_count": appeal.returned_count,
        "escalation_level": appeal.escalation_level,
        "escalation": appeal.policy["escalation"][appeal.escalation_level - 1]["code"]
        if appeal.escalation_level
        else None,
        "satisfaction": appeal.satisfaction,
        "rating": ratings[-1] if ratings else None,
        "ratings": ratings,
        "solved": appeal.solved,
        "received_at": iso(appeal.received_at),
        "updated_at": iso(appeal.last_at),
        "closed_at": iso(appeal.closed_at),
        "as_of": iso(as_of),
        **merge_json(appeal),
        **handback_json(appeal),
        **joint_json(appeal),
        **hotline_json(appeal, iso),
    }


def handback_json(appeal: Appeal) -> dict[str, Any]:
    """退单 on a case: the latest hand-back, and the platform's ruling on it (None while it waits)."""
    h, r = appeal.handback, appeal.handback and appeal.handback["ruling"]
    ruling = r and {
        "upheld": r["upheld"],
        "note": r.get("note"),
        "unit": r["unit"],
        "at": iso(r["at"]),
        "seq": r.get("seq"),
    }
    shown = h and {"requested_at": iso(h["requested_at"]), "reason": h["reason"], "unit": h["unit"], "seq": h["seq"]}
    return {"handback": shown and {**shown, "ruling": ruling}}


def merge_json(appeal: Appeal) -> dict[str, Any]:
    """并单 on a case: every caller's record, the case a repeat joined, the repeats a case was joined by."""
    joined = appeal.merged_into
    return {
        "callers": [
            {
                "case": c["case"],
                "case_no": c["case_no"],
                "enterprise": c["enterprise"],
                "contact": c["contact"],
                "channel": c["channel"],
                "external_ref": c["external_ref"],
                "received_at": iso(c["received_at"]),
                "merged_at": iso(c.get("merged_at")),
            }
            for c in appeal.callers
        ],
        "merged_into": {"id": joined["id"], "case_no": joined["case_no"], "at": iso(joined["at"])} if joined else None,
        "merged": [{"id": r["case"], "case_no": r["case_no"], "at": iso(r["merged_at"])} for r in appeal.repeats],
    }


def joint_json(appeal: Appeal) -> dict[str, Any]:
    """联合办理 on a case (004 item 六): whether it is on the joint-handling list, and its record."""
    j = appeal.joint
    if j is None:
        return {"joint": False, "joint_handling": None}
    clock = time_limit(appeal.clocks, j)
    return {
        "joint": True,
        "joint_handling": {
            "units": j["units"],
            "reason": j["reason"],
            "marked_at": iso(j["marked_at"]),
            "meetings": [{**m, "at": iso(m["at"])} for m in j["meetings"]],
            "lead_unit": j["lead_unit"],
            "settled_at": iso(j["settled_at"]),
            "time_limit": clock["name"] if clock else None,
        },
    }


def suggestion_json(s: Suggestion) -> dict[str, Any]:
    c = s.candidate
    return {
        "id": c.id,
        "case_no": c.case_no,
        "subject": c.subject,
        "enterprise": c.enterprise,
        "received_at": iso(c.received_at),
        "status": c.status,
        "unit": c.unit,
        "reason": s.reason,
        "score": round(s.score, 3),
    }


def ratings_json(appeal: Appeal, deadlines: list[DeadlineState]) -> list[dict[str, Any]]:
    """Each visit's rating (好差评) as given, beside what followed it: its rectification (整改) with the
    deadline's state, its contest (申诉复核) and the level the adjudicated figures count."""
    clocks = {d.started_by: d for d in deadlines if d.name == RECTIFICATION}
    window = (appeal.policy.get("ratings") or {}).get("contest_working_days")
    shown = []
    for r in getattr(appeal, "ratings", []):
        state, done, contest = clocks.get(r["seq"]), r["rectification"], r["contest"]
        shown.append(
            {
                "seq": r["seq"],
                "level": r["level"],
                "bad": r["bad"],
                "unit": r["unit"],
                "visited_at": iso(r["at"]),
                "adjudicated": adjudicated_level(r),
                "rectification": None
                if state is None
                else {
                    "status": rectification_status(
                        r,
                        started=True,
                        met_late=state.met_late,
                        stopped=state.cancelled_at is not None,
                        overdue=state.overdue,
                    ),
                    "due": iso(state.due, "seconds"),
                    "provisional": state.provisional,
                    "met_at": iso(state.met_at),
                    "overdue": state.overdue,
                    "met_late": state.met_late,
                    "content": done["content"] if done else None,
                },
                "contest_window_working_days": window if r["bad"] else None,
                "contest": None
                if contest is None
                else {
                    "reason": contest["reason"],
                    "unit": contest["unit"],
                    "at": iso(contest["at"]),
                    "status": contest["status"],
                    "note": contest["note"],
                    "decided_at": iso(contest["decided_at"]),
                },
            }
        )
    return shown


def history_json(
    appeal_id, case_no: str, entries: list[HistoryEntry], leaves: Mapping[int, tuple[int, bytes]]
) -> dict[str, Any]:
    """The case's events, each with its place in the Merkle log and its leaf hash (``leaves``: by
    version; null for an event not yet in the log)."""
    return {
        "id": appeal_id,
        "case_no": case_no,
        "events": [
            {
                "seq": e.seq,
                "type": e.type,
                "recorded_at": iso(e.recorded_at),
                "occurred_at": iso(e.occurred_at),
                "backfilled": e.backfilled,
                "actor": e.actor,
                "unit": e.actor.get("unit"),
                "data": _plain(e.data),
                "log_index": leaf[0] if (leaf := leaves.get(e.seq)) else None,
                "hash": leaf[1].hex() if leaf else None,
            }
            for e in entries
        ],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def case_list_item(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    ends = row["next_ends_at"]
    return {
        "id": row["id"],
        "case_no": row["case_no"],
        "status": row["status"],
        "profile": row["profile"],
        "tier": row["tier"],
        "channel": row["channel"],
        "category": row["category"],
        "unit": row["unit"],
        "co_units": [u for u in (row["co_units"] or "").split(",") if u],
        "subject": row["subject"],
        "enterprise": row["enterprise_name"],
        "next_deadline": {
            "name": row["next_deadline"],
            "due": iso(row["next_due"], "seconds"),
            "provisional": bool(row["provisional"]),
        }
        if row["next_deadline"]
        else None,
        "overdue": ended_by(ends, now),
        "escalation_level": row["escalation_level"],
        "returned_count": row["returned_count"],
        "satisfaction": row["satisfaction"],
        "solved": row["solved"],
        "received_at": iso(row["received_at"]),
        "updated_at": iso(row["updated_at"]),
        "closed_at": iso(row["closed_at"]),
        "version": row["version"],
        "merged_into": row.get("merged_into"),
        "repeats": row.get("repeats") or 0,
        "joint": bool(row.get("joint")),
    }


# -- approvals (审批) ----------------------------------------------------------------------------
def approval_json(approval: Approval, deadlines: list[DeadlineState], as_of: datetime | None = None) -> dict[str, Any]:
    """The approval as of ``as_of`` (None: now), its deadlines judged at the same moment."""
    policy = approval.policy
    return {
        "id": approval.id,
        "kind": "approval",
        "case_no": approval.case_no,
        "status": approval.status,
        "version": approval.version,
        "profile": policy["id"],
        "profile_version": policy["version"],
        "matter": approval.matter,
        "matter_title": policy["matter"]["title"],
        "applicant": _plain(approval.applicant),
        "commitment": approval.commitment,
        "channel": approval.channel,
        "external_ref": approval.external_ref,
        "materials": list(approval.materials),
        "missing": list(approval.missing),
        "departments": [
            {
                "unit": d["unit"],
                "decision": d["decision"],
                "opinion": d["opinion"],
                "answered_at": iso(d["answered_at"]),
                "returned": d["returned"],
            }
            for d in approval.departments
        ],
        "deadlines": [{**deadline_json(d), "paused": d.paused} for d in deadlines],
        "paused": approval.paused,
        "pauses": _pauses(approval.pauses, deadlines),
        "deemed_accepted": approval.deemed_accepted,
        "submitted_at": iso(approval.submitted_at),
        "accepted_at": iso(approval.accepted_at),
        "forwarded_at": iso(approval.forwarded_at),
        "decision": approval.decision,
        "decided_at": iso(approval.decided_at),
        "delivered_at": iso(approval.delivered_at),
        "ended_at": iso(approval.ended_at),
        "extended": approval.extended,
        "escalation_level": approval.escalation_level,
        "escalation": policy["escalation"][approval.escalation_level - 1]["code"]
        if approval.escalation_level
        else None,
        "updated_at": iso(approval.last_at),
        "as_of": iso(as_of),
    }


def _pauses(pauses: list[dict[str, Any]], deadlines: list[DeadlineState]) -> list[dict[str, Any]]:
    """Each pause of the case, with the working days it takes out of the decision period (行政许可法
    art. 45) as that clock counts them; a pause is matched to the clock's by the moment it began."""
    counted: dict[datetime, int] = {}
    for d in sorted(deadlines, key=lambda d: d.name != "decision"):  # the decision clock's count first
        for p in d.pauses:
            counted.setdefault(p["from"], p["working_days"])
    return [
        {
            "reason": p["reason"],
            "from": iso(p["from"]),
            "to": iso(p["to"]),
            "working_days": counted.get(p["from"]),
            "expected_working_days": p["expected_working_days"],
            "note": p["note"],
        }
        for p in pauses
    ]


def approval_list_item(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A row of the case list as an approval: its matter, applicant and reviewing departments."""
    return {
        **case_list_item(row, now),
        "kind": row["kind"],
        "matter": row["category"],
        "applicant": row["enterprise_name"],
        "departments": [u for u in (row["co_units"] or "").split(",") if u],
    }
