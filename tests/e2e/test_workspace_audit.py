"""The auditors' pages (docs/web-workspace.md *Auditors*), through the Flask app, on both databases.

A case page replays the case as it stood at any moment (``?as_of=``), read-only, its timeline linking
each event to the case as of that event; ``/audit/trail`` searches who did what (the audit trail, now
with the directory's acts and the accountability follow-ups); ``/audit/verify`` shows the latest signed
checkpoint and runs the verification of the store against the verifiable log. Tampering with a store
(tests/e2e/test_workspace_audit_tamper.py) is done on SQLite files of their own.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.tlog.sign import COSIGNATURE_V1, NoteSigner, generate_private_key
from domain.actors import Actor, Role
from tests.e2e.conftest import OPERATOR, PASSWORD
from tests.e2e.workspace_client import Clerk, csrf_token, text_of

WATCH = Actor("deadline-watch", Role.PLATFORM)
READERS = ("auditor", "inspector", "ops")  # READS["audit_trail"] and READS["audit_log"]: auditors, inspectors, admins
# Latin-alphabet words a page may show: user names, unit codes, case numbers' letters, the log's key name.
ALLOWED = {
    "auditor",
    "inspector",
    "ops",
    "clerk",
    "super",
    "power",
    "water",
    "cli",
    "test",
    "DISTRICT",
    "POWER",
    "WATER",
    "GRID",
    "FIRE",
    "PLAN",
    "caseledger",
    "local",
    "log",
}


def caught_up(api) -> None:
    """The read models, the accountability process and the audit trail's other logs brought up to date (no
    follower runs under the ``api`` fixture)."""
    api.container.runner().run_once()
    api.container.run_accountability()
    api.container.runner().run_once()


def latin_words(html: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text_of(html)))


def forwarded(api, unit: str = "DISTRICT-POWER", subject: str | None = None) -> dict:
    """An appeal received on Mon 2026-11-02 09:00 and forwarded at 10:00 (Asia/Shanghai)."""
    case = api.open(subject=subject or f"审计{uuid.uuid4().int % 10**8}", occurred_at="2026-11-02T09:00:00+08:00")
    response = api.post(
        f"/api/appeals/{case['id']}/forward", {"unit": unit, "occurred_at": "2026-11-02T10:00:00+08:00"}
    )
    assert response.status_code == 200, response.json
    return response.json


def as_of_links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*as_of=[^"]*)"', html)]


def words_of(case: dict) -> set[str]:
    """The Latin letters of a case's number (QY20261102-…): a case number may appear."""
    return set(re.findall(r"[A-Za-z]{2,}", case["case_no"]))


# -- a case as it stood (?as_of=) ---------------------------------------------------------------------------
def test_an_auditor_sees_a_case_as_it_stood_at_a_moment_read_only_with_what_changed_since(api):
    case = forwarded(api)
    auditor = Clerk.sign_in(api, "auditor")
    page = auditor.get(f"/appeals/{case['id']}", query_string={"as_of": "2026-11-02T09:30:00+08:00"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "截至 2026-11-02 09:30 的案件情况" in text
    assert "已受理" in text and "尚未转办" in text  # as it stood then, before it was forwarded
    assert "此后又有 1 条办理记录" in text and "查看案件当前情况" in text
    assert f'href="/appeals/{case["id"]}"' in page.text  # back to the present
    # Only the event recorded by then is in the timeline; no action form is offered.
    assert len(as_of_links(page.text)) == 1 and "承办单位 区供电中心" not in text
    assert f'action="/appeals/{case["id"]}/' not in page.text and "可办理事项" not in text
    assert latin_words(page.text) <= ALLOWED | words_of(case)


def test_a_replayed_case_shows_its_deadlines_as_they_stood_then(api):
    """000 item 4: the unit's first reply is due 2 working days after forwarding (Mon 11-02 → Wed 11-04);
    as of Tue 11-03 the deadline runs with working days left, though it is long overdue now."""
    case = forwarded(api)
    auditor = Clerk.sign_in(api, "auditor")
    now = text_of(auditor.get(f"/appeals/{case['id']}").text)
    assert "已超期" in now
    then = auditor.get(f"/appeals/{case['id']}", query_string={"as_of": "2026-11-03T12:00:00+08:00"})
    text = text_of(then.text)
    assert "计时中" in text and "已超期" not in text
    assert "2026-11-04 23:59" in text


def test_each_timeline_entry_links_to_the_case_as_of_that_event_for_every_reader_of_the_case(api):
    case = forwarded(api)
    for user in ("power", "clerk", "auditor"):
        clerk = Clerk.sign_in(api, user)
        links = as_of_links(clerk.get(f"/appeals/{case['id']}").text)
        assert len(links) == 2, (user, links)  # Received, Forwarded
        moments = [datetime.fromisoformat(parse_qs(urlsplit(link).query)["as_of"][0]) for link in links]
        assert moments == [
            datetime.fromisoformat("2026-11-02T09:00:00+08:00"),
            datetime.fromisoformat("2026-11-02T10:00:00+08:00"),
        ]
        replayed = clerk.get(links[1])
        assert replayed.status_code == 200
        text = text_of(replayed.text)
        assert "截至 2026-11-02 10:00" in text and "此后没有新的办理记录" in text
        assert "区供电中心" in text  # the event at that moment is included


def test_an_approval_is_replayed_as_it_stood_too(api):
    approval = api.submit(occurred_at="2026-11-02T09:00:00+08:00")
    assert (
        api.post(f"/api/approvals/{approval['id']}/accept", {"occurred_at": "2026-11-02T10:00:00+08:00"}).status_code
        == 200
    )
    auditor = Clerk.sign_in(api, "auditor")
    page = auditor.get(f"/approvals/{approval['id']}", query_string={"as_of": "2026-11-02T09:30:00+08:00"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "截至 2026-11-02 09:30" in text and "已申请" in text and "此后又有 1 条办理记录" in text
    assert f'action="/approvals/{approval["id"]}/' not in page.text
    assert len(as_of_links(auditor.get(f"/approvals/{approval['id']}").text)) == 2


def test_a_moment_before_the_case_existed_is_a_chinese_not_found_page(api):
    case = forwarded(api)
    page = Clerk.sign_in(api, "auditor").get(
        f"/appeals/{case['id']}", query_string={"as_of": "2026-11-01T09:00:00+08:00"}
    )
    assert page.status_code == 404
    assert "尚未登记" in text_of(page.text) and latin_words(page.text) <= ALLOWED


@pytest.mark.parametrize("moment", ["yesterday", "2026-13-40T00:00:00+08:00", "2026-11-02T10:00:00+99:00", ""])
def test_a_malformed_moment_is_a_chinese_bad_request_page_never_a_server_error(api, moment):
    case = forwarded(api)
    page = Clerk.sign_in(api, "auditor").get(f"/appeals/{case['id']}", query_string={"as_of": moment})
    assert page.status_code == 400
    assert "时间格式不正确" in text_of(page.text) and latin_words(page.text) <= ALLOWED


def test_a_moment_typed_without_escaping_its_plus_still_reads_as_its_offset(api):
    case = forwarded(api)
    page = Clerk.sign_in(api, "auditor").get(f"/appeals/{case['id']}?as_of=2026-11-02T09:30:00+08:00")
    assert page.status_code == 200 and "截至 2026-11-02 09:30" in text_of(page.text)


def test_another_units_case_is_forbidden_at_any_moment(api):
    case = forwarded(api)
    page = Clerk.sign_in(api, "water").get(
        f"/appeals/{case['id']}", query_string={"as_of": "2026-11-01T09:00:00+08:00"}
    )
    assert page.status_code == 403  # who may read is decided before the moment is looked at


# -- the audit trail (办理记录检索) ---------------------------------------------------------------------
def test_the_trail_page_is_for_auditors_inspectors_and_admins_only(api):
    for user in READERS:
        assert Clerk.sign_in(api, user).get("/audit/trail").status_code == 200, user
    for user in ("power", "clerk", "super"):
        page = Clerk.sign_in(api, user).get("/audit/trail")
        assert page.status_code == 403 and "无权查看" in text_of(page.text)
    assert "办理记录检索" in text_of(Clerk.sign_in(api, "auditor").get("/").text)  # in the navigation


def test_the_trail_shows_who_did_what_when_each_case_linked_as_of_that_event(api):
    case = forwarded(api)
    caught_up(api)
    auditor = Clerk.sign_in(api, "auditor")
    page = auditor.get("/audit/trail", query_string={"case_no": case["case_no"]})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "共 2 条" in text
    assert "2026-11-02 09:00" in text and "2026-11-02 10:00" in text
    assert "clerk（热线平台）" in text and "受理" in text and "转办" in text and "承办单位 区供电中心" in text
    links = as_of_links(page.text)
    assert [urlsplit(link).path for link in links] == [f"/appeals/{case['id']}"] * 2
    assert "截至 2026-11-02 10:00" in text_of(auditor.get(links[1]).text)
    assert latin_words(page.text) <= ALLOWED | words_of(case)


def test_the_trail_is_searched_by_actor_unit_type_case_number_and_time(api):
    subject = f"检索{uuid.uuid4().int % 10**8}"
    power = forwarded(api, "DISTRICT-POWER", subject)
    water = forwarded(api, "DISTRICT-WATER", subject)
    assert api.post(f"/api/appeals/{power['id']}/acknowledge", {}, user="power").status_code == 200
    caught_up(api)
    auditor = Clerk.sign_in(api, "auditor")

    def found(**query) -> str:
        page = auditor.get("/audit/trail", query_string=query)
        assert page.status_code == 200, text_of(page.text)[:300]
        return text_of(page.text)

    by_actor = found(actor="power", case_no=power["case_no"])
    assert "共 1 条" in by_actor and "签收" in by_actor and "power（承办单位 · 区供电中心）" in by_actor
    by_unit = found(unit="DISTRICT-WATER", type="Forwarded", since="2026-11-02", until="2026-11-02")
    assert water["case_no"] in by_unit and power["case_no"] not in by_unit
    assert power["case_no"] in found(type="Acknowledged", case_no=power["case_no"])
    assert "没有符合条件的办理记录" in found(case_no=power["case_no"], until="2026-11-01")
    assert "共 1 条" in found(case_no=power["case_no"], since="2026-11-03")  # signed for today
    assert "共 1 条" in found(case_no=power["case_no"], since="2026-11-02 09:30", until="2026-11-02 10:30")


def test_a_search_with_bad_fields_says_every_problem_at_once_beside_each_field(api):
    auditor = Clerk.sign_in(api, "auditor")
    page = auditor.get(
        "/audit/trail", query_string={"since": "昨天", "until": "2026-99-01", "type": "Nope", "unit": "X"}
    )
    assert page.status_code == 422
    text = text_of(page.text)
    assert 'class="error-summary"' in page.text
    for field in ("since", "until", "type", "unit"):
        assert f'id="f-{field}-error"' in page.text and f'href="#f-{field}"' in page.text, field
    assert "起始时间请写作" in text and "截止时间请写作" in text and "请从列表中选择事项" in text
    assert latin_words(page.text) <= ALLOWED


def test_the_trail_holds_the_directorys_acts_with_the_operator_as_actor(api):
    name = f"aud{uuid.uuid4().hex[:6]}"
    api.container.directory.add_user(OPERATOR, name, "unit", PASSWORD, "DISTRICT-GRID")
    Clerk.sign_in(api, name)  # a session: ended below by the sign-out
    clerk = Clerk.sign_in(api, name)
    clerk.client.post("/logout", data={"csrf_token": csrf_token(clerk.get("/").text)})
    api.container.directory.disable_user(OPERATOR, name, "调离")
    api.container.directory.enable_user(OPERATOR, name)
    api.container.directory.revoke_all_tokens(OPERATOR, name)
    caught_up(api)
    page = Clerk.sign_in(api, "ops").get("/audit/trail", query_string={"unit": "DISTRICT-GRID", "actor": OPERATOR.user})
    text = text_of(page.text)
    assert f"用户 {name}" in text and "新增用户（授予角色与单位）" in text and "角色 承办单位" in text
    assert "所属单位 区网格中心" in text and "test（命令行 · 系统管理）" in text
    assert "停用用户" in text and "理由：调离" in text and "启用用户" in text and "结束全部会话" in text
    own = text_of(Clerk.sign_in(api, "ops").get("/audit/trail", query_string={"actor": name}).text)
    assert "结束会话（退出登录）" in own and f"{name}（承办单位 · 区网格中心）" in own
    trail = api.get(f"/api/audit/trail?actor={name}&record=user", user="auditor").json
    assert [e["type"] for e in trail["entries"]] == ["User.TokenRevoked"]
    assert trail["entries"][0]["subject"] == name and "token_id" not in trail["entries"][0]["data"]
    registered = api.get(
        "/api/audit/trail?record=user&type=User.Registered&unit=DISTRICT-GRID&per_page=500", user="auditor"
    )
    mine = [e for e in registered.json["entries"] if e["subject"] == name]
    assert mine and mine[0]["actor"] == {"user": "cli:test", "role": "admin", "unit": None}
    assert mine[0]["data"] == {"role": "unit", "unit": "DISTRICT-GRID", "username": name}  # never the password's hash


def test_the_trail_shows_units_added_and_heads_appointed(api):
    code = f"U-{uuid.uuid4().hex[:6].upper()}"
    api.container.directory.add_unit(OPERATOR, code, "区审计测试局")
    api.container.directory.appoint_head(OPERATOR, code, "张三", datetime(2026, 1, 1).date())
    caught_up(api)
    text = text_of(Clerk.sign_in(api, "auditor").get("/audit/trail", query_string={"unit": code}).text)
    assert "新增单位" in text and f"单位 {code}（区审计测试局）" in text
    assert "任命主要负责人" in text and "主要负责人 张三，自 2026-01-01 起" in text


def test_the_deadline_watchs_acts_are_shown_as_the_systems(api):
    """000 item 4: a first reply not given within 2 working days is recorded missed by the deadline watch."""
    case = forwarded(api)
    api.container.deadline_watch(run_index=True).sweep(WATCH, datetime.fromisoformat("2026-11-05T09:00:00+08:00"))
    caught_up(api)
    text = text_of(
        Clerk.sign_in(api, "auditor")
        .get("/audit/trail", query_string={"case_no": case["case_no"], "type": "DeadlineMissed"})
        .text
    )
    assert "系统（期限监测）" in text and "逾期" in text and "deadline" not in text
    assert "川政办字〔2020〕59号" in text  # the rule, by its document, never its short code


def test_the_trail_shows_accountability_follow_ups_linked_to_their_case(api):
    case = forwarded(api)
    response = api.post(
        "/api/units/DISTRICT-POWER/accountability/actions",
        {"action": "referral_made", "case_id": case["id"], "note": "移送区纪委监委处理"},
        user="inspector",
    )
    assert response.status_code == 201, response.json
    caught_up(api)
    page = Clerk.sign_in(api, "inspector").get(
        "/audit/trail", query_string={"type": "UnitAccountability.ActionRecorded", "case_no": case["case_no"]}
    )
    text = text_of(page.text)
    assert "记录问责后续处理" in text and "移送纪委监委" in text and "移送区纪委监委处理" in text
    assert "inspector（纪检监察）" in text and as_of_links(page.text)[0].startswith(f"/appeals/{case['id']}?as_of=")


# -- verification (存证核验) ------------------------------------------------------------------------------
def test_the_verify_page_shows_the_latest_checkpoint_its_key_and_its_witnesses(api):
    forwarded(api)
    api.container.merkle.run_once()
    record = api.container.checkpoints.issue()
    witness = NoteSigner(generate_private_key("jw.example.gov.cn/witness", COSIGNATURE_V1))
    api.container.checkpoints.cosign(witness, None)
    for user in READERS:
        assert Clerk.sign_in(api, user).get("/audit/verify").status_code == 200, user
    for user in ("power", "clerk", "super"):
        assert Clerk.sign_in(api, user).get("/audit/verify").status_code == 403, user
    page = Clerk.sign_in(api, "auditor").get("/audit/verify")
    text = text_of(page.text)
    assert f"{record.size} 条" in text and "见证方 1" in text and "签名有效" in text
    note = Clerk.sign_in(api, "auditor").get("/audit/checkpoint.txt").get_data(as_text=True)
    assert api.container.checkpoints.signer.name in note and "jw.example.gov.cn/witness" in note
    assert ">开始核验</button>" in page.text and 'name="csrf_token"' in page.text


def test_verifying_without_the_csrf_token_is_refused_and_records_nothing(api):
    before = api.container.verifications.latest()
    response = Clerk.sign_in(api, "auditor").client.post("/audit/verify", data={})
    assert response.status_code == 400 and "请求未通过校验" in text_of(response.text)
    assert api.container.verifications.latest() == before


def test_a_unit_may_not_run_a_verification(api):
    power = Clerk.sign_in(api, "power")
    before = api.container.verifications.latest()
    response = power.client.post("/audit/verify", data={"csrf_token": csrf_token(power.get("/").text)})
    assert response.status_code == 403 and api.container.verifications.latest() == before


def test_an_auditor_verifies_the_store_and_reads_that_it_passed(api):
    forwarded(api)
    api.container.merkle.run_once()
    record = api.container.checkpoints.issue()
    caught_up(api)
    auditor = Clerk.sign_in(api, "auditor")
    page = auditor.get("/audit/verify")
    response = auditor.client.post("/audit/verify", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 303 and response.headers["Location"] == "/audit/verify"
    shown = auditor.get("/audit/verify")
    text = text_of(shown.text)
    latest = api.container.verifications.latest()
    assert latest.by == "auditor" and latest.result["ok"] is True
    assert "核验完成" in text and "核验通过" in text
    assert f"共核验 {latest.result['events_checked']} 条记录" in text
    assert f"与截至第 {record.size} 条记录的已签名检查点一致" in text
    assert latin_words(shown.text) <= ALLOWED  # the root hash and the key's name are in the signed note
    note = auditor.get("/audit/checkpoint.txt")
    assert note.status_code == 200 and note.headers["Content-Type"].startswith("text/plain")
    written = api.container.checkpoints.note(record)
    assert note.get_data(as_text=True) == (written if isinstance(written, str) else written.decode())
    assert Clerk.sign_in(api, "power").get("/audit/checkpoint.txt").status_code == 403


def test_a_long_trail_is_counted_no_further_than_its_limit_and_says_so(api, monkeypatch):
    """Counting every row of a trail of hundreds of thousands took longer than the page: the trail counts
    up to ``COUNT_LIMIT`` rows, never fewer than the pages up to the one asked for, and says "以上"."""
    from web.workspace import audit

    monkeypatch.setattr(audit, "PER_PAGE", 1)
    monkeypatch.setattr(audit, "COUNT_LIMIT", 2)
    case = forwarded(api)
    assert api.post(f"/api/appeals/{case['id']}/acknowledge", {}, user="power").status_code == 200
    caught_up(api)  # three rows: received, forwarded, acknowledged
    auditor = Clerk.sign_in(api, "auditor")
    first = text_of(auditor.get("/audit/trail", query_string={"case_no": case["case_no"]}).text)
    assert "2 条以上" in first and "第 1 页，2 页以上" in first and "共 3 条" not in first
    last = text_of(auditor.get("/audit/trail", query_string={"case_no": case["case_no"], "page": 3}).text)
    assert "共 3 条" in last and "第 3 页，共 3 页" in last  # counted to the page asked for, and found no more
