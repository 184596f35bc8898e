"""The HTTP transcript a report shows for each check: the exchanges it made, each with a curl line to repeat it.

Every exchange of a test lands here, whoever sent it (the suite's client, ``conformance/client.py``; schemathesis in
the property runs, ``conformance/properties/``), and is rendered through the redactor (``conformance/redaction.py``)
on its way to a report. :func:`curl` is the one curl builder of the suite: a transcript's ``$`` line and the
``Reproduce:`` line of a property failure are the same command for the same request.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from conformance.checks.transport import TransportFailure
    from conformance.redaction import Redactor

BODY_EXCERPT = 600
CURL_INLINE_BODY = 200
"""A request body up to this many bytes is written into the curl line; a longer one (a Base64 upload) is referred
to as ``@body.json``, so that the line stays readable."""


def curl(method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes) -> str:
    """A curl command that repeats a request, with the token left as ``$TOKEN`` (never the secret itself): the
    method, the URL, the ``Authorization`` and ``Content-Type`` headers, and the body."""
    parts = ["curl", "-sS", "-X", method, shlex.quote(url)]
    for key, value in headers:
        if key.lower() == "authorization":
            parts += ["-H", '"Authorization: Bearer $TOKEN"']
        elif key.lower() in ("content-type",):
            parts += ["-H", shlex.quote(f"{key}: {value}")]
    if body:
        parts += ["--data-binary", "@body.json" if len(body) > CURL_INLINE_BODY else shlex.quote(
            body.decode("utf-8", "replace"))]
    return " ".join(parts)


def excerpt(body: bytes, limit: int = BODY_EXCERPT) -> str:
    """The start of a body as text, ``<binary>`` for one that is not."""
    text = body[:limit].decode("utf-8", "replace")
    if not text.isprintable() and any(ord(c) < 9 for c in text):
        return "<binary>"
    return text + ("…" if len(body) > limit else "")


@dataclass(slots=True)
class Exchange:
    """One request and its response, kept for reports (always rendered through the redactor)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    response_body: bytes
    elapsed_s: float
    redirects: tuple[str, ...] = ()  # earlier URLs of this exchange, redirected (within the origin) to ``url``
    stopped: str = ""  # why the answer was not read to its end (the transport's finding), if it was not

    @classmethod
    def answered(cls, response: httpx.Response, request_body: bytes = b"") -> Exchange:
        """An answered exchange of the suite's client, with the redirects the transport followed on the way."""
        return cls(method=response.request.method, url=str(response.request.url),
                   request_headers=list(response.request.headers.items()), request_body=request_body,
                   status=response.status_code, response_headers=list(response.headers.items()),
                   response_body=response.content, elapsed_s=response.elapsed.total_seconds(),
                   redirects=tuple(response.extensions.get("conformance_redirects", ())))

    @classmethod
    def stopped_by(cls, failure: TransportFailure, request_body: bytes = b"") -> Exchange:
        """An exchange the transport stopped: what was read of it, and why reading stopped."""
        seen = failure.seen
        return cls(method=seen.method, url=seen.url, request_headers=seen.request_headers, request_body=request_body,
                   status=seen.status, response_headers=seen.response_headers, response_body=seen.body_head,
                   elapsed_s=seen.elapsed_s, redirects=seen.redirects, stopped=failure.title)

    def render(self, redact: Redactor) -> str:
        """A short, redacted transcript: request line, status, headers, body excerpts and a curl repro."""
        lines = [f"> {self.method} {url} (redirected)" for url in self.redirects]
        lines.append(f"> {self.method} {self.url}")
        lines += [f"> {k}: {v}" for k, v in redact.headers(self.request_headers)]
        if self.request_body:
            lines.append(f"> [{len(self.request_body)} bytes] {excerpt(self.request_body, 200)}")
        lines.append(f"< {self.status} ({self.elapsed_s * 1000:.0f} ms)")
        lines += [f"< {k}: {v}" for k, v in redact.headers(self.response_headers)]
        if self.response_body:
            lines.append(f"< [{len(self.response_body)} bytes] {excerpt(self.response_body)}")
        if self.stopped:
            lines.append(f"< [{self.stopped}]")
        lines.append(f"$ {self.curl()}")
        return redact("\n".join(lines))

    def curl(self) -> str:
        """The curl line that repeats this exchange's request (:func:`curl`)."""
        return curl(self.method, self.url, self.request_headers, self.request_body)


@dataclass(slots=True)
class Transcript:
    """The exchanges of the current test; the plugin clears it per test and attaches it to the report."""

    exchanges: list[Exchange] = field(default_factory=list)
    limit: int = 40

    def add(self, exchange: Exchange) -> None:
        """Keep the most recent exchanges only (a test may poll many times)."""
        self.exchanges.append(exchange)
        del self.exchanges[: -self.limit]

    def include(self, exchanges: list[Exchange]) -> None:
        """Show exchanges made earlier (a cached upload) in this test's transcript, once each."""
        for exchange in exchanges:
            if not any(exchange is seen for seen in self.exchanges):
                self.add(exchange)
