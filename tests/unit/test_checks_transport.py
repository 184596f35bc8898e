"""The transport checks in both directions: a redirect within the origin passes and one elsewhere fails; an answer
at its limit passes and one byte over fails, each with its own requirement id and a Received/Expected message."""

from __future__ import annotations

import httpx
import pytest

from conformance.checks.transport import Seen, TransportFailure, answer_is_bounded, origin_of, redirect_stays_in_origin

TARGET = "https://api.example:443"
SEEN = Seen(method="GET", url="https://api.example/v1/spaces/a/b/audios/h", request_headers=[], status=307,
            response_headers=[("location", "https://elsewhere.example/x")])


@pytest.mark.parametrize(("url", "origin"), [
    ("https://API.example/v1", "https://api.example:443"),
    ("https://api.example:443/v1", "https://api.example:443"),
    ("http://api.example/v1", "http://api.example:80"),
    ("http://127.0.0.1:8080/v1/x?y=1", "http://127.0.0.1:8080"),
    ("http://[::1]:9/v1", "http://[::1]:9"),
])
def test_an_origin_is_scheme_host_and_port(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("location", ["https://api.example/v1/other", "https://api.example:443/v2",
                                      "https://API.EXAMPLE/v1"])
def test_redirect_stays_in_origin_passes_within_the_origin(location: str) -> None:
    redirect_stays_in_origin(TARGET, httpx.URL(location), SEEN)


@pytest.mark.parametrize(("location", "elsewhere"), [
    ("https://elsewhere.example/v1", "https://elsewhere.example:443"),  # another host
    ("https://api.example:8443/v1", "https://api.example:8443"),  # another port
    ("http://api.example/v1", "http://api.example:80"),  # another scheme (a downgrade, too)
])
def test_redirect_stays_in_origin_fails_elsewhere(location: str, elsewhere: str) -> None:
    with pytest.raises(TransportFailure) as excinfo:
        redirect_stays_in_origin(TARGET, httpx.URL(location), SEEN)
    failure = excinfo.value
    assert failure.requirement == "TRANSPORT-REDIRECT-ORIGIN"
    assert failure.title == "GET /v1/spaces/a/b/audios/h: redirected to another origin"
    assert failure.received == f"307 with Location {location} (origin {elsewhere})"
    assert TARGET in failure.expected and "not followed" in failure.expected
    assert failure.seen is SEEN


def test_answer_is_bounded_passes_up_to_the_limit() -> None:
    answer_is_bounded(1000, 1000, "a JSON answer", SEEN)
    answer_is_bounded(0, 1000, "a JSON answer", SEEN)


def test_answer_is_bounded_fails_one_byte_over() -> None:
    with pytest.raises(TransportFailure) as excinfo:
        answer_is_bounded(1001, 1000, "a JSON answer of this API", SEEN, encoding="gzip")
    failure = excinfo.value
    assert failure.requirement == "TRANSPORT-RESPONSE-BOUNDED"
    assert failure.title == "GET /v1/spaces/a/b/audios/h: answer larger than 1000 bytes"
    assert failure.received == "307 with more than 1000 bytes, Content-Encoding gzip; reading stopped there"
    assert failure.expected == "at most 1000 bytes (a JSON answer of this API)"
    assert str(failure).startswith("[TRANSPORT-RESPONSE-BOUNDED] GET /v1/spaces/a/b/audios/h: answer larger than")
