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
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from urllib.parse import urlsplit

import psycopg
from eventsourcing.persistence import PersistenceError

from adapters.persistence.database import DEFAULT_URL, DatabaseURLError, database_from_url
from adapters.persistence.pg_pool import UNAVAILABLE
from domain.actors import Actor, Role
from domain.deadlines.periods import SHANGHAI
from domain.errors import DomainError
from projections.runner import BatchRunner
from web.bootstrap import Settings, SettingsError, bootstrap
from web.cli import imports as cli_import
from web.cli import tlog as cli_audit


def _positive(text: str) -> float:
    """A number of seconds above zero (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0 and below 86400")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseledger", description="Event-sourced case ledger for appeals and approvals")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web service under gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=4,
                       help="request threads per worker (default 4; idle connections take none)")
    serve.add_argument("--timeout", type=int, default=30,
                       help="seconds a worker may go silent before it is restarted, and a client may stall "
                            "while a response is written to it (default 30)")
    serve.add_argument("--keepalive", type=int, default=5,
                       help="seconds an idle connection is kept open for its first or next request (default 5)")
    serve.add_argument("--header-timeout", type=_positive, default=10.0,
                       help="seconds a client has from a request's first byte to the end of its headers; "
                            "then 408 (default 10)")
    serve.add_argument("--body-timeout", type=_positive, default=30.0,
                       help="seconds a client has from the end of a request's headers to the end of its body; "
                            "then 408 (default 30)")
    serve.add_argument("--no-projections", action="store_true",
                       help="do not run the read models in the server (run 'caseledger projections run' instead)")
    serve.add_argument("--deadline-watch", action="store_true",
                       help="also sweep deadlines every minute beside the server (as 'caseledger deadlines watch')")
    commands.add_parser("profiles", help="list the policy profiles on offer")

    deadlines = commands.add_parser("deadlines", help="deadline watch").add_subparsers(dest="action", required=True)
    sweep = deadlines.add_parser("sweep", help="record every deadline passed and unmet, once, with its consequences")
    sweep.add_argument("--now", help="sweep as of this ISO 8601 time (no offset: Asia/Shanghai); default: now; "
                                     "never later than now, except with --dry-run")
    sweep.add_argument("--dry-run", action="store_true",
                       help="record nothing; print what a sweep at --now (which may lie ahead) would record")
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
    head.add_argument("--from", dest="from_day", required=True, metavar="DATE",
                      help="the first day in office, YYYY-MM-DD (Asia/Shanghai)")
    off = unit.add_parser("disable", help="disable a unit")
    off.add_argument("code")
    off.add_argument("--reason")

    user = commands.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user; the password is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--unit")
    user.add_parser("list", help="list users")
    for action, text in (("disable", "disable a user"), ("enable", "enable a user"),
                         ("passwd", "set a password, read from standard input"),
                         ("revoke-tokens", "revoke every token the user holds")):
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
        return _serve(settings, args.host, args.port, args.workers, not args.no_projections, args.deadline_watch,
                      threads=args.threads, timeout=args.timeout, keepalive=args.keepalive,
                      header_timeout=args.header_timeout, body_timeout=args.body_timeout)
    try:
        if (args.command, getattr(args, "action", None)) in (("projections", "run"), ("deadlines", "watch")):
            container = _bootstrap_when_reachable(settings)  # a long-running process waits for the database
            if container is None:
                return 0
        else:
            container = bootstrap(settings)
    except DatabaseURLError as exc:
        return _fail(f"CASELEDGER_DATABASE_URL={exc}", 2)
    except (psycopg.Error, PersistenceError, sqlite3.Error, OSError, *UNAVAILABLE) as exc:
        return _fail(f"cannot open the database {_redacted(settings.database_url or DEFAULT_URL)} "
                     f"(CASELEDGER_DATABASE_URL): {_first_line(exc)}")
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
        print(f"accountability\tposition {c.follower.position()}\thead {head}\t"
              f"{'behind' if c.follower.pending() else 'caught up'}")
        print(f"accountability_trail\tposition {c.accountability_trail.view.position()}\t\t"
              f"{'behind' if c.accountability_trail.pending() else 'caught up'}")
        print(f"merkle_log\tsize {c.merkle.size()}\t\t{'behind' if c.merkle.pending() else 'caught up'}")
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
            print(f"caseledger: no read model {unknown[0]!r}; one of {', '.join(c.read_models)} or all",
                  file=sys.stderr)
            return 2
        from tqdm import tqdm

        for name in names:
            c.read_models[name].view.reset()
        runner = BatchRunner(c.feed(), [c.read_models[n] for n in names], args.batch_size)
        head = c.appeals.recorder.max_notification_id() or 0
        with tqdm(total=head, unit="ev", desc=f"rebuild {args.name}") as bar:
            runner.run_once(progress=lambda position: bar.update(position - bar.n))
        return 0
    stop = _stop_on_signals()
    print(f"projections from {c.runner().positions()}, accountability from {c.follower.position()}; "
          "following the log", file=sys.stderr)
    c.follow(stop, batch_size=args.batch_size)
    return 0


WATCH = Actor("deadline-watch", Role.PLATFORM)
_STOP = threading.Event()


ORPHAN_GRACE = 5.0  # seconds a process started by 'caseledger serve' takes to stop once the server is gone
PARENT_ENV = "CASELEDGER_SERVE_PID"  # set by 'caseledger serve' for the processes it starts beside its workers


def _stop_on_signals() -> threading.Event:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: _STOP.set())
    _watch_parent()
    return _STOP


def _watch_parent(every: float = 0.5) -> None:
    """A process that ``caseledger serve`` started ends with it, however it ended (``kill -9`` included):
    once its parent is no longer the server's master it stops as if told to, and if it has not stopped
    ``ORPHAN_GRACE`` seconds later (a long catch-up, a database that does not answer) it exits all the same.
    Nothing is lost by that: every read model commits its rows with its position, and resumes from it.
    So a restarted server never finds a second read-model process beside its own."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or any(t.name == "caseledger-parent-watch" for t in threading.enumerate()):
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(every)
        logging.getLogger(__name__).warning("the server (pid %s) is gone; stopping", parent)
        _STOP.set()
        time.sleep(ORPHAN_GRACE)
        os._exit(0)

    threading.Thread(target=watch, name="caseledger-parent-watch", daemon=True).start()


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
    stop = _stop_on_signals()
    print(f"sweeping deadlines every {args.interval:g} s", file=sys.stderr)
    while not stop.is_set():
        try:
            _print_sweep(_sweep(c, None))
        except Exception:  # a dropped connection: the next sweep resumes, nothing is half recorded
            logging.getLogger(__name__).exception("deadline sweep failed; trying again at the next interval")
        stop.wait(args.interval)
    return 0


def _sweep(c, now, dry_run=False):
    report = c.deadline_watch(run_index=True).sweep(WATCH, now, dry_run)
    if not dry_run:  # an operator's command brings the accountability record up to date itself
        c.run_accountability()
    return report


def _print_sweep(report) -> None:
    print(f"{'dry run, nothing recorded: ' if report.dry_run else ''}"
          f"{report.now.astimezone(SHANGHAI).isoformat()}\tchecked {report.cases_checked} cases\t"
          f"{len(report.missed)} deadlines missed\t{len(report.escalations)} escalations\t"
          f"{len(report.deemed_accepted)} deemed accepted", flush=True)
    for m in report.missed:
        print(f"  missed\t{m['case_id']}\t{m['deadline']}#{m['round']}\t{m['unit'] or 'platform'}\t"
              f"due {m['due'].astimezone(SHANGHAI).isoformat()}\t{m['rule']}", flush=True)
    for d in report.deemed_accepted:  # 行政许可法 art. 32: no notice within the period
        print(f"  deemed accepted\t{d['case_id']}\tas of {d['accepted_as_of'].astimezone(SHANGHAI).isoformat()}",
              flush=True)


def _password() -> str:
    """From a terminal, asked twice; from a pipe, the first line."""
    if sys.stdin.isatty():
        first, second = getpass.getpass("password: "), getpass.getpass("again: ")
        if first != second:
            raise SystemExit("caseledger: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _serve(settings: Settings, host: str, port: int, workers: int, projections: bool, deadline_watch: bool = False,
           *, threads: int = 4, timeout: int = 30, keepalive: int = 5, header_timeout: float = 10.0,
           body_timeout: float = 30.0) -> int:
    from gunicorn.app.base import BaseApplication

    from web.app import create_app
    from web.worker import CaseledgerWorker, RequestLimits

    # Read by every worker, forked from this process after this line.
    CaseledgerWorker.limits = RequestLimits(header_timeout, body_timeout, settings.max_body_bytes)
    children: list[subprocess.Popen] = []
    child_env = {**os.environ, PARENT_ENV: str(os.getpid())}

    def start_projections(server) -> None:
        """One runner beside the workers, as its own process: the workers only read the views.

        A process, not a thread of the master, because the master forks workers and
        database connections must not cross a fork.
        """
        if projections:
            children.append(subprocess.Popen([sys.executable, "-m", "web.cli.main", "projections", "run"], env=child_env))
        if deadline_watch:
            children.append(subprocess.Popen([sys.executable, "-m", "web.cli.main", "deadlines", "watch"], env=child_env))

    def stop_projections(server) -> None:
        for child in children:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            # Threads, so a slow request or client does not hold the whole worker (web.worker).
            self.cfg.set("worker_class", "web.worker.CaseledgerWorker")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", timeout)
            self.cfg.set("keepalive", keepalive)
            self.cfg.set("accesslog", "-")
            if projections or deadline_watch:
                self.cfg.set("when_ready", start_projections)
                self.cfg.set("on_exit", stop_projections)

        def load(self):
            return create_app(settings=settings)

    Server().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
