"""Stored events are append-only: the database refuses to change or remove them (adapters.persistence.append_only).

Refusals are provoked with the drivers' own connections, as a hand-written
fix or a script would. On PostgreSQL the session's database is shared: every
statement here that would alter an event is one the triggers refuse; the
tests that show a bypass run on a database or schema of their own.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, ProgrammingError
from eventsourcing.sqlite import SQLiteDatastore

from adapters.persistence.append_only import FUNCTION, protect_recorder, protect_table
from adapters.persistence.database import database_from_url
from adapters.persistence.pg_pool import UNAVAILABLE
from domain.accountability.record import UnitAccountability
from domain.appeals.service import AppealService
from tests.conftest import ADMIN, LOG_KEY_FILE, PLATFORM, sh
from tests.e2e.server import scratch_postgres
from tests.integration.approval_cases import submit
from tests.integration.cases import forwarded_case
from web.bootstrap import Container, Settings, bootstrap

APPS = ("appeals", "directory", "accountability")
PG_TABLES = {app: f"{app}_events" for app in APPS}


class Store:
    """A driver connection to the event store, outside the library: what an insider's script would use."""

    def __init__(self, url: str) -> None:
        database = database_from_url(url)
        self.kind = database.kind
        if self.kind == "sqlite":
            self.conn = sqlite3.connect(database.env["SQLITE_DBNAME"], isolation_level=None)
            self.error: type[Exception] = sqlite3.IntegrityError
            self.p = "?"
        else:
            self.conn = psycopg.connect(url.split("?")[0], autocommit=True)
            self.error = psycopg.errors.RaiseException
            self.p = "%s"

    def table(self, app: str) -> str:
        return "stored_events" if self.kind == "sqlite" else PG_TABLES[app]

    def key(self, originator_id: UUID) -> object:
        return originator_id.hex if self.kind == "sqlite" else originator_id

    def execute(self, statement: str, *params: object) -> list[tuple]:
        """Rows, if the statement returns any; ``%s`` marks a parameter on either database."""
        cursor = self.conn.execute(statement.replace("%s", self.p), params) if params else self.conn.execute(statement)
        return list(cursor.fetchall()) if cursor.description else []

    def row(self, app: str, originator_id: UUID) -> tuple:
        """The whole stored row of an event (with its notification id), as the database holds it."""
        number = "rowid" if self.kind == "sqlite" else "notification_id"
        rows = self.execute(
            f"SELECT {number}, originator_id, originator_version, topic, state "
            f"FROM {self.table(app)} WHERE originator_id = %s AND originator_version = 1",
            self.key(originator_id),
        )
        assert len(rows) == 1
        return tuple(bytes(v) if isinstance(v, memoryview) else v for v in rows[0])

    def dump(self, table: str) -> list[tuple]:
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
            for r in self.execute(f"SELECT * FROM {table} ORDER BY originator_id, originator_version")
        ]

    def refused(self, statement: str, *params: object) -> Exception:
        with pytest.raises(self.error) as caught:
            self.execute(statement, *params)
        return caught.value

    def close(self) -> None:
        self.conn.close()


def message(op: str, table: str) -> str:
    return f"caseledger: stored events are append-only: {op} of {table} refused"


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    c = bootstrap(Settings(database_url=database_url, secret_key="t", log_key_file=LOG_KEY_FILE))
    yield c
    c.close()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(database_url)
    yield s
    s.close()


def record_one_of_each(c: Container) -> dict[str, UUID]:
    """Through the services: a unit (directory), a case forwarded to it, returned twice (appeals),
    and the reminder that brings the unit (accountability). Returns each application's originator."""
    code = f"U-{uuid.uuid4().hex[:8].upper()}"
    unit = c.directory.add_unit(ADMIN, code, "区供电公司")
    case = forwarded_case(c.appeals, "zichuan-2020", "2026-10-12 09:00", "2026-10-12 10:00", unit=code)
    for hour in (11, 13):
        c.appeals.answer(case.id, ADMIN, kind="final", content="已办结。", occurred_at=sh(f"2026-10-12 {hour}:00"))
        c.appeals.return_for_redo(case.id, PLATFORM, reason="答复不实", occurred_at=sh(f"2026-10-12 {hour}:30"))
    c.run_accountability()
    record = c.accountability.record_of(code)
    assert record is not None and record.consequences
    return {"appeals": case.id, "directory": unit.id, "accountability": UnitAccountability.create_id(code)}


@pytest.fixture
def recorded(container: Container) -> dict[str, UUID]:
    return record_one_of_each(container)


@pytest.mark.parametrize("app", APPS)
def test_update_of_a_stored_event_is_refused_and_the_row_is_unchanged(store, recorded, app):
    before = store.row(app, recorded[app])
    table, key = store.table(app), store.key(recorded[app])
    store.refused(f"UPDATE {table} SET state = %s WHERE originator_id = %s", b"{}", key)
    store.refused(f"UPDATE {table} SET topic = 'caseledger:Forged' WHERE originator_id = %s", key)
    store.refused(f"UPDATE {table} SET originator_version = originator_version + 1000 WHERE originator_id = %s", key)
    assert store.row(app, recorded[app]) == before


@pytest.mark.parametrize("app", APPS)
def test_delete_of_a_stored_event_is_refused_and_the_row_stays(store, recorded, app):
    before = store.row(app, recorded[app])
    store.refused(f"DELETE FROM {store.table(app)} WHERE originator_id = %s", store.key(recorded[app]))
    assert store.row(app, recorded[app]) == before


def test_an_insert_that_would_overwrite_a_stored_event_is_refused(store, recorded):
    """An upsert fires the UPDATE trigger; SQLite's REPLACE deletes without firing it, so inserts meeting
    a stored row's key or rowid are refused there."""
    table, key = store.table("appeals"), store.key(recorded["appeals"])
    before = store.row("appeals", recorded["appeals"])
    overwrites = [
        f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES (%s, 1, 'x', %s) "
        "ON CONFLICT (originator_id, originator_version) DO UPDATE SET state = excluded.state"
    ]
    if store.kind == "sqlite":
        overwrites += [
            f"INSERT OR REPLACE INTO {table} (originator_id, originator_version, topic, state) VALUES (%s, 1, 'x', %s)",
            f"REPLACE INTO {table} (rowid, originator_id, originator_version, topic, state) "
            f"VALUES ({before[0]}, %s, 99, 'x', %s)",
        ]
    for statement in overwrites:
        store.refused(statement, key, b"{}")
    assert store.row("appeals", recorded["appeals"]) == before


def test_sqlite_delete_without_where_is_refused_the_truncate_optimisation_being_off(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    c, store = bootstrap(Settings(database_url=url, secret_key="t", log_key_file=LOG_KEY_FILE)), Store(url)
    try:
        record_one_of_each(c)
        before = store.dump("stored_events")
        assert store.refused("DELETE FROM stored_events").args[0] == message("DELETE", "stored_events")
        assert store.dump("stored_events") == before and len(before) > 5
    finally:
        store.close()
        c.close()


def test_postgres_truncate_of_each_events_table_is_refused(postgres_url):
    c, store = (
        bootstrap(Settings(database_url=postgres_url, secret_key="t", log_key_file=LOG_KEY_FILE)),
        Store(postgres_url),
    )
    try:
        record_one_of_each(c)
        before = {table: store.dump(table) for table in PG_TABLES.values()}
        for table in PG_TABLES.values():
            assert store.refused(f"TRUNCATE {table}").diag.message_primary == message("TRUNCATE", table)
            store.refused(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        store.refused("TRUNCATE " + ", ".join(PG_TABLES.values()))
        assert {table: store.dump(table) for table in PG_TABLES.values()} == before
    finally:
        store.close()
        c.close()


def test_the_error_names_the_rule_the_operation_and_the_table(store, recorded):
    table, key = store.table("directory"), store.key(recorded["directory"])
    update = store.refused(f"UPDATE {table} SET state = state WHERE originator_id = %s", key)
    delete = store.refused(f"DELETE FROM {table} WHERE originator_id = %s", key)
    if store.kind == "sqlite":
        assert isinstance(update, sqlite3.IntegrityError) and update.sqlite_errorname == "SQLITE_CONSTRAINT_TRIGGER"
        assert (str(update), str(delete)) == (message("UPDATE", table), message("DELETE", table))
    else:
        assert isinstance(update, psycopg.errors.RaiseException) and update.sqlstate == "P0001"
        assert (update.diag.message_primary, delete.diag.message_primary) == (
            message("UPDATE", table),
            message("DELETE", table),
        )
        assert update.diag.message_detail == f"table public.{table}"
        assert "append a new one" in update.diag.message_hint


def test_through_the_event_stores_connection_a_refusal_is_the_librarys_error_and_never_an_outage(container, recorded):
    """On PostgreSQL a ProgrammingError (never retried, never a 503), on SQLite an IntegrityError."""
    recorder = container.appeals.recorder
    with (
        pytest.raises((ProgrammingError, IntegrityError)) as caught,
        recorder.datastore.transaction(commit=True) as curs,
    ):
        curs.execute(f"DELETE FROM {recorder.events_table_name}")
    expected = IntegrityError if container.database.kind == "sqlite" else ProgrammingError
    assert type(caught.value) is expected and not isinstance(caught.value, UNAVAILABLE)
    assert message("DELETE", recorder.events_table_name) in str(caught.value)
    assert container.appeals.get(recorded["appeals"]) is not None


def test_protecting_twice_is_harmless_and_events_are_still_recorded(database_url, container, store, recorded):
    for app in (container.appeals, container.directory, container.accountability):
        protect_recorder(app.recorder)
        protect_recorder(app.recorder)
    again = bootstrap(
        Settings(database_url=database_url, secret_key="t", log_key_file=LOG_KEY_FILE)
    )  # a second process starting
    try:
        if store.kind == "sqlite":
            triggers = store.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'stored_events'"
            )
            assert len(triggers) == 3
        else:
            triggers = store.execute(
                "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
                "WHERE tgname LIKE 'caseledger%' AND tgrelid::regclass::text LIKE '%\\_events' "
                "ORDER BY 1, 2"
            )
            assert [(t, e) for t, _, e in triggers] == [(t, "O") for t in sorted(PG_TABLES.values()) for _ in "ab"]
            assert store.execute("SELECT count(*) FROM pg_proc WHERE proname = %s", FUNCTION) == [(1,)]
        more = record_one_of_each(again)  # new events, through every service
        assert {app: store.row(app, more[app])[2] for app in APPS} == dict.fromkeys(APPS, 1)
        store.refused(f"DELETE FROM {store.table('appeals')} WHERE originator_id = %s", store.key(more["appeals"]))
    finally:
        again.close()


def test_new_events_are_still_recorded_through_every_service(container, store, recorded):
    """Appeals, approvals (in the appeals' log), the directory and the accountability process."""
    department = container.directory.add_unit(ADMIN, f"D-{uuid.uuid4().hex[:6].upper()}", "区住建局").code
    approval = submit(container.approvals, "2026-10-14 09:00", "joint-completion-acceptance", [department])
    assert store.row("appeals", approval.id)[2:4] == (1, "caseledger:Approval.Submitted")
    case = container.appeals.answer(
        recorded["appeals"], ADMIN, kind="final", content="再次办结。", occurred_at=sh("2026-10-12 15:00")
    )
    assert case.version == 7 and [e.type for e in container.appeals.history(case.id)][-1] == "Answered"
    user = container.directory.add_user(ADMIN, f"clerk-{uuid.uuid4().hex[:6]}", "platform", "a long passphrase")
    assert store.row("directory", user.id)[2] == 1
    more = record_one_of_each(container)
    assert all(store.row(app, more[app])[2] == 1 for app in APPS)


def test_protect_table_guards_another_append_only_table_under_its_own_rule(container, store):
    kinds = ["", " WITHOUT ROWID"] if store.kind == "sqlite" else [""]
    for suffix in kinds:
        table = f"checkpoints_{uuid.uuid4().hex[:8]}"
        store.execute(f"CREATE TABLE {table} (seq INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE){suffix}")
        try:
            protect_table(
                container.appeals.recorder.datastore, table, rule="checkpoints are append-only", refuse_replace=True
            )
            protect_table(container.appeals.recorder, table, rule="checkpoints are append-only", refuse_replace=True)
            store.execute(f"INSERT INTO {table} VALUES (1, 'aa'), (2, 'bb')")
            update = store.refused(f"UPDATE {table} SET digest = 'cc' WHERE seq = 2")
            assert f"caseledger: checkpoints are append-only: UPDATE of {table} refused" in str(update)
            store.refused(f"DELETE FROM {table}")
            if store.kind == "sqlite":
                store.refused(f"REPLACE INTO {table} VALUES (2, 'forged')")
                store.refused(f"REPLACE INTO {table} VALUES (3, 'bb')")
            else:
                store.refused(f"TRUNCATE {table}")
            assert store.execute(f"SELECT * FROM {table} ORDER BY seq") == [(1, "aa"), (2, "bb")]
        finally:
            store.execute(f"DROP TABLE {table}")  # a table of this test alone; dropping is not refused
    with pytest.raises(TypeError):
        protect_table(object(), "checkpoints")


def test_sqlite_another_table_appended_with_on_conflict_do_nothing_keeps_it_by_default(tmp_path):
    """Only ``refuse_replace=True`` refuses a duplicate insert (and REPLACE): by default it is ignored, as on
    PostgreSQL."""
    path = tmp_path / "side.sqlite3"
    store, datastore = Store(f"sqlite:///{path}"), SQLiteDatastore(str(path))
    try:
        store.execute("CREATE TABLE merkle_sequence (seq INTEGER PRIMARY KEY, digest TEXT)")
        protect_table(datastore, "merkle_sequence", "the Merkle sequence is append-only")
        store.execute("INSERT INTO merkle_sequence VALUES (1, 'aa')")
        store.execute("INSERT INTO merkle_sequence VALUES (1, 'bb') ON CONFLICT DO NOTHING")
        store.execute("INSERT OR IGNORE INTO merkle_sequence VALUES (1, 'bb')")
        assert str(store.refused("UPDATE merkle_sequence SET digest = 'cc'")) == (
            "caseledger: the Merkle sequence is append-only: UPDATE of merkle_sequence refused"
        )
        assert store.execute("SELECT * FROM merkle_sequence") == [(1, "aa")]
    finally:
        store.close()
        datastore.close()


def test_postgres_a_start_that_finds_the_triggers_in_place_takes_no_lock_on_the_events_tables(postgres_url):
    """A long (anti-wraparound) vacuum holds SHARE UPDATE EXCLUSIVE: CREATE TRIGGER would wait behind it,
    and every insert behind that."""
    c = bootstrap(Settings(database_url=postgres_url, secret_key="t", log_key_file=LOG_KEY_FILE))
    done = threading.Event()
    starting = threading.Thread(
        target=lambda: (protect_recorder(c.appeals.recorder), protect_recorder(c.accountability.recorder), done.set()),
        daemon=True,
    )
    try:
        with psycopg.connect(postgres_url) as vacuum:
            for table in PG_TABLES.values():
                vacuum.execute(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")
            starting.start()
            starting.join(timeout=10)
            vacuum.rollback()
        assert done.is_set()
    finally:
        if starting.is_alive():
            starting.join(timeout=10)
        c.close()


def throwaway_postgres():
    """A database of one test alone, for what must never be done to the session's event store."""
    return scratch_postgres(prefix="caseledger_append")


@contextmanager
def protected_appeal(url: str, profiles, calendars) -> Iterator[tuple[AppealService, Store, UUID]]:
    appeals = AppealService(database_from_url(url).env, profiles=profiles, calendars=calendars.for_jurisdiction)
    store = Store(url)
    try:
        protect_recorder(appeals.recorder)
        case = forwarded_case(appeals, "zichuan-2020", "2026-10-12 09:00", "2026-10-12 10:00")
        yield appeals, store, case.id
    finally:
        store.close()
        appeals.close()


def test_postgres_a_superuser_with_session_replication_role_replica_bypasses_the_triggers(profiles, calendars):
    """What the triggers cannot stop (the docs say so): the Merkle log is what catches this case."""
    with throwaway_postgres() as url, protected_appeal(url, profiles, calendars) as (appeals, store, case_id):
        store.refused("UPDATE appeals_events SET state = %s WHERE originator_id = %s", b"{}", case_id)
        store.conn.execute("SET session_replication_role = replica")
        store.conn.execute(
            "UPDATE appeals_events SET topic = 'caseledger:Forged' WHERE originator_id = %s AND originator_version = 1",
            (case_id,),
        )
        store.conn.execute("DELETE FROM appeals_events WHERE originator_id = %s AND originator_version = 2", (case_id,))
        assert store.execute(
            "SELECT originator_version, topic FROM appeals_events WHERE originator_id = %s", case_id
        ) == [(1, "caseledger:Forged")]


def test_postgres_the_tables_owner_can_disable_or_drop_the_triggers_and_the_next_start_rearms_them(profiles, calendars):
    with throwaway_postgres() as url, protected_appeal(url, profiles, calendars) as (appeals, store, case_id):
        store.conn.execute("ALTER TABLE appeals_events DISABLE TRIGGER caseledger_append_only")
        store.conn.execute("DROP TRIGGER caseledger_append_only_truncate ON appeals_events")
        store.conn.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN OLD; END'"
        )  # a neutered rule
        store.conn.execute(
            "UPDATE appeals_events SET topic = 'caseledger:Forged' WHERE originator_id = %s AND originator_version = 2",
            (case_id,),
        )
        protect_recorder(appeals.recorder)  # what the next start does
        store.refused("UPDATE appeals_events SET topic = 'x' WHERE originator_id = %s", case_id)
        store.refused("TRUNCATE appeals_events")
        assert store.execute(
            "SELECT topic FROM appeals_events WHERE originator_id = %s AND originator_version = 2", case_id
        ) == [("caseledger:Forged",)]


def test_sqlite_a_dropped_trigger_is_put_back_by_the_next_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    c, store = bootstrap(Settings(database_url=url, secret_key="t", log_key_file=LOG_KEY_FILE)), Store(url)
    try:
        case_id = record_one_of_each(c)["appeals"]
        store.execute("DROP TRIGGER caseledger_append_only_delete_stored_events")
        store.execute(
            "DELETE FROM stored_events WHERE originator_id = %s AND originator_version = 5", case_id.hex
        )  # what whoever can write the file can do
        protect_recorder(c.appeals.recorder)  # what the next start does
        store.refused("DELETE FROM stored_events WHERE originator_id = %s", case_id.hex)
        assert [
            v
            for (v,) in store.execute(
                "SELECT originator_version FROM stored_events WHERE originator_id = %s", case_id.hex
            )
        ] == [1, 2, 3, 4, 6]
    finally:
        store.close()
        c.close()


def test_postgres_the_function_and_triggers_live_in_the_configured_schema(postgres_url, profiles, calendars):
    schema = f"ledger_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with protected_appeal(f"{postgres_url}?schema={schema}", profiles, calendars) as (_, store, case_id):
            assert store.execute(
                "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE p.proname = %s AND n.nspname = %s",
                FUNCTION,
                schema,
            ) == [(schema,)]
            error = store.refused(f"DELETE FROM {schema}.appeals_events WHERE originator_id = %s", case_id)
            assert error.diag.message_detail == f"table {schema}.appeals_events"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")  # a schema of this test alone
