"""Tokens, throttled logins and the auditable record of grants (issue: users, roles and units)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from domain.directory.login_log import FAILED_LOGIN_WINDOW
from domain.directory.records import User
from tests.conftest import LOG_KEY_FILE
from tests.e2e.conftest import OPERATOR, PASSWORD
from web.bootstrap import Settings, bootstrap


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


def events_of(api, name) -> list[str]:
    return [type(e).__name__ for e in api.container.directory.repository.event_store.get(User.create_id(name))]


def logged(api, name) -> list:
    """The name's attempts in the login log, newest first."""
    return api.container.directory.logins.latest(name, datetime.now(UTC) - timedelta(days=1), 1000)


def test_repeated_failed_logins_are_throttled_even_for_the_right_password(api):
    name = new_user(api)
    for _ in range(5):
        assert login(api, name, "guessing-wrong").status_code == 401
    throttled = login(api, name)
    assert throttled.status_code == 429 and 890 <= int(throttled.headers["Retry-After"]) <= 900  # 15 minutes
    assert throttled.json["error"]["code"] == "too_many_attempts"
    attempts = logged(api, name)
    assert [a.succeeded for a in attempts] == [False] * 5  # the throttled attempt records nothing
    assert all(a.client == "127.0.0.1" and a.token_id is None for a in attempts)
    assert events_of(api, name) == ["Registered"]  # failures are in the login log, not on the user


def test_unknown_user_names_are_locked_out_like_known_ones(api):
    """Five failures lock a name whether or not it exists: the answers never tell which accounts do."""
    known, unknown = new_user(api), f"nobody-{uuid.uuid4().hex[:8]}"
    answers = {}
    for name in (known, unknown):
        answers[name] = [login(api, name, "guessing-wrong") for _ in range(5)] + [login(api, name, PASSWORD)]
    for name, responses in answers.items():
        assert [r.status_code for r in responses] == [401] * 5 + [429], name
        assert 890 <= int(responses[-1].headers["Retry-After"]) <= 900
        assert len(logged(api, name)) == 5
    assert [r.json for r in answers[known][:5]] == [r.json for r in answers[unknown][:5]]
    locked = [answers[n][-1].json["error"] for n in (known, unknown)]
    assert locked[0]["code"] == locked[1]["code"] == "too_many_attempts"
    assert locked[0]["message"].split(" after ")[0] == locked[1]["message"].split(" after ")[0]


def test_a_successful_login_clears_earlier_failures(api):
    name = new_user(api)
    for _ in range(4):
        assert login(api, name, "guessing-wrong").status_code == 401
    assert login(api, name).status_code == 200
    for _ in range(4):  # four since the success: not locked
        assert login(api, name, "guessing-wrong").status_code == 401
    assert login(api, name).status_code == 200
    for _ in range(5):
        assert login(api, name, "guessing-wrong").status_code == 401
    assert login(api, name).status_code == 429


def test_the_lock_lifts_fifteen_minutes_after_the_last_failure(api):
    name = new_user(api)
    directory = api.container.directory
    for _ in range(5):
        assert login(api, name, "guessing-wrong").status_code == 401
    last = logged(api, name)[0].at
    real_clock = directory.clock
    try:
        directory.clock = lambda: last + FAILED_LOGIN_WINDOW - timedelta(seconds=1)
        assert login(api, name).status_code == 429
        directory.clock = lambda: last + FAILED_LOGIN_WINDOW + timedelta(seconds=1)
        assert login(api, name).status_code == 200
    finally:
        directory.clock = real_clock


def test_logins_are_kept_out_of_the_users_record(api):
    """However often a user signs in, its record holds only grants, disablements, password changes and
    revocations; each login is a row of the login log with its token id."""
    name = new_user(api)
    tokens = [login(api, name).json["token"] for _ in range(20)]
    login(api, name, "guessing-wrong")
    assert events_of(api, name) == ["Registered"]
    attempts = logged(api, name)
    assert [a.succeeded for a in attempts] == [False] + [True] * 20
    issued = {api.container.tokens.read(t).token_id for t in tokens}
    assert {a.token_id for a in attempts[1:]} == issued and len(issued) == 20


def test_login_events_stored_on_the_user_before_the_login_log_still_read(api):
    """Older records hold LoggedIn and LoginFailed events: the user still loads, its tokens still work,
    and old failures lock nothing (the lockout reads the login log)."""
    name = new_user(api)
    directory = api.container.directory
    user = directory.user(name)
    for _ in range(6):
        user.trigger_event(User.LoginFailed, client="10.0.0.1")
    user.trigger_event(User.LoggedIn, token_id="old-token", expires_at=datetime.now(UTC), client=None)
    directory.save(user)
    assert events_of(api, name) == ["Registered"] + ["LoginFailed"] * 6 + ["LoggedIn"]
    response = login(api, name)
    assert response.status_code == 200
    assert (
        api.client.get("/api/units", headers={"Authorization": f"Bearer {response.json['token']}"}).status_code == 200
    )


def test_revoked_token_is_refused(api):
    name = new_user(api)
    token = login(api, name).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/units", headers=headers).status_code == 200
    assert api.client.post("/api/auth/revoke", headers=headers).status_code == 200
    assert api.client.get("/api/units", headers=headers).status_code == 401


def test_reenabling_a_user_does_not_revive_tokens_issued_before_the_disablement(api, database_url):
    name = new_user(api)
    headers = {"Authorization": f"Bearer {login(api, name).json['token']}"}
    api.container.directory.disable_user(OPERATOR, name, "休假")
    assert login(api, name).status_code == 401
    api.container.directory.enable_user(OPERATOR, name)
    assert api.client.get("/api/units", headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {login(api, name).json['token']}"}
    assert api.client.get("/api/units", headers=fresh).status_code == 200
    # Replayed from the stored events by another process, the user refuses the old token alike.
    other = bootstrap(Settings(database_url=database_url, secret_key="test-secret", log_key_file=LOG_KEY_FILE))
    try:
        claims = api.container.tokens.read(headers["Authorization"].split()[1])
        assert not other.directory.user(name).accepts_token(claims.token_id, claims.issued_at)
        claims = api.container.tokens.read(fresh["Authorization"].split()[1])
        assert other.directory.user(name).accepts_token(claims.token_id, claims.issued_at)
    finally:
        other.close()


def test_a_revocation_by_another_process_ends_a_token_its_cache_knew(api, database_url):
    """Users are cached per process; each read fast-forwards the cached user, so a revocation saved
    elsewhere is seen at the next request."""
    name = new_user(api)
    headers = {"Authorization": f"Bearer {login(api, name).json['token']}"}
    assert api.client.get("/api/units", headers=headers).status_code == 200  # the user is now cached
    other = bootstrap(Settings(database_url=database_url, secret_key="test-secret", log_key_file=LOG_KEY_FILE))
    try:
        other.directory.revoke_all_tokens(OPERATOR, name)
    finally:
        other.close()
    assert api.client.get("/api/units", headers=headers).status_code == 401


def test_disabling_a_user_or_changing_the_password_ends_their_tokens(api):
    for change in (
        lambda n: api.container.directory.disable_user(OPERATOR, n, "调离"),
        lambda n: api.container.directory.set_password(OPERATOR, n, "a new password"),
        lambda n: api.container.directory.revoke_all_tokens(OPERATOR, n),
    ):
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
        "unit",
        "DISTRICT-POWER",
        {"user": "cli:test", "role": "admin", "unit": None},
    )
    assert registered.password_hash.startswith("$argon2id$") and PASSWORD not in registered.password_hash
    assert len(events) == 1  # the login is in the login log
