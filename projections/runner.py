"""Runs read models over the appeal log in batches: catch up, then follow.

One transaction per batch and read model (rows plus tracking position), not
per event: the library's own runner commits each event separately, which
caps it near a thousand events a second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from eventsourcing.persistence import IntegrityError

from projections.base import ReadModel
from projections.feed import CaseFeed

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(self, feed: CaseFeed, models: Sequence[ReadModel], batch_size: int = 1000) -> None:
        self.feed, self.models, self.batch_size = feed, list(models), batch_size
        self._positions: dict[str, int] = {}
        self._lock = threading.Lock()

    def positions(self) -> dict[str, int]:
        return {m.name: m.view.position() for m in self.models}

    def run_once(self, progress: Callable[[int], None] | None = None) -> int:
        """Processes everything recorded so far; returns how many events it applied."""
        with self._lock:
            # Read the positions afresh: another process may have rebuilt a view meanwhile.
            self._positions = self.positions()
            try:
                return self._catch_up(progress)
            except IntegrityError:
                # Another runner committed these positions first; the next pass resyncs.
                return 0

    def _catch_up(self, progress: Callable[[int], None] | None) -> int:
        start = min(self._positions.values(), default=0)
        applied = 0
        try:
            for items, position in self.feed.batches(start, self.batch_size):
                behind = [(m, self._positions[m.name]) for m in self.models if self._positions[m.name] < position]
                for model, _ in behind:
                    model.begin()
                for item in items:  # every model sees each event before the feed moves its case on
                    applied += 1
                    for model, done in behind:
                        if item.position > done:
                            model.on_event(item)
                for model, _ in behind:
                    model.commit(position)
                    self._positions[model.name] = position
                if progress:
                    progress(position)
        except BaseException:
            self.feed.forget()
            raise
        return applied

    def run_forever(self, stop: threading.Event, poll: float = 0.1) -> None:
        """Follows the log until ``stop`` is set; survives a lost database connection by retrying."""
        while not stop.is_set():
            try:
                applied = self.run_once()
            except Exception:  # a dropped connection or a server restart: log, back off, resume
                log.exception("projection batch failed; retrying from the last committed position")
                stop.wait(2.0)
                continue
            if not applied:
                stop.wait(poll)
