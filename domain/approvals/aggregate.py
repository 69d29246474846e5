"""The administrative approval (行政审批) as an event-sourced aggregate.

One window, many departments (001 (四), 002 item 25): the front
window (综合受理窗口) receives the application (Submitted), tells every missing
material at once (MaterialsRequested, 一次性告知), accepts (Accepted) or refuses
it (Refused, 不予受理) and hands it to the departments (Forwarded, 后台分类审批);
each gives its opinion (DepartmentAnswered), which the window may send back
(DepartmentReturned); the window decides (Decided) once all have answered, or
before on a commitment (告知承诺制, 002 items 4, 9, 29, revoked if it proves
false), and hands the result over (Delivered, 统一窗口出件).

Clocks (行政许可法): ended with neither a notice nor an acceptance, the notice
period brings DeemedAccepted, as of the day of submission (art. 32), from
which the decision period runs (art. 42); a hearing, inspection, test or
expert review stops the clocks (Paused … Resumed, art. 45); the decision
may be extended once (art. 42); delivery follows the decision (art. 44).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actors import Actor
from domain.approvals.inputs import check_judgement, check_pause, listed
from domain.cases.aggregate import Case
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import (
    DeadlineState,
    cancel_open,
    evaluate,
    extend_open,
    is_paused,
    meet_clocks,
    open_clock,
    pause_running,
    resume_paused,
    start_clocks,
)
from domain.errors import NotAllowedInState, NotPermitted, OneTimeNoticeUsed, ValidationFailed
from domain.status import ApprovalStatus as S


class Approval(Case):
    """行政审批: one application, from the window's receipt to the result handed over."""

    TOPIC = "caseledger:Approval"
    KIND = "approval"
    IDS = "urn:caseledger:approval"
    ESCALATABLE = (S.SUBMITTED, S.MATERIALS_REQUESTED, S.ACCEPTED, S.IN_REVIEW, S.DECIDED)

    class Event(Case.Event):
        TOPIC = "caseledger:Approval.Event"

    # -- Submitted 申请 (窗口收件) ----------------------------------------------------
    @event("Submitted", topic="caseledger:Approval.Submitted")
    def __init__(
        self,
        id: UUID,
        case_no: str,
        channel: str | None,
        external_ref: str | None,
        matter: str,
        applicant: dict[str, Any],
        materials: list[str],
        departments: list[str],
        commitment: bool,
        policy: dict[str, Any],
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = occurred_at or timestamp
        assert at is not None  # the library gives every event's body the event's own timestamp
        self.case_no, self.channel, self.external_ref = case_no, channel, external_ref
        self.matter, self.applicant, self.commitment, self.policy = matter, applicant, commitment, policy
        self.materials = list(materials)
        self.missing: list[str] = []
        self.notice_given = False
        self.departments: list[dict[str, Any]] = [_department(code) for code in departments]
        self.status = S.SUBMITTED.value
        self.submitted_at = self.last_at = at
        self.accepted_at: datetime | None = None
        self.deemed_accepted = False
        self.forwarded_at: datetime | None = None
        self.decision: str | None = None
        self.decided_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.ended_at: datetime | None = None  # refused, withdrawn or revoked
        self.extended = False
        self.escalation_level = 0
        self.pauses: list[dict[str, Any]] = []
        self.clocks: list[dict[str, Any]] = []
        start_clocks(self.clocks, policy["deadlines"], "Submitted", at, 1)

    @property
    def department_codes(self) -> list[str]:
        """The reviewing departments (``other_units``): each sees the case and speaks for itself only."""
        return [d["unit"] for d in self.departments]

    other_units = department_codes

    @property
    def paused(self) -> bool:
        return is_paused(self.clocks)

    # -- MaterialsRequested 一次性告知 / MaterialsSupplied 补正 ---------------------------
    def request_materials(
        self, missing: list[str], note: str | None, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """一次性告知 (行政许可法 art. 32; 001 (四)): every missing item at once, before acceptance."""
        if self.notice_given and self.status in (S.SUBMITTED.value, S.MATERIALS_REQUESTED.value):
            raise OneTimeNoticeUsed(
                "the missing materials were already told once (一次性告知, 行政许可法 art. 32); "
                "a second request on the same application is not allowed",
                "已一次性告知过需补正的材料（行政许可法第三十二条），不得再次要求补正",
            )
        self.check_status("request materials for", S.SUBMITTED)
        self.check_occurred_at(occurred_at)
        items = listed(
            missing, "missing", "list every missing material, each a non-empty text", "each missing material once"
        )
        self._materials_requested(items, note, actor.as_record(), occurred_at)

    @event("MaterialsRequested", topic="caseledger:Approval.MaterialsRequested")
    def _materials_requested(
        self,
        missing: list[str],
        note: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.missing, self.notice_given = S.MATERIALS_REQUESTED.value, list(missing), True
        meet_clocks(self.clocks, "MaterialsRequested", {}, at, self.version + 1)

    def supply_materials(self, materials: list[str], actor: Actor, occurred_at: datetime | None = None) -> None:
        """The applicant's 补正, recorded by the window."""
        self.check_status("supply materials for", S.MATERIALS_REQUESTED)
        self.check_occurred_at(occurred_at)
        items = listed(materials, "materials", "list the materials supplied, each a non-empty text")
        self._materials_supplied(items, actor.as_record(), occurred_at)

    @event("MaterialsSupplied", topic="caseledger:Approval.MaterialsSupplied")
    def _materials_supplied(
        self,
        materials: list[str],
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        self._moved(occurred_at, timestamp)
        self.materials += [m for m in materials if m not in self.materials]
        self.missing = [m for m in self.missing if m not in materials]
        self.status = S.SUBMITTED.value

    # -- Accepted 受理 / DeemedAccepted 视为受理 / Refused 不予受理 ----------------------------
    def accept(self, note: str | None, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_status("accept", S.SUBMITTED)
        self.check_occurred_at(occurred_at)
        if self.missing:
            raise NotAllowedInState(
                f"materials told missing are not all supplied: {', '.join(self.missing)}",
                f"告知补正的材料尚未补齐：{'、'.join(self.missing)}",
            )
        self._accepted(note, actor.as_record(), occurred_at)

    @event("Accepted", topic="caseledger:Approval.Accepted")
    def _accepted(
        self, note: str | None, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.accepted_at = S.ACCEPTED.value, at
        meet_clocks(self.clocks, "Accepted", {}, at, self.version + 1)
        start_clocks(self.clocks, self.policy["deadlines"], "Accepted", at, self.version + 1)

    def _lapse(self, state: DeadlineState, now: datetime, actor: Actor, occurred_at: datetime | None) -> None:
        """The notice period ended with neither a notice nor an acceptance: the application is
        accepted as of the day it was received (行政许可法 art. 32). Any other deadline: a miss."""
        if state.name == "notice":
            if self.status == S.SUBMITTED.value:
                self._deemed_accepted(self.submitted_at, state.ends_at, state.source, actor.as_record(), occurred_at)
            return
        super()._lapse(state, now, actor, occurred_at)

    @event("DeemedAccepted", topic="caseledger:Approval.DeemedAccepted")
    def _deemed_accepted(
        self,
        accepted_as_of: datetime,
        notice_ended_at: datetime,
        source: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.accepted_at, self.deemed_accepted = S.ACCEPTED.value, accepted_as_of, True
        meet_clocks(self.clocks, "DeemedAccepted", {}, at, self.version + 1)
        # The decision period runs from the day of receipt, not from the sweep that found the lapse.
        start_clocks(self.clocks, self.policy["deadlines"], "DeemedAccepted", accepted_as_of, self.version + 1)

    def refuse(self, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """不予受理: the matter is outside the office's competence (行政许可法 art. 32); ends the case."""
        self.check_status("refuse", S.SUBMITTED, S.MATERIALS_REQUESTED)
        self.check_occurred_at(occurred_at)
        self.check_reason(reason, "reason", "say why the application is not accepted", "请填写不予受理的理由")
        self._refused(reason, actor.as_record(), occurred_at)

    @event("Refused", topic="caseledger:Approval.Refused")
    def _refused(
        self, reason: str, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        self._ended(S.REFUSED, "Refused", occurred_at, timestamp)

    # -- Forwarded 后台分类审批 ------------------------------------------------------------
    def forward(self, departments: list[str] | None, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_status("forward", S.ACCEPTED)
        self.check_occurred_at(occurred_at)
        chosen = listed(
            list(departments) if departments else self.department_codes,
            "departments",
            "name the department(s) that review the application",
            "each department once",
        )
        self._forwarded(chosen, actor.as_record(), occurred_at)

    @event("Forwarded", topic="caseledger:Approval.Forwarded")
    def _forwarded(
        self,
        departments: list[str],
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.forwarded_at = S.IN_REVIEW.value, at
        self.departments = [_department(code) for code in departments]
        start_clocks(self.clocks, self.policy["deadlines"], "Forwarded", at, self.version + 1, departments=departments)

    # -- DepartmentAnswered 部门意见 / DepartmentReturned 退回 ---------------------------------
    def answer(
        self, department: str, decision: str, opinion: str, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """One department's opinion, by a user of that department (on a commitment case, its
        verification may follow the decision)."""
        entry = self._department_entry(department)
        if actor.unit is not None and actor.unit != department:
            raise NotPermitted(f"unit {actor.unit} may answer only for itself, not for {department}")
        allowed = (S.IN_REVIEW, S.DECIDED, S.DELIVERED) if self.commitment else (S.IN_REVIEW,)
        self.check_status("answer", *allowed)
        self.check_occurred_at(occurred_at)
        if self.forwarded_at is None:
            raise NotAllowedInState("the application was not forwarded to the departments yet", "申请尚未转审批部门")
        if entry["decision"] is not None:
            raise NotAllowedInState(
                f"{department} has answered in this round; the window may return its opinion",
                "本部门本轮已提交审查意见；如需修改，由综合窗口退回",
            )
        check_judgement(decision, opinion, "opinion", "the department's opinion must not be empty", "请填写审查意见")
        self._department_answered(department, decision, opinion, actor.as_record(), occurred_at)

    @event("DepartmentAnswered", topic="caseledger:Approval.DepartmentAnswered")
    def _department_answered(
        self,
        department: str,
        decision: str,
        opinion: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        entry = self._department_entry(department)
        entry.update(decision=decision, opinion=opinion, answered_at=at, seq=self.version + 1)
        meet_clocks(
            self.clocks, "DepartmentAnswered", {"department": department, "decision": decision}, at, self.version + 1
        )

    def return_opinion(self, department: str, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """The window sends one department's opinion back to be redone; its review runs again."""
        entry = self._department_entry(department)
        self.check_status("return an opinion of", S.IN_REVIEW)
        self.check_occurred_at(occurred_at)
        if entry["decision"] is None:
            raise NotAllowedInState(
                f"{department} has not answered; there is no opinion to return", "该部门尚未提交审查意见，无可退回"
            )
        self.check_reason(reason, "reason", "say why the opinion is returned", "请填写退回理由")
        self._department_returned(department, reason, actor.as_record(), occurred_at)

    @event("DepartmentReturned", topic="caseledger:Approval.DepartmentReturned")
    def _department_returned(
        self,
        department: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        entry = self._department_entry(department)
        entry.update(decision=None, opinion=None, answered_at=None, seq=None, returned=entry["returned"] + 1)
        start_clocks(
            self.clocks, self.policy["deadlines"], "DepartmentReturned", at, self.version + 1, departments=[department]
        )

    # -- Paused 中止计时 / Resumed 恢复计时 (行政许可法 art. 45) ---------------------------------
    def pause(
        self,
        reason: str,
        expected_working_days: int,
        note: str | None,
        calendar: WorkingCalendar,
        now: datetime,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """行政许可法 art. 45: the clocks stop while a hearing, inspection, test or expert review runs;
        ``now`` is the moment of the pause when no earlier ``occurred_at`` is stated."""
        self.check_status("pause", *S.deciding())
        self.check_occurred_at(occurred_at)
        if self.paused:
            raise NotAllowedInState("the clock is already paused; resume it first", "计时已中止，请先恢复计时")
        check_pause(reason, expected_working_days)
        # A period already ended is not paused (it stays missed); the event names the clocks it stops.
        at = occurred_at or now
        running = [
            (c, s)
            for c, s in zip(self.clocks, evaluate(self.clocks, calendar, at))
            if c["met_at"] is None and c["cancelled_at"] is None
        ]
        if any(c["name"] == "decision" and s.overdue for c, s in running):
            raise NotAllowedInState(
                "the decision period has already ended; it cannot be paused", "审批期限已届满，不能中止计时"
            )
        clocks = [c["name"] for c, s in running if not s.overdue]
        self._paused(reason, expected_working_days, note, clocks, actor.as_record(), occurred_at)

    @event("Paused", topic="caseledger:Approval.Paused")
    def _paused(
        self,
        reason: str,
        expected_working_days: int,
        note: str | None,
        clocks: list[str],
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        pause_running(self.clocks, reason, at, self.version + 1, only=clocks)
        self.pauses.append(
            {
                "reason": reason,
                "from": at,
                "to": None,
                "expected_working_days": expected_working_days,
                "note": note,
                "seq": self.version + 1,
            }
        )

    def resume(self, note: str | None, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_occurred_at(occurred_at)
        if not self.paused:
            raise NotAllowedInState("the clock is running; there is nothing to resume", "计时未中止，无需恢复")
        self._resumed(note, actor.as_record(), occurred_at)

    @event("Resumed", topic="caseledger:Approval.Resumed")
    def _resumed(
        self, note: str | None, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        resume_paused(self.clocks, at, self.version + 1)
        self._end_pause(at)

    # -- Extended 延期 (行政许可法 art. 42: once) -------------------------------------------
    def extend(self, working_days: int, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_status("extend", *S.deciding())
        self.check_occurred_at(occurred_at)
        rule = self.policy.get("extension")
        if not rule:
            raise NotAllowedInState(
                f"profile {self.policy['id']} allows no extension of the decision period",
                "本事项适用的规则不允许延长审批期限",
            )
        if self.extended:
            raise NotAllowedInState(
                f"the decision period was extended once already; it may be extended only once ({rule['source']})",
                f"审批期限已延长过一次，只能延长一次（{rule['source']}）",
            )
        if open_clock(self.clocks, rule["deadline"]) is None:
            raise NotAllowedInState(
                f"the {rule['deadline']} period is not running; nothing to extend", "审批期限未在计时，无需延期"
            )
        self.check_reason(
            reason,
            "reason",
            "an extension needs a reason told to the applicant (art. 42)",
            "请填写告知申请人的延期理由（行政许可法第四十二条）",
        )
        cap = rule["working_days"]
        if not isinstance(working_days, int) or isinstance(working_days, bool) or not 1 <= working_days <= cap:
            raise ValidationFailed({"working_days": f"between 1 and {cap} ({rule['source']})"})
        self._extended(rule["deadline"], working_days, reason, actor.as_record(), occurred_at)

    @event("Extended", topic="caseledger:Approval.Extended")
    def _extended(
        self,
        deadline: str,
        working_days: int,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        self._moved(occurred_at, timestamp)
        self.extended = True
        extend_open(self.clocks, deadline, working_days)

    # -- Escalated 督办 (the verb: domain.cases.aggregate) ---------------------------------------------
    @event("Escalated", topic="caseledger:Approval.Escalated")
    def _escalated(
        self,
        level: int,
        level_code: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
        cause: dict[str, Any] | None = None,
    ) -> None:
        self._moved(occurred_at, timestamp)
        self.escalation_level = level

    @event("DeadlineMissed", topic="caseledger:Approval.DeadlineMissed")
    def _deadline_missed(
        self,
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
        timestamp: datetime | None = None,
    ) -> None:
        self._on_missed(deadline, round, occurred_at, timestamp)

    # -- Decided 决定 / Delivered 出件 ------------------------------------------------------
    def decide(self, decision: str, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """决定, by the window: once every department has answered, or before on a commitment."""
        self.check_status("decide", *((S.ACCEPTED, S.IN_REVIEW) if self.commitment else (S.IN_REVIEW,)))
        self.check_occurred_at(occurred_at)
        if self.paused:
            raise NotAllowedInState(
                "the clock is paused (a hearing, inspection or review runs); resume it first",
                "计时已中止（听证、检验、检测或专家评审中），请先恢复计时",
            )
        waiting = [d["unit"] for d in self.departments if d["decision"] is None]
        if waiting and not self.commitment:
            raise NotAllowedInState(
                f"not every department has answered: waiting for {', '.join(waiting)}",
                f"尚有审批部门未提交审查意见：{'、'.join(waiting)}",
            )
        check_judgement(decision, reason, "reason", "a decision states its reasons", "请填写决定理由")
        self._decided(decision, reason, actor.as_record(), occurred_at)

    @event("Decided", topic="caseledger:Approval.Decided")
    def _decided(
        self,
        decision: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.decision, self.decided_at = S.DECIDED.value, decision, at
        meet_clocks(self.clocks, "Decided", {"decision": decision}, at, self.version + 1)
        start_clocks(self.clocks, self.policy["deadlines"], "Decided", at, self.version + 1)

    def deliver(self, note: str | None, actor: Actor, occurred_at: datetime | None = None) -> None:
        """统一窗口出件: whoever accepted, delivers (001 (四))."""
        self.check_status("deliver", S.DECIDED)
        self.check_occurred_at(occurred_at)
        self._delivered(note, actor.as_record(), occurred_at)

    @event("Delivered", topic="caseledger:Approval.Delivered")
    def _delivered(
        self, note: str | None, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.delivered_at = S.DELIVERED.value, at
        meet_clocks(self.clocks, "Delivered", {}, at, self.version + 1)
        if not self.commitment:  # on a commitment the departments' verification runs on
            cancel_open(self.clocks, at, self.version + 1)

    # -- Revoked 撤销 / Withdrawn 撤回 -------------------------------------------------------
    def revoke(self, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """A decision granted on a commitment (告知承诺制) that proved false is revoked (002 item 29)."""
        if not (self.commitment and self.decision == "approve" and self.status in (S.DECIDED.value, S.DELIVERED.value)):
            raise NotAllowedInState(
                "only an approval granted on a commitment (告知承诺制) may be revoked",
                "只有以告知承诺方式准予的许可可以撤销",
            )
        self.check_occurred_at(occurred_at)
        self.check_reason(reason, "reason", "say how the commitment proved false", "请说明承诺不实的情况")
        self._revoked(reason, actor.as_record(), occurred_at)

    @event("Revoked", topic="caseledger:Approval.Revoked")
    def _revoked(
        self, reason: str, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        self._ended(S.REVOKED, "Revoked", occurred_at, timestamp)

    def withdraw(self, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_status("withdraw", *S.before_decision())
        self.check_occurred_at(occurred_at)
        self.check_reason(reason, "reason", "say why the applicant withdraws", "请填写申请人撤回的理由")
        self._withdrawn(reason, actor.as_record(), occurred_at)

    @event("Withdrawn", topic="caseledger:Approval.Withdrawn")
    def _withdrawn(
        self, reason: str, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        self._ended(S.WITHDRAWN, "Withdrawn", occurred_at, timestamp)

    # -- helpers ----------------------------------------------------------------------
    def _ended(self, status: S, event_name: str, occurred_at: datetime | None, timestamp: datetime | None) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.ended_at = status.value, at
        meet_clocks(self.clocks, event_name, {}, at, self.version + 1)
        cancel_open(self.clocks, at, self.version + 1)
        self._end_pause(at)

    def _end_pause(self, at: datetime) -> None:
        if self.pauses and self.pauses[-1]["to"] is None:
            self.pauses[-1].update(to=at, to_seq=self.version + 1)

    def _department_entry(self, department: str) -> dict[str, Any]:
        entry = next((d for d in self.departments if d["unit"] == department), None)
        if entry is not None:
            return entry
        raise ValidationFailed(
            {
                "department": f"{department!r} is not a department of this application "
                f"({', '.join(self.department_codes) or 'none'})"
            }
        )


def _department(code: str) -> dict[str, Any]:
    return {"unit": code, "decision": None, "opinion": None, "answered_at": None, "seq": None, "returned": 0}


# The approval's actions for domain.actions: name -> (command, the command asked with no input).
Approval.PROBES = {
    "answer": ("answer", lambda c, a, cal, now: c.answer(a.unit or "", "", "", a)),
    "request_materials": ("request_materials", lambda c, a, cal, now: c.request_materials([], None, a)),
    "supply_materials": ("supply_materials", lambda c, a, cal, now: c.supply_materials([], a)),
    "accept": ("accept", lambda c, a, cal, now: c.accept(None, a)),
    "refuse": ("refuse", lambda c, a, cal, now: c.refuse("", a)),
    "forward": ("forward", lambda c, a, cal, now: c.forward(None, a)),
    "return": ("return", lambda c, a, cal, now: c.return_opinion("", "", a)),
    "pause": ("pause", lambda c, a, cal, now: c.pause("", 0, None, cal, now, a)),
    "resume": ("resume", lambda c, a, cal, now: c.resume(None, a)),
    "extend": ("extend", lambda c, a, cal, now: c.extend(0, "", a)),
    "escalate": ("escalate", lambda c, a, cal, now: c.escalate(None, "", a)),
    "decide": ("decide", lambda c, a, cal, now: c.decide("", "", a)),
    "deliver": ("deliver", lambda c, a, cal, now: c.deliver(None, a)),
    "revoke": ("revoke", lambda c, a, cal, now: c.revoke("", a)),
    "withdraw": ("withdraw", lambda c, a, cal, now: c.withdraw("", a)),
}
