"""How an audio looks from outside: its handle, its state as of now, and its JSON form.

Asynchronous processing is played at read time, not by a background worker: an accepted file is stored at
once with the moment it becomes visible (``available_at``), and every read (details, list, file) shows the
audio as still awaiting its file until that moment has passed. Nothing can be lost at shutdown and no clock
thread is needed; the state a client sees only ever moves forward.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from . import clock
from .models import AVAITING_FILE, Audio

if TYPE_CHECKING:
    from .behaviour import Behaviour

#: RFC 4648 base32, lower case: what ``handle_style = "prefixed"`` draws its 12 characters from.
BASE32_LOWER = "abcdefghijklmnopqrstuvwxyz234567"
PREFIXED_LENGTH = 12


def new_handle(style: str) -> str:
    """A fresh server-assigned handle: a UUID4 (reference) or ``aud-`` + 12 base32 characters ("prefixed")."""
    if style == "prefixed":
        return "aud-" + "".join(secrets.choice(BASE32_LOWER) for _ in range(PREFIXED_LENGTH))
    return str(uuid.uuid4())


def visible(audio: Audio) -> Audio:
    """The audio as a client may see it now: a file still processing is not there yet."""
    if audio.available_at is None or audio.available_at <= clock.now_text():
        return audio
    return replace(audio, state=AVAITING_FILE, frames=0, sample_rate=0, uploaded_at=None)


def fileless_refusal(behaviour: Behaviour) -> str:
    """Why a create without a file is refused, and what the server would accept instead."""
    if not behaviour.capabilities.raw_upload or behaviour.fileless_create == "unsupported":
        return "file is required: this server does not create audios without a file."
    if behaviour.fileless_create == "omit":
        return "file must be a Base64 string; omit it to create an audio awaiting its file."
    return 'file is required; send "file": null to create an audio awaiting its file.'


def audio_view(audio: Audio, fault: Callable[[str], bool], *, details: bool = False) -> dict[str, object]:
    """The audio resource as JSON; presentation faults apply here."""
    seconds = audio.frames / audio.sample_rate if audio.sample_rate else 0.0
    if fault("wrong-duration"):
        seconds *= 1.5
    rate = audio.sample_rate
    if details and rate and fault("details-mismatch"):
        rate += 1000
    created_at = audio.created_at
    if fault("bad-timestamp"):
        created_at = clock.without_timezone(created_at)
    return {
        "id": audio.id,
        "handle": audio.handle,
        "alias": audio.alias,
        "state": "ready" if fault("undocumented-state") and audio.state == "available" else audio.state,
        "duration": f"PT{seconds:.3f}S" if audio.sample_rate else "PT0S",
        "sampleRate": rate,
        "identity": None,
        "voiceprints": "0" if fault("undocumented-field-type") else 0,
        "verifications": 0,
        "createdAt": created_at,
        "uploadedAt": audio.uploaded_at,
    }
