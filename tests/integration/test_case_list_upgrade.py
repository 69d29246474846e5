"""A case list made before each unit's own next deadline, or each appeal's credit code and merger, was kept
is rebuilt from the events at start-up.

The units' own deadlines (what a unit's inbox is ordered and judged by), the enterprises' credit codes and
the mergers (并单, what the recurring-problems report groups by) exist only in the events: a view lacking
them is emptied and made again, never left with blanks.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from projections.cases.case_list import CaseListQuery
from tests.conftest import ADMIN, LOG_KEY_FILE, PLATFORM, sh
from tests.e2e.server import scratch_postgres
from web.bootstrap import Settings, bootstrap

OLD_COLUMNS = ("next_deadline", "next_due", "next_ends_at", "provisional")


@contextmanager
def database(kind, tmp_path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/upgrade.sqlite3"
    else:
        with scratch_postgres(prefix="caseledger_upgrade") as url:
            yield url


def as_made_before(container, lacking) -> None:
    """``case_units`` as it was: case, unit and whether it leads, nothing more; or ``cases`` without the
    credit code and the merger."""
    view = container.read_models["case_list"].view
    with view.datastore.transaction(commit=True) as c:
        if lacking == "credit_code":
            for column in ("credit_code", "merged_into"):
                c.execute(f"ALTER TABLE cases DROP COLUMN {column}")
            return
        c.execute("DROP INDEX IF EXISTS case_units_due")
        for column in OLD_COLUMNS:
            c.execute(f"ALTER TABLE case_units DROP COLUMN {column}")


@pytest.mark.parametrize("lacking", ["units", "credit_code"])
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_case_list_without_the_units_own_deadlines_is_rebuilt_from_the_events(kind, lacking, tmp_path):
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
            enterprise={"name": "某公司", "credit_code": "91370302ma3c4xyz0k"},
            profile="zichuan-2020",
            occurred_at=sh("2026-11-02 09:00"),
        )
        first.appeals.forward(case.id, PLATFORM, unit="DISTRICT-POWER", occurred_at=sh("2026-11-02 10:00"))
        first.runner().run_once()
        as_made_before(first, lacking)
        first.close()

        again = bootstrap(settings)
        try:
            view = again.read_models["case_list"].view
            assert view.position() == 0  # emptied, to be made again from the log
            again.runner().run_once()
            rows, total = view.query(
                CaseListQuery(
                    kind=None, viewer_unit="DISTRICT-POWER", deadlines_of="DISTRICT-POWER", now=sh("2026-12-01 12:00")
                )
            )
            # 000 item 4: the unit's initial reply, 2 working days from Mon 11-02: Wed 11-04.
            assert total == 1 and rows[0]["next_due"] == sh("2026-11-04 23:59:59")
            [received] = view.appeals_received(sh("2026-11-01 00:00"), sh("2026-12-01 00:00"))
            assert (received.credit_code, received.merged_into) == ("91370302MA3C4XYZ0K", None)
        finally:
            again.close()


MERGE_COLUMNS = ("credit_code", "merged_into", "merged_at", "repeats", "subject_grams")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_case_list_without_credit_codes_and_merges_is_rebuilt_from_the_events(kind, tmp_path):
    """并单: likely repeats are found by the credit code and subject the case list keeps; a
    list made before it kept them is emptied at start-up and made again from the log, never left blank."""
    with database(kind, tmp_path) as url:
        settings = Settings(database_url=url, secret_key="x", log_key_file=LOG_KEY_FILE)
        first = bootstrap(settings)
        case, _ = first.appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject="接电难",
            content="逾期未办",
            enterprise={"name": "某公司", "credit_code": "91370302MA3C000001"},
            profile="zichuan-2020",
            occurred_at=sh("2026-11-02 09:00"),
        )
        first.runner().run_once()
        view = first.read_models["case_list"].view
        with view.datastore.transaction(commit=True) as c:
            for column in MERGE_COLUMNS:
                c.execute(f"ALTER TABLE cases DROP COLUMN {column}")
        first.close()

        again = bootstrap(settings)
        try:
            view = again.read_models["case_list"].view
            assert view.position() == 0
            again.runner().run_once()
            found = view.repeat_candidates(sh("2026-11-02 00:00"), sh("2026-11-03 00:00"))
            assert [(c.id, c.credit_code, c.grams) for c in found] == [
                (str(case.id), "91370302MA3C000001", frozenset({"  接", " 接电", "接电难", "电难 "}))
            ]
        finally:
            again.close()


JOINT_COLUMNS = ("joint", "joint_units", "joint_marked_at", "joint_meetings", "joint_settled_at")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_case_list_without_joint_handling_is_rebuilt_from_the_events(kind, tmp_path):
    """联合办理 (004 item 六): the list of joint-handling cases is read by the case list's joint flag; a list made
    before it kept one is emptied at start-up and made again from the log, so a case marked before the upgrade
    is on the list after it."""
    with database(kind, tmp_path) as url:
        settings = Settings(database_url=url, secret_key="x", log_key_file=LOG_KEY_FILE)
        first = bootstrap(settings)
        for code, name in (("DISTRICT-POWER", "区供电中心"), ("DISTRICT-WATER", "区水务局")):
            first.directory.add_unit(ADMIN, code, name)
        case, _ = first.appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject="积水",
            content="职责交叉",
            enterprise={"name": "某公司"},
            profile="zichuan-2020",
            occurred_at=sh("2026-11-02 09:00"),
        )
        first.appeals.mark_joint(
            case.id,
            PLATFORM,
            units=["DISTRICT-POWER", "DISTRICT-WATER"],
            reason="职责交叉",
            occurred_at=sh("2026-11-03 09:00"),
        )
        first.runner().run_once()
        view = first.read_models["case_list"].view
        with view.datastore.transaction(commit=True) as c:
            c.execute("DROP INDEX IF EXISTS cases_joint_marked")
            for column in JOINT_COLUMNS:
                c.execute(f"ALTER TABLE cases DROP COLUMN {column}")
        first.close()

        again = bootstrap(settings)
        try:
            view = again.read_models["case_list"].view
            assert view.position() == 0
            again.runner().run_once()
            rows, total = view.query(CaseListQuery(joint=True, now=sh("2026-12-01 12:00")))
            assert total == 1 and rows[0]["id"] == str(case.id) and rows[0]["joint"] is True
            assert rows[0]["joint_marked_at"] == sh("2026-11-03 09:00")
        finally:
            again.close()
