"""An audit trail made before it kept the directory's acts (one row per case event, keyed by the case
log's position alone) is dropped at start-up and made again from the logs, the directory's acts with it."""

from __future__ import annotations

import pytest

from projections.audit_trail import AuditQuery
from tests.conftest import ADMIN, LOG_KEY_FILE, PLATFORM, sh
from tests.integration.test_case_list_upgrade import database
from web.bootstrap import Settings, bootstrap

OLD_TABLE = (
    "CREATE TABLE audit_trail (position {int} PRIMARY KEY, case_id {uuid} NOT NULL, case_no {text}, seq integer, "
    "type {text}, actor_user {text}, actor_role {text}, actor_unit {text}, case_unit {text}, recorded_at {time}, "
    "occurred_at {time}, data {text})"
)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_trail_of_the_old_layout_is_made_again_with_the_directorys_acts(kind, tmp_path):
    with database(kind, tmp_path) as url:
        settings = Settings(database_url=url, secret_key="x", log_key_file=LOG_KEY_FILE)
        first = bootstrap(settings)
        first.directory.add_unit(ADMIN, "DISTRICT-POWER", "区供电中心")
        case, _ = first.appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject="接电难",
            content="逾期未办",
            enterprise={"name": "某公司"},
            profile="zichuan-2020",
            occurred_at=sh("2026-11-02 09:00"),
        )
        first.runner().run_once()
        view = first.read_models["audit_trail"].view
        types = {"int": "bigint", "uuid": "uuid", "text": "text", "time": "timestamptz"}
        if kind == "sqlite":
            types = {"int": "INTEGER", "uuid": "TEXT", "text": "TEXT", "time": "TEXT"}
        with view.datastore.transaction(commit=True) as c:
            c.execute("DROP TABLE audit_trail")
            c.execute(OLD_TABLE.format(**types))
        assert view.position() > 0
        first.close()

        again = bootstrap(settings)
        try:
            view = again.read_models["audit_trail"].view
            assert view.position() == 0 and view.source_position("Directory") == 0  # emptied, to be made again
            again.runner().run_once()
            again.run_accountability()
            rows, total = view.query(AuditQuery(per_page=100))
            assert total == 2
            assert [(r["record"], r["type"], r["subject"]) for r in rows] == [
                ("unit", "Unit.Registered", "DISTRICT-POWER"),
                ("appeal", "Received", None),
            ]
            assert str(rows[1]["case_id"]) == str(case.id) and rows[1]["case_no"] == case.case_no
        finally:
            again.close()
