"""The Merkle log's storage on SQLite and PostgreSQL.

``merkle_leaves`` is the order the log assigned (one row per event: where it
was read from, whose event it is, its leaf hash); ``merkle_nodes`` holds the
hash of every complete subtree above the leaves, so a proof reads a few rows;
``merkle_checkpoints`` keeps every signed checkpoint and
``merkle_cosignatures`` the witnesses' signatures on them. The leaves, the
checkpoints and the cosignatures are records in their own right and refuse
UPDATE, DELETE and TRUNCATE as the events do (``adapters.persistence.append_only``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from adapters.persistence.append_only import protect_table
from projections.tlog import TRACKING_SUFFIX, CheckpointRecord, Leaf, MerkleView

APPEND_ONLY = ("merkle_leaves", "merkle_checkpoints", "merkle_cosignatures")
LEAF_COLUMNS = "idx, source, notification_id, application, originator_id, originator_version, hash"


def _tables(uuid: str, blob: str, instant: str, big: str) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS merkle_leaves (idx {big} PRIMARY KEY, source text NOT NULL, "
        f"notification_id {big} NOT NULL, application text NOT NULL, originator_id {uuid} NOT NULL, "
        f"originator_version {big} NOT NULL, hash {blob} NOT NULL, UNIQUE (source, notification_id))",
        "CREATE INDEX IF NOT EXISTS merkle_leaves_originator ON merkle_leaves (originator_id, originator_version)",
        f"CREATE TABLE IF NOT EXISTS merkle_nodes (level integer NOT NULL, idx {big} NOT NULL, "
        f"hash {blob} NOT NULL, PRIMARY KEY (level, idx))",
        f"CREATE TABLE IF NOT EXISTS merkle_checkpoints (size {big} PRIMARY KEY, root {blob} NOT NULL, "
        f"note text NOT NULL, issued_at {instant} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS merkle_cosignatures (size {big} NOT NULL, witness text NOT NULL, "
        f"key_id {blob} NOT NULL, line text NOT NULL, added_at {instant} NOT NULL, "
        "PRIMARY KEY (size, witness, key_id))",
        "CREATE TABLE IF NOT EXISTS merkle_witnesses (name text PRIMARY KEY, vkey text NOT NULL)",
    ]


class _Queries(MerkleView):
    """The SQL both databases share; ``p`` is the driver's placeholder."""

    p = "?"
    # The recorder's own, which the concrete view inherits: a SQLite or a PostgreSQL datastore, whose
    # cursors give tuples or dicts.
    datastore: Any
    if TYPE_CHECKING:

        def max_tracking_id(self, application_name: str) -> int | None: ...

    def size(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT max(idx) AS top FROM merkle_leaves")
            top = _first(c.fetchone())
        return 0 if top is None else top + 1

    def position(self, source: str) -> int:
        return self.max_tracking_id(source + TRACKING_SUFFIX) or 0

    def read_nodes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        leaves = sorted({i for level, i in keys if level == 0})
        inner = sorted({(level, i) for level, i in keys if level > 0})
        found: dict[tuple[int, int], bytes] = {}
        with self.datastore.transaction(commit=False) as c:
            if leaves:
                c.execute(self._leaf_hashes(len(leaves)), self._list(leaves))
                found.update(((0, _at(r, 0)), bytes(_at(r, 1))) for r in c.fetchall())
            if inner:
                c.execute(self._node_hashes(len(inner)), [v for key in inner for v in key])
                found.update(((_at(r, 0), _at(r, 1)), bytes(_at(r, 2))) for r in c.fetchall())
        return found

    def _leaf_hashes(self, n: int) -> str:
        return f"SELECT idx, hash FROM merkle_leaves WHERE idx IN ({', '.join([self.p] * n)})"

    def _node_hashes(self, n: int) -> str:
        pairs = " OR ".join([f"(level = {self.p} AND idx = {self.p})"] * n)
        return f"SELECT level, idx, hash FROM merkle_nodes WHERE {pairs}"

    def _list(self, values: list[int]) -> Sequence[Any]:
        return values

    def leaves(self, start: int, stop: int) -> list[Leaf]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {LEAF_COLUMNS} FROM merkle_leaves WHERE idx >= {self.p} AND idx < {self.p} ORDER BY idx",
                (start, stop),
            )
            return [self._leaf(r) for r in c.fetchall()]

    def leaves_of(self, application: str, originator_id: UUID) -> dict[int, tuple[int, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, idx, hash FROM merkle_leaves WHERE originator_id = {self.p} "
                f"AND application = {self.p}",
                (self._uuid(originator_id), application),
            )
            return {_at(r, 0): (_at(r, 1), bytes(_at(r, 2))) for r in c.fetchall()}

    def checkpoints(self) -> list[CheckpointRecord]:
        return self._checkpoints("", ())

    def checkpoint(self, size: int | None = None) -> CheckpointRecord | None:
        if size is None:
            found = self._checkpoints(" WHERE size = (SELECT max(size) FROM merkle_checkpoints)", ())
        else:
            found = self._checkpoints(f" WHERE size = {self.p}", (size,))
        return found[0] if found else None

    def _checkpoints(self, where: str, params: tuple[Any, ...]) -> list[CheckpointRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT size, root, note, issued_at FROM merkle_checkpoints{where} ORDER BY size", params)
            rows = c.fetchall()
            c.execute(f"SELECT size, line FROM merkle_cosignatures{where} ORDER BY size, added_at, witness", params)
            lines: dict[int, list[str]] = {}
            for r in c.fetchall():
                lines.setdefault(_at(r, 0), []).append(_at(r, 1))
        return [
            CheckpointRecord(
                _at(r, 0), bytes(_at(r, 1)), _at(r, 2), self._instant(_at(r, 3)), tuple(lines.get(_at(r, 0), ()))
            )
            for r in rows
        ]

    def add_checkpoint(self, record: CheckpointRecord) -> CheckpointRecord:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO merkle_checkpoints (size, root, note, issued_at) VALUES "
                f"({self.p}, {self.p}, {self.p}, {self.p}) ON CONFLICT (size) DO NOTHING",
                (record.size, record.root, record.note, self._stamp(record.issued_at)),
            )
        kept = self.checkpoint(record.size)
        assert kept is not None
        return kept

    def add_cosignature(self, size: int, witness: str, key_id: bytes, line: str, at: datetime) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO merkle_cosignatures (size, witness, key_id, line, added_at) VALUES "
                f"({self.p}, {self.p}, {self.p}, {self.p}, {self.p}) ON CONFLICT DO NOTHING",
                (size, witness, key_id, line, self._stamp(at)),
            )

    def witnesses(self) -> dict[str, str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name, vkey FROM merkle_witnesses ORDER BY name")
            return {_at(r, 0): _at(r, 1) for r in c.fetchall()}

    def add_witness(self, name: str, vkey: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO merkle_witnesses (name, vkey) VALUES ({self.p}, {self.p}) ON CONFLICT (name) DO NOTHING",
                (name, vkey),
            )

    def _leaf(self, r: Any) -> Leaf:
        v = list(r.values()) if isinstance(r, dict) else r
        return Leaf(v[0], v[1], v[2], v[3], self._from_uuid(v[4]), v[5], bytes(v[6]))

    def _uuid(self, value: UUID) -> Any:
        return value

    def _from_uuid(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(value)

    def _stamp(self, value: datetime) -> Any:
        return value

    def _instant(self, value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class SQLiteMerkleView(_Queries, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *_tables(uuid="text", blob="blob", instant="text", big="integer"),
        ]

    def create_table(self) -> None:
        super().create_table()
        for table in APPEND_ONLY:
            protect_table(self, table)

    def append(self, leaves: Sequence[Leaf], nodes: Sequence[tuple[int, int, bytes]], tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO merkle_leaves ({LEAF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        leaf.index,
                        leaf.source,
                        leaf.notification_id,
                        leaf.application,
                        str(leaf.originator_id),
                        leaf.originator_version,
                        leaf.hash,
                    )
                    for leaf in leaves
                ],
            )
            c.executemany("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
            self._insert_tracking(c, tracking)

    def _uuid(self, value: UUID) -> Any:
        return str(value)

    def _stamp(self, value: datetime) -> Any:
        return value.isoformat()


class PostgresMerkleView(_Queries, PostgresTrackingRecorder):
    p = "%s"

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(s)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable, SQL too
            for s in _tables(uuid="uuid", blob="bytea", instant="timestamptz", big="bigint")
        ]

    def create_table(self) -> None:
        super().create_table()
        for table in APPEND_ONLY:
            protect_table(self, table)

    def _leaf_hashes(self, n: int) -> str:
        return "SELECT idx, hash FROM merkle_leaves WHERE idx = ANY(%s)"

    def _list(self, values: list[int]) -> Sequence[Any]:
        return (values,)

    def _node_hashes(self, n: int) -> str:
        return (
            "SELECT n.level, n.idx, n.hash FROM merkle_nodes n JOIN (VALUES "
            + ", ".join(["(%s::integer, %s::bigint)"] * n)
            + ") AS k (level, idx) USING (level, idx)"
        )

    def append(self, leaves: Sequence[Leaf], nodes: Sequence[tuple[int, int, bytes]], tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            with c.copy(f"COPY merkle_leaves ({LEAF_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "text", "int8", "text", "uuid", "int8", "bytea"])
                for leaf in leaves:
                    copy.write_row(leaf)
            with c.copy("COPY merkle_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "int8", "bytea"])
                for node in nodes:
                    copy.write_row(node)
            self._insert_tracking(c, tracking)


def _at(row: Any, i: int) -> Any:
    """A column by position, whether the driver gives tuples (SQLite) or dicts (the library's psycopg rows)."""
    return row[i] if not isinstance(row, dict) else list(row.values())[i]


def _first(row: Any) -> Any:
    return None if row is None else _at(row, 0)
