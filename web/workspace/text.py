"""The workspace's words: the Chinese names of what the domain stores as codes.

Presentation only. What a status allows, what a refusal says and what a deadline's state is are
the domain's (domain.actions, domain.deadlines.clocks, the errors' ``zh``); here are only the names a clerk
reads for the codes (statuses, events, roles, choices), and the wording of a refusal by status.
"""

from __future__ import annotations

from domain.errors import LimitReached, NotAllowedInState
from domain.profiles import CATEGORY_NAMES

KIND = {"appeal": "诉求", "approval": "审批"}

STATUS = {
    # appeals (企业诉求)
    "received": "已受理",
    "forwarded": "已转办",
    "acknowledged": "已签收",
    "answered": "已答复待审核",
    "reviewed": "已审核",
    "returned": "退回重办",
    "handback_requested": "退单申请中",
    "visited": "已回访",
    "closed": "已办结",
    "merged": "已并单",
    # approvals (审批)
    "submitted": "已申请",
    "materials_requested": "待补正",
    "accepted": "已受理",
    "in_review": "部门审查中",
    "decided": "已决定",
    "delivered": "已出件",
    "refused": "不予受理",
    "revoked": "已撤销",
    "withdrawn": "已撤回",
}
APPEAL_STATUSES = (
    "received",
    "forwarded",
    "acknowledged",
    "answered",
    "reviewed",
    "returned",
    "handback_requested",
    "visited",
    "closed",
    "merged",
)
APPROVAL_STATUSES = (
    "submitted",
    "materials_requested",
    "accepted",
    "in_review",
    "decided",
    "delivered",
    "refused",
    "revoked",
    "withdrawn",
)

EVENT = {
    "Received": "受理",
    "Forwarded": "转办",
    "Acknowledged": "签收",
    "Answered": "答复",
    "Reviewed": "审核",
    "Returned": "退回重办",
    "Escalated": "督办",
    "DeadlineMissed": "逾期",
    "Extended": "延期",
    "HandbackRequested": "申请退单",
    "CoOpinionGiven": "协办意见",
    "Visited": "回访",
    "Closed": "办结",
    "Rectified": "差评整改",
    "RatingContested": "申诉复核",
    "RatingAdjudicated": "差评复核结论",
    "Submitted": "申请",
    "MaterialsRequested": "一次性告知补正",
    "MaterialsSupplied": "补正材料",
    "Accepted": "受理",
    "DeemedAccepted": "视为受理",
    "Refused": "不予受理",
    "DepartmentAnswered": "部门审查意见",
    "DepartmentReturned": "退回部门意见",
    "Paused": "中止计时",
    "Resumed": "恢复计时",
    "Decided": "决定",
    "Delivered": "出件",
    "Revoked": "撤销",
    "Withdrawn": "撤回",
    "MergedInto": "并单（并入他案）",
    "RepeatMerged": "重复诉求并入",
    "Unmerged": "撤销并单",
    "RepeatUnmerged": "撤销重复诉求并入",
}
APPROVAL_EVENT = {"Forwarded": "转审批部门"}  # where an approval's event is named otherwise

# The categories of appeal, as domain.profiles.CATEGORIES lists them.
CATEGORY = CATEGORY_NAMES

ROLE = {
    "platform": "热线平台",
    "unit": "承办单位",
    "supervisor": "督办",
    "inspector": "纪检监察",
    "auditor": "审计",
    "admin": "系统管理",
}
ANSWER_KIND = {"initial": "初步处理情况", "final": "办理结果"}
DECISION = {"approve": "同意", "reject": "不同意"}
SATISFACTION = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "very_unsatisfied": "非常不满意",
}
PAUSE_REASON = {
    "hearing": "听证",
    "inspection": "检验",
    "expert_review": "专家评审",
    "testing": "检测",
    "quarantine": "检疫",
    "auction": "拍卖",
    "other": "其他法定情形",
}

# The actions' Chinese names (the buttons of docs/web-workspace.md *Actions and their forms*).
ACTION = {
    "acknowledge": "签收",
    "answer": "提交答复",
    "extend": "申请延期",
    "handback": "申请退单",
    "co_opinion": "提交协办意见",
    "forward": "转办",
    "review": "审核",
    "return": "退回重办",
    "escalate": "督办",
    "visit": "回访",
    "close": "办结",
    "rectify": "差评整改",
    "contest_rating": "申诉复核",
    "adjudicate_rating": "差评复核",
}
APPROVAL_ACTION = {
    "answer": "提交审查意见",
    "accept": "受理",
    "forward": "转审批部门",
    "decide": "作出决定",
    "deliver": "出件",
    "extend": "延长审批期限",
    "escalate": "督办",
    "return": "退回部门意见",
}

# A field's name for the error summary.
FIELD = {
    "username": "用户名",
    "password": "密码",
    "kind": "答复类型",
    "content": "内容",
    "working_days": "延期工作日数",
    "reason": "理由",
    "decision": "审查结论",
    "opinion": "审查意见",
    "unit": "承办单位",
    "co_units": "协办单位",
    "note": "备注",
    "satisfaction": "满意度",
    "solved": "是否解决",
    "accepted": "审核结果",
    "departments": "审批部门",
    "level": "督办层级",
    "occurred_at": "发生时间",
    "expected_version": "版本",
    "into": "并入案件",
    "upheld": "复核结论",
}


def merge_notice(merged_into: str | None, repeats: int) -> str:
    """并单 as a unit reads it in its inbox: the case it joined, or how many repeats joined it."""
    if merged_into:
        return f"已并单至 {merged_into}，本件期限停止计时"
    return f"有 {repeats} 件重复诉求并入本件，请一并答复各来电人" if repeats else ""


def status_name(status: str | None) -> str:
    return STATUS.get(status or "", status or "")


def event_name(kind: str, event_type: str) -> str:
    if kind == "approval" and event_type in APPROVAL_EVENT:
        return APPROVAL_EVENT[event_type]
    return EVENT.get(event_type, event_type)


def refusal_text(refused: NotAllowedInState | LimitReached) -> str:
    """Why an action is not open now, in the clerk's words (the refusal's own, where it has them)."""
    if isinstance(refused, LimitReached):
        return "；".join(refused.zh.get(name) or message for name, message in refused.fields.items())
    if refused.zh:
        return refused.zh
    if refused.status:
        allowed = "、".join(f"「{status_name(s)}」" for s in refused.allowed)
        return f"案件当前为「{status_name(refused.status)}」，仅在{allowed}时可办理"
    return refused.message
