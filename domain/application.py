"""The appeal application service: get the case, run one command, save.

Every command checks the actor's role, the caller's ``expected_version`` and
the ``occurred_at`` it states (backfill: never in the future, never before
the case's last event, platform and admin only) before the aggregate checks
its own state; a refused command saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.actors import Actor
from domain.appeal import Appeal
from domain.calendar import WorkingCalendar
from domain.clocks import DeadlineState, evaluate
from domain.deadlines import SHANGHAI
from domain.errors import CaseNotFound, ValidationFailed, VersionConflict
from domain.permissions import check_case_read, check_command_part, check_command_role
from domain.profiles import ProfileCatalogue

Clock = Callable[[], datetime]
# No case predates the schemes this system keeps (the earliest source is of 2017).
EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)
_META = {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "originator_topic"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    type: str
    recorded_at: datetime
    occurred_at: datetime
    backfilled: bool
    actor: dict[str, Any]
    data: dict[str, Any]


class AppealService(Application):
    """企业诉求 application: open, command, get (now or as of a moment), history."""

    name = "Appeals"

    def __init__(self, env: dict[str, str] | None = None, *, profiles: ProfileCatalogue,
                 calendars: Callable[[str], WorkingCalendar], clock: Clock = utc_now,
                 unit_exists: Callable[[str], bool] = lambda code: True) -> None:
        super().__init__(env)
        self.profiles, self.calendars, self.clock = profiles, calendars, clock
        self.unit_exists = unit_exists

    # -- commands -------------------------------------------------------------
    def open(self, actor: Actor, *, channel: str, category: str, subject: str, content: str,
             enterprise: dict[str, Any], profile: str, contact: dict[str, Any] | None = None,
             tier: str | None = None, external_ref: str | None = None,
             occurred_at: datetime | None = None) -> tuple[Appeal, bool]:
        """Received 受理. Returns the case and whether it was created now.

        The same ``channel`` + ``external_ref`` returns the existing case
        unchanged, so re-importing a work order never duplicates it.
        """
        check_command_role("open", actor)
        case_id = Appeal.create_id(channel, external_ref, actor.request and actor.request.id)
        if external_ref or actor.request:
            existing = self._find(case_id)
            if existing is not None:
                self._recorded_by_request(existing.id, actor)
                return existing, False
        problems: dict[str, str] = {}
        try:
            policy = self.profiles.get(profile)
        except KeyError:
            policy = None
            problems["profile"] = f"unknown policy profile {profile!r}; known: {', '.join(self.profiles.ids())}"
        if not channel:
            problems["channel"] = "a channel code is required"
        if policy is not None:
            if category not in policy.categories:
                problems["category"] = (f"profile {policy.id} ({policy.source}) handles "
                                        f"{', '.join(sorted(policy.categories))}, not {category!r}")
            if tier is not None and tier not in policy.tiers:
                problems["tier"] = (f"profile {policy.id} has tiers {', '.join(policy.tiers)}"
                                    if policy.tiers else f"profile {policy.id} has no tiers")
        if not subject or not subject.strip():
            problems["subject"] = "a subject is required"
        if not content or not content.strip():
            problems["content"] = "the appeal's content is required"
        if not isinstance(enterprise, dict) or not str(enterprise.get("name") or "").strip():
            problems["enterprise.name"] = "the enterprise's name is required"
        problems.update(self._occurred_problems(actor, occurred_at))
        if problems:
            raise ValidationFailed(problems)
        appeal = Appeal(
            id=case_id, channel=channel, external_ref=external_ref,
            case_no=_case_no(occurred_at or self.clock(), case_id), category=category, subject=subject.strip(),
            content=content, enterprise=dict(enterprise), contact=dict(contact) if contact else None,
            policy=policy.case_policy(policy.tier_for(tier, channel)),
            actor=actor.as_record(), occurred_at=occurred_at,
        )
        try:
            self.save(appeal)
        except IntegrityError:
            if external_ref or actor.request:  # a concurrent import of the same work order, or retry, won
                return self._get(appeal.id), False
            raise
        return appeal, True

    def forward(self, case_id: UUID, actor: Actor, *, unit: str, co_units: list[str] | None = None,
                note: str | None = None, **opts: Any) -> Appeal:
        problems = {"unit": f"no active unit {unit!r}"} if unit and not self.unit_exists(unit) else {}
        strangers = [c for c in co_units or [] if not self.unit_exists(c)]
        if strangers:
            problems["co_units"] = f"no such units: {', '.join(strangers)}"
        if problems:
            raise ValidationFailed(problems)
        return self._run(case_id, actor, "forward", opts,
                         lambda a, at: a.forward(unit, list(co_units or []), note, actor, at))

    def acknowledge(self, case_id: UUID, actor: Actor, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "acknowledge", opts, lambda a, at: a.acknowledge(actor, at))

    def answer(self, case_id: UUID, actor: Actor, *, kind: str, content: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "answer", opts, lambda a, at: a.answer(kind, content, actor, at))

    def review(self, case_id: UUID, actor: Actor, *, accepted: bool, note: str | None = None,
               **opts: Any) -> Appeal:
        return self._run(case_id, actor, "review", opts, lambda a, at: a.review(accepted, note, actor, at))

    def return_for_redo(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "return", opts, lambda a, at: a.return_for_redo(reason, actor, at))

    def escalate(self, case_id: UUID, actor: Actor, *, reason: str, level: int | str | None = None,
                 **opts: Any) -> Appeal:
        return self._run(case_id, actor, "escalate", opts, lambda a, at: a.escalate(level, reason, actor, at))

    def extend(self, case_id: UUID, actor: Actor, *, working_days: int, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "extend", opts, lambda a, at: a.extend(working_days, reason, actor, at))

    def request_handback(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "handback", opts, lambda a, at: a.request_handback(reason, actor, at))

    def give_co_opinion(self, case_id: UUID, actor: Actor, *, content: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "co_opinion", opts, lambda a, at: a.give_co_opinion(content, actor, at))

    def visit(self, case_id: UUID, actor: Actor, *, satisfaction: str, solved: bool | None = None,
              note: str | None = None, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "visit", opts,
                         lambda a, at: a.visit(satisfaction, solved, note, actor, at))

    def close_case(self, case_id: UUID, actor: Actor, **opts: Any) -> Appeal:
        """Closed 办结 (``close`` is taken by the application's own shutdown)."""
        return self._run(case_id, actor, "close", opts, lambda a, at: a.close(actor, at))

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
        check_command_role("sweep", actor)
        if now.tzinfo is None:
            raise ValidationFailed({"now": "must carry a UTC offset"})
        if not dry_run and now > self.clock():
            raise ValidationFailed({"now": (
                "must not be later than the current time: nothing that has not happened is recorded; "
                "send \"dry_run\": true to see what a sweep at that moment would record")})

    def _sweep_and_save(self, case_ids: list[UUID], actor: Actor, now: datetime, dry_run: bool = False) -> list[Any]:
        """Each case records its misses at ``now``; the changed ones are saved together (not on a dry run)."""
        changed, recorded = [], []
        for case_id in case_ids:
            appeal = self._get(case_id)
            before = appeal.version
            # A sweep "as of" an earlier moment is recorded then (never before the case's last act).
            at = max(now, appeal.last_at) if not dry_run else None
            appeal.record_missed(self.calendars(appeal.policy["jurisdiction"]), now, actor, at)
            if appeal.version != before:
                changed.append(appeal)
                recorded += appeal.pending_events
        if changed and not dry_run:
            self.save(*changed)
        return recorded

    # -- queries --------------------------------------------------------------
    def get(self, case_id: UUID, as_of: datetime | None = None) -> Appeal:
        """The case now, or as it stood at ``as_of`` (the events that had occurred by then)."""
        if as_of is None:
            return self._get(case_id)
        if as_of.tzinfo is None:
            raise ValidationFailed({"as_of": "must carry a UTC offset"})
        appeal = None
        for e in self.repository.event_store.get(case_id):
            if (e.occurred_at or e.timestamp) > as_of:
                break
            appeal = e.mutate(appeal)
        if appeal is None:
            raise CaseNotFound(f"case {case_id} did not exist at {as_of.isoformat()}")
        return appeal

    def read(self, case_id: UUID, actor: Actor, as_of: datetime | None = None) -> Appeal:
        """The case for ``actor``: whether it may be read is decided on the case as it stands, before
        the moment asked for is looked at, so a refusal never tells when the case came to be."""
        appeal = self._get(case_id)
        self.check_may_read(actor, appeal)
        return appeal if as_of is None else self.get(case_id, as_of)

    @staticmethod
    def check_may_read(actor: Actor, appeal: Appeal) -> None:
        """A unit sees only cases it leads or co-handles (API.md *Auth*)."""
        check_case_read(actor, appeal.case_no, appeal.unit, appeal.co_units)

    def deadlines(self, appeal: Appeal, now: datetime | None = None) -> list[DeadlineState]:
        calendar = self.calendars(appeal.policy["jurisdiction"])
        return evaluate(appeal.clocks, calendar, now or self.clock())

    def history(self, case_id: UUID) -> list[HistoryEntry]:
        entries = [
            HistoryEntry(
                seq=e.originator_version, type=type(e).__name__, recorded_at=e.timestamp,
                occurred_at=e.occurred_at or e.timestamp, backfilled=e.occurred_at is not None,
                actor=e.actor, data={k: v for k, v in e.__dict__.items() if k not in _META},
            )
            for e in self.repository.event_store.get(case_id)
        ]
        if not entries:
            raise CaseNotFound(f"no appeal {case_id}")
        return entries

    # -- the rhythm -----------------------------------------------------------
    def _run(self, case_id: UUID, actor: Actor, command: str, opts: dict[str, Any],
             act: Callable[[Appeal, datetime | None], None]) -> Appeal:
        expected_version, occurred_at = opts.pop("expected_version", None), opts.pop("occurred_at", None)
        if opts:
            raise TypeError(f"unexpected options {sorted(opts)}")
        check_command_role(command, actor)
        appeal = self._get(case_id)
        # The unit's part on the case is decided before its version or state is looked at.
        check_command_part(command, actor, appeal.case_no, appeal.unit, appeal.co_units)
        if self._recorded_by_request(case_id, actor):
            return appeal
        if expected_version is not None and expected_version != appeal.version:
            raise VersionConflict(f"case {appeal.case_no} is at version {appeal.version}, not {expected_version}")
        problems = self._occurred_problems(actor, occurred_at)
        if problems:
            raise ValidationFailed(problems)
        before = appeal.version
        act(appeal, occurred_at)
        appeal.record_late_meets(self.calendars(appeal.policy["jurisdiction"]), before, actor, occurred_at)
        try:
            self.save(appeal)
        except IntegrityError:
            raise VersionConflict(f"case {appeal.case_no} was changed by another command; reload and retry") from None
        return appeal

    def _recorded_by_request(self, case_id: UUID, actor: Actor) -> bool:
        """Whether the actor's idempotent request already recorded on this case: a retry of one that
        died before it could answer. Such a retry answers with the case as recorded and records nothing."""
        if actor.request is None:
            return False
        recorded = any(e.actor.get("request") == actor.request.id for e in self.repository.event_store.get(case_id))
        actor.request.answered_from_record = actor.request.answered_from_record or recorded
        return recorded

    def _occurred_problems(self, actor: Actor, occurred_at: datetime | None) -> dict[str, str]:
        if occurred_at is None:
            return {}
        if not actor.may_backfill:
            return {"occurred_at": "only the platform and admins may record an earlier occurrence time"}
        if occurred_at.tzinfo is None:
            return {"occurred_at": "must carry a UTC offset"}
        if occurred_at > self.clock():
            return {"occurred_at": "must not be in the future"}
        if occurred_at < EARLIEST:
            return {"occurred_at": f"must not be before {EARLIEST.date().isoformat()}"}
        return {}

    def _get(self, case_id: UUID) -> Appeal:
        found = self._find(case_id)
        if found is None:
            raise CaseNotFound(f"no appeal {case_id}")
        return found

    def _find(self, case_id: UUID) -> Appeal | None:
        try:
            return self.repository.get(case_id)
        except AggregateNotFoundError:
            return None


def _case_no(at: datetime, case_id: UUID) -> str:
    """A clerk-readable number (诉求编号): QY, the local receipt date, and the id's head."""
    return f"QY{at.astimezone(SHANGHAI):%Y%m%d}-{case_id.hex[:8].upper()}"
