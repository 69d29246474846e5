"""The projections' words: the Chinese names of the ledgers' counters and rates.

What the domain stores is named in domain.vocabulary; what the projections count and compute from
it (a unit's ledger columns, the bulletin's rates, the approvals' figures) is named here, once, for
the bulletin's workbook and PDF, the ledger pages and the reports. ``tests/unit/test_vocabulary.py``
holds every counter of ``projections.ledger`` to a name.
"""

from __future__ import annotations

from collections.abc import Mapping

# A unit's appeal counters (projections.ledger.appeals.COUNTERS).
COUNT = {
    "forwarded": "转办",
    "responded": "已响应",
    "acknowledged": "签收",
    "replies_on_time": "按时答复",
    "replies_late": "超时答复",
    "returned": "退回重办",
    "extended": "延期",
    "escalated": "督办",
    "handed_back": "退单",
    "handback_upheld": "同意退单",
    "handback_refused": "不同意退单",
    "closed": "办结",
    "closed_solved": "办结已解决",
    "closed_unsolved": "办结未解决",
    "visits_very_satisfied": "非常满意",
    "visits_satisfied": "满意",
    "visits_basically_satisfied": "基本满意",
    "visits_unsatisfied": "不满意",
    "visits_very_unsatisfied": "非常不满意",
    "merged": "并单",
    "bad_ratings": "差评",
    "rectified_on_time": "按期整改",
    "rectified_late": "逾期整改",
    "ratings_contested": "申诉复核",
    "contests_upheld": "申诉成立",
    "contests_rejected": "维持原评价",
    "set_aside_unsatisfied": "撤销不满意",
    "set_aside_very_unsatisfied": "撤销非常不满意",
    "rechecks": "回头看",
    "rechecks_held": "回头看落实到位",
    "rechecks_not_held": "回头看未落实",
    "rechecks_sampled": "回头看抽样回访",
}
# The platform's 即时办结 and 回头看 (projections.ledger.hotline.HOTLINE_COUNTERS).
HOTLINE_COUNT: Mapping[str, str] = {
    "direct_answers": "即时办结（直接答复）",
    "direct_direct": "其中直接答复",
    "direct_three_way_call": "其中三方连线",
    "direct_transfer": "其中在线转接",
    "rechecks": "回头看",
    "rechecks_held": "回头看落实到位",
    "rechecks_not_held": "回头看未落实（退回重办）",
    "rechecks_sampled": "回头看抽样回访",
}
# The rates of a unit's period and the composite (projections.reports.bulletin).
RATE = {
    "response": "响应率",
    "on_time": "按时答复率",
    "resolution": "解决率",
    "satisfaction": "满意率",
    "satisfaction_adjudicated": "复核后满意率",
    "composite": "综合得分",
}
# The approvals' figures: per day (projections.ledger.approvals.DAY_COUNTERS) and per department
# (APPROVAL_COUNTERS).
APPROVAL_DAY_COUNT: Mapping[str, str] = {
    "submitted": "申请",
    "accepted": "受理",
    "deemed_accepted": "其中视为受理",
    "refused": "不予受理",
    "decided": "作出决定",
    "decided_on_time": "按时决定",
    "decided_late": "超时决定",
    "delivered": "窗口出件",
    "pauses_ended": "中止计时结束次数",
    "paused_working_days": "中止计时工作日",
    "extended": "延期",
    "escalated": "督办",
    "revoked": "撤销",
    "withdrawn": "撤回",
}
APPROVAL_DEPARTMENT_COUNT: Mapping[str, str] = {
    "forwarded": "转办",
    "answered_on_time": "按时答复",
    "answered_late": "超时答复",
    "returned": "退回",
    "missed": "逾期",
}

# The bulletin's table of the month's consequences by unit (projections.reports.consequences.COLUMNS).
CONSEQUENCE_COLUMN: Mapping[str, str] = {
    "notified_reminder": "通报提醒",
    "interview": "约谈",
    "written_self_examination": "书面检查",
    "criticism": "通报批评",
    "special_supervision": "专项督办",
    "accountability_recommendation": "建议追责问责",
}
