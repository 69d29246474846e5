"""Following the log: one loop for every follower (read models, the accountability process)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 2.0


def follow(step: Callable[[], int], stop: threading.Event, poll: float, what: str) -> None:
    """Runs ``step`` (one pass; returns how much it did) until ``stop`` is set, waiting ``poll``
    seconds after a pass that found nothing. A failed pass — a dropped connection, a lost race — is
    logged and retried: every follower resumes from its last committed position, so none is lost."""
    while not stop.is_set():
        try:
            done = step()
        except Exception:  # noqa: BLE001 - whatever it was, the recorded position is the truth
            log.exception("%s failed; retrying from its last committed position", what)
            stop.wait(RETRY_AFTER_FAILURE)
            continue
        if not done:
            stop.wait(poll)
