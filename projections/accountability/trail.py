"""Accountability trail (问责台账): per unit and period, each lapse, consequence and follow-up.

Fed by the accountability record's own event log (domain.accountability.record),
not by the appeal log: what inspectors read is what the process recorded,
with its evidence. One row per recorded fact, in log order: a lapse noted on
a case, a consequence issued (rule, profile version, evidence, the earlier
consequences it counted), an action that followed (约谈 held, 书面检查
received, referral, 挂牌督办 opened or struck off). Rows and the tracking
position commit in one transaction.
"""

from __future__ import annotations

import abc
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from domain.accountability.record import UnitAccountability
from domain.deadlines.periods import SHANGHAI
from projections.base import TrackedView

ENTRIES = {
    "LapseNoted": "lapse",
    "ConsequenceIssued": "consequence",
    "ActionRecorded": "action",
    "ConsequenceOrdered": "consequence",  # an inspector's own (视情), with its reason
}
TOPICS = tuple(f"caseledger:UnitAccountability.{name}" for name in ENTRIES)
SOURCE = "Accountability"


@dataclass(frozen=True)
class TrailRow:
    position: int
    record_id: str
    entry: str  # lapse | consequence | action
    kind: str
    at: datetime
    period: str  # YYYY-MM, Asia/Shanghai
    data: str  # JSON


class AccountabilityTrailView(TrackedView[list[TrailRow]]):
    @abc.abstractmethod
    def apply(self, rows: list[TrailRow], tracking: Tracking) -> None: ...

    @abc.abstractmethod
    def entries(self, record_id: str, period: str | None = None) -> list[dict[str, Any]]:
        """Rows of one unit's record in log order, optionally of one period; ``data`` decoded."""


class AccountabilityTrail:
    name = "accountability_trail"

    def __init__(self, view: AccountabilityTrailView, source: Application[UUID], batch_size: int = 500) -> None:
        self.view, self.source, self.batch_size = view, source, batch_size
        self._lock = threading.Lock()

    def tracking(self, position: int) -> Tracking:
        return Tracking(application_name=f"{SOURCE}:{self.name}", notification_id=position)

    def pending(self) -> bool:
        return bool(self._select(self.view.position(), 1))

    def run_once(self) -> int:
        done = 0
        with self._lock:
            while True:
                notifications = self._select(self.view.position(), self.batch_size)
                if not notifications:
                    return done
                rows = [self._row(n.id, self.source.mapper.to_domain_event(n)) for n in notifications]
                try:
                    self.view.apply(rows, self.tracking(notifications[-1].id))
                except IntegrityError:  # another runner wrote this batch first; resync on the next pass
                    return done
                done += len(rows)

    def entries(self, unit: str, period: str | None = None) -> list[dict[str, Any]]:
        return self.view.entries(str(UnitAccountability.create_id(unit)), period)

    def _select(self, after: int, limit: int) -> Sequence[Notification]:
        return self.source.recorder.select_notifications(
            start=after, limit=limit, topics=TOPICS, inclusive_of_start=False
        )

    @staticmethod
    def _row(position: int, event: Any) -> TrailRow:
        entry = ENTRIES[type(event).__name__]
        data = {
            k: v
            for k, v in event.__dict__.items()
            if k not in ("originator_id", "originator_version", "originator_topic")
        }
        data["record_seq"] = event.originator_version  # the fact's place in the unit's record
        at = data.get("at") or event.timestamp
        # A lapse and a consequence record their kind, an action its own: one or the other is there.
        kind = cast(str, data.get("kind") or data.get("action"))
        return TrailRow(
            position,
            str(event.originator_id),
            entry,
            kind,
            at,
            f"{at.astimezone(SHANGHAI):%Y-%m}",
            json.dumps(data, default=_json, ensure_ascii=False),
        )


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
