"""Constructs the read models' views on the configured database, beside the events."""

from __future__ import annotations

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment

from adapters.persistence.database import Database
from adapters.views.accountability import PostgresAccountabilityTrailView, SQLiteAccountabilityTrailView
from adapters.views.audit_trail import PostgresAuditTrailView, SQLiteAuditTrailView
from adapters.views.cases import PostgresCaseListView, SQLiteCaseListView
from adapters.views.ledger import PostgresLedgerView, SQLiteLedgerView
from adapters.views.notices import PostgresNoticeView, SQLiteNoticeView
from adapters.views.tlog import PostgresMerkleView, SQLiteMerkleView

VIEW_CLASSES: dict[str, dict[str, type[TrackingRecorder]]] = {
    "sqlite": {
        "audit_trail": SQLiteAuditTrailView,
        "case_list": SQLiteCaseListView,
        "ledger": SQLiteLedgerView,
        "accountability_trail": SQLiteAccountabilityTrailView,
        "merkle_log": SQLiteMerkleView,
        "notices": SQLiteNoticeView,
    },
    "postgresql": {
        "audit_trail": PostgresAuditTrailView,
        "case_list": PostgresCaseListView,
        "ledger": PostgresLedgerView,
        "accountability_trail": PostgresAccountabilityTrailView,
        "merkle_log": PostgresMerkleView,
        "notices": PostgresNoticeView,
    },
}


class Views:
    """One factory (one connection pool) for every view of a process."""

    def __init__(self, database: Database) -> None:
        # The environment's name prefixes PostgreSQL's tracking table: views_tracking.
        self._factory = InfrastructureFactory.construct(Environment("Views", database.env))
        self._classes = VIEW_CLASSES[database.kind]
        self._views: dict[str, object] = {}

    def get(self, name: str):
        if name not in self._views:
            self._views[name] = self._factory.tracking_recorder(self._classes[name])
        return self._views[name]

    def close(self) -> None:
        self._factory.close()
