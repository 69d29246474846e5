"""The appeal application service (企业诉求): open a case, and each of its commands.

The rhythm every command follows (role, the unit's part, expected version,
backfill time, the aggregate's own checks, save), the deadline sweep and the
queries are the case service's (domain.cases.service).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import CanMutateAggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from domain.actors import Actor
from domain.appeals.aggregate import Appeal
from domain.cases.service import EARLIEST, CaseService, HistoryEntry
from domain.deadlines.periods import SHANGHAI
from domain.errors import ValidationFailed, VersionConflict
from domain.permissions import check_command_role
from domain.profiles import CATEGORIES, PolicyProfile
from domain.time_source import TimeSource, utc_now
from domain.vocabulary import CATEGORY

__all__ = ["AppealService", "EARLIEST", "HistoryEntry", "Opening", "TimeSource", "utc_now"]


@dataclass
class Opening:
    """What ``open_many`` made of one work order: ``created`` (``case``, saved), ``present`` (its
    channel + external_ref opened a case before; nothing recorded) or ``refused`` (``refusal``)."""

    case_id: UUID
    outcome: Literal["created", "present", "refused"]
    case: Appeal | None = None
    refusal: ValidationFailed | None = None


class AppealService(CaseService[Appeal]):
    """企业诉求 application: open, command, get (now or as of a moment), history."""

    aggregate = Appeal

    # -- commands -------------------------------------------------------------
    def open(
        self,
        actor: Actor,
        *,
        channel: str,
        category: str,
        subject: str,
        content: str,
        enterprise: dict[str, Any],
        profile: str,
        contact: dict[str, Any] | None = None,
        tier: str | None = None,
        external_ref: str | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[Appeal, bool]:
        """Received 受理. Returns the case and whether it was created now.

        The same ``channel`` + ``external_ref`` returns the existing case
        unchanged, so re-importing a work order never duplicates it.
        """
        check_command_role("open", actor)
        case_id = Appeal.create_id(channel, external_ref, actor.request.id if actor.request else None)
        existing = self._opened_before(case_id, external_ref, actor)
        if existing is not None:
            return existing, False
        appeal = self._received(
            actor,
            case_id,
            None,
            channel=channel,
            category=category,
            subject=subject,
            content=content,
            enterprise=enterprise,
            profile=profile,
            contact=contact,
            tier=tier,
            external_ref=external_ref,
            occurred_at=occurred_at,
        )
        try:
            self.save(appeal)
        except IntegrityError:
            if external_ref or actor.request:  # a concurrent import of the same work order, or retry, won
                return self._get(appeal.id), False
            raise
        return appeal, True

    def check_opening(self, actor: Actor, **fields: Any) -> None:
        """What ``open`` would refuse of these fields, every problem at once (``ValidationFailed``), recording
        nothing: for a form that lists its own problems beside the service's."""
        check_command_role("open", actor)
        self._received(actor, uuid4(), None, **fields)

    def open_many(self, actor: Actor, orders: Sequence[Mapping[str, Any]]) -> list[Opening]:
        """Received 受理 for many city work orders (市转办工单) at once, saved in one transaction.

        Each order carries ``open``'s fields, ``external_ref`` among them, and is judged as ``open``
        would judge it alone: a refused order is reported and records nothing, an order whose channel
        + ``external_ref`` already opened a case is reported present (re-import is idempotent:
        docs/work-order-import.md), as is the same work order given twice. The new cases are saved
        together, so a crash records all of them or none.
        """
        check_command_role("open", actor)
        outcomes: list[Opening] = []
        policies: dict[tuple[str, str | None], dict[str, Any]] = {}  # one per profile and tier, shared
        opening: set[UUID] = set()
        for order in orders:
            case_id = Appeal.create_id(order.get("channel"), order.get("external_ref"))
            if case_id in opening:  # the same work order twice: the second finds it opened, as open() would
                outcomes.append(Opening(case_id, "present"))
                continue
            try:
                if not order.get("external_ref"):
                    raise ValidationFailed(
                        {
                            "external_ref": "a work order needs its number to be imported "
                            "(it makes a re-import idempotent)"
                        },
                        zh={"external_ref": "请填写工单编号"},
                    )
                outcomes.append(Opening(case_id, "created", self._received(actor, case_id, policies, **order)))
                opening.add(case_id)
            except ValidationFailed as refusal:
                # As open() would answer: a case already opened for the reference is present, whatever the line says.
                present = order.get("external_ref") and self._find(case_id) is not None
                outcomes.append(
                    Opening(case_id, "present") if present else Opening(case_id, "refused", refusal=refusal)
                )
        self._save_new(outcomes)
        return outcomes

    def _save_new(self, outcomes: list[Opening]) -> None:
        """The created cases in one transaction. The unique (case, version) key refuses a case opened
        meanwhile, by an earlier run or a concurrent one: those are found, marked present, and the
        rest saved again — so the common case, a file of new work orders, costs no look-up at all."""
        # The events are collected once: a refused save has taken them from the cases already.
        pending: dict[UUID, Sequence[CanMutateAggregate[UUID]]] = {}
        for o in outcomes:
            if o.outcome == "created":
                assert o.case is not None  # a created outcome carries its new case
                pending[o.case_id] = o.case.collect_events()
        for _ in range(5):
            if not pending:
                return
            try:
                self._save_events([e for events in pending.values() for e in events])
                return
            except IntegrityError as conflict:
                opened = [
                    o for o in outcomes if o.case_id in pending and self.recorder.select_events(o.case_id, limit=1)
                ]
                if not opened:
                    raise  # not a case opened meanwhile: nothing to count present
                _forget(conflict)
                for o in opened:
                    o.outcome, o.case = "present", None
                    del pending[o.case_id]
        raise VersionConflict("the work orders kept being opened by another import meanwhile; import again")

    def _save_events(self, events: Sequence[DomainEventProtocol[UUID]]) -> None:
        """``save(*events)`` as the library saves (its recording, snapshots and notifications), less its
        check of each object given, whether an event or an aggregate: a runtime protocol check that
        costs about a sixth of an imported order's saving on CPython 3.11 — these are this service's
        own events, just collected."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.events.extend(events)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)

    def _received(
        self,
        actor: Actor,
        case_id: UUID,
        policies: dict[tuple[str, str | None], dict[str, Any]] | None,
        *,
        channel: str,
        category: str,
        subject: str,
        content: str,
        enterprise: dict[str, Any],
        profile: str,
        contact: dict[str, Any] | None = None,
        tier: str | None = None,
        external_ref: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Appeal:
        """The new case, unsaved, once its fields are judged (every problem at once).

        ``policies``: the case policies already made, by profile and tier, for cases opened together —
        a case never changes its policy, so they may share it."""
        problems: dict[str, str] = {}
        zh: dict[str, str] = {}  # the same problems in Chinese
        try:
            policy = self.profiles.get(profile)
            assert isinstance(policy, PolicyProfile)  # the catalogue gives a profile of the kind asked: "appeal"
        except KeyError:
            policy = None
            problems["profile"] = f"unknown policy profile {profile!r}; known: {', '.join(self.profiles.ids())}"
            zh["profile"] = "所选的适用规则不存在，请重新选择"
        if not channel:
            problems["channel"], zh["channel"] = "a channel code is required", "请填写诉求来源渠道"
        if policy is not None:
            if category not in policy.categories:
                problems["category"] = (
                    f"profile {policy.id} ({policy.source}) handles "
                    f"{', '.join(sorted(policy.categories))}, not {category!r}"
                )
                handled = "、".join(CATEGORY[c] for c in CATEGORIES if c in policy.categories)
                zh["category"] = f"本案适用的规则只受理{handled}类诉求，请重新选择诉求类别"
            if tier is not None and tier not in policy.tiers:
                problems["tier"] = (
                    f"profile {policy.id} has tiers {', '.join(policy.tiers)}"
                    if policy.tiers
                    else f"profile {policy.id} has no tiers"
                )
                zh["tier"] = (
                    "所选的办理分级不在本案适用的规则之中，请重新选择" if policy.tiers else "本案适用的规则不分办理分级"
                )
        if not subject or not subject.strip():
            problems["subject"], zh["subject"] = "a subject is required", "请填写诉求标题"
        if not content or not content.strip():
            problems["content"], zh["content"] = "the appeal's content is required", "请填写诉求内容"
        if not isinstance(enterprise, dict) or not str(enterprise.get("name") or "").strip():
            problems["enterprise.name"], zh["enterprise.name"] = "the enterprise's name is required", "请填写企业名称"
        occurred, occurred_zh = self._occurred_problems(actor, occurred_at)
        problems.update(occurred)
        zh.update(occurred_zh)
        if problems:
            raise ValidationFailed(problems, zh=zh)
        assert policy is not None  # else the unknown profile was a problem
        return Appeal(
            id=case_id,
            channel=channel,
            external_ref=external_ref,
            case_no=_case_no(occurred_at or self.clock(), case_id),
            category=category,
            subject=subject.strip(),
            content=content,
            enterprise=dict(enterprise),
            contact=dict(contact) if contact else None,
            policy=_case_policy(policy, policy.tier_for(tier, channel), policies),
            actor=actor.as_record(),
            occurred_at=occurred_at,
        )

    def forward(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        unit: str,
        co_units: list[str] | None = None,
        note: str | None = None,
        **opts: Any,
    ) -> Appeal:
        self._check_units(unit, co_units)

        def forward(a: Appeal, at: datetime | None) -> None:
            if a.handback_pending:  # "the platform then forwards again" (退单) is its ruling on the hand-back:
                calendar, now = self.calendars(a.policy["jurisdiction"]), at or self.clock()
                if a.handback and unit == a.handback["unit"]:  # back to the unit that asked: refused
                    a.rule_handback(False, note or "不同意退单", None, [], calendar, now, actor, at)
                else:  # to another unit: upheld, re-forwarded there (改派)
                    a.rule_handback(
                        True, note or "同意退单，改派", unit, list(co_units or []), calendar, now, actor, at
                    )
            else:
                a.forward(unit, list(co_units or []), note, actor, at)

        return self._run(case_id, actor, "forward", opts, forward)

    def _check_units(self, unit: str | None, co_units: list[str] | None) -> None:
        problems, zh = {}, {}
        if unit and not self.unit_exists(unit):
            problems["unit"], zh["unit"] = f"no active unit {unit!r}", f"承办单位{unit}不存在或已停用，请重新选择"
        strangers = [c for c in co_units or [] if not self.unit_exists(c)]
        if strangers:
            problems["co_units"] = f"no such units: {', '.join(strangers)}"
            zh["co_units"] = f"以下协办单位不存在或已停用，请重新选择：{'、'.join(strangers)}"
        if problems:
            raise ValidationFailed(problems, zh=zh)

    def acknowledge(self, case_id: UUID, actor: Actor, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "acknowledge", opts, lambda a, at: a.acknowledge(actor, at))

    def answer(self, case_id: UUID, actor: Actor, *, kind: str, content: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "answer", opts, lambda a, at: a.answer(kind, content, actor, at))

    def review(self, case_id: UUID, actor: Actor, *, accepted: bool, note: str | None = None, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "review", opts, lambda a, at: a.review(accepted, note, actor, at))

    def return_for_redo(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "return", opts, lambda a, at: a.return_for_redo(reason, actor, at))

    def escalate(
        self, case_id: UUID, actor: Actor, *, reason: str, level: int | str | None = None, **opts: Any
    ) -> Appeal:
        return self._run(case_id, actor, "escalate", opts, lambda a, at: a.escalate(level, reason, actor, at))

    def extend(self, case_id: UUID, actor: Actor, *, working_days: int, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "extend", opts, lambda a, at: a.extend(working_days, reason, actor, at))

    def request_handback(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "handback", opts, lambda a, at: a.request_handback(reason, actor, at))

    def rule_handback(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        upheld: bool,
        note: str,
        unit: str | None = None,
        co_units: list[str] | None = None,
        **opts: Any,
    ) -> Appeal:
        """派单异议审核 (domain.appeals.handback): the ruling on a pending hand-back, with 改派 to ``unit``."""
        self._check_units(unit, co_units)
        return self._run(
            case_id,
            actor,
            "rule_handback",
            opts,
            lambda a, at: a.rule_handback(
                upheld,
                note,
                unit,
                list(co_units or []),
                self.calendars(a.policy["jurisdiction"]),
                at or self.clock(),
                actor,
                at,
            ),
        )

    def give_co_opinion(self, case_id: UUID, actor: Actor, *, content: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "co_opinion", opts, lambda a, at: a.give_co_opinion(content, actor, at))

    def visit(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        satisfaction: str,
        solved: bool | None = None,
        note: str | None = None,
        **opts: Any,
    ) -> Appeal:
        return self._run(case_id, actor, "visit", opts, lambda a, at: a.visit(satisfaction, solved, note, actor, at))

    # -- 好差评 follow-through (domain.appeals.ratings) ------------------------------------------------
    def rectify(self, case_id: UUID, actor: Actor, *, content: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "rectify", opts, lambda a, at: a.rectify(content, actor, at))

    def contest_rating(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        return self._run(
            case_id,
            actor,
            "contest_rating",
            opts,
            lambda a, at: a.contest_rating(
                reason, self.calendars(a.policy["jurisdiction"]), at or self.clock(), actor, at
            ),
        )

    def adjudicate_rating(self, case_id: UUID, actor: Actor, *, upheld: bool, note: str, **opts: Any) -> Appeal:
        return self._run(
            case_id, actor, "adjudicate_rating", opts, lambda a, at: a.adjudicate_rating(upheld, note, actor, at)
        )

    # -- 首接负责 and 回头看 (domain.appeals.hotline) ------------------------------------------------------
    def direct_answer(self, case_id: UUID, actor: Actor, *, method: str, content: str, **opts: Any) -> Appeal:
        return self._run(
            case_id, actor, "direct_answer", opts, lambda a, at: a.answer_directly(method, content, actor, at)
        )

    def recheck(
        self, case_id: UUID, actor: Actor, *, holds: bool, note: str, sampled: bool = False, **opts: Any
    ) -> Appeal:
        return self._run(case_id, actor, "recheck", opts, lambda a, at: a.recheck(holds, note, sampled, actor, at))

    def close_case(self, case_id: UUID, actor: Actor, **opts: Any) -> Appeal:
        """Closed 办结 (``close`` is taken by the application's own shutdown)."""
        return self._run(case_id, actor, "close", opts, lambda a, at: a.close(actor, at))

    # -- 并单 (merging repeat appeals) --------------------------------------------------------
    def merge(self, case_id: UUID, actor: Actor, *, into: UUID | str, note: str | None = None, **opts: Any) -> Appeal:
        """MergedInto on this repeat appeal and RepeatMerged on ``into``, the case it repeats, saved together."""
        return self._run_pair(
            case_id,
            actor,
            "merge",
            opts,
            lambda a: self._merge_target(a, into),
            lambda a, into_case, at: a.merge_into(into_case, note, actor, at),
        )

    def unmerge(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        """Unmerged on this merged appeal and RepeatUnmerged on the case it had joined, saved together."""
        return self._run_pair(
            case_id,
            actor,
            "unmerge",
            opts,
            lambda a: self._get(a.merged_into["id"]) if a.merged_into else None,
            lambda a, joined, at: a.unmerge(joined, reason, actor, at),
        )

    # -- 联合办理 (004 item 六, domain.appeals.joint) ------------------------------------------------
    def mark_joint(self, case_id: UUID, actor: Actor, *, units: list[str], reason: str, **opts: Any) -> Appeal:
        """JointHandlingMarked: the case joins the joint-handling ledger, naming the units concerned."""
        self._check_units_exist(units, "units")
        return self._run(case_id, actor, "joint_handling", opts, lambda a, at: a.mark_joint(units, reason, actor, at))

    def hold_joint_meeting(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        held_on: Any,
        units: list[str],
        decision: str,
        lead_unit: str | None = None,
        **opts: Any,
    ) -> Appeal:
        """JointMeetingHeld, and with ``lead_unit`` the forward to it (Forwarded), saved together."""
        self._check_units_exist([*(units or []), *([lead_unit] if lead_unit else [])], "units")
        return self._run(
            case_id,
            actor,
            "joint_meeting",
            opts,
            lambda a, at: a.hold_joint_meeting(held_on, units, decision, lead_unit, self.clock(), actor, at),
        )

    def _check_units_exist(self, units: list[str] | None, field: str) -> None:
        strangers = [u for u in dict.fromkeys(units or []) if isinstance(u, str) and not self.unit_exists(u)]
        if strangers:
            raise ValidationFailed(
                {field: f"no such units: {', '.join(strangers)}"},
                zh={field: f"以下单位不存在或已停用，请重新选择：{'、'.join(strangers)}"},
            )

    def _merge_target(self, case: Appeal, into: UUID | str) -> Appeal:
        try:
            into_id = into if isinstance(into, UUID) else UUID(str(into))
        except ValueError:
            raise ValidationFailed({"into": "must be a case id"}, zh={"into": "并入案件的标识无效"}) from None
        target = self._find(into_id)
        if target is None:
            if self._load_or_none(into_id) is not None:
                raise ValidationFailed(
                    {"into": f"{into_id} is an approval (审批); an appeal joins appeals only"},
                    zh={"into": "目标是审批案件，诉求不能与审批并单"},
                )
            raise ValidationFailed({"into": f"no appeal {into_id}"}, zh={"into": "目标案件不存在"})
        return target

    def _run_pair(
        self,
        case_id: UUID,
        actor: Actor,
        command: str,
        opts: dict[str, Any],
        partner_of: Callable[[Appeal], Appeal | None],
        act: Callable[[Appeal, Appeal | None, datetime | None], None],
    ) -> Appeal:
        """The command rhythm (``_run``) for an act recorded on two cases: ``expected_version`` is the
        path case's, and both are saved in one transaction, each at the version it was read at, so a
        concurrent change to either refuses the whole act."""
        case, occurred_at, done = self._command_case(case_id, actor, command, opts)
        if done:
            return case
        partner = partner_of(case)
        act(case, partner, occurred_at)
        try:
            self.save(case, partner)
        except IntegrityError:
            raise VersionConflict(
                "the case or the case it is merged with was changed by another command meanwhile; reload and retry"
            ) from None
        return case


def _forget(exc: BaseException | None) -> None:
    """A refusal answered here leaves no cycle behind: the store's error chain holds frames that hold
    the error, and with them this service, which would then wait for the cyclic collector to be closed."""
    while exc is not None:
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


def _case_policy(
    profile: PolicyProfile, tier: str | None, made: dict[tuple[str, str | None], dict[str, Any]] | None
) -> dict[str, Any]:
    if made is None:
        return profile.case_policy(tier)
    key = (profile.id, tier)
    if key not in made:
        made[key] = profile.case_policy(tier)
    return made[key]


def _case_no(at: datetime, case_id: UUID) -> str:
    """A clerk-readable number (诉求编号): QY, the local receipt date, and the id's head."""
    day = at.astimezone(SHANGHAI)
    return f"QY{day.year:04d}{day.month:02d}{day.day:02d}-{case_id.hex[:8].upper()}"  # strftime costs an import dear
