"""The appeal application service (企业诉求): open a case, and each of its commands.

The rhythm every command follows (role, the unit's part, expected version,
backfill time, the aggregate's own checks, save), the deadline sweep and the
queries are the case service's (domain.case_service).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.actors import Actor
from domain.appeal import Appeal
from domain.case_service import EARLIEST, CaseService, Clock, HistoryEntry, utc_now
from domain.deadlines import SHANGHAI
from domain.errors import ValidationFailed
from domain.permissions import check_command_role

__all__ = ["AppealService", "Clock", "EARLIEST", "HistoryEntry", "utc_now"]


class AppealService(CaseService):
    """企业诉求 application: open, command, get (now or as of a moment), history."""

    aggregate = Appeal

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
        existing = self._opened_before(case_id, external_ref, actor)
        if existing is not None:
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

    # -- 好差评 follow-through (domain.ratings) ------------------------------------------------
    def rectify(self, case_id: UUID, actor: Actor, *, content: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "rectify", opts, lambda a, at: a.rectify(content, actor, at))

    def contest_rating(self, case_id: UUID, actor: Actor, *, reason: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "contest_rating", opts, lambda a, at: a.contest_rating(
            reason, self.calendars(a.policy["jurisdiction"]), at or self.clock(), actor, at))

    def adjudicate_rating(self, case_id: UUID, actor: Actor, *, upheld: bool, note: str, **opts: Any) -> Appeal:
        return self._run(case_id, actor, "adjudicate_rating", opts,
                         lambda a, at: a.adjudicate_rating(upheld, note, actor, at))

    def close_case(self, case_id: UUID, actor: Actor, **opts: Any) -> Appeal:
        """Closed 办结 (``close`` is taken by the application's own shutdown)."""
        return self._run(case_id, actor, "close", opts, lambda a, at: a.close(actor, at))


def _case_no(at: datetime, case_id: UUID) -> str:
    """A clerk-readable number (诉求编号): QY, the local receipt date, and the id's head."""
    return f"QY{at.astimezone(SHANGHAI):%Y%m%d}-{case_id.hex[:8].upper()}"
