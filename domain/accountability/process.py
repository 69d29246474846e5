"""The accountability process (问责): follows the case events and keeps each unit's record.

It notes each lapse the profile counts on the unit's record (``domain.accountability.record``) and applies
the profile's accountability rules there; see that module for the rules. It is a process beside the
aggregate, on the library's public API (``EventSourcedProjection``), run by
``projections.accountability.process``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import EventSourcedProjection

from domain.accountability.follow_up import ORDERS
from domain.accountability.record import UnitAccountability, merge_evidence
from domain.actors import Actor
from domain.catalogue import ProfileCatalogue
from domain.deadlines.calendar import WorkingCalendar
from domain.errors import ValidationFailed, VersionConflict
from domain.permissions import check_action_role
from domain.profiles import PolicyProfile
from domain.time_source import TimeSource, utc_now

# ``UnitAccountability.note_lapse``'s arguments: kind, case id, case number, seq, at, evidence, policy, detail.
LapseArgs = tuple[str, str, str, int, datetime, list[dict[str, Any]], dict[str, Any], dict[str, Any]]


class AccountabilityProcess(EventSourcedProjection[UUID]):
    """Follows the case events exactly once and keeps each unit's accountability record.

    The library's process machinery records the new unit events together
    with the position of the appeal event that caused them, in one
    transaction: a restarted or replayed process neither loses nor repeats a
    consequence.
    """

    name = "Accountability"
    topics = (
        "caseledger:Appeal.Returned",
        "caseledger:Appeal.DeadlineMissed",
        "caseledger:Approval.DepartmentReturned",
        "caseledger:Approval.DeadlineMissed",
    )
    # A busy unit's record grows by every lapse: keep recent records in memory (brought up to date
    # from the store on each use, so other writers are seen) and snapshot them for cold loads.
    snapshotting_intervals = {UnitAccountability: 100}  # noqa: RUF012 - the library's class setting

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        appeals: Any,
        profiles: ProfileCatalogue,
        clock: TimeSource | None = None,
        calendars: Callable[[str], WorkingCalendar] | None = None,
    ) -> None:
        super().__init__({"AGGREGATE_CACHE_MAXSIZE": "1000", **(env or {})})
        self.appeals, self.profiles = appeals, profiles
        self.clock = clock or utc_now
        self.calendars = calendars  # a follow-up period is counted on the case's calendar

    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        case = self.appeals.repository.get(domain_event.originator_id, version=domain_event.originator_version)
        lapse = self._lapse(domain_event, case)
        if lapse is None:
            return
        unit, args = lapse
        # The records collected so far in this batch: this process collects only unit records.
        collected = cast(
            "UnitAccountability | None", processing_event.aggregates.get(UnitAccountability.create_id(unit))
        )
        record = collected or self._record_of(unit)
        record.note_lapse(*args, self._calendar(args[6]))
        processing_event.collect_events(record)

    def preview(self, domain_events: list[Any]) -> list[tuple[str, Any]]:
        """The consequences these appeal events (not recorded: a dry-run sweep's) would issue, as
        (unit, ConsequenceIssued event) pairs, with nothing recorded. Each unit's record is a copy."""
        records: dict[str, UnitAccountability] = {}
        for domain_event in domain_events:
            if type(domain_event).TOPIC not in self.topics:
                continue
            lapse = self._lapse(domain_event, self.appeals.repository.get(domain_event.originator_id))
            if lapse is not None:
                unit, args = lapse
                record = records.get(unit) or records.setdefault(unit, self._record_of(unit))
                record.note_lapse(*args, self._calendar(args[6]))
        return [
            (unit, e)
            for unit, record in records.items()
            for e in record.collect_events()
            if type(e).__name__ == "ConsequenceIssued"
        ]

    def _lapse(self, domain_event: Any, case: Any) -> tuple[str, LapseArgs] | None:
        """The unit and the ``note_lapse`` arguments of one case event, or None if it is no unit's lapse."""
        kind = type(domain_event).__name__
        case_id, seq = domain_event.originator_id, domain_event.originator_version
        policy = dict(case.policy)
        if "accountability" not in policy:  # a case opened before its profile had rules: the profile's own
            try:
                current = self.profiles.get(policy["id"])
            except KeyError:
                return None
            assert isinstance(current, PolicyProfile)  # a profile of kind "appeal" (the catalogue's default)
            policy["accountability"] = current.case_policy(None)["accountability"]
        if not policy.get("accountability"):
            return None
        at = domain_event.occurred_at or domain_event.timestamp
        evidence = [{"case_id": str(case_id), "case_no": case.case_no, "seq": seq, "type": kind}]
        if kind == "Returned":
            unit, lapse, detail = case.unit, "returned", {"reason": domain_event.reason, "cause": domain_event.cause}
        elif kind == "DepartmentReturned":  # an approval: the department whose opinion is sent back
            unit, lapse, detail = domain_event.department, "returned", {"reason": domain_event.reason, "cause": None}
        else:
            unit, lapse = domain_event.unit, "deadline_missed"
            at = domain_event.ends_at  # the moment the deadline passed, however late it was recorded
            detail = {
                "deadline": domain_event.deadline,
                "round": domain_event.round,
                "due": domain_event.due,
                "rule": domain_event.rule,
                "found_by": domain_event.found_by,
            }
            evidence.append(
                {
                    "case_id": str(case_id),
                    "case_no": case.case_no,
                    "seq": domain_event.started_by,
                    "type": "started the deadline",
                }
            )
            if domain_event.met_seq:
                evidence.append(
                    {
                        "case_id": str(case_id),
                        "case_no": case.case_no,
                        "seq": domain_event.met_seq,
                        "type": "met it late",
                    }
                )
        if not unit:  # a deadline that binds the platform, not a unit
            return None
        return unit, (lapse, str(case_id), case.case_no, seq, at, merge_evidence(evidence), policy, detail)

    def process_batch(self, items: list[tuple[Any, int]]) -> None:
        """Processes several appeal events (each with its log position) as one: the unit events they
        cause and the last position commit in one transaction, all or none.

        A second follower racing over the same events either conflicts on the position or on the
        unit records' versions, and a lapse already noted is never noted again.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=Tracking(self.appeals.name, items[-1][1]))
        for domain_event, _ in items:
            self.policy(domain_event, processing_event)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self.notify(processing_event.events)
        self._notify(recordings)

    def _calendar(self, policy: dict[str, Any] | None) -> WorkingCalendar | None:
        if self.calendars is None or not policy or not policy.get("jurisdiction"):
            return None
        return self.calendars(policy["jurisdiction"])

    # -- reading and acting --------------------------------------------------------
    def record_of(self, unit: str) -> UnitAccountability | None:
        try:
            return self.repository.get(UnitAccountability.create_id(unit))
        except AggregateNotFoundError:
            return None

    def record_action(
        self,
        unit: str,
        action: str,
        actor: Actor,
        *,
        note: str | None,
        consequence: str | None = None,
        case_id: str | None = None,
        supervision: str | None = None,
        occurred_at: datetime | None = None,
        dry_run: bool = False,
        reason: str | None = None,
        case_ids: list[str] | None = None,
    ) -> UnitAccountability:
        """Records what followed on the unit's record, as of ``occurred_at`` (default: now; never in the
        future, never before the consequence it answers). The role is checked first; then every problem
        of the input is reported at once. ``dry_run`` checks the same and records nothing (a form that
        found problems of its own asks for the others, to show them all at once)."""
        check_action_role(action, actor)
        now = self.clock()
        if occurred_at is not None and occurred_at.tzinfo is None:
            raise ValidationFailed({"occurred_at": "must carry a UTC offset"}, zh={"occurred_at": "发生时间须注明时区"})
        if action in ORDERS:
            cited = [*(case_ids or []), *([case_id] if case_id else [])]
            return self.order(unit, action, actor, reason, note, cited, occurred_at or now, now, dry_run)
        off_case = self._case_problems(unit, case_id) if case_id is not None else None
        for _ in range(5):
            record = self._record_of(unit)
            if actor.request and any(a["actor"].get("request") == actor.request.id for a in record.actions):
                actor.request.answered_from_record = True  # a retry of a request that died after recording
                return record
            try:
                record.record_action(
                    action, actor, occurred_at or now, note, consequence, case_id, supervision, now=now
                )
            except ValidationFailed as refused:
                if off_case is not None:
                    refused = ValidationFailed({**refused.fields, **off_case.fields}, zh={**refused.zh, **off_case.zh})
                raise refused from None
            if off_case is not None:
                raise off_case
            if dry_run:
                return record
            try:
                self.save(record)
            except IntegrityError:
                continue
            return record
        raise VersionConflict(f"the accountability record of {unit} kept changing; try again")

    def order(
        self,
        unit: str,
        action: str,
        actor: Actor,
        reason: str | None,
        note: str | None,
        case_ids: list[str],
        at: datetime,
        now: datetime,
        dry_run: bool = False,
    ) -> UnitAccountability:
        """Records a 通报批评 or a 约谈 the inspector decides on (004 item 十五, 视情) with its reason, citing
        the unit's cases if any (each must be one the unit is on); every problem is reported at once."""
        cases, problems, zh = [], {}, {}
        for case_id in dict.fromkeys(case_ids):
            try:
                self._check_on_case(unit, case_id)
                cases.append(self.appeals.repository.get(UUID(str(case_id))))
            except ValidationFailed as refused:
                problems.update(refused.fields)
                zh.update(refused.zh)
        try:
            UnitAccountability.check_order(action, at, reason, note, now)
        except ValidationFailed as refused:
            problems, zh = {**refused.fields, **problems}, {**refused.zh, **zh}
        if problems:
            raise ValidationFailed(problems, zh=zh)
        evidence = [{"case_id": str(c.id), "case_no": c.case_no, "seq": c.version, "type": "cited"} for c in cases]
        policy = dict(cases[0].policy) if cases else None
        for _ in range(5):
            record = self._record_of(unit)
            if actor.request and any(
                (c.get("ordered_by") or {}).get("request") == actor.request.id for c in record.consequences
            ):
                actor.request.answered_from_record = True  # a retry of a request that died after recording
                return record
            record.order_consequence(action, actor, at, reason, note, evidence, policy, self._calendar(policy), now=now)
            if dry_run:
                return record
            try:
                self.save(record)
            except IntegrityError:
                continue
            return record
        raise VersionConflict(f"the accountability record of {unit} kept changing; try again")

    def _case_problems(self, unit: str, case_id: str) -> ValidationFailed | None:
        try:
            self._check_on_case(unit, case_id)
        except ValidationFailed as refused:
            return refused
        return None

    def _check_on_case(self, unit: str, case_id: str) -> None:
        """挂牌督办 (003 item 5) and referrals name a case the unit is on: an appeal it leads or co-handles,
        an approval it reviews."""
        try:
            case = self.appeals.repository.get(UUID(str(case_id)))
        except (ValueError, AggregateNotFoundError):
            raise ValidationFailed({"case_id": f"no case {case_id}"}, zh={"case_id": "没有这个案件"}) from None
        if unit != case.lead_unit and unit not in case.other_units:
            raise ValidationFailed(
                {
                    "case_id": f"unit {unit} is neither the lead nor a co-handling unit of that "
                    "case, nor a department reviewing it"
                },
                zh={"case_id": "该案件不由本单位承办、协办或审查"},
            )

    def _record_of(self, unit: str) -> UnitAccountability:
        return self.record_of(unit) or UnitAccountability(unit=unit)
