"""A real SMTP server for the tests (aiosmtpd), on a free port of 127.0.0.1, keeping what it receives.

Not a test module. ``MailServer`` starts and stops like the relay it stands for: ``stop()`` takes it
away (connections are refused), ``start()`` brings it back on the same port. ``delay`` holds each
mail that long before accepting it, so that a sender can be killed while mails are on their way.
It may also run as a process of its own (``python -m tests.mail PORT FILE``), appending each mail's
``Message-ID`` and recipients to FILE, one JSON line per mail, once accepted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.e2e.server import free_port


class _Keep:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.server.lock:
            self.server.received.append(message)
            if self.server.log:
                with open(self.server.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"id": message["Message-ID"], "to": envelope.rcpt_tos}) + "\n")
        return "250 OK"


class MailServer:
    def __init__(self, port: int | None = None, delay: float = 0.0, log: str | None = None) -> None:
        self.port = port or free_port()
        self.delay, self.log = delay, log
        self.received: list[EmailMessage] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailServer:
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.received]

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    server = MailServer(int(sys.argv[1]), delay=float(sys.argv[3]) if len(sys.argv) > 3 else 0.0, log=sys.argv[2])
    server.start()
    threading.Event().wait()
