"""The workspace's part of 首接负责 (直接答复) and 回头看 (domain.appeals.hotline): the two forms of a case
page, what the history shows of the two events, and the words of both for the reports' pages."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, RadioField, TextAreaField

from domain.appeals.hotline import direct_categories
from web.labels import DIRECT_METHOD, HOTLINE_COUNT, RECHECK_RESULT
from web.workspace.forms import CommandForm, FormInputError, _text, choices


class DirectAnswerForm(CommandForm):
    method = RadioField("答复方式", choices=choices(DIRECT_METHOD), validate_choice=False)
    content = TextAreaField("答复内容")

    def fields(self) -> dict[str, Any]:
        return {"method": self.method.data or "", "content": _text(self.content.data)}


class RecheckForm(CommandForm):
    holds = RadioField("回头看结论", choices=choices(RECHECK_RESULT), validate_choice=False)
    note = TextAreaField("回头看情况（未落实时作为退回重办的理由）")
    sampled = BooleanField("抽样回访")

    def fields(self) -> dict[str, Any]:
        if self.holds.data not in RECHECK_RESULT:
            raise FormInputError("holds", "请选择回头看结论：落实到位或未落实")
        return {"holds": self.holds.data == "true", "note": _text(self.note.data), "sampled": bool(self.sampled.data)}


def offered(action: str, case: Any) -> bool:
    """直接答复 is offered only on a case of a category the case's profile lets the platform answer so."""
    return action != "direct_answer" or case.category in direct_categories(case.policy)


# What the timeline shows of the two events' data (beside web.workspace.cases.DETAILS' own).
DETAILS = (("method", "答复方式"), ("holds", "回头看结论"), ("sampled", "抽样回访"))


def detail(key: str, value: Any) -> str:
    if key == "method":
        return DIRECT_METHOD.get(value, "其他方式")
    if key == "holds":
        return RECHECK_RESULT["true" if value else "false"]
    return "是" if value else "否"


def hotline_counts(figures: Any) -> list[tuple[str, int]]:
    """The platform's 即时办结 and 回头看 of a period as a report page lists them (label, count)."""
    return [(HOTLINE_COUNT[name], count) for name, count in figures.counts.items()]
