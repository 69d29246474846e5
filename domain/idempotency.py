"""Port: remembered responses for ``Idempotency-Key`` (docs/http-api.md), and the request they guard.

A key is claimed before the command runs and completed with the response
after it; a retry with the same key gets the stored response and runs
nothing. Keys are scoped per user, and a key reused for a different request
is refused rather than silently answered with another request's response.

A claim is a lease: should the request die between claiming and completing
(a killed worker, a lost connection), a retry after the lease takes the key
over instead of being refused for ever. Whether the dead request had
recorded its events by then is read from the events themselves: every event
an idempotent request causes carries its ``Request.id`` in its actor, and
the services answer a retry whose id is already recorded with what is
recorded, recording nothing (domain.appeals.service, domain.accountability.record).
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


@dataclass(frozen=True)
class Claim:
    """The key is ours: run the command. ``holder`` names this claim, so that a request whose lease
    was taken over cannot complete or release the key under its successor."""

    holder: str


@dataclass(eq=False)
class Request:
    """An idempotent request as the services see it, carried by its actor (``Actor.request``).

    ``id`` is recorded in every event the request causes. A service that finds it already recorded
    (a retry of a request that died before it answered) records nothing, answers with the case as
    recorded and sets ``answered_from_record``, so that the response can say it is a replay. Mutable
    for that one answer; the id never changes.
    """

    id: str
    answered_from_record: bool = False


class KeyInProgress(DomainError):
    code = "idempotency_key_in_progress"


class KeyReused(DomainError):
    code = "idempotency_key_reused"


class IdempotencyStore(abc.ABC):
    @abc.abstractmethod
    def claim(self, scope: str, key: str, fingerprint: str) -> Claim | StoredResponse:
        """A claim: the key is now ours, run the command. A response: replay it.

        Raises ``KeyInProgress`` while another request holds the key within its lease, and
        ``KeyReused`` when the key came with a different request. A claim whose lease has expired
        is taken over (atomically: of several retries, one gets it).
        """

    @abc.abstractmethod
    def complete(self, scope: str, key: str, claim: Claim, response: StoredResponse) -> None: ...

    @abc.abstractmethod
    def release(self, scope: str, key: str, claim: Claim) -> None:
        """The command did not run to a response; the key may be used again."""
