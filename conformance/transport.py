"""The one transport every request of a run goes through: credentials stay with the target, answers stay bounded.

Users run the suite in shared CI with staging and production tokens against deployments that may be misconfigured
or behind proxies they do not control (``tests/hostile/kit.py`` plays such targets). So every exchange, whoever
makes it (the suite's client, the workflow steps, schemathesis in the property runs: :func:`guarded_session`
adapts ``requests`` to it), obeys:

- **Origin.** A request leaves only for the configured target's origin (scheme, host, port). A redirect is
  followed only within it (``TRANSPORT-REDIRECT-ORIGIN`` fails otherwise, and the redirect is not followed);
  a bearer token never travels over plain ``http`` to a host outside the loopback range unless the configuration
  says ``allow_insecure_http`` (``conformance/config.py`` refuses such a ``base_url`` first).
- **Size.** A body is read up to a limit derived from what the answer may legitimately be (``ResponseLimits``),
  counted after content decoding: the decoders here inflate a bounded piece at a time, so a gzip bomb costs at
  most its limit (``TRANSPORT-RESPONSE-BOUNDED`` fails beyond it).
- **Time.** A whole exchange, headers included, ends at its total deadline: httpx bounds each wait, not the
  whole, so a target trickling its status line a byte a second would otherwise hold the run forever. The network
  backend clamps every socket wait to what is left of the exchange's deadline.

httpx exposes no network-backend option, so this transport drives an ``httpcore.ConnectionPool`` itself (the
few lines httpx's own ``HTTPTransport.handle_request`` has), with httpx's exception types on the way out.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
import os
import ssl
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import certifi
import httpcore
import httpx
import requests
import requests.adapters
import requests.utils
import urllib3
from requests.structures import CaseInsensitiveDict

from conformance.checks.transport import Seen, answer_is_bounded, origin_of, redirect_stays_in_origin
from conformance.config import is_loopback

if TYPE_CHECKING:
    from conformance.profile import Profile

MiB = 1 << 20
JSON_MAX_BYTES = 4 * MiB
"""The largest JSON answer the API may legitimately give: a list page is at most 50 audios of well under a KiB each
(``conformance/spec/audio-api.openapi.yaml``), details or a problem body far less; 4 MiB leaves room for a
target's own extensions and still stops a runaway answer long before it costs memory."""
WAV_SLACK_BYTES = 1 * MiB
"""Room beyond the PCM samples of a stored WAV: its header and any metadata chunks (LIST/INFO, cue, fact)."""
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PIECE = 64 * 1024  # decoded bytes produced per step: what one step of a decompression bomb may cost
_DEADLINE: ContextVar[float | None] = ContextVar("conformance_exchange_deadline", default=None)


class TotalTimeout(httpx.ReadTimeout):
    """The answer kept coming, too slowly: the exchange exceeded its total deadline."""


class RefusedToSend(RuntimeError):
    """A request was stopped before it left: it was for another origin than the target's, or would have carried a
    credential over plain http to a host outside the loopback range (a suite bug, like ``ReadOnlyViolation``)."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the run: loading the CA bundle costs tens of milliseconds per client,
    and the suite makes one client per actor and per credential case (``SSL_CERT_FILE`` is honoured)."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or certifi.where())


@dataclass(frozen=True, slots=True)
class ResponseLimits:
    """The largest answer accepted, by what it is: the WAV of ``GET .../file``, or JSON (everything else).
    ``override`` is the configuration's ``max_response_bytes``, which sets both."""

    json_bytes: int = JSON_MAX_BYTES
    wav_bytes: int = 300 * 48000 * 2 + WAV_SLACK_BYTES  # the reference profile's 300 s at 48 kHz, PCM16 mono
    override: bool = False

    @classmethod
    def for_profile(cls, profile: Profile, max_response_bytes: int | None = None) -> ResponseLimits:
        """A stored WAV is PCM16 mono (``WAV-FORMAT``) of at most the profile's maximum duration at its maximum
        stored rate: 2 bytes a sample, plus header and slack."""
        if max_response_bytes is not None:
            return cls(json_bytes=max_response_bytes, wav_bytes=max_response_bytes, override=True)
        samples = math.ceil(profile.max_duration_s * profile.max_stored_sample_rate)
        return cls(wav_bytes=samples * 2 + WAV_SLACK_BYTES)

    def for_request(self, method: str, path: str) -> tuple[int, str]:
        """The limit for the answer to ``method path``, and why it is that."""
        if self.override:
            return self.json_bytes, "the configuration's max_response_bytes"
        if method.upper() == "GET" and path.rstrip("/").endswith("/file"):
            return self.wav_bytes, "a PCM16 mono WAV of the profile's maximum duration at its maximum stored rate"
        return self.json_bytes, f"a JSON answer of this API, at most {self.json_bytes // MiB} MiB"


# --- time: every socket wait clamped to the exchange's deadline ---------------------------------------------
@contextmanager
def _exchange_deadline(deadline: float) -> Iterator[None]:
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the exchange's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _clamp(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout),
                                                       local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:  # pragma: no cover - unused
        return _DeadlineStream(self._inner.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout),
                                                               socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's retries, unused
        self._inner.sleep(seconds)


_HTTPCORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout), (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout), (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException), (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError), (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError), (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError), (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx(request: httpx.Request, deadline: float) -> Iterator[None]:
    """httpcore's exceptions as httpx's (as ``httpx.HTTPTransport`` maps them); a wait cut short by the total
    deadline is a ``TotalTimeout``."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        if time.monotonic() >= deadline - 0.001:
            raise TotalTimeout("the answer did not finish in time", request=request) from None
        raise _mapped(exc, request) from None
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise _mapped(exc, request) from None


def _mapped(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    for source, target in _HTTPCORE_ERRORS:
        if isinstance(exc, source):
            return target(str(exc), request=request)
    return httpx.TransportError(str(exc), request=request)  # pragma: no cover - every httpcore error is above


# --- size: bounded decoding ------------------------------------------------------------------------------------
class _Inflater:
    """One content coding (gzip or deflate) undone a bounded piece at a time (``zlib``'s ``max_length``)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._raw_fallback = coding == "deflate"  # "deflate" is zlib-wrapped by the RFC, raw by some servers
        self._zlib = zlib.decompressobj(31 if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data`` (each at most ``_PIECE`` bytes), as they come."""
        while True:
            try:
                out = self._zlib.decompress(data, _PIECE)
            except zlib.error as exc:
                if not self._raw_fallback:
                    raise httpx.DecodingError(f"{self.coding} body cannot be decoded: {exc}") from None
                self._raw_fallback = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            data = b"" if self._zlib.eof else self._zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _PIECE:
                return


DECODABLE = frozenset({"gzip", "x-gzip", "deflate", "identity"})


class _GuardedBody(httpx.SyncByteStream):
    """The answer's body, decoded, counted and bounded, within the exchange's deadline."""

    def __init__(self, answer: httpcore.Response, *, request: httpx.Request, deadline: float, limit: tuple[int, str],
                 codings: list[str], seen: Seen) -> None:
        self._answer, self._request, self._deadline = answer, request, deadline
        self._limit, self._codings, self._seen = limit, codings, seen

    def __iter__(self) -> Iterator[bytes]:
        limit, why = self._limit
        inflaters = [_Inflater(c) for c in reversed(self._codings) if c != "identity"]
        encoding = ", ".join(self._codings)
        counts = [0] * (len(inflaters) + 1)
        head = bytearray()
        chunks = iter(self._answer.stream)
        while True:
            with _exchange_deadline(self._deadline), _as_httpx(self._request, self._deadline):
                chunk = next(chunks, None)
            if chunk is None:
                return
            if time.monotonic() > self._deadline:
                raise TotalTimeout("the answer did not finish in time", request=self._request)
            yield from self._decoded(chunk, inflaters, counts, 0, limit, why, encoding, head)

    def _decoded(self, data: bytes, inflaters: list[_Inflater], counts: list[int], layer: int, limit: int, why: str,
                 encoding: str, head: bytearray) -> Iterator[bytes]:
        """``data`` through the remaining layers, every layer's output counted against the limit."""
        counts[layer] += len(data)
        if counts[layer] > limit:
            answer_is_bounded(counts[layer], limit, why, self._seen_with(head), encoding=encoding)
        if layer == len(inflaters):
            if len(head) < 600:
                head += data[: 600 - len(head)]
            yield data
            return
        for piece in inflaters[layer].feed(data):
            yield from self._decoded(piece, inflaters, counts, layer + 1, limit, why, encoding, head)

    def _seen_with(self, head: bytearray) -> Seen:
        return dataclasses.replace(self._seen, body_head=bytes(head))

    def close(self) -> None:
        self._answer.close()


# --- the transport -------------------------------------------------------------------------------------------
KEEPALIVE_EXPIRY_S = 2.0
"""An idle connection is not reused after this long. Servers close idle keep-alive connections after their own
timeout (uvicorn and Node 5 s, nginx 75 s, load balancers 60 s); a request sent while the server's close is still
on its way arrives on a dead connection and fails with "Server disconnected", and a POST is rightly never retried.
At the old 5 s, equal to uvicorn's, that race cost whole areas of a run 100 ms away (benchmarks/README.md, f);
well under every common server timeout, it cannot happen. The price is a new connection after 2 s of silence."""


class GuardedTransport(httpx.BaseTransport):
    """HTTP to one origin only, redirects followed within it, every body bounded, every exchange on a deadline.
    ``max_redirects`` 0 follows none and leaves a redirect to the caller, unjudged (the reachability probe)."""

    def __init__(self, *, origin: str, total_s: float, limits: ResponseLimits | None = None,
                 allow_insecure_http: bool = False, max_redirects: int = MAX_REDIRECTS) -> None:
        self.origin = origin_of(origin)
        self.limits = limits or ResponseLimits()
        self._total_s = total_s
        self._allow_insecure_http = allow_insecure_http
        self._max_redirects = max_redirects
        self._pool = httpcore.ConnectionPool(ssl_context=tls_context(), network_backend=_DeadlineBackend(),
                                             max_connections=100, max_keepalive_connections=20,
                                             keepalive_expiry=KEEPALIVE_EXPIRY_S)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` (and any redirect within the origin) and return the answer with its guarded body."""
        started = time.monotonic()
        deadline = started + self._total_s
        redirects: list[str] = []
        while True:
            self._may_send(request)
            with _exchange_deadline(deadline), _as_httpx(request, deadline):
                answer = self._pool.handle_request(httpcore.Request(
                    method=request.method, url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                                                            port=request.url.port, target=request.url.raw_path),
                    headers=request.headers.raw, content=request.stream, extensions=request.extensions))
            seen = _seen(request, answer, time.monotonic() - started, tuple(redirects))
            location = _location(request, answer)
            if location is None or not self._max_redirects:
                return self._guarded(request, answer, deadline, seen)
            answer.close()
            redirect_stays_in_origin(self.origin, location, seen)
            if len(redirects) >= self._max_redirects:
                raise httpx.TooManyRedirects(f"more than {self._max_redirects} redirects", request=request)
            redirects.append(str(request.url))
            request = _redirected(request, answer.status, location)

    def _may_send(self, request: httpx.Request) -> None:
        if origin_of(request.url) != self.origin:
            raise RefusedToSend(f"{request.method} {request.url} not sent: the target's origin is {self.origin}, and "
                                "requests (and their credentials) go nowhere else")
        if (request.url.scheme == "http" and "authorization" in request.headers and not self._allow_insecure_http
                and not is_loopback(request.url.host)):
            raise RefusedToSend(f"{request.method} {request.url} not sent: it would carry a credential over plain "
                                "http to a host outside the loopback range (allow_insecure_http is false)")

    def _guarded(self, request: httpx.Request, answer: httpcore.Response, deadline: float,
                 seen: Seen) -> httpx.Response:
        headers = list(answer.headers)
        codings = [c.strip().lower() for name, value in headers if name.lower() == b"content-encoding"
                   for c in value.decode("latin-1").split(",") if c.strip()]
        if codings:  # decoded here (or, for a coding we cannot undo, passed on raw): httpx must not decode again
            headers = [(k, v) for k, v in headers if k.lower() not in (b"content-encoding", b"content-length")]
            if not set(codings) <= DECODABLE:
                codings = []
        body = _GuardedBody(answer, request=request, deadline=deadline, codings=codings, seen=seen,
                            limit=self.limits.for_request(request.method, request.url.path))
        extensions = {**answer.extensions, "conformance_redirects": seen.redirects}
        return httpx.Response(status_code=answer.status, headers=headers, stream=body, extensions=extensions)

    def close(self) -> None:
        """Release every connection."""
        self._pool.close()


def _seen(request: httpx.Request, answer: httpcore.Response, elapsed_s: float, redirects: tuple[str, ...]) -> Seen:
    return Seen(method=request.method, url=str(request.url), request_headers=list(request.headers.multi_items()),
                status=answer.status, redirects=redirects, elapsed_s=elapsed_s,
                response_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers])


def _location(request: httpx.Request, answer: httpcore.Response) -> httpx.URL | None:
    """Where a redirect points (resolved against the request), or None for any other answer."""
    if answer.status not in REDIRECT_STATUSES:
        return None
    values = [v for k, v in answer.headers if k.lower() == b"location"]
    if not values:
        return None
    try:
        return request.url.join(values[0].decode("latin-1").strip())
    except (httpx.InvalidURL, UnicodeError):
        return None


def _redirected(request: httpx.Request, status: int, url: httpx.URL) -> httpx.Request:
    """The next request of a redirect, as RFC 9110 §15.4 and browsers do it: 303 (and 301/302 after a POST) become
    a GET without a body; 307 and 308 repeat the method and body."""
    method = request.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    headers = httpx.Headers(request.headers)
    headers["Host"] = url.netloc.decode("ascii")
    content = request.content if method == request.method else b""
    if method != request.method:
        for name in ("content-length", "content-type", "transfer-encoding"):
            headers.pop(name, None)
    return httpx.Request(method, url, headers=headers, content=content or None, extensions=request.extensions)


# --- requests (schemathesis' stack) through the same transport --------------------------------------------------
class GuardedAdapter(requests.adapters.BaseAdapter):
    """A ``requests`` adapter that sends through a :class:`GuardedTransport`: schemathesis' calls in the property
    runs obey the same origin, size and time rules as the suite's own (its default session would follow redirects
    to another port of the same host, read any body whole, and wait on a trickling answer for ever)."""

    def __init__(self, transport: GuardedTransport, timeout: float) -> None:
        super().__init__()
        self._transport, self._timeout = transport, timeout

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> requests.Response:
        """One exchange; httpx's exceptions become the ``requests`` ones schemathesis expects."""
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        connect, read = connect or self._timeout, read or self._timeout
        body = request.body
        content = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        if not isinstance(content, bytes):  # an iterable or file body
            content = content.read() if hasattr(content, "read") else b"".join(content)
        outgoing = httpx.Request(str(request.method), str(request.url), headers=list(request.headers.items()),
                                 content=content or None,
                                 extensions={"timeout": {"connect": connect, "read": read, "write": read,
                                                         "pool": connect}})
        try:
            answer = self._transport.handle_request(outgoing)
            try:
                data = b"".join(answer.stream)
            finally:
                answer.close()
        except httpx.ConnectTimeout as exc:
            raise requests.exceptions.ConnectTimeout(str(exc), request=request) from None
        except httpx.TimeoutException as exc:
            raise requests.exceptions.ReadTimeout(str(exc), request=request) from None
        except httpx.TooManyRedirects as exc:
            raise requests.exceptions.TooManyRedirects(str(exc), request=request) from None
        except httpx.DecodingError as exc:
            raise requests.exceptions.ContentDecodingError(str(exc), request=request) from None
        except httpx.TransportError as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from None
        return _requests_response(request, answer, data)

    def close(self) -> None:
        """The transport belongs to the client that made the session; it closes it."""


def _requests_response(request: requests.PreparedRequest, answer: httpx.Response, data: bytes) -> requests.Response:
    headers = urllib3.HTTPHeaderDict()
    for name, value in answer.headers.multi_items():
        headers.add(name, value)
    reason = answer.extensions.get("reason_phrase", b"")
    response = requests.Response()
    response.status_code = answer.status_code
    response.headers = CaseInsensitiveDict(headers)
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(data), headers=headers, status=answer.status_code,
                                        version=11, reason=reason.decode("latin-1") if reason else None,
                                        preload_content=False, decode_content=False)
    response.reason = response.raw.reason
    response.url = str(request.url)
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.request = request
    return response


def guarded_session(transport: GuardedTransport, timeout: float) -> requests.Session:
    """A ``requests`` session whose every call goes through ``transport`` (no environment proxies or ``.netrc``
    credentials, no default headers: the caller's headers are all that is sent)."""
    session = requests.Session()
    session.trust_env = False
    session.headers.clear()
    adapter = GuardedAdapter(transport, timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
