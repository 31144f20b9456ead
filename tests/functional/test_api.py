"""The content JSON API under /api/v1: auth, create, validate, get, update, delete, list."""

import re
import secrets
import urllib.parse

import pytest

from support import assert_json_errors, item_of

API = "/api/v1/content"


def _uniq(prefix):
    return f"{prefix} {secrets.token_hex(3)}"


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,body", [
    ("GET", API, None),
    ("POST", API, {"title": "Nope", "body": "", "status": "published"}),
    ("GET", API + "/1", None),
    ("PATCH", API + "/1", {"title": "Nope"}),
    ("DELETE", API + "/1", None),
], ids=["list", "create", "get", "update", "delete"])
@pytest.mark.parametrize("auth", [None, "Bearer not-a-real-token", "Bearer ", "Basic YWRtaW46YWRtaW4="],
                         ids=["none", "bad-token", "empty-bearer", "basic"])
def test_requires_token(server, method, path, body, auth):
    headers = {"Authorization": auth} if auth else {}
    r = server.request(method, path, body=body, headers=headers)
    assert_json_errors(r, 401)
    assert r.header("www-authenticate"), "401 without WWW-Authenticate"


def test_token_from_cli_works(server):
    r = server.get(API, auth=True)
    assert r.status == 200, r


# --- create ------------------------------------------------------------------------------------


def test_create_derives_alias(server):
    r = server.post(API, {"title": "Hello World", "body": "# Hi\n\nSome *markdown*",
                          "status": "published"}, auth=True)
    assert r.status == 201, r
    assert "json" in r.content_type
    item = item_of(r.json())
    assert item["id"] not in (None, "")
    assert item["alias"] == "hello-world"
    assert item["title"] == "Hello World"
    assert item["status"] == "published"


def test_same_title_gets_a_different_alias(server):
    title = _uniq("Twice Titled")
    a = server.create_content(title)
    b = server.create_content(title)
    assert a["id"] != b["id"]
    assert a["alias"] != b["alias"]
    assert b["alias"].startswith(a["alias"]), (a["alias"], b["alias"])


def test_alias_is_url_safe_and_reachable(server):
    item = server.create_content("Héllo, Wörld! Ça va? 100% / done", "text")
    alias = item["alias"]
    assert alias and not re.search(r"[\s/?#%,!]", alias), alias
    r = server.get("/" + urllib.parse.quote(alias))
    assert r.status == 200, r


def test_explicit_alias_and_conflict(server):
    r = server.post(API, {"title": "Custom", "body": "", "status": "published",
                          "alias": "custom-path"}, auth=True)
    assert r.status == 201, r
    assert item_of(r.json())["alias"] == "custom-path"
    r = server.post(API, {"title": "Custom again", "body": "", "status": "published",
                          "alias": "custom-path"}, auth=True)
    errors = assert_json_errors(r, 409)
    assert any(e.get("field") == "alias" for e in errors) or len(errors) == 1, errors


@pytest.mark.parametrize("payload,field", [
    ({"body": "no title", "status": "published"}, "title"),
    ({"title": "", "body": "empty title", "status": "published"}, "title"),
    ({"title": "Bad status", "body": "", "status": "bogus"}, "status"),
    ({"title": 42, "body": "", "status": "published"}, "title"),
    ({"title": "Nul", "body": "a\u0000b", "status": "published"}, "body"),
], ids=["missing-title", "empty-title", "bogus-status", "title-not-a-string", "nul-in-body"])
def test_validation_errors_name_the_field(server, payload, field):
    r = server.post(API, payload, auth=True)
    errors = assert_json_errors(r, (400, 422))
    assert errors[0].get("field") == field, errors


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1,2,3]", b"\"just a string\""],
                         ids=["broken", "empty", "array", "string"])
def test_invalid_json_body_400(server, raw):
    r = server.post(API, raw, auth=True, headers={"Content-Type": "application/json"})
    assert_json_errors(r, (400, 422) if raw.startswith((b"[", b"\"")) else 400)


# --- read, update, delete ----------------------------------------------------------------------


def test_get_by_id(server):
    item = server.create_content(_uniq("Get Me"), "body text")
    r = server.get(f"{API}/{item['id']}", auth=True)
    assert r.status == 200, r
    got = item_of(r.json())
    assert got["id"] == item["id"] and got["title"] == item["title"] and got["alias"] == item["alias"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_id_404(server, method):
    body = {"title": "x"} if method == "PATCH" else None
    r = server.request(method, f"{API}/999999999", body=body, auth=True)
    assert_json_errors(r, 404)


def test_patch_changes_only_given_fields(server):
    item = server.create_content(_uniq("Old Title"), "the body stays")
    r = server.patch(f"{API}/{item['id']}", {"title": "New"}, auth=True)
    assert r.status in (200, 204), r
    got = item_of(server.get(f"{API}/{item['id']}", auth=True).json())
    assert got["title"] == "New"
    assert got["body"] == "the body stays"
    assert got["status"] == "published"
    assert got["alias"] == item["alias"], "changing the title must not move the page"


def test_patch_validation(server):
    item = server.create_content(_uniq("Patch Validation"))
    r = server.patch(f"{API}/{item['id']}", {"status": "bogus"}, auth=True)
    errors = assert_json_errors(r, (400, 422))
    assert errors[0].get("field") == "status", errors
    r = server.patch(f"{API}/{item['id']}", b"{broken", auth=True,
                     headers={"Content-Type": "application/json"})
    assert_json_errors(r, 400)


def test_patch_alias_conflict_409(server):
    a = server.create_content(_uniq("Alias Owner"))
    b = server.create_content(_uniq("Alias Thief"))
    r = server.patch(f"{API}/{b['id']}", {"alias": a["alias"]}, auth=True)
    assert_json_errors(r, 409)


def test_publishing_a_draft_makes_it_public(server):
    item = server.create_content(_uniq("Draft To Publish"), "draft body", status="draft")
    assert item["status"] == "draft"
    assert server.get("/" + item["alias"]).status == 404
    assert server.get("/" + item["alias"] + ".json").status == 404
    r = server.patch(f"{API}/{item['id']}", {"status": "published"}, auth=True)
    assert r.status in (200, 204), r
    r = server.get("/" + item["alias"])
    assert r.status == 200, r
    assert item["title"] in r.text


def test_unpublishing_hides_it(server):
    item = server.create_content(_uniq("Published Then Hidden"))
    assert server.get("/" + item["alias"]).status == 200
    r = server.patch(f"{API}/{item['id']}", {"status": "draft"}, auth=True)
    assert r.status in (200, 204), r
    assert server.get("/" + item["alias"]).status == 404


def test_delete(server):
    item = server.create_content(_uniq("Delete Me"))
    assert server.get("/" + item["alias"]).status == 200
    r = server.delete(f"{API}/{item['id']}", auth=True)
    assert r.status == 204, r
    assert r.body == b""
    assert_json_errors(server.get(f"{API}/{item['id']}", auth=True), 404)
    assert server.get("/" + item["alias"]).status == 404
    assert_json_errors(server.delete(f"{API}/{item['id']}", auth=True), 404)


# --- list --------------------------------------------------------------------------------------


def _next_path(nxt):
    if nxt is None:
        return None
    assert isinstance(nxt, str) and nxt, nxt
    parts = urllib.parse.urlsplit(nxt)
    if parts.scheme:
        assert parts.path.startswith("/api/v1/content"), nxt
        return parts.path + ("?" + parts.query if parts.query else "")
    assert nxt.startswith("/"), f"meta.next is neither a URL nor a path: {nxt!r}"
    return nxt


def test_list_paginates_newest_first(server):
    mine = [server.create_content(_uniq(f"Listed {i}"))["id"] for i in range(5)]
    path = f"{API}?per_page=2"
    seen = []
    pages = 0
    while path:
        r = server.get(path, auth=True)
        assert r.status == 200, r
        doc = r.json()
        assert isinstance(doc.get("data"), list), doc
        assert isinstance(doc.get("meta"), dict) and "next" in doc["meta"], doc
        assert len(doc["data"]) <= 2, doc
        if pages == 0:
            assert len(doc["data"]) == 2, doc
        for it in doc["data"]:
            assert "id" in it and "title" in it and "alias" in it, it
        seen += [it["id"] for it in doc["data"]]
        if doc["meta"]["next"] is not None:
            assert doc["data"], "an empty page that still has a next link"
        path = _next_path(doc["meta"]["next"])
        pages += 1
        assert pages < 500, "pagination does not end"
    assert len(seen) == len(set(seen)), f"duplicates while paging: {seen}"
    assert set(mine) <= set(seen), (mine, seen)
    # Newest first: my five, made one after the other, come in reverse order.
    order = [i for i in seen if i in mine]
    assert order == list(reversed(mine)), (order, mine)
    # The newest item of all is on the first page, first.
    assert seen[0] == mine[-1]


@pytest.mark.parametrize("query", ["per_page=0", "per_page=-1", "per_page=abc", "per_page=100000",
                                   "per_page=99999999999999999999", "cursor=garbage", "after=garbage",
                                   "page=garbage"])
def test_odd_list_parameters_are_4xx_or_clamped(server, query):
    r = server.get(f"{API}?{query}", auth=True)
    assert r.status in (200, 400, 422), r
    if r.status == 200:
        doc = r.json()
        assert isinstance(doc.get("data"), list), doc
    else:
        assert_json_errors(r)
