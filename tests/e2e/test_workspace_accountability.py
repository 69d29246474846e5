"""The accountability pages (docs/web-workspace.md *Accountability*), through the Flask app, on both databases.

``/accountability`` (问责台账) lists every consequence across units for those who read accountability across
units; ``/units/{code}/accountability`` shows one unit's record, where inspectors and supervisors record what
followed (``记录后续处理``) through the service call of the API's action endpoint. A refused form records
nothing (the whole event store is compared) and says why beside each field.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta

from domain.deadlines.periods import SHANGHAI
from domain.errors import AlreadyExists
from tests.e2e.conftest import OPERATOR
from tests.e2e.workspace_client import Clerk, csrf_token, text_of
from web.workspace import accountability as workspace_accountability

REGISTER_READERS = ("inspector", "super", "auditor", "ops")
SOURCE = "川政办字〔2020〕59号 第四条"  # 000 item 4, as people read it


def fresh_unit(api, name: str = "测试供电所") -> str:
    """A unit of this test alone (on PostgreSQL the session's tests share one database)."""
    code = f"U-{uuid.uuid4().hex[:8].upper()}"
    try:
        api.container.directory.add_unit(OPERATOR, code, name)
    except AlreadyExists:
        pass
    return code


def late_answers(api, unit: str, days=("2026-10-12", "2026-10-13")) -> list[dict]:
    """000 item 4: each case forwarded to ``unit`` and answered a week late — 超期回复 (a 通报提醒 each); two
    reminders in a month bring 约谈 and 书面检查 of the unit's principal head."""
    cases = []
    for day in days:
        case = api.open(occurred_at=f"{day}T09:00:00+08:00", subject=f"接电难-{uuid.uuid4().int % 10**8}")
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
    assert api.container.wait_for_accountability(10)  # the process has noted every lapse: the store is still
    return cases


def everything(api) -> list:
    """The whole event store, the accountability records' events included (on PostgreSQL a table of their
    own, beside the cases' and the directory's that ``api.store()`` reads)."""
    recorder = api.container.accountability.recorder
    return [
        *api.store(),
        *(
            (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
            for n in recorder.select_notifications(start=None, limit=10**6)
        ),
    ]


def record_of(api, unit: str) -> dict:
    response = api.get(f"/api/units/{unit}/accountability", user="inspector")
    assert response.status_code == 200, response.json
    return response.json


def post_follow_up(clerk: Clerk, unit: str, fields: dict, csrf: bool = True):
    """Posts the page's 记录后续处理 form, as the page rendered it (with its CSRF token)."""
    page = clerk.get(f"/units/{unit}/accountability")
    assert page.status_code == 200, page.status_code
    assert 'action="/units/' + unit + '/accountability/actions"' in page.text, "the page shows no form"
    data = dict(fields)
    if csrf:
        data["csrf_token"] = csrf_token(page.text)
    return clerk.client.post(f"/units/{unit}/accountability/actions", data=data)


def latin_words(text: str, allowed: tuple[str, ...] = (), api=None) -> list[str]:
    """Latin-alphabet words of the page's text, but for what may appear there: unit codes and case numbers
    (``DISTRICT-POWER``, ``QY20261012-…``), the names ``allowed`` (user names) and, given ``api``, every unit
    code of its directory (the unit filter lists them all, other tests' units too on a shared database)."""
    codes = [unit.code for unit in api.container.directory.units()] if api is not None else []
    for word in sorted((*allowed, *codes), key=len, reverse=True) + ["CSV", "Excel", "PDF"]:
        text = text.replace(word, " ")
    text = re.sub(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b", " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


# -- the register (问责台账) ----------------------------------------------------------------------------
def test_the_register_shows_each_consequence_with_its_unit_head_rule_evidence_and_what_is_still_due(live):
    """000 item 4: 超期回复 → 通报提醒 each; two in a month → 约谈 and 书面检查 of the unit's head in office that
    day; each with the rule as its document and item, and the case events it rests on, linked."""
    unit = fresh_unit(live, "测试水务站")
    live.container.directory.appoint_head(OPERATOR, unit, "李四", date(2026, 10, 1))
    cases = late_answers(live, unit)
    clerk = Clerk.sign_in(live, "inspector")
    page = clerk.get("/accountability", query_string={"unit": unit})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "问责台账" in text and "测试水务站" in text and unit in text
    assert text.count("通报提醒") >= 2 and "约谈" in text and "书面检查" in text
    assert "李四" in text  # the head in office on the day the consequences arose
    assert "超期回复1次及以上，通报提醒" in text and SOURCE in text
    for case in cases:
        assert f'href="/appeals/{case["id"]}#history"' in page.text
        assert re.search(rf"{case['case_no']} 第 \d+ 项记录（逾期）", text), case["case_no"]
    assert "待约谈已进行" in text and "待书面检查已收到" in text
    assert not latin_words(text, ("inspector", unit), live), latin_words(text, ("inspector", unit), live)
    for code in ("000 item", "zichuan-2020", "notified_reminder", "late-1", "interview"):
        assert code not in text, code


def test_the_register_filters_by_unit_period_rule_and_still_open(live):
    unit = fresh_unit(live)
    other = fresh_unit(live)
    late_answers(live, unit)
    late_answers(live, other, days=("2026-10-14",))
    clerk = Clerk.sign_in(live, "inspector")

    def titles(**query) -> list[str]:
        page = clerk.get("/accountability", query_string=query)
        assert page.status_code == 200, query
        return re.findall(r'<th scope="row">([^<]+)<br>', page.text)

    assert sorted(titles(unit=unit)) == ["书面检查", "约谈", "通报提醒", "通报提醒"]
    assert titles(unit=other) == ["通报提醒"]
    assert titles(unit=unit, period="2026-09") == []
    assert len(titles(unit=unit, period="2026-10")) == 4
    assert titles(unit=unit, rule="zichuan-2020/late-1") == ["通报提醒", "通报提醒"]
    interview = next(c for c in record_of(live, unit)["interviews"])
    held = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "interview_held", "note": "区纪委监委约谈", "consequence": interview["id"]},
        user="inspector",
    )
    assert held.status_code == 201, held.json
    still_open = titles(unit=unit, open="1")
    assert "约谈" not in still_open and sorted(still_open) == ["书面检查", "通报提醒", "通报提醒"]
    page = text_of(clerk.get("/accountability", query_string={"unit": unit}).text)
    assert "约谈已进行" in page and "区纪委监委约谈" in page


def test_the_register_pages_its_rows_and_exports_every_row_of_the_filter_as_csv(live, monkeypatch):
    monkeypatch.setattr(workspace_accountability, "PER_PAGE", 3)
    unit = fresh_unit(live)
    late_answers(live, unit)
    clerk = Clerk.sign_in(live, "auditor")
    first = clerk.get("/accountability", query_string={"unit": unit})
    assert "第 1 页，共 2 页" in text_of(first.text) and "下一页" in first.text
    second = clerk.get("/accountability", query_string={"unit": unit, "page": "2"})
    assert second.status_code == 200 and "上一页" in second.text
    assert f"/accountability.csv?unit={unit}" in first.text
    export = clerk.get("/accountability.csv", query_string={"unit": unit})
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    assert export.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0] == list(workspace_accountability.CSV_COLUMNS)
    assert len(rows) == 5 and {r[1] for r in rows[1:]} == {unit}
    assert sorted(r[2] for r in rows[1:]) == ["书面检查", "约谈", "通报提醒", "通报提醒"]
    reminder = next(r for r in rows[1:] if r[2] == "通报提醒")
    assert reminder[6] == SOURCE and "（逾期）" in reminder[7]
    interview = next(r for r in rows[1:] if r[2] == "约谈")
    assert interview[9] == "约谈已进行" and "累计：通报提醒、通报提醒" in interview[7]


def test_the_register_is_for_those_who_read_accountability_across_units(live):
    for user in REGISTER_READERS:
        assert Clerk.sign_in(live, user).get("/accountability").status_code == 200, user
    for user in ("clerk", "power"):
        clerk = Clerk.sign_in(live, user)
        for path in ("/accountability", "/accountability.csv"):
            page = clerk.get(path)
            assert page.status_code == 403 and "无权查看" in text_of(page.text), (user, path)


def test_a_malformed_month_on_the_register_is_a_page_saying_so_not_an_error(live):
    clerk = Clerk.sign_in(live, "inspector")
    for period in ("2026-13", "oct", "2026-9", "٢٠٢٦-09"):
        page = clerk.get("/accountability", query_string={"period": period})
        assert page.status_code == 422, period
        assert "请按“年-月”填写月份" in text_of(page.text) and 'class="error-summary"' in page.text
    assert clerk.get("/accountability.csv", query_string={"period": "2026-13"}).status_code == 422


# -- one unit's record and 记录后续处理 -------------------------------------------------------------------
def test_an_inspector_records_an_interview_held_with_the_time_it_happened_shown_beside_the_time_recorded(live):
    """000 item 4: the discipline commission's 约谈 is recorded against the 约谈 it answers, as of the day it was
    held; the record shows both when it happened and when it was recorded."""
    unit = fresh_unit(live)
    late_answers(live, unit)
    interview = record_of(live, unit)["interviews"][0]
    clerk = Clerk.sign_in(live, "inspector")
    page = clerk.get(f"/units/{unit}/accountability")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "记录后续处理" in text and "约谈已进行" in text and "书面检查已收到" in text and "移送纪委监委" in text
    assert "挂牌督办" not in re.search(r'<select id="followup-action".*?</select>', page.text, re.S).group(0)
    response = post_follow_up(
        clerk,
        unit,
        {
            "action": "interview_held",
            "consequence": interview["id"],
            "note": "区纪委监委约谈单位主要负责人",
            "occurred_at": "2026-11-03T15:30",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/units/{unit}/accountability"
    [held] = record_of(live, unit)["interviews"][0]["follow_ups"]
    assert held["action"] == "interview_held" and held["at"] == "2026-11-03T15:30:00+08:00"
    assert held["recorded_at"] > held["at"] and held["actor"]["user"] == "inspector"
    shown = text_of(clerk.get(f"/units/{unit}/accountability").text)
    recorded = held["recorded_at"][:16].replace("T", " ")
    assert "已记录「约谈已进行」" in shown
    assert "发生于 2026-11-03 15:30" in shown and f"记录于 {recorded}" in shown


def test_a_refused_follow_up_lists_every_problem_beside_its_field_and_records_nothing(live):
    unit = fresh_unit(live)
    late_answers(live, unit)
    clerk = Clerk.sign_in(live, "inspector")
    future = (live.container.clock().astimezone(SHANGHAI) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    before = everything(live)
    response = post_follow_up(clerk, unit, {"action": "interview_held", "note": "  ", "occurred_at": future})
    assert response.status_code == 422
    text = text_of(response.text)
    assert "提交未成功" in text and "未作任何记录" in text
    for message in ("请选择「约谈已进行」所对应的问责处理", "请填写处理情况", "发生时间不能晚于当前时间"):
        assert text.count(message) == 2, message  # in the summary and beside its field
    for field in ("consequence", "note", "occurred_at"):
        assert f'href="#followup-{field}"' in response.text and f'id="followup-{field}-error"' in response.text
    garbled = post_follow_up(clerk, unit, {"action": "interview_held", "occurred_at": "下周二", "case_no": "X-1"})
    assert garbled.status_code == 422
    text = text_of(garbled.text)
    for message in ("请按“年-月-日 时:分”填写发生时间", "没有这个编号的案件", "请填写处理情况", "所对应的问责处理"):
        assert message in text, message
    assert everything(live) == before


def test_a_follow_up_before_the_consequence_it_answers_arose_is_refused(live):
    """000 item 4: an interview answers the 约谈 ordered; it cannot have been held before it was ordered."""
    unit = fresh_unit(live)
    late_answers(live, unit)
    interview = record_of(live, unit)["interviews"][0]
    before = everything(live)
    response = post_follow_up(
        Clerk.sign_in(live, "inspector"),
        unit,
        {"action": "interview_held", "consequence": interview["id"], "note": "约谈", "occurred_at": "2026-09-01T09:00"},
    )
    assert response.status_code == 422 and "发生时间不能早于所对应的问责处理作出的时间" in text_of(response.text)
    assert everything(live) == before


def test_a_follow_up_already_recorded_is_refused_with_the_reason(live):
    unit = fresh_unit(live)
    late_answers(live, unit)
    written = record_of(live, unit)["written_reviews"][0]
    clerk = Clerk.sign_in(live, "inspector")
    fields = {"action": "self_examination_received", "consequence": written["id"], "note": "已收到书面检查"}
    assert post_follow_up(clerk, unit, fields).status_code == 303
    before = everything(live)
    again = post_follow_up(clerk, unit, fields)
    assert again.status_code == 409 and "该问责处理已记录过「书面检查已收到」" in text_of(again.text)
    assert everything(live) == before


def test_a_follow_up_without_the_csrf_token_is_refused_and_records_nothing(live):
    unit = fresh_unit(live)
    late_answers(live, unit)
    interview = record_of(live, unit)["interviews"][0]
    before = everything(live)
    response = post_follow_up(
        Clerk.sign_in(live, "inspector"),
        unit,
        {"action": "interview_held", "consequence": interview["id"], "note": "约谈"},
        csrf=False,
    )
    assert response.status_code == 400 and "防伪令牌" in text_of(response.text)
    assert everything(live) == before


def test_a_supervisor_lists_a_case_for_supervision_by_its_number_and_strikes_it_off(live):
    """003 item 5: 挂牌督办 on a case of the unit, then 销号."""
    unit = fresh_unit(live)
    [case] = late_answers(live, unit, days=("2026-10-12",))
    clerk = Clerk.sign_in(live, "super")
    page = clerk.get(f"/units/{unit}/accountability")
    actions = re.search(r'<select id="followup-action".*?</select>', page.text, re.S).group(0)
    assert "挂牌督办" in actions and "销号" in actions and "约谈已进行" not in actions
    opened = post_follow_up(
        clerk, unit, {"action": "listed_supervision_opened", "case_no": case["case_no"], "note": "久拖不办"}
    )
    assert opened.status_code == 303, text_of(opened.text)
    [listed] = record_of(live, unit)["supervisions"]
    assert listed["case_id"] == case["id"] and listed["status"] == "listed"
    shown = text_of(clerk.get(f"/units/{unit}/accountability").text)
    assert f"案件 {case['case_no']}" in shown and "督办中" in shown
    struck = post_follow_up(
        clerk, unit, {"action": "listed_supervision_struck_off", "supervision": listed["id"], "note": "已解决"}
    )
    assert struck.status_code == 303
    assert record_of(live, unit)["supervisions"][0]["status"] == "struck_off"
    assert "已于" in text_of(clerk.get(f"/units/{unit}/accountability").text)


def test_a_case_of_another_unit_cannot_be_listed_and_nothing_is_recorded(live):
    unit = fresh_unit(live)
    [other] = late_answers(live, fresh_unit(live), days=("2026-10-12",))
    before = everything(live)
    response = post_follow_up(
        Clerk.sign_in(live, "super"),
        unit,
        {"action": "listed_supervision_opened", "case_no": other["case_no"], "note": "督办"},
    )
    assert response.status_code == 422 and "该案件不由本单位承办、协办或审查" in text_of(response.text)
    assert everything(live) == before


def test_a_unit_reads_its_own_record_without_a_form_and_no_other_units(live):
    clerk = Clerk.sign_in(live, "power")
    own = clerk.get("/units/DISTRICT-POWER/accountability")
    assert own.status_code == 200 and "区供电中心 问责记录" in text_of(own.text)
    assert "记录后续处理" not in text_of(own.text) and "/accountability/actions" not in own.text
    other = clerk.get("/units/DISTRICT-WATER/accountability")
    assert other.status_code == 403 and "区水务局" not in text_of(other.text)
    before = everything(live)
    posted = clerk.client.post(
        "/units/DISTRICT-POWER/accountability/actions",
        data={"csrf_token": csrf_token(own.text), "action": "interview_held", "note": "x"},
    )
    assert posted.status_code == 403 and everything(live) == before
    nav = text_of(clerk.get("/").text)
    assert "本单位问责记录" in nav and "本单位台账" in nav and "问责台账" not in nav


def test_an_auditor_reads_a_record_and_may_record_nothing(live):
    unit = fresh_unit(live)
    late_answers(live, unit, days=("2026-10-12",))
    clerk = Clerk.sign_in(live, "auditor")
    page = clerk.get(f"/units/{unit}/accountability")
    assert page.status_code == 200 and "通报提醒" in text_of(page.text) and "记录后续处理" not in text_of(page.text)
    before = everything(live)
    posted = clerk.client.post(
        f"/units/{unit}/accountability/actions",
        data={"csrf_token": csrf_token(page.text), "action": "interview_held", "note": "x"},
    )
    assert posted.status_code == 403 and everything(live) == before
    assert Clerk.sign_in(live, "clerk").get(f"/units/{unit}/accountability").status_code == 403


def test_an_unknown_unit_is_a_page_not_found_and_a_bad_month_a_page_saying_so(live):
    clerk = Clerk.sign_in(live, "inspector")
    assert clerk.get("/units/NO-SUCH-UNIT/accountability").status_code == 404
    page = clerk.get("/units/DISTRICT-POWER/accountability", query_string={"period": "2026-13"})
    assert page.status_code == 422 and "请按“年-月”填写月份" in text_of(page.text)


def test_the_unit_record_shows_its_lapses_and_names_nothing_by_code(live):
    unit = fresh_unit(live)
    [case] = late_answers(live, unit, days=("2026-10-12",))
    page = Clerk.sign_in(live, "inspector").get(f"/units/{unit}/accountability")
    text = text_of(page.text)
    assert "失职情形" in text and "超期未答复" in text and case["case_no"] in text
    assert "承办单位回复初步处理情况" in text  # the deadline missed, by the profile's title
    assert not latin_words(text, ("inspector", unit), live), latin_words(text, ("inspector", unit), live)


# -- the API's action endpoint, as the form uses it ------------------------------------------------------
def test_the_api_records_an_action_as_of_the_time_it_happened_and_refuses_a_future_one(live):
    """docs/http-api.md *Accountability*: every action accepts ``occurred_at`` (not in the future)."""
    unit = fresh_unit(live)
    late_answers(live, unit)
    interview = record_of(live, unit)["interviews"][0]
    future = (live.container.clock() + timedelta(hours=1)).isoformat()
    before = everything(live)
    refused = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "interview_held", "note": "约谈", "consequence": interview["id"], "occurred_at": future},
        user="inspector",
    )
    assert refused.status_code == 422 and "occurred_at" in refused.json["error"]["fields"]
    assert everything(live) == before
    held = live.post(
        f"/api/units/{unit}/accountability/actions",
        {
            "action": "interview_held",
            "note": "约谈",
            "consequence": interview["id"],
            "occurred_at": "2026-11-02T10:00:00+08:00",
        },
        user="inspector",
    )
    assert held.status_code == 201, held.json
    [action] = held.json["actions"]
    assert action["at"] == "2026-11-02T10:00:00+08:00" and action["recorded_at"] > action["at"]


def test_the_units_are_read_again_once_the_directory_has_changed(api):
    """The directory's units are kept between requests while its log has not moved: a unit added or a
    head appointed afterwards is in the very next list."""
    directory = api.container.directory
    code = f"UNIT-{uuid.uuid4().int % 10**8}"
    before = directory.units()
    assert code not in {u.code for u in before} and directory.units() == before  # kept: the same units
    directory.add_unit(OPERATOR, code, "区测试局")
    assert directory.units_by_code()[code].name == "区测试局"
    directory.appoint_head(OPERATOR, code, "张三", date(2026, 11, 2))
    assert directory.units_by_code()[code].head_on(date(2026, 11, 2))["name"] == "张三"


def test_the_case_list_tells_each_case_kind_in_one_query(api):
    """The register names each case its consequences rest on by kind (its page's link): read from the
    case list for all of them at once; an id the list does not hold is left out."""
    appeal = api.open(occurred_at="2026-11-02T09:00:00+08:00")
    approval = api.submit(occurred_at="2026-11-02T09:00:00+08:00")
    api.container.runner().run_once()
    unknown = str(uuid.uuid4())
    kinds = api.container.read_models["case_list"].view.kinds([appeal["id"], approval["id"], unknown, "nonsense"])
    assert kinds == {appeal["id"]: "appeal", approval["id"]: "approval"}
