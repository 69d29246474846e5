"""``caseledger import workorders FILE``: the city platform's work orders (市转办工单) as appeals.

Each line is judged as ``POST /api/appeals`` judges its body — the same
schema, then the service's own checks (``AppealService.open_many``) — and a
refused line records nothing. A work order is known by its channel + number
(``external_ref``; RULES.md §1: re-import is idempotent): one opened before
is counted as already present and left as it stands. The new cases are
saved ``--batch-size`` at a time, each batch in one transaction, so a crash
leaves whole batches behind and a re-run opens exactly the rest.

Standard output gets the summary (created, already present, refused, then
``line N: reason`` for each refusal); standard error the progress bar.
Exit status: 0 when no line was refused, 3 when some were (the others
imported), 1 when the file cannot be read or the database fails (re-run to
finish), 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import marshmallow as ma

from domain.actors import Actor
from domain.application import AppealService
from web.errors import flatten
from web.schemas import OpenAppealSchema, Timestamp, required_text
from web.workspace_text import CATEGORY
from web.work_orders import Line, WorkOrderFile, WorkOrderFileError, open_work_orders

SOME_REFUSED = 3
DEFAULT_CHANNEL = "12345"  # the city hotline's work orders (12345 市转办工单)


class WorkOrderSchema(OpenAppealSchema):
    """A work order: the body of ``POST /api/appeals`` with its number and its receipt time (受理时间)
    required — without them a re-import could not find it, and its deadlines would run from the import."""

    external_ref = required_text(120, metadata={"description": "the platform's work-order number (工单编号)"})
    occurred_at = Timestamp(required=True, metadata={"description": "when the platform received it (受理时间)"})


_SCHEMA = WorkOrderSchema(exclude=("expected_version",))  # a new case has no version to expect


@dataclass
class Summary:
    created: int = 0
    present: int = 0
    refusals: list[tuple[int, str]] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def lines(self) -> Iterator[str]:
        yield f"created: {self.created}"
        yield f"already present: {self.present}"
        yield f"refused: {self.refused}"
        for number, reason in self.refusals:
            yield f"line {number}: {reason}"


def add_parser(commands) -> None:
    imports = commands.add_parser("import", help="bring in records from other systems")
    actions = imports.add_subparsers(dest="action", required=True)
    orders = actions.add_parser("workorders", help="open an appeal for each city 12345 work order of a JSON Lines "
                                                   "or CSV export; a work order already present is left as it is")
    orders.add_argument("file", type=Path)
    orders.add_argument("--format", choices=["jsonl", "csv"],
                        help="default: from the extension (.jsonl, .ndjson, .csv)")
    orders.add_argument("--encoding", default="utf-8",
                        help="the file's text encoding (default utf-8, with or without a byte-order mark; "
                             "a Chinese Excel's CSV may be gb18030)")
    orders.add_argument("--profile", help="the policy profile of a work order that names none")
    orders.add_argument("--channel", default=DEFAULT_CHANNEL,
                        help=f"the channel of a work order that names none (default {DEFAULT_CHANNEL})")
    orders.add_argument("--batch-size", type=_positive, default=500,
                        help="work orders saved per transaction (default 500)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def preflight(args: argparse.Namespace) -> str | None:
    """Before any database is opened: the file can be read as work orders (else why not)."""
    try:
        args.work_orders = open_work_orders(args.file, args.format, args.encoding)
    except WorkOrderFileError as exc:
        return str(exc)
    return None


def run(args: argparse.Namespace, c, operator: Actor) -> int:
    if args.profile is not None:
        try:
            c.profiles.get(args.profile)
        except KeyError:
            print(f"caseledger: --profile: no policy profile {args.profile!r}; known: {', '.join(c.profiles.ids())}",
                  file=sys.stderr)
            return 2
    from tqdm import tqdm

    work_orders: WorkOrderFile = args.work_orders
    with tqdm(total=work_orders.lines, unit="line", desc=f"import {work_orders.path.name}", file=sys.stderr) as bar:
        summary = import_work_orders(c.appeals, operator, work_orders.records(), profile=args.profile,
                                     channel=args.channel, batch_size=args.batch_size,
                                     progress=lambda read_to: bar.update(read_to - bar.n))
    if work_orders.ignored_columns:
        print(f"columns left out (not work-order fields): {', '.join(work_orders.ignored_columns)}", file=sys.stderr)
    for text in summary.lines():
        print(text)
    return SOME_REFUSED if summary.refusals else 0


def import_work_orders(appeals: AppealService, actor: Actor, records: Iterable[Line], *, profile: str | None = None,
                       channel: str = DEFAULT_CHANNEL, batch_size: int = 500,
                       progress: Callable[[int], None] = lambda read_to: None) -> Summary:
    """Every record of a file opened as an appeal, or counted present, or refused with its reason."""
    summary, seen, batch, read_to = Summary(), _SeenInFile(), _Batch(), 0
    for line in records:
        read_to = line.read_to
        order, reason = _loaded(line, profile, channel)
        if reason is None:
            reason = seen.repeat_problem(order, line.number)
        if reason is not None:
            summary.refusals.append((line.number, reason))
        else:
            batch.add(line.number, order, seen.first_of(order))
        if len(batch.orders) >= batch_size:
            batch.open(appeals, actor, summary, seen)
            batch = _Batch()
            progress(read_to)
    batch.open(appeals, actor, summary, seen)
    summary.refusals.sort()
    progress(read_to)
    return summary


def _loaded(line: Line, profile: str | None, channel: str) -> tuple[dict[str, Any], str | None]:
    if line.problem is not None:
        return {}, line.problem
    fields = dict(line.fields or {})
    fields.setdefault("channel", channel)
    if profile is not None:
        fields.setdefault("profile", profile)
    try:
        return _SCHEMA.load(fields), None
    except ma.ValidationError as exc:
        problems = flatten(exc.messages)
        if "category" in problems:  # the export's own words are read too
            problems["category"] += f" (or {', '.join(CATEGORY.values())})"
        return {}, "; ".join(f"{k}: {v}" for k, v in problems.items())


class _SeenInFile:
    """The work orders met so far in the file: a line repeating one is the same work order (counted with
    it) if it says the same, and refused if it says something else."""

    def __init__(self) -> None:
        self._first: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.outcome: dict[int, str] = {}  # first line -> "created", "present" or its refusal

    def repeat_problem(self, order: dict[str, Any], number: int) -> str | None:
        key, digest = self._key(order), _digest(order)
        first = self._first.setdefault(key, (number, digest))
        if first[1] != digest:
            return (f"external_ref: work order {order['external_ref']} (channel {order['channel']}) is on line "
                    f"{first[0]} already, saying something else")
        return None

    def first_of(self, order: dict[str, Any]) -> int:
        return self._first[self._key(order)][0]

    @staticmethod
    def _key(order: dict[str, Any]) -> tuple[str, str]:
        return order["channel"], order["external_ref"]


def _digest(order: dict[str, Any]) -> bytes:
    text = json.dumps(order, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


@dataclass
class _Batch:
    orders: list[dict[str, Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    repeats: list[tuple[int, int]] = field(default_factory=list)  # (line, the line it repeats)

    def add(self, number: int, order: dict[str, Any], first: int) -> None:
        if first != number:
            self.repeats.append((number, first))
        else:
            self.orders.append(order)
            self.numbers.append(number)

    def open(self, appeals: AppealService, actor: Actor, summary: Summary, seen: _SeenInFile) -> None:
        for number, opening in zip(self.numbers, appeals.open_many(actor, self.orders) if self.orders else []):
            if opening.outcome == "refused":
                seen.outcome[number] = opening.refusal.message
                summary.refusals.append((number, opening.refusal.message))
            else:
                seen.outcome[number] = opening.outcome
                summary.created += opening.outcome == "created"
                summary.present += opening.outcome == "present"
        for number, first in self.repeats:
            outcome = seen.outcome[first]
            if outcome in ("created", "present"):
                summary.present += 1  # the work order of the earlier line, opened by it
            else:
                summary.refusals.append((number, f"{outcome} (as line {first}, which it repeats)"))
