"""The case log as a feed for read models: (position, event, case after it), in batches.

Read models need the case as it stood after each event (its status, units,
deadline clocks), not just the event. Rather than reload the aggregate per
event, the feed keeps recently seen cases in memory and applies each event
to them with the aggregate's own ``mutate`` — the same code that rebuilds a
case from its history — so a read model never re-implements the lifecycle.
A case not in memory is loaded from the event store at the version before
the event.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from domain.appeals.aggregate import Appeal
from domain.approvals.aggregate import Approval
from domain.cases.aggregate import Case
from domain.cases.service import CaseService

# A kind of case: its class, whose ``TOPIC`` begins the topics of its events.
CaseKind = type[Appeal] | type[Approval]
# Every kind of case the log holds.
CASE_KINDS: tuple[CaseKind, ...] = (Appeal, Approval)


def topic_prefixes(kinds: Sequence[CaseKind]) -> tuple[str, ...]:
    """The topics of every event of these case kinds begin so (each kind's ``TOPIC`` and a dot)."""
    return tuple(f"{kind.TOPIC}." for kind in kinds)


class FeedItem(NamedTuple):  # a tuple: made for every event of the log, cheaply
    position: int  # the notification id: the event's place in the log
    event: Any
    state: bytes  # the event's data exactly as recorded
    # The case right after this event. Shared and advanced by later events of
    # the batch: read what you need in on_event, keep no reference.
    case: Case

    @property
    def type(self) -> str:
        return type(self.event).__name__


def library_reader(recorder: ApplicationRecorder) -> Callable[[int, int, int | None], Sequence[Any]]:
    """``(after, limit, stop)`` -> the notifications with after < id <= stop, at most ``limit``, in
    log order, read by the recorder's own ``select_notifications``."""

    def read(after: int, limit: int, stop: int | None) -> Sequence[Any]:
        return recorder.select_notifications(start=after, limit=limit, stop=stop, inclusive_of_start=False)

    return read


class CaseFeed:
    def __init__(
        self,
        source: CaseService[Any],
        cache_size: int = 20000,
        mapper: Mapper[UUID] | None = None,
        reader: Callable[[int, int, int | None], Sequence[Any]] | None = None,
        kinds: Sequence[CaseKind] = CASE_KINDS,
    ) -> None:
        """The events of the case ``kinds`` in ``source``'s log. ``mapper``: what turns stored
        events into domain events; the application's by default, or one that gives the same events
        faster (adapters.persistence.fast_decode). ``reader``: what reads ``(after, limit, stop)``
        notifications; the recorder's ``select_notifications`` by default, or one that reads the
        same rows faster (adapters.persistence.fast_read)."""
        self.source = source
        self.prefixes = topic_prefixes(kinds)
        self.mapper = mapper or source.mapper
        self.read = reader or library_reader(source.recorder)
        self._cases: OrderedDict[UUID, Case] = OrderedDict()
        self._cache_size = cache_size

    def batches(self, after: int, batch_size: int, stop: int | None = None) -> Iterator[tuple[Iterator[FeedItem], int]]:
        """Every event of the feed's kinds after ``after`` (up to ``stop``), ``batch_size`` notifications at a time,
        each batch with the log position it reaches.

        While a full batch is being applied, the next one is read on a thread of its own: the
        database works on it (and the driver waits, without holding the interpreter) meanwhile."""
        with ThreadPoolExecutor(1, thread_name_prefix="feed-read-ahead") as ahead:
            notifications = self.read(after, batch_size, stop)
            while notifications:
                position = notifications[-1].id
                full = len(notifications) == batch_size
                upcoming = ahead.submit(self.read, position, batch_size, stop) if full else None
                # Lazily: each case must be read right after its event, before the next one moves it on.
                prefixes = self.prefixes
                yield (self._advance(n) for n in notifications if n.topic.startswith(prefixes)), position
                if upcoming is None:
                    return
                notifications = upcoming.result()

    def forget(self) -> None:
        """Drop cached cases (after a failed batch, whose state may be ahead of the views)."""
        self._cases.clear()

    def _advance(self, notification: Any) -> FeedItem:
        # The event's class is the one its topic names: a case kind's, with its own attributes.
        event: Any = self.mapper.to_domain_event(notification)
        version = event.originator_version
        if version == 1:
            case = event.mutate(None)
        else:
            case = self._cases.pop(event.originator_id, None)
            if case is None or case.version != version - 1:
                case = self.source.repository.get(event.originator_id, version=version - 1)
            event.mutate(case)
        self._cases[event.originator_id] = case
        if len(self._cases) > self._cache_size:
            self._cases.popitem(last=False)
        return FeedItem(notification.id, event, notification.state, case)
