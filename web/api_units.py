"""``GET /api/units``."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from domain.errors import CaseNotFound
from domain.permissions import check_read
from projections import ledger
from projections.approvals_bulletin import DEFINITIONS
from projections.approvals_ledger import DepartmentFigures
from projections.ledger import Period
from web.presenters import iso
from web.schemas import LedgerSchema, PeriodArgsSchema, UnitListSchema

blp = Blueprint("units", __name__, url_prefix="/api/units", description="Handling units (承办单位)")


@blp.route("", methods=["GET"])
@blp.response(200, UnitListSchema)
def list_units():
    """Every handling unit, with its parent."""
    units = current_app.extensions["caseledger"].directory.units()
    return {"units": sorted(({"code": u.code, "name": u.name, "parent": u.parent, "active": u.active,
                              "heads": [{"from_": h["from"], "name": h["name"]} for h in u.heads]}
                             for u in units), key=lambda u: u["code"])}


RATE_DEFINITIONS = {
    "response": "responded / forwarded: cases forwarded in the period that the unit has signed for or answered",
    "on_time": "replies on time / (replies on time + replies late + cases overdue and unmet at the period's end)",
    "resolution": "cases closed solved / cases closed",
    "satisfaction": "(very satisfied + satisfied + 0.9 x basically satisfied) / follow-up visits",
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
    figures = container.read_models["ledger"].view.figures(code, Period.month(args["period"], args.get("close_day")))
    return ledger_json(figures)


def ledger_json(figures: ledger.LedgerFigures) -> dict:
    return {"unit": figures.unit, "period": figures.period.name, "start": iso(figures.period.start),
            "end": iso(figures.period.end), "counts": figures.counts, "open_at_end": figures.open_at_end,
            "overdue_at_end": figures.overdue_at_end, "rates": figures.rates, "definitions": RATE_DEFINITIONS,
            "approvals": department_json(figures.approvals) | {"definitions": APPROVAL_RATE_DEFINITIONS}}


def department_json(figures: DepartmentFigures) -> dict:
    """A unit's approvals as a reviewing department: counts, overdue at the period's end, on-time rate."""
    return {"counts": dict(figures.counts), "overdue_at_end": figures.overdue_at_end, "rates": figures.rates}
