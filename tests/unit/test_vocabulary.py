"""Named vocabulary, once: the API's choices are the domain's and the read side's own constants."""

from __future__ import annotations

from adapters.views_cases import ORDER
from domain.profiles import CATEGORIES
from projections.case_list import SORTS
from web.schemas import CaseListArgsSchema, OpenAppealSchema


def test_the_case_list_sorts_are_one_list_for_the_api_and_every_view():
    assert tuple(CaseListArgsSchema().fields["sort"].validate.choices) == SORTS
    assert tuple(ORDER) == SORTS


def test_the_categories_of_appeal_are_one_list_for_the_api_and_the_profiles():
    """RULES.md §1: 政策咨询, 服务求助, 投诉, 意见建议."""
    assert tuple(OpenAppealSchema().fields["category"].validate.choices) == CATEGORIES
