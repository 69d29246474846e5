"""The embedded store's files are the operator's alone: var/ 0700; the database, its -wal and -shm, the lock
file and the signing key 0600, whatever the umask."""

from __future__ import annotations

import os
import stat

import pytest

from adapters.auth.passwords import Argon2Hasher
from domain.actors import Actor, Role
from web.bootstrap import Settings, bootstrap


@pytest.mark.parametrize("umask", [0o022, 0o002], ids=["umask-022", "umask-002"])
def test_sqlite_files_and_var_are_readable_by_their_owner_only(tmp_path, monkeypatch, umask):
    monkeypatch.chdir(tmp_path)
    before = os.umask(umask)
    try:
        container = bootstrap(Settings(), hasher=Argon2Hasher(time_cost=1, memory_cost=1024))  # the defaults
        try:
            container.directory.add_unit(Actor("cli:test", Role.ADMIN), "DISTRICT-POWER", "区供电中心")  # a write
            files = [
                "caseledger.sqlite3",
                "caseledger.sqlite3-wal",
                "caseledger.sqlite3-shm",
                "caseledger.sqlite3.lock",
                "secret_key",
            ]
            modes = {name: stat.S_IMODE(os.stat(tmp_path / "var" / name).st_mode) for name in files}
        finally:
            container.close()
    finally:
        os.umask(before)
    assert stat.S_IMODE(os.stat(tmp_path / "var").st_mode) == 0o700
    assert modes == dict.fromkeys(files, 0o600)
