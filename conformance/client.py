"""HTTP client for one actor: base URL, timeouts, typed calls, and a redacted transcript of every exchange.

Every request has a deadline (the configured timeout), so a target that hangs costs one timeout per affected
check, never the run. Transport problems become ``TargetError`` with one sentence; checks turn them into failures.
Every request goes through ``conformance.transport.GuardedTransport``: to the target's origin only, redirects
followed only within it, every answer bounded (tested against tests/hostile/); what it finds fails its own requirement
(``conformance.checks.transport``) and reaches the transcript like any answered exchange.
"""

from __future__ import annotations

import email.utils
import json
import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from conformance import __version__
from conformance.checks.transport import Seen, TransportFailure
from conformance.config import Actor, Space
from conformance.redaction import Redactor
from conformance.transport import (  # noqa: F401 - re-exported: callers import them here
    GuardedTransport,
    RefusedToSend,
    ResponseLimits,
    TotalTimeout,
    guarded_session,
    tls_context,
)

if TYPE_CHECKING:
    import requests

    from conformance.config import Settings

USER_AGENT = f"voice-api-conformance/{__version__}"
BODY_EXCERPT = 600


class TargetError(Exception):
    """The target could not be reached or did not answer in time; the message says which and where."""


class TargetDown(TargetError):
    """The target has stopped answering altogether (not one endpoint): nothing is decided from here on."""


class ReadOnlyViolation(RuntimeError):
    """A check tried to write during a ``--read-only`` run (a check marked ``readonly`` that is not): a suite bug,
    stopped before the request leaves."""


#: Methods that change nothing (RFC 9110 §9.2.1) and may be sent again after a dropped connection.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The one write a read-only run still makes: exchanging credentials for a session token.
SIGN_IN = ("POST", "auth/credentials")
_RETRY_BACKOFF_S = 0.2
TOTAL_TIMEOUT_FACTOR = 6
"""A whole exchange (sending the body, waiting for and reading the headers and the answer) may take this many
``timeout``s: each wait is bounded by ``timeout`` itself, and this bounds a target that trickles its answer, or
its headers, a byte at a time (every wait short, the whole endless) while leaving room for a large upload over a
slow link."""


class Throttle:
    """An optional request-rate limit for shared staging: at most ``rate`` requests per second from this process,
    spaced evenly (the next request waits for its slot; nothing is dropped). ``rate`` 0 means no limit."""

    def __init__(self, rate: float = 0.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Block until this request's slot."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


_SERVER_TIMING_DUR = re.compile(r"(?:^|[;,])\s*dur=([0-9.]+)")


def server_time_s(headers: Mapping[str, str]) -> float | None:
    """The server's own time for a response, from ``Server-Timing`` (the sum of its ``dur`` metrics, in s)."""
    value = headers.get("server-timing")
    if not value:
        return None
    durations = [float(d) for d in _SERVER_TIMING_DUR.findall(value)]
    return sum(durations) / 1000 if durations else None


class RequestStats:
    """How many requests the run sent, how many were retries, and the time spent on each side of the wire (the
    server's from ``Server-Timing``, when it sends one): the suite's overhead is visible in every certification."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = self.retries = self.timed = self.timeouts = 0
        self.client_s = self.server_s = 0.0

    def record(self, elapsed_s: float, headers: Mapping[str, str]) -> None:
        """One answered request."""
        server = server_time_s(headers)
        with self._lock:
            self.requests += 1
            self.client_s += elapsed_s
            if server is not None:
                self.timed += 1
                self.server_s += server

    def timed_out(self) -> None:
        """One request that got no answer within the timeout."""
        with self._lock:
            self.timeouts += 1

    def retried(self) -> None:
        """One more attempt of a request."""
        with self._lock:
            self.retries += 1

    def merge(self, other: Mapping[str, Any]) -> None:
        """Add a worker's figures (its ``as_dict``)."""
        with self._lock:
            for name in ("requests", "retries", "timed", "timeouts"):
                setattr(self, name, getattr(self, name) + int(other.get(name, 0)))
            self.client_s += float(other.get("client_s", 0.0))
            self.server_s += float(other.get("server_s", 0.0))

    def as_dict(self) -> dict[str, Any]:
        """Plain figures for the certification summary."""
        with self._lock:
            return {"requests": self.requests, "retries": self.retries, "timeouts": self.timeouts, "timed": self.timed,
                    "client_s": round(self.client_s, 3), "server_s": round(self.server_s, 3)}


def retry_after_s(value: str | None, default: float) -> float:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); ``default`` when absent or
    unreadable."""
    if value is None:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass(slots=True)
class Exchange:
    """One request and its response, kept for reports (always rendered through the redactor)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    response_body: bytes
    elapsed_s: float
    redirects: tuple[str, ...] = ()  # earlier URLs of this exchange, redirected (within the origin) to ``url``
    stopped: str = ""  # why the answer was not read to its end (the transport's finding), if it was not

    @classmethod
    def stopped_by(cls, failure: TransportFailure, request_body: bytes = b"") -> Exchange:
        """An exchange the transport stopped: what was read of it, and why reading stopped."""
        seen: Seen = failure.seen
        return cls(method=seen.method, url=seen.url, request_headers=seen.request_headers, request_body=request_body,
                   status=seen.status, response_headers=seen.response_headers, response_body=seen.body_head,
                   elapsed_s=seen.elapsed_s, redirects=seen.redirects, stopped=failure.title)

    def render(self, redact: Redactor) -> str:
        """A short, redacted transcript: request line, status, headers, body excerpts and a curl repro."""
        lines = [f"> {self.method} {url} (redirected)" for url in self.redirects]
        lines.append(f"> {self.method} {self.url}")
        lines += [f"> {k}: {v}" for k, v in redact.headers(self.request_headers)]
        if self.request_body:
            lines.append(f"> [{len(self.request_body)} bytes] {_excerpt(self.request_body, 200)}")
        lines.append(f"< {self.status} ({self.elapsed_s * 1000:.0f} ms)")
        lines += [f"< {k}: {v}" for k, v in redact.headers(self.response_headers)]
        if self.response_body:
            lines.append(f"< [{len(self.response_body)} bytes] {_excerpt(self.response_body)}")
        if self.stopped:
            lines.append(f"< [{self.stopped}]")
        lines.append(f"$ {self.curl()}")
        return redact("\n".join(lines))

    def curl(self) -> str:
        """A curl command that repeats the request, with the token left as ``$TOKEN``."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for key, value in self.request_headers:
            if key.lower() == "authorization":
                parts += ["-H", '"Authorization: Bearer $TOKEN"']
            elif key.lower() in ("content-type",):
                parts += ["-H", shlex.quote(f"{key}: {value}")]
        if self.request_body:
            parts += ["--data-binary", "@body.json" if len(self.request_body) > 200 else shlex.quote(
                self.request_body.decode("utf-8", "replace"))]
        return " ".join(parts)


def _excerpt(body: bytes, limit: int = BODY_EXCERPT) -> str:
    text = body[:limit].decode("utf-8", "replace")
    if not text.isprintable() and any(ord(c) < 9 for c in text):
        return "<binary>"
    return text + ("…" if len(body) > limit else "")


@dataclass(slots=True)
class Transcript:
    """The exchanges of the current test; the plugin clears it per test and attaches it to the report."""

    exchanges: list[Exchange] = field(default_factory=list)
    limit: int = 40

    def add(self, exchange: Exchange) -> None:
        """Keep the most recent exchanges only (a test may poll many times)."""
        self.exchanges.append(exchange)
        del self.exchanges[: -self.limit]

    def include(self, exchanges: list[Exchange]) -> None:
        """Show exchanges made earlier (a cached upload) in this test's transcript, once each."""
        for exchange in exchanges:
            if not any(exchange is seen for seen in self.exchanges):
                self.add(exchange)


class HangGuard:
    """Remembers endpoints that stopped answering, so a target that hangs on one endpoint costs a couple of
    timeouts in all, not one per check: after ``limit`` timeouts of one operation (method + path template), further
    calls to it fail at once with the same verdict. Other endpoints are unaffected — unless ``down_after``
    timeouts in a row, of any operations, with no answer between them: then the target has stopped answering
    altogether, and every further call fails at once (the run ends with undecided checks, not hours of timeouts).
    """

    def __init__(self, limit: int = 2, down_after: int = 4) -> None:
        self.limit = limit
        self.down_after = down_after
        self._lock = threading.Lock()
        self._timeouts: dict[str, int] = {}
        self._in_a_row = 0

    @staticmethod
    def operation(method: str, path: str) -> str:
        """``GET spaces/{owner}/{space}/audios/{audio}/file`` for any concrete path of that shape."""
        template = re.sub(r"^/?spaces/[^/]+/[^/]+", "spaces/{owner}/{space}", path.split("?", 1)[0])
        template = re.sub(r"/audios/[^/]+", "/audios/{audio}", template)
        template = re.sub(r"/keys/[^/]+", "/keys/{key}", template)
        return f"{method} {template}"

    def check(self, operation: str, timeout: float) -> None:
        """Raise ``TargetError`` at once when this operation has already hung ``limit`` times."""
        with self._lock:
            count = self._timeouts.get(operation, 0)
            in_a_row = self._in_a_row
        if in_a_row >= self.down_after:
            raise TargetDown(f"the target stopped answering ({in_a_row} requests in a row got no answer within "
                              f"{timeout:g} s); {operation} not sent")
        if count >= self.limit:
            raise TargetError(f"{operation} did not answer within {timeout:g} s ({count} times already); "
                              "not sent again")

    def timed_out(self, operation: str) -> None:
        """Count one more timeout of ``operation``."""
        with self._lock:
            self._timeouts[operation] = self._timeouts.get(operation, 0) + 1
            self._in_a_row += 1

    def answered(self) -> None:
        """The target answered something: it has not stopped altogether."""
        with self._lock:
            self._in_a_row = 0


def transport_options(settings: Settings) -> dict[str, Any]:
    """The configuration's transport rules as client options: response limits (from the profile, or
    ``max_response_bytes``) and whether plain http may carry a token to a non-loopback host."""
    return {"limits": ResponseLimits.for_profile(settings.profile, settings.max_response_bytes),
            "allow_insecure_http": settings.allow_insecure_http}


def space_path(space: Space) -> str:
    """``spaces/{owner}/{space}`` with each segment percent-encoded (handles are path segments)."""
    return f"spaces/{quote(space.owner, safe='')}/{quote(space.space, safe='')}"


class ApiClient:
    """Calls the target as one actor. ``token`` None sends no ``Authorization`` header at all."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        token: str | None,
        transcript: Transcript,
        authorization: str | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        hang_guard: HangGuard | None = None,
        throttle: Throttle | None = None,
        stats: RequestStats | None = None,
        retries: int = 0,
        retry_after_cap: float = 30.0,
        read_only: bool = False,
        limits: ResponseLimits | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.transcript = transcript
        self.last_exchange: Exchange | None = None
        self.retries = retries
        self.retry_after_cap = retry_after_cap
        self.read_only = read_only
        self._hang_guard = hang_guard or HangGuard()
        self._throttle = throttle or Throttle()
        self._stats = stats or RequestStats()
        self._on_exchange = on_exchange
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json, */*"}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        # redirects are followed by the transport, within the target's origin only
        self._transport = GuardedTransport(origin=self.base_url, total_s=timeout * TOTAL_TIMEOUT_FACTOR,
                                           limits=limits, allow_insecure_http=allow_insecure_http)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout),
                                  follow_redirects=False, transport=self._transport)

    @property
    def hang_guard(self) -> HangGuard:
        """The run's record of endpoints that stopped answering (shared by every client of the run)."""
        return self._hang_guard

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    def requests_session(self) -> requests.Session:
        """A ``requests`` session through this client's transport (origin, redirects, bounds, deadline): the
        property runs hand it to schemathesis, whose calls then obey the rules of the suite's own."""
        return guarded_session(self._transport, self.timeout)

    def request(self, method: str, path: str, *, json_body: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """Send one request; transport failures and timeouts raise ``TargetError``.

        Retries are bounded (``retries``) and never duplicate a write: a safe method is sent again after a dropped
        connection or a 503 with ``Retry-After``; any method after a 429, which refuses the request before
        processing it (RFC 6585 §4), waiting what ``Retry-After`` asks up to ``retry_after_cap``. A timeout is
        never retried: a hanging endpoint costs one timeout per call, and the hang guard stops calling it.
        """
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        if self.read_only and method not in SAFE_METHODS and (method, path.strip("/")) != SIGN_IN:
            raise ReadOnlyViolation(f"{method} {path}: a read-only run sends no writes")
        operation = HangGuard.operation(method, path)
        safe = method in SAFE_METHODS
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            self._hang_guard.check(operation, self.timeout)
            self._throttle.wait()
            try:
                response = self._http.request(method, path.lstrip("/"), content=content, headers=headers,
                                              params=params)
            except httpx.TimeoutException as exc:
                self._hang_guard.timed_out(operation)
                self._stats.timed_out()
                if isinstance(exc, TotalTimeout):
                    raise TargetError(f"{method} {self.base_url}{path} did not finish answering within "
                                      f"{self.timeout * TOTAL_TIMEOUT_FACTOR:g} s") from None
                raise TargetError(f"{method} {self.base_url}{path} did not answer within {self.timeout:g} s") from None
            except TransportFailure as failure:  # answered, but the answer is stopped: its own requirement fails
                self._hang_guard.answered()
                self._keep_seen(content, failure)
                raise
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
                if safe and not last:
                    self._stats.retried()
                    time.sleep(_RETRY_BACKOFF_S * 2**attempt)
                    continue
                raise TargetError(f"{method} {self.base_url}{path} failed: {type(exc).__name__}: {exc}") from None
            except httpx.HTTPError as exc:
                raise TargetError(f"{method} {self.base_url}{path} failed: {type(exc).__name__}: {exc}") from None
            self._hang_guard.answered()
            self._keep(method, content, response)
            if response.status_code == 429 or (response.status_code == 503 and safe
                                                and "retry-after" in response.headers):
                wait = retry_after_s(response.headers.get("retry-after"), default=_RETRY_BACKOFF_S * 2**attempt)
                if wait > self.retry_after_cap:
                    raise TargetError(f"{method} {self.base_url}{path} answered {response.status_code} asking to "
                                      f"wait {wait:.0f} s, more than the {self.retry_after_cap:g} s cap")
                if last:
                    raise TargetError(f"{method} {self.base_url}{path} still answered {response.status_code} after "
                                      f"{self.retries} retries")
                self._stats.retried()
                time.sleep(wait)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _keep(self, method: str, content: bytes | None, response: httpx.Response) -> None:
        """Record an answered exchange: transcript, statistics, listener."""
        exchange = Exchange(
            method=method, url=str(response.request.url), request_headers=list(response.request.headers.items()),
            request_body=content or b"", status=response.status_code, response_headers=list(response.headers.items()),
            response_body=response.content, elapsed_s=response.elapsed.total_seconds(),
            redirects=tuple(response.extensions.get("conformance_redirects", ())),
        )
        self._record(exchange, response.headers)

    def _keep_seen(self, content: bytes | None, failure: TransportFailure) -> None:
        """Record an exchange the transport stopped (what was read of it, and why it stopped)."""
        self._record(Exchange.stopped_by(failure, content or b""), httpx.Headers(failure.seen.response_headers))

    def _record(self, exchange: Exchange, headers: Mapping[str, str]) -> None:
        self.transcript.add(exchange)
        self.last_exchange = exchange
        self._stats.record(exchange.elapsed_s, headers)
        if self._on_exchange is not None:
            self._on_exchange(exchange)

    # --- the audio workflow ------------------------------------------------------------------------------
    def create_audio(self, space: Space, body: Any) -> httpx.Response:
        """``POST /spaces/{owner}/{space}/audios`` with a JSON body (a dict, or raw bytes for malformed cases)."""
        if isinstance(body, bytes):
            return self.request("POST", f"{space_path(space)}/audios", content=body,
                                headers={"Content-Type": "application/json"})
        return self.request("POST", f"{space_path(space)}/audios", json_body=body)

    def get_audio(self, space: Space, handle: str) -> httpx.Response:
        """``GET /spaces/{owner}/{space}/audios/{audio}``."""
        return self.request("GET", f"{space_path(space)}/audios/{quote(handle, safe='')}")

    def get_audio_file(self, space: Space, handle: str) -> httpx.Response:
        """``GET /spaces/{owner}/{space}/audios/{audio}/file``."""
        return self.request("GET", f"{space_path(space)}/audios/{quote(handle, safe='')}/file",
                            headers={"Accept": "audio/wav, */*"})

    def delete_audio(self, space: Space, handle: str) -> httpx.Response:
        """``DELETE /spaces/{owner}/{space}/audios/{audio}`` (a capability)."""
        return self.request("DELETE", f"{space_path(space)}/audios/{quote(handle, safe='')}")

    def list_audios(self, space: Space, **params: Any) -> httpx.Response:
        """``GET /spaces/{owner}/{space}/audios`` with query parameters (``page_size`` → ``page-size``)."""
        query = {k.replace("_", "-"): v for k, v in params.items() if v is not None}
        return self.request("GET", f"{space_path(space)}/audios", params=query)

    def patch_audio(self, space: Space, handle: str, body: Any) -> httpx.Response:
        """``PATCH /spaces/{owner}/{space}/audios/{audio}`` with a JSON body (e.g. ``{"alias": ...}``)."""
        return self.request("PATCH", f"{space_path(space)}/audios/{quote(handle, safe='')}", json_body=body)

    def upload_audio_file(self, space: Space, handle: str, data: bytes,
                          content_type: str = "application/octet-stream") -> httpx.Response:
        """``POST /spaces/{owner}/{space}/audios/{audio}/file`` with the raw media (a capability)."""
        return self.request("POST", f"{space_path(space)}/audios/{quote(handle, safe='')}/file", content=data,
                            headers={"Content-Type": content_type})

    def create_key(self, handle: str, alias: str | None = None) -> httpx.Response:
        """``POST /user/keys`` (a capability): a new API key of the caller, its token in the answer."""
        return self.request("POST", "user/keys", json_body={"handle": handle, "alias": alias})

    def delete_key(self, handle: str) -> httpx.Response:
        """``DELETE /user/keys/{key}`` (a capability): the key's token stops working."""
        return self.request("DELETE", f"user/keys/{quote(handle, safe='')}")

    def get_key(self, handle: str) -> httpx.Response:
        """``GET /user/keys/{key}``: the caller's API key, its token included."""
        return self.request("GET", f"user/keys/{quote(handle, safe='')}")

    def get_user(self) -> httpx.Response:
        """``GET /user``: the caller."""
        return self.request("GET", "user")

    def post_credentials(self, body: Any) -> httpx.Response:
        """``POST /auth/credentials`` with an arbitrary JSON body (for incomplete or wrong credentials)."""
        return self.request("POST", "auth/credentials", json_body=body)

    def sign_in(self, handle: str, password: str) -> httpx.Response:
        """``POST /auth/credentials``."""
        return self.request("POST", "auth/credentials", json_body={"handle": handle, "password": password})


def session_token(*, base_url: str, timeout: float, actor: Actor, transcript: Transcript, **options: Any) -> str:
    """The actor's bearer token: the configured one, or a session token from its credentials (``options`` are
    the run's other client options: throttle, statistics, hang guard)."""
    if actor.token:
        return actor.token
    client = ApiClient(base_url=base_url, timeout=timeout, token=None, transcript=transcript, **options)
    try:
        response = client.sign_in(actor.handle or "", actor.password or "")
    finally:
        client.close()
    if response.status_code != 200:
        raise TargetError(f"signing in as actor {actor.name!r} ({actor.handle}) answered {response.status_code}")
    try:
        token = response.json()["token"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise TargetError(f"signing in as actor {actor.name!r} gave no token in the answer") from None
    if not isinstance(token, str) or not token:
        raise TargetError(f"signing in as actor {actor.name!r} gave an empty token")
    return token
