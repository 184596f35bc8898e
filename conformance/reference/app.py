"""Application factory: routes, error mapping and the transport middlewares.

``create_app(settings)`` builds an independent server instance (no module-level state), so tests can run a
correct server and faulty variants side by side. Middlewares, outermost first:

1. ``ServerTimingMiddleware`` — every response, errors included, carries ``Server-Timing: app;dur=<ms>``;
   with ``Settings.timing_log`` set, the same figure is also appended to that file, one JSON line per request
   (:class:`TimingLog`).
2. ``CatchAllMiddleware`` — an unexpected exception becomes a generic 500 problem; the traceback goes to
   stderr only.
3. ``PathGuardMiddleware`` — percent-encoded ``/`` or ``\\`` in the raw path is a 404: no handle contains
   them, and decoding them would let ``alice%2Fmain`` address another route.
4. ``BodyLimitMiddleware`` — a backstop on every request body (routes apply tighter limits themselves).

With ``[serve] problem_extensions`` a ``ProblemExtensionsMiddleware`` sits between 1 and 2, so every problem
body (the catch-all's 500 included) gets its extension members. The routes of a capability the behaviour lacks
are not registered at all: the path answers 405 (with an ``Allow`` header without the method) or 404, exactly
like a route that does not exist on the target.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import TextIO

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import faults, routes_audios, routes_auth, routes_meta
from .behaviour import STATUS_KINDS
from .errors import ApiError, PayloadTooLarge, Unauthorized
from .problems import (
    CODE_STATE_KEY,
    GENERIC_500,
    ProblemExtensionsMiddleware,
    client_detail,
    problem_response,
    www_authenticate,
)
from .service import Service
from .settings import Settings

LOG = logging.getLogger("conformance.reference")


class TimingLog:
    """Appends ``{"ts", "method", "path", "status", "duration_ms"}`` lines to a file: line-buffered (a reader sees
    every finished request) and locked (one line per write even if called from several threads). ``ts`` is the
    request's start (Unix seconds); ``duration_ms`` is the number sent in its ``Server-Timing`` header."""

    def __init__(self, path: Path) -> None:
        self._file: TextIO = path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def write(self, *, ts: float, method: str, path: str, status: int, duration_ms: float) -> None:
        record = {"ts": round(ts, 6), "method": method, "path": path, "status": status, "duration_ms": duration_ms}
        line = json.dumps(record, separators=(",", ":")) + "\n"  # ASCII: no U+2028 or NEL can split a line
        with self._lock:
            self._file.write(line)

    def close(self) -> None:
        with self._lock:
            self._file.close()


class ServerTimingMiddleware:
    def __init__(self, app: ASGIApp, timing_log: TimingLog | None = None) -> None:
        self.app = app
        self.timing_log = timing_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, started_at = time.perf_counter(), time.time()
        log = self.timing_log

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                duration = f"{(time.perf_counter() - started) * 1000:.3f}"
                MutableHeaders(scope=message).append("Server-Timing", f"app;dur={duration}")
                if log is not None:
                    log.write(
                        ts=started_at,
                        method=scope["method"],
                        path=scope["path"],
                        status=int(message["status"]),
                        duration_ms=float(duration),
                    )
            await send(message)

        await self.app(scope, receive, timed_send)


class CatchAllMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            LOG.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            await problem_response(500, GENERIC_500)(scope, receive, send)


class PathGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") or b""
        if scope["type"] == "http" and (b"%2f" in raw.lower() or b"%5c" in raw.lower()):
            await problem_response(404, "No such resource.")(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int | None) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit is None:
            await self.app(scope, receive, send)
            return
        received = 0
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
            return message

        await self.app(scope, limited_receive, send)


def allowed_methods(request: Request) -> str:
    """Every method of every route matching the path (Starlette alone reports only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def create_app(settings: Settings) -> Starlette:
    """A complete server instance over ``settings`` (database, limits, faults)."""

    behaviour = settings.behaviour

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        headers = None
        if isinstance(exc, Unauthorized):
            headers = www_authenticate(settings, token_sent=exc.token_sent, detail=exc.detail)
        status = behaviour.status_of(exc.kind) if exc.kind in STATUS_KINDS else exc.status
        if exc.kind is not None:
            request.scope.setdefault("state", {})[CODE_STATE_KEY] = exc.kind
        return problem_response(status, client_detail(settings, status, exc.detail, exc), headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            detail = f"The method {request.method} is not allowed on this path."
            headers = {"Allow": allowed_methods(request)}
            return problem_response(405, client_detail(settings, 405, detail, exc), headers)
        detail = "No such resource." if exc.status_code == 404 else str(exc.detail)
        return problem_response(exc.status_code, client_detail(settings, exc.status_code, detail, exc))

    async def unexpected(request: Request, exc: Exception) -> Response:
        return problem_response(500, GENERIC_500)

    body_limit = None if faults.active(settings, "oversize-accepted") else settings.limits.max_body_bytes
    timing_log = TimingLog(settings.timing_log) if settings.timing_log is not None else None
    extensions = [Middleware(ProblemExtensionsMiddleware)] if behaviour.serve.problem_extensions else []
    app = Starlette(
        routes=[
            *routes_meta.ROUTES,
            *routes_auth.routes(behaviour.capabilities),
            *routes_audios.routes(behaviour.capabilities),
        ],
        middleware=[
            Middleware(ServerTimingMiddleware, timing_log=timing_log),
            *extensions,
            Middleware(CatchAllMiddleware),
            Middleware(PathGuardMiddleware),
            Middleware(BodyLimitMiddleware, limit=body_limit),
        ],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: unexpected},
    )
    app.state.service = Service(settings)
    app.state.timing_log = timing_log
    return app
