"""预警通知: the reminders a unit was given (docs/reminders.md), as a page of the workspace.

A unit user sees its own unit's; auditors, inspectors and admins every unit's, or one unit's
(``?unit=``), as ``GET /api/notices`` gives them.
"""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request, url_for

from domain.actors import Role
from projections.notices import Notice, NoticeQuery
from web.labels import KIND, NOTICE_CHANNEL, NOTICE_KIND
from web.workspace.formats import shown_at
from web.workspace.pages import bp, container, for_roles, unit_name, unit_names

READERS = frozenset({Role.UNIT, Role.AUDITOR, Role.INSPECTOR, Role.ADMIN})
SHOWN = 200


@bp.get("/notices")
@for_roles(READERS)
def notices_page():
    """预警通知: newest first — what the unit was told, when, and how (workspace, e-mail)."""
    own = g.actor.role is Role.UNIT
    unit = g.actor.unit if own else (request.args.get("unit") or "").strip() or None
    c = container()
    c.wait_for_notices()
    rows = c.notices.view.notices(NoticeQuery(unit=unit, limit=SHOWN)) if c.notices else []
    return render_template(
        "notices.html",
        rows=[_row(n) for n in rows],
        own=own,
        unit=unit,
        unit_title=unit_name(unit) if unit else "",
        units=sorted(unit_names().items()) if not own else [],
        shown=SHOWN,
    )


def _row(n: Notice) -> dict[str, Any]:
    if n.channel == "workspace":
        delivery, to = "已显示", unit_name(n.to)
    elif n.sent_at is not None:
        delivery, to = f"已发送（{shown_at(n.sent_at)}）", n.to.replace(",", "，")
    else:
        delivery = f"待发送（已尝试 {n.attempts} 次，下次 {shown_at(n.next_attempt_at)}）" if n.attempts else "待发送"
        to = n.to.replace(",", "，")
    return {
        "created": shown_at(n.created_at),
        "kind": NOTICE_KIND[n.kind],
        "approaching": n.kind == "approaching",
        "case_no": n.case_no,
        "case_kind": KIND.get(n.case_kind, ""),
        "url": url_for(f"workspace.{n.case_kind}_page", case_id=n.case_id),
        "subject": n.subject,
        "deadline": n.title,
        "round": n.round,
        "due": shown_at(n.due),
        "unit": unit_name(n.unit),
        "channel": NOTICE_CHANNEL[n.channel],
        "to": to,
        "delivery": delivery,
        "failed": n.channel == "mail" and n.sent_at is None and n.attempts > 0,
    }
