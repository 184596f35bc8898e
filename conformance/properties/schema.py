"""Load the OpenAPI definition the property runs generate from, aimed at the target and acting as the primary actor.

Which definition: ours (``conformance/spec/audio-api.openapi.yaml``), or the target's own when the configuration
names one (``openapi = "https://.../openapi.yaml"`` or a file path). Either way ``servers`` is pointed at the
configured base URL, so requests go to the target under test and nowhere else.

What is adjusted in memory, and why (nothing here weakens a check):
- ``owner``/``space`` path parameters are pinned to the primary space: a random owner is just a 404, so without
  the pin no generated request would ever reach the audio endpoints' validation.
- The Base64 media field gets our audio format (``strategies.AUDIO_FORMAT``): "valid" means real, decodable audio
  within the profile's limits, not Base64 of random bytes (those are refused as undecodable, so a run of them
  would never reach the stored WAV).
- The raw upload's ``application/octet-stream`` body is real audio as well.
- Aliases get our alias format (every Unicode plane, the length boundaries).
- ``identity`` on create is narrowed to null: a valid value is the handle of an *existing* identity, which the
  configuration does not provide (like a path parameter, a random handle is not valid data).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import schemathesis
import yaml
from schemathesis import GenerationMode

from conformance.checks import ConformanceFailure
from conformance.config import Settings, Space
from conformance.http_stack import TOTAL_TIMEOUT_FACTOR
from conformance.profile import Profile
from conformance.properties import strategies
from conformance.transport import GuardedTransport, RefusedToSend

DEFINITION = "spec/audio-api.openapi.yaml"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader on libyaml: the same documents, ~10× faster than the pure-Python one (every run reads
the definition)."""


class DefinitionError(Exception):
    """The configured OpenAPI definition cannot be read; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Budget:
    """How much a property run generates. ``quick`` is a smoke-sized run for every CI job; ``nightly`` digs."""

    max_examples: int
    stateful_runs: int
    stateful_steps: int
    media_examples: int
    clip_pool: int
    shrink: bool
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")


BUDGETS = {
    "quick": Budget(max_examples=3, stateful_runs=4, stateful_steps=8, media_examples=6, clip_pool=12,
                    shrink=False, phases=("examples", "fuzzing", "stateful")),
    "nightly": Budget(max_examples=150, stateful_runs=60, stateful_steps=20, media_examples=150, clip_pool=48,
                      shrink=True),
}


def read_definition(settings: Settings) -> dict[str, Any]:
    """The raw definition: the configured one (URL or path), else the packaged one."""
    source = settings.openapi
    try:
        if source is None:
            text = resources.files("conformance").joinpath(DEFINITION).read_text(encoding="utf-8")
        elif source.startswith(("http://", "https://")):
            # no credential is sent; the answer is still bounded in size and time like every other read
            transport = GuardedTransport(origin=source, total_s=settings.timeout * TOTAL_TIMEOUT_FACTOR)
            with httpx.Client(timeout=httpx.Timeout(settings.timeout), transport=transport) as client:
                response = client.get(source)
                response.raise_for_status()
                text = response.text
        else:
            text = Path(source).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader, libyaml's when it is there
    except (OSError, httpx.HTTPError, yaml.YAMLError, ConformanceFailure, RefusedToSend) as exc:
        raise DefinitionError(f"the OpenAPI definition {source or DEFINITION} cannot be read: {exc}") from None
    if not isinstance(data, dict) or "paths" not in data:
        raise DefinitionError(f"the OpenAPI definition {source or DEFINITION} has no `paths`")
    return data


def adjusted(definition: dict[str, Any], base_url: str, profile: Profile, *, ours: bool = True) -> dict[str, Any]:
    """A copy aimed at ``base_url``, without the operations of capabilities the profile does not declare, and with
    the media, alias and identity fields adjusted (see the module doc). Our own definition is also rendered for the
    profile (:func:`render_for_profile`); a target's own definition already states its choices."""
    data = copy.deepcopy(definition)
    if ours:
        render_for_profile(data, profile)
    data["servers"] = [{"url": base_url}]
    removed: set[str] = set()
    for item in data.get("paths", {}).values():
        for method in [m for m, op in item.items() if isinstance(op, dict) and not _declared(op, profile)]:
            removed.add(str(item[method].get("operationId")))
            del item[method]
    _drop_links_to(data, removed)
    schemas = data.get("components", {}).get("schemas", {})
    alias = schemas.get("Alias")
    if isinstance(alias, dict):
        alias["format"] = strategies.ALIAS_FORMAT
    create = schemas.get("AudioCreate", {}).get("properties", {})
    if isinstance(create.get("file"), dict):
        _retag_byte(create["file"])
    if "identity" in create:
        create["identity"] = {"type": "null", "description": "No identity is configured: only null is valid data."}
    return data


SORT_FIELDS = ("handle", "createdAt", "uploadedAt")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def render_for_profile(data: dict[str, Any], profile: Profile) -> None:
    """Make our definition say what this target chose where the docs are silent, so that no schemathesis finding
    can fire on a choice the profile allows: a schema-valid request a conforming target may refuse is no longer
    schema-valid, and every status the profile names is documented where it can occur.

    - ``sort``: exactly the values of the profile's syntax (``list_sort_ascending``/``_descending``; none
      descending when the target sorts ascending only);
    - ``file`` on create: the file-less form the target takes (``fileless_create``): omitted, null, either, or
      none at all (then ``file`` is a required string);
    - a client-sent ``handle`` on create or update is schema-invalid where the profile says it is rejected;
    - the statuses of the profile (invalid request, rejected media, denied, deleted, conflict, a file not yet
      there, a page past the end) are added to the operations that can answer them.
    """
    for path, item in data.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("name") == "sort" and parameter.get("in") == "query":
                    parameter["schema"] = _sort_schema(profile)
                    parameter.pop("example", None)
            _document_statuses(operation, _profile_statuses(path, method, profile))
            if method == "post" and path.endswith(("/audios", "/file")):
                _drop_media_examples(operation)
    schemas = data.get("components", {}).get("schemas", {})
    create = schemas.get("AudioCreate")
    if isinstance(create, dict):
        _fileless_form(create, profile)
    if profile.client_handle == "reject":
        for name in ("AudioCreate", "AudioUpdate"):
            if isinstance(schemas.get(name), dict):
                schemas[name].setdefault("properties", {})["handle"] = False


def _drop_media_examples(operation: dict[str, Any]) -> None:
    """The packaged example media (8 kHz) suits the reference's limits, not every profile's: the examples phase
    would send it to a target whose minimum rate is higher. Generated media already fits the profile."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        if isinstance(media, dict):
            media.pop("example", None)
            media.pop("examples", None)


def _sort_schema(profile: Profile) -> dict[str, Any]:
    values = [profile.list_sort_ascending.replace("{field}", f) for f in SORT_FIELDS]
    if profile.has_descending_sort:
        values += [profile.list_sort_descending.replace("{field}", f) for f in SORT_FIELDS]
    return {"type": "string", "enum": values}


def _fileless_form(create: dict[str, Any], profile: Profile) -> None:
    """``file`` in the target's form: a string, or also null; and required unless an omitted key is a form."""
    properties = create.setdefault("properties", {})
    media = properties.get("file")
    if not isinstance(media, dict):
        return
    branches = media.get("anyOf") or media.get("oneOf") or [media]
    strings = [b for b in branches if isinstance(b, dict) and b.get("type") == "string"]
    string = copy.deepcopy(strings[0]) if strings else {"type": "string", "format": "byte"}
    nullable = profile.fileless_create in ("either", "null")
    properties["file"] = {"description": media.get("description", ""),
                          **({"anyOf": [string, {"type": "null"}]} if nullable else string)}
    required = [r for r in create.get("required", []) if r != "file"]
    if profile.fileless_create in ("null", "unsupported"):
        required.append("file")
    if required:
        create["required"] = required
    else:
        create.pop("required", None)


def _profile_statuses(path: str, method: str, profile: Profile) -> set[int]:
    """The statuses a conforming target with ``profile`` may answer on this operation besides the packaged ones."""
    statuses = {*profile.invalid_request_statuses, *profile.unauthenticated_statuses}
    if path.startswith("/spaces/"):
        statuses |= set(profile.denied_statuses)
    if "{audio}" in path:
        statuses |= set(profile.deleted_statuses)
    if method == "post" and path.endswith("/audios"):
        statuses |= set(profile.reject_statuses.values())
    if method == "get" and path.endswith("/audios") and profile.list_past_end_status != 200:
        statuses.add(profile.list_past_end_status)
    if method == "get" and path.endswith("/file"):
        statuses |= set(profile.file_before_upload_statuses)
    if method == "post" and (path.endswith("/file") or path.endswith("/user/keys")):
        statuses |= set(profile.conflict_statuses)
        if path.endswith("/file"):
            statuses |= set(profile.reject_statuses.values())
    return statuses


def _document_statuses(operation: dict[str, Any], statuses: set[int]) -> None:
    """Add each status the operation does not document yet, as a problem answer."""
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        if str(status) not in responses and status not in responses:
            responses[str(status)] = {
                "description": "A status the target's profile names for this case.",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                            "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }


def _drop_links_to(data: dict[str, Any], operation_ids: set[str]) -> None:
    """Remove the response links that lead to operations the target does not have (the stateful run would refuse
    a definition whose links point nowhere)."""
    for item in data.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                links = response.get("links") if isinstance(response, dict) else None
                if isinstance(links, dict):
                    for name in [n for n, link in links.items()
                                 if isinstance(link, dict) and link.get("operationId") in operation_ids]:
                        del links[name]


def _declared(operation: dict[str, Any], profile: Profile) -> bool:
    """Whether the target has this operation: no ``x-capability``, or one its profile declares."""
    capability = operation.get("x-capability")
    try:
        return capability is None or profile.has(capability)
    except KeyError:  # a capability this suite does not know: the target's own business, leave it in
        return True


def operation_labels(definition: dict[str, Any]) -> list[str]:
    """``METHOD /path`` of every operation, in definition order (the stateless scenario's parameters)."""
    methods = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    return [f"{method.upper()} {path}" for path, item in definition.get("paths", {}).items()
            for method in item if method in methods and isinstance(item[method], dict)]


def _retag_byte(node: dict[str, Any]) -> None:
    """``format: byte`` (directly or in an anyOf/oneOf branch) becomes the audio format."""
    if node.get("format") == "byte":
        node["format"] = strategies.AUDIO_FORMAT
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key, []):
            if isinstance(branch, dict):
                _retag_byte(branch)


def register_formats(profile: Profile, budget: Budget) -> None:
    """Teach schemathesis our formats (process-wide; a run has one profile)."""
    schemathesis.openapi.format(strategies.AUDIO_FORMAT, strategies.audio_base64(profile, budget.clip_pool))
    schemathesis.openapi.format(strategies.ALIAS_FORMAT, strategies.valid_aliases())
    # The raw upload's body: real audio bytes too (schemathesis would send arbitrary binary samples).
    schemathesis.openapi.media_type("application/octet-stream", strategies.audio_bytes(profile, budget.clip_pool))


def _pin_space(schema: schemathesis.BaseSchema, space: Space) -> None:
    """``owner``/``space`` are the primary space in every case: the configured ``parameters`` cover the examples,
    coverage and fuzzing phases, this hook also the stateful phase (whose first create is generated freely)."""
    pinned = {"owner": space.owner, "space": space.space}

    def map_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> Any:
        if not isinstance(path_parameters, dict):
            return path_parameters
        return {**path_parameters, **{k: v for k, v in pinned.items() if k in path_parameters}}

    schema.hook(map_path_parameters)


def load(settings: Settings, *, token: str, space: Space, seed: int) -> schemathesis.BaseSchema:
    """The schemathesis schema for this run: target, auth of the primary actor, pinned space, budget, seed."""
    assert settings.base_url is not None
    budget = BUDGETS[settings.budget]
    register_formats(settings.profile, budget)
    schema = schemathesis.openapi.from_dict(adjusted(read_definition(settings), settings.base_url, settings.profile,
                                                     ours=settings.openapi is None))
    schema.config.update(
        base_url=settings.base_url,
        headers={"Authorization": f"Bearer {token}"},
        parameters={"path.owner": space.owner, "path.space": space.space},
        request_timeout=settings.timeout,
    )
    _pin_space(schema, space)
    schema.config.seed = seed
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=budget.max_examples,
        no_shrink=not budget.shrink,  # quick reports the first failing case; nightly shrinks it to a minimal one
        database="none",  # no replay of earlier runs: seed S alone decides what is generated
    )
    schema.config.phases.update(phases=list(budget.phases))
    _accept_profile_refusals(schema, settings.profile)
    return schema


def _accept_profile_refusals(schema: schemathesis.BaseSchema, profile: Profile) -> None:
    """Schema-valid data may still be refused for what the schema cannot say: the audio was deleted (the profile's
    ``deleted_statuses``, e.g. 410 in a stateful scenario), it has no file yet, the resource collides, the page is
    past the end. Schemathesis' ``positive_data_acceptance`` (ST202) knows 404 and 409; it learns the profile's."""
    check = schema.config.checks.positive_data_acceptance
    extra = [*profile.deleted_statuses, *profile.file_before_upload_statuses, *profile.conflict_statuses,
             *profile.denied_statuses]
    if profile.list_past_end_status != 200:
        extra.append(profile.list_past_end_status)
    check.expected_statuses = list(dict.fromkeys([*check.expected_statuses, *map(str, extra)]))
