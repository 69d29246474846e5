"""Helpers: the read models wired on a test database, and their whole contents for comparison."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.persistence.fast_read import case_feed
from adapters.views.factory import Views
from projections.audit_trail import AuditQuery, AuditTrail
from projections.cases.case_list import CaseList, CaseListQuery
from projections.ledger.appeals import Ledger, ReportingPeriod
from projections.runner import BatchRunner

FAR = datetime(2100, 1, 1, tzinfo=UTC)


class ReadSide:
    def __init__(self, appeals, database, calendars, batch_size: int = 7) -> None:
        self.views = Views(database)
        self.models = [
            CaseList(self.views.get("case_list"), calendars.for_jurisdiction),
            Ledger(self.views.get("ledger"), calendars.for_jurisdiction),
            AuditTrail(self.views.get("audit_trail")),
        ]
        self.appeals = appeals
        self.batch_size = batch_size

    def runner(self, batch_size: int | None = None) -> BatchRunner:
        # The feed as the service wires it (adapters.persistence.fast_read): what runs in production is what is tested.
        return BatchRunner(case_feed(self.appeals), self.models, batch_size or self.batch_size)

    def reset(self) -> None:
        for model in self.models:
            model.view.reset()

    def contents(self, units=("U1", "U2", "U3"), months=("2026-09", "2026-10", "2026-11")) -> dict:
        cases, _ = self.models[0].view.query(CaseListQuery(sort="received", per_page=10000, now=FAR))
        approvals, _ = self.models[0].view.query(
            CaseListQuery(kind="approval", sort="received", per_page=10000, now=FAR)
        )
        deadlines = self.models[0].view.open_deadlines_due(FAR, limit=100000)
        # Each unit's inbox, judged by its own deadlines (the workspace's).
        inboxes = {
            u: self.models[0].view.query(
                CaseListQuery(kind=None, viewer_unit=u, deadlines_of=u, per_page=10000, now=FAR)
            )
            for u in units
        }
        ledger = self.models[1].view
        ledgers = {
            (u, m): (f.counts, f.open_at_end, f.overdue_at_end, f.approvals)
            for u in units
            for m in months
            for f in [ledger.figures(u, ReportingPeriod.month(m))]
        }
        approval_months = {
            m: (
                ledger.approval_figures(ReportingPeriod.month(m)),
                ledger.departments_with_approvals(ReportingPeriod.month(m)),
                ledger.units_with_activity(ReportingPeriod.month(m)),
            )
            for m in months
        }
        bad_ratings = {m: ledger.bad_ratings(ReportingPeriod.month(m)) for m in months}
        trail, _ = self.models[2].view.query(AuditQuery(per_page=100000))
        return {
            "cases": sorted(cases, key=lambda r: r["id"]),
            "approvals": sorted(approvals, key=lambda r: r["id"]),
            "deadlines": sorted(deadlines, key=lambda d: (d["case_id"], d["name"], d["round"])),
            "inboxes": inboxes,
            "ledgers": ledgers,
            "approval_months": approval_months,
            "bad_ratings": bad_ratings,
            "trail": trail,
        }

    def close(self) -> None:
        self.views.close()
