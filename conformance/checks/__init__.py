"""Checks: small named functions, one requirement id each, that raise a typed ``ConformanceFailure``.

A check takes what it needs (a response, the profile, the uploaded media) and either returns quietly or raises a
failure whose message reads "Received ... / Expected ...". The registry maps every check to its requirement id so
that a reader (and the project's own tests) can go from an id to the code that decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, ParamSpec, TypeVar

from conformance import requirements

P = ParamSpec("P")
R = TypeVar("R")


class ConformanceFailure(AssertionError):
    """The target does not meet ``requirement``. ``title`` is one line; ``received``/``expected`` say how."""

    def __init__(self, requirement: str, title: str, *, received: str, expected: str) -> None:
        requirements.get(requirement)  # an unknown id is a bug in the suite, not in the target
        self.requirement = requirement
        self.title = title
        self.received = received
        self.expected = expected
        super().__init__(f"[{requirement}] {title}\nReceived: {received}\nExpected: {expected}")


class NotApplicable(Exception):  # noqa: N818 - an outcome, not an error
    """A check cannot run against this target (capability not declared, actor or space not configured)."""


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    """A check and the requirement it decides."""

    name: str
    requirement: str
    function: Callable[..., object]


REGISTRY: dict[str, RegisteredCheck] = {}


def check(requirement: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register a check under its function name for ``requirement``; a duplicate name is an error."""
    requirements.get(requirement)

    def register(function: Callable[P, R]) -> Callable[P, R]:
        name = function.__name__
        existing = REGISTRY.get(name)
        if existing is not None and existing.function.__module__ != function.__module__:
            raise RuntimeError(f"a check named {name!r} is already registered")
        REGISTRY[name] = RegisteredCheck(name=name, requirement=requirement, function=function)
        return function

    return register


def fail(requirement: str, title: str, *, received: object, expected: object) -> NoReturn:
    """Raise the failure for ``requirement`` (a helper so checks read as a specification)."""
    raise ConformanceFailure(requirement, title, received=str(received), expected=str(expected))
