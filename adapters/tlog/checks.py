"""The auditor's two checks of the recorded history: in place, and on an export taken away.

``verify`` re-reads every stored event, re-hashes it, and compares it with
its leaf and the recomputed roots with every signed checkpoint, naming the
first log index that differs. ``export`` writes what the standalone verifier
(``adapters.tlog.verify``, runnable with nothing but Python and
``cryptography``) needs to make the same checks with no database and no
network: the events as leaf data, the stored leaf hashes (to name the index
of a changed event), every checkpoint with its cosignatures, and the log's
and the witnesses' verifier keys. An event the store no longer holds is
exported as an empty record, so every other event keeps its index.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.tlog.checkpoints import Checkpoints
from adapters.tlog.verify import parse_note, verify_note_signature
from domain.tlog.merkle import parse_leaf_data
from projections.tlog import EventRef, MerkleLog, Problem

EXPORT_FORMAT = "caseledger-audit-export/1"


# What the audit trail knows of recorded events: every act of the records whose ids it is given
# (``AuditTrailView.acts_of``: record_id, seq, record, type, case_id, case_no).
ActsOf = Callable[[Sequence[str]], list[dict[str, Any]]]
# Further kinds of problem (``projections.tlog`` names the events' own).
UNSIGNED, SHORT, ROOT = "unsigned", "short", "root"
_CASE_TOPICS = ("caseledger:Appeal.", "caseledger:Approval.")


def verify(log: MerkleLog, checkpoints: Checkpoints, acts_of: ActsOf | None = None) -> dict[str, Any]:
    """As ``GET /api/audit/verify`` answers: ok, events checked, the latest checkpoint, the problems.

    A problem with an event names it: the case's number and id (for an event of a case), the
    event's sequence number in its record and its type, from the audit trail (``acts_of``), which
    remembers an event the store no longer holds, or else from the stored event itself."""
    issued = checkpoints.all()
    result = log.verify([c.size for c in issued])
    problems = named(result.problems, acts_of)
    verifier = checkpoints.signer.verifier()
    matched = 0
    for record in issued:
        body, signatures = parse_note(record.note)
        if not any(verify_note_signature(body, s, verifier) for s in signatures):
            problems.append(
                _problem(None, f"the checkpoint at size {record.size} does not bear the log's signature", UNSIGNED)
            )
        recomputed = result.roots.get(record.size)
        if recomputed is None:
            problems.append(
                _problem(
                    result.events_checked,
                    f"the log holds {result.events_checked} events, fewer than the "
                    f"{record.size} its checkpoint covers: events were removed",
                    SHORT,
                )
            )
        elif recomputed != record.root:
            problems.append(
                _problem(
                    matched,
                    f"the root recomputed from the events differs from the signed "
                    f"checkpoint at size {record.size}: the first difference is at or "
                    f"after index {matched}",
                    ROOT,
                )
            )
        else:
            matched = record.size
    problems.sort(key=lambda p: (p["index"] is None, p["index"] or 0))
    head = issued[-1] if issued else None
    return {
        "ok": not problems,
        "events_checked": result.events_checked,
        "head": None if head is None else {"size": head.size, "root": base64.b64encode(head.root).decode()},
        "problems": problems,
    }


def _problem(index: int | None, message: str, kind: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    named = event or {}
    return {
        "index": index,
        "problem": message,
        "kind": kind,
        "case_id": named.get("case_id"),
        "case_no": named.get("case_no"),
        "seq": named.get("seq"),
        "type": named.get("type"),
        "record_id": named.get("record_id"),
        "record": named.get("record"),
    }


def named(problems: Sequence[Problem], acts_of: ActsOf | None) -> list[dict[str, Any]]:
    """The problems as the API gives them, each event named (see ``verify``)."""
    names = describe([p.event for p in problems if p.event is not None], acts_of)
    return [
        _problem(
            p.index, p.message, p.kind, names.get((str(p.event.originator_id), p.event.version)) if p.event else None
        )
        for p in problems
    ]


def describe(events: Sequence[EventRef], acts_of: ActsOf | None) -> dict[tuple[str, int], dict[str, Any]]:
    """Each event by (record id, version): its record's id, the case's id and number (an event of a
    case), its sequence number and its type."""
    acts = acts_of(sorted({str(e.originator_id) for e in events})) if acts_of and events else []
    types = {(str(a["record_id"]), a["seq"]): a["type"] for a in acts}
    records = {str(a["record_id"]): a["record"] for a in acts}
    cases = {str(a["record_id"]): (str(a["case_id"]), a["case_no"]) for a in acts if a["case_id"] and a["case_no"]}
    cases = {k: v for k, v in cases.items() if v[0] == k}  # the record is the case itself
    out = {}
    for e in events:
        record = str(e.originator_id)
        case_id, case_no = cases.get(record, (None, None))
        kind = records.get(record)
        if e.topic and e.topic.startswith(_CASE_TOPICS):
            case_id = case_id or record
            kind = kind or e.topic.split(":", 1)[1].split(".", 1)[0].lower()  # Appeal -> appeal
        out[(record, e.version)] = {
            "record_id": record,
            "record": kind,
            "case_id": case_id,
            "case_no": case_no,
            "seq": e.version,
            "type": types.get((record, e.version)) or event_type(e.topic),
        }
    return out


def event_type(topic: str | None) -> str | None:
    """The trail's name for an event of ``topic``: a case event's class name (Forwarded), another
    record's with its record's (Unit.Registered)."""
    if not topic:
        return None
    name = topic.split(":", 1)[-1]
    return name.split(".", 1)[1] if topic.startswith(_CASE_TOPICS) else name


@dataclass(frozen=True)
class Exported:
    directory: Path
    size: int
    checkpoints: int
    witnesses: int


def export(
    log: MerkleLog, checkpoints: Checkpoints, directory: Path, exported_at: str, acts_of: ActsOf | None = None
) -> Exported:
    """Writes an export of the whole log as its latest checkpoint covers it (a new one is issued
    first if the log has grown) into ``directory``, which must be new or empty; with events.jsonl,
    each event named as ``verify`` names one (``acts_of``: the audit trail)."""
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty; an export goes into a new directory")
    head = checkpoints.issue()
    issued = [c for c in checkpoints.all() if c.size <= head.size]
    (directory / "checkpoints").mkdir(parents=True, exist_ok=True)
    _write(directory / "log.vkey", checkpoints.vkey() + "\n")
    witnesses = checkpoints.witnesses()
    _write(directory / "witnesses.vkeys", "".join(v + "\n" for v in witnesses.values()))
    for record in issued:
        _write(directory / "checkpoints" / f"{record.size:020d}", checkpoints.note(record))
    pack = struct.Struct(">I").pack
    with (
        open(directory / "events.bin", "wb") as events,
        open(directory / "leaves.bin", "wb") as leaves,
        open(directory / "events.jsonl", "w", encoding="utf-8") as located,
    ):
        batch: list[EventRef] = []
        for leaf, data in log.records(stop=head.size):
            events.write(pack(len(data or b"")))
            events.write(data or b"")
            leaves.write(leaf.hash)
            batch.append(EventRef(leaf.application, leaf.originator_id, leaf.originator_version, _topic_of(data)))
            if len(batch) >= 1000:
                _locate(located, batch, acts_of)
                batch = []
        _locate(located, batch, acts_of)
    _write(
        directory / "manifest.json",
        json.dumps(
            {
                "format": EXPORT_FORMAT,
                "origin": checkpoints.origin,
                "size": head.size,
                "exported_at": exported_at,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
    )
    return Exported(directory, head.size, len(issued), len(witnesses))


def _locate(out: Any, events: Sequence[EventRef], acts_of: ActsOf | None) -> None:
    """events.jsonl: a line for each event, as ``describe`` names it."""
    names = describe(events, acts_of)
    for e in events:
        n = names[(str(e.originator_id), e.version)]
        record = {"record": n["record_id"], "seq": n["seq"], "type": n["type"], "case_no": n["case_no"]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _topic_of(data: bytes | None) -> str | None:
    try:
        return parse_leaf_data(data)[3] if data else None
    except ValueError:
        return None


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
