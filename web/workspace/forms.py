"""The workspace's forms (Flask-WTF): each carries its CSRF token and reads its fields, nothing more.

A form here only turns what was posted into a command's arguments: text stays text, a number is
read as a number. Whether a text may be empty, a number is in range or a choice is allowed now is
the command's to say (domain), in the same words for the form as for the API.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3's; not in types-WTForms yet

from web.labels import ANSWER_KIND, DECISION, PAUSE_REASON, SATISFACTION


class FormInputError(ValueError):
    """A posted value that is not of the field's kind (a word where a number belongs)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def choices(names: dict[str, str] | list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in (names.items() if isinstance(names, dict) else names)]


class LoginForm(FlaskForm):
    username = StringField(
        "用户名", render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
    )
    password = PasswordField("密码", render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class CommandForm(FlaskForm):
    """Every action form: the case version the page showed, so an act on a stale page is refused."""

    expected_version = HiddenField()

    def arguments(self) -> dict[str, Any]:
        """The command's keyword arguments; ``FormInputError`` for a value of the wrong kind."""
        args = self.fields()
        if self.expected_version.data:
            try:
                args["expected_version"] = int(self.expected_version.data)
            except ValueError:
                raise FormInputError("expected_version", "页面已过期，请刷新后重试") from None
        return args

    def fields(self) -> dict[str, Any]:
        return {}


def _text(value: str | None) -> str:
    return value or ""


def _working_days(field) -> int:
    """A number of working days as typed; left empty, 0 (the command says what it must be)."""
    text = (field.data or "").strip()
    if text and not text.isdigit():
        raise FormInputError(field.name, "请填写整数（工作日数）")
    return int(text) if text else 0


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value else None


class AnswerForm(CommandForm):
    kind = RadioField("答复类型", choices=choices(ANSWER_KIND), validate_choice=False)
    content = TextAreaField("答复内容")

    def fields(self):
        return {"kind": self.kind.data or "", "content": _text(self.content.data)}


class ExtendForm(CommandForm):
    # The choices name the due time each number of working days leads to (set by the case page).
    working_days = SelectField("延期工作日数", choices=[], validate_choice=False)
    reason = TextAreaField("延期理由")

    def fields(self):
        return {"working_days": _working_days(self.working_days), "reason": _text(self.reason.data)}


class ReasonForm(CommandForm):
    reason = TextAreaField("理由")

    def fields(self):
        return {"reason": _text(self.reason.data)}


class ContentForm(CommandForm):
    content = TextAreaField("协办意见")

    def fields(self):
        return {"content": _text(self.content.data)}


class NoteForm(CommandForm):
    note = TextAreaField("备注（可不填）")

    def fields(self):
        return {"note": _optional(self.note.data)}


class ForwardForm(CommandForm):
    unit = SelectField("承办单位", validate_choice=False)
    co_units = SelectMultipleField("协办单位（可多选，可不选）", validate_choice=False)
    note = TextAreaField("转办意见（可不填）")

    def fields(self):
        return {
            "unit": self.unit.data or "",
            "co_units": [c for c in self.co_units.data or [] if c],
            "note": _optional(self.note.data),
        }


class ReviewForm(CommandForm):
    accepted = RadioField(
        "审核结果", choices=choices([("yes", "通过"), ("no", "不通过，退回重办")]), validate_choice=False
    )
    note = TextAreaField("审核意见（不通过时作为退回理由）")

    def fields(self):
        if self.accepted.data not in ("yes", "no"):
            raise FormInputError("accepted", "请选择审核结果")
        return {"accepted": self.accepted.data == "yes", "note": _optional(self.note.data)}


class VisitForm(CommandForm):
    satisfaction = RadioField("满意度", choices=choices(SATISFACTION), validate_choice=False)
    solved = RadioField(
        "诉求是否解决",
        choices=choices([("yes", "已解决"), ("no", "未解决"), ("", "未说明")]),
        validate_choice=False,
        default="",
    )
    note = TextAreaField("回访记录（可不填）")

    def fields(self):
        solved = {"yes": True, "no": False}.get(self.solved.data or "")
        return {"satisfaction": self.satisfaction.data or "", "solved": solved, "note": _optional(self.note.data)}


class AdjudicateRatingForm(CommandForm):
    upheld = RadioField(
        "复核结论", choices=choices([("yes", "申诉成立（撤销差评）"), ("no", "维持原评价")]), validate_choice=False
    )
    note = TextAreaField("复核意见")

    def fields(self):
        if self.upheld.data not in ("yes", "no"):
            raise FormInputError("upheld", "请选择复核结论：申诉成立或维持原评价")
        return {"upheld": self.upheld.data == "yes", "note": _text(self.note.data)}


class EscalateForm(CommandForm):
    reason = TextAreaField("督办理由")

    def fields(self):
        return {"reason": _text(self.reason.data)}


# -- approvals (审批) ---------------------------------------------------------------------------
class DepartmentAnswerForm(CommandForm):
    decision = RadioField("审查结论", choices=choices(DECISION), validate_choice=False)
    opinion = TextAreaField("审查意见")

    def __init__(self, *args: Any, department: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.department = department

    def fields(self):
        return {
            "department": self.department or "",
            "decision": self.decision.data or "",
            "opinion": _text(self.opinion.data),
        }


class DecideForm(CommandForm):
    decision = RadioField(
        "决定", choices=choices([("approve", "准予许可"), ("reject", "不予许可")]), validate_choice=False
    )
    reason = TextAreaField("决定理由")

    def fields(self):
        return {"decision": self.decision.data or "", "reason": _text(self.reason.data)}


class ForwardApprovalForm(CommandForm):
    def fields(self):
        return {"departments": None}  # the departments the application names


class ReturnOpinionForm(CommandForm):
    department = SelectField("审批部门", validate_choice=False)
    reason = TextAreaField("退回理由")

    def fields(self):
        return {"department": self.department.data or "", "reason": _text(self.reason.data)}


class PauseForm(CommandForm):
    reason = SelectField(
        "中止计时事由（行政许可法第四十五条）",
        choices=choices([("", "请选择"), *PAUSE_REASON.items()]),
        validate_choice=False,
    )
    expected_working_days = StringField("预计所需工作日数", render_kw={"inputmode": "numeric"})
    note = TextAreaField("备注（可不填）")

    def fields(self):
        return {
            "reason": self.reason.data or "",
            "expected_working_days": _working_days(self.expected_working_days),
            "note": _optional(self.note.data),
        }


class SignOutForm(FlaskForm):
    """退出: a form, so that no other site can sign a user out."""
