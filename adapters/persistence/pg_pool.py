"""One PostgreSQL connection pool per process, shared by every application and view, that fails fast in an outage.

The library's ``PostgresFactory`` builds a ``PostgresDatastore`` (one
psycopg pool) per factory, and every application, the views and the
idempotency table have a factory each: five pools per process, each holding
its minimum of connections at rest. ``SharedPostgresFactory`` (named by
``PERSISTENCE_MODULE``) hands every factory of a process with the same
connection settings the same datastore, counted, and closes it when the last
factory closes. Every ``POSTGRES_*`` setting is part of the key, so an
application configured differently still gets a pool of its own.

The shared datastore's pool is a ``GuardedPool``: the library's own pool
class, built with the library's connection arguments, sizes and
``configure`` callback (``PostgresDatastore.__init__``), before its first
use, but with short waits and a circuit breaker:

- A connection found broken after use, or no connection within the pool's
  timeout, marks the database down. While it is down, ``getconn`` raises
  ``DatabaseUnavailable`` at once. That is deliberately not one of the
  library's ``OperationalError``/``InterfaceError``, which its recorders
  retry ten times (``@retry(..., max_attempts=10, wait=0.2)``): a request
  fails in milliseconds instead of waiting out ten pool timeouts.
- A probe thread, running only while the database is down, opens a fresh
  connection every half second (outside the pool, so a pool busy with work
  does not look like an outage). When one succeeds, the pool's idle
  connections are checked and the broken ones replaced (``pool.check()``),
  and the breaker closes: recovery needs no restart.
- The pool gives up reconnecting a lost connection after
  ``RECONNECT_TIMEOUT`` instead of five minutes, so that its exponential
  backoff never delays the first connection after the database returns;
  each new connection has a libpq ``connect_timeout``; idle connections
  beyond the minimum close after ``MAX_IDLE``.

Pre-ping stays off (the library's default, ``POSTGRES_PRE_PING``): psycopg's
pool sleeps a second after each failed check, while here a broken
connection costs one failed attempt, which the library's retry repeats on a
fresh connection once the probe has cleared the pool.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import BasePostgresFactory, ConnectionPool, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout

log = logging.getLogger(__name__)

POOL_TIMEOUT = 5.0  # seconds a request waits for a connection when every one is busy
CONNECT_TIMEOUT = 3  # libpq connect_timeout (whole seconds) of each new connection
RECONNECT_TIMEOUT = 2.0
MAX_IDLE = 60.0
PROBE_INTERVAL = 0.5


class DatabaseUnavailable(Exception):
    """The database is known to be unreachable; raised without waiting, and not retried by the library."""


UNAVAILABLE: tuple[type[Exception], ...] = (
    DatabaseUnavailable,
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
)
"""Errors meaning "the database did not answer": a 503, or a retry for a process that waits for it."""


class GuardedPool(ConnectionPool[psycopg.Connection[DictRow]]):
    """The library's pool with a circuit breaker: see the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._breaker = threading.Lock()
        self._down_since: float | None = None

    def getconn(self, timeout: float | None = None):
        if self._down_since is not None:
            raise DatabaseUnavailable(f"the database has not answered for {time.monotonic() - self._down_since:.1f} s")
        try:
            return super().getconn(timeout)
        except PoolTimeout:
            self.lost("no connection within the pool's timeout")
            raise

    def putconn(self, conn) -> None:
        if conn.broken:
            self.lost("a connection broke")
        super().putconn(conn)

    def probe(self, timeout: float) -> None:
        """A round trip on a pooled connection, waiting at most ``timeout`` for one (health checks)."""
        with self.connection(timeout) as conn:
            conn.execute("SELECT 1")

    def lost(self, reason: str) -> None:
        with self._breaker:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        log.warning("database unavailable (%s); failing fast until a probe connects", reason)
        threading.Thread(target=self._probe_until_up, name=f"{self.name}-probe", daemon=True).start()

    def _probe_until_up(self) -> None:
        given, conninfo = self.kwargs or {}, self.conninfo
        assert isinstance(given, dict) and isinstance(conninfo, str)  # as ``_guarded`` builds the pool
        kwargs = {k: v for k, v in given.items() if k != "row_factory"}
        while not self.closed:
            try:
                if self.get_password_func:
                    kwargs["password"] = self.get_password_func()
                with psycopg.connect(conninfo, **kwargs) as conn:
                    conn.execute("SELECT 1")
            except psycopg.Error:
                time.sleep(PROBE_INTERVAL)
                continue
            self.check()  # discard the idle connections the outage broke, before anyone takes one
            down_for = time.monotonic() - (self._down_since or time.monotonic())
            self._down_since = None
            log.warning("database reachable again after %.1f s", down_for)
            return


def _guarded(datastore: PostgresDatastore) -> GuardedPool:
    """The datastore's pool rebuilt, before first use, as a ``GuardedPool`` with the library's arguments."""
    library = datastore.pool
    assert isinstance(library.kwargs, dict)  # the library builds its pool with a dict of connection arguments
    return GuardedPool(
        get_password_func=library.get_password_func,
        connection_class=library.connection_class,
        kwargs={**library.kwargs, "connect_timeout": CONNECT_TIMEOUT},
        min_size=library.min_size,
        max_size=library.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        timeout=POOL_TIMEOUT,
        max_waiting=library.max_waiting,
        max_lifetime=library.max_lifetime,
        max_idle=MAX_IDLE,
        reconnect_timeout=RECONNECT_TIMEOUT,
        check=ConnectionPool.check_connection if datastore.pre_ping else None,
        name="caseledger",
    )


class _Shared:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore, self.users = datastore, 0


# Every POSTGRES_* setting the library reads (connection, pool, schema, tracking), and the id type.
_SETTINGS = sorted(
    {getattr(BasePostgresFactory, name) for name in dir(BasePostgresFactory) if name.startswith("POSTGRES_")}
    | {BasePostgresFactory.ORIGINATOR_ID_TYPE}
)


class SharedPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, with one datastore per process and connection settings."""

    _shared: ClassVar[dict[tuple, _Shared]] = {}
    # Re-entrant: the garbage collector may close an unreachable service (taking the lock) on the very
    # thread that holds it while making another, which with a plain lock would wait on itself forever.
    _lock: ClassVar[threading.RLock] = threading.RLock()

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        env = env if isinstance(env, Environment) else Environment(env=env)
        # The process id too: a pool must never be used on both sides of a fork.
        self._key = (os.getpid(), *(env.get(name) for name in _SETTINGS))
        self._closed = False
        with self._lock:
            shared = self._shared.get(self._key)
            if shared is None:
                super().__init__(env)
                self.datastore.pool = _guarded(self.datastore)
                shared = self._shared[self._key] = _Shared(self.datastore)
            else:
                self.env, self._is_entered = env, False  # as BaseInfrastructureFactory.__init__
                self.datastore = shared.datastore
            shared.users += 1

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            shared = self._shared.get(self._key)
            if shared is None or shared.datastore is not self.datastore:
                return
            shared.users -= 1
            if shared.users:
                return
            del self._shared[self._key]
        self.datastore.close()

    def __exit__(self, *exc: object) -> None:
        self._is_entered = False
        self.close()
