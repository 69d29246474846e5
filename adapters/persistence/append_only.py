"""Stored events are append-only, and the database itself refuses to change or remove them.

The event log is the record: every case, user and consequence is what its
events say. The library only ever inserts into an events table, so an UPDATE
or DELETE there can only be a mistake (a hand-written fix, a stray script, a
bug in new code) or tampering. Triggers make the database refuse both, with
a message naming the rule, e.g.::

    caseledger: stored events are append-only: UPDATE of appeals_events refused

- PostgreSQL: one function, ``<schema>.caseledger_refuse_change()``, raises
  SQLSTATE P0001 with a HINT; a row-level ``BEFORE UPDATE OR DELETE`` trigger
  and a statement-level ``BEFORE TRUNCATE`` trigger call it. ``ON CONFLICT DO
  UPDATE`` and ``MERGE`` fire them too. A psycopg connection sees
  ``psycopg.errors.RaiseException`` (a ``psycopg.ProgrammingError``); the
  library's datastore re-raises it as ``eventsourcing.persistence.ProgrammingError``.
  Not '2F003': psycopg maps class 2F to ``OperationalError``, which the
  library's recorders retry ten times and ``adapters.persistence.pg_pool.UNAVAILABLE``
  reads as "the database is down" (a 503).
- SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers ``RAISE(ABORT, ...)``
  (they also turn off the truncate optimisation, so ``DELETE FROM t`` without
  WHERE is refused too). SQLite deletes a row that ``INSERT OR REPLACE``
  displaces without firing DELETE triggers, so on the events table a ``BEFORE
  INSERT`` trigger refuses an insert that meets an existing row's rowid or
  unique key (a key clash fails as before, only with this message). Another
  table gets it only with ``refuse_replace=True``: a duplicate ``INSERT OR
  IGNORE`` / ``ON CONFLICT DO NOTHING`` is then refused instead of ignored,
  unlike on PostgreSQL. The driver raises ``sqlite3.IntegrityError``
  (SQLITE_CONSTRAINT_TRIGGER); the library's datastore, ``eventsourcing.persistence.IntegrityError``.

Installing is idempotent: every process runs it at start, under
``adapters.persistence.database.schema_lock`` (PostgreSQL's catalog updates race). On
PostgreSQL a start that finds both triggers in place, enabled and current
changes nothing and takes no lock; otherwise it puts them back, enabled.
Triggers cannot stop the tables' owner (the account the service connects
as), who can drop or disable them, a superuser, who can also ``SET
session_replication_role = replica``, or whoever can write a SQLite file.
The Merkle log makes such changes detectable.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg import sql

EVENTS_RULE = "stored events are append-only"
FUNCTION = "caseledger_refuse_change"
ROW_TRIGGER = "caseledger_append_only"
TRUNCATE_TRIGGER = "caseledger_append_only_truncate"

_FUNCTION_BODY = """
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'P0001',
        MESSAGE = format('caseledger: %s: %s of %s refused',
                         coalesce(TG_ARGV[0], 'this table is append-only'), TG_OP, TG_TABLE_NAME),
        DETAIL = format('table %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME),
        HINT = 'Rows here are never changed or removed: append a new one that corrects or supersedes it.';
END
"""


def protect_recorder(recorder: Any) -> None:
    """Installs the triggers on an application (or process) recorder's events table."""
    protect_table(recorder, recorder.events_table_name, rule=EVENTS_RULE, refuse_replace=True)


def protect_table(
    recorder_or_datastore: Any, table: str, rule: str = "this table is append-only", *, refuse_replace: bool = False
) -> None:
    """Makes ``table`` (in the datastore's database, and schema on PostgreSQL) refuse UPDATE, DELETE and
    TRUNCATE; ``rule`` is named in the error. ``refuse_replace`` (SQLite only): see the module's docstring."""
    datastore = getattr(recorder_or_datastore, "datastore", recorder_or_datastore)
    if isinstance(datastore, PostgresDatastore):
        _protect_postgres(datastore, table, rule)
    elif isinstance(datastore, SQLiteDatastore):
        _protect_sqlite(datastore, table, rule, refuse_replace)
    else:
        raise TypeError(f"protect_table needs a recorder or a PostgreSQL/SQLite datastore, not {datastore!r}")


def _protect_postgres(datastore: PostgresDatastore, table: str, rule: str) -> None:
    function = sql.Identifier(datastore.schema, FUNCTION)
    target = sql.Identifier(datastore.schema, table)
    with datastore.transaction(commit=True) as curs:
        # Both triggers in place, enabled, unconditional, with this rule, calling this version of the function:
        # no DDL, whose lock would queue behind (say) a long autovacuum, and every insert behind it.
        curs.execute(
            "SELECT t.tgname, t.tgtype, t.tgenabled, t.tgqual IS NULL AND t.tgattr::text = '' AS plain, "
            "t.tgargs, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = "
            "to_regclass(%s) AND p.pronamespace = to_regnamespace(%s) AND p.proname = %s",
            (target.as_string(curs), sql.Identifier(datastore.schema).as_string(curs), FUNCTION),
        )
        found = {
            (r["tgname"], r["tgtype"], r["tgenabled"], r["plain"], bytes(r["tgargs"]), r["prosrc"])
            for r in curs.fetchall()
        }
        args = rule.encode() + b"\0"
        if found == {
            (ROW_TRIGGER, 27, "O", True, args, _FUNCTION_BODY),  # ROW | BEFORE | DELETE | UPDATE
            (TRUNCATE_TRIGGER, 34, "O", True, args, _FUNCTION_BODY),
        }:  # BEFORE | TRUNCATE
            return
        curs.execute(
            sql.SQL("CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}").format(
                function, sql.Literal(_FUNCTION_BODY)
            )
        )
        for name, timing in (
            (ROW_TRIGGER, "BEFORE UPDATE OR DELETE ON {} FOR EACH ROW"),
            (TRUNCATE_TRIGGER, "BEFORE TRUNCATE ON {} FOR EACH STATEMENT"),
        ):
            curs.execute(
                sql.SQL("CREATE OR REPLACE TRIGGER {} " + timing + " EXECUTE FUNCTION {}({})").format(
                    sql.Identifier(name), target, function, sql.Literal(rule)
                )
            )


def _protect_sqlite(datastore: SQLiteDatastore, table: str, rule: str, refuse_replace: bool) -> None:
    with datastore.transaction(commit=True) as curs:
        statements = [
            _sqlite_trigger(table, op, f"BEFORE {op} ON {_quoted(table)}", f"{op} of {table}", rule)
            for op in ("UPDATE", "DELETE")
        ]
        if refuse_replace:
            clash = " OR ".join(
                f"EXISTS (SELECT 1 FROM {_quoted(table)} WHERE {match})" for match in _unique_keys(curs, table)
            )
            if clash:
                statements.append(
                    _sqlite_trigger(
                        table,
                        "REPLACE",
                        f"BEFORE INSERT ON {_quoted(table)} WHEN {clash}",
                        f"INSERT of a row already in {table}",
                        rule,
                    )
                )
        for statement in statements:
            curs.execute(statement)


def _sqlite_trigger(table: str, op: str, when: str, what: str, rule: str) -> str:
    message = f"caseledger: {rule}: {what} refused".replace("'", "''")
    name = _quoted(f"{ROW_TRIGGER}_{op.lower()}_{table}")
    return f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END"


def _unique_keys(curs: Any, table: str) -> list[str]:
    """A match on NEW for the rowid (unless WITHOUT ROWID) and for each unique index on plain columns."""
    curs.execute(f"PRAGMA table_list({_quoted(table)})")
    listed = curs.fetchone()
    if listed is None:
        raise ValueError(f"no table {table!r} to protect")
    keys = [] if listed["wr"] else ["rowid = NEW.rowid"]
    curs.execute(f"PRAGMA index_list({_quoted(table)})")
    for index in curs.fetchall():
        if not index["unique"] or index["partial"]:
            continue
        curs.execute(f"PRAGMA index_info({_quoted(index['name'])})")
        columns = [row["name"] for row in curs.fetchall()]
        if columns and None not in columns:  # an index on an expression is left to its constraint
            keys.append(" AND ".join(f"{_quoted(c)} = NEW.{_quoted(c)}" for c in columns))
    return keys


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
