"""The access table: it loads, every name in it resolves, cells are unique and statuses come from the profile."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import pytest

from conformance import access_matrix, requirements
from conformance.access_matrix import MatrixError, expected_statuses, parse
from conformance.config import SPACES, Space
from conformance.profile import CAPABILITIES, build_profile
from conformance.scenarios._access_support import render_path


def raw() -> dict:
    text = resources.files("conformance").joinpath("access_matrix.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_packaged_table_loads_and_has_the_issue_cells() -> None:
    ids = {cell.id for cell in access_matrix.load().cells()}
    for expected in ("outsider-get_file-foreign_space", "primary-patch_alias-nonmember_org_space",
                     "revoked_key-delete-own_space", "session-create-own_space", "primary-get_details-cross_space",
                     "anonymous-raw_upload-own_space", "outsider-list-member_org_space"):
        assert expected in ids


def test_ids_start_with_the_actor_and_are_unique() -> None:
    cells = access_matrix.load().cells()
    assert len({c.id for c in cells}) == len(cells)
    assert all(c.id.startswith(c.actor.name + "-") for c in cells)


def test_every_cell_has_catalogued_requirements_and_known_capabilities() -> None:
    for cell in access_matrix.load().cells():
        assert all(r in requirements.CATALOGUE for r in cell.requirements)
        assert all(c in CAPABILITIES for c in cell.capabilities)


def test_refused_writes_also_decide_no_side_effect() -> None:
    cells = {c.id: c for c in access_matrix.load().cells()}
    assert cells["outsider-delete-foreign_space"].requirements == ("ACCESS-FOREIGN-DENIED", "ACCESS-NO-SIDE-EFFECT")
    assert cells["outsider-get_file-foreign_space"].requirements == ("ACCESS-FOREIGN-DENIED",)
    assert cells["primary-delete-own_space"].requirements == ("ACCESS-OWN-ALLOWED",)


def test_cross_space_has_audio_operations_only() -> None:
    ops = {c.operation.name for c in access_matrix.load().cells() if c.target.name == "cross_space"}
    assert ops == {"get_details", "get_file", "patch_alias", "delete", "raw_upload"}


def test_identities_name_configured_spaces() -> None:
    for roles in access_matrix.load().identities.values():
        assert set(roles.values()) <= set(SPACES)


@pytest.mark.parametrize(("outcome", "denied", "expected"), [
    ("denied", [404], {404}),
    ("denied", [403], {403}),
    ("not_found", [403], {403, 404}),
    ("malformed_path", [403], {400, 403, 404}),
    ("unauthenticated", [403], {401}),
    ("allowed", [403], set()),
])
def test_statuses_come_from_the_profile(outcome: str, denied: list[int], expected: set[int]) -> None:
    """A target answering 403 where the reference answers 404 changes only its profile."""
    assert expected_statuses(outcome, build_profile({"denied_statuses": denied})) == expected


@pytest.mark.parametrize(("path", "change", "message"), [
    (("actors", "primary", "cells", "own_space"), "permitted", "not one of"),
    (("actors", "primary", "cells", "nowhere"), "allowed", "unknown target"),
    (("targets", "own_space", "requirement"), "NOPE-1", "unknown requirement"),
    (("operations", "delete", "capability"), "teleport", "not one of"),
    (("actors", "anonymous", "credential"), "magic", "not one of"),
    (("actors", "session", "identity"), "carol", "unknown identity"),
])
def test_inconsistent_tables_are_refused(path: tuple[str, ...], change: str, message: str) -> None:
    data = copy.deepcopy(raw())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = change
    with pytest.raises(MatrixError, match=message):
        parse(data)


def test_identity_must_name_every_role() -> None:
    data = copy.deepcopy(raw())
    del data["identities"]["outsider"]["member_org"]
    with pytest.raises(MatrixError, match="exactly the roles"):
        parse(data)


def test_path_templates_render() -> None:
    own, foreign = Space(name="primary", owner="alice", space="main"), Space(name="foreign", owner="bob", space="main")
    rendered = {v.name: render_path(v.template, own=own, foreign=foreign, handle="h-1", own_handle="abc")
                for v in access_matrix.load().paths}
    assert rendered["upper_case_owner_space"] == "spaces/BOB/MAIN/audios/h-1"
    assert rendered["encoded_slash"] == "spaces/alice/main%2F..%2F..%2Fbob%2Fmain/audios/h-1"
    assert rendered["trailing_slash"].endswith("/audios/h-1/")
    assert len(rendered["handle_50_chars"].rsplit("/", 1)[1]) == 50
    assert len(rendered["handle_51_chars"].rsplit("/", 1)[1]) == 51
    with pytest.raises(ValueError, match="placeholder"):
        render_path("spaces/{nope}", own=own, foreign=foreign, handle="h", own_handle="h")
