"""The access-matrix checks, each in both directions: what passes, and the failure (requirement, message) otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.checks import ConformanceFailure
from conformance.checks.access import (
    ALLOWANCES,
    REFUSALS,
    anonymous_cell_refused,
    bad_token_cell_refused,
    existence_hidden,
    list_isolated,
    nothing_changed,
    org_space_usable,
    own_space_usable,
    path_variant_refused,
    revoked_key_refused,
    session_token_limited,
    session_token_usable,
    unknown_space_refused,
)

HANDLE = "0b5c7e9a-7f7e-4a54-9d1e-3c1e0f6b2a11"


def response(status: int, body: Any = None, *, content: bytes = b"", content_type: str | None = None) -> httpx.Response:
    headers = [("Content-Type", content_type)] if content_type else []
    if body is not None:
        content = json.dumps(body).encode()
        headers = headers or [("Content-Type", "application/problem+json")]
    return httpx.Response(status, headers=headers, content=content, request=httpx.Request("GET", "http://t/v1/x"))


REFUSAL_CASES: list[tuple[Callable[..., None], str]] = [
    (anonymous_cell_refused, "AUTH-MISSING-401"),
    (bad_token_cell_refused, "AUTH-INVALID-401"),
    (revoked_key_refused, "KEYS-REVOKE"),
    (session_token_limited, "AUTH-SESSION-TOKEN"),
    (unknown_space_refused, "ACCESS-UNKNOWN-SPACE"),
    (path_variant_refused, "ACCESS-PATH-NORMALISATION"),
]


@pytest.mark.parametrize(("check", "requirement"), REFUSAL_CASES, ids=lambda v: getattr(v, "__name__", v))
def test_refusal_checks_pass_on_a_listed_status_without_leak(check: Callable[..., None], requirement: str) -> None:
    check(response(404, {"title": "Not Found", "status": 404}), {403, 404}, "x", [HANDLE, "alias"])


@pytest.mark.parametrize(("check", "requirement"), REFUSAL_CASES, ids=lambda v: getattr(v, "__name__", v))
def test_refusal_checks_fail_on_a_served_request(check: Callable[..., None], requirement: str) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        check(response(200, [{"handle": HANDLE}]), {401}, "list as someone", [HANDLE])
    assert excinfo.value.requirement == requirement
    assert excinfo.value.title == "list as someone was not refused"
    assert excinfo.value.expected == "401"


@pytest.mark.parametrize(("check", "requirement"), REFUSAL_CASES, ids=lambda v: getattr(v, "__name__", v))
def test_refusal_checks_fail_on_a_leak(check: Callable[..., None], requirement: str) -> None:
    with pytest.raises(ConformanceFailure) as excinfo:
        check(response(404, {"detail": f"{HANDLE} is not yours"}), {404}, "details", ["", HANDLE])
    assert excinfo.value.requirement == requirement and "leaks the resource" in excinfo.value.title


def test_echoing_the_requested_path_is_not_a_leak_but_the_alias_is() -> None:
    """RFC 9457 `instance` often repeats the request path: the handle the caller sent tells it nothing new."""
    url = f"http://t/v1/spaces/bob/main/audios/{HANDLE}"
    echo = httpx.Response(404, json={"status": 404, "instance": f"/v1/spaces/bob/main/audios/{HANDLE}"},
                          request=httpx.Request("GET", url))
    unknown_space_refused(echo, {404}, "details", [HANDLE, "bob's alias"])
    aliased = httpx.Response(404, json={"status": 404, "detail": "bob's alias is not yours"},
                             request=httpx.Request("GET", url))
    with pytest.raises(ConformanceFailure, match="leaks the resource"):
        unknown_space_refused(aliased, {404}, "details", [HANDLE, "bob's alias"])


def test_a_refusal_carrying_audio_bytes_leaks() -> None:
    wav = response(404, content=b"RIFF\x24\x00\x00\x00WAVEfmt ", content_type="audio/wav")
    with pytest.raises(ConformanceFailure) as excinfo:
        unknown_space_refused(wav, {404}, "file", [])
    assert excinfo.value.received == "body contains audio bytes"


ALLOWANCE_CASES = [(own_space_usable, "ACCESS-OWN-ALLOWED"), (org_space_usable, "ACCESS-ORG-ALLOWED"),
                   (session_token_usable, "AUTH-SESSION-TOKEN")]


@pytest.mark.parametrize(("check", "requirement"), ALLOWANCE_CASES, ids=lambda v: getattr(v, "__name__", v))
def test_allowance_checks(check: Callable[..., None], requirement: str) -> None:
    check(response(204), "delete", None)
    with pytest.raises(ConformanceFailure) as refused:
        check(response(404, {"title": "Not Found"}), "delete", None)
    assert refused.value.requirement == requirement and refused.value.title == "delete was refused"
    with pytest.raises(ConformanceFailure) as no_effect:
        check(response(204), "delete", "the owner still reads the audio")
    assert no_effect.value.requirement == requirement and "did not take effect" in no_effect.value.title


def test_nothing_changed() -> None:
    nothing_changed("patch as outsider", None)
    with pytest.raises(ConformanceFailure) as excinfo:
        nothing_changed("patch as outsider", "alias 'a' became 'b'")
    assert excinfo.value.requirement == "ACCESS-NO-SIDE-EFFECT" and excinfo.value.received == "alias 'a' became 'b'"


def test_list_isolated() -> None:
    mine = [{"handle": "a", "id": "1"}, {"handle": "b", "id": "2"}]
    list_isolated(mine, "2", {HANDLE: "bob/main"}, "list")
    with pytest.raises(ConformanceFailure, match="another space"):
        list_isolated([*mine, {"handle": HANDLE, "id": "3"}], "3", {HANDLE: "bob/main"}, "list")
    with pytest.raises(ConformanceFailure, match="Item-Total") as excinfo:
        list_isolated(mine, "5", {HANDLE: "bob/main"}, "list")
    assert excinfo.value.requirement == "ACCESS-LIST-ISOLATION"


def test_existence_hidden() -> None:
    not_found = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No such space."}
    existence_hidden(response(404, not_found), response(404, {**not_found, "detail": "other words"}), "list")
    with pytest.raises(ConformanceFailure) as excinfo:
        existence_hidden(response(403, {**not_found, "title": "Forbidden", "status": 403}), response(404, not_found),
                         "list")
    assert excinfo.value.requirement == "ACCESS-HIDE-EXISTENCE"
    with pytest.raises(ConformanceFailure):
        existence_hidden(response(404, {**not_found, "space": "bob/main"}), response(404, not_found), "list")


def test_every_matrix_requirement_has_an_oracle() -> None:
    from conformance import access_matrix

    for cell in access_matrix.load().cells():
        table = ALLOWANCES if cell.outcome == "allowed" else REFUSALS
        assert cell.requirement in table, cell.id
