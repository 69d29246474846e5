"""Approval profiles: each matter's promise, the national defaults (行政许可法) it falls back on."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.actors import Actor, Role
from domain.appeals.service import AppealService
from domain.approvals.profiles import APPROVAL_EVENTS, merged_with_fallback, parse_approval_profile
from domain.catalogue import parse_profile
from domain.errors import ProfileError, ValidationFailed
from domain.profiles import CASE_EVENTS

NATIONAL, LIAOCHENG, LIAOYUAN = "licensing-law-2019", "liaocheng-2020-approvals", "liaoyuan-2024-approvals"


@pytest.fixture(scope="module")
def catalogue() -> FileProfileCatalogue:
    return FileProfileCatalogue()


def packaged(name: str) -> dict:
    return tomllib.loads((PACKAGED / f"{name}.toml").read_text(encoding="utf-8"))


def rule(policy: dict, name: str) -> dict:
    return next(r for r in policy["deadlines"] if r["name"] == name)


def period(policy: dict, name: str) -> tuple[int, str]:
    return rule(policy, name)["length"], rule(policy, name)["unit"]


def test_general_matter_decision_is_20_working_days_extendable_once_by_10__licensing_law_art_42(catalogue):
    policy = catalogue.get(NATIONAL, kind="approval").case_policy("general", ["housing"], False)
    assert period(policy, "decision") == (20, "working_days")
    assert rule(policy, "decision")["starts_on"] == ["Accepted", "DeemedAccepted"]
    assert rule(policy, "decision")["met_by"] == [{"event": "Decided"}]
    assert policy["extension"] == {
        "deadline": "decision",
        "working_days": 10,
        "once": True,
        "source": "行政许可法 art. 42",
    }


def test_two_departments_get_the_45_day_joint_period__art_42(catalogue):
    """行政许可法 arts. 26, 42: 统一办理或者联合办理、集中办理的 … 不得超过四十五日 … 可以延长十五日."""
    policy = catalogue.get(NATIONAL, kind="approval").case_policy("general", ["planning", "fire"], False)
    assert period(policy, "decision") == (45, "working_days")
    assert policy["extension"]["working_days"] == 15
    # the same department named twice is still one department
    once = catalogue.get(NATIONAL, kind="approval").case_policy("general", ["fire", "fire"], False)
    assert period(once, "decision")[0] == 20


def test_notice_runs_5_working_days_from_submission_until_any_answer_to_it__art_32(catalogue):
    """行政许可法 art. 32: 当场或者在五日内一次告知; art. 82 counts in working days."""
    notice = rule(catalogue.get(NATIONAL, kind="approval").case_policy("general", [], False), "notice")
    assert (notice["length"], notice["unit"], notice["starts_on"], notice["binds"]) == (
        5,
        "working_days",
        ["Submitted"],
        "platform",
    )
    assert [c["event"] for c in notice["met_by"]] == [
        "MaterialsRequested",
        "Accepted",
        "Refused",
        "DeemedAccepted",
        "Withdrawn",
    ]


def test_delivery_at_the_window_within_10_working_days_of_the_decision__art_44(catalogue):
    delivery = rule(catalogue.get(NATIONAL, kind="approval").case_policy("general", [], False), "delivery")
    assert (delivery["length"], delivery["starts_on"], delivery["met_by"], delivery["binds"]) == (
        10,
        ["Decided"],
        [{"event": "Delivered"}],
        "platform",
    )
    assert delivery["title"] == "统一窗口出件"


def test_business_startup_is_promised_in_two_hours__002_item_1(catalogue):
    """002 item 1: 一个环节办理、两小时办结、统一出件."""
    departments = ["market", "tax", "police"]
    policy = catalogue.get(LIAOCHENG, kind="approval").case_policy("business-startup", departments, False)
    assert period(policy, "decision") == (2, "hours")
    assert rule(policy, "decision")["source"] == "002 item 1"
    assert policy["extension"] is None  # the promise replaces the statutory 20 + 10 days
    assert [r["name"] for r in policy["deadlines"]] == ["notice", "decision", "delivery"]


def test_joint_completion_acceptance_15_working_days__002_item_10(catalogue):
    """002 item 10: 限时联合验收、统一出具验收意见 … 时间不超过 15 个工作日; the matter's own promise, not the
    45-day joint default, however many departments take part."""
    departments = ["planning", "land", "fire", "civil-air-defence", "archives"]
    policy = catalogue.get(LIAOCHENG, kind="approval").case_policy("joint-completion-acceptance", departments, False)
    assert period(policy, "decision") == (15, "working_days")
    review = rule(policy, "department_review")
    assert (review["length"], review["unit"], review["per"]) == (15, "working_days", "department")
    assert review["starts_on"] == ["Forwarded", "DepartmentReturned"]
    assert review["met_by"] == [{"event": "DepartmentAnswered"}]
    assert policy["matter"] == {
        "code": "joint-completion-acceptance",
        "title": "联合竣工验收",
        "source": "002 item 10",
        "commitment_allowed": False,
        "joint": True,
    }
    assert policy["extension"] is None


def test_utility_connection_5_working_days__002_item_36(catalogue):
    """002 item 36: 办理部门并联审批, 5 个工作日内办结 — each department in parallel within the same 5 WD."""
    departments = ["planning", "roads", "greening"]
    policy = catalogue.get(LIAOCHENG, kind="approval").case_policy("utility-connection", departments, False)
    assert period(policy, "decision") == period(policy, "department_review") == (5, "working_days")
    assert policy["matter"]["joint"] is True


def test_special_working_hours_5_working_days__002_item_43(catalogue):
    """002 item 43: 首次审批时限由法定20个工作日压缩至5个工作日."""
    policy = catalogue.get(LIAOCHENG, kind="approval").case_policy("special-working-hours", ["hr"], False)
    assert period(policy, "decision") == (5, "working_days")
    assert rule(policy, "decision")["source"] == "002 item 43"


def test_no_liaocheng_matter_may_be_done_on_commitment__002_items_4_9_29(catalogue):
    """Items 4, 9 and 29 bring 告知承诺制 to other matters (a later list of permits, construction drawings,
    certificates), none of the four with a promised period."""
    assert not any(m.commitment for m in catalogue.get(LIAOCHENG, kind="approval").matters.values())


def test_assembly_venue_may_open_on_commitment__003_item_8(catalogue):
    """003 item 8: 推行公众聚集场所投入使用营业告知承诺制 … 不采用告知承诺方式办理的, 现场检查 … 5个工作日内完成."""
    profile = catalogue.get(LIAOYUAN, kind="approval")
    on_commitment = profile.case_policy("assembly-venue-opening", ["fire-rescue"], True)
    assert on_commitment["commitment"] is True and on_commitment["matter"]["commitment_allowed"] is True
    inspected = profile.case_policy("assembly-venue-opening", ["fire-rescue"], False)
    assert inspected["commitment"] is False
    assert period(inspected, "decision") == period(inspected, "department_review") == (5, "working_days")
    assert rule(inspected, "department_review")["source"] == "003 item 8"


def test_commitment_refused_where_the_matter_does_not_allow_it(catalogue):
    with pytest.raises(ValidationFailed) as refused:
        catalogue.get(LIAOCHENG, kind="approval").case_policy("special-working-hours", ["hr"], True)
    assert set(refused.value.fields) == {"commitment"}
    assert "告知承诺制" in refused.value.fields["commitment"] and "002 item 43" in refused.value.fields["commitment"]


def test_unknown_matter_is_refused_with_the_catalogue(catalogue):
    with pytest.raises(ValidationFailed) as refused:
        catalogue.get(LIAOCHENG, kind="approval").case_policy("fishing-licence", [], False)
    message = refused.value.fields["matter"]
    assert "fishing-licence" in message
    assert all(code in message for code in catalogue.get(LIAOCHENG, kind="approval").matter_codes())
    assert catalogue.get(LIAOCHENG, kind="approval").matter_codes() == [
        "business-startup",
        "joint-completion-acceptance",
        "utility-connection",
        "special-working-hours",
    ]


def test_local_profile_falls_back_to_national_notice_and_delivery(catalogue):
    """Local promises shorten the statutory periods (行政许可法); what they do not set stays the law's."""
    national = catalogue.get(NATIONAL, kind="approval")
    for pid in (LIAOCHENG, LIAOYUAN):
        local = catalogue.get(pid, kind="approval")
        assert local.fallback == NATIONAL
        assert (local.notice, local.delivery, local.decision, local.joint_decision, local.escalation) == (
            national.notice,
            national.delivery,
            national.decision,
            national.joint_decision,
            national.escalation,
        )
        assert local.jurisdiction != national.jurisdiction and local.matter_codes() != ["general"]
    policy = catalogue.get(LIAOCHENG, kind="approval").case_policy("business-startup", [], False)
    assert rule(policy, "notice")["source"] == "行政许可法 art. 32"
    assert rule(policy, "delivery")["source"] == "行政许可法 art. 44"
    assert policy["escalation"] == [{"code": "supervision", "title": "督办"}]


def test_an_edited_national_default_reaches_the_local_profiles_that_fall_back_on_it(tmp_path: Path):
    text = (PACKAGED / f"{NATIONAL}.toml").read_text(encoding="utf-8")
    (tmp_path / f"{NATIONAL}.toml").write_text(text.replace("length = 5\n", "length = 3\n", 1), encoding="utf-8")
    catalogue = FileProfileCatalogue([tmp_path])
    assert catalogue.get(LIAOYUAN, kind="approval").notice.length == 3


def test_a_local_value_wins_over_the_fallback():
    local = {"id": "x", "notice": {"length": 1, "unit": "working_days", "source": "local"}, "matters": [{"code": "m"}]}
    merged = merged_with_fallback(local, packaged(NATIONAL))
    assert merged["notice"]["length"] == 1 and merged["delivery"]["length"] == 10
    assert merged["matters"] == [{"code": "m"}] and merged["id"] == "x"
    assert merged_with_fallback({"id": "y"}, packaged(NATIONAL))["matters"][0]["code"] == "general"


def test_case_policy_is_plain_data_naming_only_approval_events(catalogue):
    assert APPROVAL_EVENTS == (
        "Submitted",
        "MaterialsRequested",
        "MaterialsSupplied",
        "Accepted",
        "DeemedAccepted",
        "Refused",
        "Forwarded",
        "DepartmentAnswered",
        "DepartmentReturned",
        "Paused",
        "Resumed",
        "Extended",
        "Escalated",
        "Decided",
        "Delivered",
        "Revoked",
        "Withdrawn",
    )
    assert CASE_EVENTS["approval"]["DepartmentAnswered"] == {"department", "decision"}
    for pid in catalogue.ids(kind="approval"):
        profile = catalogue.get(pid, kind="approval")
        for code in profile.matter_codes():
            policy = profile.case_policy(code, ["a", "b"], False)
            assert json.loads(json.dumps(policy)) == policy
            assert set(policy) == {
                "id",
                "version",
                "jurisdiction",
                "kind",
                "title",
                "source",
                "matter",
                "commitment",
                "deadlines",
                "extension",
                "escalation",
                "overdue",
                "accountability",
            }
            for r in policy["deadlines"]:
                assert set(r["starts_on"]) <= set(APPROVAL_EVENTS)
                assert {c["event"] for c in r["met_by"]} <= set(APPROVAL_EVENTS)


def test_the_catalogue_offers_appeal_profiles_unless_asked_for_another_kind(catalogue):
    assert catalogue.ids(kind="approval") == [LIAOCHENG, LIAOYUAN, NATIONAL]
    assert NATIONAL not in catalogue.ids() and set(catalogue.ids(kind=None)) >= {NATIONAL, "zichuan-2020"}
    assert catalogue.get(NATIONAL, kind=None).kind == "approval"
    with pytest.raises(KeyError):
        catalogue.get(NATIONAL)


def test_an_appeal_cannot_be_opened_under_an_approval_profile(catalogue):
    """Appeal code asks the catalogue for appeal profiles only: a catalogue of matters is an unknown profile."""
    service = AppealService(profiles=catalogue, calendars=lambda jurisdiction: None)
    with pytest.raises(ValidationFailed) as refused:
        service.open(
            Actor("window", Role.PLATFORM),
            channel="12345",
            category="help",
            subject="s",
            content="c",
            enterprise={"name": "E"},
            profile=NATIONAL,
        )
    assert "unknown policy profile 'licensing-law-2019'" in refused.value.fields["profile"]
    assert LIAOCHENG not in refused.value.fields["profile"]


def test_a_bad_approval_profile_reports_every_problem():
    data = packaged(LIAOCHENG)
    data["colour"] = "red"
    data["notice"] = {"length": 0, "unit": "fortnights", "source": "x", "extension": 3}
    data["matters"][0]["decision"]["extension"] = 1  # 2 hours cannot be extended by working days
    data["matters"][1]["code"] = data["matters"][2]["code"]
    data["matters"][2]["commitment"] = "perhaps"
    data["matters"][2]["department_review"]["length"] = 9  # longer than the matter's 5-day promise
    data["matters"][3]["decision"]["unit"] = "weeks"
    with pytest.raises(ProfileError) as refused:
        parse_profile(merged_with_fallback(data, packaged(NATIONAL)), "liaocheng-2020-approvals.toml")
    message = str(refused.value)
    for expected in (
        "liaocheng-2020-approvals.toml",
        "colour: unknown key",
        "notice: unknown keys ['extension']",
        "notice.length: a whole number of 1 or more",
        "notice.unit: one of",
        "matters[0].decision.extension: counted in working days",
        "matters[2].code: 'utility-connection' is already a matter",
        "matters[2].commitment: required, true or false",
        "matters[2].department_review: 9 working_days is longer than matters[2].decision",
        "matters[3].decision.unit: one of",
    ):
        assert expected in message, expected


def test_an_approval_profile_without_its_fallback_lacks_the_statutory_periods():
    with pytest.raises(ProfileError) as refused:
        parse_approval_profile(packaged(LIAOYUAN), "liaoyuan-2024-approvals.toml")
    assert "notice: required (here or in the fallback profile)" in str(refused.value)
    assert "delivery: required" in str(refused.value)


def write(directory: Path, pid: str, fallback: str) -> None:
    (directory / f"{pid}.toml").write_text(
        f'id = "{pid}"\nkind = "approval"\nversion = 1\ntitle = "t"\nsource = "s"\njurisdiction = "j"\n'
        f'fallback = "{fallback}"\n',
        encoding="utf-8",
    )


def test_a_fallback_cycle_is_refused_naming_the_file(tmp_path: Path):
    write(tmp_path, "alpha", "beta")
    write(tmp_path, "beta", "alpha")
    with pytest.raises(ProfileError, match=r"beta\.toml: fallback cycle alpha → beta → alpha"):
        FileProfileCatalogue([tmp_path])


def test_a_missing_fallback_is_refused_naming_the_file(tmp_path: Path):
    write(tmp_path, "alpha", "nowhere-2019")
    with pytest.raises(ProfileError, match=r"alpha\.toml: fallback 'nowhere-2019' is not a profile on offer"):
        FileProfileCatalogue([tmp_path])


def test_a_fallback_of_another_kind_is_refused_naming_the_file(tmp_path: Path):
    write(tmp_path, "alpha", "zichuan-2020")
    with pytest.raises(ProfileError, match=r"alpha\.toml: fallback 'zichuan-2020' is an appeal profile"):
        FileProfileCatalogue([tmp_path])
