"""Fixtures of the integration tests beyond the shared ones."""

from __future__ import annotations

import pytest

from tests.integration.watch import Watch


@pytest.fixture
def watch(appeals, database_url, calendars, profiles):
    """The deadline sweep and the accountability process on the test database."""
    w = Watch(appeals, database_url, calendars, profiles)
    yield w
    w.close()
