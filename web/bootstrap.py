"""The composition root: settings in, a wired application out.

Nothing else reads the environment. Settings:
``CASELEDGER_DATABASE_URL`` (see adapters.persistence), ``CASELEDGER_PROFILES_DIR``
(extra or edited policy profiles), ``CASELEDGER_CALENDAR_OVERRIDES`` (a TOML
file of newly published years and local closures).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from adapters.calendar import CalendarSource
from adapters.persistence import Database, database_from_url
from adapters.profile_files import FileProfileCatalogue
from domain.application import AppealService, utc_now


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    profiles_dir: Path | None = None
    calendar_overrides: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def path(name: str) -> Path | None:
            return Path(environ[name]) if environ.get(name) else None

        return cls(
            database_url=environ.get("CASELEDGER_DATABASE_URL") or None,
            profiles_dir=path("CASELEDGER_PROFILES_DIR"),
            calendar_overrides=path("CASELEDGER_CALENDAR_OVERRIDES"),
        )


@dataclass
class Container:
    settings: Settings
    database: Database
    calendars: CalendarSource
    profiles: FileProfileCatalogue
    appeals: AppealService

    def close(self) -> None:
        self.appeals.close()


def bootstrap(settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> Container:
    settings = settings or Settings.from_env()
    database = database_from_url(settings.database_url)
    calendars = CalendarSource(settings.calendar_overrides)
    profiles = FileProfileCatalogue([settings.profiles_dir] if settings.profiles_dir else [])
    appeals = AppealService(database.env, profiles=profiles, calendars=calendars.for_jurisdiction, clock=clock)
    return Container(settings, database, calendars, profiles, appeals)
