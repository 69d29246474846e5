"""The 好差评 follow-through as profile data: rectification period and contest window."""

from __future__ import annotations

import tomllib

import pytest

from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.catalogue import parse_profile
from domain.errors import ProfileError


def zichuan() -> dict:
    return tomllib.loads((PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8"))


def test_every_packaged_appeal_profile_sets_both_periods_each_with_its_source_or_marked_a_default():
    """002 item 27, 004 item 二, 国办发〔2019〕51号: a profile-set number of working days to rectify
    (localities use 5 to 15) and a window to contest; the documents set neither, so each is marked."""
    catalogue = FileProfileCatalogue()
    for profile_id in catalogue.ids():
        ratings = catalogue.get(profile_id).ratings
        assert 5 <= ratings.rectification_working_days <= 15 and ratings.contest_working_days >= 1
        assert ratings.rectification_source.startswith("default:") and ratings.contest_source.startswith("default:")
        assert catalogue.get(profile_id).case_policy(None)["ratings"]["rectification_working_days"] == 10


@pytest.mark.parametrize("days", [4, 16, 10.5, True])
def test_a_rectification_period_outside_5_to_15_working_days_is_refused(days):
    """Localities use 5 to 15 working days to rectify a bad rating."""
    data = zichuan()
    data["ratings"]["rectification_working_days"] = days
    with pytest.raises(
        ProfileError, match="ratings.rectification_working_days: a whole number of working days from 5 to 15"
    ):
        parse_profile(data, "zichuan-2020.toml")


def test_every_problem_of_the_ratings_table_is_reported_at_once():
    data = zichuan()
    data["ratings"] = {"rectification_working_days": 20, "contest_working_days": 0, "colour": "red"}
    data["version"] = 0
    with pytest.raises(ProfileError) as refused:
        parse_profile(data, "zichuan-2020.toml")
    message = str(refused.value)
    for problem in (
        "version: must be 1 or more",
        "ratings.colour: unknown key",
        "ratings.rectification_working_days",
        "ratings.contest_working_days",
        "ratings.rectification_source: required text",
        "ratings.contest_source: required text",
    ):
        assert problem in message


def test_a_profile_without_the_table_follows_no_rating_through():
    data = zichuan()
    data.pop("ratings")
    profile = parse_profile(data, "zichuan-2020.toml")
    assert profile.ratings is None and profile.case_policy(None)["ratings"] is None
