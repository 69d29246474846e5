"""The profile catalogue: profiles of every case kind, read by one parser, and the port they come from.

Appeal profiles (``domain.profiles``) and approval profiles (``domain.approvals.profiles``, which builds on
the former) meet only here, so neither module imports the other's dependants.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from domain.approvals.profiles import ApprovalProfile, parse_approval_profile
from domain.profiles import MATTER_KINDS, PolicyProfile, parse_appeal_profile


def parse_profile(data: Mapping[str, Any], origin: str) -> PolicyProfile | ApprovalProfile:
    """Validates one profile's data, of the kind it says; every problem is reported at once."""
    if data.get("kind") in MATTER_KINDS:
        return parse_approval_profile(data, origin)
    return parse_appeal_profile(data, origin)


class ProfileCatalogue(abc.ABC):
    """Port: where the current version of each profile comes from."""

    @abc.abstractmethod
    def get(self, profile_id: str, kind: str | None = "appeal") -> PolicyProfile | ApprovalProfile:
        """The profile's current version; ``KeyError`` when there is none of ``kind`` (``None``: any kind)."""

    @abc.abstractmethod
    def ids(self, kind: str | None = "appeal") -> list[str]:
        """The profile ids on offer for one case kind (appeals unless asked); ``None``: every kind."""
