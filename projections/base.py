"""What every read model is: event-to-row logic over a view that commits rows and position together.

A read model accumulates the row changes of one batch of events
(``on_event``) and hands them to its view with the batch's tracking position
(``commit``); the view writes both in one transaction, so each event counts
exactly once, a crashed runner resumes from the last committed batch, and a
rebuild (``reset``) starts from zero.
"""

from __future__ import annotations

import abc

from eventsourcing.persistence import Tracking

from projections.feed import FeedItem

SOURCE = "Appeals"


class TrackedView(abc.ABC):
    """Port: the storage of one read model, with its tracking position."""

    @abc.abstractmethod
    def position(self) -> int:
        """The log position of the last committed batch (0: nothing yet)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Delete every row and the position, for a rebuild from zero."""


class ReadModel(abc.ABC):
    name: str

    def __init__(self, view: TrackedView) -> None:
        self.view = view

    def tracking(self, position: int) -> Tracking:
        return Tracking(application_name=f"{SOURCE}:{self.name}", notification_id=position)

    @abc.abstractmethod
    def begin(self) -> None:
        """Start accumulating a new batch."""

    @abc.abstractmethod
    def on_event(self, item: FeedItem) -> None: ...

    @abc.abstractmethod
    def commit(self, position: int) -> None:
        """Write the batch's changes and ``position`` in one transaction."""
