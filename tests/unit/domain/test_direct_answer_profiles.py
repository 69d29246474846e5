"""首接负责 in the profiles (004 item 六: 对于咨询类诉求，实行首接负责制): which categories the platform may answer
at first contact is a profile's ``[direct_answer]``, validated at load and kept in each case's policy."""

from __future__ import annotations

import tomllib

import pytest

from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.appeals.hotline import direct_categories
from domain.catalogue import parse_profile
from domain.errors import ProfileError


def packaged(name: str) -> dict:
    return tomllib.loads((PACKAGED / f"{name}.toml").read_text(encoding="utf-8"))


def test_every_packaged_appeal_profile_lets_the_platform_answer_consultations_at_first_contact():
    """004 item 六: 对于咨询类诉求，实行首接负责制 — consultations only, the rule cited in each profile."""
    catalogue = FileProfileCatalogue()
    for pid in catalogue.ids():
        policy = catalogue.get(pid).case_policy(catalogue.get(pid).tier_for(None, "12345"))
        assert direct_categories(policy) == {"consultation"}, pid
        assert policy["direct_answer"]["source"] == "004 item 六", pid


def test_a_policy_without_the_table_allows_no_answer_at_first_contact():
    """004 item 六 as the profile says it: a case opened under a version that said nothing keeps that version."""
    assert direct_categories({"deadlines": []}) == frozenset()
    assert direct_categories({"direct_answer": None}) == frozenset()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"categories": ["visit"], "source": "004 item 六"}, "direct_answer.categories"),
        ({"categories": [], "source": "004 item 六"}, "direct_answer.categories"),
        ({"categories": ["consultation"]}, "direct_answer: a table with 'categories' and 'source'"),
        ({"categories": ["consultation"], "source": "", "extra": 1}, "direct_answer: a table"),
    ],
)
def test_a_malformed_direct_answer_table_is_refused_naming_the_key(table, message):
    data = packaged("zichuan-2020") | {"direct_answer": table}
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, "zichuan-2020.toml")


def test_a_direct_answer_category_must_be_one_the_profile_takes_in():
    data = packaged("zichuan-2020") | {
        "categories": ["help"],
        "direct_answer": {"categories": ["consultation"], "source": "x"},
    }
    with pytest.raises(ProfileError, match="direct_answer.categories"):
        parse_profile(data, "zichuan-2020.toml")
