"""Prerequisite 4 of the guide: media must meet the requirements. What does not is refused, and not stored.

Every refusal is checked three ways: the status the profile gives for its reason, a problem+json body (never a
5xx), and that nothing was stored (the space holds no audio with the attempt's unique alias).

The cases are the corpus rows the configured profile refuses (``conformance/corpus/manifest.toml``; test ids are
the fixture ids, each marked with the requirement the row exercises under this profile), then the user's
recordings it refuses (``--media DIR``; ids are their names), then bodies that never
reach media decoding: Base64 variants of a valid file and malformed JSON. They come from the ``refusals`` row source
(``conformance/rows.py``) because which rows are refused depends on the profile's limits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from _pytest.mark.structures import ParameterSet

from conformance import rows
from conformance.checks.http import error_body_is_problem_json, not_a_server_error
from conformance.checks.media import UPLOAD_REFUSALS
from conformance.config import Space
from conformance.manifest import MediaCase
from conformance.media.base64_variants import BASE64_VARIANTS
from conformance.outcomes import unsupported
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.resources import Resources
from conformance.scenarios._support import accepted_media, judged_corpus, profile_of, user_media
from conformance.workflow import alias_part, audios_with_alias, create, encode_file


@dataclass(frozen=True, slots=True)
class Refusal:
    """One upload a conforming target refuses: its requirement, the profile reasons whose status is a right
    answer (several when a file breaks several limits), and how to build the body."""

    id: str
    requirement: str
    reasons: tuple[str, ...]
    body: Callable[[str], dict[str, Any] | bytes]  # alias -> body
    user: bool = False  # a user's recording (--media)


@dataclass(slots=True)
class Attempted:
    """What the target answered, and whether it stored the audio anyway."""

    response: httpx.Response
    stored: bool


def _valid_b64() -> str:
    return encode_file(accepted_media()[0].read())


NOT_BASE64 = "this is not base64!"
"""A ``file`` that encodes nothing at all (the case ``base64-not-base64``): refused like the variants, but not a
variant of a payload, so it is not in ``BASE64_VARIANTS`` (the property runs' mutants are variants of real audio)."""
MALFORMED: dict[str, Callable[[str], dict[str, Any] | bytes]] = {
    "body-not-json": lambda alias: b"file=this-is-not-json",
    "body-json-array": lambda alias: json.dumps([{"file": "UklGRg==", "alias": alias}]).encode(),
    "file-number": lambda alias: {"file": 12345, "alias": alias},
    "file-array": lambda alias: {"file": ["UklGRg=="], "alias": alias},
    "file-object": lambda alias: {"file": {"data": "UklGRg=="}, "alias": alias},
}


def _media_body(media: MediaCase) -> Callable[[str], dict[str, Any]]:
    return lambda alias: {"file": encode_file(media.read()), "alias": alias}


def refusals(profile: Profile, recordings: Sequence[MediaCase] = ()) -> list[Refusal]:
    """Every refusal case: the corpus rows and user ``recordings`` ``profile`` refuses, then the Base64 variants
    and malformed bodies."""
    cases = [Refusal(case.id, verdict.requirement, verdict.reasons, _media_body(case), user=case.user)
             for case, verdict in judged_corpus(profile, recordings) if not verdict.accepted]
    cases += [Refusal(f"base64-{name}", "MEDIA-REJECT-BASE64", ("bad_base64",),
                      lambda alias, vary=vary: {"file": vary(_valid_b64()), "alias": alias})
              for name, vary in BASE64_VARIANTS.items()]
    cases += [Refusal("base64-not-base64", "MEDIA-REJECT-BASE64", ("bad_base64",),
                      lambda alias: {"file": NOT_BASE64, "alias": alias})]
    cases += [Refusal(name, "MEDIA-REJECT-MALFORMED", ("malformed",), make) for name, make in MALFORMED.items()]
    return cases


@rows.source("refusals")
def refusal_rows(config: pytest.Config) -> list[ParameterSet]:
    """One row per refusal case, marked with the requirement the case exercises under this profile."""
    return [pytest.param(c, id=c.id, marks=[pytest.mark.requirement(c.requirement),
                                            *([pytest.mark.facts(media=c.id, origin="user")] if c.user else [])])
            for c in refusals(profile_of(config), user_media(config))]


@pytest.fixture(scope="session")
def attempted(client_for: ClientFactory, space_for: Callable[[str], Space], resources: Resources,
              run_id: str) -> Callable[[Refusal], Attempted]:
    """Each refusal case sent once per run; its answer and the "was it stored" probe are shared by the checks."""
    cache: dict[str, Attempted] = {}

    def get(case: Refusal) -> Attempted:
        if case.id not in cache:
            alias = f"{run_id}-refused-{alias_part(case.id)}"
            body = case.body(alias)
            client, space = client_for("primary"), space_for("primary")
            response, _ = create(client, "primary", space, body, resources=resources)
            del body
            cache[case.id] = Attempted(response, bool(audios_with_alias(client, space, alias)))
        return cache[case.id]

    return get


@pytest.mark.rows("case", "refusals")
def test_refused_with_profile_status(case: Refusal, attempted: Callable[[Refusal], Attempted],
                                     profile: Profile) -> None:
    """Refused with the status the profile gives for the reason, and nothing stored."""
    result = attempted(case)
    UPLOAD_REFUSALS[case.requirement](result.response, result.stored, profile, case.reasons, case.id)


@pytest.mark.requirement("ERR-NO-5XX")
@pytest.mark.rows("case", "refusals", requirements=False)
def test_refusal_is_not_a_server_error(case: Refusal, attempted: Callable[[Refusal], Attempted]) -> None:
    """A client's mistake is never a 5xx."""
    not_a_server_error(attempted(case).response, f"upload of {case.id}")


@pytest.mark.requirement("ERR-PROBLEM-JSON")
@pytest.mark.rows("case", "refusals", requirements=False)
def test_refusal_body_is_problem_json(case: Refusal, attempted: Callable[[Refusal], Attempted]) -> None:
    """The refusal explains itself in a problem document, without internals."""
    response = attempted(case).response
    if response.status_code < 400:
        unsupported(f"upload of {case.id} was not refused ({response.status_code}); see its requirement")
    error_body_is_problem_json(response, f"upload of {case.id}")
