"""The property runner stands on schemathesis internals that no release promises to keep
(``conformance/properties/runner.py``): the pytest test builder, the feedback sources, the Hypothesis output
silencer, the failure types and the stateful availability check. pyproject.toml pins the minor series these were
tested with; this test fails loudly, naming each helper, when an upgrade moves one, instead of the property phase
breaking in a user's nightly run."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version

import pytest

HELPERS = [
    ("schemathesis.pytest._test_builder", "build_operation_test", ("config", "operation", "test_func",
                                                                  "given_kwargs", "feedback", "explicit_settings")),
    ("schemathesis.generation.feedback", "FeedbackSources", ()),
    ("schemathesis.generation.hypothesis.reporting", "ignore_hypothesis_output", ()),
    ("schemathesis.core.failures", "FailureGroup", ()),
    ("schemathesis.core.failures", "CustomFailure", ()),
    ("schemathesis.core.failures", "Failure", ()),
    ("schemathesis.specs.openapi.checks", "ensure_resource_availability", ()),
]


def test_the_pinned_minor_series_is_installed() -> None:
    major, minor, *_ = version("schemathesis").split(".")
    assert (major, minor) == ("4", "32"), f"schemathesis {version('schemathesis')} is outside the tested 4.32 series"


@pytest.mark.parametrize(("module", "name", "parameters"), HELPERS, ids=[f"{m}.{n}" for m, n, _ in HELPERS])
def test_the_private_helper_is_where_the_runner_expects_it(module: str, name: str,
                                                          parameters: tuple[str, ...]) -> None:
    helper = getattr(importlib.import_module(module), name, None)
    assert helper is not None, f"schemathesis moved {module}.{name}: conformance/properties/runner.py must follow"
    if parameters:
        accepted = inspect.signature(helper).parameters
        missing = [p for p in parameters if p not in accepted]
        assert not missing, f"{module}.{name} no longer takes {missing}: conformance/properties/runner.py must follow"
