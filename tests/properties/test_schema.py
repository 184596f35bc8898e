"""Loading the definition for property runs: aimed at the target, capabilities honoured, our formats in place,
the target's own definition by configuration, and failure messages that reproduce without leaking the token."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.config import ConfigError, Space, load_settings
from conformance.profile import build_profile
from conformance.properties import schema as property_schema
from conformance.properties import strategies
from conformance.properties.checks import curl

TARGET = "http://127.0.0.1:9999/v1"
SPACE = Space(name="primary", owner="alice", space="main")


def packaged() -> dict:
    return property_schema.read_definition(load_settings(env={}))


def test_adjusted_points_at_the_target_and_retags_media_alias_and_identity() -> None:
    data = property_schema.adjusted(packaged(), TARGET, build_profile())
    assert data["servers"] == [{"url": TARGET}]
    create = data["components"]["schemas"]["AudioCreate"]["properties"]
    assert strategies.AUDIO_FORMAT in str(create["file"]) and "'byte'" not in str(create["file"])
    assert create["identity"]["type"] == "null"
    assert data["components"]["schemas"]["Alias"]["format"] == strategies.ALIAS_FORMAT
    assert packaged()["components"]["schemas"]["AudioCreate"]["properties"]["file"] != create["file"], \
        "the definition read from disk must not be changed in place"


def test_operations_of_undeclared_capabilities_are_left_out() -> None:
    full = property_schema.operation_labels(property_schema.adjusted(packaged(), TARGET, build_profile()))
    without = property_schema.operation_labels(property_schema.adjusted(
        packaged(), TARGET, build_profile({"capabilities": {"delete": False, "raw_upload": False}})))
    assert "DELETE /spaces/{owner}/{space}/audios/{audio}" in full
    assert set(full) - set(without) == {"DELETE /spaces/{owner}/{space}/audios/{audio}",
                                        "POST /spaces/{owner}/{space}/audios/{audio}/file"}


def test_the_targets_own_definition_is_read_from_the_configured_path(tmp_path: Path) -> None:
    own = packaged()
    own["info"]["title"] = "a target's own definition"
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(own), encoding="utf-8")
    settings = load_settings(env={"CONFORMANCE_OPENAPI": str(path)})
    assert settings.openapi == str(path)
    assert property_schema.read_definition(settings)["info"]["title"] == "a target's own definition"


@pytest.mark.parametrize("value", ["", 3])
def test_a_bad_openapi_value_is_one_config_error(tmp_path: Path, value: object) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f"openapi = {value!r}\n".replace("'", '"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="openapi"):
        load_settings(config, env={})


def test_an_unreadable_definition_is_a_definition_error(tmp_path: Path) -> None:
    settings = load_settings(env={"CONFORMANCE_OPENAPI": str(tmp_path / "missing.yaml")})
    with pytest.raises(property_schema.DefinitionError, match="missing.yaml"):
        property_schema.read_definition(settings)


def test_loaded_schema_pins_the_space_and_sends_the_token() -> None:
    settings = load_settings(env={"CONFORMANCE_BASE_URL": TARGET})
    schema = property_schema.load(settings, token="s3cr3t-token-value", space=SPACE, seed=5)
    assert schema.config.headers == {"Authorization": "Bearer s3cr3t-token-value"}
    assert schema.config.seed == 5
    operation = schema["/spaces/{owner}/{space}/audios"]["POST"]
    case = operation.Case(path_parameters={"owner": "alice", "space": "main"}, body={"file": "AAAA"},
                          media_type="application/json")
    command = curl(case, None)
    assert "s3cr3t" not in command and '"Authorization: Bearer $TOKEN"' in command
    assert command.startswith(f"curl -sS -X POST {TARGET}/spaces/alice/main/audios ")
    assert command.endswith(""" --data-binary '{"file": "AAAA"}'""")
