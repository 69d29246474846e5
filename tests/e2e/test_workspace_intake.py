"""The hotline platform's and the window's own pages (docs/web-workspace.md *Intake*), on both databases.

登记诉求 (``/appeals/new``) and 受理申请 (``/approvals/new``) take the API's bodies field by field and
refuse what the API refuses, every problem at once, recording nothing; 并单 and 撤销并单 on an
appeal's page, 一次性告知 and 补正材料 on an approval's; the deadline sweep's page shows what a
sweep would record now and records it on 执行. Every refused form leaves the whole event store as it
was; a missing CSRF token is a 400.
"""

from __future__ import annotations

import re
import uuid

from tests.e2e.test_workspace import forwarded_appeal
from tests.e2e.workspace_client import Clerk, csrf_token, text_of

CASE_NO = re.compile(r"\b(?:QY|SP)\d{8}-[0-9A-F]{8}\b")
TAG = re.compile(r"-[0-9a-f]{6,8}\b")  # the tests' own subjects carry a tag of their own


def latin_words(page: str, clerk: Clerk) -> list[str]:
    """Latin-alphabet words a reader of the page sees, but the user's name and the case numbers."""
    return re.findall(r"[A-Za-z]{2,}", TAG.sub(" ", CASE_NO.sub(" ", text_of(page))).replace(clerk.username, " "))


def field_error(html: str, field_id: str) -> str:
    """The message shown beside a field (its ``…-error`` paragraph), as the reader sees it."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert found, f"no message beside {field_id}"
    return text_of(found.group(1))


def chinese(message: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", message)) and not re.search(r"[A-Za-z]", message)


def post_form(clerk: Clerk, path: str, fields: dict, *, csrf: bool = True):
    """Posts the page's own form (not a case action) as the page rendered it, with its CSRF token."""
    page = clerk.get(path)
    assert page.status_code == 200, page.status_code
    data = dict(fields)
    if csrf:
        data["csrf_token"] = csrf_token(page.text)
    return clerk.client.post(path, data=data)


def appeal_fields(**changes) -> dict:
    return {
        "channel": "12345",
        "category": "help",
        "subject": f"新厂房接电难-{uuid.uuid4().int % 10**8}",
        "content": "新厂房低压接电申请已逾两周未办理",
        "enterprise_name": "淄博某某机械有限公司",
        "credit_code": "91370303MA3C000001",
        "contact_name": "王经理",
        "contact_phone": "13800000000",
        "profile": "zichuan-2020",
        "tier": "",
        "external_ref": "",
    } | changes


def approval_fields(**changes) -> dict:
    return {
        "profile": "licensing-law-2019",
        "matter": "general",
        "applicant_name": "淄博某某餐饮有限公司",
        "credit_code": "",
        "contact_name": "李女士",
        "contact_phone": "13900000000",
        "materials": "申请书\n营业执照\n",
        "departments": ["DISTRICT-FIRE", "DISTRICT-PLAN"],
        "channel": "",
        "external_ref": "",
    } | changes


def case_id_of(response) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:800])
    found = re.fullmatch(r"/(?:appeals|approvals)/([0-9a-f-]{36})", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


# -- 登记诉求 ----------------------------------------------------------------------------------------
def test_the_platform_and_admins_open_the_appeal_form_and_no_one_else(api):
    for user in ("clerk", "ops"):
        clerk = Clerk.sign_in(api, user)
        page = clerk.get("/appeals/new")
        assert page.status_code == 200, user
        text = text_of(page.text)
        assert "<h1>登记诉求</h1>" in page.text and ">登记诉求</button>" in page.text
        for label in ("来源渠道", "诉求类别", "诉求标题", "诉求内容", "企业名称", "统一社会信用代码", "联系人"):
            assert label in text, label
        # The channels and the profiles by their Chinese names, never by code.
        assert "12345热线" in text and "企业直通车" in text and "淄川区企业诉求“接诉即办”" in text
        assert "事实清楚、情况紧急" in text  # a tier of Suqian's, under its profile's title
        assert not latin_words(page.text, clerk), latin_words(page.text, clerk)
        assert 'name="csrf_token"' in page.text
        assert "登记诉求" in text_of(clerk.get("/").text)  # in the navigation
    for user in ("power", "super", "inspector", "auditor"):
        assert Clerk.sign_in(api, user).get("/appeals/new").status_code == 403, user


def test_registering_an_appeal_records_it_and_leads_to_its_page(api):
    clerk = Clerk.sign_in(api, "clerk")
    fields = appeal_fields(channel="enterprise_express", category="complaint")
    response = post_form(clerk, "/appeals/new", fields)
    case_id = case_id_of(response)
    case = api.get(f"/api/appeals/{case_id}").json
    assert case["status"] == "received" and case["channel"] == "enterprise_express"
    assert case["category"] == "complaint" and case["subject"] == fields["subject"]
    assert case["enterprise"] == {"name": "淄博某某机械有限公司", "credit_code": "91370303MA3C000001"}
    assert case["contact"] == {"name": "王经理", "phone": "13800000000"}
    assert case["profile"] == "zichuan-2020" and case["external_ref"] is None
    page = text_of(clerk.get(response.headers["Location"]).text)
    assert f"已登记诉求 {case['case_no']}" in page and "企业直通车" in page


def test_a_tier_chosen_on_the_form_is_the_cases(api):
    """004 (Suqian): urgent matters (事实清楚、情况紧急) have a tier of their own."""
    clerk = Clerk.sign_in(api, "clerk")
    case_id = case_id_of(post_form(clerk, "/appeals/new", appeal_fields(profile="suqian-2024", tier="urgent")))
    assert api.get(f"/api/appeals/{case_id}").json["tier"] == "urgent"


def test_an_empty_appeal_form_lists_every_problem_at_once_and_records_nothing(api):
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    empty = {name: "" for name in appeal_fields()}
    response = post_form(clerk, "/appeals/new", empty)
    assert response.status_code == 422
    assert '<div class="error-summary" role="alert"' in response.text
    text = text_of(response.text)
    for message in ("请选择来源渠道", "请选择诉求类别", "请填写诉求标题", "请填写诉求内容", "请填写企业名称"):
        assert message in text, message
    assert "请选择适用规则" in text or "请选择适用的规则" in text
    for field in ("channel", "category", "subject", "content", "enterprise_name", "profile"):
        assert f'href="#{field}"' in response.text and f'id="{field}"' in response.text, field
    assert '<p class="field-error" id="subject-error">' in response.text
    assert not latin_words(response.text, clerk), latin_words(response.text, clerk)
    assert api.store() == before


def test_the_apis_checks_and_the_services_are_listed_together(api):
    """The API's schema (a subject of at most 200 characters, a phone of at most 40) and the service's
    own checks (a tier the profile does not have) refuse the form together, each beside its field."""
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = post_form(
        clerk, "/appeals/new", appeal_fields(subject="接" * 201, contact_phone="1" * 41, tier="urgent")
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "诉求标题不能超过200个字" in text and "联系电话不能超过40个字" in text
    assert chinese(field_error(response.text, "tier")), field_error(response.text, "tier")
    for field in ("subject", "contact_phone", "tier"):
        assert f'href="#{field}"' in response.text, field
    assert api.store() == before
    # Only blanks where the content belongs is refused by the service alone.
    blank = post_form(clerk, "/appeals/new", appeal_fields(content="   "))
    assert blank.status_code == 422 and "诉求内容" in field_error(blank.text, "content")
    assert api.store() == before


def test_the_same_work_order_is_registered_once(api):
    """The same channel + work-order number (external_ref) opens one case: the second time the form
    leads to the case opened before and records nothing."""
    clerk = Clerk.sign_in(api, "clerk")
    ref = f"GD-{uuid.uuid4().int % 10**10}"
    first = case_id_of(post_form(clerk, "/appeals/new", appeal_fields(external_ref=ref)))
    before = api.store()
    again = post_form(clerk, "/appeals/new", appeal_fields(external_ref=ref))
    assert case_id_of(again) == first and api.store() == before
    assert "未重复登记" in text_of(clerk.get(again.headers["Location"]).text)


def test_an_appeal_form_without_the_csrf_token_is_refused_and_records_nothing(api):
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = post_form(clerk, "/appeals/new", appeal_fields(), csrf=False)
    assert response.status_code == 400 and "防伪令牌" in text_of(response.text)
    assert api.store() == before


def test_a_unit_may_not_post_the_appeal_form(api):
    unit = Clerk.sign_in(api, "power")
    before = api.store()
    token = csrf_token(unit.get("/").text)
    response = unit.client.post("/appeals/new", data=appeal_fields(csrf_token=token))
    assert response.status_code == 403 and api.store() == before


# -- 并单 and 撤销并单 --------------------------------------------------------------------------------
def test_the_platform_merges_a_suggested_repeat_and_undoes_it(live):
    """并单 (国办函〔2025〕66号): the repeat from the same enterprise (its credit code) is suggested on the
    page; merged, it joins that case; 撤销并单 puts it back, with a reason."""
    code = f"9137{str(uuid.uuid4().int)[:14]}"  # digits only: the page shows it, and it is no word
    first = forwarded_appeal(live, enterprise={"name": "淄博某某机械有限公司", "credit_code": code})
    repeat = live.open(subject="再次反映用电问题", enterprise={"name": "淄博某某机械有限公司", "credit_code": code})
    clerk = Clerk.sign_in(live, "clerk")
    path = f"/appeals/{repeat['id']}"
    page = clerk.get(path).text
    assert ">并单</button>" in page and f'value="{first["id"]}"' in page
    suggestion = text_of(page)
    assert first["case_no"] in suggestion and "同一企业（统一社会信用代码相同）" in suggestion
    assert not latin_words(page, clerk), latin_words(page, clerk)
    merged = clerk.submit(path, "merge", {"into": first["id"], "note": "同一事项"})
    assert merged.status_code == 303 and merged.headers["Location"] == path
    shown = live.get(f"/api/appeals/{repeat['id']}").json
    assert shown["status"] == "merged" and shown["merged_into"]["id"] == first["id"]
    assert [c["case_no"] for c in live.get(f"/api/appeals/{first['id']}").json["callers"]][1:] == [repeat["case_no"]]
    page = clerk.get(path).text
    assert "已并单" in text_of(page) and ">撤销并单</button>" in page
    before = live.store()
    refused = clerk.submit(path, "unmerge", {"reason": ""})
    assert refused.status_code == 422 and 'id="unmerge-reason-error"' in refused.text and live.store() == before
    undone = clerk.submit(path, "unmerge", {"reason": "经核实为不同事项"})
    assert undone.status_code == 303
    assert live.get(f"/api/appeals/{repeat['id']}").json["status"] == "received"
    history = [e.type for e in live.container.appeals.history(uuid.UUID(repeat["id"]))]
    assert history == ["Received", "MergedInto", "Unmerged"]


def test_a_merge_names_its_case_by_number_when_it_is_not_suggested(live):
    api = live
    first = forwarded_appeal(api, subject=f"道路开挖影响经营-{uuid.uuid4().int % 10**6}")
    repeat = api.open(subject=f"门前施工-{uuid.uuid4().int % 10**6}", enterprise={"name": "另一家企业"})
    clerk = Clerk.sign_in(api, "clerk")
    path = f"/appeals/{repeat['id']}"
    before = api.store()
    unknown = clerk.submit(path, "merge", {"into_case_no": "QY20000101-00000000"})
    assert unknown.status_code == 422 and "没有编号为 QY20000101-00000000 的诉求" in text_of(unknown.text)
    assert 'href="#merge-into_case_no"' in unknown.text and api.store() == before
    nothing = clerk.submit(path, "merge", {})
    assert nothing.status_code == 422 and "请选择本诉求重复的案件，或填写其编号" in text_of(nothing.text)
    assert 'id="merge-into_case_no-error"' in nothing.text
    assert api.store() == before
    merged = clerk.submit(path, "merge", {"into_case_no": first["case_no"].lower()})
    assert merged.status_code == 303, text_of(merged.text)[:600]
    assert api.get(f"/api/appeals/{repeat['id']}").json["merged_into"]["id"] == first["id"]


def test_a_merge_the_cases_do_not_allow_is_refused_with_the_reason_and_records_nothing(api):
    """A merge goes one level deep: a case others joined is not merged itself (409)."""
    a = forwarded_appeal(api)
    b = api.open()
    c = api.open()
    assert api.post(f"/api/appeals/{b['id']}/merge", {"into": a["id"]}).status_code == 200
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    refused = clerk.submit(f"/appeals/{a['id']}", "merge", {"into": c["id"]}, version=a["version"] + 1)
    assert refused.status_code == 409 and api.store() == before
    assert "已有重复诉求并入本案" in text_of(refused.text)
    into_itself = clerk.submit(f"/appeals/{c['id']}", "merge", {"into": c["id"]})
    assert into_itself.status_code == 422 and "不能并入本案自身" in text_of(into_itself.text)
    assert api.store() == before


def test_a_unit_is_offered_no_merge_and_may_not_post_one(api):
    a = forwarded_appeal(api)
    b = forwarded_appeal(api)
    unit = Clerk.sign_in(api, "power")
    page = unit.get(f"/appeals/{b['id']}").text
    assert ">并单</button>" not in page and ">撤销并单</button>" not in page
    before = api.store()
    response = unit.client.post(
        f"/appeals/{b['id']}/merge",
        data={"csrf_token": csrf_token(page), "into": a["id"], "expected_version": str(b["version"])},
    )
    assert response.status_code == 403 and api.store() == before


def test_a_merge_without_the_csrf_token_is_refused_and_records_nothing(api):
    a = forwarded_appeal(api)
    b = api.open()
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = clerk.submit(f"/appeals/{b['id']}", "merge", {"into": a["id"]}, csrf=False)
    assert response.status_code == 400 and api.store() == before


# -- 受理申请 ----------------------------------------------------------------------------------------
def test_the_window_opens_the_application_form_and_no_unit_does(api):
    clerk = Clerk.sign_in(api, "clerk")
    page = clerk.get("/approvals/new")
    assert page.status_code == 200 and "<h1>受理申请</h1>" in page.text and ">受理申请</button>" in page.text
    text = text_of(page.text)
    assert "一般行政许可事项" in text and "行政许可法法定期限" in text and "区消防救援大队" in text
    assert 'type="checkbox"' in page.text and 'name="departments"' in page.text
    assert not latin_words(page.text, clerk), latin_words(page.text, clerk)
    assert Clerk.sign_in(api, "ops").get("/approvals/new").status_code == 200
    for user in ("fire", "super", "auditor"):
        assert Clerk.sign_in(api, user).get("/approvals/new").status_code == 403, user


def test_receiving_an_application_records_it_and_leads_to_its_page(api):
    clerk = Clerk.sign_in(api, "clerk")
    case_id = case_id_of(post_form(clerk, "/approvals/new", approval_fields()))
    approval = api.get(f"/api/approvals/{case_id}").json
    assert approval["status"] == "submitted" and approval["matter"] == "general"
    assert approval["materials"] == ["申请书", "营业执照"]
    assert approval["departments"][0]["unit"] == "DISTRICT-FIRE" and len(approval["departments"]) == 2
    assert approval["applicant"]["name"] == "淄博某某餐饮有限公司" and approval["commitment"] is False


def test_an_empty_application_form_lists_every_problem_and_records_nothing(api):
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = post_form(
        clerk, "/approvals/new", approval_fields(profile="", matter="", applicant_name="", departments=[])
    )
    assert response.status_code == 422
    text = text_of(response.text)
    for message in ("请填写申请人名称", "请选择审批部门"):
        assert message in text, message
    assert "请选择适用规则" in text or "请选择适用的规则" in text
    for field in ("profile", "applicant_name", "departments"):
        assert f'id="{field}-error"' in response.text, field
    assert api.store() == before


def test_a_commitment_the_matter_does_not_allow_is_refused_with_the_other_problems(api):
    """告知承诺制 only where the matter allows it (行政许可法; 002 item 4): refused beside the field,
    together with a problem of the schema's (an applicant's name of over 200 characters)."""
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = post_form(clerk, "/approvals/new", approval_fields(commitment="y", applicant_name="企" * 201))
    assert response.status_code == 422
    text = text_of(response.text)
    assert "告知承诺制" in field_error(response.text, "commitment") and chinese(
        field_error(response.text, "commitment")
    )
    assert "申请人名称不能超过200个字" in text and 'href="#applicant_name"' in response.text
    assert api.store() == before
    wrong_matter = post_form(clerk, "/approvals/new", approval_fields(matter="assembly-venue-opening"))
    assert wrong_matter.status_code == 422 and "审批事项" in field_error(wrong_matter.text, "matter")
    assert chinese(field_error(wrong_matter.text, "matter"))
    assert api.store() == before


def test_an_application_form_without_the_csrf_token_is_refused(api):
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = post_form(clerk, "/approvals/new", approval_fields(), csrf=False)
    assert response.status_code == 400 and api.store() == before


# -- 一次性告知 and 补正材料 ----------------------------------------------------------------------------
def test_the_window_tells_every_missing_material_at_once_and_records_them_supplied(api):
    """001 (四), 行政许可法 art. 32 (一次性告知): every missing item at once, one a line; the applicant's
    补正 then lets the application be accepted; a second request on it is refused."""
    approval = api.submit()
    clerk = Clerk.sign_in(api, "clerk")
    path = f"/approvals/{approval['id']}"
    page = clerk.get(path).text
    assert ">一次性告知</button>" in page and not latin_words(page, clerk)
    told = clerk.submit(
        path, "request-materials", {"missing": "法定代表人身份证明\n\n场所平面图\n", "note": "请一次补齐"}
    )
    assert told.status_code == 303 and told.headers["Location"] == path
    shown = api.get(f"/api/approvals/{approval['id']}").json
    assert shown["status"] == "materials_requested" and shown["missing"] == ["法定代表人身份证明", "场所平面图"]
    page = clerk.get(path).text
    assert "法定代表人身份证明\n场所平面图</textarea>" in page  # 补正材料 offers the missing items
    assert ">补正材料</button>" in page
    supplied = clerk.submit(path, "supply-materials", {"materials": "法定代表人身份证明\n场所平面图"})
    assert supplied.status_code == 303
    shown = api.get(f"/api/approvals/{approval['id']}").json
    assert shown["status"] == "submitted" and shown["missing"] == []
    before = api.store()
    version = api.get(f"/api/approvals/{approval['id']}").json["version"]
    assert 'disabled aria-describedby="why-request_materials">一次性告知</button>' in clerk.get(path).text
    again = clerk.submit(path, "request-materials", {"missing": "补充说明"}, version=version)
    assert again.status_code == 409 and "不得再次要求补正" in text_of(again.text) and api.store() == before
    assert clerk.submit(path, "accept", {}).status_code == 303


def test_a_request_for_materials_with_nothing_listed_or_an_item_twice_is_refused(api):
    approval = api.submit()
    clerk = Clerk.sign_in(api, "clerk")
    path = f"/approvals/{approval['id']}"
    before = api.store()
    empty = clerk.submit(path, "request-materials", {"missing": " \n "})
    assert empty.status_code == 422 and "请填写需补正材料" in text_of(empty.text)
    assert 'id="request_materials-missing-error"' in empty.text and 'href="#request_materials-missing"' in empty.text
    twice = clerk.submit(path, "request-materials", {"missing": "场所平面图\n场所平面图"})  # the aggregate's check
    assert twice.status_code == 422 and "补正" in field_error(twice.text, "request_materials-missing")
    too_long = clerk.submit(path, "request-materials", {"missing": "图" * 501})
    assert too_long.status_code == 422 and "需补正材料第1项不能超过500个字" in text_of(too_long.text)
    supplied = clerk.submit(path, "supply-materials", {"materials": "场所平面图"}, version=approval["version"])
    assert supplied.status_code == 409  # nothing was requested
    assert api.store() == before


def test_a_department_may_not_request_materials(api):
    approval = api.submit()
    for step in ("accept", "forward"):
        assert api.post(f"/api/approvals/{approval['id']}/{step}", {}).status_code == 200
    fire = Clerk.sign_in(api, "fire")
    page = fire.get(f"/approvals/{approval['id']}").text
    assert ">一次性告知</button>" not in page and ">补正材料</button>" not in page
    before = api.store()
    response = fire.client.post(
        f"/approvals/{approval['id']}/request-materials",
        data={"csrf_token": csrf_token(page), "missing": "申请书"},
    )
    assert response.status_code == 403 and api.store() == before


def test_a_request_for_materials_without_the_csrf_token_is_refused(api):
    approval = api.submit()
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    response = clerk.submit(f"/approvals/{approval['id']}", "request-materials", {"missing": "申请书"}, csrf=False)
    assert response.status_code == 400 and api.store() == before


# -- 期限监测 ----------------------------------------------------------------------------------------
def test_the_sweep_page_previews_what_a_sweep_would_record_and_records_nothing(live):
    """000 item 4: a unit replies with its initial handling within 2 working days; forwarded on
    2026-11-02, the reply is overdue, and the profile orders a 督办通知. The preview names both, in
    Chinese, and records nothing."""
    late = forwarded_appeal(live, occurred_at="2026-11-02T09:00:00+08:00")
    clerk = Clerk.sign_in(live, "clerk")
    before = live.store()
    page = clerk.get("/deadlines/sweep")
    assert page.status_code == 200 and "<h1>期限监测</h1>" in page.text and ">执行</button>" in page.text
    text = text_of(page.text)
    assert "现在执行将记录（预览）" in text and "预览不作任何记录" in text
    row = next(r for r in page.text.split("<tr") if late["case_no"] in r and "承办单位回复初步处理情况" in r)
    assert "区供电中心" in text_of(row) and "川政办字〔2020〕59号 第四条" in text_of(row)
    assert f'<a href="/appeals/{late["id"]}">{late["case_no"]}</a>' in page.text
    assert "督办通知" in text
    for code in ("unit_reply", "supervision_notice", "000 item", "zichuan-2020"):
        assert code not in text, code
    assert not latin_words(page.text, clerk), latin_words(page.text, clerk)
    assert live.store() == before


def test_running_the_sweep_records_what_the_preview_showed_and_says_so(live):
    """000 item 4: the overdue reply is recorded missed, once, with its 督办通知; the page after 执行
    lists what was recorded, and the next preview no longer holds it."""
    late = forwarded_appeal(live, occurred_at="2026-11-02T09:00:00+08:00")
    clerk = Clerk.sign_in(live, "clerk")
    preview = clerk.get("/deadlines/sweep").text
    assert late["case_no"] in preview
    response = clerk.client.post("/deadlines/sweep", data={"csrf_token": csrf_token(preview)})
    assert response.status_code == 303 and response.headers["Location"] == "/deadlines/sweep"
    history = [e.type for e in live.container.appeals.history(uuid.UUID(late["id"]))]
    assert history[:2] == ["Received", "Forwarded"] and "DeadlineMissed" in history and "Escalated" in history
    after = clerk.get("/deadlines/sweep").text
    done = text_of(after.split('id="done-title"')[1].split('id="preview-title"')[0])
    assert "已执行期限监测" in text_of(after) and late["case_no"] in done
    assert "承办单位回复初步处理情况" in done and "督办通知" in done
    preview_now = after.split('id="preview-title"')[1]
    assert late["case_no"] not in preview_now
    # Once shown, the record of the run is not shown again.
    assert 'id="done-title"' not in clerk.get("/deadlines/sweep").text


def test_the_sweep_without_the_csrf_token_is_refused_and_records_nothing(live):
    forwarded_appeal(live, occurred_at="2026-11-02T09:00:00+08:00")
    clerk = Clerk.sign_in(live, "clerk")
    clerk.get("/deadlines/sweep")
    before = live.store()
    response = clerk.client.post("/deadlines/sweep", data={})
    assert response.status_code == 400 and "防伪令牌" in text_of(response.text)
    assert live.store() == before


def test_only_the_platform_and_admins_open_the_sweep(live):
    assert Clerk.sign_in(live, "ops").get("/deadlines/sweep").status_code == 200
    assert "期限监测" in text_of(Clerk.sign_in(live, "clerk").get("/").text)
    for user in ("power", "super", "inspector", "auditor"):
        clerk = Clerk.sign_in(live, user)
        assert clerk.get("/deadlines/sweep").status_code == 403, user
        before = live.store()
        token = csrf_token(clerk.get("/").text)
        assert clerk.client.post("/deadlines/sweep", data={"csrf_token": token}).status_code == 403
        assert live.store() == before
