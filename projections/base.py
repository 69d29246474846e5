"""What every read model is: event-to-row logic over a view that commits rows and position together.

A read model accumulates the row changes of one batch of events
(``on_event``), takes them out as plain data (``changes``) and hands them to
its view with the batch's tracking position (``write``); the view writes
both in one transaction, so each event counts exactly once, a crashed runner
resumes from the last committed batch, and a rebuild (``reset``) starts from
zero. ``changes`` reads the cases the feed lent it and keeps nothing of
them, so a batch's ``write`` may run while the next batch is being computed.
"""

from __future__ import annotations

import abc
from typing import Generic, TypeVar

from eventsourcing.persistence import Tracking

from projections.feed import FeedItem

SOURCE = "Appeals"

# What a read model takes out of one batch (``changes``) and its view writes (``apply``).
ChangesT = TypeVar("ChangesT")


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

    def tracking(self, position: int) -> Tracking:
        return Tracking(application_name=f"{SOURCE}:{self.name}", notification_id=position)

    @abc.abstractmethod
    def begin(self) -> None:
        """Start accumulating a new batch."""

    @abc.abstractmethod
    def on_event(self, item: FeedItem) -> None: ...

    @abc.abstractmethod
    def changes(self) -> ChangesT:
        """The batch's row changes as plain data, sharing nothing with the feed's cases."""

    def write(self, changes: ChangesT, position: int) -> None:
        """Write ``changes`` and ``position`` in one transaction."""
        self.view.apply(changes, self.tracking(position))
