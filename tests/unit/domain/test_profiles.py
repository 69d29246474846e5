"""Policy profiles are validated at load, with messages naming file and key (docs/cases-and-approvals.md)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters.profiles.files import PACKAGED, FileProfileCatalogue, load_profile
from domain.catalogue import parse_profile
from domain.deadlines.periods import PeriodUnit
from domain.errors import ProfileError


def packaged(name: str) -> dict:
    return tomllib.loads((PACKAGED / f"{name}.toml").read_text(encoding="utf-8"))


def test_the_four_jurisdiction_profiles_load():
    catalogue = FileProfileCatalogue()
    assert catalogue.ids() == ["liaocheng-2020", "liaoyuan-2024", "suqian-2024", "zichuan-2020"]
    zichuan = catalogue.get("zichuan-2020")
    report = next(r for r in zichuan.deadlines if r.name == "platform_report")
    assert (report.period.length, report.period.unit, report.period.cutoff.isoformat()) == (
        3,
        PeriodUnit.WORKING_DAYS,
        "12:00:00",
    )
    assert catalogue.get("liaocheng-2020").extension.max_total == 30
    assert set(catalogue.get("suqian-2024").tiers) == {"urgent", "ordinary", "complex", "window"}


def test_no_packaged_profile_refuses_a_category_its_document_does_not_exclude():
    """002 item 53 (政策咨询、服务求助、意见建议等诉求, 应接必接): none of the five
    documents excludes a category of appeal, so every packaged profile takes in all four."""
    catalogue = FileProfileCatalogue()
    for pid in catalogue.ids():
        assert catalogue.get(pid).categories == {"consultation", "help", "complaint", "suggestion"}, pid


def test_a_deadline_rule_may_say_whom_it_binds():
    """004 item 二: the window's feedback deadline binds the unit the case is forwarded to."""
    window = next(r for r in FileProfileCatalogue().get("suqian-2024").tiers["window"] if r.name == "window_feedback")
    assert window.binds == "unit"
    data = packaged("zichuan-2020")
    data["deadlines"][0]["binds"] = "somebody"
    with pytest.raises(ProfileError, match="'binds' must be one of"):
        parse_profile(data, "zichuan-2020.toml")


def test_a_profile_names_its_case_kind_and_its_deadlines_use_that_kinds_events():
    """Rules are data, per case kind: a deadline may name only events of its profile's kind."""
    assert {FileProfileCatalogue().get(pid).kind for pid in FileProfileCatalogue().ids()} == {"appeal"}
    data = packaged("zichuan-2020")
    data["kind"] = "parking-ticket"
    with pytest.raises(ProfileError, match=r"kind: one of \['appeal'\]"):
        parse_profile(data, "zichuan-2020.toml")
    data = packaged("zichuan-2020")
    data["deadlines"][0]["starts_on"] = ["Submitted"]  # an approval's event, not an appeal's
    with pytest.raises(ProfileError, match="'starts_on' must list events from"):
        parse_profile(data, "zichuan-2020.toml")


def test_case_policy_holds_only_what_governs_one_case():
    suqian = FileProfileCatalogue().get("suqian-2024")
    policy = suqian.case_policy("urgent")
    assert [(r["name"], r["length"]) for r in policy["deadlines"]] == [("completion", 2)]
    assert policy["tier"] == "urgent" and policy["version"] == 5 and policy["jurisdiction"] == "suqian"
    assert [level["code"] for level in policy["escalation"]][0] == "coordination_meeting"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("id"), "id: required, text"),
        (lambda d: d.update(version=0), "version: must be 1 or more"),
        (lambda d: d.update(colour="red"), "colour: unknown key"),
        (lambda d: d["deadlines"][0].update(unit="fortnights"), "deadlines[0]"),
        (lambda d: d["deadlines"][0].update(starts_on=["Teleported"]), "'starts_on' must list events"),
        (lambda d: d["deadlines"][0].update(met_by=[{"event": "Answered", "colour": "red"}]), "'met_by' condition"),
        (lambda d: d["deadlines"][0].update(length=0), "'length' must be a whole number"),
        (lambda d: d["deadlines"][1].update(unit="hours"), "'cutoff' cannot apply"),
        (lambda d: d.update(categories=["gossip"]), "categories:"),
        (lambda d: d.update(warning_working_days=0), "warning_working_days: a whole number of working days"),
        (lambda d: d.update(warning_working_days="1"), "warning_working_days: a whole number of working days"),
        (
            lambda d: d.update(extension={"deadline": "nope", "max_total": 30, "source": "x"}),
            "no deadline named 'nope'",
        ),
    ],
)
def test_malformed_profile_is_refused_with_a_message_naming_the_key(edit, message):
    data = packaged("zichuan-2020")
    edit(data)
    with pytest.raises(ProfileError) as refused:
        parse_profile(data, "zichuan-2020.toml")
    assert "zichuan-2020.toml" in str(refused.value) and message in str(refused.value)


@pytest.mark.parametrize("pid", ["zichuan-2020", "licensing-law-2019"])
def test_a_profile_of_either_kind_may_widen_its_warning_window(pid):
    """预警: no packaged profile sets a window (no document does); a local one may, in working days."""
    data = packaged(pid)
    assert "warning_working_days" not in data
    data["warning_working_days"] = 2
    assert parse_profile(data, f"{pid}.toml").record["warning_working_days"] == 2


def test_tiered_profile_needs_a_default_tier():
    data = packaged("suqian-2024")
    data.pop("default_tier")
    with pytest.raises(ProfileError, match="default_tier"):
        parse_profile(data, "suqian-2024.toml")


def test_profile_file_must_be_named_for_its_id(tmp_path: Path):
    (tmp_path / "other.toml").write_text((PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ProfileError, match="must match the file name"):
        FileProfileCatalogue([tmp_path])


def test_profile_file_that_is_not_toml_is_refused_naming_the_file(tmp_path: Path):
    bad = tmp_path / "broken.toml"
    bad.write_text("id = \n", encoding="utf-8")
    with pytest.raises(ProfileError, match="broken.toml: not valid TOML"):
        load_profile(bad)


def test_an_added_profile_directory_adds_and_overrides_profiles(tmp_path: Path):
    text = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    (tmp_path / "zichuan-2020.toml").write_text(text.replace("version = 4", "version = 7"), encoding="utf-8")
    (tmp_path / "zhoucun-2026.toml").write_text(
        text.replace('id = "zichuan-2020"', 'id = "zhoucun-2026"'), encoding="utf-8"
    )
    catalogue = FileProfileCatalogue([tmp_path])
    assert catalogue.get("zichuan-2020").version == 7
    assert "zhoucun-2026" in catalogue.ids()
