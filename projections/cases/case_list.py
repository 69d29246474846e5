"""Case list and unit inboxes (案件列表 / 单位待办), with the deadline index.

One row per case of either kind (``kind``: appeal or approval): status, the
units with a part in it (an appeal's lead and co-handling units, an
approval's reviewing departments), the next open deadline, escalation level,
returned count and the text that search runs over; beside it one row per
deadline instance (which unit it binds, when it started, when it ends, when
it was met or cancelled). "Overdue" is decided at query time against the
clock, so the list never goes stale between events. A paused deadline
(行政许可法 art. 45) has no end while it is paused: it is neither overdue
nor due for the sweep until it runs again.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking

from domain.appeals.aggregate import Appeal
from domain.appeals.repeats import Candidate, normal_credit_code, stored_grams
from domain.approvals.aggregate import Approval
from domain.cases.aggregate import Case
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import Clock, due_of, paused_since
from domain.deadlines.periods import Due
from projections.base import ReadModel, TrackedView
from projections.feed import FeedItem
from projections.reports.recurring import RecurringSource

SORTS = ("due", "-due", "received", "-received", "updated", "-updated")


@dataclass(frozen=True)
class CaseListQuery:
    kind: str | None = "appeal"  # the list of appeals, or of approvals; None: of both (the workspace's inbox)
    unit: str | None = None  # lead or co-handling unit; for approvals, a reviewing department
    status: str | None = None
    open_only: bool = False  # leave out the cases whose handling is over (domain.status.DONE_STATUSES)
    overdue: bool | None = None
    q: str | None = None
    joint: bool | None = None  # True: only the cases on the joint-handling list (联合办理); False: the others
    viewer_unit: str | None = None  # a unit user sees only its own cases
    # A unit whose own deadlines (those binding it) give each case's next deadline, decide whether it is
    # overdue and order the list by due time: a unit's inbox in the workspace. None: the case's earliest.
    deadlines_of: str | None = None
    # Count no further than this (the total is then "at least"): a search matching a tenth of every case
    # is counted in a fraction of the time. None: the exact total.
    count_limit: int | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = 20
    now: datetime | None = None


@dataclass
class CaseRows:
    case: dict[str, Any]
    # (unit, is lead, the unit's own next deadline: (name, due, ends_at, provisional) or None). A unit's
    # own deadlines are those binding it; its inbox is ordered and judged overdue by them.
    units: list[tuple[str, bool, tuple[str, datetime, datetime, bool] | None]]
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    # The case's first event is in this batch, so the view has no rows of it yet: nothing to replace.
    new: bool = False


class CaseListView(TrackedView[list[CaseRows]], RecurringSource):
    @abc.abstractmethod
    def apply(self, cases: list[CaseRows], tracking: Tracking) -> None:
        """Replace each case's rows (case, units, deadlines)."""

    @abc.abstractmethod
    def query(self, q: CaseListQuery) -> tuple[list[dict[str, Any]], int]: ...

    @abc.abstractmethod
    def repeat_candidates(self, start: datetime, end: datetime, viewer_unit: str | None = None) -> list[Candidate]:
        """The open appeals (neither closed nor merged) received in [start, end), read by the receipt
        index: where likely repeats are looked for (domain.appeals.repeats). ``viewer_unit``: only its cases."""

    @abc.abstractmethod
    def joint_cases(self, before: datetime) -> list[dict[str, Any]]:
        """The appeals marked for joint handling (联合办理) before ``before``: id, case_no, status, joint_marked_at,
        joint_meetings (the meetings' days, comma-separated), joint_settled_at, closed_at, merged_at."""

    @abc.abstractmethod
    def kinds(self, case_ids: list[str]) -> dict[str, str]:
        """Each listed case's kind (``appeal`` or ``approval``), by id, in one query; an id the list
        does not hold (or not an id at all) is left out."""

    @abc.abstractmethod
    def open_deadlines_due(self, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        """Deadline instances neither met, cancelled nor yet recorded missed whose end has passed
        at ``now``, earliest first: the deadline sweep's index."""


class CaseList(ReadModel[list[CaseRows]]):
    name = "case_list"
    view: CaseListView

    def __init__(self, view: CaseListView, calendars: Callable[[str], WorkingCalendar]) -> None:
        super().__init__(view)
        self.calendars = calendars

    def begin(self) -> None:
        self._touched: dict[Any, Case] = {}
        self._new: set[Any] = set()

    def on_event(self, item: FeedItem) -> None:
        # The case object keeps advancing within the batch; its final state is what is written.
        self._touched[item.event.originator_id] = item.case
        if item.event.originator_version == 1:
            self._new.add(item.event.originator_id)

    def changes(self) -> list[CaseRows]:
        new = self._new
        return [self.rows(case, new=key in new) for key, case in self._touched.items()]

    def rows(self, case: Case, new: bool = False) -> CaseRows:
        if case.KIND == "approval":
            assert isinstance(case, Approval)  # the kind "approval" is Approval's
            return self._approval_rows(case, new)
        assert isinstance(case, Appeal)  # the only other kind
        return self._appeal_rows(case, new)

    def _deadlines(
        self, case: Case
    ) -> tuple[list[dict[str, Any]], tuple[Clock, Due] | None, dict[str, tuple[str, datetime, datetime, bool]]]:
        """The clocks with their due times (``due_of``, the same as ``evaluate``), without the
        overdue and met-late verdicts the list decides at query time; the next one to end; and the
        next to end of those binding each unit (name, due, ends_at, provisional), by unit."""
        calendar = self.calendars(case.policy["jurisdiction"])
        case_id = case.id
        deadlines: list[dict[str, Any]] = []
        upcoming: tuple[Clock, Due] | None = None
        own: dict[str, tuple[str, datetime, datetime, bool]] = {}
        for c in case.clocks:
            due = due_of(c, calendar)
            running = c["met_at"] is None and c["cancelled_at"] is None
            paused = running and c.get("pauses") and paused_since(c) is not None
            ends_at = None if paused else due.ends_at
            if running and not paused and (upcoming is None or due.ends_at < upcoming[1].ends_at):
                upcoming = (c, due)
            if running and not paused and c["unit"] and (c["unit"] not in own or due.ends_at < own[c["unit"]][2]):
                own[c["unit"]] = (c["name"], due.due, due.ends_at, due.provisional)
            deadlines.append(
                {
                    "case_id": case_id,
                    "name": c["name"],
                    "round": c["round"],
                    "unit": c["unit"],
                    "started_at": c["started_at"],
                    "ends_at": ends_at,
                    "due": due.due,
                    "met_at": c["met_at"],
                    "cancelled_at": c["cancelled_at"],
                    "provisional": due.provisional,
                    "started_by": c["started_by"],
                    "met_seq": c["met_seq"],
                    "missed_seq": c.get("missed_seq"),
                    "kind": case.KIND,
                }
            )
        return deadlines, upcoming, own

    def _appeal_rows(self, case: Appeal, new: bool) -> CaseRows:
        deadlines, upcoming, own = self._deadlines(case)
        next_clock, next_due = upcoming if upcoming else (None, None)
        enterprise = _shown(case.enterprise.get("name", ""))
        row = {
            "id": case.id,
            "case_no": case.case_no,
            "status": case.status,
            "profile": case.policy["id"],
            "tier": case.policy["tier"],
            "channel": _shown(case.channel),
            "category": case.category,
            "unit": case.unit,
            "co_units": ",".join(case.co_units),
            "subject": _shown(case.subject),
            "enterprise_name": enterprise,
            "escalation_level": case.escalation_level,
            "returned_count": case.returned_count,
            "satisfaction": case.satisfaction,
            "solved": case.solved,
            "next_deadline": next_clock["name"] if next_clock else None,
            "next_due": next_due.due if next_due else None,
            "next_ends_at": next_due.ends_at if next_due else None,
            "provisional": bool(next_due and next_due.provisional),
            "received_at": case.received_at,
            "updated_at": case.last_at,
            "closed_at": case.closed_at,
            "version": case.version,
            "search": _shown(" ".join((case.subject, case.content, enterprise, case.case_no)).lower()),
            "kind": "appeal",
            # 并单: a repeat shows the case it joined; the case joined, how many repeats joined it.
            "credit_code": normal_credit_code(case.enterprise.get("credit_code")),
            "merged_into": case.merged_into["case_no"] if case.merged_into else None,
            "merged_at": case.merged_into["at"] if case.merged_into else None,
            "repeats": len(case.repeats),
            "subject_grams": stored_grams(case.subject),
            **joint_row(case.joint),
        }
        units = ([(case.unit, True, own.get(case.unit))] if case.unit else []) + [
            (u, False, own.get(u)) for u in case.co_units
        ]
        return CaseRows(row, units, deadlines, new)

    def _approval_rows(self, case: Approval, new: bool) -> CaseRows:
        """An approval in the list: its matter as the category, the applicant as the enterprise,
        its departments as the units with a part in it (none of them leads: the window decides)."""
        deadlines, upcoming, own = self._deadlines(case)
        next_clock, next_due = upcoming if upcoming else (None, None)
        applicant = _shown(str(case.applicant.get("name", "")))
        matter = case.policy["matter"]
        departments = case.department_codes
        row = {
            "id": case.id,
            "case_no": case.case_no,
            "status": case.status,
            "profile": case.policy["id"],
            "tier": None,
            "channel": _shown(case.channel or ""),
            "category": case.matter,
            "unit": None,
            "co_units": ",".join(departments),
            "subject": _shown(matter.get("title", case.matter)),
            "enterprise_name": applicant,
            "escalation_level": case.escalation_level,
            "returned_count": sum(d["returned"] for d in case.departments),
            "satisfaction": None,
            "solved": None,
            "next_deadline": next_clock["name"] if next_clock else None,
            "next_due": next_due.due if next_due else None,
            "next_ends_at": next_due.ends_at if next_due else None,
            "provisional": bool(next_due and next_due.provisional),
            "received_at": case.submitted_at,
            "updated_at": case.last_at,
            "closed_at": case.delivered_at or case.ended_at,
            "version": case.version,
            "search": _shown(
                " ".join((matter.get("title", ""), case.matter, applicant, case.case_no, *case.materials)).lower()
            ),
            "kind": "approval",
            "credit_code": None,
            "merged_into": None,
            "merged_at": None,
            "repeats": 0,
            "subject_grams": None,
            **joint_row(None),
        }
        return CaseRows(row, [(d, False, own.get(d)) for d in departments], deadlines, new)


def joint_row(joint: dict[str, Any] | None) -> dict[str, Any]:
    """联合办理 as the list keeps it: the flag the list is filtered by, and what the joint-handling ledger and the
    bulletin count (the marking, each meeting's day, the settling)."""
    if joint is None:
        return {
            "joint": False,
            "joint_units": None,
            "joint_marked_at": None,
            "joint_meetings": None,
            "joint_settled_at": None,
        }
    return {
        "joint": True,
        "joint_units": ",".join(joint["units"]),
        "joint_marked_at": joint["marked_at"],
        "joint_meetings": ",".join(m["held_on"] for m in joint["meetings"]),
        "joint_settled_at": joint["settled_at"],
    }


def _shown(text: str) -> str:
    """Text as the list holds it: a NUL already recorded in an event (which keeps it as it is) becomes
    U+FFFD, since PostgreSQL text cannot hold NUL and SQLite's text functions stop at it — one event's
    content must never stop the read model or hide the case from a search."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
