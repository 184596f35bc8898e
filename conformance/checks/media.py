"""Refused uploads: media that breaks the documented requirements, and bodies that are not uploads at all.

The guide's prerequisite 4 (https://docs.loccus.ai/guides/upload-an-audio) is that media meets the
requirements; the profile says which status each kind of refusal gets (``reject_statuses``, or any 4xx when
``strict_reject_statuses = false``). Each kind is its own requirement, so each has its own check here; all of
them judge the same two things through one oracle: the status, and that
nothing was stored (the space holds no audio with the attempt's unique alias). The rows that feed them are the
corpus rows the profile refuses (``conformance/corpus/manifest.toml``) and the bodies of
``conformance/scenarios/test_rejections.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from conformance.checks import by_requirement, check, fail
from conformance.checks.http import body_excerpt
from conformance.profile import Profile

UploadRefusal = Callable[[httpx.Response, bool, Profile, Sequence[str], str], None]


def _refused_and_not_stored(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                            what: str) -> None:
    """The one oracle: a status the profile gives one of ``reasons`` (a file may break several limits, and any of
    their statuses is right), and nothing stored."""
    if not any(profile.reject_status_ok(reason, response.status_code) for reason in reasons):
        fail(f"upload of {what} was not refused as {' or '.join(reasons)}",
             received=f"{response.status_code} {body_excerpt(response)}",
             expected=" or ".join(dict.fromkeys(profile.expected_reject(reason) for reason in reasons)))
    if stored:
        fail(f"upload of {what}: the refused upload was stored anyway",
             received="an audio with the attempt's alias in the space", expected="nothing stored")


@check("MEDIA-REJECT-UNDECODABLE")
def undecodable_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                        what: str) -> None:
    """Bytes no decoder reads are refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-INVALID-AUDIO")
def invalid_audio_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                          what: str) -> None:
    """Decodable media with zero samples (a header-only file) is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-BASE64")
def bad_base64_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                       what: str) -> None:
    """A `file` that is not strict Base64 is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-MALFORMED")
def malformed_body_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                           what: str) -> None:
    """A body that is not a JSON object with a string `file` is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-OVERSIZE")
def oversize_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                     what: str) -> None:
    """A file beyond the profile's size limit is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-EMPTY")
def empty_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                  what: str) -> None:
    """An empty file is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-NO-AUDIO-STREAM")
def no_audio_stream_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                            what: str) -> None:
    """A container with no audio stream (video only) is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-TRUNCATED")
def truncated_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                      what: str) -> None:
    """Media cut inside its header is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-MISLABELED")
def mislabeled_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                       what: str) -> None:
    """Media whose header lies about its content (a PCM WAV header over MP3 data) is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-TOO-LONG")
def too_long_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                     what: str) -> None:
    """Media longer than the profile's maximum duration is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-RATE")
def rate_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                 what: str) -> None:
    """Media below the profile's minimum sample rate is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-CHANNELS")
def channels_refused(response: httpx.Response, stored: bool, profile: Profile, reasons: Sequence[str],
                     what: str) -> None:
    """Media with more channels than the profile allows is refused."""
    _refused_and_not_stored(response, stored, profile, reasons, what)


@check("MEDIA-REJECT-BASE64")
def non_strict_base64_refused(response: httpx.Response, profile: Profile, what: str) -> None:
    """A `file` that is not strict Base64 gets the profile's status for it (the property runs' mutants)."""
    if not profile.reject_status_ok("bad_base64", response.status_code):
        fail(f"non-strict Base64 ({what}) was not refused as such", received=str(response.status_code),
             expected=profile.expected_reject("bad_base64"))


#: The refusal check of each refusal requirement (a refusal row names its requirement; this finds its check).
UPLOAD_REFUSALS: dict[str, UploadRefusal] = by_requirement(
    undecodable_refused, invalid_audio_refused, bad_base64_refused, malformed_body_refused, oversize_refused,
    empty_refused, no_audio_stream_refused, truncated_refused, mislabeled_refused, too_long_refused, rate_refused,
    channels_refused)
