"""The main journey of the web workspace once more, on PostgreSQL: a unit signs for and answers an
appeal (a refused answer recording nothing); and a POST without the CSRF token records nothing.

The same test functions as on SQLite (imported from ``test_workspace``), run against a server of this
module on a fresh PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import Workspace, workspace_on
from tests.browser.test_workspace import (  # noqa: F401 - collected here again, on PostgreSQL
    test_a_post_without_the_csrf_token_records_nothing,
    test_a_unit_signs_for_and_answers_an_appeal,
)
from tests.e2e.server import scratch_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """``caseledger serve`` on a PostgreSQL database of its own, dropped afterwards."""
    with (
        scratch_postgres(prefix="caseledger_browser") as url,
        workspace_on(url, tmp_path_factory.mktemp("workspace-pg"), "postgres") as ready,
    ):
        yield ready
