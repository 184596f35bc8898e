"""``serve --profile FILE``: the reference server plays any conforming profile, observed over real HTTP.

Each test starts (once per session, in parallel) a real server process playing a shipped variant
(``conformance/profiles/variants/*.toml``) or a small profile of its own, and checks one behaviour the profile
key drives: access statuses, asynchronous processing, the file-less create form, client handles, capabilities
and the ``[serve]`` knobs; plus the operator's mistakes (exit 2, one line) and the ``[profile]`` table of the
written configuration. Lists and statuses are in ``test_profile_play_statuses.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from conformance.config import load_settings

REPO = Path(__file__).resolve().parents[2]
VARIANTS = REPO / "conformance" / "profiles" / "variants"
SHIPPED = ("async", "forbidden-403", "async-403", "null-file", "ascending-only", "colon-sort", "minimal",
           "other-statuses", "gone-after-delete", "hidden-403")
SPACE = "spaces/alice/main/audios"
IGNORED = """
unauthenticated_statuses = [401]
strict_reject_statuses = false
processing_timeout_s = 5.0
poll_interval_s = 0.1
duration_tolerance_s = 0.5
same_sound_min_correlation = 0.5
same_sound_min_correlation_lossy = 0.5
same_sound_min_envelope_correlation = 0.5
clock_skew_s = 1.0
strict_should = true
"""
#: Asynchronous with a delay long enough to observe the "still processing" state without racing it.
SLOW_DELAY_S = 2.5
SLOW_ASYNC = f"""processing = "async"
file_before_upload_statuses = [409]
[serve]
processing_delay_s = {SLOW_DELAY_S}
"""
OWN = {"ignored-keys": IGNORED, "slow-async": SLOW_ASYNC}


@pytest.fixture(scope="module", autouse=True)
def _servers(profile_server):
    """Start every server of this module at once (in parallel) rather than one by one inside the tests."""
    profile_server.prestart({**dict.fromkeys(SHIPPED), **OWN})


def _client(ref, actor: str | None = "primary") -> httpx.Client:
    return ref.client(actor)


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _alias() -> str:
    return f"play-{uuid.uuid4().hex[:12]}"


def _stored(client: httpx.Client, alias: str) -> list[dict]:
    response = client.get(SPACE, params={"search": alias})
    assert response.status_code == 200, response.text
    return response.json()


# --- the profile file: loading, mistakes, the written configuration ----------------------------------------
def _serve_with(tmp_path: Path, text: str | None) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile.toml"
    if text is not None:
        profile.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "conformance.reference", "serve", "--db", str(tmp_path / "x.db"),
               "--profile", str(profile)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("text", "named"), [
    ("hide_existance = true\n", "did you mean 'hide_existence'"),
    ('denied_statuses = "404"\n', "denied_statuses"),
    ("denied_statuses = [200]\n", "denied_statuses"),
    ('processing = "later"\n', "processing"),
    ("max_duration_s = true\n", "max_duration_s"),
    ("session_ttl_s = 1e20\n", "session_ttl_s"),
    ("reject_statuses = 400\n", "reject_statuses"),
    ("[reject_statuses]\ncorrupt = 415\n", "reject_statuses.corrupt"),
    ('[capabilities]\ndelete = "no"\n', "capabilities.delete"),
    ('list_sort_ascending = "handle"\n', "list_sort_ascending"),
    ("[serve]\nprocessing_delay_s = -1\n", "serve.processing_delay_s"),
    ("[serve]\ncolour = 1\n", "serve.colour"),
    ('[serve]\nchallenge = "loud"\n', "serve.challenge"),
    ("hide_existence = false\ndenied_statuses = [404]\n", "hide_existence"),
    ("this is = = not toml\n", "not TOML"),
    (None, "no such file"),
], ids=["unknown-key", "status-list-type", "status-not-4xx", "bad-choice", "bool-for-number", "ttl-beyond-dates",
        "table-type", "unknown-sub-key", "capability-type", "template-without-field", "negative-delay",
        "unknown-serve-knob", "bad-challenge", "unplayable-access", "not-toml", "missing-file"])
def test_a_bad_profile_is_one_line_and_exit_2(tmp_path, text, named):
    result = _serve_with(tmp_path, text)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "x.db").exists()  # refused before anything was created


def test_every_shipped_variant_loads_and_the_server_plays_it(profile_server):
    assert {path.stem for path in VARIANTS.glob("*.toml")} >= set(SHIPPED)
    for name in SHIPPED:
        text = (VARIANTS / f"{name}.toml").read_text(encoding="utf-8")
        assert text.startswith("# Variant:"), name  # each says which axes it flips and why
        ref = profile_server(name)
        assert httpx.get(ref.base_url + "/health").status_code == 200
        assert _client(ref).get("user").status_code == 200


def test_the_written_configuration_carries_the_profile_table(profile_server):
    for name in SHIPPED:
        ref = profile_server(name)
        assert ref.config["profile"] == tomllib.loads((VARIANTS / f"{name}.toml").read_text()), name
        settings = load_settings(ref.workdir / "target.toml", env={})  # what `conformance run --config` reads
        assert settings.base_url == ref.base_url
    written = (profile_server("async").workdir / "target.toml").read_text()
    assert "\n[profile]\n" in written and "\n[profile.serve]\n" in written
    assert "\n[profile.reject_statuses]\n" in (profile_server("other-statuses").workdir / "target.toml").read_text()
    assert "\n[profile.capabilities]\n" in (profile_server("minimal").workdir / "target.toml").read_text()
    assert load_settings(profile_server("async").workdir / "target.toml", env={}).profile.processing == "async"
    minimal = load_settings(profile_server("minimal").workdir / "target.toml", env={}).profile
    assert minimal.capabilities == {"delete": False, "raw_upload": False, "api_keys": False}


def test_suite_only_keys_are_accepted_and_ignored(profile_server, helpers):
    ref = profile_server("ignored-keys")
    assert ref.config["profile"] == tomllib.loads(IGNORED)
    alice = _client(ref)
    assert alice.get(SPACE).status_code == 200 and _client(ref, None).get(SPACE).status_code == 401
    helpers.assert_problem(alice.post(SPACE, json={"file": "not base64!"}), 400)  # the reference, unchanged


def test_denied_status_flag_still_wins_over_the_profile(tmp_path, spawn):
    profile = VARIANTS / "forbidden-403.toml"
    ref = spawn(tmp_path, extra=("--profile", str(profile), "--denied-status", "403"))
    alice = _client(ref)
    assert {alice.get(f"spaces/{space}/audios").status_code for space in ("bob/main", "nobody/main")} == {403}
    assert ref.config["profile"]["denied_statuses"] == [403] and ref.config["profile"]["hide_existence"] is True


# --- 1. access --------------------------------------------------------------------------------------------
def test_hidden_existence_answers_one_status_for_forbidden_and_unknown(profile_server, helpers):
    alice = _client(profile_server("hidden-403"))
    answers = [alice.get(f"spaces/{space}/audios") for space in ("bob/main", "globex/lab", "nobody/main",
                                                                  "alice/nope", "Alice/main")]
    bodies = {str(helpers.assert_problem(answer, 403)) for answer in answers}
    assert len(bodies) == 1  # indistinguishable


def test_shown_existence_answers_403_for_existing_and_404_for_unknown(profile_server, helpers):
    ref = profile_server("forbidden-403")
    alice = _client(ref)
    for space in ("bob/main", "globex/lab"):
        helpers.assert_problem(alice.get(f"spaces/{space}/audios"), 403)
        helpers.assert_problem(alice.post(f"spaces/{space}/audios", json={"alias": "x"}), 403)
    for space in ("nobody/main", "alice/nope", "Alice/main", "bob/" + "a" * 51):
        helpers.assert_problem(alice.get(f"spaces/{space}/audios"), 404)
    assert alice.get(SPACE).status_code == 200 and alice.get("spaces/acme/shared/audios").status_code == 200


# --- 2. asynchronous processing ---------------------------------------------------------------------------
def _created_with_file(client: httpx.Client, media, alias: str) -> dict:
    response = client.post(SPACE, json={"file": media.b64(media.wav(16000, 1.0)), "alias": alias})
    assert response.status_code == 201, response.text
    return response.json()


def _available(client: httpx.Client, handle: str) -> dict | None:
    view = client.get(f"{SPACE}/{handle}").json()
    return view if view["state"] == "available" else None


def test_async_create_answers_awaiting_then_settles_after_the_delay(profile_server, media, helpers):
    ref = profile_server("slow-async")
    alice, alias = _client(ref), _alias()
    created = _created_with_file(alice, media, alias)
    assert (created["state"], created["duration"], created["sampleRate"], created["uploadedAt"]) == (
        "avaitingFile", "PT0S", 0, None)
    handle = created["handle"]
    early = alice.get(f"{SPACE}/{handle}/file")
    assert early.status_code == 409 and early.headers["content-type"].startswith("application/problem+json")
    assert [a["state"] for a in _stored(alice, alias)] == ["avaitingFile"]
    settled = helpers.wait_for(lambda: _available(alice, handle), "the audio becomes available")
    assert settled["duration"] == "PT1.000S" and settled["sampleRate"] == 16000
    assert _seconds(settled["uploadedAt"]) - _seconds(settled["createdAt"]) >= SLOW_DELAY_S
    served = alice.get(f"{SPACE}/{handle}/file")
    assert served.status_code == 200 and helpers.parse_wav(served.content).frames == 16000
    assert [a["state"] for a in _stored(alice, alias)] == ["available"]


def test_async_variant_settles_after_its_delay(profile_server, media, helpers):
    ref = profile_server("async")
    alice = _client(ref)
    created = _created_with_file(alice, media, _alias())
    assert created["state"] == "avaitingFile"
    settled = helpers.wait_for(lambda: _available(alice, created["handle"]), "the audio becomes available")
    assert _seconds(settled["uploadedAt"]) - _seconds(settled["createdAt"]) >= 0.6


def test_async_rejects_bad_media_at_once_and_stores_nothing(profile_server, media):
    alice = _client(profile_server("slow-async"))
    for body, status in (({"file": "not base64!"}, 400), ({"file": media.b64(b"not audio at all" * 8)}, 415),
                         ({"file": media.b64(media.wav(7999, 0.5))}, 422)):
        alias = _alias()
        assert alice.post(SPACE, json={**body, "alias": alias}).status_code == status
        assert _stored(alice, alias) == []


def test_async_raw_upload_answers_200_and_settles(profile_server, media, helpers):
    alice = _client(profile_server("slow-async"))
    handle = alice.post(SPACE, json={"alias": _alias()}).json()["handle"]
    wav = media.wav(16000, 0.5)
    path = f"{SPACE}/{handle}/file"
    uploaded = alice.post(path, content=wav, headers={"Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 200 and uploaded.json()["state"] == "avaitingFile"
    assert alice.get(path).status_code == 409  # no file to serve yet
    again = alice.post(path, content=wav, headers={"Content-Type": "application/octet-stream"})
    assert again.status_code == 409  # it has a file (being processed): a second one is a conflict
    settled = helpers.wait_for(lambda: _available(alice, handle), "the raw upload settles")
    assert settled["duration"] == "PT0.500S" and alice.get(path).status_code == 200


def test_async_sample_audio_follows_the_same_rule(profile_server, helpers):
    ref = profile_server("async")
    alice = _client(ref)
    handle = ref.config["read_only"]["audios"][0]["handle"]
    settled = helpers.wait_for(lambda: _available(alice, handle), "the sample becomes available")
    assert _seconds(settled["uploadedAt"]) - _seconds(settled["createdAt"]) >= 0.6
    assert alice.get(f"{SPACE}/{handle}/file").status_code == 200


def test_async_with_shown_existence(profile_server, media, helpers):
    ref = profile_server("async-403")
    alice, bob = _client(ref), _client(ref, "outsider")
    handle = _created_with_file(alice, media, _alias())["handle"]
    for path in (f"{SPACE}/{handle}", f"{SPACE}/{handle}/file"):
        helpers.assert_problem(bob.get(path), 403)
    helpers.assert_problem(bob.get(f"spaces/nobody/main/audios/{handle}"), 404)
    helpers.wait_for(lambda: _available(alice, handle), "the audio becomes available")
    helpers.assert_problem(bob.get(f"{SPACE}/{handle}"), 403)


# --- 3. the file-less create form ---------------------------------------------------------------------------
@pytest.mark.parametrize(("variant", "omitted", "null"), [
    ("null-file", 400, 201), ("colon-sort", 201, 400), ("minimal", 400, 400)])
def test_fileless_create_form(profile_server, variant, omitted, null):
    alice = _client(profile_server(variant))
    for body, status in (({}, omitted), ({"file": None}, null)):
        alias = _alias()
        response = alice.post(SPACE, json={**body, "alias": alias})
        assert response.status_code == status, (body, response.text)
        if status == 201:
            assert response.json()["state"] == "avaitingFile" and response.json()["uploadedAt"] is None
        else:
            assert _stored(alice, alias) == []
    for wrong in (123, ["x"], {"data": "x"}, True):
        assert alice.post(SPACE, json={"file": wrong}).status_code == 400


# --- 6. client handles, and the [serve] handle style -------------------------------------------------------
def test_client_handle_reject_refuses_create_and_patch(profile_server, media):
    alice = _client(profile_server("null-file"))
    alias = _alias()
    refused = alice.post(SPACE, json={"file": media.b64(media.wav(8000, 0.5)), "alias": alias, "handle": "mine"})
    assert refused.status_code == 400 and _stored(alice, alias) == []
    assert alice.get(f"{SPACE}/mine").status_code == 404
    created = alice.post(SPACE, json={"file": None, "alias": alias}).json()
    patch = alice.patch(f"{SPACE}/{created['handle']}", json={"alias": "changed", "handle": "renamed"})
    assert patch.status_code == 400
    assert alice.get(f"{SPACE}/{created['handle']}").json()["alias"] == alias  # nothing changed


def test_prefixed_handles(profile_server):
    alice = _client(profile_server("null-file"))
    handles = {alice.post(SPACE, json={"file": None}).json()["handle"] for _ in range(5)}
    assert len(handles) == 5 and all(re.fullmatch(r"aud-[a-z2-7]{12}", handle) for handle in handles)


def test_client_handle_ignore_is_the_default(profile_server):
    alice = _client(profile_server("colon-sort"))
    created = alice.post(SPACE, json={"alias": _alias(), "handle": "mine"})
    assert created.status_code == 201 and created.json()["handle"] != "mine"


# --- 9. capabilities ----------------------------------------------------------------------------------------
def test_absent_capabilities_are_absent_routes(profile_server, media, helpers):
    ref = profile_server("minimal")
    alice = _client(ref)
    handle = alice.post(SPACE, json={"file": media.b64(media.wav(8000, 0.5))}).json()["handle"]
    deleted = alice.delete(f"{SPACE}/{handle}")
    helpers.assert_problem(deleted, 405)
    allowed = {method.strip() for method in deleted.headers["allow"].split(",")}
    assert "DELETE" not in allowed and {"GET", "PATCH"} <= allowed
    raw = alice.post(f"{SPACE}/{handle}/file", content=b"x", headers={"Content-Type": "application/octet-stream"})
    helpers.assert_problem(raw, 405)
    assert "POST" not in raw.headers["allow"] and "GET" in raw.headers["allow"]
    helpers.assert_problem(alice.post("user/keys", json={"handle": "k1", "alias": None}), 404)
    helpers.assert_problem(alice.get("user/keys/conformance"), 404)
    helpers.assert_problem(alice.delete("user/keys/conformance"), 404)
    for actor in ("primary", "outsider"):  # the provisioned keys' tokens keep working
        assert _client(ref, actor).get("user").status_code == 200
    assert alice.get(f"{SPACE}/{handle}").status_code == 200


# --- 10. [serve] knobs --------------------------------------------------------------------------------------
def test_bare_challenge(profile_server):
    ref = profile_server("forbidden-403")
    for headers in ({}, {"Authorization": "Bearer unknown-token"}):
        response = httpx.get(f"{ref.base_url}/user", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_full_challenge(profile_server):
    ref = profile_server("other-statuses")
    full = re.compile(r'Bearer realm="voice-api", error="invalid_token", error_description="[ !#-\[\]-~]+"')
    for headers in ({}, {"Authorization": "Bearer unknown-token"}):
        response = httpx.get(f"{ref.base_url}/user", headers=headers)
        assert response.status_code == 401 and full.fullmatch(response.headers["www-authenticate"]), response.headers


def test_problem_extensions_in_every_problem(profile_server):
    ref = profile_server("other-statuses")
    alice = _client(ref)
    cases = [
        (alice.get("spaces/bob/main/audios"), 404, "/v1/spaces/bob/main/audios", None),
        (alice.post(SPACE, json={"file": "not base64!"}), 422, "/v1/" + SPACE, "bad_base64"),
        (alice.get("no/such/route"), 404, "/v1/no/such/route", None),
        (alice.get("spaces/alice%2Fmain/audios"), 404, "/v1/spaces/alice%2Fmain/audios", None),  # by a middleware
        (httpx.get(f"{ref.base_url}/user"), 401, "/v1/user", None),
    ]
    trace_ids = set()
    for response, status, instance, code in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert int(response.headers["content-length"]) == len(response.content)
        assert {"type", "title", "status", "detail", "instance", "code", "traceId"} <= set(body)
        assert body["status"] == status and re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", body["code"])
        assert body["type"].startswith("https://errors.reference.invalid/")
        assert re.fullmatch(r"[0-9a-f]{32}", body["traceId"])
        assert instance is None or body["instance"] == instance
        assert code is None or body["code"] == code
        trace_ids.add(body["traceId"])
    assert len(trace_ids) == len(cases)


def test_problem_extensions_reach_the_catch_all_500(tmp_path, spawn):
    """A planted fault's crash goes through the catch-all, outside the routes: it gets the members too."""
    ref = spawn(tmp_path, "client-error-500", extra=("--profile", str(VARIANTS / "other-statuses.toml")))
    crashed = ref.client().post(SPACE, json={"file": "not base64!"})
    assert crashed.status_code == 500
    body = crashed.json()
    assert body["code"] == "internal_server_error" and body["instance"] == "/v1/" + SPACE
    assert body["type"] == "https://errors.reference.invalid/internal-server-error"


@pytest.mark.parametrize(("variant", "media_type"), [("gone-after-delete", "audio/x-wav"), ("hidden-403", "audio/wave"),
                                                     ("colon-sort", "audio/wav")])
def test_wav_media_type(profile_server, media, variant, media_type):
    alice = _client(profile_server(variant))
    handle = alice.post(SPACE, json={"file": media.b64(media.wav(16000, 0.5))}).json()["handle"]
    served = alice.get(f"{SPACE}/{handle}/file")
    assert served.status_code == 200 and served.headers["content-type"] == media_type


# --- 11. the OpenAPI definition -----------------------------------------------------------------------------
def test_the_packaged_definition_is_served_whatever_the_profile(profile_server, server):
    reference = httpx.get(f"{server.base_url}/openapi.json").json()
    for name in ("minimal", "other-statuses"):
        ref = profile_server(name)
        document = httpx.get(f"{ref.base_url}/openapi.json").json()
        assert document["servers"][0]["url"] == ref.base_url
        assert document["paths"] == reference["paths"]
