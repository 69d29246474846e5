"""Shared fixtures: the same behaviour suite on SQLite and on a real PostgreSQL.

PostgreSQL tests create their own database (``caseledger_test_<random>``) on
the server named by ``CASELEDGER_TEST_POSTGRES_URL`` (default: the local
server as ``postgres``) and drop it afterwards. An unreachable server fails
the run rather than skipping: the suite promises both databases.

For the whole run, idle connections to the ``postgres`` database are held so
that only ``FREE_CONNECTIONS`` (50) of the server's ``max_connections`` are
left to each test process (pytest-xdist runs two), on any server: what a
production server shared with other clients leaves a deployment. A change
that makes the service greedy for connections fails the suite here, not in
production.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from adapters.calendar.official import CalendarSource
from adapters.persistence.database import database_from_url
from adapters.profiles.files import FileProfileCatalogue
from domain.actors import Actor, Role
from domain.appeals.service import AppealService
from domain.deadlines.periods import SHANGHAI

FREE_CONNECTIONS = 50
ADMIN_URL = os.environ.get("CASELEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

PLATFORM = Actor("hotline.clerk", Role.PLATFORM)
SUPERVISOR = Actor("supervisor.li", Role.SUPERVISOR)
ADMIN = Actor("ops", Role.ADMIN)
INSPECTOR = Actor("inspector.wang", Role.INSPECTOR)
AUDITOR = Actor("auditor.zhao", Role.AUDITOR)


# The Merkle log's signing key for the whole run: the PostgreSQL database is shared by the run's
# tests and servers, and each checkpoint must bear the key of the ones before it.
# Created by the first process that signs (nothing is made on import).
LOG_KEY_FILE = Path(tempfile.gettempdir()) / f"caseledger-test-log-key-{uuid.uuid4().hex[:12]}" / "log.key"


@pytest.fixture(scope="session", autouse=True)
def _log_key_removed_afterwards() -> Iterator[None]:
    yield
    shutil.rmtree(LOG_KEY_FILE.parent, ignore_errors=True)


def unit_actor(unit: str) -> Actor:
    return Actor(f"clerk.{unit.lower()}", Role.UNIT, unit)


def sh(text: str) -> datetime:
    """A Shanghai wall-clock time, written as officials count it."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="session", autouse=True)
def only_50_postgres_connections_free() -> Iterator[int]:
    """Holds idle connections until FREE_CONNECTIONS per test process are left (counting those other clients,
    and the run's other processes, hold). The processes take turns, so each counts what the others hold."""
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    with open(Path(tempfile.gettempdir()) / "caseledger-tests-held-connections.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            limit = int(conn.execute("SHOW max_connections").fetchone()[0])
            clients = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
            in_use = clients.fetchone()[0] - 1
        held = [
            psycopg.connect(ADMIN_URL, autocommit=True, application_name="caseledger-tests-held")
            for _ in range(max(0, limit - in_use - FREE_CONNECTIONS * processes))
        ]
    yield len(held)
    for conn in held:
        conn.close()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    name = f"caseledger_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the session's tests (each keeps to cases of its own). A module whose tests
    read the whole log (rebuilds from zero, a process's pools) overrides it with ``own_postgres_url``."""
    with fresh_postgres_database() as url:
        yield url


def own_postgres_url() -> Iterator[str]:
    """``postgres_url`` for one module alone: ``postgres_url = pytest.fixture(scope="module")(own_postgres_url)``."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def calendars() -> CalendarSource:
    return CalendarSource()


@pytest.fixture(scope="session")
def profiles() -> FileProfileCatalogue:
    return FileProfileCatalogue()


@pytest.fixture
def appeals(database_url: str, profiles: FileProfileCatalogue, calendars: CalendarSource) -> Iterator[AppealService]:
    service = AppealService(
        database_from_url(database_url).env, profiles=profiles, calendars=calendars.for_jurisdiction
    )
    yield service
    service.close()


# -- markers: a fast lane is ``-m "not postgres and not browser"`` ---------------------------------------------------
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres`` on every test that needs the PostgreSQL server (a ``postgres`` parameter of any of its
    fixtures, the shared database, or a name saying so), ``server`` on those that drive ``caseledger serve``,
    ``browser`` on those that drive chromium."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (
            "postgres" in params.values()
            or "postgres_url" in getattr(item, "fixturenames", ())
            or "postgres" in item.name.split("[")[0]
        ):
            item.add_marker(pytest.mark.postgres)
        module = getattr(item, "module", None)
        if module is not None and "running_server" in vars(module):
            item.add_marker(pytest.mark.server)
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)
