"""The domain's words: the Chinese name of every code the domain stores, and how a rule is cited.

The documents this system follows are written in Chinese, and so is what their users read: a clerk
sees 已转办, never ``forwarded``; an inspector reads 川政办字〔2020〕59号 第四条, never ``000 item 4``.
The codes (statuses, event types, roles, categories, channels, consequences, follow-up actions,
period units, satisfaction levels, pause reasons) are stored and spoken over the API; their names
live here, once, for every layer that shows them (the workspace, the bulletin, the exports).
``tests/unit/test_vocabulary.py`` holds every enum member and event type to a name.

A rule is cited in code and in profile data by its short code (``000 item 4``, ``004 item 八``,
``行政许可法 art. 32``; docs/sources.md lists them); ``citation`` turns one into the official form
shown to people (``川政办字〔2020〕59号 第四条``, ``宿政办发〔2024〕15号 第八条``,
``行政许可法第三十二条``).
"""

from __future__ import annotations

import re

# What a case is: an enterprise appeal (企业诉求) or an application for approval (审批).
KIND = {"appeal": "诉求", "approval": "审批"}

STATUS = {
    # appeals (企业诉求): domain.status.Status
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
    # approvals (审批): domain.status.ApprovalStatus
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

# Every event recorded on a case, a unit's accountability record, a unit or a user, by type.
EVENT = {
    # appeals
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
    "HandbackRuled": "退单审核",
    "CoOpinionGiven": "协办意见",
    "Visited": "回访",
    "Closed": "办结",
    "Rectified": "差评整改",
    "RatingContested": "申诉复核",
    "RatingAdjudicated": "差评复核结论",
    "MergedInto": "并单（并入他案）",
    "RepeatMerged": "重复诉求并入",
    "Unmerged": "撤销并单",
    "RepeatUnmerged": "撤销重复诉求并入",
    "JointHandlingMarked": "列入联合办理",
    "JointMeetingHeld": "联席会议",
    "DirectlyAnswered": "直接答复（即时办结）",
    "Rechecked": "回头看",
    # approvals
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
    # a unit's accountability record
    "Opened": "建立问责记录",
    "LapseNoted": "记录失职情形",
    "ConsequenceIssued": "作出问责处理",
    "ActionRecorded": "记录后续处理",
    "ConsequenceOrdered": "视情作出问责处理",
    # the directory: units and users
    "Registered": "登记",
    "HeadAppointed": "任命主要负责人",
    "Disabled": "停用",
    "Enabled": "启用",
    "LoggedIn": "登录",
    "LoginFailed": "登录失败",
    "PasswordChanged": "修改密码",
    "EmailSet": "设置电子邮箱",
    "TokenRevoked": "吊销令牌",
    "TokensRevoked": "吊销全部令牌",
}
# Where an approval's event is named otherwise than an appeal's of the same type.
APPROVAL_EVENT = {"Forwarded": "转审批部门"}

ROLE = {
    "platform": "热线平台",
    "unit": "承办单位",
    "supervisor": "督办",
    "inspector": "纪检监察",
    "auditor": "审计",
    "admin": "系统管理",
}

# The categories of appeal, in the order the profiles list them (domain.profiles.CATEGORIES).
CATEGORY = {"consultation": "政策咨询", "help": "服务求助", "complaint": "投诉", "suggestion": "意见建议"}

# Where an appeal came in (the channels the documents name; a channel is otherwise a short code an
# operator chooses, shown as it is).
CHANNEL = {
    "12345": "12345热线",
    "enterprise_express": "企业直通车",
    "mayor_line": "直达市长",
    "window": "办不成事反映窗口",
    "online_supervision": "互联网+督查",
    "visit": "走访",
}

# How the platform answered at first contact (首接负责, domain.appeals.hotline.DIRECT_METHODS).
DIRECT_METHOD = {"direct": "直接答复", "three_way_call": "三方连线", "transfer": "在线转接"}

# What an accountability rule counts (the lapses seen on cases) and what it issues (the consequences).
LAPSE = {"returned": "退回重办", "deadline_missed": "超期未答复"}
CONSEQUENCE = {
    "notified_reminder": "通报提醒",
    "interview": "约谈",
    "written_self_examination": "书面检查",
    "special_supervision": "专项督办",
    "reminder_interview": "约谈提醒",
    "criticism": "通报批评",
    "order_self_examination": "责令检查",
    "accountability_recommendation": "建议启动追责问责",
}
# What inspectors and supervisors record as having followed (domain.accountability.record.ACTIONS).
FOLLOW_UP = {
    "interview_held": "约谈已进行",
    "self_examination_received": "书面检查已收到",
    "referral_made": "移送纪委监委",
    "listed_supervision_opened": "挂牌督办",
    "listed_supervision_struck_off": "销号",
    # an inspector's own consequences (004 item 十五: 视情), recorded with a reason
    "criticism_issued": "视情通报批评",
    "interview_ordered": "视情约谈",
}
# How an accountability rule's window and count read.
WINDOW = {"calendar_month": "自然月", "rolling_month": "滚动一个月"}

# 好差评 five levels (国办发〔2019〕51号), best first (domain.status.SATISFACTION_LEVELS).
SATISFACTION = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "very_unsatisfied": "非常不满意",
}

# Where a bad rating's rectification (整改) and its contest (申诉复核) stand (domain.appeals.ratings);
# ``None``: no period set for it, or not contested.
RECTIFICATION: dict[str | None, str] = {
    None: "未规定整改期限",
    "pending": "整改中",
    "overdue": "逾期未整改",
    "on_time": "按期整改",
    "late": "逾期整改",
    "set_aside": "申诉成立，无需整改",
    "superseded": "由其后差评的整改取代",
}
CONTEST: dict[str | None, str] = {
    None: "未申诉",
    "pending": "申诉待复核",
    "upheld": "申诉成立（撤销差评）",
    "rejected": "维持原评价",
}

# The units a period is counted in (domain.deadlines.periods.PeriodUnit).
PERIOD_UNIT = {"working_days": "个工作日", "calendar_days": "日", "hours": "小时", "months": "个月"}

# Why an approval's clocks stop (行政许可法 第45条; domain.approvals.inputs.PAUSE_REASONS).
PAUSE_REASON = {
    "hearing": "听证",
    "inspection": "检验",
    "expert_review": "专家评审",
    "testing": "检测",
    "quarantine": "检疫",
    "auction": "拍卖",
    "other": "其他法定情形",
}

# Whom a deadline binds, when its rule says so.
BINDS = {"unit": "承办单位", "platform": "热线平台"}

# Reminders (预警, domain.notices): what a notice says of its deadline, and how it reached the unit.
NOTICE_KIND = {"approaching": "即将到期", "ended": "已超期"}
NOTICE_CHANNEL = {"workspace": "工作台", "mail": "电子邮件"}


def name_of(table: dict[str, str], code: str | None) -> str:
    """The name of ``code`` in ``table``; a code the table does not know (an operator's own) as it is."""
    if not code:
        return ""
    return table.get(code, code)


def event_name(kind: str, event_type: str) -> str:
    """An event's name on a case of ``kind`` (``appeal`` or ``approval``)."""
    if kind == "approval" and event_type in APPROVAL_EVENT:
        return APPROVAL_EVENT[event_type]
    return EVENT.get(event_type, event_type)


# ---------------------------------------------------------------------------------------------
# Rule citations.

# The local documents by short code: how each is named where people read it (docs/sources.md).
# A document printed without a number (003) is named by its title in 《》.
DOCUMENTS = {
    "000": "川政办字〔2020〕59号",
    "001": "周政办字〔2017〕145号",
    "002": "聊政字〔2020〕25号",
    "003": "《辽源市2024年营商环境优化重点行动方案》",
    "004": "宿政办发〔2024〕15号",
}
# The laws, cited in code by their short Chinese names.
LAWS = ("行政许可法", "民法典")

_DIGITS = "零一二三四五六七八九"
_CHINESE_NUMBER = re.compile(r"^[零一二三四五六七八九十百]+$")
_ITEM = r"(?:\d+(?:-\d+)?|[零一二三四五六七八九十百]+)"
_LOCAL = re.compile(rf"^(?P<doc>\d{{3}})(?: items? (?P<items>{_ITEM}(?:, ?{_ITEM})*))?(?P<rest>.*)$")
_LAW = re.compile(
    rf"^(?P<law>{'|'.join(LAWS)})(?: \(\d{{4}}\))?"
    rf"(?: (?:arts?\. (?P<items>{_ITEM}(?:, ?{_ITEM})*)|第(?P<article>\d+)条))?(?P<rest>.*)$"
)
_PARTED = re.compile(r"^ ?\((?P<heading>[一二三四五六七八九十]+)\)(?P<point>\d*)$")


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 32 → 三十二, 201 → 二百零一 (the numbering of articles and items)."""
    if not 0 < n < 1000:
        return str(n)
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if tens == 0 and ones:
            return out + "零" + _DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def _item(item: str) -> str:
    if _CHINESE_NUMBER.match(item):
        return item
    if "-" in item:
        first, last = item.split("-")
        return f"{chinese_number(int(first))}至{chinese_number(int(last))}"
    return chinese_number(int(item))


def _items(items: str) -> str:
    return "、".join(_item(i.strip()) for i in items.split(","))


def citation(source: str | None) -> str:
    """A rule's source as people read it: the document's number (文号) and the item in Chinese.

    ``000 item 4`` → 川政办字〔2020〕59号 第四条; ``002 items 1, 10`` → 聊政字〔2020〕25号 第一、十条;
    ``001 (四)`` → 周政办字〔2017〕145号 二（四） (the heading of its part 二, 工作任务);
    ``行政许可法 art. 32`` → 行政许可法第三十二条; a profile's ``default: …`` (a value the documents
    leave open) → 系统默认值 naming the document that leaves it open. A source in no known form (an
    operator's own profile) is shown as it is written.
    """
    text = (source or "").strip()
    if not text:
        return ""
    if text.startswith("default:"):
        cited = citation(re.split(r" (?:and|sets|set)\b| \(", text[len("default:") :].strip())[0])
        return f"系统默认值（{cited}未作规定）"
    local = _LOCAL.match(text)
    if local and local["doc"] in DOCUMENTS:
        document, rest = DOCUMENTS[local["doc"]], local["rest"]
        space = "" if document.endswith("》") else " "
        if local["items"]:
            return f"{document}{space}第{_items(local['items'])}条{rest}"
        parted = _PARTED.match(rest)
        if parted and local["doc"] == "001":
            return f"{document}{space}二（{parted['heading']}）{parted['point']}"
        if rest.strip() == "工作要求" and local["doc"] == "003":  # part 三 (工作要求), heading （二）
            return f"{document}三（二）"
        return f"{document}{space}{rest.strip()}".strip()
    law = _LAW.match(text)
    if law:
        if law["items"]:
            return f"{law['law']}第{_items(law['items'])}条{law['rest']}"
        if law["article"]:
            return f"{law['law']}第{chinese_number(int(law['article']))}条{law['rest']}"
        return f"《中华人民共和国{law['law']}》{law['rest']}"
    return text
