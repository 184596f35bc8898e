"""Our definition rendered for the target's profile: no schemathesis finding may fire on a choice the profile
allows (issue: portable oracle, finding 2: ``sort=-createdAt`` and a create without ``file`` were schema-valid for a
target that legitimately refuses them)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.config import load_settings
from conformance.profile import build_profile
from conformance.properties import schema as property_schema

TARGET = "http://127.0.0.1:9999/v1"
LIST = "/spaces/{owner}/{space}/audios"


def rendered(**profile: Any) -> dict[str, Any]:
    return property_schema.adjusted(property_schema.read_definition(load_settings(env={})), TARGET,
                                    build_profile(profile))


def sort_values(data: dict[str, Any]) -> list[str]:
    parameter = next(p for p in data["paths"][LIST]["get"]["parameters"] if p.get("name") == "sort")
    return parameter["schema"]["enum"]


def test_sort_values_are_the_profiles_syntax() -> None:
    assert set(sort_values(rendered())) == {"handle", "createdAt", "uploadedAt", "-handle", "-createdAt",
                                            "-uploadedAt"}
    colon = sort_values(rendered(list_sort_ascending="{field}:asc", list_sort_descending="{field}:desc"))
    assert set(colon) == {"handle:asc", "createdAt:asc", "uploadedAt:asc", "handle:desc", "createdAt:desc",
                          "uploadedAt:desc"}


def test_an_ascending_only_target_is_never_sent_a_descending_sort() -> None:
    assert sort_values(rendered(list_sort_descending="")) == ["handle", "createdAt", "uploadedAt"]


def _file(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    create = data["components"]["schemas"]["AudioCreate"]
    return create["properties"]["file"], create.get("required", [])


@pytest.mark.parametrize(("form", "nullable", "required"), [
    ("either", True, False), ("omit", False, False), ("null", True, True), ("unsupported", False, True)])
def test_the_file_less_create_form_is_the_profiles(form: str, nullable: bool, required: bool) -> None:
    capabilities = {"raw_upload": form != "unsupported"}
    media, required_keys = _file(rendered(fileless_create=form, capabilities=capabilities))
    branches = media.get("anyOf", [media])
    assert any(b.get("type") == "null" for b in branches) is nullable
    assert any(b.get("type") == "string" for b in branches)
    assert ("file" in required_keys) is required


def test_a_rejected_client_handle_is_not_valid_data() -> None:
    schemas = rendered(client_handle="reject")["components"]["schemas"]
    assert schemas["AudioCreate"]["properties"]["handle"] is False
    assert schemas["AudioUpdate"]["properties"]["handle"] is False
    assert "handle" not in rendered()["components"]["schemas"]["AudioCreate"]["properties"]


def test_every_status_the_profile_names_is_documented_where_it_can_occur() -> None:
    data = rendered(invalid_request_statuses=[422], deleted_statuses=[410], file_before_upload_statuses=[409],
                    list_past_end_status=404, reject_statuses={"undecodable": 400, "malformed": 422})
    paths = data["paths"]
    assert "422" in paths[LIST]["get"]["responses"]
    assert "410" in paths[LIST + "/{audio}"]["get"]["responses"]
    assert "409" in paths[LIST + "/{audio}/file"]["get"]["responses"]
    assert "404" in paths[LIST]["get"]["responses"]
    assert {"400", "422"} <= set(paths[LIST]["post"]["responses"])
    assert "410" not in paths["/user"]["get"]["responses"]


def test_a_targets_own_definition_is_not_rewritten() -> None:
    own = property_schema.read_definition(load_settings(env={}))
    data = property_schema.adjusted(own, TARGET, build_profile({"list_sort_descending": ""}), ours=False)
    assert "-createdAt" in sort_values(data)
