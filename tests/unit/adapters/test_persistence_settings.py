"""CASELEDGER_DATABASE_URL into the event store's own settings (docs/configuration.md)."""

from __future__ import annotations

import pytest

from adapters.persistence.database import DatabaseURLError, database_from_url


def test_default_is_an_sqlite_file_under_var(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = database_from_url(None)
    assert db.kind == "sqlite"
    assert db.env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": "var/caseledger.sqlite3",
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    assert (tmp_path / "var").is_dir()


def test_absolute_sqlite_path(tmp_path):
    db = database_from_url(f"sqlite:///{tmp_path}/x/events.db")
    assert db.env["SQLITE_DBNAME"] == f"{tmp_path}/x/events.db"


def test_postgresql_url_maps_to_the_librarys_settings_with_one_shared_pool():
    db = database_from_url("postgresql://clerk:s%40cret@db.local:6543/cases?pool_size=8&schema=zibo")
    assert db.kind == "postgresql"
    assert db.env == {
        "PERSISTENCE_MODULE": "adapters.persistence.pg_pool:SharedPostgresFactory",
        "POSTGRES_DBNAME": "cases",
        "POSTGRES_HOST": "db.local",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "clerk",
        "POSTGRES_PASSWORD": "s@cret",
        "POSTGRES_POOL_SIZE": "8",
        "POSTGRES_MAX_OVERFLOW": "3",
        "POSTGRES_SCHEMA": "zibo",
    }
    assert "s%40cret" not in db.redacted


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/cases", "must start with sqlite:/// or postgresql://"),
        ("postgresql://u:secret@h/", "must name a database"),
        ("postgresql://u@h/db?sslmode=require&colour=red", "unknown parameters"),
    ],
)
def test_bad_urls_are_refused_clearly_without_leaking_the_password(url, message):
    with pytest.raises(DatabaseURLError, match=message) as refused:
        database_from_url(url)
    assert "secret" not in str(refused.value)
