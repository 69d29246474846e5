"""HTTP benchmark: command throughput and latency of the real server, against the same commands in-process.

Starts ``caseledger serve`` (gunicorn; ``--workers``, default 2) on a fresh
PostgreSQL database, makes the units and users with the CLI, and runs
``--clients`` (8) concurrent clients: threads, one ``http.client`` connection
each, asking for keep-alive (which the threaded workers of ``web.worker``
grant; the output says if the server closed connections after each
response). Each client drives appeals through the lifecycle the state
machine asks for, one request per command:

    open → forward → acknowledge → answer (final) → review (accepted) → visit → close

each command carrying ``expected_version``, as a careful client does. Every
request's latency is recorded (request sent to last byte read). The same
command mix also goes through ``domain.appeals.service.AppealService`` directly
(wired by ``web.bootstrap`` as the server wires it; one thread, like
bench/core.py's ``drive_appeals``) on another fresh PostgreSQL database. The
two alternate for ``--rounds`` (2) rounds of ``--seconds`` (10) each, or of
``--appeals`` appeals, after a warm-up; as in bench/core.py the best round of
each side is kept, so that neither gains from a quieter moment of a shared
machine. Printed: commands/s, median, p95 and p99 latency (overall and per
command), and the ratio HTTP/in-process.

Goals: HTTP/in-process ratio >= 0.8 at 8 clients; p99 latency <= 50 ms (an earlier round asked 0.5).

With ``--baseline REF`` (a commit, branch or tag of this repository), the server as it was at REF runs
too, from a temporary ``git worktree`` on a third fresh database, and takes its turn in every round:
the two servers' numbers side by side, from the same run, on the same machine at the same moments.

    .venv/bin/python bench/http.py [--seconds 10] [--rounds 2] [--appeals N] [--clients 8] [--workers 2]
                                   [--baseline REF]

Workers: on 2 CPUs, 2 and 4 (then sync) workers measured the same within the noise
(230-320 commands/s either way); 2 is the default, as it also makes the
start-up race of the workers' DDL (see ``start_server``) rarer. Databases are
created and dropped on the local server (``CASELEDGER_TEST_POSTGRES_URL`` or
postgres@127.0.0.1). The load generator runs on the same machine as the
server and the database and takes its share of the CPUs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, and this file (http.py) would
# shadow the standard library's ``http`` package: take the directory out, put the project in.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import psycopg  # noqa: E402

from bench._machine import describe  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from tests.e2e.server import (  # noqa: E402
    PASSWORD,
    UNITS,
    USERS,
    ServerDied,
    provision,
    running_server,
    scratch_postgres,
    server_env,
)
from web.bootstrap import Settings, bootstrap  # noqa: E402

OPEN = {
    "channel": "12345",
    "category": "help",
    "subject": "用电报装迟迟未接通",
    "content": "企业反映新厂房低压接电申请已逾期未办，影响投产。" * 4,
    "enterprise": {"name": "淄博某某机械有限公司", "credit_code": "91370302MA3C000000"},
    "contact": {"name": "王经理", "phone": "13800000000"},
    "profile": "liaocheng-2020",
}
UNIT = "DISTRICT-POWER"
# (step, who, body): after "open", each step is POST /api/appeals/{id}/{step}
STEPS = [
    ("forward", "platform", {"unit": UNIT}),
    ("acknowledge", "unit", {}),
    ("answer", "unit", {"kind": "final", "content": "已完成接电。"}),
    ("review", "platform", {"accepted": True}),
    ("visit", "platform", {"satisfaction": "satisfied", "solved": True}),
    ("close", "platform", {}),
]
COMMANDS_PER_APPEAL = 1 + len(STEPS)
TARGET_RATIO, TARGET_P99_MS = 0.8, 50.0


@dataclass
class ClientStats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    appeals: int = 0
    errors: list[str] = field(default_factory=list)
    connections: int = 0
    closed_by_server: int = 0


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened when the server closes it."""

    def __init__(self, host: str, port: int, stats: ClientStats) -> None:
        self.host, self.port, self.stats = host, port, stats
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict, token: str) -> tuple[int, dict, float]:
        payload = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.stats.connections += 1
            start = time.perf_counter()
            try:
                self.conn.request("POST", path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a kept-alive connection the server had dropped: once more, on a new one
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - start
            if response.will_close:
                self.stats.closed_by_server += 1
                self.close()
            return response.status, json.loads(data) if data else {}, elapsed
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def http_client(
    host: str,
    port: int,
    tokens: dict[str, str],
    stop: threading.Event,
    budget: list[int],
    lock: threading.Lock,
    stats: ClientStats,
    record: threading.Event,
) -> None:
    conn = Connection(host, port, stats)
    try:
        _drive(conn, tokens, stop, budget, lock, stats, record)
    except OSError as exc:  # the server went away: recorded, and this client stops
        stats.errors.append(f"connection: {exc!r}")
    finally:
        conn.close()


def _drive(
    conn: Connection,
    tokens: dict[str, str],
    stop: threading.Event,
    budget: list[int],
    lock: threading.Lock,
    stats: ClientStats,
    record: threading.Event,
) -> None:
    while not stop.is_set():
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        timed = record.is_set()
        status, case, elapsed = conn.post("/api/appeals", OPEN, tokens["platform"])
        if status != 201:
            stats.errors.append(f"open: {status} {case}")
            continue
        if timed:
            stats.latencies["open"].append(elapsed)
        for step, who, body in STEPS:
            status, data, elapsed = conn.post(
                f"/api/appeals/{case['id']}/{step}", body | {"expected_version": case["version"]}, tokens[who]
            )
            if status != 200:
                stats.errors.append(f"{step}: {status} {data}")
                break
            case = data
            if timed:
                stats.latencies[step].append(elapsed)
        else:
            if timed:
                stats.appeals += 1


def run_http(
    base_url: str, tokens: dict[str, str], clients: int, seconds: float, appeals: int | None, warmup: float
) -> tuple[list[ClientStats], float]:
    host, port = base_url.removeprefix("http://").split(":")
    stop, record, lock = threading.Event(), threading.Event(), threading.Lock()
    budget = [appeals if appeals else 10**12]
    stats = [ClientStats() for _ in range(clients)]
    threads = [
        threading.Thread(target=http_client, args=(host, int(port), tokens, stop, budget, lock, s, record), daemon=True)
        for s in stats
    ]
    for t in threads:
        t.start()
    time.sleep(warmup)  # connections, caches and the pools warm up; nothing recorded
    with lock:
        budget[0] = appeals if appeals else 10**12
    for s in stats:  # appeals begun in the warm-up and finished later are not counted (nor their steps)
        s.latencies.clear()
        s.appeals = 0
        s.connections = s.closed_by_server = 0
    record.set()
    start = time.perf_counter()
    deadline = start + seconds
    while any(t.is_alive() for t in threads) and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(60)
    return stats, time.perf_counter() - start


class InProcess:
    """The same seven commands through AppealService, wired by web.bootstrap as the server wires it."""

    METHODS = {
        "forward": "forward",
        "acknowledge": "acknowledge",
        "answer": "answer",
        "review": "review",
        "visit": "visit",
        "close": "close_case",
    }

    def __init__(self, database_url: str) -> None:
        self.container = bootstrap(Settings(database_url=database_url, secret_key="bench"))
        self.container.directory.add_unit(Actor("cli:bench", Role.ADMIN), UNIT, UNITS[UNIT])
        self.actors = {"platform": Actor("clerk", Role.PLATFORM), "unit": Actor("power", Role.UNIT, UNIT)}
        self.app = self.container.appeals

    def one(self) -> None:
        case, _ = self.app.open(self.actors["platform"], **OPEN)
        for step, who, body in STEPS:
            case = getattr(self.app, self.METHODS[step])(
                case.id, self.actors[who], **body, expected_version=case.version
            )

    def run(self, seconds: float, appeals: int | None, warmup: float) -> tuple[int, float]:
        until = time.perf_counter() + warmup
        while time.perf_counter() < until:
            self.one()
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds and (not appeals or done < appeals):
            self.one()
            done += 1
        return done, time.perf_counter() - start

    def close(self) -> None:
        self.container.close()


@contextlib.contextmanager
def worktree(ref: str):
    """This repository as it was at ``ref``, checked out in a temporary directory (removed afterwards)."""
    root = _HERE.parent
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="caseledger-baseline-") as tmp:
        path = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", str(path), commit], check=True, capture_output=True
        )
        try:
            yield path, commit
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(path)], capture_output=True)


def start_server(url: str, tmp: Path, workers: int, attempts: int = 3, code: Path | None = None):
    """``caseledger serve`` with every worker booted; returns (context manager, server, retries).

    Each gunicorn worker runs the event store's start-up DDL on PostgreSQL, and two at once may fail
    with "tuple concurrently updated", which halts the whole server (reported as an application bug).
    Such a start is retried, and the retry is printed with the results.
    """
    retries = 0
    for attempt in range(1, attempts + 1):
        cm = running_server(
            url,
            tmp,
            workers=workers,
            create=False,
            login=False,
            env_extra={"PYTHONPATH": str(code)} if code else None,
            command=[sys.executable, "-m", "web.cli.main"] if code else None,
        )
        try:
            server = cm.__enter__()
            time.sleep(2.0)  # /healthz answered from one worker; let the others finish booting
            if server.process.poll() is None:
                return cm, server, retries
            cm.__exit__(None, None, None)  # raises ServerDied with the server's stderr
        except ServerDied as exc:
            if "tuple concurrently updated" not in str(exc) or attempt == attempts:
                raise
            retries += 1
            print(
                "note: a worker failed to boot (its start-up DDL raced another worker's: "
                "'tuple concurrently updated'); starting the server again",
                file=sys.stderr,
            )
    raise AssertionError("unreachable")


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


@dataclass
class HttpRound:
    stats: list[ClientStats]
    elapsed: float

    @property
    def by_step(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = defaultdict(list)
        for s in self.stats:
            for step, values in s.latencies.items():
                found[step].extend(values)
        return found

    @property
    def latencies(self) -> list[float]:
        return [v for values in self.by_step.values() for v in values]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed


def report_http(title: str, rounds: list[HttpRound], args: argparse.Namespace, retries: int) -> tuple[HttpRound, list]:
    """Prints one server's best round; (that round, every error of every round)."""
    best = max(rounds, key=lambda r: r.rate)
    by_step, every = best.by_step, best.latencies
    errors = [e for r in rounds for s in r.stats for e in s.errors]
    requests = len(every)
    closed = sum(s.closed_by_server for s in best.stats)
    print(
        f"\n{title}: {args.clients} clients x {COMMANDS_PER_APPEAL} commands per appeal "
        f"(open, {', '.join(s for s, _, _ in STEPS)}); {args.rounds} rounds of {args.seconds:.0f} s "
        f"after {args.warmup:.0f} s warm-up each; the best round"
    )
    print(f"  appeals completed : {sum(s.appeals for s in best.stats):8d}")
    print(f"  commands          : {requests:8d}   errors {len(errors)}")
    print(f"  throughput        : {best.rate:8.0f} commands/s   (rounds: {', '.join(f'{r.rate:.0f}' for r in rounds)})")
    if every:
        print(
            f"  latency           : median {statistics.median(every) * 1e3:6.1f} ms   "
            f"p95 {pct(every, 95) * 1e3:6.1f} ms   p99 {pct(every, 99) * 1e3:6.1f} ms   "
            f"(target p99 <= {TARGET_P99_MS:.0f} ms)"
        )
        for step in ["open", *(s for s, _, _ in STEPS)]:
            values = by_step.get(step) or [float("nan")]
            print(
                f"    {step:<12}    : median {statistics.median(values) * 1e3:6.1f} ms   "
                f"p95 {pct(values, 95) * 1e3:6.1f} ms   p99 {pct(values, 99) * 1e3:6.1f} ms   "
                f"n={len(by_step.get(step, []))}"
            )
    print(
        f"  connections       : {sum(s.connections for s in best.stats)} opened for {requests} requests"
        + ("; the server closed each after one response (no keep-alive)" if requests and closed >= requests else "")
    )
    if retries:
        print(f"  server start      : retried {retries} time(s) after the start-up DDL race (see start_server)")
    for e in errors[:5]:
        print(f"  error: {e[:300]}")
    return best, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="measured time of each side in each round (default 10)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="HTTP and in-process rounds, alternating; the best of each is kept (default 2)",
    )
    parser.add_argument("--appeals", type=int, help="end each round after this many appeals")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers (default 2: on 2 CPUs, 4 measured no better)"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before each round's measurement")
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also run the server as it was at this commit, in every round (a git worktree)",
    )
    args = parser.parse_args()

    http_rounds: list[HttpRound] = []
    baseline_rounds: list[HttpRound] = []
    direct_rounds: list[tuple[int, float]] = []
    baseline_retries = 0
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caseledger-bench-")))
        http_url = stack.enter_context(scratch_postgres(prefix="caseledger_bench"))
        direct_url = stack.enter_context(scratch_postgres(prefix="caseledger_bench"))
        base = None
        if args.baseline:
            code, commit = stack.enter_context(worktree(args.baseline))
            base_url = stack.enter_context(scratch_postgres(prefix="caseledger_bench"))
            base = (code, commit, base_url)
        with psycopg.connect(http_url) as conn:
            pg_version = conn.execute("show server_version").fetchone()[0]
        head = (
            subprocess.run(
                ["git", "-C", str(_HERE.parent), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            or "?"
        )
        print(
            describe(
                {
                    "database": f"PostgreSQL {pg_version} (a fresh database for each side)",
                    "server": f"caseledger serve (gunicorn, threaded workers), {args.workers} workers; "
                    f"this checkout ({head})" + (f" and the baseline {base[1]}" if base else ""),
                    "clients": f"{args.clients} threads, one http.client connection each",
                }
            )
        )
        for side in ("current", "baseline"):
            (tmp / side).mkdir()
        provision(server_env(http_url), tmp / "current", UNITS, USERS, PASSWORD)
        server_cm, server, retries = start_server(http_url, tmp / "current", args.workers)
        stack.callback(server_cm.__exit__, None, None, None)
        tokens = {"platform": server.token("clerk"), "unit": server.token("power")}
        base_server = base_tokens = None
        if base:
            provision(server_env(base[2]), tmp / "baseline", UNITS, USERS, PASSWORD)
            base_cm, base_server, baseline_retries = start_server(base[2], tmp / "baseline", args.workers, code=base[0])
            stack.callback(base_cm.__exit__, None, None, None)
            base_tokens = {"platform": base_server.token("clerk"), "unit": base_server.token("power")}
        direct = InProcess(direct_url)
        stack.callback(direct.close)
        # Take turns, so that no side gains from a quieter moment of a shared machine.
        for _ in range(args.rounds):
            http_rounds.append(
                HttpRound(*run_http(server.base_url, tokens, args.clients, args.seconds, args.appeals, args.warmup))
            )
            if base_server is not None:
                baseline_rounds.append(
                    HttpRound(
                        *run_http(
                            base_server.base_url, base_tokens, args.clients, args.seconds, args.appeals, args.warmup
                        )
                    )
                )
            direct_rounds.append(direct.run(args.seconds, args.appeals, min(args.warmup, 2.0)))

    best, errors = report_http(f"HTTP ({head})", http_rounds, args, retries)
    every = best.latencies
    if baseline_rounds:
        base_best, base_errors = report_http(f"HTTP, baseline ({base[1]})", baseline_rounds, args, baseline_retries)
        errors += base_errors
    direct_rates = [done * COMMANDS_PER_APPEAL / elapsed for done, elapsed in direct_rounds]
    direct_rate = max(direct_rates)
    done, elapsed = direct_rounds[direct_rates.index(direct_rate)]
    print(
        f"\nin-process: AppealService (web.bootstrap wiring), 1 thread, {args.rounds} rounds of "
        f"{args.seconds:.0f} s; the best round"
    )
    print(f"  appeals completed : {done:8d}")
    print(
        f"  throughput        : {direct_rate:8.0f} commands/s   (rounds: {', '.join(f'{r:.0f}' for r in direct_rates)})"
    )
    ratio = best.rate / direct_rate
    p99_ms = pct(every, 99) * 1e3 if every else float("nan")
    print(
        f"\nratio HTTP/in-process : {ratio:6.2f}x   (target >= {TARGET_RATIO:.2f})  "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    print(
        f"p99 latency           : {p99_ms:6.1f} ms  (target <= {TARGET_P99_MS:.0f} ms)  "
        f"{'met' if p99_ms <= TARGET_P99_MS else 'NOT met'}"
    )
    if baseline_rounds:
        base_every = base_best.latencies
        print(
            f"against the baseline  : {best.rate / base_best.rate:6.2f}x the throughput "
            f"({best.rate:.0f} vs {base_best.rate:.0f} commands/s); ratio HTTP/in-process "
            f"{ratio:.2f}x vs {base_best.rate / direct_rate:.2f}x; p99 {p99_ms:.1f} vs "
            f"{pct(base_every, 99) * 1e3 if base_every else float('nan'):.1f} ms"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
