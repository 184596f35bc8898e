"""The scrubber every writer calls: known secrets and secret-shaped text never survive it."""

from __future__ import annotations

import json

import pytest

from conformance.redaction import MARKER, Redactor

TOKEN = "tok_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
PASSWORD = "correct-horse-battery"


def test_known_secrets_are_replaced_everywhere() -> None:
    redact = Redactor([TOKEN, PASSWORD])
    text = f"token {TOKEN} then {TOKEN}; curl -u alice:{PASSWORD} http://t/v1?x={TOKEN}"
    out = redact(text)
    assert TOKEN not in out
    assert PASSWORD not in out
    assert out.count(MARKER) == 4
    assert out.startswith("token [REDACTED] then [REDACTED]")


def test_secrets_learned_later_are_redacted() -> None:
    redact = Redactor()
    assert redact(f"session {TOKEN}") == f"session {TOKEN}"
    redact.add(TOKEN, None, "")
    assert redact(f"session {TOKEN}") == f"session {MARKER}"


def test_longer_secret_wins_over_its_prefix() -> None:
    redact = Redactor(["abcdef", "abcdefghijkl"])
    out = redact("x abcdefghijkl y")
    assert out == f"x {MARKER} y"
    assert "ghijkl" not in out


@pytest.mark.parametrize("short", ["a", "abc", "abcde"])
def test_short_strings_are_not_registered(short: str) -> None:
    redact = Redactor([short])
    assert redact(f"value {short} here") == f"value {short} here"


def test_six_characters_is_long_enough() -> None:
    assert Redactor(["abcdef"])("value abcdef here") == f"value {MARKER} here"


def test_text_without_secrets_is_unchanged() -> None:
    text = '{"handle": "audio-1", "alias": "hello", "status": 404}'
    assert Redactor([TOKEN])(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer xyz", "xyz"),
        ("authorization: bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ("AUTHORIZATION:Bearer   qwertyuiop", "qwertyuiop"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ('curl -H "Authorization: Bearer zzz-unknown" http://t/v1', "zzz-unknown"),
        ("authorization=Bearer qq-unknown-1", "qq-unknown-1"),
    ],
)
def test_authorization_headers_are_redacted_even_when_unknown(text: str, secret: str) -> None:
    out = Redactor()(text)
    assert secret not in out
    assert MARKER in out
    assert "authorization" in out.lower()  # the header name stays, only the credential goes


@pytest.mark.parametrize("key", ["token", "password", "secret", "api_key", "apiKey", "api-key", "TOKEN"])
def test_json_secret_members_are_redacted_even_when_unknown(key: str) -> None:
    text = json.dumps({"handle": "alice", key: "s3cr3t-value", "expiresAt": "2026-01-01T00:00:00Z"})
    out = Redactor()(text)
    assert "s3cr3t-value" not in out
    assert f'"{key}": "{MARKER}"' in out
    assert '"handle": "alice"' in out
    assert json.loads(out)[key] == MARKER  # still valid JSON


def test_json_secret_member_with_spaces_and_empty_value() -> None:
    out = Redactor()('{"password" :  "pw", "token":""}')
    assert '"pw"' not in out
    assert out.count(MARKER) == 2


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /v1/auth?password=hunter2&handle=alice", "hunter2"),
        ("POST /x?token=abc123def456", "abc123def456"),
        ("secret=shh-it-is&x=1", "shh-it-is"),
    ],
)
def test_query_string_secrets_are_redacted_even_when_unknown(text: str, secret: str) -> None:
    out = Redactor()(text)
    assert secret not in out
    assert MARKER in out
    assert "handle=alice" in out or "handle" not in text


@pytest.mark.parametrize(
    "text",
    ['{"Authorization": "Bearer unknown-tok-123"}', "{'authorization': 'Bearer unknown-tok-123'}"],
)
def test_authorization_header_in_a_mapping_is_redacted(text: str) -> None:
    assert "unknown-tok-123" not in Redactor()(text)


@pytest.mark.parametrize(
    "text",
    ["GET /v1/audios?access_token=unknown-tok-123", '{"access_token": "unknown-tok-123"}'],
)
def test_prefixed_token_names_are_redacted(text: str) -> None:
    assert "unknown-tok-123" not in Redactor()(text)


def test_headers_mask_credential_headers_whatever_their_case() -> None:
    redact = Redactor([TOKEN])
    pairs = [
        ("Authorization", "Bearer short"),
        ("cookie", "sid=1"),
        ("Set-Cookie", "sid=2; HttpOnly"),
        ("Proxy-Authorization", "Basic abc"),
        ("X-API-Key", "k"),
        ("Content-Type", "application/json"),
        ("X-Echo", f"value {TOKEN}"),
    ]
    out = dict(redact.headers(pairs))
    for name in ("Authorization", "cookie", "Set-Cookie", "Proxy-Authorization", "X-API-Key"):
        assert out[name] == MARKER
    assert out["Content-Type"] == "application/json"
    assert out["X-Echo"] == f"value {MARKER}"
    assert [k for k, _ in redact.headers(pairs)] == [k for k, _ in pairs]  # order and names kept


def test_the_curl_placeholder_survives_but_a_real_token_does_not() -> None:
    redact = Redactor()
    assert redact('curl -H "Authorization: Bearer $TOKEN" https://t/v1') == 'curl -H "Authorization: Bearer $TOKEN" https://t/v1'
    assert "$TOKEN" not in redact('curl -H "Authorization: Bearer TOKENVALUE123"')
