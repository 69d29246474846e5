"""The auditor's verifier: C2SP notes, keys, checkpoints and cosignatures, and whole audit exports."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adapters.tlog.verify as tv
from adapters.tlog.sign import add_signature
from domain.tlog import merkle
from tests.unit.adapters.tlog_export import (
    C2SP_EXAMPLE,
    CHECKPOINT_SIZES,
    GO_ENOCH_LINE,
    GO_ENOCH_VKEY,
    GO_NOTE,
    GO_TEXT,
    GO_VKEY,
    LOG,
    ORIGIN,
    OTHER_LOG,
    SIZE,
    STRANGER,
    WITNESS,
    checkpoint,
    event,
    rewrite_events,
    write_export,
)

EVENTS = [event(i) for i in range(SIZE)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return write_export(tmp_path_factory.mktemp("clean") / "export", EVENTS)


def copy_of(clean: Path, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("tampered") / "export"
    shutil.copytree(clean, target)
    return target


def indexed(report: tv.Report) -> list[int]:
    return [p.index for p in report.problems if p.index is not None]


# --- signed notes and keys ---


def test_a_published_signature_by_a_key_we_hold_only_the_vkey_of_verifies():
    body, signatures = tv.parse_note(GO_NOTE + GO_ENOCH_LINE)
    peter, enoch = tv.parse_vkey(GO_VKEY), tv.parse_vkey(GO_ENOCH_VKEY)
    assert body == GO_TEXT and [s.name for s in signatures] == ["PeterNeumann", "EnochRoot"]
    assert tv.verify_note_signature(body, signatures[0], peter) and tv.verify_note_signature(body, signatures[1], enoch)
    assert not tv.verify_note_signature(body, signatures[1], peter)  # name and key id must match the key
    assert not tv.verify_note_signature(body.replace("answer", "Answer"), signatures[0], peter)


def test_key_id_is_the_first_four_bytes_of_sha256_over_name_newline_type_and_key():
    public = bytes(range(32))
    assert tv.key_id("example.org/a", 0x04, public) == hashlib.sha256(b"example.org/a\n\x04" + public).digest()[:4]
    assert tv.key_id("example.org/a", 0x01, public) != tv.key_id("example.org/a", 0x04, public)


def test_a_vkey_is_name_hex_key_id_and_base64_of_type_and_key():
    vkey = tv.format_vkey("example.org/log", bytes(32))
    name, key_hex, encoded = vkey.split("+")
    assert name == "example.org/log" and key_hex == tv.key_id(name, 1, bytes(32)).hex()
    assert base64.b64decode(encoded) == b"\x01" + bytes(32)
    assert tv.parse_vkey(vkey + "\n") == tv.VerifierKey(name, bytes.fromhex(key_hex), 1, bytes(32))
    assert tv.parse_vkey(WITNESS.vkey()).algorithm == tv.COSIGNATURE_V1


@pytest.mark.parametrize(
    "bad",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # key id of another key
        GO_VKEY.replace("PeterNeumann", "PeterNeuman"),  # the id no longer matches the name
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown type 0x65
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # key of the wrong length
        GO_VKEY[:-4],
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_VKEY.replace("+c74f20a3", "+c74f2"),
    ],
)
def test_malformed_or_mismatched_vkeys_are_refused(bad):
    with pytest.raises(ValueError):
        tv.parse_vkey(bad)


@pytest.mark.parametrize(
    "bad",
    [
        GO_TEXT,  # no signatures
        GO_TEXT + "\n",  # a blank line and then nothing
        GO_NOTE[:-1],  # the signature line does not end
        "\x01" + GO_NOTE,  # a control character
        GO_NOTE.replace("\u2014 PeterNeumann", "\u2014 Peter Neumann"),  # a space in the name splits the line
        GO_NOTE.replace("\u2014 PeterNeumann", "\u2014 Peter+Neumann"),
        GO_NOTE.replace("\u2014 ", "- "),  # not an em dash
        GO_NOTE + "Unexpected line.\n",  # junk after the signatures
        GO_NOTE.replace("JnAM=", "JnAN="),  # non-canonical base64 (stray low bits)
        GO_NOTE.replace("x08go/ZJ", "x08go/Z!"),  # not base64
        GO_TEXT + "\n\u2014 PeterNeumann AAAA\n",  # shorter than a key id and one byte
        GO_TEXT + "\n" + GO_NOTE[len(GO_TEXT) + 1 :] * 101,  # more signatures than any note needs
    ],
)
def test_malformed_notes_are_refused(bad):
    with pytest.raises(ValueError):
        tv.parse_note(bad)


def test_a_note_body_may_hold_blank_lines_the_last_one_separates_the_signatures():
    signed = LOG.sign("first\n\nthird\n")
    body, signatures = tv.parse_note(signed)
    assert body == "first\n\nthird\n" and tv.verify_note_signature(body, signatures[0], LOG.verifier())


def test_the_c2sp_cosignature_example_parses_with_its_documented_time():
    body, signatures = tv.parse_note(C2SP_EXAMPLE)
    assert tv.parse_checkpoint(body).size == 20852163
    assert [s.name for s in signatures] == ["example.com/behind-the-sofa", "witness.example.com/w1"]
    assert tv.cosignature_time(signatures[1]) == 1679315147  # "time 1679315147" in the spec's signed message
    with pytest.raises(ValueError):
        tv.cosignature_time(signatures[0])  # a plain Ed25519 signature has no timestamp


def test_a_cosignature_signs_the_header_the_time_and_the_whole_body():
    body = tv.checkpoint_body(ORIGIN, 7, bytes(32))
    assert tv.cosignature_message(body, 1679315147) == b"cosignature/v1\ntime 1679315147\n" + body.encode()
    line = WITNESS.signature_line(body, 1679315147)
    (signature,) = tv.parse_note(body + "\n" + line)[1]
    assert tv.cosignature_time(signature) == 1679315147 and len(signature.signature) == 72
    assert tv.verify_note_signature(body, signature, WITNESS.verifier())


def test_altered_cosignatures_are_rejected():
    body = tv.checkpoint_body(ORIGIN, 7, bytes(32))
    (signature,) = tv.parse_note(body + "\n" + WITNESS.signature_line(body, 1679315147))[1]
    later = tv.NoteSignature(
        signature.name, signature.key_id, (1679315148).to_bytes(8, "big") + signature.signature[8:]
    )
    as_plain = tv.VerifierKey(WITNESS.name, WITNESS.key_id, tv.ED25519, WITNESS.verifier().public_key)
    assert not tv.verify_note_signature(body, later, WITNESS.verifier())
    assert not tv.verify_note_signature(body.replace("7", "8"), signature, WITNESS.verifier())
    assert not tv.verify_note_signature(body, signature, as_plain)
    assert not tv.verify_note_signature(body, signature, STRANGER.verifier())


def test_a_checkpoint_is_origin_size_root_and_extension_lines():
    root = bytes(range(32))
    body = tv.checkpoint_body(ORIGIN, 1234, root)
    assert body == f"{ORIGIN}\n1234\n{base64.b64encode(root).decode()}\n"
    assert tv.parse_checkpoint(body) == tv.Checkpoint(ORIGIN, 1234, root, ())
    assert tv.parse_checkpoint(body + "ext one\n").extensions == ("ext one",)
    assert tv.parse_checkpoint(tv.checkpoint_body(ORIGIN, 0, merkle.EMPTY_ROOT)).size == 0


@pytest.mark.parametrize(
    "bad",
    [
        f"{ORIGIN}\n01234\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # leading zero
        f"{ORIGIN}\n00\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        f"{ORIGIN}\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        f"{ORIGIN}\n+1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        f"{ORIGIN}\n١٢\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # digits, but not ASCII ones
        f"{ORIGIN}\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",  # 31-byte root
        f"{ORIGIN}\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",  # 33-byte root
        f"{ORIGIN}\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*=\n",  # not base64
        f"{ORIGIN}\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # no final newline
        f"{ORIGIN}\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nextension\n",  # empty extension line
        "\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # empty origin
        f"{ORIGIN}\n12\n",
    ],
)
def test_malformed_checkpoints_are_refused(bad):
    with pytest.raises(ValueError):
        tv.parse_checkpoint(bad)


# --- whole exports ---


def test_a_clean_export_verifies_with_its_witness(clean):
    report = tv.verify_export(clean)
    assert report.ok, report.problems
    assert report.events_checked == SIZE and report.key_source == "export"
    assert report.head == {"size": SIZE, "root": base64.b64encode(tv.root_of(map(merkle.leaf_hash, EVENTS))).decode()}
    assert report.witnesses == [
        {
            "name": WITNESS.name,
            "key_id": WITNESS.key_id.hex(),
            "verified": True,
            "checkpoints": len(CHECKPOINT_SIZES),
            "known": True,
        }
    ]
    assert json.loads(report.to_json())["ok"] is True


def test_a_pinned_key_is_reported_as_given_and_matched_as_a_key_not_as_text(clean, tmp_path_factory):
    assert tv.verify_export(clean, vkey=LOG.vkey()).key_source == "given"
    export = copy_of(clean, tmp_path_factory)
    name, key_hex, encoded = LOG.vkey().split("+", 2)
    (export / "log.vkey").write_text(f"{name}+{key_hex.upper()}+{encoded}\n")
    assert tv.verify_export(export, vkey=LOG.vkey()).ok


def test_a_wrong_pinned_key_fails_every_checkpoint(clean):
    report = tv.verify_export(clean, vkey=OTHER_LOG.vkey())
    assert not report.ok and report.head is None
    assert "the export's log.vkey is not the pinned log key" in [p.message for p in report.problems]
    assert sum("no signature by the log key" in p.message for p in report.problems) == len(CHECKPOINT_SIZES)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, sum(4 + len(e) for e in EVENTS) - 1), change=st.integers(1, 255))
def test_any_changed_byte_of_events_bin_is_named_at_its_event(clean, tmp_path_factory, position, change):
    export = copy_of(clean, tmp_path_factory)
    data = bytearray((export / "events.bin").read_bytes())
    data[position] ^= change
    (export / "events.bin").write_bytes(bytes(data))
    ends = [sum(4 + len(e) for e in EVENTS[: i + 1]) for i in range(SIZE)]
    expected = next(i for i, end in enumerate(ends) if position < end)
    report = tv.verify_export(export)
    assert not report.ok and indexed(report)[0] == expected, report.problems


@settings(max_examples=25, deadline=None)
@given(st.integers(0, SIZE - 1))
def test_any_removed_event_is_named_as_missing(clean, tmp_path_factory, removed):
    export = copy_of(clean, tmp_path_factory)
    rewrite_events(export, EVENTS[:removed] + EVENTS[removed + 1 :])
    report = tv.verify_export(export)
    assert not report.ok and indexed(report) == [removed], report.problems
    assert "missing" in report.problems[0].message


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, SIZE - 1), min_size=2, max_size=2, unique=True).map(sorted))
def test_any_swapped_pair_is_named_at_both_events(clean, tmp_path_factory, pair):
    first, second = pair
    export = copy_of(clean, tmp_path_factory)
    swapped = list(EVENTS)
    swapped[first], swapped[second] = swapped[second], swapped[first]
    rewrite_events(export, swapped)
    report = tv.verify_export(export)
    assert not report.ok and indexed(report) == [first, second], report.problems
    assert all("changed or replaced" in p.message for p in report.problems)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, SIZE - 1))
def test_an_event_inserted_with_the_last_removed_to_keep_the_count_is_named(clean, tmp_path_factory, at):
    export = copy_of(clean, tmp_path_factory)
    rewrite_events(export, EVENTS[:at] + [event(at, " forged")] + EVENTS[at:-1])
    report = tv.verify_export(export)
    assert not report.ok and indexed(report)[0] == at, report.problems


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3))
def test_events_appended_after_the_latest_checkpoint_are_covered_by_nothing(clean, tmp_path_factory, extra):
    export = copy_of(clean, tmp_path_factory)
    longer = EVENTS + [event(SIZE + i) for i in range(extra)]
    rewrite_events(export, longer)
    (export / "leaves.bin").write_bytes(b"".join(map(merkle.leaf_hash, longer)))
    report = tv.verify_export(export)
    assert not report.ok and indexed(report) == [SIZE]
    assert f"{extra} event(s) from here on are covered by no signed checkpoint" in report.problems[0].message


def test_a_truncated_last_record_is_named(clean, tmp_path_factory):
    export = copy_of(clean, tmp_path_factory)
    (export / "events.bin").write_bytes((export / "events.bin").read_bytes()[:-3])
    report = tv.verify_export(export)
    assert indexed(report)[0] == SIZE - 1 and "truncated" in report.problems[0].message


def test_a_record_that_is_not_leaf_data_is_named_even_when_leaves_bin_agrees(clean, tmp_path_factory):
    export = copy_of(clean, tmp_path_factory)
    bad = list(EVENTS)
    bad[3] = b"\x02" + bad[3][1:]
    write_export(export.parent / "again", bad, leaves=bad)
    report = tv.verify_export(export.parent / "again")
    assert [str(p) for p in report.problems] == ["index 3: the record is not leaf data of format 1"]


def test_when_leaves_bin_was_rewritten_too_only_the_range_between_checkpoints_is_named(clean, tmp_path_factory):
    export = copy_of(clean, tmp_path_factory)
    tampered = list(EVENTS)
    tampered[11] = event(11, " rewritten")
    rewrite_events(export, tampered)
    (export / "leaves.bin").write_bytes(b"".join(map(merkle.leaf_hash, tampered)))
    report = tv.verify_export(export)
    assert [str(p) for p in report.problems] == [
        "index 9: first difference at or after index 9: the events do not reproduce the checkpoint of size 16, "
        "and leaves.bin cannot tell which differs"
    ]


def test_a_damaged_leaves_bin_under_a_good_checkpoint_is_named_as_such(clean, tmp_path_factory):
    export = copy_of(clean, tmp_path_factory)
    leaves = bytearray((export / "leaves.bin").read_bytes())
    leaves[32 * 7] ^= 1
    (export / "leaves.bin").write_bytes(bytes(leaves))
    report = tv.verify_export(export)
    assert indexed(report) == [7] and "stored leaf is damaged" in report.problems[0].message


def test_unsigned_foreign_malformed_or_contradictory_checkpoints_are_problems(clean, tmp_path_factory):
    export = copy_of(clean, tmp_path_factory)
    folder = export / "checkpoints"
    forged_root = tv.checkpoint_body(ORIGIN, 9, bytes(32))
    (folder / "a-unsigned.note").write_text(OTHER_LOG.sign(tv.checkpoint_body(ORIGIN, 3, bytes(32))))
    (folder / "b-origin.note").write_text(LOG.sign(tv.checkpoint_body("elsewhere.example/log", 3, bytes(32))))
    (folder / "c-garbage.note").write_text("not a note")
    (folder / "d-fork.note").write_text(LOG.sign(forged_root))
    messages = [p.message for p in tv.verify_export(export).problems if p.index is None]
    assert messages[:4] == [
        "checkpoints/a-unsigned.note: no signature by the log key",
        "checkpoints/b-origin.note: origin 'elsewhere.example/log' is not the log's 'caseledger.example/log'",
        "checkpoints/c-garbage.note: not a checkpoint: a note needs a blank line before its signatures",
        "checkpoints/d-fork.note: another checkpoint signs size 9 with another root",
    ]


def test_witness_lines_by_unknown_keys_are_listed_unverified_and_bad_ones_by_known_keys_are_problems(tmp_path):
    body = tv.checkpoint_body(ORIGIN, SIZE, tv.root_of(map(merkle.leaf_hash, EVENTS)))
    good = add_signature(LOG.sign(body), STRANGER.signature_line(body, 99))
    bad_line = WITNESS.signature_line(tv.checkpoint_body(ORIGIN, SIZE, bytes(32)), 99)  # over another body
    export = write_export(tmp_path / "export", EVENTS, notes=[good, add_signature(LOG.sign(body), bad_line)])
    report = tv.verify_export(export)
    assert [str(p) for p in report.problems] == [
        "checkpoints/0001.note: a bad cosignature by witness witness.example/w1"
    ]
    assert report.witnesses == [
        {"name": WITNESS.name, "key_id": WITNESS.key_id.hex(), "verified": False, "checkpoints": 0, "known": True},
        {"name": STRANGER.name, "key_id": STRANGER.key_id.hex(), "verified": False, "checkpoints": 1, "known": False},
    ]
    given = tv.verify_export(export, witnesses=[STRANGER.vkey()]).witnesses
    assert {w["name"]: w["verified"] for w in given} == {STRANGER.name: True, WITNESS.name: False}


def test_a_trusted_checkpoint_the_export_extends_is_accepted(clean):
    assert tv.verify_export(clean, trusted=checkpoint(EVENTS, 7)).ok


def test_an_export_older_than_the_trusted_checkpoint_is_a_rollback(tmp_path):
    history = EVENTS + [event(SIZE + i) for i in range(6)]
    export = write_export(tmp_path / "export", EVENTS)
    report = tv.verify_export(export, trusted=checkpoint(history, SIZE + 6))
    assert [p.message.split(":")[0] for p in report.problems] == [
        "export is older than the trusted checkpoint (rollback)"
    ]


def test_an_export_of_another_history_than_the_trusted_checkpoint_is_a_fork(clean):
    other = EVENTS[:4] + [event(4, " other")] + EVENTS[5:]
    report = tv.verify_export(clean, trusted=checkpoint(other, 7))
    assert [p.message.split(":")[0] for p in report.problems] == ["forked from the trusted checkpoint"]


def test_a_trusted_checkpoint_not_signed_by_the_log_key_is_a_problem(clean):
    report = tv.verify_export(clean, trusted=checkpoint(EVENTS, 7, signer=OTHER_LOG))
    assert [p.message for p in report.problems] == ["the trusted checkpoint does not verify with the log key"]


@pytest.mark.parametrize("spoil", ["manifest.json", "log.vkey", "events.bin"])
def test_an_export_missing_its_manifest_key_or_events_cannot_be_audited(clean, tmp_path_factory, spoil):
    export = copy_of(clean, tmp_path_factory)
    (export / spoil).unlink()
    with pytest.raises(tv.UnusableInput):
        tv.verify_export(export)


def test_main_exits_0_when_clean_1_on_a_problem_and_2_on_unusable_input(clean, tmp_path_factory, capsys):
    assert tv.main([str(clean)]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {SIZE} events checked against the exported log key")
    tampered = copy_of(clean, tmp_path_factory)
    rewrite_events(tampered, EVENTS[:3] + EVENTS[4:])
    pinned = tampered.parent / "log.vkey"
    pinned.write_text(LOG.vkey())
    assert tv.main([str(tampered), "--vkey", str(pinned), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["key_source"] == "given" and out["problems"][0]["index"] == 3
    assert tv.main([str(tampered.parent / "nowhere")]) == 2
    assert tv.main([str(clean), "--trusted", str(tampered.parent / "nowhere.note")]) == 2
    assert "cannot audit" in capsys.readouterr().err


def test_the_verifier_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(Path(tv.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level]
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


@pytest.mark.parametrize("name", ["copy.py", "json.py", "tlog_verify.py"])
def test_the_verifier_runs_as_a_lone_script_copied_anywhere_under_any_name(clean, tmp_path, name):
    """Not isolated (no -I): the script's folder is on sys.path, as when an auditor runs it, standard names included."""
    script = tmp_path / name
    shutil.copyfile(tv.__file__, script)
    command = [sys.executable, name, str(clean), "--witness", str(clean / "witnesses.vkeys")]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"witness {WITNESS.name} ({WITNESS.key_id.hex()}): verified" in result.stdout
