"""Each line of a work-order file loaded as ``POST /api/appeals`` loads its body, in chunks.

The schema is the HTTP command's own (``OpenAppealSchema``), with the work
order's number and receipt time required; the service's checks come after,
when the importer opens the chunk (``AppealService.open_many``). A line
repeating a work order met earlier in the file is the same work order if it
says the same, and refused if it says something else.

Loading is most of an import's work besides saving, so it may run in a
process of its own (``checked_in_background``), a chunk ahead of the saving:
a fresh interpreter (``spawn``), sharing nothing with the importer but the
pipe of chunks, so it holds no database connection; it ends when the
importer does, its next send failing on the closed pipe. It runs
``web.work_orders.reader``, which loads this module and little else (no web
stack, no database driver), and still takes a tenth of a second or more to
start, as long as a thousand lines take to import; meanwhile the importer
loads the chunks itself, and the reader, once ready, is told where to go on
from and what the lines before said.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import marshmallow as ma

from web.api.schemas.common import OpenAppealSchema, Timestamp, required_text
from web.api.schemas.messages import flatten
from web.labels import CATEGORY
from web.work_orders.files import Line, WorkOrderFile, WorkOrderFileError

DEFAULT_CHANNEL = "12345"  # the city hotline's work orders (12345 市转办工单)


class WorkOrderSchema(OpenAppealSchema):
    """A work order: the body of ``POST /api/appeals`` with its number and its receipt time (受理时间)
    required — without them a re-import could not find it, and its deadlines would run from the import."""

    external_ref = required_text(120, metadata={"description": "the platform's work-order number (工单编号)"})
    occurred_at = Timestamp(required=True, metadata={"description": "when the platform received it (受理时间)"})


_SCHEMA = WorkOrderSchema(exclude=("expected_version",))  # a new case has no version to expect


def quick_load(schema: ma.Schema, data: dict[str, Any]) -> dict[str, Any] | None:
    """``schema.load(data)`` for data the schema takes as it stands, through the schema's own fields
    (their types and validators), without the schema's per-load machinery — or None where the schema
    itself must judge: any field it would refuse, a field it does not know, a required one missing.

    The machinery is about half the cost of loading a line (bench/import.py), and nearly every line
    of an export is valid. Followed only for schemas of plain fields (``_plain``); tests/unit/web/test_work_order_schema.py
    compares the two.
    """
    fields = schema.load_fields
    loaded: dict[str, Any] = {}
    for name, value in data.items():
        f = fields.get(name)
        if f is None:
            return None
        if isinstance(f, ma.fields.Nested) and isinstance(value, dict):
            inner = quick_load(f.schema, value)
            if inner is None:
                return None
            loaded[name] = inner
            continue
        try:
            loaded[name] = f.deserialize(value, name, data)
        except ma.ValidationError:
            return None
    if len(loaded) < len(fields) and any(f.required and n not in loaded for n, f in fields.items()):
        return None
    return loaded


def _plain(schema: ma.Schema) -> bool:
    """No hooks, renames, defaults or partial loading: a schema whose load is its fields' loads alone."""
    return (
        not any(schema._hooks.values())
        and schema.unknown == ma.RAISE
        and not schema.partial
        and all(
            f.data_key is None
            and f.attribute is None
            and f.load_default is ma.missing
            and (not isinstance(f, ma.fields.Nested) or (not f.many and _plain(f.schema)))
            for f in schema.load_fields.values()
        )
    )


_QUICK = _plain(_SCHEMA)


class Checked(NamedTuple):
    """One line: the loaded work order, or why it is refused; ``repeats``: the earlier line it repeats.
    (A tuple: it crosses from the reading process by the thousand.)"""

    number: int
    order: dict[str, Any] | None
    reason: str | None = None
    repeats: int | None = None


@dataclass(frozen=True)
class Chunk:
    lines: list[Checked]
    read_to: int  # physical lines read once the chunk was
    # The work orders met up to its end (``_SeenInFile``), for a reader going on after it; not sent across.
    first: dict[tuple[str, str], tuple[int, bytes]] | None = None


def checked_chunks(
    work_orders: WorkOrderFile, profile: str | None, channel: str, size: int, resume: Resume | None = None
) -> Generator[Chunk, None, None]:
    """The file's lines, loaded, ``size`` new work orders (and whatever was refused between them) a chunk;
    with ``resume``, those after the chunks another reader gave, judged as if this one had read them too."""
    seen = _SeenInFile(resume.first if resume else None)
    after = resume.read_to if resume else 0
    lines, new, read_to = [], 0, after
    for line in work_orders.records(after):
        if line.read_to <= after:
            continue  # given already
        read_to = line.read_to
        checked = seen.checked(line.number, *_loaded(line, profile, channel))
        lines.append(checked)
        new += checked.order is not None
        if new >= size:
            yield Chunk(lines, read_to, seen.first)
            lines, new = [], 0
    yield Chunk(lines, read_to, seen.first)


class Resume(NamedTuple):
    """Where a reader goes on from: after the physical line ``read_to``, the work orders met before it
    as ``_SeenInFile`` keeps them."""

    read_to: int
    first: dict[tuple[str, str], tuple[int, bytes]]
    discard: int = 0  # chunks loaded but not sent: the importer loads them itself


def checked_in_background(
    work_orders: WorkOrderFile, profile: str | None, channel: str, size: int
) -> Generator[Chunk, None, None]:
    """``checked_chunks``, run in a process of its own once it has started (until then, here); the
    file's left-out columns come back with the end."""
    ours, theirs = socket.socketpair()
    with ours, theirs, _deaf_to_ctrl_c():
        reader = subprocess.Popen(
            [*READER, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=_finding_this_package(),
        )
        here = Connection(ours.detach())
    handed_over = False
    try:
        try:
            here.send((work_orders, profile, channel, size))  # waits in the socket until the reader is up
        except OSError:  # the reader is gone already: the file is read here
            yield from checked_chunks(work_orders, profile, channel, size)
            return
        with closing(checked_chunks(work_orders, profile, channel, size)) as chunks:
            for chunk in chunks:
                yield chunk
                if here.poll():  # the reader is ready (or gone): it goes on after this chunk
                    break
            else:
                return  # the whole file was read here before the reader was ready
            try:
                here.recv()  # "ready"
                # It skips to the end of this chunk and loads the next one while this process does the
                # same, so that the one after is ready when wanted; it sends from that one on.
                assert chunk.first is not None  # a chunk read here keeps the work orders met
                here.send(Resume(chunk.read_to, chunk.first, discard=1))
            except (EOFError, OSError):  # the reader could not start (it says why on standard error)
                yield from chunks  # the rest read here
                return
            handed_over = True
            following = next(chunks, None)
            if following is not None:
                yield following
        yield from _received(here, reader, work_orders)
    finally:
        here.close()
        if handed_over:
            _wait(reader, 5)
        if reader.poll() is None:
            reader.kill()  # the importer stopped early, or read the file itself: nothing of the reader's is wanted
            _wait(reader, 5)


# The reading process's command line, its end of the pipe to follow.
READER = [sys.executable, "-m", "web.work_orders.reader"]


def _finding_this_package() -> dict[str, str]:
    """The environment, with this checkout first on the reader's path (as it is on the importer's)."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _wait(reader: subprocess.Popen, seconds: float) -> None:
    try:
        reader.wait(seconds)
    except subprocess.TimeoutExpired:
        pass


def _received(here, reader, work_orders: WorkOrderFile) -> Iterator[Chunk]:
    """The reader's chunks, once it has been told where to go on from."""
    try:
        while True:
            kind, payload = here.recv()
            if kind == "chunk":
                yield payload
            elif kind == "end":
                work_orders.ignored_columns = payload
                return
            else:
                raise WorkOrderFileError(payload)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        _wait(reader, 5)
        raise WorkOrderFileError(
            f"reading {work_orders.path} stopped unexpectedly (the reading process exited {reader.returncode})"
        ) from None


@contextmanager
def _deaf_to_ctrl_c() -> Iterator[None]:
    """Ctrl-C reaches the whole process group: the importer answers it, and the reader, started with
    SIGINT ignored (a disposition an exec keeps, and Python then leaves alone), ends on the closed
    pipe without a traceback of its own."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; an importer in another thread gets no Ctrl-C
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def send_chunks(there: Connection) -> None:
    """The reading process's work (``web.work_orders.reader``): the file's chunks sent from where the
    importer says, until the end or the importer is gone."""
    try:
        work_orders, profile, channel, size = there.recv()
        there.send(("ready", None))
        resume = there.recv()
        for n, chunk in enumerate(checked_chunks(work_orders, profile, channel, size, resume)):
            if n < resume.discard:
                continue
            there.send(("chunk", replace(chunk, first=None)))  # what was met is for a reader going on, not the importer
        there.send(("end", work_orders.ignored_columns))
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return  # the importer is gone, or read the file itself
    except (OSError, WorkOrderFileError, UnicodeDecodeError) as exc:
        there.send(("error", f"cannot read {work_orders.path}: {exc}"))


def _loaded(line: Line, profile: str | None, channel: str) -> tuple[dict[str, Any] | None, str | None]:
    if line.problem is not None:
        return None, line.problem
    fields = dict(line.fields or {})
    fields.setdefault("channel", channel)
    if profile is not None:
        fields.setdefault("profile", profile)
    loaded = quick_load(_SCHEMA, fields) if _QUICK else None
    if loaded is not None:
        return loaded, None
    try:
        return _SCHEMA.load(fields), None
    except ma.ValidationError as exc:
        problems = flatten(exc.messages)
        if "category" in problems:  # the export's own words are read too
            problems["category"] += f" (or {', '.join(CATEGORY.values())})"
        return None, "; ".join(f"{k}: {v}" for k, v in problems.items())


class _SeenInFile:
    """The work orders met so far in the file, by channel + external_ref: the first line of each, and
    what it said."""

    def __init__(self, first: dict[tuple[str, str], tuple[int, bytes]] | None = None) -> None:
        self.first: dict[tuple[str, str], tuple[int, bytes]] = first if first is not None else {}

    def checked(self, number: int, order: dict[str, Any] | None, reason: str | None) -> Checked:
        if order is None:
            return Checked(number, None, reason)
        key = order["channel"], order["external_ref"]
        # The schema gives the fields in its own order, so equal orders have equal reprs. A digest, not
        # hash(): a reader going on after another compares with what the other process saw.
        said = hashlib.blake2b(repr(order).encode("utf-8", "surrogatepass"), digest_size=16).digest()
        first, first_said = self.first.setdefault(key, (number, said))
        if first == number:
            return Checked(number, order)
        if first_said != said:
            return Checked(
                number,
                None,
                f"external_ref: work order {key[1]} (channel {key[0]}) is on line "
                f"{first} already, saying something else",
            )
        return Checked(number, None, repeats=first)
