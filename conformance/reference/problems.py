"""RFC 9457 problem+json answers, the only error body the server sends, and the Bearer challenge of a 401.

Bodies never carry exception names, file paths or tracebacks (except under the ``stack-trace-errors``
fault, whose whole point is to leak one). By default a problem has the four members ``type`` (about:blank),
``title``, ``status`` and ``detail``; ``[serve] problem_extensions = true`` plays the targets that add
``instance`` and extension members (``code``, ``traceId``) and use an absolute ``type`` URI, which a client must
tolerate. They are added by :class:`ProblemExtensionsMiddleware` to every problem body on its way out, so no
error path (a route's, a middleware's, the catch-all 500) can miss them.
"""

from __future__ import annotations

import json
import re
import secrets
import traceback
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.responses import Response

from . import faults

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .settings import Settings

PROBLEM_JSON = "application/problem+json"
GENERIC_500 = "The server failed to process the request; the failure was logged."
#: Where ``problem_extensions`` problem types live (a reserved TLD: the URI identifies, it is not fetched).
PROBLEM_TYPE_BASE = "https://errors.reference.invalid/"
#: The scope ``state`` key through which an error handler names the problem's ``code`` for the middleware.
CODE_STATE_KEY = "problem_code"


def reason_phrase(status: int) -> str:
    """The standard reason phrase, or a neutral one for codes Python does not know."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str) -> dict[str, object]:
    """The four members every problem carries; ``type`` is about:blank because title = reason phrase."""
    return {"type": "about:blank", "title": reason_phrase(status), "status": status, "detail": detail}


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A complete problem+json response."""
    body = json.dumps(problem_body(status, detail), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def client_detail(settings: Settings, status: int, detail: str, exc: BaseException | None) -> str:
    """The detail to show; the ``stack-trace-errors`` fault appends the traceback to 4xx details."""
    if exc is not None and 400 <= status < 500 and faults.active(settings, "stack-trace-errors"):
        return detail + "\n" + "".join(traceback.format_exception(exc))
    return detail


def www_authenticate(settings: Settings, *, token_sent: bool, detail: str = "") -> dict[str, str]:
    """The Bearer challenge of a 401 in the ``[serve] challenge`` style (empty under ``no-www-authenticate``):
    "realm" (reference) adds ``error="invalid_token"`` only when a token was sent, "bare" is the scheme alone,
    "full" always carries realm, error and error_description (RFC 6750 §3)."""
    if faults.active(settings, "no-www-authenticate"):
        return {}
    style = settings.behaviour.serve.challenge
    if style == "bare":
        return {"WWW-Authenticate": "Bearer"}
    challenge = f'Bearer realm="{settings.realm}"'
    if token_sent or style == "full":
        challenge += ', error="invalid_token"'
    if style == "full":
        # error_description: printable ASCII without '"' and '\\' (RFC 6750 §3)
        description = "".join(c for c in detail if " " <= c <= "~" and c not in '"\\') or "Authentication failed."
        challenge += f', error_description="{description}"'
    return {"WWW-Authenticate": challenge}


URI_SAFE = "/%:@!$&'()*+,;=-._~"  # RFC 3986 pchar and '/', '%' kept as sent (already-encoded octets)


def code_of(status: int) -> str:
    """A snake_case code from the reason phrase ("Not Found" → ``not_found``)."""
    return re.sub(r"[^a-z0-9]+", "_", reason_phrase(status).lower()).strip("_") or "error"


def extended(problem: dict[str, object], *, path: str, code: str | None) -> dict[str, object]:
    """``problem`` with ``instance``, ``code``, ``traceId`` and an absolute ``type`` URI named after the code."""
    status = problem.get("status")
    name = code or code_of(status if isinstance(status, int) else 500)
    return {
        **problem,
        "type": PROBLEM_TYPE_BASE + name.replace("_", "-"),
        "instance": path,
        "code": name,
        "traceId": secrets.token_hex(16),
    }


class ProblemExtensionsMiddleware:
    """Rewrites every problem+json body with :func:`extended` (the bodies are small: buffered whole)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def rewriting_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if MutableHeaders(scope=message).get("content-type", "").startswith(PROBLEM_JSON):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._send_extended(scope, start, bytes(body), send)
                return
            await send(message)

        await self.app(scope, receive, rewriting_send)

    @staticmethod
    async def _send_extended(scope: Scope, start: Message, body: bytes, send: Send) -> None:
        try:
            problem = json.loads(body)
        except ValueError:
            problem = None
        if isinstance(problem, dict):
            code = (scope.get("state") or {}).get(CODE_STATE_KEY)
            # as the client sent it (a percent-encoded '/' stays encoded), with every byte a URI reference may not
            # hold percent-encoded (RFC 3986 §2.1): `instance` is a uri-reference (RFC 9457 §3.1.5)
            raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogatepass")
            path = quote(raw, safe=URI_SAFE)
            body = json.dumps(extended(problem, path=path, code=code), ensure_ascii=False).encode()
            MutableHeaders(scope=start)["content-length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
