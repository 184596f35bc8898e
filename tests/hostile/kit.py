"""A hostile-target kit: loopback servers that misbehave one way each, and a front for a real reference server.

:class:`Front` sits before a real reference server: it forwards everything and misbehaves on one route, each way
of misbehaving a named :class:`Behaviour` (a redirect elsewhere, a gzip bomb, an endless body, oversized, deep or
malformed JSON, trickled headers, a short body, script everywhere). A :class:`Catcher` on another host and port
records any ``Authorization`` it receives (the cross-origin redirect points there). :func:`run_suite` runs the
real ``conformance`` command against it and measures the child's peak RSS (``wait4``'s ``ru_maxrss``), killing it
past a bound: against a suite without bounds, a gzip bomb or an endless body takes gigabytes within seconds
(benchmarks/README.md, figure e), which would take a shared CI machine down with it.

Everything here is plain ``http.server`` on 127.0.0.0/8, no third-party code: the kit is ours to read.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MiB = 1 << 20
GiB = 1 << 30
DETAILS = r"^/v1/spaces/[^/]+/[^/]+/audios/[^/]+/?$"  # GET …/audios/{audio} (and its path variants)
FILE = r"^/v1/spaces/[^/]+/[^/]+/audios/[^/]+/file/?$"  # GET …/audios/{audio}/file
ANY = r"^/"
CATCHER_HOST = "127.0.0.2"  # another host than the front's 127.0.0.1 (and another port): another origin
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade"}


def payload(where: str) -> str:
    """Markup that runs script if a report ever renders it unescaped (each shape a different injection point:
    element, attribute break-out, event handler, URL); ``xss-<where>`` names it in a dialog or the console."""
    return (f"\"'><script>alert('xss-{where}')</script><img src=x onerror=\"alert('xss-{where}')\">"
            f"<svg onload=console.error('xss-{where}')></svg><a href=\"javascript:alert('xss-{where}')\">x</a>")


# --- servers -----------------------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is what the kit provokes (the suite must stop reading): not an error."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], host: str, owner: Any) -> Iterator[_Server]:
    server = _Server((host, 0), handler)
    server.owner = owner  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        owner.stopping.set()
        server.shutdown()
        server.server_close()


class _AnsweringHandler(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler for every method: reads the body, then sends what :meth:`answer` returns."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        raise NotImplementedError

    def _any(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, body = self.answer(self.path.split("?", 1)[0])
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _any


class Catcher:
    """Another origin (``127.0.0.2``, its own port) that answers ``200 {}`` and records what reaches it: any
    ``Authorization`` there is a token the suite handed to someone other than its target."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.authorizations: list[str] = []
        self.stopping = threading.Event()
        self.url = ""

    @contextmanager
    def running(self) -> Iterator[Catcher]:
        """Serve while the ``with`` block runs."""
        catcher = self

        class Handler(_AnsweringHandler):
            def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
                catcher.requests.append(f"{self.command} {self.path}")
                if self.headers.get("Authorization"):
                    catcher.authorizations.append(self.headers["Authorization"])
                return 200, [("Content-Type", "application/json")], b"{}"

        with _serving(Handler, CATCHER_HOST, self) as server:
            self.url = f"http://{CATCHER_HOST}:{server.server_address[1]}"
            yield self


class Canned:
    """A tiny target for unit-level tests: answers each path from ``answers`` (status, headers, body), anything
    else with an audio's details as JSON; records the ``Authorization`` of every request."""

    DETAILS = {"id": "6c1c1c8e-7d5a-4a39-9a43-1c8b7f0e2b11", "handle": "h-1", "alias": "a", "state": "available"}

    def __init__(self, answers: dict[str, tuple[int, list[tuple[str, str]], bytes]] | None = None) -> None:
        self.answers = answers or {}
        self.received: list[tuple[str, str | None]] = []
        self.stopping = threading.Event()
        self.url = ""

    @contextmanager
    def running(self) -> Iterator[Canned]:
        """Serve on 127.0.0.1 while the ``with`` block runs."""
        canned = self

        class Handler(_AnsweringHandler):
            def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
                canned.received.append((f"{self.command} {path}", self.headers.get("Authorization")))
                return canned.answers.get(path, (200, [("Content-Type", "application/json")],
                                                 json.dumps(Canned.DETAILS).encode()))

        with _serving(Handler, "127.0.0.1", self) as server:
            self.url = f"http://127.0.0.1:{server.server_address[1]}"
            yield self


Act = Callable[["_FrontHandler", "Front", bytes], None]


@dataclass(frozen=True)
class Behaviour:
    """One way of misbehaving, on one route: ``act`` answers instead of (or on top of) the reference server."""

    name: str
    method: str
    route: str
    act: Act
    summary: str


@dataclass
class Front:
    """Forwards every request to ``upstream`` (a reference server's base URL) and misbehaves as ``behaviour`` on
    its route. ``hits`` counts the requests it misbehaved on (a test can tell the route was exercised)."""

    upstream: str
    behaviour: Behaviour
    catcher: Catcher | None = None
    hits: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    base_url: str = ""
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def running(self) -> Iterator[Front]:
        """Serve on 127.0.0.1 while the ``with`` block runs."""
        with _serving(_FrontHandler, "127.0.0.1", self) as server:
            self.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
            yield self

    def matches(self, method: str, path: str) -> bool:
        return method == self.behaviour.method and re.search(self.behaviour.route, path) is not None

    def upstream_answer(self, handler: _FrontHandler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """What the reference server answers to this request (the Host header is passed through, so that its own
        redirects point at the front)."""
        for attempt in range(2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                parts = urlsplit(self.upstream)
                connection = self._local.connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                                                 timeout=120)
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            try:
                connection.request(handler.command, handler.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                self._local.connection = None
                if attempt:
                    raise
                continue
            return answer.status, [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP], data
        raise AssertionError("unreachable")


class _FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    @property
    def front(self) -> Front:
        return self.server.owner  # type: ignore[attr-defined, no-any-return]

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        front = self.front
        if front.matches(self.command, self.path.split("?", 1)[0]):
            with front._lock:
                front.hits += 1
            front.behaviour.act(self, front, body)
            return
        self.answer(*front.upstream_answer(self, body))

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = _any

    def answer(self, status: int, headers: list[tuple[str, str]], data: bytes, *, length: int | None = None,
               close: bool = False) -> None:
        """Status, headers and body as given (``length``: the Content-Length to claim, default the true one)."""
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            for start in range(0, len(data), MiB):
                self.wfile.write(data[start : start + MiB])


# --- the behaviours ------------------------------------------------------------------------------------------------
def _redirect_elsewhere(handler: _FrontHandler, front: Front, body: bytes) -> None:
    assert front.catcher is not None
    handler.answer(307, [("Location", front.catcher.url + handler.path)], b"")


@functools.cache
def gzip_bomb(inflated: int = GiB, chunk: int = MiB) -> bytes:
    """About 1 MiB of gzip that inflates to ``inflated`` zero bytes. Each ``chunk`` is compressed once and the
    block repeated (a full flush makes the blocks independent), so building it costs a second, not minutes."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = deflate.compress(bytes(chunk)) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zeros = bytes(chunk)
    for _ in range(inflated // chunk):
        crc = zlib.crc32(zeros, crc)
    tail = deflate.flush(zlib.Z_FINISH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * (inflated // chunk) + tail + struct.pack("<II", crc, inflated & 0xFFFFFFFF)


def _gzip_bomb(handler: _FrontHandler, front: Front, body: bytes) -> None:
    handler.answer(200, [("Content-Type", "audio/wav"), ("Content-Encoding", "gzip")], gzip_bomb(), close=True)


def wav_header(data_bytes: int = 0xFFFFFFFF - 36, rate: int = 16000) -> bytes:
    """A PCM16 mono WAV header claiming ``data_bytes`` of samples (the endless body's first bytes)."""
    return (b"RIFF" + struct.pack("<I", (data_bytes + 36) & 0xFFFFFFFF) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", data_bytes))


def endless_body(handler: _FrontHandler, front: Front, body: bytes) -> None:
    handler.send_response_only(200)
    handler.send_header("Content-Type", "audio/wav")
    handler.send_header("Connection", "close")  # no length: the body ends when the connection does (never)
    handler.end_headers()
    handler.close_connection = True
    zeros = bytes(256 * 1024)
    try:
        handler.wfile.write(wav_header())
        while not front.stopping.is_set():
            handler.wfile.write(zeros)
    except OSError:
        pass  # the client stopped reading: what the suite must do


def _upstream_json(handler: _FrontHandler, front: Front, body: bytes) -> tuple[int, list[tuple[str, str]], Any]:
    status, headers, data = front.upstream_answer(handler, body)
    try:
        return status, headers, json.loads(data)
    except ValueError:
        return status, headers, None


@functools.cache
def _padding() -> bytes:
    return b', "padding": "' + b"x" * (50 * MiB) + b'"}'


def _huge_json(handler: _FrontHandler, front: Front, body: bytes) -> None:
    status, headers, details = _upstream_json(handler, front, body)
    start = json.dumps(details if isinstance(details, dict) else {"answer": details}).encode()
    handler.answer(status, headers, start[:-1] + _padding())  # the audio, plus a 50 MiB member


def _deep_json(handler: _FrontHandler, front: Front, body: bytes) -> None:
    handler.answer(200, [("Content-Type", "application/json")], b"[" * 100_000 + b"]" * 100_000)


def _with_strings(handler: _FrontHandler, front: Front, body: bytes, alias: bytes, state: bytes) -> None:
    status, headers, details = _upstream_json(handler, front, body)
    if not isinstance(details, dict):
        handler.answer(status, headers, json.dumps(details).encode())
        return
    data = json.dumps({**details, "alias": "@ALIAS@", "state": "@STATE@"}).encode()
    handler.answer(status, headers, data.replace(b'"@ALIAS@"', alias).replace(b'"@STATE@"', state))


def _invalid_utf8(handler: _FrontHandler, front: Front, body: bytes) -> None:
    # bytes that are no UTF-8 (a lone continuation, an overlong form, an encoded surrogate) inside JSON strings
    _with_strings(handler, front, body, b'"bad \xff\xfe \xc0\xaf alias"', b'"\xed\xa0\x80available"')


def _lone_surrogates(handler: _FrontHandler, front: Front, body: bytes) -> None:
    # valid JSON, valid UTF-8: escapes of UTF-16 halves without their pair, which no UTF-8 text can hold
    _with_strings(handler, front, body, b'"lone \\ud800 high and \\udfff low"', b'"\\udc80"')


def _trickle_headers(handler: _FrontHandler, front: Front, body: bytes) -> None:
    handler.close_connection = True
    head = b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nX-Trickle: " + b"a" * 10_000
    try:
        for byte in head:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if front.stopping.wait(1.0):
                return
    except OSError:
        pass  # the client gave up: what the suite must do


def _short_body(handler: _FrontHandler, front: Front, body: bytes) -> None:
    status, headers, data = front.upstream_answer(handler, body)
    handler.answer(status, headers, data, length=len(data) + 1000, close=True)


def _inject(value: Any, where: str = "body") -> Any:
    if isinstance(value, str):
        return value + payload(where)
    if isinstance(value, dict):
        return {k: _inject(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_inject(v, where) for v in value]
    return value


def _script_everywhere(handler: _FrontHandler, front: Front, body: bytes) -> None:
    status, headers, data = front.upstream_answer(handler, body)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if content_type.startswith("application/") and "json" in content_type:
        try:
            data = json.dumps(_inject(json.loads(data))).encode()
        except ValueError:
            pass
    headers = [(k, f"{v}; x=\"{payload('content-type')}\"" if k.lower() == "content-type" else v)
               for k, v in headers if k.lower() != "server"]
    headers += [("X-Injected", payload("header")), ("Server", payload("server")),
                ("Link", f"<javascript:alert('xss-link')>; rel=\"{payload('link')}\"")]
    handler.answer(status, headers, data)


BEHAVIOURS: dict[str, Behaviour] = {b.name: b for b in (
    Behaviour("cross-origin-redirect", "GET", DETAILS, _redirect_elsewhere,
              "GET …/audios/{audio} answers 307 to another origin (host 127.0.0.2, its own port)"),
    Behaviour("gzip-bomb", "GET", FILE, _gzip_bomb, "GET …/file answers 1 MiB of gzip that inflates to 1 GiB"),
    Behaviour("endless-body", "GET", FILE, endless_body, "GET …/file streams a WAV without end at loopback speed"),
    Behaviour("huge-json", "GET", DETAILS, _huge_json, "GET …/audios/{audio} answers 50 MiB of JSON"),
    Behaviour("deep-json", "GET", DETAILS, _deep_json, "GET …/audios/{audio} answers JSON nested 100,000 deep"),
    Behaviour("invalid-utf8", "GET", DETAILS, _invalid_utf8, "alias and state hold bytes that are not UTF-8"),
    Behaviour("lone-surrogates", "GET", DETAILS, _lone_surrogates, "alias and state hold lone UTF-16 surrogates"),
    Behaviour("trickled-headers", "GET", FILE, _trickle_headers, "GET …/file trickles its headers a byte a second"),
    Behaviour("short-body", "GET", DETAILS, _short_body,
              "GET …/audios/{audio} claims a Content-Length 1000 bytes longer than its body"),
    Behaviour("script-everywhere", "GET", ANY, _script_everywhere,
              "every GET answer carries HTML and script in every JSON string and in its headers"),
)}


FORWARD_ONLY = Behaviour("forward-only", "-", ANY, lambda handler, front, body: None,
                         "forwards everything (no request has the method '-'): the baseline")


# --- running the suite, measured -----------------------------------------------------------------------------------
@dataclass
class SuiteRun:
    """A finished ``conformance`` run: exit code, output, wall time and the child's peak RSS (bytes)."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss: int
    killed: str = ""  # why the watchdog ended it, if it did

    @property
    def verdict(self) -> str:
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_suite(*args: str, env: dict[str, str] | None = None, timeout: float = 300, kill_rss: int = 2 * GiB,
              cwd: Path | None = None) -> SuiteRun:
    """``conformance ARGS`` in a fresh process (no ``CONFORMANCE_*`` from this environment). Its peak RSS comes
    from ``wait4``; a watchdog polling ``/proc`` kills it above ``kill_rss`` or after ``timeout`` seconds, so
    that a suite without bounds fails the test instead of exhausting the machine."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    command = [sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd,
                                   env={**clean, **(env or {})}, start_new_session=True)
        killed, peak = "", 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            rss = _rss(process.pid)
            peak = max(peak, rss)
            if rss > kill_rss and not killed:
                killed = f"RSS {rss / MiB:.0f} MiB > {kill_rss / MiB:.0f} MiB"
            elif time.monotonic() - started > timeout and not killed:
                killed = f"still running after {timeout:g} s"
            if killed:
                os.killpg(process.pid, signal.SIGKILL)
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return SuiteRun(returncode=process.returncode, stdout=out.read().decode("utf-8", "replace"),
                        stderr=err.read().decode("utf-8", "replace"), wall_s=wall,
                        peak_rss=max(peak, usage.ru_maxrss * 1024), killed=killed)


def front_config(reference_config: Path, front: Front, path: Path, *, timeout: float, extra: str = "") -> Path:
    """The reference server's own suite configuration, pointed at ``front`` instead (same actors and spaces)."""
    text = reference_config.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^base_url = ".*"$', f'base_url = "{front.base_url}"\ntimeout = {timeout}\n{extra}', text)
    path.write_text(text, encoding="utf-8")
    return path


def secrets_of(reference_config: Path) -> list[str]:
    """The tokens and passwords in a reference server's configuration (what must never leave the run)."""
    import tomllib

    config = tomllib.loads(reference_config.read_text(encoding="utf-8"))
    return [value for actor in config["actors"].values() for key, value in actor.items()
            if key in ("token", "password")]


def leaked(reports: Path, secrets: list[str], *blobs: str) -> list[str]:
    """Every artifact of a run (reports, Allure results, console output) that contains one of ``secrets``, as
    the existing secret scan does it (``tests/cli/test_cli.py``): bytes, whole tree."""
    found = []
    sources = [(str(p), p.read_bytes()) for p in reports.rglob("*") if p.is_file()]
    sources += [(f"output {i}", blob.encode("utf-8", "surrogateescape")) for i, blob in enumerate(blobs)]
    for name, data in sources:
        if any(secret.encode() in data for secret in secrets):
            found.append(name)
    return found
