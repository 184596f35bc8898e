"""RFC 9457 problem+json answers, the only error body the server sends.

Bodies never carry exception names, file paths or tracebacks (except under the ``stack-trace-errors``
fault, whose whole point is to leak one).
"""

from __future__ import annotations

import json
import traceback
from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.responses import Response

from . import faults

if TYPE_CHECKING:
    from .settings import Settings

PROBLEM_JSON = "application/problem+json"
GENERIC_500 = "The server failed to process the request; the failure was logged."


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


def www_authenticate(settings: Settings, *, token_sent: bool) -> dict[str, str]:
    """The Bearer challenge of a 401 (empty under the ``no-www-authenticate`` fault)."""
    if faults.active(settings, "no-www-authenticate"):
        return {}
    challenge = f'Bearer realm="{settings.realm}"'
    if token_sent:
        challenge += ', error="invalid_token"'
    return {"WWW-Authenticate": challenge}
