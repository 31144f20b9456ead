"""The command line: version, help, migrate, users, tokens, and the URL printed by serve."""

import re
import socket
import time
import pytest

from support import free_port, run_cli


def test_version_prints_a_version():
    r = run_cli(["version"])
    assert r.returncode == 0, r.stderr
    assert re.search(r"\d+\.\d+", r.stdout), r.stdout


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["migrate", "--help"],
                                  ["user", "add", "--help"], ["token", "create", "--help"]])
def test_help_exits_zero(args):
    r = run_cli(args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    assert (r.stdout + r.stderr).strip(), "help printed nothing"


def test_unknown_command_fails():
    r = run_cli(["no-such-command"])
    assert r.returncode != 0, r
    assert r.stderr.strip() or r.stdout.strip(), "no message for an unknown command"


@pytest.fixture(scope="module")
def offline(make_server):
    """A configured instance that is not started: the CLI works on its config and database."""
    return make_server(start=False)


def test_migrate_twice(offline):
    for _ in range(2):
        r = offline.cli("migrate")
        assert r.returncode == 0, r.stderr


def test_user_add_then_duplicate_fails(offline):
    r = offline.add_user("a@b.c", "pass-word-123")
    assert r.returncode == 0, r.stderr
    r = offline.add_user("a@b.c", "pass-word-123")
    assert r.returncode != 0, "adding the same email twice must fail"
    assert r.stderr.strip() or r.stdout.strip(), "no message for a duplicate user"


@pytest.mark.parametrize("email", ["not-an-email", "", "a@", "@b.c", "a b@c.d"])
def test_user_add_bad_email_fails(offline, email):
    r = offline.add_user(email, "pass-word-123")
    assert r.returncode != 0, f"user add accepted {email!r}"


def test_token_create_prints_token_on_last_line(offline):
    r = offline.add_user("tok@example.com", "pass-word-123")
    assert r.returncode == 0, r.stderr
    t1 = offline.create_token("tok@example.com")
    t2 = offline.create_token("tok@example.com")
    assert len(t1) >= 16, t1
    assert t1 != t2, "two tokens must differ"


def test_token_create_unknown_user_fails(offline):
    r = offline.cli("token", "create", "--user", "nobody@example.com")
    assert r.returncode != 0, r.stdout


def test_token_from_cli_authenticates_api(server):
    # The token printed by the CLI is accepted by the running server.
    r = server.get("/api/v1/content", auth=server.token)
    assert r.status == 200, r


def test_serve_prints_its_url(server):
    # Printed (and flushed) once listening: the server is already healthy here.
    want = f"http://127.0.0.1:{server.port}"
    deadline = time.monotonic() + 2
    while want not in server.stdout() + server.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    out = server.stdout() + server.stderr()
    assert want in out, out[-2000:]


def test_serve_port_flag_overrides_config(make_server):
    s = make_server(start=False)
    s.port = free_port()  # the config file names another port; --port wins
    s.spawn(("--port", str(s.port)))
    s.wait_ready()
    assert s.get("/healthz").status == 200


def test_serve_on_a_busy_port_fails_saying_so(make_server):
    s = make_server(start=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", s.port))
        taken.listen()
        s.spawn()
        try:
            code = s.proc.wait(10)
        finally:
            if s.proc.poll() is None:
                s.kill()
        s._close_logs()
        s.proc = None
    assert code != 0
    err = s.stderr()
    assert f"127.0.0.1:{s.port}" in err and "--port" in err, err
