"""Shared steps of the lifecycle scenarios (list, patch, delete, raw upload): small audios the scenario owns.

These scenarios change or delete what they create, so they never use the cached uploads of the workflow; each
makes its own audios from a tiny generated WAV (half a second of tone) with a run-unique alias, and records them
for the end-of-run sweep.
"""

from __future__ import annotations

import io
import wave
from typing import Any

import numpy as np

from conformance.checks import fail
from conformance.checks.audio import state_is_documented
from conformance.checks.http import body_excerpt, json_body
from conformance.client import ApiClient
from conformance.config import Space
from conformance.outcomes import unsupported
from conformance.profile import Profile
from conformance.resources import Resources
from conformance.workflow import AUDIO_STATES, create_without_file, encode_file, settle

TINY_SECONDS = 0.5


def tiny_wav(profile: Profile, *, freq: float = 440.0) -> bytes:
    """Half a second of a tone as PCM16 mono WAV, at a rate every target in the profile's limits accepts."""
    rate = max(16000, profile.min_sample_rate)
    t = np.arange(int(rate * TINY_SECONDS)) / rate
    samples = (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


def create(client: ApiClient, space: Space, alias: str | None, *, profile: Profile, resources: Resources,
           actor: str = "primary", with_file: bool = True) -> dict[str, Any]:
    """Create an audio (with a tiny file, or without one in the profile's file-less form) and return it once
    settled; a target that cannot is a failed precondition of the create step (AUD-CREATE-201 with a file,
    RAW-CREATE-AWAITING without), so dependent checks are reported as undecided."""
    if with_file:
        body: dict[str, Any] = {"file": encode_file(tiny_wav(profile))}
        if alias is not None:
            body["alias"] = alias
        response, step = client.create_audio(space, body), "AUD-CREATE-201"
    else:
        response = create_without_file(client, actor, space, alias, profile=profile, resources=resources)
        step = "RAW-CREATE-AWAITING"
    audio = json_body(response)
    if response.status_code != 201 or not isinstance(audio, dict) or not isinstance(audio.get("handle"), str):
        fail(step, "precondition: creating an audio for the scenario failed",
             received=f"{response.status_code} {body_excerpt(response)}", expected="201 with the audio")
    resources.record(actor, space, audio["handle"])
    return settled(client, space, audio, profile) if with_file else audio


def settled(client: ApiClient, space: Space, audio: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The audio once processed (:func:`conformance.workflow.settle`), or a failed precondition: of the schema
    (an undocumented state) or of processing (not `available` in time)."""
    settling = settle(client, space, audio, profile)
    if settling.audio is not None and settling.audio.get("state") not in AUDIO_STATES:
        state_is_documented(settling.audio)
    if not settling.available:
        last = settling.audio.get("state") if settling.audio is not None else audio.get("state")
        fail("AUD-STATE-AVAILABLE", "precondition: the scenario's audio did not become available",
             received=f"state {last!r}; {settling.problem or 'settled'}",
             expected=f"available within {profile.processing_timeout_s:g} s")
    assert settling.audio is not None
    return settling.audio


def details(client: ApiClient, space: Space, handle: str, requirement: str) -> dict[str, Any]:
    """The audio's details as a precondition: anything but 200 with an object fails ``requirement``."""
    response = client.get_audio(space, handle)
    audio = json_body(response)
    if response.status_code != 200 or not isinstance(audio, dict):
        fail(requirement, "precondition: the audio's details could not be read",
             received=f"{response.status_code} {body_excerpt(response)}", expected="200 with the audio")
    return audio


def require_capability(profile: Profile, capability: str) -> None:
    """Skip as ``unsupported`` when the target's profile does not declare ``capability``."""
    if not profile.has(capability):
        unsupported(f"the profile declares no {capability} capability")
