"""Refusals as a clerk reads them (``zh``, shown by the web workspace): what is wrong and what to do, in
plain Chinese; a rule cited by its document's number (川政办字〔2020〕59号 第四条), never by its short code
(000 item 4); the English message the API answers with unchanged. That every raise site carries its
Chinese: tests/unit/domain/test_refusals_in_chinese.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.calendar.official import CalendarSource
from adapters.persistence.database import database_from_url
from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.appeals.service import AppealService
from domain.approvals.service import ApprovalService
from domain.errors import LimitReached, NotAllowedInState, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, sh
from tests.integration.cases import as_unit, forwarded_case, open_case

UNIT = as_unit("DISTRICT-POWER")


def plain(zh: dict[str, str] | str | None) -> dict[str, str] | str | None:
    """``zh`` as it is, once it is found to hold no English word, short code or status code."""
    for text in zh.values() if isinstance(zh, dict) else [zh]:
        assert text and not re.search(r"[A-Za-z]", text), text
    return zh


def test_a_lead_unit_among_its_co_units_is_refused_in_chinese(appeals):
    appeal = open_case(appeals, "zichuan-2020", "2026-09-29 09:00")
    with pytest.raises(ValidationFailed) as refused:
        appeals.forward(appeal.id, PLATFORM, unit="DISTRICT-POWER", co_units=["DISTRICT-POWER"])
    assert refused.value.fields == {"co_units": "the lead unit cannot also be a co-handling unit"}
    assert plain(refused.value.zh) == {"co_units": "承办单位不能同时作为协办单位，请从协办单位中去掉承办单位"}
    with pytest.raises(ValidationFailed) as refused:
        appeals.forward(appeal.id, PLATFORM, unit="", co_units=["DISTRICT-WATER", "DISTRICT-WATER"])
    assert plain(refused.value.zh) == {"unit": "请选择承办单位", "co_units": "同一协办单位不能重复选择"}


@pytest.fixture
def zichuan_with_extensions(database_url: str, calendars: CalendarSource, tmp_path: Path) -> Iterator[AppealService]:
    """The appeal service with an edit of zichuan-2020 that lets the unit's reply period (2 working
    days) be extended to 5 in all, citing 000 item 4: a cap whose source is a short code."""
    text = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    text += '\n[extension]\ndeadline = "unit_reply"\nmax_total = 5\nsource = "000 item 4"\n'
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "zichuan-2020.toml").write_text(text, encoding="utf-8")
    service = AppealService(
        database_from_url(database_url).env,
        profiles=FileProfileCatalogue([tmp_path / "profiles"]),
        calendars=calendars.for_jurisdiction,
    )
    yield service
    service.close()


def test_an_extension_past_the_cap_cites_the_document_not_its_short_code(zichuan_with_extensions):
    appeals = zichuan_with_extensions
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    with pytest.raises(ValidationFailed) as refused:
        appeals.extend(case.id, UNIT, working_days=4, reason="涉及多部门")
    assert refused.value.fields == {
        "working_days": "must be between 1 and 3: unit_reply may run at most 5 working days in total (000 item 4)"
    }
    assert plain(refused.value.zh) == {
        "working_days": "延期工作日数须在1至3之间（办理期限合计不超过5个工作日，川政办字〔2020〕59号 第四条）"
    }
    case = appeals.extend(case.id, UNIT, working_days=3, reason="涉及多部门")
    with pytest.raises(LimitReached) as refused:
        appeals.extend(case.id, UNIT, working_days=1, reason="还需时间")
    assert refused.value.fields == {"working_days": "the 5-working-day cap of 000 item 4 is already reached"}
    assert plain(refused.value.zh) == {
        "working_days": "办理期限已达5个工作日上限（川政办字〔2020〕59号 第四条），不能再延期"
    }
    assert appeals.get(case.id).version == case.version


def test_liaocheng_s_cap_is_cited_as_its_document_says(appeals):
    """002 item 53 (聊政字〔2020〕25号 第五十三条): to 30 working days in all."""
    case = forwarded_case(appeals, "liaocheng-2020", "2026-09-30 15:00", "2026-09-30 16:00")
    with pytest.raises(ValidationFailed) as refused:
        appeals.extend(case.id, UNIT, working_days=16, reason="情况复杂")
    assert plain(refused.value.zh) == {
        "working_days": "延期工作日数须在1至15之间（办理期限合计不超过30个工作日，聊政字〔2020〕25号 第五十三条）"
    }
    case = appeals.extend(case.id, UNIT, working_days=15, reason="情况复杂")
    with pytest.raises(LimitReached) as refused:
        appeals.extend(case.id, UNIT, working_days=1, reason="还需时间")
    assert plain(refused.value.zh) == {
        "working_days": "办理期限已达30个工作日上限（聊政字〔2020〕25号 第五十三条），不能再延期"
    }


def test_a_refusal_by_status_names_the_statuses_in_chinese(appeals):
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    appeals.acknowledge(case.id, UNIT)
    with pytest.raises(NotAllowedInState) as refused:
        appeals.acknowledge(case.id, UNIT)
    assert refused.value.message == "cannot acknowledge a case that is acknowledged; allowed when forwarded"
    assert (refused.value.status, refused.value.allowed) == ("acknowledged", ("forwarded",))
    assert plain(refused.value.zh) == "案件当前为「已签收」，仅在「已转办」时可办理"


def test_an_earlier_time_than_the_case_s_last_act_is_refused_with_that_time(appeals):
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    with pytest.raises(ValidationFailed) as refused:
        appeals.acknowledge(case.id, ADMIN, occurred_at=sh("2026-09-29 09:30"))
    assert plain(refused.value.zh) == {"occurred_at": "发生时间不能早于本案最近一次办理的时间（2026-09-29 10:00:00）"}
    with pytest.raises(ValidationFailed) as refused:
        appeals.acknowledge(case.id, UNIT, occurred_at=sh("2026-09-29 11:00"))
    assert plain(refused.value.zh) == {"occurred_at": "只有热线平台和系统管理人员可以补录较早的发生时间"}


def test_an_appeal_opened_with_every_field_wrong_is_refused_field_by_field_in_chinese(appeals):
    with pytest.raises(ValidationFailed) as refused:
        appeals.open(
            PLATFORM,
            channel="",
            category="help",
            subject=" ",
            content="",
            enterprise={},
            profile="no-such-profile",
        )
    assert set(refused.value.fields) == {"profile", "channel", "subject", "content", "enterprise.name"}
    assert plain(refused.value.zh) == {
        "profile": "所选的适用规则不存在，请重新选择",
        "channel": "请填写诉求来源渠道",
        "subject": "请填写诉求标题",
        "content": "请填写诉求内容",
        "enterprise.name": "请填写企业名称",
    }


def submit(approvals: ApprovalService):
    approval, created = approvals.submit(
        PLATFORM,
        profile="licensing-law-2019",
        matter="general",
        applicant={"name": "某某餐饮有限公司"},
        materials=["申请书", "营业执照"],
        departments=["DISTRICT-FIRE"],
    )
    assert created
    return approval


def test_an_approval_s_extension_and_pause_are_refused_citing_the_law(approvals):
    """行政许可法第四十二条: the decision period is extended once, by 10 working days at most; 第四十五条:
    the clock stops for the grounds the law names."""
    approval = submit(approvals)
    approvals.accept(approval.id, PLATFORM)
    with pytest.raises(ValidationFailed) as refused:
        approvals.extend(approval.id, PLATFORM, working_days=11, reason="需实地核查")
    assert refused.value.fields == {"working_days": "between 1 and 10 (行政许可法 art. 42)"}
    assert plain(refused.value.zh) == {"working_days": "延长审批期限的工作日数须在1至10之间（行政许可法第四十二条）"}
    approvals.extend(approval.id, PLATFORM, working_days=10, reason="需实地核查")
    with pytest.raises(NotAllowedInState) as refused:
        approvals.extend(approval.id, PLATFORM, working_days=1, reason="仍需时间")
    assert plain(refused.value.zh) == "审批期限已延长过一次，只能延长一次（行政许可法第四十二条）"
    with pytest.raises(ValidationFailed) as refused:
        approvals.pause(approval.id, PLATFORM, reason="lunch", expected_working_days=0)
    assert plain(refused.value.zh) == {
        "reason": "请选择中止计时的法定情形：听证、检验、专家评审、检测、检疫、拍卖、其他法定情形（行政许可法第四十五条）",
        "expected_working_days": "告知申请人的预计所需工作日数须在1至250之间",
    }


def test_missing_materials_listed_twice_are_refused_in_chinese(approvals):
    approval = submit(approvals)
    with pytest.raises(ValidationFailed) as refused:
        approvals.request_materials(approval.id, PLATFORM, missing=["身份证明", "身份证明"])
    assert refused.value.fields == {"missing": "each missing material once"}
    assert plain(refused.value.zh) == {"missing": "同一项需补正的材料不能重复列出"}
