"""The election's loop and its SQLite lock file, without a database server."""

from __future__ import annotations

import threading

from adapters.persistence.election import FileLeadership, Holder, Leadership, identity, run_elected


class Scripted(Leadership):
    """A leadership granted or lost as the test says."""

    def __init__(self, grant: bool = True, alone: bool = False) -> None:
        super().__init__("projections")
        self.grant, self.alone, self.lost, self.releases = grant, alone, threading.Event(), 0

    def acquire(self) -> bool:
        return self.grant

    def held(self) -> bool:
        return not self.lost.is_set()

    def release(self) -> None:
        self.releases += 1

    def holders(self) -> list[Holder]:
        return [Holder("web-1 pid 7", True)]


def test_a_second_process_on_one_host_is_not_started_and_does_no_work():
    worked = threading.Event()
    lead = Scripted(grant=False, alone=True)
    assert run_elected(lead, lambda step_down: worked.set(), threading.Event(), say=lambda line: None) is False
    assert not worked.is_set()


def test_a_standby_says_who_is_active_and_keeps_trying_until_stopped():
    stop, said = threading.Event(), []
    lead = Scripted(grant=False)
    thread = threading.Thread(target=run_elected, args=(lead, lambda s: None, stop, said.append, 0.01, 0.01))
    thread.start()
    threading.Event().wait(0.1)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert said == ["standby: projections is active on web-1 pid 7; polling"]  # said once, not every poll


def test_the_active_process_steps_down_at_once_when_the_leadership_is_lost():
    stop, said, steps = threading.Event(), [], []
    lead = Scripted()

    def work(step_down: threading.Event) -> None:
        lead.lost.set()  # the connection, and the lock with it, is gone
        steps.append(step_down.wait(5))
        stop.set()

    assert run_elected(lead, work, stop, said.append, 0.01, 0.01) is True
    assert steps == [True]
    assert said == [
        f"active: projections on {identity()}",
        "lost: projections is no longer this process's; stepping down",
    ]
    assert lead.releases == 1


def test_stopping_the_active_process_stops_its_work_and_lets_the_leadership_go():
    stop = threading.Event()
    lead = Scripted()

    def work(step_down: threading.Event) -> None:
        stop.set()
        assert step_down.wait(5)

    assert run_elected(lead, work, stop, lambda line: None, 0.01, 0.01) is True
    assert lead.releases == 1


def test_the_lock_file_admits_one_process_names_it_and_admits_the_next_once_let_go(tmp_path):
    path = str(tmp_path / "events.sqlite3")
    first, second = FileLeadership(path, "projections"), FileLeadership(path, "projections")
    assert second.holders() == []
    assert first.acquire() and first.held()
    assert not second.acquire()  # flock: another open file, even in this process, is refused
    [holder] = second.holders()
    assert holder.who == identity() and holder.active and holder.since.endswith("Z")
    with FileLeadership(path, "deadline-watch") as other:
        assert other.acquire()  # another name, another lock
    first.close()
    assert second.holders() == []
    assert second.acquire()
    second.close()
