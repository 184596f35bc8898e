"""Transport behaviour: 404/405 problems, Server-Timing, health and OpenAPI, and never a 5xx for client mistakes."""

from __future__ import annotations

import json
import re
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from conformance.reference.settings import DEFAULT_OPENAPI_PATH, Limits

TIMING = re.compile(r"^app;dur=\d+(\.\d+)?$")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "spaces/alice/main/audios", {"GET", "HEAD", "POST"}),
        ("PUT", "spaces/alice/main/audios/x", {"GET", "HEAD", "PATCH", "DELETE"}),
        ("DELETE", "spaces/alice/main/audios/x/file", {"GET", "HEAD", "POST"}),
        ("POST", "user/keys/x", {"GET", "HEAD", "DELETE"}),
        ("GET", "auth/credentials", {"POST"}),
    ],
)
def test_405_lists_every_method_of_the_path(alice, helpers, method, path, allow):
    response = alice.request(method, path)
    helpers.assert_problem(response, 405)
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allow


@pytest.mark.parametrize("path", ["nothing", "spaces", "spaces/alice", "spaces/alice/main/audios/a/file/extra", "v2"])
def test_unknown_route_is_404_problem(alice, helpers, path):
    helpers.assert_problem(alice.get(path), 404)


def test_every_response_has_server_timing(server, alice, anonymous):
    for response in (
        anonymous.get("health"),
        anonymous.get("user"),
        alice.get("user"),
        alice.get("nothing"),
        alice.delete("spaces/alice/main/audios"),
        alice.get("spaces/bob/main/audios"),
    ):
        assert TIMING.match(response.headers["Server-Timing"]), response.headers


def test_health(anonymous):
    response = anonymous.get("health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_openapi_is_served_with_this_base_url(server, anonymous, helpers, suffix):
    response = anonymous.get(f"openapi.{suffix}")
    if not DEFAULT_OPENAPI_PATH.exists():
        helpers.assert_problem(response, 404)
        return
    assert response.status_code == 200
    if suffix == "json":
        document = response.json()
    else:
        import yaml

        document = yaml.safe_load(response.text)
    assert document["servers"][0]["url"] == server.base_url
    assert "paths" in document


def _raw_request(base_url: str, request: bytes) -> bytes:
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def test_declared_oversize_body_is_413_without_reading_it(server):
    too_big = Limits().max_body_bytes + 1
    head = (
        f"POST /v1/spaces/alice/main/audios HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token()}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {too_big}\r\n\r\n"
    ).encode()
    response = _raw_request(server.base_url, head + b'{"file": "')
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"application/problem+json" in response


def test_encoded_slash_and_dot_segments_in_raw_path_are_404(server):
    for target in ("/v1/spaces/alice%2Fmain/audios", "/v1/spaces/alice%2fmain%2Faudios/x", "/v1/spaces/../user"):
        request = f"GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token()}\r\n\r\n".encode()
        assert _raw_request(server.base_url, request).startswith(b"HTTP/1.1 404"), target


NEVER_5XX = [
    ("invalid-utf8", b'{"file": "\xc3\x28", "alias": "\xff"}'),
    ("json-array", b'[{"file": "UklGRg=="}]'),
    ("json-null", b"null"),
    ("huge-number", b'{"file": 1e999999}'),
    ("huge-int", b'{"alias": ' + b"9" * 5000 + b"}"),
    ("nan", b'{"file": NaN}'),
    ("nul-in-alias", b'{"alias": "a\\u0000b"}'),
    ("25-mib", b'{"file": "' + b"A" * (25 * 1024 * 1024) + b'"}'),
    ("zero-bytes", b""),
]


@pytest.mark.parametrize("content", [c for _, c in NEVER_5XX], ids=[i for i, _ in NEVER_5XX])
def test_client_mistakes_never_5xx(alice, content):
    response = alice.post("spaces/alice/main/audios", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text[:300]


@pytest.mark.parametrize("endpoint", ["auth/credentials", "user/keys", "spaces/alice/main/audios/x"])
@pytest.mark.parametrize("content", [b"\xff\xfe\x00", b"[]", b"", b'{"handle": "\\udc00", "password": "\\ud800"}'])
def test_small_json_endpoints_never_5xx(alice, endpoint, content):
    method = "PATCH" if endpoint.startswith("spaces") else "POST"
    response = alice.request(method, endpoint, content=content, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


def test_long_silence_length_bomb_is_422(alice, media, helpers):
    flac = media.encode("flac", "flac", 8000, 301, silent=True)
    assert len(flac) < 200_000
    response = alice.post("spaces/alice/main/audios", json={"file": media.b64(flac)})
    helpers.assert_problem(response, 422)


def test_problem_bodies_are_json_objects(alice):
    body = json.loads(alice.get("spaces/bob/main/audios").content)
    assert set(body) == {"type", "title", "status", "detail"}


def test_hostile_path_parameters(alice, helpers):
    for path in ("spaces/alice/main/audios/" + "a" * 51, "spaces/alice/main/audios/%00", "spaces/alice/main/audios/A"):
        helpers.assert_problem(alice.get(path), 404)
    helpers.assert_problem(alice.get("user/keys/" + "k" * 51), 404)
    assert httpx.URL(str(alice.base_url)).path.endswith("/v1/")
