"""Generic response checks: status codes, content types by meaning, error bodies, authentication challenges."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

import httpx

from conformance.checks import check, fail

WAV_MEDIA_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})
JSON_MEDIA_TYPES = frozenset({"application/json", "application/problem+json"})
_LEAK_PATTERNS = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"File \"[^\"]+\", line \d+"),
    re.compile(r"\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)"),
    re.compile(r"(?:/usr/lib/|/site-packages/|/home/\w+/|[A-Z]:\\\\)"),
    re.compile(r"\b(?:NullPointerException|KeyError|AttributeError|TypeError|ValueError)\b"),
)


def media_type(response: httpx.Response) -> str:
    """The response's media type without parameters, lower-cased (``audio/wav; codecs=1`` → ``audio/wav``)."""
    return response.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def body_excerpt(response: httpx.Response, limit: int = 300) -> str:
    """A short printable excerpt of the body for failure messages (the writer redacts it)."""
    text = response.content[:limit].decode("utf-8", "replace")
    return repr(text) + ("…" if len(response.content) > limit else "")


def json_body(response: httpx.Response) -> Any:
    """The parsed JSON body, or ``None`` when it is not JSON (nesting too deep to parse counts as not JSON: a
    hostile target's 100,000 levels are the target's fault, not a suite error; tests/hostile/kit.py)."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def statuses_text(statuses: int | Collection[int]) -> str:
    """``400 or 422``: a set of statuses as a failure's "expected" line."""
    allowed = {statuses} if isinstance(statuses, int) else set(statuses)
    return " or ".join(str(s) for s in sorted(allowed))


def expect_status(response: httpx.Response, expected: int | Collection[int], what: str = "",
                  *, title: str | None = None) -> None:
    """Fail the calling check unless the status is one of ``expected``; ``title`` (default "<what>: unexpected
    status") says what the wrong status means."""
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if response.status_code not in allowed:
        fail(title or f"{what}: unexpected status",
             received=f"{response.status_code} {body_excerpt(response)}", expected=statuses_text(allowed))


@check("ERR-NO-5XX")
def not_a_server_error(response: httpx.Response, what: str) -> None:
    """A client's mistake is answered 4xx, never 5xx: a 5xx says the server broke, and a client that sees one
    retries what can never succeed (RFC 9110 §15.6; docs/decisions.md)."""
    if response.status_code >= 500:
        fail(f"{what}: server error for a client's mistake",
             received=f"{response.status_code} {body_excerpt(response)}", expected="a 4xx status")


@check("ERR-PROBLEM-JSON")
def error_body_is_problem_json(response: httpx.Response, what: str) -> None:
    """An error body is JSON with a human-readable reason, a consistent status, and no stack trace or path."""
    kind = media_type(response)
    if kind not in JSON_MEDIA_TYPES:
        fail(f"{what}: error body is not JSON", received=f"Content-Type {kind or '(none)'}",
             expected="application/problem+json (or application/json)")
    body = json_body(response)
    if not isinstance(body, dict):
        fail(f"{what}: error body is not a JSON object", received=body_excerpt(response),
             expected='{"title": ..., "status": ..., "detail": ...}')
    reasons = [body.get(key) for key in ("detail", "title", "message")]
    if not any(isinstance(r, str) and r.strip() for r in reasons):
        fail(f"{what}: error body gives no reason", received=body_excerpt(response),
             expected="a non-empty `detail`, `title` or `message` string")
    if "status" in body and body["status"] != response.status_code:
        fail(f"{what}: problem `status` differs from the HTTP status",
             received=f"status member {body['status']!r}, HTTP {response.status_code}", expected="equal")
    text = response.content.decode("utf-8", "replace") + "\n" + "\n".join(_strings(body))
    for pattern in _LEAK_PATTERNS:
        if match := pattern.search(text):
            fail(f"{what}: error body exposes internals", received=repr(match.group(0)),
                 expected="no stack trace, exception name or server path")


def _strings(value: Any) -> list[str]:
    """Every string inside a parsed JSON value (JSON escaping would hide a `File "x", line 1` frame)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@check("AUTH-CHALLENGE")
def has_bearer_challenge(response: httpx.Response, what: str) -> None:
    """A 401 carries ``WWW-Authenticate`` with a Bearer challenge (RFC 6750 §3), compared by meaning."""
    if response.status_code != 401:
        return
    values = response.headers.get_list("www-authenticate")
    schemes = {m.group(1).lower() for v in values for m in re.finditer(r"(?:^|,)\s*([A-Za-z][\w-]*)(?=\s|$|,)", v)}
    if "bearer" not in schemes:
        fail(f"{what}: 401 without a Bearer challenge",
             received=f"WWW-Authenticate: {values or '(absent)'}", expected="WWW-Authenticate: Bearer ...")
