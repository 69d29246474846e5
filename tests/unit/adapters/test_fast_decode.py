"""The read models' faster decoder gives exactly the events the library's own mapper gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from adapters.calendar.official import CalendarSource
from adapters.persistence.fast_decode import OrjsonDecodingTranscoder, fast_mapper
from adapters.profiles.files import FileProfileCatalogue
from domain.actors import Actor, Role
from domain.appeals.aggregate import Appeal
from domain.appeals.service import AppealService
from domain.deadlines.periods import SHANGHAI
from domain.directory.records import Unit, User

PLATFORM = Actor("hotline.clerk", Role.PLATFORM)
ADMIN = Actor("ops", Role.ADMIN)
SUPERVISOR = Actor("supervisor.li", Role.SUPERVISOR)
AT = datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI)


def _appeal_events() -> list:
    """Every kind of appeal event, from a case driven through its whole lifecycle."""
    policy = FileProfileCatalogue().get("liaocheng-2020").case_policy(None)
    case = Appeal(
        id=Appeal.create_id("12345", "ref-1"),
        channel="12345",
        external_ref="ref-1",
        case_no="QY-1",
        category="help",
        subject='用电报装 "引号" \\ 反斜杠\t制表',
        content="企业诉求\n第二行",
        enterprise={"name": "测试企业", "_type_": "not a transcoding"},
        contact={"phone": "123"},
        policy=policy,
        actor=PLATFORM.as_record(),
        occurred_at=AT,
    )
    steps = [
        lambda t: case.forward("U1", ["U2"], "note", PLATFORM, t),
        lambda t: case.extend(5, "复杂", ADMIN, t),
        lambda t: case.request_handback("非本单位", ADMIN, t),
        lambda t: case.rule_handback(
            True, "同意退单", "U3", [], CalendarSource().for_jurisdiction("liaocheng"), t, PLATFORM, t
        ),
        lambda t: case.acknowledge(ADMIN, t),
        lambda t: case.escalate(None, "督办", SUPERVISOR, t),
        lambda t: case.answer("initial", "初步", ADMIN, t),
        lambda t: case.answer("final", "结果", ADMIN, t),
        lambda t: case.review(False, "重办", PLATFORM, t),  # Reviewed, then Returned
        lambda t: case.answer("final", "再答", ADMIN, t),
        lambda t: case.review(True, None, PLATFORM, t),
        lambda t: case.visit("basically_satisfied", True, None, PLATFORM, t),
        lambda t: case.close(PLATFORM, None),  # no occurred_at: recorded time only
    ]
    for n, step in enumerate(steps, start=1):
        step(AT + timedelta(hours=n))
    return case.collect_events()


def _merge_events() -> list:
    """并单 and its undoing, on both cases: ids and the caller's receipt time lie inside the events' data."""
    policy = FileProfileCatalogue().get("zichuan-2020").case_policy(None)
    a, b = (
        Appeal(
            id=Appeal.create_id("12345", ref),
            channel="12345",
            external_ref=ref,
            case_no=ref,
            category="help",
            subject="接电难",
            content="c",
            enterprise={"name": "E"},
            contact=None,
            policy=policy,
            actor=PLATFORM.as_record(),
            occurred_at=AT,
        )
        for ref in ("ref-a", "ref-b")
    )
    b.merge_into(a, "同一事项", PLATFORM, AT + timedelta(hours=1))
    b.unmerge(a, "误并", PLATFORM, AT + timedelta(hours=2))
    return a.collect_events() + b.collect_events()


def _directory_events() -> list:
    unit = Unit("U1", "区供电中心", None, PLATFORM.as_record())
    unit.disable("合并", PLATFORM.as_record())
    user = User("clerk", "unit", "U1", "$argon2id$hash", PLATFORM.as_record())
    user.disable(None, PLATFORM.as_record())
    user.enable(PLATFORM.as_record())
    user.change_password("$argon2id$other", PLATFORM.as_record())
    # Logins are no longer recorded on the user, but stored ones must still read back.
    user.trigger_event(User.LoggedIn, token_id="token-1", expires_at=AT + timedelta(hours=8), client="127.0.0.1")
    user.trigger_event(User.LoginFailed, client=None)
    user.revoke_token("token-1", AT + timedelta(hours=8), PLATFORM.as_record())
    user.revoke_all_tokens(PLATFORM.as_record())
    return unit.collect_events() + user.collect_events()


@pytest.fixture(scope="module")
def app() -> AppealService:
    return AppealService(profiles=FileProfileCatalogue(), calendars=lambda jurisdiction: None)


def test_every_recorded_event_type_decodes_to_the_same_event(app):
    events = _appeal_events() + _merge_events() + _directory_events()
    topics = {type(e).TOPIC for e in events}
    assert {t for t in topics if t.startswith("caseledger:Appeal.")} == {
        f"caseledger:Appeal.{name}"
        for name in (
            "Received",
            "Forwarded",
            "Extended",
            "HandbackRequested",
            "HandbackRuled",
            "Acknowledged",
            "Escalated",
            "Answered",
            "Reviewed",
            "Returned",
            "Visited",
            "Closed",
            "MergedInto",
            "RepeatMerged",
            "Unmerged",
            "RepeatUnmerged",
        )
    }
    fast = fast_mapper(app.mapper)
    assert fast is not app.mapper
    for event in events:
        stored = app.mapper.to_stored_event(event)
        expected, got = app.mapper.to_domain_event(stored), fast.to_domain_event(stored)
        assert type(got) is type(expected)
        assert repr(vars(got)) == repr(vars(expected)), type(event).TOPIC  # same values, same types, same order
        assert fast.to_stored_event(got) == stored  # writing is the library's


MARKED = {"_type_": "datetime_iso", "_data_": "2026-09-29T09:00:00+08:00"}
PAYLOADS = [
    {},
    {"plain": [1, 2.5, True, None, "文字"]},
    {"timestamp": MARKED, "occurred_at": None},
    {"nested": {"at": MARKED}, "top": MARKED},  # a marker below the top level
    {
        "list": [MARKED, {"id": {"_type_": "uuid_hex", "_data_": "0" * 32}}],
        "amount": {"_type_": "decimal_str", "_data_": "1.10"},
    },
    {"three": {"_type_": "datetime_iso", "_data_": "2026-09-29T09:00:00+08:00", "extra": 1}},
    {"lonely": {"_type_": "datetime_iso"}, "text": "_type_", "key": {"_type_": 3}},
    {"_type_": "datetime_iso", "_data_": "2026-09-29T09:00:00+08:00"},  # the whole state a marker
    {"marker in data": {"_type_": "datetime_iso", "_data_": {"_type_": "decimal_str", "_data_": "1"}}},
]
RAW = [
    b'{"big": 123456789012345678901234567890, "t": {"_type_": "datetime_iso", "_data_": "2026-01-01T00:00:00"}}',
    b'{"nan": NaN, "inf": -Infinity}',
    b'{"\\u005ftype_": "datetime_iso", "_data_": "2026-01-01T00:00:00+00:00"}',  # the key spelt with an escape
    b'{"surrogate": "\\ud800"}',
    b'[{"_type_": "uuid_hex", "_data_": "00000000000000000000000000000001"}, 1]',
    b'"just a string"',
    b'{"dup": 1, "dup": {"_type_": "datetime_iso", "_data_": "2026-01-01T00:00:00+00:00"}}',
    b' {"spaced" : { "_type_" : "datetime_iso" , "_data_" : "2026-01-01T00:00:00+00:00" } } ',
]


@pytest.mark.parametrize("data", [json.dumps(p, ensure_ascii=False).encode() for p in PAYLOADS] + RAW)
def test_transcoder_decodes_as_the_library_does(app, data):
    library = app.mapper.transcoder
    fast = OrjsonDecodingTranscoder(library)
    try:
        expected = library.decode(data)
    except Exception as exc:  # noqa: BLE001 - whatever the library refuses, the fast one refuses alike
        with pytest.raises(type(exc)):
            fast.decode(data)
        return
    assert repr(fast.decode(data)) == repr(expected)


def test_undecodable_state_fails_as_with_the_library(app):
    stored = StoredEvent(
        originator_id=Appeal.create_id("12345", "x"),
        originator_version=1,
        topic="caseledger:Appeal.Closed",
        state=b'{"at": {"_type_": "unknown", "_data_": "x"}}',
    )
    with pytest.raises(MapperDeserialisationError):
        app.mapper.to_domain_event(stored)
    with pytest.raises(MapperDeserialisationError):
        fast_mapper(app.mapper).to_domain_event(stored)


def test_round_trip_of_instants_keeps_their_offsets(app):
    fast = fast_mapper(app.mapper)
    moment = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)
    state = app.mapper.transcoder.encode({"a": moment, "b": moment.astimezone(SHANGHAI)})
    decoded = fast.transcoder.decode(state)
    assert [v.utcoffset() for v in decoded.values()] == [timedelta(0), timedelta(hours=8)]
