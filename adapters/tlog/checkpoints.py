"""Integrity checkpoints: the Merkle log's signed tree heads, and witnesses' cosignatures on them.

A checkpoint is a C2SP signed note whose body is a tlog-checkpoint (origin,
size, base64 root); the log signs it with its Ed25519 key. One is issued when
the log has grown and the interval has passed (by the read-model process),
and whenever a reader asks for the latest and the log has grown since (so a
reader's checkpoint covers everything recorded before its request). Each is
kept for good. Before signing, the issuer checks the new tree against the
latest checkpoint: the stored tree must reproduce that checkpoint's root and
prove the new one consistent with it, and that checkpoint must bear this
log's signature; otherwise nothing is signed (``LogInconsistent``), for a log
that contradicts its own earlier statement is exactly what checkpoints exist
to expose.

A witness (the discipline commission, say) cosigns the latest checkpoint
after checking it against the last one it cosigned itself: the same log key,
no shrinking, and a consistency proof that holds (tlog-cosignature v1).

The log's key is a C2SP private key (``PRIVATE+KEY+<name>+<id>+<key>``) in a
file: the one a setting names, or one created on first start under ``var/``,
readable by its owner only. The key's name is the log's origin.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from adapters.persistence.database import private_directory
from adapters.tlog.sign import NoteSigner, add_signature, generate_private_key
from adapters.tlog.verify import (
    ProofError,
    checkpoint_body,
    parse_checkpoint,
    parse_note,
    verify_consistency,
    verify_note_signature,
)
from projections.tlog import CheckpointRecord, MerkleLog, MerkleView

log = logging.getLogger(__name__)

DEFAULT_KEY_FILE = Path("var/log_signing.key")
DEFAULT_ORIGIN = "caseledger.local/log"


class LogInconsistent(RuntimeError):
    """The stored log contradicts a checkpoint it issued earlier; nothing new is signed."""


class CosignRefused(ValueError):
    """A witness will not cosign: the checkpoint is not the one it can vouch for."""


def load_or_create_key(path: Path, origin: str = DEFAULT_ORIGIN) -> NoteSigner:
    """The log's signing key from ``path``; created there first if missing (of several processes
    starting at once, one key wins)."""
    if not path.exists():
        private_directory(path.parent)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(generate_private_key(origin) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return NoteSigner(path.read_text().strip())


@dataclass(frozen=True)
class Cosigned:
    record: CheckpointRecord
    note: str  # the checkpoint with every signature it now bears


class Checkpoints:
    def __init__(
        self, log: MerkleLog, view: MerkleView, signer: NoteSigner, interval: timedelta, clock: Callable[[], datetime]
    ) -> None:
        self.log, self.view, self.signer, self.interval, self.clock = log, view, signer, interval, clock

    @property
    def origin(self) -> str:
        return self.signer.name

    def vkey(self) -> str:
        return self.signer.vkey()

    def latest(self) -> CheckpointRecord | None:
        return self.view.checkpoint()

    def at(self, size: int) -> CheckpointRecord | None:
        return self.view.checkpoint(size)

    def all(self) -> list[CheckpointRecord]:
        return self.view.checkpoints()

    @staticmethod
    def note(record: CheckpointRecord) -> str:
        """The checkpoint as a signed note with the log's signature and every cosignature."""
        note = record.note
        for line in record.cosignatures:
            note = add_signature(note, line)
        return note

    # -- issuing --------------------------------------------------------------
    def issue(self, force: bool = True) -> CheckpointRecord:
        """A checkpoint covering the whole log as stored now: the latest if the log has not grown
        (or, unless ``force``, if the interval since it has not passed), else a new one."""
        size = self.log.size()
        latest = self.view.checkpoint()
        if latest is not None:
            if latest.size == size:
                return latest
            if latest.size > size:
                raise LogInconsistent(
                    f"the log holds {size} events but its checkpoint of "
                    f"{latest.issued_at.isoformat()} covers {latest.size}"
                )
            if not force and self.clock() - latest.issued_at < self.interval:
                return latest
        root = self.log.root(size)
        if latest is not None:
            self._check_consistent(latest, size, root)
        record = CheckpointRecord(size, root, self.signer.sign(checkpoint_body(self.origin, size, root)), self.clock())
        return self.view.add_checkpoint(record)

    def issue_if_due(self) -> int:
        """For the read-model process's loop: 1 if it issued a checkpoint, else 0."""
        before = self.view.checkpoint()
        after = self.issue(force=False)
        return int(before is None or after.size != before.size)

    def _check_consistent(self, latest: CheckpointRecord, size: int, root: bytes) -> None:
        body, signatures = parse_note(latest.note)
        if not any(verify_note_signature(body, s, self.signer.verifier()) for s in signatures):
            raise LogInconsistent(
                f"the checkpoint at size {latest.size} does not bear this log's signature "
                f"({self.vkey()}): is this the log's key?"
            )
        if self.log.root(latest.size) != latest.root:
            raise LogInconsistent(
                f"the stored tree no longer reproduces the root of the checkpoint at size {latest.size}: it was altered"
            )
        try:
            verify_consistency(latest.size, size, latest.root, root, self.log.consistency_proof(latest.size, size))
        except ProofError as exc:
            raise LogInconsistent(
                f"the tree of {size} events is not consistent with the checkpoint at size {latest.size}: {exc}"
            ) from exc

    # -- witnesses ------------------------------------------------------------
    def cosign(self, witness: NoteSigner, last_cosigned: str | None) -> Cosigned:
        """The witness's cosignature on the latest checkpoint, after checking it against the last
        checkpoint this witness cosigned (``last_cosigned``, the note it kept; None the first time)."""
        latest = self.view.checkpoint() or self.issue()
        body, signatures = parse_note(latest.note)
        if not any(verify_note_signature(body, s, self.signer.verifier()) for s in signatures):
            raise CosignRefused(f"the latest checkpoint (size {latest.size}) does not bear the log's signature")
        if last_cosigned is not None:
            old_body, old_signatures = parse_note(last_cosigned)
            if not any(verify_note_signature(old_body, s, self.signer.verifier()) for s in old_signatures):
                raise CosignRefused("the last checkpoint this witness cosigned is not signed by this log's key")
            old = parse_checkpoint(old_body)
            if old.origin != self.origin:
                raise CosignRefused(f"the last cosigned checkpoint is of another log ({old.origin})")
            if old.size > latest.size:
                raise CosignRefused(
                    f"the log's latest checkpoint (size {latest.size}) is older than the one "
                    f"this witness cosigned (size {old.size})"
                )
            try:
                verify_consistency(
                    old.size, latest.size, old.root, latest.root, self.log.consistency_proof(old.size, latest.size)
                )
            except (ProofError, ValueError) as exc:
                raise CosignRefused(
                    f"the latest checkpoint (size {latest.size}) is not consistent with the "
                    f"one this witness cosigned (size {old.size}): {exc}"
                ) from exc
        now = self.clock()
        line = witness.signature_line(body, int(now.timestamp()))
        self.view.add_witness(witness.name, witness.vkey())
        self.view.add_cosignature(latest.size, witness.name, witness.key_id, line, now)
        record = self.view.checkpoint(latest.size)
        assert record is not None
        return Cosigned(record, self.note(record))

    def witnesses(self) -> dict[str, str]:
        return self.view.witnesses()


def checkpoint_json(checkpoints: Checkpoints, record: CheckpointRecord) -> dict:
    """As docs/http-api.md *Verifiable history* gives a checkpoint: origin, size, base64 root and the signed note."""
    return {
        "origin": checkpoints.origin,
        "size": record.size,
        "root": base64.b64encode(record.root).decode(),
        "note": checkpoints.note(record),
    }
