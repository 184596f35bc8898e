"""Unauthenticated helper endpoints: health and the packaged OpenAPI definition."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .http_common import json_response, service_of
from .problems import GENERIC_500, problem_response

LOG = logging.getLogger("conformance.reference")


def load_openapi(path: Path, base_url: str) -> dict[str, object] | None:
    """The definition with ``servers[0].url`` set to this server; None while the file does not exist.

    Read at each request: the file is data maintained beside the server and may appear after start-up.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold an OpenAPI object")
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        servers[0] = {**servers[0], "url": base_url}
    else:
        document["servers"] = [{"url": base_url}]
    return document


async def _definition(request: Request) -> dict[str, object] | Response:
    base_url = str(request.base_url).rstrip("/") + "/v1"
    try:
        document = await run_in_threadpool(load_openapi, service_of(request).settings.openapi_path, base_url)
    except (OSError, ValueError, yaml.YAMLError):
        LOG.exception("cannot load the OpenAPI definition")
        return problem_response(500, GENERIC_500)
    if document is None:
        return problem_response(404, "The OpenAPI definition is not available on this server.")
    return document


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


async def openapi_yaml(request: Request) -> Response:
    document = await _definition(request)
    if isinstance(document, Response):
        return document
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return Response(text.encode("utf-8"), media_type="application/yaml")


async def openapi_json(request: Request) -> Response:
    document = await _definition(request)
    if isinstance(document, Response):
        return document
    body = json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")
    return Response(body, media_type="application/json")


ROUTES = [
    Route("/v1/health", health, methods=["GET"]),
    Route("/v1/openapi.yaml", openapi_yaml, methods=["GET"]),
    Route("/v1/openapi.json", openapi_json, methods=["GET"]),
]
