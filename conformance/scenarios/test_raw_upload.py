"""Raw upload (capability `raw_upload`): create without a file, then send the media as octet-stream.

The audio must await its file (state `avaitingFile`, sic), not serve one yet, then accept the raw bytes once and
meet every oracle of a Base64 upload: fields, duration, sample rate, a PCM16 mono WAV of the same sound. A second
file is refused and changes nothing; a body that is not octet-stream is refused as an unsupported media type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks.audio import (
    duration_is_iso8601,
    duration_matches_media,
    handle_follows_grammar,
    has_every_field,
    sample_rate_matches_media,
    timestamps_are_consistent,
)
from conformance.checks.http import json_body
from conformance.checks.lifecycle import (
    awaiting_file,
    file_not_served_yet,
    raw_upload_accepted,
    same_after_refusal,
    second_upload_refused,
    wrong_content_type_refused,
)
from conformance.checks.wav import (
    file_answers_wav,
    is_pcm16_mono_wav,
    is_same_sound,
    length_matches_duration,
    rate_matches_details,
)
from conformance.client import ApiClient
from conformance.config import Space
from conformance.manifest import MediaCase
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._lifecycle import require_capability, settled, tiny_wav
from conformance.scenarios._support import accepted_media
from conformance.workflow import create_without_file

WRONG_CONTENT_TYPE = "text/plain"


@dataclass(frozen=True, slots=True)
class RawUpload:
    """Every answer of the raw-upload workflow, in order."""

    media: MediaCase
    create: httpx.Response
    file_before: httpx.Response | None
    upload: httpx.Response | None
    settled: dict[str, Any] | None
    file_after: httpx.Response | None
    second: httpx.Response | None
    after_second: httpx.Response | None


def _awaiting(client: ApiClient, space: Space, alias: str, resources: Resources, profile: Profile) -> httpx.Response:
    return create_without_file(client, "primary", space, alias, profile=profile, resources=resources)


@pytest.fixture(scope="module")
def raw(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile, resources: Resources,
        run_id: str) -> RawUpload:
    """The workflow run once: create without file, GET file, upload, settle, GET file, upload again, re-read."""
    require_capability(profile, "raw_upload")
    client, space, media = client_for("primary"), space_for("primary"), accepted_media()[0]
    create = _awaiting(client, space, f"{run_id}-raw", resources, profile)
    created = json_body(create)
    if create.status_code != 201 or not isinstance(created, dict) or not isinstance(created.get("handle"), str):
        return RawUpload(media, create, None, None, None, None, None, None)
    handle = created["handle"]
    file_before = client.get_audio_file(space, handle)
    upload = client.upload_audio_file(space, handle, media.read())
    uploaded = json_body(upload)
    if upload.status_code != 200 or not isinstance(uploaded, dict):
        return RawUpload(media, create, file_before, upload, None, None, None, None)
    audio = settled(client, space, uploaded, profile)
    file_after = client.get_audio_file(space, handle)
    second = client.upload_audio_file(space, handle, tiny_wav(profile))
    return RawUpload(media, create, file_before, upload, audio, file_after, second, client.get_audio(space, handle))


def _created(raw: RawUpload) -> dict[str, Any]:
    return awaiting_file(raw.create)


def _uploaded(raw: RawUpload, profile: Profile) -> dict[str, Any]:
    """The settled audio after the raw upload (preconditions: created awaiting, upload accepted)."""
    created = _created(raw)
    assert raw.upload is not None  # created → the upload was attempted
    raw_upload_accepted(raw.upload, created, profile)
    assert raw.settled is not None  # accepted → settled (or `settle` failed the precondition)
    return raw.settled


@pytest.mark.requirement("RAW-CREATE-AWAITING")
def test_create_without_file_awaits_it(raw: RawUpload) -> None:
    """Create without `file` answers 201 with state `avaitingFile` and no `uploadedAt`, every field present."""
    has_every_field(_created(raw))


@pytest.mark.requirement("RAW-CREATE-AWAITING")
def test_no_file_served_before_upload(raw: RawUpload, profile: Profile) -> None:
    """`GET .../file` before the upload answers the profile's status."""
    _created(raw)
    assert raw.file_before is not None
    file_not_served_yet(raw.file_before, profile)


@pytest.mark.requirement("RAW-UPLOAD")
def test_raw_upload_answers_the_audio(raw: RawUpload, profile: Profile) -> None:
    """The octet-stream upload answers 200 with the same audio, now with every field of an uploaded audio."""
    audio = _uploaded(raw, profile)
    has_every_field(audio)
    handle_follows_grammar(audio)
    timestamps_are_consistent(audio, profile)


@pytest.mark.requirement("RAW-UPLOAD")
def test_raw_upload_media_fields(raw: RawUpload, profile: Profile) -> None:
    """`duration` and `sampleRate` are those of the uploaded media, as for a Base64 upload."""
    audio = _uploaded(raw, profile)
    duration_matches_media(duration_is_iso8601(audio), raw.media.duration_s, profile)
    sample_rate_matches_media(audio, raw.media.sample_rate, profile)


@pytest.mark.requirement("RAW-UPLOAD")
def test_raw_upload_serves_the_wav(raw: RawUpload, profile: Profile) -> None:
    """The stored binary is a PCM16 mono WAV at `sampleRate`, as long as `duration`."""
    audio = _uploaded(raw, profile)
    assert raw.file_after is not None
    info = is_pcm16_mono_wav(file_answers_wav(raw.file_after))
    rate_matches_details(info, audio)
    length_matches_duration(info, duration_is_iso8601(audio), profile)


@pytest.mark.requirement("RAW-UPLOAD")
def test_raw_upload_is_the_same_sound(raw: RawUpload, profile: Profile) -> None:
    """The stored WAV is the sound that was sent as raw bytes."""
    _uploaded(raw, profile)
    assert raw.file_after is not None
    is_same_sound(file_answers_wav(raw.file_after), raw.media.read(), lossless=raw.media.lossless, profile=profile)


@pytest.mark.requirement("RAW-UPLOAD-ONCE")
def test_second_upload_refused(raw: RawUpload, profile: Profile) -> None:
    """A second file is refused with the profile's conflict status and the audio keeps its first file."""
    audio = _uploaded(raw, profile)
    assert raw.second is not None and raw.after_second is not None
    second_upload_refused(raw.second, profile)
    same_after_refusal(raw.after_second, audio)


@pytest.mark.requirement("RAW-UPLOAD-CONTENT-TYPE")
def test_wrong_content_type_refused(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile,
                                    resources: Resources, run_id: str) -> None:
    """Media sent as text/plain is refused with 415 and the audio still awaits its file."""
    require_capability(profile, "raw_upload")
    client, space = client_for("primary"), space_for("primary")
    created = awaiting_file(_awaiting(client, space, f"{run_id}-raw-typed", resources, profile))
    response = client.upload_audio_file(space, created["handle"], tiny_wav(profile), content_type=WRONG_CONTENT_TYPE)
    wrong_content_type_refused(response, client.get_audio(space, created["handle"]), WRONG_CONTENT_TYPE)
