"""Keys, published vectors and an audit export written by hand, for the tests of adapters.tlog.verify and tlog_sign.

The export follows the format documented in adapters.tlog.verify, events
made with domain.tlog.merkle, so the verifier is checked against the format and
not against the service's own exporter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import adapters.tlog.verify as tv
from adapters.tlog.sign import NoteSigner, add_signature
from domain.tlog import merkle

ORIGIN = "caseledger.example/log"

# golang.org/x/mod/sumdb/note's published test vectors (note_test.go): the
# format C2SP signed-note standardised. Ed25519 is deterministic, so signing
# the text with the private key must give exactly the published note.
GO_PRIVATE = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + (
    "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)
GO_ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_ENOCH_LINE = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
# c2sp.org/tlog-cosignature's example checkpoint, cosigned at the time its signed-message example shows.
C2SP_EXAMPLE = """example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==
"""


def private_key(name: str, algorithm: int, seed: bytes) -> str:
    """A private key string from a fixed seed, built by hand from the format (not by the code under test)."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    key_hash = hashlib.sha256(name.encode() + b"\n" + bytes((algorithm,)) + public).digest()[:4]
    return f"PRIVATE+KEY+{name}+{key_hash.hex()}+{base64.b64encode(bytes((algorithm,)) + seed).decode()}"


LOG = NoteSigner(private_key(ORIGIN, tv.ED25519, b"\x01" * 32))
OTHER_LOG = NoteSigner(private_key(ORIGIN, tv.ED25519, b"\x02" * 32))
WITNESS = NoteSigner(private_key("witness.example/w1", tv.COSIGNATURE_V1, b"\x03" * 32))
STRANGER = NoteSigner(private_key("stranger.example/w9", tv.COSIGNATURE_V1, b"\x04" * 32))
SIZE = 24
CHECKPOINT_SIZES = (5, 9, 16, 24)


def event(i: int, variant: str = "") -> bytes:
    return merkle.leaf_data(
        "caseledger",
        uuid.UUID(int=i // 4 + 1),
        i % 4 + 1,
        "domain.appeals.aggregate:Appeal.Noted",
        f'{{"note": "event {i}{variant}", "pad": "{"x" * (i % 7)}"}}'.encode(),
    )


def checkpoint(events: list[bytes], size: int, signer: NoteSigner = LOG, cosigners=(WITNESS,)) -> str:
    root = tv.root_of(merkle.leaf_hash(e) for e in events[:size])
    body = tv.checkpoint_body(ORIGIN, size, root)
    note = signer.sign(body)
    for number, cosigner in enumerate(cosigners):
        note = add_signature(note, cosigner.signature_line(body, 1_700_000_000 + size + number))
    return note


def write_export(
    directory: Path,
    events: list[bytes],
    sizes=CHECKPOINT_SIZES,
    leaves: list[bytes] | None = None,
    notes: list[str] | None = None,
) -> Path:
    (directory / "checkpoints").mkdir(parents=True)
    (directory / "events.bin").write_bytes(b"".join(len(e).to_bytes(4, "big") + e for e in events))
    hashed = events if leaves is None else leaves
    (directory / "leaves.bin").write_bytes(b"".join(merkle.leaf_hash(e) for e in hashed))
    (directory / "log.vkey").write_text(LOG.vkey() + "\n")
    (directory / "witnesses.vkeys").write_text(WITNESS.vkey() + "\n")
    (directory / "manifest.json").write_text(
        json.dumps(
            {
                "format": "caseledger-audit-export/1",
                "origin": ORIGIN,
                "size": len(events),
                "exported_at": "2025-06-01T08:00:00+08:00",
            }
        )
    )
    for number, note in enumerate(notes if notes is not None else [checkpoint(events, s) for s in sizes]):
        (directory / "checkpoints" / f"{number:04}.note").write_text(note)
    return directory


def rewrite_events(directory: Path, events: list[bytes]) -> None:
    (directory / "events.bin").write_bytes(b"".join(len(e).to_bytes(4, "big") + e for e in events))
