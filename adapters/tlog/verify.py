"""Offline verifier of a caseledger audit export: one file, for auditors.

It needs only Python 3.11 and the ``cryptography`` package, and imports
nothing of caseledger, so an auditor can copy this file alone (say, as
``tlog_verify.py``) and run ``python3 tlog_verify.py DIR``. It is an independent implementation of the
tree math (RFC 9162 §2.1), of C2SP signed notes, checkpoints and
cosignatures (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature), and
of the leaf data format, so a fault in the service's own code cannot hide
itself here; the project's tests cross-check the two.

Export directory (DIR):

* ``manifest.json``: ``{"format": "caseledger-audit-export/1", "origin": …,
  "size": …, "exported_at": …}``; ``origin`` is the log's checkpoint origin.
* ``log.vkey``: one line, the log's verifier key (Ed25519, type 0x01), e.g.
  ``example.org/log+1a2b3c4d+AbC…``. Pin it instead with ``--vkey FILE``: an
  export carries its own key, which proves nothing by itself.
* ``witnesses.vkeys`` (optional): witness verifier keys (type 0x04), one a
  line; ``--witness FILE`` adds more.
* ``checkpoints/``: one signed note per checkpoint the log issued, any file
  name: the log's signature line and any cosignature lines.
* ``events.bin``: the events in log order, each ``u32-BE length ‖ leaf data``,
  leaf data being ``u8 1 ‖ u16-BE len ‖ application UTF-8 ‖ 16-byte
  originator UUID ‖ u64-BE originator version ‖ u16-BE len ‖ topic UTF-8 ‖
  u32-BE len ‖ state``, nothing after the state.
* ``leaves.bin``: the 32-byte leaf hashes the service stored, in log order.
* ``events.jsonl`` (optional): what the service knows of each event, one JSON
  object a line in log order: ``{"record", "seq", "type", "case_no"}`` (its
  record's id, its sequence number there, its type, and for an event of a
  case the case's number). A problem with an event is named by it; like
  ``leaves.bin``, it locates and proves nothing.

Only the signed checkpoints are evidence. Leaf hashes are recomputed from
the events; ``leaves.bin`` is merely a locator: once it reproduces a signed
root it is authentic, and the events that differ from it are named one by
one; otherwise only the range between checkpoints can be named.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Run as a copied script, its own folder comes first on sys.path: a copy named copy.py or json.py
    # would shadow the standard library module of that name.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import base64  # noqa: E402
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import mmap  # noqa: E402
import re  # noqa: E402
import struct  # noqa: E402
from collections.abc import Iterable, Iterator, Sequence  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
EXPORT_FORMAT = "caseledger-audit-export/1"
_EMPTY_ROOT = hashlib.sha256(b"").digest()
_MAX_SIGNATURES = 100  # signed-note: verifiers SHOULD cap, MUST accept 16
_MAX_NAMED = 1000  # per-event findings kept: a wholly rewritten export needs no million lines
_LOOKAHEAD = 4  # consecutive removed or inserted events the locator can still realign over
_SIZE = re.compile(r"0|[1-9][0-9]*")
# A file of the export as ``_mapped`` gives it: mapped, or empty bytes.
_Mapped = bytes | mmap.mmap


class ProofError(ValueError):
    pass


class UnusableInput(Exception):
    """The input cannot be audited at all (missing manifest, no usable log key…)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _fold(stack: Sequence[bytes]) -> bytes:
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def _walk(fn: int, sn: int, seed: bytes, path: Sequence[bytes]) -> tuple[bytes, bytes, int]:
    """RFC 9162's climb, shared by both proofs: (root along the left edge only, whole root, sn left over)."""
    fr = sr = seed
    for c in path:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr, sr, sn


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if _walk(index, size - 1, leaf, _hashes(proof))[1:] != (root, 0):
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2, which assumes 0 < old < new; from an empty or equal tree the proof is empty."""
    if not 0 <= old <= new:
        raise ProofError(f"no consistency from size {old} to size {new}")
    path = _hashes(proof)
    if old == 0 or old == new:
        if path or old_root != (new_root if old else _EMPTY_ROOT):
            raise ProofError("from an empty or equal tree the proof is empty and the old root the sizes' own")
        return
    if not path:
        raise ProofError("the consistency proof is empty")
    if old & (old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    if _walk(fn, sn, path[0], path[1:]) != (old_root, new_root, 0):
        raise ProofError("the consistency proof does not join the two roots")


def _hashes(proof: Sequence[bytes]) -> list[bytes]:
    if any(len(h) != 32 for h in proof):
        raise ProofError("a proof element is not a 32-byte hash")
    return list(proof)


# --- C2SP signed notes, verifier keys, checkpoints, cosignatures ---


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    algorithm: int
    public_key: bytes


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]


def key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes((algorithm,)) + public_key).digest()[:4]


def format_vkey(name: str, public_key: bytes, algorithm: int = ED25519) -> str:
    _check_name(name)
    encoded = base64.b64encode(bytes((algorithm,)) + public_key).decode()
    return f"{name}+{key_id(name, algorithm, public_key).hex()}+{encoded}"


def parse_vkey(text: str) -> VerifierKey:
    parts = text.strip().split("+", 2)  # base64 may itself hold a plus
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-fA-F]{8}", parts[1]):
        raise ValueError("a vkey is <name>+<8 hex digits>+<base64 key>")
    name, given_id, key = parts[0], bytes.fromhex(parts[1]), _b64(parts[2])
    _check_name(name)
    if len(key) != 33 or key[0] not in (ED25519, COSIGNATURE_V1):
        raise ValueError("the vkey is not an Ed25519 (0x01) or cosignature/v1 (0x04) key")
    if key_id(name, key[0], key[1:]) != given_id:
        raise ValueError("the vkey's key id does not match its name and key")
    return VerifierKey(name, given_id, key[0], key[1:])


def parse_note(text: str) -> tuple[str, list[NoteSignature]]:
    if any(ch < " " and ch != "\n" for ch in text):
        raise ValueError("a note may hold no control character but newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise ValueError("a note needs a blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block.endswith("\n"):
        raise ValueError("a note's signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise ValueError(f"a note with more than {_MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        parts = line[2:].split(" ") if line.startswith("\u2014 ") else []
        if len(parts) != 2:
            raise ValueError(f"not a signature line: {line!r}")
        _check_name(parts[0])
        raw = _b64(parts[1])
        if len(raw) < 5:
            raise ValueError("a signature shorter than its key id")
        signatures.append(NoteSignature(parts[0], raw[:4], raw[4:]))
    return body, signatures


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosignature_time(sig: NoteSignature) -> int:
    if len(sig.signature) != 72:
        raise ValueError("a cosignature/v1 signature is a timestamp and 64 bytes")
    return int.from_bytes(sig.signature[:8], "big")


def verify_note_signature(body: str, sig: NoteSignature, key: VerifierKey) -> bool:
    if (sig.name, sig.key_id) != (key.name, key.key_id):
        return False
    if key.algorithm == ED25519 and len(sig.signature) == 64:
        signed, signature = body.encode(), sig.signature
    elif key.algorithm == COSIGNATURE_V1 and len(sig.signature) == 72 and cosignature_time(sig) < 2**63:
        signed, signature = cosignature_message(body, cosignature_time(sig)), sig.signature[8:]
    else:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, signed)
    except InvalidSignature:
        return False
    return True


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint(body: str) -> Checkpoint:
    lines = body[:-1].split("\n") if body.endswith("\n") else []
    if len(lines) < 3 or not all(lines):
        raise ValueError("a checkpoint is origin, size and root lines, then non-empty extension lines")
    if not _SIZE.fullmatch(lines[1]):
        raise ValueError(f"checkpoint size {lines[1]!r} is not a decimal without leading zeros")
    root = _b64(lines[2])
    if len(root) != 32:
        raise ValueError("a checkpoint root is 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise ValueError(f"key name {name!r} is empty or holds a space or a plus")


def _b64(text: str) -> bytes:
    """Strict and canonical, so that no two texts carry one signature or key."""
    raw = base64.b64decode(text, validate=True)  # its binascii.Error is a ValueError
    if base64.b64encode(raw).decode() != text:
        raise ValueError(f"{text[:20]!r}… is not canonical base64")
    return raw


# --- the export ---


@dataclass(frozen=True)
class Problem:
    """A problem found; one with an event names it as events.jsonl does: the case's number (an event
    of a case), the event's sequence number in its record and its type."""

    index: int | None
    message: str
    case_no: str | None = None
    seq: int | None = None
    type: str | None = None

    def __str__(self) -> str:
        text = self.message if self.index is None else f"index {self.index}: {self.message}"
        named = [
            f"case {self.case_no}" if self.case_no else "",
            f"event {self.seq}" if self.seq is not None else "",
            self.type or "",
        ]
        return f"{text} [{', '.join(n for n in named if n)}]" if any(named) else text


@dataclass
class Report:
    ok: bool
    events_checked: int
    head: dict | None
    problems: list[Problem]
    witnesses: list[dict]
    key_source: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    count, roots = _tree_roots(leaf_hashes, set())
    return roots[count]


def _tree_roots(leaf_hashes: Iterable[bytes], sizes: set[int]) -> tuple[int, dict[int, bytes]]:
    """One streaming pass holding O(log n) hashes: the roots at ``sizes`` and at the end."""
    stack: list[bytes] = []
    roots, count = {0: _EMPTY_ROOT}, 0
    for count, leaf in enumerate(leaf_hashes, 1):
        stack.append(leaf)
        merges = count - 1
        while merges & 1:  # one merge per trailing one bit of the old size
            right = stack.pop()
            stack[-1] = hashlib.sha256(b"\x01" + stack[-1] + right).digest()
            merges >>= 1
        if count in sizes:
            roots[count] = _fold(stack)
    if stack:
        roots[count] = _fold(stack)
    return count, roots


def _records(events: _Mapped, offset: int = 0) -> Iterator[tuple[int, int | None]]:
    """(start, end) of each record of events.bin from ``offset``; end is None for one cut off."""
    while offset < len(events):
        start = offset + 4
        offset = start + struct.unpack_from(">I", events, offset)[0] if start <= len(events) else start
        yield start, offset if offset <= len(events) else None


def _well_formed(record: bytes) -> bool:
    try:
        app_end = 3 + struct.unpack_from(">H", record, 1)[0]
        topic_end = app_end + 26 + struct.unpack_from(">H", record, app_end + 24)[0]
        str(record[3:app_end], "utf-8"), str(record[app_end + 26 : topic_end], "utf-8")
        return record[0] == 1 and topic_end + 4 + struct.unpack_from(">I", record, topic_end)[0] == len(record)
    except (IndexError, struct.error, UnicodeDecodeError):
        return False


def verify_export(
    directory: Path, trusted: str | None = None, vkey: str | None = None, witnesses: Sequence[str] = ()
) -> Report:
    """Audits an export; raises UnusableInput when there is nothing to audit against (no manifest, no key…)."""
    return _Audit(Path(directory), vkey, witnesses).run(trusted)


class _Audit:
    def __init__(self, directory: Path, vkey: str | None, witnesses: Sequence[str]) -> None:
        self.directory = directory
        self.problems: list[Problem] = []
        self.findings: list[tuple[int, str, bool]] = []  # (index, message, proven)
        self.events: set[int] = set()  # the indexes of the problems that concern one event
        self.signed: dict[int, bytes] = {}  # size -> root, of the checkpoints signed by the log key
        try:
            manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
            self.origin = manifest["origin"] if manifest["format"] == EXPORT_FORMAT else None
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise UnusableInput(f"no readable manifest.json ({error!r})") from None
        if not isinstance(self.origin, str):
            raise UnusableInput(f"manifest.json is not of format {EXPORT_FORMAT} with an origin")
        exported = _lines(directory / "log.vkey")
        if vkey is None and not exported:
            raise UnusableInput("the export has no log.vkey and no log key was given")
        self.key_source = "export" if vkey is None else "given"
        self.key = _key(exported[0] if vkey is None else vkey, log=True)
        if vkey is not None and exported and not _same_key(exported[0], self.key):
            self.problem(None, "the export's log.vkey is not the pinned log key")
        keys = map(_key, [*witnesses, *_lines(directory / "witnesses.vkeys")])
        self.known = {(k.name, k.key_id): k for k in keys}
        self.cosigners = {name_id: [True, 0, 0] for name_id in self.known}  # known, good (or seen), bad

    def problem(self, index: int | None, message: str, event: bool = False) -> None:
        """A problem; one with an ``event`` at ``index`` is named by events.jsonl at the end."""
        self.problems.append(Problem(index, message))
        if event and index is not None:
            self.events.add(index)

    def named(self) -> None:
        """Names each problem with an event as events.jsonl, the service's locator, says: the case's
        number, the event's sequence number and its type (like leaves.bin, it locates, it proves nothing)."""
        names = _locate(self.directory / "events.jsonl", self.events)
        self.problems = [
            Problem(p.index, p.message, *names[p.index]) if p.index in self.events and p.index in names else p
            for p in self.problems
        ]

    def finding(self, index: int, message: str, proven: bool = False) -> None:
        """An event in question; unless ``proven``, only leaves.bin says so, believed if it reproduces a signed root."""
        if len(self.findings) < _MAX_NAMED:
            self.findings.append((index, message, proven))

    def run(self, trusted: str | None) -> Report:
        self.checkpoints()
        pinned = self.trusted(trusted) if trusted is not None else None
        sizes = sorted(self.signed)
        latest = sizes[-1] if sizes else 0
        if not (self.directory / "events.bin").is_file():
            raise UnusableInput("the export has no events.bin")
        with _mapped(self.directory / "events.bin") as events, _mapped(self.directory / "leaves.bin") as leaves:
            wanted = set(sizes) | ({pinned.size} if pinned else set())
            count, roots = _tree_roots(self.leaves_of(events, leaves), wanted)
            failing = [s for s in sizes if roots.get(s) != self.signed[s]]
            stored = _tree_roots((leaves[i : i + 32] for i in range(0, len(leaves) - 31, 32)), set(failing))[1]
        located = [s for s in failing if stored.get(s) == self.signed[s]]
        for index, message, proven in self.findings:
            later = [s for s in sizes if s > index]
            if proven or any(s > index for s in located):
                self.problem(index, message, event=True)
            elif later and roots.get(later[0]) == self.signed[later[0]]:
                self.problem(
                    index,
                    f"leaves.bin differs from this event, which the checkpoint of size {later[0]} "
                    f"confirms: the service's stored leaf is damaged",
                    event=True,
                )
        if len(self.findings) >= _MAX_NAMED:
            self.problem(None, f"more than {_MAX_NAMED} events are in question; only the first are named")
        covered = count + (self.shift if located else 0)
        if covered < latest:
            self.problem(covered, f"event missing: the export ends here, the latest checkpoint covers {latest}")
        elif covered > latest:
            self.problem(latest, f"{covered - latest} event(s) from here on are covered by no signed checkpoint")
        if failing and failing[0] <= covered:
            good = max((s for s in sizes if s < failing[0]), default=0)
            if not any(p.index is not None and good <= p.index < failing[0] for p in self.problems):
                self.problem(
                    good,
                    f"first difference at or after index {good}: the events do not reproduce the "
                    f"checkpoint of size {failing[0]}, and leaves.bin cannot tell which differs",
                )
        if not sizes:
            self.problem(None, "no checkpoint in the export is signed by the log key")
        if pinned and pinned.size > latest:
            self.problem(
                None,
                f"export is older than the trusted checkpoint (rollback): signed up to size {latest}, "
                f"the trusted checkpoint has size {pinned.size}",
            )
        elif pinned and roots.get(pinned.size) != pinned.root:
            self.problem(
                None, f"forked from the trusted checkpoint: the events do not reproduce its root at size {pinned.size}"
            )
        self.named()
        self.problems.sort(key=lambda p: (p.index is not None, p.index or 0))
        head = {"size": latest, "root": base64.b64encode(self.signed[latest]).decode()} if sizes else None
        witnesses = [
            {
                "name": name,
                "key_id": kid.hex(),
                "verified": known and good > 0 and not bad,
                "checkpoints": good,
                "known": known,
            }
            for (name, kid), (known, good, bad) in self.cosigners.items()
        ]
        return Report(not self.problems, count, head, self.problems, witnesses, self.key_source)

    def checkpoints(self) -> None:
        folder = self.directory / "checkpoints"
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            where = f"checkpoints/{path.name}"
            try:
                body, sigs = parse_note(path.read_text(encoding="utf-8"))
                checkpoint = parse_checkpoint(body)
            except (OSError, ValueError) as error:
                self.problem(None, f"{where}: not a checkpoint: {error}")
                continue
            mine = [s for s in sigs if (s.name, s.key_id) == (self.key.name, self.key.key_id)]
            if not mine or not all(verify_note_signature(body, s, self.key) for s in mine):
                self.problem(None, f"{where}: {'a bad' if mine else 'no'} signature by the log key")
            elif checkpoint.origin != self.origin:
                self.problem(None, f"{where}: origin {checkpoint.origin!r} is not the log's {self.origin!r}")
            elif self.signed.setdefault(checkpoint.size, checkpoint.root) != checkpoint.root:
                self.problem(None, f"{where}: another checkpoint signs size {checkpoint.size} with another root")
            for sig in (s for s in sigs if s not in mine):
                witness = self.known.get((sig.name, sig.key_id))
                good = witness is not None and verify_note_signature(body, sig, witness)
                tally = self.cosigners.setdefault((sig.name, sig.key_id), [False, 0, 0])
                tally[2 if witness and not good else 1] += 1
                if witness and not good:
                    self.problem(None, f"{where}: a bad cosignature by witness {sig.name}")

    def trusted(self, text: str) -> Checkpoint | None:
        try:
            body, sigs = parse_note(text)
            checkpoint = parse_checkpoint(body)
        except ValueError as error:
            raise UnusableInput(f"the trusted checkpoint is not a checkpoint: {error}") from None
        if not any(verify_note_signature(body, s, self.key) for s in sigs):
            self.problem(None, "the trusted checkpoint does not verify with the log key")
        elif checkpoint.origin != self.origin:
            self.problem(None, f"the trusted checkpoint is of another log ({checkpoint.origin!r})")
        else:
            return checkpoint
        return None

    def leaves_of(self, events: _Mapped, leaves: _Mapped) -> Iterator[bytes]:
        """The leaf hashes recomputed from events.bin, each record checked and compared with leaves.bin on the way."""
        stored, count, self.shift, skip = len(leaves) // 32, 0, 0, 0
        for start, end in _records(events):
            index = count + self.shift
            if end is None:
                self.finding(index, "the record runs past the end of events.bin (truncated)", proven=True)
                return
            record = events[start:end]
            if not _well_formed(record):
                self.finding(index, "the record is not leaf data of format 1", proven=True)
            leaf = hashlib.sha256(b"\x00" + record).digest()
            if skip:
                skip -= 1
            elif index < stored and leaves[32 * index : 32 * index + 32] != leaf:
                moved, skip = self.locate(events, leaves, index, leaf, end)
                self.shift += moved
            count += 1
            yield leaf

    def locate(self, events: _Mapped, leaves: _Mapped, index: int, leaf: bytes, offset: int) -> tuple[int, int]:
        """Names the event at ``index`` that differs from leaves.bin, realigning over a few removed or inserted ones.

        A removal or insertion must also explain the next event, so that a
        swap of neighbours is named as two changed events. Returns the change
        of the index shift and how many next events are inserted ones.
        """
        ahead = [leaf_hash(events[s:e]) for s, e in itertools.islice(_records(events, offset), _LOOKAHEAD + 1) if e]

        def stored(i: int) -> bytes:
            return leaves[32 * i : 32 * i + 32]

        for k in range(1, _LOOKAHEAD + 1):
            if leaf == stored(index + k) and (not ahead or ahead[0] == stored(index + k + 1)):
                for missing in range(index, index + k):
                    self.finding(missing, "event missing from the export (removed)")
                return k, 0
            if len(ahead) > k and ahead[k - 1] == stored(index) and ahead[k] == stored(index + 1):
                self.finding(index, f"{k} event(s) not in the recorded log inserted before this one")
                return -k, k - 1
        self.finding(index, "event differs from the recorded leaf (changed or replaced)")
        return 0, 0


def _locate(path: Path, indexes: set[int]) -> dict[int, tuple[str | None, int | None, str | None]]:
    """(case number, sequence number, type) of the events at ``indexes``, from events.jsonl: one JSON
    object a line, the line's number its index; nothing for an export without it or a line unreadable."""
    found: dict[int, tuple[str | None, int | None, str | None]] = {}
    if not indexes or not path.is_file():
        return found
    last = max(indexes)
    with path.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if index > last:
                break
            if index in indexes:
                try:
                    e = json.loads(line)
                    seq = e.get("seq")
                    found[index] = (
                        e.get("case_no") if isinstance(e.get("case_no"), str) else None,
                        seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
                        e.get("type") if isinstance(e.get("type"), str) else None,
                    )
                except (ValueError, AttributeError):
                    continue
    return found


def _key(text: str, log: bool = False) -> VerifierKey:
    try:
        key = parse_vkey(text)
    except ValueError as error:
        raise UnusableInput(f"no usable verifier key in {text.strip()[:40]!r}: {error}") from None
    if log and key.algorithm != ED25519:
        raise UnusableInput(f"the log key {key.name} is not an Ed25519 (0x01) key")
    return key


def _same_key(text: str, key: VerifierKey) -> bool:
    try:
        return parse_vkey(text) == key
    except ValueError:
        return False


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.is_file() else []


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[_Mapped]:
    """The file's bytes, mapped rather than read (mmap cannot map an empty file)."""
    if not path.is_file() or path.stat().st_size == 0:
        yield b""
        return
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tlog_verify", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="the audit export")
    parser.add_argument("--trusted", type=Path, help="a checkpoint note kept from an earlier audit")
    parser.add_argument("--vkey", type=Path, help="the log's verifier key, pinned instead of the export's")
    parser.add_argument("--witness", type=Path, action="append", default=[], help="witness verifier keys, one a line")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        witnesses = [line for path in args.witness for line in path.read_text("utf-8").splitlines() if line.strip()]
        report = verify_export(
            args.directory,
            args.trusted and args.trusted.read_text(encoding="utf-8"),
            args.vkey and args.vkey.read_text(encoding="utf-8"),
            witnesses,
        )
    except (UnusableInput, OSError, ValueError) as error:
        print(f"tlog_verify: cannot audit {args.directory}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(report.to_json())
        return 0 if report.ok else 1
    print(
        f"{'OK' if report.ok else 'PROBLEMS FOUND'}: {report.events_checked} events checked against the "
        f"{'pinned' if report.key_source == 'given' else 'exported'} log key"
    )
    if report.head:
        print(f"head: size {report.head['size']}, root {report.head['root']}")
    for w in report.witnesses:
        state = "verified" if w["verified"] else "NOT verified" if w["known"] else "unknown key, not verified"
        print(f"witness {w['name']} ({w['key_id']}): {state}, cosigned {w['checkpoints']} checkpoint(s)")
    for problem in report.problems:
        print(f"  {problem}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
