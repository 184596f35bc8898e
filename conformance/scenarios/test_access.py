"""Prerequisites 2 and 3 of the guide, as one table: who may do what, where (``conformance/access_matrix.toml``).

Every cell is its own test, ``test_access[<actor>-<operation>-<target>]``, so the report groups rows by actor. A
refused cell must answer a status from the profile, show nothing of the resource (handle, alias, id, audio bytes)
and change nothing (the owner re-reads the space); an allowed cell must really take effect. The same answers then
decide the Bearer challenge of every 401 and, when the profile hides existence, that a forbidden space answers
exactly like an unknown one.

The edges come last: non-canonical paths (another case, percent-encoded ``/`` and ``..``, a trailing slash, 50- and
51-character handles) aimed at the outsider's audio must never serve it; each space's list shows and counts only
its own audios while every other space holds some.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from _pytest.mark.structures import ParameterSet

from conformance import access_matrix, rows
from conformance.access_matrix import PATH_REQUIREMENT, Cell, PathVariant, expected_statuses
from conformance.checks.access import (
    ALLOWANCES,
    REFUSALS,
    existence_hidden,
    list_isolated,
    nothing_changed,
    path_variant_refused,
)
from conformance.checks.http import has_bearer_challenge, json_body
from conformance.config import Space
from conformance.outcomes import unsupported
from conformance.profile import Profile
from conformance.pytest_fixtures import ClientFactory
from conformance.run_state import RunState
from conformance.scenarios._access_support import MatrixRunner
from conformance.scenarios._lifecycle import require_capability
from conformance.scenarios._support import accepted_media
from conformance.workflow import Upload, list_all

MATRIX = access_matrix.load()
CELLS = MATRIX.cells()
BY_ID = {cell.id: cell for cell in CELLS}
#: (forbidden-but-existing target, unknown target) pairs whose answers must look alike under hide_existence.
EXISTENCE_PAIRS = (("foreign_space", "unknown_space"), ("nonmember_org_space", "unknown_owner"))


@rows.source("access_cells")
def access_cells(config: pytest.Config) -> list[ParameterSet]:
    """One row per cell of the access matrix (``conformance/access_matrix.toml``), marked with its requirements."""
    return [pytest.param(cell, id=cell.id, marks=[
        pytest.mark.requirement(*cell.requirements),
        pytest.mark.facts(actor=cell.actor.name, operation=cell.operation.name, target=cell.target.name)])
        for cell in CELLS]


@pytest.fixture(scope="session")
def matrix_runner(run_state: RunState, client_for: ClientFactory, space_for: Callable[[str], Space],
                  uploaded: Callable[..., Upload]) -> Iterator[MatrixRunner]:
    """The run's matrix runner (cells cached across the tests of this module)."""
    runner = MatrixRunner(matrix=MATRIX, state=run_state, client_for=client_for, space_for=space_for,
                          uploaded=uploaded, media=accepted_media()[0])
    yield runner
    runner.close()


def _needs(cell: Cell, profile: Profile) -> None:
    for capability in cell.capabilities:
        require_capability(profile, capability)


@pytest.mark.rows("cell", "access_cells")
def test_access(cell: Cell, matrix_runner: MatrixRunner, profile: Profile) -> None:
    """The cell's outcome: allowed and effective, or refused with the profile's status, no leak, no change."""
    _needs(cell, profile)
    result = matrix_runner.run(cell)
    if cell.outcome == "allowed":
        ALLOWANCES[cell.requirement](result.response, result.what, result.effect)
        return
    REFUSALS[cell.requirement](result.response, expected_statuses(cell.outcome, profile), result.what,
                               result.values)
    if cell.operation.writes:
        nothing_changed(result.what, result.change)


UNAUTHENTICATED = [c for c in CELLS if c.outcome == "unauthenticated"]


@pytest.mark.requirement("AUTH-CHALLENGE")
@pytest.mark.parametrize("cell", UNAUTHENTICATED, ids=lambda c: c.id)
def test_access_challenge(cell: Cell, matrix_runner: MatrixRunner, profile: Profile) -> None:
    """Every 401 of the matrix tells the client how to authenticate: ``WWW-Authenticate: Bearer``."""
    _needs(cell, profile)
    result = matrix_runner.run(cell)
    if result.response.status_code != 401:
        unsupported(f"answered {result.response.status_code}, not 401, so no challenge is due")
    has_bearer_challenge(result.response, result.what)


def _existence_pairs() -> list[object]:
    pairs = []
    for forbidden, unknown in EXISTENCE_PAIRS:
        for op in MATRIX.operations:
            a, b = BY_ID.get(f"primary-{op}-{forbidden}"), BY_ID.get(f"primary-{op}-{unknown}")
            if a is not None and b is not None:
                pairs.append(pytest.param(a, b, id=f"primary-{op}-{forbidden}-vs-{unknown}"))
    return pairs


@pytest.mark.requirement("ACCESS-HIDE-EXISTENCE")
@pytest.mark.parametrize(("forbidden", "unknown"), _existence_pairs())
def test_access_hides_existence(forbidden: Cell, unknown: Cell, matrix_runner: MatrixRunner,
                                profile: Profile) -> None:
    """With ``hide_existence`` a forbidden space cannot be told from an unknown one (status, title, members)."""
    if not profile.hide_existence:
        unsupported("the profile declares hide_existence = false")
    _needs(forbidden, profile)
    existence_hidden(matrix_runner.run(forbidden).response, matrix_runner.run(unknown).response,
                     f"{forbidden.operation.name}: {forbidden.target.name} vs {unknown.target.name}")


#: (identity, role) of every space whose list is checked: each identity's own and member-organization space.
LISTED = [(identity, role) for identity in MATRIX.identities for role in ("own", "member_org")]


@pytest.mark.requirement(PATH_REQUIREMENT)
@pytest.mark.parametrize("variant", MATRIX.paths, ids=lambda v: f"primary-get_details-{v.name}")
def test_access_path_variant(variant: PathVariant, matrix_runner: MatrixRunner, profile: Profile) -> None:
    """A non-canonical path is refused (denied, 400 or 404 per profile) and shows nothing of any audio."""
    result = matrix_runner.run_path(variant)
    path_variant_refused(result.response, expected_statuses("malformed_path", profile), result.what, result.values)


STABLE_READS = 5


@pytest.mark.requirement("ACCESS-LIST-ISOLATION")
@pytest.mark.parametrize(("identity", "role"), LISTED, ids=[f"{i}-list-{r}_space" for i, r in LISTED])
def test_access_list_isolation(identity: str, role: str, matrix_runner: MatrixRunner,
                               client_for: ClientFactory) -> None:
    """The list of a space holds none of the other spaces' audios, and Item-Total counts exactly its own."""
    names = {name for roles in MATRIX.identities.values() for name in roles.values()}
    listed = matrix_runner.space_name(identity, role)
    foreign: dict[str, str] = {}
    for name in sorted(names - {listed}):
        victim = matrix_runner.victim(name)  # every other space holds an audio that must not show up
        foreign.update({victim.handle: victim.space.label, str(victim.audio.get("id")): victim.space.label})
    mine = matrix_runner.victim(listed)
    client = client_for(identity)
    stable: str | None = None  # Item-Total of a read during which the space did not change
    for _ in range(STABLE_READS):  # others (xdist workers, concurrent runs) may write to the space meanwhile
        first = client.list_audios(mine.space, page_size=50)
        items = list_all(client, mine.space)
        total = first.headers.get("item-total") if isinstance(json_body(first), list) else None
        if total is None or client.list_audios(mine.space, page_size=1).headers.get("item-total") == total:
            stable = total
            break
    # a space that never held still is checked for foreign audios only: its count cannot be compared
    list_isolated(items, stable, foreign, f"the list of {mine.space.label} as {identity}")
