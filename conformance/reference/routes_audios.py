"""HTTP layer of the audio resource: parse, call the service, answer.

Every handler checks in the contract's order: authentication (401), space access (404), audio lookup
(404), then the request body. Service calls run in the threadpool (SQLite and PyAV block); the handlers
themselves stay async so a hanging fault never ties up a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import faults
from .http_common import (
    json_response,
    parse_json,
    read_body,
    read_body_buffer,
    require_json,
    require_octet_stream,
    service_of,
)
from .models import Audio, Space
from .service import Service

if TYPE_CHECKING:
    from .behaviour import Capabilities

HANG_SECONDS = 3600.0
AUDIOS = "/v1/spaces/{owner}/{space}/audios"
AUDIO = AUDIOS + "/{audio}"
FILE = AUDIO + "/file"


def _resolve(service: Service, authorization: str | None, params: dict[str, str], read_only: bool) -> Space:
    user = service.access.authenticate(authorization)
    return service.space_for(user, params["owner"], params["space"], read_only=read_only)


def _resolve_audio(service: Service, authorization: str | None, params: dict[str, str], read_only: bool) -> Audio:
    space = _resolve(service, authorization, params, read_only)
    return service.audio_in(space, params["audio"])


async def _space(request: Request, *, read_only: bool) -> tuple[Service, Space]:
    service = service_of(request)
    auth = request.headers.get("authorization")
    return service, await run_in_threadpool(_resolve, service, auth, dict(request.path_params), read_only)


async def _audio(request: Request, *, read_only: bool) -> tuple[Service, Audio]:
    service = service_of(request)
    auth = request.headers.get("authorization")
    return service, await run_in_threadpool(_resolve_audio, service, auth, dict(request.path_params), read_only)


def _body_limit(service: Service, limit: int) -> int | None:
    return None if faults.active(service.settings, "oversize-accepted") else limit


async def list_audios(request: Request) -> Response:
    service, space = await _space(request, read_only=True)
    items, headers = await run_in_threadpool(service.list_audios, space, dict(request.query_params))
    return json_response(items, headers=headers)


async def create_audio(request: Request) -> Response:
    service, space = await _space(request, read_only=False)
    require_json(request)
    # the Base64 text can be ~27 MiB: parse_json empties the buffer once decoded, create_audio drops the text
    # once decoded (docs: benchmarks/README.md, peak memory)
    limit = _body_limit(service, service.settings.limits.max_body_bytes)
    body = parse_json(await read_body_buffer(request, limit, too_large="too_large"), kind="malformed")
    status, view = await run_in_threadpool(service.create_audio, space, body)
    return json_response(view, status)


async def get_audio(request: Request) -> Response:
    service, audio = await _audio(request, read_only=True)
    return json_response(await run_in_threadpool(service.get_details, audio))


async def update_audio(request: Request) -> Response:
    service, audio = await _audio(request, read_only=False)
    body = parse_json(await read_body(request, service.settings.limits.max_json_bytes))
    return json_response(await run_in_threadpool(service.update_audio, audio, body))


async def delete_audio(request: Request) -> Response:
    service, audio = await _audio(request, read_only=False)
    await run_in_threadpool(service.delete_audio, audio)
    return Response(status_code=204)


async def get_file(request: Request) -> Response:
    service, audio = await _audio(request, read_only=True)
    if faults.active(service.settings, "hang-file"):
        await asyncio.sleep(HANG_SECONDS)  # async: the server keeps serving everything else
    wav = await run_in_threadpool(service.audio_file, audio)
    return Response(wav, media_type=service.behaviour.serve.wav_media_type)


async def upload_file(request: Request) -> Response:
    service, audio = await _audio(request, read_only=False)
    require_octet_stream(request)
    service.ensure_awaiting_file(audio)  # 409 before reading a body that would be thrown away
    raw = await read_body(request, _body_limit(service, service.settings.limits.max_file_bytes), too_large="too_large")
    return json_response(await run_in_threadpool(service.upload_file, audio, raw))


def routes(capabilities: Capabilities) -> list[Route]:
    """The audio routes; DELETE and the raw upload only with their capability (else the path answers 405)."""
    table = [
        Route(AUDIOS, list_audios, methods=["GET"]),
        Route(AUDIOS, create_audio, methods=["POST"]),
        Route(AUDIO, get_audio, methods=["GET"]),
        Route(AUDIO, update_audio, methods=["PATCH"]),
    ]
    if capabilities.delete:
        table.append(Route(AUDIO, delete_audio, methods=["DELETE"]))
    table.append(Route(FILE, get_file, methods=["GET"]))
    if capabilities.raw_upload:
        table.append(Route(FILE, upload_file, methods=["POST"]))
    return table
