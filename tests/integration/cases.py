"""Helpers that drive an appeal through its lifecycle with backfilled 2026 times."""

from __future__ import annotations

from typing import Any

from domain.appeals.service import AppealService
from tests.conftest import PLATFORM, sh, unit_actor

_counter = iter(range(1, 10**9))


def open_case(appeals: AppealService, profile: str, at: str, **extra: Any):
    fields = dict(
        channel="12345",
        category="help",
        subject="用电报装迟迟未接通",
        content="企业反映新厂房低压接电申请已逾期未办。",
        enterprise={"name": "淄博某某机械有限公司"},
        profile=profile,
        external_ref=f"WO-{next(_counter)}-{id(appeals)}",
    )
    fields.update(extra)
    appeal, created = appeals.open(PLATFORM, occurred_at=sh(at), **fields)
    assert created
    return appeal


def forwarded_case(
    appeals: AppealService, profile: str, received: str, forwarded: str, unit: str = "DISTRICT-POWER", **extra: Any
):
    appeal = open_case(appeals, profile, received, **extra)
    return appeals.forward(appeal.id, PLATFORM, unit=unit, occurred_at=sh(forwarded))


def deadline(appeals: AppealService, appeal, name: str, now: str, round: int | None = None):
    states = [d for d in appeals.deadlines(appeal, now=sh(now)) if d.name == name]
    assert states, f"no deadline {name!r} on the case"
    return states[-1] if round is None else next(d for d in states if d.round == round)


def as_unit(unit: str):
    return unit_actor(unit)
