"""HTTP protocol behaviour: health, metrics, errors, HEAD, keep-alive, compression, ETag, ids."""

import re
import time

import pytest

from support import assert_json_errors, gunzip

LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua. ") * 20


@pytest.fixture(scope="module")
def site(server):
    """The module server with a few published posts, so pages are worth compressing."""
    server.posts = [server.create_content(f"HTTP Post {i}", f"# Post {i}\n\n{LOREM}") for i in range(3)]
    return server


def test_healthz(site):
    r = site.get("/healthz")
    assert r.status == 200, r
    assert "json" in r.content_type, r
    assert r.json().get("status") == "ok", r


# A label set; values may hold braces, e.g. route="/{alias}".
LABELS = r'\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\}'


def _labels(s):
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', s))


def test_metrics(site):
    site.get("/healthz")
    site.get("/no-such-page-for-metrics")
    # A request is counted once its response is out, which may be a moment after the client
    # has it: allow a scrape or two.
    deadline = time.monotonic() + 2
    while True:
        r = site.get("/metrics")
        assert r.status == 200, r
        text = r.text
        if re.search(r'^calipso_http_requests_total\{[^\n]*status="404"', text, re.M) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert r.content_type.startswith("text/plain"), r
    series = re.findall(r"^calipso_http_requests_total" + LABELS + r"\s+([0-9.eE+]+)\s*$", text, re.M)
    assert series, text[:2000]
    labels = [_labels(l) for l, _ in series]
    assert all("route" in l and "status" in l for l in labels), series
    assert any(l["status"] == "200" for l in labels), series
    assert any(l["status"] == "404" for l in labels), series
    assert all(re.fullmatch(r"\d{3}", l["status"]) for l in labels), series
    buckets = re.findall(r"^calipso_http_request_duration_seconds_bucket" + LABELS + r"\s+\S+\s*$", text, re.M)
    assert buckets, text[:2000]
    assert any(_labels(b).get("le") == "+Inf" for b in buckets), buckets
    assert re.search(r"^calipso_http_request_duration_seconds_count", text, re.M)
    assert re.search(r"^calipso_http_request_duration_seconds_sum", text, re.M)
    assert re.search(r"^# TYPE calipso_http_requests_total counter", text, re.M)
    assert re.search(r"^# TYPE calipso_http_request_duration_seconds histogram", text, re.M)


def test_metrics_connections_and_pool(site):
    text = site.get("/metrics").text
    assert re.search(r"^calipso_\w*open_connections(\{[^\n]*\})? \d", text, re.M), "no open-connections gauge"
    assert re.search(r"^calipso_\w*pool\w*(\{[^\n]*\})? \d", text, re.M), "no database pool metric"


def test_metrics_route_label_is_the_pattern_not_the_path(site):
    # Unbounded label values would blow up Prometheus: one route label for all posts.
    for p in site.posts:
        assert site.get("/" + p["alias"]).status == 200
    text = site.get("/metrics").text
    for p in site.posts:
        assert f'route="/{p["alias"]}"' not in text, "route label carries a concrete path"


def test_unknown_path_html_404(site):
    r = site.get("/no/such/page", headers={"Accept": "text/html"})
    assert r.status == 404, r
    assert "text/html" in r.content_type, r
    assert "<html" in r.text.lower(), r


def test_unknown_api_path_json_404(site):
    r = site.get("/api/v1/no-such-collection", auth=True, headers={"Accept": "application/json"})
    assert_json_errors(r, 404)


def test_wrong_method_405_with_allow(site):
    r = site.delete("/healthz")
    assert r.status == 405, r
    allow = [m.strip().upper() for m in (r.header("allow") or "").split(",")]
    assert "GET" in allow, r


def test_head_matches_get(site):
    get = site.get("/")
    assert get.status == 200, get
    with site.raw() as c:
        c.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        head = c.read_response(head=True)
        # If HEAD had sent a body, it would show up here instead of the next status line.
        nxt = c.read_response()
    assert head.status == 200, head
    assert nxt.status == 200 and b"ok" in nxt.body, nxt
    assert head.header("content-length") == str(len(get.body)), (head, len(get.body))
    ignore = {"date", "x-request-id", "connection", "keep-alive"}
    assert get.header_names() - ignore <= head.header_names(), (get.headers, head.headers)
    for h in ("content-type", "etag", "cache-control", "vary"):
        assert head.header(h) == get.header(h), h


def test_keep_alive_two_requests_one_socket(site):
    with site.raw() as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        r1 = c.read_response()
        c.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        r2 = c.read_response()
    assert r1.status == 200 and r2.status == 200, (r1, r2)
    assert b"<html" in r2.body.lower()


def test_pipelined_requests_answered_in_order(site):
    with site.raw() as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /no-such-page-pipelined HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        statuses = [c.read_response().status for _ in range(3)]
        assert c.wait_closed(5), "Connection: close was not honoured"
    assert statuses == [200, 404, 200]


@pytest.mark.parametrize("path", ["/", "/{alias}"])
def test_gzip(site, path):
    path = path.format(alias=site.posts[0]["alias"])
    plain = site.get(path, headers={"Accept-Encoding": "identity"})
    gz = site.get(path, headers={"Accept-Encoding": "gzip"})
    assert plain.status == 200 and gz.status == 200
    assert plain.header("content-encoding") in (None, "identity"), plain
    assert gz.header("content-encoding") == "gzip", gz
    assert gunzip(gz.body) == plain.body
    for r in (plain, gz):
        assert "accept-encoding" in (r.header("vary") or "").lower(), r


def test_brotli_preferred(site):
    r = site.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status == 200
    assert r.header("content-encoding") == "br", r
    assert "accept-encoding" in (r.header("vary") or "").lower(), r


def test_gzip_refused_by_q0_is_not_used(site):
    r = site.get("/", headers={"Accept-Encoding": "gzip;q=0, br;q=0"})
    assert r.status == 200
    assert r.header("content-encoding") in (None, "identity"), r


@pytest.mark.parametrize("path", ["/", "/{alias}"])
def test_etag_and_304(site, path):
    path = path.format(alias=site.posts[0]["alias"])
    r = site.get(path)
    assert r.status == 200
    etag = r.header("etag")
    assert etag and re.fullmatch(r'(W/)?"[^"]*"', etag), r
    r2 = site.get(path, headers={"If-None-Match": etag})
    assert r2.status == 304, r2
    assert r2.body == b""
    assert r2.header("etag") == etag
    r3 = site.get(path, headers={"If-None-Match": '"definitely-not-the-etag"'})
    assert r3.status == 200 and r3.body == r.body


def test_etag_changes_when_content_changes(site):
    post = site.posts[1]
    r1 = site.get("/" + post["alias"])
    assert r1.status == 200
    r = site.patch(f"/api/v1/content/{post['id']}", {"title": "HTTP Post One Changed"}, auth=True)
    assert r.status in (200, 204), r
    r2 = site.get("/" + post["alias"], headers={"If-None-Match": r1.header("etag")})
    assert r2.status == 200, "stale 304 after the content changed"
    assert "HTTP Post One Changed" in r2.text


def test_request_id_generated(site):
    r1 = site.get("/healthz")
    r2 = site.get("/healthz")
    a, b = r1.header("x-request-id"), r2.header("x-request-id")
    assert a and b and a != b, (r1.headers, r2.headers)


def test_request_id_echoed(site):
    rid = "test-req-0123456789abcdef"
    r = site.get("/healthz", headers={"X-Request-Id": rid})
    assert r.header("x-request-id") == rid, r


def test_insane_request_id_replaced(site):
    rid = "<script>alert(1)</script>"
    r = site.get("/healthz", headers={"X-Request-Id": rid})
    assert r.status == 200
    got = r.header("x-request-id")
    assert got and got != rid, "a request id with markup characters must not be echoed"


def test_concurrent_keep_alive_clients(site):
    import http.client
    import threading

    paths = ["/", "/healthz", "/" + site.posts[0]["alias"], "/no-such-page-concurrent"]
    expected = [200, 200, 200, 404]
    failures = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
        try:
            for i in range(40):
                p = i % len(paths)
                conn.request("GET", paths[p])
                r = conn.getresponse()
                r.read()
                if r.status != expected[p]:
                    failures.append((paths[p], r.status))
        except Exception as e:  # noqa: BLE001 - collected and reported below
            failures.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures[:10]
