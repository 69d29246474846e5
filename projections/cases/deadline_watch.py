"""Deadline watch (时限监控): find deadlines passed and unmet, record each once on its case.

The sweep asks the case list's deadline index which deadline instances have
ended at ``now`` and are neither met, cancelled nor already recorded missed —
it never loads every case — and has each such case, of either kind, record
its misses and the profile's consequence (``CaseService.sweep_cases``); for
an approval whose notice period ended with neither a notice nor an
acceptance, that is its deemed acceptance (DeemedAccepted). The case
decides, on its own recorded clocks and the calendar of the moment, so an
index row that lags behind the log can cause no wrong record, only a wasted
load.

Running the same ``now`` twice records nothing the second time: a recorded
miss leaves the index (``missed_seq``) and the case will not record it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.appeals.service import AppealService
from projections.cases.case_list import CaseListView

PAGE = 500
BATCH = 100


class ReadModelBehind(RuntimeError):
    """A read model the request needs has not reached the log's head in time."""


@dataclass
class SweepReport:
    now: datetime
    dry_run: bool = False
    cases_checked: int = 0
    missed: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    # Approvals whose notice period ended with neither a notice nor an acceptance (行政许可法 art. 32).
    deemed_accepted: list[dict[str, Any]] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)  # what was recorded (a dry run: what would be)


class DeadlineWatch:
    def __init__(self, appeals: AppealService, index: CaseListView, catch_up: Callable[[], Any]) -> None:
        self.appeals, self.index, self.catch_up = appeals, index, catch_up

    def sweep(self, actor: Actor, now: datetime | None = None, dry_run: bool = False) -> SweepReport:
        """Records every deadline passed and unmet at ``now`` once, with its consequences on the case.

        With ``dry_run`` nothing is recorded: the report says what a sweep at ``now`` (which may
        then lie ahead, a drill) would record. Without it, a ``now`` ahead of the clock is refused.
        """
        report = SweepReport(now or self.appeals.clock(), dry_run)
        self.appeals.check_sweep(actor, report.now, dry_run)  # refused before anything is read or recorded
        seen: set[str] = set()
        while True:
            self.catch_up()  # the index must include every event recorded so far, the sweep's own too
            due = [d for d in self.index.open_deadlines_due(report.now, limit=PAGE) if d["case_id"] not in seen]
            if not due:
                return report
            ids = list(dict.fromkeys(d["case_id"] for d in due))
            seen.update(ids)
            report.cases_checked += len(ids)
            for start in range(0, len(ids), BATCH):  # one transaction per batch of cases
                batch = [UUID(i) for i in ids[start : start + BATCH]]
                for e in self.appeals.sweep_cases(batch, actor, report.now, dry_run):
                    report.events.append(e)
                    case_id = str(e.originator_id)
                    kind = type(e).__name__
                    if kind == "DeadlineMissed":
                        report.missed.append(
                            {
                                "case_id": case_id,
                                "seq": e.originator_version,
                                "deadline": e.deadline,
                                "round": e.round,
                                "unit": e.unit,
                                "due": e.due,
                                "rule": e.rule,
                                "profile_version": e.profile_version,
                                "source": e.source,
                            }
                        )
                    elif kind == "Escalated":
                        report.escalations.append(
                            {
                                "case_id": case_id,
                                "seq": e.originator_version,
                                "level": e.level,
                                "level_code": e.level_code,
                                "reason": e.reason,
                                "cause": e.cause,
                            }
                        )
                    elif kind == "DeemedAccepted":
                        report.deemed_accepted.append(
                            {
                                "case_id": case_id,
                                "seq": e.originator_version,
                                "accepted_as_of": e.accepted_as_of,
                                "notice_ended_at": e.notice_ended_at,
                            }
                        )
