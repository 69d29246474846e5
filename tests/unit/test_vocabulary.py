"""Named vocabulary, once: the API's choices are the domain's and the read side's own constants."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import adapters.profiles as profiles_package
from adapters.views.cases import ORDER
from domain.profiles import CATEGORIES
from projections.cases.case_list import SORTS
from web.api.schemas.cases import CaseListArgsSchema
from web.api.schemas.common import OpenAppealSchema


def test_the_case_list_sorts_are_one_list_for_the_api_and_every_view():
    assert tuple(CaseListArgsSchema().fields["sort"].validate.choices) == SORTS
    assert tuple(ORDER) == SORTS


def test_the_categories_of_appeal_are_one_list_for_the_api_and_the_profiles():
    """The categories of appeal: 政策咨询, 服务求助, 投诉, 意见建议."""
    assert tuple(OpenAppealSchema().fields["category"].validate.choices) == CATEGORIES


def test_the_workspace_names_every_category_of_appeal_in_chinese():
    """政策咨询, 服务求助, 投诉, 意见建议 — every category a profile may hold has its name."""
    from domain.profiles import CATEGORIES
    from web.labels import CATEGORY

    assert list(CATEGORY) == list(CATEGORIES)


def test_the_workspace_names_every_status_and_event_in_chinese():
    from domain.appeals.aggregate import Appeal
    from domain.approvals.aggregate import Approval
    from domain.status import ApprovalStatus, Status
    from web.labels import EVENT, STATUS

    assert {s.value for s in Status} | {s.value for s in ApprovalStatus} <= set(STATUS)
    events = {
        cls.__name__
        for kind in (Appeal, Approval)
        for cls in vars(kind).values()
        if isinstance(cls, type) and issubclass(cls, kind.Event) and cls is not kind.Event
    }
    events.discard("Created")  # the library's default, never recorded: a case's first event is Received or Submitted
    assert events and events <= set(EVENT), events - set(EVENT)


# One vocabulary (domain.vocabulary, projections.vocabulary, web.labels): every code the system stores or
# counts has its Chinese name, and a rule reads as its document and item.

CJK = re.compile(r"[\u4e00-\u9fff]")


def _events_of(*aggregates):
    return {
        cls.__name__
        for kind in aggregates
        for cls in vars(kind).values()
        if isinstance(cls, type) and issubclass(cls, kind.Event) and cls is not kind.Event
    } - {"Created"}  # the library's default, never recorded: each aggregate records its own first event


def _named(table, codes):
    missing = [c for c in codes if not CJK.search(table.get(c, ""))]
    assert not missing, f"no Chinese name for {missing}"


def test_every_status_of_either_kind_has_its_name():
    from domain.status import ApprovalStatus, Status
    from domain.vocabulary import STATUS

    _named(STATUS, [s.value for s in (*Status, *ApprovalStatus)])


def test_every_event_type_recorded_on_cases_records_and_the_directory_has_its_name():
    from domain.accountability.record import UnitAccountability
    from domain.appeals.aggregate import Appeal
    from domain.approvals.aggregate import Approval
    from domain.directory.records import Unit, User
    from domain.vocabulary import EVENT

    events = _events_of(Appeal, Approval, UnitAccountability, Unit, User)
    assert len(events) > 40
    _named(EVENT, events)


def test_every_role_category_consequence_lapse_and_follow_up_has_its_name():
    from domain.accountability.record import ACTIONS
    from domain.actors import Role
    from domain.approvals.inputs import PAUSE_REASONS
    from domain.deadlines.periods import PeriodUnit
    from domain.profiles import BINDS, CATEGORIES, CONSEQUENCES, LAPSES, WINDOWS
    from domain.status import SATISFACTION_LEVELS
    from domain.vocabulary import (
        BINDS as BINDS_NAMES,
    )
    from domain.vocabulary import (
        CATEGORY,
        CONSEQUENCE,
        FOLLOW_UP,
        LAPSE,
        PAUSE_REASON,
        PERIOD_UNIT,
        ROLE,
        SATISFACTION,
        WINDOW,
    )

    _named(ROLE, [r.value for r in Role])
    _named(CATEGORY, CATEGORIES)
    _named(CONSEQUENCE, CONSEQUENCES)
    _named(LAPSE, LAPSES)
    _named(FOLLOW_UP, ACTIONS)
    _named(WINDOW, WINDOWS)
    _named(BINDS_NAMES, BINDS)
    _named(SATISFACTION, SATISFACTION_LEVELS)
    _named(PAUSE_REASON, PAUSE_REASONS)
    _named(PERIOD_UNIT, [u.value for u in PeriodUnit])


def test_every_channel_the_documents_name_has_its_name():
    """12345 热线, 企业直通车, 直达市长 (004 item 八), 办不成事反映窗口 (004 item 二), 互联网+督查, 走访
    (003 item 5: appeals from many channels)."""
    from web.labels import channel_name

    for code, name in {
        "12345": "12345热线",
        "enterprise_express": "企业直通车",
        "mayor_line": "直达市长",
        "window": "办不成事反映窗口",
        "online_supervision": "互联网+督查",
        "visit": "走访",
    }.items():
        assert channel_name(code) == name
    assert channel_name("county-desk") == "county-desk"  # an operator's own channel, as written


def test_every_counter_and_rate_of_the_ledgers_has_its_name():
    from projections.ledger.appeals import COUNTERS
    from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS
    from projections.vocabulary import APPROVAL_DAY_COUNT, APPROVAL_DEPARTMENT_COUNT, COUNT, RATE

    _named(COUNT, COUNTERS)
    _named(APPROVAL_DAY_COUNT, DAY_COUNTERS)
    _named(APPROVAL_DEPARTMENT_COUNT, APPROVAL_COUNTERS)
    _named(RATE, ("response", "on_time", "resolution", "satisfaction", "satisfaction_adjudicated", "composite"))


def _tables(value):
    """Every table (dict) in a profile's data, nested ones included."""
    if isinstance(value, dict):
        yield value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _tables(item)


def test_every_deadline_escalation_level_and_rule_of_every_packaged_profile_has_a_chinese_title():
    """A deadline's name (``unit_reply``) and an escalation level's code (``supervision_notice``) are never
    shown: each is shown by the title its profile gives it, in Chinese."""
    paths = sorted(Path(profiles_package.__file__).parent.glob("*.toml"))
    assert len(paths) >= 7
    named = 0
    for path in paths:
        for table in _tables(tomllib.loads(path.read_text(encoding="utf-8"))):
            if "name" in table and ("length" in table or "starts_on" in table) or "code" in table or "id" in table:
                named += 1
                assert CJK.search(str(table.get("title", ""))), (path.name, table)
    assert named > 30


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("000 item 4", "川政办字〔2020〕59号 第四条"),
        ("002 item 53", "聊政字〔2020〕25号 第五十三条"),
        ("002 items 1, 10, 36, 43", "聊政字〔2020〕25号 第一、十、三十六、四十三条"),
        ("002 items 7-10", "聊政字〔2020〕25号 第七至十条"),
        ("003 item 5", "《辽源市2024年营商环境优化重点行动方案》第五条"),
        ("003 工作要求", "《辽源市2024年营商环境优化重点行动方案》三（二）"),
        ("004 item 八", "宿政办发〔2024〕15号 第八条"),
        ("004 items 二, 八, 十二", "宿政办发〔2024〕15号 第二、八、十二条"),
        ("001 (四)", "周政办字〔2017〕145号 二（四）"),
        ("001 (一)3", "周政办字〔2017〕145号 二（一）3"),
        ("行政许可法 art. 32", "行政许可法第三十二条"),
        ("行政许可法 arts. 26, 42", "行政许可法第二十六、四十二条"),
        ("行政许可法 (2019) arts. 32, 42, 44, 45, 82", "行政许可法第三十二、四十二、四十四、四十五、八十二条"),
        ("行政许可法 第45条", "行政许可法第四十五条"),
        ("民法典 art. 201", "民法典第二百零一条"),
        ("国办发〔2019〕51号", "国办发〔2019〕51号"),
        ("local promise", "local promise"),  # an operator's own wording, as written
    ],
)
def test_a_rule_is_cited_by_its_document_number_and_item_in_chinese(source, shown):
    """The documents' numbers (文号) as issued: 川政办字〔2020〕59号 (000), 周政办字〔2017〕145号 (001),
    聊政字〔2020〕25号 (002), 宿政办发〔2024〕15号 (004); 003 is printed without one and named by its title."""
    from domain.vocabulary import citation

    assert citation(source) == shown


def test_every_source_in_every_packaged_profile_reads_without_a_short_code():
    """No page shows ``000 item 4``: every source a packaged profile cites renders as a document and item."""
    from domain.vocabulary import citation

    short = re.compile(r"\b00\d\b|\bitems?\b|\barts?\.|default:")
    sources = set()
    for path in Path(profiles_package.__file__).parent.glob("*.toml"):
        sources |= set(re.findall(r'source = "([^"]*)"', path.read_text(encoding="utf-8")))
    assert len(sources) > 20
    for source in sources:
        shown = citation(source)
        assert not short.search(shown), (source, shown)
        assert CJK.search(shown), (source, shown)


def test_a_default_the_documents_leave_open_is_shown_as_such():
    from domain.vocabulary import citation

    assert citation("default: 000 item 3 sets no 整改 period") == "系统默认值（川政办字〔2020〕59号 第三条未作规定）"
    assert citation("default: 003 and 国办发〔2019〕51号 set no window") == (
        "系统默认值（《辽源市2024年营商环境优化重点行动方案》未作规定）"
    )


def test_no_web_label_is_an_english_word_or_a_code():
    """What the web shows for a code is Chinese: no label of web.labels is ASCII letters alone."""
    import web.labels as labels

    tables = [getattr(labels, name) for name in labels.__all__ if name.isupper()]
    assert len(tables) > 20
    for table in tables:
        if isinstance(table, dict):
            for code, name in table.items():
                text = name[0] if isinstance(name, tuple) else name
                assert CJK.search(text), (code, text)


def test_every_kind_and_channel_of_a_reminder_has_its_name():
    """预警: 即将到期, 已超期; 工作台, 电子邮件."""
    from domain.notices import Channel, NoticeKind
    from domain.vocabulary import NOTICE_CHANNEL, NOTICE_KIND

    _named(NOTICE_KIND, [k.value for k in NoticeKind])
    _named(NOTICE_CHANNEL, [c.value for c in Channel])


def test_setting_an_e_mail_address_has_its_name_in_the_trail():
    from domain.vocabulary import EVENT
    from web.labels import TRAIL_EVENT

    _named(EVENT, ["EmailSet"])
    _named(TRAIL_EVENT, ["User.EmailSet"])
