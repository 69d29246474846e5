"""Accountability the way an inspector follows it, over HTTP on SQLite and PostgreSQL: a follow-up period
for a 约谈 or a 书面检查 where the profile sets one (逾期未跟进 once it passes), the inspector's own 通报批评
and 约谈 (视情, 004 item 十五) with their reason, and the month's consequences by unit in the bulletin
(JSON, workbook, PDF).

No document gives a number of days for holding a 约谈 or handing in a 书面检查, so no packaged profile sets
one: the follow-up periods here are a local profile's (``[accountability.follow_up]``), a copy of Zichuan's
(000 item 4) with 5 working days for the 约谈 and 10 calendar days for the 书面检查.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from adapters.auth.passwords import Argon2Hasher
from adapters.profiles.files import PACKAGED
from domain.errors import AlreadyExists
from tests.conftest import LOG_KEY_FILE
from tests.e2e.conftest import OPERATOR, PASSWORD, UNITS, USERS, Api, _ensure
from tests.e2e.workspace_client import Clerk, text_of
from tests.pdf import pdf_text
from web.app import create_app
from web.bootstrap import Settings, bootstrap

PROFILE = "zichuan-followup-test"
FOLLOW_UP = """
[accountability.follow_up.interview]
length = 5
unit = "working_days"
source = "test: a local override (no document sets the period)"

[accountability.follow_up.written_self_examination]
length = 10
unit = "calendar_days"
source = "test: a local override (no document sets the period)"
"""


@pytest.fixture
def acct(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API with a local profile directory holding the test profile, its read models followed."""
    zichuan = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    (tmp_path / f"{PROFILE}.toml").write_text(
        zichuan.replace('id = "zichuan-2020"', f'id = "{PROFILE}"') + FOLLOW_UP, encoding="utf-8"
    )
    container = bootstrap(
        Settings(
            database_url=database_url,
            secret_key="test-secret",
            log_key_file=LOG_KEY_FILE,
            read_wait=3.0,
            profiles_dir=tmp_path,
        ),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    for code, name in UNITS.items():
        _ensure(lambda code=code, name=name: container.directory.add_unit(OPERATOR, code, name))
    for name, (role, unit) in USERS.items():
        _ensure(
            lambda name=name, role=role, unit=unit: container.directory.add_user(OPERATOR, name, role, PASSWORD, unit)
        )
    client = create_app(container).test_client()
    tokens = {}
    for name in USERS:
        response = client.post("/api/auth/token", json={"username": name, "password": PASSWORD})
        tokens[name] = response.json["token"]
    stop = threading.Event()
    thread = threading.Thread(target=container.follow, args=(stop, 0.02, 50))
    thread.start()
    yield Api(client, container, tokens)
    stop.set()
    thread.join()
    container.close()


def fresh_unit(api, name: str = "测试供电所") -> str:
    code = f"U-{uuid.uuid4().hex[:8].upper()}"
    try:
        api.container.directory.add_unit(OPERATOR, code, name)
    except AlreadyExists:
        pass
    return code


def late_answers(api, unit: str, profile: str = PROFILE) -> list[dict]:
    """000 item 4: two cases forwarded to ``unit`` on Mon 10-12 and Tue 10-13 (reply within 2 working days:
    due Wed 10-14 and Thu 10-15 24:00), both answered on 10-20 — two 超期回复, two 通报提醒, and so, at the
    second miss (Fri 10-16 00:00), 约谈 and 书面检查."""
    cases = []
    for day in ("2026-10-12", "2026-10-13"):
        case = api.open(
            profile=profile, occurred_at=f"{day}T09:00:00+08:00", subject=f"接电难{uuid.uuid4().int % 10**8}"
        )
        forwarded = api.post(
            f"/api/appeals/{case['id']}/forward", {"unit": unit, "occurred_at": f"{day}T10:00:00+08:00"}
        )
        assert forwarded.status_code == 200, forwarded.json
        answered = api.post(
            f"/api/appeals/{case['id']}/answer",
            {"kind": "initial", "content": "已联系", "occurred_at": "2026-10-20T09:00:00+08:00"},
            user="ops",
        )
        assert answered.status_code == 200, answered.json
        cases.append(forwarded.json)
    assert api.container.wait_for_accountability(10)
    return cases


def everything(api) -> list:
    recorder = api.container.accountability.recorder
    return [*api.store(), *((n.id, n.topic) for n in recorder.select_notifications(start=None, limit=10**6))]


def record_of(api, unit: str) -> dict:
    response = api.get(f"/api/units/{unit}/accountability", user="inspector")
    assert response.status_code == 200, response.json
    return response.json


def act(api, unit: str, body: dict, user: str = "inspector"):
    return api.post(f"/api/units/{unit}/accountability/actions", body, user=user)


def test_a_profile_follow_up_period_gives_the_interview_and_the_written_review_a_due_day(acct):
    """000 item 4 (约谈 and 书面检查 after two reminders in a month), with a local profile's follow-up periods:
    both arise Fri 2026-10-16 00:00 (the second reply deadline passed); 5 working days for the 约谈, the day
    it arose not counted: Mon 10-19, Tue 10-20, Wed 10-21, Thu 10-22, Fri 10-23 → due 10-23 24:00; 10
    calendar days for the 书面检查: 10-26, a Monday (a working day) → due 10-26 24:00. Both have passed
    (today is later), unanswered: 逾期未跟进, until the inspector records 约谈已进行."""
    unit = fresh_unit(acct)
    late_answers(acct, unit)
    body = record_of(acct, unit)
    [interview] = body["interviews"]
    [review] = body["written_reviews"]
    assert interview["at"] == review["at"] == "2026-10-16T00:00:00+08:00"
    assert interview["follow_up_due"] == "2026-10-23T23:59:59+08:00"
    assert review["follow_up_due"] == "2026-10-26T23:59:59+08:00"
    assert [r["follow_up_due"] for r in body["reminders"]] == [None, None]  # 通报提醒: no follow-up asked
    assert interview["follow_up_overdue"] and review["follow_up_overdue"]
    held = act(
        acct,
        unit,
        {
            "action": "interview_held",
            "note": "区纪委监委约谈单位主要负责人",
            "consequence": interview["id"],
            "occurred_at": "2026-10-27T09:00:00+08:00",
        },
    )
    assert held.status_code == 201, held.json
    assert held.json["interviews"][0]["follow_up_overdue"] is False
    assert held.json["written_reviews"][0]["follow_up_overdue"] is True
    received = act(
        acct,
        unit,
        {"action": "self_examination_received", "note": "已收到书面检查", "consequence": review["id"]},
    )
    assert received.status_code == 201 and received.json["written_reviews"][0]["follow_up_overdue"] is False


def test_packaged_profiles_set_no_follow_up_period(acct):
    """000 item 4 sets no period for the 约谈 or the 书面检查: under the packaged Zichuan profile neither has
    a due day, and neither is ever overdue."""
    unit = fresh_unit(acct)
    late_answers(acct, unit, profile="zichuan-2020")
    body = record_of(acct, unit)
    assert [c["follow_up_due"] for c in body["consequences"]] == [None] * 4
    assert not any(c["follow_up_overdue"] for c in body["consequences"])


def test_the_register_marks_a_follow_up_overdue_and_open_filter_keeps_it(acct):
    """000 item 4 with a local follow-up period: the register (问责台账) shows the 约谈 due 10-23 as 逾期未跟进,
    also under 只看尚无后续处理的 (open=1)."""
    unit = fresh_unit(acct)
    late_answers(acct, unit)
    inspector = Clerk.sign_in(acct, "inspector")
    for query in (f"unit={unit}", f"unit={unit}&open=1"):
        page = inspector.get(f"/accountability?{query}")
        assert page.status_code == 200
        text = text_of(page.text)
        assert "逾期未跟进" in text and "跟进期限：2026-10-23 23:59" in text


def test_an_inspector_issues_a_criticism_with_its_reason_citing_a_case(acct):
    """004 item 十五 (对服务企业不到位、问题解决不及时的，视情…通报批评): an inspector's own 通报批评 against a
    unit, with its reason, citing the unit's case; without a reason, in the future, by a unit, or citing a
    case the unit is not on, it is refused and nothing is recorded. It is in the unit's record, the audit
    trail and the month's bulletin."""
    unit = fresh_unit(acct)
    other = fresh_unit(acct)
    [case, _] = late_answers(acct, unit)
    before = everything(acct)
    no_reason = act(acct, unit, {"action": "criticism_issued", "case_ids": [case["id"]]})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    future = act(
        acct, unit, {"action": "criticism_issued", "reason": "推诿扯皮", "occurred_at": "2099-01-01T09:00:00+08:00"}
    )
    assert future.status_code == 422 and "occurred_at" in future.json["error"]["fields"]
    assert act(acct, unit, {"action": "criticism_issued", "reason": "推诿扯皮"}, user="power").status_code == 403
    elsewhere = act(acct, other, {"action": "criticism_issued", "reason": "推诿扯皮", "case_ids": [case["id"]]})
    assert elsewhere.status_code == 422 and "case_id" in elsewhere.json["error"]["fields"]
    assert everything(acct) == before

    issued = act(
        acct,
        unit,
        {
            "action": "criticism_issued",
            "reason": "问题解决不及时，企业多次反映",
            "case_ids": [case["id"]],
            "occurred_at": "2026-10-28T15:00:00+08:00",
        },
    )
    assert issued.status_code == 201, issued.json
    [criticism] = [c for c in issued.json["consequences"] if c["kind"] == "criticism"]
    assert criticism["reason"] == "问题解决不及时，企业多次反映" and criticism["source"] == "004 item 十五"
    assert criticism["ordered_by"]["user"] == "inspector" and criticism["rule"] == "criticism_issued"
    assert criticism["at"] == "2026-10-28T15:00:00+08:00" and criticism["follow_up_due"] is None
    assert [e["case_id"] for e in criticism["evidence"]] == [case["id"]]
    assert criticism in issued.json["reminders"]  # 通报批评 is read with the reminders, as before

    acct.container.wait_for_views()
    trail = acct.get(f"/api/audit/trail?unit={unit}&type=UnitAccountability.ConsequenceOrdered", user="auditor")
    assert trail.status_code == 200, trail.json
    [entry] = trail.json["entries"]
    assert (entry["actor"]["user"], entry["record"], entry["case_id"]) == ("inspector", "accountability", case["id"])
    assert entry["data"]["reason"] == "问题解决不及时，企业多次反映"

    bulletin = acct.get("/api/reports/monthly?period=2026-10", user="auditor").json["consequences"]
    [row] = [r for r in bulletin["units"] if r["unit"] == unit]
    assert row["counts"] == {
        "notified_reminder": 2,
        "interview": 1,
        "written_self_examination": 1,
        "criticism": 1,
        "special_supervision": 0,
        "accountability_recommendation": 0,
    }
    assert row["total"] == 5
    [ordered] = [i for i in bulletin["items"] if i["unit"] == unit and i["ordered"]]
    assert (ordered["kind"], ordered["reason"]) == ("criticism", "问题解决不及时，企业多次反映")
    assert not [
        r
        for r in acct.get("/api/reports/monthly?period=2026-11", user="auditor").json["consequences"]["units"]
        if r["unit"] == unit
    ]


def test_an_interview_ordered_takes_the_cited_case_follow_up_period(acct):
    """004 item 十五 (视情…进行约谈), recorded by a supervisor Tue 2026-11-03 10:00 citing a case of the local
    profile (约谈 within 5 working days): Wed 11-04, Thu 11-05, Fri 11-06, Mon 11-09, Tue 11-10 → due
    11-10 24:00; an inspector's 约谈已进行 answers it."""
    unit = fresh_unit(acct)
    [case, _] = late_answers(acct, unit)
    ordered = act(
        acct,
        unit,
        {
            "action": "interview_ordered",
            "reason": "服务企业不到位",
            "note": "请单位主要负责人到市作风办",
            "case_ids": [case["id"]],
            "occurred_at": "2026-11-03T10:00:00+08:00",
        },
        user="super",
    )
    assert ordered.status_code == 201, ordered.json
    [interview] = [c for c in ordered.json["interviews"] if c["rule"] == "interview_ordered"]
    assert interview["follow_up_due"] == "2026-11-10T23:59:59+08:00" and interview["follow_up_overdue"]
    assert interview["note"] == "请单位主要负责人到市作风办"
    held = act(
        acct, unit, {"action": "interview_held", "note": "已约谈", "consequence": interview["id"]}, user="inspector"
    )
    assert held.status_code == 201, held.json
    assert not next(c for c in held.json["interviews"] if c["id"] == interview["id"])["follow_up_overdue"]


def test_the_bulletin_workbook_and_pdf_list_the_consequences_by_unit_in_chinese(acct):
    """000 item 4 and 004 item 十五: the October bulletin's 问责处理 sheet and pages count the unit's two
    通报提醒, its 约谈, 书面检查 and the inspector's 通报批评, and list each with its basis in Chinese."""
    unit = fresh_unit(acct, "测试问责单位")
    late_answers(acct, unit)
    issued = act(
        acct,
        unit,
        {"action": "criticism_issued", "reason": "推诿扯皮", "occurred_at": "2026-10-28T15:00:00+08:00"},
    )
    assert issued.status_code == 201, issued.json
    workbook = acct.get("/api/reports/monthly.xlsx?period=2026-10", user="auditor")
    assert workbook.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(workbook.data))["问责处理"]
    rows = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
    header = next(r for r in rows if r[0] == "单位代码")
    assert list(header[:9]) == [
        "单位代码",
        "单位名称",
        "通报提醒",
        "约谈",
        "书面检查",
        "通报批评",
        "专项督办",
        "建议追责问责",
        "合计",
    ]
    assert list(next(r for r in rows if r[0] == unit)[:9]) == [unit, "测试问责单位", 2, 1, 1, 1, 0, 0, 5]
    listed = [r for r in rows if r[0] == "测试问责单位"]
    assert ("通报批评", "2026-10-28 15:00", "视情作出：推诿扯皮") in {(r[1], r[2], r[3]) for r in listed}
    assert "宿政办发〔2024〕15号 第十五条" in {r[4] for r in listed}
    pdf = acct.get("/api/reports/monthly.pdf?period=2026-10", user="auditor")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    assert "问责处理" in text and "建议追责问责" in text and "视情作出：推诿扯皮" in text


def test_the_unit_page_form_records_a_criticism_with_its_reason_and_refuses_one_without(acct):
    """004 item 十五 (视情…通报批评) through the workspace: the form 记录后续处理 offers 视情通报批评 with a field
    理由; without a reason it says so beside the field and records nothing (422); with one, and the case
    cited by its number, it is recorded and the page shows who decided it and why, in Chinese only."""
    from tests.e2e.test_workspace_accountability import latin_words, post_follow_up

    unit = fresh_unit(acct)
    [case, _] = late_answers(acct, unit)
    inspector = Clerk.sign_in(acct, "inspector")
    page = inspector.get(f"/units/{unit}/accountability")
    assert "视情通报批评" in page.text and "视情约谈" in page.text and 'name="reason"' in page.text
    before = everything(acct)
    refused = post_follow_up(inspector, unit, {"action": "criticism_issued", "reason": "", "case_no": case["case_no"]})
    assert refused.status_code == 422
    assert "请填写作出该问责处理的理由" in text_of(refused.text)
    assert everything(acct) == before
    done = post_follow_up(
        inspector,
        unit,
        {
            "action": "criticism_issued",
            "reason": "推诿扯皮，企业多次反映",
            "case_no": case["case_no"],
            "occurred_at": "2026-10-28T15:00",
        },
    )
    assert done.status_code == 303, text_of(done.text)[:500]
    text = text_of(inspector.get(f"/units/{unit}/accountability").text)
    assert "视情作出，理由：推诿扯皮，企业多次反映" in text and "宿政办发〔2024〕15号 第十五条" in text
    assert "逾期未跟进" in text  # the 约谈 of 000 item 4, due 10-23, still not held
    case_page = text_of(inspector.get(f"/appeals/{case['id']}").text)  # the case shows what rests on it or cites it
    assert "问责处理" in case_page and "视情作出，理由：推诿扯皮，企业多次反映" in case_page
    assert "超期回复1次及以上，通报提醒" in case_page
    clerk_page = text_of(Clerk.sign_in(acct, "clerk").get(f"/appeals/{case['id']}").text)
    assert "推诿扯皮" not in clerk_page  # the platform reads no accountability record
    assert not latin_words(text, ("inspector", unit), acct), latin_words(text, ("inspector", unit), acct)
