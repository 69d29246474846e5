"""What the workspace's pages read from the running application: its container, and a case by its number."""

from __future__ import annotations

from typing import Any

from flask import current_app

from projections.cases.case_list import CaseListQuery


def container() -> Any:
    """The composition root's container this application was made with (``web.bootstrap``)."""
    return current_app.extensions["caseledger"]


def appeal_id_of(case_no: str) -> str | None:
    """The appeal numbered ``case_no`` (诉求编号, as the pages show it), found in the case list."""
    container().wait_for_views(only=("case_list",))
    wanted = case_no.strip().upper()
    view = container().read_models["case_list"].view
    rows, _ = view.query(CaseListQuery(kind="appeal", q=wanted, per_page=10, now=container().clock()))
    return next((str(r["id"]) for r in rows if str(r["case_no"]).upper() == wanted), None)
