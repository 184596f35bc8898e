"""Runs the cells of the access matrix: builds each actor's client, the audios the cells aim at, sends the request,
and re-reads the space as its owner to see what really happened.

Nothing here judges: a :class:`CellResult` carries the answer, the values that must not leak, and a description of
any side effect (refused write) or missing effect (allowed operation). The checks in ``checks/access.py`` judge.
Every cell runs once per run and is cached, so the challenge and hide-existence tests reuse its answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from conformance.access_matrix import Actor, Cell, Matrix, PathVariant
from conformance.checks.access import Allowance, org_space_usable, own_space_usable, sign_in_gave_token
from conformance.checks.audio import create_step_created
from conformance.checks.credentials import key_delete_succeeded, key_token_of
from conformance.checks.http import WAV_MEDIA_TYPES, body_excerpt, json_body, media_type
from conformance.checks.lifecycle import fileless_create_step_created
from conformance.client import ApiClient
from conformance.config import Settings, Space
from conformance.manifest import MediaCase
from conformance.outcomes import disabled
from conformance.pytest_fixtures import ClientFactory
from conformance.run_state import RunState
from conformance.workflow import Upload, audios_with_alias, create, create_without_file, encode_file, settle, upload

AWAITING = "avaitingFile"  # sic: the documented state name


@dataclass(slots=True)
class Victim:
    """An audio a cell aims at, the space that really holds it, and the configured actor that owns it."""

    space: Space
    owner: str
    audio: dict[str, Any]

    @property
    def handle(self) -> str:
        """The audio's handle."""
        return str(self.audio["handle"])

    def values(self) -> tuple[str, ...]:
        """What a refusal must not show: handle, alias, id."""
        return tuple(str(self.audio.get(key) or "") for key in ("handle", "alias", "id"))


@dataclass(slots=True)
class CellResult:
    """What one cell's request got, and what the owner saw afterwards."""

    what: str
    response: httpx.Response
    values: tuple[str, ...]
    change: str | None = None  # a refused write that took effect anyway
    effect: str | None = None  # an allowed operation whose effect is not visible
    exchanges: list[Any] = field(default_factory=list)


class MatrixRunner:
    """One per run: clients per actor, victims per space, and the cached result of every cell."""

    def __init__(self, *, matrix: Matrix, state: RunState, client_for: ClientFactory,
                 space_for: Callable[[str], Space], uploaded: Callable[..., Upload], media: MediaCase) -> None:
        self.matrix = matrix
        self.state = state
        self.client_for = client_for
        self.space_for = space_for
        self.uploaded = uploaded
        self.media = media
        self._clients: dict[str, ApiClient] = {}
        self._results: dict[str, CellResult] = {}

    @property
    def settings(self) -> Settings:
        """The run's configuration."""
        return self.state.settings

    @property
    def run_id(self) -> str:
        """This run's id (in every alias the matrix creates)."""
        return self.state.run_id

    def close(self) -> None:
        """Release the clients this runner made itself."""
        for client in self._clients.values():
            client.close()

    # --- who -------------------------------------------------------------------------------------------------
    def client(self, actor: Actor) -> ApiClient:
        """The client that presents ``actor``'s credential (created once)."""
        if actor.credential == "configured":
            return self.client_for(actor.identity)
        if actor.name not in self._clients:
            self._clients[actor.name] = self._new_client(actor)
        return self._clients[actor.name]

    def _new_client(self, actor: Actor) -> ApiClient:
        if actor.credential == "none":
            return self.client_for.raw()
        if actor.credential == "header":
            return self.client_for.raw(authorization=actor.authorization)
        if actor.credential == "session":
            return self.client_for.raw(token=self.session_token(actor.identity))
        return self.client_for.raw(token=self._revoked_key(actor.identity))

    def credentials(self, identity: str) -> tuple[str, str]:
        """The identity's handle and password, or a ``disabled`` skip."""
        configured = self.settings.actors.get(identity)
        if configured is None or not configured.handle or not configured.password:
            disabled(f"[actors.{identity}] has no handle and password for /auth/credentials")
        return configured.handle, configured.password

    def session_token(self, identity: str) -> str:
        """A fresh session token from ``/auth/credentials``."""
        handle, password = self.credentials(identity)
        anonymous = self.client_for.raw()
        try:
            response = anonymous.sign_in(handle, password)
        finally:
            anonymous.close()
        token = sign_in_gave_token(response, handle)
        self.state.redactor.add(token)
        return token

    def _revoked_key(self, identity: str) -> str:
        owner = self.client_for(identity)
        handle = f"conformance-revoked-{self.run_id}"
        token = key_token_of(owner.create_key(handle, f"{self.run_id} access matrix (deleted at once)"))
        self.state.redactor.add(token)
        key_delete_succeeded(owner.delete_key(handle))
        return token

    # --- where -----------------------------------------------------------------------------------------------
    def space_name(self, identity: str, role: str) -> str:
        """The configured space that plays ``role`` for ``identity``."""
        return self.matrix.space_name(identity, role)

    def owner_of(self, space_name: str) -> str:
        """The configured actor that may use ``space_name`` (its own or a member organization's)."""
        for identity, roles in self.matrix.identities.items():
            if space_name in (roles["own"], roles["member_org"]):
                return identity
        raise KeyError(space_name)

    def _created(self, space_name: str, response: httpx.Response, body: object, how: str, *,
                 step: Callable[[httpx.Response, object, str], dict[str, Any]] = create_step_created
                 ) -> dict[str, Any]:
        """The audio a cell needs, or a failed precondition. Who is blamed depends on what was seen: a refusal
        with a denied status is the owner denied its own (or its organization's) space, which is the behaviour
        ACCESS-OWN-ALLOWED / ACCESS-ORG-ALLOWED are about; any other failure is the create step's own check
        (``step``), and the cell's requirement stays undecided: its behaviour was never reached."""
        what = f"its owner creating {how} in {self.space_for(space_name).label}"
        if response.status_code in self.settings.profile.denied_statuses:
            self.usable_check(space_name)(response, what, None)
        return step(response, body, what)

    def usable_check(self, space_name: str) -> Allowance:
        """The check an owner fails when it is denied ``space_name`` (its own, or a member org's)."""
        roles = self.matrix.identities[self.owner_of(space_name)]
        return own_space_usable if roles["own"] == space_name else org_space_usable

    def victim(self, space_name: str) -> Victim:
        """The available audio read cells aim at in ``space_name`` (the cached upload of the shared media; cells
        that write get a fresh audio each, so a wrongly accepted write cannot disturb any other test)."""
        owner = self.owner_of(space_name)
        made = self.uploaded(self.media, actor=owner, space=space_name)
        created = self._created(space_name, made.response, made.created, "an audio")
        return Victim(space=self.space_for(space_name), owner=owner, audio=created)

    def fresh(self, space_name: str, *, with_file: bool, label: str) -> Victim:
        """A new audio for one write cell. Without a file when the target can (raw-upload capability): cheaper."""
        owner, space = self.owner_of(space_name), self.space_for(space_name)
        alias = f"{self.run_id}-matrix-{label}"[:100]
        if with_file:
            made = upload(self.client_for(owner), owner, space, self.media, alias, profile=self.settings.profile,
                          resources=self.state.resources)
            return Victim(space=space, owner=owner, audio=self._created(space_name, made.response, made.created,
                                                                        "an audio"))
        response = create_without_file(self.client_for(owner), owner, space, alias, profile=self.settings.profile,
                                       resources=self.state.resources)
        body = self._created(space_name, response, json_body(response), "an audio without a file",
                             step=fileless_create_step_created)
        return Victim(space=space, owner=owner, audio=body)

    def addressed(self, cell: Cell) -> Space:
        """The space path the cell sends its request to (possibly an unknown owner or space)."""
        space = self.space_for(self.space_name(cell.actor.identity, cell.target.space))
        suffix = f"x{self.run_id}-unknown"
        if cell.target.path == "unknown_owner":
            return replace(space, owner=suffix)
        if cell.target.path == "unknown_space":
            return replace(space, space=suffix)
        return space

    # --- doing -----------------------------------------------------------------------------------------------
    def run(self, cell: Cell) -> CellResult:
        """The cell's result, computed once per run."""
        if cell.id not in self._results:
            self._results[cell.id] = self._run(cell)
        else:
            self.state.transcript.include(self._results[cell.id].exchanges)
        return self._results[cell.id]

    def _run(self, cell: Cell) -> CellResult:
        identity, op = cell.actor.identity, cell.operation
        path_space = self.addressed(cell)
        real = self.space_name(identity, cell.target.space)
        audio_space = self.space_name(identity, cell.target.audio_role)
        allowed = cell.outcome == "allowed"
        client = self.client(cell.actor)
        if op.scope == "space":
            victim = self.victim(real)
        elif op.scope == "awaiting":
            victim = self.fresh(audio_space, with_file=False, label=cell.id)
        elif op.writes:
            cheap = self.settings.profile.fileless_body() is not None
            victim = self.fresh(audio_space, with_file=not cheap, label=cell.id)
        else:
            victim = self.victim(audio_space)
        start = len(self.state.transcript.exchanges)
        what = f"{op.name} in {path_space.label} as {cell.actor.name}"
        alias = f"{self.run_id}-m-{cell.id}"[:100]
        response = self._call(client, cell, path_space, victim, alias)
        result = CellResult(what=what, response=response, values=victim.values())
        if allowed:
            result.effect = self._effect(cell, victim, response, alias, path_space)
        elif op.writes:
            result.change = self._change(cell, victim, alias)
        result.exchanges = list(self.state.transcript.exchanges[start:])
        return result

    def _call(self, client: ApiClient, cell: Cell, space: Space, victim: Victim, alias: str) -> httpx.Response:
        name = cell.operation.name
        if name == "create":
            body = {"file": encode_file(self.media.read()), "alias": alias}
            return create(client, cell.actor.identity, space, body, resources=self.state.resources)[0]
        if name == "list":
            return client.list_audios(space)
        if name == "get_details":
            return client.get_audio(space, victim.handle)
        if name == "get_file":
            return client.get_audio_file(space, victim.handle)
        if name == "patch_alias":
            return client.patch_audio(space, victim.handle, {"alias": alias})
        if name == "delete":
            return client.delete_audio(space, victim.handle)
        if name == "raw_upload":
            return client.upload_audio_file(space, victim.handle, self.media.read())
        raise KeyError(name)

    def _reread(self, victim: Victim) -> httpx.Response:
        return self.client_for(victim.owner).get_audio(victim.space, victim.handle)

    def _change(self, cell: Cell, victim: Victim, alias: str) -> str | None:
        """What a refused write changed, as the owner of the real space sees it (None: nothing)."""
        name = cell.operation.name
        if name == "create":
            found = audios_with_alias(self.client_for(victim.owner), victim.space, alias)
            return f"an audio with the attempt's alias {alias!r} in {victim.space.label}" if found else None
        after = self._reread(victim)
        body = json_body(after)
        if after.status_code != 200 or not isinstance(body, dict):
            return f"the audio is gone: the owner's GET answered {after.status_code}"
        if name == "patch_alias" and body.get("alias") != victim.audio.get("alias"):
            return f"alias {victim.audio.get('alias')!r} became {body.get('alias')!r}"
        if name == "raw_upload" and body.get("state") != AWAITING:
            return f"the audio awaiting its file is now {body.get('state')!r}"
        if name == "raw_upload" and self.settings.profile.processing == "async":
            return self._file_attached(victim)
        return None

    def _file_attached(self, victim: Victim) -> str | None:
        """Whether a refused raw upload attached a file anyway, on an asynchronous target (where a file still
        being processed also reads `avaitingFile`): the owner's own upload must then be accepted, not refused as
        a second file."""
        response = self.client_for(victim.owner).upload_audio_file(victim.space, victim.handle, self.media.read())
        if response.status_code in self.settings.profile.conflict_statuses:
            return f"the owner's own upload afterwards was refused as a second file ({response.status_code})"
        return None

    def _effect(self, cell: Cell, victim: Victim, response: httpx.Response, alias: str, space: Space) -> str | None:
        """Why an allowed operation's effect is not visible (None: it is)."""
        if not 200 <= response.status_code < 300:
            return None  # the check reports the status itself
        name, body = cell.operation.name, json_body(response)
        if name == "create":
            handle = body.get("handle") if isinstance(body, dict) else None
            if not isinstance(handle, str):
                return f"the answer has no audio handle: {body_excerpt(response)}"
            seen = json_body(self.client_for(cell.actor.identity).get_audio(space, handle))
            return None if isinstance(seen, dict) and seen.get("alias") == alias else f"details show {seen!r:.200}"
        if name == "list":
            return None if isinstance(body, list) else f"not a JSON array: {body_excerpt(response)}"
        if name == "get_details":
            ok = isinstance(body, dict) and body.get("handle") == victim.handle
            return None if ok else f"not the audio {victim.handle}: {body_excerpt(response)}"
        if name == "get_file":
            ok = media_type(response) in WAV_MEDIA_TYPES and response.content.startswith(b"RIFF")
            return None if ok else f"Content-Type {media_type(response)!r}, {len(response.content)} bytes, not a WAV"
        after = self._reread(victim)
        seen = json_body(after)
        if name == "delete":
            if after.status_code == 200:
                return "the owner still reads the audio after the delete"
            self.state.resources.forget(victim.space, victim.handle)
            return None
        if not isinstance(seen, dict):
            return f"the owner's GET answered {after.status_code}"
        if name == "patch_alias" and seen.get("alias") != alias:
            return f"alias is {seen.get('alias')!r}, not {alias!r}"
        if name == "raw_upload" and seen.get("state") == AWAITING:
            if self.settings.profile.processing != "async":
                return f"the audio is still {AWAITING}"
            # asynchronous: the file is accepted and processed later, so wait for it to settle (bounded)
            settling = settle(self.client_for(victim.owner), victim.space, seen, self.settings.profile)
            if settling.audio is None or settling.audio.get("state") == AWAITING:
                return f"the audio is still {AWAITING} ({settling.problem or 'not processed'})"
        return None

    # --- path variants ---------------------------------------------------------------------------------------
    def run_path(self, variant: PathVariant) -> CellResult:
        """GET a non-canonical path as the primary actor (following one redirect, which must lead nowhere)."""
        own = self.space_for(self.space_name("primary", "own"))
        foreign_name = self.space_name("primary", "other_user")
        theirs, mine = self.victim(foreign_name), self.victim(own.name)
        path = render_path(variant.template, own=own, foreign=theirs.space, handle=theirs.handle,
                           own_handle=mine.handle)
        client = self.client_for("primary")
        response = client.request("GET", path)
        location = response.headers.get("location")
        if 300 <= response.status_code < 400 and location:
            response = client.request("GET", str(response.request.url.join(location)))
        return CellResult(what=f"GET {path} as primary", response=response, values=(*theirs.values(), *mine.values()))


def _padded(handle: str, length: int) -> str:
    """A valid-grammar handle of exactly ``length`` characters that starts with ``handle``."""
    text = (handle + "-" + "a" * length)[:length]
    return text[:-1] + "a" if text.endswith("-") else text


def render_path(template: str, *, own: Space, foreign: Space, handle: str, own_handle: str) -> str:
    """Fill a path-variant template (see ``access_matrix.toml``)."""
    values = {"own_owner": own.owner, "own_space": own.space, "foreign_owner": foreign.owner,
              "foreign_space": foreign.space, "handle": handle, "own_handle": own_handle}
    out = template
    for key, value in values.items():
        out = out.replace(f"{{upper:{key}}}", value.upper())
        out = out.replace(f"{{pad50:{key}}}", _padded(value, 50)).replace(f"{{pad51:{key}}}", _padded(value, 51))
        out = out.replace(f"{{{key}}}", value)
    if "{" in out:
        raise ValueError(f"unknown placeholder in path template {template!r}")
    return out
