"""Argon2id password hashing (argon2-cffi), the OWASP-recommended slow, salted hash."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from domain.directory.records import PasswordHasher


class Argon2Hasher(PasswordHasher):
    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536) -> None:
        self._argon2 = Argon2(time_cost=time_cost, memory_cost=memory_cost)

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
