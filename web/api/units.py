"""``GET /api/units``."""

from __future__ import annotations

from flask import current_app, g

from domain.errors import CaseNotFound
from domain.permissions import check_read
from projections.ledger import appeals as ledger
from projections.ledger.appeals import ReportingPeriod
from projections.ledger.approvals import DepartmentFigures
from projections.reports.approvals import DEFINITIONS
from web.api.blueprint import Blueprint
from web.api.presenters import iso
from web.api.schemas.common import PeriodArgsSchema, UnitListSchema
from web.api.schemas.reports import LedgerSchema

blp = Blueprint("units", __name__, url_prefix="/api/units", description="Handling units (承办单位)")


@blp.route("", methods=["GET"])
@blp.response(200, UnitListSchema)
def list_units():
    """Every handling unit, with its parent."""
    units = current_app.extensions["caseledger"].directory.units()
    return {
        "units": sorted(
            (
                {
                    "code": u.code,
                    "name": u.name,
                    "parent": u.parent,
                    "active": u.active,
                    "heads": [{"from_": h["from"], "name": h["name"]} for h in u.heads],
                }
                for u in units
            ),
            key=lambda u: u["code"],
        )
    }


RATE_DEFINITIONS = {
    "response": "responded / forwarded: cases forwarded in the period that the unit has signed for or answered",
    "on_time": "replies on time / (replies on time + replies late + cases overdue and unmet at the period's end)",
    "resolution": "cases closed solved / cases closed",
    "satisfaction": "(very satisfied + satisfied + 0.9 x basically satisfied) / follow-up visits, on the ratings "
    "as given (raw)",
    "satisfaction_adjudicated": "the same, leaving out the bad ratings set aside on contest (申诉成立): "
    "numerator and visits both without them",
}
# The 好差评 follow-through's counts, each credited to the day of the visit that gave the rating.
RATING_DEFINITIONS = {
    "bad_ratings": "visits rated unsatisfied or very unsatisfied (差评)",
    "rectified_on_time": "bad ratings rectified (整改) within the profile's rectification period",
    "rectified_late": "bad ratings rectified after it",
    "ratings_contested": "bad ratings the unit contested (申诉复核)",
    "contests_upheld": "contests upheld (申诉成立): the rating set aside in the adjudicated figures",
    "contests_rejected": "contests rejected (维持原评价): the rating stands",
    "rectification_overdue_at_end": "rectification periods binding the unit ended and unmet at the period's end",
}
APPROVAL_RATE_DEFINITIONS = {"on_time": DEFINITIONS["department_on_time"]}


@blp.route("/<code>/ledger", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, LedgerSchema)
def unit_ledger(args, code):
    """The unit's ledger (台账) for a month: counts, open and overdue at the month's end, and rates; its
    approvals (审批) as a reviewing department apart, under ``approvals``."""
    container = current_app.extensions["caseledger"]
    check_read("ledger", g.actor, unit=code)
    if container.directory.unit(code) is None:
        raise CaseNotFound(f"no unit {code!r}")
    container.wait_for_views()
    figures = container.read_models["ledger"].view.figures(
        code, ReportingPeriod.month(args["period"], args.get("close_day"))
    )
    return ledger_json(figures)


def ledger_json(figures: ledger.LedgerFigures) -> dict:
    return {
        "unit": figures.unit,
        "period": figures.period.name,
        "start": iso(figures.period.start),
        "end": iso(figures.period.end),
        "counts": figures.counts,
        "open_at_end": figures.open_at_end,
        "overdue_at_end": figures.overdue_at_end,
        "rectification_overdue_at_end": figures.rectification_overdue_at_end,
        "rates": figures.rates,
        "definitions": RATE_DEFINITIONS | RATING_DEFINITIONS,
        "approvals": department_json(figures.approvals) | {"definitions": APPROVAL_RATE_DEFINITIONS},
    }


def department_json(figures: DepartmentFigures) -> dict:
    """A unit's approvals as a reviewing department: counts, overdue at the period's end, on-time rate."""
    return {"counts": dict(figures.counts), "overdue_at_end": figures.overdue_at_end, "rates": figures.rates}
