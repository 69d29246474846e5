"""What every case kind shares: backfill checks, the last act's time, and its deadline clocks.

An appeal (企业诉求) and an approval (审批) differ in their verbs and events,
and are alike in how time works on them: every event may state when it
occurred (backfill, never before the case's last act), and deadlines are
clocks started and met by events as the case's profile says (domain.deadlines.clocks),
recorded missed once by the deadline sweep, or as met late by the command
that met them after their end.

Each kind declares its own ``@event`` methods, with topics of its own (a
topic names one class for ever); what those methods do in common lives here,
called from their bodies. A kind names its missed-deadline event
``_deadline_missed`` and says what a miss brings on the case
(``_consequences_of_miss``).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import Clock, DeadlineState, ended_by, evaluate, mark_missed
from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, ValidationFailed
from domain.vocabulary import STATUS, name_of

if TYPE_CHECKING:
    from domain.actions import Probe


@cache
def _namespace(urn: str) -> UUID:
    """A kind's namespace of ids, made once: an import names thousands of cases in it."""
    return uuid5(NAMESPACE_URL, urn)


class Case(Aggregate):
    """A case of any kind: what a kind adds is its own lifecycle."""

    if TYPE_CHECKING:
        # For the type checker only (an annotation the class body ran would make the library process
        # the class as a dataclass): the state every kind's first event sets, and the class attributes
        # each kind sets for itself (below).
        status: str
        policy: dict[str, Any]
        clocks: list[Clock]
        last_at: datetime
        case_no: str
        escalation_level: int
        ESCALATABLE: ClassVar[tuple[Enum, ...]]
        PROBES: ClassVar[dict[str, tuple[str, Probe]]]

    # "appeal" or "approval": the kind's key in permissions and profiles. (No annotations here: the
    # library would take annotated class attributes for fields of the created event.) Every kind's
    # first event sets ``status``, ``policy``, ``clocks``, ``last_at`` and ``case_no``.
    KIND = ""
    IDS = ""  # the URN whose UUID names the kind's ids (``create_id``)
    ESCALATABLE = ()  # the statuses (an Enum's members) in which the case may be escalated
    PROBES = {}  # the kind's actions for domain.actions: name -> (command, the command asked with no input)

    @classmethod
    def create_id(cls, channel: str | None, external_ref: str | None, request: str | None = None) -> UUID:
        """The same channel + external reference always names the same case.

        Re-importing a city work order (市转办工单) or an application is thus idempotent, even
        when two imports race: the second one's first event conflicts. Without a reference, a
        case opened by an idempotent request is named by the request's id, so that a retry of it
        finds the case it opened. Each kind names its ids in its own namespace.
        """
        if external_ref:
            return uuid5(_namespace(cls.IDS), f"{channel or ''}\x1f{external_ref}")
        if request:
            return uuid5(_namespace(f"{cls.IDS}-request"), request)
        return uuid4()

    # -- what permissions and the read side ask of every case ----------------------------------
    @property
    def lead_unit(self) -> str | None:
        """The unit that answers for the case as a whole (None: none yet, or the window's own)."""
        return None

    @property
    def other_units(self) -> list[str]:
        """The other units with a part in the case (co-handling units, reviewing departments)."""
        return []

    # -- the deadline sweep ------------------------------------------------------------------
    def record_missed(
        self, calendar: WorkingCalendar, now: datetime, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """The deadline sweep: every deadline ended and unmet at ``now`` and not yet recorded is
        recorded once (``_lapse``), followed by what the profile says the lapse brings on the case."""
        for clock, state in zip(self.clocks, evaluate(self.clocks, calendar, now)):
            # A paused clock (行政许可法 art. 45) does not run out while it is paused.
            if (
                clock.get("missed_seq")
                or state.met_at
                or state.cancelled_at
                or state.paused
                or not ended_by(state.ends_at, now)
                or self._holds(clock)
            ):
                continue
            self._lapse(state, now, actor, occurred_at)

    def _holds(self, clock: Clock) -> bool:
        """Whether the sweep holds back a miss of this clock for now (an appeal's hand-back awaiting its ruling)."""
        return False

    def _lapse(self, state: DeadlineState, now: datetime, actor: Actor, occurred_at: datetime | None) -> None:
        """A deadline ended unmet: recorded missed, then its consequence on the case."""
        self._missed(state, "sweep", now, actor, occurred_at)
        self._consequences_of_miss(state, actor, occurred_at)

    def record_late_meets(
        self, calendar: WorkingCalendar, after_version: int, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """An act that met a deadline after it had ended, with no sweep before it, is recorded as met late."""
        just_met = [c for c in self.clocks if (c["met_seq"] or 0) > after_version and not c.get("missed_seq")]
        for state in evaluate(just_met, calendar, self.last_at):
            if state.met_late:
                assert state.met_at is not None  # met late: met
                self._missed(state, "late_meet", state.met_at, actor, occurred_at)

    def _missed(
        self, state: DeadlineState, found_by: str, as_of: datetime, actor: Actor, occurred_at: datetime | None
    ) -> None:
        self._deadline_missed(
            deadline=state.name,
            round=state.round,
            unit=state.unit,
            due=state.due,
            ends_at=state.ends_at,
            started_by=state.started_by,
            met_seq=state.met_seq,
            rule=f"{self.policy['id']}/{state.name}",
            profile_version=self.policy["version"],
            source=state.source,
            found_by=found_by,
            as_of=as_of,
            provisional=state.provisional,
            actor=actor.as_record(),
            occurred_at=occurred_at,
        )

    def _deadline_missed(  # pragma: no cover - each kind declares its event
        self,
        *,
        deadline: str,
        round: int,
        unit: str | None,
        due: datetime,
        ends_at: datetime,
        started_by: int,
        met_seq: int | None,
        rule: str,
        profile_version: int,
        source: str,
        found_by: str,
        as_of: datetime,
        provisional: bool,
        actor: dict[str, Any],
        occurred_at: datetime | None,
    ) -> None:
        raise NotImplementedError

    def _on_missed(self, deadline: str, round_: int, occurred_at: datetime | None, timestamp: datetime | None) -> None:
        """The body of every kind's DeadlineMissed event (逾期): the clock instance is marked."""
        self._moved(occurred_at, timestamp)
        mark_missed(self.clocks, deadline, round_, self.version + 1)

    # -- Escalated 督办 / 分级会办 --------------------------------------------------
    def escalate(self, level: int | str | None, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """One step (or to a named level) up the profile's ladder, with a reason."""
        self.check_status("escalate", *self.ESCALATABLE)
        self.check_occurred_at(occurred_at)
        ladder = self.policy["escalation"]
        if not ladder:
            raise NotAllowedInState(
                f"profile {self.policy['id']} has no escalation ladder",
                "本案适用的规则没有督办层级",
            )
        codes = [step["code"] for step in ladder]
        if level is None and self.escalation_level >= len(ladder):
            raise NotAllowedInState(
                f"the case is already at the top of the {self.policy['id']} ladder "
                f"(level {self.escalation_level}, {codes[-1]}); there is no next level",
                f"本案已在最高督办层级（第{self.escalation_level}级），没有更高层级",
            )
        self.check_reason(reason, "reason", "a reason for the escalation is required", "请填写督办理由")
        target = self.escalation_level + 1 if level is None else level
        if isinstance(target, str) and target in codes:
            target = codes.index(target) + 1
        if not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= len(ladder):
            raise ValidationFailed(
                {
                    "level": (
                        f"a level from 1 to {len(ladder)} of profile {self.policy['id']}, "
                        f"or its code: {', '.join(codes)}"
                    )
                },
                zh={
                    "level": "请从本案适用规则的督办层级中选择："
                    + "、".join(f"第{i}级（{step['title']}）" for i, step in enumerate(ladder, 1))
                },
            )
        if target <= self.escalation_level:
            # Already there: a second, identical escalation would record nothing new but noise.
            raise NotAllowedInState(
                f"the case is already escalated to level {self.escalation_level} "
                f"({codes[self.escalation_level - 1]}); escalate to a higher level",
                f"本案已督办至第{self.escalation_level}级，请选择更高层级",
            )
        self._escalated(target, ladder[target - 1]["code"], reason, actor.as_record(), occurred_at)

    def _escalated(
        self,
        level: int,
        level_code: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
        cause: dict[str, Any] | None = None,
    ) -> None:  # pragma: no cover
        raise NotImplementedError  # each kind declares its Escalated event

    def _consequences_of_miss(self, state: DeadlineState, actor: Actor, occurred_at: datetime | None) -> None:
        """The profile's consequence on the case of a deadline that binds a unit (000 item 4:
        督办通知; 004 item 十二: one step up the 分级会办 ladder)."""
        overdue = self.policy.get("overdue")
        if not (
            overdue and self.policy["escalation"] and state.unit and self.status in {s.value for s in self.ESCALATABLE}
        ):
            return
        ladder = self.policy["escalation"]
        codes = [step["code"] for step in ladder]
        if overdue["escalate"] == "next":
            if self.escalation_level >= len(ladder):
                return  # at the top of the ladder: the miss is recorded, there is no step left
            level = self.escalation_level + 1
        else:
            # A notice (督办通知) per missed deadline: each names the miss that caused it.
            level = max(codes.index(overdue["escalate"]) + 1, self.escalation_level)
        self._escalated(
            level,
            codes[level - 1],
            f"{overdue['title']}：{state.title}（第{state.round}轮）",
            actor.as_record(),
            occurred_at,
            cause={
                "rule": f"{self.policy['id']}/overdue",
                "profile_version": self.policy["version"],
                "source": overdue["source"],
                "seq": self.version,
            },
        )

    # -- checks ---------------------------------------------------------------
    def check_status(self, command: str, *allowed: Enum) -> None:
        if self.status not in {s.value for s in allowed}:
            names = "、".join(f"「{name_of(STATUS, s.value)}」" for s in allowed)
            raise NotAllowedInState(
                f"cannot {command} a case that is {self.status}; allowed when " + " or ".join(s.value for s in allowed),
                f"案件当前为「{name_of(STATUS, self.status)}」，仅在{names}时可办理",
                status=self.status,
                allowed=tuple(s.value for s in allowed),
            )

    def check_occurred_at(self, occurred_at: datetime | None) -> None:
        if occurred_at is None:
            return
        if occurred_at.tzinfo is None:
            raise ValidationFailed({"occurred_at": "must carry a UTC offset"}, zh={"occurred_at": "发生时间须注明时区"})
        if occurred_at < self.last_at:
            raise ValidationFailed(
                {
                    "occurred_at": (
                        f"must not be before the case's last event "
                        f"({self.last_at.astimezone(SHANGHAI).isoformat(timespec='seconds')})"
                    )
                },
                zh={
                    "occurred_at": "发生时间不能早于本案最近一次办理的时间"
                    f"（{self.last_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}）"
                },
            )

    @staticmethod
    def check_reason(reason: str | None, field: str, why: str, zh: str) -> None:
        """A text the command needs: ``why`` it is refused when empty, and ``zh``, the same in Chinese."""
        if not reason or not str(reason).strip():
            raise ValidationFailed({field: why}, zh={field: zh})

    def _moved(self, occurred_at: datetime | None, timestamp: datetime | None) -> datetime:
        at = occurred_at or timestamp
        assert at is not None  # the library gives every event's body the event's own timestamp
        self.last_at = at
        return at
