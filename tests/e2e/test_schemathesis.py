"""Property-based tests of the real server against its own OpenAPI document (schemathesis 4, CLI).

``schemathesis run <base>/api/openapi.json`` against ``caseledger serve`` on
SQLite, signed in as the platform, with exactly the two checks the issue asks
for: no server error (``not_a_server_error``) and no response that breaks the
documented schema (``response_schema_conformance``). A bounded number of
examples per operation keeps the run to a couple of minutes on 2 cores.

So that the generated requests reach the rules rather than 404 on random ids,
a config file gives schemathesis dictionaries of real values: the ids of
appeals and approvals prepared in every status, the policy profiles of both
kinds, the approval matters and the units (an approval's departments); generated
values are still used part of the time; timestamps are now and then taken
from the ends of the valid range. The platform may not run the unit's
commands, so those are run again with an admin's token, which may; and
``POST /api/auth/revoke`` would revoke the very token the run signs in with,
so it has a run of its own, with a token of its own, at the end. Requests go
only to 127.0.0.1 (no proxy).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.server import running_server

MAX_EXAMPLES = int(os.environ.get("CASELEDGER_SCHEMATHESIS_EXAMPLES", "50"))
SEED = os.environ.get("CASELEDGER_SCHEMATHESIS_SEED")  # unset: a fresh seed each run, printed in the output
TIMEOUT = 480  # seconds per run: far above what it takes here (about a minute), so a slower machine does not fail it
CHECKS = "not_a_server_error,response_schema_conformance"
# Valid RFC 3339 times at the ends of the range (and of Python's datetime), used now and then for
# every timestamp: a time the schema accepts must never become a server error.
EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00",
    "1900-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-12:00",
]
PROFILES = [
    "zichuan-2020",
    "liaocheng-2020",
    "suqian-2024",
    "liaoyuan-2024",
    "licensing-law-2019",
    "liaocheng-2020-approvals",
    "liaoyuan-2024-approvals",
]
UNITS = ["DISTRICT-POWER", "DISTRICT-WATER", "DISTRICT-GRID"]
MATTERS = [
    "general",
    "business-startup",
    "joint-completion-acceptance",
    "utility-connection",
    "special-working-hours",
    "assembly-venue-opening",
]


def schemathesis() -> list[str]:
    script = Path(sys.executable).with_name("schemathesis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "schemathesis.cli"]


def prepare_cases(server) -> list[str]:
    """One case in each status, so that each command meets cases it may and may not run on."""
    t = server.tokens

    def post(user, path, body=None):
        status, data, _ = server.post(path, body or {}, token=t[user])
        assert status in (200, 201), (user, path, status, data)
        return data

    def new(profile="zichuan-2020", category="help"):
        return post(
            "clerk",
            "/api/appeals",
            {
                "channel": "12345",
                "category": category,
                "subject": "接电难",
                "content": "新厂房低压接电逾期未办",
                "enterprise": {"name": "淄博某某机械有限公司"},
                "profile": profile,
            },
        )["id"]

    paths = {  # the steps after opening; each prefix is a status
        "forward": ("clerk", {"unit": "DISTRICT-POWER", "co_units": ["DISTRICT-GRID"]}),
        "acknowledge": ("power", {}),
        "answer": ("power", {"kind": "final", "content": "已办结"}),
        "review": ("clerk", {"accepted": True}),
        "visit": ("clerk", {"satisfaction": "satisfied", "solved": True}),
        "close": ("clerk", {}),
    }
    ids = []
    for profile in ("zichuan-2020", "liaocheng-2020", "suqian-2024"):
        for depth in range(len(paths) + 1):
            cid = new(profile)
            for verb, (user, body) in list(paths.items())[:depth]:
                post(user, f"/api/appeals/{cid}/{verb}", body)
            ids.append(cid)
    returned = new("liaocheng-2020")
    for verb in ("forward", "acknowledge", "answer"):
        post(paths[verb][0], f"/api/appeals/{returned}/{verb}", paths[verb][1])
    post("clerk", f"/api/appeals/{returned}/review", {"accepted": False, "note": "未解决"})
    handed_back = new()
    post("clerk", f"/api/appeals/{handed_back}/forward", {"unit": "DISTRICT-POWER"})
    post("power", f"/api/appeals/{handed_back}/handback", {"reason": "非本单位职责"})
    return ids + [returned, handed_back]


def prepare_approvals(server) -> list[str]:
    """One application (审批) in each status, the departments being the server's units."""
    t = server.tokens

    def post(user, path, body=None):
        status, data, _ = server.post(path, body or {}, token=t[user])
        assert status in (200, 201), (user, path, status, data)
        return data

    def new(commitment=False, **fields):
        body = {
            "profile": "liaoyuan-2024-approvals",
            "matter": "assembly-venue-opening",
            "commitment": commitment,
            "applicant": {"name": "某某影城", "contact": {"name": "李经理", "phone": "13800000000"}},
            "materials": ["申请书"],
            "departments": ["DISTRICT-POWER", "DISTRICT-WATER"],
        } | fields
        return post("clerk", "/api/approvals", body)["id"]

    answer = {"department": "DISTRICT-POWER", "decision": "approve", "opinion": "合格"}
    paths = [  # the steps after submission; each prefix is a status
        ("clerk", "accept", {}),
        ("clerk", "forward", {}),
        ("power", "answer", answer),
        ("water", "answer", answer | {"department": "DISTRICT-WATER"}),
        ("clerk", "decide", {"decision": "approve", "reason": "合格"}),
        ("clerk", "deliver", {}),
    ]
    ids = []
    for commitment in (False, True):
        for depth in range(len(paths) + 1):
            aid = new(commitment)
            for user, verb, body in paths[:depth]:
                post(user, f"/api/approvals/{aid}/{verb}", body)
            ids.append(aid)
    told = new()
    post("clerk", f"/api/approvals/{told}/request-materials", {"missing": ["消防设计图"]})
    paused = new(profile="licensing-law-2019", matter="general")
    for verb, body in (
        ("accept", {}),
        ("forward", {}),
        ("pause", {"reason": "inspection", "expected_working_days": 3}),
    ):
        post("clerk", f"/api/approvals/{paused}/{verb}", body)
    refused = new()
    post("clerk", f"/api/approvals/{refused}/refuse", {"reason": "不属于本机关职权"})
    return ids + [told, paused, refused]


def write_config(path: Path, case_ids: list[str], approval_ids: list[str]) -> Path:
    """schemathesis.toml: dictionaries of real values, each used part of the time; the approval routes
    take the ids of approvals, the others those of appeals."""

    def values(items):
        return json.dumps(items, ensure_ascii=False)

    path.write_text(
        f"""
[dictionaries]
case_ids = {{ values = {values(case_ids)} }}
approval_ids = {{ values = {values(approval_ids)} }}
profiles = {{ values = {values(PROFILES)} }}
units = {{ values = {values(UNITS)} }}
matters = {{ values = {values(MATTERS)} }}
edge_times = {{ values = {values(EDGE_TIMES)} }}

[parameters]
"path.case_id" = {{ dictionary = "case_ids", probability = 0.8 }}
"body.profile" = {{ dictionary = "profiles", probability = 0.7 }}
"body.unit" = {{ dictionary = "units", probability = 0.7 }}
"body.co_units[*]" = {{ dictionary = "units", probability = 0.5 }}
"body.department" = {{ dictionary = "units", probability = 0.7 }}
"body.departments[*]" = {{ dictionary = "units", probability = 0.5 }}
"body.matter" = {{ dictionary = "matters", probability = 0.7 }}
"body.occurred_at" = {{ dictionary = "edge_times", probability = 0.3 }}
"query.as_of" = {{ dictionary = "edge_times", probability = 0.3 }}

[[operations]]
include-path-regex = "^/api/approvals/"
parameters = {{ "path.case_id" = {{ dictionary = "approval_ids", probability = 0.8 }} }}
""",
        encoding="utf-8",
    )
    return path


def run_schemathesis(server, tmp_path: Path, config: Path, token: str, *extra: str) -> subprocess.CompletedProcess:
    command = [
        *schemathesis(),
        "--config-file",
        str(config),
        "run",
        f"{server.base_url}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",  # CPython 3.11.7: ast.parse in threads (hypothesis) may raise SystemError
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--no-color",
        *(("--seed", SEED) if SEED else ()),
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NO_PROXY="*", no_proxy="*")
    try:
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran over {TIMEOUT} s:\n{exc.stdout or ''}\n{exc.stderr or ''}")


def test_no_server_error_and_every_response_matches_the_schema(tmp_path):
    with running_server(f"sqlite:///{tmp_path}/events.sqlite3", tmp_path) as server:
        config = write_config(tmp_path / "schemathesis.toml", prepare_cases(server), prepare_approvals(server))
        runs = {
            "as the platform, every operation but /api/auth/revoke": run_schemathesis(
                server, tmp_path, config, server.tokens["clerk"], "--exclude-path", "/api/auth/revoke"
            ),
            # The platform may not run the unit's commands (403 every time): these again, as an admin
            # (an approval department's answer among them).
            "as an admin, the unit's commands": run_schemathesis(
                server,
                tmp_path,
                config,
                server.tokens["ops"],
                "--include-path-regex",
                "/(acknowledge|answer|extend|handback)$",
            ),
            "/api/auth/revoke": run_schemathesis(
                server, tmp_path, config, server.tokens["auditor"], "--include-path", "/api/auth/revoke"
            ),
        }
    failures = []
    for name, done in runs.items():
        print(f"--- schemathesis, {name} ---\n{done.stdout[-2500:]}")
        if done.returncode != 0:
            failures.append(
                f"schemathesis ({name}) exited {done.returncode}\n--- stdout ---\n{done.stdout}\n"
                f"--- stderr ---\n{done.stderr}"
            )
    assert not failures, "\n\n".join(failures) + f"\n--- server stderr (tail) ---\n{server.stderr()[-5000:]}"
