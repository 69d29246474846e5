"""The workspace's forms (Flask-WTF): each carries its CSRF token and reads its fields, nothing more.

A form here only turns what was posted into a command's arguments: text stays text, a number is
read as a number. Whether a text may be empty, a number is in range or a choice is allowed now is
the command's to say (domain), in the same words for the form as for the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask_wtf import FlaskForm
from marshmallow import validate
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3's; not in types-WTForms yet

from domain.errors import ValidationFailed
from web.api.schemas.approvals import RequestMaterialsSchema, SupplyMaterialsSchema
from web.api.schemas.common import MergeSchema, ReasonSchema
from web.api.schemas.messages import flatten
from web.labels import ANSWER_KIND, CATEGORY, CHANNEL, DECISION, FIELD, PAUSE_REASON, REPEAT_REASON, SATISFACTION
from web.workspace.lookups import appeal_id_of


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

    def prepare(self, case: Any) -> None:
        """The choices and defaults the case offers this form as the page shows it (none, unless said)."""

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


# -- the API's own schema, in the clerk's words ----------------------------------------------------
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def schema_problems(
    schema: ma.Schema, data: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every problem the API's schema for the same command finds in ``data`` (the body the form makes),
    by the field's path (``enterprise.name``; an item of a list by the list's), in Chinese: the same
    checks as the API's, worded from the field's own validators (``labels``, else web.labels.FIELD,
    names the field)."""
    try:
        schema.load(data)
    except ma.ValidationError as refused:
        problems: dict[str, str] = {}
        for path in flatten(refused.messages):
            key, message = _problem(schema, data, path.split("."), {**FIELD, **(labels or {})})
            problems[key] = f"{problems[key]}；{message}" if key in problems else message
        return problems
    return {}


def _problem(
    schema: ma.Schema, data: Mapping[str, Any], parts: list[str], labels: Mapping[str, str]
) -> tuple[str, str]:
    """The path (without a list's item number) and the message of one problem the schema found."""
    field: Any = None
    value: Any = data
    path: list[str] = []
    item: int | None = None
    fields = schema.fields
    for part in parts:
        if field is not None and isinstance(field, ma.fields.List) and part.isdigit():
            item, field = int(part), field.inner
            value = value[item] if isinstance(value, list) and item < len(value) else None
            continue
        if part not in fields:
            break
        field, path = fields[part], [*path, part]
        value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(field, ma.fields.Nested):
            fields = field.schema.fields
    key = ".".join(path) or "_schema"
    label = labels.get(key, "提交的内容")
    if item is not None:
        label = f"{label}第{item + 1}项"
    return key, _message(field, value, label)


def _message(field: Any, value: Any, label: str) -> str:
    validators = getattr(field, "validators", [])
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return f"{label}含有无法保存的字符，请删除后重新填写"
    for v in validators:
        if isinstance(v, validate.OneOf) and value not in v.choices:
            return f"请选择{label}"
    if value is None or value == "" or value == []:
        return f"请填写{label}"
    for v in validators:
        if isinstance(v, validate.Length) and hasattr(value, "__len__"):
            many = isinstance(value, list)
            if v.max is not None and len(value) > v.max:
                return f"{label}最多{v.max}项" if many else f"{label}不能超过{v.max}个字"
            if v.min is not None and len(value) < v.min:
                return f"{label}至少{v.min}项" if many else f"请填写{label}"
    return f"{label}填写有误"


def _lines(text: str | None) -> list[str]:
    """A list typed one item a line: each line's text, blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _checked(schema: ma.Schema, args: dict[str, Any]) -> dict[str, Any]:
    """The command's arguments, once the API's schema for it finds nothing wrong (else every problem at once)."""
    problems = schema_problems(schema, args)
    if problems:
        raise ValidationFailed(problems, zh=problems)
    return args


# -- 并单 (merging a repeat appeal into the case it repeats) ----------------------------------------
class MergeForm(CommandForm):
    into = RadioField("本诉求重复的案件（系统提示的疑似重复诉求）", validate_choice=False)
    into_case_no = StringField("或填写其他诉求的编号（填写后以此为准）")
    note = TextAreaField("并单说明（可不填）")

    def prepare(self, case: Any) -> None:
        """The likely repeats the API suggests (domain.appeals.repeats), each by number, subject and why."""
        from web.api.appeals import suggested_repeats  # the API's own suggestions, as GET /api/appeals/{id} has them

        suggestions = suggested_repeats(case) if "into" in self._fields else []
        if not suggestions:
            if "into" in self._fields:
                del self.into  # nothing to suggest: the number alone
            self.into_case_no.label.text = "本诉求重复的案件的编号（暂无系统提示的疑似重复诉求）"
            return
        self.into.choices = choices(
            [
                (
                    s["id"],
                    f"{s['case_no']}「{s['subject']}」{s['enterprise']}，"
                    f"{s['received_at'][:16].replace('T', ' ')}受理；{REPEAT_REASON.get(s['reason'], '')}",
                )
                for s in suggestions
            ]
        )

    def fields(self):
        number = (self.into_case_no.data or "").strip()
        if number:
            into = appeal_id_of(number)
            if into is None:
                raise FormInputError("into_case_no", f"没有编号为 {number} 的诉求，请核对编号")
        else:
            into = (self.into.data if "into" in self._fields else None) or ""
            if not into:  # said beside the number, the one field the form always has
                raise FormInputError("into_case_no", "请选择本诉求重复的案件，或填写其编号")
        return _checked(MergeSchema(), {"into": into, "note": _optional(self.note.data)})


class UnmergeForm(CommandForm):
    reason = TextAreaField("撤销并单的理由")

    def fields(self):
        return _checked(ReasonSchema(), {"reason": _text(self.reason.data)})


# -- 一次性告知 and 补正 (approvals) ---------------------------------------------------------------
class RequestMaterialsForm(CommandForm):
    missing = TextAreaField("需补正的全部材料（每行一项，一次列全）")
    note = TextAreaField("告知说明（可不填）")

    def fields(self):
        return _checked(
            RequestMaterialsSchema(), {"missing": _lines(self.missing.data), "note": _optional(self.note.data)}
        )


class SupplyMaterialsForm(CommandForm):
    materials = TextAreaField("申请人补正的材料（每行一项）")

    def prepare(self, case: Any) -> None:
        """The materials told missing, one a line, as the clerk most often records them all supplied."""
        if not (self.materials.data or "").strip():
            self.materials.data = "\n".join(getattr(case, "missing", None) or [])

    def fields(self):
        return _checked(SupplyMaterialsSchema(), {"materials": _lines(self.materials.data)})


# -- 登记诉求 and 受理申请: a new case -----------------------------------------------------------
CHANNEL_CHOICES = [("", "请选择"), *CHANNEL.items()]
CATEGORY_CHOICES = list(CATEGORY.items())


def _nonblank(**values: str | None) -> dict[str, str]:
    """The values given, stripped; blank ones left out (an optional field left empty is not sent)."""
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


class NewAppealForm(FlaskForm):
    """登记诉求: the body of ``POST /api/appeals``, field by field."""

    channel = SelectField("来源渠道", choices=choices(CHANNEL_CHOICES), validate_choice=False)
    category = RadioField("诉求类别", choices=choices(CATEGORY_CHOICES), validate_choice=False)
    subject = StringField("诉求标题")
    content = TextAreaField("诉求内容")
    enterprise_name = StringField("企业名称")
    credit_code = StringField("统一社会信用代码（可不填）")
    contact_name = StringField("联系人（可不填）")
    contact_phone = StringField("联系电话（可不填）")
    profile = SelectField("适用规则", validate_choice=False)
    tier = SelectField("办理时限类别（所选规则分类别时选择；不选则按来源渠道或规则默认）", validate_choice=False)
    external_ref = StringField("工单编号（可不填；同一渠道的同一工单只登记一次）")

    LABELS = {"content": "诉求内容"}  # the names web.labels.FIELD gives more generally
    # The body's paths that are not the form's field names.
    PATHS = {
        "enterprise.name": "enterprise_name",
        "enterprise.credit_code": "credit_code",
        "contact.name": "contact_name",
        "contact.phone": "contact_phone",
        "contact": "contact_name",
        "enterprise": "enterprise_name",
    }

    def body(self) -> dict[str, Any]:
        enterprise: dict[str, Any] = {"name": self.enterprise_name.data or ""}
        enterprise.update(_nonblank(credit_code=self.credit_code.data))
        contact = _nonblank(name=self.contact_name.data, phone=self.contact_phone.data)
        body: dict[str, Any] = {
            "channel": self.channel.data or "",
            "category": self.category.data or "",
            "subject": self.subject.data or "",
            "content": self.content.data or "",
            "enterprise": enterprise,
            "profile": self.profile.data or "",
        }
        if contact:
            body["contact"] = contact
        body.update(_nonblank(tier=self.tier.data, external_ref=self.external_ref.data))
        return body


class NewApprovalForm(FlaskForm):
    """受理申请: the body of ``POST /api/approvals``, field by field."""

    profile = SelectField("适用规则", validate_choice=False)
    matter = SelectField("审批事项（须为所选规则中的事项）", validate_choice=False)
    applicant_name = StringField("申请人名称")
    credit_code = StringField("统一社会信用代码（可不填）")
    contact_name = StringField("联系人（可不填）")
    contact_phone = StringField("联系电话（可不填）")
    materials = TextAreaField("已提交的材料（每行一项）")
    departments = SelectMultipleField("审批部门（可多选）", validate_choice=False)
    commitment = BooleanField("按告知承诺制办理（仅限允许告知承诺的事项）")
    channel = SelectField(
        "申请渠道（可不填）", choices=choices([("", "不填"), *CHANNEL.items()]), validate_choice=False
    )
    external_ref = StringField("申请编号（可不填；同一渠道的同一编号只受理一次）")

    LABELS: dict[str, str] = {}
    PATHS = {
        "applicant.name": "applicant_name",
        "applicant.credit_code": "credit_code",
        "applicant.contact.name": "contact_name",
        "applicant.contact.phone": "contact_phone",
        "applicant.contact": "contact_name",
        "applicant": "applicant_name",
    }

    def body(self) -> dict[str, Any]:
        applicant: dict[str, Any] = {"name": self.applicant_name.data or ""}
        applicant.update(_nonblank(credit_code=self.credit_code.data))
        contact = _nonblank(name=self.contact_name.data, phone=self.contact_phone.data)
        if contact:
            applicant["contact"] = contact
        body: dict[str, Any] = {
            "profile": self.profile.data or "",
            "matter": self.matter.data or "",
            "applicant": applicant,
            "materials": _lines(self.materials.data),
            "departments": [d for d in self.departments.data or [] if d],
            "commitment": bool(self.commitment.data),
        }
        body.update(_nonblank(channel=self.channel.data, external_ref=self.external_ref.data))
        return body


class SweepForm(FlaskForm):
    """执行: the deadline sweep, run now (the CSRF token is all it carries)."""


class SignOutForm(FlaskForm):
    """退出: a form, so that no other site can sign a user out."""


class RuleHandbackForm(ForwardForm):
    """退单审核 (派单异议审核): the platform's ruling on a pending hand-back, with 改派 to a unit chosen from the list."""

    upheld = RadioField("审核结论", choices=choices([("yes", "同意退单"), ("no", "不同意退单")]), validate_choice=False)
    note = TextAreaField("审核意见")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit.label.text = "改派承办单位（同意退单时可选；不选则退回平台待转办）"
        self.co_units.label.text = "改派协办单位（可多选，可不选）"

    def fields(self):
        if self.upheld.data not in ("yes", "no"):
            raise FormInputError("upheld", "请选择审核结论：同意退单或不同意退单")
        return {
            "upheld": self.upheld.data == "yes",
            "note": _text(self.note.data),
            "unit": self.unit.data or None,
            "co_units": [c for c in self.co_units.data or [] if c],
        }
