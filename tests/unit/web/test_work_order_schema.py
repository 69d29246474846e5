"""The import's quick load of a work order equals the HTTP command's schema wherever it answers.

``quick_load`` runs the schema's own fields without the schema's machinery, and leaves every line it
is not sure of to the schema (None). Here it is held to that on arbitrary lines: valid ones, and
ones with a field missing, unknown, mistyped, too long, NUL-bearing or null.
"""

from __future__ import annotations

import marshmallow as ma
from hypothesis import given, settings
from hypothesis import strategies as st

from web.work_orders.checks import _SCHEMA, quick_load

VALID = {
    "external_ref": "ZB20261009001",
    "occurred_at": "2026-10-09T09:30:00+08:00",
    "channel": "12345",
    "category": "help",
    "subject": "用电报装迟迟未接通",
    "content": "低压接电申请逾期未办",
    "enterprise": {"name": "淄博某某机械有限公司", "credit_code": "91370302MA3C00000X"},
    "contact": {"name": "王经理", "phone": "13800000000"},
    "profile": "zichuan-2020",
    "tier": "urgent",
}
ODD_VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.just(""),
    st.just("a\x00b"),
    st.just("x" * 20001),
    st.just("2026-10-09 09:30"),
    st.just("2026/10/09"),
    st.just("意见建议"),
    st.text(max_size=5),
    st.dictionaries(
        st.sampled_from(["name", "credit_code", "phone", "extra"]),
        st.one_of(st.none(), st.text(max_size=3), st.integers()),
        max_size=3,
    ),
)


@st.composite
def lines(draw) -> dict:
    line = {k: v for k, v in VALID.items() if draw(st.booleans()) or k in ("external_ref", "subject")}
    for key in draw(st.lists(st.sampled_from([*VALID, "expected_version", "unknown"]), max_size=3)):
        line[key] = draw(ODD_VALUES)
    return line


@settings(max_examples=150, deadline=None)
@given(lines())
def test_the_quick_load_equals_the_schema_or_leaves_the_line_to_it(line):
    """docs/http-api.md ``POST /api/appeals``: an imported line is judged as the HTTP command judges its body."""
    quick = quick_load(_SCHEMA, line)
    try:
        loaded = _SCHEMA.load(line)
    except ma.ValidationError:
        assert quick is None
        return
    assert quick is None or quick == loaded


def test_a_valid_work_order_takes_the_quick_load():
    assert quick_load(_SCHEMA, VALID) == _SCHEMA.load(VALID)
    assert quick_load(_SCHEMA, {k: v for k, v in VALID.items() if k not in ("contact", "tier")}) is not None
