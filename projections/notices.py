"""Reminders (预警): notices derived from the event log, kept in an outbox, and sent.

**Derivation.** ``NoticeDeriver`` is a read model like the case list, run by its own ``BatchRunner``:
for every case an event touches it keeps, in its view, the case's running deadlines that bind a unit
(``watched``, each with the moment its warning window opens), and for every ``DeadlineMissed`` it adds
an "ended" notice. Rows, notices and the batch's tracking position commit in one transaction: the
log is the outbox, a crashed process resumes from its last batch, and a second process racing it
loses on the position (and on each notice's key). Whether a deadline *approaches* depends on time
passing, not on an event, so ``NoticeProcess.derive_approaching`` also looks, at each poll, for the
watched deadlines whose window has opened, and adds their notices; a notice's key (case, deadline,
round, kind) is its primary key, so two processes adding the same one add it once.

Each notice is one row per channel: the workspace's (shown at once) and, when the unit has users
with an e-mail address, the mail's, which the sender delivers.

**Sending.** ``NoticeProcess.send_due`` takes one unsent mail row at a time (on PostgreSQL under
``FOR UPDATE SKIP LOCKED``, so that two senders never send one row at once), sends it with a
``Message-ID`` derived from its key, and records the attempt: ``sent_at``, or ``last_error`` and the
next attempt's time, the wait doubling at each failure. A sender killed after the server accepted a
mail and before the row recorded it sends it again after the restart, with the same ``Message-ID``:
delivery is at least once, and a repeat is recognisable.

An "ended" notice whose miss was recorded long before the process saw it (a deployment that starts
on an old log, a rebuild) is shown in the workspace but not mailed: ``MAIL_HORIZON``.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from domain.cases.aggregate import Case
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import due_of, paused_since
from domain.notices import Channel, NoticeKind, message_id, notice_key, retry_after, warning_starts
from domain.time_source import TimeSource
from projections.base import ReadModel, TrackedView
from projections.feed import FeedItem

log = logging.getLogger(__name__)

MAIL_HORIZON = timedelta(days=2)
SEND_BATCH = 50


@dataclass(frozen=True)
class Watched:
    """A running deadline that binds a unit, and when its warning window opens."""

    case_id: str
    case_kind: str
    case_no: str
    subject: str
    deadline: str
    title: str
    round: int
    unit: str
    due: datetime
    ends_at: datetime
    warn_at: datetime

    @property
    def key(self) -> str:
        return notice_key(self.case_id, self.deadline, self.round, NoticeKind.APPROACHING)


@dataclass(frozen=True)
class Notice:
    """One notice on one channel: a row of the outbox."""

    key: str
    channel: str
    case_id: str
    case_kind: str
    case_no: str
    subject: str
    unit: str
    deadline: str
    title: str
    round: int
    kind: str
    due: datetime
    created_at: datetime
    to: str  # the unit's code (workspace), or the addresses, comma-separated (mail)
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None

    @property
    def message_id(self) -> str:
        return message_id(self.key)


@dataclass
class NoticeChanges:
    cases: list[str] = field(default_factory=list)  # the cases whose watched deadlines are replaced
    watched: list[Watched] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class NoticeQuery:
    unit: str | None = None
    case_id: str | None = None
    since: datetime | None = None  # created at or after
    limit: int = 500


class NoticeView(TrackedView[NoticeChanges]):
    @abc.abstractmethod
    def apply(self, changes: NoticeChanges, tracking: Any) -> None:
        """Replace the cases' watched deadlines, add the notices (a key already there is left as it
        is) and record the position, in one transaction."""

    @abc.abstractmethod
    def entering(self, now: datetime, limit: int = 1000) -> list[Watched]:
        """Watched deadlines whose warning window has opened at ``now`` and not yet ended, with no
        approaching notice yet."""

    @abc.abstractmethod
    def add(self, notices: list[Notice]) -> int:
        """Adds the notices whose (key, channel) is not there yet; returns how many were added."""

    @abc.abstractmethod
    def claim(self, now: datetime) -> Any:
        """A context manager yielding one unsent mail notice due for an attempt at ``now`` (or None),
        held so that no other sender takes it until the block ends; ``record`` inside the block."""

    @abc.abstractmethod
    def notices(self, q: NoticeQuery) -> list[Notice]:
        """The notices, newest first."""

    @abc.abstractmethod
    def unsent(self) -> int:
        """How many mail notices are not yet sent."""


class Mailer(abc.ABC):
    """Port: hands one notice to the mail relay; raises ``MailError`` when it cannot."""

    @abc.abstractmethod
    def send(self, notice: Notice) -> None: ...


class MailError(RuntimeError):
    """The relay did not take the mail (unreachable, refused): tried again later."""


class NoticeDeriver(ReadModel[NoticeChanges]):
    name = "notices"
    view: NoticeView

    def __init__(
        self,
        view: NoticeView,
        calendars: Callable[[str], WorkingCalendar],
        window_of: Callable[[str], int],
        recipients: Callable[[str], list[str]],
        clock: TimeSource,
    ) -> None:
        super().__init__(view)
        self.calendars, self.window_of, self.recipients, self.clock = calendars, window_of, recipients, clock

    def begin(self) -> None:
        self._touched: dict[Any, Case] = {}
        self._ended: list[tuple[Any, dict[str, Any]]] = []

    def on_event(self, item: FeedItem) -> None:
        case = item.case
        self._touched[item.event.originator_id] = case
        if item.type == "DeadlineMissed" and item.event.unit:
            e = item.event
            title = next((c["title"] for c in case.clocks if c["name"] == e.deadline and c["round"] == e.round), "")
            self._ended.append(
                (
                    e.originator_id,
                    {
                        "case_kind": case.KIND,
                        "case_no": case.case_no,
                        "subject": _subject(case),
                        "deadline": e.deadline,
                        "title": title or e.deadline,
                        "round": e.round,
                        "unit": e.unit,
                        "due": e.due,
                        "recorded_at": e.timestamp,
                    },
                )
            )

    def changes(self) -> NoticeChanges:
        now = self.clock()
        changes = NoticeChanges(cases=[str(k) for k in self._touched])
        for case in self._touched.values():
            changes.watched += self.watched(case)
        addresses: dict[str, list[str]] = {}
        for case_id, m in self._ended:
            key = notice_key(str(case_id), m["deadline"], m["round"], NoticeKind.ENDED)
            fresh = now - m["recorded_at"] <= MAIL_HORIZON
            if m["unit"] not in addresses:
                addresses[m["unit"]] = self.recipients(m["unit"]) if fresh else []
            changes.notices += _notices(
                key, str(case_id), NoticeKind.ENDED, m, now, addresses[m["unit"]] if fresh else []
            )
        return changes

    def watched(self, case: Case) -> list[Watched]:
        """The case's running, unpaused deadlines that bind a unit, with their warning windows."""
        calendar = self.calendars(case.policy["jurisdiction"])
        days = self.window_of(case.policy["id"])
        found = []
        for c in case.clocks:
            if c["met_at"] is not None or c["cancelled_at"] is not None or c.get("missed_seq") or not c["unit"]:
                continue
            if c.get("pauses") and paused_since(c) is not None:
                continue
            due = due_of(c, calendar)
            found.append(
                Watched(
                    str(case.id),
                    case.KIND,
                    case.case_no,
                    _subject(case),
                    c["name"],
                    c["title"],
                    c["round"],
                    c["unit"],
                    due.due,
                    due.ends_at,
                    warning_starts(due.ends_at, calendar, days),
                )
            )
        return found


class NoticeProcess:
    """Derives the notices (catch-up of the log, then the time-driven ones) and sends the mail ones."""

    def __init__(
        self,
        deriver: NoticeDeriver,
        catch_up: Callable[[], int],
        mailer: Mailer | None,
        clock: TimeSource,
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
    ) -> None:
        self.deriver, self.catch_up, self.mailer, self.clock = deriver, catch_up, mailer, clock
        self.retry_base, self.retry_cap = retry_base, retry_cap

    @property
    def view(self) -> NoticeView:
        return self.deriver.view

    def run_once(self) -> int:
        """One pass: the log's new events, the deadlines entering their window, the mail due; returns
        how much it did (0: nothing, the follower waits for its poll)."""
        done = self.catch_up()
        done += self.derive_approaching()
        if self.mailer is not None:
            done += self.send_due()
        return done

    def derive_approaching(self, now: datetime | None = None) -> int:
        now = now or self.clock()
        added = 0
        addresses: dict[str, list[str]] = {}
        while True:
            entering = self.view.entering(now)
            if not entering:
                return added
            notices: list[Notice] = []
            for w in entering:
                if w.unit not in addresses:
                    addresses[w.unit] = self.deriver.recipients(w.unit)
                notices += _notices(w.key, w.case_id, NoticeKind.APPROACHING, vars(w), now, addresses[w.unit])
            added += self.view.add(notices)
            if len(entering) < 1000:
                return added

    def send_due(self, limit: int = SEND_BATCH) -> int:
        """Sends the mail notices due for an attempt, one at a time; returns how many were attempted."""
        assert self.mailer is not None
        attempted = 0
        while attempted < limit:
            now = self.clock()
            with self.view.claim(now) as held:
                if held is None:
                    return attempted
                notice, record = held
                attempted += 1
                try:
                    self.mailer.send(notice)
                except MailError as exc:
                    attempts = notice.attempts + 1
                    wait = retry_after(attempts, self.retry_base, self.retry_cap)
                    log.warning("mail %s not sent (%s); next attempt in %s", notice.key, exc, wait)
                    record(replace(notice, attempts=attempts, last_error=str(exc)[:500], next_attempt_at=now + wait))
                    return attempted  # the relay is away: the others wait for their own next attempt
                record(replace(notice, attempts=notice.attempts + 1, sent_at=self.clock(), last_error=None))
        return attempted


def _notices(
    key: str, case_id: str, kind: NoticeKind, m: dict[str, Any], now: datetime, addresses: list[str]
) -> list[Notice]:
    base = Notice(
        key,
        Channel.WORKSPACE.value,
        case_id,
        m["case_kind"],
        m["case_no"],
        m["subject"],
        m["unit"],
        m["deadline"],
        m["title"],
        m["round"],
        kind.value,
        m["due"],
        now,
        m["unit"],
        sent_at=now,
    )
    if not addresses:
        return [base]
    return [base, replace(base, channel=Channel.MAIL.value, to=",".join(addresses), sent_at=None, next_attempt_at=now)]


def _subject(case: Case) -> str:
    subject = getattr(case, "subject", None)
    if isinstance(subject, str):
        return subject
    policy = case.policy.get("matter") or {}
    return str(policy.get("title", "")) if isinstance(policy, dict) else ""
