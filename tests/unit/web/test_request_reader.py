"""``web.worker.RequestReader``: when the bytes of a connection hold one whole request (no sockets here; the real
server's behaviour is in tests/e2e/test_probes.py and test_resilience.py)."""

from __future__ import annotations

import pytest

from web.worker import RequestReader

LIMIT = 1000
HEAD = 8192


def feed_in_pieces(data: bytes, size: int, reader: RequestReader | None = None) -> list[str]:
    reader = reader or RequestReader(LIMIT, HEAD)
    return [reader.feed(data[i : i + size]) for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 3, 64, 10_000])
def test_a_request_is_ready_only_with_its_last_byte_however_it_is_cut(size):
    request = (
        b"POST /api/appeals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 17\r\n\r\n{"subject": "x"}\n'
    )
    verdicts = feed_in_pieces(request, size)
    assert verdicts[-1] == "ready" and set(verdicts[:-1]) <= {"more"}


def test_headers_without_their_blank_line_are_not_a_request():
    assert feed_in_pieces(b"GET /healthz HTTP/1.1\r\nHost: x\r\n", 5)[-1] == "more"


def test_a_body_shorter_than_its_content_length_waits_for_the_rest():
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345") == "more"
    assert reader.headers_done and not reader.complete
    assert reader.feed(b"67890") == "ready"


def test_a_chunked_body_is_ready_with_its_last_chunk_and_trailers():
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n") == "more"
    assert reader.feed(b"0\r\n") == "more"
    assert reader.feed(b"\r\n") == "ready"


def test_a_body_declared_over_the_limit_is_refused_with_the_headers():
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n") == "too_large"


def test_a_chunked_body_growing_over_the_limit_is_refused():
    reader = RequestReader(LIMIT, HEAD)
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert reader.feed(head + b"200\r\n" + b"a" * 512 + b"\r\n") == "more"
    assert reader.feed(b"200\r\n" + b"a" * 512 + b"\r\n") == "too_large"


def test_a_whole_request_within_the_limit_is_ready_even_with_more_pipelined_behind_it():
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /heal") == "ready"


def test_the_expectation_of_100_continue_is_noticed():
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n") == "more"
    assert reader.expects_continue and reader.headers_done


@pytest.mark.parametrize(
    "data",
    [
        b"NONSENSE\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ],
    ids=["no-request-line", "bad-version", "two-lengths"],
)
def test_bytes_llhttp_cannot_read_go_to_gunicorn_to_be_refused(data):
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(data) == "ready" and reader.malformed


def test_headers_longer_than_gunicorn_accepts_go_to_gunicorn_to_be_refused():
    reader = RequestReader(LIMIT, HEAD)
    assert reader.feed(b"GET / HTTP/1.1\r\nX-Big: " + b"b" * HEAD) == "ready" and not reader.headers_done
