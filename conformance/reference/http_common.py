"""Helpers shared by the route modules: the service handle, authentication, bodies and JSON answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from starlette.requests import Request

    from .models import User
    from .service import Service


def service_of(request: Request) -> Service:
    """The app's service (created by create_app, stored on app.state: no module-level state)."""
    return request.app.state.service


async def caller(request: Request) -> User:
    """Authenticate the request (401 first, before anything else is looked at)."""
    service = service_of(request)
    return await run_in_threadpool(service.access.authenticate, request.headers.get("authorization"))


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def require_json(request: Request) -> None:
    kind = media_type(request)
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        raise UnsupportedMediaType("The body must be application/json.")


def require_octet_stream(request: Request) -> None:
    if media_type(request) != "application/octet-stream":
        raise UnsupportedMediaType("The body must be application/octet-stream.")


async def read_body(request: Request, limit: int | None, *, too_large: str | None = None) -> bytes:
    """The request body; 413 from Content-Length or as soon as the bytes read pass ``limit``. ``too_large``
    names the error kind of an upload's oversize body (the profile's ``reject_statuses.too_large``)."""
    return bytes(await read_body_buffer(request, limit, too_large=too_large))


async def read_body_buffer(request: Request, limit: int | None, *, too_large: str | None = None) -> bytearray:
    """:func:`read_body` into one growing buffer (never the chunks and their joined copy side by side)."""
    declared = request.headers.get("content-length", "")
    message = f"The request body is larger than {limit} bytes."
    if limit is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(message, kind=too_large)
    body = bytearray()
    try:
        async for chunk in request.stream():
            if limit is not None and len(body) + len(chunk) > limit:
                raise PayloadTooLarge(message)
            body += chunk
    except PayloadTooLarge as exc:  # ours, or the app's backstop limit while streaming
        raise PayloadTooLarge(exc.detail, kind=too_large) from None
    return body


def parse_json(raw: bytes | bytearray, *, kind: str = "invalid_request") -> object:
    """A JSON document in UTF-8; anything else (other encodings, BOM, deep nesting) is refused as ``kind`` (an
    invalid request; ``malformed`` for an upload), 400 in the reference.

    A ``bytearray`` is emptied once decoded, so that a large body (an upload's Base64 text) does not stay in
    memory three times over (the bytes, their text, and the parsed string) while the JSON is parsed.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.", kind=kind) from None
    if isinstance(raw, bytearray):
        raw.clear()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON.", kind=kind) from None


def json_response(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=headers)
