"""Drive schemathesis from inside a scenario: one operation's stateless test, the stateful run, explicit cases.

Why not schemathesis' pytest loader (``schemathesis.pytest.from_fixture(name).parametrize()``): it would resolve
the schema from a fixture at test time, when the target, the token and the pinned space are known, but it finds
the operations only inside the one test it decorates and runs each as a subtest of that single pytest item,
reporting failures its own way
(https://github.com/schemathesis/schemathesis/blob/v4.32.5/src/schemathesis/pytest/lazy.py). The certification
needs one pytest item per operation, collected from the definition the run uses (ours or the target's;
``conformance/scenarios/test_properties.py``, ids ``[METHOD /path]``), so that each has its requirement marker, its
own transcript and its own outcome (an operation of an undeclared capability is ``unsupported`` alone), and every
failure as one ``ConformanceFailure`` with its requirement id, a curl line and the seed, blamed as
:meth:`PropertyRun.deciding` says. So the scenario parametrizes by operation itself, and this module builds each
operation's Hypothesis test with the builder the loader calls for every operation (``build_operation_test``): the
examples, coverage and fuzzing phases and every built-in check behave as under the loader. That builder lives in a
private module (``schemathesis.pytest._test_builder``), hence ``schemathesis<5`` in pyproject.toml.

Every failure leaves here as one ``ConformanceFailure`` (``report_multiple_bugs=False``: Hypothesis shrinks to
one minimal failing case), with the failing exchange added to the test's HTTP transcript.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.configuration
import hypothesis.errors
import requests
from hypothesis import HealthCheck, Phase
from hypothesis.stateful import get_state_machine_test
from schemathesis import Case, Response
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import ensure_resource_availability

from conformance.checks import ConformanceFailure
from conformance.checks.transport import TransportFailure
from conformance.http_stack import HangGuard, TargetError
from conformance.properties.checks import Judge, PropertyChecks, as_conformance_failure, exchange
from conformance.properties.schema import Budget
from conformance.transcript import Exchange, Transcript

STATEFUL_PATHS = r"^/spaces/"
def _hypothesis_home() -> None:
    """Hypothesis keeps no example database here (the seed alone decides), but it caches Unicode tables on disk,
    by default under ``./.hypothesis`` of whatever directory the run starts in: recomputing the UTF-8 table costs
    seconds per run. One per-user cache directory instead (``HYPOTHESIS_STORAGE_DIRECTORY`` still wins)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    hypothesis.configuration.set_hypothesis_home_dir(cache / "voice-api-conformance" / "hypothesis")


_hypothesis_home()

QUIET = {"deadline": None, "database": None, "report_multiple_bugs": False, "print_blob": False,
         "suppress_health_check": list(HealthCheck), "verbosity": hypothesis.Verbosity.quiet}
"""Hypothesis settings every property test shares: no deadline (network), no example database (seed S alone
decides what is generated), one failure per test, and no health check about slow data (PyAV synthesis)."""


def _first_failure(exc: BaseException) -> ConformanceFailure | None:
    """The first ``ConformanceFailure`` inside an exception group (Hypothesis' ``FlakyFailure`` wraps what failed)."""
    if isinstance(exc, ConformanceFailure):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _first_failure(inner)
        if found is not None:
            return found
    return None


def _operation(case: Case) -> str:
    """The hang guard's name of the case's operation (``GET spaces/{owner}/{space}/audios/{audio}/file``)."""
    return HangGuard.operation(case.method.upper(), case.formatted_path)


def _request(case: Case) -> str:
    """``METHOD /path`` of the case, for messages."""
    return f"{case.method.upper()} {case.formatted_path}"


class PropertyEngineError(RuntimeError):
    """Hypothesis or schemathesis broke down without any check seeing a failing answer: an error of the suite."""


@dataclass
class PropertyRun:
    """One run's schema, checks, seed and budget; ``transcript`` is the current test's (the plugin's)."""

    schema: Any  # schemathesis.BaseSchema
    checks: PropertyChecks
    seed: int
    budget: Budget
    transcript: Transcript
    headers: dict[str, str]
    undecided: TargetError | None = None
    observed: ConformanceFailure | None = None  # the first failing answer a check of ours saw in this run

    def operation(self, label: str) -> Any:
        """The API operation ``METHOD /path``."""
        method, _, path = label.partition(" ")
        return self.schema[path][method]

    def call_and_check(self, case: Case, *, judge: Judge, checks: list[Callable[..., None]] | None = None,
                       headers: dict[str, str] | None = None) -> Response:
        """Send ``case``, record what it created, run schemathesis' checks plus ours; a failure is raised as a
        ``ConformanceFailure`` of our check, else of ``judge``."""
        response = self.call(case, headers=headers)
        self.validate(case, response, judge=judge, checks=checks, headers=headers)
        return response

    @functools.cached_property
    def session(self) -> requests.Session:
        """The ``requests`` session every schemathesis call of the run uses (the transport hook): it sends through
        the suite's own transport, so generated requests, and the re-sends of schemathesis' checks, go to the
        target's origin only and get bounded answers on a deadline (``conformance/transport.py``)."""
        return self.checks.http.requests_session()

    def call(self, case: Case, *, headers: dict[str, str] | None = None) -> Response:
        """Send ``case`` and record what it created (no judgement yet)."""
        self.before(case)
        response = self.send(case, lambda: case.call(headers=headers, session=self.session))
        self.checks.after_call(case, response)
        return response

    def before(self, case: Case) -> None:
        """Admit the call (a target known to have stopped answering ends the test as undecided, remembered, since
        hypothesis may report the aborted run as something else), the checks' notes, then the call's slot under the
        run's rate limit."""
        try:
            self.checks.observer.admit(_operation(case))
            self.checks.before_call(case)
        except TargetError as exc:
            self.undecided = exc
            raise
        self.checks.observer.pace()

    def send(self, case: Case, call: Callable[[], Response]) -> Response:
        """Make ``call`` and count it with the run's observer, like every other request of the suite: a timeout
        counts for the hang guard and leaves the test undecided (``TargetError``), an answer for the statistics."""
        observer = self.checks.observer
        try:
            response = call()
        except (requests.exceptions.Timeout, TimeoutError) as exc:
            self.undecided = observer.timed_out(_operation(case), _request(case), exc)
            raise self.undecided from None
        except TransportFailure as failure:  # the transport stopped the answer: its own requirement, transcript
            observer.stopped(failure.seen)
            self.transcript.add(Exchange.stopped_by(failure))
            if self.observed is None:
                self.observed = failure
            raise
        except requests.exceptions.ConnectionError as exc:  # dropped or cut short: undecided, as for the suite
            self.undecided = TargetError(f"{_request(case)} failed: {exc}")
            raise self.undecided from None
        observer.answered(response.elapsed, {k.lower(): v[0] for k, v in response.headers.items() if v})
        return response

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """Blame honestly what ends a property run.

        - A target that stopped answering leaves the property undecided (``TargetError``), even when Hypothesis
          reports the aborted run as something else.
        - A Hypothesis flakiness error (``Flaky``: the replay of a failing example did not fail again, or the
          data drawn changed because the target's answers did) is not a verdict by itself: when one of our checks
          did see a failing answer during the run, that observation is the finding; otherwise the run ends as a
          suite error (:class:`PropertyEngineError`), never as a failure of the target.
        - Any other exception from Hypothesis or schemathesis (a health check, an invalid strategy) is the suite's.
        """
        self.undecided = None
        self.observed = None
        try:
            yield
        except TargetError:
            raise
        except ConformanceFailure:
            raise
        except Exception as exc:
            if self.undecided is not None:
                raise self.undecided from None
            if isinstance(exc, hypothesis.errors.Flaky | BaseExceptionGroup):
                seen = self.observed or _first_failure(exc)
                if seen is not None:
                    raise seen from None
                raise PropertyEngineError(f"Hypothesis reported {type(exc).__name__} and no check of ours saw a "
                                          f"failing answer: {str(exc).splitlines()[0][:300]}") from exc
            raise

    def validate(self, case: Case, response: Response, *, judge: Judge,
                 checks: list[Callable[..., None]] | None = None, headers: dict[str, str] | None = None) -> None:
        """Schemathesis' checks (or ``checks``) plus ours on one answer."""
        try:
            case.validate_response(response, checks=checks, additional_checks=self.checks.all(), headers=headers,
                                   transport_kwargs={"session": self.session})
        except FailureGroup as group:
            raise self.failure(group, judge=judge, case=case, response=response) from None

    def failure(self, group: FailureGroup, *, judge: Judge, case: Case, response: Response | None) -> Exception:
        """The report's view of a schemathesis failure: our exception, and the exchange in the transcript."""
        if response is not None:
            self.transcript.add(exchange(response))
        found = as_conformance_failure(group, judge=judge, case=case, response=response, seed=self.seed)
        if self.observed is None:
            self.observed = found  # kept: a flaky replay must not hide what was seen
        return found

    def phases(self) -> list[Phase]:
        """Hypothesis phases of our own properties and the stateful run (shrinking only when the budget says)."""
        return [Phase.explicit, Phase.generate, *([Phase.shrink] if self.budget.shrink else [])]

    def stateless(self, label: str, *, judge: Judge) -> None:
        """Every enabled phase (examples, coverage, fuzzing; positive and negative) for one operation."""

        def test(case: Case) -> None:
            self.call_and_check(case, judge=judge)

        operation = self.operation(label)
        hypothesis_test = build_operation_test(
            config=self.schema.config, operation=operation, test_func=test, given_kwargs={},
            feedback=FeedbackSources(), explicit_settings=hypothesis.settings(**QUIET),
        )
        with ignore_hypothesis_output(), self.deciding():
            hypothesis_test()

    def stateful(self, *, judge: Judge) -> None:
        """Scenarios that follow the definition's links; schemathesis' stateful checks (``use_after_free``,
        ``ensure_resource_availability``) plus ours on every step."""
        run = self
        # The audio resources only: their links are the workflow under certification (keys are fuzzed stateless).
        base = self.schema.include(path_regex=STATEFUL_PATHS).as_state_machine()

        class Machine(base):  # type: ignore[misc, valid-type]
            def before_call(self, case: Case) -> None:
                run.before(case)

            def get_call_kwargs(self, case: Case) -> dict[str, Any]:
                return {"session": run.session}  # the transport hook; also reaches validate_response's re-sends

            def call(self, case: Case, **kwargs: Any) -> Response:
                return run.send(case, lambda: super(Machine, self).call(case, **kwargs))

            def after_call(self, response: Response, case: Case) -> None:
                super().after_call(response, case)
                run.checks.after_call(case, response)

            def validate_response(self, response: Response, case: Case,
                                  additional_checks: list[Callable[..., None]] | None = None, **kwargs: Any) -> None:
                # An audio created without `file` has no file yet: the profile's documented answer is not a
                # "created resource not found".
                excluded = [ensure_resource_availability] if run.checks.awaiting_file(case, response) else []
                try:
                    case.validate_response(response, additional_checks=run.checks.all(), excluded_checks=excluded,
                                           transport_kwargs=kwargs or None, recorder=self.recorder)
                except FailureGroup as group:
                    raise run.failure(group, judge=judge, case=case, response=response) from None

        settings = hypothesis.settings(max_examples=self.budget.stateful_runs,
                                       stateful_step_count=self.budget.stateful_steps,
                                       phases=self.phases(), **QUIET)
        test = get_state_machine_test(Machine, settings=settings, _min_steps=2)
        with ignore_hypothesis_output(), self.deciding():
            hypothesis.seed(self.seed)(test)()

    def given(self, strategy: hypothesis.strategies.SearchStrategy[Any], examples: int,
              body: Callable[[Any], None]) -> None:
        """Run ``body`` on ``examples`` draws of ``strategy`` (seeded, shrinking to one minimal failure)."""
        settings = hypothesis.settings(max_examples=examples, phases=self.phases(),
                                       **QUIET)
        test = hypothesis.seed(self.seed)(settings(hypothesis.given(strategy)(body)))
        with self.deciding():
            test()
