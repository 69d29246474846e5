"""One setting, ``CASELEDGER_DATABASE_URL``, into the event store's own configuration.

``sqlite:///path`` (relative to the working directory; the default is
``var/caseledger.sqlite3``) selects the library's ``eventsourcing.sqlite``;
``postgresql://user:pass@host:port/db`` selects ``eventsourcing.postgres``
(psycopg 3) through ``adapters.persistence.pg_pool``: one pool per process for every
application and view, failing fast while the database is away. Query
parameters ``pool_size`` (connections kept open, default 1), ``max_overflow``
(more opened under load, default 3) and ``schema`` tune that pool and the
schema. The defaults hold a server (two workers and the read-model process)
to at most 12 connections.

A SQLite file, its directory when created here, and the lock file beside it
are readable by their owner only (0600, 0700): SQLite gives the ``-wal`` and
``-shm`` files the database file's mode.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg.conninfo import make_conninfo

DEFAULT_URL = "sqlite:///var/caseledger.sqlite3"


class DatabaseURLError(ValueError):
    pass


@dataclass(frozen=True)
class Database:
    url: str
    kind: str  # "sqlite" or "postgresql"
    env: dict[str, str]

    @property
    def redacted(self) -> str:
        parts = urlsplit(self.url)
        if parts.password:
            return self.url.replace(f":{parts.password}@", ":***@", 1)
        return self.url


def database_kind(url: str | None) -> str:
    """The kind, "sqlite" or "postgresql", from the URL alone (nothing is opened or created)."""
    scheme = urlsplit(url or DEFAULT_URL).scheme
    return "postgresql" if scheme in ("postgresql", "postgres") else scheme


def database_from_url(url: str | None) -> Database:
    url = url or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw = unquote(url[len("sqlite://") :])
        if raw in ("", "/", "/:memory:"):
            return Database(url, "sqlite", {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
        # sqlite:///relative/path and sqlite:////absolute/path, as in SQLAlchemy.
        path = Path(raw[1:]) if raw.startswith("/") else Path(raw)
        private_directory(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # before SQLite creates it 0644
        return Database(
            url,
            "sqlite",
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "30",
            },
        )
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.path.strip("/"):
            raise DatabaseURLError(f"{_redact(url)}: the URL must name a database")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"pool_size", "max_overflow", "schema"}
        if unknown:
            raise DatabaseURLError(f"{_redact(url)}: unknown parameters {sorted(unknown)}")
        env = {
            "PERSISTENCE_MODULE": "adapters.persistence.pg_pool:SharedPostgresFactory",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": query.get("pool_size", "1"),
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", "3"),
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"]
        return Database(url, "postgresql", env)
    raise DatabaseURLError(f"{_redact(url)}: CASELEDGER_DATABASE_URL must start with sqlite:/// or postgresql://")


def private_directory(path: Path) -> None:
    """A missing directory created readable by its owner only (missing parents get the default mode);
    an existing one is left as the operator made it."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is masked by the umask, which may be looser or tighter


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@", 1) if parts.password else url


def postgres_conninfo(database: Database) -> str:
    """A libpq connection string for a PostgreSQL database, for connections outside the event store."""
    env = database.env
    return make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
    )


@contextmanager
def schema_lock(database: Database) -> Iterator[None]:
    """Serialises table creation between processes starting at once.

    Each process creates its tables if missing; on PostgreSQL two doing so at
    the same moment can fail ("tuple concurrently updated"), so they take
    turns under an advisory lock; on SQLite, under a lock on a file beside the database.
    """
    if database.kind != "postgresql":
        name = database.env["SQLITE_DBNAME"]
        if name == ":memory:":
            yield
            return
        with os.fdopen(os.open(f"{name}.lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return
    with psycopg.connect(postgres_conninfo(database), autocommit=True, connect_timeout=3) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


_SCHEMA_LOCK = 0x6361_7365  # "case"
