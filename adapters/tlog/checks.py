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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.tlog.checkpoints import Checkpoints
from adapters.tlog.verify import parse_note, verify_note_signature
from projections.tlog import MerkleLog

EXPORT_FORMAT = "caseledger-audit-export/1"


def verify(log: MerkleLog, checkpoints: Checkpoints) -> dict[str, Any]:
    """As ``GET /api/audit/verify`` answers: ok, events checked, the latest checkpoint, the problems."""
    issued = checkpoints.all()
    result = log.verify([c.size for c in issued])
    problems = [{"index": p.index, "problem": p.message} for p in result.problems]
    verifier = checkpoints.signer.verifier()
    matched = 0
    for record in issued:
        body, signatures = parse_note(record.note)
        if not any(verify_note_signature(body, s, verifier) for s in signatures):
            problems.append(
                {"index": None, "problem": f"the checkpoint at size {record.size} does not bear the log's signature"}
            )
        recomputed = result.roots.get(record.size)
        if recomputed is None:
            problems.append(
                {
                    "index": result.events_checked,
                    "problem": f"the log holds {result.events_checked} events, fewer than the "
                    f"{record.size} its checkpoint covers: events were removed",
                }
            )
        elif recomputed != record.root:
            problems.append(
                {
                    "index": matched,
                    "problem": f"the root recomputed from the events differs from the signed "
                    f"checkpoint at size {record.size}: the first difference is at or "
                    f"after index {matched}",
                }
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


@dataclass(frozen=True)
class Exported:
    directory: Path
    size: int
    checkpoints: int
    witnesses: int


def export(log: MerkleLog, checkpoints: Checkpoints, directory: Path, exported_at: str) -> Exported:
    """Writes an export of the whole log as its latest checkpoint covers it (a new one is issued
    first if the log has grown) into ``directory``, which must be new or empty."""
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
    with open(directory / "events.bin", "wb") as events, open(directory / "leaves.bin", "wb") as leaves:
        for leaf, data in log.records(stop=head.size):
            data = data or b""
            events.write(pack(len(data)))
            events.write(data)
            leaves.write(leaf.hash)
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


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
