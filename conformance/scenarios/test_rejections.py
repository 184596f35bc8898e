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
from dataclasses import dataclass
from typing import Any

import av
import httpx
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


@dataclass(frozen=True, slots=True)
class Refusal:
    """One upload a conforming target refuses: its requirement, the profile reason, and how to build the body."""

    id: str
    requirement: str
    reason: str
    body: Callable[[str, Profile], dict[str, Any] | bytes | None]  # alias, profile → body (None: impossible)


@dataclass(slots=True)
class Attempted:
    """What the target answered, and whether it stored the audio anyway."""

    response: httpx.Response
    stored: bool


def _valid_b64() -> str:
    return encode_file(accepted_media()[0].read())


BASE64_VARIANTS: dict[str, Callable[[str], str]] = {
    "line-breaks-76": lambda s: "\n".join(s[i:i + 76] for i in range(0, len(s), 76)),
    "surrounding-whitespace": lambda s: f"  {s}\n",
    "url-safe-alphabet": lambda s: s.replace("+", "-").replace("/", "_") + ("" if ("+" in s or "/" in s) else "-_"),
    "missing-padding": lambda s: s.rstrip("=") if s.endswith("=") else s + "A",
    "data-uri-prefix": lambda s: "data:audio/wav;base64," + s,
    "non-ascii": lambda s: s[:8] + "é" + s[8:],
    "not-base64": lambda s: "this is not base64!",
}
MALFORMED: dict[str, Callable[[str], dict[str, Any] | bytes]] = {
    "body-not-json": lambda alias: b"file=this-is-not-json",
    "body-json-array": lambda alias: json.dumps([{"file": "UklGRg==", "alias": alias}]).encode(),
    "file-number": lambda alias: {"file": 12345, "alias": alias},
    "file-array": lambda alias: {"file": ["UklGRg=="], "alias": alias},
    "file-object": lambda alias: {"file": {"data": "UklGRg=="}, "alias": alias},
}


def _media_body(media: MediaCase) -> Callable[[str, Profile], dict[str, Any]]:
    return lambda alias, profile: {"file": encode_file(media.read()), "alias": alias}


def _oversize_body(alias: str, profile: Profile) -> dict[str, Any] | None:
    data = oversize_wav(profile.max_file_bytes, profile.max_duration_s)
    return None if data is None else {"file": base64.b64encode(data).decode("ascii"), "alias": alias}


def refusals() -> list[Refusal]:
    """Every refusal case: rejected corpus rows, Base64 variants, malformed bodies, an empty and an oversize file."""
    cases = [Refusal(m.id, m.requirement, m.reject_reason or "", _media_body(m)) for m in rejected_media()]
    cases += [Refusal(f"base64-{name}", "MEDIA-REJECT-BASE64", "bad_base64",
                      lambda alias, profile, vary=vary: {"file": vary(_valid_b64()), "alias": alias})
              for name, vary in BASE64_VARIANTS.items()]
    cases += [Refusal(name, "MEDIA-REJECT-MALFORMED", "malformed", lambda alias, profile, make=make: make(alias))
              for name, make in MALFORMED.items()]
    cases.append(Refusal("empty-file", "MEDIA-REJECT-MALFORMED", "empty",
                         lambda alias, profile: {"file": "", "alias": alias}))
    cases.append(Refusal("oversize-file", "MEDIA-REJECT-OVERSIZE", "too_large", _oversize_body))
    return cases


CASES = refusals()


@pytest.fixture(scope="session")
def attempted(client_for: ClientFactory, space_for: Callable[[str], Space], profile: Profile,
              resources: Resources, run_id: str) -> Callable[[Refusal], Attempted]:
    """Each refusal case sent once per run; its answer and the "was it stored" probe are shared by the checks."""
    cache: dict[str, Attempted] = {}

    def get(case: Refusal) -> Attempted:
        if case.id not in cache:
            alias = f"{run_id}-refused-{case.id}"
            body = case.body(alias, profile)
            if body is None:
                pytest.skip(f"unsupported: the profile's limits leave no file for {case.id}")
            client, space = client_for("primary"), space_for("primary")
            response = attempt(client, "primary", space, body, resources=resources)
            del body
            cache[case.id] = Attempted(response, bool(audios_with_alias(client, space, alias)))
        return cache[case.id]

    return get


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=pytest.mark.requirement(c.requirement))
                                  for c in CASES])
def test_refused_with_profile_status(case: Refusal, attempted: Callable[[Refusal], Attempted],
                                     profile: Profile) -> None:
    """Refused with the status the profile gives for the reason, and nothing stored."""
    result = attempted(case)
    response = result.response
    if not profile.reject_status_ok(case.reason, response.status_code):
        fail(case.requirement, f"upload of {case.id} was not refused as {case.reason}",
             received=f"{response.status_code} {body_excerpt(response)}", expected=profile.expected_reject(case.reason))
    if result.stored:
        fail(case.requirement, f"upload of {case.id}: the refused upload was stored anyway",
             received="an audio with the attempt's alias in the space", expected="nothing stored")


@pytest.mark.requirement("ERR-NO-5XX")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_refusal_is_not_a_server_error(case: Refusal, attempted: Callable[[Refusal], Attempted]) -> None:
    """A client's mistake is never a 5xx."""
    not_a_server_error(attempted(case).response, f"upload of {case.id}")


@pytest.mark.requirement("ERR-PROBLEM-JSON")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_refusal_body_is_problem_json(case: Refusal, attempted: Callable[[Refusal], Attempted]) -> None:
    """The refusal explains itself in a problem document, without internals."""
    response = attempted(case).response
    if response.status_code < 400:
        pytest.skip(f"unsupported: upload of {case.id} was not refused ({response.status_code}); see its requirement")
    error_body_is_problem_json(response, f"upload of {case.id}")


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
