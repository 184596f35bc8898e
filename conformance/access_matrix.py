"""The access matrix as typed data: actors × operations × targets, each cell with its expected outcome.

The table itself is ``access_matrix.toml`` (data, not code); this module loads it, validates every name and
reference in it, and expands it into :class:`Cell` rows, one test each. Nothing here knows a status code: the
statuses an outcome allows are computed from the target's profile by :func:`expected_statuses`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from conformance import requirements
from conformance.profile import CAPABILITIES, Profile

OUTCOMES = ("allowed", "unauthenticated", "denied", "not_found", "malformed_path")
SCOPES = ("space", "audio", "awaiting")
CREDENTIALS = ("none", "header", "configured", "session", "revoked_key")
ROLES = ("own", "member_org", "nonmember_org", "other_user")
PATH_KINDS = ("as_is", "unknown_owner", "unknown_space")
PATH_REQUIREMENT = "ACCESS-PATH-NORMALISATION"
SIDE_EFFECT_REQUIREMENT = "ACCESS-NO-SIDE-EFFECT"


class MatrixError(ValueError):
    """The table is inconsistent; the message names the entry (a bug in the suite, found at collection)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One API operation the matrix tries."""

    name: str
    scope: str
    writes: bool = False
    capability: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where an operation is aimed, relative to the identity the actor acts as."""

    name: str
    space: str  # a role of the identity
    requirement: str
    path: str = "as_is"
    audio_from: str | None = None  # the role whose audio is addressed; None: the target space's own
    scopes: tuple[str, ...] = SCOPES

    @property
    def audio_role(self) -> str:
        """The role whose audio the audio-scoped operations address."""
        return self.audio_from or self.space


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who calls: a credential kind, the identity it stands for (if any), and its expected outcome per target."""

    name: str
    credential: str
    cells: Mapping[str, str]
    identity: str = "primary"
    authorization: str | None = None
    requirement: str | None = None
    capability: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One test of the matrix: ``actor`` does ``operation`` on ``target`` and expects ``outcome``."""

    actor: Actor
    operation: Operation
    target: Target
    outcome: str

    @property
    def id(self) -> str:
        """``<actor>-<operation>-<target>``: the report groups rows by actor because ids sort by it."""
        return f"{self.actor.name}-{self.operation.name}-{self.target.name}"

    @property
    def requirement(self) -> str:
        """The requirement the cell decides: the actor's (authentication cases) or the target's."""
        return self.actor.requirement or self.target.requirement

    @property
    def requirements(self) -> tuple[str, ...]:
        """Every requirement the cell declares: refused writes also decide that nothing changed."""
        if self.outcome != "allowed" and self.operation.writes:
            return (self.requirement, SIDE_EFFECT_REQUIREMENT)
        return (self.requirement,)

    @property
    def capabilities(self) -> tuple[str, ...]:
        """Profile capabilities the cell needs (the operation's and the actor's)."""
        return tuple(c for c in (self.operation.capability, self.actor.capability) if c)


@dataclass(frozen=True, slots=True, kw_only=True)
class PathVariant:
    """A non-canonical path the primary sends (GET); it must never serve another space's data."""

    name: str
    template: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Matrix:
    """The whole table."""

    operations: Mapping[str, Operation]
    targets: Mapping[str, Target]
    identities: Mapping[str, Mapping[str, str]]  # identity → role → configured space name
    actors: Mapping[str, Actor]
    paths: tuple[PathVariant, ...]

    def cells(self) -> list[Cell]:
        """Every cell, in table order (actor, then target, then operation)."""
        out: list[Cell] = []
        for actor in self.actors.values():
            for target_name, outcome in actor.cells.items():
                target = self.targets[target_name]
                out += [Cell(actor=actor, operation=op, target=target, outcome=outcome)
                        for op in self.operations.values() if op.scope in target.scopes]
        return out

    def space_name(self, identity: str, role: str) -> str:
        """The configured space (``primary``, ``org``…) that plays ``role`` for ``identity``."""
        return self.identities[identity][role]


def expected_statuses(outcome: str, profile: Profile) -> frozenset[int]:
    """The statuses a refusal with ``outcome`` may use on this target (empty for ``allowed``: any 2xx)."""
    denied = frozenset(profile.denied_statuses)
    return {
        "allowed": frozenset(),
        "unauthenticated": frozenset(profile.unauthenticated_statuses),
        "denied": denied,
        "not_found": denied | {404},
        "malformed_path": denied | {400, 404},
    }[outcome]


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise MatrixError(f"{where}: missing key {key!r}")
    return data[key]


def _one_of(value: object, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise MatrixError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    assert isinstance(value, str)
    return value


def _requirement(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in requirements.CATALOGUE:
        raise MatrixError(f"{where}: unknown requirement id {value!r}")
    return value


def _capability(value: object, where: str) -> str | None:
    return None if value is None else _one_of(value, CAPABILITIES, where)


def parse(data: Mapping[str, Any]) -> Matrix:
    """Validate the table's raw TOML data and build the typed matrix."""
    operations = {
        name: Operation(name=name, scope=_one_of(_need(row, "scope", f"operations.{name}"), SCOPES,
                                                 f"operations.{name}.scope"),
                        writes=bool(row.get("writes", False)),
                        capability=_capability(row.get("capability"), f"operations.{name}.capability"))
        for name, row in _need(data, "operations", "table").items()
    }
    targets: dict[str, Target] = {}
    for name, row in _need(data, "targets", "table").items():
        where = f"targets.{name}"
        scopes = tuple(_one_of(s, SCOPES, f"{where}.scopes") for s in row.get("scopes", SCOPES))
        audio_from = row.get("audio_from")
        targets[name] = Target(
            name=name, space=_one_of(_need(row, "space", where), ROLES, f"{where}.space"),
            requirement=_requirement(_need(row, "requirement", where), f"{where}.requirement"),
            path=_one_of(row.get("path", "as_is"), PATH_KINDS, f"{where}.path"),
            audio_from=None if audio_from is None else _one_of(audio_from, ROLES, f"{where}.audio_from"),
            scopes=scopes)
    identities = {name: dict(roles) for name, roles in _need(data, "identities", "table").items()}
    for name, roles in identities.items():
        if sorted(roles) != sorted(ROLES):
            raise MatrixError(f"identities.{name}: must name exactly the roles {', '.join(ROLES)}")
    actors: dict[str, Actor] = {}
    for name, row in _need(data, "actors", "table").items():
        where = f"actors.{name}"
        credential = _one_of(_need(row, "credential", where), CREDENTIALS, f"{where}.credential")
        identity = row.get("identity", "primary")
        if identity not in identities:
            raise MatrixError(f"{where}.identity: unknown identity {identity!r}")
        if credential == "header" and not isinstance(row.get("authorization"), str):
            raise MatrixError(f"{where}: a header credential needs an `authorization` string")
        cells = dict(_need(row, "cells", where))
        for target, outcome in cells.items():
            if target not in targets:
                raise MatrixError(f"{where}.cells: unknown target {target!r}")
            _one_of(outcome, OUTCOMES, f"{where}.cells.{target}")
        requirement = row.get("requirement")
        actors[name] = Actor(
            name=name, credential=credential, cells=cells, identity=identity, authorization=row.get("authorization"),
            requirement=None if requirement is None else _requirement(requirement, f"{where}.requirement"),
            capability=_capability(row.get("capability"), f"{where}.capability"))
    paths = tuple(PathVariant(name=name, template=_need(row, "path", f"paths.{name}"))
                  for name, row in data.get("paths", {}).items())
    matrix = Matrix(operations=operations, targets=targets, identities=identities, actors=actors, paths=paths)
    ids = [cell.id for cell in matrix.cells()]
    if len(ids) != len(set(ids)):
        raise MatrixError("two cells share an id; actor, operation and target names must not contain '-'")
    return matrix


@cache
def load() -> Matrix:
    """The packaged table (parsed once per process)."""
    text = resources.files("conformance").joinpath("access_matrix.toml").read_text(encoding="utf-8")
    return parse(tomllib.loads(text))
