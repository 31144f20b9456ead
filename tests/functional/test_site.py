"""The public site: home page listing and pagination, item pages, drafts, escaping, 404 page."""

import re

import pytest

from support import item_of

SITE_NAME = "Site Under Test"
POSTS = ["Post Alpha", "Post Bravo", "Post Charlie", "Post Delta", "Post Echo"]
DRAFT = "Secret Draft Post"
MD_BODY = "# Hi\n\nSome *markdown* with ünïcödé 日本語 and a [link](https://example.com/)."
SCRIPT_BODY = ("Before\n\n<script>alert('body-xss')</script>\n\n"
               "After <img src=x onerror=alert('img-xss')> end\n")
XSS_TITLE = 'Title <script>alert("title-xss")</script> here'


@pytest.fixture(scope="module")
def site(make_server):
    s = make_server(config={"site": {"name": SITE_NAME, "page_size": 3}})
    # Oldest first; the home page lists newest first.
    s.md = s.create_content("Markdown Page", MD_BODY)
    s.script = s.create_content("Script Body", SCRIPT_BODY)
    s.xss = s.create_content(XSS_TITLE, "plain", alias="title-xss")
    s.posts = [s.create_content(t, f"Body of {t}.") for t in POSTS]
    s.draft = s.create_content(DRAFT, "not yet", status="draft")
    return s


def _html(r):
    assert r.status == 200, r
    assert r.content_type.startswith("text/html"), r
    assert "<html" in r.text.lower()
    return r.text


def _in_order(html, titles):
    pos = [html.find(t) for t in titles]
    assert all(p >= 0 for p in pos), dict(zip(titles, pos))
    assert pos == sorted(pos), f"not newest first: {dict(zip(titles, pos))}"


def test_home_lists_newest_published_first(site):
    html = _html(site.get("/"))
    _in_order(html, ["Post Echo", "Post Delta", "Post Charlie"])
    assert "Markdown Page" not in html, "the oldest item belongs on a later page"
    assert DRAFT not in html


def test_home_links_to_items_and_next_page(site):
    html = _html(site.get("/"))
    assert re.search(r'href="[^"]*/post-echo(\.html)?"', html), "no link to the newest post"
    assert re.search(r'href="[^"]*[?&](amp;)?page=2"', html), "no link to page 2"


def test_home_page_2_and_3(site):
    p2 = _html(site.get("/?page=2"))
    _in_order(p2, ["Post Bravo", "Post Alpha"])
    p3 = _html(site.get("/?page=3"))
    _in_order(p3, ["Script Body", "Markdown Page"])
    for html in (p2, p3):
        assert DRAFT not in html


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999999", "1e3", "%00"])
def test_odd_page_numbers_never_500(site, page):
    r = site.get("/?page=" + page)
    assert 200 <= r.status < 500, r
    if r.status >= 400:
        assert "<html" in r.text.lower()


def test_site_name_in_title_or_header(site):
    html = _html(site.get("/"))
    title = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
    header = re.search(r"<header\b.*?</header>", html, re.S | re.I)
    assert (title and SITE_NAME in title.group(1)) or (header and SITE_NAME in header.group(0)), html[:1500]


@pytest.mark.parametrize("suffix", ["", ".html"])
def test_item_page(site, suffix):
    html = _html(site.get("/markdown-page" + suffix))
    assert "Markdown Page" in html
    assert re.search(r"<em>markdown</em>", html), "markdown not rendered"
    assert re.search(r"<h1[^>]*>\s*Hi\s*</h1>", html), "markdown heading not rendered"
    assert "ünïcödé 日本語" in html
    assert 'href="https://example.com/"' in html


def test_item_page_title_in_document_title(site):
    html = _html(site.get("/" + site.posts[0]["alias"]))
    title = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
    assert title and "Post Alpha" in title.group(1), title


def test_item_json(site):
    r = site.get("/markdown-page.json")
    assert r.status == 200, r
    assert "json" in r.content_type, r
    item = item_of(r.json())
    assert item["title"] == "Markdown Page"
    assert item["alias"] == "markdown-page"


@pytest.mark.parametrize("suffix", ["", ".html", ".json"])
def test_draft_is_not_public(site, suffix):
    r = site.get("/" + site.draft["alias"] + suffix)
    assert r.status == 404, r
    assert DRAFT not in r.text


def test_raw_html_in_body_is_not_rendered(site):
    pages = [_html(site.get("/" + site.script["alias"]))]
    pages += [_html(site.get(f"/?page={n}")) for n in (1, 2, 3)]
    for html in pages:
        assert not re.search(r"<script[^>]*>\s*alert\('body-xss'\)", html), "raw <script> from the body"
        assert not re.search(r"<img[^>]*onerror", html, re.I), "raw event handler from the body"
    assert "Before" in pages[0] and "After" in pages[0]


def test_title_is_escaped(site):
    for path in ("/title-xss", "/title-xss.html", "/?page=2"):
        html = _html(site.get(path))
        assert '<script>alert("title-xss")' not in html, path
        assert "&lt;script&gt;" in html, path
    item = item_of(site.get("/title-xss.json").json())
    assert item["title"] == XSS_TITLE


def test_404_page_is_themed_html(site):
    r = site.get("/there-is-no-such-page", headers={"Accept": "text/html"})
    assert r.status == 404, r
    assert r.content_type.startswith("text/html"), r
    assert "<html" in r.text.lower()
    assert SITE_NAME in r.text, "the 404 page is not rendered by the site theme"


@pytest.mark.parametrize("path", ["/there-is-no-such-page.json", "/../../etc/passwd",
                                  "/%2e%2e/%2e%2e/etc/passwd", "/a%00b", "/" + "x" * 3000],
                         ids=["json", "dotdot", "encoded-dotdot", "nul", "long"])
def test_odd_paths_are_404_not_500(site, path):
    r = site.get(path)
    assert r.status in (400, 404, 414), r
    assert "root:" not in r.text
