"""Property-based runs inside the certification: schemathesis over the definition, plus audio-aware properties.

Stateless: every operation (one test each, ids ``[METHOD /path]``), both generation modes, phases examples,
coverage and fuzzing, all of schemathesis' checks plus ours. Stateful: scenarios following the definition's links
(create → details → file → update → list → delete), with use-after-delete and resource availability checked.
Media: real audio must be stored as valid WAV, and mutations of it must be stored validly or refused cleanly.
One explicit valid upload through the schema guards against a run that is green only because everything was
refused (a wrong token would make every generated case a documented 401, and such a run must not pass green).

Budgets (``quick``/``nightly``) and the seed come from the configuration (``--budget``, ``--seed``); a failure's
message carries a curl line (``$TOKEN``) and the seed that finds it again. What the runs create is registered
for the end-of-run sweep; API keys created by fuzzing are revoked when the stateless tests finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet
from hypothesis import strategies as st

from conformance import rows
from conformance.checks.audio import created_with_201, valid_audio_accepted
from conformance.checks.credentials import keys_revoked
from conformance.checks.http import not_a_server_error
from conformance.checks.media import non_strict_base64_refused
from conformance.client import session_token
from conformance.http_stack import TargetError
from conformance.outcomes import unsupported
from conformance.properties import strategies
from conformance.properties.checks import (
    PropertyChecks,
    as_httpx,
    exchange,
    invalid_create_refused,
    stateful_answer_allowed,
    stateless_answer_allowed,
)
from conformance.properties.runner import PropertyRun
from conformance.properties.schema import BUDGETS, DefinitionError, load, operation_labels, read_definition
from conformance.properties.strategies import Clip, Mutant
from conformance.run_state import STATE_KEY, RunState

CREATE = "POST /spaces/{owner}/{space}/audios"


@rows.source("operations")
def operations(config: pytest.Config) -> list[ParameterSet]:
    """One row per operation of the definition this run uses (ours or the target's)."""
    state = config.stash.get(STATE_KEY, None)
    try:
        labels = operation_labels(read_definition(state.settings)) if state is not None else []
    except DefinitionError as exc:
        labels = [f"definition error: {exc}"]
    return [pytest.param(label, id=label) for label in labels or ["(no operations)"]]


@pytest.fixture(scope="module")
def properties(run_state: RunState, client_for: Any, space_for: Any) -> Iterator[PropertyRun]:
    """The run's schema as the primary actor in the primary space, its checks, seed and budget."""
    settings = run_state.settings
    space = space_for("primary")
    client_for("primary")  # skips as disabled without a primary actor
    assert settings.base_url is not None
    try:
        token = session_token(base_url=settings.base_url, timeout=settings.timeout,
                              actor=settings.actors["primary"], transcript=run_state.transcript,
                              **client_for.options())
        run_state.redactor.add(token)
        schema = load(settings, token=token, space=space, seed=settings.seed)
    except TargetError:
        raise  # the target stopped answering: the property runs are undecided, not failed
    except DefinitionError as exc:
        pytest.fail(f"property runs cannot start: {exc}", pytrace=False)
    headers = {"Authorization": f"Bearer {token}"}
    http = client_for.raw(token=token)
    try:
        checks = PropertyChecks(http=http, space=space, profile=settings.profile, resources=run_state.resources,
                                alias_prefix=run_state.run_id, throttle=run_state.throttle, stats=run_state.stats)
        yield PropertyRun(schema=schema, checks=checks, seed=settings.seed, budget=BUDGETS[settings.budget],
                          transcript=run_state.transcript, headers=headers)
        left = checks.revoke_keys()
    finally:
        http.close()
    keys_revoked(left)


@pytest.mark.requirement("PROP-STATELESS")
@pytest.mark.rows("operation", "operations")
def test_stateless(properties: PropertyRun, operation: str) -> None:
    """Generated requests to this operation get answers the definition allows, and pass our checks."""
    if operation.startswith(("definition error", "(no operations)")):
        pytest.fail(operation, pytrace=False)
    try:
        properties.operation(operation)
    except LookupError:  # left out of the run's definition: an `x-capability` the profile does not declare
        unsupported(f"{operation} belongs to a capability the profile does not declare")
    properties.stateless(operation, judge=stateless_answer_allowed)


@pytest.mark.requirement("PROP-STATEFUL")
def test_stateful(properties: PropertyRun) -> None:
    """Link-following scenarios answer as documented; nothing deleted is served, nothing created is missing."""
    properties.stateful(judge=stateful_answer_allowed)


@pytest.mark.requirement("AUD-CREATE-201")
def test_explicit_valid_upload(properties: PropertyRun, run_id: str) -> None:
    """One known-valid upload through the schema must answer 201: a run whose every case was refused (a wrong
    token, a wrong space) must not pass green."""
    clip = strategies.synthesise("wav", 16000, 1, 300, properties.seed)
    case = _create_case(properties, {"file": Clip(clip, "wav").base64, "alias": f"{run_id}-prop-explicit"})
    response = properties.call(case, headers=properties.headers)
    properties.transcript.add(exchange(response))
    created_with_201(as_httpx(response))
    properties.validate(case, response, judge=stateless_answer_allowed, headers=properties.headers)


@pytest.mark.requirement("PROP-CREATE-FILE-VALID")
def test_real_audio_is_stored_as_valid_wav(properties: PropertyRun) -> None:
    """Real audio (corpus rows, synthesised WAV/FLAC/MP3 within the profile's limits) with any valid alias is
    accepted, and its `/file` is a valid WAV at the reported rate and duration."""
    profile = properties.checks.profile

    def body(drawn: tuple[Clip, str | None]) -> None:
        clip, alias = drawn
        case = _create_case(properties, {"file": clip.base64, "alias": alias})
        response = properties.call(case, headers=properties.headers)
        if not 200 <= response.status_code < 300:
            properties.transcript.add(exchange(response))
        valid_audio_accepted(as_httpx(response), f"{clip.label}, alias {alias!r}")
        properties.validate(case, response, judge=stateless_answer_allowed, headers=properties.headers)

    properties.given(st.tuples(strategies.audio_clips(profile), strategies.aliases()),
                     properties.budget.media_examples, body)


@pytest.mark.requirement("PROP-REJECT-NOTHING-STORED")
def test_mutated_audio_is_stored_validly_or_refused_cleanly(properties: PropertyRun) -> None:
    """Bit flips, truncation, a wrong magic or non-strict Base64 of real audio: a still-decodable file may be
    accepted (then stored as valid WAV), anything else is refused with a 4xx and stores nothing; never a 5xx."""
    profile = properties.checks.profile

    def body(mutant: Mutant) -> None:
        case = _create_case(properties, {"file": mutant.file})
        response = properties.call(case, headers=properties.headers)
        properties.transcript.add(exchange(response))
        not_a_server_error(as_httpx(response), f"upload of mutated audio ({mutant.label})")
        if not mutant.strict_base64:
            non_strict_base64_refused(as_httpx(response), profile, mutant.label)
        properties.validate(case, response, judge=stateless_answer_allowed, headers=properties.headers)

    properties.given(strategies.mutants(profile), properties.budget.media_examples, body)


@pytest.mark.requirement("PROP-ERROR-BODY")
def test_refused_requests_get_clean_problem_details(properties: PropertyRun) -> None:
    """Invalid creates (non-strict Base64, a bad alias, a `file` of the wrong type) are refused with a 4xx whose
    body is problem details with a reason and no internals (the same check also runs on every generated case)."""
    profile = properties.checks.profile
    wrong_type = st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2), st.just({}))
    bodies = st.one_of(
        strategies.mutants(profile, properties.budget.clip_pool).filter(lambda m: not m.strict_base64)
        .map(lambda m: {"file": m.file}),
        st.builds(lambda clip, alias: {"file": clip.base64, "alias": alias},
                  strategies.audio_clips(profile, properties.budget.clip_pool), strategies.invalid_aliases()),
        wrong_type.map(lambda value: {"file": value}),
    )

    def body(sent: dict[str, Any]) -> None:
        case = _create_case(properties, sent)
        response = properties.call(case, headers=properties.headers)
        properties.transcript.add(exchange(response))
        not_a_server_error(as_httpx(response), "an invalid create")
        invalid_create_refused(as_httpx(response))
        properties.checks.error_body_is_problem(None, response, case)

    properties.given(bodies, properties.budget.media_examples, body)


def _create_case(properties: PropertyRun, body: dict[str, Any]) -> Any:
    """An explicit create in the primary space (no generation: the body is what the property drew)."""
    space = properties.checks.space
    return properties.operation(CREATE).Case(path_parameters={"owner": space.owner, "space": space.space},
                                             body=body, media_type="application/json")
