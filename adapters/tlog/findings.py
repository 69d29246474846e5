"""The verifications run, kept beside the events: what the latest found is what case pages warn of.

An auditor's 开始核验 (and an operator's ``caseledger audit check``) re-hashes the store against the
Merkle log (adapters.tlog.checks.verify); its result is kept here, one row per run. A case page reads
the latest: an event of the case it found changed or removed is marked on the page until a later
verification finds the store whole again (repaired). A GET of the API's verification records nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.persistence.side_tables import SideTables

TABLE = "caseledger_verifications"


@dataclass(frozen=True)
class Verified:
    at: datetime
    by: str  # who ran it (a user name, or cli:<login>)
    result: dict[str, Any]  # as adapters.tlog.checks.verify answers

    def findings_of(self, case_id: str) -> list[dict[str, Any]]:
        """The problems the run found with events of the case ``case_id``."""
        return [p for p in self.result["problems"] if p.get("case_id") == case_id]


class Verifications:
    def __init__(self, tables: SideTables) -> None:
        self._t = tables
        if tables.columns(TABLE):  # no write lock needed when a process starts against an existing database
            return
        with tables.connect() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id {tables.serial}, at {tables.instant_type} NOT NULL, "
                "by_user TEXT NOT NULL, result TEXT NOT NULL)"
            )

    def record(self, result: dict[str, Any], at: datetime, by: str) -> Verified:
        p = self._t.p
        with self._t.connect() as conn:
            conn.execute(
                f"INSERT INTO {TABLE} (at, by_user, result) VALUES ({p}, {p}, {p})",
                (self._t.instant(at), by, json.dumps(result, ensure_ascii=False)),
            )
        return Verified(at, by, result)

    def latest(self) -> Verified | None:
        with self._t.connect(read_only=True) as conn:
            row = conn.execute(f"SELECT at, by_user, result FROM {TABLE} ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else Verified(self._t.from_instant(row[0]), row[1], json.loads(row[2]))
