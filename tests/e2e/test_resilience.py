"""The real server under strain: idle and slow clients, what gunicorn refuses itself, outages, connections.

``caseledger serve`` over HTTP (tests/e2e/server.py), raw sockets where a
client library would refuse to send the request. The outage tests close
their own scratch database to connections (``ALLOW_CONNECTIONS false`` and
``pg_terminate_backend``), which is what a PostgreSQL restart or a network
cut looks like to the server; they never touch another database.
"""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time

import psycopg
import pytest

from tests.e2e.server import ADMIN_URL, PASSWORD, provision, running_server, scratch_postgres, server_env

MAX_BODY = 64 * 1024
HEALTHZ_BOUND = 1.0  # seconds: the bound for /healthz, idle clients held or database away
WORKER_TIMEOUT = 5  # gunicorn --timeout for the outage tests; each outage lasts longer
RECOVERY_BOUND = 15.0


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    """One worker: whatever it serves beside a slow request or idle clients, its threads serve."""
    tmp = tmp_path_factory.mktemp(f"resilience-{request.param}")
    env = {"CASELEDGER_MAX_BODY_BYTES": str(MAX_BODY)}
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp}/events.sqlite3", tmp, env, workers=1) as s:
            yield s
    else:
        with scratch_postgres() as url, running_server(url, tmp, env, workers=1) as s:
            yield s


# -- helpers --------------------------------------------------------------------------------------------------------
def raw(server, data: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Sends ``data`` on a new connection; (status, headers, body) of the answer, read until the server closes."""
    host, port = server.base_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def api_error(status_headers_body) -> str:
    import json

    status, headers, body = status_headers_body
    assert headers.get("content-type", "").startswith("application/json"), (status, headers, body[:300])
    document = json.loads(body)
    assert set(document) == {"error"} and {"code", "message"} <= set(document["error"]), document
    return document["error"]["code"]


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def chunked(payload: bytes, size: int = 4096) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(payload[i : i + size]), payload[i : i + size]) for i in range(0, len(payload), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


APPEAL = {
    "channel": "12345",
    "category": "help",
    "subject": "接电难",
    "content": "新厂房低压接电逾期未办",
    "enterprise": {"name": "淄博某某机械有限公司"},
    "profile": "zichuan-2020",
}


# -- slow and idle clients ------------------------------------------------------------------------------------------
def test_fifty_idle_connections_do_not_delay_healthz(server):
    """50 clients connect and send nothing; /healthz on fresh connections still answers within 1 s."""
    host, port = server.base_url.rsplit("/", 1)[1].split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(50)]
    try:
        latencies = []
        for _ in range(20):
            response, elapsed = timed(lambda: server.get("/healthz"))
            assert response.status == 200, response.json
            latencies.append(elapsed)
        for sock in idle:  # still open: the server neither served nor dropped them meanwhile
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1, socket.MSG_PEEK)
    finally:
        for sock in idle:
            sock.close()
    print(
        f"healthz with 50 idle connections: median {statistics.median(latencies) * 1e3:.1f} ms, "
        f"max {max(latencies) * 1e3:.1f} ms"
    )
    assert max(latencies) < HEALTHZ_BOUND, latencies


def test_a_pdf_bulletin_being_drawn_does_not_block_other_requests(server):
    """The worker draws the bulletin in one thread and answers /healthz from another meanwhile."""
    token = server.tokens["clerk"]
    pdfs: list = []

    def draw() -> None:
        for _ in range(3):
            pdfs.append(server.get("/api/reports/monthly.pdf?period=2026-10", token=token))

    drawing = threading.Thread(target=draw)
    drawing.start()
    answered_meanwhile, slowest = 0, 0.0
    while drawing.is_alive():
        response, elapsed = timed(lambda: server.get("/healthz"))
        assert response.status == 200
        slowest = max(slowest, elapsed)
        answered_meanwhile += drawing.is_alive()
    drawing.join()
    assert [p.status for p in pdfs] == [200, 200, 200] and all(p.body.startswith(b"%PDF") for p in pdfs)
    assert answered_meanwhile >= 3, answered_meanwhile
    assert slowest < HEALTHZ_BOUND, slowest


# -- what gunicorn refuses before the application sees the request ---------------------------------------------------
def test_an_over_long_request_line_is_a_414_in_the_api_error_shape(server):
    answer = raw(server, b"GET /api/appeals?q=" + b"a" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer[0] == 414 and api_error(answer) == "uri_too_long"


@pytest.mark.parametrize(
    "headers",
    [b"X-Big: " + b"b" * 9000 + b"\r\n", b"".join(b"X-H%d: v\r\n" % i for i in range(120))],
    ids=["one-header-too-large", "too-many-headers"],
)
def test_over_long_headers_are_a_431_in_the_api_error_shape(server, headers):
    answer = raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer[0] == 431 and api_error(answer) == "headers_too_large"


@pytest.mark.parametrize(
    "line",
    [b"NONSENSE\r\n", b"GET / HTTP/1.1 and more\r\n", b"GET / HTTP/9.9\r\n"],
    ids=["no-method-or-path", "extra-words", "bad-version"],
)
def test_a_malformed_request_line_is_a_400_in_the_api_error_shape(server, line):
    answer = raw(server, line + b"Host: x\r\n\r\n")
    assert answer[0] == 400 and api_error(answer) == "malformed_request"


def test_a_chunked_body_over_the_limit_is_a_413_in_the_api_error_shape(server):
    import json

    token = server.tokens["clerk"]
    head = (
        b"POST /api/appeals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    too_large = json.dumps(APPEAL | {"content": "长" * MAX_BODY}).encode()
    answer = raw(server, head + chunked(too_large))
    assert answer[0] == 413 and api_error(answer) == "too_large"
    # A chunked body within the limit is read whole and served as any other.
    status, _, body = raw(server, head + chunked(json.dumps(APPEAL).encode()))
    assert status == 201 and json.loads(body)["subject"] == "接电难"


# -- PostgreSQL: connections, outages --------------------------------------------------------------------------------
def _connections(name: str) -> int:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()[0]


def _close_database(name: str) -> None:
    """No new connections to ``name``, and every one it has ended: the server is gone, as far as clients see."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def _open_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def _until(condition, bound: float = RECOVERY_BOUND, every: float = 0.1):
    """Polls ``condition`` until it returns something true; (that value, seconds taken), or fails after ``bound``."""
    start = time.monotonic()
    while True:
        value = condition()
        if value:
            return value, time.monotonic() - start
        assert time.monotonic() - start < bound, f"not within {bound} s"
        time.sleep(every)


def _assert_unavailable_meanwhile(server, seconds: float, token: str | None) -> int:
    """For ``seconds``: /healthz is a 503 within 1 s, every API request a 503 database_unavailable, fast."""
    deadline, seen = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        health, elapsed = timed(lambda: server.get("/healthz"))
        assert health.status == 503 and health.json["status"] in ("error", "starting"), health.json
        assert elapsed < HEALTHZ_BOUND, elapsed
        for response, elapsed in (
            timed(lambda: server.post("/api/appeals", APPEAL, token=token)),
            timed(lambda: server.get("/api/units", token=token)),
        ):
            assert response.status == 503, (response.status, response.json)
            assert response.json["error"]["code"] == "database_unavailable" and response.headers["Retry-After"]
            assert elapsed < HEALTHZ_BOUND, elapsed
        seen += 1
        time.sleep(0.3)
    return seen


def _assert_serving(server, token: str) -> dict:
    """A real command and a read of the read models after it: the workers and the read-model process are back."""
    created, _ = _until(lambda: (r := server.post("/api/appeals", APPEAL, token=token)).status == 201 and r)
    listed, _ = _until(
        lambda: (
            created.json["id"]
            in {c["id"] for c in server.get("/api/appeals?per_page=100", token=token).json.get("items", [])}
        )
    )
    return created.json


def _worker_boots(server) -> int:
    return len(re.findall(r"Booting worker with pid", server.stderr()))


def test_an_idle_server_holds_at_most_12_postgres_connections(tmp_path):
    """Two workers and the read-model process, at rest after serving: one shared pool each."""
    with scratch_postgres() as url, running_server(url, tmp_path) as s:
        token = s.tokens["clerk"]
        for _ in range(5):
            assert s.post("/api/appeals", APPEAL, token=token).status == 201
        assert s.get("/api/appeals", token=token).status == 200
        time.sleep(2.0)
        held = _connections(url.rsplit("/", 1)[1])
        print(f"PostgreSQL connections held by an idle server: {held}")
        assert 0 < held <= 12, held


def test_a_postgres_outage_longer_than_the_worker_timeout_is_503s_then_recovers(tmp_path):
    with scratch_postgres() as url, running_server(url, tmp_path, serve_args=["--timeout", str(WORKER_TIMEOUT)]) as s:
        name, token = url.rsplit("/", 1)[1], s.tokens["clerk"]
        _assert_serving(s, token)
        boots = _worker_boots(s)
        _close_database(name)
        try:
            assert _assert_unavailable_meanwhile(s, WORKER_TIMEOUT + 3, token) >= 5
        finally:
            _open_database(name)
        _, back_after = _until(lambda: s.get("/healthz").status == 200)
        print(f"first /healthz 200 {back_after:.2f} s after the database returned")
        _assert_serving(s, token)
        assert s.process.poll() is None and _worker_boots(s) == boots, s.stderr()[-3000:]
        assert "WORKER TIMEOUT" not in s.stderr()


def test_the_server_starts_while_postgres_refuses_connections_and_serves_once_it_is_back(tmp_path):
    with scratch_postgres() as url:
        name = url.rsplit("/", 1)[1]
        provision(server_env(url), tmp_path)
        _close_database(name)
        try:
            with running_server(url, tmp_path, create=False, login=False, healthy=False) as s:
                assert _assert_unavailable_meanwhile(s, 3.0, None) >= 3
                assert s.process.poll() is None
                _open_database(name)
                _, back_after = _until(lambda: s.get("/healthz").status == 200)
                print(f"first /healthz 200 {back_after:.2f} s after the database returned")
                # Each worker wires itself (retrying every second): the other may answer 503 a moment longer.
                login, _ = _until(
                    lambda: (
                        (r := s.post("/api/auth/token", {"username": "clerk", "password": PASSWORD})).status == 200
                        and r
                    )
                )
                _assert_serving(s, login.json["token"])
                assert "Worker failed to boot" not in s.stderr()
        finally:
            _open_database(name)
