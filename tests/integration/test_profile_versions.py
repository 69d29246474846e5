"""Profiles are data, versioned, and a case keeps the rules it was opened under (docs/cases-and-approvals.md
*Policy profiles*)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.calendar.official import CalendarSource
from adapters.persistence.database import database_from_url
from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.appeals.service import AppealService
from tests.conftest import ADMIN, PLATFORM, sh
from tests.integration.cases import deadline, forwarded_case


def edited_zichuan(directory: Path) -> Path:
    """An edit of zichuan-2020: version 5 gives units 3 working days instead of 2."""
    text = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    text = text.replace("version = 4", "version = 5").replace("length = 2", "length = 3")
    directory.mkdir(exist_ok=True)
    (directory / "zichuan-2020.toml").write_text(text, encoding="utf-8")
    return directory


def test_editing_a_profile_never_changes_an_existing_cases_deadlines(database_url, calendars, tmp_path):
    before_edit = AppealService(
        database_from_url(database_url).env, profiles=FileProfileCatalogue(), calendars=calendars.for_jurisdiction
    )
    old = forwarded_case(before_edit, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    before_edit.close()

    after_edit = AppealService(
        database_from_url(database_url).env,
        profiles=FileProfileCatalogue([edited_zichuan(tmp_path / "profiles")]),
        calendars=calendars.for_jurisdiction,
    )
    new = forwarded_case(after_edit, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    old = after_edit.get(old.id)
    assert (old.policy["id"], old.policy["version"]) == ("zichuan-2020", 4)
    assert (new.policy["id"], new.policy["version"]) == ("zichuan-2020", 5)
    assert deadline(after_edit, old, "unit_reply", now="2026-10-01 00:00").due == sh("2026-10-08 23:59:59")
    assert deadline(after_edit, new, "unit_reply", now="2026-10-01 00:00").due == sh("2026-10-09 23:59:59")
    # Later commands on the old case still follow version 4.
    old = after_edit.return_for_redo(
        after_edit.review(
            after_edit.answer(old.id, ADMIN, kind="final", content="已办。", occurred_at=sh("2026-09-30 10:00")).id,
            PLATFORM,
            accepted=True,
            occurred_at=sh("2026-09-30 11:00"),
        ).id,
        PLATFORM,
        reason="不满意",
        occurred_at=sh("2026-10-09 09:00"),
    )
    assert deadline(after_edit, old, "unit_reply", now="2026-10-09 10:00").due == sh("2026-10-12 23:59:59")
    after_edit.close()


def test_unknown_profile_is_refused_naming_the_profiles_on_offer(appeals):
    from domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject="s",
            content="c",
            enterprise={"name": "E"},
            profile="beijing-2019",
        )
    assert "zichuan-2020" in refused.value.fields["profile"]


def test_provisional_deadline_becomes_exact_once_the_next_years_schedule_is_loaded(database_url, tmp_path):
    """A deadline reaching a year with no published schedule is provisional,
    computed on weekdays, and recomputed when the schedule is loaded."""
    overrides = tmp_path / "calendar.toml"
    overrides.write_text("", encoding="utf-8")
    calendars = CalendarSource(overrides)
    year = next(y for y in range(2026, 2100) if not calendars.for_jurisdiction(None).is_published(y))
    service = AppealService(
        database_from_url(database_url).env,
        profiles=FileProfileCatalogue(),
        calendars=calendars.for_jurisdiction,
        clock=lambda: sh(f"{year}-03-01 00:00"),
    )
    # Forwarded ten days before the published year ends: 15 WD reach into `year`.
    case = forwarded_case(service, "liaocheng-2020", f"{year - 1}-12-21 09:00", f"{year - 1}-12-21 10:00")
    provisional = deadline(service, case, "resolution", now=f"{year - 1}-12-22 00:00")
    assert provisional.provisional
    assert not deadline(service, case, "verification", now=f"{year - 1}-12-22 00:00").provisional

    # The State Council publishes the year (test data): Jan 1-3 and Jan 4-8 off.
    holidays = ", ".join(f'"{year}-01-0{d}"' for d in range(1, 9))
    overrides.write_text(f"[national.{year}]\nholidays = [{holidays}]\nworkdays = []\n", encoding="utf-8")
    calendars.reload()
    exact = deadline(service, case, "resolution", now=f"{year - 1}-12-22 00:00")
    assert not exact.provisional and exact.due > provisional.due
    service.close()
