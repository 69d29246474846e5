"""Who heads a unit on a given day (000 item 4: 约谈单位主要负责人), from its recorded appointments."""

from __future__ import annotations

from datetime import date

from domain.directory.records import Unit


def unit_with(*heads: tuple[str, str]) -> Unit:
    unit = Unit(code="U1", name="区市场监管局", parent=None, actor={"id": "t"})
    for name, day in heads:
        unit.appoint_head(name=name, from_day=day, actor={"id": "t"})
    return unit


def test_the_head_on_a_day_is_the_latest_appointed_on_or_before_it():
    unit = unit_with(("张三", "2026-01-05"), ("李四", "2026-10-09"))
    assert unit.head_on(date(2026, 1, 4)) is None
    assert unit.head_on(date(2026, 1, 5))["name"] == "张三"
    assert unit.head_on(date(2026, 10, 8))["name"] == "张三"
    assert unit.head_on(date(2026, 10, 9))["name"] == "李四"
    assert unit.head_on(date(2027, 3, 1))["name"] == "李四"


def test_an_appointment_recorded_late_for_an_earlier_day_still_counts_from_that_day():
    unit = unit_with(("李四", "2026-10-09"), ("张三", "2026-01-05"))
    assert unit.head_on(date(2026, 6, 1))["name"] == "张三"
    assert unit.head_on(date(2026, 10, 20))["name"] == "李四"


def test_a_second_record_for_the_same_day_corrects_the_first():
    unit = unit_with(("张山", "2026-10-09"), ("张三", "2026-10-09"))
    assert unit.head_on(date(2026, 10, 9))["name"] == "张三"


def test_the_appointments_survive_a_replay_of_the_units_events():
    unit = unit_with(("张三", "2026-01-05"), ("李四", "2026-10-09"))
    replayed = None
    for e in unit.collect_events():
        replayed = e.mutate(replayed)
    assert replayed.head_on(date(2026, 10, 9)) == {"name": "李四", "from": "2026-10-09"}
