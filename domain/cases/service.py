"""What every case service does: get the case, run one command, save; sweep; history.

Every command checks the actor's role for the case kind, the unit's part on
the case, the caller's ``expected_version`` and the ``occurred_at`` it states
(backfill: never in the future, never before the case's last event, platform
and admin only) before the aggregate checks its own state; a refused command
saves nothing.

Every kind of case is recorded in one event log (the store first made for
appeals, hence its name ``Appeals``): one sequence of positions feeds every
read model, the audit trail and the deadline sweep. A service of another
kind shares that store (``store``) and sees only the cases of its own kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import ApplicationRecorder, IntegrityError

from domain.actions import Action, case_actions
from domain.actors import Actor
from domain.cases.aggregate import Case
from domain.catalogue import ProfileCatalogue
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import DeadlineState, evaluate
from domain.deadlines.periods import SHANGHAI
from domain.errors import CaseNotFound, ValidationFailed, VersionConflict
from domain.permissions import check_case_read, check_command_part, check_command_role
from domain.time_source import TimeSource, utc_now

# No case predates the schemes this system keeps (the earliest source is of 2017).
EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)
_META = {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "originator_topic"}

TCase = TypeVar("TCase", bound=Case)


class _CaseEvent(Protocol):
    """What every event of every kind of case carries: each ``@event`` method of a kind takes ``actor`` and
    ``occurred_at`` (domain.cases.aggregate)."""

    @property
    def originator_version(self) -> int: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def occurred_at(self) -> datetime | None: ...
    @property
    def actor(self) -> dict[str, Any]: ...
    def mutate(self, aggregate: Case | None) -> Case | None: ...


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    type: str
    recorded_at: datetime
    occurred_at: datetime
    backfilled: bool
    actor: dict[str, Any]
    data: dict[str, Any]


class CaseService(Application[UUID], Generic[TCase]):
    """The get → command → save rhythm, the sweep and the queries, for one kind of case (``TCase``)."""

    name = "Appeals"  # the one case log's name: its tables and tracking names
    aggregate: type[TCase]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The library names an application after its class unless told; every case service
        # keeps the log's one name, or a kind's cases would go to tables of their own.
        cls.name = CaseService.name
        super().__init_subclass__(**kwargs)

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        profiles: ProfileCatalogue,
        calendars: Callable[[str], WorkingCalendar],
        clock: TimeSource = utc_now,
        unit_exists: Callable[[str], bool] = lambda code: True,
        store: Application[UUID] | None = None,
    ) -> None:
        self._store = store
        super().__init__(env)
        self.profiles, self.calendars, self.clock = profiles, calendars, clock
        self.unit_exists = unit_exists

    @property
    def kind(self) -> str:
        return self.aggregate.KIND

    def construct_recorder(self) -> ApplicationRecorder:
        if self._store is not None:
            return self._store.recorder  # one log for every kind
        return super().construct_recorder()

    def sweep_cases(self, case_ids: list[UUID], actor: Actor, now: datetime, dry_run: bool = False) -> list[Any]:
        """``sweep_case`` for many cases, saved in one transaction; should another command move one
        of them meanwhile, each case is swept on its own instead. Returns the events recorded — or,
        with ``dry_run``, the events a sweep at ``now`` would record, recording nothing."""
        self.check_sweep(actor, now, dry_run)
        try:
            return self._sweep_and_save(case_ids, actor, now, dry_run)
        except IntegrityError:
            return [e for case_id in case_ids for e in self.sweep_case(case_id, actor, now)]

    def sweep_case(self, case_id: UUID, actor: Actor, now: datetime) -> list[Any]:
        """Records the deadlines of one case passed and unmet at ``now`` and their consequences.

        Returns the events recorded (none: nothing was due). Safe to repeat and to race: a recorded miss is
        never recorded again, and a concurrent change makes this retry on the new version.
        """
        self.check_sweep(actor, now)
        for _ in range(5):
            try:
                return self._sweep_and_save([case_id], actor, now)
            except IntegrityError:
                continue
        raise VersionConflict(f"case {case_id} kept changing during the deadline sweep; sweep again")

    def check_sweep(self, actor: Actor, now: datetime, dry_run: bool = False) -> None:
        """Only the platform and admins sweep; a sweep records only what has happened: a ``now``
        later than the current time is refused, unless it is a dry run (a drill) that records nothing."""
        check_command_role("sweep", actor, self.kind)
        if now.tzinfo is None:
            raise ValidationFailed({"now": "must carry a UTC offset"}, zh={"now": "期限检查的时间须注明时区"})
        if not dry_run and now > self.clock():
            raise ValidationFailed(
                {
                    "now": (
                        "must not be later than the current time: nothing that has not happened is recorded; "
                        'send "dry_run": true to see what a sweep at that moment would record'
                    )
                },
                zh={
                    "now": "期限检查的时间不能晚于当前时间：尚未发生的情况不予记录；"
                    "如需查看在该时间检查会记录什么，请选择试运行（不作记录）"
                },
            )

    def _sweep_and_save(self, case_ids: list[UUID], actor: Actor, now: datetime, dry_run: bool = False) -> list[Any]:
        """Each case records its misses at ``now``; the changed ones are saved together (not on a dry run)."""
        changed, recorded = [], []
        for case_id in case_ids:
            case = self._load(case_id)  # the sweep follows the index over every kind of case
            before = case.version
            # A sweep "as of" an earlier moment is recorded then (never before the case's last act).
            at = max(now, case.last_at) if not dry_run else None
            case.record_missed(self.calendars(case.policy["jurisdiction"]), now, actor, at)
            if case.version != before:
                changed.append(case)
                recorded += case.pending_events
        if changed and not dry_run:
            self.save(*changed)
        return recorded

    # -- queries --------------------------------------------------------------
    def get(self, case_id: UUID, as_of: datetime | None = None) -> TCase:
        """The case now, or as it stood at ``as_of`` (the events that had occurred by then)."""
        if as_of is None:
            return self._get(case_id)
        if as_of.tzinfo is None:
            raise ValidationFailed({"as_of": "must carry a UTC offset"}, zh={"as_of": "查询的时间须注明时区"})
        case = None
        for e in self._events(case_id):
            if (e.occurred_at or e.timestamp) > as_of:
                break
            case = e.mutate(case)
        if case is None or not isinstance(case, self.aggregate):
            raise CaseNotFound(f"the {self.kind} did not exist yet at the time asked for (as_of)")
        return case

    def read(self, case_id: UUID, actor: Actor, as_of: datetime | None = None) -> TCase:
        """The case for ``actor``: whether it may be read is decided on the case as it stands, before
        the moment asked for is looked at, so a refusal never tells when the case came to be."""
        case = self._get(case_id)
        self.check_may_read(actor, case)
        return case if as_of is None else self.get(case_id, as_of)

    @staticmethod
    def check_may_read(actor: Actor, case: Case) -> None:
        """A unit sees only cases it leads or co-handles (docs/http-api.md *Roles*)."""
        check_case_read(actor, case.lead_unit, case.other_units)

    def deadlines(self, case: Case, now: datetime | None = None) -> list[DeadlineState]:
        calendar = self.calendars(case.policy["jurisdiction"])
        return evaluate(case.clocks, calendar, now or self.clock())

    def actions(self, case: Case, actor: Actor, now: datetime | None = None) -> dict[str, Action]:
        """What ``actor`` may do on ``case`` now, and why not (domain.actions): the commands' own checks."""
        return case_actions(
            case, actor, self.aggregate.PROBES, self.calendars(case.policy["jurisdiction"]), now or self.clock()
        )

    def history(self, case_id: UUID) -> list[HistoryEntry]:
        events = list(self._events(case_id))
        if not events or not isinstance(events[0], self.aggregate.Event):
            raise CaseNotFound(f"no such {self.kind}")
        return [
            HistoryEntry(
                seq=e.originator_version,
                type=type(e).__name__,
                recorded_at=e.timestamp,
                occurred_at=e.occurred_at or e.timestamp,
                backfilled=e.occurred_at is not None,
                actor=e.actor,
                data={k: v for k, v in e.__dict__.items() if k not in _META},
            )
            for e in events
        ]

    # -- the rhythm -----------------------------------------------------------
    def _run(
        self,
        case_id: UUID,
        actor: Actor,
        command: str,
        opts: dict[str, Any],
        act: Callable[[TCase, datetime | None], None],
    ) -> TCase:
        case, occurred_at, done = self._command_case(case_id, actor, command, opts)
        if done:
            return case
        before = case.version
        act(case, occurred_at)
        case.record_late_meets(self.calendars(case.policy["jurisdiction"]), before, actor, occurred_at)
        try:
            self.save(case)
        except IntegrityError:
            raise VersionConflict("the case was changed by another command meanwhile; reload it and retry") from None
        return case

    def _command_case(
        self, case_id: UUID, actor: Actor, command: str, opts: dict[str, Any]
    ) -> tuple[TCase, datetime | None, bool]:
        """The case a command acts on, after every check made before the act itself: the actor's role and
        part, ``expected_version`` and ``occurred_at`` (``opts``); and whether the command is done already
        (a retried request that recorded it: answered with the case as recorded, nothing recorded)."""
        expected_version, occurred_at = opts.pop("expected_version", None), opts.pop("occurred_at", None)
        if opts:
            raise TypeError(f"unexpected options {sorted(opts)}")
        check_command_role(command, actor, self.kind)
        case = self._get(case_id)
        # The unit's part on the case is decided before its version or state is looked at.
        check_command_part(command, actor, case.lead_unit, case.other_units, self.kind)
        if self._recorded_by_request(case_id, actor):
            return case, occurred_at, True
        if expected_version is not None and expected_version != case.version:
            raise VersionConflict(
                f"expected_version {expected_version} is not the case's current version; reload it and retry"
            )
        problems, zh = self._occurred_problems(actor, occurred_at)
        if problems:
            raise ValidationFailed(problems, zh=zh)
        return case, occurred_at, False

    def _opened_before(self, case_id: UUID, external_ref: str | None, actor: Actor) -> TCase | None:
        """The case a re-import (same channel + ``external_ref``) or a retried request opened already,
        if any: it is answered as it stands, and nothing is recorded."""
        if not (external_ref or actor.request):
            return None
        existing = self._find(case_id)
        if existing is not None:
            self._recorded_by_request(existing.id, actor)
        return existing

    def _recorded_by_request(self, case_id: UUID, actor: Actor) -> bool:
        """Whether the actor's idempotent request already recorded on this case: a retry of one that
        died before it could answer. Such a retry answers with the case as recorded and records nothing."""
        if actor.request is None:
            return False
        recorded = any(e.actor.get("request") == actor.request.id for e in self._events(case_id))
        actor.request.answered_from_record = actor.request.answered_from_record or recorded
        return recorded

    def _occurred_problems(self, actor: Actor, occurred_at: datetime | None) -> tuple[dict[str, str], dict[str, str]]:
        """What is wrong with a stated ``occurred_at``, by field: the messages, and the same in Chinese."""
        if occurred_at is None:
            return {}, {}
        if not actor.may_backfill:
            return (
                {"occurred_at": "only the platform and admins may record an earlier occurrence time"},
                {"occurred_at": "只有热线平台和系统管理人员可以补录较早的发生时间"},
            )
        if occurred_at.tzinfo is None:
            return {"occurred_at": "must carry a UTC offset"}, {"occurred_at": "发生时间须注明时区"}
        if occurred_at > self.clock():
            return {"occurred_at": "must not be in the future"}, {"occurred_at": "发生时间不能晚于当前时间"}
        if occurred_at < EARLIEST:
            return (
                {"occurred_at": f"must not be before {EARLIEST.date().isoformat()}"},
                {"occurred_at": f"发生时间不能早于{EARLIEST.year}年{EARLIEST.month}月{EARLIEST.day}日"},
            )
        return {}, {}

    def _get(self, case_id: UUID) -> TCase:
        found = self._find(case_id)
        if found is None:
            raise CaseNotFound(f"no such {self.kind}")
        return found

    def _find(self, case_id: UUID) -> TCase | None:
        """The case, if it is one of this service's kind (an approval is no appeal, and the reverse)."""
        found = self._load_or_none(case_id)
        return found if isinstance(found, self.aggregate) else None

    def _load(self, case_id: UUID) -> Case:
        found = self._load_or_none(case_id)
        if found is None:
            raise CaseNotFound("no such case")
        return found

    def _load_or_none(self, case_id: UUID) -> Case | None:
        try:
            return self.repository.get(case_id)
        except AggregateNotFoundError:
            return None

    def _events(self, case_id: UUID) -> Iterator[_CaseEvent]:
        """The case's stored events, as the event store gives them."""
        return cast("Iterator[_CaseEvent]", self.repository.event_store.get(case_id))
