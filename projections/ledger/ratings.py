"""The ledger's 好差评 figures (domain.appeals.ratings): counts per unit and day, and the monthly list of 差评.

Counted for the unit rated, on the day of the *visit* that gave the rating,
whenever what follows it happens (a cohort count, as ``responded`` is for
forwarding): a month's figures say what became of that month's ratings, so a
contest adjudicated in the next month changes the month it concerns.

- ``bad_ratings``: visits rated unsatisfied or very unsatisfied (差评);
- ``rectified_on_time`` / ``rectified_late``: of those, rectified (整改)
  within / after the rectification period;
- ``ratings_contested``: contested by the unit (申诉复核);
  ``contests_upheld`` (申诉成立: set aside) / ``contests_rejected`` (维持原评价);
- ``set_aside_<level>``: ratings set aside on contest, by raw level, which the
  adjudicated satisfaction rate leaves out.

Beside the counts, every bad rating is a row of the list (``BadRating``): its
case, unit, level, when, its rectification's due time and outcome, and its
contest; the status of a rectification still open is decided when the list
is read, against the clock, like "overdue" in the case list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.appeals.ratings import BAD_LEVELS, RECTIFICATION, rating_of, rectification_status
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import due_of, ended_by, met_late
from domain.deadlines.periods import SHANGHAI

RATING_COUNTERS = (
    "bad_ratings",
    "rectified_on_time",
    "rectified_late",
    "ratings_contested",
    "contests_upheld",
    "contests_rejected",
    *(f"set_aside_{level}" for level in sorted(BAD_LEVELS)),
)
RATING_EVENTS = frozenset({"Visited", "Rectified", "RatingContested", "RatingAdjudicated"})
# One row of the list of 差评, as the view keeps it.
BAD_RATING_COLUMNS = (
    "case_id",
    "rating_seq",
    "case_no",
    "unit",
    "level",
    "visited_at",
    "day",
    "due",
    "ends_at",
    "provisional",
    "rectified_at",
    "rectified_late",
    "stopped_at",
    "contest_status",
    "contested_at",
    "decided_at",
)

BadRating = dict[str, Any]


class RatingTally:
    """Counts a batch's rating events into the ledger's (unit, day) increments, and keeps the rows of
    the list of 差评 each event touched, as they stand after it."""

    def __init__(
        self, calendars: Callable[[str], WorkingCalendar], increments: dict[tuple[str, date], dict[str, int]]
    ) -> None:
        self.calendars, self.increments = calendars, increments
        self.rows: dict[tuple[str, int], BadRating] = {}

    def on_event(self, kind: str, event: Any, case: Any) -> None:
        if kind not in RATING_EVENTS:
            return
        seq = event.originator_version if kind == "Visited" else event.rating_seq
        rating = rating_of(case.ratings, seq)
        if not rating["bad"]:
            return
        counts = self.increments[(rating["unit"], rating["at"].astimezone(SHANGHAI).date())]
        if kind == "Visited":
            counts["bad_ratings"] += 1
        elif kind == "Rectified":
            clock = _clock(case, seq)
            late = clock is not None and met_late(clock, self.calendars(case.policy["jurisdiction"]))
            counts["rectified_late" if late else "rectified_on_time"] += 1
        elif kind == "RatingContested":
            counts["ratings_contested"] += 1
        elif event.upheld:
            counts["contests_upheld"] += 1
            counts[f"set_aside_{rating['level']}"] += 1
        else:
            counts["contests_rejected"] += 1
        # A bad visit may supersede an earlier rating's rectification: every row of the case is made again.
        for r in case.ratings:
            if r["bad"]:
                self.rows[(str(case.id), r["seq"])] = self._row(case, r)

    def _row(self, case: Any, rating: Mapping[str, Any]) -> BadRating:
        clock = _clock(case, rating["seq"])
        due = due_of(clock, self.calendars(case.policy["jurisdiction"])) if clock else None
        done, contest = rating["rectification"], rating["contest"]
        return {
            "case_id": str(case.id),
            "rating_seq": rating["seq"],
            "case_no": case.case_no,
            "unit": rating["unit"],
            "level": rating["level"],
            "visited_at": rating["at"],
            "day": rating["at"].astimezone(SHANGHAI).date(),
            "due": due.due if due else None,
            "ends_at": due.ends_at if due else None,
            "provisional": bool(due and due.provisional),
            "rectified_at": done["at"] if done else None,
            "rectified_late": bool(done and due and ended_by(due.ends_at, done["at"])),
            "stopped_at": clock["cancelled_at"] if clock else None,
            "contest_status": contest["status"] if contest else None,
            "contested_at": contest["at"] if contest else None,
            "decided_at": contest["decided_at"] if contest else None,
        }


def _clock(case: Any, rating_seq: int) -> dict[str, Any] | None:
    return next((c for c in case.clocks if c["name"] == RECTIFICATION and c["started_by"] == rating_seq), None)


def bad_rating_status(row: Mapping[str, Any], now: datetime) -> str | None:
    """The rectification status of a row of the list at ``now`` (domain.appeals.ratings.rectification_status)."""
    contest = {"status": row["contest_status"]} if row["contest_status"] else None
    rating = {"rectification": {"at": row["rectified_at"]} if row["rectified_at"] else None, "contest": contest}
    return rectification_status(
        rating,
        started=row["ends_at"] is not None,
        met_late=bool(row["rectified_late"]),
        stopped=row["stopped_at"] is not None,
        overdue=ended_by(row["ends_at"], now),
    )


def set_aside(counts: Mapping[str, int], level: str) -> int:
    return counts.get(f"set_aside_{level}", 0) if level in BAD_LEVELS else 0


@dataclass(frozen=True)
class BadRatingEntry:
    """A line of the bulletin's monthly list of 差评 (004 item 二: 按月对差评问题进行通报整改)."""

    case_id: str
    case_no: str
    unit: str
    unit_name: str
    level: str
    visited_at: datetime
    due: datetime | None  # the rectification period's last moment; None: the case's profile sets none
    provisional: bool
    rectification: str | None  # domain.appeals.ratings.rectification_status, at the bulletin's ``as_of``
    rectified_at: datetime | None
    contest: str | None  # None, or pending / upheld / rejected


def bad_rating_list(
    rows: Iterable[Mapping[str, Any]], names: Mapping[str, str], as_of: datetime
) -> tuple[BadRatingEntry, ...]:
    """The rows of the list of 差评 as the bulletin shows them, each rectification judged at ``as_of``."""
    return tuple(
        BadRatingEntry(
            case_id=r["case_id"],
            case_no=r["case_no"],
            unit=r["unit"],
            unit_name=names.get(r["unit"], r["unit"]),
            level=r["level"],
            visited_at=r["visited_at"],
            due=r["due"],
            provisional=bool(r["provisional"]),
            rectification=bad_rating_status(r, as_of),
            rectified_at=r["rectified_at"],
            contest=r["contest_status"],
        )
        for r in rows
    )
