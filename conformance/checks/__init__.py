"""Checks: small named functions, each bound to one requirement of the catalogue, that raise a typed failure.

A check takes what it needs (a response, the profile, the uploaded media) and either returns quietly or calls
``fail(title, received=..., expected=...)``. The requirement is written once, on ``@check("ID")``: the decorator
turns the check's ``fail()`` into a ``ConformanceFailure`` of that requirement, naming the check and where it is
defined, so the report says "Checked by ..." without reading tracebacks. A check may call another check; the
inner one's failure keeps its own requirement. ``fail()`` outside any check is a bug of the suite (scenarios drive,
checks judge), and the run shows it as an error of the suite, never as a failure of the target.

The registry maps every check to its requirement so a reader, and the project's own tests, can go from an id to
the code that decides it (``conformance.checks.REGISTRY``; ARCHITECTURE.md says where a new check goes).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

from conformance import requirements

P = ParamSpec("P")
R = TypeVar("R")


class ConformanceFailure(AssertionError):
    """The target does not meet ``requirement``. ``title`` is one line; ``received``/``expected`` say how;
    ``check`` and ``location`` name the registered check that decided it (None when built by hand, e.g. from a
    schemathesis failure whose check is schemathesis' own)."""

    def __init__(self, requirement: str, title: str, *, received: str, expected: str, check: str | None = None,
                 location: str | None = None) -> None:
        requirements.get(requirement)  # an unknown id is a bug in the suite, not in the target
        self.requirement = requirement
        self.title = title
        self.received = received
        self.expected = expected
        self.check = check
        self.location = location
        super().__init__(f"[{requirement}] {title}\nReceived: {received}\nExpected: {expected}")


class UnboundFailure(Exception):
    """``fail()`` raised outside a registered check: the suite judged somewhere it must not (a suite error)."""

    def __init__(self, title: str, received: str, expected: str, kind: type[ConformanceFailure] | None = None,
                 details: dict[str, Any] | None = None) -> None:
        self.title = title
        self.received = received
        self.expected = expected
        self.kind = kind or ConformanceFailure
        self.details = details or {}
        super().__init__(f"fail() outside a registered check: {title} (received {received}; expected {expected})")


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    """A check and the requirement it decides."""

    name: str
    requirement: str
    function: Callable[..., object]
    location: str


REGISTRY: dict[str, RegisteredCheck] = {}


def _location(function: Callable[..., object]) -> str:
    code = getattr(inspect.unwrap(function), "__code__", None)
    return f"{Path(code.co_filename).name}:{code.co_firstlineno}" if code is not None else "?"


def check(requirement: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Bind a check to ``requirement`` and register it under its function name; a duplicate name is an error."""
    requirements.get(requirement)

    def register(function: Callable[P, R]) -> Callable[P, R]:
        name = function.__name__
        existing = REGISTRY.get(name)
        if existing is not None and inspect.unwrap(existing.function).__module__ != function.__module__:
            raise RuntimeError(f"a check named {name!r} is already registered")
        location = _location(function)

        @functools.wraps(function)
        def bound(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except UnboundFailure as exc:
                raise exc.kind(requirement, exc.title, received=exc.received, expected=exc.expected, check=name,
                               location=location, **exc.details) from None

        REGISTRY[name] = RegisteredCheck(name=name, requirement=requirement, function=bound, location=location)
        return bound

    return register


def fail(title: str, *, received: object, expected: object, kind: type[ConformanceFailure] | None = None,
         **details: Any) -> NoReturn:
    """The target does not meet the requirement of the check this is called from (a helper so that checks read
    as a specification: what was received, what the requirement expects). ``kind`` is a subclass of
    ``ConformanceFailure`` that carries ``details`` (e.g. the transport's ``TransportFailure`` and what it saw)."""
    raise UnboundFailure(title, str(received), str(expected), kind, details)


def requirement_of(function: Callable[..., object]) -> str:
    """The requirement a registered check is bound to (a ``KeyError`` for a function that is not a check)."""
    registered = REGISTRY[function.__name__]
    if registered.function is not function:
        raise KeyError(f"{function.__name__} is not the registered check of that name")
    return registered.requirement


def by_requirement(*functions: Callable[P, R]) -> dict[str, Callable[P, R]]:
    """Checks keyed by the requirement each is bound to: for data-driven rows (a refusal row, an access cell) that
    name a requirement and need its check, without writing the id a second time."""
    table: dict[str, Callable[P, R]] = {}
    for function in functions:
        requirement = requirement_of(function)
        if requirement in table:
            raise RuntimeError(f"two checks for {requirement}: {table[requirement].__name__}, {function.__name__}")
        table[requirement] = function
    return table
