"""Audit trail (审计轨迹): every recorded act — who did what, when — on cases, units, users and the
accountability record.

One row per act: where it is recorded (the log, its position there, the record and its version),
the case it concerns and its number (if any), the act's type, the actor (user, role, unit), the
unit it concerns, what it was done to (a unit's code, a user's name), when it was recorded and
when it occurred, and the event's data. Auditors query it by actor, unit, type, case and time.

Three logs feed it. The case log (every act on every case) through the read-model runner
(``AuditTrail``, one of its read models), each event's data the stored JSON itself, not a
re-encoding. Beside it ``TrailFollower`` follows the directory's log (units added and disabled,
heads appointed; users added, disabled and enabled, their passwords changed, their sessions ended
— every grant of a role or a unit is a user's record) and the accountability record's (the
follow-ups inspectors and supervisors record, 约谈 held and the like). Their data leaves out what
no reader of the trail should see (the password's hash, a session's token id). What the system
does by itself there (lapses noted, consequences issued) is in the accountability trail, and the
sign-in attempts are in the login log, not here.

Every row is keyed by its log and its position there; a log's rows and its tracking position
commit in one transaction, so an act counts exactly once and a rebuild starts from zero.
"""

from __future__ import annotations

import abc
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from domain.accountability.record import UnitAccountability
from domain.directory.records import Unit, User
from projections.base import SOURCE, ReadModel, TrackedView
from projections.feed import FeedItem

_META = {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "originator_topic"}
NAME = "audit_trail"
# What each kind of record is called in the trail (``record``): a case's kind (appeal, approval), a
# unit, a user, a unit's accountability record.
UNIT, USER, ACCOUNTABILITY = "unit", "user", "accountability"
RECORDS = ("appeal", "approval", UNIT, USER, ACCOUNTABILITY)
# What the trail leaves out of an event's data: no reader of it needs a password's hash or a token's id.
WITHHELD = frozenset({"password_hash", "token_id"})
# The directory's events that are not acts on a record: sign-ins, as recorded before the login log.
NOT_ACTS = frozenset({"LoggedIn", "LoginFailed"})


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


def event_types(aggregate: type[Aggregate]) -> dict[str, str]:
    """The topic of every act recorded on ``aggregate``'s records, by the trail's name for it
    (``Unit.Registered``): the name is the topic without its ``caseledger:`` prefix."""
    base = aggregate.Event.TOPIC  # type: ignore[attr-defined]  # each record class names its base event's topic
    found: dict[str, str] = {}
    for name, value in vars(aggregate).items():
        topic = getattr(value, "TOPIC", None)
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and topic and topic != base:
            if name not in NOT_ACTS:
                found[topic.split(":", 1)[1]] = topic
    return found


# The acts the trail keeps beside the cases', by type: every act on a unit or a user, and the
# follow-ups and the 视情 consequences recorded on a unit's accountability record.
DIRECTORY_TYPES = {**event_types(Unit), **event_types(User)}
ACCOUNTABILITY_TYPES = {
    name: topic
    for name, topic in event_types(UnitAccountability).items()
    if name.endswith((".ActionRecorded", ".ConsequenceOrdered"))
}


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    unit: str | None = None  # the acting unit or the unit the act concerns (a case's lead unit)
    type: str | None = None
    case_id: str | None = None
    case_no: str | None = None
    record: str | None = None  # appeal, approval, unit, user or accountability
    since: datetime | None = None  # by occurrence time
    until: datetime | None = None
    page: int = 1
    per_page: int = 50
    # Count no further than this (the total is then "at least"): the whole trail, hundreds of thousands
    # of rows, is counted in a fraction of the time. None: the exact total.
    count_limit: int | None = None


# A row's values, in this order.
COLUMNS = (
    "source",
    "position",
    "record",
    "record_id",
    "seq",
    "case_id",
    "case_no",
    "type",
    "actor_user",
    "actor_role",
    "actor_unit",
    "case_unit",
    "subject",
    "recorded_at",
    "occurred_at",
    "data",
)
# A row: the log and the position there, the kind of record, its id and version, the case and its
# number (None outside cases), the type, the actor's user, role and unit, the unit the act concerns,
# what it was done to, recorded at, occurred at, the event's data (JSON).
AuditRow = tuple[
    str,
    int,
    str,
    UUID,
    int,
    UUID | None,
    str | None,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    datetime,
    datetime,
    str,
]


class AuditTrailView(TrackedView[list[AuditRow]]):
    @abc.abstractmethod
    def apply(self, rows: list[AuditRow], tracking: Tracking) -> None:
        """Append rows (values in ``COLUMNS`` order) and the tracking position of their log."""

    @abc.abstractmethod
    def source_position(self, source: str) -> int:
        """How far the rows of the log ``source`` go (0: none yet); ``position`` is the case log's."""

    @abc.abstractmethod
    def query(self, q: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        """Rows in the order they were recorded, and the total matching."""

    @abc.abstractmethod
    def acts_of(self, record_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every row of these records: ``record_id``, ``seq``, ``record``, ``type``, ``case_id`` and ``case_no``."""


class AuditTrail(ReadModel[list[AuditRow]]):
    """The acts on cases, from the case log (the read-model runner's feed)."""

    name = NAME
    view: AuditTrailView

    def begin(self) -> None:
        self._rows: list[AuditRow] = []

    def on_event(self, item: FeedItem) -> None:
        e, case = item.event, item.case
        actor = e.actor
        self._rows.append(
            (
                SOURCE,
                item.position,
                case.KIND,
                e.originator_id,
                e.originator_version,
                e.originator_id,
                case.case_no,
                item.type,
                actor["user"],
                actor["role"],
                actor.get("unit"),
                case.lead_unit,
                None,
                e.timestamp,
                e.occurred_at or e.timestamp,
                item.state.decode("utf-8"),
            )
        )

    def changes(self) -> list[AuditRow]:
        return self._rows


class TrailFollower:
    """The acts on units, users and accountability records, from the directory's and the
    accountability record's own logs: catch up, then follow (beside the accountability process)."""

    name = NAME

    def __init__(
        self,
        view: AuditTrailView,
        directory: Application[UUID],
        accountability: Application[UUID],
        case_no: Callable[[UUID], str | None],
        batch_size: int = 500,
    ) -> None:
        self.view, self.case_no, self.batch_size = view, case_no, batch_size
        self.logs = (
            (directory, tuple(DIRECTORY_TYPES.values())),
            (accountability, tuple(ACCOUNTABILITY_TYPES.values())),
        )
        self._names: dict[UUID, tuple[str, str | None]] = {}  # a unit's or user's record: its code or name, its unit
        self._lock = threading.Lock()

    def pending(self) -> bool:
        """Whether an act of either log is still waiting."""
        return any(self._select(app, topics, self.view.source_position(app.name), 1) for app, topics in self.logs)

    def run_once(self) -> int:
        """Brings the rows of both logs up to date; returns how many it added."""
        done = 0
        with self._lock:
            for app, topics in self.logs:
                while notifications := self._select(app, topics, self.view.source_position(app.name), self.batch_size):
                    rows = [self._row(app, n) for n in notifications]
                    tracking = Tracking(application_name=f"{app.name}:{NAME}", notification_id=notifications[-1].id)
                    try:
                        self.view.apply(rows, tracking)
                    except IntegrityError:  # another follower wrote this batch first; resync on the next pass
                        return done
                    done += len(rows)
        return done

    @staticmethod
    def _select(app: Application[UUID], topics: Sequence[str], after: int, limit: int) -> Sequence[Notification]:
        return app.recorder.select_notifications(start=after, limit=limit, topics=topics, inclusive_of_start=False)

    def _row(self, app: Application[UUID], n: Notification) -> AuditRow:
        e: Any = app.mapper.to_domain_event(n)
        kind = n.topic.split(":", 1)[1]
        data = {k: v for k, v in recorded_data(n.state.decode("utf-8")).items() if k not in WITHHELD}
        case_id: UUID | None = None
        case_no = None
        if kind in ACCOUNTABILITY_TYPES:
            # the event's own actor: the recorded data leaves the envelope's "actor" out
            record, actor = ACCOUNTABILITY, getattr(e, "actor", None) or {}
            subject, unit = self._owner(app, e)
            cited = data.get("case_id") or next((e["case_id"] for e in data.get("evidence") or []), None)
            if cited:  # an action's case, or the first case a 视情 consequence cites
                case_id = UUID(str(cited))
                case_no = self.case_no(case_id)
            occurred = e.at
        else:
            record, actor = (UNIT if kind.startswith("Unit.") else USER), e.actor or {}
            subject, unit = self._owner(app, e)
            occurred = e.timestamp
        return (
            app.name,
            n.id,
            record,
            e.originator_id,
            e.originator_version,
            case_id,
            case_no,
            kind,
            actor.get("user") or "",
            actor.get("role") or "",
            actor.get("unit"),
            unit,
            subject,
            e.timestamp,
            occurred,
            json.dumps(data, ensure_ascii=False, sort_keys=True),
        )

    def _owner(self, app: Application[UUID], e: Any) -> tuple[str, str | None]:
        """What the act was done to, and the unit it concerns: a unit's code (and the unit), a user's
        name (and the user's unit), an accountability record's unit (and that unit)."""
        known = self._names.get(e.originator_id)
        if known is None or "unit" in e.__dict__:
            record: Any = app.repository.get(e.originator_id, version=e.originator_version)
            if isinstance(record, Unit):
                known = (record.code, record.code)
            elif isinstance(record, User):
                known = (record.username, record.unit)
            else:
                unit = getattr(record, "unit", None) or ""
                known = (unit, unit)
            self._names[e.originator_id] = known
        return known
