"""Our property checks, both directions, against real reference servers (the correct one and planted faults).

Each check must pass a conforming answer and fail a non-conforming one with its own requirement id: a check that
cannot fail certifies nothing.
"""

from __future__ import annotations

import base64
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks import ConformanceFailure
from conformance.client import ApiClient
from conformance.config import Space, load_settings
from conformance.profile import build_profile
from conformance.properties import strategies
from conformance.properties.checks import PropertyChecks
from conformance.properties.schema import load
from conformance.resources import Resources
from conformance.target import embedded_reference
from conformance.transcript import Transcript

pytestmark = pytest.mark.slow
WAV = base64.b64encode(strategies.synthesise("wav", 16000, 1, 200, 3)).decode()


class Target:
    """A running reference server seen through the property machinery (schema, checks) as the primary actor."""

    def __init__(self, config: Path) -> None:
        settings = load_settings(config, env={})
        token = tomllib.loads(config.read_text())["actors"]["primary"]["token"]
        space = settings.spaces["primary"]
        self.schema = load(settings, token=token, space=space, seed=1)
        self.headers = {"Authorization": f"Bearer {token}"}
        assert settings.base_url is not None
        self.http = ApiClient(base_url=settings.base_url, timeout=10, token=token, transcript=Transcript())
        self.resources = Resources()
        self.checks = PropertyChecks(http=self.http, space=space, profile=build_profile(), resources=self.resources)
        self.space: Space = space

    def create(self, body: object) -> tuple[object, object]:
        case = self.schema["/spaces/{owner}/{space}/audios"]["POST"].Case(
            path_parameters={"owner": self.space.owner, "space": self.space.space}, body=body,
            media_type="application/json")
        self.checks.before_call(case)
        response = case.call(headers=self.headers)
        self.checks.after_call(case, response)
        return case, response


def _target(tmp_path_factory: pytest.TempPathFactory, *faults: str) -> Iterator[Target]:
    with embedded_reference(tmp_path_factory.mktemp("ref"), faults=faults) as server:
        target = Target(server.config_path)
        yield target
        target.http.close()


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _target(tmp_path_factory)


@pytest.fixture(scope="module")
def stereo_wav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _target(tmp_path_factory, "wav-stereo")


@pytest.fixture(scope="module")
def stack_traces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _target(tmp_path_factory, "stack-trace-errors")


def test_create_file_is_valid_passes_a_stored_wav_and_records_the_audio(correct: Target) -> None:
    case, response = correct.create({"file": WAV, "alias": "prop-check"})
    assert response.status_code == 201
    correct.checks.create_file_is_valid(None, response, case)
    assert [a.handle for a in correct.resources.created()] == [response.json()["handle"]]


def test_create_file_is_valid_fails_a_stereo_wav(stereo_wav: Target) -> None:
    case, response = stereo_wav.create({"file": WAV})
    with pytest.raises(ConformanceFailure) as failure:
        stereo_wav.checks.create_file_is_valid(None, response, case)
    assert failure.value.requirement == "PROP-CREATE-FILE-VALID" and "WAV-FORMAT" in failure.value.title


def test_refusal_stores_nothing_passes_a_clean_refusal(correct: Target) -> None:
    case, response = correct.create({"file": "not base64!"})
    assert response.status_code == 400
    correct.checks.refusal_stores_nothing(None, response, case)


def test_refusal_stores_nothing_fails_when_an_audio_with_its_alias_appears(correct: Target) -> None:
    case, response = correct.create({"file": "not base64!", "alias": "refused-then-stored"})
    assert response.status_code == 400
    correct.create({"file": WAV, "alias": "refused-then-stored"})  # what a leaky store does
    with pytest.raises(ConformanceFailure) as failure:
        correct.checks.refusal_stores_nothing(None, response, case)
    assert failure.value.requirement == "PROP-REJECT-NOTHING-STORED"
    assert "refused-then-stored" in failure.value.received


def test_refusal_stores_nothing_ignores_other_writers(correct: Target) -> None:
    """Another worker or run creating audios meanwhile is no evidence against the refusal (its aliases differ)."""
    case, response = correct.create({"file": "not base64!"})
    assert isinstance(case.body, dict) and case.body["alias"].startswith("prop-p")  # a create without alias gets one
    correct.create({"file": WAV, "alias": "someone-else"})
    correct.checks.refusal_stores_nothing(None, response, case)


def test_another_writer_meanwhile_never_fails_a_refusal(correct: Target) -> None:
    """Without a searchable alias (here not even a string) the refusal is not judged: the space's Item-Total, the
    old stand-in, moves whenever another worker or run writes (here: an upload between before and after)."""
    case, response = correct.create({"file": "not base64!", "alias": 5})
    assert response.status_code == 400
    correct.create({"file": WAV})  # someone else's upload, meanwhile
    correct.checks.refusal_stores_nothing(None, response, case)


def test_error_body_is_problem_passes_clean_and_fails_a_traceback(correct: Target, stack_traces: Target) -> None:
    case, response = correct.create({"file": 3})
    correct.checks.error_body_is_problem(None, response, case)
    case, response = stack_traces.create({"file": 3})
    with pytest.raises(ConformanceFailure) as failure:
        stack_traces.checks.error_body_is_problem(None, response, case)
    assert failure.value.requirement == "PROP-ERROR-BODY"
