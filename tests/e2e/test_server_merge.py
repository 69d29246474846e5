"""并单 over HTTP on the real server (``caseledger serve``), on SQLite and on PostgreSQL.

并单: repeat appeals on the same matter are merged into one case, keeping each caller's record.
One test per database, many assertions: each server start is the costly part.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.server import running_server, scratch_postgres
from tests.e2e.test_server import command, get, open_case, post

# Only the users and the unit the test needs (provisioning each one is a CLI run), and one worker.
SERVER_OPTIONS = {
    "units": {"DISTRICT-POWER": "区供电中心"},
    "workers": 1,
    "users": {"clerk": ("platform", None), "power": ("unit", "DISTRICT-POWER")},
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"merge-{request.param}")
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp}/events.sqlite3", tmp, **SERVER_OPTIONS) as s:
            yield s
    else:
        with scratch_postgres(prefix="caseledger_merge") as url, running_server(url, tmp, **SERVER_OPTIONS) as s:
            yield s


def test_merge_and_unmerge_over_http_recorded_on_both_cases(server):
    """并单: Zichuan cases of Mon 2026-11-02 and Wed 11-04 by one enterprise; the second is
    suggested as a repeat of the first (same credit code), merged into it by the platform, shown merged in
    the unit's list, refused where docs/http-api.md says (nothing recorded), and unmerged with a reason."""
    code = "91370302MA3C7Q8X2K"
    enterprise = {"name": "淄博某某陶瓷有限公司", "credit_code": code}
    a = open_case(server, at="2026-11-02T09:00:00+08:00", subject="新厂房用电报装迟迟未接通", enterprise=enterprise)
    command(server, "clerk", a["id"], "forward", {"unit": "DISTRICT-POWER", "occurred_at": "2026-11-02T10:00:00+08:00"})
    b = open_case(
        server,
        at="2026-11-04T09:00:00+08:00",
        subject="用电报装一直未接通",
        enterprise=enterprise,
        contact={"name": "李会计", "phone": "13900000000"},
        channel="enterprise_express",
    )
    b = command(
        server, "clerk", b["id"], "forward", {"unit": "DISTRICT-POWER", "occurred_at": "2026-11-04T10:00:00+08:00"}
    )
    assert (b["callers"][0]["case"], b["merged_into"], b["merged"]) == (b["id"], None, [])

    # Suggested, not merged: to the platform and to the unit handling both.
    # Suggestions come from the case list, which the read-model process keeps up with the log; the API waits
    # for it only briefly (a suggestion is advice), so a loaded machine may ask a second time.
    for user in ("clerk", "power"):
        shown = get(server, user, f"/api/appeals/{b['id']}").json
        for _ in range(50):
            if shown["suggested_repeats"]:
                break
            time.sleep(0.2)
            shown = get(server, user, f"/api/appeals/{b['id']}").json
        assert shown["status"] == "forwarded"
        assert [(s["id"], s["case_no"], s["reason"]) for s in shown["suggested_repeats"]] == [
            (a["id"], a["case_no"], "credit_code")
        ]

    path = f"/api/appeals/{b['id']}/merge"
    assert post(server, "power", path, {"into": a["id"]}).status == 403
    assert post(server, "clerk", path, {"into": b["id"]}).status == 422
    assert post(server, "clerk", path, {"into": "00000000-0000-4000-8000-000000000000"}).status == 422
    assert post(server, "clerk", path, {"into": a["id"], "expected_version": 1}).status == 409
    assert get(server, "clerk", f"/api/appeals/{b['id']}").json["version"] == 2  # nothing recorded

    merged = command(
        server,
        "clerk",
        b["id"],
        "merge",
        {"into": a["id"], "note": "同一企业同一接电事项", "occurred_at": "2026-11-04T11:00:00+08:00"},
    )
    assert (merged["status"], merged["version"], merged["solved"]) == ("merged", 3, None)
    assert merged["merged_into"] == {"id": a["id"], "case_no": a["case_no"], "at": "2026-11-04T11:00:00+08:00"}
    assert all(d["cancelled_at"] == "2026-11-04T11:00:00+08:00" and not d["overdue"] for d in merged["deadlines"])
    survivor = get(server, "clerk", f"/api/appeals/{a['id']}").json
    assert [(c["case"], c["channel"], c["contact"]["name"] if c["contact"] else None) for c in survivor["callers"]] == [
        (a["id"], "12345", "王经理"),
        (b["id"], "enterprise_express", "李会计"),
    ]
    assert survivor["merged"] == [{"id": b["id"], "case_no": b["case_no"], "at": "2026-11-04T11:00:00+08:00"}]
    assert survivor["suggested_repeats"] == []  # a merged case is no longer a candidate
    assert get(server, "clerk", f"/api/appeals/{b['id']}").json["suggested_repeats"] == []
    assert [e["type"] for e in get(server, "clerk", f"/api/appeals/{a['id']}/history").json["events"]][
        -1
    ] == "RepeatMerged"
    assert [e["type"] for e in get(server, "clerk", f"/api/appeals/{b['id']}/history").json["events"]][
        -1
    ] == "MergedInto"
    listed = {r["id"]: r for r in get(server, "power", "/api/appeals?unit=DISTRICT-POWER&per_page=100").json["items"]}
    assert (listed[b["id"]]["status"], listed[b["id"]]["merged_into"], listed[a["id"]]["repeats"]) == (
        "merged",
        a["case_no"],
        1,
    )

    assert post(server, "clerk", path, {"into": a["id"]}).status == 409  # already merged
    assert post(server, "clerk", f"/api/appeals/{a['id']}/merge", {"into": b["id"]}).status == 409
    assert post(server, "clerk", f"/api/appeals/{a['id']}/unmerge", {"reason": "误并"}).status == 409
    assert post(server, "clerk", f"/api/appeals/{b['id']}/unmerge", {}).status == 422
    assert post(server, "power", f"/api/appeals/{b['id']}/unmerge", {"reason": "误并"}).status == 403

    back = command(
        server,
        "clerk",
        b["id"],
        "unmerge",
        {"reason": "经核实为两个厂区的不同事项", "occurred_at": "2026-11-05T09:00:00+08:00"},
    )
    assert (back["status"], back["merged_into"], back["version"]) == ("forwarded", None, 4)
    # Zichuan's unit reply runs again: 2 WD from Thu 11-05 09:00, Fri 11-06 and Mon 11-09.
    reply = [d for d in back["deadlines"] if d["name"] == "unit_reply"]
    assert [(d["round"], d["due"]) for d in reply] == [
        (1, "2026-11-06T23:59:59+08:00"),
        (2, "2026-11-09T23:59:59+08:00"),
    ]
    survivor = get(server, "clerk", f"/api/appeals/{a['id']}").json
    assert ([c["case"] for c in survivor["callers"]], survivor["merged"]) == ([a["id"]], [])
    assert [s["id"] for s in survivor["suggested_repeats"]] == [b["id"]]
