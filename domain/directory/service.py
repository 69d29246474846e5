"""The directory application: units, users, logins and token revocations.

Every request with a bearer token reads its user (web.auth), so users are
cached, and each read brings the cached user up to date with one query for
events after its version (the library's fast-forward): a revocation saved
by any process is seen by the next request of every other. Snapshots, every
100 events, keep a user quick to load from cold however many of its tokens
sign-outs have revoked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.actors import Actor, Role
from domain.directory.login_log import LoginAttempt, LoginLog, locked_until
from domain.directory.records import VALID_ROLES, PasswordHasher, Unit, User
from domain.errors import (
    AlreadyExists,
    AuthenticationFailed,
    CaseNotFound,
    LoginThrottled,
    NotAllowedInState,
    ValidationFailed,
)
from domain.time_source import TimeSource, utc_now
from domain.vocabulary import ROLE

_A = TypeVar("_A", Unit, User)

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
PASSWORD_ZH = f"密码至少 {MIN_PASSWORD} 位"
_PUNCTUATION = "“.”“_”“-”"


# The acts of administration on units and users, by event type: what ``recent_acts`` lists.
ACTS = {
    "Unit": ("Registered", "Disabled", "HeadAppointed"),
    "User": ("Registered", "Disabled", "Enabled", "PasswordChanged", "TokensRevoked", "EmailSet"),
}
# What an act said, as ``recent_acts`` gives it (never a password hash).
ACT_DATA = ("name", "parent", "role", "unit", "from_day", "reason", "address")


@dataclass(frozen=True)
class DirectoryAct:
    """One act on a unit or a user, as recorded: when, on which (the unit's code or the user's name),
    what (the event's type), by whom (the actor as recorded: user, role, unit) and what it said."""

    at: datetime
    subject: str
    type: str
    actor: dict[str, Any]
    data: dict[str, Any]


class DirectoryService(Application[UUID]):
    name = "Directory"
    snapshotting_intervals = {User: 100}  # noqa: RUF012 - the library's class setting
    # Name-prefixed, so that they win over the process environment: a cache without fast-forward
    # would keep accepting tokens that another process revoked.
    CACHE = {
        "DIRECTORY_AGGREGATE_CACHE_MAXSIZE": "1000",
        "DIRECTORY_AGGREGATE_CACHE_FASTFORWARD": "y",
        "DIRECTORY_DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        hasher: PasswordHasher,
        logins: LoginLog,
        clock: TimeSource = utc_now,
    ) -> None:
        super().__init__({**(env or {}), **self.CACHE})
        self.hasher, self.logins, self.clock = hasher, logins, clock
        # Verifying against a throw-away hash keeps an unknown name as slow as a wrong password.
        self._decoy = hasher.hash("decoy-password")
        self._units: tuple[int, list[Unit]] | None = None  # the directory's head and its units then

    # -- units ------------------------------------------------------------------
    def check_new_unit(self, code: str, name: str, parent: str | None = None) -> None:
        """Every refusal ``add_unit`` would give, all at once, recording nothing: ValidationFailed (with the
        code already taken among the problems, if it is), or AlreadyExists when that is the only one."""
        problems, zh = {}, {}
        if not CODE.match(code or ""):
            problems["code"] = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            zh["code"] = f"单位代码须为 1 至 64 位字母、数字或{_PUNCTUATION}，以字母或数字开头"
        if not (name or "").strip():
            problems["name"] = "a unit needs a name"
            zh["name"] = "请填写单位名称"
        if parent is not None and self.unit(parent) is None:
            problems["parent"] = f"no unit {parent!r}"
            zh["parent"] = "没有这个上级单位"
        taken = "code" not in problems and self.unit(code) is not None
        if problems:
            if taken:
                problems["code"], zh["code"] = f"unit {code} already exists", "该单位代码已被使用"
            raise ValidationFailed(problems, zh=zh)
        if taken:
            raise AlreadyExists(f"unit {code} already exists")

    def add_unit(self, actor: Actor, code: str, name: str, parent: str | None = None) -> Unit:
        self.check_new_unit(code, name, parent)
        unit = Unit(code=code, name=name.strip(), parent=parent, actor=actor.as_record())
        self._create(unit, f"unit {code} already exists")
        return unit

    def disable_unit(self, actor: Actor, code: str, reason: str | None = None) -> Unit:
        """Disables a unit for good: nothing enables it again (no user may be added to it, no case forwarded
        to it); a second disablement is refused."""
        unit = self.unit(code)
        if unit is None:
            raise CaseNotFound(f"no unit {code!r}")
        if not unit.active:
            raise NotAllowedInState(f"unit {code} is already disabled", "该单位已停用")
        unit.disable(reason=reason, actor=actor.as_record())
        self.save(unit)
        return unit

    def appoint_head(self, actor: Actor, code: str, name: str, from_day: date | None) -> Unit:
        """Records who heads unit ``code`` from ``from_day`` on (``caseledger unit head``): a 约谈 or
        书面检查 names the head in office on the day it arose, even after the head has changed."""
        problems, zh = {}, {}
        if not (name or "").strip():
            problems["name"], zh["name"] = "name the unit's head", "请填写主要负责人姓名"
        if not isinstance(from_day, date) or isinstance(from_day, datetime):
            problems["from"] = "the first day in office, as YYYY-MM-DD"
            zh["from"] = "请填写任职起始日（年-月-日，如 2026-01-05）"
        unit = self.unit(code) if code else None
        if unit is None and problems:
            problems["code"], zh["code"] = f"no unit {code!r}", "请选择单位"
        if problems:
            raise ValidationFailed(problems, zh=zh)
        if unit is None:
            raise CaseNotFound(f"no unit {code!r}")
        assert from_day is not None  # checked above
        unit.appoint_head(name=name.strip(), from_day=from_day.isoformat(), actor=actor.as_record())
        self.save(unit)
        return unit

    def head_on(self, code: str, day: date) -> dict[str, str] | None:
        """The head of unit ``code`` in office on ``day`` (None if none is recorded by then)."""
        unit = self.unit(code)
        return unit.head_on(day) if unit is not None else None

    def unit(self, code: str) -> Unit | None:
        return self._find(Unit.create_id(code), Unit)

    def units(self) -> list[Unit]:
        """Every unit, in the order registered, for reading only (the same objects are handed to every
        caller until the directory changes). Kept while the directory's log has not moved: one query for
        its head instead of every unit loaded again, which took milliseconds of every page."""
        head = self.recorder.max_notification_id() or 0
        kept = self._units
        if kept is not None and kept[0] == head:
            return list(kept[1])
        found = self._all("caseledger:Unit.Registered", Unit)
        self._units = (head, found)  # as of ``head`` or later: a newer head reloads them
        return list(found)

    def units_by_code(self) -> dict[str, Unit]:
        """``units()`` by code, for reading only."""
        return {u.code: u for u in self.units()}

    # -- users ------------------------------------------------------------------
    def check_new_user(self, username: str, role: str, password: str, unit: str | None = None) -> None:
        """Every refusal ``add_user`` would give, all at once, recording nothing: ValidationFailed (with the
        name already taken among the problems, if it is), or AlreadyExists when that is the only one."""
        problems, zh = {}, {}
        if not CODE.match(username or ""):
            problems["username"] = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            zh["username"] = f"用户名须为 1 至 64 位字母、数字或{_PUNCTUATION}，以字母或数字开头"
        if role not in VALID_ROLES:
            problems["role"], zh["role"] = f"one of {', '.join(sorted(VALID_ROLES))}", "请选择角色"
        elif role == Role.UNIT.value:
            found = self.unit(unit) if unit else None
            if found is None or not found.active:
                problems["unit"] = f"a unit user needs an existing, active unit; no unit {unit!r}"
                zh["unit"] = "承办单位用户须属于一个在用的单位，请选择单位"
        elif unit is not None:
            problems["unit"] = f"only unit users belong to a unit, not {role} users"
            zh["unit"] = f"只有承办单位用户属于某个单位，{ROLE[role]}用户不选单位"
        if len(password or "") < MIN_PASSWORD:
            problems["password"], zh["password"] = f"at least {MIN_PASSWORD} characters", PASSWORD_ZH
        taken = "username" not in problems and self.user(username) is not None
        if problems:
            if taken:
                problems["username"], zh["username"] = f"user {username} already exists", "该用户名已被使用"
            raise ValidationFailed(problems, zh=zh)
        if taken:
            raise AlreadyExists(f"user {username} already exists")

    def add_user(self, actor: Actor, username: str, role: str, password: str, unit: str | None = None) -> User:
        self.check_new_user(username, role, password, unit)
        user = User(
            username=username, role=role, unit=unit, password_hash=self.hasher.hash(password), actor=actor.as_record()
        )
        self._create(user, f"user {username} already exists")
        return user

    def disable_user(self, actor: Actor, username: str, reason: str | None = None) -> User:
        """Disables a user: its tokens end now, and it cannot sign in until enabled again. Nobody disables
        their own account (an administrator would lock themselves out), nor a user already disabled."""

        def disable(user: User) -> None:
            if user.username == actor.user:
                raise NotAllowedInState("you cannot disable your own account", "不能停用自己的账号")
            if not user.active:
                raise NotAllowedInState(f"user {username} is already disabled", "该用户已停用")
            user.disable(reason=reason, actor=actor.as_record())

        return self._change_user(username, disable)

    def enable_user(self, actor: Actor, username: str) -> User:
        def enable(user: User) -> None:
            if user.active:
                raise NotAllowedInState(f"user {username} is not disabled", "该用户未停用，无需启用")
            user.enable(actor=actor.as_record())

        return self._change_user(username, enable)

    def set_password(self, actor: Actor, username: str, password: str) -> User:
        if len(password or "") < MIN_PASSWORD:
            raise ValidationFailed({"password": f"at least {MIN_PASSWORD} characters"}, zh={"password": PASSWORD_ZH})
        digest = self.hasher.hash(password)
        return self._change_user(username, lambda u: u.change_password(password_hash=digest, actor=actor.as_record()))

    def set_email(self, actor: Actor, username: str, address: str | None) -> User:
        """Sets the address a user's reminders (预警) are mailed to; an empty one clears it."""
        address = (address or "").strip() or None
        return self._change_user(username, lambda u: u.set_email(address, actor=actor.as_record()))

    def addresses_of(self, unit: str) -> list[str]:
        """The e-mail addresses of a unit's active users, in the order they were registered."""
        return [u.address for u in self.users() if u.unit == unit and u.active and u.address]

    def user(self, username: str) -> User | None:
        return self._find(User.create_id(username), User)

    def users(self) -> list[User]:
        return self._all("caseledger:User.Registered", User)

    def last_sign_ins(self) -> dict[str, datetime]:
        """When each user last signed in (the login log's latest success), for those who ever did."""
        return self.logins.last_successes()

    # -- the record of who did what ---------------------------------------------------
    def recent_acts(self, kind: type[Unit] | type[User], limit: int = 20) -> list[DirectoryAct]:
        """The latest ``limit`` acts recorded on units or on users (``kind``), newest first, each with its actor.

        A user's own sign-outs (one token revoked each) are not among them, nor the logins stored before
        logins went to the login log. The log is read backwards in growing windows, so that a long run of
        sign-outs since the last act costs a few queries, not one per window of them.
        """
        prefix = "caseledger:Unit." if kind is Unit else "caseledger:User."
        topics = [prefix + name for name in ACTS[kind.__name__]]
        acts: list[DirectoryAct] = []
        stop, window = self.recorder.max_notification_id() or 0, 500
        while stop > 0 and len(acts) < limit:
            start = max(1, stop - window + 1)
            page = self.recorder.select_notifications(start=start, limit=window, stop=stop, topics=topics)
            for notification in reversed(page):
                if len(acts) == limit:
                    break
                acts.append(self._act(self.mapper.to_domain_event(notification)))
            stop, window = start - 1, window * 2
        return acts

    def _act(self, recorded: object) -> DirectoryAct:
        fields = vars(recorded)
        subject: Unit | User = self.repository.get(fields["originator_id"])
        return DirectoryAct(
            at=fields["timestamp"],
            subject=subject.code if isinstance(subject, Unit) else subject.username,
            type=type(recorded).__name__,
            actor=dict(fields.get("actor") or {}),
            data={k: fields[k] for k in ACT_DATA if fields.get(k) is not None},
        )

    # -- logins and tokens --------------------------------------------------------
    def authenticate(self, username: str, password: str, *, token_id: str, client: str | None = None) -> User:
        """Checks a password and logs the attempt, success or failure, in the login log.

        A name that does not exist is locked out, answered and timed as one that does: its
        failures are counted alike, and the password is checked against a decoy hash.
        """
        now = self.clock()
        until = locked_until(self.logins, username, now)
        if until is not None:  # refused unheard and unrecorded, so the lock runs from the last real failure
            raise LoginThrottled(
                f"too many failed logins; try again after {until.isoformat(timespec='seconds')}", until
            )
        user = self.user(username) if CODE.match(username or "") else None
        matches = self.hasher.verify(user.password_hash if user else self._decoy, password or "")
        succeeded = user is not None and user.active and matches
        self.logins.record(LoginAttempt(username, now, succeeded, client, token_id if succeeded else None))
        if not succeeded:
            raise AuthenticationFailed("unknown user name or wrong password")
        assert user is not None  # succeeded
        return user

    def revoke_token(self, username: str, token_id: str, expires_at: datetime, actor: Actor) -> User:
        return self._change_user(
            username, lambda u: u.revoke_token(token_id=token_id, expires_at=expires_at, actor=actor.as_record())
        )

    def revoke_all_tokens(self, actor: Actor, username: str) -> User:
        return self._change_user(username, lambda u: u.revoke_all_tokens(actor=actor.as_record()))

    # -- helpers ------------------------------------------------------------------
    def _change_user(self, username: str, change: Callable[[User], None]) -> User:
        user = self.user(username)
        if user is None:
            raise CaseNotFound(f"no user {username!r}")
        change(user)
        self.save(user)
        return user

    def _create(self, aggregate: Unit | User, message: str) -> None:
        try:
            self.save(aggregate)
        except IntegrityError:
            raise AlreadyExists(message) from None

    def _find(self, aggregate_id: UUID, kind: type[_A]) -> _A | None:
        """The unit or user of that id (``kind`` says which it is), or None."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _all(self, topic: str, kind: type[_A]) -> list[_A]:
        """Every unit or user (``kind``, of the ``topic`` that registers it), in the order registered."""
        found: list[_A] = []
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(start=start, limit=500, topics=[topic], inclusive_of_start=False)
            # The recorders type ids as UUID or str (an application chooses); this one's are UUIDs.
            found += [self.repository.get(cast(UUID, n.originator_id)) for n in page]
            if len(page) < 500:
                return found
            start = page[-1].id
