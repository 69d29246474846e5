"""Read models over HTTP: the audit trail and the projections' positions.

Reads wait briefly for the read models to catch up with the log as it stood
when the request arrived, so a client reads its own writes.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g

from domain.actors import Role
from domain.permissions import check_read
from projections.audit_trail import AuditQuery, recorded_data
from projections.notices import Notice, NoticeQuery
from web.api.blueprint import Blueprint
from web.api.presenters import iso
from web.api.schemas.reads import (
    AuditArgsSchema,
    AuditTrailSchema,
    NoticeArgsSchema,
    NoticesSchema,
    ProjectionsSchema,
)

blp = Blueprint("reads", __name__, url_prefix="/api", description="Audit trail and read-model status")


@blp.route("/audit/trail", methods=["GET"])
@blp.arguments(AuditArgsSchema, location="query")
@blp.response(200, AuditTrailSchema)
def audit_trail(args):
    """Every recorded act on every case, unit, user and accountability record: who did what, when
    (auditors, inspectors, admins)."""
    check_read("audit_trail", g.actor)
    container = current_app.extensions["caseledger"]
    container.wait_for_trail()
    query = AuditQuery(
        actor=args.get("actor"),
        unit=args.get("unit"),
        type=args.get("type"),
        case_id=str(args["case_id"]) if args.get("case_id") else None,
        case_no=args.get("case_no"),
        record=args.get("record"),
        since=args.get("since"),
        until=args.get("until"),
        page=args["page"],
        per_page=args["per_page"],
    )
    rows, total = container.read_models["audit_trail"].view.query(query)
    return {"entries": [trail_entry(r) for r in rows], "page": query.page, "per_page": query.per_page, "total": total}


def trail_entry(r: dict) -> dict:
    """A row of the audit trail as the API gives it."""
    return {
        "source": r["source"],
        "position": r["position"],
        "record": r["record"],
        "record_id": str(r["record_id"]),
        "case_id": str(r["case_id"]) if r["case_id"] else None,
        "case_no": r["case_no"],
        "seq": r["seq"],
        "type": r["type"],
        "actor": {"user": r["actor_user"], "role": r["actor_role"], "unit": r["actor_unit"]},
        "case_unit": r["case_unit"],
        "subject": r["subject"],
        "recorded_at": iso(_instant(r["recorded_at"])),
        "occurred_at": iso(_instant(r["occurred_at"])),
        "data": recorded_data(r["data"]),
    }


@blp.route("/notices", methods=["GET"])
@blp.arguments(NoticeArgsSchema, location="query")
@blp.response(200, NoticesSchema)
def notices(args):
    """Reminders (预警): who was told what and when (auditors, inspectors, admins; a unit, its own)."""
    actor = g.actor
    unit = args.get("unit") or (actor.unit if actor.role is Role.UNIT else None)
    check_read("notices", actor, unit=unit)
    container = current_app.extensions["caseledger"]
    container.wait_for_notices()
    query = NoticeQuery(
        unit=unit, case_id=str(args["case_id"]) if args.get("case_id") else None, since=args.get("since")
    )
    return {"items": [notice_item(n) for n in container.notices.view.notices(query)]}


def notice_item(n: Notice) -> dict:
    return {
        "key": n.key,
        "case_id": n.case_id,
        "case_no": n.case_no,
        "unit": n.unit,
        "deadline": n.deadline,
        "kind": n.kind,
        "due": iso(n.due),
        "created_at": iso(n.created_at),
        "channel": n.channel,
        "to": n.to,
        "sent_at": iso(n.sent_at),
        "attempts": n.attempts,
        "last_error": n.last_error,
    }


@blp.route("/projections", methods=["GET"])
@blp.response(200, ProjectionsSchema)
def projections_status():
    """Each read model's position in the event log and how far it lags behind the head."""
    container = current_app.extensions["caseledger"]
    head = container.appeals.recorder.max_notification_id() or 0
    merkle = container.merkle
    return {
        "head": head,
        "projections": [
            *(
                {"name": name, "position": (p := model.view.position()), "lag": max(0, head - p)}
                for name, model in container.read_models.items()
            ),
            # The Merkle log reads every application's log: its position is its size, in leaves.
            {"name": merkle.name, "position": merkle.size(), "lag": merkle.lag()},
        ],
    }


def _instant(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value
