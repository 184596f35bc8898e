"""Use cases of the API: sign-in, keys, and the audio resource (create, list, read, update, delete, file).

No HTTP types and no SQL: callers pass parsed JSON values and query strings, and get JSON-ready dicts or
bytes back; failures are :mod:`errors` exceptions naming their kind, whose status the server's behaviour (the
reference profile or ``serve --profile``) decides. Planted faults that change data (not transport) are applied
here, each at a ``faults.active`` check. The list's parameters are in :mod:`listing`, the audio's JSON form
and its state as seen now (asynchronous processing) in :mod:`views`.
"""

from __future__ import annotations

import dataclasses
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from . import clock, faults, listing, media, views
from .access import Access, hash_token, valid_handle
from .errors import BadRequest, Conflict, Deleted, MediaRejected, NoFileYet, NotFound, Unauthorized
from .models import AVAILABLE, AVAITING_FILE, ApiKey, Audio, Space, User
from .storage import Storage

if TYPE_CHECKING:
    from .behaviour import Behaviour
    from .settings import Settings

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 40
MAX_ALIAS = 100
SHORT_SESSION = timedelta(hours=1)  # the ``session-expiry-wrong`` fault's lifetime
AUDIO_NOT_FOUND = "The audio does not exist in this space."
AUDIO_DELETED = "The audio was deleted from this space."
HANDLE_ATTEMPTS = 8  # fresh handles tried before giving up (a collision needs 2^60 bad luck)


def new_token() -> str:
    """40 random alphanumeric characters, the token shape shown by the docs."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \\ud800-style JSON escapes
        return False
    return True


def parse_alias(value: object) -> str | None:
    """An alias is null or a string of 1–100 characters."""
    if value is None:
        return None
    if isinstance(value, str) and 1 <= len(value) <= MAX_ALIAS and _is_utf8(value):
        return value
    raise BadRequest("alias must be null or a string of 1 to 100 characters.")


def _odd_alias(alias: str | None) -> bool:
    """A character outside the BMP or a control character (what the ``odd-alias-500`` fault chokes on)."""
    return alias is not None and any(ord(c) > 0xFFFF or ord(c) < 0x20 or ord(c) == 0x7F for c in alias)


def _require_object(body: object, *, kind: str = "invalid_request") -> dict[str, object]:
    """The body as a JSON object; otherwise refused as ``kind`` (``malformed`` for an upload)."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", kind=kind)
    return body


class Service:
    """The API's use cases over one storage, honouring the settings' limits and faults."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.storage = Storage(settings.db_path)
        self.storage.init_schema()
        self.access = Access(self.storage, settings)
        self.behaviour: Behaviour = settings.behaviour
        self._deleted: dict[tuple[str, str], Audio] = {}  # only filled under the ``use-after-delete`` fault

    def _fault(self, name: str) -> bool:
        return faults.active(self.settings, name)

    # -- auth -----------------------------------------------------------------------------------------
    def sign_in(self, body: object) -> dict[str, object]:
        data = _require_object(body)
        handle, password = data.get("handle"), data.get("password")
        if not isinstance(handle, str) or not isinstance(password, str):
            raise BadRequest("handle and password must be strings.")
        user = self.access.check_password(handle, password)
        if user is None:
            if self._fault("sign-in-reveals-handle") and self.storage.user_by_handle(handle) is None:
                raise NotFound("No user has this handle.")
            raise Unauthorized("The handle or the password is wrong.", token_sent=False)
        token, issued = new_token(), clock.now()
        expires = issued + (SHORT_SESSION if self._fault("session-expiry-wrong") else self.settings.session_ttl)
        self.storage.insert_session(
            token_hash=hash_token(token),
            user_id=user.id,
            issued_at=clock.to_text(issued),
            expires_at=clock.to_text(expires),
        )
        return {"token": token, "issuedAt": clock.to_text(issued), "expiresAt": clock.to_text(expires)}

    def user_view(self, user: User) -> dict[str, object]:
        if self._fault("user-returns-other"):
            user = self.storage.user_by_handle(faults.SWAPPED_USERS.get(user.handle, user.handle)) or user
        orgs, spaces = self.storage.counts_for(user.id)
        return {
            "id": user.id,
            "handle": user.handle,
            "alias": user.alias,
            "email": user.email,
            "state": user.state,
            "orgs": orgs,
            "spaces": spaces,
            "createdAt": user.created_at,
            "emailVerified": user.email_verified,
        }

    def create_key(self, user: User, body: object) -> dict[str, object]:
        data = _require_object(body)
        handle = data.get("handle")
        if not valid_handle(handle):
            raise BadRequest("handle must be 1 to 50 lowercase alphanumerics separated by single hyphens.")
        assert isinstance(handle, str)
        key = ApiKey(str(uuid.uuid4()), handle, parse_alias(data.get("alias")), new_token(), clock.now_text())
        if not self.storage.insert_key(user_id=user.id, key=key):
            raise Conflict("You already have an API key with this handle.")
        return _key_view(key)

    def get_key(self, user: User, handle: str) -> dict[str, object]:
        key = self.storage.get_key(user_id=user.id, handle=handle) if valid_handle(handle) else None
        if key is None:
            raise NotFound("You have no API key with this handle.")
        return _key_view(key)

    def delete_key(self, user: User, handle: str) -> None:
        if self._fault("revoked-key-accepted") and valid_handle(handle):
            if self.storage.get_key(user_id=user.id, handle=handle) is None:
                raise NotFound("You have no API key with this handle.")
            return  # answers 204 and keeps the key working
        if not (valid_handle(handle) and self.storage.delete_key(user_id=user.id, handle=handle)):
            raise NotFound("You have no API key with this handle.")

    # -- lookups in the order of the contract: space (404), then audio (404) -----------------------------
    def space_for(self, user: User, owner: str, space: str, *, read_only: bool) -> Space:
        return self.access.resolve_space(user, owner, space, read_only=read_only)

    def audio_in(self, space: Space, handle: str) -> Audio:
        audio = self.storage.get_audio(space_id=space.id, handle=handle) if valid_handle(handle) else None
        if audio is None and valid_handle(handle) and self._fault("cross-space-audio"):
            audio = self.storage.audio_in_any_space(handle)
        if audio is None and self._fault("use-after-delete"):
            audio = self._deleted.get((space.id, handle))
        if audio is None and valid_handle(handle) and self.storage.was_deleted(space_id=space.id, handle=handle):
            # with the reference's 404 the answer is exactly that of an audio that never existed
            raise NotFound(AUDIO_NOT_FOUND) if self.behaviour.deleted_statuses[0] == 404 else Deleted(AUDIO_DELETED)
        if audio is None:
            raise NotFound(AUDIO_NOT_FOUND)
        return audio

    # -- audios ---------------------------------------------------------------------------------------
    def create_audio(self, space: Space, body: object) -> tuple[int, dict[str, object]]:
        """Steps 2–9 of the upload rules; returns (status, audio view)."""
        data = _require_object(body, kind="malformed")
        form = "null" if "file" in data else "omit"
        file = data.pop("file", None)  # popped: once decoded, the Base64 text is freed (the caller keeps the dict)
        if file is not None and not isinstance(file, str):
            raise MediaRejected("malformed", "file must be a Base64 string or null.")
        self._refuse_client_handle(data)
        alias = parse_alias(data.get("alias"))
        if _odd_alias(alias) and self._fault("odd-alias-500"):
            raise RuntimeError("alias cannot be stored")  # the app's handler answers a generic 500
        if data.get("identity") is not None:
            raise BadRequest("identity must be null: this server has no identities.")
        if file is None and not self.behaviour.fileless_allowed(form):
            raise MediaRejected("malformed", views.fileless_refusal(self.behaviour))
        if self._fault("alias-dropped"):
            alias = None
        created_at = clock.now_text()
        status = 200 if self._fault("create-200") else 201
        if file is None:
            audio = self._insert(space, alias, created_at, None, wav=None, original=None)
            return status, self.audio_view(audio)
        raw = self._decode_base64(file)
        del file
        converted = self._convert(raw)
        original = self._original(raw)
        del raw  # not needed while the WAV is stored
        audio = self._insert(space, alias, created_at, converted, wav=converted.wav, original=original)
        return status, self.audio_view(audio)

    def _insert(
        self,
        space: Space,
        alias: str | None,
        created_at: str,
        converted: media.ConvertedAudio | None,
        *,
        wav: bytes | None,
        original: bytes | None,
    ) -> Audio:
        """Store a new audio under a fresh handle (never one the space has, or had before a delete)."""
        uploaded_at = None if converted is None else self._ready_at()
        for _ in range(HANDLE_ATTEMPTS):
            audio = Audio(
                str(uuid.uuid4()),
                space.id,
                views.new_handle(self.behaviour.serve.handle_style),
                alias,
                AVAITING_FILE if converted is None else AVAILABLE,
                0 if converted is None else converted.frames,
                0 if converted is None else converted.sample_rate,
                created_at,
                uploaded_at,
                uploaded_at,
            )
            if self.storage.insert_audio(audio, wav=wav, original=original):
                return audio
        raise RuntimeError("no free audio handle after several attempts")

    def _ready_at(self) -> str:
        """When a file accepted now becomes visible: now, or after the asynchronous processing delay."""
        return clock.to_text(clock.now() + timedelta(seconds=self.behaviour.processing_delay_s))

    def _refuse_client_handle(self, data: Mapping[str, object]) -> None:
        if "handle" in data and self.behaviour.client_handle == "reject":
            raise BadRequest("handle is assigned by the server and cannot be sent.")

    def _decode_base64(self, text: str) -> bytes:
        try:
            return media.decode_base64(text, lenient=self._fault("bad-base64-tolerated"))
        except MediaRejected:
            if self._fault("client-error-500"):
                raise RuntimeError("planted fault client-error-500: Base64 failure escapes as a crash") from None
            raise

    def _convert(self, raw: bytes) -> media.ConvertedAudio:
        media.check_file_size(raw, self.settings.limits, enforce_max=not self._fault("oversize-accepted"))
        limits = self.settings.limits
        if self._fault("too-long-accepted"):
            limits = dataclasses.replace(limits, max_duration_s=600.0)
        if self._fault("low-rate-accepted"):
            limits = dataclasses.replace(limits, min_sample_rate=1)
        try:
            return media.convert_to_wav(raw, limits)
        except MediaRejected as rejected:
            if rejected.kind == "undecodable" and self._fault("corrupt-upload-accepted"):
                return media.silence(16000, 1.0)
            raise

    def _original(self, raw: bytes) -> bytes | None:
        """The uploaded bytes are kept only when the ``wav-original-bytes`` fault needs them."""
        return raw if self._fault("wav-original-bytes") else None

    def upload_file(self, audio: Audio, raw: bytes) -> dict[str, object]:
        """Raw upload: the media rules (steps 6–9) on the octet-stream body of an audio awaiting its file."""
        self.ensure_awaiting_file(audio)
        converted = self._convert(raw)
        stored = self.storage.attach_file(
            audio.id,
            wav=converted.wav,
            original=self._original(raw),
            frames=converted.frames,
            sample_rate=converted.sample_rate,
            uploaded_at=self._ready_at(),
            replace=self._fault("raw-upload-twice-allowed"),
        )
        if not stored:
            raise Conflict("The audio already has a file.")
        return self.audio_view(self.storage.get_audio(space_id=audio.space_id, handle=audio.handle) or audio)

    def ensure_awaiting_file(self, audio: Audio) -> None:
        """409 for an audio that has a file (even one still processing: the stored state, not the shown one)."""
        if audio.state != AVAITING_FILE and not self._fault("raw-upload-twice-allowed"):
            raise Conflict("The audio already has a file.")

    def list_audios(self, space: Space, params: Mapping[str, str]) -> tuple[list[dict[str, object]], dict[str, str]]:
        query = listing.parse_query(params, self.behaviour, self._fault)
        page = self.storage.list_audios(None if self._fault("list-leaks-other-spaces") else space.id, query)
        listing.check_past_end(self.behaviour, query, page.total)
        reported = page.total + 1 if self._fault("item-total-off-by-one") else page.total
        headers = listing.page_headers(query, page.total, reported_total=reported)
        return [self.audio_view(audio) for audio in page.items], headers

    def get_details(self, audio: Audio) -> dict[str, object]:
        return self.audio_view(audio, details=True)

    def update_audio(self, audio: Audio, body: object) -> dict[str, object]:
        data = _require_object(body)
        self._refuse_client_handle(data)
        if "alias" in data:
            alias = parse_alias(data["alias"])
            if _odd_alias(alias) and self._fault("odd-alias-500"):
                raise RuntimeError("alias cannot be stored")
            if self._fault("patch-not-stored"):
                return self.audio_view(replace(audio, alias=alias))
            self.storage.update_alias(audio.id, alias)
            audio = self.storage.get_audio(space_id=audio.space_id, handle=audio.handle) or audio
        renamed = data.get("handle")
        if self._fault("patch-handle-accepted") and valid_handle(renamed) and isinstance(renamed, str):
            self.storage.rename_audio(audio.id, renamed)
            audio = replace(audio, handle=renamed)
        return self.audio_view(audio)

    def delete_audio(self, audio: Audio) -> None:
        if self._fault("delete-noop"):
            return
        if self._fault("use-after-delete"):
            self._deleted[(audio.space_id, audio.handle)] = audio
        if not self.storage.delete_audio(audio.id, deleted_at=clock.now_text()):
            raise NotFound(AUDIO_NOT_FOUND)

    def audio_file(self, audio: Audio) -> bytes:
        """The stored WAV (the profile's status while the audio awaits or processes its file), altered by the
        WAV faults."""
        audio = views.visible(audio)
        wav = self.storage.get_audio_binary(audio.id) if audio.state == AVAILABLE else None
        if wav is None:
            raise NoFileYet("The audio has no file yet.")
        pcm, rate = media.pcm_of(wav), audio.sample_rate
        if self._fault("wav-original-bytes"):
            return self.storage.get_audio_binary(audio.id, original=True) or wav
        if self._fault("silent-wav"):
            return media.wav_bytes(bytes(len(pcm)), rate)
        if self._fault("wav-stereo"):
            return media.wav_bytes(media.duplicate_to_stereo(pcm), rate, channels=2)
        if self._fault("wav-wrong-rate-header"):
            return media.wav_bytes(pcm, rate, header_rate=max(rate // 2, 1))
        return wav

    def audio_view(self, audio: Audio, *, details: bool = False) -> dict[str, object]:
        """The audio resource as JSON, as it is now (a file still processing is not shown yet)."""
        return views.audio_view(views.visible(audio), self._fault, details=details)


def _key_view(key: ApiKey) -> dict[str, object]:
    return {"id": key.id, "handle": key.handle, "alias": key.alias, "token": key.token, "createdAt": key.created_at}
