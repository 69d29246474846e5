"""Units (承办单位) and users, event-sourced like the cases.

Who was given which role and unit, when and by whom, is part of the
auditable record: every grant, disablement, password change and token
revocation is an event with its actor. Sign-in attempts are not: they go to
the login log (domain.directory.login_log), so that a user's record stays small and
concurrent logins never conflict on it.
"""

from __future__ import annotations

import abc
import re
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Role
from domain.errors import NotAllowedInState, ValidationFailed

_UNITS = uuid5(NAMESPACE_URL, "urn:caseledger:unit")
_USERS = uuid5(NAMESPACE_URL, "urn:caseledger:user")
# An e-mail address as the reminders need one: a local part, "@", a domain with a dot; no spaces.
EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,63}")


class PasswordHasher(abc.ABC):
    """Port: a slow, salted password hash (adapters.auth.passwords)."""

    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password_hash: str, password: str) -> bool: ...


class Unit(Aggregate):
    """承办单位: a handling unit, optionally under a parent unit."""

    TOPIC = "caseledger:Unit"

    class Event(Aggregate.Event):
        TOPIC = "caseledger:Unit.Event"

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(_UNITS, code)

    @event("Registered", topic="caseledger:Unit.Registered")
    def __init__(self, code: str, name: str, parent: str | None, actor: dict[str, Any]) -> None:
        self.code, self.name, self.parent = code, name, parent
        self.active = True
        # Who heads the unit from which day (主要负责人), in the order recorded: {"name", "from"}.
        self.heads: list[dict[str, str]] = []

    @event("Disabled", topic="caseledger:Unit.Disabled")
    def disable(self, reason: str | None, actor: dict[str, Any]) -> None:
        self.active = False

    @event("HeadAppointed", topic="caseledger:Unit.HeadAppointed")
    def appoint_head(self, name: str, from_day: str, actor: dict[str, Any]) -> None:
        """Records that ``name`` heads the unit from ``from_day`` (ISO date, Asia/Shanghai) on; a later
        record for the same day corrects an earlier one."""
        self.heads.append({"name": name, "from": from_day})

    def head_on(self, day: date) -> dict[str, str] | None:
        """The head in office on ``day``: the latest-starting appointment on or before it (of two for
        the same day, the one recorded last); None before the first."""
        in_office = None
        for head in self.heads:
            if date.fromisoformat(head["from"]) <= day and (in_office is None or head["from"] >= in_office["from"]):
                in_office = head
        return in_office

    def next_head_after(self, day: date) -> dict[str, str] | None:
        """The appointment recorded to begin after ``day`` that begins first (of two for the same day, the
        one recorded last); None when none is."""
        coming = None
        for head in self.heads:
            if date.fromisoformat(head["from"]) > day and (coming is None or head["from"] <= coming["from"]):
                coming = head
        return coming


class User(Aggregate):
    """A person who signs in, with one role and, for a unit user, one unit."""

    TOPIC = "caseledger:User"

    class Event(Aggregate.Event):
        TOPIC = "caseledger:User.Event"

    @staticmethod
    def create_id(username: str) -> UUID:
        return uuid5(_USERS, username)

    @event("Registered", topic="caseledger:User.Registered")
    def __init__(
        self,
        username: str,
        role: str,
        unit: str | None,
        password_hash: str,
        actor: dict[str, Any],
        timestamp: datetime | None = None,
    ) -> None:
        assert timestamp is not None  # the library passes each event's own timestamp
        self.username, self.role, self.unit = username, role, unit
        self.password_hash = password_hash
        self.active = True
        self.tokens_valid_after: datetime = timestamp
        self.revoked_tokens: dict[str, datetime] = {}
        self.email: str | None = None

    @event("Disabled", topic="caseledger:User.Disabled")
    def disable(self, reason: str | None, actor: dict[str, Any], timestamp: datetime | None = None) -> None:
        # Tokens issued before the disablement end with it, and stay ended if the user is enabled again.
        assert timestamp is not None  # the library passes each event's own timestamp
        self.active = False
        self.tokens_valid_after = timestamp

    @event("Enabled", topic="caseledger:User.Enabled")
    def enable(self, actor: dict[str, Any]) -> None:
        self.active = True

    @event("PasswordChanged", topic="caseledger:User.PasswordChanged")
    def change_password(self, password_hash: str, actor: dict[str, Any], timestamp: datetime | None = None) -> None:
        assert timestamp is not None  # the library passes each event's own timestamp
        self.password_hash = password_hash
        self.tokens_valid_after = timestamp

    class LoggedIn(Event):
        """A login, as recorded before logins went to the login log: kept so that stored ones stay
        readable; it changes nothing on the record."""

        TOPIC = "caseledger:User.LoggedIn"
        token_id: str
        expires_at: datetime
        client: str | None

        def apply(self, aggregate: User) -> None:
            pass

    class LoginFailed(Event):
        """A failed login, as recorded before logins went to the login log: kept so that stored ones
        stay readable; the lockout reads the login log, so it changes nothing on the record."""

        TOPIC = "caseledger:User.LoginFailed"
        client: str | None

        def apply(self, aggregate: User) -> None:
            pass

    @event("TokenRevoked", topic="caseledger:User.TokenRevoked")
    def revoke_token(
        self, token_id: str, expires_at: datetime, actor: dict[str, Any], timestamp: datetime | None = None
    ) -> None:
        # Forget revocations of tokens that have expired anyway.
        assert timestamp is not None  # the library passes each event's own timestamp
        self.revoked_tokens = {k: v for k, v in self.revoked_tokens.items() if v > timestamp}
        self.revoked_tokens[token_id] = expires_at

    @event("TokensRevoked", topic="caseledger:User.TokensRevoked")
    def revoke_all_tokens(self, actor: dict[str, Any], timestamp: datetime | None = None) -> None:
        assert timestamp is not None  # the library passes each event's own timestamp
        self.tokens_valid_after = timestamp

    def set_email(self, address: str | None, actor: dict[str, Any]) -> None:
        """Sets (or, with None, clears) the address the user's reminders (预警) are mailed to."""
        self.check_set_email(address)
        self._email_set(address=address, actor=actor)

    def check_set_email(self, address: str | None) -> None:
        """Every refusal ``set_email`` would give, recording nothing."""
        if address is not None and not EMAIL.fullmatch(address):
            raise ValidationFailed(
                {"address": "an e-mail address such as name@example.org"}, zh={"address": "请填写有效的电子邮箱地址"}
            )
        if address == self.address:
            raise NotAllowedInState(
                f"user {self.username} already has that address", "该用户的电子邮箱已是这个地址，无需更改"
            )

    @event("EmailSet", topic="caseledger:User.EmailSet")
    def _email_set(self, address: str | None, actor: dict[str, Any]) -> None:
        self.email = address

    @property
    def address(self) -> str | None:
        """The user's e-mail address (None: none set; users recorded before addresses existed have none)."""
        return getattr(self, "email", None)

    def accepts_token(self, token_id: str, issued_at: datetime) -> bool:
        return self.active and issued_at >= self.tokens_valid_after and token_id not in self.revoked_tokens


VALID_ROLES = {r.value for r in Role}
