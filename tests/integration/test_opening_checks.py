"""The services' opening checks on their own (``check_opening``, ``check_submission``), on SQLite and PostgreSQL:
what ``open`` and ``submit`` would refuse, every problem at once, and nothing recorded either way — for the
workspace's forms, which list these beside the API schema's own problems."""

from __future__ import annotations

import pytest

from domain.errors import NotPermitted, ValidationFailed
from tests.conftest import PLATFORM, unit_actor

APPEAL = {
    "channel": "12345",
    "category": "help",
    "subject": "接电难",
    "content": "新厂房低压接电逾期未办",
    "enterprise": {"name": "淄博某某机械有限公司"},
    "profile": "zichuan-2020",
}
APPLICATION = {
    "profile": "licensing-law-2019",
    "matter": "general",
    "applicant": {"name": "淄博某某餐饮有限公司"},
    "materials": ["申请书"],
    "departments": ["DISTRICT-FIRE"],
}


def head(service) -> int:
    return service.recorder.max_notification_id() or 0


def test_check_opening_names_every_problem_open_would_and_records_nothing(appeals):
    before = head(appeals)
    appeals.check_opening(PLATFORM, **APPEAL)  # nothing wrong: nothing said
    with pytest.raises(ValidationFailed) as refused:
        appeals.check_opening(PLATFORM, **(APPEAL | {"subject": " ", "tier": "urgent", "enterprise": {"name": ""}}))
    assert set(refused.value.fields) == {"subject", "tier", "enterprise.name"}
    with pytest.raises(ValidationFailed) as opened:
        appeals.open(PLATFORM, **(APPEAL | {"subject": " ", "tier": "urgent", "enterprise": {"name": ""}}))
    assert opened.value.fields == refused.value.fields
    with pytest.raises(NotPermitted):
        appeals.check_opening(unit_actor("DISTRICT-POWER"), **APPEAL)
    assert head(appeals) == before


def test_check_submission_names_every_problem_submit_would_and_records_nothing(appeals, approvals):
    before = head(appeals)
    approvals.check_submission(PLATFORM, **APPLICATION)
    wrong = APPLICATION | {"applicant": {"name": ""}, "matter": "no-such-matter", "commitment": True}
    with pytest.raises(ValidationFailed) as refused:
        approvals.check_submission(PLATFORM, **wrong)
    assert set(refused.value.fields) == {"applicant.name", "matter"}
    with pytest.raises(ValidationFailed) as submitted:
        approvals.submit(PLATFORM, **wrong)
    assert submitted.value.fields == refused.value.fields
    with pytest.raises(NotPermitted):
        approvals.check_submission(unit_actor("DISTRICT-FIRE"), **APPLICATION)
    assert head(appeals) == before
