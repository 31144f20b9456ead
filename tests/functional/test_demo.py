"""`calipso demo`, which `make run` uses: demo content, an administrator and a working token."""

import re

from support import item_of


def test_demo_loads_a_live_site_once(make_server):
    srv = make_server(start=False)
    first = srv.cli("demo")
    assert first.returncode == 0, first.stderr
    assert "admin@example.com" in first.stdout and "calipso-demo" in first.stdout, first.stdout
    token = re.search(r"API token (\S+)", first.stdout)
    assert token, first.stdout

    again = srv.cli("demo")
    assert again.returncode == 0, again.stderr
    assert "nothing loaded" in again.stdout, again.stdout
    # A second `make run` still says how to get in.
    assert "admin@example.com" in again.stdout and "token create" in again.stdout, again.stdout

    srv.start()
    home = srv.get("/")
    assert home.status == 200
    posts = re.findall(r'<article[^>]*>', home.text)
    assert len(posts) >= 5, f"home page shows {len(posts)} posts"

    listing = srv.get("/api/v1/content?per_page=100",
                      headers={"Authorization": f"Bearer {token.group(1)}"})
    assert listing.status == 200, listing.text
    items = listing.json()["data"]
    assert len(items) == 7, "the second demo run must not have loaded anything more"
    assert {i["type"] for i in items} == {"post", "page"}
    page = next(i for i in items if i["type"] == "page")
    about = srv.get("/" + page["alias"])
    assert about.status == 200 and page["title"] in about.text
    assert item_of(srv.get("/" + page["alias"] + ".json").json())["alias"] == page["alias"]
