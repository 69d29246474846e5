"""Unit accountability (问责记录): the lapses of one handling unit and what they brought on it.

One event-sourced record per unit. A process follows the case events
(``domain.accountability.process.AccountabilityProcess``) and notes each lapse the profile counts — a case
sent back to be redone (退回重办), a deadline missed (逾期) — then applies the
profile's accountability rules, which are data (000 item 4, 003
item 5, 004 item 十五). Approvals (审批) are followed too, for the departments:
an opinion the window returns (DepartmentReturned) is a "returned" lapse of
that department, a deadline binding it missed a "deadline_missed" one; an
approval profile may carry ``[accountability]`` rules in the same format.

- ``per = "each"``: every lapse of the kind brings the consequences;
- ``per = "case"``: the ``count``-th lapse of the kind on one case does, once per case;
- ``per = "window"``: ``count`` lapses or consequences of the kind within the
  profile's window (the calendar month, or the month up to the newest) do;
  each one counts towards one firing only.

Every consequence records the rule id, the profile version, when it arose
and its evidence: the case events (case id and sequence numbers) that caused
it, and the earlier consequences it was counted from. A rule fires at most
once for the same cause, so replaying the same appeal events changes nothing.

Inspectors and supervisors record what followed (约谈 held, 书面检查
received, referral made, 挂牌督办 opened and struck off 销号) on the same record.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.accountability.follow_up import ORDERS, REASON_LIMIT, follow_up_due
from domain.actors import Actor
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, ValidationFailed
from domain.profiles import CONSEQUENCES
from domain.vocabulary import FOLLOW_UP

_IDS = uuid5(NAMESPACE_URL, "urn:caseledger:unit-accountability")

# What inspectors and supervisors record, and which consequences each may answer.
ACTIONS = {
    "interview_held": (FOLLOW_UP["interview_held"], {"interview", "reminder_interview"}),
    "self_examination_received": (
        FOLLOW_UP["self_examination_received"],
        {"written_self_examination", "order_self_examination"},
    ),
    "referral_made": (FOLLOW_UP["referral_made"], None),  # may cite a consequence, or stand alone on a case
    "listed_supervision_opened": (FOLLOW_UP["listed_supervision_opened"], None),
    "listed_supervision_struck_off": (FOLLOW_UP["listed_supervision_struck_off"], None),
}


class UnitAccountability(Aggregate):
    TOPIC = "caseledger:UnitAccountability"

    class Event(Aggregate.Event):
        TOPIC = "caseledger:UnitAccountability.Event"

    @staticmethod
    def create_id(unit: str) -> UUID:
        return uuid5(_IDS, unit)

    @event("Opened", topic="caseledger:UnitAccountability.Opened")
    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.lapses: list[dict[str, Any]] = []
        self.consequences: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.supervisions: dict[str, dict[str, Any]] = {}

    # -- the process's side ------------------------------------------------------
    def note_lapse(
        self,
        kind: str,
        case_id: str,
        case_no: str,
        seq: int,
        at: datetime,
        evidence: list[dict[str, Any]],
        policy: dict[str, Any],
        detail: dict[str, Any],
        calendar: WorkingCalendar | None = None,
    ) -> None:
        """Notes a lapse once (a case event is never counted twice), then applies the rules. With the
        case's ``calendar``, a consequence the profile gives a follow-up period carries its due moment."""
        if any(lp["case_id"] == case_id and lp["seq"] == seq and lp["kind"] == kind for lp in self.lapses):
            return
        self._lapse_noted(kind, case_id, case_no, seq, at, evidence, policy["id"], policy["version"], detail)
        self._apply_rules(kind, self.lapses[-1], policy, calendar)

    def _apply_rules(
        self, trigger: str, item: dict[str, Any], policy: dict[str, Any], calendar: WorkingCalendar | None = None
    ) -> None:
        rules = (policy.get("accountability") or {}).get("rules", [])
        window = (policy.get("accountability") or {}).get("window", "calendar_month")
        for rule in rules:
            if rule["on"] != trigger:
                continue
            rule_id = f"{policy['id']}/{rule['id']}"
            counted = self._counted(trigger, item, rule, rule_id, window)
            if counted is None:
                continue
            cause = f"{rule_id}:" + ",".join(_ref(c) for c in counted)
            if any(c["cause"] == cause for c in self.consequences):
                continue
            evidence = merge_evidence(e for c in counted for e in c["evidence"])
            caused_by = [c["id"] for c in counted if "id" in c]
            for kind in rule["issue"]:
                self._issued(
                    consequence_id=f"{self.unit}-{len(self.consequences) + 1}",
                    kind=kind,
                    title=CONSEQUENCES[kind],
                    rule=rule_id,
                    rule_title=rule["title"],
                    source=rule["source"],
                    profile=policy["id"],
                    profile_version=policy["version"],
                    at=item["at"],
                    period=f"{item['at'].astimezone(SHANGHAI):%Y-%m}",
                    evidence=evidence,
                    caused_by=caused_by,
                    counted=[_ref(c) for c in counted],
                    cause=cause,
                    follow_up_due=follow_up_due(kind, item["at"], policy, calendar),
                )
                self._apply_rules(kind, self.consequences[-1], policy, calendar)

    def _counted(
        self, trigger: str, item: dict[str, Any], rule: dict[str, Any], rule_id: str, window: str
    ) -> list[dict[str, Any]] | None:
        """The items that make ``rule`` fire with ``item`` the newest, or None if it does not."""
        per, count = rule.get("per", "each"), rule.get("count", 1)
        # A rule counts only what happened under its own profile: a Zichuan lapse feeds no Suqian rule.
        pool = [
            p
            for p in (self.consequences if trigger in CONSEQUENCES else self.lapses)
            if p["kind"] == trigger and p["profile"] == item["profile"]
        ]
        if per == "each":
            return [item]
        if per == "case":
            same = [p for p in pool if p["case_id"] == item["case_id"]]
            return same[:count] if len(same) == count and same[-1] is item else None
        # per window: items not already counted by this rule, within the window that ends with ``item``
        used = {ref for c in self.consequences if c["rule"] == rule_id for ref in c["counted"]}
        start, end = _window(item["at"], window)
        fresh = [p for p in pool if _ref(p) not in used and start <= p["at"] <= end]
        return fresh[-count:] if len(fresh) >= count and item in fresh else None

    @event("LapseNoted", topic="caseledger:UnitAccountability.LapseNoted")
    def _lapse_noted(
        self,
        kind: str,
        case_id: str,
        case_no: str,
        seq: int,
        at: datetime,
        evidence: list[dict[str, Any]],
        profile: str,
        profile_version: int,
        detail: dict[str, Any],
    ) -> None:
        self.lapses.append(
            {
                "kind": kind,
                "case_id": case_id,
                "case_no": case_no,
                "seq": seq,
                "at": at,
                "evidence": evidence,
                "profile": profile,
                "profile_version": profile_version,
                "detail": detail,
            }
        )

    @event("ConsequenceIssued", topic="caseledger:UnitAccountability.ConsequenceIssued")
    def _issued(
        self,
        consequence_id: str,
        kind: str,
        title: str,
        rule: str,
        rule_title: str,
        source: str,
        profile: str,
        profile_version: int,
        at: datetime,
        period: str,
        evidence: list[dict[str, Any]],
        caused_by: list[str],
        counted: list[str],
        cause: str,
        follow_up_due: datetime | None = None,  # absent from the events of stores made before it
    ) -> None:
        self.consequences.append(
            {
                "id": consequence_id,
                "kind": kind,
                "title": title,
                "rule": rule,
                "rule_title": rule_title,
                "source": source,
                "profile": profile,
                "profile_version": profile_version,
                "at": at,
                "period": period,
                "evidence": evidence,
                "caused_by": caused_by,
                "counted": counted,
                "cause": cause,
                "follow_ups": [],
                "follow_up_due": follow_up_due,
            }
        )

    # -- an inspector's own consequence (视情) ----------------------------------------------
    def order_consequence(
        self,
        action: str,
        actor: Actor,
        at: datetime,
        reason: str | None,
        note: str | None,
        evidence: list[dict[str, Any]],
        policy: dict[str, Any] | None,
        calendar: WorkingCalendar | None,
        *,
        now: datetime | None = None,
    ) -> None:
        """Records a 通报批评 or a 约谈 an inspector decides on (004 item 十五: 视情), with its reason, as of
        ``at`` (never after ``now``), citing the cases of ``evidence`` if any (the process checks them).
        ``policy`` is the first cited case's: its follow-up period applies."""
        self.check_order(action, at, reason, note, now)
        kind, source = ORDERS[action]
        self._consequence_ordered(
            consequence_id=f"{self.unit}-{len(self.consequences) + 1}",
            kind=kind,
            title=CONSEQUENCES[kind],
            action=action,
            rule=action,
            rule_title=FOLLOW_UP[action],
            source=source,
            profile=policy["id"] if policy else None,
            profile_version=policy["version"] if policy else None,
            at=at,
            period=f"{at.astimezone(SHANGHAI):%Y-%m}",
            evidence=evidence,
            reason=cast(str, reason).strip(),
            note=(note or "").strip(),
            actor=actor.as_record(),
            follow_up_due=follow_up_due(kind, at, policy, calendar),
        )

    @staticmethod
    def check_order(action: str, at: datetime, reason: str | None, note: str | None, now: datetime | None) -> None:
        problems: dict[str, str] = {}
        zh: dict[str, str] = {}
        if action not in ORDERS:
            problems["action"], zh["action"] = f"one of {', '.join(ORDERS)}", "请选择视情作出的问责处理"
        if not reason or not reason.strip():
            problems["reason"], zh["reason"] = "say why (a reason is required)", "请填写作出该问责处理的理由"
        elif len(reason) > REASON_LIMIT:
            problems["reason"], zh["reason"] = f"at most {REASON_LIMIT} characters", f"理由不能超过 {REASON_LIMIT} 字"
        if note and len(note) > REASON_LIMIT:
            problems["note"], zh["note"] = f"at most {REASON_LIMIT} characters", f"处理情况不能超过 {REASON_LIMIT} 字"
        if now is not None and at > now:
            problems["occurred_at"], zh["occurred_at"] = "must not be in the future", "发生时间不能晚于当前时间"
        if problems:
            raise ValidationFailed(problems, zh=zh)

    @event("ConsequenceOrdered", topic="caseledger:UnitAccountability.ConsequenceOrdered")
    def _consequence_ordered(
        self,
        consequence_id: str,
        kind: str,
        title: str,
        action: str,
        rule: str,
        rule_title: str,
        source: str,
        profile: str | None,
        profile_version: int | None,
        at: datetime,
        period: str,
        evidence: list[dict[str, Any]],
        reason: str,
        note: str,
        actor: dict[str, Any],
        follow_up_due: datetime | None,
    ) -> None:
        self.consequences.append(
            {
                "id": consequence_id,
                "kind": kind,
                "title": title,
                "rule": rule,
                "rule_title": rule_title,
                "source": source,
                "profile": profile,
                "profile_version": profile_version,
                "at": at,
                "period": period,
                "evidence": evidence,
                "caused_by": [],
                "counted": [],
                "cause": f"{action}:{self.version}",
                "follow_ups": [],
                "follow_up_due": follow_up_due,
                "ordered_by": actor,
                "reason": reason,
                "note": note,
            }
        )

    # -- inspectors' and supervisors' side -----------------------------------------
    def record_action(
        self,
        action: str,
        actor: Actor,
        at: datetime,
        note: str | None,
        consequence: str | None = None,
        case_id: str | None = None,
        supervision: str | None = None,
        *,
        now: datetime | None = None,
    ) -> None:
        """Records what followed, as of ``at``: when it happened, never after ``now`` nor before the
        consequence it answers. Every problem is reported at once, each by its field, in the API's words
        and in the clerk's (``zh``)."""
        if action not in ACTIONS:
            raise ValidationFailed({"action": f"one of {', '.join(ACTIONS)}"}, zh={"action": "请选择后续处理的类型"})
        title, answers = ACTIONS[action]
        problems: dict[str, str] = {}
        zh: dict[str, str] = {}

        def problem(name: str, message: str, chinese: str) -> None:
            problems[name], zh[name] = message, chinese

        if consequence is not None:
            found = next((c for c in self.consequences if c["id"] == consequence), None)
            if found is None:
                problem(
                    "consequence", f"unit {self.unit} has no consequence {consequence!r}", "本单位没有所选的问责处理"
                )
            elif answers is not None and found["kind"] not in answers:
                problem(
                    "consequence",
                    f"{action} answers a {' or '.join(sorted(answers))}, not a {found['kind']}",
                    f"「{title}」只能对应{'或'.join(f'「{CONSEQUENCES[k]}」' for k in sorted(answers))}，"
                    f"所选的是「{CONSEQUENCES[found['kind']]}」",
                )
            elif any(f["action"] == action for f in found["follow_ups"]) and answers is not None:
                raise NotAllowedInState(
                    f"{action} is already recorded for {consequence}", f"该问责处理已记录过「{title}」，无需重复记录"
                )
            elif at < found["at"]:
                problem(
                    "occurred_at",
                    "must not be before the consequence it answers arose",
                    "发生时间不能早于所对应的问责处理作出的时间",
                )
        elif answers is not None:
            problem(
                "consequence",
                f"{action} must name the consequence it answers",
                f"请选择「{title}」所对应的问责处理",
            )
        if action == "listed_supervision_opened":
            if not case_id:
                problem("case_id", "挂牌督办 names the case it supervises", "挂牌督办须填写所督办案件的编号")
            elif any(s["case_id"] == case_id and s["struck_off_at"] is None for s in self.supervisions.values()):
                raise NotAllowedInState(
                    f"case {case_id} is already under listed supervision", "该案件已在挂牌督办中，尚未销号"
                )
            supervision = f"{self.unit}-S{len(self.supervisions) + 1}"
        elif action == "listed_supervision_struck_off":
            current = self.supervisions.get(supervision or "")
            if current is None:
                problem(
                    "supervision",
                    f"unit {self.unit} has no listed supervision {supervision!r}",
                    "请选择要销号的挂牌督办",
                )
            elif current["struck_off_at"] is not None:
                raise NotAllowedInState(
                    f"listed supervision {supervision} was already struck off (销号)", "该挂牌督办已经销号"
                )
            else:
                case_id = current["case_id"]
        if action == "referral_made" and not (consequence or case_id):
            problem(
                "case_id",
                "a referral names the case or the consequence it concerns",
                "移送须写明所涉案件的编号，或选择所对应的问责处理",
            )
        if now is not None and at > now:
            problem("occurred_at", "must not be in the future", "发生时间不能晚于当前时间")
        if not note or not note.strip():
            problem("note", "say what was done (a note is required)", "请填写处理情况")
        if problems:
            raise ValidationFailed(problems, zh=zh)
        assert note is not None  # no problem: a note is given
        self._action_recorded(action, title, consequence, case_id, supervision, note, actor.as_record(), at)

    @event("ActionRecorded", topic="caseledger:UnitAccountability.ActionRecorded")
    def _action_recorded(
        self,
        action: str,
        title: str,
        consequence: str | None,
        case_id: str | None,
        supervision: str | None,
        note: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        entry = {
            "seq": self.version + 1,
            "action": action,
            "title": title,
            "consequence": consequence,
            "case_id": case_id,
            "supervision": supervision,
            "note": note,
            "actor": actor,
            "at": at,
        }
        self.actions.append(entry)
        if consequence is not None:
            for c in self.consequences:
                if c["id"] == consequence:
                    c["follow_ups"].append(entry)
        # Both actions name the supervision (the command numbers a new one, and finds the one struck off).
        if action == "listed_supervision_opened":
            self.supervisions[cast(str, supervision)] = {
                "id": supervision,
                "case_id": case_id,
                "opened_at": at,
                "opened_by": actor,
                "note": note,
                "struck_off_at": None,
            }
        elif action == "listed_supervision_struck_off":
            self.supervisions[cast(str, supervision)]["struck_off_at"] = at


def actions_due(kind: str, recorded: Iterable[str]) -> list[str]:
    """What a consequence of ``kind`` still awaits: the actions that answer it (an interview held for a
    约谈, a self-examination received for a 书面检查) not yet among ``recorded``."""
    done = set(recorded)
    return [a for a, (_, answers) in ACTIONS.items() if answers is not None and kind in answers and a not in done]


def _ref(item: dict[str, Any]) -> str:
    """A stable name for a counted item: a consequence's id, or a lapse's case event."""
    return item["id"] if "id" in item else f"{item['case_id']}#{item['seq']}"


def merge_evidence(evidence: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for e in evidence:
        out.setdefault((e["case_id"], e["seq"]), e)
    return sorted(out.values(), key=lambda e: (e["case_id"], e["seq"]))


def _window(at: datetime, window: str) -> tuple[datetime, datetime]:
    """The window that ends with ``at``: its calendar month, or the month up to it (Asia/Shanghai)."""
    local = at.astimezone(SHANGHAI)
    if window == "calendar_month":
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return start, at
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    day = min(local.day, _calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day), at
