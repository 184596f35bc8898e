"""Shared steps of the lifecycle scenarios (list, patch, delete, raw upload): small audios the scenario owns.

These scenarios change or delete what they create, so they never use the cached uploads of the workflow; each
makes its own audios from a tiny generated WAV (half a second of tone) with a run-unique alias, and records them
for the end-of-run sweep.
"""

from __future__ import annotations

import io
import time
import wave
from typing import Any

import numpy as np
import pytest

from conformance.checks import fail
from conformance.checks.http import body_excerpt, json_body
from conformance.client import ApiClient
from conformance.config import Space
from conformance.profile import Profile
from conformance.resources import Resources
from conformance.workflow import SETTLED_STATES, encode_file

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
    """Create an audio (with a tiny file, or without one) and return it once settled; a target that cannot is a
    failed precondition of the create step (AUD-CREATE-201), so dependent checks are reported as undecided."""
    body: dict[str, Any] = {"file": encode_file(tiny_wav(profile))} if with_file else {}
    if alias is not None:
        body["alias"] = alias
    response = client.create_audio(space, body)
    audio = json_body(response)
    if response.status_code != 201 or not isinstance(audio, dict) or not isinstance(audio.get("handle"), str):
        fail("AUD-CREATE-201", "precondition: creating an audio for the scenario failed",
             received=f"{response.status_code} {body_excerpt(response)}", expected="201 with the audio")
    resources.record(actor, space, audio["handle"])
    return settle(client, space, audio, profile) if with_file else audio


def settle(client: ApiClient, space: Space, audio: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The audio once processed: at once on a synchronous target, else polled within the profile's deadline."""
    deadline = time.monotonic() + profile.processing_timeout_s
    while audio.get("state") not in SETTLED_STATES:
        if time.monotonic() + profile.poll_interval_s > deadline:
            fail("AUD-STATE-AVAILABLE", "precondition: the scenario's audio was not processed in time",
                 received=f"state {audio.get('state')!r}",
                 expected=f"available within {profile.processing_timeout_s:g} s")
        time.sleep(profile.poll_interval_s)
        response = client.get_audio(space, audio["handle"])
        polled = json_body(response)
        if response.status_code == 200 and isinstance(polled, dict):
            audio = polled
    if audio.get("state") != "available":
        fail("AUD-STATE-AVAILABLE", "precondition: the scenario's audio did not become available",
             received=f"state {audio.get('state')!r}", expected="available")
    return audio


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
        pytest.skip(f"unsupported: the profile declares no {capability} capability")
