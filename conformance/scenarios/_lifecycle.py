"""Shared steps of the lifecycle scenarios (list, patch, delete, raw upload): small audios the scenario owns.

These scenarios change or delete what they create, so they never use the cached uploads of the workflow; each
makes its own audios from a tiny generated WAV (half a second of tone) with a run-unique alias, and records them
for the end-of-run sweep.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from conformance import workflow
from conformance.checks.audio import create_step_created, processing_step_settled, state_is_documented
from conformance.checks.http import json_body
from conformance.checks.lifecycle import fileless_create_step_created
from conformance.client import ApiClient
from conformance.config import Space
from conformance.media.wav import wav_bytes
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
    return wav_bytes(samples.tobytes(), rate=rate)


def create(client: ApiClient, space: Space, alias: str | None, *, profile: Profile, resources: Resources,
           actor: str = "primary", with_file: bool = True) -> dict[str, Any]:
    """Create an audio (with a tiny file, or without one in the profile's file-less form) and return it once
    settled; a target that cannot is a failed precondition of the create step (AUD-CREATE-201 with a file,
    RAW-CREATE-AWAITING without), so dependent checks are reported as undecided."""
    if with_file:
        body: dict[str, Any] = {"file": encode_file(tiny_wav(profile))}
        if alias is not None:
            body["alias"] = alias
        response, created = workflow.create(client, actor, space, body, resources=resources)
        audio = create_step_created(response, created, "creating the scenario's audio", statuses=(201,))
    else:
        response = create_without_file(client, actor, space, alias, profile=profile, resources=resources)
        audio = fileless_create_step_created(response, json_body(response), "creating the scenario's audio")
    return settled(client, space, audio, profile) if with_file else audio


def settled(client: ApiClient, space: Space, audio: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The audio once processed (:func:`conformance.workflow.settle`), or a failed precondition: of the schema
    (an undocumented state) or of processing (not `available` in time)."""
    settling = settle(client, space, audio, profile)
    if settling.audio is not None and settling.audio.get("state") not in AUDIO_STATES:
        state_is_documented(settling.audio)
    return processing_step_settled(settling.audio if settling.audio is not None else audio, settling.problem,
                                   "the scenario's audio", f" within {profile.processing_timeout_s:g} s")


def require_capability(profile: Profile, capability: str) -> None:
    """Skip as ``unsupported`` when the target's profile does not declare ``capability``."""
    if not profile.has(capability):
        unsupported(f"the profile declares no {capability} capability")
