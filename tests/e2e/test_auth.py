"""Tokens, throttled logins and the auditable record of grants (issue: users, roles and units)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.e2e.conftest import OPERATOR, PASSWORD


def new_user(api, role="platform", unit=None) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    api.container.directory.add_user(OPERATOR, name, role, PASSWORD, unit)
    return name


def login(api, name, password=PASSWORD):
    return api.client.post("/api/auth/token", json={"username": name, "password": password})


def test_token_names_role_and_unit_and_expires(api):
    name = new_user(api, "unit", "DISTRICT-WATER")
    response = login(api, name)
    assert response.status_code == 200
    assert response.json["role"] == "unit" and response.json["unit"] == "DISTRICT-WATER"
    assert response.json["token"] and response.json["expires_at"].endswith("+08:00")


def test_wrong_password_and_unknown_user_get_the_same_401(api):
    name = new_user(api)
    wrong, unknown = login(api, name, "not the password"), login(api, "nobody-at-all", "whatever1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_repeated_failed_logins_are_throttled_even_for_the_right_password(api):
    name = new_user(api)
    for _ in range(5):
        assert login(api, name, "guessing-wrong").status_code == 401
    throttled = login(api, name)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert throttled.json["error"]["code"] == "too_many_attempts"
    history = [type(e).__name__ for e in api.container.directory.repository.event_store.get(
        api.container.directory.user(name).id)]
    assert history.count("LoginFailed") == 5  # the throttled attempt records nothing


def test_revoked_token_is_refused(api):
    name = new_user(api)
    token = login(api, name).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/units", headers=headers).status_code == 200
    assert api.client.post("/api/auth/revoke", headers=headers).status_code == 200
    assert api.client.get("/api/units", headers=headers).status_code == 401


def test_disabling_a_user_or_changing_the_password_ends_their_tokens(api):
    for change in (lambda n: api.container.directory.disable_user(OPERATOR, n, "left the office"),
                   lambda n: api.container.directory.set_password(OPERATOR, n, "a new password"),
                   lambda n: api.container.directory.revoke_all_tokens(OPERATOR, n)):
        name = new_user(api)
        headers = {"Authorization": f"Bearer {login(api, name).json['token']}"}
        change(name)
        assert api.client.get("/api/units", headers=headers).status_code == 401


def test_expired_token_is_refused(api):
    name = new_user(api)
    token = login(api, name).json["token"]
    tokens = api.container.tokens
    original, tokens.ttl = tokens.ttl, timedelta(seconds=-1)  # every token is now past its lifetime
    try:
        response = api.client.get("/api/units", headers={"Authorization": f"Bearer {token}"})
    finally:
        tokens.ttl = original
    assert response.status_code == 401 and "expired" in response.json["error"]["message"]


def test_who_granted_which_role_and_when_is_recorded(api):
    name = new_user(api, "unit", "DISTRICT-POWER")
    login(api, name)
    events = list(api.container.directory.repository.event_store.get(api.container.directory.user(name).id))
    registered = events[0]
    assert type(registered).__name__ == "Registered"
    assert (registered.role, registered.unit, registered.actor) == (
        "unit", "DISTRICT-POWER", {"user": "cli:test", "role": "admin", "unit": None})
    assert registered.password_hash.startswith("$argon2id$") and PASSWORD not in registered.password_hash
    assert type(events[-1]).__name__ == "LoggedIn"
