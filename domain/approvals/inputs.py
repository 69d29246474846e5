"""What an approval command's own fields must be: each problem named by its field, all at once.

The aggregate (domain.approvals.aggregate) asks these before it looks at what the case's state allows;
a command refused here records nothing.
"""

from __future__ import annotations

from typing import Any

from domain.errors import ValidationFailed

# 行政许可法 art. 45: what may stop the clock — 听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审.
PAUSE_REASONS = ("hearing", "inspection", "expert_review", "testing", "quarantine", "auction", "other")
DECISIONS = ("approve", "reject")
# A pause the applicant is told will take longer than a working year is a mistake, not a hearing.
MAX_EXPECTED_PAUSE = 250


def listed(items: Any, field: str, why: str, repeated: str | None = None) -> list[str]:
    """A non-empty list of non-empty texts, stripped (materials missing or supplied, 一次性告知;
    departments); with ``repeated``, the message for a text listed twice."""
    texts = [m.strip() for m in items or [] if isinstance(m, str) and m.strip()]
    if not texts or len(texts) != len(items):
        raise ValidationFailed({field: why})
    if repeated and len(set(texts)) != len(texts):
        raise ValidationFailed({field: repeated})
    return texts


def check_judgement(decision: Any, text: Any, text_field: str, text_why: str, text_zh: str) -> None:
    """A department's opinion or the window's decision: approve or reject, with its reasons."""
    problems, zh = {}, {}
    if decision not in DECISIONS:
        problems["decision"], zh["decision"] = "must be 'approve' or 'reject'", "请选择同意或不同意"
    if not text or not str(text).strip():
        problems[text_field], zh[text_field] = text_why, text_zh
    if problems:
        raise ValidationFailed(problems, zh=zh)


def check_pause(reason: Any, expected_working_days: Any) -> None:
    """A ground the law names (art. 45), and how long the applicant is told it will take."""
    problems = {}
    if reason not in PAUSE_REASONS:
        problems["reason"] = f"one of {', '.join(PAUSE_REASONS)} (行政许可法 art. 45)"
    if (
        not isinstance(expected_working_days, int)
        or isinstance(expected_working_days, bool)
        or not 1 <= expected_working_days <= MAX_EXPECTED_PAUSE
    ):
        problems["expected_working_days"] = (
            f"the working days the applicant is told it will take, 1 to {MAX_EXPECTED_PAUSE}"
        )
    if problems:
        raise ValidationFailed(problems)
