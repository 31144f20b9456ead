"""Configuration: TOML file, CALIPSO_* environment overrides, and refusing bad values."""

import os
import re
import subprocess

import pytest

from support import free_port, run_cli

EXIT_TIMEOUT = 10.0


def _serve_must_fail(s, extra_env=None):
    if extra_env:
        s.env.update(extra_env)
    s.spawn()
    try:
        code = s.proc.wait(EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        s.kill()
        pytest.fail(f"calipso serve kept running with a bad config\nstderr:\n{s.stderr()}")
    s._close_logs()
    s.proc = None  # nothing for the teardown to stop
    assert code != 0, f"calipso serve exited 0 with a bad config\nstderr:\n{s.stderr()}"
    return s.stderr()


@pytest.mark.parametrize("config,key", [
    ({"server": {"port": "abc"}}, "port"),
    ({"server": {"port": 70000}}, "port"),
    ({"server": {"port": -1}}, "port"),
    ({"server": {"threads": "many"}}, "threads"),
    ({"server": {"no_such_server_key": 1}}, "no_such_server_key"),
    ({"no_such_top_level_key": True}, "no_such_top_level_key"),
    ({"database": {"url": "mysql://localhost/x"}}, "url"),
], ids=["port-string", "port-too-big", "port-negative", "threads-string", "unknown-server-key",
        "unknown-top-key", "database-url-scheme"])
def test_bad_config_value_stops_startup_naming_the_key(make_server, config, key):
    s = make_server(config=config, start=False)
    err = _serve_must_fail(s)
    assert key in err, f"stderr does not name {key!r}:\n{err}"


def test_bad_env_value_stops_startup(make_server):
    s = make_server(start=False)
    err = _serve_must_fail(s, {"CALIPSO_SERVER_PORT": "abc"})
    assert re.search("port", err, re.I), err


def test_missing_config_file_fails(tmp_path):
    r = run_cli(["serve", "--config", str(tmp_path / "does-not-exist.toml")], timeout=EXIT_TIMEOUT)
    assert r.returncode != 0
    assert r.stderr.strip(), "no message for a missing config file"


def test_toml_syntax_error_fails(make_server):
    s = make_server(start=False)
    s.config_path.write_text(s.config_path.read_text() + "\nthis is = = not toml\n")
    err = _serve_must_fail(s)
    assert err.strip()


def test_env_overrides_site_name(make_server):
    s = make_server(config={"site": {"name": "File Site Name"}},
                    env={"CALIPSO_SITE_NAME": "Env Site Name"})
    html = s.get("/", headers={"Accept": "text/html"}).text
    assert "Env Site Name" in html
    assert "File Site Name" not in html


def test_env_overrides_port(make_server):
    s = make_server(start=False)
    file_port = s.port
    env_port = free_port()
    s.env["CALIPSO_SERVER_PORT"] = str(env_port)
    s.port = env_port  # where the helper will look for /healthz
    s.start()
    assert s.get("/healthz").status == 200
    s.port = file_port
    with pytest.raises(OSError):
        s.get("/healthz", timeout=2)
    s.port = env_port


def test_env_overrides_database_url(make_server, backend, tmp_path):
    # The file names a database that does not work; the environment names a good one.
    url, _ = backend.new_database(tmp_path)
    bad = "sqlite:///proc/calipso-no-such-dir/y.db"  # cannot be created, even by root
    s = make_server(config={"database": {"url": bad}}, env={"CALIPSO_DATABASE_URL": url},
                    db=(url, ""))
    assert s.get("/healthz").status == 200


def test_default_threads_follow_cores_and_database(make_server, backend):
    """server.threads = 0 (the default): the cores, twice that with PostgreSQL."""
    s = make_server(config={"server": {"threads": 0}})
    cores = os.cpu_count()  # online CPUs, as std::thread::hardware_concurrency counts them
    expected = cores * (2 if backend.kind == "postgres" else 1)
    started = re.search(r"database .*?, (\d+) threads", s.stderr() + s.stdout())
    assert started, s.stderr()
    assert int(started.group(1)) == expected, started.group(0)
    assert s.get("/").status == 200
