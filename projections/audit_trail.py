"""Audit trail (审计轨迹): every recorded act across all cases — who did what, when.

One row per event: the actor (user, role, unit), the case and its lead unit
at that moment, the event type, when it was recorded and when it occurred,
and the event's data exactly as recorded (the stored JSON, not a re-encoding).
Auditors query it by actor, unit, type, case and time.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from projections.base import ReadModel, TrackedView
from projections.feed import FeedItem

_META = {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "originator_topic"}


def recorded_data(state: str | dict[str, Any]) -> dict[str, Any]:
    """An event's own data from its recorded state: without the envelope, instants as ISO text."""
    data = json.loads(state) if isinstance(state, str) else state
    return {k: _plain(v) for k, v in data.items() if k not in _META}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:  # the transcoder's marker for datetime, UUID, Decimal
            return value["_data_"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    unit: str | None = None  # the acting unit or the case's lead unit
    type: str | None = None
    case_id: str | None = None
    since: datetime | None = None  # by occurrence time
    until: datetime | None = None
    page: int = 1
    per_page: int = 50


# A row's values, in this order.
COLUMNS = (
    "position",
    "case_id",
    "case_no",
    "seq",
    "type",
    "actor_user",
    "actor_role",
    "actor_unit",
    "case_unit",
    "recorded_at",
    "occurred_at",
    "data",
)
# A row: position, case id, case number, seq, type, the actor's user, role and unit, the case's lead
# unit, recorded at, occurred at, the event's data as recorded.
AuditRow = tuple[int, UUID, str, int, str, str, str, str | None, str | None, datetime, datetime, str]


class AuditTrailView(TrackedView[list[AuditRow]]):
    @abc.abstractmethod
    def apply(self, rows: list[AuditRow], tracking: Tracking) -> None:
        """Append rows (values in ``COLUMNS`` order)."""

    @abc.abstractmethod
    def query(self, q: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        """Rows in log order, and the total matching."""


class AuditTrail(ReadModel[list[AuditRow]]):
    name = "audit_trail"
    view: AuditTrailView

    def begin(self) -> None:
        self._rows: list[AuditRow] = []

    def on_event(self, item: FeedItem) -> None:
        e, case = item.event, item.case
        actor = e.actor
        self._rows.append(
            (
                item.position,
                e.originator_id,
                case.case_no,
                e.originator_version,
                item.type,
                actor["user"],
                actor["role"],
                actor.get("unit"),
                case.lead_unit,
                e.timestamp,
                e.occurred_at or e.timestamp,
                item.state.decode("utf-8"),
            )
        )

    def changes(self) -> list[AuditRow]:
        return self._rows
