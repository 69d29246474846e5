"""Fixtures of the integration tests beyond the shared ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.persistence.database import database_from_url
from domain.approvals.service import ApprovalService
from tests.integration.watch import Watch


@pytest.fixture
def approvals(appeals, database_url, profiles, calendars) -> Iterator[ApprovalService]:
    """The approval service on the appeals' store: one case log, as the container wires it."""
    service = ApprovalService(
        database_from_url(database_url).env, profiles=profiles, calendars=calendars.for_jurisdiction, store=appeals
    )
    yield service
    service.close()


@pytest.fixture
def watch(appeals, database_url, calendars, profiles):
    """The deadline sweep and the accountability process on the test database."""
    w = Watch(appeals, database_url, calendars, profiles)
    yield w
    w.close()
