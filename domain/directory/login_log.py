"""Port: the login log, and the lockout rule read from it.

Every sign-in attempt — success or failure, for an existing user name or
not — is one row of the log (adapters.auth.login_log), kept beside the event
store rather than in the user's event stream: a user's record then stays as
small as its grants and revocations, however often it signs in, and logins
of one user never conflict with each other on the record's version.

Lockout: ``MAX_FAILED_LOGINS`` failures of one user name within
``FAILED_LOGIN_WINDOW``, with no successful login after them, refuse that
name until the window has passed since the latest failure. Unknown names are
counted and locked alike, so the answers never tell which accounts exist.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    at: datetime
    succeeded: bool
    client: str | None = None
    token_id: str | None = None  # the token issued, for a success


class LoginLog(abc.ABC):
    @abc.abstractmethod
    def record(self, attempt: LoginAttempt) -> None: ...

    @abc.abstractmethod
    def latest(self, username: str, since: datetime, limit: int) -> list[LoginAttempt]:
        """The name's last ``limit`` attempts after ``since``, newest first."""

    @abc.abstractmethod
    def last_successes(self) -> dict[str, datetime]:
        """The time of each name's latest successful login, for every name that ever had one."""


def locked_until(log: LoginLog, username: str, now: datetime) -> datetime | None:
    """When the name may try again, or None when it is not locked."""
    recent = log.latest(username, now - FAILED_LOGIN_WINDOW, MAX_FAILED_LOGINS)
    if len(recent) == MAX_FAILED_LOGINS and not any(a.succeeded for a in recent):
        return recent[0].at + FAILED_LOGIN_WINDOW
    return None
