"""Reminders (预警): the warning window, counted by hand on the official 2026 schedule.

No document of the project sets a warning window; the default is the deadline's last working day
(one working day before its end), and a profile may set more (``warning_working_days``).
Qingming 2026: Sat 04-04 to Mon 04-06 are rest days. National Day 2026: Thu 10-01 to Wed 10-07.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.deadlines.periods import SHANGHAI
from domain.notices import NoticeKind, in_window, message_id, notice_key, retry_after, warning_starts


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_deadline_due_at_the_end_of_the_friday_before_qingming_is_warned_from_that_friday(cal):
    """Due 24:00 Fri 04-03 (ends Sat 04-04 00:00): one working day back from Sat is Fri 04-03, so the
    window opens at Fri 04-03 00:00 — not on the rest days before the end."""
    assert warning_starts(sh("2026-04-04 00:00"), cal) == sh("2026-04-03 00:00")


def test_a_deadline_due_at_noon_after_qingming_is_warned_from_noon_of_the_friday_before_it(cal):
    """000 item 4 counts the platform's report to 12:00 of its third working day. Due 12:00 Tue 04-07:
    the working day before Tue is Fri 04-03 (Sat to Mon are rest days), so the window opens Fri 12:00."""
    assert warning_starts(sh("2026-04-07 12:00"), cal) == sh("2026-04-03 12:00")


def test_a_deadline_due_at_the_end_of_the_first_working_day_after_national_day(cal):
    """Due 24:00 Thu 10-08 (ends Fri 10-09 00:00): the window opens Thu 10-08 00:00, the last
    working day; a two-working-day window reaches back over the holiday to Wed 09-30 00:00."""
    assert warning_starts(sh("2026-10-09 00:00"), cal) == sh("2026-10-08 00:00")
    assert warning_starts(sh("2026-10-09 00:00"), cal, working_days=2) == sh("2026-09-30 00:00")


def test_in_window_from_its_opening_until_the_deadline_ends(cal):
    """Due 24:00 Fri 04-03: not yet at Thu 23:59:59, from Fri 00:00, no longer once it has ended."""
    ends = sh("2026-04-04 00:00")
    assert not in_window(ends, sh("2026-04-02 23:59:59"), cal)
    assert in_window(ends, sh("2026-04-03 00:00"), cal)
    assert in_window(ends, sh("2026-04-03 23:59:59"), cal)
    assert not in_window(ends, sh("2026-04-04 00:00"), cal)


def test_the_window_is_counted_on_shanghai_days_whatever_the_instant_s_zone(cal):
    """Ends Sat 04-04 00:00 Shanghai = Fri 04-03 16:00 UTC: still warned from Fri 00:00 Shanghai."""
    ends_utc = sh("2026-04-04 00:00").astimezone(UTC)
    assert ends_utc.day == 3
    assert warning_starts(ends_utc, cal) == sh("2026-04-03 00:00")


def test_a_window_of_no_working_day_is_refused(cal):
    with pytest.raises(ValueError):
        warning_starts(sh("2026-04-04 00:00"), cal, working_days=0)


def test_a_notice_key_names_case_deadline_round_and_kind_and_the_message_id_follows_from_it():
    key = notice_key("c1", "unit_reply", 2, NoticeKind.APPROACHING)
    assert key == "c1:unit_reply:2:approaching"
    assert message_id(key) == message_id("c1:unit_reply:2:approaching")
    assert message_id(key) != message_id(notice_key("c1", "unit_reply", 2, NoticeKind.ENDED))
    assert message_id(key).startswith("<") and message_id(key).endswith("@caseledger>")
    assert len(message_id(key)) == len("<@caseledger>") + 32


def test_the_wait_after_a_failed_attempt_doubles_up_to_its_cap():
    assert [retry_after(n, base=2, cap=30) for n in (1, 2, 3, 4, 5)] == [
        timedelta(seconds=s) for s in (2, 4, 8, 16, 30)
    ]
