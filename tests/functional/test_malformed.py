"""Requests that must be refused: ambiguous framing, broken syntax, limits, slow clients.

Each malformed request gets a 400 and the connection is closed afterwards (no request smuggling
through a connection whose framing is in doubt); the server keeps serving others.
"""

import random
import socket
import time

import pytest

REQ = b"POST /api/v1/content HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
GET = b"GET /healthz HTTP/1.1\r\nHost: t\r\n"

MALFORMED = {
    "content-length-and-transfer-encoding":
        REQ + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "transfer-encoding-and-content-length":
        REQ + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    "two-different-content-lengths":
        REQ + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n{\"a\":1",
    "content-length-list-differing":
        REQ + b"Content-Length: 5, 6\r\n\r\n{\"a\":1",
    "content-length-abc": REQ + b"Content-Length: abc\r\n\r\n{}",
    "content-length-minus-1": REQ + b"Content-Length: -1\r\n\r\n{}",
    "content-length-plus-5": REQ + b"Content-Length: +5\r\n\r\n{\"a\":",
    "transfer-encoding-gzip": REQ + b"Transfer-Encoding: gzip\r\n\r\n",
    "transfer-encoding-chunked-then-gzip": REQ + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "bad-chunk-size": REQ + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "obsolete-line-folding": GET + b"X-Folded: first\r\n  continued\r\n\r\n",
    "space-before-colon": GET + b"X-Spaced : value\r\n\r\n",
    "non-token-header-name": GET + b"X-Bad(Name): value\r\n\r\n",
    "garbage-request-line": b"this is not http at all\r\n\r\n",
    "request-line-without-version": b"GET /healthz\r\nHost: t\r\n\r\n",
    # Text that reaches aliases and queries must decode to UTF-8.
    "path-raw-invalid-utf8": b"GET /we\xcbcome HTTP/1.1\r\nHost: t\r\n\r\n",
    "path-escaped-invalid-utf8": b"GET /we%CBcome HTTP/1.1\r\nHost: t\r\n\r\n",
    "path-escaped-overlong-slash": b"GET /a%C0%AFb HTTP/1.1\r\nHost: t\r\n\r\n",
    "query-escaped-invalid-utf8": b"GET /?page=%FF HTTP/1.1\r\nHost: t\r\n\r\n",
    "api-query-invalid-utf8": b"GET /api/v1/content?status=%ED%A0%80 HTTP/1.1\r\nHost: t\r\n\r\n",
    "query-escaped-nul": b"GET /api/v1/content?status=a%00b HTTP/1.1\r\nHost: t\r\n\r\n",
}


def _send(conn, data: bytes):
    try:
        conn.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before reading everything


def _assert_still_serving(server):
    r = server.get("/healthz")
    assert r.status == 200, r


@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED.keys()))
def test_malformed_request_400_and_close(server, raw):
    with server.raw() as c:
        _send(c, raw)
        resp = c.read_response()
        assert resp.status == 400, resp
        assert c.wait_closed(5), "connection left open after a 400 for a malformed request"
        assert c.buf == b"", f"more data after the 400: {c.buf[:200]!r}"
    _assert_still_serving(server)


def test_malformed_request_on_a_kept_alive_connection(server):
    # A good request first, then a smuggling attempt on the same connection.
    with server.raw() as c:
        c.send(GET + b"\r\n")
        assert c.read_response().status == 200
        _send(c, MALFORMED["content-length-and-transfer-encoding"])
        assert c.read_response().status == 400
        assert c.wait_closed(5)
    _assert_still_serving(server)


def test_huge_header_431(server):
    with server.raw() as c:
        _send(c, GET + b"X-Big: " + b"a" * 65536 + b"\r\n\r\n")
        resp = c.read_response()
    assert resp.status == 431, resp
    _assert_still_serving(server)


def test_too_many_headers_431(server):
    many = b"".join(b"X-Header-%d: v\r\n" % i for i in range(200))
    with server.raw() as c:
        _send(c, GET + many + b"\r\n")
        resp = c.read_response()
    assert resp.status == 431, resp
    _assert_still_serving(server)


def test_body_too_large_413_without_reading_it(server):
    head = (REQ + b"Authorization: Bearer " + server.token.encode() + b"\r\n"
            + b"Content-Length: %d\r\n\r\n" % (8 * 1024 * 1024 + 1))
    with server.raw(timeout=5) as c:
        c.send(head)  # and no body: the answer must not wait for it
        resp = c.read_response()
    assert resp.status == 413, resp
    _assert_still_serving(server)


def test_chunked_body_too_large_413(server):
    chunk = b"a" * 65536
    with server.raw(timeout=10) as c:
        _send(c, REQ + b"Authorization: Bearer " + server.token.encode() + b"\r\n"
              + b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(8 * 16 + 2):  # 8 MiB + 128 KiB
                c.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            c.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # refused mid-body: the answer is already on its way
        resp = c.read_response()
    assert resp.status == 413, resp
    _assert_still_serving(server)


# --- slow and idle clients ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def impatient(make_server):
    return make_server(config={"server": {"request_timeout_ms": 500, "idle_timeout_ms": 500}})


def _closed_with_at_most_408(c, within):
    closed = c.wait_closed(within)
    if c.buf:
        assert c.buf.startswith(b"HTTP/1.1 408"), c.buf[:200]
    return closed


SLOW = {
    "partial-headers": GET,
    "partial-request-line": b"GET /healthz HT",
    "partial-body": REQ + b"Content-Length: 100\r\n\r\n{\"title\":",
    "nothing-sent": b"",
}


@pytest.mark.parametrize("partial", list(SLOW.values()), ids=list(SLOW.keys()))
def test_slow_client_is_closed(impatient, partial):
    with impatient.raw() as c:
        if partial:
            c.send(partial)
        started = time.monotonic()
        # Others are served while this one dawdles.
        _assert_still_serving(impatient)
        assert _closed_with_at_most_408(c, 5), "slow client still connected after 5 s"
        assert time.monotonic() - started < 5
    _assert_still_serving(impatient)


def test_idle_keep_alive_connection_is_closed(impatient):
    with impatient.raw() as c:
        c.send(GET + b"\r\n")
        assert c.read_response().status == 200
        assert c.wait_closed(5), "idle keep-alive connection not closed"


def test_trickling_client_is_closed(impatient):
    # Slowloris: a byte every 100 ms keeps a per-read timer alive; the whole-request timer must not.
    data = GET + b"".join(b"X-Trickle-%d: v\r\n" % i for i in range(100))
    with impatient.raw(timeout=0.1) as c:
        deadline = time.monotonic() + 5
        closed = False
        for b in data:
            if time.monotonic() > deadline:
                break
            try:
                c.sock.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            try:
                chunk = c.sock.recv(4096)
                if not chunk:
                    closed = True
                    break
                c.buf += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
        assert closed, "a trickling client kept its connection for 5 s with request_timeout_ms=500"
    _assert_still_serving(impatient)


# --- connection limit --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded(make_server):
    return make_server(config={"server": {"max_connections": 4}})


def _hold_one(server, deadline):
    """A kept-alive connection that was served. The server may still be closing the sockets
    of earlier clients (the readiness probe): a 503 right away is retried for a moment."""
    while True:
        c = server.raw()
        c.send(GET + b"\r\n")
        status = c.read_response().status
        if status == 200:
            return c
        c.close()
        assert status == 503 and time.monotonic() < deadline, f"got {status} below the limit"
        time.sleep(0.05)


def test_connection_limit(crowded):
    held = []
    try:
        deadline = time.monotonic() + 3
        for _ in range(4):
            held.append(_hold_one(crowded, deadline))
        # One more than allowed: refused (a 503, or closed unanswered), never served.
        with crowded.raw() as extra:
            try:
                extra.send(GET + b"\r\n")
                resp = extra.read_response()
                assert resp.status == 503, resp
            except (ConnectionError, socket.timeout) as e:
                assert not isinstance(e, socket.timeout), "the extra connection hangs"
        # A slot frees up: service resumes.
        held.pop().close()
        deadline = time.monotonic() + 3
        while True:
            try:
                if crowded.get("/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no service after a connection slot was freed"
            time.sleep(0.05)
    finally:
        for c in held:
            c.close()


SEEDS = [
    GET + b"Accept-Encoding: gzip\r\n\r\n",
    b"GET /welcome?page=2 HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"x\"\r\n\r\n",
    REQ + b"Authorization: Bearer cal_nope\r\nContent-Length: 16\r\n\r\n{\"title\":\"abc\"}\n",
    REQ + b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n",
]


def _mutate(rng, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        i = rng.randrange(len(b) + 1)
        if op == 0 and b:  # flip a byte
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op == 1:  # insert bytes, often framing characters
            b[i:i] = bytes(rng.choice(b"\r\n:; \t\x00\xff,\"0123456789abcdef") for _ in range(rng.randint(1, 8)))
        elif op == 2 and b:  # drop a run
            del b[i:i + rng.randint(1, 10)]
        else:  # duplicate a run
            b[i:i] = b[max(0, i - 20):i]
    return bytes(b)


def test_mutated_requests_never_get_a_5xx_and_the_server_keeps_serving(server):
    """A seeded fuzz of good requests: every answer is a 1xx-4xx response or a closed connection
    (a mutation may still be valid HTTP), never a 5xx, a hang or a crash."""
    rng = random.Random(20261204)
    for n in range(300):
        raw = _mutate(rng, rng.choice(SEEDS))
        with server.raw(timeout=5) as c:
            _send(c, raw)
            try:
                c.sock.shutdown(socket.SHUT_WR)  # nothing more is coming: incomplete means done
            except OSError:
                pass
            try:
                resp = c.read_response()
            except (ConnectionError, ConnectionResetError):
                continue  # closed without an answer: acceptable for garbage
            except socket.timeout:
                pytest.fail(f"no answer and no close within 5 s for {raw!r}")
            assert resp.status < 500, (n, raw, resp)
    _assert_still_serving(server)
    assert server.proc.poll() is None, "the server died"
