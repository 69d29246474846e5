"""Helpers: the deadline sweep and the accountability process wired on a test database."""

from __future__ import annotations

from adapters.persistence.database import database_from_url
from adapters.views.factory import Views
from domain.accountability.process import AccountabilityProcess
from projections.accountability.process import ProcessFollower
from projections.cases.case_list import CaseList
from projections.cases.deadline_watch import DeadlineWatch
from projections.feed import CaseFeed
from projections.runner import BatchRunner
from tests.conftest import PLATFORM, sh


class Watch:
    def __init__(self, appeals, database_url, calendars, profiles) -> None:
        database = database_from_url(database_url)
        self.appeals = appeals
        self.views = Views(database)
        self.index = CaseList(self.views.get("case_list"), calendars.for_jurisdiction)
        runner = BatchRunner(CaseFeed(appeals), [self.index], 50)
        self.deadlines = DeadlineWatch(appeals, self.index.view, runner.run_once)
        self.process = AccountabilityProcess(database.env, appeals=appeals, profiles=profiles)
        self.follower = ProcessFollower(self.process, appeals)

    def sweep(self, now: str, actor=PLATFORM):
        return self.deadlines.sweep(actor, sh(now))

    def record(self, unit: str):
        self.follower.run_once()
        return self.process.record_of(unit)

    def consequences(self, unit: str, kind: str | None = None) -> list[dict]:
        record = self.record(unit)
        found = record.consequences if record else []
        return [c for c in found if kind is None or c["kind"] == kind]

    def close(self) -> None:
        self.process.close()
        self.views.close()
