"""Who acts: every recorded event carries the acting user, role and unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from domain.idempotency import Request


class Role(str, Enum):
    """Roles (docs/http-api.md *Roles*)."""

    PLATFORM = "platform"  # 热线平台 / 营商办
    UNIT = "unit"  # 承办单位
    SUPERVISOR = "supervisor"  # 督办
    INSPECTOR = "inspector"  # 纪委监委
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    user: str
    role: Role
    unit: str | None = None
    # Set while an ``Idempotency-Key`` request runs; its id goes into every event the request causes.
    request: Request | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.user:
            raise ValueError("an actor needs a user name")
        if self.role is Role.UNIT and not self.unit:
            raise ValueError("a unit actor needs a unit code")

    def as_record(self) -> dict[str, str | None]:
        """The form stored in events: plain strings only."""
        record = {"user": self.user, "role": self.role.value, "unit": self.unit}
        if self.request is not None:
            record["request"] = self.request.id
        return record

    @property
    def may_backfill(self) -> bool:
        """Only the platform and admins may state an earlier ``occurred_at`` (docs/http-api.md *Roles*)."""
        return self.role in (Role.PLATFORM, Role.ADMIN)
