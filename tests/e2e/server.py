"""The real server, as operators run it: ``caseledger`` subprocesses, gunicorn, HTTP.

Not a test module. ``running_server`` creates the units and users through the
CLI (passwords on standard input), starts ``caseledger serve`` on a free port,
waits for ``/healthz`` and yields a ``Server`` with ``base_url`` and a small
JSON client built on ``urllib.request`` (no proxy, 127.0.0.1 only). On exit it
stops the server (SIGTERM, then SIGKILL after 10 s) and fails loudly, with
the server's captured stderr, if the server had died early — unless the test
killed it itself (``Server.kill``).

``scratch_postgres`` creates a fresh PostgreSQL database and drops it
``WITH (FORCE)`` afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import LOG_KEY_FILE

PASSWORD = "correct horse battery staple"
UNITS: dict[str, str] = {"DISTRICT-POWER": "区供电中心", "DISTRICT-WATER": "区水务局", "DISTRICT-GRID": "区网格中心"}
USERS: dict[str, tuple[str, str | None]] = {  # name: (role, unit)
    "clerk": ("platform", None),
    "super": ("supervisor", None),
    "inspector": ("inspector", None),
    "auditor": ("auditor", None),
    "ops": ("admin", None),
    "power": ("unit", "DISTRICT-POWER"),
    "water": ("unit", "DISTRICT-WATER"),
}
ADMIN_URL = os.environ.get("CASELEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


class ServerDied(AssertionError):
    """``caseledger serve`` exited on its own; the message carries its stderr."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m web.cli.main``."""
    script = Path(sys.executable).with_name("caseledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "web.cli.main"]


def server_env(
    database_url: str, secret_key: str | None = None, env_extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS and not k.startswith("CASELEDGER_")}
    env.update(
        CASELEDGER_DATABASE_URL=database_url,
        CASELEDGER_SECRET_KEY=secret_key or secrets.token_urlsafe(32),
        CASELEDGER_LOG_KEY_FILE=str(LOG_KEY_FILE),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    env.update(env_extra or {})
    return env


class Response(tuple):
    """``(status, json_or_None, headers)``, with the raw body as ``.body``."""

    def __new__(cls, status: int, data: Any, headers, body: bytes):
        self = super().__new__(cls, (status, data, headers))
        self.body = body
        return self

    status = property(lambda self: self[0])
    json = property(lambda self: self[1])
    headers = property(lambda self: self[2])


class Client:
    """A JSON client over ``urllib.request``; never raises for an HTTP status."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        send = dict(headers or {})
        data = raw
        if data is None and body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            send.setdefault("Content-Type", "application/json")
        if token:
            send["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=send)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                status, got, payload = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            status, got, payload = err.code, err.headers, err.read()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = None
        return Response(status, parsed, got, payload)

    def get(self, path: str, token: str | None = None, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, token=token, headers=headers)

    def post(
        self,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Response:
        if body is None and raw is None:
            body = {}
        return self.request("POST", path, body=body, raw=raw, token=token, headers=headers)

    def token(self, username: str, password: str = PASSWORD) -> str:
        status, data, _ = self.post("/api/auth/token", {"username": username, "password": password})
        assert status == 200, (username, status, data)
        return data["token"]


class Server(Client):
    """A running ``caseledger serve``: its URL, process, log files and a client."""

    def __init__(
        self, base_url: str, process: subprocess.Popen, stdout: Path, stderr: Path, env: dict[str, str]
    ) -> None:
        super().__init__(base_url)
        self.process, self.stdout_path, self.stderr_path, self.env = process, stdout, stderr, env
        self.tokens: dict[str, str] = {}
        self.killed = False

    def kill(self) -> None:
        """SIGKILL to the whole server — arbiter, workers, read-model runner — as a crash would:
        no handler, no clean-up runs."""
        self.killed = True
        os.killpg(self.process.pid, signal.SIGKILL)  # its own session: every process of it
        self.process.wait(STOP_TIMEOUT)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def login_all(self, users: Mapping[str, Any] = USERS, password: str = PASSWORD) -> dict[str, str]:
        for name in users:
            self.tokens[name] = self.token(name, password)
        return self.tokens


def run_cli(
    args: list[str],
    env: Mapping[str, str],
    cwd: Path,
    stdin: str | None = None,
    timeout: float = 60,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """``caseledger ARGS``; with ``check``, fails unless it exits 0."""
    done = subprocess.run(
        [*cli_command(), *args], env=env, cwd=cwd, input=stdin, text=True, capture_output=True, timeout=timeout
    )
    if check:
        assert done.returncode == 0, (
            f"caseledger {' '.join(args)} exited {done.returncode}:\n{done.stderr}{done.stdout}"
        )
    return done


def _run_cli_parallel(jobs: list[tuple[list[str], str | None]], env: Mapping[str, str], cwd: Path) -> None:
    """Independent CLI commands (different aggregates) at once: start-up time is mostly imports.

    SQLite only. On PostgreSQL every ``caseledger`` process re-runs the event store's DDL at start-up
    (``CREATE OR REPLACE FUNCTION`` among it), and two at once may fail with "tuple concurrently
    updated", so there they run one after another.
    """
    if not env["CASELEDGER_DATABASE_URL"].startswith("sqlite:"):
        for args, stdin in jobs:
            run_cli(args, env, cwd, stdin)
        return
    procs = [
        (
            args,
            stdin,
            subprocess.Popen(
                [*cli_command(), *args],
                env=env,
                cwd=cwd,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ),
        )
        for args, stdin in jobs
    ]
    failures = []
    for args, stdin, proc in procs:
        out, err = proc.communicate(stdin, timeout=120)
        if proc.returncode != 0:
            failures.append(f"caseledger {' '.join(args)} exited {proc.returncode}:\n{err}{out}")
    assert not failures, "\n".join(failures)


def provision(
    env: Mapping[str, str],
    cwd: Path,
    units: Mapping[str, str] = UNITS,
    users: Mapping[str, tuple[str, str | None]] = USERS,
    password: str = PASSWORD,
) -> None:
    """Units, then users, through the CLI. The first command alone: it creates the tables."""
    unit_jobs = [(["unit", "add", code, name], None) for code, name in units.items()]
    user_jobs = [
        (["user", "add", name, "--role", role, *(["--unit", unit] if unit else [])], password + "\n")
        for name, (role, unit) in users.items()
    ]
    if unit_jobs:
        run_cli(unit_jobs[0][0], env, cwd)
        _run_cli_parallel(unit_jobs[1:], env, cwd)
    elif user_jobs:
        run_cli(user_jobs[0][0], env, cwd, user_jobs.pop(0)[1])
    _run_cli_parallel(user_jobs, env, cwd)


@contextmanager
def running_server(
    database_url: str,
    tmp_path: Path,
    env_extra: dict | None = None,
    *,
    units: Mapping[str, str] = UNITS,
    users: Mapping[str, tuple[str, str | None]] = USERS,
    password: str = PASSWORD,
    workers: int = 2,
    login: bool = True,
    create: bool = True,
    serve_args: Sequence[str] = (),
    healthy: bool = True,
    command: Sequence[str] | None = None,
) -> Iterator[Server]:
    """``caseledger serve`` on ``database_url``; with ``create``, the units and users are made first (CLI).

    With ``healthy`` (the default) it waits for ``/healthz`` to answer 200, else only for an HTTP answer.
    ``command`` runs another ``caseledger`` than this checkout's (a benchmark's baseline); ``env_extra``
    then says where its code is (``PYTHONPATH``).
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    # gunicorn's control socket defaults to $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl, one
    # path for every server of the user: give each server its own (short: a socket path has 107 bytes).
    runtime = Path(tempfile.mkdtemp(prefix="caseledger-run-"))
    env = server_env(database_url, env_extra={"XDG_RUNTIME_DIR": str(runtime), **(env_extra or {})})
    try:
        if create:
            provision(env, tmp_path, units, users, password)
    except BaseException:
        shutil.rmtree(runtime, ignore_errors=True)
        raise
    port = free_port()
    stdout, stderr = tmp_path / f"server-{port}.out", tmp_path / f"server-{port}.err"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            [
                *(command or cli_command()),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *serve_args,
            ],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, stdout, stderr, env)
    failure: BaseException | None = None
    try:
        _wait_healthy(server, 200 if healthy else None)
        if login:
            server.login_all(users, password)
        yield server
    except BaseException as exc:
        failure = exc
        raise
    finally:
        died = process.poll()
        _stop(process)
        shutil.rmtree(runtime, ignore_errors=True)
        if died is not None and not server.killed and not isinstance(failure, ServerDied):
            message = (
                f"caseledger serve died early (exit {died}) at {server.base_url}; stderr:\n{server.stderr()[-20000:]}"
            )
            if failure is None:
                raise ServerDied(message)
            raise ServerDied(message) from failure


def _wait_healthy(server: Server, expect: int | None = 200) -> None:
    """Until ``/healthz`` answers ``expect`` (None: anything over HTTP)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerDied(
                f"caseledger serve exited {server.process.returncode} before answering "
                f"/healthz; stderr:\n{server.stderr()[-20000:]}"
            )
        try:
            status, data, _ = server.get("/healthz")
            if expect is None or status == expect:
                return
            last = f"{status} {data}"
        except OSError as exc:  # refused while gunicorn binds
            last = repr(exc)
        time.sleep(0.1)
    raise AssertionError(
        f"/healthz did not answer 200 within {STARTUP_TIMEOUT:.0f} s (last: {last}); "
        f"stderr:\n{server.stderr()[-20000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's arbiter stops its workers gracefully
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the arbiter and its workers
        except ProcessLookupError:
            pass
        process.wait(STOP_TIMEOUT)


@contextmanager
def scratch_postgres(admin_url: str = ADMIN_URL, prefix: str = "caseledger_e2e") -> Iterator[str]:
    """A fresh database on the PostgreSQL server of ``admin_url``, dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
