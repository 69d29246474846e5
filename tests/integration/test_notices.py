"""Reminders (预警) through the outbox, on SQLite and PostgreSQL, with a real SMTP server (aiosmtpd).

The case: 淄川 (000 item 4) gives the unit 2 working days from forwarding to reply. Forwarded Thu
2026-04-02: Fri 04-03 is the first working day, Sat 04-04 to Mon 04-06 are Qingming's rest days, Tue
04-07 the second; the reply is due 24:00 Tue 04-07 (ends Wed 04-08 00:00). The warning window (the
default: one working day before the end) opens Tue 04-07 00:00.

Each test has a database of its own (two processes, crashes); the clock is the test's.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

import pytest

from adapters.auth.passwords import Argon2Hasher
from adapters.mail.smtp import SmtpMailer
from adapters.profiles.files import PACKAGED
from adapters.views.notices import CLAIM_LEASE
from domain.actors import Actor, Role
from domain.notices import message_id, notice_key
from projections.notices import NoticeQuery
from tests.conftest import PLATFORM, sh
from tests.e2e.server import scratch_postgres
from tests.mail import MailServer
from web.bootstrap import Settings, bootstrap

OPERATOR = Actor("cli:test", Role.ADMIN)
UNIT = "DISTRICT-POWER"


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite3'}"
    else:
        with scratch_postgres(prefix="caseledger_notices") as scratch:
            yield scratch


class Clock:
    def __init__(self) -> None:
        self.now = sh("2026-04-02 11:00")

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def mail():
    with MailServer() as server:
        yield server


@contextmanager
def opened(url, tmp_path, clock, smtp_url, profiles_dir=None):
    container = bootstrap(
        Settings(
            database_url=url,
            profiles_dir=profiles_dir,
            secret_key="k",
            log_key_file=tmp_path / "log.key",
            read_wait=0,
            smtp_url=smtp_url,
            public_url="https://ban.example.cn",
            mail_retry=1.0,
        ),
        clock=clock,
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        yield container
    finally:
        container.close()


@pytest.fixture
def c(url, tmp_path, clock, mail):
    with opened(url, tmp_path, clock, mail.url) as container:
        container.directory.add_unit(OPERATOR, UNIT, "区供电中心")
        container.directory.add_user(OPERATOR, "power", "unit", "a long enough password", UNIT)
        container.directory.set_email(OPERATOR, "power", "power@ban.example.cn")
        yield container


def forwarded(c, n: int = 1, profile: str = "zichuan-2020") -> list[str]:
    """``n`` appeals received and forwarded to the unit on Thu 2026-04-02."""
    ids = []
    for i in range(n):
        appeal, _ = c.appeals.open(
            PLATFORM,
            occurred_at=sh("2026-04-02 09:00"),
            channel="12345",
            category="help",
            subject=f"用电报装迟迟未接通{i}",
            content="企业反映新厂房低压接电申请已逾期未办。",
            enterprise={"name": "淄博某某机械有限公司"},
            profile=profile,
            external_ref=f"WO-{i}",
        )
        c.appeals.forward(appeal.id, PLATFORM, unit=UNIT, occurred_at=sh("2026-04-02 10:00"))
        ids.append(str(appeal.id))
    return ids


def mail_rows(c):
    return [n for n in c.notices.view.notices(NoticeQuery()) if n.channel == "mail"]


def test_a_deadline_entering_its_window_is_noticed_once_in_the_workspace_and_by_mail(c, clock, mail):
    """000 item 4: reply due 24:00 Tue 04-07; the window opens Tue 00:00. Nothing at Mon 23:59; at Tue
    00:00 one workspace notice and one mail, in Chinese, with the case number, subject, deadline, due
    time and link, its Message-ID derived from the key; a later pass adds nothing."""
    (case_id,) = forwarded(c)
    clock.now = sh("2026-04-06 23:59")
    c.notices.run_once()
    assert c.notices.view.notices(NoticeQuery()) == []
    clock.now = sh("2026-04-07 00:00")
    c.notices.run_once()
    key = notice_key(case_id, "unit_reply", 1, "approaching")
    rows = {n.channel: n for n in c.notices.view.notices(NoticeQuery(unit=UNIT))}
    assert set(rows) == {"workspace", "mail"}
    assert rows["mail"].key == key and rows["mail"].to == "power@ban.example.cn"
    assert rows["mail"].sent_at == sh("2026-04-07 00:00") and rows["mail"].attempts == 1
    assert rows["mail"].due == sh("2026-04-07 23:59:59")
    (sent,) = mail.received
    assert sent["Message-ID"] == message_id(key)
    body = sent.get_content()
    case_no = rows["mail"].case_no
    assert case_no in sent["Subject"] and "即将到期" in sent["Subject"]
    for text in (case_no, "用电报装迟迟未接通0", "承办单位回复初步处理情况", "2026年04月07日 23:59"):
        assert text in body
    assert f"https://ban.example.cn/appeals/{case_id}" in body
    clock.now += timedelta(minutes=5)
    assert c.notices.run_once() == 0
    assert len(mail.received) == 1


def test_a_deadline_met_before_its_window_is_never_noticed(c, clock, mail):
    """The unit replies Mon 04-06 (a rest day, but a reply may come any day): the clock is met, the
    window that would have opened Tue 00:00 never does."""
    (case_id,) = forwarded(c)
    clock.now = sh("2026-04-06 10:00")
    c.appeals.answer(
        UUID(case_id),
        OPERATOR,  # an admin records the unit's reply as of Monday (a unit user records it as it happens)
        kind="initial",
        content="已安排现场勘查。",
        occurred_at=sh("2026-04-06 10:00"),
    )
    clock.now = sh("2026-04-07 09:00")
    c.notices.run_once()
    assert [n for n in c.notices.view.notices(NoticeQuery()) if n.deadline == "unit_reply"] == []
    assert mail.received == []


def test_a_missed_deadline_is_noticed_as_ended_once_the_sweep_records_it(c, clock, mail):
    """000 item 4: unanswered at Wed 04-08 00:00, the reply deadline is missed; the sweep records it,
    and the process adds an "ended" notice and its mail."""
    (case_id,) = forwarded(c)
    clock.now = sh("2026-04-08 08:00")
    c.notices.run_once()  # the approaching notice's window has passed with the deadline: none now
    c.deadline_watch(run_index=True).sweep(PLATFORM)
    c.notices.run_once()
    kinds = {(n.kind, n.channel) for n in c.notices.view.notices(NoticeQuery(case_id=case_id))}
    assert kinds == {("ended", "workspace"), ("ended", "mail")}
    assert [m["Message-ID"] for m in mail.received] == [message_id(notice_key(case_id, "unit_reply", 1, "ended"))]
    assert "已超期" in mail.received[0]["Subject"]


def test_two_processes_derive_and_send_each_notice_once(url, tmp_path, clock, mail, c):
    """Two processes on one database, each catching up and deriving at the same moment: each
    (case, deadline, round, kind) has one row per channel, and one mail is sent for each."""
    ids = forwarded(c, 6)
    clock.now = sh("2026-04-07 08:00")
    with opened(url, tmp_path, clock, mail.url) as other:
        barrier = threading.Barrier(2)
        errors = []

        def run(container):
            try:
                barrier.wait()
                for _ in range(3):
                    container.notices.run_once()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(x,)) for x in (c, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
    rows = c.notices.view.notices(NoticeQuery())
    assert sorted((n.key, n.channel) for n in rows) == sorted(
        (notice_key(i, "unit_reply", 1, "approaching"), ch) for i in ids for ch in ("workspace", "mail")
    )
    assert sorted(mail.ids()) == sorted(message_id(notice_key(i, "unit_reply", 1, "approaching")) for i in ids)


class Crash(BaseException):
    """The sender dies after the relay took the mail, before the outbox recorded it."""


class CrashAfterSending(SmtpMailer):
    def send(self, notice):
        super().send(notice)
        raise Crash


def test_a_mail_sent_before_a_crash_is_sent_again_with_the_same_message_id(url, tmp_path, clock, mail, c):
    """The relay accepted the mail and the sender died before recording it: the next sender sends it
    again (at least once), and the repeat carries the same Message-ID (idempotent by key)."""
    (case_id,) = forwarded(c)
    clock.now = sh("2026-04-07 08:00")
    c.notices.catch_up()
    c.notices.derive_approaching()
    c.notices.mailer = CrashAfterSending(mail.url, None, "https://ban.example.cn")
    with pytest.raises(Crash):
        c.notices.send_due()
    (row,) = mail_rows(c)
    assert row.sent_at is None  # the outbox never heard that it went
    clock.now += CLAIM_LEASE  # on SQLite the dead sender's claim lapses; on PostgreSQL its lock went with it
    with opened(url, tmp_path, clock, mail.url) as restarted:
        restarted.notices.run_once()
    (row,) = mail_rows(c)
    assert row.sent_at is not None
    key = notice_key(case_id, "unit_reply", 1, "approaching")
    assert mail.ids() == [message_id(key), message_id(key)]


def test_while_the_relay_is_away_the_mail_waits_with_back_off_and_goes_when_it_returns(c, clock, mail):
    """Relay down: the attempt is recorded with its error and the next waits 1 s, then 2 s (doubling);
    nothing is tried before its time; once the relay is back the mail goes, and is not lost."""
    (case_id,) = forwarded(c)
    mail.stop()
    clock.now = sh("2026-04-07 08:00")
    c.notices.run_once()
    (row,) = mail_rows(c)
    assert (row.attempts, row.sent_at, row.next_attempt_at) == (1, None, sh("2026-04-07 08:00:01"))
    assert row.last_error
    clock.now = sh("2026-04-07 08:00:00.5")
    assert c.notices.send_due() == 0
    clock.now = sh("2026-04-07 08:00:01")
    assert c.notices.send_due() == 1
    (row,) = mail_rows(c)
    assert (row.attempts, row.next_attempt_at) == (2, sh("2026-04-07 08:00:03"))
    mail.start()
    clock.now = sh("2026-04-07 08:00:02")
    assert c.notices.send_due() == 0
    clock.now = sh("2026-04-07 08:00:03")
    assert c.notices.send_due() == 1
    (row,) = mail_rows(c)
    assert (row.attempts, row.sent_at, row.last_error) == (3, sh("2026-04-07 08:00:03"), None)
    assert mail.ids() == [message_id(notice_key(case_id, "unit_reply", 1, "approaching"))]


def test_a_unit_without_addresses_is_told_in_the_workspace_only(c, clock, mail):
    c.directory.set_email(OPERATOR, "power", "")
    forwarded(c)
    clock.now = sh("2026-04-07 08:00")
    c.notices.run_once()
    assert [n.channel for n in c.notices.view.notices(NoticeQuery())] == ["workspace"]
    assert mail.received == []


def test_a_profile_s_wider_window_opens_earlier(url, tmp_path, clock, mail):
    """A local profile (淄川's rules, 000 item 4) with ``warning_working_days = 2``: the reply ending Wed
    04-08 00:00 is warned from two working days before — Tue 04-07, then Fri 04-03 (Qingming between) —
    so from Fri 04-03 00:00, not Thu 04-02 23:59."""
    local = tmp_path / "profiles"
    local.mkdir()
    text = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    text = text.replace('id = "zichuan-2020"', 'id = "zichuan-warn"\nwarning_working_days = 2')
    (local / "zichuan-warn.toml").write_text(text, encoding="utf-8")
    with opened(url, tmp_path, clock, mail.url, profiles_dir=local) as c:
        c.directory.add_unit(OPERATOR, UNIT, "区供电中心")
        (case_id,) = forwarded(c, profile="zichuan-warn")
        clock.now = sh("2026-04-02 23:59")
        c.notices.run_once()
        assert c.notices.view.notices(NoticeQuery()) == []
        clock.now = sh("2026-04-03 00:00")
        c.notices.run_once()
        (row,) = c.notices.view.notices(NoticeQuery())
        assert (row.key, row.channel) == (notice_key(case_id, "unit_reply", 1, "approaching"), "workspace")
