"""Fixtures for the functional suite.

- CALIPSO_BIN: the binary under test (default: build/calipso in the repository root).
- CALIPSO_TEST_PG_URL: a PostgreSQL server URL (postgresql://postgres@127.0.0.1:PORT/postgres);
  tests/support/with-postgres.sh starts one and sets it. Without it the postgres parameters are
  skipped, unless CALIPSO_TEST_REQUIRE_PG=1, which turns the absence into a failure.

Every test module that takes `backend` runs once per backend; a module gets one default server
per backend (`server`) and can start more with `make_server`.
"""

from __future__ import annotations

import os

import pytest

import support
from support import Backend, Server

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    p = support.binary_path()
    if not (p.is_file() and os.access(p, os.X_OK)):
        pytest.fail(f"calipso binary not found at {p} (build it, or set CALIPSO_BIN)", pytrace=False)


def _pg_url_or_skip() -> str:
    url = os.environ.get("CALIPSO_TEST_PG_URL", "").strip()
    if url:
        return url
    if os.environ.get("CALIPSO_TEST_REQUIRE_PG") == "1":
        pytest.fail("CALIPSO_TEST_REQUIRE_PG=1 but CALIPSO_TEST_PG_URL is not set "
                    "(run through tests/support/with-postgres.sh)", pytrace=False)
    pytest.skip("CALIPSO_TEST_PG_URL not set: postgres backend skipped")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    if request.param == "postgres":
        b = Backend("postgres", _pg_url_or_skip())
    else:
        b = Backend("sqlite")
    yield b
    b.cleanup()


@pytest.fixture(scope="module")
def make_server(backend, tmp_path_factory):
    """Factory: make_server(config={...}, env={...}, start=True, db=(url, name)) -> Server.

    Each server gets its own temp dir and, unless `db` is given, a fresh database. All servers
    made here are stopped at the end of the module with SIGTERM, and must exit 0.
    """
    servers: list[Server] = []

    def make(config: dict | None = None, env: dict | None = None, start: bool = True,
             db: tuple[str, str] | None = None, port: int = 0) -> Server:
        wd = tmp_path_factory.mktemp(f"srv-{backend.kind}-")
        url, name = db or backend.new_database(wd)
        s = Server(wd, url, name, dict(config or {}), dict(env or {}), port)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make

    problems = []
    for s in servers:
        try:
            s.stop()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            s.kill()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def server(make_server) -> Server:
    """The module's default server (fresh database, default limits)."""
    return make_server()
