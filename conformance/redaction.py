"""The one scrubber every writer calls: secrets never reach a report, a log or the console.

It knows the configured secrets (tokens, passwords, API keys, and tokens learned during the run) and the shapes
secrets come in even when unknown (``Authorization`` headers, ``"token": "..."`` and ``"password": "..."`` JSON
members). It is pure and small on purpose: redaction at the writer, not at call sites.

Since every writer calls it, it also makes the text writable: a lone UTF-16 surrogate (a hostile target can put
``"\\ud800"`` in any JSON string, tests/hostile/kit.py) cannot be encoded as UTF-8 and would make the report
writer crash; it is written as its ``\\uXXXX`` escape instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MARKER = "[REDACTED]"
_SHAPES = (
    # Authorization: Bearer x / "Authorization": "Bearer x" / 'authorization': 'Basic x' / authorization=x
    # (a curl repro's `Bearer $TOKEN` placeholder is left alone)
    re.compile(r"(?i)([\"']?(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?!\s*(?:bearer\s+)?\$TOKEN\b)"
               r"([^\s\"',}][^\"'\n,}]*)"),
    # "token": "x", "access_token": "x", "password": "x", "api_key": "x" (also single-quoted, Python reprs)
    re.compile(r"(?i)([\"']\w*(?:token|password|secret|api[_-]?key)[\"']\s*:\s*[\"'])([^\"']*)(?=[\"'])"),
    # token=x, access_token=x, password=x in query strings and form bodies
    re.compile(r"(?i)(\b\w*(?:token|password|secret)=)([^\s&\"']+)"),
)
#: Every shape above needs one of these words: text without them (most header values, most bodies) skips the shapes.
_SHAPE_WORDS = re.compile(r"(?i)authorization|token|password|secret|api[_-]?key")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Redactor:
    """Replaces known secrets and secret-shaped text with ``[REDACTED]``; learns new secrets as the run goes."""

    __slots__ = ("_secrets", "_longest_first")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._longest_first: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Remember more secrets (e.g. a session token obtained from credentials). Short strings are ignored:
        redacting ``"a"`` everywhere would destroy reports and protect nothing."""
        self._secrets.update(s for s in secrets if s and len(s) >= 6)
        self._longest_first = tuple(sorted(self._secrets, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by the marker (longest first: a secret containing another is
        replaced whole)."""
        for secret in self._longest_first:
            if secret in text:
                text = text.replace(secret, MARKER)
        if _SHAPE_WORDS.search(text):
            for shape in _SHAPES:
                text = shape.sub(lambda m: m.group(1) + MARKER, text)
        if _SURROGATE.search(text):
            text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        return text

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Header pairs with credential-bearing values replaced."""
        sensitive = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
        return [(k, MARKER if k.lower() in sensitive else self(v)) for k, v in headers]
