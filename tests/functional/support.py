"""Helpers for the black-box functional tests: start the real `calipso` binary, talk HTTP to it.

Only the Python standard library is used (http.client, socket, subprocess, json, gzip).
Nothing here knows how the server is built; it only relies on the public contract
(CLI, config file, HTTP).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 15.0


def binary_path() -> Path:
    p = Path(os.environ.get("CALIPSO_BIN", "build/calipso"))
    if not p.is_absolute():
        p = REPO_ROOT / p
    return p


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string


def toml_dump(cfg: dict) -> str:
    """Writes a two-level dict as TOML: scalars at top level, dicts as [tables]."""
    lines = []
    for k, v in cfg.items():
        if not isinstance(v, dict):
            lines.append(f"{k} = {toml_value(v)}")
    for k, v in cfg.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            for kk, vv in v.items():
                lines.append(f"{kk} = {toml_value(vv)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Backends


class Backend:
    """Hands out fresh, empty databases of one kind and removes them afterwards."""

    def __init__(self, kind: str, pg_url: str | None = None):
        self.kind = kind
        self.pg_url = pg_url
        self._pg_dbs: list[str] = []

    def new_database(self, workdir: Path) -> tuple[str, str]:
        """Returns (database url, database name or file path)."""
        if self.kind == "sqlite":
            workdir.mkdir(parents=True, exist_ok=True)
            path = workdir / f"calipso-{secrets.token_hex(4)}.db"
            return f"sqlite://{path}", str(path)
        name = "t_" + secrets.token_hex(6)
        self.psql(f"CREATE DATABASE {name}")
        self._pg_dbs.append(name)
        parts = urllib.parse.urlsplit(self.pg_url)
        url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
        return url, name

    def psql(self, sql: str, url: str | None = None) -> str:
        r = subprocess.run(
            ["psql", url or self.pg_url, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-t", "-A", "-c", sql],
            capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed ({sql!r}): {r.stderr}")
        return r.stdout

    def terminate_connections(self, dbname: str) -> int:
        out = self.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname='{dbname}' AND pid<>pg_backend_pid()")
        return int(out.strip() or 0)

    def cleanup(self):
        for name in self._pg_dbs:
            try:
                self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception:  # noqa: BLE001 - best effort, never hide the test result
                pass
        self._pg_dbs.clear()


# ---------------------------------------------------------------------------------------------
# HTTP responses


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str = ""

    def header(self, name: str, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header_names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").lower()

    def __repr__(self):
        snippet = self.body[:300]
        return f"<Response {self.status} {self.headers!r} {snippet!r}>"


def item_of(payload):
    """An API item is either the bare object or wrapped as {"data": {...}}."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        return payload["data"]
    return payload


def assert_json_errors(resp: Response, status: int | tuple[int, ...] | None = None):
    """Checks the error shape {"errors":[{"code":…,"message":…}]}; returns the list."""
    if status is not None:
        allowed = status if isinstance(status, tuple) else (status,)
        assert resp.status in allowed, resp
    assert "json" in resp.content_type, resp
    doc = resp.json()
    assert isinstance(doc, dict) and isinstance(doc.get("errors"), list), resp
    assert doc["errors"], resp
    for e in doc["errors"]:
        assert isinstance(e, dict), resp
        assert isinstance(e.get("code"), str) and e["code"], resp
        assert isinstance(e.get("message"), str) and e["message"], resp
    return doc["errors"]


# ---------------------------------------------------------------------------------------------
# Raw sockets


class RawConn:
    """One TCP connection where the test writes bytes itself and parses responses by hand."""

    def __init__(self, port: int, timeout: float = 5.0, rcvbuf: int | None = None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        """Reads more bytes; False at EOF. Raises socket.timeout."""
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_response(self, head: bool = False) -> Response:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"connection closed before a full response head: {self.buf[:500]!r}")
        head_bytes, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})(?: (.*))?$", lines[0])
        assert m, f"bad status line {lines[0]!r}"
        status = int(m.group(1))
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        resp = Response(status, headers, b"", m.group(2) or "")
        if head or status in (204, 304) or 100 <= status < 200:
            return resp
        te = (resp.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    if not self._fill():
                        raise ConnectionError("closed inside chunked body")
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while b"\r\n" not in self.buf:
                        if not self._fill():
                            raise ConnectionError("closed before chunked trailer")
                    # Skip trailers (none expected) up to the blank line.
                    while not self.buf.startswith(b"\r\n"):
                        if b"\r\n\r\n" in self.buf:
                            self.buf = self.buf.split(b"\r\n\r\n", 1)[1]
                            break
                        if not self._fill():
                            raise ConnectionError("closed in trailer")
                    else:
                        self.buf = self.buf[2:]
                    break
                while len(self.buf) < size + 2:
                    if not self._fill():
                        raise ConnectionError("closed inside chunk")
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
            resp.body = body
            return resp
        cl = resp.header("content-length")
        if cl is not None:
            n = int(cl)
            while len(self.buf) < n:
                if not self._fill():
                    raise ConnectionError(f"closed after {len(self.buf)} of {n} body bytes")
            resp.body, self.buf = self.buf[:n], self.buf[n:]
            return resp
        # No framing: the body runs to the end of the connection.
        while self._fill():
            pass
        resp.body, self.buf = self.buf, b""
        return resp

    def wait_closed(self, timeout: float) -> bool:
        """True when the peer closes (EOF or reset) within `timeout` s; extra bytes are kept in buf."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                if not self._fill():
                    return True
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True


# ---------------------------------------------------------------------------------------------
# The server under test


def run_cli(args: list[str], input: str | None = None, env: dict | None = None,
            timeout: float = 30.0) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([str(binary_path())] + [str(a) for a in args], input=input,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


@dataclass
class Server:
    """A `calipso serve` process with its own config file, data dir and database."""

    workdir: Path
    db_url: str
    db_name: str = ""
    config: dict = field(default_factory=dict)  # merged over the defaults below
    env: dict = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None
    _token: str | None = None

    def __post_init__(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(exist_ok=True)
        if not self.port:
            self.port = free_port()
        cfg = {
            "data_dir": str(self.data_dir),
            "server": {"host": "127.0.0.1", "port": self.port, "threads": 2},
            "database": {"url": self.db_url},
            "site": {"name": "Calipso Test Site"},
        }
        for k, v in self.config.items():
            if isinstance(v, dict):
                cfg.setdefault(k, {}).update(v)
            else:
                cfg[k] = v
        self.config = cfg
        self.config_path = self.workdir / "calipso.toml"
        self.config_path.write_text(toml_dump(cfg))
        self.stdout_path = self.workdir / "stdout.log"
        self.stderr_path = self.workdir / "stderr.log"

    # -- process ------------------------------------------------------------------------------

    def spawn(self, extra_args: tuple[str, ...] = ()):
        env = dict(os.environ)
        env.update(self.env)
        self._close_logs()
        self._out = open(self.stdout_path, "ab")
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [str(binary_path()), "serve", "--config", str(self.config_path), *extra_args],
            stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL, env=env)
        self.started_at = time.monotonic()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self._close_logs()
                self.proc = None  # reported here; nothing left for the teardown to stop
                raise AssertionError(
                    f"calipso serve exited with {code} before becoming healthy\n"
                    f"stderr:\n{self.stderr()}\nstdout:\n{self.stdout()}")
            try:
                r = self.get("/healthz", timeout=2)
                if r.status == 200:
                    return
                last = r
            except OSError as e:
                last = e
            time.sleep(0.05)
        self.kill()
        self.proc = None
        raise AssertionError(
            f"calipso serve not healthy after {timeout}s (last: {last!r})\n"
            f"stderr:\n{self.stderr()}\nstdout:\n{self.stdout()}")

    def start(self):
        self.spawn()
        self.wait_ready()
        return self

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait; returns the exit code (kills and fails on a hang)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"calipso serve did not exit within {timeout}s of SIGTERM\n"
                                     f"stderr:\n{self.stderr()[-4000:]}")
        self._close_logs()
        return self.proc.returncode

    def stop(self):
        """Teardown: SIGTERM and assert a clean exit (code 0)."""
        if self.proc is None:
            return
        code = self.terminate()
        self.proc = None
        assert code == 0, f"calipso serve exited with {code} after SIGTERM\nstderr:\n{self.stderr()[-4000:]}"

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_logs()

    def _close_logs(self):
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f and not f.closed:
                f.close()

    # -- CLI ----------------------------------------------------------------------------------

    def cli(self, *args, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        """Runs `calipso WORDS --config FILE OPTIONS` (the config goes right after the subcommand words)."""
        e = dict(self.env)
        if env:
            e.update(env)
        args = [str(a) for a in args]
        at = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
        return run_cli(args[:at] + ["--config", str(self.config_path)] + args[at:], input=input, env=e)

    def add_user(self, email: str, password: str = "correct horse battery staple",
                 role: str = "administrator") -> subprocess.CompletedProcess:
        return self.cli("user", "add", "--email", email, "--password-stdin", "--role", role,
                        input=password + "\n")

    def create_token(self, email: str) -> str:
        r = self.cli("token", "create", "--user", email)
        assert r.returncode == 0, f"token create failed: {r.stderr}"
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        assert lines, f"token create printed nothing: {r!r}"
        token = lines[-1].strip()
        assert token and " " not in token, f"last line is not a bare token: {lines[-1]!r}"
        return token

    @property
    def token(self) -> str:
        """An administrator's API token (user created on first use)."""
        if self._token is None:
            email = f"admin-{secrets.token_hex(3)}@example.com"
            r = self.add_user(email)
            assert r.returncode == 0, f"user add failed ({r.returncode}): {r.stderr}"
            self._token = self.create_token(email)
        return self._token

    # -- HTTP ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                timeout: float = 10.0, auth: bool | str = False) -> Response:
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if auth:
            hdrs["Authorization"] = "Bearer " + (auth if isinstance(auth, str) else self.token)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, list(r.getheaders()), data, r.reason)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def raw(self, timeout: float = 5.0, rcvbuf: int | None = None) -> RawConn:
        return RawConn(self.port, timeout=timeout, rcvbuf=rcvbuf)

    # -- content via the API ------------------------------------------------------------------

    def create_content(self, title: str, body: str = "", status: str = "published", **extra) -> dict:
        payload = {"title": title, "body": body, "status": status, **extra}
        r = self.post("/api/v1/content", payload, auth=True)
        assert r.status == 201, r
        item = item_of(r.json())
        assert "id" in item and "alias" in item, r
        return item


def gunzip(data: bytes) -> bytes:
    return gzip.decompress(data)


def which(name: str) -> str | None:
    return shutil.which(name)
