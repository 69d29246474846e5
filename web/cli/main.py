"""The operators' command line: ``caseledger …``.

Every change made here is recorded with the operator as actor
(``cli:<login name>``), so grants of roles and units are auditable.

A refused command, a bad ``CASELEDGER_DATABASE_URL`` or a database that
cannot be opened prints one line naming the problem (``caseledger: …``) on
standard error and exits non-zero: 2 for a wrong command line or URL, 1 for
the rest.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sqlite3
import sys
import threading
from datetime import date, datetime
from urllib.parse import urlsplit

import psycopg
from eventsourcing.persistence import PersistenceError

from adapters.persistence.database import DEFAULT_URL, DatabaseURLError, database_from_url
from adapters.persistence.election import leadership, run_elected
from adapters.persistence.pg_pool import UNAVAILABLE
from domain.actors import Actor, Role
from domain.deadlines.periods import SHANGHAI
from domain.errors import DomainError
from projections.runner import BatchRunner
from web.bootstrap import Settings, SettingsError, bootstrap
from web.cli import imports as cli_import
from web.cli import serve
from web.cli import tlog as cli_audit

# Why the database cannot be opened: the driver's, the library's or the file system's refusal, or an outage.
_CANNOT_OPEN: tuple[type[Exception], ...] = (psycopg.Error, PersistenceError, sqlite3.Error, OSError, *UNAVAILABLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="caseledger", description="Event-sourced case ledger for appeals and approvals"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(commands)
    commands.add_parser("profiles", help="list the policy profiles on offer")

    deadlines = commands.add_parser("deadlines", help="deadline watch").add_subparsers(dest="action", required=True)
    sweep = deadlines.add_parser("sweep", help="record every deadline passed and unmet, once, with its consequences")
    sweep.add_argument(
        "--now",
        help="sweep as of this ISO 8601 time (no offset: Asia/Shanghai); default: now; "
        "never later than now, except with --dry-run",
    )
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="record nothing; print what a sweep at --now (which may lie ahead) would record",
    )
    watch = deadlines.add_parser("watch", help="sweep every minute until stopped")
    watch.add_argument("--interval", type=float, default=60.0, help="seconds between sweeps (default 60)")

    projections = commands.add_parser("projections", help="read models").add_subparsers(dest="action", required=True)
    run = projections.add_parser("run", help="catch up, then follow the event log until stopped")
    run.add_argument("--batch-size", type=int, default=5000)
    rebuild = projections.add_parser("rebuild", help="rebuild a read model from the first event")
    rebuild.add_argument("name", help="case_list, ledger, audit_trail, accountability_trail or all")
    rebuild.add_argument("--batch-size", type=int, default=5000)
    projections.add_parser("status", help="each read model's position and lag")

    unit = commands.add_parser("unit", help="handling units").add_subparsers(dest="action", required=True)
    add = unit.add_parser("add", help="register a unit")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--parent")
    unit.add_parser("list", help="list units")
    head = unit.add_parser("head", help="record who heads a unit from a day on (主要负责人)")
    head.add_argument("code")
    head.add_argument("name")
    head.add_argument(
        "--from",
        dest="from_day",
        required=True,
        metavar="DATE",
        help="the first day in office, YYYY-MM-DD (Asia/Shanghai)",
    )
    off = unit.add_parser("disable", help="disable a unit")
    off.add_argument("code")
    off.add_argument("--reason")

    user = commands.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user; the password is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--unit")
    user.add_parser("list", help="list users")
    for action, text in (
        ("disable", "disable a user"),
        ("enable", "enable a user"),
        ("passwd", "set a password, read from standard input"),
        ("revoke-tokens", "revoke every token the user holds"),
    ):
        one = user.add_parser(action, help=text)
        one.add_argument("name")
        if action == "disable":
            one.add_argument("--reason")

    cli_audit.add_parser(commands)
    cli_import.add_parser(commands)

    args = parser.parse_args(argv)
    if args.command == "import" and (problem := cli_import.preflight(args)):
        return _fail(problem)
    if args.command == "audit" and args.action in cli_audit.OFFLINE:
        return cli_audit.offline(args)
    if args.command == "user" and args.action == "add" and args.role == Role.UNIT.value and not args.unit:
        return _fail("--unit CODE is required for a unit user (the unit it acts for; see 'caseledger unit list')", 2)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        return _fail(str(exc), 2)
    if args.command == "serve":
        try:
            database_from_url(settings.database_url)  # a bad URL stops here, not in every worker
        except DatabaseURLError as exc:
            return _fail(f"CASELEDGER_DATABASE_URL={exc}", 2)
        return serve.run(args, settings)
    try:
        if (args.command, getattr(args, "action", None)) in (("projections", "run"), ("deadlines", "watch")):
            container = _bootstrap_when_reachable(settings)  # a long-running process waits for the database
            if container is None:
                return 0
        else:
            container = bootstrap(settings)
    except DatabaseURLError as exc:
        return _fail(f"CASELEDGER_DATABASE_URL={exc}", 2)
    except _CANNOT_OPEN as exc:
        return _fail(
            f"cannot open the database {_redacted(settings.database_url or DEFAULT_URL)} "
            f"(CASELEDGER_DATABASE_URL): {_first_line(exc)}"
        )
    try:
        return _run(args, container)
    except DomainError as exc:
        fields = getattr(exc, "fields", None)
        return _fail(exc.message if not fields else "; ".join(f"{OPTIONS.get(k, k)}: {v}" for k, v in fields.items()))
    except (psycopg.Error, PersistenceError, sqlite3.Error) as exc:
        return _fail(f"the database failed: {_first_line(exc)}")
    finally:
        container.close()


#: The command line's name for a field a refusal names.
OPTIONS = {"from": "--from", "parent": "--parent", "unit": "--unit", "role": "--role", "reason": "--reason"}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _fail(message: str, status: int = 1) -> int:
    print(f"caseledger: {message}", file=sys.stderr)
    return status


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _redacted(url: str) -> str:
    password = urlsplit(url).password
    return url.replace(f":{password}@", ":***@", 1) if password else url


def _run(args: argparse.Namespace, c) -> int:
    operator = Actor(f"cli:{getpass.getuser()}", Role.ADMIN)
    if args.command == "projections":
        return _projections(args, c)
    if args.command == "deadlines":
        return _deadlines(args, c)
    if args.command == "audit":
        return cli_audit.run(args, c)
    if args.command == "import":
        return cli_import.run(args, c, operator)
    if args.command == "profiles":
        for pid in c.profiles.ids(kind=None):
            p = c.profiles.get(pid, kind=None)
            print(f"{p.id}\t{p.kind}\tv{p.version}\t{p.source}\t{p.title}")
    elif args.command == "unit" and args.action == "add":
        u = c.directory.add_unit(operator, args.code, args.name, args.parent)
        print(f"unit {u.code} added")
    elif args.command == "unit" and args.action == "head":
        day = _day(args.from_day)
        if day is None:
            return _fail(f"--from {args.from_day!r} is not a day as YYYY-MM-DD", 2)
        c.directory.appoint_head(operator, args.code, args.name, day)
        print(f"unit {args.code} headed by {args.name.strip()} from {day.isoformat()}")
    elif args.command == "unit" and args.action == "list":
        for u in sorted(c.directory.units(), key=lambda u: u.code):
            print(f"{u.code}\t{u.name}\t{u.parent or '-'}\t{'active' if u.active else 'disabled'}")
    elif args.command == "unit" and args.action == "disable":
        c.directory.disable_unit(operator, args.code, args.reason)
        print(f"unit {args.code} disabled")
    elif args.action == "add":
        u = c.directory.add_user(operator, args.name, args.role, _password(), args.unit)
        print(f"user {u.username} added as {u.role}" + (f" of {u.unit}" if u.unit else ""))
    elif args.action == "list":
        for u in sorted(c.directory.users(), key=lambda u: u.username):
            print(f"{u.username}\t{u.role}\t{u.unit or '-'}\t{'active' if u.active else 'disabled'}")
    elif args.action == "disable":
        c.directory.disable_user(operator, args.name, args.reason)
        print(f"user {args.name} disabled")
    elif args.action == "enable":
        c.directory.enable_user(operator, args.name)
        print(f"user {args.name} enabled")
    elif args.action == "passwd":
        c.directory.set_password(operator, args.name, _password())
        print(f"password of {args.name} changed; earlier tokens revoked")
    elif args.action == "revoke-tokens":
        c.directory.revoke_all_tokens(operator, args.name)
        print(f"every token of {args.name} revoked")
    return 0


def _projections(args: argparse.Namespace, c) -> int:
    if args.action == "status":
        head = c.appeals.recorder.max_notification_id() or 0
        for name, model in c.read_models.items():
            position = model.view.position()
            print(f"{name}\tposition {position}\thead {head}\tlag {max(0, head - position)}")
        print(
            f"accountability\tposition {c.follower.position()}\thead {head}\t"
            f"{'behind' if c.follower.pending() else 'caught up'}"
        )
        print(
            f"accountability_trail\tposition {c.accountability_trail.view.position()}\t\t"
            f"{'behind' if c.accountability_trail.pending() else 'caught up'}"
        )
        print(f"audit_trail (directory, accountability)\t\t\t{'behind' if c.trail_follower.pending() else 'caught up'}")
        print(f"merkle_log\tsize {c.merkle.size()}\t\t{'behind' if c.merkle.pending() else 'caught up'}")
        for name in ELECTED:
            with leadership(c.database, name) as lead:
                holders = lead.holders()
            if not holders:
                print(f"{name}\tnot running")
            for h in holders:
                print(
                    f"{name}\t{'active' if h.active else 'standby'}\t{h.who}\t{'since ' + h.since if h.since else ''}"
                )
        return 0
    if args.action == "rebuild":
        if args.name in ("accountability_trail", "all"):
            c.accountability_trail.view.reset()
            c.run_accountability()
            print(f"accountability_trail rebuilt at {c.accountability_trail.view.position()}", file=sys.stderr)
            if args.name != "all":
                return 0
        names = list(c.read_models) if args.name == "all" else [args.name]
        unknown = [n for n in names if n not in c.read_models]
        if unknown:
            print(
                f"caseledger: no read model {unknown[0]!r}; one of {', '.join(c.read_models)} or all", file=sys.stderr
            )
            return 2
        from tqdm import tqdm

        for name in names:
            c.read_models[name].view.reset()
        runner = BatchRunner(c.feed(), [c.read_models[n] for n in names], args.batch_size)
        head = c.appeals.recorder.max_notification_id() or 0
        with tqdm(total=head, unit="ev", desc=f"rebuild {args.name}") as bar:
            runner.run_once(progress=lambda position: bar.update(position - bar.n))
        if "audit_trail" in names:  # and its rows of the directory's and the accountability record's acts
            c.trail_follower.run_once()
        return 0
    if args.action == "run":

        def follow(step_down: threading.Event) -> None:
            print(
                f"projections from {c.runner().positions()}, accountability from {c.follower.position()}; "
                "following the log",
                file=sys.stderr,
                flush=True,
            )
            c.follow(step_down, batch_size=args.batch_size)

        return _elected(c, "projections", "读模型进程", "a read-model process", follow)
    return 2


#: What runs as a process of its own, elected: one active per database, the others standing by.
ELECTED = ("projections", "deadline-watch")


def _elected(c, name: str, chinese: str, english: str, work) -> int:
    """Runs ``work`` while this process is the elected one of ``name`` (adapters.persistence.election).

    On PostgreSQL a second process stands by and takes over when the active one is gone; on SQLite
    (one host) it is not started: it says so and exits 1."""
    stop = _stop_on_signals()
    with leadership(c.database, name) as lead:
        if run_elected(lead, work, stop, say=_say):
            return 0
        holder = next((h.who for h in lead.holders() if h.active), "?")
        return _fail(
            f"{chinese}已在此数据库上运行（{holder}），本进程不启动 / "
            f"{english} already runs on this database ({holder}); this one is not started"
        )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


WATCH = Actor("deadline-watch", Role.PLATFORM)
_STOP = threading.Event()


def _stop_on_signals() -> threading.Event:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: _STOP.set())
    serve.watch_parent(_STOP)
    return _STOP


def _bootstrap_when_reachable(settings: Settings, retry: float = 2.0):
    """For the processes that follow the log: wait for the database instead of exiting (None if stopped first).

    ``caseledger serve`` starts them beside its workers and does not restart them, so an outage at
    start-up must not end them.
    """
    stop = _stop_on_signals()
    while not stop.is_set():
        try:
            return bootstrap(settings)
        except UNAVAILABLE as exc:
            logging.getLogger(__name__).warning("database unreachable (%s); trying again in %g s", exc, retry)
            stop.wait(retry)
    return None


def _deadlines(args: argparse.Namespace, c) -> int:
    if args.action == "sweep":
        now = None
        if args.now:
            from web.api.schemas.common import ISO_8601

            try:
                if not ISO_8601.fullmatch(args.now):
                    raise ValueError(args.now)
                now = datetime.fromisoformat(args.now)
            except ValueError:
                print(f"caseledger: --now {args.now!r} is not an ISO 8601 time", file=sys.stderr)
                return 2
            now = now if now.tzinfo else now.replace(tzinfo=SHANGHAI)
        _print_sweep(_sweep(c, now, args.dry_run))
        return 0

    def watch(step_down: threading.Event) -> None:
        print(f"sweeping deadlines every {args.interval:g} s", file=sys.stderr, flush=True)
        while not step_down.is_set():
            try:
                _print_sweep(_sweep(c, None))
            except Exception:  # a dropped connection: the next sweep resumes, nothing is half recorded
                logging.getLogger(__name__).exception("deadline sweep failed; trying again at the next interval")
            step_down.wait(args.interval)

    return _elected(c, "deadline-watch", "时限监控进程", "a deadline watch", watch)


def _sweep(c, now, dry_run=False):
    report = c.deadline_watch(run_index=True).sweep(WATCH, now, dry_run)
    if not dry_run:  # an operator's command brings the accountability record up to date itself
        c.run_accountability()
    return report


def _print_sweep(report) -> None:
    print(
        f"{'dry run, nothing recorded: ' if report.dry_run else ''}"
        f"{report.now.astimezone(SHANGHAI).isoformat()}\tchecked {report.cases_checked} cases\t"
        f"{len(report.missed)} deadlines missed\t{len(report.escalations)} escalations\t"
        f"{len(report.deemed_accepted)} deemed accepted",
        flush=True,
    )
    for m in report.missed:
        print(
            f"  missed\t{m['case_id']}\t{m['deadline']}#{m['round']}\t{m['unit'] or 'platform'}\t"
            f"due {m['due'].astimezone(SHANGHAI).isoformat()}\t{m['rule']}",
            flush=True,
        )
    for d in report.deemed_accepted:  # 行政许可法 art. 32: no notice within the period
        print(
            f"  deemed accepted\t{d['case_id']}\tas of {d['accepted_as_of'].astimezone(SHANGHAI).isoformat()}",
            flush=True,
        )


def _password() -> str:
    """From a terminal, asked twice; from a pipe, the first line."""
    if sys.stdin.isatty():
        first, second = getpass.getpass("password: "), getpass.getpass("again: ")
        if first != second:
            raise SystemExit("caseledger: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


if __name__ == "__main__":
    sys.exit(main())
