"""Runs the accountability process over the appeal log: catch up, then follow.

The process (``domain.accountability.process.AccountabilityProcess``) is the
library's event-sourced projection: the appeal events of a batch are
processed together and recorded with the batch's last log position in the
same transaction as the unit events they caused.
This follower only reads the appeal log after that position, for the event
types the process handles, and hands each event over; after a crash it
resumes from the last recorded position, and a second follower racing it
loses on the position's uniqueness and resyncs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError, Notification

from domain.accountability.process import AccountabilityProcess
from domain.appeals.service import AppealService


class ProcessFollower:
    name = "accountability"

    def __init__(self, process: AccountabilityProcess, source: AppealService, batch_size: int = 200) -> None:
        self.process, self.source, self.batch_size = process, source, batch_size
        self._lock = threading.Lock()

    def position(self) -> int:
        return self.process.recorder.max_tracking_id(self.source.name) or 0

    def pending(self) -> bool:
        """Whether an appeal event the process handles is still waiting."""
        return bool(self._select(self.position(), 1))

    def run_once(self) -> int:
        """Processes every waiting event; returns how many."""
        done = 0
        with self._lock:
            while True:
                notifications = self._select(self.position(), self.batch_size)
                if not notifications:
                    return done
                try:
                    self.process.process_batch([(self.source.mapper.to_domain_event(n), n.id) for n in notifications])
                except IntegrityError:  # another follower recorded it, or a unit record moved on
                    return done
                done += len(notifications)
                if len(notifications) < self.batch_size:
                    return done

    def _select(self, after: int, limit: int) -> Sequence[Notification]:
        return self.source.recorder.select_notifications(
            start=after, limit=limit, topics=self.process.topics, inclusive_of_start=False
        )
