"""``GET /api/notices`` (预警) and the e-mail addresses in the audit trail, on SQLite and PostgreSQL.

The case: 淄川 (000 item 4) gives the unit 2 working days to reply. Forwarded Tue 2026-09-29 10:00:
Wed 09-30 is the first working day, Thu 10-01 to Wed 10-07 are National Day's rest days, Thu 10-08
the second; the reply ends 24:00 Thu 10-08, and the sweep at Fri 10-09 00:00 records it missed.
"""

from __future__ import annotations

import pytest

from domain.notices import notice_key
from tests.e2e.conftest import OPERATOR


@pytest.fixture
def noticed(live):
    """A case whose reply deadline the unit missed, and the reminders derived from it."""
    case = live.open(occurred_at="2026-09-29T09:00:00+08:00", subject="预警接口测试")
    forwarded = live.post(
        f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "occurred_at": "2026-09-29T10:00:00+08:00"}
    )
    assert forwarded.status_code == 200, forwarded.json
    swept = live.post("/api/deadlines/sweep", {"now": "2026-10-09T00:00:00+08:00"})
    assert swept.status_code == 200, swept.json
    return live, case


def test_auditors_inspectors_and_admins_see_who_was_told_what_and_when(noticed):
    """000 item 4: the missed reply is an "ended" notice to DISTRICT-POWER, in its workspace (no user
    of the unit has an address here, so no mail)."""
    api, case = noticed
    for user in ("auditor", "inspector", "ops"):
        response = api.get(f"/api/notices?case_id={case['id']}", user=user)
        assert response.status_code == 200, response.json
        (item,) = [i for i in response.json["items"] if i["deadline"] == "unit_reply"]
        assert item == item | {
            "key": notice_key(case["id"], "unit_reply", 1, "ended"),
            "case_id": case["id"],
            "case_no": case["case_no"],
            "unit": "DISTRICT-POWER",
            "kind": "ended",
            "due": "2026-10-08T23:59:59+08:00",
            "channel": "workspace",
            "to": "DISTRICT-POWER",
            "attempts": 0,
            "last_error": None,
        }
        assert item["sent_at"] == item["created_at"]


def test_a_unit_reads_its_own_notices_and_no_other_unit_s(noticed):
    api, case = noticed
    own = api.get(f"/api/notices?case_id={case['id']}", user="power")
    assert own.status_code == 200 and {i["unit"] for i in own.json["items"]} == {"DISTRICT-POWER"}
    assert api.get("/api/notices?unit=DISTRICT-POWER", user="power").status_code == 200
    other = api.get(f"/api/notices?case_id={case['id']}", user="water")
    assert other.status_code == 200 and other.json["items"] == []
    refused = api.get("/api/notices?unit=DISTRICT-POWER", user="water")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("user", ["clerk", "super"])
def test_the_platform_and_supervisors_may_not_read_the_notices(api, user):
    response = api.get("/api/notices", user=user)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_reading_the_notices_needs_a_signed_in_user(api):
    assert api.get("/api/notices", user=None).status_code == 401


def test_notices_since_a_time_leave_out_the_earlier_ones(noticed):
    api, case = noticed
    later = api.get(f"/api/notices?case_id={case['id']}&since=2999-01-01T00:00:00%2B08:00", user="auditor")
    assert later.status_code == 200 and later.json["items"] == []


def test_setting_an_e_mail_address_is_a_directory_act_in_the_audit_trail(live):
    live.container.directory.set_email(OPERATOR, "grid", "grid@ban.example.cn")
    response = live.get("/api/audit/trail?type=User.EmailSet&record=user", user="auditor")
    assert response.status_code == 200, response.json
    entry = next(e for e in response.json["entries"] if e["subject"] == "grid")
    assert entry["actor"]["user"] == OPERATOR.user and entry["data"]["address"] == "grid@ban.example.cn"


def test_an_address_that_is_no_address_is_refused_and_records_nothing(api):
    from domain.errors import ValidationFailed

    before = api.store()
    with pytest.raises(ValidationFailed) as refused:
        api.container.directory.set_email(OPERATOR, "water", "not an address")
    assert refused.value.zh["address"] == "请填写有效的电子邮箱地址"
    assert api.store() == before
