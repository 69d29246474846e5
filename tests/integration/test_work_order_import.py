"""City work-order import (issue 15 part 3: the city platform's work-order number makes re-import
idempotent), on both databases: each line
judged as POST /api/appeals judges its body, a refused line recording nothing, a re-run opening
nothing twice. The installed command, killed half-way, is tests/e2e/test_cli_import.py.
"""

from __future__ import annotations

import gc
import json
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from eventsourcing.application import Application

from adapters.persistence.database import database_from_url
from domain.appeals.aggregate import Appeal
from domain.appeals.service import AppealService
from domain.errors import NotPermitted
from projections.cases.case_list import CaseListQuery
from tests.conftest import ADMIN, sh, unit_actor
from tests.integration.views import FAR, ReadSide
from web.cli.imports import import_work_orders
from web.work_orders import checks as work_order_checks
from web.work_orders.checks import checked_chunks, checked_in_background
from web.work_orders.files import WorkOrderFileError, open_work_orders

CSV_HEADER = (
    "工单编号,受理时间,诉求类型,诉求标题,诉求内容,企业名称,统一社会信用代码,联系人,联系电话,承办单位,办结时间\n"
)


def write(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def order(ref: str, **changes) -> str:
    fields = {
        "external_ref": ref,
        "occurred_at": "2026-09-30T10:00:00+08:00",
        "category": "help",
        "subject": "新厂房用电报装迟迟未接通",
        "content": "企业反映低压接电申请逾期未办，影响投产。",
        "enterprise": {"name": "淄博某某机械有限公司", "credit_code": "91370302MA3C00000X"},
        "profile": "zichuan-2020",
        **changes,
    }
    return json.dumps({k: v for k, v in fields.items() if v is not None}, ensure_ascii=False) + "\n"


def run(appeals, path: Path, **options):
    return import_work_orders(appeals, ADMIN, open_work_orders(path), background=False, **options)


def stored(appeals) -> list[tuple]:
    """Every event in the log, as (originator, version, topic): the store compared before and after."""
    return [
        (n.originator_id, n.originator_version, n.topic)
        for n in appeals.recorder.select_notifications(start=1, limit=100_000)
    ]


def test_a_12345_csv_export_with_chinese_headers_and_a_bom_opens_one_case_per_work_order(appeals, tmp_path):
    """市转办工单 (政策咨询, 服务求助, 投诉, 意见建议): an Excel export of the city platform,
    UTF-8 with a byte-order mark, its Chinese headers and category names, opens each work order as an
    appeal received at its 受理时间 on channel 12345; the export's other columns are left out. 000 item 4:
    the Zichuan platform reports within 3 WD, before 12:00 on the 3rd — from Wednesday 2026-09-30 across
    the National Day holiday (Oct 1-7) that is Saturday 2026-10-10, a make-up working day (调休)."""
    path = write(
        tmp_path / "12345导出.csv",
        CSV_HEADER
        + "ZB20260930001,2026/9/30 10:00,服务求助,用电报装迟迟未接通,低压接电申请逾期未办,淄博某某机械有限公司,"
        "91370302MA3C00000X,王经理,13800000000,区供电中心,\n"
        + "ZB20260930002,2026-09-30 15:30:00,政策咨询,稳岗补贴如何申请,询问稳岗补贴申领条件,淄博某某商贸有限公司,,,,,\n"
        + "ZB20260930003,2026-09-30 16:00,投诉,窗口多次要求补正材料,办理开办登记被反复要求补正,某某餐饮店,,李女士,,,\n",
        bom=True,
    )
    work_orders = open_work_orders(path)
    summary = import_work_orders(appeals, ADMIN, work_orders, profile="zichuan-2020", background=False)
    assert (summary.created, summary.present, summary.refusals) == (3, 0, [])
    assert work_orders.ignored_columns == ["承办单位", "办结时间"]
    first = appeals.get(Appeal.create_id("12345", "ZB20260930001"))
    assert (first.channel, first.external_ref, first.category, first.subject) == (
        "12345",
        "ZB20260930001",
        "help",
        "用电报装迟迟未接通",
    )
    assert first.enterprise == {"name": "淄博某某机械有限公司", "credit_code": "91370302MA3C00000X"}
    assert first.contact == {"name": "王经理", "phone": "13800000000"}
    assert (first.received_at, first.case_no[:10], first.policy["id"]) == (
        sh("2026-09-30 10:00"),
        "QY20260930",
        "zichuan-2020",
    )
    report = next(d for d in appeals.deadlines(first, now=sh("2026-10-09 09:00")) if d.name == "platform_report")
    assert report.due == sh("2026-10-10 12:00")
    second, third = (appeals.get(Appeal.create_id("12345", ref)) for ref in ("ZB20260930002", "ZB20260930003"))
    assert (second.category, second.contact, third.category, third.contact) == (
        "consultation",
        None,
        "complaint",
        {"name": "李女士"},
    )


def test_a_csv_refusal_names_the_line_its_row_starts_on(appeals, tmp_path):
    """A refused row is named by its first line (the header is line 1), even after a cell that holds
    line breaks; a row of another width than the header is refused whole, never shifted."""
    path = write(
        tmp_path / "orders.csv",
        CSV_HEADER
        + 'ZB1,2026-09-30 10:00,服务求助,用电,"第一行\n第二行\n第三行",某公司,,,,,\n'  # lines 2-4
        + "ZB2,2026-09-30 10:00,表扬,标题,内容,某公司,,,,,\n"  # line 5
        + "\n"  # line 6, blank
        + "ZB3,2026-09-30 10:00,投诉,标题,内容,含逗号,的公司,,,,,\n"  # line 7
        + "ZB4,2026-09-30,投诉,标题,内容,某公司,,,,,\n",
    )  # line 8
    summary = run(appeals, path, profile="liaocheng-2020")
    assert (summary.created, [n for n, _ in summary.refusals]) == (2, [5, 7])
    assert summary.refusals[1][1] == "has 12 cells where the header has 11"
    assert appeals.get(Appeal.create_id("12345", "ZB1")).content == "第一行\n第二行\n第三行"


def test_json_lines_take_the_api_names_nested_or_flattened(appeals, tmp_path):
    """docs/http-api.md ``POST /api/appeals``: enterprise and contact nested, or flattened as a CSV gives them."""
    path = write(
        tmp_path / "orders.ndjson",
        order("J-1")
        + "\n"
        + order(
            "J-2",
            enterprise=None,
            enterprise_name="乙公司",
            contact_name="赵先生",
            contact_phone="13900000000",
            channel="enterprise_express",
            category="意见建议",
        ),
    )
    assert (run(appeals, path).created, run(appeals, path).present) == (2, 2)
    flat = appeals.get(Appeal.create_id("enterprise_express", "J-2"))
    assert (flat.enterprise, flat.contact, flat.category) == (
        {"name": "乙公司"},
        {"name": "赵先生", "phone": "13900000000"},
        "suggestion",
    )


def test_each_refused_line_is_named_with_its_line_number_and_records_nothing(appeals, tmp_path):
    """docs/http-api.md *Errors*: nothing is recorded when a command is refused — each line is its own command,
    refused for what the HTTP command would refuse it; the lines around it are opened."""
    before = stored(appeals)
    path = write(
        tmp_path / "orders.jsonl",
        "".join(
            [
                order("R-1"),  # 1 opened
                '{"external_ref": "R-2", "category": \n',  # 2 malformed JSON
                order("R-3", subject=None),  # 3 a required field missing
                order("R-4", category="表扬"),  # 4 an unknown category
                order("R-5", profile="atlantis-2020"),  # 5 an unknown profile (the service's check)
                order("R-6", occurred_at="2026-13-01T09:00:00+08:00"),  # 6 not a time
                order("R-7", occurred_at="2099-10-09T09:00:00+08:00"),  # 7 in the future
                order("R-8", enterprise={"name": "某公司", "credit_code": "9" * 33}),  # 8 longer than the API takes
                order("R-1", subject="另一个标题"),  # 9 R-1 again, saying something else
                order("R-1"),  # 10 R-1 again, the same: one work order
                order("R-11", expected_version=3),  # 11 a field a new case does not take
                "\n",  # 12 blank: no work order
                order(None),  # 13 no work-order number
                order("R-14"),  # 14 opened
            ]
        ),
    )
    summary = run(appeals, path)
    reasons = dict(summary.refusals)
    assert (summary.created, summary.present, sorted(reasons)) == (2, 1, [2, 3, 4, 5, 6, 7, 8, 9, 11, 13])
    assert reasons[2].startswith("not valid JSON")
    assert reasons[3] == "subject: Missing data for required field."
    assert reasons[4].startswith("category: Must be one of: consultation, help, complaint, suggestion")
    assert reasons[5].startswith("profile: unknown policy profile 'atlantis-2020'")
    assert reasons[6] == "occurred_at: Not a valid datetime."
    assert reasons[7] == "occurred_at: must not be in the future"
    assert reasons[8] == "enterprise.credit_code: Longer than maximum length 32."
    assert reasons[9] == "external_ref: work order R-1 (channel 12345) is on line 1 already, saying something else"
    assert reasons[11] == "expected_version: Unknown field."
    assert reasons[13] == "external_ref: Missing data for required field."
    opened = {Appeal.create_id("12345", ref) for ref in ("R-1", "R-14")}
    assert sorted(stored(appeals)) == sorted(before + [(i, 1, "caseledger:Appeal.Received") for i in opened])


def test_a_re_import_is_idempotent_by_channel_and_external_ref(appeals, tmp_path):
    """Re-importing opens nothing twice and changes nothing, even when the platform's
    export of a work order has since changed; the same number on another channel is another work order."""
    first = write(tmp_path / "day1.jsonl", "".join(order(f"I-{n}") for n in range(5)))
    assert run(appeals, first, batch_size=2).created == 5
    before = stored(appeals)
    later = write(
        tmp_path / "day2.jsonl",
        "".join(order(f"I-{n}", subject="更新后的标题") for n in range(5)) + order("I-0", channel="mayor_line"),
    )
    summary = run(appeals, later, batch_size=2)
    assert (summary.created, summary.present, summary.refused) == (1, 5, 0)
    assert stored(appeals)[: len(before)] == before and len(stored(appeals)) == len(before) + 1
    assert appeals.get(Appeal.create_id("12345", "I-0")).subject == "新厂房用电报装迟迟未接通"


def test_a_re_import_leaves_no_service_to_the_cyclic_collector(database_url, profiles, calendars, tmp_path):
    """A work order found present by its refused save leaves no cycle holding the service: one the
    cyclic collector closes could do so anywhere, inside another service's start among them."""
    path = write(tmp_path / "orders.jsonl", "".join(order(f"G-{n}") for n in range(3)))
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        service = AppealService(
            database_from_url(database_url).env, profiles=profiles, calendars=calendars.for_jurisdiction
        )
        run(service, path, batch_size=2)
        assert run(service, path, batch_size=2).present == 3
        service.close()
        del service
        gc.collect()
        assert not [o for o in gc.garbage if isinstance(o, Application)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_an_import_stopped_between_batches_leaves_whole_batches_and_a_re_run_opens_the_rest(appeals, tmp_path):
    """Issue 15: a crash half-way and a re-run give exactly one case per work order — each batch is one
    transaction, so what a stop leaves is whole batches, and the re-run counts them already present."""
    path = write(tmp_path / "orders.jsonl", "".join(order(f"C-{n}") for n in range(7)))
    records = open_work_orders(path)
    lines = list(records.records())

    class Stopped(Exception):
        pass

    def stops_after_five(after=0):
        yield from lines[:5]
        raise Stopped

    records.records = stops_after_five
    before = len(stored(appeals))
    with pytest.raises(Stopped):
        import_work_orders(appeals, ADMIN, records, batch_size=2, background=False)
    assert len(stored(appeals)) == before + 4  # two batches of two; the fifth line's batch never reached the log
    summary = run(appeals, path, batch_size=2)
    assert (summary.created, summary.present, summary.refused) == (3, 4, 0)
    assert sorted(o for o, _, _ in stored(appeals)[before:]) == sorted(
        Appeal.create_id("12345", f"C-{n}") for n in range(7)
    )


def test_opening_many_takes_a_work_order_given_twice_once_and_is_the_platform_s(appeals):
    """Opening appeals is for the platform and admins (a unit: 403; docs/http-api.md *Roles*); the same
    work order twice in one batch opens one case, the second counted present as a second POST is."""
    fields = {
        "channel": "12345",
        "external_ref": "T-1",
        "category": "help",
        "subject": "用电",
        "content": "接电",
        "enterprise": {"name": "甲公司"},
        "profile": "zichuan-2020",
        "occurred_at": sh("2026-09-30 10:00"),
    }
    with pytest.raises(NotPermitted):
        appeals.open_many(unit_actor("U1"), [fields])
    assert [o.outcome for o in appeals.open_many(ADMIN, [fields, fields])] == ["created", "present"]
    assert [e.originator_version for e in appeals.repository.event_store.get(Appeal.create_id("12345", "T-1"))] == [1]


def test_imported_cases_are_in_the_case_list_like_any_other(appeals, database_url, calendars, tmp_path):
    """The import records events in the one log; the read models take them up as any other case."""
    run(
        appeals,
        write(
            tmp_path / "orders.jsonl",
            order("L-1", subject="污水管网接驳审批缓慢")
            + order("L-2", subject="污水管网接驳费用不明", category="complaint"),
        ),
    )
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    try:
        read.runner().run_once()
        rows, total = read.models[0].view.query(CaseListQuery(q="污水管网接驳", per_page=50, now=FAR))
        assert total == 2 and {r["status"] for r in rows} == {"received"}
        assert {r["case_no"] for r in rows} == {
            appeals.get(Appeal.create_id("12345", ref)).case_no for ref in ("L-1", "L-2")
        }
    finally:
        read.close()


def mixed_file(path: Path) -> Path:
    """Work orders with, late in the file, a repeat saying the same and one saying something else of
    lines early in it, a line that is no JSON object and one the service refuses."""
    return write(
        path,
        "".join(order(f"B-{n}") for n in range(12))
        + order("B-1", subject="x")
        + order("B-2")
        + "[]\n"
        + order("B-15", profile="atlantis-2020")
        + order("B-16"),
    )


def handing_over_after(monkeypatch, chunks: int) -> None:
    """The importer finds the reading process ready once it has loaded ``chunks`` chunks itself (the
    start of a fresh interpreter is a matter of timing, made certain here)."""
    polls = [0]

    def poll(self, timeout=0.0):
        polls[0] += 1
        return polls[0] >= chunks and Connection.poll.__wrapped__(self, 60)

    poll.__wrapped__ = Connection.poll
    monkeypatch.setattr(Connection, "poll", poll)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("chunks_here", [1, 3])
def test_the_reading_process_going_on_after_the_importer_judges_the_lines_as_reading_in_place(
    appeals, tmp_path, monkeypatch, chunks_here
):
    """The importer loads the first chunks itself while the reading process (a fresh interpreter, with
    a hash seed of its own) starts, which then goes on from there: every line is judged as one reader
    reading the whole file in place judges it, a repeat of a line the importer read among them."""
    path = mixed_file(tmp_path / "orders.jsonl")
    in_place = [c.lines for c in checked_chunks(open_work_orders(path), None, "12345", 4)]
    handing_over_after(monkeypatch, chunks_here)
    given = list(checked_in_background(open_work_orders(path), None, "12345", 4))
    assert [c.lines for c in given] == in_place
    here = min(chunks_here + 1, len(in_place))  # and the one the reader loads too, to send the one after it
    assert [c.first is None for c in given] == [False] * here + [True] * (len(in_place) - here)
    summary = import_work_orders(appeals, ADMIN, open_work_orders(path), batch_size=4, background=True)
    assert (summary.created, summary.present, [n for n, _ in summary.refusals]) == (13, 1, [13, 15, 16])
    again = run(appeals, path, batch_size=4)
    assert (again.created, again.present, again.refusals) == (0, 14, summary.refusals)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_reading_process_that_cannot_start_leaves_the_rest_of_the_file_read_in_place(appeals, tmp_path, monkeypatch):
    path = mixed_file(tmp_path / "orders.jsonl")
    in_place = [c.lines for c in checked_chunks(open_work_orders(path), None, "12345", 4)]
    handing_over_after(monkeypatch, 1)
    # as a reading process that cannot start ends (a broken installation, an interpreter gone)
    monkeypatch.setattr(work_order_checks, "READER", [sys.executable, "-c", "raise SystemExit(1)"])
    given = list(checked_in_background(open_work_orders(path), None, "12345", 4))
    assert [c.lines for c in given] == in_place and all(c.first is not None for c in given)


def test_a_file_that_cannot_be_read_as_work_orders_is_refused_before_anything_is_imported(tmp_path):
    """A Chinese Excel's GB18030 export read as UTF-8, a CSV without the work-order number column,
    two columns for one field, an unknown extension: each is named, with the line where it matters."""
    gbk = write(tmp_path / "gbk.csv", CSV_HEADER + "ZB1,2026-09-30 10:00,投诉,标题,内容,某公司,,,,,\n", "gb18030")
    with pytest.raises(WorkOrderFileError, match="line 1 is not utf-8-sig text; .*--encoding gb18030"):
        open_work_orders(gbk)
    assert open_work_orders(gbk, encoding="gb18030").lines == 2
    with pytest.raises(WorkOrderFileError, match=r"no column for external_ref \(external_ref / 工单编号 / 工单号\)"):
        open_work_orders(write(tmp_path / "a.csv", "受理时间,诉求类型,标题,诉求内容,企业名称\n"))
    with pytest.raises(WorkOrderFileError, match="the columns 标题 and 诉求标题 both give subject"):
        open_work_orders(write(tmp_path / "b.csv", "工单编号,受理时间,诉求类型,标题,诉求标题,诉求内容,企业名称\n"))
    with pytest.raises(WorkOrderFileError, match="say --format jsonl or csv"):
        open_work_orders(write(tmp_path / "orders.xlsx", ""))
