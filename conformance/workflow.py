"""The upload-an-audio workflow as steps the scenarios share: encode, create, wait until processed, fetch.

Steps record what the target answered and never judge it; judging is the checks' job. Each upload happens once
per run and is cached, so that one requirement per test does not mean one upload per test.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.checks.http import json_body
from conformance.client import ApiClient
from conformance.config import Space
from conformance.http_stack import TargetError
from conformance.manifest import MediaCase
from conformance.profile import Profile
from conformance.resources import Resources
from conformance.transcript import Exchange

SETTLED_STATES = ("available", "notAvailable")
AUDIO_STATES = ("avaitingFile", *SETTLED_STATES)  # sic: the spelling of every version of the public docs


ALIAS_PART = re.compile(r"[A-Za-z0-9._-]{1,60}")


def alias_part(name: str) -> str:
    """A row's name as it goes into an alias: itself when short and plain (every fixture id), else a stable
    digest of it (a user file's name may be long, or hold spaces and non-ASCII, and a target may bound aliases)."""
    if ALIAS_PART.fullmatch(name):
        return name
    return "media-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def encode_file(data: bytes) -> str:
    """Base64 as the vendor's guide does it (``base64 -w 0``): standard alphabet, padded, one line."""
    return base64.b64encode(data).decode("ascii")


@dataclass(slots=True)
class Upload:
    """One create call and what followed: the 201 body, and the audio once processing settled."""

    media: MediaCase
    alias: str | None
    space: Space
    response: httpx.Response
    created: dict[str, Any] | None = None
    settled: dict[str, Any] | None = None
    polls: int = 0
    wait_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    file_response: httpx.Response | None = None
    file_error: TargetError | None = None
    exchanges: list[Exchange] = field(default_factory=list)

    def remember(self, client: ApiClient) -> None:
        """Keep the exchange just made, so that later checks of this cached upload can show it."""
        if client.last_exchange is not None:
            self.exchanges.append(client.last_exchange)

    @property
    def handle(self) -> str | None:
        """The handle the target assigned, if it created anything."""
        value = (self.created or {}).get("handle")
        return value if isinstance(value, str) and value else None


def upload(client: ApiClient, actor: str, space: Space, media: MediaCase, alias: str | None, *,
           profile: Profile, resources: Resources) -> Upload:
    """Create an audio from ``media`` and wait (with the profile's deadline) until the target has processed it.
    A file the suite cannot decode is never sent (its checks could judge nothing the target answered)."""
    if media.undecodable is not None:
        raise ValueError(f"{media.id}: the suite cannot decode this file ({media.undecodable}); it is not sent")
    body: dict[str, Any] = {"file": encode_file(media.read())}
    if alias is not None:
        body["alias"] = alias
    response, created = create(client, actor, space, body, resources=resources)
    result = Upload(media=media, alias=alias, space=space, response=response, created=created)
    result.remember(client)
    if result.handle:
        result.settled = _wait_until_settled(client, space, result, profile)
    return result


def _wait_until_settled(client: ApiClient, space: Space, result: Upload, profile: Profile) -> dict[str, Any] | None:
    """The upload's audio once processed (see :func:`settle`), remembering the polls for the report."""
    assert result.created is not None and result.handle is not None
    settling = settle(client, space, result.created, profile, on_poll=lambda: result.remember(client))
    result.polls, result.wait_s = settling.polls, settling.wait_s
    if settling.problem:
        result.problems.append(settling.problem)
    return settling.audio


@dataclass(slots=True)
class Settling:
    """How waiting for an audio to be processed ended: the last audio read (settled, or in an undocumented state,
    or None when the wait ran out), the number of polls and the seconds waited, and why it stopped early."""

    audio: dict[str, Any] | None
    polls: int = 0
    wait_s: float = 0.0
    problem: str | None = None

    @property
    def available(self) -> bool:
        """Whether the audio ended `available`."""
        return self.audio is not None and self.audio.get("state") == "available"


def settle(client: ApiClient, space: Space, audio: dict[str, Any], profile: Profile, *,
           on_poll: Callable[[], None] | None = None) -> Settling:
    """Poll an audio's details until it is `available`/`notAvailable`, within the profile's processing timeout
    (the run's own deadline is enforced between checks, by the plugin). The one waiting loop of the suite: a synchronous
    target costs nothing (its answer is already settled), an asynchronous one a poll every ``poll_interval_s``.

    A state outside the documented enum stops the wait at once (the audio is returned as read, for the schema
    check to judge): polling until the timeout for a value that can never settle would spend the whole processing
    timeout on every upload of a target that merely names its states differently.
    """
    state = audio.get("state")
    if state in SETTLED_STATES:
        return Settling(audio)
    if state not in AUDIO_STATES:
        return Settling(audio, problem=f"state {state!r} is not a documented value")
    start = time.monotonic()
    until = start + profile.processing_timeout_s
    handle, polls, status = str(audio.get("handle")), 0, None
    while time.monotonic() + profile.poll_interval_s <= until:
        time.sleep(profile.poll_interval_s)
        response = client.get_audio(space, handle)
        polls += 1
        if on_poll is not None:
            on_poll()
        body, status = json_body(response), response.status_code
        if status != 200 or not isinstance(body, dict):
            continue
        state = body.get("state")
        if state in SETTLED_STATES:
            return Settling(body, polls, time.monotonic() - start)
        if state not in AUDIO_STATES:
            return Settling(body, polls, time.monotonic() - start, problem=f"state {state!r} is not a documented "
                            "value")
    waited = time.monotonic() - start
    return Settling(None, polls, waited, problem=f"still not processed after {waited:.1f} s ({polls} polls, last "
                    f"status {status})")


class UploadCache:
    """Uploads keyed by (actor, space, media id, alias), made at most once per run (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uploads: dict[tuple[str, str, str, str | None], Upload] = {}

    def all(self) -> list[Upload]:
        """Every upload made so far."""
        with self._lock:
            return list(self._uploads.values())

    def get_or_upload(self, client: ApiClient, actor: str, space: Space, media: MediaCase, alias: str | None, *,
                      profile: Profile, resources: Resources) -> Upload:
        """The cached upload, or a new one."""
        key = (actor, space.label, media.id, alias)
        with self._lock:
            if key not in self._uploads:
                self._uploads[key] = upload(client, actor, space, media, alias, profile=profile, resources=resources)
            return self._uploads[key]


def fetch_file(client: ApiClient, result: Upload) -> httpx.Response:
    """``GET .../file`` of an upload, fetched once per run; a timeout is remembered too, so a hanging endpoint
    costs one timeout, not one per check."""
    if result.file_error is not None:
        raise result.file_error
    if result.file_response is None:
        assert result.handle is not None
        try:
            result.file_response = client.get_audio_file(result.space, result.handle)
        except TargetError as exc:
            result.file_error = exc
            raise
        result.remember(client)
    client.transcript.include(result.exchanges)
    return result.file_response


def create(client: ApiClient, actor: str, space: Space, body: dict[str, Any] | bytes, *,
           resources: Resources) -> tuple[httpx.Response, dict[str, Any] | None]:
    """The suite's one create call: the answer, and the audio it created (a 2xx JSON object), or None. Whatever
    the target created, even from a body it should have refused or for a caller it should have turned away, is
    recorded under ``actor`` for the sweep, so no run leaves audios behind (``conformance/resources.py``)."""
    response = client.create_audio(space, body)
    parsed = json_body(response)
    created = parsed if 200 <= response.status_code < 300 and isinstance(parsed, dict) else None
    if created is not None and isinstance(created.get("handle"), str) and created["handle"]:
        resources.record(actor, space, created["handle"])
    return response, created


def create_without_file(client: ApiClient, actor: str, space: Space, alias: str | None, *, profile: Profile,
                        resources: Resources) -> httpx.Response:
    """Create an audio awaiting its file, in the form the target's profile names (``fileless_create``: a body
    without `file`, or with `"file": null`); what it creates is recorded for cleanup."""
    body = profile.fileless_body()
    if body is None:
        raise ValueError("the profile declares no file-less create (fileless_create = \"unsupported\")")
    if alias is not None:
        body["alias"] = alias
    return create(client, actor, space, body, resources=resources)[0]


def list_all(client: ApiClient, space: Space, *, search: str | None = None,
             max_pages: int = 50) -> list[dict[str, Any]]:
    """Every audio of ``space`` (optionally narrowed by ``search``), following pages up to ``max_pages``."""
    items: list[dict[str, Any]] = []
    for page in range(1, max_pages + 1):
        response = client.list_audios(space, page=page, page_size=50, search=search)
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, list) or not body:
            break
        items += [item for item in body if isinstance(item, dict)]
        total = response.headers.get("page-total")
        if total is not None and total.isdigit() and page >= int(total):
            break
    return items


def audios_with_alias(client: ApiClient, space: Space, alias: str) -> list[dict[str, Any]]:
    """Audios of ``space`` whose alias is exactly ``alias`` (the probe for "nothing was stored")."""
    return [item for item in list_all(client, space, search=alias) if item.get("alias") == alias]
