"""Signing checkpoints (the log) and cosigning them (witnesses), as C2SP signed notes.

Private keys are kept as the strings Go's golang.org/x/mod/sumdb/note reads
and writes, ``PRIVATE+KEY+<name>+<hex key id>+<base64(type || 32-byte
seed)>``, so that a key made here works with the Go tooling witnesses run,
and theirs here. Type 0x01 keys sign notes (the log's checkpoints); type
0x04 keys make timestamped cosignatures (c2sp.org/tlog-cosignature).

Verification lives in adapters.tlog.verify, which auditors copy alone; this
module only adds what holding a private key allows.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from adapters.tlog.verify import (
    COSIGNATURE_V1,
    ED25519,
    VerifierKey,
    cosignature_message,
    format_vkey,
    key_id,
    parse_note,
    parse_vkey,
)

__all__ = ["generate_private_key", "NoteSigner", "add_signature"]

_PREFIX = "PRIVATE+KEY+"


def generate_private_key(name: str, algorithm: int = ED25519) -> str:
    return _private_key_string(name, algorithm, Ed25519PrivateKey.generate())


def _private_key_string(name: str, algorithm: int, key: Ed25519PrivateKey) -> str:
    if algorithm not in (ED25519, COSIGNATURE_V1):
        raise ValueError(f"signature type {algorithm:#04x} is neither Ed25519 (0x01) nor cosignature/v1 (0x04)")
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    format_vkey(name, public, algorithm)  # refuses names a verifier would refuse
    seed = key.private_bytes_raw()
    encoded = base64.b64encode(bytes((algorithm,)) + seed).decode()
    return f"{_PREFIX}{name}+{key_id(name, algorithm, public).hex()}+{encoded}"


class NoteSigner:
    """One private key: the log's (signs notes) or a witness's (cosigns them)."""

    def __init__(self, private_key: str) -> None:
        text = private_key.strip()
        parts = text[len(_PREFIX) :].split("+", 2) if text.startswith(_PREFIX) else []
        if len(parts) != 3:
            raise ValueError("a private key is PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
        name, given_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ValueError("the private key's key part is not base64") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise ValueError("the private key is not a 32-byte Ed25519 seed of type 0x01 or 0x04")
        self._key = Ed25519PrivateKey.from_private_bytes(raw[1:])
        self.algorithm = raw[0]
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        # Parsing the vkey checks the name the way every verifier will.
        self._verifier = parse_vkey(format_vkey(name, public, self.algorithm))
        if given_id != self._verifier.key_id.hex():
            raise ValueError("the private key's key id does not match its name and key")
        self.name, self.key_id = name, self._verifier.key_id

    def vkey(self) -> str:
        return format_vkey(self.name, self._verifier.public_key, self.algorithm)

    def verifier(self) -> VerifierKey:
        return self._verifier

    def signature_line(self, body: str, timestamp: int | None = None) -> str:
        if self.algorithm == COSIGNATURE_V1:
            if timestamp is None or not 0 <= timestamp < 2**63:
                raise ValueError("a cosignature needs a timestamp, in seconds since the epoch")
            signature = timestamp.to_bytes(8, "big") + self._key.sign(cosignature_message(body, timestamp))
        elif timestamp is not None:
            raise ValueError("an Ed25519 note signature carries no timestamp")
        else:
            signature = self._key.sign(body.encode())
        return f"\u2014 {self.name} {base64.b64encode(self.key_id + signature).decode()}\n"

    def sign(self, body: str) -> str:
        if self.algorithm != ED25519:
            raise ValueError("a cosigner key adds cosignatures to notes (add_signature), it does not sign them")
        note = body + "\n" + self.signature_line(body)
        parse_note(note)  # refuses a body no verifier would accept
        return note


def add_signature(note: str, line: str) -> str:
    """The note with ``line`` among its signatures: a key that signed before has its line replaced, not doubled."""
    body, signatures = parse_note(note)
    (new,) = parse_note(body + "\n" + line)[1]
    kept = [
        sig_line
        for sig_line, sig in zip(note[len(body) + 1 :].splitlines(keepends=True), signatures)
        if (sig.name, sig.key_id) != (new.name, new.key_id)
    ]
    return body + "\n" + "".join(kept) + line
