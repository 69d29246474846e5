"""The hotline's own acts on an appeal: the answer at first contact and the look-back.

首接负责 (004 item 六: 对于咨询类诉求，实行首接负责制，通过直接答复、三方连线、在线转接等方式第一时间
向企业进行答复): the platform answers a consultation as it comes in — directly, by a three-way call
with the unit that knows, or by handing the call over online — and the case is closed there
(DirectlyAnswered), never forwarded. Which categories may be answered so is the profile's
(``direct_answer``); a case keeps the profile it was opened under, so a case opened before a
profile said so may not be answered at first contact.

回头看 (004 item 六: 完善办结回访、回头看核查等工作制度; item 十四: 抽选部分企业开展满意度回头看): on a
closed case the platform, or a supervisor, records whether the solution holds (Rechecked). If it
does not, the case goes back to its lead unit to redo (重办, a Returned event like any other return,
so it counts as a lapse of the unit) with fresh clocks: each deadline a return would run on again from
its old start (``reopened_by``) starts over instead, since the unit's first period was met long ago.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.deadlines.clocks import Clock, start_clocks
from domain.errors import ValidationFailed

# How the platform answered at first contact (004 item 六: 直接答复、三方连线、在线转接).
DIRECT_METHODS = ("direct", "three_way_call", "transfer")
DIRECT_SOURCE = "004 item 六"
RECHECK_SOURCE = "004 items 六, 十四"


def direct_categories(policy: Mapping[str, Any]) -> frozenset[str]:
    """The categories the case's profile lets the platform answer at first contact (none if it says nothing)."""
    rule = policy.get("direct_answer") or {}
    return frozenset(rule.get("categories", ()))


def check_direct_answer(method: str, content: str) -> None:
    problems, zh = {}, {}
    if method not in DIRECT_METHODS:
        problems["method"] = f"one of {', '.join(DIRECT_METHODS)}"
        zh["method"] = "请选择答复方式：直接答复、三方连线或在线转接"
    if not content or not str(content).strip():
        problems["content"], zh["content"] = "say how the enterprise was answered", "请填写答复内容"
    if problems:
        raise ValidationFailed(problems, zh=zh)


def check_recheck(holds: Any, note: str, sampled: Any) -> None:
    problems, zh = {}, {}
    if not isinstance(holds, bool):
        problems["holds"] = "true (the solution holds) or false (it does not: the case is redone)"
        zh["holds"] = "请选择回头看结论：落实到位或未落实"
    if not isinstance(sampled, bool):
        problems["sampled"], zh["sampled"] = "true or false", "请选择是否为抽样回访"
    if not note or not str(note).strip():
        problems["note"], zh["note"] = "say what the look-back found", "请填写回头看情况"
    if problems:
        raise ValidationFailed(problems, zh=zh)


def restart_for_redo(
    clocks: list[Clock], rules: Sequence[Mapping[str, Any]], at: datetime, seq: int, unit: str | None
) -> None:
    """Fresh clocks for a redo after a failed look-back: each rule a return reopens (``reopened_by``) and
    does not itself start starts a new round now; the Returned event that follows starts the rest."""
    fresh = [
        {**rule, "starts_on": ["Rechecked"]}
        for rule in rules
        if "Returned" in rule.get("reopened_by", ()) and "Returned" not in rule["starts_on"]
    ]
    start_clocks(clocks, fresh, "Rechecked", at, seq, unit)
