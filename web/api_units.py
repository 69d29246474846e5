"""``GET /api/units``."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from web.schemas import UnitListSchema

blp = Blueprint("units", __name__, url_prefix="/api/units", description="Handling units (承办单位)")


@blp.route("", methods=["GET"])
@blp.response(200, UnitListSchema)
def list_units():
    """Every handling unit, with its parent."""
    units = current_app.extensions["caseledger"].directory.units()
    return {"units": sorted(({"code": u.code, "name": u.name, "parent": u.parent, "active": u.active}
                             for u in units), key=lambda u: u["code"])}
