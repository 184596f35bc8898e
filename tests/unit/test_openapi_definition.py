"""Static checks of the OpenAPI definition (conformance/spec/audio-api.openapi.yaml)."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

SPEC_PATH = Path(__file__).resolve().parents[2] / "conformance" / "spec" / "audio-api.openapi.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

OPERATION_IDS = {
    "Signin",
    "GetUser",
    "CreateKey",
    "GetKey",
    "DeleteKey",
    "ListAudios",
    "CreateAudio",
    "GetAudio",
    "UpdateAudio",
    "DeleteAudio",
    "GetAudioFile",
    "UploadAudioFile",
}
SPACE_SCOPED = {
    "ListAudios",
    "CreateAudio",
    "GetAudio",
    "UpdateAudio",
    "DeleteAudio",
    "GetAudioFile",
    "UploadAudioFile",
}
PROBLEM_TYPES = ("application/problem+json", "application/json")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s until a non-reference node is reached."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"reference cycle at {ref}"
        seen.add(ref)
        node = pointer(spec, ref)
    return node


def pointer(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are expected, got {ref}"
    node: Any = spec
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            assert isinstance(node, dict) and part in node, f"unresolvable reference {ref}"
            node = node[part]
    return node


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (path, method, operation)."""
    result = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                assert op["operationId"] not in result, f"duplicate operationId {op['operationId']}"
                result[op["operationId"]] = (path, method, op)
    return result


def parameters(spec: dict[str, Any], path: str, op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    params = [resolve(spec, p) for p in spec["paths"][path].get("parameters", []) + op.get("parameters", [])]
    return {p["name"]: p for p in params}


def walk(node: Any, where: str = "#"):
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def schema_validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator for `schema` with the document's components available to its `$ref`s."""
    root = {**schema, "components": spec["components"]}
    format_checker = jsonschema.FormatChecker()

    @format_checker.checks("byte", raises=(binascii.Error, ValueError))
    def is_byte(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return bool(base64.b64decode(value, validate=True)) or value == ""

    return jsonschema.Draft202012Validator(root, format_checker=format_checker)


def test_definition_is_valid_openapi_31(spec):
    assert spec["openapi"] == "3.1.0"
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_info_and_servers(spec):
    assert spec["info"]["version"] == "2024.12.r2-conformance"
    assert "2024.12.r2-beta" in spec["info"]["description"]
    assert "docs/decisions.md" in spec["info"]["description"]
    assert spec["servers"] == [{"url": "http://127.0.0.1:8080/v1", "description": spec["servers"][0]["description"]}]


def test_every_operation_id_exists(spec):
    assert set(operations(spec)) == OPERATION_IDS


def test_security(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {
        **spec["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    assert spec["security"] == [{"bearer": []}]
    for op_id, (_, _, op) in operations(spec).items():
        if op_id == "Signin":
            assert op["security"] == []
        else:
            assert "security" not in op, f"{op_id} must use the global bearer security"


def test_space_scoped_operations_document_403_and_404(spec):
    ops = operations(spec)
    for op_id in SPACE_SCOPED:
        path, _, op = ops[op_id]
        assert path.startswith("/spaces/{owner}/{space}/audios"), op_id
        assert {"403", "404"} <= set(op["responses"]), op_id


def test_authenticated_operations_document_401_with_challenge(spec):
    for op_id, (_, _, op) in operations(spec).items():
        response = resolve(spec, op["responses"]["401"])
        if op_id == "Signin":
            continue
        header = resolve(spec, response["headers"]["WWW-Authenticate"])
        assert header["required"] is True, op_id
        pattern = re.compile(header["schema"]["pattern"])
        assert pattern.search('Bearer realm="voice-api", error="invalid_token"')
        assert pattern.search("bearer")
        assert not pattern.search('Basic realm="x"')


def test_every_operation_documents_429_with_optional_retry_after(spec):
    for op_id, (_, _, op) in operations(spec).items():
        response = resolve(spec, op["responses"]["429"])
        header = resolve(spec, response["headers"]["Retry-After"])
        assert header.get("required", False) is False, op_id


@pytest.mark.parametrize(
    ("op_id", "statuses"),
    [
        ("Signin", {"200", "400", "401"}),
        ("GetUser", {"200", "401"}),
        ("CreateKey", {"201", "400", "401", "409"}),
        ("GetKey", {"200", "400", "401", "404"}),
        ("DeleteKey", {"204", "400", "401", "404"}),
        ("ListAudios", {"200", "400"}),
        ("CreateAudio", {"201", "400", "413", "415", "422"}),
        ("GetAudio", {"200", "400"}),
        ("UpdateAudio", {"200", "400"}),
        ("DeleteAudio", {"204", "400"}),
        ("GetAudioFile", {"200", "400", "409"}),
        ("UploadAudioFile", {"200", "400", "409", "413", "415", "422"}),
    ],
)
def test_documented_statuses(spec, op_id, statuses):
    _, _, op = operations(spec)[op_id]
    assert statuses <= set(op["responses"])


def test_error_responses_are_problems(spec):
    problem_ref = "#/components/schemas/Problem"
    for op_id, (_, _, op) in operations(spec).items():
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            content = resolve(spec, response)["content"]
            for media_type in PROBLEM_TYPES:
                assert content[media_type]["schema"] == {"$ref": problem_ref}, f"{op_id} {status} {media_type}"
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])
    assert problem.get("additionalProperties", True) is not False


def test_create_file_is_base64_byte_not_content_encoding(spec):
    file_schema = spec["components"]["schemas"]["AudioCreate"]["properties"]["file"]
    formats = [node.get("format") for _, node in walk(file_schema) if isinstance(node, dict)]
    assert "byte" in formats
    assert not any(isinstance(n, dict) and "contentEncoding" in n for _, n in walk(file_schema))
    validator = schema_validator(spec, spec["components"]["schemas"]["AudioCreate"])
    assert validator.is_valid({"file": "UklGRg==", "alias": "x", "identity": None})
    assert validator.is_valid({"file": None, "alias": None})
    assert validator.is_valid({})
    assert not validator.is_valid({"file": 5})
    assert not validator.is_valid({"alias": ""})
    assert not validator.is_valid({"alias": "a" * 101})


def test_path_parameters_have_lengths_but_no_pattern(spec):
    for op_id, (path, _, op) in operations(spec).items():
        params = parameters(spec, path, op)
        for name in re.findall(r"{([^}]+)}", path):
            param = params[name]
            assert param["in"] == "path" and param["required"] is True, (op_id, name)
            schema = param["schema"]
            assert schema["type"] == "string" and schema["minLength"] == 1 and schema["maxLength"] == 50
            assert "pattern" not in schema, (op_id, name)


def test_list_parameters_and_headers(spec):
    path, _, op = operations(spec)["ListAudios"]
    params = parameters(spec, path, op)
    assert params["page"]["schema"]["minimum"] == 1
    assert (params["page-size"]["schema"]["minimum"], params["page-size"]["schema"]["maximum"]) == (1, 50)
    assert set(params["sort"]["schema"]["enum"]) == {
        prefix + field for field in ("handle", "createdAt", "uploadedAt") for prefix in ("", "-")
    }
    assert {"search", "after", "before"} <= set(params)
    response = op["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["type"] == "array"
    for name in ("Page-Total", "Page-Size", "Page-Current", "Item-Total"):
        header = resolve(spec, response["headers"][name])
        assert header["schema"]["type"] == "integer" and header["required"] is True


def test_audio_schema(spec):
    audio = spec["components"]["schemas"]["Audio"]
    assert set(audio["required"]) == set(audio["properties"]) == {
        "id", "handle", "alias", "state", "duration", "sampleRate", "identity",
        "voiceprints", "verifications", "createdAt", "uploadedAt",
    }  # fmt: skip
    assert audio["properties"]["state"]["enum"] == ["avaitingFile", "available", "notAvailable"]
    validator = schema_validator(spec, audio)
    example = spec["components"]["examples"]["AvailableAudio"]["value"]
    validator.validate(example)
    waiting = {**example, "state": "avaitingFile", "duration": "PT0S", "sampleRate": 0, "uploadedAt": None}
    validator.validate(waiting)
    assert not validator.is_valid({**example, "state": "awaitingFile"})
    assert not validator.is_valid({k: v for k, v in example.items() if k != "uploadedAt"})


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("PT0S", True),
        ("PT3.500S", True),
        ("PT1M2.5S", True),
        ("PT1H", True),
        ("P1D", True),
        ("P1DT2H", True),
        ("P", False),
        ("PT", False),
        ("P1DT", False),
        ("3.5S", False),
        ("PT3.5", False),
        ("00:00:03.500", False),
    ],
)
def test_duration_pattern(spec, value, valid):
    pattern = re.compile(spec["components"]["schemas"]["Duration"]["pattern"])
    assert bool(pattern.search(value)) is valid


def test_capability_extensions(spec):
    ops = operations(spec)
    assert ops["DeleteAudio"][2]["x-capability"] == "delete"
    assert ops["UploadAudioFile"][2]["x-capability"] == "raw_upload"
    assert "application/octet-stream" in ops["UploadAudioFile"][2]["requestBody"]["content"]


def test_audio_file_is_wav(spec):
    content = operations(spec)["GetAudioFile"][2]["responses"]["200"]["content"]
    assert next(iter(content)) == "audio/wav"
    assert set(content) <= {"audio/wav", "audio/x-wav", "audio/wave"}


def test_links_reference_existing_operations_and_parameters(spec):
    ops = operations(spec)
    create_links = ops["CreateAudio"][2]["responses"]["201"]["links"]
    assert {link["operationId"] for link in create_links.values()} == {
        "GetAudio", "GetAudioFile", "UpdateAudio", "DeleteAudio", "UploadAudioFile",
    }  # fmt: skip
    for link in create_links.values():
        assert link["parameters"] == {
            "owner": "$request.path.owner",
            "space": "$request.path.space",
            "audio": "$response.body#/handle",
        }
    get_links = ops["GetAudio"][2]["responses"]["200"]["links"]
    assert {link["operationId"] for link in get_links.values()} == {"GetAudioFile"}

    all_links = [
        (op_id, link)
        for op_id, (_, _, op) in ops.items()
        for response in op["responses"].values()
        for link in resolve(spec, response).get("links", {}).values()
    ]
    assert all_links
    for source, link in all_links:
        assert link["operationId"] in ops, f"{source} links to unknown {link['operationId']}"
        target_path, _, target_op = ops[link["operationId"]]
        target_params = parameters(spec, target_path, target_op)
        for name, expression in link["parameters"].items():
            assert name in target_params, f"{source} -> {link['operationId']}: unknown parameter {name}"
            assert re.fullmatch(r"\$(request\.path\.[\w-]+|response\.body#/[\w/-]+)", expression), expression
            if expression.startswith("$request.path."):
                source_path = ops[source][0]
                assert "{" + expression.removeprefix("$request.path.") + "}" in source_path


def test_every_ref_resolves(spec):
    refs = [(where, node["$ref"]) for where, node in walk(spec) if isinstance(node, dict) and "$ref" in node]
    assert refs
    for _where, ref in refs:
        pointer(spec, ref)


def test_examples_are_valid(spec):
    """Media-type and parameter examples must validate: schemathesis' examples phase sends them."""
    checked = 0
    for op_id, (path, _, op) in operations(spec).items():
        for param in parameters(spec, path, op).values():
            if "example" in param:
                schema_validator(spec, param["schema"]).validate(param["example"])
                checked += 1
        bodies = [op.get("requestBody", {})] + [resolve(spec, r) for r in op["responses"].values()]
        for body in bodies:
            for media_type, media in body.get("content", {}).items():
                values = [media["example"]] if "example" in media else []
                values += [resolve(spec, e)["value"] for e in media.get("examples", {}).values()]
                for value in values:
                    try:
                        schema_validator(spec, media["schema"]).validate(value)
                    except jsonschema.ValidationError as exc:  # pragma: no cover - message only
                        pytest.fail(f"{op_id} {media_type} example: {exc.message}")
                    checked += 1
    assert checked > 10


def test_create_example_is_a_decodable_wav(spec):
    example = operations(spec)["CreateAudio"][2]["requestBody"]["content"]["application/json"]["example"]
    data = base64.b64decode(example["file"], validate=True)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    data_offset = data.index(b"data")
    assert int.from_bytes(data[data_offset + 4 : data_offset + 8], "little") > 0, "a header-only WAV has no samples"
