"""What happens around every request of a run, whoever sends it: deadline, retries, rate limit, hang guard, figures.

``conformance/transport.py`` is the wire (origin only, bounded answers, a total deadline per exchange). This module
is the policy one layer up, shared by the suite's own client (``conformance/client.py``) and schemathesis' calls in
the property runs (``conformance/properties/runner.py``), so that a generated request is admitted, paced, counted
and blamed exactly like a hand-written one:

- **Deadline.** Each wait is bounded by the configured ``timeout``, a whole exchange by ``TOTAL_TIMEOUT_FACTOR``
  of it; a request that gets no answer in time becomes ``TargetError`` (the check is undecided, never failed).
- **Retries** (:class:`RetryPolicy`): bounded, and never a duplicate write.
- **Rate limit** (:class:`Throttle`), for shared staging.
- **Hang guard** (:class:`HangGuard`): an endpoint, or a target, that stopped answering is not called again.
- **Figures** (:class:`RequestStats`): requests, retries, timeouts, and the time on each side of the wire.

:class:`CallObserver` is the one place that bookkeeping happens; both senders call it around each request.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from conformance.transport import ResponseLimits, TotalTimeout

if TYPE_CHECKING:
    from conformance.checks.transport import Seen
    from conformance.config import Settings

TOTAL_TIMEOUT_FACTOR = 6
"""A whole exchange (sending the body, waiting for and reading the headers and the answer) may take this many
``timeout``s: each wait is bounded by ``timeout`` itself, and this bounds a target that trickles its answer, or
its headers, a byte at a time (every wait short, the whole endless) while leaving room for a large upload over a
slow link."""
#: Methods that change nothing (RFC 9110 §9.2.1) and may be sent again after a dropped connection.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TargetError(Exception):
    """The target could not be reached or did not answer in time; the message says which and where."""


class TargetDown(TargetError):
    """The target has stopped answering altogether (not one endpoint): nothing is decided from here on."""


def transport_options(settings: Settings) -> dict[str, Any]:
    """The configuration's transport rules as client options: response limits (from the profile, or
    ``max_response_bytes``) and whether plain http may carry a token to a non-loopback host."""
    return {"limits": ResponseLimits.for_profile(settings.profile, settings.max_response_bytes),
            "allow_insecure_http": settings.allow_insecure_http}


# --- retries ------------------------------------------------------------------------------------------------
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When a request is sent again, and after how long. Retries are bounded (``retries``) and never duplicate a
    write: a safe method is sent again after a dropped connection or a 503 with ``Retry-After``; any method after a
    429, which refuses the request before processing it (RFC 6585 §4), waiting what ``Retry-After`` asks up to
    ``retry_after_cap``. A timeout is never retried: a hanging endpoint costs one timeout per call, and the hang
    guard stops calling it. ``attempt`` counts from 0 (the first sending)."""

    retries: int = 0
    retry_after_cap: float = 30.0
    backoff_s: float = 0.2

    def backoff(self, attempt: int) -> float:
        """The wait before sending again when the target names none (doubling with each attempt)."""
        return self.backoff_s * 2**attempt

    def after_drop(self, method: str, attempt: int) -> float | None:
        """Seconds to wait before sending again after a dropped connection; None: do not send it again."""
        if method in SAFE_METHODS and attempt < self.retries:
            return self.backoff(attempt)
        return None

    def after_answer(self, request: str, method: str, status: int, retry_after: str | None,
                     attempt: int) -> float | None:
        """Seconds to wait before sending again after this answer; None: the answer stands. Raises ``TargetError``
        (naming ``request``, ``METHOD url``) when the target asks for a longer wait than the cap, or still refuses
        after the last retry."""
        if not (status == 429 or (status == 503 and method in SAFE_METHODS and retry_after is not None)):
            return None
        wait = retry_after_s(retry_after, default=self.backoff(attempt))
        if wait > self.retry_after_cap:
            raise TargetError(f"{request} answered {status} asking to wait {wait:.0f} s, more than the "
                              f"{self.retry_after_cap:g} s cap")
        if attempt >= self.retries:
            raise TargetError(f"{request} still answered {status} after {self.retries} retries")
        return wait


# --- rate limit ---------------------------------------------------------------------------------------------
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


# --- figures ------------------------------------------------------------------------------------------------
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


# --- hang guard ---------------------------------------------------------------------------------------------
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
        template = path.split("?", 1)[0].lstrip("/")  # the client's paths are relative, schemathesis' absolute
        template = re.sub(r"^spaces/[^/]+/[^/]+", "spaces/{owner}/{space}", template)
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


# --- the one bookkeeping around each call -------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class CallObserver:
    """The run's hang guard, rate limit and figures, seen from one sender: call :meth:`admit` and :meth:`pace`
    before a request, then exactly one of :meth:`answered`, :meth:`stopped` or :meth:`timed_out` (and
    :meth:`retried` before sending it again). The run shares one hang guard, throttle and statistics between all
    its observers (the ``RunState`` in ``conformance/run_state.py`` holds them)."""

    timeout: float
    hang_guard: HangGuard = field(default_factory=HangGuard)
    throttle: Throttle = field(default_factory=Throttle)
    stats: RequestStats = field(default_factory=RequestStats)

    def admit(self, operation: str) -> None:
        """Raise ``TargetError`` at once for an operation, or a target, known to have stopped answering."""
        self.hang_guard.check(operation, self.timeout)

    def pace(self) -> None:
        """Wait for this request's slot under the run's rate limit."""
        self.throttle.wait()

    def answered(self, elapsed_s: float, headers: Mapping[str, str]) -> None:
        """The target answered (headers looked up by lower-case name): it is up; count the request and its time."""
        self.hang_guard.answered()
        self.stats.record(elapsed_s, headers)

    def stopped(self, seen: Seen) -> None:
        """The target answered, but the transport stopped reading (``TransportFailure``): counted as answered."""
        self.answered(seen.elapsed_s, httpx.Headers(seen.response_headers))

    def timed_out(self, operation: str, request: str, exc: BaseException) -> TargetError:
        """No answer in time: one more timeout for the hang guard and the figures; the error that leaves the check
        undecided (``request`` is ``METHOD url``)."""
        self.hang_guard.timed_out(operation)
        self.stats.timed_out()
        if isinstance(exc, TotalTimeout):
            return TargetError(f"{request} did not finish answering within {self.timeout * TOTAL_TIMEOUT_FACTOR:g} s")
        return TargetError(f"{request} did not answer within {self.timeout:g} s")

    def retried(self) -> None:
        """The request is about to be sent again."""
        self.stats.retried()
