"""What probing the running server found, each case kept: ``caseledger serve`` over HTTP on SQLite and PostgreSQL.

- a JSON body with a 5,000-digit number (or anything else Python will not read as JSON) is a 400, never
  a 500, and records nothing;
- 50 half-sent requests held open (headers unfinished, bodies shorter than their Content-Length) delay
  neither ``/healthz`` nor a signed-in read beyond 1 s: a request is read whole before a thread takes it,
  and one that does not arrive in time is a 408;
- a refusal says what the caller may not do and nothing about the case (not its number, which gives the
  day it was received, nor its id or version);
- a timestamp with anything after it (a NUL) is a 422 naming the field, and records nothing;
- a token or session cookie signed with the service's secret but carrying malformed claims is a 401 (the
  workspace: the sign-in page), never a 500;
- killing the server's master ends its workers and its read-model process within seconds, and the port
  stops answering.

Raw sockets where a client library would not send the request.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import time
import uuid
from urllib.parse import quote

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from tests.e2e.server import UNITS, USERS, running_server, scratch_postgres

BOUND = 1.0  # seconds: /healthz and a signed-in read, with 50 half-sent requests held open
TIMEOUTS = 3  # seconds: --header-timeout and --body-timeout of the module's server
HUGE = "1" * 5000
DEPARTMENTS = {"DISTRICT-FIRE": "区消防救援大队"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    """One worker of 4 threads: 50 half-sent requests are far more than it has threads."""
    tmp = tmp_path_factory.mktemp(f"probes-{request.param}")
    options = {
        "units": UNITS | DEPARTMENTS,
        "users": USERS | {"fire": ("unit", "DISTRICT-FIRE")},
        "workers": 1,
        "serve_args": ["--header-timeout", str(TIMEOUTS), "--body-timeout", str(TIMEOUTS)],
    }
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp}/events.sqlite3", tmp, **options) as s:
            yield s
    else:
        with scratch_postgres() as url, running_server(url, tmp, **options) as s:
            yield s


# -- helpers ----------------------------------------------------------------------------------------------------------
def address(server) -> tuple[str, int]:
    host, port = server.base_url.rsplit("/", 1)[1].split(":")
    return host, int(port)


def answer_of(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def post(server, user, path, body):
    return server.post(path, body, token=server.tokens[user])


def open_forwarded(server) -> dict:
    tag = f"{uuid.uuid4().int % 10**8:08d}"
    body = {
        "channel": "12345",
        "category": "help",
        "subject": f"接电难 {tag}",
        "content": "新厂房低压接电逾期未办",
        "enterprise": {"name": "淄博某某机械有限公司"},
        "profile": "zichuan-2020",
    }
    case = post(server, "clerk", "/api/appeals", body)
    assert case.status == 201, case.json
    forwarded = post(server, "clerk", f"/api/appeals/{case.json['id']}/forward", {"unit": "DISTRICT-POWER"})
    assert forwarded.status == 200, forwarded.json
    return forwarded.json


def history(server, case_id: str, kind: str = "appeals") -> list:
    response = server.get(f"/api/{kind}/{case_id}/history", token=server.tokens["auditor"])
    assert response.status == 200, response.json
    return response.json["events"]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status == status, (response.status, response.body[:300])
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    assert set(response.json) == {"error"} and response.json["error"]["code"] == code, response.json
    return response.json["error"]


# -- 1. a number Python will not read ---------------------------------------------------------------------------------
def test_a_5000_digit_number_in_any_json_body_is_a_400_and_records_nothing(server):
    refused = server.post("/api/auth/token", raw=b'{"username": "x", "password": "x", "n": %s}' % HUGE.encode())
    assert "digits" in assert_error(refused, 400, "malformed_request")["message"]
    case = open_forwarded(server)
    before = history(server, case["id"])
    for user, verb, template in (
        ("clerk", "escalate", '{"reason": "x", "expected_version": %s}'),
        ("power", "extend", '{"reason": "x", "working_days": %s}'),
        ("clerk", "forward", '{"unit": "DISTRICT-POWER", "n": %s}'),
    ):
        response = server.post(
            f"/api/appeals/{case['id']}/{verb}", raw=(template % HUGE).encode(), token=server.tokens[user]
        )
        assert_error(response, 400, "malformed_request")
    approval = post(
        server,
        "clerk",
        "/api/approvals",
        {
            "profile": "licensing-law-2019",
            "matter": "general",
            "applicant": {"name": "淄博某某餐饮有限公司"},
            "materials": ["申请书"],
            "departments": ["DISTRICT-FIRE"],
        },
    ).json
    paused = server.post(
        f"/api/approvals/{approval['id']}/pause",
        raw=f'{{"reason": "inspection", "expected_working_days": {HUGE}}}'.encode(),
        token=server.tokens["clerk"],
    )
    assert_error(paused, 400, "malformed_request")
    for body in (b'{"reason": NaN}', b'{"reason": "x", "working_days": Infinity}', b"[" * 5000 + b"]" * 5000):
        response = server.post(f"/api/appeals/{case['id']}/extend", raw=body, token=server.tokens["power"])
        assert_error(response, 400, "malformed_request")
    assert history(server, case["id"]) == before
    assert len(history(server, approval["id"], "approvals")) == 1


# -- 2. half-sent requests ---------------------------------------------------------------------------------------------
def half_sent(server, n: int) -> list[socket.socket]:
    """``n`` connections, each with half a request: every other one stops inside its headers, the others send
    full headers and a body shorter than their Content-Length. Held open by the caller."""
    token = server.tokens["clerk"].encode()
    held = []
    for i in range(n):
        sock = socket.create_connection(address(server), timeout=10)
        if i % 2:
            sock.sendall(b"GET /api/appeals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token[:20])
        else:
            sock.sendall(
                b"POST /api/appeals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + token + b'\r\nContent-Length: 500\r\n\r\n{"channel": '
            )
        held.append(sock)
    return held


def test_fifty_half_sent_requests_delay_neither_healthz_nor_a_signed_in_read(server):
    case = open_forwarded(server)
    held = half_sent(server, 50)
    try:
        started = time.monotonic()
        health, reads = [], []
        for _ in range(10):
            t = time.monotonic()
            assert server.get("/healthz").status == 200
            health.append(time.monotonic() - t)
            t = time.monotonic()
            got = server.get(f"/api/appeals/{case['id']}", token=server.tokens["power"])
            assert got.status == 200 and got.json["id"] == case["id"], got.json
            reads.append(time.monotonic() - t)
        measured_for = time.monotonic() - started
    finally:
        for sock in held:
            sock.close()
    print(
        f"50 half-sent requests held: /healthz median {statistics.median(health) * 1e3:.1f} ms, worst "
        f"{max(health) * 1e3:.1f} ms; signed-in read median {statistics.median(reads) * 1e3:.1f} ms, worst "
        f"{max(reads) * 1e3:.1f} ms"
    )
    assert measured_for < TIMEOUTS, "the half-sent requests were not all held while measuring"
    assert max(health) < BOUND and max(reads) < BOUND, (health, reads)


def test_a_request_not_sent_in_time_is_a_408_and_its_connection_closed(server):
    held = half_sent(server, 4)
    try:
        started = time.monotonic()
        for sock in held:
            status, headers, body = answer_of(read_all(sock))
            assert status == 408 and headers["connection"] == "close", (status, headers)
            assert json.loads(body)["error"]["code"] == "request_timeout"
        assert TIMEOUTS - 1 <= time.monotonic() - started <= TIMEOUTS + 3
    finally:
        for sock in held:
            sock.close()


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(server):
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall(
            b"POST /api/appeals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + server.tokens["clerk"].encode() + b"\r\nContent-Length: 104857600\r\n\r\n{"
        )
        status, _, body = answer_of(read_all(sock))
    assert status == 413 and json.loads(body)["error"]["code"] == "too_large"


def test_requests_sent_byte_by_byte_and_pipelined_are_each_answered(server):
    """Reading in the event loop keeps HTTP/1.1 whole: a request in many small pieces, and two requests in
    one write, are answered in order on one connection."""
    token = server.tokens["clerk"].encode()
    body = json.dumps(
        {
            "channel": "12345",
            "category": "help",
            "subject": "分段发送",
            "content": "x",
            "enterprise": {"name": "淄博某某机械有限公司"},
            "profile": "zichuan-2020",
        }
    ).encode()
    request = (
        b"POST /api/appeals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )
    with socket.create_connection(address(server), timeout=10) as sock:
        for i in range(0, len(request), 7):
            sock.sendall(request[i : i + 7])
            time.sleep(0.002)
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answers = read_all(sock)
    statuses = re.findall(rb"^HTTP/1\.1 (\d{3}) ", answers, re.MULTILINE)
    assert statuses == [b"201", b"200", b"200"], answers[:500]


# -- 3. a refusal names no case ---------------------------------------------------------------------------------------
def test_a_refusal_names_nothing_of_the_case_it_refuses(server):
    case = open_forwarded(server)  # led by DISTRICT-POWER
    secrets_of_case = [case["case_no"], case["id"], case["case_no"][2:10]]
    water, power = server.tokens["water"], server.tokens["power"]
    early = quote("2020-01-01T00:00:00+08:00")
    approval = post(
        server,
        "clerk",
        "/api/approvals",
        {
            "profile": "licensing-law-2019",
            "matter": "general",
            "applicant": {"name": "淄博某某餐饮有限公司"},
            "materials": ["申请书"],
            "departments": ["DISTRICT-FIRE"],
        },
    ).json
    refusals = [
        (server.get(f"/api/appeals/{case['id']}", token=water), 403, "forbidden"),
        (server.get(f"/api/appeals/{case['id']}?as_of={early}", token=water), 403, "forbidden"),
        (server.get(f"/api/appeals/{case['id']}/history", token=water), 403, "forbidden"),
        (server.post(f"/api/appeals/{case['id']}/acknowledge", {}, token=water), 403, "forbidden"),
        (server.get(f"/api/appeals/{case['id']}?as_of={early}", token=power), 404, "not_found"),
        (
            server.post(f"/api/appeals/{case['id']}/acknowledge", {"expected_version": 1}, token=power),
            409,
            "version_conflict",
        ),
        (server.get(f"/api/approvals/{approval['id']}", token=water), 403, "forbidden"),
        (server.get(f"/api/approvals/{approval['id']}/history", token=water), 403, "forbidden"),
        (server.get(f"/api/approvals/{approval['id']}?as_of={early}", token=server.tokens["clerk"]), 404, "not_found"),
    ]
    for response, status, code in refusals:
        assert response.status == status and response.json["error"]["code"] == code, response.json
        text = response.body.decode()
        assert not any(secret in text for secret in secrets_of_case + [approval["case_no"], approval["id"]]), text
    assert history(server, case["id"])[-1]["type"] == "Forwarded"


# -- 4. timestamps read whole -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "moment",
    [
        "2026-12-07T01:33:42Z\u0000",
        "2026-12-07T01:33:42Z junk",
        "2026-W49-1",
        "20261207T013342Z",
        "２０２６-12-07T01:33:42Z",
    ],
    ids=["nul-after", "words-after", "week-date", "basic-format", "fullwidth-digits"],
)
def test_a_timestamp_with_anything_but_iso_8601_is_a_422_naming_it_and_records_nothing(server, moment):
    case = open_forwarded(server)
    before = history(server, case["id"])
    escalated = post(server, "clerk", f"/api/appeals/{case['id']}/escalate", {"reason": "督办", "occurred_at": moment})
    assert "occurred_at" in assert_error(escalated, 422, "validation_failed")["fields"]
    swept = post(server, "clerk", "/api/deadlines/sweep", {"now": moment})
    assert "now" in assert_error(swept, 422, "validation_failed")["fields"]
    if "\u0000" not in moment:  # NUL in a query string is refused before any route (400)
        read = server.get(f"/api/appeals/{case['id']}?as_of={quote(moment)}", token=server.tokens["clerk"])
        assert "as_of" in assert_error(read, 422, "validation_failed")["fields"]
    assert history(server, case["id"]) == before


# -- 5. malformed claims under a good signature -----------------------------------------------------------------------
MALFORMED_CLAIMS = [
    {"u": "ops"},
    ["ops", "x", 1],
    {"u": 1, "j": 2, "i": "x"},
    {"u": "ops", "j": "x", "i": 1e300},
    {"u": "ops", "j": "x", "i": True},
    {"u": "\ud800", "j": "x", "i": 1.0},
    "ops",
    None,
    {"u": "ops", "j": "x", "i": -1e20},
]


def test_a_token_signed_by_the_service_with_malformed_claims_is_a_401(server):
    signer = URLSafeTimedSerializer(
        server.env["CASELEDGER_SECRET_KEY"], salt="caseledger-bearer", serializer_kwargs={"ensure_ascii": True}
    )  # a lone surrogate, escaped
    forged = [signer.dumps(claims) for claims in MALFORMED_CLAIMS]
    forged.append(
        signer.dumps({"u": "ops", "j": "x", "i": 1.0}).replace(  # a payload that is no JSON
            signer.dumps({"u": "ops", "j": "x", "i": 1.0}).split(".")[0], "bm90IGpzb24"
        )
    )
    for token in forged:
        refused = server.get("/api/units", token=token)
        assert_error(refused, 401, "unauthorized")
    good = server.get("/api/units", token=server.tokens["ops"])
    assert good.status == 200


def test_a_session_cookie_signed_by_the_service_with_malformed_claims_is_the_sign_in_page(server):
    app = Flask(__name__)
    app.secret_key = server.env["CASELEDGER_SECRET_KEY"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    for claims in [c for c in MALFORMED_CLAIMS if isinstance(c, dict)] + [[1, 2]]:
        cookie = serializer.dumps(claims)
        page = server.get("/", headers={"Cookie": f"caseledger_session={cookie}"})
        assert page.status in (200, 303), (claims, page.status, page.body[:200])
        assert page.status == 200 or "/login" in page.headers["Location"], page.headers


# -- 6. a killed master takes its children with it ------------------------------------------------------------------
def _session_processes(sid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid and int(entry) != sid:
                    found.append(int(entry))
            except (ProcessLookupError, PermissionError):
                continue
    return found


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_killing_the_master_ends_its_workers_and_read_model_process(database, tmp_path):
    def run(url):
        with running_server(url, tmp_path, workers=2, login=False, create=False) as s:
            master = s.process.pid
            children = _session_processes(master)  # the workers and the read-model process
            commands = [open(f"/proc/{pid}/cmdline", "rb").read() for pid in children]
            assert len(children) >= 3 and any(b"projections" in c for c in commands), commands
            s.killed = True
            os.kill(master, signal.SIGKILL)
            s.process.wait(10)
            killed_at = time.monotonic()
            while _session_processes(master) and time.monotonic() - killed_at < 15:
                time.sleep(0.1)
            gone_after = time.monotonic() - killed_at
            left = _session_processes(master)
            for pid in left:  # leave nothing behind, whatever the verdict
                os.kill(pid, signal.SIGKILL)
            print(f"{database}: the workers and the read-model process ended {gone_after:.1f} s after the master")
            assert not left, f"still running 15 s after the master was killed: {left}"
            assert gone_after < 8, gone_after
            with pytest.raises(OSError):
                socket.create_connection(address(s), timeout=2).close()

    if database == "sqlite":
        run(f"sqlite:///{tmp_path}/events.sqlite3")
    else:
        with scratch_postgres() as url:
            run(url)
