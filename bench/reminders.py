"""Reminders (预警) benchmark on PostgreSQL: the reminder process's catch-up, and how soon a mail arrives.

In the same run:

- builds an event log of ``--cases`` cases (bench/projections.py's mix: every case received and
  forwarded, a share driven through its whole lifecycle), then catches up from zero, one after the
  other, the case list view alone and the reminder process's derivation (its own runner, its rows
  and position in one transaction per batch), and prints both rates in events/s;
- then, with a real SMTP server (aiosmtpd) on this machine and the reminder process following the log
  with the default poll (``CASELEDGER_NOTICE_POLL_SECONDS``, 1 s), runs ``--trials`` trials: in
  each, ``--per-trial`` unanswered cases forwarded on one working day have their reply deadline
  enter its warning window at a known instant (the process's clock is the wall clock shifted so
  that the window opens a random fraction of a poll after the trial starts), and the time from that
  instant to each mail's arrival at the SMTP server is taken. It prints p50, p99 and the worst.

    .venv/bin/python bench/reminders.py [--cases 20000] [--trials 20] [--per-trial 5]

Measured with the defaults (81,000 events) on 2 CPUs, PostgreSQL 15 on the same machine: the case
list 10,586 events/s, the reminder process 8,782 (0.83×); window to mail p50 0.62 s, p99 1.16 s.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, and bench/http.py would shadow the
# standard library's http (which Flask needs): the repository's root goes there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from adapters.auth.passwords import Argon2Hasher  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import scratch_database  # noqa: E402
from bench.projections import ADMIN, PLATFORM, UNITS, build_log  # noqa: E402
from domain.deadlines.periods import SHANGHAI  # noqa: E402
from domain.notices import message_id, notice_key  # noqa: E402
from projections.cases.case_list import CaseList  # noqa: E402
from projections.follow import follow  # noqa: E402
from projections.runner import BatchRunner  # noqa: E402
from web.bootstrap import Settings, bootstrap  # noqa: E402

UNIT = UNITS[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Arrivals:
    """The SMTP server's handler: when each Message-ID arrived (monotonic seconds)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        arrived = time.monotonic()
        text = envelope.content.decode("utf-8", "replace")
        mid = next(
            (line.split(":", 1)[1].strip() for line in text.splitlines() if line.lower().startswith("message-id:")), ""
        )
        with self.lock:
            self.at.setdefault(mid, arrived)
        return "250 OK"


class ShiftedClock:
    """The wall clock, shifted by ``offset``: the business time the reminder process reads."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def working_days(start: date, n: int, calendar) -> list[date]:
    days, day = [], start
    while len(days) < n:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--full-share", type=float, default=0.35)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--per-trial", type=int, default=5)
    parser.add_argument("--database-url", help="an existing PostgreSQL database (default: a fresh one, dropped after)")
    args = parser.parse_args()
    arrivals = Arrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=free_port())
    smtp.start()
    clock = ShiftedClock()
    try:
        with scratch_database(args.database_url) as url:
            settings = Settings(
                database_url=url, secret_key="bench", read_wait=0, smtp_url=f"smtp://127.0.0.1:{smtp.port}"
            )
            c = bootstrap(settings, clock=clock, hasher=Argon2Hasher(time_cost=1, memory_cost=1024))
            try:
                print(describe({"database": "PostgreSQL (fresh database)", "poll": f"{settings.notice_poll:g} s"}))
                c.directory.add_unit(ADMIN, UNIT, "基准测试单位")
                c.directory.add_user(ADMIN, "bench.unit", "unit", "a long enough password", UNIT)
                c.directory.set_email(ADMIN, "bench.unit", "bench.unit@ban.example.cn")
                events = build_log(c.appeals, c.profiles, args.cases, args.full_share)
                print(f"\nlog: {args.cases} cases, {events} events")

                index = CaseList(c.views.get("case_list"), c.calendars.for_jurisdiction)
                started = time.perf_counter()
                BatchRunner(c.feed(), [index], 5000).run_once()
                views_s = time.perf_counter() - started
                started = time.perf_counter()
                derived = c.notices.catch_up()
                notices_s = time.perf_counter() - started
                print("catch-up from zero, same run:")
                print(f"  case list view      {events / views_s:>9,.0f} events/s ({views_s:.2f} s)")
                print(f"  reminder process    {derived / notices_s:>9,.0f} events/s ({notices_s:.2f} s)")
                print(f"  reminders / views   {views_s / notices_s:.2f}×")

                latencies = trials(c, clock, arrivals, args.trials, args.per_trial)
                latencies.sort()
                p99 = latencies[max(0, int(len(latencies) * 0.99 + 0.5) - 1)]
                print(
                    f"\nwindow opened → mail arrived, {len(latencies)} mails over {args.trials} trials: "
                    f"p50 {statistics.median(latencies):.2f} s, p99 {p99:.2f} s, worst {latencies[-1]:.2f} s"
                )
            finally:
                c.close()
    finally:
        smtp.stop()
    return 0


def trials(c, clock: ShiftedClock, arrivals: Arrivals, n: int, per_trial: int) -> list[float]:
    """Cases forwarded on ``n`` working days of autumn 2026, each day's replies entering their window
    in a trial of its own while the reminder process follows with the default poll."""
    calendar = c.calendars.for_jurisdiction("zibo.zichuan")
    days = working_days(date(2026, 9, 1), n, calendar)
    by_day: dict[date, list[str]] = {}
    for i, day in enumerate(days):
        at = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=10)
        for k in range(per_trial):
            appeal, _ = c.appeals.open(
                PLATFORM,
                occurred_at=at - timedelta(hours=1),
                channel="12345",
                category="help",
                subject=f"预警基准{i}-{k}",
                content="企业反映办理过程中遇到的问题。",
                enterprise={"name": "测试企业有限公司"},
                profile="zichuan-2020",
                external_ref=f"BENCH-REMINDER-{i}-{k}",
            )
            c.appeals.forward(appeal.id, PLATFORM, unit=UNIT, occurred_at=at)
            by_day.setdefault(day, []).append(str(appeal.id))
    # When each day's replies enter their window, from the process's own reading of a case.
    windows = {}
    for day, ids in by_day.items():
        (watched,) = [
            w for w in c.notices.deriver.watched(c.appeals.repository.get(_uuid(ids[0]))) if w.deadline == "unit_reply"
        ]
        windows[day] = watched.warn_at
    # Business time well before the first window while the process catches up with the new cases.
    first = min(windows.values())
    clock.offset = first - timedelta(hours=1) - datetime.now(UTC)
    stop = threading.Event()
    poll = c.settings.notice_poll
    follower = threading.Thread(target=follow, args=(c.notices.run_once, stop, poll, "bench reminders"), daemon=True)
    follower.start()
    latencies: list[float] = []
    try:
        time.sleep(3 * poll)
        for day in days:
            lead = 0.5 + random.random() * poll  # the window opens at a random phase of the poll
            opens_at = time.monotonic() + lead
            clock.offset = windows[day] - (datetime.now(UTC) + timedelta(seconds=lead))
            wanted = {message_id(notice_key(i, "unit_reply", 1, "approaching")) for i in by_day[day]}
            deadline = time.monotonic() + 30
            while True:
                with arrivals.lock:
                    got = {m: arrivals.at[m] for m in wanted if m in arrivals.at}
                if len(got) == len(wanted) or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            assert len(got) == len(wanted), f"only {len(got)} of {len(wanted)} mails arrived"
            latencies += [at - opens_at for at in got.values()]
    finally:
        stop.set()
        follower.join()
    return latencies


def _uuid(text: str):
    from uuid import UUID

    return UUID(text)


if __name__ == "__main__":
    sys.exit(main())
