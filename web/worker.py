"""The gunicorn worker behind ``caseledger serve``: gunicorn's threaded worker, changed in four ways.

- **A request is read whole before a thread takes it.** gunicorn's ``gthread`` hands a connection to a
  thread as soon as its first byte arrives, and the thread then reads the rest with blocking calls: a
  client that sends half a request (headers unfinished, or a body shorter than its Content-Length)
  holds that thread until the worker timeout, and a handful of such clients hold every thread while
  ``/healthz`` waits. Here the worker's event loop reads each connection without blocking, feeding
  what arrives to an HTTP/1.1 parser (``httptools``, llhttp), until one whole request is in, and only
  then gives the connection, with the bytes read, to a thread: gunicorn's own parser reads the request
  from those bytes and never waits on the client. What a connection may take (``RequestLimits``):
  ``keepalive`` seconds to send its first byte (then it is closed without a word, as gunicorn closes
  idle connections), ``header_timeout`` seconds from its first byte to the end of its headers,
  ``body_timeout`` seconds from there to the end of its body (both a 408, then the connection is
  closed), and a body of at most ``max_body`` bytes (a 413 at once, declared or chunked, without
  reading it). A request the fast parser cannot read goes to gunicorn's as it came, which refuses it
  (400, 414, 431) as before.
- **Idle connections wait in the poller, not in a thread**: the same mechanism, for the time before a
  request's first byte and between the requests of a kept-alive connection.
- **gunicorn's own refusals in the API's error shape.** A request line over ``limit_request_line``,
  headers over ``limit_request_field_size`` or ``limit_request_fields``, or a malformed request never
  reach Flask; gunicorn answers them with an HTML page. ``handle_error`` answers them as
  ``{"error": {"code", "message"}}`` instead (codes from ``web.errors``), with the same statuses (414,
  431, 400, …); the limits stay gunicorn's.
- **A worker whose master is gone ends within seconds.** gunicorn notices a new parent within a second,
  then drains its connections for the whole ``graceful_timeout`` with its listening socket still open,
  so a killed master's workers kept the port answering. Here an orphaned worker closes its listening
  sockets at once and gives its requests in flight ``ORPHAN_GRACE`` seconds.
"""

from __future__ import annotations

import errno
import json
import os
import selectors
import socket
import time
from dataclasses import dataclass
from functools import partial

import httptools
from gunicorn import util
from gunicorn.http import errors as http
from gunicorn.workers.gthread import TConn, ThreadWorker

from web.errors import HTTP_CODES, error_document

# gunicorn's request errors, by the status its own handle_error gives them; anything else is a 500.
REFUSALS: list[tuple[tuple[type[Exception], ...], int, str]] = [
    ((http.LimitRequestLine,), 414, "URI Too Long"),
    ((http.LimitRequestHeaders,), 431, "Request Header Fields Too Large"),
    ((http.UnsupportedTransferCoding,), 501, "Not Implemented"),
    ((http.ExpectationFailed,), 417, "Expectation Failed"),
    ((http.ForbiddenProxyRequest,), 403, "Forbidden"),
    ((http.ParseException,), 400, "Bad Request"),
]
MESSAGES = {
    414: "the request line is longer than the server accepts",
    431: "the request headers are larger than the server accepts",
}
REASONS = {408: "Request Timeout", 413: "Content Too Large"}
ORPHAN_GRACE = 3  # seconds an orphaned worker gives the requests it is serving
STOP_LINGER = 2.0  # seconds a stopping worker still waits for a request being sent
CLOSE_LINGER = 2.0  # seconds a refused connection is drained before it is closed (RFC 9112 §9.6)
RECV_SIZE = 65536


@dataclass(frozen=True)
class RequestLimits:
    """How long a client may take to send a request, and how large its body may be (docs/configuration.md, *Server limits*)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_body: int = 1024 * 1024


def refusal(exc: Exception) -> tuple[int, str, str]:
    """(status, reason, message) for an error gunicorn raised while reading a request."""
    status, reason = 500, "Internal Server Error"
    for classes, code, text in REFUSALS:
        if isinstance(exc, classes):
            status, reason = code, text
            break
    message = MESSAGES.get(status) or (str(exc)[:200] if status != 500 else "the server failed to read the request")
    return status, reason, message


def error_answer(status: int, message: str, reason: str | None = None) -> bytes:
    """A whole HTTP/1.1 response in the API's error shape, closing the connection."""
    body = json.dumps(error_document(HTTP_CODES[status], message), ensure_ascii=False).encode()
    return (
        f"HTTP/1.1 {status} {reason or REASONS[status]}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1") + body


class RequestReader:
    """Told the bytes of one connection as they arrive, says when one whole request is in.

    It decides nothing about the request: gunicorn's parser reads it afterwards from the same bytes.
    ``feed`` answers ``"more"`` (wait for more bytes), ``"ready"`` (a whole request is in, or the bytes
    are nothing llhttp can read: gunicorn's parser refuses them in its own words), or ``"too_large"``
    (the body is, or is declared, longer than ``max_body``).
    """

    __slots__ = (
        "max_body",
        "max_head",
        "parser",
        "head_bytes",
        "headers_done",
        "complete",
        "body_bytes",
        "declared",
        "expects_continue",
        "malformed",
    )

    def __init__(self, max_body: int, max_head: int) -> None:
        self.max_body, self.max_head = max_body, max_head
        self.parser = httptools.HttpRequestParser(self)
        self.head_bytes = 0
        self.headers_done = self.complete = self.expects_continue = self.malformed = False
        self.body_bytes = 0
        self.declared: int | None = None

    # llhttp's callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length" and value.strip().isdigit():
            self.declared = int(value)
        elif name == b"expect" and value.strip().lower() == b"100-continue":
            self.expects_continue = True

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def feed(self, data: bytes) -> str:
        if not self.headers_done:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # Upgrade or CONNECT: gunicorn decides
            return "ready"
        except httptools.HttpParserError:
            self.malformed = True
            return "ready"
        if self.complete:  # (pipelined requests behind it are read again after it is answered)
            return "ready"
        if (self.declared or 0) > self.max_body or self.body_bytes > self.max_body:
            return "too_large"
        if not self.headers_done and self.head_bytes > self.max_head:  # over gunicorn's limits: its 414 or 431
            return "ready"
        return "more"


class _Connection(TConn):
    """A client connection; while its request is being read, the bytes so far and when it must be in."""

    def __init__(self, cfg, sock, client, server) -> None:
        super().__init__(cfg, sock, client, server)
        self.inbox = bytearray()
        self.reader: RequestReader | None = None
        self.deadline = 0.0
        self.ready = False  # a whole request is in ``inbox``, to be handed to a thread
        self.continued = False

    def init(self) -> None:
        super().init()  # gunicorn makes the socket blocking, without a timeout, before each request
        self.sock.settimeout(self.cfg.timeout)
        self.give_inbox()

    def give_inbox(self) -> None:
        """The request read in the poller, to gunicorn's parser, which then reads it from memory."""
        if self.inbox and self.parser is not None:
            self.parser.unreader.unread(bytes(self.inbox))
            self.inbox = bytearray()


class CaseledgerWorker(ThreadWorker):
    limits = RequestLimits()  # set by ``caseledger serve`` before the workers are forked

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reading: set[_Connection] = set()  # connections whose request is being read in the poller
        self.closing: dict[socket.socket, float] = {}  # refused connections being drained, by deadline
        self.orphaned = False
        self.stop_deadline: float | None = None
        cfg = self.cfg
        line, fields, size = cfg.limit_request_line, cfg.limit_request_fields, cfg.limit_request_field_size
        self.max_head = (line + 2 + fields * (size + 2) + 2) if line and fields and size else 1024 * 1024

    # -- a new or kept-alive connection: its request is read in the poller --------------------------------------
    def accept(self, listener) -> None:
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = _Connection(self.cfg, sock, client, listener.getsockname())  # non-blocking
        self._read_request(conn, registered=False)

    def enqueue_req(self, conn) -> None:
        """gunicorn's entry to a thread: taken only with a whole request in hand. A kept-alive connection
        that became readable, or one with the start of its next request already read, is read here first."""
        if conn.ready:
            conn.ready = False
            super().enqueue_req(conn)
        else:
            self._read_request(conn, registered=False)

    def _read_request(self, conn: _Connection, registered: bool) -> None:
        conn.sock.setblocking(False)
        conn.inbox = bytearray(conn.parser.unreader.take_buffered() if conn.parser is not None else b"")
        conn.reader, conn.continued = None, False
        conn.deadline = time.monotonic() + self.cfg.keepalive
        self.reading.add(conn)
        callback = partial(self._on_readable, conn)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        if conn.inbox:
            self._advance(conn, bytes(conn.inbox), appended=True)

    def on_client_socket_readable(self, conn, client) -> None:
        self.keepalived_conns.remove(conn)
        self._read_request(conn, registered=True)
        self._on_readable(conn, client)

    def _on_readable(self, conn: _Connection, client) -> None:
        if conn not in self.reading:
            return
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:  # the client closed, or gave up mid-request
            self._drop(conn)
            return
        self._advance(conn, data)

    def _advance(self, conn: _Connection, data: bytes, appended: bool = False) -> None:
        if conn.reader is None:
            conn.reader = RequestReader(self.limits.max_body, self.max_head)
            conn.deadline = time.monotonic() + self.limits.header_timeout
        if not appended:
            conn.inbox += data
        headers_were_done = conn.reader.headers_done
        verdict = conn.reader.feed(data)
        if verdict == "ready":
            self._hand_over(conn)
        elif verdict == "too_large":
            self._refuse(conn, 413, "the request body is larger than the configured limit")
        else:
            if conn.reader.headers_done and not headers_were_done:
                conn.deadline = time.monotonic() + self.limits.body_timeout
            if conn.reader.headers_done and conn.reader.expects_continue and not conn.continued:
                conn.continued = True  # the client waits for this before it sends its body
                try:
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                except OSError:
                    self._drop(conn)

    def _hand_over(self, conn: _Connection) -> None:
        self.reading.discard(conn)
        self.poller.unregister(conn.sock)
        conn.ready = True
        self.enqueue_req(conn)

    def handle(self, conn):
        """In a thread, with a whole request read: gunicorn's parser reads it from memory (a new connection's
        parser is made, and given the bytes, in ``_Connection.init``)."""
        conn.data_ready = True
        conn.give_inbox()
        return super().handle(conn)

    # -- connections that took too long, or were refused ---------------------------------------------------------
    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self.stop_deadline is None:  # stopping: a request being sent has a moment more
            self.stop_deadline = now + STOP_LINGER
        last = self.stop_deadline if self.stop_deadline is not None else float("inf")
        for conn in [c for c in self.reading if min(c.deadline, last) <= now or (not self.alive and c.reader is None)]:
            if conn.reader is None:  # not a byte of a request: closed as an idle connection
                self._drop(conn)
            elif not conn.reader.headers_done:
                self._refuse(conn, 408, f"the request headers did not arrive within {self.limits.header_timeout:g} s")
            else:
                self._refuse(conn, 408, f"the request body did not arrive within {self.limits.body_timeout:g} s")
        for sock in [s for s, deadline in self.closing.items() if deadline <= now]:
            self._close_now(sock)

    def _drop(self, conn: _Connection) -> None:
        self.reading.discard(conn)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        conn.close()

    def _refuse(self, conn: _Connection, status: int, message: str) -> None:
        """Answers ``status`` and closes the connection as RFC 9112 §9.6 asks: write side first, then what
        the client still sends is read and dropped (for ``CLOSE_LINGER`` s at most), so the answer is not
        lost to a reset."""
        self.reading.discard(conn)
        self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        self.log.warning("Refused request from ip=%s: %s %s", (conn.client or ("",))[0], status, message)
        try:
            conn.sock.send(error_answer(status, message))
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            util.close(conn.sock)
            return
        self.closing[conn.sock] = time.monotonic() + CLOSE_LINGER
        self.poller.register(conn.sock, selectors.EVENT_READ, self._drain)

    def _drain(self, sock) -> None:
        try:
            if sock.recv(RECV_SIZE):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close_now(sock)

    def _close_now(self, sock) -> None:
        self.closing.pop(sock, None)
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        util.close(sock)

    # -- a worker whose master died ------------------------------------------------------------------------------
    def is_parent_alive(self) -> bool:
        if self.ppid != os.getppid():
            self.log.warning("Master gone (parent is now %s): stopping within %s s", os.getppid(), ORPHAN_GRACE)
            self.orphaned = True
            self.cfg.set("graceful_timeout", ORPHAN_GRACE)
            return False
        return True

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and self.orphaned:  # no new connection is queued for a worker about to end
            for listener in self.sockets:
                listener.close()

    def handle_error(self, req, client, addr, exc) -> None:
        status, reason, message = refusal(exc)
        if status == 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, error_answer(status, message, reason))
        except Exception:
            self.log.debug("Failed to send error message.")
