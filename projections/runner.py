"""Runs read models over the appeal log in batches: catch up, then follow.

One transaction per batch and read model (rows plus tracking position), not
per event: the library's own runner commits each event separately, which
caps it near a thousand events a second.

A view on a server database (``overlaps_writes``) is written by a thread of
its own while the runner reads and applies the next batch: the driver waits
for the server without holding the interpreter, so the two overlap. Each
read model has at most one write in flight, and the next one is handed over
only once it has committed, so positions still commit in order and a failed
write stops the run before anything after it is written.

While catching up, the cyclic garbage collector is paused, and what each
batch leaves alive (the cases the feed keeps, the rows a writer thread is
still sending) is frozen out of its sight: otherwise its passes would walk
those objects again and again, for cyclic garbage that is not there (a
rebuild of 405,000 events leaves none; the bench checks), and a tenth of the
runner's time went to it. Objects freed by reference counting are freed as
always. When the runner is done the frozen objects are handed back and the
collector resumes.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError

from projections.base import ReadModel
from projections.feed import CaseFeed
from projections.follow import follow

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(self, feed: CaseFeed, models: Sequence[ReadModel[Any]], batch_size: int = 1000) -> None:
        self.feed, self.models, self.batch_size = feed, list(models), batch_size
        self._positions: dict[str, int] = {}
        self._lock = threading.Lock()

    def positions(self) -> dict[str, int]:
        return {m.name: m.view.position() for m in self.models}

    def run_once(self, progress: Callable[[int], object] | None = None) -> int:
        """Processes everything recorded so far; returns how many events it applied."""
        with self._lock:
            # Read the positions afresh: another process may have rebuilt a view meanwhile.
            self._positions = self.positions()
            try:
                return self._catch_up(progress)
            except IntegrityError:
                # Another writer moved a view since this pass read its position: the batch was refused
                # whole (NextPosition); the next pass starts again from the positions as committed.
                log.info("a view moved under this runner; resuming from the committed positions")
                return 0

    def _catch_up(self, progress: Callable[[int], object] | None) -> int:
        start = min(self._positions.values(), default=0)
        applied = 0
        in_flight: dict[str, Future[None]] = {}
        with ExitStack() as stack:
            after_batch = stack.enter_context(_collector_paused())
            writers = {
                m.name: stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix=f"view-{m.name}"))
                for m in self.models
                if m.view.overlaps_writes
            }
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
                    for model, done in behind:
                        changes = model.changes()
                        if model.name in writers:
                            if model.name in in_flight:
                                in_flight.pop(model.name).result()  # the previous batch committed
                            in_flight[model.name] = writers[model.name].submit(model.write, changes, position, done)
                        else:
                            model.write(changes, position, done)
                        self._positions[model.name] = position
                    if progress:
                        progress(position)
                    after_batch()
                while in_flight:
                    in_flight.popitem()[1].result()
            except BaseException:
                for future in in_flight.values():  # let them finish; the first failure is what is raised
                    if future.exception() is not None:
                        log.warning("view write failed too", exc_info=future.exception())
                self.feed.forget()
                raise
        return applied

    def run_forever(self, stop: threading.Event, poll: float = 0.1) -> None:
        """Follows the log until ``stop`` is set; survives a lost database connection by retrying."""
        follow(self.run_once, stop, poll, "projection batch")


@contextmanager
def _collector_paused() -> Iterator[Callable[[], None]]:
    """Pause the cyclic collector for a catch-up; what it yields freezes a batch's survivors."""
    if not gc.isenabled():  # another runner of this process is catching up: it owns the pause
        yield lambda: None
        return
    gc.disable()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
        gc.enable()
