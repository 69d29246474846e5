"""Case statuses and satisfaction levels, as stored (plain strings)."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    RECEIVED = "received"  # 受理 / 登记
    FORWARDED = "forwarded"  # 转办 / 交办
    ACKNOWLEDGED = "acknowledged"  # 签收 / 启动核实
    ANSWERED = "answered"  # 办理结果已反馈, awaiting review
    REVIEWED = "reviewed"  # 审核通过
    RETURNED = "returned"  # 退回重办
    HANDBACK_REQUESTED = "handback_requested"  # 退单申请
    VISITED = "visited"  # 已回访
    CLOSED = "closed"  # 办结

    @classmethod
    def open_after_forwarding(cls) -> tuple[Status, ...]:
        return (cls.FORWARDED, cls.ACKNOWLEDGED, cls.ANSWERED, cls.REVIEWED, cls.RETURNED,
                cls.HANDBACK_REQUESTED, cls.VISITED)


# 好差评 five levels (国办发〔2019〕51号; RULES.md §4), best first.
SATISFACTION_LEVELS = (
    "very_satisfied",  # 非常满意
    "satisfied",  # 满意
    "basically_satisfied",  # 基本满意
    "unsatisfied",  # 不满意
    "very_unsatisfied",  # 非常不满意
)
