"""Liaoyuan profile (liaoyuan-2024): 辽源市2024年营商环境优化重点行动方案, 003 items 5 and 49."""

from __future__ import annotations

from tests.conftest import SUPERVISOR
from tests.integration.cases import forwarded_case

PROFILE = "liaoyuan-2024"


def test_appeal_from_any_liaoyuan_channel_is_received_into_the_list_ledger(appeals):
    """003 item 5: 互联网+督查、社情民意、微建议、12345 … all feed one list ledger (清单台账)."""
    for channel in ("online_supervision", "public_opinion", "micro_suggestion", "12345"):
        case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 10:00", channel=channel)
        assert case.channel == channel and case.status == "forwarded"
        assert case.policy["deadlines"] == []  # the document sets no day count for appeals


def test_refusal_or_delay_brings_listed_then_special_supervision(appeals):
    """003 item 5: 挂牌督办 (listed supervision), then 专项督办 for overdue or untrue results."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 10:00")
    case = appeals.escalate(case.id, SUPERVISOR, reason="推诿扯皮，久拖不决")
    assert appeals.history(case.id)[-1].data["level_code"] == "listed_supervision"
    case = appeals.escalate(case.id, SUPERVISOR, reason="办理超期")
    assert case.escalation_level == 2
    assert appeals.history(case.id)[-1].data["level_code"] == "special_supervision"
