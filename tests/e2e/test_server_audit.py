"""The auditor's path on the real server, on SQLite and PostgreSQL: checkpoints over HTTP, an
export made with the CLI, and the offline verifier run on it with nothing but the export, the
log's published key and a checkpoint kept from earlier; a witness cosigning along the way.
"""

from __future__ import annotations

import shutil
import struct
import uuid

import pytest

from tests.e2e.server import run_cli, running_server, scratch_postgres


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"audit-{request.param}")
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp}/events.sqlite3", tmp) as s:
            yield s
    else:
        with scratch_postgres() as url, running_server(url, tmp) as s:
            yield s


def some_cases(server, n=3):
    for _ in range(n):
        tag = f"{uuid.uuid4().int % 10**8:08d}"
        created = server.post(
            "/api/appeals",
            {
                "channel": "12345",
                "category": "help",
                "subject": f"接电难 {tag}",
                "content": "新厂房低压接电逾期未办",
                "enterprise": {"name": f"淄博某某机械有限公司 {tag}"},
                "profile": "zichuan-2020",
            },
            token=server.tokens["clerk"],
        )
        assert created.status == 201, created.json
        forwarded = server.post(
            f"/api/appeals/{created.json['id']}/forward", {"unit": "DISTRICT-POWER"}, token=server.tokens["clerk"]
        )
        assert forwarded.status == 200, forwarded.json


def test_an_export_verifies_offline_against_the_published_key_and_a_checkpoint_kept_earlier(server, tmp_path):
    some_cases(server)
    kept = server.get("/api/audit/checkpoint", token=server.tokens["auditor"]).json
    (tmp_path / "kept.note").write_text(kept["note"])
    (tmp_path / "log.vkey").write_text(server.get("/api/audit/public-key", token=server.tokens["power"]).json["vkey"])
    some_cases(server)
    export = tmp_path / "export"
    run_cli(["audit", "export", str(export)], server.env, tmp_path)
    assert (export / "log.vkey").read_text().strip() == (tmp_path / "log.vkey").read_text()
    verified = run_cli(
        [
            "audit",
            "verify",
            str(export),
            "--trusted",
            str(tmp_path / "kept.note"),
            "--vkey",
            str(tmp_path / "log.vkey"),
            "--json",
        ],
        server.env,
        tmp_path,
    )
    assert '"ok": true' in verified.stdout

    # One byte of one event's state changed in the export: named by its index, exit status 1.
    tampered = tmp_path / "tampered"
    shutil.copytree(export, tampered)
    data = bytearray((tampered / "events.bin").read_bytes())
    offset, index = 0, 0
    while index < 5:  # skip to the sixth record
        offset += 4 + struct.unpack_from(">I", data, offset)[0]
        index += 1
    length = struct.unpack_from(">I", data, offset)[0]
    data[offset + 4 + length - 1] ^= 0x01
    (tampered / "events.bin").write_bytes(bytes(data))
    caught = run_cli(
        ["audit", "verify", str(tampered), "--vkey", str(tmp_path / "log.vkey")], server.env, tmp_path, check=False
    )
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert "index 5" in caught.stdout


def test_a_witness_cosigns_after_checking_consistency_and_the_verifier_names_it(server, tmp_path):
    witness = run_cli(
        ["audit", "keygen", "jw.example.gov.cn/witness", "--witness", "--out", str(tmp_path / "witness.key")],
        server.env,
        tmp_path,
    ).stdout.strip()
    (tmp_path / "witness.vkey").write_text(witness + "\n")
    some_cases(server, 1)
    server.get("/api/audit/checkpoint", token=server.tokens["auditor"])
    run_cli(["audit", "cosign", "--key", str(tmp_path / "witness.key")], server.env, tmp_path)
    some_cases(server, 1)
    server.get("/api/audit/checkpoint", token=server.tokens["auditor"])
    second = run_cli(["audit", "cosign", "--key", str(tmp_path / "witness.key")], server.env, tmp_path)
    assert "— jw.example.gov.cn/witness " in second.stdout
    cp = server.get("/api/audit/checkpoint", token=server.tokens["power"]).json
    assert "— jw.example.gov.cn/witness " in cp["note"]  # readers get the cosignature with the checkpoint
    export = tmp_path / "export"
    run_cli(["audit", "export", str(export)], server.env, tmp_path)
    report = run_cli(
        ["audit", "verify", str(export), "--witness", str(tmp_path / "witness.vkey")], server.env, tmp_path
    )
    assert "jw.example.gov.cn/witness" in report.stdout
