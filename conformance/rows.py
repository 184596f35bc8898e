"""Data-driven scenarios: one mechanism turns a named source of rows into test parameters.

A scenario that runs once per row says so with a marker, ``@pytest.mark.rows("media", "accepted_corpus")``: the
argument name, then the source. A source is a function of the pytest configuration, registered here with
:func:`source` next to the data it reads (the corpus rows the profile accepts, in ``scenarios/_support.py``; the
refusal rows, in ``scenarios/test_rejections.py``; the named existing audios; the access matrix's cells; the
operations of the definition), because which rows exist depends on the configured profile, known only once pytest
is configured. Each row is a ``pytest.param`` that carries its own id and its requirement marks; a scenario that
checks a requirement of its own (ERR-NO-5XX over every refusal row, say) passes ``requirements=False`` so the rows'
requirement marks are dropped. ``indirect=True`` hands each row to the fixture of that name, as
``metafunc.parametrize`` does. The plugin's ``pytest_generate_tests`` calls :func:`parametrize`; nothing else
parametrizes from configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet

Source = Callable[[pytest.Config], Sequence[ParameterSet]]
SOURCES: dict[str, Source] = {}


def source(name: str) -> Callable[[Source], Source]:
    """Register a row source under ``name`` (a name registered twice is a bug of the suite)."""

    def register(function: Source) -> Source:
        existing = SOURCES.get(name)
        if existing is not None and existing.__qualname__ != function.__qualname__:
            raise RuntimeError(f"a row source named {name!r} is already registered")
        SOURCES[name] = function
        return function

    return register


def parametrize(metafunc: pytest.Metafunc) -> None:
    """Parametrize a test over the rows of each ``rows`` marker it carries."""
    for mark in metafunc.definition.iter_markers("rows"):
        argname, name = mark.args
        if name not in SOURCES:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: no row source named {name!r}; known: "
                                    f"{', '.join(sorted(SOURCES))}")
        rows: list[Any] = list(SOURCES[name](metafunc.config))
        if not mark.kwargs.get("requirements", True):
            rows = [pytest.param(*row.values, id=row.id, marks=[m for m in row.marks if m.name != "requirement"])
                    for row in rows]
        metafunc.parametrize(argname, rows, indirect=bool(mark.kwargs.get("indirect", False)))
