"""One active process per name, elected through the database; the others stand by.

A process that follows the log and writes (the read models, the deadline
watch, ...) may be started on several hosts at once; ``run_elected`` lets
one of them work and has the others poll, taking over when the active one
is gone.

- **PostgreSQL**: a session advisory lock, ``pg_try_advisory_lock(CLASS,
  key)``, held on a connection of its own (not the pool's: a pooled
  connection is returned and reused, and the lock with it). The server
  releases the lock the moment the session ends: a killed process's socket
  is closed by its kernel, so a standby's next poll (every ``POLL``
  seconds) gets the lock. A host that vanishes without closing its socket
  (a power cut, a network split) leaves an idle session, which the server
  ends after ``IDLE_SESSION_TIMEOUT``: the active process asks every
  ``CHECK`` seconds whether it still holds the lock, so it is never idle
  that long, and a check that fails, or finds the lock gone, makes it step
  down at once. The session's ``application_name`` says who it is and
  whether it is active or standing by (``holders``, read by
  ``caseledger projections status``).
- **SQLite**: one host, one file. An exclusive ``flock`` on a file beside
  the database (``<database>.<name>.lock``), held while the process runs,
  with the holder written in it. The kernel releases it when the process
  ends, however it ends. A second process does not stand by: it is told
  that one runs (``Leadership.alone``).
- An in-memory database has no other process: the lock is always granted.

The election only decides who works. It is not what keeps the views right:
a process that lost its lock may still be committing a batch. The views'
tracking positions are that guard (``adapters.views.guard``): a batch
commits only over the position it follows.
"""

from __future__ import annotations

import abc
import fcntl
import logging
import os
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import psycopg

from adapters.persistence.database import Database, postgres_conninfo

log = logging.getLogger(__name__)

POLL = 1.0  # seconds between a standby's attempts to take the lock
CHECK = 1.0  # seconds between the active process's checks that it still holds it
IDLE_SESSION_TIMEOUT = 10  # seconds the server keeps a silent session (and its lock) before ending it
CONNECT_TIMEOUT = 3  # libpq connect_timeout of the election's own connection
TCP_USER_TIMEOUT_MS = 5000  # unacknowledged data for this long: the connection is dead (a check fails)
CLASS = 0x6361_7365  # "case": the advisory lock's first key, shared with nothing else of the service
APPLICATION = "caseledger"  # prefix of the election connections' application_name


def identity() -> str:
    """Who this process is, for the others: its host and process id."""
    return f"{socket.gethostname()[:30]} pid {os.getpid()}"


def _key(name: str) -> int:
    """The advisory lock's second key: a stable number for the name (an int4, kept positive)."""
    return zlib.crc32(name.encode()) & 0x7FFF_FFFF


@dataclass(frozen=True)
class Holder:
    """A process taking part in an election: active (holds the lock) or standing by."""

    who: str
    active: bool
    since: str = ""


class Leadership(abc.ABC):
    """A named leadership this process may acquire, keep and lose."""

    # True when a second process must not stand by but be told one runs (SQLite: one host).
    alone = False

    def __init__(self, name: str) -> None:
        self.name = name

    @abc.abstractmethod
    def acquire(self) -> bool:
        """Tries once, without waiting; True if this process holds the leadership now."""

    @abc.abstractmethod
    def held(self) -> bool:
        """The keep-alive check: still held? False as soon as it is known lost (then it is let go)."""

    @abc.abstractmethod
    def release(self) -> None:
        """Lets it go (a no-op if not held)."""

    @abc.abstractmethod
    def holders(self) -> list[Holder]:
        """Who takes part now, the active one first (as far as the database can tell)."""

    def close(self) -> None:
        self.release()

    def __enter__(self) -> Leadership:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class PostgresLeadership(Leadership):
    def __init__(self, database: Database, name: str) -> None:
        super().__init__(name)
        self.database, self.key = database, _key(name)
        self._conn: psycopg.Connection | None = None
        self._held = False
        self._unanswered = False

    def _label(self, role: str) -> str:
        return f"{APPLICATION} {self.name} {role} {identity()}"[:63]

    def _connect(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                postgres_conninfo(self.database),
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name=self._label("standby"),
                keepalives=1,
                keepalives_idle=2,
                keepalives_interval=1,
                keepalives_count=3,
                tcp_user_timeout=TCP_USER_TIMEOUT_MS,
                options=f"-c idle_session_timeout={IDLE_SESSION_TIMEOUT * 1000} -c statement_timeout=5000",
            )
        return self._conn

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None

    def acquire(self) -> bool:
        try:
            conn = self._connect()
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (CLASS, self.key)).fetchone()
            self._held = bool(row and row[0])
            if self._held:
                conn.execute("SELECT set_config('application_name', %s, false)", (self._label("active"),))
        except psycopg.Error as exc:
            if self._conn is not None or not self._unanswered:  # once per outage, not every poll
                log.warning("election %s: the database did not answer (%s)", self.name, str(exc).strip())
            self._unanswered = True
            self._drop()
            return False
        self._unanswered = False
        return self._held

    def held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND classid = %s AND objid = %s AND objsubid = 2 AND granted",
                (CLASS, self.key),
            ).fetchone()
        except psycopg.Error:
            self._drop()  # the session is gone, and the lock with it
            return False
        if not (row and row[0]):
            self._drop()
        return self._held

    def release(self) -> None:
        if self._held and self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (CLASS, self.key))
                self._conn.execute("SELECT set_config('application_name', %s, false)", (self._label("standby"),))
            except psycopg.Error:
                self._drop()
        self._held = False

    def close(self) -> None:
        self.release()
        self._drop()

    def holders(self) -> list[Holder]:
        with psycopg.connect(postgres_conninfo(self.database), autocommit=True, connect_timeout=CONNECT_TIMEOUT) as c:
            rows = c.execute(
                "SELECT a.application_name, to_char(a.backend_start AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'), EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid '
                "AND l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s AND l.objsubid = 2 AND l.granted) "
                "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.application_name LIKE %s",
                (CLASS, self.key, f"{APPLICATION} {self.name} %"),
            ).fetchall()
        prefix = f"{APPLICATION} {self.name} "
        found = []
        for label, since, active in rows:
            who = label[len(prefix) :].split(" ", 1)[-1]  # after "active" / "standby"
            found.append(Holder(who, bool(active), since))
        return sorted(found, key=lambda h: (not h.active, h.who))


class FileLeadership(Leadership):
    """SQLite: an exclusive lock on a file beside the database; a second process is told that one runs."""

    alone = True

    def __init__(self, path: str, name: str) -> None:
        super().__init__(name)
        self.path = f"{path}.{name}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{identity()}\n".encode())  # when: the file's modification time
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None  # the kernel keeps it while the process lives

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holders(self) -> list[Holder]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: by whom, it wrote
                who = os.read(fd, 200).decode(errors="replace").strip()
                since = datetime.fromtimestamp(os.fstat(fd).st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                return [Holder(who or "?", True, since)]
            return [] if self._fd is None else [Holder(identity(), True)]
        finally:
            os.close(fd)


class SoleLeadership(Leadership):
    """An in-memory database: no other process can share it, so the leadership is always this one's."""

    alone = True

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def holders(self) -> list[Holder]:
        return [Holder(identity(), True)]


def leadership(database: Database, name: str) -> Leadership:
    """The named leadership on the configured database."""
    if database.kind == "postgresql":
        return PostgresLeadership(database, name)
    path = database.env["SQLITE_DBNAME"]
    return SoleLeadership(name) if path == ":memory:" else FileLeadership(path, name)


def run_elected(
    lead: Leadership,
    work: Callable[[threading.Event], object],
    stop: threading.Event,
    say: Callable[[str], object] = log.info,
    poll: float = POLL,
    check: float = CHECK,
) -> bool:
    """Runs ``work(step_down)`` while this process holds ``lead``, until ``stop`` is set.

    ``work`` must return soon after ``step_down`` is set: it is set when ``stop`` is, and at once
    when the leadership is lost (then this process stands by again). A standby tries every ``poll``
    seconds. Returns False, without working, when the leadership is held elsewhere and ``lead.alone``
    (a second process on SQLite); True once stopped.
    """
    standing_by = False
    while not stop.is_set():
        if not lead.acquire():
            if lead.alone:
                return False
            if not standing_by:
                active = [h.who for h in _holders(lead) if h.active]
                say(f"standby: {lead.name} is active on {active[0] if active else 'another process'}; polling")
                standing_by = True
            stop.wait(poll)
            continue
        standing_by = False
        say(f"active: {lead.name} on {identity()}")
        step_down = threading.Event()
        worker = threading.Thread(target=_work, args=(work, step_down), name=f"elected-{lead.name}", daemon=True)
        worker.start()
        while worker.is_alive():
            if stop.wait(check):
                step_down.set()
            elif not lead.held():
                say(f"lost: {lead.name} is no longer this process's; stepping down")
                step_down.set()
            if step_down.is_set():
                worker.join()
        lead.release()
        if not stop.is_set():  # lost, or the work failed: give another process the first chance
            stop.wait(poll)
    return True


def _work(work: Callable[[threading.Event], object], step_down: threading.Event) -> None:
    try:
        work(step_down)
    except Exception:  # noqa: BLE001 - the leadership is let go; the loop tries again
        log.exception("elected work failed; letting the leadership go")
    step_down.set()


def _holders(lead: Leadership) -> list[Holder]:
    try:
        return lead.holders()
    except psycopg.Error:
        return []
