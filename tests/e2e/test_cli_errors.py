"""The command line's refusals: one line on standard error naming the problem, a non-zero exit, no traceback.

Each runs the installed ``caseledger`` as an operator would, on a SQLite file
of the test's own (or on a database that cannot be reached).
"""

from __future__ import annotations

import pytest

from tests.e2e.server import free_port, run_cli, server_env

PASSWORD = "correct horse battery staple\n"


@pytest.fixture
def sqlite_env(tmp_path):
    return server_env(f"sqlite:///{tmp_path}/cli.sqlite3")


def refused(args: list[str], env, cwd, stdin: str | None = None, status: int | None = None) -> str:
    """The one line ``caseledger ARGS`` printed on refusing, after checking the exit and that nothing else came."""
    done = run_cli(args, env, cwd, stdin, check=False)
    assert done.returncode != 0 if status is None else done.returncode == status, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("caseledger: "), done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    return lines[0]


def test_a_unit_user_without_unit_is_told_unit_is_required(sqlite_env, tmp_path):
    line = refused(["user", "add", "power1", "--role", "unit"], sqlite_env, tmp_path, PASSWORD, status=2)
    assert "--unit CODE is required for a unit user" in line and "None" not in line
    assert "power1" not in run_cli(["user", "list"], sqlite_env, tmp_path).stdout  # nothing recorded


def test_a_unit_user_of_an_unknown_unit_names_the_unit(sqlite_env, tmp_path):
    line = refused(["user", "add", "power1", "--role", "unit", "--unit", "NO-SUCH"], sqlite_env, tmp_path, PASSWORD)
    assert line == "caseledger: --unit: a unit user needs an existing, active unit; no unit 'NO-SUCH'"


def test_an_unknown_parent_unit_is_named(sqlite_env, tmp_path):
    line = refused(["unit", "add", "TOWN-POWER", "镇供电所", "--parent", "NO-SUCH"], sqlite_env, tmp_path)
    assert line == "caseledger: --parent: no unit 'NO-SUCH'"
    assert "TOWN-POWER" not in run_cli(["unit", "list"], sqlite_env, tmp_path).stdout


@pytest.mark.parametrize(
    "url, says",
    [
        ("mysql://db.example/caseledger", "must start with sqlite:/// or postgresql://"),
        ("postgresql://postgres@127.0.0.1:5432", "the URL must name a database"),
        ("postgresql://postgres@127.0.0.1:5432/db?pool=3", "unknown parameters ['pool']"),
    ],
)
def test_a_bad_database_url_is_named(tmp_path, url, says):
    line = refused(["unit", "list"], server_env(url), tmp_path, status=2)
    assert line.startswith("caseledger: CASELEDGER_DATABASE_URL=") and says in line


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    url = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/caseledger"  # nothing listens there
    line = refused(["unit", "list"], server_env(url), tmp_path, status=1)
    assert line.startswith("caseledger: cannot open the database postgresql://postgres:***@127.0.0.1:")
    assert "Connection refused" in line and "s3cret" not in line


def test_a_sqlite_file_that_cannot_be_opened_is_named(tmp_path):
    (tmp_path / "taken.sqlite3").mkdir()  # a directory where the database file should be
    line = refused(["unit", "list"], server_env(f"sqlite:///{tmp_path}/taken.sqlite3"), tmp_path, status=1)
    assert (
        line.startswith(
            f"caseledger: cannot open the database sqlite:///{tmp_path}/taken.sqlite3 (CASELEDGER_DATABASE_URL): "
        )
        and "Is a directory" in line
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CASELEDGER_TOKEN_TTL_MINUTES", "eight hours"),
        ("CASELEDGER_MAX_BODY_BYTES", "-1"),
        ("CASELEDGER_IDEMPOTENCY_LEASE_SECONDS", "soon"),
        ("CASELEDGER_READ_WAIT_SECONDS", "-0.5"),
    ],
)
def test_a_setting_that_is_not_a_number_is_named(sqlite_env, tmp_path, name, value):
    line = refused(["unit", "list"], {**sqlite_env, name: value}, tmp_path, status=2)
    assert name in line and repr(value) in line


def test_serve_with_a_bad_database_url_stops_with_one_line(tmp_path):
    env = server_env("mysql://somewhere/db")
    line = refused(["serve", "--port", str(free_port())], env, tmp_path, status=2)
    assert line.startswith("caseledger: CASELEDGER_DATABASE_URL=") and "postgresql://" in line


def test_unit_head_records_who_heads_a_unit_from_a_day(sqlite_env, tmp_path):
    """Issue 15 item 5 (000 item 4: 约谈单位主要负责人): the head is recorded with the first day in office."""
    run_cli(["unit", "add", "TOWN-POWER", "镇供电所"], sqlite_env, tmp_path)
    done = run_cli(["unit", "head", "TOWN-POWER", "李四", "--from", "2026-10-09"], sqlite_env, tmp_path)
    assert done.stdout.strip() == "unit TOWN-POWER headed by 李四 from 2026-10-09"


def test_unit_head_for_an_unknown_unit_or_a_bad_day_is_refused(sqlite_env, tmp_path):
    assert "NO-SUCH" in refused(["unit", "head", "NO-SUCH", "李四", "--from", "2026-10-09"], sqlite_env, tmp_path)
    line = refused(["unit", "head", "NO-SUCH", "李四", "--from", "2026-13-09"], sqlite_env, tmp_path, status=2)
    assert "--from" in line and "2026-13-09" in line


def test_an_e_mail_address_that_is_no_address_is_named_and_nothing_is_recorded(sqlite_env, tmp_path):
    run_cli(["user", "add", "auditor1", "--role", "auditor"], sqlite_env, tmp_path, PASSWORD)
    line = refused(["user", "email", "auditor1", "not an address"], sqlite_env, tmp_path)
    assert line == "caseledger: address: an e-mail address such as name@example.org"
    done = run_cli(["user", "email", "auditor1", "shen@ban.example.cn"], sqlite_env, tmp_path)
    assert done.stdout.strip() == "e-mail of auditor1 set to shen@ban.example.cn"
    again = refused(["user", "email", "auditor1", "shen@ban.example.cn"], sqlite_env, tmp_path)
    assert again == "caseledger: user auditor1 already has that address"


def test_a_relay_that_is_no_smtp_url_is_named_at_start(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/cli.sqlite3") | {"CASELEDGER_SMTP_URL": "mail.example.cn:25"}
    line = refused(["notices", "status"], env, tmp_path, status=2)
    assert line == "caseledger: CASELEDGER_SMTP_URL='mail.example.cn:25': give smtp://host:port"
