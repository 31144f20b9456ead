"""Process lifecycle: clean shutdown with draining, several nodes on one database, losing the database."""

import re
import signal
import subprocess
import time

import pytest

from support import assert_json_errors


def _exit_code_within(s, seconds):
    try:
        return s.proc.wait(seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"calipso serve still running {seconds}s after the signal\nstderr:\n{s.stderr()[-3000:]}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero_quickly(make_server, sig):
    s = make_server()
    # An idle keep-alive connection must not hold the shutdown up for the whole drain time.
    with s.raw() as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.read_response().status == 200
        started = time.monotonic()
        s.proc.send_signal(sig)
        code = _exit_code_within(s, 5)
    assert code == 0, s.stderr()[-3000:]
    assert time.monotonic() - started < 5
    s.stop()


def test_sigterm_finishes_in_flight_request(make_server):
    s = make_server()
    # About 3 MB of Markdown that renders to about 6 MB of HTML: more than the kernel buffers on
    # both ends hold, so the server is still writing when the signal arrives.
    item = s.create_content("Very Large Page", "\n".join(f"- item {i} *e*" for i in range(200000)))
    with s.raw(timeout=20, rcvbuf=16384) as c:
        c.send(f"GET /{item['alias']} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        while b"\r\n\r\n" not in c.buf:
            assert c._fill(), "closed before the response head"
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the server is now draining with our response half-sent
        assert s.proc.poll() is None, "the server exited with a response still being written"
        resp = c.read_response()
        assert resp.status == 200, resp
        assert b"item 199999 " in resp.body, "response cut short"
        assert len(resp.body) > 5_000_000, len(resp.body)
        assert c.wait_closed(5), "connection kept open while shutting down"
    code = _exit_code_within(s, 5)
    assert code == 0, s.stderr()[-3000:]
    s.stop()


def test_concurrent_requests_during_sigterm_are_not_cut(make_server):
    # Requests already being answered finish; later connections may be refused, never truncated.
    import threading
    import http.client

    s = make_server()
    item = s.create_content("Drain Page", "text " * 20000)
    results, stop = [], threading.Event()

    def client():
        while not stop.is_set():
            stage = "connect"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
                conn.connect()
                stage = "request"
                conn.request("GET", "/" + item["alias"])
                r = conn.getresponse()
                stage = "body"
                body = r.read()
                results.append(("ok", r.status, len(body), int(r.getheader("content-length") or len(body))))
                conn.close()
            except ConnectionRefusedError:
                results.append(("refused", stage, 0, 0))
                return
            except (OSError, http.client.HTTPException) as e:
                # Before the response head: a connection the server never took on (allowed).
                # After it: a response cut short (a defect).
                kind = "truncated" if stage == "body" else "dropped"
                results.append((kind, f"{stage}: {e!r}"[:120], 0, 0))
                if kind == "truncated":
                    return

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    s.proc.send_signal(signal.SIGTERM)
    code = _exit_code_within(s, 10)
    stop.set()
    for t in threads:
        t.join(15)
    assert code == 0
    oks = [r for r in results if r[0] == "ok"]
    assert oks, results[:10]
    assert not [r for r in results if r[0] == "truncated"], results
    assert all(r[1] == 200 and r[2] == r[3] for r in oks), [r for r in oks if r[1] != 200 or r[2] != r[3]][:5]
    s.stop()


@pytest.mark.parametrize("attempt", [1, 2, 3])  # a start-up race shows only now and then
def test_two_nodes_start_together_on_one_database(make_server, backend, tmp_path_factory, attempt):
    db = backend.new_database(tmp_path_factory.mktemp("shared-db"))
    a = make_server(db=db, start=False)
    b = make_server(db=db, start=False)
    a.spawn()
    b.spawn()  # both migrate the empty database at the same moment
    a.wait_ready()
    b.wait_ready()
    b._token = a.token  # users live in the shared database
    made_on_a = a.create_content("Made On Node A", "from *a*")
    made_on_b = b.create_content("Made On Node B", "from *b*")
    for node, item in ((b, made_on_a), (a, made_on_b)):
        r = node.get("/" + item["alias"])
        assert r.status == 200, r
        assert item["title"] in r.text
        r = node.get(f"/api/v1/content/{item['id']}", auth=a.token)
        assert r.status == 200, r
    a.stop()
    b.stop()


LEAKS = re.compile(r"\bSELECT\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|SQLSTATE|FATAL|PANIC|"
                   r"terminating connection|server closed the connection|libpq|std::|what\(\)|"
                   r"Traceback|pg_terminate_backend|sqlite3?_")


def _check_no_leak(r, path):
    assert not LEAKS.search(r.text), f"{path}: internals leaked: {r.text[:500]}"
    if r.status == 503 and path.startswith("/api/"):
        assert_json_errors(r, 503)
    elif r.status == 503 and path != "/healthz":
        assert "<html" in r.text.lower(), r


def _postgres_site(make_server, backend, title):
    """A server on PostgreSQL with one published item; the paths that need the database."""
    if backend.kind != "postgres":
        pytest.skip("needs a database server whose connections can be cut or refused")
    s = make_server()
    item = s.create_content(title, "still *here*")
    return s, s.token, item, ["/healthz", "/" + item["alias"], f"/api/v1/content/{item['id']}", "/"]


def test_database_connections_killed(make_server, backend):
    s, token, item, paths = _postgres_site(make_server, backend, "Survives Reconnect")
    for p in paths:
        assert s.get(p, auth=token).status == 200
    killed = backend.terminate_connections(s.db_name)
    assert killed >= 1, "the server held no database connection to cut"
    for _ in range(3):
        for p in paths:
            r = s.get(p, auth=token)
            assert r.status in (200, 503), (p, r)
            _check_no_leak(r, p)
    # Soon everything works again.
    deadline = time.monotonic() + 10
    while True:
        rs = [s.get(p, auth=token) for p in paths]
        if all(r.status == 200 for r in rs):
            break
        for p, r in zip(paths, rs):
            _check_no_leak(r, p)
        assert time.monotonic() < deadline, f"still failing 10 s after the cut: {rs}"
        time.sleep(0.2)
    assert "Survives Reconnect" in s.get("/" + item["alias"]).text
    # Writes work again too.
    s.create_content("Written After Reconnect")


def test_database_down_for_a_while(make_server, backend):
    """The database refuses every connection for a few seconds: pages and the API answer 503
    (themed / JSON) promptly, /healthz says 503, nothing leaks, and all recovers by itself."""
    s, token, item, paths = _postgres_site(make_server, backend, "Outlasts The Outage")
    backend.psql(f"ALTER DATABASE {s.db_name} ALLOW_CONNECTIONS false")
    try:
        backend.terminate_connections(s.db_name)
        for p in paths:
            started = time.monotonic()
            r = s.get(p, auth=token)
            assert time.monotonic() - started < 6, f"{p} took too long while the database was down"
            assert r.status == 503, (p, r)
            _check_no_leak(r, p)
        r = s.post("/api/v1/content", {"title": "Lost?"}, auth=token)
        assert r.status == 503, r
        assert_json_errors(r, 503)
    finally:
        backend.psql(f"ALTER DATABASE {s.db_name} ALLOW_CONNECTIONS true")
    deadline = time.monotonic() + 10
    while not all(s.get(p, auth=token).status == 200 for p in paths):
        assert time.monotonic() < deadline, "no recovery 10 s after the database came back"
        time.sleep(0.2)
    assert s.post("/api/v1/content", {"title": "After The Outage"}, auth=token).status == 201
