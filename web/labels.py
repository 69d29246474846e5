"""The web's words: what the workspace and the web's exports show for the codes the domain stores.

The names of the codes themselves (statuses, event types, roles, categories, channels, consequences,
period units, satisfaction levels, pause reasons) are the domain's vocabulary (domain.vocabulary),
and the ledgers' counters and rates the projections' (projections.vocabulary); they are re-exported
here so that a page or an export takes every word from one module. Here live the web's own: the
actions' button names, the fields' names for the error summary, the choices of its forms, how a
refusal and a merge read to a clerk, and how a rule is cited on a page (``citation``: the document's
number and the item in Chinese, never the short code). Presentation only: what a status allows,
what a refusal says and what a deadline's state is are the domain's.
"""

from __future__ import annotations

from domain.errors import LimitReached, NotAllowedInState
from domain.status import ApprovalStatus, Status
from domain.vocabulary import (
    BINDS,
    CATEGORY,
    CHANNEL,
    CONSEQUENCE,
    CONTEST,
    DIRECT_METHOD,
    EVENT,
    FOLLOW_UP,
    KIND,
    LAPSE,
    NOTICE_CHANNEL,
    NOTICE_KIND,
    PAUSE_REASON,
    PERIOD_UNIT,
    RECTIFICATION,
    ROLE,
    SATISFACTION,
    STATUS,
    WINDOW,
    citation,
    event_name,
    name_of,
)
from projections.vocabulary import APPROVAL_DAY_COUNT, APPROVAL_DEPARTMENT_COUNT, COUNT, HOTLINE_COUNT, RATE

__all__ = [
    "ACTION",
    "ANSWER_KIND",
    "APPEAL_STATUSES",
    "APPROVAL_ACTION",
    "APPROVAL_DAY_COUNT",
    "APPROVAL_DEPARTMENT_COUNT",
    "APPROVAL_STATUSES",
    "BINDS",
    "CATEGORY",
    "CHANNEL",
    "CONSEQUENCE",
    "CONTEST",
    "COUNT",
    "DECISION",
    "DIRECT_METHOD",
    "HOTLINE_COUNT",
    "RECHECK_RESULT",
    "EVENT",
    "EVIDENCE",
    "FIELD",
    "FOLLOW_UP",
    "KIND",
    "LAPSE",
    "NOTICE_CHANNEL",
    "NOTICE_KIND",
    "PAUSE_REASON",
    "PERIOD_UNIT",
    "RATE",
    "RECORD",
    "RECTIFICATION",
    "REPEAT_REASON",
    "REPEAT_LINK",
    "ROLE",
    "SATISFACTION",
    "STATUS",
    "SYSTEM_ACTOR",
    "TRAIL_EVENT",
    "VERIFY_PROBLEM",
    "WINDOW",
    "actor_name",
    "channel_name",
    "citation",
    "event_name",
    "merge_notice",
    "name_of",
    "refusal_text",
    "status_name",
    "trail_event_name",
]

# The statuses in the order a filter lists them.
APPEAL_STATUSES = tuple(s.value for s in Status)
APPROVAL_STATUSES = tuple(s.value for s in ApprovalStatus)

ANSWER_KIND = {"initial": "初步处理情况", "final": "办理结果"}
DECISION = {"approve": "同意", "reject": "不同意"}
# The actions' Chinese names (the buttons of docs/web-workspace.md *Actions and their forms*).
ACTION = {
    "acknowledge": "签收",
    "answer": "提交答复",
    "extend": "申请延期",
    "handback": "申请退单",
    "rule_handback": "退单审核",
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
    "joint_handling": "列入联合办理",
    "joint_meeting": "记录联席会议",
    "direct_answer": "直接答复",
    "recheck": "回头看",
}
# 首接负责: how the platform answered at first contact; 回头看: what it found (the forms' choices).
RECHECK_RESULT = {"true": "落实到位", "false": "未落实"}
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

# What a consequence's evidence says of a case event that is not itself the lapse (the API's evidence ``type``
# beside the event types of EVENT).
EVIDENCE = {"started the deadline": "期限起算", "met it late": "逾期完成", "cited": "视情处理所引案件"}

# Why the recurring-problems analysis (堵点分析) links two appeals as likely repeats.
REPEAT_LINK = {"credit_code": "同一信用代码", "similar_subject": "事项相似"}

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
    "method": "答复方式",
    "holds": "回头看结论",
    "sampled": "抽样回访",
    # 登记诉求 and 受理申请 (the bodies of POST /api/appeals and /api/approvals, by path)
    "channel": "来源渠道",
    "category": "诉求类别",
    "subject": "诉求标题",
    "enterprise.name": "企业名称",
    "enterprise.credit_code": "统一社会信用代码",
    "contact.name": "联系人",
    "contact.phone": "联系电话",
    "profile": "适用规则",
    "tier": "办理时限类别",
    "external_ref": "工单编号",
    "matter": "审批事项",
    "applicant.name": "申请人名称",
    "applicant.credit_code": "统一社会信用代码",
    "applicant.contact.name": "联系人",
    "applicant.contact.phone": "联系电话",
    "materials": "材料",
    "missing": "需补正材料",
    "commitment": "告知承诺制",
    "consequence": "对应的问责处理",
    "case_id": "案件编号",
    "supervision": "挂牌督办",
    "action": "后续处理",
    "period": "月份",
    "close_day": "统计截止日",
    "units": "相关单位",
    "held_on": "会议日期",
    "lead_unit": "牵头单位",
}

# Why an appeal is suggested as a likely repeat of another (domain.appeals.repeats).
REPEAT_REASON = {"credit_code": "同一企业（统一社会信用代码相同）", "similar_subject": "标题相近"}


# The audit trail's acts outside cases, by the trail's type (a record's class and the event's).
TRAIL_EVENT = {
    "Unit.Registered": "新增单位",
    "Unit.Disabled": "停用单位",
    "Unit.HeadAppointed": "任命主要负责人",
    "User.Registered": "新增用户（授予角色与单位）",
    "User.Disabled": "停用用户",
    "User.Enabled": "启用用户",
    "User.PasswordChanged": "修改密码",
    "User.EmailSet": "设置电子邮箱",
    "User.TokenRevoked": "结束会话（退出登录）",
    "User.TokensRevoked": "结束全部会话",
    "UnitAccountability.ActionRecorded": "记录问责后续处理",
    "UnitAccountability.ConsequenceOrdered": "视情作出问责处理",
}
# What an act of the trail was done to (its ``record``).
RECORD = {"appeal": "诉求", "approval": "审批", "unit": "单位", "user": "用户", "accountability": "问责记录"}
# What a verification found (adapters.tlog.checks: a problem's ``kind``).
VERIFY_PROBLEM = {
    "removed": "记录已被删除",
    "changed": "记录已被改动",
    "inserted": "存在存证日志之外插入的记录",
    "tree": "存证树的节点被改动",
    "unsigned": "检查点没有本系统的有效签名",
    "short": "记录少于已签名检查点所覆盖的数量（记录被删除）",
    "root": "由记录重新计算的根哈希与已签名的检查点不符",
}


def trail_event_name(record: str, event_type: str) -> str:
    """An act of the audit trail by name: a case's event as its kind names it, another record's by the table."""
    if record in KIND:
        return event_name(record, event_type)
    return TRAIL_EVENT.get(event_type) or EVENT.get(event_type.rsplit(".", 1)[-1], event_type)


def merge_notice(merged_into: str | None, repeats: int) -> str:
    """并单 as a unit reads it in its inbox: the case it joined, or how many repeats joined it."""
    if merged_into:
        return f"已并单至 {merged_into}，本件期限停止计时"
    return f"有 {repeats} 件重复诉求并入本件，请一并答复各来电人" if repeats else ""


# Who acted when no person did: the deadline watch records missed deadlines and their consequences.
SYSTEM_ACTOR = {"deadline-watch": "系统（期限监测）"}


def actor_name(user: str | None, role: str | None, unit_name: str = "") -> str:
    """An actor as a page names it: 系统（期限监测） for the deadline watch; otherwise the user with their role in
    Chinese, and their unit's name where they act for one: ``power1（承办单位 · 区供电中心）``."""
    if user in SYSTEM_ACTOR:
        return SYSTEM_ACTOR[user]
    role_name = name_of(ROLE, role)
    through = ""
    if user and user.startswith("cli:"):  # an operator at the command line, by their login name
        user, through = user.removeprefix("cli:"), "命令行"
    detail = " · ".join(part for part in (through, role_name, unit_name) if part)
    return f"{user or '—'}（{detail}）" if detail else user or "—"


def status_name(status: str | None) -> str:
    return name_of(STATUS, status)


def channel_name(channel: str | None) -> str:
    """Where an appeal came in: the documents' channels by name, an operator's own code as it is."""
    return name_of(CHANNEL, channel)


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
