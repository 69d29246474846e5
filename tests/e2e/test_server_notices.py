"""The reminder path on the real server: ``caseledger serve``, the sender as a process of its own, and a
real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

The sender is killed (SIGKILL) while the mail is on its way, and started again: every reminder
arrives, and a mail that arrives twice carries the same Message-ID both times.

The cases: 淄川 (000 item 4) gives the unit 2 working days to reply. Forwarded Mon 2026-11-02 10:00,
the reply ends 24:00 Wed 11-04; unanswered, the sweep (run today) records each miss, and each is an
"ended" reminder to the unit's users with an address.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from domain.notices import message_id, notice_key
from tests.e2e.server import cli_command, run_cli, running_server, scratch_postgres
from tests.mail import MailServer

CASES = 12


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite3'}"
    else:
        with scratch_postgres(prefix="caseledger_mail") as scratch:
            yield scratch


def wait_until(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def sender(server, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [*cli_command(), "notices", "run"],
        env=server.env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=open(cwd / "sender.err", "ab"),  # noqa: SIM115 - the child keeps it
        start_new_session=True,
    )


@pytest.mark.server
def test_every_reminder_arrives_after_the_sender_is_killed_mid_way_and_restarted(url, tmp_path):
    with MailServer(delay=0.15) as mail:
        env = {
            "CASELEDGER_SMTP_URL": mail.url,
            "CASELEDGER_MAIL_FROM": "yujing@ban.example.cn",
            "CASELEDGER_PUBLIC_URL": "https://ban.example.cn",
            "CASELEDGER_NOTICE_POLL_SECONDS": "0.2",
            "CASELEDGER_MAIL_RETRY_SECONDS": "0.5",
            "CASELEDGER_MAIL_LEASE_SECONDS": "2",
        }
        with running_server(url, tmp_path, env, workers=1, serve_args=["--no-notices"]) as server:
            run_cli(["user", "email", "power", "power@ban.example.cn"], server.env, tmp_path)
            clerk = server.tokens["clerk"]
            ids = []
            for i in range(CASES):
                opened = server.post(
                    "/api/appeals",
                    {
                        "channel": "12345",
                        "category": "help",
                        "subject": f"接电难{i}",
                        "content": "新厂房低压接电逾期未办",
                        "enterprise": {"name": "淄博某某机械有限公司"},
                        "profile": "zichuan-2020",
                        "occurred_at": "2026-11-02T09:00:00+08:00",
                    },
                    clerk,
                )
                assert opened.status == 201, opened.json
                forwarded = server.post(
                    f"/api/appeals/{opened.json['id']}/forward",
                    {"unit": "DISTRICT-POWER", "occurred_at": "2026-11-02T10:00:00+08:00"},
                    clerk,
                )
                assert forwarded.status == 200, forwarded.json
                ids.append(opened.json["id"])
            run_cli(["deadlines", "sweep"], server.env, tmp_path)
            expected = {message_id(notice_key(i, "unit_reply", 1, "ended")) for i in ids}

            first = sender(server, tmp_path)
            try:
                wait_until(lambda: len(mail.ids()) >= 3, what="the first mails")
            finally:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(10)
            at_kill = len(mail.ids())
            assert at_kill < CASES, "the sender finished before it was killed"

            second = sender(server, tmp_path)
            try:
                wait_until(lambda: expected <= set(mail.ids()), what="every reminder")
            finally:
                second.terminate()
                second.wait(10)
            received = mail.ids()
            assert set(received) == expected  # every reminder, and nothing else
            assert len(received) <= CASES + 1  # at most the mail in flight at the kill came twice
            items = server.get("/api/notices?unit=DISTRICT-POWER", server.tokens["auditor"]).json["items"]
            mailed = [i for i in items if i["channel"] == "mail"]
            assert len(mailed) == CASES and all(i["sent_at"] and i["to"] == "power@ban.example.cn" for i in mailed)
            with open(tmp_path / "received.json", "w") as f:  # for a reader of the test's files
                json.dump({"at_kill": at_kill, "received": received}, f)
