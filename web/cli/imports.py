"""``caseledger import workorders FILE``: the city platform's work orders (市转办工单) as appeals.

Each line is judged as ``POST /api/appeals`` judges its body — the same
schema, then the service's own checks (``AppealService.open_many``) — and a
refused line records nothing. A work order is known by its channel + number
(``external_ref``; re-import is idempotent, docs/work-order-import.md): one opened before
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
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from domain.actors import Actor
from domain.appeals.service import AppealService, Opening
from web.work_orders.checks import DEFAULT_CHANNEL, Chunk, checked_chunks, checked_in_background
from web.work_orders.files import WorkOrderFile, WorkOrderFileError, open_work_orders

SOME_REFUSED = 3


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
    orders = actions.add_parser(
        "workorders",
        help="open an appeal for each city 12345 work order of a JSON Lines "
        "or CSV export; a work order already present is left as it is",
    )
    orders.add_argument("file", type=Path)
    orders.add_argument(
        "--format", choices=["jsonl", "csv"], help="default: from the extension (.jsonl, .ndjson, .csv)"
    )
    orders.add_argument(
        "--encoding",
        default="utf-8",
        help="the file's text encoding (default utf-8, with or without a byte-order mark; "
        "a Chinese Excel's CSV may be gb18030)",
    )
    orders.add_argument("--profile", help="the policy profile of a work order that names none")
    orders.add_argument(
        "--channel",
        default=DEFAULT_CHANNEL,
        help=f"the channel of a work order that names none (default {DEFAULT_CHANNEL})",
    )
    orders.add_argument(
        "--batch-size", type=_positive, default=500, help="work orders saved per transaction (default 500)"
    )


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
            print(
                f"caseledger: --profile: no policy profile {args.profile!r}; known: {', '.join(c.profiles.ids())}",
                file=sys.stderr,
            )
            return 2
    from tqdm import tqdm

    work_orders: WorkOrderFile = args.work_orders
    try:
        with tqdm(total=work_orders.lines, unit="line", desc=f"import {work_orders.path.name}", file=sys.stderr) as bar:
            summary = import_work_orders(
                c.appeals,
                operator,
                work_orders,
                profile=args.profile,
                channel=args.channel,
                batch_size=args.batch_size,
                progress=lambda read_to: bar.update(read_to - bar.n),
                background=reader_pays(work_orders, args.batch_size),
            )
    except KeyboardInterrupt:
        print(
            "caseledger: interrupted; the batches saved so far stay: run the same command again to finish",
            file=sys.stderr,
        )
        return 130
    if work_orders.ignored_columns:
        print(f"columns left out (not work-order fields): {', '.join(work_orders.ignored_columns)}", file=sys.stderr)
    for text in summary.lines():
        print(text)
    return SOME_REFUSED if summary.refusals else 0


def reader_pays(work_orders: WorkOrderFile, batch_size: int) -> bool:
    """Whether a reading process of its own is worth its start (most of a second of imports): with a
    core to spare, and a file of a few batches at least."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores > 1 and work_orders.lines > max(4 * batch_size, 2000)


def import_work_orders(
    appeals: AppealService,
    actor: Actor,
    work_orders: WorkOrderFile,
    *,
    profile: str | None = None,
    channel: str = DEFAULT_CHANNEL,
    batch_size: int = 500,
    progress: Callable[[int], object] = lambda read_to: None,
    background: bool = True,
) -> Summary:
    """Every work order of the file opened as an appeal, counted present, or refused with its reason.

    With ``background``, the file is read and each line loaded by the schema in a process of its own
    while this one opens and saves the previous batch: on a machine of two cores or more the import
    then costs little more than the saving."""
    summary = Summary()
    refused_first: dict[int, str] = {}  # line -> why, for the lines repeating it
    read = checked_in_background if background else checked_chunks
    # closing: should saving fail, the reading process is stopped then, not whenever the reader is collected.
    with closing(read(work_orders, profile, channel, batch_size)) as chunks:
        for chunk in chunks:
            _count(
                chunk,
                appeals.open_many(actor, [c.order for c in chunk.lines if c.order is not None]),
                summary,
                refused_first,
            )
            progress(chunk.read_to)
    summary.refusals.sort()
    return summary


def _count(chunk: Chunk, openings: list[Opening], summary: Summary, refused_first: dict[int, str]) -> None:
    new = (line for line in chunk.lines if line.order is not None)
    for line, opening in zip(new, openings):
        if opening.outcome == "refused":
            assert opening.refusal is not None  # a refused work order says why
            refused_first[line.number] = opening.refusal.message
            summary.refusals.append((line.number, opening.refusal.message))
        else:
            summary.created += opening.outcome == "created"
            summary.present += opening.outcome == "present"
    for line in chunk.lines:
        if line.reason is not None:
            summary.refusals.append((line.number, line.reason))
        elif line.repeats is not None and line.repeats in refused_first:
            summary.refusals.append(
                (line.number, f"{refused_first[line.repeats]} (as line {line.repeats}, which it repeats)")
            )
        elif line.repeats is not None:
            summary.present += 1  # the same work order as the earlier line, opened by it
