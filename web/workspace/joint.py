"""联合办理 in the workspace (004 item 六): the platform's two forms on a case page, and the joint-handling
ledger (联合办理台账, ``/joint``), the list of every case marked, for the platform and those who supervise.

The forms post to the API's paths (``…/{id}/joint-handling`` and ``…/{id}/joint-meeting``) through the case
pages' one route (web.workspace.cases), which makes the service call the API makes; units are chosen by
name. The ledger reads the case list (its joint flag and what it keeps of each marking and meeting).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request, url_for
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField

from domain.errors import ValidationFailed
from domain.permissions import READS
from projections.cases.case_list import CaseListQuery
from web.api.schemas.joint import JointHandlingSchema, JointMeetingSchema
from web.labels import status_name
from web.workspace.forms import CommandForm, FormInputError, _checked, _optional, _text, choices, schema_problems
from web.workspace.pages import bp, container, for_roles, unit_name, unit_names

# Where 004 gives no number for 限时办结 and the case's rules set none.
NO_TIME_LIMIT = "文件未规定具体时限，时限由本地配置确定；本案适用的规则未设定联合办理时限"
PER_PAGE = 50
# The meeting form's fields as the error summary names them (``decision`` is elsewhere a reviewer's 审查结论).
MEETING_LABELS = {"held_on": "会议日期", "units": "参会单位", "decision": "会议议定事项", "lead_unit": "牵头单位"}


class JointHandlingForm(CommandForm):
    units = SelectMultipleField("相关单位（责任不明或职责交叉的单位，至少选择两个）", validate_choice=False)
    reason = TextAreaField("列入联合办理的理由")

    def prepare(self, case: Any) -> None:
        self.units.choices = choices(sorted(unit_names().items(), key=lambda item: item[1]))

    def fields(self):
        units = [u for u in self.units.data or [] if u]
        return _checked(JointHandlingSchema(), {"units": units, "reason": _text(self.reason.data)})


class JointMeetingForm(CommandForm):
    held_on = StringField("会议日期（年-月-日，如 2026-11-05）")
    units = SelectMultipleField("参会单位（至少两个）", validate_choice=False)
    decision = TextAreaField("会议议定事项")
    lead_unit = SelectField(
        "议定的牵头单位（选定后本案转该单位办理，其他参会单位协办；未议定可不选）", validate_choice=False
    )

    def prepare(self, case: Any) -> None:
        names = sorted(unit_names().items(), key=lambda item: item[1])
        self.units.choices = choices(names)
        self.lead_unit.choices = choices([("", "暂未议定"), *names])
        joint = getattr(case, "joint", None)
        if joint and not self.units.data:
            self.units.data = list(joint["units"])

    def fields(self):
        text = (self.held_on.data or "").strip()
        try:
            held_on = date.fromisoformat(text) if text else None
        except ValueError:
            raise FormInputError("held_on", "请按“年-月-日”填写会议日期，如 2026-11-05") from None
        if held_on is None:
            raise FormInputError("held_on", "请填写会议日期")
        args = {
            "held_on": held_on.isoformat(),
            "units": [u for u in self.units.data or [] if u],
            "decision": _text(self.decision.data),
            "lead_unit": _optional(self.lead_unit.data),
        }
        problems = schema_problems(JointMeetingSchema(), args, MEETING_LABELS)
        if problems:
            raise ValidationFailed(problems, zh=problems)
        return {**args, "held_on": held_on}


def joint_facts(case: dict[str, Any]) -> dict[str, Any] | None:
    """What the case page shows of the marking and the meetings (``case``: the API's JSON of the case)."""
    j = case.get("joint_handling")
    if not j:
        return None
    limit = next((d for d in case["deadlines"] if d["name"] == j["time_limit"]), None) if j["time_limit"] else None
    return {
        "units": "、".join(unit_name(u) for u in j["units"]),
        "reason": j["reason"],
        "marked_at": j["marked_at"],
        "meetings": [
            {
                "held_on": m["held_on"],
                "units": "、".join(unit_name(u) for u in m["units"]),
                "decision": m["decision"],
                "lead": unit_name(m["lead_unit"]) if m["lead_unit"] else "未议定牵头单位",
            }
            for m in j["meetings"]
        ],
        "lead": unit_name(j["lead_unit"]) if j["lead_unit"] else None,
        "time_limit": f"「{limit['title']}」，截止于 {limit['due'][:16].replace('T', ' ')}" if limit else NO_TIME_LIMIT,
    }


@bp.get("/joint")
@for_roles(READS["bulletin"].roles)
def joint_register():
    """联合办理台账: every case marked for joint handling, the latest marked first, with its meetings and lead."""
    container().wait_for_views()
    now = container().clock()
    open_only = request.args.get("open") == "1"
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = CaseListQuery(joint=True, open_only=open_only, sort="-received", page=page, per_page=PER_PAGE, now=now)
    rows, total = container().read_models["case_list"].view.query(query)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "joint_register.html",
        rows=[_row(r) for r in rows],
        total=total,
        page=page,
        pages=pages,
        open_only=open_only,
        page_url=lambda n: url_for("workspace.joint_register") + f"?page={n}" + ("&open=1" if open_only else ""),
    )


def _row(r: dict[str, Any]) -> dict[str, Any]:
    meetings = [d for d in (r.get("joint_meetings") or "").split(",") if d]
    marked = r.get("joint_marked_at")
    return {
        "url": url_for("workspace.appeal_page", case_id=r["id"]),
        "case_no": r["case_no"],
        "subject": r["subject"],
        "enterprise": r["enterprise_name"],
        "units": "、".join(unit_name(u) for u in (r.get("joint_units") or "").split(",") if u),
        "marked": _day(marked),
        "meetings": f"{len(meetings)} 次（最近 {meetings[-1]}）" if meetings else "尚未召开",
        "lead": unit_name(r["unit"]) if r.get("joint_settled_at") and r["unit"] else "尚未明确",
        "status": status_name(r["status"]),
    }


def _day(moment: Any) -> str:
    from web.api.presenters import iso

    return iso(moment)[:10] if moment else ""
