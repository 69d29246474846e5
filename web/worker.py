"""The gunicorn worker behind ``caseledger serve``: gunicorn's threaded worker, with two changes.

- **Idle connections wait in the poller, not in a thread.** gunicorn's
  ``gthread`` hands each accepted connection to a thread, which waits up to
  five seconds for its first byte before passing it back to the poller: fifty
  clients that connect and say nothing hold every thread for those seconds,
  and ``/healthz`` waits behind them. Here an accepted connection goes
  straight to the poller (gunicorn's own "pending" list, closed after the
  keep-alive timeout if nothing arrives), and a thread takes it only once it
  is readable. A client that then stalls mid-request is dropped after the
  worker ``timeout`` (a socket timeout), so it holds a thread for no longer.
- **gunicorn's own refusals in the API's error shape.** A request line over
  ``limit_request_line``, headers over ``limit_request_field_size`` or
  ``limit_request_fields``, or a malformed request never reach Flask;
  gunicorn answers them with an HTML page. ``handle_error`` answers them as
  ``{"error": {"code", "message"}}`` instead (codes from ``web.errors``),
  with the same statuses (414, 431, 400, …); the limits stay gunicorn's.
"""

from __future__ import annotations

import errno
import json
import selectors
import time
from functools import partial

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


def refusal(exc: Exception) -> tuple[int, str, bytes]:
    """(status, reason, JSON body) for an error gunicorn raised while reading a request."""
    status, reason = 500, "Internal Server Error"
    for classes, code, text in REFUSALS:
        if isinstance(exc, classes):
            status, reason = code, text
            break
    message = MESSAGES.get(status) or (str(exc)[:200] if status != 500 else "the server failed to read the request")
    body = json.dumps(error_document(HTTP_CODES[status], message), ensure_ascii=False).encode()
    return status, reason, body


class _Connection(TConn):
    def init(self) -> None:
        super().init()  # gunicorn makes the socket blocking, without a timeout, before each request
        self.sock.settimeout(self.cfg.timeout)


class CaseledgerWorker(ThreadWorker):
    def accept(self, listener) -> None:
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = _Connection(self.cfg, sock, client, listener.getsockname())  # non-blocking, for the poller
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def handle_error(self, req, client, addr, exc) -> None:
        status, reason, body = refusal(exc)
        if status == 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        try:
            util.write_nonblock(client, head + body)
        except Exception:
            self.log.debug("Failed to send error message.")
