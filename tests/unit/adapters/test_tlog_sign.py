"""The signing side: private keys in the Go note format, log signatures, cosignatures, adding signature lines."""

from __future__ import annotations

import pytest

import adapters.tlog.verify as tv
from adapters.tlog.sign import NoteSigner, add_signature, generate_private_key
from tests.unit.adapters.tlog_export import GO_NOTE, GO_PRIVATE, GO_TEXT, GO_VKEY, LOG, ORIGIN, STRANGER, WITNESS


def test_signing_the_go_reference_text_gives_the_published_note():
    signer = NoteSigner(GO_PRIVATE)
    assert signer.vkey() == GO_VKEY and signer.key_id.hex() == "c74f20a3"
    assert signer.sign(GO_TEXT) == GO_NOTE


def test_generated_keys_sign_what_their_vkeys_verify():
    for algorithm in (tv.ED25519, tv.COSIGNATURE_V1):
        signer = NoteSigner(generate_private_key("example.org/k", algorithm))
        body = tv.checkpoint_body("example.org/k", 3, bytes(32))
        line = signer.signature_line(body, 5 if algorithm == tv.COSIGNATURE_V1 else None)
        (signature,) = tv.parse_note(body + "\n" + line)[1]
        assert tv.verify_note_signature(body, signature, tv.parse_vkey(signer.vkey()))
        assert signer.verifier() == tv.parse_vkey(signer.vkey()) and signer.algorithm == algorithm


@pytest.mark.parametrize(
    "bad",
    [
        GO_PRIVATE.replace("c74f20a3", "c74f20a4"),
        GO_PRIVATE.replace("PeterNeumann", "PaulNeumann"),
        GO_PRIVATE.replace("PRIVATE+KEY+", ""),
        GO_PRIVATE[:-4],
        GO_PRIVATE.replace("+AYEK", "+BYEK"),
        GO_VKEY,
    ],
)
def test_malformed_private_keys_are_refused(bad):
    with pytest.raises(ValueError):
        NoteSigner(bad)


def test_a_cosigner_needs_a_timestamp_and_a_log_key_refuses_one():
    body = tv.checkpoint_body(ORIGIN, 1, bytes(32))
    with pytest.raises(ValueError):
        WITNESS.signature_line(body)
    with pytest.raises(ValueError):
        WITNESS.sign(body)
    with pytest.raises(ValueError):
        LOG.signature_line(body, 5)
    with pytest.raises(ValueError):
        generate_private_key("bad name")


def test_adding_a_signature_keeps_the_others_and_replaces_the_same_keys_line():
    body = tv.checkpoint_body(ORIGIN, 1, bytes(32))
    note = add_signature(LOG.sign(body), STRANGER.signature_line(body, 10))
    note = add_signature(note, WITNESS.signature_line(body, 10))
    note = add_signature(note, WITNESS.signature_line(body, 20))
    signatures = tv.parse_note(note)[1]
    assert [s.name for s in signatures] == [LOG.name, STRANGER.name, WITNESS.name]
    assert tv.cosignature_time(signatures[2]) == 20
