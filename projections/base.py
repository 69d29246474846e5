"""What every read model is: event-to-row logic over a view that commits rows and position together.

A read model accumulates the row changes of one batch of events
(``on_event``), takes them out as plain data (``changes``) and hands them to
its view with the batch's tracking position (``write``); the view writes
both in one transaction, so each event counts exactly once, a crashed runner
resumes from the last committed batch, and a rebuild (``reset``) starts from
zero. A batch's position names the position it follows (``NextPosition``):
the view commits it only if the view still stands there, so a second writer
(a runner that lost its leadership half-way through a batch, a sweep running
the deadline index itself) can never count an event twice or skip one. ``changes`` reads the cases the feed lent it and keeps nothing of
them, so a batch's ``write`` may run while the next batch is being computed.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Generic, TypeVar

from eventsourcing.persistence import Tracking

from projections.feed import FeedItem

SOURCE = "Appeals"

# What a read model takes out of one batch (``changes``) and its view writes (``apply``).
ChangesT = TypeVar("ChangesT")


@dataclass(frozen=True)
class NextPosition(Tracking):
    """A batch's tracking position, committed only over ``after``, the position the batch follows.

    A view finding itself elsewhere (another writer moved it meanwhile) refuses the whole
    batch with the library's ``IntegrityError``, as it refuses a position written twice."""

    after: int = 0


class TrackedView(abc.ABC, Generic[ChangesT]):
    """Port: the storage of one read model, with its tracking position."""

    # Whether ``apply`` may run on another thread while the runner computes the next batch
    # (a server database, whose driver waits without holding the interpreter).
    overlaps_writes = False

    @abc.abstractmethod
    def position(self) -> int:
        """The log position of the last committed batch (0: nothing yet)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Delete every row and the position, for a rebuild from zero."""

    @abc.abstractmethod
    def apply(self, changes: ChangesT, tracking: Tracking) -> None:
        """Write a batch's ``changes`` and its ``tracking`` position in one transaction."""


class ReadModel(abc.ABC, Generic[ChangesT]):
    name: str

    def __init__(self, view: TrackedView[ChangesT]) -> None:
        self.view = view

    def tracking(self, position: int, after: int | None = None) -> Tracking:
        name = f"{SOURCE}:{self.name}"
        if after is None:
            return Tracking(application_name=name, notification_id=position)
        return NextPosition(application_name=name, notification_id=position, after=after)

    @abc.abstractmethod
    def begin(self) -> None:
        """Start accumulating a new batch."""

    @abc.abstractmethod
    def on_event(self, item: FeedItem) -> None: ...

    @abc.abstractmethod
    def changes(self) -> ChangesT:
        """The batch's row changes as plain data, sharing nothing with the feed's cases."""

    def write(self, changes: ChangesT, position: int, after: int | None = None) -> None:
        """Write ``changes`` and ``position`` in one transaction; given ``after``, only if the view
        still stands at that position (else ``IntegrityError``, and nothing is written)."""
        self.view.apply(changes, self.tracking(position, after))
