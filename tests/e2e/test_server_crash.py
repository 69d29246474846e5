"""A server killed mid-request, restarted on the same PostgreSQL database (docs/http-api.md).

A module of its own, so that no other server of the suite is running beside
the two it starts (each holds a dozen or more connections); one worker each.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from tests.e2e.server import running_server, scratch_postgres
from tests.e2e.test_server import forwarded_case, history, post


@pytest.mark.postgres
def test_a_request_killed_after_saving_is_answered_once_after_a_restart(tmp_path):
    """PostgreSQL. The server is killed (SIGKILL, every process) while an acknowledgement with an
    Idempotency-Key has saved its event but not yet stored its response: the test holds a row lock
    on the key, so the request blocks there. Restarted with a short lease, the server answers the
    same retry with the case as recorded: one event, a 2xx, never a permanent 409."""
    with scratch_postgres() as url:
        with running_server(url, tmp_path / "first", workers=1) as first:
            cid = forwarded_case(first)["id"]
            key = {"Idempotency-Key": f"ack-{uuid.uuid4()}"}
            outcome: list = []

            def acknowledge():
                try:
                    outcome.append(post(first, "power", f"/api/appeals/{cid}/acknowledge", {}, **key))
                except OSError as exc:  # the server died under it
                    outcome.append(exc)

            with (
                psycopg.connect(url) as hold_save,
                psycopg.connect(url) as hold_key,
                psycopg.connect(url, autocommit=True) as watch,
            ):
                hold_save.execute("LOCK TABLE appeals_events IN EXCLUSIVE MODE")  # the save waits
                request = threading.Thread(target=acknowledge)
                request.start()
                wait_for(
                    lambda: (
                        watch.execute(
                            "SELECT count(*) FROM caseledger_idempotency WHERE key = %s", (key["Idempotency-Key"],)
                        ).fetchone()[0]
                        == 1
                    )
                )
                hold_key.execute(
                    "SELECT 1 FROM caseledger_idempotency WHERE key = %s FOR UPDATE", (key["Idempotency-Key"],)
                )
                hold_save.commit()  # the event is saved; completing the key now waits on our row lock
                wait_for(
                    lambda: (
                        watch.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND query LIKE 'UPDATE caseledger_idempotency SET status%%'"
                        ).fetchone()[0]
                        == 1
                    )
                )
                # Asked of the database: the server's one worker is the request, blocked.
                assert (
                    watch.execute(
                        "SELECT count(*) FROM appeals_events WHERE originator_id = %s", (uuid.UUID(cid),)
                    ).fetchone()[0]
                    == 3
                )
                first.kill()
                hold_key.rollback()
            request.join(30)
            assert outcome and isinstance(outcome[0], OSError), outcome  # no answer ever reached the client
        env = {"CASELEDGER_IDEMPOTENCY_LEASE_SECONDS": "1"}
        with running_server(url, tmp_path / "second", env, workers=1, create=False) as second:
            deadline_at = time.monotonic() + 15
            retry = post(second, "power", f"/api/appeals/{cid}/acknowledge", {}, **key)
            while retry.status == 409 and time.monotonic() < deadline_at:  # the lease may not have run out yet
                time.sleep(0.5)
                retry = post(second, "power", f"/api/appeals/{cid}/acknowledge", {}, **key)
            assert retry.status == 200, (retry.status, retry.json)
            assert retry.headers["Idempotent-Replayed"] == "true"
            assert (retry.json["status"], retry.json["version"]) == ("acknowledged", 3)
            assert [e["type"] for e in history(second, cid)] == ["Received", "Forwarded", "Acknowledged"]
            again = post(second, "power", f"/api/appeals/{cid}/acknowledge", {}, **key)
            assert again.status == 200 and again.body == retry.body


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline_at = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline_at, "timed out"
        time.sleep(0.05)
