"""Port: remembered responses for ``Idempotency-Key`` (API.md *Commands*).

A key is claimed before the command runs and completed with the response
after it; a retry with the same key gets the stored response and runs
nothing. Keys are scoped per user, and a key reused for a different request
is refused rather than silently answered with another request's response.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from domain.errors import DomainError


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    content_type: str


class KeyInProgress(DomainError):
    code = "idempotency_key_in_progress"


class KeyReused(DomainError):
    code = "idempotency_key_reused"


class IdempotencyStore(abc.ABC):
    @abc.abstractmethod
    def claim(self, scope: str, key: str, fingerprint: str) -> StoredResponse | None:
        """None: the key is now ours, run the command. A response: replay it.

        Raises ``KeyInProgress`` while another request holds the key, and
        ``KeyReused`` when the key came with a different request.
        """

    @abc.abstractmethod
    def complete(self, scope: str, key: str, response: StoredResponse) -> None: ...

    @abc.abstractmethod
    def release(self, scope: str, key: str) -> None:
        """The command did not run to a response; the key may be used again."""
