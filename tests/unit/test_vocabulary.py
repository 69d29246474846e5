"""Named vocabulary, once: the API's choices are the domain's and the read side's own constants."""

from __future__ import annotations

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
    from web.workspace.text import CATEGORY

    assert list(CATEGORY) == list(CATEGORIES)


def test_the_workspace_names_every_status_and_event_in_chinese():
    from domain.appeals.aggregate import Appeal
    from domain.approvals.aggregate import Approval
    from domain.status import ApprovalStatus, Status
    from web.workspace.text import EVENT, STATUS

    assert {s.value for s in Status} | {s.value for s in ApprovalStatus} <= set(STATUS)
    events = {
        cls.__name__
        for kind in (Appeal, Approval)
        for cls in vars(kind).values()
        if isinstance(cls, type) and issubclass(cls, kind.Event) and cls is not kind.Event
    }
    events.discard("Created")  # the library's default, never recorded: a case's first event is Received or Submitted
    assert events and events <= set(EVENT), events - set(EVENT)
