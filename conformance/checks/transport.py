"""Checks on the wire itself: where a redirect leads, and how large an answer is.

The run's transport (``conformance/transport.py``) calls them on every exchange, before any other check sees the
answer, so they decide for every caller alike: scenarios, workflow steps and the property runs. A finding is a
``TransportFailure``, a ``ConformanceFailure`` of its own requirement that also carries what was seen of the
exchange (for the report's transcript). The check whose request it was is then left undecided, not failed for the
wrong requirement (``conformance.outcomes.roll_up``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from conformance.checks import ConformanceFailure, check, fail

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Seen:
    """What was seen of an exchange the transport stopped: the request, the answer's status and headers, and the
    first bytes of its (decoded) body."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body_head: bytes = b""
    elapsed_s: float = 0.0
    redirects: tuple[str, ...] = field(default=())


class TransportFailure(ConformanceFailure):
    """A finding on the wire (a redirect elsewhere, an answer beyond its bound); ``seen`` is the exchange."""

    def __init__(self, requirement: str, title: str, *, received: str, expected: str, seen: Seen,
                 check: str | None = None, location: str | None = None) -> None:
        super().__init__(requirement, title, received=received, expected=expected, check=check, location=location)
        self.seen = seen


def origin_of(url: httpx.URL | str) -> str:
    """``scheme://host:port`` of ``url``, the default port made explicit (RFC 6454 §4: an origin is the triple)."""
    url = httpx.URL(url)
    host = url.host.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{url.scheme}://{host}:{url.port or DEFAULT_PORTS.get(url.scheme, 0)}"


def _what(seen: Seen) -> str:
    return f"{seen.method} {httpx.URL(seen.url).path}"


@check("TRANSPORT-REDIRECT-ORIGIN")
def redirect_stays_in_origin(target: str, location: httpx.URL, seen: Seen) -> None:
    """A redirect is followed only within the target's origin. The suite's requests carry the actor's bearer
    token, which must reach nobody but the configured target (RFC 6750 §5.3), and a deployment behind a proxy the
    user does not control may point anywhere (tests/hostile/kit.py: a cross-origin 307)."""
    elsewhere = origin_of(location)
    if elsewhere != target:
        fail(f"{_what(seen)}: redirected to another origin", kind=TransportFailure,
             received=f"{seen.status} with Location {location} (origin {elsewhere})",
             expected=f"no redirect, or one within {target}; the redirect was not followed, and nothing was sent to "
                      f"{elsewhere}", seen=seen)


@check("TRANSPORT-RESPONSE-BOUNDED")
def answer_is_bounded(size: int, limit: int, why: str, seen: Seen, *, encoding: str = "") -> None:
    """An answer is no larger than it may legitimately be (``why`` says what bounds it). ``size`` counts the
    decoded body, so a compressed answer is judged by what it inflates to; reading stops at the first byte over."""
    if size > limit:
        coding = f", Content-Encoding {encoding}" if encoding else ""
        fail(f"{_what(seen)}: answer larger than {limit} bytes", kind=TransportFailure,
             received=f"{seen.status} with more than {limit} bytes{coding}; reading stopped there",
             expected=f"at most {limit} bytes ({why})", seen=seen)
