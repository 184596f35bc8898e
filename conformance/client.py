"""HTTP client for one actor: base URL, typed calls for every endpoint the suite uses, and the read-only guard.

Each request goes through the run's policy (``conformance/http_stack.py``: deadline, retries, rate limit, hang
guard, figures) and the one transport (``conformance/transport.py``: to the target's origin only, redirects
followed only within it, every answer bounded, tested against tests/hostile/); what the transport finds fails its
own requirement (``conformance.checks.transport``) and reaches the transcript (``conformance/transcript.py``)
like any answered exchange. Transport problems and timeouts become ``TargetError`` with one sentence; checks turn
them into undecided outcomes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from conformance import __version__
from conformance.checks.transport import TransportFailure
from conformance.config import Actor, Space
from conformance.http_stack import (
    SAFE_METHODS,
    TOTAL_TIMEOUT_FACTOR,
    CallObserver,
    HangGuard,
    RequestStats,
    RetryPolicy,
    TargetError,
    Throttle,
)
from conformance.transcript import Exchange, Transcript
from conformance.transport import GuardedTransport, ResponseLimits, guarded_session

if TYPE_CHECKING:
    import requests

USER_AGENT = f"voice-api-conformance/{__version__}"


class ReadOnlyViolation(RuntimeError):
    """A check tried to write during a ``--read-only`` run (a check marked ``readonly`` that is not): a suite bug,
    stopped before the request leaves."""


#: The one write a read-only run still makes: exchanging credentials for a session token.
SIGN_IN = ("POST", "auth/credentials")


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
        self.read_only = read_only
        self._observer = CallObserver(timeout=timeout, hang_guard=hang_guard or HangGuard(),
                                      throttle=throttle or Throttle(), stats=stats or RequestStats())
        self._retry = RetryPolicy(retries=retries, retry_after_cap=retry_after_cap)
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
        return self._observer.hang_guard

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    def requests_session(self) -> requests.Session:
        """A ``requests`` session through this client's transport (origin, redirects, bounds, deadline): the
        property runs hand it to schemathesis, whose calls then obey the rules of the suite's own."""
        return guarded_session(self._transport, self.timeout)

    def request(self, method: str, path: str, *, json_body: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """Send one request; transport failures and timeouts raise ``TargetError``. It is sent again only as the
        retry policy says (``conformance.http_stack.RetryPolicy``: never a duplicate write, never after a
        timeout), and every sending is admitted, paced and counted by the run's ``CallObserver``."""
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        if self.read_only and method not in SAFE_METHODS and (method, path.strip("/")) != SIGN_IN:
            raise ReadOnlyViolation(f"{method} {path}: a read-only run sends no writes")
        operation = HangGuard.operation(method, path)
        where = f"{method} {self.base_url}{path}"
        for attempt in range(self._retry.retries + 1):
            self._observer.admit(operation)
            self._observer.pace()
            try:
                response = self._http.request(method, path.lstrip("/"), content=content, headers=headers,
                                              params=params)
            except httpx.TimeoutException as exc:
                raise self._observer.timed_out(operation, where, exc) from None
            except TransportFailure as failure:  # answered, but the answer is stopped: its own requirement fails
                self._observer.stopped(failure.seen)
                self._record(Exchange.stopped_by(failure, content or b""))
                raise
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
                wait = self._retry.after_drop(method, attempt)
                if wait is None:
                    raise TargetError(f"{where} failed: {type(exc).__name__}: {exc}") from None
                self._observer.retried()
                time.sleep(wait)
                continue
            except httpx.HTTPError as exc:
                raise TargetError(f"{where} failed: {type(exc).__name__}: {exc}") from None
            exchange = Exchange.answered(response, content or b"")
            self._observer.answered(exchange.elapsed_s, response.headers)
            self._record(exchange)
            wait = self._retry.after_answer(where, method, response.status_code, response.headers.get("retry-after"),
                                            attempt)
            if wait is None:
                return response
            self._observer.retried()
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the policy ends the loop by returning or raising

    def _record(self, exchange: Exchange) -> None:
        """Keep an exchange: the test's transcript, ``last_exchange`` and the listener."""
        self.transcript.add(exchange)
        self.last_exchange = exchange
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
