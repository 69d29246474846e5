"""The approval application service (行政审批): submit an application, and each of its commands.

Approvals are recorded in the one case log, beside appeals (``store``); the
rhythm, the sweep and the queries are the case service's
(domain.cases.service). The profile and matter an application is submitted
under are copied into its first event, so a later edit of the profile never
changes its periods (docs/cases-and-approvals.md *Policy profiles*).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.actors import Actor
from domain.approvals.aggregate import Approval
from domain.approvals.profiles import ApprovalProfile
from domain.cases.service import CaseService
from domain.deadlines.periods import SHANGHAI
from domain.errors import ValidationFailed
from domain.permissions import check_command_role


class ApprovalService(CaseService[Approval]):
    """行政审批 application: submit, command, get (now or as of a moment), history."""

    aggregate = Approval

    def submit(
        self,
        actor: Actor,
        *,
        profile: str,
        matter: str,
        applicant: dict[str, Any],
        materials: list[str],
        departments: list[str],
        commitment: bool = False,
        channel: str | None = None,
        external_ref: str | None = None,
        occurred_at: datetime | None = None,
        check_only: bool = False,
    ) -> tuple[Approval, bool]:
        """Submitted 申请 (received at the window). Returns the application and whether it is new;
        the same ``channel`` + ``external_ref`` returns the existing one unchanged. ``check_only``:
        judged, every problem at once, and nothing recorded (``check_submission``)."""
        check_command_role("open", actor, self.kind)
        case_id = Approval.create_id(channel, external_ref, actor.request.id if actor.request is not None else None)
        existing = self._opened_before(case_id, external_ref, actor)
        if existing is not None:
            return existing, False
        problems: dict[str, str] = {}
        zh: dict[str, str] = {}  # the same problems in Chinese
        policy = None
        try:
            chosen = self.profiles.get(profile, kind="approval")
        except KeyError:
            chosen = None
            known = ", ".join(self.profiles.ids(kind="approval"))
            problems["profile"] = f"unknown approval profile {profile!r}; known: {known}"
            zh["profile"] = "所选的审批规则不存在，请重新选择"
        if not isinstance(applicant, dict) or not str(applicant.get("name") or "").strip():
            problems["applicant.name"], zh["applicant.name"] = "the applicant's name is required", "请填写申请人名称"
        if not isinstance(materials, list) or not all(isinstance(m, str) and m.strip() for m in materials):
            problems["materials"] = "a list of the materials handed in, each a non-empty text"
            zh["materials"] = "请逐项列出申请人提交的材料，每项不能为空"
        departments = list(departments or [])
        if not departments:
            problems["departments"] = "name at least one department that reviews the application"
            zh["departments"] = "请至少选择一个审查本申请的审批部门"
        elif len(set(departments)) != len(departments):
            problems["departments"], zh["departments"] = "each department once", "同一审批部门不能重复选择"
        else:
            strangers = [d for d in departments if not self.unit_exists(d)]
            if strangers:
                problems["departments"] = f"no such active units: {', '.join(strangers)}"
                zh["departments"] = f"以下审批部门不存在或已停用，请重新选择：{'、'.join(strangers)}"
        if chosen is not None and "profile" not in problems and "departments" not in problems:
            assert isinstance(chosen, ApprovalProfile)  # a profile of the kind asked for
            try:
                policy = chosen.case_policy(matter, departments, bool(commitment))
            except ValidationFailed as refused:
                problems.update(refused.fields)
                zh.update(refused.zh)
        occurred, occurred_zh = self._occurred_problems(actor, occurred_at)
        problems.update(occurred)
        zh.update(occurred_zh)
        if problems:
            raise ValidationFailed(problems, zh=zh)
        assert policy is not None  # no problem: the profile gave the application's policy
        approval = Approval(
            id=case_id,
            case_no=_case_no(occurred_at or self.clock(), case_id),
            channel=channel,
            external_ref=external_ref,
            matter=matter,
            applicant=dict(applicant),
            materials=[m.strip() for m in materials],
            departments=departments,
            commitment=bool(commitment),
            policy=policy,
            actor=actor.as_record(),
            occurred_at=occurred_at,
        )
        if check_only:  # judged, not recorded: the new application is dropped
            return approval, False
        try:
            self.save(approval)
        except IntegrityError:
            if external_ref or actor.request:  # a concurrent submission of the same reference, or retry, won
                return self._get(approval.id), False
            raise
        return approval, True

    def check_submission(self, actor: Actor, **fields: Any) -> None:
        """What ``submit`` would refuse of these fields, every problem at once (``ValidationFailed``),
        recording nothing: for a form that lists its own problems beside the service's."""
        self.submit(actor, **fields, check_only=True)

    def request_materials(
        self, case_id: UUID, actor: Actor, *, missing: list[str], note: str | None = None, **opts: Any
    ) -> Approval:
        return self._run(
            case_id, actor, "request_materials", opts, lambda a, at: a.request_materials(missing, note, actor, at)
        )

    def supply_materials(self, case_id: UUID, actor: Actor, *, materials: list[str], **opts: Any) -> Approval:
        return self._run(
            case_id, actor, "supply_materials", opts, lambda a, at: a.supply_materials(materials, actor, at)
        )

    def accept(self, case_id: UUID, actor: Actor, *, note: str | None = None, **opts: Any) -> Approval:
        return self._run(case_id, actor, "accept", opts, lambda a, at: a.accept(note, actor, at))

    def refuse(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Approval:
        return self._run(case_id, actor, "refuse", opts, lambda a, at: a.refuse(reason, actor, at))

    def forward(self, case_id: UUID, actor: Actor, *, departments: list[str] | None = None, **opts: Any) -> Approval:
        strangers = [d for d in departments or [] if not self.unit_exists(d)]
        if strangers:
            raise ValidationFailed(
                {"departments": f"no such active units: {', '.join(strangers)}"},
                zh={"departments": f"以下审批部门不存在或已停用，请重新选择：{'、'.join(strangers)}"},
            )
        return self._run(case_id, actor, "forward", opts, lambda a, at: a.forward(departments, actor, at))

    def answer(
        self, case_id: UUID, actor: Actor, *, department: str, decision: str, opinion: str, **opts: Any
    ) -> Approval:
        return self._run(
            case_id, actor, "answer", opts, lambda a, at: a.answer(department, decision, opinion, actor, at)
        )

    def return_opinion(self, case_id: UUID, actor: Actor, *, department: str, reason: str, **opts: Any) -> Approval:
        return self._run(case_id, actor, "return", opts, lambda a, at: a.return_opinion(department, reason, actor, at))

    def pause(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        reason: str,
        expected_working_days: int,
        note: str | None = None,
        **opts: Any,
    ) -> Approval:
        return self._run(
            case_id,
            actor,
            "pause",
            opts,
            lambda a, at: a.pause(
                reason,
                expected_working_days,
                note,
                self.calendars(a.policy["jurisdiction"]),
                at or self.clock(),
                actor,
                at,
            ),
        )

    def resume(self, case_id: UUID, actor: Actor, *, note: str | None = None, **opts: Any) -> Approval:
        return self._run(case_id, actor, "resume", opts, lambda a, at: a.resume(note, actor, at))

    def extend(self, case_id: UUID, actor: Actor, *, working_days: int, reason: str, **opts: Any) -> Approval:
        return self._run(case_id, actor, "extend", opts, lambda a, at: a.extend(working_days, reason, actor, at))

    def escalate(
        self, case_id: UUID, actor: Actor, *, reason: str, level: int | str | None = None, **opts: Any
    ) -> Approval:
        return self._run(case_id, actor, "escalate", opts, lambda a, at: a.escalate(level, reason, actor, at))

    def decide(self, case_id: UUID, actor: Actor, *, decision: str, reason: str, **opts: Any) -> Approval:
        return self._run(case_id, actor, "decide", opts, lambda a, at: a.decide(decision, reason, actor, at))

    def deliver(self, case_id: UUID, actor: Actor, *, note: str | None = None, **opts: Any) -> Approval:
        return self._run(case_id, actor, "deliver", opts, lambda a, at: a.deliver(note, actor, at))

    def revoke(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Approval:
        return self._run(case_id, actor, "revoke", opts, lambda a, at: a.revoke(reason, actor, at))

    def withdraw(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Approval:
        return self._run(case_id, actor, "withdraw", opts, lambda a, at: a.withdraw(reason, actor, at))


def _case_no(at: datetime, case_id: UUID) -> str:
    """A clerk-readable number (审批编号): SP, the local receipt date, and the id's head."""
    return f"SP{at.astimezone(SHANGHAI):%Y%m%d}-{case_id.hex[:8].upper()}"
