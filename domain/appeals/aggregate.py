"""The enterprise appeal (企业诉求, 接诉即办) as an event-sourced aggregate.

The lifecycle: Received 受理 → Forwarded 转办 → Acknowledged 签收
→ Answered 答复 (initial / final) → Reviewed 审核 → Visited 回访 → Closed 办结,
with Returned 退回重办, Escalated 督办, Extended 延期 and HandbackRequested
退单 on the way, and a bad rating's follow-through (Rectified 整改,
RatingContested 申诉复核, RatingAdjudicated: domain.appeals.ratings). Each public verb
checks that it is allowed (``check_…``) and then triggers one private
``@event`` method whose body is the state change; checks never run again on
replay.

Deadlines are clocks started and met by events as the case's policy says
(domain.deadlines.clocks); their due times are computed later on the working-day
calendar, so a newly published calendar year corrects them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actors import Actor
from domain.appeals import joint as joint_rules
from domain.appeals.handback import FOUND_BY_HELD_BACK, end_not_binding, held, held_back, pending, refresh
from domain.appeals.hotline import check_direct_answer, check_recheck, direct_categories, restart_for_redo
from domain.appeals.ratings import (
    PENDING,
    RECTIFICATION,
    REJECTED,
    UPHELD,
    contest_closes,
    latest_bad,
    new_rating,
    rating_of,
    rectification_rule,
    set_aside_rectification,
)
from domain.cases.aggregate import Case
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import (
    Clock,
    ExtensionOffer,
    bind_open,
    cancel_open,
    extend_open,
    extension_offer,
    meet_clocks,
    open_clock,
    reopen_clocks,
    restart_cancelled,
    start_clocks,
)
from domain.errors import LimitReached, NotAllowedInState, ValidationFailed
from domain.status import SATISFACTION_LEVELS, Status
from domain.vocabulary import CATEGORY, citation, name_of

# Where a bad rating is followed through (rectified, contested, ruled on): any status, closed too, but
# merged — a merged case takes no command but its unmerge; the matter goes on in the case it joined.
FOLLOWED_THROUGH = tuple(s for s in Status if s is not Status.MERGED)


class Appeal(Case):
    """企业诉求: one enterprise appeal, from receipt (受理) to closing (办结)."""

    TOPIC = "caseledger:Appeal"
    KIND = "appeal"
    IDS = "urn:caseledger:appeal"
    # Where an escalation (a person's, or the overdue rule's) may land: a case at a unit.
    ESCALATABLE = Status.open_after_forwarding()

    class Event(Case.Event):
        TOPIC = "caseledger:Appeal.Event"

    @event("Received", topic="caseledger:Appeal.Received")
    def __init__(
        self,
        id: UUID,
        channel: str,
        external_ref: str | None,
        case_no: str,
        category: str,
        subject: str,
        content: str,
        enterprise: dict[str, Any],
        contact: dict[str, Any] | None,
        policy: dict[str, Any],
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = occurred_at or timestamp
        assert at is not None  # the library gives every event's body the event's own timestamp
        self.channel, self.external_ref, self.case_no = channel, external_ref, case_no
        self.category, self.subject, self.content = category, subject, content
        self.enterprise, self.contact, self.policy = enterprise, contact, policy
        self.status = Status.RECEIVED.value
        self.unit: str | None = None
        self.co_units: list[str] = []
        self.co_opinions: list[dict[str, Any]] = []
        self.returned_count = 0
        self.escalation_level = 0
        self.satisfaction: str | None = None
        self.solved: bool | None = None
        # Every visit's rating (好差评, domain.appeals.ratings), kept when a return clears ``satisfaction``.
        self.ratings: list[dict[str, Any]] = []
        self.answered_initial = False
        self.handback_reason: str | None = None
        self.closed_at: datetime | None = None
        self.received_at = at
        self.forwarded_at: datetime | None = None
        # The event that first answered the current assignment (签收 or 答复): the unit's response.
        self.responded_seq: int | None = None
        self.clocks: list[dict[str, Any]] = []
        self.last_at = at
        start_clocks(self.clocks, policy["deadlines"], "Received", at, 1)

    @property
    def lead_unit(self) -> str | None:
        return self.unit

    @property
    def other_units(self) -> list[str]:
        return self.co_units

    # -- Forwarded 转办 / 派单 / 改派 ------------------------------------------
    def forward(
        self, unit: str, co_units: list[str], note: str | None, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        self.check_no_handback_pending("forward")
        self.check_status("forward", Status.RECEIVED, Status.FORWARDED)
        self.check_occurred_at(occurred_at)
        self.check_assignment(unit, co_units)
        self._forwarded(unit, list(co_units), note, actor.as_record(), occurred_at)

    def check_assignment(self, unit: str | None, co_units: list[str]) -> None:
        """A lead unit, not among the co-handling units, which do not repeat."""
        problems, zh = {}, {}
        if not unit:
            problems["unit"], zh["unit"] = "a lead handling unit (承办单位) is required", "请选择承办单位"
        if unit in co_units:
            problems["co_units"] = "the lead unit cannot also be a co-handling unit"
            zh["co_units"] = "承办单位不能同时作为协办单位，请从协办单位中去掉承办单位"
        if len(set(co_units)) != len(co_units):
            problems["co_units"], zh["co_units"] = "co-handling units must not repeat", "同一协办单位不能重复选择"
        if problems:
            raise ValidationFailed(problems, zh=zh)

    @event("Forwarded", topic="caseledger:Appeal.Forwarded")
    def _forwarded(
        self,
        unit: str,
        co_units: list[str],
        note: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.unit, self.co_units, self.status = unit, co_units, Status.FORWARDED.value
        self.forwarded_at, self.responded_seq = at, None
        self.handback_reason = None
        self.answered_initial = False
        bind_open(self.clocks, unit)
        start_clocks(self.clocks, self.policy["deadlines"], "Forwarded", at, self.version + 1, unit)
        self._reforwarded(unit, at)

    # -- Acknowledged 签收 / 启动核实 -------------------------------------------
    def acknowledge(self, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_status("acknowledge", Status.FORWARDED)
        self.check_occurred_at(occurred_at)
        self._acknowledged(actor.as_record(), occurred_at)

    @event("Acknowledged", topic="caseledger:Appeal.Acknowledged")
    def _acknowledged(
        self, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status = Status.ACKNOWLEDGED.value
        self.responded_seq = self.responded_seq or self.version + 1
        meet_clocks(self.clocks, "Acknowledged", {}, at, self.version + 1)

    # -- Answered 答复 (初步处理情况 / 办理结果) ----------------------------------
    def answer(self, kind: str, content: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_status("answer", Status.FORWARDED, Status.ACKNOWLEDGED, Status.RETURNED)
        self.check_occurred_at(occurred_at)
        if kind not in ("initial", "final"):
            raise ValidationFailed(
                {"kind": "must be 'initial' or 'final'"}, zh={"kind": "请选择答复类型：初步处理情况或办理结果"}
            )
        if kind == "initial" and self.answered_initial:
            raise NotAllowedInState(
                "an initial answer was already given in this round; give the final answer",
                "本轮已反馈初步处理情况，请反馈办理结果",
            )
        if not content or not content.strip():
            raise ValidationFailed({"content": "the answer must not be empty"}, zh={"content": "请填写答复内容"})
        self._answered(kind, content, actor.as_record(), occurred_at)

    @event("Answered", topic="caseledger:Appeal.Answered")
    def _answered(
        self,
        kind: str,
        content: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        if kind == "final":
            self.status = Status.ANSWERED.value
        else:
            self.answered_initial = True
        self.responded_seq = self.responded_seq or self.version + 1
        meet_clocks(self.clocks, "Answered", {"kind": kind}, at, self.version + 1)

    # -- Reviewed 审核 ------------------------------------------------------------
    def review(self, accepted: bool, note: str | None, actor: Actor, occurred_at: datetime | None = None) -> None:
        """Platform review of the final answer; a rejection returns the case (退回重办)."""
        self.check_status("review", Status.ANSWERED)
        self.check_occurred_at(occurred_at)
        self._reviewed(bool(accepted), note, actor.as_record(), occurred_at)
        if not accepted:
            self._returned(note or "答复意见存在问题，退回重办", "review_rejected", actor.as_record(), occurred_at)

    @event("Reviewed", topic="caseledger:Appeal.Reviewed")
    def _reviewed(
        self,
        accepted: bool,
        note: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        if accepted:
            self.status = Status.REVIEWED.value
        meet_clocks(self.clocks, "Reviewed", {"accepted": accepted}, at, self.version + 1)

    # -- Returned 退回重办 ----------------------------------------------------------
    def return_for_redo(self, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """Unsatisfied follow-up or a flawed reply: back to the unit to redo (000 item 4)."""
        self.check_status("return", Status.ANSWERED, Status.REVIEWED, Status.VISITED)
        self.check_occurred_at(occurred_at)
        if not reason or not reason.strip():
            raise ValidationFailed({"reason": "a reason for the return is required"}, zh={"reason": "请填写退回理由"})
        self._returned(reason, "platform", actor.as_record(), occurred_at)

    @event("Returned", topic="caseledger:Appeal.Returned")
    def _returned(
        self,
        reason: str,
        cause: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status = Status.RETURNED.value
        self.returned_count += 1
        self.answered_initial = False
        self.satisfaction = self.solved = None
        reopen_clocks(self.clocks, self.policy["deadlines"], "Returned", at, self.version + 1)
        start_clocks(self.clocks, self.policy["deadlines"], "Returned", at, self.version + 1, self.unit)

    # -- Escalated 督办 / 分级会办 (the verb and the overdue consequence: domain.cases.aggregate) ---------
    @event("Escalated", topic="caseledger:Appeal.Escalated")
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
        # cause: for an escalation the profile orders (e.g. 督办通知 on a missed deadline), the rule
        # and the event that brought it; None when a person escalated.
        self._moved(occurred_at, timestamp)
        self.escalation_level = level

    # -- DeadlineMissed 逾期 ------------------------------------------------------
    @event("DeadlineMissed", topic="caseledger:Appeal.DeadlineMissed")
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
        # found_by: "sweep" (unmet at as_of) or "late_meet" (met at as_of, after ends_at).
        self._on_missed(deadline, round, occurred_at, timestamp)

    def extension_offer(self, calendar: WorkingCalendar, now: datetime) -> ExtensionOffer | None:
        """Which deadline an extension (延期) would move, and to when for each number of working days the
        profile still allows (002 item 53: to 30 WD in all); None when none may be asked for now."""
        rule = self.policy.get("extension")
        clock = open_clock(self.clocks, rule["deadline"]) if rule else None
        if not rule or clock is None:
            return None
        room = rule["max_total"] - clock["length"] - clock["extended"]
        return extension_offer(self.clocks, rule["deadline"], room, calendar, now)

    # -- Extended 延期 ------------------------------------------------------------
    def extend(self, working_days: int, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """Extension with a stated reason, capped by the profile (002 item 53: to 30 WD)."""
        self.check_status("extend", Status.FORWARDED, Status.ACKNOWLEDGED, Status.RETURNED)
        self.check_occurred_at(occurred_at)
        rule = self.policy.get("extension")
        if not rule:
            raise NotAllowedInState(
                f"profile {self.policy['id']} allows no extension (延期)",
                "本案适用的规则不允许延期",
            )
        clock = open_clock(self.clocks, rule["deadline"])
        if clock is None:
            raise NotAllowedInState(
                f"the deadline {rule['deadline']!r} is not running; nothing to extend",
                "可延期的办理期限未在计时，无需延期",
            )
        room = rule["max_total"] - clock["length"] - clock["extended"]
        if room <= 0:
            raise LimitReached(
                {"working_days": f"the {rule['max_total']}-working-day cap of {rule['source']} is already reached"},
                zh={
                    "working_days": f"办理期限已达{rule['max_total']}个工作日上限（{citation(rule['source'])}），"
                    "不能再延期"
                },
            )
        if not reason or not reason.strip():
            raise ValidationFailed({"reason": "an extension needs a stated reason"}, zh={"reason": "请填写延期理由"})
        if not isinstance(working_days, int) or isinstance(working_days, bool) or not 1 <= working_days <= room:
            raise ValidationFailed(
                {
                    "working_days": (
                        f"must be between 1 and {room}: {rule['deadline']} may run at most "
                        f"{rule['max_total']} working days in total ({rule['source']})"
                    )
                },
                zh={
                    "working_days": f"延期工作日数须在1至{room}之间（办理期限合计不超过{rule['max_total']}个工作日，"
                    f"{citation(rule['source'])}）"
                },
            )
        self._extended(rule["deadline"], working_days, reason, actor.as_record(), occurred_at)

    @event("Extended", topic="caseledger:Appeal.Extended")
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
        extend_open(self.clocks, deadline, working_days)

    # -- HandbackRequested 退单申请 / 派单异议 ---------------------------------------
    def request_handback(self, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        self.check_no_handback_pending("handback")
        self.check_status("handback", Status.FORWARDED, Status.ACKNOWLEDGED)
        self.check_occurred_at(occurred_at)
        if not reason or not reason.strip():
            raise ValidationFailed(
                {"reason": "say why the case is misrouted"},
                zh={"reason": "请说明退单理由（派单不属于本单位职责的原因）"},
            )
        self._handback_requested(reason, actor.as_record(), occurred_at)

    @event("HandbackRequested", topic="caseledger:Appeal.HandbackRequested")
    def _handback_requested(
        self, reason: str, actor: dict[str, Any], occurred_at: datetime | None, timestamp: datetime | None = None
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.handback = {
            "requested_at": at,
            "reason": reason,
            "unit": self.unit,
            "status": self.status,  # to which a refusal returns the case
            "seq": self.version + 1,
            "ruling": None,
        }
        self.status = Status.HANDBACK_REQUESTED.value
        self.handback_reason = reason
        start_clocks(self.clocks, self.policy["deadlines"], "HandbackRequested", at, self.version + 1)

    # -- HandbackRuled 派单异议审核: 同意退单 (改派) / 不同意退单 (domain.appeals.handback) -------------
    if TYPE_CHECKING:  # declared for the type checker only, as ``merged_into`` below
        handback: dict[str, Any] | None
    handback = None  # the latest hand-back: requested_at, reason, unit, status, seq, ruling (None: pending)

    @property
    def handback_pending(self) -> bool:
        """A hand-back (退单) awaits the platform's ruling."""
        return pending(self.handback)

    def check_no_handback_pending(self, command: str) -> None:
        if self.handback_pending:
            raise NotAllowedInState(
                f"cannot {command} a case whose hand-back (退单) awaits the platform's ruling; rule on it first "
                "(rule-handback, with a unit to re-forward)",
                "本案的退单申请正在等待平台审核，请先审核退单申请（同意退单时可一并改派）",
            )

    def rule_handback(
        self,
        upheld: bool,
        note: str,
        unit: str | None,
        co_units: list[str],
        calendar: WorkingCalendar,
        now: datetime,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """The platform's ruling on the pending hand-back (国办函〔2025〕66号: 派单异议审核). Upheld: the unit's
        clocks end as not binding, the case returns to the platform, re-forwarded (改派) to ``unit`` in the same
        act if given. Refused: the unit keeps the case, and each miss held back while it waited is recorded
        as of its due time, with its consequence (an objection that is refused buys no time)."""
        if not pending(self.handback):
            raise NotAllowedInState(
                "cannot rule on a hand-back: none awaits a ruling", "本案没有待审核的退单申请，无需审核"
            )
        self.check_occurred_at(occurred_at)
        if not isinstance(upheld, bool):
            raise ValidationFailed(
                {"upheld": "true (the hand-back is upheld) or false (the unit keeps the case)"},
                zh={"upheld": "请选择审核结论：同意退单或不同意退单"},
            )
        self.check_reason(note, "note", "the ruling needs a note", "请填写审核意见")
        assert self.handback is not None  # pending
        if unit and not upheld:
            raise ValidationFailed(
                {"unit": "a refused hand-back re-forwards nothing: the unit keeps the case"},
                zh={"unit": "不同意退单时不能改派，案件仍由原承办单位办理"},
            )
        if co_units and not unit:
            raise ValidationFailed(
                {"co_units": "co-handling units only with a unit to re-forward to"},
                zh={"co_units": "选择协办单位时须同时选择改派的承办单位"},
            )
        if unit:
            if unit == self.handback["unit"]:
                raise ValidationFailed(
                    {"unit": "re-forward to another unit than the one that handed the case back"},
                    zh={"unit": "不能改派给申请退单的单位，请选择其他承办单位"},
                )
            self.check_assignment(unit, co_units)
        misses = [] if upheld else held_back(self.clocks, self.handback, calendar, occurred_at or now)
        self._handback_ruled(upheld, note, unit, actor.as_record(), occurred_at)
        if unit:
            self._forwarded(unit, list(co_units), note, actor.as_record(), occurred_at)
        for state in misses:
            self._missed(state, FOUND_BY_HELD_BACK, state.ends_at, actor, occurred_at)
            self._consequences_of_miss(state, actor, occurred_at)

    @event("HandbackRuled", topic="caseledger:Appeal.HandbackRuled")
    def _handback_ruled(
        self,
        upheld: bool,
        note: str,
        unit: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        # unit: the unit re-forwarded to (改派) in the same act, whose Forwarded follows; None otherwise.
        at = self._moved(occurred_at, timestamp)
        assert self.handback is not None  # a ruling answers a hand-back
        seq = self.version + 1
        ruling = {"upheld": upheld, "note": note, "unit": unit, "at": at, "seq": seq, "actor": actor}
        self.handback = {**self.handback, "ruling": ruling}
        meet_clocks(self.clocks, "HandbackRuled", {"upheld": upheld}, at, seq)
        if upheld:
            end_not_binding(self.clocks, self.handback["unit"], at, seq)
            self.status, self.unit, self.co_units = Status.RECEIVED.value, None, []
        else:
            self.status = self.handback["status"]

    def _reforwarded(self, unit: str, at: datetime) -> None:
        """In a Forwarded: the first forwarding after an upheld hand-back (改派) gives the new unit a fresh
        round of the clocks the ruling ended (domain.appeals.handback.refresh). A hand-back recorded before
        rulings existed, still pending, ends here: the platform re-forwarded without one."""
        if pending(self.handback):
            assert self.handback is not None
            self.handback = {**self.handback, "ruling": {"upheld": None, "unit": unit, "at": at}}
            return
        ruling = self.handback["ruling"] if self.handback else None
        if ruling and ruling["upheld"] and "reforwarded" not in ruling:
            refresh(self.clocks, self.policy["deadlines"], ruling["seq"], unit, at, self.version + 1)
            ruling["reforwarded"] = {"unit": unit, "at": at, "seq": self.version + 1}

    def _holds(self, clock: Clock) -> bool:
        return held(clock, self.handback)

    # -- CoOpinionGiven 协办意见 ----------------------------------------------------
    def give_co_opinion(self, content: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """A co-handling unit (协办单位) gives its opinion to the lead unit (牵头承办单位 with
        协办). It answers nothing for the lead: the lead's deadlines run on."""
        self.check_status(
            "give a co-handling opinion on", Status.FORWARDED, Status.ACKNOWLEDGED, Status.RETURNED, Status.ANSWERED
        )
        self.check_occurred_at(occurred_at)
        if not content or not content.strip():
            raise ValidationFailed({"content": "the opinion must not be empty"}, zh={"content": "请填写协办意见"})
        self._co_opinion_given(actor.unit, content, actor.as_record(), occurred_at)

    @event("CoOpinionGiven", topic="caseledger:Appeal.CoOpinionGiven")
    def _co_opinion_given(
        self,
        unit: str | None,
        content: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.co_opinions.append({"unit": unit, "content": content, "at": at, "seq": self.version + 1})

    # -- Visited 回访 (好差评) -----------------------------------------------------
    def visit(
        self,
        satisfaction: str,
        solved: bool | None,
        note: str | None,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        self.check_status("visit", Status.REVIEWED, Status.VISITED)
        self.check_occurred_at(occurred_at)
        if satisfaction not in SATISFACTION_LEVELS:
            raise ValidationFailed(
                {"satisfaction": f"must be one of {', '.join(SATISFACTION_LEVELS)}"},
                zh={"satisfaction": "请选择满意度"},
            )
        self._visited(satisfaction, solved, note, actor.as_record(), occurred_at)

    @event("Visited", topic="caseledger:Appeal.Visited")
    def _visited(
        self,
        satisfaction: str,
        solved: bool | None,
        note: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status = Status.VISITED.value
        self.satisfaction, self.solved = satisfaction, solved
        meet_clocks(self.clocks, "Visited", {"solved": solved}, at, self.version + 1)
        rating = new_rating(satisfaction, self.unit, at, self.version + 1)
        self.ratings.append(rating)
        if rating["bad"] and self.policy.get("ratings"):
            start_clocks(
                self.clocks, [rectification_rule(self.policy["ratings"])], "Visited", at, self.version + 1, self.unit
            )

    # -- 好差评 follow-through: Rectified 差评整改, RatingContested 申诉复核, RatingAdjudicated --------
    def rectify(self, content: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """The unit's rectification (整改) of the latest bad rating, within the profile's period
        (002 item 27, 004 item 二: 差评 通报整改); late is recorded late, never refused."""
        self.check_status("rectify", *FOLLOWED_THROUGH)
        rating = latest_bad(self.ratings, self.policy, "rectify")
        if rating["rectification"] is not None:
            raise NotAllowedInState("the latest bad rating is already rectified", "最近一次差评已整改")
        if rating["contest"] and rating["contest"]["status"] == UPHELD:
            raise NotAllowedInState(
                "the latest bad rating was set aside on contest: nothing to rectify",
                "最近一次差评经申诉复核已撤销，无需整改",
            )
        self.check_occurred_at(occurred_at)
        self.check_reason(content, "content", "say what was rectified", "请填写整改情况")
        self._rectified(rating["seq"], content, actor.as_record(), occurred_at)

    @event("Rectified", topic="caseledger:Appeal.Rectified")
    def _rectified(
        self,
        rating_seq: int,
        content: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        rating_of(self.ratings, rating_seq)["rectification"] = {"content": content, "at": at, "seq": self.version + 1}
        meet_clocks(self.clocks, "Rectified", {}, at, self.version + 1)

    def contest_rating(
        self, reason: str, calendar: WorkingCalendar, now: datetime, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """申诉复核: the rated unit contests a mistaken or malicious bad rating, once, within the
        profile's window of working days after the visit (国办发〔2019〕51号: 排除误评和恶意差评)."""
        self.check_status("contest the rating of", *FOLLOWED_THROUGH)
        rating = latest_bad(self.ratings, self.policy, "contest")
        if rating["contest"] is not None:
            raise NotAllowedInState(
                "this bad rating was already contested; a rating is contested once",
                "该差评已申诉过，每条差评只能申诉一次",
            )
        closes = contest_closes(rating, self.policy["ratings"], calendar)
        if not closes.is_met_by(occurred_at or now):
            days = self.policy["ratings"]["contest_working_days"]
            raise NotAllowedInState(
                f"the {days}-working-day window for contesting the rating ended at {closes.due.isoformat()}",
                f"申诉期限（回访后{days}个工作日）已于{closes.due:%Y-%m-%d %H:%M}届满",
            )
        self.check_occurred_at(occurred_at)
        self.check_reason(
            reason, "reason", "say why the rating is mistaken or malicious", "请说明申诉理由（误评或恶意差评的情况）"
        )
        self._rating_contested(rating["seq"], reason, rating["unit"], actor.as_record(), occurred_at)

    @event("RatingContested", topic="caseledger:Appeal.RatingContested")
    def _rating_contested(
        self,
        rating_seq: int,
        reason: str,
        unit: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        rating_of(self.ratings, rating_seq)["contest"] = {
            "reason": reason,
            "unit": unit,
            "at": at,
            "seq": self.version + 1,
            "status": PENDING,
            "note": None,
            "decided_at": None,
            "decided_seq": None,
        }

    def adjudicate_rating(self, upheld: bool, note: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """The platform's or a supervisor's ruling on a pending contest: upheld sets the rating aside
        in the adjudicated figures, rejected keeps it; the raw rating stays as it was given."""
        self.check_status("adjudicate the rating of", *FOLLOWED_THROUGH)
        rating = next((r for r in reversed(self.ratings) if r["contest"] and r["contest"]["status"] == PENDING), None)
        if rating is None:
            raise NotAllowedInState("no contest of a rating is pending", "没有待复核的差评申诉")
        self.check_occurred_at(occurred_at)
        if not isinstance(upheld, bool):
            raise ValidationFailed(
                {"upheld": "true (the contest is upheld) or false (the rating stands)"},
                zh={"upheld": "请选择复核结论：申诉成立或维持原评价"},
            )
        self.check_reason(note, "note", "the ruling needs a note", "请填写复核意见")
        self._rating_adjudicated(rating["seq"], upheld, note, actor.as_record(), occurred_at)

    @event("RatingAdjudicated", topic="caseledger:Appeal.RatingAdjudicated")
    def _rating_adjudicated(
        self,
        rating_seq: int,
        upheld: bool,
        note: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        contest = rating_of(self.ratings, rating_seq)["contest"]
        contest.update(status=UPHELD if upheld else REJECTED, note=note, decided_at=at, decided_seq=self.version + 1)
        if upheld:
            set_aside_rectification(self.clocks, rating_seq, at, self.version + 1)

    # -- MergedInto / RepeatMerged 并单, Unmerged / RepeatUnmerged 撤销并单 ------------------------
    # 国办函〔2025〕66号: repeat appeals on the same matter are merged into one case (并单), keeping each
    # caller's record. Both cases record the act, in one transaction: the repeat ends as merged (not
    # as solved; its running deadlines stop), the case it joins keeps the repeat's caller.
    # Class defaults (unannotated: not fields of an event), so cases recorded before merging existed
    # read as never merged. On a repeat, the case it joined (id, case_no, at, seq, its status before);
    # on the case joined, each repeat's caller record, in order.
    if TYPE_CHECKING:  # declared for the type checker only, as the class attributes of domain.cases.aggregate.Case
        merged_into: dict[str, Any] | None
        repeats: tuple[dict[str, Any], ...]
    merged_into = None
    repeats = ()

    @property
    def own_caller(self) -> dict[str, Any]:
        return {
            "case": self.id,
            "case_no": self.case_no,
            "enterprise": self.enterprise,
            "contact": self.contact,
            "channel": self.channel,
            "external_ref": self.external_ref,
            "received_at": self.received_at,
        }

    @property
    def callers(self) -> list[dict[str, Any]]:
        """Every caller's record on this matter: the case's own first, then each repeat merged into it."""
        return [self.own_caller, *self.repeats]

    def merge_into(
        self, survivor: Appeal | None, note: str | None, actor: Actor, occurred_at: datetime | None = None
    ) -> None:
        """并单: this appeal repeats ``survivor``'s matter and joins it. Only two levels: a case that others
        joined is not merged itself, and a merged case is joined by nobody, so every caller is one step
        from the case that handles the matter."""
        self.check_status("merge", *Status.mergeable())
        if self.repeats:
            raise NotAllowedInState(
                "this case has repeats merged into it; unmerge them first or merge the other case into it",
                "已有重复诉求并入本案，本案不能再并入其他案件；请先撤销并单，或将另一案件并入本案",
            )
        if survivor is None:
            raise ValidationFailed({"into": "name the case this appeal repeats"}, zh={"into": "请选择本诉求重复的案件"})
        if survivor.id == self.id:
            raise ValidationFailed({"into": "a case cannot be merged into itself"}, zh={"into": "不能并入本案自身"})
        if survivor.status == Status.MERGED.value:
            assert survivor.merged_into is not None  # a merged case names the case it joined
            raise NotAllowedInState(
                f"case {survivor.case_no} is itself merged into {survivor.merged_into['case_no']}; "
                "merge into that case",
                f"目标案件{survivor.case_no}已并入{survivor.merged_into['case_no']}，请并入该案件",
            )
        if survivor.status not in {s.value for s in Status.mergeable()}:
            raise NotAllowedInState(
                f"case {survivor.case_no} is {survivor.status}; a repeat joins an open case only",
                f"目标案件{survivor.case_no}已办结，不能并入",
            )
        self.check_occurred_at(occurred_at)
        survivor.check_occurred_at(occurred_at)
        self._merged_into(survivor.id, survivor.case_no, self.status, note, actor.as_record(), occurred_at)
        caller = {k: v for k, v in self.own_caller.items() if k not in ("case", "case_no")}
        survivor._repeat_merged(self.id, self.case_no, caller, note, actor.as_record(), occurred_at)

    @event("MergedInto", topic="caseledger:Appeal.MergedInto")
    def _merged_into(
        self,
        into: UUID,
        into_case_no: str,
        status: str,
        note: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        # status: the one the case had, to which an unmerge returns it.
        at = self._moved(occurred_at, timestamp)
        self.merged_into = {"id": into, "case_no": into_case_no, "at": at, "seq": self.version + 1, "status": status}
        self.status = Status.MERGED.value
        cancel_open(self.clocks, at, self.version + 1)

    @event("RepeatMerged", topic="caseledger:Appeal.RepeatMerged")
    def _repeat_merged(
        self,
        case: UUID,
        case_no: str,
        caller: dict[str, Any],
        note: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.repeats = (
            *self.repeats,
            {"case": case, "case_no": case_no, **caller, "merged_at": at, "seq": self.version + 1},
        )

    def unmerge(self, survivor: Appeal | None, reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """撤销并单: the merge was a mistake. The repeat returns to the status it had, its stopped deadlines
        run again (domain.deadlines.clocks.restart_cancelled) and the case it had joined drops its caller; the history
        of both keeps the merge and its undoing. A closed case's record is final, so a repeat whose case
        was closed meanwhile stays merged."""
        self.check_status("unmerge", Status.MERGED)
        assert self.merged_into is not None  # a merged case names the case it joined
        if survivor is None or survivor.id != self.merged_into["id"]:
            raise ValidationFailed(
                {"into": "the case this appeal joined"}, zh={"into": "撤销并单只能针对本诉求所并入的案件"}
            )
        if survivor.status == Status.CLOSED.value:
            raise NotAllowedInState(
                f"case {survivor.case_no}, which this appeal joined, is closed; its record is final",
                f"本诉求并入的案件{survivor.case_no}已办结，不能撤销并单",
            )
        self.check_reason(reason, "reason", "say why the merge is undone", "请填写撤销并单的理由")
        self.check_occurred_at(occurred_at)
        survivor.check_occurred_at(occurred_at)
        self._unmerged(
            survivor.id, survivor.case_no, self.merged_into["status"], reason, actor.as_record(), occurred_at
        )
        survivor._repeat_unmerged(self.id, self.case_no, reason, actor.as_record(), occurred_at)

    @event("Unmerged", topic="caseledger:Appeal.Unmerged")
    def _unmerged(
        self,
        from_case: UUID,
        from_case_no: str,
        status: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        assert self.merged_into is not None  # only a merged case is unmerged
        merged_seq = self.merged_into["seq"]
        self.merged_into, self.status = None, status
        restart_cancelled(self.clocks, merged_seq, at, self.version + 1)

    @event("RepeatUnmerged", topic="caseledger:Appeal.RepeatUnmerged")
    def _repeat_unmerged(
        self,
        case: UUID,
        case_no: str,
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        self._moved(occurred_at, timestamp)
        self.repeats = tuple(r for r in self.repeats if r["case"] != case)

    # -- JointHandlingMarked 列入联合办理, JointMeetingHeld 联席会议 (domain.appeals.joint) ----------------
    # 004 item 六: 责任不明或职责交叉 → 专门台账、专班负责、联席会议、限时办结. A class default (unannotated:
    # not a field of an event), so cases recorded before joint handling existed read as never marked.
    if TYPE_CHECKING:
        joint: dict[str, Any] | None
    joint = None

    def mark_joint(self, units: list[str], reason: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """列入联合办理: the platform names the units whose responsibility is unclear or shared (004 item 六)."""
        self.check_status("mark for joint handling", *Status.mergeable())
        joint_rules.check_can_mark(self.joint)
        self.check_occurred_at(occurred_at)
        named = joint_rules.check_units(units)
        self.check_reason(reason, "reason", "say why responsibility is unclear or shared", "请填写列入联合办理的理由")
        self._joint_handling_marked(named, reason, actor.as_record(), occurred_at)

    @event("JointHandlingMarked", topic="caseledger:Appeal.JointHandlingMarked")
    def _joint_handling_marked(
        self,
        units: list[str],
        reason: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.joint = joint_rules.marked(units, reason, at, self.version + 1)
        # The time limit (限时办结) is the profile's, when it sets one: a rule started by this event.
        start_clocks(self.clocks, self.policy["deadlines"], joint_rules.MARKED, at, self.version + 1)

    def hold_joint_meeting(
        self,
        held_on: Any,
        units: list[str],
        decision: str,
        lead_unit: str | None,
        now: datetime,
        actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        """联席会议 (004 items 六, 十二): recorded with its day, the units present and its decision; a lead
        unit it settles on gets the case forwarded in the same act, the other units present co-handling."""
        self.check_status("record a joint meeting of", *Status.mergeable())
        if lead_unit:  # a forwarding: 改派 while a hand-back waits is the ruling's (domain.appeals.handback)
            self.check_no_handback_pending("forward")
        day, present = joint_rules.check_meeting(self.joint, held_on, units, decision, lead_unit, occurred_at or now)
        self.check_occurred_at(occurred_at)
        self._joint_meeting_held(day.isoformat(), present, decision, lead_unit, actor.as_record(), occurred_at)
        if lead_unit:
            others = [u for u in present if u != lead_unit]
            self._forwarded(lead_unit, others, f"联席会议议定：{decision}", actor.as_record(), occurred_at)

    @event("JointMeetingHeld", topic="caseledger:Appeal.JointMeetingHeld")
    def _joint_meeting_held(
        self,
        held_on: str,
        units: list[str],
        decision: str,
        lead_unit: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        assert self.joint is not None  # a meeting is held on a marked case
        self.joint = {**self.joint, "meetings": list(self.joint["meetings"])}
        joint_rules.meeting(self.joint, held_on, units, decision, lead_unit, at, self.version + 1)
        meet_clocks(self.clocks, joint_rules.MEETING, {"settled": bool(lead_unit)}, at, self.version + 1)

    # -- Closed 办结 / 销号 ---------------------------------------------------------
    def close(self, actor: Actor, occurred_at: datetime | None = None) -> None:
        """Closing records the honest outcome: solved only if the visit said so."""
        self.check_status("close", Status.REVIEWED, Status.VISITED)
        self.check_occurred_at(occurred_at)
        self._closed(self.solved, actor.as_record(), occurred_at)

    @event("Closed", topic="caseledger:Appeal.Closed")
    def _closed(
        self,
        solved: bool | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.status, self.closed_at = Status.CLOSED.value, at
        meet_clocks(self.clocks, "Closed", {}, at, self.version + 1)
        # A bad rating is rectified whether or not the case is closed (国办发〔2019〕51号: 强化差评整改).
        cancel_open(self.clocks, at, self.version + 1, keep=(RECTIFICATION,))

    # -- DirectlyAnswered 首接负责 (直接答复) and Rechecked 回头看: domain.appeals.hotline ------------------
    # Class defaults (unannotated: not fields of an event), so cases recorded before read as neither.
    if TYPE_CHECKING:
        direct: dict[str, Any] | None
        rechecks: tuple[dict[str, Any], ...]
    direct = None
    rechecks = ()

    def answer_directly(self, method: str, content: str, actor: Actor, occurred_at: datetime | None = None) -> None:
        """首接负责: the platform answers at first contact and closes a case never forwarded (004 item 六)."""
        self.check_status("answer at first contact", Status.RECEIVED)
        if self.forwarded_at is not None:
            raise NotAllowedInState(
                "the case was forwarded; only a case never forwarded is answered at first contact",
                "本案已转办，只有未转办的诉求可直接答复",
            )
        if self.category not in direct_categories(self.policy):
            raise ValidationFailed(
                {"category": f"the case's profile does not let a {self.category} be answered at first contact"},
                zh={"category": f"本案适用的规则不允许对{name_of(CATEGORY, self.category)}类诉求直接答复，请转办"},
            )
        self.check_occurred_at(occurred_at)
        check_direct_answer(method, content)
        self._directly_answered(method, content, actor.as_record(), occurred_at)

    @event("DirectlyAnswered", topic="caseledger:Appeal.DirectlyAnswered")
    def _directly_answered(
        self,
        method: str,
        content: str,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        self.direct = {"method": method, "content": content, "at": at, "seq": self.version + 1}
        self.status, self.closed_at = Status.CLOSED.value, at
        meet_clocks(self.clocks, "DirectlyAnswered", {"method": method}, at, self.version + 1)
        cancel_open(self.clocks, at, self.version + 1)

    def recheck(self, holds: bool, note: str, sampled: bool, actor: Actor, occurred_at: datetime | None = None) -> None:
        """回头看 on a closed case (004 items 六, 十四); a solution that does not hold is redone by the lead unit."""
        self.check_status("recheck", Status.CLOSED)
        check_recheck(holds, note, sampled)
        if not holds and self.unit is None:
            raise NotAllowedInState(
                "the case was answered at first contact and has no lead unit to redo it; open a new appeal",
                "本案为直接答复办结，没有承办单位可退回重办，请另行登记诉求",
            )
        self.check_occurred_at(occurred_at)
        self._rechecked(holds, note, sampled, self.unit, actor.as_record(), occurred_at)
        if not holds:
            self._returned(note, "recheck", actor.as_record(), occurred_at)

    @event("Rechecked", topic="caseledger:Appeal.Rechecked")
    def _rechecked(
        self,
        holds: bool,
        note: str,
        sampled: bool,
        unit: str | None,
        actor: dict[str, Any],
        occurred_at: datetime | None,
        timestamp: datetime | None = None,
    ) -> None:
        at = self._moved(occurred_at, timestamp)
        entry = {"holds": holds, "note": note, "sampled": sampled, "unit": unit, "at": at, "seq": self.version + 1}
        self.rechecks = (*self.rechecks, entry)
        if not holds:
            self.closed_at = None
            restart_for_redo(self.clocks, self.policy["deadlines"], at, self.version + 1, self.unit)


# The appeal's actions for domain.actions: name -> (command, the command asked with no input).
Appeal.PROBES = {
    "forward": ("forward", lambda c, a, cal, now: c.forward("", [], None, a)),
    "acknowledge": ("acknowledge", lambda c, a, cal, now: c.acknowledge(a)),
    "answer": ("answer", lambda c, a, cal, now: c.answer("", "", a)),
    "answer_initial": ("answer", lambda c, a, cal, now: c.answer("initial", "", a)),
    "extend": ("extend", lambda c, a, cal, now: c.extend(0, "", a)),
    "handback": ("handback", lambda c, a, cal, now: c.request_handback("", a)),
    "rule_handback": ("rule_handback", lambda c, a, cal, now: c.rule_handback(True, "", None, [], cal, now, a)),
    "co_opinion": ("co_opinion", lambda c, a, cal, now: c.give_co_opinion("", a)),
    "review": ("review", lambda c, a, cal, now: c.review(True, None, a)),
    "return": ("return", lambda c, a, cal, now: c.return_for_redo("", a)),
    "escalate": ("escalate", lambda c, a, cal, now: c.escalate(None, "", a)),
    "visit": ("visit", lambda c, a, cal, now: c.visit("", None, None, a)),
    "rectify": ("rectify", lambda c, a, cal, now: c.rectify("", a)),
    "contest_rating": ("contest_rating", lambda c, a, cal, now: c.contest_rating("", cal, now, a)),
    "adjudicate_rating": ("adjudicate_rating", lambda c, a, cal, now: c.adjudicate_rating(True, "", a)),
    "close": ("close", lambda c, a, cal, now: c.close(a)),
    "merge": ("merge", lambda c, a, cal, now: c.merge_into(None, None, a)),
    "unmerge": ("unmerge", lambda c, a, cal, now: c.unmerge(None, "", a)),
    "joint_handling": ("joint_handling", lambda c, a, cal, now: c.mark_joint([], "", a)),
    "joint_meeting": ("joint_meeting", lambda c, a, cal, now: c.hold_joint_meeting(None, [], "", None, now, a)),
    "direct_answer": ("direct_answer", lambda c, a, cal, now: c.answer_directly("direct", "", a)),
    "recheck": ("recheck", lambda c, a, cal, now: c.recheck(True, "", False, a)),
}
