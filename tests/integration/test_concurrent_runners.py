"""Two read-model runners writing the same views at once: the tracking positions let only one move each view.

A runner that lost its leadership (or a sweep that runs the deadline index itself) may still be
half-way through a batch; whatever it commits must start at the view's position as committed,
or be refused. Nothing is counted twice or skipped: the views equal a rebuild.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

from adapters.persistence.database import database_from_url
from tests.conftest import own_postgres_url
from tests.integration.test_projection_crash import lifecycle
from tests.integration.views import ReadSide

postgres_url = pytest.fixture(scope="module", name="postgres_url")(own_postgres_url)


def test_two_runners_writing_at_once_leave_the_views_a_rebuild_gives(appeals, database_url, calendars, caplog):
    caplog.set_level(logging.INFO, logger="projections.runner")
    lifecycle(appeals, 120, "U1")
    first = ReadSide(appeals, database_from_url(database_url), calendars)
    second = ReadSide(appeals, database_from_url(database_url), calendars)
    first.reset()
    stop = threading.Event()
    # Each as 'caseledger projections run' follows the log: a refused or failed pass is retried.
    threads = [
        threading.Thread(target=side.runner(batch_size=size).run_forever, args=(stop, 0.01))
        for side, size in ((first, 7), (second, 11))
    ]
    for t in threads:
        t.start()
    try:
        lifecycle(appeals, 60, "U1")  # recorded while both follow the log
        head = appeals.recorder.max_notification_id()
        deadline = time.monotonic() + 120
        while min(first.runner().positions().values()) < head:
            assert time.monotonic() < deadline, "the runners did not reach the head"
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    followed = first.contents(units=("U1",), months=("2026-09", "2026-10"))
    first.reset()
    first.runner(batch_size=1000).run_once()
    assert first.contents(units=("U1",), months=("2026-09", "2026-10")) == followed
    # They did race: batches of one were refused because the other had moved the view meanwhile.
    assert any("a view moved under this runner" in r.getMessage() for r in caplog.records)
    first.close()
    second.close()
