"""HTTP layer of sign-in, the current user and API keys: parse, call the service, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .http_common import caller, json_response, parse_json, read_body, service_of

if TYPE_CHECKING:
    from .behaviour import Capabilities


async def sign_in(request: Request) -> Response:
    service = service_of(request)
    body = parse_json(await read_body(request, service.settings.limits.max_json_bytes))
    return json_response(await run_in_threadpool(service.sign_in, body))


async def current_user(request: Request) -> Response:
    user = await caller(request)
    return json_response(await run_in_threadpool(service_of(request).user_view, user))


async def create_key(request: Request) -> Response:
    user = await caller(request)
    service = service_of(request)
    body = parse_json(await read_body(request, service.settings.limits.max_json_bytes))
    return json_response(await run_in_threadpool(service.create_key, user, body), 201)


async def get_key(request: Request) -> Response:
    user = await caller(request)
    return json_response(await run_in_threadpool(service_of(request).get_key, user, request.path_params["key"]))


async def delete_key(request: Request) -> Response:
    user = await caller(request)
    await run_in_threadpool(service_of(request).delete_key, user, request.path_params["key"])
    return Response(status_code=204)


def routes(capabilities: Capabilities) -> list[Route]:
    """Sign-in and the current user always; the key routes only with the ``api_keys`` capability (without it
    they do not exist: 404). The provisioned keys' tokens work either way: they are checked, not served."""
    always = [
        Route("/v1/auth/credentials", sign_in, methods=["POST"]),
        Route("/v1/user", current_user, methods=["GET"]),
    ]
    if not capabilities.api_keys:
        return always
    return [
        *always,
        Route("/v1/user/keys", create_key, methods=["POST"]),
        Route("/v1/user/keys/{key}", get_key, methods=["GET"]),
        Route("/v1/user/keys/{key}", delete_key, methods=["DELETE"]),
    ]
