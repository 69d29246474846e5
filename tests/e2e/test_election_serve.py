"""'caseledger serve' on two hosts of one PostgreSQL database: one read-model process is active, not two.

Each server starts its read-model process beside its workers (the default); the two elect one. The
server whose process is active is killed outright (every process of it); the other's takes over.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.server import run_cli, running_server, scratch_postgres

TAKEOVER_BOUND = 10.0


def roles(server, cwd) -> list[tuple[str, str]]:
    """(active|standby, who) of each read-model process, from 'caseledger projections status'."""
    out = run_cli(["projections", "status"], server.env, cwd).stdout
    return [tuple(line.split("\t")[1:3]) for line in out.splitlines() if line.startswith("projections\t")]


def until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return found


def one_active_one_standby(server, cwd):
    found = roles(server, cwd)
    return found if sorted(role for role, _ in found) == ["active", "standby"] else None


def only_one(server, cwd):
    found = roles(server, cwd)
    return found if len(found) == 1 else None


@pytest.mark.postgres
def test_two_servers_on_one_database_run_one_active_read_model_process_and_a_standby_takes_over(tmp_path):
    with scratch_postgres() as url:
        with running_server(url, tmp_path / "first", workers=1) as first:
            with running_server(url, tmp_path / "second", workers=1, create=False) as second:
                seen = until(lambda: one_active_one_standby(first, tmp_path), 60, "not one active and one standby")
                active_in_first = "active: projections" in first.stderr()
                assert active_in_first != ("active: projections" in second.stderr())  # one of them, not both
                doomed, survivor = (first, second) if active_in_first else (second, first)
                doomed.kill()
                killed = time.monotonic()
                until(lambda: "active: projections" in survivor.stderr(), 30, "no takeover")
                assert time.monotonic() - killed < TAKEOVER_BOUND
                now = until(lambda: only_one(survivor, tmp_path), 30, "the dead one lingers")
                assert now[0][0] == "active" and now[0][1] != seen[0][1]
