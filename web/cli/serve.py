"""``caseledger serve``: gunicorn with the service's worker (``web.worker``), and beside it the read-model process
and, if asked, the deadline watch, which end with the server however it ends."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
import time

from web.bootstrap import Settings

ORPHAN_GRACE = 5.0  # seconds a process started by 'caseledger serve' takes to stop once the server is gone
PARENT_ENV = "CASELEDGER_SERVE_PID"  # set by 'caseledger serve' for the processes it starts beside its workers


def _positive(text: str) -> float:
    """A number of seconds above zero (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0 and below 86400")
    return value


def add_parser(commands) -> None:
    serve = commands.add_parser("serve", help="run the web service under gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument(
        "--threads", type=int, default=4, help="request threads per worker (default 4; idle connections take none)"
    )
    serve.add_argument(
        "--timeout",
        type=int,
        default=30,
        help="seconds a worker may go silent before it is restarted, and a client may stall "
        "while a response is written to it (default 30)",
    )
    serve.add_argument(
        "--keepalive",
        type=int,
        default=5,
        help="seconds an idle connection is kept open for its first or next request (default 5)",
    )
    serve.add_argument(
        "--header-timeout",
        type=_positive,
        default=10.0,
        help="seconds a client has from a request's first byte to the end of its headers; then 408 (default 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=_positive,
        default=30.0,
        help="seconds a client has from the end of a request's headers to the end of its body; then 408 (default 30)",
    )
    serve.add_argument(
        "--no-projections",
        action="store_true",
        help="do not run the read models in the server (run 'caseledger projections run' instead)",
    )
    serve.add_argument(
        "--no-notices",
        action="store_true",
        help="do not run the reminders beside the read models (run 'caseledger notices run' instead)",
    )
    serve.add_argument(
        "--deadline-watch",
        action="store_true",
        help="also sweep deadlines every minute beside the server (as 'caseledger deadlines watch')",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    return _serve(
        settings,
        args.host,
        args.port,
        args.workers,
        not args.no_projections,
        args.deadline_watch,
        notices=not args.no_notices,
        threads=args.threads,
        timeout=args.timeout,
        keepalive=args.keepalive,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
    )


def watch_parent(stop: threading.Event, every: float = 0.5) -> None:
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
        stop.set()
        time.sleep(ORPHAN_GRACE)
        os._exit(0)

    threading.Thread(target=watch, name="caseledger-parent-watch", daemon=True).start()


def _serve(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    projections: bool,
    deadline_watch: bool = False,
    *,
    notices: bool = True,
    threads: int = 4,
    timeout: int = 30,
    keepalive: int = 5,
    header_timeout: float = 10.0,
    body_timeout: float = 30.0,
) -> int:
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
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "web.cli.main",
                        "projections",
                        "run",
                        *([] if notices else ["--no-notices"]),
                    ],
                    env=child_env,
                )
            )
        if deadline_watch:
            children.append(
                subprocess.Popen([sys.executable, "-m", "web.cli.main", "deadlines", "watch"], env=child_env)
            )

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
