"""Domain errors: each names one reason a command is refused.

A refused command records nothing; the web layer maps each class to one
HTTP status (docs/http-api.md *Errors*).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime


class DomainError(Exception):
    """Base class of every refusal the domain can give."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CaseNotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    """One or more fields of a command are invalid; ``fields`` says which."""

    code = "validation_failed"

    def __init__(
        self, fields: Mapping[str, str], message: str | None = None, zh: Mapping[str, str] | None = None
    ) -> None:
        self.fields = dict(fields)
        self.zh = dict(zh or {})  # the same messages in the clerk's words, by field, where given
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in self.fields.items()))


class LimitReached(ValidationFailed):
    """A value refused whatever it is, because the case has used up what the profile allows (an
    extension past the cap): still a refusal of that field (422, as the API promises), and a sign
    that the action is closed on this case until something changes."""


class NotAllowedInState(DomainError):
    """The command is not allowed in the case's current state, or by its profile.

    ``zh`` is the same reason in the clerk's words (the web workspace shows it); a refusal by status
    alone names the ``status`` and the ``allowed`` ones too.
    """

    code = "not_allowed_in_state"

    def __init__(
        self, message: str, zh: str | None = None, *, status: str | None = None, allowed: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.zh, self.status, self.allowed = zh, status, allowed


class VersionConflict(DomainError):
    """The caller's ``expected_version`` is not the case's version."""

    code = "version_conflict"


class NotPermitted(DomainError):
    """The actor's role or unit may not run this command on this case."""

    code = "forbidden"


class ProfileError(ValueError):
    """A policy profile file is malformed; the message names file and key."""


class AlreadyExists(DomainError):
    """A unit code or user name that is already taken."""

    code = "already_exists"


class AuthenticationFailed(DomainError):
    code = "unauthorized"


class LoginThrottled(DomainError):
    """Too many failed logins: refused until ``until`` without checking the password."""

    code = "too_many_attempts"

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class OneTimeNoticeUsed(NotAllowedInState):
    """一次性告知: the missing materials were already told once; a second request is a violation
    (001 (四), 002 item 25; 行政许可法 art. 32)."""

    code = "one_time_notice_used"
