"""Prerequisite 4 of the guide: media must meet the requirements. What does not is refused, and not stored.

Every refusal is checked three ways: the status the profile gives for its reason, a problem+json body (never a
5xx), and that nothing was stored (the space holds no audio with the attempt's unique alias).
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Callable
from typing import Any

import av
import numpy as np
import pytest

from conformance.checks import fail
from conformance.checks.http import body_excerpt, error_body_is_problem_json, not_a_server_error
from conformance.config import Space
from conformance.manifest import MediaCase
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._support import accepted_media, rejected_media
from conformance.workflow import attempt, audios_with_alias, encode_file


def _refused(requirement: str, reason: str, body: dict[str, Any] | bytes, alias: str, what: str, *,
             client_for: ClientFactory, space: Space, profile: Profile, resources: Resources) -> None:
    """Send ``body``; check status for ``reason``, the error body, and that nothing was stored."""
    client = client_for("primary")
    response = attempt(client, "primary", space, body, resources=resources)
    not_a_server_error(response, what)
    if not profile.reject_status_ok(reason, response.status_code):
        fail(requirement, f"{what} was not refused as {reason}",
             received=f"{response.status_code} {body_excerpt(response)}", expected=profile.expected_reject(reason))
    if audios_with_alias(client, space, alias):
        fail(requirement, f"{what}: the refused upload was stored anyway", received=f"an audio aliased {alias!r}",
             expected="nothing stored")
    error_body_is_problem_json(response, what)


@pytest.mark.parametrize("media", [pytest.param(m, id=m.id, marks=pytest.mark.requirement(m.requirement))
                                   for m in rejected_media()])
def test_rejected_media(media: MediaCase, client_for: ClientFactory, space_for: Callable[[str], Space],
                        profile: Profile, resources: Resources, run_id: str) -> None:
    """Each rejected corpus row gets its profile status, a problem body, and leaves nothing behind."""
    alias = f"{run_id}-{media.id}"
    assert media.reject_reason is not None
    _refused(media.requirement, media.reject_reason, {"file": encode_file(media.read()), "alias": alias}, alias,
             f"upload of {media.id}", client_for=client_for, space=space_for("primary"), profile=profile,
             resources=resources)


def _valid_b64() -> str:
    return encode_file(accepted_media()[0].read())


def _base64_variants() -> dict[str, Callable[[str], str]]:
    """Ways to break RFC 4648 strict Base64 that lenient decoders forgive (the target must not)."""
    return {
        "line-breaks-76": lambda s: "\n".join(s[i:i + 76] for i in range(0, len(s), 76)),
        "surrounding-whitespace": lambda s: f"  {s}\n",
        "url-safe-alphabet": lambda s: s.replace("+", "-").replace("/", "_") + ("" if ("+" in s or "/" in s) else "-_"),
        "missing-padding": lambda s: s.rstrip("=") if s.endswith("=") else s + "A",
        "data-uri-prefix": lambda s: "data:audio/wav;base64," + s,
        "non-ascii": lambda s: s[:8] + "é" + s[8:],
        "not-base64": lambda s: "this is not base64!",
    }


@pytest.mark.requirement("MEDIA-REJECT-BASE64")
@pytest.mark.parametrize("variant", list(_base64_variants()))
def test_bad_base64_refused(variant: str, client_for: ClientFactory, space_for: Callable[[str], Space],
                            profile: Profile, resources: Resources, run_id: str) -> None:
    """A valid file in non-strict Base64 is refused as bad Base64 and not stored."""
    alias = f"{run_id}-b64-{variant}"
    body = {"file": _base64_variants()[variant](_valid_b64()), "alias": alias}
    _refused("MEDIA-REJECT-BASE64", "bad_base64", body, alias, f"upload with {variant} Base64",
             client_for=client_for, space=space_for("primary"), profile=profile, resources=resources)


MALFORMED: dict[str, Callable[[str], dict[str, Any] | bytes]] = {
    "body-not-json": lambda alias: b"file=this-is-not-json",
    "body-json-array": lambda alias: json.dumps([{"file": "UklGRg==", "alias": alias}]).encode(),
    "file-number": lambda alias: {"file": 12345, "alias": alias},
    "file-array": lambda alias: {"file": ["UklGRg=="], "alias": alias},
    "file-object": lambda alias: {"file": {"data": "UklGRg=="}, "alias": alias},
}


@pytest.mark.requirement("MEDIA-REJECT-MALFORMED")
@pytest.mark.parametrize("variant", list(MALFORMED))
def test_malformed_body_refused(variant: str, client_for: ClientFactory, space_for: Callable[[str], Space],
                                profile: Profile, resources: Resources, run_id: str) -> None:
    """A body that is not a JSON object, or a `file` that is not a string, is refused as malformed."""
    alias = f"{run_id}-malformed-{variant}"
    _refused("MEDIA-REJECT-MALFORMED", "malformed", MALFORMED[variant](alias), alias, f"upload with {variant}",
             client_for=client_for, space=space_for("primary"), profile=profile, resources=resources)


@pytest.mark.requirement("MEDIA-REJECT-MALFORMED")
def test_empty_file_refused(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile,
                            resources: Resources, run_id: str) -> None:
    """An empty `file` (zero bytes once decoded) is refused as empty."""
    alias = f"{run_id}-empty"
    _refused("MEDIA-REJECT-MALFORMED", "empty", {"file": "", "alias": alias}, alias, "upload of an empty file",
             client_for=client_for, space=space_for("primary"), profile=profile, resources=resources)


def oversize_wav(max_bytes: int, max_duration_s: float) -> bytes | None:
    """A valid WAV just over ``max_bytes`` that breaks no other requirement: 48 kHz stereo float32 (384 kB/s), so
    its duration stays under the profile's maximum. None when no such file exists for this profile."""
    rate, channels, width = 48000, 2, 4
    frames = math.ceil((max_bytes + 1 - 44) / (channels * width)) + rate // 10
    if frames / rate > max_duration_s:
        return None
    t = np.arange(frames, dtype=np.float32) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    out = io.BytesIO()
    with av.open(out, "w", format="wav") as container:
        stream = container.add_stream("pcm_f32le", rate=rate, layout="stereo")
        chunk = rate
        for start in range(0, frames, chunk):
            part = tone[start:start + chunk]
            interleaved = np.stack([part, part], axis=1).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(interleaved, format="flt", layout="stereo")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = out.getvalue()
    return data if len(data) > max_bytes else None


@pytest.mark.requirement("MEDIA-REJECT-OVERSIZE")
def test_oversize_file_refused(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile,
                               resources: Resources, run_id: str) -> None:
    """A well-formed WAV one buffer over the profile's size limit is refused as too large and not stored."""
    data = oversize_wav(profile.max_file_bytes, profile.max_duration_s)
    if data is None:
        pytest.skip("unsupported: no WAV can exceed max_file_bytes within max_duration_s for this profile")
    alias = f"{run_id}-oversize"
    body = {"file": base64.b64encode(data).decode("ascii"), "alias": alias}
    del data
    _refused("MEDIA-REJECT-OVERSIZE", "too_large", body, alias, f"upload of {profile.max_file_bytes + 1}+ bytes",
             client_for=client_for, space=space_for("primary"), profile=profile, resources=resources)
