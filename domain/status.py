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
    # 已并单: joined the case it repeats; ended without being solved, undone by an unmerge.
    MERGED = "merged"

    @classmethod
    def mergeable(cls) -> tuple[Status, ...]:
        """Where a repeat appeal may be merged (并单), or receive one: any open status."""
        return (cls.RECEIVED, *cls.open_after_forwarding())

    @classmethod
    def open_after_forwarding(cls) -> tuple[Status, ...]:
        return (
            cls.FORWARDED,
            cls.ACKNOWLEDGED,
            cls.ANSWERED,
            cls.REVIEWED,
            cls.RETURNED,
            cls.HANDBACK_REQUESTED,
            cls.VISITED,
        )


# 好差评 five levels (国办发〔2019〕51号), best first.
SATISFACTION_LEVELS = (
    "very_satisfied",  # 非常满意
    "satisfied",  # 满意
    "basically_satisfied",  # 基本满意
    "unsatisfied",  # 不满意
    "very_unsatisfied",  # 非常不满意
)


class ApprovalStatus(str, Enum):
    """Where an application (审批) stands: at the window, at the departments, decided, handed over."""

    SUBMITTED = "submitted"  # 申请, received at the comprehensive window (综合受理窗口)
    MATERIALS_REQUESTED = "materials_requested"  # 一次性告知: waiting for the applicant's 补正
    ACCEPTED = "accepted"  # 受理 (or deemed accepted, 行政许可法 art. 32)
    IN_REVIEW = "in_review"  # 后台分类审批: with the departments
    DECIDED = "decided"  # 决定
    DELIVERED = "delivered"  # 统一窗口出件
    REFUSED = "refused"  # 不予受理
    REVOKED = "revoked"  # 撤销: a commitment proved false (告知承诺制)
    WITHDRAWN = "withdrawn"  # 撤回

    @classmethod
    def before_decision(cls) -> tuple[ApprovalStatus, ...]:
        return (cls.SUBMITTED, cls.MATERIALS_REQUESTED, cls.ACCEPTED, cls.IN_REVIEW)

    @classmethod
    def deciding(cls) -> tuple[ApprovalStatus, ...]:
        """Accepted and not yet decided: the decision clock runs."""
        return (cls.ACCEPTED, cls.IN_REVIEW)


# Where a case's handling is over: an appeal closed; an application handed over, refused, revoked or withdrawn.
# An inbox (待办) leaves these out unless asked for them. A merged appeal (已并单) is not among them: its unit is
# told in its inbox that the case joined another and its deadlines stopped.
DONE_STATUSES: tuple[str, ...] = (
    Status.CLOSED.value,
    ApprovalStatus.DELIVERED.value,
    ApprovalStatus.REFUSED.value,
    ApprovalStatus.REVOKED.value,
    ApprovalStatus.WITHDRAWN.value,
)
