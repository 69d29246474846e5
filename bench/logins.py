"""Login cost: a token-authenticated GET for a user with 1 and with 1,000 prior logins.

Every request with a bearer token reads its user's record to check that the
token is still accepted (web.auth). This measures what that costs as the
user's logins accumulate: for each database (a fresh PostgreSQL database and
a SQLite file), two users sign in 1 and 1,000 times (Flask's test client,
a cheap Argon2 setting so that the logins themselves are quick), then each
sends ``--requests`` (300) GETs of an unknown case (404: the authentication,
then one lookup) with its latest token. Printed: median and p95 per request
and the user's stored event count.

    .venv/bin/python bench/logins.py [--requests 300] [--logins 1000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# As in bench/http.py: this file's directory (with http.py in it) must not shadow the standard library.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from adapters.auth.passwords import Argon2Hasher  # noqa: E402
from bench._machine import describe  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from tests.e2e.server import scratch_postgres  # noqa: E402
from web.app import create_app  # noqa: E402
from web.bootstrap import Settings, bootstrap  # noqa: E402

PASSWORD = "correct horse battery"
OPERATOR = Actor("cli:bench", Role.ADMIN)


def measure(url: str, logins: list[int], requests: int) -> list[tuple[int, int, float, float]]:
    container = bootstrap(
        Settings(database_url=url, secret_key="bench-secret"), hasher=Argon2Hasher(time_cost=1, memory_cost=1024)
    )
    try:
        client = create_app(container).test_client()
        results = []
        for count in logins:
            name = f"bench{count}"
            container.directory.add_user(OPERATOR, name, "platform", PASSWORD)
            for _ in range(count):
                response = client.post("/api/auth/token", json={"username": name, "password": PASSWORD})
                assert response.status_code == 200, response.json
            headers = {"Authorization": f"Bearer {response.json['token']}"}
            path = f"/api/appeals/{uuid.uuid4()}"
            for _ in range(20):  # warm-up: caches, prepared statements
                client.get(path, headers=headers)
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append(time.perf_counter() - started)
                assert response.status_code == 404, response.json
            events = len(list(container.directory.repository.event_store.get(container.directory.user(name).id)))
            times.sort()
            results.append((count, events, statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000))
        return results
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--logins", type=int, default=1000)
    args = parser.parse_args()
    print(describe())
    counts = [1, args.logins]
    with scratch_postgres(prefix="caseledger_bench") as url:
        rows = [("postgresql", *r) for r in measure(url, counts, args.requests)]
    with tempfile.TemporaryDirectory() as tmp:
        rows += [("sqlite", *r) for r in measure(f"sqlite:///{tmp}/events.sqlite3", counts, args.requests)]
    print(f"\n{'database':<12}{'logins':>8}{'events':>8}{'median ms':>12}{'p95 ms':>10}")
    for db, count, events, median, p95 in rows:
        print(f"{db:<12}{count:>8}{events:>8}{median:>12.2f}{p95:>10.2f}")


if __name__ == "__main__":
    main()
