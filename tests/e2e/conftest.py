"""The API through Flask's test client, on SQLite and PostgreSQL, with the CLI's directory.

Users get a cheap Argon2 setting here so that a hundred logins stay fast; the
real setting is exercised by the server tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.auth.passwords import Argon2Hasher
from domain.actors import Actor, Role
from domain.errors import AlreadyExists
from tests.conftest import LOG_KEY_FILE
from web.app import create_app
from web.bootstrap import Settings, bootstrap

OPERATOR = Actor("cli:test", Role.ADMIN)
PASSWORD = "correct horse battery"
UNITS = {
    "DISTRICT-POWER": "区供电中心",
    "DISTRICT-WATER": "区水务局",
    "DISTRICT-GRID": "区网格中心",
    # Back-office departments reviewing approvals (后台分类审批).
    "DISTRICT-FIRE": "区消防救援大队",
    "DISTRICT-PLAN": "区自然资源和规划局",
}
USERS = {  # name: (role, unit)
    "clerk": ("platform", None),
    "super": ("supervisor", None),
    "inspector": ("inspector", None),
    "auditor": ("auditor", None),
    "ops": ("admin", None),
    "power": ("unit", "DISTRICT-POWER"),
    "water": ("unit", "DISTRICT-WATER"),
    "grid": ("unit", "DISTRICT-GRID"),
    "fire": ("unit", "DISTRICT-FIRE"),
    "plan": ("unit", "DISTRICT-PLAN"),
}


@dataclass
class Api:
    client: Any
    container: Any
    tokens: dict[str, str]

    def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        return ({"Authorization": f"Bearer {self.tokens[user]}"} if user else {}) | extra

    def post(self, path: str, body: Any = None, user: str | None = "clerk", **headers: str):
        return self.client.post(path, json=body if body is not None else {}, headers=self.headers(user, **headers))

    def get(self, path: str, user: str | None = "clerk", **headers: str):
        return self.client.get(path, headers=self.headers(user, **headers))

    def store(self) -> list:
        """Every stored record of every application: the whole event store."""
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
            for app in (self.container.appeals, self.container.directory)
            for n in app.recorder.select_notifications(start=None, limit=10**6)
        ]

    def open(self, profile: str = "zichuan-2020", **fields: Any) -> dict:
        body = {
            "channel": "12345",
            "category": "help",
            "subject": "接电难",
            "content": "新厂房低压接电逾期未办",
            "enterprise": {"name": "淄博某某机械有限公司"},
            "profile": profile,
        } | fields
        response = self.post("/api/appeals", body)
        assert response.status_code == 201, response.json
        return response.json

    def submit(self, profile: str = "licensing-law-2019", matter: str = "general", **fields: Any) -> dict:
        """An application (审批) received at the window, reviewed by the fire brigade unless told."""
        body = {
            "profile": profile,
            "matter": matter,
            "applicant": {"name": "淄博某某餐饮有限公司"},
            "materials": ["申请书", "营业执照"],
            "departments": ["DISTRICT-FIRE"],
        } | fields
        response = self.post("/api/approvals", body)
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def api(request: pytest.FixtureRequest, database_url: str, tmp_path) -> Iterator[Api]:
    # Reads wait for the read models only where a follower runs (``live``): with none, nothing would
    # catch up meanwhile, and a read answers from the views as they stand, as after a wait in vain.
    read_wait = 3.0 if "live" in request.fixturenames else 0.0
    container = bootstrap(
        Settings(database_url=database_url, secret_key="test-secret", log_key_file=LOG_KEY_FILE, read_wait=read_wait),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    for code, name in UNITS.items():
        _ensure(lambda code=code, name=name: container.directory.add_unit(OPERATOR, code, name))
    for name, (role, unit) in USERS.items():
        _ensure(
            lambda name=name, role=role, unit=unit: container.directory.add_user(OPERATOR, name, role, PASSWORD, unit)
        )
    app = create_app(container)
    client = app.test_client()
    tokens = {}
    for name in USERS:
        response = client.post("/api/auth/token", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.json
        tokens[name] = response.json["token"]
    yield Api(client, container, tokens)
    container.close()


@pytest.fixture
def live(api):
    """The read models followed in the background, as ``caseledger serve`` does."""
    stop = threading.Event()
    thread = threading.Thread(target=api.container.follow, args=(stop, 0.02, 50))
    thread.start()
    yield api
    stop.set()
    thread.join()


def _ensure(create) -> None:
    try:
        create()
    except AlreadyExists:  # the PostgreSQL database is shared by the session's tests
        pass
