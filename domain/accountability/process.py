"""The accountability process (问责): follows the case events and keeps each unit's record.

It notes each lapse the profile counts on the unit's record (``domain.accountability.record``) and applies
the profile's accountability rules there; see that module for the rules. It is a process beside the
aggregate, on the library's public API (``EventSourcedProjection``), run by
``projections.accountability.process``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import EventSourcedProjection

from domain.accountability.record import UnitAccountability, merge_evidence
from domain.actors import Actor
from domain.catalogue import ProfileCatalogue
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
    ) -> None:
        super().__init__({"AGGREGATE_CACHE_MAXSIZE": "1000", **(env or {})})
        self.appeals, self.profiles = appeals, profiles
        self.clock = clock or utc_now

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
        record.note_lapse(*args)
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
                record.note_lapse(*args)
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
    ) -> UnitAccountability:
        check_action_role(action, actor)
        if case_id is not None:
            self._check_on_case(unit, case_id)
        for _ in range(5):
            record = self._record_of(unit)
            if actor.request and any(a["actor"].get("request") == actor.request.id for a in record.actions):
                actor.request.answered_from_record = True  # a retry of a request that died after recording
                return record
            record.record_action(action, actor, self.clock(), note, consequence, case_id, supervision)
            try:
                self.save(record)
            except IntegrityError:
                continue
            return record
        raise VersionConflict(f"the accountability record of {unit} kept changing; try again")

    def _check_on_case(self, unit: str, case_id: str) -> None:
        """挂牌督办 (003 item 5) and referrals name a case the unit is on: an appeal it leads or co-handles,
        an approval it reviews."""
        try:
            case = self.appeals.repository.get(UUID(str(case_id)))
        except (ValueError, AggregateNotFoundError):
            raise ValidationFailed({"case_id": f"no case {case_id}"}, zh={"case_id": "所填的案件不存在"}) from None
        if unit != case.lead_unit and unit not in case.other_units:
            raise ValidationFailed(
                {
                    "case_id": f"unit {unit} is neither the lead nor a co-handling unit of that "
                    "case, nor a department reviewing it"
                },
                zh={"case_id": f"{unit}不是该案件的承办单位、协办单位或审批部门"},
            )

    def _record_of(self, unit: str) -> UnitAccountability:
        return self.record_of(unit) or UnitAccountability(unit=unit)
