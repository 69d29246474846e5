"""The Merkle log: every recorded event of every application, one leaf each, in one order.

Certificate Transparency's shape (RFC 6962 / RFC 9162): a sequencer gives each
event the next leaf index once, and the order never changes after; the tree's
hashes are stored so that a proof is a few reads. The leaf is the event exactly
as stored (``domain.tlog.merkle.leaf_data``: its application, originator id,
version, topic and state bytes).

The events come from the applications' notification logs (``Source``): on
PostgreSQL each application keeps a table of its own, on SQLite they share
one. Each batch of one source — its leaves, the tree nodes it completes and
the source's tracking position — is written in one transaction, so an event
becomes a leaf exactly once, a crashed sequencer resumes where it stopped,
and a second one racing it loses on the position's (or the index's)
uniqueness and resyncs.

What the log stores it can also check: ``verify`` re-reads every event,
re-hashes it and compares it with its leaf, and recomputes the roots of the
checkpoints it is given, naming the first index that differs.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from domain.tlog import merkle

TRACKING_SUFFIX = ":merkle_log"

Reader = Callable[[int, int, "int | None"], Sequence[Any]]  # (after, limit, stop) -> notifications, in order


@dataclass(frozen=True)
class Source:
    """One notification log: its name (the tracking name's prefix), how to read it and how far it
    goes, and which application recorded an event of a given topic (on a shared log, the topic tells)."""

    name: str
    read: Reader
    head: Callable[[], int]
    application: Callable[[str], str]


class Leaf(NamedTuple):
    index: int  # type: ignore[assignment]  # a field named as tuple's own method ``index``, which it shadows
    source: str
    notification_id: int
    application: str
    originator_id: UUID
    originator_version: int
    hash: bytes


@dataclass(frozen=True)
class CheckpointRecord:
    size: int
    root: bytes
    note: str  # the signed note as issued, with the log's signature
    issued_at: datetime
    cosignatures: tuple[str, ...] = ()  # witnesses' signature lines, added later


class MerkleView(abc.ABC):
    """Port: the log's storage — leaves, tree nodes, positions, checkpoints and cosignatures."""

    @abc.abstractmethod
    def size(self) -> int:
        """How many leaves the log holds."""

    @abc.abstractmethod
    def position(self, source: str) -> int:
        """The last notification id of ``source`` that is a leaf (0: none)."""

    @abc.abstractmethod
    def append(self, leaves: Sequence[Leaf], nodes: Sequence[tuple[int, int, bytes]], tracking: Tracking) -> None:
        """Leaves, the nodes they complete and the source's position, in one transaction;
        ``IntegrityError`` if another sequencer wrote any of them first."""

    @abc.abstractmethod
    def read_nodes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Stored nodes by (level, index); level 0 is the leaves' hashes."""

    @abc.abstractmethod
    def leaves(self, start: int, stop: int) -> list[Leaf]:
        """The leaves with start <= index < stop, in order."""

    @abc.abstractmethod
    def leaves_of(self, application: str, originator_id: UUID) -> dict[int, tuple[int, bytes]]:
        """One aggregate's leaves: version -> (index, hash)."""

    @abc.abstractmethod
    def checkpoints(self) -> list[CheckpointRecord]:
        """Every issued checkpoint, smallest first, with its cosignatures."""

    @abc.abstractmethod
    def checkpoint(self, size: int | None = None) -> CheckpointRecord | None:
        """The checkpoint issued at ``size``, or the latest one."""

    @abc.abstractmethod
    def add_checkpoint(self, record: CheckpointRecord) -> CheckpointRecord:
        """Keeps a new checkpoint; of two issued at one size at once, the first stays and is returned."""

    @abc.abstractmethod
    def add_cosignature(self, size: int, witness: str, key_id: bytes, line: str, at: datetime) -> None:
        """A witness's signature line for the checkpoint at ``size``."""

    @abc.abstractmethod
    def witnesses(self) -> dict[str, str]:
        """Witnesses that cosigned: name -> verifier key."""

    @abc.abstractmethod
    def add_witness(self, name: str, vkey: str) -> None: ...


# What a problem found is (``Problem.kind``).
REMOVED, CHANGED, INSERTED, TREE = "removed", "changed", "inserted", "tree"


@dataclass(frozen=True)
class EventRef:
    """The event a problem concerns, as the log knows it: its application, record and version, and
    its topic where the stored event still says it."""

    application: str
    originator_id: UUID
    version: int
    topic: str | None = None


@dataclass
class Problem:
    index: int | None
    message: str
    kind: str = ""
    event: EventRef | None = None


@dataclass
class Verification:
    events_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)  # the recomputed root at each asked size

    def add(self, index: int | None, message: str, kind: str = "", event: EventRef | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(index, message, kind, event))


MAX_PROBLEMS = 100


class MerkleLog:
    name = "merkle_log"

    def __init__(self, view: MerkleView, sources: Sequence[Source], batch_size: int = 5000) -> None:
        self.view, self.sources, self.batch_size = view, list(sources), batch_size
        self._lock = threading.Lock()

    # -- sequencing -----------------------------------------------------------
    def run_once(self) -> int:
        """Makes every event recorded so far a leaf; returns how many it added."""
        with self._lock:
            try:
                return self._catch_up()
            except IntegrityError:  # another sequencer wrote these first; the next pass resyncs
                return 0

    def _catch_up(self) -> int:
        size = self.view.size()
        keys = merkle.frontier_nodes(size)
        stored = self.view.read_nodes(keys)
        frontier = merkle.Frontier(size, [stored[k] for k in keys])
        added = 0
        for source in self.sources:
            after = self.view.position(source.name)
            while batch := source.read(after, self.batch_size, None):
                leaves: list[Leaf] = []
                nodes: list[tuple[int, int, bytes]] = []
                for n in batch:
                    leaf = self._leaf(source, n, frontier.size)
                    nodes += frontier.append(leaf.hash)[1:]
                    leaves.append(leaf)
                after = batch[-1].id
                self.view.append(
                    leaves, nodes, Tracking(application_name=source.name + TRACKING_SUFFIX, notification_id=after)
                )
                added += len(batch)
        return added

    @staticmethod
    def _leaf(source: Source, n: Any, index: int) -> Leaf:
        originator_id = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
        return Leaf(
            index,
            source.name,
            n.id,
            source.application(n.topic),
            originator_id,
            n.originator_version,
            merkle.leaf_hash(_data(source, n)),
        )

    def pending(self) -> bool:
        """Whether any source holds an event that is not a leaf yet."""
        return self.lag() > 0

    def lag(self) -> int:
        """How far the log is behind its sources, in notification ids (an upper bound on the events)."""
        return sum(max(0, s.head() - self.view.position(s.name)) for s in self.sources)

    def wait(self, timeout: float) -> bool:
        """Read-your-writes: waits until everything recorded before the call is a leaf."""
        heads = {s.name: s.head() for s in self.sources}
        deadline = time.monotonic() + timeout
        while any(self.view.position(name) < head for name, head in heads.items()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # -- proofs ---------------------------------------------------------------
    def size(self) -> int:
        return self.view.size()

    def root(self, size: int) -> bytes:
        self._within(size)
        return merkle.root_at(size, self.view.read_nodes)

    def inclusion_proof(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The leaf's hash and its audit path in the tree of ``size`` leaves."""
        self._within(size)
        proof = merkle.inclusion_proof(index, size, self.view.read_nodes)
        return self.view.read_nodes([(0, index)])[(0, index)], proof

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        self._within(new)
        return merkle.consistency_proof(old, new, self.view.read_nodes)

    def _within(self, size: int) -> None:
        if size > self.view.size():
            raise ValueError(f"the log holds {self.view.size()} events, fewer than {size}")

    # -- verification ---------------------------------------------------------
    def records(
        self,
        stop: int | None = None,
        batch_size: int = 5000,
        intruder: Callable[[str, int, Any], None] = lambda source, nid, notification: None,
    ) -> Iterator[tuple[Leaf, bytes | None]]:
        """Each leaf below ``stop`` (all by default), in log order, with the leaf data of the event
        as it is stored now (None if it is gone). A source's leaves follow its notification ids, so
        an event stored between two of its leaves that is not a leaf was slipped in later:
        ``intruder(source, notification_id, notification)`` hears of each."""
        sources = {s.name: s for s in self.sources}
        last: dict[str, int] = {s.name: 0 for s in self.sources}
        size = self.view.size() if stop is None else min(stop, self.view.size())
        for start in range(0, size, batch_size):
            leaves = self.view.leaves(start, min(size, start + batch_size))
            events: dict[tuple[str, int], Any] = {}
            for name in {leaf.source for leaf in leaves}:
                top = max(leaf.notification_id for leaf in leaves if leaf.source == name)
                for n in _read_all(sources[name].read, last[name], top):
                    events[(name, n.id)] = n
                last[name] = top
            for source, nid in sorted(events.keys() - {(leaf.source, leaf.notification_id) for leaf in leaves}):
                intruder(source, nid, events[(source, nid)])
            for leaf in leaves:
                found = events.get((leaf.source, leaf.notification_id))
                yield leaf, None if found is None else _data(sources[leaf.source], found)

    def verify(self, sizes: Collection[int] = ()) -> Verification:
        """Re-reads and re-hashes every event that is a leaf: each must still be stored and hash to
        its leaf, none may have been slipped in among them, and the stored tree above the leaves must
        be what they make; gives the root recomputed from the events at each of ``sizes``."""
        result = Verification()
        wanted = sorted(s for s in set(sizes) if s >= 0)
        frontier = merkle.Frontier()
        if wanted and wanted[0] == 0:
            result.roots[wanted.pop(0)] = frontier.root()

        def intruder(source: str, nid: int, n: Any) -> None:
            result.add(
                None,
                f"event {nid} of the {source} log lies among logged events but is not in "
                "the log: it was inserted afterwards",
                INSERTED,
                EventRef(sources[source].application(n.topic), _uuid(n.originator_id), n.originator_version, n.topic),
            )

        sources = {s.name: s for s in self.sources}

        stored_tree = merkle.Frontier()  # what the stored leaf hashes make, to check the stored nodes by
        completed: list[tuple[int, int, bytes]] = []
        for leaf, data in self.records(intruder=intruder):
            where = f"{leaf.application} {leaf.originator_id} v{leaf.originator_version}"
            if data is None:
                result.add(
                    leaf.index,
                    f"index {leaf.index}: the event ({where}) is missing: removed",
                    REMOVED,
                    EventRef(leaf.application, leaf.originator_id, leaf.originator_version),
                )
                recomputed = bytes(32)
            else:
                recomputed = merkle.leaf_hash(data)
                if recomputed != leaf.hash:
                    result.add(
                        leaf.index,
                        f"index {leaf.index}: the event ({where}) differs from its leaf: changed or replaced",
                        CHANGED,
                        EventRef(leaf.application, leaf.originator_id, leaf.originator_version, _topic(data)),
                    )
            frontier.append(recomputed)
            completed += stored_tree.append(leaf.hash)[1:]
            result.events_checked += 1
            while wanted and frontier.size == wanted[0]:
                result.roots[wanted.pop(0)] = frontier.root()
            if len(completed) >= 5000:
                self._compare_nodes(completed, result)
                completed = []
        self._compare_nodes(completed, result)
        result.problems.sort(key=lambda p: (p.index is None, p.index or 0))
        return result

    def _compare_nodes(self, nodes: Sequence[tuple[int, int, bytes]], result: Verification) -> None:
        """The stored tree above the leaves must be what the leaves make: a node altered there breaks
        every proof through it (the events may be intact)."""
        stored = self.view.read_nodes([(level, index) for level, index, _ in nodes])
        for level, index, expected in nodes:
            if stored.get((level, index)) != expected:
                first = index << level
                result.add(
                    first,
                    f"index {first}: the stored tree node covering leaves {first} to "
                    f"{first + (1 << level) - 1} differs from the one its leaves make: proofs "
                    "through it would fail",
                    TREE,
                )


def _topic(data: bytes) -> str | None:
    """The topic a stored event's leaf data names (None if the data is not leaf data any more)."""
    try:
        return merkle.parse_leaf_data(data)[3]
    except ValueError:
        return None


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _data(source: Source, n: Any) -> bytes:
    originator_id = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
    state = n.state.encode() if isinstance(n.state, str) else bytes(n.state)  # a row an insider retyped
    return merkle.leaf_data(source.application(n.topic), originator_id, n.originator_version, n.topic, state)


def _read_all(read: Reader, after: int, stop: int, chunk: int = 10000) -> Iterator[Any]:
    while after < stop:
        batch = read(after, chunk, stop)
        if not batch:
            return
        yield from batch
        after = batch[-1].id
